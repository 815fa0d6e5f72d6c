"""Find the Japanese fonts the renderer draws region names and kana with.

No font file ships in jlpr. The ``train`` extra installs freely licensed fonts from PyPI:

* ``noto-cjk-sans-jp-bold``: Noto Sans CJK JP Bold (SIL OFL 1.1);
* ``japanize-matplotlib``: IPAexGothic (IPA Font License v1.0);
* ``noto-cjk-sans-jp-regular``: Noto Sans CJK JP Regular (SIL OFL 1.1), drawn emboldened.

They are located through the installed distributions' file lists, without importing the
packages (``japanize_matplotlib`` would reconfigure matplotlib on import) and without any
network access. Folders named in the environment variable ``JLPR_FONT_DIRS`` (separated by
``os.pathsep``) and the usual system font folders are searched too. A font is used only if it
covers every character the plates need (:data:`REQUIRED_CHARS`) and FreeType draws each of
them; see ``docs/fonts.md``.
"""

from __future__ import annotations

import fnmatch
import importlib.metadata
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from jlpr.errors import ConfigError
from jlpr.rules import HIRAGANA, OFFICES

__all__ = [
    "FONTS_ENV",
    "FONT_DIRS_ENV",
    "PACKAGE_FONTS",
    "REQUIRED_CHARS",
    "SYSTEM_FONT_DIRS",
    "FontSpec",
    "PackageFont",
    "covers",
    "find_cjk_font",
    "find_japanese_fonts",
    "find_kana_fonts",
    "font_names",
    "kana_font_names",
    "require_japanese_fonts",
    "require_kana_fonts",
]

FONT_DIRS_ENV = "JLPR_FONT_DIRS"
"""Environment variable: extra folders (``os.pathsep``-separated) searched for fonts."""

FONTS_ENV = "JLPR_FONTS"
"""Environment variable: keep only the fonts named here (comma-separated, case-insensitive
shell patterns matched against :attr:`FontSpec.name` and the file name, e.g.
``"Noto Sans CJK JP *,BIZ UDGothic Bold,Mplus1-Bold.otf"``), in the order of the patterns
(the order decides which font a random draw picks). Unset or empty: every usable font found,
in search order. Training recipes set it so that their data does not depend on what a
machine has installed; a pattern that matches no font is an error, not a silent smaller
set."""

KANA_FONTS_ENV = "JLPR_KANA_FONTS"
"""Environment variable: the fonts the kana is drawn with, named as in :data:`FONTS_ENV`.
Unset or empty: the same fonts as the region name (:data:`FONTS_ENV`). Lets a recipe teach
the kana net more typefaces than the region-name net (docs/fonts.md)."""

REQUIRED_CHARS: str = "".join(sorted(set("".join(o.kanji for o in OFFICES)) | set(HIRAGANA)))
"""Every character of the 138 region names (いわき, 袖ヶ浦's small ヶ included) and the 42
hiragana. The Latin letters and digits are vector glyphs (:mod:`jlpr.synth.glyphs`)."""


@dataclass(frozen=True)
class PackageFont:
    """A font file shipped inside a PyPI distribution."""

    distribution: str
    filename: str
    name: str
    licence: str
    weight: int


PACKAGE_FONTS: tuple[PackageFont, ...] = (
    PackageFont(
        "noto-cjk-sans-jp-bold", "NotoSansCJKjp-Bold.otf", "Noto Sans CJK JP Bold", "OFL-1.1", 700
    ),
    PackageFont("japanize-matplotlib", "ipaexg.ttf", "IPAexGothic", "IPA-1.0", 400),
    PackageFont(
        "noto-cjk-sans-jp-regular",
        "NotoSansCJKjp-Regular.otf",
        "Noto Sans CJK JP Regular",
        "OFL-1.1",
        400,
    ),
)
"""Fonts looked for in installed distributions, in order of preference."""

