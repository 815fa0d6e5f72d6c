"""Write ``docs/img/fonts.jpg``: the same two plates drawn with each font of the recipe.

Flat style, one row per font, labelled with the font's name: the classifier recipe's nine
typefaces, the six it draws only the kana with (marked; the figure draws the whole plate
in each), then the three kept out of training for the unseen-font held-out set (marked).
Needs the fonts of ``tools/fetch_fonts.sh``.

Run: ``bash tools/fetch_fonts.sh /tmp/jlpr-fonts && JLPR_FONT_DIRS=/tmp/jlpr-fonts python
tools/make_font_figure.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from jlpr._argtypes import use_fonts
from jlpr.synth import find_cjk_font, find_japanese_fonts, render_plate
from jlpr.synth.render import RenderStyle
from jlpr.types import Plate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_default import CLASSIFIER_FONTS, CLASSIFIER_KANA_FONTS, UNSEEN_FONTS

BACKDROP = (112, 116, 120)
PLATES = (("佐賀 581 せ 18-32", "private_kei"), ("品川 330 さ 12-34", "private"))


def make_figure(width: int, unseen: set[str], kana_only: set[str]) -> Image.Image:
    """Each font's plates side by side, one row per font, its name above."""
    fonts = find_japanese_fonts()
    label_path = find_cjk_font()
    label = ImageFont.truetype(str(label_path), 14) if label_path else ImageFont.load_default(14)
    cell_h = round(width / 2) + 26
    gap = 12
    sheet = Image.new("RGB", (2 * width + 3 * gap, len(fonts) * cell_h + gap), BACKDROP)
    draw = ImageDraw.Draw(sheet)
    for row, font in enumerate(fonts):
        y = row * cell_h + gap
        name = font.name
        if font.name in unseen:
            name += " (not trained on)"
        elif font.name in kana_only:
            name += " (kana only)"
        draw.text((gap, y), name, fill=(255, 255, 255), font=label)
        style = RenderStyle(name_font=font.name, kana_font=font.name, seal=False)
        for column, (text, scheme) in enumerate(PLATES):
            plate = Plate.parse(text, scheme)
            image = render_plate(plate, rng=np.random.default_rng(0), width=width, style=style)
            sheet.paste(Image.fromarray(image.image), (gap + column * (width + gap), y + 20))
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img/fonts.jpg"))
    parser.add_argument("--width", type=int, default=240)
    args = parser.parse_args()
    use_fonts(f"{CLASSIFIER_KANA_FONTS},{UNSEEN_FONTS}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    kana_only = set(CLASSIFIER_KANA_FONTS.split(",")) - set(CLASSIFIER_FONTS.split(","))
    figure = make_figure(args.width, set(UNSEEN_FONTS.split(",")), kana_only)
    figure.save(args.out, quality=85, optimize=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
