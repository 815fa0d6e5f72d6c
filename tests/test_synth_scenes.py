"""Plate crops and scenes: what each product promises about its pixels and labels."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from jlpr import layout
from jlpr.layout import CANONICAL_SIZE
from jlpr.rules import ColorScheme
from jlpr.synth import fonts as font_search
from jlpr.synth.degrade import DegradationConfig
from jlpr.synth.scenes import (
    PlateSampleConfig,
    SceneConfig,
    VehiclePhoto,
    hidden_fields,
    inpaint_box,
    load_vehicle_photos,
    make_plate_sample,
    make_scene,
    plate_on_panel,
    posed_corners,
    split_vehicle_photos,
)
from jlpr.synth.warp import rectangle
from jlpr.types import Field, Plate

pytestmark = pytest.mark.skipif(
    not font_search.find_japanese_fonts(),
    reason='needs a Japanese font: pip install "jlpr[train]"',
)

QUIET_CAMERA = DegradationConfig.none()
"""Camera settings that leave scene pixels alone, for tests that look at exact colours."""


def _bbox(points: npt.NDArray[np.float64]) -> tuple[float, float, float, float]:
    lo, hi = points.min(axis=0), points.max(axis=0)
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


# -- plate crops ------------------------------------------------------------------------------


def test_rectified_crop_has_the_canonical_size_and_the_plate_near_its_corners() -> None:
    sample = make_plate_sample(np.random.default_rng(0))
    width, height = CANONICAL_SIZE
    assert sample.rectified.shape == (height, width, 3)
    crop_corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=float)
    # The rectifier used jittered corners (std 2 % of the plate), clipped at 2.5 std.
    error = np.abs(sample.rectified_corners - crop_corners)
    assert (error[:, 0] <= 0.05 * width + 1).all() and (error[:, 1] <= 0.05 * height + 1).all()


def test_without_jitter_the_plate_fills_the_rectified_crop_exactly() -> None:
    config = PlateSampleConfig(degradation=DegradationConfig.none(), corner_jitter=0.0)
    plate = Plate.parse("佐賀581せ18-32", ColorScheme.PRIVATE_KEI)
    sample = make_plate_sample(np.random.default_rng(1), config, plate=plate)
    width, height = CANONICAL_SIZE
    expected = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=float)
    np.testing.assert_allclose(sample.rectified_corners, expected, atol=1e-6)
    assert sample.plate.text == "佐賀 581 せ 18-32"
    # A yellow kei plate: the crop is mostly yellow (much red and green, little blue).
    r, g, b = sample.rectified.reshape(-1, 3).mean(axis=0)
    assert r > 150 and g > 110 and b < 110


def test_loose_crop_frames_the_plate_with_a_detector_like_margin() -> None:
    config = PlateSampleConfig(degradation=DegradationConfig.mild())
    for seed in range(8):
        sample = make_plate_sample(np.random.default_rng(seed), config)
        height, width = sample.loose.shape[:2]
        x1, y1, x2, y2 = sample.loose_box
        assert (x1, y1, x2, y2) == pytest.approx(_bbox(sample.loose_corners))
        box_w, box_h = x2 - x1, y2 - y1
        margins = (x1 / box_w, y1 / box_h, (width - x2) / box_w, (height - y2) / box_h)
        # 5-30 % of the box on every side (one pixel of rounding either way).
        assert all(
            0.05 - 1.5 / min(box_w, box_h) <= m <= 0.3 + 1.5 / min(box_w, box_h) for m in margins
        )


def test_plate_samples_repeat_for_a_seed() -> None:
    first = make_plate_sample(np.random.default_rng(5))
    second = make_plate_sample(np.random.default_rng(5))
    assert np.array_equal(first.rectified, second.rectified)
    assert np.array_equal(first.loose, second.loose)
    assert first.plate == second.plate


# -- scenes -----------------------------------------------------------------------------------


def _box_polygon(box: tuple[float, float, float, float]) -> npt.NDArray[np.float64]:
    x0, y0, x1, y1 = box
    return rectangle(x1 - x0, y1 - y0, x0, y0)


def test_hidden_fields_are_those_an_occluder_or_the_image_edge_covers() -> None:
    plate = Plate.from_fields("品川", "330", "さ", "12-34")
    corners = rectangle(*layout.PLATE_SIZE_MM)  # seen frontally at 1 px per mm
    assert hidden_fields(plate, corners) == frozenset()
    assert hidden_fields(plate, corners, [_box_polygon(layout.kana_box_mm())]) == {Field.KANA}
    # one character of a name is enough; the same box moved and scaled with the plate
    first = layout.office_char_boxes_mm(2)[0]
    assert hidden_fields(plate, corners * 2 + 10, [_box_polygon(first) * 2 + 10]) == {Field.OFFICE}
    # a bar over the top fifth of the designation leaves every digit legible
    _, y0, _, y1 = layout.designation_cell_boxes_mm()[0]
    bar = _box_polygon((0.0, y0, 330.0, y0 + 0.2 * (y1 - y0)))
    assert hidden_fields(plate, corners, [bar]) == frozenset()
    # an image that ends at 100 mm cuts off most of the lower row
    assert hidden_fields(plate, corners, image_size=(330, 100)) == {Field.KANA, Field.DESIGNATION}


def test_plate_samples_record_the_fields_their_occluder_hides() -> None:
    occluded = dataclasses.replace(
        DegradationConfig.strong(), occlusion_prob=1.0, occlusion_fraction=(0.25, 0.3)
    )
    config = PlateSampleConfig(degradation=occluded)
    samples = [make_plate_sample(np.random.default_rng(i), config) for i in range(12)]
    assert any(s.hidden for s in samples)  # a quarter of the plate hides something often
    clean = PlateSampleConfig(degradation=DegradationConfig.none())
    assert make_plate_sample(np.random.default_rng(0), clean).hidden == frozenset()


def test_synthetic_scene_labels_match_their_corners() -> None:
    config = SceneConfig(size=640, negative_fraction=0.0, max_plates=3)
    for seed in range(4):
        scene = make_scene(np.random.default_rng(seed), config)
        height, width = scene.image.shape[:2]
        assert width == 640 and scene.source == "synthetic"
        assert 1 <= len(scene.plates) <= 3
        for item in scene.plates:
            x1, y1, x2, y2 = item.box
            assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height
            assert item.visible >= config.min_visible
            if item.visibility == (2, 2, 2, 2):
                assert item.box == pytest.approx(_bbox(item.corners))


def test_a_negative_share_of_one_gives_scenes_without_plates() -> None:
    config = SceneConfig(negative_fraction=1.0)
    for seed in range(3):
        assert make_scene(np.random.default_rng(seed), config).plates == ()


def test_native_scale_crops_are_square_and_keep_only_mostly_visible_plates() -> None:
    config = SceneConfig(size=1280, crop=256, negative_fraction=0.0, plate_width=(0.05, 0.15))
    seen = 0
    for seed in range(6):
        scene = make_scene(np.random.default_rng(seed), config)
        assert scene.image.shape == (256, 256, 3)
        for item in scene.plates:
            seen += 1
            assert item.visible >= 0.6
            inside = [0 <= x <= 256 and 0 <= y <= 256 for x, y in item.corners]
            assert item.visibility == tuple(2 if ok else 0 for ok in inside)
            # Native scale: a plate keeps its frame size (5-15 % of a 1280-px frame).
            width = float(np.hypot(*(item.corners[1] - item.corners[0])))
            assert 0.5 * 0.05 * 1280 <= width <= 1.05 * 0.15 * 1280
    assert seen > 0


def _fake_vehicle_folder(root: Path) -> Path:
    """Two 'photos' with a loud magenta 'foreign plate' in an axis-aligned box each."""
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    rng = np.random.default_rng(0)
    for name, (x, y, w, h) in {"car_a": (120, 150, 80, 40), "car_b": (200, 90, 150, 32)}.items():
        image = rng.integers(60, 120, (300, 480, 3), dtype=np.uint8)
        image[y : y + h, x : x + w] = (255, 0, 255)
        Image.fromarray(image).save(root / "images" / f"{name}.jpg", quality=95)
        quad = [x, y, x + w, y, x + w, y + h, x, y + h]
        (root / "labels" / f"{name}.txt").write_text(" ".join(map(str, quad)) + "\n")
    return root


@pytest.mark.parametrize("size", [480, 200])  # 200: the JPEG is decoded at reduced size
def test_vehicle_photo_plates_are_replaced_and_the_old_plate_does_not_show(
    tmp_path: Path, size: int
) -> None:
    photos = load_vehicle_photos(_fake_vehicle_folder(tmp_path / "vehicles"))
    assert [p.name for p in photos] == ["car_a.jpg", "car_b.jpg"]
    config = SceneConfig(size=size, negative_fraction=0.0, vehicle_share=1.0, camera=QUIET_CAMERA)
    for seed in range(4):
        scene = make_scene(np.random.default_rng(seed), config, photos)
        assert scene.source in ("car_a.jpg", "car_b.jpg")
        assert len(scene.plates) == 1
        pixels = scene.image.reshape(-1, 3).astype(int)
        magenta = (pixels[:, 0] > 200) & (pixels[:, 1] < 80) & (pixels[:, 2] > 200)
        assert magenta.sum() == 0, "the foreign plate peeks out"
        # The Japanese plate sits where the old one was.
        assert max(scene.image.shape[:2]) == size
        photo = next(p for p in photos if p.name == scene.source)
        x1, y1, x2, y2 = (v * size / 480 for v in _bbox(photo.quads[0]))
        cx, cy = scene.plates[0].corners.mean(axis=0)
        assert x1 <= cx <= x2 and y1 <= cy <= y2


def test_photo_plates_turn_further_only_when_photo_max_yaw_allows(tmp_path: Path) -> None:
    photos = load_vehicle_photos(_fake_vehicle_folder(tmp_path / "vehicles"))

    def narrowest(photo_max_yaw: float) -> float:
        config = SceneConfig(
            negative_fraction=0.0,
            vehicle_share=1.0,
            camera=QUIET_CAMERA,
            photo_max_yaw=photo_max_yaw,
        )
        aspects = []
        for seed in range(40):
            scene = make_scene(np.random.default_rng(seed), config, photos)
            x1, y1, x2, y2 = _bbox(scene.plates[0].corners)
            aspects.append((x2 - x1) / (y2 - y1))
        return min(aspects)

    # Nearly frontal by default (20 degrees at most); up to 75 degrees some plates are
    # narrower on screen than tall, as plates seen from the side are.
    assert narrowest(20.0) > 1.6
    assert narrowest(75.0) < 1.0
    with pytest.raises(ValueError, match="photo_max_yaw"):
        SceneConfig(photo_max_yaw=90.0)


def test_vehicle_photos_split_by_name_and_never_land_on_both_sides() -> None:
    photos = [VehiclePhoto(Path(f"img_{i}.jpg"), np.zeros((1, 4, 2))) for i in range(200)]
    train, val = split_vehicle_photos(photos, 0.2)
    assert not {p.name for p in train} & {p.name for p in val}
    assert len(train) + len(val) == 200 and 20 <= len(val) <= 60
    assert split_vehicle_photos(photos, 0.2) == (train, val)


def test_inpainting_erases_a_box_with_the_surrounding_colour() -> None:
    image = np.full((60, 100, 3), (40, 90, 160), dtype=np.uint8)
    image[20:40, 30:70] = (255, 255, 255)
    out = inpaint_box(image, (29.0, 19.0, 71.0, 41.0), np.random.default_rng(0))
    patch = out[20:40, 30:70].reshape(-1, 3).astype(int)
    assert np.abs(patch - (40, 90, 160)).max() <= 8


def test_scene_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="negative_fraction"):
        SceneConfig(negative_fraction=1.5)
    with pytest.raises(ValueError, match="crop"):
        SceneConfig(crop=8)
    with pytest.raises(ValueError, match="loose_margin"):
        dataclasses.replace(PlateSampleConfig(), loose_margin=(0.3, 0.1))


def test_posed_corners_are_the_frontal_rectangle_at_no_turn_and_narrow_when_turned() -> None:
    np.testing.assert_allclose(
        posed_corners(200, (300, 100)), rectangle(200, 100, 200, 50), atol=1e-9
    )
    turned = posed_corners(200, (300, 100), yaw=70)
    width = turned[:, 0].max() - turned[:, 0].min()
    height = turned[:, 1].max() - turned[:, 1].min()
    assert width < height  # seen from the side: taller than wide
    assert turned[1, 1] > turned[0, 1]  # the right edge turned away: shorter (keystone)


def test_plate_on_panel_draws_the_plate_at_its_corners_and_repeats_itself() -> None:
    plate = Plate.parse("品川330さ12-34")
    corners = [(100.0, 60.0), (300.0, 60.0), (300.0, 160.0), (100.0, 160.0)]
    image = np.asarray(plate_on_panel(plate, corners, size=(400, 240)))
    assert image.shape == (240, 400, 3)
    # A private plate is white: the plate area is brighter than the panel around it.
    assert image[70:150, 110:290].mean() > image[180:, :].mean() + 30
    again = np.asarray(plate_on_panel(plate, corners, size=(400, 240)))
    assert (image == again).all()
