"""Shape matching between annotators, on hand-computed cases and against dense oracles."""

import numpy as np
import pytest
from pycocotools import mask as coco_mask
from scipy.optimize import linear_sum_assignment as scipy_lsa

from labelhub.errors import InvalidInput
from labelhub.metrics.agreement import Shapes, match_item
from labelhub.metrics.iou import box_iou, rle_encode


def boxes(labels, xywh):
    return Shapes(np.array(labels, dtype=np.int64), boxes=np.array(xywh, dtype=float).reshape(-1, 4))


def pairs(m):
    return sorted(zip(m.a.tolist(), m.b.tolist(), strict=True))


def test_identical_sets_match_fully():
    a = boxes([1, 2, 3], [[0, 0, 10, 10], [20, 0, 10, 10], [40, 0, 10, 10]])
    m = match_item(a, a)
    assert pairs(m) == [(0, 0), (1, 1), (2, 2)]
    assert m.iou.tolist() == [1.0, 1.0, 1.0]
    assert m.same_class.all() and m.f1 == 1.0
    assert m.missed_a.size == m.missed_b.size == 0


def test_iou_exactly_at_threshold_matches():
    a = boxes([0], [[0, 0, 10, 10]])
    b = boxes([0], [[0, 0, 10, 20]])  # IoU = 100 / 200 = 0.5 exactly
    assert box_iou(a.boxes, b.boxes)[0, 0] == 0.5
    m = match_item(a, b, iou_threshold=0.5)
    assert pairs(m) == [(0, 0)] and m.iou[0] == 0.5 and m.f1 == 1.0
    m = match_item(a, b, iou_threshold=np.nextafter(0.5, 1))
    assert pairs(m) == [] and m.f1 == 0.0
    assert m.missed_a.tolist() == [0] and m.missed_b.tolist() == [0]


def test_touching_boxes_never_match_even_at_threshold_zero():
    a = boxes([0], [[0, 0, 10, 10]])
    b = boxes([0], [[10, 0, 10, 10]])
    assert match_item(a, b, iou_threshold=0.0).a.size == 0


def test_empty_sides():
    empty = boxes([], [])
    two = boxes([1, 1], [[0, 0, 5, 5], [10, 10, 5, 5]])
    m = match_item(empty, empty)
    assert m.f1 == 1.0 and m.n_a == m.n_b == 0
    m = match_item(empty, two)
    assert m.f1 == 0.0 and m.missed_b.tolist() == [0, 1] and m.missed_a.size == 0
    m = match_item(two, empty)
    assert m.f1 == 0.0 and m.missed_a.tolist() == [0, 1]


def test_ties_give_one_match_each():
    # b0 and b1 overlap a0 equally (IoU 0.6 each, mirror images); only one can match.
    a = boxes([0], [[10, 0, 10, 10]])
    b = boxes([0, 0], [[10 - 2.5, 0, 10, 10], [10 + 2.5, 0, 10, 10]])
    iou = box_iou(a.boxes, b.boxes)
    assert iou[0, 0] == iou[0, 1] == 0.6
    m = match_item(a, b)
    assert m.a.tolist() == [0] and m.b.size == 1
    assert m.f1 == pytest.approx(2 / 3)
    assert m.missed_b.size == 1
    # Deterministic.
    assert pairs(match_item(a, b)) == pairs(m)


def test_most_matches_beat_greedy_highest_iou():
    # a0-b0 overlap best, but taking that pair would leave a1 and b1 single: the assignment
    # takes a0-b1 and a1-b0 instead (two matches).
    a = boxes([0, 0], [[0, 0, 10, 10], [3, 0, 10, 10]])
    b = boxes([0, 0], [[1.5, 0, 10, 10], [-3, 0, 10, 10]])
    iou = box_iou(a.boxes, b.boxes)
    assert iou[0, 0] > 0.5 and iou[0, 1] > 0.5 and iou[1, 0] > 0.5 and iou[1, 1] < 0.5
    m = match_item(a, b)
    assert pairs(m) == [(0, 1), (1, 0)] and m.f1 == 1.0


def test_among_full_matchings_the_highest_total_iou_wins():
    a = boxes([0, 0], [[0, 0, 10, 10], [1, 0, 10, 10]])
    b = boxes([0, 0], [[0.2, 0, 10, 10], [1.5, 0, 10, 10]])
    m = match_item(a, b)
    assert pairs(m) == [(0, 0), (1, 1)]


def test_class_disagreement_is_matched_in_second_pass():
    a = boxes([1, 5], [[0, 0, 10, 10], [50, 50, 10, 10]])
    b = boxes([2, 5], [[0, 0, 10, 10], [51, 50, 10, 10]])
    m = match_item(a, b)
    assert pairs(m) == [(0, 0), (1, 1)]
    assert m.same_class[np.argsort(m.a)].tolist() == [False, True]
    assert m.class_disagreements.tolist() == [[0, 0]]
    assert m.f1 == pytest.approx(2 * 1 / 4)


def test_same_class_pass_comes_first():
    # a0 (class 1) overlaps b0 (class 2) best, but b1 (class 1) enough: a0 goes to b1 and
    # b0 stays unmatched (it has nobody left for a class disagreement).
    a = boxes([1], [[0, 0, 10, 10]])
    b = boxes([2, 1], [[0, 0, 10, 10], [2, 0, 10, 10]])
    m = match_item(a, b)
    assert pairs(m) == [(0, 1)] and m.same_class.tolist() == [True]
    assert m.missed_b.tolist() == [0] and m.class_disagreements.shape == (0, 2)


