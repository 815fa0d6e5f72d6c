"""Compositing: plate crops for the field classifiers and labelled scenes for the localizer.

Two products, both with exact labels because every plate's corners go through the same
homographies as its pixels:

* :func:`make_plate_sample` renders a plate, shows it from a random pose over a procedural
  background (a car panel, a frame, clutter), degrades the camera image, and cuts out
  (a) the **rectified** crop the reader's :class:`~jlpr.rectify.PerspectiveRectifier` would
  give the classifiers from slightly wrong corners (an imperfect localizer), and (b) a
  **loose** axis-aligned crop with bumper margin, like a detector's box crop;
* :func:`make_scene` builds a whole frame (or a native-scale ``S x S`` window of one) with
  zero or more plates, either by replacing the annotated plates of a real vehicle photo
  (:class:`VehiclePhoto`) with rendered Japanese plates, or on a procedural street with
  crude car rears and distractors that are not plates.

Conventions as in :mod:`jlpr.interfaces`: images ``(H, W, 3)`` uint8 RGB, points ``(x, y)``
with ``(0, 0)`` the top-left corner of the top-left pixel, quads TL, TR, BR, BL, boxes
``(x1, y1, x2, y2)``.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFilter

from jlpr import layout
from jlpr.geometry import apply_homography, homography
from jlpr.layout import CANONICAL_SIZE
from jlpr.rectify import PerspectiveRectifier
from jlpr.synth import PHOTO_MAX_YAW, SCENE_MAX_PITCH, SCENE_MAX_ROLL, SCENE_MAX_YAW
from jlpr.synth.backgrounds import (
    car_paint,
    clutter,
    draw_distractors,
    gradient,
    random_background,
    texture,
)
from jlpr.synth.degrade import (
    DegradationConfig,
    PhotometricParams,
    Pose,
    add_noise,
    apply_photometric_traced,
    sample_photometric,
    sample_pose,
)
from jlpr.synth.render import RenderedPlate, render_plate
from jlpr.synth.sampling import random_plate
from jlpr.synth.warp import (
    FloatArray,
    compose,
    pose_homography,
    prescale_pil,
    rectangle,
    translation,
    warp_pil,
)
from jlpr.types import Field, Plate, Quad

__all__ = [
    "HIDDEN_SHARE",
    "PlateSample",
    "PlateSampleConfig",
    "Scene",
    "SceneConfig",
    "ScenePlate",
    "VehiclePhoto",
    "hidden_fields",
    "inpaint_box",
    "load_vehicle_photos",
    "make_plate_sample",
    "make_scene",
    "plate_on_panel",
    "posed_corners",
    "split_vehicle_photos",
]

Image8 = npt.NDArray[np.uint8]
BoxXYXY = tuple[float, float, float, float]


# -- shared helpers -----------------------------------------------------------------------


def _corners_of(rendered: RenderedPlate) -> FloatArray:
    """The rendered plate's corners as float64 (the renderer gives float32)."""
    return np.asarray(rendered.corners, dtype=np.float64)


HIDDEN_SHARE = 0.5
"""A character counts as hidden when an occluder or the image edge covers this share of its
box. On the 1,000 seed-777 loose crops the bundled reader read 69-100 % of the fields whose
most covered character was 20-50 % covered, and 8 % of those covered more."""

_GRID = (np.arange(5) + 0.5) / 5
"""Sample points across a character box (5 x 5, at cell centres) for :func:`hidden_fields`."""


