"""Hand-built cases for each rule of COCO detection evaluation.

Every case checks the numbers worked out by hand and, where pycocotools can express the case,
that pycocotools gives the same arrays (``assert_same_as_coco``).
"""

import importlib.util
import threading
from pathlib import Path

import numpy as np
import pytest

from labelhub.errors import Cancelled, InvalidInput
from labelhub.metrics.detection import (
    DetectionArrays,
    EvaluationParams,
    GroundTruth,
    GroundTruthArrays,
    evaluate_detections,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _oracle_helpers():
    """The pycocotools helpers of test_detection_oracle.py (tests run in importlib mode)."""
    path = Path(__file__).with_name("test_detection_oracle.py")
    spec = importlib.util.spec_from_file_location("_labelhub_detection_oracle", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_ORACLE = _oracle_helpers()
assert_same_as_coco = _ORACLE.assert_same_as_coco
labelhub_eval = _ORACLE.labelhub_eval
to_arrays = _ORACLE.to_arrays

AP, AP50, AP75, AP_S, AP_M, AP_L, AR1, AR10, AR100, AR_S, AR_M, AR_L = range(12)
SMALL, MEDIUM, LARGE = 1, 2, 3


def gt(img, cat, box, area=None, crowd=0):
    g = {"image_id": img, "category_id": cat, "bbox": [float(v) for v in box], "iscrowd": crowd}
    if area is not None:
        g["area"] = float(area)
    return g


def dt(img, cat, box, score):
    return {"image_id": img, "category_id": cat, "bbox": [float(v) for v in box],
            "score": float(score)}


FAR = [300, 300, 20, 20]  # overlaps nothing


def test_perfect_detections_score_one():
    gts = [gt(1, 1, [10, 10, 50, 40]), gt(2, 1, [0, 0, 20, 20])]
    dts = [dt(1, 1, [10, 10, 50, 40], 0.9), dt(2, 1, [0, 0, 20, 20], 0.8)]
    r = assert_same_as_coco([1, 2], [1], gts, dts)
    assert r.stats[AP] == pytest.approx(1.0) and r.stats[AR100] == 1.0


def test_area_range_ends_are_inclusive():
    # Area exactly 32**2 is both small and medium; exactly 96**2 both medium and large.
    gts = [gt(1, 1, [0, 0, 32, 32]), gt(2, 2, [0, 0, 96, 96])]
    dts = [dt(1, 1, [0, 0, 32, 32], 0.9), dt(2, 2, [0, 0, 96, 96], 0.9)]
    r = assert_same_as_coco([1, 2], [1, 2], gts, dts)
    p = r.precision[0, 0]  # IoU 0.5, recall 0: (K, A, M)
    assert p[0, SMALL, -1] == pytest.approx(1) and p[0, MEDIUM, -1] == pytest.approx(1)
    assert p[0, LARGE, -1] == -1
    assert p[1, SMALL, -1] == -1
    assert p[1, MEDIUM, -1] == pytest.approx(1) and p[1, LARGE, -1] == pytest.approx(1)
    assert r.stats[AP_S] == pytest.approx(1) and r.stats[AP_L] == pytest.approx(1)


def test_gt_area_field_decides_its_range_and_matched_detections_count_whatever_their_area():
    # The ground truth's area field (500: small) differs from its box (1600: medium).
    gts = [gt(1, 1, [0, 0, 40, 40], area=500)]
    dts = [dt(1, 1, [0, 0, 40, 40], 0.9)]
    r = assert_same_as_coco([1], [1], gts, dts)
    assert r.stats[AP_S] == pytest.approx(1)  # matched: counted though its area is medium
    assert r.stats[AP_M] == -1  # the ground truth is ignored there and absorbs the detection


def test_unmatched_detection_outside_the_area_range_is_ignored():
    gts = [gt(1, 1, [0, 0, 10, 10])]
    dts = [dt(1, 1, [50, 50, 100, 100], 0.9), dt(1, 1, [0, 0, 10, 10], 0.5)]
    r = assert_same_as_coco([1], [1], gts, dts)
    assert r.stats[AP_S] == pytest.approx(1)  # the large false positive is not counted there
    assert r.stats[AP] == pytest.approx(0.5)  # but it is in "all"


def test_max_dets_cut_per_image_and_category():
    gts = [gt(1, 1, [0, 0, 10, 10]), gt(1, 1, [20, 0, 10, 10]), gt(1, 1, [40, 0, 10, 10])]
    dts = [dt(1, 1, [100 + 11 * i, 100, 10, 10], 0.9 - 0.01 * i) for i in range(10)]
    dts += [dt(1, 1, [0, 0, 10, 10], 0.1), dt(1, 1, [20, 0, 10, 10], 0.05)]
    r = assert_same_as_coco([1], [1], gts, dts)
    assert r.stats[AR1] == 0 and r.stats[AR10] == 0
    assert r.stats[AR100] == pytest.approx(2 / 3)


def test_detections_beyond_100_are_not_evaluated():
    gts = [gt(1, 1, [0, 0, 10, 10])]
    dts = [dt(1, 1, [100 + 3 * i, 100, 2, 2], 0.9) for i in range(100)]
    dts.append(dt(1, 1, [0, 0, 10, 10], 0.1))  # the 101st: cut before matching
    dts.append(dt(1, 2, [0, 0, 10, 10], 0.1))  # another category is its own group
    r = assert_same_as_coco([1], [1, 2], gts, dts)
    assert r.stats[AR100] == 0
    report = r.at_threshold(0.0)
    assert report.images[1].not_evaluated.tolist() == [100]
    assert report.overall.fp == 101  # 100 in category 1, 1 in category 2


def test_crowd_absorbs_several_detections_which_are_not_false_positives():
    gts = [gt(1, 1, [0, 0, 100, 100], crowd=1), gt(1, 1, [200, 200, 50, 50])]
    dts = [dt(1, 1, [5, 5, 20, 20], 0.95), dt(1, 1, [50, 50, 30, 30], 0.9),
           dt(1, 1, [10, 60, 25, 25], 0.85), dt(1, 1, [200, 200, 50, 50], 0.5)]
    r = assert_same_as_coco([1], [1], gts, dts)
    assert r.stats[AP] == pytest.approx(1.0)
    outcome = r.at_threshold(0.0).images[1]
    assert sorted(outcome.ignored.tolist()) == [0, 1, 2]
    assert outcome.fp.size == 0 and outcome.tp.tolist() == [[3, 1]]
    # The same regions without the crowd flag: three false positives ahead of the hit.
    plain = [gt(1, 1, [0, 0, 100, 100]), gt(1, 1, [200, 200, 50, 50])]
    r2 = assert_same_as_coco([1], [1], plain, dts)
    assert r2.stats[AP] < 0.5


def test_ignored_non_crowd_gt_absorbs_only_one_detection():
    # For "small", the ground truth of area 2000 is ignored but not a crowd.
    gts = [gt(1, 1, [0, 0, 40, 40], area=2000), gt(1, 1, [200, 200, 10, 10])]
    dts = [dt(1, 1, [0, 0, 30, 30], 0.9), dt(1, 1, [10, 10, 30, 30], 0.8),
           dt(1, 1, [200, 200, 10, 10], 0.7)]
    r = assert_same_as_coco([1], [1], gts, dts)
    # IoU 0.5: the first detection is absorbed (ignored), the second is a false positive.
    assert np.allclose(r.precision[0, :, 0, SMALL, -1], 0.5)
    # As a crowd, the region absorbs both.
    gts[0]["iscrowd"] = 1
    r2 = assert_same_as_coco([1], [1], gts, dts)
    assert np.allclose(r2.precision[0, :, 0, SMALL, -1], 1.0)


def test_ignore_flag_is_an_ignore_region_absorbing_one_detection():
    arrays = GroundTruthArrays(image_id=[1, 1], category_id=[1, 1],
                               bbox=[[0, 0, 40, 40], [200, 200, 10, 10]],
                               ignore=[True, False])
    dets = DetectionArrays(image_id=[1, 1, 1], category_id=[1, 1, 1], score=[0.9, 0.8, 0.7],
                           bbox=[[0, 0, 40, 40], [0, 0, 40, 40], [200, 200, 10, 10]])
    r = evaluate_detections(arrays, dets)
    # First absorbed, second a false positive, third a hit: precision 1/2 at recall 1.
    assert np.allclose(r.precision[0, :, 0, 0, -1], 0.5)
    assert r.per_class()[0].num_gt == 1


@pytest.mark.parametrize("fp_first", [True, False])
def test_score_ties_keep_input_order_within_an_image(fp_first):
    gts = [gt(1, 1, [0, 0, 10, 10])]
    hit, miss = dt(1, 1, [0, 0, 10, 10], 0.5), dt(1, 1, FAR, 0.5)
    dts = [miss, hit] if fp_first else [hit, miss]
    r = assert_same_as_coco([1], [1], gts, dts)
    assert r.stats[AP50] == pytest.approx(0.5 if fp_first else 1.0)


@pytest.mark.parametrize("fp_image", [1, 2])
def test_score_ties_across_images_follow_image_order(fp_image):
    tp_image = 3 - fp_image
    gts = [gt(tp_image, 1, [0, 0, 10, 10])]
    dts = [dt(tp_image, 1, [0, 0, 10, 10], 0.5), dt(fp_image, 1, FAR, 0.5)]
    r = assert_same_as_coco([1, 2], [1], gts, dts)
    assert r.stats[AP50] == pytest.approx(0.5 if fp_image == 1 else 1.0)


def test_equal_scores_compete_for_one_gt_in_input_order():
    gts = [gt(1, 1, [0, 0, 10, 10])]
    dts = [dt(1, 1, [1, 0, 10, 10], 0.5), dt(1, 1, [0, 0, 10, 10], 0.5)]
    r = assert_same_as_coco([1], [1], gts, dts)
    assert r.at_threshold(0.0).images[1].tp.tolist() == [[0, 0]]  # the first listed wins


def test_iou_ties_go_to_the_last_gt():
    twins = [gt(1, 1, [0, 0, 10, 10]), gt(1, 1, [0, 0, 10, 10])]
    dts = [dt(1, 1, [0, 0, 10, 10], 0.9), dt(1, 1, [0, 0, 10, 10], 0.8)]
    r = assert_same_as_coco([1], [1], twins, dts)
    assert sorted(r.at_threshold(0.0).images[1].tp.tolist()) == [[0, 1], [1, 0]]


def test_higher_iou_wins_over_order_and_regular_gt_over_ignored():
    gts = [gt(1, 1, [0, 0, 10, 10]), gt(1, 1, [1, 0, 10, 10]), gt(1, 1, [0, 0, 10, 10], crowd=1)]
    dts = [dt(1, 1, [0, 0, 10, 10], 0.9)]
    r = assert_same_as_coco([1], [1], gts, dts)
    # IoU 1 with gt 0 and with the crowd, 9/11 with gt 1: the regular perfect one wins.
    assert r.at_threshold(0.0).images[1].tp.tolist() == [[0, 0]]


def test_absent_category_gives_minus_one():
    gts = [gt(1, 1, [0, 0, 10, 10]), gt(1, 3, [0, 0, 50, 50], crowd=1)]
    dts = [dt(1, 1, [0, 0, 10, 10], 0.9), dt(1, 2, [0, 0, 10, 10], 0.8),
           dt(1, 3, [0, 0, 10, 10], 0.7)]
    r = assert_same_as_coco([1], [1, 2, 3], gts, dts)
    assert np.all(r.precision[:, :, 1] == -1) and np.all(r.recall[:, 1] == -1)
    assert np.all(r.precision[:, :, 2] == -1)  # only a crowd: nothing to find
    assert [c.ap for c in r.per_class()][1:] == [-1.0, -1.0]
    assert r.stats[AP] == pytest.approx(1.0)  # the mean leaves absent categories out


def test_empty_images_change_nothing_and_detection_only_images_add_false_positives():
    gts = [gt(1, 1, [0, 0, 10, 10])]
    dts = [dt(1, 1, [0, 0, 10, 10], 0.5)]
    base = assert_same_as_coco([1], [1], gts, dts)
    with_empty = assert_same_as_coco([1, 2, 3], [1], gts, dts)
    assert with_empty.stats == base.stats
    only_dets = assert_same_as_coco([1, 2], [1], gts, dts + [dt(2, 1, [0, 0, 10, 10], 0.9)])
    assert only_dets.stats[AP] == pytest.approx(0.5)
    assert only_dets.at_threshold(0.0).images[2].fp.tolist() == [1]


def test_no_detections_and_no_ground_truths():
    gts = [gt(1, 1, [0, 0, 10, 10])]
    r = assert_same_as_coco([1], [1], gts, [])
    assert r.stats[AP] == 0 and r.stats[AR100] == 0
    r2 = labelhub_eval([1], [1], [], [dt(1, 1, [0, 0, 10, 10], 0.5)], "bbox")
    assert all(s == -1 for s in r2.stats)
    r3 = evaluate_detections(GroundTruthArrays([], [], bbox=np.zeros((0, 4))),
                             DetectionArrays([], [], [], bbox=np.zeros((0, 4))))
    assert all(s == -1 for s in r3.stats) and r3.precision.shape[2] == 0


def test_images_and_categories_outside_the_lists_are_left_out():
    gts = [gt(1, 1, [0, 0, 10, 10]), gt(5, 1, [0, 0, 10, 10])]
    dts = [dt(1, 1, [0, 0, 10, 10], 0.5), dt(5, 1, FAR, 0.9), dt(1, 9, FAR, 0.9)]
    gt_arr, dt_arr = to_arrays(gts, dts, "bbox")
    r = evaluate_detections(gt_arr, dt_arr, image_ids=[1], category_ids=[1])
    assert r.stats[AP] == pytest.approx(1.0)
    default = evaluate_detections(gt_arr, dt_arr)
    assert default.image_ids.tolist() == [1, 5] and default.category_ids.tolist() == [1, 9]


def test_keypoint_rules_num_keypoints_zero_and_max_dets_20():
    kp = np.zeros((17, 3))
    kp[:, 0], kp[:, 1], kp[:, 2] = np.arange(17) * 3, np.arange(17) * 2, 2
    unlabelled = np.zeros((17, 3))
    gts = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 50, 40], "iscrowd": 0,
            "area": 2000.0, "keypoints": kp},
           {"image_id": 1, "category_id": 1, "bbox": [100, 100, 50, 40], "iscrowd": 0,
            "area": 2000.0, "keypoints": unlabelled}]
    far = kp.copy()
    far[:, :2] += 500
    dts = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.9 - 0.01 * i,
            "keypoints": far} for i in range(20)]
    dts.append({"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.1,
                "keypoints": kp})  # the 21st: cut
    r = assert_same_as_coco([1], [1], gts, dts, "keypoints", shape=(700, 700))
    assert r.stats[5] == 0  # AR: the hit was cut
    r2 = assert_same_as_coco([1], [1], gts, dts[-1:], "keypoints", shape=(700, 700))
    assert r2.stats[0] == pytest.approx(1.0)
    assert r2.per_class()[0].num_gt == 1  # the unlabelled ground truth is ignored


