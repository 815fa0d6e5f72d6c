"""``PlateReader``: locate -> rectify -> classify each field -> decode into valid plates."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from jlpr.decode import decode_readings
from jlpr.errors import ConfigError, JlprError, ModelError, WeightsNotFoundError
from jlpr.image import DEFAULT_MAX_PIXELS, ImageInput, describe_source, load_image
from jlpr.interfaces import FieldClassifier, ImageArray, Localizer, RectifiedPlate, Rectifier
from jlpr.pretrained import (
    CONFIG_NAME,
    FORMAT,
    FORMAT_VERSION,
    bundled_weights_dir,
    load_component,
    read_config,
    save_component,
)
from jlpr.types import Box, Field, FieldReading, Plate, PlateRegion, Quad

__all__ = ["REQUIRED_FIELDS", "ROTATIONS", "PlateReader", "ReadResult"]

REQUIRED_FIELDS = (Field.OFFICE, Field.CLASSIFICATION, Field.KANA, Field.DESIGNATION)
"""Fields a reader must have a classifier for; :attr:`Field.SCHEME` is optional."""

ROTATIONS = (0, 90, 180, 270)
"""The turns (degrees, counter-clockwise) a reader can search images in: see ``rotations``."""

_SAME_PLATE_OVERLAP = 0.5
"""Two plates found in different turns of an image are one when their boxes' intersection
is at least this share of the smaller box (the localizer merges its sizes alike)."""


@dataclass(frozen=True)
class ReadResult:
    """The outcome for one input of :meth:`PlateReader.read_batch`."""

    source: str
    """What the input was (a path, or a short description of bytes/arrays/images)."""
    plates: tuple[Plate, ...] = ()
    error: JlprError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class PlateReader:
    """Reads Japanese licence plates in images.

    Args:
        localizer: finds plates in whole images; ``None`` makes a reader that only
            :meth:`recognize` s crops.
        rectifier: warps each found plate to an upright crop.
        classifiers: one :class:`~jlpr.interfaces.FieldClassifier` per field (office,
            classification, kana, designation; scheme optional), as a sequence or a mapping
            from :class:`~jlpr.types.Field`.
        min_confidence: :meth:`read` drops plates whose overall confidence is lower.
        min_field_confidence: a field whose best valid reading is less sure than this is
            reported unreadable (``None``) instead of guessed.
        max_pixels: inputs with more pixels are refused with
            :class:`~jlpr.errors.ImageTooLargeError`.
        rotations: the turns in which every image is searched, in degrees counter-clockwise
            (as :meth:`PIL.Image.Image.rotate`), from :data:`ROTATIONS`. The default ``(0,)``
            looks at images as they are; ``(0, 90, 270)`` also finds plates turned by a
            quarter turn either way (a camera mounted on its side, a surround-view mosaic)
            for up to three times the time. Plates are reported in the coordinates of the image
            as given; where two turns find the same plate, the more confident reading is
            kept. :meth:`recognize` reads a crop in each turn and keeps the most confident.

    Example::

        reader = PlateReader.from_pretrained()
        for plate in reader.read("car.jpg"):
            print(plate.text, plate.confidence)
    """

    def __init__(
        self,
        localizer: Localizer | None,
        rectifier: Rectifier,
        classifiers: Mapping[Field, FieldClassifier] | Iterable[FieldClassifier],
        *,
        min_confidence: float = 0.5,
        min_field_confidence: float = 0.3,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        rotations: Sequence[int] = (0,),
    ) -> None:
        if localizer is not None and not isinstance(localizer, Localizer):
            raise ConfigError(f"localizer must be a jlpr Localizer, got {type(localizer)!r}")
        if not isinstance(rectifier, Rectifier):
            raise ConfigError(f"rectifier must be a jlpr Rectifier, got {type(rectifier)!r}")
        self.localizer = localizer
        self.rectifier = rectifier
        self.classifiers = _classifier_map(classifiers)
        for name, value in (
            ("min_confidence", min_confidence),
            ("min_field_confidence", min_field_confidence),
        ):
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name} must be within [0, 1], got {value}")
        self.min_confidence = float(min_confidence)
        self.min_field_confidence = float(min_field_confidence)
        self.max_pixels = int(max_pixels)
        self.rotations = _check_rotations(rotations)

    # -- reading ----------------------------------------------------------------------------

    def read(self, image: ImageInput) -> list[Plate]:
        """Every plate in ``image`` read with at least ``min_confidence``, best first."""
        array = load_image(image, max_pixels=self.max_pixels)
        return self._read_arrays([array])[0]

    def read_batch(self, images: Iterable[ImageInput]) -> list[ReadResult]:
        """:meth:`read` for several inputs; a bad input gives an error result, not an exception.

        Classification runs batched over all plates of all images.
        """
        sources: list[str] = []
        arrays: list[ImageArray | None] = []
        errors: list[JlprError | None] = []
        for image in images:
            sources.append(describe_source(image))
            try:
                arrays.append(load_image(image, max_pixels=self.max_pixels))
                errors.append(None)
            except JlprError as exc:
                arrays.append(None)
                errors.append(exc)
        good = [a for a in arrays if a is not None]
        plates = iter(self._read_arrays(good) if good else [])
        return [
            ReadResult(source, tuple(next(plates)) if array is not None else (), error)
            for source, array, error in zip(sources, arrays, errors, strict=True)
        ]

    def recognize(self, crop: ImageInput, *, locate: bool | None = None) -> Plate:
        """Read the one plate that ``crop`` shows (a tight or loose crop of a plate).

        Args:
            crop: the plate crop (any input :func:`~jlpr.image.load_image` takes).
            locate: ask the localizer for the plate inside the crop first. ``None`` (the
                default) does so only when the rectifier cannot find corners itself
                (:attr:`~jlpr.interfaces.Rectifier.finds_corners`): the default ``cnn-refine``
                rectifier does, and starting it from the whole crop was measured better on
                loose crops than starting from the localizer (docs/models.md) and is twice
                as fast. Pass ``True`` for crops in which the plate is small (a whole car);
                :meth:`read` is meant for such images.

        The whole crop is taken as the plate when the localizer is not asked or finds
        nothing. Box and corners are in crop pixels. Always returns a plate; fields that
        could not be read are ``None``.
        """
        array = load_image(crop, max_pixels=self.max_pixels)
        if locate is None:
            locate = not self.rectifier.finds_corners
        height, width = array.shape[:2]
        rectified: list[RectifiedPlate] = []
        regions: list[PlateRegion | None] = []
        for angle in self.rotations:
            turned = _turn(array, angle)
            found = self.localizer.locate(turned) if self.localizer is not None and locate else []
            region = found[0] if found else None
            if region is None:
                # The whole crop, as a box without corners: the rectifier says how it used it.
                turned_height, turned_width = turned.shape[:2]
                box = Box(0.0, 0.0, float(turned_width), float(turned_height))
                rectified.append(self.rectifier.rectify(turned, PlateRegion(box=box, score=1.0)))
            else:
                rectified.append(self.rectifier.rectify(turned, region))
            regions.append(region)
        plates = [
            _unturn_plate(plate, angle, width, height)
            for plate, angle in zip(self._decode(rectified, regions), self.rotations, strict=True)
        ]
        # The first of the most confident: the order of ``rotations`` breaks a tie.
        return max(plates, key=lambda plate: plate.confidence)

    def _read_arrays(self, arrays: Sequence[ImageArray]) -> list[list[Plate]]:
        if self.localizer is None:
            raise ConfigError(
                "this reader has no localizer, so it cannot find plates in whole images; "
                "use recognize() on plate crops, or give it a localizer"
            )
        # The localizer sees one turn of the images at a time (a batch mixing landscape and
        # portrait canvases pads them all to squares: measured 5x the time of one turn, not
        # 3x), and only one turn's copies are held at once; the classifiers read the plates
        # of every turn of every image in one batch.
        rectified: list[RectifiedPlate] = []
        regions: list[PlateRegion] = []
        owners: list[tuple[int, int]] = []
        for angle in self.rotations:
            turned = [_turn(array, angle) for array in arrays]
            found = self.localizer.locate_batch(turned)
            if len(found) != len(turned):
                raise ModelError(
                    f"{type(self.localizer).__qualname__}.locate_batch returned {len(found)} "
                    f"results for {len(turned)} images"
                )
            for index, (array, image_regions) in enumerate(zip(turned, found, strict=True)):
                for region in image_regions:
                    rectified.append(self.rectifier.rectify(array, region))
                    regions.append(region)
                    owners.append((index, angle))
        plates = self._decode(rectified, regions)
        per_image: list[list[Plate]] = [[] for _ in arrays]
        for (index, angle), plate in zip(owners, plates, strict=True):
            height, width = arrays[index].shape[:2]
            per_image[index].append(_unturn_plate(plate, angle, width, height))
        results = []
        for image_plates in per_image:
            if len(self.rotations) > 1:
                image_plates = _merge_turns(image_plates)
            kept = [plate for plate in image_plates if plate.confidence >= self.min_confidence]
            kept.sort(key=lambda p: -p.confidence)
            results.append(kept)
        return results

    def _decode(
        self, rectified: Sequence[RectifiedPlate], regions: Sequence[PlateRegion | None]
    ) -> list[Plate]:
        if not rectified:
            return []
        crops = [r.image for r in rectified]
        per_field: dict[Field, list[FieldReading]] = {
            field: classifier.classify_batch(crops)
            for field, classifier in self.classifiers.items()
        }
        plates = []
        for i, (rect, region) in enumerate(zip(rectified, regions, strict=True)):
            readings = {field: results[i] for field, results in per_field.items()}
            decoded = decode_readings(readings, self.min_field_confidence)
            score = region.score if region is not None else None
            confidence = decoded.confidence * (score if score is not None else 1.0)
            plates.append(
                Plate(
                    office=decoded.office,
                    classification=decoded.classification,
                    kana=decoded.kana,
                    designation=decoded.designation,
                    scheme=decoded.scheme,
                    confidence=confidence,
                    box=region.box if region is not None else rect.corners.to_box(),
                    corners=rect.corners,
                    detection_score=score,
                    rectification=rect.method,
                    readings=readings,
                )
            )
        return plates

    # -- composition ------------------------------------------------------------------------

    def with_components(
        self, *components: Localizer | Rectifier | FieldClassifier, **settings: Any
    ) -> PlateReader:
        """A copy with some components swapped (matched by kind, classifiers by field).

        ``reader.with_components(MyOfficeClassifier())`` replaces the office classifier;
        keyword ``settings`` (``min_confidence=...``) change the thresholds.
        """
        localizer, rectifier = self.localizer, self.rectifier
        classifiers = dict(self.classifiers)
        for component in components:
            if isinstance(component, Localizer):
                localizer = component
            elif isinstance(component, Rectifier):
                rectifier = component
            elif isinstance(component, FieldClassifier):
                classifiers[_field_of(component)] = component
            else:
                raise ConfigError(f"{type(component).__qualname__} is not a jlpr component")
        options: dict[str, Any] = {
            "min_confidence": self.min_confidence,
            "min_field_confidence": self.min_field_confidence,
            "max_pixels": self.max_pixels,
            "rotations": self.rotations,
        }
        unknown = set(settings) - set(options)
        if unknown:
            raise ConfigError(f"unknown reader settings: {sorted(unknown)}")
        options.update(settings)
        return PlateReader(localizer, rectifier, classifiers, **options)

    # -- persistence ------------------------------------------------------------------------

    @classmethod
    def from_pretrained(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        device: str = "cpu",
        **settings: Any,
    ) -> PlateReader:
        """Load a reader saved by :meth:`save_pretrained`, or the bundled default one.

        Args:
            path: a directory holding ``jlpr.json``; ``None`` loads the weights shipped
                inside the package (no network is ever used).
            device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` for components that use torch.
            settings: reader settings overriding the saved ones (``min_confidence`` ...).
        """
        directory = Path(path) if path is not None else bundled_weights_dir()
        if path is None and not (directory / CONFIG_NAME).is_file():
            raise WeightsNotFoundError(
                f"this jlpr installation has no bundled default weights ({directory} holds no "
                f"{CONFIG_NAME}); pass the path of a reader saved with save_pretrained(), or "
                "compose a PlateReader from your own components"
            )
        if not directory.is_dir():
            raise WeightsNotFoundError(f"weights directory {directory} does not exist")
        config = read_config(directory)
        try:
            components = config["components"]
            localizer = (
                load_component(components["localizer"], directory / "localizer", device)
                if components.get("localizer")
                else None
            )
            rectifier = load_component(components["rectifier"], directory / "rectifier", device)
            classifiers = [
                load_component(entry, directory / "classifiers" / name, device)
                for name, entry in components["classifiers"].items()
            ]
        except (KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"{directory / CONFIG_NAME} lacks a component entry: {exc}") from exc
        options = dict(config.get("reader", {}))
        options.update(settings)
        return cls(localizer, rectifier, classifiers, **options)

    def save_pretrained(self, directory: str | os.PathLike[str]) -> Path:
        """Save config and weights of every component to ``directory`` (created if needed).

        Every component must be registered (:func:`jlpr.registry.register`) and implement
        :class:`~jlpr.interfaces.Configurable`.
        """
        root = Path(directory)
        root.mkdir(parents=True, exist_ok=True)
        components: dict[str, Any] = {
            "localizer": save_component(self.localizer, root / "localizer")
            if self.localizer is not None
            else None,
            "rectifier": save_component(self.rectifier, root / "rectifier"),
            "classifiers": {
                field.value: save_component(classifier, root / "classifiers" / field.value)
                for field, classifier in self.classifiers.items()
            },
        }
        config = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "reader": {
                "min_confidence": self.min_confidence,
                "min_field_confidence": self.min_field_confidence,
                "max_pixels": self.max_pixels,
                "rotations": list(self.rotations),
            },
            "components": components,
        }
        (root / CONFIG_NAME).write_text(
            json.dumps(config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        return root

    def __repr__(self) -> str:
        fields = ", ".join(f"{f.value}={type(c).__name__}" for f, c in self.classifiers.items())
        return (
            f"PlateReader(localizer={type(self.localizer).__name__}, "
            f"rectifier={type(self.rectifier).__name__}, {fields})"
        )


def _field_of(classifier: FieldClassifier) -> Field:
    field = getattr(classifier, "field", None)
    try:
        return Field(field)
    except ValueError:
        raise ConfigError(
            f"{type(classifier).__qualname__}.field must be a jlpr.Field, got {field!r}"
        ) from None


def _classifier_map(
    classifiers: Mapping[Field, FieldClassifier] | Iterable[FieldClassifier],
) -> dict[Field, FieldClassifier]:
    items = classifiers.values() if isinstance(classifiers, Mapping) else classifiers
    result: dict[Field, FieldClassifier] = {}
    for classifier in items:
        if not isinstance(classifier, FieldClassifier):
            raise ConfigError(f"{type(classifier).__qualname__} is not a FieldClassifier")
        field = _field_of(classifier)
        if field in result:
            raise ConfigError(f"two classifiers for field {field.value!r}")
        result[field] = classifier
    missing = [f.value for f in REQUIRED_FIELDS if f not in result]
    if missing:
        raise ConfigError(f"no classifier for field(s) {', '.join(missing)}")
    return result


def _check_rotations(rotations: Sequence[int]) -> tuple[int, ...]:
    if isinstance(rotations, (str, bytes)) or not isinstance(rotations, Iterable):
        raise ConfigError(
            f"rotations must be a sequence of turns from {ROTATIONS}, got {rotations!r}"
        )
    turns = list(rotations)
    if not turns:
        raise ConfigError(f"rotations must name at least one turn from {ROTATIONS}")
    for turn in turns:
        if (
            isinstance(turn, bool)
            or not isinstance(turn, (int, np.integer))
            or turn not in ROTATIONS
        ):
            raise ConfigError(f"rotations must be taken from {ROTATIONS} (degrees), got {turns}")
    if len(set(turns)) != len(turns):
        raise ConfigError(f"rotations names a turn twice: {turns}")
    return tuple(int(turn) for turn in turns)


def _turn(image: ImageArray, angle: int) -> ImageArray:
    """``image`` turned ``angle`` degrees counter-clockwise (exactly: no resampling)."""
    if angle == 0:
        return image
    return np.ascontiguousarray(np.rot90(image, angle // 90))


def _unturn_points(
    points: Iterable[tuple[float, float]], angle: int, width: int, height: int
) -> list[tuple[float, float]]:
    """Points of the image turned by ``angle`` (:func:`_turn`) in the pixels of the image
    itself, which is ``width`` x ``height``."""
    if angle == 90:
        return [(width - y, x) for x, y in points]
    if angle == 180:
        return [(width - x, height - y) for x, y in points]
    if angle == 270:
        return [(y, height - x) for x, y in points]
    return list(points)


def _unturn_plate(plate: Plate, angle: int, width: int, height: int) -> Plate:
    """``plate`` read in the image turned by ``angle``, placed in the image itself.

    The corners keep their meaning (TL is the plate's own top-left corner, wherever the
    turn put it on screen), so rectifying from them makes the plate upright again."""
    if angle == 0:
        return plate
    box = plate.box
    if box is not None:
        turned_box = _unturn_points(Quad.from_box(box).points, angle, width, height)
        box = Quad.from_points(turned_box).to_box()
    corners = plate.corners
    if corners is not None:
        corners = Quad.from_points(_unturn_points(corners.points, angle, width, height))
    return replace(plate, box=box, corners=corners)


def _merge_turns(plates: Sequence[Plate]) -> list[Plate]:
    """Best first, without each plate whose box overlaps a more confident one's by
    :data:`_SAME_PLATE_OVERLAP` of the smaller box: one plate found in two turns."""
    kept: list[Plate] = []
    for plate in sorted(plates, key=lambda p: -p.confidence):
        if plate.box is None or not any(
            other.box is not None and _same_place(plate.box, other.box) for other in kept
        ):
            kept.append(plate)
    return kept


def _same_place(a: Box, b: Box) -> bool:
    inter = a.intersection(b)
    return inter > 0 and inter >= _SAME_PLATE_OVERLAP * min(a.area, b.area)
