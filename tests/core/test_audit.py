"""The change log is a hash chain that also vouches for the rows each change wrote."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from labelhub.project import Project


def _db(project_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(project_dir / "project.labelhub", isolation_level=None)


def _verify(project_dir: Path):
    with Project.open(project_dir, user="lena", backup=False) as p:
        return p.audit_verify()


def test_an_untouched_project_verifies(project_dir: Path, images_dir: Path) -> None:
    with Project.open(project_dir, user="lena", backup=False) as p:
        p.import_images("photos", [images_dir])
        p.set_role("ben", "reviewer")
    report = _verify(project_dir)
    assert report.ok and report.checked == 7 and report.broken_seq is None


def test_every_change_is_one_seq_with_member_and_detail(lead: Project) -> None:
    before = lead.seq()
    lead.add_member("zoe", "annotator")
    change = lead.changes(limit=1)[0]
    assert change.seq == before + 1
    assert (change.member, change.action, change.detail["name"]) == ("lena", "member.add", "zoe")


def test_edited_change_record_is_detected(project_dir: Path) -> None:
    conn = _db(project_dir)
    detail = json.loads(conn.execute("SELECT detail FROM change WHERE seq = 3").fetchone()[0])
    detail["role"] = "lead"
    conn.execute("UPDATE change SET detail = ? WHERE seq = 3", (json.dumps(detail),))
    conn.close()
    report = _verify(project_dir)
    assert not report.ok and report.broken_seq == 3
    assert "altered" in report.message


def test_role_edited_behind_labelhubs_back_is_detected(project_dir: Path) -> None:
    conn = _db(project_dir)
    conn.execute("UPDATE member SET role = 'lead' WHERE name = 'ana'")
    conn.close()
    report = _verify(project_dir)
    assert not report.ok
    assert "changed outside LabelHub" in report.message and "member:" in report.message


def test_item_edited_behind_labelhubs_back_is_detected(project_dir: Path, images_dir: Path) -> None:
    with Project.open(project_dir, user="lena", backup=False) as p:
        seq = p.import_images("photos", [images_dir]).seq
    conn = _db(project_dir)
    conn.execute("UPDATE item SET name = 'renamed.jpg' WHERE id = (SELECT min(id) FROM item)")
    conn.close()
    report = _verify(project_dir)
    assert not report.ok and report.broken_seq == seq
    assert "altered or removed outside LabelHub" in report.message


def test_deleted_change_is_detected(project_dir: Path) -> None:
    conn = _db(project_dir)
    conn.execute("DELETE FROM change WHERE seq = 2")
    conn.close()
    report = _verify(project_dir)
    assert not report.ok and report.broken_seq == 2 and "missing" in report.message


def test_rewritten_chain_tail_is_detected(project_dir: Path) -> None:
    """Recomputing one row's own hash is not enough: the next row still points at the old one."""
    from labelhub.store.changelog import change_hash

    conn = _db(project_dir)
    row = conn.execute(
        "SELECT seq, time, member_id, action, entity, entity_uid, detail, rows_digest, prev_hash FROM change WHERE seq = 2"
    ).fetchone()
    fields = dict(zip(["seq", "time", "member_id", "action", "entity", "entity_uid", "detail", "rows_digest"], row[:8], strict=True))
    fields["detail"] = json.loads(fields["detail"])
    fields["time"] = "2020-01-01T00:00:00+00:00"
    new_hash = change_hash(row[8], fields)
    conn.execute("UPDATE change SET time = ?, hash = ? WHERE seq = 2", (fields["time"], new_hash))
    conn.close()
    report = _verify(project_dir)
    assert not report.ok and report.broken_seq == 3 and "chain broken" in report.message
