"""Fixtures for the window tests: isolated settings, real projects on disk, a ready window."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from labelhub.gui.app import prepare_application
from labelhub.gui.main_window import MainWindow
from labelhub.gui.settings import AppSettings
from labelhub.project import Project


@pytest.fixture(autouse=True)
def isolated_qsettings(tmp_path: Path) -> Iterator[Path]:
    """Even a default QSettings() writes under tmp_path, never into the user's real settings."""
    folder = tmp_path / "qsettings"
    folder.mkdir()
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
    yield folder


@pytest.fixture
def app_settings(tmp_path: Path) -> AppSettings:
    return AppSettings(QSettings(str(tmp_path / "labelhub.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def team_project(tmp_path: Path) -> Path:
    """A real project: lead lena, reviewer rui, annotator ana; no datasets."""
    folder = tmp_path / "team"
    with Project.create(folder, lead="lena", display_name="Lena Park") as project:
        project.add_member("rui", "reviewer", "Rui")
        project.add_member("ana", "annotator", "Ana")
    return folder


@pytest.fixture
def window(qtbot, qapp: QApplication, app_settings: AppSettings, tmp_path: Path,
           dispose_window) -> Iterator[MainWindow]:  # noqa: ANN001
    prepare_application(qapp)
    win = MainWindow(app_settings, demo_folder=tmp_path / "demo")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    dispose_window(win)


def _message_texts(parent: QWidget) -> list[str]:
    return [box.text() for box in parent.findChildren(QMessageBox) if box.isVisible()]


@pytest.fixture
def message_texts() -> Callable[[QWidget], list[str]]:
    """message_texts(widget): the texts of the message boxes open over ``widget``."""
    return _message_texts


def _when_modal(kind: type[QWidget], action: Callable[[QWidget], None],
                timeout: int = 5000) -> None:
    """Run ``action`` on the next modal dialog of type ``kind`` once it shows (for exec())."""
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


@pytest.fixture
def when_modal() -> Callable[..., None]:
    """when_modal(DialogClass, action): answer the next modal dialog of that class (exec())."""
    return _when_modal


@pytest.fixture
def image_names(images_dir: Path) -> list[str]:
    """The relative names of the images in ``images_dir``, sorted."""
    return sorted(p.relative_to(images_dir).as_posix() for p in images_dir.rglob("*")
                  if p.is_file())
