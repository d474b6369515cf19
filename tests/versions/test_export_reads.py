"""Exports read most items' boxes grouped, a batch ahead on a thread of their own: the files
are byte for byte those of reading every annotation row by row, whatever the items hold (z
order, attributes, crowds, other shapes, numbers written with an exponent, annotations edited
or deleted after the version), and cancelling stops the reading thread."""

from __future__ import annotations

import json
import random
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from versions_helpers import item_uid, set_split

from labelhub.errors import Cancelled
from labelhub.geometry import Box, Keypoints, Polygon, Tag, box_json_numbers
from labelhub.project import NewAnnotation, Project, box_reads, exchange

#: Image sizes by name; c0..c7 hold boxes only.
SIZES = {**{f"c{i}.png": (64 + i, 48) for i in range(8)}, "z.png": (80, 60), "attrs.png": (70, 50),
         "shapes.png": (60, 60), "tiny.png": (40, 40), "empty.png": (30, 30),
         "edited.png": (90, 90), "gone.png": (50, 40)}
FORMATS = [("coco", {}), ("yolo", {"yolo_task": "detect"}), ("voc", {}), ("cvat", {}),
           ("datumaro", {}), ("labelme", {})]


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Version 1, edits, version 2, more edits, version 3: versions 1 and 2 have rows that
    ended since (edited or deleted), version 3 none."""
    root = tmp_path_factory.mktemp("reads")
    for i, (name, (w, h)) in enumerate(SIZES.items()):
        rng = np.random.default_rng(i)
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(root / name)
    with Project.create(root / "proj", lead="lena") as p:
        p.create_dataset("d")
        p.import_images("d", [root / n for n in SIZES])
        p.add_label_class("d", "car", attributes=[{"name": "make", "type": "text"}])
        p.add_label_class("d", "dog", kinds=["box"])
        p.add_label_class("d", "person", keypoints=["nose", "eye"])
        p.add_label_class("d", "scene", kinds=["tag"])
        gt = p.ground_truth("d").uid
        uid = {name: item_uid(p, "d", name) for name in SIZES}
        for i in range(8):  # boxes only, added in two rounds (ids interleave between images)
            p.add_annotations(gt, uid[f"c{i}.png"], [
                NewAnnotation(("car", "dog")[k % 2], Box(1.5 + k, 2.25 * k, 10.125, 7 + i))
                for k in range(1 + i % 3)])
        for i in range(0, 8, 3):
            p.add_annotations(gt, uid[f"c{i}.png"], [NewAnnotation("dog", Box(0, 0, 64, 48)),
                                                     NewAnnotation("car", Box(1 / 3, 0.1, 2, 3))])
        p.add_annotations(gt, uid["z.png"], [
            NewAnnotation("car", Box(1, 1, 5, 5), z=2), NewAnnotation("car", Box(2, 2, 5, 5)),
            NewAnnotation("dog", Box(3, 3, 5, 5), z=-1)])
        p.add_annotations(gt, uid["attrs.png"], [
            NewAnnotation("car", Box(1, 1, 5, 5), {"make": "vw"}),
            NewAnnotation("dog", Box(2, 2, 5, 5), {"iscrowd": True}),
            NewAnnotation("dog", Box(3, 3, 5, 5))])
        p.add_annotations(gt, uid["shapes.png"], [
            NewAnnotation("car", Polygon(((1, 1), (20, 2), (10, 30)))),
            NewAnnotation("dog", Box(4, 4, 8, 8)),
            NewAnnotation("person", Keypoints(((5, 5), (6, 7)), (2, 1))),
            NewAnnotation("scene", Tag())])
        p.add_annotations(gt, uid["tiny.png"], [NewAnnotation("dog", Box(1e-05, 2, 3, 4)),
                                                NewAnnotation("dog", Box(5, 5, 6, 6))])
        edited = p.add_annotations(gt, uid["edited.png"], [
            NewAnnotation("car", Box(10, 10, 20, 20)), NewAnnotation("dog", Box(30, 30, 5, 5)),
            NewAnnotation("car", Box(50, 50, 5.5, 5))])
        gone = p.add_annotations(gt, uid["gone.png"], [NewAnnotation("car", Box(1, 1, 2, 2))])
        set_split(p, "d", ["c0.png", "c1.png", "c2.png", "z.png", "edited.png"], "train")
        set_split(p, "d", ["c3.png", "attrs.png"], "val")
        p.commit_version("d", "first")
        p.change_annotation(edited[0], shape=Box(11, 11, 20, 20))
        p.delete_annotations([edited[1]])
        p.add_annotations(gt, uid["c1.png"], [NewAnnotation("car", Box(2, 3, 4, 5))])
        p.commit_version("d", "second")
        p.change_annotation(edited[2], shape=Box(51, 51, 5, 5))
        p.change_annotation(gone[0], z=3)
        p.remove_label_class("d", "person", annotations="delete")
        p.commit_version("d", "third")
    return root / "proj"


def _tree(root: Path) -> dict[str, bytes]:
    return {str(f.relative_to(root)): f.read_bytes() for f in sorted(root.rglob("*")) if f.is_file()}


def _export(folder: Path, out: Path, version: int, fmt: str, options: dict) -> dict[str, bytes]:
    with Project.open(folder, user="lena", backup=False) as p:
        p.export_version("d", version, fmt, out, options=options, accept_losses=True)
    return _tree(out)


@pytest.mark.parametrize("threaded", [True, False], ids=["thread", "in-turn"])
@pytest.mark.parametrize("batch", [3, 2000])
def test_grouped_reads_write_the_bytes_of_row_by_row_reads(
        versions: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int,
        threaded: bool) -> None:
    monkeypatch.setattr(exchange, "_BATCH", batch)
    if not threaded:
        monkeypatch.setattr(sqlite3, "threadsafety", 1)
    grouped: dict[int, int] = {1: 0, 2: 0, 3: 0}
    real = exchange.boxes_of
    for version in (1, 2, 3):
        def counting(*args, version: int = version):  # type: ignore[no-untyped-def]
            boxed, names, block, rest = real(*args)
            grouped[version] += len(boxed)
            return boxed, names, block, rest

        for fmt, options in FORMATS:
            name = f"v{version}-{fmt}"
            with monkeypatch.context() as m:
                m.setattr(exchange, "boxes_of", counting)
                fast = _export(versions, tmp_path / f"{name}-grouped", version, fmt, options)
            with monkeypatch.context() as m:
                m.setattr(exchange, "grouped_reads", lambda *a: False)
                slow = _export(versions, tmp_path / f"{name}-rows", version, fmt, options)
            assert fast.keys() == slow.keys()
            for rel in fast:
                assert fast[rel] == slow[rel], (name, rel)
    # Grouped: the images of boxes only (c0..c7), and in version 3 edited.png too (edited
    # since versions 1 and 2); row by row: z, attributes, other shapes, 1e-05, none at all,
    # rows ended since the version.
    assert grouped == {1: 8 * len(FORMATS), 2: 8 * len(FORMATS), 3: 9 * len(FORMATS)}


def test_grouped_reads_keep_z_and_drawing_order(versions: Path, tmp_path: Path) -> None:
    _export(versions, tmp_path / "coco", 2, "coco", {})
    data = json.loads((tmp_path / "coco" / "annotations" / "instances_train.json").read_text())
    images = {im["file_name"]: im["id"] for im in data["images"]}
    z = [a["bbox"] for a in data["annotations"] if a["image_id"] == images["z.png"]]
    assert z == [[3.0, 3.0, 5.0, 5.0], [2.0, 2.0, 5.0, 5.0], [1.0, 1.0, 5.0, 5.0]]
    c1 = [a["bbox"] for a in data["annotations"] if a["image_id"] == images["c1.png"]]
    assert c1 == [[1.5, 0.0, 10.125, 8.0], [2.5, 2.25, 10.125, 8.0], [2.0, 3.0, 4.0, 5.0]]
    edited = [a["bbox"] for a in data["annotations"] if a["image_id"] == images["edited.png"]]
    assert edited == [[50.0, 50.0, 5.5, 5.0], [11.0, 11.0, 20.0, 20.0]]  # an edit's row is newer


def test_a_cancelled_export_stops_its_reading_thread(versions: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exchange, "_BATCH", 2)
    cancel = threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int, message: str) -> None:
        seen.append(done)
        if done >= 5:  # (runs of items are counted a run at a time)
            cancel.set()

    with Project.open(versions, user="lena", backup=False) as p:
        with pytest.raises(Cancelled):
            p.export_version("d", 2, "coco", tmp_path / "out", accept_losses=True,
                             progress=progress, cancel=cancel)
        assert not (tmp_path / "out").exists()
        assert 5 <= max(seen) <= 5 + 2  # stopped within a batch of the cancel
        assert not [t for t in threading.enumerate() if t.name == "labelhub-export-reads"]
        # and the project is still readable, the next export whole
        report = p.export_version("d", 2, "coco", tmp_path / "again", accept_losses=True)
        assert report.items == len(SIZES)


def test_box_lines_take_the_boxes_box_json_numbers_takes() -> None:
    rng = random.Random(4)
    values = [0.0, -0.0, 1.0, 1e-4, 0.00012, 5e-05, 1e15, 9999999999999998.0, 1e16, 1 / 3, 640.0]
    values += [rng.uniform(-1000, 1000) for _ in range(300)]
    values += [rng.random() * 10 ** rng.randint(-9, 18) for _ in range(100)]
    texts = [json.dumps(Box(*values[i:i + 4]).to_dict()) for i in range(len(values) - 3)]
    texts += [json.dumps(Polygon(((0, 0), (4, 0), (0, 3))).to_dict()), json.dumps(Tag().to_dict()),
              '{"kind": "box", "x": 1, "y": 2.0, "w": 3.0, "h": 4.0}',
              '{"kind":"box","x":1.0,"y":2.0,"w":3.0,"h":4.0}',
              '{"kind": "box", "y": 1.0, "x": 2.0, "w": 3.0, "h": 4.0}',
              '{"kind": "box", "x": 1.0, "y": 2.0, "w": 3.0, "h": 4.0, "z": 1.0}',
              '{"kind": "box", "x": 1.0, "y": 2.0, "w": 3.0, "h": 4.0}{"kind": "box", "x": 1.0, '
              '"y": 2.0, "w": 3.0, "h": 4.0}',
              '{"kind": "box", "x": 1.5, "y": 2.0, "w": 3.0, "h": 4.25}']
    found = box_json_numbers(texts)
    taken = [",".join(b) for b in found if b is not None]
    assert 100 < len(taken) < len(texts)
    for text, numbers in zip(texts, found, strict=True):
        lines = box_reads.box_lines([text], 1)
        assert (lines[0] if lines else None) == ([",".join(numbers)] if numbers else None), text
    boxes = [t for t, b in zip(texts, found, strict=True) if b is not None]
    assert box_reads.box_lines(boxes, len(boxes)) == (taken, "\n,".join(taken).encode())
    assert box_reads.box_lines(["\n".join(boxes[:3]), "\n".join(boxes[3:])], len(boxes))[0] == taken
    assert box_reads.box_lines(boxes + texts[-2:-1], len(boxes) + 1) is None
    assert box_reads.box_lines(boxes, len(boxes) - 1) is None
