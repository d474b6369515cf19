"""Qt table models of the Versions workspace: versions, a version's items and class counts,
and the changes between two versions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPalette
from PySide6.QtWidgets import QAbstractItemView, QApplication, QHeaderView, QTableView, QWidget

_Index = QModelIndex | QPersistentModelIndex
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
#: The colours of a diff: added green, removed red, changed amber.
CHANGE_COLOURS = {"added": "#2e9d4f", "removed": "#d64545", "changed": "#c98a12", "moved": "#2f6fde"}


def when(time: str) -> str:
    """A change-log time in local time, to the minute."""
    try:
        return datetime.fromisoformat(time).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return time or ""


def split_name(split: str | None) -> str:
    return split if split else "no split"


class _Table(QAbstractTableModel):
    HEADERS: tuple[str, ...] = ()
    NUMERIC: frozenset[int] = frozenset()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row(self, index: int) -> Any:
        return self._rows[index] if 0 <= index < len(self._rows) else None

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
            return _RIGHT if section in self.NUMERIC else int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row(index.row()) if index.isValid() else None
        if row is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(row, index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self.NUMERIC:
            return _RIGHT
        return self.extra(row, index.column(), role)

    def text(self, row: Any, column: int) -> str:
        """The cell's text; each model says it."""
        return ""

    def extra(self, row: Any, column: int, role: int) -> Any:
        return None


