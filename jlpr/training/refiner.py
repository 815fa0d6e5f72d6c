"""``jlpr train rectifier``: train the corner refiner of the ``cnn-refine`` rectifier.

The data is a pose dataset as ``jlpr synth scenes`` writes it (``images/{train,val}`` +
``labels/{train,val}`` with four corners per plate); any Ultralytics pose dataset with the
same keypoints works. Every plate that lies wholly inside its image gives ``windows``
training windows, each cut around a different *start* quad drawn to look like what the
refiner starts from at run time:

* 45 %: a detector's corners: the true ones scaled, shifted and each moved by a few per cent
  of the plate size (the YOLO localizer is ~8 % off, median of the worst corner);
* 30 %: nearly right corners (the refiner's second pass starts from its first answer);
* 25 %: a box only (no plausible corners), half of them a loose crop: grey outside it, as
  :meth:`~jlpr.reader.PlateReader.recognize` shows a crop.

The windows are cut once, with :func:`~jlpr.models.refiner.cut_window` exactly as at run time,
and kept in memory (64x128 RGB: ~25 KB each); epochs re-read them with fresh flips and
brightness/contrast changes. Window ``k`` of scene ``i`` of a split comes from
``SeedSequence([seed, split, i])``, so the data do not depend on the number of workers.

Writes ``OUT/model.pt`` (state_dict), ``OUT/manifest.json`` (command, data, seed, metrics,
SHA-256), ``OUT/config.json`` and ``OUT/checkpoint.pt`` (every epoch, for ``--resume``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import numpy.typing as npt

from jlpr._argtypes import count, positive_int
from jlpr.errors import ConfigError

__all__ = ["RefinerTrainConfig", "add_parser", "make_windows", "train_refiner"]

CHECKPOINT_FORMAT = "jlpr-refiner-checkpoint-1"
SPLITS = {"train": 0, "val": 1}
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RefinerTrainConfig:
    """Options of one refiner training (the recipe that the manifest records)."""

    data: Path
    out: Path
    seed: int = 0
    epochs: int = 15
    windows: int = 8
    """Training windows per plate (validation uses 2)."""
    batch_size: int = 128
    lr: float = 3e-3
    device: str = "cpu"
    workers: int = 0
    threads: int = 0
    resume: bool = False

    def recipe(self) -> dict[str, Any]:
        """The options that decide the weights (a resumed run must repeat them)."""
        return {
            "data": str(self.data),
            "seed": self.seed,
            "epochs": self.epochs,
            "windows": self.windows,
            "batch_size": self.batch_size,
            "lr": self.lr,
        }


# -- data ----------------------------------------------------------------------------------------


def read_pose_labels(path: Path, width: int, height: int) -> list[FloatArray]:
    """The plates of one label file as ``(4, 2)`` corner arrays in pixels (TL, TR, BR, BL)."""
    plates = []
    for line in path.read_text(encoding="utf-8").splitlines():
        values = line.split()
        if len(values) < 17:
            continue
        keypoints = np.array([float(v) for v in values[5:17]]).reshape(4, 3)
        plates.append(keypoints[:, :2] * [width, height])
    return plates


def _start_quad(corners: FloatArray, rng: np.random.Generator) -> tuple[FloatArray, bool]:
    """A start quad for ``corners`` (see the module doc); True when it is a loose crop."""
    size = corners.max(axis=0) - corners.min(axis=0)
    mode = rng.random()
    if mode < 0.45:
        center = corners.mean(axis=0)
        spread = rng.uniform(0.02, 0.12)
        moved = (corners - center) * rng.uniform(0.85, 1.2) + center
        moved += rng.normal(0.0, 0.04, 2) * size + rng.normal(0.0, spread, (4, 2)) * size
        return moved, False
    if mode < 0.75:
        return corners + rng.normal(0.0, rng.uniform(0.0, 0.04), (4, 2)) * size, False
    (x1, y1), (x2, y2) = corners.min(axis=0), corners.max(axis=0)
    grow = rng.uniform(-0.03, 0.3, 4) * np.concatenate([size, size])
    x1, y1, x2, y2 = x1 - grow[0], y1 - grow[1], x2 + grow[2], y2 + grow[3]
    box = np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]])
    return box, bool(rng.random() < 0.5)


def make_windows(
    image: npt.NDArray[np.uint8],
    plates: Sequence[FloatArray],
    rng: np.random.Generator,
    per_plate: int,
    input_size: tuple[int, int],
    margin: float,
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float32]]:
    """``per_plate`` windows around each plate wholly inside ``image``, with their targets.

    Returns ``(N, H, W, 3)`` uint8 windows and ``(N, 4, 2)`` float32 true corners in window
    units.
    """
    from jlpr.models.refiner import PAD_VALUE, cut_window, to_window_units, window_around

    height, width = image.shape[:2]
    windows, targets = [], []
    for corners in plates:
        if corners.min() < 0 or corners[:, 0].max() > width or corners[:, 1].max() > height:
            continue
        for _ in range(per_plate):
            start, loose = _start_quad(corners, rng)
            window = window_around(start, margin)
            crop = cut_window(image, window, input_size).copy()
            if loose:
                # Grey outside the start box: the crop recognize() was given ends there.
                (bx1, by1), (bx2, by2) = to_window_units(start, window)[[0, 2]]
                w, h = input_size
                outside = np.ones((h, w), dtype=bool)
                outside[
                    max(0, round(by1 * h)) : max(0, round(by2 * h)),
                    max(0, round(bx1 * w)) : max(0, round(bx2 * w)),
                ] = False
                crop[outside] = PAD_VALUE
            windows.append(crop)
            targets.append(to_window_units(corners, window))
    w, h = input_size
    if not windows:
        return np.zeros((0, h, w, 3), np.uint8), np.zeros((0, 4, 2), np.float32)
    return np.stack(windows), np.stack(targets).astype(np.float32)


def _scene_files(data: Path, split: str) -> list[tuple[Path, Path]]:
    images = sorted((data / "images" / split).glob("*.jpg")) + sorted(
        (data / "images" / split).glob("*.png")
    )
    pairs = [(p, data / "labels" / split / (p.stem + ".txt")) for p in images]
    return [(image, label) for image, label in pairs if label.is_file()]


def _windows_of_chunk(
    chunk: Sequence[tuple[int, str, str]],
    seed: int,
    split: int,
    per_plate: int,
    input_size: tuple[int, int],
    margin: float,
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float32]]:
    from PIL import Image

    all_windows, all_targets = [], []
    for index, image_path, label_path in chunk:
        with Image.open(image_path) as pil:
            image = np.asarray(pil.convert("RGB"), dtype=np.uint8)
        plates = read_pose_labels(Path(label_path), image.shape[1], image.shape[0])
        rng = np.random.default_rng(np.random.SeedSequence([seed, split, index]))
        windows, targets = make_windows(image, plates, rng, per_plate, input_size, margin)
        all_windows.append(windows)
        all_targets.append(targets)
    return np.concatenate(all_windows), np.concatenate(all_targets)


def build_windows(
    config: RefinerTrainConfig, split: str, per_plate: int, log: TextIO
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float32]]:
    """All windows of one split of ``config.data`` (in scene order, whatever the workers)."""
    from jlpr.models.refiner import DEFAULT_INPUT_SIZE, DEFAULT_MARGIN

    files = _scene_files(config.data, split)
    if not files:
        raise ConfigError(
            f"no scenes in {config.data / 'images' / split} with labels in "
            f"{config.data / 'labels' / split}; make them with 'jlpr synth scenes'"
        )
    items = [(i, str(image), str(label)) for i, (image, label) in enumerate(files)]
    chunks = [items[i : i + 64] for i in range(0, len(items), 64)]
    args = (config.seed, SPLITS[split], per_plate, DEFAULT_INPUT_SIZE, DEFAULT_MARGIN)
    workers = config.workers or os.cpu_count() or 1
    started = time.perf_counter()
    if workers == 1:
        parts = [_windows_of_chunk(chunk, *args) for chunk in chunks]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_windows_of_chunk, chunk, *args) for chunk in chunks]
            parts = [future.result() for future in futures]
    windows = np.concatenate([p[0] for p in parts])
    targets = np.concatenate([p[1] for p in parts])
    log.write(
        f"{split}: {len(windows)} windows from {len(files)} scenes "
        f"in {time.perf_counter() - started:.0f} s\n"
    )
    return windows, targets


# -- training ------------------------------------------------------------------------------------


def corner_errors(predicted: FloatArray, truth: FloatArray) -> FloatArray:
    """Worst-corner error of each window, as a share of its true plate's width."""
    plate_width = np.ptp(truth[:, :, 0], axis=1)
    worst = np.linalg.norm(predicted - truth, axis=2).max(axis=1)
    result: FloatArray = worst / np.maximum(plate_width, 1e-6)
    return result