def test_progress_and_cancel():
    gts = [gt(1, 1, [0, 0, 10, 10])]
    dts = [dt(1, 1, [0, 0, 10, 10], 0.5)]
    gt_arr, dt_arr = to_arrays(gts, dts, "bbox")
    calls = []
    evaluate_detections(gt_arr, dt_arr, progress=lambda d, t, m: calls.append((d, t, m)))
    assert [c[0] for c in calls] == [0, 1, 2, 3, 4] and all(c[1] == 4 for c in calls)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        evaluate_detections(gt_arr, dt_arr, cancel=cancel)


def test_bad_inputs_are_refused():
    with pytest.raises(InvalidInput):
        evaluate_detections(GroundTruthArrays([1], [1]), DetectionArrays([1], [1], [0.5]))
    with pytest.raises(InvalidInput):
        DetectionArrays([1], [1], [float("nan")], bbox=[[0, 0, 1, 1]])
    with pytest.raises(InvalidInput):
        GroundTruthArrays([1, 2], [1], bbox=[[0, 0, 1, 1]])
    with pytest.raises(InvalidInput):
        evaluate_detections([], [], "polygons")
    with pytest.raises(InvalidInput):
        evaluate_detections(GroundTruthArrays(["a"], [1], bbox=[[0, 0, 1, 1]]),
                            DetectionArrays([1], [1], [0.5], bbox=[[0, 0, 1, 1]]))
    masks = GroundTruthArrays([1], [1], segmentation=[np.array([2, 2])])
    with pytest.raises(InvalidInput):
        evaluate_detections(masks, DetectionArrays([1], [1], [0.5],
                                                   segmentation=[np.array([1, 2, 2])]), "segm")
    with pytest.raises(InvalidInput):
        evaluate_detections(masks, DetectionArrays([1], [1], [0.5], bbox=[[0, 0, 1, 1]]),
                            params=EvaluationParams.for_iou_type("bbox"), iou_type="segm")
    with pytest.raises(InvalidInput):
        evaluate_detections([GroundTruth(1, 1, bbox=[0, 0, 1, 1]),
                             GroundTruth(1, 1, bbox=None)], [])


