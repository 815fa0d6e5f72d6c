"""Would a plate-level calibration fitted on synthetic data make ``Plate.confidence`` better?

The reader's plate confidence is the product of its field confidences (each temperature-
calibrated by its trainer) times the localizer's score. On synthetic frames that product is
under-confident (``jlpr eval`` reports an ECE of ~0.18 on 1920-px scenes): field errors are
correlated, and the detection score is not a probability. This script fits the usual fix, a
logistic model on the log field confidences and the log detection score (weights kept
non-negative, so a surer field never lowers the plate's confidence), on the ``--fit``
folders, and compares it with the product on every ``--test`` folder: calibration error
(ECE, 15 bins), log loss, and what ``min_confidence`` 0.5 would report. A second table does
the same for a calibration of the product alone, ``sigmoid(a + b * log product)`` fitted apart
for crops and for detected plates, which keeps every field's say in the plate's confidence.
A third calibrates the detection score alone: ``sigmoid(a + b * logit score)`` fitted on
whether each detected plate matches a labelled one, in place of the raw score in the
product (the field confidences untouched; crops unchanged).

Every plate the reader finds counts (the reader runs with ``min_confidence`` 0); a plate is
right when it matches a label and reads its text exactly (``jlpr eval``'s rule). Used in
docs/models.md ("Plate confidence: why it stays a product"): the fits fix the synthetic
sets and report real-dev plates that are confidently misread.

Run (folders from ``jlpr synth``; ``:crop`` reads a folder's images as crops)::

    jlpr synth plates --n 2000 --out C --seed 4242 --kind loose
    jlpr synth scenes --n 800 --out S --seed 4243 --size 1280 --workers 2
    jlpr synth scenes --n 400 --out T --seed 4244 --size 1920 --workers 2
    python tools/measure_plate_calibration.py --fit C:crop S/images/train T/images/train \\
        --test H:crop B/images/val ../shared/data/real-dev

with ``H`` and ``B`` the held-out sets of docs/models.md.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

import numpy as np
import torch

from jlpr import PlateReader
from jlpr.decode import decode_readings
from jlpr.evaluation.metrics import expected_calibration_error
from jlpr.evaluation.runner import CALIBRATION_BINS, TEXT_FIELDS, evaluate
from jlpr.types import Field, Plate

FEATURES = (Field.OFFICE, Field.CLASSIFICATION, Field.KANA, Field.DESIGNATION, Field.SCHEME)
"""Log confidence of each of these fields, then the log detection score (0 for crops)."""
FLOOR = 1e-6


@dataclass
class Found:
    """Every plate the reader found in one folder: features, product confidence, right?"""

    name: str
    features: np.ndarray
    product: np.ndarray
    right: np.ndarray
    detected: np.ndarray
    score: np.ndarray
    """The detection score (1 for crops)."""
    matched: np.ndarray
    """Whether the plate matches a labelled one (read right or not)."""


def _text(plate: Plate | None) -> tuple[str | None, ...]:
    if plate is None:
        return (None, None, None, None)
    office = plate.office.kanji if plate.office else None
    return (office, plate.classification, plate.kana, plate.designation_text)


def collect(reader: PlateReader, spec: str) -> Found:
    directory, _, kind = spec.partition(":")
    evaluation = evaluate(reader, directory, kind=kind or "auto")
    rows, product, right, detected, scores, matched = [], [], [], [], [], []
    for result in evaluation.files:
        for plate, match in zip(result.plates, result.matches, strict=True):
            decoded = decode_readings(plate.readings, reader.min_field_confidence)
            row = [math.log(max(decoded.confidences.get(f, 0.0), FLOOR)) for f in FEATURES]
            score = plate.detection_score
            row.append(math.log(max(score, FLOOR)) if score is not None else 0.0)
            rows.append(row)
            product.append(plate.confidence)
            detected.append(score is not None)
            scores.append(score if score is not None else 1.0)
            matched.append(match is not None)
            if match is None:
                right.append(False)
            else:
                fields = result.image.plates[match].fields
                truth = tuple(fields[f] for f in TEXT_FIELDS)
                right.append(_text(plate) == truth)
    return Found(
        spec,
        np.array(rows, dtype=np.float64).reshape(-1, len(FEATURES) + 1),
        np.array(product),
        np.array(right, dtype=bool),
        np.array(detected, dtype=bool),
        np.array(scores, dtype=np.float64),
        np.array(matched, dtype=bool),
    )


def fit(features: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, float]:
    """Weights (>= 0, as softplus) and bias of the logistic model, by L-BFGS."""
    x = torch.tensor(features)
    y = torch.tensor(right, dtype=torch.float64)
    raw = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([raw, bias], max_iter=500, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        weights = torch.nn.functional.softplus(raw)
        logits = bias + x @ weights
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y)
        loss = loss + 1e-4 * (weights**2).sum()
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    optimizer.step(closure)  # type: ignore[no-untyped-call]
    weights = torch.nn.functional.softplus(raw).detach().numpy()
    return weights, float(bias.detach()[0])


def _fit_line(logs: np.ndarray, right: np.ndarray) -> tuple[float, float]:
    """``(a, b)`` minimising the log loss of ``sigmoid(a + b * logs)``, by L-BFGS."""
    x = torch.tensor(logs)
    y = torch.tensor(right, dtype=torch.float64)
    a = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    b = torch.ones(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([a, b], max_iter=500, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(a + b * x, y)
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    optimizer.step(closure)  # type: ignore[no-untyped-call]
    return float(a.detach()[0]), float(b.detach()[0])


def fit_product(found: list[Found]) -> dict[bool, tuple[float, float]]:
    """``(a, b)`` of ``sigmoid(a + b * log product)`` for crops (False) and detected plates
    (True), each fitted on the ``found`` plates of that kind."""
    params = {}
    for detected in (False, True):
        product = np.concatenate([f.product[f.detected == detected] for f in found])
        right = np.concatenate([f.right[f.detected == detected] for f in found])
        logs = np.log(np.clip(product, FLOOR, 1.0))
        params[detected] = _fit_line(logs, right) if len(right) else (0.0, 1.0)
    return params


def calibrate_product(found: Found, params: dict[bool, tuple[float, float]]) -> np.ndarray:
    out = np.empty_like(found.product)
    for detected, (a, b) in params.items():
        chosen = found.detected == detected
        logits = a + b * np.log(np.clip(found.product[chosen], FLOOR, 1.0))
        out[chosen] = 1.0 / (1.0 + np.exp(-logits))
    return out


def _logit(score: np.ndarray) -> np.ndarray:
    p = np.clip(score, FLOOR, 1.0 - FLOOR)
    return np.asarray(np.log(p / (1.0 - p)))


def fit_detection(found: list[Found]) -> tuple[float, float]:
    """``(a, b)`` of ``sigmoid(a + b * logit score)`` = P(the detection is a labelled plate),
    fitted on the detected plates of ``found``."""
    scores = np.concatenate([f.score[f.detected] for f in found])
    matched = np.concatenate([f.matched[f.detected] for f in found])
    return _fit_line(_logit(scores), matched) if len(matched) else (0.0, 1.0)


def calibrate_detection(found: Found, params: tuple[float, float]) -> np.ndarray:
    a, b = params
    out: np.ndarray = found.product.copy()
    chosen = found.detected
    probability = 1.0 / (1.0 + np.exp(-(a + b * _logit(found.score[chosen]))))
    out[chosen] = found.product[chosen] / np.clip(found.score[chosen], FLOOR, 1.0) * probability
    return out


def ece(confidence: np.ndarray, right: np.ndarray) -> float:
    return expected_calibration_error(confidence.tolist(), right.tolist(), CALIBRATION_BINS)


def log_loss(confidence: np.ndarray, right: np.ndarray) -> float:
    p = np.clip(confidence, FLOOR, 1 - FLOOR)
    return float(-np.mean(np.where(right, np.log(p), np.log(1 - p))))


def reported(confidence: np.ndarray, right: np.ndarray) -> str:
    chosen = confidence >= 0.5
    share = f"{right[chosen].mean():.1%}" if chosen.any() else "-"
    return f"{int(chosen.sum())} ({share} right)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fit", nargs="+", required=True, metavar="DIR[:crop]")
    parser.add_argument("--test", nargs="+", required=True, metavar="DIR[:crop]")
    parser.add_argument("--weights", help="a saved reader (default: the bundled one)")
    args = parser.parse_args()
    reader = PlateReader.from_pretrained(args.weights, min_confidence=0.0)
    fitted = [collect(reader, spec) for spec in args.fit]
    weights, bias = fit(
        np.concatenate([f.features for f in fitted]), np.concatenate([f.right for f in fitted])
    )
    names = [f.value for f in FEATURES] + ["detection"]
    print(f"fitted on {sum(len(f.right) for f in fitted)} plates: bias {bias:.2f}, weights")
    print("  " + ", ".join(f"{n} {w:.2f}" for n, w in zip(names, weights, strict=True)))
    print()
    product_params = fit_product(fitted)
    print(
        "product alone: "
        + ", ".join(
            f"{'frames' if d else 'crops'} a {a:.2f} b {b:.2f}"
            for d, (a, b) in product_params.items()
        )
    )
    detection_params = fit_detection(fitted)
    print("detection score alone: a {:.2f} b {:.2f}".format(*detection_params))
    tested = [collect(reader, spec) for spec in args.test]
    for title, calibrate in (
        ("fitted", lambda f: 1.0 / (1.0 + np.exp(-(bias + f.features @ weights)))),
        ("product alone", lambda f: calibrate_product(f, product_params)),
        ("detection score calibrated", lambda f: calibrate_detection(f, detection_params)),
    ):
        print()
        print(f"| folder | plates (right) | ECE product -> {title} | log loss | reported >= 0.5 |")
        print("|---|---:|---:|---:|---|")
        for found in tested:
            calibrated = calibrate(found)
            for name, chosen in (("", slice(None)), (" (frames)", found.detected)):
                if name and (found.detected.all() or not found.detected.any()):
                    continue
                p, c, r = found.product[chosen], calibrated[chosen], found.right[chosen]
                print(
                    f"| {found.name}{name} | {len(r)} ({int(r.sum())}) "
                    f"| {ece(p, r):.3f} -> {ece(c, r):.3f} "
                    f"| {log_loss(p, r):.3f} -> {log_loss(c, r):.3f} "
                    f"| {reported(p, r)} -> {reported(c, r)} |"
                )


if __name__ == "__main__":
    main()
