"""Changing items: split, metadata, tags, findings kept on purpose, exclusion. Each call is
one change however many items it touches, and items are versioned rows: the old row is
closed and its successor inserted under the same uid, in bulk."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from labelhub.errors import InvalidInput, NotFound
from labelhub.project.findings import FINDING_KINDS
from labelhub.project.item_filter import RESERVED_KEYS, check_meta_key, check_tag, split_names
from labelhub.project.items import ItemsMixin, _chunks
from labelhub.store.tables import Annotation, Item, LabelSet
from labelhub.store.versioned import current

_item = Item.__table__
_annotation = Annotation.__table__
_label_set = LabelSet.__table__
MAX_VALUE = 2000


@dataclass(frozen=True)
class EditResult:
    """What one edit did: how many items changed (the rest already had the values)."""

    changed: int
    unchanged: int
    seq: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"changed": self.changed, "unchanged": self.unchanged, "seq": self.seq}


class _NoChange(Exception):
    """Raised inside a change's transaction to leave it unwritten: nothing differed."""


def check_meta_value(key: str, value: Any) -> str:
    """A metadata value as stored: text, checked for its field (capture_time is ISO 8601)."""
    text = "" if value is None else str(value).strip()
    if len(text) > MAX_VALUE:
        raise InvalidInput(f"the value of {key} is longer than {MAX_VALUE} characters")
    if key == "capture_time" and text:
        try:
            dt.datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInput(f"capture_time must be a date and time like 2024-05-31T14:02:00, "
                               f"not {text!r}") from None
    return text


def revise_items(conn: Connection, dataset_id: int, uids: Sequence[str],
                 transform: Callable[[dict[str, Any]], dict[str, Any] | None], seq: int) -> tuple[int, int]:
    """Close the current rows of ``uids`` whose values ``transform`` changes and insert their
    successors (the bulk form of ``versioned.revise``). Returns (changed, unchanged)."""
    changed = unchanged = 0
    for chunk in _chunks(list(dict.fromkeys(uids))):
        rows = conn.execute(select(_item).where(
            _item.c.dataset_id == dataset_id, current(_item), _item.c.uid.in_(chunk))).all()
        if len(rows) != len(chunk):
            gone = sorted(set(chunk) - {r.uid for r in rows})
            raise NotFound(f"{len(gone)} of the items are no longer in the dataset (e.g. {gone[0]}); "
                           "refresh and try again")
        close_ids: list[int] = []
        successors: list[dict[str, Any]] = []
        for row in rows:
            old = {k: v for k, v in row._mapping.items() if k not in ("id", "valid_from", "valid_to")}
            changes = transform(dict(old))
            if not changes or all(old.get(k) == v for k, v in changes.items()):
                unchanged += 1
                continue
            close_ids.append(row.id)
            successors.append({**old, **changes, "valid_from": seq, "valid_to": None})
        if close_ids:
            conn.execute(update(_item).where(_item.c.id.in_(close_ids)).values(valid_to=seq))
            conn.execute(insert(_item), successors)
            changed += len(close_ids)
    return changed, unchanged


