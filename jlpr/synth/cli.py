"""``jlpr synth``: write synthetic training data from the shell.

``jlpr synth plates`` writes plate crops for the field classifiers with a ``labels.csv`` in
the real-dev schema; ``jlpr synth scenes`` writes an ultralytics pose dataset for the
localizer. :func:`register` adds both to the main ``jlpr`` parser; ``python -m
jlpr.synth.cli`` runs them on their own. Heavy imports (numpy, PIL, the renderer) happen only
when a command runs, so ``jlpr --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jlpr._argtypes import add_fonts_option, angle, count, positive_int, probability, use_fonts

__all__ = ["main", "register"]

DEFAULT_VEHICLES = Path("../shared/data/vehicles")
"""Where the shared vehicle photos live relative to the repository root (used if present)."""

_PLATES_EPILOG = """\
examples:
  # 10,000 rectified and loose crops, the default degradation mix, 4 processes
  jlpr synth plates --n 10000 --out data/plates --seed 1 --workers 4

  # rectified crops only, harder views, bigger crops
  jlpr synth plates --n 2000 --out data/hard --seed 2 --kind rectified \\
      --preset strong --size 320x160

output:
  DIR/rectified/<index>.png  the plate as the reader's rectifier cuts it (from slightly
                             wrong corners, as a real localizer gives them)
  DIR/loose/<index>.png      an axis-aligned crop with 5-30 % margin, like a detector box
  DIR/labels.csv             file,office,classification,kana,number,color,box_xywh,notes
                             (the real-dev schema; notes = scheme=...;corners=x1,y1,...)

The same --seed gives the same bytes, whatever --workers is.
"""

_SCENES_EPILOG = """\
examples:
  # 20,000 whole 640-px scenes, real vehicle photos where available, 2 processes
  jlpr synth scenes --n 20000 --out data/scenes --seed 1 --workers 2

  # native-scale 416 x 416 windows of 1280-px frames, no vehicle photos at all
  jlpr synth scenes --n 5000 --out data/tiles --seed 3 --size 1280 --crop 416 --no-vehicles

  # 300 held-out 1920-px frames (vehicle photos of the validation split only), read and scored
  jlpr synth scenes --n 3000 --out data/big --seed 9 --size 1920 --workers 2
  jlpr eval data/big/images/val

  # train a pose model on it (ultralytics)
  yolo pose train data=data/scenes/data.yaml model=yolo11n-pose.pt imgsz=640

output:
  DIR/images/{train,val}/<index>.jpg
  DIR/labels/{train,val}/<index>.txt   0 cx cy w h x1 y1 v1 ... x4 y4 v4 (normalised,
                                       corners TL, TR, BR, BL; empty for negatives)
  DIR/data.yaml                        kpt_shape [4, 3], flip_idx [1, 0, 3, 2]
  DIR/scenes.jsonl                     plate text, fields, boxes and corners in pixels
  DIR/images/{train,val}/labels.csv    the same in the real-dev schema: one row per plate
                                       (fields hidden by an occluder or the image edge
                                       left empty), so that 'jlpr eval DIR/images/val'
                                       measures a reader on whole synthetic frames

Vehicle photos (--vehicles, default ../shared/data/vehicles when it exists) have their
annotated plates replaced by rendered Japanese plates. They also contain UNLABELLED
background plates, so they are never used as negatives; negatives are procedural.
The same --seed gives the same bytes, whatever --workers is.
"""


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``synth`` command (with ``plates`` and ``scenes``) to ``subparsers``."""
    synth = subparsers.add_parser(
        "synth",
        help="write synthetic plate crops or localizer scenes",
        description="Write synthetic training data: plate crops for the field classifiers "
        "(plates) or an ultralytics pose dataset for the localizer (scenes).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="run 'jlpr synth plates --help' or 'jlpr synth scenes --help' for examples",
    )
    kinds = synth.add_subparsers(title="datasets", dest="synth_command", metavar="KIND")
    kinds.required = True
    _add_plates(kinds)
    _add_scenes(kinds)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n", type=count, required=True, help="how many items to write")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--workers",
        type=count,
        default=1,
        metavar="K",
        help="processes to use (default: 1; 0 means one per CPU core)",
    )
    add_fonts_option(parser)
    bar = parser.add_mutually_exclusive_group()
    bar.add_argument(
        "--progress", dest="progress", action="store_true", default=None, help="always show it"
    )
    bar.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        help="never show progress (default: a bar when stderr is a terminal, else a line a minute)",
    )


