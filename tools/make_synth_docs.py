"""Make the sample grids of ``docs/synth.md`` (fixed seeds: the first samples, not picked).

Writes ``docs/img/synth_schemes.png`` (rectified crops, one row per colour scheme),
``docs/img/synth_degradations.png`` (one row per degradation, growing strength left to
right), ``docs/img/synth_crops.png`` (rectified and loose crops as ``jlpr synth plates``
writes them) and ``docs/img/synth_scenes.png`` (scenes with their labels drawn).

With ``--real-dev DIR`` it also writes ``out/compare.png``: the real-dev crops next to
synthetic crops of the same kind of plate. That file holds real-dev pixels, which must not
be committed: ``out/`` is git-ignored.

Run from the repository root::

    python tools/make_synth_docs.py [--real-dev ../shared/data/real-dev]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from jlpr.rules import ColorScheme
from jlpr.synth.degrade import DegradationConfig, PhotometricParams, Pose
from jlpr.synth.sampling import random_plate
from jlpr.synth.scenes import (
    PlateSampleConfig,
    Scene,
    SceneConfig,
    load_vehicle_photos,
    make_plate_sample,
    make_scene,
)

Image8 = npt.NDArray[np.uint8]
TILE = (128, 64)
CAPTION_WIDTH = 112
BACKGROUND = (245, 245, 245)
INK = (20, 20, 20)
CORNER_COLOURS = ((230, 30, 30), (30, 200, 30), (40, 80, 255), (250, 210, 0))
"""TL red, TR green, BR blue, BL yellow (as in docs/synth.md)."""


def fit(image: Image8 | Image.Image, size: tuple[int, int] = TILE) -> Image.Image:
    """``image`` shrunk to fit ``size`` (aspect kept), centred on a light tile."""
    pil = image if isinstance(image, Image.Image) else Image.fromarray(image)
    pil = pil.convert("RGB")
    pil.thumbnail(size, Image.Resampling.LANCZOS)
    tile = Image.new("RGB", size, BACKGROUND)
    tile.paste(pil, ((size[0] - pil.width) // 2, (size[1] - pil.height) // 2))
    return tile


def grid(
    rows: Sequence[tuple[str, Sequence[Image.Image]]], header: Sequence[str] = ()
) -> Image.Image:
    """Rows of equally sized tiles, each row captioned on the left; optional column header."""
    font = ImageFont.load_default()
    tile_w, tile_h = rows[0][1][0].size
    columns = max(len(tiles) for _, tiles in rows)
    top = 14 if header else 0
    sheet = Image.new(
        "RGB", (CAPTION_WIDTH + columns * (tile_w + 2), top + len(rows) * (tile_h + 2)), BACKGROUND
    )
    draw = ImageDraw.Draw(sheet)
    for c, text in enumerate(header):
        draw.text((CAPTION_WIDTH + c * (tile_w + 2) + 2, 1), text, INK, font=font)
    for r, (caption, tiles) in enumerate(rows):
        y = top + r * (tile_h + 2)
        for i, line in enumerate(caption.split("\n")):
            draw.text((4, y + 4 + 12 * i), line, INK, font=font)
        for c, tile in enumerate(tiles):
            sheet.paste(tile, (CAPTION_WIDTH + c * (tile_w + 2), y))
    return sheet


def save(image: Image.Image, path: Path, *, full: bool = False) -> None:
    """Save a small PNG: an adaptive 256-colour palette (dithered, so colours average out
    right) keeps photo-like grids at a third of their size. ``full`` keeps every colour."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not full:
        image = image.quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG
        )
    image.save(path, optimize=True)
    print(f"{path}: {path.stat().st_size // 1024} KB")


def schemes_grid(per_row: int = 6) -> Image.Image:
    """Rectified crops (default degradations), one row per colour scheme."""
    rows = []
    for index, scheme in enumerate(ColorScheme):
        tiles = []
        for k in range(per_row):
            rng = np.random.default_rng([index, k])
            sample = make_plate_sample(rng, plate=random_plate(rng, scheme))
            tiles.append(fit(sample.rectified))
        rows.append((scheme.value, tiles))
    return grid(rows)


