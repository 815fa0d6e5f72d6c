"""Synthetic training data: faithful renderings of Japanese plates.

:func:`render_plate` draws a :class:`~jlpr.types.Plate` (or a random, class-balanced one from
:func:`random_plate`) as an upright 中板 plate with a transparent margin, its exact corners and
the style it was drawn with. Needs numpy and Pillow, plus a Japanese font from the ``train``
extra (``pip install "jlpr[train]"``); never torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jlpr._exports import load_export

if TYPE_CHECKING:
    from jlpr.synth.fonts import (
        FontSpec,
        find_cjk_font,
        find_japanese_fonts,
        require_japanese_fonts,
    )
    from jlpr.synth.glyphs import GlyphStyle, glyph_mask
    from jlpr.synth.render import FrameKind, RenderedPlate, RenderStyle, render_plate
    from jlpr.synth.sampling import random_plate

DATA_VERSION = 2
"""Version of what a seed draws: bumped whenever rendering or degradations change the pixels
(2: thin lettering, in-camera sharpening). Training caches are keyed by it, so a changed
generator never reuses the crops of an older one."""

# Pose ranges of the plates pasted into scenes (jlpr.synth.scenes.SceneConfig), kept here so
# that `jlpr synth scenes --help` shows them without importing numpy, Pillow and the renderer.
SCENE_MAX_YAW = 50.0
"""Largest yaw of a plate pasted into a scene, in degrees."""
SCENE_MAX_PITCH = 25.0
"""Largest pitch of a plate pasted into a scene, in degrees."""
SCENE_MAX_ROLL = 8.0
"""Largest roll of a plate pasted into a scene, in degrees."""
PHOTO_MAX_YAW = 20.0
"""Largest yaw of a plate that replaces a vehicle photo's plate, in degrees."""

# The public names load their modules on first use (PEP 562): importing jlpr.synth, or one of
# its light submodules such as the command line's, stays cheap.
_EXPORTS = {
    "FontSpec": "jlpr.synth.fonts",
    "find_cjk_font": "jlpr.synth.fonts",
    "find_japanese_fonts": "jlpr.synth.fonts",
    "require_japanese_fonts": "jlpr.synth.fonts",
    "GlyphStyle": "jlpr.synth.glyphs",
    "glyph_mask": "jlpr.synth.glyphs",
    "FrameKind": "jlpr.synth.render",
    "RenderedPlate": "jlpr.synth.render",
    "RenderStyle": "jlpr.synth.render",
    "render_plate": "jlpr.synth.render",
    "random_plate": "jlpr.synth.sampling",
}


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


def __getattr__(name: str) -> Any:
    return load_export(globals(), _EXPORTS, name)


__all__ = [
    "DATA_VERSION",
    "PHOTO_MAX_YAW",
    "SCENE_MAX_PITCH",
    "SCENE_MAX_ROLL",
    "SCENE_MAX_YAW",
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
