"""The exceptions jlpr raises.

Every error the library raises on purpose derives from :class:`JlprError`, so
``except jlpr.JlprError`` catches all of them. Messages say what went wrong and,
where there is one, what to do about it.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ImageError",
    "ImageTooLargeError",
    "InvalidPlateError",
    "JlprError",
    "ModelError",
    "RegistryError",
    "UnsupportedImageError",
    "WeightsIntegrityError",
    "WeightsNotFoundError",
]


class JlprError(Exception):
    """Base class of every error raised by jlpr."""


class InvalidPlateError(JlprError, ValueError):
    """A plate value or text does not follow the Japanese plate rules.

    ``field`` names the offending part (``"office"``, ``"classification"``,
    ``"kana"``, ``"designation"``, ``"scheme"`` or ``"text"``) and ``value`` is what was given.
    """

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"invalid {field} {value!r}: {reason}")


class ImageError(JlprError, ValueError):
    """An input image could not be read or is not usable (missing, not an image, truncated)."""


class UnsupportedImageError(ImageError):
    """An image or array has a shape, dtype or mode that jlpr does not convert."""


class ImageTooLargeError(ImageError):
    """An image has more pixels than the configured limit (also decompression bombs)."""


class ModelError(JlprError):
    """A model or its weights could not be loaded or used."""


class WeightsNotFoundError(ModelError, FileNotFoundError):
    """No weights were found where they were expected."""


class WeightsIntegrityError(ModelError):
    """A weights file does not match the SHA-256 recorded in its manifest."""


class ConfigError(JlprError, ValueError):
    """A reader or component configuration is malformed or inconsistent."""


class RegistryError(JlprError, LookupError):
    """A component name is unknown to the registry, or registered twice."""
