"""Japanese plate rules: region names, kana, numbers, colour schemes and plate text.

Pure Python with no third-party imports, so that ``import jlpr.rules`` stays light. The facts
come from the package's own ``data/*.json`` (built by ``tools/build_rules_data.py``); see
``docs/rules.md`` for the rules as implemented and their sources.
"""

from __future__ import annotations

from jlpr.rules.kana import (
    HIRAGANA,
    KANA,
    LATIN_KANA,
    Usage,
    VehicleClass,
    kana_usage,
    validate_kana,
)
from jlpr.rules.numbers import (
    CLASSIFICATION_LETTERS,
    KEI_FIRST_DIGITS,
    classification_fits,
    format_designation,
    parse_designation,
    validate_classification,
)
from jlpr.rules.offices import OFFICES, Office, OfficeKind, lookup_office, office_names
from jlpr.rules.schemes import (
    ColorScheme,
    PlateColor,
    parse_scheme,
    scheme_allows_kana,
    schemes_for_background,
)
from jlpr.rules.text import ParsedPlate, parse_plate_text

__all__ = [
    "CLASSIFICATION_LETTERS",
    "HIRAGANA",
    "KANA",
    "KEI_FIRST_DIGITS",
    "LATIN_KANA",
    "OFFICES",
    "ColorScheme",
    "Office",
    "OfficeKind",
    "ParsedPlate",
    "PlateColor",
    "Usage",
    "VehicleClass",
    "classification_fits",
    "format_designation",
    "kana_usage",
    "lookup_office",
    "office_names",
    "parse_designation",
    "parse_plate_text",
    "parse_scheme",
    "scheme_allows_kana",
    "schemes_for_background",
    "validate_classification",
    "validate_kana",
]
