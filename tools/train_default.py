"""Reproduce the bundled default weights: data, localizer, corner refiner, classifiers, bundle.

Every step is a ``jlpr`` command with a fixed seed; a step whose output already exists is
skipped, and the two training steps resume from their checkpoints, so the script can be
re-run after an interruption. The last step composes the reader and writes it to
``jlpr/weights/default`` with ``save_pretrained`` plus a ``MANIFEST.json`` that records the
recipe and the training metrics.

    bash tools/fetch_fonts.sh /tmp/jlpr-fonts && export JLPR_FONT_DIRS=/tmp/jlpr-fonts
    python tools/train_default.py --work /tmp/jlpr-train            # all steps
    python tools/train_default.py --work /tmp/jlpr-train --bundle-only

On the 2-core CPU the recipe takes about 1 h 45 min (scenes ~4 min, localizer ~35 min,
corner refiner ~13 min, classifiers ~47 min; docs/models.md); with --device cuda far less.

``--draws N`` trains the classifiers N times (seeds 0 .. N-1) and bundles the mean of their
calibrated probabilities, its temperature fitted on a validation split of seed N that no draw
trained on (docs/models.md, "Averaging draws"): better on every set measured, but each draw
costs the classifiers' time again (~47 min on the CPU, minutes on a GPU) and about 1.35x
(two draws) or 1.7x (three) the time of ``recognize()``. The bundled weights are one draw.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jlpr.training.data import ShardedDataset

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "jlpr" / "weights" / "default"
SEED = 0
# Whole frames are shrunk to 640 px on the longer side, the scale of the scenes the
# localizer trained on. Measured on real-dev frames (1344x760) with the data-version-1
# localizer: 43/64 plates found at 640, 39 at 960 and 38 at 1280, at 4x the cost; see
# docs/models.md.
PREDICT_IMGSZ = 640
# One view per size: the localizer learnt side views from its scenes; a second view twice as
# wide found one more oblique real-dev plate but 65 other detections, not 11 (docs/models.md).
PREDICT_STRETCH = 1.0


# The corner refiner learns from whole 640-px scenes with wider poses than the localizer's
# scenes: real plates are seen at up to ~70 degrees of yaw with ~20 degrees of roll.
WIDE_POSE = ["--max-yaw", "70", "--max-pitch", "35", "--max-roll", "25"]
# The localizer's scenes turn plates by up to 70 degrees of yaw, on vehicle photos too (their
# default keeps photo plates within 20 degrees): trained without them it found 1 of the 19
# strongly oblique real-dev frames, with them 16 (docs/models.md, "Side views in training").
SIDE_VIEWS = ["--max-yaw", "70", "--photo-max-yaw", "70"]
STEPS = ("scenes", "scenes_wide", "localizer", "rectifier", "classifiers")
# Each step's folder under --work.
FOLDERS = {
    "scenes": "scenes416",
    "scenes_wide": "scenes_wide",
    "localizer": "localizer",
    "rectifier": "refiner",
    "classifiers": "fields",
    "calibration": "calibration",
}
# The held-out crops that the mean of several draws is calibrated on (as many as a run's
# validation split; --samples is the least a run takes, those crops are never used).
CALIBRATION_SAMPLES = 3000
# The three fonts of the "train" extra, in the order the font search finds them: the bundled
# localizer and refiner were trained on scenes drawn with these.
SCENE_FONTS = "Noto Sans CJK JP Bold,IPAexGothic,Noto Sans CJK JP Regular"
# The classifiers learn nine typefaces: those three and six from Debian packages
# (tools/fetch_fonts.sh, docs/fonts.md); three more stay out of training so that the
# unseen-font held-out set measures typefaces never seen (docs/experiments.md, "Nine typefaces
# instead of three").
CLASSIFIER_FONTS = (
    f"{SCENE_FONTS},Ume Hy Gothic O5,Komatuna,BIZ UDGothic Bold,MotoyaLCedar W3 mono,"
    "M PLUS 1 Bold,VL Gothic regular"
)
# The kana net also learns six handwriting-like and rounded faces (tools/fetch_fonts.sh): real
# kana are lettered, and with them the kana of the boxed real-dev frame plates were read in
# 77-86 % instead of 67 % (two draws; docs/experiments.md, "Fifteen typefaces for the kana").
# The region names keep the nine: a run that drew them from all fifteen read the real names
# worse.
CLASSIFIER_KANA_FONTS = (
    f"{CLASSIFIER_FONTS},Klee One SemiBold,Klee One,kiloji - B,SetoFont,"
    "Sawarabi Gothic Medium,Konatu"
)
# Never trained on: the unseen-font held-out set is drawn with these (docs/models.md).
UNSEEN_FONTS = "MotoyaLMaru W3 mono,M PLUS 2 Bold,Ume Gothic O5 Medium"


def draw_steps(draws: int) -> list[str]:
    """The classifier steps of ``draws`` draws: ``classifiers`` (seed 0, the bundled one),
    then ``classifiers_1`` ... with seeds 1 ..."""
    return ["classifiers", *(f"classifiers_{k}" for k in range(1, draws))]


def folder(step: str, work: Path) -> Path:
    """Where ``step`` writes under ``work`` (draw k of the classifiers: ``fields_k``)."""
    if step.startswith("classifiers_"):
        return work / f"fields_{step.removeprefix('classifiers_')}"
    return work / FOLDERS[step]


def steps(draws: int) -> list[str]:
    """Every step of the recipe with ``draws`` draws of the classifiers, in order."""
    return [*STEPS[:-1], *draw_steps(draws), *(["calibration"] if draws > 1 else [])]


def recipe(work: Path, device: str, draws: int = 1) -> dict[str, list[str]]:
    """Each step's ``jlpr`` command (one draw: the bundled recipe)."""
    if draws < 1:
        raise ValueError(f"draws must be 1 or more, got {draws}")
    scenes, wide = folder("scenes", work), folder("scenes_wide", work)
    localizer, refiner = folder("localizer", work), folder("rectifier", work)
    fonts = ["--fonts", CLASSIFIER_FONTS, "--kana-fonts", CLASSIFIER_KANA_FONTS]
    commands = {
        "scenes": [
            "jlpr", "synth", "scenes", "--n", "4000", "--out", str(scenes), "--seed", str(SEED),
            "--size", "640", "--crop", "416", "--workers", "0", *SIDE_VIEWS,
            "--fonts", SCENE_FONTS,
        ],
        "scenes_wide": [
            "jlpr", "synth", "scenes", "--n", "6000", "--out", str(wide), "--seed", "1",
            "--size", "640", "--workers", "0", *WIDE_POSE, "--fonts", SCENE_FONTS,
        ],
        "rectifier": [
            "jlpr", "train", "rectifier", "--data", str(wide), "--out", str(refiner),
            "--seed", str(SEED), "--device", device,
        ],
        "localizer": [
            "jlpr", "train", "localizer", "--data", str(scenes / "data.yaml"),
            "--out", str(localizer), "--seed", str(SEED), "--epochs", "5",
            "--predict-imgsz", str(PREDICT_IMGSZ), "--device", device,
        ],
    }  # fmt: skip
    for seed, step in enumerate(draw_steps(draws)):
        commands[step] = [
            "jlpr", "train", "classifiers", "--out", str(folder(step, work)),
            "--seed", str(SEED + seed), "--device", device, *fonts,
        ]  # fmt: skip
    if draws > 1:
        commands["calibration"] = [
            "jlpr", "train", "classifiers", "--out", str(folder("calibration", work)),
            "--seed", str(SEED + draws), "--samples", "64",
            "--val-samples", str(CALIBRATION_SAMPLES), "--data-only", *fonts,
        ]  # fmt: skip
    return commands


