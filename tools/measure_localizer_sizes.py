"""Where does the localizer miss plates on synthetic scenes? Recall by plate width, and AP50
with the smallest plates left out.

The recipe's localizer is judged by ultralytics' box mAP50 on the validation windows of step
1 (docs/models.md). Those windows hold plates down to a few pixels wide; the issue asks for
plates down to ~40 px wide in a 1280x720 frame, which is 20 px in the 640-px frames the
windows are cut from. This script runs a reader's localizer (as ``read()`` does: its own
score threshold and merging) on every image of a pose dataset's split, matches its boxes to
the labelled ones at IoU >= 0.5 (greedy, surest first), and prints recall by the labelled
box's width and AP50 (``jlpr eval``'s: all-point interpolation) when plates under N px are
ignored: neither needed nor counted against a detection that finds them. Used in
docs/models.md ("Where the localizer misses synthetic plates").

Run::

    jlpr synth scenes --n 4000 --out W/scenes416 --seed 0 --size 640 --crop 416 --workers 2 \\
        --max-yaw 70 --photo-max-yaw 70 --fonts "$SCENE_FONTS"      # step 1 of the recipe
    python tools/measure_localizer_sizes.py W/scenes416 [--weights DIR] [--min-score 0.01]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from jlpr import PlateReader
from jlpr.evaluation.metrics import average_precision, match_boxes
from jlpr.image import load_image
from jlpr.types import Box

WIDTHS = (0, 16, 20, 24, 32, 40, 48, 64, 96)
# One image: its labelled boxes, the boxes found with their scores (surest first), and for
# each found box the index of the labelled one it matches (IoU >= 0.5) or None.
Result = tuple[list[Box], list[tuple[Box, float]], list[int | None]]


def labels(path: Path, width: int, height: int) -> list[Box]:
    """The labelled boxes (the box columns of an ultralytics pose label file) in pixels."""
    boxes = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            v = [float(x) for x in line.split()]
            if v:
                cx, cy, w, h = v[1] * width, v[2] * height, v[3] * width, v[4] * height
                boxes.append(Box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
    return boxes


def evaluate(truth: list[Box], found: list[tuple[Box, float]]) -> Result:
    ranked = sorted(found, key=lambda d: -d[1])
    return truth, ranked, match_boxes([box for box, _ in ranked], truth, 0.5)


def ap50(results: list[Result], min_width: float) -> float:
    """AP50 with the labelled plates under ``min_width`` px ignored: not counted as
    positives, and a box that finds one counted neither right nor wrong."""
    scored: list[tuple[float, bool]] = []
    positives = 0
    for truth, found, matches in results:
        small = {i for i, box in enumerate(truth) if box.width < min_width}
        positives += len(truth) - len(small)
        scored += [(s, m is not None) for (_, s), m in zip(found, matches, strict=True)
                   if m not in small]  # fmt: skip
    return average_precision(scored, positives)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="a pose dataset of `jlpr synth scenes`")
    parser.add_argument("--weights", default=None, help="reader folder (default: bundled)")
    parser.add_argument("--split", default="val")
    parser.add_argument(
        "--min-score",
        type=float,
        default=None,
        help="keep boxes down to this score (default: the localizer's own threshold; "
        "ultralytics' mAP scores every candidate, down to 0.001)",
    )
    parser.add_argument(
        "--min-scale",
        type=float,
        default=None,
        help="search larger images until seen at this share of their size (default: the "
        "localizer's own; 1 searches a 1280-px frame at 640 and 1280 px)",
    )
    parser.add_argument(
        "--ignore",
        default="0,16,20,24",
        help="comma-separated plate widths (px) under which plates are ignored for AP50",
    )
    args = parser.parse_args()
    localizer = PlateReader.from_pretrained(args.weights).localizer
    if localizer is None:
        raise SystemExit(f"{args.weights}: this reader has no localizer")
    if args.min_score is not None:
        localizer.min_score = args.min_score  # type: ignore[attr-defined]
    if args.min_scale is not None:
        localizer.min_scale = args.min_scale  # type: ignore[attr-defined]
    results = []
    for path in sorted((args.data / "images" / args.split).glob("*.jpg")):
        image = load_image(path)
        height, width = image.shape[:2]
        truth = labels(args.data / "labels" / args.split / f"{path.stem}.txt", width, height)
        results.append(evaluate(truth, [(r.box, r.score) for r in localizer.locate(image)]))
    widths = np.array([box.width for truth, _, _ in results for box in truth])
    hit = np.concatenate(
        [[i in matches for i in range(len(truth))] for truth, _, matches in results]
    ).astype(bool)
    false = sum(m is None for _, _, matches in results for m in matches)
    print(f"{len(results)} images, {len(widths)} plates, recall {hit.mean():.3f}, "
          f"{false} unmatched detections\n")  # fmt: skip
    print("| plate width (px) | plates | recall |\n|---|---:|---:|")
    for low, high in zip(WIDTHS, (*WIDTHS[1:], None), strict=True):
        inside = (widths >= low) & (widths < (high if high is not None else np.inf))
        if inside.any():
            label = f"{low}-{high}" if high is not None else f"{low} and wider"
            print(f"| {label} | {inside.sum()} | {hit[inside].mean():.3f} |")
    print("\n| plates ignored under (px) | AP50 |\n|---:|---:|")
    for ignored in (float(x) for x in args.ignore.split(",")):
        print(f"| {ignored:g} | {ap50(results, ignored):.3f} |")


if __name__ == "__main__":
    main()
