"""Precision/recall accumulation and the COCO summary numbers, vectorised over categories.

Same arithmetic as pycocotools' ``accumulate``: per category, detections of all images in
descending score order (ties: image order, then their order in the image), cumulative true and
false positives, recall ``tp / npig``, precision ``tp / (tp + fp + eps)``, the monotone
envelope of precision, and precision read at the first detection whose recall reaches each
recall threshold (``searchsorted(side='left')``), 0 beyond the last. Categories with no
non-ignored ground truth get -1.

Instead of a loop over categories, each category's run is one segment of a flat array, and only
the true positives are visited: the number of true positives needed to reach each recall
threshold is worked out exactly (the smallest c with float(c / npig) >= threshold, the same
comparison as pycocotools' searchsorted on recall), so the read position is the category's c-th
true positive; the envelope is taken only where it is read, with ``maximum.reduceat`` over the
stretches between read positions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_EPS = np.spacing(1)


def _needed_tp(npig: np.ndarray, rec_thr: np.ndarray) -> np.ndarray:
    """Smallest whole c with float(c / npig) >= thr, for each (category, threshold)."""
    n = npig.astype(np.float64)[:, None]
    safe = np.where(n > 0, n, 1.0)
    c = np.ceil(rec_thr[None, :] * safe)
    for _ in range(4):
        lower = (c > 0) & ((c - 1) / safe >= rec_thr[None, :])
        c = np.where(lower, c - 1, c)
        higher = c / safe < rec_thr[None, :]
        c = np.where(higher, c + 1, c)
    return c.astype(np.int64)


def accumulate(cats: np.ndarray, ranks: np.ndarray, sorted_scores: np.ndarray, tp: np.ndarray,
               fp: np.ndarray, npig: np.ndarray, n_cat: int, rec_thr: np.ndarray,
               max_dets: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision (T, R, K, A, M), recall (T, K, A, M) and scores (T, R, K, A, M).

    Detections come in (category, -score, image, rank) order: their category index, rank in
    their image and category, score, and (A, T, D) booleans ``tp`` / ``fp`` (counted true /
    false positives per area range and IoU threshold). ``npig`` is (K, A): the non-ignored
    ground truths.
    """
    n_area, n_thr = tp.shape[0], tp.shape[1]
    n_rec, n_m = rec_thr.size, len(max_dets)
    precision = -np.ones((n_thr, n_rec, n_cat, n_area, n_m))
    recall = -np.ones((n_thr, n_cat, n_area, n_m))
    scores = -np.ones((n_thr, n_rec, n_cat, n_area, n_m))
    need = [_needed_tp(npig[:, a], rec_thr) for a in range(n_area)]
    for m, max_det in enumerate(max_dets):
        keep = ranks < max_det
        every = bool(keep.all())
        n_k = np.bincount(cats[keep], minlength=n_cat)
        start = np.cumsum(n_k) - n_k
        for a in range(n_area):
            tps = tp[a] if every else tp[a][:, keep]
            fps = fp[a] if every else fp[a][:, keep]
            res = _one_setting(tps, fps, cats if every else cats[keep], n_k, start,
                               sorted_scores if every else sorted_scores[keep], npig[:, a],
                               need[a])
            present = npig[:, a] > 0
            precision[:, :, present, a, m] = res[0][:, :, present]
            recall[:, present, a, m] = res[1][:, present]
            scores[:, :, present, a, m] = res[2][:, :, present]
    return precision, recall, scores


