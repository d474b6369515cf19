"""Benchmark: an evaluation end to end through a project, against the metrics alone.

    .venv/bin/python benchmarks/evaluate_project.py [--images 2000] [--seed 0] [--keep DIR]

Builds a real project from the seeded COCO-like data of ``benchmarks/evaluate.py`` (640 x 480
images, ~7 ground truths and ~20 detections each, 80 long-tailed categories; boxes clipped to
the image, since the project refuses shapes outside it): the images (small solid-colour PNGs),
the ground truth imported from a COCO file in one change (its 1% crowd regions become the
``iscrowd`` attribute), committed as version 1, a model version and its predictions
written with ``add_predictions``. Then times

* ``add_predictions`` (validation, one change);
* ``Project.evaluate`` (reading the version's ground truth and the predictions, the metrics,
  per-class results, PR curves, the confusion matrix, suspected label errors, storing);
* ``reopen_evaluation`` (what the viewer does when it opens an evaluation);
* ``evaluate_detections`` alone on the same arrays (the metrics' share),

checks that the project's twelve numbers equal the metrics' alone, and prints seconds and ratios.
Not part of pytest.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))

from evaluate import HEIGHT, WIDTH, generate  # noqa: E402

from labelhub.geometry import Box  # noqa: E402
from labelhub.metrics.detection import DetectionArrays, GroundTruthArrays, evaluate_detections  # noqa: E402
from labelhub.project import NewAnnotation, Project  # noqa: E402


def clip(box: list[float]) -> list[float]:
    x0, y0 = min(max(box[0], 0.0), WIDTH - 1.0), min(max(box[1], 0.0), HEIGHT - 1.0)
    x1, y1 = min(max(box[0] + box[2], x0 + 0.5), float(WIDTH)), min(max(box[1] + box[3], y0 + 0.5), float(HEIGHT))
    return [x0, y0, x1 - x0, y1 - y0]


def timed(label: str, fn, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    seconds = time.perf_counter() - start
    print(f"  {label:<44} {seconds:8.2f} s")
    return out, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="build the project here and keep it")
    args = parser.parse_args(argv)

    gts, dts = generate(args.images, args.seed)
    for g in gts:
        g["bbox"] = clip(g["bbox"])
    for d in dts:
        d["bbox"] = clip(d["bbox"])
    work = Path(tempfile.mkdtemp(prefix="labelhub-evalbench-"))
    folder = args.keep or work / "project"
    try:
        images = work / "images"
        images.mkdir()
        names = {i: f"img-{i:06d}.png" for i in range(1, args.images + 1)}
        print(f"{args.images:,} images, {len(gts):,} ground truths, {len(dts):,} detections")
        for i, name in names.items():
            Image.new("RGB", (WIDTH, HEIGHT), (i % 256, (i // 256) % 256, 90)).save(images / name, compress_level=1)
        coco = {"images": [{"id": i, "file_name": n, "width": WIDTH, "height": HEIGHT} for i, n in names.items()],
                "categories": [{"id": c, "name": f"c{c:02d}"} for c in range(1, 81)],
                "annotations": [{"id": j + 1, "image_id": g["image_id"], "category_id": g["category_id"],
                                 "bbox": g["bbox"], "area": g["bbox"][2] * g["bbox"][3],
                                 "iscrowd": int(g.get("iscrowd", 0))}
                                for j, g in enumerate(gts)]}
        (work / "gt.json").write_text(json.dumps(coco))
        print("building the project (not timed as evaluation):")
        p = Project.create(folder, lead="lena")
        p.create_dataset("bench")
        timed("import images", p.import_images, "bench", [images])
        timed("import ground truth (COCO, one change)", p.import_labels, "bench", work / "gt.json", "coco")
        p.commit_version("bench", "benchmark ground truth")
        p.add_model("bench-model")
        p.add_model_version("bench-model", "1")
        uid = {i.name: i.uid for i in p.items("bench")}
        preds: dict[str, list[NewAnnotation]] = {n: [] for n in uid}
        for d in dts:
            preds[names[d["image_id"]]].append(NewAnnotation(f"c{d['category_id']:02d}", Box(*d["bbox"]),
                                                             score=d["score"]))
        print("timed:")
        _r, t_add = timed("add_predictions", p.add_predictions, "bench", "bench-model@1", preds)
        outcome, t_eval = timed("Project.evaluate (gather, metrics, extras, store)", p.evaluate, "bench", 1,
                                "bench-model@1")
        _o, t_reopen = timed("reopen_evaluation (the viewer opening it)", p.reopen_evaluation, outcome.info.uid)

        # The metrics alone, on the same data in the project's order.
        run = outcome.run
        gt_arr, dt_arr = run.gt_arrays, run.dt_arrays
        gt_copy = GroundTruthArrays(gt_arr.image_id.copy(), gt_arr.category_id.copy(), bbox=gt_arr.bbox.copy(),
                                    area=gt_arr.area.copy(), iscrowd=gt_arr.iscrowd.copy())
        dt_copy = DetectionArrays(dt_arr.image_id.copy(), dt_arr.category_id.copy(), dt_arr.score.copy(),
                                  bbox=dt_arr.bbox.copy())
        alone, t_metrics = timed("evaluate_detections alone (same arrays)", evaluate_detections, gt_copy, dt_copy,
                                 "bbox", image_ids=run.image_ids, category_ids=run.category_ids)
        same = np.allclose(alone.stats, outcome.results["coco"], rtol=0, atol=1e-12)
        print(f"\ntwelve numbers equal to the metrics alone: {'yes' if same else 'NO'}")
        print(f"AP {outcome.results['coco'][0]:.4f}  AP50 {outcome.results['coco'][1]:.4f}")
        print(f"evaluate / metrics alone: {t_eval / t_metrics:5.2f}x   reopen / metrics alone: "
              f"{t_reopen / t_metrics:5.2f}x   add_predictions: {len(dts) / t_add:,.0f} predictions/s")
        p.close()
        return 0 if same else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
