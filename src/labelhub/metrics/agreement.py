"""Agreement between annotators: shape matching, dataset roll-ups, consensus, tag agreement.

numpy only; pure functions on arrays. Overlaps come from :mod:`labelhub.metrics.iou`.

Shapes and how they are compared
    :class:`Shapes` holds one annotator's shapes on one item (or, inside a :class:`ShapeTable`,
    every shape of a dataset): class ids plus one geometry. Boxes (xywh) are compared by box
    IoU; polygons and masks, as COCO uncompressed RLE counts over the image, by mask IoU;
    keypoint sets by object keypoint similarity (OKS). OKS is asymmetric (it scales by the
    reference's area and uses the reference's labelled points), so between two annotators the
    similarity is the mean of the two directions.

Matching (:func:`match_item`, and the same code for whole datasets)
    A pair can match when its similarity is at least ``iou_threshold`` (``>=``: a pair exactly
    at the threshold matches) and above 0. First pass: pairs of the same class only. Second
    pass: the shapes left unmatched, pairs of different classes; those matches are class
    disagreements. Each pass is an assignment that matches as many shapes as possible and,
    among such assignments, maximises the summed IoU (minimum cost on 1 - IoU).

F1 (one item, two annotators)
    ``2 * same-class matches / (n_a + n_b)``; 1.0 when both are empty. A class disagreement
    counts as a miss on both sides. The F1 of a class is the same ratio over that class's
    shapes only.

Dataset roll-ups (:func:`agreement_report`)
    The items compared for annotators a and b are those both submitted (all items when the
    table has no ``submitted`` matrix). Pair F1 is the mean item F1 over them; an annotator's
    F1 is the mean item F1 over all their comparisons with the others (item-weighted); the
    dataset F1 the mean over all comparisons; a class F1 pools that class's shapes over all
    pairs of annotators. Values with nothing to average are NaN.

Consensus (:func:`cluster_shapes`, :func:`consensus`)
    Matched pairs (same class or not) from every pair of annotators, strongest first, join
    clusters unless that would put two shapes of one annotator in one cluster. The class is the
    majority vote, ties going to the lowest class id.

Tags (image-level labels; the functions live in :mod:`labelhub.metrics.classification`)
    Ratings are (items x raters) arrays; missing ratings are NaN or equal to ``missing``.
    :func:`pairwise_cohen_kappa` (scikit-learn's Cohen's kappa per pair, over the items both
    rated), :func:`fleiss_kappa` (statsmodels), :func:`krippendorff_alpha` (the krippendorff
    package, nominal). Undefined values (a single category used, no item rated twice, no
    overlap) are NaN with an :class:`UndefinedMetricWarning` that gives the reason, where the
    oracles raise or divide by zero.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from labelhub.errors import Cancelled, InvalidInput
from labelhub.metrics.assignment import sparse_assignment
from labelhub.metrics.classification import (
    UndefinedMetricWarning,
    fleiss_kappa,
    krippendorff_alpha,
    pairwise_cohen_kappa,
    rating_counts,
)
from labelhub.metrics.iou import (
    COCO_KEYPOINT_SIGMAS,
    RlePack,
    box_iou_pairs,
    oks_pairs,
    rle_pack_iou_pairs,
)

__all__ = [
    "AgreementReport", "Cluster", "Comparison", "Consensus", "ItemMatch", "ShapeTable", "Shapes",
    "UndefinedMetricWarning", "agreement_report", "cluster_shapes", "consensus",
    "fleiss_kappa", "krippendorff_alpha", "match_item", "pairwise_cohen_kappa", "rating_counts",
]

Progress = Callable[[int, int, str], None]
_EDGE_CHUNK = 1 << 21


def _ints(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise InvalidInput(f"{name} must be a 1-D array of integers, got {arr.dtype} {arr.shape}.")
    return arr.astype(np.int64, copy=False)


@dataclass(frozen=True, eq=False)
class Shapes:
    """Shapes of one kind: class ids plus boxes, masks or keypoints, one row per shape.

    - boxes: ``boxes`` (n, 4) x, y, width, height.
    - polygons and masks: ``masks``, n COCO uncompressed RLE counts over the same image
      (rasterise polygons first); ``boxes`` optional.
    - keypoints: ``keypoints`` (n, K, 3) x, y, visibility; ``areas`` (n,); ``boxes`` (n, 4);
      ``sigmas`` (K,), by default COCO's person sigmas when K is 17.
    """

    labels: np.ndarray
    boxes: np.ndarray | None = None
    masks: Sequence[np.ndarray] | None = None
    keypoints: np.ndarray | None = None
    areas: np.ndarray | None = None
    sigmas: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(np.asarray(self.labels))
        set_ = object.__setattr__
        set_(self, "labels", _ints(self.labels, "labels"))
        if self.boxes is not None:
            boxes = np.asarray(self.boxes, dtype=np.float64).reshape(-1, 4) if n else np.zeros((0, 4))
            set_(self, "boxes", boxes)
        if self.masks is not None:
            set_(self, "masks", tuple(np.asarray(m, dtype=np.int64) for m in self.masks))
        if self.keypoints is not None:
            kp = np.asarray(self.keypoints, dtype=np.float64)
            k = kp.shape[1] if kp.ndim == 3 else (len(self.sigmas) if self.sigmas is not None else 17)
            if kp.size != n * k * 3 or self.areas is None:
                raise InvalidInput(f"Keypoints must be ({n}, K, 3) with one area per shape.")
            kp = kp.reshape(n, k, 3)
            if self.sigmas is None and k != 17:
                raise InvalidInput(f"Keypoints with {k} points need their sigmas.")
            sig = COCO_KEYPOINT_SIGMAS if self.sigmas is None else np.asarray(self.sigmas, float)
            set_(self, "keypoints", kp)
            set_(self, "sigmas", sig.reshape(-1))
            set_(self, "areas", np.asarray(self.areas, dtype=np.float64).reshape(-1))
            if self.boxes is None or self.areas.shape != (n,) or sig.size != k:
                raise InvalidInput("Keypoints need one area and one box per shape and K sigmas.")
        sizes = {"boxes": None if self.boxes is None else len(self.boxes),
                 "masks": None if self.masks is None else len(self.masks)}
        for name, size in sizes.items():
            if size is not None and size != n:
                raise InvalidInput(f"{n} labels but {size} {name}.")
        if self.boxes is None and self.masks is None:
            raise InvalidInput("Shapes need boxes, masks or keypoints.")

    @property
    def kind(self) -> str:
        """``"keypoints"``, ``"mask"`` or ``"box"``: what the shapes are compared by."""
        if self.keypoints is not None:
            return "keypoints"
        return "mask" if self.masks is not None else "box"

    def __len__(self) -> int:
        return int(self.labels.size)

    @cached_property
    def pack(self) -> RlePack:
        """The masks packed for fast pairwise overlaps."""
        return RlePack(self.masks or ())

    def take(self, index: Any) -> Shapes:
        """The shapes at ``index`` (an integer array), in that order."""
        idx = np.asarray(index, dtype=np.int64)
        pick = (lambda a: None if a is None else a[idx])  # noqa: E731
        return Shapes(self.labels[idx], pick(self.boxes),
                      None if self.masks is None else [self.masks[i] for i in idx],
                      pick(self.keypoints), pick(self.areas), self.sigmas)

    @staticmethod
    def concat(parts: Sequence[Shapes]) -> Shapes:
        """All shapes of ``parts`` (of one kind), one after the other."""
        if not parts:
            raise InvalidInput("Nothing to concatenate.")
        kinds = {p.kind for p in parts}
        if len(kinds) != 1:
            raise InvalidInput(f"Shapes of different kinds cannot be compared: {sorted(kinds)}.")
        join = (lambda name: None if any(getattr(p, name) is None for p in parts)  # noqa: E731
                else np.concatenate([getattr(p, name) for p in parts]))
        masks = None if parts[0].masks is None else [m for p in parts for m in p.masks]
        return Shapes(join("labels"), join("boxes"), masks, join("keypoints"), join("areas"),
                      parts[0].sigmas)


def _similarity(sa: Shapes, ia: np.ndarray, sb: Shapes, ib: np.ndarray) -> np.ndarray:
    """Similarity of shape pairs (sa[ia[p]], sb[ib[p]])."""
    if sa.kind == "box":
        return box_iou_pairs(sa.boxes[ia], sb.boxes[ib])
    if sa.kind == "mask":
        return rle_pack_iou_pairs(sa.pack, sb.pack, ia, ib, np.zeros(ia.size, dtype=bool))
    ab = oks_pairs(sa.keypoints[ia], sb.keypoints[ib], sb.areas[ib], sa.sigmas, sb.boxes[ib])
    ba = oks_pairs(sb.keypoints[ib], sa.keypoints[ia], sa.areas[ia], sa.sigmas, sa.boxes[ia])
    return 0.5 * (ab + ba)


def _similarity_matrix(s: Shapes, t: Shapes) -> np.ndarray:
    i, j = np.repeat(np.arange(len(s)), len(t)), np.tile(np.arange(len(t)), len(s))
    return _similarity(s, i, t, j).reshape(len(s), len(t))


def _segments(count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For consecutive groups of the given sizes: group number and rank of every element."""
    group = np.repeat(np.arange(count.size), count)
    start = np.cumsum(count) - count
    return group, np.arange(group.size) - start[group]


