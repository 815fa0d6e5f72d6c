"""The default field classifiers: one small CNN per plate field, registered as ``cnn-field``.

Each field (office, classification, kana, designation, scheme) has its OWN net, so any one
can be swapped for a custom :class:`~jlpr.interfaces.FieldClassifier` without touching the
others. A net reads only its field's region of the upright plate crop: the :mod:`jlpr.layout`
box of the field (the union over every name and number length), widened by a margin so that
an imperfect rectification still shows the whole field, and resampled to a small fixed input.

Heads:

* office (138 names), kana (50) and scheme (7): one softmax over the vocabulary;
* classification: 3 slots x 21 labels (digits, letters, blank), designation: 4 cells x 11
  labels (digits, dot); the feature map is pooled to a row of columns so that each slot still
  knows where it sits, and the valid strings are decoded exactly by :mod:`jlpr.models.slots`.

Everything a saved classifier needs sits in its config (:class:`FieldModelConfig`: region,
input size, vocabulary, architecture, temperature, normalisation) and one ``model.pt`` holding
a plain ``state_dict``, which is loaded with ``torch.load(weights_only=True)``: a weights file
can never run code. ``manifest.json`` says what trained the weights (command, data recipe,
seed, metrics) and records their SHA-256.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from jlpr import layout
from jlpr.errors import (
    ConfigError,
    ModelError,
    UnsupportedImageError,
    WeightsNotFoundError,
)
from jlpr.interfaces import Configurable, FieldClassifier, ImageArray
from jlpr.models._fusion import InferenceCopy
from jlpr.models._weights import (
    MANIFEST_FILE,
    MODEL_FILE,
    check_manifest,
    load_state_dict,
    resolve_device,
    save_with_manifest,
)
from jlpr.models.slots import (
    CLASSIFICATION_LABELS,
    CLASSIFICATION_SLOTS,
    DESIGNATION_LABELS,
    DESIGNATION_SLOTS,
    SlotGrammar,
    grammar_for,
    top_valid,
)
from jlpr.pretrained import load_component, save_component
from jlpr.registry import register
from jlpr.rules import KANA, OFFICES, ColorScheme
from jlpr.types import Field, FieldReading

__all__ = [
    "COMPONENT_FILE",
    "MANIFEST_FILE",
    "MODEL_FILE",
    "CnnFieldClassifier",
    "FieldModelConfig",
    "FieldNet",
    "build_classifiers",
    "crop_regions",
    "default_region",
    "field_vocabulary",
    "save_classifiers",
]

COMPONENT_FILE = "component.json"
"""Written by :func:`save_classifiers` beside each field's weights: the registry entry that
:func:`build_classifiers` loads (the same entry a saved reader keeps in ``jlpr.json``)."""
MANIFEST_FORMAT = "jlpr-field-model"

Region = tuple[float, float, float, float]
"""A box ``(x0, y0, x1, y1)`` normalised to the plate crop, as in :mod:`jlpr.layout`."""

REGION_MARGIN: tuple[float, float] = (0.04, 0.06)
"""Share of the plate's width and height added on each side of a field's layout box.

