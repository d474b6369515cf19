"""Overlap measures between shapes: boxes, run-length-encoded masks and keypoint sets.

numpy only. Every function gives the same numbers as pycocotools (``pycocotools.mask.iou`` and
``COCOeval.computeOks``), bit for bit for boxes and masks.

Stable API (all arrays are numpy arrays; N detections, M ground truths, P pairs, K keypoints)::

    box_iou(dts, gts, iscrowd=None) -> (N, M) float64
        dts (N, 4), gts (M, 4): boxes as x, y, width, height.
        iscrowd (M,) bool: for a crowd ground truth the denominator is the detection's area
        (the share of the detection covered by the crowd region).
    box_iou_pairs(dts, gts, iscrowd=None) -> (P,) float64
        The same for P given pairs: row p of dts against row p of gts.

    Masks are COCO *uncompressed* RLE: a 1-D array of run lengths over the mask read in
    column-major (Fortran) order, starting with a run of background (possibly 0 long).
    rle_encode(mask (H, W) bool) -> counts (int64)
    rle_decode(counts, height, width) -> (H, W) bool
    rle_area(counts) -> int                          number of foreground pixels
    rle_to_bbox(counts, height) -> (4,) float64       x, y, width, height of the foreground
    rle_iou(dts: Sequence[counts], gts: Sequence[counts], iscrowd=None) -> (N, M) float64
        Worked out on the runs, never on decoded pixels. All masks must cover the same number
        of pixels (one image); otherwise InvalidInput.
    rle_iou_pairs(dts, gts, pairs_dt (P,), pairs_gt (P,), iscrowd=None) -> (P,) float64
        iscrowd here is per ground truth (len(gts),).
    RlePack(counts_list)                             a set of masks packed as foreground runs,
        reusable across calls: .size, .area (n,) int64 foreground pixels, .total (n,) int64
        pixels covered by each mask's runs (height * width)
    rle_pack_iou_pairs(dts: RlePack, gts: RlePack, pairs_dt, pairs_gt, crowd (P,) bool) -> (P,)

    COCO_KEYPOINT_SIGMAS (17,) float64               the COCO person keypoint sigmas
    oks(dt_kpts (N, K, 3), gt_kpts (M, K, 3), gt_areas (M,), sigmas (K,), gt_boxes (M, 4))
        -> (N, M) float64 object keypoint similarity, COCO's definition: over the ground
        truth's labelled keypoints (visibility > 0); when it has none, the distance of each
        detected keypoint to the ground-truth box grown by its size on every side.
    oks_pairs(dt_kpts (P, K, 3), gt_kpts (P, K, 3), gt_areas (P,), sigmas (K,),
              gt_boxes (P, 4)) -> (P,) float64

Empty inputs give arrays of shape (N, 0), (0, M) or (0,).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from labelhub.errors import InvalidInput

__all__ = [
    "COCO_KEYPOINT_SIGMAS",
    "RlePack",
    "box_iou",
    "box_iou_pairs",
    "oks",
    "oks_pairs",
    "rle_area",
    "rle_decode",
    "rle_encode",
    "rle_iou",
    "rle_iou_pairs",
    "rle_pack_iou_pairs",
    "rle_to_bbox",
]

COCO_KEYPOINT_SIGMAS: np.ndarray = (
    np.array(
        [0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62, 1.07, 1.07, 0.87,
         0.87, 0.89, 0.89]
    )
    / 10.0
)
COCO_KEYPOINT_SIGMAS.setflags(write=False)


def _boxes(values: object, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        return arr.reshape(0, 4)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise InvalidInput(f"{name} must be an (n, 4) array of x, y, width, height boxes, "
                           f"got shape {arr.shape}")
    return arr


def _crowd(iscrowd: object, n: int) -> np.ndarray:
    if iscrowd is None:
        return np.zeros(n, dtype=bool)
    arr = np.asarray(iscrowd).astype(bool).reshape(-1)
    if arr.shape[0] != n:
        raise InvalidInput(f"iscrowd has {arr.shape[0]} entries for {n} ground truths")
    return arr


# ---------------------------------------------------------------------------------------- boxes

def box_iou_pairs(dts: object, gts: object, iscrowd: object = None) -> np.ndarray:
    """IoU of ``dts[p]`` with ``gts[p]`` for every row p (xywh boxes); see the module docstring."""
    d = _boxes(dts, "dts")
    g = _boxes(gts, "gts")
    if d.shape[0] != g.shape[0]:
        raise InvalidInput(f"{d.shape[0]} detection boxes for {g.shape[0]} ground-truth boxes")
    crowd = _crowd(iscrowd, g.shape[0])
    dx, dy, dw, dh = d[:, 0], d[:, 1], d[:, 2], d[:, 3]
    gx, gy, gw, gh = g[:, 0], g[:, 1], g[:, 2], g[:, 3]
    # Same operations in the same order as pycocotools' bbIou, so equal to the last bit.
    w = np.minimum(dw + dx, gw + gx) - np.maximum(dx, gx)
    h = np.minimum(dh + dy, gh + gy) - np.maximum(dy, gy)
    inter = w * h
    da = dw * dh
    union = np.where(crowd, da, da + gw * gh - inter)
    ok = (w > 0) & (h > 0)
    out = np.zeros(d.shape[0], dtype=np.float64)
    np.divide(inter, union, out=out, where=ok)
    return out


def box_iou(dts: object, gts: object, iscrowd: object = None) -> np.ndarray:
    """(N, M) IoU between N detection boxes and M ground-truth boxes (xywh)."""
    d = _boxes(dts, "dts")
    g = _boxes(gts, "gts")
    n, m = d.shape[0], g.shape[0]
    crowd = _crowd(iscrowd, m)
    if n == 0 or m == 0:
        return np.zeros((n, m), dtype=np.float64)
    di = np.repeat(np.arange(n), m)
    gi = np.tile(np.arange(m), n)
    return box_iou_pairs(d[di], g[gi], crowd[gi]).reshape(n, m)


# ---------------------------------------------------------------------------------------- masks

def _counts(values: object) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise InvalidInput(f"RLE counts must be a 1-D array of run lengths, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.mod(arr, 1) == 0):
            raise InvalidInput("RLE counts must be whole numbers")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and arr.min() < 0:
        raise InvalidInput("RLE counts must not be negative")
    return arr


def rle_encode(mask: np.ndarray) -> np.ndarray:
    """Uncompressed COCO RLE counts of a 2-D mask (column-major, first run is background)."""
    m = np.asarray(mask)
    if m.ndim != 2:
        raise InvalidInput(f"a mask must be 2-D, got shape {m.shape}")
    flat = m.astype(bool).ravel(order="F")
    if flat.size == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    edges = np.concatenate(([0], change, [flat.size]))
    runs = np.diff(edges)
    if flat[0]:
        runs = np.concatenate(([0], runs))
    return runs.astype(np.int64)


def rle_decode(counts: object, height: int, width: int) -> np.ndarray:
    """The (height, width) boolean mask of uncompressed COCO RLE counts."""
    c = _counts(counts)
    total = int(c.sum())
    if total != height * width:
        raise InvalidInput(f"RLE counts cover {total} pixels, a {height}x{width} mask has "
                           f"{height * width}")
    values = (np.arange(c.size) % 2).astype(bool)
    flat = np.repeat(values, c)
    return flat.reshape((width, height)).T.copy()


def rle_area(counts: object) -> int:
    """Number of foreground pixels: the sum of the odd-indexed runs."""
    c = _counts(counts)
    return int(c[1::2].sum())


def rle_to_bbox(counts: object, height: int) -> np.ndarray:
    """x, y, width, height of the foreground's bounding box; zeros for an empty mask."""
    c = _counts(counts)
    if height <= 0:
        raise InvalidInput("height must be positive")
    ends = np.cumsum(c)
    starts = ends - c
    fg = (np.arange(c.size) % 2 == 1) & (c > 0)
    if not fg.any():
        return np.zeros(4, dtype=np.float64)
    s, e = starts[fg], ends[fg] - 1
    xs, xe = s // height, e // height
    ys, ye = s % height, e % height
    x0, x1 = int(xs.min()), int(xe.max())
    if np.any(xe > xs):
        y0, y1 = 0, height - 1
    else:
        y0, y1 = int(ys.min()), int(ye.max())
    return np.array([x0, y0, x1 - x0 + 1, y1 - y0 + 1], dtype=np.float64)


