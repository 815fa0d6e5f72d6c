"""The default rectifier: a small CNN moves the four plate corners onto the plate, then a warp.

A detector's corners are rough (the YOLO pose localizer's are ~8 % of the plate width off on
synthetic loose crops, median of the worst corner), and a field classifier reads a crop whose
fields sit where the layout says. :class:`RefiningRectifier` closes that gap:

1. start from the region's corners when they are plausible, else from its box;
2. cut a *window* around them: their bounding box grown by ``margin`` on every side, resized
   to ``input_size`` (grey where it leaves the image);
3. :class:`CornerNet` regresses the four true corners in window units (0..1 across the
   window); map them back to image pixels;
4. repeat from the new corners ``iterations`` times (the second window is tighter, so the
   answer is finer);
5. warp the refined quad with :class:`~jlpr.rectify.PerspectiveRectifier`.

When the refined corners are not a plausible plate (or wander off the window), it keeps the
corners it started from and behaves exactly like the perspective rectifier (PERSPECTIVE or
BOX); otherwise the result says :attr:`~jlpr.types.RectifyMethod.REFINED`. The refined
corners are the ones reported in :attr:`jlpr.Plate.corners`.

The network is trained by ``jlpr train rectifier`` on windows cut from synthetic scenes
(:mod:`jlpr.training.refiner`) with the same :func:`cut_window` used here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from PIL import Image
from torch import nn

from jlpr.errors import ConfigError, ModelError, WeightsNotFoundError
from jlpr.interfaces import Configurable, ImageArray, RectifiedPlate, Rectifier
from jlpr.layout import CANONICAL_SIZE
from jlpr.models._fusion import InferenceCopy
from jlpr.models._weights import (
    MODEL_FILE,
    check_manifest,
    load_state_dict,
    resolve_device,
    save_with_manifest,
)
from jlpr.rectify import PerspectiveRectifier, corners_are_plausible
from jlpr.registry import register
from jlpr.types import Box, PlateRegion, Quad, RectifyMethod

__all__ = [
    "DEFAULT_INPUT_SIZE",
    "DEFAULT_MARGIN",
    "CornerNet",
    "RefiningRectifier",
    "cut_window",
    "window_around",
]

DEFAULT_INPUT_SIZE = (128, 64)
"""``(width, height)`` of the window the network sees."""
DEFAULT_MARGIN = 0.25
"""Share of the start quad's bounding-box size added on each side to make the window."""
DEFAULT_CHANNELS = (24, 32, 48, 64, 96)
PAD_VALUE = 114
"""Grey outside the image (the localizer pads with the same value)."""
MANIFEST_FORMAT = "jlpr-corner-refiner"
# Refined corners may leave the window by this share of its size before they count as lost.
_MAX_OUTSIDE_WINDOW = 0.1

FloatArray = npt.NDArray[np.float64]


