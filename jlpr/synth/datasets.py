"""Writing synthetic datasets to disk: plate crops with a real-dev style CSV, and an
ultralytics pose dataset of scenes.

Both writers are deterministic: item ``i`` draws only from a generator seeded by
``SeedSequence(seed, spawn_key=(i,))``, so a seed gives the same bytes whatever the number of
workers. They stream: each image is written as soon as it is made (by the worker that made
it), and only the small label rows travel back to the main process, which writes them in
index order. Workers are ``multiprocessing`` processes started with the ``spawn`` method, so
the writers behave the same on Linux, macOS and Windows.
"""

from __future__ import annotations

import csv
import io
import json
import math
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO, TypeVar

import numpy as np
from PIL import Image

from jlpr.synth import DATA_VERSION
from jlpr.synth.fonts import font_names, kana_font_names
from jlpr.synth.scenes import (
    PlateSample,
    PlateSampleConfig,
    Scene,
    SceneConfig,
    VehiclePhoto,
    load_vehicle_photos,
    make_plate_sample,
    make_scene,
    split_vehicle_photos,
)
from jlpr.types import Field, Plate

__all__ = [
    "CSV_FIELDS",
    "PlateDatasetSpec",
    "Progress",
    "SceneDatasetSpec",
    "default_workers",
    "item_rng",
    "plate_csv_row",
    "scene_csv_rows",
    "scene_dataset_recipe",
    "scene_label_lines",
    "write_plate_dataset",
    "write_scene_dataset",
]

CSV_FIELDS = ("file", "office", "classification", "kana", "number", "color", "box_xywh", "notes")
"""Columns of ``labels.csv``, the same as ``real-dev/labels.csv``."""

CropKind = Literal["rectified", "loose", "both"]
T = TypeVar("T")
R = TypeVar("R")


def item_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of item ``index`` of a dataset made with ``seed``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))


