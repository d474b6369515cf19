"""The project's datasets as a table model: name, items, description, created."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QWidget

_Index = QModelIndex | QPersistentModelIndex


def created_times(project: Any, datasets: list[Any]) -> dict[str, str]:
    """When each dataset was created, in local time, from the change that created it."""
    times: dict[str, str] = {}
    for dataset in datasets:
        changes = project.changes(limit=1, before=dataset.created_seq + 1)
        if changes and changes[0].seq == dataset.created_seq:
            try:
                moment = datetime.fromisoformat(changes[0].time).astimezone()
            except (TypeError, ValueError):
                continue
            times[dataset.uid] = moment.strftime("%Y-%m-%d %H:%M")
    return times


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

    def dataset(self, row: int) -> Any:
        return self._rows[row]

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
        if role == Qt.ItemDataRole.ToolTipRole:
            created = self._created.get(row.uid, f"change #{row.created_seq}")
            lines = [row.name, f"{row.item_count:,} items, created {created}"]
            if row.description:
                lines.append(row.description)
            return "\n".join(lines)
        return None
