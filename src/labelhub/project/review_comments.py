"""Comments on an item or on one of its shapes: written by anyone working on the item,
resolved by reviewers, shown to the annotator in their queue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from labelhub.errors import InvalidInput, NotFound, PermissionDenied
from labelhub.project.review_base import UNASSIGNED, ReviewBase
from labelhub.store.tables import Annotation, Assignment, Comment, Dataset, LabelSet
from labelhub.store.versioned import new_uid

_comment = Comment.__table__
_annotation = Annotation.__table__
_assignment = Assignment.__table__
_dataset = Dataset.__table__
_label_set = LabelSet.__table__

MAX_COMMENT = 4000


@dataclass(frozen=True)
class CommentInfo:
    uid: str
    dataset: str
    item_uid: str
    item_name: str
    annotation_uid: str | None
    author: str
    text: str
    created_seq: int
    time: str
    resolved_seq: int | None = None
    resolved_by: str | None = None

    @property
    def resolved(self) -> bool:
        return self.resolved_seq is not None

    def to_dict(self) -> dict[str, Any]:
        return {"uid": self.uid, "dataset": self.dataset, "item": self.item_uid,
                "item_name": self.item_name, "annotation": self.annotation_uid,
                "author": self.author, "text": self.text, "seq": self.created_seq,
                "time": self.time, "resolved": self.resolved, "resolved_by": self.resolved_by}


def check_comment(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput("a comment needs some text")
    if len(text) > MAX_COMMENT:
        raise InvalidInput(f"a comment is at most {MAX_COMMENT} characters, this one has {len(text)}")
    return text


class CommentsMixin(ReviewBase):
    def _comment_infos(self, conn: Connection, rows: list[Any]) -> list[CommentInfo]:
        names = self._member_ids(conn)
        datasets = dict(conn.execute(select(_dataset.c.id, _dataset.c.name)).all())
        times = self._change_times(conn, [r.created_seq for r in rows])
        items: dict[int, dict[str, str]] = {}
        for ds_id in {r.dataset_id for r in rows}:
            items[ds_id] = self._item_names(conn, ds_id, [r.item_uid for r in rows if r.dataset_id == ds_id])
        out = []
        for r in rows:
            out.append(CommentInfo(
                r.uid, datasets.get(r.dataset_id, ""), r.item_uid,
                items[r.dataset_id].get(r.item_uid, r.item_uid), r.annotation_uid,
                names.get(r.member_id, "?"), r.text, r.created_seq,
                str(times[r.created_seq].time) if r.created_seq in times else "",
                r.resolved_seq, names.get(r.resolved_by) if r.resolved_by else None))
        return out

    def _may_work_on(self, conn: Connection, ds_id: int, item_uid: str) -> bool:
        """Reviewers and leads may see every item; an annotator the items assigned to them."""
        if self.can("review.view"):
            return True
        row = conn.execute(select(_assignment.c.state).where(
            _assignment.c.dataset_id == ds_id, _assignment.c.item_uid == item_uid,
            _assignment.c.member_id == self._member_id)).first()
        return row is not None and row.state != UNASSIGNED

    def add_comment(self, dataset: str, item: str, text: str, *, annotation: str | None = None) -> CommentInfo:
        """Comment on an item (uid or name), or on one of its shapes (``annotation`` uid).

        Annotators may comment on the items assigned to them, reviewers and leads on any."""
        text = check_comment(text)
        with self._change("comment.add", "comment", dataset=dataset) as tx:
            ds = self._dataset_row(tx.conn, dataset)
            item_uid, item_name = self._one_item(tx.conn, ds, item)
            if not self._may_work_on(tx.conn, ds.id, item_uid):
                raise PermissionDenied(f"{self.member.name} may comment only on the items assigned to them; "
                                       f"{item_name} is not")
            if annotation is not None:
                shape = tx.conn.execute(select(_annotation.c.item_uid, _label_set.c.dataset_id)
                                        .join(_label_set, _label_set.c.id == _annotation.c.label_set_id)
                                        .where(_annotation.c.uid == annotation)).first()
                if shape is None or shape.item_uid != item_uid or shape.dataset_id != ds.id:
                    raise NotFound(f"no annotation {annotation} on {item_name}")
            row = tx.insert_registry(_comment, {
                "uid": new_uid(), "dataset_id": ds.id, "item_uid": item_uid,
                "annotation_uid": annotation, "member_id": self._member_id, "text": text,
                "created_seq": tx.seq, "resolved_seq": None, "resolved_by": None})
            tx.pending.entity_uid = row.uid
            tx.detail.update(item=item_uid, annotation=annotation)
            return self._comment_infos(tx.conn, [row])[0]

    def resolve_comment(self, uid: str, *, resolved: bool = True) -> CommentInfo:
        """Mark a comment resolved (or open again with ``resolved=False``)."""
        with self._change("comment.resolve", "comment", uid, resolved=resolved) as tx:
            row = tx.conn.execute(select(_comment).where(_comment.c.uid == uid)).first()
            if row is None:
                raise NotFound(f"no comment {uid}")
            if resolved == (row.resolved_seq is not None):
                raise InvalidInput("the comment is already " + ("resolved" if resolved else "open"))
            row = tx.update_registry(_comment, row.id, {
                "resolved_seq": tx.seq if resolved else None,
                "resolved_by": self._member_id if resolved else None})
            return self._comment_infos(tx.conn, [row])[0]

    def comments(self, dataset: str, item: str | None = None, *,
                 include_resolved: bool = False) -> list[CommentInfo]:
        """Comments of a dataset (or of one item), oldest first; open ones unless
        ``include_resolved``. Annotators see the comments of the items assigned to them,
        except those on another annotator's shapes."""
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            q = select(_comment).where(_comment.c.dataset_id == ds.id)
            if item is not None:
                q = q.where(_comment.c.item_uid == self._one_item(conn, ds, item)[0])
            if not include_resolved:
                q = q.where(_comment.c.resolved_seq.is_(None))
            rows = [r for r in conn.execute(q.order_by(_comment.c.created_seq, _comment.c.id))
                    if self._may_see_comment(conn, ds.id, r)]
            return self._comment_infos(conn, rows)

    def _may_see_comment(self, conn: Connection, ds_id: int, row: Any) -> bool:
        if self.can("review.view") or row.member_id == self._member_id:
            return True
        if not self._may_work_on(conn, ds_id, row.item_uid):
            return False
        if row.annotation_uid is None:
            return True
        owner = conn.execute(select(_label_set.c.kind, _label_set.c.member_id)
                             .join(_annotation, _annotation.c.label_set_id == _label_set.c.id)
                             .where(_annotation.c.uid == row.annotation_uid)).first()
        return owner is None or owner.kind != "annotator" or owner.member_id == self._member_id
