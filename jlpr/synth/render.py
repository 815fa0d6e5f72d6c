"""The plate renderer: a :class:`~jlpr.types.Plate` drawn as an upright 中板 plate image.

Everything sits where :mod:`jlpr.layout` says; the digits and Latin letters are the vector
glyphs of :mod:`jlpr.synth.glyphs`, region names and hiragana come from the Japanese fonts of
:mod:`jlpr.synth.fonts`. :class:`RenderStyle` holds every look knob (fonts, glyph design,
embossing, seal cap, bolts, frame, wear, dirt, glare, colour jitter, graphic picture); a style
and a plate fix the pixels, so ``render_plate(plate, style=s, rng=...)`` is the same whatever
the generator.

Speed matters (training renders millions of plates), so the composition is numpy on whole
arrays, and glyph masks, corner masks and sprites are cached.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFilter

from jlpr import layout
from jlpr.rules import HIRAGANA, ColorScheme, PlateColor, format_designation, scheme_allows_kana
from jlpr.synth.fonts import FontSpec, require_japanese_fonts, require_kana_fonts
from jlpr.synth.glyphs import DOT, HYPHEN, GlyphStyle, glyph_mask
from jlpr.synth.sampling import random_plate
from jlpr.types import Plate

__all__ = [
    "BACKGROUND_RGB",
    "CHARACTER_RGB",
    "FrameKind",
    "RenderStyle",
    "RenderedPlate",
    "render_plate",
]

FloatArray = npt.NDArray[np.float32]
RGB = tuple[float, float, float]

BACKGROUND_RGB: dict[PlateColor, RGB] = {
    PlateColor.WHITE: (226.0, 228.0, 223.0),
    PlateColor.GREEN: (28.0, 104.0, 64.0),
    PlateColor.YELLOW: (238.0, 192.0, 24.0),
    PlateColor.BLACK: (26.0, 26.0, 26.0),
}
"""Approximate background colours (no official values exist; see plates.json)."""

CHARACTER_RGB: dict[PlateColor, RGB] = {
    PlateColor.GREEN: (24.0, 86.0, 52.0),
    PlateColor.WHITE: (236.0, 238.0, 233.0),
    PlateColor.BLACK: (30.0, 30.0, 28.0),
    PlateColor.YELLOW: (240.0, 192.0, 16.0),
}
"""Approximate character colours."""

BORDER_RGB: dict[PlateColor, RGB] = {
    PlateColor.GREEN: (34.0, 118.0, 66.0),
    PlateColor.YELLOW: (240.0, 196.0, 30.0),
}
"""Border line of graphic commercial (green) and graphic kei (yellow) plates."""

# Stroke widths in mm. The ordinance gives 12 mm for designation digits; the thinner upper-row
# and letter strokes are estimates from photographs.
CLASSIFICATION_STROKE_MM = 6.5
KANA_LETTER_STROKE_MM = 6.5
# Graphic-plate border line: ESTIMATE from photographs.
BORDER_INSET_MM = 2.5
BORDER_WIDTH_MM = 4.0
# Raised rim along the plate edge: ESTIMATE.
RIM_INSET_MM = 1.5
RIM_WIDTH_MM = 3.0
BOLT_HEAD_DIAMETER_MM = 14.0
SEAL_DIAMETER_MM = 20.0
"""ESTIMATE: the aluminium 封印 cap over the rear plate's left bolt."""
BOLT_COVER_MAX_DIAMETER_MM = 28.0
"""Largest bolt cover allowed since 2021-10 (MLIT)."""
FRAME_MAX_MM = (10.0, 18.5, 13.5)
"""Largest frame allowed since 2021-10 (MLIT): top, sides, bottom."""

# Share of a font's em square that maps onto a character box (less than 1: the em is a little
# larger than the box, whose ink then nearly fills it). Kanji fill their 40 mm boxes on plates;
# hiragana are designed smaller inside the em, so they are scaled up more.
_KANJI_EM_FILL = 0.92
_KANA_EM_FILL = 0.84
_KANA_NAME_EM_FILL = 0.88

BOLT_COVER_RGB: tuple[RGB, ...] = (
    (196.0, 198.0, 202.0),
    (28.0, 28.0, 30.0),
    (190.0, 160.0, 80.0),
    (40.0, 64.0, 150.0),
    (150.0, 36.0, 36.0),
)
"""Bolt-cover colours: chrome, black, gold, blue, red."""


class FrameKind(str, Enum):
    """A plate frame (ナンバーフレーム) around the plate, if any."""

    NONE = "none"
    CHROME = "chrome"
    BLACK = "black"
    SILVER = "silver"


