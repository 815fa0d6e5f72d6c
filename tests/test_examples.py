"""The examples work as the docs say."""

from __future__ import annotations

from types import ModuleType

from jlpr import Field
from tests.components import AnswerFileClassifier, make_reader, scene
from tests.scripts import EXAMPLES, load_script


def _load(name: str) -> ModuleType:
    return load_script(EXAMPLES / f"{name}.py")


def test_custom_classifier_example_swaps_the_office_classifier_in_one_line() -> None:
    example = _load("custom_classifier")
    # The stock office classifier prefers 佐世保's look-alike 世田谷; the example limits it to
    # northern Kyushu, so the reader reports 佐世保.
    base = make_reader(min_confidence=0.0).with_components(
        AnswerFileClassifier(Field.OFFICE, [("世田谷", 0.6), ("佐世保", 0.39)])
    )
    assert base.read(scene())[0].office.kanji == "世田谷"  # type: ignore[union-attr]
    reader = example.kyushu_reader(base)
    assert isinstance(reader.classifiers[Field.OFFICE], example.AllowedOfficesClassifier)
    plate = reader.read(scene())[0]
    assert plate.office is not None and plate.office.kanji == "佐世保"
    assert plate.classification == "581"  # the other components are untouched
