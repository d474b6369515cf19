"""Browsing a dataset version in the Annotate workspace: the item as committed, strictly
read-only (mouse, keys, panels), navigation inside the version, and back to the live state.

The project is real (images on disk, ground truth drawn, v1 committed, then edited: a box
added, one deleted, one moved, one given another class, an image added, v2 committed); the
workspace is driven with real key presses and mouse drags; what is saved is read back."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSettings, Qt
from tests.annotate.conftest import click, drag, key, open_workspace, wpos

from labelhub.geometry import Box, Tag
from labelhub.gui.annotate.context_menu import show_context_menu
from labelhub.gui.annotate.navigator import find_item
from labelhub.project import AnnotationEdit, NewAnnotation, Project

CTRL = Qt.KeyboardModifier.ControlModifier
KEEP, GONE, MOVED, RELABELLED = Box(10, 10, 60, 40), Box(100, 30, 50, 50), Box(40, 120, 80, 60), Box(200, 100, 60, 50)
MOVED_TO, ADDED = Box(60, 140, 80, 60), Box(150, 160, 60, 50)


@pytest.fixture
def history(project_dir: Path, tmp_path: Path) -> dict[str, Any]:
    """v1 and v2 of the street dataset's ground truth, and the uids involved."""
    with Project.open(project_dir, user="lena", backup=False) as p:
        gt = p.ground_truth("street").uid
        items = {i.name: i.uid for i in p.items("street")}
        a = items["a-street.png"]
        keep, gone, moved, relabelled, day = p.add_annotations(gt, a, [
            NewAnnotation("car", KEEP, {"occluded": True, "colour": "red"}),
            NewAnnotation("car", GONE, {"occluded": False}),
            NewAnnotation("car", MOVED, {"occluded": False}),
            NewAnnotation("car", RELABELLED, {"occluded": False}),
            NewAnnotation("day", Tag()),
        ])
        p.add_annotations(gt, items["b-field.png"], [NewAnnotation("person", Box(20, 20, 40, 40))])
        v1 = p.commit_version("street", "first ground truth", tag="first")
        (added,) = p.add_annotations(gt, a, [NewAnnotation("person", ADDED)])
        p.delete_annotations([gone])
        p.change_annotations([AnnotationEdit(moved, shape=MOVED_TO)])
        p.change_annotations([AnnotationEdit(relabelled, label="person")])
        extra = tmp_path / "extra"
        extra.mkdir()
        Image.fromarray(np.full((90, 120, 3), 128, np.uint8)).save(extra / "d-later.png")
        p.import_images("street", [extra])
        v2 = p.commit_version("street", "reviewed")
    return {"v1": v1, "v2": v2, "a": a, "b": items["b-field.png"], "c": items["c-small.png"],
            "keep": keep, "gone": gone, "moved": moved, "relabelled": relabelled, "day": day,
            "added": added, "gt": gt}


@pytest.fixture
def lead_ws(qtbot, project_dir: Path, settings, history):  # noqa: ANN001, ANN201
    ws = open_workspace(qtbot, project_dir, "lena", settings)
    yield ws
    ws.project.close()


def shapes_on(ws: Any, layer: str | None = None) -> dict[str, tuple[str, Any]]:
    """uid -> (class, geometry) of the canvas shapes (of one layer)."""
    return {s.uid: (s.label, s.shape) for s in ws.canvas.shapes() if layer is None or s.layer == layer}


def last_seq(p: Project) -> int:
    return p.content_summary("street").seq


def in_version(ws: Any, history: dict[str, Any]) -> None:
    ws.show_item("street", history["a"], version=history["v1"])
    ws.canvas.fit()


