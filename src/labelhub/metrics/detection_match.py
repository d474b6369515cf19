"""Grouping, overlaps and greedy matching for COCO-style detection evaluation (numpy only).

Everything is worked on flat arrays: objects are grouped by (category, image) with one stable
sort, every detection is paired with the ground truths of its group, the pair overlaps are
computed in one vectorised call, and the greedy matching runs in rounds: round r matches the
r-th best detection of every group at once, for every IoU threshold and area range.

Matching rule (pycocotools' ``evaluateImg``): detections in descending score order (ties keep
their input order); each takes, among the ground truths still free at IoU >= threshold, a
non-ignored one if there is any, the one with the highest IoU, and among equal IoUs the one
listed last. Crowd ground truths are never used up, so one crowd region absorbs any number of
detections; other ignored ground truths (outside the area range, ``ignore``) absorb one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from labelhub.errors import Cancelled, InvalidInput
from labelhub.metrics.detection_types import DetectionArrays, EvaluationParams, GroundTruthArrays
from labelhub.metrics.iou import RlePack, box_iou_pairs, oks_pairs, rle_pack_iou_pairs

_PAIR_CHUNK = 200_000
_MASK_PAIR_CHUNK = 20_000


def expand_segments(first: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For segments given by (first, count): each element's segment number and index."""
    count = np.asarray(count, dtype=np.int64)
    seg = np.repeat(np.arange(count.size), count)
    if seg.size == 0:
        return seg, seg.copy()
    offsets = np.cumsum(count) - count
    idx = np.arange(seg.size) - offsets[seg] + np.asarray(first, dtype=np.int64)[seg]
    return seg, idx


def rank_in_runs(keys: np.ndarray) -> np.ndarray:
    """Position of each element within its run of equal keys (keys sorted)."""
    if keys.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.arange(keys.size) - np.searchsorted(keys, keys, side="left")


