"""The `labelhub` command end to end in a temporary folder."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from labelhub.cli import main
from labelhub.project import Project


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = tmp_path / "proj"
    monkeypatch.setenv("LABELHUB_PROJECT", str(project))
    monkeypatch.setenv("LABELHUB_USER", "lena")
    return project


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    assert out.count("\n") == 1  # one JSON object and nothing else on stdout
    return json.loads(out)


def test_a_whole_session(env: Path, capsys: pytest.CaptureFixture[str], images_dir: Path) -> None:
    assert run_json(capsys, "init", str(env), "--lead", "lena")["member"] == "lena"
    assert run(capsys, "members", "add", "ana", "--role", "annotator")[0] == 0
    assert run(capsys, "members", "add", "rui", "--role", "reviewer")[0] == 0
    assert run(capsys, "members", "set-role", "rui", "lead")[0] == 0
    assert run(capsys, "members", "deactivate", "rui")[0] == 0
    members = {m["name"]: m for m in run_json(capsys, "members", "list")["members"]}
    assert members["ana"]["role"] == "annotator" and members["rui"]["active"] is False
    assert run_json(capsys, "dataset", "create", "photos", "--description", "cats")["name"] == "photos"
    report = run_json(capsys, "import", "images", str(images_dir), "--dataset", "photos")
    assert report["imported"] == 4 and report["failed"] == [] and report["duplicates"] == []
    info = run_json(capsys, "info")
    assert info["counts"]["items"] == 4 and info["datasets"] == [{"name": "photos", "items": 4}]
    sheet = run_json(capsys, "dataset", "describe", "photos", "--licence", "CC0", "--set", "camera=A")["datasheet"]
    assert sheet == {"licence": "CC0", "extra": {"camera": "A"}}
    assert run_json(capsys, "dataset", "rename", "photos", "pets")["name"] == "pets"
    assert [d["name"] for d in run_json(capsys, "dataset", "list")["datasets"]] == ["pets"]
    verify = run_json(capsys, "audit", "verify")
    assert verify == {"ok": True, "checked": 9, "broken_seq": None, "message": "9 changes verified, chain intact"}
    assert [c["action"] for c in run_json(capsys, "audit", "log", "--limit", "2")["changes"]] == [
        "dataset.rename", "dataset.describe"]
    check = run_json(capsys, "check", "--deep")
    assert check["ok"] and check["integrity"] == "ok" and check["backups"]


def test_text_output_and_progress_on_stderr(env: Path, capsys: pytest.CaptureFixture[str], images_dir: Path) -> None:
    run(capsys, "init", str(env), "--lead", "lena")
    run(capsys, "dataset", "create", "photos")
    (images_dir / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    code, out, err = run(capsys, "import", "images", str(images_dir), "--dataset", "photos")
    assert code == 0
    assert out.startswith("4 imported into photos, 1 refused")
    assert "broken.jpg" in out
    assert "importing" in err and "100%" in err


def test_errors_exit_1_with_a_message_on_stderr(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "init", str(env), "--lead", "lena")
    run(capsys, "members", "add", "ana", "--role", "annotator")
    code, out, err = run(capsys, "--user", "ana", "dataset", "create", "x", "--json")
    assert (code, out) == (1, "")
    assert "ana is an annotator; creating datasets needs the lead role" in err
    code, out, err = run(capsys, "--user", "mallory", "info")
    assert code == 1 and "not a member" in err and "lena (lead)" in err
    code, out, err = run(capsys, "import", "images", "/nonexistent", "--dataset", "x")
    assert code == 1 and "no dataset named 'x'" in err or "no such file" in err


def test_usage_errors_exit_2(env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["members", "add", "ana", "--role", "king"])
    assert exc.value.code == 2
    monkeypatch.delenv("LABELHUB_PROJECT")
    code, out, err = run(capsys, "info")
    assert code == 2 and "--project PATH" in err


def test_audit_verify_fails_on_a_tampered_project(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "init", str(env), "--lead", "lena")
    run(capsys, "members", "add", "ana", "--role", "annotator")
    conn = sqlite3.connect(env / "project.labelhub")
    conn.execute("UPDATE member SET role = 'lead' WHERE name = 'ana'")
    conn.commit()
    conn.close()
    code, out, err = run(capsys, "audit", "verify", "--json")
    assert code == 1 and json.loads(out)["ok"] is False
    code, out, _ = run(capsys, "check")
    assert code == 1 and "PROBLEMS FOUND" in out


def test_demo_without_window(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "demo"
    data = run_json(capsys, "demo", str(folder), "--no-gui")
    assert data == {"project": str(folder.resolve()), "user": "lena"}
    with Project.open(folder, user="lena", backup=False) as p:
        assert {m.name: m.role.value for m in p.members()} == {
            "lena": "lead", "rui": "reviewer", "ana": "annotator", "ben": "annotator"}
        counts = {d.name: d.item_count for d in p.datasets()}
        assert counts["photos"] >= 4 and counts["shapes"] == 24
        assert p.audit_verify().ok
    # a second run keeps the project as it is
    assert run_json(capsys, "demo", str(folder), "--no-gui")["project"] == str(folder.resolve())


def test_the_installed_command_runs_without_qt(env: Path, tmp_path: Path) -> None:
    """The real entry point, in a fresh process: --json output, exit codes, and no Qt loaded."""
    environ = {**os.environ, "LABELHUB_PROJECT": str(env), "LABELHUB_USER": "lena"}
    code = (
        "import sys; from labelhub.cli import main; rc = main(sys.argv[1:]); "
        "assert 'PySide6' not in sys.modules, 'Qt was imported'; raise SystemExit(rc)"
    )
    r = subprocess.run([sys.executable, "-c", code, "init", str(env), "--lead", "lena", "--json"],
                       capture_output=True, text=True, env=environ, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["member"] == "lena"
    r = subprocess.run([sys.executable, "-m", "labelhub", "--user", "nobody", "info"],
                       capture_output=True, text=True, env=environ, timeout=60)
    assert r.returncode == 1 and r.stdout == "" and "not a member" in r.stderr
