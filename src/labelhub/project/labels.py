"""Label sets and their annotations; undo and redo as changes of their own.

Annotators draw in their own label set; reviewers and leads may edit the ground truth;
prediction sets are written only by imports. Every edit is one change (one transaction), and
undoing a change is another change that restores the rows it replaced, so the audit log holds
the undo too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from labelhub.errors import InvalidInput, NotFound, PermissionDenied
from labelhub.geometry import Shape, shape_from_dict
from labelhub.project.schema import LabelClassInfo, SchemaMixin, class_info
from labelhub.store.tables import (
    VERSIONED_TABLES,
    Annotation,
    Change,
    Dataset,
    Item,
    LabelSet,
    Media,
    Member,
)
from labelhub.store.versioned import as_of, close, current, insert_rows, new_uid, revise

_annotation = Annotation.__table__
_label_set = LabelSet.__table__
_item = Item.__table__
_media = Media.__table__
_member = Member.__table__
_change = Change.__table__
_dataset = Dataset.__table__

#: Changes that undo may take back: those that only open and close versioned rows.
UNDOABLE = ("annotation.edit", "groundtruth.edit", "schema.change", "items.split",
            "items.edit_metadata", "undo")


@dataclass(frozen=True)
class LabelSetInfo:
    uid: str
    kind: str  # ground_truth | annotator | predictions
    name: str
    member: str | None
    dataset: str


@dataclass(frozen=True)
class AnnotationInfo:
    uid: str
    class_uid: str | None
    label: str | None
    shape: Shape
    attributes: dict[str, Any]
    score: float | None
    z: int
    hidden: bool
    locked: bool
    sources: tuple[str, ...]
    created_by: str | None
    problems: tuple[str, ...] = ()  # e.g. a required attribute left empty


@dataclass(frozen=True)
class NewAnnotation:
    """What to add: a class (name or uid), a shape, its attributes."""

    label: str | None
    shape: Shape
    attributes: dict[str, Any] | None = None
    score: float | None = None
    z: int = 0
    sources: Sequence[str] = ()


#: The attribute that marks a ground-truth shape as a crowd region (COCO's ``iscrowd``). Every
#: class accepts it as a boolean, declared or not, so crowd flags survive imports and exports and
#: evaluations treat those shapes as COCO does.
CROWD_ATTRIBUTE = "iscrowd"


def attribute_problems(cls: LabelClassInfo | None, attributes: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(errors that refuse the edit, problems that only flag it) for attribute values."""
    errors: list[str] = []
    flags: list[str] = []
    if cls is None:
        return errors, flags
    for name, value in attributes.items():
        spec = cls.attribute(name)
        if spec is None and name == CROWD_ATTRIBUTE:
            if value is not None and not isinstance(value, bool):
                errors.append(f"{cls.name}.{name}: must be true or false, got {value!r}")
        elif spec is None:
            errors.append(f"{cls.name} has no attribute {name!r}")
        elif value is not None and (problem := spec.check(value)):
            errors.append(f"{cls.name}.{name}: {problem}")
    for spec in cls.attributes:
        if spec.required and attributes.get(spec.name) in (None, "", []):
            flags.append(f"required attribute {spec.name!r} is empty")
    return errors, flags


