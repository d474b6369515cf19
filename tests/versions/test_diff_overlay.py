"""The Compare tab's overlay: the item of a change on the canvas with both versions' ground
truth, added green, removed red, changed both ways (before red and dashed, after green), the
rest faint grey; the item's changes beside it, picking shapes both ways; read-only.

A real project on disk with real images: v1 committed, then a box added, one deleted, one
moved, one given another class, v2 committed; compared through the window. What the overlay
shows is checked on the canvas' layers and on the pixels of the widget."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtGui import QColor, QImage

from labelhub.geometry import Box
from labelhub.gui.app import prepare_application
from labelhub.gui.main_window import MainWindow
from labelhub.gui.settings import AppSettings
from labelhub.gui.versions.diff_overlay import (
    ADDED,
    AFTER,
    BEFORE,
    BEFORE_SUFFIX,
    GREEN,
    NEUTRAL,
    RED,
    REMOVED,
    UNCHANGED,
)
from labelhub.project import AnnotationEdit, NewAnnotation, Project

LEFT = Qt.MouseButton.LeftButton
BACKGROUND = 50
KEEP, GONE, MOVED = Box(20, 20, 60, 50), Box(120, 20, 60, 50), Box(220, 20, 60, 50)
MOVED_TO, RELABELLED, ADDED_BOX = Box(250, 60, 60, 50), Box(40, 150, 70, 60), Box(200, 180, 80, 60)


@pytest.fixture(autouse=True)
def isolated_qsettings(tmp_path: Path) -> Iterator[None]:
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    yield


def build(folder: Path, images: Path, extra_boxes: int = 0) -> dict[str, Any]:
    """Project "street": a.png (plain dark grey, so the overlay's colours can be read off its
    pixels) and b.png; v1, then the edits, then v2."""
    images.mkdir()
    Image.fromarray(np.full((300, 400, 3), BACKGROUND, np.uint8)).save(images / "a.png")
    Image.fromarray(np.random.default_rng(3).integers(0, 255, (120, 160, 3), np.uint8)).save(images / "b.png")
    with Project.create(folder, lead="lena") as p:
        p.create_dataset("street")
        p.import_images("street", [images])
        for name in ("car", "person"):
            p.add_label_class("street", name, kinds=["box", "polygon"])
        gt = p.ground_truth("street").uid
        items = {i.name: i.uid for i in p.items("street")}
        a = items["a.png"]
        many = [NewAnnotation("car", Box(5 + (i % 30) * 13, 246 + (i // 30) * 5, 10, 3)) for i in range(extra_boxes)]
        uids = p.add_annotations(gt, a, [NewAnnotation("car", KEEP), NewAnnotation("car", GONE),
                                         NewAnnotation("car", MOVED), NewAnnotation("car", RELABELLED)] + many)
        keep, gone, moved, relabelled = uids[:4]
        p.add_annotations(gt, items["b.png"], [NewAnnotation("person", Box(10, 10, 30, 30))])
        p.commit_version("street", "first")
        (added,) = p.add_annotations(gt, a, [NewAnnotation("person", ADDED_BOX)])
        p.delete_annotations([gone])
        p.change_annotations([AnnotationEdit(moved, shape=MOVED_TO)])
        p.change_annotations([AnnotationEdit(relabelled, label="person")])
        extra = uids[4:]
        if extra:  # a third of the many small boxes moved, a sixth deleted
            p.change_annotations([AnnotationEdit(u, shape=Box(5 + (i % 30) * 13 + 2, 246 + (i // 30) * 5, 10, 3))
                                  for i, u in enumerate(extra) if i % 3 == 0])
            p.delete_annotations([u for i, u in enumerate(extra) if i % 6 == 1])
        p.commit_version("street", "second")
    return {"a": a, "keep": keep, "gone": gone, "moved": moved, "relabelled": relabelled,
            "added": added, "extra": extra}


@pytest.fixture
def window(qtbot, qapp, tmp_path: Path, dispose_window):  # noqa: ANN001, ANN201
    prepare_application(qapp)
    settings = AppSettings(QSettings(str(tmp_path / "labelhub.ini"), QSettings.Format.IniFormat))
    w = MainWindow(settings, demo_folder=tmp_path / "demo")
    qtbot.addWidget(w)
    w.resize(1500, 1000)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.workspaces["versions"]._abandon()
    dispose_window(w)


def compare(qtbot, window: MainWindow, folder: Path) -> Any:  # noqa: ANN001
    assert window.open_project(folder, user="lena")
    window.set_workspace("versions")
    page = window.workspaces["versions"]
    page.tabs.setCurrentWidget(page.compare)
    page.compare.compare(1, 2)
    qtbot.waitUntil(lambda: page.task is None and page.compare.diff is not None, timeout=15000)
    return page.compare


def layer_of(store: Any, uid: str) -> str:
    return store.layers[int(store.layer[store.row_of[uid]])].name


def colour_of(store: Any, uid: str) -> str:
    return QColor.fromRgb(int(store.override[store.row_of[uid]]) & 0xFFFFFF).name()


def shown(canvas: Any) -> QImage:
    canvas.flush()
    return canvas.grab().toImage()


def kind(c: QColor) -> str:
    r, g, b = c.red(), c.green(), c.blue()
    if g > r + 60 and g > b + 40:
        return "green"
    if r > g + 60 and r > b + 60:
        return "red"
    if max(r, g, b) - min(r, g, b) < 30 and r > BACKGROUND + 25:
        return "grey"
    return "other"


def left_edge(canvas: Any, image: QImage, box: Box) -> list[str]:
    """The colour kind of each widget pixel down the box's left edge (its ends left out),
    the most saturated of the three pixels across the line."""
    top, bottom = canvas.image_to_widget(box.x, box.y), canvas.image_to_widget(box.x, box.y + box.h)
    x = round(top.x())
    out = []
    for y in range(round(top.y()) + 6, round(bottom.y()) - 6):
        pixels = [image.pixelColor(x + dx, y) for dx in (-1, 0, 1)]
        best = max(pixels, key=lambda c: max(c.red(), c.green(), c.blue()) - min(c.red(), c.green(), c.blue()))
        out.append(kind(best) if kind(best) != "other" else kind(max(pixels, key=lambda c: c.red())))
    return out


def share(kinds: list[str], what: str) -> float:
    return kinds.count(what) / len(kinds)


def test_the_overlay_shows_exactly_what_changed_in_the_right_colours(qtbot, window, tmp_path) -> None:  # noqa: ANN001
    h = build(tmp_path / "proj", tmp_path / "images")
    panel = compare(qtbot, window, tmp_path / "proj")
    overlay = panel.overlay
    # The first annotation change is shown at once, on its image.
    assert overlay.item_uid == h["a"] and overlay.views.currentWidget() is overlay.canvas
    canvas = overlay.canvas
    store = canvas.store
    expected = {h["keep"]: UNCHANGED, h["gone"]: REMOVED, h["added"]: ADDED, h["moved"]: AFTER,
                h["moved"] + BEFORE_SUFFIX: BEFORE, h["relabelled"]: AFTER,
                h["relabelled"] + BEFORE_SUFFIX: BEFORE}
    assert {s.uid: s.layer for s in canvas.shapes()} == expected
    geometry = {s.uid: (s.label, s.shape) for s in canvas.shapes()}
    assert geometry[h["moved"]] == ("car", MOVED_TO) and geometry[h["moved"] + BEFORE_SUFFIX] == ("car", MOVED)
    assert geometry[h["relabelled"]] == ("person", RELABELLED)
    assert geometry[h["relabelled"] + BEFORE_SUFFIX] == ("car", RELABELLED)
    assert geometry[h["gone"]] == ("car", GONE) and geometry[h["added"]] == ("person", ADDED_BOX)
    for uid, layer in expected.items():
        if layer != UNCHANGED:
            assert colour_of(store, uid) == (GREEN if layer in (ADDED, AFTER) else RED)
    assert store.layer_of(BEFORE).dashed and not store.layer_of(AFTER).dashed
    assert store.layer_of(UNCHANGED).opacity < 1 and canvas.label_qcolor("car").name() == NEUTRAL
    assert all(not layer.editable for layer in store.layers) and canvas.read_only
    assert overlay.counts.added == 1 and overlay.counts.removed == 1 and overlay.counts.changed == 2
    assert overlay.counts.unchanged == 1
    assert overlay.legend[ADDED].text() == "added (1)" and overlay.legend[UNCHANGED].text() == "unchanged (1)"
    assert [overlay.model.row(i).change for i in range(overlay.model.rowCount())] == \
        ["added", "changed", "changed", "removed"]

    # The pixels: each kind of change in its colour, down each box's left edge.
    canvas.select(())
    image = shown(canvas)
    added, removed = left_edge(canvas, image, ADDED_BOX), left_edge(canvas, image, GONE)
    assert share(added, "green") > 0.9 and "red" not in added
    assert share(removed, "red") > 0.9 and "green" not in removed
    now, before = left_edge(canvas, image, MOVED_TO), left_edge(canvas, image, MOVED)
    # (where the old and new boxes overlap, an edge of one may cross the other at a pixel)
    assert share(now, "green") > 0.9 and share(now, "red") < 0.05
    assert 0.3 < share(before, "red") < 0.85 and share(before, "green") < 0.05  # dashed
    relabelled = left_edge(canvas, image, RELABELLED)  # dashes of red over the green line
    assert 0.3 < share(relabelled, "red") < 0.85 and share(relabelled, "green") > 0.1
    unchanged = left_edge(canvas, image, KEEP)
    assert share(unchanged, "grey") > 0.9 and not {"red", "green"} & set(unchanged)
    # Hiding a kind of change in the legend takes it off the canvas.
    overlay.legend[REMOVED].setChecked(False)
    assert "red" not in left_edge(canvas, shown(canvas), GONE)
    overlay.legend[REMOVED].setChecked(True)


def test_picking_a_change_rings_its_shape_and_a_shape_picks_its_change(qtbot, window, tmp_path) -> None:  # noqa: ANN001
    h = build(tmp_path / "proj", tmp_path / "images")
    panel = compare(qtbot, window, tmp_path / "proj")
    overlay, canvas = panel.overlay, panel.overlay.canvas
    row = next(i for i in range(overlay.model.rowCount()) if overlay.model.row(i).source.uid == h["moved"])
    rect = overlay.list.visualRect(overlay.model.index(row, 1))
    qtbot.mouseClick(overlay.list.viewport(), LEFT, pos=rect.center())
    assert sorted(canvas.selected_uids()) == sorted([h["moved"], h["moved"] + BEFORE_SUFFIX])
    current = panel.proxy.mapToSource(panel.table.currentIndex()).row()
    assert panel.model.row(current).source.uid == h["moved"]  # the table above follows
    # The ring around the picked shapes: white just outside their bounds.
    image = shown(canvas)
    corner = canvas.image_to_widget(MOVED.x, MOVED.y)
    ring = [image.pixelColor(round(corner.x()) - 7 + d, round(corner.y()) + 20) for d in (-1, 0, 1)]
    assert any(min(c.red(), c.green(), c.blue()) > 200 for c in ring)
    # A click on a shape on the canvas picks its line in the list.
    canvas.setFocus()
    edge = canvas.image_to_widget(GONE.x, GONE.y + GONE.h / 2).toPoint()
    qtbot.mouseMove(canvas, edge)
    qtbot.mouseClick(canvas, LEFT, pos=edge)
    assert canvas.selected_uids() == [h["gone"]]
    picked = overlay.list.currentIndex().row()
    assert overlay.model.row(picked).source.uid == h["gone"]
    # Choosing another line of the table above moves the ring without reloading the item.
    index = panel.proxy.mapFromSource(panel.model.index(panel.annotation_rows[h["added"]], 0))
    panel.table.selectRow(index.row())
    assert canvas.selected_uids() == [h["added"]]


def test_the_overlay_is_read_only(qtbot, window, tmp_path) -> None:  # noqa: ANN001
    h = build(tmp_path / "proj", tmp_path / "images")
    panel = compare(qtbot, window, tmp_path / "proj")
    canvas = panel.overlay.canvas
    before = {s.uid: s.shape for s in canvas.shapes()}
    p = window.project
    seq = p.content_summary("street").seq
    commands: list = []
    canvas.commandIssued.connect(commands.append)
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_W)
    assert canvas.tool.name == "select"
    for a, b in ((ADDED_BOX, Box(300, 200, 50, 50)), (Box(330, 150, 1, 1), Box(380, 200, 1, 1))):
        start = canvas.image_to_widget(a.x, a.y + a.h / 2).toPoint()
        end = canvas.image_to_widget(b.x, b.y).toPoint()
        qtbot.mousePress(canvas, LEFT, pos=start)
        for i in range(1, 5):
            qtbot.mouseMove(canvas, QPoint(start.x() + (end.x() - start.x()) * i // 4,
                                           start.y() + (end.y() - start.y()) * i // 4))
        qtbot.mouseRelease(canvas, LEFT, pos=end)
    canvas.select([h["added"]])
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert commands == [] and {s.uid: s.shape for s in canvas.shapes()} == before
    assert p.content_summary("street").seq == seq


def test_an_item_with_hundreds_of_shapes(qtbot, window, tmp_path) -> None:  # noqa: ANN001
    h = build(tmp_path / "proj", tmp_path / "images", extra_boxes=300)
    panel = compare(qtbot, window, tmp_path / "proj")
    overlay = panel.overlay
    extra = h["extra"]
    moved = {u for i, u in enumerate(extra) if i % 3 == 0}
    deleted = {u for i, u in enumerate(extra) if i % 6 == 1}
    layers = {}
    for s in overlay.canvas.shapes():
        layers.setdefault(s.layer, set()).add(s.uid)
    assert layers[REMOVED] == deleted | {h["gone"]}
    assert layers[AFTER] == moved | {h["moved"], h["relabelled"]}
    assert layers[BEFORE] == {u + BEFORE_SUFFIX for u in moved | {h["moved"], h["relabelled"]}}
    assert layers[UNCHANGED] == (set(extra) - moved - deleted) | {h["keep"]}
    assert overlay.model.rowCount() == len(moved) + len(deleted) + 4
    assert overlay.counts.unchanged == len(layers[UNCHANGED])
    image = shown(overlay.canvas)
    assert share(left_edge(overlay.canvas, image, ADDED_BOX), "green") > 0.9


def test_a_label_class_row_has_no_image_and_an_added_item_shows_all_green(qtbot, window, tmp_path) -> None:  # noqa: ANN001
    h = build(tmp_path / "proj", tmp_path / "images")
    with Project.open(tmp_path / "proj", user="lena", backup=False) as p:
        later = tmp_path / "later"
        later.mkdir()
        Image.fromarray(np.full((100, 100, 3), 90, np.uint8)).save(later / "c.png")
        p.import_images("street", [later])
        p.add_label_class("street", "bike", kinds=["box"])
        c = next(i.uid for i in p.items("street") if i.name == "c.png")
        (bike,) = p.add_annotations(p.ground_truth("street").uid, c, [NewAnnotation("bike", Box(10, 10, 50, 50))])
        p.commit_version("street", "third")
    assert window.open_project(tmp_path / "proj", user="lena")
    window.set_workspace("versions")
    panel = window.workspaces["versions"].compare
    panel.compare(2, 3)
    qtbot.waitUntil(lambda: panel.diff is not None and window.workspaces["versions"].task is None, timeout=15000)
    rows = {(panel.model.row(i).what, panel.model.row(i).change): i for i in range(panel.model.rowCount())}
    panel.table.selectRow(panel.proxy.mapFromSource(panel.model.index(rows[("Label class", "added")], 0)).row())
    assert panel.overlay.views.currentWidget() is panel.overlay.placeholder
    assert "bike" in panel.overlay.title.text()
    panel.table.selectRow(panel.proxy.mapFromSource(panel.model.index(rows[("Item", "added")], 0)).row())
    assert panel.overlay.item_uid == c
    assert {s.uid: s.layer for s in panel.overlay.canvas.shapes()} == {bike: ADDED}
    assert h["a"] != c


def test_open_in_annotate_shows_the_newer_version_read_only(qtbot, window, tmp_path) -> None:  # noqa: ANN001
    h = build(tmp_path / "proj", tmp_path / "images")
    panel = compare(qtbot, window, tmp_path / "proj")
    assert panel.overlay.open_button.isEnabled()
    qtbot.mouseClick(panel.overlay.open_button, LEFT)
    annotate = window.workspace("annotate")
    assert window.current_workspace() == "annotate"
    assert annotate.version is not None and annotate.version.number == 2 and annotate.item.uid == h["a"]
    assert {s.uid: s.shape for s in annotate.canvas.shapes()}[h["moved"]] == MOVED_TO
