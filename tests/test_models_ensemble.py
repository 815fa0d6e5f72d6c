"""MeanFieldClassifier: several nets of one field read as the mean of their probabilities."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from jlpr import PlateReader
from jlpr.errors import ConfigError, WeightsIntegrityError
from jlpr.interfaces import FieldClassifier, ImageArray
from jlpr.models import MeanFieldClassifier, mean_classifiers
from jlpr.models.calibration import fit_temperature
from jlpr.models.fields import MODEL_FILE
from jlpr.rectify import PerspectiveRectifier
from jlpr.registry import get
from jlpr.training import classifiers as training
from jlpr.training.data import ShardedDataset, label_columns
from jlpr.types import Field, FieldReading
from tests.test_models_fields import crop, random_classifiers
from tests.test_training_classifiers import NoiseSource

torch.set_num_threads(1)


def test_the_registry_knows_it_as_mean_field() -> None:
    assert get("classifier", "mean-field") is MeanFieldClassifier


@pytest.mark.parametrize("field", [Field.KANA, Field.DESIGNATION])
def test_it_decodes_the_mean_of_its_members_probabilities(field: Field) -> None:
    index = list(Field).index(field)
    a, b = random_classifiers(1)[index], random_classifiers(2)[index]
    crops = [crop(11), crop(12, (300, 150))]
    mean = (a.probabilities(crops) + b.probabilities(crops)) / 2
    expected = a.decode(mean)
    got = MeanFieldClassifier([a, b]).classify_batch(crops)
    assert [r.value for r in got] == [r.value for r in expected]
    assert [r.confidence for r in got] == pytest.approx([r.confidence for r in expected])
    # The members disagree somewhere, so the mean is neither member's own reading.
    assert not torch.allclose(a.probabilities(crops), b.probabilities(crops))


def test_members_that_agree_read_as_one() -> None:
    kana = random_classifiers(3)[2]
    twice = MeanFieldClassifier([kana, kana])
    for image in (crop(13), crop(14, (180, 90))):
        alone, mean = kana.classify(image), twice.classify(image)
        assert mean.value == alone.value
        assert mean.confidence == pytest.approx(alone.confidence, rel=1e-5)
    assert twice.classify_batch([]) == []


def test_members_must_be_two_or_more_cnn_classifiers_of_one_field() -> None:
    office, kana = random_classifiers(4)[0], random_classifiers(4)[2]
    with pytest.raises(ConfigError, match="two or more"):
        MeanFieldClassifier([kana])
    with pytest.raises(ConfigError, match="same field"):
        MeanFieldClassifier([kana, office])

    class Other(FieldClassifier):  # reads, but has no probabilities to average
        field = Field.KANA

        def classify(self, plate_image: ImageArray) -> FieldReading:
            return kana.classify(plate_image)

    with pytest.raises(ConfigError, match="must be CnnFieldClassifier"):
        MeanFieldClassifier([kana, Other()])


def test_a_reader_with_it_saves_and_loads_to_the_same_readings(tmp_path: Path) -> None:
    sets = [random_classifiers(5), random_classifiers(6), random_classifiers(7)]
    means = mean_classifiers(*sets)
    means[2] = means[2].with_temperature(0.8)
    reader = PlateReader(None, PerspectiveRectifier(), means)
    assert all(isinstance(c, MeanFieldClassifier) for c in reader.classifiers.values())
    reader.save_pretrained(tmp_path / "reader")
    loaded = PlateReader.from_pretrained(tmp_path / "reader")
    members = [c.members for c in loaded.classifiers.values() if isinstance(c, MeanFieldClassifier)]
    assert [len(m) for m in members] == [3] * len(Field)
    kana = loaded.classifiers[Field.KANA]
    assert isinstance(kana, MeanFieldClassifier) and kana.temperature == pytest.approx(0.8)
    for image in (crop(15), crop(16, (200, 150))):
        assert loaded.recognize(image).to_dict() == reader.recognize(image).to_dict()
    # Each member's file is checked against the hash recorded when the reader was saved.
    member = tmp_path / "reader" / "classifiers" / "kana" / "member1" / MODEL_FILE
    torch.save({"x": torch.zeros(1)}, member)
    with pytest.raises(WeightsIntegrityError, match="SHA-256"):
        PlateReader.from_pretrained(tmp_path / "reader")


def test_mean_classifiers_pairs_the_fields_every_set_has() -> None:
    full, partial = random_classifiers(8), random_classifiers(9)[:4]  # no scheme net
    means = mean_classifiers(full, partial)
    assert [m.field for m in means] == list(Field)[:4]
    with pytest.raises(ConfigError, match="two or more"):
        mean_classifiers(full)


def test_a_temperature_sharpens_or_softens_the_mean_before_decoding() -> None:
    a, b = random_classifiers(20)[2], random_classifiers(21)[2]
    images = [crop(18), crop(19)]
    mean = (a.probabilities(images) + b.probabilities(images)) / 2
    sharp = MeanFieldClassifier([a, b], temperature=0.5)
    expected = a.decode(torch.softmax(torch.log(mean) / 0.5, dim=-1))
    got = sharp.classify_batch(images)
    assert [r.confidence for r in got] == pytest.approx([r.confidence for r in expected])
    plain = MeanFieldClassifier([a, b]).classify_batch(images)
    assert all(s.confidence > p.confidence for s, p in zip(got, plain, strict=True))
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ConfigError, match="temperature"):
            MeanFieldClassifier([a, b], temperature=bad)


def test_calibrating_copies_of_one_net_calibrates_that_net(tmp_path: Path) -> None:
    data = ShardedDataset.build(
        tmp_path, NoiseSource(), split="val", seed=3, samples=40, shard_size=20
    )
    office = random_classifiers(10)[0]
    assert office.config.temperature == 1.0
    (calibrated,), metrics = training.calibrate_mean([MeanFieldClassifier([office, office])], data)
    # What training fits for the net itself: the temperature of its logits on the first half.
    logits, rows = training._predict({Field.OFFICE: office}, data, 64, torch.device("cpu"))
    labels = rows[:, label_columns(Field.OFFICE)]
    labelled = (labels >= 0).all(axis=1)
    targets = torch.from_numpy(labels[labelled].astype(np.int64))
    half = len(targets) // 2
    office_logits = logits[Field.OFFICE][torch.from_numpy(labelled)]
    expected = fit_temperature(office_logits[:half], targets[:half])
    assert calibrated.temperature == pytest.approx(expected, rel=1e-4)
    assert calibrated.temperature != pytest.approx(1.0, abs=1e-3)
    image = crop(17)
    alone = office.with_temperature(expected).classify(image)
    assert calibrated.classify(image).confidence == pytest.approx(alone.confidence, rel=1e-4)
    assert {"accuracy", "ece_before", "ece_after"} <= set(metrics["office"])
