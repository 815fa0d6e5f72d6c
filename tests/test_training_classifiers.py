"""Training the field classifiers: cached deterministic data, a smoke run that writes loadable
weights, exact resumption, and the ``jlpr train classifiers`` command."""

from __future__ import annotations

import io
import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from jlpr import PlateReader
from jlpr.cli import main
from jlpr.errors import ConfigError
from jlpr.interfaces import ImageArray
from jlpr.models import FieldModelConfig, build_classifiers
from jlpr.models.fields import CnnFieldClassifier
from jlpr.rectify import PerspectiveRectifier
from jlpr.synth.sampling import random_plate
from jlpr.training import classifiers as training
from jlpr.training.classifiers import TrainConfig, train_classifiers
from jlpr.training.data import (
    IGNORED,
    LABEL_WIDTH,
    UNLABELLED,
    FolderSource,
    MixedSource,
    ShardedDataset,
    SynthSource,
    encode_plate,
    label_columns,
)
from jlpr.types import Box, Field, Plate, PlateRegion

torch.set_num_threads(1)


class NoiseSource:
    """Random plates on random pixels: fast, deterministic, no fonts needed. With ``hide``,
    that share of the plates leave their kana unlabelled (``None``)."""

    def __init__(self, hide: float = 0.0) -> None:
        self.hide = hide

    def __call__(self, rng: np.random.Generator) -> tuple[ImageArray, Plate]:
        plate = random_plate(rng)
        image = rng.integers(0, 256, (128, 256, 3), dtype=np.uint8)
        if self.hide and rng.random() < self.hide:
            plate = replace(plate, kana=None)
        return image, plate

    def describe(self) -> dict[str, Any]:
        return {"generator": "tests.NoiseSource"}


def config(tmp_path: Path, **changes: Any) -> TrainConfig:
    options: dict[str, Any] = {
        "out": tmp_path / "out",
        "samples": 48,
        "val_samples": 16,
        "epochs": 1,
        "field_epochs": {},
        "batch_size": 16,
        "shard_size": 20,
        "workers": 1,
        "device": "cpu",
        "cache": tmp_path / "cache",
        "erase": {},
    }
    options.update(changes)
    return TrainConfig(**options)


# -- data -----------------------------------------------------------------------------------------


def test_labels_hold_each_field_in_its_own_columns() -> None:
    plate = Plate.parse("品川 3A0 さ ・・12", scheme="private")
    row = encode_plate(plate)
    assert row.shape == (LABEL_WIDTH,) == (10,)
    assert row[label_columns(Field.CLASSIFICATION)].tolist() == [3, 10, 0]
    assert row[label_columns(Field.DESIGNATION)].tolist() == [10, 10, 1, 2]
    assert [label_columns(f).stop - label_columns(f).start for f in Field] == [1, 3, 1, 4, 1]
    # A scheme the source does not know is ignored, not guessed at.
    unknown = encode_plate(Plate.parse("品川 330 さ 12-34"))
    assert unknown[label_columns(Field.SCHEME)].tolist() == [IGNORED]


def test_a_field_the_crop_does_not_show_is_unlabelled_in_all_its_columns() -> None:
    plate = Plate.parse("品川 3A0 さ ・・12", scheme="private")
    hidden = encode_plate(replace(plate, classification=None, designation=None))
    full = encode_plate(plate)
    for field_ in (Field.CLASSIFICATION, Field.DESIGNATION):
        assert (hidden[label_columns(field_)] == UNLABELLED).all()
    for field_ in (Field.OFFICE, Field.KANA, Field.SCHEME):
        assert hidden[label_columns(field_)].tolist() == full[label_columns(field_)].tolist()
    assert (full != UNLABELLED).all()


def test_an_unlabelled_slot_is_trained_towards_the_uniform_output() -> None:
    logits = torch.randn(5, 4, 11, generator=torch.Generator().manual_seed(0))
    targets = torch.randint(0, 11, (5, 4), generator=torch.Generator().manual_seed(1))
    # Fully labelled: the plain cross-entropy, bit for bit (runs without hidden fields are
    # trained exactly as before).
    plain = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
    assert torch.equal(training.field_loss(logits, targets), plain)
    # An unlabelled sample costs log(classes) at the uniform output and more when peaked.
    unlabelled = torch.full((1, 4), UNLABELLED)
    assert float(training.field_loss(torch.zeros(1, 4, 11), unlabelled)) == pytest.approx(
        math.log(11)
    )
    peaked = torch.zeros(1, 4, 11)
    peaked[..., 3] = 5.0
    assert float(training.field_loss(peaked, unlabelled)) > math.log(11) + 1
    # Mixed: the mean over the slots, each with its own target.
    mixed = targets.clone()
    mixed[2] = UNLABELLED
    per_slot = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), reduction="none")
    per_slot = per_slot.view(5, 4)
    per_slot[2] = -F.log_softmax(logits[2], dim=-1).mean(dim=-1)
    torch.testing.assert_close(training.field_loss(logits, mixed), per_slot.mean())
    # An ignored slot does not count, whatever the net says there.
    ignored = targets.clone()
    ignored[1] = IGNORED
    torch.testing.assert_close(
        training.field_loss(logits, ignored),
        F.cross_entropy(
            torch.cat([logits[:1], logits[2:]]).flatten(0, 1),
            torch.cat([targets[:1], targets[2:]]).flatten(),
        ),
    )


def test_shuffled_batches_visit_every_sample_once_across_shards(tmp_path: Path) -> None:
    data = ShardedDataset.build(
        tmp_path, NoiseSource(), split="train", seed=3, samples=50, shard_size=20
    )

    def identities(batches: Any) -> list[bytes]:
        return sorted(image[:4, :4].tobytes() for images, _ in batches for image in images)

    shuffled = list(data.batches(16, np.random.default_rng(0)))
    assert [len(labels) for _, labels in shuffled] == [16, 16, 16, 2]
    assert identities(shuffled) == identities(data.batches(16))
    assert len(set(identities(shuffled))) == 50