@dataclass(frozen=True)
class RenderStyle:
    """Every knob of a plate's look. :meth:`random` samples one; the defaults are a clean,
    unframed front plate lit from the top left."""

    name_font: str = ""
    """Name (:attr:`FontSpec.name`) of the font for the region name; ``""``: the first one
    :func:`~jlpr.synth.fonts.require_japanese_fonts` finds. An unknown name falls back too."""
    kana_font: str = ""
    """Font for the hiragana (Latin kana letters are vector glyphs); ``""`` or an unknown
    name: the first one :func:`~jlpr.synth.fonts.require_kana_fonts` finds."""
    name_bold: float = 0.0
    """Extra outline stroke of the region name, as a fraction of the em, on top of what a
    regular-weight font is given to look bold (-0.02-0.02); round joins make it rounder too.
    Below zero the strokes are eroded instead: thin lettering, as video frames of bright
    plates show it."""
    kana_bold: float = 0.0
    """Same as :attr:`name_bold`, for the kana."""
    name_squeeze: float = 1.0
    """Horizontal scale of the region-name characters inside their boxes (0.88-1)."""
    glyphs: GlyphStyle = field(default_factory=GlyphStyle)
    """Design of digits, Latin letters, dots and hyphen."""
    text_offset_mm: tuple[float, float] = (0.0, 0.0)
    """Shift of all lettering, as plate makers place it slightly differently (±1.5 mm)."""
    emboss: float = 0.6
    """Strength of the relief shading of the raised characters (0 flat, 1 strong)."""
    light_angle: float = 225.0
    """Direction the light comes from, in degrees in image axes (0 from the right, 90 from
    below, 180 from the left, 270 from above; 225 is the top left)."""
    rim: bool = True
    """A raised rim runs along the plate edge."""
    seal: bool = False
    """The aluminium seal cap (封印) covers the left bolt: rear plates."""
    bolts: bool = True
    """Bolt heads are visible in the top bolt holes (when not under a seal or cover)."""
    bolt_cover: int = -1
    """Index into :data:`BOLT_COVER_RGB` of the bolt covers; -1 for none."""
    bolt_cover_mm: float = 24.0
    """Diameter of the bolt covers (at most 28 mm)."""
    frame: FrameKind = FrameKind.NONE
    """The frame around the plate; it shows only inside a rendering margin (and where it
    overlaps the plate edge)."""
    frame_mm: tuple[float, float, float] = (6.0, 8.0, 8.0)
    """Frame width at the top, sides and bottom (at most 10, 18.5 and 13.5 mm)."""
    frame_overlap_mm: float = 1.5
    """How far the frame reaches over the plate's edge."""
    wear: float = 0.0
    """Paint rubbed off the characters (0-1; the relief stays)."""
    dirt: float = 0.0
    """Low-frequency stains (0-1)."""
    glare: float = 0.0
    """Peak strength of a soft specular glare spot (0-1; 0 for none)."""
    glare_center: tuple[float, float] = (0.5, 0.3)
    """Glare centre as a fraction of the plate's width and height."""
    glare_radius: tuple[float, float] = (0.3, 0.4)
    """Glare radii (standard deviations) as fractions of the plate's width and height."""
    background_shift: tuple[float, float, float] = (0.0, 0.0, 0.0)
    """Added to the scheme's background RGB (paint batches and ageing differ)."""
    character_shift: tuple[float, float, float] = (0.0, 0.0, 0.0)
    """Added to the scheme's character RGB."""
    brightness: float = 1.0
    """Overall gain applied to the plate (illumination)."""
    picture_seed: int = 0
    """Seed of the procedural picture of graphic plates."""
    picture_monotone: bool = False
    """Graphic plate with the monotone picture (no donation) instead of the full colour one."""
    texture_seed: int = 0
    """Seed of the wear and dirt noise."""

    @classmethod
    def random(
        cls,
        rng: np.random.Generator,
        fonts: list[FontSpec] | None = None,
        kana_fonts: list[FontSpec] | None = None,
    ) -> RenderStyle:
        """A random style: the region name's font drawn from ``fonts`` (default:
        :func:`require_japanese_fonts`), the kana's from ``kana_fonts`` (default: ``fonts``
        when given, else :func:`~jlpr.synth.fonts.require_kana_fonts`)."""
        if kana_fonts is None:
            kana_fonts = fonts if fonts is not None else require_kana_fonts()
        fonts = fonts if fonts is not None else require_japanese_fonts()
        frame = FrameKind.NONE
        if rng.random() < 0.45:
            frame = (FrameKind.CHROME, FrameKind.BLACK, FrameKind.SILVER)[int(rng.integers(3))]
        top, side, bottom = FRAME_MAX_MM
        return cls(
            name_font=fonts[int(rng.integers(len(fonts)))].name,
            kana_font=kana_fonts[int(rng.integers(len(kana_fonts)))].name,
            name_bold=float(rng.choice([-0.02, -0.01, 0.0, 0.0, 0.008, 0.016])),
            kana_bold=float(rng.choice([-0.02, -0.01, 0.0, 0.0, 0.008, 0.016])),
            name_squeeze=float(rng.choice([0.88, 0.94, 1.0, 1.0])),
            glyphs=GlyphStyle.random(rng),
            text_offset_mm=(float(rng.uniform(-1.5, 1.5)), float(rng.uniform(-1.5, 1.5))),
            emboss=float(rng.uniform(0.2, 1.0)),
            light_angle=float(rng.uniform(0.0, 360.0)),
            rim=bool(rng.random() < 0.7),
            seal=bool(rng.random() < 0.5),
            bolts=bool(rng.random() < 0.9),
            bolt_cover=int(rng.integers(len(BOLT_COVER_RGB))) if rng.random() < 0.15 else -1,
            bolt_cover_mm=float(rng.uniform(18.0, BOLT_COVER_MAX_DIAMETER_MM)),
            frame=frame,
            frame_mm=(
                float(rng.uniform(3.0, top)),
                float(rng.uniform(3.0, side)),
                float(rng.uniform(4.0, bottom)),
            ),
            frame_overlap_mm=float(rng.uniform(0.5, 3.0)),
            wear=float(rng.uniform(0.0, 0.6)) if rng.random() < 0.3 else 0.0,
            dirt=float(rng.uniform(0.0, 0.8)) if rng.random() < 0.4 else 0.0,
            glare=float(rng.uniform(0.15, 0.7)) if rng.random() < 0.25 else 0.0,
            glare_center=(float(rng.uniform(0.0, 1.0)), float(rng.uniform(0.0, 1.0))),
            glare_radius=(float(rng.uniform(0.06, 0.25)), float(rng.uniform(0.1, 0.45))),
            background_shift=_colour_shift(rng, 12.0),
            character_shift=_colour_shift(rng, 12.0),
            brightness=float(rng.uniform(0.85, 1.1)),
            picture_seed=int(rng.integers(2**31)),
            picture_monotone=bool(rng.random() < 0.3),
            texture_seed=int(rng.integers(2**31)),
        )