_log = logging.getLogger(__name__)

_HOME = Path(os.path.expanduser("~"))  # unlike Path.home(), never raises
SYSTEM_FONT_DIRS: tuple[Path, ...] = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    _HOME / ".fonts",
    _HOME / ".local/share/fonts",
    Path("/Library/Fonts"),
    Path("/System/Library/Fonts"),
    _HOME / "Library/Fonts",
    Path(os.environ.get("WINDIR", "C:/Windows")) / "Fonts",
)
"""System folders searched (recursively) for the Japanese fonts named in ``_SYSTEM_PATTERNS``."""

# File-name patterns of common Japanese gothic fonts in system folders; other fonts there are
# not opened, because reading every font of a desktop system would be slow.
_SYSTEM_PATTERNS = (
    "*CJK*JP*",
    "*CJKjp*",
    "NotoSansCJK-*.ttc",
    "NotoSansJP*",
    "ipaexg.ttf",
    "ipag.ttf",
    "ipagp.ttf",
    "BIZUDGothic*",
    "BIZUDPGothic*",
    "MPLUSRounded1c*",
    "MPLUS1p*",
    "mplus-1c-*",
    "Takao*Gothic*",
    "VL-Gothic*",
    "fonts-japanese-gothic.ttf",
    # The classifier recipe's Debian fonts (tools/fetch_fonts.sh), when installed system-wide.
    "Mplus1-Bold.otf",
    "Mplus2-Bold.otf",
    "MTLc3m.ttf",
    "MTLmr3m.ttf",
    "komatuna.ttf",
    "ume-hgo5.ttf",
    "ume-tgo5.ttf",
)
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc")


@dataclass(frozen=True)
class FontSpec:
    """A usable Japanese font file."""

    name: str
    """Family and style, e.g. ``"Noto Sans CJK JP Bold"``."""
    path: Path
    licence: str
    """SPDX-like licence id where known (``"OFL-1.1"``, ``"IPA-1.0"``), else ``"unknown"``."""
    source: str
    """Where it was found: the distribution name, ``"JLPR_FONT_DIRS"`` or ``"system"``."""
    weight: int = 400
    """OpenType weight class (400 regular, 700 bold); the renderer emboldens light fonts."""
    index: int = 0
    """Face index inside a ``.ttc`` collection."""

    def load(self, size: int) -> ImageFont.FreeTypeFont:
        """The font as a PIL font of ``size`` pixels per em."""
        return _load_font(str(self.path), self.index, size)


@lru_cache(maxsize=64)
def _load_font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=size, index=index)


def _pil_covers(path: str, index: int, chars: str) -> bool:
    """Coverage by drawing, for when fontTools is not installed.

    A font draws a character it lacks as its ``.notdef`` glyph (a box, or nothing), exactly
    as it draws U+10FFFD, a private-use code point no Japanese font assigns.
    """
    font = _load_font(path, index, 32)

    def draw(char: str) -> bytes:
        image = Image.new("L", (48, 48), 0)
        ImageDraw.Draw(image).text((8, 4), char, fill=255, font=font)
        return image.tobytes()

    try:
        notdef = draw("\U0010fffd")
        return all(draw(char) != notdef for char in chars)
    except OSError:  # FreeType cannot draw it (see _draws)
        return False


def _draws(path: str, index: int, chars: str) -> bool:
    """True when FreeType draws every character of ``chars`` without an error.

    A font can map a character and still fail to draw it: three faces of Debian's
    fonts-horai-umefont (fetched by ``tools/fetch_fonts.sh``) stop in their hinting program
    ("invalid opcode") on every glyph, and a damaged glyph table fails the same way.
    """
    try:
        font = _load_font(path, index, 32)
        for char in chars:
            font.getmask(char)
    except OSError:
        return False
    return True


