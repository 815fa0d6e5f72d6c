"""How many labelled plates does the localizer find, in its own search or in single views?

Reads a folder with a ``labels.csv`` in the real-dev schema (``box_xywh`` in image pixels)
and counts, over the images whose plates have boxes, the plates that some detection (score
>= the localizer's ``min_score``, 0.25 by default) overlaps with IoU >= 0.3, and separately
those in images numbered ``--oblique FIRST-LAST`` (the real-dev frames 79-97 show the plate
strongly turned). Also counts the other detections, and those in images without any
labelled plate. Images are only read, never written.

Without ``--view`` the bundled (or ``--weights``) localizer searches as it does in
``read()``, with ``--stretch`` and ``--min-scale`` overriding its own settings. Each
``--view SXxSY`` instead runs the network once on the image scaled by SX across and SY down
(e.g. ``0.952x0.952``: the plain 1280 px view of a 1344 px frame; ``1.346x0.673``: the same
pixels, twice as wide). Used in docs/models.md ("Plates seen from the side").

Run: ``python tools/probe_localizer_views.py ../shared/data/real-dev --stretch 1 2`` or
``... --view 0.952x0.952 1.346x0.673 2.02x0.673``.
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

import numpy as np
from PIL import Image

from jlpr import PlateReader
from jlpr.image import load_image
from jlpr.models.localizer import Letterbox, YoloPoseLocalizer, letterbox
from jlpr.types import Box, PlateRegion

MATCH_IOU = 0.3


def iou(a: Box, b: Box) -> float:
    inter = a.intersection(b)
    return inter / (a.area + b.area - inter)


def single_view(
    localizer: YoloPoseLocalizer, image: np.ndarray, sx: float, sy: float
) -> list[PlateRegion]:
    """The network run once on ``image`` scaled by ``sx`` across and ``sy`` down."""
    height, width = image.shape[:2]
    new_width, new_height = max(1, round(width * sx)), max(1, round(height * sy))
    resample = Image.Resampling.BOX if sx <= 1 and sy <= 1 else Image.Resampling.BILINEAR
    resized = np.asarray(Image.fromarray(image).resize((new_width, new_height), resample))
    # letterbox pads the scaled image (it never enlarges it, so at its own size it only pads).
    canvas, _ = letterbox(resized, max(new_width, new_height))
    where = Letterbox(
        scale=(new_width / width, new_height / height), resized=(new_width, new_height)
    )
    return localizer._regions(localizer._detect([canvas])[0], where, width, height)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--weights", type=Path, help="a saved reader (default: the bundled one)")
    parser.add_argument("--stretch", type=float, nargs="*", default=[])
    parser.add_argument("--min-scale", type=float)
    parser.add_argument("--view", nargs="*", default=[], metavar="SXxSY")
    parser.add_argument("--oblique", default="79-97", metavar="FIRST-LAST")
    args = parser.parse_args()
    localizer = PlateReader.from_pretrained(args.weights).localizer
    assert isinstance(localizer, YoloPoseLocalizer)
    if args.min_scale is not None:
        localizer.min_scale = args.min_scale
    first, last = (int(v) for v in args.oblique.split("-"))
    with (args.folder / "labels.csv").open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    by_file: dict[str, list[Box]] = {}
    unboxed = set()
    for row in rows:
        boxes = by_file.setdefault(row["file"], [])
        if row["box_xywh"]:
            x, y, w, h = (float(v) for v in row["box_xywh"].split())
            boxes.append(Box(x, y, x + w, y + h))
        elif row["office"]:
            unboxed.add(row["file"])  # a readable plate without a box: cannot be scored
    images = {name: load_image(args.folder / name) for name in by_file if name not in unboxed}
    # (name, stretch of the localizer's own search, or the scales of one single view)
    searches: list[tuple[str, float, tuple[float, float] | None]] = [
        (f"stretch {v:g}", v, None) for v in args.stretch
    ]
    for view in args.view:
        sx, sy = (float(v) for v in view.split("x"))
        searches.append((f"view {view}", 1.0, (sx, sy)))
    if not searches:
        searches.append((f"stretch {localizer.stretch:g}", localizer.stretch, None))
    for name, stretch, scales in searches:
        found = oblique = oblique_total = total = other = empty = 0
        for file, array in images.items():
            if scales is not None:
                regions = single_view(localizer, array, *scales)
            else:
                localizer.stretch = stretch
                regions = localizer.locate(array)
            truth = by_file[file]
            if not truth:
                empty += len(regions)
                continue
            number = re.findall(r"\d+", Path(file).stem)
            turned = bool(number) and first <= int(number[-1]) <= last
            for box in truth:
                hit = any(iou(r.box, box) >= MATCH_IOU for r in regions)
                total += 1
                found += hit
                oblique_total += turned
                oblique += turned and hit
            other += sum(not any(iou(r.box, b) >= MATCH_IOU for b in truth) for r in regions)
        print(
            f"{name}: found {found} of {total} boxed plates, {oblique} of {oblique_total} in "
            f"images {first}-{last}; other detections {other}; detections in images without "
            f"a labelled plate {empty}",
            flush=True,
        )


if __name__ == "__main__":
    main()
