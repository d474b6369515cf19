"""The Models workspace: the model registry and the evaluations, in two tabs."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from labelhub.gui.models.evaluations import EvaluationsPage
from labelhub.gui.models.registry import RegistryPage


class ModelsWorkspace(QWidget):
    def __init__(self, window: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_ = window
        self.project: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.registry = RegistryPage(self.tabs)
        self.evaluations = EvaluationsPage(self.tabs)
        self.tabs.addTab(self.registry, "Registry")
        self.tabs.addTab(self.evaluations, "Evaluations")
        layout.addWidget(self.tabs)
        self.registry.changed.connect(self.evaluations.refresh)
        self.evaluations.openItemRequested.connect(self.open_item)

    def set_project(self, project: Any) -> None:
        self.project = project
        self.registry.set_project(project)
        self.evaluations.set_project(project)

    def refresh(self) -> None:
        self.registry.refresh()
        self.evaluations.refresh()

    def refresh_icons(self) -> None:
        self.registry.empty.refresh_icons()
        self.evaluations.empty.refresh_icons()
        if self.evaluations.viewer is not None:
            self.evaluations.viewer.restyle()

    def open_item(self, dataset: str, item_uid: str) -> None:
        """Open an item in the Annotate workspace, to fix its labels."""
        if self.window_ is not None:
            self.window_.show_item(dataset, item_uid)
