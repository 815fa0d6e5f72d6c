"""Procedural backgrounds and distractors: what surrounds a synthetic plate.

No photographs are needed: gradients, value-noise textures (asphalt, concrete, foliage),
car-paint panels with bumper edges and highlights, random clutter, and distractors that are
NOT plates but share some of their look (text-like stroke groups, signboards with lines of
"characters", plain white and yellow rectangles). Training against these teaches a localizer
that a bright rectangle with writing is not enough to be a plate.

Every function draws from the :class:`numpy.random.Generator` it is given and returns an
``(H, W, 3)`` uint8 RGB array (or draws into a PIL image in place, where it says so).
"""

from __future__ import annotations

import colorsys
import functools
import math
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "CAR_COLOURS",
    "car_paint",
    "clutter",
    "draw_distractors",
    "draw_sign",
    "draw_text_strokes",
    "gradient",
    "random_background",
    "texture",
]

Image8 = npt.NDArray[np.uint8]
Colour = tuple[int, int, int]
BoxXYXY = tuple[float, float, float, float]

CAR_COLOURS: tuple[Colour, ...] = (
    (235, 236, 238),  # white / pearl
    (200, 203, 207),  # silver
    (150, 153, 158),  # grey
    (40, 42, 46),  # black
    (20, 22, 25),  # black
    (150, 25, 30),  # red
    (25, 50, 110),  # blue
    (30, 35, 60),  # navy
    (210, 195, 165),  # beige
    (90, 70, 50),  # brown
    (60, 90, 60),  # green
    (230, 200, 60),  # yellow
    (240, 150, 170),  # pink kei
)
"""Body colours roughly in proportion to Japanese traffic (white, silver, black first)."""


def _colour(rng: np.random.Generator, lo: int = 0, hi: int = 256) -> Colour:
    """A colour of brightness in ``[lo, hi)``, mostly greyish as in streets (saturated
    colours are drawn but rarer)."""
    value = float(rng.uniform(lo, hi)) / 255.0
    saturation = float(rng.uniform(0.0, 1.0)) ** 2 * 0.8
    r, g, b = colorsys.hsv_to_rgb(float(rng.uniform(0.0, 1.0)), saturation, value)
    return (round(r * 255), round(g * 255), round(b * 255))


def _jitter(rng: np.random.Generator, colour: Colour, amount: int) -> Colour:
    c = np.clip(np.array(colour) + rng.integers(-amount, amount + 1, size=3), 0, 255)
    return (int(c[0]), int(c[1]), int(c[2]))


def gradient(
    rng: np.random.Generator, width: int, height: int, colours: Sequence[Colour] | None = None
) -> Image8:
    """A linear gradient between two colours at a random angle."""
    a, b = colours if colours is not None else (_colour(rng), _colour(rng))
    theta = float(rng.uniform(0.0, 2.0 * math.pi))
    # A linear ramp on an 8 x 8 grid enlarged bilinearly is still linear, and 50x cheaper
    # than evaluating it per pixel.
    grid = np.linspace(0.0, 1.0, 8, dtype=np.float32)
    t = grid[:, None] * math.sin(theta) + grid[None, :] * math.cos(theta)
    t -= t.min()
    t /= max(float(t.max()), 1e-6)
    ca = np.array(a, dtype=np.float32)
    cb = np.array(b, dtype=np.float32)
    small = (ca + t[..., None] * (cb - ca) + 0.5).astype(np.uint8)
    out: Image8 = np.asarray(
        Image.fromarray(small).resize((width, height), Image.Resampling.BILINEAR)
    )
    return out


def texture(
    rng: np.random.Generator,
    width: int,
    height: int,
    base: Colour | None = None,
    *,
    contrast: float | None = None,
) -> Image8:
    """Value noise at two scales around ``base``: asphalt, concrete, walls, foliage."""
    base = base if base is not None else _colour(rng, 40, 220)
    contrast = float(rng.uniform(10.0, 60.0)) if contrast is None else contrast
    out = np.zeros((height, width, 3), dtype=np.float32) + np.array(base, dtype=np.float32)
    for cells, weight in ((int(rng.integers(2, 8)), 1.0), (int(rng.integers(12, 60)), 0.5)):
        gh = max(2, round(cells * height / max(width, height)))
        gw = max(2, round(cells * width / max(width, height)))
        grid = rng.random((gh, gw), dtype=np.float32)
        smooth = Image.fromarray((grid * 255).astype(np.uint8)).resize(
            (width, height), Image.Resampling.BICUBIC
        )
        out += (np.asarray(smooth, dtype=np.float32)[..., None] - 128.0) * (
            contrast * weight / 128.0
        )
    np.clip(out, 0.0, 255.0, out=out)
    return out.astype(np.uint8)


