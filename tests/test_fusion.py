"""Batch norms folded for inference: same outputs, and never a stale copy of a changed net."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch
from torch import nn

from jlpr.models import CnnFieldClassifier
from jlpr.models._fusion import InferenceCopy, fold_batch_norms
from jlpr.models.fields import FieldModelConfig, FieldNet
from jlpr.models.refiner import CornerNet, RefiningRectifier
from jlpr.types import Field, PlateRegion, Quad


def _randomise_statistics(net: nn.Module, seed: int) -> nn.Module:
    """Non-trivial batch-norm statistics and affine terms, as a trained net has."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, nn.BatchNorm2d):
                size = module.num_features
                assert module.running_mean is not None and module.running_var is not None
                module.running_mean.copy_(torch.randn(size, generator=generator))
                module.running_var.copy_(torch.rand(size, generator=generator) + 0.5)
                module.weight.copy_(torch.randn(size, generator=generator))
                module.bias.copy_(torch.randn(size, generator=generator))
    return net.eval()


def _count(net: nn.Module, kind: type[nn.Module]) -> int:
    return sum(isinstance(module, kind) for module in net.modules())


@pytest.mark.parametrize("field", [Field.OFFICE, Field.DESIGNATION, Field.SCHEME])
def test_a_folded_field_net_computes_what_the_net_computes(field: Field) -> None:
    torch.manual_seed(0)
    config = FieldModelConfig.default(field)
    net = _randomise_statistics(FieldNet(config), seed=1)
    folded = fold_batch_norms(net)
    inputs = torch.randn(3, 3, config.input_size[1], config.input_size[0])
    with torch.inference_mode():
        expected, actual = net(inputs), folded(inputs)
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-4)
    assert _count(folded, nn.BatchNorm2d) == 0
    assert _count(net, nn.BatchNorm2d) > 0  # the trainable net keeps its batch norms


def test_a_folded_corner_net_computes_what_the_net_computes() -> None:
    torch.manual_seed(0)
    net = _randomise_statistics(CornerNet((128, 64), (24, 32, 48, 64, 96)), seed=2)
    folded = fold_batch_norms(net)
    inputs = torch.randn(2, 3, 64, 128)
    with torch.inference_mode():
        torch.testing.assert_close(folded(inputs), net(inputs), rtol=1e-4, atol=1e-4)
    assert _count(folded, nn.BatchNorm2d) == 0


def test_only_a_batch_norm_right_after_a_convolution_is_folded() -> None:
    net = nn.Sequential(
        nn.Conv2d(3, 4, 3, bias=False), nn.ReLU(), nn.BatchNorm2d(4), nn.Conv2d(4, 4, 1)
    )
    _randomise_statistics(net, seed=3)
    folded = fold_batch_norms(net)
    assert isinstance(folded, nn.Sequential)
    assert isinstance(folded[0], nn.Conv2d) and folded[0].bias is None  # nothing folded into it
    assert isinstance(folded[2], nn.BatchNorm2d)  # a ReLU stands between it and the conv
    inputs = torch.randn(1, 3, 8, 8)
    with torch.inference_mode():
        torch.testing.assert_close(folded(inputs), net(inputs))


def test_the_copy_is_the_net_itself_while_training() -> None:
    net = FieldNet(FieldModelConfig.default(Field.KANA)).train()
    assert InferenceCopy().of(net) is net


def test_the_copy_is_made_once_and_again_after_the_net_changes_in_place() -> None:
    torch.manual_seed(0)
    config = FieldModelConfig.default(Field.KANA)
    net = _randomise_statistics(FieldNet(config), seed=4)
    copies = InferenceCopy()
    first = copies.of(net)
    assert copies.of(net) is first
    inputs = torch.randn(2, 3, config.input_size[1], config.input_size[0])

    # An optimiser step changes the parameters in place.
    net.train()
    optimiser = torch.optim.SGD(net.parameters(), lr=0.1)
    net(inputs).square().mean().backward()
    optimiser.step()
    net.eval()
    after_step = copies.of(net)
    assert after_step is not first
    with torch.inference_mode():
        torch.testing.assert_close(after_step(inputs), net(inputs), rtol=1e-4, atol=1e-4)

    # So do loaded weights, and batch-norm statistics alone.
    other = _randomise_statistics(FieldNet(config), seed=5)
    net.load_state_dict(other.state_dict())
    loaded = copies.of(net)
    assert loaded is not after_step
    norm = next(m for m in net.modules() if isinstance(m, nn.BatchNorm2d))
    assert norm.running_mean is not None
    with torch.no_grad():
        norm.running_mean.add_(1.0)
    restated = copies.of(net)
    assert restated is not loaded
    with torch.inference_mode():
        torch.testing.assert_close(restated(inputs), net(inputs), rtol=1e-4, atol=1e-4)

    # And another net object.
    assert copies.of(other) is not restated


