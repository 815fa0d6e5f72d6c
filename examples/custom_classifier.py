"""Swap in your own field classifier: here, one that only allows the regions you expect.

A camera at a car park in Saga sees local plates; restricting the region name to the
offices of northern Kyushu turns a near-miss between look-alike names into the right one.
Any object with a ``field`` and a ``classify(plate_image) -> FieldReading`` method works.

Run:  python examples/custom_classifier.py IMAGE
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from jlpr import Field, FieldClassifier, FieldReading, PlateReader
from jlpr.interfaces import ImageArray
from jlpr.rules import lookup_office


class AllowedOfficesClassifier(FieldClassifier):
    """Keeps only the region names in ``allowed`` from another office classifier."""

    field = Field.OFFICE

    def __init__(self, base: FieldClassifier, allowed: Iterable[str]) -> None:
        self.base = base
        self.allowed = {lookup_office(name).kanji for name in allowed}

    def classify(self, plate_image: ImageArray) -> FieldReading:
        reading = self.base.classify(plate_image)
        kept = tuple(a for a in reading.candidates() if a.value in self.allowed)
        if not kept:
            return FieldReading(Field.OFFICE, None, 0.0)
        return FieldReading(Field.OFFICE, kept[0].value, kept[0].confidence, kept)


def kyushu_reader(reader: PlateReader) -> PlateReader:
    """``reader`` with its office classifier limited to northern Kyushu."""
    allowed = ["佐賀", "福岡", "北九州", "久留米", "筑豊", "長崎", "佐世保"]
    return reader.with_components(
        AllowedOfficesClassifier(reader.classifiers[Field.OFFICE], allowed)
    )


if __name__ == "__main__":
    reader = kyushu_reader(PlateReader.from_pretrained())
    for path in sys.argv[1:]:
        for plate in reader.read(path):
            print(path, plate.text, f"{plate.confidence:.2f}")