def test_a_split_in_memory_gives_the_same_batches_without_reading_the_disk(
    tmp_path: Path,
) -> None:
    data = ShardedDataset.build(
        tmp_path, NoiseSource(), split="train", seed=3, samples=50, shard_size=20
    )
    from_disk = list(data.batches(16, np.random.default_rng(0)))
    held = data.in_memory()
    assert held.nbytes == 50 * (128 * 256 * 3 + LABEL_WIDTH * 2)
    for path in tmp_path.rglob("*.npy"):
        path.unlink()  # from now on only the arrays in memory exist
    from_memory = list(held.batches(16, np.random.default_rng(0)))
    assert [len(labels) for _, labels in from_memory] == [16, 16, 16, 2]
    for (images, labels), (held_images, held_labels) in zip(from_disk, from_memory, strict=True):
        np.testing.assert_array_equal(images, held_images)
        np.testing.assert_array_equal(labels, held_labels)
    with pytest.raises(FileNotFoundError):
        list(data.batches(16, np.random.default_rng(0)))


def test_shards_are_the_same_whatever_the_number_of_workers(tmp_path: Path) -> None:
    one = ShardedDataset.build(
        tmp_path / "a", NoiseSource(), split="val", seed=5, samples=24, shard_size=8
    )
    two = ShardedDataset.build(
        tmp_path / "b", NoiseSource(), split="val", seed=5, samples=24, shard_size=8, workers=2
    )
    for index in range(3):
        for a, b in zip(one.load_shard(index), two.load_shard(index), strict=True):
            np.testing.assert_array_equal(a, b)


def test_splits_and_seeds_never_share_samples(tmp_path: Path) -> None:
    def first_images(split: str, seed: int) -> ImageArray:
        data = ShardedDataset.build(
            tmp_path, NoiseSource(), split=split, seed=seed, samples=4, shard_size=4
        )
        return data.load_shard(0)[0]

    train, val, other = first_images("train", 0), first_images("val", 0), first_images("train", 1)
    assert not np.array_equal(train, val)
    assert not np.array_equal(train, other)


def test_a_cached_split_opens_whole_and_a_broken_one_is_refused(tmp_path: Path) -> None:
    built = ShardedDataset.build(
        tmp_path, NoiseSource(), split="val", seed=3, samples=50, shard_size=20
    )
    opened = ShardedDataset.open(built.directory)
    assert (len(opened), opened.shard_size, opened.shards) == (50, 20, 3)
    for (a_images, a_labels), (b_images, b_labels) in zip(
        built.batches(16), opened.batches(16), strict=True
    ):
        assert np.array_equal(a_images, b_images) and np.array_equal(a_labels, b_labels)
    with pytest.raises(ConfigError, match="no labels"):
        ShardedDataset.open(tmp_path / "empty")
    (built.directory / "images-00001.npy").unlink()
    with pytest.raises(ConfigError, match="shard 00001"):
        ShardedDataset.open(built.directory)


def test_a_larger_run_reuses_the_shards_of_a_smaller_one(tmp_path: Path) -> None:
    def build(samples: int) -> ShardedDataset:
        return ShardedDataset.build(
            tmp_path, NoiseSource(), split="train", seed=0, samples=samples, shard_size=20
        )

    small = build(30)
    first = small.directory / "images-00000.npy"
    stamp = first.stat().st_mtime_ns
    partial = small.load_shard(1)[0]
    large = build(50)
    assert large.directory == small.directory
    assert first.stat().st_mtime_ns == stamp
    grown = large.load_shard(1)[0]
    assert len(partial) == 10 and len(grown) == 20
    np.testing.assert_array_equal(grown[:10], partial)
    assert len(build(30).load_shard(1)[0]) == 10


class DrawsNothing(NoiseSource):
    """Describes itself as :class:`NoiseSource` (so it names the same cache) but fails if a
    crop is asked of it: a run with it proves the crops came from the cache."""

    def __call__(self, rng: np.random.Generator) -> tuple[ImageArray, Plate]:
        raise AssertionError("a crop was drawn again")


def test_data_only_draws_the_crops_that_a_later_run_trains_from(tmp_path: Path) -> None:
    run = config(tmp_path)
    train, val = training.prepare_data(run, NoiseSource(), io.StringIO())
    assert (len(train), len(val)) == (48, 16)
    assert train.directory.parent == val.directory.parent == tmp_path / "cache"
    assert not (run.out / training.CHECKPOINT_FILE).exists()
    # A run with other fields and training options but the same data recipe draws nothing.
    kana = config(tmp_path, fields=(Field.KANA,), lr=1e-3)
    metrics = train_classifiers(kana, DrawsNothing(), io.StringIO())
    assert list(metrics["fields"]) == ["kana"]
    with pytest.raises(AssertionError, match="drawn again"):
        training.prepare_data(config(tmp_path, seed=1), DrawsNothing(), io.StringIO())


# -- training -------------------------------------------------------------------------------------


def test_a_smoke_run_writes_loadable_calibrated_classifiers(tmp_path: Path) -> None:
    log = io.StringIO()
    metrics = train_classifiers(config(tmp_path), NoiseSource(), log=log)
    out = tmp_path / "out"
    classifiers = build_classifiers(out)
    assert [c.field for c in classifiers] == list(Field)
    reader = PlateReader(None, PerspectiveRectifier(), classifiers)
    plate = reader.recognize(np.zeros((128, 256, 3), dtype=np.uint8))
    assert set(plate.readings) == set(Field)

    saved = json.loads((out / "metrics.json").read_text("utf-8"))
    assert saved["fields"] == metrics["fields"]
    for field_metrics in saved["fields"].values():
        assert {
            "accuracy",
            "temperature",
            "ece_before",
            "ece_after",
            "nll_before",
            "nll_after",
        } <= set(field_metrics)
    manifest = json.loads((out / "kana" / "manifest.json").read_text("utf-8"))
    assert manifest["provenance"]["command"].startswith("jlpr train classifiers --out")
    assert manifest["provenance"]["seed"] == 0
    assert manifest["temperature"] == pytest.approx(saved["fields"]["kana"]["temperature"])
    assert "epoch 1/1 loss" in log.getvalue() and "val accuracy: office" in log.getvalue()

    checkpoint = torch.load(out / "checkpoint.pt", weights_only=True)
    assert checkpoint["epoch"] == 0 and set(checkpoint["models"]) == {f.value for f in Field}


def test_a_run_with_unlabelled_fields_measures_the_labelled_ones_and_the_guesses(
    tmp_path: Path,
) -> None:
    run = config(tmp_path, samples=64, val_samples=64, fields=(Field.KANA, Field.SCHEME))
    metrics = train_classifiers(run, NoiseSource(hide=0.5), log=io.StringIO())
    kana = metrics["fields"]["kana"]
    # About half the measured half of the validation crops hide their kana.
    assert 8 <= kana["unlabelled"] <= 24
    assert 0.0 <= kana["unlabelled_read"] <= 1.0
    assert math.isfinite(kana["accuracy"]) and math.isfinite(kana["ece_after"])
    assert "unlabelled" not in metrics["fields"]["scheme"]
    history = metrics["history"][0]
    assert math.isfinite(history["val_accuracy_kana"]) and math.isfinite(history["loss_kana"])


