"""The items, split and clean commands end to end on a real project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labelhub.cli import main
from labelhub.project import Project


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> dict:
    got, out, err = run(capsys, *args, "--json")
    assert got == code, err
    assert out.count("\n") == 1  # one JSON object and nothing else on stdout
    return json.loads(out)


@pytest.fixture
def env(twelve, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: ANN001
    monkeypatch.setenv("LABELHUB_PROJECT", str(twelve.folder))
    monkeypatch.setenv("LABELHUB_USER", "lena")
    return twelve.folder


def test_items_list_filter_sort_and_count(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "items", "list", "--dataset", "ds", "--limit", "3")
    assert data["matching"] == 12 and [i["name"] for i in data["items"]] == ["img00.png", "img01.png", "img02.png"]
    assert data["items"][0]["status"] == "unassigned" and data["items"][0]["width"] == 96
    data = run_json(capsys, "items", "list", "--dataset", "ds", "--filter", "name~1", "--sort", "name", "--desc")
    assert [i["name"] for i in data["items"]] == ["img11.png", "img10.png", "img01.png"]
    assert run_json(capsys, "items", "list", "--dataset", "ds", "--count", "--filter", "split=none")["matching"] == 12
    code, out, _err = run(capsys, "items", "list", "--dataset", "ds", "--limit", "2")
    assert code == 0 and "img00.png" in out and "12 matching; 10 more" in out
    code, _out, err = run(capsys, "items", "list", "--dataset", "ds", "--filter", "colour=red")
    assert code == 1 and "cannot read the filter" in err


def test_set_split_meta_tag_exclude(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    got = run_json(capsys, "items", "set-split", "train", "img00.png", "img01.png", "--dataset", "ds")
    assert got["changed"] == 2
    got = run_json(capsys, "items", "set-split", "val", "--dataset", "ds", "--filter", "split=none",
                   "--filter", "name~img1")
    assert got["changed"] == 2
    got = run_json(capsys, "items", "meta", "set", "camera=A", "licence=CC0", "--dataset", "ds",
                   "--filter", "split=train")
    assert got["changed"] == 2
    got = run_json(capsys, "items", "tag", "--add", "night", "--dataset", "ds", "img05.png")
    assert got["changed"] == 1
    listed = run_json(capsys, "items", "list", "--dataset", "ds", "--filter", "meta:camera=A")
    assert [i["name"] for i in listed["items"]] == ["img00.png", "img01.png"]
    assert listed["items"][0]["metadata"]["licence"] == "CC0"
    assert run_json(capsys, "items", "list", "--dataset", "ds", "--filter", "tag=night")["matching"] == 1
    assert run_json(capsys, "items", "exclude", "img11.png", "--dataset", "ds")["changed"] == 1
    assert run_json(capsys, "items", "keep", "img05.png", "--finding", "blurry", "--dataset", "ds")["changed"] == 1
    code, _out, err = run(capsys, "items", "set-split", "train", "--dataset", "ds")
    assert code == 2 and "--filter" in err
    code, _out, err = run(capsys, "items", "set-split", "train", "ghost.png", "--dataset", "ds")
    assert code == 1 and "no item 'ghost.png'" in err
    with Project.open(env, user="lena", backup=False) as p:
        assert p.count_items("ds") == 11 and p.audit_verify().ok


def test_metadata_csv_reports_bad_rows_and_exits_1(env: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    sheet = tmp_path / "m.csv"
    sheet.write_text("file,site\nimg00.png,north\nnope.png,south\nimg01.png,east\n", encoding="utf-8")
    data = run_json(capsys, "items", "meta", "import-csv", str(sheet), "--dataset", "ds", code=1)
    assert data["applied"] == 2 and data["errors"] == [{"line": 3, "reason": "no item named nope.png in ds"}]
    code, out, _err = run(capsys, "items", "meta", "import-csv", str(sheet), "--dataset", "ds")
    assert code == 1 and "line 3: no item named nope.png" in out and "already had" in out


def test_split_dry_run_then_write(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dry = run_json(capsys, "split", "--dataset", "ds", "--ratios", "train=0.5,val=0.25,test=0.25",
                   "--seed", "1", "--dry-run")
    assert dry["counts"] == {"train": 6, "val": 3, "test": 3} and dry["seq"] is None and dry["dry_run"]
    done = run_json(capsys, "split", "--dataset", "ds", "--ratios", "train=0.5,val=0.25,test=0.25", "--seed", "1")
    assert done["counts"] == dry["counts"] and done["changed"] == 12 and done["seq"]
    code, out, _err = run(capsys, "split", "--dataset", "ds", "--ratios", "a=1", "--group", "meta:source")
    assert code == 0 and "12 groups by source" in out
    code, _out, err = run(capsys, "split", "--dataset", "ds", "--ratios", "a=1", "--stratify", "colour")
    assert code == 1 and "--stratify takes class or meta:KEY" in err


def test_clean(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "clean", "--dataset", "ds", "--checks", "no_labels,tiny", "--min-side", "80")
    assert data["counts"] == {"tiny": 12, "no_labels": 12} and data["items"] == 12
    code, out, _err = run(capsys, "clean", "--dataset", "ds", "--checks", "near_duplicate,blurry")
    assert code == 0 and "nothing found" in out


def test_items_list_at_a_version_while_the_dataset_keeps_changing(
        twelve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    """``items list --version`` shows what a committed version froze, by number or tag, filters
    included, whatever changed since; the live listing differs."""
    from tests.assets.version_history import V1, V2, build_history

    build_history(twelve, tmp_path)
    monkeypatch.setenv("LABELHUB_PROJECT", str(twelve.folder))
    monkeypatch.setenv("LABELHUB_USER", "lena")
    for ref, expected in (("1", V1), ("base", V1), ("2", V2)):
        data = run_json(capsys, "items", "list", "--dataset", "ds", "--version", ref, "--limit", "0")
        assert data["version"] == (1 if expected is V1 else 2)
        got = {i["name"]: (i["split"], i["labels"]) for i in data["items"]}
        assert got == {name: (split, labels) for name, (split, labels, _c, _t) in expected.items()}
    train = run_json(capsys, "items", "list", "--dataset", "ds", "--version", "1", "--filter", "split=train",
                     "--count")
    assert train["matching"] == sum(1 for s, *_ in V1.values() if s == "train")
    live = run_json(capsys, "items", "list", "--dataset", "ds", "--limit", "0")
    assert {i["name"] for i in live["items"]} != set(V2)  # it kept changing after v2
    code, _out, err = run(capsys, "items", "list", "--dataset", "ds", "--version", "9")
    assert code != 0 and "9" in err
