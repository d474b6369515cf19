"""The derived ``item_field`` table: every metadata value of every current item, one row each,
kept in step inside each change's transaction (``_before_commit``), and the id sets the
metadata filters read from it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Connection, delete, func, insert, select

from labelhub.project.item_filter import MetaCondition
from labelhub.store.tables import Item, ItemField

if TYPE_CHECKING:
    from labelhub.project.items import _Scope

_item = Item.__table__
_field = ItemField.__table__
BATCH = 5000


def field_values(value: Any) -> list[str]:
    """A metadata value as the texts it is found by (a list: each element)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [v for item in value for v in field_values(item)]
    if isinstance(value, dict):
        return [json.dumps(value, sort_keys=True, ensure_ascii=False)]
    return [str(value)]


def field_rows(rows: Iterable[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item_id, dataset_id, meta in rows:
        for key, value in (meta or {}).items():
            for text in dict.fromkeys(field_values(value)):
                out.append({"item_id": item_id, "key": str(key), "value": text, "dataset_id": dataset_id})
    return out


def sync_fields(conn: Connection, seq: int) -> None:
    """Drop the fields of item rows change ``seq`` closed, add those of the rows it opened."""
    closed = list(conn.execute(select(_item.c.id).where(_item.c.valid_to == seq)).scalars())
    for start in range(0, len(closed), BATCH):
        conn.execute(delete(_field).where(_field.c.item_id.in_(closed[start : start + BATCH])))
    opened = conn.execute(select(_item.c.id, _item.c.dataset_id, _item.c.meta)
                          .where(_item.c.valid_from == seq, _item.c.valid_to.is_(None)))
    batch: list[Any] = []
    for row in opened:
        batch.append(row)
        if len(batch) >= BATCH:
            _insert(conn, batch)
            batch = []
    _insert(conn, batch)


def _insert(conn: Connection, rows: list[Any]) -> None:
    values = field_rows(rows)
    if values:
        conn.execute(insert(_field), values)


def field_ids(conn: Connection, scope: _Scope, condition: MetaCondition) -> tuple[np.ndarray, bool]:
    """(row ids, keep them: True; or drop them: False) for a metadata condition."""
    where = [_field.c.dataset_id == scope.dataset_id, _field.c.key == condition.key]
    keep = condition.op in ("=", "~", "?")
    if condition.op in ("=", "!="):
        where.append(_field.c.value == condition.value)
    elif condition.op == "~":
        value = _field.c.value if conn.dialect.name == "sqlite" else func.lower(_field.c.value)
        where.append(value.contains(condition.value.lower(), autoescape=True))
    else:
        where.append(_field.c.value != "")
    return ids_from(conn, select(_field.c.item_id).where(*where)), keep


def tag_ids(conn: Connection, scope: _Scope, tags: Iterable[str]) -> np.ndarray:
    return ids_from(conn, select(_field.c.item_id).where(
        _field.c.dataset_id == scope.dataset_id, _field.c.key == "tags", _field.c.value.in_(list(tags))))


def ids_from(conn: Connection, stmt: Any) -> np.ndarray:
    if conn.dialect.name == "sqlite":
        text = conn.scalar(select(func.group_concat(stmt.subquery().c.item_id)))
        ids = np.fromstring(text, dtype=np.int64, sep=",") if text else np.empty(0, np.int64)
    else:
        ids = np.fromiter(conn.execute(stmt).scalars(), dtype=np.int64)
    return np.unique(ids)


def field_keys(conn: Connection, dataset_id: int) -> list[str]:
    return sorted(conn.execute(select(_field.c.key).distinct().where(_field.c.dataset_id == dataset_id)).scalars())


def field_texts(conn: Connection, dataset_id: int, key: str) -> list[str]:
    return sorted(conn.execute(select(_field.c.value).distinct().where(
        _field.c.dataset_id == dataset_id, _field.c.key == key)).scalars())
