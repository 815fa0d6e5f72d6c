"""Classification numbers (分類番号) and designation numbers (一連指定番号)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jlpr.errors import InvalidPlateError
from jlpr.rules import (
    CLASSIFICATION_LETTERS,
    VehicleClass,
    classification_fits,
    format_designation,
    parse_designation,
    validate_classification,
)

DIGITS = "0123456789"
DOT_VARIANTS = ["・", ".", "･", "·", "•", "‧", "∙"]
DASH_VARIANTS = ["-", "‐", "–", "—", "−", "ー", "ｰ", "－"]

# -- classification --------------------------------------------------------------------------


def test_the_ten_classification_letters() -> None:
    assert CLASSIFICATION_LETTERS == "ACFHKLMPXY"


@pytest.mark.parametrize(
    "text", ["3", "33", "330", "030", "500", "3A0", "30A", "3XY", "1AA", "59C"]
)
def test_valid_classification_numbers_are_returned_unchanged(text: str) -> None:
    assert validate_classification(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [(" 330 ", "330"), ("３３０", "330"), ("3a0", "3A0"), ("３ｘ０", "3X0"), ("30y", "30Y")],
)
def test_classification_is_folded_to_ascii_upper_case(text: str, expected: str) -> None:
    assert validate_classification(text) == expected


def test_leading_zeros_of_a_classification_survive() -> None:
    assert validate_classification("030") == "030"
    assert validate_classification("00") == "00"


@given(
    st.sampled_from(DIGITS),
    st.text(alphabet=DIGITS + CLASSIFICATION_LETTERS, max_size=2),
)
def test_a_digit_then_up_to_two_digits_or_letters_is_valid(first: str, rest: str) -> None:
    assert validate_classification(first + rest) == first + rest


@pytest.mark.parametrize("letter", sorted(set("ABCDEFGHIJKLMNOPQRSTUVWXYZ") - set("ACFHKLMPXY")))
def test_letters_outside_the_ten_are_rejected_naming_the_position(letter: str) -> None:
    with pytest.raises(InvalidPlateError) as info:
        validate_classification(f"3{letter}0")
    assert info.value.field == "classification"
    assert info.value.reason == (
        f"position 2 must be a digit or one of A C F H K L M P X Y, got '{letter}'"
    )


def test_a_bad_third_character_names_position_3() -> None:
    with pytest.raises(InvalidPlateError, match="position 3"):
        validate_classification("30B")


@pytest.mark.parametrize("text", ["A30", "X", "さ30", "-30"])
def test_a_classification_must_start_with_a_digit(text: str) -> None:
    with pytest.raises(InvalidPlateError, match="must start with a digit") as info:
        validate_classification(text)
    assert info.value.field == "classification"


def test_a_classification_has_at_most_3_characters() -> None:
    with pytest.raises(InvalidPlateError) as info:
        validate_classification("3300")
    assert info.value.reason == "has 4 characters; at most 3"


@pytest.mark.parametrize("text", ["", "   "])
def test_an_empty_classification_is_rejected(text: str) -> None:
    with pytest.raises(InvalidPlateError, match="empty"):
        validate_classification(text)


KEI, REGISTERED = VehicleClass.KEI, VehicleClass.REGISTERED


@pytest.mark.parametrize(
    ("classification", "kei", "registered"),
    [
        ("580", True, False),  # kei passenger: lower two digits 80-99
        ("599", True, False),
        ("480", True, False),
        ("880", True, False),
        ("59C", True, False),  # letter third, the kei range kept (a kei 59C is on record)
        ("530", False, True),  # registered small passenger: 00-79
        ("479", False, True),
        ("300", False, True),  # 3, 1, 2, 9, 0: registered only, whatever follows
        ("390", False, True),
        ("100", False, True),
        ("9A6", False, True),
        ("3", False, True),
        ("5A0", True, True),  # a letter second tells nothing
        ("58", True, True),  # 1-2 characters: only the first digit counts
        ("5", True, True),
        ("8", True, True),
    ],
)
def test_a_classification_fits_kei_or_registered_vehicles(
    classification: str, kei: bool, registered: bool
) -> None:
    assert classification_fits(classification, KEI) is kei
    assert classification_fits(classification, REGISTERED) is registered


@given(st.text(alphabet=DIGITS + CLASSIFICATION_LETTERS, min_size=0, max_size=2))
def test_every_valid_classification_fits_at_least_one_vehicle_class(rest: str) -> None:
    for first in DIGITS:
        value = validate_classification(first + rest)
        assert classification_fits(value, KEI) or classification_fits(value, REGISTERED)


def test_a_classification_given_as_an_int_is_rejected() -> None:
    with pytest.raises(InvalidPlateError, match="string") as info:
        validate_classification(330)  # type: ignore[arg-type]
    assert info.value.field == "classification"


# -- designation: formatting -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1, "・・・1"),
        (12, "・・12"),
        (123, "・123"),
        (1234, "12-34"),
        (1000, "10-00"),
        (1001, "10-01"),
        (9999, "99-99"),
        (10, "・・10"),
        (100, "・100"),
    ],
)
def test_designations_format_as_printed_on_plates(number: int, text: str) -> None:
    assert format_designation(number) == text


def test_every_designation_from_1_to_9999_formats_and_parses_back() -> None:
    for number in range(1, 10000):
        text = format_designation(number)
        assert len(text) == (5 if number >= 1000 else 4)
        assert parse_designation(text) == number


@pytest.mark.parametrize("number", [0, -1, 10000, 123456])
def test_designations_outside_1_to_9999_cannot_be_formatted(number: int) -> None:
    with pytest.raises(InvalidPlateError, match="1 to 9999") as info:
        format_designation(number)
    assert info.value.field == "designation"


@pytest.mark.parametrize("value", [True, False, 12.0, "12", None])
def test_only_ints_can_be_formatted(value: object) -> None:
    with pytest.raises(InvalidPlateError, match="integer") as info:
        format_designation(value)  # type: ignore[arg-type]
    assert info.value.field == "designation"


# -- designation: lenient parsing ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1234", 1234),
        ("12", 12),
        ("・1 23", 123),
        ("12 34", 1234),
        ("１２－３４", 1234),
        ("・・１２", 12),
        ("・12", 12),
        (" ・ ・ ・ 1 ", 1),
        ("..12", 12),
        ("10-01", 1001),
        ("99ー99", 9999),
    ],
)
def test_designations_parse_leniently(text: str, number: int) -> None:
    assert parse_designation(text) == number


def _printed_variant(number: int, dot: str, dash: str, full_width: bool, spaced: bool) -> str:
    text = format_designation(number).replace("・", dot).replace("-", dash)
    if full_width:
        text = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)
    return " ".join(text) if spaced else text


@given(
    st.integers(1, 9999),
    st.sampled_from(DOT_VARIANTS),
    st.sampled_from(DASH_VARIANTS),
    st.booleans(),
    st.booleans(),
)
def test_any_dot_dash_width_and_spacing_variant_parses_to_the_number(
    number: int, dot: str, dash: str, full_width: bool, spaced: bool
) -> None:
    assert parse_designation(_printed_variant(number, dot, dash, full_width, spaced)) == number


@given(st.integers(1, 9999), st.integers(0, 3))
def test_dots_are_optional_in_leading_cells(number: int, dots: int) -> None:
    digits = str(number)
    dots = min(dots, 4 - len(digits))
    assert parse_designation("・" * dots + digits) == number


@pytest.mark.parametrize("text", ["12-3", "1-2", "・12-3", "-12"])
def test_a_hyphen_with_fewer_than_4_digits_is_rejected(text: str) -> None:
    with pytest.raises(InvalidPlateError, match="only in 4-digit numbers") as info:
        parse_designation(text)
    assert info.value.field == "designation"


@pytest.mark.parametrize("text", ["1-234", "123-4", "12--34", "1234-"])
def test_the_hyphen_must_sit_between_the_2nd_and_3rd_digits(text: str) -> None:
    with pytest.raises(InvalidPlateError, match="between the 2nd and 3rd digits"):
        parse_designation(text)


@pytest.mark.parametrize("text", ["12・", "1・2", "12-・34", "12.34"])
def test_dots_after_digits_are_rejected(text: str) -> None:
    with pytest.raises(InvalidPlateError, match="leading cells"):
        parse_designation(text)


@pytest.mark.parametrize("text", ["・12-34", "・・・・1", "・・123"])
def test_more_than_4_cells_are_rejected(text: str) -> None:
    with pytest.raises(InvalidPlateError, match="cells"):
        parse_designation(text)


@pytest.mark.parametrize("text", ["01-23", "0012", "・012", "01"])
def test_a_leading_zero_is_rejected_because_plates_print_dots_there(text: str) -> None:
    with pytest.raises(InvalidPlateError, match="cannot start with 0"):
        parse_designation(text)


@pytest.mark.parametrize("text", ["0", "00-00", "・・・0"])
def test_zero_is_not_a_designation(text: str) -> None:
    with pytest.raises(InvalidPlateError, match="1 to 9999"):
        parse_designation(text)


def test_more_than_4_digits_are_rejected() -> None:
    with pytest.raises(InvalidPlateError, match="has 5 digits; at most 4"):
        parse_designation("12345")


@pytest.mark.parametrize(
    ("text", "reason"), [("", "empty"), ("  ", "empty"), ("・・", "no digits")]
)
def test_designations_without_digits_are_rejected(text: str, reason: str) -> None:
    with pytest.raises(InvalidPlateError, match=reason):
        parse_designation(text)


@pytest.mark.parametrize("text", ["12a4", "１２Ａ", "12/34", "#12"])
def test_other_characters_in_a_designation_are_rejected(text: str) -> None:
    with pytest.raises(InvalidPlateError, match="unexpected character"):
        parse_designation(text)


def test_a_designation_given_as_an_int_is_rejected_by_the_text_parser() -> None:
    with pytest.raises(InvalidPlateError, match="string"):
        parse_designation(1234)  # type: ignore[arg-type]


@given(st.text(alphabet="0123456789・.-ー ", max_size=7))
def test_parse_designation_returns_a_number_that_formats_or_raises(text: str) -> None:
    try:
        number = parse_designation(text)
    except InvalidPlateError as err:
        assert err.field == "designation"
    else:
        assert 1 <= number <= 9999
        assert parse_designation(format_designation(number)) == number