def test_a_classifier_reads_with_the_weights_it_has_now() -> None:
    torch.manual_seed(0)
    classifier = CnnFieldClassifier.create(Field.DESIGNATION)
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(128, 256, 3), dtype=np.uint8)
    before = classifier.classify(image)
    # Weights changed after the classifier has read once, as fine-tuning does.
    _randomise_statistics(classifier.net, seed=6)
    with torch.no_grad():
        classifier.net.head.bias.add_(torch.randn(classifier.net.head.bias.shape) * 5.0)
    batch = torch.from_numpy(image).permute(2, 0, 1)[None].float()
    with torch.inference_mode():
        expected = classifier.readings(classifier.net(classifier.prepare(batch)))[0]
    after = classifier.classify(image)
    assert after.value == expected.value
    assert after.confidence == pytest.approx(expected.confidence, rel=1e-4)
    assert (after.value, after.confidence) != (before.value, before.confidence)


def test_the_refiner_refines_with_the_weights_it_has_now() -> None:
    torch.manual_seed(0)
    refiner = RefiningRectifier()
    image = np.full((200, 320, 3), 90, dtype=np.uint8)
    start = Quad.from_points([(100.0, 60.0), (228.0, 60.0), (228.0, 124.0), (100.0, 124.0)])
    refiner.rectify(image, PlateRegion(box=start.to_box(), score=1.0, corners=start))
    last = refiner.net.head[-1]
    assert isinstance(last, nn.Linear)
    with torch.no_grad():  # the net now always answers the window's inner half
        last.weight.zero_()
        last.bias.copy_(torch.tensor([-0.25, -0.25, 0.25, -0.25, 0.25, 0.25, -0.25, 0.25]))
    refined = refiner.refine(image, start)
    assert refined is not None
    # Two passes, each halving the quad's size around its centre (window = quad grown 25 %
    # each side, inner half of it = 0.75x the quad).
    width = refined.points[1][0] - refined.points[0][0]
    assert width == pytest.approx(128.0 * 0.75 * 0.75, rel=1e-3)


def test_nets_made_in_inference_mode_are_run_as_they_are() -> None:
    # Inference tensors keep no version counter, so no copy could follow their changes.
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, size=(128, 256, 3), dtype=np.uint8)
    with torch.inference_mode():
        torch.manual_seed(0)
        classifier = CnnFieldClassifier.create(Field.KANA)
        inside = classifier.classify(image)
        refiner = RefiningRectifier()
        start = Quad.from_points([(60.0, 30.0), (196.0, 30.0), (196.0, 98.0), (60.0, 98.0)])
        refined_inside = refiner.refine(image, start)
    assert InferenceCopy().of(classifier.net) is classifier.net
    outside = classifier.classify(image)
    assert (outside.value, outside.confidence) == (inside.value, inside.confidence)
    assert refiner.refine(image, start) == refined_inside


def test_a_classifier_that_has_read_still_copies_and_pickles() -> None:
    torch.manual_seed(0)
    classifier = CnnFieldClassifier.create(Field.OFFICE)
    image = np.random.default_rng(2).integers(0, 256, size=(128, 256, 3), dtype=np.uint8)
    first = classifier.classify(image)  # the inference copy exists now
    for twin in (copy.deepcopy(classifier), pickle.loads(pickle.dumps(classifier))):
        again = twin.classify(image)
        assert again.value == first.value
        assert again.confidence == pytest.approx(first.confidence, rel=1e-5)
