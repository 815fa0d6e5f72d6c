"""Plate colour schemes: background, character and border colours, and what each allows.

Colours of ordinary plates: JAMA, *Motor Industry of Japan 2020*, p.49 (registered private
white/green, commercial green/white, kei private yellow/black, kei commercial black/yellow).
Graphic plates (図柄入り) have a white pictorial background and green characters; commercial
ones get a green border and kei private ones a yellow border (MLIT 2018). Kei commercial
vehicles were not offered the regional designs, so there is no graphic kei-commercial scheme.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from jlpr.errors import InvalidPlateError
from jlpr.rules.kana import Usage, VehicleClass, kana_usage

__all__ = ["ColorScheme", "PlateColor", "scheme_allows_kana", "schemes_for_background"]


class PlateColor(str, Enum):
    """A colour used for the background, characters or border of a plate."""

    WHITE = "white"
    GREEN = "green"
    YELLOW = "yellow"
    BLACK = "black"


class ColorScheme(str, Enum):
    """The colour scheme of a plate, which tells the vehicle class and private/commercial use."""

    PRIVATE = "private"
    """White background, green characters: registered private, rental and US forces."""
    COMMERCIAL = "commercial"
    """Green background, white characters: registered commercial."""
    PRIVATE_KEI = "private_kei"
    """Yellow background, black characters: kei private and rental."""
    COMMERCIAL_KEI = "commercial_kei"
    """Black background, yellow characters: kei commercial."""
    GRAPHIC = "graphic"
    """Graphic plate without a border, green characters: registered private."""
    GRAPHIC_COMMERCIAL = "graphic_commercial"
    """Graphic plate with a green border: registered commercial."""
    GRAPHIC_KEI = "graphic_kei"
    """Graphic plate with a yellow border: kei private."""

    @property
    def background(self) -> PlateColor:
        """Background colour (white for graphic plates, whatever their picture)."""
        return _SPECS[self].background

    @property
    def characters(self) -> PlateColor:
        """Colour of the characters."""
        return _SPECS[self].characters

    @property
    def border(self) -> PlateColor | None:
        """Colour of the border line of graphic plates; ``None`` when there is none."""
        return _SPECS[self].border

    @property
    def vehicle_class(self) -> VehicleClass:
        """Registered or kei vehicle."""
        return _SPECS[self].vehicle_class

    @property
    def is_commercial(self) -> bool:
        """True for commercial (事業用) plates."""
        return _SPECS[self].commercial

    @property
    def is_graphic(self) -> bool:
        """True for graphic (図柄入り) plates."""
        return self in (
            ColorScheme.GRAPHIC,
            ColorScheme.GRAPHIC_COMMERCIAL,
            ColorScheme.GRAPHIC_KEI,
        )

    @property
    def usages(self) -> frozenset[Usage]:
        """The kana usages that can appear on plates of this scheme."""
        return _COMMERCIAL_USAGES if self.is_commercial else _PRIVATE_USAGES


@dataclass(frozen=True)
class _Spec:
    background: PlateColor
    characters: PlateColor
    border: PlateColor | None
    vehicle_class: VehicleClass
    commercial: bool


_W, _G, _Y, _B = PlateColor.WHITE, PlateColor.GREEN, PlateColor.YELLOW, PlateColor.BLACK
_REG, _KEI = VehicleClass.REGISTERED, VehicleClass.KEI
_SPECS: dict[ColorScheme, _Spec] = {
    ColorScheme.PRIVATE: _Spec(_W, _G, None, _REG, commercial=False),
    ColorScheme.COMMERCIAL: _Spec(_G, _W, None, _REG, commercial=True),
    ColorScheme.PRIVATE_KEI: _Spec(_Y, _B, None, _KEI, commercial=False),
    ColorScheme.COMMERCIAL_KEI: _Spec(_B, _Y, None, _KEI, commercial=True),
    ColorScheme.GRAPHIC: _Spec(_W, _G, None, _REG, commercial=False),
    ColorScheme.GRAPHIC_COMMERCIAL: _Spec(_W, _G, _G, _REG, commercial=True),
    ColorScheme.GRAPHIC_KEI: _Spec(_W, _G, _Y, _KEI, commercial=False),
}
# Rental and US-forces vehicles carry the private colours (JAMA 2020 p.49).
_PRIVATE_USAGES = frozenset({Usage.PRIVATE, Usage.RENTAL, Usage.US_FORCES})
_COMMERCIAL_USAGES = frozenset({Usage.COMMERCIAL})


def scheme_allows_kana(scheme: ColorScheme | str, kana: str) -> bool:
    """True when ``kana`` can appear on a plate of ``scheme``.

    あ is commercial on registered vehicles and private on kei vehicles, so it fits
    :attr:`ColorScheme.COMMERCIAL` and :attr:`ColorScheme.PRIVATE_KEI` but not
    :attr:`ColorScheme.PRIVATE`. Raises :class:`~jlpr.errors.InvalidPlateError` with field
    ``"scheme"`` for an unknown scheme name.
    """
    scheme = parse_scheme(scheme)
    return kana_usage(kana, scheme.vehicle_class) in scheme.usages


def parse_scheme(scheme: ColorScheme | str) -> ColorScheme:
    """The scheme named ``scheme`` (a :class:`ColorScheme` or its value, e.g. ``"private_kei"``).

    Raises :class:`~jlpr.errors.InvalidPlateError` with field ``"scheme"`` for any other value.
    """
    try:
        return ColorScheme(scheme)
    except ValueError:
        known = ", ".join(s.value for s in ColorScheme)
        raise InvalidPlateError("scheme", scheme, f"unknown scheme; one of {known}") from None


def schemes_for_background(color: PlateColor | str) -> tuple[ColorScheme, ...]:
    """The schemes whose background is ``color``, in declaration order.

    Raises :class:`~jlpr.errors.InvalidPlateError` with field ``"scheme"`` for a colour that
    is not a plate background colour.
    """
    try:
        background = PlateColor(color)
    except ValueError:
        known = ", ".join(c.value for c in PlateColor)
        raise InvalidPlateError("scheme", color, f"unknown colour; one of {known}") from None
    return tuple(s for s in ColorScheme if s.background is background)
