"""The shapes list: every shape of the item (all layers), filterable, in sync with the canvas'
selection. It reads the canvas' arrays directly, so it stays quick with 100,000 shapes."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from labelhub.geometry import SHAPE_KINDS
from labelhub.gui.canvas import CanvasWidget

HEADERS = ("#", "Class", "Shape", "State")
Index = QModelIndex | QPersistentModelIndex


class ShapesModel(QAbstractTableModel):
    """Rows are canvas rows (topmost first) that pass the filter."""

    def __init__(self, canvas: CanvasWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.rows = np.zeros(0, dtype=np.int64)
        self.flagged: set[str] = set()
        self.layer_titles: dict[str, str] = {}
        self.text = ""
        self.problems_only = False

    def rebuild(self) -> None:
        store = self.canvas.store
        self.beginResetModel()
        with store.lock:
            n = store.n
            rows = np.flatnonzero(store.alive[:n])
            if self.text:
                t = self.text.lower()
                names = [i for i, name in enumerate(store.label_names) if t in name.lower()]
                kinds = [i for i, k in enumerate(SHAPE_KINDS) if t in k.replace("_", " ")]
                keep = np.isin(store.label[rows], names) | np.isin(store.kinds[rows], kinds)
                rows = rows[keep]
            if self.problems_only:
                rows = np.array([r for r in rows.tolist() if store.uids[r] in self.flagged], dtype=np.int64)
            rows = rows[np.argsort(-store.z[rows], kind="stable")]
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else int(self.rows.size)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def uid_at(self, row: int) -> str:
        return self.canvas.store.uids[int(self.rows[row])]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= self.rows.size:
            return None
        store = self.canvas.store
        r = int(self.rows[index.row()])
        if r >= store.n:
            return None
        col = index.column()
        uid = store.uids[r]
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return str(index.row() + 1)
            if col == 1:
                return store.labels[r]
            if col == 2:
                return SHAPE_KINDS[int(store.kinds[r])].replace("_", " ")
            states = []
            if uid in self.flagged:
                states.append("needs attributes")
            if store.hidden[r]:
                states.append("hidden")
            if store.locked[r]:
                states.append("locked")
            layer = store.layers[int(store.layer[r])].name
            if layer in self.layer_titles:
                states.append(self.layer_titles[layer])
            return ", ".join(states)
        if role == Qt.ItemDataRole.DecorationRole and col == 1:
            return QColor.fromRgb(int(store.label_argb[store.label[r]]) & 0xFFFFFF)
        if role == Qt.ItemDataRole.ForegroundRole and col == 3 and uid in self.flagged:
            return QColor("#d64541")
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{store.labels[r]} {SHAPE_KINDS[int(store.kinds[r])].replace('_', ' ')}"
        return None

    def positions(self, uids: list[str]) -> list[int]:
        store = self.canvas.store
        wanted = np.array([store.row_of[u] for u in uids if u in store.row_of], dtype=np.int64)
        if not wanted.size or not self.rows.size:
            return []
        return np.flatnonzero(np.isin(self.rows, wanted)).tolist()


class ShapesPanel(QWidget):
    """Filter, list and pick the item's shapes."""

    picked = Signal(list)  # uids chosen in the list

    def __init__(self, canvas: CanvasWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.model = ShapesModel(canvas, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter by class or shape")
        self.filter.setClearButtonEnabled(True)
        self.problems = QCheckBox("Needs attributes", self)
        self.problems.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        row.addWidget(self.filter, 1)
        row.addWidget(self.problems)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setShowGrid(False)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(60)
        self._timer.timeout.connect(self.refresh)
        self._syncing = False
        self.filter.textChanged.connect(self._filter_changed)
        self.problems.toggled.connect(self._filter_changed)
        self.table.selectionModel().selectionChanged.connect(self._table_selection)
        canvas.store.listeners.append(self._store_changed)
        canvas.selectionChanged.connect(self.show_selection)

    def _store_changed(self, _rects: object) -> None:
        self._timer.start()

    def _filter_changed(self, *_args: object) -> None:
        self.model.text = self.filter.text().strip()
        self.model.problems_only = self.problems.isChecked()
        self.refresh()

    def set_flagged(self, flagged: set[str]) -> None:
        self.model.flagged = flagged
        self._timer.start()

    def refresh(self) -> None:
        self._timer.stop()
        self._syncing = True
        try:
            self.model.rebuild()
        finally:
            self._syncing = False
        self.show_selection(self.canvas.selected_uids())

    def show_selection(self, uids: list[str]) -> None:
        if self._timer.isActive():
            return  # the rebuild on its way shows it
        self._syncing = True
        try:
            selection = QItemSelection()
            last = self.model.columnCount() - 1
            positions = self.model.positions(uids) if len(uids) <= 5000 else []
            for pos in positions:
                selection.select(self.model.index(pos, 0), self.model.index(pos, last))
            self.table.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            if positions:
                self.table.scrollTo(self.model.index(positions[0], 0))
        finally:
            self._syncing = False

    def _table_selection(self, *_args: object) -> None:
        if self._syncing:
            return
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        self.picked.emit([self.model.uid_at(r) for r in rows])

    def row_uids(self) -> list[str]:
        return [self.model.uid_at(r) for r in range(self.model.rowCount())]

    def on_rows(self, action: Callable[[list[str]], None]) -> None:
        action(self.row_uids())