def _colour_shift(rng: np.random.Generator, spread: float) -> tuple[float, float, float]:
    # A common brightness shift plus a smaller per-channel tint.
    common = rng.uniform(-spread, spread)
    tint = rng.uniform(-spread / 3, spread / 3, size=3)
    return (float(common + tint[0]), float(common + tint[1]), float(common + tint[2]))


@dataclass(frozen=True)
class RenderedPlate:
    """A rendered plate and what it shows.

    ``image`` is ``(H, W, 3)`` uint8 RGB, not premultiplied; ``alpha`` ``(H, W)`` uint8 is 255
    on plate and frame pixels and 0 outside (the plate's corners are rounded, edges
    anti-aliased). ``corners`` is the ``(4, 2)`` float32 array of the plate's corners TL, TR,
    BR, BL in ``image`` pixel coordinates, ``(0, 0)`` being the top-left corner of the
    top-left pixel; with no margin they are ``(0, 0), (W, 0), (W, H), (0, H)``. ``plate`` is
    exactly what was drawn (scheme set) and ``style`` how.
    """

    image: npt.NDArray[np.uint8]
    alpha: npt.NDArray[np.uint8]
    corners: npt.NDArray[np.float32]
    plate: Plate
    style: RenderStyle


def render_plate(
    plate: Plate | None = None,
    *,
    rng: np.random.Generator,
    width: int = 256,
    margin: float = 0.0,
    style: RenderStyle | None = None,
) -> RenderedPlate:
    """Draw ``plate`` (a random one when ``None``) as an upright plate ``width`` pixels wide.

    The plate is ``round(width / 2)`` pixels high. ``margin`` adds a transparent border of
    ``round(margin * width)`` pixels on every side, room for a frame or bolt covers and for
    warping without clipping. A plate without a scheme gets a random scheme that allows its
    kana. ``style`` defaults to :meth:`RenderStyle.random`; ``rng`` is used only to draw the
    plate, scheme and style, so a given plate and style always give the same pixels.

    Raises ``ValueError`` for an incomplete plate (a field is ``None``), ``width < 32`` or a
    negative margin, and :class:`~jlpr.errors.ConfigError` when no Japanese font is installed.
    """
    if width < 32:
        raise ValueError(f"width must be at least 32 pixels, got {width}")
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    if plate is None:
        plate = random_plate(rng)
    if not plate.is_complete:
        raise ValueError(f"cannot render an incomplete plate: {plate.text}")
    if plate.scheme is None:
        assert plate.kana is not None
        schemes = [s for s in ColorScheme if scheme_allows_kana(s, plate.kana)]
        plate = Plate(
            office=plate.office,
            classification=plate.classification,
            kana=plate.kana,
            designation=plate.designation,
            scheme=schemes[int(rng.integers(len(schemes)))],
        )
    fonts = require_japanese_fonts()
    kana_fonts = require_kana_fonts()
    if style is None:
        style = RenderStyle.random(rng, fonts, kana_fonts)
    return _Renderer(plate, style, fonts, kana_fonts, width, margin).render()


