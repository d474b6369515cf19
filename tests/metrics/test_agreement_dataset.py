"""Dataset roll-ups against a plain loop over items, clusters and consensus."""

import threading

import numpy as np
import pytest

from labelhub.errors import Cancelled, InvalidInput
from labelhub.metrics import agreement_match
from labelhub.metrics.agreement import (
    Shapes,
    ShapeTable,
    agreement_report,
    cluster_shapes,
    consensus,
    match_item,
)
from labelhub.metrics.iou import rle_encode


def boxes(labels, xywh):
    return Shapes(np.array(labels, dtype=np.int64), boxes=np.array(xywh, dtype=float).reshape(-1, 4))


def random_dataset(rng, n_items, k, p_submit=0.8):
    """items[i][a]: annotator a's boxes on item i (None when not submitted)."""
    items = []
    for _ in range(n_items):
        n = rng.integers(0, 8)
        wh = rng.uniform(10, 60, (n, 2))
        truth = np.c_[rng.uniform(0, 200, (n, 2)), wh]
        cls = rng.integers(0, 4, n)
        row = []
        for _ in range(k):
            if rng.random() > p_submit:
                row.append(None)
                continue
            keep = rng.random(n) > 0.15
            box = truth[keep] + rng.normal(0, 0.08, (keep.sum(), 4)) * np.c_[wh, wh][keep]
            label = np.where(rng.random(keep.sum()) < 0.1, rng.integers(0, 4, keep.sum()), cls[keep])
            extra = rng.integers(0, 2)
            box = np.r_[box, np.c_[rng.uniform(0, 200, (extra, 2)), rng.uniform(10, 60, (extra, 2))]]
            label = np.r_[label, rng.integers(0, 4, extra)]
            row.append(boxes(label, box))
        items.append(row)
    return items


def loop_report(items, k, thr, gt=None):
    """What agreement_report must give, computed item by item with match_item."""
    sums, counts = np.zeros((k, k)), np.zeros((k, k))
    matched = np.zeros((k, k), int)
    disagree = np.zeros((k, k), int)
    missed = np.zeros((k, k), int)
    cls_n, cls_m = {}, {}
    item_f1 = []
    for row in items:
        f1s = []
        for i in range(k):
            for j in range(i + 1, k):
                a, b = row[i], row[j]
                if a is None or b is None:
                    continue
                m = match_item(a, b, thr)
                f1s.append(m.f1)
                for x, y, mx in ((i, j, m.missed_a.size), (j, i, m.missed_b.size)):
                    sums[x, y] += m.f1
                    counts[x, y] += 1
                    matched[x, y] += m.same_class.sum()
                    disagree[x, y] += (~m.same_class).sum()
                    missed[x, y] += mx
                for lab in np.r_[a.labels, b.labels]:
                    cls_n[lab] = cls_n.get(lab, 0) + 1
                for lab in a.labels[m.a[m.same_class]]:
                    cls_m[lab] = cls_m.get(lab, 0) + 2
        item_f1.append(np.mean(f1s) if f1s else np.nan)
    gt_f1 = np.full(k, np.nan)
    if gt is not None:
        for i in range(k):
            vals = [match_item(row[i], g, thr).f1 for row, g in zip(items, gt, strict=True)
                    if row[i] is not None and g is not None]
            gt_f1[i] = np.mean(vals) if vals else np.nan
    return dict(sums=sums, counts=counts, matched=matched, disagree=disagree, missed=missed,
                cls_n=cls_n, cls_m=cls_m, item_f1=np.array(item_f1), gt_f1=gt_f1)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("chunk", [None, 40])
