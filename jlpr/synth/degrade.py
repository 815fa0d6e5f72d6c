"""Camera degradations for synthetic plates: pose, optics, light, occlusion and sensor.

Everything random here draws from a :class:`numpy.random.Generator` passed in by the caller
(never a global RNG), so one seed gives the same pixels on every run and in every worker.

The work is split in two steps so that tests and datasets can see what was applied:

1. :func:`sample_pose` and :func:`sample_photometric` draw concrete values (a :class:`Pose`
   and a :class:`PhotometricParams`) from the ranges of a :class:`DegradationConfig`;
2. :func:`warp_view` applies a pose to an image AND its corner labels, and
   :func:`apply_photometric` applies the rest (which moves no point, so labels are unchanged;
   :func:`apply_photometric_traced` also says where an occluder was drawn, so that labels
   can leave out what it hides).

:func:`degrade` runs both steps on any image with a plate quad. The individual operations
(:func:`defocus_blur`, :func:`motion_blur`, :func:`add_noise`, :func:`jpeg_roundtrip`, ...)
are public too. All of them use PIL's C routines or vectorised numpy: degrading a
256 x 128 crop costs about 1-3 ms.

Images are ``(H, W, 3)`` uint8 RGB; points are ``(x, y)`` with ``(0, 0)`` the top-left corner
of the top-left pixel; quads are TL, TR, BR, BL (see :mod:`jlpr.interfaces`).
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from jlpr.geometry import apply_homography
from jlpr.synth.warp import FloatArray, compose, pose_homography, prescale, translation, warp_image

__all__ = [
    "DegradationConfig",
    "Degraded",
    "Occlusion",
    "PhotometricParams",
    "Pose",
    "add_noise",
    "adjust_light",
    "apply_photometric",
    "apply_photometric_traced",
    "cast_shadow",
    "defocus_blur",
    "degrade",
    "jpeg_roundtrip",
    "low_resolution",
    "motion_blur",
    "night",
    "occlude",
    "sample_photometric",
    "sample_pose",
    "sharpen",
    "warp_view",
    "washed_out",
]

Image8 = npt.NDArray[np.uint8]
Range = tuple[float, float]


@dataclass(frozen=True)
class DegradationConfig:
    """Ranges and probabilities of every degradation.

    Angles are in degrees, sizes in pixels of the image the plate appears in, probabilities
    in ``[0, 1]``. ``DegradationConfig()`` is the training default; :meth:`none`,
    :meth:`mild` and :meth:`strong` are presets, and :func:`dataclasses.replace` makes
    variants (``replace(DegradationConfig.mild(), jpeg_prob=1.0)``).
    """

    max_yaw: float = 50.0
    """Largest turn about the vertical axis; drawn with most mass near 0 (see ``angle_power``)."""
    max_pitch: float = 25.0
    """Largest tilt about the horizontal axis."""
    max_roll: float = 8.0
    """Largest in-plane rotation."""
    angle_power: float = 1.6
    """Angles are ``max * sign * u ** angle_power`` with ``u`` uniform: > 1 favours small angles."""
    distance: Range = (2.5, 15.0)
    """Camera distance in plate widths: smaller means stronger keystone for the same angle."""
    plate_width: Range = (50.0, 600.0)
    """Frontal plate width in pixels, drawn log-uniformly (sets how much detail survives)."""

    defocus_prob: float = 0.3
    defocus_sigma: Range = (0.4, 2.2)
    """Gaussian (or box, one time in three) blur radius in pixels at the plate's scale."""
    motion_prob: float = 0.2
    motion_length: Range = (2.0, 9.0)
    """Length of the motion-blur streak in pixels, in a random direction (mostly horizontal)."""
    lowres_prob: float = 0.15
    lowres_factor: Range = (1.3, 3.0)
    """Shrink by this factor and enlarge back (a low-resolution sensor or digital zoom)."""

    exposure_prob: float = 0.6
    gain: Range = (0.55, 1.5)
    gamma: Range = (0.7, 1.5)
    color_cast_prob: float = 0.4
    color_cast: float = 0.12
    """Largest relative change of one channel's gain (white balance error)."""
    tone_prob: float = 0.5
    saturation: Range = (0.5, 1.1)
    """Colour saturation factor: dull cameras, overcast days and haze wash colours out."""
    contrast: Range = (0.6, 1.05)
    """Contrast factor around the image's mean grey (haze, flare, a dirty lens)."""
    shadow_prob: float = 0.2
    shadow_darkness: Range = (0.25, 0.65)
    """Share of light a shadow removes."""
    night_prob: float = 0.08
    occlusion_prob: float = 0.08
    occlusion_fraction: Range = (0.03, 0.2)
    """Share of the plate area an occluder covers."""

    noise_prob: float = 0.6
    noise_sigma: Range = (0.5, 6.0)
    """Read noise, standard deviation in 8-bit levels."""
    shot_noise: Range = (0.0, 0.3)
    """Shot-noise variance per 8-bit level (noise grows with brightness)."""
    jpeg_prob: float = 0.6
    jpeg_quality: tuple[int, int] = (15, 95)
    """JPEG quality range; values near the top are drawn more often than near the bottom."""
    sharpen_prob: float = 0.3
    sharpen_radius: Range = (0.6, 2.0)
    sharpen_amount: Range = (0.5, 2.5)
    """In-camera sharpening (an unsharp mask of this radius in pixels and gain, 1 = 100 %):
    the light halo it draws along dark strokes makes them look thinner, as in video frames."""

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if name.endswith("_prob") and not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
            if isinstance(value, tuple) and value[0] > value[1]:
                raise ValueError(f"{name} must be (low, high) with low <= high, got {value}")
        lo, hi = self.jpeg_quality
        if not 1 <= lo <= hi <= 100:
            raise ValueError(f"jpeg_quality must lie in [1, 100], got {self.jpeg_quality}")
        if self.plate_width[0] <= 0:
            raise ValueError(f"plate_width must be positive, got {self.plate_width}")

    @classmethod
    def none(cls) -> DegradationConfig:
        """No degradation: a frontal plate 256 px wide, clean pixels."""
        return cls(
            max_yaw=0.0,
            max_pitch=0.0,
            max_roll=0.0,
            plate_width=(256.0, 256.0),
            defocus_prob=0.0,
            motion_prob=0.0,
            lowres_prob=0.0,
            exposure_prob=0.0,
            color_cast_prob=0.0,
            tone_prob=0.0,
            shadow_prob=0.0,
            night_prob=0.0,
            occlusion_prob=0.0,
            noise_prob=0.0,
            jpeg_prob=0.0,
            sharpen_prob=0.0,
        )

    @classmethod
    def mild(cls) -> DegradationConfig:
        """Easy views: small angles, large plates, light blur and noise, good JPEG."""
        return cls(
            max_yaw=25.0,
            max_pitch=12.0,
            max_roll=4.0,
            plate_width=(90.0, 400.0),
            defocus_prob=0.25,
            defocus_sigma=(0.3, 1.0),
            motion_prob=0.1,
            motion_length=(1.5, 4.0),
            lowres_prob=0.1,
            lowres_factor=(1.2, 1.8),
            gain=(0.75, 1.25),
            gamma=(0.85, 1.2),
            color_cast=0.06,
            saturation=(0.75, 1.05),
            contrast=(0.8, 1.0),
            shadow_prob=0.1,
            night_prob=0.0,
            occlusion_prob=0.0,
            noise_sigma=(0.5, 3.0),
            shot_noise=(0.0, 0.1),
            jpeg_quality=(60, 95),
        )

    @classmethod
    def strong(cls) -> DegradationConfig:
        """Hard views: up to 60/30 degrees, 40 px plates, heavy blur, night, JPEG 15."""
        return cls(
            max_yaw=60.0,
            max_pitch=30.0,
            max_roll=12.0,
            angle_power=1.2,
            distance=(1.8, 10.0),
            plate_width=(40.0, 600.0),
            defocus_prob=0.5,
            defocus_sigma=(0.5, 3.0),
            motion_prob=0.35,
            motion_length=(2.0, 14.0),
            lowres_prob=0.3,
            lowres_factor=(1.5, 4.0),
            exposure_prob=0.8,
            gain=(0.35, 1.8),
            gamma=(0.6, 1.7),
            color_cast_prob=0.6,
            color_cast=0.2,
            tone_prob=0.7,
            saturation=(0.35, 1.15),
            contrast=(0.45, 1.1),
            shadow_prob=0.35,
            night_prob=0.2,
            occlusion_prob=0.2,
            occlusion_fraction=(0.05, 0.3),
            noise_prob=0.8,
            noise_sigma=(1.0, 10.0),
            shot_noise=(0.0, 0.6),
            jpeg_prob=0.8,
        )


