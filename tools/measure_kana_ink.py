"""Where the kana's ink lies on rectified real crops and on a rendering of the same plate.

For each crop the bundled reader's rectifier warps the whole crop to the 256x128 plate; then,
inside the kana's 40 mm column and within 10 mm of its box, the rows whose darkest pixel is
darker than halfway between the column's background and its darkest ink are the kana's rows.
Printed in mm below the plate's top edge, for the real crops and for the same plate rendered
with three random styles. Used in docs/models.md to check whether real kana are smaller than
the drawn ones (they are not). Real images are only read, never written.

Run: ``python tools/measure_kana_ink.py ../shared/data/real-dev/crops/f54_p0.png ...
--plate "佐賀 581 せ 18-32" --scheme private_kei``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from jlpr import PlateReader, layout
from jlpr.image import load_image
from jlpr.rules import ColorScheme
from jlpr.synth import render_plate
from jlpr.types import Box, Plate, PlateRegion


def kana_rows_mm(plate_image: np.ndarray) -> tuple[float, float]:
    """First and last row (mm from the top edge) of dark ink in the kana's column."""
    height, width = plate_image.shape[:2]
    px_per_mm_x = width / layout.PLATE_SIZE_MM[0]
    px_per_mm_y = height / layout.PLATE_SIZE_MM[1]
    x0, y0, x1, y1 = layout.kana_box_mm()
    column = plate_image[:, round(x0 * px_per_mm_x) : round(x1 * px_per_mm_x)].mean(axis=2)
    darkest = column.min(axis=1)
    box_rows = darkest[round(y0 * px_per_mm_y) : round(y1 * px_per_mm_y)]
    background = float(np.median(column))
    threshold = (background + float(box_rows.min())) / 2
    # Only rows near the box: nothing else is printed in this column (the name row ends
    # about 50 mm from the top, the plate's lower edge is 165 mm).
    near = np.arange(round((y0 - 10) * px_per_mm_y), round((y1 + 10) * px_per_mm_y))
    rows = near[darkest[near] < threshold]
    return float(rows.min()) / px_per_mm_y, float(rows.max() + 1) / px_per_mm_y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("crops", nargs="+", type=Path, help="real plate crops")
    parser.add_argument("--plate", required=True, help='what they show, e.g. "佐賀 581 せ 18-32"')
    parser.add_argument("--scheme", default="private", choices=[s.value for s in ColorScheme])
    args = parser.parse_args()
    reader = PlateReader.from_pretrained()
    for path in args.crops:
        array = load_image(path)
        height, width = array.shape[:2]
        whole = PlateRegion(box=Box(0.0, 0.0, float(width), float(height)), score=1.0)
        top, bottom = kana_rows_mm(reader.rectifier.rectify(array, whole).image)
        print(f"{path.name}\tkana ink {top:.0f}-{bottom:.0f} mm ({bottom - top:.0f} mm)")
    plate = Plate.parse(args.plate, ColorScheme(args.scheme))
    for seed in range(3):
        image = render_plate(plate, rng=np.random.default_rng(seed), width=256).image
        top, bottom = kana_rows_mm(image)
        print(f"rendered (seed {seed})\tkana ink {top:.0f}-{bottom:.0f} mm ({bottom - top:.0f} mm)")


if __name__ == "__main__":
    main()
