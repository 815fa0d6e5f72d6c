"""The corner-refining rectifier (cnn-refine) and its training (jlpr train rectifier)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from jlpr import PlateReader
from jlpr.errors import ConfigError, ModelError, WeightsIntegrityError
from jlpr.models.refiner import (
    RefiningRectifier,
    cut_window,
    from_window_units,
    to_window_units,
    window_around,
)
from jlpr.rectify import PerspectiveRectifier
from jlpr.registry import get
from jlpr.training.refiner import RefinerTrainConfig, make_windows, train_refiner
from jlpr.types import Box, PlateRegion, Quad, RectifyMethod

PLATE = np.array([[100.0, 60.0], [228.0, 60.0], [228.0, 124.0], [100.0, 124.0]])


def _image() -> np.ndarray:
    image = np.full((200, 320, 3), 40, dtype=np.uint8)
    image[60:124, 100:228] = 230
    return image


def _rigged(quad_in_window: np.ndarray, iterations: int = 2) -> RefiningRectifier:
    """A refiner whose net always answers ``quad_in_window`` (window units)."""
    refiner = RefiningRectifier(iterations=iterations)
    last = refiner.net.head[-1]
    assert isinstance(last, torch.nn.Linear)
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(torch.tensor(quad_in_window - 0.5, dtype=torch.float32).reshape(-1))
    return refiner


def test_the_window_is_the_quad_box_grown_by_the_margin() -> None:
    window = window_around(PLATE, margin=0.25)
    assert (window.x1, window.y1, window.x2, window.y2) == (68.0, 44.0, 260.0, 140.0)
    thin = window_around([[0, 0], [100, 0], [100, 1], [0, 1]], margin=0.0)
    assert thin.height == pytest.approx(25.0)  # widened to 4:1 at most


def test_window_units_round_trip() -> None:
    window = Box(10.0, 20.0, 110.0, 70.0)
    points = np.array([[10.0, 20.0], [60.0, 45.0], [110.0, 70.0]])
    assert np.allclose(to_window_units(points, window), np.array([[0, 0], [0.5, 0.5], [1, 1]]))
    assert np.allclose(from_window_units(to_window_units(points, window), window), points)


def test_cut_window_is_grey_outside_the_image_and_keeps_the_inside() -> None:
    image = _image()
    crop = cut_window(image, Box(-64.0, -32.0, 64.0, 32.0), (128, 64))
    assert crop.shape == (64, 128, 3)
    assert tuple(crop[5, 5]) == (114, 114, 114)
    assert tuple(crop[50, 100]) == (40, 40, 40)
    plate = cut_window(image, Box(100.0, 60.0, 228.0, 124.0), (128, 64))
    assert int(plate.min()) == 230


def test_refined_corners_are_mapped_back_to_image_pixels() -> None:
    # The net answers the start quad's own place in its window, so refining is a fixed point.
    lo = 0.25 / 1.5
    box_in_window = np.array([[lo, lo], [1 - lo, lo], [1 - lo, 1 - lo], [lo, 1 - lo]])
    refiner = _rigged(box_in_window)
    region = PlateRegion(Box(100, 60, 228, 124), 0.9, Quad.from_points(PLATE))
    result = refiner.rectify(_image(), region)
    assert result.method is RectifyMethod.REFINED
    assert np.allclose(result.corners.points, PLATE, atol=1e-4)
    assert result.image.shape == (128, 256, 3)
    assert int(result.image[2:-2, 2:-2].min()) == 230  # the crop is the plate


def test_an_answer_off_the_window_keeps_the_start_corners() -> None:
    refiner = _rigged(np.array([[-0.5, -0.5], [1.5, -0.5], [1.5, 1.5], [-0.5, 1.5]]))
    region = PlateRegion(Box(100, 60, 228, 124), 0.9, Quad.from_points(PLATE))
    result = refiner.rectify(_image(), region)
    expected = PerspectiveRectifier().rectify(_image(), region)
    assert result.method is RectifyMethod.PERSPECTIVE
    assert result.corners == expected.corners
    assert np.array_equal(result.image, expected.image)
    boxed = refiner.rectify(_image(), PlateRegion(Box(100, 60, 228, 124), 0.9))
    assert boxed.method is RectifyMethod.BOX


def test_zero_iterations_is_the_perspective_rectifier() -> None:
    region = PlateRegion(Box(100, 60, 228, 124), 0.9, Quad.from_points(PLATE))
    result = RefiningRectifier(iterations=0).rectify(_image(), region)
    assert result.method is RectifyMethod.PERSPECTIVE


def test_bad_options_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        RefiningRectifier(margin=-1.0)
    with pytest.raises(ConfigError):
        RefiningRectifier(iterations=-1)
    with pytest.raises(ConfigError):
        RefiningRectifier(input_size=(100, 60))
    with pytest.raises(ModelError):
        RefiningRectifier(weights={"nope": torch.zeros(1)})


def test_it_is_registered_and_survives_save_and_load(tmp_path: Path) -> None:
    from tests.components import make_reader

    assert get("rectifier", "cnn-refine") is RefiningRectifier
    refiner = RefiningRectifier(iterations=1)
    reader = make_reader().with_components(refiner)
    folder = reader.save_pretrained(tmp_path / "reader")
    loaded = PlateReader.from_pretrained(folder)
    assert isinstance(loaded.rectifier, RefiningRectifier)
    assert loaded.rectifier.get_config() == refiner.get_config()
    for key, value in refiner.state_dict().items():
        assert torch.equal(loaded.rectifier.state_dict()[key], value)
    weights = next(folder.rglob("model.pt"))
    weights.write_bytes(weights.read_bytes()[:-8] + b"tampered")
    with pytest.raises(WeightsIntegrityError):
        PlateReader.from_pretrained(folder)


def test_training_windows_hold_the_true_corners() -> None:
    image = _image()
    outside = PLATE + np.array([250.0, 0.0])  # sticks out of the image: skipped
    rng = np.random.default_rng(0)
    windows, targets = make_windows(image, [PLATE, outside], rng, 6, (128, 64), 0.25)
    assert windows.shape == (6, 64, 128, 3) and targets.shape == (6, 4, 2)
    rng = np.random.default_rng(0)
    from jlpr.training.refiner import _start_quad

    for target in targets:
        start, _ = _start_quad(PLATE, rng)
        window = window_around(start, 0.25)
        assert np.allclose(from_window_units(target, window), PLATE, atol=1e-4)


def _pose_dataset(root: Path, scenes: int = 6) -> Path:
    rng = np.random.default_rng(1)
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        for i in range(scenes):
            image = rng.integers(0, 80, (120, 160, 3), dtype=np.uint8)
            x, y = 30 + i * 5, 40
            image[y : y + 32, x : x + 64] = 220
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, format="JPEG")
            (root / "images" / split / f"{i:06d}.jpg").write_bytes(buffer.getvalue())
            pts = np.array([[x, y], [x + 64, y], [x + 64, y + 32], [x, y + 32]]) / [160, 120]
            kpts = " ".join(f"{px:.6f} {py:.6f} 2" for px, py in pts)
            box = f"{(x + 32) / 160:.6f} {(y + 16) / 120:.6f} {64 / 160:.6f} {32 / 120:.6f}"
            (root / "labels" / split / f"{i:06d}.txt").write_text(f"0 {box} {kpts}\n")
    return root


def test_training_writes_a_loadable_refiner_and_resumes(tmp_path: Path) -> None:
    data = _pose_dataset(tmp_path / "scenes")
    (data / "data.yaml").write_text("# test scenes\n# n=24 data_version=7\ntrain: images/train\n")
    out = tmp_path / "refiner"
    config = RefinerTrainConfig(data, out, epochs=1, windows=2, batch_size=4, workers=1)
    log = io.StringIO()
    metrics = train_refiner(config, log=log)
    assert metrics["train_windows"] == 12 and metrics["val_windows"] == 12
    assert "epoch 1/1" in log.getvalue()
    saved = json.loads((out / "config.json").read_text())
    refiner = RefiningRectifier.from_config(saved, out)
    assert refiner.provenance["recipe"]["epochs"] == 1
    assert refiner.provenance["data_recipe"] == ["test scenes", "n=24 data_version=7"]
    with pytest.raises(ConfigError, match="--resume"):
        train_refiner(config, log=io.StringIO())
    longer = RefinerTrainConfig(data, out, epochs=2, windows=2, batch_size=4, workers=1)
    with pytest.raises(ConfigError, match="cannot resume"):
        train_refiner(RefinerTrainConfig(**{**longer.__dict__, "resume": True}), log=io.StringIO())
    with pytest.raises(ConfigError, match="no scenes"):
        train_refiner(RefinerTrainConfig(tmp_path / "empty", tmp_path / "x"), log=io.StringIO())


def test_recognize_gives_a_corner_finding_rectifier_the_whole_crop() -> None:
    from jlpr.interfaces import Localizer
    from tests.components import make_reader

    class Fixed(Localizer):
        calls = 0

        def locate(self, image: np.ndarray) -> list[PlateRegion]:
            Fixed.calls += 1
            box = Box(60, 40, 120, 70)
            return [PlateRegion(box, 0.9, Quad.from_box(box))]

    lo = 0.25 / 1.5
    box_in_window = np.array([[lo, lo], [1 - lo, lo], [1 - lo, 1 - lo], [lo, 1 - lo]])
    reader = make_reader().with_components(Fixed(), _rigged(box_in_window))
    crop = _image()[40:144, 80:248]  # 168x104, the plate with a 20 px border
    plate = reader.recognize(crop)
    assert Fixed.calls == 0
    assert plate.rectification is RectifyMethod.REFINED and plate.detection_score is None
    assert plate.corners is not None
    assert np.allclose(plate.corners.points, [[0, 0], [168, 0], [168, 104], [0, 104]], atol=1e-3)
    # locate=True asks the localizer, whose region is then the start.
    plate = reader.recognize(crop, locate=True)
    assert Fixed.calls == 1 and plate.detection_score == pytest.approx(0.9)
    assert plate.corners is not None
    assert np.allclose(plate.corners.points, [[60, 40], [120, 40], [120, 70], [60, 70]], atol=1e-3)
