"""Pure metric functions: accuracy, weighted F1, detection matching and AP, calibration.

No I/O and no models here, so that every number in an evaluation report can be checked by
hand on small examples. ``None`` as a prediction means "nothing read" and is never right.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from jlpr.types import Box

__all__ = [
    "ReliabilityBin",
    "accuracy",
    "average_precision",
    "expected_calibration_error",
    "match_boxes",
    "median",
    "precision_recall",
    "reliability_table",
    "weighted_f1",
]


def accuracy(truths: Sequence[str], predictions: Sequence[str | None]) -> float:
    """Share of predictions equal to their truth (``nan`` when there is nothing to compare)."""
    _check_lengths(truths, predictions)
    if not truths:
        return math.nan
    return sum(t == p for t, p in zip(truths, predictions, strict=True)) / len(truths)


def weighted_f1(truths: Sequence[str], predictions: Sequence[str | None]) -> float:
    """F1 of each true class, averaged with the class frequencies as weights.

    Per class ``c``: precision = right ``c`` predictions / all ``c`` predictions, recall =
    right ``c`` predictions / true ``c`` items (as scikit-learn's ``average="weighted"``).
    A class that is predicted but never true has weight 0; a ``None`` prediction lowers
    the recall of its true class and nobody's precision.
    """
    _check_lengths(truths, predictions)
    if not truths:
        return math.nan
    support = Counter(truths)
    predicted = Counter(p for p in predictions if p is not None)
    correct = Counter(t for t, p in zip(truths, predictions, strict=True) if t == p)
    total = 0.0
    for label, count in support.items():
        hits = correct[label]
        precision = hits / predicted[label] if predicted[label] else 0.0
        recall = hits / count
        f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
        total += count * f1
    return total / len(truths)


def match_boxes(
    predictions: Sequence[Box], truths: Sequence[Box], iou_threshold: float
) -> list[int | None]:
    """Greedily match predictions (best first) to truths; ``result[i]`` is the truth index.

    Prediction ``i`` takes the unmatched truth it overlaps most, if that IoU is at least
    ``iou_threshold``; otherwise it is a false positive (``None``). ``predictions`` must be
    sorted best first, as detectors report them.
    """
    taken: set[int] = set()
    matches: list[int | None] = []
    for prediction in predictions:
        best, best_iou = None, iou_threshold
        for index, truth in enumerate(truths):
            if index in taken:
                continue
            overlap = prediction.iou(truth)
            if overlap >= best_iou:
                best, best_iou = index, overlap
        if best is not None:
            taken.add(best)
        matches.append(best)
    return matches


def precision_recall(
    true_positives: int, false_positives: int, positives: int
) -> tuple[float, float]:
    """``(precision, recall)``; ``nan`` where the denominator is zero."""
    reported = true_positives + false_positives
    precision = true_positives / reported if reported else math.nan
    recall = true_positives / positives if positives else math.nan
    return precision, recall


def average_precision(scored: Sequence[tuple[float, bool]], positives: int) -> float:
    """Area under the precision-recall curve (all-point interpolation, as VOC 2010+ and COCO).

    ``scored`` holds ``(score, is_true_positive)`` for every detection of every image;
    ``positives`` is the number of ground-truth objects. Precision is made monotonic
    (each point takes the best precision at any higher recall) before integrating over
    recall. ``nan`` when there are no positives.
    """
    if positives <= 0:
        return math.nan
    ranked = sorted(scored, key=lambda item: -item[0])
    recalls, precisions = [0.0], [1.0]
    hits = 0
    for rank, (_, hit) in enumerate(ranked, start=1):
        hits += hit
        recalls.append(hits / positives)
        precisions.append(hits / rank)
    for i in range(len(precisions) - 2, -1, -1):
        precisions[i] = max(precisions[i], precisions[i + 1])
    return sum((recalls[i] - recalls[i - 1]) * precisions[i] for i in range(1, len(recalls)))


@dataclass(frozen=True)
class ReliabilityBin:
    """One confidence bin: ``[lower, upper)`` (the last bin includes 1.0)."""

    lower: float
    upper: float
    count: int
    mean_confidence: float
    accuracy: float
    """Share of the bin's items that were right (``nan`` for an empty bin)."""


def reliability_table(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 15
) -> list[ReliabilityBin]:
    """Group items into ``bins`` equal-width confidence bins over ``[0, 1]``."""
    _check_lengths(confidences, correct)
    members: list[list[int]] = [[] for _ in range(bins)]
    for index, confidence in enumerate(confidences):
        members[min(bins - 1, max(0, int(confidence * bins)))].append(index)
    table = []
    for b, indices in enumerate(members):
        count = len(indices)
        table.append(
            ReliabilityBin(
                lower=b / bins,
                upper=(b + 1) / bins,
                count=count,
                mean_confidence=sum(confidences[i] for i in indices) / count if count else math.nan,
                accuracy=sum(correct[i] for i in indices) / count if count else math.nan,
            )
        )
    return table


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 15
) -> float:
    """ECE: the bins' ``|accuracy - mean confidence|`` weighted by their share of items."""
    if not confidences:
        return math.nan
    table = reliability_table(confidences, correct, bins)
    return sum(
        b.count / len(confidences) * abs(b.accuracy - b.mean_confidence) for b in table if b.count
    )


def median(values: Sequence[float]) -> float:
    """The median (``nan`` for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _check_lengths(a: Sequence[object], b: Sequence[object]) -> None:
    if len(a) != len(b):
        raise ValueError(f"expected sequences of equal length, got {len(a)} and {len(b)}")
