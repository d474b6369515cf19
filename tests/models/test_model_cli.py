"""The `labelhub model` and `labelhub evaluate` commands on a real project."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from models_helpers import MODEL, build_project, coco_stats, detection_spec

from labelhub.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_register_stage_and_evaluate_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    spec = detection_spec(8)
    build_project(tmp_path / "p", spec).close()
    monkeypatch.setenv("LABELHUB_PROJECT", str(tmp_path / "p"))
    monkeypatch.setenv("LABELHUB_USER", "lena")
    assert run(capsys, "model", "add", "yolo", "--task", "detection")[0] == 0
    code, stdout, _ = run(capsys, "model", "version", "add", "yolo", "8n", "--trained-on", "ds@1",
                          "--params", '{"lr": 0.01, "epochs": 3}', "--tag", "fast", "--limitations", "tiny", "--json")
    added = json.loads(stdout)
    assert code == 0 and added["trained_on"]["ref"] == "ds@1" and added["params"] == {"lr": 0.01, "epochs": 3}
    assert added["card"]["limitations"] == "tiny" and added["tags"] == ["fast"]
    code, _out, err = run(capsys, "model", "version", "add", "yolo", "8s", "--params", "{bad")
    assert code == 2 and "--params is not valid JSON" in err
    code, _out, err = run(capsys, "--user", "ana", "model", "stage", "yolo", "8n", "production")
    assert code == 1 and "needs the lead role" in err
    assert run(capsys, "model", "stage", "yolo", "8n", "production")[0] == 0
    listing = json.loads(run(capsys, "model", "list", "--json")[1])
    assert {m["name"]: m["production"] for m in listing["models"]} == {MODEL: None, "yolo": "8n"}
    lineage = json.loads(run(capsys, "model", "lineage", "ds@1", "--json")[1])
    assert [v["ref"] for v in lineage["model_versions"]] == ["yolo@8n"]

    code, stdout, err = run(capsys, "evaluate", "--dataset", "ds", "--version", "1", "--predictions",
                            f"{MODEL}@1", "--slice", "split", "--json")
    assert code == 0 and err == ""
    result = json.loads(stdout)
    assert len(result["coco"]) == 12
    assert result["stat_names"][:3] == ["AP", "AP50", "AP75"]
    np.testing.assert_allclose(result["coco"], coco_stats(spec, "bbox"), rtol=0, atol=1e-9)
    assert {r["class"] for r in result["per_class"]} == {"ant", "bee", "cat", "dog"}
    assert result["predictions_hash"] and result["params"]["version"] == 1
    shown = json.loads(run(capsys, "evaluation", "show", result["uid"][:8], "--json")[1])
    assert shown["coco"] == result["coco"]
    code, text, _ = run(capsys, "evaluate", "--dataset", "ds", "--version", "1", "--predictions", f"{MODEL}@1",
                        "--no-store")
    assert code == 0 and "Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]" in text
    listed = json.loads(run(capsys, "evaluation", "list", "--json")[1])
    assert [e["uid"] for e in listed["evaluations"]] == [result["uid"]]
    compared = json.loads(run(capsys, "evaluation", "compare", result["uid"], result["uid"], "--json")[1])
    assert compared["comparable"] and all(s["delta"] in (0.0, None) for s in compared["summary"])
    code, _out, err = run(capsys, "--user", "ana", "evaluate", "--dataset", "ds", "--version", "1",
                          "--predictions", f"{MODEL}@1")
    assert code == 1 and "add --no-store" in err
    code, stdout, _ = run(capsys, "--user", "ana", "evaluate", "--dataset", "ds", "--version", "1",
                          "--predictions", f"{MODEL}@1", "--no-store", "--json")
    assert code == 0 and json.loads(stdout)["coco"] == result["coco"] and "uid" not in json.loads(stdout)
    code, _out, err = run(capsys, "evaluate", "--dataset", "ds", "--version", "9", "--predictions", f"{MODEL}@1")
    assert code == 1 and "no version '9'" in err
    shown_text = run(capsys, "model", "version", "show", "yolo", "8n")[1]
    assert "development -> production" in shown_text and "trained on         ds@1" in shown_text
