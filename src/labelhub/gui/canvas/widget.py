"""CanvasWidget: the image annotation canvas (a QWidget with its own paintEvent)."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from labelhub.geometry import Mask
from labelhub.gui.canvas import overlay
from labelhub.gui.canvas.editing import READ_ONLY_MESSAGE, ShapeApi
from labelhub.gui.canvas.imagesource import ImageSource, MemoryImage, open_source
from labelhub.gui.canvas.pyramid import configure_qt_image_limits
from labelhub.gui.canvas.store import ShapeStore
from labelhub.gui.canvas.tools import SHORTCUTS, TOOLS, Floating, Pointer, Tool
from labelhub.gui.canvas.view import MAX_SCALE, DisplayAdjust, View, zoom_factor
from labelhub.gui.canvas.viewcache import ViewCache

#: Label tags are drawn when at most this many shapes are in view.
LABEL_LIMIT = 150

_log = logging.getLogger(__name__)
_Handler = TypeVar("_Handler", bound=Callable[..., Any])


def guarded(handler: _Handler) -> _Handler:
    """Keep an exception in a Qt event handler from reaching Qt: PySide6 6.11 aborts the
    process when a Python override raises. The error is logged and kept in ``errors``."""

    @functools.wraps(handler)
    def wrapper(self: CanvasWidget, *args: Any) -> Any:
        try:
            return handler(self, *args)
        except Exception as exc:  # noqa: BLE001 - reported, not swallowed
            _log.exception("canvas %s failed", handler.__name__)
            self.errors.append(exc)
            return None

    return wrapper  # type: ignore[return-value]


class CanvasWidget(QWidget, ShapeApi):
    """Shows one image and its shapes in layers, and edits them with tools.

    Every finished gesture emits ``commandIssued`` once with a command object (ShapeAdded,
    ShapeChanged, ShapesChanged, ShapesDeleted, LabelsChanged) after the canvas has applied it;
    ``apply`` and ``revert`` replay and undo commands from outside.
    """

    commandIssued = Signal(object)
    selectionChanged = Signal(list)
    hoverChanged = Signal(object)
    cursorMoved = Signal(float, float)
    viewChanged = Signal()
    toolChanged = Signal(str)
    vertexPicked = Signal(object)  # (uid, vertex index) clicked with the select tool, or None
    statusMessage = Signal(str)
    imageFailed = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, cache_dir: Path | None = None) -> None:
        super().__init__(parent)
        configure_qt_image_limits()
        # Render workers run Python between their numpy and OpenCV calls; a shorter GIL switch
        # interval (5 ms by default) lets this thread take the GIL back sooner, so frames are
        # not held up behind them. The setting is process-wide and harmless elsewhere.
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(160, 120)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.store = ShapeStore()
        self.cache = ViewCache(self.store, self)
        self.cache.updated.connect(self.update)
        self.view = View()
        self.current_label = "object"
        self.current_layer = "default"
        self.brush_px = 12.0
        self.crosshair = False
        self.show_labels = True
        self.read_only = False
        self.last_status = ""
        self.errors: list[Exception] = []
        self._image_size: tuple[int, int] | None = None
        self._auto_fit = True
        self._pan_from: QPointF | None = None
        self._space = False
        self._hover: str | None = None
        self._mouse: QPointF | None = None
        self._tags = overlay.LabelTags()
        self._tools: dict[str, Tool] = {name: cls(self) for name, cls in TOOLS.items()}
        self._tool: Tool = self._tools["select"]
        self.setCursor(self._tool.cursor)

    # -- image ---------------------------------------------------------------------------------

    def open_image(self, path: Path, *, sha256: str | None = None) -> None:
        """Show an image file. Very large images are shown from a tile pyramid kept under
        ``cache_dir`` (built on first open). Raises BadImage for unusable files."""
        self._set_source(open_source(Path(path), cache_root=self.cache_dir, sha256=sha256))

    def set_image_pixels(self, pixels: np.ndarray) -> None:
        """Show decoded pixels: (H, W, 4) uint8 in QImage RGB32 layout (see
        labelhub.media.to_rgb32_array)."""
        h, w = pixels.shape[:2]
        self._set_source(MemoryImage(None, w, h, np.ascontiguousarray(pixels)))

    def clear_image(self) -> None:
        self._set_source(None)

    def _set_source(self, source: ImageSource | None) -> None:
        self._cancel_gesture()
        self.cache.set_source(source)
        if source is None:
            self._image_size = None
        else:
            self._image_size = (source.width, source.height)
            source.failed.connect(self.imageFailed)
            self._auto_fit = True
            self.fit()

    def image_size(self) -> tuple[int, int] | None:
        """(width, height) of the image shown, None when there is none."""
        return self._image_size

    @property
    def image_source(self) -> ImageSource | None:
        return self.cache.source

    # -- view ----------------------------------------------------------------------------------

    def _extent(self) -> tuple[float, float]:
        if self._image_size is not None:
            return float(self._image_size[0]), float(self._image_size[1])
        b = self.store.bounds[: self.store.n][self.store.alive[: self.store.n]]
        b = b[np.isfinite(b).all(axis=1)]
        if not b.size:
            return float(self.width()), float(self.height())
        return float(b[:, 2].max()), float(b[:, 3].max())

    def fit(self) -> None:
        """Show the whole image (F)."""
        w, h = self._extent()
        self.view.fit(w, h, self.width(), self.height())
        self._auto_fit = True
        self._view_changed()

    def zoom_to(self, scale: float, at: QPointF | None = None) -> None:
        """Zoom to ``scale`` widget pixels per image pixel, about widget point ``at`` (default:
        the centre)."""
        at = at or QPointF(self.width() / 2, self.height() / 2)
        self.view.set_scale_at(scale, at.x(), at.y())
        self._auto_fit = False
        self._view_changed()

    def zoom_100(self) -> None:
        """One image pixel per screen pixel, about the pointer if it is over the canvas (1)."""
        ratio = self.devicePixelRatioF()
        self.zoom_to(1.0 / ratio, self._mouse)

    def zoom_at(self, factor: float, at: QPointF) -> None:
        """Zoom by ``factor`` keeping the image point under widget point ``at`` fixed."""
        self.view.zoom_at(factor, at.x(), at.y(), hi=MAX_SCALE)
        self._auto_fit = False
        self._view_changed()

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the image by (dx, dy) widget pixels."""
        self.view.ox += dx
        self.view.oy += dy
        self._auto_fit = False
        self._view_changed()

    def center_on(self, x: float, y: float) -> None:
        self.view.center_on(x, y, self.width(), self.height())
        self._auto_fit = False
        self._view_changed()

    def widget_to_image(self, point: QPointF) -> tuple[float, float]:
        return self.view.to_image(point.x(), point.y())

    def image_to_widget(self, x: float, y: float) -> QPointF:
        return QPointF(*self.view.to_widget(x, y))

    def _view_changed(self) -> None:
        self.viewChanged.emit()
        self.update()

    # -- display -------------------------------------------------------------------------------

    def set_display(self, brightness: float = 0.0, contrast: float = 1.0,
                    gamma: float = 1.0) -> None:
        """Brightness, contrast and gamma of the image on screen only."""
        self.cache.set_adjust(DisplayAdjust(brightness, contrast, gamma))

    def display(self) -> DisplayAdjust:
        return self.cache.adjust

    def set_crosshair(self, on: bool) -> None:
        self.crosshair = on
        self.update()

    def set_show_labels(self, on: bool) -> None:
        self.show_labels = on
        self.update()

    # -- tools ---------------------------------------------------------------------------------

    @property
    def tool(self) -> Tool:
        return self._tool

    def tool_names(self) -> list[str]:
        return list(self._tools)

    def set_tool(self, name: str) -> None:
        """Switch tools: select, box, rotated_box, polygon, polyline, point, keypoints, brush,
        eraser. A read-only canvas keeps the select tool (to pick and look at shapes)."""
        if name not in self._tools:
            raise ValueError(f"unknown tool {name!r}; expected one of {', '.join(self._tools)}")
        if self.read_only and name != "select":
            self.status(READ_ONLY_MESSAGE)
            return
        if self._tool.name == name:
            return
        self._tool.deactivate()
        self._tool = self._tools[name]
        self._tool.activate()
        self.setCursor(self._tool.cursor)
        self.toolChanged.emit(name)
        self.update()

    def set_read_only(self, on: bool) -> None:
        """Make the whole canvas read-only (or editable again): only the select tool, and every
        gesture that would change a shape is refused (``commit`` drops it), whatever the
        layers say. Viewing, picking, panning and zooming work as before."""
        self._cancel_gesture()
        self.read_only = on
        if on:
            self.set_tool("select")
        self.update()

    def _cancel_gesture(self) -> None:
        if hasattr(self, "_tool"):
            self._tool.cancel()

    def hovered_uid(self) -> str | None:
        return self._hover

    def flush(self, *, full_image: bool = True) -> None:
        """Finish all pending rendering now (for tests, screenshots and benchmarks). With
        ``full_image`` False, show whatever image pixels come quickly (the reduced-resolution
        preview, the tiles of a built pyramid) instead of waiting for the full decode."""
        source = self.cache.source
        if source is not None and full_image:
            source.wait()
        self.cache.flush(self.view, self.width(), self.height(), self.devicePixelRatioF())

    def busy(self) -> bool:
        """Whether renderings, decodes or tile loads are still under way."""
        source = self.cache.source
        return self.cache.busy() or (source is not None and not source.ready())

    # -- painting ------------------------------------------------------------------------------

    @guarded
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        w, h, dpr = self.width(), self.height(), self.devicePixelRatioF()
        self.cache.ensure(self.view, w, h, dpr)
        painter = QPainter(self)
        self.cache.paint(painter, self.view, w, h, dpr)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        floating = self._tool.floating()
        moving = {f.uid for f in floating}
        if self.show_labels:
            self._paint_labels(painter, moving)
        if self._hover is not None and self._hover not in moving and self._hover in self.store:
            self._paint_hover(painter, self._hover)
        for f in floating:
            self._paint_floating(painter, f)
        self._tool.paint(painter)
        if self.crosshair and self._mouse is not None:
            overlay.draw_crosshair(painter, self._mouse.x(), self._mouse.y(), w, h)
        painter.end()

    def _paint_labels(self, painter: QPainter, moving: set[str]) -> None:
        """Class tags on every shape in view when there are few, else on the selected and
        hovered ones."""
        rows = None
        if 0 < self.cache.shapes_in_view() <= LABEL_LIMIT:
            rows = self.store.rows_in(self.view.visible(self.width(), self.height()))
            if rows.size > LABEL_LIMIT:
                rows = None
        if rows is None:
            picked = self.selected_uids()[:64]
            if self._hover is not None and self._hover in self.store:
                picked.append(self._hover)
            rows = np.array([self.store.row_of[u] for u in picked], dtype=np.int64)
        items = []
        for r in rows.tolist():
            uid = self.store.uids[r]
            if uid in moving:
                continue
            b = self.store.bounds[r]
            if not np.isfinite(b).all():
                continue
            items.append((self.store.labels[r], self.shape_qcolor(uid), float(b[0]), float(b[1])))
        self._tags.draw(painter, self.view, items)

    def _paint_hover(self, painter: QPainter, uid: str) -> None:
        shape = self.geometry_of(uid)
        if isinstance(shape, Mask):
            return
        pen = QPen(QColor(255, 255, 255, 200), 1.0)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        overlay.draw_shape(painter, self.view, shape, QColor(255, 255, 255, 220), fill=False)

    def _paint_floating(self, painter: QPainter, f: Floating) -> None:
        color = self.shape_qcolor(f.uid)
        label = self.store.labels[self.store.row_of[f.uid]]
        skeleton = self.store.skeletons.get(label)
        window = self.store.mask_window(f.shape) if isinstance(f.shape, Mask) else None
        overlay.draw_shape(painter, self.view, f.shape, color, dx=f.dx, dy=f.dy, emphasis=True,
                           mask_window=window, skeleton=skeleton.edges if skeleton else ())

    # -- events --------------------------------------------------------------------------------

    @guarded
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        old = event.oldSize()
        if self._auto_fit:
            self.fit()
        elif old.width() > 0 and old.height() > 0:
            cx, cy = self.view.to_image(old.width() / 2, old.height() / 2)
            self.view.center_on(cx, cy, self.width(), self.height())
            self._view_changed()
        super().resizeEvent(event)

    def _pointer(self, event: QMouseEvent) -> Pointer:
        pos = event.position()
        x, y = self.view.to_image(pos.x(), pos.y())
        return Pointer(x, y, pos.x(), pos.y(), event.button(), event.buttons(),
                       event.modifiers())

    @guarded
    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        delta = event.angleDelta().y() or event.angleDelta().x()
        if delta:
            self.zoom_at(zoom_factor(delta), event.position())
        event.accept()

    @guarded
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (
                button == Qt.MouseButton.LeftButton and self._space):
            self._pan_from = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        self._tool.press(self._pointer(event))
        self.update()

    @guarded
    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        self._mouse = QPointF(pos)
        if self._pan_from is not None:
            delta = pos - self._pan_from
            self._pan_from = QPointF(pos)
            self.pan_by(delta.x(), delta.y())
            return
        p = self._pointer(event)
        if not self._tool.busy():
            self._update_hover(p)
        self._tool.move(p)
        self.cursorMoved.emit(p.x, p.y)
        if self.crosshair:
            self.update()

    @guarded
    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None and event.button() in (
                Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton):
            self._pan_from = None
            self.setCursor(Qt.CursorShape.OpenHandCursor if self._space else self._tool.cursor)
            return
        self._tool.release(self._pointer(event))
        self.update()

    @guarded
    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and not self._space:
            self._tool.double_click(self._pointer(event))
            self.update()

    @guarded
    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802
        self._mouse = None
        if self._hover is not None:
            self._hover = None
            self.hoverChanged.emit(None)
        self.update()
        super().leaveEvent(event)

    def _update_hover(self, p: Pointer) -> None:
        uid = self.shape_at(p.x, p.y)
        if uid != self._hover:
            self._hover = uid
            self.hoverChanged.emit(uid)
            self.update()

    @guarded
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key, mods = event.key(), event.modifiers()
        if key == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self._space = True
                self.setCursor(Qt.CursorShape.OpenHandCursor)
            return
        if self._tool.key(key, mods):
            self.update()
            return
        plain = not (mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                             | Qt.KeyboardModifier.MetaModifier))
        centre = self._mouse or QPointF(self.width() / 2, self.height() / 2)
        if plain and key == Qt.Key.Key_F:
            self.fit()
        elif plain and key == Qt.Key.Key_1:
            self.zoom_100()
        elif plain and key == Qt.Key.Key_X:
            self.set_crosshair(not self.crosshair)
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_at(1.25, centre)
        elif key == Qt.Key.Key_Minus:
            self.zoom_at(0.8, centre)
        elif plain and key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_command()
        elif plain and key in SHORTCUTS and not self._tool.busy():
            self.set_tool(SHORTCUTS[key])
        else:
            super().keyPressEvent(event)

    @guarded
    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            if self._pan_from is None:
                self.setCursor(self._tool.cursor)
            return
        super().keyReleaseEvent(event)

    def shutdown(self) -> None:
        """Stop the worker threads and drop the image (when the canvas goes away for good)."""
        self._cancel_gesture()
        self.cache.shutdown()
