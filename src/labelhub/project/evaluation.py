"""Evaluations: a model version's predictions measured against a frozen dataset version.

``evaluate`` gathers the ground truth as it stood at the dataset version's seq and the
predictions as they stand now (their seq is recorded), computes the metrics
(``evaluation_run`` for detection, ``evaluation_classify`` for tags) and stores the results with
their parameters, the dataset version and the predictions' hash: an evaluation can be computed
again from the project (``reopen_evaluation``) and gives the same numbers, and two evaluations on
the same dataset version are comparable (``compare_evaluations``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from labelhub.errors import InvalidInput, NotFound
from labelhub.project.evaluation_classify import ClassificationRun
from labelhub.project.evaluation_data import (
    EvalClass,
    EvalData,
    EvalItem,
    EvalObject,
    pick_task,
    slice_fields,
    slice_fields_of,
)
from labelhub.project.evaluation_run import DetectionRun, RunBase
from labelhub.project.models import parse_model_ref
from labelhub.project.predictions import (
    PredictionsMixin,
    annotation_rows,
    json_value,
    json_values,
    predictions_digest,
)
from labelhub.store.tables import (
    Annotation,
    Change,
    Dataset,
    DatasetVersion,
    Evaluation,
    Item,
    LabelClass,
    LabelSet,
    Media,
    Member,
    ModelVersion,
)
from labelhub.store.versioned import as_of, new_uid

_annotation = Annotation.__table__
_change = Change.__table__
_dataset = Dataset.__table__
_dsv = DatasetVersion.__table__
_evaluation = Evaluation.__table__
_item = Item.__table__
_class = LabelClass.__table__
_label_set = LabelSet.__table__
_media = Media.__table__
_member = Member.__table__
_mv = ModelVersion.__table__

Progress = Callable[[int, int, str], None]
TASKS = ("auto", "detection", "classification")
IOU_TYPES = ("bbox", "segm", "keypoints")


@dataclass(frozen=True)
class EvaluationInfo:
    """A stored evaluation: what was measured, with which parameters, and the results."""

    uid: str
    dataset: str
    version: int
    version_tag: str | None
    model: str
    model_version: str
    params: dict[str, Any]
    predictions_hash: str
    results: dict[str, Any]
    created_by: str | None
    created_at: str
    created_seq: int

    @property
    def task(self) -> str:
        return str(self.params.get("task", "detection"))

    @property
    def iou_type(self) -> str:
        return str(self.params.get("iou_type", ""))

    @property
    def model_ref(self) -> str:
        return f"{self.model}@{self.model_version}"

    @property
    def title(self) -> str:
        kind = self.iou_type if self.task == "detection" else "tags"
        return f"{self.model_ref} on {self.dataset} v{self.version} ({kind})"

    @property
    def headline(self) -> tuple[str, float | None]:
        """The one number a list shows: AP@[.5:.95] for detection, accuracy for tags."""
        if self.task == "classification":
            return "accuracy", (self.results.get("classification") or {}).get("accuracy")
        coco = self.results.get("coco") or []
        return "AP", coco[0] if coco else None

    def to_dict(self) -> dict[str, Any]:
        return {"uid": self.uid, "dataset": self.dataset, "version": self.version, "version_tag": self.version_tag,
                "model": self.model, "model_version": self.model_version, "predictions": self.model_ref,
                "params": self.params, "predictions_hash": self.predictions_hash, "created_by": self.created_by,
                "created_at": self.created_at, "created_seq": self.created_seq, **self.results}


@dataclass
class EvaluationOutcome:
    """An evaluation just computed (``info`` is None when it was not stored) or reopened."""

    run: DetectionRun | ClassificationRun
    params: dict[str, Any]
    predictions_hash: str
    results: dict[str, Any]
    info: EvaluationInfo | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.info is not None:
            return self.info.to_dict()
        return {"params": self.params, "predictions_hash": self.predictions_hash, **self.results}


@dataclass
class EvaluationComparison:
    """Two evaluations side by side: summary numbers and per-class results with deltas (b - a)."""

    a: EvaluationInfo
    b: EvaluationInfo
    summary: list[tuple[str, float | None, float | None, float | None]]
    per_class: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)

    @property
    def comparable(self) -> bool:
        return not self.notes

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a.uid, "b": self.b.uid, "a_title": self.a.title, "b_title": self.b.title,
                "comparable": self.comparable, "notes": self.notes,
                "summary": [{"name": n, "a": x, "b": y, "delta": d} for n, x, y, d in self.summary],
                "per_class": self.per_class}


def _delta(a: Any, b: Any) -> float | None:
    if a is None or b is None or a < 0 or b < 0:
        return None
    return float(b) - float(a)


class EvaluationMixin(PredictionsMixin):
    # ------------------------------------------------------------------------- gathering
    def _gather(self, conn: Connection, ds: Any, version_seq: int, pred_set: Any, pred_seq: int) -> EvalData:
        items_rows = conn.execute(
            select(_item, _media.c.sha256, _media.c.width, _media.c.height)
            .join(_media, _media.c.id == _item.c.media_id)
            .where(_item.c.dataset_id == ds.id, as_of(_item, version_seq)).order_by(_item.c.name, _item.c.id)).all()
        items = [EvalItem(r.uid, r.name, r.width, r.height, r.sha256, r.split, dict(r.meta or {})) for r in items_rows]
        item_pos = {it.uid: i for i, it in enumerate(items)}
        classes = [EvalClass(c.uid, c.name, c.color, len(c.keypoints or ())) for c in conn.execute(
            select(_class).where(_class.c.dataset_id == ds.id, as_of(_class, version_seq))
            .order_by(_class.c.position, _class.c.name))]
        class_pos = {c.uid: i for i, c in enumerate(classes)}
        gt_set = conn.execute(select(_label_set).where(_label_set.c.dataset_id == ds.id,
                                                       _label_set.c.kind == "ground_truth")).one()

        def objects(set_id: int, seq: int) -> tuple[list[EvalObject], int, list[Any]]:
            rows = annotation_rows(conn, set_id, seq)
            kept = [(r, item_pos.get(r.item_uid)) for r in rows]
            outside = sum(1 for _r, pos in kept if pos is None)
            kept = [(r, pos) for r, pos in kept if pos is not None]
            for r, _pos in kept:
                if r.class_uid is not None and r.class_uid not in class_pos:
                    latest = conn.execute(select(_class).where(_class.c.uid == r.class_uid)
                                          .order_by(_class.c.valid_from.desc())).first()
                    class_pos[r.class_uid] = len(classes)
                    classes.append(EvalClass(r.class_uid, latest.name if latest else r.class_uid,
                                             latest.color if latest else "#808080"))
            geometries = json_values([r.geometry for r, _pos in kept])
            out = []
            for (r, pos), geometry in zip(kept, geometries, strict=True):
                attributes = {} if r.attributes in (None, "{}", "null") else json_value(r.attributes) or {}
                out.append(EvalObject(r.uid, pos, class_pos[r.class_uid] if r.class_uid else -1, r.kind,
                                      geometry or {}, r.score, attributes))
            return out, outside, rows

        gt, _outside, _rows = objects(gt_set.id, version_seq)
        dt, outside, dt_rows = objects(pred_set.id, pred_seq)
        return EvalData(ds.name, items, classes, gt, dt, outside, predictions_digest(dt_rows))

    def _eval_context(self, conn: Connection, dataset: str, version: str | int, predictions: str,
                      pred_seq: int | None = None) -> tuple[Any, Any, Any, Any, EvalData]:
        ds = self._dataset_row(conn, dataset)
        dsv = self._dataset_version_row(conn, dataset, version)
        model, mversion = parse_model_ref(predictions)
        mv = self._model_version_row(conn, model, mversion)
        pred_set = self._prediction_set_row(conn, ds.id, mv.id)
        if pred_set is None:
            raise NotFound(f"no predictions of {model}@{mversion} on {dataset}; import them first")
        if pred_seq is None:
            pred_seq = conn.scalar(select(func.max(_change.c.seq))) or 0
        data = self._gather(conn, ds, dsv.seq, pred_set, pred_seq)
        return dsv, mv, pred_set, pred_seq, data

    @staticmethod
    def _compute(data: EvalData, task: str, iou_type: str, progress: Progress | None,
                 cancel: threading.Event | None) -> DetectionRun | ClassificationRun:
        if task == "auto":
            task = pick_task(data)
        if task == "classification":
            return ClassificationRun(data)
        return DetectionRun(data, iou_type, progress=progress, cancel=cancel)

    # -------------------------------------------------------------------------- evaluating
    def evaluate(
        self, dataset: str, version: str | int, predictions: str, *, iou_type: str = "bbox", task: str = "auto",
        score_threshold: float = 0.5, confident: float = 0.7, slices: Sequence[str] = (), store: bool = True,
        progress: Progress | None = None, cancel: threading.Event | None = None,
    ) -> EvaluationOutcome:
        """Measure ``predictions`` (``MODEL@VERSION``) against ``dataset`` at ``version``.

        ``iou_type``: bbox, segm or keypoints (detection). ``task``: auto (tags only ->
        classification), detection or classification. ``score_threshold``: the operating point
        for precision, recall, F1 and the confusion matrix. ``confident``: the score from which
        a disagreeing prediction is listed as a suspected label error. ``slices``: fields to
        break the results down by (split, tags, meta.KEY). With ``store`` (reviewers and
        leads) the evaluation is kept in the project; otherwise it is only computed.
        """
        if task not in TASKS:
            raise InvalidInput(f"unknown task {task!r}; use {', '.join(TASKS)}")
        if iou_type not in IOU_TYPES:
            raise InvalidInput(f"unknown IoU type {iou_type!r}; use {', '.join(IOU_TYPES)}")
        for name, value in (("score threshold", score_threshold), ("confident score", confident)):
            if not 0.0 <= float(value) <= 1.0:
                raise InvalidInput(f"the {name} must be between 0 and 1, not {value}")
        if store:
            self.authorize("evaluation.run")
        total = 7 + len(slices)

        def step(done: int, message: str) -> None:
            if progress:
                progress(done, total, message)

        step(0, "Reading the ground truth and the predictions")
        with self._read() as conn:
            dsv, mv, pred_set, pred_seq, data = self._eval_context(conn, dataset, version, predictions)
        for name in slices:
            if name not in slice_fields(data):
                raise InvalidInput(f"cannot slice by {name!r}; fields: {', '.join(slice_fields(data))}")
        run = self._compute(data, task, iou_type, lambda d, _t, m: step(1 + d, m), cancel)
        step(6, "Finding suspected label errors")
        results = run.results(float(score_threshold), float(confident), list(slices))
        model, mversion = parse_model_ref(predictions)
        params = {
            "task": run.task, "iou_type": run.iou_type, "score_threshold": float(score_threshold),
            "confident": float(confident), "slices": list(slices), "dataset": dataset, "version": dsv.number,
            "version_seq": dsv.seq, "manifest_hash": dsv.manifest_hash, "predictions": f"{model}@{mversion}",
            "predictions_seq": pred_seq,
        }
        if isinstance(run, DetectionRun):
            params["coco_params"] = {
                "iou_thresholds": [round(float(t), 4) for t in run.params.iou_thresholds],
                "recall_points": int(run.params.recall_thresholds.size), "max_dets": list(run.params.max_dets),
                "area_ranges": {k: list(v) for k, v in run.params.area_ranges.items()},
                "sigmas": None if run.params.sigmas is None else [float(s) for s in run.params.sigmas]}
        digest = data.predictions_hash
        outcome = EvaluationOutcome(run, params, digest, results)
        if dsv.deprecated_seq is not None:
            results["notes"] = [f"dataset version {dsv.number} is deprecated: {dsv.deprecated_reason}"]
        if store:
            step(7 + len(slices) - 1, "Storing the evaluation")
            with self._change("evaluation.run", "evaluation", dataset=dataset, version=dsv.number,
                              predictions=params["predictions"], task=run.task, iou_type=run.iou_type) as tx:
                row = tx.insert_registry(_evaluation, {
                    "uid": new_uid(), "dataset_version_id": dsv.id, "model_version_id": mv.id,
                    "label_set_id": pred_set.id, "params": params, "predictions_hash": digest,
                    "results": results, "created_seq": tx.seq, "created_by": self._member_id})
                tx.pending.entity_uid = row.uid
                tx.detail["headline"] = results["coco"][0] if results.get("coco") else (
                    results.get("classification") or {}).get("accuracy")
            outcome.info = self.evaluation(row.uid)
        step(total, "Done")
        return outcome

    # ---------------------------------------------------------------------------- reading
    def _evaluation_info(self, conn: Connection, row: Any) -> EvaluationInfo:
        dsv = conn.execute(select(_dsv).where(_dsv.c.id == row.dataset_version_id)).one()
        ds_name = conn.scalar(select(_dataset.c.name).where(_dataset.c.id == dsv.dataset_id))
        mv = self._version_infos(conn, [conn.execute(select(_mv).where(_mv.c.id == row.model_version_id)).one()])[0]
        by = conn.scalar(select(_member.c.name).where(_member.c.id == row.created_by)) if row.created_by else None
        time = conn.scalar(select(_change.c.time).where(_change.c.seq == row.created_seq)) or ""
        return EvaluationInfo(row.uid, ds_name, dsv.number, dsv.tag, mv.model, mv.version, dict(row.params or {}),
                              row.predictions_hash, dict(row.results or {}), by, time, row.created_seq)

    def evaluations(self, *, dataset: str | None = None, model: str | None = None) -> list[EvaluationInfo]:
        """Stored evaluations, newest first (of one dataset or model, or all)."""
        with self._read() as conn:
            rows = conn.execute(select(_evaluation).order_by(_evaluation.c.created_seq.desc())).all()
            infos = [self._evaluation_info(conn, r) for r in rows]
        return [e for e in infos if (dataset is None or e.dataset == dataset) and (model is None or e.model == model)]

    def evaluation(self, uid: str) -> EvaluationInfo:
        """A stored evaluation by uid (or a unique prefix of it)."""
        with self._read() as conn:
            rows = conn.execute(select(_evaluation).where(_evaluation.c.uid.startswith(uid, autoescape=True))).all()
            if len(rows) != 1 or not uid:
                raise NotFound(f"no evaluation {uid!r}" if not rows else f"{uid!r} names {len(rows)} evaluations")
            return self._evaluation_info(conn, rows[0])

    def reopen_evaluation(self, uid: str, *, progress: Progress | None = None,
                          cancel: threading.Event | None = None) -> EvaluationOutcome:
        """Compute a stored evaluation again from the project, to read it at any threshold and
        drill down; the predictions must still hash as they did."""
        info = self.evaluation(uid)
        p = info.params
        with self._read() as conn:
            _dsv_row, _mv, _set, _seq, data = self._eval_context(conn, info.dataset, info.version, info.model_ref,
                                                                 int(p["predictions_seq"]))
        digest = data.predictions_hash
        if digest != info.predictions_hash:
            raise InvalidInput(f"the predictions of evaluation {info.uid[:8]} no longer hash as they did "
                               "when it was made: the project was altered outside LabelHub")
        run = self._compute(data, p.get("task", "detection"), p.get("iou_type", "bbox"), progress, cancel)
        return EvaluationOutcome(run, dict(p), digest, dict(info.results), info)

    def evaluation_data(self, dataset: str, version: str | int, predictions: str) -> EvalData:
        """The ground truth at ``version`` and the current ``predictions``, as evaluation sees them."""
        with self._read() as conn:
            return self._eval_context(conn, dataset, version, predictions)[4]

    def compare_evaluations(self, a: str, b: str) -> EvaluationComparison:
        """Evaluations ``a`` and ``b`` side by side; ``notes`` say why they may not be comparable."""
        ea, eb = self.evaluation(a), self.evaluation(b)
        notes = []
        if (ea.dataset, ea.version) != (eb.dataset, eb.version):
            notes.append(f"different dataset versions: {ea.dataset} v{ea.version} and {eb.dataset} v{eb.version}")
        if (ea.task, ea.iou_type) != (eb.task, eb.iou_type):
            notes.append(f"different kinds of evaluation: {ea.task} {ea.iou_type} and {eb.task} {eb.iou_type}")
        if ea.params.get("score_threshold") != eb.params.get("score_threshold"):
            notes.append(f"different score thresholds for P/R/F1: {ea.params.get('score_threshold')} and "
                         f"{eb.params.get('score_threshold')}")
        if ea.task == "classification" and eb.task == "classification":
            sa, sb = ea.results.get("classification") or {}, eb.results.get("classification") or {}
            names = list(ea.results.get("stat_names") or sa)
            summary = [(n, sa.get(n), sb.get(n), _delta(sa.get(n), sb.get(n))) for n in names]
            keys = ("precision", "recall", "f1")
        else:
            ca, cb = ea.results.get("coco") or [], eb.results.get("coco") or []
            names = list(ea.results.get("stat_names") or eb.results.get("stat_names") or [])
            summary = [(n, ca[i] if i < len(ca) else None, cb[i] if i < len(cb) else None,
                        _delta(ca[i] if i < len(ca) else None, cb[i] if i < len(cb) else None))
                       for i, n in enumerate(names)]
            keys = ("ap", "ap50", "ap75", "ar", "precision", "recall", "f1")
        pa = {r["class"]: r for r in ea.results.get("per_class", [])}
        pb = {r["class"]: r for r in eb.results.get("per_class", [])}
        rows = []
        for name in [*pa, *(n for n in pb if n not in pa)]:
            ra, rb = pa.get(name, {}), pb.get(name, {})
            row: dict[str, Any] = {"class": name}
            for k in keys:
                row[f"a_{k}"], row[f"b_{k}"] = ra.get(k), rb.get(k)
                row[f"delta_{k}"] = _delta(ra.get(k), rb.get(k))
            rows.append(row)
        return EvaluationComparison(ea, eb, summary, rows, notes)

    def evaluation_slice_fields(self, dataset: str, version: str | int) -> list[str]:
        """The fields a dataset version can be sliced by (split, tags, image_labels, meta.KEY)."""
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            dsv = self._dataset_version_row(conn, dataset, version)
            rows = conn.execute(select(_item.c.split, _item.c.meta).where(
                _item.c.dataset_id == ds.id, as_of(_item, dsv.seq))).all()
            gt_set = conn.execute(select(_label_set.c.id).where(_label_set.c.dataset_id == ds.id,
                                                                _label_set.c.kind == "ground_truth")).scalar_one()
            has_tags = conn.execute(select(_annotation.c.id).where(
                _annotation.c.label_set_id == gt_set, _annotation.c.kind == "tag", _annotation.c.class_uid.isnot(None),
                as_of(_annotation, dsv.seq)).limit(1)).first() is not None
        items = [EvalItem("", "", 0, 0, "", r.split, dict(r.meta or {})) for r in rows]
        return slice_fields_of(items, has_tags)


__all__ = ["EvaluationComparison", "EvaluationInfo", "EvaluationMixin", "EvaluationOutcome", "RunBase"]
