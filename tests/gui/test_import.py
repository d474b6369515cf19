"""Importing images from the window: menu, drag and drop, cancel, permissions, summary."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QProgressDialog, QPushButton

from labelhub.gui import import_dialogs
from labelhub.gui.import_dialogs import DatasetPromptDialog, ImportSummaryDialog
from labelhub.gui.main_window import MainWindow
from labelhub.project import Project


def _items(folder: Path, dataset: str) -> list[str]:
    with Project.open(folder, user="lena", backup=False) as project:
        return sorted(item.name for item in project.items(dataset))


def _wait_for_import(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.importer.task is None, timeout=30000)


@pytest.fixture
def lead_window(window: MainWindow, team_project: Path) -> MainWindow:
    assert window.open_project(team_project, user="lena")
    return window


def test_import_menu_imports_folder(qtbot, lead_window: MainWindow, team_project: Path,
                                   images_dir: Path, monkeypatch, image_names) -> None:
    asked: dict[str, object] = {}

    def fake_folder(*args: object, **kwargs: object) -> str:
        return str(images_dir)

    def fake_dataset(parent, datasets, sources, default=None):  # noqa: ANN001, ANN202
        asked.update(datasets=list(datasets), sources=sources)
        return "photos"

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", fake_folder)
    monkeypatch.setattr(import_dialogs, "ask_dataset", fake_dataset)
    lead_window.menu_actions["import"].trigger()
    _wait_for_import(qtbot, lead_window)

    assert asked == {"datasets": [], "sources": "the folder images"}
    assert _items(team_project, "photos") == image_names
    summary = lead_window.importer.last_summary
    assert isinstance(summary, ImportSummaryDialog) and summary.isVisible()
    assert summary.headline.text() == "Imported 4 images into “photos”."
    assert not summary.details.isVisible()
    # The Assets table shows the new dataset and its item count.
    assert lead_window.assets.showing_table()
    model = lead_window.assets.model
    assert [model.index(0, 0).data(), model.index(0, 1).data()] == ["photos", "4"]


def test_drop_folder_imports(qtbot, lead_window: MainWindow, team_project: Path,
                             images_dir: Path, monkeypatch, image_names) -> None:
    lead_window.project.create_dataset("street")
    lead_window.refresh_project()
    monkeypatch.setattr(import_dialogs, "ask_dataset", lambda *a, **k: "street")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(images_dir))])

    enter = QDragEnterEvent(QPoint(300, 300), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(lead_window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(300, 300), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(lead_window, drop)
    assert drop.isAccepted()
    qtbot.waitUntil(lambda: lead_window.importer.last_summary is not None, timeout=30000)
    _wait_for_import(qtbot, lead_window)
    assert _items(team_project, "street") == image_names


def test_drop_without_urls_is_refused(lead_window: MainWindow) -> None:
    mime = QMimeData()
    mime.setText("hello")
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(lead_window, enter)
    assert not enter.isAccepted()


def test_drop_project_folder_on_start_page_opens_it(qtbot, window: MainWindow,
                                                    team_project: Path) -> None:
    window.settings.remember_member(team_project, "rui")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(team_project))])
    drop = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    QApplication.sendEvent(window, drop)
    assert drop.isAccepted()
    qtbot.waitUntil(lambda: window.project is not None)
    assert window.member_label.text() == "Signed in as Rui"


def test_cancelling_import_imports_nothing(qtbot, lead_window: MainWindow, team_project: Path,
                                           images_dir: Path, monkeypatch, message_texts) -> None:
    lead_window.project.create_dataset("photos")
    lead_window.refresh_project()
    gate = threading.Event()
    real_import = Project.import_images

    def held_import(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        gate.wait(20)  # hold the worker until the test has pressed Cancel
        return real_import(self, *args, **kwargs)

    monkeypatch.setattr(Project, "import_images", held_import)
    task = lead_window.importer.import_paths([images_dir], dataset="photos")
    assert task is not None
    dialog = task.dialog
    assert isinstance(dialog, QProgressDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    cancel_button = dialog.findChild(QPushButton)
    qtbot.mouseClick(cancel_button, Qt.MouseButton.LeftButton)
    assert task.cancel_event.is_set()
    gate.set()
    _wait_for_import(qtbot, lead_window)

    assert _items(team_project, "photos") == []
    assert any("Nothing was imported" in text for text in message_texts(lead_window))
    assert lead_window.importer.last_summary is None


def test_summary_lists_failures_and_duplicates(qtbot, lead_window: MainWindow,
                                               team_project: Path, images_dir: Path) -> None:
    (images_dir / "broken.jpg").write_bytes(b"this is not a picture")
    Image.open(images_dir / "red.jpg").copy().save(images_dir / "more" / "red-again.png")
    (images_dir / "more" / "copy.jpg").write_bytes((images_dir / "red.jpg").read_bytes())
    lead_window.importer.import_paths([images_dir], dataset="mixed")
    _wait_for_import(qtbot, lead_window)
    summary = lead_window.importer.last_summary
    assert summary is not None
    assert "1 duplicate skipped" in summary.headline.text()
    assert "1 file could not be imported" in summary.headline.text()
    rows = [summary.details.topLevelItem(i) for i in range(summary.details.topLevelItemCount())]
    outcomes = {r.text(0): r.text(1) for r in rows}
    assert all(Path(r.data(0, Qt.ItemDataRole.UserRole)).is_absolute() for r in rows)
    assert outcomes["broken.jpg"].startswith("failed: ")
    assert outcomes["copy.jpg"].startswith("duplicate: ") or \
        outcomes["red.jpg"].startswith("duplicate: ")
    assert summary.details.isVisibleTo(summary)
    assert len(_items(team_project, "mixed")) == 5


def test_import_error_is_a_message_box(qtbot, lead_window: MainWindow, tmp_path: Path,
                                       message_texts) -> None:
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    lead_window.project.create_dataset("photos")
    lead_window.importer.import_paths([empty], dataset="photos")
    _wait_for_import(qtbot, lead_window)
    texts = message_texts(lead_window)
    assert texts and "no images" in texts[-1]
    assert "Traceback" not in texts[-1]


def test_annotator_cannot_import(window: MainWindow, team_project: Path,
                                 images_dir: Path, message_texts) -> None:
    window.open_project(team_project, user="ana")
    assert not window.menu_actions["import"].isEnabled()
    assert not window.menu_actions["new_dataset"].isEnabled()
    assert not window.assets.empty_import_button.isEnabled()
    assert "Only a lead" in window.assets.empty_import_button.toolTip()
    assert window.importer.import_paths([images_dir], dataset="x") is None
    assert any("importing images needs the lead role" in t for t in message_texts(window))


def test_dataset_prompt_offers_existing_and_new(qtbot) -> None:
    dialog = DatasetPromptDialog(["photos", "street"], "the folder images", "street")
    qtbot.addWidget(dialog)
    assert dialog.dataset_name() == "street"
    assert "added to this dataset" in dialog.hint.text()
    dialog.combo.setEditText("birds")
    assert dialog.dataset_name() == "birds"
    assert "new dataset “birds”" in dialog.hint.text()
    dialog.combo.setEditText("  ")
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()


def test_dataset_prompt_through_import_button(qtbot, lead_window: MainWindow,
                                              team_project: Path, images_dir: Path,
                                              monkeypatch, when_modal) -> None:
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(images_dir))

    def answer(dialog: DatasetPromptDialog) -> None:
        dialog.combo.setEditText("birds")
        dialog.accept()

    when_modal(DatasetPromptDialog, answer)
    qtbot.mouseClick(lead_window.assets.empty_import_button, Qt.MouseButton.LeftButton)
    _wait_for_import(qtbot, lead_window)
    assert len(_items(team_project, "birds")) == 4


def test_new_dataset_from_menu(lead_window: MainWindow, monkeypatch, message_texts) -> None:
    monkeypatch.setattr(import_dialogs, "ask_new_dataset", lambda parent: ("street", "Cars"))
    lead_window.menu_actions["new_dataset"].trigger()
    assert lead_window.dataset_names() == ["street"]
    monkeypatch.setattr(import_dialogs, "ask_new_dataset", lambda parent: ("street", ""))
    lead_window.menu_actions["new_dataset"].trigger()
    assert any("already exists" in t for t in message_texts(lead_window))
