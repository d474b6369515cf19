"""The review queue: items ready for review with their agreement, sortable (worst agreement
first by default, or by class or annotator) and filtered by class or annotator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

_Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
UID_ROLE = Qt.ItemDataRole.UserRole + 2
ANY = "(any)"


def agreement_color(value: float | None) -> QColor | None:
    """Red for poor agreement through amber to green for full agreement."""
    if value is None:
        return None
    value = min(max(value, 0.0), 1.0)
    hue = int(120 * value)  # 0 red .. 120 green
    return QColor.fromHsv(hue, 150, 225)


class ReviewQueueModel(QAbstractTableModel):
    HEADERS = ("Item", "F1", "Issues", "Notes", "Annotators", "Classes")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[Any] = []
        self.sorting: tuple[int, Qt.SortOrder] | None = None

    def set_entries(self, entries: Sequence[Any]) -> None:
        self.beginResetModel()
        self.entries = self._sorted(list(entries))
        self.endResetModel()

    def _sorted(self, entries: list[Any]) -> list[Any]:
        if self.sorting is None:
            return entries
        column, order = self.sorting
        return sorted(entries, key=lambda e: (_sort_value(e, column), e.item_name),
                      reverse=order == Qt.SortOrder.DescendingOrder)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the entries themselves, by a key per entry (ties in item order): comparing rows
        pair by pair through Qt took half a minute for 25,000 items."""
        self.sorting = (column, order)
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        rows = {id(e): r for r, e in enumerate(self.entries)}
        old_entries = self.entries
        self.entries = self._sorted(old_entries)
        moved = {rows[id(e)]: r for r, e in enumerate(self.entries)}
        self.changePersistentIndexList(before, [self.index(moved[i.row()], i.column()) for i in before])
        self.layoutChanged.emit()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        e = self.entries[index.row()]
        col = index.column()
        if role == UID_ROLE:
            return e.item_uid
        if role == Qt.ItemDataRole.DisplayRole:
            return (e.item_name, "—" if e.f1 is None else f"{e.f1:.2f}", _issues(e),
                    str(e.open_comments or ""), ", ".join(e.raters), ", ".join(e.classes))[col]
        if role == SORT_ROLE:
            return _sort_value(e, col)
        if role == Qt.ItemDataRole.BackgroundRole and col == 1:
            return agreement_color(e.f1)
        if role == Qt.ItemDataRole.ForegroundRole and col == 1 and e.f1 is not None:
            return QColor("#1c1c1e")
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (1, 3):
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"{e.item_name}: F1 {'—' if e.f1 is None else f'{e.f1:.3f}'} between "
                    f"{', '.join(e.raters)}; {e.disagreements} class disagreements, "
                    f"{e.missed} shapes without a partner; classes: {', '.join(e.classes) or 'none'}"
                    + (f"; {e.open_comments} open comments" if e.open_comments else ""))
        return None


def _sort_value(e: Any, column: int) -> Any:
    if column == 0:
        return e.item_name
    if column == 1:
        return 2.0 if e.f1 is None else e.f1
    if column == 2:
        return e.disagreements + e.missed
    if column == 3:
        return e.open_comments
    return ", ".join(e.raters) if column == 4 else ", ".join(e.classes)


def _issues(e: Any) -> str:
    parts = []
    if e.disagreements:
        parts.append(f"{e.disagreements} class")
    if e.missed:
        parts.append(f"{e.missed} missed")
    return ", ".join(parts) or "—"


class _Filter(QSortFilterProxyModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = ""
        self.annotator = ""
        self.setSortRole(SORT_ROLE)

    def filterAcceptsRow(self, row: int, parent: _Index) -> bool:  # noqa: N802
        e = self.sourceModel().entries[row]  # type: ignore[attr-defined]
        return ((not self.label or self.label in e.classes)
                and (not self.annotator or self.annotator in e.raters))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """The source model sorts its entries; rows here keep its order (filtered)."""
        self.sourceModel().sort(column, order)


class ReviewQueuePanel(QWidget):
    """The queue; emits ``item_chosen(uid)`` when the reviewer picks an item."""

    item_chosen = Signal(str)
    SORTS = (("Agreement, worst first", 1, Qt.SortOrder.AscendingOrder), ("Item", 0, Qt.SortOrder.AscendingOrder),
             ("Class", 5, Qt.SortOrder.AscendingOrder), ("Annotator", 4, Qt.SortOrder.AscendingOrder))

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ReviewQueueModel(self)
        self.proxy = _Filter(self)
        self.proxy.setSourceModel(self.model)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Ready for review", self)
        self.title.setObjectName("Headline")
        layout.addWidget(self.title)
        row = QHBoxLayout()
        self.sort = QComboBox(self)
        for text, _col, _order in self.SORTS:
            self.sort.addItem(text)
        self.sort.currentIndexChanged.connect(self._sort)
        row.addWidget(QLabel("Sort", self))
        row.addWidget(self.sort, 1)
        layout.addLayout(row)
        row = QHBoxLayout()
        self.label_filter = QComboBox(self)
        self.annotator_filter = QComboBox(self)
        for combo in (self.label_filter, self.annotator_filter):
            combo.addItem(ANY)
            combo.currentIndexChanged.connect(self._filter)
        row.addWidget(QLabel("Class", self))
        row.addWidget(self.label_filter, 1)
        row.addWidget(QLabel("Annotator", self))
        row.addWidget(self.annotator_filter, 1)
        layout.addLayout(row)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        self.table.selectionModel().currentRowChanged.connect(self._picked)
        layout.addWidget(self.table, 1)
        self.note = QLabel(self)
        self.note.setObjectName("Muted")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self._sort()

    def set_entries(self, entries: Sequence[Any], keep: str | None = None) -> None:
        self.model.set_entries(entries)
        for combo, values in ((self.label_filter, sorted({c for e in entries for c in e.classes})),
                              (self.annotator_filter, sorted({r for e in entries for r in e.raters}))):
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(ANY)
            combo.addItems(values)
            combo.setCurrentText(current if current in values else ANY)
            combo.blockSignals(False)
        self._filter()
        self.title.setText(f"Ready for review ({len(entries)})")
        self.note.setText("" if entries else "Nothing is waiting for review. Items come here once "
                          "everyone assigned to them has submitted.")
        if keep is not None:
            self.select(keep)

    def uids(self) -> list[str]:
        """The items as shown, top to bottom."""
        return [self.proxy.index(r, 0).data(UID_ROLE) for r in range(self.proxy.rowCount())]

    def select(self, uid: str) -> bool:
        for r in range(self.proxy.rowCount()):
            if self.proxy.index(r, 0).data(UID_ROLE) == uid:
                self.table.selectRow(r)
                return True
        return False

    def current_uid(self) -> str | None:
        index = self.table.currentIndex()
        return index.siblingAtColumn(0).data(UID_ROLE) if index.isValid() else None

    def _sort(self) -> None:
        _text, col, order = self.SORTS[self.sort.currentIndex()]
        self.table.sortByColumn(col, order)

    def _filter(self) -> None:
        self.proxy.beginFilterChange()
        self.proxy.label = "" if self.label_filter.currentText() == ANY else self.label_filter.currentText()
        self.proxy.annotator = "" if self.annotator_filter.currentText() == ANY else self.annotator_filter.currentText()
        self.proxy.endFilterChange()

    def _picked(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.item_chosen.emit(str(current.siblingAtColumn(0).data(UID_ROLE)))
