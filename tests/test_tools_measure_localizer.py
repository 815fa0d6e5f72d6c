"""tools/measure_localizer_sizes.py: matching and AP50 with small plates ignored."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "measure_localizer_sizes.py"


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("measure_localizer_sizes", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BIG = (100.0, 100.0, 150.0, 125.0)  # 50 px wide
SMALL = (10.0, 10.0, 20.0, 15.0)  # 10 px wide
ELSEWHERE = (300.0, 300.0, 340.0, 320.0)


def test_each_labelled_plate_is_matched_once_surest_first(tool: ModuleType) -> None:
    shifted = (102.0, 100.0, 152.0, 125.0)
    matched = tool.match([BIG, SMALL], [(shifted, 0.6), (BIG, 0.9), (ELSEWHERE, 0.7)])
    assert matched == [(0.9, 0), (0.7, -1), (0.6, -1)]


def test_ap50_counts_small_plates_only_when_asked(tool: ModuleType) -> None:
    truth = [BIG, SMALL]
    both = tool.match(truth, [(BIG, 0.9), (SMALL, 0.8), (ELSEWHERE, 0.7)])
    assert tool.ap50([(truth, both)], 0) == pytest.approx(1.0, abs=0.01)
    big_only = tool.match(truth, [(BIG, 0.9), (ELSEWHERE, 0.7)])
    # Half the plates at precision 1, then (as in ultralytics) a straight line from the last
    # point, recall 0.5 at precision 0.5, down to recall 1 at precision 0.
    assert tool.ap50([(truth, big_only)], 0) == pytest.approx(0.5 + 0.125 - 0.0025)
    # Ignored under 20 px: the small plate is not needed, and finding it is no false box.
    assert tool.ap50([(truth, big_only)], 20) == pytest.approx(1.0, abs=0.01)
    assert tool.ap50([(truth, both)], 20) == pytest.approx(1.0, abs=0.01)
    # A false box surer than the only plate halves the precision at full recall.
    false_first = tool.match(truth, [(ELSEWHERE, 0.95), (BIG, 0.9)])
    assert tool.ap50([(truth, false_first)], 20) == pytest.approx(0.5, abs=0.01)
