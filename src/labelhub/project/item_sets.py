"""Every filter of the Assets browser in name order, answered from a listing held in memory
and sets of row ids.

The listing is the dataset's current items in name order, read once per change in one pass
over the browse index: their row ids, split, import batch and names (``item_names``). Splits,
batches and the text search are then array operations on it. Review state, label classes
and annotators name items by uid through other tables (assignments, annotations); metadata
and tags live in each item's JSON. Testing each of a million items costs a lookup or a JSON
parse per item; instead each condition is turned into the row ids it selects (from the uid
index, or from the derived ``item_field`` index) and laid over the listing with a lookup
table. Small sets cost little, and a condition that keeps almost everything costs one pass
over an id array.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Connection,
    LargeBinary,
    Select,
    cast,
    func,
    select,
    text,
    union,
)
from sqlalchemy.exc import OperationalError

from labelhub.project.item_fields import field_ids, tag_ids
from labelhub.project.item_filter import ItemFilter, ItemQuery
from labelhub.project.item_names import NameIndex
from labelhub.store.tables import Change, ImportBatch, Item
from labelhub.store.versioned import current

if TYPE_CHECKING:
    from labelhub.project.items import ItemsMixin, _Scope

_item = Item.__table__
_change = Change.__table__
_batch = ImportBatch.__table__
SEP = "\x1f"  # unit separator: never in a split name


def uses_sets(f: ItemFilter) -> bool:
    """Whether the filter is answered from the listing (every filter but the empty one, whose
    first screenful is quicker from the index with a LIMIT)."""
    return not f.empty


@dataclass(frozen=True)
class Listing:
    """A dataset's current items in name order: their row ids, a code for each one's split,
    their import batch (row id, 0 for none) and their names."""

    ids: np.ndarray
    split_codes: np.ndarray
    split_names: dict[str, int]  # "" for no split
    batch_ids: np.ndarray
    names: NameIndex

    @property
    def top(self) -> int:
        """One more than the largest row id (the size of a lookup table over the ids)."""
        return int(self.ids.max()) + 1 if len(self.ids) else 0


#: The latest listings per (database, dataset, seq): asked for again and again while someone
#: browses, and valid until the next change.
_LISTINGS: dict[tuple[str, int, int], Listing] = {}
_LOCK = threading.Lock()
_BUILDING: dict[tuple[str, int, int], threading.Lock] = {}


def _read_listing(conn: Connection, scope: _Scope, when: ColumnElement[bool] | None = None) -> Listing:
    """The dataset's items now, or those ``when`` selects (its state after an earlier change)."""
    sub = (select(_item.c.id, func.coalesce(_item.c.split, "").label("split"),
                  func.coalesce(_item.c.batch_id, 0).label("batch"), _item.c.name)
           .where(_item.c.dataset_id == scope.dataset_id, current(_item) if when is None else when)
           .order_by(_item.c.name.asc()).subquery())
    if conn.dialect.name == "sqlite":
        # Five columns of a million rows as five strings, in one pass over the browse index.
        id_text, split_text, batch_text, name_text, length_text = conn.execute(select(
            func.group_concat(sub.c.id), func.group_concat(sub.c.split, SEP), func.group_concat(sub.c.batch),
            func.group_concat(sub.c.name, ""), func.group_concat(func.length(cast(sub.c.name, LargeBinary))),
        )).one()
        ids = np.fromstring(id_text, dtype=np.int64, sep=",") if id_text else np.empty(0, np.int64)
        splits = split_text.split(SEP) if split_text is not None else []
        batches = np.fromstring(batch_text, dtype=np.int64, sep=",") if batch_text else np.empty(0, np.int64)
        lengths = np.fromstring(length_text, dtype=np.int64, sep=",") if length_text else np.empty(0, np.int64)
        names = NameIndex.from_texts(name_text or "", lengths)
    else:
        rows = conn.execute(select(sub.c.id, sub.c.split, sub.c.batch, sub.c.name)).all()
        ids = np.asarray([r[0] for r in rows], np.int64)
        splits = [r[1] for r in rows]
        batches = np.asarray([r[2] for r in rows], np.int64)
        names = NameIndex.from_names([r[3] for r in rows], ascii_only=False)
    codes_of = {name: code for code, name in enumerate(sorted(set(splits)))}
    codes = np.fromiter(map(codes_of.__getitem__, splits), np.int32, len(splits))
    for array in (ids, codes, batches, names.text, names.starts):
        array.flags.writeable = False  # shared between callers
    return Listing(ids, codes, codes_of, batches, names)


def _key(mixin: Any, conn: Connection, scope: _Scope) -> tuple[str, int, int]:
    return (str(mixin.db_path), scope.dataset_id, conn.scalar(select(func.max(_change.c.seq))) or 0)


def cached_listing(mixin: Any, conn: Connection, scope: _Scope) -> Listing | None:
    """The dataset's listing if it was read since the last change, else None."""
    key = _key(mixin, conn, scope)
    with _LOCK:
        return _LISTINGS.get(key)


def listing(mixin: Any, conn: Connection, scope: _Scope) -> Listing:
    key = _key(mixin, conn, scope)
    with _LOCK:  # worker threads share the cache, and read a listing once between them
        found = _LISTINGS.get(key)
        building = _BUILDING.setdefault(key, threading.Lock()) if found is None else None
    if building is None:
        return found
    with building:
        with _LOCK:
            found = _LISTINGS.get(key)
        if found is None:
            found = _read_listing(conn, scope)
            with _LOCK:
                for old in [k for k in _LISTINGS if k[:2] == key[:2]]:  # the dataset before a change
                    del _LISTINGS[old]
                _LISTINGS[key] = found
                while len(_LISTINGS) > 2:
                    del _LISTINGS[next(iter(_LISTINGS))]
    with _LOCK:
        _BUILDING.pop(key, None)
    return found


