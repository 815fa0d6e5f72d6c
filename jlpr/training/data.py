"""Training data of the field classifiers: labelled synthetic plate crops cached as shards.

A :class:`SampleSource` draws one ``(crop, plate)`` pair from a random generator. The default,
:class:`SynthSource`, takes :func:`jlpr.synth.scenes.make_plate_sample`: mostly the rectified
crop the reader's rectifier makes from slightly wrong corners, and for a share of samples the
loose detector-style crop, warped to the canonical size exactly as
:meth:`~jlpr.reader.PlateReader.recognize` does when no localizer finds corners.

Generating a crop costs ~10 ms while a training step costs ~2.5 ms per sample, so every
sample is generated once and cached as uint8 ``.npy`` shards that each epoch re-reads (with
fresh augmentation). Shard ``i`` of a split is generated from ``SeedSequence([seed, split,
i])``: the data are the same whatever the number of worker processes, an interrupted
generation only makes the missing shards, and a run with more samples reuses the shards of a
smaller one. Epochs read one shard at a time, so memory stays bounded whatever the number of
samples; :meth:`ShardedDataset.in_memory` reads every shard once instead, for machines whose
page cache does not keep the cache between epochs (on the 2-core development VM it held
~3.6 of the 6.3 GB, and every epoch read the rest from disk again at ~20 MB/s).

Labels are one row of :data:`LABEL_WIDTH` int16 indices per sample, into the default
vocabularies of :func:`jlpr.models.fields.field_vocabulary`; :func:`label_columns` says which
columns belong to which field. A text field the crop does not show (the source's plate leaves
it ``None``) is :data:`UNLABELLED` in all its columns: training teaches the net to say it
cannot read it rather than to guess. A scheme the source does not know is :data:`IGNORED`:
the scheme net learns nothing from that crop.

Besides synthetic crops, :class:`FolderSource` draws the labelled plates of folders in the
evaluation schema (your own photos, labelled as for ``jlpr eval``), cut as the reader cuts
them, and :class:`MixedSource` mixes sources: fine-tuning the bundled nets on your plates
while they keep seeing synthetic ones (``jlpr train classifiers --init ... --data DIR``).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from jlpr.errors import ConfigError, JlprError
from jlpr.interfaces import ImageArray
from jlpr.layout import CANONICAL_SIZE
from jlpr.models.fields import field_vocabulary
from jlpr.models.slots import encode_classification, encode_designation
from jlpr.types import Box, Field, Plate, Quad

__all__ = [
    "IGNORED",
    "LABEL_WIDTH",
    "SPLITS",
    "UNLABELLED",
    "FolderSource",
    "MixedSource",
    "SampleSource",
    "ShardedDataset",
    "SynthSource",
    "encode_plate",
    "label_columns",
]

SPLITS = {"train": 0, "val": 1}
"""Split names and the number each mixes into its seeds, so the splits never share a sample."""
SHARD_FORMAT = 1
LabelArray = npt.NDArray[np.int16]


def _label_layout() -> dict[Field, slice]:
    layout, start = {}, 0
    for field_ in Field:
        slots = field_vocabulary(field_)[1]
        layout[field_] = slice(start, start + slots)
        start += slots
    return layout


_COLUMNS = _label_layout()
LABEL_WIDTH = max(s.stop for s in _COLUMNS.values())
"""Label columns per sample: office 1, classification 3, kana 1, designation 4, scheme 1."""


def label_columns(field: Field) -> slice:
    """The columns of the label row that hold ``field`` (one per slot)."""
    return _COLUMNS[field]


UNLABELLED = -1
"""The label of every column of a text field the crop does not show (an occluder hides it):
training pulls the net's output there towards uniform, so that it learns to say it cannot
read the field (the decoder then leaves it unread) instead of guessing it."""
IGNORED = -2
"""The label of every column of a field the source does not know (a scheme when only the
plate's colour is labelled): the field's net learns nothing from that crop."""


def encode_plate(plate: Plate) -> LabelArray:
    """The label row of a plate (indices into the default vocabularies).

    A text field left ``None`` is one the crop does not show: its columns are
    :data:`UNLABELLED`. A scheme left ``None`` is one the source does not know (the colours
    stay visible): :data:`IGNORED`.
    """
    row = np.full(LABEL_WIDTH, UNLABELLED, dtype=np.int16)
    if plate.office is not None:
        office = field_vocabulary(Field.OFFICE)[0].index(plate.office.kanji)
        row[label_columns(Field.OFFICE)] = office
    if plate.classification is not None:
        row[label_columns(Field.CLASSIFICATION)] = encode_classification(plate.classification)
    if plate.kana is not None:
        row[label_columns(Field.KANA)] = field_vocabulary(Field.KANA)[0].index(plate.kana)
    if plate.designation is not None:
        row[label_columns(Field.DESIGNATION)] = encode_designation(plate.designation)
    if plate.scheme is None:
        row[label_columns(Field.SCHEME)] = IGNORED
    else:
        scheme = field_vocabulary(Field.SCHEME)[0].index(plate.scheme.value)
        row[label_columns(Field.SCHEME)] = scheme
    return row


class SampleSource(Protocol):
    """Draws one labelled plate crop; the only thing training needs from a data generator.

    ``__call__`` returns an upright ``CANONICAL_SIZE`` crop (``(128, 256, 3)`` uint8 RGB) and
    the plate it shows; a text field the crop does not show (covered, cut off) may be
    ``None`` and is then trained as unreadable (:data:`UNLABELLED`), a scheme not known may
    be ``None`` (:data:`IGNORED`). All its
    randomness must come from ``rng``. ``describe`` is the JSON-ready recipe written into
    the manifests (and hashed to name the cache).
    Implementations must be picklable to be run in worker processes.
    """

    def __call__(self, rng: np.random.Generator) -> tuple[ImageArray, Plate]: ...

    def describe(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class SynthSource:
    """Crops from :func:`jlpr.synth.scenes.make_plate_sample` with its default recipe (every
    scheme, every degradation); ``loose_share`` of them are the loose crop instead.

    ``plate_width`` ``(low, high)`` replaces the generator's range of frontal plate widths in
    pixels (drawn log-uniformly); ``None`` keeps the generator's default. With
    ``unlabel_hidden`` the text fields an occluder hides (``hidden`` of the sample) are left
    ``None``, to be trained as unreadable; without it they carry the text drawn under the
    occluder, and the nets learn to guess them.
    """

    loose_share: float = 0.15
    plate_width: tuple[float, float] | None = None
    unlabel_hidden: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.loose_share <= 1.0:
            raise ValueError(f"loose_share must be in [0, 1], got {self.loose_share}")
        if self.plate_width is not None and not (
            0.0 < self.plate_width[0] <= self.plate_width[1] < float("inf")
        ):
            raise ValueError(f"plate_width must be 0 < low <= high, got {self.plate_width}")

    def __call__(self, rng: np.random.Generator) -> tuple[ImageArray, Plate]:
        from jlpr.rectify import PerspectiveRectifier
        from jlpr.synth.degrade import DegradationConfig
        from jlpr.synth.scenes import PlateSampleConfig, make_plate_sample

        loose = bool(rng.random() < self.loose_share)
        config = None
        if self.plate_width is not None:
            degradation = replace(DegradationConfig(), plate_width=self.plate_width)
            config = PlateSampleConfig(degradation=degradation)
        sample = make_plate_sample(rng, config)
        plate = sample.plate
        if self.unlabel_hidden and sample.hidden:
            hidden: dict[str, Any] = {f.value: None for f in sample.hidden}
            plate = replace(plate, **hidden)
        if not loose:
            return sample.rectified, plate
        height, width = sample.loose.shape[:2]
        whole = Quad.from_box(Box(0.0, 0.0, float(width), float(height)))
        return PerspectiveRectifier(CANONICAL_SIZE).warp(sample.loose, whole), plate

    def describe(self) -> dict[str, Any]:
        from jlpr.synth import DATA_VERSION
        from jlpr.synth.fonts import font_names, kana_font_names

        described: dict[str, Any] = {
            "generator": "jlpr.synth.scenes.make_plate_sample",
            "data_version": DATA_VERSION,
            # The crops depend on the fonts found, so a cache drawn with others is not reused.
            "fonts": font_names(),
            "config": "PlateSampleConfig() (all schemes, default degradations)",
            "loose_share": self.loose_share,
        }
        kana_fonts = kana_font_names()
        if kana_fonts is not None:
            # Only when chosen, so that the default recipe keeps naming the same cache.
            described["kana_fonts"] = kana_fonts
        if self.plate_width is not None:
            # Only when set, so that the default recipe keeps naming the same cache.
            described["plate_width"] = list(self.plate_width)
        if self.unlabel_hidden:
            # Only when set, so that the default recipe keeps naming the same cache.
            described["hidden_fields"] = "unlabelled"
        return described


_FolderItem = tuple[Path, Box | None, Plate]
"""One labelled plate of a folder: its image, its box in it (``None``: the whole image is
the plate crop) and its label."""
_RECTIFIERS: dict[str, Any] = {}
"""The rectifier of each reader folder, loaded once per process by :class:`FolderSource`."""


@dataclass(frozen=True)
class FolderSource:
    """The labelled plates of ``directories``, each a folder with a ``labels.csv`` in the
    schema ``jlpr eval`` reads (``jlpr synth plates`` writes it; see docs/models.md), cut as
    the reader cuts them: a crop (a file under a folder named ``crops``, ``loose`` or
    ``rectified``, or every file with ``kind="crop"``) whole, as
    :meth:`~jlpr.reader.PlateReader.recognize` takes it, a frame's plate from its labelled
    box moved and scaled by up to ``box_jitter`` of its size (plates without a box are left
    out), then rectified by the rectifier of the reader saved in ``weights`` (the bundled
    reader's when ``None``).

    Every plate is drawn equally often. A text field the label leaves empty (hidden) is
    trained as unreadable; the scheme is trained when ``notes`` names it
    (``scheme=private``), else ignored. A label jlpr cannot encode (a region name not among
    the 138, a kana not used on plates) or a missing image is refused, naming the file.
    """

    directories: tuple[Path, ...]
    weights: Path | None = None
    kind: str = "auto"
    box_jitter: float = 0.05

    def __post_init__(self) -> None:
        object.__setattr__(self, "directories", tuple(Path(d) for d in self.directories))
        if not self.directories:
            raise ConfigError("FolderSource needs at least one folder")
        if not 0.0 <= self.box_jitter < 0.5:
            raise ConfigError(f"box_jitter must be in [0, 0.5), got {self.box_jitter}")
        items = [item for d in self.directories for item in _folder_items(d, self.kind)]
        if not items:
            folders = ", ".join(map(str, self.directories))
            raise ConfigError(f"no labelled plates to train on in {folders}")
        object.__setattr__(self, "_items", tuple(items))

    @property
    def items(self) -> tuple[_FolderItem, ...]:
        """Every labelled plate drawn from: image path, box (``None`` for a crop), label."""
        items: tuple[_FolderItem, ...] = self.__dict__["_items"]
        return items

    def __call__(self, rng: np.random.Generator) -> tuple[ImageArray, Plate]:
        from jlpr.image import load_image
        from jlpr.types import PlateRegion

        path, box, plate = self.items[int(rng.integers(len(self.items)))]
        image = load_image(path)
        height, width = image.shape[:2]
        if box is None:
            box = Box(0.0, 0.0, float(width), float(height))
        else:
            box = _jitter_box(box, self.box_jitter, width, height, rng)
        rectified = self._rectifier().rectify(image, PlateRegion(box=box, score=1.0))
        return rectified.image, plate

    def _rectifier(self) -> Any:
        key = str(self.weights) if self.weights is not None else ""
        if key not in _RECTIFIERS:
            import torch

            from jlpr.reader import PlateReader

            if multiprocessing.parent_process() is not None:
                # A data worker: one per core already, so torch's own threads would only
                # oversubscribe the cores: 16,000 crops, half of them from a folder, took
                # 10.5 min on two workers of two threads each, 56 s with one thread each.
                torch.set_num_threads(1)

            rectifier = PlateReader.from_pretrained(self.weights).rectifier
            if tuple(rectifier.output_size) != CANONICAL_SIZE:
                raise ConfigError(
                    f"the rectifier of {self.weights or 'the bundled reader'} makes "
                    f"{rectifier.output_size} crops; the classifiers train on {CANONICAL_SIZE}"
                )
            _RECTIFIERS[key] = rectifier
        return _RECTIFIERS[key]

    def describe(self) -> dict[str, Any]:
        listing = hashlib.sha256()
        for path, box, plate in self.items:
            listing.update(f"{path}|{path.stat().st_size}|{box}|{plate.to_dict()}\n".encode())
        return {
            "generator": "jlpr.training.data.FolderSource",
            "folders": [str(d) for d in self.directories],
            "plates": len(self.items),
            # Names, sizes, boxes and labels: other photos or labels name another cache.
            "content_sha256": listing.hexdigest(),
            "rectifier": str(self.weights) if self.weights is not None else "bundled",
            "kind": self.kind,
            "box_jitter": self.box_jitter,
        }


def _folder_items(directory: Path, kind: str) -> list[_FolderItem]:
    """The labelled plates of one folder (see :class:`FolderSource`)."""
    from jlpr.evaluation.runner import ImageKind, load_labels
    from jlpr.rules import lookup_office, parse_designation, parse_scheme

    items: list[_FolderItem] = []
    for image in load_labels(directory, kind):
        for plate in image.plates:
            if image.kind is ImageKind.FRAME and plate.box is None:
                continue
            fields = plate.fields
            try:
                label = Plate(
                    office=lookup_office(fields["office"]) if fields["office"] else None,
                    classification=fields["classification"],
                    kana=fields["kana"],
                    designation=(
                        parse_designation(fields["designation"]) if fields["designation"] else None
                    ),
                    scheme=parse_scheme(plate.scheme) if plate.scheme else None,
                )
                encode_plate(label)  # a value the nets have no label for is refused now
            except (JlprError, ValueError) as exc:
                raise ConfigError(
                    f"{directory / 'labels.csv'}: {image.file}: cannot train on this label: {exc}"
                ) from exc
            path = directory / image.file
            if not path.is_file():
                raise ConfigError(f"{directory / 'labels.csv'}: {image.file}: no such image")
            items.append((path, plate.box if image.kind is ImageKind.FRAME else None, label))
    return items


def _jitter_box(box: Box, amount: float, width: int, height: int, rng: np.random.Generator) -> Box:
    """``box`` moved and scaled by up to ``amount`` of its size, kept inside the image."""
    w, h = box.x2 - box.x1, box.y2 - box.y1
    scale = 1.0 + rng.uniform(-amount, amount, 2)
    cx = (box.x1 + box.x2) / 2 + rng.uniform(-amount, amount) * w
    cy = (box.y1 + box.y2) / 2 + rng.uniform(-amount, amount) * h
    half_w, half_h = w * scale[0] / 2, h * scale[1] / 2
    return Box(
        max(0.0, cx - half_w),
        max(0.0, cy - half_h),
        min(float(width), cx + half_w),
        min(float(height), cy + half_h),
    )


@dataclass(frozen=True)
class MixedSource:
    """Draws each crop from one of ``sources``, chosen with probabilities ``shares``
    (normalised): e.g. synthetic crops and :class:`FolderSource` plates when fine-tuning."""

    sources: tuple[SampleSource, ...]
    shares: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.sources or len(self.sources) != len(self.shares):
            raise ValueError("MixedSource needs one share per source, and a source")
        if any(s < 0 for s in self.shares) or sum(self.shares) <= 0:
            raise ValueError(f"shares must be non-negative with a positive sum, got {self.shares}")

    def __call__(self, rng: np.random.Generator) -> tuple[ImageArray, Plate]:
        shares = np.asarray(self.shares, dtype=np.float64)
        index = int(rng.choice(len(self.sources), p=shares / shares.sum()))
        return self.sources[index](rng)

    def describe(self) -> dict[str, Any]:
        return {
            "generator": "jlpr.training.data.MixedSource",
            "sources": [
                {"share": share, "source": source.describe()}
                for source, share in zip(self.sources, self.shares, strict=True)
            ],
        }


@dataclass(frozen=True)
class ShardedDataset:
    """One split cached in ``directory`` as ``images-NNNNN.npy`` / ``labels-NNNNN.npy``.

    ``images`` shards are ``(n, 128, 256, 3)`` uint8, ``labels`` shards ``(n, LABEL_WIDTH)``
    int16; the dataset uses ``shard_size`` samples of every shard but the last.
    """

    directory: Path
    samples: int
    shard_size: int
    loaded: tuple[tuple[ImageArray, LabelArray], ...] | None = field(
        default=None, repr=False, compare=False
    )
    """Every shard's arrays when :meth:`in_memory` read them, else ``None`` (read per epoch)."""

    @property
    def shards(self) -> int:
        return -(-self.samples // self.shard_size)

    def __len__(self) -> int:
        return self.samples

    def _paths(self, index: int) -> tuple[Path, Path]:
        return (
            self.directory / f"images-{index:05d}.npy",
            self.directory / f"labels-{index:05d}.npy",
        )

    @property
    def nbytes(self) -> int:
        """Size of the split's images and labels in memory."""
        width, height = CANONICAL_SIZE
        per_sample = height * width * 3 + int(LABEL_WIDTH) * 2
        return self.samples * per_sample

    def in_memory(self) -> ShardedDataset:
        """This split with every shard read into memory once (:attr:`nbytes`); batches are
        the same as when the shards are read from disk every epoch."""
        if self.loaded is not None:
            return self
        return replace(self, loaded=tuple(self.load_shard(i) for i in range(self.shards)))

    def load_shard(self, index: int) -> tuple[ImageArray, LabelArray]:
        """The images and labels of shard ``index`` in this dataset, read into memory."""
        if self.loaded is not None:
            return self.loaded[index]
        images_path, labels_path = self._paths(index)
        count = self._count(index)
        images: ImageArray = np.load(images_path, mmap_mode="r")[:count].copy()
        labels: LabelArray = np.load(labels_path)[:count]
        return images, labels

    def _ready(self, index: int) -> bool:
        """Whether shard ``index`` is on disk with at least the samples this dataset uses."""
        images_path, labels_path = self._paths(index)
        if not (images_path.is_file() and labels_path.is_file()):
            return False
        return bool(np.load(labels_path, mmap_mode="r").shape[0] >= self._count(index))

    def _count(self, index: int) -> int:
        return min(self.shard_size, self.samples - index * self.shard_size)

    def batches(
        self, batch_size: int, rng: np.random.Generator | None = None
    ) -> Iterator[tuple[ImageArray, LabelArray]]:
        """Batches over the whole split; shuffled with ``rng`` (shard order and within shards),
        in order without it. One shard (plus a partial batch) is read at a time, unless the
        split is :meth:`in_memory`."""
        order = rng.permutation(self.shards) if rng is not None else np.arange(self.shards)
        carry_images: ImageArray | None = None
        carry_labels: LabelArray | None = None
        for index in order:
            images, labels = self.load_shard(int(index))
            if rng is not None:
                permutation = rng.permutation(len(labels))
                images, labels = images[permutation], labels[permutation]
            if carry_images is not None and carry_labels is not None:
                images = np.concatenate([carry_images, images])
                labels = np.concatenate([carry_labels, labels])
            full = len(labels) - len(labels) % batch_size
            for start in range(0, full, batch_size):
                yield images[start : start + batch_size], labels[start : start + batch_size]
            carry_images, carry_labels = images[full:], labels[full:]
        if carry_labels is not None and len(carry_labels):
            assert carry_images is not None
            yield carry_images, carry_labels

    @classmethod
    def open(cls, directory: Path) -> ShardedDataset:
        """The split that :meth:`build` cached in ``directory`` (a run's ``OUT/cache/val-*``),
        every sample of its shards. Raises :class:`~jlpr.errors.ConfigError` when the folder
        holds no split or a broken one (a shard missing, or cut short before the last)."""
        labels = sorted(directory.glob("labels-*.npy"))
        if not labels:
            raise ConfigError(f"{directory}: no labels-*.npy shards, not a cached split")
        sizes = [int(np.load(path, mmap_mode="r").shape[0]) for path in labels]
        dataset = cls(directory, samples=sum(sizes), shard_size=sizes[0])
        broken = [
            index
            for index, size in enumerate(sizes)
            if dataset._paths(index)[1] != labels[index]
            or not dataset._paths(index)[0].is_file()
            or (index < len(sizes) - 1 and size != sizes[0])
        ]
        if broken:
            raise ConfigError(
                f"{directory}: shard {broken[0]:05d} is missing or incomplete; "
                "build the split again"
            )
        return dataset

    @classmethod
    def build(
        cls,
        cache: Path,
        source: SampleSource,
        *,
        split: str,
        seed: int,
        samples: int,
        shard_size: int = 512,
        workers: int = 1,
        on_ready: Callable[[int], None] | None = None,
    ) -> ShardedDataset:
        """Generate the split's missing shards under ``cache`` and return the dataset.

        The folder is named by a hash of the recipe (source, seed, split, shard size), so
        different recipes never mix. The number of samples is not part of it: shard ``i`` is
        the same whatever the total (a shorter last shard is a prefix of the full one), so a
        larger run reuses the shards of a smaller one and only generates the rest.
        ``workers > 1`` generates shards in that many processes; ``on_ready(count)`` is told
        how many samples became ready, the cached ones first and then each shard as it
        completes (to drive a progress bar).
        """
        if split not in SPLITS:
            raise ValueError(f"split must be one of {sorted(SPLITS)}, got {split!r}")
        if samples < 1 or shard_size < 1:
            raise ValueError("samples and shard_size must be positive")
        recipe = {
            "format": SHARD_FORMAT,
            "source": source.describe(),
            "seed": seed,
            "split": split,
            "shard_size": shard_size,
            "label_width": LABEL_WIDTH,
        }
        text = json.dumps(recipe, sort_keys=True)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        directory = cache / f"{split}-{digest}"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "recipe.json").write_text(text + "\n", encoding="utf-8")
        dataset = cls(directory, samples, shard_size)
        missing = [i for i in range(dataset.shards) if not dataset._ready(i)]
        report = on_ready if on_ready is not None else _ignore
        report(samples - sum(dataset._count(i) for i in missing))
        jobs = [(dataset, source, seed, SPLITS[split], index) for index in missing]
        if workers <= 1 or len(jobs) <= 1:
            for job in jobs:
                report(_write_shard(*job))
            return dataset
        # "spawn": the parent may already run torch threads, which a fork would copy broken.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context) as pool:
            futures = [pool.submit(_write_shard, *job) for job in jobs]
            for future in as_completed(futures):
                report(future.result())
        return dataset


def _ignore(count: int) -> None:
    """The ``on_ready`` of a build nobody watches."""


def _write_shard(
    dataset: ShardedDataset, source: SampleSource, seed: int, split: int, index: int
) -> int:
    """Generate shard ``index`` and write it atomically; return its number of samples."""
    rng = np.random.default_rng([seed, split, index])
    count = dataset._count(index)
    width, height = CANONICAL_SIZE
    images = np.empty((count, height, width, 3), dtype=np.uint8)
    labels = np.empty((count, LABEL_WIDTH), dtype=np.int16)
    for i in range(count):
        image, plate = source(rng)
        if image.shape != (height, width, 3) or image.dtype != np.uint8:
            raise ValueError(
                f"sample source gave a {image.dtype} image of shape {image.shape}; "
                f"expected ({height}, {width}, 3) uint8"
            )
        images[i] = image
        labels[i] = encode_plate(plate)
    # Written under temporary names and renamed, so a killed run never leaves half a shard
    # that a later run would take for a complete one.
    images_path, labels_path = dataset._paths(index)
    for array, final in ((labels, labels_path), (images, images_path)):
        temporary = final.with_name(f".{final.stem}-{os.getpid()}.tmp.npy")
        np.save(temporary, array)
        os.replace(temporary, final)
    return count
