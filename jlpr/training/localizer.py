"""``jlpr train localizer``: train the YOLO pose plate localizer from scratch with Ultralytics.

The data is an Ultralytics pose dataset with one class and four keypoints TL, TR, BR, BL
(``kpt_shape: [4, 3]``, ``flip_idx: [1, 0, 3, 2]``), as ``jlpr synth scenes`` writes it.
Training runs in ``OUT/train`` (``weights/last.pt`` there makes ``--resume`` possible);
at the end ``OUT`` receives what :meth:`YoloPoseLocalizer.load` reads::

    OUT/model.pt        state_dict of the best epoch (EMA weights), float32
    OUT/config.json     YoloPoseLocalizer.get_config()
    OUT/manifest.json   command, data, seed, sizes, val metrics, SHA-256 of model.pt

Nothing is downloaded: no pretrained weights (``pretrained=False``), no AMP check
(``amp=False``; it fetches a model to compare against), no plots (``plots=False``; they fetch
a font), and for the duration of the run Ultralytics' dataset check does not look for that
font online and no telemetry, hub or logger integration is attached.

Cost: about 0.15 s per 416x416 training image on 2 CPU cores for YOLOv8n-pose, validation
included. The recommended recipe for the ~60 CPU-minute budget of the default localizer is
3,600 training crops of ``jlpr synth scenes --size 640 --crop 416`` for 5 epochs (the
defaults); ``benchmarks/README.md`` has the measurements.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import re
import shlex
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jlpr.errors import ConfigError
from jlpr.pretrained import sha256_file

__all__ = ["TrainingResult", "add_parser", "train_localizer"]

RUN_NAME = "train"
BEST_STATE_NAME = "best_state_dict.pt"
"""Float32 ``state_dict`` of the best epoch, written next to Ultralytics' own checkpoints."""

# Augmentation for plates at their native scale: mild zoom (the scenes already vary plate
# size), small rotations (the scenes already apply perspective), mosaic for more plates and
# contexts per image, horizontal flips (flip_idx keeps the corner order; mirrored text does
# not matter for finding plates).
AUGMENTATION: dict[str, float] = {
    "mosaic": 1.0,
    "scale": 0.3,
    "translate": 0.1,
    "degrees": 3.0,
    "shear": 0.0,
    "perspective": 0.0,
    "fliplr": 0.5,
    "flipud": 0.0,
    "mixup": 0.0,
    "hsv_h": 0.015,
    "hsv_s": 0.5,
    "hsv_v": 0.4,
}


@dataclass(frozen=True)
class TrainingResult:
    """What :func:`train_localizer` wrote and measured."""

    out: Path
    metrics: dict[str, float]
    seconds: float
    images_seen: int

    @property
    def seconds_per_image(self) -> float:
        """Wall time per training image, validation included."""
        return self.seconds / max(1, self.images_seen)


# -- command line ----------------------------------------------------------------------------------