class _Renderer:
    """One rendering: holds the sizes and the scale, composes the layers."""

    def __init__(
        self,
        plate: Plate,
        style: RenderStyle,
        fonts: list[FontSpec],
        kana_fonts: list[FontSpec],
        width: int,
        margin: float,
    ) -> None:
        assert plate.scheme is not None
        self.plate = plate
        self.scheme: ColorScheme = plate.scheme
        self.style = style
        self.width = width
        self.height = round(width / 2)
        self.margin = round(margin * width)
        self.sx = self.width / layout.PLATE_SIZE_MM[0]
        self.sy = self.height / layout.PLATE_SIZE_MM[1]
        self.scale = (self.sx + self.sy) / 2
        by_name = {f.name: f for f in (*kana_fonts, *fonts)}
        self.name_font = by_name.get(style.name_font, fonts[0])
        self.kana_font = by_name.get(style.kana_font, kana_fonts[0])

    # -- geometry ------------------------------------------------------------------------

    def _px_box(self, box: layout.Box) -> tuple[int, int, int, int]:
        """``(x0, y0, width, height)`` in whole pixels of a millimetre box of the lettering,
        shifted by the style's offset. The size does not depend on the shift, so that each
        kind of box always asks the glyph caches for the same size."""
        dx, dy = self.style.text_offset_mm
        width = max(1, round((box[2] - box[0]) * self.sx))
        height = max(1, round((box[3] - box[1]) * self.sy))
        return round((box[0] + dx) * self.sx), round((box[1] + dy) * self.sy), width, height

    # -- lettering -----------------------------------------------------------------------

    def _lettering(self) -> FloatArray:
        """Coverage of all characters, ``(H, W)`` in [0, 1]."""
        plate = self.plate
        assert plate.office is not None and plate.classification is not None
        assert plate.kana is not None and plate.designation is not None
        mask = np.zeros((self.height, self.width), dtype=np.float32)
        style = self.style
        name = plate.office.kanji
        for char, box in zip(name, layout.office_char_boxes_mm(len(name)), strict=True):
            x, y, w, h = self._px_box(box)
            fill = _KANA_NAME_EM_FILL if char in HIRAGANA else _KANJI_EM_FILL
            bold = self._bold(self.name_font, style.name_bold)
            _paste_max(
                mask, _text_mask(self.name_font, char, w, h, bold, fill, style.name_squeeze), x, y
            )
        cls = plate.classification
        stroke = CLASSIFICATION_STROKE_MM * self.scale
        boxes = layout.classification_char_boxes_mm(len(cls), len(name))
        for char, box in zip(cls, boxes, strict=True):
            x, y, w, h = self._px_box(box)
            _paste_max(mask, glyph_mask(char, w, h, stroke, style.glyphs), x, y)
        x, y, w, h = self._px_box(layout.kana_box_mm())
        if plate.kana in HIRAGANA:
            bold = self._bold(self.kana_font, style.kana_bold)
            glyph = _text_mask(self.kana_font, plate.kana, w, h, bold, _KANA_EM_FILL, 1.0)
            _paste_max(mask, glyph, x, y)
        else:
            stroke = KANA_LETTER_STROKE_MM * self.scale
            inset = round(3.0 * self.sx)  # Latin letters are narrower than the 40 mm box
            glyph = glyph_mask(plate.kana, w - 2 * inset, h, stroke, style.glyphs)
            _paste_max(mask, glyph, x + inset, y)
        text = format_designation(plate.designation).replace(HYPHEN, "")
        digit_stroke = layout.DESIGNATION_STROKE_MM * self.scale
        for cell, char in enumerate(text):
            if char == DOT:
                x, y, w, _ = self._px_box(layout.dot_box_mm(cell))
                _paste_max(mask, glyph_mask(DOT, w, w, w, style.glyphs), x, y)
            else:
                x, y, w, h = self._px_box(layout.designation_cell_boxes_mm()[cell])
                _paste_max(mask, glyph_mask(char, w, h, digit_stroke, style.glyphs), x, y)
        if plate.designation >= 1000:
            x, y, w, h = self._px_box(layout.hyphen_box_mm())
            _paste_max(mask, glyph_mask(HYPHEN, w, h, h, style.glyphs), x, y)
        return mask

    def _bold(self, font: FontSpec, extra: float) -> float:
        """Outline stroke as a fraction of the em: light fonts get more to look like plate
        lettering."""
        base = 0.0 if font.weight >= 600 else 0.022
        return round(base + extra, 4)

    # -- layers --------------------------------------------------------------------------

    def _background(self) -> FloatArray:
        h, w = self.height, self.width
        if self.scheme.is_graphic:
            image = _picture(w, h, self.style.picture_seed, self.style.picture_monotone)
        else:
            colour = np.add(BACKGROUND_RGB[self.scheme.background], self.style.background_shift)
            image = np.empty((h, w, 3), dtype=np.float32)
            image[:] = colour
        border = self.scheme.border
        if border is not None:
            ring = _ring_mask(w, h, BORDER_INSET_MM * self.scale, BORDER_WIDTH_MM * self.scale)
            colour = np.add(BORDER_RGB[border], self.style.background_shift)
            image += ring[..., None] * (np.asarray(colour, dtype=np.float32) - image)
        return image

    def _noise(self, seed: int, cells: tuple[int, int]) -> FloatArray:
        """Smooth noise in [0, 1], ``(H, W)``: a coarse random grid upsampled bicubically."""
        grid = np.random.default_rng(seed).random(cells, dtype=np.float32)
        image = Image.fromarray(grid, mode="F").resize(
            (self.width, self.height), Image.Resampling.BICUBIC
        )
        return np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)

    def _light_step(self) -> tuple[int, int]:
        """Integer pixel step towards the light (relief of about 1 mm)."""
        k = max(1.0, 1.1 * self.scale)
        angle = math.radians(self.style.light_angle)
        return round(math.cos(angle) * k), round(math.sin(angle) * k)

    def render(self) -> RenderedPlate:
        style = self.style
        h, w = self.height, self.width
        letters = self._lettering()
        image = self._background()

        paint = letters
        if style.wear > 0:
            worn = self._noise(style.texture_seed, (5, 9)) ** 2
            paint = letters * (1.0 - 0.6 * style.wear * worn)
        fg = np.asarray(
            np.add(CHARACTER_RGB[self.scheme.characters], style.character_shift),
            dtype=np.float32,
        )
        image += paint[..., None] * (fg - image)

        relief = letters
        if style.rim:
            rim = _ring_mask(w, h, RIM_INSET_MM * self.scale, RIM_WIDTH_MM * self.scale)
            relief = np.maximum(letters, 0.7 * rim)
        if style.emboss > 0:
            _emboss(image, relief, self._light_step(), style.emboss)

        self._bolts(image)
        if style.dirt > 0:
            stain = self._noise(style.texture_seed + 1, (4, 7)) ** 1.5 * (0.45 * style.dirt)
            grime = np.asarray((92.0, 84.0, 70.0), dtype=np.float32)
            image += stain[..., None] * (grime - image)
        if style.glare > 0:
            cx, cy = style.glare_center
            rx, ry = style.glare_radius
            gx = np.exp(-0.5 * ((np.arange(w, dtype=np.float32) + 0.5 - cx * w) / (rx * w)) ** 2)
            gy = np.exp(-0.5 * ((np.arange(h, dtype=np.float32) + 0.5 - cy * h) / (ry * h)) ** 2)
            glow = (style.glare * gy[:, None] * gx[None, :]).astype(np.float32)
            image = 255.0 - (255.0 - image) * (1.0 - glow[..., None])
        if style.brightness != 1.0:
            image *= style.brightness

        m = self.margin
        canvas = np.zeros((h + 2 * m, w + 2 * m, 3), dtype=np.float32)
        alpha = np.zeros((h + 2 * m, w + 2 * m), dtype=np.float32)
        canvas[m : m + h, m : m + w] = image
        alpha[m : m + h, m : m + w] = _rounded_rect_mask(w, h, layout.CORNER_RADIUS_MM * self.scale)
        if style.frame is not FrameKind.NONE:
            self._frame(canvas, alpha)
        if style.bolt_cover >= 0:
            self._bolt_covers(canvas, alpha)
        canvas *= (alpha > 0)[..., None]
        corners = np.array([[m, m], [m + w, m], [m + w, m + h], [m, m + h]], dtype=np.float32)
        return RenderedPlate(
            image=np.clip(canvas + 0.5, 0, 255).astype(np.uint8),
            alpha=np.clip(alpha * 255.0 + 0.5, 0, 255).astype(np.uint8),
            corners=corners,
            plate=self.plate,
            style=style,
        )

    # -- hardware ------------------------------------------------------------------------

    def _bolt_centres(self, offset: int) -> list[tuple[float, float]]:
        return [(x * self.sx + offset, y * self.sy + offset) for x, y in layout.BOLT_CENTERS_MM]

    def _bolts(self, image: FloatArray) -> None:
        """Seal cap on the left bolt (rear plates) and bolt heads where nothing covers them."""
        style = self.style
        light = _quantised_light(style.light_angle)
        for i, (cx, cy) in enumerate(self._bolt_centres(0)):
            if i == 0 and style.seal:
                sprite = _disc_sprite("seal", round(SEAL_DIAMETER_MM * self.scale), 0, light)
            elif style.bolts and style.bolt_cover < 0:
                sprite = _disc_sprite("bolt", round(BOLT_HEAD_DIAMETER_MM * self.scale), 0, light)
            else:
                continue
            _paste_sprite(image, None, sprite, cx, cy)

    def _bolt_covers(self, canvas: FloatArray, alpha: FloatArray) -> None:
        """Bolt covers; never over the seal, which must stay visible."""
        light = _quantised_light(self.style.light_angle)
        size = round(min(self.style.bolt_cover_mm, BOLT_COVER_MAX_DIAMETER_MM) * self.scale)
        sprite = _disc_sprite("cover", size, self.style.bolt_cover, light)
        for i, (cx, cy) in enumerate(self._bolt_centres(self.margin)):
            if not (i == 0 and self.style.seal):
                _paste_sprite(canvas, alpha, sprite, cx, cy)

    def _frame(self, canvas: FloatArray, alpha: FloatArray) -> None:
        style = self.style
        m, w, h = self.margin, self.width, self.height
        limits = zip(style.frame_mm, FRAME_MAX_MM, strict=True)
        top, side, bottom = (min(v, cap) for v, cap in limits)
        overlap = style.frame_overlap_mm
        outer = (
            m - side * self.sx,
            m - top * self.sy,
            m + w + side * self.sx,
            m + h + bottom * self.sy,
        )
        inner = (
            m + overlap * self.sx,
            m + overlap * self.sy,
            m + w - overlap * self.sx,
            m + h - overlap * self.sy,
        )
        size = (canvas.shape[1], canvas.shape[0])
        radius = (layout.CORNER_RADIUS_MM + side / 2) * self.scale
        ring = _frame_mask(size, outer, inner, radius, layout.CORNER_RADIUS_MM * self.scale)
        rows = np.linspace(0.0, 1.0, canvas.shape[0], dtype=np.float32)[:, None]
        if style.frame is FrameKind.CHROME:
            shade = 150.0 + 95.0 * np.abs(np.sin(rows * 5.0 + 0.7))
            colour = np.repeat(shade[..., None], 3, axis=2)
        elif style.frame is FrameKind.SILVER:
            base = np.asarray((168.0, 170.0, 172.0), dtype=np.float32)
            colour = base + 20.0 * (0.5 - rows)[..., None]
        else:
            base = np.asarray((24.0, 24.0, 26.0), dtype=np.float32)
            colour = base + 18.0 * (0.5 - rows)[..., None]
        canvas += ring[..., None] * (colour - canvas)
        # The frame's lip throws a thin shadow onto the plate just inside it.
        lip = np.clip(_shifted(ring, 0, -1) - ring, 0.0, 1.0)
        canvas *= 1.0 - 0.35 * lip[..., None]
        np.maximum(alpha, ring, out=alpha)


