"""The ``jlpr`` command: read plates in images from the shell.

``jlpr read`` finds and reads every plate in whole images, ``jlpr recognize`` reads one plate
per cropped image. Other commands (``synth``, ``train``, ``eval``) come from their own
modules when those are installed: a module ``jlpr.<package>.cli`` that defines
``register(subparsers)`` adds its parsers there and gives each a handler with
``parser.set_defaults(handler=fn)``, where ``fn(args: argparse.Namespace) -> int`` returns the
exit status. Keep ``register`` free of heavy imports so that ``jlpr --help`` stays fast.

See ``docs/cli.md`` for the output formats and exit statuses.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jlpr._argtypes import (
    add_search_options,
    positive_int,
    probability,
    rotations,
    set_search_options,
)
from jlpr.errors import JlprError, WeightsNotFoundError

if TYPE_CHECKING:
    from jlpr.image import ImageInput
    from jlpr.reader import PlateReader, ReadResult
    from jlpr.types import Plate

__all__ = ["main"]

PROG = "jlpr"
WEIGHTS_ENV_VAR = "JLPR_WEIGHTS"
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

# Commands provided by other parts of jlpr, registered only when their module is installed.
_PLUGIN_COMMANDS = {
    "synth": "jlpr.synth.cli",
    "train": "jlpr.training.cli",
    "eval": "jlpr.evaluation.cli",
}

_DESCRIPTION = """\
Read Japanese vehicle licence plates: region name, classification number, kana and
designation number (品川 330 さ 12-34), with a confidence for each plate."""

_EPILOG = f"""\
examples:
  jlpr read car.jpg                        every plate in car.jpg, best first
  jlpr read photos/*.jpg --json > out.jsonl
  jlpr read car.jpg --draw annotated/      also write annotated/car.jpg
  jlpr read car.jpg --weights my-reader/   use a reader saved with save_pretrained()
  jlpr recognize crops/*.png               one plate per cropped plate image

weights:
  The reader shipped inside jlpr is used unless --weights DIR (or ${WEIGHTS_ENV_VAR}) names a
  directory written by PlateReader.save_pretrained(). Nothing is ever downloaded.

exit status:
  0  every input was read (finding no plate in an image is not an error)
  1  some input could not be read (one "jlpr: error:" line each on stderr; the other
     inputs are still processed), or the weights could not be loaded
  2  bad command line

Run "jlpr COMMAND --help" for the output format of each command."""

_OUTPUT_HELP = """\
output:
  One line per plate, tab-separated:
    FILE        the input as given on the command line
    TEXT        the plate, e.g. 品川 330 さ 12-34 (・・12 for short numbers; ? marks a
                field that could not be read)
    CONFIDENCE  how sure the reader is of the whole plate (0..1), a cautious estimate
                of the probability that it is read right
  {extra}
  --json writes one JSON object per input instead (JSON Lines, UTF-8):
    {json_shape}
  "error" is null for inputs that were read and the error message otherwise."""

_READ_EPILOG = (
    _OUTPUT_HELP.format(
        extra="Images without a plate print nothing; plates come best first.",
        json_shape='{"file": "car.jpg", "plates": [PLATE, ...], "error": null}',
    )
    + """
  PLATE is Plate.to_dict(): text, office, classification, kana, designation, scheme,
  usage, confidence, box, corners (TL, TR, BR, BL in image pixels), per-field readings.

examples:
  jlpr read car.jpg
  jlpr read *.jpg --json --min-confidence 0.8
  jlpr read 4k/*.jpg --min-scale 0         one pass per image: fast, misses small plates
  jlpr read car.jpg --draw out/            writes out/car.jpg with the plates outlined
  jlpr read garage.jpg --rotations 0,90,270  also plates turned a quarter turn
  jlpr read - < car.jpg                    read the image from standard input"""
)

_RECOGNIZE_EPILOG = (
    _OUTPUT_HELP.format(
        extra="Every readable crop prints exactly one line.",
        json_shape='{"file": "crop.png", "plate": PLATE, "error": null}',
    )
    + """

examples:
  jlpr recognize crop.png
  jlpr recognize crops/*.png --json"""
)


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps examples as written and command names on one line with their help."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32)


@dataclass(frozen=True)
class _Input:
    name: str
    """The input as given on the command line (``-`` for standard input)."""
    source: ImageInput


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``jlpr`` command with ``argv`` (default: ``sys.argv[1:]``); return the status."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors; main() returns instead
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE if exc.code else EXIT_OK
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except JlprError as exc:
        _error(str(exc))
        return EXIT_FAILURE
    except BrokenPipeError:
        # The reader of our output went away (``jlpr read ... | head``): stop quietly.
        _silence_stdout()
        return EXIT_FAILURE


# -- parser ------------------------------------------------------------------------------------


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    commands.required = True

    read = commands.add_parser(
        "read",
        help="find and read every plate in whole images",
        description="Find and read every plate in each IMAGE.",
        epilog=_READ_EPILOG,
        formatter_class=_HelpFormatter,
    )
    read.add_argument("images", nargs="+", metavar="IMAGE", help="image files ('-' for stdin)")
    _add_common_options(read)
    read.add_argument(
        "--min-confidence",
        type=probability,
        default=None,
        metavar="X",
        help="drop plates read with a confidence below X, 0..1 (default: the reader's own, "
        "usually 0.5)",
    )
    add_search_options(read)
    _add_rotations_option(read)
    read.add_argument(
        "--draw",
        type=Path,
        metavar="OUT_DIR",
        help="also write each image with its plates outlined to OUT_DIR/<name>.jpg",
    )
    read.add_argument(
        "--batch-size",
        type=positive_int,
        default=8,
        metavar="N",
        help="images decoded and read together (more is faster on a GPU, uses more memory)",
    )
    read.set_defaults(handler=_run_read)

    recognize = commands.add_parser(
        "recognize",
        help="read one plate from each cropped plate image",
        description="Read the one plate that each CROP shows (a tight or loose crop).",
        epilog=_RECOGNIZE_EPILOG,
        formatter_class=_HelpFormatter,
    )
    recognize.add_argument(
        "crops", nargs="+", metavar="CROP", help="plate image files ('-' for stdin)"
    )
    recognize.add_argument(
        "--locate",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="look for the plate inside each crop with the localizer first (default: only "
        "when the rectifier cannot find corners itself; use it when the plate is small)",
    )
    _add_rotations_option(recognize)
    _add_common_options(recognize)
    recognize.set_defaults(handler=_run_recognize)

    for name, module_name in _PLUGIN_COMMANDS.items():
        _register_plugin(commands, name, module_name)
    return parser


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="write JSON Lines (see below)")
    parser.add_argument(
        "--weights",
        type=Path,
        default=os.environ.get(WEIGHTS_ENV_VAR) or None,
        metavar="DIR",
        help=f"reader saved with save_pretrained() (default: ${WEIGHTS_ENV_VAR}, else the "
        f"weights shipped with jlpr)",
    )
    parser.add_argument(
        "--device", default="cpu", help="torch device: cpu, cuda, cuda:1, mps (default: cpu)"
    )
    parser.add_argument(
        "--max-pixels",
        type=positive_int,
        default=None,
        metavar="N",
        help="refuse images with more than N pixels (default: the reader's own, usually 50 "
        "million)",
    )


def _add_rotations_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rotations",
        type=rotations,
        default=None,
        metavar="TURNS",
        help="look at each image turned by each of these angles, degrees counter-clockwise "
        "from 0, 90, 180, 270 (default: the reader's own, usually 0 alone; '0,90,270' also "
        "finds plates turned a quarter turn either way, for up to three times the time)",
    )


def _register_plugin(commands: Any, name: str, module_name: str) -> None:
    try:
        installed = importlib.util.find_spec(module_name) is not None
    except ImportError:
        installed = False
    if not installed:
        return
    try:
        importlib.import_module(module_name).register(commands)
    except Exception as exc:
        # A broken optional command must not take `jlpr read` down with it.
        reason = f"{type(exc).__name__}: {exc}"
        # prefix_chars="+" lets every argument, options included, land in `rest` unparsed.
        broken = commands.add_parser(
            name, help=f"(unavailable: {reason})", add_help=False, prefix_chars="+"
        )
        broken.add_argument("rest", nargs=argparse.REMAINDER)
        broken.set_defaults(handler=lambda _args: _unavailable(name, reason))


def _unavailable(name: str, reason: str) -> int:
    _error(f"the {name} command is unavailable: {reason}")
    return EXIT_FAILURE


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("jlpr")
    except PackageNotFoundError:
        import jlpr

        return jlpr.__version__


# -- commands ----------------------------------------------------------------------------------


def _run_read(args: argparse.Namespace) -> int:
    reader = _load_reader(args, min_confidence=args.min_confidence, rotations=args.rotations)
    set_search_options(reader, args)
    drawer = _Drawer(args.draw, reader.max_pixels) if args.draw is not None else None
    failed = False
    for item, result in _read_all(reader, _inputs(args.images), args.batch_size):
        message = _describe_error(item, result.error) if result.error else None
        if message is not None:
            failed = True
            _error(message)
        if args.json:
            plates = [plate.to_dict() for plate in result.plates]
            _emit_json({"file": item.name, "plates": plates, "error": message})
        else:
            for plate in result.plates:
                _emit_line(item.name, plate)
        if drawer is not None and message is None:
            failed |= not drawer.draw(item, result.plates)
    return EXIT_FAILURE if failed else EXIT_OK


def _run_recognize(args: argparse.Namespace) -> int:
    reader = _load_reader(args, rotations=args.rotations)
    failed = False
    for item in _inputs(args.crops):
        plate: Plate | None = None
        message: str | None = None
        try:
            plate = reader.recognize(item.source, locate=args.locate)
        except JlprError as exc:
            message = _describe_error(item, exc)
        except Exception as exc:
            message = _describe_unexpected(item.name, exc)
        if message is not None:
            failed = True
            _error(message)
        if args.json:
            data = plate.to_dict() if plate is not None else None
            _emit_json({"file": item.name, "plate": data, "error": message})
        elif plate is not None:
            _emit_line(item.name, plate)
    return EXIT_FAILURE if failed else EXIT_OK


def _load_reader(args: argparse.Namespace, **settings: Any) -> PlateReader:
    from jlpr.reader import PlateReader

    options = {key: value for key, value in settings.items() if value is not None}
    if args.max_pixels is not None:
        options["max_pixels"] = args.max_pixels
    try:
        return PlateReader.from_pretrained(args.weights, device=args.device, **options)
    except WeightsNotFoundError as exc:
        if args.weights is not None:
            raise
        raise WeightsNotFoundError(
            f"{exc}; on the command line: --weights DIR, or set ${WEIGHTS_ENV_VAR}"
        ) from exc


def _inputs(names: Sequence[str]) -> list[_Input]:
    # Standard input is read once, however often "-" is given.
    stdin_data: bytes | None = None
    items = []
    for name in names:
        if name == "-":
            if stdin_data is None:
                stdin_data = sys.stdin.buffer.read()
            items.append(_Input(name, stdin_data))
        else:
            items.append(_Input(name, name))
    return items


def _read_all(
    reader: PlateReader, items: Sequence[_Input], batch_size: int
) -> Iterator[tuple[_Input, ReadResult]]:
    """Read ``items`` in batches; an unexpected failure only costs the input that caused it."""
    from jlpr.reader import ReadResult

    for start in range(0, len(items), batch_size):
        batch = items[start : start + batch_size]
        try:
            results = reader.read_batch([item.source for item in batch])
        except Exception:
            results = []
            for item in batch:
                try:
                    results.extend(reader.read_batch([item.source]))
                except Exception as exc:
                    error = JlprError(_describe_unexpected(item.name, exc))
                    results.append(ReadResult(item.name, (), error))
        yield from zip(batch, results, strict=True)


class _Drawer:
    """Writes annotated copies of the inputs to one folder, never overwriting its own output."""

    def __init__(self, directory: Path, max_pixels: int) -> None:
        self.directory = directory
        self.max_pixels = max_pixels
        self.used: set[str] = set()

    def draw(self, item: _Input, plates: Sequence[Plate]) -> bool:
        """Draw one image; report a failure on stderr and return False."""
        from jlpr.draw import draw_plates
        from jlpr.image import load_image

        target = self.directory / self._name(item.name)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            image = load_image(item.source, max_pixels=self.max_pixels)
            draw_plates(image, plates).save(target, quality=90)
        except JlprError as exc:
            _error(_describe_error(item, exc))
            return False
        except OSError as exc:
            _error(f"{item.name}: cannot write {target} ({exc.strerror or exc})")
            return False
        except Exception as exc:
            _error(_describe_unexpected(item.name, exc))
            return False
        return True

    def _name(self, source_name: str) -> str:
        stem = "stdin" if source_name == "-" else Path(source_name).stem or "image"
        name, counter = f"{stem}.jpg", 1
        while name in self.used:
            name, counter = f"{stem}-{counter}.jpg", counter + 1
        self.used.add(name)
        return name


# -- output ------------------------------------------------------------------------------------


def _emit_line(name: str, plate: Plate) -> None:
    print(f"{name}\t{plate.text}\t{plate.confidence:.3f}")


def _emit_json(record: dict[str, Any]) -> None:
    print(json.dumps(record, ensure_ascii=False))


def _describe_error(item: _Input, error: BaseException) -> str:
    """``NAME: message``, naming the input as the user wrote it (``-``, not ``<bytes: 99>``)."""
    from jlpr.image import describe_source

    message = str(error)
    for prefix in (f"{item.name}: ", f"{describe_source(item.source)}: "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
            break
    return f"{item.name}: {message}"


def _describe_unexpected(name: str, error: Exception) -> str:
    return f"{name}: unexpected error ({type(error).__name__}: {error})"


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    raise SystemExit(main())
