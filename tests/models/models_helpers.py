"""Generated detection and classification data, built into real projects.

``DetectionSpec`` describes images, ground truth and predictions independently of LabelHub;
``build_project`` writes them through the Project API (images as real PNG files), and the
tests build pycocotools' and scikit-learn's inputs from the same spec: two independent paths
to the same numbers.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from labelhub.geometry import Box, Keypoints, Mask, Polygon, Shape, Tag
from labelhub.project import NewAnnotation, Project

CLASSES = ("ant", "bee", "cat", "dog")  # dog: predicted, never labelled; cat: never predicted
MODEL = "detector"


@dataclass
class Obj:
    label: str
    shape: Shape
    score: float | None = None
    crowd: bool = False
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class DetectionSpec:
    sizes: dict[str, tuple[int, int]]  # item name -> (width, height), names sorted
    gt: dict[str, list[Obj]]
    dt: dict[str, list[Obj]]


def _box(rng: np.random.Generator, w: int, h: int, lo: float = 6) -> Box:
    bw, bh = rng.uniform(lo, w * 0.6), rng.uniform(lo, h * 0.6)
    x, y = rng.uniform(0, w - bw), rng.uniform(0, h - bh)
    return Box(round(x, 2), round(y, 2), round(bw, 2), round(bh, 2))


def _jitter(rng: np.random.Generator, b: Box, w: int, h: int, amount: float) -> Box:
    x0 = min(max(b.x + rng.normal(0, amount) * b.w, 0.0), w - 2.0)
    y0 = min(max(b.y + rng.normal(0, amount) * b.h, 0.0), h - 2.0)
    x1 = min(max(x0 + b.w * (1 + rng.normal(0, amount)), x0 + 1.0), float(w))
    y1 = min(max(y0 + b.h * (1 + rng.normal(0, amount)), y0 + 1.0), float(h))
    return Box(round(x0, 2), round(y0, 2), round(x1 - x0, 2), round(y1 - y0, 2))


def _as_kind(shape: Box, kind: str, w: int, h: int, rng: np.random.Generator) -> Shape:
    if kind == "box":
        return shape
    x0, y0, x1, y1 = shape.xyxy()
    if kind == "polygon":
        cut = rng.uniform(0.1, 0.5)
        return Polygon(((x0, y0), (x1, y0), (x1, y1 - cut * (y1 - y0)), (x0 + cut * (x1 - x0), y1)))
    return Mask.from_polygon(Polygon(((x0, y0), (x1, y0), (x1, y1), (x0, y1))), h, w)


def detection_spec(seed: int, n_images: int = 30, kinds: tuple[str, ...] = ("box",)) -> DetectionSpec:
    """Images of several sizes; some empty; crowds; an absent class; tied scores."""
    rng = np.random.default_rng(seed)
    sizes, gt, dt = {}, {}, {}
    for i in range(n_images):
        name = f"img-{i:03d}.png"
        w, h = int(rng.integers(60, 160)), int(rng.integers(50, 120))
        sizes[name] = (w, h)
        objs: list[Obj] = []
        preds: list[Obj] = []
        n = 0 if i % 7 == 3 else int(rng.integers(1, 7))
        for _ in range(n):
            label = str(rng.choice(CLASSES[:3]))
            box = _box(rng, w, h)
            crowd = bool(rng.random() < 0.1)
            kind = str(rng.choice(kinds))
            objs.append(Obj(label, _as_kind(box, kind, w, h, rng), crowd=crowd))
            for _k in range(2 if crowd else 1):
                if rng.random() < 0.8 and label != "cat":
                    wrong = rng.random() < 0.1
                    plabel = str(rng.choice(["ant", "bee", "dog"])) if wrong else label
                    pbox = _jitter(rng, box, w, h, 0.08)
                    preds.append(Obj(plabel, _as_kind(pbox, kind, w, h, rng),
                                     score=round(float(rng.uniform(0.2, 1.0)), 1)))
        for _ in range(int(rng.integers(0, 4))):
            kind = str(rng.choice(kinds))
            preds.append(Obj(str(rng.choice(["ant", "bee", "dog"])), _as_kind(_box(rng, w, h), kind, w, h, rng),
                             score=round(float(rng.uniform(0.0, 0.9)), 1)))
        gt[name], dt[name] = objs, preds
    return DetectionSpec(sizes, gt, dt)


def write_images(folder: Path, sizes: dict[str, tuple[int, int]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, (name, (w, h)) in enumerate(sorted(sizes.items())):
        rng = np.random.default_rng(10_000 + i)
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(folder / name)
    return folder


def build_project(folder: Path, spec: DetectionSpec, *, dataset: str = "ds", model: str = MODEL,
                  version: str = "1", commit: bool = True) -> Project:
    """A project (lena lead, rui reviewer, ana annotator) holding ``spec``: classes, ground truth
    committed as version 1, model ``model`` version ``version`` and its predictions."""
    p = Project.create(folder, lead="lena")
    p.add_member("rui", "reviewer")
    p.add_member("ana", "annotator")
    p.create_dataset(dataset)
    p.import_images(dataset, [write_images(folder.parent / f"{folder.name}-images", spec.sizes)])
    for name in CLASSES:
        p.add_label_class(dataset, name, attributes=[{"name": "iscrowd", "type": "boolean"},
                                                     {"name": "length", "type": "number"}])
    uids = {i.name: i.uid for i in p.items(dataset)}
    gt = p.ground_truth(dataset).uid
    for name in sorted(spec.sizes):
        objs = spec.gt[name]
        if objs:
            p.add_annotations(gt, uids[name], [
                NewAnnotation(o.label, o.shape, {"iscrowd": True, **o.attributes} if o.crowd else dict(o.attributes))
                for o in objs])
    if commit:
        p.commit_version(dataset, "ground truth")
    p.add_model(model, task="detection")
    p.add_model_version(model, version)
    p.add_predictions(dataset, f"{model}@{version}", {
        name: [NewAnnotation(o.label, o.shape, dict(o.attributes), score=o.score) for o in spec.dt[name]]
        for name in sorted(spec.sizes)})
    return p


def tag_spec(seed: int, n_images: int = 40) -> DetectionSpec:
    """One ground-truth tag per image (some images without), predicted tags with scores."""
    rng = np.random.default_rng(seed)
    sizes, gt, dt = {}, {}, {}
    for i in range(n_images):
        name = f"img-{i:03d}.png"
        sizes[name] = (int(rng.integers(20, 40)), int(rng.integers(20, 40)))
        truth = str(rng.choice(CLASSES[:3]))
        gt[name] = [] if rng.random() < 0.1 else [Obj(truth, Tag(), attributes={"length": float(rng.integers(1, 9))})]
        preds = []
        for label in CLASSES:
            if rng.random() < 0.6 or label == truth:
                score = round(float(rng.uniform(0, 1) + (0.4 if label == truth else 0)) / 1.4, 2)
                preds.append(Obj(label, Tag(), score=score, attributes={"length": float(rng.integers(1, 9))}))
        dt[name] = [] if rng.random() < 0.05 else preds
    return DetectionSpec(sizes, gt, dt)


def keypoint_spec(seed: int, n_images: int = 12) -> DetectionSpec:
    """Persons with 17 keypoints, some unlabelled points, jittered predictions."""
    rng = np.random.default_rng(seed)
    sizes, gt, dt = {}, {}, {}
    for i in range(n_images):
        name = f"img-{i:03d}.png"
        w, h = 120, 100
        sizes[name] = (w, h)
        objs, preds = [], []
        for _ in range(int(rng.integers(0, 4))):
            cx, cy = rng.uniform(20, w - 20), rng.uniform(20, h - 20)
            pts = np.clip(np.stack([cx + rng.normal(0, 10, 17), cy + rng.normal(0, 10, 17)], 1), 1, [w - 1, h - 1])
            vis = np.where(rng.random(17) < 0.15, 0, 2)
            objs.append(Obj("ant", Keypoints(tuple(map(tuple, pts.round(2))), tuple(int(v) for v in vis))))
            if rng.random() < 0.85:
                jp = np.clip(pts + rng.normal(0, 1.5, pts.shape), 0, [w, h])
                preds.append(Obj("ant", Keypoints(tuple(map(tuple, jp.round(2)))),
                                 score=round(float(rng.uniform(0.3, 1)), 1)))
        gt[name], dt[name] = objs, preds
    return DetectionSpec(sizes, gt, dt)


def _mask(shape, w: int, h: int) -> np.ndarray:
    m = shape if isinstance(shape, Mask) else Mask.from_polygon(shape, h, w)
    return m.to_array()


def coco_stats(spec: DetectionSpec, iou_type: str, only: set[str] | None = None) -> np.ndarray:
    """pycocotools' twelve (or ten) numbers for ``spec``, on the images ``only`` if given."""
    names = sorted(spec.sizes)
    images = [{"id": i, "width": spec.sizes[n][0], "height": spec.sizes[n][1]} for i, n in enumerate(names)]
    cats = [{"id": k, "name": c} for k, c in enumerate(CLASSES)]
    anns, res = [], []
    for i, n in enumerate(names):
        w, h = spec.sizes[n]
        for o in spec.gt[n]:
            box = o.shape.box()
            a = {"id": len(anns) + 1, "image_id": i, "category_id": CLASSES.index(o.label),
                 "bbox": [box.x, box.y, box.w, box.h], "iscrowd": int(o.crowd)}
            if isinstance(o.shape, Keypoints):
                a["keypoints"] = o.shape.flat()
                a["num_keypoints"] = o.shape.num_labelled
                a["area"] = box.w * box.h
            else:
                a["area"] = float(o.shape.area())
            if iou_type == "segm":
                a["segmentation"] = mask_utils.encode(np.asfortranarray(_mask(o.shape, w, h).astype(np.uint8)))
            anns.append(a)
        for o in spec.dt[n]:
            r = {"image_id": i, "category_id": CLASSES.index(o.label), "score": o.score}
            if iou_type == "bbox":
                box = o.shape.box()
                r["bbox"] = [box.x, box.y, box.w, box.h]
            elif iou_type == "segm":
                r["segmentation"] = mask_utils.encode(np.asfortranarray(_mask(o.shape, w, h).astype(np.uint8)))
            else:
                r["keypoints"] = o.shape.flat()
            res.append(r)
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"images": images, "categories": cats, "annotations": anns}
        gt.createIndex()
        ev = COCOeval(gt, gt.loadRes(res), iou_type)
        ev.params.imgIds = [i for i, n in enumerate(names) if only is None or n in only]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return np.asarray(ev.stats)
