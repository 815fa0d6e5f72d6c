"""Turn per-field readings into the most probable VALID plate.

Each field classifier gives its top candidates with probabilities. The decoder keeps only
candidates that the plate rules allow (a real region name, a classification number of the
right grammar, one of the 50 kana, a designation 1-9999 in its printed form, a colour
scheme) and picks the best combination, with one cross-field rule: the kana must be used
on the vehicle class and usage that the colour scheme shows (yellow plates are kei, so
``り`` there is commercial and cannot be on a private yellow plate).

A field whose best valid candidate is below ``min_field_confidence``, or that has no valid
candidate at all, is left unreadable (``None``) rather than guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from jlpr.errors import InvalidPlateError
from jlpr.rules import (
    ColorScheme,
    Office,
    lookup_office,
    parse_designation,
    scheme_allows_kana,
    validate_classification,
    validate_kana,
)
from jlpr.types import Field, FieldReading

__all__ = ["DecodedFields", "decode_readings"]

V = TypeVar("V")


@dataclass(frozen=True)
class DecodedFields:
    """The chosen value of each field (``None`` = unreadable) and its confidence."""

    office: Office | None
    classification: str | None
    kana: str | None
    designation: int | None
    scheme: ColorScheme | None
    confidences: Mapping[Field, float]

    @property
    def confidence(self) -> float:
        """Joint confidence: the product of the field confidences (0 if a field is missing)."""
        total = 1.0
        for value in self.confidences.values():
            total *= value
        return total


def _valid_candidates(
    reading: FieldReading | None, parse: Callable[[str], V]
) -> list[tuple[V, float]]:
    """Candidates of ``reading`` that ``parse`` accepts, best first, duplicates merged."""
    if reading is None:
        return []
    merged: dict[V, float] = {}
    for alt in reading.candidates():
        try:
            value = parse(alt.value)
        except (InvalidPlateError, ValueError):
            continue
        merged[value] = merged.get(value, 0.0) + alt.confidence
    return sorted(merged.items(), key=lambda kv: -kv[1])


def decode_readings(
    readings: Mapping[Field, FieldReading], min_field_confidence: float = 0.0
) -> DecodedFields:
    """Pick the most probable valid value of every field of one plate."""
    offices = _valid_candidates(readings.get(Field.OFFICE), lookup_office)
    classes = _valid_candidates(readings.get(Field.CLASSIFICATION), validate_classification)
    numbers = _valid_candidates(readings.get(Field.DESIGNATION), parse_designation)
    kanas = _valid_candidates(readings.get(Field.KANA), validate_kana)
    schemes = _valid_candidates(readings.get(Field.SCHEME), ColorScheme)

    kana, scheme = _best_kana_and_scheme(kanas, schemes, min_field_confidence)
    confidences: dict[Field, float] = {}

    def pick(field: Field, candidates: list[tuple[V, float]]) -> V | None:
        if field not in readings:
            return None
        best = candidates[0] if candidates else None
        if best is None or best[1] < min_field_confidence:
            confidences[field] = best[1] if best else 0.0
            return None
        confidences[field] = best[1]
        return best[0]

    chosen_kana = pick(Field.KANA, [kana] if kana else [])
    chosen_scheme = pick(Field.SCHEME, [scheme] if scheme else [])
    return DecodedFields(
        office=pick(Field.OFFICE, offices),
        classification=pick(Field.CLASSIFICATION, classes),
        kana=chosen_kana,
        designation=pick(Field.DESIGNATION, numbers),
        scheme=chosen_scheme,
        confidences=confidences,
    )


def _best_kana_and_scheme(
    kanas: list[tuple[str, float]],
    schemes: list[tuple[ColorScheme, float]],
    min_field_confidence: float,
) -> tuple[tuple[str, float] | None, tuple[ColorScheme, float] | None]:
    """The consistent (kana, scheme) pair of highest joint probability.

    When one side is unreadable it constrains nothing: the other side is taken alone.
    """
    readable_kanas = [k for k in kanas if k[1] >= min_field_confidence]
    readable_schemes = [s for s in schemes if s[1] >= min_field_confidence]
    if not readable_kanas or not readable_schemes:
        return (kanas[0] if kanas else None, schemes[0] if schemes else None)
    best: tuple[float, tuple[str, float], tuple[ColorScheme, float]] | None = None
    for kana in readable_kanas:
        for scheme in readable_schemes:
            if not scheme_allows_kana(scheme[0], kana[0]):
                continue
            joint = kana[1] * scheme[1]
            if best is None or joint > best[0]:
                best = (joint, kana, scheme)
    if best is None:
        # Nothing consistent among the readable candidates: trust the surer field and drop
        # the other rather than report a plate that cannot exist.
        if readable_kanas[0][1] >= readable_schemes[0][1]:
            return readable_kanas[0], None
        return None, readable_schemes[0]
    return best[1], best[2]