def member_of(base: np.ndarray, ids: np.ndarray, top: int = 0) -> np.ndarray:
    """A boolean per element of ``base``: is it in ``ids``? (Row ids, so a lookup table of
    ``top`` entries answers it in one pass, where ``np.isin`` would sort.)"""
    if not len(base) or not len(ids):
        return np.zeros(len(base), bool)
    size = max(top, int(base.max()) + 1 if not top else 0, int(ids.max()) + 1)
    table = np.zeros(size, bool)
    table[ids] = True
    return table[base]


def ids_of(conn: Connection, scope: _Scope, uids: Select) -> np.ndarray:
    """Row ids (sorted) of the dataset's current items whose uid ``uids`` selects: one index
    lookup per selected uid (SQLite is told to use the uid index; left to itself it scans the
    whole dataset and tests every item)."""
    if conn.dialect.name == "sqlite":
        inner = str(uids.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        sql = ("SELECT group_concat(id) FROM (SELECT item.id AS id FROM item {hint}"
               f"WHERE item.uid IN ({inner}) AND item.dataset_id = :ds AND item.valid_to IS NULL)")
        try:
            with conn.begin_nested():
                found = conn.execute(text(sql.format(hint="INDEXED BY ix_item_uid_current ")),
                                     {"ds": scope.dataset_id}).scalar()
        except OperationalError:  # a file whose schema lacks the index: slower, same answer
            found = conn.execute(text(sql.format(hint="")), {"ds": scope.dataset_id}).scalar()
        ids = np.fromstring(found, dtype=np.int64, sep=",") if found else np.empty(0, np.int64)
    else:
        stmt = select(_item.c.id).where(_item.c.uid.in_(uids), _item.c.dataset_id == scope.dataset_id,
                                        current(_item))
        ids = np.fromiter(conn.execute(stmt).scalars(), dtype=np.int64)
    return np.unique(ids)


def status_sets(mixin: ItemsMixin, conn: Connection, scope: _Scope,
                wanted: tuple[str, ...] = ("in_annotation", "accepted", "ready_for_review", "unassigned"),
                ) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """({state: row ids} for the ``wanted`` states but unassigned, the ids of every item not
    unassigned if needed). Only the sets the wanted states need are read."""
    rows, open_work, all_accepted, free = mixin._status_parts(scope)
    need_touched = "unassigned" in wanted or "ready_for_review" in wanted
    need_open = "in_annotation" in wanted or "ready_for_review" in wanted
    need_accepted = "accepted" in wanted or "ready_for_review" in wanted
    free_ids = ids_of(conn, scope, free) if need_touched or need_accepted else np.empty(0, np.int64)
    open_ids = ids_of(conn, scope, open_work) if need_open else np.empty(0, np.int64)
    accepted = (np.setdiff1d(ids_of(conn, scope, all_accepted), free_ids, assume_unique=True)
                if need_accepted else np.empty(0, np.int64))
    touched = np.union1d(ids_of(conn, scope, rows), free_ids) if need_touched else None
    sets = {"in_annotation": open_ids, "accepted": accepted}
    if touched is not None:
        sets["ready_for_review"] = np.setdiff1d(touched, np.union1d(open_ids, accepted), assume_unique=True)
    return sets, touched


def listing_mask(conn: Connection, found: Listing, f: ItemFilter) -> np.ndarray:
    """A boolean per item of the listing for the conditions the listing itself answers:
    splits, import batches and the text search (now or at a past change alike)."""
    keep = np.ones(len(found.ids), bool)
    if f.splits:
        codes = [found.split_names[s] for s in f.splits if s in found.split_names]
        keep &= np.isin(found.split_codes, codes)
    if f.batches:
        batch_ids = np.fromiter(conn.execute(select(_batch.c.id).where(
            _batch.c.uid.in_(list(f.batches)))).scalars(), np.int64)
        keep &= np.isin(found.batch_ids, batch_ids)
    if f.text:
        keep &= found.names.contains(f.text)
    return keep


def filtered_by_sets(mixin: Any, conn: Connection, scope: _Scope, query: ItemQuery) -> np.ndarray:
    """Ids in name order (``query.descending``: reversed) of the items matching ``query``."""
    f = query.filter
    found = listing(mixin, conn, scope)
    base, top = found.ids, found.top
    keep = listing_mask(conn, found, f)
    if f.statuses:
        sets, touched = status_sets(mixin, conn, scope, f.statuses)
        chosen = np.zeros(len(base), bool)
        for status in f.statuses:
            if status == "unassigned":
                chosen |= ~member_of(base, touched if touched is not None else np.empty(0, np.int64), top)
            else:
                chosen |= member_of(base, sets[status], top)
        keep &= chosen
    if f.with_classes:
        keep &= member_of(base, ids_of(conn, scope, mixin._labelled_with(conn, scope, f.with_classes)), top)
    if f.without_classes:
        keep &= ~member_of(base, ids_of(conn, scope, mixin._labelled_with(conn, scope, f.without_classes)), top)
    if f.annotators:
        parts = mixin._annotator_uids(conn, scope, f.annotators)
        people = ids_of(conn, scope, union(*parts)) if len(parts) > 1 else (
            ids_of(conn, scope, parts[0]) if parts else np.empty(0, np.int64))
        keep &= member_of(base, people, top)
    for condition in f.meta:
        ids, wanted = field_ids(conn, scope, condition)
        inside = member_of(base, ids, top)
        keep &= inside if wanted else ~inside
    if f.tags:
        keep &= member_of(base, tag_ids(conn, scope, f.tags), top)
    out = base if f.empty else base[keep]
    return out[::-1] if query.descending else out
