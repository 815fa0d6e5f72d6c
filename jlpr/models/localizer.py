"""The default localizer: a small YOLO pose network that finds plates and their four corners.

The network is an Ultralytics YOLO pose model (one class, four keypoints TL, TR, BR, BL) built
from a model YAML bundled with ``ultralytics`` (``yolov8-pose.yaml`` at scale ``n`` by
default). Only its ``state_dict`` is stored (``model.pt``, read with
``torch.load(weights_only=True)``), never a pickled Ultralytics checkpoint, so loading weights
cannot execute code.

Whole frames of any size are letterboxed: scaled so that the longer side is at most
``imgsz`` (never enlarged: a small image keeps its plates at the pixel size the network was
trained on), placed at the top-left corner of a grey canvas and padded to a multiple of the
network stride. Undoing that is a division by the per-axis scale, so boxes and corners come
back in input-image pixels with ``(0, 0)`` the top-left corner of the top-left pixel, as in
:mod:`jlpr.interfaces`.

Large images are searched at more than one size (:func:`pyramid`): a 1920x1080 frame shrunk
to 640 px leaves a 60 px plate 20 px wide, too small to find, so the network also sees the
frame at 1280 px, doubling the size until the image is seen at ``min_scale`` (default half)
of its own size or more. The detections of all sizes are merged: of two that overlap by
``nms_iou`` of the smaller one's area, the higher-scoring one is kept. A 1280x720 frame is
seen at 640 px; ``min_scale=0`` looks at one size only.

Plates that fill much of the frame (a close-up) are larger at ``imgsz`` than any the
network learnt, and it finds pieces of them; with ``close_up`` (the default) every image
larger than half of ``imgsz`` is also searched at half of it, first, where such a plate has
a size it knows (docs/models.md, "Close-ups").

Small plates get a second look (``zoom``): a find narrower than :data:`ZOOM_MAX_WIDTH`
network pixels at the finest size searched, down to the low score :data:`ZOOM_MIN_SCORE`,
is searched again in a :data:`ZOOM_WINDOW`-pixel window around it at up to twice that size
(at most the image's own size), where it is as large as the plates the network finds
surely. A 1280x720 frame is searched at 640 px, and its small finds at 1280 px, at a
fraction of the cost of searching all of it at 1280 px (docs/models.md, "Whole synthetic
1280-px frames, and the second look"). Finds in a window that touch its inner edges are
dropped (a plate cut there); the others are merged with the rest as the sizes are.

Plates seen from the side are narrower than they are tall. With ``stretch`` other than 1
every size is searched a second time with the image ``stretch`` times as wide as high (its
pixel count kept): at 2 a plate turned by 60° has the proportions of a frontal one there,
one turned by 70° those of one turned by 47°. Its detections are mapped back through both
axes' scales and merged with the others, for twice the localizer's time. The default, 1,
searches each size once: the bundled network learnt side views in training.

Ultralytics is imported with ``YOLO_OFFLINE=1`` unless the user set it: otherwise its import
probes the network (a DNS lookup) and, when that succeeds, may send telemetry and check PyPI.
Nothing here ever downloads anything.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from PIL import Image

from jlpr.errors import ConfigError, ModelError, WeightsNotFoundError
from jlpr.interfaces import Configurable, ImageArray, Localizer
from jlpr.models._weights import load_state_dict
from jlpr.registry import register
from jlpr.types import Box, PlateRegion, Quad

# Must precede the first import of ultralytics, which decides at import time whether it is online.
os.environ.setdefault("YOLO_OFFLINE", "1")
_PIL_OPEN = Image.open
_NUMPY_PRINT_OPTIONS = np.get_printoptions()

# The imports below come after capturing the state that importing ultralytics changes.
import ultralytics  # noqa: E402
from ultralytics.nn.tasks import PoseModel  # noqa: E402
from ultralytics.utils import YAML  # noqa: E402
from ultralytics.utils import patches as _ultralytics_patches  # noqa: E402
from ultralytics.utils.nms import non_max_suppression  # noqa: E402

# Importing ultralytics changes process-wide state. It replaces PIL.Image.open with a wrapper
# that, whenever Pillow cannot identify a file, tries to pip-install pi-heif and then raises
# something else than Pillow's error; jlpr installs nothing and reports such files as
# ImageError, so Pillow's own function is put back. It also reformats every numpy float.
Image.open = getattr(_ultralytics_patches, "_image_open", _PIL_OPEN)
np.set_printoptions(**_NUMPY_PRINT_OPTIONS)

__all__ = [
    "DEFAULT_ARCHITECTURE",
    "DEFAULT_IMGSZ",
    "DEFAULT_MIN_SCALE",
    "DEFAULT_SCALE",
    "DEFAULT_STRETCH",
    "KPT_SHAPE",
    "WEIGHTS_NAME",
    "Letterbox",
    "YoloPoseLocalizer",
    "build_network",
    "letterbox",
    "order_corners",
    "parse_model_name",
    "pyramid",
]

DEFAULT_ARCHITECTURE = "yolov8-pose.yaml"
DEFAULT_SCALE = "n"
DEFAULT_IMGSZ = 640
"""A 1280x720 frame becomes 640x360: a 40 px wide plate keeps 20 px, enough to be found."""
DEFAULT_MIN_SCALE = 0.5
"""Every image is also seen at half its size or more, so that plates of about 40 px are found
in frames of any size (:func:`pyramid`)."""
DEFAULT_STRETCH = 1.0
"""Each size is searched once. ``stretch=2`` adds a view twice as wide as high for plates
turned 55-70° away (taller than wide on screen): with the localizer trained before side views
were in its scenes it found 14 of the 19 oblique real-dev frames instead of 1; the bundled
localizer, trained with them, finds 16 without it, and 17 with it but with many more false
detections, at twice the localizer's time (docs/models.md)."""
MIN_STRETCH, MAX_STRETCH = 0.25, 4.0
ZOOM_MAX_WIDTH = 64.0
"""Finds narrower than this many pixels at the finest size searched get a second look."""
ZOOM_MIN_SCORE = 0.01
"""Finds down to this score are looked at again (``read()`` reports from ``min_score``)."""
ZOOM_MAX_FINDS = 8
"""At most this many finds per image are looked at again, the best-scoring first."""
ZOOM_WINDOW = 192
"""Side of the second look's windows, in network pixels."""
ZOOM_GAIN = 1.5
"""A second look is taken only where it sees the plate at least this many times larger."""
MAX_BATCH_PIXELS = 4 * 640 * 640
"""Letterboxed canvases are run together up to this many pixels; larger ones one at a time."""
KPT_SHAPE = (4, 3)
"""Four corners (TL, TR, BR, BL), each ``(x, y, visibility)``."""
WEIGHTS_NAME = "model.pt"
STRIDE = 32
"""The largest stride of the YOLO heads: network inputs are padded to a multiple of it."""
PAD_VALUE = 114
"""Grey of the letterbox padding, the value Ultralytics trains with."""