class _Side:
    """One side of a comparison: rows of ``shapes`` taking part, sorted by item, with their
    items, labels and (boxes) corners x0, y0, x1, y1 gathered once."""

    def __init__(self, shapes: Shapes, rows: np.ndarray, item: np.ndarray) -> None:
        order = np.argsort(item, kind="stable")
        self.shapes, self.rows, self.item = shapes, rows[order], item[order]
        self.label = shapes.labels[self.rows]
        if shapes.kind == "box":
            b = shapes.boxes[self.rows]
            # x + w exactly as box_iou_pairs computes it, so the prefilter agrees bit for bit.
            self.corners = (b[:, 0].copy(), b[:, 1].copy(), b[:, 2] + b[:, 0], b[:, 3] + b[:, 1])


def _side(shapes: Shapes, rows: np.ndarray, item: np.ndarray, keep: np.ndarray) -> _Side:
    rows = rows[keep[item[rows]]]
    return _Side(shapes, rows, item[rows])


def _overlapping(
    a: _Side, b: _Side, ea: np.ndarray, eb: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Edges whose boxes overlap (positive width, then height): the others have IoU 0."""
    for lo, hi in ((0, 2), (1, 3)):
        extent = np.minimum(a.corners[hi][ea], b.corners[hi][eb])
        extent -= np.maximum(a.corners[lo][ea], b.corners[lo][eb])
        keep = np.flatnonzero(extent > 0)
        ea, eb = ea[keep], eb[keep]
    return ea, eb


@dataclass(frozen=True)
class Comparison:
    """Matches between two annotators (``b == -1``: against ground truth) over a dataset.

    Per compared item: ``items``, ``n_a``, ``n_b``, ``matched`` (same-class matches),
    ``disagreements`` (matches of different classes), ``f1``. Per matched pair: ``match_a``,
    ``match_b`` (rows of the tables' shapes), ``match_iou``, ``match_same_class``.
    """

    a: int
    b: int
    items: np.ndarray
    n_a: np.ndarray
    n_b: np.ndarray
    matched: np.ndarray
    disagreements: np.ndarray
    f1: np.ndarray
    match_a: np.ndarray
    match_b: np.ndarray
    match_iou: np.ndarray
    match_same_class: np.ndarray


def _compare(
    a: _Side, b: _Side, compared: np.ndarray, threshold: float, ids: tuple[int, int],
    tick: Callable[[float], None] = lambda fraction: None,
) -> Comparison:
    if a.shapes.kind != b.shapes.kind:
        raise InvalidInput(f"Cannot compare {a.shapes.kind} shapes with {b.shapes.kind} shapes.")
    if not 0.0 <= threshold <= 1.0:
        raise InvalidInput(f"The IoU threshold must lie between 0 and 1, not {threshold}.")
    n_items = compared.size
    na = np.bincount(a.item, minlength=n_items)
    nb = np.bincount(b.item, minlength=n_items)
    sb = np.cumsum(nb) - nb
    edges_per_a = nb[a.item]
    # Chunks of whole items with about _EDGE_CHUNK candidate pairs each.
    starts = np.flatnonzero(np.r_[True, a.item[1:] != a.item[:-1]]) if a.item.size else [0]
    chunk = (np.cumsum(edges_per_a) - edges_per_a)[starts] // _EDGE_CHUNK if a.item.size \
        else np.zeros(1, dtype=np.int64)
    bounds = np.r_[np.asarray(starts)[np.r_[True, np.diff(chunk) > 0]], a.item.size]
    picks: list[tuple[np.ndarray, ...]] = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        src, within = _segments(edges_per_a[lo:hi])
        ea = lo + src
        eb = sb[a.item[ea]] + within
        if a.shapes.kind == "box":
            ea, eb = _overlapping(a, b, ea, eb)
        sim = _similarity(a.shapes, a.rows[ea], b.shapes, b.rows[eb])
        ok = np.flatnonzero((sim >= threshold) & (sim > 0))
        ea, eb, sim = ea[ok], eb[ok], sim[ok]
        same = a.label[ea] == b.label[eb]
        first = np.flatnonzero(same)
        first = first[sparse_assignment(ea[first], eb[first], 1.0 - sim[first], a.item[ea[first]])]
        used_a = np.zeros(a.rows.size, dtype=bool)
        used_b = np.zeros(b.rows.size, dtype=bool)
        used_a[ea[first]] = True
        used_b[eb[first]] = True
        second = np.flatnonzero(~same & ~used_a[ea] & ~used_b[eb])
        second = second[sparse_assignment(ea[second], eb[second], 1.0 - sim[second],
                                          a.item[ea[second]])]
        pick = np.concatenate([first, second])
        pick.sort()
        picks.append((a.rows[ea[pick]], b.rows[eb[pick]], sim[pick], same[pick], a.item[ea[pick]]))
        tick(hi / max(a.item.size, 1))
    ma, mb, miou, msame, mitem = (np.concatenate(c) for c in zip(*picks, strict=True))
    items = np.flatnonzero(compared)
    matched = np.bincount(mitem[msame], minlength=n_items)[items]
    disagree = np.bincount(mitem[~msame], minlength=n_items)[items]
    total = na[items] + nb[items]
    f1 = np.where(total > 0, 2.0 * matched / np.maximum(total, 1), 1.0)
    return Comparison(ids[0], ids[1], items, na[items], nb[items], matched, disagree, f1,
                      ma, mb, miou, msame)


@dataclass(frozen=True)
class ItemMatch:
    """Matching of two annotators' shapes on one item (indices into each side's Shapes)."""

    a: np.ndarray
    b: np.ndarray
    iou: np.ndarray
    same_class: np.ndarray
    missed_a: np.ndarray
    missed_b: np.ndarray
    n_a: int
    n_b: int

    @property
    def class_disagreements(self) -> np.ndarray:
        """(k, 2) index pairs (a, b) matched by place but labelled with different classes."""
        d = ~self.same_class
        return np.stack([self.a[d], self.b[d]], axis=1)

    @property
    def f1(self) -> float:
        """2 * same-class matches / (n_a + n_b); 1.0 when both sides are empty."""
        total = self.n_a + self.n_b
        return 1.0 if total == 0 else 2.0 * int(self.same_class.sum()) / total


def match_item(a: Shapes, b: Shapes, iou_threshold: float = 0.5) -> ItemMatch:
    """Match two annotators' shapes on one item (see the module docstring for the rules)."""
    sides = [_Side(s, np.arange(len(s)), np.zeros(len(s), dtype=np.int64)) for s in (a, b)]
    c = _compare(sides[0], sides[1], np.ones(1, dtype=bool), iou_threshold, (0, 1))
    order = np.argsort(c.match_a, kind="stable")
    pa, pb = c.match_a[order], c.match_b[order]
    return ItemMatch(pa, pb, c.match_iou[order], c.match_same_class[order],
                     np.setdiff1d(np.arange(len(a)), pa), np.setdiff1d(np.arange(len(b)), pb),
                     len(a), len(b))


@dataclass(frozen=True, eq=False)
class ShapeTable:
    """Every shape of a dataset for agreement: ``shapes`` row r belongs to item ``item[r]``
    (0 .. n_items-1) and annotator ``annotator[r]`` (0 .. n_annotators-1).

    ``submitted`` (n_items, n_annotators) bool says who labelled which item (an empty set of
    shapes then counts as "nothing there"); None means everyone labelled every item.
    """

    shapes: Shapes
    item: np.ndarray
    annotator: np.ndarray
    n_items: int
    n_annotators: int
    submitted: np.ndarray | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "item", _ints(self.item, "item"))
        object.__setattr__(self, "annotator", _ints(self.annotator, "annotator"))
        n = len(self.shapes)
        if self.item.size != n or self.annotator.size != n:
            raise InvalidInput(f"{n} shapes need {n} item and annotator numbers.")
        for name, col, top in (("item", self.item, self.n_items),
                               ("annotator", self.annotator, self.n_annotators)):
            if n and (col.min() < 0 or col.max() >= top):
                raise InvalidInput(f"{name} numbers must lie in 0 .. {top - 1}.")
        if self.submitted is not None:
            sub = np.asarray(self.submitted, dtype=bool)
            if sub.shape != (self.n_items, self.n_annotators):
                raise InvalidInput(f"submitted must have shape ({self.n_items}, "
                                   f"{self.n_annotators}), not {sub.shape}.")
            object.__setattr__(self, "submitted", sub)

    @classmethod
    def from_items(cls, items: Sequence[Sequence[Shapes | None]]) -> ShapeTable:
        """Build from ``items[i][k]``: annotator k's shapes on item i, None if not submitted."""
        n_ann = max((len(row) for row in items), default=0)
        parts, item, ann = [], [], []
        sub = np.zeros((len(items), n_ann), dtype=bool)
        for i, row in enumerate(items):
            for k, s in enumerate(row):
                if s is not None:
                    sub[i, k] = True
                    parts.append(s)
                    item.append(np.full(len(s), i))
                    ann.append(np.full(len(s), k))
        if not parts:
            raise InvalidInput("No annotator submitted any item.")
        return cls(Shapes.concat(parts), np.concatenate(item), np.concatenate(ann),
                   len(items), n_ann, sub)

    def items_of(self, k: int) -> np.ndarray:
        """(n_items,) bool: the items annotator k labelled."""
        if self.submitted is None:
            return np.ones(self.n_items, dtype=bool)
        return self.submitted[:, k]