class ItemEditsMixin(ItemsMixin):
    def _edit_items(self, action: str, dataset: str, uids: Sequence[str],
                    transform: Callable[[dict[str, Any]], dict[str, Any] | None], **detail: Any) -> EditResult:
        uids = list(dict.fromkeys(uids))
        if not uids:
            raise InvalidInput("no items were chosen")
        result: list[EditResult] = []
        try:
            with self._change(action, "dataset", dataset=dataset, **detail) as tx:
                ds = self._dataset_row(tx.conn, dataset)
                tx.pending.entity_uid = ds.uid
                changed, unchanged = revise_items(tx.conn, ds.id, uids, transform, tx.seq)
                if not changed:
                    result.append(EditResult(0, unchanged, None))
                    raise _NoChange
                tx.detail.update(changed=changed, unchanged=unchanged)
                result.append(EditResult(changed, unchanged, tx.seq))
        except _NoChange:
            pass
        return result[0]

    def set_split(self, dataset: str, uids: Sequence[str], split: str | None) -> EditResult:
        """Put the items ``uids`` in ``split`` (None or "" takes them out of any split)."""
        name = split_names([split])[0] if split else None
        return self._edit_items("items.split", dataset, uids, lambda row: {"split": name},
                                op="set", split=name, count=len(uids))

    def edit_metadata(self, dataset: str, uids: Sequence[str], values: dict[str, Any] | None = None,
                      remove: Sequence[str] = ()) -> EditResult:
        """Set metadata fields (an empty value removes the field) and remove others, on many
        items at once. ``tags`` and ``kept`` are managed by tag_items and keep_findings."""
        updates = {check_meta_key(k): v for k, v in (values or {}).items()}
        dropped = {check_meta_key(k) for k in remove}
        for key in [*updates, *dropped]:
            if key in RESERVED_KEYS:
                raise InvalidInput(f"{key!r} is kept by LabelHub itself; use tags or the cleaning report")
        cleaned = {k: check_meta_value(k, v) for k, v in updates.items()}
        dropped |= {k for k, v in cleaned.items() if v == ""}
        cleaned = {k: v for k, v in cleaned.items() if v != ""}
        if not cleaned and not dropped:
            raise InvalidInput("no metadata to change")

        def apply(row: dict[str, Any]) -> dict[str, Any]:
            meta = {k: v for k, v in (row["meta"] or {}).items() if k not in dropped}
            meta.update(cleaned)
            return {"meta": meta}

        return self._edit_items("items.edit_metadata", dataset, uids, apply, op="set",
                                fields=sorted(cleaned), removed=sorted(dropped), count=len(uids))

    def tag_items(self, dataset: str, uids: Sequence[str], add: Sequence[str] = (),
                  remove: Sequence[str] = ()) -> EditResult:
        """Add and remove tags (kept in the item's metadata as the list ``tags``)."""
        plus = {check_tag(t) for t in add}
        minus = {check_tag(t) for t in remove}
        if not plus and not minus:
            raise InvalidInput("no tags to add or remove")

        def apply(row: dict[str, Any]) -> dict[str, Any]:
            meta = dict(row["meta"] or {})
            tags = (set(meta.get("tags") or []) | plus) - minus
            if tags:
                meta["tags"] = sorted(tags)
            else:
                meta.pop("tags", None)
            return {"meta": meta}

        return self._edit_items("items.edit_metadata", dataset, uids, apply, op="tag",
                                added=sorted(plus), removed=sorted(minus), count=len(uids))

    def keep_findings(self, dataset: str, uids: Sequence[str], kind: str) -> EditResult:
        """Mark a cleaning finding as seen and kept on purpose: the report leaves these items
        out of ``kind`` from now on (kept in the item's metadata as the list ``kept``)."""
        if kind not in FINDING_KINDS:
            raise InvalidInput(f"unknown finding {kind!r}; findings are {', '.join(FINDING_KINDS)}")

        def apply(row: dict[str, Any]) -> dict[str, Any]:
            meta = dict(row["meta"] or {})
            meta["kept"] = sorted(set(meta.get("kept") or []) | {kind})
            return {"meta": meta}

        return self._edit_items("items.edit_metadata", dataset, uids, apply, op="keep",
                                finding=kind, count=len(uids))

    def exclude_items(self, dataset: str, uids: Sequence[str], reason: str = "") -> EditResult:
        """Take items out of the dataset (their rows and their labels in every label set are
        closed: versions made before still hold them). Returns how many were excluded."""
        uids = list(dict.fromkeys(uids))
        if not uids:
            raise InvalidInput("no items were chosen")
        with self._change("items.exclude", "dataset", dataset=dataset, count=len(uids),
                          reason=reason.strip()[:500]) as tx:
            ds = self._dataset_row(tx.conn, dataset)
            tx.pending.entity_uid = ds.uid
            sets = select(_label_set.c.id).where(_label_set.c.dataset_id == ds.id)
            names: list[str] = []
            for chunk in _chunks(uids):
                rows = tx.conn.execute(select(_item.c.id, _item.c.name).where(
                    _item.c.dataset_id == ds.id, current(_item), _item.c.uid.in_(chunk))).all()
                if len(rows) != len(chunk):
                    raise NotFound("some of the items are no longer in the dataset; refresh and try again")
                names += [r.name for r in rows]
                tx.conn.execute(update(_item).where(_item.c.id.in_([r.id for r in rows])).values(valid_to=tx.seq))
                tx.conn.execute(update(_annotation).where(
                    _annotation.c.label_set_id.in_(sets), current(_annotation),
                    _annotation.c.item_uid.in_(chunk)).values(valid_to=tx.seq))
            tx.detail["names"] = sorted(names)[:20]
            return EditResult(len(uids), 0, tx.seq)
