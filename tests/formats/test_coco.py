"""COCO output against pycocotools (the reference implementation), results lists, and the
streaming writer."""

from __future__ import annotations

import json
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from formats_samples import CLASSES, sample_document
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from labelhub.errors import Cancelled
from labelhub.formats import (
    AnnotationRecord,
    ImageRecord,
    Item,
    ReadOptions,
    read_dataset,
    write_dataset,
    write_document,
)
from labelhub.formats import coco as coco_format
from labelhub.geometry import Box, Keypoints, Mask, Polygon


def _load(tmp_path: Path) -> tuple[COCO, dict]:
    write_document("coco", tmp_path, sample_document())
    path = tmp_path / "annotations" / "instances_train.json"
    return COCO(str(path)), json.loads(path.read_text())


def test_pycocotools_loads_and_agrees(tmp_path: Path, capsys) -> None:
    gt, raw = _load(tmp_path)
    assert sorted(gt.getCatIds()) == [c.id for c in CLASSES]
    assert gt.loadCats(2)[0]["keypoints"] == ["nose", "left eye", "right eye"]
    assert gt.loadCats(2)[0]["skeleton"] == [[1, 2], [1, 3]]
    anns = gt.loadAnns(gt.getAnnIds())
    assert len(anns) == 4  # box, rotated box (as polygon), polygon, mask on a.jpg
    for ann in anns:
        rle = gt.annToRLE(ann) if ann["segmentation"] else None
        if isinstance(ann["segmentation"], dict):
            # masks: area and bbox exactly as pycocotools computes them
            assert mask_utils.area(rle) == ann["area"]
            assert np.allclose(mask_utils.toBbox(rle), ann["bbox"])
        elif ann["segmentation"]:
            # polygons: pycocotools rasterises on its own grid; areas agree to the outline
            pixels = float(mask_utils.area(rle))
            x, y, w, h = ann["bbox"]
            assert abs(pixels - ann["area"]) <= 2 * (w + h)
            px, py, pw, ph = mask_utils.toBbox(rle)  # whole pixels inside the outline's box
            assert x - 1 <= px <= x + 2 and y - 1 <= py <= y + 2
            assert x + w - 2 <= px + pw <= x + w + 1 and y + h - 2 <= py + ph <= y + h + 1
        else:
            x, y, w, h = ann["bbox"]
            assert ann["area"] == pytest.approx(w * h)


def test_ground_truth_scored_against_itself_is_perfect(tmp_path: Path, capsys) -> None:
    gt, raw = _load(tmp_path)
    dets = [dict(a, score=1.0) for a in raw["annotations"]]
    for d in dets:
        d.pop("id")
    ev = COCOeval(gt, gt.loadRes(dets), "bbox")
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    assert ev.stats[0] == pytest.approx(1.0)


def test_keypoints_and_their_box_are_one_coco_annotation(tmp_path: Path, capsys) -> None:
    write_document("coco", tmp_path, sample_document())
    gt = COCO(str(tmp_path / "annotations" / "instances_val.json"))
    anns = gt.loadAnns(gt.getAnnIds())
    assert len(anns) == 2
    paired = next(a for a in anns if a["bbox"] == [5.0, 5.0, 10.0, 20.0])
    assert paired["keypoints"] == [10.0, 10.0, 2, 12.5, 8.0, 1, 7.0, 8.0, 2]
    assert paired["num_keypoints"] == 3
    alone = next(a for a in anns if a is not paired)
    assert alone["keypoints"][3:6] == [0, 0, 0] and alone["num_keypoints"] == 2
    assert alone["bbox"] == [20.0, 18.0, 5.0, 2.0]  # the labelled keypoints' extent


def test_reads_a_results_list_with_scores(tmp_path: Path) -> None:
    write_document("coco", tmp_path, sample_document())
    gt_path = tmp_path / "annotations" / "instances_train.json"
    rle = Mask.from_array(np.eye(48, 64, dtype=bool)).to_coco_rle()
    results = [
        {"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.9},
        {"image_id": 1, "category_id": 3, "segmentation": rle, "bbox": [0, 0, 1, 1],
         "score": 0.5},
        {"image_id": 1, "category_id": 2, "keypoints": [1, 2, 2, 3, 4, 1, 0, 0, 0],
         "score": 0.25},
    ]
    res_path = tmp_path / "results.json"
    res_path.write_text(json.dumps(results))
    doc = coco_format.read_results(res_path, gt_path)
    assert [a.score for a in doc.annotations] == [0.9, 0.5, 0.25]
    assert doc.annotations[0].shape == Box(1, 2, 3, 4)
    assert isinstance(doc.annotations[1].shape, Mask) and doc.annotations[1].label == "road"
    assert doc.annotations[2].shape == Keypoints([(1, 2), (3, 4), (0, 0)], (2, 1, 0))
    same = read_dataset("coco", res_path, ReadOptions(coco_ground_truth=str(gt_path)))
    assert same.annotations == doc.annotations


def test_multi_part_polygon_reads_as_one_mask(tmp_path: Path) -> None:
    data = {"images": [{"id": 1, "file_name": "x.jpg", "width": 20, "height": 10}],
            "categories": [{"id": 1, "name": "a"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0,
                             "bbox": [0, 0, 12, 4], "area": 8,
                             "segmentation": [[0, 0, 2, 0, 2, 2, 0, 2],
                                              [10, 2, 12, 2, 12, 4, 10, 4]]}]}
    (tmp_path / "instances_x.json").write_text(json.dumps(data))
    doc = read_dataset("coco", tmp_path / "instances_x.json")
    (ann,) = doc.annotations
    assert isinstance(ann.shape, Mask) and ann.shape.area() == 8
    assert doc.images[0].split == "x"


def _big_items(n: int, points: int):
    angles = np.linspace(0, 2 * np.pi, points, endpoint=False)
    for i in range(n):
        name = f"img{i:05d}.jpg"
        r = 5 + 4 * i / n  # every item its own polygon
        ring = list(zip((10 + r * np.cos(angles)).tolist(), (10 + r * np.sin(angles)).tolist(),
                        strict=True))
        yield Item(ImageRecord(name, 20, 20, "train"),
                   [AnnotationRecord(name, "road", Polygon(ring))])


def _peak(fmt: str, out: Path, n: int, points: int) -> int:
    tracemalloc.start()
    try:
        result = write_dataset(fmt, out, CLASSES, _big_items(n, points))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        assert len(result.media) == n


@pytest.mark.parametrize("fmt", ["coco", "datumaro"])
def test_writers_stream(tmp_path: Path, fmt: str) -> None:
    """The writer takes a generator one item at a time: four times the items raise its peak
    memory by far less than the extra items' size (only the media map, the result, grows)."""
    points = 200
    one_item = points * 2 * 32  # two floats of at least 32 bytes each per point
    small = _peak(fmt, tmp_path / "small", 40, points)
    large = _peak(fmt, tmp_path / "large", 160, points)
    assert large - small < 120 * one_item / 10, (small, large)
    doc = read_dataset(fmt, tmp_path / "large")
    assert len(doc.annotations) == 160


def test_cancel_writes_nothing(tmp_path: Path) -> None:
    cancel = threading.Event()
    seen = []

    def progress(done: int, total: int, message: str) -> None:
        seen.append((done, total, message))
        if done == 2:
            cancel.set()

    with pytest.raises(Cancelled):
        write_document("coco", tmp_path / "out", sample_document(), progress=progress,
                       cancel=cancel)
    assert seen[:2] == [(1, 3, "a.jpg"), (2, 3, "b.png")]
    assert list((tmp_path / "out").rglob("*")) == []
