"""Region names: the 138 names, their order and kinds, and lenient lookup."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jlpr.errors import InvalidPlateError
from jlpr.rules import OFFICES, Office, OfficeKind, lookup_office, office_names

ROOT = Path(__file__).resolve().parent.parent
FACT_SHEET = ROOT.parent / "shared" / "jp-plates" / "plates.json"


def to_katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


def test_there_are_138_names_87_office_and_51_local() -> None:
    kinds = [office.kind for office in OFFICES]
    assert len(OFFICES) == 138
    assert kinds.count(OfficeKind.OFFICE) == 87
    assert kinds.count(OfficeKind.LOCAL) == 51


def test_names_are_unique_and_fujisan_appears_once() -> None:
    assert len(set(office_names())) == 138
    assert office_names().count("富士山") == 1


def test_office_names_follow_the_offices_order() -> None:
    assert office_names() == tuple(office.kanji for office in OFFICES)
    assert office_names()[:3] == ("札幌", "函館", "旭川")
    assert office_names()[-1] == "沖縄"


def test_four_names_are_written_in_hiragana() -> None:
    hiragana_names = {
        o.kanji for o in OFFICES if all(unicodedata.name(c).startswith("HIRAGANA") for c in o.kanji)
    }
    assert hiragana_names == {"いわき", "とちぎ", "なにわ", "つくば"}
    assert all(lookup_office(name).kana == name for name in hiragana_names)


def test_name_lengths_match_the_plate_spelling() -> None:
    assert lookup_office("尾張小牧").chars == 4
    assert lookup_office("伊勢志摩").chars == 4
    assert lookup_office("柏").chars == 1
    assert lookup_office("堺").chars == 1
    assert {o.kanji for o in OFFICES if o.chars == 4} == {"尾張小牧", "伊勢志摩"}
    assert all(1 <= o.chars <= 4 for o in OFFICES)


def test_sodegaura_is_spelled_with_a_small_ke() -> None:
    assert "袖ヶ浦" in office_names()
    assert "袖ケ浦" not in office_names()


def test_the_2025_local_names_are_present() -> None:
    added = {"十勝", "日光", "江戸川", "安曇野", "南信州"}
    for name in added:
        office = lookup_office(name)
        assert (office.kind, office.since) == (OfficeKind.LOCAL, 2025)


def test_every_local_name_has_a_start_year_from_2006() -> None:
    for office in OFFICES:
        if office.kind is OfficeKind.LOCAL:
            assert office.since is not None and 2006 <= office.since <= 2025


def test_romaji_is_lower_case_ascii() -> None:
    for office in OFFICES:
        assert office.romaji.isascii() and office.romaji.isalpha() and office.romaji.islower()


@pytest.mark.parametrize("office", OFFICES, ids=lambda o: o.romaji)
def test_every_name_resolves_by_kanji_kana_katakana_and_romaji(office: Office) -> None:
    spellings = [
        office.kanji,
        office.kana,
        to_katakana(office.kana),
        office.romaji,
        office.romaji.upper(),
        office.romaji.capitalize(),
        f"  {office.kanji}\u3000",
        unicodedata.normalize("NFKC", to_katakana(office.kana)),
    ]
    for spelling in spellings:
        assert lookup_office(spelling) is office, spelling


_LONG_FORMS = {"o": ("ō", "ô", "ou", "oo", "oh"), "u": ("ū", "û", "uu")}


def _long_vowel_spellings(romaji: str) -> set[str]:
    """Spellings of ``romaji`` with one o or u, or all of them, written long (ō, ou, oh, ū ...)."""

    def long_forms(i: int) -> tuple[str, ...]:
        forms = _LONG_FORMS.get(romaji[i], ())
        # "oh" is only a long o before a consonant other than y (o-hi, o-hyo are syllables).
        if i + 1 < len(romaji) and romaji[i + 1] in "aeiouy":
            forms = tuple(f for f in forms if f != "oh")
        return forms

    spellings = {romaji}
    for i in range(len(romaji)):
        spellings |= {romaji[:i] + form + romaji[i + 1 :] for form in long_forms(i)}
    for short, forms in _LONG_FORMS.items():
        spellings |= {romaji.replace(short, form) for form in forms if form != "oh"}
    return spellings


@pytest.mark.parametrize("office", OFFICES, ids=lambda o: o.romaji)
def test_long_vowel_romaji_spellings_resolve_without_collisions(office: Office) -> None:
    for spelling in _long_vowel_spellings(office.romaji):
        assert lookup_office(spelling) is office, spelling


@pytest.mark.parametrize(
    ("spelling", "kanji"),
    [
        ("kooriyama", "郡山"),
        ("kouriyama", "郡山"),
        ("kōriyama", "郡山"),
        ("Kohriyama", "郡山"),
        ("oomiya", "大宮"),
        ("Ōmiya", "大宮"),
        ("ohmiya", "大宮"),
        ("Ise-Shima", "伊勢志摩"),
        ("owari komaki", "尾張小牧"),
        ("Niigata", "新潟"),
        ("Nīgata", "新潟"),
        ("Gumma", "群馬"),
        ("ＳＨＩＮＡＧＡＷＡ", "品川"),
        ("ｼﾅｶﾞﾜ", "品川"),
        ("袖ケ浦", "袖ヶ浦"),
        ("袖ヶ浦", "袖ヶ浦"),
        ("袖が浦", "袖ヶ浦"),
        ("ソデガウラ", "袖ヶ浦"),
        ("\t袖ケ浦 ", "袖ヶ浦"),
    ],
)
def test_variant_spellings_resolve_to_the_canonical_name(spelling: str, kanji: str) -> None:
    assert lookup_office(spelling).kanji == kanji


def test_readings_are_unique_even_across_kanji_and_kana_spellings() -> None:
    readings = [office.kana for office in OFFICES]
    assert len(set(readings)) == len(readings)


def test_unknown_names_raise_with_field_office_and_suggestions() -> None:
    with pytest.raises(InvalidPlateError) as info:
        lookup_office("shinagwa")
    assert info.value.field == "office"
    assert info.value.value == "shinagwa"
    assert "品川" in info.value.reason
    assert "did you mean" in info.value.reason


def test_a_one_character_slip_in_kanji_suggests_the_name() -> None:
    with pytest.raises(InvalidPlateError, match="鹿児島"):
        lookup_office("鹿児鳥")


def test_unknown_names_without_close_matches_say_so_plainly() -> None:
    with pytest.raises(InvalidPlateError) as info:
        lookup_office("xyzzy")
    assert "138 region names" in info.value.reason
    assert "did you mean" not in info.value.reason


@pytest.mark.parametrize("spelling", ["彦根", "ひこね", "ヒコネ", "Hikone"])
def test_hikone_explains_that_it_was_withdrawn_and_never_issued(spelling: str) -> None:
    with pytest.raises(InvalidPlateError) as info:
        lookup_office(spelling)
    assert info.value.field == "office"
    assert "withdrawn" in info.value.reason
    assert "never issued" in info.value.reason


@pytest.mark.parametrize(
    ("spelling", "example"), [("東京", "品川"), ("東京都", "練馬"), ("北海道", "札幌")]
)
def test_a_prefecture_name_lists_its_region_names(spelling: str, example: str) -> None:
    with pytest.raises(InvalidPlateError) as info:
        lookup_office(spelling)
    assert "prefecture" in info.value.reason
    assert example in info.value.reason


@pytest.mark.parametrize("spelling", ["", "   ", "-"])
def test_empty_names_are_rejected(spelling: str) -> None:
    with pytest.raises(InvalidPlateError, match="empty") as info:
        lookup_office(spelling)
    assert info.value.field == "office"


def test_non_string_names_are_rejected() -> None:
    with pytest.raises(InvalidPlateError, match="string"):
        lookup_office(1234)  # type: ignore[arg-type]


@given(st.text(max_size=6))
def test_lookup_either_returns_an_office_or_raises_invalid_plate_error(text: str) -> None:
    try:
        office = lookup_office(text)
    except InvalidPlateError as err:
        assert err.field == "office"
    else:
        assert office in OFFICES


def test_to_dict_is_json_ready_and_complete() -> None:
    data = lookup_office("富士山").to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data == {
        "kanji": "富士山",
        "kana": "ふじさん",
        "romaji": "fujisan",
        "prefecture": "山梨県",
        "kind": "local",
        "since": 2008,
    }


def test_offices_are_frozen() -> None:
    with pytest.raises(AttributeError):
        OFFICES[0].kanji = "x"  # type: ignore[misc]


def test_importing_the_rules_does_not_import_torch_or_numpy() -> None:
    code = (
        "import jlpr.rules, sys; assert 'torch' not in sys.modules and 'numpy' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


@pytest.mark.skipif(not FACT_SHEET.exists(), reason="the shared fact sheet is not checked out")
def test_packaged_data_is_up_to_date_with_the_fact_sheet() -> None:
    script = ROOT / "tools" / "build_rules_data.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check", "--source", str(FACT_SHEET)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
