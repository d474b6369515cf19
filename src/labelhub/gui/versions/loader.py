"""Reading a version's items off the GUI thread, for the Versions workspace's Contents tab."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import QWidget

from labelhub.errors import LabelHubError


class ItemsLoader(QThread):
    """Reads a version's items on a worker thread with its own project handle."""

    loaded = Signal(int, object)

    def __init__(self, request: int, folder: Path, member: str, dataset: str, seq: int,
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.request, self.folder, self.member, self.dataset, self.seq = request, folder, member, dataset, seq

    def run(self) -> None:
        from labelhub.project import Project

        try:
            with Project.open(self.folder, user=self.member, backup=False) as project:
                items = project.items(self.dataset, at_seq=self.seq)
        except LabelHubError as error:
            items = error
        self.loaded.emit(self.request, items)