def degradation_grid() -> Image.Image:
    """One row per degradation, the same plate, strength growing to the right.

    Geometric rows show the loose crop (the rectified crop undoes the geometry); the
    others show the rectified crop, which is what the field classifiers see.
    """
    plate = random_plate(np.random.default_rng(2024), ColorScheme.PRIVATE)
    clean = PlateSampleConfig(degradation=DegradationConfig.none(), corner_jitter=0.0)
    base_pose = Pose(width=160.0, distance=3.0)  # close: the keystone is easy to see
    none = PhotometricParams()
    rows: list[tuple[str, Sequence[Image.Image]]] = []

    def row(caption: str, views: Sequence[tuple[Pose, PhotometricParams]], loose: bool) -> None:
        tiles = []
        for pose, params in views:
            # One seed per row: the same plate style and background in every tile of a row,
            # so that only the degradation changes.
            rng = np.random.default_rng([7, len(rows)])
            sample = make_plate_sample(rng, clean, plate=plate, pose=pose, params=params)
            tiles.append(fit(sample.loose if loose else sample.rectified))
        rows.append((caption, tiles))

    def poses(field: str, values: Sequence[float]) -> list[tuple[Pose, PhotometricParams]]:
        return [(dataclasses.replace(base_pose, **{field: v}), none) for v in values]

    def params(**values: Sequence[Any]) -> list[tuple[Pose, PhotometricParams]]:
        name, options = next(iter(values.items()))
        return [(base_pose, dataclasses.replace(none, **{name: v})) for v in options]

    row("yaw\n0 15 30 45 60", poses("yaw", (0, 15, 30, 45, 60)), loose=True)
    row("pitch\n0 8 15 22 30", poses("pitch", (0, 8, 15, 22, 30)), loose=True)
    row("roll (in-plane)\n0 3 6 9 12", poses("roll", (0, 3, 6, 9, 12)), loose=True)
    row("plate width px\n600 160 80 56 40", poses("width", (600, 160, 80, 56, 40)), loose=False)
    row("defocus sigma\n0 .5 1 1.5 2.2", params(defocus_sigma=(None, 0.5, 1.0, 1.5, 2.2)), False)
    motion = (None, (3.0, 0.0), (6.0, 10.0), (9.0, -15.0), (12.0, 0.0))
    row("motion px\n0 3 6 9 12", params(motion=motion), loose=False)
    noise = (None, (2.0, 0.0), (4.0, 0.1), (7.0, 0.3), (10.0, 0.6))
    row("noise sigma\n0 2 4 7 10", params(noise=noise), loose=False)
    row("JPEG quality\n95 70 45 25 15", params(jpeg_quality=(95, 70, 45, 25, 15)), False)
    row("low-res factor\n1 1.5 2 3 4", params(lowres_factor=(None, 1.5, 2.0, 3.0, 4.0)), False)
    row("exposure gain\n.4 .7 1 1.3 1.7", params(gain=(0.4, 0.7, 1.0, 1.3, 1.7)), False)
    row("gamma\n.6 .8 1 1.3 1.7", params(gamma=(0.6, 0.8, 1.0, 1.3, 1.7)), False)
    casts = (
        (1.0, 1.0, 1.0),
        (1.15, 1.0, 0.85),
        (0.85, 1.0, 1.15),
        (1.0, 1.15, 0.9),
        (1.2, 0.9, 1.0),
    )
    row("colour cast\n(white balance)", params(channel_gains=casts), loose=False)
    row("saturation\n1 .8 .6 .45 .3", params(saturation=(1.0, 0.8, 0.6, 0.45, 0.3)), False)
    row("contrast (haze)\n1 .85 .7 .55 .45", params(contrast=(1.0, 0.85, 0.7, 0.55, 0.45)), False)
    row(
        "shadow darkness\n0 .25 .4 .55 .7",
        params(shadow_darkness=(None, 0.25, 0.4, 0.55, 0.7)),
        False,
    )
    night = [(base_pose, dataclasses.replace(none, night=k > 0)) for k in range(5)]
    rows_before = len(rows)
    tiles = []
    for k, (pose, view) in enumerate(night):
        rng = np.random.default_rng([8, k])
        sample = make_plate_sample(rng, clean, plate=plate, pose=pose, params=view)
        tiles.append(fit(sample.loose))
    rows.insert(rows_before, ("night, loose crop\n(off, 4 draws)", tiles))
    occlusion = (None, 0.05, 0.12, 0.2, 0.3)
    row("occlusion share\n0 .05 .12 .2 .3", params(occlusion_fraction=occlusion), loose=False)
    return grid(rows)


def crops_grid(count: int = 8) -> Image.Image:
    """Rectified and loose crops exactly as ``jlpr synth plates`` makes them (seeds 0..)."""
    rectified, loose, kei_rect, kei_loose = [], [], [], []
    for k in range(count):
        sample = make_plate_sample(np.random.default_rng(k))
        rectified.append(fit(sample.rectified))
        loose.append(fit(sample.loose))
        rng = np.random.default_rng([100, k])
        kei = make_plate_sample(rng, plate=random_plate(rng, ColorScheme.PRIVATE_KEI))
        kei_rect.append(fit(kei.rectified))
        kei_loose.append(fit(kei.loose))
    return grid(
        [
            ("loose\n(any scheme)", loose),
            ("rectified\n(same plates)", rectified),
            ("loose\n(yellow kei)", kei_loose),
            ("rectified\n(yellow kei)", kei_rect),
        ]
    )


