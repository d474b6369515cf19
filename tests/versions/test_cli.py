"""`labelhub version ...`, `labelhub export` and `labelhub import labels` on a real project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from versions_helpers import item_uid

from labelhub.cli import main
from labelhub.geometry import Box
from labelhub.project import NewAnnotation, Project


@pytest.fixture
def env(scenes: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LABELHUB_PROJECT", str(scenes))
    monkeypatch.setenv("LABELHUB_USER", "lena")
    return scenes


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    assert out.count("\n") == 1  # one JSON object and nothing else on stdout
    return json.loads(out)


def test_versions_from_the_command_line(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    v1 = run_json(capsys, "version", "commit", "--dataset", "scenes", "-m", "first", "--tag", "base")
    assert (v1["number"], v1["tag"], v1["stats"]["annotations"]) == (1, "base", 6)
    code, _out, err = run(capsys, "version", "commit", "--dataset", "scenes", "-m", "again")
    assert code == 1 and "nothing changed in scenes since v1" in err
    with Project.open(env, user="lena", backup=False) as p:
        gt = p.ground_truth("scenes").uid
        p.add_annotations(gt, item_uid(p, "scenes", "sub/d.png"), [NewAnnotation("car", Box(1, 1, 4, 4))])
    code, out, _err = run(capsys, "version", "commit", "--dataset", "scenes", "-m", "second")
    assert code == 0 and "committed scenes v2 at change" in out
    listed = run_json(capsys, "version", "list", "--dataset", "scenes")["versions"]
    assert [v["number"] for v in listed] == [1, 2]
    code, out, _err = run(capsys, "version", "list", "--dataset", "scenes")
    assert out.index("v2") < out.index("v1 (base)")  # newest first
    diff = run_json(capsys, "version", "diff", "--dataset", "scenes", "base", "2")
    assert diff["summary"] == {"annotations_added": 1}
    assert diff["annotations"][0]["item_name"] == "sub/d.png"
    code, out, _err = run(capsys, "version", "diff", "--dataset", "scenes", "1", "v2")
    assert "v1 (base) -> v2: 1 annotation added" in out and "added    sub/d.png: car box" in out
    assert run_json(capsys, "version", "tag", "--dataset", "scenes", "2", "base")["tag"] == "base"
    assert run_json(capsys, "version", "show", "--dataset", "scenes", "base")["number"] == 2
    assert run_json(capsys, "version", "untag", "--dataset", "scenes", "2")["tag"] is None
    dep = run_json(capsys, "version", "deprecate", "--dataset", "scenes", "1", "--reason", "too early")
    assert dep["deprecated"] and dep["deprecated_reason"] == "too early"
    assert run_json(capsys, "version", "verify", "--dataset", "scenes", "1")["ok"] is True
    code, _out, err = run(capsys, "version", "show", "--dataset", "scenes", "v9")
    assert code == 1 and "no version 'v9'" in err


def test_export_prints_the_loss_plan_and_import_labels_reads_it_back(
        env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, "version", "commit", "--dataset", "scenes", "-m", "first")[0] == 0
    out_dir = tmp_path / "voc"
    code, out, err = run(capsys, "export", "--dataset", "scenes", "--version", "1", "--format", "voc",
                         str(out_dir))
    assert code == 0
    assert "voc cannot hold every shape of scenes v1:" in err
    assert "1 polygon shape of car: converted (becomes its axis-aligned bounding box)" in err
    assert "exported scenes v1 as voc" in out and "(1 shapes converted, 2 dropped)" in out
    assert len(json.loads((out_dir / "manifest.json").read_text())["losses"]) == 3
    code, _out, err = run(capsys, "export", "--dataset", "scenes", "--version", "1", "--format", "voc",
                          str(tmp_path / "refused"), "--refuse-losses")
    assert code == 1 and not (tmp_path / "refused").exists()

    report = run_json(capsys, "export", "--dataset", "scenes", "--version", "1", "--format", "yolo",
                      "--yolo-task", "detect", str(tmp_path / "yolo"), "--with-media")
    assert report["plan"]["target"] == "yolo-detect" and report["media_files"] == 4
    back = run_json(capsys, "import", "labels", str(tmp_path / "yolo"), "--format", "yolo",
                    "--dataset", "scenes", "--into", "annotator:ana", "--yolo-task", "detect")
    assert back["added"] == 4 and back["matched"] == {"name": 4}
    code, _out, err = run(capsys, "import", "labels", str(tmp_path / "yolo"), "--format", "coco",
                          "--dataset", "scenes")
    assert code == 1 and "no labels found in it as COCO JSON" in err
    code, _out, err = run(capsys, "import", "labels", str(tmp_path / "yolo"), "--format", "yolo",
                          "--dataset", "scenes", "--into", "elsewhere")
    assert code == 1 and "--into must be" in err
