"""``jlpr train classifiers``: train the five default field classifiers on synthetic crops.

The crops show plates 40-320 px wide (``--plate-width``; wider plates are photographed at
320 px anyway) with every synthetic degradation. One loop trains every field's own net on
the same batches (each cuts its own region), with AdamW and a one-cycle learning rate over
its own number of passes (``--epochs 10,office=13``: a net that is done stops costing
time), light on-the-fly augmentation (region jitter, brightness and contrast, the ink of
half the crops grown or thinned by up to a pixel, ``--stroke-jitter``, and a share of them
blurred up and down only, ``--vertical-blur``, and the colours of a share of them pulled
towards grey for the text nets, ``--desaturate``, both off by default; and per text net,
half the inputs of the kana, region-name and classification nets with a patch painted
over, ``--erase kana=0.5,office=0.5,classification=0.5`` (the default),
inputs seen through random filters, ``--random-filter``, or turned, ``--rotate``, both off
by default; the synthetic data are already degraded), no label smoothing (it would blur
the confidences that temperature scaling then calibrates). A text field an occluder hides
is labelled with the text drawn under it (``--hidden drawn``, the default) or as unreadable
(``--hidden unreadable``): the net's output is then pulled towards uniform there, so that
it learns to say it cannot read the field instead of guessing it. ``--init DIR`` starts each
net from the classifiers saved in ``DIR`` (a saved reader such as ``jlpr/weights/default``,
or a run's ``--out``) instead of random weights: fine-tuning, typically for an epoch or two
at a tenth of the learning rate. After each epoch it prints per-field accuracy on a
validation split generated from other seeds and writes a checkpoint with the optimizers'
state (``--resume`` continues from it). At the end each field's
temperature is fitted on one half of the validation split and its calibration measured on
the other half.

Output::

    OUT/<field>/model.pt         plain state_dict
    OUT/<field>/manifest.json    command, data recipe, seed, metrics, SHA-256 of model.pt
    OUT/<field>/component.json   what jlpr.models.build_classifiers(OUT) loads
    OUT/metrics.json             per-field accuracy, NLL and ECE before/after calibration
    OUT/checkpoint.pt            last epoch's nets, optimizers and schedules (for --resume)
    OUT/cache/                   the generated data (unless --cache points elsewhere)

Cost of the default recipe (:mod:`jlpr.training`) on a 2-core CPU: generating a crop takes
~10 ms of one core (~6 min for 67k crops on two), a training step ~3 ms per sample for all
five nets with channels_last inputs (1.3x faster than NCHW), so an epoch of 64k crops takes
3.3-4 min with its validation. The training crops (6.3 GB) are read into memory once when
they take at most half the free memory; otherwise every epoch reads them from disk again
(4.7 min per epoch on the development VM). The run of the bundled weights took 47 min: data
6 min, 10 epochs of 4.0 min.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch
import torch.nn.functional as F

from jlpr import __version__
from jlpr.errors import ConfigError, JlprError
from jlpr.models.calibration import (
    expected_calibration_error,
    fit_sequence_temperature,
    fit_temperature,
    negative_log_likelihood,
)
from jlpr.models.ensemble import MeanFieldClassifier
from jlpr.models.fields import COMPONENT_FILE, CnnFieldClassifier, save_classifiers
from jlpr.models.slots import best_valid_sequences, grammar_for
from jlpr.pretrained import CONFIG_NAME, load_component, read_config
from jlpr.rules import format_designation, parse_designation
from jlpr.synth.datasets import Progress, default_workers
from jlpr.synth.fonts import font_names, kana_font_names
from jlpr.training import (
    DEFAULT_DESATURATE,
    DEFAULT_EPOCHS,
    DEFAULT_ERASE,
    DEFAULT_FIELD_EPOCHS,
    DEFAULT_HIDDEN,
    DEFAULT_PLATE_WIDTH,
    DEFAULT_RANDOM_FILTER,
    DEFAULT_ROTATE,
    DEFAULT_SAMPLES,
    DEFAULT_STROKE_JITTER,
    DEFAULT_VAL_SAMPLES,
    DEFAULT_VERTICAL_BLUR,
    HIDDEN_CHOICES,
    MAX_ROTATE,
)
from jlpr.training.data import (
    IGNORED,
    UNLABELLED,
    FolderSource,
    MixedSource,
    SampleSource,
    ShardedDataset,
    SynthSource,
    label_columns,
)
from jlpr.types import Field

__all__ = [
    "TrainConfig",
    "calibrate_mean",
    "desaturate",
    "erase",
    "prepare_data",
    "random_filter",
    "rotate",
    "stroke_weight",
    "train_classifiers",
    "vertical_blur",
]

CHECKPOINT_FILE = "checkpoint.pt"
METRICS_FILE = "metrics.json"
CHECKPOINT_FORMAT = "jlpr-train-classifiers/2"
"""Version 2: one optimizer and learning-rate schedule per field (per-field epochs)."""

# Augmentation on top of the synthetic degradations, in plate units: the region moves by up
# to 2 % of the plate width / 3 % of its height and grows or shrinks by 8 %, within the
# margin the regions already have; brightness and contrast change by 25 %, each channel's gain
# by 5 % (small enough that yellow and white plates stay apart for the scheme net).
_SHIFT = (0.02, 0.03)
_SCALE = 0.08
_BRIGHTNESS = 0.25
_CONTRAST = 0.25
_CHANNEL_GAIN = 0.05
_VERTICAL_SIGMA = 3.0
"""Largest vertical blur (px of the 256x128 crop): the real-dev crops read their kana once
their ink grows 2-3 px up and down at that scale (docs/experiments.md)."""
_FILTER_SIZES = (1, 3, 5)
"""Kernel sizes of :func:`random_filter` (drawn evenly), in pixels of a net's input."""
_ERASE_AREA = (0.04, 0.2)
"""Share of a net's input that :func:`erase` paints over (drawn evenly)."""


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a classifier training run (the CLI options).

    ``epochs`` is the number of passes over the training crops of every field not named in
    ``field_epochs`` (field -> passes; field names or :class:`~jlpr.types.Field`). Each
    field's net trains its own passes, on the first ones of the run, under its own one-cycle
    schedule; a run lasts as long as its longest field. ``device`` ``"auto"`` takes CUDA when
    available. ``cache`` defaults to ``out/cache``;
    ``workers`` (data-generation processes) to the number of CPUs. ``threads`` sets torch's
    CPU threads (0 keeps torch's default, one per core); on a machine shared with other jobs
    use fewer than the cores, because torch's threads wait for each other by spinning.
    ``hidden`` is one of :data:`jlpr.training.HIDDEN_CHOICES` (see the module doc). ``data``
    names folders of labelled plates (:class:`~jlpr.training.data.FolderSource`) that make
    ``data_share`` of the training crops, the rest synthetic; validation stays synthetic.
    ``init`` names a saved reader (:meth:`~jlpr.reader.PlateReader.save_pretrained`) or a
    run's ``out`` to start the nets from instead of random weights.
    """

    out: Path
    seed: int = 0
    samples: int = DEFAULT_SAMPLES
    val_samples: int = DEFAULT_VAL_SAMPLES
    epochs: int = DEFAULT_EPOCHS
    field_epochs: Mapping[Field | str, int] = field(
        default_factory=lambda: dict(DEFAULT_FIELD_EPOCHS)
    )
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 0.05
    device: str = "auto"
    fields: tuple[Field, ...] = tuple(Field)
    cache: Path | None = None
    loose_share: float = 0.15
    plate_width: tuple[float, float] = DEFAULT_PLATE_WIDTH
    stroke_jitter: float = DEFAULT_STROKE_JITTER
    vertical_blur: float = DEFAULT_VERTICAL_BLUR
    desaturate: float = DEFAULT_DESATURATE
    random_filter: Mapping[Field | str, float] = field(
        default_factory=lambda: dict(DEFAULT_RANDOM_FILTER)
    )
    rotate: Mapping[Field | str, float] = field(default_factory=lambda: dict(DEFAULT_ROTATE))
    erase: Mapping[Field | str, float] = field(default_factory=lambda: dict(DEFAULT_ERASE))
    hidden: str = DEFAULT_HIDDEN
    init: Path | None = None
    data: tuple[Path, ...] = ()
    data_share: float = 0.5
    workers: int = 0
    threads: int = 0
    resume: bool = False
    shard_size: int = 512

    def __post_init__(self) -> None:
        for name in ("samples", "val_samples", "epochs", "batch_size", "shard_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        object.__setattr__(self, "field_epochs", _field_epochs(self.field_epochs))
        for augmentation in _NET_AUGMENTATIONS:
            amounts = _per_field(getattr(self, augmentation.name), augmentation)
            object.__setattr__(self, augmentation.name, amounts)
        if self.workers < 0 or self.threads < 0:
            raise ConfigError("workers and threads must be 0 (automatic) or more")
        if not 0.0 <= self.loose_share <= 1.0:
            raise ConfigError(f"loose_share must be in [0, 1], got {self.loose_share}")
        if not 0.0 < self.plate_width[0] <= self.plate_width[1] < math.inf:
            raise ConfigError(f"plate_width must be 0 < low <= high, got {self.plate_width}")
        if not 0.0 <= self.stroke_jitter <= 1.0:
            raise ConfigError(f"stroke_jitter must be in [0, 1], got {self.stroke_jitter}")
        if not 0.0 <= self.vertical_blur <= 1.0:
            raise ConfigError(f"vertical_blur must be in [0, 1], got {self.vertical_blur}")
        if not 0.0 <= self.desaturate <= 1.0:
            raise ConfigError(f"desaturate must be in [0, 1], got {self.desaturate}")
        if self.val_samples < 2:
            raise ConfigError("val_samples must be at least 2 (half calibrates, half measures)")
        if not self.fields or len(set(self.fields)) != len(self.fields):
            raise ConfigError(f"fields must name distinct fields, got {self.fields}")
        if self.lr <= 0 or self.weight_decay < 0:
            raise ConfigError("lr must be positive and weight_decay non-negative")
        if self.hidden not in HIDDEN_CHOICES:
            raise ConfigError(f"hidden must be one of {HIDDEN_CHOICES}, got {self.hidden!r}")
        if self.init is not None:
            object.__setattr__(self, "init", Path(self.init))
            _saved_entries(self.init, self.fields)  # refused now, not after the data
        object.__setattr__(self, "data", tuple(Path(d) for d in self.data))
        for folder in self.data:
            if not (folder / "labels.csv").is_file():
                raise ConfigError(f"data folder {folder} holds no labels.csv")
        if not 0.0 < self.data_share <= 1.0:
            raise ConfigError(f"data_share must be in (0, 1], got {self.data_share}")

    def epochs_of(self, field_: Field) -> int:
        """The passes ``field_``'s net trains for."""
        return self.field_epochs.get(field_, self.epochs)

    @property
    def total_epochs(self) -> int:
        """The passes of the run: those of its longest-training field."""
        return max(self.epochs_of(f) for f in self.fields)

    def epochs_text(self) -> str:
        """``--epochs`` as the command line takes it: ``10`` or ``10,office=13,...``, naming
        the trained fields whose passes differ from ``epochs``."""
        named = [
            f"{f.value}={self.epochs_of(f)}"
            for f in self.fields
            if self.epochs_of(f) != self.epochs
        ]
        return ",".join([str(self.epochs), *named])

    @property
    def cache_dir(self) -> Path:
        return self.cache if self.cache is not None else self.out / "cache"

    def recipe(self) -> dict[str, Any]:
        """The options that define the trained weights (a resumed run must match them)."""
        recipe = {
            "seed": self.seed,
            "samples": self.samples,
            "val_samples": self.val_samples,
            "epochs": {f.value: self.epochs_of(f) for f in self.fields},
            "batch_size": self.batch_size,
            "lr": self.lr,
            "weight_decay": self.weight_decay,
            "fields": [f.value for f in self.fields],
            "loose_share": self.loose_share,
            "plate_width": list(self.plate_width),
            "stroke_jitter": self.stroke_jitter,
            "vertical_blur": self.vertical_blur,
            "desaturate": self.desaturate,
            "shard_size": self.shard_size,
        }
        # Only when used, so that runs without it keep the recipe they had before it existed
        # (and can still be resumed).
        for augmentation in _NET_AUGMENTATIONS:
            amounts: Mapping[Field, float] = getattr(self, augmentation.name)
            if amounts:
                recipe[augmentation.name] = {f.value: amount for f, amount in amounts.items()}
        if self.hidden != "drawn":  # as before the option, so older runs still resume
            recipe["hidden"] = self.hidden
        if self.init is not None:
            recipe["init"] = str(self.init)
        if self.data:
            recipe["data"] = [str(d) for d in self.data]
            recipe["data_share"] = self.data_share
        return recipe

    def command(self) -> str:
        """The command line that repeats this run."""
        parts = ["jlpr", "train", "classifiers", "--out", str(self.out), "--seed", str(self.seed)]
        parts += ["--samples", str(self.samples), "--val-samples", str(self.val_samples)]
        parts += ["--epochs", self.epochs_text(), "--batch-size", str(self.batch_size)]
        parts += ["--lr", str(self.lr), "--fields", ",".join(f.value for f in self.fields)]
        parts += ["--loose-share", str(self.loose_share)]
        parts += ["--plate-width", ",".join(f"{v:g}" for v in self.plate_width)]
        parts += ["--stroke-jitter", f"{self.stroke_jitter:g}"]
        parts += ["--vertical-blur", f"{self.vertical_blur:g}"]
        parts += ["--desaturate", f"{self.desaturate:g}"]
        for augmentation in _NET_AUGMENTATIONS:
            amounts = getattr(self, augmentation.name)
            if amounts:
                values = ",".join(f"{Field(f).value}={v:g}" for f, v in amounts.items())
                parts += [augmentation.option, values]
        parts += ["--hidden", self.hidden]
        if self.init is not None:
            parts += ["--init", shlex.quote(str(self.init))]
        for folder in self.data:
            parts += ["--data", shlex.quote(str(folder))]
        if self.data:
            parts += ["--data-share", f"{self.data_share:g}"]
        # The fonts actually drawn with, whether --fonts or $JLPR_FONTS chose them.
        parts += ["--fonts", shlex.quote(",".join(font_names()))]
        kana_fonts = kana_font_names()
        if kana_fonts is not None:
            parts += ["--kana-fonts", shlex.quote(",".join(kana_fonts))]
        return " ".join(parts)


def _field_of(key: Any, option: str) -> Field:
    """``key`` (a field or its name) as a field; ``option`` names the setting in the error."""
    try:
        return Field(key)
    except ValueError:
        known = ", ".join(f.value for f in Field)
        raise ConfigError(f"{option} names {key!r}, not a field ({known})") from None


def _field_epochs(given: Mapping[Any, int]) -> dict[Field, int]:
    out = {}
    for key, value in given.items():
        field_ = _field_of(key, "field_epochs")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"epochs of {field_.value} must be an integer >= 1, got {value!r}")
        out[field_] = value
    return out


