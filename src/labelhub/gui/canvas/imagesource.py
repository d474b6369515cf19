"""The pixels under the shapes: decoded in the background, kept as a mip pyramid in memory or as
tiles from a disk pyramid, and resampled into a screen-sized buffer on demand.

``render(out, scale, tx, ty)`` fills ``out`` ((H, W, 4) uint8, QImage RGB32 layout) so that image
point (x, y) lands at buffer position (x * scale + tx, y * scale + ty). It picks the coarsest
level that still has at least one pixel per screen pixel, crops the part in view and resamples
it with OpenCV (bilinear when shrinking, nearest when magnifying, so pixels stay crisp). Where
the wanted level is not loaded yet, a coarser one is stretched in its place, and the source
emits ``changed`` when better pixels arrive.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from PIL.Image import Image as PilImage
from PySide6.QtCore import QObject, Signal

from labelhub.errors import Cancelled, LabelHubError
from labelhub.gui.canvas import pyramid
from labelhub.media.decode import open_oriented, to_rgb32_array
from labelhub.media.probe import sniff_format

#: Images above this many pixels (or this long a side) are shown from a tile pyramid on disk.
LARGE_PIXELS = 64_000_000
LARGE_SIDE = 16_384
#: Largest side of the quick first picture.
PREVIEW_SIDE = 2048
#: After its preview, a full decode waits at most this long (seconds) for it to be shown.
FULL_DECODE_WAIT = 0.5
#: Memory kept for decoded tiles.
TILE_BUDGET_BYTES = 192 * 1024 * 1024
BACKGROUND = (48, 48, 48, 255)  # B, G, R, A
_BACKGROUND_WORD = np.frombuffer(bytes(BACKGROUND), dtype=np.uint32)[0]


def fill_background(out: np.ndarray) -> None:
    """Paint a (H, W, 4) buffer the background colour (one 32-bit word per pixel: thirty
    times quicker than assigning the four channels)."""
    if out.flags.c_contiguous:
        out.view(np.uint32).fill(_BACKGROUND_WORD)
    else:
        out[:] = BACKGROUND


def opaque_rgb32(image: object) -> np.ndarray:
    """A decoded Pillow image as an RGB32 array, transparency drawn over mid grey."""
    arr = to_rgb32_array(image)  # type: ignore[arg-type]
    alpha = arr[..., 3]
    if alpha.min() < 255:
        a = alpha[..., None].astype(np.uint16)
        arr[..., :3] = ((arr[..., :3] * a + 128 * (255 - a) + 127) // 255).astype(np.uint8)
        arr[..., 3] = 255
    return arr


def preview_side(width: int, height: int) -> int:
    """A preview size that a JPEG decodes quickly: open_oriented asks the decoder for twice
    the size, and DCT scaling divides by 8 or 4 only when both sides allow it."""
    short = min(width, height)
    for divisor in (16, 8):
        side = short // divisor
        if side >= 700:
            return min(side, PREVIEW_SIDE)
    return PREVIEW_SIDE


def dct_preview_side(width: int, height: int) -> int:
    """The long side of an image that fits in memory as its JPEG decoder gives it at 1/8
    scale (1/4 for smaller images): asked for with ``reducing_gap`` 1.0, the preview needs no
    resampling, so it costs little more than reading the file."""
    long = max(width, height)
    return min(-(-long // 8) if long >= 8 * 900 else -(-long // 4), PREVIEW_SIDE)


def warp_into(out: np.ndarray, src: np.ndarray, sx0: int, sy0: int, factor: float,
              scale: float, tx: float, ty: float) -> None:
    """Resample ``src`` (level pixels starting at (sx0, sy0) of a level ``factor`` times
    coarser than the image) into ``out``; pixels that fall outside ``src`` are left alone."""
    if src.size == 0:
        return
    k = 1.0 / (scale * factor)
    m = np.array([[k, 0.0, (0.5 - tx) * k - 0.5 - sx0],
                  [0.0, k, (0.5 - ty) * k - 0.5 - sy0]])
    interp = cv2.INTER_NEAREST if k < 1.0 else cv2.INTER_LINEAR
    h, w = out.shape[:2]
    cv2.warpAffine(src, m, (w, h), dst=out, flags=interp | cv2.WARP_INVERSE_MAP,
                   borderMode=cv2.BORDER_TRANSPARENT)


class ImageSource(QObject):
    """Base of the two kinds of source: ``width``, ``height``, ``render`` and ``changed``."""

    changed = Signal()
    failed = Signal(str)

    def __init__(self, width: int, height: int) -> None:
        super().__init__()
        self.width, self.height = width, height
        self.closed = False

    def render(self, out: np.ndarray, scale: float, tx: float, ty: float, *,
               wait: bool = False) -> bool:
        """Fill ``out``; True when it shows the best pixels there will be. With ``wait``, first
        wait for pixels that come quickly (a preview, tiles of a built pyramid), not for a
        full decode or a pyramid build."""
        raise LabelHubError("an image source must implement render")  # pragma: no cover

    def ready(self) -> bool:
        """Whether every background job (decode, tile loads) has finished."""
        return True

    def wait(self, timeout: float | None = None) -> None:
        """Block until the background decode (if any) has finished."""

    def shown(self) -> None:
        """Pixels of this source are on screen: background work held back until then (the
        full-resolution decode after a preview) may start."""

    def close(self) -> None:
        self.closed = True


class MemoryImage(ImageSource):
    """An image that fits in memory: a quick preview first, then full resolution and its mips,
    decoded on a background thread."""

    def __init__(self, path: Path | None, width: int, height: int,
                 pixels: np.ndarray | None = None) -> None:
        super().__init__(width, height)
        self._lock = threading.Lock()
        self._levels: list[tuple[float, np.ndarray]] = []  # (factor, array), finest first
        self._done = threading.Event()
        self._first = threading.Event()  # some pixels (the preview at least) are in
        self._go = threading.Event()  # the preview was shown: decode the full image now
        self.error: str | None = None
        if pixels is not None:
            self._install(pixels)
            self._done.set()
            self._first.set()
        else:
            self._thread = threading.Thread(target=self._decode, args=(Path(path),), daemon=True,
                                            name="labelhub-decode")
            self._thread.start()

    def _install(self, full: np.ndarray) -> None:
        levels = [(1.0, full)]
        cur = full
        while max(cur.shape[:2]) > 1024:
            nh, nw = -(-cur.shape[0] // 2), -(-cur.shape[1] // 2)
            cur = cv2.resize(cur, (nw, nh), interpolation=cv2.INTER_AREA)
            levels.append((levels[-1][0] * 2, cur))
        with self._lock:
            self._levels = [(self.width / lv.shape[1], lv) for _, lv in levels]

    def _decode(self, path: Path) -> None:
        try:
            if max(self.width, self.height) > 4096 and sniff_format(path) == "jpeg":
                side = dct_preview_side(self.width, self.height)
                preview = opaque_rgb32(open_oriented(path, max_side=side, reducing_gap=1.0))
                with self._lock:
                    if not self._levels:
                        self._levels = [(self.width / preview.shape[1], preview)]
                self._first.set()
                self.changed.emit()
            if self.closed:
                return
            if self._first.is_set():
                # The full decode waits until the preview is on screen (or a moment at most):
                # opening an item then has the processor to itself until it is drawn.
                self._go.wait(FULL_DECODE_WAIT)
            if self.closed:
                return
            self._install(opaque_rgb32(open_oriented(path)))
            if not self.closed:
                self.changed.emit()
        except LabelHubError as exc:
            self.error = str(exc)
            self.failed.emit(str(exc))
        except MemoryError:
            self.error = f"{path}: not enough memory to decode the image"
            self.failed.emit(self.error)
        finally:
            self._done.set()
            self._first.set()

    def ready(self) -> bool:
        return self._done.is_set()

    def shown(self) -> None:
        self._go.set()

    def close(self) -> None:
        super().close()
        self._go.set()

    def wait(self, timeout: float | None = None) -> None:
        self._go.set()
        self._done.wait(timeout)

    def full_resolution(self) -> bool:
        with self._lock:
            return bool(self._levels) and self._levels[0][0] == 1.0

    def render(self, out: np.ndarray, scale: float, tx: float, ty: float, *,
               wait: bool = False) -> bool:
        if wait:
            self._first.wait()
        fill_background(out)
        with self._lock:
            levels = list(self._levels)
        if not levels:
            return False
        factor, arr = levels[0]
        for f, a in levels:
            if f <= 1.0 / scale + 1e-9:
                factor, arr = f, a
        x0 = max(int(np.floor(-tx / scale / factor)) - 2, 0)
        y0 = max(int(np.floor(-ty / scale / factor)) - 2, 0)
        x1 = min(int(np.ceil((out.shape[1] - tx) / scale / factor)) + 2, arr.shape[1])
        y1 = min(int(np.ceil((out.shape[0] - ty) / scale / factor)) + 2, arr.shape[0])
        if x1 > x0 and y1 > y0:
            warp_into(out, arr[y0:y1, x0:x1], x0, y0, factor, scale, tx, ty)
        return levels[0][0] == 1.0


class TiledImage(ImageSource):
    """A very large image shown from its tile pyramid, built on first open (on a background
    thread, while a reduced-resolution preview is shown) and reused afterwards."""

    def __init__(self, path: Path, cache_root: Path, *, sha256: str | None = None,
                 width: int | None = None, height: int | None = None) -> None:
        if width is None or height is None:
            width, height = pyramid.image_size(path)
        super().__init__(width, height)
        self.path = Path(path)
        self.folder = pyramid.pyramid_folder(cache_root, pyramid.cache_key(path, sha256))
        self._lock = threading.Lock()
        self._tiles: OrderedDict[tuple[int, int, int], np.ndarray] = OrderedDict()
        self._bytes = 0
        self._inflight: set[tuple[int, int, int]] = set()
        self._absent: set[tuple[int, int, int]] = set()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="labelhub-tiles")
        self._cancel = threading.Event()
        self._preview: tuple[float, np.ndarray] | None = None
        self.error: str | None = None
        self._built = threading.Event()
        info = pyramid.load_info(self.folder)
        self.reused = info is not None
        if info is not None:
            self.info = info
            self._tiles_folder = self.folder
            self._built.set()
            top = info.levels - 1
            self._store((top, 0, 0), pyramid.read_tile(self.folder, top, 0, 0))
        else:
            builder = pyramid.PyramidBuilder(self.path, self.folder)
            self.info = builder.info
            self._tiles_folder = builder.work
            if sniff_format(self.path) == "jpeg":  # reduced-resolution decode: quick
                side = preview_side(self.width, self.height)
                preview = opaque_rgb32(open_oriented(self.path, max_side=side))
                self._preview = (self.width / preview.shape[1], preview)
            self._builder_thread = threading.Thread(target=self._build, args=(builder,),
                                                    daemon=True, name="labelhub-pyramid")
            self._builder_thread.start()

    # -- building ------------------------------------------------------------------------------

    def _build(self, builder: pyramid.PyramidBuilder) -> None:
        pending = {"n": 0}

        def on_tile(level: int, tx: int, ty: int) -> None:
            with self._lock:
                self._absent.discard((level, tx, ty))
            pending["n"] += 1
            if pending["n"] >= 8:
                pending["n"] = 0
                self.changed.emit()

        def on_image(image: PilImage) -> None:
            if self._preview is None:  # formats without reduced decoding: shrink this one
                factor = -(-max(image.size) // PREVIEW_SIDE)
                preview = opaque_rgb32(image.reduce(factor) if factor > 1 else image)
                self._preview = (self.width / preview.shape[1], preview)
                self.changed.emit()

        try:
            builder.build(cancel=self._cancel, on_tile=on_tile, on_image=on_image)
            with self._lock:
                self._tiles_folder = self.folder
                self._absent.clear()
        except Cancelled:
            return
        except LabelHubError as exc:
            self.error = str(exc)
            self.failed.emit(self.error)
        except MemoryError:
            self.error = f"{self.path}: not enough memory to build the tile pyramid"
            self.failed.emit(self.error)
        finally:
            self._built.set()
        self.changed.emit()

    def built(self) -> bool:
        return self._built.is_set()

    def wait(self, timeout: float | None = None) -> None:
        self._built.wait(timeout)

    def ready(self) -> bool:
        with self._lock:
            return self._built.is_set() and not self._inflight

    def close(self) -> None:
        super().close()
        self._cancel.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- tiles ---------------------------------------------------------------------------------

    def _store(self, key: tuple[int, int, int], tile: np.ndarray | None) -> None:
        with self._lock:
            self._inflight.discard(key)
            if tile is None:
                self._absent.add(key)
                return
            self._tiles[key] = tile
            self._bytes += tile.nbytes
            while self._bytes > TILE_BUDGET_BYTES and len(self._tiles) > 1:
                _, old = self._tiles.popitem(last=False)
                self._bytes -= old.nbytes

    def _load(self, key: tuple[int, int, int]) -> None:
        if self.closed:
            return
        with self._lock:
            folder = self._tiles_folder
        self._store(key, pyramid.read_tile(folder, *key))
        if key in self._tiles:
            self.changed.emit()

    def _tile(self, key: tuple[int, int, int], wait: bool) -> np.ndarray | None:
        if self.closed:
            return None
        with self._lock:
            tile = self._tiles.get(key)
            if tile is not None:
                self._tiles.move_to_end(key)
                return tile
            if key in self._absent or (key in self._inflight and not wait):
                return None
            self._inflight.add(key)
        if wait:
            self._load(key)
            with self._lock:
                return self._tiles.get(key)
        self._pool.submit(self._load, key)
        return None

    def cached_tiles(self) -> list[tuple[int, int, int]]:
        """Keys (level, x, y) of the tiles in memory."""
        with self._lock:
            return list(self._tiles)

    def _compose(self, level: int, x0: int, y0: int, x1: int, y1: int, wait: bool
                 ) -> tuple[np.ndarray | None, bool]:
        """Level pixels [x0, x1) x [y0, y1) from tiles (coarser pixels where tiles are
        missing); None when nothing at all is available. Also whether it is all real."""
        t = self.info.tile
        out = np.empty((y1 - y0, x1 - x0, 4), dtype=np.uint8)
        missing = []
        for ty in range(y0 // t, -(-y1 // t)):
            for tx in range(x0 // t, -(-x1 // t)):
                tile = self._tile((level, tx, ty), wait)
                if tile is None:
                    missing.append((tx, ty))
                    continue
                ax0, ay0 = max(tx * t, x0), max(ty * t, y0)
                ax1, ay1 = min(tx * t + tile.shape[1], x1), min(ty * t + tile.shape[0], y1)
                out[ay0 - y0: ay1 - y0, ax0 - x0: ax1 - x0] = \
                    tile[ay0 - ty * t: ay1 - ty * t, ax0 - tx * t: ax1 - tx * t]
        if not missing:
            return out, True
        coarse = self._coarser(level, x0, y0, x1, y1)
        if coarse is None:
            return (None, False) if len(missing) * t * t >= out.shape[0] * out.shape[1] \
                else (out, False)
        for tx, ty in missing:
            ax0, ay0 = max(tx * t, x0), max(ty * t, y0)
            ax1, ay1 = min((tx + 1) * t, x1), min((ty + 1) * t, y1)
            out[ay0 - y0: ay1 - y0, ax0 - x0: ax1 - x0] = \
                coarse[ay0 - y0: ay1 - y0, ax0 - x0: ax1 - x0]
        return out, False

    def _coarser(self, level: int, x0: int, y0: int, x1: int, y1: int) -> np.ndarray | None:
        """The region [x0, x1) x [y0, y1) of ``level`` stretched from the next level up (or
        from the preview), without waiting for anything."""
        w, h = x1 - x0, y1 - y0
        if level + 1 < self.info.levels:
            cx0, cy0 = x0 // 2, y0 // 2
            cw, ch = self.info.level_size(level + 1)
            cx1, cy1 = min(-(-x1 // 2) + 1, cw), min(-(-y1 // 2) + 1, ch)
            src, _ = self._compose(level + 1, cx0, cy0, cx1, cy1, False)
            if src is not None:
                return _stretch(src, cx0 * 2.0, cy0 * 2.0, 2.0, x0, y0, w, h)
        if self._preview is not None:
            f, arr = self._preview
            rel = f / (1 << level)  # preview pixels are this many level pixels wide
            return _stretch(arr, 0.0, 0.0, rel, x0, y0, w, h)
        return None

    def render(self, out: np.ndarray, scale: float, tx: float, ty: float, *,
               wait: bool = False) -> bool:
        fill_background(out)
        level = 0
        while level + 1 < self.info.levels and (1 << (level + 1)) <= 1.0 / scale + 1e-9:
            level += 1
        f = float(1 << level)
        lw, lh = self.info.level_size(level)
        x0 = max(int(np.floor(-tx / scale / f)) - 2, 0)
        y0 = max(int(np.floor(-ty / scale / f)) - 2, 0)
        x1 = min(int(np.ceil((out.shape[1] - tx) / scale / f)) + 2, lw)
        y1 = min(int(np.ceil((out.shape[0] - ty) / scale / f)) + 2, lh)
        if x1 <= x0 or y1 <= y0:
            return True
        region, complete = self._compose(level, x0, y0, x1, y1, wait and self.built())
        if region is None:
            return False
        # Level pixels are f image pixels wide (the last column may be narrower: negligible).
        warp_into(out, region, x0, y0, f, scale, tx, ty)
        return complete


def _stretch(src: np.ndarray, sx0: float, sy0: float, rel: float, x0: int, y0: int,
             w: int, h: int) -> np.ndarray:
    """Pixels [x0, x0 + w) x [y0, y0 + h) of a finer grid, from ``src`` whose pixel (0, 0)
    starts at (sx0, sy0) of that grid and whose pixels are ``rel`` of its pixels wide."""
    k = 1.0 / rel
    m = np.array([[k, 0.0, (x0 + 0.5 - sx0) * k - 0.5], [0.0, k, (y0 + 0.5 - sy0) * k - 0.5]])
    out = np.empty((h, w, 4), dtype=np.uint8)
    fill_background(out)
    cv2.warpAffine(src, m, (w, h), dst=out, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                   borderMode=cv2.BORDER_REPLICATE)
    return out


def open_source(path: Path, *, cache_root: Path | None = None, sha256: str | None = None
                ) -> ImageSource:
    """The right source for an image file: in memory, or tiled when it is very large and a
    cache folder is given. Raises BadImage when the file is not a usable image."""
    width, height = pyramid.image_size(path)
    large = width * height > LARGE_PIXELS or max(width, height) > LARGE_SIDE
    if large and cache_root is not None:
        return TiledImage(path, cache_root, sha256=sha256, width=width, height=height)
    return MemoryImage(path, width, height)
