"""Draw read plates on their image: the corner quad (or box) and a label with text and confidence.

Labels are Japanese (``品川 330 さ 12-34  0.97``) when a font with the label's glyphs is
available, and romaji otherwise (``shinagawa 330 sa 12-34  0.97``), so that a machine without
Japanese fonts draws readable labels instead of empty boxes. The font is looked for in this
order:

1. the ``font_path`` argument;
2. the ``JLPR_FONT`` environment variable;
3. the font the synthetic-data generator uses (``jlpr.synth.fonts``), when installed;
4. common system locations (Noto Sans CJK, IPAex Gothic, Hiragino, Meiryo, ...).

Plates are outlined in green when every field was read and in orange when some field is
unreadable (shown as ``?``).
"""

from __future__ import annotations

import functools
import importlib
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from jlpr.errors import ConfigError
from jlpr.image import ImageInput, load_image
from jlpr.types import Plate

__all__ = [
    "FONT_ENV_VAR",
    "draw_plates",
    "find_font",
    "kana_to_romaji",
    "plate_label",
    "romaji_text",
]

FONT_ENV_VAR = "JLPR_FONT"
"""Environment variable naming a .ttf/.otf/.ttc font with Japanese glyphs for labels."""

KANA_ROMAJI: dict[str, str] = {
    "あ": "a", "い": "i", "う": "u", "え": "e",
    "か": "ka", "き": "ki", "く": "ku", "け": "ke", "こ": "ko",
    "さ": "sa", "す": "su", "せ": "se", "そ": "so",
    "た": "ta", "ち": "chi", "つ": "tsu", "て": "te", "と": "to",
    "な": "na", "に": "ni", "ぬ": "nu", "ね": "ne", "の": "no",
    "は": "ha", "ひ": "hi", "ふ": "fu", "ほ": "ho",
    "ま": "ma", "み": "mi", "む": "mu", "め": "me", "も": "mo",
    "や": "ya", "ゆ": "yu", "よ": "yo",
    "ら": "ra", "り": "ri", "る": "ru", "れ": "re", "ろ": "ro",
    "わ": "wa", "を": "wo",
}  # fmt: skip
"""Hepburn romaji of the 42 hiragana used on plates; を is ``wo`` to keep it apart from お."""

COMPLETE_COLOR = (40, 200, 60)
INCOMPLETE_COLOR = (255, 150, 0)

_FONT_ROOTS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/System/Library/Fonts",
    "/Library/Fonts",
    "~/Library/Fonts",
    "C:/Windows/Fonts",
)
# Japanese-first faces before pan-CJK ones: the same code point can have a Chinese glyph shape.
_CJK_FONT_PATTERNS = (
    "NotoSansCJKjp-*.otf",
    "NotoSansJP-*.otf",
    "NotoSansJP*.ttf",
    "NotoSansCJK-*.ttc",
    "NotoSansCJK*.otf",
    "ipaexg.ttf",
    "ipag.ttf",
    "ipagp.ttf",
    "fonts-japanese-gothic.ttf",
    "TakaoPGothic.ttf",
    "VL-PGothic-Regular.ttf",
    "ヒラギノ角ゴシック W3.ttc",
    "Hiragino Sans GB.ttc",
    "meiryo.ttc",
    "YuGothM.ttc",
    "msgothic.ttc",
    "Arial Unicode.ttf",
)
_LATIN_FONT_PATTERNS = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf", "arial.ttf")
# A code point no font maps: it renders as the font's .notdef glyph, which a missing glyph
# also renders as.
_UNMAPPED = "\U0010fffd"

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def kana_to_romaji(kana: str) -> str:
    """Romaji of a plate kana (``さ`` -> ``sa``); Latin letters (US forces plates) stay."""
    return KANA_ROMAJI.get(kana, kana)


