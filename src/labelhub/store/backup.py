"""Rotating backups of the project database, made with SQLite's online backup API."""

from __future__ import annotations

import os
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

KEEP = 5
_NAME = re.compile(r"^project-(?P<kind>auto|pre-migration-\d+)-seq(?P<seq>\d+)-(?P<stamp>\d{8}T\d{6}\d*)\.labelhub$")


def backup_to(db_path: Path, dest: Path) -> Path:
    """Copy a consistent snapshot of ``db_path`` to ``dest`` (written to a temporary name first)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    src = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        out = sqlite3.connect(tmp)
        try:
            src.backup(out)
            out.execute("PRAGMA journal_mode = DELETE")
        finally:
            out.close()
    finally:
        src.close()
    os.replace(tmp, dest)
    return dest


def list_backups(folder: Path) -> list[Path]:
    """Backups in ``folder``, oldest first."""
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if _NAME.match(p.name)]
    return sorted(found, key=lambda p: _NAME.match(p.name)["stamp"])  # type: ignore[index]


def _seq_of(path: Path) -> int:
    m = _NAME.match(path.name)
    return int(m["seq"]) if m else -1


def rotating_backup(db_path: Path, folder: Path, seq: int, *, keep: int = KEEP) -> Path | None:
    """Back up unless the newest automatic backup already holds change ``seq``; keep ``keep``.

    Returns the new backup, or None when nothing changed since the last one.
    """
    autos = [p for p in list_backups(folder) if p.name.startswith("project-auto-")]
    if autos and _seq_of(autos[-1]) == seq:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    dest = backup_to(db_path, folder / f"project-auto-seq{seq:08d}-{stamp}.labelhub")
    autos.append(dest)
    for old in autos[:-keep]:
        old.unlink(missing_ok=True)
    return dest


def pre_migration_backup(db_path: Path, folder: Path, schema: int, seq: int) -> Path:
    """A backup taken before a migration; these are kept, not rotated."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    return backup_to(db_path, folder / f"project-pre-migration-{schema}-seq{seq:08d}-{stamp}.labelhub")
