"""Starting the window: the QApplication, its look, and what opens first.

``run_gui`` is what the ``labelhub`` command calls. Creating the QApplication is kept apart
(``create_application``) from dressing it (``prepare_application``) so tests can use
pytest-qt's application.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

import labelhub
from labelhub.gui.icons import app_icon
from labelhub.gui.main_window import MainWindow
from labelhub.gui.messages import show_error
from labelhub.gui.settings import APPLICATION, ORGANISATION, AppSettings
from labelhub.gui.theme import install_theme

log = logging.getLogger(__name__)


def create_application(argv: list[str] | None = None) -> QApplication:
    """The process's QApplication (the existing one if there is one)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QCoreApplication.setOrganizationName(ORGANISATION)
    QCoreApplication.setApplicationName(APPLICATION)
    return QApplication(argv if argv is not None else sys.argv[:1])


def prepare_application(app: QApplication) -> None:
    """Names, version, icon and the light/dark theme that follows the system."""
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("LabelHub")
    app.setApplicationVersion(labelhub.__version__)
    app.setDesktopFileName("labelhub")
    install_theme(app)
    app.setWindowIcon(app_icon())


def _install_excepthook(window: MainWindow) -> None:
    """An unexpected error in a slot becomes a message box (and a log entry), not a crash."""

    def hook(kind: type[BaseException], error: BaseException,
             traceback: TracebackType | None) -> None:
        log.error("unexpected error", exc_info=(kind, error, traceback))
        if isinstance(error, KeyboardInterrupt):
            QApplication.quit()
            return
        show_error(window, error)

    sys.excepthook = hook


def start_window(window: MainWindow, project: Path | None = None, user: str | None = None,
                 demo: bool = False) -> None:
    """Open what the command line asked for, else the last project, else the start page."""
    from labelhub.project import Project

    if demo:
        window.open_demo(user=user)
    elif project is not None:
        window.open_project(project, user=user)
    else:
        last = window.settings.last_project()
        if last is not None and Project.is_project(last):
            window.open_project(last, user=user)


def run_gui(project: Path | None = None, user: str | None = None, demo: bool = False) -> int:
    """Show the LabelHub window and run until it closes; returns the exit status."""
    app = create_application()
    prepare_application(app)
    window = MainWindow(AppSettings())
    _install_excepthook(window)
    window.show()
    start_window(window, Path(project) if project is not None else None, user, demo)
    return app.exec()
