"""Colour schemes: colours, borders, vehicle class and which kana each scheme allows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jlpr.errors import InvalidPlateError
from jlpr.rules import (
    KANA,
    ColorScheme,
    PlateColor,
    Usage,
    VehicleClass,
    kana_usage,
    scheme_allows_kana,
    schemes_for_background,
)

W, G, Y, B = PlateColor.WHITE, PlateColor.GREEN, PlateColor.YELLOW, PlateColor.BLACK
REG, KEI = VehicleClass.REGISTERED, VehicleClass.KEI


def test_scheme_members_and_values_are_fixed() -> None:
    assert [s.value for s in ColorScheme] == [
        "private",
        "commercial",
        "private_kei",
        "commercial_kei",
        "graphic",
        "graphic_commercial",
        "graphic_kei",
    ]
    assert [c.value for c in PlateColor] == ["white", "green", "yellow", "black"]


@pytest.mark.parametrize(
    ("scheme", "background", "characters", "border", "vehicle_class", "commercial", "graphic"),
    [
        (ColorScheme.PRIVATE, W, G, None, REG, False, False),
        (ColorScheme.COMMERCIAL, G, W, None, REG, True, False),
        (ColorScheme.PRIVATE_KEI, Y, B, None, KEI, False, False),
        (ColorScheme.COMMERCIAL_KEI, B, Y, None, KEI, True, False),
        (ColorScheme.GRAPHIC, W, G, None, REG, False, True),
        (ColorScheme.GRAPHIC_COMMERCIAL, W, G, G, REG, True, True),
        (ColorScheme.GRAPHIC_KEI, W, G, Y, KEI, False, True),
    ],
)
def test_each_scheme_has_its_colours_class_and_use(
    scheme: ColorScheme,
    background: PlateColor,
    characters: PlateColor,
    border: PlateColor | None,
    vehicle_class: VehicleClass,
    commercial: bool,
    graphic: bool,
) -> None:
    assert scheme.background is background
    assert scheme.characters is characters
    assert scheme.border is border
    assert scheme.vehicle_class is vehicle_class
    assert scheme.is_commercial is commercial
    assert scheme.is_graphic is graphic


def test_private_schemes_allow_private_rental_and_us_forces_usages() -> None:
    for scheme in ColorScheme:
        if not scheme.is_commercial:
            assert scheme.usages == {Usage.PRIVATE, Usage.RENTAL, Usage.US_FORCES}


def test_commercial_schemes_allow_only_the_commercial_usage() -> None:
    for scheme in ColorScheme:
        if scheme.is_commercial:
            assert scheme.usages == {Usage.COMMERCIAL}


def test_schemes_are_strings_and_parse_from_their_values() -> None:
    assert ColorScheme("private_kei") is ColorScheme.PRIVATE_KEI
    assert isinstance(ColorScheme.PRIVATE_KEI, str)
    assert ColorScheme.PRIVATE_KEI.value == "private_kei"


@pytest.mark.parametrize(
    ("kana", "allowed"),
    [
        ("さ", {"private", "graphic", "private_kei", "graphic_kei"}),
        ("あ", {"commercial", "graphic_commercial", "private_kei", "graphic_kei"}),
        ("わ", {"private", "graphic", "private_kei", "graphic_kei"}),
        ("れ", {"private", "graphic", "commercial_kei"}),
        ("り", {"private", "graphic", "commercial_kei"}),
        ("よ", {"private", "graphic", "private_kei", "graphic_kei"}),
        ("Y", {"private", "graphic"}),
        ("A", {"private_kei", "graphic_kei"}),
        ("お", set()),
    ],
)
def test_schemes_that_allow_each_kana(kana: str, allowed: set[str]) -> None:
    assert {s.value for s in ColorScheme if scheme_allows_kana(s, kana)} == allowed


@given(st.sampled_from(list(ColorScheme)), st.sampled_from(KANA))
def test_a_scheme_allows_a_kana_exactly_when_its_usage_fits(scheme: ColorScheme, kana: str) -> None:
    usage = kana_usage(kana, scheme.vehicle_class)
    assert scheme_allows_kana(scheme, kana) == (usage is not None and usage in scheme.usages)


def test_every_kana_fits_some_scheme() -> None:
    for kana in KANA:
        assert any(scheme_allows_kana(s, kana) for s in ColorScheme), kana


def test_scheme_allows_kana_takes_scheme_names_and_lenient_kana() -> None:
    assert scheme_allows_kana("commercial_kei", "レ")


def test_an_unknown_scheme_name_is_rejected_with_field_scheme() -> None:
    with pytest.raises(InvalidPlateError, match="unknown scheme") as info:
        scheme_allows_kana("blue", "さ")
    assert info.value.field == "scheme"


@pytest.mark.parametrize(
    ("color", "schemes"),
    [
        (W, ("private", "graphic", "graphic_commercial", "graphic_kei")),
        ("green", ("commercial",)),
        ("yellow", ("private_kei",)),
        (B, ("commercial_kei",)),
    ],
)
def test_schemes_for_background(color: PlateColor | str, schemes: tuple[str, ...]) -> None:
    assert tuple(s.value for s in schemes_for_background(color)) == schemes


def test_an_unknown_background_colour_is_rejected_with_field_scheme() -> None:
    with pytest.raises(InvalidPlateError, match="unknown colour") as info:
        schemes_for_background("blue")
    assert info.value.field == "scheme"