def _as_counts(values: object) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype == np.int64 and values.ndim == 1:
        return values  # the common case, checked in bulk by RlePack
    return _counts(values)


class RlePack:
    """A set of masks laid end to end on one line, kept as their foreground runs only.

    Mask i occupies ``[base[i], base[i] + total[i])`` of the line; its non-empty foreground
    runs are ``int_start[j], int_end[j]`` (line positions) for j in
    ``int_first[i] : int_first[i] + int_count[i]``. ``area[i]`` is its foreground pixel count.
    Overlaps are then found with one searchsorted over all runs, never decoding a mask.
    """

    def __init__(self, counts_list: Sequence[object]) -> None:
        arrays = [_as_counts(c) for c in counts_list]
        n = len(arrays)
        lens = np.fromiter((a.size for a in arrays), dtype=np.int64, count=n)
        flat = np.concatenate(arrays) if n else np.zeros(0, dtype=np.int64)
        if flat.size and flat.min() < 0:
            raise InvalidInput("RLE counts must not be negative")
        ends = np.cumsum(flat)
        padded = np.concatenate(([0], ends))
        first_run = np.cumsum(lens) - lens
        self.base = padded[first_run]
        self.total = padded[first_run + lens] - self.base
        # A run is foreground when its index within its own mask is odd.
        owner_first = np.repeat(first_run, lens)
        fg = ((np.arange(flat.size) - owner_first) & 1).astype(bool) & (flat > 0)
        runs = np.flatnonzero(fg)
        self.int_end = ends[runs]
        lengths = flat[runs]
        self.int_start = self.int_end - lengths
        self._cum = np.concatenate(([0], np.cumsum(lengths)))
        self._lengths = lengths
        self.int_first = np.searchsorted(self.int_start, self.base, side="left")
        stop = np.searchsorted(self.int_start, self.base + self.total, side="left")
        self.int_count = stop - self.int_first
        self.area = self._cum[stop] - self._cum[self.int_first]
        self.size = n

    def fg_before(self, x: np.ndarray) -> np.ndarray:
        """Foreground pixels of the packed line before line positions x (int64)."""
        j = np.searchsorted(self.int_start, x, side="right") - 1
        jj = np.maximum(j, 0)
        if self._lengths.size == 0:
            return np.zeros(np.shape(x), dtype=np.int64)
        partial = np.minimum(x - self.int_start[jj], self._lengths[jj])
        return np.where(j >= 0, self._cum[jj] + partial, 0)