The rectifier's corners come from a keypoint detector and are off by a few pixels; 4 % of the
width (about 10 px of the 256 px crop) and 6 % of the height keep the whole field in view.
"""


def _union(boxes: Iterable[layout.Box]) -> Region:
    items = list(boxes)
    return (
        min(b[0] for b in items),
        min(b[1] for b in items),
        max(b[2] for b in items),
        max(b[3] for b in items),
    )


def default_region(field: Field) -> Region:
    """The normalised region a default classifier reads: the layout box plus the margin.

    The office and classification boxes move with the length of the name and number, so the
    region is the union over all lengths. The scheme is read from the whole plate.
    """
    if field is Field.SCHEME:
        return (0.0, 0.0, 1.0, 1.0)
    if field is Field.OFFICE:
        box = _union(layout.office_box(n) for n in range(1, 5))
    elif field is Field.CLASSIFICATION:
        box = _union(layout.classification_box(n, o) for n in range(1, 4) for o in range(1, 5))
    elif field is Field.KANA:
        box = layout.kana_box()
    else:
        box = layout.designation_box()
    mx, my = REGION_MARGIN
    return (
        max(0.0, box[0] - mx),
        max(0.0, box[1] - my),
        min(1.0, box[2] + mx),
        min(1.0, box[3] + my),
    )


def field_vocabulary(field: Field) -> tuple[tuple[str, ...], int]:
    """The default vocabulary of ``field`` in output order, and its number of slots.

    Office names in :data:`~jlpr.rules.OFFICES` order, kana in :data:`~jlpr.rules.KANA`
    order, schemes in :class:`~jlpr.rules.ColorScheme` order; the slot vocabularies of
    :mod:`jlpr.models.slots` for the classification and designation numbers.
    """
    if field is Field.OFFICE:
        return tuple(office.kanji for office in OFFICES), 1
    if field is Field.KANA:
        return KANA, 1
    if field is Field.SCHEME:
        return tuple(scheme.value for scheme in ColorScheme), 1
    if field is Field.CLASSIFICATION:
        return CLASSIFICATION_LABELS, CLASSIFICATION_SLOTS
    return DESIGNATION_LABELS, DESIGNATION_SLOTS


# Input sizes keep about one input pixel per crop pixel of the 256 x 128 plate (the designation
# digits are large enough to shrink by 0.6); four stride-2 stages leave a 3-row map whose
# columns the slot heads keep (classification 5, designation 8). All five nets together read a
# crop in ~3 ms at batch 1 on a 2-core CPU (0.5-1.3 ms each; recognize() ~7 ms in all).
_DEFAULT_INPUT: dict[Field, tuple[int, int]] = {
    Field.OFFICE: (112, 48),
    Field.CLASSIFICATION: (80, 48),
    Field.KANA: (48, 48),
    Field.DESIGNATION: (128, 48),
    Field.SCHEME: (64, 32),
}
_DEFAULT_POOL: dict[Field, tuple[int, int]] = {
    Field.OFFICE: (1, 3),
    Field.CLASSIFICATION: (1, 5),
    Field.KANA: (1, 1),
    Field.DESIGNATION: (1, 8),
    Field.SCHEME: (1, 1),
}
# Adaptive sampling would average 2 x 2 samples per designation pixel and 4 x 4 per scheme
# pixel, the largest cost of a training step after the nets; the designation digits' 9 px
# strokes survive one sample at a 0.6 shrink, and the scheme is about colour and texture.
_DEFAULT_SAMPLING: dict[Field, int] = {Field.DESIGNATION: 1, Field.SCHEME: 2}
_TEXT_CHANNELS = (32, 48, 96, 128)
_TEXT_BLOCKS = (1, 1, 1)
# The colour scheme is a colour-and-layout question: a tiny net on a thumbnail is plenty.
_SCHEME_CHANNELS = (16, 32, 64)
_SCHEME_BLOCKS = (0, 0)


def _finite(values: Iterable[Any], count: int, name: str) -> list[float]:
    result = [float(v) for v in values]
    if len(result) != count or not all(math.isfinite(v) for v in result):
        raise ConfigError(f"{name} must be {count} finite numbers, got {result}")
    return result


def _region(values: Iterable[Any]) -> Region:
    x0, y0, x1, y1 = _finite(values, 4, "region")
    return (x0, y0, x1, y1)


def _rgb(values: Iterable[Any], name: str) -> tuple[float, float, float]:
    r, g, b = _finite(values, 3, name)
    return (r, g, b)


def _pair(values: Iterable[Any], name: str) -> tuple[int, int]:
    items = [int(v) for v in values]
    if len(items) != 2:
        raise ConfigError(f"{name} must be 2 integers, got {items}")
    return (items[0], items[1])


_OPTIONAL_KEYS: dict[str, Callable[[Any], Any]] = {
    "slots": int,
    "sampling": int,
    "dropout": float,
    "temperature": float,
    "top_k": int,
}


@dataclass(frozen=True)
class FieldModelConfig:
    """Everything that defines one field classifier except its weights.

    ``labels`` is the vocabulary in output order (per slot when ``slots > 1``); ``region``
    the normalised box of the plate crop the net reads; ``input_size`` ``(width, height)``
    the size it is resampled to, with ``sampling`` samples per input pixel and axis (``0``:
    as many as the shrink needs, see :func:`crop_regions`); ``channels``/``blocks`` the
    stages of :class:`FieldNet` (``blocks[i]`` residual blocks after stage ``i + 1``);
    ``pool`` ``(rows, columns)`` the pooled feature map the head sees; ``temperature``
    divides the logits (calibration); ``mean``/``std`` normalise RGB values in ``[0, 1]``;
    ``top_k`` alternatives are returned.
    """

    field: Field
    labels: tuple[str, ...]
    region: Region
    input_size: tuple[int, int]
    channels: tuple[int, ...]
    blocks: tuple[int, ...]
    pool: tuple[int, int]
    slots: int = 1
    sampling: int = 0
    dropout: float = 0.1
    temperature: float = 1.0
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.25, 0.25, 0.25)
    top_k: int = 5

    def __post_init__(self) -> None:
        if not isinstance(self.field, Field):
            raise ConfigError(f"field must be a jlpr.Field, got {self.field!r}")
        if len(self.labels) < 2 or len(set(self.labels)) != len(self.labels):
            raise ConfigError(f"{self.field.value}: labels must be 2 or more distinct strings")
        x0, y0, x1, y1 = self.region
        if not (0.0 <= x0 < x1 <= 1.0 and 0.0 <= y0 < y1 <= 1.0):
            raise ConfigError(
                f"{self.field.value}: region {self.region} must lie inside the plate, "
                "0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1"
            )
        width, height = self.input_size
        if width < 8 or height < 8:
            raise ConfigError(f"{self.field.value}: input_size {self.input_size} is below 8x8")
        if not self.channels or min(self.channels) < 1 or min(self.blocks, default=0) < 0:
            raise ConfigError(
                f"{self.field.value}: channels must be positive and blocks non-negative, got "
                f"{self.channels} and {self.blocks}"
            )
        if len(self.blocks) != len(self.channels) - 1:
            raise ConfigError(
                f"{self.field.value}: blocks needs one count per stage after the first "
                f"({len(self.channels) - 1}), got {self.blocks}"
            )
        if min(self.pool) < 1 or self.slots < 1 or self.sampling < 0:
            raise ConfigError(
                f"{self.field.value}: pool and slots must be at least 1, sampling at least 0"
            )
        if self.slots > 1:
            try:
                grammar_for(self.field, self.labels)
            except ValueError as exc:
                raise ConfigError(f"{self.field.value}: {exc}") from exc
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"{self.field.value}: dropout must be in [0, 1), got {self.dropout}")
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise ConfigError(f"{self.field.value}: temperature must be > 0")
        if min(self.std) <= 0:
            raise ConfigError(f"{self.field.value}: std must be positive, got {self.std}")
        if self.top_k < 1:
            raise ConfigError(f"{self.field.value}: top_k must be at least 1")

    @classmethod
    def default(cls, field: Field | str) -> FieldModelConfig:
        """The recipe of the default classifier of ``field`` (untrained: temperature 1)."""
        field = Field(field)
        labels, slots = field_vocabulary(field)
        scheme = field is Field.SCHEME
        return cls(
            field=field,
            labels=labels,
            region=default_region(field),
            input_size=_DEFAULT_INPUT[field],
            channels=_SCHEME_CHANNELS if scheme else _TEXT_CHANNELS,
            blocks=_SCHEME_BLOCKS if scheme else _TEXT_BLOCKS,
            pool=_DEFAULT_POOL[field],
            slots=slots,
            sampling=_DEFAULT_SAMPLING.get(field, 0),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values; :meth:`from_dict` rebuilds an equal config."""
        data = asdict(self)
        data["field"] = self.field.value
        for key, value in data.items():
            if isinstance(value, tuple):
                data[key] = list(value)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FieldModelConfig:
        """Rebuild a config from :meth:`to_dict` output; :class:`ConfigError` if malformed."""
        try:
            # Keys left out take the defaults above, so older configs keep loading.
            optional: dict[str, Any] = {
                key: convert(data[key]) for key, convert in _OPTIONAL_KEYS.items() if key in data
            }
            for key in ("mean", "std"):
                if key in data:
                    optional[key] = _rgb(data[key], key)
            return cls(
                field=Field(data["field"]),
                labels=tuple(str(label) for label in data["labels"]),
                region=_region(data["region"]),
                input_size=_pair(data["input_size"], "input_size"),
                channels=tuple(int(c) for c in data["channels"]),
                blocks=tuple(int(b) for b in data["blocks"]),
                pool=_pair(data["pool"], "pool"),
                **optional,
            )
        except ConfigError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"malformed cnn-field config ({exc!r}): {dict(data)!r}") from exc


