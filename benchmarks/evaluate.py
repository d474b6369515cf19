"""Benchmark: LabelHub's COCO box evaluation against pycocotools and faster-coco-eval.

    .venv/bin/python benchmarks/evaluate.py [--images 5000] [--seed 0] [--repeat 3]
                                            [--iou-type bbox|segm] [--skip-pycocotools]

Generates a seeded COCO-like data set (by default 5,000 images, ~36k ground truths of 80
categories with a long-tailed frequency, 1% crowds, ~100k detections: jittered copies of the
ground truths, duplicates, confusions and background boxes), then times

* LabelHub ``evaluate_detections`` from columnar arrays (the application's way in), and from
  the same data as dict lists converted to arrays (so the comparison includes input handling);
* pycocotools ``COCO`` + ``loadRes`` + ``COCOeval.evaluate/accumulate/summarize``;
* faster-coco-eval (a C++ implementation) the same way, if it is installed. It is a benchmark
  reference only, not a LabelHub dependency (``pip install faster-coco-eval``).

It checks that the twelve summary numbers equal pycocotools' to 1e-9 and prints seconds and
ratios. Not part of pytest.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from collections.abc import Callable

import numpy as np

from labelhub.metrics.detection import DetectionArrays, GroundTruthArrays, evaluate_detections

WIDTH, HEIGHT = 640, 480


def generate(n_images: int, seed: int, n_cat: int = 80) -> tuple[list[dict], list[dict]]:
    """Ground truths and detections as COCO dicts (bbox format)."""
    rng = np.random.default_rng(seed)
    freq = 1.0 / np.arange(1, n_cat + 1) ** 0.8
    freq /= freq.sum()
    gts: list[dict] = []
    dts: list[dict] = []
    for image_id in range(1, n_images + 1):
        n_gt = rng.poisson(7.2)
        side = np.exp(rng.uniform(np.log(6), np.log(420), n_gt))
        aspect = np.exp(rng.normal(0, 0.4, n_gt))
        w = np.minimum(side * aspect, WIDTH - 1)
        h = np.minimum(side / aspect, HEIGHT - 1)
        x = rng.uniform(0, WIDTH - w)
        y = rng.uniform(0, HEIGHT - h)
        cats = rng.choice(n_cat, n_gt, p=freq) + 1
        crowd = rng.random(n_gt) < 0.01
        for j in range(n_gt):
            box = [float(x[j]), float(y[j]), float(w[j]), float(h[j])]
            gts.append({"image_id": image_id, "category_id": int(cats[j]), "bbox": box,
                        "area": float(w[j] * h[j] * rng.uniform(0.6, 0.9)),
                        "iscrowd": int(crowd[j])})
        n_dt = max(0, int(rng.normal(20, 4)))
        for _ in range(n_dt):
            if n_gt and rng.random() < 0.6:
                j = rng.integers(n_gt)
                jitter = rng.normal(0, 0.08, 4) * np.array([w[j], h[j], w[j], h[j]])
                dx, dy = x[j] + jitter[0], y[j] + jitter[1]
                dw, dh = max(1.0, w[j] + jitter[2]), max(1.0, h[j] + jitter[3])
                cat = int(cats[j]) if rng.random() < 0.85 else int(rng.choice(n_cat, p=freq) + 1)
                score = float(np.clip(rng.beta(5, 2), 0, 1))
            else:
                s = np.exp(rng.uniform(np.log(6), np.log(300)))
                dw, dh = s, s * np.exp(rng.normal(0, 0.4))
                dx, dy = rng.uniform(0, WIDTH - dw), rng.uniform(0, max(1, HEIGHT - dh))
                cat = int(rng.choice(n_cat, p=freq) + 1)
                score = float(np.clip(rng.beta(2, 5), 0, 1))
            if rng.random() < 0.05:
                score = round(score, 2)  # ties
            dts.append({"image_id": image_id, "category_id": cat,
                        "bbox": [float(dx), float(dy), float(dw), float(dh)], "score": score})
    return gts, dts


def ellipse_counts(box: list[float]) -> np.ndarray:
    """Uncompressed RLE counts of the ellipse inscribed in a box, built column by column."""
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    rx, ry = max(box[2] / 2, 0.5), max(box[3] / 2, 0.5)
    x = np.arange(max(0, int(cx - rx) - 1), min(WIDTH, int(cx + rx) + 2))
    u = (x + 0.5 - cx) / rx
    inside = np.abs(u) <= 1
    x, u = x[inside], u[inside]
    dy = ry * np.sqrt(1 - u**2)
    lo = np.clip(np.ceil(cy - dy - 0.5), 0, HEIGHT - 1).astype(np.int64)
    hi = np.clip(np.floor(cy + dy - 0.5), -1, HEIGHT - 1).astype(np.int64)
    keep = hi >= lo
    if not keep.any():  # a sliver: keep the centre pixel
        x = np.array([min(max(int(cx), 0), WIDTH - 1)])
        lo = hi = np.array([min(max(int(cy), 0), HEIGHT - 1)])
        keep = np.array([True])
    starts = x[keep] * HEIGHT + lo[keep]
    ends = x[keep] * HEIGHT + hi[keep] + 1
    # Merge runs that touch across a column boundary.
    joined = np.concatenate(([False], starts[1:] == ends[:-1]))
    starts = starts[~joined]
    ends = ends[np.concatenate((~joined[1:], [True]))]
    edges = np.stack((starts, ends), axis=1).ravel()
    return np.diff(np.concatenate(([0], edges, [HEIGHT * WIDTH])))


def add_masks(gts: list[dict], dts: list[dict]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Elliptic masks inside every box, as uncompressed counts (for --iou-type segm)."""
    return [ellipse_counts(g["bbox"]) for g in gts], [ellipse_counts(d["bbox"]) for d in dts]


