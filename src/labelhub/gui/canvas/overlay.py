"""QPainter drawing of the few things that change from frame to frame, over the cached layers:
shapes being edited, the hovered shape, selection grips, label tags, the crosshair."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QImage, QPainter, QPen, QPolygonF

from labelhub.geometry import (
    NOT_LABELLED,
    VISIBLE,
    Box,
    Keypoints,
    Mask,
    Points,
    Polygon,
    Polyline,
    RotatedBox,
    Shape,
)
from labelhub.gui.canvas.masks import MaskWindow
from labelhub.gui.canvas.shapeops import Handle
from labelhub.gui.canvas.view import View

HANDLE_PX = 4.5
WHITE = QColor(255, 255, 255)
DARK = QColor(20, 20, 20)


def qcolor(argb: int, alpha: int = 255) -> QColor:
    c = QColor.fromRgb(argb & 0xFFFFFF)
    c.setAlpha(alpha)
    return c


def polygon(points: Sequence[tuple[float, float]], view: View, dx: float = 0.0,
            dy: float = 0.0) -> QPolygonF:
    s, ox, oy = view.scale, view.ox, view.oy
    return QPolygonF([QPointF((x + dx) * s + ox, (y + dy) * s + oy) for x, y in points])


def draw_shape(painter: QPainter, view: View, shape: Shape, color: QColor, *,
               dx: float = 0.0, dy: float = 0.0, emphasis: bool = False,
               fill: bool = True, mask_window: MaskWindow | None = None,
               skeleton: Sequence[tuple[int, int]] = ()) -> None:
    """One shape in full detail, optionally moved by (dx, dy) image pixels."""
    pen = QPen(color, 2.5 if emphasis else 2.0)
    pen.setCosmetic(True)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    fill_color = QColor(color)
    fill_color.setAlpha(110 if emphasis else 60)
    painter.setPen(pen)
    if isinstance(shape, Box | RotatedBox | Polygon):
        pts = shape.corners() if isinstance(shape, Box | RotatedBox) else shape.points
        painter.setBrush(QBrush(fill_color) if fill else Qt.BrushStyle.NoBrush)
        painter.drawPolygon(polygon(pts, view, dx, dy), Qt.FillRule.OddEvenFill)
    elif isinstance(shape, Polyline):
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPolyline(polygon(shape.points, view, dx, dy))
    elif isinstance(shape, Points | Keypoints):
        _draw_marks(painter, view, shape, color, dx, dy, skeleton)
    elif isinstance(shape, Mask) and mask_window is not None:
        _draw_mask(painter, view, mask_window, color, dx, dy, emphasis)


def _draw_marks(painter: QPainter, view: View, shape: Points | Keypoints, color: QColor,
                dx: float, dy: float, skeleton: Sequence[tuple[int, int]]) -> None:
    pts = polygon(shape.points, view, dx, dy)
    vis = shape.visibility if isinstance(shape, Keypoints) else (VISIBLE,) * len(shape.points)
    line = QPen(color, 2.0)
    line.setCosmetic(True)
    painter.setPen(line)
    for a, b in skeleton:
        if a < len(vis) and b < len(vis) and vis[a] > NOT_LABELLED and vis[b] > NOT_LABELLED:
            painter.drawLine(pts[a], pts[b])
    ring = QPen(DARK, 1.5)
    ring.setCosmetic(True)
    for i, v in enumerate(vis):
        if v <= NOT_LABELLED:
            continue
        painter.setPen(ring)
        painter.setBrush(color if v >= VISIBLE else Qt.BrushStyle.NoBrush)
        if v < VISIBLE:
            hollow = QPen(color, 2.0)
            hollow.setCosmetic(True)
            painter.setPen(hollow)
        painter.drawEllipse(pts[i], 5.0, 5.0)


def _draw_mask(painter: QPainter, view: View, win: MaskWindow, color: QColor, dx: float,
               dy: float, emphasis: bool) -> None:
    if win.pixels.size == 0:
        return
    x0, y0 = view.to_widget(win.x0 + round(dx), win.y0 + round(dy))
    w, h = win.pixels.shape[1] * view.scale, win.pixels.shape[0] * view.scale
    pix = win.pixels
    if w < pix.shape[1] or h < pix.shape[0]:  # no need for more pixels than the screen shows
        pix = cv2.resize(pix, (max(int(w), 1), max(int(h), 1)), interpolation=cv2.INTER_NEAREST)
    alpha = 150 if emphasis else 115
    rgba = np.zeros(pix.shape + (4,), dtype=np.uint8)
    on = pix > 0
    rgba[on] = (color.blue() * alpha // 255, color.green() * alpha // 255,
                color.red() * alpha // 255, alpha)
    image = QImage(rgba.data, rgba.shape[1], rgba.shape[0], rgba.shape[1] * 4,
                   QImage.Format.Format_ARGB32_Premultiplied)
    painter.drawImage(QRectF(x0, y0, w, h), image)


def draw_stroke(painter: QPainter, points: QPolygonF, color: QColor, *, closed: bool = False,
                fill: bool = False) -> None:
    """A line being drawn: the label colour over a dark halo, so it shows on any image and
    over other shapes of the same colour."""
    halo = QPen(QColor(0, 0, 0, 150), 4.5)
    halo.setCosmetic(True)
    halo.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    line = QPen(color, 2.0)
    line.setCosmetic(True)
    line.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    if fill and len(points) >= 3:
        tint = QColor(color)
        tint.setAlpha(60)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(tint)
        painter.drawPolygon(points)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for pen in (halo, line):
        painter.setPen(pen)
        if closed:
            painter.drawPolygon(points)
        else:
            painter.drawPolyline(points)


def draw_handles(painter: QPainter, view: View, grips: Sequence[Handle], color: QColor,
                 hot: Handle | None = None, picked: int | None = None) -> None:
    """Square grips for corners and edges, round ones for vertices and rotation; the vertex
    ``picked`` (the one keypoint commands act on) gets a ring in the shape's colour."""
    pen = QPen(DARK, 1.2)
    pen.setCosmetic(True)
    for h in grips:
        wx, wy = view.to_widget(h.x, h.y)
        r = HANDLE_PX + (1.5 if hot is not None and (hot.role, hot.index) == (h.role, h.index)
                         else 0.0)
        painter.setPen(pen)
        painter.setBrush(WHITE if h.role != "rotate" else color)
        if h.role in ("vertex", "rotate"):
            painter.drawEllipse(QPointF(wx, wy), r, r)
        else:
            painter.drawRect(QRectF(wx - r, wy - r, 2 * r, 2 * r))
        if h.role == "vertex" and h.index == picked:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            for ring_color, width in ((DARK, 4.0), (WHITE, 2.0)):  # readable on any picture
                ring = QPen(ring_color, width)
                ring.setCosmetic(True)
                painter.setPen(ring)
                painter.drawEllipse(QPointF(wx, wy), r + 4.0, r + 4.0)