class LabelsMixin(SchemaMixin):
    # ------------------------------------------------------------------------- label sets
    def _set_info(self, conn: Connection, row: Any) -> LabelSetInfo:
        member = conn.scalar(select(_member.c.name).where(_member.c.id == row.member_id)) if row.member_id else None
        dataset = conn.scalar(select(_dataset.c.name).where(_dataset.c.id == row.dataset_id))
        return LabelSetInfo(row.uid, row.kind, row.name, member, dataset)

    def label_sets(self, dataset: str) -> list[LabelSetInfo]:
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            rows = conn.execute(select(_label_set).where(_label_set.c.dataset_id == ds.id).order_by(_label_set.c.id)).all()
            return [self._set_info(conn, r) for r in rows]

    def ground_truth(self, dataset: str) -> LabelSetInfo:
        return next(s for s in self.label_sets(dataset) if s.kind == "ground_truth")

    def my_label_set(self, dataset: str) -> LabelSetInfo:
        """The acting member's own label set in ``dataset``, made on first use."""
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            row = conn.execute(select(_label_set).where(
                _label_set.c.dataset_id == ds.id, _label_set.c.kind == "annotator",
                _label_set.c.member_id == self._member_id)).first()
            if row is not None:
                return self._set_info(conn, row)
        with self._change("annotation.edit", "label_set", op="create", dataset=dataset) as tx:
            ds = self._dataset_row(tx.conn, dataset)
            row = tx.insert_registry(_label_set, {
                "uid": new_uid(), "dataset_id": ds.id, "kind": "annotator", "member_id": self._member_id,
                "model_version_id": None, "name": self.member.name, "created_seq": tx.seq})
            tx.pending.entity_uid = row.uid
            return self._set_info(tx.conn, row)

    def _set_row(self, conn: Connection, uid: str) -> Any:
        row = conn.execute(select(_label_set).where(_label_set.c.uid == uid)).first()
        if row is None:
            raise NotFound(f"no label set {uid}")
        return row

    def _edit_action(self, row: Any) -> str:
        """The action an edit of this label set needs, refusing sets the member may not edit."""
        if row.kind == "annotator":
            if row.member_id != self._member_id:
                raise PermissionDenied(f"{self.member.name} may not edit another member's labels")
            return "annotation.edit"
        if row.kind == "ground_truth":
            return "groundtruth.edit"
        raise PermissionDenied("model predictions are read-only; import them again to change them")

    # ------------------------------------------------------------------------ annotations
    def annotations(self, label_set: str, item: str, *, at_seq: int | None = None) -> list[AnnotationInfo]:
        """The annotations of ``item`` (uid) in ``label_set`` (uid), now or after change ``at_seq``."""
        with self._read() as conn:
            ls = self._set_row(conn, label_set)
            classes = {c.uid: c for c in self._classes(conn, ls.dataset_id, at_seq)}
            names = dict(conn.execute(select(_member.c.id, _member.c.name)).all())
            when = current(_annotation) if at_seq is None else as_of(_annotation, at_seq)
            rows = conn.execute(
                select(_annotation).where(_annotation.c.label_set_id == ls.id, _annotation.c.item_uid == item, when)
                .order_by(_annotation.c.z, _annotation.c.id)
            ).all()
        out = []
        for r in rows:
            cls = classes.get(r.class_uid)
            _errors, flags = attribute_problems(cls, r.attributes or {})
            out.append(AnnotationInfo(
                r.uid, r.class_uid, cls.name if cls else None, shape_from_dict(r.geometry),
                dict(r.attributes or {}), r.score, r.z, bool(r.hidden), bool(r.locked),
                tuple(r.sources or ()), names.get(r.created_by), tuple(flags)))
        return out

    def _item_size(self, conn: Connection, dataset_id: int, item_uid: str) -> tuple[int, int]:
        row = conn.execute(
            select(_media.c.width, _media.c.height).join(_item, _item.c.media_id == _media.c.id)
            .where(_item.c.uid == item_uid, _item.c.dataset_id == dataset_id, current(_item))
        ).first()
        if row is None:
            raise NotFound(f"no item {item_uid} in this dataset")
        return row.width, row.height

    def _checked(self, conn: Connection, ls: Any, item_uid: str, label: str | None, shape: Shape,
                 attributes: dict[str, Any]) -> str | None:
        """Validate one annotation against the schema and the image; return its class uid."""
        width, height = self._item_size(conn, ls.dataset_id, item_uid)
        cls = None
        if label is not None:
            cls = class_info(self._class_row(conn, ls.dataset_id, label))
            if not cls.allows(shape.kind):
                raise InvalidInput(f"{cls.name} does not allow {shape.kind.replace('_', ' ')} shapes "
                                   f"(it allows {', '.join(cls.kinds)})")
            if shape.kind == "keypoints" and cls.keypoints and len(shape.points) != len(cls.keypoints):  # type: ignore[union-attr]
                raise InvalidInput(f"{cls.name} has {len(cls.keypoints)} keypoints, the shape has {len(shape.points)}")  # type: ignore[union-attr]
        problems = shape.validate(width, height)
        if problems:
            raise InvalidInput(f"{shape.kind.replace('_', ' ')}: " + "; ".join(problems))
        errors, _flags = attribute_problems(cls, attributes)
        if errors:
            raise InvalidInput("; ".join(errors))
        return cls.uid if cls else None

    def add_annotations(self, label_set: str, item: str, new: Iterable[NewAnnotation]) -> list[str]:
        """Add annotations to one item of one label set in one change; returns their uids."""
        new = list(new)
        if not new:
            raise InvalidInput("nothing to add")
        with self._read() as conn:
            action = self._edit_action(self._set_row(conn, label_set))
        with self._change(action, "annotation", op="add", item=item, count=len(new)) as tx:
            ls = self._set_row(tx.conn, label_set)
            self._edit_action(ls)
            rows = []
            for a in new:
                attrs = dict(a.attributes or {})
                class_uid = self._checked(tx.conn, ls, item, a.label, a.shape, attrs)
                rows.append({"label_set_id": ls.id, "item_uid": item, "class_uid": class_uid,
                             "kind": a.shape.kind, "geometry": a.shape.to_dict(), "attributes": attrs,
                             "score": a.score, "z": a.z, "hidden": False, "locked": False,
                             "sources": list(a.sources), "created_by": self._member_id})
            uids = insert_rows(tx.conn, _annotation, rows, tx.seq)
            tx.detail["label_set"] = label_set
            return uids

    def change_annotation(self, uid: str, *, shape: Shape | None = None, label: str | None = None,
                          attributes: dict[str, Any] | None = None, z: int | None = None,
                          hidden: bool | None = None, locked: bool | None = None) -> None:
        """Change one annotation's shape, class, attributes (merged), z-order or flags."""
        with self._read() as conn:
            row = self._current_annotation(conn, uid)
            action = self._edit_action(self._set_row_by_id(conn, row.label_set_id))
        with self._change(action, "annotation", uid, op="change") as tx:
            row = self._current_annotation(tx.conn, uid)
            ls = self._set_row_by_id(tx.conn, row.label_set_id)
            self._edit_action(ls)
            if row.locked and locked is not False and (shape is not None or label is not None):
                raise InvalidInput("the annotation is locked; unlock it first")
            new_shape = shape if shape is not None else shape_from_dict(row.geometry)
            kept = dict(row.attributes or {})
            cls_ref = label if label is not None else row.class_uid
            if label is not None:  # a new class keeps only the attributes it defines
                new_cls = class_info(self._class_row(tx.conn, ls.dataset_id, label))
                kept = {k: v for k, v in kept.items() if new_cls.attribute(k) is not None}
            attrs = {k: v for k, v in {**kept, **(attributes or {})}.items() if v is not None}
            values: dict[str, Any] = {"attributes": attrs,
                                      "class_uid": self._checked(tx.conn, ls, row.item_uid, cls_ref, new_shape, attrs)}
            if shape is not None:
                values.update(kind=shape.kind, geometry=shape.to_dict())
            for key, value in (("z", z), ("hidden", hidden), ("locked", locked)):
                if value is not None:
                    values[key] = value
            tx.detail["fields"] = sorted(k for k, v in {"shape": shape, "label": label, "attributes": attributes,
                                                        "z": z, "hidden": hidden, "locked": locked}.items() if v is not None)
            revise(tx.conn, _annotation, uid, values, tx.seq)

    def delete_annotations(self, uids: Sequence[str]) -> None:
        """Delete annotations (all from label sets the member may edit) in one change."""
        if not uids:
            raise InvalidInput("nothing to delete")
        with self._read() as conn:
            first = self._current_annotation(conn, uids[0])
            action = self._edit_action(self._set_row_by_id(conn, first.label_set_id))
        with self._change(action, "annotation", op="delete", count=len(uids)) as tx:
            for uid in uids:
                row = self._current_annotation(tx.conn, uid)
                self._edit_action(self._set_row_by_id(tx.conn, row.label_set_id))
                close(tx.conn, _annotation, uid, tx.seq)
            tx.detail["uids"] = list(uids)

    def _current_annotation(self, conn: Connection, uid: str) -> Any:
        row = conn.execute(select(_annotation).where(_annotation.c.uid == uid, current(_annotation))).first()
        if row is None:
            raise NotFound(f"no annotation {uid} (it may have been deleted)")
        return row

    def _set_row_by_id(self, conn: Connection, set_id: int) -> Any:
        return conn.execute(select(_label_set).where(_label_set.c.id == set_id)).one()

    # -------------------------------------------------------------------------- undo/redo
    def undo(self, seq: int) -> int:
        """Take back change ``seq`` with a new change; returns the new change's seq.

        Rows the change opened are closed, rows it closed are restored. Refused when a later
        change touched the same rows, when the change was someone else's (unless you are a
        lead), or when it was not an edit of labels, schema or items. Redo is undoing an undo.
        """
        with self._read() as conn:
            target = conn.execute(select(_change).where(_change.c.seq == seq)).first()
            if target is None:
                raise NotFound(f"no change {seq}")
        if target.action not in UNDOABLE:
            raise InvalidInput(f"change {seq} ({target.action}) cannot be undone")
        if target.member_id != self._member_id and not self.can("member.add"):
            raise PermissionDenied(f"change {seq} was made by another member")
        action = target.action if target.action != "undo" else (target.detail or {}).get("action", "annotation.edit")
        with self._change(action if action in UNDOABLE[:-1] else "annotation.edit", "change", str(seq),
                          op="undo", undoes=seq) as tx:
            tx.pending.action = "undo"
            tx.detail["action"] = action
            for table in VERSIONED_TABLES:
                before = {r.uid: _content(r) for r in tx.conn.execute(select(table).where(table.c.valid_to == seq))}
                after = {r.uid: _content(r) for r in tx.conn.execute(select(table).where(table.c.valid_from == seq))}
                for uid in sorted(before.keys() | after.keys()):
                    now = tx.conn.execute(select(table).where(table.c.uid == uid, current(table))).first()
                    if (_content(now) if now is not None else None) != after.get(uid):
                        since = f" by change {now.valid_from}" if now is not None else ""
                        raise InvalidInput(
                            f"change {seq} cannot be undone: the {table.name.replace('_', ' ')} "
                            f"it changed was changed again since{since}"
                        )
                    if now is not None:
                        close(tx.conn, table, uid, tx.seq)
                    if uid in before:
                        insert_rows(tx.conn, table, [before[uid]], tx.seq)
            return tx.seq

    def item_history(self, item: str) -> list[dict[str, Any]]:
        """Every change that touched the annotations of ``item`` (uid), oldest first: who drew,
        changed, deleted or accepted which label."""
        with self._read() as conn:
            names = dict(conn.execute(select(_member.c.id, _member.c.name)).all())
            rows = conn.execute(select(_annotation).where(_annotation.c.item_uid == item)).all()
            seqs = sorted({r.valid_from for r in rows} | {r.valid_to for r in rows if r.valid_to})
            changes = {c.seq: c for c in conn.execute(select(_change).where(_change.c.seq.in_(seqs))).all()}
        out = []
        for s in seqs:
            c = changes[s]
            out.append({"seq": s, "time": c.time, "member": names.get(c.member_id), "action": c.action,
                        "added": sorted(r.uid for r in rows if r.valid_from == s),
                        "removed": sorted(r.uid for r in rows if r.valid_to == s)})
        return out


def _content(row: Any) -> dict[str, Any]:
    """A versioned row's values apart from its row id and validity."""
    return {k: v for k, v in row._mapping.items() if k not in ("id", "valid_from", "valid_to")}
