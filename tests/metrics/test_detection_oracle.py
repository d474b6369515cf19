"""Detection evaluation against pycocotools' COCOeval (the oracle) on random data sets.

The helpers here (``coco_eval``, ``labelhub_eval``, ``assert_same_as_coco``) are also used by
the hand-built cases in test_detection_rules.py. Annotations are plain dicts:

    ground truth: image_id, category_id, bbox, iscrowd, and optionally area, mask (H x W array),
                  keypoints (K x 3), num_keypoints
    detection:    image_id, category_id, bbox, score, and optionally mask, keypoints
"""

import contextlib
import io

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from labelhub.metrics.detection import (
    Detection,
    DetectionArrays,
    GroundTruth,
    GroundTruthArrays,
    evaluate_detections,
)
from labelhub.metrics.iou import COCO_KEYPOINT_SIGMAS, rle_encode

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SEEDS = [0, 1, 2, 3, 4]
TOL = 1e-9


# ------------------------------------------------------------------------------------ helpers

def _encode(mask):
    return mask_utils.encode(np.asfortranarray(np.asarray(mask, dtype=np.uint8)))


def _gt_area(g):
    if g.get("area") is not None:
        return float(g["area"])
    if g.get("mask") is not None:
        return float(np.count_nonzero(g["mask"]))
    return float(g["bbox"][2] * g["bbox"][3])


def coco_eval(image_ids, category_ids, gts, dts, iou_type, sigmas=None, shape=(120, 160)):
    """pycocotools' COCOeval run in memory; returns the evaluator after summarize()."""
    ann = []
    for j, g in enumerate(gts):
        a = {"id": j + 1, "image_id": g["image_id"], "category_id": g["category_id"],
             "bbox": list(map(float, g["bbox"])), "area": _gt_area(g),
             "iscrowd": int(g.get("iscrowd", 0))}
        if iou_type == "segm":
            a["segmentation"] = _encode(g["mask"])
        if iou_type == "keypoints":
            k = np.asarray(g["keypoints"], dtype=float)
            a["keypoints"] = k.ravel().tolist()
            a["num_keypoints"] = int(g.get("num_keypoints", np.count_nonzero(k[:, 2] > 0)))
        ann.append(a)
    res = []
    for d in dts:
        r = {"image_id": d["image_id"], "category_id": d["category_id"],
             "score": float(d["score"])}
        if iou_type == "bbox":
            r["bbox"] = list(map(float, d["bbox"]))
        elif iou_type == "segm":
            r["segmentation"] = _encode(d["mask"])
        else:
            r["keypoints"] = np.asarray(d["keypoints"], dtype=float).ravel().tolist()
        res.append(r)
    h, w = shape
    dataset = {"images": [{"id": i, "height": h, "width": w} for i in image_ids],
               "categories": [{"id": c} for c in category_ids], "annotations": ann}
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = dataset
        gt.createIndex()
        dt = gt.loadRes(res) if res else COCO()
        if not res:
            dt.dataset = {"images": dataset["images"], "categories": dataset["categories"],
                          "annotations": []}
            dt.createIndex()
        ev = COCOeval(gt, dt, iou_type)
        if sigmas is not None:
            ev.params.kpt_oks_sigmas = np.asarray(sigmas)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


