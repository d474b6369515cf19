"""The whole review flow through the window, each member signing in in turn: the lead assigns,
two annotators label in Annotate and submit, the reviewer sees the disagreement, accepts a
consensus and sends one item back; the annotator reads the comment; lineage holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from labelhub.gui.app import prepare_application
from labelhub.gui.main_window import MainWindow
from labelhub.gui.settings import AppSettings
from labelhub.project import Project

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(autouse=True)
def isolated_qsettings(tmp_path: Path) -> None:
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))


@pytest.fixture
def window(qtbot, qapp, tmp_path: Path, dispose_window) -> MainWindow:  # noqa: ANN001
    prepare_application(qapp)
    win = MainWindow(AppSettings(QSettings(str(tmp_path / "lh.ini"), QSettings.Format.IniFormat)),
                     demo_folder=tmp_path / "demo")
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    yield win
    dispose_window(win)


def _mouse(canvas, kind: QMouseEvent.Type, x: float, y: float, buttons: Qt.MouseButton) -> None:
    pos = canvas.image_to_widget(x, y)
    glob = QPointF(canvas.mapToGlobal(QPoint(int(pos.x()), int(pos.y()))))
    button = Qt.MouseButton.NoButton if kind == QMouseEvent.Type.MouseMove else LEFT
    QApplication.sendEvent(canvas, QMouseEvent(kind, pos, glob, button, buttons, Qt.KeyboardModifier.NoModifier))


def drag_box(canvas, x0: float, y0: float, x1: float, y1: float) -> None:
    """Draw with the mouse as a user does: move, press, move in steps, release."""
    _mouse(canvas, QMouseEvent.Type.MouseMove, x0, y0, Qt.MouseButton.NoButton)
    _mouse(canvas, QMouseEvent.Type.MouseButtonPress, x0, y0, LEFT)
    for i in range(1, 7):
        _mouse(canvas, QMouseEvent.Type.MouseMove, x0 + (x1 - x0) * i / 6, y0 + (y1 - y0) * i / 6, LEFT)
    _mouse(canvas, QMouseEvent.Type.MouseButtonRelease, x1, y1, Qt.MouseButton.NoButton)


def sign_in(qtbot, window: MainWindow, project: Path, name: str):  # noqa: ANN201
    assert window.open_project(project, user=name)
    window.set_workspace("review")
    ws = window.workspaces["review"]
    qtbot.waitUntil(lambda: not ws.busy(), timeout=10000)
    return ws


def label_in_annotate(qtbot, window: MainWindow, ws, boxes: list[tuple[str, tuple[int, int, int, int]]]) -> None:
    """From the Review workspace's "Your work": open the next task in Annotate, draw, come back
    and submit it."""
    entry = next(e for e in ws.my_work.entries if e.is_open)
    qtbot.mouseClick(ws.my_work.next_button, LEFT)
    annotate = window.workspaces["annotate"]
    assert window.current_workspace() == "annotate" and annotate.item.uid == entry.item_uid
    annotate.canvas.fit()
    window.activateWindow()  # the workspace's tool keys are window shortcuts
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    for label, (x0, y0, x1, y1) in boxes:
        annotate.set_current_class(annotate.class_by_name[label].uid)
        annotate.canvas.setFocus()
        qtbot.keyClick(annotate.canvas, "w")
        assert annotate.canvas.tool.name == "box"
        drag_box(annotate.canvas, x0, y0, x1, y1)
        assert annotate.save_label.text() == f"Saved: {label} box added"
    window.set_workspace("review")
    ws.reload()
    assert ws.my_work.select(entry.item_uid)
    assert ws.my_work.current().state == "in_progress"  # drawing started the work
    qtbot.mouseClick(ws.my_work.submit_button, LEFT)
    assert "submitted for review" in ws.message.text()


def test_lead_assigns_annotators_label_reviewer_settles(qtbot, window: MainWindow, team: Path) -> None:
    # The lead assigns a.png and b.png to ana and ben, two per item, review required.
    ws = sign_in(qtbot, window, team, "lena")
    assert ws.assign_button.isVisible()
    qtbot.mouseClick(ws.assign_button, LEFT)
    dialog = ws.assign_dialog
    dialog.set_chosen(["ana", "ben"])
    dialog.overlap.setValue(2)
    dialog.pattern.setText("[ab].png")
    dialog.review_required.setChecked(True)
    qtbot.mouseClick(dialog.assign_button, LEFT)
    assert dialog.message.text() == "4 assignments over 2 items (ana 2, ben 2)."
    dialog.close()

    # ana and ben label in Annotate, each signed in in turn; ben calls the second car a person
    # and misses nothing on b.png, where ana and ben agree.
    drawings = {
        "ana": [[("car", (10, 10, 50, 40)), ("car", (70, 40, 100, 80))], [("car", (20, 20, 60, 60))]],
        "ben": [[("car", (12, 10, 50, 41)), ("person", (70, 40, 100, 80))], [("car", (20, 21, 60, 60))]],
    }
    for name, per_item in drawings.items():
        ws = sign_in(qtbot, window, team, name)
        assert ws.stack.currentWidget() is ws.my_work and not ws.assign_button.isVisible()
        assert [e.state for e in ws.my_work.entries] == ["todo", "todo"]
        for boxes in per_item:
            label_in_annotate(qtbot, window, ws, boxes)
        assert [e.state for e in ws.my_work.entries] == ["submitted", "submitted"]

    # The reviewer sees the disagreement first, accepts the consensus, sends b.png back to ben.
    ws = sign_in(qtbot, window, team, "rui")
    qtbot.waitUntil(lambda: ws.queue.model.rowCount() == 2 and ws.review is not None, timeout=10000)
    assert [ws.queue.model.entries[0].item_name, ws.review.status.item_name] == ["a.png", "a.png"]
    assert ws.queue.uids()[0] == ws.review.item_uid  # worst agreement first
    problems = [ws.decide.clusters.item(i).text() for i in range(ws.decide.clusters.count())]
    assert any(t.startswith("⚠ class differs") and "ana car, ben person" in t for t in problems)
    assert set(ws.item_view.switches) >= {"rater:ana", "rater:ben", "result"}
    assert set(ws.item_view.small) == {"ana", "ben"}  # side-by-side views
    ws.decide.clusters.setCurrentRow(0)  # the disagreement: its shapes are picked on the canvas
    assert len(ws.item_view.canvas.selected_uids()) == 2
    agreed = [u for c in ws.review.clusters if c.agreed for _who, u in c.members]
    store = ws.item_view.canvas.store
    qtbot.mouseClick(ws.item_view.only_problems, LEFT)  # only what is left to settle
    assert agreed and all(store.hidden[store.row_of[u]] for u in agreed)
    qtbot.mouseClick(ws.item_view.only_problems, LEFT)
    assert not any(store.hidden[store.row_of[u]] for u in agreed)
    ws.item_view.switches["rater:ben"].setChecked(False)  # a layer can be hidden
    assert not ws.item_view.canvas.store.layer_of("rater:ben").visible
    a_uid = ws.review.item_uid
    qtbot.mouseClick(ws.decide.consensus_button, LEFT)
    assert "Accepted the consensus on a.png" in ws.message.text()
    qtbot.waitUntil(lambda: not ws.busy() and ws.queue.model.rowCount() == 1
                    and ws.review is not None, timeout=10000)
    assert ws.review.status.item_name == "b.png"
    qtbot.mouseClick(ws.decide.reject_button, LEFT)
    reject = ws.reject_dialog
    reject.boxes["ana"].setChecked(False)
    assert not reject.send.isEnabled()  # a comment is needed
    qtbot.keyClicks(reject.comment, "The box is one pixel low")
    qtbot.mouseClick(reject.send, LEFT)
    qtbot.waitUntil(lambda: not ws.busy() and ws.queue.model.rowCount() == 0, timeout=10000)
    assert "Sent b.png back to ben" in ws.message.text()

    # ben sees what the reviewer said, in his queue.
    ws = sign_in(qtbot, window, team, "ben")
    first = ws.my_work.entries[0]
    assert (first.item_name, first.state, first.reviewer_comment) == ("b.png", "rejected", "The box is one pixel low")
    ws.my_work.select(first.item_uid)
    assert ws.my_work.table.item(0, 2).text() == "The box is one pixel low"
    assert ws.my_work.comments.item(0).text() == "Sent back: The box is one pixel low"

    # Lineage: the accepted labels name the annotator shapes they came from.
    with Project.open(team, user="rui", backup=False) as p:
        gt = p.annotations(p.ground_truth("street").uid, a_uid)
        assert sorted(a.label for a in gt) == ["car", "car"]
        for label in gt:
            lineage = p.lineage(label.uid)
            assert set(lineage.drawn_by) == {"ana", "ben"}
            assert {s.annotator for s in lineage.sources} == {"ana", "ben"}
            assert lineage.accepted.member == "rui"
        assert p.item_state("street", "a.png").state == "accepted"
        assert p.audit_verify().ok


def test_reviewer_edits_the_result_comments_and_reads_the_report(qtbot, window: MainWindow, team: Path,
                                                                  member) -> None:
    from labelhub.geometry import Box

    from .conftest import draw

    with member("lena") as p:
        p.set_review_policy("street", overlap=2, review_required=True)
        p.assign("street", ["ana", "ben"], items=["c.png"])
    for name, box in (("ana", Box(10, 10, 40, 30)), ("ben", Box(11, 10, 40, 30))):
        with member(name) as p:
            draw(p, "c.png", [("car", box), ("person", Box(80, 50, 20, 30))] if name == "ana" else [("car", box)])
            p.submit_item("street", "c.png")
    ws = sign_in(qtbot, window, team, "rui")
    qtbot.waitUntil(lambda: ws.review is not None, timeout=10000)
    assert len(ws.item_view.result_labels()) == 2  # quorum 1 of 2: ana's person is kept

    # Settings: a quorum of 2 drops the person ana alone drew.
    dialog = ws.open_settings()
    dialog.quorum.setValue(2)
    dialog.method.setCurrentIndex(1)  # the mean box
    dialog.accept()
    qtbot.waitUntil(lambda: not ws.busy() and ws.review is not None, timeout=10000)
    assert [n.label for n in ws.item_view.result_labels()] == ["car"]
    assert ws.item_view.result_labels()[0].shape == Box(10.5, 10, 40, 30)

    # Edit the result on the canvas: draw a box with the Box tool, then accept the edited result.
    assert not ws.decide.result_button.isEnabled()
    ws.item_view.class_combo.setCurrentText("person")
    qtbot.mouseClick(ws.item_view.tool_buttons["box"], LEFT)
    ws.item_view.canvas.fit()
    drag_box(ws.item_view.canvas, 80, 50, 100, 80)
    assert ws.decide.result_button.isEnabled()

    # A comment on the item, then resolved.
    ws.decide.tabs.setCurrentIndex(1)
    qtbot.keyClicks(ws.decide.comment_text, "Is the person a statue?")
    qtbot.mouseClick(ws.decide.comment_button, LEFT)
    assert ws.decide.comment_list.count() == 1
    ws.decide.comment_list.setCurrentRow(0)
    qtbot.mouseClick(ws.decide.resolve_button, LEFT)
    assert ws.decide.comment_list.count() == 0

    item = ws.review.item_uid
    qtbot.mouseClick(ws.decide.result_button, LEFT)
    assert "Accepted your result on c.png: 2 labels" in ws.message.text()
    with Project.open(team, user="rui", backup=False) as p:
        gt = {a.label: a for a in p.annotations(p.ground_truth("street").uid, item)}
        assert set(gt) == {"car", "person"} and gt["person"].sources == ()
        assert len(gt["car"].sources) == 2 and p.lineage(gt["car"].uid).how == "edited"

    # The agreement report, computed on a worker.
    qtbot.mouseClick(ws.report_button, LEFT)
    qtbot.waitUntil(lambda: ws.report_dialog is not None and ws.report_dialog.isVisible(), timeout=10000)
    report = ws.report_dialog
    assert report.pairs.item(0, 1).text() == "0.667" and report.pairs.item(0, 0).text() == "—"
    assert report.classes.rowCount() == 2
    report.close()


def test_reviewer_sees_each_annotators_image_tags(qtbot, window: MainWindow, team: Path, member) -> None:
    """The tags each annotator saved on the item are shown beside the canvas, in their colour,
    with the tags they disagree on marked, and follow the annotator's layer switch."""
    from labelhub.geometry import Box, Tag

    from .conftest import draw, uid_of

    with member("lena") as p:
        p.set_review_policy("street", overlap=3, review_required=True)
        p.assign("street", ["ana", "ben", "cid"], items=["d.png"])
    drawn = {"ana": ["day"], "ben": ["night"], "cid": []}
    for name, tags in drawn.items():
        with member(name) as p:
            draw(p, "d.png", [("car", Box(10, 10, 40, 30))] + [(t, Tag()) for t in tags])
            p.submit_item("street", "d.png")
    ws = sign_in(qtbot, window, team, "rui")
    qtbot.waitUntil(lambda: ws.review is not None, timeout=10000)
    strip = ws.item_view.tag_strip
    assert strip.isVisible()

    # What the strip shows is what each annotator saved, read back through the project.
    with Project.open(team, user="rui", backup=False) as p:
        sets = {s.member: s.uid for s in p.label_sets("street") if s.kind == "annotator"}
        item = uid_of(p, "d.png")
        saved = {name: tuple(sorted(a.label for a in p.annotations(sets[name], item) if a.shape.kind == "tag"))
                 for name in drawn}
    shown = strip.shown()
    assert {name: shown[name] for name in drawn} == saved == {"ana": ("day",), "ben": ("night",), "cid": ()}
    assert all(chip.isVisible() for chips in strip.chips.values() for chip in chips)
    assert "differ" in strip.heading.text() and strip.disputed == {"day", "night"}
    day = next(c for c in strip.chips["ana"] if c.text() == "day")
    assert day.toolTip() == "day: given by ana; not by ben, cid"
    assert "night" in ws.item_view.small_captions()["ben"]  # the side-by-side view says it too

    # Hiding ben's layer hides his tags; showing it brings them back.
    ws.item_view.switches["rater:ben"].setChecked(False)
    assert not strip.groups["ben"].isVisible() and strip.groups["ana"].isVisible()
    ws.item_view.switches["rater:ben"].setChecked(True)
    assert strip.groups["ben"].isVisible()
