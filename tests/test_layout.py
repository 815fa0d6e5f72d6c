"""Plate geometry: the 中板 field boxes the renderer draws in and the classifiers crop from."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import pytest

from jlpr import layout
from jlpr.layout import Box

WIDTH_MM, HEIGHT_MM = layout.PLATE_SIZE_MM
LENGTHS = list(itertools.product((1, 2, 3, 4), (1, 2, 3)))
"""Every (region-name length, classification length) pair that occurs."""


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _size(box: Box) -> tuple[float, float]:
    return (box[2] - box[0], box[3] - box[1])


def _all_lettering_boxes(office_chars: int, classification_chars: int) -> list[Box]:
    return [
        *layout.office_char_boxes_mm(office_chars),
        *layout.classification_char_boxes_mm(classification_chars, office_chars),
        layout.kana_box_mm(),
        *layout.designation_cell_boxes_mm(),
        layout.hyphen_box_mm(),
    ]


def test_plate_is_330_by_165_mm_and_canonical_crop_is_256_by_128() -> None:
    assert layout.PLATE_SIZE_MM == (330.0, 165.0)
    assert layout.CANONICAL_SIZE == (256, 128)
    assert layout.CANONICAL_SIZE[0] / layout.CANONICAL_SIZE[1] == WIDTH_MM / HEIGHT_MM


def test_designation_cells_are_80_by_40_mm_and_hyphen_20_by_12_mm() -> None:
    for cell in layout.designation_cell_boxes_mm():
        assert _size(cell) == (40.0, 80.0)
    assert _size(layout.hyphen_box_mm()) == (20.0, 12.0)
    assert layout.DESIGNATION_STROKE_MM == 12.0


def test_kana_and_short_name_characters_are_40_mm_squares() -> None:
    assert _size(layout.kana_box_mm()) == (40.0, 40.0)
    for n in (1, 2):
        for box in layout.office_char_boxes_mm(n):
            assert _size(box) == (40.0, 40.0)


def test_four_character_names_use_27_mm_wide_characters() -> None:
    for box in layout.office_char_boxes_mm(4):
        assert _size(box) == (27.0, 40.0)


def test_one_and_two_digit_classification_numbers_use_30_mm_wide_digits() -> None:
    for n in (1, 2):
        for box in layout.classification_char_boxes_mm(n):
            assert _size(box) == (30.0, 40.0)


def test_first_digit_starts_15_mm_after_the_kana() -> None:
    kana_right = layout.kana_box_mm()[2]
    assert layout.designation_cell_boxes_mm()[0][0] - kana_right == 15.0


def test_first_dot_centre_is_35_mm_after_the_kana() -> None:
    x0, _, x1, _ = layout.dot_box_mm(0)
    assert (x0 + x1) / 2 - layout.kana_box_mm()[2] == 35.0
    assert x1 - x0 == layout.DOT_DIAMETER_MM == 12.0


def test_dots_and_hyphen_sit_on_the_middle_of_the_digit_row() -> None:
    cells = layout.designation_cell_boxes_mm()
    middle = (cells[0][1] + cells[0][3]) / 2
    hyphen = layout.hyphen_box_mm()
    assert (hyphen[1] + hyphen[3]) / 2 == middle
    for cell in range(4):
        dot = layout.dot_box_mm(cell)
        assert (dot[1] + dot[3]) / 2 == middle
        assert cells[cell][0] < dot[0] and dot[2] < cells[cell][2]


def test_hyphen_slot_lies_between_the_second_and_third_cells() -> None:
    cells = layout.designation_cell_boxes_mm()
    hyphen = layout.hyphen_box_mm()
    assert cells[1][2] < hyphen[0] and hyphen[2] < cells[2][0]
    left_gap = hyphen[0] - cells[1][2]
    right_gap = cells[2][0] - hyphen[2]
    assert left_gap == right_gap


@pytest.mark.parametrize(("office_chars", "classification_chars"), LENGTHS)
def test_every_field_lies_inside_the_plate_and_no_two_overlap(
    office_chars: int, classification_chars: int
) -> None:
    boxes = _all_lettering_boxes(office_chars, classification_chars)
    for box in boxes:
        assert 0 < box[0] < box[2] < WIDTH_MM and 0 < box[1] < box[3] < HEIGHT_MM
    for a, b in itertools.combinations(boxes, 2):
        assert not _overlap(a, b), (a, b)


@pytest.mark.parametrize(("office_chars", "classification_chars"), LENGTHS)
def test_bolt_holes_stay_clear_of_the_lettering(
    office_chars: int, classification_chars: int
) -> None:
    r = layout.BOLT_HOLE_DIAMETER_MM / 2
    for cx, cy in layout.BOLT_CENTERS_MM:
        for x0, y0, x1, y1 in _all_lettering_boxes(office_chars, classification_chars):
            nearest = (min(max(cx, x0), x1), min(max(cy, y0), y1))
            assert math.dist(nearest, (cx, cy)) > r


def test_bolt_holes_are_210_mm_apart_and_symmetric() -> None:
    (lx, ly), (rx, ry) = layout.BOLT_CENTERS_MM
    assert rx - lx == 210.0 and ly == ry
    assert lx == WIDTH_MM - rx


def test_classification_follows_the_name_on_the_upper_row() -> None:
    for office_chars in (1, 2, 3, 4):
        name = layout.office_char_boxes_mm(office_chars)
        for n in (1, 2, 3):
            number = layout.classification_char_boxes_mm(n, office_chars)
            assert name[-1][2] < number[0][0]
            assert name[0][1] == number[0][1] and name[0][3] == number[0][3]


def test_normalized_boxes_are_fractions_of_the_plate() -> None:
    fields = layout.field_boxes(office_chars=2, classification_chars=3)
    for box in (fields.office, fields.classification, fields.kana, fields.designation):
        assert 0.0 <= box[0] < box[2] <= 1.0 and 0.0 <= box[1] < box[3] <= 1.0
    x0, y0, x1, y1 = layout.kana_box_mm()
    assert fields.kana == (x0 / WIDTH_MM, y0 / HEIGHT_MM, x1 / WIDTH_MM, y1 / HEIGHT_MM)
    assert layout.kana_box() == fields.kana
    assert layout.designation_box() == fields.designation


def test_field_boxes_contain_their_character_boxes() -> None:
    fields = layout.field_boxes(office_chars=3, classification_chars=2)
    assert len(fields.office_chars) == 3 and len(fields.classification_chars) == 2
    for outer, inner in [
        *((fields.office, b) for b in fields.office_chars),
        *((fields.classification, b) for b in fields.classification_chars),
        *((fields.designation, b) for b in fields.designation_cells),
        (fields.designation, fields.hyphen),
    ]:
        assert outer[0] <= inner[0] and inner[2] <= outer[2]
        assert outer[1] <= inner[1] and inner[3] <= outer[3]


@pytest.mark.parametrize(
    ("call", "arg"),
    [
        (layout.office_box, 0),
        (layout.office_box, 5),
        (layout.classification_box, 4),
        (layout.dot_box_mm, 4),
    ],
)
def test_out_of_range_counts_are_rejected(call: Callable[[int], object], arg: int) -> None:
    with pytest.raises(ValueError):
        call(arg)
