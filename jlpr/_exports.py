"""Public names that load their module on first use (PEP 562).

A package whose import must stay light (``jlpr``, ``jlpr.synth``) maps each public name to
the module that defines it and forwards its module-level ``__getattr__`` here.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, MutableMapping
from typing import Any


def load_export(namespace: MutableMapping[str, Any], exports: Mapping[str, str], name: str) -> Any:
    """The value of ``name`` from its module in ``exports``, kept in the package's
    ``namespace`` (its ``globals()``) so that the next look-up does not come here; an
    ``AttributeError`` for a name that is not exported."""
    module = exports.get(name)
    if module is None:
        raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    namespace[name] = value
    return value