def to_arrays(gts, dts, iou_type):
    kp = iou_type == "keypoints"
    gt = GroundTruthArrays(
        image_id=np.array([g["image_id"] for g in gts], dtype=np.int64),
        category_id=np.array([g["category_id"] for g in gts], dtype=np.int64),
        bbox=np.array([g["bbox"] for g in gts], dtype=float).reshape(-1, 4),
        area=np.array([_gt_area(g) for g in gts]),
        iscrowd=np.array([bool(g.get("iscrowd", 0)) for g in gts], dtype=bool),
        segmentation=[rle_encode(g["mask"]) for g in gts] if iou_type == "segm" else None,
        keypoints=np.array([g["keypoints"] for g in gts], dtype=float) if kp and gts else None,
        num_keypoints=(np.array([g.get("num_keypoints", np.count_nonzero(
            np.asarray(g["keypoints"])[:, 2] > 0)) for g in gts]) if kp and gts else None),
    )
    dt = DetectionArrays(
        image_id=np.array([d["image_id"] for d in dts], dtype=np.int64),
        category_id=np.array([d["category_id"] for d in dts], dtype=np.int64),
        score=np.array([d["score"] for d in dts], dtype=float),
        bbox=np.array([d["bbox"] for d in dts], dtype=float).reshape(-1, 4),
        segmentation=[rle_encode(d["mask"]) for d in dts] if iou_type == "segm" else None,
        keypoints=np.array([d["keypoints"] for d in dts], dtype=float) if kp and dts else None,
    )
    return gt, dt


def labelhub_eval(image_ids, category_ids, gts, dts, iou_type, sigmas=None):
    gt, dt = to_arrays(gts, dts, iou_type)
    return evaluate_detections(gt, dt, iou_type, image_ids=image_ids,
                               category_ids=category_ids, sigmas=sigmas)


def assert_same_as_coco(image_ids, category_ids, gts, dts, iou_type="bbox", sigmas=None,
                        shape=(120, 160)):
    """Our stats, precision, recall and scores equal pycocotools' to 1e-9; returns ours."""
    ev = coco_eval(image_ids, category_ids, gts, dts, iou_type, sigmas, shape)
    ours = labelhub_eval(image_ids, category_ids, gts, dts, iou_type, sigmas)
    assert len(ours.stats) == len(ev.stats)
    np.testing.assert_allclose(ours.stats, ev.stats, rtol=0, atol=TOL)
    for name in ("precision", "recall", "scores"):
        theirs = ev.eval[name]
        mine = getattr(ours, name)
        assert mine.shape == theirs.shape, name
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=TOL, err_msg=name)
    return ours


# -------------------------------------------------------------------------------- generation

def _mask_for(rng, box, shape):
    h, w = shape
    m = np.zeros((h, w), dtype=bool)
    x0, y0 = int(np.floor(box[0])), int(np.floor(box[1]))
    x1 = max(x0 + 1, int(np.ceil(box[0] + box[2])))
    y1 = max(y0 + 1, int(np.ceil(box[1] + box[3])))
    if rng.random() < 0.5:
        m[y0:y1, x0:x1] = True
    else:
        yy, xx = np.mgrid[0:h, 0:w]
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        rx, ry = max((x1 - x0) / 2, 0.6), max((y1 - y0) / 2, 0.6)
        m = ((xx + 0.5 - cx) / rx) ** 2 + ((yy + 0.5 - cy) / ry) ** 2 <= 1
    if rng.random() < 0.2:
        m[y0:y1:3, :] = False  # holes: many runs
    return m


