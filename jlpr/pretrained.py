"""Saving and loading a reader as a directory: ``jlpr.json`` plus each component's files.

Layout::

    DIR/jlpr.json                 format, reader settings, one entry per component
    DIR/localizer/...             files written by the localizer's save_weights()
    DIR/rectifier/...
    DIR/classifiers/<field>/...

Each component entry names the registered component (see :mod:`jlpr.registry`), its config
and the SHA-256 of every file it wrote; loading checks the hashes before any file is read,
so a corrupted or swapped file fails loudly instead of giving wrong readings.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

from jlpr.errors import ConfigError, WeightsIntegrityError, WeightsNotFoundError
from jlpr.interfaces import Configurable
from jlpr.registry import ComponentKind, get, kind_of

__all__ = [
    "CONFIG_NAME",
    "FORMAT",
    "bundled_weights_dir",
    "load_component",
    "read_config",
    "save_component",
    "sha256_file",
]

CONFIG_NAME = "jlpr.json"
FORMAT = "jlpr-reader"
FORMAT_VERSION = 1


def bundled_weights_dir() -> Path:
    """The directory of the default weights shipped inside the package."""
    return Path(str(resources.files("jlpr"))) / "weights" / "default"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_component(component: object, directory: Path) -> dict[str, Any]:
    """Write ``component``'s files into ``directory`` and return its ``jlpr.json`` entry."""
    if not isinstance(component, Configurable) or not type(component).registry_name:
        raise ConfigError(
            f"{type(component).__qualname__} cannot be saved: a savable component subclasses "
            "jlpr.interfaces.Configurable and is registered with @jlpr.registry.register(name)"
        )
    directory.mkdir(parents=True, exist_ok=True)
    files = component.save_weights(directory)
    return {
        "kind": kind_of(component).value,
        "name": type(component).registry_name,
        "config": component.get_config(),
        "files": {name: sha256_file(directory / name) for name in files},
    }


def load_component(entry: dict[str, Any], directory: Path, device: str) -> Any:
    """Rebuild one component from its ``jlpr.json`` entry after checking its files."""
    try:
        kind, name = ComponentKind(entry["kind"]), str(entry["name"])
        config, files = dict(entry.get("config", {})), dict(entry.get("files", {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"malformed component entry in {CONFIG_NAME}: {entry!r}") from exc
    for filename, expected in files.items():
        path = directory / filename
        if not path.is_file():
            raise WeightsNotFoundError(f"{name}: weights file {path} is missing")
        actual = sha256_file(path)
        if actual != expected:
            raise WeightsIntegrityError(
                f"{path}: SHA-256 {actual} does not match {expected} recorded in "
                f"{CONFIG_NAME}; the file is corrupt or was replaced"
            )
    cls = get(kind, name)
    if not issubclass(cls, Configurable):
        raise ConfigError(f"{kind.value} {name!r} cannot be loaded: it is not Configurable")
    return cls.from_config(config, directory, device=device)


def read_config(directory: Path) -> dict[str, Any]:
    """Read and check ``DIR/jlpr.json``."""
    path = directory / CONFIG_NAME
    if not path.is_file():
        raise WeightsNotFoundError(
            f"no {CONFIG_NAME} in {directory}: not a saved jlpr reader "
            "(make one with PlateReader.save_pretrained(directory))"
        )
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ConfigError(f"{path} is not a {FORMAT} config")
    if int(config.get("version", 0)) > FORMAT_VERSION:
        raise ConfigError(
            f"{path} has format version {config.get('version')}, newer than this jlpr "
            f"understands ({FORMAT_VERSION}); upgrade jlpr"
        )
    return config
