"""jlpr: read Japanese vehicle licence plates.

>>> from jlpr import PlateReader
>>> reader = PlateReader.from_pretrained()             # doctest: +SKIP
>>> [p.text for p in reader.read("car.jpg")]            # doctest: +SKIP
['品川 330 さ 12-34']

The public names below are imported lazily, so that ``import jlpr.rules`` (the plate rules,
pure Python) does not pull in numpy or torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jlpr._exports import load_export

__version__ = "0.1.0.dev0"

_EXPORTS = {
    "PlateReader": "jlpr.reader",
    "ReadResult": "jlpr.reader",
    "Plate": "jlpr.types",
    "Box": "jlpr.types",
    "Quad": "jlpr.types",
    "Field": "jlpr.types",
    "FieldReading": "jlpr.types",
    "Alternative": "jlpr.types",
    "PlateRegion": "jlpr.types",
    "RectifyMethod": "jlpr.types",
    "Office": "jlpr.rules",
    "OfficeKind": "jlpr.rules",
    "ColorScheme": "jlpr.rules",
    "PlateColor": "jlpr.rules",
    "Usage": "jlpr.rules",
    "VehicleClass": "jlpr.rules",
    "Localizer": "jlpr.interfaces",
    "Rectifier": "jlpr.interfaces",
    "FieldClassifier": "jlpr.interfaces",
    "RectifiedPlate": "jlpr.interfaces",
    "register": "jlpr.registry",
    "load_image": "jlpr.image",
    "JlprError": "jlpr.errors",
    "InvalidPlateError": "jlpr.errors",
    "ImageError": "jlpr.errors",
    "UnsupportedImageError": "jlpr.errors",
    "ImageTooLargeError": "jlpr.errors",
    "ModelError": "jlpr.errors",
    "WeightsNotFoundError": "jlpr.errors",
    "WeightsIntegrityError": "jlpr.errors",
    "ConfigError": "jlpr.errors",
    "RegistryError": "jlpr.errors",
}

__all__ = [
    "Alternative",
    "Box",
    "ColorScheme",
    "ConfigError",
    "Field",
    "FieldClassifier",
    "FieldReading",
    "ImageError",
    "ImageTooLargeError",
    "InvalidPlateError",
    "JlprError",
    "Localizer",
    "ModelError",
    "Office",
    "OfficeKind",
    "Plate",
    "PlateColor",
    "PlateReader",
    "PlateRegion",
    "Quad",
    "ReadResult",
    "RectifiedPlate",
    "Rectifier",
    "RectifyMethod",
    "RegistryError",
    "UnsupportedImageError",
    "Usage",
    "VehicleClass",
    "WeightsIntegrityError",
    "WeightsNotFoundError",
    "__version__",
    "load_image",
    "register",
]

if TYPE_CHECKING:
    from jlpr.errors import (
        ConfigError,
        ImageError,
        ImageTooLargeError,
        InvalidPlateError,
        JlprError,
        ModelError,
        RegistryError,
        UnsupportedImageError,
        WeightsIntegrityError,
        WeightsNotFoundError,
    )
    from jlpr.image import load_image
    from jlpr.interfaces import FieldClassifier, Localizer, RectifiedPlate, Rectifier
    from jlpr.reader import PlateReader, ReadResult
    from jlpr.registry import register
    from jlpr.rules import ColorScheme, Office, OfficeKind, PlateColor, Usage, VehicleClass
    from jlpr.types import (
        Alternative,
        Box,
        Field,
        FieldReading,
        Plate,
        PlateRegion,
        Quad,
        RectifyMethod,
    )


def __getattr__(name: str) -> Any:
    return load_export(globals(), _EXPORTS, name)


def __dir__() -> list[str]:
    return sorted(__all__)
