"""What the Annotate workspace needs besides single edits: the annotator's queue and the next
unlabelled item, several annotations changed in one change, what a change did to an item (to
follow undo and redo), and copying an item's shapes onto another item.

Every method that writes is one transaction and returns the seq of its change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, or_, select

from labelhub.errors import InvalidInput
from labelhub.geometry import Shape, Tag, shape_from_dict
from labelhub.project.datasets import ItemInfo
from labelhub.project.labels import AnnotationInfo, NewAnnotation, attribute_problems
from labelhub.project.packed import PackedMixin
from labelhub.project.schema import class_info
from labelhub.store.tables import Annotation, Assignment, Member
from labelhub.store.versioned import current, revise

_annotation = Annotation.__table__
_assignment = Assignment.__table__
_member = Member.__table__

#: The order of assignment states in an annotator's queue: work sent back first, then work
#: begun, then new work; submitted items last.
QUEUE_STATES = ("rejected", "in_progress", "todo", "submitted")


@dataclass(frozen=True)
class AnnotationEdit:
    """One annotation's changes inside ``change_annotations``: any of a new shape, class
    (name or uid), attributes (merged; None values remove), z-order and flags."""

    uid: str
    shape: Shape | None = None
    label: str | None = None
    attributes: dict[str, Any] | None = None
    z: int | None = None
    hidden: bool | None = None
    locked: bool | None = None


@dataclass(frozen=True)
class ItemChange:
    """What one change did to one item's annotations in one label set: the uids whose rows it
    closed, and the rows it opened (new annotations and new states of changed ones)."""

    seq: int
    closed: tuple[str, ...]
    opened: tuple[AnnotationInfo, ...]

    @property
    def removed(self) -> tuple[str, ...]:
        """Annotations gone after the change."""
        kept = {a.uid for a in self.opened}
        return tuple(u for u in self.closed if u not in kept)


@dataclass(frozen=True)
class CopyResult:
    """What ``copy_annotations`` added, and what it left out (with why)."""

    seq: int | None
    uids: tuple[str, ...]
    skipped: tuple[str, ...]


class AnnotateMixin(PackedMixin):
    # ----------------------------------------------------------------------------- the queue
    def annotation_queue(self, dataset: str) -> list[ItemInfo]:
        """The acting member's queue: the items assigned to them in ``dataset`` (work sent
        back first, then work begun, new work, and submitted items last), or every item of
        the dataset when nothing is assigned to them."""
        items = self.items(dataset)
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            states = dict(conn.execute(
                select(_assignment.c.item_uid, _assignment.c.state)
                .where(_assignment.c.dataset_id == ds.id, _assignment.c.member_id == self._member_id)
            ).all())
        if not states:
            return items
        rank = {s: i for i, s in enumerate(QUEUE_STATES)}
        mine = [i for i in items if i.uid in states]
        return sorted(mine, key=lambda i: rank.get(states[i.uid], len(rank)))

    def annotation_counts(self, label_set: str, items: Sequence[str] | None = None) -> dict[str, int]:
        """How many annotations each item has in ``label_set`` now (items without any are
        left out); ``items``: only those items (uids)."""
        a = _annotation
        with self._read() as conn:
            ls = self._set_row(conn, label_set)
            where = [a.c.label_set_id == ls.id, current(a)]
            if items is not None:
                where.append(a.c.item_uid.in_(list(items)))
            rows = conn.execute(select(a.c.item_uid, func.count()).where(*where).group_by(a.c.item_uid)).all()
        return {uid: int(n) for uid, n in rows}

    def class_annotation_counts(self, label_set: str) -> dict[str, int]:
        """How many annotations each class (uid) has in ``label_set`` now."""
        a = _annotation
        with self._read() as conn:
            ls = self._set_row(conn, label_set)
            rows = conn.execute(
                select(a.c.class_uid, func.count()).where(a.c.label_set_id == ls.id, current(a))
                .group_by(a.c.class_uid)
            ).all()
        return {uid: int(n) for uid, n in rows if uid is not None}

    def next_unlabeled(self, dataset: str, label_set: str | None, after: str | None = None, *,
                       backwards: bool = False) -> ItemInfo | None:
        """The next item of the queue after item ``after`` (uid) without annotations in
        ``label_set`` (None: a label set not made yet, so every item counts), going round;
        None when every item has some."""
        queue = self.annotation_queue(dataset)
        counts = self.annotation_counts(label_set) if label_set else {}
        if backwards:
            queue = queue[::-1]
        start = next((i + 1 for i, item in enumerate(queue) if item.uid == after), 0)
        for item in queue[start:] + queue[:start]:
            if item.uid != after and not counts.get(item.uid):
                return item
        return None

    # ------------------------------------------------------------------ several edits, one change
    def change_annotations(self, edits: Sequence[AnnotationEdit]) -> int:
        """Apply several annotations' changes in one change (moving a selection, giving it
        another class, restacking it); returns the change's seq. All or nothing."""
        edits = list(edits)
        if not edits:
            raise InvalidInput("nothing to change")
        if len({e.uid for e in edits}) != len(edits):
            raise InvalidInput("an annotation appears twice in one change")
        with self._read() as conn:
            first = self._current_annotation(conn, edits[0].uid)
            action = self._edit_action(self._set_row_by_id(conn, first.label_set_id))
        with self._change(action, "annotation", op="change", count=len(edits)) as tx:
            for edit in edits:
                self._apply_edit(tx.conn, edit, tx.seq)
            tx.detail["uids"] = [e.uid for e in edits]
            return tx.seq

    def _apply_edit(self, conn: Connection, edit: AnnotationEdit, seq: int) -> None:
        row = self._current_annotation(conn, edit.uid)
        ls = self._set_row_by_id(conn, row.label_set_id)
        self._edit_action(ls)
        if row.locked and edit.locked is not False and (edit.shape is not None or edit.label is not None):
            raise InvalidInput("the annotation is locked; unlock it first")
        shape = edit.shape if edit.shape is not None else shape_from_dict(row.geometry)
        kept = dict(row.attributes or {})
        cls_ref = edit.label if edit.label is not None else row.class_uid
        if edit.label is not None:  # a new class keeps only the attributes it defines
            new_cls = class_info(self._class_row(conn, ls.dataset_id, edit.label))
            kept = {k: v for k, v in kept.items() if new_cls.attribute(k) is not None}
        attrs = {k: v for k, v in {**kept, **(edit.attributes or {})}.items() if v is not None}
        values: dict[str, Any] = {"attributes": attrs,
                                  "class_uid": self._checked(conn, ls, row.item_uid, cls_ref, shape, attrs)}
        if edit.shape is not None:
            values.update(kind=shape.kind, geometry=shape.to_dict())
        for key in ("z", "hidden", "locked"):
            value = getattr(edit, key)
            if value is not None:
                values[key] = value
        revise(conn, _annotation, edit.uid, values, seq)

    # ------------------------------------------------------------------- reading what changed
    def annotation_infos(self, uids: Sequence[str]) -> list[AnnotationInfo]:
        """The current state of the annotations ``uids`` (those still there), in that order."""
        if not uids:
            return []
        a = _annotation
        with self._read() as conn:
            rows = []
            for start in range(0, len(uids), 500):
                rows += conn.execute(select(a).where(a.c.uid.in_(uids[start:start + 500]), current(a))).all()
            found = {r.uid: r for r in rows}
            return self._annotation_infos(conn, [found[u] for u in uids if u in found])

    def _annotation_infos(self, conn: Connection, rows: list[Any]) -> list[AnnotationInfo]:
        if not rows:
            return []
        ls = self._set_row_by_id(conn, rows[0].label_set_id)
        classes = {c.uid: c for c in self._classes(conn, ls.dataset_id)}
        names = dict(conn.execute(select(_member.c.id, _member.c.name)).all())
        out = []
        for r in rows:
            cls = classes.get(r.class_uid)
            _errors, flags = attribute_problems(cls, r.attributes or {})
            out.append(AnnotationInfo(
                r.uid, r.class_uid, cls.name if cls else None, shape_from_dict(r.geometry),
                dict(r.attributes or {}), r.score, r.z, bool(r.hidden), bool(r.locked),
                tuple(r.sources or ()), names.get(r.created_by), tuple(flags)))
        return out

    def item_change(self, label_set: str, item: str, seq: int) -> ItemChange:
        """What change ``seq`` did to ``item``'s annotations in ``label_set``."""
        a = _annotation
        with self._read() as conn:
            ls = self._set_row(conn, label_set)
            rows = conn.execute(
                select(a).where(a.c.label_set_id == ls.id, a.c.item_uid == item,
                                or_(a.c.valid_from == seq, a.c.valid_to == seq)).order_by(a.c.z, a.c.id)
            ).all()
            opened = self._annotation_infos(conn, [r for r in rows if r.valid_from == seq and r.valid_to is None])
        closed = tuple(dict.fromkeys(r.uid for r in rows if r.valid_to == seq))
        return ItemChange(seq, closed, tuple(opened))

    # -------------------------------------------------------------------------------- copying
    def copy_annotations(self, label_set: str, source_item: str, target_item: str, *,
                         from_label_set: str | None = None, include_tags: bool = False) -> CopyResult:
        """Copy the annotations of ``source_item`` (in ``from_label_set``, by default the same
        set) onto ``target_item`` in ``label_set``, in one change, on top of what is there.
        Shapes that do not fit the target image are left out and named in ``skipped``."""
        source = self.annotations(from_label_set or label_set, source_item)
        with self._read() as conn:
            ls = self._set_row(conn, label_set)
            width, height = self._item_size(conn, ls.dataset_id, target_item)
            top = conn.scalar(select(func.max(_annotation.c.z)).where(
                _annotation.c.label_set_id == ls.id, _annotation.c.item_uid == target_item,
                current(_annotation))) or 0
        new: list[NewAnnotation] = []
        skipped: list[str] = []
        for a in source:
            if isinstance(a.shape, Tag) and not include_tags:
                continue
            problems = a.shape.validate(width, height)
            if problems:
                skipped.append(f"{a.label or 'unlabelled'} {a.shape.kind.replace('_', ' ')}: {problems[0]}")
                continue
            new.append(NewAnnotation(a.class_uid, a.shape, a.attributes, z=top))
        if not new:
            return CopyResult(None, (), tuple(skipped))
        seq, uids = self.add_annotations_seq(label_set, target_item, new)
        return CopyResult(seq, tuple(uids), tuple(skipped))

    def add_annotations_seq(self, label_set: str, item: str,
                            new: Sequence[NewAnnotation]) -> tuple[int, list[str]]:
        """``add_annotations`` (one change), returning (seq of the change, new uids)."""
        seqs: list[int] = []

        def heard(seq: int, _action: str) -> None:
            seqs.append(seq)

        self.subscribe(heard)
        try:
            uids = self.add_annotations(label_set, item, new)
        finally:
            self.unsubscribe(heard)
        return seqs[-1], uids