def draw_rotate_stem(painter: QPainter, view: View, shape: RotatedBox, grip: Handle,
                     color: QColor) -> None:
    c = shape.corners()
    top = ((c[0][0] + c[1][0]) / 2, (c[0][1] + c[1][1]) / 2)
    pen = QPen(color, 1.5)
    pen.setCosmetic(True)
    painter.setPen(pen)
    painter.drawLine(QPointF(*view.to_widget(*top)), QPointF(*view.to_widget(grip.x, grip.y)))


class LabelTags:
    """Class names drawn as small tags at the top-left of shapes (cached text metrics)."""

    def __init__(self) -> None:
        self.font = QFont()
        self.font.setPointSizeF(8.5)
        self.font.setBold(True)
        self.metrics = QFontMetricsF(self.font)
        self._widths: dict[str, float] = {}

    def draw(self, painter: QPainter, view: View, items: Sequence[tuple[str, QColor, float, float]]
             ) -> None:
        painter.setFont(self.font)
        height = self.metrics.height() + 2
        for text, color, x, y in items:
            width = self._widths.get(text)
            if width is None:
                width = self._widths[text] = self.metrics.horizontalAdvance(text) + 8
            wx, wy = view.to_widget(x, y)
            rect = QRectF(wx, wy - height, width, height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawRoundedRect(rect, 3, 3)
            light = color.lightnessF() > 0.6
            painter.setPen(DARK if light else WHITE)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


def draw_crosshair(painter: QPainter, wx: float, wy: float, width: int, height: int) -> None:
    pen = QPen(QColor(255, 255, 255, 170), 1.0, Qt.PenStyle.DashLine)
    pen.setCosmetic(True)
    painter.setPen(pen)
    painter.drawLine(QPointF(0, wy), QPointF(width, wy))
    painter.drawLine(QPointF(wx, 0), QPointF(wx, height))


def draw_band(painter: QPainter, rect: QRectF) -> None:
    pen = QPen(QColor(120, 180, 255), 1.0, Qt.PenStyle.DashLine)
    pen.setCosmetic(True)
    painter.setPen(pen)
    painter.setBrush(QColor(120, 180, 255, 40))
    painter.drawRect(rect)
