"""Vector glyphs for the plate's digits, Latin letters, hyphen and dot.

Plate digits are not set in any font: the 1962 ordinance fixes an 80 x 40 mm box and a 12 mm
stroke, and the makers draw a condensed, uniform-stroke sans with round ends. So they are
drawn here the same way: each glyph is a set of centre-line polylines (arcs are sampled
finely) stroked with a round pen of the given width. :class:`GlyphStyle` varies the design
(stroke weight, width, roundness of the bowls, the shapes of 1, 3, 4, 6, 7 and 9) so that a
model trained on these glyphs does not learn one exact drawing.

Masks are computed exactly from each pixel's distance to the centre lines (round caps and
joins for free, anti-aliased over one pixel) and cached per ``(char, size, stroke, style)``
because the renderer asks for the same few glyphs again and again.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

__all__ = [
    "CLASSIFICATION_LETTER_GLYPHS",
    "DIGITS",
    "DOT",
    "HYPHEN",
    "KANA_LETTER_GLYPHS",
    "SUPPORTED_GLYPHS",
    "GlyphStyle",
    "glyph_mask",
]

DIGITS = "0123456789"
HYPHEN = "-"
DOT = "・"
CLASSIFICATION_LETTER_GLYPHS = "ACFHKLMPXY"
"""Letters that appear in the 2nd and 3rd positions of classification numbers."""
KANA_LETTER_GLYPHS = "ABEHKMTY"
"""Letters that appear in the kana position (US-forces vehicles)."""
SUPPORTED_GLYPHS = frozenset(DIGITS + HYPHEN + DOT + CLASSIFICATION_LETTER_GLYPHS + "BET")

_ARC_STEP_DEG = 6.0

Point = tuple[float, float]
Polyline = list[Point]
Mask = npt.NDArray[np.float32]


@dataclass(frozen=True)
class GlyphStyle:
    """Design variations of the vector glyphs; the defaults are the plate's typical shapes.

    Values are quantised by :meth:`random` so that the glyph cache stays small.
    """

    stroke: float = 1.0
    """Multiplier of the nominal stroke width (plates: roughly 0.85-1.15; down to 0.6 where
    light bleeds into the strokes, as in overexposed or sharpened video frames)."""
    width: float = 1.0
    """Horizontal scale of the glyph inside its cell (1.0 fills the cell)."""
    roundness: float = 1.0
    """Vertical stretch of round bowls (0, 2, 3, 5, 6, 8, 9): above 1 they are taller ovals,
    below 1 flatter, squarer ends."""
    one_flag: int = 1
    """Flag of the 1: 0 none, 1 short, 2 long."""
    open_four: bool = False
    """4 with an open top (the diagonal does not reach the stem)."""
    flat_top_three: bool = False
    """3 with a flat top bar and a diagonal, instead of two bowls."""
    curved_seven: bool = False
    """7 whose stem curves instead of running straight."""
    straight_tail: bool = False
    """6 and 9 with a straight diagonal tail instead of a curved one."""

    @classmethod
    def random(cls, rng: np.random.Generator) -> GlyphStyle:
        """A random style; most draws stay close to the plate's typical design."""
        return cls(
            # Down to 0.6x the nominal stroke: bright plates in video frames look that thin.
            stroke=float(rng.choice([0.6, 0.7, 0.8, 0.86, 0.93, 1.0, 1.0, 1.07, 1.14])),
            width=float(rng.choice([0.88, 0.94, 1.0, 1.0])),
            roundness=float(rng.choice([0.85, 1.0, 1.0, 1.15])),
            one_flag=int(rng.choice([0, 1, 1, 1, 2])),
            open_four=bool(rng.random() < 0.15),
            flat_top_three=bool(rng.random() < 0.1),
            curved_seven=bool(rng.random() < 0.3),
            straight_tail=bool(rng.random() < 0.3),
        )

    def key_for(self, char: str) -> GlyphStyle:
        """The style with the variants that do not affect ``char`` reset, for caching."""
        base = GlyphStyle(stroke=self.stroke, width=self.width, roundness=self.roundness)
        if char == "1":
            return GlyphStyle(base.stroke, base.width, base.roundness, one_flag=self.one_flag)
        if char == "3":
            return GlyphStyle(
                base.stroke, base.width, base.roundness, flat_top_three=self.flat_top_three
            )
        if char == "4":
            return GlyphStyle(base.stroke, base.width, base.roundness, open_four=self.open_four)
        if char == "7":
            return GlyphStyle(
                base.stroke, base.width, base.roundness, curved_seven=self.curved_seven
            )
        if char in "69":
            return GlyphStyle(
                base.stroke, base.width, base.roundness, straight_tail=self.straight_tail
            )
        return base


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float) -> Polyline:
    """Points on an ellipse from angle ``a0`` to ``a1`` degrees (y down: 90 is the bottom)."""
    n = max(2, math.ceil(abs(a1 - a0) / _ARC_STEP_DEG) + 1)
    out = []
    for i in range(n):
        a = math.radians(a0 + (a1 - a0) * i / (n - 1))
        out.append((cx + rx * math.cos(a), cy + ry * math.sin(a)))
    return out


