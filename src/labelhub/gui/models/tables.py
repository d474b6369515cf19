"""Small table helpers for the Models workspace: read-only QTableWidgets filled from rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

UP, DOWN = QColor("#16a34a"), QColor("#dc2626")


def fmt(value: Any, digits: int = 3) -> str:
    """Numbers as a table shows them: -1 (absent class) as "n/a", None as "–"."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "n/a" if value < 0 else f"{value:.{digits}f}"
    return str(value)


def fmt_delta(value: float | None) -> str:
    return "–" if value is None else f"{value:+.3f}"


def make_table(headers: Sequence[str], parent: QWidget | None = None, *, stretch: int | None = 0) -> QTableWidget:
    """A read-only table; column ``stretch`` takes the spare width (None: every column fits its
    content, and the table scrolls sideways when it must)."""
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    else:
        header.setStretchLastSection(False)
    table.setWordWrap(False)
    return table


def fill(table: QTableWidget, rows: Sequence[Sequence[Any]], *, data: Sequence[Any] | None = None,
         deltas: Sequence[int] = ()) -> None:
    """Replace the rows; numbers right-aligned; ``deltas`` columns coloured by sign;
    ``data[r]`` kept in the first cell's UserRole. The selected row is kept when it still exists."""
    keep = table.currentRow()
    table.setSortingEnabled(False)
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            text = fmt_delta(value) if c in deltas else fmt(value)
            cell = QTableWidgetItem(text)
            if isinstance(value, int | float) and not isinstance(value, bool):
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                cell.setData(Qt.ItemDataRole.UserRole + 1, value)
            if c in deltas and value is not None and abs(value) > 1e-12:
                cell.setForeground(UP if value > 0 else DOWN)
            if c == 0 and data is not None:
                cell.setData(Qt.ItemDataRole.UserRole, data[r])
            table.setItem(r, c, cell)
    if 0 <= keep < len(rows):
        table.selectRow(keep)


def row_data(table: QTableWidget, row: int | None = None) -> Any:
    row = table.currentRow() if row is None else row
    cell = table.item(row, 0) if row >= 0 else None
    return None if cell is None else cell.data(Qt.ItemDataRole.UserRole)
