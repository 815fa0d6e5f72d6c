"""Write ``docs/img/refiner.jpg``: what the corner refiner does to loose synthetic crops.

Each row is one loose crop from a fixed seed (not picked by hand): the crop with the
localizer's corners (orange) and the refined ones (green), then the plate warped from each.
Drawn with the bundled reader; no real or vehicle photo is used.

Run: ``python tools/make_refiner_figure.py [--out docs/img/refiner.jpg] [--seed 11]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from jlpr import PlateReader
from jlpr.rectify import PerspectiveRectifier
from jlpr.synth.scenes import make_plate_sample

ROW_HEIGHT = 128
CROP_WIDTH = 256
GAP = 8
BACKDROP = (245, 245, 245)


def _panel(image: np.ndarray, quads: list[tuple[np.ndarray, tuple[int, int, int]]]) -> Image.Image:
    """``image`` scaled into a CROP_WIDTH x ROW_HEIGHT panel with ``quads`` drawn on it."""
    height, width = image.shape[:2]
    scale = min(CROP_WIDTH / width, ROW_HEIGHT / height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    pil = Image.fromarray(image).resize(size, Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(pil)
    for quad, colour in quads:
        points = [(float(x) * scale, float(y) * scale) for x, y in quad]
        draw.line([*points, points[0]], fill=colour, width=2)
    panel = Image.new("RGB", (CROP_WIDTH, ROW_HEIGHT), BACKDROP)
    panel.paste(pil, ((CROP_WIDTH - size[0]) // 2, (ROW_HEIGHT - size[1]) // 2))
    return panel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img/refiner.jpg"))
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--rows", type=int, default=5)
    args = parser.parse_args()
    reader = PlateReader.from_pretrained()
    assert reader.localizer is not None
    perspective = PerspectiveRectifier(reader.rectifier.output_size)
    rng = np.random.default_rng(args.seed)
    rows: list[list[Image.Image]] = []
    while len(rows) < args.rows:
        sample = make_plate_sample(rng)
        crop = sample.loose
        regions = reader.localizer.locate(crop)
        if not regions or regions[0].corners is None:
            continue  # the figure compares two sets of corners
        rough = np.array(regions[0].corners.points)
        refined = reader.recognize(crop)
        assert refined.corners is not None
        fine = np.array(refined.corners.points)
        panels = [
            _panel(crop, [(rough, (255, 140, 0)), (fine, (0, 200, 0))]),
            _panel(perspective.rectify(crop, regions[0]).image, []),
            _panel(perspective.warp(crop, refined.corners), []),
        ]
        rows.append(panels)
    sheet = Image.new(
        "RGB",
        (3 * CROP_WIDTH + 2 * GAP, len(rows) * ROW_HEIGHT + (len(rows) - 1) * GAP),
        (255, 255, 255),
    )
    for r, panels in enumerate(rows):
        for c, panel in enumerate(panels):
            sheet.paste(panel, (c * (CROP_WIDTH + GAP), r * (ROW_HEIGHT + GAP)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, quality=88)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
