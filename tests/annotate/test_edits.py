"""Undo and redo, copy and paste, flags, z-order, attributes, tags, per-class switches and the
shapes list, all through the keyboard and mouse, checked against what the project saved."""

from __future__ import annotations

from PySide6.QtCore import Qt
from tests.annotate.conftest import click, drag, key, saved

from labelhub.geometry import Box
from labelhub.project import NewAnnotation

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def _box(qtbot, ws, x0: float, y0: float, x1: float, y1: float) -> str:
    key(qtbot, ws, "w")
    drag(ws, (x0, y0), (x1, y1))
    return ws.canvas.selected_uids()[0]


def test_undo_and_redo_round_trip_through_the_project(qtbot, ws) -> None:
    first = _box(qtbot, ws, 10, 10, 50, 50)
    _box(qtbot, ws, 100, 100, 150, 140)
    key(qtbot, ws, "v")
    click(ws, 30, 30)
    drag(ws, (30, 30), (40, 45))
    moved = {a.uid: a.shape for a in saved(ws)}[first]
    assert moved == Box(20, 25, 40, 40)
    key(qtbot, ws, "z", CTRL)  # the move
    assert {a.uid: a.shape for a in saved(ws)}[first] == Box(10, 10, 40, 40)
    assert ws.canvas.geometry_of(first) == Box(10, 10, 40, 40)
    key(qtbot, ws, "z", CTRL)  # the second box
    key(qtbot, ws, "z", CTRL)  # the first box
    assert saved(ws) == [] and ws.canvas.shape_count() == 0
    key(qtbot, ws, "z", CTRL | SHIFT)
    key(qtbot, ws, "z", CTRL | SHIFT)
    key(qtbot, ws, "z", CTRL | SHIFT)
    shapes = sorted((a.shape.x, a.shape.y) for a in saved(ws))
    assert shapes == [(20, 25), (100, 100)]
    assert ws.canvas.shape_count() == 2 and ws.canvas.geometry_of(first) == Box(20, 25, 40, 40)
    actions = [c.action for c in ws.project.changes(limit=6)]
    assert actions.count("undo") == 6  # undo and redo are changes of their own, in the log
    assert ws.project.audit_verify().ok


def test_undo_after_a_delete_brings_the_shape_back(qtbot, ws) -> None:
    uid = _box(qtbot, ws, 10, 10, 50, 50)
    key(qtbot, ws, "v")
    key(qtbot, ws, Qt.Key.Key_Delete)
    assert saved(ws) == []
    key(qtbot, ws, "z", CTRL)
    [a] = saved(ws)
    assert a.uid == uid and uid in ws.canvas.store


def test_copy_paste_within_and_across_images_and_duplicate(qtbot, ws) -> None:
    _box(qtbot, ws, 10, 10, 50, 50)
    key(qtbot, ws, "c", CTRL)
    key(qtbot, ws, "v", CTRL)
    assert len(saved(ws)) == 2
    key(qtbot, ws, "d", CTRL)  # duplicate the pasted copy, 10 px lower right
    assert sorted((a.shape.x, a.shape.y) for a in saved(ws)) == [(10, 10), (10, 10), (20, 20)]
    key(qtbot, ws, "d")  # next image
    assert ws.item.name == "b-field.png" and saved(ws) == []
    key(qtbot, ws, "v", CTRL)
    [a] = saved(ws)
    assert a.shape == Box(10, 10, 40, 40) and a.label == "car"


def test_copy_all_shapes_from_the_previous_image(qtbot, ws) -> None:
    _box(qtbot, ws, 10, 10, 50, 50)
    _box(qtbot, ws, 250, 150, 310, 230)  # does not fit the third image (200 x 150)
    key(qtbot, ws, "d")
    key(qtbot, ws, "v", CTRL | SHIFT)
    assert len(saved(ws)) == 2
    key(qtbot, ws, "z", CTRL)  # one change, one undo
    assert saved(ws) == []
    key(qtbot, ws, "z", CTRL | SHIFT)
    key(qtbot, ws, "d")
    assert ws.item.name == "c-small.png"
    key(qtbot, ws, "v", CTRL | SHIFT)
    assert len(saved(ws)) == 1
    assert "did not fit" in ws.save_label.text()


def test_hide_lock_and_z_order_are_saved(qtbot, ws) -> None:
    low = _box(qtbot, ws, 10, 10, 100, 100)
    high = _box(qtbot, ws, 50, 50, 150, 150)
    key(qtbot, ws, "v")
    ws.canvas.select([low])
    key(qtbot, ws, "]", CTRL)
    by = {a.uid: a for a in saved(ws)}
    assert by[low].z > by[high].z
    assert [a.uid for a in saved(ws)][-1] == low
    assert ws.canvas.shape_at(75, 75) == low
    key(qtbot, ws, "[", CTRL)
    assert [a.uid for a in saved(ws)][0] == low
    ws.canvas.select([high])
    key(qtbot, ws, "l", CTRL)
    assert {a.uid: a.locked for a in saved(ws)}[high]
    drag(ws, (120, 120), (130, 130))  # a locked shape does not move
    assert {a.uid: a.shape for a in saved(ws)}[high] == Box(50, 50, 100, 100)
    key(qtbot, ws, "h")
    assert {a.uid: a.hidden for a in saved(ws)}[high]
    assert ws.canvas.store.hidden[ws.canvas.store.row_of[high]]
    key(qtbot, ws, "h", SHIFT)
    assert not {a.uid: a.hidden for a in saved(ws)}[high]


