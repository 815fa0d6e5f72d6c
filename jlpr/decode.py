"""Turn per-field readings into the most probable VALID plate.

Each field classifier gives its top candidates with probabilities. The decoder keeps only
candidates that the plate rules allow (a real region name, a classification number of the
right grammar, one of the 50 kana, a designation 1-9999 in its printed form, a colour
scheme) and picks the best combination, with two cross-field rules: the kana must be used
on the vehicle class and usage that the colour scheme shows (yellow plates are kei, so
``り`` there is commercial and cannot be on a private yellow plate), and the classification
number should fit that vehicle class (a yellow plate's number starts with 4-8, and 580 is
kei where 530 is registered), a preference that gives way when no candidate fits.

Both rules, and what a plate's scheme tells its user (:attr:`~jlpr.types.Plate.usage`,
:attr:`~jlpr.types.Plate.vehicle_class`), depend on the scheme's *kind* only: its vehicle
class and whether it is commercial. A graphic plate and the plain plate of the same kind
(``graphic`` and ``private``) differ in their picture, not in what they mean. So the decoder
weighs the schemes by kind, the probability of a kind being the sum over its schemes, and
names the most probable scheme of the kind it chose; the scheme's confidence here is its
kind's (the scheme classifier's own reading, in the plate's ``readings``, still says how
sure it is of the picture).

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
    VehicleClass,
    classification_fits,
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
    schemes = _by_kind(_valid_candidates(readings.get(Field.SCHEME), ColorScheme))

    kana, classification, scheme = _best_kana_class_and_scheme(
        kanas, classes, schemes, min_field_confidence
    )
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
        classification=pick(Field.CLASSIFICATION, [classification] if classification else []),
        kana=chosen_kana,
        designation=pick(Field.DESIGNATION, numbers),
        scheme=chosen_scheme,
        confidences=confidences,
    )


_Kana = tuple[str, float]
_Class = tuple[str, float]
_Scheme = tuple[ColorScheme, float]


def _by_kind(schemes: list[_Scheme]) -> list[_Scheme]:
    """One candidate per scheme kind (vehicle class, commercial or not), best first: the
    kind's most probable scheme with the summed probability of all its schemes."""
    kinds: dict[tuple[VehicleClass, bool], tuple[ColorScheme, float]] = {}
    for scheme, probability in schemes:  # best first, so the first of a kind names it
        kind = (scheme.vehicle_class, scheme.is_commercial)
        named, total = kinds.get(kind, (scheme, 0.0))
        kinds[kind] = (named, min(1.0, total + probability))
    return sorted(kinds.values(), key=lambda candidate: -candidate[1])


def _best_kana_class_and_scheme(
    kanas: list[_Kana],
    classes: list[_Class],
    schemes: list[_Scheme],
    min_field_confidence: float,
) -> tuple[_Kana | None, _Class | None, _Scheme | None]:
    """Kana, classification number and scheme chosen together so that they agree.

    The kana must be used on the scheme (a hard rule: anything else is a plate that cannot
    exist). The classification number should fit the scheme's vehicle class
    (:func:`~jlpr.rules.classification_fits`, numbering practice rather than law): among the
    (kana, scheme) pairs the kana rule allows, the decoder takes the one of highest joint
    probability counting the best readable classification that fits each scheme; when none
    fits any of them, the classification is read alone. An unreadable field constrains
    nothing.
    """
    readable_kanas = [k for k in kanas if k[1] >= min_field_confidence]
    readable_classes = [c for c in classes if c[1] >= min_field_confidence]
    readable_schemes = [s for s in schemes if s[1] >= min_field_confidence]
    top_kana = kanas[0] if kanas else None
    top_class = classes[0] if classes else None
    if not readable_schemes:
        return top_kana, top_class, schemes[0] if schemes else None
    kana_options: list[_Kana | None] = list(readable_kanas) or [None]
    pairs = [
        (kana, scheme)
        for kana in kana_options
        for scheme in readable_schemes
        if kana is None or scheme_allows_kana(scheme[0], kana[0])
    ]
    if not pairs:
        # Nothing consistent among the readable candidates: trust the surer field and drop
        # the other rather than report a plate that cannot exist.
        if readable_kanas[0][1] >= readable_schemes[0][1]:
            return readable_kanas[0], top_class, None
        return None, top_class, readable_schemes[0]

    # The best readable classification that fits each readable scheme's vehicle class.
    fits = {
        scheme[0]: next(
            (c for c in readable_classes if classification_fits(c[0], scheme[0].vehicle_class)),
            None,
        )
        for scheme in readable_schemes
    }
    counts_class = any(fits[scheme[0]] is not None for _, scheme in pairs)

    def joint(pair: tuple[_Kana | None, _Scheme]) -> float:
        kana, scheme = pair
        probability = scheme[1] * (kana[1] if kana is not None else 1.0)
        if counts_class:
            fit = fits[scheme[0]]
            probability *= fit[1] if fit is not None else 0.0
        return probability

    kana, scheme = max(pairs, key=joint)
    fit = fits[scheme[0]]
    return (
        kana if kana is not None else top_kana,
        fit if fit is not None else top_class,
        scheme,
    )
