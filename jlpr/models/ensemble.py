"""Reading a field with several trained nets at once: the mean of their probabilities.

Two training runs of the same recipe (other seeds, other machines) misread different
crops, so averaging their calibrated probabilities reads more of them right than either
alone. Measured with the bundled classifiers and two more draws of step 5 (docs/models.md,
"Averaging draws"): 92.6 % of 1,000 synthetic loose crops read exactly instead of 90.7 %,
28 real-dev frames reported right instead of 24, at 1.7x the classifiers' reading time.

:class:`MeanFieldClassifier` is a :class:`~jlpr.interfaces.FieldClassifier` like any other
(``reader.with_components(...)`` swaps it in, ``save_pretrained`` saves it, registered as
``mean-field``); :func:`mean_classifiers` builds one per field from whole classifier sets::

    from jlpr.models import build_classifiers, mean_classifiers

    reader = PlateReader.from_pretrained()
    sets = [reader.classifiers.values(), build_classifiers("runs/a"), build_classifiers("runs/b")]
    reader = reader.with_components(*mean_classifiers(*sets))

The mean is less sure than it is right; :func:`jlpr.training.classifiers.calibrate_mean`
fits its temperature on held-out crops (``tools/make_mean_reader.py`` does all of it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import torch

from jlpr.errors import ConfigError
from jlpr.interfaces import Configurable, FieldClassifier, ImageArray
from jlpr.models.fields import CnnFieldClassifier
from jlpr.registry import register
from jlpr.types import Field, FieldReading

__all__ = ["MeanFieldClassifier", "mean_classifiers"]

MEMBER_DIR = "member{index}"
"""Where each member's files go inside the classifier's folder of a saved reader."""


@register("mean-field")
class MeanFieldClassifier(FieldClassifier, Configurable):
    """Reads one field with several :class:`CnnFieldClassifier` members and decodes the mean
    of their calibrated probabilities.

    Args:
        members: two or more classifiers of the same field over the same labels and slots
            (their inputs, regions and nets may differ: each cuts and reads its own).
        temperature: calibrates the mean: its probabilities ``p`` are read as
            ``softmax(log(p) / temperature)``. The mean of calibrated members is less sure
            than it is right (they disagree where it errs); a temperature fitted on held-out
            crops (:func:`jlpr.training.classifiers.calibrate_mean`, about 0.8 for three
            draws of the recipe) makes its confidences mean what they say again.

    Raises:
        ConfigError: when there are fewer than two members, a member is not a
            :class:`CnnFieldClassifier`, or the members read different fields or labels.
    """

    def __init__(self, members: Sequence[FieldClassifier], temperature: float = 1.0) -> None:
        if not temperature > 0:
            raise ConfigError(f"MeanFieldClassifier temperature must be > 0, got {temperature}")
        if len(members) < 2:
            raise ConfigError(f"MeanFieldClassifier needs two or more members, got {len(members)}")
        checked: list[CnnFieldClassifier] = []
        for member in members:
            if not isinstance(member, CnnFieldClassifier):
                raise ConfigError(
                    "MeanFieldClassifier members must be CnnFieldClassifier (they are averaged "
                    f"by their probabilities), got {type(member).__qualname__}"
                )
            checked.append(member)
        first = checked[0].config
        for member in checked[1:]:
            config = member.config
            if (config.field, config.labels, config.slots) != (
                first.field,
                first.labels,
                first.slots,
            ):
                raise ConfigError(
                    f"MeanFieldClassifier members must read the same field, labels and slots: "
                    f"{first.field.value} ({first.slots} x {len(first.labels)} labels) and "
                    f"{config.field.value} ({config.slots} x {len(config.labels)} labels)"
                )
        self.members = checked
        self.field: Field = first.field
        self.temperature = float(temperature)

    def classify(self, plate_image: ImageArray) -> FieldReading:
        return self.classify_batch([plate_image])[0]

    def classify_batch(self, plate_images: Sequence[ImageArray]) -> list[FieldReading]:
        """Each member's probabilities for every crop, averaged, then decoded as one."""
        if not plate_images:
            return []
        mean = torch.stack([m.probabilities(plate_images) for m in self.members]).mean(0)
        return self.members[0].decode(self.calibrate(mean))

    def calibrate(self, mean: torch.Tensor) -> torch.Tensor:
        """The members' mean probabilities with :attr:`temperature` applied."""
        if self.temperature == 1.0:
            return mean
        return torch.softmax(torch.log(mean.clamp_min(1e-12)) / self.temperature, dim=-1)

    def with_temperature(self, temperature: float) -> MeanFieldClassifier:
        """The same members with another calibration temperature."""
        return MeanFieldClassifier(self.members, temperature)

    # -- saving --------------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        return {
            "members": [member.get_config() for member in self.members],
            "temperature": self.temperature,
        }

    def save_weights(self, directory: Path) -> list[str]:
        """Each member's files in ``directory/member0``, ``member1``, ..."""
        files = []
        for index, member in enumerate(self.members):
            folder = MEMBER_DIR.format(index=index)
            (directory / folder).mkdir(parents=True, exist_ok=True)
            files += [f"{folder}/{name}" for name in member.save_weights(directory / folder)]
        return files

    @classmethod
    def from_config(
        cls, config: dict[str, Any], directory: Path, device: str = "cpu"
    ) -> MeanFieldClassifier:
        """Rebuild a saved one; each member loads as :meth:`CnnFieldClassifier.from_config`."""
        entries = config.get("members")
        if not isinstance(entries, list):
            raise ConfigError(f"mean-field classifier in {directory}: no list of members")
        return cls(
            [
                CnnFieldClassifier.from_config(
                    entry, directory / MEMBER_DIR.format(index=index), device
                )
                for index, entry in enumerate(entries)
            ],
            float(config.get("temperature", 1.0)),
        )

    def __repr__(self) -> str:
        return (
            f"MeanFieldClassifier(field={self.field.value}, members={len(self.members)}, "
            f"temperature={self.temperature:.3f})"
        )


def mean_classifiers(*sets: Iterable[FieldClassifier]) -> list[MeanFieldClassifier]:
    """One :class:`MeanFieldClassifier` per field that every set has a classifier for.

    ``sets`` are whole classifier sets (``reader.classifiers.values()``, the output of
    :func:`~jlpr.models.build_classifiers`), two or more; a field missing from one set is
    left out (the reader keeps its own classifier for it when swapped in).
    """
    if len(sets) < 2:
        raise ConfigError(f"mean_classifiers needs two or more classifier sets, got {len(sets)}")
    by_field: list[dict[Field, FieldClassifier]] = [
        {classifier.field: classifier for classifier in group} for group in sets
    ]
    fields = [f for f in Field if all(f in group for group in by_field)]
    return [MeanFieldClassifier([group[field] for group in by_field]) for field in fields]
