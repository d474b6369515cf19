"""Drawing tools: box, rotated box, polygon, polyline, point and keypoints."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen, QPolygonF

from labelhub.geometry import (
    NOT_LABELLED,
    OCCLUDED,
    VISIBLE,
    Box,
    Keypoints,
    Points,
    Polygon,
    Polyline,
    RotatedBox,
    Shape,
)
from labelhub.gui.canvas import overlay
from labelhub.gui.canvas.tools.base import Pointer, Tool

if TYPE_CHECKING:
    from labelhub.gui.canvas.widget import CanvasWidget

#: A press and release closer than this (widget pixels) is a click, not a drag.
CLICK_PX = 4.0
#: Clicking this close to the first vertex closes a polygon.
CLOSE_PX = 8.0

LEFT = Qt.MouseButton.LeftButton


def _pen(color: QColor, width: float = 2.0, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(color, width, style)
    pen.setCosmetic(True)
    return pen


class DrawTool(Tool):
    """Shared by the drawing tools: clamping into the image and adding the finished shape."""

    def clamp(self, p: Pointer) -> tuple[float, float]:
        size = self.canvas.image_size()
        if size is None:
            return p.x, p.y
        return min(max(p.x, 0.0), float(size[0])), min(max(p.y, 0.0), float(size[1]))

    def far(self, a: Pointer | QPointF, b: Pointer) -> bool:
        ax, ay = (a.wx, a.wy) if isinstance(a, Pointer) else (a.x(), a.y())
        return math.hypot(ax - b.wx, ay - b.wy) > CLICK_PX

    def finish(self, shape: Shape) -> None:
        self.canvas.add_drawn(shape)


class BoxTool(DrawTool):
    """Drag from corner to corner, or click one corner and then the other."""

    name, title = "box", "Box"

    def __init__(self, canvas: CanvasWidget) -> None:
        super().__init__(canvas)
        self.start: tuple[float, float] | None = None
        self.start_at: Pointer | None = None
        self.end: tuple[float, float] | None = None

    def busy(self) -> bool:
        return self.start is not None

    def cancel(self) -> bool:
        had = self.start is not None
        self.start = self.end = self.start_at = None
        return had

    def press(self, p: Pointer) -> None:
        if p.button != LEFT:
            return
        if self.start is None:
            self.start, self.start_at, self.end = self.clamp(p), p, self.clamp(p)
        else:  # second click of click-click drawing
            self._commit(self.clamp(p))

    def move(self, p: Pointer) -> None:
        if self.start is not None:
            self.end = self.clamp(p)
            self.canvas.update()

    def release(self, p: Pointer) -> None:
        if p.button == LEFT and self.start is not None and self.start_at is not None \
                and self.far(self.start_at, p):
            self._commit(self.clamp(p))

    def _commit(self, end: tuple[float, float]) -> None:
        assert self.start is not None
        box = Box.from_corners(*self.start, *end)
        self.cancel()
        if box.w > 0 and box.h > 0:
            self.finish(box)
        self.canvas.update()

    def key(self, key: int, modifiers: Qt.KeyboardModifier) -> bool:
        return key == Qt.Key.Key_Escape and self.cancel()

    def paint(self, painter: QPainter) -> None:
        if self.start is None or self.end is None:
            return
        box = Box.from_corners(*self.start, *self.end)
        pts = overlay.polygon(box.corners(), self.canvas.view)
        overlay.draw_stroke(painter, pts, self.color(), closed=True, fill=True)


class RotatedBoxTool(DrawTool):
    """Drag (or click twice) along one side, then move out to the opposite side and click."""

    name, title = "rotated_box", "Rotated box"

    def __init__(self, canvas: CanvasWidget) -> None:
        super().__init__(canvas)
        self.a: tuple[float, float] | None = None
        self.a_at: Pointer | None = None
        self.b: tuple[float, float] | None = None
        self.stage = 0  # 0 idle, 1 placing the second corner, 2 setting the height
        self.height = 0.0

    def busy(self) -> bool:
        return self.stage > 0

    def cancel(self) -> bool:
        had = self.stage > 0
        self.stage, self.a, self.b, self.a_at, self.height = 0, None, None, None, 0.0
        return had

    def press(self, p: Pointer) -> None:
        if p.button != LEFT:
            return
        if self.stage == 0:
            self.a, self.a_at, self.b, self.stage = self.clamp(p), p, self.clamp(p), 1
        elif self.stage == 1:
            self.b, self.stage = self.clamp(p), 2
        else:
            self._set_height(p)
            shape = self.current()
            self.cancel()
            if shape is not None and shape.w > 0 and shape.h > 0:
                self.finish(shape)
        self.canvas.update()

    def move(self, p: Pointer) -> None:
        if self.stage == 1:
            self.b = self.clamp(p)
        elif self.stage == 2:
            self._set_height(p)
        self.canvas.update()

    def release(self, p: Pointer) -> None:
        if p.button == LEFT and self.stage == 1 and self.a_at is not None and self.far(self.a_at, p):
            self.b, self.stage = self.clamp(p), 2

    def _set_height(self, p: Pointer) -> None:
        assert self.a is not None and self.b is not None
        (ax, ay), (bx, by) = self.a, self.b
        length = math.hypot(bx - ax, by - ay)
        if length == 0:
            self.height = 0.0
            return
        nx, ny = -(by - ay) / length, (bx - ax) / length
        x, y = self.clamp(p)
        self.height = (x - ax) * nx + (y - ay) * ny

    def current(self) -> RotatedBox | None:
        if self.a is None or self.b is None:
            return None
        (ax, ay), (bx, by) = self.a, self.b
        length = math.hypot(bx - ax, by - ay)
        if length == 0:
            return None
        nx, ny = -(by - ay) / length, (bx - ax) / length
        h = self.height
        cx, cy = (ax + bx) / 2 + nx * h / 2, (ay + by) / 2 + ny * h / 2
        angle = math.degrees(math.atan2(by - ay, bx - ax))
        return RotatedBox(cx, cy, length, abs(h), angle)

    def key(self, key: int, modifiers: Qt.KeyboardModifier) -> bool:
        return key == Qt.Key.Key_Escape and self.cancel()

    def paint(self, painter: QPainter) -> None:
        if self.stage == 0 or self.a is None or self.b is None:
            return
        view = self.canvas.view
        color = self.color()
        shape = self.current()
        if self.stage == 2 and shape is not None:
            overlay.draw_stroke(painter, overlay.polygon(shape.corners(), view), color,
                                closed=True, fill=True)
        edge = QPolygonF([QPointF(*view.to_widget(*self.a)), QPointF(*view.to_widget(*self.b))])
        overlay.draw_stroke(painter, edge, color)


#: Keys a point-by-point tool reads while a shape is under way.
_FINISH_KEYS = (Qt.Key.Key_Backspace, Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape)


class PolygonTool(DrawTool):
    """Click vertices. Enter or a double click finishes; Backspace drops the last vertex; Esc
    cancels. A polygon also closes when its first vertex is clicked again."""

    name, title = "polygon", "Polygon"
    closed = True
    minimum = 3

    def __init__(self, canvas: CanvasWidget) -> None:
        super().__init__(canvas)
        self.points: list[tuple[float, float]] = []
        self.hover: tuple[float, float] | None = None

    def busy(self) -> bool:
        return bool(self.points)

    def gesture_key(self, key: int) -> bool:
        return self.busy() and key in _FINISH_KEYS

    def cancel(self) -> bool:
        had = bool(self.points)
        self.points = []
        self.canvas.update()
        return had

    def _near_first(self, p: Pointer) -> bool:
        if len(self.points) < self.minimum or not self.closed:
            return False
        fx, fy = self.canvas.view.to_widget(*self.points[0])
        return math.hypot(fx - p.wx, fy - p.wy) <= CLOSE_PX

    def press(self, p: Pointer) -> None:
        if p.button != LEFT:
            return
        if self._near_first(p):
            self.complete()
            return
        point = self.clamp(p)
        if not self.points or point != self.points[-1]:
            self.points.append(point)
        self.canvas.update()

    def double_click(self, p: Pointer) -> None:
        if p.button == LEFT:
            self.complete()

    def move(self, p: Pointer) -> None:
        self.hover = self.clamp(p)
        if self.points:
            self.canvas.update()

    def complete(self) -> None:
        if len(self.points) < self.minimum:
            return
        shape = Polygon(tuple(self.points)) if self.closed else Polyline(tuple(self.points))
        self.points = []
        if not shape.validate():
            self.finish(shape)
        self.canvas.update()

    def key(self, key: int, modifiers: Qt.KeyboardModifier) -> bool:
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.points:
            self.complete()
            return True
        if key == Qt.Key.Key_Backspace and self.points:
            self.points.pop()
            self.canvas.update()
            return True
        return key == Qt.Key.Key_Escape and self.cancel()

    def paint(self, painter: QPainter) -> None:
        if not self.points:
            return
        view = self.canvas.view
        color = self.color()
        pts = overlay.polygon(self.points, view)
        ahead = QPolygonF(pts)
        if self.hover is not None:
            ahead.append(QPointF(*view.to_widget(*self.hover)))
        overlay.draw_stroke(painter, pts, color, fill=self.closed and len(ahead) >= 3)
        if self.hover is not None:
            painter.setPen(_pen(color, 1.5, Qt.PenStyle.DashLine))
            painter.drawLine(pts[len(pts) - 1], ahead[len(ahead) - 1])
            if self.closed and len(ahead) >= 3:
                painter.setPen(_pen(color, 1.0, Qt.PenStyle.DotLine))
                painter.drawLine(ahead[len(ahead) - 1], pts[0])
        painter.setPen(_pen(overlay.DARK, 1.0))
        painter.setBrush(QBrush(overlay.WHITE))
        for i in range(len(pts)):
            r = 5.5 if i == 0 and self.closed and len(pts) >= self.minimum else 3.5
            painter.drawEllipse(pts[i], r, r)


class PolylineTool(PolygonTool):
    name, title = "polyline", "Polyline"
    closed = False
    minimum = 2


class PointTool(DrawTool):
    """Each click adds a point."""

    name, title = "point", "Point"

    def press(self, p: Pointer) -> None:
        if p.button == LEFT:
            self.finish(Points((self.clamp(p),)))


class KeypointsTool(DrawTool):
    """Places the label's skeleton points in order: a click marks the next point visible,
    Shift+click marks it occluded, N skips it (not labelled), Backspace steps back, Enter
    finishes early (the rest not labelled), Esc cancels."""

    name, title = "keypoints", "Keypoints"

    def __init__(self, canvas: CanvasWidget) -> None:
        super().__init__(canvas)
        self.points: list[tuple[float, float]] = []
        self.vis: list[int] = []
        self.hover: tuple[float, float] | None = None

    def skeleton_names(self) -> tuple[str, ...]:
        skel = self.canvas.skeleton_for(self.canvas.current_label)
        return skel.names if skel is not None else ()

    def busy(self) -> bool:
        return bool(self.points)

    def gesture_key(self, key: int) -> bool:
        return (key == Qt.Key.Key_N and bool(self.skeleton_names())) or \
            (self.busy() and key in _FINISH_KEYS)

    def cancel(self) -> bool:
        had = bool(self.points)
        self.points, self.vis = [], []
        self.canvas.update()
        return had

    def press(self, p: Pointer) -> None:
        if p.button != LEFT:
            return
        names = self.skeleton_names()
        if not names:
            self.canvas.status(f"no keypoint skeleton for label {self.canvas.current_label!r}")
            return
        self.points.append(self.clamp(p))
        self.vis.append(OCCLUDED if p.shift else VISIBLE)
        self._maybe_done(len(names))

    def _maybe_done(self, total: int, force: bool = False) -> None:
        if len(self.points) >= total or force:
            pts = self.points + [(0.0, 0.0)] * (total - len(self.points))
            vis = self.vis + [NOT_LABELLED] * (total - len(self.vis))
            self.points, self.vis = [], []
            if any(v > NOT_LABELLED for v in vis):
                self.finish(Keypoints(tuple(pts), tuple(vis)))
        self.canvas.update()

    def move(self, p: Pointer) -> None:
        self.hover = self.clamp(p)
        self.canvas.update()

    def key(self, key: int, modifiers: Qt.KeyboardModifier) -> bool:
        names = self.skeleton_names()
        if key == Qt.Key.Key_N and names:
            self.points.append((0.0, 0.0))
            self.vis.append(NOT_LABELLED)
            self._maybe_done(len(names))
            return True
        if key == Qt.Key.Key_Backspace and self.points:
            self.points.pop()
            self.vis.pop()
            self.canvas.update()
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.points:
            self._maybe_done(len(names), force=True)
            return True
        return key == Qt.Key.Key_Escape and self.cancel()

    def paint(self, painter: QPainter) -> None:
        names = self.skeleton_names()
        view = self.canvas.view
        color = self.color()
        if self.points:
            skel = self.canvas.skeleton_for(self.canvas.current_label)
            shape = Keypoints(tuple(self.points), tuple(self.vis))
            overlay.draw_shape(painter, view, shape, color,
                               skeleton=skel.edges if skel is not None else ())
        if self.hover is not None and len(self.points) < len(names):
            wx, wy = view.to_widget(*self.hover)
            font = QFont()
            font.setPointSizeF(9)
            painter.setFont(font)
            text = f"{len(self.points) + 1}/{len(names)} {names[len(self.points)]}"
            painter.setPen(overlay.WHITE)
            painter.drawText(QRectF(wx + 12, wy + 6, 240, 20), Qt.AlignmentFlag.AlignLeft, text)