def _per_field(given: Mapping[Any, float], augmentation: _NetAugmentation) -> dict[Field, float]:
    """A text-net augmentation's amount per field, from 0 to its limit; zeros dropped."""
    option, what, limit = augmentation.name, augmentation.amount, augmentation.limit
    out: dict[Field, float] = {}
    for key, value in given.items():
        field_ = _field_of(key, option)
        if field_ is Field.SCHEME:
            raise ConfigError(f"{option}: only the text nets take it, not the scheme net")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{option} {what} of {field_.value} must be a number")
        if not 0 <= value <= limit:
            raise ConfigError(f"{option} {what} of {field_.value} must be in [0, {limit:g}]")
        if value > 0:
            out[field_] = float(value)
    return out


def _resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"--device {name} was asked for, but torch sees no CUDA GPU")
    return device


def _synth_source(config: TrainConfig) -> SynthSource:
    """The default source: synthetic crops drawn with the run's data options."""
    return SynthSource(
        config.loose_share, config.plate_width, unlabel_hidden=config.hidden == "unreadable"
    )


def prepare_data(
    config: TrainConfig, source: SampleSource | None = None, log: TextIO | None = None
) -> tuple[ShardedDataset, ShardedDataset]:
    """Generate (or find in ``config``'s cache) the training and validation crops of a run
    and return them, without training (``jlpr train classifiers --data-only``).

    The cache is keyed by the data recipe alone (seed, sizes, source), not by the fields or
    the training options, so runs that train different nets from one recipe (one process
    per net on a GPU: ``tools/train_fields_parallel.sh``) draw their crops once.
    """
    log = log if log is not None else sys.stderr
    source, val_source = (source, source) if source is not None else _default_sources(config)
    return _build_data(config, source, val_source, log)


