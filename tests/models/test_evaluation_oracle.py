"""Evaluations through a real project against pycocotools and scikit-learn (the oracles).

The data (models_helpers) have empty images, crowd regions that absorb several detections, a
class that is predicted but never labelled, one labelled but never predicted, and tied scores.
The ground truth is committed as a version and then changed: the evaluation must measure the
version, not the current labels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from models_helpers import (
    CLASSES,
    MODEL,
    DetectionSpec,
    build_project,
    coco_stats,
    detection_spec,
    keypoint_spec,
    tag_spec,
)
from sklearn import metrics as skm

from labelhub.geometry import Box
from labelhub.project import NewAnnotation

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
TOL = 1e-9


@pytest.mark.parametrize(("seed", "iou_type", "kinds"), [
    (0, "bbox", ("box",)), (1, "bbox", ("box", "polygon", "mask")), (2, "segm", ("box", "polygon", "mask")),
])
def test_detection_equals_pycocotools(tmp_path: Path, seed: int, iou_type: str, kinds: tuple[str, ...]) -> None:
    spec = detection_spec(seed, kinds=kinds)
    assert any(o.crowd for objs in spec.gt.values() for o in objs)
    assert any(not objs for objs in spec.gt.values())
    with build_project(tmp_path / "p", spec) as p:
        # Labels changed after the version: the evaluation measures version 1.
        item = p.items("ds")[0].uid
        p.add_annotations(p.ground_truth("ds").uid, item, [NewAnnotation("ant", Box(1, 1, 20, 20))])
        outcome = p.evaluate("ds", 1, f"{MODEL}@1", iou_type=iou_type)
        ours = np.asarray(outcome.results["coco"])
        assert outcome.info is not None and outcome.info.results["coco"] == list(ours)
    np.testing.assert_allclose(ours, coco_stats(spec, iou_type), rtol=0, atol=TOL)
    per_class = {r["class"]: r for r in outcome.results["per_class"]}
    assert per_class["dog"]["ap"] == -1 and per_class["dog"]["num_dt"] > 0
    assert per_class["cat"]["num_dt"] == 0 and per_class["cat"]["ap"] == 0


def test_keypoints_equal_pycocotools(tmp_path: Path) -> None:
    spec = keypoint_spec(5)
    with build_project(tmp_path / "p", spec) as p:
        outcome = p.evaluate("ds", 1, f"{MODEL}@1", iou_type="keypoints", store=False)
    assert len(outcome.results["coco"]) == 10
    np.testing.assert_allclose(outcome.results["coco"], coco_stats(spec, "keypoints"), rtol=0, atol=TOL)


def test_reopened_evaluation_gives_the_same_numbers_after_a_reimport(tmp_path: Path) -> None:
    spec = detection_spec(3)
    with build_project(tmp_path / "p", spec) as p:
        first = p.evaluate("ds", 1, f"{MODEL}@1")
        p.add_predictions("ds", f"{MODEL}@1", {n: [] for n in spec.sizes})  # the model's output replaced
        again = p.reopen_evaluation(first.info.uid)
        assert list(again.run.stats) == first.results["coco"]
        assert again.predictions_hash == first.predictions_hash
        emptied = p.evaluate("ds", 1, f"{MODEL}@1", store=False)
        assert emptied.predictions_hash != first.predictions_hash
        assert emptied.results["coco"][0] == 0.0


def _tag_arrays(spec: DetectionSpec, threshold: float):
    y_true, y_pred, scores, pairs_t, pairs_p = [], [], [], [], []
    for n in sorted(spec.sizes):
        if not spec.gt[n]:
            continue
        truth = spec.gt[n][0]
        y_true.append(CLASSES.index(truth.label))
        row = np.zeros(len(CLASSES))
        for o in spec.dt[n]:
            row[CLASSES.index(o.label)] = max(row[CLASSES.index(o.label)], o.score)
            if o.label == truth.label:
                pairs_t.append(truth.attributes["length"])
                pairs_p.append(o.attributes["length"])
        scores.append(row)
        best = max(spec.dt[n], key=lambda o: (o.score, -CLASSES.index(o.label))) if spec.dt[n] else None
        y_pred.append(CLASSES.index(best.label) if best is not None and best.score >= threshold else -1)
    return np.array(y_true), np.array(y_pred), np.array(scores), pairs_t, pairs_p


@pytest.mark.parametrize("seed", [0, 1])
def test_classification_equals_scikit_learn(tmp_path: Path, seed: int) -> None:
    spec = tag_spec(seed)
    with build_project(tmp_path / "p", spec) as p:
        outcome = p.evaluate("ds", 1, f"{MODEL}@1", score_threshold=0.3, slices=["image_labels"])
    res = outcome.results
    assert res["task"] == "classification" and res["coco"] is None
    t, pr, s, pt, pp = _tag_arrays(spec, 0.3)
    labels = list(range(len(CLASSES)))
    summary = res["classification"]
    assert summary["accuracy"] == pytest.approx(skm.accuracy_score(t, pr), abs=TOL)
    for avg in ("macro", "micro", "weighted"):
        want = skm.precision_recall_fscore_support(t, pr, labels=labels, average=avg, zero_division=0)
        got = (summary[f"precision_{avg}"], summary[f"recall_{avg}"], summary[f"f1_{avg}"])
        np.testing.assert_allclose(got, want[:3], atol=TOL)
    per = skm.precision_recall_fscore_support(t, pr, labels=labels, zero_division=0)
    np.testing.assert_allclose([[r["precision"], r["recall"], r["f1"]] for r in res["per_class"]],
                               np.array(per[:3]).T, atol=TOL)
    present = sorted(set(t.tolist()))
    aucs = [skm.roc_auc_score(t == c, s[:, c]) for c in present]
    assert summary["roc_auc_macro"] == pytest.approx(np.mean(aucs), abs=TOL)
    cm = skm.confusion_matrix(t, pr, labels=[*labels, -1])
    assert res["confusion"]["matrix"] == cm.tolist()
    assert res["attributes"]["length"]["mae"] == pytest.approx(skm.mean_absolute_error(pt, pp), abs=TOL)
    assert res["counts"]["items_without_ground_truth"] == sum(1 for n in spec.gt if not spec.gt[n])
    slices = {v["value"]: v for v in res["slices"][0]["values"]}
    for k, name in enumerate(CLASSES[:3]):
        sel = t == k
        present = sorted((set(t[sel].tolist()) | set(pr[sel].tolist())) - {-1})
        want = skm.precision_recall_fscore_support(t[sel], pr[sel], labels=present, average="macro", zero_division=0)
        assert slices[name]["items"] == int(sel.sum())
        assert slices[name]["accuracy"] == pytest.approx(skm.accuracy_score(t[sel], pr[sel]), abs=TOL)
        assert slices[name]["f1"] == pytest.approx(want[2], abs=TOL)
