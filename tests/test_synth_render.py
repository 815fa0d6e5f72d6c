"""The plate renderer, its glyphs, fonts and plate sampling: what a rendering promises."""

from __future__ import annotations

import dataclasses
import os
import shutil
import struct
from collections import Counter
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import ImageFont

from jlpr import layout
from jlpr.errors import ConfigError
from jlpr.rules import HIRAGANA, KANA, OFFICES, ColorScheme, PlateColor, scheme_allows_kana
from jlpr.synth import fonts as font_search
from jlpr.synth.glyphs import SUPPORTED_GLYPHS, GlyphStyle, glyph_mask
from jlpr.synth.render import (
    BACKGROUND_RGB,
    CHARACTER_RGB,
    FrameKind,
    RenderedPlate,
    RenderStyle,
    render_plate,
)
from jlpr.synth.sampling import allowed_kana, random_plate
from jlpr.types import Plate

needs_fonts = pytest.mark.skipif(
    not font_search.find_japanese_fonts(),
    reason='needs a Japanese font: pip install "jlpr[train]"',
)

CLEAN = RenderStyle(emboss=0.0, rim=False, seal=False, bolts=False, glare=0.0, dirt=0.0, wear=0.0)
"""A flat style: every pixel is background or character colour (up to anti-aliasing)."""


def _no_frame(style: RenderStyle) -> RenderStyle:
    return dataclasses.replace(style, frame=FrameKind.NONE, bolt_cover=-1)


