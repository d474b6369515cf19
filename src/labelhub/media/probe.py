"""Find image files and learn what they are without decoding their pixels.

`probe_image` hashes a file (one streamed read) and reads only its header: format by magic bytes,
size, EXIF orientation and capture time. It refuses files that are not images, that are cut short,
or that would decode to an unreasonable number of pixels, with a message naming the file.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from PIL import (
    BmpImagePlugin,
    Image,
    ImageFile,
    JpegImagePlugin,
    PngImagePlugin,
    TiffImagePlugin,
    WebPImagePlugin,
)

from labelhub.errors import InvalidInput, NotFound
from labelhub.media import _structure
from labelhub.media._structure import CANONICAL_EXT, HEADER_BYTES, Refused

IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}
)
"""File name suffixes (lower case, with the dot) picked up when scanning folders."""

DEFAULT_MAX_PIXELS = 1_500_000_000
DEFAULT_MAX_SIDE = 200_000
HASH_CHUNK = 1024 * 1024

_PLUGINS: dict[str, type[ImageFile.ImageFile]] = {
    "jpeg": JpegImagePlugin.JpegImageFile,
    "png": PngImagePlugin.PngImageFile,
    "bmp": BmpImagePlugin.BmpImageFile,
    "tiff": TiffImagePlugin.TiffImageFile,
    "webp": WebPImagePlugin.WebPImageFile,
}
# Errors Pillow raises on damaged headers (it turns most of them into SyntaxError).
PILLOW_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError)

_ORIENTATION = 0x0112
_DATETIME = 0x0132
_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_OFFSET_TIME = 0x9010
_OFFSET_TIME_ORIGINAL = 0x9011
_OFFSET_RE = re.compile(r"^[+-]\d{2}:\d{2}$")


def configure_pillow() -> None:
    """Make Pillow's own decompression-bomb limit equal to ours (called when media is imported).

    We check sizes ourselves first, with a clearer message; Pillow's check is the backstop.
    """
    Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS


class BadImage(InvalidInput):
    """A file LabelHub will not use as an image; `reason` says why in a few words."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass(frozen=True)
class ImageInfo:
    """What `probe_image` learned about an image file.

    `width` and `height` are as displayed, after the EXIF orientation is applied.
    """

    sha256: str
    format: str
    ext: str
    width: int
    height: int
    orientation: int
    bytes: int
    exif_time: str | None


# -- finding files -----------------------------------------------------------------------------


def _is_hidden(entry: os.DirEntry[str]) -> bool:
    if entry.name.startswith("."):
        return True
    if sys.platform == "win32":
        try:
            attributes = entry.stat(follow_symlinks=False).st_file_attributes
        except OSError:
            return False
        return bool(attributes & stat.FILE_ATTRIBUTE_HIDDEN)
    return False


def _sort_key(name: str) -> tuple[str, str]:
    return name.casefold(), name


def _walk(root: Path, folder: Path, seen: set[tuple[int, int]]) -> Iterator[tuple[Path, Path]]:
    try:
        st = folder.stat()
    except OSError:
        return
    key = (st.st_dev, st.st_ino)
    if key in seen:  # a symlink loop, or a folder already scanned through another path
        return
    seen.add(key)
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: _sort_key(e.name))
    except OSError:
        return
    subfolders: list[Path] = []
    for entry in entries:
        if _is_hidden(entry):
            continue
        try:
            if entry.is_dir():
                subfolders.append(folder / entry.name)
            elif entry.is_file() and os.path.splitext(entry.name)[1].lower() in IMAGE_EXTENSIONS:
                yield root, folder / entry.name
        except OSError:
            continue
    for sub in subfolders:
        yield from _walk(root, sub, seen)


def iter_image_files(paths: Iterable[Path]) -> Iterator[tuple[Path, Path]]:
    """Yield (root, file) for the image files in `paths`, in a stable order.

    A folder is scanned recursively: its image files (by extension, any case) sorted by name,
    then each subfolder in name order. Hidden files and folders (name starting with '.') are
    skipped; symlinked folders are followed, but a folder is never scanned twice, so symlink loops
    end. A file given explicitly is yielded as (its parent, file) whatever its extension; the probe
    then decides whether it is an image. A path that does not exist raises NotFound.
    """
    seen: set[tuple[int, int]] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            yield from _walk(path, path, seen)
        elif path.is_file():
            yield path.parent, path
        else:
            raise NotFound(f"{path}: no such file or folder")


# -- hashing -----------------------------------------------------------------------------------


