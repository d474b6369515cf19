"""Adjudication: the review queue, one item's clusters and disagreements, accepting (one
annotator's set, the consensus, or an edited result) and sending work back.

Accepting writes the item's ground truth in one change: the previous ground truth of the item
is closed, the accepted labels are opened with ``sources`` naming the annotator shapes they came
from, and every rater's assignment becomes "accepted".
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelhub.errors import InvalidInput
from labelhub.geometry import Box, Shape
from labelhub.metrics.agreement import Cluster, Shapes, cluster_shapes, consensus
from labelhub.project.labels import AnnotationInfo, NewAnnotation
from labelhub.project.review_agreement import AgreementMixin
from labelhub.project.review_base import ACCEPTED, REJECTED, STATE_TITLES, ItemStatus
from labelhub.project.review_comments import CommentInfo, check_comment
from labelhub.project.review_shapes import (
    describe_shape,
    family_of,
    mean_shape,
    region_family,
    to_shapes,
)
from labelhub.store.tables import Comment
from labelhub.store.versioned import new_uid

_comment = Comment.__table__
Progress = Callable[[int, int, str], None]
CONSENSUS_METHODS = ("closest", "mean")
QUEUE_SORTS = ("agreement", "name", "class", "annotator")


def default_quorum(raters: int) -> int:
    """Votes a cluster needs by default: half the raters, rounded up (1 of 2, 2 of 3)."""
    return max(1, (raters + 1) // 2)


@dataclass(frozen=True)
class ClusterInfo:
    """Shapes of different annotators on one object, and what became of them."""

    family: str
    members: tuple[tuple[str, str], ...]  # (annotator, annotation uid)
    labels: tuple[str, ...]  # each member's class
    missing: tuple[str, ...]  # raters with no shape in the cluster
    consensus: NewAnnotation | None
    problem: str = ""

    @property
    def agreed(self) -> bool:
        return not self.problem

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.family, "members": [{"annotator": a, "annotation": u, "label": lab}
                                                   for (a, u), lab in zip(self.members, self.labels, strict=True)],
                "missing": list(self.missing), "problem": self.problem,
                "consensus": None if self.consensus is None else {
                    "label": self.consensus.label, "shape": self.consensus.shape.to_dict(),
                    "sources": list(self.consensus.sources)}}


@dataclass(frozen=True)
class ItemReview:
    """Everything a reviewer needs on one item."""

    dataset: str
    status: ItemStatus
    label_sets: dict[str, str]  # rater -> label set uid
    annotations: dict[str, tuple[AnnotationInfo, ...]]
    ground_truth: tuple[AnnotationInfo, ...]
    clusters: tuple[ClusterInfo, ...]
    pair_f1: dict[tuple[str, str], float]
    f1: float | None
    quorum: int
    method: str
    comments: tuple[CommentInfo, ...] = ()
    media_sha256: str = ""
    size: tuple[int, int] = (0, 0)  # the image's width and height

    @property
    def item_uid(self) -> str:
        return self.status.item_uid

    @property
    def raters(self) -> tuple[str, ...]:
        return self.status.raters

    @property
    def disagreements(self) -> list[str]:
        return [c.problem for c in self.clusters if c.problem]

    @property
    def consensus(self) -> list[NewAnnotation]:
        return [c.consensus for c in self.clusters if c.consensus is not None]

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, **self.status.to_dict(), "f1": self.f1,
                "pair_f1": {f"{a}/{b}": v for (a, b), v in self.pair_f1.items()},
                "quorum": self.quorum, "method": self.method,
                "clusters": [c.to_dict() for c in self.clusters],
                "disagreements": self.disagreements,
                "comments": [c.to_dict() for c in self.comments]}


@dataclass(frozen=True)
class ReviewEntry:
    """One item of the review queue."""

    item_uid: str
    item_name: str
    raters: tuple[str, ...]
    f1: float | None
    classes: tuple[str, ...]
    disagreements: int
    missed: int
    open_comments: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"item": self.item_uid, "name": self.item_name, "raters": list(self.raters),
                "f1": self.f1, "classes": list(self.classes), "disagreements": self.disagreements,
                "missed": self.missed, "open_comments": self.open_comments}


class AdjudicationMixin(AgreementMixin):
    # ----------------------------------------------------------------------- review queue
    def review_queue(self, dataset: str, *, iou_threshold: float = 0.5, sort: str = "agreement",
                     annotator: str | None = None, label: str | None = None,
                     progress: Progress | None = None, cancel: threading.Event | None = None) -> list[ReviewEntry]:
        """Items ready for review, worst agreement first by default (``sort``: agreement, name,
        class, annotator); only those of ``annotator`` or showing class ``label`` if given."""
        self.authorize("review.view")
        if sort not in QUEUE_SORTS:
            raise InvalidInput(f"sort by one of {', '.join(QUEUE_SORTS)}, not {sort!r}")
        # Only an item with work (an assignment, or an annotator's labels) can be ready for
        # review: the states of those alone, not of every item of a million-item dataset.
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            work = self._work(conn, ds)
            present = self._item_names(conn, ds.id, list(work))  # still in the dataset
            members = self._member_ids(conn)
            total = self._item_counts(conn, [ds.id])[ds.id]
        ready = [uid for uid in present if work[uid].overall() == "ready_for_review"
                 and (annotator is None or annotator in {members[m] for m in work[uid].raters()})]
        if not ready:
            return []
        subset = None if len(ready) == total else ready
        report = self.agreement(dataset, items=subset, iou_threshold=iou_threshold,
                                progress=progress, cancel=cancel)
        open_comments: dict[str, int] = {}
        for c in self.comments(dataset):
            open_comments[c.item_uid] = open_comments.get(c.item_uid, 0) + 1
        entries = []
        for i, uid in enumerate(report.items):
            classes = tuple(sorted(report.item_classes[i]))
            if label is not None and label not in classes:
                continue
            raters = tuple(report.annotators[k] for k in np.flatnonzero(report.rated[i]))
            f1 = float(report.item_f1[i]) if len(raters) >= 2 and not np.isnan(report.item_f1[i]) else None
            entries.append(ReviewEntry(uid, report.item_names[i], raters, f1, classes,
                                       int(report.item_disagreements[i]), int(report.item_missed[i]),
                                       open_comments.get(uid, 0)))
        keys: dict[str, Callable[[ReviewEntry], Any]] = {
            "agreement": lambda e: (e.f1 is None, e.f1 if e.f1 is not None else 0.0, e.item_name),
            "name": lambda e: (e.item_name, e.item_uid),
            "class": lambda e: (e.classes[:1] or ("~",), e.f1 if e.f1 is not None else 2.0, e.item_name),
            "annotator": lambda e: (e.raters[:1], e.f1 if e.f1 is not None else 2.0, e.item_name),
        }
        return sorted(entries, key=keys[sort])

    # -------------------------------------------------------------------------- one item
    def review_item(self, dataset: str, item: str, *, iou_threshold: float = 0.5,
                    quorum: int | None = None, method: str = "closest") -> ItemReview:
        """One item's raters and their labels, matched into clusters, each with its consensus
        (class by majority, shape by ``method``: the member closest to the mean, or the mean)
        when at least ``quorum`` raters drew it (default: half of them, rounded up)."""
        self.authorize("review.view")
        if method not in CONSENSUS_METHODS:
            raise InvalidInput(f"the consensus method is closest or mean, not {method!r}")
        status = self.item_state(dataset, item)
        uid = status.item_uid
        sets = {s.member: s.uid for s in self.label_sets(dataset) if s.kind == "annotator"}
        raters = [r for r in status.raters if r in sets]
        annotations = {r: tuple(self.annotations(sets[r], uid)) for r in raters}
        gt = tuple(self.annotations(self.ground_truth(dataset).uid, uid))
        q = default_quorum(len(raters)) if quorum is None else int(quorum)
        if q < 1:
            raise InvalidInput(f"the quorum is a number of annotators, 1 or more, not {quorum!r}")
        with self._read() as conn:
            media = self._item_media(conn, self._dataset_row(conn, dataset).id, uid)
        clusters = _clusters(raters, annotations, (media.width, media.height), iou_threshold, q, method)
        pair_f1: dict[tuple[str, str], float] = {}
        f1 = None
        if len(raters) >= 2:
            report = self.agreement(dataset, items=[uid], iou_threshold=iou_threshold)
            names = list(report.annotators)
            for a in range(len(names)):
                for b in range(a + 1, len(names)):
                    if not np.isnan(report.pair_f1[a, b]):
                        pair_f1[(names[a], names[b])] = float(report.pair_f1[a, b])
            f1 = None if np.isnan(report.item_f1[0]) else float(report.item_f1[0])
        return ItemReview(dataset, status, {r: sets[r] for r in raters}, annotations, gt, tuple(clusters),
                          pair_f1, f1, q, method, tuple(self.comments(dataset, uid)),
                          media.sha256, (media.width, media.height))

    # -------------------------------------------------------------------------- accepting
    def accept_labels(self, dataset: str, item: str, labels: Sequence[NewAnnotation], *,
                      how: str = "edited") -> list[str]:
        """Accept ``labels`` (e.g. a consensus edited on the canvas) as the item's ground truth,
        in one change; each label's ``sources`` must be shapes the item's raters drew on it.
        Returns the new ground-truth uids."""
        labels = list(labels)
        with self._change("review.accept", "item", dataset=dataset, how=how) as tx:
            ds = self._dataset_row(tx.conn, dataset)
            uid, name = self._one_item(tx.conn, ds, item)
            tx.pending.entity_uid = uid
            work = self._work(tx.conn, ds, [uid])[uid]
            state = work.overall()
            if state not in ("ready_for_review", "accepted"):
                waiting = ", ".join(f"{self._member_ids(tx.conn)[m]} {STATE_TITLES[r.state]}"
                                    for m, r in work.active().items() if r.state not in (ACCEPTED, "submitted"))
                raise InvalidInput(f"{name} is {STATE_TITLES.get(state, state)}"
                                   + (f" ({waiting})" if waiting else "") + "; it can be accepted once "
                                   "everyone assigned to it has submitted")
            raters = work.raters()
            sets = self._annotator_sets(tx.conn, ds.id)
            allowed = {r.uid for m in raters if m in sets for r in self._set_annotations(tx.conn, sets[m].id, uid)}
            for new in labels:
                strays = [s for s in new.sources if s not in allowed]
                if strays:
                    raise InvalidInput(f"{strays[0]} is not a shape an annotator of {name} drew on it; "
                                       "sources must be the raters' shapes on this item")
            gt = self._write_ground_truth(tx, ds, uid, [
                {"label": n.label, "shape": n.shape, "attributes": n.attributes, "z": n.z,
                 "sources": list(n.sources)} for n in labels])
            for m in raters:
                self._set_assignment(tx, ds.id, uid, m, ACCEPTED, "")
            names = self._member_ids(tx.conn)
            tx.detail.update(item=uid, labels=len(gt), raters=[names[m] for m in raters])
            return gt

    def accept_annotator(self, dataset: str, item: str, annotator: str) -> list[str]:
        """Accept one rater's label set on the item as it stands."""
        review = self.review_item(dataset, item)
        if annotator not in review.annotations:
            who = ", ".join(review.raters) or "nobody"
            raise InvalidInput(f"{annotator} is not among the annotators who submitted "
                               f"{review.status.item_name} ({who})")
        labels = [NewAnnotation(a.class_uid, a.shape, a.attributes, None, a.z, (a.uid,))
                  for a in review.annotations[annotator]]
        return self.accept_labels(dataset, review.item_uid, labels, how=f"annotator:{annotator}")

    def accept_consensus(self, dataset: str, item: str, *, quorum: int | None = None,
                         method: str = "closest", iou_threshold: float = 0.5) -> list[str]:
        """Accept the consensus of the item's raters (see :meth:`review_item`)."""
        review = self.review_item(dataset, item, iou_threshold=iou_threshold, quorum=quorum, method=method)
        return self.accept_labels(dataset, review.item_uid, review.consensus,
                                  how=f"consensus:{method}:quorum={review.quorum}")

    def reject_item(self, dataset: str, item: str, comment: str, annotators: Sequence[str] | None = None) -> list[str]:
        """Send an item back to some raters (default: all) with a comment they will see in their
        queue; returns who it went back to."""
        text = check_comment(comment)
        with self._change("review.reject", "item", dataset=dataset) as tx:
            ds = self._dataset_row(tx.conn, dataset)
            uid, name = self._one_item(tx.conn, ds, item)
            tx.pending.entity_uid = uid
            work = self._work(tx.conn, ds, [uid])[uid]
            names = self._member_ids(tx.conn)
            raters = {names[m]: m for m in work.raters()}
            if annotators:
                strays = [a for a in annotators if a not in raters]
                if strays:
                    raise InvalidInput(f"{strays[0]} has not submitted {name}; only its annotators' "
                                       f"work can be sent back ({', '.join(sorted(raters)) or 'none yet'})")
                chosen = list(dict.fromkeys(annotators))
            else:
                chosen = sorted(raters)
            if not chosen:
                raise InvalidInput(f"nobody has submitted {name}; there is nothing to send back")
            for who in chosen:
                self._set_assignment(tx, ds.id, uid, raters[who], REJECTED, text)
            tx.insert_registry(_comment, {
                "uid": new_uid(), "dataset_id": ds.id, "item_uid": uid, "annotation_uid": None,
                "member_id": self._member_id, "text": text, "created_seq": tx.seq,
                "resolved_seq": None, "resolved_by": None})
            tx.detail.update(item=uid, annotators=chosen)
            return chosen


