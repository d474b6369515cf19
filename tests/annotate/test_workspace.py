"""Navigation, the queue, shortcuts (help overlay, rebinding), display, guidelines, the schema
editor, the window's menu and the demo."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from tests.annotate.conftest import drag, key, open_workspace

from labelhub.geometry import Box
from labelhub.gui.annotate.navigator import find_item
from labelhub.gui.annotate.schema_editor import SchemaEditor, parse_skeleton
from labelhub.gui.annotate.shortcuts import COMMANDS
from labelhub.gui.annotate.shortcuts_dialog import ShortcutsDialog
from labelhub.project import NewAnnotation, Project

SHIFT = Qt.KeyboardModifier.ShiftModifier


def test_next_previous_next_unlabelled_and_jump(qtbot, ws, monkeypatch) -> None:
    names = [i.name for i in ws.navigator.items()]
    assert names == ["a-street.png", "b-field.png", "c-small.png"]
    key(qtbot, ws, "w")
    drag(ws, (10, 10), (40, 40))
    assert ws.navigator.model.counts[ws.item.uid] == 1
    key(qtbot, ws, "d")
    assert ws.item.name == "b-field.png"
    key(qtbot, ws, "a")
    assert ws.item.name == "a-street.png"
    key(qtbot, ws, "d", SHIFT)  # next unlabelled
    assert ws.item.name == "b-field.png"
    key(qtbot, ws, "d", SHIFT)
    assert ws.item.name == "c-small.png"
    monkeypatch.setattr(ws.navigator, "ask_jump", lambda: find_item(ws.navigator.items(), "1"))
    key(qtbot, ws, "g", Qt.KeyboardModifier.ControlModifier)
    assert ws.item.name == "a-street.png"
    assert find_item(ws.navigator.items(), "field").name == "b-field.png"
    ws.navigator.filter.setText("small")
    assert ws.navigator.model.rowCount() == 1


def test_queue_follows_assignments(qtbot, project_dir: Path, settings) -> None:
    with Project.open(project_dir, user="lena", backup=False) as p:
        items = p.items("street")
        p.assign("street", ["ana"], overlap=1, items=[items[2].uid, items[1].uid])
    ws = open_workspace(qtbot, project_dir, "ana", settings)
    assert sorted(i.name for i in ws.navigator.items()) == ["b-field.png", "c-small.png"]
    ws.project.close()


def test_help_overlay_lists_every_shortcut(qtbot, ws) -> None:
    key(qtbot, ws, Qt.Key.Key_F1)
    assert ws.help_overlay.isVisible()
    titles = [t for _g, rows in ws.help_overlay.lines() for _k, t in rows]
    assert all(c.title in titles for c in COMMANDS)
    ws.help_overlay.grab()  # paints without error
    qtbot.keyClick(ws.help_overlay, Qt.Key.Key_Escape)
    assert not ws.help_overlay.isVisible()


def test_shortcuts_are_rebindable_and_remembered(qtbot, ws, project_dir: Path, settings) -> None:
    dialog = ShortcutsDialog(ws.shortcuts, ws)
    dialog.edits["tool_box"].setKeySequence(QKeySequence("Q"))
    dialog.edits["tool_select"].setKeySequence(QKeySequence("Q"))
    assert not dialog.save()
    assert "bound to both" in dialog.problem.text()
    dialog.edits["tool_select"].setKeySequence(QKeySequence("V"))
    assert dialog.save()
    ws.apply_shortcuts()
    key(qtbot, ws, "q")
    assert ws.canvas.tool.name == "box"
    key(qtbot, ws, "v")
    key(qtbot, ws, "w")  # W is free now
    assert ws.canvas.tool.name == "select"
    again = open_workspace(qtbot, project_dir, "ana", settings)
    assert again.shortcuts.keys("tool_box") == ("Q",)
    again.project.close()


def test_display_adjustments_and_crosshair_change_the_view_only(qtbot, ws) -> None:
    ws.show_display()
    ws.display_dialog.brightness.setValue(30)
    ws.display_dialog.gamma.setValue(150)
    assert ws.canvas.display().brightness == 0.3 and ws.canvas.display().gamma == 1.5
    key(qtbot, ws, "x")
    assert ws.canvas.crosshair
    ws.display_dialog.reset()
    assert ws.canvas.display().identity()


def test_guidelines_of_the_current_class(qtbot, ws) -> None:
    dialog = ws.show_guidelines()
    assert "whole car" in dialog.browser.toPlainText()
    dialog.close()


def test_schema_editor_changes_classes_and_guidelines(qtbot, project_dir: Path, settings, tmp_path) -> None:
    ws = open_workspace(qtbot, project_dir, "lena", settings)
    p = ws.project
    editor = ws.open_schema_editor()
    assert isinstance(editor, SchemaEditor)
    editor.list.setCurrentRow(0)
    editor.name.setText("vehicle")
    editor.hotkey.setText("v")
    editor.kinds["polyline"].setChecked(True)
    editor.attributes.add_row(None)
    editor.attributes.table.item(4, 0).setText("wheels")
    editor.attributes.table.cellWidget(4, 1).setCurrentText("number")
    assert editor.save_class()
    vehicle = p.label_classes("street")[0]
    assert vehicle.name == "vehicle" and vehicle.hotkey == "v" and "polyline" in vehicle.kinds
    assert vehicle.attribute("wheels").type == "number"
    assert "vehicle" in ws.class_by_name  # the workspace follows
    assert "is also a shortcut" in ws.classes_panel.toolTip()  # V is the select tool
    editor.list.setCurrentRow(1)
    editor.keypoints.setPlainText("head\nleft hand\nright hand\nfoot")
    editor.skeleton.setText("head-left hand, head-right hand, head-foot")
    assert editor.save_class()
    assert p.label_classes("street")[1].skeleton == ((0, 1), (0, 2), (0, 3))
    picture = tmp_path / "example.png"
    Image.new("RGB", (40, 30), (200, 10, 10)).save(picture)
    assert editor.add_image_file(str(picture))
    assert "](media:" in p.label_classes("street")[1].guidelines
    assert editor.preview().browser.document().toPlainText() is not None
    editor.hotkey.setText("1")
    editor.list.setCurrentRow(2)
    editor.list.setCurrentRow(1)
    editor.kinds["keypoints"].setChecked(False)
    for box in editor.kinds.values():
        box.setChecked(False)
    assert not editor.save_class()
    assert "shape kinds" in editor.problem.text()
    added = editor.add_named("bicycle")
    assert added is not None and p.label_classes("street")[-1].name == "bicycle"
    assert editor.remove_class()  # no annotations: removed without asking
    assert "bicycle" not in {c.name for c in p.label_classes("street")}
    ws.project.close()


def test_skeleton_text_by_names_or_numbers() -> None:
    assert parse_skeleton("a-b, 0-2", ["a", "b", "c"]) == [[0, 1], [0, 2]]


def test_window_menu_and_demo_open_the_annotate_workspace(qtbot, tmp_path: Path) -> None:
    from PySide6.QtCore import QSettings

    from labelhub.gui.main_window import MainWindow
    from labelhub.gui.settings import AppSettings
    from labelhub.project.demo import build_demo

    build_demo(tmp_path / "demo")
    win = MainWindow(AppSettings(QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)),
                     demo_folder=tmp_path / "demo")
    qtbot.addWidget(win)
    win.show()
    assert win.open_demo(user="lena")
    assert win.current_workspace() == "annotate"
    page = win.workspaces["annotate"]
    assert page.item.name == "scene-012.png"
    assert page.canvas.shape_count() >= 2  # ana's shapes, shown read-only to the lead
    assert win.menu_actions["label_schema"].isEnabled()
    win.close()


def test_removing_a_class_with_annotations_asks_what_becomes_of_them(qtbot, project_dir: Path, settings,
                                                                   monkeypatch) -> None:
    from PySide6.QtWidgets import QDialog

    from labelhub.gui.annotate import schema_editor

    ws = open_workspace(qtbot, project_dir, "lena", settings)
    p = ws.project
    p.add_annotations(p.my_label_set("street").uid, p.items("street")[0].uid,
                      [NewAnnotation("person", Box(1, 1, 5, 5))])
    asked = {}

    def answer(dialog: QDialog) -> int:
        asked["text"] = dialog.findChildren(schema_editor.QLabel)[0].text()
        dialog.target.setCurrentText("car")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(schema_editor.RemoveClassDialog, "exec", answer)
    editor = ws.open_schema_editor()
    editor.list.setCurrentRow(1)
    assert editor.remove_class()
    assert asked["text"].startswith("person has 1 annotation")
    [a] = p.annotations(p.my_label_set("street").uid, p.items("street")[0].uid)
    assert a.label == "car"
    ws.project.close()
