"""The operating-point report, per-class results, curves and summary text of an evaluation."""

import contextlib
import importlib.util
import io
import json
from pathlib import Path

import numpy as np
import pytest

from labelhub.metrics.detection import evaluate_detections

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _oracle_helpers():
    """The pycocotools helpers of test_detection_oracle.py (tests run in importlib mode)."""
    path = Path(__file__).with_name("test_detection_oracle.py")
    spec = importlib.util.spec_from_file_location("_labelhub_detection_oracle_r", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_ORACLE = _oracle_helpers()


def box_case():
    gts = [
        {"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "iscrowd": 0},    # A
        {"image_id": 1, "category_id": 2, "bbox": [50, 0, 10, 10], "iscrowd": 0},   # B
        {"image_id": 1, "category_id": 1, "bbox": [100, 0, 10, 10], "iscrowd": 0},  # C
    ]
    dts = [
        {"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9},    # hit A
        {"image_id": 1, "category_id": 1, "bbox": [50, 0, 10, 10], "score": 0.8},   # B as 1
        {"image_id": 1, "category_id": 2, "bbox": [300, 0, 10, 10], "score": 0.7},  # nothing
        {"image_id": 1, "category_id": 2, "bbox": [0, 0, 10, 10], "score": 0.6},    # on A, taken
    ]
    gt, dt = _ORACLE.to_arrays(gts, dts, "bbox")
    return evaluate_detections(gt, dt, "bbox", category_ids=[1, 2])


def test_counts_and_rates_at_a_threshold():
    report = box_case().at_threshold(0.0)
    c1, c2 = report.per_class[1], report.per_class[2]
    assert (c1.tp, c1.fp, c1.fn) == (1, 1, 1)
    assert (c2.tp, c2.fp, c2.fn) == (0, 2, 1)
    assert c1.precision == 0.5 and c1.recall == 0.5 and c1.f1 == 0.5
    assert (c2.precision, c2.recall, c2.f1) == (0.0, 0.0, 0.0)
    o = report.overall
    assert (o.tp, o.fp, o.fn) == (1, 3, 2)
    assert o.precision == pytest.approx(0.25) and o.recall == pytest.approx(1 / 3)
    assert o.f1 == pytest.approx(2 * 0.25 * (1 / 3) / (0.25 + 1 / 3))
    high = box_case().at_threshold(0.75)
    assert (high.per_class[2].tp, high.per_class[2].fp, high.per_class[2].fn) == (0, 0, 1)


def test_confusion_matrix_rule():
    report = box_case().at_threshold(0.0)
    assert report.labels == (1, 2, "background")
    assert report.confusion.tolist() == [
        [1, 0, 1],  # A found; C missed
        [1, 0, 0],  # B detected as class 1
        [0, 2, 0],  # class-2 detections on nothing free
    ]
    outcome = report.images[1]
    assert outcome.tp.tolist() == [[0, 0]]
    assert sorted(outcome.fp.tolist()) == [1, 2, 3]
    assert sorted(outcome.fn.tolist()) == [1, 2]
    assert outcome.confused.tolist() == [[1, 1]]
    assert outcome.ignored.size == 0 and outcome.not_evaluated.size == 0


@pytest.mark.parametrize("iou_type", ["bbox", "segm", "keypoints"])
def test_report_agrees_with_the_coco_arrays(iou_type):
    images, cats, gts, dts = _ORACLE.generate(7, iou_type)
    r = _ORACLE.labelhub_eval(images, cats, gts, dts, iou_type)
    a_all, m_last = 0, len(r.params.max_dets) - 1
    for iou in (0.5, 0.75):
        t = int(np.flatnonzero(np.isclose(r.params.iou_thresholds, iou))[0])
        everything = r.at_threshold(-1.0, iou=iou)
        for k, cat in enumerate(cats):
            counts = everything.per_class[cat]
            coco_recall = r.recall[t, k, a_all, m_last]
            if coco_recall >= 0:
                assert counts.recall == pytest.approx(coco_recall, abs=1e-12)
        for score in (0.0, 0.3, 0.65, 0.9):
            report = r.at_threshold(score, iou=iou)
            m = report.confusion
            n = len(cats)
            tp = np.array([report.per_class[c].tp for c in cats])
            fp = np.array([report.per_class[c].fp for c in cats])
            fn = np.array([report.per_class[c].fn for c in cats])
            assert np.array_equal(np.diag(m)[:n], tp)
            assert np.array_equal(m[:n].sum(axis=1), tp + fn)
            assert np.array_equal(m[:, :n].sum(axis=0), tp + fp)
            assert m[n, n] == 0
            # The raw curve counts the same true positives at that score.
            for k, cat in enumerate(cats):
                curve = r.pr_curve(cat, iou=iou)
                kept = curve.det_scores >= score
                if curve.num_gt and kept.any():
                    last = np.flatnonzero(kept)[-1]
                    assert curve.det_recall[last] * curve.num_gt == pytest.approx(tp[k])
            # Per-image lists point at the caller's rows, image and class consistent.
            gt_img = [g["image_id"] for g in gts]
            dt_img = [d["image_id"] for d in dts]
            n_tp = n_fp = 0
            for image_id, outcome in report.images.items():
                for d, g in outcome.tp.tolist():
                    assert dt_img[d] == gt_img[g] == image_id
                    assert dts[d]["category_id"] == gts[g]["category_id"]
                    assert dts[d]["score"] >= score
                for d, g in outcome.confused.tolist():
                    assert dts[d]["category_id"] != gts[g]["category_id"]
                    assert d in outcome.fp and g in outcome.fn
                n_tp += len(outcome.tp)
                n_fp += len(outcome.fp)
            assert (n_tp, n_fp) == (report.overall.tp, report.overall.fp)


def test_pr_curve_and_per_class():
    images, cats, gts, dts = _ORACLE.generate(2, "bbox")
    r = _ORACLE.labelhub_eval(images, cats, gts, dts, "bbox")
    per_class = {c.category_id: c for c in r.per_class()}
    for k, cat in enumerate(cats):
        curve = r.pr_curve(cat)
        assert np.array_equal(curve.precision, r.precision[0, :, k, 0, -1])
        assert np.array_equal(curve.recall_thresholds, r.params.recall_thresholds)
        assert np.all(np.diff(curve.det_scores) <= 0)
        if per_class[cat].ap >= 0:
            assert per_class[cat].ap50 == pytest.approx(np.mean(curve.precision))
            if curve.det_recall.size:
                assert curve.det_recall[-1] == pytest.approx(r.recall[0, k, 0, -1])
        else:
            assert per_class[cat].num_gt == 0
    assert np.mean([c.ap for c in r.per_class() if c.ap >= 0]) == pytest.approx(r.stats[0])
    with pytest.raises(Exception, match="0.33"):
        r.pr_curve(cats[0], iou=0.33)


def test_summary_text_matches_pycocotools():
    for iou_type in ("bbox", "keypoints"):
        images, cats, gts, dts = _ORACLE.generate(4, iou_type)
        ev = _ORACLE.coco_eval(images, cats, gts, dts, iou_type)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            ev.summarize()
        expected = [ln for ln in out.getvalue().splitlines() if ln.startswith(" Average")]
        ours = _ORACLE.labelhub_eval(images, cats, gts, dts, iou_type)
        assert ours.summary_lines() == expected


def test_to_dict_is_json():
    r = box_case()
    data = json.loads(json.dumps(r.to_dict()))
    assert data["iou_type"] == "bbox" and len(data["coco"]) == 12
    assert data["coco"] == list(r.stats)
    assert [c["category_id"] for c in data["per_class"]] == [1, 2]
    assert data["stat_names"][:3] == ["AP", "AP50", "AP75"]
