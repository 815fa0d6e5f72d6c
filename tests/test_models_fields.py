"""The default field classifiers: valid calibrated readings, safe saving and loading, exact slot
decoding and temperature calibration (tiny random-weight models; no training here)."""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from jlpr import PlateReader, layout
from jlpr.errors import (
    ConfigError,
    InvalidPlateError,
    ModelError,
    UnsupportedImageError,
    WeightsIntegrityError,
)
from jlpr.interfaces import ImageArray
from jlpr.models import CnnFieldClassifier, FieldModelConfig, build_classifiers, save_classifiers
from jlpr.models.calibration import (
    expected_calibration_error,
    fit_sequence_temperature,
    fit_temperature,
    negative_log_likelihood,
)
from jlpr.models.fields import MODEL_FILE, crop_region, crop_regions, default_region
from jlpr.models.slots import (
    BLANK,
    CLASSIFICATION_LABELS,
    DESIGNATION_LABELS,
    DOT,
    best_valid_sequences,
    encode_classification,
    encode_designation,
    grammar_for,
    top_valid,
)
from jlpr.rectify import PerspectiveRectifier
from jlpr.registry import get
from jlpr.rules import (
    ColorScheme,
    format_designation,
    lookup_office,
    parse_designation,
    validate_classification,
    validate_kana,
)
from jlpr.types import Field

torch.set_num_threads(1)

VALIDATE: dict[Field, Callable[[str], str]] = {
    Field.OFFICE: lambda v: lookup_office(v).kanji,
    Field.CLASSIFICATION: validate_classification,
    Field.KANA: validate_kana,
    Field.DESIGNATION: lambda v: format_designation(parse_designation(v)),
    Field.SCHEME: lambda v: ColorScheme(v).value,
}


def random_classifiers(seed: int = 0) -> list[CnnFieldClassifier]:
    torch.manual_seed(seed)
    return [CnnFieldClassifier.create(field) for field in Field]


def crop(seed: int = 0, size: tuple[int, int] = (256, 128)) -> ImageArray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)


# -- readings -------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", list(Field))
def test_each_field_returns_valid_sorted_probabilities_best_first(field: Field) -> None:
    torch.manual_seed(1)
    classifier = CnnFieldClassifier.create(field)
    reading = classifier.classify(crop(1))
    assert reading.field is field
    alternatives = reading.alternatives
    assert 1 <= len(alternatives) <= classifier.config.top_k
    assert (reading.value, reading.confidence) == (
        alternatives[0].value,
        alternatives[0].confidence,
    )
    confidences = [a.confidence for a in alternatives]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0.0 <= c <= 1.0 for c in confidences)
    for alternative in alternatives:
        # Every alternative is already canonical: the rules accept it unchanged.
        assert VALIDATE[field](alternative.value) == alternative.value


def test_the_registry_knows_the_classifier_as_cnn_field() -> None:
    assert get("classifier", "cnn-field") is CnnFieldClassifier


def test_a_batch_reads_each_crop_as_alone() -> None:
    classifier = random_classifiers()[3]
    crops = [crop(2), crop(3, (300, 150)), crop(4, (180, 90))]
    together = classifier.classify_batch(crops)
    alone = [classifier.classify(c) for c in crops]
    for a, b in zip(together, alone, strict=True):
        assert a.value == b.value
        assert a.confidence == pytest.approx(b.confidence, rel=1e-4)
    assert classifier.classify_batch([]) == []


@pytest.mark.parametrize("field", list(Field))
def test_reading_a_crop_cuts_exactly_what_training_cuts_from_the_batch(field: Field) -> None:
    torch.manual_seed(2)
    classifier = CnnFieldClassifier.create(field)
    image = crop(5)
    batch = torch.from_numpy(image).permute(2, 0, 1)[None].float()
    with torch.inference_mode():
        expected = classifier.readings(classifier.net(classifier.prepare(batch)))[0]
    actual = classifier.classify(image)
    assert actual.value == expected.value
    assert actual.confidence == pytest.approx(expected.confidence, rel=1e-5)


