"""Parsing a whole plate written as text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jlpr.errors import InvalidPlateError
from jlpr.rules import (
    CLASSIFICATION_LETTERS,
    KANA,
    OFFICES,
    Office,
    ParsedPlate,
    format_designation,
    lookup_office,
    parse_plate_text,
)

SHINAGAWA_1234 = ParsedPlate(lookup_office("品川"), "330", "さ", 1234)

classifications = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from("0123456789"),
    st.text(alphabet="0123456789" + CLASSIFICATION_LETTERS, max_size=2),
)


@pytest.mark.parametrize(
    "text",
    [
        "品川330さ12-34",
        "品川 330 さ 12-34",
        "  品川　330　さ　12-34  ",
        "品川３３０さ１２－３４",
        "品川330サ12ー34",
        "品川 330 さ 1234",
        "品川 330 さ 12 34",
        "しながわ 330 さ 12-34",
        "Shinagawa 330 さ 12-34",
        "SHINAGAWA330さ12-34",
    ],
)
def test_lenient_spellings_of_one_plate_parse_the_same(text: str) -> None:
    assert parse_plate_text(text) == SHINAGAWA_1234


def test_a_short_designation_with_dots_parses() -> None:
    assert parse_plate_text("品川330さ・・12").designation == 12
    assert parse_plate_text("品川 330 さ ・1 23").designation == 123


def test_a_hiragana_region_name_is_everything_before_the_first_digit() -> None:
    parsed = parse_plate_text("いわき300あ・123")
    assert parsed == ParsedPlate(lookup_office("いわき"), "300", "あ", 123)


def test_a_latin_kana_after_a_classification_ending_in_a_letter() -> None:
    parsed = parse_plate_text("横浜30AY1234")
    assert (parsed.classification, parsed.kana) == ("30A", "Y")


def test_fields_come_back_canonical() -> None:
    parsed = parse_plate_text("ｿﾃﾞｶﾞｳﾗ 3ａ0 ﾜ ・・・7")
    assert parsed == ParsedPlate(lookup_office("袖ヶ浦"), "3A0", "わ", 7)


@given(
    st.sampled_from(OFFICES),
    classifications,
    st.sampled_from(KANA),
    st.integers(1, 9999),
    st.sampled_from(["", " ", "  ", "\u3000"]),
)
def test_formatted_plates_round_trip(
    office: Office, classification: str, kana: str, designation: int, sep: str
) -> None:
    text = sep.join([office.kanji, classification, kana, format_designation(designation)])
    assert parse_plate_text(text) == ParsedPlate(office, classification, kana, designation)


@given(st.sampled_from(OFFICES), classifications, st.sampled_from(KANA), st.integers(1, 9999))
def test_plates_round_trip_with_the_reading_or_romaji_as_region(
    office: Office, classification: str, kana: str, designation: int
) -> None:
    tail = f" {classification} {kana} {format_designation(designation)}"
    expected = ParsedPlate(office, classification, kana, designation)
    assert parse_plate_text(office.kana + tail) == expected
    assert parse_plate_text(office.romaji + tail) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("品川", "no classification number"),
        ("330さ12-34", "no region name"),
        ("品川 さ 12-34", "needs a classification number, a kana and a designation number"),
        ("品川3301234", "needs a classification number, a kana and a designation number"),
        ("品川330さ", "no designation number"),
        ("品川 330 さa 12-34", "expected one kana"),
    ],
)
def test_structural_problems_are_reported_on_field_text(text: str, reason: str) -> None:
    with pytest.raises(InvalidPlateError) as info:
        parse_plate_text(text)
    assert info.value.field == "text"
    assert reason in info.value.reason


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("東京330さ12-34", "office"),
        ("彦根330さ12-34", "office"),
        ("品川3B0さ12-34", "classification"),
        ("品川3300さ12-34", "classification"),
        ("品川330お12-34", "kana"),
        ("品川330Zさ12-34", "classification"),
        ("品川330さ01-23", "designation"),
        ("品川330さ12-3", "designation"),
        ("品川330さ12345", "designation"),
    ],
)
def test_a_bad_field_is_reported_on_that_field(text: str, field: str) -> None:
    with pytest.raises(InvalidPlateError) as info:
        parse_plate_text(text)
    assert info.value.field == field


def test_non_string_text_is_rejected() -> None:
    with pytest.raises(InvalidPlateError, match="string") as info:
        parse_plate_text(None)  # type: ignore[arg-type]
    assert info.value.field == "text"


@given(st.text(max_size=16))
def test_arbitrary_text_parses_or_raises_invalid_plate_error(text: str) -> None:
    try:
        parse_plate_text(text)
    except InvalidPlateError as err:
        assert err.field in {"text", "office", "classification", "kana", "designation"}
