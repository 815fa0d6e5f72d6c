"""The classification number (分類番号) and the designation number (一連指定番号).

Grammar and formats as summarised in ``docs/rules.md``: classification numbers have 1 to 3
characters, a digit first, then digits or one of ten Latin letters (allowed since 2017-01,
MLIT via asahi.com); designation numbers run 1 to 9999 in four right-aligned cells, with
dots in unused leading cells and a hyphen only in 4-digit numbers (since 1962, MLIT via
webcartop.jp).
"""

from __future__ import annotations

from jlpr.errors import InvalidPlateError
from jlpr.rules._common import DASHES, DOTS, nfkc
from jlpr.rules.kana import VehicleClass

__all__ = [
    "CLASSIFICATION_LETTERS",
    "KEI_FIRST_DIGITS",
    "classification_fits",
    "format_designation",
    "parse_designation",
    "validate_classification",
]

CLASSIFICATION_LETTERS: str = "ACFHKLMPXY"
"""Latin letters allowed in the 2nd and 3rd positions of a classification number.

Letters that look like digits (B, I, O, ...) were left out.
"""

KEI_FIRST_DIGITS: str = "45678"
"""First digits of kei classification numbers: 4/6 freight, 5/7 passenger, 8 special use."""
_KEI_SECOND_DIGITS = frozenset("89")

_DIGITS = frozenset("0123456789")
_ALLOWED_LATER = _DIGITS | frozenset(CLASSIFICATION_LETTERS)
_DOT = "・"
_HYPHEN = "-"


def validate_classification(text: str) -> str:
    """Return the canonical classification number, or raise if ``text`` cannot be one.

    Surrounding whitespace is dropped, full-width forms are folded (NFKC) and letters are
    upper-cased. The result stays a string so that leading zeros survive (``"030"``).

    Raises :class:`~jlpr.errors.InvalidPlateError` with field ``"classification"`` and a
    reason naming the rule broken.
    """
    if not isinstance(text, str):
        raise InvalidPlateError("classification", text, "must be a string such as '330'")
    value = nfkc(text).upper()
    if not value:
        raise InvalidPlateError("classification", text, "is empty")
    if len(value) > 3:
        reason = f"has {len(value)} characters; at most 3"
        raise InvalidPlateError("classification", text, reason)
    if value[0] not in _DIGITS:
        reason = f"must start with a digit (the vehicle class), got {value[0]!r}"
        raise InvalidPlateError("classification", text, reason)
    for position, char in enumerate(value[1:], start=2):
        if char not in _ALLOWED_LATER:
            letters = " ".join(CLASSIFICATION_LETTERS)
            reason = f"position {position} must be a digit or one of {letters}, got {char!r}"
            raise InvalidPlateError("classification", text, reason)
    return value


def classification_fits(classification: str, vehicle_class: VehicleClass) -> bool:
    """Whether the canonical ``classification`` is used on vehicles of ``vehicle_class``.

    Kei numbers start with 4-8 (:data:`KEI_FIRST_DIGITS`); numbers starting with 0-3 or 9
    are registered only. Among 3-character numbers starting with 4-8 and a digit second,
    kei ones take the lower two digits 80-99 and registered ones the rest, so that the two
    never collide under one region name (580 is kei, 530 registered). A letter second
    (``5A0``) tells nothing, nor does a 1-2 character number past its first digit.
    """
    first = classification[0]
    if first not in KEI_FIRST_DIGITS:
        return vehicle_class is VehicleClass.REGISTERED
    if len(classification) == 3 and classification[1] in _DIGITS:
        kei_range = classification[1] in _KEI_SECOND_DIGITS
        return kei_range == (vehicle_class is VehicleClass.KEI)
    return True


def format_designation(number: int) -> str:
    """The designation number as printed: ``・・・1``, ``・・12``, ``・123``, ``12-34``, ``10-01``.

    The dot is U+30FB (・) and the hyphen ASCII ``-``. Raises
    :class:`~jlpr.errors.InvalidPlateError` with field ``"designation"`` unless ``number``
    is an ``int`` (not ``bool``) from 1 to 9999.
    """
    if isinstance(number, bool) or not isinstance(number, int):
        raise InvalidPlateError("designation", number, "must be an integer from 1 to 9999")
    if not 1 <= number <= 9999:
        raise InvalidPlateError("designation", number, "must be from 1 to 9999")
    digits = str(number)
    if len(digits) == 4:
        return digits[:2] + _HYPHEN + digits[2:]
    return _DOT * (4 - len(digits)) + digits


def parse_designation(text: str) -> int:
    """Read a designation number leniently and return it as an ``int``.

    Whitespace is ignored, full-width digits are folded, and any of ``・ . ･ · • ‧ ∙`` is a
    dot and any common dash (``- ‐ – — − ー ｰ －``) a hyphen. Dots are optional (``"12"``,
    ``"・12"`` and ``"・・12"`` all give 12) but may only fill leading cells; the hyphen is
    optional in 4-digit numbers (``"1234"``, ``"12 34"``) and allowed only there, between
    the 2nd and 3rd digits.

    A leading ``0`` is rejected (``"0012"``, ``"01-23"``): a plate never prints one, the
    unused leading cells show dots instead, so such text is not a plate reading.

    Raises :class:`~jlpr.errors.InvalidPlateError` with field ``"designation"`` and the
    rule broken.
    """
    if not isinstance(text, str):
        raise InvalidPlateError("designation", text, "must be a string such as '12-34'")
    cells = []
    for char in nfkc(text):
        if char.isspace():
            continue
        if char in DOTS:
            cells.append(_DOT)
        elif char in DASHES:
            cells.append(_HYPHEN)
        elif char in _DIGITS:
            cells.append(char)
        else:
            reason = f"unexpected character {char!r}; expected digits, dots (・) and a hyphen"
            raise InvalidPlateError("designation", text, reason)
    value = "".join(cells)
    if not value:
        raise InvalidPlateError("designation", text, "is empty")
    rest = value.lstrip(_DOT)
    dots = len(value) - len(rest)
    digits = rest.replace(_HYPHEN, "")
    if _DOT in rest:
        reason = "dots only fill unused leading cells, but one follows a digit or hyphen"
        raise InvalidPlateError("designation", text, reason)
    if not digits:
        raise InvalidPlateError("designation", text, "has no digits")
    if len(digits) > 4:
        reason = f"has {len(digits)} digits; at most 4 (1 to 9999)"
        raise InvalidPlateError("designation", text, reason)
    if _HYPHEN in rest and len(digits) != 4:
        reason = "a hyphen appears only in 4-digit numbers (12-34); shorter ones use dots (・123)"
        raise InvalidPlateError("designation", text, reason)
    if _HYPHEN in rest and rest != digits[:2] + _HYPHEN + digits[2:]:
        reason = "the hyphen goes once, between the 2nd and 3rd digits (12-34)"
        raise InvalidPlateError("designation", text, reason)
    if dots + len(digits) > 4:
        reason = f"has {dots + len(digits)} cells; a designation number has 4 (・・12)"
        raise InvalidPlateError("designation", text, reason)
    if int(digits) == 0:
        raise InvalidPlateError("designation", text, "must be from 1 to 9999")
    if digits[0] == "0":
        reason = "cannot start with 0; unused leading cells show dots (・・12, not 0012)"
        raise InvalidPlateError("designation", text, reason)
    return int(digits)
