"""draw_plates: outlines and labels, Japanese with a capable font, romaji without one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from jlpr.draw import (
    FONT_ENV_VAR,
    KANA_ROMAJI,
    draw_plates,
    find_font,
    kana_to_romaji,
    plate_label,
    romaji_text,
)
from jlpr.errors import ConfigError, ImageError
from jlpr.rules import HIRAGANA
from jlpr.types import Box, Plate, Quad

LATIN = "abcdefghijklmnopqrstuvwxyz0123456789-.?"
JAPANESE = LATIN + "品川さ・"


def make_font(path: Path, chars: str) -> Path:
    """A tiny TrueType font whose glyphs for ``chars`` are filled boxes (and .notdef is empty)."""
    builder_module = pytest.importorskip("fontTools.fontBuilder")
    pen_module = pytest.importorskip("fontTools.pens.ttGlyphPen")
    names = {char: f"uni{ord(char):04X}" for char in chars}
    order = [".notdef", "space", *names.values()]
    builder = builder_module.FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap({32: "space", **{ord(c): name for c, name in names.items()}})

    def box() -> object:
        pen = pen_module.TTGlyphPen(None)
        pen.moveTo((100, 0))
        pen.lineTo((100, 700))
        pen.lineTo((500, 700))
        pen.lineTo((500, 0))
        pen.closePath()
        return pen.glyph()

    empty = pen_module.TTGlyphPen(None).glyph()
    builder.setupGlyf({".notdef": empty, "space": empty, **{n: box() for n in names.values()}})
    builder.setupHorizontalMetrics({name: (600, 100) for name in order})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "JlprTest", "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=800, usWinAscent=800, usWinDescent=200)
    builder.setupPost()
    builder.save(str(path))
    return path


@pytest.fixture
def japanese_font(tmp_path: Path) -> Path:
    return make_font(tmp_path / "japanese.ttf", JAPANESE)


@pytest.fixture
def latin_font(tmp_path: Path) -> Path:
    return make_font(tmp_path / "latin.ttf", LATIN)


@pytest.fixture
def plate() -> Plate:
    located = Plate.parse("品川330さ12-34")
    return located.with_location(Box(20, 30, 120, 80), Quad.from_box(Box(20, 30, 120, 80)), 0.9)


def scene() -> np.ndarray:
    return np.full((200, 300, 3), 90, dtype=np.uint8)


def test_romaji_table_covers_the_42_plate_hiragana() -> None:
    assert set(KANA_ROMAJI) == set(HIRAGANA)
    assert len(KANA_ROMAJI) == 42
    assert kana_to_romaji("さ") == "sa"
    assert kana_to_romaji("を") == "wo"


def test_latin_kana_of_us_forces_plates_stay_as_they_are() -> None:
    assert kana_to_romaji("Y") == "Y"


def test_romaji_text_spells_every_field_in_ascii(plate: Plate) -> None:
    assert romaji_text(plate) == "shinagawa 330 sa 12-34"
    assert romaji_text(Plate.parse("品川300さ12")) == "shinagawa 300 sa ..12"
    assert romaji_text(plate).isascii()


def test_romaji_text_shows_unreadable_fields_as_question_marks() -> None:
    assert romaji_text(Plate(None, None, None, None)) == "? ? ? ?"


def test_label_holds_the_text_and_the_confidence(plate: Plate) -> None:
    assert plate_label(plate) == "品川 330 さ 12-34  1.00"
    assert plate_label(plate, romaji=True) == "shinagawa 330 sa 12-34  1.00"


def test_drawing_returns_an_rgb_copy_and_leaves_the_input_alone(plate: Plate) -> None:
    image = scene()
    before = image.copy()
    drawn = draw_plates(image, [plate], romaji=True)
    assert isinstance(drawn, Image.Image)
    assert drawn.mode == "RGB" and drawn.size == (300, 200)
    np.testing.assert_array_equal(image, before)
    assert (np.asarray(drawn) != before).any()


def test_the_outline_follows_the_plate_corners(plate: Plate) -> None:
    drawn = np.asarray(draw_plates(scene(), [plate], romaji=True))
    assert tuple(drawn[55, 20]) != (90, 90, 90), "left edge of the quad is drawn"
    assert tuple(drawn[55, 70]) == (90, 90, 90), "inside of the quad is untouched"


def test_japanese_labels_are_drawn_with_a_font_that_has_the_glyphs(
    plate: Plate, japanese_font: Path
) -> None:
    auto = np.asarray(draw_plates(scene(), [plate], font_path=japanese_font))
    japanese = np.asarray(draw_plates(scene(), [plate], font_path=japanese_font, romaji=False))
    spelled = np.asarray(draw_plates(scene(), [plate], font_path=japanese_font, romaji=True))
    np.testing.assert_array_equal(auto, japanese)
    assert (auto != spelled).any()


def test_labels_fall_back_to_romaji_when_the_font_lacks_japanese_glyphs(
    plate: Plate, latin_font: Path
) -> None:
    auto = np.asarray(draw_plates(scene(), [plate], font_path=latin_font))
    spelled = np.asarray(draw_plates(scene(), [plate], font_path=latin_font, romaji=True))
    np.testing.assert_array_equal(auto, spelled)


def test_asking_for_japanese_without_a_capable_font_is_a_config_error(
    plate: Plate, latin_font: Path
) -> None:
    with pytest.raises(ConfigError, match="romaji=True"):
        draw_plates(scene(), [plate], font_path=latin_font, romaji=False)


def test_a_missing_font_path_is_a_config_error(plate: Plate, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such font file"):
        draw_plates(scene(), [plate], font_path=tmp_path / "nope.ttf")


def test_the_font_environment_variable_is_used(
    japanese_font: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FONT_ENV_VAR, str(japanese_font))
    assert find_font() == japanese_font


def test_a_bad_font_environment_variable_only_warns(
    plate: Plate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FONT_ENV_VAR, str(tmp_path / "nope.ttf"))
    with pytest.warns(UserWarning, match=FONT_ENV_VAR):
        drawn = draw_plates(scene(), [plate], romaji=True)
    assert drawn.size == (300, 200)


def test_plates_with_unreadable_fields_and_no_location_do_not_crash() -> None:
    unreadable = Plate(None, None, None, None, confidence=0.1)
    boxed_only = Plate.parse("品川330さ12-34").with_location(Box(5, 5, 60, 40), None)
    drawn = draw_plates(scene(), [unreadable, boxed_only, unreadable])
    assert drawn.size == (300, 200)
    assert (np.asarray(drawn)[:10, :10] != 90).any(), "unplaced plates are listed top-left"


def test_a_plate_at_the_top_edge_gets_its_label_inside_the_image(plate: Plate) -> None:
    top = plate.with_location(Box(0, 0, 100, 40), None)
    drawn = draw_plates(scene(), [top], romaji=True)
    assert drawn.size == (300, 200)


def test_no_plates_draw_nothing() -> None:
    np.testing.assert_array_equal(np.asarray(draw_plates(scene(), [])), scene())


def test_drawing_accepts_paths_and_reports_bad_ones(plate: Plate, tmp_path: Path) -> None:
    path = tmp_path / "car.png"
    Image.fromarray(scene()).save(path)
    assert draw_plates(path, [plate], romaji=True).size == (300, 200)
    with pytest.raises(ImageError):
        draw_plates(tmp_path / "missing.png", [plate])