def generate(seed, iou_type, n_images=24, n_cat=5, shape=(120, 160), k=17):
    """A data set with every situation COCOeval distinguishes; see the module docstring."""
    rng = np.random.default_rng(seed)
    h, w = shape
    image_ids = sorted(rng.choice(np.arange(1, 1000), n_images, replace=False).tolist())
    real_cats = list(range(1, n_cat))  # category n_cat never has a ground truth: absent
    gts, dts = [], []

    def rand_box(small=False):
        side = np.exp(rng.uniform(np.log(3), np.log(25 if small else 110)))
        bw = min(side * np.exp(rng.normal(0, 0.3)), w - 2)
        bh = min(side * np.exp(rng.normal(0, 0.3)), h - 2)
        box = [rng.uniform(0, w - bw), rng.uniform(0, h - bh), bw, bh]
        return [float(round(v)) if rng.random() < 0.3 else float(v) for v in box]

    def keypoints_in(box, labelled=True):
        kp = np.zeros((k, 3))
        kp[:, 0] = box[0] + rng.uniform(0, 1, k) * box[2]
        kp[:, 1] = box[1] + rng.uniform(0, 1, k) * box[3]
        kp[:, 2] = rng.integers(0, 3, k) if labelled else 0
        return kp

    for n, image_id in enumerate(image_ids):
        role = n % 6  # 0: empty image, 1: detections only, else: both
        objects = []
        if role >= 2:
            for _ in range(rng.integers(1, 9)):
                box = rand_box(small=rng.random() < 0.3)
                g = {"image_id": image_id, "category_id": int(rng.choice(real_cats)),
                     "bbox": box, "iscrowd": int(rng.random() < 0.12)}
                r = rng.random()
                if r < 0.1:
                    g["area"] = 32.0**2  # exactly on the small/medium boundary
                elif r < 0.2:
                    g["area"] = 96.0**2  # exactly on the medium/large boundary
                elif iou_type == "bbox" and r < 0.6:
                    g["area"] = box[2] * box[3] * rng.uniform(0.5, 1.0)
                if iou_type == "segm":
                    g["mask"] = _mask_for(rng, box, shape)
                if iou_type == "keypoints":
                    g["keypoints"] = keypoints_in(box, labelled=rng.random() > 0.15)
                    g.setdefault("area", box[2] * box[3] * rng.uniform(0.5, 1.0))
                gts.append(g)
                objects.append(g)
                if rng.random() < 0.1:  # an identical twin: ties in IoU
                    gts.append({kk: (vv.copy() if isinstance(vv, np.ndarray) else vv)
                                for kk, vv in g.items()})
        if role == 0:
            continue
        n_dt = rng.integers(1, 14)
        if n == 8:  # one crowded image-category: the max_dets cut
            n_dt = 130 if iou_type != "segm" else 110
        for _ in range(n_dt):
            if objects and (n == 8 or rng.random() < 0.7):
                src = objects[rng.integers(len(objects))]
                jitter = rng.normal(0, 0.1, 4) * np.array(src["bbox"])[[2, 3, 2, 3]]
                if rng.random() < 0.2:
                    jitter[:] = 0  # an exact copy
                box = list(np.array(src["bbox"]) + jitter)
                box[2], box[3] = max(box[2], 1.0), max(box[3], 1.0)
                cat = src["category_id"] if rng.random() < 0.85 else int(rng.integers(1, n_cat + 1))
                if n == 8:
                    cat = objects[0]["category_id"]
            else:
                box = rand_box()
                cat = int(rng.integers(1, n_cat + 1))
            if rng.random() < 0.05:
                box[2] = box[3] = 32.0  # area exactly 32**2
            score = rng.random()
            if rng.random() < 0.4:
                score = round(score, 1)  # ties in score
            d = {"image_id": image_id, "category_id": cat,
                 "bbox": [float(v) for v in box], "score": float(score)}
            if iou_type == "segm":
                d["mask"] = _mask_for(rng, box, shape)
            if iou_type == "keypoints":
                if objects and rng.random() < 0.7:
                    src = objects[rng.integers(len(objects))]
                    kp = src["keypoints"].copy()
                    kp[:, :2] += rng.normal(0, 2.0, (k, 2))
                    kp[:, 2] = 1
                else:
                    kp = keypoints_in(box)
                    kp[:, 2] = 1
                d["keypoints"] = kp
            dts.append(d)
    order = rng.permutation(len(dts))  # detections arrive in no particular order
    dts = [dts[i] for i in order]
    return image_ids, list(range(1, n_cat + 1)), gts, dts


# -------------------------------------------------------------------------------------- tests

@pytest.mark.parametrize("seed", SEEDS)
def test_bbox_equals_pycocotools(seed):
    images, cats, gts, dts = generate(seed, "bbox")
    assert any(g["iscrowd"] for g in gts)
    groups = {}
    for d in dts:
        key = (d["image_id"], d["category_id"])
        groups[key] = groups.get(key, 0) + 1
    assert max(groups.values()) > 100  # the max_dets cut happens
    assert {g["image_id"] for g in gts} < {d["image_id"] for d in dts} < set(images)
    ours = assert_same_as_coco(images, cats, gts, dts, "bbox")
    assert len(ours.stats) == 12
    assert np.all(ours.precision[:, :, cats.index(5)] == -1)  # absent category