def test_attributes_panel_edits_and_flags_required_values(qtbot, ws) -> None:
    uid = _box(qtbot, ws, 10, 10, 50, 50)
    panel = ws.attributes_panel
    assert "occluded" in panel.editors
    assert "color" in panel.labels["occluded"].styleSheet()  # required and empty: flagged
    assert ws.shapes_panel.model.flagged == {uid}
    panel.editors["occluded"].click()
    panel.editors["colour"].setCurrentIndex(2)
    panel.editors["colour"].activated.emit(2)
    spin = panel.editors["speed"]
    spin.setValue(88)
    spin.editingFinished.emit()
    panel.editors["note"].setText("behind a tree")
    panel.editors["note"].editingFinished.emit()
    [a] = saved(ws)
    assert a.attributes == {"occluded": True, "colour": "blue", "speed": 88, "note": "behind a tree"}
    assert a.problems == () and ws.shapes_panel.model.flagged == set()
    assert panel.labels["occluded"].styleSheet() == ""
    key(qtbot, ws, "z", CTRL)
    assert "note" not in saved(ws)[0].attributes


def test_image_tags_by_hotkey_single_and_multiple(qtbot, ws) -> None:
    tags = lambda: sorted(a.label for a in saved(ws) if a.shape.kind == "tag")  # noqa: E731
    key(qtbot, ws, "y")
    key(qtbot, ws, "u")
    assert tags() == ["day", "night"]
    assert ws.tags_panel.boxes[ws.class_by_name["day"].uid].isChecked()
    key(qtbot, ws, "y")
    assert tags() == ["night"]
    ws.tags_panel.single.setChecked(True)
    key(qtbot, ws, "y")
    assert tags() == ["day"]
    assert ws.navigator.model.counts[ws.item.uid] == 1


def test_per_class_hide_and_lock_are_view_only(qtbot, ws) -> None:
    uid = _box(qtbot, ws, 10, 10, 50, 50)
    car = ws.class_by_name["car"].uid
    ws.classes_panel.visibility_changed.emit(car, False)
    assert ws.canvas.store.hidden[ws.canvas.store.row_of[uid]]
    ws.classes_panel.visibility_changed.emit(car, True)
    ws.classes_panel.lock_changed.emit(car, True)
    assert not ws.canvas.is_editable(uid)
    [a] = saved(ws)
    assert not a.hidden and not a.locked


def test_shapes_list_filters_and_selects(qtbot, ws) -> None:
    _box(qtbot, ws, 10, 10, 50, 50)
    key(qtbot, ws, "o")
    click(ws, 100, 100)
    panel = ws.shapes_panel
    panel.refresh()
    assert panel.model.rowCount() == 2
    panel.filter.setText("lane")
    assert panel.model.rowCount() == 1
    panel.table.selectRow(0)
    [uid] = ws.canvas.selected_uids()
    assert ws.canvas.store.labels[ws.canvas.store.row_of[uid]] == "lane"
    panel.filter.clear()
    panel.problems.setChecked(True)
    assert panel.model.rowCount() == 1 and panel.model.data(panel.model.index(0, 1)) == "car"


def test_other_label_sets_are_shown_read_only(qtbot, project_dir, settings) -> None:
    from tests.annotate.conftest import open_workspace

    from labelhub.project import Project

    with Project.open(project_dir, user="ben", backup=False) as p:
        item = p.items("street")[0].uid
        p.add_annotations(p.my_label_set("street").uid, item, [NewAnnotation("car", Box(5, 5, 30, 30))])
    with Project.open(project_dir, user="lena", backup=False) as p:
        gt = p.ground_truth("street").uid
        p.add_annotations(gt, item, [NewAnnotation("car", Box(200, 100, 30, 30))])
    ws = open_workspace(qtbot, project_dir, "lena", settings)
    assert ws.canvas.shape_count() == 2  # a lead sees the others at once
    assert ws.canvas.store.layer_of  # layers are in place
    titles = [ws.layers_panel.target.itemText(i) for i in range(ws.layers_panel.target.count())]
    assert titles == ["Your labels", "Ground truth"]
    uid = ws.canvas.shape_at(20, 20)
    assert uid is not None and not ws.canvas.is_editable(uid)
    ws.layers_panel.visibility_changed.emit(next(iter(ws.layers_panel.boxes)), False)
    ws.project.close()
