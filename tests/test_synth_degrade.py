"""Degradations and warps: labels follow the pixels, ranges are respected, seeds repeat."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
import pytest

from jlpr.geometry import apply_homography
from jlpr.synth import fonts as font_search
from jlpr.synth.degrade import (
    DegradationConfig,
    PhotometricParams,
    add_noise,
    apply_photometric,
    apply_photometric_traced,
    defocus_blur,
    degrade,
    jpeg_roundtrip,
    motion_blur,
    sample_photometric,
    sample_pose,
    sharpen,
    warp_view,
)
from jlpr.synth.warp import pose_homography, prescale, rectangle, warp_image

needs_fonts = pytest.mark.skipif(
    not font_search.find_japanese_fonts(),
    reason='needs a Japanese font: pip install "jlpr[train]"',
)

Image8 = npt.NDArray[np.uint8]
MAGENTA = (255, 0, 255)


def _plate_on_black(
    margin: int = 30, width: int = 160, height: int = 80
) -> tuple[Image8, npt.NDArray[np.float64]]:
    """A magenta plate with a transparent margin: RGBA image and its plate corners."""
    image = np.zeros((height + 2 * margin, width + 2 * margin, 4), dtype=np.uint8)
    image[margin : margin + height, margin : margin + width] = (*MAGENTA, 255)
    corners = rectangle(width, height, margin, margin)
    return image, corners


def _inward(corners: npt.NDArray[np.float64], share: float) -> npt.NDArray[np.float64]:
    """Each corner moved ``share`` of the way towards the quad's centre (negative: away)."""
    centre = corners.mean(axis=0)
    moved: npt.NDArray[np.float64] = corners + (centre - corners) * share
    return moved


def _sample(image: Image8, point: npt.NDArray[np.float64]) -> Image8:
    x, y = int(np.floor(point[0])), int(np.floor(point[1]))
    pixel: Image8 = image[y, x]
    return pixel


# -- geometry -------------------------------------------------------------------------------


def test_frontal_pose_keeps_the_plate_size_and_centres_it() -> None:
    h = pose_homography(200.0, 100.0, distance=8.0)
    mapped = apply_homography(h, rectangle(200.0, 100.0))
    np.testing.assert_allclose(mapped, rectangle(200.0, 100.0, -100.0, -50.0), atol=1e-9)


def test_positive_yaw_turns_the_right_edge_away_and_positive_pitch_the_top_edge() -> None:
    c = apply_homography(pose_homography(200.0, 100.0, yaw=40.0), rectangle(200.0, 100.0))
    assert c[2, 1] - c[1, 1] < c[3, 1] - c[0, 1]  # right edge shorter than left
    c = apply_homography(pose_homography(200.0, 100.0, pitch=25.0), rectangle(200.0, 100.0))
    assert c[1, 0] - c[0, 0] < c[2, 0] - c[3, 0]  # top edge shorter than bottom
    c = apply_homography(pose_homography(200.0, 100.0, roll=10.0), rectangle(200.0, 100.0))
    assert c[1, 1] > c[0, 1]  # clockwise on screen: the top-right corner goes down


def test_warps_sample_pixel_centres_with_the_corner_origin_convention() -> None:
    # Pixel j holds 10 * j; doubling the image puts source x = 1.25 (value 7.5) at pixel 2.
    row = (np.arange(16, dtype=np.uint8) * 10)[None, :].repeat(4, axis=0)
    out = warp_image(row, np.diag([2.0, 1.0, 1.0]), (32, 4))
    assert out[1, 2] in (7, 8)
    assert out[1, 9] in (42, 43)  # source x = 4.75 -> 10 * 4.25


def test_prescale_keeps_the_mapping_of_points() -> None:
    image = np.zeros((200, 400, 3), dtype=np.uint8)
    h = np.diag([0.1, 0.1, 1.0])
    small, h_small = prescale(image, h)
    assert small.shape[1] < 100
    corner = np.array([[400.0, 200.0]])
    scaled = np.array([[small.shape[1], small.shape[0]]], dtype=np.float64)
    np.testing.assert_allclose(apply_homography(h_small, scaled), apply_homography(h, corner))


@pytest.mark.parametrize("seed", range(6))
def test_warped_corners_land_on_the_plate_corners(seed: int) -> None:
    image, corners = _plate_on_black()
    pose = sample_pose(np.random.default_rng(seed), DegradationConfig.strong())
    warped, quad, _ = warp_view(image, corners, pose, fill=(0, 0, 0, 0))
    alpha = warped[..., 3]
    for inside in _inward(quad, 0.12):
        assert _sample(alpha, inside) > 128  # opaque, up to antialiasing of tiny plates
    for outside in _inward(quad, -0.12):
        x, y = outside
        if 0 <= x < alpha.shape[1] and 0 <= y < alpha.shape[0]:
            assert _sample(alpha, outside) == 0


