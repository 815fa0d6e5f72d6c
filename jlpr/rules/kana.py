"""The kana (用途を表す文字) of a plate: which characters exist and what each one means.

The tables come from ``data/kana.json`` (see ``tools/build_rules_data.py`` and
``docs/rules.md`` for the sources). A kana's meaning depends on the vehicle class: あ is
commercial on a registered vehicle and private on a kei vehicle.
"""

from __future__ import annotations

from enum import Enum

from jlpr.errors import InvalidPlateError
from jlpr.rules._common import load_json, nfkc, to_hiragana

__all__ = [
    "HIRAGANA",
    "KANA",
    "LATIN_KANA",
    "Usage",
    "VehicleClass",
    "kana_usage",
    "validate_kana",
]


class VehicleClass(str, Enum):
    """Registered (登録自動車) or kei (軽自動車) vehicles; each has its own kana table."""

    REGISTERED = "registered"
    KEI = "kei"


class Usage(str, Enum):
    """What the kana says about how the vehicle is used."""

    PRIVATE = "private"
    """自家用."""
    COMMERCIAL = "commercial"
    """事業用 (taxis, buses, hauliers)."""
    RENTAL = "rental"
    """Rental cars (貸渡, わ and れ)."""
    US_FORCES = "us_forces"
    """Privately owned vehicles of US-forces personnel (Latin letters and よ)."""


_DATA = load_json("kana.json")

HIRAGANA: tuple[str, ...] = tuple(_DATA["hiragana"])
"""The 42 hiragana used on plates, in gojūon order (every basic kana except お し へ ん)."""

LATIN_KANA: tuple[str, ...] = tuple(_DATA["latin"])
"""The Latin letters used in the kana position: A B E H K M T Y."""

KANA: tuple[str, ...] = HIRAGANA + LATIN_KANA
"""All 50 characters of the kana position, in a fixed order that models use as a vocabulary."""

_USAGE: dict[VehicleClass, dict[str, Usage]] = {
    VehicleClass(vehicle_class): {
        kana: Usage(usage) for usage, chars in table.items() for kana in chars
    }
    for vehicle_class, table in _DATA["usage"].items()
}
_NEVER_USED: frozenset[str] = frozenset(_DATA["never_used"])
_OBSOLETE: frozenset[str] = frozenset(_DATA["obsolete"])
_KANA_SET = frozenset(KANA)


def _canonical(text: str) -> tuple[str | None, str]:
    """The canonical kana for ``text``, or ``None`` and the reason it is not one."""
    char = to_hiragana(nfkc(text))
    if not char:
        return None, "is empty"
    if len(char) != 1:
        return None, f"must be a single character, got {len(char)}"
    char = char.upper()
    if char in _KANA_SET:
        return char, ""
    if char in _NEVER_USED:
        return None, "お, し, へ and ん are never used on plates"
    if char in _OBSOLETE:
        return None, "ゐ and ゑ are obsolete kana and are not used on plates"
    return None, "not one of the 42 hiragana or the letters A B E H K M T Y used on plates"


def validate_kana(text: str) -> str:
    """Return the canonical form of a plate kana, or raise if it cannot be one.

    Lenient in, canonical out: surrounding whitespace is dropped, full-width and half-width
    forms are folded (NFKC), katakana becomes hiragana (サ → さ) and Latin letters become
    upper case (y → Y).

    Raises :class:`~jlpr.errors.InvalidPlateError` with field ``"kana"`` and a reason that
    names the rule, e.g. that お, し, へ and ん are never used.
    """
    if not isinstance(text, str):
        raise InvalidPlateError("kana", text, "must be a string")
    kana, reason = _canonical(text)
    if kana is None:
        raise InvalidPlateError("kana", text, reason)
    return kana


def kana_usage(kana: str, vehicle_class: VehicleClass | str) -> Usage | None:
    """The usage ``kana`` stands for on plates of ``vehicle_class``; ``None`` if not used there.

    ``kana`` is read as leniently as :func:`validate_kana` reads it; a string that is not a
    plate kana at all also gives ``None``. Note that れ is rental on registered vehicles but
    commercial on kei vehicles, and よ is US forces on registered vehicles but private on kei.
    """
    canonical = _canonical(kana)[0] if isinstance(kana, str) else None
    if canonical is None:
        return None
    return _USAGE[VehicleClass(vehicle_class)].get(canonical)