class Progress:
    """Progress on stderr: count, rate and time left.

    On a terminal (or with ``enabled`` True) a bar redrawn in place at most 10x/s. Written to
    a file or pipe (``enabled`` None and the stream not a terminal: a training run's log, a
    job under ``nohup``), a plain line every ``interval`` seconds instead, so that a log shows
    how far a long step has got without filling up with redrawn bars. ``enabled`` False
    shows nothing.
    """

    def __init__(
        self,
        total: int,
        label: str,
        *,
        enabled: bool | None = None,
        stream: TextIO | None = None,
        interval: float = 60.0,
    ) -> None:
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        terminal = self.stream.isatty()
        self.enabled = terminal if enabled is None else enabled
        self.lines = enabled is None and not terminal
        self.interval = interval
        self.done = 0
        self.start = time.monotonic()
        self._drawn = 0.0 if self.enabled else self.start

    def update(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        if self.enabled and (now - self._drawn >= 0.1 or self.done >= self.total):
            self._drawn = now
            self._draw(now)
        elif self.lines and now - self._drawn >= self.interval and self.done < self.total:
            self._drawn = now
            self.stream.write(f"{self.label}: {self._counts(now)}\n")
            self.stream.flush()

    def _counts(self, now: float) -> str:
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        return f"{self.done}/{self.total} {rate:.1f}/s left {int(left) // 60}:{int(left) % 60:02d}"

    def _draw(self, now: float) -> None:
        width = 24
        filled = width * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {self._counts(now)}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            if self.done < self.total:
                self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()


def _run(
    worker: Callable[[T], R],
    items: Iterable[T],
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[R]:
    """``map(worker, items)`` in index order, on ``workers`` spawned processes when > 1."""
    if workers <= 1:
        if initializer is not None:
            initializer(*initargs)
        yield from map(worker, items)
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=initializer, initargs=initargs) as pool:
        yield from pool.imap(worker, items, chunksize=4)


def _digits(n: int) -> int:
    return max(6, len(str(max(n - 1, 0))))


def _encode(image: np.ndarray[Any, Any], fmt: str) -> bytes:
    buffer = io.BytesIO()
    pil = Image.fromarray(image)
    if fmt == "png":
        pil.save(buffer, format="PNG", compress_level=1)  # 3x faster than 6, 15 % bigger
    else:
        pil.save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


# -- plate crops --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlateDatasetSpec:
    """What :func:`write_plate_dataset` writes: ``n`` plates from ``seed``, as ``kind``
    crops (rectified ones of ``config.output_size``), images as ``png`` or ``jpg``."""

    n: int
    seed: int = 0
    kind: CropKind = "both"
    image_format: Literal["png", "jpg"] = "png"
    config: PlateSampleConfig = field(default_factory=PlateSampleConfig)

    def __post_init__(self) -> None:
        if self.n < 0:
            raise ValueError(f"n must be >= 0, got {self.n}")
        if self.kind not in ("rectified", "loose", "both"):
            raise ValueError(f"kind must be rectified, loose or both, got {self.kind!r}")


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def plate_csv_row(
    file: str,
    plate: Plate,
    corners: np.ndarray[Any, Any],
    *,
    plate_px: float | None = None,
    hidden: Collection[Field] = (),
    box: tuple[float, float, float, float] | None = None,
) -> dict[str, str]:
    """One ``labels.csv`` row in the real-dev schema for ``plate`` seen at ``corners``.

    ``number`` is the designation as printed (``12-34``, ``・・12``), ``color`` the plate's
    background colour, ``box_xywh`` the corners' bounding box as ``"x y w h"`` (as real-dev
    writes it), or ``box`` ``(x1, y1, x2, y2)`` when given (the visible part of a cut
    plate); ``notes`` holds ``scheme=...;corners=x1,y1,...,x4,y4`` (and ``plate_px``, the
    plate's width in the camera image, a difficulty measure). The ``hidden`` fields (an
    occluder covers them, :func:`jlpr.synth.scenes.hidden_fields`) are left empty, as a
    person labelling the picture would leave them, and named in ``notes`` as ``hidden=...``.
    """
    if plate.office is None or plate.scheme is None or plate.designation_text is None:
        raise ValueError(f"a dataset row needs a complete plate with a scheme, got {plate}")
    pts = np.asarray(corners, dtype=np.float64).reshape(4, 2)
    (x1, y1), (x2, y2) = (pts.min(axis=0), pts.max(axis=0)) if box is None else (box[:2], box[2:])
    notes = [
        f"scheme={plate.scheme.value}",
        "corners=" + ",".join(_fmt(v) for v in pts.reshape(-1)),
    ]
    if plate_px is not None:
        notes.append(f"plate_px={_fmt(plate_px)}")
    if hidden:
        notes.append("hidden=" + ",".join(f.value for f in Field if f in hidden))

    def shown(field_: Field, value: str | None) -> str:
        return "" if field_ in hidden or value is None else value

    return {
        "file": file,
        "office": shown(Field.OFFICE, plate.office.kanji),
        "classification": shown(Field.CLASSIFICATION, plate.classification),
        "kana": shown(Field.KANA, plate.kana),
        "number": shown(Field.DESIGNATION, plate.designation_text),
        "color": plate.scheme.background.value,
        "box_xywh": " ".join(_fmt(v) for v in (x1, y1, x2 - x1, y2 - y1)),
        "notes": ";".join(notes),
    }


# What every worker needs, set once per process by the pool's initializer (or in-process),
# so that only item indices and label rows travel between processes.
_STATE: dict[str, Any] = {}


def _init_plate_worker(root: Path, spec: PlateDatasetSpec) -> None:
    _STATE.update(root=root, spec=spec)


def _plate_item(index: int) -> list[dict[str, str]]:
    out: Path = _STATE["root"]
    spec: PlateDatasetSpec = _STATE["spec"]
    sample: PlateSample = make_plate_sample(item_rng(spec.seed, index), spec.config)
    name = f"{index:0{_digits(spec.n)}d}.{spec.image_format}"
    rows = []
    crops = (
        ("rectified", sample.rectified, sample.rectified_corners),
        ("loose", sample.loose, sample.loose_corners),
    )
    for kind, image, corners in crops:
        if spec.kind not in (kind, "both"):
            continue
        (out / kind / name).write_bytes(_encode(image, spec.image_format))
        rows.append(
            plate_csv_row(
                f"{kind}/{name}",
                sample.plate,
                corners,
                plate_px=sample.pose.width,
                hidden=sample.hidden,
            )
        )
    return rows


def write_plate_dataset(
    out: Path | str,
    spec: PlateDatasetSpec,
    *,
    workers: int = 1,
    progress: bool | None = None,
) -> Path:
    """Write ``spec.n`` plate samples under ``out`` and return the path of ``labels.csv``.

    Layout: ``out/rectified/<index>.png`` and/or ``out/loose/<index>.png``, and
    ``out/labels.csv`` with one row per image in the real-dev schema (:data:`CSV_FIELDS`).
    """
    root = Path(out)
    for kind in ("rectified", "loose"):
        if spec.kind in (kind, "both"):
            (root / kind).mkdir(parents=True, exist_ok=True)
    labels = root / "labels.csv"
    bar = Progress(spec.n, "synth plates", enabled=progress)
    with labels.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        rows_by_item = _run(_plate_item, range(spec.n), workers, _init_plate_worker, (root, spec))
        for rows in rows_by_item:
            writer.writerows(rows)
            bar.update()
    bar.close()
    return labels


# -- scenes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SceneDatasetSpec:
    """What :func:`write_scene_dataset` writes: ``n`` scenes from ``seed``, a share ``val``
    of them (spread evenly over the indices) in the validation split, built with ``config``
    from the vehicle photos in ``vehicles`` when given."""

    n: int
    seed: int = 0
    val: float = 0.1
    vehicles: Path | None = None
    config: SceneConfig = field(default_factory=SceneConfig)
    jpeg_quality: int = 95

    def __post_init__(self) -> None:
        if self.n < 0:
            raise ValueError(f"n must be >= 0, got {self.n}")
        if not 0.0 <= self.val <= 1.0:
            raise ValueError(f"val must be in [0, 1], got {self.val}")

    def is_val(self, index: int) -> bool:
        """Whether scene ``index`` belongs to the validation split."""
        return math.floor((index + 1) * self.val) > math.floor(index * self.val)


def scene_label_lines(scene: Scene) -> list[str]:
    """The ultralytics pose label lines of ``scene``: ``0 cx cy w h x1 y1 v1 ... x4 y4 v4``,
    normalised to the image size and clipped to ``[0, 1]``; a corner outside the image has
    visibility 0 (and its clipped position), one inside has 2."""
    height, width = scene.image.shape[:2]
    lines = []
    for item in scene.plates:
        x1, y1, x2, y2 = item.box
        values = [
            (x1 + x2) / 2 / width,
            (y1 + y2) / 2 / height,
            (x2 - x1) / width,
            (y2 - y1) / height,
        ]
        for (x, y), visible in zip(item.corners, item.visibility, strict=True):
            values += [min(max(x / width, 0.0), 1.0), min(max(y / height, 0.0), 1.0), visible]
        lines.append(
            "0 " + " ".join(f"{v:.6f}" if isinstance(v, float) else str(v) for v in values)
        )
    return lines


def _scene_record(file: str, split: str, scene: Scene) -> dict[str, Any]:
    height, width = scene.image.shape[:2]
    plates = []
    for item in scene.plates:
        plate = item.plate
        plates.append(
            {
                "text": plate.text,
                "office": plate.office.kanji if plate.office else None,
                "classification": plate.classification,
                "kana": plate.kana,
                "number": plate.designation_text,
                "scheme": plate.scheme.value if plate.scheme else None,
                "color": plate.scheme.background.value if plate.scheme else None,
                "box": [round(v, 2) for v in item.box],
                "corners": [[round(float(x), 2), round(float(y), 2)] for x, y in item.corners],
                "visibility": list(item.visibility),
                "visible": round(item.visible, 4),
                "hidden": [f.value for f in Field if f in item.hidden],
            }
        )
    return {
        "file": file,
        "split": split,
        "width": width,
        "height": height,
        "source": scene.source,
        "plates": plates,
    }


def _init_scene_worker(root: Path, spec: SceneDatasetSpec) -> None:
    # Each worker indexes the photo folder once (a directory listing and 1000 tiny files).
    photos = load_vehicle_photos(spec.vehicles) if spec.vehicles is not None else []
    train, held_out = split_vehicle_photos(photos, spec.val)
    photos_by_split: dict[str, list[VehiclePhoto]] = {"train": train, "val": held_out}
    _STATE.update(root=root, spec=spec, photos=photos_by_split)


def scene_csv_rows(file: str, scene: Scene) -> list[dict[str, str]]:
    """The ``labels.csv`` rows (real-dev schema) of ``scene`` saved as ``file``: one per plate,
    its box the visible part of the plate and the fields the image edge or an occluder hides
    left empty; one row with only ``file`` set for a scene without plates."""
    rows = [
        plate_csv_row(file, item.plate, item.corners, hidden=item.hidden, box=item.box)
        for item in scene.plates
    ]
    return rows or [dict.fromkeys(CSV_FIELDS, "") | {"file": file}]


def _scene_item(index: int) -> tuple[dict[str, Any], list[dict[str, str]]]:
    out: Path = _STATE["root"]
    spec: SceneDatasetSpec = _STATE["spec"]
    split = "val" if spec.is_val(index) else "train"
    scene = make_scene(item_rng(spec.seed, index), spec.config, _STATE["photos"][split])
    stem = f"{index:0{_digits(spec.n)}d}"
    buffer = io.BytesIO()
    Image.fromarray(scene.image).save(buffer, format="JPEG", quality=spec.jpeg_quality)
    (out / "images" / split / f"{stem}.jpg").write_bytes(buffer.getvalue())
    lines = scene_label_lines(scene)
    text = "\n".join(lines) + ("\n" if lines else "")
    (out / "labels" / split / f"{stem}.txt").write_text(text, encoding="utf-8")
    record = _scene_record(f"images/{split}/{stem}.jpg", split, scene)
    return record, scene_csv_rows(f"{stem}.jpg", scene)


def _data_yaml(spec: SceneDatasetSpec) -> str:
    crop = spec.config.crop
    fonts = f"# fonts={','.join(font_names())}\n"
    kana_fonts = kana_font_names()
    if kana_fonts is not None:
        fonts += f"# kana_fonts={','.join(kana_fonts)}\n"
    return (
        "# jlpr synthetic plate scenes: ultralytics pose dataset (4 plate corners).\n"
        f"# n={spec.n} seed={spec.seed} size={spec.config.size} crop={crop} "
        f"negatives={spec.config.negative_fraction} val={spec.val} "
        f"vehicles={'yes' if spec.vehicles else 'no'} data_version={DATA_VERSION}\n"
        + fonts
        + "# The dataset root is this file's folder (no 'path' key, so it can be moved).\n"
        "train: images/train\n"
        "val: images/val\n"
        "kpt_shape: [4, 3]  # TL, TR, BR, BL; (x, y, visibility)\n"
        "flip_idx: [1, 0, 3, 2]  # a mirrored plate swaps left and right corners\n"
        "names:\n"
        "  0: plate\n"
    )


def scene_dataset_recipe(data: Path) -> list[str]:
    """The recipe a scene dataset's ``data.yaml`` states in its leading ``#`` comments (how
    it was drawn: count, seed, sizes, ``data_version``), one string per line.

    ``data`` is the ``data.yaml`` or its folder; empty when there is no such file or it has
    no comments. Trainers copy it into their manifests, so a model says which data it was
    fitted to.
    """
    source = data / "data.yaml" if data.is_dir() else data
    if not source.is_file():
        return []
    return [
        line.lstrip("#").strip()
        for line in source.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    ]


def write_scene_dataset(
    out: Path | str,
    spec: SceneDatasetSpec,
    *,
    workers: int = 1,
    progress: bool | None = None,
) -> Path:
    """Write ``spec.n`` scenes as an ultralytics pose dataset under ``out``; return the path
    of its ``data.yaml``.

    Layout: ``images/{train,val}/<index>.jpg``, ``labels/{train,val}/<index>.txt`` (empty for
    scenes without plates), ``data.yaml`` (``kpt_shape: [4, 3]``, ``flip_idx: [1, 0, 3, 2]``,
    ``names: {0: plate}``), ``scenes.jsonl`` with one record per scene: its plates' text,
    fields, boxes and corners in pixels, and ``images/{train,val}/labels.csv`` in the real-dev
    schema (:func:`scene_csv_rows`), so that ``jlpr eval DIR/images/val`` measures a reader
    on the held-out scenes.
    """
    root = Path(out)
    for kind in ("images", "labels"):
        for split in ("train", "val"):
            (root / kind / split).mkdir(parents=True, exist_ok=True)
    (root / "data.yaml").write_text(_data_yaml(spec), encoding="utf-8")
    bar = Progress(spec.n, "synth scenes", enabled=progress)
    items = _run(_scene_item, range(spec.n), workers, _init_scene_worker, (root, spec))
    with ExitStack() as stack:
        records = stack.enter_context((root / "scenes.jsonl").open("w", encoding="utf-8"))
        tables = {}
        for split in ("train", "val"):
            handle = stack.enter_context(
                (root / "images" / split / "labels.csv").open("w", encoding="utf-8", newline="")
            )
            tables[split] = csv.DictWriter(handle, fieldnames=CSV_FIELDS, lineterminator="\n")
            tables[split].writeheader()
        for record, rows in items:
            records.write(json.dumps(record, ensure_ascii=False) + "\n")
            tables[record["split"]].writerows(rows)
            bar.update()
    bar.close()
    return root / "data.yaml"


def default_workers() -> int:
    """The number of CPU cores this process may use (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