@pytest.mark.parametrize("seed", SEEDS)
def test_segm_equals_pycocotools(seed):
    images, cats, gts, dts = generate(seed, "segm")
    assert_same_as_coco(images, cats, gts, dts, "segm")


@pytest.mark.parametrize("seed", SEEDS)
def test_keypoints_equal_pycocotools(seed):
    images, cats, gts, dts = generate(seed, "keypoints")
    assert any(np.all(g["keypoints"][:, 2] == 0) for g in gts)
    ours = assert_same_as_coco(images, cats, gts, dts, "keypoints")
    assert len(ours.stats) == 10


def test_keypoints_with_custom_sigmas_equal_pycocotools():
    images, cats, gts, dts = generate(11, "keypoints", k=5)
    sigmas = np.array([0.03, 0.05, 0.07, 0.09, 0.11])
    assert_same_as_coco(images, cats, gts, dts, "keypoints", sigmas=sigmas)
    assert not np.array_equal(sigmas, COCO_KEYPOINT_SIGMAS[:5])


def test_bigger_bbox_set_equals_pycocotools():
    images, cats, gts, dts = generate(42, "bbox", n_images=150, n_cat=9)
    assert_same_as_coco(images, cats, gts, dts, "bbox")


def test_records_give_the_same_result_as_arrays():
    images, cats, gts, dts = generate(5, "keypoints")
    by_arrays = labelhub_eval(images, cats, gts, dts, "keypoints")
    records_gt = [GroundTruth(image_id=g["image_id"], category_id=g["category_id"],
                              bbox=g["bbox"], area=_gt_area(g), iscrowd=bool(g["iscrowd"]),
                              keypoints=g["keypoints"]) for g in gts]
    records_dt = [Detection(image_id=d["image_id"], category_id=d["category_id"],
                            score=d["score"], bbox=d["bbox"], keypoints=d["keypoints"])
                  for d in dts]
    by_records = evaluate_detections(records_gt, records_dt, "keypoints", image_ids=images,
                                     category_ids=cats)
    assert by_records.stats == by_arrays.stats
    assert np.array_equal(by_records.precision, by_arrays.precision)


def test_string_image_ids_give_the_same_numbers():
    images, cats, gts, dts = generate(3, "bbox")
    ours = labelhub_eval(images, cats, gts, dts, "bbox")
    # Zero-padded names sort like the numbers, so even score ties break the same way.
    name = {i: f"img{i:05d}" for i in images}
    gt, dt = to_arrays(gts, dts, "bbox")
    gt.image_id = np.array([name[i] for i in gt.image_id.tolist()])
    dt.image_id = np.array([name[i] for i in dt.image_id.tolist()])
    named = evaluate_detections(gt, dt, "bbox", image_ids=[name[i] for i in images],
                                category_ids=cats)
    assert named.stats == ours.stats
    assert list(named.image_ids) == sorted(name.values())


def test_segm_in_small_chunks_equals_pycocotools(monkeypatch):
    from labelhub.metrics import detection_match
    from labelhub.metrics.detection_types import MaskStats

    monkeypatch.setattr(detection_match, "_MASK_PAIR_CHUNK", 7)
    images, cats, gts, dts = generate(8, "segm")
    assert_same_as_coco(images, cats, gts, dts, "segm")
    masks = [rle_encode(g["mask"]) for g in gts]
    whole, chunked = MaskStats.of(masks), MaskStats.of(masks, chunk=3)
    for name in ("area", "total", "lo", "hi"):
        assert np.array_equal(getattr(whole, name), getattr(chunked, name))
    assert whole.area.tolist() == [int(g["mask"].sum()) for g in gts]