def _quad(p0: Point, p1: Point, p2: Point, n: int = 16) -> Polyline:
    """A quadratic Bezier curve from ``p0`` to ``p2`` pulled towards ``p1``."""
    out = []
    for i in range(n + 1):
        t = i / n
        a, b, c = (1 - t) ** 2, 2 * (1 - t) * t, t**2
        out.append((a * p0[0] + b * p1[0] + c * p2[0], a * p0[1] + b * p1[1] + c * p2[1]))
    return out


def _rot180(lines: list[Polyline], w: float, h: float) -> list[Polyline]:
    return [[(w - x, h - y) for x, y in line] for line in lines]


def _digit(char: str, w: float, h: float, s: GlyphStyle) -> list[Polyline]:
    """Centre lines of a digit in an inner box ``w`` x ``h`` (the cell less half a stroke)."""
    r = w / 2
    ry = min(r * s.roundness, h / 2)
    if char == "0":
        return [
            _arc(r, ry, r, ry, 180, 360) + _arc(r, h - ry, r, ry, 0, 180) + [(0.0, ry)],
        ]
    if char == "1":
        stem_x = 0.5 * w if s.one_flag == 0 else 0.62 * w
        lines: list[Polyline] = [[(stem_x, 0.0), (stem_x, h)]]
        if s.one_flag == 1:
            lines.append([(stem_x, 0.0), (0.2 * w, 0.14 * h)])
        elif s.one_flag == 2:
            lines.append([(stem_x, 0.0), (0.05 * w, 0.22 * h)])
        return lines
    if char == "2":
        top = _arc(r, ry * 0.95, r, ry * 0.95, 190, 385)
        return [[*top, (0.0, h), (w, h)]]
    if char == "3":
        ry2 = 0.27 * h
        lower = _arc(r, h - ry2, r, ry2, 270, 515)
        if s.flat_top_three:
            start = _arc(r, h - 0.3 * h, r, 0.3 * h, 245, 515)
            return [[(0.05 * w, 0.0), (0.95 * w, 0.0), (0.4 * w, 0.4 * h), *start]]
        ry1 = 0.23 * h
        upper = _arc(r, ry1, 0.47 * w, ry1, 205, 450)
        return [[*upper, (0.3 * w, 2 * ry1)], lower]
    if char == "4":
        stem = 0.72 * w
        bar = 0.66 * h
        if s.open_four:
            return [[(0.45 * w, 0.0), (0.0, bar), (w, bar)], [(stem, 0.3 * h), (stem, h)]]
        return [[(stem, h), (stem, 0.0), (0.0, bar), (w, bar)]]
    if char == "5":
        by = min(0.3 * h * s.roundness, 0.34 * h)
        bowl = _arc(r, h - by, r, by, 240, 505)
        return [[(0.95 * w, 0.0), (0.06 * w, 0.0), (0.04 * w, 0.44 * h), *bowl]]
    if char in "69":
        by = min(0.3 * h * s.roundness, 0.34 * h)
        loop = _arc(r, h - by, r, by, 0, 360)
        if s.straight_tail:
            tail = [(0.8 * w, 0.0), _arc(r, h - by, r, by, 200, 200)[0]]
        else:
            ru = 0.25 * h
            tail = [(0.0, h - by), (0.0, ru), *_arc(r, ru, r, ru, 180, 300)]
        lines = [loop, tail]
        return lines if char == "6" else _rot180(lines, w, h)
    if char == "7":
        if s.curved_seven:
            return [[(0.0, 0.0), *_quad((w, 0.0), (0.55 * w, 0.45 * h), (0.38 * w, h))]]
        return [[(0.0, 0.0), (w, 0.0), (0.3 * w, h)]]
    if char == "8":
        ry1 = 0.22 * h
        ry2 = 0.28 * h
        return [
            _arc(r, ry1, 0.44 * w, ry1, 0, 360),
            _arc(r, h - ry2, r, ry2, 0, 360),
        ]
    raise KeyError(char)