def test_report_matches_item_loop(seed, chunk, monkeypatch):
    if chunk:
        monkeypatch.setattr(agreement_match, "_EDGE_CHUNK", chunk)
    rng = np.random.default_rng(seed)
    k = 3 + seed % 2
    items = random_dataset(rng, 120, k)
    gt = [boxes(r[0].labels, r[0].boxes) if r[0] is not None and rng.random() < 0.7 else None
          for r in random_dataset(rng, 120, 1, p_submit=1.0)]
    thr = [0.5, 0.3, 0.7, 0.5][seed]
    table = ShapeTable.from_items(items)
    gt_table = ShapeTable.from_items([[g] for g in gt])
    rep = agreement_report(table, iou_threshold=thr, ground_truth=gt_table)
    want = loop_report(items, k, thr, gt)
    with np.errstate(invalid="ignore"):
        pair_f1 = want["sums"] / want["counts"]
    np.fill_diagonal(pair_f1, np.nan)
    np.testing.assert_allclose(rep.pair_f1, pair_f1, atol=1e-12)
    np.testing.assert_array_equal(rep.pair_items, want["counts"])
    np.testing.assert_array_equal(rep.pair_matched, want["matched"])
    np.testing.assert_array_equal(rep.pair_disagreements, want["disagree"])
    np.testing.assert_array_equal(rep.pair_missed, want["missed"])
    np.testing.assert_allclose(rep.annotator_f1,
                               want["sums"].sum(1) / want["counts"].sum(1), atol=1e-12)
    assert rep.f1 == pytest.approx(want["sums"].sum() / want["counts"].sum(), abs=1e-12)
    np.testing.assert_allclose(rep.item_f1, want["item_f1"], atol=1e-12)
    np.testing.assert_allclose(rep.annotator_gt_f1, want["gt_f1"], atol=1e-12)
    for c, f, n in zip(rep.classes, rep.class_f1, rep.class_shapes, strict=True):
        assert n == want["cls_n"].get(c, 0)
        assert f == pytest.approx(want["cls_m"].get(c, 0) / n, abs=1e-12)
    d = rep.to_dict()
    assert d["pair_f1"][0][0] is None and isinstance(d["f1"], float)


def _every_pair(a, b, sb, nb):
    """Candidates without the x windows: every shape of b on the item."""
    return sb[a.item], nb[a.item], np.arange(b.item.size)


