"""Datasets on disk: schemas, label formats, determinism across workers, and the CLI."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from jlpr.rules import ColorScheme
from jlpr.synth import DATA_VERSION
from jlpr.synth import fonts as font_search
from jlpr.synth.cli import main as synth_main
from jlpr.synth.datasets import (
    CSV_FIELDS,
    PlateDatasetSpec,
    Progress,
    SceneDatasetSpec,
    plate_csv_row,
    scene_dataset_recipe,
    write_plate_dataset,
    write_scene_dataset,
)
from jlpr.synth.scenes import SceneConfig
from jlpr.types import Field, Plate

pytestmark = pytest.mark.skipif(
    not font_search.find_japanese_fonts(),
    reason='needs a Japanese font: pip install "jlpr[train]"',
)

REAL_DEV_LABELS = Path(__file__).resolve().parents[2] / "shared/data/real-dev/labels.csv"


def _digest(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root``, by relative path."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _rows(labels: Path) -> list[dict[str, str]]:
    with labels.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# -- plate crops ------------------------------------------------------------------------------


def test_plate_csv_uses_the_real_dev_schema() -> None:
    assert CSV_FIELDS == (
        "file",
        "office",
        "classification",
        "kana",
        "number",
        "color",
        "box_xywh",
        "notes",
    )
    if REAL_DEV_LABELS.is_file():
        header = REAL_DEV_LABELS.read_text(encoding="utf-8").splitlines()[0]
        assert tuple(header.split(",")) == CSV_FIELDS


def test_every_plate_row_parses_back_into_the_plate_it_shows(tmp_path: Path) -> None:
    labels = write_plate_dataset(tmp_path, PlateDatasetSpec(n=6, seed=3), progress=False)
    rows = _rows(labels)
    assert len(rows) == 12  # a rectified and a loose crop per plate
    assert tuple(rows[0]) == CSV_FIELDS
    for row in rows:
        plate = Plate.from_fields(row["office"], row["classification"], row["kana"], row["number"])
        notes = dict(item.split("=", 1) for item in row["notes"].split(";"))
        scheme = ColorScheme(notes["scheme"])
        assert scheme.background.value == row["color"]
        assert (
            Plate.from_fields(
                row["office"], row["classification"], row["kana"], row["number"], scheme
            ).designation
            == plate.designation
        )
        corners = np.array([float(v) for v in notes["corners"].split(",")]).reshape(4, 2)
        x, y, w, h = (float(v) for v in row["box_xywh"].split())
        lo = corners.min(axis=0)
        assert (x, y) == pytest.approx(tuple(lo), abs=0.11) and w > 0 and h > 0
        with Image.open(tmp_path / row["file"]) as image:
            if row["file"].startswith("rectified/"):
                assert image.size == (256, 128)
            else:
                assert x >= -0.1 and y >= -0.1
                assert x + w <= image.size[0] + 0.1 and y + h <= image.size[1] + 0.1


def test_hidden_fields_are_left_empty_and_named_in_the_notes() -> None:
    plate = Plate.from_fields("品川", "330", "さ", "12-34", ColorScheme.PRIVATE)
    corners = np.array([[0, 0], [330, 0], [330, 165], [0, 165]], dtype=np.float64)
    row = plate_csv_row("a.png", plate, corners, hidden={Field.DESIGNATION, Field.OFFICE})
    assert (row["office"], row["classification"], row["kana"], row["number"]) == (
        "",
        "330",
        "さ",
        "",
    )
    assert row["color"] == "white"
    assert row["notes"].split(";")[-1] == "hidden=office,designation"
    assert "hidden" not in plate_csv_row("a.png", plate, corners)["notes"]


def test_rectified_only_at_a_custom_size(tmp_path: Path) -> None:
    code = synth_main(
        ["plates", "--n", "3", "--out", str(tmp_path), "--kind", "rectified", "--size", "128x64"]
    )
    assert code == 0
    rows = _rows(tmp_path / "labels.csv")
    assert [r["file"] for r in rows] == [f"rectified/{i:06d}.png" for i in range(3)]
    assert not (tmp_path / "loose").exists()
    with Image.open(tmp_path / rows[0]["file"]) as image:
        assert image.size == (128, 64)


def test_fonts_option_chooses_the_fonts_drawn_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from jlpr.cli import main as jlpr_main

    fonts = font_search.find_japanese_fonts()
    # --fonts sets the variable for this process; monkeypatch puts it back afterwards.
    monkeypatch.setenv(font_search.FONTS_ENV, "")
    args = ["synth", "plates", "--n", "2", "--kind", "rectified", "--size", "64x32"]
    one = fonts[-1].name
    assert jlpr_main([*args, "--out", str(tmp_path / "a"), "--fonts", one]) == 0
    assert font_search.font_names() == [one]  # workers inherit the selection
    assert jlpr_main([*args, "--out", str(tmp_path / "b"), "--fonts", "No Such Gothic"]) == 1
    assert "No Such Gothic" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()
    monkeypatch.setenv(font_search.KANA_FONTS_ENV, "")
    kana = fonts[0].name
    assert (
        jlpr_main([*args, "--out", str(tmp_path / "c"), "--fonts", one, "--kana-fonts", kana]) == 0
    )
    assert font_search.kana_font_names() == [kana]
    assert font_search.font_names() == [one]


def test_plate_datasets_are_byte_identical_for_a_seed_with_one_or_two_workers(
    tmp_path: Path,
) -> None:
    spec = PlateDatasetSpec(n=6, seed=42)
    write_plate_dataset(tmp_path / "one", spec, workers=1, progress=False)
    write_plate_dataset(tmp_path / "two", spec, workers=2, progress=False)
    write_plate_dataset(tmp_path / "other", PlateDatasetSpec(n=6, seed=43), progress=False)
    assert _digest(tmp_path / "one") == _digest(tmp_path / "two")
    assert _digest(tmp_path / "one") != _digest(tmp_path / "other")


# -- scenes -----------------------------------------------------------------------------------


def _scene_spec(n: int, **config: object) -> SceneDatasetSpec:
    return SceneDatasetSpec(
        n=n,
        seed=9,
        val=0.25,
        config=SceneConfig(size=320, **config),  # type: ignore[arg-type]
    )


def test_scene_dataset_is_an_ultralytics_pose_dataset(tmp_path: Path) -> None:
    data = write_scene_dataset(tmp_path, _scene_spec(8, negative_fraction=0.25), progress=False)
    text = data.read_text(encoding="utf-8")
    assert "kpt_shape: [4, 3]" in text and "flip_idx: [1, 0, 3, 2]" in text
    assert "names:\n  0: plate" in text
    recipe = scene_dataset_recipe(data)  # what trainers copy into their manifests
    assert recipe[0].startswith("jlpr synthetic plate scenes")
    assert "n=8 seed=" in recipe[1] and f"data_version={DATA_VERSION}" in recipe[1]
    assert recipe[2] == f"fonts={','.join(font_search.font_names())}"
    records = [json.loads(line) for line in (tmp_path / "scenes.jsonl").read_text().splitlines()]
    assert len(records) == 8
    assert sum(r["split"] == "val" for r in records) == 2  # val=0.25, spread evenly
    negatives = 0
    for record in records:
        image = tmp_path / record["file"]
        label = tmp_path / record["file"].replace("images/", "labels/").replace(".jpg", ".txt")
        assert image.is_file() and label.is_file()
        lines = label.read_text().splitlines()
        assert len(lines) == len(record["plates"])
        negatives += not lines
        for line, plate in zip(lines, record["plates"], strict=True):
            values = [float(v) for v in line.split()]
            assert len(values) == 1 + 4 + 4 * 3 and values[0] == 0
            assert all(0.0 <= v <= 1.0 for v in values[1:5])
            for k in range(4):
                x, y, v = values[5 + 3 * k : 8 + 3 * k]
                assert 0.0 <= x <= 1.0 and 0.0 <= y <= 1.0 and v in (0.0, 2.0)
            Plate.parse(plate["text"], plate["scheme"])  # the jsonl text is a valid plate
            assert set(plate["hidden"]) <= {f.value for f in Field}  # what nobody could read
    assert negatives >= 1


def test_scene_splits_carry_a_real_dev_labels_csv_that_jlpr_eval_reads(tmp_path: Path) -> None:
    from jlpr.evaluation.runner import load_labels

    write_scene_dataset(tmp_path, _scene_spec(8, negative_fraction=0.25), progress=False)
    records = [json.loads(line) for line in (tmp_path / "scenes.jsonl").read_text().splitlines()]
    for split in ("train", "val"):
        folder = tmp_path / "images" / split
        with (folder / "labels.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert rows and all(tuple(row) == CSV_FIELDS for row in rows)
        expected = []
        for record in (r for r in records if r["split"] == split):
            name = Path(record["file"]).name
            assert (folder / name).is_file()
            expected += [
                (
                    name,
                    p["office"] if "office" not in p["hidden"] else "",
                    p["number"] if "designation" not in p["hidden"] else "",
                )
                for p in record["plates"]
            ]
            expected += [(name, "", "")] if not record["plates"] else []
        assert [(r["file"], r["office"], r["number"]) for r in rows] == expected
        for row, plate in zip(
            (r for r in rows if r["box_xywh"]),
            (p for r in records if r["split"] == split for p in r["plates"]),
            strict=True,
        ):
            x, y, w, h = (float(v) for v in row["box_xywh"].split())
            assert (x, y, x + w, y + h) == pytest.approx(plate["box"], abs=0.11)
        images = load_labels(folder)
        assert [image.file for image in images] == sorted({r["file"] for r in rows})
        assert all(image.kind == "frame" for image in images)
        assert sum(len(image.plates) for image in images) == sum(
            1 for r in rows if r["office"] or r["number"] or r["kana"] or r["classification"]
        )
    assert any(not r["plates"] for r in records)  # a negative scene: one row, file only


def test_ultralytics_accepts_the_pose_labels(tmp_path: Path) -> None:
    utils = pytest.importorskip("ultralytics.data.utils")
    write_scene_dataset(tmp_path, _scene_spec(4, negative_fraction=0.0), progress=False)
    for label in sorted((tmp_path / "labels").rglob("*.txt")):
        image = Path(str(label).replace("/labels/", "/images/")).with_suffix(".jpg")
        args = (str(image), str(label), "", True, 1, 4, 3, False)
        *_, corrupt, message = utils.verify_image_label(args)
        assert corrupt == 0, message


def test_scene_datasets_are_byte_identical_for_a_seed_with_one_or_two_workers(
    tmp_path: Path,
) -> None:
    spec = _scene_spec(4, crop=160)
    write_scene_dataset(tmp_path / "one", spec, workers=1, progress=False)
    write_scene_dataset(tmp_path / "two", spec, workers=2, progress=False)
    assert _digest(tmp_path / "one") == _digest(tmp_path / "two")


def test_scenes_from_the_command_line_with_vehicle_photos(tmp_path: Path) -> None:
    vehicles = tmp_path / "vehicles"
    (vehicles / "images").mkdir(parents=True)
    (vehicles / "labels").mkdir()
    image = np.full((240, 320, 3), 90, dtype=np.uint8)
    image[100:130, 120:180] = 250
    Image.fromarray(image).save(vehicles / "images" / "car.jpg")
    (vehicles / "labels" / "car.txt").write_text("120 100 180 100 180 130 120 130\n")
    out = tmp_path / "out"
    args = ["scenes", "--n", "3", "--out", str(out), "--vehicles", str(vehicles), "--val", "0"]
    code = synth_main([*args, "--vehicle-share", "1", "--negatives", "0", "--size", "320"])
    assert code == 0
    records = [json.loads(line) for line in (out / "scenes.jsonl").read_text().splitlines()]
    assert [r["source"] for r in records] == ["car.jpg"] * 3


def test_help_teaches_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("plates", "scenes"):
        with pytest.raises(SystemExit):
            synth_main([command, "--help"])
        assert "examples:" in capsys.readouterr().out


def test_progress_bar_reports_counts_when_asked() -> None:
    import io

    stream = io.StringIO()
    bar = Progress(3, "synth", enabled=True, stream=stream)
    for _ in range(3):
        bar.update()
    bar.close()
    assert "3/3" in stream.getvalue() and stream.getvalue().endswith("\n")


def test_progress_to_a_log_is_a_plain_line_now_and_then() -> None:
    import io

    # Not a terminal: no redrawn bar, a line per interval (0 here: every update but the last).
    stream = io.StringIO()
    bar = Progress(3, "data train", stream=stream, interval=0.0)
    for _ in range(3):
        bar.update()
    bar.close()
    lines = stream.getvalue().splitlines(keepends=True)
    assert [line.split(" ")[:3] for line in lines] == [
        ["data", "train:", "1/3"],
        ["data", "train:", "2/3"],
    ]
    assert all(line.endswith("\n") and "\r" not in line for line in lines)
    # A short step under the default interval (a minute) writes nothing; asked not to, nothing.
    for enabled in (None, False):
        quiet = io.StringIO()
        bar = Progress(
            3, "x", enabled=enabled, stream=quiet, interval=60.0 if enabled is None else 0.0
        )
        for _ in range(3):
            bar.update()
        bar.close()
        assert quiet.getvalue() == ""


def test_scene_poses_come_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "flat"
    args = ["scenes", "--n", "4", "--out", str(out), "--no-vehicles", "--val", "0"]
    flat = ["--negatives", "0", "--size", "320", "--max-yaw", "0", "--max-pitch", "0"]
    assert synth_main([*args, *flat, "--max-roll", "0"]) == 0
    for line in (out / "scenes.jsonl").read_text().splitlines():
        for plate in json.loads(line)["plates"]:
            (tlx, tly), (trx, try_), (brx, bry), (blx, bly) = plate["corners"]
            assert abs(tly - try_) < 0.5 and abs(bly - bry) < 0.5  # no roll, no yaw
            assert abs(tlx - blx) < 0.5 and abs(trx - brx) < 0.5  # no pitch
    for option in ("--max-roll", "--photo-max-yaw"):
        with pytest.raises(SystemExit):
            synth_main([*args, option, "95"])
