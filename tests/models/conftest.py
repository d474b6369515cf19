"""Fixtures for the model registry and evaluation: real projects with generated ground truth
and predictions (see models_helpers.py), and a real window for the viewer tests."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def isolated_qsettings(tmp_path: Path) -> Iterator[Path]:
    """Even a default QSettings() writes under tmp_path, never into the user's real settings."""
    from PySide6.QtCore import QSettings

    folder = tmp_path / "qsettings"
    folder.mkdir()
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
    yield folder


@pytest.fixture
def window(qtbot, qapp, isolated_qsettings: Path, tmp_path: Path, dispose_window):  # noqa: ANN001, ANN201
    from PySide6.QtCore import QSettings

    from labelhub.gui.app import prepare_application
    from labelhub.gui.main_window import MainWindow
    from labelhub.gui.settings import AppSettings

    prepare_application(qapp)
    win = MainWindow(AppSettings(QSettings(str(tmp_path / "labelhub.ini"), QSettings.Format.IniFormat)),
                     demo_folder=tmp_path / "demo")
    win.resize(1300, 860)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    dispose_window(win)


@pytest.fixture
def when_modal() -> Callable[..., None]:
    """when_modal(DialogClass, action): answer the next modal dialog of that class (exec())."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    def arm(kind: type, action: Callable, timeout: int = 5000) -> None:
        state = {"waited": 0}

        def poll() -> None:
            modal = QApplication.activeModalWidget()
            if isinstance(modal, kind) and modal.isVisible():
                try:
                    action(modal)
                finally:  # a failed check must not leave the test waiting on the dialog
                    if modal.isVisible():
                        modal.reject()
                return
            state["waited"] += 20
            if state["waited"] < timeout:
                QTimer.singleShot(20, poll)

        QTimer.singleShot(0, poll)

    return arm
