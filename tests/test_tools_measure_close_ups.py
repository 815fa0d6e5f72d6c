"""tools/measure_close_ups.py: the example cut ever closer, read with and without close-ups."""

from __future__ import annotations

import sys

import pytest
import torch

from jlpr.pretrained import CONFIG_NAME, bundled_weights_dir
from tests.scripts import TOOLS, load_script

pytestmark = pytest.mark.skipif(
    not (bundled_weights_dir() / CONFIG_NAME).is_file(),
    reason="no bundled weights in this checkout",
)


def test_the_table_has_a_row_per_cut_and_reads_the_close_ups_only_with_the_view(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = TOOLS / "measure_close_ups.py"
    module = load_script(path)
    torch.set_num_threads(1)
    monkeypatch.setattr(sys, "argv", [str(path)])
    module.main()
    rows = {
        int(cells[1]): cells[3:5]
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("| ") and (cells := [c.strip() for c in line.split("|")])[1].isdigit()
    }
    assert sorted(rows) == sorted(module.WIDTHS)
    text = "品川 330 さ 12-34"
    with_view, without = rows[1280]
    assert with_view.startswith(text) and without.startswith(text)  # the whole frame: both
    with_view, without = rows[320]  # the plate is 456 px at 640 px
    assert with_view.startswith(text) and not without.startswith(text)
