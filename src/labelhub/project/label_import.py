"""Importing labels from an exchange format into a label set: the dataset's ground truth, a
member's annotator set, or a model version's predictions.

The file is read and checked completely before anything is written (hostile input is refused
by the readers in ``labelhub.formats``); images are matched to the dataset's items by name, by
file name when that is unique, or by the SHA-256 of the image file beside the labels; classes
are mapped by name or created; every shape is checked against its item's image and its class.
Any problem refuses the whole import, listing each one; otherwise everything is written in one
change.
"""

from __future__ import annotations

import math
import os
import re
import threading
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from labelhub.errors import Cancelled, InvalidInput
from labelhub.formats import (
    AnnotationRecord,
    ClassSpec,
    LabelDocument,
    Problem,
    ProblemsFound,
    ReadOptions,
    format_info,
    open_dataset,
)
from labelhub.geometry import SHAPE_KINDS
from labelhub.media.probe import sha256_file
from labelhub.project.exchange import ExchangeMixin, class_specs
from labelhub.project.labels import CROWD_ATTRIBUTE, NewAnnotation, attribute_problems
from labelhub.project.schema import PALETTE, LabelClassInfo, _check_class_values, class_info
from labelhub.store.tables import Annotation, Item, LabelClass, LabelSet, Media, Member
from labelhub.store.versioned import close, current, insert_rows, new_uid

_annotation = Annotation.__table__
_label_set = LabelSet.__table__
_class = LabelClass.__table__
_item = Item.__table__
_media = Media.__table__
_member = Member.__table__

Progress = Callable[[int, int, str], None]
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_TYPES = {"bool": "boolean", "int": "number", "float": "number", "text": "text", "select": "choice"}


def parse_into(into: str) -> tuple[str, str | None]:
    """("ground_truth", None), ("annotator", MEMBER) or ("predictions", "MODEL@VERSION")."""
    text = (into or "").strip()
    if text.lower() in ("ground-truth", "ground_truth", "groundtruth", "gt"):
        return "ground_truth", None
    kind, _, rest = text.partition(":")
    if kind == "annotator" and rest.strip():
        return "annotator", rest.strip()
    if kind == "predictions" and "@" in rest and rest.split("@", 1)[0] and rest.split("@", 1)[1]:
        return "predictions", rest.strip()
    raise InvalidInput(f"--into must be ground-truth, annotator:MEMBER or "
                       f"predictions:MODEL@VERSION, not {into!r}")


@dataclass
class LabelImportReport:
    dataset: str
    format: str
    into: str
    label_set: str = ""
    seq: int | None = None
    images: int = 0
    matched: dict[str, int] = field(default_factory=dict)  # "name" | "file name" | "hash" -> count
    skipped: list[str] = field(default_factory=list)  # images not in the dataset, without labels
    classes_created: list[str] = field(default_factory=list)
    added: int = 0
    replaced: int = 0

    def summary(self) -> str:
        text = (f"{self.added:,} annotations imported into {self.into} of {self.dataset} "
                f"from {sum(self.matched.values()):,} images")
        if self.replaced:
            text += f", replacing {self.replaced:,}"
        if self.classes_created:
            text += f"; new label classes: {', '.join(self.classes_created)}"
        if self.skipped:
            text += f"; {len(self.skipped):,} images without labels are not in the dataset"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "format": self.format, "into": self.into,
                "label_set": self.label_set, "seq": self.seq, "images": self.images,
                "matched": self.matched, "skipped": self.skipped,
                "classes_created": self.classes_created, "added": self.added,
                "replaced": self.replaced}


def _value_type(values: list[Any]) -> str:
    """The project attribute type values fit: boolean, number, else text."""
    if values and all(isinstance(v, bool) for v in values):
        return "boolean"
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "number"
    return "text"


