"""Typed results: boxes, quads, field readings and plates.

Conventions (the same everywhere in jlpr):

* points are ``(x, y)`` floats in pixel coordinates of the ORIGINAL input image, x to the
  right and y down, with ``(0, 0)`` the top-left corner of the top-left pixel;
* a quad lists the plate's corners in the order top-left, top-right, bottom-right,
  bottom-left (TL, TR, BR, BL) as seen on the plate, whatever its rotation in the image;
* a box is axis-aligned, ``x1 <= x2`` and ``y1 <= y2``.

Every result is a frozen dataclass with ``to_dict()`` and ``from_dict()`` that round-trip
through JSON.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from jlpr.errors import InvalidPlateError
from jlpr.rules import (
    ColorScheme,
    Office,
    Usage,
    VehicleClass,
    format_designation,
    kana_usage,
    lookup_office,
    parse_designation,
    parse_plate_text,
    parse_scheme,
    scheme_allows_kana,
    validate_classification,
    validate_kana,
)

__all__ = [
    "Alternative",
    "Box",
    "Field",
    "FieldReading",
    "Plate",
    "PlateRegion",
    "Point",
    "Quad",
    "RectifyMethod",
]

Point = tuple[float, float]


class Field(str, Enum):
    """The fields of a plate that a :class:`~jlpr.interfaces.FieldClassifier` reads."""

    OFFICE = "office"
    """Region name (地名), e.g. 品川."""
    CLASSIFICATION = "classification"
    """Classification number (分類番号), e.g. 330 or 3A0."""
    KANA = "kana"
    """The hiragana or Latin letter (用途を表す文字), e.g. さ."""
    DESIGNATION = "designation"
    """Designation number (一連指定番号), read as printed, e.g. ``12-34`` or ``・・12``."""
    SCHEME = "scheme"
    """Colour scheme of the plate, a :class:`~jlpr.rules.ColorScheme` value."""


class RectifyMethod(str, Enum):
    """How a plate crop was made upright."""

    PERSPECTIVE = "perspective"
    """Warped from the four detected corners."""
    BOX = "box"
    """Cut from the axis-aligned box because no plausible corners were available."""
    REFINED = "refined"
    """Warped from corners that a network refined on the image (see ``cnn-refine``)."""


@dataclass(frozen=True)
class Box:
    """An axis-aligned box ``(x1, y1)``-``(x2, y2)`` in input-image pixels."""

    x1: float
    y1: float
    x2: float
    y2: float

    def __post_init__(self) -> None:
        values = (self.x1, self.y1, self.x2, self.y2)
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"box coordinates must be finite, got {values}")
        if self.x2 < self.x1 or self.y2 < self.y1:
            raise ValueError(f"box needs x1 <= x2 and y1 <= y2, got {values}")

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    @property
    def area(self) -> float:
        return self.width * self.height

    @property
    def center(self) -> Point:
        return ((self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0)

    def intersection(self, other: Box) -> float:
        """Area of the overlap with ``other`` (0 when they do not overlap)."""
        ix = max(0.0, min(self.x2, other.x2) - max(self.x1, other.x1))
        iy = max(0.0, min(self.y2, other.y2) - max(self.y1, other.y1))
        return ix * iy

    def iou(self, other: Box) -> float:
        """Intersection over union with ``other`` (0 when either box is empty)."""
        inter = self.intersection(other)
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def to_xywh(self) -> tuple[float, float, float, float]:
        return (self.x1, self.y1, self.width, self.height)

    @classmethod
    def from_xywh(cls, x: float, y: float, w: float, h: float) -> Box:
        return cls(x, y, x + w, y + h)

    def to_dict(self) -> dict[str, float]:
        return {"x1": self.x1, "y1": self.y1, "x2": self.x2, "y2": self.y2}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Box:
        return cls(float(data["x1"]), float(data["y1"]), float(data["x2"]), float(data["y2"]))


@dataclass(frozen=True)
class Quad:
    """Four corners of a plate, ordered TL, TR, BR, BL, in input-image pixels."""

    points: tuple[Point, Point, Point, Point]

    def __post_init__(self) -> None:
        if len(self.points) != 4:
            raise ValueError(f"a quad has 4 points, got {len(self.points)}")
        pts = tuple((float(x), float(y)) for x, y in self.points)
        if not all(math.isfinite(v) for p in pts for v in p):
            raise ValueError(f"quad points must be finite, got {pts}")
        object.__setattr__(self, "points", pts)

    @classmethod
    def from_points(cls, points: Iterable[Sequence[float]]) -> Quad:
        """Build a quad from any iterable of four ``(x, y)`` pairs (lists, arrays, tuples)."""
        pts = [(float(p[0]), float(p[1])) for p in points]
        if len(pts) != 4:
            raise ValueError(f"a quad has 4 points, got {len(pts)}")
        return cls((pts[0], pts[1], pts[2], pts[3]))

    @classmethod
    def from_box(cls, box: Box) -> Quad:
        return cls(((box.x1, box.y1), (box.x2, box.y1), (box.x2, box.y2), (box.x1, box.y2)))

    @property
    def tl(self) -> Point:
        return self.points[0]

    @property
    def tr(self) -> Point:
        return self.points[1]

    @property
    def br(self) -> Point:
        return self.points[2]

    @property
    def bl(self) -> Point:
        return self.points[3]

    def to_box(self) -> Box:
        """The smallest axis-aligned box that holds all four corners."""
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        return Box(min(xs), min(ys), max(xs), max(ys))

    def signed_area(self) -> float:
        """Shoelace area; positive when TL, TR, BR, BL run clockwise on screen (y down)."""
        s = 0.0
        for (x0, y0), (x1, y1) in zip(self.points, self.points[1:] + self.points[:1], strict=True):
            s += x0 * y1 - x1 * y0
        return s / 2.0

    def is_convex(self) -> bool:
        """True when the quad is convex and its corners run clockwise on screen."""
        signs = []
        for i in range(4):
            (ax, ay), (bx, by), (cx, cy) = (
                self.points[i],
                self.points[(i + 1) % 4],
                self.points[(i + 2) % 4],
            )
            signs.append((bx - ax) * (cy - by) - (by - ay) * (cx - bx))
        return all(s > 0 for s in signs)

    def to_list(self) -> list[list[float]]:
        return [[x, y] for x, y in self.points]


@dataclass(frozen=True)
class PlateRegion:
    """A plate found by a :class:`~jlpr.interfaces.Localizer`: box, score and optional corners."""

    box: Box
    score: float
    corners: Quad | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "box": self.box.to_dict(),
            "score": self.score,
            "corners": self.corners.to_list() if self.corners else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlateRegion:
        corners = data.get("corners")
        return cls(
            box=Box.from_dict(data["box"]),
            score=float(data["score"]),
            corners=Quad.from_points(corners) if corners else None,
        )


@dataclass(frozen=True)
class Alternative:
    """One candidate value of a field with its probability."""

    value: str
    confidence: float


@dataclass(frozen=True)
class FieldReading:
    """What a field classifier read.

    ``value`` is the canonical text of the field (``"品川"``, ``"330"``, ``"さ"``, ``"12-34"``,
    or a :class:`~jlpr.rules.ColorScheme` value such as ``"private_kei"``), or ``None`` when
    the field is unreadable. ``confidence`` is the probability that ``value`` is right.
    ``alternatives`` lists the top candidates, best first; it includes ``value`` itself.
    """

    field: Field
    value: str | None
    confidence: float
    alternatives: tuple[Alternative, ...] = ()

    @property
    def readable(self) -> bool:
        return self.value is not None

    def candidates(self) -> tuple[Alternative, ...]:
        """The alternatives, or the value alone when the classifier gave no alternatives."""
        if self.alternatives:
            return self.alternatives
        if self.value is None:
            return ()
        return (Alternative(self.value, self.confidence),)

    @classmethod
    def from_probabilities(
        cls, field: Field, labels: Sequence[str], probabilities: Sequence[float], top_k: int = 5
    ) -> FieldReading:
        """Build a reading from one probability per label (the best label becomes ``value``)."""
        if len(labels) != len(probabilities) or not labels:
            raise ValueError("labels and probabilities must be non-empty and of equal length")
        order = sorted(range(len(labels)), key=lambda i: -float(probabilities[i]))[:top_k]
        alts = tuple(Alternative(labels[i], float(probabilities[i])) for i in order)
        return cls(field, alts[0].value, alts[0].confidence, alts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field.value,
            "value": self.value,
            "confidence": self.confidence,
            "alternatives": [[a.value, a.confidence] for a in self.alternatives],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FieldReading:
        return cls(
            field=Field(data["field"]),
            value=data["value"],
            confidence=float(data["confidence"]),
            alternatives=tuple(Alternative(str(v), float(c)) for v, c in data["alternatives"]),
        )


def _empty_readings() -> dict[Field, FieldReading]:
    return {}


@dataclass(frozen=True)
class Plate:
    """A Japanese licence plate: its fields, and where and how surely it was read.

    A field is ``None`` when it was unreadable (its confidence fell below the reader's
    threshold); :attr:`is_complete` says whether every text field was read.
    ``Plate.parse("品川330さ12-34")`` builds one from text.
    """

    office: Office | None
    classification: str | None
    kana: str | None
    designation: int | None
    scheme: ColorScheme | None = None
    confidence: float = 1.0
    """How sure the reader is of the whole plate, in [0, 1]: the product of the field
    confidences and, for a detected plate, the localizer's score; the scheme counts with the
    confidence of its kind (vehicle class and use), not of its picture (:mod:`jlpr.decode`).
    A cautious estimate of the probability that the plate is read right (docs/models.md,
    "Plate confidence")."""
    box: Box | None = None
    corners: Quad | None = None
    detection_score: float | None = None
    rectification: RectifyMethod | None = None
    readings: Mapping[Field, FieldReading] = field(
        default_factory=_empty_readings, hash=False, compare=True
    )

    def __post_init__(self) -> None:
        if self.classification is not None:
            object.__setattr__(self, "classification", validate_classification(self.classification))
        if self.kana is not None:
            object.__setattr__(self, "kana", validate_kana(self.kana))
        if self.scheme is not None:
            object.__setattr__(self, "scheme", parse_scheme(self.scheme))
        if self.designation is not None and not (
            isinstance(self.designation, int) and 1 <= self.designation <= 9999
        ):
            raise InvalidPlateError(
                "designation", self.designation, "must be an integer from 1 to 9999"
            )
        if (
            self.kana is not None
            and self.scheme is not None
            and not scheme_allows_kana(self.scheme, self.kana)
        ):
            usage = kana_usage(self.kana, self.scheme.vehicle_class)
            raise InvalidPlateError(
                "kana",
                self.kana,
                f"cannot be on a {self.scheme.value} plate (on {self.scheme.vehicle_class.value} "
                f"vehicles it means {usage.value if usage else 'nothing'})",
            )
        object.__setattr__(self, "readings", dict(self.readings))

    # -- derived values -------------------------------------------------------------------

    @property
    def designation_text(self) -> str | None:
        """The designation number as printed: ``・・12``, ``・123``, ``12-34``."""
        return None if self.designation is None else format_designation(self.designation)

    @property
    def text(self) -> str:
        """The plate as one line, ``品川 330 さ 12-34``; unreadable fields show as ``?``."""
        parts = [
            self.office.kanji if self.office else "?",
            self.classification or "?",
            self.kana or "?",
            self.designation_text or "?",
        ]
        return " ".join(parts)

    @property
    def is_complete(self) -> bool:
        """True when office, classification, kana and designation were all read."""
        return None not in (self.office, self.classification, self.kana, self.designation)

    @property
    def vehicle_class(self) -> VehicleClass | None:
        """Registered or kei, from the colour scheme (``None`` without a scheme)."""
        return self.scheme.vehicle_class if self.scheme else None

    @property
    def usage(self) -> Usage | None:
        """Private, commercial, rental or US forces, from the kana and the vehicle class.

        Some kana mean different things on registered and kei plates (あ is commercial on a
        registered plate and private on a kei plate); without a scheme such a kana gives
        ``None``.
        """
        if self.kana is None:
            return None
        if self.scheme is not None:
            return kana_usage(self.kana, self.scheme.vehicle_class)
        usages = {kana_usage(self.kana, vc) for vc in VehicleClass} - {None}
        return usages.pop() if len(usages) == 1 else None

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str, scheme: ColorScheme | str | None = None) -> Plate:
        """Parse plate text leniently and return the canonical plate.

        Accepts ``"品川330さ12-34"``, ``"品川 330 さ 12-34"``, full-width digits, any dash,
        ``.``/``･``/``·``/``•`` for the dot, and region names by kanji, reading or romaji.
        Raises :class:`~jlpr.errors.InvalidPlateError` naming the offending part.
        """
        parsed = parse_plate_text(text)
        return cls(
            office=parsed.office,
            classification=parsed.classification,
            kana=parsed.kana,
            designation=parsed.designation,
            scheme=parse_scheme(scheme) if scheme is not None else None,
        )

    @classmethod
    def from_fields(
        cls,
        office: str,
        classification: str,
        kana: str,
        designation: int | str,
        scheme: ColorScheme | str | None = None,
    ) -> Plate:
        """Build a plate from separate fields, each validated and canonicalised."""
        number = designation if isinstance(designation, int) else parse_designation(designation)
        return cls(
            office=lookup_office(office),
            classification=classification,
            kana=kana,
            designation=number,
            scheme=parse_scheme(scheme) if scheme is not None else None,
        )

    def with_location(
        self, box: Box | None, corners: Quad | None, detection_score: float | None = None
    ) -> Plate:
        """A copy placed at ``box``/``corners`` in an image."""
        return replace(self, box=box, corners=corners, detection_score=detection_score)

    # -- serialisation --------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` turns it back into an equal plate."""
        return {
            "text": self.text,
            "office": self.office.to_dict() if self.office else None,
            "classification": self.classification,
            "kana": self.kana,
            "designation": self.designation,
            "designation_text": self.designation_text,
            "scheme": self.scheme.value if self.scheme else None,
            "usage": self.usage.value if self.usage else None,
            "confidence": self.confidence,
            "box": self.box.to_dict() if self.box else None,
            "corners": self.corners.to_list() if self.corners else None,
            "detection_score": self.detection_score,
            "rectification": self.rectification.value if self.rectification else None,
            "readings": {f.value: r.to_dict() for f, r in self.readings.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plate:
        office = data.get("office")
        corners = data.get("corners")
        box = data.get("box")
        return cls(
            office=lookup_office(office["kanji"]) if office else None,
            classification=data.get("classification"),
            kana=data.get("kana"),
            designation=data.get("designation"),
            scheme=parse_scheme(data["scheme"]) if data.get("scheme") else None,
            confidence=float(data.get("confidence", 1.0)),
            box=Box.from_dict(box) if box else None,
            corners=Quad.from_points(corners) if corners else None,
            detection_score=data.get("detection_score"),
            rectification=RectifyMethod(data["rectification"])
            if data.get("rectification")
            else None,
            readings={
                Field(k): FieldReading.from_dict(v) for k, v in data.get("readings", {}).items()
            },
        )

    def to_json(self, **kwargs: Any) -> str:
        """JSON text (UTF-8 characters kept as they are)."""
        kwargs.setdefault("ensure_ascii", False)
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_json(cls, text: str) -> Plate:
        return cls.from_dict(json.loads(text))
