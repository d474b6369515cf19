"""Brush and eraser for masks (stored as COCO RLE)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen

from labelhub.geometry import Mask
from labelhub.gui.canvas import masks
from labelhub.gui.canvas.model import ShapeAdded, ShapeChanged, ShapesDeleted
from labelhub.gui.canvas.tools.base import Pointer, Tool

if TYPE_CHECKING:
    from labelhub.gui.canvas.widget import CanvasWidget

LEFT = Qt.MouseButton.LeftButton
MIN_RADIUS_PX, MAX_RADIUS_PX = 1.0, 400.0


class BrushTool(Tool):
    """Paints the selected mask (or a new one in the current label) with a round brush; the
    eraser removes pixels from the selected mask, or from the mask under the pointer. The
    radius is in screen pixels: [ and ] change it."""

    name, title = "brush", "Brush"
    erase = False
    cursor = Qt.CursorShape.BlankCursor

    def __init__(self, canvas: CanvasWidget) -> None:
        super().__init__(canvas)
        self.points: list[tuple[float, float]] = []
        self.radius = 0.0  # image pixels, fixed for a stroke
        self.target: str | None = None
        self.at: tuple[float, float] | None = None

    def busy(self) -> bool:
        return bool(self.points)

    def cancel(self) -> bool:
        had = bool(self.points)
        self.points, self.target = [], None
        self.canvas.update()
        return had

    def _target(self, p: Pointer) -> str | None:
        selected = [u for u in self.canvas.selected_uids()
                    if isinstance(self.canvas.geometry_of(u), Mask) and self.canvas.is_editable(u)]
        if len(selected) == 1:
            return selected[0]
        if self.erase:
            for uid in self.canvas.shapes_at(p.x, p.y):
                if isinstance(self.canvas.geometry_of(uid), Mask) and self.canvas.is_editable(uid):
                    return uid
        return None

    def press(self, p: Pointer) -> None:
        if p.button != LEFT or self.canvas.image_size() is None:
            return
        self.target = self._target(p)
        if self.erase and self.target is None:
            self.canvas.status("nothing to erase: select a mask or start on one")
            return
        self.radius = self.canvas.brush_px / self.canvas.view.scale
        self.points = [(p.x, p.y)]
        self.canvas.update()

    def move(self, p: Pointer) -> None:
        self.at = (p.wx, p.wy)
        if self.points:
            lx, ly = self.points[-1]
            if math.hypot(p.x - lx, p.y - ly) >= self.radius / 4:
                self.points.append((p.x, p.y))
        self.canvas.update()

    def release(self, p: Pointer) -> None:
        if p.button != LEFT or not self.points:
            return
        if (p.x, p.y) != self.points[-1]:
            self.points.append((p.x, p.y))
        size = self.canvas.image_size()
        assert size is not None
        width, height = size
        stroke = masks.stroke_window(self.points, self.radius, width, height)
        target = self.target
        self.points, self.target = [], None
        old = self.canvas.geometry_of(target) if target is not None else None
        base = self.canvas.store.mask_window(old) if isinstance(old, Mask) else None
        window = masks.trimmed(masks.combine(base, stroke, self.erase))
        if not window.pixels.any():
            if target is not None:
                self.canvas.commit(ShapesDeleted((self.canvas.shape(target),)))
            self.canvas.update()
            return
        mask = masks.encode(height, width, window)
        self.canvas.store.seed_mask_window(mask, window)
        if target is not None and old is not None:
            self.canvas.commit(ShapeChanged(target, old, mask))
        elif not self.erase:
            layer = self.canvas.current_layer
            if not self.canvas.layer_editable(layer):
                self.canvas.status(f"layer {layer!r} is read-only")
                return
            self.canvas.commit(ShapeAdded(layer, self.canvas.new_uid(),
                                          self.canvas.current_label, mask))
        self.canvas.update()

    def key(self, key: int, modifiers: Qt.KeyboardModifier) -> bool:
        if key in (Qt.Key.Key_BracketLeft, Qt.Key.Key_BracketRight):
            factor = 1 / 1.25 if key == Qt.Key.Key_BracketLeft else 1.25
            self.canvas.brush_px = min(max(self.canvas.brush_px * factor, MIN_RADIUS_PX),
                                       MAX_RADIUS_PX)
            self.canvas.update()
            return True
        return key == Qt.Key.Key_Escape and self.cancel()

    def paint(self, painter: QPainter) -> None:
        view = self.canvas.view
        color = QColor(255, 255, 255) if self.erase else self.color()
        if self.points:
            path = QPainterPath(QPointF(*view.to_widget(*self.points[0])))
            for x, y in self.points[1:]:
                path.lineTo(QPointF(*view.to_widget(x, y)))
            stroke = QColor(color)
            stroke.setAlpha(110)
            pen = QPen(stroke, 2 * self.radius * view.scale)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            if len(self.points) == 1:
                painter.drawPoint(path.pointAtPercent(0))
            else:
                painter.drawPath(path)
        if self.at is not None:
            ring = QPen(color, 1.5)
            ring.setCosmetic(True)
            painter.setPen(ring)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            r = self.canvas.brush_px
            painter.drawEllipse(QPointF(*self.at), r, r)


class EraserTool(BrushTool):
    name, title = "eraser", "Eraser"
    erase = True