def _index_of(values: np.ndarray, universe: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of each value in the sorted universe, and whether it is there at all."""
    if universe.size == 0 or values.size == 0:
        return np.zeros(values.size, np.int64), np.zeros(values.size, bool)
    if (universe.dtype.kind in "US") != (values.dtype.kind in "US"):
        raise InvalidInput("ids must all be numbers or all be strings")
    idx = np.searchsorted(universe, values)
    inside = idx < universe.size
    idx = np.where(inside, idx, 0)
    return idx, inside & (universe[idx] == values)


def _id_universe(given: object, a: np.ndarray, b: np.ndarray, what: str) -> np.ndarray:
    if given is not None:
        arr = np.asarray(list(given) if not isinstance(given, np.ndarray) else given)
        return np.unique(arr.reshape(-1))
    if a.size and b.size and (a.dtype.kind in "US") != (b.dtype.kind in "US"):
        raise InvalidInput(f"ground truths and detections use different kinds of {what} ids")
    return np.unique(np.concatenate((a, b)) if b.size else a)


@dataclass
class Prepared:
    """The evaluated objects, sorted and indexed (indices into the sorted universes).

    Ground truths are in (category, image) order, input order within a group; detections in
    (category, image) order, best score first (ties in input order) and cut to max_dets[-1].
    ``*_src`` give each row's position in the caller's arrays.
    """

    image_ids: np.ndarray
    category_ids: np.ndarray
    gt_src: np.ndarray
    gt_img: np.ndarray
    gt_cat: np.ndarray
    gt_area: np.ndarray
    gt_crowd: np.ndarray
    gt_ignore: np.ndarray
    gt_pos: np.ndarray
    dt_src: np.ndarray
    dt_img: np.ndarray
    dt_cat: np.ndarray
    dt_score: np.ndarray
    dt_area: np.ndarray
    dt_rank: np.ndarray
    dt_cut_src: np.ndarray


def _gt_area(gt: GroundTruthArrays) -> np.ndarray:
    if gt.area is not None:
        return gt.area
    if gt.segmentation is not None:
        return gt.mask_stats.area.astype(np.float64)
    if gt.bbox is not None:
        return gt.bbox[:, 2] * gt.bbox[:, 3]
    if len(gt) == 0:
        return np.zeros(0)
    raise InvalidInput("ground truths need an area, a mask or a box")


def _dt_area(dt: DetectionArrays, iou_type: str) -> np.ndarray:
    if dt.area is not None:
        return dt.area
    if len(dt) == 0:
        return np.zeros(0)
    if iou_type == "segm" and dt.segmentation is not None:
        return dt.mask_stats.area.astype(np.float64)
    if iou_type == "keypoints" and dt.keypoints is not None:
        xs, ys = dt.keypoints[:, :, 0], dt.keypoints[:, :, 1]
        return (xs.max(axis=1) - xs.min(axis=1)) * (ys.max(axis=1) - ys.min(axis=1))
    if dt.bbox is not None:
        return dt.bbox[:, 2] * dt.bbox[:, 3]
    raise InvalidInput("detections need an area, a box, a mask or keypoints")


def check_inputs(gt: GroundTruthArrays, dt: DetectionArrays, params: EvaluationParams) -> None:
    """The geometry the IoU type needs is present and consistent."""
    kind = params.iou_type
    if kind == "bbox" and (gt.bbox is None and len(gt) or dt.bbox is None and len(dt)):
        raise InvalidInput("box evaluation needs a box for every ground truth and detection")
    if kind == "segm" and (gt.segmentation is None and len(gt)
                           or dt.segmentation is None and len(dt)):
        raise InvalidInput("mask evaluation needs a mask for every ground truth and detection")
    if kind == "keypoints":
        k = params.sigmas.size if params.sigmas is not None else 0
        for name, arr, n in (("ground truths", gt.keypoints, len(gt)),
                             ("detections", dt.keypoints, len(dt))):
            if n and arr is None:
                raise InvalidInput(f"keypoint evaluation needs keypoints for all {name}")
            if n and arr is not None and arr.shape[1] != k:
                raise InvalidInput(f"{name} have {arr.shape[1]} keypoints, sigmas give {k}")


def prepare(gt: GroundTruthArrays, dt: DetectionArrays, params: EvaluationParams,
            image_ids: object = None, category_ids: object = None) -> Prepared:
    """Restrict to the evaluated images and categories, group, sort and cut to max_dets."""
    images = _id_universe(image_ids, gt.image_id, dt.image_id, "image")
    cats = _id_universe(category_ids, gt.category_id, dt.category_id, "category").astype(np.int64)
    n_img = max(images.size, 1)

    gi, g_in = _index_of(gt.image_id, images)
    gk, g_in2 = _index_of(gt.category_id, cats)
    g_keep = np.flatnonzero(g_in & g_in2)
    g_group = gk[g_keep] * n_img + gi[g_keep]
    order = np.argsort(g_group, kind="stable")
    gt_src = g_keep[order]
    g_group = g_group[order]
    base_ignore = gt.iscrowd | gt.ignore
    if params.iou_type == "keypoints" and len(gt):
        nkp = gt.num_keypoints
        if nkp is None:
            assert gt.keypoints is not None
            nkp = np.count_nonzero(gt.keypoints[:, :, 2] > 0, axis=1)
        base_ignore = base_ignore | (nkp == 0)

    di, d_in = _index_of(dt.image_id, images)
    dk, d_in2 = _index_of(dt.category_id, cats)
    d_keep = np.flatnonzero(d_in & d_in2)
    d_group = dk[d_keep] * n_img + di[d_keep]
    score = dt.score[d_keep]
    order = np.lexsort((d_keep, -score, d_group))
    d_sorted = d_keep[order]
    d_group = d_group[order]
    rank = rank_in_runs(d_group)
    max_det = params.max_dets[-1]
    kept = rank < max_det

    gt_area = _gt_area(gt)
    dt_area = _dt_area(dt, params.iou_type)
    dt_src = d_sorted[kept]
    return Prepared(
        image_ids=images,
        category_ids=cats,
        gt_src=gt_src,
        gt_img=gi[gt_src],
        gt_cat=gk[gt_src],
        gt_area=gt_area[gt_src],
        gt_crowd=gt.iscrowd[gt_src],
        gt_ignore=base_ignore[gt_src],
        gt_pos=rank_in_runs(g_group),
        dt_src=dt_src,
        dt_img=di[dt_src],
        dt_cat=dk[dt_src],
        dt_score=dt.score[dt_src],
        dt_area=dt_area[dt_src],
        dt_rank=rank[kept],
        dt_cut_src=d_sorted[~kept],
    )


def group_pairs(dt_group: np.ndarray, gt_group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (detection, ground truth) pair sharing a group; gt_group must be sorted."""
    lo = np.searchsorted(gt_group, dt_group, side="left")
    hi = np.searchsorted(gt_group, dt_group, side="right")
    return expand_segments(lo, hi - lo)


def pair_overlaps(kind: str, gt: GroundTruthArrays, dt: DetectionArrays, gt_rows: np.ndarray,
                  dt_rows: np.ndarray, pair_dt: np.ndarray, pair_gt: np.ndarray,
                  pair_crowd: np.ndarray, sigmas: np.ndarray | None,
                  gt_area: np.ndarray) -> np.ndarray:
    """IoU (or OKS) of each pair; pair_dt / pair_gt index dt_rows / gt_rows (input rows)."""
    if pair_dt.size == 0:
        return np.zeros(0, dtype=np.float64)
    if kind == "bbox":
        assert gt.bbox is not None and dt.bbox is not None
        return box_iou_pairs(dt.bbox[dt_rows[pair_dt]], gt.bbox[gt_rows[pair_gt]], pair_crowd)
    if kind == "segm":
        return _mask_overlaps(gt, dt, gt_rows[pair_gt], dt_rows[pair_dt], pair_crowd)
    assert gt.keypoints is not None and dt.keypoints is not None and sigmas is not None
    boxes = gt.bbox if gt.bbox is not None else np.zeros((len(gt), 4))
    if gt.bbox is None and np.any(~(gt.keypoints[gt_rows][:, :, 2] > 0).any(axis=1)):
        raise InvalidInput("ground truths with no labelled keypoints need a box")
    out = np.empty(pair_dt.size, dtype=np.float64)
    for lo in range(0, pair_dt.size, _PAIR_CHUNK):
        d = dt_rows[pair_dt[lo:lo + _PAIR_CHUNK]]
        g = gt_rows[pair_gt[lo:lo + _PAIR_CHUNK]]
        gl = pair_gt[lo:lo + _PAIR_CHUNK]
        out[lo:lo + _PAIR_CHUNK] = oks_pairs(dt.keypoints[d], gt.keypoints[g], gt_area[gl],
                                             sigmas, boxes[g])
    return out


def _mask_overlaps(gt: GroundTruthArrays, dt: DetectionArrays, g_rows: np.ndarray,
                   d_rows: np.ndarray, crowd: np.ndarray) -> np.ndarray:
    """Mask IoU of pairs of input rows, packing only the masks of a chunk of pairs at a time."""
    assert gt.segmentation is not None and dt.segmentation is not None
    gs, ds = gt.mask_stats, dt.mask_stats
    wrong = gs.total[g_rows] != ds.total[d_rows]
    if wrong.any():
        bad = d_rows[np.flatnonzero(wrong)[0]]
        raise InvalidInput(f"a mask of image {dt.image_id[bad]!r} does not have the size of "
                           "the other masks of that image")
    out = np.zeros(d_rows.size, dtype=np.float64)
    # Masks whose foreground spans do not meet on the column-major line cannot overlap.
    meet = (gs.lo[g_rows] < ds.hi[d_rows]) & (ds.lo[d_rows] < gs.hi[g_rows])
    sel = np.flatnonzero(meet)
    for lo in range(0, sel.size, _MASK_PAIR_CHUNK):
        part = sel[lo:lo + _MASK_PAIR_CHUNK]
        ud, inv_d = np.unique(d_rows[part], return_inverse=True)
        ug, inv_g = np.unique(g_rows[part], return_inverse=True)
        dpack = RlePack([dt.segmentation[i] for i in ud.tolist()])
        gpack = RlePack([gt.segmentation[i] for i in ug.tolist()])
        out[part] = rle_pack_iou_pairs(dpack, gpack, inv_d.reshape(-1), inv_g.reshape(-1),
                                       crowd[part])
    return out


def greedy_match(pair_dt: np.ndarray, pair_gt: np.ndarray, pair_iou: np.ndarray,
                 dt_rank: np.ndarray, n_dt: int, gt_pos: np.ndarray, gt_ignored: np.ndarray,
                 gt_crowd: np.ndarray, thresholds: np.ndarray,
                 cancel: threading.Event | None = None) -> np.ndarray:
    """Greedy matching of every group at every threshold and for every ignore pattern.

    ``gt_ignored`` is (A, G): one ignore pattern per area range. ``dt_rank`` is each detection's
    place in its group by score; ``gt_pos`` each ground truth's place in its group (the later
    wins ties in IoU). Returns (A, T, n_dt) indices of the matched ground truth, -1 for none.
    """
    thr = np.minimum(np.asarray(thresholds, dtype=np.float64), 1 - 1e-10)
    n_area, n_thr = gt_ignored.shape[0], thr.size
    n_gt = gt_pos.size
    match = np.full((n_area, n_thr, n_dt), -1, dtype=np.int64)
    usable = pair_iou >= thr.min()
    pd, pg, iou = pair_dt[usable], pair_gt[usable], pair_iou[usable]
    if pd.size == 0:
        return match
    rank = dt_rank[pd]
    crowd = gt_crowd.astype(bool)
    # Candidates of a detection best first: by (round, detection), then IoU descending, then
    # the later ground truth first. Area ranges differ only in which candidates are ignored
    # (those go last), a stable partition inside each detection's run.
    base = np.lexsort((-gt_pos[pg], -iou, rank * np.int64(n_dt) + pd))
    b_dt, b_gt, b_iou, b_rank = pd[base], pg[base], iou[base], rank[base]
    new_det = np.concatenate(([True], b_dt[1:] != b_dt[:-1]))
    det_starts = np.flatnonzero(new_det)
    det_run = np.cumsum(new_det) - 1
    round_starts = np.flatnonzero(np.concatenate(([True], b_rank[1:] != b_rank[:-1])))
    round_stops = np.concatenate((round_starts[1:], [b_rank.size]))
    round_seg = np.searchsorted(det_starts, np.concatenate((round_starts, [b_rank.size])))
    seg_dt = b_dt[det_starts]
    positions = np.arange(pd.size)
    for a in range(n_area):
        order = np.argsort(det_run * 2 + gt_ignored[a][b_gt], kind="stable")
        o_gt = b_gt[order]
        passes = b_iou[order][None, :] >= thr[:, None]
        o_crowd = crowd[o_gt]
        taken = np.zeros((n_thr, n_gt), dtype=bool)
        for r, (lo, hi) in enumerate(zip(round_starts.tolist(), round_stops.tolist(),
                                         strict=True)):
            if cancel is not None and cancel.is_set():
                raise Cancelled("evaluation cancelled")
            r_gt = o_gt[lo:hi]
            seg = det_starts[round_seg[r]:round_seg[r + 1]] - lo
            ok = ~taken[:, r_gt]
            ok |= o_crowd[lo:hi]
            ok &= passes[:, lo:hi]
            pos = np.where(ok, positions[:hi - lo], hi - lo)
            first = np.minimum.reduceat(pos, seg, axis=1)
            t_idx, s_idx = np.nonzero(first < hi - lo)
            chosen = r_gt[first[t_idx, s_idx]]
            taken[t_idx, chosen] = True
            match[a, t_idx, seg_dt[round_seg[r] + s_idx]] = chosen
    return match