def add_parser(subparsers: Any) -> None:
    """Add ``localizer`` to the ``jlpr train`` subcommands (no heavy imports here)."""
    parser = subparsers.add_parser(
        "localizer",
        help="train the YOLO pose plate localizer from scratch",
        description=(
            "Train the plate localizer (a YOLO pose network: one class, corners TL, TR, BR, "
            "BL) on a pose dataset written by 'jlpr synth scenes', and export it to OUT as "
            "model.pt + config.json + manifest.json."
        ),
    )
    parser.add_argument(
        "--data", type=Path, required=True, help="data.yaml of a pose dataset, or its folder"
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs (default 5)")
    parser.add_argument(
        "--imgsz", type=int, default=416, help="training image size, pixels (default 416)"
    )
    parser.add_argument(
        "--predict-imgsz",
        type=int,
        default=None,
        help="longer side of whole frames at inference (default: the size=N the scenes "
        "were made at, from data.yaml's header, else 640)",
    )
    parser.add_argument("--batch", type=int, default=16, help="batch size (default 16)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="data-loading processes (default: 0 on the CPU, where they slow training down "
        "by competing with it, else 8)",
    )
    parser.add_argument("--resume", action="store_true", help="continue OUT/train/weights/last.pt")
    parser.add_argument(
        "--model",
        default="yolov8n-pose.yaml",
        help="Ultralytics pose model YAML, with or without scale letter (default "
        "yolov8n-pose.yaml)",
    )
    parser.add_argument(
        "--scale",
        default=None,
        help="scale name (n, s, ...) or DEPTH,WIDTH,MAX_CHANNELS such as 0.33,0.125,1024; "
        "overrides the letter in --model",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    result = train_localizer(
        args.data,
        args.out,
        seed=args.seed,
        epochs=args.epochs,
        imgsz=args.imgsz,
        predict_imgsz=args.predict_imgsz,
        batch=args.batch,
        device=args.device,
        workers=args.workers,
        resume=args.resume,
        model=args.model,
        scale=parse_scale(args.scale),
        command=_command_line(args),
    )
    metrics = ", ".join(f"{k} {v:.3f}" for k, v in result.metrics.items())
    print(
        f"localizer written to {result.out} ({metrics}; "
        f"{result.seconds_per_image * 1000:.0f} ms per training image)"
    )
    return 0


def _command_line(args: argparse.Namespace) -> list[str]:
    """The command as it could be typed again, every option spelled out."""
    command = ["jlpr", "train", "localizer", "--data", str(args.data), "--out", str(args.out)]
    for option in ("seed", "epochs", "imgsz", "predict_imgsz", "batch", "device", "workers"):
        value = getattr(args, option)
        if value is not None:
            command += [f"--{option.replace('_', '-')}", str(value)]
    command += ["--model", args.model]
    if args.scale is not None:
        command += ["--scale", args.scale]
    if args.resume:
        command.append("--resume")
    return command


def parse_scale(text: str | None) -> str | tuple[float, float, int] | None:
    """``"n"`` stays a name; ``"0.33,0.125,1024"`` becomes ``(0.33, 0.125, 1024)``."""
    if text is None or "," not in text:
        return text
    try:
        depth, width, channels = (part.strip() for part in text.split(","))
        return (float(depth), float(width), int(channels))
    except ValueError:
        raise ConfigError(f"--scale is a name or DEPTH,WIDTH,MAX_CHANNELS, got {text!r}") from None


# -- training ------------------------------------------------------------------------------------


def train_localizer(
    data: Path,
    out: Path,
    *,
    seed: int = 0,
    epochs: int = 5,
    imgsz: int = 416,
    predict_imgsz: int | None = None,
    batch: int = 16,
    device: str = "cpu",
    workers: int | None = None,
    resume: bool = False,
    model: str = "yolov8n-pose.yaml",
    scale: str | tuple[float, float, int] | None = None,
    command: list[str] | None = None,
) -> TrainingResult:
    """Train the localizer on the pose dataset ``data`` and export it to ``out``.

    Args:
        data: ``data.yaml`` of an Ultralytics pose dataset, or the folder that holds it.
        out: output folder; training runs in ``out/train``.
        seed: seeds Ultralytics (Python, numpy, torch) and its deterministic mode.
        epochs: passes over the training images.
        imgsz: square training size; the scenes' crops are used at their native scale.
        predict_imgsz: the exported localizer's ``imgsz`` for whole frames; by default the
            frame size the scenes were cut from (``size=N`` in the header comments that
            ``jlpr synth scenes`` writes into ``data.yaml``), else 640. Plates then have
            the same size in pixels at inference as in training.
        batch: images per optimiser step.
        device: ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
        workers: data-loading processes; ``None`` picks 0 on the CPU (measured faster on 2
            cores: loader processes compete with the training threads) and 8 on a GPU.
        resume: continue from ``out/train/weights/last.pt`` (same data and settings).
        model: an Ultralytics pose YAML name, such as ``"yolov8n-pose.yaml"``.
        scale: overrides the scale letter of ``model`` (a name or depth, width, channels).
        command: the command line recorded in the manifest.
    """
    from jlpr.models.localizer import (
        DEFAULT_IMGSZ,
        WEIGHTS_NAME,
        YoloPoseLocalizer,
        parse_model_name,
    )

    architecture, named_scale = parse_model_name(model)
    chosen_scale = scale if scale is not None else named_scale or "n"
    out.mkdir(parents=True, exist_ok=True)
    data_yaml, data_info = _resolve_data(data, out)
    run_dir = out / RUN_NAME
    last = run_dir / "weights" / "last.pt"
    if resume and not last.is_file():
        raise ConfigError(f"nothing to resume: {last} does not exist")
    # Building the localizer checks architecture and scale before any training starts.
    frame_size = predict_imgsz or data_info["scene_size"] or DEFAULT_IMGSZ
    localizer = YoloPoseLocalizer(architecture, chosen_scale, imgsz=frame_size, device="cpu")
    overrides: dict[str, Any] = {
        "model": model,
        "data": str(data_yaml.resolve()),
        "epochs": epochs,
        "imgsz": imgsz,
        "batch": batch,
        "device": _ultralytics_device(device),
        "workers": workers if workers is not None else (0 if device == "cpu" else 8),
        "seed": seed,
        "deterministic": True,
        "project": str(out.resolve()),
        "name": RUN_NAME,
        "exist_ok": True,
        "pretrained": False,
        "amp": False,
        "plots": False,
        "val": True,
        "patience": epochs,
        # Ultralytics warms up for 3 epochs by default: most of a short CPU schedule.
        "warmup_epochs": min(3.0, max(1.0, epochs / 5)),
        "close_mosaic": max(1, epochs // 5),
        "verbose": True,
        **AUGMENTATION,
    }
    if resume:
        overrides["resume"] = str(last)
    started = time.perf_counter()
    with _offline_ultralytics():
        from ultralytics.models.yolo.pose import PoseTrainer

        trainer = PoseTrainer(overrides=overrides)
        if not resume:
            trainer.model = localizer.network.train()
        trainer.add_callback("on_model_save", _save_best_state)
        trainer.train()  # type: ignore[no-untyped-call]
    seconds = time.perf_counter() - started
    metrics = _val_metrics(trainer.metrics)
    images_seen = data_info["train_images"] * (epochs - (trainer.start_epoch if resume else 0))

    shutil.copyfile(run_dir / BEST_STATE_NAME, out / WEIGHTS_NAME)
    config = localizer.get_config()
    YoloPoseLocalizer.from_config(config, out)  # the exported files must load
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    result = TrainingResult(out=out, metrics=metrics, seconds=seconds, images_seen=images_seen)
    manifest = {
        "component": "localizer",
        "registry_name": YoloPoseLocalizer.registry_name,
        "command": shlex.join(command) if command else None,
        "data": data_info,
        "seed": seed,
        "epochs": epochs,
        "imgsz": imgsz,
        "batch": batch,
        "device": device,
        "resumed": resume,
        "ultralytics_args": overrides,
        "config": config,
        "metrics": metrics,
        "train_seconds": round(seconds, 1),
        "seconds_per_train_image": round(result.seconds_per_image, 4),
        "files": {WEIGHTS_NAME: sha256_file(out / WEIGHTS_NAME)},
        "versions": _versions(),
    }
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return result


def _save_best_state(trainer: Any) -> None:
    """Keep the EMA weights of the best epoch as a plain float32 ``state_dict``.

    Ultralytics' own ``best.pt`` pickles the whole model object; reading it back would mean
    unpickling arbitrary classes, which jlpr never does.
    """
    import torch

    if trainer.best_fitness != trainer.fitness:
        return
    state = {k: v.detach().cpu().clone() for k, v in trainer.ema.ema.state_dict().items()}
    torch.save(state, Path(trainer.save_dir) / BEST_STATE_NAME)


def _val_metrics(metrics: dict[str, Any] | None) -> dict[str, float]:
    names = {
        "metrics/mAP50(B)": "box_map50",
        "metrics/mAP50-95(B)": "box_map50_95",
        "metrics/mAP50(P)": "pose_map50",
        "metrics/mAP50-95(P)": "pose_map50_95",
        "metrics/precision(B)": "box_precision",
        "metrics/recall(B)": "box_recall",
    }
    found = metrics or {}
    return {short: round(float(found[key]), 4) for key, short in names.items() if key in found}


def _resolve_data(data: Path, out: Path) -> tuple[Path, dict[str, Any]]:
    """Check the dataset and write ``out/data.yaml`` with an absolute ``path``.

    Ultralytics resolves a relative ``path`` against its global datasets folder, not against
    the YAML; the copy pins it to the dataset's own folder.
    """
    from ultralytics.utils import YAML

    from jlpr.synth.datasets import scene_dataset_recipe

    source = data / "data.yaml" if data.is_dir() else data
    if not source.is_file():
        raise ConfigError(f"no pose dataset at {data}: expected a data.yaml or a folder with one")
    spec = YAML.load(source)  # type: ignore[no-untyped-call]
    if not isinstance(spec, dict):
        raise ConfigError(f"{source} is not a YAML mapping")
    if list(spec.get("kpt_shape", [])) != [4, 3]:
        raise ConfigError(
            f"{source}: a plate dataset has kpt_shape [4, 3] (TL, TR, BR, BL), "
            f"got {spec.get('kpt_shape')}"
        )
    names = spec.get("names")
    if len(names if isinstance(names, list | dict) else []) != 1:
        raise ConfigError(f"{source}: a plate dataset has one class, got names {names!r}")
    root = Path(spec.get("path") or ".")
    root = (root if root.is_absolute() else source.parent / root).resolve()
    spec["path"] = str(root)
    spec.pop("download", None)  # never fetch a dataset
    spec.setdefault("flip_idx", [1, 0, 3, 2])
    counts = {f"{split}_images": _count_images(root, spec.get(split)) for split in ("train", "val")}
    if counts["train_images"] == 0 or counts["val_images"] == 0:
        raise ConfigError(f"{source}: the train and val splits must both hold images, got {counts}")
    resolved = out / "data.yaml"
    YAML.save(resolved, spec)  # type: ignore[no-untyped-call]
    info: dict[str, Any] = {"source": str(source.resolve()), **counts, "spec": spec}
    recipe = scene_dataset_recipe(source)
    if recipe:
        info["recipe"] = recipe
    size = re.search(r"\bsize=(\d+)\b", " ".join(recipe))
    info["scene_size"] = int(size[1]) if size else None
    return resolved, info


def _count_images(root: Path, split: Any) -> int:
    suffixes = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
    folders = split if isinstance(split, list) else [split] if split else []
    return sum(
        1
        for folder in folders
        for path in (root / str(folder)).rglob("*")
        if path.suffix.lower() in suffixes
    )


def _ultralytics_device(device: str) -> str:
    """``cpu``/``cuda``/``cuda:N`` as Ultralytics spells them (``cpu``, ``0``, ``N``)."""
    if device == "cpu":
        return "cpu"
    if device == "cuda":
        return "0"
    if device.startswith("cuda:") and device[5:].isdigit():
        return device[5:]
    raise ConfigError(f"--device must be cpu, cuda or cuda:N, got {device!r}")


@contextlib.contextmanager
def _offline_ultralytics() -> Iterator[None]:
    """Keep an Ultralytics training run off the network.

    ``check_det_dataset`` looks for the Arial font and, when it is not cached, asks GitHub
    for it (a HEAD request even when offline); trainers and validators attach telemetry,
    hub and logger callbacks (Comet, ClearML, MLflow, ...) from the user's settings.
    """
    import ultralytics.data.utils as data_utils
    from ultralytics.utils import callbacks

    saved_font = data_utils.check_font  # type: ignore[attr-defined]
    saved_integrations = callbacks.add_integration_callbacks
    data_utils.check_font = _no_font  # type: ignore[attr-defined]
    callbacks.add_integration_callbacks = _no_integrations
    try:
        yield
    finally:
        data_utils.check_font = saved_font  # type: ignore[attr-defined]
        callbacks.add_integration_callbacks = saved_integrations


def _no_font(font: str = "") -> None:
    return None


def _no_integrations(instance: Any) -> None:
    return None


def _versions() -> dict[str, str]:
    import torch
    import ultralytics

    import jlpr

    return {
        "jlpr": jlpr.__version__,
        "ultralytics": ultralytics.__version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