Scale = str | tuple[float, float, int]
"""A named scale of the model YAML (``"n"``), or ``(depth, width, max_channels)``."""

_MODEL_NAME = re.compile(r"^(?P<family>yolo(?:v)?\d+)(?P<scale>[nslmx])(?P<rest>-pose\.yaml)$")
_BUNDLED_NAME = re.compile(r"^[A-Za-z0-9_.-]+-pose\.yaml$")


# -- architecture --------------------------------------------------------------------------------


def parse_model_name(name: str) -> tuple[str, str | None]:
    """Split an Ultralytics model name into its YAML and scale.

    ``"yolov8n-pose.yaml"`` gives ``("yolov8-pose.yaml", "n")``; ``"yolov8-pose.yaml"`` gives
    ``("yolov8-pose.yaml", None)``.
    """
    match = _MODEL_NAME.match(name)
    if match is None:
        return name, None
    return match["family"] + match["rest"], match["scale"]


def _bundled_yaml(architecture: str) -> Path:
    """The path of a pose model YAML shipped inside ``ultralytics``.

    Only bundled files are accepted: a model YAML is partly evaluated by Ultralytics, so a
    path taken from a saved config must not point anywhere else.
    """
    if not _BUNDLED_NAME.match(architecture):
        raise ConfigError(
            f"architecture must name a pose model YAML bundled with ultralytics, such as "
            f"{DEFAULT_ARCHITECTURE!r}, got {architecture!r}"
        )
    models = Path(ultralytics.__file__).parent / "cfg" / "models"
    found = sorted(models.rglob(architecture))
    if not found:
        raise ConfigError(
            f"ultralytics {ultralytics.__version__} has no model YAML {architecture!r}; "
            f"use one of {sorted(p.name for p in models.rglob('*-pose.yaml'))}"
        )
    return found[0]