def _hash_stream(f: BinaryIO) -> str:
    digest = hashlib.sha256()
    buffer = bytearray(HASH_CHUNK)
    view = memoryview(buffer)
    while True:
        n = f.readinto(view)  # type: ignore[attr-defined]
        if not n:
            break
        digest.update(view[:n])
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes (hex), read in 1 MiB chunks."""
    with open(path, "rb", buffering=0) as f:
        if hasattr(os, "posix_fadvise"):
            try:
                os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
            except OSError:
                pass
        return _hash_stream(f)


# -- header reading ----------------------------------------------------------------------------


def sniff_format(path: Path) -> str:
    """The image format of a file from its magic bytes; BadImage if not one we accept."""
    try:
        with open(path, "rb") as f:
            header = f.read(HEADER_BYTES)
    except OSError as exc:
        raise BadImage(path, f"cannot read the file ({exc.strerror or exc})") from exc
    try:
        return _structure.detect_format(header)
    except Refused as exc:
        raise BadImage(path, exc.reason) from None


def open_lazy(fp: BinaryIO, fmt: str, path: Path) -> ImageFile.ImageFile:
    """Parse the header of an image of known format with Pillow, without decoding pixels.

    Pillow's own decompression-bomb check is not run here; callers apply `check_limits`.
    """
    fp.seek(0)
    try:
        return _PLUGINS[fmt](fp, str(path))
    except PILLOW_ERRORS as exc:
        raise BadImage(path, f"the {fmt.upper()} header cannot be read ({exc})") from None


def check_limits(path: Path, width: int, height: int, *, max_pixels: int, max_side: int) -> None:
    """Refuse zero-size images and decompression bombs, naming the dimensions and the limit."""
    if width <= 0 or height <= 0:
        raise BadImage(path, f"the image has zero width or height ({width}x{height})")
    if width * height > max_pixels:
        raise BadImage(
            path,
            f"the image is {width}x{height} = {width * height:,} pixels, more than the limit "
            f"of {max_pixels:,} pixels (possible decompression bomb)",
        )
    if max(width, height) > max_side:
        raise BadImage(
            path,
            f"the image is {width}x{height} pixels, a side longer than the limit of "
            f"{max_side:,} pixels",
        )


def read_exif(im: Image.Image) -> Image.Exif | None:
    """The EXIF block of a lazily opened image, without decoding pixels; None if unreadable.

    PNG's own getexif() decodes the whole image to look for a late eXIf chunk; the base
    implementation reads only what the header already gave. Caching it on the image keeps
    later calls (such as ImageOps.exif_transpose) consistent with the probe.
    """
    try:
        return Image.Image.getexif(im)
    except Exception:  # corrupt EXIF must not make the image unusable
        return None


def exif_orientation(exif: Image.Exif | None) -> int:
    """The EXIF orientation 1-8 (1 when absent or invalid)."""
    if exif is None:
        return 1
    value = exif.get(_ORIENTATION, 1)
    try:
        value = int(value)
    except (TypeError, ValueError):
        return 1
    return value if 1 <= value <= 8 else 1


def _clean_text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    return value.strip("\x00 ") or None


def _iso_time(value: object, offset: object) -> str | None:
    text = _clean_text(value)
    if text is None:
        return None
    for pattern in ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        try:
            moment = datetime.strptime(text[:19], pattern)
        except ValueError:
            continue
        iso = moment.isoformat()
        zone = _clean_text(offset)
        if zone and _OFFSET_RE.match(zone):
            iso += zone
        return iso
    return None


def exif_time(exif: Image.Exif | None) -> str | None:
    """Capture time as ISO-8601 from DateTimeOriginal, else DateTime; None if absent or bad."""
    if exif is None:
        return None
    try:
        sub = exif.get_ifd(_EXIF_IFD)
    except Exception:  # a damaged sub-IFD: fall back to IFD0
        sub = {}
    found = _iso_time(sub.get(_DATETIME_ORIGINAL), sub.get(_OFFSET_TIME_ORIGINAL))
    if found is None:
        found = _iso_time(exif.get(_DATETIME), sub.get(_OFFSET_TIME))
    return found


# -- the probe ---------------------------------------------------------------------------------


def probe_image(
    path: Path,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_side: int = DEFAULT_MAX_SIDE,
) -> ImageInfo:
    """Hash a file and read its image header; BadImage if it is not an image we can use.

    Reads the file once for the hash, plus its header (and a few bytes at its end to detect
    truncation). Pixels are never decoded.
    """
    path = Path(path)
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise BadImage(path, f"cannot read the file ({exc.strerror or exc})") from exc
    with f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            raise BadImage(path, "the file is empty")
        try:
            fmt = _structure.detect_format(f.read(HEADER_BYTES))
            stored = _structure.header_size(fmt, f, size)
        except Refused as exc:
            raise BadImage(path, exc.reason) from None
        if stored is not None:  # refuse bombs before Pillow sees them
            check_limits(path, *stored, max_pixels=max_pixels, max_side=max_side)
        # The image shares our file object: it is not closed separately (that would close f).
        im = open_lazy(f, fmt, path)
        check_limits(path, *im.size, max_pixels=max_pixels, max_side=max_side)
        if fmt == "tiff":
            # Pillow reports a TIFF's size already oriented; the tags hold the stored size.
            tags = dict(im.tag_v2)  # type: ignore[attr-defined]
            stored = (int(tags[256]), int(tags[257]))
            try:
                _structure.check_tiff_data(tags, size)
            except Refused as exc:
                raise BadImage(path, exc.reason) from None
        width, height = stored or im.size
        exif = read_exif(im)
        orientation = exif_orientation(exif)
        taken = exif_time(exif)  # while f is open: TIFF sub-IFDs are read lazily
        del im
        if orientation >= 5:
            width, height = height, width
        f.seek(0)
        digest = _hash_stream(f)
    return ImageInfo(
        sha256=digest,
        format=fmt,
        ext=CANONICAL_EXT[fmt],
        width=width,
        height=height,
        orientation=orientation,
        bytes=size,
        exif_time=taken,
    )
