"""Write ``docs/img/failures.jpg``: the real-dev failure cases, re-created on rendered plates.

Real-dev images may not be copied into the project, so the card pictures its failure cases
on the same plate (佐賀 581 せ 18-32, yellow kei) drawn by :mod:`jlpr.synth` under the
conditions the real video shows, one row each:

* ``frontal 200 px``: the control, a plate the reader reads;
* ``50 px``: as small as the real frames' plates, mild degradations;
* ``50 px, video``: the same with the real video's look: sideways motion blur of 4 % of the
  plate's width, in-camera sharpening, JPEG quality 70;
* ``oblique``: turned 60° away and rolled 20°, 90 px frontal width, as in frames 79-97.

Each row reads ``--n`` crops with :meth:`PlateReader.recognize` (seeds 5000, 5001, ...;
the crops' yaw, pitch and roll drawn small unless the row fixes them) and prints how many
are read exactly and how often each field is right; the figure shows the first
``--show`` crops of each row as drawn (not picked), enlarged, with what was read: green
when exact, red with the fields read wrong or left unread otherwise.

Run: ``python tools/make_failure_figure.py [--n 50] [--show 5] [--weights DIR]
[--out docs/img/failures.jpg]`` (the fonts of the ``train`` extra).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from jlpr import PlateReader
from jlpr.rules import ColorScheme
from jlpr.synth.degrade import DegradationConfig, PhotometricParams, Pose
from jlpr.synth.fonts import require_japanese_fonts
from jlpr.synth.scenes import PlateSampleConfig, make_plate_sample
from jlpr.types import Field, Plate

PLATE = "佐賀 581 せ 18-32"
TEXT_FIELDS = (Field.OFFICE, Field.CLASSIFICATION, Field.KANA, Field.DESIGNATION)
SHORT = {
    Field.OFFICE: "name",
    Field.CLASSIFICATION: "class",
    Field.KANA: "kana",
    Field.DESIGNATION: "number",
}
CELL = (240, 112)
LABEL = 62
GAP = 8
ROW_TITLE = 180


@dataclass(frozen=True)
class Row:
    title: str
    pose: Callable[[np.random.Generator], Pose]
    params: PhotometricParams | None


def _small_turn(width: float) -> Callable[[np.random.Generator], Pose]:
    def pose(rng: np.random.Generator) -> Pose:
        return Pose(
            width=width,
            yaw=float(rng.uniform(-20, 20)),
            pitch=float(rng.uniform(-8, 8)),
            roll=float(rng.uniform(-4, 4)),
        )

    return pose


def _oblique(rng: np.random.Generator) -> Pose:
    return Pose(width=90.0, yaw=60.0, pitch=float(rng.uniform(-8, 8)), roll=20.0)


ROWS = (
    Row("frontal, 200 px", _small_turn(200.0), None),
    Row("50 px", _small_turn(50.0), None),
    Row(
        "50 px, video: motion\nblur, sharpened, JPEG",
        _small_turn(50.0),
        PhotometricParams(motion=(2.0, 0.0), sharpen=(1.0, 1.5), jpeg_quality=70),
    ),
    Row("oblique: yaw 60°,\nroll 20°, 90 px", _oblique, None),
)


def _parts(plate: Plate) -> dict[Field, str]:
    """The four text fields as :attr:`Plate.text` shows them (``?`` when unread)."""
    return dict(zip(TEXT_FIELDS, plate.text.split(" "), strict=True))


def _cell(
    crop: np.ndarray[Any, Any], read: Plate, truth: Plate, font: ImageFont.FreeTypeFont
) -> Image.Image:
    image = Image.fromarray(crop)
    scale = min(CELL[0] / image.width, CELL[1] / image.height)
    shown = image.resize(
        (max(1, round(image.width * scale)), max(1, round(image.height * scale))),
        Image.Resampling.NEAREST,
    )
    out = Image.new("RGB", (CELL[0], CELL[1] + LABEL), "white")
    out.paste(shown, ((CELL[0] - shown.width) // 2, (CELL[1] - shown.height) // 2))
    draw = ImageDraw.Draw(out)
    got, want = _parts(read), _parts(truth)
    wrong = [SHORT[f] for f in TEXT_FIELDS if got[f] not in (want[f], "?")]
    unread = [SHORT[f] for f in TEXT_FIELDS if got[f] == "?"]
    colour = (0, 140, 0) if not wrong and not unread else (200, 0, 0)
    draw.text((4, CELL[1] + 2), f"{read.text}  {read.confidence:.2f}", fill=colour, font=font)
    notes = [
        f"{what}: {', '.join(names)}"
        for what, names in (("wrong", wrong), ("unread", unread))
        if names
    ]
    if notes:
        draw.multiline_text((4, CELL[1] + 20), "\n".join(notes), fill=colour, font=font)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="crops read per row (default 50)")
    parser.add_argument("--show", type=int, default=5, help="crops shown per row (default 5)")
    parser.add_argument("--weights", help="a saved reader (default: the bundled one)")
    parser.add_argument("--out", type=Path, default=Path("docs/img/failures.jpg"))
    args = parser.parse_args()
    reader = PlateReader.from_pretrained(args.weights, min_confidence=0.0)
    truth = Plate.parse(PLATE, ColorScheme.PRIVATE_KEI)
    face = require_japanese_fonts()[0]
    font = ImageFont.truetype(str(face.path), 15, index=face.index)
    config = PlateSampleConfig(degradation=DegradationConfig.mild())
    rows: list[list[Image.Image]] = []
    for row in ROWS:
        exact, right = 0, dict.fromkeys(TEXT_FIELDS, 0)
        cells = []
        for index in range(args.n):
            rng = np.random.default_rng(5000 + index)
            sample = make_plate_sample(
                rng, config, plate=truth, pose=row.pose(rng), params=row.params
            )
            read = reader.recognize(sample.loose)
            exact += read.text == truth.text
            got, want = _parts(read), _parts(truth)
            for f in TEXT_FIELDS:
                right[f] += got[f] == want[f]
            if index < args.show:
                cells.append(_cell(sample.loose, read, truth, font))
        fields = ", ".join(f"{f.value} {right[f]}" for f in TEXT_FIELDS)
        print(f"{row.title.replace(chr(10), ' '):45s} exact {exact}/{args.n}; {fields}")
        title = Image.new("RGB", (ROW_TITLE, CELL[1] + LABEL), "white")
        ImageDraw.Draw(title).multiline_text(
            (4, 8), f"{row.title}\nexact {exact} of {args.n}", fill=(0, 0, 0), font=font
        )
        rows.append([title, *cells])
    width = ROW_TITLE + args.show * (CELL[0] + GAP)
    height = len(rows) * (CELL[1] + LABEL + GAP)
    figure = Image.new("RGB", (width, height), "white")
    for r, parts in enumerate(rows):
        left = 0
        for part in parts:
            figure.paste(part, (left, r * (CELL[1] + LABEL + GAP)))
            left += part.width + GAP
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figure.save(args.out, quality=88)
    print(f"wrote {args.out} ({figure.width}x{figure.height})")


if __name__ == "__main__":
    main()
