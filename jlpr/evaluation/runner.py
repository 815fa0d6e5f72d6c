"""Run a reader over a labelled folder and report how well it reads.

The folder holds images and a ``labels.csv`` with the columns
``file,office,classification,kana,number,color,box_xywh,notes`` (one row per plate; a row
whose four text columns are all empty means the image shows no readable plate, one with
some of them empty is a plate whose other fields cannot be read (covered, cut off), and an
exact match leaves those unread; ``number`` is printed as on the plate, ``color`` is the
plate background, ``box_xywh`` an optional approximate box ``"x y w h"`` in image pixels).

Each image is a *crop* (one plate, read with :meth:`PlateReader.recognize`) or a *frame*
(read with :meth:`PlateReader.read`); by default files under a folder named ``crops`` (or
``loose`` or ``rectified``, where ``jlpr synth plates`` writes its crops) are crops and all
others frames. In frames, reported plates are matched to labels by box IoU
when every label has a box, else by how many fields agree. A frame or crop without a
readable label is a negative: any plate reported there is a false positive.

The numbers themselves come from :mod:`jlpr.evaluation.metrics`; this module only reads,
runs, matches and formats.
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from itertools import pairwise
from pathlib import Path
from typing import Any

from jlpr.errors import ConfigError, JlprError
from jlpr.evaluation import metrics
from jlpr.image import load_image
from jlpr.reader import PlateReader
from jlpr.rules import (
    format_designation,
    lookup_office,
    parse_designation,
    validate_classification,
    validate_kana,
)
from jlpr.types import Box, Plate

__all__ = [
    "FIELDS",
    "Evaluation",
    "FileResult",
    "ImageKind",
    "LabelledImage",
    "LabelledPlate",
    "evaluate",
    "load_labels",
    "summarize",
    "to_json",
    "to_markdown",
]

LABELS_NAME = "labels.csv"
FIELDS = ("office", "classification", "kana", "designation", "color")
"""The compared fields; ``color`` is the plate background, from the reading's scheme."""
TEXT_FIELDS = FIELDS[:4]
"""The fields of an exact full-plate match (the plate's text)."""
TEXT_COLUMNS = ("office", "classification", "kana", "number")
"""The ``labels.csv`` columns of :data:`TEXT_FIELDS` (the designation's column is ``number``)."""
CALIBRATION_BINS = 15
WIDTH_BINS = (0.0, 60.0, 100.0, 140.0, 200.0, math.inf)
"""Edges of the plate-width bins (labelled box width in pixels) of the "by width" table:
reading gets hard below ~100 px, where the top row's 40 mm glyphs (on a 330 mm plate) are
under 12 px tall."""
_Labelled = tuple[float | None, dict[str, str | None], dict[str, str | None]]
"""One labelled plate for :func:`_by_width`: box width (``None`` without a box), truth, read."""


class ImageKind(str, Enum):
    """How an image is read."""

    CROP = "crop"
    """One plate, read with :meth:`PlateReader.recognize`."""
    FRAME = "frame"
    """A whole scene, read with :meth:`PlateReader.read`."""


@dataclass(frozen=True)
class LabelledPlate:
    """One readable plate of ``labels.csv``, canonicalised where jlpr knows the value."""

    fields: dict[str, str | None]
    """Truth per name of :data:`FIELDS` (``None`` where the label leaves it empty)."""
    box: Box | None
    scheme: str | None = None
    """The colour scheme when ``notes`` names it (``scheme=private_kei``; synthetic sets do),
    as written; evaluation compares the colour only."""


@dataclass(frozen=True)
class LabelledImage:
    """An image and its readable plates (none for a negative)."""

    file: str
    kind: ImageKind
    plates: tuple[LabelledPlate, ...]


@dataclass(frozen=True)
class FileResult:
    """What the reader did with one image.

    ``plates`` are all plates the reader found, best first, whatever their confidence;
    ``reported[i]`` says whether plate ``i`` reaches the reader's ``min_confidence``;
    ``matches[i]`` is the label index plate ``i`` was matched to (reported plates only).
    """

    image: LabelledImage
    milliseconds: float
    plates: tuple[Plate, ...] = ()
    reported: tuple[bool, ...] = ()
    matches: tuple[int | None, ...] = ()
    error: str | None = None

    def plate_for(self, label_index: int) -> Plate | None:
        """The reported plate matched to label ``label_index``, if any."""
        for plate, match in zip(self.plates, self.matches, strict=True):
            if match == label_index:
                return plate
        return None


