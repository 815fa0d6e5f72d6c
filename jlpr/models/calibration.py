"""Confidence calibration: temperature scaling and the expected calibration error.

A net trained with cross-entropy on synthetic data is usually over-confident. The reader
reports a field unreadable when its best valid reading falls below ``min_field_confidence``,
so a confidence must mean what it says: of the readings given 0.8, about 80 % are right.
Temperature scaling (Guo et al., 2017) divides the logits by one scalar ``T`` per field,
fitted on held-out data; it never changes which label ranks first, only how sure the net
claims to be. Single-label fields minimise the negative log-likelihood
(:func:`fit_temperature`); multi-slot fields minimise the log loss of the decoded strings'
confidences (:func:`fit_sequence_temperature`), because that product of slot probabilities
is the confidence the reader compares with its threshold.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F

__all__ = [
    "ECE_BINS",
    "expected_calibration_error",
    "fit_sequence_temperature",
    "fit_temperature",
    "negative_log_likelihood",
]

ECE_BINS = 15
"""Equal-width confidence bins of :func:`expected_calibration_error` (the usual choice)."""

# Temperatures outside this range mean a broken net or a tiny calibration set, not a
# calibration to trust; the search stays inside it.
_MIN_TEMPERATURE = 0.05
_MAX_TEMPERATURE = 20.0
_GOLDEN_ITERATIONS = 60


def negative_log_likelihood(
    logits: torch.Tensor, targets: torch.Tensor, temperature: float = 1.0
) -> float:
    """Mean NLL of ``targets`` under ``softmax(logits / temperature)``.

    ``logits`` has shape ``(N, C)`` or ``(N, slots, C)`` and ``targets`` the same shape
    without the last axis (label indices); slots count as separate predictions.
    """
    if logits.shape[:-1] != targets.shape:
        raise ValueError(
            f"targets of shape {tuple(targets.shape)} do not match logits {tuple(logits.shape)}"
        )
    flat = logits.reshape(-1, logits.shape[-1]).double() / temperature
    return float(F.cross_entropy(flat, targets.reshape(-1).long()))


def fit_temperature(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """The temperature that minimises :func:`negative_log_likelihood` on held-out data.

    The NLL is convex in ``1 / T``, so a golden-section search over ``log T`` finds the
    minimum without step sizes to tune; the result lies in ``[0.05, 20]``.
    """
    if logits.numel() == 0:
        raise ValueError("cannot fit a temperature on an empty set")
    flat = logits.detach().reshape(-1, logits.shape[-1]).double().cpu()
    labels = targets.detach().reshape(-1).long().cpu()

    def loss(log_t: float) -> float:
        return float(F.cross_entropy(flat / math.exp(log_t), labels))

    return math.exp(_minimise(loss))


def fit_sequence_temperature(
    logits: torch.Tensor, chosen: torch.Tensor, correct: torch.Tensor
) -> float:
    """The temperature that calibrates the confidence of decoded multi-slot strings.

    ``logits`` ``(N, slots, C)``; ``chosen`` ``(N, slots)`` the labels of the string each
    item was read as; ``correct`` ``(N,)`` whether that string was right. A string's
    confidence is the product of its slots' probabilities, and the slots of one plate are
    right or wrong together far more often than independent errors would be (a blurred plate
    blurs every digit), so a temperature fitted per slot leaves the strings under-confident.
    This one minimises the log loss of the strings' own confidences instead. A temperature
    never changes which string is read, so ``chosen`` holds for every candidate ``T``.
    """
    if logits.numel() == 0:
        raise ValueError("cannot fit a temperature on an empty set")
    values = logits.detach().double().cpu()
    picked = values.gather(-1, chosen.detach().long().cpu()[..., None])[..., 0]
    hits = correct.detach().double().cpu()

    def loss(log_t: float) -> float:
        t = math.exp(log_t)
        log_confidence = (picked / t - torch.logsumexp(values / t, dim=-1)).sum(dim=-1)
        return float(F.binary_cross_entropy_with_logits(_log_odds(log_confidence), hits))

    return math.exp(_minimise(loss))


def _log_odds(log_p: torch.Tensor) -> torch.Tensor:
    """``log(p / (1 - p))`` from ``log p``, stable near both ends."""
    log_p = log_p.clamp(max=-1e-12)
    return log_p - torch.log(-torch.expm1(log_p))


def _minimise(loss: Callable[[float], float]) -> float:
    """Golden-section search for the minimum of a unimodal ``loss`` over ``log T``."""
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    low, high = math.log(_MIN_TEMPERATURE), math.log(_MAX_TEMPERATURE)
    left, right = high - ratio * (high - low), low + ratio * (high - low)
    loss_left, loss_right = loss(left), loss(right)
    for _ in range(_GOLDEN_ITERATIONS):
        if loss_left <= loss_right:
            high, right, loss_right = right, left, loss_left
            left = high - ratio * (high - low)
            loss_left = loss(left)
        else:
            low, left, loss_left = left, right, loss_right
            right = low + ratio * (high - low)
            loss_right = loss(right)
    return (low + high) / 2.0


def expected_calibration_error(
    confidences: npt.ArrayLike, correct: npt.ArrayLike, bins: int = ECE_BINS
) -> float:
    """ECE: the mean gap between confidence and accuracy over equal-width confidence bins.

    ``confidences`` are the probabilities given to the chosen answers and ``correct`` says
    whether each answer was right. Each bin's gap ``|accuracy - mean confidence|`` is weighted
    by its share of the answers; 0 is perfectly calibrated.
    """
    conf = np.asarray(confidences, dtype=np.float64).ravel()
    hits = np.asarray(correct, dtype=np.float64).ravel()
    if conf.shape != hits.shape:
        raise ValueError(f"{conf.size} confidences but {hits.size} correctness flags")
    if conf.size == 0:
        raise ValueError("cannot measure calibration on an empty set")
    # Bin b holds confidences in (b / bins, (b + 1) / bins]; a confidence of 0 joins bin 0.
    index = np.clip(np.ceil(conf * bins).astype(np.int64) - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        members = index == b
        if members.any():
            gap = abs(float(hits[members].mean()) - float(conf[members].mean()))
            total += gap * float(members.sum())
    return total / conf.size
