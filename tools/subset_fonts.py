"""Write copies of the training fonts cut down to the characters jlpr draws.

    python tools/subset_fonts.py OUT_DIR [--fonts PATTERNS]
    JLPR_FONT_DIRS=OUT_DIR jlpr train classifiers ...   # on the other machine

The fifteen fonts of the recipe (tools/train_default.py) take about 310 MB; cut to the
plates' characters plus the signboard words and the kana and ASCII blocks, 19 MB, small
enough to carry to a build machine with the code (the GPU run of docs/experiments.md, "1.5x the
crops, on a GPU"). Glyph outlines and hinting are kept: 283 of 300 training crops drawn with
the copies were identical to the pixel, the rest differed in a few pixels (in the worst
crop, 112 pixels by more than 20 grey levels; cause not looked into). A font whose tables
fontTools cannot subset is copied whole. Each copy keeps the name the font search knows the
original by (fonts of the 'train' extra are named by their package, so their copies are
renamed to match). Needs fontTools (the 'train' extra brings it with matplotlib).
"""

from __future__ import annotations

import argparse
import shutil
import string
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

import jlpr
from jlpr.synth.fonts import FontSpec, _face_info, _load_font, find_japanese_fonts

ROOT = Path(jlpr.__file__).resolve().parent


def font_name_of(path: Path) -> str:
    """The name the font search gives a font file in a folder. Its loader caches faces by
    path, and a copy is written twice when renamed, so the cache is emptied first."""
    _load_font.cache_clear()
    return _face_info(path, 0)[0]


def characters() -> str:
    """Every character in jlpr's sources and rule data, the CJK symbols, kana and full-width
    blocks, and printable ASCII: a superset of what the renderer draws."""
    chars = set(string.printable)
    for path in [*ROOT.rglob("*.py"), *ROOT.rglob("*.json")]:
        if "weights" not in path.parts:
            chars |= set(path.read_text(encoding="utf-8"))
    for low, high in ((0x3000, 0x30FF), (0xFF00, 0xFFEF)):
        chars |= {chr(c) for c in range(low, high + 1)}
    return "".join(sorted(c for c in chars if c.isprintable()))


def cut(spec: FontSpec, text: str, out: Path) -> Path:
    target = out / spec.path.name
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.layout_features = ["*"]
    options.notdef_outline = True
    options.glyph_names = True
    font = TTFont(spec.path, fontNumber=spec.index)
    try:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=text)
        subsetter.subset(font)
    except Exception as exc:  # a table fontTools cannot read: carry the font as it is
        print(f"{spec.name}: copied whole ({exc})")
        shutil.copy(spec.path, target)
        return target
    font.save(target)
    if font_name_of(target) != spec.name:
        names = font["name"]
        names.removeNames(nameID=16)
        names.removeNames(nameID=17)
        for record in names.names:
            if record.nameID == 1:
                record.string = spec.name
            elif record.nameID == 2:
                record.string = "Regular"
        font.save(target)
    if font_name_of(target) != spec.name:
        raise SystemExit(f"{target}: reads as {font_name_of(target)!r}, not {spec.name!r}")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--fonts", default=None, help="font patterns (default: all found)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    text = characters()
    for spec in find_japanese_fonts(args.fonts):
        target = cut(spec, text, args.out)
        print(
            f"{spec.name}: {spec.path.stat().st_size / 1e6:.1f} -> "
            f"{target.stat().st_size / 1e6:.2f} MB"
        )


if __name__ == "__main__":
    main()