@needs_fonts
@pytest.mark.parametrize("seed", range(3))
def test_rendered_plate_corners_survive_a_random_strong_view(seed: int) -> None:
    from jlpr.synth.render import RenderStyle, render_plate

    rng = np.random.default_rng(seed)
    rendered = render_plate(rng=rng, margin=0.15, style=RenderStyle())
    rgba = np.dstack([rendered.image, rendered.alpha])
    corners = np.asarray(rendered.corners, dtype=np.float64)
    pose = dataclasses.replace(sample_pose(rng, DegradationConfig.strong()), width=300.0)
    warped, quad, _ = warp_view(rgba, corners, pose, fill=(0, 0, 0, 0))
    for inside in _inward(quad, 0.1):  # past the rounded corner
        assert _sample(warped[..., 3], inside) > 200
    for outside in _inward(quad, -0.15):  # past any frame the style might draw
        assert _sample(warped[..., 3], outside) == 0


def test_photometric_degradations_do_not_move_the_plate() -> None:
    image, corners = _plate_on_black()
    rgb = np.ascontiguousarray(image[..., :3])
    rng = np.random.default_rng(7)
    params = dataclasses.replace(
        sample_photometric(rng, DegradationConfig.strong()),
        night=False,
        occlusion_fraction=None,
        shadow_darkness=None,
        lowres_factor=None,
        defocus_sigma=1.0,
        noise=(3.0, 0.0),
        jpeg_quality=50,
    )
    out = apply_photometric(rgb, params, rng, [corners])
    for inside in _inward(corners, 0.2):
        r, g, b = (int(v) for v in _sample(out, inside))
        assert r > 120 and b > 120 and g < 100  # still magenta-ish where the plate is
    assert int(out[:10, :10].max()) < 90  # still dark outside


def test_the_traced_photometry_draws_the_same_pixels_and_says_where_the_occluder_is() -> None:
    image, corners = _plate_on_black()
    rgb = np.ascontiguousarray(image[..., :3])
    params = dataclasses.replace(
        sample_photometric(np.random.default_rng(5), DegradationConfig.strong()),
        occlusion_fraction=0.2,
    )
    plain = apply_photometric(rgb, params, np.random.default_rng(11), [corners])
    traced, occlusions = apply_photometric_traced(rgb, params, np.random.default_rng(11), [corners])
    assert np.array_equal(plain, traced)
    assert len(occlusions) == 1 and occlusions[0].plate == 0
    polygon = occlusions[0].polygon
    assert polygon.shape == (4, 2)
    # the occluder overlaps the plate's bounding box
    lo, hi = np.asarray(corners).min(axis=0), np.asarray(corners).max(axis=0)
    assert (polygon.max(axis=0) > lo).all() and (polygon.min(axis=0) < hi).all()
    unoccluded = dataclasses.replace(params, occlusion_fraction=None)
    assert apply_photometric_traced(rgb, unoccluded, np.random.default_rng(11), [corners])[1] == ()


def test_degrade_returns_the_plate_quad_in_the_new_image() -> None:
    image, corners = _plate_on_black()
    result = degrade(image[..., :3].copy(), corners, np.random.default_rng(3))
    height, width = result.image.shape[:2]
    assert result.corners.shape == (4, 2)
    assert (result.corners >= 0).all()
    assert (result.corners[:, 0] <= width).all() and (result.corners[:, 1] <= height).all()
    centre = result.corners.mean(axis=0)
    assert _sample(result.image, centre)[0] > 60  # the magenta plate, however degraded


# -- ranges and determinism -------------------------------------------------------------------


@pytest.mark.parametrize(
    "config", [DegradationConfig(), DegradationConfig.mild(), DegradationConfig.strong()]
)
def test_sampled_values_stay_inside_the_configured_ranges(config: DegradationConfig) -> None:
    rng = np.random.default_rng(0)
    yaws = []
    for _ in range(400):
        pose = sample_pose(rng, config)
        yaws.append(abs(pose.yaw))
        assert abs(pose.pitch) <= config.max_pitch and abs(pose.roll) <= config.max_roll
        assert config.plate_width[0] <= pose.width <= config.plate_width[1]
        assert config.distance[0] <= pose.distance <= config.distance[1]
        params = sample_photometric(rng, config)
        if params.jpeg_quality is not None:
            assert config.jpeg_quality[0] <= params.jpeg_quality <= config.jpeg_quality[1]
        if params.defocus_sigma is not None:
            assert config.defocus_sigma[0] <= params.defocus_sigma <= config.defocus_sigma[1]
        if params.motion is not None:
            assert config.motion_length[0] <= params.motion[0] <= config.motion_length[1]
        if params.noise is not None:
            assert config.noise_sigma[0] <= params.noise[0] <= config.noise_sigma[1]
        if params.lowres_factor is not None:
            assert config.lowres_factor[0] <= params.lowres_factor <= config.lowres_factor[1]
        if params.gain != 1.0:
            assert config.gain[0] <= params.gain <= config.gain[1]
        if params.sharpen is not None:
            assert config.sharpen_radius[0] <= params.sharpen[0] <= config.sharpen_radius[1]
            assert config.sharpen_amount[0] <= params.sharpen[1] <= config.sharpen_amount[1]
        if params.saturation != 1.0:
            assert config.saturation[0] <= params.saturation <= config.saturation[1]
            assert config.contrast[0] <= params.contrast <= config.contrast[1]
    assert max(yaws) <= config.max_yaw
    assert max(yaws) > 0.6 * config.max_yaw  # the range is actually used