@dataclass(frozen=True)
class Pose:
    """How a plate faces the camera: angles in degrees, ``width`` = frontal width in pixels,
    ``distance`` in plate widths (see :func:`jlpr.synth.warp.pose_homography`)."""

    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    width: float = 256.0
    distance: float = 8.0


@dataclass(frozen=True)
class PhotometricParams:
    """Concrete values drawn by :func:`sample_photometric`; ``None`` means "not applied"."""

    gain: float = 1.0
    gamma: float = 1.0
    channel_gains: tuple[float, float, float] = (1.0, 1.0, 1.0)
    saturation: float = 1.0
    contrast: float = 1.0
    shadow_darkness: float | None = None
    night: bool = False
    occlusion_fraction: float | None = None
    defocus_sigma: float | None = None
    defocus_box: bool = False
    motion: tuple[float, float] | None = None
    """``(length_px, angle_deg)`` of the motion streak."""
    lowres_factor: float | None = None
    noise: tuple[float, float] | None = None
    """``(read_sigma, shot_variance_per_level)``."""
    jpeg_quality: int | None = None
    sharpen: tuple[float, float] | None = None
    """``(radius_px, amount)`` of the in-camera unsharp mask."""

    def scaled(self, factor: float) -> PhotometricParams:
        """The params that give about the same look on the image resized by ``factor``.

        Pixel-sized blurs shrink with the image (2 px of blur is 1 px after halving), a
        low-resolution factor is partly done by the resize itself, and the noise averages
        down (halving averages 4 pixels, halving the read noise's standard deviation).
        """
        lowres = None if self.lowres_factor is None else self.lowres_factor * factor
        return replace(
            self,
            defocus_sigma=None if self.defocus_sigma is None else self.defocus_sigma * factor,
            motion=None if self.motion is None else (self.motion[0] * factor, self.motion[1]),
            lowres_factor=lowres if lowres is not None and lowres > 1.05 else None,
            noise=None
            if self.noise is None
            else (self.noise[0] * factor, self.noise[1] * factor * factor),
            sharpen=None if self.sharpen is None else (self.sharpen[0] * factor, self.sharpen[1]),
        )


