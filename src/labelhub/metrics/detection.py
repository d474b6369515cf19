"""COCO-style detection evaluation (boxes, masks, keypoints) with pycocotools' exact semantics.

numpy only, no pycocotools at run time. Public API::

    evaluate_detections(ground_truths, detections, iou_type=None, *, image_ids=None,
                        category_ids=None, params=None, sigmas=None, progress=None,
                        cancel=None) -> EvaluationResult
        ground_truths: GroundTruthArrays or a sequence of GroundTruth
        detections:    DetectionArrays or a sequence of Detection
        iou_type:      "bbox" (default), "segm" (uncompressed RLE counts) or "keypoints";
                       taken from params when those are given
        image_ids:     the evaluated images (default: every image named by a ground truth or
                       a detection); detections of other images are left out. List images
                       without any annotation too if you pass it; they change nothing.
        category_ids:  the evaluated categories (default: every category named by either);
                       categories with no ground truth get -1 (absent) in the arrays.
        params:        EvaluationParams (default: EvaluationParams.for_iou_type(iou_type))
        sigmas:        keypoint sigmas (default: the 17 COCO person sigmas)
        progress(done, total, message), cancel.is_set(): the long-work convention; a
        cancelled evaluation raises labelhub.errors.Cancelled.

    EvaluationResult
        .stats -> tuple of 12 floats (10 for keypoints) in pycocotools' summarize order;
        .stat_names; .precision (T, R, K, A, M); .recall (T, K, A, M); .scores (T, R, K, A, M)
        (pycocotools' layout; -1 where a category has no ground truth in that area range);
        .image_ids, .category_ids, .params, .iou_type
        .per_class() -> list[ClassResult]   AP@[.5:.95], AP50, AP75, AR@maxDets, counts
        .pr_curve(category_id, iou=0.5, area="all", max_dets=None) -> PRCurve
        .at_threshold(score, iou=0.5) -> ThresholdReport  (see detection_report)
        .summary_lines() -> list[str]  pycocotools' printed summary
        .to_dict() -> dict  JSON-ready: {"iou_type", "coco": [...], "stat_names", "per_class"}

The rules, as pycocotools applies them: per image and category, detections by descending score
(stable: ties keep input order) cut to max_dets[-1]; a ground truth is ignored when it is a
crowd (or, for keypoints, has num_keypoints == 0, or ``ignore`` is set) or its area lies outside
the area range (both ends inclusive); greedy matching as described in detection_match; an
unmatched detection outside the area range is ignored; a detection matched to an ignored ground
truth is ignored (so detections absorbed by a crowd are not false positives); 101-point
interpolated precision. ``ignore`` is the one extension: pycocotools overwrites it with
``iscrowd``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from labelhub.errors import Cancelled, InvalidInput
from labelhub.metrics.detection_accumulate import StatSpec, accumulate, stat_specs, summarize
from labelhub.metrics.detection_match import (
    Prepared,
    check_inputs,
    greedy_match,
    group_pairs,
    pair_overlaps,
    prepare,
)
from labelhub.metrics.detection_report import (
    ClassCounts,
    ImageOutcome,
    ThresholdReport,
    threshold_report,
)
from labelhub.metrics.detection_types import (
    Detection,
    DetectionArrays,
    EvaluationParams,
    GroundTruth,
    GroundTruthArrays,
)

__all__ = [
    "ClassCounts",
    "ClassResult",
    "Detection",
    "DetectionArrays",
    "EvaluationParams",
    "EvaluationResult",
    "GroundTruth",
    "GroundTruthArrays",
    "ImageOutcome",
    "PRCurve",
    "ThresholdReport",
    "evaluate_detections",
]

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ClassResult:
    """One category's results (area "all", the largest max_dets); -1 when it has no ground
    truth. ``num_gt`` counts non-ignored ground truths, ``num_dt`` evaluated detections."""

    category_id: int
    ap: float
    ap50: float
    ap75: float
    ar: float
    num_gt: int
    num_dt: int


@dataclass(frozen=True)
class PRCurve:
    """A category's precision/recall curve at one IoU threshold.

    ``recall_thresholds`` / ``precision`` / ``scores``: pycocotools' 101-point interpolated
    curve (precision is 0 past the highest recall reached). ``det_scores`` /
    ``det_precision`` / ``det_recall``: the raw curve, one point per counted detection in
    descending score order (area "all", the largest max_dets).
    """

    category_id: int
    iou_threshold: float
    recall_thresholds: np.ndarray
    precision: np.ndarray
    scores: np.ndarray
    det_scores: np.ndarray
    det_precision: np.ndarray
    det_recall: np.ndarray
    num_gt: int


class EvaluationResult:
    """What ``evaluate_detections`` found; see the module docstring."""

    def __init__(self, *, params: EvaluationParams, prepared: Prepared,
                 gt: GroundTruthArrays, dt: DetectionArrays, precision: np.ndarray,
                 recall: np.ndarray, scores: np.ndarray, stats: tuple[float, ...],
                 specs: tuple[StatSpec, ...], match_all: np.ndarray, dt_ignored_all: np.ndarray,
                 gt_ignored_all: np.ndarray) -> None:
        self.params = params
        self.iou_type = params.iou_type
        self.image_ids = prepared.image_ids
        self.category_ids = prepared.category_ids
        self.precision = precision
        self.recall = recall
        self.scores = scores
        self.stats = stats
        self.stat_specs = specs
        self.stat_names = tuple(spec.name for spec in specs)
        self.prepared = prepared
        self.ground_truths = gt
        self.detections = dt
        # Matching at area "all", every IoU threshold: (T, D) matched ground truth (sorted
        # index) or -1, and whether each detection is ignored.
        self.match_all = match_all
        self.dt_ignored_all = dt_ignored_all
        self.gt_ignored_all = gt_ignored_all

    # ------------------------------------------------------------------------------ lookups
    def _t(self, iou: float) -> int:
        hits = np.flatnonzero(np.isclose(self.params.iou_thresholds, iou, rtol=0, atol=1e-9))
        if hits.size == 0:
            choices = ", ".join(f"{t:.2f}" for t in self.params.iou_thresholds)
            raise InvalidInput(f"IoU threshold {iou} was not evaluated; use one of {choices}")
        return int(hits[0])

    def _k(self, category_id: int) -> int:
        hits = np.flatnonzero(self.category_ids == category_id)
        if hits.size == 0:
            raise InvalidInput(f"category {category_id} was not evaluated")
        return int(hits[0])

    def _a(self, area: str) -> int:
        labels = list(self.params.area_ranges)
        if area not in labels:
            raise InvalidInput(f"unknown area range {area!r}; use one of {', '.join(labels)}")
        return labels.index(area)

    def _m(self, max_dets: int | None) -> int:
        if max_dets is None:
            return len(self.params.max_dets) - 1
        if max_dets not in self.params.max_dets:
            raise InvalidInput(f"max_dets {max_dets} was not evaluated")
        return self.params.max_dets.index(max_dets)

    @property
    def area_all(self) -> int:
        """Index of the area range used for per-class and threshold reports ("all")."""
        return _area_all(self.params)

    # ------------------------------------------------------------------------------ reports
    def per_class(self) -> list[ClassResult]:
        """AP@[.5:.95], AP50, AP75 and AR (area "all", the largest max_dets) per category."""
        a, m = self.area_all, len(self.params.max_dets) - 1
        prep = self.prepared
        n_cat = self.category_ids.size
        num_gt = np.bincount(prep.gt_cat[~self.gt_ignored_all], minlength=n_cat)
        num_dt = np.bincount(prep.dt_cat, minlength=n_cat)
        thr = self.params.iou_thresholds

        def mean(arr: np.ndarray) -> float:
            valid = arr[arr > -1]
            return float(np.mean(valid)) if valid.size else -1.0

        out = []
        for k, cat in enumerate(self.category_ids.tolist()):
            p = self.precision[:, :, k, a, m]
            t50 = np.flatnonzero(thr == 0.5)
            t75 = np.flatnonzero(thr == 0.75)
            out.append(ClassResult(
                category_id=int(cat),
                ap=mean(p),
                ap50=mean(p[t50]) if t50.size else -1.0,
                ap75=mean(p[t75]) if t75.size else -1.0,
                ar=mean(self.recall[:, k, a, m]),
                num_gt=int(num_gt[k]),
                num_dt=int(num_dt[k]),
            ))
        return out

    def pr_curve(self, category_id: int, iou: float = 0.5, area: str = "all",
                 max_dets: int | None = None) -> PRCurve:
        """The interpolated and the raw precision/recall curve of one category."""
        t, k, a, m = self._t(iou), self._k(category_id), self._a(area), self._m(max_dets)
        prep = self.prepared
        n_gt = int(np.count_nonzero((prep.gt_cat == k) & ~self.gt_ignored_all))
        sel = np.flatnonzero(prep.dt_cat == k)
        order = np.lexsort((prep.dt_rank[sel], prep.dt_img[sel], -prep.dt_score[sel]))
        sel = sel[order]
        ignored = self.dt_ignored_all[t, sel]
        sel = sel[~ignored]
        tp = np.cumsum(self.match_all[t, sel] >= 0)
        fp = np.cumsum(self.match_all[t, sel] < 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            det_recall = tp / n_gt if n_gt else np.zeros(sel.size)
            det_precision = tp / np.maximum(tp + fp, 1)
        return PRCurve(
            category_id=int(category_id),
            iou_threshold=float(self.params.iou_thresholds[t]),
            recall_thresholds=self.params.recall_thresholds.copy(),
            precision=self.precision[t, :, k, a, m].copy(),
            scores=self.scores[t, :, k, a, m].copy(),
            det_scores=prep.dt_score[sel].copy(),
            det_precision=np.asarray(det_precision, dtype=np.float64),
            det_recall=np.asarray(det_recall, dtype=np.float64),
            num_gt=n_gt,
        )

    def at_threshold(self, score: float, iou: float = 0.5) -> ThresholdReport:
        """Counts, precision, recall and F1, a confusion matrix and per-image outcomes for the
        detections scoring at least ``score``, matched at IoU ``iou`` (see detection_report)."""
        return threshold_report(self, float(score), self._t(iou))

    def summary_lines(self) -> list[str]:
        """The summary as pycocotools prints it."""
        thr = self.params.iou_thresholds
        return [spec.line(v, thr) for spec, v in zip(self.stat_specs, self.stats, strict=True)]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary: the COCO numbers in order and the per-class results."""
        return {
            "iou_type": self.iou_type,
            "coco": [float(s) for s in self.stats],
            "stat_names": list(self.stat_names),
            "per_class": [vars(c).copy() for c in self.per_class()],
        }