def test_custom_parameters():
    gts = [gt(1, 1, [0, 0, 10, 10])]
    dts = [dt(1, 1, [0, 0, 10, 8], 0.5)]  # IoU 0.8
    gt_arr, dt_arr = to_arrays(gts, dts, "bbox")
    params = EvaluationParams(iou_thresholds=np.array([0.5, 0.9]),
                              recall_thresholds=np.linspace(0, 1, 11),
                              area_ranges={"all": (0, 1e10)}, max_dets=(100, 1, 10))
    r = evaluate_detections(gt_arr, dt_arr, params=params)
    assert r.precision.shape == (2, 11, 1, 1, 3)
    assert r.params.max_dets == (1, 10, 100)
    assert np.allclose(r.precision[0], 1) and np.all(r.precision[1] == 0)
    assert r.stats[AP] == pytest.approx(0.5)


def test_id_kinds_must_agree():
    gts = GroundTruthArrays(["a"], [1], bbox=[[0, 0, 1, 1]])
    dets = DetectionArrays(["a"], [1], [0.5], bbox=[[0, 0, 1, 1]])
    assert evaluate_detections(gts, dets, image_ids=["a", "b"]).stats[0] == pytest.approx(1)
    with pytest.raises(InvalidInput):
        evaluate_detections(gts, dets, image_ids=[1, 2])
