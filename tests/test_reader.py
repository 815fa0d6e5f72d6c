"""PlateReader composed end to end from small user-written components (no models)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from jlpr import (
    ColorScheme,
    ConfigError,
    Field,
    ImageError,
    PlateReader,
    RectifyMethod,
    WeightsIntegrityError,
    WeightsNotFoundError,
)
from jlpr.rectify import PerspectiveRectifier
from tests.components import (
    AnswerFileClassifier,
    MeanColourSchemeClassifier,
    ThresholdLocalizer,
    answer,
    make_reader,
    scene,
)


def test_read_composes_locate_rectify_classify_and_decode() -> None:
    plates = make_reader().read(scene())
    assert len(plates) == 1
    plate = plates[0]
    assert plate.text == "佐賀 581 せ 18-32"
    assert plate.scheme is ColorScheme.PRIVATE_KEI
    assert plate.box is not None and plate.box.to_xywh() == (200, 120, 128, 64)
    assert plate.corners is not None and plate.corners.tl == (200, 120)
    assert plate.rectification is RectifyMethod.PERSPECTIVE
    assert plate.detection_score == 0.9
    expected = 0.9 * 0.95**4 * plate.readings[Field.SCHEME].confidence
    assert plate.confidence == pytest.approx(expected)
    assert set(plate.readings) == set(Field)


def test_every_input_type_gives_the_same_plates(tmp_path: Path) -> None:
    array = scene()
    path = tmp_path / "car.png"
    Image.fromarray(array).save(path)
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    reader = make_reader()
    texts = {
        kind: [p.text for p in reader.read(source)]
        for kind, source in {
            "array": array,
            "path": path,
            "str": str(path),
            "bytes": buffer.getvalue(),
            "pil": Image.fromarray(array),
        }.items()
    }
    assert all(t == ["佐賀 581 せ 18-32"] for t in texts.values()), texts


def test_an_image_without_plates_gives_no_plates() -> None:
    assert make_reader().read(np.full((100, 200, 3), 70, dtype=np.uint8)) == []


def test_plates_below_min_confidence_are_not_reported() -> None:
    assert make_reader(min_confidence=0.99).read(scene()) == []


def test_the_kana_and_scheme_rule_changes_the_reading() -> None:
    # The kana classifier prefers り (kei commercial), but the plate is yellow (kei private):
    # the decoder takes the consistent second choice.
    reader = make_reader(min_confidence=0.0).with_components(
        AnswerFileClassifier(Field.KANA, [("り", 0.6), ("る", 0.35)])
    )
    plate = reader.read(scene())[0]
    assert plate.kana == "る" and plate.scheme is ColorScheme.PRIVATE_KEI


def test_an_unsure_field_is_unreadable_and_the_plate_says_so() -> None:
    reader = make_reader(min_confidence=0.0).with_components(answer(Field.OFFICE, "佐賀", 0.1))
    plate = reader.read(scene())[0]
    assert plate.office is None and not plate.is_complete
    assert plate.text == "? 581 せ 18-32"


def test_read_batch_keeps_the_good_results_when_one_input_is_bad(tmp_path: Path) -> None:
    bad = tmp_path / "not-an-image.jpg"
    bad.write_text("hello")
    results = make_reader().read_batch([scene(), bad, tmp_path / "missing.jpg", scene()])
    assert [r.ok for r in results] == [True, False, False, True]
    assert [len(r.plates) for r in results] == [1, 0, 0, 1]
    assert isinstance(results[1].error, ImageError)
    assert "missing.jpg" in results[2].source


def test_recognize_reads_a_crop_without_a_localizer() -> None:
    crop = np.full((64, 128, 3), (240, 195, 10), dtype=np.uint8)
    reader = PlateReader(
        None,
        PerspectiveRectifier(),
        [
            answer(Field.OFFICE, "品川"),
            answer(Field.CLASSIFICATION, "330"),
            answer(Field.KANA, "さ"),
            answer(Field.DESIGNATION, "・・12"),
        ],
    )
    plate = reader.recognize(crop)
    assert plate.text == "品川 330 さ ・・12"
    assert plate.rectification is RectifyMethod.BOX
    assert plate.scheme is None
    with pytest.raises(ConfigError, match="no localizer"):
        reader.read(crop)


def test_recognize_uses_the_localizer_on_a_loose_crop() -> None:
    plate = make_reader().recognize(scene())
    assert plate.box is not None and plate.box.to_xywh() == (200, 120, 128, 64)
    assert plate.rectification is RectifyMethod.PERSPECTIVE


def test_save_and_load_give_an_equal_reader(tmp_path: Path) -> None:
    reader = make_reader(min_confidence=0.3)
    directory = reader.save_pretrained(tmp_path / "weights")
    config = json.loads((directory / "jlpr.json").read_text(encoding="utf-8"))
    assert config["components"]["localizer"]["name"] == "test-threshold"
    loaded = PlateReader.from_pretrained(directory)
    assert loaded.min_confidence == 0.3
    assert [p.to_dict() for p in loaded.read(scene())] == [
        p.to_dict() for p in reader.read(scene())
    ]
    assert PlateReader.from_pretrained(directory, min_confidence=0.7).min_confidence == 0.7


def test_a_tampered_weights_file_is_refused(tmp_path: Path) -> None:
    directory = make_reader().save_pretrained(tmp_path / "weights")
    (directory / "classifiers" / "office" / "answers.json").write_text('[["品川", 1.0]]')
    with pytest.raises(WeightsIntegrityError, match="SHA-256"):
        PlateReader.from_pretrained(directory)


def test_missing_weights_fail_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(WeightsNotFoundError, match="does not exist"):
        PlateReader.from_pretrained(tmp_path / "nowhere")
    monkeypatch.setattr("jlpr.reader.bundled_weights_dir", lambda: tmp_path / "none")
    with pytest.raises(WeightsNotFoundError, match="no bundled default weights"):
        PlateReader.from_pretrained()


def test_components_that_cannot_be_saved_are_named(tmp_path: Path) -> None:
    class Unsaveable(MeanColourSchemeClassifier):
        registry_name = ""

    reader = make_reader().with_components(Unsaveable())
    with pytest.raises(ConfigError, match="Unsaveable"):
        reader.save_pretrained(tmp_path / "w")


def test_a_reader_needs_the_four_text_fields() -> None:
    with pytest.raises(ConfigError, match="designation"):
        PlateReader(ThresholdLocalizer(), PerspectiveRectifier(), [answer(Field.OFFICE, "品川")])
    office = answer(Field.OFFICE, "品川")
    with pytest.raises(ConfigError, match="two classifiers"):
        PlateReader(None, PerspectiveRectifier(), [office, office])
