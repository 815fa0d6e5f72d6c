"""Which change of the pixels makes the reader read real crops right? A look at the domain gap.

Every crop is read as it is and after one test-time change of its pixels: ink grown or thinned
by one pixel (3x3 minimum / maximum filter at the crop's own scale), a light blur, grey, the
colours pushed towards the rendered plate colour, the contrast stretched, the crop resized.
Ink is grown in all directions, or only up and down (by 1-3 px), or only left and right;
``--width 320`` first scales each crop so that a pixel is about one of the 256 px canonical
crop. A change that moves many fields to the right answer says what the training crops lack
(for the real-dev crops: the kana read right in 12-13 of 18 once its ink grows by a pixel,
in all directions or only up and down, but in 5 when it grows only sideways). Prints, per
change, how many crops have each field and the whole plate right, and the most frequent
kana read. Real images are only read, never written. Used in docs/experiments.md.

Run: ``python tools/probe_real_crops.py ../shared/data/real-dev/crops/*.png --plate
"佐賀 581 せ 18-32"``; ``--weights DIR`` for another saved reader.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

from jlpr import Plate, PlateReader
from jlpr.image import load_image

Change = Callable[[Image.Image], Image.Image]


def _towards_yellow(image: Image.Image) -> Image.Image:
    """Per-channel gains that take the bright 20 % of the crop to the rendered kei yellow."""
    array = np.asarray(image).astype(np.float32)
    ground = np.percentile(array.reshape(-1, 3), 80, axis=0)
    target = np.array([250.0, 205.0, 40.0], dtype=np.float32)
    scaled = array * target / np.maximum(ground, 1.0)
    return Image.fromarray(np.clip(scaled, 0, 255).astype(np.uint8))


def _rank(rows: int, columns: int, op: Callable[..., np.ndarray]) -> Change:
    """A ``rows`` x ``columns`` minimum (``np.minimum``: dark ink grows) or maximum filter,
    per channel, edges replicated."""

    def change(image: Image.Image) -> Image.Image:
        array = np.asarray(image)
        height, width = array.shape[:2]
        pad = ((rows // 2, rows // 2), (columns // 2, columns // 2), (0, 0))
        padded = np.pad(array, pad, mode="edge")
        out = array
        for dy in range(rows):
            for dx in range(columns):
                out = op(out, padded[dy : dy + height, dx : dx + width])
        return Image.fromarray(out)

    return change


def _stretch(image: Image.Image) -> Image.Image:
    array = np.asarray(image).astype(np.float32)
    low, high = np.percentile(array, 2), np.percentile(array, 98)
    scaled = (array - low) / max(float(high - low), 1.0) * 255.0
    return Image.fromarray(np.clip(scaled, 0, 255).astype(np.uint8))


def _resize(factor: float) -> Change:
    def change(image: Image.Image) -> Image.Image:
        size = (max(8, round(image.width * factor)), max(8, round(image.height * factor)))
        return image.resize(size, Image.Resampling.BICUBIC)

    return change


CHANGES: dict[str, Change] = {
    "as is": lambda image: image,
    "ink grown 1 px": _rank(3, 3, np.minimum),
    "ink grown 1 px up and down only": _rank(3, 1, np.minimum),
    "ink grown 1 px left and right only": _rank(1, 3, np.minimum),
    "ink grown 2 px up and down only": _rank(5, 1, np.minimum),
    "ink grown 3 px up and down only": _rank(7, 1, np.minimum),
    "ink thinned 1 px": _rank(3, 3, np.maximum),
    "blur 0.7 px": lambda image: image.filter(ImageFilter.GaussianBlur(0.7)),
    "grey": lambda image: image.convert("L").convert("RGB"),
    "saturation x1.8": lambda image: ImageEnhance.Color(image).enhance(1.8),
    "towards rendered yellow": _towards_yellow,
    "contrast stretched": _stretch,
    "resized x2": _resize(2.0),
    "resized x0.6": _resize(0.6),
}


def fields_of(plate: Plate) -> dict[str, str | None]:
    """The four text fields as strings (None where unread)."""
    return {
        "office": plate.office.kanji if plate.office else None,
        "classification": plate.classification,
        "kana": plate.kana,
        "designation": plate.designation_text,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("crops", nargs="+", type=Path, help="real plate crops")
    parser.add_argument("--plate", required=True, help='what they show, e.g. "佐賀 581 せ 18-32"')
    parser.add_argument("--weights", type=Path, help="a saved reader (default: the bundled one)")
    parser.add_argument(
        "--width",
        type=int,
        help="resize each crop to this width first (bicubic), so that a pixel is about one "
        "of the 256 px canonical plate at 320 (the crops have a margin around the plate)",
    )
    args = parser.parse_args()
    reader = PlateReader.from_pretrained(args.weights)
    truth = fields_of(Plate.parse(args.plate))
    images = [Image.fromarray(load_image(path)) for path in args.crops]
    if args.width:
        images = [_resize(args.width / image.width)(image) for image in images]
    print(f"{len(images)} crops of {args.plate}; fields right per change of the pixels\n")
    print("| change | exact | " + " | ".join(truth) + " | kana read (top 3) |")
    print("|---|---:|" + "---:|" * len(truth) + "---|")
    for name, change in CHANGES.items():
        right = Counter[str]()
        kana = Counter[str]()
        for image in images:
            read = fields_of(reader.recognize(np.asarray(change(image))))
            hits = [key for key in truth if read[key] == truth[key]]
            right.update(hits)
            right["exact"] += len(hits) == len(truth)
            kana[read["kana"] or "-"] += 1
        counts = " | ".join(str(right[key]) for key in ("exact", *truth))
        top = ", ".join(f"{value} {n}" for value, n in kana.most_common(3))
        print(f"| {name} | {counts} | {top} |")


if __name__ == "__main__":
    main()