def romaji_text(plate: Plate) -> str:
    """The plate as one ASCII line, ``shinagawa 330 sa 12-34``; unreadable fields are ``?``.

    The dots of short designation numbers become full stops: ``・・12`` -> ``..12``.
    """
    designation = plate.designation_text
    parts = [
        plate.office.romaji if plate.office is not None else "?",
        plate.classification or "?",
        kana_to_romaji(plate.kana) if plate.kana is not None else "?",
        designation.replace("・", ".") if designation is not None else "?",
    ]
    return " ".join(parts)


def plate_label(plate: Plate, *, romaji: bool = False) -> str:
    """The label drawn for ``plate``: its text and confidence, ``品川 330 さ 12-34  0.97``."""
    text = romaji_text(plate) if romaji else plate.text
    return f"{text}  {plate.confidence:.2f}"


def find_font(font_path: str | os.PathLike[str] | None = None) -> Path | None:
    """The font file labels are drawn with, or ``None`` when none is found.

    Looks at ``font_path``, then ``$JLPR_FONT``, then ``jlpr.synth.fonts``, then system font
    folders (see the module documentation). An explicit ``font_path`` that does not exist
    raises :class:`~jlpr.errors.ConfigError`; a bad ``$JLPR_FONT`` only warns.
    """
    if font_path is not None:
        path = Path(font_path)
        if not path.is_file():
            raise ConfigError(
                f"font_path {path}: no such font file; pass a .ttf/.otf/.ttc font with "
                f"Japanese glyphs (e.g. Noto Sans CJK JP) or omit font_path"
            )
        return path
    env_value = os.environ.get(FONT_ENV_VAR)
    if env_value:
        if Path(env_value).is_file():
            return Path(env_value)
        warnings.warn(
            f"${FONT_ENV_VAR}={env_value} is not a font file; looking for fonts elsewhere",
            stacklevel=2,
        )
    synth_font = _synth_font()
    if synth_font is not None:
        return synth_font
    return _system_font(_CJK_FONT_PATTERNS)


def draw_plates(
    image: ImageInput,
    plates: Sequence[Plate],
    *,
    font_path: str | os.PathLike[str] | None = None,
    romaji: bool | None = None,
) -> Image.Image:
    """A copy of ``image`` with every plate outlined and labelled with its text and confidence.

    ``image`` is anything :func:`~jlpr.image.load_image` accepts (the same input the reader
    was given, so that plate coordinates match). ``romaji=None`` labels in Japanese when the
    font has every glyph of the label and in romaji otherwise; ``True`` always uses romaji;
    ``False`` always uses Japanese and raises :class:`~jlpr.errors.ConfigError` when no font
    has the glyphs. Plates with unreadable fields show ``?``; plates without a box or corners
    are listed in the top-left corner.
    """
    canvas = Image.fromarray(load_image(image)).copy()
    width, height = canvas.size
    font_size = max(12, round(max(width, height) / 50))
    line_width = max(2, round(max(width, height) / 400))
    found = find_font(font_path)
    font = _load_font(str(found), font_size) if found is not None else None
    latin_font = _latin_font(font_size)
    draw = ImageDraw.Draw(canvas)
    unplaced_y = 0.0
    for plate in plates:
        color = COMPLETE_COLOR if plate.is_complete else INCOMPLETE_COLOR
        label, label_font = _label_and_font(plate, font, latin_font, romaji, found)
        outline = _outline(plate)
        if outline is None:
            _draw_label(draw, (0.0, unplaced_y), label, label_font, color, below=True)
            unplaced_y += font_size * 1.4
            continue
        draw.line([*outline, outline[0]], fill=color, width=line_width, joint="curve")
        left = min(x for x, _ in outline)
        top = min(y for _, y in outline)
        _draw_label(draw, (left, top), label, label_font, color, below=False)
    return canvas


