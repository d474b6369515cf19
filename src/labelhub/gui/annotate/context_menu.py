"""The canvas' context menu in the Annotate workspace: what a right click on a shape offers.

A right click with the select tool first selects the shape under the pointer (and picks the
keypoint there, on a skeleton), like a left click would. The menu then offers the picked
keypoint's visibility and the workspace's own commands, shown with their current keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QPointF
from PySide6.QtGui import QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from labelhub.geometry import Keypoints
from labelhub.gui.annotate.attributes_panel import VISIBILITY_CHOICES
from labelhub.gui.canvas.tools import Pointer

if TYPE_CHECKING:
    from labelhub.gui.annotate.workspace import AnnotateWorkspace

#: Workspace commands in the menu, in groups (None: a separator).
MENU_COMMANDS = ("copy", "paste", "duplicate", "delete", None, "hide", "lock", "bring_front",
                 "send_back", None, "class_picker")


def show_context_menu(ws: AnnotateWorkspace, pos: QPoint) -> QMenu | None:
    """Open the menu at widget position ``pos`` of the canvas (not blocking); returns it."""
    canvas = ws.canvas
    if ws.item is None:
        return None
    tool = canvas.tool
    if tool.name == "select" and not tool.busy():
        x, y = canvas.widget_to_image(QPointF(pos))
        uid = tool.pick_at(Pointer(x, y, float(pos.x()), float(pos.y())))  # type: ignore[attr-defined]
        if uid is not None and uid not in canvas.selected_uids():
            canvas.select([uid])
    menu = QMenu(ws)
    picked = canvas.picked_keypoint()
    if picked is not None:
        _keypoint_section(ws, menu, *picked)
    if ws.version is not None:  # a version is read-only: copying is all there is to do
        menu.addSection(f"Version {ws.version.number} (read-only)")
        menu.addAction(ws.actions_["copy"])
    for key in MENU_COMMANDS if ws.version is None else ():
        if key is None:
            menu.addSeparator()
        elif key == "delete":
            # The shapes, always: the delete key over a vertex deletes the vertex, but a menu
            # entry says what it does. Its keys are shown, not bound a second time.
            command = ws.actions_[key]
            keys = command.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action = menu.addAction(f"{command.text()}\t{keys}")
            action.triggered.connect(lambda _checked=False: canvas.delete_selected())
        else:
            menu.addAction(ws.actions_[key])
    if ws.context_menu is not None:
        ws.context_menu.deleteLater()
    ws.context_menu = menu
    menu.popup(canvas.mapToGlobal(pos))
    return menu


def _keypoint_section(ws: AnnotateWorkspace, menu: QMenu, uid: str, index: int) -> None:
    canvas = ws.canvas
    shape = canvas.geometry_of(uid)
    if not isinstance(shape, Keypoints):
        return
    skeleton = canvas.skeleton_for(canvas.store.labels[canvas.store.row_of[uid]])
    names = skeleton.names if skeleton is not None else ()
    name = names[index] if index < len(names) else f"point {index + 1}"
    menu.addSection(f"Keypoint “{name}”")
    group = QActionGroup(menu)
    editable = canvas.is_editable(uid)
    for value, text in VISIBILITY_CHOICES:
        action = menu.addAction(text)
        action.setCheckable(True)
        action.setChecked(shape.visibility[index] == value)
        action.setEnabled(editable)
        group.addAction(action)
        action.triggered.connect(
            lambda _checked=False, v=value: canvas.set_keypoint_visibility(uid, index, v))
    keys = [ws.actions_[k].shortcut().toString() for k in ("keypoint_occluded", "keypoint_unlabelled")]
    hint = menu.addAction(f"Keys: {keys[0] or '—'} visible ↔ occluded, {keys[1] or '—'} not labelled")
    hint.setEnabled(False)
    menu.addSeparator()
