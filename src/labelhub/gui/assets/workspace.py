"""The Assets workspace: the datasets on the left, the chosen dataset's items on the right.

Without datasets it shows an empty state with Import images… and New dataset…. The main
window owns this page (``window.assets``): it fills the dataset table on every refresh and
routes New dataset… and Import images… to its own dialogs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from labelhub.gui.assets.browser import DatasetBrowser
from labelhub.gui.assets.datasets import DatasetTableModel
from labelhub.gui.icons import icon
from labelhub.gui.widgets import EmptyState
from labelhub.gui.workspaces import WORKSPACES


class AssetsWorkspace(QWidget):
    """Datasets (with New dataset… and Import images…) beside the browser of one dataset."""

    new_dataset_requested = Signal()
    import_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        info = WORKSPACES[0]
        self.window_ref: Any = None
        self.project: Any = None
        self.model = DatasetTableModel(self)
        self.stack = QStackedWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        self.empty_state = EmptyState(info.key, info.empty_title, info.empty_text, "", self)
        empty_buttons = QWidget(self.empty_state)
        row = QHBoxLayout(empty_buttons)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        self.empty_import_button = QPushButton(icon("import"), "Import images…", empty_buttons)
        self.empty_import_button.setDefault(True)
        self.empty_new_button = QPushButton(icon("new"), "New dataset…", empty_buttons)
        row.addWidget(self.empty_import_button)
        row.addWidget(self.empty_new_button)
        self.empty_state.add_widget(empty_buttons)
        self.stack.addWidget(self.empty_state)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setChildrenCollapsible(False)
        side = QWidget(self.splitter)
        side.setObjectName("DatasetsPane")
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(16, 18, 8, 14)
        side_layout.setSpacing(8)
        title = QLabel("Datasets", side)
        title.setObjectName("SectionTitle")
        self.summary_label = QLabel("", side)
        self.summary_label.setObjectName("Muted")
        side_layout.addWidget(title)
        side_layout.addWidget(self.summary_label)
        self.table = QTableView(side)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(30)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        for column in (2, 3):  # shown in the tooltip and the browser's header instead
            self.table.setColumnHidden(column, True)
        side_layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        self.new_button = QPushButton("New…", side)
        self.new_button.setToolTip("Create an empty dataset")
        self.import_button = QPushButton("Import…", side)
        self.import_button.setToolTip("Import a folder of images (or drop it on the window)")
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.import_button)
        side_layout.addLayout(buttons)
        self.browser = DatasetBrowser(self.splitter)
        self.splitter.addWidget(side)
        self.splitter.addWidget(self.browser)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([220, 900])
        side.setMinimumWidth(190)
        self.stack.addWidget(self.splitter)

        for button in (self.new_button, self.empty_new_button):
            button.clicked.connect(self.new_dataset_requested)
        for button in (self.import_button, self.empty_import_button):
            button.clicked.connect(self.import_requested)
        self.table.selectionModel().selectionChanged.connect(self._dataset_chosen)
        self.browser.datasets_changed.connect(self._reload_project)

    # -------------------------------------------------------------------- window plumbing
    def bind(self, window: Any) -> AssetsWorkspace:
        """Attach to the main window (for opening items in Annotate and refreshing it)."""
        self.window_ref = window
        self.browser.window_ref = window
        return self

    def set_project(self, project: Any) -> None:
        self.project = project
        self.browser.set_project(project)

    def refresh(self) -> None:
        self.browser.refresh()

    def _reload_project(self) -> None:
        if self.window_ref is not None:
            self.window_ref.refresh_project()
        else:
            self.browser.refresh()

    # --------------------------------------------------------------------------- datasets
    def set_datasets(self, datasets: Sequence[Any], created: dict[str, str] | None = None) -> None:
        keep = self.current_dataset()
        self.table.selectionModel().blockSignals(True)
        self.model.set_datasets(datasets, created)
        self.table.selectionModel().blockSignals(False)
        total = sum(d.item_count for d in datasets)
        noun = "dataset" if len(datasets) == 1 else "datasets"
        items = "item" if total == 1 else "items"
        self.summary_label.setText(f"{len(datasets)} {noun}, {total:,} {items}")
        self.stack.setCurrentWidget(self.splitter if datasets else self.empty_state)
        names = self.model.dataset_names()
        if not names:
            self.browser.set_dataset(None)
            return
        self.show_dataset(keep if keep in names else names[0])

    def show_dataset(self, name: str) -> None:
        """Select dataset ``name`` in the list and browse its items."""
        names = self.model.dataset_names()
        if name not in names:
            return
        row = names.index(name)
        self.table.selectionModel().select(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        info = self.model.dataset(row)
        self.browser.set_dataset(name, info)

    def current_dataset(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        names = self.model.dataset_names()
        return names[rows[0].row()] if rows and rows[0].row() < len(names) else None

    def _dataset_chosen(self) -> None:
        name = self.current_dataset()
        if name is not None:
            self.browser.set_dataset(name, self.model.dataset(self.model.dataset_names().index(name)))

    def set_permissions(self, can_create: bool, can_import: bool, refusal: str) -> None:
        """Enable the buttons the signed-in member may use; say why the others are off."""
        for button in (self.new_button, self.empty_new_button):
            button.setEnabled(can_create)
            button.setToolTip("Create an empty dataset" if can_create else refusal)
        for button in (self.import_button, self.empty_import_button):
            button.setEnabled(can_import)
            button.setToolTip("Import a folder of images (or drop it on the window)" if can_import else refusal)
        self.browser.update_permissions()

    def showing_table(self) -> bool:
        """True when the datasets are listed (rather than the empty state)."""
        return self.stack.currentWidget() is self.splitter

    def refresh_icons(self) -> None:
        self.empty_state.refresh_icons()
        for button, name in ((self.empty_new_button, "new"), (self.empty_import_button, "import")):
            button.setIcon(icon(name))
        self.browser.refresh_icons()
