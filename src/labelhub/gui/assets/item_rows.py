"""The rows a view shows, fetched in chunks on worker threads.

Painting never waits on the database: a chunk not yet here is requested and its rows paint as
placeholders for a frame. Requests are served newest first (the screen the user is looking at)
and only a few are kept waiting, so scrolling fast through a million rows never queues
thousands of reads. Code that needs a row now (the selection, opening an item) may wait for it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal

from labelhub.errors import LabelHubError

CHUNK = 200
MAX_CHUNKS = 150
MAX_WAITING = 6

Chunk = tuple[Any, list[int]]  # (ItemColumns, offset of each wanted row in it, -1 if gone)


def make_chunk(columns: Any, wanted: np.ndarray) -> Chunk:
    position = {int(i): n for n, i in enumerate(columns.ids)}
    return columns, [position.get(int(i), -1) for i in wanted]


class _Bridge(QObject):
    done = Signal(int, int, object)  # generation, chunk key, Chunk or None


class _Fetch(QRunnable):
    def __init__(self, cache: RowCache) -> None:
        super().__init__()
        self.cache = cache

    def run(self) -> None:
        while True:
            job = self.cache._take()
            if job is None:
                return
            generation, key, project, dataset, wanted, at_seq = job
            try:
                chunk: Chunk | None = make_chunk(project.item_columns(dataset, wanted, at_seq=at_seq), wanted)
            except Exception:  # noqa: BLE001 - a closed project: the rows stay placeholders
                chunk = None
            try:
                self.cache._bridge.done.emit(generation, key, chunk)
            except RuntimeError:  # the view is gone
                return


class RowCache(QObject):
    """Chunks of ItemColumns for one ordered id array; ``arrived(first, last)`` when rows land."""

    arrived = Signal(int, int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)  # made first, so it is destroyed (and waited for) last
        self._pool.setMaxThreadCount(2)
        self._bridge = _Bridge(self)
        self._bridge.done.connect(self._done, Qt.ConnectionType.QueuedConnection)
        self._lock = threading.Lock()
        self._chunks: OrderedDict[int, Chunk] = OrderedDict()
        self._waiting: OrderedDict[int, np.ndarray] = OrderedDict()
        self._flying: set[int] = set()
        self._workers = 0
        self.generation = 0
        self.project: Any = None
        self.dataset: str | None = None
        self.at_seq: int | None = None  # rows of the dataset as it stood then (a version)
        self.ids = np.empty(0, np.int64)

    def reset(self, project: Any, dataset: str | None, ids: np.ndarray, first: Chunk | None = None,
              at_seq: int | None = None) -> None:
        """A new id list: forget every chunk (``first``: chunk 0, already fetched)."""
        with self._lock:
            self.generation += 1
            self._waiting.clear()
            self._flying.clear()
            self.project, self.dataset, self.ids, self.at_seq = project, dataset, ids, at_seq
        self._chunks.clear()
        if first is not None:
            self._chunks[0] = first

    def extend(self, ids: np.ndarray) -> None:
        """The same list, longer (its head came first): chunks already here stay valid,
        except the last one, which may have been short."""
        last = (len(self.ids) - 1) // CHUNK if len(self.ids) else None
        self.ids = ids
        if last is not None and len(self.ids) % CHUNK:
            self._chunks.pop(last, None)

    def forget(self) -> None:
        """Drop every chunk (the rows changed); they are fetched again when shown."""
        with self._lock:
            self.generation += 1
            self._waiting.clear()
            self._flying.clear()
        self._chunks.clear()

    def get(self, row: int, *, wait: bool = False) -> tuple[Any, int] | None:
        """(the ItemColumns holding ``row``, its offset) if here; else None after asking for
        it, or, with ``wait``, after reading it now."""
        if not 0 <= row < len(self.ids) or self.project is None or self.dataset is None:
            return None
        key = row // CHUNK
        chunk = self._chunks.get(key)
        if chunk is None:
            if not wait:
                self._request(key)
                if key + 1 <= (len(self.ids) - 1) // CHUNK:
                    self._request(key + 1, behind=True)
                return None
            wanted = self.ids[key * CHUNK : (key + 1) * CHUNK]
            try:
                chunk = make_chunk(self.project.item_columns(self.dataset, wanted, at_seq=self.at_seq), wanted)
            except LabelHubError:
                return None
            self._store(key, chunk)
        else:
            self._chunks.move_to_end(key)
        columns, offsets = chunk
        offset = offsets[row - key * CHUNK]
        return (columns, offset) if offset >= 0 else None

    def pending(self) -> int:
        with self._lock:
            return len(self._waiting) + len(self._flying)

    def wait(self, msecs: int = 10000) -> bool:
        return self._pool.waitForDone(msecs)

    def _store(self, key: int, chunk: Chunk) -> None:
        self._chunks[key] = chunk
        while len(self._chunks) > MAX_CHUNKS:
            self._chunks.popitem(last=False)

    def _request(self, key: int, *, behind: bool = False) -> None:
        with self._lock:
            if key in self._flying or key in self._chunks:
                return
            if key not in self._waiting:
                self._waiting[key] = self.ids[key * CHUNK : (key + 1) * CHUNK].copy()
            if behind:
                self._waiting.move_to_end(key, last=False)
            else:
                self._waiting.move_to_end(key)
            while len(self._waiting) > MAX_WAITING:
                self._waiting.popitem(last=False)  # the oldest request: scrolled past
            start = self._workers < self._pool.maxThreadCount()
            if start:
                self._workers += 1
        if start:
            self._pool.start(_Fetch(self))

    def _take(self) -> tuple[int, int, Any, str, np.ndarray, int | None] | None:
        with self._lock:
            if not self._waiting or self.project is None or self.dataset is None:
                self._workers -= 1
                return None
            key, wanted = self._waiting.popitem(last=True)
            self._flying.add(key)
            return self.generation, key, self.project, self.dataset, wanted, self.at_seq

    def _done(self, generation: int, key: int, chunk: Chunk | None) -> None:
        with self._lock:
            if generation != self.generation:
                return
            self._flying.discard(key)
        if chunk is None:
            return
        self._store(key, chunk)
        first = key * CHUNK
        self.arrived.emit(first, min(len(self.ids), first + CHUNK) - 1)