# -- helpers: pasting and relief ------------------------------------------------------------


def _paste_max(target: FloatArray, glyph: FloatArray, x0: int, y0: int) -> None:
    """``target = max(target, glyph)`` with ``glyph``'s top-left at ``(x0, y0)``, clipped."""
    gh, gw = glyph.shape
    th, tw = target.shape
    ax0, ay0 = max(x0, 0), max(y0, 0)
    ax1, ay1 = min(x0 + gw, tw), min(y0 + gh, th)
    if ax1 <= ax0 or ay1 <= ay0:
        return
    region = target[ay0:ay1, ax0:ax1]
    np.maximum(region, glyph[ay0 - y0 : ay1 - y0, ax0 - x0 : ax1 - x0], out=region)


def _paste_sprite(
    target: FloatArray,
    alpha: FloatArray | None,
    sprite: tuple[FloatArray, FloatArray],
    cx: float,
    cy: float,
) -> None:
    colour, cover = sprite
    size = cover.shape[0]
    x0, y0 = round(cx - size / 2), round(cy - size / 2)
    th, tw = target.shape[:2]
    ax0, ay0 = max(x0, 0), max(y0, 0)
    ax1, ay1 = min(x0 + size, tw), min(y0 + size, th)
    if ax1 <= ax0 or ay1 <= ay0:
        return
    c = cover[ay0 - y0 : ay1 - y0, ax0 - x0 : ax1 - x0]
    region = target[ay0:ay1, ax0:ax1]
    region += c[..., None] * (colour[ay0 - y0 : ay1 - y0, ax0 - x0 : ax1 - x0] - region)
    if alpha is not None:
        a = alpha[ay0:ay1, ax0:ax1]
        np.maximum(a, c, out=a)


