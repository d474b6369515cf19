"""An annotator's queue as a lazy sequence: the row ids of its items in queue order (8 bytes an
item), each item read with the page around it when it is first asked for.

A queue may be every item of a dataset of a million images; reading them all as objects took
more than a minute and gigabytes. Here the list shows the rows on screen, going to the next
item reads at most one page, and finding an item or filtering by name asks the project.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any, overload

import numpy as np

from labelhub.project import ItemFilter, ItemInfo, ItemQuery

PAGE = 200
MAX_PAGES = 64


class LazyQueue(Sequence[ItemInfo]):
    """The items with row ids ``ids`` of ``dataset``, in that order."""

    def __init__(self, project: Any, dataset: str, ids: np.ndarray) -> None:
        self.project, self.dataset = project, dataset
        self.ids = np.asarray(ids, np.int64)
        self._pages: OrderedDict[int, list[ItemInfo | None]] = OrderedDict()

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, index: int) -> ItemInfo: ...

    @overload
    def __getitem__(self, index: slice) -> list[ItemInfo]: ...

    def __getitem__(self, index: int | slice) -> ItemInfo | list[ItemInfo]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError(index)
        item = self._page(position // PAGE)[position % PAGE]
        if item is None:
            raise LookupError(f"item row {int(self.ids[position])} is no longer in {self.dataset}")
        return item

    def __iter__(self) -> Iterator[ItemInfo]:
        for position in range(len(self)):
            yield self[position]

    def _page(self, number: int) -> list[ItemInfo | None]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        wanted = self.ids[number * PAGE : (number + 1) * PAGE]
        infos: list[ItemInfo | None] = list(self._read(wanted))
        if len(infos) != len(wanted):  # a row gone from the file behind LabelHub's back
            infos = [next(iter(self._read(np.asarray([i], np.int64))), None) for i in wanted]
        self._pages[number] = infos
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        return infos

    def _read(self, ids: np.ndarray) -> list[ItemInfo]:
        """The items with row ids ``ids``, in that order (rows not found left out)."""
        return self.project.item_infos(self.dataset, ids)

    def _ids_of(self, uid: str) -> np.ndarray:
        return self.project.ids_of_uids(self.dataset, [uid])

    def _named(self, text: str) -> np.ndarray:
        return self.project.item_ids(self.dataset, ItemQuery(ItemFilter(text=text)))

    def index_of(self, uid: str | None) -> int | None:
        """The position of item ``uid`` in the queue, None if it is not in it."""
        if uid is None:
            return None
        for number, page in self._pages.items():
            for offset, item in enumerate(page):
                if item is not None and item.uid == uid:
                    return number * PAGE + offset
        ids = self._ids_of(uid)
        if not len(ids):
            return None
        hits = np.flatnonzero(self.ids == ids[0])
        return int(hits[0]) if len(hits) else None

    def positions_named(self, text: str) -> np.ndarray:
        """Positions (ascending) of the items whose name contains ``text``, ignoring case."""
        if not text:
            return np.arange(len(self), dtype=np.int64)
        return np.flatnonzero(np.isin(self.ids, self._named(text)))


class VersionQueue(LazyQueue):
    """The items of a dataset as they stood right after change ``seq`` (a version), in name
    order, read a page at a time like any queue; reading a page also reads how many
    ground-truth labels each of its items had then, into ``counts`` (uid -> labels), which the
    queue's list shows."""

    def __init__(self, project: Any, dataset: str, seq: int) -> None:
        super().__init__(project, dataset, project.item_ids(dataset, at_seq=seq))
        self.seq = seq
        self.counts: dict[str, int] = {}

    def _read(self, ids: np.ndarray) -> list[ItemInfo]:
        cols = self.project.item_columns(self.dataset, ids, at_seq=self.seq)
        out = []
        for i in range(len(cols)):
            out.append(ItemInfo(cols.uids[i], cols.names[i], cols.sha256[i], int(cols.widths[i]),
                                int(cols.heights[i]), cols.splits[i], dict(cols.meta[i] or {}),
                                cols.formats[i], int(cols.file_sizes[i])))
            if int(cols.label_counts[i]):
                self.counts[cols.uids[i]] = int(cols.label_counts[i])
        return out

    def _ids_of(self, uid: str) -> np.ndarray:
        return self.project.ids_of_uids(self.dataset, [uid], at_seq=self.seq)

    def _named(self, text: str) -> np.ndarray:
        return self.project.item_ids(self.dataset, ItemQuery(ItemFilter(text=text)), at_seq=self.seq)


def index_in(items: Sequence[ItemInfo], uid: str | None) -> int | None:
    """The position of item ``uid`` in a queue (lazy or a plain list)."""
    if isinstance(items, LazyQueue):
        return items.index_of(uid)
    return next((i for i, item in enumerate(items) if item.uid == uid), None)


def positions_named(items: Sequence[ItemInfo], text: str) -> np.ndarray:
    """Positions of the items of a queue whose name contains ``text`` (lowercase)."""
    if isinstance(items, LazyQueue):
        return items.positions_named(text)
    return np.asarray([i for i, item in enumerate(items) if text in item.name.lower()], np.int64)