def _area_all(params: EvaluationParams) -> int:
    labels = list(params.area_ranges)
    if "all" in labels:
        return labels.index("all")
    widths = [hi - lo for lo, hi in params.area_ranges.values()]
    return int(np.argmax(widths))


def _records_or_arrays(values: object, kind: type) -> object:
    if isinstance(values, kind):
        return values
    if kind is GroundTruthArrays:
        return GroundTruthArrays.from_records(values)  # type: ignore[arg-type]
    return DetectionArrays.from_records(values)  # type: ignore[arg-type]


def evaluate_detections(
    ground_truths: GroundTruthArrays | Sequence[GroundTruth],
    detections: DetectionArrays | Sequence[Detection],
    iou_type: str | None = None,
    *,
    image_ids: object = None,
    category_ids: object = None,
    params: EvaluationParams | None = None,
    sigmas: object = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> EvaluationResult:
    """Evaluate detections against ground truths as COCOeval does; see the module docstring."""
    gt = _records_or_arrays(ground_truths, GroundTruthArrays)
    dt = _records_or_arrays(detections, DetectionArrays)
    assert isinstance(gt, GroundTruthArrays) and isinstance(dt, DetectionArrays)
    if params is None:
        params = EvaluationParams.for_iou_type(iou_type or "bbox", sigmas)
    elif iou_type is not None and params.iou_type != iou_type:
        raise InvalidInput(f"the parameters are for {params.iou_type!r}, not {iou_type!r}")
    params = params.checked()
    total = 4

    def step(done: int, message: str) -> None:
        if cancel is not None and cancel.is_set():
            raise Cancelled("evaluation cancelled")
        if progress is not None:
            progress(done, total, message)

    step(0, "Grouping annotations")
    check_inputs(gt, dt, params)
    prep = prepare(gt, dt, params, image_ids, category_ids)
    n_img = max(prep.image_ids.size, 1)
    n_cat = prep.category_ids.size
    gt_group = prep.gt_cat * n_img + prep.gt_img
    dt_group = prep.dt_cat * n_img + prep.dt_img

    step(1, "Measuring overlaps")
    pair_dt, pair_gt = group_pairs(dt_group, gt_group)
    crowd = prep.gt_crowd[pair_gt]
    ious = pair_overlaps(params.iou_type, gt, dt, prep.gt_src, prep.dt_src, pair_dt, pair_gt,
                         crowd, params.sigmas, prep.gt_area)

    step(2, "Matching detections")
    ranges = np.array(list(params.area_ranges.values()), dtype=np.float64).reshape(-1, 2)
    lo, hi = ranges[:, :1], ranges[:, 1:]
    gt_ig = prep.gt_ignore[None, :] | (prep.gt_area[None, :] < lo) | (prep.gt_area[None, :] > hi)
    dt_out = (prep.dt_area[None, :] < lo) | (prep.dt_area[None, :] > hi)
    match = greedy_match(pair_dt, pair_gt, ious, prep.dt_rank, prep.dt_src.size, prep.gt_pos,
                         gt_ig, prep.gt_crowd, params.iou_thresholds, cancel)

    step(3, "Accumulating precision and recall")
    n_area = ranges.shape[0]
    order = np.lexsort((prep.dt_rank, prep.dt_img, -prep.dt_score, prep.dt_cat))
    match_o = match[:, :, order]
    dt_out_o = dt_out[:, order]
    tp = np.empty(match_o.shape, dtype=bool)
    fp = np.empty(match_o.shape, dtype=bool)
    for a in range(n_area):
        # Index -1 (no match) reads the trailing False: unmatched is never a true positive.
        counted_gt = np.concatenate((~gt_ig[a], [False]))
        tp[a] = counted_gt[match_o[a]]
        fp[a] = (match_o[a] < 0) & ~dt_out_o[a][None, :]
    npig = np.stack([np.bincount(prep.gt_cat[~gt_ig[a]], minlength=n_cat)
                     for a in range(n_area)], axis=1).reshape(n_cat, n_area)
    precision, recall, scores = accumulate(prep.dt_cat[order], prep.dt_rank[order],
                                           prep.dt_score[order], tp, fp, npig, n_cat,
                                           params.recall_thresholds, params.max_dets)
    specs = stat_specs(params.iou_type, params.max_dets)
    stats = summarize(precision, recall, params.iou_thresholds, list(params.area_ranges),
                      params.max_dets, specs)
    a_all = _area_all(params)
    m_all = match[a_all]
    ignored_gt_all = np.concatenate((gt_ig[a_all], [False]))
    dt_ig_all = np.where(m_all >= 0, ignored_gt_all[m_all], dt_out[a_all][None, :])
    result = EvaluationResult(params=params, prepared=prep, gt=gt, dt=dt, precision=precision,
                              recall=recall, scores=scores, stats=stats, specs=specs,
                              match_all=m_all, dt_ignored_all=dt_ig_all,
                              gt_ignored_all=gt_ig[a_all])
    step(4, "Done")
    return result
