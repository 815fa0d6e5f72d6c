"""Geometry of the 中板 (330 x 165 mm) plate: where every field sits.

The plate renderer draws with these boxes and the field classifiers crop with them, so that
training images and reading agree on one layout.

Conventions:

* millimetre coordinates have their origin at the plate's top-left corner, x to the right and
  y down; the plate spans ``(0, 0)``-(``PLATE_SIZE_MM``);
* a **box** is ``(x0, y0, x1, y1)`` with ``x0 < x1`` and ``y0 < y1``; the functions without a
  ``_mm`` suffix return it **normalised** to the plate, i.e. in ``[0, 1]`` with ``(0, 0)`` the
  plate's top-left and ``(1, 1)`` its bottom-right corner;
* a **canonical crop** is the upright plate resampled to :data:`CANONICAL_SIZE`; the plate fills
  the crop edge to edge (no margin), so a normalised box times ``(width, height)`` is a pixel box
  in the crop.

Values from the 1962 ordinance (第一号様式, via ``/work/shared/jp-plates``): 40 x 40 mm region-name
and kana boxes, 40 h x 30 w mm classification digits, 80 h x 40 w mm designation digits with a
12 mm stroke, a 20 w x 12 h mm hyphen, 12 mm dots, 15 mm from the kana to the first digit,
35 mm from the kana to the first dot's centre, 27 mm wide characters for 4-character names
(1979). Every other position is an ESTIMATE measured by eye from photographs; those constants
are marked as such.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BOLT_CENTERS_MM",
    "BOLT_HOLE_DIAMETER_MM",
    "CANONICAL_SIZE",
    "CORNER_RADIUS_MM",
    "DESIGNATION_STROKE_MM",
    "DOT_DIAMETER_MM",
    "PLATE_SIZE_MM",
    "Box",
    "FieldBoxes",
    "classification_box",
    "classification_char_boxes_mm",
    "designation_box",
    "designation_cell_boxes_mm",
    "dot_box_mm",
    "field_boxes",
    "hyphen_box_mm",
    "kana_box",
    "kana_box_mm",
    "normalize",
    "office_box",
    "office_char_boxes_mm",
]

Box = tuple[float, float, float, float]
"""``(x0, y0, x1, y1)``, in millimetres or normalised to the plate (see the module doc)."""

PLATE_SIZE_MM: tuple[float, float] = (330.0, 165.0)
"""Width and height of the 中板 plate (ordinary cars and all kei cars)."""

CANONICAL_SIZE: tuple[int, int] = (256, 128)
"""``(width, height)`` in pixels of the canonical upright plate crop; the plate fills it."""

# --- facts (1962 ordinance; 1979 for 4-character names) ---------------------------------
NAME_CHAR_MM = 40.0
"""Width and height of a region-name character of a 1- or 2-character name."""
NAME_CHAR_4_WIDTH_MM = 27.0
"""Width of each character of a 4-character name (尾張小牧, 伊勢志摩)."""
ROW_CHAR_HEIGHT_MM = 40.0
"""Height of the upper-row characters (name and classification) and of the kana."""
CLASSIFICATION_DIGIT_WIDTH_MM = 30.0
"""Width of a classification digit when there are one or two of them."""
KANA_SIZE_MM = 40.0
DESIGNATION_DIGIT_MM = (40.0, 80.0)
"""Width and height of one designation digit cell."""
DESIGNATION_STROKE_MM = 12.0
HYPHEN_SIZE_MM = (20.0, 12.0)
"""Width and height of the hyphen of 4-digit designation numbers."""
DOT_DIAMETER_MM = 12.0
KANA_TO_FIRST_DIGIT_MM = 15.0
"""Gap between the kana box and the first designation cell (so the first dot's centre sits
35 mm right of the kana, the ordinance's other figure)."""

# --- estimates (not in any source found; measured by eye from photographs) ----------------
UPPER_ROW_TOP_MM = 15.0
"""ESTIMATE: top of the region name and classification number."""
DESIGNATION_TOP_MM = 68.0
"""ESTIMATE: top of the designation digits (their bottom is 17 mm above the plate edge)."""
KANA_LEFT_MM = 17.0
"""ESTIMATE: left edge of the kana box."""
KANA_TOP_MM = 95.0
"""ESTIMATE: the kana sits a little below the middle of the designation digits."""
DIGIT_GAP_MM = 9.0
"""ESTIMATE: gap between the two digits of a pair (cells 1-2 and 3-4)."""
HYPHEN_GAP_MM = 20.0
"""ESTIMATE: gap between cell 2 or cell 3 and the hyphen slot."""
UPPER_SPLIT_MM = 178.0
"""ESTIMATE: names of up to 3 characters end 4 mm left of this x, classification numbers start
4 mm right of it (photos show the split a little right of the plate centre)."""
UPPER_SPLIT_GAP_MM = 4.0
NAME_GAP_MM = {1: 0.0, 2: 5.0, 3: 3.0, 4: 1.0}
"""ESTIMATE: gap between name characters, by name length."""
NAME_CHAR_WIDTH_MM = {1: 40.0, 2: 40.0, 3: 32.0, 4: NAME_CHAR_4_WIDTH_MM}
"""Name character width by name length (3 characters: ESTIMATE, compressed to clear the bolt)."""
NAME_4_LEFT_MM = 70.0
"""ESTIMATE: 4-character names start here, just right of the left bolt head."""
CLASSIFICATION_WIDTH_MM = {1: 30.0, 2: 30.0, 3: 24.0}
"""Classification character width by count (3 characters: ESTIMATE)."""
CLASSIFICATION_WIDTH_AFTER_4_MM = {1: 30.0, 2: 27.0, 3: 22.0}
"""Classification character width after a 4-character name (1979: 27 mm, 30 mm for one
digit; 3 characters: ESTIMATE)."""
CLASSIFICATION_GAP_MM = {1: 0.0, 2: 4.0, 3: 3.0}
"""ESTIMATE: gap between classification characters, by count."""
BOLT_CENTERS_MM: tuple[tuple[float, float], tuple[float, float]] = ((60.0, 24.0), (270.0, 24.0))
"""ESTIMATE: the two top bolt holes (210 mm pitch as one open renderer uses; unverified)."""
BOLT_HOLE_DIAMETER_MM = 8.0
"""ESTIMATE (unverified 8 mm holes)."""
CORNER_RADIUS_MM = 9.0
"""ESTIMATE: radius of the plate's rounded corners."""


def _span(left: float, widths: list[float], gap: float) -> list[tuple[float, float]]:
    spans = []
    x = left
    for w in widths:
        spans.append((x, x + w))
        x += w + gap
    return spans


def _check_count(name: str, n: int, allowed: range) -> None:
    if n not in allowed:
        raise ValueError(f"{name} must be in {allowed.start}..{allowed.stop - 1}, got {n}")


def office_char_boxes_mm(n_chars: int) -> list[Box]:
    """Millimetre boxes of each character of a region name of ``n_chars`` (1-4) characters."""
    _check_count("n_chars", n_chars, range(1, 5))
    width = NAME_CHAR_WIDTH_MM[n_chars]
    gap = NAME_GAP_MM[n_chars]
    total = n_chars * width + (n_chars - 1) * gap
    # Names of up to 3 characters end at the split; 4-character ones start by the left bolt.
    left = NAME_4_LEFT_MM if n_chars == 4 else UPPER_SPLIT_MM - UPPER_SPLIT_GAP_MM - total
    top, bottom = UPPER_ROW_TOP_MM, UPPER_ROW_TOP_MM + ROW_CHAR_HEIGHT_MM
    return [(x0, top, x1, bottom) for x0, x1 in _span(left, [width] * n_chars, gap)]


def classification_char_boxes_mm(n_chars: int, office_chars: int = 2) -> list[Box]:
    """Millimetre boxes of each character of a classification number of ``n_chars`` (1-3).

    The number starts right of the region name, so its place depends on ``office_chars``, the
    length of the name (only 4-character names move it).
    """
    _check_count("n_chars", n_chars, range(1, 4))
    _check_count("office_chars", office_chars, range(1, 5))
    if office_chars == 4:
        name_right = office_char_boxes_mm(4)[-1][2]
        left = name_right + 2 * UPPER_SPLIT_GAP_MM
        width = CLASSIFICATION_WIDTH_AFTER_4_MM[n_chars]
    else:
        left = UPPER_SPLIT_MM + UPPER_SPLIT_GAP_MM
        width = CLASSIFICATION_WIDTH_MM[n_chars]
    gap = CLASSIFICATION_GAP_MM[n_chars]
    top, bottom = UPPER_ROW_TOP_MM, UPPER_ROW_TOP_MM + ROW_CHAR_HEIGHT_MM
    return [(x0, top, x1, bottom) for x0, x1 in _span(left, [width] * n_chars, gap)]


def kana_box_mm() -> Box:
    """Millimetre box of the kana (or Latin letter) at the lower left."""
    return (KANA_LEFT_MM, KANA_TOP_MM, KANA_LEFT_MM + KANA_SIZE_MM, KANA_TOP_MM + KANA_SIZE_MM)


def designation_cell_boxes_mm() -> list[Box]:
    """Millimetre boxes of the four designation cells, left to right.

    Digits are right-aligned in the cells; unused leading cells carry a dot.
    """
    width, height = DESIGNATION_DIGIT_MM
    top, bottom = DESIGNATION_TOP_MM, DESIGNATION_TOP_MM + height
    first = kana_box_mm()[2] + KANA_TO_FIRST_DIGIT_MM
    second = first + width + DIGIT_GAP_MM
    third = second + width + 2 * HYPHEN_GAP_MM + HYPHEN_SIZE_MM[0]
    fourth = third + width + DIGIT_GAP_MM
    return [(x, top, x + width, bottom) for x in (first, second, third, fourth)]


def hyphen_box_mm() -> Box:
    """Millimetre box of the hyphen (4-digit numbers only; the slot is blank otherwise)."""
    cells = designation_cell_boxes_mm()
    x0 = cells[1][2] + HYPHEN_GAP_MM
    cy = (cells[0][1] + cells[0][3]) / 2
    w, h = HYPHEN_SIZE_MM
    return (x0, cy - h / 2, x0 + w, cy + h / 2)


def dot_box_mm(cell: int) -> Box:
    """Millimetre box of the round dot (・) that fills unused designation cell ``cell`` (0-3)."""
    _check_count("cell", cell, range(0, 4))
    x0, y0, x1, y1 = designation_cell_boxes_mm()[cell]
    cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, DOT_DIAMETER_MM / 2
    return (cx - r, cy - r, cx + r, cy + r)


def normalize(box: Box) -> Box:
    """A millimetre box as a fraction of the plate's width and height."""
    w, h = PLATE_SIZE_MM
    return (box[0] / w, box[1] / h, box[2] / w, box[3] / h)


def _union(boxes: list[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def office_box(n_chars: int = 2) -> Box:
    """Normalised box around a region name of ``n_chars`` (1-4) characters."""
    return normalize(_union(office_char_boxes_mm(n_chars)))


def classification_box(n_chars: int = 3, office_chars: int = 2) -> Box:
    """Normalised box around a classification number of ``n_chars`` (1-3) characters."""
    return normalize(_union(classification_char_boxes_mm(n_chars, office_chars)))


def kana_box() -> Box:
    """Normalised box of the kana."""
    return normalize(kana_box_mm())


def designation_box() -> Box:
    """Normalised box around the four designation cells (dots and hyphen included)."""
    return normalize(_union(designation_cell_boxes_mm()))


@dataclass(frozen=True)
class FieldBoxes:
    """Normalised boxes of every field of one plate (see :func:`field_boxes`)."""

    office: Box
    classification: Box
    kana: Box
    designation: Box
    office_chars: tuple[Box, ...]
    classification_chars: tuple[Box, ...]
    designation_cells: tuple[Box, Box, Box, Box]
    hyphen: Box


def field_boxes(office_chars: int = 2, classification_chars: int = 3) -> FieldBoxes:
    """All normalised field boxes of a plate with the given name and classification lengths."""
    cells = [normalize(b) for b in designation_cell_boxes_mm()]
    return FieldBoxes(
        office=office_box(office_chars),
        classification=classification_box(classification_chars, office_chars),
        kana=kana_box(),
        designation=designation_box(),
        office_chars=tuple(normalize(b) for b in office_char_boxes_mm(office_chars)),
        classification_chars=tuple(
            normalize(b) for b in classification_char_boxes_mm(classification_chars, office_chars)
        ),
        designation_cells=(cells[0], cells[1], cells[2], cells[3]),
        hyphen=normalize(hyphen_box_mm()),
    )
