"""Write ``docs/img/kana_erase.jpg``: the kana net's training inputs with random erasing.

Top row: the kana net's inputs (its 48x48 region of rectified synthetic training crops, as
``jlpr train classifiers`` draws them, from a fixed seed; plates 60-300 px wide); bottom
row: the same inputs after ``--erase kana=1`` (:func:`jlpr.training.classifiers.erase`, a
box of 4-20 % of the input painted in its mean colour). Shown 3x, nearest neighbour.

Run: ``python tools/make_erase_figure.py [--out docs/img/kana_erase.jpg] [--seed 5]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from jlpr.models.fields import CnnFieldClassifier
from jlpr.training.classifiers import _augment_erase
from jlpr.training.data import SynthSource
from jlpr.types import Field

WIDTHS = (300.0, 200.0, 140.0, 100.0, 80.0, 60.0)
SCALE = 3
BACKDROP = (112, 116, 120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img/kana_erase.jpg"))
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    net = CnnFieldClassifier.create(Field.KANA)
    crops = [SynthSource(0.0, (width, width))(rng)[0] for width in WIDTHS]
    images = torch.stack([torch.from_numpy(np.array(c)).permute(2, 0, 1).float() for c in crops])
    # The net's own cut of its region; undo its normalisation to show pixels.
    inputs = (net.prepare(images) - net._shift) / net._scale
    erased = _augment_erase(inputs, 1.0, np.random.default_rng(args.seed))
    size = inputs.shape[-1] * SCALE
    gap, label = 6, 18
    sheet = Image.new(
        "RGB", (len(WIDTHS) * (size + gap) + gap, 2 * (size + gap + label) + gap), BACKDROP
    )
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(13)
    for row, (title, batch) in enumerate((("as drawn", inputs), ("erased", erased))):
        # Top: each input's plate width; bottom: what was done to it.
        top = gap + row * (size + gap + label)
        for column, width in enumerate(WIDTHS):
            pixels = batch[column].permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8).numpy()
            tile = Image.fromarray(pixels).resize((size, size), Image.Resampling.NEAREST)
            x = gap + column * (size + gap)
            text = f"{width:g} px plate" if row == 0 else title
            draw.text((x + 2, top), text, fill="white", font=font)
            sheet.paste(tile, (x, top + label))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, quality=90)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
