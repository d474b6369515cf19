"""Cached renderings of the image and of the shapes, made on worker threads and reused.

Each cache is a buffer a little larger than the widget (a quarter of its size on every side),
drawn at the current zoom. Panning only moves it; zooming stretches it until a sharp rendering
for the new zoom arrives from a worker (asynchronous refinement). So a frame costs two image
blits plus the overlay, whatever the number of shapes.

A change to one shape redraws just its old and new rectangles in the current shape buffer, on
the interface thread, with the same drawing code (see :mod:`raster`), so edits show at once; a
rendering that was under way on a worker gets the same rectangles redrawn before it is shown.
"""

from __future__ import annotations

import logging
import math
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter

from labelhub.gui.canvas import raster
from labelhub.gui.canvas.imagesource import BACKGROUND, ImageSource, fill_background
from labelhub.gui.canvas.store import Rect, ShapeStore
from labelhub.gui.canvas.view import DisplayAdjust, View

#: Beyond this many shapes in view, the overview style is used (no fills, 1 px outlines).
DETAIL_LIMIT = 3000
#: Up to this many shapes in view, outlines are two pixels wide (one beyond).
THICK_LIMIT = 800
#: A dirty rectangle meeting more shapes than this is redrawn on a worker instead.
PARTIAL_MAX_ROWS = 3000
#: Buffer pixels redrawn around a changed shape (outline width, point markers).
PAD_PX = 8
#: Sharp renderings start once the zoom has not changed for this long.
ZOOM_SETTLE_MS = 80
#: Extra buffer around the widget, as a fraction of its larger side.
MARGIN = 0.25
_log = logging.getLogger(__name__)
BACKGROUND_COLOR = QColor(BACKGROUND[2], BACKGROUND[1], BACKGROUND[0])


@dataclass(frozen=True, slots=True)
class Frame:
    """Buffer geometry: image point (x, y) lands on buffer pixel position
    (x * scale + tx, y * scale + ty)."""

    scale: float
    tx: float
    ty: float
    width: int
    height: int

    def image_rect(self) -> Rect:
        return ((-self.tx) / self.scale, (-self.ty) / self.scale,
                (self.width - self.tx) / self.scale, (self.height - self.ty) / self.scale)

    def window(self, rect: Rect, pad: int) -> tuple[int, int, int, int] | None:
        if not all(math.isfinite(v) for v in rect):
            return None
        u0 = max(int(math.floor(rect[0] * self.scale + self.tx)) - pad, 0)
        v0 = max(int(math.floor(rect[1] * self.scale + self.ty)) - pad, 0)
        u1 = min(int(math.ceil(rect[2] * self.scale + self.tx)) + pad + 1, self.width)
        v1 = min(int(math.ceil(rect[3] * self.scale + self.ty)) + pad + 1, self.height)
        return None if u1 <= u0 or v1 <= v0 else (u0, v0, u1, v1)


@dataclass
class Rendered:
    kind: str
    frame: Frame
    pixels: np.ndarray
    generation: int
    revision: int = 0
    style: raster.Style | None = None
    complete: bool = True
    count: int = 0
    qimage: QImage | None = None
    failed: bool = False
    epoch: int = 0

    def image(self) -> QImage:
        if self.qimage is None:
            fmt = QImage.Format.Format_ARGB32_Premultiplied if self.kind == "shapes" \
                else QImage.Format.Format_RGB32
            self.qimage = QImage(self.pixels.data, self.frame.width, self.frame.height,
                                 self.frame.width * 4, fmt)
        return self.qimage


def wanted_frame(view: View, width: int, height: int, dpr: float) -> Frame:
    m = round(MARGIN * max(width, height))
    return Frame(view.scale * dpr, (view.ox + m) * dpr, (view.oy + m) * dpr,
                 int(math.ceil((width + 2 * m) * dpr)), int(math.ceil((height + 2 * m) * dpr)))


def _same_scale(a: Frame, b: Frame) -> bool:
    return abs(a.scale - b.scale) <= 1e-9 * max(a.scale, b.scale)


