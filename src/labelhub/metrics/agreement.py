"""Agreement between annotators: shape matching, dataset roll-ups, consensus, tag agreement.

numpy only; pure functions on arrays. The module is the public entry point; the work is split
by concept:

* :mod:`labelhub.metrics.agreement_match`: :class:`Shapes`, how two annotators' shapes are
  compared and matched (:func:`match_item`; same class first, a configurable IoU threshold
  reached with ``>=``; F1 per item);
* here: :class:`ShapeTable` (every shape of a dataset) and :func:`agreement_report`, the
  dataset roll-ups;
* :mod:`labelhub.metrics.agreement_consensus`: clusters of one item's shapes from several
  annotators and their consensus (:func:`cluster_shapes`, :func:`consensus`);
* :mod:`labelhub.metrics.classification`: agreement on tags (re-exported here).

Dataset roll-ups (:func:`agreement_report`)
    The items compared for annotators a and b are those both submitted (all items when the
    table has no ``submitted`` matrix). Pair F1 is the mean item F1 over them; an annotator's
    F1 is the mean item F1 over all their comparisons with the others (item-weighted); the
    dataset F1 the mean over all comparisons; a class F1 pools that class's shapes over all
    pairs of annotators (``2 * same-class matches of the class / its shapes``). Values with
    nothing to average are NaN.

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
from typing import Any

import numpy as np

from labelhub.errors import Cancelled, InvalidInput
from labelhub.metrics.agreement_consensus import Cluster, Consensus, cluster_shapes, consensus
from labelhub.metrics.agreement_match import (
    Comparison,
    ItemMatch,
    Shapes,
    as_ints,
    compare,
    match_item,
    side_of,
)
from labelhub.metrics.classification import (
    UndefinedMetricWarning,
    fleiss_kappa,
    krippendorff_alpha,
    pairwise_cohen_kappa,
    rating_counts,
)

__all__ = [
    "AgreementReport", "Cluster", "Comparison", "Consensus", "ItemMatch", "ShapeTable", "Shapes",
    "UndefinedMetricWarning", "agreement_report", "cluster_shapes", "consensus",
    "fleiss_kappa", "krippendorff_alpha", "match_item", "pairwise_cohen_kappa", "rating_counts",
]

Progress = Callable[[int, int, str], None]


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
        object.__setattr__(self, "item", as_ints(self.item, "item"))
        object.__setattr__(self, "annotator", as_ints(self.annotator, "annotator"))
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


def _codes(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(labels, return_inverse=True)``, by counting when the ids are small."""
    if labels.size and labels.min() >= 0 and labels.max() < 4 * labels.size + 1024:
        present = np.bincount(labels) > 0
        classes = np.flatnonzero(present)
        code = np.cumsum(present) - 1
        return classes, code[labels]
    return np.unique(labels, return_inverse=True)


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

    Columnar (see :mod:`~labelhub.metrics.agreement_match`): 100,000 items x 3 annotators x
    ~10 boxes take about 3 s (``benchmarks/agreement.py``).
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
            other = side_of(table.shapes, by_ann[j], table.item, both)
        else:
            both = table.items_of(i) & ground_truth.items_of(0)
            other = side_of(ground_truth.shapes, np.arange(len(ground_truth.shapes)),
                            ground_truth.item, both)
        mine = side_of(table.shapes, by_ann[i], table.item, both)
        comparisons.append(compare(mine, other, both, iou_threshold, (i, j), tick))
    if progress is not None:
        progress(1000 * len(jobs), 1000 * len(jobs), "Matching annotators' shapes")
    classes, label_idx = _codes(table.shapes.labels)
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

