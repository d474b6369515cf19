"""Matching two annotators' shapes: per item, over whole datasets at once.

numpy only; pure functions on arrays. Overlaps come from :mod:`labelhub.metrics.iou`.

Shapes and how they are compared
    :class:`Shapes` holds one annotator's shapes on one item (or, inside a
    :class:`~labelhub.metrics.agreement.ShapeTable`, every shape of a dataset): class ids plus
    one geometry. Boxes (xywh) are compared by box IoU; polygons and masks, as COCO
    uncompressed RLE counts over the image, by mask IoU; keypoint sets by object keypoint
    similarity (OKS). OKS is asymmetric (it scales by the reference's area and uses the
    reference's labelled points), so between two annotators the similarity is the mean of the
    two directions.

Matching (:func:`match_item`, and :func:`compare` for whole datasets)
    A pair can match when its similarity is at least ``iou_threshold`` (``>=``: a pair exactly
    at the threshold matches) and above 0. First pass: pairs of the same class only. Second
    pass: the shapes left unmatched, pairs of different classes; those matches are class
    disagreements. Each pass is an assignment that matches as many shapes as possible and,
    among such assignments, maximises the summed IoU (minimum cost on 1 - IoU).

F1 (one item, two annotators)
    ``2 * same-class matches / (n_a + n_b)``; 1.0 when both are empty. A class disagreement
    counts as a miss on both sides.

Columnar: the candidate pairs of all items are formed and scored in vectorised chunks of whole
items (boxes that do not overlap are dropped before any IoU), and the assignments of all items
are solved together (:func:`~labelhub.metrics.assignment.sparse_assignment`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from labelhub.errors import InvalidInput
from labelhub.metrics.assignment import sparse_assignment
from labelhub.metrics.iou import (
    COCO_KEYPOINT_SIGMAS,
    RlePack,
    box_iou_pairs,
    oks_pairs,
    rle_pack_iou_pairs,
)

__all__ = [
    "Comparison", "ItemMatch", "Shapes", "Side", "as_ints", "compare", "match_item", "side_of",
    "similarity_matrix",
]

#: Candidate pairs scored per chunk (whole items per chunk).
_EDGE_CHUNK = 1 << 21


def as_ints(values: Any, name: str) -> np.ndarray:
    """``values`` as a 1-D int64 array (InvalidInput naming ``name`` otherwise)."""
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
        set_(self, "labels", as_ints(self.labels, "labels"))
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


def similarity_matrix(s: Shapes, t: Shapes) -> np.ndarray:
    """(len(s), len(t)) similarity of every shape of ``s`` with every shape of ``t``."""
    i, j = np.repeat(np.arange(len(s)), len(t)), np.tile(np.arange(len(t)), len(s))
    return _similarity(s, i, t, j).reshape(len(s), len(t))


def _segments(count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For consecutive groups of the given sizes: group number and rank of every element."""
    group = np.repeat(np.arange(count.size), count)
    start = np.cumsum(count) - count
    return group, np.arange(group.size) - start[group]


class Side:
    """One side of a comparison: rows of ``shapes`` taking part, sorted by item, with their
    items, labels and (boxes) corners x0, y0, x1, y1 gathered once."""

    def __init__(self, shapes: Shapes, rows: np.ndarray, item: np.ndarray) -> None:
        if item.size > 1 and bool((item[1:] < item[:-1]).any()):
            order = np.argsort(item, kind="stable")
            rows, item = rows[order], item[order]
        self.shapes, self.rows, self.item = shapes, rows, item
        self.label = shapes.labels[self.rows]
        if shapes.kind == "box":
            b = shapes.boxes[self.rows]
            # x + w exactly as box_iou_pairs computes it, so the prefilter agrees bit for bit.
            self.corners = (b[:, 0].copy(), b[:, 1].copy(), b[:, 2] + b[:, 0], b[:, 3] + b[:, 1])


def side_of(shapes: Shapes, rows: np.ndarray, item: np.ndarray, keep: np.ndarray) -> Side:
    """The side made of ``shapes`` rows ``rows`` whose item (``item[row]``) is kept."""
    rows = rows[keep[item[rows]]]
    return Side(shapes, rows, item[rows])


