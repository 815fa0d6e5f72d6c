"""Small user-written components (no models) for composing real readers in tests.

They are what a user could write in a few lines: a colour-threshold localizer, a
mean-colour scheme classifier, and classifiers that read fixed answers from a JSON file
(so that saving, hashing and loading weights are exercised for real).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from jlpr import Field, FieldClassifier, FieldReading, Localizer, PlateReader, register
from jlpr.interfaces import Configurable, ImageArray
from jlpr.rectify import PerspectiveRectifier
from jlpr.rules import ColorScheme
from jlpr.types import Alternative, Box, PlateRegion, Quad

# Background colours of the schemes, as the plates show them.
SCHEME_COLOURS = {
    ColorScheme.PRIVATE: (230, 230, 225),
    ColorScheme.COMMERCIAL: (20, 110, 60),
    ColorScheme.PRIVATE_KEI: (240, 195, 10),
    ColorScheme.COMMERCIAL_KEI: (20, 20, 20),
}


@register("test-threshold")
class ThresholdLocalizer(Localizer, Configurable):
    """Finds the one region whose colour differs from the image border by ``threshold``."""

    def __init__(self, threshold: int = 60) -> None:
        self.threshold = threshold

    def locate(self, image: ImageArray) -> list[PlateRegion]:
        border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
        background = np.median(border, axis=0)
        mask = np.abs(image.astype(int) - background).max(axis=2) > self.threshold
        ys, xs = np.nonzero(mask)
        if len(xs) < 50:
            return []
        box = Box(float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))
        return [PlateRegion(box=box, score=0.9, corners=Quad.from_box(box))]

    def get_config(self) -> dict[str, Any]:
        return {"threshold": self.threshold}


@register("test-mean-colour-scheme")
class MeanColourSchemeClassifier(FieldClassifier, Configurable):
    """Reads the colour scheme from the crop's median colour (nearest background colour)."""

    field = Field.SCHEME

    def classify(self, plate_image: ImageArray) -> FieldReading:
        colour = np.median(plate_image.reshape(-1, 3), axis=0)
        distances = {
            scheme: float(np.linalg.norm(colour - np.array(rgb)))
            for scheme, rgb in SCHEME_COLOURS.items()
        }
        weights = {s: np.exp(-d / 20.0) for s, d in distances.items()}
        total = sum(weights.values())
        alts = sorted(
            (Alternative(s.value, float(w / total)) for s, w in weights.items()),
            key=lambda a: -a.confidence,
        )
        return FieldReading(Field.SCHEME, alts[0].value, alts[0].confidence, tuple(alts))

    def get_config(self) -> dict[str, Any]:
        return {}


@register("test-answer-file")
class AnswerFileClassifier(FieldClassifier, Configurable):
    """Returns the candidates stored in its 'weights' file ``answers.json``."""

    def __init__(self, field: Field | str, candidates: list[tuple[str, float]]) -> None:
        self.field = Field(field)
        self.candidates = [(str(v), float(c)) for v, c in candidates]

    def classify(self, plate_image: ImageArray) -> FieldReading:
        alts = tuple(Alternative(v, c) for v, c in self.candidates)
        return FieldReading(self.field, alts[0].value, alts[0].confidence, alts)

    def get_config(self) -> dict[str, Any]:
        return {"field": self.field.value}

    def save_weights(self, directory: Path) -> list[str]:
        (directory / "answers.json").write_text(json.dumps(self.candidates), encoding="utf-8")
        return ["answers.json"]

    @classmethod
    def from_config(
        cls, config: dict[str, Any], directory: Path, device: str = "cpu"
    ) -> AnswerFileClassifier:
        candidates = json.loads((directory / "answers.json").read_text(encoding="utf-8"))
        return cls(config["field"], candidates)


def answer(field: Field, value: str, confidence: float = 0.95) -> AnswerFileClassifier:
    return AnswerFileClassifier(field, [(value, confidence)])


def make_reader(**settings: Any) -> PlateReader:
    """A reader that finds a coloured rectangle and reads 佐賀 581 せ 18-32 from it."""
    return PlateReader(
        ThresholdLocalizer(),
        PerspectiveRectifier(),
        [
            answer(Field.OFFICE, "佐賀"),
            answer(Field.CLASSIFICATION, "581"),
            answer(Field.KANA, "せ"),
            answer(Field.DESIGNATION, "18-32"),
            MeanColourSchemeClassifier(),
        ],
        **settings,
    )


def scene(colour: tuple[int, int, int] = (240, 195, 10)) -> ImageArray:
    """A 640x360 grey scene with one 2:1 plate-coloured rectangle at (200, 120)-(328, 184)."""
    image = np.full((360, 640, 3), 70, dtype=np.uint8)
    image[120:184, 200:328] = colour
    return image
