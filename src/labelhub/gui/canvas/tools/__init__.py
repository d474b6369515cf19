"""Canvas tools, one small class each, and their keyboard shortcuts."""

from __future__ import annotations

from PySide6.QtCore import Qt

from labelhub.gui.canvas.tools.base import Floating, Pointer, Tool
from labelhub.gui.canvas.tools.brush import BrushTool, EraserTool
from labelhub.gui.canvas.tools.draw import (
    BoxTool,
    KeypointsTool,
    PointTool,
    PolygonTool,
    PolylineTool,
    RotatedBoxTool,
)
from labelhub.gui.canvas.tools.select import SelectTool

#: Every tool by name, in toolbar order.
TOOLS: dict[str, type[Tool]] = {
    cls.name: cls
    for cls in (SelectTool, BoxTool, RotatedBoxTool, PolygonTool, PolylineTool, PointTool,
                KeypointsTool, BrushTool, EraserTool)
}

#: Single-key shortcuts that switch tools.
SHORTCUTS: dict[int, str] = {
    Qt.Key.Key_V: "select",
    Qt.Key.Key_W: "box",
    Qt.Key.Key_R: "rotated_box",
    Qt.Key.Key_P: "polygon",
    Qt.Key.Key_L: "polyline",
    Qt.Key.Key_D: "point",
    Qt.Key.Key_K: "keypoints",
    Qt.Key.Key_B: "brush",
    Qt.Key.Key_E: "eraser",
}

__all__ = ["SHORTCUTS", "TOOLS", "Floating", "Pointer", "Tool"]
