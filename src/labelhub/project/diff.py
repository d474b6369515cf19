"""The difference between two states of a dataset, read from the rows changed in between.

A row's uid changed between seqs ``lo < hi`` exactly when one of its rows has ``valid_from`` or
``valid_to`` in ``(lo, hi]``; both of its states (at ``lo`` and at ``hi``) are among those rows.
So a diff reads the rows changed in between (through the indexes on valid_from and valid_to)
and never scans the dataset. Ground-truth annotations count only on items present in the
dataset, as in a version's content (see ``project/tally.py``): annotations of items added or
removed in between are listed as added or removed too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, and_, or_, select

from labelhub.store.tables import Annotation, Item, LabelClass, LabelSet, Media
from labelhub.store.versioned import as_of

_item = Item.__table__
_class = LabelClass.__table__
_annotation = Annotation.__table__
_label_set = LabelSet.__table__
_media = Media.__table__

CLASS_FIELDS = ("name", "color", "hotkey", "position", "kinds", "attributes", "keypoints",
                "skeleton", "guidelines")


@dataclass(frozen=True)
class ItemChange:
    """An item added, removed, moved to another split, or otherwise changed (name, image)."""

    uid: str
    name: str
    change: str  # added | removed | moved | changed
    split_before: str | None = None
    split_after: str | None = None
    name_before: str | None = None
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnnotationChange:
    """A ground-truth annotation added, removed or changed (geometry, class, attributes)."""

    uid: str
    item_uid: str
    item_name: str
    change: str  # added | removed | changed
    label_before: str | None = None
    label_after: str | None = None
    kind_before: str | None = None
    kind_after: str | None = None
    fields: tuple[str, ...] = ()
    geometry_before: dict[str, Any] | None = None
    geometry_after: dict[str, Any] | None = None
    attributes_before: dict[str, Any] | None = None
    attributes_after: dict[str, Any] | None = None

    @property
    def label(self) -> str | None:
        return self.label_after if self.label_after is not None else self.label_before

    @property
    def kind(self) -> str | None:
        return self.kind_after or self.kind_before


@dataclass(frozen=True)
class ClassChange:
    """A label class added, removed or changed (which of its fields)."""

    uid: str
    name: str
    change: str  # added | removed | changed
    name_before: str | None = None
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClassCount:
    """Ground-truth annotations of one class in each state, in all and per split."""

    uid: str
    name: str
    before: int
    after: int
    by_split_before: dict[str, int] = field(default_factory=dict)
    by_split_after: dict[str, int] = field(default_factory=dict)


@dataclass
class VersionDiff:
    dataset: str
    before: str
    after: str
    before_seq: int
    after_seq: int
    items: list[ItemChange] = field(default_factory=list)
    annotations: list[AnnotationChange] = field(default_factory=list)
    classes: list[ClassChange] = field(default_factory=list)
    counts: list[ClassCount] = field(default_factory=list)
    totals_before: dict[str, int] = field(default_factory=dict)
    totals_after: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for prefix, changes in (("items", self.items), ("annotations", self.annotations),
                                ("classes", self.classes)):
            for change in changes:
                key = f"{prefix}_{change.change}"
                out[key] = out.get(key, 0) + 1
        return dict(sorted(out.items()))

    @property
    def empty(self) -> bool:
        return not (self.items or self.annotations or self.classes)

    def describe(self) -> str:
        """One line: what changed, in words."""
        parts = []
        for key, n in self.summary().items():
            what, change = key.split("_", 1)
            noun = what if n != 1 else what[:-1]
            if what == "classes":
                noun = "label classes" if n != 1 else "label class"
            parts.append(f"{n:,} {noun} {change}")
        return ", ".join(parts) if parts else "no changes"

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset, "before": self.before, "after": self.after,
            "before_seq": self.before_seq, "after_seq": self.after_seq,
            "summary": self.summary(),
            "totals": {"before": self.totals_before, "after": self.totals_after},
            "items": [asdict(c) for c in self.items],
            "annotations": [asdict(c) for c in self.annotations],
            "classes": [asdict(c) for c in self.classes],
            "counts": [asdict(c) for c in self.counts],
        }


def _valid_at(row: Any, seq: int) -> bool:
    return row.valid_from <= seq and (row.valid_to is None or row.valid_to > seq)


def _changed_between(table: Table, lo: int, hi: int) -> Any:
    """Rows opened or closed in (lo, hi]. Other conditions beside it must not be indexable
    (write them on ``column + 0``), so SQLite reads these rows through the two indexes."""
    return or_(and_(table.c.valid_from > lo, table.c.valid_from <= hi),
               and_(table.c.valid_to > lo, table.c.valid_to <= hi))


def _chunks(values: Sequence[Any], size: int = 900) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _states(rows: Iterable[Any], a: int, b: int) -> tuple[dict[str, Any], dict[str, Any]]:
    at_a: dict[str, Any] = {}
    at_b: dict[str, Any] = {}
    for row in rows:
        if _valid_at(row, a):
            at_a[row.uid] = row
        if _valid_at(row, b):
            at_b[row.uid] = row
    return at_a, at_b


def diff_states(conn: Connection, dataset_id: int, dataset: str,
                before: tuple[str, int, dict[str, Any]],
                after: tuple[str, int, dict[str, Any]]) -> VersionDiff:
    """The diff from state ``before`` to state ``after``, each (label, seq, stats)."""
    (label_a, a, stats_a), (label_b, b, stats_b) = before, after
    lo, hi = min(a, b), max(a, b)
    out = VersionDiff(dataset, label_a, label_b, a, b)
    out.totals_before = {k: stats_a.get(k, 0) for k in ("items", "annotations", "classes")}
    out.totals_after = {k: stats_b.get(k, 0) for k in ("items", "annotations", "classes")}
    out.counts = _counts(stats_a, stats_b)
    if lo == hi:
        return out
    both = or_(as_of(_item, a), as_of(_item, b))

    # Label classes.
    class_rows = conn.execute(select(_class).where(_class.c.dataset_id == dataset_id,
                                                   or_(as_of(_class, a), as_of(_class, b)))).all()
    names_a = {r.uid: r.name for r in class_rows if _valid_at(r, a)}
    names_b = {r.uid: r.name for r in class_rows if _valid_at(r, b)}
    cls_a, cls_b = _states(conn.execute(select(_class).where(
        (_class.c.dataset_id + 0) == dataset_id, _changed_between(_class, lo, hi))).all(), a, b)
    for uid in sorted(cls_a.keys() | cls_b.keys()):
        ra, rb = cls_a.get(uid), cls_b.get(uid)
        if ra is None:
            out.classes.append(ClassChange(uid, rb.name, "added"))
        elif rb is None:
            out.classes.append(ClassChange(uid, ra.name, "removed"))
        else:
            fields = tuple(f for f in CLASS_FIELDS if getattr(ra, f) != getattr(rb, f))
            if fields:
                out.classes.append(ClassChange(uid, rb.name, "changed", ra.name, fields))
    out.classes.sort(key=lambda c: (c.name, c.uid))

    # Items.
    item_cols = (_item.c.uid, _item.c.name, _item.c.split, _item.c.valid_from, _item.c.valid_to,
                 _media.c.sha256)
    item_a, item_b = _states(conn.execute(
        select(*item_cols).join(_media, _media.c.id == _item.c.media_id)
        .where((_item.c.dataset_id + 0) == dataset_id, _changed_between(_item, lo, hi))).all(), a, b)
    moved_in_or_out: list[str] = []
    for uid in sorted(item_a.keys() | item_b.keys()):
        ra, rb = item_a.get(uid), item_b.get(uid)
        if ra is None:
            out.items.append(ItemChange(uid, rb.name, "added", None, rb.split))
            moved_in_or_out.append(uid)
        elif rb is None:
            out.items.append(ItemChange(uid, ra.name, "removed", ra.split, None))
            moved_in_or_out.append(uid)
        else:
            fields = tuple(f for f, x, y in (("split", ra.split, rb.split), ("name", ra.name, rb.name),
                                             ("image", ra.sha256, rb.sha256)) if x != y)
            if fields:
                change = "moved" if "split" in fields else "changed"
                out.items.append(ItemChange(uid, rb.name, change, ra.split, rb.split,
                                            ra.name if ra.name != rb.name else None, fields))
    out.items.sort(key=lambda c: (c.name, c.uid))

    # Ground-truth annotations, on items present in each state.
    sets = [s for s in conn.execute(select(_label_set.c.id).where(
        _label_set.c.dataset_id == dataset_id, _label_set.c.kind == "ground_truth")).scalars()]
    ann_rows = {r.id: r for r in conn.execute(select(_annotation).where(
        (_annotation.c.label_set_id + 0).in_(sets), _changed_between(_annotation, lo, hi)))}
    for chunk in _chunks(moved_in_or_out):
        for r in conn.execute(select(_annotation).where(
                _annotation.c.label_set_id.in_(sets), _annotation.c.item_uid.in_(chunk),
                or_(as_of(_annotation, a), as_of(_annotation, b)))):
            ann_rows[r.id] = r
    item_uids = sorted({r.item_uid for r in ann_rows.values()})
    present_a: set[str] = set()
    present_b: set[str] = set()
    item_names: dict[str, str] = {}
    for chunk in _chunks(item_uids):
        for r in conn.execute(select(_item.c.uid, _item.c.name, _item.c.valid_from, _item.c.valid_to)
                              .where((_item.c.dataset_id + 0) == dataset_id, _item.c.uid.in_(chunk), both)):
            if _valid_at(r, a):
                present_a.add(r.uid)
                item_names.setdefault(r.uid, r.name)
            if _valid_at(r, b):
                present_b.add(r.uid)
                item_names[r.uid] = r.name
    ann_a, ann_b = _states(ann_rows.values(), a, b)
    ann_a = {u: r for u, r in ann_a.items() if r.item_uid in present_a}
    ann_b = {u: r for u, r in ann_b.items() if r.item_uid in present_b}
    for uid in ann_a.keys() | ann_b.keys():
        ra, rb = ann_a.get(uid), ann_b.get(uid)
        ref = rb if rb is not None else ra
        name = item_names.get(ref.item_uid, "")
        if ra is None:
            out.annotations.append(AnnotationChange(
                uid, rb.item_uid, name, "added", None, names_b.get(rb.class_uid), None, rb.kind,
                (), None, rb.geometry, None, dict(rb.attributes or {})))
        elif rb is None:
            out.annotations.append(AnnotationChange(
                uid, ra.item_uid, name, "removed", names_a.get(ra.class_uid), None, ra.kind, None,
                (), ra.geometry, None, dict(ra.attributes or {}), None))
        else:
            fields = tuple(f for f, x, y in (
                ("geometry", (ra.kind, ra.geometry), (rb.kind, rb.geometry)),
                ("class", ra.class_uid, rb.class_uid),
                ("attributes", ra.attributes or {}, rb.attributes or {})) if x != y)
            if fields:
                out.annotations.append(AnnotationChange(
                    uid, rb.item_uid, name, "changed", names_a.get(ra.class_uid),
                    names_b.get(rb.class_uid), ra.kind, rb.kind, fields, ra.geometry, rb.geometry,
                    dict(ra.attributes or {}), dict(rb.attributes or {})))
    out.annotations.sort(key=lambda c: (c.item_name, c.change, c.label or "", c.uid))
    return out


def _counts(stats_a: dict[str, Any], stats_b: dict[str, Any]) -> list[ClassCount]:
    per_a = {e["uid"]: e for e in stats_a.get("per_class", [])}
    per_b = {e["uid"]: e for e in stats_b.get("per_class", [])}
    order = list(per_b) + [u for u in per_a if u not in per_b]
    out = []
    for uid in order:
        ea, eb = per_a.get(uid, {}), per_b.get(uid, {})
        name = eb.get("name") or ea.get("name") or "(no class)"
        out.append(ClassCount(uid, name, ea.get("annotations", 0), eb.get("annotations", 0),
                              dict(ea.get("by_split", {})), dict(eb.get("by_split", {}))))
    return out
