"""tools/subset_fonts.py: the cut copies keep the name the font search knows them by and every
character the plates need, at a fraction of the size."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from jlpr.synth.fonts import REQUIRED_CHARS, covers, find_japanese_fonts
from tests.scripts import TOOLS, load_script


def _tool() -> ModuleType:
    pytest.importorskip("fontTools")
    return load_script(TOOLS / "subset_fonts.py")


@pytest.mark.parametrize("name", ["IPAexGothic", "Noto Sans CJK JP Regular"])
def test_a_cut_font_keeps_its_search_name_and_the_plate_characters(
    name: str, tmp_path: Path
) -> None:
    tool = _tool()
    found = find_japanese_fonts(name)
    if not found:
        pytest.skip(f"{name} is not installed (the 'train' extra)")
    spec = found[0]
    copy = tool.cut(spec, tool.characters(), tmp_path)
    # The package names this face "... Regular"; the file alone would read as the family.
    assert tool.font_name_of(copy) == spec.name
    assert covers(copy, REQUIRED_CHARS + "駐車場・")
    assert copy.stat().st_size < spec.path.stat().st_size / 5