LAYOUT_BOXES = {
    Field.OFFICE: [layout.office_box(n) for n in range(1, 5)],
    Field.CLASSIFICATION: [
        layout.classification_box(n, o) for n in range(1, 4) for o in range(1, 5)
    ],
    Field.KANA: [layout.kana_box()],
    Field.DESIGNATION: [layout.designation_box()],
}


@pytest.mark.parametrize("field", list(LAYOUT_BOXES))
def test_regions_hold_every_layout_box_of_their_field_with_room_to_spare(field: Field) -> None:
    x0, y0, x1, y1 = default_region(field)
    for bx0, by0, bx1, by1 in LAYOUT_BOXES[field]:
        # At least 3 % of the plate's width and height of room (or the plate's edge).
        assert x0 <= max(0.0, bx0 - 0.03) and x1 >= min(1.0, bx1 + 0.03)
        assert y0 <= max(0.0, by0 - 0.03) and y1 >= min(1.0, by1 + 0.03)


def test_the_scheme_is_read_from_the_whole_plate() -> None:
    assert default_region(Field.SCHEME) == (0.0, 0.0, 1.0, 1.0)


def test_images_that_are_not_uint8_rgb_are_refused() -> None:
    classifier = random_classifiers()[0]
    with pytest.raises(UnsupportedImageError, match="uint8"):
        classifier.classify(crop(0).astype(np.float32))
    with pytest.raises(UnsupportedImageError, match=r"\(H, W, 3\)"):
        classifier.classify(crop(0)[:, :, 0])


def test_an_unavailable_device_is_a_model_error() -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ModelError, match="CUDA"):
        CnnFieldClassifier.create(Field.KANA, device="cuda")


# -- config, saving and loading -------------------------------------------------------------------


@pytest.mark.parametrize("field", list(Field))
def test_config_round_trips_through_json(field: Field) -> None:
    config = FieldModelConfig.default(field)
    assert FieldModelConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


def test_a_malformed_config_says_what_is_wrong() -> None:
    data = FieldModelConfig.default(Field.KANA).to_dict()
    with pytest.raises(ConfigError, match="region"):
        FieldModelConfig.from_dict({**data, "region": [0.5, 0.0, 0.2, 1.0]})
    with pytest.raises(ConfigError, match="blocks"):
        FieldModelConfig.from_dict({**data, "blocks": [1]})
    with pytest.raises(ConfigError, match="malformed"):
        FieldModelConfig.from_dict({key: v for key, v in data.items() if key != "labels"})


def test_save_and_load_through_the_reader_give_identical_readings(tmp_path: Path) -> None:
    reader = PlateReader(None, PerspectiveRectifier(), random_classifiers(3))
    reader.save_pretrained(tmp_path / "reader")
    loaded = PlateReader.from_pretrained(tmp_path / "reader")
    for image in (crop(6), crop(7, (200, 150))):
        assert loaded.recognize(image).to_dict() == reader.recognize(image).to_dict()
    manifest = json.loads(
        (tmp_path / "reader" / "classifiers" / "kana" / "manifest.json").read_text("utf-8")
    )
    assert manifest["input_size"] == [48, 48] and len(manifest["labels"]) == 50
    assert set(manifest["sha256"]) == {MODEL_FILE}


def test_build_classifiers_loads_every_saved_field(tmp_path: Path) -> None:
    classifiers = random_classifiers(4)
    classifiers[2] = classifiers[2].with_temperature(1.7)
    classifiers[2].provenance = {"seed": 4}
    save_classifiers(classifiers, tmp_path)
    loaded = build_classifiers(tmp_path)
    assert [c.field for c in loaded] == list(Field)
    assert loaded[2].config.temperature == pytest.approx(1.7)
    assert loaded[2].provenance == {"seed": 4}
    assert loaded[3].classify(crop(8)) == classifiers[3].classify(crop(8))
    assert [c.field for c in build_classifiers(tmp_path, fields=["kana"])] == [Field.KANA]


