"""The annotation canvas: a QWidget that paints one image and up to hundreds of thousands of
shapes, and edits them with tools.

Speed comes from columns, not objects: shapes live in numpy arrays with a grid index
(:mod:`.store`, :mod:`.spatial`); the image and the shapes are each drawn into a cached buffer
by worker threads with numpy and OpenCV (:mod:`.raster`, :mod:`.viewcache`), which panning only
moves and zooming only stretches until a sharp rendering arrives; very large images come from a
tile pyramid on disk (:mod:`.pyramid`, :mod:`.imagesource`). Only shapes being edited, grips,
tags and tool previews are painted with QPainter each frame (:mod:`.overlay`).

Edits leave as command objects (:mod:`.model`): the owner turns each into one Project call and
drives undo with ``CanvasWidget.apply`` / ``CanvasWidget.revert``.
"""

from labelhub.gui.canvas.model import (
    KIND_CODES,
    PALETTE,
    CanvasShape,
    Command,
    LabelsChanged,
    Layer,
    PackedShapes,
    ShapeAdded,
    ShapeChanged,
    ShapesChanged,
    ShapesDeleted,
    Skeleton,
    label_color,
)
from labelhub.gui.canvas.view import DisplayAdjust
from labelhub.gui.canvas.widget import CanvasWidget

__all__ = [
    "KIND_CODES",
    "PALETTE",
    "CanvasShape",
    "CanvasWidget",
    "Command",
    "DisplayAdjust",
    "LabelsChanged",
    "Layer",
    "PackedShapes",
    "ShapeAdded",
    "ShapeChanged",
    "ShapesChanged",
    "ShapesDeleted",
    "Skeleton",
    "label_color",
]