def window_around(points: npt.ArrayLike, margin: float = DEFAULT_MARGIN) -> Box:
    """The bounding box of ``points`` grown by ``margin`` x its size on every side.

    A degenerate (flat or thin) box is first widened to a 4:1 aspect at most, so the window
    always shows the plate's surroundings in both directions.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    (x1, y1), (x2, y2) = pts.min(axis=0), pts.max(axis=0)
    width, height = max(x2 - x1, 1.0), max(y2 - y1, 1.0)
    width, height = max(width, height / 4.0), max(height, width / 4.0)
    cx, cy = (x1 + x2) / 2.0, (y1 + y2) / 2.0
    half_w, half_h = width * (0.5 + margin), height * (0.5 + margin)
    return Box(float(cx - half_w), float(cy - half_h), float(cx + half_w), float(cy + half_h))


def cut_window(image: ImageArray, window: Box, size: tuple[int, int]) -> ImageArray:
    """``window`` of ``image`` (may reach outside it: grey there) resized to ``size`` (w, h).

    Bilinear, with a box-filter pre-reduction when the window is much larger than ``size`` so
    thin strokes do not alias. Training and inference both cut their windows here.
    """
    out_w, out_h = size
    height, width = image.shape[:2]
    left, top = math.floor(window.x1), math.floor(window.y1)
    right, bottom = math.ceil(window.x2), math.ceil(window.y2)
    canvas = np.full((bottom - top, right - left, 3), PAD_VALUE, dtype=np.uint8)
    sx1, sy1 = max(left, 0), max(top, 0)
    sx2, sy2 = min(right, width), min(bottom, height)
    if sx2 > sx1 and sy2 > sy1:
        canvas[sy1 - top : sy2 - top, sx1 - left : sx2 - left] = image[sy1:sy2, sx1:sx2]
    # The sub-pixel part of the window, inside the integer canvas.
    inner = (window.x1 - left, window.y1 - top, window.x2 - left, window.y2 - top)
    resized = Image.fromarray(canvas).resize(
        (out_w, out_h), Image.Resampling.BILINEAR, box=inner, reducing_gap=2.0
    )
    return np.asarray(resized, dtype=np.uint8)


class CornerNet(nn.Module):
    """A small CNN that regresses 4 corners (8 numbers, window units) from one window.

    A stride-2 stem, then stride-2 stages of two 3x3 convolutions (batch norm, ReLU); the last
    feature map is flattened (position matters for regression) into a 2-layer head.
    """

    def __init__(
        self,
        input_size: tuple[int, int] = DEFAULT_INPUT_SIZE,
        channels: Sequence[int] = DEFAULT_CHANNELS,
        hidden: int = 192,
    ) -> None:
        super().__init__()
        width, height = input_size
        stride = 2 ** len(channels)
        if width % stride or height % stride:
            raise ConfigError(
                f"refiner input_size {input_size} must be a multiple of {stride} "
                f"for {len(channels)} stages"
            )
        layers: list[nn.Module] = []
        previous = 3
        for index, out in enumerate(channels):
            layers += [
                nn.Conv2d(previous, out, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(out),
                nn.ReLU(inplace=True),
            ]
            if index > 0:
                layers += [
                    nn.Conv2d(out, out, 3, padding=1, bias=False),
                    nn.BatchNorm2d(out),
                    nn.ReLU(inplace=True),
                ]
            previous = out
        self.features = nn.Sequential(*layers)
        flat = previous * (width // stride) * (height // stride)
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(flat, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, 8)
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, 3, H, W)`` floats in [0, 1] -> ``(N, 4, 2)`` corners in window units."""
        x = (images - 0.5) / 0.25
        out: torch.Tensor = self.head(self.features(x))
        return out.view(-1, 4, 2) + 0.5


def to_tensor(windows: npt.NDArray[np.uint8], device: torch.device) -> torch.Tensor:
    """``(N, H, W, 3)`` uint8 windows -> ``(N, 3, H, W)`` float tensor in [0, 1]."""
    if not windows.flags.writeable or not windows.flags.c_contiguous:
        windows = np.array(windows, order="C")  # torch wants its own writable memory
    tensor = torch.from_numpy(windows).to(device)
    return tensor.permute(0, 3, 1, 2).float().div_(255.0)


def to_window_units(points: npt.ArrayLike, window: Box) -> FloatArray:
    """Image pixels -> window units (0..1 across the window)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return (pts - [window.x1, window.y1]) / [window.width, window.height]


def from_window_units(points: npt.ArrayLike, window: Box) -> FloatArray:
    """Window units -> image pixels."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return pts * [window.width, window.height] + [window.x1, window.y1]