class _Exploit:
    """Unpickling this would create ``path``: proof that code ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Callable[[str], None], tuple[str]]:
        return (os.mkdir, (str(self.path),))


def test_weights_that_would_run_code_are_refused_without_running_it(tmp_path: Path) -> None:
    classifier = random_classifiers()[2]
    directory = tmp_path / "kana"
    classifier.save_weights(directory)
    (directory / "manifest.json").unlink()
    marker = tmp_path / "pwned"
    torch.save({"features.0.0.weight": _Exploit(marker)}, directory / MODEL_FILE)
    with pytest.raises(ModelError, match="weights_only"):
        CnnFieldClassifier.from_config(classifier.get_config(), directory)
    assert not marker.exists()


def test_weights_that_do_not_match_their_manifest_are_refused(tmp_path: Path) -> None:
    classifier = random_classifiers()[2]
    classifier.save_weights(tmp_path)
    torch.save({"x": torch.zeros(1)}, tmp_path / MODEL_FILE)
    with pytest.raises(WeightsIntegrityError, match="SHA-256"):
        CnnFieldClassifier.from_config(classifier.get_config(), tmp_path)


def test_weights_of_another_net_are_a_model_error(tmp_path: Path) -> None:
    kana, scheme = random_classifiers()[2], random_classifiers()[4]
    scheme.save_weights(tmp_path)
    (tmp_path / "manifest.json").unlink()
    with pytest.raises(ModelError, match="does not fit"):
        CnnFieldClassifier.from_config(kana.get_config(), tmp_path)


# -- slot decoding --------------------------------------------------------------------------------


def peaked(labels: tuple[str, ...], symbols: list[str], peak: float = 0.9) -> np.ndarray:
    """Per-slot probabilities that put ``peak`` on ``symbols`` and spread the rest evenly."""
    probs = np.full((len(symbols), len(labels)), (1.0 - peak) / (len(labels) - 1))
    for slot, symbol in enumerate(symbols):
        probs[slot, labels.index(symbol)] = peak
    return probs


def designations(symbols: list[str], top_k: int = 5) -> list[str]:
    grammar = grammar_for(Field.DESIGNATION, DESIGNATION_LABELS)
    return [a.value for a in top_valid(peaked(DESIGNATION_LABELS, symbols), grammar, top_k)[0]]


def classifications(symbols: list[str]) -> list[str]:
    grammar = grammar_for(Field.CLASSIFICATION, CLASSIFICATION_LABELS)
    return [a.value for a in top_valid(peaked(CLASSIFICATION_LABELS, symbols), grammar)[0]]


def test_four_digits_are_formatted_with_the_hyphen() -> None:
    grammar = grammar_for(Field.DESIGNATION, DESIGNATION_LABELS)
    best = top_valid(peaked(DESIGNATION_LABELS, list("1234")), grammar)[0][0]
    assert best.value == "12-34"
    assert best.confidence == pytest.approx(0.9**4)


def test_dots_fill_only_the_leading_cells() -> None:
    assert designations([DOT, DOT, "1", "2"])[0] == "・・12"
    assert designations([DOT, DOT, DOT, "7"])[0] == "・・・7"
    for value in designations(["1", DOT, "2", "3"], top_k=50):
        assert DOT not in value.lstrip(DOT)


def test_a_designation_never_starts_with_zero() -> None:
    for value in designations(["0", "1", "2", "3"], top_k=50):
        assert not value.lstrip(DOT).startswith("0")


def test_classification_letters_never_come_first_and_blanks_only_pad_the_end() -> None:
    assert classifications(["3", "A", "0"])[0] == "3A0"
    assert classifications(["5", BLANK, BLANK])[0] == "5"
    assert all(v[0].isdigit() for v in classifications(["A", "3", "0"]))


def test_a_blank_between_characters_is_never_read() -> None:
    labels = CLASSIFICATION_LABELS
    probs = np.full((3, len(labels)), 1e-4)
    probs[0, labels.index("3")] = 0.9
    probs[1, labels.index(BLANK)], probs[1, labels.index("0")] = 0.6, 0.3
    probs[2, labels.index("0")], probs[2, labels.index(BLANK)] = 0.7, 0.2
    # The most probable row, "3 _ 0" (0.378), is no number; the valid ones follow in order.
    grammar = grammar_for(Field.CLASSIFICATION, labels)
    best = top_valid(probs, grammar, top_k=3)[0]
    assert [a.value for a in best] == ["300", "3", "30"]
    assert [a.confidence for a in best] == pytest.approx([0.189, 0.108, 0.054], rel=1e-2)


def test_slot_labels_round_trip() -> None:
    assert [CLASSIFICATION_LABELS[i] for i in encode_classification("3a")] == ["3", "A", BLANK]
    assert [DESIGNATION_LABELS[i] for i in encode_designation(12)] == [DOT, DOT, "1", "2"]
    assert [DESIGNATION_LABELS[i] for i in encode_designation(1234)] == list("1234")


def test_the_grammars_hold_exactly_the_valid_numbers() -> None:
    designation = grammar_for(Field.DESIGNATION, DESIGNATION_LABELS)
    assert sorted(parse_designation(t) for t in designation.texts) == list(range(1, 10000))
    classification = grammar_for(Field.CLASSIFICATION, CLASSIFICATION_LABELS)
    assert len(set(classification.texts)) == len(classification.texts) == 10 * (1 + 20 + 400)


def brute_force_best(field: Field, labels: tuple[str, ...], probs: np.ndarray) -> float:
    """The highest product of slot probabilities over every string the rules accept."""
    best = 0.0
    for indices in itertools.product(range(len(labels)), repeat=probs.shape[0]):
        symbols = [labels[i] for i in indices]
        try:
            if field is Field.DESIGNATION:
                text = "".join(symbols)
                if format_designation(parse_designation(text)).replace("-", "") != text:
                    continue
            else:
                used = "".join(symbols)
                if BLANK in symbols[: len(used)] or validate_classification(used) != used:
                    continue
        except InvalidPlateError:
            continue
        best = max(best, math.prod(probs[slot, i] for slot, i in enumerate(indices)))
    return best


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1), field=st.sampled_from([Field.DESIGNATION, Field.CLASSIFICATION])
)
def test_decoding_finds_the_most_probable_valid_string(seed: int, field: Field) -> None:
    labels = DESIGNATION_LABELS if field is Field.DESIGNATION else CLASSIFICATION_LABELS
    slots = 4 if field is Field.DESIGNATION else 3
    # Sharp random distributions, so that the best raw string is often invalid.
    probs = np.random.default_rng(seed).dirichlet(np.full(len(labels), 0.3), size=slots)
    alternatives = top_valid(probs, grammar_for(field, labels), top_k=3)[0]
    assert alternatives[0].confidence == pytest.approx(brute_force_best(field, labels, probs))
    assert [a.confidence for a in alternatives] == sorted(
        (a.confidence for a in alternatives), reverse=True
    )


def test_a_batch_decodes_each_item_as_alone() -> None:
    # Batches of three or more took another code path before (a BLAS product), so check that
    # every item of a batch gets the readings it gets alone.
    probs = np.random.default_rng(5).dirichlet(np.full(len(DESIGNATION_LABELS), 0.3), size=(6, 4))
    grammar = grammar_for(Field.DESIGNATION, DESIGNATION_LABELS)
    together = top_valid(probs, grammar, top_k=3)
    assert together == [top_valid(item, grammar, top_k=3)[0] for item in probs]
    assert best_valid_sequences(np.log(probs), grammar).tolist() == [
        list(grammar.sequences[grammar.texts.index(alts[0].value)]) for alts in together
    ]


# -- calibration ----------------------------------------------------------------------------------


def over_confident(samples: int = 4000, sharpen: float = 4.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Labels drawn from known probabilities, and logits that claim ``sharpen`` x more."""
    generator = torch.Generator().manual_seed(0)
    true_logits = torch.randn(samples, 10, generator=generator) * 1.5
    labels = torch.multinomial(torch.softmax(true_logits, -1), 1, generator=generator)[:, 0]
    return true_logits * sharpen, labels


