"""How long ``recognize()`` takes on a folder of plate crops, with and without the fast nets.

The field classifiers and the corner refiner read with a copy of their nets that has the
batch norms folded into the convolutions and runs on channels-last tensors
(``jlpr.models._fusion``). This times ``recognize()`` of the bundled (or a saved) reader on
every crop of a folder two ways, interleaved crop by crop so that a noisy shared machine
slows both alike: as shipped, and with the trainable nets as they are (batch norms, NCHW).
It prints each way's median, the ratio of the medians and the median of the per-crop ratios,
and checks that both ways read the same plates.

Run::

    jlpr synth plates --n 1000 --out H --seed 777 --kind loose
    python benchmarks/bench_recognize.py H/loose --limit 300 --threads 2
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
from torch import nn

from jlpr import PlateReader
from jlpr.image import load_image


class _AsIs:
    """An inference copy that is the net itself."""

    def of(self, net: nn.Module) -> nn.Module:
        return net


def _plain(reader: PlateReader) -> PlateReader:
    """``reader`` made to run its classifiers' and refiner's trainable nets directly."""
    for component in (*reader.classifiers.values(), reader.rectifier):
        if not hasattr(component, "_inference"):
            raise SystemExit(f"{type(component).__name__} has no inference copy to switch off")
        component._inference = _AsIs()
    return reader


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("crops", type=Path, help="a folder of plate crops (*.jpg, *.png)")
    parser.add_argument("--weights", type=Path, help="a reader saved with save_pretrained()")
    parser.add_argument("--limit", type=int, default=300, help="at most this many crops")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    paths = sorted(p for p in args.crops.iterdir() if p.suffix.lower() in {".jpg", ".png"})
    crops = [load_image(p) for p in paths[: args.limit]]
    if not crops:
        raise SystemExit(f"{args.crops}: no .jpg or .png images")
    readers = {
        "shipped": PlateReader.from_pretrained(args.weights),
        "plain nets": _plain(PlateReader.from_pretrained(args.weights)),
    }
    for crop in crops[:5]:  # warm-up (the first call also makes the inference copies)
        for reader in readers.values():
            reader.recognize(crop)
    times: dict[str, list[float]] = {name: [] for name in readers}
    texts: dict[str, list[str]] = {name: [] for name in readers}
    for crop in crops:
        for name, reader in readers.items():
            started = time.perf_counter()
            plate = reader.recognize(crop)
            times[name].append((time.perf_counter() - started) * 1000.0)
            texts[name].append(plate.text)
    print(f"{len(crops)} crops, torch {torch.__version__}, threads {torch.get_num_threads()}")
    first = statistics.median(times["shipped"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<11} median {median:6.2f} ms   x{median / first:.3f}")
    ratios = [a / b for a, b in zip(times["shipped"], times["plain nets"], strict=True)]
    print(f"per-crop ratio shipped / plain nets: median {statistics.median(ratios):.3f}")
    differ = sum(a != b for a, b in zip(texts["shipped"], texts["plain nets"], strict=True))
    print(f"plates read differently: {differ} of {len(crops)}")


if __name__ == "__main__":
    main()