def _default_sources(config: TrainConfig) -> tuple[SampleSource, SampleSource]:
    """The training and validation sources of a run: synthetic crops, for training mixed
    with the labelled plates of ``config.data`` (``data_share`` of the crops). Validation,
    and the temperatures fitted on it, stay on synthetic crops: the folders' plates are
    trained on, so they would make the nets look surer than they are."""
    synth = _synth_source(config)
    if not config.data:
        return synth, synth
    # The plates are cut by the rectifier of the reader being fine-tuned, when it is one.
    init = config.init
    reader = init if init is not None and (init / CONFIG_NAME).is_file() else None
    folders = FolderSource(config.data, weights=reader)
    return MixedSource((synth, folders), (1.0 - config.data_share, config.data_share)), synth


def _build_data(
    config: TrainConfig, source: SampleSource, val_source: SampleSource, log: TextIO
) -> tuple[ShardedDataset, ShardedDataset]:
    workers = config.workers or default_workers()
    datasets = []
    for split, seed_samples, split_source in (
        ("train", config.samples, source),
        ("val", config.val_samples, val_source),
    ):
        progress = Progress(seed_samples, f"data {split}", stream=log)
        datasets.append(
            ShardedDataset.build(
                config.cache_dir,
                split_source,
                split=split,
                seed=config.seed,
                samples=seed_samples,
                shard_size=config.shard_size,
                workers=workers,
                on_ready=progress.update,
            )
        )
        progress.close()
    return datasets[0], datasets[1]


def _fits_in_memory(nbytes: int) -> bool:
    """Whether ``nbytes`` take at most half the memory the system has free now (Linux; on
    other systems the split is read from disk every epoch, as before)."""
    try:
        free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return False
    return nbytes <= free // 2


def _saved_entries(init: Path, fields: Sequence[Field]) -> dict[Field, tuple[dict[str, Any], Path]]:
    """The component entry and folder of each of ``fields``' classifiers saved in ``init``:
    a saved reader (``jlpr.json``, e.g. ``jlpr/weights/default``) or a training run's
    ``--out`` (``<field>/component.json``). Raises :class:`ConfigError` naming what is missing.
    """
    entries: dict[Field, tuple[dict[str, Any], Path]] = {}
    try:
        if (init / CONFIG_NAME).is_file():
            saved = read_config(init)["components"]["classifiers"]
            for field_ in fields:
                if field_.value in saved:
                    folder = init / "classifiers" / field_.value
                    entries[field_] = (dict(saved[field_.value]), folder)
        else:
            for field_ in fields:
                path = init / field_.value / COMPONENT_FILE
                if path.is_file():
                    entries[field_] = (json.loads(path.read_text(encoding="utf-8")), path.parent)
    except (JlprError, OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"init {init}: cannot read its saved classifiers ({exc})") from exc
    missing = [f.value for f in fields if f not in entries]
    if missing:
        raise ConfigError(
            f"init {init} holds no saved classifier of {', '.join(missing)} (expected a "
            f"saved reader's {CONFIG_NAME} or a training run's <field>/{COMPONENT_FILE})"
        )
    return entries


def _make_models(config: TrainConfig, device: torch.device) -> dict[Field, CnnFieldClassifier]:
    if config.init is not None:
        models = {}
        for field_, (entry, folder) in _saved_entries(config.init, config.fields).items():
            try:
                loaded = load_component(entry, folder, str(device))
            except JlprError as exc:
                raise ConfigError(f"init {config.init}: {exc}") from exc
            if not isinstance(loaded, CnnFieldClassifier) or loaded.field is not field_:
                raise ConfigError(
                    f"init {config.init}: its {field_.value} classifier is a "
                    f"{type(loaded).__qualname__}, not a cnn-field net of that field"
                )
            # Trained from the saved net; the temperature is fitted again at the end.
            models[field_] = loaded.with_temperature(1.0)
        return models
    models = {}
    for field_ in config.fields:
        # One seed per field, so a field's initial weights do not depend on the others trained.
        torch.manual_seed(config.seed * 1000 + list(Field).index(field_))
        models[field_] = CnnFieldClassifier.create(field_, device=device)
    return models


