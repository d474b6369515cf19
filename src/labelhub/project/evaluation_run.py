"""A computed detection evaluation, kept in memory to be read at any score threshold.

``DetectionRun`` wraps ``metrics.detection.evaluate_detections`` on an ``EvalData`` and answers
what the viewer and the stored results need: the COCO numbers, per-class results, PR curves,
precision/recall/F1 and the confusion matrix at a score threshold, the items behind a confusion
cell, a class or a slice with their true positives, false positives and misses, the slices,
and the suspected label errors. No database: the project gathers the data, this computes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from labelhub.errors import InvalidInput
from labelhub.geometry import Shape
from labelhub.metrics.classification import mean_absolute_error
from labelhub.metrics.detection import (
    EvaluationParams,
    EvaluationResult,
    ThresholdReport,
    evaluate_detections,
)
from labelhub.metrics.iou import box_iou
from labelhub.project.evaluation_data import (
    MAX_SLICE_VALUES,
    EvalData,
    EvalItem,
    EvalObject,
    boxes_of,
    detection_arrays,
    keypoint_sigmas,
    selected,
    slice_values,
)

Progress = Callable[[int, int, str], None]
#: A false positive "overlaps no ground truth" when its best box IoU with any is below this.
NO_OVERLAP_IOU = 0.1
MAX_SUSPECTS = 500


def clean(value: float) -> float | None:
    """A JSON-safe float: NaN becomes None."""
    v = float(value)
    return None if v != v else v


@dataclass(frozen=True)
class OutcomeShape:
    """One annotation drawn in a drill-down.

    ``status``: "tp" (prediction matched), "fp" (prediction matched to nothing), "fn" (ground
    truth missed), "gt" (ground truth matched), "ignored" (prediction absorbed by a crowd or
    outside the evaluated range), "crowd" (crowd ground truth). ``note`` says more, e.g. the
    class a confused prediction overlaps.
    """

    status: str
    source: str  # "ground_truth" | "prediction"
    uid: str
    label: str
    shape: Shape
    score: float | None
    note: str = ""


@dataclass(frozen=True)
class ItemOutcome:
    item: EvalItem
    index: int
    shapes: tuple[OutcomeShape, ...]

    def count(self, status: str) -> int:
        return sum(1 for s in self.shapes if s.status == status)


@dataclass(frozen=True)
class Suspect:
    """A suspected label error: ``kind`` "missing_label" (a confident prediction overlapping no
    ground truth) or "wrong_class" (a confident prediction of another class on a ground truth)."""

    kind: str
    item: int
    item_uid: str
    item_name: str
    score: float
    predicted: str
    labelled: str | None
    iou: float | None  # box IoU with the ground truth (None for tags)
    prediction_uid: str
    ground_truth_uid: str | None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k != "item"}


class RunBase:
    """What detection and classification runs share."""

    task = ""
    data: EvalData

    @property
    def class_names(self) -> list[str]:
        return self.data.class_names()

    def slice_field_groups(self, field_name: str) -> dict[str, list[int]]:
        groups = slice_values(self.data, field_name)
        if len(groups) > MAX_SLICE_VALUES:
            raise InvalidInput(f"{field_name} has {len(groups)} different values; slices need a field "
                               f"with at most {MAX_SLICE_VALUES}")
        return groups


class DetectionRun(RunBase):
    task = "detection"

    def __init__(self, data: EvalData, iou_type: str = "bbox", *, params: EvaluationParams | None = None,
                 progress: Progress | None = None, cancel: threading.Event | None = None) -> None:
        if iou_type not in ("bbox", "segm", "keypoints"):
            raise InvalidInput(f"unknown IoU type {iou_type!r}; use bbox, segm or keypoints")
        self.data = data
        self.iou_type = iou_type
        self.gt_pos = selected(data.gt, iou_type)
        self.dt_pos = selected(data.dt, iou_type)
        sigmas = keypoint_sigmas(data, self.gt_pos, self.dt_pos) if iou_type == "keypoints" else None
        self.params = params or EvaluationParams.for_iou_type(iou_type, sigmas)
        self.gt_arrays, self.dt_arrays = detection_arrays(data, iou_type, self.gt_pos, self.dt_pos)
        self.image_ids = np.arange(len(data.items), dtype=np.int64)
        self.category_ids = np.arange(len(data.classes), dtype=np.int64)
        self.result: EvaluationResult = evaluate_detections(
            self.gt_arrays, self.dt_arrays, iou_type, image_ids=self.image_ids,
            category_ids=self.category_ids, params=self.params, progress=progress, cancel=cancel)
        self._reports: dict[tuple[float, float], ThresholdReport] = {}
        self._index: tuple[dict[int, list[int]], dict[int, list[int]]] | None = None

    # --------------------------------------------------------------------------- numbers
    @property
    def stats(self) -> tuple[float, ...]:
        return tuple(float(s) for s in self.result.stats)

    @property
    def stat_names(self) -> tuple[str, ...]:
        return self.result.stat_names

    def summary_lines(self) -> list[str]:
        return self.result.summary_lines()

    def report(self, score: float, iou: float = 0.5) -> ThresholdReport:
        key = (round(float(score), 6), float(iou))
        if key not in self._reports:
            if len(self._reports) > 16:
                self._reports.clear()
            self._reports[key] = self.result.at_threshold(key[0], iou)
        return self._reports[key]

    def per_class(self, score: float) -> list[dict[str, Any]]:
        """AP@[.5:.95], AP50, AP75, AR, counts, and P/R/F1 at ``score`` (IoU .5) per class."""
        rep = self.report(score)
        out = []
        for c in self.result.per_class():
            counts = rep.per_class[c.category_id]
            out.append({"class": self.data.classes[c.category_id].name, "ap": c.ap, "ap50": c.ap50,
                        "ap75": c.ap75, "ar": c.ar, "num_gt": c.num_gt, "num_dt": c.num_dt,
                        "tp": counts.tp, "fp": counts.fp, "fn": counts.fn, "precision": counts.precision,
                        "recall": counts.recall, "f1": counts.f1})
        return out

    def overall(self, score: float) -> dict[str, Any]:
        o = self.report(score).overall
        return {"tp": o.tp, "fp": o.fp, "fn": o.fn, "precision": o.precision, "recall": o.recall, "f1": o.f1}

    def confusion(self, score: float) -> tuple[list[str], np.ndarray]:
        """Rows true class, columns predicted class; the last row and column "background"."""
        rep = self.report(score)
        return [*self.class_names, "background"], rep.confusion

    def pr_curve(self, cls: int, iou: float = 0.5) -> tuple[np.ndarray, np.ndarray] | None:
        """(recall thresholds, interpolated precision) of a class; None without ground truth."""
        curve = self.result.pr_curve(int(self.category_ids[cls]), iou=iou)
        if curve.num_gt == 0:
            return None
        return curve.recall_thresholds, np.maximum(curve.precision, 0.0)

    # ------------------------------------------------------------------------ drill-down
    def _outcomes(self, score: float) -> dict[Any, Any]:
        return self.report(score).images

    def cell_items(self, score: float, row: int, col: int) -> list[int]:
        """Items behind confusion-matrix cell (true ``row``, predicted ``col``)."""
        n = len(self.data.classes)
        out = []
        for img, o in self._outcomes(score).items():
            hit = False
            if row < n and col < n and row == col:
                hit = any(self.data.dt[self.dt_pos[d]].cls == row for d, _g in o.tp)
            elif row < n and col < n:
                hit = any(self.data.dt[self.dt_pos[d]].cls == col and self.data.gt[self.gt_pos[g]].cls == row
                          for d, g in o.confused)
            elif row == n and col < n:
                confused = {int(d) for d, _g in o.confused}
                hit = any(self.data.dt[self.dt_pos[d]].cls == col for d in o.fp if int(d) not in confused)
            elif col == n and row < n:
                confused = {int(g) for _d, g in o.confused}
                hit = any(self.data.gt[self.gt_pos[g]].cls == row for g in o.fn if int(g) not in confused)
            if hit:
                out.append(int(img))
        return out

    def class_items(self, score: float, cls: int) -> list[int]:
        """Items with a true positive, false positive or miss of class ``cls``."""
        out = []
        for img, o in self._outcomes(score).items():
            if (any(self.data.dt[self.dt_pos[d]].cls == cls for d in [*o.fp, *(p[0] for p in o.tp)])
                    or any(self.data.gt[self.gt_pos[g]].cls == cls for g in o.fn)):
                out.append(int(img))
        return out

    def _by_item(self) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
        """Positions of the evaluated ground truths and predictions of each item."""
        if self._index is None:
            gt: dict[int, list[int]] = {}
            dt: dict[int, list[int]] = {}
            for pos, idx in enumerate(self.gt_pos):
                gt.setdefault(self.data.gt[idx].item, []).append(pos)
            for pos, idx in enumerate(self.dt_pos):
                dt.setdefault(self.data.dt[idx].item, []).append(pos)
            self._index = (gt, dt)
        return self._index

    def item_outcome(self, item: int, score: float) -> ItemOutcome:
        o = self._outcomes(score)[item]
        names = self.class_names
        shapes: list[OutcomeShape] = []
        gt_status: dict[int, tuple[str, str]] = {}
        for _d, g in o.tp:
            gt_status[int(g)] = ("gt", "")
        confused_dt = {int(d): int(g) for d, g in o.confused}
        for g in o.fn:
            gt_status[int(g)] = ("fn", "")

        def label(obj: EvalObject) -> str:
            return names[obj.cls] if obj.cls >= 0 else "(no class)"

        gt_index, dt_index = self._by_item()
        for pos in gt_index.get(item, ()):
            obj = self.data.gt[self.gt_pos[pos]]
            status, note = gt_status.get(pos, ("crowd" if obj.crowd else "gt", ""))
            shapes.append(OutcomeShape(status, "ground_truth", obj.uid, label(obj), obj.shape, None, note))
        tp = {int(d) for d, _g in o.tp}
        fp = {int(d) for d in o.fp}
        ignored = {int(d) for d in o.ignored}
        for pos in dt_index.get(item, ()):
            obj = self.data.dt[self.dt_pos[pos]]
            if (obj.score if obj.score is not None else 1.0) < score:
                continue
            note = ""
            if pos in tp:
                status = "tp"
            elif pos in fp:
                status = "fp"
                if pos in confused_dt:
                    note = f"on a {label(self.data.gt[self.gt_pos[confused_dt[pos]]])}"
            elif pos in ignored:
                status = "ignored"
            else:
                continue  # beyond max_dets
            shapes.append(OutcomeShape(status, "prediction", obj.uid, label(obj), obj.shape, obj.score, note))
        return ItemOutcome(self.data.items[item], item, tuple(shapes))

    # ---------------------------------------------------------------------------- slices
    def slices(self, field_name: str, score: float, cancel: threading.Event | None = None) -> list[dict[str, Any]]:
        """The COCO numbers and P/R/F1 at ``score`` for each value of a slice field."""
        out = []
        gt_img = self.gt_arrays.image_id
        dt_img = self.dt_arrays.image_id
        for value, items in self.slice_field_groups(field_name).items():
            ids = np.asarray(items, dtype=np.int64)
            res = evaluate_detections(self.gt_arrays, self.dt_arrays, self.iou_type, image_ids=ids,
                                      category_ids=self.category_ids, params=self.params, cancel=cancel)
            o = res.at_threshold(score).overall
            n_gt = int(np.count_nonzero(np.isin(gt_img, ids)))
            n_dt = int(np.count_nonzero(np.isin(dt_img, ids)))
            out.append({"value": value, "items": len(items), "ground_truth": n_gt, "predictions": n_dt,
                        "coco": [float(s) for s in res.stats], "ap": float(res.stats[0]),
                        "ap50": float(res.stats[1]), "precision": o.precision, "recall": o.recall,
                        "f1": o.f1, "tp": o.tp, "fp": o.fp, "fn": o.fn, "item_positions": list(items)})
        return out

    # ---------------------------------------------------------------------- label errors
    def suspected_errors(self, confident: float) -> list[Suspect]:
        """Confident false positives overlapping no ground truth (a label may be missing) and
        confident predictions of another class on a missed ground truth (a label may be
        wrong), best score first."""
        rep = self.report(confident)
        names = self.class_names
        gt_by_item: dict[int, list[EvalObject]] = {}
        for idx in self.gt_pos:
            gt_by_item.setdefault(self.data.gt[idx].item, []).append(self.data.gt[idx])
        out: list[Suspect] = []
        for img, o in rep.images.items():
            item = self.data.items[int(img)]
            confused = {int(d): int(g) for d, g in o.confused}
            fps = [int(d) for d in o.fp]
            if not fps:
                continue
            gts = gt_by_item.get(int(img), [])
            dts = [self.data.dt[self.dt_pos[d]] for d in fps]
            ious = box_iou(boxes_of(dts), boxes_of(gts)) if gts else np.zeros((len(dts), 0))
            for k, d in enumerate(fps):
                dt = dts[k]
                score = 1.0 if dt.score is None else float(dt.score)
                if d in confused:
                    gt = self.data.gt[self.gt_pos[confused[d]]]
                    j = gts.index(gt)
                    out.append(Suspect("wrong_class", int(img), item.uid, item.name, score, names[dt.cls],
                                       names[gt.cls], float(ious[k, j]), dt.uid, gt.uid))
                elif ious.shape[1] == 0 or float(ious[k].max()) < NO_OVERLAP_IOU:
                    best = float(ious[k].max()) if ious.shape[1] else 0.0
                    out.append(Suspect("missing_label", int(img), item.uid, item.name, score, names[dt.cls],
                                       None, best, dt.uid, None))
        out.sort(key=lambda s: (-s.score, s.item_name, s.prediction_uid))
        return out[:MAX_SUSPECTS]

    # -------------------------------------------------------------------------- regression
    def attribute_errors(self) -> dict[str, dict[str, Any]]:
        """MAE of each number attribute over the true positives at IoU .5 (score 0): the
        ground truth's value against the matched prediction's."""
        pairs: dict[str, tuple[list[float], list[float]]] = {}
        if not any(self.data.gt[i].attributes for i in self.gt_pos):
            return {}
        rep = self.report(0.0)
        for o in rep.images.values():
            for d, g in o.tp:
                gt = self.data.gt[self.gt_pos[int(g)]].attributes
                dt = self.data.dt[self.dt_pos[int(d)]].attributes
                for key, value in gt.items():
                    other = dt.get(key)
                    if _number(value) and _number(other):
                        t, p = pairs.setdefault(key, ([], []))
                        t.append(float(value))
                        p.append(float(other))
        return {k: {"mae": mean_absolute_error(t, p), "pairs": len(t)} for k, (t, p) in sorted(pairs.items())}

    # -------------------------------------------------------------------------- storing
    def results(self, score: float, confident: float, slice_fields: Sequence[str] = ()) -> dict[str, Any]:
        """What is stored with the evaluation: JSON-ready."""
        labels, matrix = self.confusion(score)
        curves = {}
        for k, name in enumerate(self.class_names):
            curve = self.pr_curve(k)
            if curve is not None:
                curves[name] = {"recall": [round(float(x), 4) for x in curve[0]],
                                "precision": [round(float(x), 6) for x in curve[1]]}
        return {
            "task": "detection", "iou_type": self.iou_type,
            "coco": list(self.stats), "stat_names": list(self.stat_names), "summary_lines": self.summary_lines(),
            "per_class": self.per_class(score), "overall": self.overall(score),
            "threshold": {"score": score, "iou": 0.5},
            "confusion": {"labels": labels, "matrix": matrix.tolist()},
            "pr_curves": curves,
            "counts": {"items": len(self.data.items), "ground_truth": len(self.gt_pos),
                       "crowd": int(np.count_nonzero(self.gt_arrays.iscrowd)),
                       "predictions": len(self.dt_pos), "predictions_outside_version": self.data.outside,
                       "ground_truth_not_evaluated": len(self.data.gt) - len(self.gt_pos),
                       "predictions_not_evaluated": len(self.data.dt) - len(self.dt_pos)},
            "attributes": self.attribute_errors(),
            "slices": [{"field": f, "values": [{k: v for k, v in row.items() if k != "item_positions"}
                                               for row in self.slices(f, score)]} for f in slice_fields],
            "suspected_errors": [s.to_dict() for s in self.suspected_errors(confident)],
        }


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value
