"""Save a reader whose field classifiers read as the mean of several training runs.

The bundled reader (its localizer and rectifier, and unless ``--no-bundled`` its field
nets) with every field read by a :class:`jlpr.models.MeanFieldClassifier` of the bundled
nets and those of each ``RUN`` (a ``jlpr train classifiers --out``), its temperature fitted
on ``--val``: a cached validation split none of the members trained on (``RUN/cache/val-*``
of a run with another seed). Prints each field's accuracy and calibration before and
after, as ``metrics.json`` does for a run. ``jlpr eval DATA --weights OUT`` then measures it.

Run: ``python tools/make_mean_reader.py OUT RUN [RUN ...] --val RUN/cache/val-XXXX``
(docs/models.md, "Averaging draws").
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from jlpr import PlateReader
from jlpr.interfaces import FieldClassifier
from jlpr.models import build_classifiers, mean_classifiers
from jlpr.training.classifiers import calibrate_mean
from jlpr.training.data import ShardedDataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="where to save the reader")
    parser.add_argument("runs", type=Path, nargs="+", help="jlpr train classifiers outputs")
    parser.add_argument("--val", type=Path, required=True, help="a cached validation split")
    parser.add_argument(
        "--no-bundled", action="store_true", help="average the runs only, not the bundled nets"
    )
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    reader = PlateReader.from_pretrained(device=args.device)
    sets: list[list[FieldClassifier]] = [
        list(build_classifiers(run, device=args.device)) for run in args.runs
    ]
    if not args.no_bundled:
        sets.insert(0, list(reader.classifiers.values()))
    means, metrics = calibrate_mean(
        mean_classifiers(*sets), ShardedDataset.open(args.val), device=args.device
    )
    reader.with_components(*means).save_pretrained(args.out)
    for mean in means:
        m = metrics[mean.field.value]
        print(
            f"{mean.field.value}: {len(mean.members)} members, accuracy {m['accuracy']:.3f}, "
            f"temperature {mean.temperature:.3f}, ECE {m['ece_before']:.4f} -> "
            f"{m['ece_after']:.4f}"
        )
    (args.out / "mean_metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