def _opaque_box(alpha: npt.NDArray[np.uint8]) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` of the pixels at least half opaque, in pixel-edge coordinates."""
    ys, xs = np.nonzero(alpha >= 128)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _nearest_background(pixels: npt.NDArray[np.uint8]) -> PlateColor:
    """The background colour nearest to the median plate pixel."""
    median = np.median(pixels.reshape(-1, 3).astype(np.float32), axis=0)
    return min(BACKGROUND_RGB, key=lambda c: float(np.linalg.norm(median - BACKGROUND_RGB[c])))


# -- labels ---------------------------------------------------------------------------------


@needs_fonts
def test_each_rendering_is_labelled_with_exactly_the_plate_drawn() -> None:
    rng = np.random.default_rng(7)
    for _ in range(40):
        rendered = render_plate(rng=rng, width=128)
        plate = rendered.plate
        assert plate.is_complete and plate.scheme is not None
        assert Plate.parse(plate.text, scheme=plate.scheme) == plate


@needs_fonts
def test_a_given_plate_is_drawn_as_given() -> None:
    plate = Plate.parse("尾張小牧 3X0 あ ・・・1", scheme=ColorScheme.COMMERCIAL)
    rendered = render_plate(plate, rng=np.random.default_rng(0), width=128)
    assert rendered.plate == plate


@needs_fonts
def test_a_plate_without_scheme_gets_one_that_allows_its_kana() -> None:
    rng = np.random.default_rng(3)
    for text in ("品川 330 さ 12-34", "佐賀 581 せ 18-32", "横浜 300 Y 1", "大阪 500 り 4"):
        rendered = render_plate(Plate.parse(text), rng=rng, width=64)
        scheme = rendered.plate.scheme
        assert scheme is not None and rendered.plate.kana is not None
        assert scheme_allows_kana(scheme, rendered.plate.kana)


def test_an_incomplete_plate_or_bad_size_is_rejected() -> None:
    rng = np.random.default_rng(0)
    incomplete = Plate(office=OFFICES[0], classification="330", kana=None, designation=1)
    with pytest.raises(ValueError, match="incomplete"):
        render_plate(incomplete, rng=rng)
    with pytest.raises(ValueError, match="width"):
        render_plate(rng=rng, width=16)
    with pytest.raises(ValueError, match="margin"):
        render_plate(rng=rng, margin=-0.1)


# -- geometry -------------------------------------------------------------------------------


@needs_fonts
def test_without_margin_the_plate_fills_the_image_and_corners_are_its_corners() -> None:
    rendered = render_plate(rng=np.random.default_rng(1), width=256)
    assert rendered.image.shape == (128, 256, 3) and rendered.image.dtype == np.uint8
    assert rendered.alpha.shape == (128, 256) and rendered.alpha.dtype == np.uint8
    assert rendered.corners.dtype == np.float32
    np.testing.assert_array_equal(rendered.corners, [[0, 0], [256, 0], [256, 128], [0, 128]])
    assert (rendered.alpha[64, :] == 255).all() and (rendered.alpha[:, 128] == 255).all()


@needs_fonts
@pytest.mark.parametrize(("width", "margin"), [(256, 0.05), (200, 0.12), (311, 0.2)])
def test_with_margin_the_corners_lie_on_the_drawn_plate(width: int, margin: float) -> None:
    rng = np.random.default_rng(width)
    for _ in range(3):
        style = _no_frame(RenderStyle.random(rng))
        rendered = render_plate(rng=rng, width=width, margin=margin, style=style)
        (tlx, tly), (trx, try_), (brx, bry), (blx, bly) = rendered.corners.tolist()
        assert tly == try_ and bly == bry and tlx == blx and trx == brx
        assert trx - tlx == width and bry - tly == round(width / 2)
        box = _opaque_box(rendered.alpha)
        assert np.allclose(box, (tlx, tly, brx, bry), atol=1.0)
        alpha = rendered.alpha
        mid_x, mid_y = round((tlx + trx) / 2), round((tly + bly) / 2)
        # Each edge's midpoint: opaque just inside, transparent just outside.
        assert alpha[mid_y, round(tlx)] == 255 and alpha[mid_y, round(tlx) - 2] == 0
        assert alpha[mid_y, round(trx) - 1] == 255 and alpha[mid_y, round(trx) + 1] == 0
        assert alpha[round(tly), mid_x] == 255 and alpha[round(tly) - 2, mid_x] == 0
        assert alpha[round(bly) - 1, mid_x] == 255 and alpha[round(bly) + 1, mid_x] == 0
        # Rounded corners: transparent at the corner itself, opaque a little way in.
        r = layout.CORNER_RADIUS_MM / layout.PLATE_SIZE_MM[0] * width
        for (cx, cy), (sx, sy) in zip(
            rendered.corners.tolist(), [(1, 1), (-1, 1), (-1, -1), (1, -1)], strict=True
        ):
            outside = alpha[round(cy - sy * 2), round(cx - sx * 2)]
            inside = alpha[round(cy + sy * r), round(cx + sx * r)]
            assert outside == 0 and inside == 255
        assert (rendered.image[alpha == 0] == 0).all()


@needs_fonts
def test_frames_and_bolt_covers_stick_out_but_the_corners_stay_the_plates() -> None:
    rng = np.random.default_rng(5)
    style = dataclasses.replace(
        RenderStyle.random(rng), frame=FrameKind.CHROME, frame_mm=(8.0, 15.0, 12.0), bolt_cover=0
    )
    rendered = render_plate(rng=rng, width=256, margin=0.1, style=style)
    m = round(0.1 * 256)
    np.testing.assert_array_equal(
        rendered.corners, [[m, m], [m + 256, m], [m + 256, m + 128], [m, m + 128]]
    )
    x0, y0, x1, y1 = _opaque_box(rendered.alpha)
    assert x0 < m and y0 < m and x1 > m + 256 and y1 > m + 128


# -- determinism ----------------------------------------------------------------------------


@needs_fonts
def test_the_same_seed_gives_the_same_bytes() -> None:
    def draw(seed: int) -> list[RenderedPlate]:
        rng = np.random.default_rng(seed)
        return [render_plate(rng=rng, width=160, margin=0.08) for _ in range(5)]

    first, again, other = draw(11), draw(11), draw(12)
    for a, b in zip(first, again, strict=True):
        assert a.image.tobytes() == b.image.tobytes()
        assert a.alpha.tobytes() == b.alpha.tobytes()
        assert a.plate == b.plate and a.style == b.style
    assert any(a.image.tobytes() != c.image.tobytes() for a, c in zip(first, other, strict=True))


@needs_fonts
def test_a_plate_and_style_fix_the_pixels_whatever_the_generator() -> None:
    plate = Plate.parse("札幌 500 ち 88-88", scheme=ColorScheme.PRIVATE)
    style = RenderStyle.random(np.random.default_rng(2))
    a = render_plate(plate, rng=np.random.default_rng(0), style=style)
    b = render_plate(plate, rng=np.random.default_rng(99), style=style)
    assert a.image.tobytes() == b.image.tobytes()


# -- colours and lettering ------------------------------------------------------------------


@needs_fonts
@pytest.mark.parametrize("scheme", list(ColorScheme))
def test_every_scheme_renders_with_its_background_colour_dominant(scheme: ColorScheme) -> None:
    rng = np.random.default_rng(sum(map(ord, scheme.value)))
    for _ in range(4):
        # Any look but a glare spot, which can turn a black plate grey.
        style = dataclasses.replace(RenderStyle.random(rng), glare=0.0)
        rendered = render_plate(random_plate(rng, scheme), rng=rng, width=128, style=style)
        assert rendered.plate.scheme is scheme
        pixels = rendered.image[rendered.alpha == 255]
        assert _nearest_background(pixels) is scheme.background


@needs_fonts
@pytest.mark.parametrize(
    ("designation", "dots", "hyphen"),
    [(1, (0, 1, 2), False), (12, (0, 1), False), (123, (0,), False), (1234, (), True)],
)
def test_dots_fill_unused_cells_and_a_hyphen_only_joins_four_digits(
    designation: int, dots: tuple[int, ...], hyphen: bool
) -> None:
    plate = Plate.from_fields("品川", "330", "さ", designation, scheme=ColorScheme.PRIVATE)
    rendered = render_plate(plate, rng=np.random.default_rng(0), width=330, style=CLEAN)
    ink = np.asarray(CHARACTER_RGB[PlateColor.GREEN], dtype=np.float32)
    paper = np.asarray(BACKGROUND_RGB[PlateColor.WHITE], dtype=np.float32)

    def is_ink(box: layout.Box) -> bool:
        x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2  # 1 px per mm at width 330
        pixel = rendered.image[int(y), int(x)].astype(np.float32)
        return bool(np.linalg.norm(pixel - ink) < np.linalg.norm(pixel - paper))

    cells = layout.designation_cell_boxes_mm()
    for cell in range(4):
        x0, y0, x1, y1 = (round(v) for v in cells[cell])
        region = rendered.image[y0:y1, x0:x1].astype(np.float32)
        coverage = float((np.linalg.norm(region - paper, axis=2) > 60).mean())
        if cell in dots:
            assert is_ink(layout.dot_box_mm(cell))
            assert coverage < 0.06  # a 12 mm dot covers 3.5 % of a 40 x 80 mm cell
        else:
            assert coverage > 0.12  # a digit
    assert is_ink(layout.hyphen_box_mm()) == hyphen


@needs_fonts
def test_every_region_name_and_kana_is_drawn_in_its_boxes_with_every_font() -> None:
    for font in font_search.find_japanese_fonts():
        style = dataclasses.replace(CLEAN, name_font=font.name, kana_font=font.name)
        rng = np.random.default_rng(0)
        for i, office in enumerate(OFFICES):
            kana = KANA[i % len(KANA)]
            scheme = ColorScheme.PRIVATE
            if not scheme_allows_kana(scheme, kana):
                scheme = next(s for s in ColorScheme if scheme_allows_kana(s, kana))
            plate = Plate(office, "300", kana, 1, scheme=scheme)
            rendered = render_plate(plate, rng=rng, width=165, style=style)
            dark = rendered.image.astype(np.float32).mean(axis=2)
            background = np.median(dark)
            boxes = [*layout.office_char_boxes_mm(office.chars), layout.kana_box_mm()]
            for x0, y0, x1, y1 in boxes:  # 0.5 px per mm at width 165
                cell = dark[round(y0 / 2) : round(y1 / 2), round(x0 / 2) : round(x1 / 2)]
                coverage = float((np.abs(cell - background) > 60).mean())
                assert 0.08 < coverage < 0.9, (font.name, office.kanji, kana, coverage)


@needs_fonts
def test_thin_lettering_erodes_the_strokes_but_keeps_every_character() -> None:
    """The thinnest weight :meth:`RenderStyle.random` draws (-0.02 of the em) still leaves
    every character of every name and every hiragana visibly drawn, with less ink."""
    for font in font_search.find_japanese_fonts():
        regular = dataclasses.replace(CLEAN, name_font=font.name, kana_font=font.name)
        thin = dataclasses.replace(regular, name_bold=-0.02, kana_bold=-0.02)
        rng = np.random.default_rng(0)
        for i, office in enumerate(OFFICES):
            kana = HIRAGANA[i % len(HIRAGANA)]
            scheme = next(s for s in ColorScheme if scheme_allows_kana(s, kana))
            plate = Plate(office, "300", kana, 1, scheme=scheme)
            boxes = [*layout.office_char_boxes_mm(office.chars), layout.kana_box_mm()]
            ink = []
            for style in (regular, thin):
                dark = render_plate(plate, rng=rng, width=256, style=style).image.mean(axis=2)
                k = 256 / layout.PLATE_SIZE_MM[0]
                cells = [
                    dark[round(y0 * k) : round(y1 * k), round(x0 * k) : round(x1 * k)]
                    for x0, y0, x1, y1 in boxes
                ]
                background = np.median(dark)
                ink.append([float((np.abs(cell - background) > 60).mean()) for cell in cells])
            for full, eroded in zip(*ink, strict=True):
                assert 0.02 < eroded <= full, (font.name, office.kanji, kana, full, eroded)
            assert sum(ink[1]) < sum(ink[0]), (font.name, office.kanji)


# -- glyphs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("char", sorted(SUPPORTED_GLYPHS - {"-", "・"}))
def test_every_vector_glyph_fills_its_cell_from_top_to_bottom(char: str) -> None:
    mask = glyph_mask(char, 40, 80, 12.0)
    assert mask.shape == (80, 40) and mask.dtype == np.float32
    assert mask.min() >= 0.0 and mask.max() <= 1.0
    rows = np.nonzero(mask.max(axis=1) > 0.5)[0]
    assert rows[0] <= 1 and rows[-1] >= 78
    assert 0.1 < mask.mean() < 0.8


def test_the_dot_is_a_disc_and_the_hyphen_a_round_ended_bar() -> None:
    dot = glyph_mask("・", 12, 12, 12.0)
    assert abs(float(dot.sum()) - np.pi * 36) < 4.0
    assert dot[6, 6] == 1.0 and dot[0, 0] == 0.0
    hyphen = glyph_mask("-", 20, 12, 12.0)
    assert abs(float(hyphen.sum()) - (8 * 12 + np.pi * 36)) < 5.0
    assert hyphen[6, 1:19].min() > 0.9 and hyphen[0, 0] == 0.0


def test_glyph_styles_change_the_drawing_and_masks_are_cached() -> None:
    plain = glyph_mask("4", 40, 80, 12.0, GlyphStyle())
    assert glyph_mask("4", 40, 80, 12.0, GlyphStyle()) is plain
    assert not np.array_equal(plain, glyph_mask("4", 40, 80, 12.0, GlyphStyle(open_four=True)))
    assert not np.array_equal(plain, glyph_mask("4", 40, 80, 12.0, GlyphStyle(stroke=1.14)))
    # A variant that does not concern a glyph does not split its cache entry.
    assert glyph_mask("8", 40, 80, 12.0, GlyphStyle(open_four=True)) is glyph_mask(
        "8", 40, 80, 12.0, GlyphStyle()
    )
    with pytest.raises(KeyError):
        glyph_mask("Q", 40, 80, 12.0)


def test_random_glyph_styles_vary() -> None:
    rng = np.random.default_rng(0)
    styles = {GlyphStyle.random(rng) for _ in range(50)}
    assert len(styles) > 20


# -- fonts ----------------------------------------------------------------------------------


def _dejavu() -> Path | None:
    import matplotlib

    path = Path(matplotlib.__file__).parent / "mpl-data/fonts/ttf/DejaVuSans.ttf"
    return path if path.is_file() else None


@needs_fonts
def test_every_font_found_has_every_plate_character_drawn_not_as_notdef() -> None:
    for font in font_search.find_japanese_fonts():
        assert font.licence and font.source
        assert font_search.covers(font.path)
        # Independent of the cmap: each character draws differently from a missing one.
        assert font_search._pil_covers(str(font.path), font.index, font_search.REQUIRED_CHARS)
    assert set("".join(o.kanji for o in OFFICES)) <= set(font_search.REQUIRED_CHARS)
    assert set(HIRAGANA) <= set(font_search.REQUIRED_CHARS)
    assert {"ヶ", "い", "わ", "き"} <= set(font_search.REQUIRED_CHARS)


def test_fonts_lacking_plate_characters_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("matplotlib")
    latin = _dejavu()
    if latin is None:
        pytest.skip("no Latin-only font at hand")
    shutil.copy(latin, tmp_path / latin.name)
    assert not font_search.covers(tmp_path / latin.name)
    assert not font_search._pil_covers(str(tmp_path / latin.name), 0, "品川さ")
    monkeypatch.setattr(font_search, "PACKAGE_FONTS", ())
    monkeypatch.setattr(font_search, "SYSTEM_FONT_DIRS", ())
    monkeypatch.setenv(font_search.FONT_DIRS_ENV, str(tmp_path))
    assert font_search.find_japanese_fonts() == []


def _font_that_cannot_draw(path: Path, chars: str) -> None:
    """Write a TrueType font that maps every character of ``chars`` to a glyph whose outline
    bytes are damaged (0xff), so FreeType fails on each one."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", "box"])
    builder.setupCharacterMap({ord(char): "box" for char in chars})
    glyphs = {}
    for name in (".notdef", "box"):
        pen = TTGlyphPen(None)
        pen.moveTo((100, 0))
        pen.lineTo((100, 700))
        pen.lineTo((600, 700))
        pen.lineTo((600, 0))
        pen.closePath()
        glyphs[name] = pen.glyph()
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics({".notdef": (700, 100), "box": (700, 100)})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Broken", "styleName": "Regular"})
    builder.setupOS2()
    builder.setupPost()
    builder.save(str(path))
    data = bytearray(path.read_bytes())
    (tables,) = struct.unpack(">H", data[4:6])
    for entry in range(tables):
        tag, _, offset, length = struct.unpack(">4sIII", data[12 + 16 * entry : 28 + 16 * entry])
        if tag == b"glyf":
            data[offset : offset + length] = b"\xff" * length
    path.write_bytes(bytes(data))


def test_fonts_that_map_the_characters_but_cannot_draw_them_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three faces of fonts-horai-umefont map every plate character, but FreeType stops in
    # their hinting program on each glyph ("invalid opcode"); a damaged glyph table fails the
    # same way. `jlpr synth` crashed with PIL's OSError on them before they were skipped.
    pytest.importorskip("fontTools")
    broken = tmp_path / "broken.ttf"
    _font_that_cannot_draw(broken, font_search.REQUIRED_CHARS)
    with pytest.raises(OSError):
        ImageFont.truetype(str(broken), 32).getmask("品")
    assert not font_search.covers(broken)
    assert not font_search._pil_covers(str(broken), 0, "品川さ")
    monkeypatch.setattr(font_search, "PACKAGE_FONTS", ())
    monkeypatch.setattr(font_search, "SYSTEM_FONT_DIRS", ())
    monkeypatch.setenv(font_search.FONT_DIRS_ENV, str(tmp_path))
    assert font_search.find_japanese_fonts() == []


@needs_fonts
def test_fonts_are_found_in_the_folders_of_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = font_search.find_japanese_fonts()[0]
    os.symlink(installed.path, tmp_path / installed.path.name)
    monkeypatch.setattr(font_search, "PACKAGE_FONTS", ())
    monkeypatch.setattr(font_search, "SYSTEM_FONT_DIRS", ())
    monkeypatch.setenv(font_search.FONT_DIRS_ENV, os.pathsep.join(["/nonexistent", str(tmp_path)]))
    found = font_search.find_japanese_fonts()
    assert [f.source for f in found] == [font_search.FONT_DIRS_ENV]
    assert found[0].path == tmp_path / installed.path.name


@needs_fonts
def test_the_fonts_variable_keeps_only_the_fonts_it_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(font_search.FONTS_ENV, "")  # empty: every font
    everything = font_search.find_japanese_fonts()
    last = everything[-1]
    # By name, in any case, and by file name; a pattern may match several fonts.
    monkeypatch.setenv(font_search.FONTS_ENV, f" {last.name.upper()} ")
    assert font_search.find_japanese_fonts() == [last]
    assert font_search.font_names() == [last.name]
    # In the patterns' order, each font once.
    monkeypatch.setenv(font_search.FONTS_ENV, f"{last.path.name},{everything[0].name},*")
    assert font_search.find_japanese_fonts()[:2] == [last, everything[0]] or len(everything) == 1
    assert sorted(font_search.font_names()) == sorted(f.name for f in everything)
    monkeypatch.setenv(font_search.FONTS_ENV, "*")
    assert font_search.find_japanese_fonts() == everything
    monkeypatch.setenv(font_search.FONTS_ENV, ",")
    assert font_search.find_japanese_fonts() == everything
    # Drawing uses only the fonts kept.
    monkeypatch.setenv(font_search.FONTS_ENV, last.name)
    style = RenderStyle.random(np.random.default_rng(0))
    assert style.name_font == style.kana_font == last.name


@needs_fonts
def test_the_kana_fonts_variable_draws_the_kana_from_fonts_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(font_search.FONTS_ENV, "")
    monkeypatch.setenv(font_search.KANA_FONTS_ENV, "")
    everything = font_search.find_japanese_fonts()
    if len(everything) < 2:
        pytest.skip("needs two fonts")
    first, last = everything[0], everything[-1]
    # Unset, the kana draws from the region name's fonts, exactly as before the variable.
    assert font_search.kana_font_names() is None
    unset = [RenderStyle.random(np.random.default_rng(seed)) for seed in range(6)]
    assert unset == [
        RenderStyle.random(np.random.default_rng(seed), everything, everything) for seed in range(6)
    ]
    monkeypatch.setenv(font_search.KANA_FONTS_ENV, ",".join(f.name for f in everything))
    assert [RenderStyle.random(np.random.default_rng(seed)) for seed in range(6)] == unset
    # Set, the kana's font comes from it and the region name's does not.
    monkeypatch.setenv(font_search.FONTS_ENV, first.name)
    monkeypatch.setenv(font_search.KANA_FONTS_ENV, last.name)
    assert font_search.kana_font_names() == [last.name]
    styles = [RenderStyle.random(np.random.default_rng(seed)) for seed in range(6)]
    assert {s.name_font for s in styles} == {first.name}
    assert {s.kana_font for s in styles} == {last.name}
    # The renderer finds a kana font outside the region name's fonts.
    plate = Plate.parse("品川 330 さ 12-34", "private")
    style = RenderStyle(seal=False)
    drawn = [
        render_plate(
            plate, rng=np.random.default_rng(0), style=dataclasses.replace(style, kana_font=f.name)
        ).image
        for f in (first, last)
    ]
    assert not np.array_equal(drawn[0], drawn[1])
    monkeypatch.setenv(font_search.KANA_FONTS_ENV, "No Such Gothic")
    with pytest.raises(ConfigError, match=font_search.KANA_FONTS_ENV):
        render_plate(plate, rng=np.random.default_rng(0))


@needs_fonts
def test_patterns_given_directly_select_as_the_variable_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(font_search.FONTS_ENV, "")
    last = font_search.find_japanese_fonts()[-1]
    assert font_search.find_japanese_fonts(last.name) == [last]
    monkeypatch.setenv(font_search.FONTS_ENV, last.name)
    assert font_search.find_japanese_fonts() == font_search.find_japanese_fonts(last.name)
    with pytest.raises(ConfigError, match="No Such Gothic"):
        font_search.find_japanese_fonts("No Such Gothic")


@needs_fonts
def test_a_font_the_fonts_variable_names_but_nobody_installed_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = font_search.find_japanese_fonts()[0]
    monkeypatch.setenv(font_search.FONTS_ENV, f"{first.name},No Such Gothic")
    with pytest.raises(ConfigError) as info:
        font_search.find_japanese_fonts()
    message = str(info.value)
    assert "No Such Gothic" in message and font_search.FONTS_ENV in message
    assert first.name in message  # what was found, to pick from
    with pytest.raises(ConfigError):
        render_plate(rng=np.random.default_rng(0))


def test_without_fonts_the_error_says_how_to_install_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(font_search, "PACKAGE_FONTS", ())
    monkeypatch.setattr(font_search, "SYSTEM_FONT_DIRS", ())
    monkeypatch.delenv(font_search.FONT_DIRS_ENV, raising=False)
    with pytest.raises(ConfigError) as info:
        font_search.require_japanese_fonts()
    assert 'pip install "jlpr[train]"' in str(info.value)
    assert font_search.FONT_DIRS_ENV in str(info.value)
    with pytest.raises(ConfigError, match=r"jlpr\[train\]"):
        render_plate(rng=np.random.default_rng(0))
    assert font_search.find_cjk_font() is None


# -- sampling -------------------------------------------------------------------------------


def test_random_plates_are_valid_and_deterministic() -> None:
    a = [random_plate(np.random.default_rng(4)) for _ in range(3)]
    b = [random_plate(np.random.default_rng(4)) for _ in range(3)]
    assert a == b
    rng = np.random.default_rng(5)
    for _ in range(300):
        plate = random_plate(rng)
        assert plate.scheme is not None and plate.kana is not None
        assert scheme_allows_kana(plate.scheme, plate.kana)
        assert Plate.parse(plate.text, scheme=plate.scheme) == plate


def test_random_plates_cover_every_class_in_balance() -> None:
    rng = np.random.default_rng(6)
    plates = [random_plate(rng) for _ in range(4000)]
    offices = Counter(p.office for p in plates)
    assert len(offices) == len(OFFICES)
    assert max(offices.values()) < 3 * min(offices.values())
    lengths = Counter(len(str(p.designation)) for p in plates)
    assert all(0.2 < lengths[n] / len(plates) < 0.3 for n in (1, 2, 3, 4))
    schemes = Counter(p.scheme for p in plates)
    assert set(schemes) == set(ColorScheme)
    assert schemes[ColorScheme.GRAPHIC] < schemes[ColorScheme.PRIVATE]
    classification_lengths = Counter(len(p.classification or "") for p in plates)
    assert classification_lengths[3] > classification_lengths[2] > 0
    assert classification_lengths[1] > 0
    later = [c for p in plates for c in (p.classification or "")[1:]]
    letter_rate = sum(c.isalpha() for c in later) / len(later)
    assert 0.2 < letter_rate < 0.3
    assert all((p.classification or "0")[0].isdigit() for p in plates)
    kana = Counter(p.kana for p in plates if p.scheme is ColorScheme.PRIVATE)
    assert set(kana) == set(allowed_kana(ColorScheme.PRIVATE))


def test_the_package_exports_load_on_first_use() -> None:
    import jlpr.synth as synth
    from jlpr.synth.render import render_plate as direct

    for name in synth.__all__:
        assert name in dir(synth)
        assert getattr(synth, name) is not None
    assert synth.render_plate is direct
    with pytest.raises(AttributeError, match="no attribute 'not_there'"):
        _ = synth.not_there