def test_a_version_shows_the_item_as_committed(qtbot, lead_ws, history) -> None:  # noqa: ANN001
    ws, h = lead_ws, history
    live = shapes_on(ws, h["gt"])
    assert live[h["moved"]] == ("car", MOVED_TO) and h["gone"] not in live  # the item changed since
    in_version(ws, h)
    assert ws.version.number == 1 and ws.item.uid == h["a"]
    assert shapes_on(ws) == {h["keep"]: ("car", KEEP), h["gone"]: ("car", GONE),
                             h["moved"]: ("car", MOVED), h["relabelled"]: ("car", RELABELLED)}
    text = re.sub("<[^>]+>", "", ws.banner.label.text())
    assert ws.banner.isVisible() and "Version 1 (first)" in text and "street" in text
    assert "read-only, as committed 20" in text and "deprecated" not in text
    assert "1 of 3 in v1" in ws.item_label.text()
    # The image tag as it was, shown but not changeable; the attributes as they were, read-only.
    assert ws.tags_panel.boxes[ws.class_by_name["day"].uid].isChecked()
    assert not ws.tags_panel.boxes[ws.class_by_name["day"].uid].isEnabled()
    click(ws, 30, 10)
    assert ws.canvas.selected_uids() == [h["keep"]]
    assert "(read-only)" in ws.attributes_panel.heading.text()
    assert ws.attributes_panel.editors["occluded"].isChecked()
    assert not ws.attributes_panel.editors["occluded"].isEnabled()
    # Visibly disabled: every drawing tool, undo, redo, the schema editor, the label sets.
    for name in ("tool_box", "tool_polygon", "tool_brush", "undo", "redo", "delete", "paste", "tag_image"):
        assert not ws.actions_[name].isEnabled(), name
    assert ws.actions_["tool_select"].isEnabled() and ws.actions_["next_item"].isEnabled()
    assert not ws.schema_button.isEnabled() and not ws.layers_panel.isEnabled()


def test_a_version_refuses_every_edit_by_mouse_and_keyboard(qtbot, lead_ws, history) -> None:  # noqa: ANN001
    ws, h = lead_ws, history
    p = ws.project
    in_version(ws, h)
    before_seq = last_seq(p)
    live_before = p.annotations(h["gt"], h["a"])
    key(qtbot, ws, "w")  # the box tool's key ...
    assert ws.canvas.tool.name == "select"
    drag(ws, (220, 180), (300, 230))  # ... and a drag where a box would go
    click(ws, 30, 10)  # a shape picked and dragged away
    drag(ws, (30, 10), (150, 200))
    key(qtbot, ws, Qt.Key.Key_Delete)
    key(qtbot, ws, "z", CTRL)
    key(qtbot, ws, "2")  # a class key: would relabel the selection
    key(qtbot, ws, "t")  # tag the image
    key(qtbot, ws, "h")  # hide the selection
    key(qtbot, ws, "c", CTRL)
    key(qtbot, ws, "v", CTRL)  # paste what was copied
    key(qtbot, ws, "d", CTRL)  # duplicate
    ws.edit_attributes({"occluded": False})  # what the attributes panel would ask
    ws.toggle_tag(ws.class_by_name["night"].uid, True)
    ws.canvas.set_tool("box")
    drag(ws, (220, 180), (300, 230))
    menu = show_context_menu(ws, wpos(ws, 30, 10).toPoint())  # a right click offers copying only
    offered = [a.text() for a in menu.actions() if a.isEnabled() and not a.isSeparator()]
    assert offered == [ws.actions_["copy"].text()]
    menu.close()
    assert last_seq(p) == before_seq  # not one change was made
    assert p.annotations(h["gt"], h["a"]) == live_before
    assert not p.annotations(p.my_label_set("street").uid, h["a"])
    assert shapes_on(ws)[h["keep"]] == ("car", KEEP) and len(shapes_on(ws)) == 4
    assert "read-only" in ws.save_label.text()


def test_navigation_stays_inside_the_version(qtbot, lead_ws, history, monkeypatch) -> None:  # noqa: ANN001
    ws, h = lead_ws, history
    assert [i.name for i in ws.navigator.items()][-1] == "d-later.png"  # live: four images
    in_version(ws, h)
    assert [i.name for i in ws.navigator.items()] == ["a-street.png", "b-field.png", "c-small.png"]
    assert ws.navigator.model.data(ws.navigator.model.index(0, 0)).endswith("5 shapes")
    key(qtbot, ws, "d")
    assert ws.item.name == "b-field.png" and ws.version is not None
    assert [s[0] for s in shapes_on(ws).values()] == ["person"]
    key(qtbot, ws, "d")
    key(qtbot, ws, "d")
    assert ws.item.name == "c-small.png" and ws.version is not None
    assert "last image" in ws.save_label.text()
    key(qtbot, ws, "a")
    assert ws.item.name == "b-field.png"
    monkeypatch.setattr(ws.navigator, "ask_jump", lambda: find_item(ws.navigator.items(), "street"))
    key(qtbot, ws, "g", CTRL)
    assert ws.item.name == "a-street.png" and ws.version is not None
    ws.navigator.item_chosen.emit(h["c"])  # a click in the list
    assert ws.item.name == "c-small.png" and ws.version is not None
    ws.navigator.filter.setText("later")  # the image added after v1 is not in it
    assert ws.navigator.model.rowCount() == 0
    ws.navigator.filter.setText("field")
    assert ws.navigator.model.rowCount() == 1


