"""Write ``docs/img/side_view.jpg``: a plate turned by 70° and the localizer's two views of it.

The example plate (品川 330 さ 12-34, 230 px wide when frontal) turned by 70° about the vertical
axis on a painted panel (:func:`jlpr.synth.scenes.plate_on_panel`; no photo). Three panels,
each the same part of the image around the plate: the frame with what the bundled reader
found and read by default (``min_confidence`` 0, so that every find shows), the plain 640 px
view the network searches, and the view twice as wide (``stretch`` 2, an option), in which
the plate has about the proportions of one turned by 47°. The network views are shown
enlarged 2x. Printed: what the reader reports with ``stretch`` 2 and by default.

Run: ``python tools/make_side_view_figure.py [--out docs/img/side_view.jpg] [--yaw 70]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from jlpr import ColorScheme, Plate, PlateReader
from jlpr.draw import draw_plates
from jlpr.models.localizer import YoloPoseLocalizer, letterbox
from jlpr.synth.scenes import plate_on_panel, posed_corners

CENTRE = (660.0, 490.0)
STRETCH = 2.0
"""The second view shown: twice as wide as high (``jlpr read --stretch 2``)."""
REGION = (440, 360, 920, 620)
"""The part of the 1280x720 frame shown, around the plate (x0, y0, x1, y1)."""
TITLE = 26
GAP = 12


def panel(
    image: Image.Image, title: str, font: ImageFont.ImageFont | ImageFont.FreeTypeFont
) -> Image.Image:
    out = Image.new("RGB", (max(image.width, 300), image.height + TITLE), (255, 255, 255))
    out.paste(image, (0, TITLE))
    ImageDraw.Draw(out).text((4, 4), title, fill=(0, 0, 0), font=font)
    return out


def network_view(frame: np.ndarray, stretch: float) -> Image.Image:
    """The shown region as the network sees it in the view of ``stretch``, enlarged 2x."""
    canvas, placement = letterbox(frame, 640, stretch=stretch)
    sx, sy = placement.scale
    x0, y0, x1, y1 = REGION
    box = (round(x0 * sx), round(y0 * sy), round(x1 * sx), round(y1 * sy))
    view = Image.fromarray(canvas).crop(box)
    return view.resize((2 * view.width, 2 * view.height), Image.Resampling.NEAREST)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img/side_view.jpg"))
    parser.add_argument("--yaw", type=float, default=70.0)
    args = parser.parse_args()
    truth = Plate.parse("品川330さ12-34", scheme=ColorScheme.PRIVATE)
    frame = np.asarray(plate_on_panel(truth, posed_corners(230, CENTRE, yaw=args.yaw)))
    reader = PlateReader.from_pretrained(min_confidence=0.0)
    localizer = reader.localizer
    assert isinstance(localizer, YoloPoseLocalizer)
    default = localizer.stretch
    for stretch in (STRETCH, default):  # the default last: its finds are drawn
        localizer.stretch = stretch
        plates = reader.read(frame)
        print(f"stretch {stretch:g}:", [(p.text, round(p.confidence, 2)) for p in plates])
    font = ImageFont.load_default(size=16)  # Pillow >= 10.1
    found = ", ".join(f"read {p.text} ({p.confidence:.2f})" for p in plates) or "nothing found"
    panels = [
        panel(draw_plates(frame, plates).crop(REGION), f"frame, {args.yaw:g}° turn", font),
        panel(network_view(frame, 1.0), "network view as is (2x)", font),
        panel(network_view(frame, STRETCH), "view 2x as wide (2x)", font),
    ]
    height = max(p.height for p in panels)
    figure = Image.new(
        "RGB", (sum(p.width for p in panels) + GAP * (len(panels) - 1), height), "white"
    )
    left = 0
    for part in panels:
        figure.paste(part, (left, height - part.height))
        left += part.width + GAP
    figure.save(args.out, quality=88)
    print(f"wrote {args.out} ({figure.width}x{figure.height}); stretch {default:g}: {found}")


if __name__ == "__main__":
    main()
