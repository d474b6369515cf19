"""Review: assignments, agreement between annotators, adjudication, and the lineage of labels.

The use cases live in one mixin chain, split by concept:

* :mod:`~labelhub.project.review_base`: states and the rules that derive them;
* :mod:`~labelhub.project.review_comments`: comments on items and shapes;
* :mod:`~labelhub.project.review_assign`: the review policy, assignments, queues, submitting,
  and hiding others' work from an annotator;
* :mod:`~labelhub.project.review_agreement`: agreement over a dataset;
* :mod:`~labelhub.project.review_adjudicate`: the review queue, one item's clusters, accepting
  and sending back;
* here: :class:`ReviewMixin`, which adds the lineage of ground-truth labels.

Lineage: a ground-truth label's versions say who accepted it (the change that opened it) and
who changed it since; its ``sources`` name the annotator shapes it came from, and each of those
shapes' versions say who drew it and who changed it before it was accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from labelhub.errors import NotFound
from labelhub.geometry import Shape, shape_from_dict
from labelhub.project.review_adjudicate import (
    CONSENSUS_METHODS,
    QUEUE_SORTS,
    AdjudicationMixin,
    ClusterInfo,
    ItemReview,
    ReviewEntry,
    default_quorum,
)
from labelhub.project.review_agreement import DatasetAgreement, TagAgreement
from labelhub.project.review_assign import ASSIGN_MODES, AssignReport, QueueEntry, ReviewPolicy
from labelhub.project.review_base import ANNOTATOR_STATES, ITEM_STATES, STATE_TITLES, ItemStatus
from labelhub.project.review_comments import CommentInfo
from labelhub.store.tables import Annotation, LabelClass, LabelSet

_annotation = Annotation.__table__
_label_set = LabelSet.__table__
_class = LabelClass.__table__

__all__ = [
    "ANNOTATOR_STATES", "ASSIGN_MODES", "CONSENSUS_METHODS", "ITEM_STATES", "QUEUE_SORTS",
    "STATE_TITLES", "AssignReport", "ClusterInfo", "CommentInfo", "DatasetAgreement",
    "ItemReview", "ItemStatus", "Lineage", "LineageEvent", "QueueEntry", "ReviewEntry",
    "ReviewMixin", "ReviewPolicy", "SourceShape", "TagAgreement", "default_quorum",
]


@dataclass(frozen=True)
class LineageEvent:
    """One thing that happened to a label: drawn, changed, accepted, deleted or replaced."""

    seq: int
    time: str
    member: str | None
    what: str
    action: str

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "time": self.time, "member": self.member, "what": self.what,
                "action": self.action}


@dataclass(frozen=True)
class SourceShape:
    """An annotator's shape a ground-truth label came from, as it stood when accepted."""

    uid: str
    annotator: str | None
    label: str | None
    shape: Shape
    drawn_by: str | None
    events: tuple[LineageEvent, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"uid": self.uid, "annotator": self.annotator, "label": self.label,
                "shape": self.shape.to_dict(), "drawn_by": self.drawn_by,
                "events": [e.to_dict() for e in self.events]}


@dataclass(frozen=True)
class Lineage:
    """Where a label came from and what happened to it since."""

    uid: str
    item_uid: str
    label_set: str  # "ground truth", or the annotator's or model's set name
    label: str | None
    shape: Shape
    events: tuple[LineageEvent, ...]
    sources: tuple[SourceShape, ...]
    how: str = ""  # e.g. "consensus:closest:quorum=1", "annotator:ana", "edited"

    @property
    def accepted(self) -> LineageEvent | None:
        return next((e for e in self.events if e.what == "accepted"), None)

    @property
    def drawn_by(self) -> tuple[str, ...]:
        """Who drew the shapes it came from (or the label itself, when drawn in place)."""
        if self.sources:
            return tuple(dict.fromkeys(s.drawn_by for s in self.sources if s.drawn_by))
        first = self.events[0] if self.events else None
        return (first.member,) if first is not None and first.member else ()

    @property
    def changed_by(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.member for e in self.events if e.what == "changed" and e.member))

    def to_dict(self) -> dict[str, Any]:
        accepted = self.accepted
        return {"uid": self.uid, "item": self.item_uid, "label_set": self.label_set, "label": self.label,
                "shape": self.shape.to_dict(), "how": self.how, "drawn_by": list(self.drawn_by),
                "changed_by": list(self.changed_by),
                "accepted_by": accepted.member if accepted else None,
                "accepted_seq": accepted.seq if accepted else None,
                "events": [e.to_dict() for e in self.events],
                "sources": [s.to_dict() for s in self.sources]}


