"""The change log: one row per committed change, hash-chained, with a digest of the rows it wrote.

A change row's hash covers the previous row's hash, its own fields and ``rows_digest``: a
SHA-256 over every versioned row the change opened or closed and every registry row it wrote.
So `verify` can tell not only that the log was edited but also that a data row was edited
behind LabelHub's back: the audit log cannot silently disagree with the data.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, func, insert, or_, select

from labelhub.store.tables import APPEND_ONLY_TABLES, REGISTRY_TABLES, VERSIONED_TABLES, Change

GENESIS = "0" * 64
_change = Change.__table__


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def row_digest(table: Table, row: Any) -> str:
    """Digest of a row's content, leaving out what may change legitimately later.

    NULL columns are left out too, so a migration that adds a nullable column does not change
    the digests of the rows written before it (new columns must be added nullable).
    """
    data = {
        c.name: v
        for c in table.columns
        if c.name not in ("id", "valid_to") and (v := row._mapping[c.name]) is not None
    }
    return hashlib.sha256(f"{table.name}\n{canonical(data)}".encode()).hexdigest()


def _digest_entries(entries: Iterable[str]) -> str:
    h = hashlib.sha256()
    for e in sorted(entries):
        h.update(e.encode())
        h.update(b"\n")
    return h.hexdigest()


def change_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical(fields)}".encode()).hexdigest()


def next_seq(conn: Connection) -> int:
    return (conn.scalar(select(func.max(_change.c.seq))) or 0) + 1


def versioned_entries(conn: Connection, seq: int) -> list[str]:
    """Entries for the versioned rows opened or closed at ``seq``."""
    out: list[str] = []
    for table in VERSIONED_TABLES:
        rows = conn.execute(
            select(table).where(or_(table.c.valid_from == seq, table.c.valid_to == seq))
        )
        for row in rows:
            if row.valid_from == seq:
                out.append(f"open {table.name} {row_digest(table, row)}")
            if row.valid_to == seq:
                out.append(f"close {table.name} {row.uid} {row.valid_from}")
    for table, column in APPEND_ONLY_TABLES:
        for row in conn.execute(select(table).where(table.c[column] == seq)):
            out.append(f"new {table.name} {row_digest(table, row)}")
    return out


@dataclass
class PendingChange:
    """What one transaction will record; filled by the project layer, written by ``append``."""

    seq: int
    member_id: int | None
    action: str
    entity: str
    entity_uid: str = ""
    detail: dict[str, Any] | None = None
    registry: dict[str, str] | None = None  # "table:id" -> digest of the row as written

    def record_row(self, table: Table, row: Any) -> None:
        if self.registry is None:
            self.registry = {}
        self.registry[f"{table.name}:{row.id}"] = row_digest(table, row)


def append(conn: Connection, pending: PendingChange, *, now: datetime | None = None) -> str:
    """Write the change row for ``pending`` in the caller's transaction; returns its hash."""
    prev = conn.execute(
        select(_change.c.hash).where(_change.c.seq == pending.seq - 1)
    ).scalar_one_or_none()
    entries = versioned_entries(conn, pending.seq)
    entries += [f"row {k} {v}" for k, v in (pending.registry or {}).items()]
    detail = dict(pending.detail or {})
    if pending.registry:
        detail["rows"] = dict(sorted(pending.registry.items()))
    fields = {
        "seq": pending.seq,
        "time": (now or datetime.now(UTC)).isoformat(timespec="microseconds"),
        "member_id": pending.member_id,
        "action": pending.action,
        "entity": pending.entity,
        "entity_uid": pending.entity_uid,
        "detail": detail,
        "rows_digest": _digest_entries(entries),
    }
    fields["prev_hash"] = prev or GENESIS
    fields["hash"] = change_hash(fields["prev_hash"], {k: v for k, v in fields.items() if k != "prev_hash"})
    conn.execute(insert(_change).values(**fields))
    return fields["hash"]


@dataclass
class VerifyReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    message: str = ""


def verify(
    conn: Connection, progress: Callable[[int, int, str], None] | None = None
) -> VerifyReport:
    """Walk the chain and the data it vouches for; report the first broken link."""
    # What the data says each change wrote.
    entries: dict[int, list[str]] = defaultdict(list)
    for table in VERSIONED_TABLES:
        for row in conn.execute(select(table)):
            entries[row.valid_from].append(f"open {table.name} {row_digest(table, row)}")
            if row.valid_to is not None:
                entries[row.valid_to].append(f"close {table.name} {row.uid} {row.valid_from}")
    for table, column in APPEND_ONLY_TABLES:
        for row in conn.execute(select(table)):
            entries[row._mapping[column]].append(f"new {table.name} {row_digest(table, row)}")
    current_rows: dict[str, str] = {}
    for table in REGISTRY_TABLES:
        for row in conn.execute(select(table)):
            current_rows[f"{table.name}:{row.id}"] = row_digest(table, row)

    total = conn.scalar(select(func.count()).select_from(_change)) or 0
    last_recorded: dict[str, tuple[int, str]] = {}
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    for row in conn.execute(select(_change).order_by(_change.c.seq)):
        seq = row.seq
        where = f"change {seq} ({row.action} {row.entity}, {row.time})"
        if seq != expected_seq:
            return VerifyReport(False, checked, expected_seq, f"change {expected_seq} is missing")
        if row.prev_hash != prev_hash:
            return VerifyReport(
                False, checked, seq, f"{where}: does not follow change {seq - 1} (chain broken)"
            )
        fields = {
            k: row._mapping[k]
            for k in ("seq", "time", "member_id", "action", "entity", "entity_uid", "detail", "rows_digest")
        }
        if change_hash(row.prev_hash, fields) != row.hash:
            return VerifyReport(False, checked, seq, f"{where}: the record was altered after it was written")
        recorded = (row.detail or {}).get("rows", {})
        data_entries = entries.pop(seq, []) + [f"row {k} {v}" for k, v in recorded.items()]
        if _digest_entries(data_entries) != row.rows_digest:
            return VerifyReport(
                False, checked, seq,
                f"{where}: the data rows it wrote were altered or removed outside LabelHub",
            )
        for key, digest in recorded.items():
            last_recorded[key] = (seq, digest)
        prev_hash = row.hash
        expected_seq += 1
        checked += 1
        if progress and checked % 1000 == 0:
            progress(checked, total, f"change {seq}")
    if entries:
        seq = min(entries)
        return VerifyReport(
            False, checked, seq, f"rows claim to come from change {seq}, which the log does not have"
        )
    for key, digest in sorted(current_rows.items()):
        seq_digest = last_recorded.get(key)
        if seq_digest is None:
            return VerifyReport(False, checked, None, f"row {key} was added outside LabelHub")
        if seq_digest[1] != digest:
            return VerifyReport(
                False, checked, seq_digest[0],
                f"row {key} was changed outside LabelHub after change {seq_digest[0]}",
            )
    if progress:
        progress(checked, total, "done")
    return VerifyReport(True, checked, None, f"{checked} changes verified, chain intact")
