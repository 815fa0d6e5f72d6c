"""How fast one training step of the five default field classifiers runs, by memory layout
and precision.

A step is what ``jlpr train classifiers`` does per batch: cut and resample every field's
region from a batch of 256x128 plate crops, run the five nets, backpropagate the summed loss
and take an AdamW step. The nets' input is either in torch's default NCHW layout or in
``channels_last`` (NHWC), which the trainer uses; a third variant runs the channels_last
nets' forward passes under bfloat16 autocast, which the trainer does not (docs/experiments.md,
"bfloat16 training on the CPU"). The variants alternate round by round so that a change in
the machine's load hits all alike; the script prints the median milliseconds per training
sample of each and its speed relative to NCHW float32.

Run: ``python benchmarks/bench_train_step.py [--batch 64] [--rounds 6] [--steps 8]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import torch

from jlpr import Field
from jlpr.models.fields import CnnFieldClassifier


def _step(
    models: dict[Field, CnnFieldClassifier],
    optimizer: torch.optim.Optimizer,
    images: torch.Tensor,
    variant: tuple[bool, bool],
) -> None:
    channels_last, bf16 = variant
    loss = torch.zeros(())
    for model in models.values():
        inputs = model.prepare(images)
        if channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model.net(inputs)
        loss = loss + logits.float().square().mean()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()  # type: ignore[no-untyped-call]
    optimizer.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=64, help="samples per step (default 64)")
    parser.add_argument("--rounds", type=int, default=6, help="rounds per variant (default 6)")
    parser.add_argument("--steps", type=int, default=8, help="timed steps per round (default 8)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(
        f"{platform.platform()} | python {platform.python_version()} | torch "
        f"{torch.__version__} | {os.cpu_count()} CPUs | torch threads {torch.get_num_threads()}"
    )
    torch.manual_seed(0)
    models = {f: CnnFieldClassifier.create(f) for f in Field}
    for model in models.values():
        model.net.train()
    parameters = [p for m in models.values() for p in m.net.parameters()]
    optimizer = torch.optim.AdamW(parameters, lr=1e-4)
    images = torch.rand(args.batch, 3, 128, 256) * 255.0
    variants = {
        "NCHW float32": (False, False),
        "channels_last float32": (True, False),
        "channels_last bf16 autocast": (True, True),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for variant in variants.values():  # warm-up, untimed
        for _ in range(2):
            _step(models, optimizer, images, variant)
    for _ in range(args.rounds):
        for name, variant in variants.items():
            for _ in range(args.steps):
                start = time.perf_counter()
                _step(models, optimizer, images, variant)
                times[name].append((time.perf_counter() - start) * 1000 / args.batch)
    medians = {name: statistics.median(values) for name, values in times.items()}
    base = medians["NCHW float32"]
    print(f"batch {args.batch}, {args.rounds} rounds x {args.steps} steps per variant")
    for name, median in medians.items():
        print(f"{name:<28} {median:.2f} ms per sample  ({base / median:.2f}x)")


if __name__ == "__main__":
    main()
