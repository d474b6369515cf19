"""The label schema of a dataset: label classes with colours, hotkeys, allowed shape kinds,
typed attributes, keypoint names and skeletons, and guidelines. Versioned like items."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from labelhub.errors import InvalidInput, NotFound
from labelhub.geometry import SHAPE_KINDS
from labelhub.project.core import check_name
from labelhub.project.datasets import DatasetsMixin
from labelhub.store.tables import Annotation, LabelClass, LabelSet
from labelhub.store.versioned import as_of, close, current, insert_rows, new_uid, revise

_class = LabelClass.__table__
_annotation = Annotation.__table__
_label_set = LabelSet.__table__

ATTRIBUTE_TYPES = ("boolean", "choice", "number", "text")
#: Colours given to new classes in turn (distinct, readable on images and on both themes).
PALETTE = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
           "#bfef45", "#fabed4", "#469990", "#dcbeff", "#9a6324", "#fffac8", "#800000",
           "#aaffc3", "#808000", "#ffd8b1", "#000075", "#a9a9a9", "#ffe119")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class AttributeSpec:
    name: str
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    multiple: bool = False
    minimum: float | None = None
    maximum: float | None = None
    default: Any = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "type": self.type, "required": self.required}
        if self.type == "choice":
            d["choices"] = list(self.choices)
            d["multiple"] = self.multiple
        if self.minimum is not None:
            d["min"] = self.minimum
        if self.maximum is not None:
            d["max"] = self.maximum
        if self.default is not None:
            d["default"] = self.default
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AttributeSpec:
        if not isinstance(d, dict):
            raise InvalidInput(f"an attribute must be described by a mapping, not {d!r}")
        name = check_name("attribute", d.get("name", ""))
        kind = d.get("type")
        if kind not in ATTRIBUTE_TYPES:
            raise InvalidInput(f"attribute {name!r}: type must be one of {', '.join(ATTRIBUTE_TYPES)}, not {kind!r}")
        choices = tuple(str(c) for c in d.get("choices", ()) or ())
        if kind == "choice" and not choices:
            raise InvalidInput(f"attribute {name!r}: a choice needs its choices")
        if len(set(choices)) != len(choices):
            raise InvalidInput(f"attribute {name!r}: choices repeat")
        lo, hi = d.get("min"), d.get("max")
        if lo is not None and hi is not None and float(lo) > float(hi):
            raise InvalidInput(f"attribute {name!r}: min {lo} is above max {hi}")
        spec = cls(name, kind, bool(d.get("required", False)), choices, bool(d.get("multiple", False)),
                   None if lo is None else float(lo), None if hi is None else float(hi), d.get("default"))
        if spec.default is not None and (problem := spec.check(spec.default)):
            raise InvalidInput(f"attribute {name!r}: default {problem}")
        return spec

    def check(self, value: Any) -> str | None:
        """None if ``value`` fits this attribute, else what is wrong with it."""
        if self.type == "boolean":
            return None if isinstance(value, bool) else f"{value!r} is not true or false"
        if self.type == "number":
            if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
                return f"{value!r} is not a number"
            if self.minimum is not None and value < self.minimum:
                return f"{value} is below the minimum {self.minimum:g}"
            if self.maximum is not None and value > self.maximum:
                return f"{value} is above the maximum {self.maximum:g}"
            return None
        if self.type == "choice":
            values = value if self.multiple and isinstance(value, list) else [value]
            bad = [v for v in values if v not in self.choices]
            return f"{bad[0]!r} is not one of {', '.join(self.choices)}" if bad else None
        return None if isinstance(value, str) else f"{value!r} is not text"


@dataclass(frozen=True)
class LabelClassInfo:
    uid: str
    name: str
    color: str
    hotkey: str | None
    kinds: tuple[str, ...]
    attributes: tuple[AttributeSpec, ...] = ()
    keypoints: tuple[str, ...] = ()
    skeleton: tuple[tuple[int, int], ...] = ()
    guidelines: str = ""
    position: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def allows(self, kind: str) -> bool:
        return kind in self.kinds

    def attribute(self, name: str) -> AttributeSpec | None:
        return next((a for a in self.attributes if a.name == name), None)


def class_info(row: Any) -> LabelClassInfo:
    return LabelClassInfo(
        row.uid, row.name, row.color, row.hotkey, tuple(row.kinds or SHAPE_KINDS),
        tuple(AttributeSpec.from_dict(a) for a in (row.attributes or [])),
        tuple(row.keypoints or ()), tuple(tuple(e) for e in (row.skeleton or ())),  # type: ignore[misc]
        row.guidelines or "", row.position,
    )


def _check_class_values(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in values:
        out["name"] = check_name("label class", values["name"])
    if "color" in values and values["color"] is not None:
        if not _COLOR.match(str(values["color"])):
            raise InvalidInput(f"colour must look like #1f77b4, not {values['color']!r}")
        out["color"] = str(values["color"]).lower()
    if "hotkey" in values:
        key = values["hotkey"]
        if key is not None and (not isinstance(key, str) or len(key) != 1 or not key.isalnum()):
            raise InvalidInput(f"a hotkey is one letter or digit, not {key!r}")
        out["hotkey"] = key.lower() if key else None
    if "kinds" in values and values["kinds"] is not None:
        kinds = list(dict.fromkeys(values["kinds"]))
        unknown = [k for k in kinds if k not in SHAPE_KINDS]
        if unknown or not kinds:
            raise InvalidInput(f"shape kinds must be some of {', '.join(SHAPE_KINDS)}; got {kinds}")
        out["kinds"] = kinds
    if "attributes" in values and values["attributes"] is not None:
        specs = [a if isinstance(a, AttributeSpec) else AttributeSpec.from_dict(a) for a in values["attributes"]]
        names = [a.name for a in specs]
        if len(set(names)) != len(names):
            raise InvalidInput("attribute names repeat")
        out["attributes"] = [a.to_dict() for a in specs]
    if "keypoints" in values and values["keypoints"] is not None:
        names = [check_name("keypoint", k) for k in values["keypoints"]]
        if len(set(names)) != len(names):
            raise InvalidInput("keypoint names repeat")
        out["keypoints"] = names
    if "skeleton" in values and values["skeleton"] is not None:
        n = len(out.get("keypoints", values.get("keypoints") or []))
        edges = []
        for edge in values["skeleton"]:
            a, b = (int(v) for v in edge)
            if not (0 <= a < n and 0 <= b < n) or a == b:
                raise InvalidInput(f"skeleton edge {edge!r} does not join two of the {n} keypoints")
            edges.append([a, b])
        out["skeleton"] = edges
    if "guidelines" in values and values["guidelines"] is not None:
        out["guidelines"] = str(values["guidelines"])
    return out


class SchemaMixin(DatasetsMixin):
    def label_classes(self, dataset: str, *, at_seq: int | None = None) -> list[LabelClassInfo]:
        with self._read() as conn:
            return self._classes(conn, self._dataset_row(conn, dataset).id, at_seq)

    def _classes(self, conn: Connection, dataset_id: int, at_seq: int | None = None) -> list[LabelClassInfo]:
        when = current(_class) if at_seq is None else as_of(_class, at_seq)
        rows = conn.execute(
            select(_class).where(_class.c.dataset_id == dataset_id, when).order_by(_class.c.position, _class.c.name)
        ).all()
        return [class_info(r) for r in rows]

    def _class_row(self, conn: Connection, dataset_id: int, name_or_uid: str) -> Any:
        row = conn.execute(
            select(_class).where(
                _class.c.dataset_id == dataset_id, current(_class),
                (_class.c.name == name_or_uid) | (_class.c.uid == name_or_uid),
            )
        ).first()
        if row is None:
            names = ", ".join(c.name for c in self._classes(conn, dataset_id)) or "none yet"
            raise NotFound(f"no label class {name_or_uid!r}; classes: {names}")
        return row

    def _check_unique(self, conn: Connection, dataset_id: int, values: dict[str, Any], uid: str | None) -> None:
        for key in ("name", "hotkey"):
            if values.get(key) is None:
                continue
            clash = conn.execute(
                select(_class.c.name).where(_class.c.dataset_id == dataset_id, current(_class),
                                            _class.c[key] == values[key], _class.c.uid != (uid or ""))
            ).first()
            if clash:
                what = "name" if key == "name" else f"hotkey {values[key]!r}"
                raise InvalidInput(f"the label class {clash.name!r} already has that {what}")

    def add_label_class(self, dataset: str, name: str, **options: Any) -> LabelClassInfo:
        """Add a class. Options: color, hotkey, kinds, attributes, keypoints, skeleton, guidelines."""
        values = _check_class_values({"name": name, **options})
        with self._change("schema.change", "label_class", op="add", dataset=dataset, name=values["name"]) as tx:
            ds = self._dataset_row(tx.conn, dataset)
            self._check_unique(tx.conn, ds.id, values, None)
            count = tx.conn.scalar(select(func.count()).select_from(_class).where(_class.c.dataset_id == ds.id, current(_class))) or 0
            row = {"dataset_id": ds.id, "color": PALETTE[count % len(PALETTE)], "hotkey": None,
                   "position": count, "kinds": list(SHAPE_KINDS), "attributes": [], "keypoints": [],
                   "skeleton": [], "guidelines": "", "uid": new_uid()}
            row.update(values)
            insert_rows(tx.conn, _class, [row], tx.seq)
            tx.pending.entity_uid = row["uid"]
            return class_info(self._class_row(tx.conn, ds.id, row["uid"]))

    def update_label_class(self, dataset: str, label_class: str, /, **changes: Any) -> LabelClassInfo:
        """Rename, recolour, rebind, or change kinds, attributes, keypoints or guidelines."""
        values = _check_class_values(changes)
        if "position" in changes:
            values["position"] = int(changes["position"])
        if not values:
            raise InvalidInput("nothing to change")
        with self._change("schema.change", "label_class", op="update", dataset=dataset,
                          name=label_class, fields=sorted(values)) as tx:
            ds = self._dataset_row(tx.conn, dataset)
            row = self._class_row(tx.conn, ds.id, label_class)
            tx.pending.entity_uid = row.uid
            self._check_unique(tx.conn, ds.id, values, row.uid)
            revise(tx.conn, _class, row.uid, values, tx.seq)
            return class_info(self._class_row(tx.conn, ds.id, row.uid))

    def remove_label_class(self, dataset: str, name: str, *, annotations: str | None = None) -> int:
        """Remove a class. When it has annotations, say what becomes of them:
        ``annotations="delete"`` removes them, ``annotations="move:OTHER"`` gives them class OTHER.
        Returns how many annotations were deleted or moved."""
        with self._change("schema.change", "label_class", op="remove", dataset=dataset, name=name) as tx:
            ds = self._dataset_row(tx.conn, dataset)
            row = self._class_row(tx.conn, ds.id, name)
            tx.pending.entity_uid = row.uid
            sets = select(_label_set.c.id).where(_label_set.c.dataset_id == ds.id)
            uids = list(tx.conn.execute(
                select(_annotation.c.uid).where(_annotation.c.class_uid == row.uid, current(_annotation),
                                                _annotation.c.label_set_id.in_(sets))
            ).scalars())
            if uids and annotations is None:
                raise InvalidInput(
                    f"the class {row.name!r} has {len(uids)} annotations; say whether to delete them "
                    "or move them to another class"
                )
            if uids and annotations == "delete":
                for uid in uids:
                    close(tx.conn, _annotation, uid, tx.seq)
            elif uids and annotations and annotations.startswith("move:"):
                target = self._class_row(tx.conn, ds.id, annotations[5:])
                if target.uid == row.uid:
                    raise InvalidInput("cannot move annotations to the class being removed")
                for uid in uids:
                    revise(tx.conn, _annotation, uid, {"class_uid": target.uid}, tx.seq)
            elif uids:
                raise InvalidInput(f"annotations= must be 'delete' or 'move:CLASS', not {annotations!r}")
            close(tx.conn, _class, row.uid, tx.seq)
            tx.detail["annotations"] = {"count": len(uids), "what": annotations}
            return len(uids)