def _covers(have: Frame, want: Frame, slack: float) -> bool:
    """Whether ``have`` (same scale) holds the widget part of ``want`` plus ``slack`` of its
    margin on every side."""
    m_x = (want.width - want.width / (1 + 2 * MARGIN)) / 2
    m_y = (want.height - want.height / (1 + 2 * MARGIN)) / 2
    dx, dy = have.tx - want.tx, have.ty - want.ty  # want's buffer pixel u is have's u + dx
    return (m_x * (1 - slack) + dx >= -0.5 and m_y * (1 - slack) + dy >= -0.5
            and want.width - m_x * (1 - slack) + dx <= have.width + 0.5
            and want.height - m_y * (1 - slack) + dy <= have.height + 0.5)


class ViewCache(QObject):
    """The two cached layers (image, shapes) of a canvas and the jobs that refresh them."""

    updated = Signal()
    _finished = Signal(object)

    def __init__(self, store: ShapeStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.source: ImageSource | None = None
        self.adjust = DisplayAdjust()
        self.layers: dict[str, Rendered | None] = {"image": None, "shapes": None}
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="labelhub-render")
        self._running: dict[str, tuple[Future, Frame, int, int] | None] = {"image": None, "shapes": None}
        self._pending: dict[str, Frame | None] = {"image": None, "shapes": None}
        self._generation = 0
        self._epoch = 0  # results from before the last flush or reset are dropped
        self._dirty: list[tuple[int, list[Rect]]] = []
        self._global_rev = 0
        self._image_stale = False
        self._closed = False
        self._scratch: np.ndarray | None = None
        self.errors: list[Exception] = []
        self._last_scale: float | None = None
        self._scale_changed_at = 0.0
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.timeout.connect(self.updated)
        self._finished.connect(self._install)
        store.listeners.append(self._store_changed)

    # -- inputs --------------------------------------------------------------------------------

    def set_source(self, source: ImageSource | None) -> None:
        if self.source is not None:
            self.source.close()
        self.source = source
        self.layers["image"] = None
        self._image_stale = True
        if source is not None:
            source.changed.connect(self._source_changed)
        self.updated.emit()

    def _source_changed(self) -> None:
        self._image_stale = True
        self.updated.emit()

    def set_adjust(self, adjust: DisplayAdjust) -> None:
        self.adjust = adjust
        self._image_stale = True
        self.updated.emit()

    def _store_changed(self, rects: list[Rect] | None) -> None:
        rev = self.store.revision
        shapes = self.layers["shapes"]
        if rects is None:
            self._global_rev = rev
        else:
            rects = _merged(rects)
            self._dirty.append((rev, rects))
            running = self._running["shapes"]
            oldest = running[2] if running is not None else rev
            self._dirty = [d for d in self._dirty if d[0] >= oldest]
            if shapes is not None and shapes.revision >= self._global_rev:
                for rect in rects:
                    if not self._repair(shapes, rect):
                        self._global_rev = rev
                        break
        self.updated.emit()

    def _repair(self, rendered: Rendered, rect: Rect) -> bool:
        """Redraw the buffer around ``rect``; False when that would meet too many shapes."""
        fr = rendered.frame
        win = fr.window(rect, PAD_PX)
        if win is None:
            return True
        u0, v0, u1, v1 = win
        reach = (u0 - PAD_PX - fr.tx) / fr.scale, (v0 - PAD_PX - fr.ty) / fr.scale, \
            (u1 + PAD_PX - fr.tx) / fr.scale, (v1 + PAD_PX - fr.ty) / fr.scale
        rows = self.store.rows_in(reach)
        if rows.size > PARTIAL_MAX_ROWS:
            return False
        batch = self.store.gather(rows)
        if self._scratch is None or self._scratch.shape != rendered.pixels.shape:
            self._scratch = np.zeros_like(rendered.pixels)
        assert rendered.style is not None
        raster.redraw(rendered.pixels, self._scratch, batch, fr.scale, fr.tx, fr.ty,
                      rendered.style, self.store.mask_window, win, PAD_PX)
        return True

    # -- scheduling ----------------------------------------------------------------------------

    def stale(self, kind: str, want: Frame) -> bool:
        cur = self.layers[kind]
        if cur is None or not _same_scale(cur.frame, want) or not _covers(cur.frame, want, 0.5):
            return True
        if kind == "image":
            return self._image_stale
        return cur.revision < self._global_rev

    def ensure(self, view: View, width: int, height: int, dpr: float) -> None:
        """Start whatever renderings the view needs (called before each paint). While the
        zoom keeps changing, sharp renderings wait until it has rested for ZOOM_SETTLE_MS:
        the stretched cache is shown meanwhile, and no work goes into scales already gone."""
        if width <= 0 or height <= 0:
            return
        want = wanted_frame(view, width, height, dpr)
        now = time.monotonic()
        if self._last_scale is None or not math.isclose(want.scale, self._last_scale,
                                                        rel_tol=1e-9):
            self._last_scale = want.scale
            if self.layers["shapes"] is not None or self.layers["image"] is not None:
                self._scale_changed_at = now
        wait_ms = ZOOM_SETTLE_MS - (now - self._scale_changed_at) * 1000
        if wait_ms > 0:
            self._settle.start(int(wait_ms) + 1)
            return
        for kind in ("image", "shapes"):
            if kind == "image" and self.source is None:
                continue
            if not self.stale(kind, want):
                continue
            running = self._running[kind]
            if running is not None:
                job = running[1]
                if _same_scale(job, want) and _covers(job, want, 0.5) and not \
                        (kind == "image" and self._image_stale):
                    continue
                self._pending[kind] = want
                continue
            self._start(kind, want)

    def _start(self, kind: str, frame: Frame) -> None:
        if self._closed:
            return
        self._generation += 1
        if kind == "image":
            self._image_stale = False
        future = self._pool.submit(self._run, kind, frame, self._generation, self._epoch)
        self._running[kind] = (future, frame, self.store.revision, self._generation)

    def _run(self, kind: str, frame: Frame, generation: int, epoch: int) -> None:
        job = self._render_image if kind == "image" else self._render_shapes
        try:
            result = job(frame, generation, wait=False)
        except Exception as exc:  # noqa: BLE001 - reported on the interface thread
            _log.exception("rendering the %s layer failed", kind)
            self.errors.append(exc)
            result = Rendered(kind, frame, np.zeros((0, 0, 4), np.uint8), generation,
                              failed=True)
        result.epoch = epoch
        self._finished.emit(result)

    def _render_image(self, frame: Frame, generation: int, *, wait: bool) -> Rendered:
        pixels = np.empty((frame.height, frame.width, 4), dtype=np.uint8)
        source = self.source
        complete = True
        if source is None:
            fill_background(pixels)
        else:
            complete = source.render(pixels, frame.scale, frame.tx, frame.ty, wait=wait)
        self.adjust.apply(pixels)
        return Rendered("image", frame, pixels, generation, complete=complete)

    def _render_shapes(self, frame: Frame, generation: int, *, wait: bool) -> Rendered:
        with self.store.lock:
            revision = self.store.revision
            rows = self.store.rows_in(frame.image_rect())
            batch = self.store.gather(rows)
        few = rows.size <= THICK_LIMIT
        style = raster.Style(detailed=rows.size <= DETAIL_LIMIT, line_px=2 if few else 1,
                             point_radius=4.0 if few else 3.0)
        pixels = np.zeros((frame.height, frame.width, 4), dtype=np.uint8)
        raster.render(pixels, batch, frame.scale, frame.tx, frame.ty, style,
                      self.store.mask_window)
        return Rendered("shapes", frame, pixels, generation, revision=revision, style=style,
                        count=int(rows.size))

    def _install(self, result: Rendered) -> None:
        kind = result.kind
        running = self._running[kind]
        if running is not None and running[3] == result.generation:
            self._running[kind] = None
        if result.epoch == self._epoch and not result.failed:
            self._accept(result)
        pending = self._pending[kind]
        if pending is not None and self._running[kind] is None:
            self._pending[kind] = None
            self._start(kind, pending)
        self.updated.emit()

    def _accept(self, result: Rendered) -> bool:
        if result.kind == "shapes":
            if result.revision < self._global_rev:
                return False
            for rev, rects in self._dirty:
                if rev > result.revision:
                    for rect in rects:
                        if not self._repair(result, rect):
                            self._global_rev = max(self._global_rev, rev)
                            return False
        current = self.layers[result.kind]
        if current is not None and current.generation > result.generation:
            return False
        self.layers[result.kind] = result
        if result.kind == "image" and self.source is not None:
            self.source.shown()
        return True

    def busy(self) -> bool:
        return self._settle.isActive() or any(r is not None for r in self._running.values()) \
            or any(p is not None for p in self._pending.values())

    def flush(self, view: View, width: int, height: int, dpr: float) -> None:
        """Bring both layers up to date now, on this thread (tests, screenshots, benchmarks)."""
        self._settle.stop()
        for kind, running in self._running.items():
            if running is not None:
                running[0].result()
                self._running[kind] = None
            self._pending[kind] = None
        self._epoch += 1
        if width <= 0 or height <= 0:
            return
        want = wanted_frame(view, width, height, dpr)
        self._generation += 1
        # Shapes first: meanwhile the image source may still be decoding its preview.
        self.layers["shapes"] = self._render_shapes(want, self._generation, wait=True)
        if self.source is not None:
            self._image_stale = False
            self.layers["image"] = self._render_image(want, self._generation, wait=True)
            self.source.shown()
        self._dirty.clear()

    def shutdown(self) -> None:
        self._closed = True
        self._epoch += 1
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self.source is not None:
            self.source.close()

    # -- painting ------------------------------------------------------------------------------

    def paint(self, painter: QPainter, view: View, width: int, height: int, dpr: float) -> None:
        image = self.layers["image"]
        if image is None or self.source is None or not _covers_widget(image.frame, view, width,
                                                                      height):
            painter.fillRect(QRectF(0, 0, width, height), BACKGROUND_COLOR)
        for kind in ("image", "shapes"):
            rendered = self.layers[kind]
            if rendered is None or (kind == "image" and self.source is None):
                continue
            _blit(painter, rendered, view, width, height, dpr)

    def shapes_in_view(self) -> int:
        shapes = self.layers["shapes"]
        return shapes.count if shapes is not None else 0


