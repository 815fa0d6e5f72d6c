"""How fast the synthesizer makes training data, on one core.

Measures, as the median over ``--repeats`` runs of one process:

* plate samples per CPU-second at 256 x 128 (render + pose + background + degradations +
  rectification + loose crop: everything ``jlpr synth plates`` does except PNG encoding),
  and the renderer alone, so the compositing overhead is visible;
* scenes per CPU-second at ``--size`` (procedural, and on vehicle photos when ``--vehicles``
  exists), JPEG encoding included, and the minutes 20,000 scenes would take on 2 cores.

Run: ``python benchmarks/bench_synth.py [--repeats 5] [--vehicles ../shared/data/vehicles]``.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import PIL
from PIL import Image

from jlpr.synth.render import render_plate
from jlpr.synth.sampling import random_plate
from jlpr.synth.scenes import (
    SceneConfig,
    VehiclePhoto,
    load_vehicle_photos,
    make_plate_sample,
    make_scene,
)


def rate(make: Callable[[np.random.Generator], object], count: int, repeats: int) -> float:
    """Median items per CPU-second of ``make`` over ``repeats`` runs of ``count`` items.

    CPU time of this process, not wall time: "per core" is what is asked, and a machine
    shared with other jobs would otherwise make the numbers depend on its load.
    """
    rng = np.random.default_rng(0)
    for _ in range(max(3, count // 10)):  # warm caches (fonts, glyphs, noise tile)
        make(rng)
    rates = []
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(count):
            make(rng)
        rates.append(count / (time.process_time() - start))
    return statistics.median(rates)


def scene_maker(
    config: SceneConfig, photos: list[VehiclePhoto]
) -> Callable[[np.random.Generator], object]:
    def make(rng: np.random.Generator) -> object:
        scene = make_scene(rng, config, photos)
        buffer = io.BytesIO()
        Image.fromarray(scene.image).save(buffer, format="JPEG", quality=95)
        return buffer

    return make


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--plates", type=int, default=200, help="plates per repeat")
    parser.add_argument("--scenes", type=int, default=30, help="scenes per repeat")
    parser.add_argument("--size", type=int, default=640)
    parser.add_argument("--vehicles", type=Path, default=Path("../shared/data/vehicles"))
    args = parser.parse_args()

    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}")
    print(f"cpu_count: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    print(f"python {platform.python_version()}, numpy {np.__version__}, pillow {PIL.__version__}")
    print(f"median of {args.repeats} runs, one process, per CPU-second\n")

    full = rate(lambda rng: make_plate_sample(rng), args.plates, args.repeats)
    render = rate(
        lambda rng: render_plate(random_plate(rng), rng=rng, width=256, margin=0.15),
        args.plates,
        args.repeats,
    )
    print(f"plates 256x128, render + degrade + rectify: {full:7.1f} /s per core")
    print(f"  of which render alone:                  {render:7.1f} /s per core")
    print(f"  compositing + degradation per plate:     {1000 / full - 1000 / render:7.2f} ms\n")

    config = SceneConfig(size=args.size)
    synthetic = rate(scene_maker(config, []), args.scenes, args.repeats)
    print(f"scenes {args.size} px, procedural:            {synthetic:7.1f} /s per core")
    mixed = synthetic
    if (args.vehicles / "images").is_dir():
        photos = load_vehicle_photos(args.vehicles)
        only_photos = SceneConfig(size=args.size, vehicle_share=1.0, negative_fraction=0.0)
        on_photos = rate(scene_maker(only_photos, photos), args.scenes, args.repeats)
        mixed = rate(scene_maker(config, photos), args.scenes, args.repeats)
        print(f"scenes {args.size} px, on vehicle photos:     {on_photos:7.1f} /s per core")
        print(f"scenes {args.size} px, default mix:           {mixed:7.1f} /s per core")
    minutes = 20_000 / (2 * mixed) / 60
    print(f"\n20,000 scenes on 2 cores: {minutes:.1f} min (target < 20)")


if __name__ == "__main__":
    main()
