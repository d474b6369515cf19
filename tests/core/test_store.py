"""The store: pragmas, transactions, migrations, refusing files we must not open, backups."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from core_helpers import damage_member_page
from sqlalchemy import text

from labelhub.errors import ProjectOpenError
from labelhub.project import Project
from labelhub.store import backup as backups
from labelhub.store.database import APPLICATION_ID, make_engine, write_transaction
from labelhub.store.schema import head_revision, schema_number, upgrade
from labelhub.store.tables import METADATA


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_pragmas_in_effect_on_every_connection(lead: Project) -> None:
    with lead.engine.connect() as conn:
        q = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert q("journal_mode") == "wal"
        assert q("synchronous") == 2  # FULL
        assert q("foreign_keys") == 1
        assert q("busy_timeout") >= 5000
        assert q("trusted_schema") == 0
        assert q("application_id") == APPLICATION_ID
        assert q("user_version") == schema_number(head_revision()) == 5


def test_foreign_keys_are_enforced(lead: Project) -> None:
    with pytest.raises(Exception, match="FOREIGN KEY"):
        with write_transaction(lead.engine) as conn:
            conn.execute(text(
                "INSERT INTO item (uid, dataset_id, media_id, name, valid_from) VALUES ('x', 999, 999, 'n', 1)"
            ))


def test_writers_wait_for_each_other_instead_of_failing(project_dir: Path) -> None:
    """BEGIN IMMEDIATE: a second writer waits for the lock rather than failing at once."""
    holder = make_engine(project_dir / "project.labelhub")
    started = threading.Event()

    def hold_lock() -> None:
        with write_transaction(holder) as conn:
            conn.execute(text("SELECT count(*) FROM member")).scalar()
            started.set()
            time.sleep(0.6)

    t = threading.Thread(target=hold_lock)
    t.start()
    started.wait()
    t0 = time.monotonic()
    with Project.open(project_dir, user="lena", backup=False) as p:
        p.create_dataset("second")  # reads then writes inside one transaction
        waited = time.monotonic() - t0
    t.join()
    holder.dispose()
    assert waited >= 0.3
    with Project.open(project_dir, user="lena", backup=False) as p:
        assert [d.name for d in p.datasets()] == ["photos", "second"]


def test_migrations_build_exactly_the_tables_of_the_code(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "x.labelhub")
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), METADATA)
    engine.dispose()
    assert diff == []


def _make_older(project_dir: Path) -> None:
    """Turn a project into one written by the LabelHub of schema 0001."""
    from alembic import command
    from alembic.config import Config

    from labelhub.store.schema import MIGRATIONS

    engine = make_engine(project_dir / "project.labelhub", foreign_keys=False)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with write_transaction(engine) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
        conn.exec_driver_sql("PRAGMA user_version = 1")
    engine.dispose()


def test_older_project_is_backed_up_then_migrated(project_dir: Path) -> None:
    _make_older(project_dir)
    conn = sqlite3.connect(project_dir / "project.labelhub")
    assert "import_batch" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()

    with Project.open(project_dir, user="lena") as p:
        info = p.info()
        assert info["schema_revision"] == head_revision()
        assert [m.name for m in p.members()] == ["ana", "ben", "lena", "rui"]
        assert p.audit_verify().ok
        p.create_dataset("after-migration")  # the new schema works
    pre = [b for b in backups.list_backups(project_dir / "backups") if "pre-migration-1" in b.name]
    assert len(pre) == 1
    old = sqlite3.connect(pre[0])
    assert old.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"
    assert old.execute("SELECT count(*) FROM member").fetchone()[0] == 4
    old.close()


def test_project_from_a_newer_labelhub_is_refused_untouched(project_dir: Path) -> None:
    db = project_dir / "project.labelhub"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = _sha(db)
    with pytest.raises(ProjectOpenError, match="newer LabelHub"):
        Project.open(project_dir, user="lena")
    assert _sha(db) == before


def test_unknown_revision_is_refused_as_newer(project_dir: Path) -> None:
    conn = sqlite3.connect(project_dir / "project.labelhub")
    conn.execute("UPDATE alembic_version SET version_num = '0042'")
    conn.commit()
    conn.close()
    with pytest.raises(ProjectOpenError, match="newer LabelHub.*0042"):
        Project.open(project_dir, user="lena")


def test_foreign_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "other"
    folder.mkdir()
    db = folder / "project.labelhub"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()
    before = _sha(db)
    with pytest.raises(ProjectOpenError, match="another program"):
        Project.open(folder, user="lena")
    assert _sha(db) == before
    assert sorted(p.name for p in folder.iterdir()) == ["project.labelhub"]


def test_text_file_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "project.labelhub"
    db.write_text("hello, I am not a database\n" * 10)
    with pytest.raises(ProjectOpenError, match="not an SQLite database"):
        Project.open(db, user="lena")
    assert db.read_text().startswith("hello")


def test_damaged_file_is_refused_untouched(project_dir: Path) -> None:
    db = project_dir / "project.labelhub"
    damage_member_page(db)
    before = _sha(db)
    with pytest.raises(ProjectOpenError, match="damaged"):
        Project.open(project_dir, user="lena")
    assert _sha(db) == before


def test_a_file_held_open_is_not_read_whole_again(project_dir: Path, monkeypatch) -> None:  # noqa: ANN001
    """A worker's own Project on the file the window holds open skips the whole-file check
    (seconds at a million items); once nothing holds it, opening checks it again."""
    import labelhub.project.core as core

    checks: list[Path] = []
    real = core.check_can_open
    monkeypatch.setattr(core, "check_can_open", lambda db: checks.append(db) or real(db))
    first = Project.open(project_dir, user="lena", backup=False)
    assert len(checks) == 1
    with Project.open(project_dir / "project.labelhub", user="ana", backup=False) as worker:
        assert worker.datasets()[0].name == "photos"
    assert len(checks) == 1
    first.close()
    Project.open(project_dir, user="lena", backup=False).close()
    assert len(checks) == 2


def test_missing_project_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProjectOpenError, match="not a LabelHub project"):
        Project.open(tmp_path, user="lena")


def test_create_refuses_an_existing_project(project_dir: Path) -> None:
    with pytest.raises(ProjectOpenError, match="already a LabelHub project"):
        Project.create(project_dir, lead="x")


def test_opening_for_writing_takes_rotating_backups(project_dir: Path) -> None:
    folder = project_dir / "backups"
    for i in range(8):
        with Project.open(project_dir, user="lena") as p:
            p.create_dataset(f"d{i}")
    with Project.open(project_dir, user="lena") as p:
        pass
    autos = [b for b in backups.list_backups(folder) if "-auto-" in b.name]
    assert len(autos) == backups.KEEP
    newest = sqlite3.connect(autos[-1])
    assert newest.execute("SELECT max(seq) FROM change").fetchone()[0] == p.seq()
    assert newest.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    newest.close()
    # nothing changed since: no new backup
    with Project.open(project_dir, user="lena"):
        pass
    assert [b.name for b in backups.list_backups(folder) if "-auto-" in b.name] == [a.name for a in autos]


def test_a_writer_locked_out_too_long_gets_a_clear_message(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from labelhub.errors import ProjectBusy
    from labelhub.store import database

    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(project_dir / "project.labelhub", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Project.open(project_dir, user="lena", backup=False) as p:
            with pytest.raises(ProjectBusy, match="busy.*nothing was changed"):
                p.create_dataset("blocked")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with Project.open(project_dir, user="lena", backup=False) as p:
        assert "blocked" not in [d.name for d in p.datasets()]
