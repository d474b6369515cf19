"""Decode images safely: size limits, EXIF orientation, reduced-resolution decode, thumbnails,
and pixel buffers laid out the way Qt's QImage wants them (no Qt imported here)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from labelhub.errors import InvalidInput
from labelhub.media.probe import (
    DEFAULT_MAX_PIXELS,
    DEFAULT_MAX_SIDE,
    PILLOW_ERRORS,
    BadImage,
    check_limits,
    open_lazy,
    read_exif,
    sniff_format,
)

THUMBNAIL_QUALITY = 85
_DECODE_ERRORS = (*PILLOW_ERRORS, Image.DecompressionBombError)


def open_oriented(path: Path, *, max_side: int | None = None,
                  reducing_gap: float = 2.0) -> Image.Image:
    """Decode an image with its EXIF orientation applied (so its size matches `probe_image`).

    With `max_side`, the longest side of the result is at most `max_side` pixels and the decode
    is done at reduced resolution where the format allows it (JPEG DCT scaling through draft
    mode, then Image.reduce and a Lanczos resize), so a 20000x20000 JPEG becomes a thumbnail
    without a full-size decode. The decoder is asked for `reducing_gap` times `max_side` (the
    extra is resampled away, for quality); 1.0 takes the DCT-scaled size as it comes, the
    quickest when `max_side` is a DCT scale of the image. Smaller images are not enlarged.
    The image keeps its mode (L, RGB, RGBA, I;16, CMYK, ...); palette and 1-bit images being
    shrunk come back as L, RGB or RGBA. Raises BadImage for files that are not images, too
    large, or damaged.
    """
    path = Path(path)
    if max_side is not None and max_side < 1:
        raise InvalidInput(f"max_side must be at least 1, not {max_side}")
    fmt = sniff_format(path)
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise BadImage(path, f"cannot read the file ({exc.strerror or exc})") from exc
    with f:
        im = open_lazy(f, fmt, path)
        check_limits(path, *im.size, max_pixels=DEFAULT_MAX_PIXELS, max_side=DEFAULT_MAX_SIDE)
        # Reading the EXIF the way the probe does caches it on `im`, so exif_transpose below
        # uses the same orientation as the probe (PNG would otherwise look again after IDAT).
        read_exif(im)
        try:
            if max_side is None or max(im.size) <= max_side:
                im.load()
                ImageOps.exif_transpose(im, in_place=True)
                return im
            if im.mode in ("1", "P", "PA"):
                im.load()
                ImageOps.exif_transpose(im, in_place=True)
                shrunk = to_display_mode(im)
                shrunk.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
                return shrunk
            im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=reducing_gap)
            ImageOps.exif_transpose(im, in_place=True)
            return im
        except _DECODE_ERRORS as exc:
            raise BadImage(path, f"the image cannot be decoded ({exc})") from None
        except MemoryError:
            raise BadImage(path, "not enough memory to decode the image") from None


def _scale_to_8bit(values: np.ndarray, *, unit_range: bool) -> np.ndarray:
    """Map integer or float samples to 0..255: as-is, 16-bit, unit floats, else min..max."""
    finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    if finite.size == 0:
        return np.zeros(values.shape, np.uint8)
    lo, hi = float(finite.min()), float(finite.max())
    data = np.nan_to_num(values.astype(np.float32), nan=lo, posinf=hi, neginf=lo)
    if unit_range and lo >= 0 and hi <= 1:
        data *= 255
    elif lo >= 0 and hi <= 255:
        pass
    elif lo >= 0 and hi <= 65535:
        data /= 257
    elif hi > lo:
        data = (data - lo) * (255 / (hi - lo))
    else:
        data[...] = 0
    return np.clip(np.rint(data), 0, 255).astype(np.uint8)


def to_display_mode(img: Image.Image) -> Image.Image:
    """The image as 8-bit L, LA, RGB or RGBA (unchanged if already one of those).

    16-bit grey keeps its top 8 bits; 32-bit integer and float images are scaled to 0..255
    (floats in 0..1 are taken as unit intensities). Palette images keep their transparency.
    """
    mode = img.mode
    if mode in ("L", "LA", "RGB", "RGBA"):
        return img
    if mode == "1":
        return img.convert("L")
    if mode == "P":
        return img.convert("RGBA" if "transparency" in img.info else "RGB")
    if mode in ("PA", "La", "RGBa"):
        return img.convert("RGBA")
    if mode.startswith("I;16"):
        grey = (np.asarray(img).astype(np.uint16) >> 8).astype(np.uint8)
        return Image.fromarray(grey, "L")
    if mode in ("I", "F"):
        return Image.fromarray(_scale_to_8bit(np.asarray(img), unit_range=mode == "F"), "L")
    return img.convert("RGB")


def _flatten_on_white(img: Image.Image) -> Image.Image:
    img = to_display_mode(img)
    if img.mode in ("LA", "RGBA"):
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, img.convert("RGBA")).convert("RGB")
    return img.convert("RGB")


def make_thumbnail(path: Path, size: int = 256) -> bytes:
    """A JPEG thumbnail (RGB, EXIF orientation applied) whose longest side is exactly `size`.

    The aspect ratio is kept; transparent areas are drawn on white. Raises BadImage for files
    that are not images or are damaged.
    """
    if size < 1:
        raise InvalidInput(f"thumbnail size must be at least 1, not {size}")
    img = _flatten_on_white(open_oriented(path, max_side=size))
    width, height = img.size
    if width >= height:
        target = (size, max(1, round(height * size / width)))
    else:
        target = (max(1, round(width * size / height)), size)
    if img.size != target:
        img = img.resize(target, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=THUMBNAIL_QUALITY)
    return out.getvalue()


def to_rgb32_array(img: Image.Image) -> np.ndarray:
    """Pixels as a writable uint8 array (H, W, 4) in the memory layout of QImage's
    Format_ARGB32 / Format_RGB32: each pixel a native-endian 0xAARRGGBB word, that is bytes
    B, G, R, A on little-endian machines. Alpha is 255 for images without transparency, so
    Format_RGB32 can be used for them; otherwise use Format_ARGB32 (not premultiplied).

    Wrap without copying: QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_ARGB32).
    """
    rgba = to_display_mode(img)
    if rgba.mode != "RGBA":
        rgba = rgba.convert("RGBA")
    width, height = rgba.size
    if sys.byteorder == "little":
        # Copied by numpy (not bytearray) to make it writable: numpy lets go of the GIL while
        # it copies, so a decode on a worker thread does not stall the interface thread.
        data = np.frombuffer(rgba.tobytes("raw", "BGRA"), np.uint8)
        return data.reshape(height, width, 4).copy()
    plain = np.frombuffer(rgba.tobytes("raw", "RGBA"), np.uint8).reshape(height, width, 4)
    return np.ascontiguousarray(plain[..., [3, 0, 1, 2]])