def test_a_run_can_start_from_saved_classifiers(tmp_path: Path) -> None:
    fields = (Field.KANA, Field.SCHEME)
    first = config(tmp_path / "a", fields=fields)
    train_classifiers(first, NoiseSource(), log=io.StringIO())
    # At a learning rate too small to move them, the fine-tuned weights are the saved ones
    # (the batch-norm statistics still follow the data), and not those of a fresh start.
    tuned = config(tmp_path / "b", fields=fields, init=first.out, lr=1e-9)
    metrics = train_classifiers(tuned, NoiseSource(), log=io.StringIO())
    fresh = config(tmp_path / "c", fields=fields, lr=1e-9)
    train_classifiers(fresh, NoiseSource(), log=io.StringIO())
    saved, after = build_classifiers(first.out), build_classifiers(tuned.out)
    other = build_classifiers(fresh.out)
    for a, b, c in zip(saved, after, other, strict=True):
        for (name, p), q, r in zip(
            a.net.named_parameters(), b.net.parameters(), c.net.parameters(), strict=True
        ):
            torch.testing.assert_close(q, p, rtol=0, atol=1e-5, msg=name)
            assert not torch.allclose(r, p, atol=1e-5), name
    assert f"--init {first.out}" in metrics["command"]
    assert metrics["recipe"]["init"] == str(first.out)
    # A saved reader's classifiers serve as well (e.g. the bundled ones).
    others = [CnnFieldClassifier.create(f) for f in Field if f not in fields]
    reader = PlateReader(None, PerspectiveRectifier(), [*build_classifiers(tuned.out), *others])
    folder = reader.save_pretrained(tmp_path / "reader")
    again = config(tmp_path / "e", fields=fields, init=folder, lr=1e-9)
    train_classifiers(again, NoiseSource(), log=io.StringIO())
    for a, b in zip(build_classifiers(tuned.out), build_classifiers(again.out), strict=True):
        for (name, p), q in zip(a.net.named_parameters(), b.net.parameters(), strict=True):
            torch.testing.assert_close(q, p, rtol=0, atol=1e-5, msg=name)
    expected = "no saved classifier of office, classification, designation"
    with pytest.raises(ConfigError, match=expected):
        config(tmp_path / "d", init=first.out)


def _weights(out: Path) -> dict[Field, dict[str, torch.Tensor]]:
    return {c.field: c.net.state_dict() for c in build_classifiers(out)}


def _assert_same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=0, msg=name)


def test_a_field_trains_its_own_epochs_under_its_own_schedule(tmp_path: Path) -> None:
    fields = (Field.KANA, Field.SCHEME)
    log = io.StringIO()
    longer = config(tmp_path, out=tmp_path / "longer", fields=fields, field_epochs={"kana": 2})
    assert longer.total_epochs == 2 and longer.epochs_of(Field.SCHEME) == 1
    metrics = train_classifiers(longer, NoiseSource(), log=log)
    train_classifiers(config(tmp_path, out=tmp_path / "one", fields=fields), NoiseSource())

    # The scheme net stopped after its one epoch, with the weights of a one-epoch run (its
    # schedule ends there); the kana net went on.
    one, two = _weights(tmp_path / "one"), _weights(tmp_path / "longer")
    _assert_same(one[Field.SCHEME], two[Field.SCHEME])
    assert not torch.equal(one[Field.KANA]["head.weight"], two[Field.KANA]["head.weight"])
    (last_epoch,) = [line for line in log.getvalue().splitlines() if line.startswith("epoch 2/2")]
    assert "val accuracy: kana" in last_epoch and "scheme" not in last_epoch
    assert set(metrics["history"][1]) == {"epoch", "seconds", "loss_kana", "val_accuracy_kana"}
    assert metrics["recipe"]["epochs"] == {"kana": 2, "scheme": 1}
    assert " --epochs 1,kana=2 " in metrics["command"]


def test_a_resumed_run_ends_with_the_weights_of_an_uninterrupted_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The designation net finishes in the first epoch, the kana net trains two: the run is
    # interrupted between them.
    fields = (Field.KANA, Field.DESIGNATION)
    options: dict[str, Any] = {"fields": fields, "field_epochs": {Field.KANA: 2}}
    straight = config(tmp_path, out=tmp_path / "straight", **options)
    train_classifiers(straight, NoiseSource(), log=io.StringIO())

    original = training._save_checkpoint

    def save_then_crash(*args: Any) -> None:
        original(*args)
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "_save_checkpoint", save_then_crash)
    interrupted = config(tmp_path, out=tmp_path / "resumed", **options)
    with pytest.raises(KeyboardInterrupt):
        train_classifiers(interrupted, NoiseSource(), log=io.StringIO())
    monkeypatch.setattr(training, "_save_checkpoint", original)
    log = io.StringIO()
    resumed = train_classifiers(
        config(tmp_path, out=tmp_path / "resumed", resume=True, **options),
        NoiseSource(),
        log=log,
    )
    assert "resuming after epoch 1 of 2" in log.getvalue()

    expected, got = _weights(tmp_path / "straight"), _weights(tmp_path / "resumed")
    assert expected.keys() == got.keys() == set(fields)
    for field_ in fields:
        _assert_same(expected[field_], got[field_])
    straight_metrics = json.loads((tmp_path / "straight" / "metrics.json").read_text("utf-8"))
    assert resumed["fields"] == straight_metrics["fields"]


def test_an_existing_run_is_not_overwritten_without_resume(tmp_path: Path) -> None:
    fields = (Field.SCHEME,)
    train_classifiers(config(tmp_path, fields=fields), NoiseSource(), log=io.StringIO())
    with pytest.raises(ConfigError, match="--resume"):
        train_classifiers(config(tmp_path, fields=fields), NoiseSource(), log=io.StringIO())
    with pytest.raises(ConfigError, match="epochs"):
        train_classifiers(
            config(tmp_path, fields=fields, epochs=3, resume=True), NoiseSource(), log=io.StringIO()
        )


