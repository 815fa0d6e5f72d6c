"""The YOLO pose localizer: geometry back to input pixels, corner order, saving, training."""

from __future__ import annotations

import argparse
import hashlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from jlpr import ConfigError, Field, FieldClassifier, FieldReading, ModelError, PlateReader
from jlpr.interfaces import Configurable, ImageArray
from jlpr.models.localizer import (
    PAD_VALUE,
    YoloPoseLocalizer,
    letterbox,
    order_corners,
    parse_model_name,
    pyramid,
)
from jlpr.rectify import PerspectiveRectifier
from jlpr.registry import register
from jlpr.training.localizer import add_parser

torch.set_num_threads(1)

# -- helpers ----------------------------------------------------------------------------------


class FixedDetections(torch.nn.Module):
    """Stands in for the network: returns the same raw predictions for every image.

    Each row is ``cx, cy, w, h, score, then x, y, visibility for TL, TR, BR, BL`` in
    network-input pixels, the layout of an Ultralytics pose head before NMS.
    """

    def __init__(self, rows: list[list[float]]) -> None:
        super().__init__()
        self.rows = torch.tensor(rows, dtype=torch.float32).T.unsqueeze(0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rows.expand(x.shape[0], -1, -1)


def localizer_with(rows: list[list[float]], **options: Any) -> YoloPoseLocalizer:
    """A localizer whose network finds ``rows`` in every view; searching one view per image
    (``stretch`` 1, no close-up view, no second look) unless ``options`` say otherwise."""
    localizer = YoloPoseLocalizer(**{"stretch": 1.0, "zoom": False, "close_up": False, **options})
    localizer._inference = FixedDetections(rows)
    return localizer


def corner_row(box: tuple[float, float, float, float], score: float, corners: Any) -> list[float]:
    x1, y1, x2, y2 = box
    row = [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1, score]
    for x, y, visibility in corners:
        row += [x, y, visibility]
    return row


@register("test-localizer-constant-field")
class ConstantFieldClassifier(FieldClassifier, Configurable):
    """Reads the same value from every crop, sure in proportion to the crop's brightness."""

    def __init__(self, field: str, value: str) -> None:
        self.field = Field(field)
        self.value = value

    def classify(self, plate_image: ImageArray) -> FieldReading:
        confidence = 0.5 + 0.5 * float(plate_image.mean()) / 255.0
        return FieldReading(self.field, self.value, confidence)

    def get_config(self) -> dict[str, Any]:
        return {"field": self.field.value, "value": self.value}


def random_weights_reader() -> PlateReader:
    torch.manual_seed(0)
    localizer = YoloPoseLocalizer(min_score=0.0, min_corner_confidence=0.0, max_detections=3)
    fields = {"office": "佐賀", "classification": "581", "kana": "せ", "designation": "18-32"}
    classifiers = [ConstantFieldClassifier(f, v) for f, v in fields.items()]
    return PlateReader(localizer, PerspectiveRectifier(), classifiers, min_confidence=0.0)


def assert_points(actual: Any, expected: Any) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float))


