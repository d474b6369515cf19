"""Importing images from the window: choose what and where, run it on a worker, report.

The worker opens its own Project handle (SQLite connections stay on the thread that made them)
as the member signed in to the window, and without a backup: the window's handle made one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog

from labelhub.errors import LabelHubError
from labelhub.gui import import_dialogs
from labelhub.gui.messages import show_error, show_info
from labelhub.gui.tasks import BackgroundTask, Progress

if TYPE_CHECKING:
    import threading

    from labelhub.gui.main_window import MainWindow


def import_job(folder: Path, member: str, dataset: str, create: bool, paths: list[Path],
               description: str = "") -> Any:
    """The work done on the worker thread; returns the ImportReport."""
    from labelhub.project import Project

    def job(progress: Progress, cancel: threading.Event) -> Any:
        with Project.open(folder, user=member, backup=False) as project:
            if create and dataset not in {d.name for d in project.datasets()}:
                project.create_dataset(dataset, description=description)
            return project.import_images(dataset, paths, progress=progress, cancel=cancel)

    return job


class ImportController(QObject):
    """Runs at most one import at a time for the window."""

    import_finished = Signal(object)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.task: BackgroundTask | None = None
        self.last_summary: import_dialogs.ImportSummaryDialog | None = None
        self.last_report: Any = None

    @property
    def busy(self) -> bool:
        return self.task is not None and self.task.running

    def choose_and_import(self) -> BackgroundTask | None:
        """File > Import Images…: pick a folder, then a dataset."""
        if not self._ready():
            return None
        folder = QFileDialog.getExistingDirectory(
            self.window, "Import images from folder", str(self.window.settings.last_location()))
        if not folder:
            return None
        self.window.settings.set_last_location(folder)
        return self.import_paths([Path(folder)])

    def import_paths(self, paths: Sequence[Path], dataset: str | None = None,
                     description: str = "") -> BackgroundTask | None:
        """Import ``paths`` (folders and files); asks for the dataset unless given."""
        if not self._ready():
            return None
        project = self.window.project
        assert project is not None
        sources = [Path(p) for p in paths]
        try:
            existing = [d.name for d in project.datasets()]
        except LabelHubError as error:
            show_error(self.window, error)
            return None
        if dataset is None:
            dataset = import_dialogs.ask_dataset(
                self.window, existing, import_dialogs.describe_sources(sources),
                default=self.window.current_dataset_name())
            if not dataset:
                return None
        create = dataset not in existing
        job = import_job(project.folder, project.member.name, dataset, create, sources,
                         description)
        self.task = BackgroundTask(
            self.window, "Import images", f"Importing into “{dataset}”…", job,
            on_success=lambda report: self._succeeded(dataset, report),
            on_error=self._failed,
            on_cancelled=lambda: self._cancelled(dataset, create),
        )
        self.task.finished.connect(self._task_finished)
        self.task.start()
        return self.task

    def _ready(self) -> bool:
        if self.window.project is None:
            show_info(self.window, "Open or create a project first, then import images into it.")
            return False
        try:
            self.window.project.authorize("images.import")
        except LabelHubError as error:
            show_error(self.window, error, title="Import images")
            return False
        if self.busy:
            show_info(self.window, "An import is already running. Wait for it to finish, or "
                                   "cancel it, before starting another.")
            return False
        return True

    def _task_finished(self) -> None:
        if self.task is not None:
            self.task.deleteLater()
        self.task = None

    def _succeeded(self, dataset: str, report: Any) -> None:
        self.last_report = report
        self.window.refresh_project()
        self.last_summary = import_dialogs.ImportSummaryDialog(dataset, report, self.window)
        self.last_summary.open()
        self.import_finished.emit(report)

    def _failed(self, error: BaseException) -> None:
        self.window.refresh_project()
        show_error(self.window, error, title="Import failed")

    def _cancelled(self, dataset: str, created: bool) -> None:
        self.window.refresh_project()
        text = "Import cancelled. Nothing was imported."
        if created and dataset in self.window.dataset_names():
            text += f" The new dataset “{dataset}” was created and is empty."
        show_info(self.window, text, title="Import cancelled")