def dense_oracle(a, b, allowed, thr):
    """Most matches then most IoU among allowed pairs, solved densely with scipy."""
    iou = box_iou(a.boxes, b.boxes)
    ok = allowed & (iou >= thr) & (iou > 0)
    big = 1000.0
    cost = np.where(ok, 1.0 - iou, big)
    r, c = scipy_lsa(cost)
    keep = ok[r, c]
    return int(keep.sum()), float(iou[r[keep], c[keep]].sum())


@pytest.mark.parametrize("seed", range(6))
def test_crowded_scenes_match_dense_oracle(seed):
    rng = np.random.default_rng(seed)
    for _ in range(25):
        n, m = rng.integers(0, 25, 2)
        # Crowded: many boxes of similar size packed in a small area, few classes.
        a = boxes(rng.integers(0, 3, n), np.c_[rng.uniform(0, 40, (n, 2)), rng.uniform(15, 25, (n, 2))])
        b = boxes(rng.integers(0, 3, m), np.c_[rng.uniform(0, 40, (m, 2)), rng.uniform(15, 25, (m, 2))])
        thr = [0.3, 0.5][seed % 2]
        res = match_item(a, b, iou_threshold=thr)
        same = a.labels[:, None] == b.labels[None, :]
        count, total = dense_oracle(a, b, same, thr)
        s = res.same_class
        assert int(s.sum()) == count
        assert res.iou[s].sum() == pytest.approx(total, abs=1e-9)
        # Second pass: on what the first pass left, pairs of different classes.
        left = np.ones((n, m), dtype=bool)
        left[res.a[s], :] = False
        left[:, res.b[s]] = False
        count2, total2 = dense_oracle(a, b, left & ~same, thr)
        assert int((~s).sum()) == count2
        assert res.iou[~s].sum() == pytest.approx(total2, abs=1e-9)
        # Bookkeeping.
        assert len(set(res.a.tolist())) == res.a.size and len(set(res.b.tolist())) == res.b.size
        assert res.a.size + res.missed_a.size == n and res.b.size + res.missed_b.size == m
        iou = box_iou(a.boxes, b.boxes)
        np.testing.assert_array_equal(res.iou, iou[res.a, res.b])
        assert (res.iou >= thr).all()
        assert res.f1 == (1.0 if n + m == 0 else 2 * s.sum() / (n + m))


def disc(h, w, cy, cx, r):
    yy, xx = np.mgrid[:h, :w]
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


def test_masks_match_by_mask_iou():
    h, w = 40, 60
    ma = [disc(h, w, 10, 10, 6), disc(h, w, 25, 40, 8), disc(h, w, 30, 10, 5)]
    mb = [disc(h, w, 26, 41, 8), disc(h, w, 11, 11, 6)]
    a = Shapes(np.array([0, 1, 0]), masks=[rle_encode(m) for m in ma])
    b = Shapes(np.array([1, 0]), masks=[rle_encode(m) for m in mb])
    res = match_item(a, b)
    assert pairs(res) == [(0, 1), (1, 0)]
    coco = coco_mask.iou(coco_mask.encode(np.asfortranarray(np.stack(ma, -1).astype(np.uint8))),
                         coco_mask.encode(np.asfortranarray(np.stack(mb, -1).astype(np.uint8))),
                         [0, 0])
    np.testing.assert_allclose(res.iou, coco[res.a, res.b], rtol=0, atol=1e-12)
    assert res.missed_a.tolist() == [2] and res.f1 == pytest.approx(2 * 2 / 5)


def test_keypoints_match_by_oks():
    rng = np.random.default_rng(3)
    kp = np.c_[rng.uniform(0, 100, (2, 17, 2)).reshape(-1, 2), np.full(34, 2.0)].reshape(2, 17, 3)
    kp[1, :, :2] += 300
    areas = np.array([5000.0, 5000.0])
    bx = np.array([[0, 0, 100, 100], [300, 300, 100, 100]], dtype=float)
    a = Shapes(np.array([0, 0]), boxes=bx, keypoints=kp, areas=areas)
    near = kp.copy()
    near[:, :, :2] += 1.0
    b = Shapes(np.array([0, 0]), boxes=bx[::-1], keypoints=near[::-1], areas=areas[::-1])
    res = match_item(a, b)
    assert pairs(res) == [(0, 1), (1, 0)]
    assert (res.iou > 0.9).all() and (res.iou < 1).all()
    with pytest.raises(InvalidInput):
        Shapes(np.array([0]), boxes=bx[:1], keypoints=np.zeros((1, 5, 3)), areas=[1.0])


def test_kinds_cannot_be_mixed():
    a = boxes([0], [[0, 0, 10, 10]])
    b = Shapes(np.array([0]), masks=[rle_encode(np.ones((4, 4), bool))])
    with pytest.raises(InvalidInput):
        match_item(a, b)
    with pytest.raises(InvalidInput):
        Shapes(np.array([0, 1]), boxes=np.zeros((3, 4)))
    with pytest.raises(InvalidInput):
        Shapes(np.array([0]))