def car_paint(
    rng: np.random.Generator, width: int, height: int, *, bumper_y: float | None = None
) -> Image8:
    """A painted car panel: body colour with soft shading, a specular band and, below
    ``bumper_y`` (a share of the height; random when ``None``), a darker bumper with a gap."""
    body = np.array(_jitter(rng, CAR_COLOURS[int(rng.integers(0, len(CAR_COLOURS)))], 12))
    shade = float(rng.uniform(0.5, 0.8))
    # Shading and the highlight band (the sky reflected in the curved panel) are smooth, so
    # they are painted on a 16 x 16 grid and enlarged once: the enlargement softens the band.
    grid = np.linspace(0.0, 1.0, 16, dtype=np.float32)
    theta = float(rng.uniform(0.0, 2.0 * math.pi))
    ramp = grid[:, None] * math.sin(theta) + grid[None, :] * math.cos(theta)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    colour = body * (1.0 - (1.0 - shade) * ramp[..., None])
    top = float(rng.uniform(0.0, 16.0))
    band = float(rng.uniform(0.5, 2.5))
    slope = float(rng.uniform(-0.2, 0.2))
    rows = np.arange(16, dtype=np.float32)[:, None] - (top + slope * np.arange(16))[None, :]
    inside = np.clip(1.0 - np.abs(rows - band / 2.0) / (band / 2.0 + 0.5), 0.0, 1.0)[..., None]
    shine = np.array(_jitter(rng, (250, 250, 250), 10), dtype=np.float32)
    strength = float(rng.uniform(0.15, 0.55))
    colour = colour + inside * strength * (shine - colour)
    small = Image.fromarray(np.clip(colour + 0.5, 0, 255).astype(np.uint8))
    pil = small.resize((width, height), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(pil)
    split = float(rng.uniform(0.55, 0.95)) if bumper_y is None else bumper_y
    by = split * height
    if by < height:
        base = (int(body[0]), int(body[1]), int(body[2]))
        grey = int(rng.integers(20, 60))
        plastic = (grey, grey, grey + 3) if rng.random() < 0.5 else base
        draw.rectangle([0, by, width, height], fill=plastic)
        draw.line([(0, by), (width, by)], fill=(15, 15, 18), width=max(1, round(height * 0.01)))
    return np.asarray(pil)


def clutter(
    rng: np.random.Generator, width: int, height: int, base: Image8 | None = None
) -> Image8:
    """Random rectangles, ellipses, lines and polygons over ``base`` (a texture if ``None``)."""
    pil = Image.fromarray(base if base is not None else texture(rng, width, height))
    draw = ImageDraw.Draw(pil)
    scale = max(width, height)
    for _ in range(int(rng.integers(5, 25))):
        x, y = float(rng.uniform(-0.1, 1.0)) * width, float(rng.uniform(-0.1, 1.0)) * height
        w, h = (float(v) * scale for v in rng.uniform(0.02, 0.35, size=2))
        colour = _colour(rng)
        kind = int(rng.integers(0, 4))
        if kind == 0:
            draw.rectangle([x, y, x + w, y + h], fill=colour)
        elif kind == 1:
            draw.ellipse([x, y, x + w, y + h], fill=colour)
        elif kind == 2:
            draw.line([(x, y), (x + w, y + h)], fill=colour, width=int(rng.integers(1, 8)))
        else:
            pts = [(x + float(rng.uniform(0, w)), y + float(rng.uniform(0, h))) for _ in range(5)]
            draw.polygon(pts, fill=colour)
    return np.asarray(pil)


def draw_text_strokes(
    draw: ImageDraw.ImageDraw,
    rng: np.random.Generator,
    box: BoxXYXY,
    colour: Colour,
    *,
    characters: int | None = None,
) -> None:
    """Draw one line of text-like glyphs (3-7 strokes each, kanji-like) filling ``box``.

    Not real text: the point is shapes with the stroke widths and rhythm of writing, so a
    detector cannot take "has writing" to mean "is a plate".
    """
    x0, y0, x1, y1 = box
    height = y1 - y0
    count = characters if characters is not None else max(1, round((x1 - x0) / max(height, 1.0)))
    cell = (x1 - x0) / count
    pen = max(1, round(height * float(rng.uniform(0.06, 0.14))))
    for i in range(count):
        cx0 = x0 + i * cell + cell * 0.1
        cw, ch = cell * 0.8, height * 0.85
        cy0 = y0 + height * 0.075
        for _ in range(int(rng.integers(3, 8))):
            kind = int(rng.integers(0, 3))
            if kind == 0:  # horizontal stroke
                yy = cy0 + float(rng.uniform(0, 1)) * ch
                xa, xb = sorted(float(v) for v in rng.uniform(0, 1, size=2))
                draw.line([(cx0 + xa * cw, yy), (cx0 + max(xb, xa + 0.3) * cw, yy)], colour, pen)
            elif kind == 1:  # vertical stroke
                xx = cx0 + float(rng.uniform(0, 1)) * cw
                ya, yb = sorted(float(v) for v in rng.uniform(0, 1, size=2))
                draw.line([(xx, cy0 + ya * ch), (xx, cy0 + max(yb, ya + 0.3) * ch)], colour, pen)
            else:  # slanted stroke
                p = rng.uniform(0, 1, size=4)
                draw.line(
                    [(cx0 + p[0] * cw, cy0 + p[1] * ch), (cx0 + p[2] * cw, cy0 + p[3] * ch)],
                    colour,
                    pen,
                )


_SIGN_WORDS: tuple[str, ...] = (
    "駐車場",
    "営業中",
    "月極",
    "出口",
    "入口",
    "禁煙",
    "薬局",
    "不動産",
    "ラーメン",
    "クリーニング",
    "歯科",
    "医院",
    "ガソリン",
    "コインパーキング",
    "右折",
    "左折",
    "止まれ",
    "徐行",
    "自転車",
    "センター",
    "ホテル",
    "株式会社",
    "三丁目",
    "品川",
    "横浜",
    "大阪",
    "佐賀",
    "名古屋",
    "札幌",
    "ひらがな",
    "さくら",
)
"""Words for signboards: shop signs, road signs and place names, so that Japanese writing
(place names included) on a bright panel is seen often without a plate around it."""


@functools.lru_cache(maxsize=64)
def _sign_font(size: int) -> ImageFont.FreeTypeFont | None:
    # Imported here: the font search reads installed distributions, which only signs need.
    from jlpr.synth.fonts import find_japanese_fonts

    fonts = find_japanese_fonts()
    if not fonts:
        return None
    return fonts[0].load(max(6, min(256, size)))


def draw_sign(
    draw: ImageDraw.ImageDraw,
    rng: np.random.Generator,
    box: BoxXYXY,
    *,
    background: Colour | None = None,
) -> None:
    """A signboard in ``box``: a coloured panel with one to three lines of writing: Japanese
    words (place names among them) when a Japanese font is installed, else text-like glyphs;
    tall boxes get vertical columns, as many Japanese shop signs have."""
    x0, y0, x1, y1 = box
    palette: tuple[Colour, ...] = (
        (245, 245, 240),
        (240, 200, 40),
        (30, 90, 160),
        (200, 30, 30),
        (20, 120, 60),
        (30, 30, 30),
    )
    bg = background if background is not None else palette[int(rng.integers(0, len(palette)))]
    ink: Colour = (20, 20, 20) if sum(bg) > 400 else (245, 245, 245)
    draw.rectangle([x0, y0, x1, y1], fill=bg)
    w, h = x1 - x0, y1 - y0
    lines = int(rng.integers(1, 4))
    if h > w:
        # Vertical writing: columns of glyphs from the top.
        col = w / lines
        for i in range(lines):
            per = max(1, round(h / max(col, 1.0) * 0.8))
            for j in range(per):
                gy = y0 + j * h / per
                draw_text_strokes(
                    draw,
                    rng,
                    (x0 + i * col + col * 0.15, gy, x0 + (i + 1) * col - col * 0.15, gy + h / per),
                    ink,
                    characters=1,
                )
        return
    row = h / lines
    font_size = int(row * 0.7)
    font = _sign_font(font_size) if font_size >= 6 and rng.random() < 0.6 else None
    for i in range(lines):
        if font is not None:
            words = [_SIGN_WORDS[int(rng.integers(0, len(_SIGN_WORDS)))] for _ in range(2)]
            draw.text((x0 + w * 0.05, y0 + i * row + row * 0.1), "".join(words), ink, font=font)
            continue
        draw_text_strokes(
            draw,
            rng,
            (
                x0 + w * 0.05,
                y0 + i * row + row * 0.15,
                x1 - w * 0.05,
                y0 + (i + 1) * row - row * 0.1,
            ),
            ink,
        )


def draw_distractors(
    pil: Image.Image,
    rng: np.random.Generator,
    count: int,
    *,
    scale: float,
    avoid: Sequence[BoxXYXY] = (),
) -> None:
    """Draw ``count`` plate-like NON-plates into ``pil`` in place: signboards, text lines,
    and plain or lightly written white/yellow rectangles of plate size (``scale`` is the
    typical plate width in pixels). Boxes in ``avoid`` (real plates) are left untouched."""
    draw = ImageDraw.Draw(pil)
    width, height = pil.size
    placed = 0
    for _ in range(count * 4):
        if placed >= count:
            break
        kind = int(rng.integers(0, 4))
        w = scale * float(math.exp(rng.uniform(math.log(0.5), math.log(3.0))))
        aspect = float(rng.uniform(0.3, 4.0)) if kind == 0 else float(rng.uniform(1.2, 5.0))
        h = w / aspect
        x, y = (
            float(rng.uniform(-0.1 * w, max(-0.1 * w, width - 0.9 * w))),
            float(rng.uniform(-0.1 * h, max(-0.1 * h, height - 0.9 * h))),
        )
        box = (x, y, x + w, y + h)
        if any(_overlaps(box, a) for a in avoid):
            continue
        placed += 1
        if kind == 0:
            draw_sign(draw, rng, box)
        elif kind == 1:
            draw_text_strokes(draw, rng, box, _colour(rng, 0, 256))
        else:
            # A bare bright rectangle of plate-ish proportions: white or yellow, maybe a frame,
            # maybe one line of writing, but never the plate's two-row layout.
            fill = (240, 240, 235) if kind == 2 else (235, 195, 45)
            draw.rectangle(box, fill=_jitter(rng, fill, 10))
            if rng.random() < 0.5:
                draw.rectangle(box, outline=(40, 40, 40), width=max(1, round(h * 0.04)))
            if rng.random() < 0.6:
                draw_text_strokes(
                    draw, rng, (x + w * 0.1, y + h * 0.3, x + w * 0.9, y + h * 0.7), (30, 30, 30)
                )


def _overlaps(a: BoxXYXY, b: BoxXYXY, pad: float = 0.1) -> bool:
    pw, ph = (b[2] - b[0]) * pad, (b[3] - b[1]) * pad
    return not (a[2] < b[0] - pw or a[0] > b[2] + pw or a[3] < b[1] - ph or a[1] > b[3] + ph)


def random_background(rng: np.random.Generator, width: int, height: int) -> Image8:
    """One background of a random kind: car paint (most often, since plates sit on cars),
    texture, gradient or clutter, sometimes with text-like strokes on top."""
    kinds: tuple[tuple[float, Callable[[], Image8]], ...] = (
        (0.45, lambda: car_paint(rng, width, height)),
        (0.2, lambda: texture(rng, width, height)),
        (0.15, lambda: gradient(rng, width, height)),
        (0.2, lambda: clutter(rng, width, height)),
    )
    pick = float(rng.random())
    acc = 0.0
    out: Image8 | None = None
    for share, make in kinds:
        acc += share
        if pick < acc:
            out = make()
            break
    if out is None:
        out = kinds[-1][1]()
    if rng.random() < 0.25:
        pil = Image.fromarray(out)
        draw_distractors(pil, rng, int(rng.integers(1, 3)), scale=max(width, height) * 0.3)
        out = np.asarray(pil)
    return out
