"""Versioned rows: never updated in place, closed and succeeded under the same uid."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, and_, insert, or_, select, update

from labelhub.errors import NotFound


def new_uid() -> str:
    return uuid.uuid4().hex


def current(table: Table) -> ColumnElement[bool]:
    """Rows as they stand now."""
    return table.c.valid_to.is_(None)


def as_of(table: Table, seq: int) -> ColumnElement[bool]:
    """Rows as they stood right after change ``seq``."""
    return and_(table.c.valid_from <= seq, or_(table.c.valid_to.is_(None), table.c.valid_to > seq))


def insert_rows(conn: Connection, table: Table, rows: Iterable[dict[str, Any]], seq: int) -> list[str]:
    """Insert new entities (a fresh uid each unless given); returns their uids."""
    batch: list[dict[str, Any]] = []
    uids: list[str] = []
    for row in rows:
        values = dict(row)
        values.setdefault("uid", new_uid())
        values["valid_from"] = seq
        values["valid_to"] = None
        uids.append(values["uid"])
        batch.append(values)
        if len(batch) >= 5000:
            conn.execute(insert(table), batch)
            batch = []
    if batch:
        conn.execute(insert(table), batch)
    return uids


def close(conn: Connection, table: Table, uid: str, seq: int) -> dict[str, Any]:
    """End the current row of ``uid`` at ``seq`` (a removal); returns its values."""
    row = conn.execute(select(table).where(table.c.uid == uid, current(table))).first()
    if row is None:
        raise NotFound(f"no current {table.name} {uid}")
    conn.execute(update(table).where(table.c.id == row.id).values(valid_to=seq))
    return dict(row._mapping)


def revise(conn: Connection, table: Table, uid: str, changes: dict[str, Any], seq: int) -> dict[str, Any]:
    """Close the current row of ``uid`` and insert its successor with ``changes`` applied."""
    old = close(conn, table, uid, seq)
    new = {k: v for k, v in old.items() if k not in ("id", "valid_from", "valid_to")}
    new.update(changes)
    new["valid_from"] = seq
    new["valid_to"] = None
    conn.execute(insert(table).values(**new))
    return new
