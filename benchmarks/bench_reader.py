"""How fast a reader reads: whole frames, plate crops, and loading.

Measures, as medians over ``--repeats`` calls after ``--warmup`` calls:

* ``read()`` on a 1280 x 720 frame with one plate, everything included (letterbox,
  localizer, NMS, rectification, the field classifiers, decoding), and the localizer alone;
* ``recognize()`` on one 256 x 128 plate crop;
* ``PlateReader.from_pretrained(path)``: load time of the saved reader, in this process
  (everything already imported) and in fresh processes (``--cold N``, default 3): there the
  first load also imports what the components need (Ultralytics), after ``import torch``,
  and the first ``read()`` follows; what a one-off ``jlpr read`` pays on top of Python and torch.

The reader is the one saved in ``--weights DIR``, the bundled one by default, or with
``--random`` the default architecture with random weights (the localizer then reports its
single best guess, so that rectification and classification are timed as with one plate).
``--sweep`` also times the localizer alone at several model scales and input sizes.

Run: ``python benchmarks/bench_reader.py --random [--sweep]`` or
``python benchmarks/bench_reader.py --weights runs/reader``; ``--image examples/car.jpg
--resize 1920x1080`` times a larger frame, which the localizer searches at two sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw

from jlpr import Field, PlateReader
from jlpr.image import load_image
from jlpr.interfaces import ImageArray
from jlpr.models.fields import CnnFieldClassifier
from jlpr.models.localizer import YoloPoseLocalizer
from jlpr.rectify import PerspectiveRectifier

SWEEP_MODELS: list[tuple[str, Any]] = [
    ("yolov8-pose.yaml", "n"),
    ("yolov8-pose.yaml", (0.33, 0.125, 1024)),
    ("yolo11-pose.yaml", "n"),
]
SWEEP_IMGSZ = (512, 640, 800, 960)


def median_ms(call: Callable[[], object], repeats: int, warmup: int) -> float:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return 1000.0 * statistics.median(times)


def synthetic_frame(width: int = 1280, height: int = 720) -> ImageArray:
    """A grey street with a dark car rear and one yellow kei plate, about 96 x 48 px."""
    image = Image.new("RGB", (width, height), (105, 110, 115))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 0.65, width, height), fill=(70, 70, 72))
    draw.rectangle((480, 260, 800, 520), fill=(40, 45, 60))
    draw.rectangle((592, 400, 688, 448), fill=(235, 195, 25), outline=(30, 30, 30))
    for x in range(600, 680, 20):
        draw.rectangle((x, 420, x + 10, 442), fill=(20, 20, 20))
    draw.rectangle((610, 405, 660, 413), fill=(20, 20, 20))
    frame: ImageArray = np.asarray(image, dtype=np.uint8).copy()
    return frame


COLD_PROBE = """
import json, sys, time
started = time.perf_counter()
import torch
torch.set_num_threads(int(sys.argv[3]))
imported = time.perf_counter()
from jlpr import PlateReader
from jlpr.image import load_image
reader = PlateReader.from_pretrained(sys.argv[1] or None, device=sys.argv[2])
loaded = time.perf_counter()
image = load_image(sys.argv[4]) if sys.argv[4] else None
if image is not None:
    reader.read(image)
