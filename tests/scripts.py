"""The repository's stand-alone scripts (``tools/``, ``examples/``) loaded as modules."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools"
EXAMPLES = ROOT / "examples"


def load_script(path: Path) -> ModuleType:
    """Import the file ``path`` as a module named after it (registered in ``sys.modules``,
    which dataclasses defined in the script need)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module