class ReviewMixin(AdjudicationMixin):
    def lineage(self, annotation: str) -> Lineage:
        """Who drew a label, who changed it, who accepted it, and from which annotator shapes."""
        with self._read() as conn:
            versions = self._versions(conn, annotation)
            last = versions[-1]
            ls = conn.execute(select(_label_set).where(_label_set.c.id == last.label_set_id)).one()
            if ls.kind == "annotator":
                # Annotators read other annotators' work only once it is accepted.
                self.annotations(ls.uid, last.item_uid)
            sources = tuple(last.sources or ())
            source_versions = {uid: self._versions(conn, uid) for uid in sources}
            seqs = [v.valid_from for v in versions] + [v.valid_to for v in versions if v.valid_to]
            for vs in source_versions.values():
                seqs += [v.valid_from for v in vs] + [v.valid_to for v in vs if v.valid_to]
            changes = self._change_times(conn, seqs)
            names = self._member_ids(conn)
            classes = {r.uid: r.name for r in conn.execute(
                select(_class.c.uid, _class.c.name).where(_class.c.dataset_id == ls.dataset_id)
                .order_by(_class.c.valid_from))}
            owners = {r.id: r for r in conn.execute(select(_label_set).where(
                _label_set.c.dataset_id == ls.dataset_id))}
        events = _events(versions, changes, names)
        accepted_at = next((e.seq for e in events if e.what == "accepted"), None)
        out_sources = []
        for uid in sources:
            vs = source_versions[uid]
            when = accepted_at if accepted_at is not None else vs[-1].valid_from
            at = next((v for v in vs if v.valid_from <= when and (v.valid_to is None or v.valid_to > when)), vs[-1])
            owner = owners.get(at.label_set_id)
            s_events = tuple(e for e in _events(vs, changes, names) if accepted_at is None or e.seq <= accepted_at)
            out_sources.append(SourceShape(
                uid, owner.name if owner is not None else None, classes.get(at.class_uid),
                shape_from_dict(at.geometry), names.get(vs[0].created_by), s_events))
        first_change = changes.get(versions[0].valid_from)
        how = str(((first_change.detail or {}) if first_change is not None else {}).get("how", ""))
        return Lineage(annotation, last.item_uid, ls.name, classes.get(last.class_uid),
                       shape_from_dict(last.geometry), tuple(events), tuple(out_sources), how)

    def _versions(self, conn: Any, uid: str) -> list[Any]:
        rows = list(conn.execute(select(_annotation).where(_annotation.c.uid == uid)
                                 .order_by(_annotation.c.valid_from)))
        if not rows:
            raise NotFound(f"no annotation {uid}")
        return rows


def _events(versions: list[Any], changes: dict[int, Any], names: dict[int, str]) -> list[LineageEvent]:
    out = []
    for n, v in enumerate(versions):
        c = changes.get(v.valid_from)
        action = c.action if c is not None else ""
        if action == "review.accept" or (action == "annotation.submit" and n == 0):
            what = "accepted"
        else:
            what = "drew" if n == 0 else "changed"
        out.append(LineageEvent(v.valid_from, str(c.time) if c else "", names.get(c.member_id) if c else None,
                                what, action))
    last = versions[-1]
    if last.valid_to is not None:
        c = changes.get(last.valid_to)
        action = c.action if c is not None else ""
        out.append(LineageEvent(last.valid_to, str(c.time) if c else "",
                                names.get(c.member_id) if c else None,
                                "replaced" if action == "review.accept" else "deleted", action))
    return out