@dataclass(frozen=True)
class Degraded:
    """Result of :func:`degrade`: the new image, the plate quad in it, and what was applied."""

    image: Image8
    corners: FloatArray
    pose: Pose
    params: PhotometricParams


def _uniform(rng: np.random.Generator, bounds: Range) -> float:
    return float(rng.uniform(bounds[0], bounds[1])) if bounds[1] > bounds[0] else bounds[0]


def _signed_power(rng: np.random.Generator, limit: float, power: float) -> float:
    if limit <= 0.0:
        return 0.0
    magnitude = limit * math.pow(float(rng.random()), power)
    return magnitude if rng.random() < 0.5 else -magnitude


def sample_pose(rng: np.random.Generator, config: DegradationConfig) -> Pose:
    """Draw a plate pose: angles within the config's maxima, a log-uniform width."""
    lo, hi = config.plate_width
    width = float(math.exp(rng.uniform(math.log(lo), math.log(hi)))) if hi > lo else lo
    return Pose(
        yaw=_signed_power(rng, config.max_yaw, config.angle_power),
        pitch=_signed_power(rng, config.max_pitch, config.angle_power),
        roll=_signed_power(rng, config.max_roll, config.angle_power),
        width=width,
        distance=_uniform(rng, config.distance),
    )


def sample_photometric(rng: np.random.Generator, config: DegradationConfig) -> PhotometricParams:
    """Draw which photometric degradations apply and how strongly.

    Every decision is drawn whether or not it is used, so changing one probability does not
    reshuffle the other values for a seed.
    """
    u = rng.random(11)
    gain, gamma = _uniform(rng, config.gain), _uniform(rng, config.gamma)
    cast = rng.uniform(-config.color_cast, config.color_cast, size=3)
    darkness = _uniform(rng, config.shadow_darkness)
    fraction = _uniform(rng, config.occlusion_fraction)
    sigma = _uniform(rng, config.defocus_sigma)
    box = bool(rng.random() < 1.0 / 3.0)
    length = _uniform(rng, config.motion_length)
    # Cameras pan and cars drive mostly sideways: most streaks are near horizontal.
    angle = float(rng.normal(0.0, 20.0)) if rng.random() < 0.8 else float(rng.uniform(0, 180))
    factor = _uniform(rng, config.lowres_factor)
    read, shot = _uniform(rng, config.noise_sigma), _uniform(rng, config.shot_noise)
    qlo, qhi = config.jpeg_quality
    # Most cameras encode at high quality; the low end (video streams, re-shared images) is
    # rarer: the square root of a uniform draw puts 3/4 of the mass in the upper half.
    quality = min(qhi, qlo + int(math.sqrt(float(rng.random())) * (qhi - qlo + 1)))
    saturation, contrast = _uniform(rng, config.saturation), _uniform(rng, config.contrast)
    # Drawn after the others, so that adding it did not change their values for a seed.
    sharpen_on = bool(rng.random() < config.sharpen_prob)
    sharpen = (_uniform(rng, config.sharpen_radius), _uniform(rng, config.sharpen_amount))
    tone = u[10] < config.tone_prob
    exposure = u[0] < config.exposure_prob
    cast_on = u[1] < config.color_cast_prob
    gains = (1.0 + cast[0], 1.0 + cast[1], 1.0 + cast[2])
    return PhotometricParams(
        gain=gain if exposure else 1.0,
        gamma=gamma if exposure else 1.0,
        channel_gains=(
            (float(gains[0]), float(gains[1]), float(gains[2])) if cast_on else (1.0, 1.0, 1.0)
        ),
        saturation=saturation if tone else 1.0,
        contrast=contrast if tone else 1.0,
        shadow_darkness=darkness if u[2] < config.shadow_prob else None,
        night=bool(u[3] < config.night_prob),
        occlusion_fraction=fraction if u[4] < config.occlusion_prob else None,
        defocus_sigma=sigma if u[5] < config.defocus_prob else None,
        defocus_box=box,
        motion=(length, angle) if u[6] < config.motion_prob else None,
        lowres_factor=factor if u[7] < config.lowres_prob else None,
        noise=(read, shot) if u[8] < config.noise_prob else None,
        jpeg_quality=quality if u[9] < config.jpeg_prob else None,
        sharpen=sharpen if sharpen_on else None,
    )


