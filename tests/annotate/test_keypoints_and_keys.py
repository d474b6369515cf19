"""Keypoint visibility after placing (keyboard, context menu, attributes panel), and the delete
command on a key of the user's choosing; each checked against what the project saved."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent, QKeySequence
from PySide6.QtWidgets import QApplication
from tests.annotate.conftest import click, drag, key, move, saved, wpos

from labelhub.geometry import Box, Keypoints
from labelhub.gui.annotate.shortcuts_dialog import ShortcutsDialog
from labelhub.project import NewAnnotation

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
POINTS = ((60.0, 60.0), (120.0, 60.0), (60.0, 120.0))


def _skeleton(ws) -> tuple[str, Keypoints]:
    [kp] = [a for a in saved(ws) if isinstance(a.shape, Keypoints)]
    return kp.uid, kp.shape


def _seeded(ws, shape: Keypoints) -> str:
    """A person skeleton saved through the project, then shown as an annotator opens it."""
    own = ws.project.my_label_set(ws.dataset).uid
    [uid] = ws.project.add_annotations(own, ws.item.uid, [NewAnnotation("person", shape)])
    ws.set_dataset(ws.dataset)  # opens the first image again, with the label set now there
    assert uid in ws.canvas.store
    return uid


def test_a_placed_keypoint_toggles_from_the_keyboard_one_undoable_change(qtbot, ws) -> None:
    key(qtbot, ws, "k")
    for x, y in POINTS:
        click(ws, x, y)
    uid, shape = _skeleton(ws)
    assert shape.visibility == (2, 2, 2)
    key(qtbot, ws, "v")
    click(ws, 120, 60)  # the second keypoint: selects the skeleton and picks that point
    assert ws.canvas.selected_uids() == [uid] and ws.canvas.picked_keypoint() == (uid, 1)
    before = ws.project.seq()
    key(qtbot, ws, "O", SHIFT)
    assert _skeleton(ws)[1].visibility == (2, 1, 2)
    assert ws.project.seq() == before + 1  # one change
    key(qtbot, ws, "O", SHIFT)
    assert _skeleton(ws)[1].visibility == (2, 2, 2)
    key(qtbot, ws, "U", SHIFT)
    shape = _skeleton(ws)[1]
    assert shape.visibility == (2, 0, 2) and shape.points == POINTS  # the place is kept
    key(qtbot, ws, "O", SHIFT)  # labelled again where it was
    assert _skeleton(ws)[1].visibility == (2, 2, 2)
    for _ in range(3):  # labelled again, unlabelled, visible again: back to occluded
        key(qtbot, ws, "z", CTRL)
    assert _skeleton(ws)[1].visibility == (2, 1, 2)
    assert ws.canvas.geometry_of(uid).visibility == (2, 1, 2)
    move(ws, 60, 120, held=False)  # pointing at the third keypoint acts on it
    key(qtbot, ws, "O", SHIFT)
    assert _skeleton(ws)[1].visibility == (2, 1, 1)
    assert ws.project.audit_verify().ok


def test_the_last_labelled_keypoint_is_not_unlabelled(qtbot, ws) -> None:
    uid = _seeded(ws, Keypoints(POINTS, (2, 0, 0)))
    key(qtbot, ws, "v")
    click(ws, 60, 60)
    key(qtbot, ws, "U", SHIFT)
    assert _skeleton(ws)[1].visibility == (2, 0, 0)
    assert "at least one labelled point" in ws.save_label.text()
    assert ws.canvas.geometry_of(uid).visibility == (2, 0, 0)


def test_keypoint_visibility_from_the_context_menu(qtbot, ws) -> None:
    uid = _seeded(ws, Keypoints(POINTS))
    key(qtbot, ws, "v")
    at = wpos(ws, 60, 120)
    point = QPoint(round(at.x()), round(at.y()))
    QApplication.sendEvent(ws.canvas, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point,
                                                        ws.canvas.mapToGlobal(point)))
    menu = ws.context_menu
    assert menu is not None and menu.isVisible()
    assert ws.canvas.selected_uids() == [uid] and ws.canvas.picked_keypoint() == (uid, 2)
    texts = [a.text() for a in menu.actions()]
    assert "right hand" in " ".join(a.text() for a in menu.actions() if a.isSeparator())
    occluded = next(a for a in menu.actions() if a.text() == "Occluded")
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(occluded).center())
    assert _skeleton(ws)[1].visibility == (2, 2, 1)
    assert any(t.startswith("Delete selected shapes") for t in texts)
    move(ws, 60, 120, held=False)  # over the vertex: the delete key would take the vertex...
    QApplication.sendEvent(ws.canvas, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point,
                                                        ws.canvas.mapToGlobal(point)))
    menu = ws.context_menu
    delete = next(a for a in menu.actions() if a.text().startswith("Delete selected shapes"))
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(delete).center())
    assert saved(ws) == [] and uid not in ws.canvas.store  # ...the menu entry takes the shape


def test_keypoint_visibility_from_the_attributes_panel(qtbot, ws) -> None:
    # The third point was skipped when placing (COCO writes it at 0, 0, not labelled).
    _seeded(ws, Keypoints(((60.0, 60.0), (120.0, 60.0), (0.0, 0.0)), (2, 2, 0)))
    key(qtbot, ws, "v")
    click(ws, 120, 60)
    panel = ws.attributes_panel.keypoints
    assert panel.isVisible() and [n.text() for n in panel.names] == ["head", "▸ left hand", "right hand"]
    assert [b.currentText() for b in panel.boxes] == ["Visible", "Visible", "Not labelled"]
    panel.boxes[1].setFocus()
    qtbot.keyClick(panel.boxes[1], Qt.Key.Key_Down)  # Visible -> Occluded
    assert _skeleton(ws)[1].visibility == (2, 1, 0)
    box = ws.attributes_panel.keypoints.boxes[2]  # the panel was filled again after the save
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Up)  # Not labelled -> Occluded: placed amid the others
    shape = _skeleton(ws)[1]
    assert shape.visibility == (2, 1, 1) and shape.points[2] == (90.0, 60.0)


def test_delete_works_on_the_key_the_user_binds_and_not_on_the_old_one(qtbot, ws) -> None:
    key(qtbot, ws, "w")
    drag(ws, (20, 20), (80, 70))
    [a] = saved(ws)
    dialog = ShortcutsDialog(ws.shortcuts, ws)
    dialog.edits["delete"].setKeySequence(QKeySequence("Ctrl+K"))
    dialog.edits["delete"].setProperty("extra", [])
    assert dialog.save()
    ws.apply_shortcuts()
    key(qtbot, ws, "v")
    click(ws, 50, 45)
    assert ws.canvas.selected_uids() == [a.uid]
    key(qtbot, ws, Qt.Key.Key_Delete)
    key(qtbot, ws, Qt.Key.Key_Backspace)
    assert [x.uid for x in saved(ws)] == [a.uid] and a.uid in ws.canvas.store
    key(qtbot, ws, "k", CTRL)
    assert saved(ws) == [] and ws.canvas.shape_count() == 0
    assert ws.shortcuts.keys("delete") == ("Ctrl+K",)


def test_backspace_stays_with_the_polygon_being_drawn(qtbot, ws) -> None:
    key(qtbot, ws, "w")
    drag(ws, (200, 150), (260, 200))
    [box] = saved(ws)
    assert ws.canvas.selected_uids() == [box.uid]
    key(qtbot, ws, "p")
    for x, y in ((10, 10), (100, 10), (100, 80), (50, 120)):
        click(ws, x, y)
    key(qtbot, ws, Qt.Key.Key_Backspace)  # drops (50, 120); the selected box stays
    key(qtbot, ws, Qt.Key.Key_Return)
    shapes = {a.uid: a.shape for a in saved(ws)}
    assert shapes[box.uid] == Box(200, 150, 60, 50)
    [poly] = [s for u, s in shapes.items() if u != box.uid]
    assert poly.points == ((10, 10), (100, 10), (100, 80))