def to_arrays(gts: list[dict], dts: list[dict], g_masks: list | None = None,
              d_masks: list | None = None) -> tuple[GroundTruthArrays, DetectionArrays]:
    gt = GroundTruthArrays(
        image_id=np.array([g["image_id"] for g in gts]),
        category_id=np.array([g["category_id"] for g in gts]),
        bbox=np.array([g["bbox"] for g in gts]),
        area=np.array([g["area"] for g in gts]),
        iscrowd=np.array([g["iscrowd"] for g in gts]),
        segmentation=g_masks,
    )
    dt = DetectionArrays(
        image_id=np.array([d["image_id"] for d in dts]),
        category_id=np.array([d["category_id"] for d in dts]),
        score=np.array([d["score"] for d in dts]),
        bbox=np.array([d["bbox"] for d in dts]),
        segmentation=d_masks,
    )
    return gt, dt


def coco_dataset(gts: list[dict], n_images: int, n_cat: int = 80) -> dict:
    return {
        "images": [{"id": i, "width": WIDTH, "height": HEIGHT} for i in range(1, n_images + 1)],
        "categories": [{"id": c, "name": str(c)} for c in range(1, n_cat + 1)],
        "annotations": [dict(g, id=j + 1) for j, g in enumerate(gts)],
    }