class VersionTableModel(_Table):
    """The dataset's versions, newest first."""

    HEADERS = ("Version", "Message", "Annotations")
    NUMERIC = frozenset({2})

    def set_versions(self, versions: Sequence[Any]) -> None:
        self.set_rows(list(reversed(versions)))

    def text(self, row: Any, column: int) -> str:
        s = row.stats
        if column == 0:
            return row.label + ("  · deprecated" if row.deprecated else "")
        if column == 1:
            return row.message.replace("\n", " ")
        return f"{s.get('annotations', 0):,}"

    def extra(self, row: Any, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and row.deprecated:
            return QApplication.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        if role == Qt.ItemDataRole.FontRole and column == 0:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = (f"{row.label}: {row.message}\ncommitted {when(row.time)} by {row.author or '?'}"
                   f"\nmanifest {row.manifest_hash}")
            if row.deprecated:
                tip += f"\nDeprecated: {row.deprecated_reason}"
            return tip
        return None


class ItemsModel(_Table):
    """A version's items, read-only."""

    HEADERS = ("Item", "Split", "Size")

    def text(self, row: Any, column: int) -> str:
        if column == 0:
            return row.name
        if column == 1:
            return split_name(row.split)
        return f"{row.width} × {row.height}"


class ClassCountsModel(_Table):
    """Annotations per label class: in all, and per split."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.splits: list[str] = []

    def set_stats(self, stats: dict[str, Any]) -> None:
        self.splits = list(stats.get("splits", {}))
        self.HEADERS = ("Label class", "Annotations", *(split_name(s) for s in self.splits))
        self.NUMERIC = frozenset(range(1, len(self.HEADERS)))
        self.set_rows(stats.get("per_class", []))

    def text(self, row: Any, column: int) -> str:
        if column == 0:
            return row["name"] or "(no class)"
        if column == 1:
            return f"{row['annotations']:,}"
        return f"{row['by_split'].get(self.splits[column - 2], 0):,}"

    def extra(self, row: Any, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column == 1 and row["by_kind"]:
            return ", ".join(f"{k.replace('_', ' ')}: {n:,}" for k, n in row["by_kind"].items())
        return None


class CountsDiffModel(_Table):
    """Annotations per class in the two versions compared."""

    HEADERS = ("Label class", "Before", "After", "Change")
    NUMERIC = frozenset({1, 2, 3})

    def text(self, row: Any, column: int) -> str:
        if column == 0:
            return row.name
        if column == 1:
            return f"{row.before:,}"
        if column == 2:
            return f"{row.after:,}"
        return f"{row.after - row.before:+,}" if row.after != row.before else "="

    def extra(self, row: Any, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and column == 3 and row.after != row.before:
            return QBrush(QColor(CHANGE_COLOURS["added" if row.after > row.before else "removed"]))
        return None


def describe_attributes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    before, after = before or {}, after or {}
    parts = []
    for key in sorted(before.keys() | after.keys()):
        if before.get(key) != after.get(key):
            parts.append(f"{key}: {before.get(key, '—')} → {after.get(key, '—')}")
    return "; ".join(parts)


def describe_geometry(geometry: dict[str, Any] | None) -> str:
    if not geometry:
        return ""
    kind = geometry.get("kind", "")
    if kind == "box":
        return f"box at {geometry['x']:g}, {geometry['y']:g}, {geometry['w']:g} × {geometry['h']:g}"
    if "points" in geometry:
        return f"{kind.replace('_', ' ')} of {len(geometry['points'])} points"
    if kind == "rotated_box":
        return (f"rotated box at {geometry['cx']:g}, {geometry['cy']:g}, {geometry['w']:g} × "
                f"{geometry['h']:g}, {geometry['angle']:g}°")
    return kind.replace("_", " ")


def describe_geometry_change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """What changed in a shape, briefly: the numbers that moved, or the shapes before and after."""
    before, after = before or {}, after or {}
    if before.get("kind") == after.get("kind") and before.get("kind") in ("box", "rotated_box"):
        moved = [f"{k} {before[k]:g} → {after[k]:g}" for k in after
                 if k != "kind" and before.get(k) != after.get(k)]
        return f"{before['kind'].replace('_', ' ')}: " + ", ".join(moved)
    if before.get("kind") == after.get("kind") and "points" in after:
        return f"{after['kind']} reshaped ({len(before.get('points', []))} → {len(after['points'])} points)"
    return f"{describe_geometry(before)} → {describe_geometry(after)}"


class DiffRow:
    """One line of the diff table, from an item, annotation or class change."""

    __slots__ = ("what", "change", "item", "label", "detail", "source")

    def __init__(self, what: str, change: str, item: str, label: str, detail: str, source: Any) -> None:
        self.what, self.change, self.item, self.label, self.detail, self.source = (
            what, change, item, label, detail, source)


def diff_rows(diff: Any) -> list[DiffRow]:
    rows: list[DiffRow] = []
    for c in diff.classes:
        detail = (f"was “{c.name_before}”; " if c.name_before and c.name_before != c.name else "") + \
            ", ".join(c.fields)
        rows.append(DiffRow("Label class", c.change, "", c.name, detail.strip("; "), c))
    for i in diff.items:
        if i.change == "moved":
            detail = f"{split_name(i.split_before)} → {split_name(i.split_after)}"
        elif i.change == "added":
            detail = f"into {split_name(i.split_after)}"
        elif i.change == "removed":
            detail = f"from {split_name(i.split_before)}"
        else:
            detail = ", ".join(i.fields) + (f" (was {i.name_before})" if i.name_before else "")
        rows.append(DiffRow("Item", i.change, i.name, "", detail, i))
    for a in diff.annotations:
        if a.change == "added":
            detail = describe_geometry(a.geometry_after)
        elif a.change == "removed":
            detail = describe_geometry(a.geometry_before)
        else:
            bits = []
            if "geometry" in a.fields:
                bits.append(describe_geometry_change(a.geometry_before, a.geometry_after))
            if "class" in a.fields:
                bits.append(f"class {a.label_before} → {a.label_after}")
            if "attributes" in a.fields:
                bits.append(describe_attributes(a.attributes_before, a.attributes_after))
            detail = "; ".join(bits)
        label = a.label or "(no class)"
        rows.append(DiffRow("Annotation", a.change, a.item_name, label, detail, a))
    return rows


class DiffModel(_Table):
    """Every change between two versions: label classes, items, annotations."""

    HEADERS = ("Change", "What", "Item", "Label class", "Details")

    def text(self, row: DiffRow, column: int) -> str:
        return (row.change, row.what, row.item, row.label, row.detail)[column]

    def extra(self, row: DiffRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and column == 0:
            return QBrush(QColor(CHANGE_COLOURS.get(row.change, CHANGE_COLOURS["changed"])))
        if role == Qt.ItemDataRole.FontRole and column == 0:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and column == 4:
            return row.detail or None
        return None


def make_table(parent: QWidget, model: Any, stretch: int | None = None) -> QTableView:
    table = QTableView(parent)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(28)
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    else:
        header.setStretchLastSection(True)
    return table


def stretch_first(table: QTableView) -> None:
    """After a model changed its columns: the first column takes the room, the rest fit."""
    header = table.horizontalHeader()
    for column in range(table.model().columnCount()):
        mode = QHeaderView.ResizeMode.Stretch if column == 0 else QHeaderView.ResizeMode.ResizeToContents
        header.setSectionResizeMode(column, mode)