def _attribute_dicts(spec: ClassSpec, anns: Sequence[AnnotationRecord]) -> list[dict[str, Any]]:
    """Project attribute definitions for a new class: the declared ones (a declared "text"
    attribute whose values are all booleans or numbers takes their type), then the ones only
    used."""
    values: dict[str, list[Any]] = {}
    for ann in anns:
        for name, value in ann.attributes.items():
            if value is not None:
                values.setdefault(name, []).append(value)
    out: dict[str, dict[str, Any]] = {}
    for a in spec.attributes:
        kind = _TYPES[a.type]
        if kind == "text" or (kind == "choice" and not a.values):
            kind = _value_type(values.get(a.name, []))
        d: dict[str, Any] = {"name": a.name, "type": kind}
        if kind == "choice":
            d["choices"] = list(a.values)
        out[a.name] = d
    for name, seen in values.items():
        if name not in out:
            out[name] = {"name": name, "type": _value_type(seen)}
    return list(out.values())


class LabelImportMixin(ExchangeMixin):
    def import_labels(
        self, dataset: str, path: str | os.PathLike[str], fmt: str, *,
        into: str = "ground-truth", replace: bool = False, create_classes: bool = True,
        coco_ground_truth: str | os.PathLike[str] | None = None, yolo_task: str | None = None,
        progress: Progress | None = None, cancel: threading.Event | None = None,
    ) -> LabelImportReport:
        """Import the labels in ``path`` (a file, folder or zip archive in format ``fmt``) into
        ``into``: "ground-truth", "annotator:MEMBER" or "predictions:MODEL@VERSION".

        With ``replace`` the annotations the set already has on the images in the file are
        replaced (predictions are always replaced as a whole). Classes missing from the schema
        are created when ``create_classes`` (a lead's right), except for predictions, which
        must use the dataset's classes. A COCO results list (detections with scores) needs
        ``coco_ground_truth``, the COCO file whose image and category ids it uses.
        """
        kind, who = parse_into(into)
        info = format_info(fmt)
        self._authorize_import(kind, who)
        source = Path(path).expanduser()
        report = LabelImportReport(dataset, fmt, into)
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            report.dataset = ds.name
            items = conn.execute(select(_item.c.uid, _item.c.name, _media.c.sha256, _media.c.width,
                                        _media.c.height).join(_media, _media.c.id == _item.c.media_id)
                                 .where(_item.c.dataset_id == ds.id, current(_item))).all()
            classes = self._classes(conn, ds.id)
        sizes: dict[str, tuple[int, int]] = {}
        for r in items:
            sizes[r.name] = (r.width, r.height)
            sizes.setdefault(PurePosixPath(r.name).name, (r.width, r.height))
            sizes.setdefault(PurePosixPath(r.name).stem, (r.width, r.height))  # YOLO labels only
        options = ReadOptions(image_sizes=sizes, yolo_task=yolo_task, classes=class_specs(classes),
                              coco_ground_truth=str(coco_ground_truth) if coco_ground_truth else None)
        with ExitStack() as stack:
            root = stack.enter_context(open_dataset(source, options.limits))
            try:
                doc = info.read(root, options, progress, cancel)
            except ProblemsFound as exc:
                raise ProblemsFound(exc.problems, f"{source.name}; nothing was imported") from None
            if not doc.images and not doc.annotations:
                raise InvalidInput(f"{source}: no labels found in it as {info.title}")
            doc.annotations = [_with_crowd(a) for a in doc.annotations]
            base = root if root.is_dir() else root.parent
            matched = self._match_images(doc, items, base, report, cancel)
        if cancel is not None and cancel.is_set():
            raise Cancelled("the import was cancelled; nothing was imported")
        problems, plan = self._check_labels(doc, matched, items, classes, kind, create_classes,
                                            source.name)
        if problems:
            raise ProblemsFound(problems, f"{source.name}; nothing was imported")
        if progress:
            progress(1, 1, "saving to the project")
        if kind == "predictions":
            return self._write_predictions(ds.name, who or "", doc, matched, plan, report)
        return self._write_labels(ds.name, kind, who, doc, matched, plan, replace, report)

    # ------------------------------------------------------------------------ checking
    def _authorize_import(self, kind: str, who: str | None) -> None:
        if kind == "predictions":
            self.authorize("predictions.import")
        elif kind == "annotator" and who == self.member.name:
            self.authorize("annotation.edit")
        else:
            self.authorize("labels.import")

    @staticmethod
    def _match_images(doc: LabelDocument, items: Sequence[Any], base: Path,
                      report: LabelImportReport, cancel: threading.Event | None) -> dict[str, Any]:
        """Image name in the file -> the dataset's item (by name, unique file name, unique stem
        for a name without extension, or hash)."""
        by_name = {r.name: r for r in items}
        by_base: dict[str, list[Any]] = {}
        by_stem: dict[str, list[Any]] = {}
        for r in items:
            by_base.setdefault(PurePosixPath(r.name).name, []).append(r)
            by_stem.setdefault(PurePosixPath(r.name).stem, []).append(r)
        by_sha = {r.sha256: r for r in items}
        labelled = {a.image for a in doc.annotations}
        matched: dict[str, Any] = {}
        report.images = len(doc.images)
        for image in doc.images:
            if cancel is not None and cancel.is_set():
                raise Cancelled("the import was cancelled; nothing was imported")
            name = image.name
            how, item = None, by_name.get(name)
            if item is not None:
                how = "name"
            elif len(by_base.get(PurePosixPath(name).name, [])) == 1:
                how, item = "file name", by_base[PurePosixPath(name).name][0]
            elif not PurePosixPath(name).suffix and len(by_stem.get(PurePosixPath(name).name, [])) == 1:
                how, item = "file stem", by_stem[PurePosixPath(name).name][0]  # YOLO labels alone
            else:
                sha = image.sha256
                if sha is None and name in doc.media:
                    sha = sha256_file(base / doc.media[name])
                if sha is not None and sha in by_sha:
                    how, item = "hash", by_sha[sha]
            if item is not None:
                matched[name] = item
                report.matched[how] = report.matched.get(how, 0) + 1
            elif name not in labelled:
                report.skipped.append(name)
        return matched

    def _check_labels(self, doc: LabelDocument, matched: dict[str, Any], items: Sequence[Any],
                      classes: Sequence[LabelClassInfo], kind: str, create: bool,
                      file: str) -> tuple[list[Problem], dict[str, Any]]:
        """Every problem with the labels, and the plan: label -> class (existing or to create)."""
        problems: list[Problem] = []
        existing = {c.name: c for c in classes}
        folded: dict[str, list[LabelClassInfo]] = {}
        for c in classes:
            folded.setdefault(c.name.casefold(), []).append(c)
        specs = {c.name: c for c in doc.classes}
        by_label: dict[str, list[AnnotationRecord]] = {}
        for ann in doc.annotations:
            by_label.setdefault(ann.label, []).append(ann)
        plan: dict[str, Any] = {}
        for label, anns in by_label.items():
            if label in existing:
                plan[label] = existing[label]
            elif len(folded.get(label.casefold(), [])) == 1:
                plan[label] = folded[label.casefold()][0]
            elif kind == "predictions":
                problems.append(Problem(file, None, None, f"label {label!r} is not a class of the "
                                        "dataset; predictions must use the dataset's classes"))
            elif not create:
                problems.append(Problem(file, None, None, f"label {label!r} is not a class of the dataset"))
            elif not self.can("schema.change"):
                problems.append(Problem(file, None, None, f"label {label!r} is not a class of the "
                                        f"dataset, and only a lead may add classes"))
            else:
                spec = specs.get(label) or ClassSpec(0, label)
                kinds = list(dict.fromkeys([*spec.kinds, *(a.shape.kind for a in anns)]))
                values = {"name": label, "kinds": [k for k in SHAPE_KINDS if k in kinds],
                          "keypoints": list(spec.keypoint_names),
                          "skeleton": [list(e) for e in spec.skeleton],
                          "attributes": _attribute_dicts(spec, anns)}
                if spec.color and _COLOR.match(spec.color):
                    values["color"] = spec.color
                try:
                    checked = _check_class_values(values)
                except InvalidInput as exc:
                    problems.append(Problem(file, None, None, f"label {label!r}: {exc}"))
                    continue
                plan[label] = checked
        sizes = {r.uid: (r.width, r.height) for r in items}
        index: dict[str, int] = {}
        for image in doc.images:
            item = matched.get(image.name)
            if item is not None and image.width and image.height and \
                    (image.width, image.height) != (item.width, item.height):
                problems.append(Problem(file, image.name, None,
                                        f"the file gives the image as {image.width}x{image.height}, "
                                        f"the dataset's {item.name} is {item.width}x{item.height}"))
        claimed: dict[str, str] = {}
        for name in sorted({a.image for a in doc.annotations}):
            item = matched.get(name)
            if item is not None and claimed.setdefault(item.uid, name) != name:
                problems.append(Problem(file, name, None, f"is the same image of the dataset "
                                        f"({item.name}) as {claimed[item.uid]}"))
        missing: set[str] = set()
        for ann in doc.annotations:
            i = index[ann.image] = index.get(ann.image, -1) + 1
            item = matched.get(ann.image)
            if item is None:
                if ann.image not in missing:
                    missing.add(ann.image)
                    problems.append(Problem(file, ann.image, None, "no such image in the dataset "
                                            "(looked for by name, file name and content)"))
                continue
            target = plan.get(ann.label)
            if target is None:
                continue
            cls = target if isinstance(target, LabelClassInfo) else _new_class(target)
            message = _annotation_problem(ann, cls, *sizes[item.uid])
            if message:
                problems.append(Problem(file, ann.image, i, message))
        return problems, plan

    # ------------------------------------------------------------------------- writing
    def _write_labels(self, dataset: str, kind: str, who: str | None, doc: LabelDocument,
                      matched: dict[str, Any], plan: dict[str, Any], replace: bool,
                      report: LabelImportReport) -> LabelImportReport:
        to_create = {label: v for label, v in plan.items() if not isinstance(v, LabelClassInfo)}
        if to_create:
            self.authorize("schema.change")
        own = kind == "annotator" and who == self.member.name
        action = "annotation.edit" if own else "labels.import"
        with self._change(action, "label_set", op="import", dataset=dataset, format=report.format,
                          into=report.into) as tx:
            ds = self._dataset_row(tx.conn, dataset)
            ls = self._import_set(tx, ds, kind, who)
            tx.pending.entity_uid = ls.uid
            report.label_set = ls.uid
            uids = {label: c.uid for label, c in plan.items() if isinstance(c, LabelClassInfo)}
            count = tx.conn.scalar(select(func.count()).select_from(_class).where(
                _class.c.dataset_id == ds.id, current(_class))) or 0
            for n, (label, values) in enumerate(sorted(to_create.items())):
                row = {"dataset_id": ds.id, "color": PALETTE[(count + n) % len(PALETTE)],
                       "hotkey": None, "position": count + n, "guidelines": "", "uid": new_uid()}
                row.update(values)
                insert_rows(tx.conn, _class, [row], tx.seq)
                uids[label] = row["uid"]
                report.classes_created.append(label)
            if replace:
                targets = sorted({matched[a.image].uid for a in doc.annotations} |
                                 {item.uid for item in matched.values()})
                for i in range(0, len(targets), 900):
                    old = tx.conn.execute(select(_annotation.c.uid).where(
                        _annotation.c.label_set_id == ls.id, _annotation.c.item_uid.in_(targets[i:i + 900]),
                        current(_annotation))).scalars().all()
                    for uid in old:
                        close(tx.conn, _annotation, uid, tx.seq)
                    report.replaced += len(old)
            rows = ({"label_set_id": ls.id, "item_uid": matched[a.image].uid, "class_uid": uids[a.label],
                     "kind": a.shape.kind, "geometry": a.shape.to_dict(),
                     "attributes": {k: v for k, v in a.attributes.items() if v is not None},
                     "score": None if kind != "predictions" else a.score, "z": 0, "hidden": False,
                     "locked": False, "sources": [], "created_by": self._member_id}
                    for a in doc.annotations)
            report.added = len(insert_rows(tx.conn, _annotation, rows, tx.seq))
            report.seq = tx.seq
            tx.detail.update(added=report.added, replaced=report.replaced,
                             classes_created=report.classes_created,
                             images=sum(report.matched.values()))
        return report

    def _import_set(self, tx: Any, ds: Any, kind: str, who: str | None) -> Any:
        if kind == "ground_truth":
            return tx.conn.execute(select(_label_set).where(_label_set.c.dataset_id == ds.id,
                                                            _label_set.c.kind == "ground_truth")).one()
        member = tx.conn.execute(select(_member).where(_member.c.name == who)).first()
        if member is None:
            names = ", ".join(tx.conn.execute(select(_member.c.name).order_by(_member.c.name)).scalars())
            raise InvalidInput(f"no member named {who!r}; members: {names}")
        row = tx.conn.execute(select(_label_set).where(
            _label_set.c.dataset_id == ds.id, _label_set.c.kind == "annotator",
            _label_set.c.member_id == member.id)).first()
        if row is None:
            row = tx.insert_registry(_label_set, {
                "uid": new_uid(), "dataset_id": ds.id, "kind": "annotator", "member_id": member.id,
                "model_version_id": None, "name": member.name, "created_seq": tx.seq})
        return row

    def _write_predictions(self, dataset: str, model_ref: str, doc: LabelDocument,
                           matched: dict[str, Any], plan: dict[str, Any],
                           report: LabelImportReport) -> LabelImportReport:
        predictions: dict[str, list[NewAnnotation]] = {item.uid: [] for item in matched.values()}
        for a in doc.annotations:
            predictions[matched[a.image].uid].append(NewAnnotation(
                plan[a.label].uid, a.shape, {k: v for k, v in a.attributes.items() if v is not None},
                a.score))
        result = self.add_predictions(dataset, model_ref, predictions, replace=True)  # type: ignore[attr-defined]
        report.label_set = result.label_set
        report.added, report.replaced = result.added, result.replaced
        report.seq = self.seq()
        return report