def test_temperature_scaling_undoes_over_confidence() -> None:
    logits, labels = over_confident()
    temperature = fit_temperature(logits, labels)
    assert temperature == pytest.approx(4.0, rel=0.15)
    assert negative_log_likelihood(logits, labels, temperature) < negative_log_likelihood(
        logits, labels
    )

    def ece(t: float) -> float:
        probs = torch.softmax(logits / t, -1)
        confidence, choice = probs.max(-1)
        return expected_calibration_error(confidence.numpy(), (choice == labels).numpy())

    assert ece(temperature) < ece(1.0) / 3


def test_temperature_fits_slot_logits_too() -> None:
    logits, labels = over_confident(samples=3000)
    temperature = fit_temperature(logits.view(1000, 3, 10), labels.view(1000, 3))
    assert temperature == pytest.approx(4.0, rel=0.15)


def test_the_string_temperature_calibrates_the_confidence_of_whole_strings() -> None:
    logits, labels = over_confident(samples=4000)
    logits, labels = logits.view(1000, 4, 10), labels.view(1000, 4)
    chosen = logits.argmax(-1)
    correct = (chosen == labels).all(dim=1)

    def string_log_loss(t: float) -> float:
        log_p = torch.log_softmax(logits / t, -1).gather(-1, chosen[..., None]).sum(dim=(1, 2))
        p = log_p.exp().clamp(1e-9, 1 - 1e-9)
        hits = correct.double()
        return float(-(hits * p.log() + (1 - hits) * (1 - p).log()).mean())

    temperature = fit_sequence_temperature(logits, chosen, correct)
    assert temperature > 1.5  # the logits were 4x over-confident
    assert string_log_loss(temperature) < string_log_loss(1.0)
    assert string_log_loss(temperature) <= string_log_loss(fit_temperature(logits, labels)) + 1e-9