def _add_plates(kinds: argparse._SubParsersAction[Any]) -> None:
    plates = kinds.add_parser(
        "plates",
        help="plate crops + labels.csv for the field classifiers",
        description="Render random Japanese plates, photograph them (pose, light, blur, "
        "noise, JPEG) and write rectified and/or loose crops with a real-dev style labels.csv.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_PLATES_EPILOG,
    )
    _add_common(plates)
    plates.add_argument(
        "--kind",
        choices=("rectified", "loose", "both"),
        default="both",
        help="which crops to write (default: both)",
    )
    plates.add_argument(
        "--size",
        type=_size,
        default=None,
        metavar="WxH",
        help="size of the rectified crops (default: the canonical 256x128)",
    )
    plates.add_argument(
        "--preset",
        choices=("default", "none", "mild", "strong"),
        default="default",
        help="degradation mix (default: default, between mild and strong)",
    )
    plates.add_argument(
        "--format", dest="image_format", choices=("png", "jpg"), default="png", help="image files"
    )
    plates.set_defaults(handler=_run_plates)


def _add_scenes(kinds: argparse._SubParsersAction[Any]) -> None:
    scenes = kinds.add_parser(
        "scenes",
        help="ultralytics pose dataset (box + 4 corners) for the localizer",
        description="Compose scenes with Japanese plates, on real vehicle photos (their "
        "plates replaced) or procedural streets, and write an ultralytics pose dataset.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_SCENES_EPILOG,
    )
    _add_common(scenes)
    source = scenes.add_mutually_exclusive_group()
    source.add_argument(
        "--vehicles",
        type=Path,
        default=None,
        metavar="DIR",
        help="vehicle photos (DIR/images/*.jpg + DIR/labels/*.txt); default "
        f"{DEFAULT_VEHICLES} when it exists",
    )
    source.add_argument(
        "--no-vehicles", action="store_true", help="procedural scenes only, even if photos exist"
    )
    scenes.add_argument(
        "--size",
        type=positive_int,
        default=640,
        help="longer side of the full frames in pixels (default: 640)",
    )
    scenes.add_argument(
        "--crop",
        type=positive_int,
        default=None,
        metavar="S",
        help="write S x S windows of the frames at native scale instead of whole frames",
    )
    scenes.add_argument(
        "--negatives",
        type=probability,
        default=0.1,
        metavar="X",
        help="share of scenes without any plate (default: 0.1)",
    )
    scenes.add_argument(
        "--val", type=probability, default=0.1, metavar="X", help="validation share (default: 0.1)"
    )
    scenes.add_argument(
        "--vehicle-share",
        type=probability,
        default=0.7,
        metavar="X",
        help="share of plate scenes built on vehicle photos when there are any (default: 0.7)",
    )
    from jlpr.synth import PHOTO_MAX_YAW, SCENE_MAX_PITCH, SCENE_MAX_ROLL, SCENE_MAX_YAW

    for name, default, axis in (
        ("yaw", SCENE_MAX_YAW, "the vertical axis (seen from the side)"),
        ("pitch", SCENE_MAX_PITCH, "the horizontal axis (seen from above or below)"),
        ("roll", SCENE_MAX_ROLL, "the line of sight (in-plane rotation)"),
    ):
        scenes.add_argument(
            f"--max-{name}",
            type=angle,
            default=default,
            metavar="DEG",
            help=f"largest plate turn about {axis}, in degrees (default: {default:g})",
        )
    scenes.add_argument(
        "--photo-max-yaw",
        type=angle,
        default=PHOTO_MAX_YAW,
        metavar="DEG",
        help="largest yaw of the plates that replace vehicle photos' plates, in degrees "
        f"(default: {PHOTO_MAX_YAW:g}; --max-yaw is for the other plates)",
    )
    scenes.set_defaults(handler=_run_scenes)


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        message = f"expected WIDTHxHEIGHT such as 256x128, got {text}"
        raise argparse.ArgumentTypeError(message) from None
    if width < 8 or height < 8:
        raise argparse.ArgumentTypeError(f"crops must be at least 8x8, got {text}")
    return width, height