def calibration_split(work: Path) -> ShardedDataset | None:
    """The calibration step's validation split (a ``ShardedDataset``), or ``None``."""
    from jlpr.errors import ConfigError
    from jlpr.training.data import ShardedDataset

    splits = sorted((folder("calibration", work) / "cache").glob("val-*"))
    if len(splits) > 1:  # drawn with other data options too: which one is meant?
        raise SystemExit(f"more than one split in {splits[0].parent}: remove all but one")
    if not splits:
        return None
    try:
        split = ShardedDataset.open(splits[0])
    except ConfigError:
        return None
    return split if len(split) >= CALIBRATION_SAMPLES else None


def done(step: str, work: Path) -> bool:
    if step == "calibration":
        return calibration_split(work) is not None
    marker = {
        "scenes": "data.yaml",
        "scenes_wide": "data.yaml",
        "rectifier": "model.pt",
        "localizer": "model.pt",
    }.get(step, "metrics.json")  # the classifiers' draws
    return (folder(step, work) / marker).is_file()


def resumable(step: str, work: Path) -> bool:
    """Whether ``step`` was interrupted with a checkpoint to continue from."""
    if step == "localizer":
        return (folder(step, work) / "train").is_dir()
    if step == "rectifier" or step.startswith("classifiers"):
        return (folder(step, work) / "checkpoint.pt").is_file()
    return False  # scenes and the calibration crops pick up the shards already drawn