def draw_labels(scene: Scene) -> Image.Image:
    """The scene with each plate's box (white) and corners (TL red, TR green, BR blue, BL
    yellow) drawn."""
    pil = Image.fromarray(scene.image)
    draw = ImageDraw.Draw(pil)
    for item in scene.plates:
        draw.rectangle(item.box, outline=(255, 255, 255), width=1)
        draw.polygon([(float(x), float(y)) for x, y in item.corners], outline=(255, 0, 255))
        for (x, y), colour in zip(item.corners, CORNER_COLOURS, strict=True):
            draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)
    return pil


def scenes_grid(vehicles: Path | None) -> Image.Image:
    """Procedural scenes (whole frames and native-scale windows) and, when the vehicle
    photos are there, scenes on the openalpr benchmark photos (AGPL-3.0, as this project)."""
    tiles: list[Image.Image] = []
    whole = SceneConfig(size=640, negative_fraction=0.0)
    windows = SceneConfig(size=1280, crop=416, negative_fraction=0.0)
    for k in range(2):
        tiles.append(fit(draw_labels(make_scene(np.random.default_rng([1, k]), whole)), (320, 240)))
    for k in range(2):
        scene = make_scene(np.random.default_rng([2, k]), windows)
        tiles.append(fit(draw_labels(scene), (320, 240)))
    if vehicles is not None and (vehicles / "images").is_dir():
        photos = [p for p in load_vehicle_photos(vehicles) if p.name.startswith("openalpr")]
        config = SceneConfig(size=640, negative_fraction=0.0, vehicle_share=1.0)
        for k in range(4):
            scene = make_scene(np.random.default_rng([3, k]), config, photos)
            x1, y1, x2, y2 = scene.plates[0].box if scene.plates else (0, 0, 640, 480)
            # Zoom on the plate's surroundings so the paste can be judged.
            cx, cy, half = (x1 + x2) / 2, (y1 + y2) / 2, max(x2 - x1, 60) * 2.2
            crop = draw_labels(scene).crop(
                (cx - half, cy - half * 0.75, cx + half, cy + half * 0.75)
            )
            tiles.append(fit(crop.resize((320, 240), Image.Resampling.LANCZOS), (320, 240)))
    rows = [tiles[i : i + 4] for i in range(0, len(tiles), 4)]
    captions = ["procedural:\n2 whole 640\nframes, 2 native\n416 windows"]
    captions += ["on openalpr\nphotos (plate\nreplaced, zoomed)"]
    return grid(list(zip(captions, rows, strict=False)))


def compare_grid(real_dev: Path, count: int = 9) -> Image.Image:
    """Real-dev crops (a yellow kei plate, 佐賀 581 せ 18-32) next to synthetic crops of the
    same plate, loose and rectified (the real crops have no corners to rectify with)."""
    rows = []
    with (real_dev / "labels.csv").open(encoding="utf-8") as handle:
        files = [line.split(",", 1)[0] for line in handle if line.startswith("crops/")]
    real = [fit(Image.open(real_dev / name)) for name in files]
    rows.append(("real-dev crops\n(1-9)", real[:count]))
    rows.append(("real-dev crops\n(10-18)", real[count : 2 * count]))
    plate_text = "佐賀581せ18-32"
    from jlpr.types import Plate

    plate = Plate.parse(plate_text, ColorScheme.PRIVATE_KEI)
    loose, rectified = [], []
    for k in range(count):
        sample = make_plate_sample(np.random.default_rng([200, k]), plate=plate)
        loose.append(fit(sample.loose))
        rectified.append(fit(sample.rectified))
    rows.append(("synthetic loose\n(same plate)", loose))
    rows.append(("synthetic\nrectified", rectified))
    return grid(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument(
        "--vehicles",
        type=Path,
        default=None,
        help="also write out/vehicle_scenes.png from these photos (not committed: the "
        "project never contains the shared vehicle data)",
    )
    parser.add_argument(
        "--real-dev", type=Path, default=None, help="also write out/compare.png (not committed)"
    )
    parser.add_argument(
        "--full", action="store_true", help="keep every colour (bigger files; use with --out)"
    )
    args = parser.parse_args()
    save(schemes_grid(), args.out / "synth_schemes.png", full=args.full)
    save(degradation_grid(), args.out / "synth_degradations.png", full=args.full)
    save(crops_grid(), args.out / "synth_crops.png", full=args.full)
    save(scenes_grid(None), args.out / "synth_scenes.png", full=args.full)
    out = Path("out")
    if args.vehicles is not None:
        out.mkdir(exist_ok=True)
        scenes_grid(args.vehicles).save(out / "vehicle_scenes.png")
        print(json.dumps({"wrote": str(out / "vehicle_scenes.png"), "commit": False}))
    if args.real_dev is not None:
        out.mkdir(exist_ok=True)
        compare_grid(args.real_dev).save(out / "compare.png")
        print(json.dumps({"wrote": str(out / "compare.png"), "commit": False}))


if __name__ == "__main__":
    main()
