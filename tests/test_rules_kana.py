"""Plate kana: the 50 characters, what each means per vehicle class, and validation."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jlpr.errors import InvalidPlateError
from jlpr.rules import HIRAGANA, KANA, LATIN_KANA, Usage, VehicleClass, kana_usage, validate_kana

REG, KEI = VehicleClass.REGISTERED, VehicleClass.KEI


def kana_with(usage: Usage, vehicle_class: VehicleClass) -> str:
    return "".join(k for k in KANA if kana_usage(k, vehicle_class) is usage)


def test_there_are_42_hiragana_then_8_latin_letters() -> None:
    assert len(HIRAGANA) == 42
    assert LATIN_KANA == ("A", "B", "E", "H", "K", "M", "T", "Y")
    assert KANA == HIRAGANA + LATIN_KANA
    assert len(KANA) == len(set(KANA)) == 50


def test_hiragana_are_in_gojuon_order() -> None:
    assert "".join(HIRAGANA) == (
        "あいうえかきくけこさすせそたちつてとなにぬねのはひふほまみむめもやゆよらりるれろわを"
    )


def test_the_42_hiragana_are_every_basic_kana_except_o_shi_he_n() -> None:
    basic = (
        "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほ"
        "まみむめもやゆよらりるれろわをん"
    )
    assert set(HIRAGANA) == set(basic) - set("おしへん")


def test_registered_private_kana_are_the_29() -> None:
    assert (
        kana_with(Usage.PRIVATE, REG)
        == "さすせそたちつてとなにぬねのはひふほまみむめもやゆらりるろ"
    )
    assert len(kana_with(Usage.PRIVATE, REG)) == 29


def test_registered_commercial_rental_and_us_forces_kana() -> None:
    assert kana_with(Usage.COMMERCIAL, REG) == "あいうえかきくけこを"
    assert kana_with(Usage.RENTAL, REG) == "れわ"
    assert kana_with(Usage.US_FORCES, REG) == "よEHKMTY"


def test_kei_private_kana_are_the_39() -> None:
    private = kana_with(Usage.PRIVATE, KEI)
    assert (
        private == "あいうえかきくけこさすせそたちつてとなにぬねのはひふほまみむめもやゆよらるろを"
    )
    assert len(private) == 39


def test_kei_commercial_rental_and_us_forces_kana() -> None:
    assert kana_with(Usage.COMMERCIAL, KEI) == "りれ"
    assert kana_with(Usage.RENTAL, KEI) == "わ"
    assert kana_with(Usage.US_FORCES, KEI) == "AB"


def test_re_is_rental_on_registered_but_commercial_on_kei() -> None:
    assert kana_usage("れ", REG) is Usage.RENTAL
    assert kana_usage("れ", KEI) is Usage.COMMERCIAL


def test_yo_is_us_forces_on_registered_but_private_on_kei() -> None:
    assert kana_usage("よ", REG) is Usage.US_FORCES
    assert kana_usage("よ", KEI) is Usage.PRIVATE


def test_every_hiragana_has_a_usage_on_both_vehicle_classes() -> None:
    for kana in HIRAGANA:
        assert kana_usage(kana, REG) is not None
        assert kana_usage(kana, KEI) is not None


def test_latin_letters_belong_to_one_vehicle_class_only() -> None:
    for letter in "EHKMTY":
        assert (kana_usage(letter, REG), kana_usage(letter, KEI)) == (Usage.US_FORCES, None)
    for letter in "AB":
        assert (kana_usage(letter, REG), kana_usage(letter, KEI)) == (None, Usage.US_FORCES)


def test_kana_usage_accepts_lenient_spellings_and_class_names() -> None:
    assert kana_usage("サ", "registered") is Usage.PRIVATE
    assert kana_usage(" y ", REG) is Usage.US_FORCES


@pytest.mark.parametrize("text", ["お", "し", "へ", "ん", "ゐ", "ゑ", "が", "Z", "", "さす"])
def test_kana_usage_is_none_for_what_is_not_a_plate_kana(text: str) -> None:
    assert kana_usage(text, REG) is None
    assert kana_usage(text, KEI) is None


@pytest.mark.parametrize("kana", KANA)
def test_every_plate_kana_validates_to_itself(kana: str) -> None:
    assert validate_kana(kana) == kana


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("サ", "さ"),
        ("ｻ", "さ"),
        ("ヲ", "を"),
        ("Ａ", "A"),
        ("y", "Y"),
        ("ｙ", "Y"),
        (" わ\n", "わ"),
        ("\u3000れ\u3000", "れ"),
    ],
)
def test_validate_kana_folds_katakana_width_and_case(text: str, expected: str) -> None:
    assert validate_kana(text) == expected


@given(st.sampled_from(HIRAGANA))
def test_katakana_and_half_width_katakana_validate_to_the_hiragana(kana: str) -> None:
    katakana = chr(ord(kana) + 0x60)
    half_width = {unicodedata.normalize("NFKC", c): c for c in map(chr, range(0xFF66, 0xFF9E))}
    assert validate_kana(katakana) == kana
    if katakana in half_width:
        assert validate_kana(half_width[katakana]) == kana


@pytest.mark.parametrize("text", ["お", "し", "へ", "ん", "オ", "シ", "ヘ", "ン"])
def test_o_shi_he_and_n_are_never_valid(text: str) -> None:
    with pytest.raises(InvalidPlateError) as info:
        validate_kana(text)
    assert info.value.field == "kana"
    assert "never used" in info.value.reason


@pytest.mark.parametrize("text", ["ゐ", "ゑ", "ヰ", "ヱ"])
def test_obsolete_kana_are_rejected_as_obsolete(text: str) -> None:
    with pytest.raises(InvalidPlateError, match="obsolete") as info:
        validate_kana(text)
    assert info.value.field == "kana"


@pytest.mark.parametrize("text", ["が", "ぱ", "っ", "ゃ", "C", "Z", "1", "品"])
def test_other_characters_are_rejected_naming_the_allowed_set(text: str) -> None:
    with pytest.raises(InvalidPlateError) as info:
        validate_kana(text)
    assert info.value.field == "kana"
    assert "42 hiragana" in info.value.reason
    assert "A B E H K M T Y" in info.value.reason


@pytest.mark.parametrize("text", ["さす", "AB", "さ 12"])
def test_more_than_one_character_is_rejected(text: str) -> None:
    with pytest.raises(InvalidPlateError, match="single character"):
        validate_kana(text)


@pytest.mark.parametrize("text", ["", "  "])
def test_empty_kana_is_rejected(text: str) -> None:
    with pytest.raises(InvalidPlateError, match="empty"):
        validate_kana(text)


def test_non_string_kana_is_rejected() -> None:
    with pytest.raises(InvalidPlateError, match="string"):
        validate_kana(None)  # type: ignore[arg-type]


@given(st.text(max_size=3))
def test_validate_kana_returns_a_plate_kana_or_raises(text: str) -> None:
    try:
        kana = validate_kana(text)
    except InvalidPlateError as err:
        assert err.field == "kana"
    else:
        assert kana in KANA
        assert validate_kana(kana) == kana
