"""Benchmark: agreement report over 100,000 items x 3 annotators x ~10 boxes.

Run:  .venv/bin/python benchmarks/agreement.py [--items N] [--seed S]

The data are synthetic and seeded: each item has about ten objects (boxes of 16..200 px in a
1280x960 image, 12 classes); each annotator draws each object with jitter of a few percent of
its size, misses 5 % of them, gives 4 % another class and adds a spurious box now and then.
Prints the time of the full report, the target (10 s) and the ratio. Not part of pytest.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from labelhub.metrics.agreement import Shapes, ShapeTable, agreement_report

TARGET_SECONDS = 10.0


def make_table(n_items: int, n_annotators: int = 3, seed: int = 0) -> ShapeTable:
    rng = np.random.default_rng(seed)
    per_item = rng.poisson(10, n_items)
    n_obj = int(per_item.sum())
    obj_item = np.repeat(np.arange(n_items), per_item)
    wh = rng.uniform(16, 200, (n_obj, 2))
    xy = rng.uniform(0, 1, (n_obj, 2)) * (np.array([1280.0, 960.0]) - wh)
    obj_label = rng.integers(0, 12, n_obj)
    items, annotators, labels, boxes = [], [], [], []
    for k in range(n_annotators):
        drawn = rng.random(n_obj) >= 0.05
        jitter = rng.normal(0, 0.04, (n_obj, 4)) * np.c_[wh, wh]
        box = np.c_[xy, wh] + jitter
        box[:, 2:] = np.maximum(box[:, 2:], 2.0)
        label = np.where(rng.random(n_obj) < 0.04, rng.integers(0, 12, n_obj), obj_label)
        n_extra = n_items // 3
        extra_wh = rng.uniform(16, 200, (n_extra, 2))
        extra = np.c_[rng.uniform(0, 1, (n_extra, 2)) * (np.array([1280.0, 960.0]) - extra_wh),
                      extra_wh]
        items += [obj_item[drawn], rng.integers(0, n_items, n_extra)]
        labels += [label[drawn], rng.integers(0, 12, n_extra)]
        boxes += [box[drawn], extra]
        annotators += [np.full(int(drawn.sum()) + n_extra, k)]
    item = np.concatenate(items)
    order = np.argsort(item, kind="stable")
    shapes = Shapes(np.concatenate(labels)[order], boxes=np.concatenate(boxes)[order])
    return ShapeTable(shapes, item[order], np.concatenate(annotators)[order], n_items,
                      n_annotators)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    table = make_table(args.items, seed=args.seed)
    print(f"{args.items} items, {table.n_annotators} annotators, {len(table.shapes)} boxes")
    start, cpu = time.perf_counter(), time.process_time()
    report = agreement_report(table)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"dataset F1 {report.f1:.4f}; pair F1 "
          f"{np.round(report.pair_f1[np.triu_indices(table.n_annotators, 1)], 4).tolist()}")
    print(f"agreement report: {seconds:.2f} s (CPU {cpu:.2f} s, load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores)  target: {TARGET_SECONDS:.0f} s  ratio: {seconds / TARGET_SECONDS:.2f}")


if __name__ == "__main__":
    main()
