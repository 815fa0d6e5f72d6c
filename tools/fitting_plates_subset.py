"""Copy the labels of a ``jlpr synth plates`` folder, keeping plates that could exist.

The training generator draws classification numbers without regard to the vehicle class
(15 % of kei plates start with any digit, and no kei number keeps to the 80-99 range), so
its held-out sets hold plates that real roads never show, on which the decoder's
vehicle-class preference (:func:`jlpr.rules.classification_fits`) can only cost. This writes
``OUT/labels.csv`` with the rows whose classification number fits the vehicle class of the
plate's scheme (``scheme=...`` in ``notes``) and links the image folders, so that ``jlpr eval
OUT --kind crop`` scores the reader on plates that can exist. Used in docs/models.md.

Run: ``python tools/fitting_plates_subset.py H H-fit``.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from jlpr.rules import ColorScheme, classification_fits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a folder written by jlpr synth plates")
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    with (args.source / "labels.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fieldnames = list(reader.fieldnames or [])
        rows = list(reader)
    kept = []
    for row in rows:
        notes = dict(item.split("=", 1) for item in row["notes"].split(";") if "=" in item)
        scheme = ColorScheme(notes["scheme"])
        number = row["classification"]
        if not number or classification_fits(number, scheme.vehicle_class):
            kept.append(row)
    args.out.mkdir(parents=True, exist_ok=True)
    for folder in {Path(row["file"]).parts[0] for row in kept}:
        link = args.out / folder
        if not link.exists():
            link.symlink_to((args.source / folder).resolve(), target_is_directory=True)
    with (args.out / "labels.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(kept)
    print(f"kept {len(kept)} of {len(rows)} plates in {args.out / 'labels.csv'}")


if __name__ == "__main__":
    main()
