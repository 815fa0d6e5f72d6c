"""Typed results: validation, derived values and JSON round trips."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jlpr import Box, ColorScheme, Field, FieldReading, InvalidPlateError, Plate, Quad, Usage
from jlpr.rules import KANA, OFFICES, VehicleClass, kana_usage
from jlpr.types import Alternative, PlateRegion, RectifyMethod


def test_plate_parse_gives_the_canonical_fields() -> None:
    plate = Plate.parse("品川330さ12-34")
    assert plate.office is not None and plate.office.romaji == "shinagawa"
    assert (plate.classification, plate.kana, plate.designation) == ("330", "さ", 1234)
    assert plate.designation_text == "12-34"
    assert plate.text == "品川 330 さ 12-34"
    assert plate.is_complete


def test_short_designations_are_dot_padded_in_text() -> None:
    assert Plate.parse("品川 330 さ 12").text == "品川 330 さ ・・12"


def test_usage_comes_from_kana_and_vehicle_class() -> None:
    assert Plate.parse("品川330さ1234").usage is Usage.PRIVATE
    assert Plate.parse("品川330わ1234").usage is Usage.RENTAL
    # あ is commercial on registered plates, private on kei plates: ambiguous without scheme.
    assert Plate.parse("品川330あ1234").usage is None
    assert Plate.parse("品川580あ1234", scheme="private_kei").usage is Usage.PRIVATE
    assert Plate.parse("品川330あ1234", scheme=ColorScheme.COMMERCIAL).usage is Usage.COMMERCIAL


def test_scheme_gives_vehicle_class() -> None:
    assert Plate.parse("佐賀581せ18-32", scheme="private_kei").vehicle_class is VehicleClass.KEI


def test_a_kana_that_the_scheme_cannot_carry_is_rejected_with_the_field_named() -> None:
    # り is commercial on kei plates, so it cannot be on a private (yellow) kei plate.
    with pytest.raises(InvalidPlateError) as info:
        Plate.parse("佐賀581り18-32", scheme="private_kei")
    assert info.value.field == "kana"


@pytest.mark.parametrize(
    "build",
    [
        lambda: Plate.parse("品川330さ12-34", scheme="yellow"),
        lambda: Plate.from_fields("品川", "330", "さ", 1234, scheme="blue"),
        lambda: Plate(office=None, classification=None, kana=None, designation=None, scheme="x"),  # type: ignore[arg-type]
        lambda: Plate.from_dict({"scheme": "green"}),
    ],
)
def test_an_unknown_scheme_name_is_a_plate_error_naming_the_field(
    build: Callable[[], Plate],
) -> None:
    with pytest.raises(InvalidPlateError, match="unknown scheme; one of private") as info:
        build()
    assert info.value.field == "scheme"


def test_a_scheme_given_by_its_value_is_stored_as_the_enum() -> None:
    plate = Plate(office=None, classification=None, kana="さ", designation=None, scheme="private")  # type: ignore[arg-type]
    assert plate.scheme is ColorScheme.PRIVATE


@pytest.mark.parametrize("number", [0, 10000, -1])
def test_designation_out_of_range_is_rejected(number: int) -> None:
    with pytest.raises(InvalidPlateError) as info:
        Plate(office=OFFICES[0], classification="330", kana="さ", designation=number)
    assert info.value.field == "designation"


def test_unreadable_fields_show_as_question_marks() -> None:
    plate = Plate(office=None, classification="330", kana=None, designation=12)
    assert plate.text == "? 330 ? ・・12"
    assert not plate.is_complete


def _plates() -> st.SearchStrategy[Plate]:
    def build(office: int, cls: str, kana: str, number: int, scheme: ColorScheme | None) -> Plate:
        if scheme is not None and kana_usage(kana, scheme.vehicle_class) not in scheme.usages:
            scheme = None
        return Plate(
            office=OFFICES[office],
            classification=cls,
            kana=kana,
            designation=number,
            scheme=scheme,
            confidence=0.5,
            box=Box(1, 2, 30.5, 40),
            corners=Quad(((1, 2), (30, 3), (29, 40), (2, 39))),
            detection_score=0.9,
            rectification=RectifyMethod.PERSPECTIVE,
            readings={
                Field.KANA: FieldReading(
                    Field.KANA, kana, 0.7, (Alternative(kana, 0.7), Alternative("さ", 0.1))
                )
            },
        )

    return st.builds(
        build,
        st.integers(0, len(OFFICES) - 1),
        st.from_regex(r"\A[0-9][0-9ACFHKLMPXY]{0,2}\Z"),
        st.sampled_from(KANA),
        st.integers(1, 9999),
        st.none() | st.sampled_from(list(ColorScheme)),
    )


@given(_plates())
def test_plate_json_round_trips(plate: Plate) -> None:
    again = Plate.from_json(plate.to_json())
    assert again == plate
    assert json.loads(plate.to_json())["text"] == plate.text


def test_box_and_quad_geometry() -> None:
    box = Box.from_xywh(10, 20, 30, 40)
    assert (box.x2, box.y2, box.area, box.center) == (40, 60, 1200, (25, 40))
    assert box.iou(box) == 1.0 and box.iou(Box(100, 100, 110, 110)) == 0.0
    assert box.intersection(Box(30, 50, 100, 100)) == 100  # 10 x 10 corner
    assert box.intersection(Box(100, 100, 110, 110)) == 0.0
    quad = Quad.from_box(box)
    assert quad.to_box() == box and quad.is_convex()
    assert Quad((quad.tl, quad.bl, quad.br, quad.tr)).is_convex() is False  # counter-clockwise


def test_invalid_geometry_is_refused() -> None:
    with pytest.raises(ValueError):
        Box(10, 0, 5, 5)
    with pytest.raises(ValueError):
        Quad.from_points([(0, 0), (1, 0), (1, 1)])
    with pytest.raises(ValueError):
        Box(float("nan"), 0, 1, 1)


def test_region_and_reading_round_trip() -> None:
    region = PlateRegion(Box(0, 0, 10, 5), 0.8, Quad.from_box(Box(0, 0, 10, 5)))
    assert PlateRegion.from_dict(json.loads(json.dumps(region.to_dict()))) == region
    reading = FieldReading.from_probabilities(
        Field.OFFICE, ["品川", "練馬", "足立"], [0.1, 0.7, 0.2]
    )
    assert reading.value == "練馬" and reading.confidence == 0.7
    assert [a.value for a in reading.alternatives] == ["練馬", "足立", "品川"]
    assert FieldReading.from_dict(json.loads(json.dumps(reading.to_dict()))) == reading
