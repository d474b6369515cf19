"""The canvas' shape API: loading, layers, colours, selection, and applying or reverting
commands. Mixed into :class:`labelhub.gui.canvas.widget.CanvasWidget`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor

from labelhub.geometry import NOT_LABELLED, OCCLUDED, VISIBLE, Keypoints, Shape
from labelhub.gui.canvas import shapeops
from labelhub.gui.canvas.model import (
    CanvasShape,
    ColorLike,
    Command,
    LabelsChanged,
    Layer,
    PackedShapes,
    ShapeAdded,
    ShapeChanged,
    ShapesChanged,
    ShapesDeleted,
    Skeleton,
)
from labelhub.gui.canvas.store import Rect, ShapeStore

#: Hit tolerance around outlines and points, in widget pixels.
HIT_PX = 5.0
#: What a read-only canvas says when a gesture would change a shape.
READ_ONLY_MESSAGE = "read-only: shapes cannot be drawn or changed here"


class ShapeApi:
    """Shape-side methods of the canvas (expects ``store``, ``view`` and the signals)."""

    store: ShapeStore
    current_label: str
    current_layer: str

    # -- loading -------------------------------------------------------------------------------

    def set_shapes(self, shapes: Iterable[CanvasShape]) -> None:
        """Show these shapes (replacing all others), stacked in the order given."""
        self._cancel_gesture()
        self.store.load(shapes)
        self._selection_changed()
        self._after_load()

    def set_packed_shapes(self, packed: PackedShapes, extra: Iterable[CanvasShape] = ()) -> None:
        """Show many shapes given as arrays (see PackedShapes), then ``extra`` on top."""
        self._cancel_gesture()
        self.store.load_packed(packed, extra)
        self._selection_changed()
        self._after_load()

    def _after_load(self) -> None:
        # The uid index and the grid are built when the event loop is next idle, after the
        # first frame: the item shows without waiting for them, and the first hover or edit
        # does not pay for them either.
        QTimer.singleShot(0, self, self.store.prepare_for_edits)  # type: ignore[call-overload]

    def clear_shapes(self) -> None:
        self._cancel_gesture()
        self.store.clear()
        self._selection_changed()

    def shape_count(self) -> int:
        return len(self.store)

    def shape(self, uid: str) -> CanvasShape:
        """The annotation ``uid`` as it is now (KeyError if it is not on the canvas)."""
        return self.store.get(uid)

    def shapes(self) -> list[CanvasShape]:
        """Every annotation, bottom first."""
        rows = np.flatnonzero(self.store.alive[: self.store.n])
        rows = rows[np.argsort(self.store.z[rows], kind="stable")]
        return [self.store.get_row(int(r)) for r in rows]

    def geometry_of(self, uid: str) -> Shape:
        return self.store.geometry(self.store.row_of[uid])

    # -- layers, colours, skeletons, flags -----------------------------------------------------

    def set_layer(self, layer: Layer) -> None:
        """Add a layer (label set) or change its title, visibility or editability."""
        index = self.store.set_layer(layer)
        if not layer.visible:  # hidden shapes cannot stay selected
            self.select([u for u in self.selected_uids()
                         if int(self.store.layer[self.store.row_of[u]]) != index])

    def layers(self) -> list[Layer]:
        return list(self.store.layers)

    def set_layer_visible(self, name: str, visible: bool) -> None:
        layer = self.store.layer_of(name) or Layer(name)
        self.set_layer(replace(layer, visible=visible))

    def set_layer_editable(self, name: str, editable: bool) -> None:
        layer = self.store.layer_of(name) or Layer(name)
        self.set_layer(replace(layer, editable=editable))

    def layer_editable(self, name: str) -> bool:
        layer = self.store.layer_of(name)
        return layer is None or layer.editable

    def set_label_color(self, label: str, color: ColorLike) -> None:
        self.store.set_label_color(label, color)

    def label_qcolor(self, label: str) -> QColor:
        return QColor.fromRgb(self.store.label_qcolor(label) & 0xFFFFFF)

    def shape_qcolor(self, uid: str) -> QColor:
        row = self.store.row_of[uid]
        over = int(self.store.override[row])
        value = over if over else int(self.store.label_argb[self.store.label[row]])
        return QColor.fromRgb(value & 0xFFFFFF)

    def set_skeleton(self, label: str, skeleton: Skeleton) -> None:
        """The keypoint names (in placing order) and joining lines for ``label``."""
        self.store.skeletons[label] = skeleton
        self.store._changed(None)

    def skeleton_for(self, label: str) -> Skeleton | None:
        return self.store.skeletons.get(label)

    def set_hidden(self, uids: Iterable[str], hidden: bool = True) -> None:
        self.store.set_flag("hidden", uids, hidden)
        if hidden:
            self.select([u for u in self.selected_uids()
                         if not self.store.hidden[self.store.row_of[u]]])

    def set_locked(self, uids: Iterable[str], locked: bool = True) -> None:
        self.store.set_flag("locked", uids, locked)

    def is_editable(self, uid: str) -> bool:
        row = self.store.row_of.get(uid)
        return row is not None and self.store.editable(row)

    # -- selection and hit tests ---------------------------------------------------------------

    def select(self, uids: Iterable[str]) -> None:
        """Make ``uids`` the selection."""
        if self.store.set_only("selected", uids):
            self._selection_changed()

    def selected_uids(self) -> list[str]:
        return self.store.uids_where("selected")

    def tolerance(self) -> float:
        """The hit tolerance in image pixels at the current zoom."""
        return HIT_PX / self.view.scale  # type: ignore[attr-defined]

    def shape_at(self, x: float, y: float) -> str | None:
        """The topmost visible shape at image point (x, y), or None."""
        rows = self.store.hits(x, y, self.tolerance())
        return self.store.uids[rows[0]] if rows else None

    def shapes_at(self, x: float, y: float) -> list[str]:
        """Every visible shape at image point (x, y), topmost first."""
        return [self.store.uids[r] for r in self.store.hits(x, y, self.tolerance(), limit=1 << 30)]

    def shapes_inside(self, rect: Rect | None) -> list[str]:
        """Visible shapes lying wholly inside image rectangle (x0, y0, x1, y1); all visible
        shapes when ``rect`` is None."""
        if rect is None:
            big = float("inf")
            rows = self.store.rows_in((-big, -big, big, big), include_active=True)
        else:
            x0, x1 = sorted((rect[0], rect[2]))
            y0, y1 = sorted((rect[1], rect[3]))
            rows = self.store.rows_in((x0, y0, x1, y1), include_active=True)
            b = self.store.bounds[rows]
            rows = rows[(b[:, 0] >= x0) & (b[:, 1] >= y0) & (b[:, 2] <= x1) & (b[:, 3] <= y1)]
        return [self.store.uids[int(r)] for r in rows]

    def set_active(self, uids: Iterable[str]) -> None:
        """Shapes being edited: left out of the cached layer, drawn by the overlay."""
        self.store.set_only("active", uids)

    # -- commands ------------------------------------------------------------------------------

    def new_uid(self) -> str:
        return uuid.uuid4().hex

    def commit(self, command: Command) -> None:
        """Apply a finished gesture's command and announce it (commandIssued). A read-only
        canvas (see ``set_read_only``) refuses every command: nothing changes, nothing is
        announced."""
        if self.read_only:  # type: ignore[attr-defined]
            self.status(READ_ONLY_MESSAGE)
            return
        self.apply(command)
        self.commandIssued.emit(command)  # type: ignore[attr-defined]

    def apply(self, command: Command) -> None:
        """Make the canvas show ``command`` done (redo, or a change made elsewhere)."""
        store = self.store
        with store.batch():
            if isinstance(command, ShapeAdded):
                store.add(CanvasShape(command.uid, command.label, command.shape,
                                      layer=command.layer))
            elif isinstance(command, ShapeChanged):
                store.set_geometry(command.uid, command.new)
            elif isinstance(command, ShapesChanged):
                for change in command.changes:
                    store.set_geometry(change.uid, change.new)
            elif isinstance(command, ShapesDeleted):
                for s in command.shapes:
                    if s.uid in store:
                        store.remove(s.uid)
            elif isinstance(command, LabelsChanged):
                for uid, _old, new in command.changes:
                    store.set_label(uid, new)
        self._selection_changed()

    def revert(self, command: Command) -> None:
        """Make the canvas show ``command`` undone (undo, or a save that failed)."""
        store = self.store
        with store.batch():
            if isinstance(command, ShapeAdded):
                if command.uid in store:
                    store.remove(command.uid)
            elif isinstance(command, ShapeChanged):
                store.set_geometry(command.uid, command.old)
            elif isinstance(command, ShapesChanged):
                for change in command.changes:
                    store.set_geometry(change.uid, change.old)
            elif isinstance(command, ShapesDeleted):
                order = command.order or (None,) * len(command.shapes)
                for s, z in zip(command.shapes, order, strict=True):
                    store.add(replace(s, selected=False), z=z)
            elif isinstance(command, LabelsChanged):
                for uid, old, _new in command.changes:
                    store.set_label(uid, old)
        self._selection_changed()

    def replace_uid(self, old: str, new: str) -> None:
        """Rename a shape (when the project gives a new annotation another uid)."""
        cs, z = self.store.remove(old)
        self.store.add(replace(cs, uid=new), z=z)

    def add_drawn(self, shape: Shape) -> None:
        """Add a shape the user just drew, in the current layer and label."""
        if not self.layer_editable(self.current_layer):
            self.status(f"layer {self.current_layer!r} is read-only")
            return
        self.commit(ShapeAdded(self.current_layer, self.new_uid(), self.current_label, shape))

    def delete_selected(self) -> bool:
        """Delete the selected editable shapes (one ShapesDeleted); False if there were none."""
        uids = [u for u in self.selected_uids() if self.is_editable(u)]
        if len(uids) < len(self.selected_uids()):
            self.status("locked shapes and shapes in read-only layers were not deleted")
        if not uids:
            return False
        rows = [self.store.row_of[u] for u in uids]
        shapes = tuple(self.store.get_row(r) for r in rows)
        order = tuple(int(self.store.z[r]) for r in rows)
        self.commit(ShapesDeleted(shapes, order))
        return True

    def delete_command(self) -> bool:
        """What the delete key does (whichever key it is bound to): the current tool's delete,
        which is the vertex under the pointer or the selected shapes."""
        return self.tool.delete()  # type: ignore[attr-defined]

    # -- keypoints -----------------------------------------------------------------------------

    def picked_keypoint(self) -> tuple[str, int] | None:
        """The keypoint the keypoint commands act on: under the pointer, or last clicked with
        the select tool while its skeleton is selected."""
        return self.tool.picked_keypoint()  # type: ignore[attr-defined]

    def set_keypoint_visibility(self, uid: str, index: int, visibility: int) -> bool:
        """Flag keypoint ``index`` of ``uid`` visible (2), occluded (1) or not labelled (0), as
        one ShapeChanged; False (with a status message) when that cannot be done."""
        shape = self.geometry_of(uid)
        if not isinstance(shape, Keypoints) or not 0 <= index < len(shape.points):
            return False
        if not self.is_editable(uid):
            self.status("locked shapes and shapes in read-only layers cannot change")
            return False
        if shape.visibility[index] == visibility:
            return False
        new = shapeops.with_visibility(shape, index, visibility)
        if new.num_labelled == 0:
            self.status("a skeleton keeps at least one labelled point; delete the shape instead")
            return False
        self.commit(ShapeChanged(uid, shape, new))
        return True

    def toggle_keypoint_occluded(self) -> bool:
        """The picked keypoint visible <-> occluded (a point not labelled becomes visible)."""
        picked = self._picked_or_say()
        if picked is None:
            return False
        uid, index = picked
        shape = self.geometry_of(uid)
        assert isinstance(shape, Keypoints)
        now = shape.visibility[index]
        return self.set_keypoint_visibility(uid, index, OCCLUDED if now == VISIBLE else VISIBLE)

    def mark_keypoint_unlabelled(self) -> bool:
        """The picked keypoint becomes not labelled (its place is kept for a later toggle)."""
        picked = self._picked_or_say()
        return picked is not None and self.set_keypoint_visibility(*picked, NOT_LABELLED)

    def _picked_or_say(self) -> tuple[str, int] | None:
        picked = self.picked_keypoint()
        if picked is None:
            self.status("point at a keypoint, or click one with the select tool, first")
        return picked

    def relabel_selected(self, label: str) -> bool:
        """Give the selected editable shapes ``label`` (one LabelsChanged)."""
        changes = tuple((u, self.store.labels[self.store.row_of[u]], label)
                        for u in self.selected_uids() if self.is_editable(u))
        changes = tuple(c for c in changes if c[1] != c[2])
        if not changes:
            return False
        self.commit(LabelsChanged(changes))
        return True

    def _selection_changed(self) -> None:
        self.selectionChanged.emit(self.selected_uids())  # type: ignore[attr-defined]

    def _cancel_gesture(self) -> None:
        """Drop the current tool's gesture (overridden by the widget)."""

    def status(self, message: str) -> None:
        """Tell the user something (statusMessage)."""
        self.last_status = message
        self.statusMessage.emit(message)  # type: ignore[attr-defined]