def _letter(char: str, w: float, h: float) -> list[Polyline]:
    """Centre lines of a Latin capital in an inner box ``w`` x ``h``."""
    if char == "A":
        return [[(0.0, h), (w / 2, 0.0), (w, h)], [(0.2 * w, 0.64 * h), (0.8 * w, 0.64 * h)]]
    if char == "B":
        mid = 0.47 * h
        return [
            [(0.0, 0.0), (0.0, h)],
            [(0.0, 0.0), *_arc(0.5 * w, mid / 2, 0.42 * w, mid / 2, 270, 450), (0.0, mid)],
            [(0.0, mid), *_arc(0.5 * w, (mid + h) / 2, 0.5 * w, (h - mid) / 2, 270, 450), (0.0, h)],
        ]
    if char == "C":
        r = w / 2
        ry = min(r, h / 2)
        return [_arc(r, ry, r, ry, 320, 180) + _arc(r, h - ry, r, ry, 180, 40)]
    if char == "E":
        return [[(w, 0.0), (0.0, 0.0), (0.0, h), (w, h)], [(0.0, h / 2), (0.85 * w, h / 2)]]
    if char == "F":
        return [[(w, 0.0), (0.0, 0.0), (0.0, h)], [(0.0, 0.48 * h), (0.85 * w, 0.48 * h)]]
    if char == "H":
        return [[(0.0, 0.0), (0.0, h)], [(w, 0.0), (w, h)], [(0.0, h / 2), (w, h / 2)]]
    if char == "K":
        return [[(0.0, 0.0), (0.0, h)], [(w, 0.0), (0.0, 0.6 * h)], [(0.3 * w, 0.42 * h), (w, h)]]
    if char == "L":
        return [[(0.0, 0.0), (0.0, h), (w, h)]]
    if char == "M":
        return [[(0.0, h), (0.0, 0.0), (w / 2, 0.62 * h), (w, 0.0), (w, h)]]
    if char == "P":
        bowl = 0.55 * h
        return [
            [(0.0, h), (0.0, 0.0)],
            [(0.0, 0.0), *_arc(0.5 * w, bowl / 2, 0.5 * w, bowl / 2, 270, 450), (0.0, bowl)],
        ]
    if char == "T":
        return [[(0.0, 0.0), (w, 0.0)], [(w / 2, 0.0), (w / 2, h)]]
    if char == "X":
        return [[(0.0, 0.0), (w, h)], [(w, 0.0), (0.0, h)]]
    if char == "Y":
        return [[(0.0, 0.0), (w / 2, 0.5 * h), (w, 0.0)], [(w / 2, 0.5 * h), (w / 2, h)]]
    raise KeyError(char)


