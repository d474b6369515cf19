"""The `labelhub` command starts the integrity check of its project before importing the rest
of LabelHub; opening the project takes that answer only when the check passed and neither the
file nor its write-ahead log changed since it began, and checks again otherwise (a damaged
file is still refused with its message)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from core_helpers import damage_member_page

from labelhub import launch
from labelhub.errors import ProjectOpenError
from labelhub.project import Project
from labelhub.store import database, early_check


@pytest.fixture
def own_checks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every whole-file check the opening runs itself (True) or takes from the early one."""
    runs: list[bool] = []
    real_passed = early_check.passed

    def passed(db_path: object) -> bool:
        taken = real_passed(db_path)  # type: ignore[arg-type]
        runs.append(not taken)
        return taken

    monkeypatch.setattr(early_check, "passed", passed)
    monkeypatch.setattr(early_check, "_checks", {})
    return runs


def test_opening_takes_the_answer_of_the_early_check(project_dir: Path,
                                                     own_checks: list[bool]) -> None:
    early_check.start(project_dir / "project.labelhub")
    with Project.open(project_dir, user="lena", backup=False) as p:
        assert p.datasets()[0].name == "photos"
    with Project.open(project_dir, user="lena", backup=False):
        pass
    assert own_checks == [False, True]  # the second opening checks for itself


def test_a_file_changed_after_the_check_began_is_checked_again(project_dir: Path,
                                                              own_checks: list[bool]) -> None:
    db = project_dir / "project.labelhub"
    early_check.start(db)
    _state, thread, answer = early_check._checks[str(db.resolve())]
    thread.join()
    assert answer == [["ok"]]
    conn = sqlite3.connect(db)  # another program writes to it meanwhile
    conn.execute("PRAGMA user_version = user_version")
    conn.execute("CREATE TABLE scratch(x)")
    conn.commit()
    conn.close()
    assert not early_check.passed(db)
    with Project.open(project_dir, user="lena", backup=False):
        pass
    assert own_checks == [True, True]


def test_a_damaged_file_is_still_refused_with_its_message(project_dir: Path,
                                                         own_checks: list[bool]) -> None:
    db = project_dir / "project.labelhub"
    damage_member_page(db)
    early_check.start(db)
    with pytest.raises(ProjectOpenError, match="damaged"):
        database.quick_check(db)
    assert own_checks == [True]


def test_the_command_line_names_its_project() -> None:
    env = {"LABELHUB_PROJECT": "/env/proj"}
    assert early_check.project_file(["--project", "/p", "info"], {}) == "/p/project.labelhub"
    assert early_check.project_file(["--project=/p/x.labelhub", "info"], {}) == "/p/x.labelhub"
    assert early_check.project_file(["--user", "ana", "info"], env) == "/env/proj/project.labelhub"
    # after the command, --project is the command's own (none of those exist today)
    assert early_check.project_file(["info", "--project", "/p"], {}) is None
    assert early_check.project_file(["demo"], {}) is None


def test_the_command_starts_the_check_and_opening_takes_it(project_dir: Path,
                                                          own_checks: list[bool],
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["labelhub", "--project", str(project_dir), "--user",
                                      "lena", "dataset", "list"])
    assert launch.main() == 0
    assert "photos" in capsys.readouterr().out
    assert own_checks == [False]


def test_python_dash_m_runs_the_command(project_dir: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "labelhub", "--project", str(project_dir),
                           "--user", "lena", "dataset", "list"], capture_output=True, text=True,
                          check=True)
    assert "photos" in done.stdout
