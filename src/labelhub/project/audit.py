"""The audit log and integrity checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from labelhub.media.probe import sha256_file
from labelhub.project.core import ProjectBase
from labelhub.store import backup as backups
from labelhub.store import changelog
from labelhub.store.tables import Change, Media, Member

_change = Change.__table__
_media = Media.__table__
_member = Member.__table__

AuditReport = changelog.VerifyReport


@dataclass(frozen=True)
class ChangeInfo:
    seq: int
    time: str
    member: str | None
    action: str
    entity: str
    entity_uid: str
    detail: dict[str, Any]


@dataclass
class CheckReport:
    ok: bool
    integrity: str
    audit: AuditReport
    problems: list[str] = field(default_factory=list)
    backup: Path | None = None
    backups: list[Path] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "integrity": self.integrity,
            "audit": {"ok": self.audit.ok, "checked": self.audit.checked,
                      "broken_seq": self.audit.broken_seq, "message": self.audit.message},
            "problems": self.problems,
            "backup": str(self.backup) if self.backup else None,
            "backups": [str(p) for p in self.backups],
        }


class AuditMixin(ProjectBase):
    def changes(self, limit: int = 100, *, before: int | None = None) -> list[ChangeInfo]:
        """The most recent changes, newest first."""
        with self._read() as conn:
            names = dict(conn.execute(select(_member.c.id, _member.c.name)).all())
            q = select(_change).order_by(_change.c.seq.desc()).limit(limit)
            if before is not None:
                q = q.where(_change.c.seq < before)
            rows = conn.execute(q).all()
        return [
            ChangeInfo(r.seq, r.time, names.get(r.member_id), r.action, r.entity, r.entity_uid,
                       {k: v for k, v in (r.detail or {}).items() if k != "rows"})
            for r in rows
        ]

    def audit_verify(self, progress: Callable[[int, int, str], None] | None = None) -> AuditReport:
        """Walk the change log's hash chain and the rows each change wrote."""
        with self._read() as conn:
            return changelog.verify(conn, progress)

    def check(self, *, deep: bool = False, progress: Callable[[int, int, str], None] | None = None) -> CheckReport:
        """Integrity check, audit verify, media present (re-hashed with ``deep``), a fresh backup."""
        problems: list[str] = []
        with self._read() as conn:
            integrity = "; ".join(r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").all()) \
                if self.engine.dialect.name == "sqlite" else "ok"
            if integrity != "ok":
                problems.append(f"database integrity: {integrity}")
            if self.engine.dialect.name == "sqlite":
                fk = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                if fk:
                    problems.append(f"{len(fk)} broken references between tables")
            media = conn.execute(select(_media.c.sha256, _media.c.ext, _media.c.storage, _media.c.location, _media.c.bytes)).all()
        audit = self.audit_verify()
        if not audit.ok:
            problems.append(f"audit: {audit.message}")
        for i, m in enumerate(media):
            if progress and i % 200 == 0:
                progress(i, len(media), "checking media files")
            path = Path(m.location) if m.storage == "link" else self.folder / m.location
            if not path.is_file():
                problems.append(f"media file missing: {path}")
            elif path.stat().st_size != m.bytes:
                problems.append(f"media file changed size: {path}")
            elif deep and sha256_file(path) != m.sha256:
                problems.append(f"media file content changed: {path}")
        with self._read() as conn:
            seq = changelog.next_seq(conn) - 1
        made = backups.rotating_backup(self.db_path, self.folder / "backups", seq)
        return CheckReport(not problems, integrity, audit, problems, made,
                           backups.list_backups(self.folder / "backups"))
