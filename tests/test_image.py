"""load_image: every accepted input converts as documented; every bad one gets a typed error."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image, ImageFile

from jlpr.errors import ImageError, ImageTooLargeError, JlprError, UnsupportedImageError
from jlpr.image import DEFAULT_MAX_PIXELS, MIN_IMAGE_SIDE, describe_source, load_image

RED = (255, 0, 0)
BLUE = (0, 0, 255)


def random_rgb(height: int = 48, width: int = 64, seed: int = 0) -> npt.NDArray[np.uint8]:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def encode(image: Image.Image, fmt: str, **params: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def one_bit_png(width: int, height: int, idat: bytes | None = None) -> bytes:
    """A black 1-bit PNG, written by hand so that no pixel buffer is ever allocated."""
    if idat is None:
        compressor = zlib.compressobj(9)
        row = b"\0" * (1 + (width + 7) // 8)
        idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# -- the result type ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["str", "path", "bytes", "bytearray", "memoryview", "pil"])
def test_every_input_type_gives_the_same_contiguous_uint8_rgb_array(
    tmp_path: Path, kind: str
) -> None:
    pixels = random_rgb()
    data = encode(Image.fromarray(pixels), "PNG")
    path = write(tmp_path / "car.png", data)
    source: Any = {
        "str": str(path),
        "path": path,
        "bytes": data,
        "bytearray": bytearray(data),
        "memoryview": memoryview(data),
        "pil": Image.open(path),
    }[kind]
    result = load_image(source)
    assert result.dtype == np.uint8
    assert result.shape == (48, 64, 3)
    assert result.flags.c_contiguous
    np.testing.assert_array_equal(result, pixels)


def test_loading_leaves_pillows_truncated_image_mode_off(tmp_path: Path) -> None:
    data = encode(Image.fromarray(random_rgb()), "JPEG")
    load_image(write(tmp_path / "car.jpg", data))
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


# -- files that cannot be read -----------------------------------------------------------------


def test_missing_file_is_an_image_error_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.jpg"
    with pytest.raises(ImageError, match="no such file") as info:
        load_image(missing)
    assert str(missing) in str(info.value)


def test_url_is_not_downloaded_and_the_message_says_so() -> None:
    with pytest.raises(ImageError, match="URLs are not downloaded"):
        load_image("https://example.com/car.jpg")


def test_directory_is_an_image_error_suggesting_its_files(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="is a directory") as info:
        load_image(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_text_file_is_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a picture\n", encoding="utf-8")
    with pytest.raises(ImageError, match="not an image") as info:
        load_image(path)
    assert str(path) in str(info.value)


def test_a_text_file_is_not_an_image_even_after_ultralytics_patched_pillow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Importing ultralytics replaces Image.open with a wrapper that, on an unidentifiable
    # file, tries to install pi-heif and raises something else; a user may import it
    # before or after jlpr, and jlpr's own localizer is not always in use.
    patches = pytest.importorskip("ultralytics.utils.patches")
    monkeypatch.setattr(Image, "open", patches.image_open)
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a picture\n", encoding="utf-8")
    with pytest.raises(ImageError, match="not an image"):
        load_image(path)
    ok = write(tmp_path / "ok.png", encode(Image.fromarray(random_rgb()), "PNG"))
    assert load_image(ok).shape[2] == 3


def test_random_bytes_file_is_not_an_image(tmp_path: Path) -> None:
    path = write(tmp_path / "noise.png", np.random.default_rng(1).bytes(4096))
    with pytest.raises(ImageError, match="not an image") as info:
        load_image(path)
    assert str(path) in str(info.value)


def test_random_bytes_are_not_an_image_and_the_message_explains_bytes_versus_paths() -> None:
    with pytest.raises(ImageError, match="pass a str to read a path"):
        load_image(b"/home/me/car.jpg")


def test_empty_bytes_are_an_image_error() -> None:
    with pytest.raises(ImageError, match="empty bytes"):
        load_image(b"")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_file_is_an_image_error_naming_the_file(tmp_path: Path, fmt: str) -> None:
    data = encode(Image.fromarray(random_rgb(96, 128)), fmt)
    path = write(tmp_path / f"cut.{fmt.lower()}", data[: len(data) // 2])
    with pytest.raises(ImageError, match="truncated or corrupt") as info:
        load_image(path)
    assert str(path) in str(info.value)
    assert not isinstance(info.value, UnsupportedImageError)


def test_file_cut_inside_its_header_is_a_truncated_image_error(tmp_path: Path) -> None:
    data = encode(Image.fromarray(random_rgb()), "JPEG")
    with pytest.raises(ImageError, match="truncated or corrupt"):
        load_image(write(tmp_path / "stub.jpg", data[:100]))


def test_lazily_opened_truncated_pil_image_is_an_image_error(tmp_path: Path) -> None:
    data = encode(Image.fromarray(random_rgb(96, 128)), "PNG")
    image = Image.open(io.BytesIO(data[: len(data) // 2]))
    with pytest.raises(ImageError, match="PIL image"):
        load_image(image)


# -- size limits -------------------------------------------------------------------------------


def test_decompression_bomb_is_refused_as_too_large(tmp_path: Path) -> None:
    bomb = one_bit_png(20_000, 20_000)
    assert len(bomb) < 100_000
    path = write(tmp_path / "bomb.png", bomb)
    with pytest.raises(ImageTooLargeError) as info:
        load_image(path)
    assert str(path) in str(info.value)
    assert "400,000,000" in str(info.value) or "400000000" in str(info.value)


def test_image_over_max_pixels_is_refused_with_its_size_the_limit_and_the_fix(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "big.png", encode(Image.fromarray(random_rgb(100, 100)), "PNG"))
    with pytest.raises(ImageTooLargeError) as info:
        load_image(path, max_pixels=5_000)
    message = str(info.value)
    assert "10,000" in message and "5,000" in message
    assert "max_pixels" in message


def test_max_pixels_is_checked_from_the_header_before_decoding(tmp_path: Path) -> None:
    # The pixel data is garbage: decoding would fail, so refusing proves no decoding happened.
    path = write(tmp_path / "huge.png", one_bit_png(4_000, 4_000, idat=b"garbage"))
    with pytest.raises(ImageTooLargeError, match="16,000,000"):
        load_image(path, max_pixels=1_000_000)


def test_image_at_max_pixels_is_read(tmp_path: Path) -> None:
    path = write(tmp_path / "ok.png", encode(Image.fromarray(random_rgb(100, 100)), "PNG"))
    assert load_image(path, max_pixels=10_000).shape == (100, 100, 3)


def test_default_limit_is_below_pillows_bomb_warning() -> None:
    assert (Image.MAX_IMAGE_PIXELS or DEFAULT_MAX_PIXELS) >= DEFAULT_MAX_PIXELS


def test_pillows_bomb_warning_is_an_error_when_the_limit_is_pillows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 5_000)
    path = write(tmp_path / "warn.png", encode(Image.fromarray(random_rgb(80, 80)), "PNG"))
    with pytest.raises(ImageTooLargeError, match="decompression bomb") as info:
        load_image(path, max_pixels=5_000)
    assert "MAX_IMAGE_PIXELS" in str(info.value)


def test_a_higher_max_pixels_overrides_pillows_bomb_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 5_000)
    path = write(tmp_path / "warn.png", encode(Image.fromarray(random_rgb(80, 80)), "PNG"))
    assert load_image(path, max_pixels=10_000).shape == (80, 80, 3)


def test_pil_image_over_max_pixels_is_refused() -> None:
    with pytest.raises(ImageTooLargeError):
        load_image(Image.new("RGB", (100, 100)), max_pixels=9_999)


def test_array_over_max_pixels_is_refused() -> None:
    with pytest.raises(ImageTooLargeError, match="max_pixels"):
        load_image(random_rgb(100, 100), max_pixels=9_999)


# -- documented conversions of files and PIL images --------------------------------------------


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    stored = np.zeros((20, 40, 3), dtype=np.uint8)
    stored[:, :20] = RED
    stored[:, 20:] = BLUE
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = write(tmp_path / "phone.jpg", encode(Image.fromarray(stored), "JPEG", exif=exif))
    result = load_image(path)
    assert result.shape == (40, 20, 3)
    top, bottom = result[:15].mean(axis=(0, 1)), result[25:].mean(axis=(0, 1))
    assert top[0] > 200 and top[2] < 60, "the stored left (red) half must end up on top"
    assert bottom[2] > 200 and bottom[0] < 60


@pytest.mark.parametrize("mode", ["L", "1"])
def test_grayscale_png_is_replicated_to_three_channels(tmp_path: Path, mode: str) -> None:
    gray = np.random.default_rng(2).integers(0, 256, (30, 40), dtype=np.uint8)
    image = Image.fromarray(gray).convert(mode)
    result = load_image(write(tmp_path / "gray.png", encode(image, "PNG")))
    expected = np.asarray(image.convert("L"))
    for channel in range(3):
        np.testing.assert_array_equal(result[:, :, channel], expected)


def test_sixteen_bit_png_is_scaled_to_eight_bits(tmp_path: Path) -> None:
    deep = np.random.default_rng(3).integers(0, 65536, (30, 40)).astype(np.uint16)
    path = write(tmp_path / "deep.png", encode(Image.fromarray(deep), "PNG"))
    result = load_image(path)
    np.testing.assert_array_equal(result[:, :, 1], (deep >> 8).astype(np.uint8))


def test_pil_mode_i_is_read_as_sixteen_bit_and_clipped() -> None:
    values = np.full((10, 10), 65535, dtype=np.int32)
    values[0, 0] = 32768
    values[0, 1] = -5
    values[0, 2] = 1_000_000
    result = load_image(Image.fromarray(values, mode="I"))
    assert result[0, 0, 0] == 128
    assert result[0, 1, 0] == 0
    assert result[0, 2, 0] == 255
    assert result[5, 5, 0] == 255


def test_float_pil_image_is_unsupported_with_a_conversion_hint() -> None:
    image = Image.fromarray(np.ones((10, 10), dtype=np.float32), mode="F")
    with pytest.raises(UnsupportedImageError, match="convert to 8 bits"):
        load_image(image)


def test_rgba_png_is_composited_over_white(tmp_path: Path) -> None:
    rgba = np.zeros((10, 10, 4), dtype=np.uint8)
    rgba[:, :, :3] = RED
    rgba[0, :, 3] = 0
    rgba[1, :, 3] = 255
    rgba[2, :, 3] = 128
    result = load_image(write(tmp_path / "shot.png", encode(Image.fromarray(rgba), "PNG")))
    assert tuple(result[0, 0]) == (255, 255, 255)
    assert tuple(result[1, 0]) == RED
    assert tuple(result[2, 0]) == (255, 127, 127)


def test_gray_alpha_png_is_composited_over_white(tmp_path: Path) -> None:
    image = Image.new("LA", (10, 10), (0, 0))
    result = load_image(write(tmp_path / "la.png", encode(image, "PNG")))
    assert (result == 255).all()


def test_palette_png_is_converted_to_its_colours(tmp_path: Path) -> None:
    pixels = np.zeros((10, 10, 3), dtype=np.uint8)
    pixels[:, 5:] = BLUE
    image = Image.fromarray(pixels).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    result = load_image(write(tmp_path / "pal.png", encode(image, "PNG")))
    np.testing.assert_array_equal(result, pixels)


def test_palette_png_with_a_transparent_index_is_composited_over_white(tmp_path: Path) -> None:
    image = Image.new("P", (10, 10), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * (254 * 3))
    image.putpixel((0, 0), 1)
    path = write(tmp_path / "pal.png", encode(image, "PNG", transparency=0))
    result = load_image(path)
    assert tuple(result[0, 0]) == RED
    assert tuple(result[5, 5]) == (255, 255, 255)


def test_cmyk_jpeg_is_converted_to_rgb(tmp_path: Path) -> None:
    pixels = np.zeros((32, 32, 3), dtype=np.uint8)
    pixels[:, :16] = RED
    pixels[:, 16:] = BLUE
    cmyk = Image.fromarray(pixels).convert("CMYK")
    path = write(tmp_path / "print.jpg", encode(cmyk, "JPEG", quality=95))
    assert Image.open(path).mode == "CMYK"
    result = load_image(path)
    assert np.abs(result.astype(int) - pixels.astype(int)).mean() < 12


def test_ycbcr_pil_image_is_converted_to_rgb() -> None:
    pixels = random_rgb()
    result = load_image(Image.fromarray(pixels).convert("YCbCr"))
    assert np.abs(result.astype(int) - pixels.astype(int)).mean() < 3


def test_animated_gif_gives_its_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (16, 16), colour) for colour in (RED, BLUE)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert getattr(Image.open(path), "n_frames", 1) == 2
    result = load_image(path)
    assert tuple(result[8, 8]) == RED


def test_tiny_image_file_is_unsupported(tmp_path: Path) -> None:
    path = write(tmp_path / "dot.png", encode(Image.new("RGB", (4, 20)), "PNG"))
    with pytest.raises(UnsupportedImageError, match="too small") as info:
        load_image(path)
    assert str(path) in str(info.value)


# -- arrays --------------------------------------------------------------------------------------


def test_contiguous_uint8_rgb_array_is_used_without_copying() -> None:
    pixels = random_rgb()
    result = load_image(pixels)
    assert np.shares_memory(result, pixels)
    np.testing.assert_array_equal(result, pixels)


def test_non_contiguous_rgb_array_is_copied_to_a_contiguous_one() -> None:
    pixels = random_rgb(48, 128)
    view = pixels[:, ::2]
    result = load_image(view)
    assert result.flags.c_contiguous
    np.testing.assert_array_equal(result, view)


@pytest.mark.parametrize("shape", [(20, 30), (20, 30, 1)])
def test_gray_array_is_replicated_to_rgb(shape: tuple[int, ...]) -> None:
    gray = np.arange(600, dtype=np.uint16).astype(np.uint8).reshape(shape)
    result = load_image(gray)
    assert result.shape == (20, 30, 3)
    np.testing.assert_array_equal(result[:, :, 2], gray.reshape(20, 30))


def test_rgba_array_is_composited_over_white() -> None:
    rgba = np.zeros((10, 10, 4), dtype=np.uint8)
    rgba[..., :3] = BLUE
    rgba[:5, :, 3] = 255
    result = load_image(rgba)
    assert tuple(result[0, 0]) == BLUE
    assert tuple(result[9, 9]) == (255, 255, 255)


@pytest.mark.parametrize("shape", [(20, 30), (20, 30, 3)])
def test_uint16_array_is_scaled_to_eight_bits(shape: tuple[int, ...]) -> None:
    deep = np.random.default_rng(4).integers(0, 65536, shape).astype(np.uint16)
    result = load_image(deep)
    np.testing.assert_array_equal(result[:, :, 0], (deep >> 8).reshape(20, 30, -1)[:, :, 0])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_array_is_unsupported_and_says_how_to_convert(dtype: type[Any]) -> None:
    with pytest.raises(UnsupportedImageError, match=r"\(image \* 255\)\.round\(\)"):
        load_image(np.zeros((20, 20, 3), dtype=dtype))


def test_bool_array_is_unsupported() -> None:
    with pytest.raises(UnsupportedImageError, match="boolean"):
        load_image(np.zeros((20, 20), dtype=bool))


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint32])
def test_other_integer_arrays_are_unsupported_and_say_how_to_convert(dtype: type[Any]) -> None:
    with pytest.raises(UnsupportedImageError, match="astype"):
        load_image(np.zeros((20, 20, 3), dtype=dtype))


def test_object_array_is_unsupported() -> None:
    with pytest.raises(UnsupportedImageError, match="not an image dtype"):
        load_image(np.empty((20, 20, 3), dtype=object))


@pytest.mark.parametrize("shape", [(0, 20, 3), (20, 0, 3), (0, 0)])
def test_empty_array_is_unsupported(shape: tuple[int, ...]) -> None:
    with pytest.raises(UnsupportedImageError, match="empty"):
        load_image(np.zeros(shape, dtype=np.uint8))


@pytest.mark.parametrize("shape", [(300,), (2, 20, 20, 3), ()])
def test_array_that_is_not_one_image_is_unsupported_and_points_to_read_batch(
    shape: tuple[int, ...],
) -> None:
    with pytest.raises(UnsupportedImageError, match="read_batch"):
        load_image(np.zeros(shape, dtype=np.uint8))


@pytest.mark.parametrize("channels", [2, 5, 6])
def test_array_with_2_or_more_than_4_channels_is_unsupported(channels: int) -> None:
    with pytest.raises(UnsupportedImageError, match=f"{channels} channels"):
        load_image(np.zeros((20, 20, channels), dtype=np.uint8))


def test_channels_first_array_is_unsupported_with_a_transpose_hint() -> None:
    with pytest.raises(UnsupportedImageError, match="transpose"):
        load_image(np.zeros((20, 30, 3), dtype=np.uint8).transpose(2, 0, 1))


def test_array_smaller_than_the_minimum_side_is_unsupported() -> None:
    with pytest.raises(UnsupportedImageError, match="too small"):
        load_image(np.zeros((MIN_IMAGE_SIDE - 1, 100, 3), dtype=np.uint8))


@pytest.mark.parametrize("value", [None, 42, [[0, 0, 0]], {"image": "car.jpg"}, 3.5])
def test_other_objects_are_unsupported_and_the_message_names_the_accepted_types(
    value: Any,
) -> None:
    with pytest.raises(UnsupportedImageError) as info:
        load_image(value)
    message = str(info.value)
    assert "file path" in message and "numpy" in message and "PIL" in message


def test_every_load_error_is_a_jlpr_error() -> None:
    for bad in (None, b"junk", np.zeros(3), "/no/such/file.jpg"):
        with pytest.raises(JlprError):
            load_image(bad)  # type: ignore[arg-type]


# -- describe_source ------------------------------------------------------------------------------


def test_describe_source_names_each_input_briefly(tmp_path: Path) -> None:
    assert describe_source("car.jpg") == "car.jpg"
    assert describe_source(tmp_path / "car.jpg") == str(tmp_path / "car.jpg")
    assert describe_source(b"\0" * 1234) == "<bytes: 1234>"
    assert describe_source(memoryview(b"\0" * 12)) == "<bytes: 12>"
    assert describe_source(Image.new("RGB", (640, 480))) == "<PIL image 640x480 RGB>"
    assert describe_source(np.zeros((480, 640, 3), np.uint8)) == "<array (480, 640, 3) uint8>"
    assert describe_source(42) == "<int>"