def _workers(requested: int) -> int:
    from jlpr.synth.datasets import default_workers

    return requested if requested > 0 else default_workers()


def _run_plates(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from jlpr.synth.datasets import PlateDatasetSpec, write_plate_dataset
    from jlpr.synth.degrade import DegradationConfig
    from jlpr.synth.scenes import PlateSampleConfig

    presets = {
        "default": DegradationConfig(),
        "none": DegradationConfig.none(),
        "mild": DegradationConfig.mild(),
        "strong": DegradationConfig.strong(),
    }
    use_fonts(args.fonts, args.kana_fonts)
    config = PlateSampleConfig(degradation=presets[args.preset])
    if args.size is not None:
        config = replace(config, output_size=args.size)
    spec = PlateDatasetSpec(
        n=args.n, seed=args.seed, kind=args.kind, image_format=args.image_format, config=config
    )
    labels = write_plate_dataset(
        args.out, spec, workers=_workers(args.workers), progress=args.progress
    )
    print(f"wrote {args.n} plates to {args.out} (labels: {labels})")
    return 0


def _vehicles(args: argparse.Namespace) -> Path | None:
    if args.no_vehicles:
        return None
    if args.vehicles is not None:
        if not (args.vehicles / "images").is_dir():
            raise SystemExit(f"jlpr synth: error: no images/ folder in --vehicles {args.vehicles}")
        return Path(args.vehicles)
    # The default is relative to the repository root: try the working folder, then the
    # checkout this package was imported from; skip it quietly when neither has it.
    repo = Path(__file__).resolve().parents[2]
    for candidate in (DEFAULT_VEHICLES, repo / DEFAULT_VEHICLES):
        if (candidate / "images").is_dir():
            return candidate
    return None


def _run_scenes(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from jlpr.synth.datasets import SceneDatasetSpec, write_scene_dataset
    from jlpr.synth.scenes import SceneConfig

    use_fonts(args.fonts, args.kana_fonts)
    vehicles = _vehicles(args)
    config = replace(
        SceneConfig(),
        size=args.size,
        crop=args.crop,
        negative_fraction=args.negatives,
        vehicle_share=args.vehicle_share,
        photo_max_yaw=args.photo_max_yaw,
        pose=replace(
            SceneConfig().pose,
            max_yaw=args.max_yaw,
            max_pitch=args.max_pitch,
            max_roll=args.max_roll,
        ),
    )
    spec = SceneDatasetSpec(
        n=args.n, seed=args.seed, val=args.val, vehicles=vehicles, config=config
    )
    source = f"vehicle photos from {vehicles}" if vehicles else "procedural backgrounds only"
    print(f"jlpr synth scenes: {source}", file=sys.stderr)
    data = write_scene_dataset(
        args.out, spec, workers=_workers(args.workers), progress=args.progress
    )
    print(f"wrote {args.n} scenes to {args.out} (dataset: {data})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``synth`` on its own: ``python -m jlpr.synth.cli plates --n 10 --out DIR``."""
    parser = argparse.ArgumentParser(
        prog="python -m jlpr.synth.cli",
        description="Write synthetic plate crops (plates) or localizer scenes (scenes).",
    )
    kinds = parser.add_subparsers(title="datasets", dest="synth_command", metavar="KIND")
    kinds.required = True
    _add_plates(kinds)
    _add_scenes(kinds)
    args = parser.parse_args(argv)
    status: int = args.handler(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
