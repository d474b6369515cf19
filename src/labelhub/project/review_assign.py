"""Assignments, the review policy, each annotator's queue, and submitting work.

A lead assigns items to annotators, ``overlap`` of them per item (the dataset's review policy),
balanced (each item to the annotators with the least work in the dataset) or round-robin (the
annotators in turn). Annotators see their queue; the next task is the first item sent back,
then in progress, then to do. Others' work on an item stays hidden from an annotator assigned
to it until it is accepted (enforced in :meth:`annotations`). Editing one's label set on an
assigned item moves it to "in progress"; once submitted, it cannot be edited until a reviewer
sends it back. With overlap 1 and no review required, submitting accepts: the annotator's
shapes become the ground truth, each recording the shape it came from.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select

from labelhub.errors import InvalidInput, PermissionDenied
from labelhub.geometry import shape_from_dict
from labelhub.project.core import Tx
from labelhub.project.labels import AnnotationInfo
from labelhub.project.review_base import (
    ACCEPTED,
    DONE_STATES,
    IN_PROGRESS,
    OPEN_STATES,
    REJECTED,
    SUBMITTED,
    TO_DO,
    UNASSIGNED,
    ItemStatus,
    _ItemWork,
)
from labelhub.project.review_comments import CommentInfo, CommentsMixin
from labelhub.store.tables import Annotation, Assignment, Comment, Dataset, Item, LabelSet

_assignment = Assignment.__table__
_annotation = Annotation.__table__
_label_set = LabelSet.__table__
_dataset = Dataset.__table__
_item = Item.__table__
_comment = Comment.__table__

ASSIGN_MODES = ("balanced", "round_robin")
_QUEUE_ORDER = {REJECTED: 0, IN_PROGRESS: 1, TO_DO: 2, SUBMITTED: 3, ACCEPTED: 4}


@dataclass(frozen=True)
class ReviewPolicy:
    overlap: int
    review_required: bool

    @property
    def submitting_accepts(self) -> bool:
        return self.overlap == 1 and not self.review_required


@dataclass(frozen=True)
class AssignReport:
    items: int  # items considered
    created: int  # assignments made
    per_member: dict[str, int] = field(default_factory=dict)
    full: int = 0  # items that already had enough annotators

    def summary(self) -> str:
        who = ", ".join(f"{m} {n}" for m, n in self.per_member.items())
        text = f"{self.created} assignments over {self.items} items"
        if who:
            text += f" ({who})"
        if self.full:
            text += f"; {self.full} items already had enough annotators"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"items": self.items, "created": self.created, "per_member": dict(self.per_member),
                "full": self.full}


@dataclass(frozen=True)
class QueueEntry:
    """One item of an annotator's queue: its state for them, the reviewer's comment when it was
    sent back, and the open comments they may read."""

    dataset: str
    item_uid: str
    item_name: str
    member: str
    state: str
    reviewer_comment: str = ""
    comments: tuple[CommentInfo, ...] = ()
    updated_seq: int = 0

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "item": self.item_uid, "name": self.item_name,
                "member": self.member, "state": self.state,
                "reviewer_comment": self.reviewer_comment,
                "comments": [c.to_dict() for c in self.comments], "seq": self.updated_seq}


class AssignmentsMixin(CommentsMixin):
    # ------------------------------------------------------------------------- the policy
    def review_policy(self, dataset: str) -> ReviewPolicy:
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            return ReviewPolicy(int(ds.overlap or 1), bool(ds.review_required))

    def set_review_policy(self, dataset: str, *, overlap: int | None = None,
                          review_required: bool | None = None) -> ReviewPolicy:
        """Set how many annotators label each item and whether a reviewer must accept it."""
        if overlap is not None and (not isinstance(overlap, int) or overlap < 1):
            raise InvalidInput(f"the overlap is a number of annotators, 1 or more, not {overlap!r}")
        with self._change("assignment.change", "dataset", op="policy", dataset=dataset) as tx:
            ds = self._dataset_row(tx.conn, dataset)
            tx.pending.entity_uid = ds.uid
            values: dict[str, Any] = {}
            if overlap is not None:
                values["overlap"] = overlap
            if review_required is not None:
                values["review_required"] = bool(review_required)
            if not values:
                raise InvalidInput("nothing to change: give an overlap or whether review is required")
            tx.detail.update(values)
            ds = tx.update_registry(_dataset, ds.id, values)
            return ReviewPolicy(int(ds.overlap), bool(ds.review_required))

    # ------------------------------------------------------------------------ assignments
    def assign(self, dataset: str, annotators: Sequence[str], *, overlap: int | None = None,
               mode: str = "balanced", items: Sequence[str] | None = None, split: str | None = None,
               match: str | None = None, only_unassigned: bool = False) -> AssignReport:
        """Give each chosen item to ``overlap`` different annotators (default: the dataset's
        overlap; giving one also sets the dataset's policy) in one change.

        Items: all, or only ``items`` (uids or names), only those of ``split``, only those whose
        name matches the glob ``match``, only those nobody is assigned to. Items that already
        have enough annotators are left alone; an item with fewer gets the rest.
        ``mode``: "balanced" (least loaded first) or "round_robin" (in turn)."""
        mode = mode.replace("-", "_")
        if mode not in ASSIGN_MODES:
            raise InvalidInput(f"the assignment mode is balanced or round-robin, not {mode!r}")
        names = list(dict.fromkeys(n.strip() for n in annotators if n.strip()))
        if not names:
            raise InvalidInput("name at least one annotator")
        with self._change("assignment.change", "assignment", op="assign", dataset=dataset,
                          annotators=names, mode=mode) as tx:
            ds = self._dataset_row(tx.conn, dataset)
            members = self._members_named(tx.conn, names)
            k = int(overlap if overlap is not None else (ds.overlap or 1))
            if not 1 <= k <= len(members):
                raise InvalidInput(f"an overlap of {k} needs at least {k} annotators; "
                                   f"{len(members)} named ({', '.join(names)})")
            if overlap is not None and overlap != ds.overlap:
                tx.update_registry(_dataset, ds.id, {"overlap": k})
            chosen = self._chosen_items(tx.conn, ds, items, split, match)
            work = self._work(tx.conn, ds)
            if only_unassigned:
                chosen = [(u, n) for u, n in chosen if not (u in work and work[u].active())]
            load = {m.id: 0 for m in members}
            for w in work.values():
                for member_id in w.active():
                    if member_id in load:
                        load[member_id] += 1
            order = [m.id for m in members]
            cursor = 0
            new_rows: list[dict[str, Any]] = []
            per_member = {m.name: 0 for m in members}
            full = 0
            for uid, _name in chosen:
                w = work.get(uid)
                active = set(w.active()) if w else set()
                need = k - len(active)
                if need <= 0:
                    full += 1
                    continue
                free = [m for m in order if m not in active]
                if mode == "balanced":
                    picks = sorted(free, key=lambda m: (load[m], order.index(m)))[:need]
                else:
                    ring = order[cursor:] + order[:cursor]
                    picks = [m for m in ring if m in free][:need]
                    if picks:
                        cursor = (order.index(picks[-1]) + 1) % len(order)
                for member_id in picks:
                    load[member_id] += 1
                    per_member[next(m.name for m in members if m.id == member_id)] += 1
                    new_rows.append({"dataset_id": ds.id, "item_uid": uid, "member_id": member_id,
                                     "state": TO_DO, "comment": "", "updated_seq": tx.seq})
            self._insert_assignments(tx, new_rows)
            created = sum(per_member.values())
            tx.detail.update(overlap=k, items=len(chosen), created=created)
            return AssignReport(len(chosen), created, per_member, full)

    def _chosen_items(self, conn: Any, ds: Any, items: Sequence[str] | None, split: str | None,
                      match: str | None) -> list[tuple[str, str]]:
        if items is not None:
            chosen = self._resolve_items(conn, ds, items)
        else:
            rows = conn.execute(select(_item.c.uid, _item.c.name)
                                .where(_item.c.dataset_id == ds.id, _item.c.valid_to.is_(None))
                                .order_by(_item.c.name, _item.c.id)).all()
            chosen = [(r.uid, r.name) for r in rows]
        if split is not None or match is not None:
            splits = dict(conn.execute(select(_item.c.uid, _item.c.split).where(
                _item.c.dataset_id == ds.id, _item.c.valid_to.is_(None))).all())
            chosen = [(u, n) for u, n in chosen
                      if (split is None or splits.get(u) == split)
                      and (match is None or fnmatch.fnmatchcase(n, match))]
        return chosen

    def reassign(self, dataset: str, items: Sequence[str], from_member: str, to_member: str) -> int:
        """Move unsubmitted work on ``items`` from one annotator to another; returns how many.
        The first annotator's drafts stay in their label set."""
        with self._change("assignment.change", "assignment", op="reassign", dataset=dataset,
                          source=from_member, target=to_member) as tx:
            ds = self._dataset_row(tx.conn, dataset)
            old, new = self._members_named(tx.conn, [from_member, to_member])
            if old.id == new.id:
                raise InvalidInput("reassigning needs two different members")
            chosen = self._resolve_items(tx.conn, ds, items)
            work = self._work(tx.conn, ds, [u for u, _ in chosen])
            names = self._member_ids(tx.conn)
            moved = 0
            for uid, name in chosen:
                w = work.get(uid)
                row = w.active().get(old.id) if w else None
                if row is None:
                    raise InvalidInput(f"{old.name} is not assigned to {name}")
                if row.state in DONE_STATES:
                    raise InvalidInput(f"{old.name} has already submitted {name}; send it back or "
                                       "unassign it instead")
                if new.id in w.active():
                    raise InvalidInput(f"{new.name} is already assigned to {name}")
                self._drop_assignment(tx, row, names)
                self._set_assignment(tx, ds.id, uid, new.id, TO_DO, "")
                moved += 1
            tx.detail["items"] = [u for u, _ in chosen]
            return moved

    def unassign(self, dataset: str, items: Sequence[str], member: str | None = None) -> int:
        """Take ``member`` (default: everyone) off ``items``; returns how many assignments ended.
        Their label sets keep what they drew; it no longer counts for review."""
        with self._change("assignment.change", "assignment", op="unassign", dataset=dataset,
                          member=member) as tx:
            ds = self._dataset_row(tx.conn, dataset)
            who = self._members_named(tx.conn, [member], active=False)[0].id if member else None
            chosen = self._resolve_items(tx.conn, ds, items)
            work = self._work(tx.conn, ds, [u for u, _ in chosen])
            names = self._member_ids(tx.conn)
            ended = 0
            for uid, _name in chosen:
                w = work.get(uid)
                for member_id, row in (w.active() if w else {}).items():
                    if who is None or member_id == who:
                        self._drop_assignment(tx, row, names)
                        ended += 1
            if member and not ended:
                raise InvalidInput(f"{member} is not assigned to any of those items")
            tx.detail.update(items=[u for u, _ in chosen], ended=ended)
            return ended

    # ---------------------------------------------------------------------------- states
    def item_states(self, dataset: str, items: Sequence[str] | None = None) -> list[ItemStatus]:
        """Every item's overall state with each assignee's state, in item-name order."""
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            chosen = self._resolve_items(conn, ds, items) if items is not None else sorted(
                self._item_names(conn, ds.id).items(), key=lambda kv: (kv[1], kv[0]))
            work = self._work(conn, ds, [u for u, _ in chosen] if items is not None else None)
            members = self._member_ids(conn)
        return [self._status(uid, name, work.get(uid) or _ItemWork(), members) for uid, name in chosen]

    def item_state(self, dataset: str, item: str) -> ItemStatus:
        return self.item_states(dataset, [item])[0]

    def state_counts(self, dataset: str) -> dict[str, Any]:
        """How many items are in each overall state, and each assignee's work by state.

        Only the items with work (an assignment, or an annotator's labels) are looked at one
        by one; every other item of the dataset is unassigned (a million items: the work on a
        few thousand, and the dataset's item count)."""
        overall = {s: 0 for s in ("unassigned", "in_annotation", "ready_for_review", "accepted")}
        per_member: dict[str, dict[str, int]] = {}
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            work = self._work(conn, ds)
            present = self._item_names(conn, ds.id, list(work))  # the items still in the dataset
            members = self._member_ids(conn)
            total = self._item_counts(conn, [ds.id])[ds.id]
        for uid in present:
            w = work[uid]
            overall[w.overall()] += 1
            for member_id, row in w.active().items():
                counts = per_member.setdefault(members[member_id], {s: 0 for s in _QUEUE_ORDER})
                counts[row.state] += 1
        overall["unassigned"] += total - len(present)
        return {"items": overall, "annotators": dict(sorted(per_member.items()))}

    def submitted_counts(self) -> dict[str, int]:
        """How many submitted assignments wait in each dataset (a cheap hint of review work)."""
        with self._read() as conn:
            rows = conn.execute(
                select(_dataset.c.name, func.count()).join(_assignment, _assignment.c.dataset_id == _dataset.c.id)
                .where(_assignment.c.state == SUBMITTED).group_by(_dataset.c.name)).all()
        return {name: int(n) for name, n in rows}

    # ----------------------------------------------------------------------------- queues
    def queue(self, dataset: str | None = None, member: str | None = None) -> list[QueueEntry]:
        """An annotator's items (default: the acting member's), the next to do first: sent
        back, in progress, to do, then submitted and accepted. Reviewers may read anyone's."""
        if member is not None and member != self.member.name:
            self.authorize("review.view")
        with self._read() as conn:
            who = self._members_named(conn, [member or self.member.name], active=False)[0]
            q = select(_assignment).where(_assignment.c.member_id == who.id,
                                          _assignment.c.state != UNASSIGNED)
            if dataset is not None:
                q = q.where(_assignment.c.dataset_id == self._dataset_row(conn, dataset).id)
            rows = list(conn.execute(q))
            datasets = dict(conn.execute(select(_dataset.c.id, _dataset.c.name)).all())
            out = []
            for ds_id in sorted({r.dataset_id for r in rows}, key=lambda i: datasets[i]):
                names = self._item_names(conn, ds_id, [r.item_uid for r in rows if r.dataset_id == ds_id])
                ds_rows = [r for r in rows if r.dataset_id == ds_id and r.item_uid in names]
                notes = self._queue_comments(conn, ds_id, who.id, {r.item_uid for r in ds_rows})
                for r in ds_rows:
                    out.append(QueueEntry(datasets[ds_id], r.item_uid, names[r.item_uid], who.name,
                                          r.state, r.comment if r.state in OPEN_STATES else "",
                                          tuple(notes.get(r.item_uid, ())), r.updated_seq))
        out.sort(key=lambda e: (_QUEUE_ORDER.get(e.state, 9), e.dataset, e.item_name, e.item_uid))
        return out

    def _queue_comments(self, conn: Any, ds_id: int, member_id: int, items: set[str]) -> dict[str, list[CommentInfo]]:
        rows = [r for r in conn.execute(select(_comment).where(
            _comment.c.dataset_id == ds_id, _comment.c.resolved_seq.is_(None))
            .order_by(_comment.c.created_seq)) if r.item_uid in items]
        mine = {s.id for s in self._annotator_sets(conn, ds_id).values() if s.member_id == member_id}
        shown = []
        for r in rows:
            if r.annotation_uid is not None and r.member_id != member_id:
                owner = conn.execute(select(_annotation.c.label_set_id, _label_set.c.kind)
                                     .join(_label_set, _label_set.c.id == _annotation.c.label_set_id)
                                     .where(_annotation.c.uid == r.annotation_uid)).first()
                if owner is not None and owner.kind == "annotator" and owner.label_set_id not in mine:
                    continue
            shown.append(r)
        out: dict[str, list[CommentInfo]] = {}
        for info in self._comment_infos(conn, shown):
            out.setdefault(info.item_uid, []).append(info)
        return out

    def next_task(self, dataset: str | None = None) -> QueueEntry | None:
        """The next item the acting member has to work on, or None when the queue is done."""
        return next((e for e in self.queue(dataset) if e.is_open), None)

    def start_item(self, dataset: str, item: str) -> str:
        """Mark one's assigned item in progress (editing it does so too); returns the state."""
        with self._change("annotation.submit", "assignment", op="start", dataset=dataset) as tx:
            ds = self._dataset_row(tx.conn, dataset)
            uid, name = self._one_item(tx.conn, ds, item)
            row = self._my_assignment(tx, ds, uid, name)
            tx.pending.entity_uid = uid
            if row.state in DONE_STATES:
                raise InvalidInput(f"you have submitted {name}; it is with the reviewers")
            if row.state == IN_PROGRESS:
                raise InvalidInput(f"{name} is already in progress")
            self._set_assignment(tx, ds.id, uid, self._member_id, IN_PROGRESS)
            return IN_PROGRESS

    def submit_item(self, dataset: str, item: str) -> str:
        """Hand one's work on an assigned item to review; returns the new state ("submitted",
        or "accepted" when the dataset's policy is one annotator and no review)."""
        with self._change("annotation.submit", "assignment", op="submit", dataset=dataset) as tx:
            ds = self._dataset_row(tx.conn, dataset)
            uid, name = self._one_item(tx.conn, ds, item)
            tx.pending.entity_uid = uid
            row = self._my_assignment(tx, ds, uid, name)
            if row.state in DONE_STATES:
                raise InvalidInput(f"you have already submitted {name}")
            work = self._work(tx.conn, ds, [uid])[uid]
            others = [m for m in work.active() if m != self._member_id]
            if ds.overlap == 1 and not ds.review_required and not others:
                mine = self._annotator_sets(tx.conn, ds.id).get(self._member_id)
                shapes = self._set_annotations(tx.conn, mine.id, uid) if mine is not None else []
                gt = self._write_ground_truth(tx, ds, uid, [
                    {"label": r.class_uid, "shape": shape_from_dict(r.geometry), "attributes": r.attributes, "z": r.z,
                     "sources": [r.uid]} for r in shapes])
                self._set_assignment(tx, ds.id, uid, self._member_id, ACCEPTED, "")
                tx.detail.update(accepted=True, how=f"annotator:{self.member.name}", labels=len(gt))
                return ACCEPTED
            self._set_assignment(tx, ds.id, uid, self._member_id, SUBMITTED)
            return SUBMITTED

    def _my_assignment(self, tx: Tx, ds: Any, uid: str, name: str) -> Any:
        row = tx.conn.execute(select(_assignment).where(
            _assignment.c.dataset_id == ds.id, _assignment.c.item_uid == uid,
            _assignment.c.member_id == self._member_id)).first()
        if row is None or row.state == UNASSIGNED:
            raise InvalidInput(f"{name} is not assigned to {self.member.name}")
        return row

    # ---------------------------------------------------- hiding others' work, edit rules
    def annotations(self, label_set: str, item: str, *, at_seq: int | None = None) -> list[AnnotationInfo]:
        """As :meth:`LabelsMixin.annotations`, refusing an annotator another annotator's labels
        on an item assigned to them until the item is accepted."""
        self._check_may_read(label_set, item)
        return super().annotations(label_set, item, at_seq=at_seq)

    def packed_annotations(self, label_set: str, item: str, *, at_seq: int | None = None) -> Any:
        """As the packed reader of the Annotate workspace, with the same rule as annotations."""
        self._check_may_read(label_set, item)
        return super().packed_annotations(label_set, item, at_seq=at_seq)  # type: ignore[misc]

    def _check_may_read(self, label_set: str, item: str) -> None:
        if self.can("review.view"):
            return
        with self._read() as conn:
            ls = self._set_row(conn, label_set)
            if ls.kind != "annotator" or ls.member_id == self._member_id:
                return
            mine = conn.execute(select(_assignment.c.state).where(
                _assignment.c.dataset_id == ls.dataset_id, _assignment.c.item_uid == item,
                _assignment.c.member_id == self._member_id)).first()
            if mine is None or mine.state == UNASSIGNED:
                return
            ds = conn.execute(select(_dataset).where(_dataset.c.id == ls.dataset_id)).one()
            if self._work(conn, ds, [item])[item].overall() != "accepted":
                raise PermissionDenied(
                    f"{ls.name}'s labels on this item stay hidden from {self.member.name}, "
                    "who is assigned to it, until it is accepted")

    def _before_commit(self, tx: Tx) -> None:
        """An annotator's edit of their own set on an assigned item: to do or sent back becomes
        in progress; submitted or accepted work is refused."""
        super()._before_commit(tx)
        if tx.pending.action not in ("annotation.edit", "undo"):
            return
        touched = tx.conn.execute(
            select(_label_set.c.dataset_id, _annotation.c.item_uid).distinct()
            .join(_label_set, _label_set.c.id == _annotation.c.label_set_id)
            .where(or_(_annotation.c.valid_from == tx.seq, _annotation.c.valid_to == tx.seq),
                   _label_set.c.kind == "annotator", _label_set.c.member_id == self._member_id)).all()
        for ds_id, item_uid in touched:
            row = tx.conn.execute(select(_assignment).where(
                _assignment.c.dataset_id == ds_id, _assignment.c.item_uid == item_uid,
                _assignment.c.member_id == self._member_id)).first()
            if row is None or row.state in (UNASSIGNED, IN_PROGRESS):
                continue
            if row.state in DONE_STATES:
                name = self._item_names(tx.conn, ds_id, [item_uid]).get(item_uid, item_uid)
                raise InvalidInput(f"{name} is {row.state}; it cannot be changed unless a "
                                   "reviewer sends it back")
            self._set_assignment(tx, ds_id, item_uid, self._member_id, IN_PROGRESS)
