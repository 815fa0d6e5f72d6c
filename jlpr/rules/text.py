"""Parse a plate written as one line of text (``品川 330 さ 12-34``)."""

from __future__ import annotations

from dataclasses import dataclass

from jlpr.errors import InvalidPlateError
from jlpr.rules._common import DASHES, DOTS, nfkc
from jlpr.rules.kana import validate_kana
from jlpr.rules.numbers import parse_designation, validate_classification
from jlpr.rules.offices import Office, lookup_office

__all__ = ["ParsedPlate", "parse_plate_text"]

_DIGITS = frozenset("0123456789")
_DESIGNATION_CHARS = _DIGITS | DOTS | DASHES
_EXAMPLE = "e.g. 品川 330 さ 12-34"


@dataclass(frozen=True)
class ParsedPlate:
    """The four text fields of a plate, each in canonical form."""

    office: Office
    classification: str
    kana: str
    designation: int


def parse_plate_text(text: str) -> ParsedPlate:
    """Split plate text into its fields and validate each one.

    Lenient: spaces between fields are optional, full-width forms are folded (NFKC), the
    region may be given by kanji, reading or romaji (``Shinagawa 330 さ 12-34``), the kana by
    katakana, and the designation number in any form :func:`parse_designation` accepts
    (``12-34``, ``・・12``, ``・1 23``).

    The region is everything before the first digit, which is why hiragana names such as
    いわき need no separator. The kana is the last character that cannot belong to the
    designation number, so a Latin kana right after a classification number ending in a
    letter (``30AY1234``) is read as intended.

    Raises :class:`~jlpr.errors.InvalidPlateError`: field ``"text"`` when the fields cannot
    be told apart, otherwise the field whose validation failed.
    """
    if not isinstance(text, str):
        raise InvalidPlateError("text", text, "must be a string")
    value = nfkc(text)
    if not value:
        raise InvalidPlateError("text", text, "is empty")
    first_digit = next((i for i, c in enumerate(value) if c in _DIGITS), None)
    if first_digit is None:
        raise InvalidPlateError("text", text, f"no classification number found ({_EXAMPLE})")
    region = value[:first_digit].strip()
    if not region:
        raise InvalidPlateError("text", text, f"no region name before the digits ({_EXAMPLE})")
    kana_at = max(i for i, c in enumerate(value) if not c.isspace() and c not in _DESIGNATION_CHARS)
    if kana_at < first_digit:
        reason = f"needs a classification number, a kana and a designation number ({_EXAMPLE})"
        raise InvalidPlateError("text", text, reason)
    classification = value[first_digit:kana_at].strip()
    if any(c.isspace() for c in classification):
        reason = f"expected one kana before the designation number, found {classification!r}"
        raise InvalidPlateError("text", text, reason)
    designation = value[kana_at + 1 :].strip()
    if not designation:
        reason = f"no designation number after the kana ({_EXAMPLE})"
        raise InvalidPlateError("text", text, reason)
    return ParsedPlate(
        office=lookup_office(region),
        classification=validate_classification(classification),
        kana=validate_kana(value[kana_at]),
        designation=parse_designation(designation),
    )
