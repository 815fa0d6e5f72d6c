"""How long the localizer's search settings take on a folder of frames, side by side.

Times ``locate()`` of the bundled (or a saved) reader's localizer on every image of a folder
under several settings, interleaved image by image (each setting once per image, in turn),
so that a noisy shared machine slows them all alike; prints each setting's median and its
ratio to the first. The settings: the reader's own, ``zoom`` off (no second look at small
finds), ``close_up`` off (no search at half the input size), both off, and ``min_scale`` 1
(every frame also at full size).

Run::

    jlpr synth scenes --n 600 --val 1.0 --out S1280 --seed 9 --size 1280 --workers 2
    python benchmarks/bench_search.py S1280/images/val --limit 150 --threads 2
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from jlpr import PlateReader
from jlpr.image import load_image

SETTINGS: dict[str, dict[str, float | bool]] = {
    "default": {},
    "zoom off": {"zoom": False},
    "close-up off": {"close_up": False},
    "both off": {"zoom": False, "close_up": False},
    "min_scale 1": {"min_scale": 1.0},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", type=Path, help="a folder of frames (*.jpg, *.png)")
    parser.add_argument("--weights", type=Path, help="a reader saved with save_pretrained()")
    parser.add_argument("--limit", type=int, default=100, help="at most this many images")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    paths = sorted(p for p in args.images.iterdir() if p.suffix.lower() in {".jpg", ".png"})
    images = [load_image(p) for p in paths[: args.limit]]
    if not images:
        raise SystemExit(f"{args.images}: no .jpg or .png images")
    localizers = {}
    for name, options in SETTINGS.items():
        localizer = PlateReader.from_pretrained(args.weights).localizer
        if localizer is None:
            raise SystemExit(f"{args.weights}: this reader has no localizer")
        for key, value in options.items():
            setattr(localizer, key, value)
        localizers[name] = localizer
    times: dict[str, list[float]] = {name: [] for name in SETTINGS}
    for image in images[:2]:  # warm-up
        for localizer in localizers.values():
            localizer.locate(image)
    for image in images:
        for name, localizer in localizers.items():
            started = time.perf_counter()
            localizer.locate(image)
            times[name].append((time.perf_counter() - started) * 1000.0)
    sizes = sorted({f"{im.shape[1]}x{im.shape[0]}" for im in images})
    print(f"{len(images)} images ({', '.join(sizes[:4])}{', ...' if len(sizes) > 4 else ''}), "
          f"torch threads {torch.get_num_threads()}")  # fmt: skip
    first = statistics.median(times["default"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<12} median {median:7.1f} ms   x{median / first:.2f}")


if __name__ == "__main__":
    main()
