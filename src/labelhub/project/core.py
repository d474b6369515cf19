"""The Project object: opening, creating, and the one door every change goes through."""

from __future__ import annotations

import getpass
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, insert, select, update

from labelhub import __version__
from labelhub.errors import InvalidInput, PermissionDenied, ProjectOpenError, UnknownMember
from labelhub.project.roles import PERMISSIONS, Role
from labelhub.store import backup as backups
from labelhub.store import changelog
from labelhub.store.database import make_engine, read_transaction, write_transaction
from labelhub.store.schema import check_can_open, head_revision, migrate, schema_number, upgrade
from labelhub.store.tables import Change, Member

DB_NAME = "project.labelhub"
SUBFOLDERS = ("media", "cache", "backups")
_member = Member.__table__
_change = Change.__table__


@dataclass(frozen=True)
class MemberInfo:
    name: str
    role: Role
    display_name: str = ""
    active: bool = True

    @property
    def label(self) -> str:
        return f"{self.display_name or self.name} ({self.role.value})"


def _member_info(row: Any) -> MemberInfo:
    return MemberInfo(row.name, Role(row.role), row.display_name, bool(row.active))


def project_paths(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """(folder, database file) for a project folder or its project.labelhub file."""
    p = Path(path).expanduser()
    if p.suffix == ".labelhub" or p.is_file():
        return p.parent.resolve(), p.resolve()
    return p.resolve(), (p / DB_NAME).resolve()


def acting_user(user: str | None) -> str:
    """The acting member's name: given, else $LABELHUB_USER, else the operating-system user."""
    if user:
        return user
    env = os.environ.get("LABELHUB_USER")
    if env:
        return env
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "user"


def check_name(kind: str, name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(f"a {kind} needs a name")
    if len(name) > 200 or any(ord(c) < 32 for c in name):
        raise InvalidInput(f"{kind} name {name!r} is too long or has control characters")
    return name


class Tx:
    """One write transaction of one Project call: its connection, its seq, its change record."""

    def __init__(self, conn: Connection, pending: changelog.PendingChange) -> None:
        self.conn = conn
        self.pending = pending

    @property
    def seq(self) -> int:
        return self.pending.seq

    @property
    def detail(self) -> dict[str, Any]:
        if self.pending.detail is None:
            self.pending.detail = {}
        return self.pending.detail

    def insert_registry(self, table: Table, values: dict[str, Any]) -> Any:
        """Insert one registry row and record its digest in the change."""
        new_id = self.conn.execute(insert(table).values(**values)).inserted_primary_key[0]
        return self._record(table, new_id)

    def update_registry(self, table: Table, row_id: int, values: dict[str, Any]) -> Any:
        self.conn.execute(update(table).where(table.c.id == row_id).values(**values))
        return self._record(table, row_id)

    def _record(self, table: Table, row_id: int) -> Any:
        row = self.conn.execute(select(table).where(table.c.id == row_id)).one()
        self.pending.record_row(table, row)
        return row


#: Project files open in this process -> how many Project objects hold each. A file held open
#: was checked (and migrated) when it was first opened: a worker's own Project on the same file
#: does not read the whole file again (seconds for a million items).
_LIVE: dict[Path, int] = {}


class ProjectBase:
    """Opening and closing, the acting member, and the door (``_change``) every change uses."""

    def __init__(self, folder: Path, db_path: Path, engine: Engine, member: Any) -> None:
        self.folder = folder
        self.db_path = db_path
        self.engine = engine
        self._member_id: int = member.id
        self.member: MemberInfo = _member_info(member)
        self._listeners: list[Callable[[int, str], None]] = []
        self._closed = False
        self._live_key = db_path.resolve()
        _LIVE[self._live_key] = _LIVE.get(self._live_key, 0) + 1

    # ----------------------------------------------------------------- opening and creating
    @classmethod
    def create(cls, path: str | os.PathLike[str], lead: str | None = None, display_name: str | None = None):  # noqa: ANN206
        """Create a project folder whose first member is the lead ``lead``."""
        folder, db_path = project_paths(path)
        lead = check_name("member", acting_user(lead))
        if db_path.exists():
            raise ProjectOpenError(f"{folder} is already a LabelHub project")
        if folder.exists() and not folder.is_dir():
            raise ProjectOpenError(f"{folder} exists and is not a folder")
        created_folder = not folder.exists()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for sub in SUBFOLDERS:
                (folder / sub).mkdir(exist_ok=True)
            engine = make_engine(db_path)
            try:
                upgrade(engine)
                with write_transaction(engine) as conn:
                    pending = changelog.PendingChange(1, None, "member.add", "member", lead)
                    tx = Tx(conn, pending)
                    row = tx.insert_registry(
                        _member,
                        {"name": lead, "display_name": display_name or "", "role": Role.LEAD.value,
                         "active": True, "created_seq": 1},
                    )
                    pending.member_id = row.id
                    pending.detail = {"name": lead, "role": Role.LEAD.value, "created_project": True}
                    changelog.append(conn, pending)
            finally:
                engine.dispose()
        except BaseException:
            for suffix in ("", "-wal", "-shm"):
                Path(str(db_path) + suffix).unlink(missing_ok=True)
            if created_folder:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        return cls.open(folder, user=lead, backup=False)

    @classmethod
    def is_project(cls, path: str | os.PathLike[str]) -> bool:
        _folder, db_path = project_paths(path)
        return db_path.is_file()

    @classmethod
    def _prepare(cls, path: str | os.PathLike[str]) -> tuple[Path, Path]:
        """Check the file, migrate it if it is older (after a backup), return its paths."""
        folder, db_path = project_paths(path)
        if not db_path.exists():
            raise ProjectOpenError(f"{folder} is not a LabelHub project (no {DB_NAME} in it)")
        if _LIVE.get(db_path.resolve()):
            return folder, db_path  # held open here: checked and migrated when first opened
        rev, head = check_can_open(db_path)
        if rev != head:
            seq = cls._peek_seq(db_path)
            backups.pre_migration_backup(
                db_path, folder / "backups", schema_number(rev), seq
            )
            migrate(db_path)
        return folder, db_path

    @staticmethod
    def _peek_seq(db_path: Path) -> int:
        engine = make_engine(db_path)
        try:
            with read_transaction(engine) as conn:
                return conn.scalar(select(func.max(_change.c.seq))) or 0
        finally:
            engine.dispose()

    @classmethod
    def list_members(cls, path: str | os.PathLike[str]) -> list[MemberInfo]:
        """The members of a project, without signing in (for a sign-in list)."""
        _folder, db_path = cls._prepare(path)
        engine = make_engine(db_path)
        try:
            with read_transaction(engine) as conn:
                rows = conn.execute(select(_member).order_by(_member.c.name)).all()
        finally:
            engine.dispose()
        return [_member_info(r) for r in rows]

    @classmethod
    def open(cls, path: str | os.PathLike[str], user: str | None = None, *, backup: bool = True):  # noqa: ANN206
        """Open a project as member ``user`` (default: $LABELHUB_USER, else the OS user).

        An older project is backed up and migrated; with ``backup`` a rotating backup is
        taken when anything changed since the last one.
        """
        folder, db_path = cls._prepare(path)
        name = acting_user(user)
        engine = make_engine(db_path)
        try:
            with read_transaction(engine) as conn:
                row = conn.execute(select(_member).where(_member.c.name == name)).first()
                members = conn.execute(select(_member).order_by(_member.c.name)).all()
                seq = conn.scalar(select(func.max(_change.c.seq))) or 0
            if row is None:
                listing = ", ".join(f"{m.name} ({m.role})" for m in members if m.active)
                raise UnknownMember(
                    f"{name!r} is not a member of the project {folder.name}. Members: {listing}. "
                    "Choose one with --user NAME or $LABELHUB_USER."
                )
            if not row.active:
                raise UnknownMember(f"member {name!r} of {folder.name} has been deactivated")
            if backup:
                backups.rotating_backup(db_path, folder / "backups", seq)
        except BaseException:
            engine.dispose()
            raise
        return cls(folder, db_path, engine, row)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            left = _LIVE.get(self._live_key, 1) - 1
            if left > 0:
                _LIVE[self._live_key] = left
            else:
                _LIVE.pop(self._live_key, None)
            self.engine.dispose()

    def __enter__(self):  # noqa: ANN204
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def name(self) -> str:
        return self.folder.name

    # ----------------------------------------------------------------------- the one door
    def authorize(self, action: str) -> None:
        """Raise PermissionDenied unless the acting member's role allows ``action``."""
        minimum = PERMISSIONS.get(action)
        if minimum is None:
            raise InvalidInput(f"unknown action {action!r}")
        if not self.member.role.allows(minimum):
            raise PermissionDenied(
                f"{self.member.name} is {_article(self.member.role)} {self.member.role.value}; "
                f"{_describe(action)} needs the {minimum.value} role"
            )

    def can(self, action: str) -> bool:
        minimum = PERMISSIONS.get(action)
        return minimum is not None and self.member.role.allows(minimum)

    @contextmanager
    def _change(self, action: str, entity: str, entity_uid: str = "", **detail: Any) -> Iterator[Tx]:
        """One transaction: role checked (again, against the row as it stands), rows written,
        the change-log row appended with its hash. Commits on leaving, or writes nothing."""
        self.authorize(action)
        with write_transaction(self.engine) as conn:
            row = conn.execute(select(_member).where(_member.c.id == self._member_id)).one()
            self.member = _member_info(row)
            if not row.active:
                raise PermissionDenied(f"member {row.name} has been deactivated")
            self.authorize(action)
            seq = changelog.next_seq(conn)
            pending = changelog.PendingChange(seq, self._member_id, action, entity, entity_uid, dict(detail))
            tx = Tx(conn, pending)
            yield tx
            self._before_commit(tx)
            changelog.append(conn, pending)
        for listener in list(self._listeners):
            listener(seq, action)

    def _before_commit(self, tx: Tx) -> None:
        """Called inside every change's transaction after its rows are written and before its
        change-log row is appended. Mixins that keep derived tables in step with the data
        (counts, content digests) override it and call ``super()._before_commit(tx)``."""

    def subscribe(self, listener: Callable[[int, str], None]) -> None:
        """Call ``listener(seq, action)`` after each change this Project object commits."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[int, str], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with read_transaction(self.engine) as conn:
            yield conn

    def seq(self) -> int:
        """The project's clock: the seq of the last committed change."""
        with self._read() as conn:
            return conn.scalar(select(func.max(_change.c.seq))) or 0

    def info(self) -> dict[str, Any]:
        from labelhub.store.tables import Dataset, Item, Media

        with self._read() as conn:
            item = Item.__table__
            counts = {
                "datasets": conn.scalar(select(func.count()).select_from(Dataset.__table__)),
                "items": conn.scalar(select(func.count()).select_from(item).where(item.c.valid_to.is_(None))),
                "media": conn.scalar(select(func.count()).select_from(Media.__table__)),
                "members": conn.scalar(select(func.count()).select_from(_member).where(_member.c.active)),
                "changes": conn.scalar(select(func.count()).select_from(_change)),
            }
            last = conn.execute(select(_change).order_by(_change.c.seq.desc()).limit(1)).first()
            rev = "+".join(sorted(r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")))
        return {
            "name": self.name,
            "folder": str(self.folder),
            "database": str(self.db_path),
            "schema_revision": rev,
            "schema_head": head_revision(),
            "labelhub_version": __version__,
            "member": self.member.name,
            "role": self.member.role.value,
            "counts": counts,
            "last_change": (
                {"seq": last.seq, "time": last.time, "action": last.action} if last else None
            ),
        }


def _article(role: Role) -> str:
    return "an" if role.value[0] in "aeiou" else "a"


def _describe(action: str) -> str:
    words = {
        "member.add": "adding members", "member.set_role": "changing roles",
        "member.deactivate": "deactivating members", "dataset.create": "creating datasets",
        "dataset.rename": "renaming datasets", "dataset.describe": "editing datasheets",
        "images.import": "importing images", "schema.change": "changing the label schema",
        "version.commit": "committing versions", "review.accept": "accepting reviews",
        "review.reject": "rejecting work",
    }
    return words.get(action, action.replace(".", " ").replace("_", " "))
