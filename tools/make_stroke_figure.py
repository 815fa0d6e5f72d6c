"""Write ``docs/img/stroke_jitter.jpg`` and ``docs/img/vertical_blur.jpg``: what two of the
classifiers' training augmentations do.

Rows: training crops (rectified synthetic plates, as ``jlpr train classifiers`` draws them)
of plates 300, 120 and 60 px wide, from a fixed seed. Columns of the first figure: the ink
thinned by a whole and half a pixel, as drawn, grown by half and a whole pixel (light ink on
green and black plates does the reverse) (:func:`stroke_weight`); of the second: as drawn,
then blurred up and down only by a Gaussian of 1, 2 and 3 px (:func:`vertical_blur`). These
are the functions the training loop applies to its share of the crops.

Run: ``python tools/make_stroke_figure.py [--out-dir docs/img] [--seed 3]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from jlpr.training.classifiers import stroke_weight, vertical_blur
from jlpr.training.data import SynthSource

Change = Callable[[torch.Tensor], torch.Tensor]
WIDTHS = (300.0, 120.0, 60.0)
BACKDROP = (112, 116, 120)


def _stroke(amount: float) -> tuple[str, Change]:
    text = "as drawn" if amount == 0 else f"dark ink {amount:+g} px"
    return text, lambda image: stroke_weight(image, torch.tensor([amount]))


def _vertical(sigma: float) -> tuple[str, Change]:
    text = "as drawn" if sigma == 0 else f"blurred up/down {sigma:g} px"
    return text, lambda image: vertical_blur(image, torch.tensor([sigma]))


FIGURES: dict[str, list[tuple[str, Change]]] = {
    "stroke_jitter.jpg": [_stroke(amount) for amount in (-1.0, -0.5, 0.0, 0.5, 1.0)],
    "vertical_blur.jpg": [_vertical(sigma) for sigma in (0.0, 1.0, 2.0, 3.0)],
}


def make_figure(seed: int, columns: list[tuple[str, Change]]) -> Image.Image:
    """The grid: one row per plate width, one column per change."""
    rng = np.random.default_rng(seed)
    crops = [SynthSource(0.0, (width, width))(rng)[0] for width in WIDTHS]
    height, width = crops[0].shape[:2]
    gap, label = 6, 18
    sheet = Image.new(
        "RGB",
        (len(columns) * (width + gap) + gap, label + len(crops) * (height + gap) + gap),
        BACKDROP,
    )
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(13)
    for column, (text, _) in enumerate(columns):
        draw.text((gap + column * (width + gap) + 4, 2), text, fill=(255, 255, 255), font=font)
    for row, crop in enumerate(crops):
        image = torch.from_numpy(np.array(crop)).permute(2, 0, 1)[None].float()
        for column, (_, change) in enumerate(columns):
            changed = change(image)[0]
            pixels = changed.permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8).numpy()
            position = (gap + column * (width + gap), label + gap + row * (height + gap))
            sheet.paste(Image.fromarray(pixels), position)
        x, y = gap + 2, label + gap + row * (height + gap) + 2
        draw.rectangle((x, y, x + 92, y + 16), fill=(0, 0, 0))
        draw.text((x + 3, y + 1), f"{WIDTHS[row]:g} px plate", fill=(255, 255, 255), font=font)
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=Path("docs/img"))
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name, columns in FIGURES.items():
        make_figure(args.seed, columns).save(args.out_dir / name, quality=88, optimize=True)
        print(f"wrote {args.out_dir / name}")


if __name__ == "__main__":
    main()