# -- geometry ---------------------------------------------------------------------------


def warp_view(
    image: Image8,
    corners: npt.ArrayLike,
    pose: Pose,
    *,
    fill: tuple[int, ...] | int = 0,
    pad: float = 0.0,
) -> tuple[Image8, FloatArray, FloatArray]:
    """Show ``image`` (a flat plane holding a plate at ``corners``) from the camera ``pose``.

    The whole image is warped so that the plate's frontal width becomes ``pose.width``; the
    output is just large enough to hold the warped image plus ``pad`` (a share of the plate
    width) on each side. Works on 3-channel images and on 4-channel RGBA (transparent where
    nothing was seen). Returns the warped image, the plate corners in it, and the homography
    from ``image`` to the output.
    """
    quad = np.asarray(corners, dtype=np.float64).reshape(4, 2)
    height, width = image.shape[:2]
    plate_width = float((np.hypot(*(quad[1] - quad[0])) + np.hypot(*(quad[2] - quad[3]))) / 2.0)
    view = pose_homography(
        width, height, yaw=pose.yaw, pitch=pose.pitch, roll=pose.roll, distance=pose.distance
    )
    # The pose homography keeps a frontal image at its size; scale so the plate gets pose.width.
    scale = pose.width / max(plate_width, 1e-6)
    h = compose(view, np.diag([scale, scale, 1.0]))
    outline = apply_homography(h, [[0, 0], [width, 0], [width, height], [0, height]])
    margin = pad * pose.width
    x0, y0 = np.floor(outline.min(axis=0) - margin)
    x1, y1 = np.ceil(outline.max(axis=0) + margin)
    h = compose(h, translation(-x0, -y0))
    size = (int(x1 - x0), int(y1 - y0))
    small, h_small = prescale(image, h)
    warped = warp_image(small, h_small, size, fill=fill)
    return warped, apply_homography(h, quad), h


# -- photometric operations -------------------------------------------------------------
#
# Each public operation takes and returns an ``(H, W, 3)`` uint8 array. Internally they work
# on PIL images (``_..._pil``) so that :func:`apply_photometric` can chain them without a
# numpy round trip per step; only noise and motion blur need numpy.


def _light_pil(
    pil: Image.Image,
    gain: float = 1.0,
    gamma: float = 1.0,
    channel_gains: tuple[float, float, float] = (1.0, 1.0, 1.0),
) -> Image.Image:
    levels = np.arange(256, dtype=np.float64) / 255.0
    tables = []
    for channel_gain in channel_gains:
        values = np.clip(levels * gain * channel_gain, 0.0, 1.0) ** gamma
        tables.append(np.rint(values * 255.0).astype(np.uint8))
    # PIL's point() runs a per-channel table in C, several times faster than numpy indexing.
    return pil.point(np.concatenate(tables).tolist())


def adjust_light(
    image: Image8,
    gain: float = 1.0,
    gamma: float = 1.0,
    channel_gains: tuple[float, float, float] = (1.0, 1.0, 1.0),
) -> Image8:
    """Exposure (``gain``), tone curve (``gamma`` > 1 darkens mid-tones) and white balance
    (one gain per channel) of an RGB image, folded into one lookup table per channel."""
    return np.asarray(_light_pil(Image.fromarray(image), gain, gamma, channel_gains))


