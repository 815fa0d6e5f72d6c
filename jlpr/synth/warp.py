"""Homography helpers for the synthesizer: plate poses, warps, antialiasing and crops.

Conventions (as everywhere in jlpr): images are ``(H, W, C)`` uint8 arrays; points are
``(x, y)`` floats with ``(0, 0)`` the top-left corner of the top-left pixel, so pixel ``(i, j)``
covers ``[j, j + 1) x [i, i + 1)`` and its centre is ``(j + 0.5, i + 0.5)``; quads are ordered
TL, TR, BR, BL. A homography ``H`` is a ``(3, 3)`` float64 array that maps a SOURCE point to a
DESTINATION point: ``(x', y', w')^T = H (x, y, 1)^T`` and the destination is ``(x'/w', y'/w')``;
:func:`jlpr.geometry.homography` fits one to four point pairs and
:func:`jlpr.geometry.apply_homography` moves points with it.

Warping uses PIL's C implementation of ``Image.transform(..., PERSPECTIVE)``, which samples
the source at the pixel centre of each destination pixel (the same convention as above, checked
in the tests), and premultiplies alpha for RGBA images so transparent margins do not bleed.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from PIL import Image

from jlpr.geometry import apply_homography, homography

__all__ = [
    "FloatArray",
    "compose",
    "crop_to_rectangle",
    "pose_homography",
    "prescale",
    "prescale_pil",
    "rectangle",
    "translation",
    "warp_image",
    "warp_pil",
]

FloatArray = npt.NDArray[np.float64]

_RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
}


def rectangle(width: float, height: float, x: float = 0.0, y: float = 0.0) -> FloatArray:
    """The ``(4, 2)`` corners TL, TR, BR, BL of the axis-aligned ``width x height`` rectangle
    whose top-left corner is ``(x, y)``."""
    return np.array(
        [[x, y], [x + width, y], [x + width, y + height], [x, y + height]], dtype=np.float64
    )


def translation(dx: float, dy: float) -> FloatArray:
    """The homography that shifts every point by ``(dx, dy)``."""
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]], dtype=np.float64)


def compose(*homographies: FloatArray) -> FloatArray:
    """The homography that applies the given ones in order (first argument first)."""
    out = np.eye(3, dtype=np.float64)
    for h in homographies:
        out = h @ out
    return np.asarray(out / out[2, 2], dtype=np.float64)


def pose_homography(
    width: float,
    height: float,
    *,
    yaw: float = 0.0,
    pitch: float = 0.0,
    roll: float = 0.0,
    distance: float = 8.0,
) -> FloatArray:
    """Homography of a flat ``width x height`` plate seen by a pinhole camera.

    The plate lies in its own plane with its centre on the optical axis at ``distance`` plate
    widths from the camera; it is turned by ``yaw`` (about the vertical axis, positive turns
    the right edge away from the camera), ``pitch`` (about the horizontal axis, positive tips the
    top edge away) and ``roll`` (in-plane, positive turns clockwise on screen), all in degrees.
    The focal length equals the distance, so a frontal plate keeps its size; the result maps
    plate pixels ``[0, width] x [0, height]`` to image points centred on ``(0, 0)``. Smaller
    ``distance`` means stronger keystone (the near edge looks larger than the far edge).
    """
    ry, rp, rr = (math.radians(v) for v in (yaw, pitch, roll))
    # Camera axes: x right, y down, z forward (into the scene).
    rot_y = np.array(
        [[math.cos(ry), 0.0, -math.sin(ry)], [0.0, 1.0, 0.0], [math.sin(ry), 0.0, math.cos(ry)]]
    )
    rot_x = np.array(
        [[1.0, 0.0, 0.0], [0.0, math.cos(rp), math.sin(rp)], [0.0, -math.sin(rp), math.cos(rp)]]
    )
    rot_z = np.array(
        [[math.cos(rr), -math.sin(rr), 0.0], [math.sin(rr), math.cos(rr), 0.0], [0.0, 0.0, 1.0]]
    )
    rot = rot_z @ rot_x @ rot_y
    z = distance * width
    focal = z
    # A plate point (u, v) sits at R (u - w/2, v - h/2, 0) + (0, 0, z) in camera space, so the
    # map (u, v, 1) -> camera point is [r1 r2 t] with t = (0, 0, z) - R (w/2, h/2, 0).
    centre = np.array([width / 2.0, height / 2.0, 0.0])
    t = np.array([0.0, 0.0, z]) - rot @ centre
    plane_to_camera = np.column_stack([rot[:, 0], rot[:, 1], t])
    intrinsics = np.array([[focal, 0.0, 0.0], [0.0, focal, 0.0], [0.0, 0.0, 1.0]])
    h = intrinsics @ plane_to_camera
    return np.asarray(h / h[2, 2], dtype=np.float64)


def warp_pil(
    image: Image.Image,
    h: FloatArray,
    size: tuple[int, int],
    *,
    resample: str = "bilinear",
    fill: tuple[int, ...] | int = 0,
) -> Image.Image:
    """:func:`warp_image` for a PIL image (any mode PIL can transform), returning one."""
    inverse = np.linalg.inv(h)
    inverse = inverse / inverse[2, 2]
    coeffs = tuple(float(v) for v in inverse.reshape(-1)[:8])
    return image.transform(
        (int(size[0]), int(size[1])),
        Image.Transform.PERSPECTIVE,
        coeffs,
        _RESAMPLE[resample],
        fillcolor=fill,
    )


def warp_image(
    image: npt.NDArray[np.uint8],
    h: FloatArray,
    size: tuple[int, int],
    *,
    resample: str = "bilinear",
    fill: tuple[int, ...] | int = 0,
) -> npt.NDArray[np.uint8]:
    """Warp ``image`` (``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)`` uint8) by ``h`` into a new
    image of ``size = (width, height)``; destination pixels that see no source get ``fill``.

    Four channels are treated as RGBA with straight alpha (PIL premultiplies for the warp).
    Note that bilinear warping does not low-pass filter: shrink an image by more than about
    1.5x with :func:`PIL.Image.Image.resize` first (see :func:`prescale`) to avoid aliasing.
    """
    warped = warp_pil(Image.fromarray(image), h, size, resample=resample, fill=fill)
    return np.asarray(warped)


def _minification(h: FloatArray, width: int, height: int) -> float:
    """How many destination pixels one source pixel becomes at the image centre."""
    centre = np.array([[width / 2.0, height / 2.0]])
    probe = centre + np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    mapped = apply_homography(h, probe)
    return max(float(np.hypot(*(mapped[1] - mapped[0]))), float(np.hypot(*(mapped[2] - mapped[0]))))


def prescale_pil(
    image: Image.Image, h: FloatArray, *, max_shrink: float = 1.5
) -> tuple[Image.Image, FloatArray]:
    """:func:`prescale` for a PIL image."""
    width, height = image.size
    gain = _minification(h, width, height)
    if gain <= 0.0 or 1.0 / gain <= max_shrink:
        return image, h
    new_w = max(2, round(width * gain))
    new_h = max(2, round(height * gain))
    small = image.resize((new_w, new_h), Image.Resampling.BILINEAR, reducing_gap=2.0)
    scale_back = np.diag([width / new_w, height / new_h, 1.0])
    return small, compose(scale_back, h)


def prescale(
    image: npt.NDArray[np.uint8], h: FloatArray, *, max_shrink: float = 1.5
) -> tuple[npt.NDArray[np.uint8], FloatArray]:
    """Shrink ``image`` ahead of a warp by ``h`` when the warp would minify it strongly.

    Returns the (possibly) resized image and the homography that maps IT to the same
    destination, so ``warp_image(*prescale(img, h), size)`` looks like an antialiased
    ``warp_image(img, h, size)``. The scale is judged at the image centre, which is good
    enough for the moderate perspective a plate shows. RGBA is resized premultiplied.
    """
    height, width = image.shape[:2]
    if 1.0 / max(_minification(h, width, height), 1e-9) <= max_shrink:
        return image, h
    small, h_small = prescale_pil(Image.fromarray(image), h, max_shrink=max_shrink)
    return np.asarray(small), h_small


def crop_to_rectangle(
    image: npt.NDArray[np.uint8],
    quad: npt.ArrayLike,
    size: tuple[int, int],
    *,
    resample: str = "bilinear",
    fill: tuple[int, ...] | int = 0,
) -> tuple[npt.NDArray[np.uint8], FloatArray]:
    """Cut the quad ``quad`` (TL, TR, BR, BL) out of ``image`` and warp it upright to
    ``size = (width, height)``, as a rectifier does. Returns the crop and the homography that
    maps ``image`` points to crop points."""
    src = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    h = homography(src, rectangle(size[0], size[1]))
    small, h_small = prescale(image, h)
    return warp_image(small, h_small, size, resample=resample, fill=fill), h
