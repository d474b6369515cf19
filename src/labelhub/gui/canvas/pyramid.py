"""Tile pyramids for very large images, cached on disk (Pillow, numpy, OpenCV; Qt's JPEG reader
only to decode huge JPEGs a band at a time).

Layout: ``<cache>/pyramids/<key>/meta.json`` and ``<cache>/pyramids/<key>/<level>/<x>_<y>.jpg``,
where level 0 is full resolution, each level halves the one before (rounding up), and the top
level fits in one tile. ``key`` is the image's SHA-256 when known (the project knows it), else a
hash of its path, size and modification time.

The builder streams the image through the levels one row of tiles at a time, so it holds the
decoded pixels plus a few rows of tiles per level. An image whose pixels would take more than
BAND_BYTES (a 20000 x 20000 JPEG: 1.6 GB in Pillow) is read in bands of at most that size
with Qt's JPEG reader and a clip rectangle, which bounds memory at the price of re-reading the
compressed rows above each band. It writes into a temporary folder, tile files appear atomically
as they are done (a viewer may load them while the build runs), and the folder is renamed into place at
the end; a cancelled build leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from PySide6.QtCore import QRect
from PySide6.QtGui import QImage, QImageReader

from labelhub.errors import Cancelled, InvalidInput
from labelhub.media.decode import open_oriented, to_display_mode
from labelhub.media.probe import (
    DEFAULT_MAX_PIXELS,
    DEFAULT_MAX_SIDE,
    BadImage,
    check_limits,
    exif_orientation,
    open_lazy,
    read_exif,
    sniff_format,
)

TILE = 512
QUALITY = 90
#: Images whose decoded pixels (4 bytes each) would take more than this are decoded in bands.
BAND_BYTES = 512 * 1024 * 1024
FORMAT_VERSION = 1
#: Background that transparent pixels are flattened onto in tiles (mid grey).
FLATTEN_GREY = 128

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True, slots=True)
class PyramidInfo:
    """The geometry of a pyramid: image size, tile size and number of levels."""

    width: int
    height: int
    tile: int = TILE
    levels: int = 1
    version: int = FORMAT_VERSION

    def level_size(self, level: int) -> tuple[int, int]:
        f = 1 << level
        return -(-self.width // f), -(-self.height // f)

    def tile_counts(self, level: int) -> tuple[int, int]:
        w, h = self.level_size(level)
        return -(-w // self.tile), -(-h // self.tile)

    def tile_total(self) -> int:
        return sum(nx * ny for nx, ny in map(self.tile_counts, range(self.levels)))


def plan(width: int, height: int, tile: int = TILE) -> PyramidInfo:
    """The pyramid for a width x height image: halve until one tile holds the level."""
    side = max(width, height)
    levels = 1 + math.ceil(math.log2(side / tile)) if side > tile else 1
    return PyramidInfo(width, height, tile, levels)


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) as displayed (EXIF orientation applied), read from the header only.

    Raises BadImage for files that are not images or exceed LabelHub's size limits.
    """
    path = Path(path)
    fmt = sniff_format(path)
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise BadImage(path, f"cannot read the file ({exc.strerror or exc})") from exc
    with f:
        im = open_lazy(f, fmt, path)
        w, h = im.size
        check_limits(path, w, h, max_pixels=DEFAULT_MAX_PIXELS, max_side=DEFAULT_MAX_SIDE)
        if exif_orientation(read_exif(im)) in (5, 6, 7, 8):
            w, h = h, w
    return w, h


def cache_key(path: Path, sha256: str | None = None) -> str:
    """The folder name of an image's pyramid."""
    if sha256:
        return sha256
    st = Path(path).stat()
    text = f"{Path(path).resolve()}|{st.st_size}|{st.st_mtime_ns}"
    return "path-" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def pyramid_folder(cache_root: Path, key: str) -> Path:
    return Path(cache_root) / "pyramids" / key