def _shifted(a: FloatArray, dx: int, dy: int) -> FloatArray:
    """``out[y, x] = a[y + dy, x + dx]``, zero where that falls outside."""
    out = np.zeros_like(a)
    h, w = a.shape[:2]
    if abs(dx) >= w or abs(dy) >= h:
        return out
    out[max(0, -dy) : h - max(0, dy), max(0, -dx) : w - max(0, dx)] = a[
        max(0, dy) : h - max(0, -dy), max(0, dx) : w - max(0, -dx)
    ]
    return out


def _emboss(image: FloatArray, relief: FloatArray, step: tuple[int, int], strength: float) -> None:
    """Light a raised ``relief`` from direction ``step``: bright lit edges, dark far edges and a
    cast shadow beside the characters (in place)."""
    dx, dy = step
    towards = _shifted(relief, dx, dy)
    away = _shifted(relief, -dx, -dy)
    lit = np.clip(relief - towards, 0.0, 1.0)
    far = np.clip(relief - away, 0.0, 1.0)
    cast = np.clip(towards - relief, 0.0, 1.0)
    gain = 1.0 - strength * (0.4 * cast + 0.3 * far)
    image *= gain[..., None]
    image += (strength * 80.0) * lit[..., None]


def _quantised_light(angle: float) -> int:
    """The light direction rounded to one of 8 directions, for sprite caching."""
    return round((angle % 360.0) / 45.0) % 8


# -- cached masks and sprites --------------------------------------------------------------


@lru_cache(maxsize=256)
def _rounded_rect_mask(width: int, height: int, radius: float) -> FloatArray:
    """Anti-aliased coverage of a ``width`` x ``height`` rectangle with rounded corners."""
    ss = 4
    image = Image.new("L", (width * ss, height * ss), 0)
    ImageDraw.Draw(image).rounded_rectangle(
        (0, 0, width * ss - 1, height * ss - 1), radius=round(radius * ss), fill=255
    )
    mask = np.asarray(image.resize((width, height), Image.Resampling.BOX), dtype=np.float32)
    mask = mask / 255.0
    mask.flags.writeable = False
    return mask


@lru_cache(maxsize=256)
def _ring_mask(width: int, height: int, inset: float, thickness: float) -> FloatArray:
    """Coverage of a rounded-rectangle line ``inset`` pixels inside the plate edge."""
    ss = 4
    image = Image.new("L", (width * ss, height * ss), 0)
    r = layout.CORNER_RADIUS_MM / layout.PLATE_SIZE_MM[1] * height
    box = (inset * ss, inset * ss, (width - inset) * ss - 1, (height - inset) * ss - 1)
    ImageDraw.Draw(image).rounded_rectangle(
        box,
        radius=max(round((r - inset) * ss), 1),
        outline=255,
        width=max(1, round(thickness * ss)),
    )
    mask = np.asarray(image.resize((width, height), Image.Resampling.BOX), dtype=np.float32)
    mask = mask / 255.0
    mask.flags.writeable = False
    return mask


