"""How much the corners cost on whole synthetic frames: each labelled plate read as ``read()``
reads it, and again from its drawn corners, exact plates by plate width.

The frames must come from ``jlpr synth scenes`` (their ``labels.csv`` notes hold the drawn
corners)::

    jlpr synth scenes --n 600 --val 1.0 --out S1280 --seed 9 --size 1280 --workers 2
    python tools/compare_frame_corners.py S1280/images/val --min-width 40

Plates with a hidden field (``hidden=`` in the notes) are left out: their labels are
partial. A plate counts as read by ``read()`` when a plate found at any confidence overlaps
its labelled box by IoU 0.3 or more (as ``jlpr eval`` matches them) and its region name,
classification, kana and designation are right. The drawn corners are warped as they are
(``perspective``) and refined by the reader's rectifier from them (the ceiling the
classifiers allow, and what refining costs or gains there).
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path

import numpy as np

from jlpr import PlateReader
from jlpr.evaluation.metrics import match_boxes
from jlpr.image import load_image
from jlpr.rectify import PerspectiveRectifier
from jlpr.types import Box, Plate, PlateRegion, Quad

BINS = (40.0, 60.0, 100.0, 200.0)
"""Lower edges of the width bins (px); the last bin is open."""


def _text(plate: Plate | None) -> tuple[str | None, ...]:
    if plate is None:
        return (None, None, None, None)
    office = plate.office.kanji if plate.office else None
    return (office, plate.classification, plate.kana, plate.designation_text)


def _bin(width: float) -> str:
    edges = [e for e in BINS if e <= width]
    low = edges[-1] if edges else 0.0
    higher = [e for e in BINS if e > width]
    return f"{low:g}-{higher[0]:g} px" if higher else f"{low:g} px and more"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="a frames folder of jlpr synth scenes")
    parser.add_argument("--weights", default=None, help="reader folder (default: bundled)")
    parser.add_argument(
        "--min-width", type=float, default=40.0, metavar="PX", help="narrower plates are left out"
    )
    parser.add_argument("--limit", type=int, default=None, help="only the first N frames")
    args = parser.parse_args()
    reader = PlateReader.from_pretrained(args.weights).with_components(min_confidence=0.0)
    perspective = PerspectiveRectifier(reader.rectifier.output_size)
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in csv.DictReader((args.data / "labels.csv").open(encoding="utf-8")):
        if "corners=" in row["notes"]:
            rows[row["file"]].append(row)
    files = sorted(rows)[: args.limit]
    counts: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(4, dtype=int))
    for file in files:
        image = load_image(args.data / file)
        labels = rows[file]
        boxes = []
        for row in labels:
            x, y, w, h = (float(v) for v in row["box_xywh"].split())
            boxes.append(Box(x, y, x + w, y + h))
        found = reader.read(image)
        matched = match_boxes([p.box for p in found if p.box is not None], boxes, 0.3)
        by_label = {label: found[i] for i, label in enumerate(matched) if label is not None}
        for index, (row, box) in enumerate(zip(labels, boxes, strict=True)):
            if "hidden=" in row["notes"] or box.x2 - box.x1 < args.min_width:
                continue
            truth = (row["office"], row["classification"], row["kana"], row["number"])
            notes = dict(item.split("=", 1) for item in row["notes"].split(";"))
            corners = np.array([float(v) for v in notes["corners"].split(",")]).reshape(4, 2)
            quad = Quad.from_points(corners)
            region = PlateRegion(quad.to_box(), 1.0, quad)
            drawn = reader._decode([perspective.rectify(image, region)], [region])[0]
            refined = reader._decode([reader.rectifier.rectify(image, region)], [region])[0]
            results = (_text(by_label.get(index)), _text(drawn), _text(refined))
            counts[_bin(box.x2 - box.x1)] += [1, *(text == truth for text in results)]
    print(f"{len(files)} frames of {args.data}; plates {args.min_width:g} px and wider")
    print("| plate width | plates | read() | drawn corners | drawn corners, refined |")
    print("|---|---:|---:|---:|---:|")
    for name in sorted(counts, key=lambda k: float(k.split()[0].split("-")[0])):
        n, *right = counts[name]
        cells = " | ".join(f"{100 * r / n:.1f} %" for r in right)
        print(f"| {name} | {n} | {cells} |")


if __name__ == "__main__":
    main()
