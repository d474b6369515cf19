"""A computed classification evaluation: image tags against predicted tags with scores.

Each item of the dataset version with one ground-truth tag is a sample; items without a tag are
left out (and counted), an item with several is refused (multi-label evaluation is not built).
The prediction for an item is its highest-scoring predicted tag; at a score threshold, a top
score below it counts as no prediction ("none"). Scores for ROC-AUC are, per class, the best
score of that class's predicted tags on the item (0 when the model did not predict it). The
numbers are scikit-learn's (``labelhub.metrics.classification``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from labelhub.errors import InvalidInput
from labelhub.metrics.classification import (
    accuracy,
    confusion_matrix,
    mean_absolute_error,
    precision_recall_fscore,
    roc_auc_ovr,
)
from labelhub.project.evaluation_data import EvalData, EvalObject
from labelhub.project.evaluation_run import (
    ItemOutcome,
    OutcomeShape,
    RunBase,
    Suspect,
    _number,
    clean,
)

NONE = -1


class ClassificationRun(RunBase):
    task = "classification"
    iou_type = "tags"

    def __init__(self, data: EvalData) -> None:
        self.data = data
        k = len(data.classes)
        truth: dict[int, list[EvalObject]] = {}
        for o in data.gt:
            if o.kind == "tag" and o.cls >= 0:
                truth.setdefault(o.item, []).append(o)
        several = [data.items[i].name for i, tags in truth.items() if len({t.cls for t in tags}) > 1]
        if several:
            raise InvalidInput(f"{len(several)} items have several ground-truth tags (e.g. {', '.join(several[:3])}); "
                               "classification evaluation takes one tag per item")
        self.samples = np.array(sorted(truth), dtype=np.int64)  # item positions
        self.truth_objects = {i: truth[i][0] for i in truth}
        self.y_true = np.array([truth[i][0].cls for i in self.samples], dtype=np.int64)
        self.scores = np.zeros((self.samples.size, k), dtype=np.float64)
        self.predicted: dict[int, list[EvalObject]] = {}
        row_of = {int(i): r for r, i in enumerate(self.samples)}
        for o in data.dt:
            if o.kind != "tag" or o.cls < 0:
                continue
            self.predicted.setdefault(o.item, []).append(o)
            r = row_of.get(o.item)
            if r is not None:
                self.scores[r, o.cls] = max(self.scores[r, o.cls], 1.0 if o.score is None else float(o.score))
        self.top = np.full(self.samples.size, NONE, dtype=np.int64)
        self.top_score = np.zeros(self.samples.size, dtype=np.float64)
        for r, i in enumerate(self.samples):
            preds = self.predicted.get(int(i))
            if preds:
                best = max(preds, key=lambda o: (1.0 if o.score is None else o.score, -o.cls))
                self.top[r] = best.cls
                self.top_score[r] = 1.0 if best.score is None else best.score
        self.labels = list(range(k))

    def y_pred(self, score: float) -> np.ndarray:
        return np.where(self.top_score >= score, self.top, NONE)

    # --------------------------------------------------------------------------- numbers
    def roc_auc(self) -> tuple[float | None, dict[int, float | None]]:
        """Macro one-vs-rest ROC-AUC over the classes present in the ground truth, and each's."""
        present = sorted(set(self.y_true.tolist()))
        if len(present) < 2:
            return None, {}
        per = roc_auc_ovr(self.y_true, self.scores[:, present], labels=present, average=None)
        values = {c: clean(v) for c, v in zip(present, per, strict=True)}
        return clean(float(np.mean(per))), values

    def summary(self, score: float) -> dict[str, Any]:
        pred = self.y_pred(score)
        out: dict[str, Any] = {"accuracy": clean(accuracy(self.y_true, pred)) if pred.size else None}
        for avg in ("macro", "micro", "weighted"):
            p, r, f, _ = precision_recall_fscore(self.y_true, pred, labels=self.labels, average=avg,
                                                 zero_division=0.0)
            out[f"precision_{avg}"], out[f"recall_{avg}"], out[f"f1_{avg}"] = clean(p), clean(r), clean(f)
        out["roc_auc_macro"] = self.roc_auc()[0]
        return out

    @property
    def stat_names(self) -> tuple[str, ...]:
        return ("accuracy", "precision_macro", "recall_macro", "f1_macro", "precision_micro", "recall_micro",
                "f1_micro", "precision_weighted", "recall_weighted", "f1_weighted", "roc_auc_macro")

    def per_class(self, score: float) -> list[dict[str, Any]]:
        pred = self.y_pred(score)
        p, r, f, support = precision_recall_fscore(self.y_true, pred, labels=self.labels, average=None,
                                                   zero_division=0.0)
        aucs = self.roc_auc()[1]
        out = []
        for k, name in enumerate(self.class_names):
            tp = int(np.count_nonzero((self.y_true == k) & (pred == k)))
            out.append({"class": name, "precision": float(p[k]), "recall": float(r[k]), "f1": float(f[k]),
                        "support": int(support[k]), "roc_auc": aucs.get(k), "tp": tp,
                        "fp": int(np.count_nonzero(pred == k)) - tp, "fn": int(support[k]) - tp})
        return out

    def overall(self, score: float) -> dict[str, Any]:
        pred = self.y_pred(score)
        p, r, f, _ = precision_recall_fscore(self.y_true, pred, labels=self.labels, average="micro", zero_division=0.0)
        tp = int(np.count_nonzero(self.y_true == pred))
        return {"tp": tp, "fp": int(np.count_nonzero(pred != NONE)) - tp, "fn": int(self.y_true.size) - tp,
                "precision": float(p), "recall": float(r), "f1": float(f)}

    def confusion(self, score: float) -> tuple[list[str], np.ndarray]:
        """Rows true class, columns predicted class; the last row and column "none"."""
        pred = self.y_pred(score)
        labels = [*self.labels, NONE]
        return [*self.class_names, "none"], confusion_matrix(self.y_true, pred, labels=labels)

    # ------------------------------------------------------------------------ drill-down
    def cell_items(self, score: float, row: int, col: int) -> list[int]:
        pred = self.y_pred(score)
        k = len(self.labels)
        want_true = NONE if row == k else row
        want_pred = NONE if col == k else col
        return [int(i) for i in self.samples[(self.y_true == want_true) & (pred == want_pred)]]

    def class_items(self, score: float, cls: int) -> list[int]:
        pred = self.y_pred(score)
        return [int(i) for i in self.samples[(self.y_true == cls) | (pred == cls)]]

    def item_outcome(self, item: int, score: float) -> ItemOutcome:
        names = self.class_names
        truth = self.truth_objects.get(item)
        preds = sorted(self.predicted.get(item, []), key=lambda o: -(1.0 if o.score is None else o.score))
        top = preds[0] if preds and (1.0 if preds[0].score is None else preds[0].score) >= score else None
        shapes = []
        if truth is not None:
            right = top is not None and top.cls == truth.cls
            shapes.append(OutcomeShape("gt" if right else "fn", "ground_truth", truth.uid, names[truth.cls],
                                       truth.shape, None))
        for o in preds:
            if o is top:
                status = "tp" if truth is not None and o.cls == truth.cls else "fp"
            else:
                status = "ignored"
            shapes.append(OutcomeShape(status, "prediction", o.uid, names[o.cls], o.shape, o.score))
        return ItemOutcome(self.data.items[item], item, tuple(shapes))

    # ---------------------------------------------------------------------------- slices
    def slices(self, field_name: str, score: float, cancel: threading.Event | None = None) -> list[dict[str, Any]]:
        pred = self.y_pred(score)
        row_of = {int(i): r for r, i in enumerate(self.samples)}
        out = []
        for value, items in self.slice_field_groups(field_name).items():
            rows = np.array([row_of[i] for i in items if i in row_of], dtype=np.int64)
            t, p = self.y_true[rows], pred[rows]
            entry: dict[str, Any] = {"value": value, "items": len(items), "ground_truth": int(rows.size),
                                     "predictions": int(np.count_nonzero(p != NONE)), "item_positions": list(items)}
            if rows.size:
                present = sorted((set(t.tolist()) | set(p.tolist())) - {NONE})  # the slice's own classes
                pm, rm, fm, _ = precision_recall_fscore(t, p, labels=present, average="macro", zero_division=0.0)
                entry.update(accuracy=clean(accuracy(t, p)), precision=clean(pm), recall=clean(rm), f1=clean(fm))
            else:
                entry.update(accuracy=None, precision=None, recall=None, f1=None)
            out.append(entry)
        return out

    # ---------------------------------------------------------------------- label errors
    def suspected_errors(self, confident: float) -> list[Suspect]:
        names = self.class_names
        out = []
        for r, i in enumerate(self.samples):
            if self.top[r] != NONE and self.top[r] != self.y_true[r] and self.top_score[r] >= confident:
                item = self.data.items[int(i)]
                pred = next(o for o in self.predicted[int(i)] if o.cls == self.top[r])
                out.append(Suspect("wrong_class", int(i), item.uid, item.name, float(self.top_score[r]),
                                   names[int(self.top[r])], names[int(self.y_true[r])], None, pred.uid,
                                   self.truth_objects[int(i)].uid))
        out.sort(key=lambda s: (-s.score, s.item_name))
        return out[:500]

    def attribute_errors(self) -> dict[str, dict[str, Any]]:
        """MAE of each number attribute: an item's ground-truth tag against the predicted tag of
        the same class on the same item."""
        pairs: dict[str, tuple[list[float], list[float]]] = {}
        for i, truth in self.truth_objects.items():
            for o in self.predicted.get(i, []):
                if o.cls != truth.cls:
                    continue
                for key, value in truth.attributes.items():
                    other = o.attributes.get(key)
                    if _number(value) and _number(other):
                        t, p = pairs.setdefault(key, ([], []))
                        t.append(float(value))
                        p.append(float(other))
        return {k: {"mae": mean_absolute_error(t, p), "pairs": len(t)} for k, (t, p) in sorted(pairs.items())}

    # -------------------------------------------------------------------------- storing
    def results(self, score: float, confident: float, slice_fields: Sequence[str] = ()) -> dict[str, Any]:
        labels, matrix = self.confusion(score)
        summary = self.summary(score)
        tags_gt = sum(1 for o in self.data.gt if o.kind == "tag")
        tags_dt = sum(1 for o in self.data.dt if o.kind == "tag")
        return {
            "task": "classification", "iou_type": "tags", "coco": None,
            "classification": summary, "stat_names": list(self.stat_names),
            "per_class": self.per_class(score), "overall": self.overall(score),
            "threshold": {"score": score},
            "confusion": {"labels": labels, "matrix": matrix.tolist()},
            "pr_curves": {},
            "counts": {"items": len(self.data.items), "samples": int(self.samples.size),
                       "items_without_ground_truth": len(self.data.items) - int(self.samples.size),
                       "ground_truth": tags_gt, "predictions": tags_dt,
                       "predictions_outside_version": self.data.outside,
                       "ground_truth_not_evaluated": len(self.data.gt) - tags_gt,
                       "predictions_not_evaluated": len(self.data.dt) - tags_dt},
            "attributes": self.attribute_errors(),
            "slices": [{"field": f, "values": [{k: v for k, v in row.items() if k != "item_positions"}
                                               for row in self.slices(f, score)]} for f in slice_fields],
            "suspected_errors": [s.to_dict() for s in self.suspected_errors(confident)],
        }
