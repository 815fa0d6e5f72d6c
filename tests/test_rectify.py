"""The perspective rectifier: upright crops from corners, box fallback when they are implausible."""

from __future__ import annotations

import numpy as np

from jlpr.geometry import apply_homography, homography
from jlpr.rectify import PerspectiveRectifier, corners_are_plausible
from jlpr.types import Box, PlateRegion, Quad, RectifyMethod


def test_homography_maps_the_four_points_exactly() -> None:
    src = [(0, 0), (10, 0), (10, 5), (0, 5)]
    dst = [(3, 4), (40, 8), (38, 30), (1, 25)]
    assert np.allclose(apply_homography(homography(src, dst), src), dst)


def test_an_axis_aligned_plate_comes_out_as_its_pixels_resized() -> None:
    image = np.zeros((200, 400, 3), dtype=np.uint8)
    image[50:114, 100:228] = (255, 0, 0)  # 128x64 plate: left half red
    image[50:114, 164:228] = (0, 0, 255)  # right half blue
    region = PlateRegion(Box(100, 50, 228, 114), 1.0, Quad.from_box(Box(100, 50, 228, 114)))
    result = PerspectiveRectifier((256, 128)).rectify(image, region)
    assert result.method is RectifyMethod.PERSPECTIVE
    assert result.image.shape == (128, 256, 3) and result.image.dtype == np.uint8
    assert tuple(result.image[64, 60]) == (255, 0, 0)
    assert tuple(result.image[64, 200]) == (0, 0, 255)


def test_a_skewed_plate_is_made_upright() -> None:
    # Draw a checker in rectified space, warp it into the image by a homography, then
    # rectify from the warped corners: the crop must show the checker again.
    w, h = 256, 128
    flat = np.zeros((h, w, 3), dtype=np.uint8)
    flat[: h // 2, : w // 2] = 255
    flat[h // 2 :, w // 2 :] = 255
    quad = [(120.0, 80.0), (330.0, 40.0), (350.0, 190.0), (110.0, 170.0)]
    rect = PerspectiveRectifier((w, h))
    image = np.zeros((260, 480, 3), dtype=np.uint8)
    # Paint the image by sampling the flat plate through the inverse homography.
    to_flat = homography(quad, [(0, 0), (w, 0), (w, h), (0, h)])
    ys, xs = np.mgrid[0:260, 0:480]
    pts = apply_homography(to_flat, np.stack([xs.ravel() + 0.5, ys.ravel() + 0.5], 1))
    inside = (pts[:, 0] >= 0) & (pts[:, 0] < w) & (pts[:, 1] >= 0) & (pts[:, 1] < h)
    fx = np.clip(pts[:, 0].astype(int), 0, w - 1)
    fy = np.clip(pts[:, 1].astype(int), 0, h - 1)
    image.reshape(-1, 3)[inside] = flat[fy[inside], fx[inside]]
    region = PlateRegion(Quad.from_points(quad).to_box(), 0.9, Quad.from_points(quad))
    out = rect.rectify(image, region).image.astype(int)
    # Compare away from the checker edges (bilinear blur there).
    for y, x in [(20, 30), (20, 220), (100, 30), (100, 220)]:
        assert abs(out[y, x, 0] - int(flat[y, x, 0])) < 40


def test_missing_or_folded_corners_fall_back_to_the_box() -> None:
    image = np.full((100, 200, 3), 128, dtype=np.uint8)
    box = Box(10, 10, 110, 60)
    rect = PerspectiveRectifier()
    assert rect.rectify(image, PlateRegion(box, 0.5)).method is RectifyMethod.BOX
    folded = Quad(((10, 10), (110, 60), (110, 10), (10, 60)))
    assert not corners_are_plausible(folded, box)
    assert rect.rectify(image, PlateRegion(box, 0.5, folded)).method is RectifyMethod.BOX


def test_corners_far_outside_their_box_are_implausible() -> None:
    box = Box(0, 0, 100, 50)
    far = Quad(((0, 0), (400, 0), (400, 50), (0, 50)))
    assert not corners_are_plausible(far, box)
    assert corners_are_plausible(Quad.from_box(box), box)


def test_large_plates_are_reduced_before_warping_so_thin_stripes_survive() -> None:
    # 1-px stripes on a 1024-px plate average to mid-grey when properly reduced; a plain
    # bilinear warp would alias them into black/white bands.
    image = np.zeros((512, 1024, 3), dtype=np.uint8)
    image[:, ::2] = 255
    box = Box(0, 0, 1024, 512)
    out = PerspectiveRectifier((256, 128)).rectify(image, PlateRegion(box, 1.0, Quad.from_box(box)))
    assert out.image[10:-10, 10:-10].std() < 20


def test_config_round_trip() -> None:
    rect = PerspectiveRectifier((192, 96))
    again = PerspectiveRectifier.from_config(rect.get_config(), directory=None)  # type: ignore[arg-type]
    assert again.output_size == (192, 96)