@dataclass(frozen=True)
class AgreementReport:
    """Dataset agreement. K annotators, classes ``classes``; matrices are (K, K) with NaN on
    the diagonal and where two annotators share no item. ``pair_missed[a, b]`` counts a's
    shapes with no partner at all among b's; ``pair_disagreements`` counts the pairs matched
    with different classes. Classes, their F1 and their shape counts pool all pairs."""

    iou_threshold: float
    pair_f1: np.ndarray
    pair_items: np.ndarray
    pair_matched: np.ndarray
    pair_disagreements: np.ndarray
    pair_missed: np.ndarray
    annotator_f1: np.ndarray
    annotator_gt_f1: np.ndarray
    classes: np.ndarray
    class_f1: np.ndarray
    class_shapes: np.ndarray
    f1: float
    item_f1: np.ndarray
    comparisons: list[Comparison] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready numbers (NaN becomes None)."""
        def plain(x: Any) -> Any:
            arr = np.asarray(x, dtype=np.float64)
            out = np.where(np.isnan(arr), None, arr).tolist() if arr.ndim else (
                None if np.isnan(arr) else float(arr))
            return out
        return {
            "iou_threshold": self.iou_threshold, "f1": plain(self.f1),
            "pair_f1": plain(self.pair_f1), "pair_items": self.pair_items.tolist(),
            "pair_matched": self.pair_matched.tolist(),
            "pair_disagreements": self.pair_disagreements.tolist(),
            "pair_missed": self.pair_missed.tolist(),
            "annotator_f1": plain(self.annotator_f1),
            "annotator_gt_f1": plain(self.annotator_gt_f1),
            "classes": {str(c): {"f1": plain(f), "shapes": int(n)} for c, f, n in
                        zip(self.classes, self.class_f1, self.class_shapes, strict=True)},
        }


def agreement_report(
    table: ShapeTable,
    *,
    iou_threshold: float = 0.5,
    ground_truth: ShapeTable | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> AgreementReport:
    """Agreement of every pair of annotators over a dataset, and of each with ground truth.

    ``ground_truth``: the accepted labels as a table with one "annotator"; its ``submitted``
    column marks the items that have been reviewed (None: all). Long work: ``progress(done,
    total, message)`` is called as it goes; setting ``cancel`` raises :class:`Cancelled`.

    Columnar: candidate pairs of all items are formed and scored in vectorised chunks (boxes
    that do not overlap are dropped before any IoU), and the assignments of all items are
    solved together (:func:`~labelhub.metrics.assignment.sparse_assignment`). 100,000 items x
    3 annotators x ~10 boxes take about 4 s (``benchmarks/agreement.py``).
    """
    if ground_truth is not None and (ground_truth.n_items != table.n_items
                                     or ground_truth.n_annotators != 1):
        raise InvalidInput("Ground truth must cover the same items, as a single annotator.")
    k = table.n_annotators
    rows = np.arange(len(table.shapes))
    by_ann = [rows[table.annotator == i] for i in range(k)]
    jobs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    jobs += [(i, -1) for i in range(k)] if ground_truth is not None else []
    comparisons: list[Comparison] = []

    def tick(fraction: float) -> None:
        if cancel is not None and cancel.is_set():
            raise Cancelled("The agreement computation was cancelled.")
        if progress is not None:
            done = int(1000 * (len(comparisons) + fraction))
            progress(done, 1000 * len(jobs), "Matching annotators' shapes")

    for i, j in jobs:
        if j >= 0:
            both = table.items_of(i) & table.items_of(j)
            other = _side(table.shapes, by_ann[j], table.item, both)
        else:
            both = table.items_of(i) & ground_truth.items_of(0)
            other = _side(ground_truth.shapes, np.arange(len(ground_truth.shapes)),
                          ground_truth.item, both)
        mine = _side(table.shapes, by_ann[i], table.item, both)
        comparisons.append(_compare(mine, other, both, iou_threshold, (i, j), tick))
    if progress is not None:
        progress(1000 * len(jobs), 1000 * len(jobs), "Matching annotators' shapes")
    classes, label_idx = np.unique(table.shapes.labels, return_inverse=True)
    sums = np.zeros((k, k))
    counts, matched, disagree, missed = (np.zeros((k, k), dtype=np.int64) for _ in range(4))
    gt_sum, gt_n = np.zeros(k), np.zeros(k)
    cls_n, cls_m = np.zeros(classes.size), np.zeros(classes.size)
    item_sum, item_n = np.zeros(table.n_items), np.zeros(table.n_items)
    for c in comparisons:
        if c.b < 0:
            gt_sum[c.a] += c.f1.sum()
            gt_n[c.a] += c.items.size
            continue
        for x, y, nx in ((c.a, c.b, c.n_a), (c.b, c.a, c.n_b)):
            sums[x, y] = c.f1.sum()
            counts[x, y] = c.items.size
            matched[x, y] = c.matched.sum()
            disagree[x, y] = c.disagreements.sum()
            missed[x, y] = nx.sum() - c.matched.sum() - c.disagreements.sum()
        item_sum += np.bincount(c.items, weights=c.f1, minlength=table.n_items)
        item_n += np.bincount(c.items, minlength=table.n_items)
        both = np.zeros(table.n_items, dtype=bool)
        both[c.items] = True
        for who in (c.a, c.b):
            r = by_ann[who][both[table.item[by_ann[who]]]]
            cls_n += np.bincount(label_idx[r], minlength=classes.size)
        cls_m += 2 * np.bincount(label_idx[c.match_a[c.match_same_class]], minlength=classes.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        pair_f1 = sums / counts
        np.fill_diagonal(pair_f1, np.nan)
        return AgreementReport(
            iou_threshold, pair_f1, counts, matched, disagree, missed,
            sums.sum(axis=1) / counts.sum(axis=1), gt_sum / gt_n, classes, cls_m / cls_n,
            cls_n.astype(np.int64), float(sums.sum() / counts.sum()), item_sum / item_n,
            comparisons)


@dataclass(frozen=True)
class Cluster:
    """Shapes of different annotators that lie on one object: member m is shape
    ``indices[m]`` of annotator ``annotators[m]``; ``shapes`` holds the members, in order."""

    annotators: np.ndarray
    indices: np.ndarray
    shapes: Shapes

    @property
    def size(self) -> int:
        return int(self.annotators.size)


def cluster_shapes(sets: Sequence[Shapes], iou_threshold: float = 0.5) -> list[Cluster]:
    """Group one item's shapes from K annotators (``sets[k]``) into clusters.

    Every pair of annotators is matched as in :func:`match_item`; matched pairs, highest IoU
    first (ties in annotator and index order), merge their clusters unless an annotator would
    then have two shapes in one cluster. Unmatched shapes form clusters of one. Clusters come
    ordered by their first member.
    """
    offset = np.cumsum([0] + [len(s) for s in sets])
    edges = []
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            m = match_item(sets[i], sets[j], iou_threshold)
            edges += [(-float(v), int(offset[i] + x), int(offset[j] + y))
                      for v, x, y in zip(m.iou, m.a, m.b, strict=True)]
    owner = np.repeat(np.arange(len(sets)), np.diff(offset))
    parent = list(range(int(offset[-1])))
    members = {n: {int(owner[n])} for n in parent}

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for _, x, y in sorted(edges):
        rx, ry = root(x), root(y)
        if rx != ry and not members[rx] & members[ry]:
            parent[ry] = rx
            members[rx] |= members.pop(ry)
    groups: dict[int, list[int]] = {}
    for n in range(int(offset[-1])):
        groups.setdefault(root(n), []).append(n)
    everything = Shapes.concat(list(sets)) if sets else None
    out = []
    for nodes in sorted(groups.values()):
        idx = np.array(nodes)
        out.append(Cluster(owner[idx], idx - offset[owner[idx]], everything.take(idx)))
    return out


@dataclass(frozen=True)
class Consensus:
    """The merged shape of a cluster: ``shape`` (one row, labelled ``label``), the votes for
    that class, the cluster size, and ``source`` (annotator, index) of the member chosen, or
    None for a mean shape."""

    label: int
    votes: int
    support: int
    shape: Shapes
    source: tuple[int, int] | None


def consensus(cluster: Cluster, quorum: int = 1, method: str = "closest") -> Consensus | None:
    """Merge a cluster into one shape, or None when fewer than ``quorum`` annotators drew it.

    Class: majority vote over the members; a tie goes to the lowest class id. Shape, with
    ``method="closest"``: the member closest to the others (boxes and keypoints: highest
    similarity to the members' mean; masks: highest mean IoU to the other members; ties go to
    the first member); with ``"mean"``: the mean box, or for keypoints the mean position of
    each point over the members that labelled it (masks have no mean: InvalidInput).
    """
    if method not in ("closest", "mean"):
        raise InvalidInput(f'method must be "closest" or "mean", not {method!r}.')
    if cluster.size == 0 or cluster.size < quorum:
        return None
    s = cluster.shapes
    values, votes = np.unique(s.labels, return_counts=True)
    label = int(values[np.argmax(votes)])
    mean = None
    if s.kind == "mask":
        if method == "mean":
            raise InvalidInput('Masks have no mean shape; use method="closest".')
        sim = _similarity_matrix(s, s)
        score = (sim.sum(axis=1) - 1.0) / max(s.labels.size - 1, 1)
    else:
        box = s.boxes.mean(axis=0, keepdims=True)
        kp = area = None
        if s.kind == "keypoints":
            seen = s.keypoints[:, :, 2] > 0
            n = np.maximum(seen.sum(axis=0), 1)[:, None]
            xy = (s.keypoints[:, :, :2] * seen[:, :, None]).sum(axis=0) / n
            kp = np.concatenate([xy, s.keypoints[:, :, 2:].max(axis=0)], axis=1)[None]
            area = s.areas.mean(keepdims=True)
        mean = Shapes(np.array([label]), box, None, kp, area, s.sigmas)
        score = _similarity_matrix(s, mean)[:, 0]
    if method == "mean":
        return Consensus(label, int(votes.max()), cluster.size, mean, None)
    best = int(np.argmax(score))
    chosen = s.take([best])
    chosen = Shapes(np.array([label]), chosen.boxes, chosen.masks, chosen.keypoints,
                    chosen.areas, chosen.sigmas)
    return Consensus(label, int(votes.max()), cluster.size, chosen,
                     (int(cluster.annotators[best]), int(cluster.indices[best])))
