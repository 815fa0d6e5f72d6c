"""Region names (地名表示) on plates, and lookup by kanji, reading or romaji.

The 138 names in use (87 office names and 51 ご当地 names, 富士山 counted once) come from
``data/offices.json``; see ``tools/build_rules_data.py`` and ``docs/rules.md`` for sources.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from jlpr.errors import InvalidPlateError
from jlpr.rules._common import DASHES, DOTS, load_json, nfkc, to_hiragana

__all__ = ["OFFICES", "Office", "OfficeKind", "lookup_office", "office_names"]


class OfficeKind(str, Enum):
    """Whether a name is that of an issuing office or a ご当地 (local) name."""

    OFFICE = "office"
    """Name of a 運輸支局, 運輸監理部 or 自動車検査登録事務所."""
    LOCAL = "local"
    """ご当地 name, issued since 2006 by an existing office for part of its area."""


@dataclass(frozen=True)
class Office:
    """A region name as printed on plates.

    ``kanji`` is the plate spelling (袖ヶ浦 with a small ヶ; いわき, とちぎ, なにわ and つくば are
    written in hiragana), ``kana`` its reading in hiragana, ``romaji`` simplified Hepburn in
    lower case without macrons (郡山 → ``koriyama``). ``since`` is the year the name was first
    issued where a source gives one, else ``None``.
    """

    kanji: str
    kana: str
    romaji: str
    prefecture: str
    kind: OfficeKind
    since: int | None

    @property
    def chars(self) -> int:
        """Number of characters of the name on the plate (1 for 柏, 4 for 尾張小牧)."""
        return len(self.kanji)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fields."""
        return {
            "kanji": self.kanji,
            "kana": self.kana,
            "romaji": self.romaji,
            "prefecture": self.prefecture,
            "kind": self.kind.value,
            "since": self.since,
        }


_DATA = load_json("offices.json")

OFFICES: tuple[Office, ...] = tuple(
    Office(
        kanji=row["kanji"],
        kana=row["kana"],
        romaji=row["romaji"],
        prefecture=row["prefecture"],
        kind=OfficeKind(row["kind"]),
        since=row["since"],
    )
    for row in _DATA["offices"]
)
"""All 138 region names in current use, in a fixed order that models use as a vocabulary."""

_IGNORED = DASHES | DOTS | frozenset("'’_")
_PLAIN_VOWELS = str.maketrans("āâīîūûēêōô", "aaiiuueeoo")
_OH = re.compile(r"oh(?![aeiouy])")
_REPEATED_VOWEL = re.compile(r"([aeiou])\1+")
_M_BEFORE_LABIAL = re.compile(r"m(?=[bmp])")


def _key(name: str) -> str:
    """Fold the spellings people use for one name onto a single lookup key.

    Kana are compared as hiragana. Romaji long vowels are written many ways (郡山: koriyama,
    kooriyama, kouriyama, kōriyama, kohriyama), so they are all shortened, and the
    traditional-Hepburn m before b, m and p (Gumma) becomes n. The same folding is applied
    to the stored names; a test checks that no two names collide.
    """
    text = to_hiragana(nfkc(name).lower())
    text = "".join(c for c in text if not c.isspace() and c not in _IGNORED)
    text = _OH.sub("o", text.translate(_PLAIN_VOWELS)).replace("ou", "o")
    return _M_BEFORE_LABIAL.sub("n", _REPEATED_VOWEL.sub(r"\1", text))


def _index(entries: Iterable[tuple[Iterable[str], str]]) -> dict[str, str]:
    return {_key(spelling): value for spellings, value in entries for spelling in spellings}


_BY_KANJI = {office.kanji: office for office in OFFICES}
_INDEX = _index(
    ((row["kanji"], row["kana"], row["romaji"], *row.get("aliases", ())), row["kanji"])
    for row in _DATA["offices"]
)
_WITHDRAWN = _index(
    (
        (row["kanji"], row["kana"], row["romaji"]),
        f"{row['kanji']} is not on plates: {row['status']}",
    )
    for row in _DATA["withdrawn"]
)
# People often type a prefecture (東京, 東京都) where the plate shows a region name.
_PREFECTURES = _index(
    ((p, p[:-1]) if p[-1] in "都府県" else (p,), p) for p in {o.prefecture for o in OFFICES}
)


def office_names() -> tuple[str, ...]:
    """The canonical spelling of every name in :data:`OFFICES`, in the same order."""
    return tuple(office.kanji for office in OFFICES)


def lookup_office(name: str) -> Office:
    """Find the region name that ``name`` spells.

    Accepts the plate spelling (品川), the reading in hiragana or katakana (しながわ, シナガワ),
    romaji in any case with or without spaces, hyphens and long-vowel marks (Shinagawa,
    kōriyama, kouriyama, Ise-Shima), full-width and half-width forms, and variant spellings
    (袖ケ浦 and 袖が浦 for 袖ヶ浦).

    Raises :class:`~jlpr.errors.InvalidPlateError` with field ``"office"`` when nothing
    matches; the reason suggests close names, and explains withdrawn names (彦根) and
    prefectures given instead of a region name.
    """
    if not isinstance(name, str):
        raise InvalidPlateError("office", name, "must be a string")
    key = _key(name)
    if not key:
        raise InvalidPlateError("office", name, "is empty")
    kanji = _INDEX.get(key)
    if kanji is not None:
        return _BY_KANJI[kanji]
    if key in _WITHDRAWN:
        raise InvalidPlateError("office", name, _WITHDRAWN[key])
    if key in _PREFECTURES:
        prefecture = _PREFECTURES[key]
        names = ", ".join(o.kanji for o in OFFICES if o.prefecture == prefecture)
        reason = f"{prefecture} is a prefecture, not a region name; its plates show {names}"
        raise InvalidPlateError("office", name, reason)
    reason = f"not one of the {len(OFFICES)} region names on plates"
    # Kanji names are 1-4 characters, so one wrong character already halves the similarity.
    cutoff = 0.6 if key.isascii() else 0.5
    close = difflib.get_close_matches(key, _INDEX, n=8, cutoff=cutoff)
    kanji_matches = list(dict.fromkeys(_INDEX[match] for match in close))[:3]
    shown = [f"{k} ({_BY_KANJI[k].romaji})" for k in kanji_matches]
    if shown:
        listed = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
        reason += f"; did you mean {listed}?"
    raise InvalidPlateError("office", name, reason)
