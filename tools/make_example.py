"""Make ``examples/car.jpg``: a synthetic 1280x720 rear view with one plate, 品川 330 さ 12-34.

The bundled example must be ours to ship, so it is rendered, not photographed: a painted
car panel from ``jlpr.synth.backgrounds`` and a plate from ``jlpr.synth.render``, warped
with a mild perspective. Deterministic; rerun after renderer changes.

    python tools/make_example.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from jlpr.geometry import homography
from jlpr.rules import ColorScheme
from jlpr.synth.backgrounds import car_paint
from jlpr.synth.render import render_plate
from jlpr.synth.warp import warp_pil
from jlpr.types import Plate

PLATE = Plate.parse("品川330さ12-34", scheme=ColorScheme.PRIVATE)
# Where the plate's corners land in the frame (TL, TR, BR, BL): about 230 px wide, seen a
# little from the right and above.
CORNERS = [(548.0, 430.0), (776.0, 438.0), (772.0, 552.0), (550.0, 546.0)]


def main() -> None:
    rng = np.random.default_rng(20261121)
    frame = Image.fromarray(car_paint(rng, 1280, 720, bumper_y=0.72))
    rendered = render_plate(PLATE, rng=rng, width=512, margin=0.05)
    rgba = Image.fromarray(np.dstack([rendered.image, rendered.alpha]), "RGBA")
    h = homography(rendered.corners, CORNERS)
    patch = warp_pil(rgba, h, frame.size, fill=(0, 0, 0, 0))
    frame.paste(patch, (0, 0), patch)
    frame = frame.filter(ImageFilter.GaussianBlur(0.6))
    out = Path(__file__).resolve().parents[1] / "examples"
    frame.save(out / "car.jpg", quality=90)
    labels = {"file": "car.jpg", "text": PLATE.text, "scheme": "private", "corners": CORNERS}
    (out / "car.json").write_text(json.dumps(labels, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
