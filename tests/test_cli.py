"""The jlpr command: output formats, per-input errors, exit statuses and help."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import jlpr
from jlpr import PlateReader
from jlpr.cli import main
from jlpr.interfaces import ImageArray
from jlpr.pretrained import CONFIG_NAME
from jlpr.rectify import PerspectiveRectifier
from jlpr.types import Plate, PlateRegion
from tests.components import ThresholdLocalizer, answer, scene

REPO = Path(__file__).resolve().parents[1]
EXPECTED_TEXT = "佐賀 581 せ 18-32"


@pytest.fixture(autouse=True)
def no_weights_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JLPR_WEIGHTS", raising=False)


def write_scene(path: Path, colour: tuple[int, int, int] = (240, 195, 10)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(scene(colour)).save(path)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    status = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


# -- help and version ----------------------------------------------------------------------------


def test_help_teaches_commands_examples_weights_and_exit_status(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, "--help")
    assert status == 0
    for expected in ("read", "recognize", "examples:", "jlpr read car.jpg", "weights:"):
        assert expected in out
    assert "exit status:" in out and "2  bad command line" in out


def test_read_help_explains_the_output_columns_and_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, "read", "--help")
    assert status == 0
    for expected in ("FILE", "TEXT", "CONFIDENCE", "JSON Lines", "--draw", "--weights"):
        assert expected in out


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--version")
    assert status == 0
    assert out.strip().startswith("jlpr ")
    assert out.split()[1].startswith(jlpr.__version__.split(".dev")[0])


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys)
    assert status == 2
    assert "usage:" in err


@pytest.mark.parametrize("option", ["--min-confidence", "--min-scale"])
@pytest.mark.parametrize("value", ["1.5", "-0.1", "high"])
def test_fractions_outside_0_to_1_are_usage_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str, value: str
) -> None:
    status, _, err = run(capsys, "read", tmp_path / "car.png", option, value)
    assert status == 2
    assert "expected a number from 0 to 1" in err


@pytest.mark.parametrize("value", ["0.2", "5", "wide"])
def test_stretch_outside_its_range_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, value: str
) -> None:
    status, _, err = run(capsys, "read", tmp_path / "car.png", "--stretch", value)
    assert status == 2
    assert "expected a number from 0.25 to 4" in err


def test_installed_console_script_prints_help() -> None:
    script = shutil.which("jlpr", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-m", "jlpr.cli"]
    done = subprocess.run(
        [*command, "--help"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "examples:" in done.stdout and "exit status:" in done.stdout


def test_help_does_not_import_heavy_modules() -> None:
    probe = textwrap.dedent(
        """
        import contextlib, io, sys
        from jlpr.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            main(["--help"])
        heavy = ("torch", "ultralytics", "PIL", "jlpr.synth.render", "jlpr.synth.scenes",
                 "jlpr.synth.datasets", "jlpr.synth.fonts")
        print(sorted(m for m in heavy if m in sys.modules))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    # The synth and train commands' help shows their defaults without the renderer either.
    assert done.stdout.strip().splitlines()[-1] == "[]"


# -- jlpr read -------------------------------------------------------------------------------------


def test_read_prints_file_text_and_confidence_separated_by_tabs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, saved_reader_dir: Path
) -> None:
    image = write_scene(tmp_path / "car.png")
    status, out, err = run(capsys, "read", image, "--weights", saved_reader_dir)
    assert (status, err) == (0, "")
    [line] = out.splitlines()
    name, text, confidence = line.split("\t")
    assert name == str(image)
    assert text == EXPECTED_TEXT
    assert 0.5 <= float(confidence) <= 1.0


def test_a_missing_file_among_good_ones_is_one_error_line_and_the_others_are_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, saved_reader_dir: Path
) -> None:
    first = write_scene(tmp_path / "first.png")
    second = write_scene(tmp_path / "second.png")
    missing = tmp_path / "missing.jpg"
    status, out, err = run(capsys, "read", first, missing, second, "--weights", saved_reader_dir)
    assert status == 1
    assert [line.split("\t")[0] for line in out.splitlines()] == [str(first), str(second)]
    assert error_lines(err) == [f"jlpr: error: {missing}: no such file"]


