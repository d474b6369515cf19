"""Box, mask and keypoint overlaps against pycocotools (the oracle), bit for bit."""

import contextlib
import io

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from labelhub.errors import InvalidInput
from labelhub.metrics.iou import (
    COCO_KEYPOINT_SIGMAS,
    RlePack,
    box_iou,
    box_iou_pairs,
    oks,
    oks_pairs,
    rle_area,
    rle_decode,
    rle_encode,
    rle_iou,
    rle_iou_pairs,
    rle_pack_iou_pairs,
    rle_to_bbox,
)

SEEDS = range(6)
# pycocotools.mask.decode warns under numpy 2; that is the oracle's business.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def coco_box_iou(d, g, crowd):
    if len(d) == 0 or len(g) == 0:
        return np.zeros((len(d), len(g)))
    return np.asarray(mask_utils.iou(np.asarray(d, float), np.asarray(g, float),
                                     np.asarray(crowd, np.uint8)))


def random_boxes(rng, n):
    xy = rng.uniform(0, 60, (n, 2))
    wh = rng.uniform(0, 40, (n, 2))
    boxes = np.concatenate((xy, wh), axis=1)
    whole = rng.random(n) < 0.4
    boxes[whole] = np.round(boxes[whole])
    return boxes


def random_mask(rng, h, w):
    kind = rng.integers(4)
    m = np.zeros((h, w), np.uint8)
    if kind == 0:
        return m  # empty
    if kind == 1:
        return (rng.random((h, w)) < 0.5).astype(np.uint8)  # many runs
    for _ in range(rng.integers(1, 4)):
        y, x = rng.integers(0, h), rng.integers(0, w)
        m[y:y + rng.integers(1, h), x:x + rng.integers(1, w)] = 1
    if kind == 3:
        m[:] = 1 - m  # touches the first and last pixel
    return m


def encode(m):
    return mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))


# -------------------------------------------------------------------------------------- boxes

@pytest.mark.parametrize("seed", SEEDS)
def test_box_iou_equals_pycocotools(seed):
    rng = np.random.default_rng(seed)
    d, g = random_boxes(rng, 9), random_boxes(rng, 7)
    g[0] = d[0]  # identical boxes
    g[1] = [d[1, 0] + d[1, 2], d[1, 1], 5, 5]  # touching edge: no overlap
    d[2, 2] = 0  # zero width
    crowd = rng.random(7) < 0.4
    expected = coco_box_iou(d, g, crowd)
    got = box_iou(d, g, crowd)
    assert got.shape == (9, 7) and got.dtype == np.float64
    assert np.array_equal(got, expected)
    assert got[0, 0] == pytest.approx(1.0) or crowd[0]
    assert np.all(got[:, 1][[1]] == 0)


def test_box_iou_crowd_divides_by_the_detection_area():
    det = [[0, 0, 10, 10]]
    crowd_region = [[0, 0, 100, 100]]
    assert box_iou(det, crowd_region, [True])[0, 0] == 1.0
    assert box_iou(det, crowd_region, [False])[0, 0] == pytest.approx(0.01)


def test_box_iou_empty_and_pairs():
    assert box_iou(np.zeros((0, 4)), [[0, 0, 1, 1]]).shape == (0, 1)
    assert box_iou([[0, 0, 1, 1]], []).shape == (1, 0)
    rng = np.random.default_rng(9)
    d, g = random_boxes(rng, 5), random_boxes(rng, 5)
    crowd = np.array([0, 1, 0, 1, 0], bool)
    full = box_iou(d, g, crowd)
    assert np.array_equal(box_iou_pairs(d, g, crowd), np.diag(full))
    with pytest.raises(InvalidInput):
        box_iou([[0, 0, 1]], [[0, 0, 1, 1]])
    with pytest.raises(InvalidInput):
        box_iou([[0, 0, 1, 1]], [[0, 0, 1, 1]], iscrowd=[1, 0])


# -------------------------------------------------------------------------------------- masks

@pytest.mark.parametrize("seed", SEEDS)
def test_rle_encode_decode_area_bbox(seed):
    rng = np.random.default_rng(seed)
    h, w = rng.integers(1, 25, 2)
    for _ in range(10):
        m = random_mask(rng, h, w)
        counts = rle_encode(m)
        ref = encode(m)
        assert counts.dtype == np.int64 and counts.sum() == h * w
        # the same runs pycocotools would store, once decompressed
        assert np.array_equal(mask_utils.decode(mask_utils.frPyObjects(
            {"counts": counts.tolist(), "size": [int(h), int(w)]}, int(h), int(w))), m)
        assert np.array_equal(rle_decode(counts, h, w), m.astype(bool))
        assert rle_area(counts) == mask_utils.area(ref)
        if m.any():
            assert np.array_equal(rle_to_bbox(counts, h), mask_utils.toBbox(ref))
        else:
            assert np.array_equal(rle_to_bbox(counts, h), np.zeros(4))


@pytest.mark.parametrize("seed", SEEDS)
def test_rle_iou_equals_pycocotools(seed):
    rng = np.random.default_rng(100 + seed)
    h, w = rng.integers(1, 30, 2)
    dm = [random_mask(rng, h, w) for _ in range(8)]
    gm = [random_mask(rng, h, w) for _ in range(6)]
    gm[0] = dm[0].copy()
    crowd = rng.random(6) < 0.4
    expected = np.asarray(mask_utils.iou([encode(m) for m in dm], [encode(m) for m in gm],
                                         crowd.astype(np.uint8)))
    got = rle_iou([rle_encode(m) for m in dm], [rle_encode(m) for m in gm], crowd)
    assert np.array_equal(got, expected)
    pairs_d = np.array([0, 3, 7, 7])
    pairs_g = np.array([0, 5, 1, 1])
    assert np.array_equal(
        rle_iou_pairs([rle_encode(m) for m in dm], [rle_encode(m) for m in gm], pairs_d,
                      pairs_g, crowd),
        expected[pairs_d, pairs_g])