def run_reference(module_coco: type, module_eval: type, dataset: dict, results: list[dict],
                  iou_type: str) -> np.ndarray:
    with contextlib.redirect_stdout(io.StringIO()):
        coco = module_coco()
        coco.dataset = dataset
        coco.createIndex()
        res = coco.loadRes(results)
        ev = module_eval(coco, res, iou_type)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return np.asarray(ev.stats, dtype=np.float64)


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--iou-type", choices=("bbox", "segm"), default="bbox")
    ap.add_argument("--skip-pycocotools", action="store_true")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    gts, dts = generate(args.images, args.seed)
    g_masks = d_masks = None
    if args.iou_type == "segm":
        g_masks, d_masks = add_masks(gts, dts)
    print(f"data: {args.images} images, {len(gts)} ground truths "
          f"({sum(g['iscrowd'] for g in gts)} crowds), {len(dts)} detections, 80 categories, "
          f"iou_type={args.iou_type} (generated in {time.perf_counter() - t0:.1f} s)")
    gt, dt = to_arrays(gts, dts, g_masks, d_masks)
    cats = np.arange(1, 81)
    images = np.arange(1, args.images + 1)

    def ours() -> object:
        # Fresh containers over the same columns: nothing cached from an earlier run.
        g = GroundTruthArrays(gt.image_id, gt.category_id, gt.bbox, gt.area, gt.iscrowd,
                              segmentation=gt.segmentation)
        d = DetectionArrays(dt.image_id, dt.category_id, dt.score, dt.bbox,
                            segmentation=dt.segmentation)
        return evaluate_detections(g, d, args.iou_type, image_ids=images, category_ids=cats)

    def ours_from_dicts() -> object:
        g, d = to_arrays(gts, dts, g_masks, d_masks)
        return evaluate_detections(g, d, args.iou_type, image_ids=images, category_ids=cats)

    t_ours, result = timed(ours, args.repeat)
    t_ours_dicts, _ = timed(ours_from_dicts, args.repeat)
    stats = np.asarray(result.stats)  # type: ignore[attr-defined]
    rows = [("labelhub (arrays)", t_ours), ("labelhub (from dicts)", t_ours_dicts)]

    if args.iou_type == "segm":
        from pycocotools import mask as mask_utils

        def compressed(counts: np.ndarray) -> dict:
            return mask_utils.frPyObjects({"counts": counts.tolist(),
                                           "size": [HEIGHT, WIDTH]}, HEIGHT, WIDTH)

        gts_ref = [dict(g, segmentation=compressed(m)) for g, m in zip(gts, g_masks, strict=True)]
        dts_ref = [{k: v for k, v in d.items() if k != "bbox"} | {"segmentation": compressed(m)}
                   for d, m in zip(dts, d_masks, strict=True)]
    else:
        gts_ref, dts_ref = gts, dts
    dataset = coco_dataset(gts_ref, args.images)

    ref_stats = None
    if not args.skip_pycocotools:
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval

        t_py, ref_stats = timed(lambda: run_reference(
            COCO, COCOeval, dataset, [dict(d) for d in dts_ref], args.iou_type), 1)
        rows.append(("pycocotools", t_py))
    try:
        from faster_coco_eval import COCO as FCOCO
        from faster_coco_eval import COCOeval_faster
    except ImportError:
        print("faster-coco-eval is not installed; skipped (pip install faster-coco-eval)")
    else:
        t_fast, fast_stats = timed(lambda: run_reference(
            FCOCO, COCOeval_faster, dataset, [dict(d) for d in dts_ref], args.iou_type),
            args.repeat)
        rows.append(("faster-coco-eval", t_fast))
        fast_diff = np.abs(np.asarray(fast_stats)[:12] - stats).max()
        print(f"faster-coco-eval vs labelhub: max |diff| of the 12 numbers = {fast_diff:.2e}")

    print()
    print(f"{'implementation':<24}{'seconds':>10}{'time / labelhub (arrays)':>28}")
    for name, sec in rows:
        print(f"{name:<24}{sec:>10.3f}{sec / t_ours:>28.2f}")
    for name, sec in rows[2:]:
        print(f"labelhub is {sec / t_ours:.1f}x faster than {name} "
              f"({sec / t_ours_dicts:.1f}x counting the conversion from dicts)")
    print()
    print("stats (labelhub):", " ".join(f"{s:.4f}" for s in stats))
    if ref_stats is not None:
        diff = float(np.abs(np.asarray(ref_stats) - stats).max())
        ok = diff <= 1e-9
        print(f"pycocotools agreement: max |diff| = {diff:.2e} -> {'OK' if ok else 'MISMATCH'}")
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
