"""How large may a plate be in a frame? The example scene cut ever closer around its plate.

``examples/car.jpg`` (1280x720, its plate 228 px wide) is cut to a 16:9 window around its
plate, narrower and narrower, and each cut is enlarged back to 1280x720, so that the plate
fills more and more of the frame (114 px at the localizer's 640 px for the whole frame, 634
px for the narrowest cut). Each frame is read by a reader (default: the bundled one) with
and without the close-up view (``YoloPoseLocalizer.close_up``); the script prints what each
reports at ``min_confidence`` 0, best first. Used in docs/models.md ("Close-ups").

Run: ``python tools/measure_close_ups.py [--weights DIR]``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image

from jlpr import PlateReader
from jlpr.models.localizer import YoloPoseLocalizer

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
WIDTHS = (1280, 800, 560, 400, 320, 260, 230)
"""Widths of the cuts in examples/car.jpg pixels (16:9, centred on the plate)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=None, help="reader folder (default: bundled)")
    args = parser.parse_args()
    label = json.loads((EXAMPLES / "car.json").read_text(encoding="utf-8"))
    corners = np.array(label["corners"], dtype=float)
    cx, cy = corners.mean(axis=0)
    plate_width = float(corners[1, 0] - corners[0, 0])
    reader = PlateReader.from_pretrained(args.weights, min_confidence=0.0)
    localizer = reader.localizer
    if not isinstance(localizer, YoloPoseLocalizer):
        raise SystemExit("this reader's localizer has no close_up setting")
    print(f"truth: {label['text']}\n")
    print("| cut (px) | plate at 640 px | with the close-up view | without |\n|---:|---:|---|---|")
    with Image.open(EXAMPLES / "car.jpg") as car:
        for width in WIDTHS:
            half_w, half_h = width / 2, width * 9 / 32
            box = (round(cx - half_w), round(cy - half_h), round(cx + half_w), round(cy + half_h))
            frame = np.asarray(car.crop(box).resize((1280, 720), Image.Resampling.BICUBIC))
            cells = []
            for close_up in (True, False):
                localizer.close_up = close_up
                plates = reader.read(frame)[:2]
                cells.append("; ".join(f"{p.text} ({p.confidence:.2f})" for p in plates) or "-")
            at_640 = plate_width * 1280 / width / 2
            print(f"| {width} | {at_640:.0f} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
