"""Turn whatever the user has into the one image type jlpr works on.

:func:`load_image` accepts a file path, the bytes of an encoded image file, a PIL image or a
numpy array, and returns a C-contiguous ``(H, W, 3)`` ``uint8`` **RGB** array. Every input it
cannot use raises an :class:`~jlpr.errors.ImageError` subclass whose message names the input
and says what to do; every input it can use is converted as documented below, never guessed.

Conversions
-----------

=============================================  ==============================================
Input                                          Result
=============================================  ==============================================
EXIF orientation tag (file, bytes or PIL)      rotated/flipped upright (``exif_transpose``)
grayscale (PIL ``1``, ``L``; array ``(H, W)``  gray value copied to R, G and B
or ``(H, W, 1)``)
16-bit (PIL ``I;16*``, ``I``; ``uint16``       scaled to 8 bits: ``value >> 8`` (PIL ``I`` is
arrays)                                        read as 0..65535, values outside are clipped)
alpha (PIL ``RGBA``, ``LA``, ``PA``, ``P`` or  composited over WHITE, then alpha dropped
``L``/``RGB`` with a transparent colour;
array ``(H, W, 4)``)
PIL ``P``, ``CMYK``, ``YCbCr``, ``RGBX``, ...  converted to RGB by Pillow (no ICC colour
                                               management)
animated GIF/WebP/PNG file or bytes            the first frame (a PIL image: its current
                                               frame)
``(H, W, 3)`` ``uint8`` array                  used as is, copied only when not C-contiguous,
                                               so the result may share memory with the input
=============================================  ==============================================

Arrays are taken to be **RGB**. OpenCV's ``cv2.imread`` returns **BGR**: pass
``image[:, :, ::-1]`` or ``cv2.cvtColor(image, cv2.COLOR_BGR2RGB)``, or red and blue plates
and lettering will be read with swapped colours.

Transparency is composited over white because a plate is opaque: an alpha channel almost
always comes from a screenshot or a PNG export whose transparent margin is background, and a
white margin looks like the light surround of most plates rather than like a black frame.

Refused (typed errors, nothing converted): missing files, directories, files that are not
images, truncated or corrupt files, images with more than ``max_pixels`` pixels (checked from
the header before decoding, which also stops decompression bombs), float, bool and signed or
wide integer arrays, 32-bit float PIL images (mode ``F``), arrays that are empty, 1-D or
batched (4-D), arrays with 2 or more than 4 channels, images smaller than
:data:`MIN_IMAGE_SIDE` pixels a side, and any other type of object.
"""

from __future__ import annotations

import io
import os
import sys
import warnings
from typing import IO, Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps, UnidentifiedImageError

from jlpr.errors import ImageError, ImageTooLargeError, UnsupportedImageError
from jlpr.interfaces import ImageArray

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "MIN_IMAGE_SIDE",
    "ImageInput",
    "describe_source",
    "load_image",
]

ImageInput: TypeAlias = (
    str | os.PathLike[str] | bytes | bytearray | memoryview | Image.Image | npt.NDArray[Any]
)
"""What :func:`load_image` (and so every reader method) accepts as one image."""

DEFAULT_MAX_PIXELS = 50_000_000
"""Largest image, in pixels, that is decoded unless the caller allows more.

50 megapixels holds every ordinary camera and phone photo (a 50 MP phone sensor gives
8160 x 6120 = 49.9 M) and keeps a decoded image under 150 MB. It is below Pillow's own
decompression-bomb warning (about 89.5 M), so by default jlpr's limit is the one that speaks.
"""

MIN_IMAGE_SIDE = 8
"""Smallest width and height, in pixels, of an image that can hold a readable plate."""

_ACCEPTED_TYPES = (
    "a file path (str or os.PathLike), the bytes of an image file, a PIL.Image.Image, "
    "or a numpy (H, W, 3) uint8 RGB array"
)
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})


def describe_source(source: object) -> str:
    """A short, human-readable name for an image input, for messages and batch results.

    A path gives the path as written; other inputs give a summary such as ``<bytes: 1234>``,
    ``<PIL image 640x480 RGB>`` or ``<array (480, 640, 3) uint8>``.
    """
    if isinstance(source, str):
        return source
    if isinstance(source, os.PathLike):
        return os.fsdecode(os.fspath(source))
    if isinstance(source, (bytes, bytearray)):
        return f"<bytes: {len(source)}>"
    if isinstance(source, memoryview):
        return f"<bytes: {source.nbytes}>"
    if isinstance(source, Image.Image):
        return f"<PIL image {source.width}x{source.height} {source.mode}>"
    if isinstance(source, np.ndarray):
        return f"<array {source.shape} {source.dtype}>"
    return f"<{type(source).__name__}>"


