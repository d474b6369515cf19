"""The Assets workspace: the project's datasets in a table, and the ways to bring images in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from labelhub.gui.icons import icon
from labelhub.gui.widgets import EmptyState
from labelhub.gui.workspaces import WORKSPACES

_Index = QModelIndex | QPersistentModelIndex


class DatasetTableModel(QAbstractTableModel):
    """Rows of DatasetInfo: name, items, description, created."""

    HEADERS = ("Name", "Items", "Description", "Created")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []
        self._created: dict[str, str] = {}

    def set_datasets(self, datasets: Sequence[Any], created: dict[str, str] | None = None) -> None:
        self.beginResetModel()
        self._rows = list(datasets)
        self._created = dict(created or {})
        self.endResetModel()

    def dataset_names(self) -> list[str]:
        return [row.name for row in self._rows]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if section == 1 else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return row.name
            if column == 1:
                return f"{row.item_count:,}"
            if column == 2:
                return (row.description or "").replace("\n", " ")
            if column == 3:
                return self._created.get(row.uid, f"change #{row.created_seq}")
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column == 2:
            return row.description or None
        return None


class AssetsWorkspace(QWidget):
    """The datasets table with New dataset… and Import images…, or an empty state."""

    new_dataset_requested = Signal()
    import_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        info = WORKSPACES[0]
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

        page = QWidget(self)
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(28, 24, 28, 24)
        page_layout.setSpacing(14)
        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        title = QLabel("Datasets", page)
        title.setObjectName("PageTitle")
        self.summary_label = QLabel("", page)
        self.summary_label.setObjectName("Muted")
        titles.addWidget(title)
        titles.addWidget(self.summary_label)
        header.addLayout(titles)
        header.addStretch(1)
        self.new_button = QPushButton(icon("new"), "New dataset…", page)
        self.import_button = QPushButton(icon("import"), "Import images…", page)
        self.import_button.setDefault(True)
        header.addWidget(self.new_button)
        header.addWidget(self.import_button)
        page_layout.addLayout(header)

        self.table = QTableView(page)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(32)
        header_view = self.table.horizontalHeader()
        header_view.setHighlightSections(False)
        header_view.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header_view.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header_view.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header_view.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header_view.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setColumnWidth(0, 200)
        page_layout.addWidget(self.table, 1)
        hint = QLabel("Tip: drop a folder of images on this window to import it.", page)
        hint.setObjectName("Muted")
        page_layout.addWidget(hint)
        self.stack.addWidget(page)
        self._table_page = page

        for button in (self.new_button, self.empty_new_button):
            button.clicked.connect(self.new_dataset_requested)
        for button in (self.import_button, self.empty_import_button):
            button.clicked.connect(self.import_requested)

    def set_datasets(self, datasets: Sequence[Any], created: dict[str, str] | None = None) -> None:
        self.model.set_datasets(datasets, created)
        total = sum(d.item_count for d in datasets)
        noun = "dataset" if len(datasets) == 1 else "datasets"
        items = "item" if total == 1 else "items"
        self.summary_label.setText(f"{len(datasets)} {noun}, {total:,} {items}")
        self.stack.setCurrentWidget(self._table_page if datasets else self.empty_state)

    def set_permissions(self, can_create: bool, can_import: bool, refusal: str) -> None:
        """Enable the buttons the signed-in member may use; say why the others are off."""
        for button in (self.new_button, self.empty_new_button):
            button.setEnabled(can_create)
            button.setToolTip("" if can_create else refusal)
        for button in (self.import_button, self.empty_import_button):
            button.setEnabled(can_import)
            button.setToolTip("" if can_import else refusal)

    def showing_table(self) -> bool:
        return self.stack.currentWidget() is self._table_page

    def refresh_icons(self) -> None:
        self.empty_state.refresh_icons()
        for button, name in ((self.new_button, "new"), (self.import_button, "import"),
                             (self.empty_new_button, "new"),
                             (self.empty_import_button, "import")):
            button.setIcon(icon(name))
