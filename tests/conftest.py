"""Fixtures shared by several test modules."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def saved_reader_dir(tmp_path: Path) -> Path:
    """A reader of small user-written components, saved with ``save_pretrained``.

    It finds the one coloured rectangle of a :func:`tests.components.scene` image and reads
    佐賀 581 せ 18-32 from it; ``PlateReader.from_pretrained(dir)`` and ``--weights dir`` load it.
    """
    from tests.components import make_reader

    return make_reader().save_pretrained(tmp_path / "weights")