def _expand(first: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For segments (first, count): the segment number and element index of every element."""
    seg = np.repeat(np.arange(count.size), count)
    offsets = np.cumsum(count) - count
    idx = np.arange(seg.size) - offsets[seg] + first[seg]
    return seg, idx


def _intersections(a: RlePack, b: RlePack, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """Overlapping pixels of masks a[ia[p]] and b[ib[p]]: sum over a's runs of b's coverage."""
    seg, idx = _expand(a.int_first[ia], a.int_count[ia])
    if idx.size == 0:
        return np.zeros(ia.size, dtype=np.int64)
    shift = (b.base[ib] - a.base[ia])[seg]
    covered = b.fg_before(a.int_end[idx] + shift) - b.fg_before(a.int_start[idx] + shift)
    # Float sums of whole numbers are exact below 2**53 pixels.
    return np.rint(np.bincount(seg, weights=covered, minlength=ia.size)).astype(np.int64)


def rle_pack_iou_pairs(dts: RlePack, gts: RlePack, pairs_dt: np.ndarray, pairs_gt: np.ndarray,
                       crowd: np.ndarray) -> np.ndarray:
    """IoU for pairs of packed masks; ``crowd[p]`` marks pairs whose ground truth is a crowd."""
    pd = np.asarray(pairs_dt, dtype=np.int64)
    pg = np.asarray(pairs_gt, dtype=np.int64)
    crowd = np.asarray(crowd, dtype=bool)
    if pd.size == 0:
        return np.zeros(0, dtype=np.float64)
    if np.any(dts.total[pd] != gts.total[pg]):
        raise InvalidInput("masks of different sizes cannot be compared (RLE counts cover a "
                           "different number of pixels)")
    # Walk the side with fewer runs; the overlap is symmetric.
    dt_side = dts.int_count[pd] <= gts.int_count[pg]
    inter = np.empty(pd.size, dtype=np.int64)
    inter[dt_side] = _intersections(dts, gts, pd[dt_side], pg[dt_side])
    inter[~dt_side] = _intersections(gts, dts, pg[~dt_side], pd[~dt_side])
    da = dts.area[pd]
    union = np.where(crowd, da, da + gts.area[pg] - inter)
    out = np.zeros(pd.size, dtype=np.float64)
    np.divide(inter.astype(np.float64), union.astype(np.float64), out=out, where=inter > 0)
    return out


def rle_iou_pairs(dts: Sequence[object], gts: Sequence[object], pairs_dt: object,
                  pairs_gt: object, iscrowd: object = None) -> np.ndarray:
    """IoU of masks ``dts[pairs_dt[p]]`` and ``gts[pairs_gt[p]]``; iscrowd is per ground truth."""
    pg = np.asarray(pairs_gt, dtype=np.int64)
    crowd = _crowd(iscrowd, len(gts))
    return rle_pack_iou_pairs(RlePack(dts), RlePack(gts), np.asarray(pairs_dt, np.int64), pg,
                              crowd[pg])


def rle_iou(dts: Sequence[object], gts: Sequence[object], iscrowd: object = None) -> np.ndarray:
    """(N, M) IoU of RLE masks, equal to ``pycocotools.mask.iou`` for masks of one image."""
    n, m = len(dts), len(gts)
    crowd = _crowd(iscrowd, m)
    if n == 0 or m == 0:
        return np.zeros((n, m), dtype=np.float64)
    di = np.repeat(np.arange(n), m)
    gi = np.tile(np.arange(m), n)
    return rle_pack_iou_pairs(RlePack(dts), RlePack(gts), di, gi, crowd[gi]).reshape(n, m)


# ------------------------------------------------------------------------------------ keypoints

def _keypoints(values: object, name: str, k: int | None) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] % 3 == 0 and (k is None or arr.shape[1] == 3 * k):
        arr = arr.reshape(arr.shape[0], -1, 3)
    if arr.ndim != 3 or arr.shape[2] != 3 or (k is not None and arr.shape[1] != k):
        raise InvalidInput(f"{name} must be an (n, K, 3) array of x, y, visibility"
                           f" (K = {k}), got shape {arr.shape}")
    return arr


def oks_pairs(dt_kpts: object, gt_kpts: object, gt_areas: object, sigmas: object,
              gt_boxes: object) -> np.ndarray:
    """Object keypoint similarity of pairs (row p of each argument); see the module docstring."""
    sig = np.asarray(sigmas, dtype=np.float64).reshape(-1)
    k = sig.size
    d = _keypoints(dt_kpts, "dt_kpts", k)
    g = _keypoints(gt_kpts, "gt_kpts", k)
    area = np.asarray(gt_areas, dtype=np.float64).reshape(-1)
    box = _boxes(gt_boxes, "gt_boxes")
    p = d.shape[0]
    if g.shape[0] != p or area.size != p or box.shape[0] != p:
        raise InvalidInput("oks_pairs needs one ground truth, area and box per detection")
    if p == 0:
        return np.zeros(0, dtype=np.float64)
    variances = (sig * 2) ** 2
    xd, yd = d[:, :, 0], d[:, :, 1]
    xg, yg, vg = g[:, :, 0], g[:, :, 1], g[:, :, 2]
    visible = vg > 0
    k1 = visible.sum(axis=1)
    # The ground-truth box grown by its own size on each side, for ground truths with no
    # labelled keypoints.
    x0 = (box[:, 0] - box[:, 2])[:, None]
    x1 = (box[:, 0] + box[:, 2] * 2)[:, None]
    y0 = (box[:, 1] - box[:, 3])[:, None]
    y1 = (box[:, 1] + box[:, 3] * 2)[:, None]
    has = (k1 > 0)[:, None]
    dx = np.where(has, xd - xg, np.maximum(0.0, x0 - xd) + np.maximum(0.0, xd - x1))
    dy = np.where(has, yd - yg, np.maximum(0.0, y0 - yd) + np.maximum(0.0, yd - y1))
    e = (dx**2 + dy**2) / variances / (area + np.spacing(1))[:, None] / 2
    terms = np.exp(-e)
    use = np.where(has, visible, True)
    n_terms = np.where(k1 > 0, k1, k)
    out = np.empty(p, dtype=np.float64)
    # Sum each row's terms compactly (same summation order as a 1-D numpy sum of them).
    order = np.argsort(~use, axis=1, kind="stable")
    packed = np.take_along_axis(terms, order, axis=1)
    for n in np.unique(n_terms):
        rows = np.flatnonzero(n_terms == n)
        out[rows] = np.ascontiguousarray(packed[rows, :n]).sum(axis=1) / n
    return out


def oks(dt_kpts: object, gt_kpts: object, gt_areas: object, sigmas: object,
        gt_boxes: object) -> np.ndarray:
    """(N, M) object keypoint similarity between N detections and M ground truths."""
    sig = np.asarray(sigmas, dtype=np.float64).reshape(-1)
    k = sig.size
    d = _keypoints(dt_kpts, "dt_kpts", k) if np.size(dt_kpts) else np.zeros((0, k, 3))
    g = _keypoints(gt_kpts, "gt_kpts", k) if np.size(gt_kpts) else np.zeros((0, k, 3))
    area = np.asarray(gt_areas, dtype=np.float64).reshape(-1)
    box = _boxes(gt_boxes, "gt_boxes")
    n, m = d.shape[0], g.shape[0]
    if area.size != m or box.shape[0] != m:
        raise InvalidInput(f"{m} ground truths need {m} areas and boxes, got {area.size} "
                           f"and {box.shape[0]}")
    if n == 0 or m == 0:
        return np.zeros((n, m), dtype=np.float64)
    di = np.repeat(np.arange(n), m)
    gi = np.tile(np.arange(m), n)
    return oks_pairs(d[di], g[gi], area[gi], sig, box[gi]).reshape(n, m)
