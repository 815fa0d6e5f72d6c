"""Write ``docs/img/render_samples.png``: a grid of rendered plates, for looking at.

The plates come from a fixed seed (not picked by hand), cycling through every colour scheme,
each drawn with a random style on a neutral grey and labelled with the text it was drawn from.

Run: ``python tools/make_render_grid.py [--out docs/img/render_samples.png] [--seed 2024]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from jlpr.rules import ColorScheme
from jlpr.synth import find_cjk_font, render_plate
from jlpr.synth.sampling import random_plate

BACKDROP = (112, 116, 120)


def make_grid(seed: int, count: int, columns: int, width: int) -> Image.Image:
    """``count`` plates in a grid ``columns`` wide, each ``width`` pixels wide plus margin."""
    rng = np.random.default_rng(seed)
    schemes = list(ColorScheme)
    margin = 0.06
    font_path = find_cjk_font()
    font = (
        ImageFont.truetype(str(font_path), 13)
        if font_path is not None
        else ImageFont.load_default(13)
    )
    cell_w = width + 2 * round(margin * width)
    cell_h = round(width / 2) + 2 * round(margin * width) + 22
    rows = -(-count // columns)
    sheet = Image.new("RGB", (columns * cell_w, rows * cell_h), BACKDROP)
    draw = ImageDraw.Draw(sheet)
    for i in range(count):
        plate = random_plate(rng, schemes[i % len(schemes)])
        rendered = render_plate(plate, rng=rng, width=width, margin=margin)
        alpha = rendered.alpha[..., None].astype(np.float32) / 255.0
        pixels = rendered.image * alpha + np.asarray(BACKDROP, dtype=np.float32) * (1 - alpha)
        x, y = (i % columns) * cell_w, (i // columns) * cell_h
        sheet.paste(Image.fromarray(pixels.astype(np.uint8)), (x, y))
        assert rendered.plate.scheme is not None
        label = f"{rendered.plate.text}  [{rendered.plate.scheme.value}]"
        draw.text((x + 6, y + cell_h - 20), label, fill=(255, 255, 255), font=font)
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img/render_samples.png"))
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--count", type=int, default=24)
    parser.add_argument("--columns", type=int, default=4)
    parser.add_argument("--width", type=int, default=256)
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    make_grid(args.seed, args.count, args.columns, args.width).save(args.out, optimize=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