def load_info(folder: Path) -> PyramidInfo | None:
    """The info of a complete pyramid in ``folder``; None when there is none (or it is from
    another format version, or unfinished)."""
    try:
        data = json.loads((Path(folder) / "meta.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not data.get("complete") or data.get("version") != FORMAT_VERSION:
        return None
    try:
        return PyramidInfo(int(data["width"]), int(data["height"]), int(data["tile"]),
                           int(data["levels"]), int(data["version"]))
    except (KeyError, TypeError, ValueError):
        return None


def tile_path(folder: Path, level: int, tx: int, ty: int) -> Path:
    return Path(folder) / str(level) / f"{tx}_{ty}.jpg"


def read_tile(folder: Path, level: int, tx: int, ty: int) -> np.ndarray | None:
    """A tile as (h, w, 4) uint8 B, G, R, 255 (QImage RGB32 layout); None if not written yet."""
    data = None
    try:
        data = np.fromfile(tile_path(folder, level, tx, ty), dtype=np.uint8)
    except OSError:
        return None
    if data.size == 0:
        return None
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if bgr is None:
        return None
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)


def _write_meta(folder: Path, info: PyramidInfo, complete: bool) -> None:
    data = asdict(info) | {"complete": complete}
    tmp = folder / "meta.json.tmp"
    tmp.write_text(json.dumps(data), "utf-8")
    os.replace(tmp, folder / "meta.json")


class _LevelWriter:
    """Receives the rows of one level from top to bottom, writes each full row of tiles, and
    passes the rows halved to the next level's writer."""

    def __init__(self, builder: PyramidBuilder, level: int) -> None:
        self.builder = builder
        self.level = level
        self.width, self.height = builder.info.level_size(level)
        self.pending: list[np.ndarray] = []
        self.pending_rows = 0
        self.tile_row = 0
        self.down: list[np.ndarray] = []
        self.down_rows = 0
        self.next = _LevelWriter(builder, level + 1) if level + 1 < builder.info.levels else None

    def push(self, rows: np.ndarray, final: bool = False) -> None:
        if rows.size:
            self.pending.append(rows)
            self.pending_rows += rows.shape[0]
            if self.next is not None:
                self.down.append(rows)
                self.down_rows += rows.shape[0]
        tile = self.builder.info.tile
        while self.pending_rows >= tile or (final and self.pending_rows):
            block = np.concatenate(self.pending) if len(self.pending) > 1 else self.pending[0]
            take = min(tile, block.shape[0])
            self._write_row(block[:take])
            rest = block[take:]
            self.pending = [rest] if rest.shape[0] else []
            self.pending_rows = rest.shape[0]
        if self.next is not None:
            even = self.down_rows - (self.down_rows % 2)
            if even >= tile or (final and self.down_rows):
                block = np.concatenate(self.down) if len(self.down) > 1 else self.down[0]
                take = self.down_rows if final else even
                self.next.push(self._halve(block[:take]))
                rest = block[take:]
                self.down = [rest] if rest.shape[0] else []
                self.down_rows = rest.shape[0]
            if final:
                self.next.push(np.zeros((0, self.next.width, 3), np.uint8), final=True)

    def _halve(self, rows: np.ndarray) -> np.ndarray:
        out_w, out_h = self.next.width, -(-rows.shape[0] // 2)  # type: ignore[union-attr]
        return cv2.resize(rows, (out_w, out_h), interpolation=cv2.INTER_AREA)

    def _write_row(self, rows: np.ndarray) -> None:
        tile = self.builder.info.tile
        for tx in range(0, -(-self.width // tile)):
            self.builder.write_tile(self.level, tx, self.tile_row,
                                    rows[:, tx * tile: (tx + 1) * tile])
        self.tile_row += 1


class PyramidBuilder:
    """Builds the pyramid of one image into a cache folder (see the module documentation)."""

    def __init__(self, image_path: Path, folder: Path, *, tile: int = TILE,
                 quality: int = QUALITY) -> None:
        self.image_path = Path(image_path)
        self.folder = Path(folder)
        self.work = self.folder.with_name(f"{self.folder.name}.tmp-{os.getpid()}-{id(self):x}")
        w, h = image_size(self.image_path)
        self.info = plan(w, h, tile)
        self.quality = quality
        self.done = 0
        self.lock = threading.Lock()
        self._progress: Progress | None = None
        self._cancel: threading.Event | None = None
        self._on_tile: Callable[[int, int, int], None] | None = None

    def write_tile(self, level: int, tx: int, ty: int, bgr: np.ndarray) -> None:
        if self._cancel is not None and self._cancel.is_set():
            raise Cancelled("building the tile pyramid was cancelled")
        ok, data = cv2.imencode(".jpg", np.ascontiguousarray(bgr),
                                [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            raise InvalidInput(f"could not encode a tile of {self.image_path}")
        target = tile_path(self.work, level, tx, ty)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        data.tofile(tmp)
        os.replace(tmp, target)
        self.done += 1
        if self._on_tile is not None:
            self._on_tile(level, tx, ty)
        if self._progress is not None:
            self._progress(self.done, self.info.tile_total(), "building the tile pyramid")

    def build(self, *, progress: Progress | None = None, cancel: threading.Event | None = None,
              on_tile: Callable[[int, int, int], None] | None = None,
              on_image: Callable[[Image.Image], None] | None = None) -> PyramidInfo:
        """Decode the image and write every tile; returns the info. Raises Cancelled (leaving
        nothing behind) when ``cancel`` is set, BadImage when the image cannot be decoded.
        ``on_tile(level, x, y)`` hears of each tile written, ``on_image`` gets the decoded
        image once (to make a preview from without decoding again)."""
        self._progress, self._cancel, self._on_tile = progress, cancel, on_tile
        self.work.mkdir(parents=True, exist_ok=True)
        try:
            _write_meta(self.work, self.info, complete=False)
            writer = _LevelWriter(self, 0)
            tile, (width, height) = self.info.tile, (self.info.width, self.info.height)
            if _bands_wanted(self.image_path, width, height):
                rows = _jpeg_bands(self.image_path, width, height, tile)
            else:
                image = _flatten(open_oriented(self.image_path))
                if on_image is not None:
                    on_image(image)
                rows = _pillow_rows(image, tile)
                del image
            for part in rows:
                if cancel is not None and cancel.is_set():
                    raise Cancelled("building the tile pyramid was cancelled")
                writer.push(part)
            del rows
            writer.push(np.zeros((0, width, 3), np.uint8), final=True)
            _write_meta(self.work, self.info, complete=True)
            self._move_into_place()
            return self.info
        except BaseException:
            shutil.rmtree(self.work, ignore_errors=True)
            raise

    def _move_into_place(self) -> None:
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        if load_info(self.folder) is not None:  # someone else finished first: keep theirs
            shutil.rmtree(self.work, ignore_errors=True)
            return
        shutil.rmtree(self.folder, ignore_errors=True)
        try:
            os.replace(self.work, self.folder)
        except OSError:
            shutil.rmtree(self.work, ignore_errors=True)
            if load_info(self.folder) is None:
                raise


def configure_qt_image_limits() -> None:
    """Raise Qt's QImageReader allocation limit (256 MB by default) knowingly, to cover
    LabelHub's own limit (labelhub.media.DEFAULT_MAX_PIXELS at 4 bytes a pixel). Our limit is
    checked first, before any decode, with a message naming the image and the limit; Qt's must
    not be the one refusing an image (or a band of one) with a vague error."""
    limit_mb = math.ceil(DEFAULT_MAX_PIXELS * 4 / (1 << 20))
    if QImageReader.allocationLimit() < limit_mb:
        QImageReader.setAllocationLimit(limit_mb)


def _bands_wanted(path: Path, width: int, height: int) -> bool:
    """Whether to decode in bands: a JPEG whose pixels would not fit the band budget, stored
    upright (bands are cut along the file's rows, before any EXIF turn)."""
    if width * height * 4 <= BAND_BYTES or sniff_format(path) != "jpeg":
        return False
    with open(path, "rb") as f:
        im = open_lazy(f, "jpeg", path)
        return exif_orientation(read_exif(im)) == 1


def _jpeg_bands(path: Path, width: int, height: int, tile: int) -> Iterator[np.ndarray]:
    """The image's rows, ``tile`` at a time (B, G, R), read band by band with Qt's JPEG reader
    and a clip rectangle, so that only one band is ever decoded in memory. Each band costs a
    pass over the compressed rows above it, which is the price of the bounded memory."""
    configure_qt_image_limits()
    rows_per_band = max(tile, (BAND_BYTES // (width * 4)) // tile * tile)
    for y0 in range(0, height, rows_per_band):
        rows = min(rows_per_band, height - y0)
        reader = QImageReader(str(path))
        reader.setAutoTransform(False)
        reader.setClipRect(QRect(0, y0, width, rows))
        band = reader.read()
        if band.isNull():
            raise BadImage(path, f"the image cannot be decoded ({reader.errorString()})")
        if band.format() != QImage.Format.Format_RGB32:
            band = band.convertToFormat(QImage.Format.Format_RGB32)
        pixels = np.frombuffer(band.constBits(), np.uint8).reshape(
            rows, band.bytesPerLine() // 4, 4)[:, :width]
        for y in range(0, rows, tile):
            yield cv2.cvtColor(pixels[y: y + tile], cv2.COLOR_BGRA2BGR)
        del pixels, band


def _pillow_rows(image: Image.Image, tile: int) -> Iterator[np.ndarray]:
    """The rows of a decoded image, ``tile`` at a time (B, G, R)."""
    width, height = image.size
    for y in range(0, height, tile):
        rows = np.asarray(image.crop((0, y, width, min(y + tile, height))))
        yield cv2.cvtColor(rows, cv2.COLOR_GRAY2BGR if rows.ndim == 2 else cv2.COLOR_RGB2BGR)


def _flatten(image: Image.Image) -> Image.Image:
    """8-bit L or RGB, transparency drawn over mid grey."""
    image = to_display_mode(image)
    if image.mode in ("LA", "RGBA"):
        base = Image.new("RGBA", image.size, (FLATTEN_GREY,) * 3 + (255,))
        image = Image.alpha_composite(base, image.convert("RGBA")).convert("RGB")
    return image


def build_pyramid(image_path: Path, cache_root: Path, *, sha256: str | None = None,
                  progress: Progress | None = None,
                  cancel: threading.Event | None = None) -> tuple[Path, PyramidInfo]:
    """The folder and info of an image's pyramid under ``cache_root``, built if missing."""
    folder = pyramid_folder(cache_root, cache_key(image_path, sha256))
    info = load_info(folder)
    if info is not None:
        return folder, info
    return folder, PyramidBuilder(image_path, folder).build(progress=progress, cancel=cancel)
