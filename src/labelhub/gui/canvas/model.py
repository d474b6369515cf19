"""What the canvas shows and what it reports: shapes, layers, colours and edit commands.

A :class:`CanvasShape` is one annotation as the canvas sees it: a stable ``uid``, a label
(class name), a geometry value from :mod:`labelhub.geometry`, the layer (label set) it belongs
to, an optional colour and three flags. Every edit the user finishes is reported as one command
object (:class:`ShapeAdded`, :class:`ShapeChanged`, :class:`ShapesChanged`,
:class:`ShapesDeleted`, :class:`LabelsChanged`); the canvas has already applied it, and
``CanvasWidget.apply`` / ``CanvasWidget.revert`` replay or undo it, so an undo stack or a failed
save can be driven from outside.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from PySide6.QtGui import QColor

from labelhub.geometry import Shape

#: Distinct, saturated colours that read well over photographs (class colours by default).
PALETTE: tuple[str, ...] = (
    "#ff3b30", "#34c759", "#0a84ff", "#ffcc00", "#af52de", "#ff9500", "#00c7be", "#ff2d92",
    "#a2d729", "#5e5ce6", "#ff6f61", "#30b0c7", "#e4b400", "#bf5af2", "#64d2ff", "#ff8a00",
    "#2ecc71", "#d946ef", "#f43f5e", "#14b8a6",
)

ColorLike = QColor | str


def label_color(label: str) -> QColor:
    """The default colour of a label: a palette entry chosen by a stable hash of its name."""
    return QColor(PALETTE[zlib.crc32(label.encode("utf-8")) % len(PALETTE)])


def to_qcolor(color: ColorLike) -> QColor:
    """A QColor from a QColor or a colour string (``"#rrggbb"``, ``"#aarrggbb"``, SVG names)."""
    c = QColor(color)
    if not c.isValid():
        raise ValueError(f"not a colour: {color!r}")
    return c


def argb(color: ColorLike) -> int:
    """0xAARRGGBB of a colour (alpha forced to 255: shapes are drawn opaque)."""
    return int(to_qcolor(color).rgb()) | 0xFF000000


@dataclass(frozen=True, slots=True)
class CanvasShape:
    """One annotation on the canvas.

    ``color`` None means the label's colour. ``locked`` shapes can be selected but not edited;
    ``hidden`` shapes are neither drawn nor hit. ``layer`` names a :class:`Layer`.
    """

    uid: str
    label: str
    shape: Shape
    color: ColorLike | None = None
    layer: str = "default"
    selected: bool = False
    hidden: bool = False
    locked: bool = False

    def with_shape(self, shape: Shape) -> CanvasShape:
        """The same annotation with other geometry."""
        return replace(self, shape=shape)


@dataclass(frozen=True, slots=True)
class Layer:
    """A label set drawn on the canvas: it can be hidden, and read-only (``editable`` False).

    ``dashed`` draws its outlines as dashes, unfilled (a state that is gone, as in a diff);
    ``opacity`` below 1 draws its shapes faint (outlines, fills and markers alike)."""

    name: str
    title: str = ""
    visible: bool = True
    editable: bool = True
    dashed: bool = False
    opacity: float = 1.0


@dataclass(frozen=True, slots=True)
class Skeleton:
    """Keypoint names in the order they are placed, and the pairs of indices joined by lines."""

    names: tuple[str, ...]
    edges: tuple[tuple[int, int], ...] = ()


@dataclass
class PackedShapes:
    """Many shapes as flat arrays: the fast way to load an item with 100,000 shapes without
    building one geometry object per shape first (they are built on demand when edited).

    ``kinds`` are codes of :data:`KIND_CODES`. Boxes and rotated boxes take their numbers from
    ``params`` rows (x, y, w, h, 0) and (cx, cy, w, h, angle); point shapes take vertices
    ``xy[offsets[i]:offsets[i + 1]]`` and, for keypoints, ``visibility`` over the same range.
    ``labels`` holds one label per shape, or, when ``label_codes`` is given, the distinct labels
    that those per-shape indices point into (cheaper for 100,000 shapes). Masks and tags cannot
    be packed: pass them as :class:`CanvasShape`.
    """

    uids: Sequence[str]
    labels: Sequence[str]
    kinds: np.ndarray
    params: np.ndarray
    offsets: np.ndarray
    xy: np.ndarray
    visibility: np.ndarray | None = None
    layer: str = "default"
    colors: Sequence[ColorLike | None] | None = None
    label_codes: np.ndarray | None = None


#: Codes of the shape kinds in the canvas' arrays.
KIND_CODES: dict[str, int] = {
    "box": 0, "rotated_box": 1, "polygon": 2, "polyline": 3,
    "points": 4, "keypoints": 5, "mask": 6, "tag": 7,
}
BOX, ROTATED_BOX, POLYGON, POLYLINE, POINTS, KEYPOINTS, MASK, TAG = range(8)
#: Kinds drawn as closed outlines (and filled).
CLOSED_KINDS = (BOX, ROTATED_BOX, POLYGON)


# -- commands -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShapeAdded:
    """A new annotation ``uid`` with ``label`` and geometry ``shape`` in label set ``layer``."""

    layer: str
    uid: str
    label: str
    shape: Shape


@dataclass(frozen=True, slots=True)
class ShapeChanged:
    """The geometry of ``uid`` went from ``old`` to ``new``."""

    uid: str
    old: Shape
    new: Shape


@dataclass(frozen=True, slots=True)
class ShapesChanged:
    """Several geometries changed in one gesture (moving a multiple selection)."""

    changes: tuple[ShapeChanged, ...]

    @property
    def uids(self) -> tuple[str, ...]:
        return tuple(c.uid for c in self.changes)


@dataclass(frozen=True, slots=True)
class ShapesDeleted:
    """Annotations removed; they are kept whole (with their stacking order) so that a revert
    puts them back as they were."""

    shapes: tuple[CanvasShape, ...]
    order: tuple[int, ...] = field(default=(), compare=False)

    @property
    def uids(self) -> tuple[str, ...]:
        return tuple(s.uid for s in self.shapes)


@dataclass(frozen=True, slots=True)
class LabelsChanged:
    """Annotations given another label: ``changes`` holds (uid, old label, new label)."""

    changes: tuple[tuple[str, str, str], ...]

    @property
    def uids(self) -> tuple[str, ...]:
        return tuple(c[0] for c in self.changes)


Command = ShapeAdded | ShapeChanged | ShapesChanged | ShapesDeleted | LabelsChanged
