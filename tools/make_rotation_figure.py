"""Write ``docs/img/rotations.jpg``: the example scene turned a quarter turn, read twice.

``examples/car.jpg`` (a rendered scene, no photo) turned 90° clockwise, as a camera mounted
on its side would see it, read by the bundled reader as it is (left, ``min_confidence`` 0
so that every find shows) and with ``rotations=(0, 90, 270)`` (right): the plate is found in
the image turned back, read upright, and outlined where it is in the image as given.
Printed: what each reads.

Run: ``python tools/make_rotation_figure.py [--out docs/img/rotations.jpg]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from jlpr import PlateReader
from jlpr.draw import draw_plates

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "car.jpg"
TITLE = 26
GAP = 12
SCALE = 0.5


def panel(
    image: Image.Image, title: str, font: ImageFont.ImageFont | ImageFont.FreeTypeFont
) -> Image.Image:
    small = image.resize((round(image.width * SCALE), round(image.height * SCALE)))
    out = Image.new("RGB", (small.width, small.height + TITLE), (255, 255, 255))
    out.paste(small, (0, TITLE))
    ImageDraw.Draw(out).text((4, 4), title, fill=(0, 0, 0), font=font)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img/rotations.jpg"))
    args = parser.parse_args()
    with Image.open(EXAMPLE) as car:
        turned = np.ascontiguousarray(np.rot90(np.asarray(car.convert("RGB")), -1))
    font = ImageFont.load_default(size=16)  # Pillow >= 10.1
    panels = []
    for rotations, title in (((0,), "as it is"), ((0, 90, 270), "rotations=(0, 90, 270)")):
        reader = PlateReader.from_pretrained(min_confidence=0.0, rotations=rotations)
        plates = reader.read(turned)
        print(f"{rotations}:", [(p.text, round(p.confidence, 2)) for p in plates])
        panels.append(panel(draw_plates(turned, plates), title, font))
    height = max(p.height for p in panels)
    width = sum(p.width for p in panels) + GAP * (len(panels) - 1)
    figure = Image.new("RGB", (width, height), "white")
    left = 0
    for part in panels:
        figure.paste(part, (left, 0))
        left += part.width + GAP
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figure.save(args.out, quality=88)
    print(f"wrote {args.out} ({figure.width}x{figure.height})")


if __name__ == "__main__":
    main()
