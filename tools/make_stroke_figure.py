"""Write ``docs/img/stroke_jitter.jpg``: what the classifiers' stroke-weight jitter does.

Rows: training crops (rectified synthetic plates, as ``jlpr train classifiers`` draws them)
of plates 300, 120 and 60 px wide, from a fixed seed. Columns: the ink thinned by a whole and
half a pixel, as drawn, grown by half and a whole pixel (light ink on green and black
plates does the reverse) (:func:`stroke_weight`, the function
the training loop applies to its share of the crops).

Run: ``python tools/make_stroke_figure.py [--out docs/img/stroke_jitter.jpg] [--seed 3]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from jlpr.training.classifiers import stroke_weight
from jlpr.training.data import SynthSource

AMOUNTS = (-1.0, -0.5, 0.0, 0.5, 1.0)
WIDTHS = (300.0, 120.0, 60.0)
BACKDROP = (112, 116, 120)


def make_figure(seed: int) -> Image.Image:
    """The grid: one row per plate width, one column per amount."""
    rng = np.random.default_rng(seed)
    crops = [SynthSource(0.0, (width, width))(rng)[0] for width in WIDTHS]
    height, width = crops[0].shape[:2]
    gap, label = 6, 18
    sheet = Image.new(
        "RGB",
        (len(AMOUNTS) * (width + gap) + gap, label + len(crops) * (height + gap) + gap),
        BACKDROP,
    )
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(13)
    for column, amount in enumerate(AMOUNTS):
        text = "as drawn" if amount == 0 else f"dark ink {amount:+g} px"
        draw.text((gap + column * (width + gap) + 4, 2), text, fill=(255, 255, 255), font=font)
    for row, crop in enumerate(crops):
        image = torch.from_numpy(np.array(crop)).permute(2, 0, 1)[None].float()
        for column, amount in enumerate(AMOUNTS):
            changed = stroke_weight(image, torch.tensor([amount]))[0]
            pixels = changed.permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8).numpy()
            position = (gap + column * (width + gap), label + gap + row * (height + gap))
            sheet.paste(Image.fromarray(pixels), position)
        x, y = gap + 2, label + gap + row * (height + gap) + 2
        draw.rectangle((x, y, x + 92, y + 16), fill=(0, 0, 0))
        draw.text((x + 3, y + 1), f"{WIDTHS[row]:g} px plate", fill=(255, 255, 255), font=font)
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img/stroke_jitter.jpg"))
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    make_figure(args.seed).save(args.out, quality=88, optimize=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