def test_back_to_current_reopens_the_item_live(qtbot, lead_ws, history) -> None:  # noqa: ANN001
    ws, h = lead_ws, history
    in_version(ws, h)
    qtbot.mouseClick(ws.banner.button, Qt.MouseButton.LeftButton)
    assert ws.version is None and not ws.banner.isVisible()
    assert ws.item.uid == h["a"]
    live = shapes_on(ws, h["gt"])
    assert live == {h["keep"]: ("car", KEEP), h["moved"]: ("car", MOVED_TO),
                    h["relabelled"]: ("person", RELABELLED), h["added"]: ("person", ADDED)}
    assert [i.name for i in ws.navigator.items()][-1] == "d-later.png"
    assert ws.actions_["tool_box"].isEnabled() and ws.schema_button.isEnabled()
    key(qtbot, ws, "w")  # drawing works again, into lena's own labels
    drag(ws, (220, 180), (300, 230))
    mine = ws.project.annotations(ws.project.my_label_set("street").uid, h["a"])
    assert [a.shape for a in mine] == [Box(220, 180, 80, 50)]


def test_back_to_current_when_the_item_is_gone_opens_the_first_image(qtbot, lead_ws, history) -> None:  # noqa: ANN001
    ws, h = lead_ws, history
    ws.show_item("street", h["b"], version=h["v1"])
    ws.project.exclude_items("street", [h["b"]])
    assert shapes_on(ws) and ws.item.uid == h["b"]  # the version still holds it
    ws.back_to_current()
    assert ws.version is None and ws.item.name == "a-street.png"
    assert "no longer in the dataset" in ws.save_label.text()


def test_opening_an_item_without_a_version_leaves_version_mode(qtbot, lead_ws, history) -> None:  # noqa: ANN001
    ws, h = lead_ws, history
    ws.project.deprecate_version("street", 1, "a box was missing")
    in_version(ws, h)
    assert "deprecated" in ws.banner.label.text() and "a box was missing" in ws.banner.label.text()
    ws.show_item("street", h["b"])
    assert ws.version is None and not ws.banner.isVisible() and ws.item.uid == h["b"]
    assert ws.actions_["undo"].isEnabled() is False and ws.actions_["tool_polygon"].isEnabled()
    assert ws.session.read_only is None and not ws.canvas.read_only
    in_version(ws, h)
    ws.navigator.dataset_chosen.emit("street")  # choosing the dataset: live again
    assert ws.version is None and not ws.banner.isVisible()


def test_from_the_versions_workspace_to_a_version_in_annotate(qtbot, qapp, project_dir: Path, history,  # noqa: ANN001
                                                             tmp_path: Path, dispose_window) -> None:
    from labelhub.gui.app import prepare_application
    from labelhub.gui.main_window import MainWindow
    from labelhub.gui.settings import AppSettings

    h = history
    prepare_application(qapp)
    settings = AppSettings(QSettings(str(tmp_path / "labelhub.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings, demo_folder=tmp_path / "demo")  # deleted below, not by qtbot
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    try:
        assert window.open_project(project_dir, user="lena")
        window.set_workspace("versions")
        page = window.workspaces["versions"]
        page.table.selectRow(next(r for r in range(page.model.rowCount()) if page.model.row(r).number == 1))
        page.wait_for_items()
        row = next(r for r in range(page.items_model.rowCount()) if page.items_model.row(r).name == "a-street.png")
        page.items_table.selectRow(row)
        qtbot.mouseClick(page.open_item_button, Qt.MouseButton.LeftButton)
        annotate = window.workspace("annotate")
        assert window.current_workspace() == "annotate"
        assert annotate.version.number == 1 and annotate.item.uid == h["a"]
        assert shapes_on(annotate)[h["gone"]] == ("car", GONE) and len(shapes_on(annotate)) == 4
        window.show_item("street", h["a"])  # from anywhere, without a version: live
        assert annotate.version is None and h["gone"] not in shapes_on(annotate)
    finally:
        page._abandon()
        dispose_window(window)
