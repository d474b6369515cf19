"""Schema migrations with Alembic, and the checks that decide whether a file may be opened."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from labelhub.errors import ProjectOpenError
from labelhub.store.database import (
    APPLICATION_ID,
    make_engine,
    quick_check,
    read_header,
    set_header,
    write_transaction,
)

MIGRATIONS = Path(__file__).with_name("migrations")


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """The schema this LabelHub writes: its head revision(s), joined by '+' if there are several."""
    return "+".join(sorted(script_directory().get_heads()))


def schema_number(revision: str | None) -> int:
    """How many migrations a file at ``revision`` has had (also its PRAGMA user_version).

    Revisions are normally named 0001, 0002, ...; the count works for any names, and for
    several heads joined by '+'.
    """
    if not revision:
        return 0
    script = script_directory()
    seen: set[str] = set()
    for head in revision.split("+"):
        for rev in script.iterate_revisions(head, "base"):
            seen.add(rev.revision)
    return len(seen)


def current_revision(conn: Connection) -> str | None:
    heads = MigrationContext.configure(conn).get_current_heads()
    return "+".join(sorted(heads)) if heads else None


def upgrade(engine: Engine, target: str = "heads") -> None:
    """Run the migrations up to ``target`` in one transaction and stamp the header."""
    cfg = _config()
    with write_transaction(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)
        rev = current_revision(conn)
        assert rev is not None
        set_header(conn, schema_number(rev))


def check_can_open(db_path: Path) -> tuple[str | None, str]:
    """Decide, without changing the file, whether it is a project this LabelHub can open.

    Returns (the file's revision, the head revision). Raises ProjectOpenError for a foreign
    file, a damaged one, or one written by a newer LabelHub.
    """
    if not db_path.is_file():
        raise ProjectOpenError(f"{db_path}: no such project file")
    application_id, user_version = read_header(db_path)
    if application_id != APPLICATION_ID:
        raise ProjectOpenError(
            f"{db_path} is not a LabelHub project: it is an SQLite database of another program"
        )
    quick_check(db_path)
    head = head_revision()
    if user_version > schema_number(head):
        raise ProjectOpenError(
            f"{db_path} was written by a newer LabelHub (schema {user_version}; this LabelHub "
            f"reads schema {schema_number(head)} and older). Update LabelHub to open it."
        )
    rev = _read_revision(db_path)
    known = {s.revision for s in script_directory().walk_revisions()}
    unknown = [r for r in (rev or "").split("+") if r and r not in known]
    if unknown:
        rev = unknown[0]
        raise ProjectOpenError(
            f"{db_path} was written by a newer LabelHub (schema revision {rev} is unknown here). "
            "Update LabelHub to open it."
        )
    return rev, head


def _read_revision(db_path: Path) -> str | None:
    """The Alembic revision recorded in the file, read on a read-only connection."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        has_table = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        if not has_table:
            raise ProjectOpenError(f"{db_path} is not a LabelHub project: it has no schema record")
        rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError as exc:
        raise ProjectOpenError(f"{db_path} is damaged: {exc}") from exc
    finally:
        conn.close()
    return "+".join(sorted(r[0] for r in rows)) if rows else None


def migrate(db_path: Path) -> None:
    """Upgrade an older project file to the head schema.

    SQLite rebuilds tables to alter them, which must happen with foreign keys off; the
    foreign keys are checked once the migration is done and the migration is undone if any
    is broken.
    """
    engine = make_engine(db_path, foreign_keys=False)
    try:
        cfg = _config()
        with write_transaction(engine) as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
            problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise ProjectOpenError(
                    f"{db_path}: migration left {len(problems)} broken references; "
                    "the file was not changed"
                )
            set_header(conn, schema_number(head_revision()))
    finally:
        engine.dispose()