@dataclass
class _Schedule:
    """One field's optimizer and one-cycle learning rate over its own passes. (AdamW updates
    each parameter on its own, so one optimizer per field trains exactly as one over all the
    nets would, when the fields train equally long.)"""

    optimizer: torch.optim.AdamW
    scheduler: torch.optim.lr_scheduler.OneCycleLR

    def step(self) -> None:
        self.optimizer.step()
        self.scheduler.step()

    def state_dict(self) -> dict[str, Any]:
        return {"optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])


def _schedule(model: CnnFieldClassifier, config: TrainConfig, steps_per_epoch: int) -> _Schedule:
    decay: list[torch.nn.Parameter] = []
    no_decay: list[torch.nn.Parameter] = []
    for parameter in model.net.parameters():
        # Weight decay on BN scales and biases only fights the normalisation.
        (decay if parameter.ndim > 1 else no_decay).append(parameter)
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=config.lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=config.lr,
        total_steps=config.epochs_of(model.field) * steps_per_epoch,
        pct_start=0.15,
    )
    return _Schedule(optimizer, scheduler)


def _to_tensor(images: np.ndarray[Any, Any], device: torch.device) -> torch.Tensor:
    """``(B, H, W, 3)`` uint8 -> ``(B, 3, H, W)`` float 0..255 on ``device``."""
    return torch.from_numpy(images).to(device).permute(0, 3, 1, 2).float()


