"""Operating-point report of a detection evaluation: what happens at one score threshold.

``threshold_report(result, score, t)`` (called as ``EvaluationResult.at_threshold(score, iou)``)
keeps the detections scoring at least ``score`` and reuses the evaluation's own matching at
IoU threshold ``t``, area range "all", the largest max_dets. Greedy matching goes by descending
score, so the matches of the kept detections are exactly those of the full evaluation, and the
counts agree with the COCO precision/recall curve at that score:

* true positive (TP): a kept detection matched to a ground truth of its class;
* false positive (FP): a kept detection matched to nothing;
* ignored: a kept detection matched to a crowd or ignored ground truth, or unmatched and
  outside the area range: neither TP nor FP, as in COCO;
* false negative (FN): a non-ignored ground truth no kept detection matched;
* not evaluated: kept detections beyond max_dets[-1] in their image and category.

Precision = TP / (TP + FP), recall = TP / (TP + FN), F1 their harmonic mean; each is 0 when its
denominator is 0. ``overall`` sums the counts over categories (micro average).

Confusion matrix, rows = true class, columns = predicted class, the last row and column being
"background". The rule:

1. same-class matches come first: every TP adds 1 to the diagonal cell of its class;
2. then, ignoring class, the FPs of each image, best score first, are matched greedily to that
   image's FNs (the FN with the highest IoU >= the threshold, the later one on ties; each FN used
   once): every such pair is a confusion, counted in (FN's class, FP's class);
3. FPs left over count in (background, predicted class); FNs left over in (true class,
   background).

Crowd and ignored ground truths and ignored detections stay out of the matrix, so its row sums
are the non-ignored ground truths per class (plus background FPs) and its column sums the
counted detections per class (plus missed ground truths).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from labelhub.metrics.detection_match import (
    greedy_match,
    group_pairs,
    pair_overlaps,
    rank_in_runs,
)

if TYPE_CHECKING:
    from labelhub.metrics.detection import EvaluationResult

__all__ = ["ClassCounts", "ImageOutcome", "ThresholdReport", "threshold_report"]


@dataclass(frozen=True)
class ClassCounts:
    """Counts and rates of one category (``category_id`` None for the overall sum)."""

    category_id: int | None
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float

    @classmethod
    def of(cls, category_id: int | None, tp: int, fp: int, fn: int) -> ClassCounts:
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        return cls(category_id, int(tp), int(fp), int(fn), float(p), float(r), float(f1))


@dataclass(frozen=True)
class ImageOutcome:
    """One image's outcome, as positions in the caller's detection and ground-truth inputs.

    ``tp``: (n, 2) rows of (detection, ground truth). ``fp``: detections. ``fn``: ground
    truths. ``confused``: (n, 2) rows of (detection, ground truth), the FPs that overlap a
    missed ground truth of another class (each also listed in ``fp`` and ``fn``).
    ``ignored``: detections neither TP nor FP. ``not_evaluated``: detections beyond max_dets.
    """

    image_id: int | str
    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    confused: np.ndarray
    ignored: np.ndarray
    not_evaluated: np.ndarray


@dataclass(frozen=True)
class ThresholdReport:
    """Results at one score threshold and IoU threshold; see the module docstring."""

    score_threshold: float
    iou_threshold: float
    per_class: dict[int, ClassCounts]
    overall: ClassCounts
    confusion: np.ndarray
    labels: tuple[int | str, ...]
    images: dict[int | str, ImageOutcome]


def _split(image_index: np.ndarray, values: np.ndarray, n_img: int) -> list[np.ndarray]:
    """Values grouped by image, ascending (by detection for pairs) within each image."""
    key = values if values.ndim == 1 else values[:, 0]
    order = np.lexsort((key, image_index))
    counts = np.bincount(image_index, minlength=n_img)
    return np.split(values[order], np.cumsum(counts)[:-1]) if n_img else []


def threshold_report(result: EvaluationResult, score: float, t: int) -> ThresholdReport:
    """The report for detections scoring >= ``score`` at IoU threshold index ``t``."""
    prep = result.prepared
    n_cat, n_img = prep.category_ids.size, prep.image_ids.size
    kept = prep.dt_score >= score
    match = result.match_all[t]
    ignored = result.dt_ignored_all[t]
    is_tp = kept & (match >= 0) & ~ignored
    is_fp = kept & (match < 0) & ~ignored
    is_ign = kept & ignored
    gt_hit = np.zeros(prep.gt_src.size, dtype=bool)
    gt_hit[match[is_tp]] = True
    is_fn = ~result.gt_ignored_all & ~gt_hit

    tp_k = np.bincount(prep.dt_cat[is_tp], minlength=n_cat)
    fp_k = np.bincount(prep.dt_cat[is_fp], minlength=n_cat)
    fn_k = np.bincount(prep.gt_cat[is_fn], minlength=n_cat)
    cats = prep.category_ids.tolist()
    per_class = {int(c): ClassCounts.of(int(c), tp_k[k], fp_k[k], fn_k[k])
                 for k, c in enumerate(cats)}
    overall = ClassCounts.of(None, tp_k.sum(), fp_k.sum(), fn_k.sum())

    # Confusions: class-agnostic greedy matching of each image's FPs to its FNs.
    fp_idx = np.flatnonzero(is_fp)
    fp_idx = fp_idx[np.lexsort((prep.dt_src[fp_idx], -prep.dt_score[fp_idx],
                                prep.dt_img[fp_idx]))]
    fn_idx = np.flatnonzero(is_fn)
    fn_idx = fn_idx[np.lexsort((prep.gt_src[fn_idx], prep.gt_img[fn_idx]))]
    fp_img, fn_img = prep.dt_img[fp_idx], prep.gt_img[fn_idx]
    pair_fp, pair_fn = group_pairs(fp_img, fn_img)
    thr = float(result.params.iou_thresholds[t])
    ious = pair_overlaps(result.iou_type, result.ground_truths, result.detections,
                         prep.gt_src[fn_idx], prep.dt_src[fp_idx], pair_fp, pair_fn,
                         np.zeros(pair_fp.size, dtype=bool), result.params.sigmas,
                         prep.gt_area[fn_idx])
    conf = greedy_match(pair_fp, pair_fn, ious, rank_in_runs(fp_img), fp_idx.size,
                        rank_in_runs(fn_img), np.zeros((1, fn_idx.size), dtype=bool),
                        np.zeros(fn_idx.size, dtype=bool), np.array([thr]))[0, 0]
    confused = conf >= 0
    c_dt = fp_idx[confused]
    c_gt = fn_idx[conf[confused]]
    fn_confused = np.zeros(prep.gt_src.size, dtype=bool)
    fn_confused[c_gt] = True

    matrix = np.zeros((n_cat + 1, n_cat + 1), dtype=np.int64)
    matrix[np.arange(n_cat), np.arange(n_cat)] = tp_k
    np.add.at(matrix, (prep.gt_cat[c_gt], prep.dt_cat[c_dt]), 1)
    background_fp = fp_idx[~confused]
    np.add.at(matrix, (np.full(background_fp.size, n_cat), prep.dt_cat[background_fp]), 1)
    missed = np.flatnonzero(is_fn & ~fn_confused)
    np.add.at(matrix, (prep.gt_cat[missed], np.full(missed.size, n_cat)), 1)

    # Per-image lists in the caller's positions.
    tp_rows = np.flatnonzero(is_tp)
    tp_pairs = np.stack((prep.dt_src[tp_rows], prep.gt_src[match[tp_rows]]), axis=1)
    conf_pairs = np.stack((prep.dt_src[c_dt], prep.gt_src[c_gt]), axis=1)
    fp_rows, ign_rows, fn_rows = np.flatnonzero(is_fp), np.flatnonzero(is_ign), np.flatnonzero(is_fn)
    dt = result.detections
    cut = prep.dt_cut_src[dt.score[prep.dt_cut_src] >= score]
    cut_img = np.searchsorted(prep.image_ids, dt.image_id[cut]) if cut.size else cut
    parts = (
        _split(prep.dt_img[tp_rows], tp_pairs, n_img),
        _split(prep.dt_img[fp_rows], prep.dt_src[fp_rows], n_img),
        _split(prep.gt_img[fn_rows], prep.gt_src[fn_rows], n_img),
        _split(prep.dt_img[c_dt], conf_pairs, n_img),
        _split(prep.dt_img[ign_rows], prep.dt_src[ign_rows], n_img),
        _split(cut_img, cut, n_img),
    )
    images = {
        image_id: ImageOutcome(image_id, *(p[i] for p in parts))
        for i, image_id in enumerate(prep.image_ids.tolist())
    }
    return ThresholdReport(
        score_threshold=score,
        iou_threshold=thr,
        per_class=per_class,
        overall=overall,
        confusion=matrix,
        labels=(*(int(c) for c in cats), "background"),
        images=images,
    )