def noise_image(width: int, height: int, seed: int = 0) -> ImageArray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def make_pose_dataset(root: Path, n_train: int, n_val: int, size: int, seed: int = 0) -> Path:
    """A tiny Ultralytics pose dataset: one yellow quad per noise image, corners TL, TR, BR, BL."""
    rng = np.random.default_rng(seed)
    for split, count in (("train", n_train), ("val", n_val)):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        for index in range(count):
            image = Image.fromarray(rng.integers(40, 120, (size, size, 3), dtype=np.uint8))
            width = rng.uniform(0.25, 0.45) * size
            height = width / 2
            cx = rng.uniform(width / 2 + 2, size - width / 2 - 2)
            cy = rng.uniform(height / 2 + 2, size - height / 2 - 2)
            quad = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * [width / 2, height / 2]
            quad += rng.uniform(-0.06, 0.06, (4, 2)) * width + [cx, cy]
            ImageDraw.Draw(image).polygon([(x, y) for x, y in quad], fill=(240, 200, 20))
            (x1, y1), (x2, y2) = quad.min(axis=0), quad.max(axis=0)
            label = [
                0,
                (x1 + x2) / 2 / size,
                (y1 + y2) / 2 / size,
                (x2 - x1) / size,
                (y2 - y1) / size,
            ]
            for x, y in quad:
                label += [x / size, y / size, 2]
            image.save(root / "images" / split / f"{index}.png")
            (root / "labels" / split / f"{index}.txt").write_text(
                " ".join(f"{v:.6g}" for v in label) + "\n"
            )
    (root / "data.yaml").write_text(
        "path: .\ntrain: images/train\nval: images/val\nnames:\n  0: plate\n"
        "kpt_shape: [4, 3]\nflip_idx: [1, 0, 3, 2]\n"
    )
    return root


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Record (and refuse) every DNS lookup and socket connection."""
    attempts: list[str] = []

    def refuse_lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(f"lookup {host}")
        raise OSError("network disabled in tests")

    def refuse_connect(self: socket.socket, address: Any) -> None:
        attempts.append(f"connect {address}")
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket, "getaddrinfo", refuse_lookup)
    monkeypatch.setattr(socket.socket, "connect", refuse_connect)
    yield attempts


# -- geometry ---------------------------------------------------------------------------------


def test_letterbox_shrinks_to_imgsz_places_top_left_and_pads_to_the_stride() -> None:
    image = np.zeros((100, 200, 3), dtype=np.uint8)
    image[50:75, 100:150] = 255
    canvas, placement = letterbox(image, imgsz=80)
    assert placement.resized == (80, 40)
    assert placement.scale == (0.4, 0.4)
    assert canvas.shape == (64, 96, 3)
    assert (canvas[40:, :] == PAD_VALUE).all() and (canvas[:, 80:] == PAD_VALUE).all()
    assert (canvas[20:30, 40:60] == 255).all()
    assert (canvas[:20, :40] == 0).all()


def test_letterbox_never_enlarges_a_small_image() -> None:
    image = noise_image(50, 30)
    canvas, placement = letterbox(image, imgsz=640)
    assert placement.scale == (1.0, 1.0)
    assert canvas.shape == (32, 64, 3)
    assert (canvas[:30, :50] == image).all()


def test_a_stretched_view_widens_the_image_and_keeps_its_pixel_count() -> None:
    # 1280 x 720 -> 640 x 360 as usual, then x sqrt(2) wide and / sqrt(2) high: 905 x 255.
    image = noise_image(1280, 720)
    canvas, placement = letterbox(image, imgsz=640, stretch=2.0)
    assert placement.resized == (905, 255)
    assert placement.scale == pytest.approx((905 / 1280, 255 / 720))
    assert canvas.shape == (256, 928, 3)
    back = placement.to_image(np.array([[905.0, 255.0], [452.5, 0.0]], dtype=np.float32))
    assert_points(back, [(1280, 720), (640, 0)])
    # Enlarged along one axis, the image is interpolated, not each column repeated.
    canvas, placement = letterbox(noise_image(40, 40), imgsz=640, stretch=4.0)
    assert placement.resized == (80, 20)
    assert not (canvas[:20, 0:80:2] == canvas[:20, 1:80:2]).all()


def test_network_points_map_back_with_the_per_axis_scale() -> None:
    # 333 x 777 -> 274 x 640: the two axes are scaled slightly differently by rounding.
    _, placement = letterbox(noise_image(333, 777), imgsz=640)
    assert placement.resized == (274, 640)
    back = placement.to_image(np.array([[274.0, 640.0], [137.0, 320.0]], dtype=np.float32))
    assert_points(back, [(333, 777), (166.5, 388.5)])


def test_boxes_and_corners_come_back_in_input_pixels() -> None:
    # A 1280 x 720 frame is halved to 640 x 360 for the network.
    corners = [(80, 40, 0.9), (120, 41, 0.9), (121, 60, 0.9), (79, 59, 0.9)]
    localizer = localizer_with([corner_row((80, 40, 120, 60), 0.8, corners)])
    (region,) = localizer.locate(noise_image(1280, 720))
    assert region.score == pytest.approx(0.8)
    assert region.box.to_dict() == pytest.approx({"x1": 160, "y1": 80, "x2": 240, "y2": 120})
    assert region.corners is not None
    assert_points(region.corners.points, [(160, 80), (240, 82), (242, 120), (158, 118)])


def test_corners_are_reordered_when_the_network_swaps_them() -> None:
    # The network gives BR, TL, BL, TR; the region still lists TL, TR, BR, BL.
    corners = [(121, 60, 0.9), (80, 40, 0.9), (79, 59, 0.9), (120, 41, 0.9)]
    localizer = localizer_with([corner_row((80, 40, 120, 60), 0.8, corners)])
    (region,) = localizer.locate(noise_image(640, 360))
    assert region.corners is not None
    assert_points(region.corners.points, [(80, 40), (120, 41), (121, 60), (79, 59)])


def test_a_low_confidence_corner_drops_the_corners_but_keeps_the_box() -> None:
    corners = [(80, 40, 0.9), (120, 41, 0.2), (121, 60, 0.9), (79, 59, 0.9)]
    localizer = localizer_with([corner_row((80, 40, 120, 60), 0.8, corners)])
    (region,) = localizer.locate(noise_image(640, 360))
    assert region.corners is None
    assert region.box.to_xywh() == pytest.approx((80, 40, 40, 20))


def test_detections_below_min_score_are_dropped_and_boxes_clipped_to_the_image() -> None:
    corners = [(0, 0, 0.9)] * 4
    rows = [
        corner_row((600, 300, 700, 400), 0.9, corners),  # sticks out of a 640 x 360 image
        corner_row((10, 10, 50, 30), 0.1, corners),
    ]
    regions = localizer_with(rows, min_score=0.25).locate(noise_image(640, 360))
    assert [r.box.to_dict() for r in regions] == [{"x1": 600, "y1": 300, "x2": 640, "y2": 360}]


def test_a_detection_in_the_padding_is_dropped_not_clipped_to_an_empty_box() -> None:
    # 640 x 360 is padded to 640 x 384: a detection in rows 362-380 lies outside the image.
    corners = [(0, 0, 0.9)] * 4
    rows = [
        corner_row((100, 362, 160, 380), 0.9, corners),
        corner_row((10, 10, 50, 30), 0.8, corners),
    ]
    regions = localizer_with(rows).locate(noise_image(640, 360))
    assert [r.box.to_xywh() for r in regions] == [pytest.approx((10, 10, 40, 20))]


def test_locate_batch_maps_each_image_with_its_own_scale() -> None:
    corners = [(80, 40, 0.9), (120, 41, 0.9), (121, 60, 0.9), (79, 59, 0.9)]
    localizer = localizer_with([corner_row((80, 40, 120, 60), 0.8, corners)])
    big, small = localizer.locate_batch([noise_image(1280, 720), noise_image(320, 200)])
    assert big[0].box.to_xywh() == pytest.approx((160, 80, 80, 40))
    assert small[0].box.to_xywh() == pytest.approx((80, 40, 40, 20))


# -- several sizes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "height", "min_scale", "expected"),
    [
        (1280, 720, 0.5, [640]),  # seen at half its size already
        (1344, 760, 0.5, [640, 1280]),
        (1920, 1080, 0.5, [640, 1280]),
        (4000, 3000, 0.5, [640, 1280, 2560]),
        (1920, 1080, 1.0, [640, 1280, 1920]),  # the last size is the image's own
        (4000, 3000, 0.0, [640]),
        (320, 200, 0.5, [320]),  # never enlarged
    ],
)
def test_the_pyramid_doubles_until_the_image_is_seen_at_min_scale(
    width: int, height: int, min_scale: float, expected: list[int]
) -> None:
    assert pyramid(width, height, 640, min_scale) == expected


class DetectionsBySize(torch.nn.Module):
    """Stands in for the network: raw rows (as :class:`FixedDetections`) chosen by the width
    of the input, and a record of the input shapes it was given."""

    def __init__(self, rows: dict[int, list[list[float]]]) -> None:
        super().__init__()
        self.rows = {
            w: torch.tensor(r, dtype=torch.float32).T.unsqueeze(0) for w, r in rows.items()
        }
        self.shapes: list[tuple[int, ...]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.shapes.append(tuple(x.shape))
        return self.rows[x.shape[3]].expand(x.shape[0], -1, -1)


def plate_row(box: tuple[float, float, float, float], score: float) -> list[float]:
    x1, y1, x2, y2 = box
    return corner_row(box, score, [(x1, y1, 0.9), (x2, y1, 0.9), (x2, y2, 0.9), (x1, y2, 0.9)])


def test_a_large_frame_is_searched_at_two_sizes_and_the_finds_merged() -> None:
    # 1920 x 1080 is seen at 640 (scale 1/3) and at 1280 (scale 2/3).
    network = DetectionsBySize(
        {
            640: [plate_row((100, 100, 140, 120), 0.6)],  # image box 300-420 x 300-360
            1280: [
                plate_row((202, 200, 282, 240), 0.8),  # the same plate, better seen
                plate_row((240, 205, 270, 235), 0.5),  # a piece of it
                plate_row((800, 600, 840, 614), 0.4),  # a small plate only this size shows
            ],
        }
    )
    localizer = YoloPoseLocalizer(stretch=1.0, zoom=False, close_up=False)
    localizer._inference = network
    regions = localizer.locate(noise_image(1920, 1080))
    assert [s[2:] for s in network.shapes] == [(384, 640), (736, 1280)]
    assert [round(r.score, 2) for r in regions] == [0.8, 0.4]
    assert regions[0].box.to_dict() == pytest.approx({"x1": 303, "y1": 300, "x2": 423, "y2": 360})
    assert regions[0].corners is not None
    assert regions[1].box.to_xywh() == pytest.approx((1200, 900, 60, 21))


def test_min_scale_zero_searches_once_and_keeps_the_old_output() -> None:
    network = DetectionsBySize({640: [plate_row((100, 100, 140, 120), 0.6)]})
    localizer = YoloPoseLocalizer(min_scale=0.0, stretch=1.0, zoom=False, close_up=False)
    localizer._inference = network
    (region,) = localizer.locate(noise_image(1920, 1080))
    assert [s[2:] for s in network.shapes] == [(384, 640)]
    assert region.box.to_xywh() == pytest.approx((300, 300, 120, 60))


def test_a_batch_is_searched_size_by_size_with_only_the_images_that_need_it() -> None:
    row = plate_row((100, 100, 140, 120), 0.6)
    network = DetectionsBySize({640: [row], 1280: [row]})
    localizer = YoloPoseLocalizer(stretch=1.0, zoom=False, close_up=False)
    localizer._inference = network
    big, small = localizer.locate_batch([noise_image(1920, 1080), noise_image(640, 360)])
    # First both images at 640 in one pass (padded to the larger canvas), then the big one.
    assert network.shapes == [(2, 3, 384, 640), (1, 3, 736, 1280)]
    assert [r.box.to_xywh() for r in big] == [
        pytest.approx((300, 300, 120, 60)),  # 640 pass, scale 1/3 (equal scores keep order)
        pytest.approx((150, 150, 60, 30)),  # 1280 pass, scale 2/3: not the same plate
    ]
    assert [r.box.to_xywh() for r in small] == [pytest.approx((100, 100, 40, 20))]


@pytest.mark.parametrize(
    ("stretch", "expected"),
    [
        (1.0, [(640, 1.0), (1280, 1.0)]),
        (2.0, [(640, 1.0), (1280, 1.0), (640, 2.0), (1280, 2.0)]),
        (0.5, [(640, 1.0), (1280, 1.0), (640, 0.5), (1280, 0.5)]),
    ],
)
def test_every_size_is_searched_again_stretched_unless_stretch_is_1(
    stretch: float, expected: list[tuple[int, float]]
) -> None:
    assert YoloPoseLocalizer(stretch=stretch, close_up=False).views(1920, 1080) == expected


def test_a_plate_seen_from_the_side_is_found_in_the_stretched_view_and_mapped_back() -> None:
    # 1280 x 720: the plain view is 640 x 384 (scale 1/2), the stretched one 928 x 256 (905 x
    # 255 of image). The plain view sees a piece of the plate; the stretched view sees it whole
    # and scores higher, so its box (in image pixels, undoing both axes' scales) is kept.
    sx, sy = 905 / 1280, 255 / 720
    network = DetectionsBySize(
        {
            640: [plate_row((100, 100, 120, 140), 0.4)],
            928: [plate_row((100 * sx / 0.5, 100 * sy / 0.5, 140 * sx / 0.5, 140 * sy / 0.5), 0.7)],
        }
    )
    localizer = YoloPoseLocalizer(stretch=2.0, zoom=False, close_up=False)
    localizer._inference = network
    (region,) = localizer.locate(noise_image(1280, 720))
    assert [s[2:] for s in network.shapes] == [(384, 640), (256, 928)]
    assert region.score == pytest.approx(0.7)
    assert region.box.to_dict() == pytest.approx({"x1": 200, "y1": 200, "x2": 280, "y2": 280})
    assert region.corners is not None
    assert_points(region.corners.points, [(200, 200), (280, 200), (280, 280), (200, 280)])


def test_a_batch_runs_plain_and_stretched_views_in_separate_passes() -> None:
    # 1920 x 1080 has plain views at 640 and 1280, 640 x 360 at 640 only; each also
    # stretched. The small image's stretched view waits for the big one's (not padded into
    # the pass of the big one's plain 1280 view).
    row = plate_row((100, 100, 140, 120), 0.6)
    network = DetectionsBySize({640: [row], 1280: [row], 928: [row], 1824: [row]})
    localizer = YoloPoseLocalizer(stretch=2.0, zoom=False, close_up=False)
    localizer._inference = network
    big, small = localizer.locate_batch([noise_image(1920, 1080), noise_image(640, 360)])
    assert network.shapes == [
        (2, 3, 384, 640),  # both images, plain, first size
        (1, 3, 736, 1280),  # the big one, plain, second size
        (2, 3, 256, 928),  # both images stretched (905 x 255 of 1920 x 1080 and 640 x 360)
        (1, 3, 512, 1824),  # the big one stretched at its second size (1810 x 509)
    ]
    assert len(big) >= 1 and len(small) >= 1


def test_small_finds_get_a_second_look_at_twice_the_size() -> None:
    # 1280 x 720 is seen at 640 (scale 1/2). A find of 40 x 20 image px at 0.1, under
    # min_score, is searched again in a 192-px window at full size centred on it: there the
    # plate scores 0.7 (kept, moved by the window's corner) and a find cut by the window's
    # left edge (which is not the image's) is dropped.
    network = DetectionsBySize(
        {
            640: [plate_row((100, 100, 120, 110), 0.1)],  # image box 200-240 x 200-220
            192: [plate_row((90, 92, 130, 112), 0.7), plate_row((1, 50, 31, 60), 0.9)],
        }
    )
    localizer = YoloPoseLocalizer(stretch=1.0, close_up=False)
    localizer._inference = network
    (region,) = localizer.locate(noise_image(1280, 720))
    assert [s[2:] for s in network.shapes] == [(384, 640), (192, 192)]
    # The window starts at the find's centre (220, 210) less half its side: (124, 114).
    assert region.score == pytest.approx(0.7)
    assert region.box.to_dict() == pytest.approx({"x1": 214, "y1": 206, "x2": 254, "y2": 226})
    assert region.corners is not None
    assert_points(region.corners.points, [(214, 206), (254, 206), (254, 226), (214, 226)])
    # Without the second look the find stays under min_score: nothing.
    localizer.zoom = False
    assert localizer.locate(noise_image(1280, 720)) == []


@pytest.mark.parametrize("size", [(640, 360), (1344, 760)])
def test_no_second_look_where_the_image_was_seen_at_two_thirds_of_its_size_or_more(
    size: tuple[int, int],
) -> None:
    # 640 x 360 is seen at full size, 1344 x 760 at 640 and 1280 px (95 %).
    row = plate_row((100, 100, 120, 110), 0.6)
    network = DetectionsBySize({640: [row], 1280: [row]})
    localizer = YoloPoseLocalizer(stretch=1.0, close_up=False)
    localizer._inference = network
    assert localizer.locate(noise_image(*size))
    assert all(shape[3] in (640, 1280) for shape in network.shapes)


def test_a_second_look_window_at_the_image_corner_stays_inside_it() -> None:
    # A find in the top-left corner: the window starts at (0, 0), and a find touching the
    # window's top and left edges, which are the image's, is kept.
    network = DetectionsBySize(
        {640: [plate_row((2, 2, 22, 12), 0.1)], 192: [plate_row((0, 0, 40, 20), 0.6)]}
    )
    localizer = YoloPoseLocalizer(stretch=1.0, close_up=False)
    localizer._inference = network
    (region,) = localizer.locate(noise_image(1280, 720))
    assert region.box.to_dict() == pytest.approx({"x1": 0, "y1": 0, "x2": 40, "y2": 20})


@pytest.mark.parametrize(
    ("size", "close_up", "expected"),
    [
        ((1280, 720), True, [320, 640]),
        ((1920, 1080), True, [320, 640, 1280]),
        ((480, 270), True, [320, 480]),
        ((300, 200), True, [300]),  # no larger than half the input: seen at full size
        ((1920, 1080), False, [640, 1280]),
    ],
)
def test_a_close_up_view_at_half_the_input_size_comes_first(
    size: tuple[int, int], close_up: bool, expected: list[int]
) -> None:
    assert YoloPoseLocalizer(close_up=close_up).sizes(*size) == expected


def test_a_plate_that_fills_the_frame_is_found_in_the_close_up_view() -> None:
    # 1280 x 720 is seen at 320 (scale 1/4) and 640 (1/2). At 640 the network finds only a
    # piece of the big plate; at 320 the whole of it, better scored: the piece is merged away.
    network = DetectionsBySize(
        {
            320: [plate_row((40, 50, 280, 170), 0.8)],  # image box 160-1120 x 200-680
            640: [plate_row((300, 200, 340, 220), 0.5)],  # image box 600-680 x 400-440
        }
    )
    localizer = YoloPoseLocalizer(stretch=1.0, zoom=False)
    localizer._inference = network
    (region,) = localizer.locate(noise_image(1280, 720))
    assert [s[2:] for s in network.shapes] == [(192, 320), (384, 640)]
    assert region.score == pytest.approx(0.8)
    assert region.box.to_dict() == pytest.approx({"x1": 160, "y1": 200, "x2": 1120, "y2": 680})


def test_close_up_is_saved() -> None:
    assert YoloPoseLocalizer().get_config()["close_up"] is True
    assert YoloPoseLocalizer(close_up=False).get_config()["close_up"] is False


def test_zoom_is_saved() -> None:
    assert YoloPoseLocalizer().get_config()["zoom"] is True
    assert YoloPoseLocalizer(zoom=False).get_config()["zoom"] is False


def test_stretch_is_checked_and_saved() -> None:
    for bad in (0.2, 4.5):
        with pytest.raises(ConfigError, match="stretch"):
            YoloPoseLocalizer(stretch=bad)
    assert YoloPoseLocalizer(stretch=1.5).get_config()["stretch"] == 1.5


def test_min_scale_is_checked_and_saved() -> None:
    with pytest.raises(ConfigError, match="min_scale"):
        YoloPoseLocalizer(min_scale=1.5)
    assert YoloPoseLocalizer(min_scale=0.25).get_config()["min_scale"] == 0.25


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ([(0, 0), (10, 0), (10, 5), (0, 5)], [(0, 0), (10, 0), (10, 5), (0, 5)]),
        ([(10, 5), (0, 5), (10, 0), (0, 0)], [(0, 0), (10, 0), (10, 5), (0, 5)]),
        ([(0, 5), (10, 5), (10, 0), (0, 0)], [(0, 0), (10, 0), (10, 5), (0, 5)]),
        # rolled by 40 degrees: TL is neither the left-most nor the top-most point
        ([(3.21, 0), (10.87, 6.43), (7.66, 10.26), (0, 3.83)], None),
        # a plate seen from the side: taller than wide, top edge slanted
        ([(0, 2), (4, 0), (4, 12), (0, 10)], None),
    ],
)
def test_order_corners_gives_tl_tr_br_bl(points: list[Any], expected: list[Any] | None) -> None:
    ordered = order_corners(points)
    assert_points(ordered, expected if expected is not None else points)
    for permutation in ([1, 2, 3, 0], [3, 1, 0, 2], [2, 0, 1, 3]):
        assert_points(order_corners([points[i] for i in permutation]), ordered)


def test_model_names_split_into_yaml_and_scale() -> None:
    assert parse_model_name("yolov8n-pose.yaml") == ("yolov8-pose.yaml", "n")
    assert parse_model_name("yolo11s-pose.yaml") == ("yolo11-pose.yaml", "s")
    assert parse_model_name("yolov8-pose.yaml") == ("yolov8-pose.yaml", None)


def test_importing_the_localizer_leaves_pillow_and_numpy_as_they_were() -> None:
    # ultralytics patches Image.open to pip-install a HEIF plugin, and numpy's float format.
    assert Image.open.__module__ == "PIL.Image"
    assert np.get_printoptions()["formatter"] is None


# -- saving and loading -----------------------------------------------------------------------


def test_a_saved_reader_loads_with_identical_outputs(tmp_path: Path) -> None:
    reader = random_weights_reader()
    image = noise_image(320, 240)
    before = [plate.to_dict() for plate in reader.read(image)]
    assert before, "a random network with min_score 0 reports its best guesses"
    reader.save_pretrained(tmp_path / "reader")
    config = json.loads((tmp_path / "reader" / "jlpr.json").read_text(encoding="utf-8"))
    entry = config["components"]["localizer"]
    assert entry["name"] == "yolo-pose"
    assert entry["config"]["kpt_shape"] == [4, 3]
    assert list(entry["files"]) == ["model.pt"]
    loaded = PlateReader.from_pretrained(tmp_path / "reader")
    assert isinstance(loaded.localizer, YoloPoseLocalizer)
    assert [plate.to_dict() for plate in loaded.read(image)] == before


class _Payload:
    """Unpickling this would create ``marker``: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def test_a_pickle_that_runs_code_is_refused_without_running_it(tmp_path: Path) -> None:
    reader = random_weights_reader()
    directory = reader.save_pretrained(tmp_path / "reader")
    weights = directory / "localizer" / "model.pt"
    marker = tmp_path / "pwned"
    torch.save({"model.0.conv.weight": _Payload(marker)}, weights)
    # An attacker who can replace the file can also update the recorded hash.
    config_path = directory / "jlpr.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    config["components"]["localizer"]["files"]["model.pt"] = digest
    config_path.write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ModelError, match="loaded safely"):
        PlateReader.from_pretrained(directory)
    assert not marker.exists()