@register("cnn-refine")
class RefiningRectifier(Rectifier, Configurable):
    """Refines the plate corners with :class:`CornerNet`, then warps (see the module doc).

    Args:
        output_size: ``(width, height)`` of the upright crops.
        input_size: ``(width, height)`` of the network's window.
        margin: window growth on each side, as a share of the start quad's size.
        iterations: refinement passes (each from the previous answer).
        channels: stage widths of the network (must match the weights).
        weights: a ``state_dict`` of the network; ``None`` keeps random weights.
        device: torch device.
        provenance: what trained the weights (written to the manifest when saved).
    """

    finds_corners = True

    def __init__(
        self,
        output_size: tuple[int, int] = CANONICAL_SIZE,
        input_size: tuple[int, int] = DEFAULT_INPUT_SIZE,
        margin: float = DEFAULT_MARGIN,
        iterations: int = 2,
        channels: Sequence[int] = DEFAULT_CHANNELS,
        *,
        weights: Mapping[str, torch.Tensor] | None = None,
        device: str = "cpu",
        provenance: Mapping[str, Any] | None = None,
    ) -> None:
        if not 0.0 <= margin <= 2.0:
            raise ConfigError(f"margin must be within [0, 2], got {margin}")
        if iterations < 0:
            raise ConfigError(f"iterations must be 0 or more, got {iterations}")
        self._warper = PerspectiveRectifier(output_size)
        self.output_size = self._warper.output_size
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.margin = float(margin)
        self.iterations = int(iterations)
        self.channels = tuple(int(c) for c in channels)
        self.provenance = dict(provenance or {})
        self.device = resolve_device(device)
        self.net = CornerNet(self.input_size, self.channels)
        if weights is not None:
            try:
                self.net.load_state_dict(dict(weights), strict=True)
            except (RuntimeError, TypeError, ValueError) as exc:
                raise ModelError(f"the weights do not fit the corner refiner: {exc}") from exc
        try:
            self.net = self.net.to(self.device).eval()
        except (RuntimeError, AssertionError) as exc:
            raise ModelError(f"cannot run the refiner on device {device!r}: {exc}") from exc
        # Refining runs a copy of ``net`` with its batch norms folded (made again when ``net``
        # changes), so ``net`` itself stays trainable and is what gets saved.
        self._inference = InferenceCopy()

    # -- Rectifier ---------------------------------------------------------------------------

    def rectify(self, image: ImageArray, region: PlateRegion) -> RectifiedPlate:
        start = self._warper.rectify_quad(region)
        quad = self.refine(image, start[0])
        if quad is None:
            quad_used, method = start
        else:
            quad_used, method = quad, RectifyMethod.REFINED
        return RectifiedPlate(
            image=self._warper.warp(image, quad_used), corners=quad_used, method=method
        )

    def refine(self, image: ImageArray, quad: Quad) -> Quad | None:
        """``quad`` moved onto the plate by ``iterations`` passes; None when that fails."""
        points = np.asarray(quad.points, dtype=np.float64)
        if self.iterations == 0:
            return None
        net = self._inference.of(self.net)
        for _ in range(self.iterations):
            window = window_around(points, self.margin)
            crop = cut_window(image, window, self.input_size)
            with torch.inference_mode():
                predicted = net(to_tensor(crop[None], self.device))[0].cpu().numpy()
            lo, hi = -_MAX_OUTSIDE_WINDOW, 1.0 + _MAX_OUTSIDE_WINDOW
            if not np.all(np.isfinite(predicted)) or predicted.min() < lo or predicted.max() > hi:
                return None
            points = from_window_units(predicted, window)
        refined = Quad.from_points(points)
        return refined if corners_are_plausible(refined) else None

    # -- Configurable ------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        return {
            "output_size": list(self.output_size),
            "input_size": list(self.input_size),
            "margin": self.margin,
            "iterations": self.iterations,
            "channels": list(self.channels),
        }

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The network's weights, on the CPU."""
        return {k: v.detach().cpu() for k, v in self.net.state_dict().items()}

    def save_weights(self, directory: Path) -> list[str]:
        """Write ``model.pt`` (a plain ``state_dict``) and ``manifest.json``."""
        details = {
            "component": type(self).registry_name,
            "input_size": list(self.input_size),
            "margin": self.margin,
            "provenance": self.provenance,
        }
        return save_with_manifest(directory, self.state_dict(), MANIFEST_FORMAT, details)

    @classmethod
    def from_config(
        cls, config: dict[str, Any], directory: Path, device: str = "cpu"
    ) -> RefiningRectifier:
        """Rebuild a saved refiner; its weights are loaded as plain tensors only."""
        path = directory / MODEL_FILE
        if not path.is_file():
            raise WeightsNotFoundError(f"corner refiner: no {path}")
        provenance = check_manifest(directory)
        state = load_state_dict(path)
        try:
            out_w, out_h = (int(v) for v in config.get("output_size", CANONICAL_SIZE))
            in_w, in_h = (int(v) for v in config.get("input_size", DEFAULT_INPUT_SIZE))
            return cls(
                output_size=(out_w, out_h),
                input_size=(in_w, in_h),
                margin=float(config.get("margin", DEFAULT_MARGIN)),
                iterations=int(config.get("iterations", 2)),
                channels=[int(c) for c in config.get("channels", DEFAULT_CHANNELS)],
                weights=state,
                device=device,
                provenance=provenance,
            )
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"bad cnn-refine config {config!r}: {exc}") from exc

    def __repr__(self) -> str:
        return (
            f"RefiningRectifier(output_size={self.output_size}, input_size={self.input_size}, "
            f"margin={self.margin}, iterations={self.iterations}, device={self.device})"
        )