def _frame_mask(
    size: tuple[int, int],
    outer: tuple[float, float, float, float],
    inner: tuple[float, float, float, float],
    outer_radius: float,
    inner_radius: float,
) -> FloatArray:
    """Coverage of a frame: ``outer`` rounded rectangle minus ``inner`` (2x supersampled)."""
    ss = 2
    image = Image.new("L", (size[0] * ss, size[1] * ss), 0)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(tuple(v * ss for v in outer), radius=round(outer_radius * ss), fill=255)
    draw.rounded_rectangle(tuple(v * ss for v in inner), radius=round(inner_radius * ss), fill=0)
    small = image.resize(size, Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32) / 255.0


@lru_cache(maxsize=256)
def _disc_sprite(
    kind: str, diameter: int, colour_index: int, light: int
) -> tuple[FloatArray, FloatArray]:
    """A round part lit from direction ``light`` (0-7, 45° steps): ``(rgb, coverage)``.

    ``kind`` is ``"bolt"`` (a domed screw head with a cross recess), ``"seal"`` (the
    aluminium seal cap: flat top, rolled rim) or ``"cover"`` (a domed bolt cover of
    :data:`BOLT_COVER_RGB` colour ``colour_index``).
    """
    d = max(diameter, 3)
    r = d / 2
    coords = np.arange(d, dtype=np.float32) + 0.5 - r
    x, y = np.meshgrid(coords, coords)
    dist = np.sqrt(x * x + y * y) / r
    cover = np.clip((1.0 - dist) * r + 0.5, 0.0, 1.0)
    angle = math.radians(light * 45.0)
    lx, ly = math.cos(angle), math.sin(angle)
    if kind == "seal":
        # Flat top, steep rolled rim in the outer fifth.
        slope = np.clip((dist - 0.78) / 0.22, 0.0, 1.0)
        nz = np.sqrt(np.clip(1.0 - slope**2, 0.0, 1.0))
        nx, ny = x / (r * dist + 1e-6) * slope, y / (r * dist + 1e-6) * slope
        base = np.asarray((200.0, 201.0, 198.0), dtype=np.float32)
    else:
        nz = np.sqrt(np.clip(1.0 - dist**2, 0.0, 1.0))
        nx, ny = x / r, y / r
        if kind == "bolt":
            base = np.asarray((165.0, 166.0, 168.0), dtype=np.float32)
        else:
            base = np.asarray(BOLT_COVER_RGB[colour_index], dtype=np.float32)
    # Lambert shading from a light 45° above the plate plus a specular spot.
    lam = np.clip(0.7 * (nx * lx + ny * ly) + 0.7 * nz, 0.0, 1.0)
    spec = np.clip(0.7 * (nx * lx + ny * ly) + 0.7 * nz, 0.0, 1.0) ** 12
    rgb = base[None, None, :] * (0.45 + 0.65 * lam[..., None]) + 120.0 * spec[..., None]
    if kind == "bolt":
        arm = r * 0.45
        half = max(0.5, r * 0.09)
        recess = ((np.abs(x) < half) & (np.abs(y) < arm)) | ((np.abs(y) < half) & (np.abs(x) < arm))
        rgb[recess] *= 0.35
    elif kind == "seal":
        ring = np.abs(dist - 0.55) < 0.05
        rgb[ring] *= 0.8
    rgb = np.clip(rgb, 0.0, 255.0).astype(np.float32)
    rgb.flags.writeable = False
    cover = cover.astype(np.float32)
    cover.flags.writeable = False
    return rgb, cover


@lru_cache(maxsize=16384)
def _font_mask_cached(
    path: str, index: int, char: str, width: int, height: int, bold: float, fill: float
) -> FloatArray:
    """``char`` drawn 4x supersampled on a square em, then scaled to ``width`` x ``height``;
    ``bold`` (a fraction of the em) outlines the strokes when positive, erodes them when
    negative.

    CJK fonts centre their characters in the em square, so mapping the em square (times
    ``fill``) onto the cell keeps small kana, ヶ and 一 at their designed place and size; a
    cell narrower than it is high (3- and 4-character names) squeezes the character
    horizontally, as the plate makers do.
    """
    from jlpr.synth.fonts import _load_font

    side = height * 4
    em = max(8, round(side / fill))
    font = _load_font(path, index, em)
    canvas = Image.new("L", (side, side), 0)
    ImageDraw.Draw(canvas).text(
        (side / 2, side / 2),
        char,
        font=font,
        fill=255,
        anchor="mm",
        stroke_width=max(0, round(bold * em)),
        stroke_fill=255,
    )
    erode = round(-bold * em)
    if erode > 0:
        # A negative weight thins the strokes by that much on each side (supersampled, so
        # the erosion is in quarter pixels of the cell).
        canvas = canvas.filter(ImageFilter.MinFilter(2 * erode + 1))
    small = canvas.resize((width, height), Image.Resampling.BOX)
    mask = np.asarray(small, dtype=np.float32) / 255.0
    mask.flags.writeable = False
    return mask