def _overlapping(
    a: Side, b: Side, ea: np.ndarray, eb: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Edges whose boxes overlap (positive width, then height): the others have IoU 0."""
    for lo, hi in ((0, 2), (1, 3)):
        extent = np.minimum(a.corners[hi][ea], b.corners[hi][eb])
        extent -= np.maximum(a.corners[lo][ea], b.corners[lo][eb])
        keep = np.flatnonzero(extent > 0)
        ea, eb = ea[keep], eb[keep]
    return ea, eb


def _candidates(a: Side, b: Side, sb: np.ndarray, nb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each shape of ``a``, the shapes of ``b`` that may overlap it: a run of ``count``
    entries of ``order`` (positions in ``b``) from ``start``. Every shape of the same item, or
    for boxes only those whose left edge lies within reach of its x extent (b's shapes sorted
    by item, then left edge; reach: the widest of b's boxes on the item). A superset of the
    boxes overlapping in x, found by two binary searches per box; _overlapping decides."""
    start, count, order = sb[a.item], nb[a.item], np.arange(b.item.size)
    if a.shapes.kind != "box" or not a.item.size or not b.item.size:
        return start, count, order
    ax0, ax1, bx0, bx1 = a.corners[0], a.corners[2], b.corners[0], b.corners[2]
    if not all(np.isfinite(v).all() for v in (ax0, ax1, bx0, bx1)):
        return start, count, order
    width = bx1 - bx0
    reach = np.zeros(nb.size)
    np.maximum.at(reach, b.item, np.maximum(width, 0.0))
    low = min(float(ax0.min()), float(bx0.min())) - float(reach.max())
    span = 2.0 * (max(float(ax1.max()), float(bx1.max())) - low) + 1.0  # items never mix
    key = b.item * span + (bx0 - low)
    order = np.argsort(key, kind="stable")
    key = key[order]
    # Rounding of the keys is far below this margin: the runs can only come out wider.
    margin = 64.0 * float(np.spacing(np.abs(key).max() + span)) + 1e-9 * span
    base = a.item * span - low
    first = np.searchsorted(key, base + (ax0 - reach[a.item]) - margin, side="left")
    last = np.searchsorted(key, base + ax1 + margin, side="right")
    first = np.clip(first, start, start + count)
    last = np.clip(last, first, start + count)
    return first, last - first, order


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


def compare(
    a: Side, b: Side, compared: np.ndarray, threshold: float, ids: tuple[int, int],
    tick: Callable[[float], None] = lambda fraction: None,
) -> Comparison:
    """Match side ``a`` with side ``b`` on the items where ``compared`` (n_items,) is True;
    ``ids`` name the two sides in the result; ``tick(fraction)`` after each chunk."""
    if a.shapes.kind != b.shapes.kind:
        raise InvalidInput(f"Cannot compare {a.shapes.kind} shapes with {b.shapes.kind} shapes.")
    if not 0.0 <= threshold <= 1.0:
        raise InvalidInput(f"The IoU threshold must lie between 0 and 1, not {threshold}.")
    n_items = compared.size
    na = np.bincount(a.item, minlength=n_items)
    nb = np.bincount(b.item, minlength=n_items)
    sb = np.cumsum(nb) - nb
    first_b, edges_per_a, order_b = _candidates(a, b, sb, nb)
    # Chunks of whole items with about _EDGE_CHUNK candidate pairs each.
    starts = np.flatnonzero(np.r_[True, a.item[1:] != a.item[:-1]]) if a.item.size else [0]
    chunk = (np.cumsum(edges_per_a) - edges_per_a)[starts] // _EDGE_CHUNK if a.item.size \
        else np.zeros(1, dtype=np.int64)
    bounds = np.r_[np.asarray(starts)[np.r_[True, np.diff(chunk) > 0]], a.item.size]
    picks: list[tuple[np.ndarray, ...]] = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        src, within = _segments(edges_per_a[lo:hi])
        ea = lo + src
        eb = order_b[first_b[ea] + within]
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
    sides = [Side(s, np.arange(len(s)), np.zeros(len(s), dtype=np.int64)) for s in (a, b)]
    c = compare(sides[0], sides[1], np.ones(1, dtype=bool), iou_threshold, (0, 1))
    order = np.argsort(c.match_a, kind="stable")
    pa, pb = c.match_a[order], c.match_b[order]
    return ItemMatch(pa, pb, c.match_iou[order], c.match_same_class[order],
                     np.setdiff1d(np.arange(len(a)), pa), np.setdiff1d(np.arange(len(b)), pb),
                     len(a), len(b))

