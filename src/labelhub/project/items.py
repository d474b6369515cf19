"""A dataset's items at the scale of a million: ordered id arrays, counts, and columns for the
rows on screen, with every filter in SQL (SQLite and PostgreSQL alike).

No Python object is made per item for a listing: ``item_ids`` returns a numpy array of row ids
in display order (on SQLite moved across as one concatenated string), and ``item_columns``
fetches the few hundred rows a view shows. Row ids belong to one version of an item: an edit
makes a new row, so a listing is refreshed after each change.

An item's **status** is its overall review state (``review_base``): unassigned, in annotation,
ready for review or accepted; the filters and the sort compute it in SQL by the same rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    false,
    func,
    literal,
    or_,
    select,
)

from labelhub.errors import NotFound
from labelhub.project.annotate import QUEUE_STATES
from labelhub.project.core import Tx
from labelhub.project.datasets import ItemInfo
from labelhub.project.item_fields import field_keys, field_texts, sync_fields
from labelhub.project.item_filter import STATUSES, ItemFilter, ItemQuery, check_meta_key
from labelhub.project.item_past import (
    batch_ids_at,
    check_seq,
    item_ids_at,
    keys_at,
    label_counts_at,
    past_items,
    split_counts_at,
    tags_at,
    uids_of,
)
from labelhub.project.item_sets import cached_listing, filtered_by_sets, member_of, status_sets
from labelhub.project.review_base import ACCEPTED, OPEN_STATES, UNASSIGNED, _ItemWork
from labelhub.project.schema import SchemaMixin
from labelhub.store.tables import (
    Annotation,
    Assignment,
    ImportBatch,
    Item,
    LabelClass,
    LabelSet,
    Media,
    Member,
)
from labelhub.store.versioned import as_of, current

_item = Item.__table__
_media = Media.__table__
_annotation = Annotation.__table__
_label_set = LabelSet.__table__
_class = LabelClass.__table__
_assignment = Assignment.__table__
_member = Member.__table__
_batch = ImportBatch.__table__

CHUNK = 500


@dataclass
class ItemColumns:
    """Rows of items as columns, in the order they were asked for."""

    ids: np.ndarray
    uids: list[str]
    names: list[str]
    splits: list[str | None]
    statuses: list[str]
    label_counts: np.ndarray
    annotators: list[tuple[str, ...]]
    sha256: list[str]
    widths: np.ndarray
    heights: np.ndarray
    file_sizes: np.ndarray
    formats: list[str]
    paths: list[Path]
    meta: list[dict[str, Any]]
    batches: list[str | None]

    def __len__(self) -> int:
        return len(self.uids)

    def record(self, i: int) -> dict[str, Any]:
        """Row ``i`` as a plain dict (for JSON output)."""
        return {
            "uid": self.uids[i], "name": self.names[i], "split": self.splits[i],
            "status": self.statuses[i], "labels": int(self.label_counts[i]),
            "annotators": list(self.annotators[i]), "sha256": self.sha256[i],
            "width": int(self.widths[i]), "height": int(self.heights[i]),
            "bytes": int(self.file_sizes[i]), "format": self.formats[i],
            "metadata": self.meta[i], "batch": self.batches[i],
        }


@dataclass(frozen=True)
class FilterChoices:
    """What a dataset's filters can offer: values present, with item counts where cheap."""

    splits: dict[str, int]  # "" = no split
    statuses: dict[str, int]
    classes: list[str]
    annotators: list[str]
    batches: list[tuple[str, str]]  # (uid, description)


@dataclass(frozen=True)
class _Scope:
    dataset_id: int
    ground_truth_id: int


def _chunks(values: Sequence[Any], size: int = CHUNK):  # noqa: ANN202
    for start in range(0, len(values), size):
        yield values[start : start + size]