def test_every_bad_input_gets_its_own_error_line_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, saved_reader_dir: Path
) -> None:
    notes = tmp_path / "notes.jpg"
    notes.write_text("not a picture", encoding="utf-8")
    cut = tmp_path / "cut.png"
    cut.write_bytes(write_scene(tmp_path / "whole.png").read_bytes()[:200])
    status, out, err = run(
        capsys, "read", notes, tmp_path, cut, tmp_path / "whole.png", "--weights", saved_reader_dir
    )
    assert status == 1
    assert len(out.splitlines()) == 1
    lines = error_lines(err)
    assert len(lines) == 3
    assert lines[0] == f"jlpr: error: {notes}: not an image (cannot identify image file)"
    assert lines[1].startswith(f"jlpr: error: {tmp_path}: is a directory")
    assert lines[2].startswith(f"jlpr: error: {cut}: truncated or corrupt")
    assert "Traceback" not in err


def test_json_output_is_one_parsable_object_per_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, saved_reader_dir: Path
) -> None:
    image = write_scene(tmp_path / "car.png")
    missing = tmp_path / "missing.png"
    status, out, _ = run(capsys, "read", image, missing, "--json", "--weights", saved_reader_dir)
    assert status == 1
    good, bad = (json.loads(line) for line in out.splitlines())
    assert good["file"] == str(image) and good["error"] is None
    assert [Plate.from_dict(p).text for p in good["plates"]] == [EXPECTED_TEXT]
    assert good["plates"][0]["box"] == {"x1": 200.0, "y1": 120.0, "x2": 328.0, "y2": 184.0}
    assert bad == {"file": str(missing), "plates": [], "error": f"{missing}: no such file"}


def test_json_keeps_japanese_characters_readable(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, saved_reader_dir: Path
) -> None:
    image = write_scene(tmp_path / "car.png")
    _, out, _ = run(capsys, "read", image, "--json", "--weights", saved_reader_dir)
    assert "佐賀" in out


def test_an_image_without_plates_prints_nothing_and_succeeds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, saved_reader_dir: Path
) -> None:
    empty = tmp_path / "road.png"
    Image.fromarray(np.full((120, 160, 3), 70, dtype=np.uint8)).save(empty)
    status, out, err = run(capsys, "read", empty, "--weights", saved_reader_dir)
    assert (status, out, err) == (0, "", "")


def test_min_confidence_drops_less_sure_plates(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, saved_reader_dir: Path
) -> None:
    image = write_scene(tmp_path / "car.png")
    status, out, _ = run(
        capsys, "read", image, "--min-confidence", "0.99", "--weights", saved_reader_dir
    )
    assert (status, out) == (0, "")


@pytest.mark.parametrize(
    "option",
    [("--min-scale", "0"), ("--stretch", "2"), ("--zoom",), ("--no-zoom",), ("--no-close-up",)],
)
def test_search_options_need_a_localizer_that_has_them(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    saved_reader_dir: Path,
    option: tuple[str, ...],
) -> None:
    image = write_scene(tmp_path / "car.png")
    status, out, err = run(capsys, "read", image, *option, "--weights", saved_reader_dir)
    assert (status, out) == (1, "")
    named = option[0].replace("--no-", "--")  # one setting, one name
    assert named in err and "ThresholdLocalizer" in err


def test_rotations_turn_the_image_and_place_plates_in_it_as_given(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, saved_reader_dir: Path
) -> None:
    # Searched only a quarter turn counter-clockwise, the scene's plate stands on its side
    # there: its box maps back onto the upright plate, and the corner the localizer took for
    # top-left (the top-left of the turned screen) is the plate's top-right.
    image = write_scene(tmp_path / "car.png")
    weights: list[str | Path] = ["--weights", saved_reader_dir, "--json"]
    for command in ("read", "recognize"):
        status, out, _ = run(capsys, command, image, "--rotations", "90", *weights)
        assert status == 0
        record = json.loads(out)
        plate = record["plates"][0] if command == "read" else record["plate"]
        assert plate["text"] == "佐賀 581 せ 18-32"
        assert plate["corners"][0] == [328.0, 120.0]
    status, out, err = run(capsys, "read", image, "--rotations", "0,45", *weights)
    assert (status, out) == (2, "")
    assert "0, 90, 180 or 270" in err


def test_max_pixels_refuses_large_images(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, saved_reader_dir: Path
) -> None:
    image = write_scene(tmp_path / "car.png")
    status, _, err = run(
        capsys, "read", image, "--max-pixels", "1000", "--weights", saved_reader_dir
    )
    assert status == 1
    assert "more than the limit of 1,000" in err


