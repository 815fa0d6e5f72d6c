"""Evaluation: metric functions on hand-computed examples, and ``jlpr eval`` end to end."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from jlpr.cli import main
from jlpr.evaluation.metrics import (
    accuracy,
    average_precision,
    expected_calibration_error,
    match_boxes,
    median,
    precision_recall,
    reliability_table,
    weighted_f1,
)
from jlpr.evaluation.runner import ImageKind, load_labels
from jlpr.types import Box
from tests.components import make_reader, scene

torch.set_num_threads(1)

# -- metrics ----------------------------------------------------------------------------------


def test_accuracy_counts_unread_fields_as_wrong() -> None:
    assert accuracy(["a", "b", "c"], ["a", None, "c"]) == pytest.approx(2 / 3)
    assert math.isnan(accuracy([], []))


def test_weighted_f1_weighs_each_true_class_by_its_support() -> None:
    # a: P 1/1, R 1/2 -> 2/3;  b: P 1/2, R 1/1 -> 2/3;  c: never predicted -> 0
    # weighted by support 2, 1, 1: (2 * 2/3 + 2/3 + 0) / 4 = 0.5
    assert weighted_f1(["a", "a", "b", "c"], ["a", "b", "b", None]) == pytest.approx(0.5)
    assert weighted_f1(["a", "b"], ["a", "b"]) == pytest.approx(1.0)


def test_sequences_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="equal length"):
        accuracy(["a"], [])


def test_match_boxes_is_greedy_best_first_and_one_to_one() -> None:
    truths = [Box(0, 0, 10, 10), Box(100, 100, 110, 110)]
    predictions = [
        Box(0, 0, 10, 10),  # exact
        Box(1, 1, 11, 11),  # overlaps the taken truth only
        Box(102, 100, 112, 110),  # IoU 80 / 120 = 0.667
        Box(50, 50, 60, 60),  # overlaps nothing
    ]
    assert match_boxes(predictions, truths, 0.5) == [0, None, 1, None]
    assert match_boxes(predictions[2:3], truths, 0.7) == [None]


def test_precision_and_recall() -> None:
    assert precision_recall(1, 2, 2) == pytest.approx((1 / 3, 1 / 2))
    precision, recall = precision_recall(0, 0, 0)
    assert math.isnan(precision) and math.isnan(recall)


def test_average_precision_integrates_the_monotone_precision_envelope() -> None:
    # ranks: TP, FP, TP, FP over 3 positives -> recall 1/3, 1/3, 2/3, 2/3
    # precision 1, 1/2, 2/3, 1/2 -> envelope 1, 2/3, 2/3, 1/2
    # AP = 1/3 * 1 + 1/3 * 2/3 = 5/9
    scored = [(0.6, False), (0.9, True), (0.7, True), (0.8, False)]
    assert average_precision(scored, positives=3) == pytest.approx(5 / 9)
    assert average_precision([(0.5, True)], positives=1) == pytest.approx(1.0)
    assert average_precision([], positives=2) == 0.0
    assert math.isnan(average_precision([(0.5, False)], positives=0))


def test_expected_calibration_error_on_hand_computed_bins() -> None:
    # 15 bins: 0.1 -> bin 1, 0.2 -> bin 3, 0.9 -> bin 13, 0.95 -> bin 14; one item each
    # |acc - conf| = 0.1, 0.2, 0.1, 0.95 -> ECE = 1.35 / 4
    ece = expected_calibration_error([0.1, 0.2, 0.9, 0.95], [False, False, True, False])
    assert ece == pytest.approx(0.3375)
    # two items in bin 13: accuracy 1/2, mean confidence 0.92
    assert expected_calibration_error([0.91, 0.93], [True, False]) == pytest.approx(0.42)
    assert expected_calibration_error([1.0], [True]) == pytest.approx(0.0)


def test_reliability_table_has_fifteen_bins_and_counts_each_item_once() -> None:
    table = reliability_table([0.0, 0.5, 1.0, 0.99], [True, False, True, True])
    assert len(table) == 15
    assert [b.count for b in table if b.count] == [1, 1, 2]
    assert table[-1].upper == pytest.approx(1.0) and table[-1].accuracy == 1.0
    assert math.isnan(table[1].accuracy)


def test_median() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 2.0, 3.0]) == 2.5
    assert math.isnan(median([]))


# -- jlpr eval ----------------------------------------------------------------------------------

YELLOW = (240, 195, 10)
WHITE = (230, 230, 225)
LABELS = """\
file,office,classification,kana,number,color,box_xywh,notes
crops/yellow.png,佐賀,581,せ,18-32,yellow,,read right
crops/white.png,品川,330,さ,12-34,white,,text wrong (the reader always says 佐賀 581 せ 18-32)
frames/boxed.png,佐賀,581,せ,18-32,yellow,200 120 128 64,found where labelled
frames/misplaced.png,佐賀,581,せ,18-32,yellow,500 250 100 50,label box elsewhere: FP + FN
frames/empty.png,,,,,,,no plate at all
frames/unreadable.png,,,,,yellow,,a plate the labeller could not read: any plate found is a FP
"""


def make_eval_folder(root: Path) -> Path:
    (root / "crops").mkdir(parents=True)
    (root / "frames").mkdir()
    Image.fromarray(np.full((64, 128, 3), YELLOW, dtype=np.uint8)).save(root / "crops/yellow.png")
    Image.fromarray(np.full((64, 128, 3), WHITE, dtype=np.uint8)).save(root / "crops/white.png")
    for name in ("boxed", "misplaced", "unreadable"):
        Image.fromarray(scene(YELLOW)).save(root / "frames" / f"{name}.png")
    Image.fromarray(np.full((360, 640, 3), 70, dtype=np.uint8)).save(root / "frames/empty.png")
    (root / "labels.csv").write_text(LABELS, encoding="utf-8")
    return root


def eval_json_command(tmp_path: Path) -> list[str]:
    """``jlpr eval`` of a fresh eval folder with the test reader, as JSON on stdout."""
    data = make_eval_folder(tmp_path / "data")
    weights = make_reader().save_pretrained(tmp_path / "reader")
    return ["eval", str(data), "--weights", str(weights), "--format", "json"]


def test_labels_csv_rows_become_images_with_canonical_fields(tmp_path: Path) -> None:
    images = load_labels(make_eval_folder(tmp_path / "data"))
    assert [i.kind for i in images] == [ImageKind.CROP] * 2 + [ImageKind.FRAME] * 4
    assert images[1].plates[0].fields == {
        "office": "品川",
        "classification": "330",
        "kana": "さ",
        "designation": "12-34",
        "color": "white",
    }
    assert images[2].plates[0].box == Box(200, 120, 328, 184)
    assert images[4].plates == () and images[5].plates == ()


def test_the_crop_folders_of_jlpr_synth_plates_are_read_as_crops(tmp_path: Path) -> None:
    names = ["crops/a.png", "loose/a.png", "rectified/a.png", "frames/a.png", "a.png"]
    rows = [f"{name},品川,330,さ,12-34,white,," for name in names]
    header = "file,office,classification,kana,number,color,box_xywh,notes"
    (tmp_path / "labels.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    kinds = [image.kind for image in load_labels(tmp_path)]
    assert kinds == [ImageKind.CROP] * 3 + [ImageKind.FRAME] * 2
    assert [i.kind for i in load_labels(tmp_path, "frame")] == [ImageKind.FRAME] * 5


def test_jlpr_eval_reports_the_expected_numbers(tmp_path: Path) -> None:
    data = make_eval_folder(tmp_path / "data")
    weights = make_reader().save_pretrained(tmp_path / "reader")
    report_json = tmp_path / "report.json"
    report_md = tmp_path / "report.md"
    common = [str(data), "--weights", str(weights)]
    assert main(["eval", *common, "--format", "json", "--out", str(report_json)]) == 0
    assert main(["eval", *common, "--out", str(report_md)]) == 0

    report = json.loads(report_json.read_text(encoding="utf-8"))
    summary = report["summary"]
    assert summary["images"] == 6 and summary["labelled_plates"] == 4
    assert summary["negative_images"] == 2
    # office: truths 佐賀 品川 佐賀 佐賀, read 佐賀 佐賀 佐賀 (none): accuracy 2/4;
    # F1: 佐賀 P 2/3 R 2/3 (support 3), 品川 0 -> 0.5
    assert summary["fields"]["office"] == {"n": 4, "accuracy": 0.5, "weighted_f1": 0.5}
    # colour: read yellow white yellow (none): 3/4; F1: yellow P 1 R 2/3 -> 0.8, white 1
    assert summary["fields"]["color"]["accuracy"] == 0.75
    assert summary["fields"]["color"]["weighted_f1"] == pytest.approx(0.85)
    assert summary["exact_match"] == 0.5
    assert summary["unreadable_rate"] == 0.25
    # by width: the two boxed frames (128 px read right, 100 px not found) and the two crops
    assert [(row["min_px"], row["max_px"], row["n"]) for row in summary["by_width"]] == [
        (100, 140, 2),
        (None, None, 2),
    ]
    assert summary["by_width"][0]["exact_match"] == 0.5
    assert summary["by_width"][1]["fields"]["office"] == 0.5
    detection = summary["detection"]
    # boxed: TP; misplaced: FP + FN; unreadable: FP; empty: nothing
    assert detection["frames"] == 4 and detection["positives"] == 2
    assert (detection["true_positives"], detection["false_positives"]) == (1, 2)
    assert detection["false_negatives"] == 1
    assert detection["precision"] == pytest.approx(1 / 3) and detection["recall"] == 0.5
    # equal scores rank in file order: TP, FP, FP -> AP = 1/2 * 1
    assert detection["ap50"] == pytest.approx(0.5)
    assert summary["false_positives_on_negatives"] == 1
    calibration = summary["calibration"]
    assert calibration["n"] == 5
    assert sum(b["count"] for b in calibration["bins"]) == 5
    assert summary["speed_ms"]["crop"] > 0 and summary["speed_ms"]["frame"] > 0

    files = {f["file"]: f for f in report["files"]}
    misplaced = files["frames/misplaced.png"]
    assert misplaced["labels"][0]["read"]["office"] is None
    assert misplaced["plates"][0]["reported"] is True and misplaced["plates"][0]["label"] is None
    assert files["crops/white.png"]["labels"][0]["read"]["color"] == "white"
    assert files["frames/boxed.png"]["plates"][0]["text"] == "佐賀 581 せ 18-32"

    markdown = report_md.read_text(encoding="utf-8")
    assert "| office | 4 | 50.0% | 0.500 |" in markdown
    assert "| color | 4 | 75.0% | 0.850 |" in markdown
    assert "| **full plate (exact)** | 4 | 50.0% | |" in markdown
    assert "25.0%" in markdown
    assert "| 100-140 | 2 | 50.0% | 50.0% | 50.0% | 50.0% | 50.0% |" in markdown
    assert "| no box | 2 | 50.0% |" in markdown
    assert "| 4 | 2 | 1 | 2 | 1 | 33.3% | 50.0% | 0.500 | 0.500 |" in markdown
    assert "ECE" in markdown and "| crop | 2 |" in markdown


def test_a_field_labelled_empty_must_come_back_unread(tmp_path: Path) -> None:
    """A crop whose office is hidden (empty in labels.csv) is still a plate to read; the
    reader here reads 佐賀 there, which is a guess: not an exact match, and the office
    accuracy does not count the crop."""
    data = make_eval_folder(tmp_path / "data")
    (data / "labels.csv").write_text(
        "file,office,classification,kana,number,color,box_xywh,notes\n"
        "crops/yellow.png,,581,せ,18-32,yellow,,hidden=office\n"
        "crops/white.png,,,,,white,,nothing legible: a negative\n",
        encoding="utf-8",
    )
    weights = make_reader().save_pretrained(tmp_path / "reader")
    report = tmp_path / "report.json"
    assert (
        main(
            ["eval", str(data), "--weights", str(weights), "--format", "json", "--out", str(report)]
        )
        == 0
    )
    summary = json.loads(report.read_text(encoding="utf-8"))["summary"]
    assert summary["labelled_plates"] == 1 and summary["negative_images"] == 1
    assert summary["fields"]["office"]["n"] == 0
    assert summary["fields"]["classification"] == {"n": 1, "accuracy": 1.0, "weighted_f1": 1.0}
    assert summary["exact_match"] == 0.0


def test_jlpr_eval_can_read_everything_as_crops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_eval_folder(tmp_path / "data")
    weights = make_reader().save_pretrained(tmp_path / "reader")
    assert (
        main(["eval", str(data), "--weights", str(weights), "--kind", "crop", "--format", "json"])
        == 0
    )
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["crops"] == 6 and summary["frames"] == 0
    assert summary["detection"]["frames"] == 0


def test_jlpr_eval_reads_with_the_turns_it_is_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = eval_json_command(tmp_path)
    weights = common[3]
    assert main([*common, "--rotations", "270,0,90"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["weights"] == f"{weights}, rotations 270,0,90"
    assert main([*common, "--rotations", "45"]) == 2
    assert "45" in capsys.readouterr().err


def test_jlpr_eval_counts_plates_as_reported_from_the_confidence_it_is_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = eval_json_command(tmp_path)
    assert main(common) == 0
    usual = json.loads(capsys.readouterr().out)
    # The test reader reads its frame plates at about 0.7: all gone above 0.99.
    assert main([*common, "--min-confidence", "0.99"]) == 0
    strict = json.loads(capsys.readouterr().out)
    assert (usual["min_confidence"], strict["min_confidence"]) == (0.5, 0.99)
    assert usual["summary"]["detection"]["true_positives"] == 1
    assert strict["summary"]["detection"]["true_positives"] == 0
    assert strict["summary"]["unreadable_rate"] > usual["summary"]["unreadable_rate"]
    assert main([*common, "--min-confidence", "2"]) == 2
    assert "2" in capsys.readouterr().err


def test_jlpr_eval_leaves_plates_narrower_than_min_width_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = eval_json_command(tmp_path)
    assert main([*common, "--min-width", "110"]) == 0
    report = json.loads(capsys.readouterr().out)
    summary = report["summary"]
    # The misplaced frame's label is 100 px wide: out. Its plate, found elsewhere, matches
    # no label and stays a false positive; the boxed 128-px plate and the crops stay in.
    assert (report["min_width"], summary["ignored_plates"]) == (110, 1)
    assert summary["labelled_plates"] == 3
    assert summary["exact_match"] == pytest.approx(2 / 3)
    detection = summary["detection"]
    assert (detection["positives"], detection["true_positives"]) == (1, 1)
    assert (detection["false_positives"], detection["false_negatives"]) == (2, 0)
    assert [(row["min_px"], row["n"]) for row in summary["by_width"]] == [(100, 1), (None, 2)]
    # A plate found on a left-out label counts neither way: the boxed label out (130 px),
    # its plate is no longer a true positive, nor a false one.
    assert main([*common, "--min-width", "130"]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["ignored_plates"] == 2 and summary["labelled_plates"] == 2
    assert summary["detection"]["positives"] == 0
    assert summary["detection"]["true_positives"] == 0
    assert summary["detection"]["false_positives"] == 2
    assert summary["calibration"]["n"] == 4  # the boxed frame's plate is not scored
    assert main([*common, "--min-width", "-1"]) == 2
    assert "0 or more" in capsys.readouterr().err


def test_jlpr_eval_markdown_names_the_plates_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = eval_json_command(tmp_path)
    assert main([*common[:-2], "--min-width", "110"]) == 0
    assert "narrower than 110 px left out: 1" in capsys.readouterr().out


def test_jlpr_eval_searches_as_it_is_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from jlpr.models.localizer import YoloPoseLocalizer

    data = make_eval_folder(tmp_path / "data")
    reader = make_reader().with_components(YoloPoseLocalizer(scale="n", imgsz=64, stretch=1.0))
    weights = reader.save_pretrained(tmp_path / "reader")
    command = ["eval", str(data), "--weights", str(weights), "--format", "json"]
    assert main([*command, "--min-scale", "1", "--stretch", "2"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["weights"] == f"{weights}, min_scale 1, stretch 2"
    assert report["summary"]["frames"] == 4


def test_jlpr_eval_refuses_search_options_its_localizer_lacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*eval_json_command(tmp_path), "--min-scale", "1"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "--min-scale" in err and "ThresholdLocalizer" in err
