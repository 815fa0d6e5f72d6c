"""Random plate values for training data, balanced so that every class is well represented.

Real traffic is dominated by a few regions, kana and number shapes; a model trained on that
mix would barely see the rest. So the draws here are deliberately flat: region names are
uniform over all 138, kana uniform over those valid for the scheme, designation lengths 1-4
equally likely, and letters appear in classification numbers far more often than on roads.
Everything is drawn from the ``rng`` passed in, so a seed fixes the sequence.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from jlpr.rules import (
    CLASSIFICATION_LETTERS,
    KANA,
    KEI_FIRST_DIGITS,
    OFFICES,
    ColorScheme,
    VehicleClass,
    scheme_allows_kana,
)
from jlpr.types import Plate

__all__ = [
    "CLASSIFICATION_LENGTH_WEIGHTS",
    "CLASSIFICATION_LETTER_RATE",
    "SCHEME_WEIGHTS",
    "allowed_kana",
    "random_classification",
    "random_designation",
    "random_plate",
    "random_scheme",
]

SCHEME_WEIGHTS: dict[ColorScheme, float] = {
    ColorScheme.PRIVATE: 1.0,
    ColorScheme.COMMERCIAL: 1.0,
    ColorScheme.PRIVATE_KEI: 1.0,
    ColorScheme.COMMERCIAL_KEI: 1.0,
    ColorScheme.GRAPHIC: 0.5,
    ColorScheme.GRAPHIC_COMMERCIAL: 0.5,
    ColorScheme.GRAPHIC_KEI: 0.5,
}
"""Relative frequency of each colour scheme; graphic plates are a little rarer."""

CLASSIFICATION_LENGTH_WEIGHTS: dict[int, float] = {1: 0.1, 2: 0.15, 3: 0.75}
"""1- and 2-character numbers survive only on old plates, but the model must read them."""

CLASSIFICATION_LETTER_RATE = 0.25
"""Probability that position 2 or 3 of a classification number is a Latin letter."""

KEI_REALISTIC_RATE = 0.85
"""Share of kei plates whose first classification digit follows :data:`KEI_FIRST_DIGITS`; the
rest draw any digit so that the classifier does not tie digits to colours."""

_SCHEMES = tuple(SCHEME_WEIGHTS)
_SCHEME_P = np.array([SCHEME_WEIGHTS[s] for s in _SCHEMES]) / sum(SCHEME_WEIGHTS.values())
_LENGTHS = tuple(CLASSIFICATION_LENGTH_WEIGHTS)
_LENGTH_P = np.array([CLASSIFICATION_LENGTH_WEIGHTS[n] for n in _LENGTHS])
_LENGTH_P = _LENGTH_P / _LENGTH_P.sum()
_DIGITS = "0123456789"


@cache
def allowed_kana(scheme: ColorScheme) -> tuple[str, ...]:
    """The kana (in :data:`jlpr.rules.KANA` order) that can appear on plates of ``scheme``."""
    return tuple(k for k in KANA if scheme_allows_kana(scheme, k))


def random_scheme(rng: np.random.Generator) -> ColorScheme:
    """A colour scheme drawn with :data:`SCHEME_WEIGHTS`."""
    return _SCHEMES[int(rng.choice(len(_SCHEMES), p=_SCHEME_P))]


def random_classification(rng: np.random.Generator, scheme: ColorScheme) -> str:
    """A classification number of 1-3 characters: a digit, then digits or letters."""
    length = _LENGTHS[int(rng.choice(len(_LENGTHS), p=_LENGTH_P))]
    kei = scheme.vehicle_class is VehicleClass.KEI
    if kei and rng.random() < KEI_REALISTIC_RATE:
        first = KEI_FIRST_DIGITS[int(rng.integers(len(KEI_FIRST_DIGITS)))]
    else:
        first = _DIGITS[int(rng.integers(10))]
    rest = []
    for _ in range(length - 1):
        if rng.random() < CLASSIFICATION_LETTER_RATE:
            rest.append(CLASSIFICATION_LETTERS[int(rng.integers(len(CLASSIFICATION_LETTERS)))])
        else:
            rest.append(_DIGITS[int(rng.integers(10))])
    return first + "".join(rest)


def random_designation(rng: np.random.Generator) -> int:
    """A designation number whose length (1-4 digits) is uniform, digits uniform within."""
    digits = int(rng.integers(1, 5))
    return int(rng.integers(10 ** (digits - 1), 10**digits))


def random_plate(rng: np.random.Generator, scheme: ColorScheme | None = None) -> Plate:
    """A valid plate (scheme set) with every field drawn to be well balanced.

    Region names are uniform over all 138 names, the kana uniform over those
    :func:`~jlpr.rules.scheme_allows_kana` allows for the scheme. Give ``scheme`` to fix it.
    """
    scheme = scheme if scheme is not None else random_scheme(rng)
    office = OFFICES[int(rng.integers(len(OFFICES)))]
    classification = random_classification(rng, scheme)
    kana_choices = allowed_kana(scheme)
    kana = kana_choices[int(rng.integers(len(kana_choices)))]
    designation = random_designation(rng)
    return Plate(
        office=office,
        classification=classification,
        kana=kana,
        designation=designation,
        scheme=scheme,
    )
