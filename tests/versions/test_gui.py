"""The Versions workspace driven with real clicks and keys; results checked in the project."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from versions_helpers import item_uid

from labelhub.geometry import Box
from labelhub.gui.app import prepare_application
from labelhub.gui.main_window import MainWindow
from labelhub.gui.settings import AppSettings
from labelhub.gui.versions.dialogs import CommitDialog, DeprecateDialog, TagDialog
from labelhub.project import NewAnnotation


@pytest.fixture(autouse=True)
def isolated_qsettings(tmp_path: Path) -> Iterator[None]:
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    yield


@pytest.fixture
def page(qtbot, qapp: QApplication, scenes: Path, tmp_path: Path, dispose_window):  # noqa: ANN001, ANN201
    prepare_application(qapp)
    settings = AppSettings(QSettings(str(tmp_path / "labelhub.ini"), QSettings.Format.IniFormat))
    settings.set_last_location(tmp_path)
    window = MainWindow(settings, demo_folder=tmp_path / "demo")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.open_project(scenes, user="lena")
    window.set_workspace("versions")
    versions = window.workspaces["versions"]
    yield versions
    versions._abandon()
    dispose_window(window)


def when_modal(kind: type[QWidget], action: Callable[[QWidget], None], timeout: int = 5000) -> None:
    """Run ``action`` on the next modal widget of type ``kind`` once it shows (for exec())."""
    state = {"waited": 0}

    def poll() -> None:
        modal = QApplication.activeModalWidget()
        if isinstance(modal, kind) and modal.isVisible():
            action(modal)
            return
        state["waited"] += 20
        if state["waited"] < timeout:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)


def click(qtbot, widget: QWidget) -> None:  # noqa: ANN001
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def wait_task(qtbot, page) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: page.task is None, timeout=15000)


def test_commit_a_version_and_see_it_listed_with_its_contents(qtbot, page) -> None:  # noqa: ANN001
    assert page.model.rowCount() == 0 and not page.export_button.isEnabled()

    def fill(dialog: CommitDialog) -> None:
        assert not dialog.ok_button.isEnabled()  # a message is required
        qtbot.keyClicks(dialog.message, "first labels")
        qtbot.keyClicks(dialog.tag, "12")  # reads as a number: refused
        assert not dialog.ok_button.isEnabled() and "version number" in dialog.problem.text()
        dialog.tag.clear()
        qtbot.keyClicks(dialog.tag, "base")
        click(qtbot, dialog.ok_button)

    when_modal(CommitDialog, fill)
    click(qtbot, page.commit_button)
    project = page.project
    versions = project.versions("scenes")
    assert [(v.number, v.tag, v.message) for v in versions] == [(1, "base", "first labels")]
    assert page.model.rowCount() == 1 and page.model.row(0).label == "v1 (base)"
    page.wait_for_items()
    assert page.items_model.rowCount() == 4
    assert "Viewing v1 (base)" in page.banner_label.text()
    assert {page.counts_model.row(i)["name"] for i in range(3)} == {"car", "person", "sky"}
    assert "nothing" not in page.summary.text() and "no changes since" in page.summary.text()


def test_compare_two_versions_in_the_table(qtbot, page) -> None:  # noqa: ANN001
    p = page.project
    gt = p.ground_truth("scenes").uid
    p.commit_version("scenes", "one")
    first = p.annotations(gt, item_uid(p, "scenes", "a.png"))[0]
    p.change_annotation(first.uid, shape=Box(12, 10, 30, 20))
    p.add_annotations(gt, item_uid(p, "scenes", "sub/d.png"), [NewAnnotation("car", Box(1, 1, 5, 5))])
    p.commit_version("scenes", "two")
    page.refresh()
    assert page.selected_version().number == 2
    click(qtbot, page.compare_button)
    wait_task(qtbot, page)
    assert page.tabs.currentWidget() is page.compare
    rows = [page.compare.model.row(i) for i in range(page.compare.model.rowCount())]
    assert sorted((r.change, r.what, r.item) for r in rows) == [
        ("added", "Annotation", "sub/d.png"), ("changed", "Annotation", "a.png")]
    changed = next(r for r in rows if r.change == "changed")
    assert changed.detail == "box: x 10 → 12"
    counts = {page.compare.counts_model.row(i).name: page.compare.counts_model.row(i)
              for i in range(page.compare.counts_model.rowCount())}
    assert (counts["car"].before, counts["car"].after) == (3, 4)
    assert "1 annotation added, 1 annotation changed" in page.compare.headline.text()
    # The other way round, picked in the combo boxes.
    page.compare.before.setCurrentIndex(page.compare.before.findData("2"))
    page.compare.after.setCurrentIndex(page.compare.after.findData("1"))
    click(qtbot, page.compare.compare_button)
    wait_task(qtbot, page)
    assert "v2 → v1" in page.compare.headline.text()
    page.compare.filter.setCurrentIndex(3)  # annotations only
    assert page.compare.proxy.rowCount() == 2


def test_tag_and_deprecate_through_their_dialogs(qtbot, page) -> None:  # noqa: ANN001
    page.project.commit_version("scenes", "one", tag="base")
    page.refresh()

    def tag(dialog: TagDialog) -> None:
        dialog.tag.clear()
        qtbot.keyClicks(dialog.tag, "release-1")
        click(qtbot, dialog.ok_button)

    when_modal(TagDialog, tag)
    click(qtbot, page.tag_button)
    assert page.project.version("scenes", 1).tag == "release-1"

    def deprecate(dialog: DeprecateDialog) -> None:
        assert not dialog.ok_button.isEnabled()
        qtbot.keyClicks(dialog.reason, "drawn on the wrong images")
        click(qtbot, dialog.ok_button)

    when_modal(DeprecateDialog, deprecate)
    click(qtbot, page.deprecate_button)
    v = page.project.version("scenes", 1)
    assert v.deprecated and v.deprecated_reason == "drawn on the wrong images"
    assert "Deprecated:" in page.banner_label.text() and not page.deprecate_button.isEnabled()
    assert page.project.audit_verify().ok


def test_export_shows_the_losses_and_asks_before_writing(qtbot, page, tmp_path: Path) -> None:  # noqa: ANN001
    page.project.commit_version("scenes", "one")
    page.refresh()
    click(qtbot, page.export_button)
    dialog = page.dialog
    dialog.set_format("voc")
    assert not dialog.losses.isHidden() and dialog.losses.topLevelItemCount() == 3
    assert "Pascal VOC cannot hold everything" in dialog.headline.text()
    out = tmp_path / "voc-export"
    dialog.folder.clear()
    qtbot.keyClicks(dialog.folder, str(out))

    def refuse(box: QMessageBox) -> None:
        assert "1 polygon shape of car: converted" in box.text()
        box.button(QMessageBox.StandardButton.Cancel).click()

    when_modal(QMessageBox, refuse)
    click(qtbot, dialog.export_button)
    assert dialog.isVisible() and not out.exists()  # nothing written; the dialog stays

    def accept(box: QMessageBox) -> None:
        next(b for b in box.buttons() if b.text() == "Export anyway").click()

    when_modal(QMessageBox, accept)
    click(qtbot, dialog.export_button)
    wait_task(qtbot, page)
    manifest = json.loads((out / "manifest.json").read_text())
    assert [x["kind"] for x in manifest["losses"]] == ["polygon", "keypoints", "tag"]
    assert page.last_report.out == out.resolve()


def test_export_without_losses_writes_at_once(qtbot, page, tmp_path: Path) -> None:  # noqa: ANN001
    page.project.commit_version("scenes", "one")
    page.refresh()
    click(qtbot, page.export_button)
    dialog = page.dialog
    dialog.set_format("cvat")
    assert dialog.losses.isHidden() and dialog.headline.text().startswith("✓ CVAT XML holds every shape")
    qtbot.mouseClick(dialog.media, Qt.MouseButton.LeftButton, pos=QPoint(8, dialog.media.height() // 2))
    assert dialog.media.isChecked()
    dialog.folder.clear()
    qtbot.keyClicks(dialog.folder, str(tmp_path / "cvat"))
    click(qtbot, dialog.export_button)
    wait_task(qtbot, page)
    assert (tmp_path / "cvat" / "annotations.xml").is_file()
    assert (tmp_path / "cvat" / "images" / "a.png").is_file()


def test_import_labels_from_the_dialog(qtbot, page, tmp_path: Path) -> None:  # noqa: ANN001
    p = page.project
    p.commit_version("scenes", "one")
    p.export_version("scenes", 1, "cvat", tmp_path / "cvat")
    click(qtbot, page.import_button)
    dialog = page.dialog
    dialog.set_values(tmp_path / "cvat", "cvat", "annotator:rui")
    assert dialog.import_button.isEnabled()
    click(qtbot, dialog.import_button)
    wait_task(qtbot, page)
    assert page.last_report.added == 6
    rui = next(s.uid for s in p.label_sets("scenes") if s.member == "rui")
    assert len(p.annotations(rui, item_uid(p, "scenes", "a.png"))) == 3


def test_a_dataset_without_versions_points_to_the_datasets_that_have_some(qtbot, page) -> None:  # noqa: ANN001
    """The demo opens on a dataset without versions while another has two: the empty banner
    says where they are, and choosing that dataset lists them."""
    p = page.project
    p.commit_version("scenes", "one")
    p.create_dataset("empty")
    page.refresh()
    page.select_dataset("empty")
    qtbot.waitUntil(lambda: page.dataset() == "empty" and page.model.rowCount() == 0)
    assert "No version yet" in page.banner_label.text()
    assert "“scenes” has 1 version (choose it under Dataset)" in page.banner_label.text()
    page.select_dataset("scenes")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    page.wait_for_items()
    assert "Viewing v1" in page.banner_label.text() and "choose it" not in page.banner_label.text()
