"""A dataset's items as they stood right after an earlier change (a dataset version's seq):
the listing, filters, sorts and columns the Assets browser asks for, read from the versioned
rows.

An item row is never changed once written, only closed (``valid_to``), so the rows of a past
state are ``as_of(item, seq)`` and their row ids name them as current ids do: ``item_columns``
reads either. What differs from the current state (``items.py``, ``item_sets.py``):

- the listing (ids, splits, import batches and names in name order) is read ``as_of`` the
  seq and kept per (project file, dataset, seq, hash of that change): a past state never
  changes, so browsing a version reads it once;
- label classes and ground-truth annotations are read as of the seq: a class renamed since is
  found by its name then, and labels drawn or deleted since do not count;
- metadata: the ``item_field`` index holds the current item rows only. A row valid at the seq
  is either still current (so the index has it, as for the current state) or was closed since;
  the latter, as many as the item edits made since (not the dataset's size), are read once and
  tested in Python by the index's own rules (``item_fields.field_rows``);
- the review state (assignments) and the annotators' drafts are not versioned: a filter or a
  sort by status or annotator at a seq is refused, and the columns carry no status.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Connection, Select, func, or_, select, text
from sqlalchemy.exc import OperationalError

from labelhub.errors import InvalidInput
from labelhub.project.item_fields import field_ids, field_keys, field_rows, ids_from, tag_ids
from labelhub.project.item_filter import ItemQuery, MetaCondition
from labelhub.project.item_sets import Listing, _read_listing, listing_mask, member_of
from labelhub.store.tables import (
    Annotation,
    Change,
    ImportBatch,
    Item,
    ItemField,
    LabelClass,
    Media,
)
from labelhub.store.versioned import as_of

if TYPE_CHECKING:
    from labelhub.project.items import ItemsMixin, _Scope

_item = Item.__table__
_annotation = Annotation.__table__
_class = LabelClass.__table__
_media = Media.__table__
_batch = ImportBatch.__table__
_field = ItemField.__table__
_change = Change.__table__

#: Sort keys a past state cannot answer: the review state and the annotators are not versioned.
UNVERSIONED_SORTS = ("status", "annotators")
#: How many past states are kept in memory (a version being browsed, and the one before).
KEEP = 3
CHUNK = 500


class PastItems:
    """A dataset's items right after change ``seq``: their listing, and (read when a metadata
    filter first asks) the metadata of those of its rows a later change closed."""

    def __init__(self, listing: Listing, seq: int) -> None:
        self.listing = listing
        self.seq = seq
        self._closed: list[tuple[int, str, str]] | None = None
        self._lock = threading.Lock()

    def closed_fields(self, conn: Connection, scope: _Scope) -> list[tuple[int, str, str]]:
        """(row id, key, value) of every metadata value of the rows valid at the seq that were
        closed since (the ``item_field`` index no longer holds them)."""
        with self._lock:
            if self._closed is None:
                rows = conn.execute(select(_item.c.id, _item.c.dataset_id, _item.c.meta).where(
                    _item.c.dataset_id == scope.dataset_id, _item.c.valid_from <= self.seq,
                    _item.c.valid_to > self.seq))
                self._closed = [(f["item_id"], f["key"], f["value"]) for f in field_rows(rows)]
            return self._closed


_PAST: OrderedDict[tuple[str, int, int, str], PastItems] = OrderedDict()
_PAST_LOCK = threading.Lock()


def check_seq(conn: Connection, seq: Any) -> str:
    """The hash of change ``seq`` ("" for 0, before any change); InvalidInput if it is not a
    change that happened."""
    if isinstance(seq, bool) or not isinstance(seq, int | np.integer) or seq < 0:
        raise InvalidInput(f"at_seq must be a change number (0 or more), not {seq!r}")
    found = conn.scalar(select(_change.c.hash).where(_change.c.seq == int(seq)))
    if found is None:
        latest = conn.scalar(select(func.max(_change.c.seq))) or 0
        if seq > latest:
            raise InvalidInput(f"change {seq} has not happened yet; the latest is change {latest}")
        return ""
    return str(found)


def past_items(mixin: Any, conn: Connection, scope: _Scope, seq: int) -> PastItems:
    """The dataset's items right after change ``seq`` (read once, then kept)."""
    key = (str(mixin.db_path), scope.dataset_id, int(seq), check_seq(conn, seq))
    with _PAST_LOCK:  # a version's listing is read once, however many workers ask
        found = _PAST.get(key)
        if found is None:
            found = PastItems(_read_listing(conn, scope, as_of(_item, int(seq))), int(seq))
            _PAST[key] = found
            while len(_PAST) > KEEP:
                _PAST.popitem(last=False)
        else:
            _PAST.move_to_end(key)
        return found


