"""The default models of jlpr: one small CNN classifier per plate field.

Importing this package registers :class:`CnnFieldClassifier` as ``cnn-field`` (see
:mod:`jlpr.registry`), so readers saved with it load. Slot decoding lives in
:mod:`jlpr.models.slots`, confidence calibration in :mod:`jlpr.models.calibration`.
"""

from __future__ import annotations

from jlpr.models.fields import (
    CnnFieldClassifier,
    FieldModelConfig,
    FieldNet,
    build_classifiers,
    save_classifiers,
)

__all__ = [
    "CnnFieldClassifier",
    "FieldModelConfig",
    "FieldNet",
    "build_classifiers",
    "save_classifiers",
]