def _text_mask(
    font: FontSpec, char: str, width: int, height: int, bold: float, fill: float, squeeze: float
) -> FloatArray:
    """``char`` of ``font`` filling a ``width`` x ``height`` cell: its em square times ``fill``
    maps onto the cell, narrowed by ``squeeze`` about the cell's centre."""
    inner = max(1, round(width * squeeze))
    mask = _font_mask_cached(str(font.path), font.index, char, inner, height, bold, fill)
    if inner == width:
        return mask
    out = np.zeros((height, width), dtype=np.float32)
    x0 = (width - inner) // 2
    out[:, x0 : x0 + inner] = mask
    return out


# -- graphic-plate picture -----------------------------------------------------------------

_PASTELS: tuple[RGB, ...] = (
    (250.0, 200.0, 210.0),
    (200.0, 225.0, 250.0),
    (210.0, 240.0, 205.0),
    (250.0, 235.0, 190.0),
    (230.0, 210.0, 245.0),
    (250.0, 215.0, 185.0),
    (190.0, 235.0, 235.0),
)


def _picture(width: int, height: int, seed: int, monotone: bool) -> FloatArray:
    """A procedural stand-in for a graphic plate's printed picture.

    Real designs (prefectural flowers, mountains, sea, mascots) are light, soft-edged prints;
    this draws a light gradient with a random mix of blobs, a mountain range, waves, trees, a
    sun and flowers at half resolution, softened and scaled up.
    """
    rng = np.random.default_rng(seed)
    w, h = max(16, width // 2), max(8, height // 2)
    white = np.asarray((246.0, 246.0, 242.0), dtype=np.float32)
    top = np.asarray(_PASTELS[int(rng.integers(len(_PASTELS)))], dtype=np.float32)
    bottom = np.asarray(_PASTELS[int(rng.integers(len(_PASTELS)))], dtype=np.float32)
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    grad = white + (top * (1 - t) + bottom * t - white) * float(rng.uniform(0.15, 0.6))
    base = Image.fromarray(np.repeat(grad, w, axis=1).astype(np.uint8), mode="RGB")
    layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)

    def paint() -> tuple[int, int, int, int]:
        c = _PASTELS[int(rng.integers(len(_PASTELS)))]
        # Full-colour prints have some stronger colours; pull the pastel away from white.
        strength = rng.uniform(1.0, 2.2)
        r, g, b = (max(0.0, 250.0 - (250.0 - v) * strength) for v in c)
        return (int(r), int(g), int(b), int(rng.integers(90, 210)))

    def blobs() -> None:
        for _ in range(int(rng.integers(2, 6))):
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            rx, ry = rng.uniform(0.05, 0.3) * w, rng.uniform(0.1, 0.5) * h
            draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=paint())

    def mountains() -> None:
        n = int(rng.integers(2, 6))
        xs = np.linspace(-0.1 * w, 1.1 * w, 2 * n + 1)
        ridge = [
            (float(x), float(h * (rng.uniform(0.3, 0.65) if i % 2 else rng.uniform(0.7, 0.95))))
            for i, x in enumerate(xs)
        ]
        draw.polygon([(-1.0, float(h)), *ridge, (float(w) + 1, float(h))], fill=paint())

    def waves() -> None:
        colour = paint()
        amplitude, period = rng.uniform(0.02, 0.06) * h, rng.uniform(0.15, 0.4) * w
        for k in range(int(rng.integers(1, 4))):
            level = h * rng.uniform(0.6, 0.95)
            xs = np.linspace(0, w, 48)
            ys = level + amplitude * np.sin(2 * np.pi * xs / period + k)
            crest = [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
            draw.polygon([(0.0, float(h)), *crest, (float(w), float(h))], fill=colour)

    def trees() -> None:
        colour = paint()
        for _ in range(int(rng.integers(2, 7))):
            cx, size = rng.uniform(0, w), rng.uniform(0.06, 0.16) * w
            foot = h * rng.uniform(0.85, 1.0)
            draw.polygon(
                [(cx, foot - 2.2 * size), (cx - size / 2, foot), (cx + size / 2, foot)],
                fill=colour,
            )

    def sun() -> None:
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, 0.5 * h), rng.uniform(0.04, 0.12) * w
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=paint())

    def flowers() -> None:
        for _ in range(int(rng.integers(1, 6))):
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            pr = rng.uniform(0.02, 0.05) * w
            colour = paint()
            for k in range(5):
                a = 2 * math.pi * k / 5
                px, py = cx + pr * math.cos(a), cy + pr * math.sin(a)
                draw.ellipse((px - pr * 0.7, py - pr * 0.7, px + pr * 0.7, py + pr * 0.7), colour)
            draw.ellipse((cx - pr / 3, cy - pr / 3, cx + pr / 3, cy + pr / 3), (250, 230, 120))

    painters = [blobs, mountains, waves, trees, sun, flowers]
    for index in rng.choice(len(painters), size=int(rng.integers(2, 5)), replace=False):
        painters[int(index)]()
    base = Image.alpha_composite(base.convert("RGBA"), layer).convert("RGB")
    base = base.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.2))))
    big = np.asarray(base.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)
    if monotone:
        grey = big.mean(axis=2, keepdims=True)
        tint = np.asarray(_PASTELS[int(rng.integers(len(_PASTELS)))], dtype=np.float32) / 250.0
        big = grey * tint
    # Keep the picture light so that the green characters stay as legible as on real plates.
    picture = white + (big - white) * 0.8
    return np.ascontiguousarray(picture, dtype=np.float32)
