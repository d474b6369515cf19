"""The select and edit tool: pick, band-select, move, resize, rotate, edit vertices, delete."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter

from labelhub.geometry import Keypoints, Mask, Polygon, Polyline, RotatedBox, Shape
from labelhub.gui.canvas import overlay, shapeops
from labelhub.gui.canvas.model import ShapeChanged, ShapesChanged
from labelhub.gui.canvas.shapeops import Handle
from labelhub.gui.canvas.tools.base import Floating, Pointer, Tool

if TYPE_CHECKING:
    from labelhub.gui.canvas.widget import CanvasWidget

LEFT = Qt.MouseButton.LeftButton
#: Grips are caught this close (widget pixels).
GRIP_PX = 7.0
#: A drag starts after the pointer moved this far (widget pixels).
DRAG_PX = 3.0
#: Handles are shown for at most this many selected shapes.
MAX_HANDLE_SHAPES = 64


class SelectTool(Tool):
    """Click picks the topmost shape (Ctrl or Shift toggles it in the selection); dragging a
    selected shape moves the selection; dragging a grip resizes, rotates or moves a vertex;
    dragging on empty space selects the shapes inside the band. Double-click on an outline
    adds a vertex; Alt+click on a vertex removes it; arrow keys nudge the selection by a pixel
    (Shift: ten). Clicking a keypoint picks it for the keypoint visibility commands. Deleting
    is the canvas' delete command (see :meth:`delete`), whose keys the owner may rebind."""

    name, title = "select", "Select and edit"
    cursor = Qt.CursorShape.ArrowCursor

    def __init__(self, canvas: CanvasWidget) -> None:
        super().__init__(canvas)
        self.mode: str | None = None
        self.press_at: Pointer | None = None
        self.started = False
        self.originals: dict[str, Shape] = {}
        self.grip: tuple[str, Handle] | None = None
        self.current: Shape | None = None
        self.offset = (0.0, 0.0)
        self.band: QRectF | None = None
        self.hover_grip: tuple[str, Handle] | None = None
        #: The keypoint last clicked (shape uid, point index): the keypoint commands act on it.
        self.vertex: tuple[str, int] | None = None

    # -- state ---------------------------------------------------------------------------------

    def busy(self) -> bool:
        return self.mode is not None

    def cancel(self) -> bool:
        had = self.mode is not None
        self.mode, self.press_at, self.started = None, None, False
        self.originals, self.grip, self.current, self.band = {}, None, None, None
        self.offset = (0.0, 0.0)
        self.canvas.set_active(())
        self.canvas.update()
        return had

    def editable_selection(self) -> list[str]:
        return [u for u in self.canvas.selected_uids() if self.canvas.is_editable(u)]

    def grips(self) -> list[tuple[str, Handle]]:
        """The grips of the selected, editable shapes."""
        uids = self.editable_selection()
        if len(uids) > MAX_HANDLE_SHAPES:
            return []
        scale = self.canvas.view.scale
        out = []
        for uid in uids:
            shape = self.canvas.geometry_of(uid)
            out += [(uid, h) for h in shapeops.handles(shape, scale)]
        return out

    def grip_at(self, p: Pointer) -> tuple[str, Handle] | None:
        best, best_d = None, GRIP_PX
        view = self.canvas.view
        for uid, h in self.grips():
            wx, wy = view.to_widget(h.x, h.y)
            d = math.hypot(wx - p.wx, wy - p.wy)
            if d <= best_d:
                best, best_d = (uid, h), d
        return best

    # -- pointer -------------------------------------------------------------------------------

    def press(self, p: Pointer) -> None:
        if p.button != LEFT:
            return
        self.press_at = p
        grip = self.grip_at(p)
        if grip is not None:
            uid, h = grip
            if p.alt and h.role == "vertex":
                self._delete_vertex(uid, h.index)
                return
            keypoint = h.role == "vertex" and isinstance(self.canvas.geometry_of(uid), Keypoints)
            self._pick((uid, h.index) if keypoint else None)
            self.mode, self.grip = "grip", grip
            self.originals = {uid: self.canvas.geometry_of(uid)}
            self.current = self.originals[uid]
            return
        uid = self.pick_at(p)
        if uid is None:
            if not (p.ctrl or p.shift):
                self.canvas.select(())
            self.mode = "band"
            self.band = QRectF(p.wx, p.wy, 0, 0)
            return
        if p.ctrl or p.shift:
            selected = set(self.canvas.selected_uids())
            selected ^= {uid}
            self.canvas.select(selected)
            return
        if uid not in self.canvas.selected_uids():
            self.canvas.select((uid,))
        movable = self.editable_selection()
        if movable:
            self.mode = "move"
            self.originals = {u: self.canvas.geometry_of(u) for u in movable}

    def move(self, p: Pointer) -> None:
        if self.mode is None:
            self._hover(p)
            return
        assert self.press_at is not None
        if not self.started:
            if math.hypot(p.wx - self.press_at.wx, p.wy - self.press_at.wy) < DRAG_PX:
                return
            self.started = True
            if self.mode in ("grip", "move"):
                self.canvas.set_active(self.originals)
        if self.mode == "grip":
            assert self.grip is not None
            uid, h = self.grip
            self.current = shapeops.drag_handle(self.originals[uid], h, p.x, p.y, snap=p.shift)
        elif self.mode == "move":
            self.offset = (p.x - self.press_at.x, p.y - self.press_at.y)
        elif self.mode == "band" and self.band is not None:
            self.band = QRectF(self.press_at.wx, self.press_at.wy, p.wx - self.press_at.wx,
                               p.wy - self.press_at.wy).normalized()
        self.canvas.update()

    def release(self, p: Pointer) -> None:
        if p.button != LEFT or self.mode is None:
            return
        mode, started = self.mode, self.started
        if mode == "grip" and started and self.grip is not None and self.current is not None:
            uid = self.grip[0]
            old, new = self.originals[uid], self.current
            with self.canvas.store.batch():  # one redraw for the end of the gesture
                self.cancel()
                if new != old and not new.validate():
                    self.canvas.commit(ShapeChanged(uid, old, new))
            return
        if mode == "move" and started:
            dx, dy = self.offset
            if any(isinstance(s, Mask) for s in self.originals.values()):
                dx, dy = round(dx), round(dy)
            changes = tuple(ShapeChanged(u, s, s.translated(dx, dy))
                            for u, s in self.originals.items())
            with self.canvas.store.batch():
                self.cancel()
                if dx or dy:
                    self.canvas.commit(changes[0] if len(changes) == 1
                                       else ShapesChanged(changes))
            return
        if mode == "band" and started and self.band is not None:
            view = self.canvas.view
            x0, y0 = view.to_image(self.band.left(), self.band.top())
            x1, y1 = view.to_image(self.band.right(), self.band.bottom())
            inside = self.canvas.shapes_inside((x0, y0, x1, y1))
            if p.ctrl or p.shift:
                inside = list(dict.fromkeys([*self.canvas.selected_uids(), *inside]))
            self.cancel()
            self.canvas.select(inside)
            return
        self.cancel()

    def double_click(self, p: Pointer) -> None:
        if p.button != LEFT:
            return
        tol = self.canvas.tolerance()
        for uid in self.editable_selection():
            shape = self.canvas.geometry_of(uid)
            if not isinstance(shape, Polygon | Polyline):
                continue
            pts = shapeops.decompose(shape)[2]
            edge, dist = shapeops.nearest_edge(pts, isinstance(shape, Polygon), p.x, p.y)
            if dist <= tol:
                self.cancel()
                self.canvas.commit(ShapeChanged(uid, shape,
                                                shapeops.insert_vertex(shape, edge, p.x, p.y)))
                return

    def _hover(self, p: Pointer) -> None:
        grip = self.grip_at(p)
        if grip != self.hover_grip:
            self.hover_grip = grip
            self.canvas.update()
        if grip is not None:
            role = grip[1].role
            cursor = Qt.CursorShape.CrossCursor if role in ("vertex", "rotate") \
                else Qt.CursorShape.SizeAllCursor
        elif self.canvas.hovered_uid() is not None:
            cursor = Qt.CursorShape.PointingHandCursor
        else:
            cursor = Qt.CursorShape.ArrowCursor
        self.canvas.setCursor(cursor)

    # -- keypoints -----------------------------------------------------------------------------

    def pick_at(self, p: Pointer) -> str | None:
        """The topmost shape under the pointer; on a skeleton, the keypoint under the pointer
        becomes the picked vertex (else the pick is dropped)."""
        uid = self.canvas.shape_at(p.x, p.y)
        picked = None
        if uid is not None:
            shape = self.canvas.geometry_of(uid)
            if isinstance(shape, Keypoints):
                index = shapeops.nearest_keypoint(shape, p.x, p.y, GRIP_PX / self.canvas.view.scale)
                if index is not None:
                    picked = (uid, index)
        self._pick(picked)
        return uid

    def _pick(self, vertex: tuple[str, int] | None) -> None:
        if vertex != self.vertex:
            self.vertex = vertex
            self.canvas.vertexPicked.emit(vertex)

    def picked_keypoint(self) -> tuple[str, int] | None:
        """The keypoint the visibility commands act on: the one under the pointer, else the
        one last clicked while its skeleton is still selected."""
        if self.hover_grip is not None and self.hover_grip[1].role == "vertex":
            uid, h = self.hover_grip
            if uid in self.canvas.store and isinstance(self.canvas.geometry_of(uid), Keypoints):
                return uid, h.index
        if self.vertex is not None:
            uid, index = self.vertex
            if uid in self.canvas.store and uid in self.canvas.selected_uids():
                shape = self.canvas.geometry_of(uid)
                if isinstance(shape, Keypoints) and index < len(shape.points):
                    return uid, index
        return None

    # -- keys ----------------------------------------------------------------------------------

    def delete(self) -> bool:
        """The delete command: the vertex under the pointer if there is one, else the selected
        shapes. Nothing during a gesture."""
        if self.mode is not None:
            return False
        if self.hover_grip is not None and self.hover_grip[1].role == "vertex":
            self._delete_vertex(self.hover_grip[0], self.hover_grip[1].index)
            return True
        return self.canvas.delete_selected()

    def _delete_vertex(self, uid: str, index: int) -> None:
        old = self.canvas.geometry_of(uid)
        new = shapeops.delete_vertex(old, index)
        if new is None:
            self.canvas.status("a shape cannot lose more vertices; delete the shape instead")
            return
        self.hover_grip = None
        self.canvas.commit(ShapeChanged(uid, old, new))

    def key(self, key: int, modifiers: Qt.KeyboardModifier) -> bool:
        if key == Qt.Key.Key_Escape:
            if self.cancel():
                return True
            if self.canvas.selected_uids():
                self._pick(None)
                self.canvas.select(())
                return True
            return False
        steps = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1),
                 Qt.Key.Key_Down: (0, 1)}
        if key in steps and self.mode is None:
            uids = self.editable_selection()
            if not uids:
                return False
            k = 10 if modifiers & Qt.KeyboardModifier.ShiftModifier else 1
            dx, dy = steps[Qt.Key(key)]
            changes = tuple(ShapeChanged(u, s, s.translated(dx * k, dy * k))
                            for u in uids for s in (self.canvas.geometry_of(u),))
            self.canvas.commit(changes[0] if len(changes) == 1 else ShapesChanged(changes))
            return True
        if key == Qt.Key.Key_A and modifiers & Qt.KeyboardModifier.ControlModifier:
            self.canvas.select(self.canvas.shapes_inside(None))
            return True
        return False

    # -- drawing -------------------------------------------------------------------------------

    def floating(self) -> list[Floating]:
        if not self.started:
            return []
        if self.mode == "grip" and self.grip is not None and self.current is not None:
            return [Floating(self.grip[0], self.current)]
        if self.mode == "move":
            dx, dy = self.offset
            return [Floating(u, s, dx, dy) for u, s in self.originals.items()]
        return []

    def paint(self, painter: QPainter) -> None:
        view = self.canvas.view
        if self.mode == "band" and self.band is not None and self.started:
            overlay.draw_band(painter, self.band)
            return
        if self.started:
            if self.mode == "grip" and self.grip is not None and self.current is not None:
                grips = shapeops.handles(self.current, view.scale)
                color = self.canvas.shape_qcolor(self.grip[0])
                overlay.draw_handles(painter, view, grips, color, self.grip[1])
            return
        for uid in self.editable_selection()[:MAX_HANDLE_SHAPES]:
            shape = self.canvas.geometry_of(uid)
            grips = shapeops.handles(shape, view.scale)
            color = self.canvas.shape_qcolor(uid)
            if isinstance(shape, RotatedBox):
                overlay.draw_rotate_stem(painter, view, shape, grips[-1], color)
            hot = self.hover_grip[1] if self.hover_grip and self.hover_grip[0] == uid else None
            picked = self.vertex[1] if self.vertex and self.vertex[0] == uid else None
            overlay.draw_handles(painter, view, grips, color, hot, picked)
