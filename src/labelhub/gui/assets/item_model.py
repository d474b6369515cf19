"""The items of one dataset as a Qt table model fed from arrays.

The model holds only the ordered row ids of the items that match the query (a numpy array:
8 bytes an item); the rows on screen are fetched in chunks of CHUNK as the views ask for them
and kept in a small LRU. Queries run on a worker thread: the first screenful (when the order
is by name) arrives at once, the complete id list right after, and a query overtaken by a
newer one is dropped. The grid (column 0) and the table (all columns) share this model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRunnable,
    Qt,
    QThreadPool,
    Signal,
)

from labelhub.gui.assets.item_rows import CHUNK, RowCache, make_chunk
from labelhub.project.item_filter import STATUS_TITLES, ItemQuery
from labelhub.project.item_sets import uses_sets

_Index = QModelIndex | QPersistentModelIndex
HEAD = 600

UID_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_ROLE = Qt.ItemDataRole.UserRole + 2
LABELS_ROLE = Qt.ItemDataRole.UserRole + 3
SHA_ROLE = Qt.ItemDataRole.UserRole + 4
PATH_ROLE = Qt.ItemDataRole.UserRole + 5
SPLIT_ROLE = Qt.ItemDataRole.UserRole + 6
SIZE_ROLE = Qt.ItemDataRole.UserRole + 7
#: (name, status, label count, sha256, path, split) in one call, for painting a tile.
TILE_ROLE = Qt.ItemDataRole.UserRole + 8

#: (header, sort key or None, how to show a row)
BASE_COLUMNS: list[tuple[str, str | None]] = [
    ("Name", "name"), ("Split", "split"), ("Status", "status"), ("Labels", "labels"),
    ("Annotators", "annotators"), ("Size", "size"), ("File size", "file_size"),
    ("Format", None), ("Capture time", "meta:capture_time"), ("Source", "meta:source"),
    ("Licence", "meta:licence"),
]


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


class _Bridge(QObject):
    result = Signal(int, object, bool, object, object)  # generation, ids, complete, error, first chunk


class _Query(QRunnable):
    def __init__(self, bridge: _Bridge, generation: int, project: Any, dataset: str,
                 query: ItemQuery, at_seq: int | None = None) -> None:
        super().__init__()
        self.bridge, self.generation = bridge, generation
        self.project, self.dataset, self.query, self.at_seq = project, dataset, query, at_seq

    def _send(self, ids: np.ndarray, complete: bool, error: Exception | None, first: bool) -> None:
        chunk = None
        if first and len(ids):  # the first screen comes with its rows, ready to paint
            chunk = make_chunk(self.project.item_columns(self.dataset, ids[:CHUNK], at_seq=self.at_seq),
                               ids[:CHUNK])
        self.bridge.result.emit(self.generation, ids, complete, error, chunk)

    def run(self) -> None:
        try:
            try:
                if self.at_seq is not None:  # a version's listing, read once and kept
                    self._send(self.project.item_ids(self.dataset, self.query, at_seq=self.at_seq),
                               True, None, True)
                    return
                # A first screenful is cheap in name order (the browse index, LIMIT); a filter
                # answered with id sets costs the same in full, so it is asked for once.
                if self.query.sort == "name" and not uses_sets(self.query.filter):
                    head = self.project.item_ids(self.dataset, self.query, limit=HEAD)
                    if len(head) < HEAD:
                        self._send(head, True, None, True)
                        return
                    self._send(head, False, None, True)
                    self._send(self.project.item_ids(self.dataset, self.query), True, None, False)
                else:
                    self._send(self.project.item_ids(self.dataset, self.query), True, None, True)
            except Exception as exc:  # noqa: BLE001 - reported on the GUI thread, never lost
                self.bridge.result.emit(self.generation, np.empty(0, np.int64), True, exc, None)
        except RuntimeError:  # the model is gone: nobody is waiting for the answer
            return


class ItemModel(QAbstractTableModel):
    """Row ``r`` is the item with row id ``ids[r]``; columns per BASE_COLUMNS + metadata.
    With ``at_seq`` set, the dataset as it stood right after that change (a version)."""

    loaded = Signal()  # the complete id list of the current query is in
    about_to_reset = Signal()
    failed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)  # made first, so it is destroyed (and waited for) last
        self._pool.setMaxThreadCount(1)
        self.project: Any = None
        self.dataset: str | None = None
        self.at_seq: int | None = None
        self.query = ItemQuery()
        self.ids = np.empty(0, np.int64)
        self.complete = True
        self.extra_keys: list[str] = []
        self.rows = RowCache(self)
        self.rows.arrived.connect(self._rows_arrived)
        self._generation = 0
        self._pending = 0
        self._bridge = _Bridge(self)
        self._bridge.result.connect(self._arrived, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------------------- querying
    @property
    def loading(self) -> bool:
        """A query is running (its result has not fully arrived)."""
        return self._pending > 0 or not self.complete

    def set_source(self, project: Any, dataset: str | None, at_seq: int | None = None) -> None:
        self.project, self.dataset, self.at_seq = project, dataset, at_seq
        self.run()

    def set_query(self, query: ItemQuery) -> None:
        self.query = query
        self.run()

    def run(self) -> None:
        """(Re)run the query on a worker; the views keep the old rows until it answers."""
        self._generation += 1
        if self.project is None or self.dataset is None:
            self._apply(np.empty(0, np.int64), True, None)
            return
        self._pending += 1
        self._pool.start(_Query(self._bridge, self._generation, self.project, self.dataset, self.query,
                                self.at_seq))

    def wait(self, msecs: int = 30000) -> bool:
        """Block until running queries end (tests and benchmarks)."""
        return self._pool.waitForDone(msecs)

    def _arrived(self, generation: int, ids: np.ndarray, complete: bool, error: object, first: Any) -> None:
        if complete:
            self._pending = max(0, self._pending - 1)
        if generation != self._generation:
            return
        if error is not None:
            self.failed.emit(error)
        self._apply(ids, complete, first)

    def _apply(self, ids: np.ndarray, complete: bool, first: Any) -> None:
        head = self.ids
        grows = (not self.complete and len(ids) > len(head) and len(head) > 0
                 and np.array_equal(ids[: len(head)], head))
        if grows:
            self.beginInsertRows(QModelIndex(), len(head), len(ids) - 1)
            self.ids = ids
            self.rows.extend(ids)
            self.complete = complete
            self.endInsertRows()
        else:
            self.about_to_reset.emit()
            self.beginResetModel()
            self.ids = ids
            self.complete = complete
            self.rows.reset(self.project, self.dataset, ids, first, self.at_seq)
            self.endResetModel()
        if complete:
            self.loaded.emit()

    def _rows_arrived(self, first: int, last: int) -> None:
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, self.columnCount() - 1))

    def forget_rows(self) -> None:
        """Drop fetched rows (after an edit) so they are read again."""
        self.rows.forget()
        if len(self.ids):
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.ids) - 1, self.columnCount() - 1))

    @staticmethod
    def _extra(keys: list[str]) -> list[str]:
        standard = {k[5:] for _h, k in BASE_COLUMNS if k and k.startswith("meta:")}
        extra = [k for k in keys if k not in standard and k not in ("tags", "kept")]
        return ["tags", *extra] if "tags" in keys else extra

    def would_change_columns(self, keys: list[str]) -> bool:
        return self._extra(keys) != self.extra_keys

    def set_extra_keys(self, keys: list[str]) -> None:
        """Add a column per metadata field beyond the standard ones (tags first)."""
        extra = self._extra(keys)
        if extra == self.extra_keys:
            return
        self.beginResetModel()
        self.extra_keys = extra
        self.endResetModel()

    # ---------------------------------------------------------------------------- rows
    def columns(self, row: int, *, wait: bool = False) -> tuple[Any, int] | None:
        """(the ItemColumns chunk holding ``row``, the row's offset in it), or None while it
        is being fetched (``wait``: read it now)."""
        return self.rows.get(row, wait=wait)

    def uid(self, row: int) -> str | None:
        found = self.columns(row, wait=True)
        return found[0].uids[found[1]] if found else None

    def uids(self, rows: list[int]) -> list[str]:
        """Uids of ``rows`` (fetched in chunks as needed)."""
        out = []
        for row in rows:
            uid = self.uid(row)
            if uid is not None:
                out.append(uid)
        return out

    def rows_of_ids(self, ids: np.ndarray) -> np.ndarray:
        """Rows (sorted) whose row id is in ``ids``."""
        if not len(ids) or not len(self.ids):
            return np.empty(0, np.int64)
        return np.flatnonzero(np.isin(self.ids, ids))

    # ------------------------------------------------------------------------ Qt model
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(BASE_COLUMNS) + len(self.extra_keys)

    def sort_key(self, column: int) -> str | None:
        if column < len(BASE_COLUMNS):
            return BASE_COLUMNS[column][1]
        return f"meta:{self.extra_keys[column - len(BASE_COLUMNS)]}"

    def column_of_sort(self, key: str) -> int:
        for column in range(self.columnCount()):
            if self.sort_key(column) == key:
                return column
        return -1

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if section < len(BASE_COLUMNS):
            return BASE_COLUMNS[section][0]
        return self.extra_keys[section - len(BASE_COLUMNS)]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = self.sort_key(column)
        if key is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if (key, descending) != (self.query.sort, self.query.descending):
            self.set_query(ItemQuery(self.query.filter, key, descending))

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        found = self.columns(index.row())
        if found is None:
            return "" if role == Qt.ItemDataRole.DisplayRole and index.column() == 0 else None
        c, i = found
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(c, i, column)
        if role == TILE_ROLE:
            return (c.names[i], c.statuses[i], int(c.label_counts[i]), c.sha256[i], c.paths[i], c.splits[i])
        if role == UID_ROLE:
            return c.uids[i]
        if role == STATUS_ROLE:
            return c.statuses[i]
        if role == LABELS_ROLE:
            return int(c.label_counts[i])
        if role == SHA_ROLE:
            return c.sha256[i]
        if role == PATH_ROLE:
            return c.paths[i]
        if role == SPLIT_ROLE:
            return c.splits[i]
        if role == SIZE_ROLE:
            return (int(c.widths[i]), int(c.heights[i]))
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(c, i)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (3, 6):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, c: Any, i: int, column: int) -> str:
        if column == 0:
            return c.names[i]
        if column == 1:
            return c.splits[i] or ""
        if column == 2:
            return STATUS_TITLES.get(c.statuses[i], c.statuses[i])
        if column == 3:
            return str(int(c.label_counts[i]))
        if column == 4:
            return ", ".join(c.annotators[i])
        if column == 5:
            return f"{int(c.widths[i])}×{int(c.heights[i])}"
        if column == 6:
            return human_bytes(int(c.file_sizes[i]))
        if column == 7:
            return c.formats[i].upper()
        key = self.sort_key(column)
        value = c.meta[i].get(key[5:]) if key else None
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return "" if value is None else str(value)

    def _tooltip(self, c: Any, i: int) -> str:
        state = [STATUS_TITLES.get(c.statuses[i], c.statuses[i])] if c.statuses[i] else []
        lines = [c.names[i], f"{int(c.widths[i])}×{int(c.heights[i])} {c.formats[i].upper()}, "
                             f"{human_bytes(int(c.file_sizes[i]))}",
                 " · ".join([f"Split: {c.splits[i] or 'none'}", *state, f"{int(c.label_counts[i])} labels"])]
        if c.annotators[i]:
            lines.append("Annotators: " + ", ".join(c.annotators[i]))
        for key, value in sorted(c.meta[i].items()):
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            lines.append(f"{key}: {shown[:120]}")
        return "\n".join(lines)