def test_bad_options_are_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="val_samples"):
        config(tmp_path, val_samples=1)
    with pytest.raises(ConfigError, match="fields"):
        config(tmp_path, fields=(Field.KANA, Field.KANA))
    with pytest.raises(ConfigError, match="plate_width"):
        config(tmp_path, plate_width=(0.0, 100.0))
    with pytest.raises(ConfigError, match="plate_width"):
        config(tmp_path, plate_width=(200.0, 100.0))
    with pytest.raises(ConfigError, match="plate_width"):
        config(tmp_path, plate_width=(40.0, float("inf")))
    with pytest.raises(ConfigError, match="'colour', not a field"):
        config(tmp_path, field_epochs={"colour": 3})
    with pytest.raises(ConfigError, match="epochs of kana"):
        config(tmp_path, field_epochs={"kana": 0})
    for share in (-0.1, 1.5):
        with pytest.raises(ConfigError, match="stroke_jitter"):
            config(tmp_path, stroke_jitter=share)
        with pytest.raises(ConfigError, match="vertical_blur"):
            config(tmp_path, vertical_blur=share)
        with pytest.raises(ConfigError, match="desaturate"):
            config(tmp_path, desaturate=share)
        with pytest.raises(ConfigError, match="random_filter share of kana"):
            config(tmp_path, random_filter={"kana": share})
    with pytest.raises(ConfigError, match="'colour', not a field"):
        config(tmp_path, random_filter={"colour": 0.5})
    with pytest.raises(ConfigError, match="random_filter: only the text nets"):
        config(tmp_path, random_filter={"scheme": 0.5})
    for angle in (-1.0, 46.0):
        with pytest.raises(ConfigError, match=r"rotate angle of kana must be in \[0, 45\]"):
            config(tmp_path, rotate={"kana": angle})
    with pytest.raises(ConfigError, match="rotate: only the text nets"):
        config(tmp_path, rotate={"scheme": 10.0})
    with pytest.raises(ConfigError, match=r"erase share of office must be in \[0, 1\]"):
        config(tmp_path, erase={"office": 1.5})
    with pytest.raises(ConfigError, match="hidden must be one of"):
        config(tmp_path, hidden="guessed")


def _stroke_image() -> torch.Tensor:
    """Four crops: a 3 px dark bar on light ground, RGB 0..255 like the training batches."""
    images = torch.full((4, 3, 16, 24), 220.0)
    images[:, :, :, 10:13] = 30.0
    return images


def _ink(images: torch.Tensor) -> torch.Tensor:
    """Ink per crop: how much darker than the ground it is, summed."""
    return (220.0 - images).clamp(min=0).sum(dim=(1, 2, 3))


def test_stroke_jitter_grows_and_thins_the_ink_of_its_share_of_crops() -> None:
    images = _stroke_image()
    ink = _ink(images)
    # Share 0 changes nothing and draws nothing (older runs repeat exactly).
    rng = np.random.default_rng(0)
    assert torch.equal(training._augment_stroke(images, 0.0, rng), images)
    assert rng.random() == np.random.default_rng(0).random()
    # Share 1: every crop is changed, some grown and some thinned, by at most one pixel a side.
    seen_grown = seen_thinned = False
    for seed in range(8):
        out = training._augment_stroke(images, 1.0, np.random.default_rng(seed))
        ratio = _ink(out) / ink
        assert bool(((ratio > 1.0001) | (ratio < 0.9999)).all())
        assert bool((ratio <= 5 / 3 + 1e-4).all()) and bool((ratio >= 1 / 3 - 1e-4).all())
        seen_grown |= bool((ratio > 1.0001).any())
        seen_thinned |= bool((ratio < 0.9999).any())
        assert float(out.min()) >= 30.0 and float(out.max()) <= 220.0
    assert seen_grown and seen_thinned
    # A share draws that share of the crops, in expectation.
    many = _stroke_image().repeat(100, 1, 1, 1)
    out = training._augment_stroke(many, 0.5, np.random.default_rng(3))
    assert 0.35 < float((_ink(out) != ink[0]).float().mean()) < 0.65


def test_stroke_weight_blends_each_image_with_its_3x3_minimum_or_maximum() -> None:
    images = torch.rand(4, 3, 9, 13, generator=torch.Generator().manual_seed(0)) * 255
    minimum = -torch.nn.functional.max_pool2d(-images, 3, stride=1, padding=1)
    maximum = torch.nn.functional.max_pool2d(images, 3, stride=1, padding=1)
    out = training.stroke_weight(images, torch.tensor([1.0, -1.0, 0.0, 0.25]))
    torch.testing.assert_close(out[0], minimum[0])
    torch.testing.assert_close(out[1], maximum[1])
    assert torch.equal(out[2], images[2])
    torch.testing.assert_close(out[3], images[3] + 0.25 * (minimum[3] - images[3]))


def _bars() -> torch.Tensor:
    """Two crops, each a 2 px horizontal bar and a 2 px vertical bar, dark on light ground."""
    images = torch.full((2, 3, 32, 32), 220.0)
    images[:, :, 8:10, 2:14] = 30.0
    images[:, :, 6:26, 20:22] = 30.0
    return images


def test_vertical_blur_lightens_horizontal_strokes_and_keeps_vertical_edges() -> None:
    images = _bars()
    out = training.vertical_blur(images, torch.tensor([2.0, 0.0]))
    assert torch.equal(out[1], images[1])  # sigma 0: untouched
    # The horizontal bar loses most of its depth and spreads up and down ...
    assert float(out[0, 0, 8:10, 8].min()) > 30.0 + 0.5 * (220.0 - 30.0)
    assert float(out[0, 0, 5, 8]) < 215.0
    # ... the vertical bar keeps its full depth in the middle and its sharp left/right edges,
    assert float(out[0, 0, 16, 20]) == pytest.approx(30.0, abs=0.01)
    assert float(out[0, 0, 16, 19]) == pytest.approx(220.0, abs=0.01)
    # and no ink is made or lost away from the edges (kernels sum to one).
    torch.testing.assert_close(out[0].sum(), images[0].sum(), rtol=1e-5, atol=0.0)
    # The same as a per-image convolution with a normalised Gaussian, 3 sigma wide.
    offsets = torch.arange(-6, 7, dtype=torch.float32)
    kernel = torch.exp(-0.5 * (offsets / 2.0) ** 2)
    kernel = (kernel / kernel.sum()).view(1, 1, -1, 1).repeat(3, 1, 1, 1)
    padded = torch.nn.functional.pad(images[:1], (0, 0, 6, 6), mode="replicate")
    reference = torch.nn.functional.conv2d(padded, kernel, groups=3)
    torch.testing.assert_close(out[:1], reference)