def _summary(errors: FloatArray) -> dict[str, float]:
    return {
        "median": float(np.median(errors)),
        "p90": float(np.percentile(errors, 90)),
        "within_3pct": float(np.mean(errors < 0.03)),
        "within_5pct": float(np.mean(errors < 0.05)),
    }


def train_refiner(config: RefinerTrainConfig, log: TextIO | None = None) -> dict[str, Any]:
    """Train (or resume) the corner refiner; write OUT and return the metrics."""
    import torch
    import torch.nn.functional as F

    from jlpr.models.refiner import CornerNet, RefiningRectifier, to_tensor
    from jlpr.synth.datasets import scene_dataset_recipe
    from jlpr.training.classifiers import _resolve_device

    log = log if log is not None else sys.stderr
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    device = _resolve_device(config.device)
    config.out.mkdir(parents=True, exist_ok=True)
    checkpoint_path = config.out / "checkpoint.pt"
    if checkpoint_path.exists() and not config.resume:
        raise ConfigError(
            f"{config.out} already holds a training checkpoint; pass --resume to continue it "
            "or choose another --out"
        )
    started = time.perf_counter()
    train_x, train_y = build_windows(config, "train", config.windows, log)
    val_x, val_y = build_windows(config, "val", 2, log)
    data_seconds = time.perf_counter() - started

    net = CornerNet().to(device)
    optimizer = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=1e-4)
    steps = math.ceil(len(train_x) / config.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config.lr, total_steps=config.epochs * steps, pct_start=0.15
    )
    history: list[dict[str, float]] = []
    start_epoch = 0
    if config.resume and checkpoint_path.exists():
        state = torch.load(checkpoint_path, map_location=device, weights_only=True)
        if state.get("format") != CHECKPOINT_FORMAT or json.loads(state["recipe"]) != (
            config.recipe()
        ):
            raise ConfigError(f"cannot resume {checkpoint_path}: other options or format")
        net.load_state_dict(state["net"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        history = list(state["history"])
        start_epoch = int(state["epoch"]) + 1
        log.write(f"resuming after epoch {start_epoch} of {config.epochs}\n")

    def predict(windows: npt.NDArray[np.uint8]) -> FloatArray:
        net.eval()
        out = []
        with torch.inference_mode():
            for i in range(0, len(windows), 512):
                out.append(net(to_tensor(windows[i : i + 512], device)).cpu().numpy())
        return np.concatenate(out).astype(np.float64)

    train_seconds = 0.0
    for epoch in range(start_epoch, config.epochs):
        epoch_start = time.perf_counter()
        net.train()
        rng = np.random.default_rng(np.random.SeedSequence([config.seed, 2, epoch]))
        order = rng.permutation(len(train_x))
        total = 0.0
        for step in range(steps):
            index = np.sort(order[step * config.batch_size : (step + 1) * config.batch_size])
            images = to_tensor(train_x[index], device)
            target = torch.from_numpy(train_y[index]).to(device)
            flip = torch.from_numpy(rng.random(len(index)) < 0.5).to(device)
            if bool(flip.any()):
                # A mirrored window: x -> 1 - x, and TL<->TR, BR<->BL swap names.
                images[flip] = images[flip].flip(3)
                mirrored = target[flip][:, [1, 0, 3, 2]]
                mirrored[:, :, 0] = 1.0 - mirrored[:, :, 0]
                target[flip] = mirrored
            gain = torch.from_numpy(rng.uniform(0.6, 1.4, (len(index), 1, 1, 1))).to(device)
            bias = torch.from_numpy(rng.uniform(-0.15, 0.15, (len(index), 1, 1, 1))).to(device)
            images = ((images - 0.5) * gain.float() + 0.5 + bias.float()).clamp_(0.0, 1.0)
            loss = F.smooth_l1_loss(net(images), target, beta=0.02)
            optimizer.zero_grad(set_to_none=True)
            torch.autograd.backward(loss)
            optimizer.step()
            scheduler.step()
            total += float(loss.detach())
        train_seconds += time.perf_counter() - epoch_start
        errors = _summary(corner_errors(predict(val_x), val_y.astype(np.float64)))
        history.append({"epoch": epoch + 1, "loss": total / steps, **errors})
        log.write(
            f"epoch {epoch + 1}/{config.epochs} loss {total / steps:.4f}  val worst-corner "
            f"error median {errors['median']:.3f} p90 {errors['p90']:.3f} "
            f"(<3 %: {errors['within_3pct']:.2f})  {time.perf_counter() - epoch_start:.0f} s\n"
        )
        log.flush()
        temporary = checkpoint_path.with_name("checkpoint.pt.tmp")
        torch.save(
            {
                "format": CHECKPOINT_FORMAT,
                "recipe": json.dumps(config.recipe(), sort_keys=True),
                "epoch": epoch,
                "net": net.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "history": history,
            },
            temporary,
        )
        os.replace(temporary, checkpoint_path)

    metrics = {
        "val_windows": len(val_x),
        "train_windows": len(train_x),
        "val": history[-1] if history else {},
        "data_seconds": round(data_seconds, 1),
        "train_seconds": round(train_seconds, 1),
        "history": history,
    }
    rectifier = RefiningRectifier(
        weights=net.state_dict(),
        provenance={
            "command": "jlpr train rectifier " + shlex.join(_argv(config)),
            "recipe": {**config.recipe(), "data": config.data.name},
            "data": "windows cut around noisy start quads of every plate of a "
            "'jlpr synth scenes' pose dataset (see jlpr.training.refiner)",
            "data_recipe": scene_dataset_recipe(config.data),
            "metrics": {k: v for k, v in metrics.items() if k != "history"},
        },
    )
    rectifier.save_weights(config.out)
    (config.out / "config.json").write_text(
        json.dumps(rectifier.get_config(), indent=2) + "\n", encoding="utf-8"
    )
    (config.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", "utf-8")
    return metrics


def _argv(config: RefinerTrainConfig) -> list[str]:
    argv = ["--data", config.data.name, "--out", config.out.name, "--seed", str(config.seed)]
    defaults = RefinerTrainConfig(config.data, config.out)
    for name in ("epochs", "windows", "batch_size", "lr"):
        if getattr(config, name) != getattr(defaults, name):
            argv += [f"--{name.replace('_', '-')}", str(getattr(config, name))]
    return argv


# -- command line --------------------------------------------------------------------------------


def add_parser(subparsers: Any) -> None:
    """Add ``rectifier`` to the ``jlpr train`` subcommands (no heavy imports here)."""
    parser = subparsers.add_parser(
        "rectifier",
        help="train the corner refiner of the cnn-refine rectifier",
        description=(
            "Train the small CNN that moves rough plate corners onto the plate (the cnn-refine "
            "rectifier) on windows cut from a 'jlpr synth scenes' pose dataset."
        ),
    )
    defaults = RefinerTrainConfig(Path(), Path())
    parser.add_argument("--data", type=Path, required=True, help="pose dataset folder")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--epochs", type=positive_int, default=defaults.epochs)
    parser.add_argument(
        "--windows", type=positive_int, default=defaults.windows, help="windows per plate"
    )
    parser.add_argument("--batch-size", type=positive_int, default=defaults.batch_size)
    parser.add_argument("--lr", type=float, default=defaults.lr, help="peak learning rate")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    parser.add_argument(
        "--workers", type=count, default=0, help="processes cutting windows (0: one per core)"
    )
    parser.add_argument(
        "--threads", type=count, default=0, help="torch threads (0: torch's default)"
    )
    parser.add_argument("--resume", action="store_true", help="continue OUT/checkpoint.pt")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    data = args.data.parent if args.data.suffix in (".yaml", ".yml") else args.data
    config = RefinerTrainConfig(
        data=data,
        out=args.out,
        seed=args.seed,
        epochs=args.epochs,
        windows=args.windows,
        batch_size=args.batch_size,
        lr=args.lr,
        device=args.device,
        workers=args.workers,
        threads=args.threads,
        resume=args.resume,
    )
    metrics = train_refiner(config)
    val = metrics["val"]
    print(
        f"corner refiner written to {args.out} (val worst-corner error: median "
        f"{val.get('median', float('nan')):.3f} of the plate width, p90 "
        f"{val.get('p90', float('nan')):.3f})"
    )
    return 0
