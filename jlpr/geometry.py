"""Homographies between quads, in the pixel conventions of :mod:`jlpr.interfaces`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["apply_homography", "homography"]

FloatArray = npt.NDArray[np.float64]


def homography(
    src: Sequence[Sequence[float]] | FloatArray, dst: Sequence[Sequence[float]] | FloatArray
) -> FloatArray:
    """The 3x3 matrix ``H`` that maps each of four ``src`` points onto the ``dst`` point.

    Raises ``ValueError`` when the points are degenerate (three on a line).
    """
    s = np.asarray(src, dtype=np.float64).reshape(4, 2)
    d = np.asarray(dst, dtype=np.float64).reshape(4, 2)
    a = np.zeros((8, 8))
    b = np.zeros(8)
    for i, ((x, y), (u, v)) in enumerate(zip(s, d, strict=True)):
        a[2 * i] = (x, y, 1, 0, 0, 0, -u * x, -u * y)
        a[2 * i + 1] = (0, 0, 0, x, y, 1, -v * x, -v * y)
        b[2 * i], b[2 * i + 1] = u, v
    try:
        h = np.linalg.solve(a, b)
    except np.linalg.LinAlgError as exc:
        raise ValueError("degenerate quad: no homography maps it") from exc
    return np.append(h, 1.0).reshape(3, 3)


def apply_homography(
    matrix: FloatArray, points: Sequence[Sequence[float]] | FloatArray
) -> FloatArray:
    """Map ``(N, 2)`` points through ``matrix``."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    q: FloatArray = np.hstack([p, np.ones((len(p), 1))]) @ matrix.T
    mapped: FloatArray = q[:, :2] / q[:, 2:3]
    return mapped