def test_vertical_blur_share_draws_its_share_and_zero_draws_nothing() -> None:
    images = _bars()
    rng = np.random.default_rng(0)
    assert torch.equal(training._augment_vertical_blur(images, 0.0, rng), images)
    assert rng.random() == np.random.default_rng(0).random()
    many = _bars().repeat(50, 1, 1, 1)
    out = training._augment_vertical_blur(many, 0.5, np.random.default_rng(2))
    changed = (out != many).flatten(1).any(dim=1).float().mean()
    assert 0.35 < float(changed) < 0.65
    everything = training._augment_vertical_blur(many, 1.0, np.random.default_rng(2))
    # (a sigma drawn near 0 leaves a crop as it is)
    assert float((everything != many).flatten(1).any(dim=1).float().mean()) > 0.9


def test_desaturate_pulls_colours_to_their_grey_and_keeps_the_grey() -> None:
    kei_yellow = torch.tensor([250.0, 210.0, 20.0]).view(1, 3, 1, 1).repeat(3, 1, 4, 4)
    out = training.desaturate(kei_yellow, torch.tensor([0.0, 0.5, 1.0]))
    assert torch.equal(out[0], kei_yellow[0])
    grey = 0.299 * 250.0 + 0.587 * 210.0 + 0.114 * 20.0
    torch.testing.assert_close(out[2], torch.full((3, 4, 4), grey))
    torch.testing.assert_close(out[1], (kei_yellow[1] + out[2]) / 2)
    already_grey = torch.full((1, 3, 4, 4), 90.0)
    torch.testing.assert_close(training.desaturate(already_grey, torch.tensor([1.0])), already_grey)


def test_rotate_turns_counter_clockwise_about_the_centre_in_pixel_units() -> None:
    # A dot right of the centre of a wide image goes above the centre, as far in pixels.
    image = torch.zeros(1, 1, 21, 41)
    image[0, 0, 10, 28] = 255.0
    turned = training.rotate(image, torch.tensor([90.0]))
    y, x = divmod(int(turned[0, 0].argmax()), 41)
    assert (y, x) == (2, 20)
    # Zero degrees gives the image back; a batch turns each image by its own angle.
    images = torch.rand(2, 3, 12, 20) * 255.0
    torch.testing.assert_close(training.rotate(images, torch.zeros(2)), images, atol=1e-3, rtol=0)
    both = training.rotate(images, torch.tensor([0.0, 30.0]))
    torch.testing.assert_close(both[0], images[0], atol=1e-3, rtol=0)
    torch.testing.assert_close(both[1:], training.rotate(images[1:], torch.tensor([30.0])))


def test_erase_paints_the_box_in_the_image_mean_and_leaves_the_rest() -> None:
    images = torch.rand(2, 3, 10, 16) * 255.0
    out = training.erase(images, torch.tensor([[2.0, 3.0, 6.0, 5.0], [0.0, 0.0, 16.0, 1.0]]))
    means = images.mean(dim=(2, 3))
    torch.testing.assert_close(out[0, :, 3:5, 2:6], means[0, :, None, None].expand(3, 2, 4))
    torch.testing.assert_close(out[1, :, 0, :], means[1, :, None].expand(3, 16))
    painted = torch.zeros(2, 10, 16, dtype=torch.bool)
    painted[0, 3:5, 2:6] = True
    painted[1, 0, :] = True
    assert torch.equal(
        out.permute(1, 0, 2, 3)[:, ~painted], images.permute(1, 0, 2, 3)[:, ~painted]
    )
    # Each box of the augmentation covers 4-20 % of the input (up to rounding to pixels).
    inputs = torch.rand(200, 3, 48, 48) * 255.0
    erased = training._augment_erase(inputs, 1.0, np.random.default_rng(0))
    covered = (erased != inputs).any(dim=1).flatten(1).float().mean(dim=1)
    assert float(covered.min()) >= 0.035 and float(covered.max()) <= 0.215


