"""tools/measure_localizer_sizes.py: AP50 with small plates ignored."""

from __future__ import annotations

from types import ModuleType

import pytest

from jlpr.types import Box
from tests.scripts import TOOLS, load_script


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    return load_script(TOOLS / "measure_localizer_sizes.py")


BIG = Box(100.0, 100.0, 150.0, 125.0)  # 50 px wide
SMALL = Box(10.0, 10.0, 20.0, 15.0)  # 10 px wide
ELSEWHERE = Box(300.0, 300.0, 340.0, 320.0)


def test_ap50_counts_small_plates_only_when_asked(tool: ModuleType) -> None:
    truth = [BIG, SMALL]
    both = tool.evaluate(truth, [(ELSEWHERE, 0.7), (BIG, 0.9), (SMALL, 0.8)])
    assert [score for _, score in both[1]] == [0.9, 0.8, 0.7]  # surest first
    assert tool.ap50([both], 0) == pytest.approx(1.0)
    big_only = tool.evaluate(truth, [(BIG, 0.9), (ELSEWHERE, 0.7)])
    assert tool.ap50([big_only], 0) == pytest.approx(0.5)
    # Ignored under 20 px: the small plate is not needed, and finding it is no false box.
    assert tool.ap50([big_only], 20) == pytest.approx(1.0)
    assert tool.ap50([both], 20) == pytest.approx(1.0)
    # A false box surer than the only plate halves the precision at full recall.
    false_first = tool.evaluate(truth, [(ELSEWHERE, 0.95), (BIG, 0.9)])
    assert tool.ap50([false_first], 20) == pytest.approx(0.5)