def _centre_lines(char: str, w: float, h: float, style: GlyphStyle) -> list[Polyline]:
    if char in DIGITS:
        return _digit(char, w, h, style)
    if char == HYPHEN:
        return [[(0.0, h / 2), (w, h / 2)]]
    if char == DOT:
        return [[(w / 2, h / 2)]]
    return _letter(char, w, h)


def _segments(lines: list[Polyline]) -> npt.NDArray[np.float32]:
    """``(n, 2, 2)`` start and end points of every segment (a lone point is a 0-length one)."""
    segs = []
    for line in lines:
        if len(line) == 1:
            segs.append((line[0], line[0]))
        segs.extend(itertools.pairwise(line))
    return np.asarray(segs, dtype=np.float32).reshape(-1, 2, 2)


@lru_cache(maxsize=8192)
def _cached_mask(char: str, width: int, height: int, stroke: float, style: GlyphStyle) -> Mask:
    pen = stroke * style.stroke
    # The centre lines live in the cell shrunk by half a pen on every side, so the stroked
    # glyph touches the cell's edges exactly; ``style.width`` narrows it about the centre.
    inner_w = max(width - pen, 0.0) * style.width
    inner_h = max(height - pen, 0.0)
    segs = _segments(_centre_lines(char, inner_w, inner_h, style))
    segs += np.asarray(((width - inner_w) / 2, (height - inner_h) / 2), dtype=np.float32)
    # Exact round-pen stroking: coverage from the distance of each pixel centre to the
    # nearest centre-line segment, anti-aliased over one pixel.
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32) + 0.5
    px = xs.reshape(-1, 1)
    py = ys.reshape(-1, 1)
    ax, ay = segs[:, 0, 0][None, :], segs[:, 0, 1][None, :]
    dx, dy = segs[:, 1, 0][None, :] - ax, segs[:, 1, 1][None, :] - ay
    length2 = np.maximum(dx * dx + dy * dy, 1e-9)
    best = np.full(px.shape[0], np.inf, dtype=np.float32)
    chunk = max(1, 2_000_000 // max(1, segs.shape[0]))
    for i in range(0, px.shape[0], chunk):
        qx, qy = px[i : i + chunk] - ax, py[i : i + chunk] - ay
        t = np.clip((qx * dx + qy * dy) / length2, 0.0, 1.0)
        ex, ey = qx - t * dx, qy - t * dy
        best[i : i + chunk] = np.sqrt(np.min(ex * ex + ey * ey, axis=1))
    mask = np.clip(pen / 2 - best + 0.5, 0.0, 1.0).reshape(height, width).astype(np.float32)
    mask.flags.writeable = False
    return mask


def glyph_mask(
    char: str, width: int, height: int, stroke: float, style: GlyphStyle | None = None
) -> Mask:
    """Coverage mask of ``char`` drawn to fill a ``width`` x ``height`` pixel cell.

    ``stroke`` is the nominal pen width in pixels (designation digits: 12/40 of the cell
    width), multiplied by ``style.stroke``. Returns a read-only ``(height, width)`` float32
    array in ``[0, 1]``. Supported: digits, ``-``, ``・`` and the Latin letters used on plates
    (:data:`SUPPORTED_GLYPHS`); anything else raises ``KeyError``.
    """
    if char not in SUPPORTED_GLYPHS:
        raise KeyError(f"no vector glyph for {char!r}")
    if width < 1 or height < 1:
        raise ValueError(f"glyph cell must be at least 1x1 pixels, got {width}x{height}")
    style = style or GlyphStyle()
    return _cached_mask(char, int(width), int(height), round(float(stroke), 2), style.key_for(char))
