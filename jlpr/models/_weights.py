"""Loading a plain ``state_dict`` without ever running pickled code."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import torch

from jlpr.errors import ModelError, WeightsNotFoundError

__all__ = ["load_state_dict"]


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