def _conv_bn_relu(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class _DepthwiseResidual(nn.Module):
    """Depthwise 3x3 + pointwise 1x1 with a skip: more depth for a fraction of a full conv."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1, groups=channels, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 1, bias=False),
            nn.BatchNorm2d(channels),
        )
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.act(x + self.body(x))
        return out


class FieldNet(nn.Module):
    """The compact CNN of one field: normalised ``(B, 3, H, W)`` in, ``(B, slots, labels)``
    logits out.

    A stride-2 conv-BN-ReLU stem, then per stage a stride-2 conv-BN-ReLU and
    ``blocks[i]`` depthwise residual blocks; the map is average-pooled to ``pool`` (rows,
    columns) and flattened, so a slot head still sees which column holds what.
    """

    def __init__(self, config: FieldModelConfig) -> None:
        super().__init__()
        channels = config.channels
        layers: list[nn.Module] = [_conv_bn_relu(3, channels[0], stride=2)]
        for stage in range(1, len(channels)):
            layers.append(_conv_bn_relu(channels[stage - 1], channels[stage], stride=2))
            layers.extend(
                _DepthwiseResidual(channels[stage]) for _ in range(config.blocks[stage - 1])
            )
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(config.pool)
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(
            channels[-1] * config.pool[0] * config.pool[1], config.slots * len(config.labels)
        )
        self.slots = config.slots
        self.classes = len(config.labels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.pool(self.features(x)).flatten(1)
        logits: torch.Tensor = self.head(self.dropout(features))
        return logits.view(-1, self.slots, self.classes)


def crop_regions(
    images: torch.Tensor, boxes: torch.Tensor, input_size: tuple[int, int], sampling: int = 0
) -> torch.Tensor:
    """Resample pixel ``boxes`` of ``images`` to ``input_size``: how every field's input is cut.

    ``images`` is ``(B, 3, H, W)`` float, ``boxes`` ``(B, 4)`` ``(x0, y0, x1, y1)`` in pixels
    of those images (corner-origin convention of :mod:`jlpr.interfaces`), ``input_size``
    ``(width, height)``. Each output pixel averages ``sampling`` x ``sampling`` bilinear
    samples of its bin (torchvision's ``roi_align``, ``aligned=True``); ``0`` takes
    ``ceil(box / output)`` per axis, so shrinking does not alias and enlarging stays plain
    bilinear. Training cuts its batches here; reading cuts one crop at a time with
    :func:`crop_region`, which computes the same without torchvision (imported here on first
    use: its ``ops`` import ``torch._dynamo``, about 1.3 s of a cold start).
    """
    from torchvision.ops import roi_align

    width, height = input_size
    index = torch.arange(len(boxes), dtype=boxes.dtype, device=boxes.device)[:, None]
    rois = torch.cat([index, boxes], dim=1)
    ratio = sampling if sampling > 0 else -1
    out: torch.Tensor = roi_align(images, rois, (height, width), 1.0, ratio, True)
    return out


@functools.lru_cache(maxsize=32)
def _resampling(start: float, length: float, size: int, grid: int, extent: int) -> torch.Tensor:
    """``(size, extent)`` matrix: row ``j`` averages ``grid`` bilinear samples evenly spread
    over output bin ``j`` of the span ``start`` .. ``start + length`` of an axis of ``extent``
    pixels, with ``roi_align``'s samples and edge rules (``aligned=True``).

    Cached (never modify the result): the reader's crops all have the canonical size, so each
    field asks for the same two matrices every time (10 for the five fields; at most 32 are
    kept).
    """
    samples = size * grid
    # Pixel centres sit at integer coordinates (aligned): the span starts half a pixel left.
    positions = (start - 0.5) + (length / samples) * (np.arange(samples) + 0.5)
    inside = (positions >= -1.0) & (positions <= extent)
    positions = np.clip(positions, 0.0, extent - 1.0)
    low = positions.astype(np.int64)  # floor: the positions are >= 0 now
    high = np.minimum(low + 1, extent - 1)
    upper = (positions - low) * inside
    # Sample i adds to output row i // grid, at its two pixels, a grid-th of its weights.
    row_start = (np.arange(samples) // grid) * extent
    flat = np.bincount(
        np.concatenate([row_start + low, row_start + high]),
        weights=np.concatenate([inside - upper, upper]) / grid,  # 1 - fraction | fraction
        minlength=size * extent,
    )
    return torch.from_numpy(flat.astype(np.float32).reshape(size, extent))


def crop_region(
    image: torch.Tensor,
    box: tuple[float, float, float, float],
    input_size: tuple[int, int],
    sampling: int = 0,
) -> torch.Tensor:
    """:func:`crop_regions` of one ``(3, H, W)`` float image and one pixel ``box``, as a
    ``(1, 3, height, width)`` tensor: two small matrix products, no torchvision."""
    width, height = input_size
    x0, y0, x1, y1 = (float(np.float32(v)) for v in box)  # roi_align's float32 box
    if sampling > 0:
        grid_y = grid_x = sampling
    else:  # roi_align's rule, in its float32 arithmetic
        grid_y = max(1, math.ceil(np.float32(y1 - y0) / np.float32(height)))
        grid_x = max(1, math.ceil(np.float32(x1 - x0) / np.float32(width)))
    image_h, image_w = image.shape[-2:]
    rows = _resampling(y0, y1 - y0, height, grid_y, image_h).to(image.device)
    columns = _resampling(x0, x1 - x0, width, grid_x, image_w).to(image.device)
    out: torch.Tensor = (rows @ image @ columns.T)[None]
    return out


@register("cnn-field")
class CnnFieldClassifier(FieldClassifier, Configurable):
    """Reads one field with its own small CNN (see the module doc).

    Args:
        config: what the classifier reads and how (:meth:`FieldModelConfig.default` for the
            default recipe of a field).
        device: torch device the net runs on (``"cpu"``, ``"cuda"``, ``"cuda:1"``).
        net: trained weights; a freshly initialised :class:`FieldNet` when ``None``.
        provenance: what trained the weights (command, data, seed, metrics), kept in the
            manifest when saved.

    ``CnnFieldClassifier.create(Field.KANA)`` makes an untrained one of the default recipe.
    """

    def __init__(
        self,
        config: FieldModelConfig,
        *,
        device: str | torch.device = "cpu",
        net: FieldNet | None = None,
        provenance: Mapping[str, Any] | None = None,
    ) -> None:
        self.config = config
        self.field = config.field
        self.device = resolve_device(device)
        self.net = (net if net is not None else FieldNet(config)).to(self.device).eval()
        # Reading runs a copy of ``net`` with its batch norms folded (made again when ``net``
        # changes), so ``net`` itself stays trainable and is what gets saved.
        self._inference = InferenceCopy()
        self.provenance: dict[str, Any] = dict(provenance or {})
        self._grammar: SlotGrammar | None = (
            grammar_for(config.field, config.labels) if config.slots > 1 else None
        )
        shape = (1, 3, 1, 1)
        # Inputs are 0..255; fold the /255 into the normalisation so it is one multiply-add.
        std = torch.tensor(config.std, dtype=torch.float32).view(shape) * 255.0
        self._scale = (1.0 / std).to(self.device)
        self._shift = (-torch.tensor(config.mean).view(shape) * 255.0 / std).to(self.device)

    @classmethod
    def create(
        cls, field: Field | str, *, device: str | torch.device = "cpu"
    ) -> CnnFieldClassifier:
        """An untrained classifier of ``field`` with the default recipe."""
        return cls(FieldModelConfig.default(field), device=device)

    # -- reading -------------------------------------------------------------------------------

    def classify(self, plate_image: ImageArray) -> FieldReading:
        return self.classify_batch([plate_image])[0]

    def classify_batch(self, plate_images: Sequence[ImageArray]) -> list[FieldReading]:
        """Read the field of every crop with one forward pass of the net."""
        if not plate_images:
            return []
        return self.decode(self.probabilities(plate_images))

    def probabilities(self, plate_images: Sequence[ImageArray]) -> torch.Tensor:
        """Calibrated probabilities ``(B, slots, labels)`` of every crop's field (one
        forward pass; :meth:`decode` turns them into readings)."""
        inputs = torch.cat([self._cut(image) for image in plate_images])
        with torch.inference_mode():
            logits = self._inference.of(self.net)(inputs)
        return self.calibrated(logits)

    def calibrated(self, logits: torch.Tensor) -> torch.Tensor:
        """Calibrated probabilities from the net's logits: ``softmax(logits / temperature)``
        over the last axis."""
        return torch.softmax(logits.float() / self.config.temperature, dim=-1)

    def prepare(self, images: torch.Tensor, regions: torch.Tensor | None = None) -> torch.Tensor:
        """The net's input for a batch of plate crops: region cut, resampled, normalised.

        ``images`` is ``(B, 3, H, W)`` float with values 0..255 on :attr:`device`;
        ``regions`` ``(B, 4)`` normalised boxes (training jitters them), the configured
        region when ``None``. Cut with :func:`crop_regions` (training's batches; it imports
        torchvision), which gives what reading's :func:`crop_region` gives.
        """
        height, width = images.shape[-2:]
        if regions is None:
            regions = torch.tensor([self.config.region], dtype=images.dtype, device=images.device)
            regions = regions.expand(len(images), 4)
        scale = torch.tensor(
            [width, height, width, height], dtype=images.dtype, device=images.device
        )
        crops = crop_regions(images, regions * scale, self.config.input_size, self.config.sampling)
        return crops * self._scale + self._shift

    def _cut(self, image: ImageArray) -> torch.Tensor:
        """:meth:`prepare` for one crop, converting only the pixels the region needs.

        The cut (:func:`crop_region`) reads at most one pixel beyond the box and clamps at
        the image border, so a patch one pixel wider than the box (clipped to the image) gives
        exactly what the whole image gives.
        """
        if not (isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[2] == 3):
            shape = getattr(image, "shape", None)
            raise UnsupportedImageError(
                f"{self.field.value} classifier: expected an (H, W, 3) uint8 RGB plate crop, "
                f"got {type(image).__name__} of shape {shape}"
            )
        if image.dtype != np.uint8:
            raise UnsupportedImageError(
                f"{self.field.value} classifier: expected uint8 pixels, got {image.dtype}; "
                "jlpr.load_image converts other types"
            )
        height, width = image.shape[:2]
        x0, y0, x1, y1 = self.config.region
        box = (x0 * width, y0 * height, x1 * width, y1 * height)
        left, top = max(0, math.floor(box[0]) - 1), max(0, math.floor(box[1]) - 1)
        right = min(width, math.ceil(box[2]) + 1)
        bottom = min(height, math.ceil(box[3]) + 1)
        patch = torch.from_numpy(np.array(image[top:bottom, left:right]))
        patch = patch.to(self.device).permute(2, 0, 1).float()
        shifted = (box[0] - left, box[1] - top, box[2] - left, box[3] - top)
        crops = crop_region(patch, shifted, self.config.input_size, self.config.sampling)
        return crops * self._scale + self._shift

    def readings(self, logits: torch.Tensor) -> list[FieldReading]:
        """Calibrated readings from ``(B, slots, labels)`` logits, alternatives best first.

        Slot fields only ever return valid strings (see :mod:`jlpr.models.slots`).
        """
        return self.decode(self.calibrated(logits))

    def decode(self, probabilities: torch.Tensor) -> list[FieldReading]:
        """Readings from calibrated ``(B, slots, labels)`` probabilities (over this
        classifier's :attr:`FieldModelConfig.labels`), alternatives best first."""
        probs = probabilities.cpu().numpy()
        labels, top_k = self.config.labels, self.config.top_k
        if self._grammar is None:
            return [
                FieldReading.from_probabilities(self.field, labels, row[0].tolist(), top_k)
                for row in probs
            ]
        readings = []
        for alternatives in top_valid(probs, self._grammar, top_k):
            best = alternatives[0]
            readings.append(
                FieldReading(self.field, best.value, best.confidence, tuple(alternatives))
            )
        return readings

    # -- saving --------------------------------------------------------------------------------

    def with_temperature(self, temperature: float) -> CnnFieldClassifier:
        """The same net with another calibration temperature."""
        config = replace(self.config, temperature=float(temperature))
        return CnnFieldClassifier(
            config, device=self.device, net=self.net, provenance=self.provenance
        )

    def get_config(self) -> dict[str, Any]:
        return self.config.to_dict()

    def save_weights(self, directory: Path) -> list[str]:
        """Write ``model.pt`` (a plain ``state_dict``) and ``manifest.json`` into ``directory``."""
        state = {key: value.detach().cpu() for key, value in self.net.state_dict().items()}
        details = {
            "component": type(self).registry_name,
            "field": self.field.value,
            "input_size": list(self.config.input_size),
            "region": list(self.config.region),
            "slots": self.config.slots,
            "labels": list(self.config.labels),
            "temperature": self.config.temperature,
            "provenance": self.provenance,
        }
        return save_with_manifest(directory, state, MANIFEST_FORMAT, details)

    @classmethod
    def from_config(
        cls, config: dict[str, Any], directory: Path, device: str = "cpu"
    ) -> CnnFieldClassifier:
        """Rebuild a saved classifier; the weights are loaded as plain tensors only.

        Raises :class:`~jlpr.errors.WeightsNotFoundError` when ``model.pt`` is missing,
        :class:`~jlpr.errors.WeightsIntegrityError` when it does not match its manifest, and
        :class:`~jlpr.errors.ModelError` when it is not a ``state_dict`` of this net (any
        pickled object other than tensors is refused without being run).
        """
        model_config = FieldModelConfig.from_dict(config)
        path = directory / MODEL_FILE
        if not path.is_file():
            raise WeightsNotFoundError(f"{model_config.field.value} classifier: no {path}")
        provenance = check_manifest(directory)
        resolved = resolve_device(device)
        state = load_state_dict(path, map_location=resolved)
        net = FieldNet(model_config)
        try:
            net.load_state_dict(state)
        except RuntimeError as exc:
            raise ModelError(f"{path} does not fit the configured net: {exc}") from exc
        return cls(model_config, device=resolved, net=net, provenance=provenance)

    def __repr__(self) -> str:
        return (
            f"CnnFieldClassifier(field={self.field.value}, input_size={self.config.input_size}, "
            f"temperature={self.config.temperature:.3f}, device={self.device})"
        )


def save_classifiers(classifiers: Iterable[CnnFieldClassifier], directory: Path) -> list[Path]:
    """Save each classifier to ``directory/<field>/`` with the entry :func:`build_classifiers`
    reads; return the folders written."""
    written = []
    for classifier in classifiers:
        folder = directory / classifier.field.value
        entry = save_component(classifier, folder)
        (folder / COMPONENT_FILE).write_text(
            json.dumps(entry, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        written.append(folder)
    return written


def build_classifiers(
    directory: str | Path, device: str = "cpu", fields: Iterable[Field | str] | None = None
) -> list[CnnFieldClassifier]:
    """Load the classifiers that ``jlpr train classifiers`` (or :func:`save_classifiers`)
    wrote to ``directory``, in :class:`~jlpr.types.Field` order.

    ``fields`` picks some (all found when ``None``). Every file is checked against the
    SHA-256 recorded when it was saved. Compose a reader with them::

        reader = PlateReader(localizer, PerspectiveRectifier(), build_classifiers("out/"))
    """
    root = Path(directory)
    wanted = [Field(f) for f in fields] if fields is not None else list(Field)
    classifiers = []
    for wanted_field in wanted:
        entry_path = root / wanted_field.value / COMPONENT_FILE
        if not entry_path.is_file():
            if fields is None:
                continue
            raise WeightsNotFoundError(
                f"no {wanted_field.value} classifier in {root} ({entry_path})"
            )
        try:
            entry = json.loads(entry_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{entry_path} is not valid JSON: {exc}") from exc
        classifier = load_component(entry, entry_path.parent, device)
        if not isinstance(classifier, CnnFieldClassifier):
            raise ModelError(f"{entry_path} names {type(classifier).__qualname__}, not cnn-field")
        classifiers.append(classifier)
    if not classifiers:
        raise WeightsNotFoundError(
            f"no field classifiers in {root}: expected <field>/{COMPONENT_FILE} folders written "
            "by `jlpr train classifiers`"
        )
    return classifiers
