"""What does a field net read when its own input, cut from real crops, is turned or zoomed?

Each crop is rectified as :meth:`jlpr.PlateReader.recognize` does it, the field's region is
cut as the net reads it, and the net reads that input turned by each ``--angles`` (degrees,
counter-clockwise as seen) and zoomed by each ``--zooms`` (above 1 the glyph grows) about
its centre (``jlpr.training.classifiers.rotate``, the turn ``--rotate`` trains with). Only
the net's input moves: the rectifier still sees the crop as it is, so a turn here is a turn
of the lettering on an upright plate. Prints, per angle and zoom, how many crops the net
reads as ``--truth`` and its most frequent readings. For the real-dev kana: read right once
turned back by 12-20 degrees (docs/experiments.md, "The real kana at the net's input"). Real
images are only read.

Run: ``python tools/probe_net_inputs.py ../shared/data/real-dev/crops/*.png --field kana
--truth せ [--weights DIR] [--angles -20,-12,-6,0,6,12] [--zooms 0.9,1,1.15]``.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import torch

from jlpr import PlateReader
from jlpr.image import load_image
from jlpr.models.fields import CnnFieldClassifier
from jlpr.training.classifiers import rotate
from jlpr.types import Box, Field, PlateRegion


def numbers(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("crops", nargs="+", type=Path, help="plate crops")
    parser.add_argument("--field", default="kana", choices=[f.value for f in Field])
    parser.add_argument("--truth", required=True, help="what the field shows, e.g. せ")
    parser.add_argument("--weights", type=Path, help="a saved reader (default: the bundled one)")
    parser.add_argument("--angles", type=numbers, default=numbers("-20,-12,-6,0,6,12"))
    parser.add_argument("--zooms", type=numbers, default=numbers("0.9,1,1.15"))
    args = parser.parse_args()
    reader = PlateReader.from_pretrained(args.weights)
    net = reader.classifiers[Field(args.field)]
    if not isinstance(net, CnnFieldClassifier):
        parser.error(f"the {args.field} classifier of this reader is not a CNN field classifier")
    inputs = []
    for path in args.crops:
        image = load_image(path)
        height, width = image.shape[:2]
        region = PlateRegion(box=Box(0.0, 0.0, float(width), float(height)), score=1.0)
        plate = reader.rectifier.rectify(image, region).image
        inputs.append(net.prepare(torch.from_numpy(plate.copy()).permute(2, 0, 1)[None].float()))
    batch = torch.cat(inputs)
    print(f"{args.field} net on {len(batch)} crops, input turned and zoomed (truth {args.truth})")
    print("| turn (deg) | zoom | read right | most read |\n|---:|---:|---:|---|")
    for degrees in args.angles:
        for zoom in args.zooms:
            with torch.inference_mode():
                angles = torch.full((len(batch),), degrees)
                readings = net.readings(net.net(rotate(batch, angles, zoom)))
            counts = Counter(reading.value for reading in readings)
            top = ", ".join(f"{value} {n}" for value, n in counts.most_common(3))
            print(f"| {degrees:g} | {zoom:g} | {counts[args.truth]} | {top} |")


if __name__ == "__main__":
    main()