def _one_setting(tps: np.ndarray, fps: np.ndarray, cats: np.ndarray, n_k: np.ndarray,
                 start: np.ndarray, sorted_scores: np.ndarray, npig: np.ndarray,
                 need: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One (area range, max_dets) setting for every IoU threshold and category at once.

    Works on the true positives only: precision rises only at a true positive, so the
    envelope's maximum over any stretch starting at a true positive is reached at a true
    positive, and the recall thresholds are first reached at true positives (the need-th one
    of the category). The read for recall 0 starts at the category's first detection.
    """
    n_thr, n = tps.shape
    n_cat, n_rec = n_k.size, need.shape[1]
    prec = np.zeros((n_thr, n_rec, n_cat))
    rec = np.zeros((n_thr, n_cat))
    sc = np.zeros((n_thr, n_rec, n_cat))
    if n == 0:
        return prec, rec, sc
    cfp = np.cumsum(fps.view(np.int8), axis=1, dtype=np.int32)
    t_e, p_e = np.nonzero(tps)
    k_e = cats[p_e]
    group = t_e * n_cat + k_e
    count = np.bincount(group, minlength=n_thr * n_cat)
    first = np.cumsum(count) - count
    tp_local = np.arange(group.size) - first[group] + 1
    base_fp = np.where(start > 0, cfp[:, np.maximum(start - 1, 0)], 0)  # (T, K)
    fp_local = cfp[t_e, p_e] - base_fp[t_e, k_e]
    pr = tp_local / ((fp_local + tp_local) + _EPS)
    count = count.reshape(n_thr, n_cat)
    first = first.reshape(n_thr, n_cat)
    has = (n_k > 0) & (npig > 0)
    rec[:, has] = count[:, has] / npig[has]

    read_ok = has[None, :, None] & (need[None, :, :] <= count[:, :, None])  # (T, K, R)
    on_events = read_ok & (count[:, :, None] > 0)
    read_ev = first[:, :, None] + np.maximum(need - 1, 0)[None, :, :]
    env = np.full((n_thr, n_cat, n_rec), -np.inf)
    if group.size:
        # Maximum of each stretch between consecutive reads (the last one up to the end of the
        # category's events; a stretch starting at a category's end is filler), then a suffix
        # maximum over the reads.
        ends = first + count
        ends = np.where((count > 0) & (ends < group.size), ends, -1)
        idx = np.concatenate((np.where(on_events, read_ev, -1), ends[:, :, None]), axis=2)
        is_read = np.concatenate((on_events, np.zeros((n_thr, n_cat, 1), bool)), axis=2)
        flat_idx = idx.reshape(-1)
        keep = flat_idx >= 0
        chunk_max = np.maximum.reduceat(pr, flat_idx[keep])
        env[on_events] = chunk_max[is_read.reshape(-1)[keep]]
    env = np.maximum.accumulate(env[:, :, ::-1], axis=2)[:, :, ::-1]
    q = np.where(on_events, env, 0.0)
    ev_pos = p_e[np.clip(read_ev, 0, max(group.size - 1, 0))] if group.size else read_ev * 0
    pos = np.where(need[None, :, :] == 0, start[None, :, None], ev_pos)
    s = np.where(read_ok, sorted_scores[np.clip(pos, 0, n - 1)], 0.0)
    prec[:] = q.transpose(0, 2, 1)
    sc[:] = s.transpose(0, 2, 1)
    return prec, rec, sc


def _mean_valid(s: np.ndarray) -> float:
    valid = s[s > -1]
    return -1.0 if valid.size == 0 else float(np.mean(valid))


@dataclass(frozen=True)
class StatSpec:
    """What one summary number averages: AP or AR, IoU (None: all), area range, max_dets."""

    name: str
    ap: bool
    iou: float | None
    area: str
    max_dets: int

    def line(self, value: float, iou_thresholds: np.ndarray) -> str:
        """The line pycocotools' summarize prints for this number."""
        title = "Average Precision  (AP)" if self.ap else "Average Recall     (AR)"
        iou = (f"{iou_thresholds[0]:0.2f}:{iou_thresholds[-1]:0.2f}" if self.iou is None
               else f"{self.iou:0.2f}")
        return (f" {title} @[ IoU={iou:<9} | area={self.area:>6s} | "
                f"maxDets={self.max_dets:>3d} ] = {value:0.3f}")


def stat_specs(iou_type: str, max_dets: tuple[int, ...]) -> tuple[StatSpec, ...]:
    """pycocotools' summary numbers in its order (12 for bbox/segm, 10 for keypoints)."""
    if iou_type == "keypoints":
        rows = [
            ("AP", True, None, "all"), ("AP50", True, 0.5, "all"), ("AP75", True, 0.75, "all"),
            ("AP_medium", True, None, "medium"), ("AP_large", True, None, "large"),
            ("AR", False, None, "all"), ("AR50", False, 0.5, "all"),
            ("AR75", False, 0.75, "all"), ("AR_medium", False, None, "medium"),
            ("AR_large", False, None, "large"),
        ]
        return tuple(StatSpec(name, ap, iou, area, 20) for name, ap, iou, area in rows)
    md = list(max_dets) + [100] * (3 - len(max_dets))
    return (
        StatSpec("AP", True, None, "all", 100),  # pycocotools asks for 100 here, literally
        StatSpec("AP50", True, 0.5, "all", md[2]),
        StatSpec("AP75", True, 0.75, "all", md[2]),
        StatSpec("AP_small", True, None, "small", md[2]),
        StatSpec("AP_medium", True, None, "medium", md[2]),
        StatSpec("AP_large", True, None, "large", md[2]),
        StatSpec(f"AR{md[0]}", False, None, "all", md[0]),
        StatSpec(f"AR{md[1]}", False, None, "all", md[1]),
        StatSpec(f"AR{md[2]}", False, None, "all", md[2]),
        StatSpec("AR_small", False, None, "small", md[2]),
        StatSpec("AR_medium", False, None, "medium", md[2]),
        StatSpec("AR_large", False, None, "large", md[2]),
    )


def summarize(precision: np.ndarray, recall: np.ndarray, iou_thresholds: np.ndarray,
              area_labels: list[str], max_dets: tuple[int, ...],
              specs: tuple[StatSpec, ...]) -> tuple[float, ...]:
    """Each summary number: the mean of the array cells it covers that are not -1."""

    def one(spec: StatSpec) -> float:
        aind = [i for i, lbl in enumerate(area_labels) if lbl == spec.area]
        mind = [i for i, m in enumerate(max_dets) if m == spec.max_dets]
        s = precision if spec.ap else recall
        if spec.iou is not None:
            s = s[np.where(spec.iou == iou_thresholds)[0]]
        s = s[:, :, :, aind, mind] if spec.ap else s[:, :, aind, mind]
        return _mean_valid(s)

    return tuple(one(spec) for spec in specs)
