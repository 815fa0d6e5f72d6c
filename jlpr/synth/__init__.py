"""Synthetic training data: faithful renderings of Japanese plates.

:func:`render_plate` draws a :class:`~jlpr.types.Plate` (or a random, class-balanced one from
:func:`random_plate`) as an upright 中板 plate with a transparent margin, its exact corners and
the style it was drawn with. Needs numpy and Pillow, plus a Japanese font from the ``train``
extra (``pip install "jlpr[train]"``); never torch.
"""

from __future__ import annotations

from jlpr.synth.fonts import FontSpec, find_cjk_font, find_japanese_fonts, require_japanese_fonts
from jlpr.synth.glyphs import GlyphStyle, glyph_mask
from jlpr.synth.render import FrameKind, RenderedPlate, RenderStyle, render_plate
from jlpr.synth.sampling import random_plate

DATA_VERSION = 2
"""Version of what a seed draws: bumped whenever rendering or degradations change the pixels
(2: thin lettering, in-camera sharpening). Training caches are keyed by it, so a changed
generator never reuses the crops of an older one."""

__all__ = [
    "DATA_VERSION",
    "FontSpec",
    "FrameKind",
    "GlyphStyle",
    "RenderStyle",
    "RenderedPlate",
    "find_cjk_font",
    "find_japanese_fonts",
    "glyph_mask",
    "random_plate",
    "render_plate",
    "require_japanese_fonts",
]
