"""Plate-renderer speed: median plates per second on one core.

Run: ``python benchmarks/bench_render.py [--width 256] [--plates 500] [--repeats 5]``.

The renderer caches glyph masks, so the first plates are slower; a warm-up of random plates
fills the caches as a long training run would, and the cold rate is reported separately.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import PIL

from jlpr.synth import render_plate


def _rate(rng: np.random.Generator, plates: int, width: int) -> float:
    start = time.perf_counter()
    for _ in range(plates):
        render_plate(rng=rng, width=width)
    return plates / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=256, help="plate width in pixels")
    parser.add_argument("--plates", type=int, default=500, help="plates per timed run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs (median reported)")
    parser.add_argument("--warmup", type=int, default=3000, help="plates rendered first")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    print(f"python {platform.python_version()}, numpy {np.__version__}, pillow {PIL.__version__}")
    rng = np.random.default_rng(args.seed)
    cold = _rate(rng, min(args.plates, args.warmup) or args.plates, args.width)
    print(f"cold caches: {cold:.0f} plates/s")
    if args.warmup > args.plates:
        _rate(rng, args.warmup - args.plates, args.width)
    rates = [_rate(rng, args.plates, args.width) for _ in range(args.repeats)]
    print(
        f"width {args.width}: median {statistics.median(rates):.0f} plates/s "
        f"(runs: {', '.join(f'{r:.0f}' for r in rates)}) on one process"
    )


if __name__ == "__main__":
    main()
