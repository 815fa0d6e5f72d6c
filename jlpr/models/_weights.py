"""Loading a plain ``state_dict`` without ever running pickled code."""

from __future__ import annotations

import json
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from jlpr.errors import ModelError, WeightsIntegrityError, WeightsNotFoundError
from jlpr.pretrained import sha256_file

__all__ = [
    "MANIFEST_FILE",
    "MODEL_FILE",
    "check_manifest",
    "load_state_dict",
    "resolve_device",
    "save_with_manifest",
]

MODEL_FILE = "model.pt"
MANIFEST_FILE = "manifest.json"


def load_state_dict(
    path: Path, map_location: str | torch.device = "cpu"
) -> dict[str, torch.Tensor]:
    """Read a ``state_dict`` written with ``torch.save``, safely.

    ``weights_only=True`` refuses every pickled object that is not a tensor or a plain
    container, so a file crafted to run code fails here with :class:`ModelError`; so does
    anything that is not a dict of tensors.
    """
    if not path.is_file():
        raise WeightsNotFoundError(f"weights file {path} is missing")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except (
        pickle.UnpicklingError,
        RuntimeError,
        EOFError,
        OSError,
        ValueError,
        zipfile.BadZipFile,
    ) as exc:
        raise ModelError(
            f"{path} is not a plain state_dict that can be loaded safely "
            f"(torch.load(weights_only=True) refused it: {exc})"
        ) from exc
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise ModelError(f"{path} holds a {type(state).__name__}, not a state_dict of tensors")
    return state


def resolve_device(device: str | torch.device) -> torch.device:
    """``device`` as a torch device; a typed error for an unknown one or a missing GPU."""
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ModelError(f"unknown torch device {device!r}: {exc}") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ModelError(
            f"device {device!r} was asked for but this torch has no usable CUDA GPU; "
            "use device='cpu'"
        )
    return resolved


def check_manifest(directory: Path, model_file: str = MODEL_FILE) -> dict[str, Any]:
    """The provenance in ``directory/manifest.json`` after checking ``model_file`` against it.

    No manifest means no provenance (``{}``); a manifest whose SHA-256 does not match the
    weights raises :class:`~jlpr.errors.WeightsIntegrityError`.
    """
    manifest_path = directory / MANIFEST_FILE
    if not manifest_path.is_file():
        return {}
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        expected = manifest.get("sha256", {}).get(model_file)
        provenance = dict(manifest.get("provenance", {}))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError, TypeError) as exc:
        raise ModelError(f"{manifest_path} is not a valid manifest: {exc}") from exc
    if expected is not None and sha256_file(directory / model_file) != expected:
        raise WeightsIntegrityError(
            f"{directory / model_file} does not match the SHA-256 in {manifest_path}; the file "
            "is corrupt or was replaced"
        )
    return provenance


def save_with_manifest(
    directory: Path, state: dict[str, torch.Tensor], manifest_format: str, details: dict[str, Any]
) -> list[str]:
    """Write ``state`` as ``model.pt`` and a ``manifest.json`` with its SHA-256.

    The manifest holds ``format``, ``version``, then ``details`` (what the weights are and
    what trained them), the jlpr and torch versions and the hash that
    :func:`check_manifest` verifies. Returns the file names written.
    """
    from jlpr import __version__

    directory.mkdir(parents=True, exist_ok=True)
    torch.save(state, directory / MODEL_FILE)
    manifest = {
        "format": manifest_format,
        "version": 1,
        **details,
        "jlpr_version": __version__,
        "torch_version": torch.__version__,
        "sha256": {MODEL_FILE: sha256_file(directory / MODEL_FILE)},
    }
    (directory / MANIFEST_FILE).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return [MODEL_FILE, MANIFEST_FILE]