def _inside(points: FloatArray, polygon: FloatArray) -> npt.NDArray[np.bool_]:
    """Whether each of ``(N, 2)`` points lies in the simple ``(k, 2)`` polygon (even-odd)."""
    x, y = points[:, :1], points[:, 1:]
    x0, y0 = polygon[:, 0], polygon[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    straddles = (y0 > y) != (y1 > y)
    dy = np.where(y1 == y0, 1.0, y1 - y0)
    crossing = straddles & (x < x0 + (x1 - x0) * (y - y0) / dy)
    inside: npt.NDArray[np.bool_] = crossing.sum(axis=1) % 2 == 1
    return inside


def hidden_fields(
    plate: Plate,
    corners: npt.ArrayLike,
    occluders: Sequence[npt.ArrayLike] = (),
    image_size: tuple[int, int] | None = None,
) -> frozenset[Field]:
    """The text fields of ``plate`` (seen at ``corners`` TL, TR, BR, BL) that nobody could
    read: those with a character whose box (:mod:`jlpr.layout`) is covered by at least
    :data:`HIDDEN_SHARE` by the ``occluders`` (polygons in image pixels) or lies outside the
    ``(width, height)`` image. Datasets leave these fields out of their labels."""
    to_image = homography(rectangle(*layout.PLATE_SIZE_MM), np.asarray(corners, dtype=float))
    office = plate.office.kanji if plate.office is not None else ""
    boxes: dict[Field, list[layout.Box]] = {
        Field.KANA: [layout.kana_box_mm()] if plate.kana else [],
        Field.DESIGNATION: layout.designation_cell_boxes_mm(),
        Field.OFFICE: layout.office_char_boxes_mm(len(office)) if office else [],
        Field.CLASSIFICATION: (
            layout.classification_char_boxes_mm(len(plate.classification), len(office))
            if office and plate.classification
            else []
        ),
    }
    polygons = [np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in occluders]
    hidden = set()
    for field_, field_boxes in boxes.items():
        for x0, y0, x1, y1 in field_boxes:
            gx, gy = np.meshgrid(x0 + (x1 - x0) * _GRID, y0 + (y1 - y0) * _GRID)
            points = apply_homography(to_image, np.stack([gx.ravel(), gy.ravel()], axis=1))
            covered = np.zeros(len(points), dtype=bool)
            for polygon in polygons:
                covered |= _inside(points, polygon)
            if image_size is not None:
                width, height = image_size
                outside = (points[:, 0] < 0) | (points[:, 0] > width)
                covered |= outside | (points[:, 1] < 0) | (points[:, 1] > height)
            if covered.mean() >= HIDDEN_SHARE:
                hidden.add(field_)
                break
    return frozenset(hidden)


def _plate_view(corners: npt.ArrayLike, pose: Pose) -> FloatArray:
    """Homography from rendered-plate pixels to a camera frame centred on ``(0, 0)``."""
    c = np.asarray(corners, dtype=np.float64).reshape(4, 2)
    width = float(np.hypot(*(c[1] - c[0])))
    height = float(np.hypot(*(c[3] - c[0])))
    to_plane = homography(c, rectangle(width, height))
    view = pose_homography(
        width, height, yaw=pose.yaw, pitch=pose.pitch, roll=pose.roll, distance=pose.distance
    )
    scale = pose.width / width
    return compose(to_plane, view, np.diag([scale, scale, 1.0]))


def _plate_rgba(image: Image8, alpha: Image8) -> tuple[Image.Image, FloatArray]:
    """The plate as a PIL RGBA image cropped to its opaque pixels, and the homography from
    the crop back to the full rendered image (the renderer's margin is mostly empty)."""
    cols = np.flatnonzero(alpha.any(axis=0))
    rows = np.flatnonzero(alpha.any(axis=1))
    if cols.size == 0:
        c0, c1, r0, r1 = 0, alpha.shape[1], 0, alpha.shape[0]
    else:
        c0, c1, r0, r1 = int(cols[0]), int(cols[-1]) + 1, int(rows[0]), int(rows[-1]) + 1
    pil = Image.fromarray(np.ascontiguousarray(image[r0:r1, c0:c1]))
    pil.putalpha(Image.fromarray(np.ascontiguousarray(alpha[r0:r1, c0:c1])))
    return pil, translation(float(c0), float(r0))


def _paste(
    canvas: Image.Image,
    image: Image8,
    alpha: Image8,
    h: FloatArray,
    *,
    blur: float = 0.0,
    noise: float = 0.0,
    rng: np.random.Generator | None = None,
) -> None:
    """Warp the plate (``image`` with ``alpha``) by ``h`` onto ``canvas`` (RGB, in place).

    Only the destination box the warped plate covers is computed. ``blur`` (Gaussian sigma,
    applied premultiplied so edges fade instead of darkening) and ``noise`` (read-noise
    sigma) make the pasted pixels match a photo's optics and sensor.
    """
    rgba, offset = _plate_rgba(image, alpha)
    h = compose(offset, h)
    outline = apply_homography(h, rectangle(rgba.width, rgba.height))
    pad = math.ceil(3 * blur) + 1
    x0 = max(0, math.floor(outline[:, 0].min()) - pad)
    y0 = max(0, math.floor(outline[:, 1].min()) - pad)
    x1 = min(canvas.width, math.ceil(outline[:, 0].max()) + pad)
    y1 = min(canvas.height, math.ceil(outline[:, 1].max()) + pad)
    if x1 <= x0 or y1 <= y0:
        return
    small, local = prescale_pil(rgba, compose(h, translation(-x0, -y0)))
    patch = warp_pil(small, local, (x1 - x0, y1 - y0), fill=(0, 0, 0, 0))
    if blur > 0.05:
        patch = patch.convert("RGBa").filter(ImageFilter.GaussianBlur(blur)).convert("RGBA")
    if noise > 0.0 and rng is not None:
        mask = patch.getchannel("A")
        patch = Image.fromarray(add_noise(np.asarray(patch.convert("RGB")), rng, noise))
        canvas.paste(patch, (x0, y0), mask)
    else:
        canvas.paste(patch, (x0, y0), patch)  # an RGBA image is its own mask


def _polygon_area(poly: FloatArray) -> float:
    if len(poly) < 3:
        return 0.0
    x, y = poly[:, 0], poly[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)


def _clip_polygon(poly: FloatArray, window: BoxXYXY) -> FloatArray:
    """Sutherland-Hodgman clip of a polygon to the axis-aligned ``window``."""
    x0, y0, x1, y1 = window
    points = [(float(x), float(y)) for x, y in poly]
    # Each window edge: (axis, bound, keep points >= bound?)
    for axis, bound, keep_above in ((0, x0, True), (0, x1, False), (1, y0, True), (1, y1, False)):
        if not points:
            break

        def inside(p: tuple[float, float]) -> bool:
            return p[axis] >= bound if keep_above else p[axis] <= bound  # noqa: B023

        def cross(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
            t = (bound - a[axis]) / (b[axis] - a[axis])  # noqa: B023
            return (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))

        out: list[tuple[float, float]] = []
        for i, cur in enumerate(points):
            prev = points[i - 1]
            if inside(cur):
                if not inside(prev):
                    out.append(cross(prev, cur))
                out.append(cur)
            elif inside(prev):
                out.append(cross(prev, cur))
        points = out
    return np.array(points, dtype=np.float64).reshape(-1, 2)


def inpaint_box(image: Image8, box: BoxXYXY, rng: np.random.Generator) -> Image8:
    """Fill ``box`` with a smooth guess from the pixels around it (plus matching grain).

    The fill is a coarse-to-fine interpolation of the ring around the box: mask-weighted
    averages at decreasing grid sizes, each cell falling back to the coarser level where it
    saw no ring pixel. Good enough to erase a foreign plate before a Japanese one is pasted
    over it, so that nothing of the old plate peeks out at the edges.
    """
    height, width = image.shape[:2]
    bx0, by0 = max(0, math.floor(box[0])), max(0, math.floor(box[1]))
    bx1, by1 = min(width, math.ceil(box[2])), min(height, math.ceil(box[3]))
    if bx1 <= bx0 or by1 <= by0:
        return image
    ring_x = max(3, round((bx1 - bx0) * 0.4))
    ring_y = max(3, round((by1 - by0) * 0.4))
    rx0, ry0 = max(0, bx0 - ring_x), max(0, by0 - ring_y)
    rx1, ry1 = min(width, bx1 + ring_x), min(height, by1 + ring_y)
    region = image[ry0:ry1, rx0:rx1].astype(np.float32)
    weight = np.ones(region.shape[:2], dtype=np.float32)
    weight[by0 - ry0 : by1 - ry0, bx0 - rx0 : bx1 - rx0] = 0.0
    rh, rw = region.shape[:2]
    if weight.sum() < 1.0:
        fill = np.full_like(region, 128.0)
    else:
        fill = np.broadcast_to(
            (region * weight[..., None]).sum(axis=(0, 1)) / weight.sum(), region.shape
        ).copy()
        for cells in (2, 4, 8):
            gw, gh = max(1, min(rw, cells)), max(1, min(rh, max(1, cells // 2)))
            wsum = _resize_f32(weight, gw, gh)
            csum = np.stack(
                [_resize_f32(region[..., c] * weight, gw, gh) for c in range(3)], axis=-1
            )
            ok = wsum > 0.05
            level = np.where(ok[..., None], csum / np.maximum(wsum, 1e-6)[..., None], np.nan)
            up = np.stack([_upsample(level[..., c], rw, rh) for c in range(3)], axis=-1)
            fill = np.where(np.isnan(up), fill, up)
    out: Image8 = image.copy()
    hole = fill[by0 - ry0 : by1 - ry0, bx0 - rx0 : bx1 - rx0]
    grain = float(np.std(region[weight > 0] - fill[weight > 0])) if weight.any() else 0.0
    patch = add_noise(np.clip(hole + 0.5, 0, 255).astype(np.uint8), rng, min(grain * 0.5, 6.0))
    out[by0:by1, bx0:bx1] = patch
    return out


def _resize_f32(
    values: npt.NDArray[np.float32], width: int, height: int
) -> npt.NDArray[np.float32]:
    resized = Image.fromarray(values.astype(np.float32), "F").resize(
        (width, height), Image.Resampling.BOX
    )
    return np.asarray(resized, dtype=np.float32)


def _upsample(values: npt.NDArray[np.float32], width: int, height: int) -> npt.NDArray[np.float32]:
    # NaN marks cells without ring pixels; bilinear would smear it, so nearest is used there.
    holes = np.isnan(values)
    filled = np.where(holes, 0.0, values).astype(np.float32)
    smooth = np.asarray(
        Image.fromarray(filled, "F").resize((width, height), Image.Resampling.BILINEAR),
        dtype=np.float32,
    )
    if holes.any():
        mask = np.asarray(
            Image.fromarray(holes.astype(np.float32), "F").resize(
                (width, height), Image.Resampling.BILINEAR
            ),
            dtype=np.float32,
        )
        smooth = np.where(mask > 0.01, np.nan, smooth).astype(np.float32)
    return smooth


# -- plate crops for the classifiers --------------------------------------------------------


@dataclass(frozen=True)
class PlateSampleConfig:
    """How :func:`make_plate_sample` makes a crop pair.

    ``corner_jitter`` is the standard deviation of the error added to each corner before
    rectifying, as a share of the plate's width (x) and height (y): the localizer is never
    exact. ``loose_margin`` is the range of the extra border of the loose crop on each side,
    as a share of the plate box's size. With ``legibility_guard``, blurs are capped relative
    to the plate's pixel size so that a tiny plate is not also blurred beyond reading, and
    near-blank results are redone (a label nobody could read is noise for a classifier).
    """

    degradation: DegradationConfig = field(default_factory=DegradationConfig)
    output_size: tuple[int, int] = CANONICAL_SIZE
    corner_jitter: float = 0.02
    loose_margin: tuple[float, float] = (0.05, 0.3)
    render_width: int = 256
    render_margin: float = 0.15
    mount_prob: float = 0.7
    legibility_guard: bool = True
    min_contrast: float = 12.0
    """With ``legibility_guard``, a rectified crop whose luminance spread (standard deviation,
    8-bit levels) is below this is photographed again with new degradations (twice at most)."""
    max_working_width: float = 320.0
    """Plates wider than this (in camera pixels) are photographed at this width, with blurs
    and noise scaled to match: the rectified crop cannot show more detail, and the work
    grows with the square of the width. Their loose crops come out at this scale."""

    def __post_init__(self) -> None:
        lo, hi = self.loose_margin
        if not 0.0 <= lo <= hi <= 1.0:
            raise ValueError(f"loose_margin must be (low, high) in [0, 1], got {self.loose_margin}")
        if self.corner_jitter < 0.0:
            raise ValueError(f"corner_jitter must be >= 0, got {self.corner_jitter}")


@dataclass(frozen=True)
class PlateSample:
    """One plate seen by a camera, cut out twice.

    ``rectified`` has ``output_size``; ``rectified_corners`` are where the TRUE plate corners
    fall in it (near, not on, the crop corners, because the rectifier used jittered corners).
    ``loose`` is an axis-aligned crop with margin at the camera's pixel size;
    ``loose_corners`` are the plate corners in it and ``loose_box`` their bounding box.
    ``hidden`` are the fields an occluder hides (:func:`hidden_fields`).
    """

    plate: Plate
    rectified: Image8
    rectified_corners: FloatArray
    loose: Image8
    loose_corners: FloatArray
    loose_box: BoxXYXY
    pose: Pose
    params: PhotometricParams
    hidden: frozenset[Field] = frozenset()


_BLUR_BUDGET = 0.018
"""Largest combined blur (standard deviation, in plate widths) the legibility guard lets
through: 1 px on a 55-px plate, 5 px on a 300-px one. The designation strokes are 12 mm of
330 mm (3.6 %) wide: blurs beyond about half a stroke merge the digits."""


def _legible(params: PhotometricParams, plate_width: float) -> PhotometricParams:
    """Shrink the blurs together so that their combined spread stays within the budget."""
    defocus = params.defocus_sigma or 0.0
    streak = params.motion[0] / math.sqrt(12.0) if params.motion is not None else 0.0
    pixels = 0.35 * params.lowres_factor if params.lowres_factor is not None else 0.0
    total = math.sqrt(defocus**2 + streak**2 + pixels**2)
    cap = _BLUR_BUDGET * plate_width
    if total <= cap:
        return params
    k = cap / total
    factor = None if params.lowres_factor is None else params.lowres_factor * k
    return replace(
        params,
        defocus_sigma=None if params.defocus_sigma is None else params.defocus_sigma * k,
        motion=None if params.motion is None else (params.motion[0] * k, params.motion[1]),
        lowres_factor=factor if factor is not None and factor > 1.05 else None,
    )


def _sample_params(
    rng: np.random.Generator, cfg: PlateSampleConfig, plate_width: float, scale: float
) -> PhotometricParams:
    params = sample_photometric(rng, cfg.degradation)
    if cfg.legibility_guard:
        params = _legible(params, plate_width)
    return params.scaled(scale) if scale < 1.0 else params


def _contrast(image: Image8) -> float:
    # Every other pixel is plenty for a standard deviation and 4x cheaper.
    return float(_luminance(image[::2, ::2].astype(np.float32)).std())


def _draw_mount(
    canvas: Image.Image, rng: np.random.Generator, to_canvas: FloatArray, plate_w: float
) -> None:
    """Draw what a plate is mounted in, in plate-plane coordinates mapped to the canvas:
    a dark recess in the bumper and, often, a plate frame."""
    draw = ImageDraw.Draw(canvas)
    ph = plate_w / 2.0

    def quad(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
        pts = apply_homography(to_canvas, rectangle(x1 - x0, y1 - y0, x0, y0))
        return [(float(x), float(y)) for x, y in pts]

    if rng.random() < 0.6:
        ex, ey = (float(v) for v in rng.uniform(0.05, 0.25, size=2))
        shade = int(rng.integers(10, 70))
        draw.polygon(
            quad(-ex * plate_w, -ey * ph, plate_w * (1 + ex), ph * (1 + ey)), fill=(shade,) * 3
        )
    if rng.random() < 0.5:
        ex = float(rng.uniform(0.015, 0.05))
        palette = ((25, 25, 25), (200, 200, 205), (235, 235, 235), (170, 140, 60))
        colour = palette[int(rng.integers(0, len(palette)))]
        draw.polygon(
            quad(-ex * plate_w, -ex * plate_w, plate_w * (1 + ex), ph + ex * plate_w), fill=colour
        )


def make_plate_sample(
    rng: np.random.Generator,
    config: PlateSampleConfig | None = None,
    *,
    plate: Plate | None = None,
    pose: Pose | None = None,
    params: PhotometricParams | None = None,
) -> PlateSample:
    """Render ``plate`` (random when ``None``), photograph it and cut the two crops.

    ``pose`` and ``params`` fix the view and the degradations instead of drawing them from
    ``config.degradation`` (to show one effect at a time, say); given ``params`` are used as
    they are, without the legibility guard.

    Steps: render with a transparent margin; draw a pose (angles, pixel width); draw a
    background the size of the largest loose crop (a car panel with the bumper below the
    plate, or texture, gradient, clutter); draw a recess and frame; warp the plate in
    (antialiased when shrinking); degrade the camera image in camera order; rectify from
    jittered corners with the reader's own rectifier; cut the loose crop.
    """
    cfg = config or PlateSampleConfig()
    plate = plate if plate is not None else random_plate(rng)
    rendered = render_plate(plate, rng=rng, width=cfg.render_width, margin=cfg.render_margin)
    fixed = params is not None
    pose = pose if pose is not None else sample_pose(rng, cfg.degradation)
    scale = min(1.0, cfg.max_working_width / pose.width)
    if params is None:
        params = _sample_params(rng, cfg, pose.width, scale)
    elif scale < 1.0:
        params = params.scaled(scale)
    view = _plate_view(_corners_of(rendered), replace(pose, width=pose.width * scale))
    quad = apply_homography(view, _corners_of(rendered))
    lo, hi = quad.min(axis=0), quad.max(axis=0)
    box_w, box_h = float(hi[0] - lo[0]), float(hi[1] - lo[1])
    # The canvas is the loose crop, grown where needed to hold the jittered corners: every
    # degradation costs in proportion to its area.
    margins = rng.uniform(*cfg.loose_margin, size=4)  # left, top, right, bottom
    room = np.maximum(margins, 2.5 * cfg.corner_jitter) + 2.0 / max(box_w, box_h, 1.0)
    origin = (math.floor(lo[0] - room[0] * box_w), math.floor(lo[1] - room[1] * box_h))
    size = (
        math.ceil(hi[0] + room[2] * box_w) - origin[0],
        math.ceil(hi[1] + room[3] * box_h) - origin[1],
    )
    to_canvas = compose(view, translation(-origin[0], -origin[1]))
    quad = apply_homography(to_canvas, _corners_of(rendered))

    # The background: most plates sit on a car, with the bumper edge below them.
    if rng.random() < 0.6:
        bottom = float(quad[:, 1].max()) / size[1]
        background = car_paint(rng, size[0], size[1], bumper_y=bottom + float(rng.uniform(0, 0.15)))
    else:
        background = random_background(rng, size[0], size[1])
    canvas = Image.fromarray(background)
    if rng.random() < cfg.mount_prob:
        working_width = pose.width * scale
        plate_pixels = homography(rectangle(working_width, working_width / 2.0), quad)
        _draw_mount(canvas, rng, plate_pixels, working_width)
    _paste(canvas, rendered.image, rendered.alpha, to_canvas)
    clean = np.asarray(canvas)

    # Rectify as the reader does, from corners a localizer might have found.
    plate_w = float(np.hypot(*(quad[1] - quad[0])))
    plate_h = float(np.hypot(*(quad[3] - quad[0])))
    spread = np.array([plate_w, plate_h]) * cfg.corner_jitter
    jitter = np.clip(rng.normal(0.0, 1.0, size=(4, 2)), -2.5, 2.5) * spread
    found = quad + jitter
    rectifier = PerspectiveRectifier(cfg.output_size)
    for attempt in range(3):
        image, occlusions = apply_photometric_traced(clean, params, rng, [quad])
        rectified = rectifier.warp(image, Quad.from_points(found))
        legible = _contrast(rectified) >= cfg.min_contrast
        if fixed or not cfg.legibility_guard or attempt == 2 or legible:
            break
        # Washed out or black: a label nobody could read. Photograph it again.
        params = _sample_params(rng, cfg, pose.width, scale)
    out_w, out_h = cfg.output_size
    to_crop = homography(found, rectangle(out_w, out_h))
    rectified_corners = apply_homography(to_crop, quad)

    # The loose crop: the plate box plus a random margin on each side, like a detector box.
    lx0 = max(0, math.floor(lo[0] - origin[0] - margins[0] * box_w))
    ly0 = max(0, math.floor(lo[1] - origin[1] - margins[1] * box_h))
    lx1 = min(size[0], math.ceil(hi[0] - origin[0] + margins[2] * box_w))
    ly1 = min(size[1], math.ceil(hi[1] - origin[1] + margins[3] * box_h))
    loose = np.ascontiguousarray(image[ly0:ly1, lx0:lx1])
    loose_corners = quad - np.array([lx0, ly0], dtype=np.float64)
    qmin, qmax = loose_corners.min(axis=0), loose_corners.max(axis=0)
    return PlateSample(
        plate=rendered.plate,
        rectified=rectified,
        rectified_corners=rectified_corners,
        loose=loose,
        loose_corners=loose_corners,
        loose_box=(float(qmin[0]), float(qmin[1]), float(qmax[0]), float(qmax[1])),
        pose=pose,
        params=params,
        hidden=hidden_fields(rendered.plate, quad, [o.polygon for o in occlusions]),
    )


# -- scenes for the localizer ---------------------------------------------------------------


@dataclass(frozen=True)
class VehiclePhoto:
    """A real photo with annotated (foreign) plates: ``quads`` are ``(N, 4, 2)`` TL, TR, BR,
    BL in the photo's pixels, usually the corners of a loose axis-aligned box."""

    path: Path
    quads: FloatArray

    @property
    def name(self) -> str:
        return self.path.name


def load_vehicle_photos(directory: Path | str) -> list[VehiclePhoto]:
    """Index ``directory/images/*.jpg`` with their ``directory/labels/<stem>.txt`` (one plate
    per line, ``x1 y1 ... x4 y4``). Photos without a label file are skipped, since their
    plates could not be replaced. Sorted by name, so indices are stable."""
    root = Path(directory)
    photos = []
    for image in sorted((root / "images").glob("*.jpg")):
        label = root / "labels" / f"{image.stem}.txt"
        if not label.is_file():
            continue
        rows = []
        for line in label.read_text(encoding="utf-8").splitlines():
            values = line.split()
            if len(values) == 8:
                rows.append([float(v) for v in values])
        if rows:
            photos.append(VehiclePhoto(image, np.array(rows, dtype=np.float64).reshape(-1, 4, 2)))
    return photos


def split_vehicle_photos(
    photos: Sequence[VehiclePhoto], val_fraction: float
) -> tuple[list[VehiclePhoto], list[VehiclePhoto]]:
    """Split photos into train and validation by a stable hash of the file name, so a photo
    never shows up (with different plates pasted) on both sides."""
    train: list[VehiclePhoto] = []
    val: list[VehiclePhoto] = []
    for photo in photos:
        bucket = zlib.crc32(photo.name.encode("utf-8")) % 10_000
        (val if bucket < val_fraction * 10_000 else train).append(photo)
    return train, val


@dataclass(frozen=True)
class ScenePlate:
    """A plate in a scene.

    ``corners`` are the plate's true corners in the scene image (possibly outside it when the
    plate is cut by the image edge); ``visibility`` is 2 for a corner inside the image and 0
    for one outside; ``box`` is the bounding box of the visible part; ``visible`` is the share
    of the plate's area inside the image; ``hidden`` are the fields an occluder or the image
    edge hides (:func:`hidden_fields`).
    """

    plate: Plate
    corners: FloatArray
    box: BoxXYXY
    visibility: tuple[int, int, int, int]
    visible: float
    hidden: frozenset[Field] = frozenset()


@dataclass(frozen=True)
class Scene:
    """A scene image, its plates, and where it came from (``"synthetic"`` or a photo name)."""

    image: Image8
    plates: tuple[ScenePlate, ...]
    source: str


@dataclass(frozen=True)
class SceneConfig:
    """How :func:`make_scene` builds scenes.

    ``size`` is the longer side of the full frame in pixels (the size the localizer will see
    whole frames at); with ``crop`` set, the scene is an ``crop x crop`` window of such a
    frame, so plates keep their frame pixel size ("native scale"). ``plate_width`` is the
    range of plate widths in synthetic frames as a share of ``size`` (drawn log-uniformly).
    ``vehicle_share`` is the share of positive scenes built from vehicle photos when photos
    are given. ``min_visible``: a plate cut by the window edge is labelled when at least this
    share of it is inside, and erased otherwise.
    """

    size: int = 640
    crop: int | None = None
    negative_fraction: float = 0.1
    vehicle_share: float = 0.7
    max_plates: int = 3
    plate_width: tuple[float, float] = (0.03, 0.3)
    min_visible: float = 0.6
    pose: DegradationConfig = field(
        default_factory=lambda: DegradationConfig(
            max_yaw=SCENE_MAX_YAW, max_pitch=SCENE_MAX_PITCH, max_roll=SCENE_MAX_ROLL
        )
    )
    """Pose ranges of pasted plates (only the angle and distance fields are used)."""
    photo_max_yaw: float = PHOTO_MAX_YAW
    """Largest yaw of a plate that replaces a vehicle photo's plate (pitch and roll stay
    within 10° and 3° there, to fit the photo's box); ``pose.max_yaw`` applies to the others.
    The default keeps photo plates nearly frontal: none is then narrower on screen than 1.4:1."""
    camera: DegradationConfig = field(
        default_factory=lambda: DegradationConfig(
            defocus_prob=0.15,
            defocus_sigma=(0.3, 1.2),
            motion_prob=0.1,
            motion_length=(1.5, 5.0),
            lowres_prob=0.1,
            lowres_factor=(1.2, 2.0),
            shadow_prob=0.15,
            night_prob=0.05,
            occlusion_prob=0.05,
            noise_prob=0.5,
            noise_sigma=(0.5, 4.0),
            shot_noise=(0.0, 0.15),
            jpeg_prob=0.5,
            jpeg_quality=(30, 95),
        )
    )
    """Degradations of the whole scene image (plates and surroundings alike)."""

    def __post_init__(self) -> None:
        if self.size < 64:
            raise ValueError(f"size must be at least 64, got {self.size}")
        if self.crop is not None and self.crop < 32:
            raise ValueError(f"crop must be at least 32, got {self.crop}")
        for name in ("negative_fraction", "vehicle_share", "min_visible"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        if not 0.0 <= self.photo_max_yaw < 90.0:
            raise ValueError(f"photo_max_yaw must be in [0, 90), got {self.photo_max_yaw}")


@dataclass
class _Placed:
    """A plate pasted into a frame, before the window and visibility are known."""

    plate: Plate
    corners: FloatArray


def _luminance(region: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
    lum: npt.NDArray[np.float32] = region @ weights
    return lum


def _gradient_energy(gray: npt.NDArray[np.float32]) -> float:
    if gray.shape[0] < 2 or gray.shape[1] < 2:
        return 0.0
    return float(np.abs(np.diff(gray, axis=0)).mean() + np.abs(np.diff(gray, axis=1)).mean())


def _blur_ratio(gray: npt.NDArray[np.float32]) -> float | None:
    """How much of the detail survives a sigma-1 blur: near 0 for sharp, near 1 for soft."""
    base = _gradient_energy(gray)
    if base < 1e-3:
        return None
    blurred = np.asarray(_gray_image(gray).filter(ImageFilter.GaussianBlur(1.0)), np.float32)
    return _gradient_energy(blurred) / base


def _gray_image(gray: npt.NDArray[np.float32]) -> Image.Image:
    # PIL blurs 8-bit images only; a quarter level of rounding does not move the ratios.
    return Image.fromarray(np.clip(gray + 0.5, 0.0, 255.0).astype(np.uint8), "L")


def _noise_level(gray: npt.NDArray[np.float32]) -> float:
    """Immerkaer's noise estimate, made robust to edges with a median."""
    if gray.shape[0] < 3 or gray.shape[1] < 3:
        return 0.0
    g = gray
    lap = (
        g[:-2, :-2]
        - 2 * g[:-2, 1:-1]
        + g[:-2, 2:]
        - 2 * g[1:-1, :-2]
        + 4 * g[1:-1, 1:-1]
        - 2 * g[1:-1, 2:]
        + g[2:, :-2]
        - 2 * g[2:, 1:-1]
        + g[2:, 2:]
    )
    # |N(0, 6 sigma)| has median 0.6745 * 6 sigma.
    return float(np.median(np.abs(lap)) / (0.6745 * 6.0))


def _match_blur(image: Image8, h: FloatArray, target: FloatArray, reference: float | None) -> float:
    """The Gaussian sigma that makes the warped plate about as soft as the photo's old plate
    (both measured by :func:`_blur_ratio` on the plate's inner part, lettering included)."""
    if reference is None:
        return 0.5
    x0, y0 = math.floor(target[:, 0].min()), math.floor(target[:, 1].min())
    width = math.ceil(target[:, 0].max()) - x0
    height = math.ceil(target[:, 1].max()) - y0
    if width < 8 or height < 4:
        return 0.5
    small, local = prescale_pil(Image.fromarray(image), compose(h, translation(-x0, -y0)))
    warped = np.asarray(warp_pil(small, local, (width, height)), dtype=np.float32)
    inner = warped[height // 6 : height - height // 6, width // 6 : width - width // 6]
    gray = _luminance(inner)
    chosen = 0.0
    for sigma in (0.0, 0.4, 0.7, 1.0, 1.4, 2.0, 2.8):
        soft = gray
        if sigma > 0:
            soft = np.asarray(
                _gray_image(gray).filter(ImageFilter.GaussianBlur(sigma)), dtype=np.float32
            )
        ratio = _blur_ratio(soft)
        chosen = sigma
        if ratio is None or ratio >= reference - 0.02:
            break
    return chosen


def _light_table(gain: float, cast: FloatArray, contrast: float, mean: float) -> list[int]:
    levels = np.arange(256, dtype=np.float64)
    tables = []
    for channel in range(3):
        values = (levels * gain * float(cast[channel]) - mean) * contrast + mean
        tables.append(np.clip(np.rint(values), 0, 255).astype(np.uint8))
    return [int(v) for v in np.concatenate(tables)]


def _replace_plate(
    frame: Image8, quad: FloatArray, rng: np.random.Generator, config: SceneConfig
) -> tuple[Image8, _Placed | None]:
    """Erase the annotated plate ``quad`` of a photo and paste a rendered Japanese plate
    over the spot, matching the photo's perspective, light, softness and grain."""
    height, width = frame.shape[:2]
    x0, y0 = quad.min(axis=0)
    x1, y1 = quad.max(axis=0)
    bw, bh = float(x1 - x0), float(y1 - y0)
    grow = 0.06
    erase = (x0 - grow * bw - 1, y0 - grow * bh - 1, x1 + grow * bw + 1, y1 + grow * bh + 1)
    if bw < 8 or bh < 4:
        return inpaint_box(frame, erase, rng), None

    # Measure the old plate (the best reference for light and focus at that spot) first.
    ix0, iy0 = max(0, int(x0)), max(0, int(y0))
    ix1, iy1 = min(width, math.ceil(x1)), min(height, math.ceil(y1))
    region = frame[iy0:iy1, ix0:ix1].astype(np.float32)
    lum = _luminance(region)
    white = float(np.percentile(lum, 90))
    mean_rgb = region.reshape(-1, 3).mean(axis=0)
    cast = np.clip((mean_rgb / max(float(mean_rgb.mean()), 1.0)) ** 0.5, 0.85, 1.15)
    sharpness = _blur_ratio(lum)
    rx0, ry0 = max(0, int(x0 - bw)), max(0, int(y0 - bh))
    rx1, ry1 = min(width, int(x1 + bw)), min(height, int(y1 + bh))
    grain = min(_noise_level(_luminance(frame[ry0:ry1, rx0:rx1].astype(np.float32))), 8.0)

    frame = inpaint_box(frame, erase, rng)

    axis_aligned = bool(
        np.allclose(quad[0, 1], quad[1, 1])
        and np.allclose(quad[2, 1], quad[3, 1])
        and np.allclose(quad[0, 0], quad[3, 0])
        and np.allclose(quad[1, 0], quad[2, 0])
    )
    if axis_aligned:
        aspect = bw / bh
        if aspect > 2.8:  # long European/Brazilian plates: match the height instead
            plate_w = 2.0 * bh * float(rng.uniform(0.95, 1.15))
        else:  # boxes are loose: a slightly smaller 2:1 plate, the erased rest is bumper
            plate_w = bw * float(rng.uniform(0.88, 1.03))
        pose = replace(
            sample_pose(
                rng,
                replace(config.pose, max_yaw=config.photo_max_yaw, max_pitch=10.0, max_roll=3.0),
            ),
            width=plate_w,
        )
        centred = apply_homography(_plate_view(rectangle(2.0, 1.0), pose), rectangle(2.0, 1.0))
        centre = np.array([(x0 + x1) / 2.0, (y0 + y1) / 2.0])
        centre += rng.uniform(-0.03, 0.03, size=2) * np.array([bw, bh])
        target = centred + centre
    else:
        target = quad.copy()

    rendered = render_plate(random_plate(rng), rng=rng, width=256, margin=0.1)
    h = homography(_corners_of(rendered), target)
    gain = float(np.clip(white / 226.0, 0.3, 1.2))
    contrast = float(rng.uniform(0.8, 1.0))
    table = _light_table(gain, cast, contrast, float(lum.mean()))
    lit = np.asarray(Image.fromarray(rendered.image).point(table))
    blur = _match_blur(lit, h, target, sharpness)
    canvas = Image.fromarray(frame)
    _paste(canvas, lit, rendered.alpha, h, blur=blur, noise=grain, rng=rng)
    return np.asarray(canvas), _Placed(rendered.plate, target)


def _load_frame(photo: VehiclePhoto, size: int) -> tuple[Image8, FloatArray]:
    with Image.open(photo.path) as im:
        width, height = im.size  # before draft(), which may decode at 1/2, 1/4 or 1/8 size
        scale = size / max(width, height)
        new = (max(1, round(width * scale)), max(1, round(height * scale)))
        if scale < 0.5:
            im.draft("RGB", new)
        rgb = im.convert("RGB")
        quads = photo.quads * np.array([new[0] / width, new[1] / height])
        if new != rgb.size:
            rgb = rgb.resize(new, Image.Resampling.BILINEAR, reducing_gap=2.0)
        return np.asarray(rgb), quads


def _photo_frame(
    rng: np.random.Generator, config: SceneConfig, photo: VehiclePhoto
) -> tuple[Image8, list[_Placed]]:
    frame, quads = _load_frame(photo, config.size)
    placed = []
    for quad in quads:
        frame, item = _replace_plate(frame, quad, rng, config)
        if item is not None:
            placed.append(item)
    return frame, placed


def _street(rng: np.random.Generator, width: int, height: int) -> Image8:
    """A crude street: a background above (walls, sky, clutter) and a road below."""
    horizon = int(height * float(rng.uniform(0.15, 0.6)))
    kind = int(rng.integers(0, 3))
    if kind == 0:
        top = texture(rng, width, max(1, horizon))
    elif kind == 1:
        top = clutter(rng, width, max(1, horizon))
    else:
        top = gradient(rng, width, max(1, horizon))
    level = int(rng.integers(60, 150))
    road = texture(rng, width, max(1, height - horizon), (level, level, level + 3), contrast=20.0)
    pil = Image.fromarray(np.concatenate([top, road], axis=0)[:height])
    draw = ImageDraw.Draw(pil)
    for _ in range(int(rng.integers(0, 4))):
        x = float(rng.uniform(0, width))
        draw.line(
            [(x, height), (x + float(rng.uniform(-0.5, 0.5)) * width, horizon)],
            fill=(235, 235, 230) if rng.random() < 0.7 else (240, 190, 40),
            width=int(rng.integers(2, 10)),
        )
    return np.asarray(pil)


def _draw_car(canvas: Image.Image, rng: np.random.Generator, to_canvas: FloatArray) -> None:
    """A car's rear in the plate's plane (unit: plate width; plate at [0, 1] x [0, 0.5]):
    a shaded body panel, rear window, tail lights, bumper, tyres and the plate recess."""

    def poly(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
        pts = apply_homography(to_canvas, rectangle(x1 - x0, y1 - y0, x0, y0))
        return [(float(x), float(y)) for x, y in pts]

    half = float(rng.uniform(2.0, 2.6))
    top = -float(rng.uniform(1.2, 1.8))
    body = poly(0.5 - half, top, 0.5 + half, 1.25)
    xs, ys = [p[0] for p in body], [p[1] for p in body]
    bx0, by0 = max(0, math.floor(min(xs))), max(0, math.floor(min(ys)))
    bx1, by1 = min(canvas.width, math.ceil(max(xs))), min(canvas.height, math.ceil(max(ys)))
    if bx1 - bx0 < 2 or by1 - by0 < 2:
        return
    paint = Image.fromarray(car_paint(rng, bx1 - bx0, by1 - by0, bumper_y=1.0))
    mask = Image.new("L", paint.size, 0)
    ImageDraw.Draw(mask).polygon([(x - bx0, y - by0) for x, y in body], fill=255)
    canvas.paste(paint, (bx0, by0), mask)
    average = np.asarray(paint.resize((1, 1), Image.Resampling.BOX)).reshape(3)
    colour = (int(average[0]), int(average[1]), int(average[2]))
    draw = ImageDraw.Draw(canvas)
    glass = int(rng.integers(20, 70))
    draw.polygon(
        poly(0.5 - half * 0.8, top - 1.2, 0.5 + half * 0.8, top), fill=(glass, glass, glass + 8)
    )
    red = (int(rng.integers(150, 220)), int(rng.integers(10, 50)), int(rng.integers(10, 50)))
    for x in (0.5 - half + 0.1, 0.5 + half - 0.7):
        draw.polygon(poly(x, top + 0.3, x + 0.6, top + 0.9), fill=red)
    bumper = (30, 30, 32) if rng.random() < 0.4 else colour
    draw.polygon(poly(0.5 - half, 0.75, 0.5 + half, 1.25), fill=bumper)
    draw.line(poly(0.5 - half, 0.75, 0.5 + half, 0.75)[:2], fill=(15, 15, 15), width=2)
    for x in (0.5 - half + 0.2, 0.5 + half - 1.0):
        draw.polygon(poly(x, 1.25, x + 0.8, 1.6), fill=(15, 15, 15))
    draw.polygon(poly(-0.1, -0.07, 1.1, 0.57), fill=(25, 25, 25))


def _synthetic_frame(
    rng: np.random.Generator, config: SceneConfig, width: int, height: int, negative: bool
) -> tuple[Image8, list[_Placed]]:
    """A procedural street with car rears, plates (unless ``negative``) and distractors."""
    canvas = Image.fromarray(_street(rng, width, height))
    plates = 0 if negative else int(rng.integers(1, config.max_plates + 1))
    empty_cars = int(rng.integers(0, 2)) if negative or rng.random() < 0.3 else 0
    placed: list[_Placed] = []
    taken: list[BoxXYXY] = []
    lo, hi = config.plate_width
    for index in range(plates + empty_cars):
        with_plate = index < plates
        share = float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
        plate_w = min(share * config.size, 0.7 * min(width, height))
        pose = replace(sample_pose(rng, config.pose), width=plate_w)
        unit = _plate_view(rectangle(1.0, 0.5), pose)
        outline = apply_homography(unit, rectangle(1.0, 0.5))
        span = outline.max(axis=0) - outline.min(axis=0)
        for _ in range(20):
            cx = float(rng.uniform(span[0] / 2, width - span[0] / 2))
            cy = float(rng.uniform(span[1] / 2, height - span[1] / 2))
            corners = outline + np.array([cx, cy])
            box = (*corners.min(axis=0), *corners.max(axis=0))
            # The new car is drawn over the earlier ones: it must not hide their plates.
            if not any(_intersects(_grow(box, 2.6, 6.0), t) for t in taken):
                break
        else:
            continue
        to_canvas = compose(unit, translation(cx, cy))
        _draw_car(canvas, rng, to_canvas)
        taken.append((float(box[0]), float(box[1]), float(box[2]), float(box[3])))
        if with_plate:
            rendered = render_plate(random_plate(rng), rng=rng, width=256, margin=0.1)
            h = homography(_corners_of(rendered), corners)
            _paste(canvas, rendered.image, rendered.alpha, h)
            placed.append(_Placed(rendered.plate, corners))
    scale = config.size * math.sqrt(lo * hi)
    draw_distractors(canvas, rng, int(rng.integers(0, 5)), scale=scale, avoid=taken)
    return np.asarray(canvas), placed


def _grow(box: BoxXYXY, fx: float, fy: float) -> BoxXYXY:
    w, h = box[2] - box[0], box[3] - box[1]
    return (box[0] - fx * w, box[1] - fy * h, box[2] + fx * w, box[3] + fy * h)


def _intersects(a: BoxXYXY, b: BoxXYXY) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _visibility(corners: FloatArray, window: BoxXYXY) -> tuple[float, FloatArray]:
    area = _polygon_area(corners)
    clipped = _clip_polygon(corners, window)
    return (_polygon_area(clipped) / area if area > 0 else 0.0), clipped


def _choose_window(
    rng: np.random.Generator, frame: Image8, placed: list[_Placed], crop: int, min_visible: float
) -> tuple[int, int]:
    """A ``crop x crop`` window: around a random plate when there is one, avoiding windows
    that cut a plate to a sliver (which could be neither labelled nor ignored)."""
    height, width = frame.shape[:2]
    best = (0, 0)
    for _ in range(12):
        if placed:
            target = placed[int(rng.integers(0, len(placed)))].corners
            tx0, ty0 = target.min(axis=0)
            tx1, ty1 = target.max(axis=0)
            lo_x, hi_x = max(0.0, tx1 - crop), min(tx0, width - crop)
            lo_y, hi_y = max(0.0, ty1 - crop), min(ty0, height - crop)
            x = (
                int(rng.uniform(lo_x, hi_x))
                if hi_x > lo_x
                else int(rng.uniform(0, max(1, width - crop)))
            )
            y = (
                int(rng.uniform(lo_y, hi_y))
                if hi_y > lo_y
                else int(rng.uniform(0, max(1, height - crop)))
            )
        else:
            x = int(rng.integers(0, max(1, width - crop + 1)))
            y = int(rng.integers(0, max(1, height - crop + 1)))
        best = (x, y)
        window = (float(x), float(y), float(x + crop), float(y + crop))
        if all(not 0.0 < _visibility(p.corners, window)[0] < min_visible for p in placed):
            break
    return best


def _label(
    placed: list[_Placed], width: int, height: int, min_visible: float
) -> tuple[list[ScenePlate], list[FloatArray]]:
    """Labels for the plates visible enough, and the quads of those to erase."""
    window = (0.0, 0.0, float(width), float(height))
    labels, erase = [], []
    for item in placed:
        visible, clipped = _visibility(item.corners, window)
        if visible <= 0.0:
            continue
        if visible < min_visible:
            erase.append(clipped)
            continue
        lo, hi = clipped.min(axis=0), clipped.max(axis=0)
        inside = [2 if 0.0 <= x <= width and 0.0 <= y <= height else 0 for x, y in item.corners]
        labels.append(
            ScenePlate(
                plate=item.plate,
                corners=item.corners,
                box=(float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])),
                visibility=(inside[0], inside[1], inside[2], inside[3]),
                visible=visible,
            )
        )
    return labels, erase


def make_scene(
    rng: np.random.Generator,
    config: SceneConfig | None = None,
    photos: Sequence[VehiclePhoto] = (),
) -> Scene:
    """Build one labelled scene.

    A share ``negative_fraction`` of scenes has no plate (always procedural: the vehicle
    photos contain unlabelled plates, so they are never used as negatives). Positive scenes
    come from ``photos`` (a share ``vehicle_share``, when given) or are procedural. With
    ``config.crop``, the result is a native-scale window; otherwise the whole frame with its
    longer side ``config.size``. Camera degradations then apply to the whole image.
    """
    cfg = config or SceneConfig()
    negative = bool(rng.random() < cfg.negative_fraction)
    use_photo = (not negative) and bool(photos) and bool(rng.random() < cfg.vehicle_share)
    if use_photo:
        photo = photos[int(rng.integers(0, len(photos)))]
        source = photo.name
        frame, placed = _photo_frame(rng, cfg, photo)
        if cfg.crop is not None:
            frame, placed = _window(rng, frame, placed, cfg.crop, cfg.min_visible)
    else:
        source = "synthetic"
        if cfg.crop is not None:
            width = height = cfg.crop
        else:
            aspect = (9 / 16, 3 / 4, 1.0)[int(rng.integers(0, 3))]
            width, height = cfg.size, max(32, round(cfg.size * aspect))
        frame, placed = _synthetic_frame(rng, cfg, width, height, negative)
    height, width = frame.shape[:2]
    labels, erase = _label(placed, width, height, cfg.min_visible)
    for quad in erase:
        lo, hi = quad.min(axis=0), quad.max(axis=0)
        frame = inpaint_box(frame, (lo[0] - 1, lo[1] - 1, hi[0] + 1, hi[1] + 1), rng)
    params = sample_photometric(rng, cfg.camera)
    image, occlusions = apply_photometric_traced(frame, params, rng, [p.corners for p in labels])
    plates = tuple(
        replace(
            label,
            hidden=hidden_fields(
                label.plate,
                label.corners,
                [o.polygon for o in occlusions if o.plate == index],
                (width, height),
            ),
        )
        for index, label in enumerate(labels)
    )
    return Scene(image=np.ascontiguousarray(image), plates=plates, source=source)


def _window(
    rng: np.random.Generator, frame: Image8, placed: list[_Placed], crop: int, min_visible: float
) -> tuple[Image8, list[_Placed]]:
    """Cut a ``crop x crop`` window (padding with grey, as letterboxing does, when the frame
    is smaller) and move the plates into its coordinates."""
    height, width = frame.shape[:2]
    if width < crop or height < crop:
        padded = np.full((max(height, crop), max(width, crop), 3), 114, dtype=np.uint8)
        padded[:height, :width] = frame
        frame = padded
    x, y = _choose_window(rng, frame, placed, crop, min_visible)
    window = np.ascontiguousarray(frame[y : y + crop, x : x + crop])
    shift = np.array([x, y], dtype=np.float64)
    return window, [_Placed(p.plate, p.corners - shift) for p in placed]


# -- single demonstration scenes -------------------------------------------------------------


def posed_corners(
    width: float,
    centre: tuple[float, float],
    *,
    yaw: float = 0.0,
    pitch: float = 0.0,
    roll: float = 0.0,
    distance: float = 3.0,
) -> FloatArray:
    """Corners TL, TR, BR, BL on screen of a plate ``width`` px wide when frontal, centred at
    ``centre`` and turned by ``yaw``, ``pitch`` and ``roll`` degrees
    (:func:`jlpr.synth.warp.pose_homography`, ``distance`` in plate widths)."""
    height = width * CANONICAL_SIZE[1] / CANONICAL_SIZE[0]
    pose = compose(
        pose_homography(width, height, yaw=yaw, pitch=pitch, roll=roll, distance=distance),
        translation(*centre),
    )
    return apply_homography(pose, rectangle(width, height))


def plate_on_panel(
    plate: Plate,
    corners: npt.ArrayLike,
    *,
    seed: int = 20261121,
    size: tuple[int, int] = (1280, 720),
    blur: float = 0.6,
) -> Image.Image:
    """A painted car panel of ``size`` with ``plate`` drawn at ``corners`` (TL, TR, BR, BL).

    One clean plate, no degradation but a light blur: the bundled example
    (``tools/make_example.py``), the documentation figures and the tests of the bundled
    weights. The same arguments give the same image.
    """
    rng = np.random.default_rng(seed)
    frame = Image.fromarray(car_paint(rng, size[0], size[1], bumper_y=0.72))
    rendered = render_plate(plate, rng=rng, width=512, margin=0.05)
    rgba = Image.fromarray(np.dstack([rendered.image, rendered.alpha]), "RGBA")
    to_frame = homography(_corners_of(rendered), np.asarray(corners, dtype=np.float64))
    patch = warp_pil(rgba, to_frame, frame.size, fill=(0, 0, 0, 0))
    frame.paste(patch, (0, 0), patch)
    return frame.filter(ImageFilter.GaussianBlur(blur))