def test_weights_of_another_architecture_are_a_model_error(tmp_path: Path) -> None:
    YoloPoseLocalizer(scale=(0.33, 0.125, 1024)).save_weights(tmp_path)
    with pytest.raises(ModelError, match="do not fit"):
        YoloPoseLocalizer.from_config(YoloPoseLocalizer().get_config(), tmp_path)


def test_a_garbage_weights_file_is_a_model_error(tmp_path: Path) -> None:
    (tmp_path / "model.pt").write_bytes(b"not a torch file")
    with pytest.raises(ModelError):
        YoloPoseLocalizer.from_config(YoloPoseLocalizer().get_config(), tmp_path)


@pytest.mark.parametrize(
    "architecture", ["../../evil-pose.yaml", "/tmp/x-pose.yaml", "yolov8.yaml"]
)
def test_only_bundled_pose_yamls_can_be_named(architecture: str) -> None:
    with pytest.raises(ConfigError):
        YoloPoseLocalizer(architecture=architecture)


# -- training ---------------------------------------------------------------------------------


def test_training_exports_a_localizer_that_loads_and_runs_offline(
    tmp_path: Path, no_network: list[str]
) -> None:
    data = make_pose_dataset(tmp_path / "data", n_train=8, n_val=4, size=128)
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    out = tmp_path / "localizer"
    options = ["--seed", "3", "--epochs", "1", "--imgsz", "128", "--batch", "4"]
    args = parser.parse_args(
        ["localizer", "--data", str(data), "--out", str(out), *options, "--predict-imgsz", "320"]
    )
    assert args.handler(args) == 0
    assert no_network == []

    localizer = YoloPoseLocalizer.load(out)
    assert localizer.imgsz == 320
    regions = localizer.locate(noise_image(300, 200))
    assert all(
        0 <= r.box.x1 <= r.box.x2 <= 300 and 0 <= r.box.y1 <= r.box.y2 <= 200 for r in regions
    )
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 3 and manifest["imgsz"] == 128
    assert manifest["data"]["train_images"] == 8 and manifest["data"]["val_images"] == 4
    assert {"box_map50", "box_map50_95", "pose_map50", "pose_map50_95"} <= set(manifest["metrics"])
    assert (
        manifest["files"]["model.pt"] == hashlib.sha256((out / "model.pt").read_bytes()).hexdigest()
    )
    assert manifest["command"].startswith("jlpr train localizer --data ")


def test_resume_without_a_previous_run_is_a_config_error(tmp_path: Path) -> None:
    from jlpr.training.localizer import train_localizer

    data = make_pose_dataset(tmp_path / "data", n_train=1, n_val=1, size=64)
    with pytest.raises(ConfigError, match="nothing to resume"):
        train_localizer(data, tmp_path / "out", resume=True)


def test_a_dataset_without_four_corners_is_refused(tmp_path: Path) -> None:
    from jlpr.training.localizer import train_localizer

    data = make_pose_dataset(tmp_path / "data", n_train=1, n_val=1, size=64)
    (data / "data.yaml").write_text(
        "path: .\ntrain: images/train\nval: images/val\nnames: [plate]\n"
    )
    with pytest.raises(ConfigError, match="kpt_shape"):
        train_localizer(data, tmp_path / "out")
