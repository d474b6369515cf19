"""The queue of items: the dataset, the annotator's items in queue order with how many shapes
each has in the label set being edited, a filter, and jumping to an item by name or number."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QInputDialog,
    QLineEdit,
    QListView,
    QVBoxLayout,
    QWidget,
)

from labelhub.project import ItemInfo

Index = QModelIndex | QPersistentModelIndex


class QueueModel(QAbstractListModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: list[ItemInfo] = []
        self.counts: dict[str, int] = {}
        self.shown: list[int] = []
        self.text = ""

    def set_items(self, items: list[ItemInfo], counts: dict[str, int]) -> None:
        self.beginResetModel()
        self.items, self.counts = items, counts
        self._refilter()
        self.endResetModel()

    def set_count(self, uid: str, count: int) -> None:
        self.counts[uid] = count
        for row, i in enumerate(self.shown):
            if self.items[i].uid == uid:
                index = self.index(row, 0)
                self.dataChanged.emit(index, index)

    def set_filter(self, text: str) -> None:
        self.beginResetModel()
        self.text = text.strip().lower()
        self._refilter()
        self.endResetModel()

    def _refilter(self) -> None:
        self.shown = [i for i, item in enumerate(self.items) if self.text in item.name.lower()]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.shown)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self.shown):
            return None
        position = self.shown[index.row()]
        item = self.items[position]
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
        for row, i in enumerate(self.shown):
            if self.items[i].uid == uid:
                return row
        return None


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
        self.list = QListView(self)
        self.list.setModel(self.model)
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
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

    def set_queue(self, items: list[ItemInfo], counts: dict[str, int]) -> None:
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

    def items(self) -> list[ItemInfo]:
        return self.model.items

    def position(self, uid: str | None) -> int | None:
        return next((i for i, item in enumerate(self.model.items) if item.uid == uid), None)

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


def find_item(items: list[ItemInfo], text: str) -> ItemInfo | None:
    """The item numbered ``text`` (1-based) in ``items``, else the first whose name holds it."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit() and 1 <= int(text) <= len(items):
        return items[int(text) - 1]
    t = text.lower()
    return next((i for i in items if i.name.lower() == t), None) or \
        next((i for i in items if t in i.name.lower()), None)
