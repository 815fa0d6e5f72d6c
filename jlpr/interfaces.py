"""The three kinds of pipeline component, and the conventions they share.

A :class:`~jlpr.reader.PlateReader` runs ``Localizer -> Rectifier -> FieldClassifier`` (one
classifier per :class:`~jlpr.types.Field`) and decodes the readings into a valid plate.
Components depend on these interfaces only, never on each other.

Conventions, stated once and kept everywhere:

* an **image** is a ``numpy.ndarray`` of shape ``(H, W, 3)``, dtype ``uint8``, RGB order,
  C-contiguous (``jlpr.image.load_image`` makes one from a path, bytes, PIL image or array);
* a **point** is ``(x, y)`` in float pixels of the ORIGINAL input image (x right, y down,
  ``(0, 0)`` the top-left corner of the top-left pixel);
* a **quad** lists the plate corners TL, TR, BR, BL as seen on the plate;
* a **plate image** (rectifier output, classifier input) is an upright plate crop of the
  rectifier's declared ``output_size`` ``(width, height)``, the plate filling the whole crop.

Components that can be saved by :meth:`PlateReader.save_pretrained` also implement
:class:`Configurable` and are registered by name in :mod:`jlpr.registry`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from jlpr.types import Field, FieldReading, PlateRegion, Quad, RectifyMethod

__all__ = [
    "Configurable",
    "FieldClassifier",
    "ImageArray",
    "Localizer",
    "RectifiedPlate",
    "Rectifier",
]

ImageArray = npt.NDArray[np.uint8]
"""An ``(H, W, 3)`` uint8 RGB image."""


class Configurable:
    """A component that can describe itself as config + weight files and be rebuilt from them.

    ``registry_name`` is the name the component is registered under in :mod:`jlpr.registry`.
    """

    registry_name: ClassVar[str] = ""

    def get_config(self) -> dict[str, Any]:
        """JSON-ready arguments that :meth:`from_config` accepts (weights excluded)."""
        raise NotImplementedError(f"{type(self).__name__} cannot be saved: no get_config()")

    def save_weights(self, directory: Path) -> list[str]:
        """Write weight files into ``directory``; return their names (relative to it)."""
        return []

    @classmethod
    def from_config(
        cls, config: dict[str, Any], directory: Path, device: str = "cpu"
    ) -> Configurable:
        """Rebuild the component from :meth:`get_config` output and files in ``directory``."""
        return cls(**config)


class Localizer(ABC):
    """Finds plates in an image."""

    @abstractmethod
    def locate(self, image: ImageArray) -> list[PlateRegion]:
        """Return every plate found in ``image``, best score first."""

    def locate_batch(self, images: Sequence[ImageArray]) -> list[list[PlateRegion]]:
        """:meth:`locate` for several images; implementations may batch for speed."""
        return [self.locate(image) for image in images]


@dataclass(frozen=True)
class RectifiedPlate:
    """An upright plate crop and how it was made.

    ``image`` has the rectifier's ``output_size``; ``corners`` are the input-image points
    that were mapped to the crop's corners (TL, TR, BR, BL).
    """

    image: ImageArray
    corners: Quad
    method: RectifyMethod


class Rectifier(ABC):
    """Warps one located plate to an upright crop of a fixed size."""

    output_size: tuple[int, int]
    """``(width, height)`` of every crop this rectifier returns."""
    finds_corners: ClassVar[bool] = False
    """True when :meth:`rectify` finds the plate's corners itself from a rough box, so that
    :meth:`~jlpr.reader.PlateReader.recognize` gives it the whole plate crop by default
    rather than asking the localizer first."""

    @abstractmethod
    def rectify(self, image: ImageArray, region: PlateRegion) -> RectifiedPlate:
        """Cut the plate ``region`` out of ``image`` and make it upright."""


class FieldClassifier(ABC):
    """Reads one field of an upright plate crop.

    ``field`` says which; :meth:`classify` returns a :class:`~jlpr.types.FieldReading` whose
    ``value`` is the field's canonical text and whose ``alternatives`` carry the top
    candidates, so that the reader can pick the most probable VALID plate.
    """

    field: Field

    @abstractmethod
    def classify(self, plate_image: ImageArray) -> FieldReading:
        """Read the field from one upright plate crop."""

    def classify_batch(self, plate_images: Sequence[ImageArray]) -> list[FieldReading]:
        """:meth:`classify` for several crops; implementations may batch for speed."""
        return [self.classify(image) for image in plate_images]