def test_rle_iou_works_on_runs_of_large_masks():
    # 20000 x 20000 pixels would take 400 MB decoded; the runs take a few numbers.
    n = 20000
    a = np.array([5 * n, 10 * n, n * n - 15 * n])  # columns 5..14 full
    b = np.array([10 * n, 10 * n, n * n - 20 * n])  # columns 10..19 full
    assert rle_iou([a], [b])[0, 0] == pytest.approx(5 / 15)
    assert rle_iou([a], [b], [True])[0, 0] == pytest.approx(0.5)
    pack = RlePack([a, b])
    assert pack.area.tolist() == [10 * n, 10 * n]
    assert rle_pack_iou_pairs(pack, pack, np.array([0]), np.array([1]),
                              np.array([False]))[0] == pytest.approx(1 / 3)


def test_rle_rejects_bad_input():
    with pytest.raises(InvalidInput):
        rle_iou([np.array([2, 2])], [np.array([3, 2])])  # 4 pixels against 5
    with pytest.raises(InvalidInput):
        rle_area(np.array([1, -2]))
    with pytest.raises(InvalidInput):
        rle_decode(np.array([1, 2]), 2, 2)
    assert rle_iou([], [np.array([4])]).shape == (0, 1)
    assert rle_iou([np.array([0, 4])], [np.array([4])])[0, 0] == 0.0  # empty gt


# ----------------------------------------------------------------------------------- keypoints

def coco_oks(dk, gk, areas, boxes, sigmas):
    """COCOeval.computeOks on one image with one category (detections in score order)."""
    ds = {
        "images": [{"id": 1, "width": 100, "height": 100}],
        "categories": [{"id": 1}],
        "annotations": [
            {"id": j + 1, "image_id": 1, "category_id": 1, "bbox": boxes[j].tolist(),
             "area": float(areas[j]), "iscrowd": 0, "keypoints": gk[j].ravel().tolist(),
             "num_keypoints": int((gk[j, :, 2] > 0).sum())}
            for j in range(len(gk))
        ],
    }
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = ds
        gt.createIndex()
        dt = gt.loadRes([{"image_id": 1, "category_id": 1, "keypoints": k.ravel().tolist(),
                          "score": float(len(dk) - i)} for i, k in enumerate(dk)])
        ev = COCOeval(gt, dt, "keypoints")
        ev.params.kpt_oks_sigmas = sigmas
        ev.evaluate()
    return ev.ious[1, 1]


@pytest.mark.parametrize("seed", SEEDS)
def test_oks_equals_pycocotools(seed):
    rng = np.random.default_rng(200 + seed)
    k = 17 if seed % 2 == 0 else 5
    sigmas = COCO_KEYPOINT_SIGMAS if k == 17 else rng.uniform(0.02, 0.1, k)
    m, n = 6, 7
    gk = np.zeros((m, k, 3))
    gk[..., :2] = rng.uniform(0, 100, (m, k, 2))
    gk[..., 2] = rng.integers(0, 3, (m, k))
    gk[0, :, 2] = 0  # nothing labelled: the box fallback
    gk[1, :, 2] = 2  # everything labelled
    boxes = np.concatenate((rng.uniform(0, 50, (m, 2)), rng.uniform(1, 50, (m, 2))), axis=1)
    areas = rng.uniform(10, 3000, m)
    dk = np.zeros((n, k, 3))
    dk[..., :2] = rng.uniform(-20, 120, (n, k, 2))
    dk[..., 2] = 1
    dk[0] = gk[1]
    got = oks(dk, gk, areas, sigmas, boxes)
    assert np.array_equal(got, coco_oks(dk, gk, areas, boxes, sigmas))
    assert got[0, 1] == 1.0
    assert np.array_equal(oks_pairs(dk[:6], gk, areas, sigmas, boxes),
                          np.diag(got[:6]))


def test_oks_fallback_uses_the_grown_box():
    sig = np.full(2, 0.1)
    gt = np.zeros((1, 2, 3))  # no labelled keypoints
    box = np.array([[10.0, 10.0, 10.0, 10.0]])  # grown box: 0..30 in x and y
    inside = np.array([[[5.0, 5.0, 1], [25.0, 29.0, 1]]])
    assert oks(inside, gt, [100.0], sig, box)[0, 0] == 1.0
    outside = np.array([[[40.0, 15.0, 1], [15.0, 15.0, 1]]])
    assert 0 < oks(outside, gt, [100.0], sig, box)[0, 0] < 1


def test_oks_rejects_bad_shapes():
    with pytest.raises(InvalidInput):
        oks(np.zeros((1, 3, 3)), np.zeros((1, 4, 3)), [1.0], np.ones(4), [[0, 0, 1, 1]])
    with pytest.raises(InvalidInput):
        oks(np.zeros((1, 4, 3)), np.zeros((1, 4, 3)), [1.0, 2.0], np.ones(4), [[0, 0, 1, 1]])
    assert oks(np.zeros((0, 4, 3)), np.zeros((2, 4, 3)), [1.0, 1.0], np.ones(4),
               np.zeros((2, 4))).shape == (0, 2)
