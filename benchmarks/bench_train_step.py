"""How fast one training step of the five default field classifiers runs, by memory layout.

A step is what ``jlpr train classifiers`` does per batch: cut and resample every field's
region from a batch of 256x128 plate crops, run the five nets, backpropagate the summed loss
and take an AdamW step. The nets' input is either in torch's default NCHW layout or in
``channels_last`` (NHWC), which the trainer uses. The two layouts alternate round by round so
that a change in the machine's load hits both alike; the script prints the median
milliseconds per training sample of each and their ratio.

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
    channels_last: bool,
) -> None:
    loss = torch.zeros(())
    for model in models.values():
        inputs = model.prepare(images)
        if channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        loss = loss + model.net(inputs).float().square().mean()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()  # type: ignore[no-untyped-call]
    optimizer.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=64, help="samples per step (default 64)")
    parser.add_argument("--rounds", type=int, default=6, help="rounds per layout (default 6)")
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
    times: dict[bool, list[float]] = {False: [], True: []}
    for channels_last in (False, True):  # warm-up, untimed
        for _ in range(2):
            _step(models, optimizer, images, channels_last)
    for _ in range(args.rounds):
        for channels_last in (False, True):
            for _ in range(args.steps):
                start = time.perf_counter()
                _step(models, optimizer, images, channels_last)
                times[channels_last].append((time.perf_counter() - start) * 1000 / args.batch)
    nchw, nhwc = (statistics.median(times[k]) for k in (False, True))
    print(f"batch {args.batch}, {args.rounds} rounds x {args.steps} steps per layout")
    print(f"NCHW (default)  {nchw:.2f} ms per sample")
    print(f"channels_last   {nhwc:.2f} ms per sample  ({nchw / nhwc:.2f}x)")


if __name__ == "__main__":
    main()