def test_strong_preset_reaches_the_documented_extremes() -> None:
    config = DegradationConfig.strong()
    assert (config.max_yaw, config.max_pitch) == (60.0, 30.0)
    assert config.plate_width == (40.0, 600.0)
    assert config.jpeg_quality == (15, 95)


def test_none_preset_changes_nothing() -> None:
    rng = np.random.default_rng(0)
    params = sample_photometric(rng, DegradationConfig.none())
    assert params == PhotometricParams()
    image = np.random.default_rng(1).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    assert np.array_equal(apply_photometric(image, params, rng), image)
    pose = sample_pose(rng, DegradationConfig.none())
    assert (pose.yaw, pose.pitch, pose.roll, pose.width) == (0.0, 0.0, 0.0, 256.0)


def test_same_seed_gives_the_same_pixels() -> None:
    image, corners = _plate_on_black()
    rgb = image[..., :3].copy()
    first = degrade(rgb, corners, np.random.default_rng(11), DegradationConfig.strong())
    second = degrade(rgb, corners, np.random.default_rng(11), DegradationConfig.strong())
    assert np.array_equal(first.image, second.image)
    assert first.params == second.params


def test_invalid_configs_are_refused() -> None:
    with pytest.raises(ValueError, match="jpeg_prob"):
        DegradationConfig(jpeg_prob=1.5)
    with pytest.raises(ValueError, match="jpeg_quality"):
        DegradationConfig(jpeg_quality=(0, 120))
    with pytest.raises(ValueError, match="gain"):
        DegradationConfig(gain=(2.0, 1.0))


# -- individual operations ------------------------------------------------------------------


def test_noise_has_the_requested_spread() -> None:
    flat = np.full((200, 200, 3), 128, dtype=np.uint8)
    noisy = add_noise(flat, np.random.default_rng(0), 5.0)
    assert abs(float(noisy.astype(np.float64).std()) - 5.0) < 0.5
    assert abs(float(noisy.mean()) - 128.0) < 0.5


def test_shot_noise_grows_with_brightness() -> None:
    dark = add_noise(np.full((100, 100, 3), 20, np.uint8), np.random.default_rng(0), 0.5, 0.5)
    bright = add_noise(np.full((100, 100, 3), 220, np.uint8), np.random.default_rng(0), 0.5, 0.5)
    assert bright.astype(np.float64).std() > 2 * dark.astype(np.float64).std()


def test_lower_jpeg_quality_loses_more_detail() -> None:
    image = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)

    def error(quality: int) -> float:
        out = jpeg_roundtrip(image, quality).astype(np.float64)
        return float(np.abs(out - image).mean())

    assert error(15) > error(95)


def test_motion_blur_smears_a_dot_along_its_direction() -> None:
    dot = np.zeros((21, 21, 3), dtype=np.uint8)
    dot[10, 10] = 255
    horizontal = motion_blur(dot, 7.0, 0.0)
    assert horizontal[10, 7, 0] > 0 and horizontal[10, 13, 0] > 0
    assert horizontal[7, 10, 0] == 0
    vertical = motion_blur(dot, 7.0, 90.0)
    assert vertical[7, 10, 0] > 0 and vertical[10, 7, 0] == 0


def test_sharpening_draws_a_light_halo_that_thins_a_dark_stroke() -> None:
    plate = np.full((20, 40, 3), 180, dtype=np.uint8)
    plate[:, 18:22] = 40  # a dark stroke 4 px wide
    soft = np.asarray(defocus_blur(plate, 1.0))
    sharp = sharpen(soft, 1.5, 2.0)
    assert sharp[10, 16, 0] > soft[10, 16, 0] + 10  # the halo beside the stroke
    assert sharp[10, 20, 0] <= soft[10, 20, 0]  # the stroke's centre stays dark
    # Width of the stroke at half depth: narrower after sharpening.
    level = (180 + 40) / 2
    assert (sharp[10, :, 0] < level).sum() <= (soft[10, :, 0] < level).sum()
    assert np.array_equal(sharpen(plate, 0.0, 2.0), plate)


def test_sharpening_radius_scales_with_the_image() -> None:
    params = PhotometricParams(sharpen=(2.0, 1.5))
    assert params.scaled(0.5).sharpen == (1.0, 1.5)