def test_only_the_named_nets_see_their_inputs_turned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    turned: list[tuple[int, float]] = []
    original = training.rotate

    def spy(images: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
        turned.append((images.shape[-1], float(degrees.abs().max())))
        return original(images, degrees)

    monkeypatch.setattr(training, "rotate", spy)
    fields = (Field.OFFICE, Field.KANA, Field.SCHEME)
    run = config(tmp_path, fields=fields, rotate={"kana": 12})
    assert run.recipe()["rotate"] == {"kana": 12.0}
    assert "--rotate kana=12" in run.command()
    train_classifiers(run, NoiseSource())
    kana_width = FieldModelConfig.default(Field.KANA).input_size[0]
    assert turned and {width for width, _ in turned} == {kana_width}
    assert max(angle for _, angle in turned) <= 12.0
    assert "rotate" not in config(tmp_path).recipe()


@pytest.mark.parametrize(
    "augment", ["_augment_desaturate", "_augment_random_filter", "_augment_erase"]
)
def test_an_augmentation_draws_its_share_and_zero_draws_nothing(augment: str) -> None:
    function = getattr(training, augment)
    images = torch.rand(200, 3, 8, 8) * 255.0
    rng = np.random.default_rng(0)
    assert torch.equal(function(images, 0.0, rng), images)
    assert rng.random() == np.random.default_rng(0).random()
    out = function(images, 0.5, np.random.default_rng(2))
    changed = (out != images).flatten(1).any(dim=1).float().mean()
    assert 0.35 < float(changed) < 0.65


def test_the_scheme_net_sees_the_colours_and_the_text_nets_the_desaturated_crops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[Field, list[torch.Tensor]] = {}
    original = CnnFieldClassifier.prepare

    def spy(self: CnnFieldClassifier, images: torch.Tensor, regions: Any = None) -> torch.Tensor:
        if self.net.training:
            seen.setdefault(self.field, []).append(images)
        return original(self, images, regions)

    monkeypatch.setattr(CnnFieldClassifier, "prepare", spy)
    fields = (Field.KANA, Field.SCHEME)
    train_classifiers(config(tmp_path, fields=fields, desaturate=1.0), NoiseSource())
    for kana, scheme in zip(seen[Field.KANA], seen[Field.SCHEME], strict=True):
        assert _colour_spread(scheme) > 10.0  # random colours
        assert _colour_spread(kana) < _colour_spread(scheme) * 0.9


def test_random_filter_keeps_an_image_under_the_identity_and_blends_by_its_mix() -> None:
    images = torch.rand(3, 3, 12, 20) * 255.0
    identity = torch.eye(3).view(1, 3, 3, 1, 1).repeat(3, 1, 1, 1, 1)
    mix = torch.tensor([0.0, 0.5, 1.0])
    torch.testing.assert_close(
        training.random_filter(images, identity, mix), images, atol=0.05, rtol=0
    )
    # A box blur: the filtered image has the original's mean and spread, but its edges soften.
    bar = _stroke_image()[:2]
    box = torch.zeros(2, 3, 3, 3, 3)
    for c in range(3):
        box[:, c, c] = 1.0 / 9.0
    blurred = training.random_filter(bar, box, torch.zeros(2))
    torch.testing.assert_close(blurred.mean(dim=(1, 2, 3)), bar.mean(dim=(1, 2, 3)))
    torch.testing.assert_close(
        blurred.std(dim=(1, 2, 3)), bar.std(dim=(1, 2, 3)), rtol=1e-4, atol=0
    )
    assert not torch.isin(blurred[0, 0, 8, 9:14].round(), torch.tensor([30.0, 220.0])).all()
    torch.testing.assert_close(training.random_filter(bar, box, torch.ones(2)), bar)


def test_only_the_named_nets_see_their_inputs_through_random_filters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    filtered: list[int] = []
    original = training.random_filter

    def spy(images: torch.Tensor, kernels: torch.Tensor, mix: torch.Tensor) -> torch.Tensor:
        filtered.append(images.shape[-1])
        return original(images, kernels, mix)

    monkeypatch.setattr(training, "random_filter", spy)
    fields = (Field.OFFICE, Field.KANA, Field.SCHEME)
    run = config(tmp_path, fields=fields, random_filter={"kana": 1.0})
    assert run.recipe()["random_filter"] == {"kana": 1.0}
    assert "--random-filter kana=1" in run.command()
    train_classifiers(run, NoiseSource())
    kana_width = FieldModelConfig.default(Field.KANA).input_size[0]
    assert filtered and set(filtered) == {kana_width}
    unused = config(tmp_path, random_filter={"kana": 0.0})
    assert "--random-filter" not in unused.command()
    assert "random_filter" not in unused.recipe()  # runs from before the option still resume


@pytest.mark.parametrize(
    "option",
    [{"random_filter": {"kana": 1.0}}, {"rotate": {"kana": 15.0}}, {"erase": {"kana": 1.0}}],
)
def test_an_augmentation_of_one_net_leaves_the_other_nets_as_they_were(
    tmp_path: Path, option: dict[str, Any]
) -> None:
    fields = (Field.OFFICE, Field.KANA)
    plain = config(tmp_path / "a", fields=fields)
    filtered = config(tmp_path / "b", fields=fields, **option)
    train_classifiers(plain, NoiseSource())
    train_classifiers(filtered, NoiseSource())
    before, after = (
        {c.field: c.net.state_dict() for c in build_classifiers(run.out)}
        for run in (plain, filtered)
    )
    for name, value in before[Field.OFFICE].items():
        assert torch.equal(value, after[Field.OFFICE][name]), name
    assert any(not torch.equal(v, after[Field.KANA][k]) for k, v in before[Field.KANA].items())


def _colour_spread(images: torch.Tensor) -> float:
    """Mean difference between a pixel's largest and smallest channel (0 for grey)."""
    return float((images.amax(dim=1) - images.amin(dim=1)).mean())


def test_a_plate_width_range_reaches_the_generator_and_names_its_own_cache() -> None:
    from jlpr.synth.fonts import find_japanese_fonts, font_names

    if not find_japanese_fonts():
        pytest.skip("the synthetic plates need the Japanese fonts of the 'train' extra")

    def detail(source: SynthSource) -> float:
        """Mean absolute horizontal gradient of the rectified crops: small plates are blurry."""
        rng = np.random.default_rng(4)
        crops = [source(rng)[0].astype(np.float32).mean(axis=2) for _ in range(6)]
        return float(np.mean([np.abs(np.diff(crop, axis=1)).mean() for crop in crops]))

    small, large = SynthSource(0.0, (40.0, 40.0)), SynthSource(0.0, (320.0, 320.0))
    assert detail(small) < 0.8 * detail(large)
    # The generator's own range (50-600 px) draws exactly what the default source draws.
    rng_a, rng_b = np.random.default_rng(9), np.random.default_rng(9)
    default_image, default_plate = SynthSource(0.0)(rng_a)
    same_image, same_plate = SynthSource(0.0, (50.0, 600.0))(rng_b)
    np.testing.assert_array_equal(default_image, same_image)
    assert default_plate == same_plate
    # The default recipe keeps naming the cache it always named; a range is part of the name.
    assert "plate_width" not in SynthSource().describe()
    assert small.describe()["plate_width"] == [40.0, 40.0]
    # The fonts drawn with are part of the recipe, so other fonts name another cache.
    assert SynthSource().describe()["fonts"] == font_names()


def _labelled_folder(root: Path, rows: list[str]) -> Path:
    """A folder in the evaluation schema: a 90x180 plate crop and a 300x400 frame of noise
    (the labels are what matters here), and the given labels.csv rows."""
    rng = np.random.default_rng(0)
    (root / "crops").mkdir(parents=True)
    (root / "frames").mkdir()
    Image.fromarray(rng.integers(0, 256, (90, 180, 3), dtype=np.uint8)).save(root / "crops/a.png")
    Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)).save(root / "frames/f.png")
    header = "file,office,classification,kana,number,color,box_xywh,notes"
    (root / "labels.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return root


def test_a_folder_source_cuts_each_labelled_plate_as_the_reader_does(tmp_path: Path) -> None:
    folder = _labelled_folder(
        tmp_path / "mine",
        [
            "crops/a.png,品川,330,さ,12-34,white,,scheme=private",
            "frames/f.png,なにわ,500,,・・12,yellow,100 80 120 60,",  # kana hidden, no scheme
            "frames/f.png,横浜,300,あ,1,white,,",  # no box in a frame: left out
        ],
    )
    source = FolderSource((folder,))
    assert [(p.name, box) for p, box, _ in source.items] == [
        ("a.png", None),
        ("f.png", Box(100.0, 80.0, 220.0, 140.0)),
    ]
    crop_label, frame_label = (plate for _, _, plate in source.items)
    assert crop_label == Plate.parse("品川 330 さ 12-34", scheme="private")
    frame_row = encode_plate(frame_label)
    assert frame_row[label_columns(Field.KANA)].tolist() == [UNLABELLED]
    assert frame_row[label_columns(Field.SCHEME)].tolist() == [IGNORED]

    # A crop is taken whole and rectified as recognize() does it, by the bundled rectifier.
    rectifier = PlateReader.from_pretrained().rectifier
    crop = np.asarray(Image.open(folder / "crops/a.png"))
    whole = PlateRegion(box=Box(0.0, 0.0, 180.0, 90.0), score=1.0)
    drawn: dict[str | None, list[ImageArray]] = {}
    for seed in range(12):
        image, plate = source(np.random.default_rng(seed))
        assert image.shape == (128, 256, 3) and image.dtype == np.uint8
        drawn.setdefault(plate.kana, []).append(image)
    assert set(drawn) == {"さ", None}  # both plates drawn
    for image in drawn["さ"]:
        np.testing.assert_array_equal(image, rectifier.rectify(crop, whole).image)
    # A frame's plate is cut from its box, moved a little each time.
    assert not all(np.array_equal(drawn[None][0], other) for other in drawn[None][1:])

    # The recipe names the content: other labels name another cache.
    described = source.describe()
    assert described["plates"] == 2 and described["rectifier"] == "bundled"
    (folder / "labels.csv").write_text(
        "file,office,classification,kana,number,color,box_xywh,notes\n"
        "crops/a.png,品川,330,さ,12-35,white,,scheme=private\n",
        encoding="utf-8",
    )
    assert FolderSource((folder,)).describe()["content_sha256"] != described["content_sha256"]


def test_a_folder_label_jlpr_cannot_train_on_is_refused_with_its_file(tmp_path: Path) -> None:
    folder = _labelled_folder(tmp_path / "bad", ["crops/a.png,東京,330,さ,12-34,white,,"])
    with pytest.raises(ConfigError, match=r"crops/a.png: cannot train on this label.*東京"):
        FolderSource((folder,))
    missing = _labelled_folder(tmp_path / "missing", ["crops/b.png,品川,330,さ,1,white,,"])
    with pytest.raises(ConfigError, match=r"crops/b\.png: no such image"):
        FolderSource((missing,))
    empty = _labelled_folder(tmp_path / "empty", ["frames/f.png,品川,330,さ,1,white,,"])
    with pytest.raises(ConfigError, match="no labelled plates to train on"):
        FolderSource((empty,))


def test_a_mixed_source_draws_from_each_source_by_its_share() -> None:
    class Fixed:
        def __init__(self, value: int) -> None:
            self.value = value

        def __call__(self, rng: np.random.Generator) -> tuple[ImageArray, Plate]:
            image = np.full((128, 256, 3), self.value, dtype=np.uint8)
            return image, Plate.parse("品川 330 さ 12-34", scheme="private")

        def describe(self) -> dict[str, Any]:
            return {"value": self.value}

    mixed = MixedSource((Fixed(1), Fixed(2)), (0.75, 0.25))
    rng = np.random.default_rng(0)
    values = [int(mixed(rng)[0][0, 0, 0]) for _ in range(400)]
    assert 0.65 < values.count(1) / 400 < 0.85
    only_first = MixedSource((Fixed(1), Fixed(2)), (1.0, 0.0))
    assert {int(only_first(rng)[0][0, 0, 0]) for _ in range(20)} == {1}
    assert mixed.describe()["sources"][1] == {"share": 0.25, "source": {"value": 2}}
    with pytest.raises(ValueError, match="one share per source"):
        MixedSource((Fixed(1),), (0.5, 0.5))


def test_a_run_on_a_labelled_folder_mixes_it_in_and_validates_on_synthetic_crops(
    tmp_path: Path,
) -> None:
    _need_fonts()
    folder = _labelled_folder(
        tmp_path / "mine", ["crops/a.png,品川,330,さ,12-34,white,,scheme=private"]
    )
    run = config(tmp_path, samples=32, val_samples=16, fields=(Field.KANA,), data=(folder,))
    metrics = train_classifiers(run, log=io.StringIO())
    data = metrics["data"]
    assert data["source"]["generator"] == "jlpr.training.data.MixedSource"
    shares = [part["share"] for part in data["source"]["sources"]]
    assert shares == [0.5, 0.5]
    assert data["val_source"]["generator"] == "jlpr.synth.scenes.make_plate_sample"
    assert f"--data {folder} --data-share 0.5" in metrics["command"]
    assert metrics["recipe"]["data"] == [str(folder)]
    with pytest.raises(ConfigError, match=r"holds no labels\.csv"):
        config(tmp_path, data=(tmp_path,))
    with pytest.raises(ConfigError, match="data_share"):
        config(tmp_path, data=(folder,), data_share=0.0)


def test_hidden_fields_are_left_unlabelled_only_when_asked() -> None:
    from jlpr.synth.fonts import find_japanese_fonts

    if not find_japanese_fonts():
        pytest.skip("the synthetic plates need the Japanese fonts of the 'train' extra")
    drawn, unlabelled = SynthSource(), SynthSource(unlabel_hidden=True)
    hidden_seen = 0
    for seed in range(400):  # about 2 % of the crops have a field an occluder hides
        image, plate = drawn(np.random.default_rng(seed))
        same_image, same_plate = unlabelled(np.random.default_rng(seed))
        np.testing.assert_array_equal(image, same_image)  # the same crop, only the label
        assert plate.is_complete
        if same_plate == plate:
            continue
        hidden_seen += 1
        missing = [f for f in Field if getattr(same_plate, f.value) is None]
        assert missing
        cleared: dict[str, Any] = {f.value: None for f in missing}
        assert same_plate == replace(plate, **cleared)
        if hidden_seen == 2:
            break
    assert hidden_seen == 2
    # The default recipe keeps naming the cache it always named.
    assert "hidden_fields" not in drawn.describe()
    assert unlabelled.describe()["hidden_fields"] == "unlabelled"


def test_kana_fonts_are_part_of_the_recipe_only_when_chosen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jlpr.synth import fonts as font_search

    fonts = font_search.find_japanese_fonts()
    if not fonts:
        pytest.skip("the synthetic plates need the Japanese fonts of the 'train' extra")
    monkeypatch.setenv(font_search.KANA_FONTS_ENV, "")
    # Unset, the default recipe keeps naming the cache (and command) it always named.
    assert "kana_fonts" not in SynthSource().describe()
    assert "--kana-fonts" not in config(tmp_path).command()
    monkeypatch.setenv(font_search.KANA_FONTS_ENV, fonts[-1].name)
    assert SynthSource().describe()["kana_fonts"] == [fonts[-1].name]
    assert f"--kana-fonts '{fonts[-1].name}'" in config(tmp_path).command()
    run = TrainConfig(Path("out"), plate_width=(60.0, 300.0))
    assert "--plate-width 60,300" in run.command()
    assert run.recipe()["plate_width"] == [60.0, 300.0]
    jittered = TrainConfig(Path("out"), stroke_jitter=0.5)
    assert "--stroke-jitter 0.5" in jittered.command()
    assert jittered.recipe()["stroke_jitter"] == 0.5
    blurred = TrainConfig(Path("out"), vertical_blur=0.25)
    assert "--vertical-blur 0.25" in blurred.command()
    assert blurred.recipe()["vertical_blur"] == 0.25
    # The default stays out of the recipe (runs before the option resume as they were).
    assert "hidden" not in TrainConfig(Path("out")).recipe()
    assert "--hidden drawn" in TrainConfig(Path("out")).command()
    unreadable = TrainConfig(Path("out"), hidden="unreadable")
    assert "--hidden unreadable" in unreadable.command()
    assert unreadable.recipe()["hidden"] == "unreadable"


# -- command line ---------------------------------------------------------------------------------


def test_train_help_lists_the_models(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--help"]) == 0
    out = capsys.readouterr().out
    assert "classifiers" in out and "localizer" in out
    assert main(["train", "classifiers", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--out", "--seed", "--samples", "--epochs", "--device", "--resume", "--fields"):
        assert option in out


def test_unknown_fields_are_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["train", "classifiers", "--out", str(tmp_path), "--fields", "kana,colour"]) == 2
    assert "colour" in capsys.readouterr().err
    assert main(["train", "classifiers", "--out", str(tmp_path), "--plate-width", "300"]) == 2
    assert "LO,HI" in capsys.readouterr().err
    assert main(["train", "classifiers", "--out", str(tmp_path), "--stroke-jitter", "2"]) == 2
    assert "from 0 to 1" in capsys.readouterr().err
    assert main(["train", "classifiers", "--out", str(tmp_path), "--vertical-blur", "-1"]) == 2
    assert "from 0 to 1" in capsys.readouterr().err
    assert main(["train", "classifiers", "--out", str(tmp_path), "--desaturate", "1.5"]) == 2
    for bad in ("kana", "kana=2", "colour=0.5"):
        assert main(["train", "classifiers", "--out", str(tmp_path), "--random-filter", bad]) == 2
    assert "from 0 to 1" in capsys.readouterr().err
    assert main(["train", "classifiers", "--out", str(tmp_path), "--erase", "kana=2"]) == 2
    assert "FIELD=P" in capsys.readouterr().err
    for bad in ("kana=50", "kana=-5", "kana=steep"):
        assert main(["train", "classifiers", "--out", str(tmp_path), "--rotate", bad]) == 2
        assert "FIELD=DEG" in capsys.readouterr().err
    assert main(["train", "classifiers", "--out", str(tmp_path), "--hidden", "guess"]) == 2
    assert "invalid choice: 'guess'" in capsys.readouterr().err
    assert main(["train", "classifiers", "--out", str(tmp_path), "--init", str(tmp_path)]) == 1
    assert "holds no saved classifier of office" in capsys.readouterr().err
    # 'bundled' names the weights shipped with jlpr (checked, then refused for the data).
    argv = ["train", "classifiers", "--out", str(tmp_path), "--init", "bundled"]
    assert main([*argv, "--data", str(tmp_path)]) == 1
    assert "holds no labels.csv" in capsys.readouterr().err
    assert main(["train", "classifiers", "--out", str(tmp_path), "--data", str(tmp_path)]) == 1
    assert "holds no labels.csv" in capsys.readouterr().err
    assert main(["train", "classifiers", "--out", str(tmp_path), "--data-share", "2"]) == 2
    for bad in ("0", "10,offce=3", "10,kana", "10,kana=0", "ten"):
        assert main(["train", "classifiers", "--out", str(tmp_path), "--epochs", bad]) == 2
        assert "N,FIELD=N" in capsys.readouterr().err


def _need_fonts() -> None:
    from jlpr.synth.fonts import find_japanese_fonts

    if not find_japanese_fonts():
        pytest.skip("the synthetic plates need the Japanese fonts of the 'train' extra")


def test_the_command_trains_on_synthetic_plates_and_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _need_fonts()
    out = tmp_path / "run"
    argv = ["train", "classifiers", "--out", str(out), "--samples", "64", "--val-samples", "32"]
    argv += ["--epochs", "1,kana=2", "--workers", "1", "--device", "cpu", "--seed", "1"]
    assert main(argv) == 0
    assert "classifiers written to" in capsys.readouterr().out
    assert len(build_classifiers(out)) == 5
    # Resuming a finished run re-exports it from the checkpoint and the cached data.
    assert main([*argv, "--resume"]) == 0
    assert "resuming after epoch 2 of 2" in capsys.readouterr().err


def test_the_command_with_data_only_draws_and_trains_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _need_fonts()
    out = tmp_path / "run"
    argv = ["train", "classifiers", "--out", str(out), "--samples", "24", "--val-samples", "8"]
    assert main([*argv, "--workers", "1", "--data-only"]) == 0
    assert "24 training and 8 validation crops" in capsys.readouterr().out
    assert sorted(p.name.split("-")[0] for p in (out / "cache").iterdir()) == ["train", "val"]
    assert not (out / "metrics.json").exists() and not (out / "checkpoint.pt").exists()


def test_the_parallel_script_trains_each_net_in_its_own_process(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    _need_fonts()
    script = Path(__file__).resolve().parents[1] / "tools" / "train_fields_parallel.sh"
    out = tmp_path / "par"
    env = {**os.environ, "FIELDS": "kana scheme", "THREADS": "1"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    argv = ["bash", str(script), str(out), "--samples", "24", "--val-samples", "8"]
    argv += ["--epochs", "1", "--batch-size", "8", "--workers", "1", "--device", "cpu"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    loaded = build_classifiers(out / "fields")
    assert sorted(c.field.value for c in loaded) == ["kana", "scheme"]
    for field_ in ("kana", "scheme"):
        metrics = json.loads((out / "runs" / field_ / "metrics.json").read_text("utf-8"))
        assert list(metrics["fields"]) == [field_]
    # One set of crops, drawn once, for both nets.
    assert [p.name.split("-")[0] for p in (out / "cache").iterdir()].count("train") == 1
    # A usage error names the usage.
    usage = subprocess.run(["bash", str(script)], capture_output=True, text=True)
    assert usage.returncode == 2 and "OUT" in usage.stderr
