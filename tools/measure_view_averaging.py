"""Does reading each field region several times, shifted, and averaging help the text nets?

Every crop of a ``jlpr synth plates`` folder is rectified once by the reader's rectifier
(from the whole crop, as ``recognize()`` does); then each text classifier reads its region
once as shipped, and again as the average log-probability over 3, 5 and 9 views: the region
moved by 1 % of the plate's width and 1.5 % of its height (diagonally first, then along one
axis) or scaled by 0.96 and 1.04, well inside the jitter the nets trained with (2 %, 3 %,
8 %). Prints per field and view count the accuracy on all crops and on plates under and over
100 px wide. Used in docs/experiments.md (it did not help: -0.1 to +0.6 points, within noise).

Run: ``python tools/measure_view_averaging.py H`` with ``H`` from ``jlpr synth plates --n
1000 --out H --seed 777 --kind loose``; ``--weights DIR`` for another saved reader.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import torch

from jlpr import PlateReader
from jlpr.image import load_image
from jlpr.models.fields import CnnFieldClassifier, Region
from jlpr.types import Box, Field, PlateRegion

COLUMNS = {
    Field.OFFICE: "office",
    Field.CLASSIFICATION: "classification",
    Field.KANA: "kana",
    Field.DESIGNATION: "number",
}
SHIFT = (0.01, 0.015)
# Offsets (dx, dy in plate units) and scales after the region as configured, in the order used.
MOVES = [(-1, -1, 1.0), (1, 1, 1.0), (-1, 1, 1.0), (1, -1, 1.0), (0, 0, 0.96), (0, 0, 1.04)]
MOVES += [(-1, 0, 1.0), (1, 0, 1.0)]


def views(region: Region, count: int) -> list[Region]:
    """``count`` regions: the configured one, then moved or scaled copies."""
    x0, y0, x1, y1 = region
    cx, cy, half_w, half_h = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    out = [region]
    for dx, dy, scale in MOVES[: count - 1]:
        x, y = cx + dx * SHIFT[0], cy + dy * SHIFT[1]
        out.append((x - half_w * scale, y - half_h * scale, x + half_w * scale, y + half_h * scale))
    return out


def read_averaged(classifier: CnnFieldClassifier, image: torch.Tensor, count: int) -> str | None:
    """The field read from ``count`` views of the ``(1, 3, H, W)`` float crop ``image``."""
    regions = torch.tensor(views(classifier.config.region, count), dtype=torch.float32)
    inputs = classifier.prepare(image.expand(count, -1, -1, -1), regions)
    temperature = classifier.config.temperature
    with torch.inference_mode():
        logits = classifier.net(inputs) / temperature
        mean = torch.log_softmax(logits, dim=-1).mean(dim=0, keepdim=True)
    # readings() divides by the temperature again: hand it back the undivided scale.
    return classifier.readings(mean * temperature)[0].value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="a `jlpr synth plates --kind loose` folder")
    parser.add_argument("--weights", type=Path, default=None, help="a saved reader folder")
    args = parser.parse_args()
    reader = PlateReader.from_pretrained(args.weights)
    with open(args.data / "labels.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    crops, widths = [], []
    for row in rows:
        image = load_image(args.data / row["file"])
        height, width = image.shape[:2]
        whole = PlateRegion(box=Box(0.0, 0.0, float(width), float(height)), score=1.0)
        crop = reader.rectifier.rectify(image, whole).image
        # As a float tensor once: every field and view count reads the same crop.
        crops.append(torch.from_numpy(np.array(crop)).permute(2, 0, 1)[None].float())
        widths.append(float(row["box_xywh"].split()[2]))
    small = np.array(widths) < 100
    print(f"{len(rows)} crops, {int(small.sum())} under 100 px wide")
    for field, column in COLUMNS.items():
        classifier = reader.classifiers[field]
        assert isinstance(classifier, CnnFieldClassifier)
        # Fields an occluder hides have no label (docs/synth.md): they are left out.
        shown = [i for i, row in enumerate(rows) if row[column]]
        under = small[shown]
        for count in (1, 3, 5, 9):
            right = np.array(
                [read_averaged(classifier, crops[i], count) == rows[i][column] for i in shown]
            )
            print(
                f"{field.value:15s} {count} views: all {right.mean():.3f}  "
                f"<100 px {right[under].mean():.3f}  >=100 px {right[~under].mean():.3f}"
            )


if __name__ == "__main__":
    main()
