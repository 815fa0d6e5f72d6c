"""Compare where the rectifier starts on loose synthetic crops: corner error and fields read.

The crops must come from ``jlpr synth plates --kind loose`` (their ``labels.csv`` notes hold
the drawn corners). For each variant the script reports the worst corner's distance from
the drawn one, as a share of the plate width (median, p90), and the share of crops whose
region name, classification number and kana are all read right::

    jlpr synth plates --n 1000 --out H --seed 777 --kind loose
    python tools/compare_rectifiers.py H --n 300
    python tools/compare_rectifiers.py H --n 1000 --max-width 100   # small plates only

Crops with a hidden field (``hidden=`` in the notes) are left out: their labels are partial.

Variants: the localizer's corners warped as they are (``perspective``), the localizer's
corners refined (``cnn-refine``), the whole crop refined (what ``recognize()`` does), and the
drawn corners warped (the ceiling the classifiers allow).
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np

from jlpr import PlateReader
from jlpr.image import load_image
from jlpr.interfaces import ImageArray, Rectifier
from jlpr.rectify import PerspectiveRectifier
from jlpr.types import Box, Plate, PlateRegion, Quad

Variant = Callable[[PlateReader, ImageArray, np.ndarray], Plate]


def _with_localizer(rectifier: Rectifier | None) -> Variant:
    def run(reader: PlateReader, image: ImageArray, truth: np.ndarray) -> Plate:
        swapped = reader.with_components(rectifier) if rectifier is not None else reader
        return swapped.recognize(image, locate=True)

    return run


def _whole(reader: PlateReader, image: ImageArray, truth: np.ndarray) -> Plate:
    return reader.recognize(image, locate=False)


def _truth(reader: PlateReader, image: ImageArray, truth: np.ndarray) -> Plate:
    quad = Quad.from_points(truth)
    region = PlateRegion(quad.to_box(), 1.0, quad)
    perspective = reader.with_components(PerspectiveRectifier(reader.rectifier.output_size))
    return perspective._decode([perspective.rectifier.rectify(image, region)], [region])[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="folder written by jlpr synth plates --kind loose")
    parser.add_argument("--n", type=int, default=300, help="crops to use (default 300)")
    parser.add_argument("--weights", default=None, help="reader folder (default: bundled)")
    parser.add_argument(
        "--max-width",
        type=float,
        default=None,
        metavar="PX",
        help="only plates whose labelled box is narrower than PX (of the first --n crops)",
    )
    args = parser.parse_args()
    reader = PlateReader.from_pretrained(args.weights)
    rows = list(csv.DictReader((args.data / "labels.csv").open(encoding="utf-8")))[: args.n]
    rows = [row for row in rows if "hidden=" not in row["notes"]]
    if args.max_width is not None:
        rows = [row for row in rows if float(row["box_xywh"].split()[2]) < args.max_width]
    variants: dict[str, Variant] = {
        "localizer corners, perspective warp": _with_localizer(
            PerspectiveRectifier(reader.rectifier.output_size)
        ),
        "localizer corners, reader's rectifier": _with_localizer(None),
        "whole crop, reader's rectifier": _whole,
        "drawn corners, perspective warp": _truth,
    }
    print(f"{len(rows)} crops of {args.data}; rectifier: {type(reader.rectifier).__name__}")
    print("| start of the rectifier | corner error median / p90 | first three fields right |")
    print("|---|---:|---:|")
    for name, variant in variants.items():
        errors, right = [], 0
        for row in rows:
            image = load_image(args.data / row["file"])
            notes = dict(item.split("=", 1) for item in row["notes"].split(";"))
            truth = np.array([float(v) for v in notes["corners"].split(",")]).reshape(4, 2)
            plate = variant(reader, image, truth)
            if plate.corners is not None:
                found = np.array(plate.corners.points)
            else:
                box = plate.box or Box(0.0, 0.0, 1.0, 1.0)
                found = np.array(Quad.from_box(box).points)
            width = float(np.ptp(truth[:, 0]))
            errors.append(float(np.linalg.norm(found - truth, axis=1).max()) / width)
            office = plate.office.kanji if plate.office else None
            fields = (office, plate.classification, plate.kana)
            right += fields == (row["office"], row["classification"], row["kana"])
        e = np.array(errors)
        print(
            f"| {name} | {100 * np.median(e):.1f} % / {100 * np.percentile(e, 90):.1f} % "
            f"| {100 * right / len(rows):.0f} % |"
        )


if __name__ == "__main__":
    main()