@pytest.mark.parametrize("batch_size", ["1", "2", "50"])
def test_results_come_in_input_order_whatever_the_batch_size(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, saved_reader_dir: Path, batch_size: str
) -> None:
    images = [write_scene(tmp_path / f"car{i}.png") for i in range(5)]
    status, out, _ = run(
        capsys, "read", *images, "--batch-size", batch_size, "--weights", saved_reader_dir
    )
    assert status == 0
    assert [line.split("\t")[0] for line in out.splitlines()] == [str(p) for p in images]


def test_dash_reads_the_image_from_standard_input(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    saved_reader_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = write_scene(tmp_path / "car.png").read_bytes()

    class Stdin:
        buffer = io.BytesIO(data)

    monkeypatch.setattr(sys, "stdin", Stdin())
    status, out, _ = run(capsys, "read", "-", "--weights", saved_reader_dir)
    assert status == 0
    assert out.splitlines()[0].split("\t")[:2] == ["-", EXPECTED_TEXT]


def test_draw_writes_one_annotated_jpeg_per_image_with_collision_safe_names(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, saved_reader_dir: Path
) -> None:
    first = write_scene(tmp_path / "a" / "car.png")
    second = write_scene(tmp_path / "b" / "car.png")
    out_dir = tmp_path / "drawn"
    status, _, err = run(
        capsys, "read", first, second, "--draw", out_dir, "--weights", saved_reader_dir
    )
    assert (status, err) == (0, "")
    assert sorted(p.name for p in out_dir.iterdir()) == ["car-1.jpg", "car.jpg"]
    drawn = Image.open(out_dir / "car.jpg")
    assert drawn.format == "JPEG" and drawn.size == (640, 360)
    assert np.abs(np.asarray(drawn, dtype=int) - scene().astype(int)).max() > 100


def test_draw_skips_inputs_that_failed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, saved_reader_dir: Path
) -> None:
    out_dir = tmp_path / "drawn"
    status, _, _ = run(
        capsys, "read", tmp_path / "missing.png", "--draw", out_dir, "--weights", saved_reader_dir
    )
    assert status == 1
    assert not out_dir.exists() or not any(out_dir.iterdir())


def test_an_unwritable_draw_folder_is_an_error_line_and_reading_goes_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, saved_reader_dir: Path
) -> None:
    blocker = tmp_path / "drawn"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    image = write_scene(tmp_path / "car.png")
    status, out, err = run(
        capsys, "read", image, image, "--draw", blocker, "--weights", saved_reader_dir
    )
    assert status == 1
    assert len(out.splitlines()) == 2
    assert [line.split(": cannot write")[0] for line in error_lines(err)] == [
        f"jlpr: error: {image}"
    ] * 2


# -- weights -----------------------------------------------------------------------------------


def test_missing_weights_directory_is_one_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    image = write_scene(tmp_path / "car.png")
    status, out, err = run(capsys, "read", image, "--weights", tmp_path / "no-such-dir")
    assert (status, out) == (1, "")
    [line] = error_lines(err)
    assert line.startswith("jlpr: error: ") and "no-such-dir" in line


def test_directory_without_a_saved_reader_is_one_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    image = write_scene(tmp_path / "car.png")
    status, _, err = run(capsys, "recognize", image, "--weights", tmp_path)
    assert status == 1
    [line] = error_lines(err)
    assert CONFIG_NAME in line and "save_pretrained" in line