def _with_crowd(ann: AnnotationRecord) -> AnnotationRecord:
    """A crowd region (COCO ``iscrowd``, Datumaro ``is_crowd``) keeps its flag as the
    ``iscrowd`` attribute, which evaluations read."""
    if not ann.iscrowd or ann.attributes.get(CROWD_ATTRIBUTE) is True:
        return ann
    return replace(ann, attributes={**ann.attributes, CROWD_ATTRIBUTE: True})


def _new_class(values: dict[str, Any]) -> LabelClassInfo:
    """The class a plan will create, to check annotations against before it exists."""
    return class_info(SimpleNamespace(**{"uid": "", "color": "#000000", "hotkey": None,
                                         "position": 0, "guidelines": "", **values}))


def _annotation_problem(ann: AnnotationRecord, cls: LabelClassInfo, width: int, height: int) -> str | None:
    shape = ann.shape
    if not cls.allows(shape.kind):
        return (f"{cls.name} does not allow {shape.kind.replace('_', ' ')} shapes "
                f"(it allows {', '.join(cls.kinds)})")
    if shape.kind == "keypoints" and cls.keypoints and len(shape.points) != len(cls.keypoints):  # type: ignore[attr-defined]
        return f"{cls.name} has {len(cls.keypoints)} keypoints, the shape has {len(shape.points)}"  # type: ignore[attr-defined]
    problems = shape.validate(width, height)
    if problems:
        return f"{shape.kind.replace('_', ' ')}: " + "; ".join(problems)
    if ann.score is not None and not math.isfinite(float(ann.score)):
        return f"score {ann.score!r} is not a finite number"
    errors, _flags = attribute_problems(cls, {k: v for k, v in ann.attributes.items() if v is not None})
    return "; ".join(errors) or None

