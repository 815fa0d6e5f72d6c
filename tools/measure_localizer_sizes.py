"""Where does the localizer miss plates on synthetic scenes? Recall by plate width, and AP50
with the smallest plates left out.

The recipe's localizer is judged by ultralytics' box mAP50 on the validation windows of step
1 (docs/models.md). Those windows hold plates down to a few pixels wide; the issue asks for
plates down to ~40 px wide in a 1280x720 frame, which is 20 px in the 640-px frames the
windows are cut from. This script runs a reader's localizer (as ``read()`` does: its own
score threshold and merging) on every image of a pose dataset's split, matches its boxes to
the labelled ones at IoU >= 0.5 (greedy, surest first), and prints recall by the labelled
box's width and AP50 (101-point interpolation as in ultralytics, where a perfect detector
scores 0.995) when plates under N px are ignored: neither needed nor counted against a
detection that finds them. Used in docs/models.md ("Where the localizer misses synthetic
plates").

Run::

    jlpr synth scenes --n 4000 --out W/scenes416 --seed 0 --size 640 --crop 416 --workers 2 \\
        --max-yaw 70 --photo-max-yaw 70 --fonts "$SCENE_FONTS"      # step 1 of the recipe
    python tools/measure_localizer_sizes.py W/scenes416 [--weights DIR] [--split val]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from jlpr import PlateReader
from jlpr.image import load_image

Box = tuple[float, float, float, float]
WIDTHS = (0, 16, 20, 24, 32, 48, 64, 96)


def iou(a: Box, b: Box) -> float:
    x1, y1, x2, y2 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def labels(path: Path, width: int, height: int) -> list[Box]:
    boxes = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            v = [float(x) for x in line.split()]
            if v:
                cx, cy, w, h = v[1] * width, v[2] * height, v[3] * width, v[4] * height
                boxes.append((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
    return boxes


def match(truth: list[Box], found: list[tuple[Box, float]]) -> list[tuple[float, int]]:
    """(score, index of the labelled box it finds or -1) per detection, surest first."""
    taken: set[int] = set()
    out = []
    for box, score in sorted(found, key=lambda d: -d[1]):
        best, index = 0.5, -1
        for i, t in enumerate(truth):
            overlap = iou(t, box)
            if i not in taken and overlap >= best:
                best, index = overlap, i
        if index >= 0:
            taken.add(index)
        out.append((score, index))
    return out


def ap50(results: list[tuple[list[Box], list[tuple[float, int]]]], min_width: float) -> float:
    scored: list[tuple[float, int]] = []
    positives = 0
    for truth, matched in results:
        small = {i for i, t in enumerate(truth) if t[2] - t[0] < min_width}
        positives += len(truth) - len(small)
        scored += [(s, int(i >= 0)) for s, i in matched if i not in small or i < 0]
    scored.sort(key=lambda d: -d[0])
    hits = np.cumsum([h for _, h in scored])
    recall = hits / max(positives, 1)
    precision = hits / np.arange(1, len(scored) + 1)
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.flip(np.maximum.accumulate(np.flip(np.concatenate([[1.0], precision, [0.0]]))))
    grid = np.linspace(0, 1, 101)
    return float(np.trapezoid(np.interp(grid, mrec, mpre), grid))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="a pose dataset of `jlpr synth scenes`")
    parser.add_argument("--weights", default=None, help="reader folder (default: bundled)")
    parser.add_argument("--split", default="val")
    args = parser.parse_args()
    localizer = PlateReader.from_pretrained(args.weights).localizer
    if localizer is None:
        raise SystemExit(f"{args.weights}: this reader has no localizer")
    results = []
    for path in sorted((args.data / "images" / args.split).glob("*.jpg")):
        image = load_image(path)
        height, width = image.shape[:2]
        truth = labels(args.data / "labels" / args.split / f"{path.stem}.txt", width, height)
        found = [((r.box.x1, r.box.y1, r.box.x2, r.box.y2), r.score)
                 for r in localizer.locate(image)]  # fmt: skip
        results.append((truth, match(truth, found)))
    widths = np.array([t[2] - t[0] for truth, _ in results for t in truth])
    hit = np.zeros(len(widths), dtype=bool)
    offset = 0
    for truth, matched in results:
        for _, i in matched:
            if i >= 0:
                hit[offset + i] = True
        offset += len(truth)
    false = sum(1 for _, matched in results for _, i in matched if i < 0)
    print(f"{len(results)} images, {len(widths)} plates, recall {hit.mean():.3f}, "
          f"{false} unmatched detections\n")  # fmt: skip
    print("| plate width (px) | plates | recall |\n|---|---:|---:|")
    for low, high in zip(WIDTHS, (*WIDTHS[1:], None), strict=True):
        inside = (widths >= low) & (widths < (high if high is not None else np.inf))
        if inside.any():
            label = f"{low}-{high}" if high is not None else f"{low} and wider"
            print(f"| {label} | {inside.sum()} | {hit[inside].mean():.3f} |")
    print("\n| plates ignored under (px) | AP50 |\n|---:|---:|")
    for low in (0, 16, 20, 24):
        print(f"| {low} | {ap50(results, low):.3f} |")


if __name__ == "__main__":
    main()