def test_weights_directory_can_come_from_the_environment(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    saved_reader_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JLPR_WEIGHTS", str(saved_reader_dir))
    status, out, _ = run(capsys, "read", write_scene(tmp_path / "car.png"))
    assert status == 0 and EXPECTED_TEXT in out


def test_without_bundled_weights_the_error_says_what_to_pass(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An installation without weights (e.g. a slimmed build) must fail clearly.
    monkeypatch.setattr("jlpr.reader.bundled_weights_dir", lambda: tmp_path / "no-weights")
    monkeypatch.delenv("JLPR_WEIGHTS", raising=False)
    status, _, err = run(capsys, "read", write_scene(tmp_path / "car.png"))
    assert status == 1
    [line] = error_lines(err)
    assert "no bundled default weights" in line and "--weights DIR" in line
    assert "Traceback" not in err


# -- unexpected failures --------------------------------------------------------------------------


class FussyLocalizer(ThresholdLocalizer):
    """Fails on images 99 pixels wide, the way a buggy model might fail on one input."""

    def __init__(self, failure: BaseException) -> None:
        super().__init__()
        self.failure = failure

    def locate(self, image: ImageArray) -> list[PlateRegion]:
        if image.shape[1] == 99:
            raise self.failure
        return super().locate(image)


def use_reader(monkeypatch: pytest.MonkeyPatch, failure: BaseException) -> None:
    reader = PlateReader(
        FussyLocalizer(failure),
        PerspectiveRectifier(),
        [
            answer(field, value)
            for field, value in zip(jlpr.Field, ("佐賀", "581", "せ", "18-32"), strict=False)
        ],
    )

    def from_pretrained(*args: Any, **kwargs: Any) -> PlateReader:
        return reader

    monkeypatch.setattr(PlateReader, "from_pretrained", from_pretrained)


def write_odd(path: Path) -> Path:
    Image.fromarray(np.full((50, 99, 3), 70, dtype=np.uint8)).save(path)
    return path


def test_an_unexpected_error_on_one_input_is_reported_and_the_others_are_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_reader(monkeypatch, RuntimeError("CUDA went away"))
    good = write_scene(tmp_path / "good.png")
    odd = write_odd(tmp_path / "odd.png")
    status, out, err = run(capsys, "read", good, odd, good)
    assert status == 1
    assert len(out.splitlines()) == 2
    assert error_lines(err) == [
        f"jlpr: error: {odd}: unexpected error (RuntimeError: CUDA went away)"
    ]


def test_an_unexpected_error_in_recognize_is_reported_and_the_others_are_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_reader(monkeypatch, RuntimeError("boom"))
    odd = write_odd(tmp_path / "odd.png")
    status, out, err = run(capsys, "recognize", odd, write_scene(tmp_path / "good.png"))
    assert status == 1
    assert len(out.splitlines()) == 1
    assert "RuntimeError: boom" in err


def test_keyboard_interrupt_is_not_swallowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_reader(monkeypatch, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        main(["read", str(write_odd(tmp_path / "odd.png"))])


# -- jlpr recognize ------------------------------------------------------------------------------


def test_recognize_prints_one_line_per_crop(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, saved_reader_dir: Path
) -> None:
    crop = tmp_path / "crop.png"
    Image.fromarray(np.full((64, 128, 3), (240, 195, 10), dtype=np.uint8)).save(crop)
    status, out, _ = run(capsys, "recognize", crop, crop, "--weights", saved_reader_dir)
    assert status == 0
    assert [line.split("\t")[:2] for line in out.splitlines()] == [[str(crop), EXPECTED_TEXT]] * 2


def test_recognize_can_be_told_to_locate_the_plate_first(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, saved_reader_dir: Path
) -> None:
    crop = write_scene(tmp_path / "scene.png")
    for flag in ("--locate", "--no-locate"):
        status, out, _ = run(capsys, "recognize", crop, flag, "--weights", saved_reader_dir)
        assert status == 0 and len(out.splitlines()) == 1
    status, out, _ = run(
        capsys, "recognize", crop, "--locate", "--json", "--weights", saved_reader_dir
    )
    assert Plate.from_dict(json.loads(out)["plate"]).detection_score is not None


def test_recognize_json_has_one_plate_or_error_per_crop(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, saved_reader_dir: Path
) -> None:
    crop = write_scene(tmp_path / "crop.png")
    missing = tmp_path / "gone.png"
    status, out, err = run(
        capsys, "recognize", crop, missing, "--json", "--weights", saved_reader_dir
    )
    assert status == 1
    good, bad = (json.loads(line) for line in out.splitlines())
    assert Plate.from_dict(good["plate"]).text == EXPECTED_TEXT and good["error"] is None
    assert bad == {"file": str(missing), "plate": None, "error": f"{missing}: no such file"}
    assert len(error_lines(err)) == 1


# -- optional commands ----------------------------------------------------------------------------


def test_optional_commands_register_themselves_and_a_broken_one_does_not_break_read(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    saved_reader_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "good_cli.py").write_text(
        textwrap.dedent(
            """
            def register(subparsers):
                parser = subparsers.add_parser("hello", help="say hello")
                parser.add_argument("name")
                parser.set_defaults(handler=lambda args: print("hello", args.name) or 0)
            """
        ),
        encoding="utf-8",
    )
    (tmp_path / "broken_cli.py").write_text("import no_such_dependency\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr("jlpr.cli._PLUGIN_COMMANDS", {"hello": "good_cli", "broken": "broken_cli"})

    assert run(capsys, "hello", "plates")[:2] == (0, "hello plates\n")
    status, _, err = run(capsys, "broken", "--anything")
    assert status == 1 and "the broken command is unavailable" in err
    status, out, _ = run(
        capsys, "read", write_scene(tmp_path / "car.png"), "--weights", saved_reader_dir
    )
    assert status == 0 and EXPECTED_TEXT in out
