"""Nothing lost, the hard way: a child process drives the workspace and SIGKILLs itself at
random moments; after each kill the project is reopened, and every edit the window had shown
as saved must be there, exactly as the canvas showed it, with the database intact."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from labelhub.project import Project

CHILD = Path(__file__).with_name("kill_child.py")
KILLS = 8


def _saved_state(p: Project, set_uid: str, item: str, seq: int) -> list[list]:
    return sorted([a.uid, a.label, a.shape.to_dict()] for a in p.annotations(set_uid, item, at_seq=seq)
                  if a.shape.kind != "tag")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is a POSIX signal")
def test_no_saved_edit_is_lost_when_the_process_is_killed(project_dir: Path, tmp_path: Path) -> None:
    rng = random.Random(7)
    checked = 0
    for run in range(KILLS):
        record = tmp_path / f"record-{run}.jsonl"
        done = subprocess.run([sys.executable, str(CHILD), str(project_dir), str(record), str(run),
                               f"{rng.uniform(0.3, 1.2):.3f}"], capture_output=True, text=True, timeout=60)
        assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
        with sqlite3.connect(project_dir / "project.labelhub") as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        lines = record.read_text(encoding="utf-8").split("\n") if record.exists() else []
        complete = [json.loads(line) for line in lines[:-1]]  # the last one may be cut short
        with Project.open(project_dir, user="ana") as p:
            own = p.my_label_set("street").uid
            for entry in complete:
                assert _saved_state(p, own, entry["item"], entry["seq"]) == entry["state"], \
                    f"run {run}: the state shown as saved after change {entry['seq']} is not in the project"
                checked += 1
            if complete:
                assert p.seq() >= complete[-1]["seq"]
            assert p.audit_verify().ok
    print(f"{KILLS} kills, {checked} saved edits checked")
    assert checked >= KILLS * 3  # the children did save edits before being killed
