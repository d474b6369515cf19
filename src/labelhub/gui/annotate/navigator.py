"""The queue of items: the dataset, the annotator's items in queue order with how many shapes
each has in the label set being edited, a filter, and jumping to an item by name or number.

The queue is a sequence of items, normally a ``LazyQueue`` (row ids, items read a page at a
time), so a queue of a million items costs an id array and the rows on screen."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QInputDialog,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from labelhub.gui.annotate.queue import LazyQueue, index_in, positions_named
from labelhub.project import ItemInfo

Index = QModelIndex | QPersistentModelIndex


class QueueModel(QAbstractListModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: Sequence[ItemInfo] = []
        self.counts: dict[str, int] = {}
        self.shown: np.ndarray | None = None  # positions of the rows the filter keeps; None: all
        self.text = ""

    def set_items(self, items: Sequence[ItemInfo], counts: dict[str, int]) -> None:
        self.beginResetModel()
        self.items, self.counts = items, counts
        self._refilter()
        self.endResetModel()

    def set_count(self, uid: str, count: int) -> None:
        self.counts[uid] = count
        row = self.row_of(uid)
        if row is not None:
            index = self.index(row, 0)
            self.dataChanged.emit(index, index)

    def set_filter(self, text: str) -> None:
        self.beginResetModel()
        self.text = text.strip().lower()
        self._refilter()
        self.endResetModel()

    def _refilter(self) -> None:
        self.shown = positions_named(self.items, self.text) if self.text else None

    def position_of_row(self, row: int) -> int:
        return row if self.shown is None else int(self.shown[row])

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        if parent.isValid():
            return 0
        return len(self.items) if self.shown is None else len(self.shown)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= self.rowCount():
            return None
        position = self.position_of_row(index.row())
        try:
            item = self.items[position]
        except LookupError:  # a row gone from the file: nothing to show
            return None
        count = self.counts.get(item.uid, 0)
        if role == Qt.ItemDataRole.DisplayRole:
            mark = f"{count} shape{'s' if count != 1 else ''}" if count else "unlabelled"
            return f"{position + 1}. {item.name}   ·  {mark}"
        if role == Qt.ItemDataRole.ForegroundRole and not count:
            return QColor("#8a8a8a")
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{item.name}\n{item.width} × {item.height}"
        if role == Qt.ItemDataRole.UserRole:
            return item.uid
        return None

    def row_of(self, uid: str) -> int | None:
        position = index_in(self.items, uid)
        if position is None or self.shown is None:
            return position
        row = int(np.searchsorted(self.shown, position))
        return row if row < len(self.shown) and int(self.shown[row]) == position else None


class Navigator(QWidget):
    """Dataset chooser, filter and queue list."""

    dataset_chosen = Signal(str)
    item_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.datasets = QComboBox(self)
        self.datasets.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter images")
        self.filter.setClearButtonEnabled(True)
        self.model = QueueModel(self)
        # A one-column table rather than a QListView: a list view lays out every row (asking
        # the model about each, seconds for a million), a table's rows all have one height.
        self.list = QTableView(self)
        self.list.setModel(self.model)
        self.list.horizontalHeader().hide()
        self.list.horizontalHeader().setStretchLastSection(True)
        rows = self.list.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.list.setShowGrid(False)
        self.list.setWordWrap(False)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout.addWidget(self.datasets)
        layout.addWidget(self.filter)
        layout.addWidget(self.list, 1)
        self.current: str | None = None
        self.datasets.activated.connect(lambda _i: self.dataset_chosen.emit(self.datasets.currentText()))
        self.filter.textChanged.connect(self._filter)
        self.list.clicked.connect(lambda index: self.item_chosen.emit(index.data(Qt.ItemDataRole.UserRole)))

    def set_datasets(self, names: list[str], current: str | None) -> None:
        self.datasets.blockSignals(True)
        self.datasets.clear()
        self.datasets.addItems(names)
        if current in names:
            self.datasets.setCurrentText(current)
        self.datasets.blockSignals(False)

    def set_queue(self, items: Sequence[ItemInfo], counts: dict[str, int]) -> None:
        self.model.set_items(items, counts)
        self.show_current(self.current)

    def _filter(self, text: str) -> None:
        self.model.set_filter(text)
        self.show_current(self.current)

    def show_current(self, uid: str | None) -> None:
        self.current = uid
        row = self.model.row_of(uid) if uid else None
        if row is None:
            self.list.clearSelection()
            return
        index = self.model.index(row, 0)
        self.list.setCurrentIndex(index)
        self.list.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)

    def items(self) -> Sequence[ItemInfo]:
        return self.model.items

    def position(self, uid: str | None) -> int | None:
        return index_in(self.model.items, uid)

    def find(self, uid: str) -> ItemInfo | None:
        """Item ``uid`` if it is in the queue."""
        position = self.position(uid)
        return self.model.items[position] if position is not None else None

    def neighbour(self, uid: str | None, step: int) -> ItemInfo | None:
        """The item ``step`` places from ``uid`` in the queue (no wrapping)."""
        items = self.model.items
        if not items:
            return None
        pos = self.position(uid)
        target = 0 if pos is None else pos + step
        return items[target] if 0 <= target < len(items) else None

    def ask_jump(self) -> ItemInfo | None:
        """Ask for an image by its number in the queue or (part of) its name."""
        items = self.model.items
        if not items:
            return None
        text, ok = QInputDialog.getText(self, "Jump to image",
                                        f"Number (1 to {len(items)}) or part of the name:")
        return find_item(items, text) if ok else None


def find_item(items: Sequence[ItemInfo], text: str) -> ItemInfo | None:
    """The item numbered ``text`` (1-based) in ``items``, else the first whose name holds it."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit() and 1 <= int(text) <= len(items):
        return items[int(text) - 1]
    t = text.lower()
    if isinstance(items, LazyQueue):  # ask the project rather than read every name
        named = [items[int(p)] for p in items.positions_named(text)[:1000]]  # an exact name first
        return next((i for i in named if i.name.lower() == t), None) or (named[0] if named else None)
    return next((i for i in items if i.name.lower() == t), None) or \
        next((i for i in items if t in i.name.lower()), None)
