"""The integrity check of a project file, started before the rest of LabelHub is imported.

Opening a project runs SQLite's ``quick_check`` over the whole file (a second for a file of
half a gigabyte). The ``labelhub`` command knows the project from its arguments at once, so
it starts the check on a thread of its own (SQLite works without Python's lock) while Python
imports LabelHub's modules (a second of work that holds it); opening the project then takes
the answer instead of checking again, provided neither the file nor its write-ahead log has
changed since the check began (else it checks again). Only this module's imports are made
before: the standard library's sqlite3 and threading.
"""

from __future__ import annotations

import os
import sqlite3
import threading

#: Project file (real path) -> (its state when the check began, the thread, the answer).
_checks: dict[str, tuple[tuple[object, ...], threading.Thread, list[list[str]]]] = {}


def file_state(db_path: str) -> tuple[object, ...]:
    """What tells whether the file or its write-ahead log changed: their identity, size and
    time of change (None for a log that is not there or empty: a read-only connection, the
    check's own, may leave an empty one behind)."""
    state: list[object] = []
    for path in (db_path, db_path + "-wal"):
        try:
            st = os.stat(path)
        except OSError:
            state.append(None)
        else:
            state.append((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
                         if st.st_size or path == db_path else None)
    return tuple(state)


def start(db_path: str | os.PathLike[str]) -> None:
    """Start checking ``db_path`` (a project file) on a thread of its own; nothing happens when
    it is not a file."""
    path = os.path.realpath(db_path)
    if not os.path.isfile(path) or path in _checks:
        return
    answer: list[list[str]] = []

    def check() -> None:
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
            try:
                answer.append([r[0] for r in conn.execute("PRAGMA quick_check(5)").fetchall()])
            finally:
                conn.close()
        except sqlite3.Error:
            pass  # the check on opening reports it, with its message

    thread = threading.Thread(target=check, name="labelhub-early-check", daemon=True)
    _checks[path] = (file_state(path), thread, answer)
    thread.start()


def passed(db_path: str | os.PathLike[str]) -> bool:
    """Whether a check started for ``db_path`` found it sound and the file has not changed
    since the check began (waits for the check to end). False when there was none: the
    caller checks for itself."""
    path = os.path.realpath(db_path)
    found = _checks.pop(path, None)
    if found is None:
        return False
    state, thread, answer = found
    thread.join()
    return answer == [["ok"]] and file_state(path) == state


def project_file(argv: list[str], environ: dict[str, str] | os._Environ[str]) -> str | None:
    """The project file a ``labelhub`` command line names (``--project PATH`` or
    ``--project=PATH`` before the command, else $LABELHUB_PROJECT), or None."""
    path = environ.get("LABELHUB_PROJECT")
    for i, arg in enumerate(argv):
        if arg == "--project" and i + 1 < len(argv):
            path = argv[i + 1]
            break
        if arg.startswith("--project="):
            path = arg.partition("=")[2]
            break
        if not arg.startswith("-"):
            break  # the command: its own options follow
    if not path:
        return None
    path = os.path.expanduser(path)  # (project.core.project_paths's rule, not imported here)
    return path if path.endswith(".labelhub") or os.path.isfile(path) else os.path.join(path, "project.labelhub")