@dataclass(frozen=True)
class Evaluation:
    """Per-file results and the summary computed from them."""

    directory: str
    weights: str
    min_confidence: float
    match_iou: float
    files: tuple[FileResult, ...]
    summary: dict[str, Any]
    min_width: float = 0.0


# -- labels ------------------------------------------------------------------------------------


def load_labels(directory: Path, kind: str = "auto") -> list[LabelledImage]:
    """Read ``directory/labels.csv``; rows of one file become one image, in file order.

    ``kind`` is ``"crop"``, ``"frame"`` or ``"auto"`` (crops are files under a folder
    named ``crops``, ``loose`` or ``rectified``: :data:`CROP_FOLDERS`).
    """
    path = directory / LABELS_NAME
    if not path.is_file():
        raise ConfigError(f"no {LABELS_NAME} in {directory}: not an evaluation folder")
    rows: dict[str, list[LabelledPlate]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"file", "office", "classification", "kana", "number"} - set(
            reader.fieldnames or []
        )
        if missing:
            raise ConfigError(f"{path} lacks the column(s) {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            name = (row.get("file") or "").strip()
            if not name:
                raise ConfigError(f"{path}:{line}: empty file name")
            plates = rows.setdefault(name, [])
            # A plate with no legible text field (edge-on, say) is not a plate to read: any
            # plate reported there is a false positive. One with some fields left empty
            # (hidden) is: those fields must come back unread for an exact match.
            if any((row.get(column) or "").strip() for column in TEXT_COLUMNS):
                plates.append(_labelled_plate(row, f"{path}:{line}"))
    return [LabelledImage(name, _kind(name, kind), tuple(plates)) for name, plates in rows.items()]


def _labelled_plate(row: dict[str, str], where: str) -> LabelledPlate:
    values = {name: (row.get(name) or "").strip() or None for name in (*TEXT_FIELDS[:3], "color")}
    number = (row.get("number") or "").strip()
    try:
        designation = format_designation(parse_designation(number)) if number else None
    except JlprError as exc:
        raise ConfigError(f"{where}: bad number {number!r}: {exc}") from exc
    canonical = {
        "office": _canonical(values["office"], lambda v: lookup_office(v).kanji),
        "classification": _canonical(values["classification"], validate_classification),
        "kana": _canonical(values["kana"], validate_kana),
        "designation": designation,
        "color": values["color"].lower() if values["color"] else None,
    }
    return LabelledPlate(
        canonical, _box(row.get("box_xywh") or "", where), _note(row.get("notes"), "scheme")
    )


def _note(notes: str | None, key: str) -> str | None:
    """The value of ``key=value`` among the ``;``-separated ``notes``, if there."""
    for item in (notes or "").split(";"):
        name, _, value = item.partition("=")
        if name.strip() == key and value.strip():
            return value.strip()
    return None


def _canonical(value: str | None, canonicalise: Any) -> str | None:
    """The value as jlpr spells it; kept as written when jlpr does not know it."""
    if value is None:
        return None
    try:
        return str(canonicalise(value))
    except JlprError:
        return value


def _box(text: str, where: str) -> Box | None:
    parts = text.replace(",", " ").split()
    if not parts:
        return None
    try:
        x, y, w, h = (float(p) for p in parts)
        return Box.from_xywh(x, y, w, h)
    except ValueError as exc:
        raise ConfigError(f"{where}: box_xywh must be 'x y w h', got {text!r}") from exc


CROP_FOLDERS = frozenset({"crops", "loose", "rectified"})
"""Folders whose files are plate crops when the kind is ``auto``: the real-dev layout's and
those ``jlpr synth plates`` writes."""


def _kind(name: str, kind: str) -> ImageKind:
    if kind == "auto":
        inside = set(Path(name).parts[:-1])
        return ImageKind.CROP if inside & CROP_FOLDERS else ImageKind.FRAME
    try:
        return ImageKind(kind)
    except ValueError:
        raise ConfigError(f"kind must be auto, crop or frame, got {kind!r}") from None


# -- running -----------------------------------------------------------------------------------


def evaluate(
    reader: PlateReader,
    directory: str | Path,
    *,
    kind: str = "auto",
    match_iou: float = 0.3,
    weights: str = "",
    min_width: float = 0.0,
) -> Evaluation:
    """Read every labelled image of ``directory`` with ``reader`` and summarise the results.

    Args:
        reader: the reader under test; its ``min_confidence`` decides what is reported.
        directory: a folder with ``labels.csv`` and the images it names.
        kind: ``"auto"``, ``"crop"`` or ``"frame"`` (see the module documentation).
        match_iou: least IoU between a reported box and a labelled box to match them.
        weights: where the reader came from, for the report.
        min_width: labelled plates whose box is narrower than this many pixels are left out
            of every figure, and a plate matched to one counts neither as right nor as wrong
            (a held-out set defined from a plate size up; 0 counts them all).
    """
    root = Path(directory)
    images = load_labels(root, kind)
    # Everything the localizer finds is kept (for AP); what the reader would report is
    # decided here with its own threshold.
    threshold = reader.min_confidence
    everything = reader.with_components(min_confidence=0.0)
    results = [_run_one(everything, root, image, threshold, match_iou) for image in images]
    summary = summarize(results, match_iou, min_width)
    return Evaluation(str(root), weights, threshold, match_iou, tuple(results), summary, min_width)


def _run_one(
    reader: PlateReader, root: Path, image: LabelledImage, threshold: float, match_iou: float
) -> FileResult:
    try:
        array = load_image(root / image.file, max_pixels=reader.max_pixels)
    except JlprError as exc:
        return FileResult(image, math.nan, error=str(exc))
    started = time.perf_counter()
    plates: tuple[Plate, ...]
    if image.kind is ImageKind.CROP:
        plates = (reader.recognize(array),)
    else:
        plates = tuple(reader.read(array))
    milliseconds = (time.perf_counter() - started) * 1000.0
    if image.kind is ImageKind.CROP:
        # recognize() always answers; on a negative crop only a complete, confident plate
        # counts as reported (a false positive).
        plate = plates[0]
        reported = bool(image.plates) or (plate.is_complete and plate.confidence >= threshold)
        return FileResult(image, milliseconds, plates, (reported,), (0 if image.plates else None,))
    reported_flags = tuple(p.confidence >= threshold for p in plates)
    reported_plates = [p for p, r in zip(plates, reported_flags, strict=True) if r]
    reported_matches = iter(_match(reported_plates, image.plates, match_iou))
    matches = tuple(next(reported_matches) if r else None for r in reported_flags)
    return FileResult(image, milliseconds, plates, reported_flags, matches)


def _match(
    plates: Sequence[Plate], labels: Sequence[LabelledPlate], match_iou: float
) -> list[int | None]:
    """Match reported plates (best first) to labels: by box when all labels have one."""
    truths = [label.box for label in labels if label.box is not None]
    if labels and len(truths) == len(labels):
        return metrics.match_boxes([_box_of(p) for p in plates], truths, match_iou)
    taken: set[int] = set()
    matches: list[int | None] = []
    for plate in plates:
        read = _plate_fields(plate)
        agreement = [
            (
                sum(
                    label.fields[f] is not None and read[f] == label.fields[f] for f in TEXT_FIELDS
                ),
                index,
            )
            for index, label in enumerate(labels)
            if index not in taken
        ]
        votes, best = max(agreement, default=(0, -1))
        matches.append(best if votes > 0 else None)
        if votes > 0:
            taken.add(best)
    return matches


def _box_of(plate: Plate) -> Box:
    """The plate's box; the reader always sets one, an empty box never matches."""
    return plate.box if plate.box is not None else Box(0.0, 0.0, 0.0, 0.0)


def _plate_fields(plate: Plate | None) -> dict[str, str | None]:
    if plate is None:
        return dict.fromkeys(FIELDS)
    return {
        "office": plate.office.kanji if plate.office else None,
        "classification": plate.classification,
        "kana": plate.kana,
        "designation": plate.designation_text,
        "color": plate.scheme.background.value if plate.scheme else None,
    }


# -- summary -----------------------------------------------------------------------------------


def _ignored(label: LabelledPlate, min_width: float) -> bool:
    """Whether ``label`` is narrower than ``min_width`` (by its box) and so left out."""
    return label.box is not None and label.box.width < min_width


def summarize(
    results: Sequence[FileResult], match_iou: float = 0.3, min_width: float = 0.0
) -> dict[str, Any]:
    """The report's numbers from per-file results (JSON-ready; ``nan`` where undefined);
    labelled plates narrower than ``min_width`` are left out (see :func:`evaluate`)."""
    truths: dict[str, list[str]] = {f: [] for f in FIELDS}
    predictions: dict[str, list[str | None]] = {f: [] for f in FIELDS}
    exact: list[bool] = []
    unreadable = 0
    confidences: list[float] = []
    correct: list[bool] = []
    by_width: list[_Labelled] = []
    ignored = 0
    for result in results:
        for index, label in enumerate(result.image.plates):
            if _ignored(label, min_width):
                ignored += 1
                continue
            plate = result.plate_for(index)
            read = _plate_fields(plate)
            by_width.append((label.box.width if label.box else None, label.fields, read))
            for name in FIELDS:
                truth = label.fields[name]
                if truth is not None:
                    truths[name].append(truth)
                    predictions[name].append(read[name])
            exact.append(_exact(label.fields, read))
            unreadable += plate is None or not plate.is_complete
        for plate, reported, match in zip(
            result.plates, result.reported, result.matches, strict=True
        ):
            if match is not None and _ignored(result.image.plates[match], min_width):
                continue
            if reported:
                right = match is not None and _exact(
                    result.image.plates[match].fields, _plate_fields(plate)
                )
                confidences.append(plate.confidence)
                correct.append(right)
    labelled = len(exact)
    table = metrics.reliability_table(confidences, correct, CALIBRATION_BINS)
    return {
        "images": len(results),
        "crops": sum(r.image.kind is ImageKind.CROP for r in results),
        "frames": sum(r.image.kind is ImageKind.FRAME for r in results),
        "errors": sum(r.error is not None for r in results),
        "labelled_plates": labelled,
        "min_width": min_width,
        "ignored_plates": ignored,
        "negative_images": sum(not r.image.plates for r in results),
        "fields": {
            name: {
                "n": len(truths[name]),
                "accuracy": metrics.accuracy(truths[name], predictions[name]),
                "weighted_f1": metrics.weighted_f1(truths[name], predictions[name]),
            }
            for name in FIELDS
        },
        "exact_match": sum(exact) / labelled if labelled else math.nan,
        "unreadable_rate": unreadable / labelled if labelled else math.nan,
        "by_width": _by_width(by_width),
        "detection": _detection(results, match_iou, min_width),
        "false_positives_on_negatives": sum(
            sum(r.reported) for r in results if not r.image.plates and r.error is None
        ),
        "calibration": {
            "n": len(confidences),
            "ece": metrics.expected_calibration_error(confidences, correct, CALIBRATION_BINS),
            "bins": [vars(b) for b in table],
        },
        "speed_ms": {
            kind.value: metrics.median(
                [r.milliseconds for r in results if r.image.kind is kind and r.error is None]
            )
            for kind in ImageKind
        },
    }


def _exact(truth: dict[str, str | None], read: dict[str, str | None]) -> bool:
    """Whether ``read`` has every text field of ``truth``, unread where the label is empty."""
    return all(read[f] == truth[f] for f in TEXT_FIELDS)


def _by_width(plates: Sequence[_Labelled]) -> list[dict[str, Any]]:
    """Exact match and text-field accuracy per bin of labelled box width (:data:`WIDTH_BINS`),
    then a row for plates without a box (``min_px`` ``None``); empty bins are left out."""
    groups: list[tuple[float | None, float | None, list[_Labelled]]] = [
        (
            lower,
            None if math.isinf(upper) else upper,
            [p for p in plates if p[0] is not None and lower <= p[0] < upper],
        )
        for lower, upper in pairwise(WIDTH_BINS)
    ]
    groups.append((None, None, [p for p in plates if p[0] is None]))
    rows = []
    for lower, upper, members in groups:
        if not members:
            continue
        fields = {}
        for name in TEXT_FIELDS:
            truths: list[str] = []
            reads: list[str | None] = []
            for _, truth, read in members:
                value = truth[name]
                if value is not None:
                    truths.append(value)
                    reads.append(read[name])
            fields[name] = metrics.accuracy(truths, reads)
        exact = sum(_exact(truth, read) for _, truth, read in members)
        rows.append(
            {
                "min_px": lower,
                "max_px": upper,
                "n": len(members),
                "exact_match": exact / len(members),
                "fields": fields,
            }
        )
    return rows


def _detection(
    results: Sequence[FileResult], match_iou: float, min_width: float = 0.0
) -> dict[str, Any]:
    """Detection numbers over frames whose labels all have boxes, and negative frames;
    labels narrower than ``min_width`` and the plates matched to them are left out."""
    frames = [
        r
        for r in results
        if r.image.kind is ImageKind.FRAME
        and r.error is None
        and all(label.box is not None for label in r.image.plates)
    ]
    positives = sum(not _ignored(label, min_width) for r in frames for label in r.image.plates)
    true_positives = sum(
        m is not None and not _ignored(r.image.plates[m], min_width)
        for r in frames
        for m in r.matches
    )
    false_positives = sum(
        reported and m is None
        for r in frames
        for reported, m in zip(r.reported, r.matches, strict=True)
    )
    precision, recall = metrics.precision_recall(true_positives, false_positives, positives)
    return {
        "frames": len(frames),
        "positives": positives,
        "true_positives": true_positives,
        "false_positives": false_positives,
        "false_negatives": positives - true_positives,
        "precision": precision,
        "recall": recall,
        "ap50": metrics.average_precision(_scored(frames, 0.5, min_width), positives),
        "ap_match_iou": metrics.average_precision(_scored(frames, match_iou, min_width), positives),
    }


def _scored(
    frames: Sequence[FileResult], iou: float, min_width: float = 0.0
) -> list[tuple[float, bool]]:
    """``(detection score, true positive)`` for every plate found in ``frames``, but those
    matched to a label narrower than ``min_width``."""
    scored = []
    for result in frames:
        ranked = sorted(result.plates, key=lambda p: -(p.detection_score or 0.0))
        truths = [label.box for label in result.image.plates if label.box is not None]
        matches = metrics.match_boxes([_box_of(p) for p in ranked], truths, iou)
        scored += [
            (p.detection_score or 0.0, m is not None)
            for p, m in zip(ranked, matches, strict=True)
            if m is None or truths[m].width >= min_width
        ]
    return scored


# -- formatting --------------------------------------------------------------------------------


def to_json(evaluation: Evaluation) -> str:
    """The summary and every file's labels and readings as JSON (``nan`` becomes ``null``)."""
    files = []
    for result in evaluation.files:
        files.append(
            {
                "file": result.image.file,
                "kind": result.image.kind.value,
                "milliseconds": result.milliseconds,
                "error": result.error,
                "labels": [
                    {
                        **label.fields,
                        "box": label.box.to_dict() if label.box else None,
                        "read": _plate_fields(result.plate_for(index)),
                    }
                    for index, label in enumerate(result.image.plates)
                ],
                "plates": [
                    {
                        "text": plate.text,
                        "color": _plate_fields(plate)["color"],
                        "confidence": plate.confidence,
                        "detection_score": plate.detection_score,
                        "box": plate.box.to_dict() if plate.box else None,
                        "reported": reported,
                        "label": match,
                    }
                    for plate, reported, match in zip(
                        result.plates, result.reported, result.matches, strict=True
                    )
                ],
            }
        )
    document = {
        "directory": evaluation.directory,
        "weights": evaluation.weights,
        "min_confidence": evaluation.min_confidence,
        "match_iou": evaluation.match_iou,
        "min_width": evaluation.min_width,
        "summary": evaluation.summary,
        "files": files,
    }
    return json.dumps(_nan_to_none(document), ensure_ascii=False, indent=2) + "\n"


def to_markdown(evaluation: Evaluation) -> str:
    """A readable report: reading, detection, calibration and speed tables."""
    s = evaluation.summary
    lines = [
        f"# jlpr evaluation: {evaluation.directory}",
        "",
        f"Reader: {evaluation.weights or 'given in code'} (min_confidence "
        f"{evaluation.min_confidence:g}). {s['images']} images ({s['crops']} crops, "
        f"{s['frames']} frames), {s['labelled_plates']} labelled plates, "
        f"{s['negative_images']} images without a readable plate, {s['errors']} unreadable "
        "files."
        + (
            f" Labelled plates narrower than {evaluation.min_width:g} px left out: "
            f"{s['ignored_plates']} (a plate found on one counts neither as right nor as "
            "wrong)."
            if evaluation.min_width > 0
            else ""
        ),
        "",
        "## Reading",
        "",
        "| field | plates | accuracy | weighted F1 |",
        "|---|---:|---:|---:|",
    ]
    for name in FIELDS:
        f = s["fields"][name]
        lines.append(f"| {name} | {f['n']} | {_pct(f['accuracy'])} | {_num(f['weighted_f1'])} |")
    lines += [
        f"| **full plate (exact)** | {s['labelled_plates']} | {_pct(s['exact_match'])} | |",
        "",
        f"Unreadable (no plate reported, or a field not read): {_pct(s['unreadable_rate'])}.",
        "",
        "### By plate width (labelled box, pixels)",
        "",
        "| width | plates | exact | " + " | ".join(TEXT_FIELDS) + " |",
        "|---|---:|---:|" + "---:|" * len(TEXT_FIELDS),
    ]
    for row in s["by_width"]:
        if row["min_px"] is None:
            span = "no box"
        elif row["max_px"] is None:
            span = f">= {row['min_px']:g}"
        else:
            span = f"{row['min_px']:g}-{row['max_px']:g}"
        accuracies = " | ".join(_pct(row["fields"][f]) for f in TEXT_FIELDS)
        lines.append(f"| {span} | {row['n']} | {_pct(row['exact_match'])} | {accuracies} |")
    lines += [
        "",
        f"## Detection (frames whose plates all have boxes; matched at IoU >= "
        f"{evaluation.match_iou:g})",
        "",
        "| frames | plates | TP | FP | FN | precision | recall | AP50 "
        f"| AP{round(evaluation.match_iou * 100)} |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    d = s["detection"]
    lines += [
        f"| {d['frames']} | {d['positives']} | {d['true_positives']} | {d['false_positives']} "
        f"| {d['false_negatives']} | {_pct(d['precision'])} | {_pct(d['recall'])} "
        f"| {_num(d['ap50'])} | {_num(d['ap_match_iou'])} |",
        "",
        f"Plates reported on images without a readable plate: {s['false_positives_on_negatives']}.",
        "",
        f"## Calibration (full-plate confidence vs exact match, {CALIBRATION_BINS} bins)",
        "",
        f"ECE {_num(s['calibration']['ece'])} over {s['calibration']['n']} reported plates.",
        "",
        "| confidence | plates | mean confidence | exact |",
        "|---|---:|---:|---:|",
    ]
    for b in s["calibration"]["bins"]:
        if b["count"]:
            lines.append(
                f"| {b['lower']:.2f}-{b['upper']:.2f} | {b['count']} "
                f"| {b['mean_confidence']:.3f} | {_pct(b['accuracy'])} |"
            )
    lines += ["", "## Speed (median per image)", "", "| kind | images | ms |", "|---|---:|---:|"]
    for kind in ImageKind:
        count = s["crops"] if kind is ImageKind.CROP else s["frames"]
        lines.append(f"| {kind.value} | {count} | {_num(s['speed_ms'][kind.value], 1)} |")
    return "\n".join(lines) + "\n"


def _pct(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{100 * value:.1f}%"


def _num(value: float, digits: int = 3) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_nan_to_none(v) for v in value]
    return value
