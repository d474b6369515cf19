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
        infos: list[ItemInfo | None] = list(self.project.item_infos(self.dataset, wanted))
        if len(infos) != len(wanted):  # a row gone from the file behind LabelHub's back
            infos = [next(iter(self.project.item_infos(self.dataset, [i])), None) for i in wanted]
        self._pages[number] = infos
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        return infos

    def index_of(self, uid: str | None) -> int | None:
        """The position of item ``uid`` in the queue, None if it is not in it."""
        if uid is None:
            return None
        for number, page in self._pages.items():
            for offset, item in enumerate(page):
                if item is not None and item.uid == uid:
                    return number * PAGE + offset
        ids = self.project.ids_of_uids(self.dataset, [uid])
        if not len(ids):
            return None
        hits = np.flatnonzero(self.ids == ids[0])
        return int(hits[0]) if len(hits) else None

    def positions_named(self, text: str) -> np.ndarray:
        """Positions (ascending) of the items whose name contains ``text``, ignoring case."""
        if not text:
            return np.arange(len(self), dtype=np.int64)
        named = self.project.item_ids(self.dataset, ItemQuery(ItemFilter(text=text)))
        return np.flatnonzero(np.isin(self.ids, named))


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
