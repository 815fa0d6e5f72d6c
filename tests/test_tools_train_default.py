"""tools/train_default.py: one draw is the recipe of the bundled weights; more draws train
other seeds, draw a calibration split none of them trained on and bundle their mean; an
interrupted training step is continued, not refused."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from jlpr import PlateReader
from jlpr.models import MeanFieldClassifier
from jlpr.models.fields import CnnFieldClassifier
from jlpr.training.classifiers import train_classifiers
from jlpr.training.data import ShardedDataset
from jlpr.types import Field
from tests.scripts import ROOT, TOOLS, load_script
from tests.test_training_classifiers import NoiseSource, config


def _tool() -> ModuleType:
    return load_script(TOOLS / "train_default.py")


def test_one_draw_is_the_recipe_the_bundled_weights_record() -> None:
    tool = _tool()
    work = Path("/work-folder")
    commands = tool.recipe(work, "cpu")
    manifest = json.loads((ROOT / "jlpr/weights/default/MANIFEST.json").read_text("utf-8"))
    assert [shlex.join(c).replace(str(work), "$WORK") for c in commands.values()] == manifest[
        "recipe"
    ]
    assert tool.steps(1) == list(tool.STEPS)


def test_more_draws_add_seeds_and_a_calibration_split_of_another_seed() -> None:
    tool = _tool()
    work = Path("/w")
    one, three = tool.recipe(work, "cuda"), tool.recipe(work, "cuda", 3)
    assert {step: three[step] for step in one} == one  # draw 0 is the bundled recipe's
    assert tool.steps(3)[-4:] == ["classifiers", "classifiers_1", "classifiers_2", "calibration"]
    for seed, step in ((1, "classifiers_1"), (2, "classifiers_2")):
        command = three[step]
        assert command[command.index("--out") + 1] == f"/w/fields_{seed}"
        assert command[command.index("--seed") + 1] == str(seed)
        assert (
            command[command.index("--fonts") :]
            == one["classifiers"][one["classifiers"].index("--fonts") :]
        )
    calibration = three["calibration"]
    assert "--data-only" in calibration
    assert calibration[calibration.index("--seed") + 1] == "3"
    assert calibration[calibration.index("--val-samples") + 1] == str(tool.CALIBRATION_SAMPLES)
    with pytest.raises(ValueError, match="draws"):
        tool.recipe(work, "cpu", 0)


def test_an_interrupted_training_step_resumes_and_a_finished_one_is_done(
    tmp_path: Path,
) -> None:
    tool = _tool()
    for step in ("classifiers", "classifiers_1", "rectifier", "localizer"):
        assert not tool.resumable(step, tmp_path) and not tool.done(step, tmp_path)
    (tmp_path / "fields").mkdir()
    (tmp_path / "fields" / "checkpoint.pt").write_bytes(b"")
    (tmp_path / "fields_1").mkdir()
    (tmp_path / "fields_1" / "checkpoint.pt").write_bytes(b"")
    (tmp_path / "localizer" / "train").mkdir(parents=True)
    assert tool.resumable("classifiers", tmp_path) and tool.resumable("classifiers_1", tmp_path)
    assert tool.resumable("localizer", tmp_path) and not tool.resumable("rectifier", tmp_path)
    (tmp_path / "fields_1" / "metrics.json").write_text("{}")
    assert tool.done("classifiers_1", tmp_path) and not tool.done("classifiers", tmp_path)


def _two_draws(tmp_path: Path) -> Path:
    """A work folder with two tiny draws of step 5 (seeds 0 and 1) and no calibration split."""
    work = tmp_path / "work"
    for seed, out in ((0, "fields"), (1, "fields_1")):
        train_classifiers(config(tmp_path, out=work / out, seed=seed), NoiseSource())
    return work


def _calibration_split(work: Path) -> None:
    ShardedDataset.build(
        work / "calibration" / "cache", NoiseSource(), split="val", seed=2, samples=40,
        shard_size=20,
    )  # fmt: skip


def test_the_bundle_of_two_draws_is_their_mean_calibrated_on_the_held_out_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = _tool()
    work = _two_draws(tmp_path)
    single, metrics = tool.classifiers_of(work, 1)
    assert all(isinstance(c, CnnFieldClassifier) for c in single)
    assert set(metrics) == {"classifiers"}

    monkeypatch.setattr(tool, "CALIBRATION_SAMPLES", 40)
    assert not tool.done("calibration", work)
    with pytest.raises(SystemExit, match="calibration"):
        tool.classifiers_of(work, 2)
    _calibration_split(work)
    assert tool.done("calibration", work)
    means, metrics = tool.classifiers_of(work, 2)
    other = ShardedDataset.build(
        work / "calibration" / "cache", NoiseSource(), split="val", seed=3, samples=4
    )
    with pytest.raises(SystemExit, match="more than one split"):
        tool.done("calibration", work)
    shutil.rmtree(other.directory)
    assert [mean.field for mean in means] == list(Field)
    assert all(isinstance(mean, MeanFieldClassifier) and len(mean.members) == 2 for mean in means)
    assert set(metrics) == {"classifiers", "classifiers_1", "mean_calibration"}
    assert set(metrics["mean_calibration"]) == {field.value for field in Field}
    for mean in means:
        fitted = metrics["mean_calibration"][mean.field.value]["temperature"]
        assert mean.temperature == pytest.approx(fitted)


def test_the_last_step_saves_a_reader_of_the_draws_mean_with_its_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bundling step end to end, on the shipped localizer and refiner laid out as their
    training runs leave them and two tiny draws of the classifiers."""
    tool = _tool()
    work = _two_draws(tmp_path)
    monkeypatch.setattr(tool, "CALIBRATION_SAMPLES", 40)
    _calibration_split(work)
    shipped = ROOT / "jlpr/weights/default"
    components = json.loads((shipped / "jlpr.json").read_text("utf-8"))["components"]
    for name, run, metrics in (("localizer", "localizer", "manifest.json"),
                               ("rectifier", "refiner", "metrics.json")):  # fmt: skip
        (work / run).mkdir()
        shutil.copy(shipped / name / "model.pt", work / run / "model.pt")
        config_text = json.dumps(components[name]["config"])
        (work / run / "config.json").write_text(config_text, encoding="utf-8")
        (work / run / metrics).write_text(json.dumps({"run": run}), encoding="utf-8")
    monkeypatch.setattr(tool, "BUNDLE", tmp_path / "bundle")

    tool.bundle(work, tool.recipe(work, "cpu", 2), 2)

    reader = PlateReader.from_pretrained(tmp_path / "bundle")
    assert all(isinstance(c, MeanFieldClassifier) for c in reader.classifiers.values())
    manifest = json.loads((tmp_path / "bundle" / "MANIFEST.json").read_text("utf-8"))
    assert manifest["bundled_with"] == "python tools/train_default.py --draws 2"
    assert len(manifest["recipe"]) == 7  # 5 steps, a second draw, the calibration crops
    assert "--data-only" in manifest["recipe"][-1]
    assert all("$WORK" in command and str(work) not in command for command in manifest["recipe"])
    assert set(manifest["training"]) == {
        "localizer", "rectifier", "classifiers", "classifiers_1", "mean_calibration"
    }  # fmt: skip
    plate = reader.recognize(np.zeros((128, 256, 3), dtype=np.uint8))
    assert set(plate.readings) == set(Field)