def load_image(source: ImageInput, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageArray:
    """Load one image as a C-contiguous ``(H, W, 3)`` ``uint8`` RGB array.

    ``source`` is a path to an image file, the bytes of an encoded image file (``bytes``,
    ``bytearray`` or ``memoryview``), a PIL image, or a numpy array (RGB, not BGR; see the
    module documentation for every conversion applied).

    Images with more than ``max_pixels`` pixels are refused before they are decoded; pass a
    larger ``max_pixels`` to read them.

    Raises:
        ImageError: the file is missing, a directory, not an image, truncated or corrupt.
        ImageTooLargeError: the image has more than ``max_pixels`` pixels, or Pillow flags it
            as a decompression bomb.
        UnsupportedImageError: the array or image has a shape, dtype or mode jlpr does not
            convert, is too small, or ``source`` is not one of the accepted types.
    """
    name = describe_source(source)
    if isinstance(source, np.ndarray):
        return _array_to_rgb(source, name, max_pixels)
    if isinstance(source, Image.Image):
        return _pil_to_rgb(source, name, max_pixels, from_file=False)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if not data:
            raise ImageError(f"{name}: empty bytes; pass the contents of an image file")
        return _open_and_convert(io.BytesIO(data), name, max_pixels, is_bytes=True)
    if isinstance(source, (str, os.PathLike)):
        path = os.fsdecode(os.fspath(source))
        _check_path(path)
        try:
            file = open(path, "rb")  # noqa: SIM115 - closed in the finally below
        except OSError as exc:
            raise ImageError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
        try:
            return _open_and_convert(file, name, max_pixels, is_bytes=False)
        finally:
            file.close()
    raise UnsupportedImageError(
        f"{name}: cannot read an image from a {type(source).__module__}."
        f"{type(source).__qualname__}; pass {_ACCEPTED_TYPES}"
    )


def _check_path(path: str) -> None:
    if os.path.isdir(path):
        raise ImageError(f"{path}: is a directory; pass the image files inside it")
    if not os.path.exists(path):
        hint = ""
        if "://" in path:
            hint = " (URLs are not downloaded; save the image to a file first)"
        raise ImageError(f"{path}: no such file{hint}")


def _too_large(name: str, width: int, height: int, max_pixels: int) -> ImageTooLargeError:
    return ImageTooLargeError(
        f"{name}: image is {width}x{height} = {width * height:,} pixels, more than the limit "
        f"of {max_pixels:,}; if the image is genuine, allow more pixels "
        f"(load_image(..., max_pixels=N), PlateReader(..., max_pixels=N) or jlpr --max-pixels N) "
        f"or downscale it first"
    )


def _bomb(name: str, exc: Exception) -> ImageTooLargeError:
    return ImageTooLargeError(
        f"{name}: refused as a possible decompression bomb ({exc}); if the image is genuine, "
        f"raise max_pixels and PIL.Image.MAX_IMAGE_PIXELS"
    )


def _pil_open(file: IO[bytes]) -> Image.Image:
    """Pillow's own ``Image.open``, even when ultralytics has replaced it.

    Importing ultralytics (in the user's code, before or after jlpr) swaps ``Image.open`` for
    a wrapper that, on a file Pillow cannot identify, tries to pip-install pi-heif and then
    raises another error; jlpr installs nothing and reports such files as not images.
    """
    patches = sys.modules.get("ultralytics.utils.patches")
    opener = getattr(patches, "_image_open", None) if patches is not None else None
    return (opener if callable(opener) else Image.open)(file)


def _open_and_convert(file: IO[bytes], name: str, max_pixels: int, *, is_bytes: bool) -> ImageArray:
    # Pillow warns (and at twice its limit, raises) about decompression bombs while reading the
    # header. When the caller allows more pixels than Pillow does, the caller's limit rules.
    bomb_action: Literal["error", "ignore"] = (
        "error" if max_pixels <= (Image.MAX_IMAGE_PIXELS or 0) else "ignore"
    )
    with warnings.catch_warnings():
        warnings.simplefilter(bomb_action, Image.DecompressionBombWarning)
        try:
            image = _pil_open(file)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb(name, exc) from exc
        except UnidentifiedImageError as exc:
            hint = (
                " (bytes are read as the contents of an image file; pass a str to read a path)"
                if is_bytes
                else ""
            )
            raise ImageError(f"{name}: not an image (cannot identify image file){hint}") from exc
        except Exception as exc:
            raise ImageError(
                f"{name}: truncated or corrupt image file (cannot read its header: {exc}); "
                f"re-export or re-download the image"
            ) from exc
        with image:
            return _pil_to_rgb(image, name, max_pixels, from_file=True)


def _pil_to_rgb(image: Image.Image, name: str, max_pixels: int, *, from_file: bool) -> ImageArray:
    width, height = image.size
    if width * height > max_pixels:
        raise _too_large(name, width, height, max_pixels)
    _check_min_side(name, width, height)
    try:
        # Image.open is lazy: decoding happens here, so truncation and corruption surface here.
        image.load()
        upright = ImageOps.exif_transpose(image)
        rgb = _convert_mode(upright if upright is not None else image, name)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Some formats (multi-image TIFF, ICO) learn their real size only while loading.
        raise _bomb(name, exc) from exc
    except Exception as exc:
        what = "truncated or corrupt image file" if from_file else "cannot decode PIL image"
        raise ImageError(f"{name}: {what} ({exc}); re-export or re-download the image") from exc
    return rgb


def _convert_mode(image: Image.Image, name: str) -> ImageArray:
    mode = image.mode
    if mode == "RGB" and "transparency" not in image.info:
        return np.array(image, dtype=np.uint8, order="C")
    if mode in _SIXTEEN_BIT_MODES or mode == "I":
        values = np.array(image).astype(np.int64)
        gray = (np.clip(values, 0, 65535) >> 8).astype(np.uint8)
        return _gray_to_rgb(gray)
    if mode == "F":
        raise UnsupportedImageError(
            f"{name}: 32-bit float images (PIL mode F) have no fixed value range; convert to "
            f"8 bits first, e.g. image.point(lambda v: v * 255).convert('L') for values in "
            f"[0, 1]"
        )
    if mode in _ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return np.array(Image.alpha_composite(background, rgba).convert("RGB"), order="C")
    try:
        converted = image.convert("RGB")
    except ValueError as exc:
        raise UnsupportedImageError(
            f"{name}: cannot convert PIL mode {mode} to RGB ({exc}); convert the image to RGB first"
        ) from exc
    return np.array(converted, dtype=np.uint8, order="C")


def _array_to_rgb(array: npt.NDArray[Any], name: str, max_pixels: int) -> ImageArray:
    pixels = _array_to_uint8(array, name)
    if pixels.ndim == 2:
        pixels = pixels[:, :, np.newaxis]
    if pixels.ndim != 3:
        raise UnsupportedImageError(
            f"{name}: expected one image of shape (H, W, 3), (H, W, 4) or (H, W), got "
            f"{pixels.ndim} dimensions; pass one image (for several, use read_batch)"
        )
    height, width, channels = pixels.shape
    if height == 0 or width == 0:
        raise UnsupportedImageError(f"{name}: the array is empty (height or width is 0)")
    if channels not in (1, 3, 4):
        hint = " (channels-first? use array.transpose(1, 2, 0))" if height in (1, 3, 4) else ""
        raise UnsupportedImageError(
            f"{name}: {channels} channels; expected 1 (gray), 3 (RGB) or 4 (RGBA) in the last "
            f"axis{hint}"
        )
    if height * width > max_pixels:
        raise _too_large(name, width, height, max_pixels)
    _check_min_side(name, width, height)
    if channels == 1:
        return _gray_to_rgb(pixels[:, :, 0])
    if channels == 4:
        return _composite_over_white(pixels)
    return np.ascontiguousarray(pixels)


def _array_to_uint8(array: npt.NDArray[Any], name: str) -> npt.NDArray[np.uint8]:
    dtype = array.dtype
    if dtype == np.uint8:
        return array.astype(np.uint8, copy=False)
    if dtype.kind == "u" and dtype.itemsize == 2:
        return (array >> 8).astype(np.uint8)
    if dtype.kind == "f":
        raise UnsupportedImageError(
            f"{name}: float arrays are not accepted because their value range is ambiguous; "
            f"for values in [0, 1] pass (image * 255).round().astype(np.uint8), for values in "
            f"[0, 255] pass image.round().astype(np.uint8)"
        )
    if dtype.kind == "b":
        raise UnsupportedImageError(
            f"{name}: boolean arrays are masks, not photos; if you mean black and white, pass "
            f"image.astype(np.uint8) * 255"
        )
    if dtype.kind in "iu":
        raise UnsupportedImageError(
            f"{name}: dtype {dtype} is not accepted; pass uint8 (or uint16) values, e.g. "
            f"np.clip(image, 0, 255).astype(np.uint8) if the values are 0..255"
        )
    raise UnsupportedImageError(
        f"{name}: dtype {dtype} is not an image dtype; pass a uint8 (H, W, 3) RGB array"
    )


def _check_min_side(name: str, width: int, height: int) -> None:
    if width < MIN_IMAGE_SIDE or height < MIN_IMAGE_SIDE:
        raise UnsupportedImageError(
            f"{name}: image is {width}x{height} pixels, too small to hold a plate (at least "
            f"{MIN_IMAGE_SIDE} pixels a side are needed)"
        )


def _gray_to_rgb(gray: npt.NDArray[np.uint8]) -> ImageArray:
    return np.ascontiguousarray(np.repeat(gray[:, :, np.newaxis], 3, axis=2))


def _composite_over_white(rgba: npt.NDArray[np.uint8]) -> ImageArray:
    color = rgba[:, :, :3].astype(np.uint32)
    alpha = rgba[:, :, 3:4].astype(np.uint32)
    blended = (color * alpha + 255 * (255 - alpha) + 127) // 255
    return np.ascontiguousarray(blended.astype(np.uint8))