def _label_and_font(
    plate: Plate, font: Font | None, latin_font: Font, romaji: bool | None, found: Path | None
) -> tuple[str, Font]:
    if romaji is not True:
        japanese = plate_label(plate)
        if font is not None and _renders(font, japanese):
            return japanese, font
        if romaji is False:
            where = f"font {found}" if font is not None else "no font found"
            raise ConfigError(
                f"{where} lacks glyphs of {japanese!r}; pass font_path or set "
                f"${FONT_ENV_VAR} to a font with Japanese glyphs (e.g. Noto Sans CJK JP), "
                f"or draw with romaji=True"
            )
    label = plate_label(plate, romaji=True)
    if font is not None and _renders(font, label):
        return label, font
    return label, latin_font


def _outline(plate: Plate) -> list[tuple[float, float]] | None:
    if plate.corners is not None:
        return list(plate.corners.points)
    if plate.box is not None:
        box = plate.box
        return [(box.x1, box.y1), (box.x2, box.y1), (box.x2, box.y2), (box.x1, box.y2)]
    return None


def _draw_label(
    draw: ImageDraw.ImageDraw,
    anchor: tuple[float, float],
    text: str,
    font: Font,
    color: tuple[int, int, int],
    *,
    below: bool,
) -> None:
    """Draw ``text`` on a filled background above ``anchor`` (below it if no room above)."""
    x1, y1, x2, y2 = draw.textbbox((0, 0), text, font=font)
    pad = 3
    label_w, label_h = x2 - x1 + 2 * pad, y2 - y1 + 2 * pad
    x = max(0.0, anchor[0])
    y = anchor[1] if below or anchor[1] - label_h < 0 else anchor[1] - label_h
    y = max(0.0, y)
    draw.rectangle((x, y, x + label_w, y + label_h), fill=color)
    draw.text((x + pad - x1, y + pad - y1), text, font=font, fill=(0, 0, 0))


def _renders(font: Font, text: str) -> bool:
    """True when ``font`` has a glyph for every visible character of ``text``."""
    return all(_has_glyph(font, char) for char in set(text) if not char.isspace())


@functools.lru_cache(maxsize=2048)
def _has_glyph(font: Font, char: str) -> bool:
    return _glyph_pixels(font, char) != _glyph_pixels(font, _UNMAPPED)


def _glyph_pixels(font: Font, char: str) -> bytes:
    size = int(getattr(font, "size", 16))
    canvas = Image.new("L", (2 * size, 2 * size))
    ImageDraw.Draw(canvas).text((0, 0), char, font=font, fill=255)
    return canvas.tobytes()


@functools.lru_cache(maxsize=16)
def _load_font(path: str, size: int) -> Font | None:
    try:
        return ImageFont.truetype(path, size)
    except (OSError, ValueError) as exc:
        warnings.warn(f"cannot load font {path} ({exc}); labels fall back", stacklevel=3)
        return None


@functools.lru_cache(maxsize=4)
def _latin_font(size: int) -> Font:
    path = _system_font(_LATIN_FONT_PATTERNS)
    loaded = _load_font(str(path), size) if path is not None else None
    return loaded if loaded is not None else ImageFont.load_default(size)


def _synth_font() -> Path | None:
    # Imported by name: the synthetic-data package is optional, and drawing must not need it.
    try:
        fonts = importlib.import_module("jlpr.synth.fonts")
    except ImportError:
        return None
    find_cjk_font = getattr(fonts, "find_cjk_font", None)
    if find_cjk_font is None:
        return None
    # The synthetic-data fonts are a convenience here: whatever goes wrong there, drawing
    # continues with the other font sources.
    try:
        found = find_cjk_font()
    except Exception:
        return None
    return Path(found) if found and Path(found).is_file() else None


@functools.lru_cache(maxsize=4)
def _system_font(patterns: tuple[str, ...]) -> Path | None:
    roots = [Path(root).expanduser() for root in _FONT_ROOTS]
    existing = [root for root in roots if root.is_dir()]
    for pattern in patterns:
        for root in existing:
            for candidate in sorted(root.rglob(pattern)):
                if candidate.is_file():
                    return candidate
    return None
