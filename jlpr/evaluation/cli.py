"""``jlpr eval DATA_DIR``: measure a reader on a labelled folder (reading, detection, speed).

Registered into the ``jlpr`` command by :func:`register`; the heavy imports (torch, the
reader) happen only when the command runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from jlpr._argtypes import (
    add_search_options,
    pixels,
    probability,
    rotations,
    set_search_options,
)

__all__ = ["register"]

_EPILOG = """\
DATA_DIR holds labels.csv (file,office,classification,kana,number,color,box_xywh,notes;
one row per plate; all four text columns empty for an image without a readable plate, some
of them empty for fields nobody can read, which the reader must then leave unread) and the
images it names. Plates with a box_xywh are also counted by box width. Files under a
folder named 'crops' (or 'loose' or 'rectified', as jlpr synth plates writes them) are read
as plate crops (recognize), the others as whole frames (read); --kind overrides that.

examples:
  jlpr eval data/real-dev
  jlpr eval data/real-dev --weights my-reader/ --format json --out report.json
  jlpr eval data/real-dev --min-confidence 0   which fields are read, however unsurely
  jlpr eval data/big/images/val --min-scale 1  the localizer also at full size"""


def register(subparsers: Any) -> None:
    """Add the ``eval`` command to the ``jlpr`` subcommands."""
    parser = subparsers.add_parser(
        "eval",
        help="measure a reader on a labelled folder",
        description="Read every image of DATA_DIR and report per-field accuracy and F1, "
        "exact plates (also by plate width), detection precision/recall/AP, calibration "
        "and speed.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("data", type=Path, metavar="DATA_DIR", help="folder with labels.csv")
    parser.add_argument(
        "--weights",
        type=Path,
        default=os.environ.get("JLPR_WEIGHTS") or None,
        metavar="DIR",
        help="reader saved with save_pretrained() (default: $JLPR_WEIGHTS, else the weights "
        "shipped with jlpr)",
    )
    parser.add_argument(
        "--format", choices=("markdown", "json"), default="markdown", help="report format"
    )
    parser.add_argument("--out", type=Path, metavar="FILE", help="write the report to FILE")
    parser.add_argument("--device", default="cpu", help="torch device (default: cpu)")
    parser.add_argument(
        "--kind",
        choices=("auto", "crop", "frame"),
        default="auto",
        help="read every image as a crop or a frame (default: by folder name)",
    )
    parser.add_argument(
        "--match-iou",
        type=float,
        default=0.3,
        metavar="X",
        help="least IoU to match a plate to a labelled box (default 0.3: the boxes are "
        "approximate)",
    )
    parser.add_argument(
        "--rotations",
        type=rotations,
        default=None,
        metavar="TURNS",
        help="read each image turned by each of these angles, degrees counter-clockwise from "
        "0, 90, 180, 270 (default: the reader's own, usually 0 alone)",
    )
    parser.add_argument(
        "--min-confidence",
        type=probability,
        default=None,
        metavar="X",
        help="count a plate as reported from confidence X, 0..1 (default: the reader's own, "
        "usually 0.5; 0 scores everything the reader reads, however unsure)",
    )
    parser.add_argument(
        "--min-width",
        type=pixels,
        default=0.0,
        metavar="PX",
        help="leave labelled plates whose box is narrower than PX pixels out of every figure; "
        "a plate found on one counts neither as right nor as wrong (default 0: count all; "
        "e.g. 40 for a held-out set defined as plates of 40 px and more)",
    )
    add_search_options(parser)
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from jlpr.evaluation.runner import evaluate, to_json, to_markdown
    from jlpr.reader import PlateReader

    options: dict[str, Any] = {}
    if args.rotations is not None:
        options["rotations"] = args.rotations
    if args.min_confidence is not None:
        options["min_confidence"] = args.min_confidence
    reader = PlateReader.from_pretrained(args.weights, device=args.device, **options)
    weights = str(args.weights) if args.weights is not None else "bundled weights"
    if args.rotations is not None:
        weights += f", rotations {','.join(map(str, reader.rotations))}"
    for setting in set_search_options(reader, args):
        weights += f", {setting}"
    evaluation = evaluate(
        reader,
        args.data,
        kind=args.kind,
        match_iou=args.match_iou,
        weights=weights,
        min_width=args.min_width,
    )
    report = to_json(evaluation) if args.format == "json" else to_markdown(evaluation)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
    else:
        sys.stdout.write(report)
    return 0