def _clusters(raters: list[str], annotations: dict[str, tuple[AnnotationInfo, ...]],
              size: tuple[int, int], iou_threshold: float, quorum: int, method: str) -> list[ClusterInfo]:
    """Match the raters' shapes into clusters, family by family, with their consensus."""
    kinds = {a.shape.kind for anns in annotations.values() for a in anns}
    region = region_family(kinds)
    class_ids: dict[str, int] = {}
    names: list[str] = []

    def cid(label: str | None) -> int:
        key = label or "(no class)"
        if key not in class_ids:
            class_ids[key] = len(names)
            names.append(key)
        return class_ids[key]

    groups: dict[str, list[list[AnnotationInfo]]] = {}
    loose: list[tuple[str, AnnotationInfo]] = []
    for k, rater in enumerate(raters):
        for a in annotations[rater]:
            fam = family_of(a.shape, region)
            if fam is not None:
                groups.setdefault(fam, [[] for _ in raters])[k].append(a)
            else:
                loose.append((rater, a))
    out: list[ClusterInfo] = []
    for fam in sorted(groups):
        per_rater = groups[fam]
        sets = [to_shapes(fam, [a.shape for a in anns], [cid(a.label) for a in anns], [size] * len(anns))
                for anns in per_rater]
        for cluster in cluster_shapes(sets, iou_threshold):
            members = [per_rater[int(k)][int(i)] for k, i in zip(cluster.annotators, cluster.indices, strict=True)]
            who = [raters[int(k)] for k in cluster.annotators]
            merged = _consensus(fam, cluster, members, names, quorum, method)
            out.append(_info(fam, who, members, raters, merged, quorum))
    for who, a in loose:
        merged = NewAnnotation(a.label, a.shape, a.attributes, None, a.z, (a.uid,)) if quorum <= 1 else None
        out.append(_info("not compared", [who], [a], raters, merged, quorum))
    return out


