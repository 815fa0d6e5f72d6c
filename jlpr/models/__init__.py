"""The default models of jlpr: one small CNN classifier per plate field.

Importing this package registers :class:`CnnFieldClassifier` as ``cnn-field`` and
:class:`MeanFieldClassifier` (several trained nets of one field, read as the mean of their
probabilities) as ``mean-field`` (see :mod:`jlpr.registry`), so readers saved with them
load. Slot decoding lives in :mod:`jlpr.models.slots`, confidence calibration in
:mod:`jlpr.models.calibration`.
"""

from __future__ import annotations

from jlpr.models.ensemble import MeanFieldClassifier, mean_classifiers
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
    "MeanFieldClassifier",
    "build_classifiers",
    "mean_classifiers",
    "save_classifiers",
]