def _augment_colour(images: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    batch = len(images)
    brightness = rng.uniform(1 - _BRIGHTNESS, 1 + _BRIGHTNESS, (batch, 1, 1, 1))
    contrast = rng.uniform(1 - _CONTRAST, 1 + _CONTRAST, (batch, 1, 1, 1))
    gain = rng.uniform(1 - _CHANNEL_GAIN, 1 + _CHANNEL_GAIN, (batch, 3, 1, 1))
    as_tensor = {
        name: torch.from_numpy(value.astype(np.float32)).to(images.device)
        for name, value in (("b", brightness), ("c", contrast), ("g", gain))
    }
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    out = ((images - mean) * as_tensor["c"] + mean * as_tensor["b"]) * as_tensor["g"]
    return out.clamp(0.0, 255.0)


def _filter3(
    images: torch.Tensor, op: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
) -> torch.Tensor:
    """3x3 minimum or maximum filter (``op``), edges replicated, as two 1-D passes (many times
    faster on the CPU than ``max_pool2d``; the same numbers)."""
    padded = F.pad(images, (1, 1, 1, 1), mode="replicate")
    rows = op(op(padded[..., :-2], padded[..., 1:-1]), padded[..., 2:])
    return op(op(rows[..., :-2, :], rows[..., 1:-1, :]), rows[..., 2:, :])


def stroke_weight(images: torch.Tensor, amounts: torch.Tensor) -> torch.Tensor:
    """Grow (``amount`` > 0) or thin (< 0) the dark ink of each ``(B, C, H, W)`` image.

    Each image is blended, by ``|amount|`` (at most 1), with its 3x3 minimum filter (dark ink
    grows by up to a pixel a side, light ink thins) or its 3x3 maximum filter (the reverse).
    Images with ``amount`` 0 are returned as they are, and cost nothing.
    """
    out = images.clone()
    amounts = amounts.to(images.device, images.dtype)
    for op, chosen in ((torch.minimum, amounts > 0), (torch.maximum, amounts < 0)):
        index = chosen.nonzero().flatten()
        if len(index):
            picked = images[index]
            weight = amounts[index].abs().view(-1, 1, 1, 1)
            out[index] = picked + weight * (_filter3(picked, op) - picked)
    return out


def _augment_stroke(images: torch.Tensor, share: float, rng: np.random.Generator) -> torch.Tensor:
    """:func:`stroke_weight` on ``share`` of the crops, by an amount drawn from -1..1.

    Real glyphs, thinned by the optics and outlined by the camera's sharpening, can be lighter
    than any font weight the generator draws; the nets should read a glyph by its shape, not
    its weight. ``share`` 0 draws nothing from ``rng`` (runs without it repeat exactly).
    """
    if share <= 0.0:
        return images
    batch = len(images)
    amount = rng.uniform(-1.0, 1.0, batch) * (rng.random(batch) < share)
    return stroke_weight(images, torch.from_numpy(amount.astype(np.float32)))


def vertical_blur(images: torch.Tensor, sigmas: torch.Tensor) -> torch.Tensor:
    """Blur each ``(B, C, H, W)`` image up and down only, by a Gaussian of ``sigmas[i]`` px.

    Horizontal strokes get lighter and wider while vertical ones keep their edges, the look
    of a camera or video codec that resolves less vertically than horizontally. Images with
    sigma 0 are returned as they are, and cost nothing; the edges are replicated.
    """
    out = images.clone()
    sigmas = sigmas.to(images.device, images.dtype)
    index = (sigmas > 0).nonzero().flatten()
    if not len(index):
        return out
    picked = images[index]
    chosen = sigmas[index]
    radius = max(1, math.ceil(3.0 * float(chosen.max())))
    offsets = torch.arange(-radius, radius + 1, device=images.device, dtype=images.dtype)
    kernels = torch.exp(-0.5 * (offsets / chosen[:, None]) ** 2)
    kernels = kernels / kernels.sum(dim=1, keepdim=True)
    # A sum of shifted rows (2 x 3 sigma + 1 of them): 3x faster on the CPU than a grouped
    # convolution with one kernel per image.
    height = picked.shape[2]
    padded = F.pad(picked, (0, 0, radius, radius), mode="replicate")
    blurred = torch.zeros_like(picked)
    for shift in range(2 * radius + 1):
        blurred.addcmul_(padded[:, :, shift : shift + height], kernels[:, shift].view(-1, 1, 1, 1))
    out[index] = blurred
    return out


def _augment_vertical_blur(
    images: torch.Tensor, share: float, rng: np.random.Generator
) -> torch.Tensor:
    """:func:`vertical_blur` on ``share`` of the crops, sigma drawn from 0..``_VERTICAL_SIGMA``.

    The horizontal strokes of the real-dev crops are lighter than the drawn ones
    (``tools/probe_real_crops.py``); this models it as blur, which two seeds did not confirm
    (docs/experiments.md). ``share`` 0 draws nothing from ``rng`` (runs without it repeat exactly).
    """
    if share <= 0.0:
        return images
    batch = len(images)
    sigma = rng.uniform(0.0, _VERTICAL_SIGMA, batch) * (rng.random(batch) < share)
    return vertical_blur(images, torch.from_numpy(sigma.astype(np.float32)))


_LUMA = (0.299, 0.587, 0.114)


def desaturate(images: torch.Tensor, amounts: torch.Tensor) -> torch.Tensor:
    """Pull the colours of each ``(B, 3, H, W)`` image towards its grey (luma) by
    ``amounts[i]`` (0: unchanged, 1: grey). Images with amount 0 cost nothing."""
    out = images.clone()
    amounts = amounts.to(images.device, images.dtype)
    index = (amounts > 0).nonzero().flatten()
    if len(index):
        picked = images[index]
        luma = torch.tensor(_LUMA, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
        grey = (picked * luma).sum(dim=1, keepdim=True)
        out[index] = picked + amounts[index].view(-1, 1, 1, 1) * (grey - picked)
    return out


def _augment_desaturate(
    images: torch.Tensor, share: float, rng: np.random.Generator
) -> torch.Tensor:
    """:func:`desaturate` on ``share`` of the crops, by an amount drawn from 0..1.

    Real plates come in paler and greyer colours than the drawn ones (the real-dev kei plate
    is a greyish yellow, docs/experiments.md); the text nets should read a glyph whatever the
    ground's colour. ``share`` 0 draws nothing from ``rng`` (runs without it repeat exactly).
    """
    if share <= 0.0:
        return images
    batch = len(images)
    amount = rng.uniform(0.0, 1.0, batch) * (rng.random(batch) < share)
    return desaturate(images, torch.from_numpy(amount.astype(np.float32)))


def random_filter(images: torch.Tensor, kernels: torch.Tensor, mix: torch.Tensor) -> torch.Tensor:
    """Each ``(C, H, W)`` image of ``images`` filtered by its own ``C -> C`` kernel, rescaled
    to the image's own mean and standard deviation, and blended back by ``mix``.

    ``kernels`` is ``(B, C, C, k, k)`` with ``k`` odd (edges replicated); ``mix[i]`` is the
    image's own share in the result (1: unchanged). A random linear filter (RandConv, Xu et
    al., ICLR 2021) recolours, blurs, sharpens, outlines or inverts a glyph while keeping
    its shape: nets trained on such views read shapes rather than one camera's rendering.
    """
    height, width = images.shape[-2:]
    size = kernels.shape[-1]
    pad = size // 2
    padded = F.pad(images, (pad, pad, pad, pad), mode="replicate") if pad else images
    filtered = torch.zeros_like(images)
    weights = kernels.to(images.device, images.dtype)
    for dy in range(size):
        for dx in range(size):
            window = padded[:, :, dy : dy + height, dx : dx + width]
            filtered += torch.einsum("bchw,boc->bohw", window, weights[:, :, :, dy, dx])
    dims = (1, 2, 3)
    filtered = (filtered - filtered.mean(dim=dims, keepdim=True)) / (
        filtered.std(dim=dims, keepdim=True) + 1e-3
    )
    filtered = filtered * images.std(dim=dims, keepdim=True) + images.mean(dim=dims, keepdim=True)
    share = mix.to(images.device, images.dtype).view(-1, 1, 1, 1)
    return share * images + (1.0 - share) * filtered


def _augment_random_filter(
    inputs: torch.Tensor, share: float, rng: np.random.Generator
) -> torch.Tensor:
    """:func:`random_filter` on ``share`` of a net's inputs: kernel sizes drawn from
    :data:`_FILTER_SIZES`, weights from N(0, 1 / (C k^2)), the mix from 0..1. ``share`` 0
    draws nothing from ``rng`` (runs without it repeat exactly)."""
    if share <= 0.0:
        return inputs
    batch, channels = inputs.shape[:2]
    chosen = np.flatnonzero(rng.random(batch) < share)
    sizes = rng.choice(_FILTER_SIZES, size=len(chosen))
    mix = rng.uniform(0.0, 1.0, size=len(chosen)).astype(np.float32)
    out = inputs.clone()
    for size in _FILTER_SIZES:
        picked = sizes == size
        if not picked.any():
            continue
        index = torch.from_numpy(chosen[picked]).to(inputs.device)
        std = 1.0 / math.sqrt(channels * size * size)
        kernels = rng.normal(0.0, std, size=(int(picked.sum()), channels, channels, size, size))
        out[index] = random_filter(
            inputs[index],
            torch.from_numpy(kernels.astype(np.float32)),
            torch.from_numpy(mix[picked]),
        )
    return out


def rotate(images: torch.Tensor, degrees: torch.Tensor, zoom: float = 1.0) -> torch.Tensor:
    """Each ``(C, H, W)`` image of ``images`` turned about its centre by its own angle
    (``degrees``, counter-clockwise as seen), in pixel units (a non-square image turns without
    shearing), its edges replicated into the corners that come in; ``zoom`` above 1 also
    enlarges it about the centre (``tools/probe_net_inputs.py``).

    Made for the real-dev kana, lettered with a rising bar and read right once turned back
    by 12-20 degrees; trained so, the kana net still misread it (docs/experiments.md), so no net
    turns its inputs by default.
    """
    batch, _, height, width = images.shape
    angle = torch.deg2rad(degrees.to(images.device, torch.float32))
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.zeros(batch, 2, 3, device=images.device)
    theta[:, 0, 0], theta[:, 0, 1] = cos, -sin * height / width
    theta[:, 1, 0], theta[:, 1, 1] = sin * width / height, cos
    grid = F.affine_grid(theta.to(images.dtype), list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, padding_mode="border", align_corners=False)


def _augment_rotate(inputs: torch.Tensor, degrees: float, rng: np.random.Generator) -> torch.Tensor:
    """:func:`rotate` every input by an angle drawn evenly from ``-degrees..degrees``; 0 draws
    nothing from ``rng`` (runs without it repeat exactly)."""
    if degrees <= 0.0:
        return inputs
    angles = rng.uniform(-degrees, degrees, len(inputs)).astype(np.float32)
    return rotate(inputs, torch.from_numpy(angles))


def erase(images: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """Each ``(C, H, W)`` image of ``images`` with the pixel box ``boxes[i]`` (``x0, y0, x1,
    y1``, ends excluded) painted in the image's mean colour.

    Random erasing (Zhong et al., AAAI 2020): a net that must read a glyph with a part
    missing learns more than one cue per class, as a real letterer's glyph may lack the part
    a font has (docs/experiments.md).
    """
    out = images.clone()
    means = images.mean(dim=(2, 3))
    for index, (x0, y0, x1, y1) in enumerate(boxes.tolist()):
        out[index, :, int(y0) : int(y1), int(x0) : int(x1)] = means[index, :, None, None]
    return out


def _augment_erase(inputs: torch.Tensor, share: float, rng: np.random.Generator) -> torch.Tensor:
    """:func:`erase` on ``share`` of a net's inputs: a box of :data:`_ERASE_AREA` of the input,
    its sides in a ratio from 1:2 to 2:1, anywhere inside; 0 draws nothing from ``rng``."""
    if share <= 0.0:
        return inputs
    batch, _, height, width = inputs.shape
    chosen = np.flatnonzero(rng.random(batch) < share)
    area = rng.uniform(*_ERASE_AREA, len(chosen)) * height * width
    ratio = np.exp(rng.uniform(np.log(0.5), np.log(2.0), len(chosen)))
    box_w = np.clip(np.round(np.sqrt(area * ratio)), 1, width)
    box_h = np.clip(np.round(np.sqrt(area / ratio)), 1, height)
    x0 = np.floor(rng.uniform(0.0, 1.0, len(chosen)) * (width - box_w + 1))
    y0 = np.floor(rng.uniform(0.0, 1.0, len(chosen)) * (height - box_h + 1))
    boxes = np.stack([x0, y0, x0 + box_w, y0 + box_h], axis=1)
    out = inputs.clone()
    index = torch.from_numpy(chosen).to(inputs.device)
    out[index] = erase(inputs[index], torch.from_numpy(boxes))
    return out


@dataclass(frozen=True)
class _NetAugmentation:
    """An augmentation of the named text nets' inputs, set per field in :class:`TrainConfig`.

    Each draws from its own random stream (``[seed, stream, epoch]``), so a net it is not
    applied to trains exactly as without it. The nets named for one augmentation share its
    stream, in field order: naming one more net re-draws those after it (with
    ``--erase office=...`` the kana net's boxes change too; docs/experiments.md, "Random erasing
    for the top-row nets").
    """

    name: str
    """The :class:`TrainConfig` attribute (and, with dashes, the command-line option)."""
    amount: str
    """What the per-field value is, for errors: ``"share"`` or ``"angle"``."""
    limit: float
    stream: int
    apply: Callable[[torch.Tensor, float, np.random.Generator], torch.Tensor]

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")


_NET_AUGMENTATIONS = (
    _NetAugmentation("random_filter", "share", 1.0, 3, _augment_random_filter),
    _NetAugmentation("rotate", "angle", MAX_ROTATE, 4, _augment_rotate),
    _NetAugmentation("erase", "share", 1.0, 5, _augment_erase),
)
"""Applied in this order to each named net's prepared inputs."""


def _jitter_regions(
    region: Sequence[float], batch: int, rng: np.random.Generator, device: torch.device
) -> torch.Tensor:
    x0, y0, x1, y1 = region
    half_w = (x1 - x0) / 2 * rng.uniform(1 - _SCALE, 1 + _SCALE, batch)
    half_h = (y1 - y0) / 2 * rng.uniform(1 - _SCALE, 1 + _SCALE, batch)
    centre_x = (x0 + x1) / 2 + rng.uniform(-_SHIFT[0], _SHIFT[0], batch)
    centre_y = (y0 + y1) / 2 + rng.uniform(-_SHIFT[1], _SHIFT[1], batch)
    boxes = np.stack(
        [centre_x - half_w, centre_y - half_h, centre_x + half_w, centre_y + half_h], axis=1
    )
    return torch.from_numpy(boxes.astype(np.float32)).to(device)


def _channels_last(inputs: torch.Tensor) -> torch.Tensor:
    """The nets' input in NHWC layout: the same numbers, but a training step runs about 1.3x
    faster on the CPU (``python benchmarks/bench_train_step.py``)."""
    return inputs.contiguous(memory_format=torch.channels_last)


def _targets(labels: np.ndarray[Any, Any], field_: Field, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(labels[:, label_columns(field_)].astype(np.int64)).to(device)


def field_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the slots of a batch (``(N, slots, classes)`` logits,
    ``(N, slots)`` targets); an :data:`~jlpr.training.data.UNLABELLED` slot's target is the
    uniform distribution, whose cross-entropy is lowest when the net cannot tell, and an
    :data:`~jlpr.training.data.IGNORED` slot does not count."""
    flat_logits, flat_targets = logits.flatten(0, 1), targets.flatten()
    if bool((flat_targets >= 0).all()):
        return F.cross_entropy(flat_logits, flat_targets)
    known = F.cross_entropy(flat_logits, flat_targets.clamp(min=0), reduction="none")
    uniform = -F.log_softmax(flat_logits, dim=-1).mean(dim=-1)
    per_slot = torch.where(flat_targets == UNLABELLED, uniform, known)
    counted = (flat_targets != IGNORED).to(per_slot.dtype)
    return (per_slot * counted).sum() / counted.sum().clamp(min=1.0)


def _train_epoch(
    models: Mapping[Field, CnnFieldClassifier],
    data: ShardedDataset,
    schedules: Mapping[Field, _Schedule],
    config: TrainConfig,
    epoch: int,
    device: torch.device,
    log: TextIO,
) -> dict[str, float]:
    rng = np.random.default_rng([config.seed, 2, epoch])
    # Each per-net augmentation draws from a stream of its own, shared by the nets it is
    # applied to (see _NetAugmentation).
    augmentations = [
        (a, getattr(config, a.name), np.random.default_rng([config.seed, a.stream, epoch]))
        for a in _NET_AUGMENTATIONS
    ]
    # Dropout draws from torch's generator: seeding it per epoch makes a resumed run
    # continue exactly as an uninterrupted one would have.
    torch.manual_seed(int(rng.integers(2**62)))
    for model in models.values():
        model.net.train()
    totals = dict.fromkeys(models, 0.0)
    seen = 0
    progress = Progress(len(data), f"epoch {epoch + 1}/{config.total_epochs}", stream=log)
    for images, labels in data.batches(config.batch_size, rng):
        batch = _augment_colour(_to_tensor(images, device), rng)
        batch = _augment_stroke(batch, config.stroke_jitter, rng)
        batch = _augment_vertical_blur(batch, config.vertical_blur, rng)
        # The scheme net reads colour, so it sees the colours as drawn.
        text_batch = _augment_desaturate(batch, config.desaturate, rng)
        losses = {}
        for field_, model in models.items():
            regions = _jitter_regions(model.config.region, len(labels), rng, device)
            inputs = batch if field_ is Field.SCHEME else text_batch
            prepared = model.prepare(inputs, regions)
            for augmentation, amounts, stream in augmentations:
                prepared = augmentation.apply(prepared, amounts.get(field_, 0.0), stream)
            logits = model.net(_channels_last(prepared))
            target = _targets(labels, field_, device)
            losses[field_] = field_loss(logits, target)
        for field_ in models:
            schedules[field_].optimizer.zero_grad(set_to_none=True)
        torch.autograd.backward(torch.stack(list(losses.values())).sum())
        for field_ in models:
            schedules[field_].step()
        seen += len(labels)
        for field_, loss in losses.items():
            totals[field_] += float(loss.detach()) * len(labels)
        progress.update(len(labels))
    progress.close()
    return {f.value: total / max(1, seen) for f, total in totals.items()}


def _predict(
    models: Mapping[Field, CnnFieldClassifier],
    data: ShardedDataset,
    batch_size: int,
    device: torch.device,
) -> tuple[dict[Field, torch.Tensor], np.ndarray[Any, Any]]:
    """Logits of every field on the whole split (no augmentation) and the label rows."""
    for model in models.values():
        model.net.eval()
    logits: dict[Field, list[torch.Tensor]] = {f: [] for f in models}
    rows = []
    with torch.inference_mode():
        for images, labels in data.batches(batch_size * 4):
            batch = _to_tensor(images, device)
            for field_, model in models.items():
                inputs = _channels_last(model.prepare(batch))
                logits[field_].append(model.net(inputs).float().cpu())
            rows.append(labels)
    return {f: torch.cat(parts) for f, parts in logits.items()}, np.concatenate(rows)


def _slot_accuracy(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """Share of the labelled samples whose every slot is right (argmax, before the rules)."""
    labelled = (targets >= 0).all(dim=1)
    right = (logits.argmax(-1) == targets).all(dim=1)
    return float(right[labelled].float().mean()) if bool(labelled.any()) else math.nan


def _truth_text(model: CnnFieldClassifier, row: np.ndarray[Any, Any]) -> str:
    symbols = [model.config.labels[int(i)] for i in row]
    if model.field is Field.DESIGNATION:
        return format_designation(parse_designation("".join(symbols)))
    return "".join(symbols)


def _field_metrics(
    model: CnnFieldClassifier, logits: torch.Tensor, rows: np.ndarray[Any, Any]
) -> tuple[float, dict[str, float]]:
    """Fit the temperature on the first half, measure on the second half.

    ``nll`` is the mean NLL of the true label (per slot for slot fields), ``log_loss`` and
    ``ece`` judge the confidence of the value read (the whole string for slot fields); all
    of them on the crops that show the field and whose label names it. Where crops hide it
    (their label is :data:`~jlpr.training.data.UNLABELLED`), ``unlabelled`` counts them
    among the measured half and ``unlabelled_read`` is the share of those read at a
    calibrated confidence of 0.5 or more (a guess the reader would report).
    """
    labelled = (rows >= 0).all(axis=1)
    measured = np.arange(len(rows)) >= len(rows) // 2
    hidden_logits = logits[torch.from_numpy((rows == UNLABELLED).all(axis=1) & measured)]
    logits, rows = logits[torch.from_numpy(labelled)], rows[labelled]
    targets = torch.from_numpy(rows.astype(np.int64))
    half = len(targets) // 2
    if model.config.slots > 1:
        grammar = grammar_for(model.field, model.config.labels)
        chosen = torch.from_numpy(best_valid_sequences(logits[:half].numpy(), grammar))
        correct = (chosen == targets[:half]).all(dim=1)
        temperature = fit_sequence_temperature(logits[:half], chosen, correct)
    else:
        temperature = fit_temperature(logits[:half], targets[:half])
    held_logits, held_targets, held_rows = logits[half:], targets[half:], rows[half:]
    truth = [_truth_text(model, row) for row in held_rows]
    metrics: dict[str, float] = {"temperature": temperature}
    # A temperature never changes which valid value ranks first, so accuracy is measured once.
    for name, candidate in (("before", model), ("after", model.with_temperature(temperature))):
        readings = candidate.readings(held_logits)
        confidences = [r.confidence for r in readings]
        correct_values = [r.value == t for r, t in zip(readings, truth, strict=True)]
        metrics["accuracy"] = float(np.mean(correct_values))
        metrics[f"ece_{name}"] = expected_calibration_error(confidences, correct_values)
        metrics[f"nll_{name}"] = negative_log_likelihood(
            held_logits, held_targets, candidate.config.temperature
        )
        metrics[f"log_loss_{name}"] = _log_loss(confidences, correct_values)
    if len(hidden_logits):
        guesses = model.with_temperature(temperature).readings(hidden_logits)
        metrics["unlabelled"] = float(len(guesses))
        metrics["unlabelled_read"] = float(np.mean([r.confidence >= 0.5 for r in guesses]))
    return temperature, metrics


def calibrate_mean(
    means: Sequence[MeanFieldClassifier],
    data: ShardedDataset,
    *,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
) -> tuple[list[MeanFieldClassifier], dict[str, dict[str, float]]]:
    """Fit each :class:`MeanFieldClassifier`'s temperature on the crops of ``data``.

    ``data`` is a held-out split none of the members trained on (the cached validation
    split of a ``jlpr train classifiers`` run, ``OUT/cache/val-*``, say). As in training,
    the temperature is fitted on its first half and the calibration measured on the second
    (``accuracy``, ``ece_before``, ``ece_after``, ... per field, as in ``metrics.json``).
    Returns the calibrated classifiers and those metrics.
    """
    fields = [mean.field for mean in means]
    if len(set(fields)) != len(fields):
        raise ConfigError(f"calibrate_mean takes one classifier per field, got {fields}")
    torch_device = torch.device(device)
    # One pass over the split per member index reads member i of every field at once.
    probabilities: dict[Field, list[torch.Tensor]] = {field_: [] for field_ in fields}
    rows: np.ndarray[Any, Any] | None = None
    for index in range(max((len(mean.members) for mean in means), default=0)):
        models = {mean.field: mean.members[index] for mean in means if index < len(mean.members)}
        logits, rows = _predict(models, data, batch_size, torch_device)
        for field_, member in models.items():
            probabilities[field_].append(member.calibrated(logits[field_]))
    calibrated, metrics = [], {}
    for mean in means:
        assert rows is not None  # a MeanFieldClassifier has two or more members
        log_mean = torch.log(torch.stack(probabilities[mean.field]).mean(0).clamp_min(1e-12))
        reader = mean.members[0].with_temperature(1.0)  # decodes log_mean as the mean does
        temperature, field_metrics = _field_metrics(
            reader, log_mean, rows[:, label_columns(mean.field)]
        )
        calibrated.append(mean.with_temperature(temperature))
        metrics[mean.field.value] = field_metrics
    return calibrated, metrics


def _log_loss(confidences: Sequence[float], correct: Sequence[bool]) -> float:
    """Mean binary log loss of the read values' confidences (lower = better calibrated)."""
    p = np.clip(np.asarray(confidences, dtype=np.float64), 1e-12, 1 - 1e-12)
    hits = np.asarray(correct, dtype=np.float64)
    return float(-np.mean(hits * np.log(p) + (1 - hits) * np.log1p(-p)))


def _save_checkpoint(
    path: Path,
    config: TrainConfig,
    epoch: int,
    models: Mapping[Field, CnnFieldClassifier],
    schedules: Mapping[Field, _Schedule],
    history: list[dict[str, float]],
) -> None:
    state = {
        "format": CHECKPOINT_FORMAT,
        "recipe": json.dumps(config.recipe(), sort_keys=True),
        "epoch": epoch,
        "models": {f.value: m.net.state_dict() for f, m in models.items()},
        "schedules": {f.value: s.state_dict() for f, s in schedules.items()},
        "history": history,
    }
    temporary = path.with_name(path.name + ".tmp")
    torch.save(state, temporary)
    os.replace(temporary, path)


def _load_checkpoint(path: Path, config: TrainConfig, device: torch.device) -> dict[str, Any]:
    try:
        state: dict[str, Any] = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # any unreadable checkpoint gets the same advice
        raise ConfigError(f"cannot resume from {path}: {exc}") from exc
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ConfigError(
            f"{path} is not a classifier-training checkpoint of this jlpr version "
            f"({CHECKPOINT_FORMAT}); start again in another --out"
        )
    saved = json.loads(state["recipe"])
    if saved != config.recipe():
        changed = sorted(
            k
            for k in saved.keys() | config.recipe().keys()
            if saved.get(k) != config.recipe().get(k)
        )
        raise ConfigError(
            f"cannot resume {path}: it was trained with other options ({', '.join(changed)}); "
            f"repeat the original ones or choose another --out"
        )
    return state


def _data_recipe(
    config: TrainConfig, source: SampleSource, val_source: SampleSource
) -> dict[str, Any]:
    recipe = {
        "source": source.describe(),
        "train_samples": config.samples,
        "val_samples": config.val_samples,
        "seeds": f"shard i of a split is drawn from SeedSequence([{config.seed}, split, i]), "
        "split 0 = train, 1 = val",
        "shard_size": config.shard_size,
    }
    if val_source is not source:
        recipe["val_source"] = val_source.describe()
    return recipe


def train_classifiers(
    config: TrainConfig, source: SampleSource | None = None, log: TextIO | None = None
) -> dict[str, Any]:
    """Run a training (see the module doc) and return the metrics written to ``metrics.json``.

    ``source`` defaults to :class:`~jlpr.training.data.SynthSource` with
    ``config.loose_share``; tests pass tiny fake sources. Progress goes to ``log``
    (standard error by default).
    """
    log = log if log is not None else sys.stderr
    if config.threads:
        torch.set_num_threads(config.threads)
    started = time.perf_counter()
    device = _resolve_device(config.device)
    source, val_source = (source, source) if source is not None else _default_sources(config)
    config.out.mkdir(parents=True, exist_ok=True)
    checkpoint_path = config.out / CHECKPOINT_FILE
    if checkpoint_path.exists() and not config.resume:
        raise ConfigError(
            f"{config.out} already holds a training checkpoint; pass --resume to continue it "
            "or choose another --out"
        )
    train_data, val_data = _build_data(config, source, val_source, log)
    if _fits_in_memory(train_data.nbytes):
        log.write(f"reading the {train_data.nbytes / 1e9:.1f} GB of training crops into memory\n")
        train_data = train_data.in_memory()
    data_seconds = time.perf_counter() - started

    models = _make_models(config, device)
    steps_per_epoch = math.ceil(len(train_data) / config.batch_size)
    schedules = {f: _schedule(m, config, steps_per_epoch) for f, m in models.items()}
    history: list[dict[str, float]] = []
    start_epoch = 0
    if config.resume and checkpoint_path.exists():
        state = _load_checkpoint(checkpoint_path, config, device)
        for field_, model in models.items():
            model.net.load_state_dict(state["models"][field_.value])
            schedules[field_].load_state_dict(state["schedules"][field_.value])
        history = list(state["history"])
        start_epoch = int(state["epoch"]) + 1
        log.write(f"resuming after epoch {start_epoch} of {config.total_epochs}\n")

    train_seconds = 0.0
    # The latest validation logits of each field (a field's stop changing once it is done).
    logits: dict[Field, torch.Tensor] = {}
    rows: np.ndarray[Any, Any] | None = None
    for epoch in range(start_epoch, config.total_epochs):
        active = {f: m for f, m in models.items() if epoch < config.epochs_of(f)}
        epoch_start = time.perf_counter()
        losses = _train_epoch(active, train_data, schedules, config, epoch, device, log)
        train_seconds += time.perf_counter() - epoch_start
        latest, rows = _predict(active, val_data, config.batch_size, device)
        logits.update(latest)
        accuracy = {
            f.value: _slot_accuracy(
                latest[f], torch.from_numpy(rows[:, label_columns(f)].astype(np.int64))
            )
            for f in active
        }
        history.append(
            {
                "epoch": epoch + 1,
                "seconds": time.perf_counter() - epoch_start,
                **{f"loss_{k}": v for k, v in losses.items()},
                **{f"val_accuracy_{k}": v for k, v in accuracy.items()},
            }
        )
        scores = "  ".join(f"{k} {v:.3f}" for k, v in accuracy.items())
        loss = sum(losses.values())
        log.write(
            f"epoch {epoch + 1}/{config.total_epochs} loss {loss:.3f}, val accuracy: {scores}\n"
        )
        log.flush()
        _save_checkpoint(checkpoint_path, config, epoch, models, schedules, history)

    missing = {f: m for f, m in models.items() if f not in logits}
    if missing or rows is None:  # resumed after some (or all) fields had finished
        latest, rows = _predict(missing, val_data, config.batch_size, device)
        logits.update(latest)
    per_field: dict[str, dict[str, float]] = {}
    calibrated = []
    for field_, model in models.items():
        temperature, metrics = _field_metrics(model, logits[field_], rows[:, label_columns(field_)])
        per_field[field_.value] = metrics
        calibrated.append(model.with_temperature(temperature))
        log.write(
            f"{field_.value}: accuracy {metrics['accuracy']:.3f}, temperature {temperature:.3f}, "
            f"ECE {metrics['ece_before']:.4f} -> {metrics['ece_after']:.4f}\n"
        )
    seconds = time.perf_counter() - started
    summary: dict[str, Any] = {
        "command": config.command(),
        "recipe": config.recipe(),
        "data": _data_recipe(config, source, val_source),
        "device": str(device),
        "jlpr_version": __version__,
        "torch_version": torch.__version__,
        "fields": per_field,
        "history": history,
        "seconds": {"data": data_seconds, "training": train_seconds, "total": seconds},
        "calibration": "temperature fitted on the first half of the validation split, "
        "accuracy/NLL/ECE (15 bins) measured on the second half",
    }
    for model in calibrated:
        model.provenance = {
            "command": config.command(),
            "data": summary["data"],
            "seed": config.seed,
            "recipe": config.recipe(),
            "metrics": per_field[model.field.value],
        }
    save_classifiers(calibrated, config.out)
    (config.out / METRICS_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