def _check_scale(scale: Any, scales: Mapping[str, Any]) -> Scale:
    if isinstance(scale, str):
        if scale not in scales:
            raise ConfigError(
                f"scale must be one of {sorted(scales)} or [depth, width, max_channels]"
            )
        return scale
    if (
        isinstance(scale, Sequence)
        and len(scale) == 3
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in scale)
        and 0 < scale[0] <= 2
        and 0 < scale[1] <= 2
        and int(scale[2]) >= 8
    ):
        return (float(scale[0]), float(scale[1]), int(scale[2]))
    raise ConfigError(f"scale must be a name or [depth, width, max_channels], got {scale!r}")


def build_network(architecture: str = DEFAULT_ARCHITECTURE, scale: Scale = DEFAULT_SCALE) -> Any:
    """A freshly initialised Ultralytics ``PoseModel`` with one class and four keypoints.

    ``scale`` is a named scale of the YAML (``"n"``, ``"s"``, ...) or a custom
    ``(depth, width, max_channels)``; ``(0.33, 0.125, 1024)`` is half as wide as ``n``.
    """
    cfg = YAML.load(_bundled_yaml(architecture))  # type: ignore[no-untyped-call]
    scales = dict(cfg.get("scales") or {})
    checked = _check_scale(scale, scales)
    if isinstance(checked, tuple):
        scales = {"custom": list(checked)}
        checked = "custom"
    cfg.update(scales=scales, scale=checked, nc=1, kpt_shape=list(KPT_SHAPE))
    cfg["yaml_file"] = architecture
    network = PoseModel(cfg, ch=3, nc=1, data_kpt_shape=KPT_SHAPE, verbose=False)  # type: ignore[no-untyped-call]
    network.names = {0: "plate"}
    return network


