"""Predictions: one label set per model version and dataset, written only by imports.

A predictions set is named ``MODEL@VERSION`` and linked to the model version. Its annotations
are versioned like every other annotation, so an evaluation can name the predictions as they
stood at one seq and hash them: re-importing a model's output later does not change what an
old evaluation measured.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Text, func, select, type_coerce

from labelhub.errors import Cancelled, InvalidInput, NotFound
from labelhub.project.labels import LabelSetInfo, NewAnnotation, attribute_problems
from labelhub.project.models import ModelsMixin, parse_model_ref
from labelhub.project.schema import class_info
from labelhub.store.changelog import canonical
from labelhub.store.tables import Annotation, Item, LabelClass, LabelSet, Media, ModelVersion
from labelhub.store.versioned import as_of, close, current, insert_rows, new_uid

_annotation = Annotation.__table__
_label_set = LabelSet.__table__
_item = Item.__table__
_media = Media.__table__
_class = LabelClass.__table__
_mv = ModelVersion.__table__

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class PredictionSetInfo:
    uid: str
    dataset: str
    model: str
    version: str
    count: int
    items: int

    @property
    def ref(self) -> str:
        return f"{self.model}@{self.version}"


@dataclass
class PredictionsReport:
    """What ``add_predictions`` wrote."""

    label_set: str
    model_ref: str
    added: int = 0
    replaced: int = 0
    items: int = 0
    without_score: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{self.added} predictions of {self.model_ref} on {self.items} items"
        if self.replaced:
            text += f" (replacing {self.replaced})"
        if self.without_score:
            text += f"; {self.without_score} without a score"
        return text


def annotation_rows(conn: Connection, set_id: int, seq: int | None) -> list[Any]:
    """A label set's annotations now (``seq`` None) or after change ``seq``, in row order, with
    their geometry and attributes as stored JSON text (decoded only where needed: the fast way
    to read a hundred thousand predictions). A driver that decodes JSON itself gives values."""
    when = current(_annotation) if seq is None else as_of(_annotation, seq)
    a = _annotation.c
    return conn.execute(
        select(a.uid, a.item_uid, a.class_uid, a.kind, type_coerce(a.geometry, Text).label("geometry"), a.score,
               type_coerce(a.attributes, Text).label("attributes"))
        .where(a.label_set_id == set_id, when).order_by(a.id)).all()


def json_value(value: Any) -> Any:
    """A stored JSON value: text is decoded, values a driver decoded already pass through."""
    return json.loads(value) if isinstance(value, str) else value


def json_values(values: list[Any]) -> list[Any]:
    """Many stored JSON values decoded at once (one parse of a JSON array: much faster than a
    parse each when they are text)."""
    if values and all(isinstance(v, str) for v in values):
        return json.loads("[" + ",".join(values) + "]")
    return [json_value(v) for v in values]


def _attributes_text(value: Any) -> str:
    if value is None or value in ("null", "{}"):
        return "{}"
    return canonical(json_value(value))


def _geometry_text(value: Any) -> str:
    return value if isinstance(value, str) else canonical(value)


def predictions_digest(rows: Iterable[Any]) -> str:
    """SHA-256 over predictions' content (item, class, geometry, score, attributes), independent
    of row order and of annotation uids: the same predictions always hash the same. ``rows``
    come from ``annotation_rows``."""
    lines = sorted(f"{r.item_uid}\x1f{r.class_uid or ''}\x1f{_geometry_text(r.geometry)}\x1f{r.score!r}\x1f"
                   f"{_attributes_text(r.attributes)}" for r in rows)
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode())
        h.update(b"\n")
    return h.hexdigest()


class PredictionsMixin(ModelsMixin):
    def _prediction_set_row(self, conn: Connection, dataset_id: int, mv_id: int) -> Any:
        return conn.execute(select(_label_set).where(
            _label_set.c.dataset_id == dataset_id, _label_set.c.kind == "predictions",
            _label_set.c.model_version_id == mv_id)).first()

    def prediction_sets(self, dataset: str | None = None) -> list[PredictionSetInfo]:
        """The predictions sets (of one dataset, or all), with their current counts."""
        with self._read() as conn:
            q = select(_label_set).where(_label_set.c.kind == "predictions").order_by(_label_set.c.id)
            if dataset is not None:
                q = q.where(_label_set.c.dataset_id == self._dataset_row(conn, dataset).id)
            out = []
            for row in conn.execute(q).all():
                mv = self._version_infos(conn, [conn.execute(select(_mv).where(_mv.c.id == row.model_version_id)).one()])[0]
                count, items = conn.execute(select(func.count(), func.count(func.distinct(_annotation.c.item_uid)))
                                            .where(_annotation.c.label_set_id == row.id, current(_annotation))).one()
                ds = self._set_info(conn, row).dataset
                out.append(PredictionSetInfo(row.uid, ds, mv.model, mv.version, count or 0, items or 0))
            return out

    def predictions_set(self, dataset: str, model_ref: str) -> LabelSetInfo:
        """The predictions set of ``MODEL@VERSION`` on ``dataset``."""
        model, version = parse_model_ref(model_ref)
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            mv = self._model_version_row(conn, model, version)
            row = self._prediction_set_row(conn, ds.id, mv.id)
            if row is None:
                raise NotFound(f"no predictions of {model}@{version} on {dataset}; import them first")
            return self._set_info(conn, row)

    def add_predictions(
        self, dataset: str, model_ref: str, predictions: Mapping[str, Iterable[NewAnnotation]], *,
        replace: bool = True, progress: Progress | None = None, cancel: threading.Event | None = None,
    ) -> PredictionsReport:
        """Write a model version's predictions on ``dataset`` in one change.

        ``predictions`` maps items (uid or name) to their predicted annotations (class name or
        uid, shape, score, attributes). With ``replace`` the set's current predictions are
        replaced as a whole (a fresh import of the model's output); otherwise they are added.
        Every prediction is checked against the label schema and its image; any problem refuses
        the whole import, naming the item and the prediction.
        """
        model, version = parse_model_ref(model_ref)
        wanted = {str(k): list(v) for k, v in predictions.items()}
        total = max(len(wanted), 1)
        with self._change("predictions.import", "label_set", op="predictions", dataset=dataset,
                          model=f"{model}@{version}") as tx:
            ds = self._dataset_row(tx.conn, dataset)
            mv = self._model_version_row(tx.conn, model, version)
            row = self._prediction_set_row(tx.conn, ds.id, mv.id)
            if row is None:
                row = tx.insert_registry(_label_set, {
                    "uid": new_uid(), "dataset_id": ds.id, "kind": "predictions", "member_id": None,
                    "model_version_id": mv.id, "name": f"{model}@{version}", "created_seq": tx.seq})
            tx.pending.entity_uid = row.uid
            report = PredictionsReport(row.uid, f"{model}@{version}")
            sizes: dict[str, tuple[int, int]] = {}
            by_name: dict[str, str] = {}
            for r in tx.conn.execute(select(_item.c.uid, _item.c.name, _media.c.width, _media.c.height)
                                     .join(_media, _media.c.id == _item.c.media_id)
                                     .where(_item.c.dataset_id == ds.id, current(_item))):
                sizes[r.uid] = (r.width, r.height)
                by_name[r.name] = r.uid
            classes = {}
            for c in tx.conn.execute(select(_class).where(_class.c.dataset_id == ds.id, current(_class))):
                info = class_info(c)
                classes[info.uid] = classes[info.name] = info
            if replace:
                old = list(tx.conn.execute(select(_annotation.c.uid).where(
                    _annotation.c.label_set_id == row.id, current(_annotation))).scalars())
                for uid in old:
                    close(tx.conn, _annotation, uid, tx.seq)
                report.replaced = len(old)
            rows: list[dict[str, Any]] = []
            problems: list[str] = []
            for n, (key, anns) in enumerate(wanted.items()):
                if cancel is not None and cancel.is_set():
                    raise Cancelled("importing predictions was cancelled; nothing was written")
                if progress and n % 200 == 0:
                    progress(n, total, key)
                item_uid = key if key in sizes else by_name.get(key)
                if item_uid is None:
                    problems.append(f"{key}: no such item in {dataset}")
                    continue
                width, height = sizes[item_uid]
                for i, a in enumerate(anns):
                    where = f"{key}, prediction {i + 1}"
                    problem = self._prediction_problem(a, classes, width, height)
                    if problem:
                        problems.append(f"{where}: {problem}")
                        continue
                    if a.score is None:
                        report.without_score += 1
                    cls = classes.get(a.label) if a.label is not None else None
                    rows.append({"label_set_id": row.id, "item_uid": item_uid,
                                 "class_uid": cls.uid if cls else None, "kind": a.shape.kind,
                                 "geometry": a.shape.to_dict(), "attributes": dict(a.attributes or {}),
                                 "score": None if a.score is None else float(a.score), "z": a.z,
                                 "hidden": False, "locked": False, "sources": [],
                                 "created_by": self._member_id})
                if len(problems) > 50:
                    break
            if problems:
                shown = "\n  ".join(problems[:20])
                more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
                raise InvalidInput(f"{len(problems)} problems in the predictions of {model}@{version}; "
                                   f"nothing was imported:\n  {shown}{more}")
            insert_rows(tx.conn, _annotation, rows, tx.seq)
            report.added = len(rows)
            report.items = len({r["item_uid"] for r in rows})
            tx.detail.update(added=report.added, replaced=report.replaced, items=report.items)
            if progress:
                progress(total, total, "done")
            return report

    @staticmethod
    def _prediction_problem(a: NewAnnotation, classes: Mapping[str, Any], width: int, height: int) -> str | None:
        cls = None
        if a.label is not None:
            cls = classes.get(a.label)
            if cls is None:
                names = ", ".join(sorted({c.name for c in classes.values()})) or "none yet"
                return f"no label class {a.label!r}; classes: {names}"
            if not cls.allows(a.shape.kind):
                return f"{cls.name} does not allow {a.shape.kind.replace('_', ' ')} shapes"
        if a.score is not None and (isinstance(a.score, bool) or not math.isfinite(float(a.score))):
            return f"score must be a finite number, not {a.score!r}"
        shape_problems = a.shape.validate(width, height)
        if shape_problems:
            return "; ".join(shape_problems)
        errors, _flags = attribute_problems(cls, dict(a.attributes or {}))
        return "; ".join(errors) or None

    def predictions_hash(self, dataset: str, model_ref: str, *, at_seq: int | None = None) -> str:
        """The content hash of a predictions set now, or as it stood after change ``at_seq``."""
        info = self.predictions_set(dataset, model_ref)
        with self._read() as conn:
            return predictions_digest(annotation_rows(conn, self._set_row(conn, info.uid).id, at_seq))