def _tone_pil(pil: Image.Image, saturation: float, contrast: float) -> Image.Image:
    if saturation != 1.0:
        pil = ImageEnhance.Color(pil).enhance(saturation)
    if contrast != 1.0:
        pil = ImageEnhance.Contrast(pil).enhance(contrast)
    return pil


def washed_out(image: Image8, saturation: float = 1.0, contrast: float = 1.0) -> Image8:
    """Scale colour saturation (0 = grey) and contrast around the mean grey (haze)."""
    return np.asarray(_tone_pil(Image.fromarray(image), saturation, contrast))


def _defocus_pil(pil: Image.Image, sigma: float, box: bool) -> Image.Image:
    if sigma <= 0.0:
        return pil
    if box:
        # A box of width 2r+1 has variance ((2r+1)^2 - 1) / 12; match it to sigma^2.
        radius = max(0.5, (math.sqrt(12.0 * sigma * sigma + 1.0) - 1.0) / 2.0)
        return pil.filter(ImageFilter.BoxBlur(radius))
    return pil.filter(ImageFilter.GaussianBlur(sigma))


def defocus_blur(image: Image8, sigma: float, *, box: bool = False) -> Image8:
    """Out-of-focus blur: Gaussian of standard deviation ``sigma`` px, or a box of the same
    spread (a crude stand-in for a lens disc, which has harder edges than a Gaussian)."""
    return np.asarray(_defocus_pil(Image.fromarray(image), sigma, box))


