"""Make ``examples/car.jpg``: a synthetic 1280x720 rear view with one plate, 品川 330 さ 12-34.

The bundled example must be ours to ship, so it is rendered, not photographed: a painted
car panel from ``jlpr.synth.backgrounds`` and a plate from ``jlpr.synth.render``, warped
with a mild perspective (:func:`jlpr.synth.scenes.plate_on_panel`). Deterministic. The
committed image was drawn by an earlier renderer: this script now draws 1.2 % of its pixels
differently (checked 2026-11-21); it is kept, so that the README's output stays the same.

    python tools/make_example.py
"""

from __future__ import annotations

import json
from pathlib import Path

from jlpr.rules import ColorScheme
from jlpr.synth.scenes import plate_on_panel
from jlpr.types import Plate

PLATE = Plate.parse("品川330さ12-34", scheme=ColorScheme.PRIVATE)
# Where the plate's corners land in the frame (TL, TR, BR, BL): about 230 px wide, seen a
# little from the right and above.
CORNERS = [(548.0, 430.0), (776.0, 438.0), (772.0, 552.0), (550.0, 546.0)]


def main() -> None:
    frame = plate_on_panel(PLATE, CORNERS)
    out = Path(__file__).resolve().parents[1] / "examples"
    frame.save(out / "car.jpg", quality=90)
    labels = {"file": "car.jpg", "text": PLATE.text, "scheme": "private", "corners": CORNERS}
    (out / "car.json").write_text(json.dumps(labels, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
