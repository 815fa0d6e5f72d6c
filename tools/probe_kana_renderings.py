"""Which drawn variations of a plate's kana does the kana net misread? (Is the real one of them?)

Renders one plate (default the real-dev plate, 佐賀 581 せ 18-32, yellow kei) as loose crops
photographed by :func:`jlpr.synth.scenes.make_plate_sample` and prints what the reader's
kana net reads, ``--n`` crops per cell, for one family of variations at a time:

* ``fonts``: the kana drawn in each font found (random styles otherwise, 256 px wide);
* ``motion``: plates 45, 60 and 90 px wide, sideways motion blur of 0-8 % of the plate
  width, with and without in-camera sharpening (JPEG quality 70);
* ``shape``: the kana glyph stretched, squashed and sheared (60 and 120 px plates);
* ``emboss``: relief strength 0.2-2.4 (the renderer draws 0.2-1.0) lit from three sides.

A variation that makes the net read the real plate's confusions (そ, と, や for せ) would be
a candidate for what the real camera does; none did for the real-dev plate (docs/experiments.md,
"What the real kana is not"). Real images are not used.

Run: ``python tools/probe_kana_renderings.py [--family fonts|motion|shape|emboss]
[--plate "佐賀 581 せ 18-32"] [--scheme private_kei] [--weights DIR] [--n 16]``; with the
fonts of the recipe: ``JLPR_FONT_DIRS=DIR JLPR_FONTS="$CLASSIFIER_FONTS"``.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from PIL import Image

import jlpr.synth.render as render
from jlpr import PlateReader
from jlpr.rules import HIRAGANA, ColorScheme
from jlpr.synth.degrade import DegradationConfig, PhotometricParams, Pose
from jlpr.synth.fonts import require_japanese_fonts
from jlpr.synth.scenes import PlateSampleConfig, make_plate_sample
from jlpr.types import Field, Plate


@contextmanager
def styled(**changes: Any) -> Iterator[None]:
    """Every random style drawn inside the block gets ``changes``."""
    original = render.RenderStyle.random

    def random(rng: np.random.Generator, fonts: Any = None) -> render.RenderStyle:
        return dataclasses.replace(original(rng, fonts), **changes)

    render.RenderStyle.random = random  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        render.RenderStyle.random = original  # type: ignore[method-assign]


@contextmanager
def kana_shape(sx: float, sy: float, shear: float) -> Iterator[None]:
    """Hiragana glyph masks scaled by ``sx``, ``sy`` and sheared about their cell's centre."""
    original = render._text_mask

    def text_mask(font: Any, char: str, width: int, height: int, *rest: Any) -> Any:
        mask = original(font, char, width, height, *rest)
        if char not in HIRAGANA:
            return mask
        cx, cy = width / 2, height / 2
        a, b, e = 1 / sx, -shear / sx, 1 / sy
        coefficients = (a, b, cx - a * cx - b * cy, 0.0, e, cy - e * cy)
        image = Image.fromarray((mask * 255).astype(np.uint8))
        out = image.transform((width, height), Image.Transform.AFFINE, coefficients)
        return np.asarray(out, dtype=np.float32) / 255.0

    render._text_mask = text_mask  # type: ignore[assignment]
    try:
        yield
    finally:
        render._text_mask = original


def _pose_of_width(width: float, _rng: np.random.Generator) -> Pose:
    return Pose(width=width)


def reads(
    reader: PlateReader,
    plate: Plate,
    n: int,
    pose: Callable[[np.random.Generator], Pose] | None = None,
    params: PhotometricParams | None = None,
    degradation: DegradationConfig | None = None,
) -> str:
    counts: Counter[str | None] = Counter()
    config = PlateSampleConfig(degradation=degradation or DegradationConfig.mild())
    for index in range(n):
        rng = np.random.default_rng(3000 + index)
        sample = make_plate_sample(
            rng,
            config,
            plate=plate,
            pose=pose(rng) if pose else None,
            params=params,
        )
        counts[reader.recognize(sample.loose).readings[Field.KANA].value] += 1
    return " ".join(f"{k}:{v}" for k, v in counts.most_common(4))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", choices=("fonts", "motion", "shape", "emboss"), default="fonts")
    parser.add_argument("--plate", default="佐賀 581 せ 18-32")
    parser.add_argument("--scheme", default="private_kei", choices=[s.value for s in ColorScheme])
    parser.add_argument("--weights", help="a saved reader (default: the bundled one)")
    parser.add_argument("--n", type=int, default=16, help="crops per cell (default 16)")
    args = parser.parse_args()
    reader = PlateReader.from_pretrained(args.weights)
    plate = Plate.parse(args.plate, ColorScheme(args.scheme))
    print(f"{args.family}: what the kana net reads on {args.n} crops of {plate.text}")
    if args.family == "fonts":
        for font in require_japanese_fonts():
            with styled(kana_font=font.name):
                print(f"{font.name:30s}", reads(reader, plate, args.n))
    elif args.family == "motion":
        for width in (45.0, 60.0, 90.0):
            for share in (0.0, 0.02, 0.04, 0.06, 0.08):
                for sharpen in (None, (1.0, 1.5)):

                    def sideways(rng: np.random.Generator, width: float = width) -> Pose:
                        return Pose(
                            width=width,
                            yaw=float(rng.uniform(-20, 20)),
                            pitch=float(rng.uniform(-8, 8)),
                            roll=float(rng.uniform(-4, 4)),
                        )

                    motion = (share * width, 0.0) if share else None
                    params = PhotometricParams(motion=motion, sharpen=sharpen, jpeg_quality=70)
                    label = f"{width:.0f} px, blur {share:.0%} of the width" + (
                        ", sharpened" if sharpen else ""
                    )
                    print(f"{label:40s}", reads(reader, plate, args.n, sideways, params))
    elif args.family == "shape":
        shapes = ((1, 1, 0), (1.2, 1, 0), (1.2, 0.8, 0), (1.35, 0.75, 0), (1, 0.8, 0))
        for sx, sy, shear in (*shapes, (1, 1, 0.25), (1, 1, -0.25), (1.2, 0.8, 0.2)):
            for width in (60.0, 120.0):
                with kana_shape(sx, sy, shear):
                    label = f"x {sx:g}, y {sy:g}, shear {shear:g}, {width:.0f} px"
                    print(
                        f"{label:40s}",
                        reads(reader, plate, args.n, functools.partial(_pose_of_width, width)),
                    )
    else:
        for strength in (0.2, 1.0, 1.6, 2.4):
            for light in (270.0, 200.0, 90.0):
                for width in (70.0, 120.0):
                    with styled(emboss=strength, light_angle=light):
                        label = f"emboss {strength:g}, light {light:g}°, {width:.0f} px"
                        print(
                            f"{label:40s}",
                            reads(reader, plate, args.n, functools.partial(_pose_of_width, width)),
                        )


if __name__ == "__main__":
    main()