# -- geometry ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Letterbox:
    """Where an image went on the network input.

    The image was resized to ``resized`` ``(width, height)`` and placed at the top-left corner
    of the input; ``scale`` is ``(resized width / image width, resized height / image height)``.
    ``offset`` is where the image's top-left corner lies in a larger image it was cut from.
    """

    scale: tuple[float, float]
    resized: tuple[int, int]
    offset: tuple[float, float] = (0.0, 0.0)

    def to_image(self, points: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """Map ``(..., 2)`` network-input points ``(x, y)`` back to image pixels."""
        return np.asarray(points, dtype=np.float64) / np.asarray(
            self.scale, dtype=np.float64
        ) + np.asarray(self.offset, dtype=np.float64)


def letterbox(
    image: ImageArray, imgsz: int, stride: int = STRIDE, *, stretch: float = 1.0
) -> tuple[npt.NDArray[np.uint8], Letterbox]:
    """Shrink ``image`` so its longer side is at most ``imgsz`` and pad it to ``stride``.

    Returns the padded ``(H, W, 3)`` canvas (image at the top-left, grey elsewhere) and the
    :class:`Letterbox` that maps network points back to ``image`` pixels. Images are never
    enlarged. ``stretch`` other than 1 then widens the image ``stretch`` times relative to its
    height, keeping its pixel count (width x sqrt(stretch), height / sqrt(stretch)); that
    view may be wider than ``imgsz`` and enlarged along one axis.
    """
    height, width = image.shape[:2]
    ratio = min(1.0, imgsz / max(height, width))
    root = math.sqrt(stretch)
    new_width = max(1, round(width * ratio * root))
    new_height = max(1, round(height * ratio / root))
    if (new_width, new_height) != (width, height):
        # A box filter averages the pixels it drops, so small plates do not alias; a view
        # enlarged along one axis is interpolated instead (a box filter would repeat pixels).
        enlarged = new_width > width or new_height > height
        resized = np.asarray(
            Image.fromarray(image).resize(
                (new_width, new_height),
                Image.Resampling.BILINEAR if enlarged else Image.Resampling.BOX,
            ),
            dtype=np.uint8,
        )
    else:
        resized = image
    padded_width = math.ceil(new_width / stride) * stride
    padded_height = math.ceil(new_height / stride) * stride
    canvas = np.full((padded_height, padded_width, 3), PAD_VALUE, dtype=np.uint8)
    canvas[:new_height, :new_width] = resized
    placement = Letterbox(
        scale=(new_width / width, new_height / height), resized=(new_width, new_height)
    )
    return canvas, placement


def pyramid(width: int, height: int, imgsz: int, min_scale: float) -> list[int]:
    """The longer sides at which the network sees a ``width`` x ``height`` image.

    First ``imgsz`` (or the image's own size if smaller, as :func:`letterbox` never enlarges),
    then twice the previous size, capped at the image's own, until the image is seen at
    ``min_scale`` of its size or more: ``[640]`` for 1280x720, ``[640, 1280]`` for 1920x1080,
    ``[640, 1280, 2560]`` for 4000x3000 (``imgsz`` 640, ``min_scale`` 0.5).
    """
    longest = max(width, height)
    sizes = [min(imgsz, longest)]
    while sizes[-1] < min_scale * longest:
        sizes.append(min(2 * sizes[-1], longest))
    return sizes


def _merge(regions: list[PlateRegion], overlap: float) -> list[PlateRegion]:
    """Best first, without each region whose intersection with a better one is ``overlap``
    or more of the smaller one's area (the same plate found at two sizes, or a piece of it)."""
    kept: list[PlateRegion] = []
    for region in sorted(regions, key=lambda r: -r.score):
        if not any(_covers(region.box, other.box, overlap) for other in kept):
            kept.append(region)
    return kept


def _covers(a: Box, b: Box, overlap: float) -> bool:
    inter = a.intersection(b)
    return inter > 0 and inter >= overlap * min(a.area, b.area)


@dataclass(frozen=True)
class _View:
    """A letterboxed canvas of image number ``image``; for a window of the second look, the
    ``window`` it shows, in that image's pixels."""

    image: int
    canvas: npt.NDArray[np.uint8]
    where: Letterbox
    window: Box | None = None


WINDOW_EDGE = 4.0
"""Finds within this many network pixels of a window's inner edge are cut there: dropped."""


def _window_start(centre: float, side: float, limit: int) -> int:
    """Where a window of ``side`` pixels centred on ``centre`` starts, kept inside
    ``[0, limit]`` when it fits."""
    return int(max(0.0, min(centre - side / 2.0, limit - side)))


def _cut(box: Box, window: Box, margin: float, width: int, height: int) -> bool:
    """Whether ``box`` touches an edge of ``window`` that is not an edge of the image."""
    return (
        (window.x1 > 0 and box.x1 < window.x1 + margin)
        or (window.y1 > 0 and box.y1 < window.y1 + margin)
        or (window.x2 < width and box.x2 > window.x2 - margin)
        or (window.y2 < height and box.y2 > window.y2 - margin)
    )


def order_corners(points: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Order four points TL, TR, BR, BL by geometry alone.

    The points are sorted clockwise on screen (by angle around their centroid, y down) and
    rotated so that the first edge, TL -> TR, is the one pointing most nearly to the right.
    This agrees with the network's order whenever that order is a consistent quad and
    repairs it when the network swapped corners; it holds for plates rolled by less than
    45 degrees, whatever their aspect (a plate seen from the side is taller than wide).
    """
    pts = np.asarray(points, dtype=np.float64).reshape(4, 2)
    center = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - center[1], pts[:, 0] - center[0])
    clockwise = pts[np.argsort(angles, kind="stable")]
    edges = np.roll(clockwise, -1, axis=0) - clockwise
    rightness = edges[:, 0] / np.maximum(np.hypot(edges[:, 0], edges[:, 1]), 1e-12)
    return np.roll(clockwise, -int(np.argmax(rightness)), axis=0)


# -- the localizer -------------------------------------------------------------------------------


@register("yolo-pose")
class YoloPoseLocalizer(Localizer, Configurable):
    """Finds plates and their corners with a YOLO pose network.

    Args:
        architecture: a pose model YAML bundled with ultralytics (``"yolov8-pose.yaml"``).
        scale: a named scale of that YAML (``"n"``) or ``(depth, width, max_channels)``.
        imgsz: longer side of the network input; larger finds smaller plates, more slowly.
        min_scale: larger images are searched again at twice the size, then four times, ...
            until they are seen at this share of their own size or more (:func:`pyramid`);
            0 searches every image once, at ``imgsz``.
        stretch: other than 1 (the default), every size is searched again with the image
            this many times wider than high, its pixel count kept (:func:`letterbox`), so
            that plates seen from the side, narrower than they are tall, look like plates
            again (twice the work); below 1 the image is made taller instead (plates seen
            from steeply above or below). Within [0.25, 4].
        close_up: also search every image larger than ``imgsz / 2`` at ``imgsz / 2``, where
            plates that fill much of the frame have a size the network knows.
        zoom: give small finds a second look at up to twice the finest size searched, in a
            window around each (see the module docstring); ``False`` reports what the
            sizes of :func:`pyramid` find, as before.
        min_score: detections scoring lower are dropped.
        nms_iou: overlapping detections above this IoU are merged (non-maximum suppression).
        min_corner_confidence: when any corner's visibility is lower, the region gets
            ``corners=None`` and the rectifier falls back to the box.
        max_detections: at most this many plates per image.
        weights: a ``state_dict`` for the network; ``None`` keeps random weights.
        device: torch device, ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ...
    """

    def __init__(
        self,
        architecture: str = DEFAULT_ARCHITECTURE,
        scale: Scale | list[float] = DEFAULT_SCALE,
        imgsz: int = DEFAULT_IMGSZ,
        min_score: float = 0.25,
        nms_iou: float = 0.5,
        min_corner_confidence: float = 0.5,
        max_detections: int = 20,
        min_scale: float = DEFAULT_MIN_SCALE,
        stretch: float = DEFAULT_STRETCH,
        zoom: bool = True,
        close_up: bool = True,
        *,
        weights: Mapping[str, torch.Tensor] | None = None,
        device: str = "cpu",
    ) -> None:
        for name, value in (
            ("min_score", min_score),
            ("nms_iou", nms_iou),
            ("min_corner_confidence", min_corner_confidence),
            ("min_scale", min_scale),
        ):
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name} must be within [0, 1], got {value}")
        if not MIN_STRETCH <= stretch <= MAX_STRETCH:
            raise ConfigError(
                f"stretch must be within [{MIN_STRETCH:g}, {MAX_STRETCH:g}], got {stretch}"
            )
        if imgsz < STRIDE or max_detections < 1:
            raise ConfigError(
                f"imgsz must be at least {STRIDE} and max_detections at least 1, "
                f"got {imgsz} and {max_detections}"
            )
        self.architecture = architecture
        self.imgsz = int(imgsz)
        self.min_score = float(min_score)
        self.nms_iou = float(nms_iou)
        self.min_corner_confidence = float(min_corner_confidence)
        self.max_detections = int(max_detections)
        self.min_scale = float(min_scale)
        self.stretch = float(stretch)
        self.zoom = bool(zoom)
        self.close_up = bool(close_up)
        self.scale: Scale = scale if isinstance(scale, str) else _check_scale(scale, {})
        network = build_network(architecture, self.scale)
        if weights is not None:
            try:
                network.load_state_dict(dict(weights), strict=True)
            except (RuntimeError, TypeError, ValueError) as exc:
                raise ModelError(
                    f"the weights do not fit {architecture} at scale {self.scale!r} with "
                    f"{KPT_SHAPE[0]} keypoints: {exc}"
                ) from exc
        # The saved weights stay unfused (trainable, loadable by Ultralytics); inference
        # runs a copy with each batch norm folded into its convolution, which is faster.
        self._network = network.eval()
        try:
            self.device = torch.device(device)
            self._inference = copy.deepcopy(network).fuse(verbose=False).eval().to(self.device)
        except (RuntimeError, AssertionError) as exc:
            raise ModelError(f"cannot run the localizer on device {device!r}: {exc}") from exc

    @property
    def network(self) -> Any:
        """The unfused Ultralytics ``PoseModel`` whose weights :meth:`save_weights` writes.

        Training it does not change this localizer's predictions (they come from a fused
        copy made at construction); build a new localizer from its ``state_dict`` instead.
        """
        return self._network

    # -- Localizer ---------------------------------------------------------------------------

    def locate(self, image: ImageArray) -> list[PlateRegion]:
        return self.locate_batch([image])[0]

    def views(self, width: int, height: int) -> list[tuple[int, float]]:
        """The ``(size, stretch)`` views in which a ``width`` x ``height`` image is searched.

        Every size of :meth:`sizes`, first as it is (stretch 1), then, unless
        :attr:`stretch` is 1, widened by :attr:`stretch` (:func:`letterbox`).
        """
        sizes = self.sizes(width, height)
        return [(size, stretch) for stretch in self._stretches() for size in sizes]

    def sizes(self, width: int, height: int) -> list[int]:
        """The longer sides at which a ``width`` x ``height`` image is searched: those of
        :func:`pyramid`, after half of :attr:`imgsz` when :attr:`close_up` is on and the
        image is larger than that."""
        sizes = pyramid(width, height, self.imgsz, self.min_scale)
        half = self.imgsz // 2
        return [half, *sizes] if self.close_up and max(width, height) > half else sizes

    def _stretches(self) -> tuple[float, ...]:
        return (1.0,) if self.stretch == 1.0 else (1.0, self.stretch)

    def locate_batch(self, images: Sequence[ImageArray]) -> list[list[PlateRegion]]:
        """Locate plates in several images, batching the images seen in the same kind of view.

        The plain views at the first size of every image go together, then those at the
        second size, ..., then the stretched views in the same order, then the windows of
        the second look (:attr:`zoom`), so that the canvases of one batch have about the
        same shape.
        """
        sizes = [self.sizes(im.shape[1], im.shape[0]) for im in images]
        stretches = self._stretches()
        # With zoom, the plain views keep finds down to ZOOM_MIN_SCORE, the candidates for the
        # second look; of those, only the ones that reach min_score are reported.
        low = min(self.min_score, ZOOM_MIN_SCORE) if self.zoom else self.min_score
        found: list[list[PlateRegion]] = [[] for _ in images]
        for stretch in stretches:
            for level in range(max((len(s) for s in sizes), default=0)):
                views = (
                    _View(i, *letterbox(images[i], s[level], stretch=stretch))
                    for i, s in enumerate(sizes)
                    if len(s) > level
                )
                self._locate_views(images, views, found, low if stretch == 1.0 else None)
        zoomed = self._second_look(images, sizes, found) if self.zoom else [[] for _ in images]
        located = []
        for regions, closer, s in zip(found, zoomed, sizes, strict=True):
            kept = [r for r in regions if r.score >= self.min_score] + closer
            if len(s) * len(stretches) > 1 or closer:
                kept = _merge(kept, self.nms_iou)[: self.max_detections]
            located.append(kept)
        return located

    def _second_look(
        self,
        images: Sequence[ImageArray],
        sizes: Sequence[Sequence[int]],
        found: Sequence[Sequence[PlateRegion]],
    ) -> list[list[PlateRegion]]:
        """Each image's small finds searched again in windows at up to twice its finest size
        (the module docstring), where that sees them at least :data:`ZOOM_GAIN` times larger."""
        views = []
        for i, (image, levels) in enumerate(zip(images, sizes, strict=True)):
            height, width = image.shape[:2]
            finest = levels[-1] / max(width, height)
            closer = min(1.0, 2.0 * finest)
            if closer < ZOOM_GAIN * finest:
                continue
            side = ZOOM_WINDOW / closer  # the window's side in image pixels
            small = [r for r in found[i] if r.box.width * finest < ZOOM_MAX_WIDTH]
            for region in sorted(small, key=lambda r: -r.score)[:ZOOM_MAX_FINDS]:
                box = region.box
                x0 = _window_start((box.x1 + box.x2) / 2.0, side, width)
                y0 = _window_start((box.y1 + box.y2) / 2.0, side, height)
                x1 = min(width, x0 + math.ceil(side))
                y1 = min(height, y0 + math.ceil(side))
                canvas, where = letterbox(image[y0:y1, x0:x1], ZOOM_WINDOW)
                window = Box(float(x0), float(y0), float(x1), float(y1))
                views.append(_View(i, canvas, replace(where, offset=(x0, y0)), window))
        zoomed: list[list[PlateRegion]] = [[] for _ in images]
        self._locate_views(images, views, zoomed, None)
        return zoomed

    def _locate_views(
        self,
        images: Sequence[ImageArray],
        views: Iterable[_View],
        found: list[list[PlateRegion]],
        min_score: float | None,
    ) -> None:
        """Detect in the canvases of ``views`` (made as they are needed), up to
        :data:`MAX_BATCH_PIXELS` per batch, adding each image's regions that score
        ``min_score`` (default :attr:`min_score`) or more to ``found``."""
        chunk: list[_View] = []
        pixels = 0
        for view in itertools.chain(views, [None]):  # None: flush the last batch
            if view is not None:
                chunk.append(view)
                pixels += view.canvas.shape[0] * view.canvas.shape[1]
                if pixels < MAX_BATCH_PIXELS:
                    continue
            if chunk:
                detected = self._detect([v.canvas for v in chunk], min_score)
                for v, detections in zip(chunk, detected, strict=True):
                    height, width = images[v.image].shape[:2]
                    regions = self._regions(detections, v.where, width, height)
                    if v.window is not None:
                        margin = WINDOW_EDGE / v.where.scale[0]
                        regions = [
                            r for r in regions if not _cut(r.box, v.window, margin, width, height)
                        ]
                    found[v.image] += regions
            chunk, pixels = [], 0

    def _detect(
        self, canvases: Sequence[npt.NDArray[np.uint8]], min_score: float | None = None
    ) -> list[npt.NDArray[np.float32]]:
        """NMS rows of each letterboxed canvas scoring ``min_score`` (default
        :attr:`min_score`) or more, from one forward pass over all of them."""
        height = max(c.shape[0] for c in canvases)
        width = max(c.shape[1] for c in canvases)
        batch = np.full((len(canvases), height, width, 3), PAD_VALUE, dtype=np.uint8)
        for i, canvas in enumerate(canvases):
            batch[i, : canvas.shape[0], : canvas.shape[1]] = canvas
        tensor = torch.from_numpy(batch).to(self.device).permute(0, 3, 1, 2).float().div_(255.0)
        with torch.inference_mode():
            output = self._inference(tensor)
            detections = non_max_suppression(
                output,
                conf_thres=self.min_score if min_score is None else min_score,
                iou_thres=self.nms_iou,
                max_det=self.max_detections,
                nc=1,
                end2end=bool(getattr(self._inference, "end2end", False)),
            )
        return [det.float().cpu().numpy() for det in detections]

    def _regions(
        self, detections: npt.NDArray[np.float32], placement: Letterbox, width: int, height: int
    ) -> list[PlateRegion]:
        """Turn NMS rows ``x1 y1 x2 y2 score class kx ky kv ...`` into regions in image pixels."""
        regions = []
        for row in detections:
            (x1, y1), (x2, y2) = placement.to_image(row[:4].reshape(2, 2))
            box = Box(
                float(np.clip(x1, 0, width)),
                float(np.clip(y1, 0, height)),
                float(np.clip(x2, 0, width)),
                float(np.clip(y2, 0, height)),
            )
            if box.area <= 0:  # found in the padding only, outside the image
                continue
            keypoints = row[6 : 6 + KPT_SHAPE[0] * KPT_SHAPE[1]].reshape(KPT_SHAPE)
            corners = None
            if float(keypoints[:, 2].min()) >= self.min_corner_confidence:
                corners = Quad.from_points(order_corners(placement.to_image(keypoints[:, :2])))
            regions.append(PlateRegion(box=box, score=float(row[4]), corners=corners))
        regions.sort(key=lambda r: -r.score)
        return regions

    # -- Configurable ------------------------------------------------------------------------

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The network's unfused weights, on the CPU."""
        return {k: v.detach().cpu() for k, v in self._network.state_dict().items()}

    def get_config(self) -> dict[str, Any]:
        return {
            "architecture": self.architecture,
            "scale": self.scale if isinstance(self.scale, str) else list(self.scale),
            "imgsz": self.imgsz,
            "min_score": self.min_score,
            "nms_iou": self.nms_iou,
            "min_corner_confidence": self.min_corner_confidence,
            "max_detections": self.max_detections,
            "min_scale": self.min_scale,
            "stretch": self.stretch,
            "zoom": self.zoom,
            "close_up": self.close_up,
            "kpt_shape": list(KPT_SHAPE),
        }

    def save_weights(self, directory: Path) -> list[str]:
        torch.save(self.state_dict(), directory / WEIGHTS_NAME)
        return [WEIGHTS_NAME]

    @classmethod
    def from_config(
        cls, config: dict[str, Any], directory: Path, device: str = "cpu"
    ) -> YoloPoseLocalizer:
        options = dict(config)
        kpt_shape = options.pop("kpt_shape", list(KPT_SHAPE))
        if list(kpt_shape) != list(KPT_SHAPE):
            raise ConfigError(
                f"the plate localizer has kpt_shape {list(KPT_SHAPE)}, got {kpt_shape}"
            )
        try:
            return cls(**options, weights=load_state_dict(directory / WEIGHTS_NAME), device=device)
        except TypeError as exc:
            raise ConfigError(f"bad yolo-pose localizer config {config!r}: {exc}") from exc

    @classmethod
    def load(cls, directory: str | os.PathLike[str], device: str = "cpu") -> YoloPoseLocalizer:
        """Load a localizer exported by ``jlpr train localizer`` (config.json, model.pt)."""
        path = Path(directory) / "config.json"
        if not path.is_file():
            raise WeightsNotFoundError(f"no localizer config {path}; was it written by jlpr train?")
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path} is not valid JSON: {exc}") from exc
        if not isinstance(config, dict):
            raise ConfigError(f"{path} does not hold a localizer config")
        return cls.from_config(config, Path(directory), device=device)

    def __repr__(self) -> str:
        return (
            f"YoloPoseLocalizer({self.architecture!r}, scale={self.scale!r}, imgsz={self.imgsz}, "
            f"min_scale={self.min_scale}, stretch={self.stretch}, zoom={self.zoom}, "
            f"close_up={self.close_up}, "
            f"device={str(self.device)!r})"
        )
