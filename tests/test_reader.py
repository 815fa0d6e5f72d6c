"""PlateReader composed end to end from small user-written components (no models)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

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
from jlpr.image import ImageInput
from jlpr.interfaces import FieldClassifier, ImageArray, Localizer
from jlpr.rectify import PerspectiveRectifier
from jlpr.types import Alternative, Box, FieldReading, PlateRegion, Quad
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
    sources: dict[str, ImageInput] = {
        "array": array,
        "path": path,
        "str": str(path),
        "bytes": buffer.getvalue(),
        "pil": Image.fromarray(array),
    }
    texts = {kind: [p.text for p in reader.read(source)] for kind, source in sources.items()}
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


class MarkedKanaClassifier(FieldClassifier):
    """Reads せ surely only when the crop's left third is darker than its right third: the
    plate of :func:`marked_scene` is upright in the crop."""

    field = Field.KANA

    def classify(self, plate_image: ImageArray) -> FieldReading:
        third = plate_image.shape[1] // 3
        upright = plate_image[:, :third].mean() + 20 < plate_image[:, -third:].mean()
        confidence = 0.95 if upright else 0.2
        return FieldReading(Field.KANA, "せ", confidence, (Alternative("せ", confidence),))


def marked_scene() -> ImageArray:
    """:func:`scene` with a dark mark in the left third of its plate, the plate's own left."""
    image = scene()
    image[130:174, 205:240] = 30
    return image


def marked_reader(**settings: Any) -> PlateReader:
    return make_reader(**settings).with_components(MarkedKanaClassifier())


@pytest.mark.parametrize("quarter_turns", [1, 2, 3])
def test_a_turned_plate_is_read_upright_and_placed_in_the_image_as_given(
    quarter_turns: int,
) -> None:
    turned = np.ascontiguousarray(np.rot90(marked_scene(), quarter_turns))
    # As it is, the plate is read the wrong way round: the kana net is unsure.
    (plate,) = marked_reader(min_confidence=0.0).read(turned)
    assert plate.readings[Field.KANA].confidence == 0.2
    (plate,) = marked_reader(rotations=(0, 90, 180, 270)).read(turned)
    assert plate.readings[Field.KANA].confidence == 0.95
    # The plate's corners, TL first, where np.rot90 took them: (x, y) -> (y, W - x) per turn.
    corners = np.array([(200, 120), (328, 120), (328, 184), (200, 184)], dtype=float)
    width, height = 640, 360
    for _ in range(quarter_turns):
        corners = np.stack([corners[:, 1], width - corners[:, 0]], axis=1)
        width, height = height, width
    assert plate.corners is not None
    np.testing.assert_allclose(plate.corners.points, corners)
    assert plate.box == Quad.from_points(corners).to_box()
    # recognize() reads the crop in every turn too and keeps the surest reading.
    marked = marked_reader(rotations=(0, 90, 180, 270))
    assert marked.recognize(turned).readings[Field.KANA].confidence == 0.95
    assert marked_reader().recognize(turned).readings[Field.KANA].confidence == 0.2


def test_one_plate_found_in_several_turns_is_reported_once() -> None:
    reader = marked_reader(rotations=(0, 90, 180, 270), min_confidence=0.0)
    plates = reader.read(marked_scene())
    assert len(plates) == 1
    assert plates[0].readings[Field.KANA].confidence == 0.95
    assert plates[0].box == Box(200.0, 120.0, 328.0, 184.0)
    # Two plates stay two.
    two = marked_scene()
    two[250:314, 400:528] = (240, 195, 10)
    both = reader.with_components(ColumnRunLocalizer()).read(two)
    assert sorted(p.box.x1 for p in both if p.box is not None) == [200.0, 400.0]


class ColumnRunLocalizer(Localizer):
    """Finds each run of columns holding plate-yellow pixels (plates side by side)."""

    def locate(self, image: ImageArray) -> list[PlateRegion]:
        mask = np.abs(image.astype(int) - (240, 195, 10)).max(axis=2) < 5
        columns = np.flatnonzero(mask.any(axis=0))
        found = []
        for run in np.split(columns, np.flatnonzero(np.diff(columns) > 1) + 1):
            if len(run):
                ys = np.flatnonzero(mask[:, run].any(axis=1))
                box = Box(float(run[0]), float(ys[0]), float(run[-1] + 1), float(ys[-1] + 1))
                found.append(PlateRegion(box=box, score=0.9, corners=Quad.from_box(box)))
        return found


@pytest.mark.parametrize("rotations", [(), (45,), (0, 0), "0", (True,), (0, 360)])
def test_rotations_must_be_distinct_quarter_turns(rotations: Any) -> None:
    with pytest.raises(ConfigError, match="rotations"):
        make_reader(rotations=rotations)


def test_rotations_are_saved_with_the_reader(tmp_path: Path) -> None:
    directory = make_reader(rotations=(0, 90, 270)).save_pretrained(tmp_path / "weights")
    assert PlateReader.from_pretrained(directory).rotations == (0, 90, 270)
    assert PlateReader.from_pretrained(directory, rotations=[0]).rotations == (0,)
    assert make_reader().with_components(rotations=(180,)).rotations == (180,)
    assert make_reader().rotations == (0,)