def _covers_widget(fr: Frame, view: View, width: int, height: int) -> bool:
    """Whether a buffer (opaque everywhere) drawn for ``view`` covers the whole widget."""
    k = view.scale / fr.scale
    x0, y0 = view.ox - fr.tx * k, view.oy - fr.ty * k
    return x0 <= 0 and y0 <= 0 and x0 + fr.width * k >= width and y0 + fr.height * k >= height


def _merged(rects: list[Rect]) -> list[Rect]:
    """The rectangles with duplicates and rectangles inside others dropped."""
    out: list[Rect] = []
    for r in rects:
        if not all(math.isfinite(v) for v in r):
            continue
        if any(o[0] <= r[0] and o[1] <= r[1] and o[2] >= r[2] and o[3] >= r[3] for o in out):
            continue
        out = [o for o in out if not (r[0] <= o[0] and r[1] <= o[1] and r[2] >= o[2]
                                      and r[3] >= o[3])]
        out.append(r)
    return out


def _blit(painter: QPainter, rendered: Rendered, view: View, width: int, height: int,
          dpr: float) -> None:
    fr = rendered.frame
    k = view.scale / fr.scale  # widget pixels per buffer pixel
    x0, y0 = view.ox - fr.tx * k, view.oy - fr.ty * k
    image = rendered.image()
    if abs(k * dpr - 1.0) < 1e-9:
        image.setDevicePixelRatio(dpr)
        painter.drawImage(QPointF(x0, y0), image)
        return
    vx0, vy0 = max(x0, 0.0), max(y0, 0.0)
    vx1, vy1 = min(x0 + fr.width * k, float(width)), min(y0 + fr.height * k, float(height))
    if vx1 <= vx0 or vy1 <= vy0:
        return
    source = QRectF((vx0 - x0) / k, (vy0 - y0) / k, (vx1 - vx0) / k, (vy1 - vy0) / k)
    painter.drawImage(QRectF(vx0, vy0, vx1 - vx0, vy1 - vy0), image, source)
