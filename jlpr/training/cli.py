"""The ``jlpr train`` command: ``jlpr train classifiers`` and, when installed, ``jlpr train
localizer`` (added by :func:`jlpr.training.localizer.add_parser`).

Only argparse is imported here, so that ``jlpr --help`` stays fast; torch comes in when a
training actually runs.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jlpr._argtypes import add_fonts_option, positive_int, probability, use_fonts
from jlpr.training import (
    DEFAULT_DESATURATE,
    DEFAULT_EPOCHS,
    DEFAULT_ERASE,
    DEFAULT_FIELD_EPOCHS,
    DEFAULT_HIDDEN,
    DEFAULT_PLATE_WIDTH,
    DEFAULT_RANDOM_FILTER,
    DEFAULT_ROTATE,
    DEFAULT_SAMPLES,
    DEFAULT_STROKE_JITTER,
    DEFAULT_VAL_SAMPLES,
    DEFAULT_VERTICAL_BLUR,
    HIDDEN_CHOICES,
    MAX_ROTATE,
)

__all__ = ["register"]

_LOCALIZER_MODULE = "jlpr.training.localizer"

_CLASSIFIERS_EPILOG = """\
output:
  OUT/<field>/        model.pt (state_dict), manifest.json, component.json per field
  OUT/metrics.json    per-field accuracy, NLL and ECE before/after temperature calibration
  OUT/checkpoint.pt   last epoch (nets, optimizer, schedule) for --resume
  OUT/cache/          generated crops as .npy shards (reused by later runs; see --cache)
  Load the result with jlpr.models.build_classifiers(OUT).

examples:
  jlpr train classifiers --out runs/fields --seed 0
  jlpr train classifiers --out runs/fields --seed 0 --resume
  jlpr train classifiers --out runs/kana --fields kana,scheme --samples 20000 --epochs 5
  jlpr train classifiers --out /tmp/smoke --samples 64 --val-samples 32 --epochs 1
  jlpr train classifiers --out runs/fields --data-only   # draw the crops now, train later
  tools/train_fields_parallel.sh runs/gpu --device cuda  # one process per net (a GPU)"""


def register(subparsers: Any) -> None:
    """Add ``train`` (with its sub-commands) to the ``jlpr`` command's ``subparsers``."""
    train = subparsers.add_parser(
        "train",
        help="train the default models on synthetic data",
        description="Train jlpr's default models from scratch on synthetic data.",
    )
    commands = train.add_subparsers(title="models", dest="model", metavar="MODEL")
    commands.required = True
    _add_classifiers(commands)
    importlib.import_module("jlpr.training.refiner").add_parser(commands)
    if importlib.util.find_spec(_LOCALIZER_MODULE) is not None:
        importlib.import_module(_LOCALIZER_MODULE).add_parser(commands)


