"""Datasets, their datasheets, and their items."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from labelhub.errors import InvalidInput, NotFound
from labelhub.project.core import ProjectBase, check_name
from labelhub.store.tables import Dataset, DatasetTally, Item, LabelSet, Media, TallyCount
from labelhub.store.versioned import as_of, current, new_uid

_dataset = Dataset.__table__
_item = Item.__table__
_media = Media.__table__
_label_set = LabelSet.__table__
_tally = DatasetTally.__table__
_tally_count = TallyCount.__table__

#: The datasheet: what a dataset is for, where it came from and what it may be used for.
DATASHEET_FIELDS: dict[str, str] = {
    "purpose": "Why the dataset was made",
    "source": "Where the images come from",
    "owner": "Who is responsible for it",
    "licence": "Licence or terms of use",
    "collection_start": "Collection began (YYYY-MM-DD)",
    "collection_end": "Collection ended (YYYY-MM-DD)",
    "consent": "Consent obtained from the people shown",
    "personal_data": "Personal data it holds and how it is protected",
    "intended_uses": "Uses it is meant for",
    "out_of_scope_uses": "Uses it must not be put to",
    "maintenance": "Who maintains it and how",
}


@dataclass(frozen=True)
class DatasetInfo:
    uid: str
    name: str
    description: str
    item_count: int
    datasheet: dict[str, Any] = field(default_factory=dict)
    created_seq: int = 0


@dataclass(frozen=True)
class ItemInfo:
    uid: str
    name: str
    media_sha256: str
    width: int
    height: int
    split: str | None
    metadata: dict[str, Any]
    media_format: str = ""
    media_bytes: int = 0


def _check_datasheet(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key == "extra":
            if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
                raise InvalidInput("datasheet 'extra' must be a mapping of names to values")
            out["extra"] = {str(k): str(v) for k, v in value.items()}
            continue
        if key not in DATASHEET_FIELDS:
            known = ", ".join([*DATASHEET_FIELDS, "extra"])
            raise InvalidInput(f"unknown datasheet field {key!r}; fields are {known}")
        text = "" if value is None else str(value).strip()
        if key.startswith("collection_") and text:
            try:
                dt.date.fromisoformat(text)
            except ValueError:
                raise InvalidInput(f"{key} must be a date like 2024-05-31, not {text!r}") from None
        out[key] = text
    return out


class DatasetsMixin(ProjectBase):
    def _dataset_row(self, conn: Connection, name: str) -> Any:
        row = conn.execute(select(_dataset).where(_dataset.c.name == name)).first()
        if row is None:
            names = ", ".join(conn.execute(select(_dataset.c.name).order_by(_dataset.c.name)).scalars())
            raise NotFound(f"no dataset named {name!r}" + (f"; datasets: {names}" if names else "; the project has no datasets yet"))
        return row

    @staticmethod
    def _item_counts(conn: Connection, dataset_ids: list[int]) -> dict[int, int]:
        """How many current items each dataset has: from the item counts of the tallies every
        change keeps in step (``tally.py``: a few rows per dataset), and counted only for a
        dataset without a tally yet (a project from before tallies, or inside the change that
        creates the dataset)."""
        if not dataset_ids:
            return {}
        tallied = set(conn.execute(select(_tally.c.dataset_id).where(_tally.c.dataset_id.in_(dataset_ids))).scalars())
        counts = {d: 0 for d in tallied}
        if tallied:
            counts.update({d: int(n or 0) for d, n in conn.execute(
                select(_tally_count.c.dataset_id, func.sum(_tally_count.c.count))
                .where(_tally_count.c.dataset_id.in_(sorted(tallied)), _tally_count.c.what == "item")
                .group_by(_tally_count.c.dataset_id)).all()})
        for dataset_id in dataset_ids:
            if dataset_id not in tallied:
                counts[dataset_id] = int(conn.scalar(select(func.count()).select_from(_item).where(
                    _item.c.dataset_id == dataset_id, current(_item))) or 0)
        return counts

    @staticmethod
    def _split_counts(conn: Connection, dataset_id: int) -> dict[str, int]:
        """How many current items each split of the dataset has ("" for none): from its tally,
        else counted."""
        if conn.scalar(select(_tally.c.dataset_id).where(_tally.c.dataset_id == dataset_id)) is not None:
            rows = conn.execute(select(_tally_count.c.split, _tally_count.c.count).where(
                _tally_count.c.dataset_id == dataset_id, _tally_count.c.what == "item")).all()
            return dict(sorted((s, int(n)) for s, n in rows if n))
        rows = conn.execute(select(_item.c.split, func.count()).where(
            _item.c.dataset_id == dataset_id, current(_item)).group_by(_item.c.split)).all()
        return dict(sorted(((s or ""), int(n)) for s, n in rows))

    def _info(self, conn: Connection, row: Any) -> DatasetInfo:
        count = self._item_counts(conn, [row.id])[row.id]
        return DatasetInfo(row.uid, row.name, row.description, count, dict(row.datasheet or {}), row.created_seq)

    def datasets(self) -> list[DatasetInfo]:
        with self._read() as conn:
            rows = conn.execute(select(_dataset).order_by(_dataset.c.name)).all()
            counts = self._item_counts(conn, [r.id for r in rows])
        return [
            DatasetInfo(r.uid, r.name, r.description, counts.get(r.id, 0), dict(r.datasheet or {}), r.created_seq)
            for r in rows
        ]

    def dataset(self, name: str) -> DatasetInfo:
        with self._read() as conn:
            return self._info(conn, self._dataset_row(conn, name))

    def create_dataset(self, name: str, description: str = "") -> DatasetInfo:
        name = check_name("dataset", name)
        with self._change("dataset.create", "dataset", name=name) as tx:
            if tx.conn.execute(select(_dataset.c.id).where(_dataset.c.name == name)).first():
                raise InvalidInput(f"a dataset named {name!r} already exists")
            row = tx.insert_registry(
                _dataset,
                {"uid": new_uid(), "name": name, "description": description or "", "datasheet": {},
                 "overlap": 1, "review_required": False, "created_seq": tx.seq,
                 "created_by": self._member_id},
            )
            tx.pending.entity_uid = row.uid
            # Every dataset has its ground truth: what versions freeze and exports write.
            tx.insert_registry(
                _label_set,
                {"uid": new_uid(), "dataset_id": row.id, "kind": "ground_truth", "member_id": None,
                 "model_version_id": None, "name": "ground truth", "created_seq": tx.seq},
            )
            return self._info(tx.conn, row)

    def rename_dataset(self, name: str, new_name: str) -> DatasetInfo:
        new_name = check_name("dataset", new_name)
        with self._change("dataset.rename", "dataset", name=name, new_name=new_name) as tx:
            row = self._dataset_row(tx.conn, name)
            tx.pending.entity_uid = row.uid
            if new_name != name and tx.conn.execute(select(_dataset.c.id).where(_dataset.c.name == new_name)).first():
                raise InvalidInput(f"a dataset named {new_name!r} already exists")
            row = tx.update_registry(_dataset, row.id, {"name": new_name})
            return self._info(tx.conn, row)

    def describe_dataset(self, name: str, description: str | None = None, **datasheet: Any) -> DatasetInfo:
        """Set the description and any datasheet fields (see DATASHEET_FIELDS, plus ``extra``)."""
        fields = _check_datasheet(datasheet)
        with self._change("dataset.describe", "dataset", name=name, fields=sorted(fields)) as tx:
            row = self._dataset_row(tx.conn, name)
            tx.pending.entity_uid = row.uid
            sheet = dict(row.datasheet or {})
            sheet.update(fields)
            values: dict[str, Any] = {"datasheet": sheet}
            if description is not None:
                values["description"] = description
            row = tx.update_registry(_dataset, row.id, values)
            return self._info(tx.conn, row)

    def items(self, dataset: str, *, at_seq: int | None = None) -> list[ItemInfo]:
        """The dataset's items now, or as they stood right after change ``at_seq``."""
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            when = current(_item) if at_seq is None else as_of(_item, at_seq)
            rows = conn.execute(
                select(_item, _media.c.sha256, _media.c.width, _media.c.height, _media.c.format, _media.c.bytes)
                .join(_media, _media.c.id == _item.c.media_id)
                .where(_item.c.dataset_id == ds.id, when)
                .order_by(_item.c.name, _item.c.id)
            ).all()
        return [
            ItemInfo(r.uid, r.name, r.sha256, r.width, r.height, r.split, dict(r.meta or {}), r.format, r.bytes)
            for r in rows
        ]
