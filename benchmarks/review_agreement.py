"""Benchmark: agreement through the project, from the annotators' label sets on disk.

Run:  .venv/bin/python benchmarks/review_agreement.py [--items N] [--annotators K] [--seed S]
                                                      [--workdir DIR]

Builds a real project in a temporary folder: N small images, K annotators whose label sets are
imported from COCO files (about ten boxes per item, drawn with jitter, misses, class flips and
spurious boxes as in benchmarks/agreement.py). Then times, as a reviewer:

* ``Project.agreement``: reading every annotator's boxes from SQLite and the full report;
* the same report from the metrics alone on the same boxes, to show what reading costs;
* ``Project.review_queue``: every item ready for review with its agreement, worst first;
* ``Project.review_item`` and ``accept_consensus`` on one item (what a click in the window costs).

Prints the figures and the ratio to the target: agreement over 100,000 items x 3 annotators x
~10 boxes through the project in 10 s or less (smaller runs are scaled linearly to 100,000 items).
Building the project takes far longer than the figures; ``--workdir DIR`` keeps it in DIR and
reuses it on the next run with the same DIR. Not part of pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from labelhub.metrics.agreement import Shapes, ShapeTable, agreement_report
from labelhub.project import Project

TARGET_SECONDS = 10.0
TARGET_ITEMS = 100_000
W, H = 640, 480
CLASSES = [f"class{i:02d}" for i in range(12)]


def make_images(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    base = np.full((H, W, 3), 90, dtype=np.uint8)
    for i in range(n):
        base[0, :3, 0] = (i & 255, (i >> 8) & 255, (i >> 16) & 255)  # every file distinct
        Image.fromarray(base).save(folder / f"img-{i:06d}.png", compress_level=1)


def make_boxes(n_items: int, n_annotators: int, seed: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per annotator: (item, class, box xywh) arrays."""
    rng = np.random.default_rng(seed)
    per_item = rng.poisson(10, n_items)
    obj_item = np.repeat(np.arange(n_items), per_item)
    n_obj = obj_item.size
    wh = rng.uniform(8, 100, (n_obj, 2))
    xy = rng.uniform(0, 1, (n_obj, 2)) * (np.array([W, H]) - wh - 2)
    label = rng.integers(0, len(CLASSES), n_obj)
    out = []
    for _ in range(n_annotators):
        drawn = rng.random(n_obj) >= 0.05
        box = np.c_[xy, wh] + rng.normal(0, 0.04, (n_obj, 4)) * np.c_[wh, wh]
        box[:, 2:] = np.maximum(box[:, 2:], 2.0)
        box[:, :2] = np.clip(box[:, :2], 0, None)
        box[:, 2] = np.minimum(box[:, 2], W - box[:, 0])
        box[:, 3] = np.minimum(box[:, 3], H - box[:, 1])
        flip = np.where(rng.random(n_obj) < 0.04, rng.integers(0, len(CLASSES), n_obj), label)
        out.append((obj_item[drawn], flip[drawn], np.round(box[drawn], 2)))
    return out


def write_coco(path: Path, n_items: int, items: np.ndarray, labels: np.ndarray, boxes: np.ndarray) -> None:
    data = {
        "images": [{"id": i + 1, "file_name": f"img-{i:06d}.png", "width": W, "height": H} for i in range(n_items)],
        "categories": [{"id": c + 1, "name": name} for c, name in enumerate(CLASSES)],
        "annotations": [{"id": k + 1, "image_id": int(i) + 1, "category_id": int(c) + 1,
                         "bbox": [float(v) for v in b], "area": float(b[2] * b[3]), "iscrowd": 0}
                        for k, (i, c, b) in enumerate(zip(items, labels, boxes, strict=True))],
    }
    path.write_text(json.dumps(data))


def build(work: Path, n: int, names: list[str], drawn: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
    """The benchmark project in ``work/project``: images, members, the annotators' sets."""
    start = time.perf_counter()
    make_images(work / "images", n)
    with Project.create(work / "project", lead="lena") as p:
        p.add_member("rui", "reviewer")
        for name in names:
            p.add_member(name, "annotator")
        p.create_dataset("bench")
        p.import_images("bench", [work / "images"])
        for name, (items, labels, boxes) in zip(names, drawn, strict=True):
            coco = work / f"{name}.json"
            write_coco(coco, n, items, labels, boxes)
            p.import_labels("bench", coco, "coco", into=f"annotator:{name}")
    shutil.rmtree(work / "images", ignore_errors=True)
    print(f"built in {time.perf_counter() - start:.1f} s")


def timed(call):  # noqa: ANN001, ANN201
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def cpu_timed(call):  # noqa: ANN001, ANN201
    """(result, wall seconds, CPU seconds of the process: every thread, none of the others)."""
    cpu = time.process_time()
    result, wall = timed(call)
    return result, wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--annotators", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, help="build the project here and keep it (reused when present)")
    args = parser.parse_args()
    n, k = args.items, args.annotators
    names = [f"annotator{j + 1}" for j in range(k)]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="labelhub-review-bench-"))
    drawn = make_boxes(n, k, args.seed)
    try:
        if not (work / "project").exists():
            build(work, n, names, drawn)
        total = sum(len(d[0]) for d in drawn)
        print(f"{n:,} items, {k} annotators, {total:,} boxes")

        with Project.open(work / "project", user="rui", backup=False) as p:
            report, through_project, cpu = cpu_timed(lambda: p.agreement("bench"))
            order = {f"img-{i:06d}.png": i for i in range(n)}
            index = np.array([order[name] for name in report.item_names])
            table = ShapeTable(
                Shapes(np.concatenate([d[1] for d in drawn]), boxes=np.concatenate([d[2] for d in drawn])),
                np.concatenate([np.argsort(index)[d[0]] for d in drawn]),
                np.concatenate([np.full(len(d[0]), j) for j, d in enumerate(drawn)]), n, k,
                # Imported without assignments, an item counts for an annotator when their set
                # has a shape on it: the same items as the project compares.
                report.rated[np.argsort(index)])
            oracle, metrics_only = timed(lambda: agreement_report(table))
            assert abs(report.f1 - oracle.f1) < 1e-9, (report.f1, oracle.f1)
            queue, queue_time = timed(lambda: p.review_queue("bench"))
            _, item_time = timed(lambda: p.review_item("bench", queue[0].item_uid))
            _, accept_time = timed(lambda: p.accept_consensus("bench", queue[0].item_uid))
        reading = through_project - metrics_only
        print(f"agreement through the project  {through_project:7.2f} s  (F1 {report.f1:.4f}; CPU {cpu:.2f} s, "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        print(f"  of which the metrics         {metrics_only:7.2f} s  (the same report from the boxes in memory)")
        print(f"  and reading the label sets   {reading:7.2f} s  ({reading / max(through_project, 1e-9):.0%})")
        print(f"review queue of {len(queue):,} items     {queue_time:7.2f} s  "
              f"({queue_time / max(through_project, 1e-9):.2f}x the agreement)")
        print(f"one item: review {item_time * 1000:.0f} ms, accept consensus {accept_time * 1000:.0f} ms")
        scaled = through_project * TARGET_ITEMS / n
        print(f"{TARGET_ITEMS:,} items through the project: {scaled:.1f} s"
              + ("" if n == TARGET_ITEMS else f" (scaled from {n:,})")
              + f"  target: {TARGET_SECONDS:.0f} s  ratio: {scaled / TARGET_SECONDS:.2f}")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