def _add_classifiers(commands: Any) -> None:
    parser = commands.add_parser(
        "classifiers",
        help="train the five field classifiers (office, classification, kana, designation, scheme)",
        description=(
            "Train one small CNN per plate field on synthetic rectified plate crops,\n"
            "calibrate their confidences (temperature scaling) and write them to OUT."
        ),
        epilog=_CLASSIFIERS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", metavar="DIR", type=Path, required=True, help="output folder")
    parser.add_argument("--seed", metavar="N", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--samples",
        metavar="N",
        type=positive_int,
        default=DEFAULT_SAMPLES,
        help=f"training crops to generate (default {DEFAULT_SAMPLES})",
    )
    parser.add_argument(
        "--val-samples",
        metavar="N",
        type=positive_int,
        default=DEFAULT_VAL_SAMPLES,
        help=f"validation crops, other seeds (default {DEFAULT_VAL_SAMPLES})",
    )
    parser.add_argument(
        "--epochs",
        metavar="N[,FIELD=N...]",
        type=_epochs,
        default=(DEFAULT_EPOCHS, dict(DEFAULT_FIELD_EPOCHS)),
        help="passes over the training crops, for every field or the ones named (default "
        f"{_epochs_text(DEFAULT_EPOCHS, dict(DEFAULT_FIELD_EPOCHS))})",
    )
    parser.add_argument(
        "--batch-size", metavar="N", type=positive_int, default=64, help="(default 64)"
    )
    parser.add_argument(
        "--lr", metavar="X", type=float, default=3e-3, help="peak learning rate (default 3e-3)"
    )
    parser.add_argument(
        "--device",
        metavar="NAME",
        default="auto",
        help="cpu, cuda or cuda:N (default: cuda when available)",
    )
    parser.add_argument(
        "--fields",
        metavar="LIST",
        type=_fields,
        default=None,
        help="comma-separated fields to train (default: all five)",
    )
    parser.add_argument(
        "--cache",
        metavar="DIR",
        type=Path,
        default=None,
        help="folder for generated data (default OUT/cache)",
    )
    parser.add_argument(
        "--workers",
        metavar="N",
        type=int,
        default=0,
        help="processes generating data (default: one per CPU)",
    )
    parser.add_argument(
        "--threads",
        metavar="N",
        type=int,
        default=0,
        help="torch CPU threads (default: one per core; use fewer on a busy machine)",
    )
    parser.add_argument(
        "--loose-share",
        metavar="X",
        type=float,
        default=0.15,
        help="share of crops that are loose detector boxes instead of rectified plates "
        "(default 0.15)",
    )
    parser.add_argument(
        "--plate-width",
        metavar="LO,HI",
        type=_width_range,
        default=DEFAULT_PLATE_WIDTH,
        help="frontal plate widths in pixels, drawn log-uniformly (default "
        f"{DEFAULT_PLATE_WIDTH[0]:g},{DEFAULT_PLATE_WIDTH[1]:g}; the generator's own range is "
        "50,600)",
    )
    parser.add_argument(
        "--stroke-jitter",
        metavar="P",
        type=probability,
        default=DEFAULT_STROKE_JITTER,
        help="share of training crops whose ink is grown or thinned by up to one pixel "
        f"(default {DEFAULT_STROKE_JITTER:g}; 0 turns it off)",
    )
    parser.add_argument(
        "--vertical-blur",
        metavar="P",
        type=probability,
        default=DEFAULT_VERTICAL_BLUR,
        help="share of training crops blurred up and down only, by up to 3 px "
        f"(default {DEFAULT_VERTICAL_BLUR:g}; 0 turns it off)",
    )
    parser.add_argument(
        "--desaturate",
        metavar="P",
        type=probability,
        default=DEFAULT_DESATURATE,
        help="share of training crops whose colours the text nets see pulled towards grey, "
        f"by up to 100%% (default {DEFAULT_DESATURATE:g}; 0 turns it off)",
    )
    parser.add_argument(
        "--random-filter",
        metavar="FIELD=P,...",
        type=_shares,
        default=dict(DEFAULT_RANDOM_FILTER),
        help="share of the inputs of each named text net seen through a random filter "
        f"(recoloured, blurred, sharpened or outlined), e.g. kana=0.5 "
        f"(default: {_per_field_text(DEFAULT_RANDOM_FILTER)})",
    )
    parser.add_argument(
        "--rotate",
        metavar="FIELD=DEG,...",
        type=_angles,
        default=dict(DEFAULT_ROTATE),
        help="the inputs of each named text net turned by up to DEG degrees either way, "
        f"e.g. kana=15 (default: {_per_field_text(DEFAULT_ROTATE)})",
    )
    parser.add_argument(
        "--erase",
        metavar="FIELD=P,...",
        type=_shares,
        default=dict(DEFAULT_ERASE),
        help="share of the inputs of each named text net with a patch painted over (4-20%% "
        f"of the input; default: {_per_field_text(DEFAULT_ERASE)}; a value replaces the whole "
        "default, so 'kana=0' turns it off)",
    )
    parser.add_argument(
        "--hidden",
        choices=HIDDEN_CHOICES,
        default=DEFAULT_HIDDEN,
        help="how a text field an occluder hides is labelled: with the text drawn under it "
        "(the nets learn to guess it) or as unreadable (the nets learn to say they cannot "
        f"read it); default {DEFAULT_HIDDEN}",
    )
    parser.add_argument(
        "--init",
        metavar="DIR",
        type=_init_dir,
        help="start each net from the classifiers saved in DIR (a saved reader, 'bundled' "
        "for the weights shipped with jlpr, or another run's --out) instead of random "
        "weights: fine-tuning, typically with --epochs 1 and a tenth of the learning rate",
    )
    parser.add_argument(
        "--data",
        metavar="DIR",
        type=Path,
        action="append",
        help="train also on the labelled plates of DIR (a labels.csv as jlpr eval reads it; "
        "may be given again): your own photos, to fine-tune with --init; validation and "
        "calibration stay on synthetic crops",
    )
    parser.add_argument(
        "--data-share",
        metavar="P",
        type=probability,
        default=0.5,
        help="share of the training crops drawn from the --data plates (default 0.5)",
    )
    add_fonts_option(parser)
    parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    parser.add_argument(
        "--data-only",
        action="store_true",
        help="generate the training and validation crops into the cache and stop (the same "
        "data options later train from it without drawing again)",
    )
    parser.set_defaults(handler=_run_classifiers)


def _width_range(text: str) -> tuple[float, float]:
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LO,HI (two numbers), got {text!r}") from None
    if not 0.0 < low <= high < float("inf"):
        raise argparse.ArgumentTypeError(f"expected 0 < LO <= HI (finite), got {text!r}")
    return (low, high)


def _epochs_text(epochs: int, per_field: dict[str, int]) -> str:
    return ",".join([str(epochs), *(f"{name}={n}" for name, n in per_field.items())])


def _epochs(text: str) -> tuple[int, dict[str, int]]:
    """``N`` or ``N,FIELD=N,...``: the passes of every field, then those of the named ones."""
    first, *named = (part.strip() for part in text.split(","))
    per_field = {}
    try:
        epochs = positive_int(first)
        for part in named:
            name, _, value = part.partition("=")
            per_field[_fields(name)[0]] = positive_int(value)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(
            f"expected N or N,FIELD=N,... (e.g. 10,office=13), got {text!r}: {exc}"
        ) from None
    return epochs, per_field


def _per_field_text(amounts: tuple[tuple[str, float], ...]) -> str:
    """A per-field default as the option takes it: ``kana=0.5``, or ``none``."""
    return ",".join(f"{name}={value:g}" for name, value in amounts) or "none"


def _per_field(text: str, value_of: Callable[[str], float], usage: str) -> dict[str, float]:
    """``FIELD=VALUE,...``: ``value_of`` turns each value into a number; ``usage`` shows the
    form in errors."""
    amounts = {}
    try:
        for part in (p.strip() for p in text.split(",") if p.strip()):
            name, sep, value = part.partition("=")
            if not sep:
                raise argparse.ArgumentTypeError(f"{part!r} has no '='")
            amounts[_fields(name)[0]] = value_of(value)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"expected {usage}, got {text!r}: {exc}") from None
    return amounts


