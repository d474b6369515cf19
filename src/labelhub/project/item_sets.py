"""Filters on review state, label classes, annotators, metadata and tags, answered as sets of
row ids.

The first three name items by uid through other tables (assignments, annotations); metadata
and tags live in each item's JSON. Testing each of a million items costs a lookup or a JSON
parse per item; instead each condition is turned into the row ids it selects (from the uid
index, or from the derived ``item_field`` index) and laid over the name-ordered ids of the
rest of the filter with numpy. Small sets cost little, and a condition that keeps almost
everything costs one pass over an id array.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Connection, Select, func, select, text, union
from sqlalchemy.exc import OperationalError

from labelhub.project.item_fields import field_ids, tag_ids
from labelhub.project.item_filter import ItemFilter, ItemQuery
from labelhub.store.tables import Change, Item
from labelhub.store.versioned import current

if TYPE_CHECKING:
    from labelhub.project.items import ItemsMixin, _Scope

_item = Item.__table__
_change = Change.__table__
SEP = "\x1f"  # unit separator: never in a split name


def uses_sets(f: ItemFilter) -> bool:
    return bool(f.statuses or f.with_classes or f.without_classes or f.annotators or f.meta or f.tags
                or f.splits)


@dataclass(frozen=True)
class Listing:
    """A dataset's current items in name order: their row ids and a code for each one's split."""

    ids: np.ndarray
    split_codes: np.ndarray
    split_names: dict[str, int]  # "" for no split


#: The latest listings per (database, dataset, seq, descending): asked for again and again
#: while someone browses, and valid until the next change.
_LISTINGS: dict[tuple[str, int, int, bool], Listing] = {}


def listing(mixin: Any, conn: Connection, scope: _Scope, descending: bool) -> Listing:
    seq = conn.scalar(select(func.max(_change.c.seq))) or 0
    key = (str(mixin.db_path), scope.dataset_id, seq, descending)
    found = _LISTINGS.get(key)
    if found is not None:
        return found
    sub = (select(_item.c.id, func.coalesce(_item.c.split, "").label("split"))
           .where(_item.c.dataset_id == scope.dataset_id, current(_item))
           .order_by(_item.c.name.desc() if descending else _item.c.name.asc()).subquery())
    if conn.dialect.name == "sqlite":
        # Two columns of a million rows as two strings, in one pass over the browse index.
        id_text, split_text = conn.execute(
            select(func.group_concat(sub.c.id), func.group_concat(sub.c.split, SEP))).one()
        ids = np.fromstring(id_text, dtype=np.int64, sep=",") if id_text else np.empty(0, np.int64)
        splits = split_text.split(SEP) if split_text is not None else []
    else:
        rows = conn.execute(select(sub.c.id, sub.c.split)).all()
        ids = np.asarray([r[0] for r in rows], np.int64)
        splits = [r[1] for r in rows]
    names = {name: code for code, name in enumerate(sorted(set(splits)))}
    codes = np.fromiter(map(names.__getitem__, splits), np.int32, len(splits))
    ids.flags.writeable = False  # shared between callers
    codes.flags.writeable = False
    found = Listing(ids, codes, names)
    _LISTINGS[key] = found
    while len(_LISTINGS) > 2:
        _LISTINGS.pop(next(iter(_LISTINGS)))
    return found


def name_ordered_ids(mixin: Any, conn: Connection, scope: _Scope, query: ItemQuery) -> np.ndarray:
    """Ids in name order for ``query`` without its set filters: from the cached listing when
    only splits remain, else from SQL."""
    f = query.filter
    if f.text or f.batches:
        plain = ItemFilter(text=f.text, batches=f.batches, splits=f.splits)
        return mixin._fetch_ids(conn, mixin._ordered(conn, scope, ItemQuery(plain, "name", query.descending)))
    found = listing(mixin, conn, scope, query.descending)
    if not f.splits:
        return found.ids
    codes = [found.split_names[s] for s in f.splits if s in found.split_names]
    return found.ids[np.isin(found.split_codes, codes)]


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


def filtered_by_sets(mixin: Any, conn: Connection, scope: _Scope, query: ItemQuery) -> np.ndarray:
    """Ids in name order of the items matching ``query`` (whose filter uses sets)."""
    f = query.filter
    base = name_ordered_ids(mixin, conn, scope, query)
    keep = np.ones(len(base), bool)
    if f.statuses:
        sets, touched = status_sets(mixin, conn, scope, f.statuses)
        chosen = np.zeros(len(base), bool)
        for status in f.statuses:
            if status == "unassigned":
                chosen |= ~np.isin(base, touched)
            else:
                chosen |= np.isin(base, sets[status])
        keep &= chosen
    if f.with_classes:
        keep &= np.isin(base, ids_of(conn, scope, mixin._labelled_with(conn, scope, f.with_classes)))
    if f.without_classes:
        keep &= ~np.isin(base, ids_of(conn, scope, mixin._labelled_with(conn, scope, f.without_classes)))
    if f.annotators:
        parts = mixin._annotator_uids(conn, scope, f.annotators)
        people = ids_of(conn, scope, union(*parts)) if len(parts) > 1 else (
            ids_of(conn, scope, parts[0]) if parts else np.empty(0, np.int64))
        keep &= np.isin(base, people)
    for condition in f.meta:
        ids, wanted = field_ids(conn, scope, condition)
        keep &= np.isin(base, ids) if wanted else ~np.isin(base, ids)
    if f.tags:
        keep &= np.isin(base, tag_ids(conn, scope, f.tags))
    return base[keep]