read = time.perf_counter()
print(json.dumps({"torch": imported - started, "load": loaded - imported, "read": read - loaded}))
"""


def cold_start(
    path: Path | None, device: str, threads: int, image: Path | None
) -> dict[str, float]:
    """Seconds to import torch, then to import jlpr and load the reader, then to read
    ``image`` once, in a fresh Python process."""
    argv = [str(path or ""), device, str(threads), str(image or "")]
    done = subprocess.run(
        [sys.executable, "-c", COLD_PROBE, *argv], capture_output=True, text=True, check=True
    )
    timings: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return timings


def random_reader() -> PlateReader:
    torch.manual_seed(0)
    localizer = YoloPoseLocalizer(min_score=0.0, max_detections=1, min_corner_confidence=0.0)
    classifiers = [CnnFieldClassifier.create(field) for field in Field]
    return PlateReader(localizer, PerspectiveRectifier(), classifiers, min_confidence=0.0)


def machine() -> str:
    return (
        f"{platform.platform()} | python {platform.python_version()} | torch "
        f"{torch.__version__} | {os.cpu_count()} CPUs | torch threads {torch.get_num_threads()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--weights", type=Path, help="a reader saved with save_pretrained()")
    source.add_argument(
        "--random", action="store_true", help="default architecture, random weights"
    )
    parser.add_argument("--image", type=Path, help="time read() on this image instead")
    parser.add_argument(
        "--resize",
        metavar="WxH",
        help="resize the frame first, e.g. 1920x1080 (the localizer then also looks at 1280 px)",
    )
    parser.add_argument(
        "--min-scale",
        type=float,
        help="the localizer's min_scale (default: the reader's own; 1 also searches a "
        "1280x720 frame at 1280 px)",
    )
    parser.add_argument("--repeats", type=int, default=20, help="timed calls (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls first (default 3)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    parser.add_argument("--device", default="cpu", help="torch device (default cpu)")
    parser.add_argument(
        "--cold", type=int, default=3, help="fresh processes timed for the cold load (0: none)"
    )
    parser.add_argument(
        "--sweep", action="store_true", help="also time the localizer at several scales/sizes"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"machine: {machine()}")

    with tempfile.TemporaryDirectory() as scratch:
        if args.random:
            path = random_reader().save_pretrained(Path(scratch) / "reader")
            label = "default architecture, random weights"
        else:
            path = args.weights
            label = str(args.weights) if args.weights else "bundled weights"
        load_ms = median_ms(
            lambda: PlateReader.from_pretrained(path, device=args.device),
            max(3, args.repeats // 5),
            1,
        )
        reader = PlateReader.from_pretrained(path, device=args.device)
        threads = torch.get_num_threads()
        cold_runs = [cold_start(path, args.device, threads, args.image) for _ in range(args.cold)]
    if args.min_scale is not None:
        reader.localizer.min_scale = args.min_scale  # type: ignore[union-attr]
        label += f", min_scale {args.min_scale:g}"
    print(f"reader: {label}: {reader!r}")
    print(f"load   from_pretrained            {load_ms:8.1f} ms")
    if cold_runs:
        medians = {
            key: 1000.0 * statistics.median(r[key] for r in cold_runs) for key in cold_runs[0]
        }
        first_read = f", then first read {medians['read']:.0f} ms" if args.image else ""
        print(
            f"cold   from_pretrained            {medians['load']:8.1f} ms  (fresh process, "
            f"{len(cold_runs)} runs; after import torch {medians['torch']:.0f} ms{first_read})"
        )

    frame = load_image(args.image) if args.image else synthetic_frame()
    if args.resize:
        width_text, height_text = args.resize.lower().split("x")
        size = (int(width_text), int(height_text))
        frame = np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.BICUBIC))
    plates = reader.read(frame)
    height, width = frame.shape[:2]
    read_ms = median_ms(lambda: reader.read(frame), args.repeats, args.warmup)
    print(f"read   {width}x{height}, {len(plates)} plate(s)      {read_ms:8.1f} ms")
    if reader.localizer is not None:
        localizer = reader.localizer
        locate_ms = median_ms(lambda: localizer.locate(frame), args.repeats, args.warmup)
        print(f"  of which locate                  {locate_ms:8.1f} ms")
    if not plates:
        print("  (no plate found: read() did not rectify or classify anything)")
    crop = np.asarray(Image.fromarray(frame).crop((584, 392, 696, 456)).resize((256, 128)))
    recognize_ms = median_ms(lambda: reader.recognize(crop), args.repeats, args.warmup)
    print(f"recognize 256x128 crop            {recognize_ms:8.1f} ms")

    if args.sweep:
        print("\nlocalizer alone on the frame, random weights (median ms):")
        print(f"{'model':<48}" + "".join(f"{size:>9}" for size in SWEEP_IMGSZ))
        for architecture, scale in SWEEP_MODELS:
            row = [
                median_ms(
                    partial(
                        YoloPoseLocalizer(
                            architecture, scale, imgsz=size, device=args.device
                        ).locate,
                        frame,
                    ),
                    args.repeats,
                    2,
                )
                for size in SWEEP_IMGSZ
            ]
            name = f"{architecture} scale {scale}"
            print(f"{name:<48}" + "".join(f"{ms:9.1f}" for ms in row))


if __name__ == "__main__":
    main()
