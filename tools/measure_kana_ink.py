"""Where the kana's ink lies on rectified real crops and on renderings of the same plate.

For each crop the bundled reader's rectifier warps the whole crop to the 256x128 plate; then
pixels darker than halfway between the kana column's background (median) and its darkest ink
are the kana's ink. Printed: the rows holding ink in the kana's 40 mm column (within 10 mm of
its box), the columns holding ink in its rows (within 10 mm of the box either side), both in
mm of the 330x165 mm plate, and the share of the 40x40 mm box that is ink; for the real crops
and for the same plate rendered with ``--styles`` random styles. Used in docs/experiments.md to
check whether the real kana is smaller, narrower or lighter than the drawn ones (it is not).
Real images are only read, never written.

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


def kana_ink_mm(plate_image: np.ndarray) -> tuple[float, float, float, float, float]:
    """Top, bottom, left and right of the kana's dark ink (mm from the plate's top-left
    corner) and the share of its 40x40 mm box that is ink."""
    height, width = plate_image.shape[:2]
    px_per_mm_x = width / layout.PLATE_SIZE_MM[0]
    px_per_mm_y = height / layout.PLATE_SIZE_MM[1]
    grey = plate_image[..., :3].mean(axis=2)
    x0, y0, x1, y1 = layout.kana_box_mm()
    left, right = round(x0 * px_per_mm_x), round(x1 * px_per_mm_x)
    top, bottom = round(y0 * px_per_mm_y), round(y1 * px_per_mm_y)
    column = grey[:, left:right]
    background = float(np.median(column))
    threshold = (background + float(column[top:bottom].min())) / 2
    # Only near the box: nothing else is printed there (the name row ends about 50 mm from
    # the top, the classification number starts 40 mm right of the kana box's right edge).
    near_rows = np.arange(round((y0 - 10) * px_per_mm_y), round((y1 + 10) * px_per_mm_y))
    rows = near_rows[column.min(axis=1)[near_rows] < threshold]
    near_cols = np.arange(round((x0 - 10) * px_per_mm_x), round((x1 + 10) * px_per_mm_x))
    band = grey[top:bottom]
    cols = near_cols[band.min(axis=0)[near_cols] < threshold]
    ink = float((grey[top:bottom, left:right] < threshold).mean())
    return (
        float(rows.min()) / px_per_mm_y,
        float(rows.max() + 1) / px_per_mm_y,
        float(cols.min()) / px_per_mm_x,
        float(cols.max() + 1) / px_per_mm_x,
        ink,
    )


def describe(ink: tuple[float, float, float, float, float]) -> str:
    top, bottom, left, right, share = ink
    return (
        f"kana ink rows {top:.0f}-{bottom:.0f} mm ({bottom - top:.0f} mm), "
        f"columns {left:.0f}-{right:.0f} mm ({right - left:.0f} mm), {share:.0%} of its box"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("crops", nargs="+", type=Path, help="real plate crops")
    parser.add_argument("--plate", required=True, help='what they show, e.g. "佐賀 581 せ 18-32"')
    parser.add_argument("--scheme", default="private", choices=[s.value for s in ColorScheme])
    parser.add_argument("--styles", type=int, default=3, help="rendered styles (default 3)")
    args = parser.parse_args()
    reader = PlateReader.from_pretrained()
    for path in args.crops:
        array = load_image(path)
        height, width = array.shape[:2]
        whole = PlateRegion(box=Box(0.0, 0.0, float(width), float(height)), score=1.0)
        print(f"{path.name}\t{describe(kana_ink_mm(reader.rectifier.rectify(array, whole).image))}")
    plate = Plate.parse(args.plate, ColorScheme(args.scheme))
    for seed in range(args.styles):
        image = render_plate(plate, rng=np.random.default_rng(seed), width=256).image
        print(f"rendered (seed {seed})\t{describe(kana_ink_mm(image))}")


if __name__ == "__main__":
    main()