def _consensus(fam: str, cluster: Cluster, members: list[AnnotationInfo], names: list[str],
               quorum: int, method: str) -> NewAnnotation | None:
    shapes = cluster.shapes
    use = method
    if fam == "region" and method == "mean":
        if all(isinstance(m.shape, Box) for m in members):
            boxes = np.array([(m.shape.x, m.shape.y, m.shape.w, m.shape.h) for m in members])  # type: ignore[union-attr]
            shapes, fam = Shapes(cluster.shapes.labels, boxes=boxes), "box"
        else:
            use = "closest"  # masks and polygons have no mean shape
    merged = consensus(Cluster(cluster.annotators, cluster.indices, shapes), quorum, use)
    if merged is None:
        return None
    label = names[merged.label]
    order = list(range(len(members)))
    if merged.source is not None:
        best = next(i for i in order if int(cluster.annotators[i]) == merged.source[0]
                    and int(cluster.indices[i]) == merged.source[1])
        shape: Shape = members[best].shape
    else:
        best = next(i for i in order if members[i].label == label)
        shape = mean_shape(fam, merged.shape)
    order.remove(best)
    chosen = members[best]
    attributes = chosen.attributes if chosen.label == label else {}
    return NewAnnotation(label, shape, attributes, None, chosen.z,
                         tuple(members[i].uid for i in [best, *order]))


def _info(fam: str, who: list[str], members: list[AnnotationInfo], raters: list[str],
          merged: NewAnnotation | None, quorum: int) -> ClusterInfo:
    labels = tuple(m.label or "(no class)" for m in members)
    missing = tuple(r for r in raters if r not in who) if fam != "not compared" else ()
    what = f"{labels[0]} {describe_shape(members[0].shape)}" if len(set(labels)) == 1 else describe_shape(members[0].shape)
    problems = []
    if len(set(labels)) > 1:
        problems.append(f"class differs at {describe_shape(members[0].shape)}: "
                        + ", ".join(f"{w} {lab}" for w, lab in zip(who, labels, strict=True)))
    if missing:
        problems.append(f"{what}: drawn by {', '.join(who)}, missed by {', '.join(missing)}")
    if merged is None:
        problems.append(f"{what}: {len(set(who))} of {len(raters)} drew it, below the quorum of {quorum}")
    return ClusterInfo(fam, tuple((w, m.uid) for w, m in zip(who, members, strict=True)), labels, missing,
                       merged, "; ".join(problems))
