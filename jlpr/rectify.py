"""The default rectifier: a perspective warp from the four plate corners.

When a region has no corners, or corners that cannot be a plate seen by a camera (not
convex, folded, far outside the box, absurd aspect), the rectifier falls back to the
axis-aligned box and says so with :attr:`~jlpr.types.RectifyMethod.BOX`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from jlpr.geometry import homography
from jlpr.interfaces import Configurable, ImageArray, RectifiedPlate, Rectifier
from jlpr.layout import CANONICAL_SIZE
from jlpr.registry import register
from jlpr.types import Box, PlateRegion, Quad, RectifyMethod

__all__ = ["PerspectiveRectifier", "corners_are_plausible"]

# A 2:1 plate seen at up to ~70 degrees of yaw or pitch keeps its apparent width/height
# ratio inside these bounds; outside them the corners are a detector failure.
_MIN_ASPECT = 0.5
_MAX_ASPECT = 8.0
# Corners may stick out of the detected box a little (the box and the keypoints are
# separate heads), but not by more than this share of the box size.
_MAX_OUTSIDE_BOX = 0.25
_MIN_AREA_SHARE = 0.2


def corners_are_plausible(corners: Quad, box: Box | None = None) -> bool:
    """True when ``corners`` can be a plate: convex, clockwise, sane aspect, near ``box``."""
    if not corners.is_convex():
        return False
    (tlx, tly), (trx, try_), (brx, bry), (blx, bly) = corners.points
    width = (math.hypot(trx - tlx, try_ - tly) + math.hypot(brx - blx, bry - bly)) / 2
    height = (math.hypot(blx - tlx, bly - tly) + math.hypot(brx - trx, bry - try_)) / 2
    if height <= 1e-6 or not (_MIN_ASPECT <= width / height <= _MAX_ASPECT):
        return False
    if box is None:
        return True
    slack_x, slack_y = _MAX_OUTSIDE_BOX * box.width, _MAX_OUTSIDE_BOX * box.height
    inside = all(
        box.x1 - slack_x <= x <= box.x2 + slack_x and box.y1 - slack_y <= y <= box.y2 + slack_y
        for x, y in corners.points
    )
    return inside and corners.signed_area() >= _MIN_AREA_SHARE * box.area


@register("perspective")
class PerspectiveRectifier(Rectifier, Configurable):
    """Warps the plate quad to an upright ``output_size`` crop (bilinear).

    Args:
        output_size: ``(width, height)`` of the crops; the plate fills the crop edge to edge.
    """

    def __init__(self, output_size: tuple[int, int] = CANONICAL_SIZE) -> None:
        width, height = (int(v) for v in output_size)
        if width < 8 or height < 8:
            raise ValueError(f"output_size must be at least 8x8, got {output_size}")
        self.output_size = (width, height)

    def rectify(self, image: ImageArray, region: PlateRegion) -> RectifiedPlate:
        quad, method = self.rectify_quad(region)
        return RectifiedPlate(image=self.warp(image, quad), corners=quad, method=method)

    @staticmethod
    def rectify_quad(region: PlateRegion) -> tuple[Quad, RectifyMethod]:
        """The quad :meth:`rectify` warps: the corners when plausible, else the box."""
        if region.corners is not None and corners_are_plausible(region.corners, region.box):
            return region.corners, RectifyMethod.PERSPECTIVE
        return Quad.from_box(region.box), RectifyMethod.BOX

    def warp(self, image: ImageArray, quad: Quad) -> ImageArray:
        """Map ``quad`` (TL, TR, BR, BL in ``image``) onto the whole output crop."""
        width, height = self.output_size
        source, points = self._prereduce(image, quad)
        # PIL wants the map from output pixels to input pixels; both in corner-origin units.
        out_corners = [(0.0, 0.0), (width, 0.0), (width, height), (0.0, height)]
        matrix = homography(out_corners, points)
        coeffs = tuple(float(c) for c in (matrix / matrix[2, 2]).ravel()[:8])
        warped = source.transform(
            (width, height), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR
        )
        return np.asarray(warped, dtype=np.uint8)

    def _prereduce(
        self, image: ImageArray, quad: Quad
    ) -> tuple[Image.Image, list[tuple[float, float]]]:
        """Box-filter a plate that is much larger than the crop, so the warp does not alias.

        A bilinear warp samples 4 pixels per output pixel; shrinking by more than ~2x
        skips pixels and turns thin strokes into noise.
        """
        box = quad.to_box()
        width, height = self.output_size
        factor = int(min(box.width / width, box.height / height) // 1.5)
        pil = Image.fromarray(image)
        if factor < 2:
            return pil, list(quad.points)
        margin = 0.1 * max(box.width, box.height)
        left = max(0, math.floor(box.x1 - margin))
        top = max(0, math.floor(box.y1 - margin))
        right = min(image.shape[1], math.ceil(box.x2 + margin))
        bottom = min(image.shape[0], math.ceil(box.y2 + margin))
        if right - left < 2 * factor or bottom - top < 2 * factor:
            return pil, list(quad.points)
        reduced = pil.crop((left, top, right, bottom)).reduce(factor)
        points = [((x - left) / factor, (y - top) / factor) for x, y in quad.points]
        return reduced, points

    def get_config(self) -> dict[str, Any]:
        return {"output_size": list(self.output_size)}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], directory: Path, device: str = "cpu"
    ) -> PerspectiveRectifier:
        size = config.get("output_size", CANONICAL_SIZE)
        return cls(output_size=(int(size[0]), int(size[1])))