def run(step: str, command: list[str], work: Path) -> subprocess.Popen[bytes]:
    if resumable(step, work):
        command = [*command, "--resume"]
    print("+", shlex.join(command), flush=True)
    return subprocess.Popen([sys.executable, "-m", "jlpr", *command[1:]])


def classifiers_of(work: Path, draws: int) -> tuple[list[Any], dict[str, Any]]:
    """The field classifiers to bundle and their training metrics by step: draw 0's nets, or
    the calibrated mean of every draw's (``mean_calibration``: its metrics on the
    calibration split)."""
    from jlpr.models import build_classifiers, mean_classifiers
    from jlpr.training.classifiers import calibrate_mean

    metrics = {
        step: json.loads((folder(step, work) / "metrics.json").read_text("utf-8"))
        for step in draw_steps(draws)
    }
    sets = [list(build_classifiers(folder(step, work))) for step in draw_steps(draws)]
    if draws == 1:
        return sets[0], metrics
    split = calibration_split(work)
    if split is None:
        raise SystemExit(f"no calibration split in {folder('calibration', work)}: run the recipe")
    means, metrics["mean_calibration"] = calibrate_mean(mean_classifiers(*sets), split)
    return list(means), metrics


def bundle(work: Path, commands: dict[str, list[str]], draws: int = 1) -> None:
    from jlpr import PlateReader
    from jlpr.models.localizer import YoloPoseLocalizer
    from jlpr.models.refiner import RefiningRectifier

    localizer_run, refiner_run = folder("localizer", work), folder("rectifier", work)
    config = json.loads((localizer_run / "config.json").read_text(encoding="utf-8"))
    config["imgsz"] = PREDICT_IMGSZ
    # Search settings are the reader's, not the training run's (a run records its defaults).
    config["stretch"] = PREDICT_STRETCH
    localizer = YoloPoseLocalizer.from_config(config, localizer_run)
    refiner_config = json.loads((refiner_run / "config.json").read_text(encoding="utf-8"))
    rectifier = RefiningRectifier.from_config(refiner_config, refiner_run)
    classifiers, classifier_metrics = classifiers_of(work, draws)
    reader = PlateReader(localizer, rectifier, classifiers)
    reader.save_pretrained(BUNDLE)
    metrics: dict[str, Any] = {
        "localizer": json.loads((localizer_run / "manifest.json").read_text("utf-8")),
        "rectifier": json.loads((refiner_run / "metrics.json").read_text("utf-8")),
        **classifier_metrics,
    }
    manifest = {
        # $WORK stands for --work, so the manifest does not record this machine's paths.
        "recipe": [shlex.join(c).replace(str(work), "$WORK") for c in commands.values()],
        "bundled_with": "python tools/train_default.py"
        + (f" --draws {draws}" if draws > 1 else ""),
        "seed": SEED,
        "predict_imgsz": PREDICT_IMGSZ,
        "training": metrics,
    }
    (BUNDLE / "MANIFEST.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(f"bundled into {BUNDLE}")


def check_fonts() -> None:
    """Fail now, not after the localizer's 35 minutes, when a recipe font is missing."""
    from jlpr.errors import ConfigError
    from jlpr.synth.fonts import find_japanese_fonts

    try:
        for fonts in (SCENE_FONTS, CLASSIFIER_FONTS, CLASSIFIER_KANA_FONTS):
            find_japanese_fonts(fonts)
    except ConfigError as exc:
        raise SystemExit(f"{exc}\n(fetch them with: bash tools/fetch_fonts.sh DIR)") from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="folder for data and runs")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--parallel", action="store_true", help="train the models at once")
    parser.add_argument("--bundle-only", action="store_true")
    parser.add_argument(
        "--draws",
        type=int,
        default=1,
        help="train the classifiers this many times and bundle their mean (default 1)",
    )
    args = parser.parse_args()
    if args.draws < 1:
        parser.error("--draws must be 1 or more")
    commands = recipe(args.work, args.device, args.draws)
    if not args.bundle_only:
        check_fonts()
        for step in ("scenes", "scenes_wide"):
            if not done(step, args.work) and run(step, commands[step], args.work).wait() != 0:
                raise SystemExit(f"scene generation failed ({step})")
        pending = [s for s in steps(args.draws)[2:] if not done(s, args.work)]
        if args.parallel:
            procs = [run(s, commands[s], args.work) for s in pending]
            codes = [p.wait() for p in procs]
        else:
            codes = [run(s, commands[s], args.work).wait() for s in pending]
        if any(codes):
            raise SystemExit(f"training failed: {dict(zip(pending, codes, strict=True))}")
    bundle(args.work, commands, args.draws)


if __name__ == "__main__":
    main()