def test_ece_is_the_weighted_gap_between_confidence_and_accuracy() -> None:
    assert expected_calibration_error([0.8] * 10, [True] * 8 + [False] * 2) == pytest.approx(0.0)
    assert expected_calibration_error([1.0] * 4, [True, False] * 2) == pytest.approx(0.5)
    assert expected_calibration_error([0.0, 1.0], [False, True]) == pytest.approx(0.0)


@pytest.mark.parametrize("sampling", [0, 1, 2])
@pytest.mark.parametrize("size", [(112, 48), (48, 48), (64, 32)])
def test_reading_cuts_one_crop_as_training_cuts_a_batch(
    sampling: int, size: tuple[int, int]
) -> None:
    # Reading cuts with crop_region (no torchvision), training with crop_regions (roi_align):
    # the nets must see the same pixels. Boxes of every size, some reaching out of the image.
    generator = torch.Generator().manual_seed(sampling * 100 + size[0])
    for _ in range(20):
        height = int(torch.randint(8, 140, (1,), generator=generator))
        width = int(torch.randint(8, 300, (1,), generator=generator))
        images = torch.rand(5, 3, height, width, generator=generator) * 255.0
        x0 = torch.rand(5, generator=generator) * width * 0.6 - 3.0
        y0 = torch.rand(5, generator=generator) * height * 0.6 - 3.0
        box_w = torch.rand(5, generator=generator) * width * 0.8 + 1.0
        box_h = torch.rand(5, generator=generator) * height * 0.8 + 1.0
        boxes = torch.stack([x0, y0, x0 + box_w, y0 + box_h], dim=1)
        batch = crop_regions(images, boxes, size, sampling)
        for image, box, expected in zip(images, boxes.tolist(), batch, strict=True):
            alone = crop_region(image, (box[0], box[1], box[2], box[3]), size, sampling)
            assert alone.shape == (1, 3, size[1], size[0])
            # float rounding on a 0..255 scale
            torch.testing.assert_close(alone[0], expected, rtol=0.0, atol=0.05)


def test_reading_does_not_import_torchvision() -> None:
    # torchvision.ops imports torch._dynamo: about 1.3 s of every cold start of `jlpr read`.
    probe = textwrap.dedent(
        """
        import sys
        import numpy as np
        from jlpr import PlateReader
        reader = PlateReader.from_pretrained()
        reader.read(np.full((360, 640, 3), 128, dtype=np.uint8))
        reader.recognize(np.full((64, 128, 3), 200, dtype=np.uint8))
        print(sorted(m for m in ("torchvision", "torch._dynamo") if m in sys.modules))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