@lru_cache(maxsize=64)
def _covers_cached(path: str, index: int, chars: str) -> bool:
    try:
        from fontTools.ttLib import TTFont
    except ImportError:
        return _pil_covers(path, index, chars)
    try:
        font = TTFont(path, lazy=True, fontNumber=index)
        cmap = font.getBestCmap() or {}
    except Exception:  # a corrupt or unsupported file is simply not a usable font
        return False
    return all(ord(char) in cmap for char in chars) and _draws(path, index, chars)


def covers(path: Path | str, chars: str = REQUIRED_CHARS, index: int = 0) -> bool:
    """True when the font at ``path`` has a glyph for every character of ``chars`` and
    draws each of them."""
    return _covers_cached(str(path), index, chars)


def _face_info(path: Path, index: int) -> tuple[str, int]:
    """Family/style name and weight class, from the file (falling back to the file name)."""
    try:
        font = _load_font(str(path), index, 16)
        family, style = font.getname()
        name = f"{family} {style}" if style and style != "Regular" else str(family)
    except OSError:
        return path.stem, 400
    weight = 700 if "bold" in name.lower() or "heavy" in name.lower() else 400
    return name, weight


def _package_fonts(entries: tuple[PackageFont, ...]) -> list[FontSpec]:
    found = []
    for entry in entries:
        try:
            dist = importlib.metadata.distribution(entry.distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
        for file in dist.files or ():
            if file.name == entry.filename:
                path = Path(str(dist.locate_file(file)))
                if path.is_file():
                    found.append(
                        FontSpec(entry.name, path, entry.licence, entry.distribution, entry.weight)
                    )
                break
    return found


def _dir_fonts(folder: Path, patterns: tuple[str, ...] | None, source: str) -> list[FontSpec]:
    if not folder.is_dir():
        return []
    paths: set[Path] = set()
    try:
        if patterns is None:
            paths.update(p for p in folder.rglob("*") if p.suffix.lower() in _FONT_SUFFIXES)
        else:
            for pattern in patterns:
                paths.update(p for p in folder.rglob(pattern) if p.suffix.lower() in _FONT_SUFFIXES)
    except OSError:
        return []
    found = []
    for path in sorted(paths):
        name, weight = _face_info(path, 0)
        found.append(FontSpec(name, path, "unknown", source, weight))
    return found


@lru_cache(maxsize=16)
def _search(
    packages: tuple[PackageFont, ...], env_dirs: tuple[str, ...], system_dirs: tuple[Path, ...]
) -> tuple[FontSpec, ...]:
    candidates = _package_fonts(packages)
    for env_dir in env_dirs:
        candidates += _dir_fonts(Path(env_dir), None, FONT_DIRS_ENV)
    for folder in system_dirs:
        candidates += _dir_fonts(folder, _SYSTEM_PATTERNS, "system")
    seen: set[Path] = set()
    usable = []
    for spec in candidates:
        key = spec.path.resolve()
        if key in seen:
            continue
        seen.add(key)
        if covers(spec.path, REQUIRED_CHARS, spec.index):
            usable.append(spec)
    return tuple(usable)


@lru_cache(maxsize=16)
def _selected(
    fonts: tuple[FontSpec, ...], patterns: tuple[str, ...], env: str = FONTS_ENV
) -> tuple[FontSpec, ...]:
    # Cached: the renderer asks for its fonts once per plate, and matching every pattern
    # against every font found costs about a millisecond with a folder of fonts.
    if not patterns:
        return fonts

    def matches(pattern: str, font: FontSpec) -> bool:
        return any(
            fnmatch.fnmatchcase(text.casefold(), pattern.casefold())
            for text in (font.name, font.path.name)
        )

    missing = [p for p in patterns if not any(matches(p, font) for font in fonts)]
    if missing:
        found = ", ".join(sorted({font.name for font in fonts})) or "none"
        raise ConfigError(
            f"{env} names fonts that were not found: {', '.join(missing)} "
            f"(usable fonts found: {found}); install them or add their folder to "
            f"{FONT_DIRS_ENV}"
        )
    # In the patterns' order, not the search's: which font a random draw picks depends on
    # the order, and the search's order depends on where the fonts were installed.
    chosen: list[FontSpec] = []
    for pattern in patterns:
        chosen += [f for f in fonts if matches(pattern, f) and f not in chosen]
    return tuple(chosen)


def find_japanese_fonts(patterns: str | None = None, *, env: str = FONTS_ENV) -> list[FontSpec]:
    """Every usable Japanese font found: the ``train`` extra's packages first, then the
    folders of ``JLPR_FONT_DIRS``, then the system folders. A font is usable when it covers
    :data:`REQUIRED_CHARS` and draws each of them. The search is cached per set of search paths.

    ``patterns`` (default: the environment variable ``env``, ``$JLPR_FONTS``) keeps only the
    fonts it names, in its order (see :data:`FONTS_ENV`); :class:`~jlpr.errors.ConfigError`
    (naming ``env``) if one of them matches no usable font.
    """
    dirs = os.environ.get(FONT_DIRS_ENV, "")
    env_dirs = tuple(d for d in dirs.split(os.pathsep) if d)
    text = os.environ.get(env, "") if patterns is None else patterns
    wanted = tuple(p.strip() for p in text.split(",") if p.strip())
    return list(_selected(_search(PACKAGE_FONTS, env_dirs, SYSTEM_FONT_DIRS), wanted, env))


def _kana_fonts_chosen() -> bool:
    return bool(os.environ.get(KANA_FONTS_ENV, "").strip(" ,"))


def find_kana_fonts() -> list[FontSpec]:
    """The fonts the kana is drawn with: those ``$JLPR_KANA_FONTS`` names
    (:data:`KANA_FONTS_ENV`), or :func:`find_japanese_fonts` when it is unset or empty."""
    if not _kana_fonts_chosen():
        return find_japanese_fonts()
    return find_japanese_fonts(env=KANA_FONTS_ENV)


def kana_font_names() -> list[str] | None:
    """Names of the kana's fonts when ``$JLPR_KANA_FONTS`` chooses them, else ``None`` (the
    kana is drawn with :func:`font_names`): what a data recipe records."""
    if not _kana_fonts_chosen():
        return None
    return [font.name for font in find_kana_fonts()]


def font_names() -> list[str]:
    """Names of the fonts the renderer draws with (:func:`find_japanese_fonts`), in order:
    what a data recipe records so that its data can be drawn again."""
    return [font.name for font in find_japanese_fonts()]


def require_japanese_fonts() -> list[FontSpec]:
    """:func:`find_japanese_fonts`, raising :class:`~jlpr.errors.ConfigError` when it finds none."""
    fonts = find_japanese_fonts()
    if not fonts:
        raise ConfigError(
            "no Japanese font covering every region name and kana was found; the plate "
            'renderer needs one. Install the training extras with: pip install "jlpr[train]" '
            "(they bring Noto Sans CJK JP and IPAexGothic), or set "
            f"{FONT_DIRS_ENV} to a folder holding a Japanese .ttf/.otf font."
        )
    return fonts


def require_kana_fonts() -> list[FontSpec]:
    """:func:`find_kana_fonts`, raising :class:`~jlpr.errors.ConfigError` when it finds none."""
    if _kana_fonts_chosen():
        return find_kana_fonts()  # every pattern matched a usable font: never empty
    return require_japanese_fonts()


def find_cjk_font() -> Path | None:
    """A Japanese font for drawing labels (bold preferred), or ``None``; never raises."""
    try:
        fonts = find_japanese_fonts()
    except Exception:  # labels are cosmetic: a broken font setup must not stop a CLI
        _log.warning("font search failed", exc_info=True)
        return None
    if not fonts:
        return None
    return max(fonts, key=lambda f: f.weight).path