class ItemsMixin(SchemaMixin):
    def _before_commit(self, tx: Tx) -> None:
        super()._before_commit(tx)
        sync_fields(tx.conn, tx.seq)  # the metadata index follows the item rows

    # ------------------------------------------------------------------------ SQL pieces
    def _scope(self, conn: Connection, dataset: str) -> _Scope:
        ds = self._dataset_row(conn, dataset)
        gt = conn.scalar(select(_label_set.c.id).where(
            _label_set.c.dataset_id == ds.id, _label_set.c.kind == "ground_truth"))
        return _Scope(ds.id, gt or -1)

    @staticmethod
    def _status_parts(scope: _Scope) -> tuple[Select, Select, Select, Select]:
        """Uid selects behind the review states (``review_base._ItemWork`` rules): items with an
        active assignment, with open work, whose active assignments are all accepted, and
        labelled by an annotator without an assignment ("free")."""
        rows = select(_assignment.c.item_uid).where(_assignment.c.dataset_id == scope.dataset_id,
                                                    _assignment.c.state != UNASSIGNED)
        open_work = rows.where(_assignment.c.state.in_(OPEN_STATES))
        all_accepted = rows.group_by(_assignment.c.item_uid).having(
            func.min(case((_assignment.c.state == ACCEPTED, 1), else_=0)) == 1)
        mine = _assignment.alias("own")
        free = (
            select(_annotation.c.item_uid)
            .join(_label_set, _label_set.c.id == _annotation.c.label_set_id)
            .where(_label_set.c.dataset_id == scope.dataset_id, _label_set.c.kind == "annotator",
                   current(_annotation),
                   ~select(mine.c.id).where(mine.c.dataset_id == scope.dataset_id,
                                            mine.c.item_uid == _annotation.c.item_uid,
                                            mine.c.member_id == _label_set.c.member_id).exists())
        )
        return rows, open_work, all_accepted, free

    @classmethod
    def _status_expr(cls, scope: _Scope) -> ColumnElement[str]:
        """The item's overall state in SQL, by the review rules of ``review_base._ItemWork``."""
        rows, open_work, all_accepted, free = cls._status_parts(scope)
        return case(
            (_item.c.uid.in_(open_work), literal("in_annotation")),
            (and_(_item.c.uid.in_(all_accepted), _item.c.uid.not_in(free)), literal("accepted")),
            (or_(_item.c.uid.in_(rows), _item.c.uid.in_(free)), literal("ready_for_review")),
            else_=literal("unassigned"),
        )

    @staticmethod
    def _meta_text(key: str) -> ColumnElement[str]:
        return _item.c.meta[check_meta_key(key)].as_string()

    def _class_uids(self, conn: Connection, scope: _Scope, names: Sequence[str]) -> list[str]:
        rows = conn.execute(select(_class.c.uid).where(
            _class.c.dataset_id == scope.dataset_id, current(_class),
            or_(_class.c.name.in_(list(names)), _class.c.uid.in_(list(names))))).scalars()
        return list(rows)

    def _annotator_uids(self, conn: Connection, scope: _Scope, names: Sequence[str]) -> list[Select]:
        """Uid selects of the items assigned to or labelled by the members ``names``."""
        ids = list(conn.execute(select(_member.c.id).where(_member.c.name.in_(list(names)))).scalars())
        if not ids:
            return []
        assigned = select(_assignment.c.item_uid).where(
            _assignment.c.dataset_id == scope.dataset_id, _assignment.c.member_id.in_(ids),
            _assignment.c.state != UNASSIGNED)
        sets = select(_label_set.c.id).where(
            _label_set.c.dataset_id == scope.dataset_id, _label_set.c.kind == "annotator",
            _label_set.c.member_id.in_(ids))
        drawn = select(_annotation.c.item_uid).where(
            _annotation.c.label_set_id.in_(sets), current(_annotation))
        return [assigned, drawn]

    def _labelled_with(self, conn: Connection, scope: _Scope, names: Sequence[str]) -> Select:
        """Uid select of the items whose ground truth has a label of any class in ``names``."""
        return select(_annotation.c.item_uid).where(
            _annotation.c.label_set_id == scope.ground_truth_id, current(_annotation),
            _annotation.c.class_uid.in_(self._class_uids(conn, scope, names)))

    def _annotator_condition(self, conn: Connection, scope: _Scope, names: Sequence[str]) -> ColumnElement[bool]:
        parts = self._annotator_uids(conn, scope, names)
        return or_(*[_item.c.uid.in_(p) for p in parts]) if parts else false()

    def _conditions(self, conn: Connection, scope: _Scope, f: ItemFilter) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = [_item.c.dataset_id == scope.dataset_id, current(_item)]
        if f.text:
            # SQLite's LIKE ignores ASCII case already; lower() on a million names would not.
            name = _item.c.name if conn.dialect.name == "sqlite" else func.lower(_item.c.name)
            conds.append(name.contains(f.text.lower(), autoescape=True))
        if f.splits:
            named = [s for s in f.splits if s]
            parts = [_item.c.split.in_(named)] if named else []
            if "" in f.splits:
                parts.append(_item.c.split.is_(None))
            conds.append(or_(*parts))
        if f.statuses:
            conds.append(self._status_expr(scope).in_(list(f.statuses)))
        if f.with_classes:
            conds.append(_item.c.uid.in_(self._labelled_with(conn, scope, f.with_classes)))
        if f.without_classes:
            conds.append(_item.c.uid.not_in(self._labelled_with(conn, scope, f.without_classes)))
        if f.annotators:
            conds.append(self._annotator_condition(conn, scope, f.annotators))
        if f.batches:
            conds.append(_item.c.batch_id.in_(select(_batch.c.id).where(_batch.c.uid.in_(list(f.batches)))))
        for m in f.meta:
            value = self._meta_text(m.key)
            if m.op == "=":
                conds.append(value == m.value)
            elif m.op == "!=":
                conds.append(or_(value.is_(None), value != m.value))
            elif m.op == "~":
                conds.append(func.lower(value).contains(m.value.lower(), autoescape=True))
            elif m.op == "?":
                conds.append(and_(value.is_not(None), value != ""))
            else:
                conds.append(or_(value.is_(None), value == ""))
        if f.tags:
            tags = func.coalesce(self._meta_text("tags"), "")
            conds.append(or_(*[tags.contains(f'"{t}"', autoescape=True) for t in f.tags]))
        return conds

    def _ordered(self, conn: Connection, scope: _Scope, query: ItemQuery) -> Select:
        conds = self._conditions(conn, scope, query.filter)
        stmt = select(_item.c.id).where(*conds)
        key = query.sort
        order: list[Any] = []
        if key == "name":
            pass
        elif key == "split":
            order.append(func.coalesce(_item.c.split, ""))
        elif key in ("size", "file_size"):
            stmt = stmt.join(_media, _media.c.id == _item.c.media_id)
            order.append(_media.c.width * _media.c.height if key == "size" else _media.c.bytes)
        elif key == "status":
            rank = case({"unassigned": 0, "in_annotation": 1, "ready_for_review": 2, "accepted": 3},
                        value=self._status_expr(scope))
            order.append(rank)
        elif key == "labels":
            counts = (
                select(_annotation.c.item_uid.label("uid"), func.count().label("n"))
                .where(_annotation.c.label_set_id == scope.ground_truth_id, current(_annotation))
                .group_by(_annotation.c.item_uid).subquery()
            )
            stmt = stmt.outerjoin(counts, counts.c.uid == _item.c.uid)
            order.append(func.coalesce(counts.c.n, 0))
        elif key == "annotators":
            who = (
                select(_assignment.c.item_uid.label("uid"), func.min(_member.c.name).label("first"),
                       func.count().label("n"))
                .join(_member, _member.c.id == _assignment.c.member_id)
                .where(_assignment.c.dataset_id == scope.dataset_id, _assignment.c.state != UNASSIGNED)
                .group_by(_assignment.c.item_uid).subquery()
            )
            stmt = stmt.outerjoin(who, who.c.uid == _item.c.uid)
            order += [func.coalesce(who.c.n, 0), func.coalesce(who.c.first, "")]
        else:
            order.append(func.coalesce(self._meta_text(key[5:]), ""))
        order.append(_item.c.name)
        return stmt.order_by(*[o.desc() if query.descending else o.asc() for o in order])

    @staticmethod
    def _fetch_ids(conn: Connection, stmt: Select) -> np.ndarray:
        if conn.dialect.name == "sqlite":
            # One row instead of a million: SQLite keeps the subquery's order (an aggregate
            # over an ordered subquery is never flattened).
            sub = stmt.subquery()
            text = conn.scalar(select(func.group_concat(sub.c.id)))
            if not text:
                return np.empty(0, np.int64)
            return np.fromstring(text, dtype=np.int64, sep=",")
        return np.fromiter(conn.execute(stmt).scalars(), dtype=np.int64)

    # ----------------------------------------------------------------------- public API
    def item_ids(self, dataset: str, query: ItemQuery | None = None, *, limit: int | None = None,
                 at_seq: int | None = None) -> np.ndarray:
        """Row ids of the dataset's current items matching ``query``, in its order (int64).

        In name order every filter is answered from the dataset's listing held in memory (row
        ids, splits, batches and names, read once per change) and sets of row ids from
        indexes, instead of testing each of a million items in SQL (``item_sets``). The first
        rows of the unfiltered listing come from the browse index with a LIMIT.

        ``at_seq``: the items as they stood right after that change (a dataset version's
        ``seq``), filtered and sorted the same way, except that review states and annotators
        are not versioned: filtering or sorting by them is refused (``item_past``).
        """
        query = query or ItemQuery()
        with self._read() as conn:
            scope = self._scope(conn, dataset)
            if at_seq is not None:
                return item_ids_at(self, conn, scope, query, at_seq, limit)
            if query.sort == "name" and not (limit is not None and query.filter.empty):
                ids = filtered_by_sets(self, conn, scope, query)
                return ids[:limit] if limit is not None else ids
            stmt = self._ordered(conn, scope, query)
            if limit is not None:
                stmt = stmt.limit(limit)
            return self._fetch_ids(conn, stmt)

    def count_items(self, dataset: str, item_filter: ItemFilter | None = None, *,
                    at_seq: int | None = None) -> int:
        """How many current items of the dataset (``at_seq``: then) match the filter."""
        f = item_filter or ItemFilter()
        if f.empty and at_seq is None:
            return self.dataset(dataset).item_count
        return len(self.item_ids(dataset, ItemQuery(f), at_seq=at_seq))

    def item_uids(self, dataset: str, query: ItemQuery | None = None, *,
                  at_seq: int | None = None) -> list[str]:
        """Uids of the matching items, in order (for edits of everything a filter shows;
        ``at_seq``: of the items as they stood then)."""
        query = query or ItemQuery()
        with self._read() as conn:
            scope = self._scope(conn, dataset)
            if at_seq is not None:
                return uids_of(conn, item_ids_at(self, conn, scope, query, at_seq))
            ordered = self._ordered(conn, scope, query).add_columns(_item.c.uid)
            return [r.uid for r in conn.execute(ordered)]

    def ids_of_uids(self, dataset: str, uids: Sequence[str], *, at_seq: int | None = None) -> np.ndarray:
        """Row ids of the current versions of the items ``uids`` (``at_seq``: of the versions
        they had right after that change), in that order (items not in the dataset then are
        left out)."""
        found: dict[str, int] = {}
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            if at_seq is not None:
                check_seq(conn, at_seq)
            when = current(_item) if at_seq is None else as_of(_item, at_seq)
            for chunk in _chunks(list(uids)):
                found.update(conn.execute(select(_item.c.uid, _item.c.id).where(
                    _item.c.dataset_id == ds.id, when, _item.c.uid.in_(chunk))).all())
        return np.asarray([found[u] for u in uids if u in found], np.int64)

    def item_columns(self, dataset: str, ids: Sequence[int] | np.ndarray, *,
                     at_seq: int | None = None) -> ItemColumns:
        """Everything a view shows about the items with row ids ``ids``, in that order.

        ``at_seq``: rows of the dataset as it stood right after that change (from
        ``item_ids(..., at_seq=)``), with their ground-truth label counts then; the review state
        is not versioned, so their status is "" and they have no annotators.
        """
        wanted = [int(i) for i in ids]
        by_id: dict[int, Any] = {}
        with self._read() as conn:
            scope = self._scope(conn, dataset)
            for chunk in _chunks(wanted):
                for r in conn.execute(
                    select(_item.c.id, _item.c.uid, _item.c.name, _item.c.split, _item.c.meta,
                           _batch.c.uid.label("batch"), _media.c.sha256, _media.c.width,
                           _media.c.height, _media.c.bytes, _media.c.format, _media.c.storage,
                           _media.c.location)
                    .join(_media, _media.c.id == _item.c.media_id)
                    .outerjoin(_batch, _batch.c.id == _item.c.batch_id)
                    .where(_item.c.id.in_(chunk))
                ):
                    by_id[r.id] = r
            rows = [by_id[i] for i in wanted if i in by_id]
            uids = [r.uid for r in rows]
            if at_seq is None:
                counts, work, who = self._labels_and_people(conn, scope, uids)
                statuses = [(work[u].overall() if u in work else "unassigned") for u in uids]
            else:
                check_seq(conn, at_seq)
                counts, who = label_counts_at(conn, scope, uids, at_seq), {}
                statuses = [""] * len(uids)
        return ItemColumns(
            ids=np.asarray([r.id for r in rows], np.int64), uids=uids, names=[r.name for r in rows],
            splits=[r.split for r in rows], statuses=statuses,
            label_counts=np.asarray([counts.get(u, 0) for u in uids], np.int64),
            annotators=[tuple(sorted(who.get(u, ()))) for u in uids],
            sha256=[r.sha256 for r in rows],
            widths=np.asarray([r.width for r in rows], np.int64),
            heights=np.asarray([r.height for r in rows], np.int64),
            file_sizes=np.asarray([r.bytes for r in rows], np.int64),
            formats=[r.format for r in rows],
            paths=[Path(r.location) if r.storage == "link" else self.folder / r.location for r in rows],
            meta=[dict(r.meta or {}) for r in rows], batches=[r.batch for r in rows],
        )

    def _labels_and_people(self, conn: Connection, scope: _Scope, uids: list[str]) -> tuple[
            dict[str, int], dict[str, _ItemWork], dict[str, set[str]]]:
        """Ground-truth label counts, the review state inputs and the annotators of items."""
        counts: dict[str, int] = {}
        work: dict[str, _ItemWork] = defaultdict(_ItemWork)
        who: dict[str, set[str]] = defaultdict(set)
        names = dict(conn.execute(select(_member.c.id, _member.c.name)).all())
        owners = dict(conn.execute(select(_label_set.c.id, _label_set.c.member_id).where(
            _label_set.c.dataset_id == scope.dataset_id, _label_set.c.kind == "annotator")).all())
        for chunk in _chunks(uids):
            counts.update(conn.execute(
                select(_annotation.c.item_uid, func.count())
                .where(_annotation.c.label_set_id == scope.ground_truth_id, current(_annotation),
                       _annotation.c.item_uid.in_(chunk))
                .group_by(_annotation.c.item_uid)).all())
            for row in conn.execute(select(_assignment).where(
                    _assignment.c.dataset_id == scope.dataset_id, _assignment.c.item_uid.in_(chunk))):
                work[row.item_uid].rows[row.member_id] = row
                if row.state != UNASSIGNED:
                    who[row.item_uid].add(names.get(row.member_id, "?"))
            if owners:
                for set_id, item_uid in conn.execute(
                    select(_annotation.c.label_set_id, _annotation.c.item_uid).distinct()
                    .where(_annotation.c.label_set_id.in_(list(owners)), current(_annotation),
                           _annotation.c.item_uid.in_(chunk))
                ):
                    work[item_uid].labelled.add(owners[set_id])
                    who[item_uid].add(names.get(owners[set_id], "?"))
        return counts, work, who

    def item_infos(self, dataset: str, ids: Sequence[int] | np.ndarray) -> list[ItemInfo]:
        """The items with row ids ``ids`` (from ``item_ids``), in that order: a page of a long
        list, read when it is shown. A row id names one version of an item, so ids listed
        before a change still read (as they were) until the list is read again."""
        wanted = [int(i) for i in ids]
        found: dict[int, ItemInfo] = {}
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            for chunk in _chunks(wanted):
                for r in conn.execute(
                    select(_item.c.id, _item.c.uid, _item.c.name, _item.c.split, _item.c.meta, _media.c.sha256,
                           _media.c.width, _media.c.height, _media.c.format, _media.c.bytes)
                    .join(_media, _media.c.id == _item.c.media_id)
                    # "+ 0": found by row id; an index on the dataset would scan all its items.
                    .where(_item.c.id.in_(chunk), (_item.c.dataset_id + 0) == ds.id)
                ):
                    found[r.id] = ItemInfo(r.uid, r.name, r.sha256, r.width, r.height, r.split,
                                           dict(r.meta or {}), r.format, r.bytes)
        return [found[i] for i in wanted if i in found]

    def item_info(self, dataset: str, uid: str, *, at_seq: int | None = None) -> ItemInfo | None:
        """The current version of one item of the dataset (``at_seq``: the version it had
        right after that change), None if it is not in it (then)."""
        ids = self.ids_of_uids(dataset, [uid], at_seq=at_seq)
        infos = self.item_infos(dataset, ids) if len(ids) else []
        return infos[0] if infos else None

    def annotation_queue_ids(self, dataset: str) -> np.ndarray:
        """Row ids of the acting member's annotation queue in its order (the rules of
        ``annotation_queue``: the items assigned to them, work sent back first, then work
        begun, new work and submitted items last, each in name order; every item of the
        dataset when nothing is assigned to them), without reading the items themselves."""
        with self._read() as conn:
            scope = self._scope(conn, dataset)
            found = cached_listing(self, conn, scope)
            # The ids alone (a third of the time) unless the Assets browser read the listing.
            ids = found.ids if found is not None else self._fetch_ids(conn, self._ordered(conn, scope, ItemQuery()))
            states = conn.execute(select(_assignment.c.item_uid, _assignment.c.state).where(
                _assignment.c.dataset_id == scope.dataset_id, _assignment.c.member_id == self._member_id)).all()
        if not states:
            return ids
        rank = {s: i for i, s in enumerate(QUEUE_STATES)}
        groups: dict[int, list[str]] = defaultdict(list)
        for uid, state in states:
            groups[rank.get(state, len(rank))].append(uid)
        top = int(ids.max()) + 1 if len(ids) else 0
        rank_of = np.full(top, len(rank) + 1, np.int8)
        for r, uids in groups.items():
            found = self.ids_of_uids(dataset, uids)
            rank_of[found[found < top]] = r
        mine = ids[member_of(ids, np.flatnonzero(rank_of <= len(rank)), top)]
        return mine[np.argsort(rank_of[mine], kind="stable")]

    def item_details(self, dataset: str, uids: Sequence[str], *, at_seq: int | None = None) -> ItemColumns:
        """Columns for the current versions of the items ``uids`` (``at_seq``: their versions
        right after that change), in that order."""
        return self.item_columns(dataset, self.ids_of_uids(dataset, uids, at_seq=at_seq), at_seq=at_seq)

    def filter_choices(self, dataset: str, *, at_seq: int | None = None) -> FilterChoices:
        """The splits (with counts), statuses (with counts), classes, annotators and import
        batches a dataset's filters can offer (``at_seq``: those of the dataset as it stood
        right after that change; review states and annotators are not versioned, so none)."""
        if at_seq is not None:
            return self._filter_choices_at(dataset, at_seq)
        with self._read() as conn:
            scope = self._scope(conn, dataset)
            splits = self._split_counts(conn, scope.dataset_id)
            sets, touched = status_sets(self, conn, scope)
            statuses = {state: len(ids) for state, ids in sets.items()}
            statuses["unassigned"] = sum(splits.values()) - len(touched if touched is not None else ())
            classes = [c.name for c in self._classes(conn, scope.dataset_id)]
            people = set(conn.execute(
                select(_member.c.name).join(_assignment, _assignment.c.member_id == _member.c.id)
                .where(_assignment.c.dataset_id == scope.dataset_id).distinct()).scalars())
            people |= set(conn.execute(
                select(_member.c.name).join(_label_set, _label_set.c.member_id == _member.c.id)
                .where(_label_set.c.dataset_id == scope.dataset_id, _label_set.c.kind == "annotator")).scalars())
            batches = []
            names = dict(conn.execute(select(_member.c.id, _member.c.name)).all())
            for b in conn.execute(select(_batch).where(_batch.c.dataset_id == scope.dataset_id).order_by(_batch.c.seq)):
                imported = (b.counts or {}).get("imported", 0)
                source = ", ".join(Path(s).name or s for s in (b.sources or [])) or "?"
                batches.append((b.uid, f"change {b.seq}: {imported} from {source} by {names.get(b.member_id, '?')}"))
        return FilterChoices(splits, {s: int(statuses.get(s, 0)) for s in STATUSES}, classes,
                             sorted(people), batches)

    def _filter_choices_at(self, dataset: str, at_seq: int) -> FilterChoices:
        with self._read() as conn:
            scope = self._scope(conn, dataset)
            past = past_items(self, conn, scope, at_seq)
            classes = [c.name for c in self._classes(conn, scope.dataset_id, at_seq)]
            names = dict(conn.execute(select(_member.c.id, _member.c.name)).all())
            batches = []
            for b in conn.execute(select(_batch).where(_batch.c.id.in_(batch_ids_at(past))).order_by(_batch.c.seq)):
                imported = (b.counts or {}).get("imported", 0)
                source = ", ".join(Path(s).name or s for s in (b.sources or [])) or "?"
                batches.append((b.uid, f"change {b.seq}: {imported} from {source} by {names.get(b.member_id, '?')}"))
            return FilterChoices(split_counts_at(past), dict.fromkeys(STATUSES, 0), classes, [], batches)

    def metadata_keys(self, dataset: str, *, at_seq: int | None = None) -> list[str]:
        """Every metadata field some current item of the dataset has (``at_seq``: had right
        after that change), sorted."""
        with self._read() as conn:
            if at_seq is not None:
                scope = self._scope(conn, dataset)
                return keys_at(conn, scope, past_items(self, conn, scope, at_seq))
            return field_keys(conn, self._dataset_row(conn, dataset).id)

    def item_tags(self, dataset: str, *, at_seq: int | None = None) -> list[str]:
        """Every tag some current item of the dataset has (``at_seq``: had right after that
        change), sorted."""
        with self._read() as conn:
            if at_seq is not None:
                scope = self._scope(conn, dataset)
                return tags_at(conn, scope, past_items(self, conn, scope, at_seq))
            return field_texts(conn, self._dataset_row(conn, dataset).id, "tags")

    def resolve_items(self, dataset: str, refs: Sequence[str]) -> list[str]:
        """Uids of the current items named by ``refs`` (uids or names), in order; NotFound
        naming the first few that match nothing."""
        wanted = list(dict.fromkeys(refs))
        found: dict[str, str] = {}
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            for chunk in _chunks(wanted):
                for uid, name in conn.execute(select(_item.c.uid, _item.c.name).where(
                        _item.c.dataset_id == ds.id, current(_item),
                        or_(_item.c.uid.in_(chunk), _item.c.name.in_(chunk)))):
                    found[uid] = uid
                    found[name] = uid
        missing = [r for r in wanted if r not in found]
        if missing:
            shown = ", ".join(repr(m) for m in missing[:5]) + (" …" if len(missing) > 5 else "")
            raise NotFound(f"no item {shown} in dataset {ds.name}")
        return list(dict.fromkeys(found[r] for r in wanted))