def _shares(text: str) -> dict[str, float]:
    """``FIELD=P,...``: a share from 0 to 1 per named field."""
    return _per_field(text, probability, "FIELD=P,... (e.g. kana=0.5)")


def _angle(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= MAX_ROTATE:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an angle from 0 to {MAX_ROTATE:g} degrees"
        )
    return value


def _angles(text: str) -> dict[str, float]:
    """``FIELD=DEG,...``: an angle from 0 to :data:`MAX_ROTATE` degrees per named field."""
    return _per_field(text, _angle, "FIELD=DEG,... (e.g. kana=15)")


def _fields(text: str) -> list[str]:
    from jlpr.types import Field

    names = [name.strip() for name in text.split(",") if name.strip()]
    known = {f.value for f in Field}
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown field(s) {', '.join(unknown) or '(none given)'}; choose from "
            f"{', '.join(f.value for f in Field)}"
        )
    return names


def _init_dir(text: str) -> Path:
    """``--init``: a folder, or ``bundled`` for the weights shipped inside the package."""
    if text == "bundled":
        from jlpr.pretrained import bundled_weights_dir

        return bundled_weights_dir()
    return Path(text)


def _run_classifiers(args: argparse.Namespace) -> int:
    from jlpr.training.classifiers import TrainConfig, prepare_data, train_classifiers
    from jlpr.types import Field

    use_fonts(args.fonts, args.kana_fonts)
    config = TrainConfig(
        out=args.out,
        seed=args.seed,
        samples=args.samples,
        val_samples=args.val_samples,
        epochs=args.epochs[0],
        field_epochs=args.epochs[1],
        batch_size=args.batch_size,
        lr=args.lr,
        device=args.device,
        fields=tuple(Field(f) for f in args.fields) if args.fields else tuple(Field),
        cache=args.cache,
        loose_share=args.loose_share,
        plate_width=args.plate_width,
        stroke_jitter=args.stroke_jitter,
        vertical_blur=args.vertical_blur,
        desaturate=args.desaturate,
        random_filter=args.random_filter,
        rotate=args.rotate,
        erase=args.erase,
        hidden=args.hidden,
        init=args.init,
        data=tuple(args.data or ()),
        data_share=args.data_share,
        workers=args.workers,
        threads=args.threads,
        resume=args.resume,
    )
    if args.data_only:
        train, val = prepare_data(config)
        print(f"{len(train)} training and {len(val)} validation crops in {config.cache_dir}")
        return 0
    metrics = train_classifiers(config)
    accuracy = ", ".join(f"{name} {m['accuracy']:.3f}" for name, m in metrics["fields"].items())
    print(f"classifiers written to {args.out} (validation accuracy: {accuracy})")
    return 0
