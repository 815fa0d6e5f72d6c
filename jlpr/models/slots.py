"""Per-slot probabilities -> the most probable VALID strings of a multi-character field.

The classification number and the designation number are read as a fixed row of slots, each
with its own softmax: the classification number as 3 slots of digit / letter / blank (blanks
pad a shorter number at the end), the designation number as its 4 printed cells of digit / dot,
right-aligned like the plate (``・・12`` is ``[・, ・, 1, 2]``).

Both languages are small (4,210 classification numbers and 9,999 designation numbers), so
instead of a beam search the valid slot sequences are enumerated once, from the rules in
:mod:`jlpr.rules` themselves, and every sequence is scored exactly: the joint probability of a
sequence is the product of its slots' probabilities, and the top ``k`` are found with one
vectorised gather. This is exact where a beam search under rule constraints is not (a pruned
prefix can hold the best valid string), and for 10k sequences it takes well under a
millisecond.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from jlpr.errors import InvalidPlateError
from jlpr.rules import (
    CLASSIFICATION_LETTERS,
    format_designation,
    parse_designation,
    validate_classification,
)
from jlpr.types import Alternative, Field

__all__ = [
    "BLANK",
    "CLASSIFICATION_LABELS",
    "CLASSIFICATION_SLOTS",
    "DESIGNATION_LABELS",
    "DESIGNATION_SLOTS",
    "DOT",
    "SlotGrammar",
    "best_valid_sequences",
    "encode_classification",
    "encode_designation",
    "grammar_for",
    "sequence_scores",
    "top_valid",
]

BLANK = ""
"""The label of an empty classification slot (padding after a 1- or 2-character number)."""
DOT = "・"
"""The label of a designation cell that shows a dot instead of a digit."""

_DIGITS = tuple("0123456789")

CLASSIFICATION_SLOTS = 3
CLASSIFICATION_LABELS: tuple[str, ...] = (*_DIGITS, *CLASSIFICATION_LETTERS, BLANK)
"""Per-slot vocabulary of the classification number: 10 digits, 10 letters, blank (21)."""
DESIGNATION_SLOTS = 4
DESIGNATION_LABELS: tuple[str, ...] = (*_DIGITS, DOT)
"""Per-cell vocabulary of the designation number: 10 digits and the dot (11)."""

# Probabilities are floored before the log so that a slot the net is certain about does not
# turn every other sequence into -inf (which would make their order arbitrary).
_MIN_PROBABILITY = 1e-12


@dataclass(frozen=True)
class SlotGrammar:
    """Every valid slot sequence of one field and the canonical text each one reads as.

    ``sequences[i]`` holds the label indices of sequence ``i`` (shape ``(N, slots)``) and
    ``texts[i]`` its text as :mod:`jlpr.rules` writes it (``"3A0"``, ``"12-34"``, ``"・・12"``).
    """

    labels: tuple[str, ...]
    sequences: npt.NDArray[np.intp]
    texts: tuple[str, ...]

    @property
    def slots(self) -> int:
        return int(self.sequences.shape[1])


def _read_classification(symbols: Sequence[str]) -> str | None:
    used = list(symbols)
    while used and used[-1] == BLANK:
        used.pop()
    # Blanks only pad the end: "3", "33", "330" - never "3 0".
    if not used or BLANK in used:
        return None
    text = "".join(used)
    try:
        canonical = validate_classification(text)
    except InvalidPlateError:
        return None
    return canonical if canonical == text else None


def _read_designation(symbols: Sequence[str]) -> str | None:
    cells = "".join(symbols)
    try:
        number = parse_designation(cells)
    except InvalidPlateError:
        return None
    printed = format_designation(number)
    # The cells must be exactly the printed ones (4 of them, dots filling the leading cells).
    return printed if printed.replace("-", "") == cells else None


_READERS: dict[Field, tuple[int, Callable[[Sequence[str]], str | None]]] = {
    Field.CLASSIFICATION: (CLASSIFICATION_SLOTS, _read_classification),
    Field.DESIGNATION: (DESIGNATION_SLOTS, _read_designation),
}


@lru_cache(maxsize=8)
def grammar_for(field: Field, labels: tuple[str, ...]) -> SlotGrammar:
    """The valid sequences of ``field`` (classification or designation) over ``labels``.

    ``labels`` is the per-slot vocabulary in the order of the model's outputs; it may hold
    labels that never form a valid string (they are simply never chosen). Raises
    ``ValueError`` for a field that is not read as slots or a vocabulary with no valid string.
    """
    if field not in _READERS:
        raise ValueError(f"field {field.value!r} is not read as slots")
    slots, read = _READERS[field]
    sequences: list[tuple[int, ...]] = []
    texts: list[str] = []
    for indices in itertools.product(range(len(labels)), repeat=slots):
        text = read([labels[i] for i in indices])
        if text is not None:
            sequences.append(indices)
            texts.append(text)
    if not sequences:
        raise ValueError(f"labels {labels!r} spell no valid {field.value}")
    return SlotGrammar(labels, np.asarray(sequences, dtype=np.intp), tuple(texts))


def sequence_scores(
    values: npt.NDArray[np.float64], grammar: SlotGrammar
) -> npt.NDArray[np.float64]:
    """``(batch, N)``: the sum of each valid sequence's per-slot ``values`` (``(batch, slots,
    labels)`` log-probabilities or logits), for every item.

    One gather per slot. (A product with a 0/1 sequence-indicator matrix gives the same sums,
    but numpy hands it to a multithreaded BLAS that, beside torch's threads on a small CPU,
    took 8 ms instead of 0.2 for three plates or more; ``benchmarks/bench_reader.py``.)
    """
    total = values[:, 0, grammar.sequences[:, 0]]
    for slot in range(1, grammar.slots):
        total = total + values[:, slot, grammar.sequences[:, slot]]
    return total


def top_valid(
    probabilities: npt.ArrayLike, grammar: SlotGrammar, top_k: int = 5
) -> list[list[Alternative]]:
    """The ``top_k`` most probable valid strings of each item, best first.

    ``probabilities`` has shape ``(batch, slots, labels)`` (or ``(slots, labels)`` for one
    item, which still returns a list of one list); each slot's row is a distribution over
    ``grammar.labels``. A string's confidence is the product of its slots' probabilities, so
    it is a probability in ``[0, 1]`` and the mass of invalid strings is not handed to valid
    ones (a crop the net cannot read stays unsure).
    """
    probs = np.asarray(probabilities, dtype=np.float64)
    if probs.ndim == 2:
        probs = probs[None]
    if probs.ndim != 3 or probs.shape[1:] != (grammar.slots, len(grammar.labels)):
        raise ValueError(
            f"expected probabilities of shape (batch, {grammar.slots}, {len(grammar.labels)}), "
            f"got {probs.shape}"
        )
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    log_probs = np.log(np.clip(probs, _MIN_PROBABILITY, 1.0))
    # (batch, N): log-probability of every valid sequence.
    scores = sequence_scores(log_probs, grammar)
    k = min(top_k, scores.shape[1])
    best = np.argpartition(scores, -k, axis=1)[:, -k:]
    results = []
    for row, candidates in zip(scores, best, strict=True):
        ordered = candidates[np.argsort(-row[candidates], kind="stable")]
        results.append([Alternative(grammar.texts[i], float(np.exp(row[i]))) for i in ordered])
    return results


def best_valid_sequences(scores: npt.ArrayLike, grammar: SlotGrammar) -> npt.NDArray[np.intp]:
    """The label indices ``(batch, slots)`` of each item's most probable valid sequence.

    ``scores`` ``(batch, slots, labels)`` are per-slot logits or log-probabilities. A
    temperature and a softmax scale every sequence's total by ``1 / T`` and subtract the same
    per-slot constants from all of them, which keeps their order, so the logits alone pick
    the sequence :func:`top_valid` ranks first at any temperature.
    """
    totals = sequence_scores(np.asarray(scores, dtype=np.float64), grammar)
    best: npt.NDArray[np.intp] = grammar.sequences[np.argmax(totals, axis=1)]
    return best


def encode_classification(text: str) -> list[int]:
    """The slot labels (indices into :data:`CLASSIFICATION_LABELS`) of a classification number."""
    value = validate_classification(text)
    padded = list(value) + [BLANK] * (CLASSIFICATION_SLOTS - len(value))
    return [CLASSIFICATION_LABELS.index(symbol) for symbol in padded]


def encode_designation(number: int) -> list[int]:
    """The cell labels (indices into :data:`DESIGNATION_LABELS`) of a designation number."""
    cells = format_designation(number).replace("-", "")
    return [DESIGNATION_LABELS.index(symbol) for symbol in cells]
