"""Helpers shared by the rules modules: data loading and text normalisation."""

from __future__ import annotations

import json
import unicodedata
from importlib import resources
from typing import Any

# Katakana ァ (U+30A1) .. ヶ (U+30F6) sit exactly 0x60 above their hiragana. ヵ and ヶ map to
# ゕ and ゖ, which keeps the small ヶ of 袖ヶ浦 distinct from the hiragana け.
_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}

DASHES = frozenset("-‐‑‒–—―−ーｰ－")
"""Characters read as the hyphen of a designation number (ASCII, Unicode and Japanese dashes)."""

DOTS = frozenset("・.･·•‧∙⋅")
"""Characters read as the dot that fills an unused leading cell of a designation number."""


def load_json(name: str) -> Any:
    """Parse ``jlpr/rules/data/<name>``, the library's own copy of the plate facts."""
    text = resources.files("jlpr.rules").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


def nfkc(text: str) -> str:
    """NFKC-normalise and strip: full-width and half-width forms become ordinary ones."""
    return unicodedata.normalize("NFKC", text).strip()


def to_hiragana(text: str) -> str:
    """Replace katakana by the hiragana with the same sound (サ → さ)."""
    return text.translate(_KATAKANA_TO_HIRAGANA)