def motion_blur(image: Image8, length: float, angle: float) -> Image8:
    """Linear motion blur: average of ``length`` px of shifted copies along ``angle`` degrees
    (0 = horizontal). Integer shifts of an edge-padded copy keep it fast and exact."""
    if length < 1.0:
        return image
    steps = max(2, round(length))
    theta = math.radians(angle)
    t = np.linspace(-(length - 1.0) / 2.0, (length - 1.0) / 2.0, steps)
    dx = np.rint(t * math.cos(theta)).astype(int)
    dy = np.rint(t * math.sin(theta)).astype(int)
    px, py = int(np.abs(dx).max()), int(np.abs(dy).max())
    pad_width = ((py, py), (px, px)) + (((0, 0),) if image.ndim == 3 else ())
    padded = np.pad(image, pad_width, mode="edge")
    height, width = image.shape[:2]
    total = np.zeros(image.shape, dtype=np.uint16)
    for sx, sy in zip(dx, dy, strict=True):
        total += padded[py + sy : py + sy + height, px + sx : px + sx + width]
    return ((total + steps // 2) // steps).astype(np.uint8)


@functools.lru_cache(maxsize=1)
def _noise_tile() -> npt.NDArray[np.int8]:
    # Drawing fresh normals for every pixel costs more than the rest of the pipeline; a fixed
    # 1024^2 tile cut at a random offset and orientation is indistinguishable for training and
    # keeps every draw on the caller's generator (only the offset is random).
    tile = np.random.default_rng(0x51A7E).standard_normal((1024, 1024, 3), dtype=np.float32)
    quantised: npt.NDArray[np.int8] = np.clip(np.rint(tile * 25.0), -127, 127).astype(np.int8)
    return quantised


def _noise_field(rng: np.random.Generator, height: int, width: int) -> npt.NDArray[np.float32]:
    tile = _noise_tile()
    if rng.random() < 0.5:
        tile = tile.transpose(1, 0, 2)
    size = tile.shape[0]
    if height <= size and width <= size:
        # A window inside the tile: a view, no copy until the float conversion.
        oy, ox = int(rng.integers(0, size - height + 1)), int(rng.integers(0, size - width + 1))
        window = tile[oy : oy + height, ox : ox + width]
    else:
        reps = (-(-height // size), -(-width // size), 1)
        window = np.tile(tile, reps)[:height, :width]
    field: npt.NDArray[np.float32] = window.astype(np.float32)
    field *= np.float32(1.0 / 25.0)
    return field


def add_noise(image: Image8, rng: np.random.Generator, sigma: float, shot: float = 0.0) -> Image8:
    """Sensor noise: Gaussian read noise of ``sigma`` levels plus shot noise whose variance
    is ``shot`` times the pixel level (so bright areas are noisier, as on a real sensor)."""
    if sigma <= 0.0 and shot <= 0.0:
        return image
    height, width = image.shape[:2]
    field = _noise_field(rng, height, width)
    values = image.astype(np.float32)
    if image.ndim == 2:
        field = field[..., 0]
    if shot > 0.0:
        spread = np.sqrt(np.float32(sigma * sigma) + np.float32(shot) * values)
        values += field * spread
    else:
        values += field * np.float32(sigma)
    values += np.float32(0.5)
    np.clip(values, 0.0, 255.0, out=values)
    return values.astype(np.uint8)


def _sharpen_pil(pil: Image.Image, radius: float, amount: float) -> Image.Image:
    if radius <= 0.0 or amount <= 0.0:
        return pil
    mask = ImageFilter.UnsharpMask(radius=radius, percent=round(amount * 100), threshold=0)
    return pil.filter(mask)


def sharpen(image: Image8, radius: float, amount: float) -> Image8:
    """In-camera sharpening: an unsharp mask of ``radius`` pixels and gain ``amount``
    (1 adds 100 % of the detail again). Dark strokes on a light plate get a light halo and
    look thinner."""
    return np.asarray(_sharpen_pil(Image.fromarray(image), radius, amount))


def _jpeg_pil(pil: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    pil.save(buffer, format="JPEG", quality=int(quality))
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        decoded.load()
        out: Image.Image = decoded.copy() if decoded.mode == pil.mode else decoded.convert(pil.mode)
        return out


def jpeg_roundtrip(image: Image8, quality: int) -> Image8:
    """Encode as JPEG at ``quality`` (1-100, 4:2:0 chroma as cameras do) and decode again."""
    return np.asarray(_jpeg_pil(Image.fromarray(image), quality))


def _lowres_pil(pil: Image.Image, factor: float) -> Image.Image:
    if factor <= 1.0:
        return pil
    width, height = pil.size
    small = pil.resize(
        (max(1, round(width / factor)), max(1, round(height / factor))), Image.Resampling.BOX
    )
    return small.resize((width, height), Image.Resampling.BILINEAR)


def low_resolution(image: Image8, factor: float) -> Image8:
    """Shrink by ``factor`` (antialiased) and enlarge back to the same size (bilinear)."""
    return np.asarray(_lowres_pil(Image.fromarray(image), factor))


def _frame_quad(size: tuple[int, int]) -> FloatArray:
    width, height = size
    return np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float64)


def _soft_mask(size: tuple[int, int], polygon: FloatArray, softness: float) -> Image.Image:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).polygon([(float(x), float(y)) for x, y in polygon], fill=255)
    if softness > 0.3:
        mask = mask.filter(ImageFilter.BoxBlur(softness))
    return mask


def _shadow_pil(
    pil: Image.Image, rng: np.random.Generator, darkness: float, quad: FloatArray | None
) -> Image.Image:
    q = quad if quad is not None else _frame_quad(pil.size)
    width, height = pil.size
    centre = q.mean(axis=0)
    extent = float(np.ptp(q, axis=0).max())
    # A long quadrilateral whose one edge crosses the plate near its centre.
    theta = float(rng.uniform(0.0, 2.0 * math.pi))
    normal = np.array([math.cos(theta), math.sin(theta)])
    along = np.array([-normal[1], normal[0]])
    edge_point = centre + normal * extent * float(rng.uniform(-0.35, 0.35))
    far = 4.0 * (extent + width + height)
    bend = along * far * float(rng.uniform(-0.15, 0.15))
    polygon = np.array(
        [
            edge_point - along * far,
            edge_point + along * far,
            edge_point + along * far + normal * far + bend,
            edge_point - along * far + normal * far - bend,
        ]
    )
    mask = _soft_mask((width, height), polygon, softness=extent * float(rng.uniform(0.0, 0.04)))
    return Image.composite(_light_pil(pil, gain=1.0 - darkness), pil, mask)


def cast_shadow(
    image: Image8, rng: np.random.Generator, darkness: float, quad: npt.ArrayLike | None = None
) -> Image8:
    """Darken one side of a random straight or slanted edge through the plate ``quad`` (the
    whole image when ``None``), as the shadow of a bumper, a pole or the car body would.

    ``darkness`` is the share of light removed in the shadow; its edge is slightly soft.
    """
    q = None if quad is None else np.asarray(quad, dtype=np.float64).reshape(4, 2)
    return np.asarray(_shadow_pil(Image.fromarray(image), rng, darkness, q))


def _occlude_pil(
    pil: Image.Image, rng: np.random.Generator, q: FloatArray, fraction: float
) -> tuple[Image.Image, FloatArray]:
    side = int(rng.integers(0, 4))

    # Points along the plate: (u, v) in [0, 1]^2 of the quad, mapped bilinearly.
    def at(u: float, v: float) -> FloatArray:
        top = q[0] + (q[1] - q[0]) * u
        bottom = q[3] + (q[2] - q[3]) * u
        return np.asarray(top + (bottom - top) * v, dtype=np.float64)

    depth = min(1.0, fraction * float(rng.uniform(1.0, 1.6)))
    span = min(1.0, fraction / max(depth, 1e-6))
    start = float(rng.uniform(0.0, 1.0 - span))
    lo, hi = -0.15, depth
    if side == 0:  # from the left edge inwards
        pts = [at(lo, start), at(hi, start), at(hi, start + span), at(lo, start + span)]
    elif side == 1:  # from the right
        pts = [
            at(1 - hi, start),
            at(1 - lo, start),
            at(1 - lo, start + span),
            at(1 - hi, start + span),
        ]
    elif side == 2:  # from the top
        pts = [at(start, lo), at(start + span, lo), at(start + span, hi), at(start, hi)]
    else:  # from the bottom
        pts = [
            at(start, 1 - hi),
            at(start + span, 1 - hi),
            at(start + span, 1 - lo),
            at(start, 1 - lo),
        ]
    polygon = np.array(pts)
    if rng.random() < 0.5:
        # A blob: the bar's corners pulled towards its centre by different amounts.
        centre = polygon.mean(axis=0)
        pull = rng.uniform(0.0, 0.45, size=(4, 1))
        polygon = polygon + (centre - polygon) * pull
    level = int(rng.integers(10, 200))
    tint = rng.integers(-20, 21, size=3)
    colour = tuple(int(np.clip(level + t, 0, 255)) for t in tint)
    mask = _soft_mask(pil.size, polygon, softness=float(rng.uniform(0.0, 1.2)))
    return Image.composite(Image.new("RGB", pil.size, colour), pil, mask), polygon


def occlude(
    image: Image8, rng: np.random.Generator, quad: npt.ArrayLike, fraction: float
) -> Image8:
    """Cover about ``fraction`` of the plate ``quad`` with an object in front of it.

    The occluder is a bar (a tow bar, a bike-rack strut) or a blob (mud, a leaf, a leg)
    entering from a random side, in a dark, grey or plate-like colour.
    """
    q = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    return np.asarray(_occlude_pil(Image.fromarray(image), rng, q, fraction)[0])


def _night_pil(
    pil: Image.Image, rng: np.random.Generator, plates: Sequence[FloatArray]
) -> Image.Image:
    width, height = pil.size
    dark = _light_pil(
        pil,
        gain=float(rng.uniform(0.15, 0.4)),
        gamma=float(rng.uniform(1.0, 1.3)),
        channel_gains=(0.85, 0.95, float(rng.uniform(1.1, 1.3))),
    )
    lit = _light_pil(pil, gain=float(rng.uniform(0.6, 1.0)), channel_gains=(1.0, 0.97, 0.9))
    for q in plates:
        if rng.random() >= 0.8:
            continue  # a plate whose lamp is off or broken
        # The plate lamp keeps the plate readable, brightest at the top where the lamp is.
        extent = float(np.ptp(q, axis=0).max())
        top, bottom = float(q[:, 1].min()), float(q[:, 1].max())
        rows = np.clip((np.arange(height) + 0.5 - top) / max(bottom - top, 1.0), 0.0, 1.0)
        falloff = 1.0 - (1.0 - float(rng.uniform(0.35, 0.8))) * rows
        lamp = np.asarray(_soft_mask((width, height), q, softness=max(1.0, extent * 0.01)))
        weight = (lamp * falloff[:, None]).astype(np.uint8)
        dark = Image.composite(lit, dark, Image.fromarray(weight))
    out = np.asarray(dark).astype(np.float32)
    anchor = plates[int(rng.integers(0, len(plates)))] if plates else _frame_quad(pil.size)
    extent = float(np.ptp(anchor, axis=0).max())
    for _ in range(int(rng.integers(1, 4))):
        # Headlights and street lamps sit beside or above the plate, rarely on it.
        side = 1.0 if rng.random() < 0.5 else -1.0
        cx = float(anchor[:, 0].mean() + side * rng.uniform(0.6, 2.0) * extent)
        cy = float(anchor[:, 1].mean() + rng.uniform(-0.8, 0.5) * extent)
        radius = extent * float(rng.uniform(0.05, 0.3))
        strength = float(rng.uniform(0.4, 1.2))
        # Only the 3-radius square around the centre is touched (exp(-9) is invisible).
        x0, x1 = max(0, int(cx - 3 * radius)), min(width, int(cx + 3 * radius) + 1)
        y0, y1 = max(0, int(cy - 3 * radius)), min(height, int(cy + 3 * radius) + 1)
        if x1 <= x0 or y1 <= y0:
            continue
        xs = (np.arange(x0, x1, dtype=np.float32) + 0.5 - cx) / radius
        ys = (np.arange(y0, y1, dtype=np.float32) + 0.5 - cy) / radius
        bloom = np.exp(-(ys[:, None] ** 2 + xs[None, :] ** 2)).astype(np.float32)
        out[y0:y1, x0:x1] += bloom[..., None] * (
            np.array([255.0, 245.0, 225.0], np.float32) * strength
        )
    np.clip(out, 0.0, 255.0, out=out)
    return Image.fromarray(out.astype(np.uint8))


def night(image: Image8, rng: np.random.Generator, quads: Sequence[npt.ArrayLike] = ()) -> Image8:
    """Night: a dark blue-ish frame, plate lamps lighting each plate quad in ``quads`` from
    above, and one to three headlight blooms (bright soft discs, warm white) near a plate."""
    plates = [np.asarray(q, dtype=np.float64).reshape(4, 2) for q in quads]
    return np.asarray(_night_pil(Image.fromarray(image), rng, plates))


def apply_photometric(
    image: Image8,
    params: PhotometricParams,
    rng: np.random.Generator,
    quads: Sequence[npt.ArrayLike] = (),
) -> Image8:
    """:func:`apply_photometric_traced` without the trace: only the image."""
    return apply_photometric_traced(image, params, rng, quads)[0]


@dataclass(frozen=True)
class Occlusion:
    """An occluder :func:`apply_photometric_traced` drew over plate ``quads[plate]``:
    ``polygon`` is its ``(k, 2)`` outline in image pixels (the soft edge straddles it)."""

    plate: int
    polygon: FloatArray


def apply_photometric_traced(
    image: Image8,
    params: PhotometricParams,
    rng: np.random.Generator,
    quads: Sequence[npt.ArrayLike] = (),
) -> tuple[Image8, tuple[Occlusion, ...]]:
    """Apply ``params`` to ``image`` in camera order: things in the scene (shadow, occluder),
    light (exposure, white balance, night, saturation and contrast), optics (defocus,
    motion), then the sensor (resolution, noise), the camera's sharpening and the encoder
    (JPEG).

    ``quads`` are the plates in the image: the shadow edge crosses one of them (the frame
    when there is none), the occluder covers part of one, and at night their lamps light them.
    Returns the image and the occluders drawn (none or one); the random draws are the same
    as :func:`apply_photometric`'s, so both give the same pixels from the same ``rng``.
    """
    plates = [np.asarray(q, dtype=np.float64).reshape(4, 2) for q in quads]
    pil = Image.fromarray(image)
    if params.shadow_darkness is not None:
        target = plates[int(rng.integers(0, len(plates)))] if plates else None
        pil = _shadow_pil(pil, rng, params.shadow_darkness, target)
    occlusions: tuple[Occlusion, ...] = ()
    if params.occlusion_fraction is not None and plates:
        index = int(rng.integers(0, len(plates)))
        pil, polygon = _occlude_pil(pil, rng, plates[index], params.occlusion_fraction)
        occlusions = (Occlusion(index, polygon),)
    if params.night:
        pil = _night_pil(pil, rng, plates)
    if params.gain != 1.0 or params.gamma != 1.0 or params.channel_gains != (1.0, 1.0, 1.0):
        pil = _light_pil(pil, params.gain, params.gamma, params.channel_gains)
    if params.saturation != 1.0 or params.contrast != 1.0:
        pil = _tone_pil(pil, params.saturation, params.contrast)
    if params.defocus_sigma is not None:
        pil = _defocus_pil(pil, params.defocus_sigma, params.defocus_box)
    if params.motion is not None:
        pil = Image.fromarray(motion_blur(np.asarray(pil), *params.motion))
    if params.lowres_factor is not None:
        pil = _lowres_pil(pil, params.lowres_factor)
    if params.noise is not None:
        pil = Image.fromarray(add_noise(np.asarray(pil), rng, *params.noise))
    if params.sharpen is not None:
        pil = _sharpen_pil(pil, *params.sharpen)
    if params.jpeg_quality is not None:
        pil = _jpeg_pil(pil, params.jpeg_quality)
    return np.asarray(pil), occlusions


def degrade(
    image: Image8,
    corners: npt.ArrayLike,
    rng: np.random.Generator,
    config: DegradationConfig | None = None,
    *,
    fill: tuple[int, int, int] = (0, 0, 0),
) -> Degraded:
    """Show ``image`` (holding a plate at ``corners``) from a random pose and degrade it.

    Returns the new image (sized to hold the whole warped image), the plate's corners in it
    and the values drawn. Geometry is the only step that moves points, so the returned
    corners are exact whatever the photometric degradations did.
    """
    cfg = config or DegradationConfig()
    pose = sample_pose(rng, cfg)
    params = sample_photometric(rng, cfg)
    warped, quad, _ = warp_view(image, corners, pose, fill=fill)
    return Degraded(apply_photometric(warped, params, rng, [quad]), quad, pose, params)