@pytest.mark.parametrize("seed", range(3))
def test_x_windows_keep_every_overlapping_pair(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    items = random_dataset(rng, 150, 3, p_submit=1.0)
    # What the windows must get right: boxes touching at an edge, empty and inverted boxes,
    # coordinates far from the others (where the keys round), tiny boxes.
    edge = np.array([[0, 0, 10, 10], [10, 0, 10, 10], [5, 5, 0, 4], [20, 0, -3, 5],
                     [1e9, 1e9, 1e-3, 1e-3], [1e9 + 5e-4, 1e9, 1e-3, 1e-3], [3e-9, 0, 2e-9, 1e-9]])
    items.append([boxes([0] * 7, edge), boxes([0] * 7, edge[::-1] + 1e-4), boxes([0] * 7, edge * 1.5)])
    items.append([boxes([1, 2], [[0, 0, 5, 5], [4, 0, 5, 5]]), boxes([2, 1], [[5, 0, 5, 5], [0, 0, 5, 5]]),
                  boxes([], [])])
    if seed == 2:  # a box without finite coordinates: no windows for its comparisons
        items.append([boxes([0], [[np.nan, 0, 5, 5]]), boxes([0], [[0, 0, 5, 5]]), boxes([0], [[0, 0, 5, 5]])])
    for row in items[::7]:
        for s in row:
            if s is not None:
                s.boxes[:] *= 1e6  # far from the origin: coarser keys
    table = ShapeTable.from_items(items)
    windows = agreement_report(table, iou_threshold=0.3)
    monkeypatch.setattr(agreement_match, "_candidates", _every_pair)
    every = agreement_report(table, iou_threshold=0.3)
    for name in ("pair_f1", "pair_matched", "pair_disagreements", "pair_missed", "class_f1", "item_f1"):
        np.testing.assert_array_equal(getattr(windows, name), getattr(every, name))
    for w, e in zip(windows.comparisons, every.comparisons, strict=True):
        got = sorted(zip(w.match_a.tolist(), w.match_b.tolist(), w.match_iou.tolist(), strict=True))
        assert got == sorted(zip(e.match_a.tolist(), e.match_b.tolist(), e.match_iou.tolist(), strict=True))


def test_row_order_and_submitted_none():
    rng = np.random.default_rng(11)
    items = random_dataset(rng, 60, 3, p_submit=1.0)
    table = ShapeTable.from_items(items)
    perm = rng.permutation(len(table.shapes))
    shuffled = ShapeTable(table.shapes.take(perm), table.item[perm], table.annotator[perm],
                          table.n_items, 3)
    a, b = agreement_report(table), agreement_report(shuffled)
    np.testing.assert_array_equal(a.pair_f1, b.pair_f1)
    np.testing.assert_array_equal(a.class_f1, b.class_f1)
    # Matches refer to rows of the table each report was given.
    c = b.comparisons[0]
    assert (shuffled.annotator[c.match_a] == 0).all() and (shuffled.annotator[c.match_b] == 1).all()
    assert (shuffled.item[c.match_a] == shuffled.item[c.match_b]).all()


def test_hand_made_dataset():
    sq = [[0, 0, 10, 10]]
    items = [
        [boxes([1], sq), boxes([1], sq)],          # agree: F1 1
        [boxes([1], sq), boxes([2], sq)],          # class disagreement: F1 0
        [boxes([], []), boxes([], [])],            # both empty: F1 1
        [boxes([1], sq), None],                    # not compared
    ]
    rep = agreement_report(ShapeTable.from_items(items))
    assert rep.pair_items[0, 1] == 3
    assert rep.pair_f1[0, 1] == pytest.approx(2 / 3)
    assert rep.pair_disagreements[0, 1] == 1 and rep.pair_missed[0, 1] == 0
    assert rep.classes.tolist() == [1, 2]
    assert rep.class_f1.tolist() == pytest.approx([2 / 3, 0.0])
    assert np.isnan(rep.item_f1[3]) and rep.item_f1[:3].tolist() == [1.0, 0.0, 1.0]


def test_progress_and_cancel():
    rng = np.random.default_rng(0)
    table = ShapeTable.from_items(random_dataset(rng, 30, 3))
    seen = []
    agreement_report(table, progress=lambda d, t, msg: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1] and all(d <= t for d, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        agreement_report(table, cancel=stop)


def test_table_validation():
    s = boxes([0, 1], [[0, 0, 1, 1], [0, 0, 1, 1]])
    with pytest.raises(InvalidInput):
        ShapeTable(s, [0, 5], [0, 0], 2, 1)
    with pytest.raises(InvalidInput):
        ShapeTable(s, [0, 1], [0, 0], 2, 1, submitted=np.ones((3, 1), bool))
    with pytest.raises(InvalidInput):
        ShapeTable(s, [0], [0, 0], 2, 1)
    with pytest.raises(InvalidInput):
        agreement_report(ShapeTable(s, [0, 1], [0, 0], 2, 1),
                         ground_truth=ShapeTable(s, [0, 1], [0, 0], 3, 1))


def test_clusters_one_shape_per_annotator():
    # Pairwise matches, strongest first: b0-c0, a0-c1, a1-c0, a0-b0. The last one would put
    # a0 and a1 (and c0 and c1) in one cluster, so it is refused.
    a = boxes([1, 1], [[0, 0, 100, 10], [20, 0, 100, 10]])
    b = boxes([1], [[9, 0, 100, 10]])
    c = boxes([1, 1], [[12, 0, 100, 10], [-5, 0, 100, 10]])
    assert pairs_of(match_item(a, b)) == [(0, 0)]
    assert pairs_of(match_item(b, c)) == [(0, 0)]
    assert pairs_of(match_item(a, c)) == [(0, 1), (1, 0)]
    clusters = cluster_shapes([a, b, c])
    got = [(cl.annotators.tolist(), cl.indices.tolist()) for cl in clusters]
    assert got == [([0, 2], [0, 1]), ([0, 1, 2], [1, 0, 0])]
    for cl in clusters:
        assert len(set(cl.annotators.tolist())) == cl.size


def pairs_of(m):
    return sorted(zip(m.a.tolist(), m.b.tolist(), strict=True))


@pytest.mark.parametrize("seed", range(3))
def test_clusters_random(seed):
    rng = np.random.default_rng(seed)
    for row in random_dataset(rng, 30, 4, p_submit=1.0):
        clusters = cluster_shapes(row)
        seen = sorted((int(a), int(i)) for cl in clusters
                      for a, i in zip(cl.annotators, cl.indices, strict=True))
        assert seen == sorted((a, i) for a, s in enumerate(row) for i in range(len(s)))
        for cl in clusters:
            assert len(set(cl.annotators.tolist())) == cl.size
            for a, i, lab in zip(cl.annotators, cl.indices, cl.shapes.labels, strict=True):
                assert row[a].labels[i] == lab


def test_consensus_vote_shape_and_quorum():
    a = boxes([3], [[0, 0, 10, 10]])
    b = boxes([2], [[1, 0, 10, 10]])
    c = boxes([3], [[0.5, 0, 10, 10]])
    (cl,) = cluster_shapes([a, b, c])
    res = consensus(cl, quorum=2)
    assert res.label == 3 and res.votes == 2 and res.support == 3
    # The mean box is x = 0.5: annotator 2's box is the closest.
    assert res.source == (2, 0) and res.shape.boxes.tolist() == [[0.5, 0, 10, 10]]
    mean = consensus(cl, quorum=3, method="mean")
    assert mean.source is None and mean.shape.labels.tolist() == [3]
    np.testing.assert_allclose(mean.shape.boxes, [[0.5, 0, 10, 10]])
    assert consensus(cl, quorum=4) is None
    with pytest.raises(InvalidInput):
        consensus(cl, method="median")


def test_consensus_tie_goes_to_lowest_class():
    a = boxes([7], [[0, 0, 10, 10]])
    b = boxes([4], [[0, 0, 10, 10]])
    (cl,) = cluster_shapes([a, b])
    assert consensus(cl).label == 4


def test_consensus_masks_and_keypoints():
    m = np.zeros((20, 20), bool)
    m[2:12, 2:12] = True
    m2 = np.zeros((20, 20), bool)
    m2[3:12, 2:12] = True
    m3 = np.zeros((20, 20), bool)
    m3[2:12, 2:13] = True
    sets = [Shapes(np.array([1]), masks=[rle_encode(x)]) for x in (m2, m, m3)]
    (cl,) = cluster_shapes(sets)
    res = consensus(cl)
    assert res.source == (1, 0)  # the middle one overlaps the others most
    with pytest.raises(InvalidInput):
        consensus(cl, method="mean")
    kp = np.zeros((1, 17, 3))
    kp[0, :, 0] = np.arange(17) * 3
    kp[0, :, 2] = 2
    shifted = kp.copy()
    shifted[0, :, 0] += 2
    shifted[0, 0, 2] = 0  # not labelled by this annotator
    box = np.array([[0, 0, 60, 20]], float)
    sets = [Shapes(np.array([0]), boxes=box, keypoints=k, areas=[1200.0]) for k in (kp, shifted)]
    (cl,) = cluster_shapes(sets)
    mean = consensus(cl, method="mean")
    assert mean.shape.keypoints[0, 0, 0] == 0.0  # only the annotator who labelled it
    assert mean.shape.keypoints[0, 1, 0] == 4.0
    assert consensus(cl).source in {(0, 0), (1, 0)}
