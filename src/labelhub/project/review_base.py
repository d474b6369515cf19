"""What the review use cases share: states, item look-up, assignment rows, who rated what.

States of one annotator's work on one item (the ``assignment`` row):

    todo -> in_progress -> submitted -> accepted
                 ^             |
                 +-- rejected <+        (a reviewer sends it back with a comment)

A member taken off an item loses the row (the change that did it records what it held). Overall states of an item:

* ``unassigned``: nobody is assigned and no annotator has labelled it;
* ``in_annotation``: someone assigned has it to do, in progress, or sent back;
* ``ready_for_review``: everyone assigned has submitted (or annotators labelled it without
  an assignment, e.g. by importing into their label set) and it is not accepted;
* ``accepted``: a reviewer accepted it (or, with one annotator and no review, its annotator
  submitted it).

The *raters* of an item are the annotators whose work on it counts for agreement and review:
those whose assignment is submitted or accepted, and those without any assignment row for it
whose label set holds annotations on it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from labelhub.errors import InvalidInput, NotFound
from labelhub.project.core import Tx
from labelhub.project.labels import LabelsMixin
from labelhub.store.tables import (
    Annotation,
    Assignment,
    Change,
    Dataset,
    Item,
    LabelSet,
    Media,
    Member,
)
from labelhub.store.versioned import current, insert_rows

_assignment = Assignment.__table__
_annotation = Annotation.__table__
_label_set = LabelSet.__table__
_item = Item.__table__
_member = Member.__table__
_dataset = Dataset.__table__
_change = Change.__table__
_media = Media.__table__

#: One annotator's work on one item.
TO_DO, IN_PROGRESS, SUBMITTED, REJECTED, ACCEPTED = (
    "todo", "in_progress", "submitted", "rejected", "accepted")
#: Unassigning deletes the row; a row in this state (written by an older LabelHub or by hand)
#: counts as no assignment. Queries that derive states in SQL exclude it too.
UNASSIGNED = "unassigned"
ANNOTATOR_STATES = (TO_DO, IN_PROGRESS, SUBMITTED, REJECTED, ACCEPTED)
#: Work still to be done by the annotator.
OPEN_STATES = (TO_DO, IN_PROGRESS, REJECTED)
#: Work that counts: the annotator is a rater of the item.
DONE_STATES = (SUBMITTED, ACCEPTED)
#: Overall states of an item.
ITEM_STATES = ("unassigned", "in_annotation", "ready_for_review", "accepted")
STATE_TITLES = {
    TO_DO: "to do", IN_PROGRESS: "in progress", SUBMITTED: "submitted", REJECTED: "sent back",
    ACCEPTED: "accepted", UNASSIGNED: "unassigned", "in_annotation": "in annotation",
    "ready_for_review": "ready for review",
}


@dataclass(frozen=True)
class ItemStatus:
    """One item's overall state, each assignee's state, and its raters (member names)."""

    item_uid: str
    item_name: str
    state: str
    assignees: dict[str, str] = field(default_factory=dict)
    raters: tuple[str, ...] = ()
    comments: dict[str, str] = field(default_factory=dict)  # member -> reviewer's comment

    def to_dict(self) -> dict[str, Any]:
        return {"item": self.item_uid, "name": self.item_name, "state": self.state,
                "assignees": dict(self.assignees), "raters": list(self.raters)}


class _ItemWork:
    """Assignment rows and label-set content of one item, as loaded for the state rules."""

    __slots__ = ("rows", "labelled")

    def __init__(self) -> None:
        self.rows: dict[int, Any] = {}  # member id -> assignment row (any state)
        self.labelled: set[int] = set()  # member ids whose annotator set has shapes here

    def active(self) -> dict[int, Any]:
        return {m: r for m, r in self.rows.items() if r.state != UNASSIGNED}

    def raters(self) -> list[int]:
        done = [m for m, r in self.rows.items() if r.state in DONE_STATES]
        free = [m for m in self.labelled if m not in self.rows]
        return sorted(set(done) | set(free))

    def overall(self) -> str:
        active = self.active()
        if not active:
            return "ready_for_review" if self.raters() else "unassigned"
        states = {r.state for r in active.values()}
        if states & set(OPEN_STATES):
            return "in_annotation"
        if states == {ACCEPTED} and not [m for m in self.labelled if m not in self.rows]:
            return "accepted"
        return "ready_for_review"


class ReviewBase(LabelsMixin):
    """Look-ups shared by the review mixins (no public methods of its own)."""

    # ------------------------------------------------------------------------------ items
    def _item_names(self, conn: Connection, dataset_id: int, uids: Iterable[str] | None = None) -> dict[str, str]:
        """uid -> name of the dataset's current items (all, or those of ``uids``)."""
        base = select(_item.c.uid, _item.c.name).where(_item.c.dataset_id == dataset_id, current(_item))
        if uids is None:
            return {r.uid: r.name for r in conn.execute(base)}
        wanted = list(dict.fromkeys(uids))
        out: dict[str, str] = {}
        # "+ 0": found through the uid index; the dataset's index would read all its items.
        by_uid = select(_item.c.uid, _item.c.name).where((_item.c.dataset_id + 0) == dataset_id, current(_item))
        for start in range(0, len(wanted), 400):
            out.update((r.uid, r.name) for r in conn.execute(by_uid.where(_item.c.uid.in_(wanted[start:start + 400]))))
        return out

    def _resolve_items(self, conn: Connection, ds: Any, refs: Iterable[str]) -> list[tuple[str, str]]:
        """(uid, name) of items given by uid or by name; NotFound / InvalidInput naming them.
        Reads only the items named (a click in the window costs the same on a million items)."""
        refs = list(refs)
        names: dict[str, str] = {}
        by_name: dict[str, list[str]] = defaultdict(list)
        # By uid through the uid index ("+ 0": not the dataset's index, which would read all
        # its items), then the refs left by name through the browse index (dataset, name).
        by_uid = select(_item.c.uid, _item.c.name).where((_item.c.dataset_id + 0) == ds.id, current(_item))
        by_item_name = select(_item.c.uid, _item.c.name).where(_item.c.dataset_id == ds.id, current(_item))
        for query, column, wanted in ((by_uid, _item.c.uid, refs), (by_item_name, _item.c.name, None)):
            left = wanted if wanted is not None else [r for r in dict.fromkeys(refs) if r not in names]
            for start in range(0, len(left), 400):
                for r in conn.execute(query.where(column.in_(left[start:start + 400]))):
                    if r.uid not in names:
                        names[r.uid] = r.name
                    if r.uid not in by_name[r.name]:
                        by_name[r.name].append(r.uid)
        out: list[tuple[str, str]] = []
        missing: list[str] = []
        for ref in refs:
            if ref in names:
                out.append((ref, names[ref]))
            elif len(by_name.get(ref, ())) == 1:
                out.append((by_name[ref][0], ref))
            elif ref in by_name:
                raise InvalidInput(f"{len(by_name[ref])} items of {ds.name} are named {ref!r}; "
                                   "give the item's uid instead")
            else:
                missing.append(ref)
        if missing:
            shown = ", ".join(repr(m) for m in missing[:5]) + (" …" if len(missing) > 5 else "")
            raise NotFound(f"no item {shown} in dataset {ds.name}")
        return list(dict.fromkeys(out))

    def _one_item(self, conn: Connection, ds: Any, ref: str) -> tuple[str, str]:
        return self._resolve_items(conn, ds, [ref])[0]

    def _item_media(self, conn: Connection, ds_id: int, item_uid: str) -> Any:
        """The media row (sha256, width, height) of a current item."""
        return conn.execute(select(_media.c.sha256, _media.c.width, _media.c.height)
                            .join(_item, _item.c.media_id == _media.c.id)
                            .where(_item.c.dataset_id == ds_id, _item.c.uid == item_uid, current(_item))).one()

    # ---------------------------------------------------------------------------- members
    def _member_ids(self, conn: Connection) -> dict[int, str]:
        return dict(conn.execute(select(_member.c.id, _member.c.name)).all())

    def _members_named(self, conn: Connection, names: Sequence[str], *, active: bool = True) -> list[Any]:
        rows = {r.name: r for r in conn.execute(select(_member)).all()}
        out = []
        for name in names:
            row = rows.get(name.strip())
            if row is None:
                raise NotFound(f"no member named {name.strip()!r}; members: {', '.join(sorted(rows))}")
            if active and not row.active:
                raise InvalidInput(f"member {row.name!r} has been deactivated")
            out.append(row)
        return out

    # ------------------------------------------------------------------------ assignments
    def _work(self, conn: Connection, ds: Any, items: Sequence[str] | None = None) -> dict[str, _ItemWork]:
        """Assignment rows and labelled annotator sets per item uid (all items, or ``items``)."""
        work: dict[str, _ItemWork] = defaultdict(_ItemWork)
        chunks = [None] if items is None else [list(items)[i:i + 400] for i in range(0, len(items), 400)]
        sets = select(_label_set.c.id, _label_set.c.member_id).where(
            _label_set.c.dataset_id == ds.id, _label_set.c.kind == "annotator")
        owners = dict(conn.execute(sets).all())
        for chunk in chunks:
            q = select(_assignment).where(_assignment.c.dataset_id == ds.id)
            if chunk is not None:
                q = q.where(_assignment.c.item_uid.in_(chunk))
            for row in conn.execute(q):
                work[row.item_uid].rows[row.member_id] = row
            if owners:
                q = (select(_annotation.c.label_set_id, _annotation.c.item_uid).distinct()
                     .where(_annotation.c.label_set_id.in_(list(owners)), current(_annotation)))
                if chunk is not None:
                    q = q.where(_annotation.c.item_uid.in_(chunk))
                for set_id, item_uid in conn.execute(q):
                    work[item_uid].labelled.add(owners[set_id])
        return work

    def _status(self, item_uid: str, name: str, work: _ItemWork, names: dict[int, str]) -> ItemStatus:
        return ItemStatus(
            item_uid, name, work.overall(),
            {names[m]: r.state for m, r in sorted(work.active().items(), key=lambda kv: names[kv[0]])},
            tuple(sorted(names[m] for m in work.raters())),
            {names[m]: r.comment for m, r in work.active().items() if r.comment})

    def _set_assignment(self, tx: Tx, ds_id: int, item_uid: str, member_id: int, state: str,
                        comment: str | None = None) -> Any:
        """Upsert one assignment row (the unique row per item and member)."""
        row = tx.conn.execute(select(_assignment).where(
            _assignment.c.dataset_id == ds_id, _assignment.c.item_uid == item_uid,
            _assignment.c.member_id == member_id)).first()
        values: dict[str, Any] = {"state": state, "updated_seq": tx.seq}
        if comment is not None:
            values["comment"] = comment
        if row is None:
            return tx.insert_registry(_assignment, {"dataset_id": ds_id, "item_uid": item_uid,
                                                    "member_id": member_id, "comment": "", **values})
        return tx.update_registry(_assignment, row.id, values)

    def _drop_assignment(self, tx: Tx, row: Any, names: dict[int, str]) -> None:
        """Delete one assignment row; the change's detail keeps what it held."""
        tx.conn.execute(delete(_assignment).where(_assignment.c.id == row.id))
        tx.detail.setdefault("removed", []).append(
            {"item": row.item_uid, "member": names.get(row.member_id), "state": row.state})

    def _insert_assignments(self, tx: Tx, rows: list[dict[str, Any]]) -> None:
        """Insert many new assignment rows at once, recording each row's digest."""
        if not rows:
            return
        for start in range(0, len(rows), 5000):
            tx.conn.execute(insert(_assignment), rows[start:start + 5000])
        ds_ids = {r["dataset_id"] for r in rows}
        for row in tx.conn.execute(select(_assignment).where(
                _assignment.c.updated_seq == tx.seq, _assignment.c.dataset_id.in_(ds_ids))):
            tx.pending.record_row(_assignment, row)

    # ----------------------------------------------------------------------- ground truth
    def _gt_row(self, conn: Connection, ds_id: int) -> Any:
        return conn.execute(select(_label_set).where(
            _label_set.c.dataset_id == ds_id, _label_set.c.kind == "ground_truth")).one()

    def _write_ground_truth(self, tx: Tx, ds: Any, item_uid: str, labels: Sequence[dict[str, Any]]) -> list[str]:
        """Replace the item's ground truth by ``labels`` (dicts: label, shape, attributes, z,
        sources) inside ``tx``; each is checked against the schema and the image."""
        gt = self._gt_row(tx.conn, ds.id)
        old = list(tx.conn.execute(select(_annotation.c.id).where(
            _annotation.c.label_set_id == gt.id, _annotation.c.item_uid == item_uid,
            current(_annotation))).scalars())
        if old:
            tx.conn.execute(update(_annotation).where(_annotation.c.id.in_(old)).values(valid_to=tx.seq))
        rows = []
        for entry in labels:
            attrs = dict(entry.get("attributes") or {})
            shape = entry["shape"]
            class_uid = self._checked(tx.conn, gt, item_uid, entry.get("label"), shape, attrs)
            rows.append({"label_set_id": gt.id, "item_uid": item_uid, "class_uid": class_uid,
                         "kind": shape.kind, "geometry": shape.to_dict(), "attributes": attrs,
                         "score": None, "z": int(entry.get("z") or 0), "hidden": False,
                         "locked": False, "sources": list(entry.get("sources") or ()),
                         "created_by": self._member_id})
        tx.detail["replaced"] = len(old)
        return insert_rows(tx.conn, _annotation, rows, tx.seq)

    def _set_annotations(self, conn: Connection, set_id: int, item_uid: str) -> list[Any]:
        return list(conn.execute(select(_annotation).where(
            _annotation.c.label_set_id == set_id, _annotation.c.item_uid == item_uid,
            current(_annotation)).order_by(_annotation.c.z, _annotation.c.id)))

    def _annotator_sets(self, conn: Connection, ds_id: int) -> dict[int, Any]:
        """Annotator label sets of a dataset by member id."""
        rows = conn.execute(select(_label_set).where(
            _label_set.c.dataset_id == ds_id, _label_set.c.kind == "annotator")).all()
        return {r.member_id: r for r in rows}

    def _change_times(self, conn: Connection, seqs: Iterable[int]) -> dict[int, Any]:
        seqs = sorted({s for s in seqs if s})
        out: dict[int, Any] = {}
        for start in range(0, len(seqs), 900):
            chunk = seqs[start:start + 900]
            for row in conn.execute(select(_change.c.seq, _change.c.time, _change.c.member_id,
                                           _change.c.action, _change.c.detail)
                                    .where(_change.c.seq.in_(chunk))):
                out[row.seq] = row
        return out

