"""Argument types shared by the ``jlpr`` sub-commands (argparse ``type=`` callables)."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jlpr.reader import PlateReader

__all__ = [
    "add_fonts_option",
    "add_search_options",
    "angle",
    "count",
    "positive_int",
    "probability",
    "rotations",
    "set_search_options",
    "stretch",
    "use_fonts",
]


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def positive_int(text: str) -> int:
    """An integer of 1 or more."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def count(text: str) -> int:
    """An integer of 0 or more."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {text}")
    return value


def _bounded(text: str, low: float, high: float, expected: str) -> float:
    """A number from ``low`` to ``high``; ``expected`` names it in the error."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text}")
    return value


def probability(text: str) -> float:
    """A number from 0 to 1 (a threshold or a share)."""
    return _bounded(text, 0.0, 1.0, "a number from 0 to 1")


def angle(text: str) -> float:
    """An angle in degrees from 0 to 89 (a largest pose angle)."""
    return _bounded(text, 0.0, 89.0, "degrees from 0 to 89")


def stretch(text: str) -> float:
    """A widening factor from 0.25 to 4 (the localizer's ``stretch``, 1 for none)."""
    return _bounded(text, 0.25, 4.0, "a number from 0.25 to 4")


def pixels(text: str) -> float:
    """A length in pixels, 0 to a million (a plate width)."""
    return _bounded(text, 0.0, 1e6, "a width in pixels, 0 or more")


def rotations(text: str) -> tuple[int, ...]:
    """Comma-separated quarter turns in degrees, each of 0, 90, 180 and 270 at most once
    (the reader's ``rotations``)."""
    from jlpr.reader import ROTATIONS

    allowed = {str(turn): turn for turn in ROTATIONS}
    turns = []
    for part in (part.strip() for part in text.split(",")):
        if part not in allowed:
            raise argparse.ArgumentTypeError(
                f"expected turns of 0, 90, 180 or 270 degrees separated by commas, got {text!r}"
            )
        turns.append(allowed[part])
    if len(set(turns)) != len(turns):
        raise argparse.ArgumentTypeError(f"a turn is named twice in {text!r}")
    return tuple(turns)


def add_fonts_option(parser: argparse.ArgumentParser) -> None:
    """``--fonts PATTERNS`` and ``--kana-fonts PATTERNS``: the fonts the synthetic plates
    are drawn with (see :data:`jlpr.synth.fonts.FONTS_ENV` and ``KANA_FONTS_ENV``); apply
    them with :func:`use_fonts`."""
    parser.add_argument(
        "--fonts",
        metavar="PATTERNS",
        default=None,
        help="draw plates only with these fonts: comma-separated names or file names, "
        "shell patterns allowed (default: every Japanese font found, or $JLPR_FONTS; "
        "docs/fonts.md)",
    )
    parser.add_argument(
        "--kana-fonts",
        metavar="PATTERNS",
        default=None,
        help="draw the kana with these fonts instead, named as for --fonts (default: the "
        "region name's fonts, or $JLPR_KANA_FONTS)",
    )


def use_fonts(patterns: str | None, kana_patterns: str | None = None) -> None:
    """Make ``--fonts`` and ``--kana-fonts`` the font selection of this process and of the
    workers it starts (they inherit the environment), and check now that every pattern
    finds a font."""
    from jlpr.synth.fonts import (
        FONTS_ENV,
        KANA_FONTS_ENV,
        require_japanese_fonts,
        require_kana_fonts,
    )

    if patterns is not None:
        os.environ[FONTS_ENV] = patterns
        require_japanese_fonts()
    if kana_patterns is not None:
        os.environ[KANA_FONTS_ENV] = kana_patterns
        require_kana_fonts()


# (flag, localizer attribute) of the options added by add_search_options.
_SEARCH_OPTIONS = (
    ("--min-scale", "min_scale"),
    ("--stretch", "stretch"),
    ("--zoom", "zoom"),
    ("--close-up", "close_up"),
)


def add_search_options(parser: argparse.ArgumentParser) -> None:
    """``--min-scale X``, ``--stretch X``, ``--[no-]zoom`` and ``--[no-]close-up``: how the
    localizer searches each image (see :class:`jlpr.models.localizer.YoloPoseLocalizer`);
    apply them with :func:`set_search_options`."""
    parser.add_argument(
        "--min-scale",
        type=probability,
        default=None,
        metavar="X",
        help="search an image that the localizer would shrink below X of its size again at "
        "2x, 4x ... its input size until it is seen at X or more, 0..1 (default: the reader's "
        "own, usually 0.5; 0 looks once: faster on large images, misses small plates there; "
        "1 also searches a 1280x720 frame at full size: a few more plates under 64 px wide, "
        "in about 2.3x the localizer's time)",
    )
    parser.add_argument(
        "--stretch",
        type=stretch,
        default=None,
        metavar="X",
        help="also search each image widened X times (its pixel count kept), which finds "
        "plates seen from the side, 0.25..4 (default: the reader's own, usually 1: none; 2 "
        "finds a few more plates turned 55-70 degrees, for twice the localizer's time)",
    )
    parser.add_argument(
        "--zoom",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="look again at small finds, at up to twice the size they were found at "
        "(default: the reader's own, usually on; --no-zoom is faster and finds fewer plates "
        "under ~64 px wide in frames larger than the localizer's input)",
    )
    parser.add_argument(
        "--close-up",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also search each image at half the localizer's input size, where plates that "
        "fill much of the frame are found (default: the reader's own, usually on; "
        "--no-close-up is faster and misses plates wider than about half the "
        "frame)",
    )


def set_search_options(reader: PlateReader, args: argparse.Namespace) -> list[str]:
    """Set the reader's localizer options given by :func:`add_search_options` and return
    them as ``name value`` texts. A localizer without such a setting (a plugin) is a clear
    :class:`~jlpr.errors.ConfigError`, not an ignored flag."""
    from jlpr.errors import ConfigError

    given = []
    for flag, name in _SEARCH_OPTIONS:
        value = getattr(args, name)
        if value is None:
            continue
        if not hasattr(reader.localizer, name):
            raise ConfigError(
                f"{flag}: the reader's localizer ({type(reader.localizer).__qualname__}) "
                f"has no {name} setting"
            )
        setattr(reader.localizer, name, value)
        text = ("on" if value else "off") if isinstance(value, bool) else f"{value:g}"
        given.append(f"{name} {text}")
    return given
