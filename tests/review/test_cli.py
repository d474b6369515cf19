"""`labelhub assign`, `agreement --json`, `task` and `review` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labelhub.cli import main
from labelhub.geometry import Box, Tag

from .conftest import draw


def run(capsys: pytest.CaptureFixture[str], user: str, *args: str) -> tuple[int, str, str]:
    code = main(["--user", user, *args])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], user: str, *args: str) -> dict:
    code, out, err = run(capsys, user, *args, "--json")
    assert code == 0, err
    assert out.count("\n") == 1
    return json.loads(out)


@pytest.fixture
def cli(team: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LABELHUB_PROJECT", str(team))
    return team


def test_assign_label_agree_review_from_the_command_line(cli: Path, member, capsys) -> None:
    report = run_json(capsys, "lena", "assign", "--dataset", "street", "--annotators", "ana,ben,cid",
                      "--overlap", "3", "--items", "a.png,b.png,c.png")
    assert report == {"dataset": "street", "items": 3, "created": 9, "full": 0,
                      "per_member": {"ana": 3, "ben": 3, "cid": 3}}
    assert run(capsys, "lena", "review", "policy", "--dataset", "street", "--review-required", "yes")[0] == 0
    labels = {"ana": ["day", "day", "night"], "ben": ["day", "night", "night"], "cid": ["day", "day", "day"]}
    for name, tags in labels.items():
        with member(name) as p:
            for item, tag in zip(("a.png", "b.png", "c.png"), tags, strict=True):
                draw(p, item, [(tag, Tag()), ("car", Box(10 + (name == "ben"), 10, 30, 20))])
        assert run_json(capsys, name, "task", "next")["next"]["state"] == "in_progress"
        for item in ("a.png", "b.png", "c.png"):
            assert run_json(capsys, name, "task", "submit", item, "--dataset", "street")["state"] == "submitted"

    code, _out, err = run(capsys, "ana", "agreement", "--dataset", "street")
    assert code == 1 and "needs the reviewer role" in err
    data = run_json(capsys, "rui", "agreement", "--dataset", "street", "--per-item")
    assert data["annotators"] == ["ana", "ben", "cid"]
    assert data["pairs"]["f1"][0][1] == pytest.approx((1 + 0.5 + 1) / 3)  # b.png: tags differ
    assert data["pairs"]["f1"][0][0] is None
    assert data["classes"]["car"] == {"f1": 1.0, "shapes": 9, "compared": 18}  # 3 pairs
    assert set(data["classes"]) == {"car", "day", "night"}
    tags = data["tags"]
    assert set(tags["cohen_kappa"]["pairs"]) == {"ana/ben", "ana/cid", "ben/cid"}
    assert len(tags["cohen_kappa"]["matrix"]) == 3
    assert isinstance(tags["fleiss_kappa"], float) and isinstance(tags["krippendorff_alpha"], float)
    assert len(data["per_item"]) == 3
    text = run(capsys, "rui", "agreement", "--dataset", "street")[1]
    assert "Fleiss' kappa" in text and "per class" in text

    queue = run_json(capsys, "rui", "review", "queue", "--dataset", "street")["queue"]
    assert [e["name"] for e in queue][-1] == "a.png"  # full agreement on a.png: last
    shown = run_json(capsys, "rui", "review", "show", "--dataset", "street", "b.png")
    assert shown["raters"] == ["ana", "ben", "cid"] and shown["disagreements"]
    accepted = run_json(capsys, "rui", "review", "accept", "--dataset", "street", "b.png", "--consensus",
                        "--quorum", "2")["accepted"]
    assert len(accepted) == 2
    lineage = run_json(capsys, "rui", "review", "lineage", accepted[0])
    assert lineage["accepted_by"] == "rui" and len(lineage["sources"]) >= 2
    assert run(capsys, "rui", "review", "accept", "--dataset", "street", "c.png")[0] == 2  # usage
    sent = run_json(capsys, "rui", "review", "reject", "--dataset", "street", "c.png", "-m", "Is it night?",
                    "--annotators", "cid")
    assert sent["sent_back_to"] == ["cid"]
    task = run_json(capsys, "cid", "task", "list", "--dataset", "street")["queue"][0]
    assert (task["name"], task["state"], task["reviewer_comment"]) == ("c.png", "rejected", "Is it night?")
    assert "sent back: Is it night?" in run(capsys, "cid", "task", "list")[1]
    status = run_json(capsys, "lena", "review", "status", "--dataset", "street")
    assert status["items"] == {"unassigned": 3, "in_annotation": 1, "ready_for_review": 1, "accepted": 1}
    comments = run_json(capsys, "rui", "review", "comments", "--dataset", "street")["comments"]
    resolved = run_json(capsys, "rui", "review", "resolve", comments[0]["uid"])
    assert resolved["resolved"] is True
    code, _out, err = run(capsys, "lena", "assign", "--dataset", "street", "--annotators", "ana", "--overlap", "2")
    assert code == 1 and "an overlap of 2 needs at least 2 annotators" in err