def refuse_unversioned(query: ItemQuery) -> None:
    f = query.filter
    if f.statuses or f.annotators or query.sort in UNVERSIONED_SORTS:
        raise InvalidInput("a dataset as it stood at an earlier change has its items, splits, metadata "
                           "and ground-truth labels, but no review states or annotators (assignments "
                           "are not versioned): filter and sort it by the others")


def ids_at(conn: Connection, scope: _Scope, uids: Select, seq: int) -> np.ndarray:
    """Row ids (sorted) of the dataset's items at ``seq`` whose uid ``uids`` selects: one index
    lookup per selected uid (left to itself, SQLite scans the dataset's rows and tests each)."""
    stmt = select(_item.c.id.label("item_id")).where(
        _item.c.uid.in_(uids), _item.c.dataset_id == scope.dataset_id, as_of(_item, seq))
    if conn.dialect.name != "sqlite":
        return ids_from(conn, stmt)
    inner = str(uids.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    sql = ("SELECT group_concat(id) FROM (SELECT item.id AS id FROM item {hint}"
           f"WHERE item.uid IN ({inner}) AND item.dataset_id = :ds AND item.valid_from <= :seq "
           "AND (item.valid_to IS NULL OR item.valid_to > :seq))")
    values = {"ds": scope.dataset_id, "seq": int(seq)}
    try:
        with conn.begin_nested():
            found = conn.execute(text(sql.format(hint="INDEXED BY ix_item_uid_current ")), values).scalar()
    except OperationalError:  # a file whose schema lacks the index: slower, same answer
        found = conn.execute(text(sql.format(hint="")), values).scalar()
    return np.unique(np.fromstring(found, dtype=np.int64, sep=",")) if found else np.empty(0, np.int64)


def labelled_at(conn: Connection, scope: _Scope, names: Sequence[str], seq: int) -> np.ndarray:
    """Row ids of the items whose ground truth at ``seq`` had a label of a class in ``names``
    (the classes' names or uids at ``seq``)."""
    classes = select(_class.c.uid).where(
        _class.c.dataset_id == scope.dataset_id, as_of(_class, seq),
        or_(_class.c.name.in_(list(names)), _class.c.uid.in_(list(names))))
    uids = select(_annotation.c.item_uid).where(
        _annotation.c.label_set_id == scope.ground_truth_id, as_of(_annotation, seq),
        _annotation.c.class_uid.in_(classes))
    return ids_at(conn, scope, uids, seq)


def _matches(condition: MetaCondition, value: str, ascii_fold: bool) -> bool:
    """``field_ids``' test of one indexed value, in Python (for a row the index lost)."""
    if condition.op in ("=", "!="):
        return value == condition.value
    if condition.op == "~":
        needle = condition.value.lower()
        if ascii_fold:  # SQLite's LIKE folds the ASCII letters of the text searched
            return needle.encode("utf-8", "surrogatepass") in value.encode("utf-8", "surrogatepass").lower()
        return needle in value.lower()
    return value != ""


def meta_ids_at(conn: Connection, scope: _Scope, past: PastItems,
                condition: MetaCondition) -> tuple[np.ndarray, bool]:
    """(row ids, keep them: True; or drop them: False) for a metadata condition at the seq:
    rows still current from the index, rows closed since tested one by one. Ids of rows made
    after the seq may be among them; laid over the past listing, they fall away."""
    ids, keep = field_ids(conn, scope, condition)
    fold = conn.dialect.name == "sqlite"
    extra = [i for i, key, value in past.closed_fields(conn, scope)
             if key == condition.key and _matches(condition, value, fold)]
    return np.union1d(ids, np.asarray(extra, np.int64)), keep


def tag_ids_at(conn: Connection, scope: _Scope, past: PastItems, tags: Sequence[str]) -> np.ndarray:
    wanted = set(tags)
    extra = [i for i, key, value in past.closed_fields(conn, scope) if key == "tags" and value in wanted]
    return np.union1d(tag_ids(conn, scope, tags), np.asarray(extra, np.int64))


def filtered_at(conn: Connection, scope: _Scope, past: PastItems, query: ItemQuery) -> np.ndarray:
    """Ids in name order of the items at the seq matching ``query``'s filter."""
    f = query.filter
    found = past.listing
    base, top = found.ids, found.top
    if f.empty:
        return base
    keep = listing_mask(conn, found, f)
    if f.with_classes:
        keep &= member_of(base, labelled_at(conn, scope, f.with_classes, past.seq), top)
    if f.without_classes:
        keep &= ~member_of(base, labelled_at(conn, scope, f.without_classes, past.seq), top)
    for condition in f.meta:
        ids, wanted = meta_ids_at(conn, scope, past, condition)
        inside = member_of(base, ids, top)
        keep &= inside if wanted else ~inside
    if f.tags:
        keep &= member_of(base, tag_ids_at(conn, scope, past, f.tags), top)
    return base[keep]


def ordered_at(mixin: ItemsMixin, conn: Connection, scope: _Scope, query: ItemQuery, seq: int) -> np.ndarray:
    """Ids of every item at ``seq`` in ``query``'s order (not name: that is the listing's)."""
    stmt = select(_item.c.id).where(_item.c.dataset_id == scope.dataset_id, as_of(_item, seq))
    key = query.sort
    order: list[Any] = []
    if key == "split":
        order.append(func.coalesce(_item.c.split, ""))
    elif key in ("size", "file_size"):
        stmt = stmt.join(_media, _media.c.id == _item.c.media_id)
        order.append(_media.c.width * _media.c.height if key == "size" else _media.c.bytes)
    elif key == "labels":
        counts = (
            select(_annotation.c.item_uid.label("uid"), func.count().label("n"))
            .where(_annotation.c.label_set_id == scope.ground_truth_id, as_of(_annotation, seq))
            .group_by(_annotation.c.item_uid).subquery()
        )
        stmt = stmt.outerjoin(counts, counts.c.uid == _item.c.uid)
        order.append(func.coalesce(counts.c.n, 0))
    elif key.startswith("meta:"):
        order.append(func.coalesce(mixin._meta_text(key[5:]), ""))
    order.append(_item.c.name)
    return mixin._fetch_ids(conn, stmt.order_by(*[o.desc() if query.descending else o.asc() for o in order]))


def item_ids_at(mixin: ItemsMixin, conn: Connection, scope: _Scope, query: ItemQuery, seq: int,
                limit: int | None = None) -> np.ndarray:
    """``item_ids`` of the dataset as it stood right after change ``seq``."""
    refuse_unversioned(query)
    past = past_items(mixin, conn, scope, seq)
    ids = filtered_at(conn, scope, past, query)
    if query.sort != "name":
        ordered = ordered_at(mixin, conn, scope, query, seq)
        ids = ordered if query.filter.empty else ordered[member_of(ordered, ids, past.listing.top)]
    elif query.descending:
        ids = ids[::-1]
    return ids[:limit] if limit is not None else ids


def label_counts_at(conn: Connection, scope: _Scope, uids: Sequence[str], seq: int) -> dict[str, int]:
    """Ground-truth labels per item uid at ``seq``."""
    counts: dict[str, int] = {}
    for start in range(0, len(uids), CHUNK):
        counts.update(conn.execute(
            select(_annotation.c.item_uid, func.count())
            .where(_annotation.c.label_set_id == scope.ground_truth_id, as_of(_annotation, seq),
                   _annotation.c.item_uid.in_(list(uids[start : start + CHUNK])))
            .group_by(_annotation.c.item_uid)).all())
    return counts


def split_counts_at(past: PastItems) -> dict[str, int]:
    """Items per split ("" for none) at the seq."""
    found = past.listing
    counts = np.bincount(found.split_codes, minlength=len(found.split_names))
    return dict(sorted((name, int(counts[code])) for name, code in found.split_names.items() if counts[code]))


def batch_ids_at(past: PastItems) -> list[int]:
    """The import batches the items at the seq came in."""
    return [int(b) for b in np.unique(past.listing.batch_ids) if b]


def keys_at(conn: Connection, scope: _Scope, past: PastItems) -> list[str]:
    """Every metadata field some item at the seq had."""
    keys = {key for _i, key, _v in past.closed_fields(conn, scope)}
    for key in field_keys(conn, scope.dataset_id):
        if key in keys:
            continue
        held = conn.scalar(
            select(_field.c.item_id).join(_item, _item.c.id == _field.c.item_id)
            .where(_field.c.dataset_id == scope.dataset_id, _field.c.key == key,
                   _item.c.valid_from <= past.seq).limit(1))
        if held is not None:
            keys.add(key)
    return sorted(keys)


def tags_at(conn: Connection, scope: _Scope, past: PastItems) -> list[str]:
    """Every tag some item at the seq had."""
    tags = {value for _i, key, value in past.closed_fields(conn, scope) if key == "tags"}
    tags |= set(conn.execute(
        select(_field.c.value).distinct().join(_item, _item.c.id == _field.c.item_id)
        .where(_field.c.dataset_id == scope.dataset_id, _field.c.key == "tags",
               _item.c.valid_from <= past.seq)).scalars())
    return sorted(tags)


def uids_of(conn: Connection, ids: np.ndarray) -> list[str]:
    """The uids of item rows ``ids``, in that order."""
    wanted = [int(i) for i in ids]
    found: dict[int, str] = {}
    for start in range(0, len(wanted), CHUNK):
        found.update(conn.execute(select(_item.c.id, _item.c.uid).where(
            _item.c.id.in_(wanted[start : start + CHUNK]))).all())
    return [found[i] for i in wanted if i in found]
