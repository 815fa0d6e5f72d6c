"""tools/compare_frame_corners.py: exact plates on whole frames, by width, three ways."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from types import ModuleType

import pytest

from jlpr.synth.cli import main as synth_main
from tests.scripts import TOOLS, load_script


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    return load_script(TOOLS / "compare_frame_corners.py")


def test_widths_fall_in_their_bins(tool: ModuleType) -> None:
    assert tool._bin(40.0) == "40-60 px"
    assert tool._bin(59.9) == "40-60 px"
    assert tool._bin(150.0) == "100-200 px"
    assert tool._bin(200.0) == "200 px and more"
    assert tool._bin(30.0) == "0-40 px"


def test_every_plate_wide_enough_is_counted_once_in_its_bin(
    tool: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from jlpr.synth.fonts import find_japanese_fonts

    if not find_japanese_fonts():
        pytest.skip("the synthetic scenes need the Japanese fonts of the 'train' extra")
    out = tmp_path / "scenes"
    args = ["scenes", "--n", "3", "--out", str(out), "--seed", "4", "--size", "640"]
    assert synth_main([*args, "--val", "1.0", "--negatives", "0", "--no-vehicles"]) == 0
    frames = out / "images" / "val"
    rows = list(csv.DictReader((frames / "labels.csv").open(encoding="utf-8")))
    widths = [float(row["box_xywh"].split()[2]) for row in rows if "hidden=" not in row["notes"]]
    monkeypatch.setattr(sys, "argv", ["compare_frame_corners", str(frames), "--min-width", "40"])
    tool.main()
    table = [line for line in capsys.readouterr().out.splitlines() if " px |" in line]
    counted = {line.split(" | ")[0].strip("| "): int(line.split(" | ")[1]) for line in table}
    expected: dict[str, int] = {}
    for width in widths:
        if width >= 40:
            expected[tool._bin(width)] = expected.get(tool._bin(width), 0) + 1
    assert counted == expected and sum(counted.values()) > 0
    for line in table:
        shares = [float(cell.rstrip(" %|")) for cell in line.split(" | ")[2:]]
        assert len(shares) == 3 and all(0.0 <= share <= 100.0 for share in shares)
