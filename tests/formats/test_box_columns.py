"""Boxes handed to the writers as columns of a block (how a project hands over millions of
them) write the very bytes their records write in every format; the block's numbers and
areas are exactly Python's; the writers remember images on disk and still find an image given
twice, in any order."""

from __future__ import annotations

import filecmp
import json
import random
import struct
from pathlib import Path

import numpy as np
import pytest
from formats_samples import sample_document
from test_roundtrip import FORMAT_CASES
from test_stored import _without_score_and_group

from labelhub.formats import (
    AnnotationRecord,
    BoxBlock,
    ClassSpec,
    ImageRecord,
    Item,
    LabelDocument,
    ProblemsFound,
    StoredAnnotations,
    _spill,
    write_dataset,
)
from labelhub.formats._common import num, num_texts
from labelhub.geometry import Box, Tag, box_json_numbers


def _columns(doc: LabelDocument) -> tuple[list[Item], int]:
    """The document's items as a store hands them over: the images whose annotations are all
    boxes without attributes as columns of one block shared by all, the others as entries;
    and how many images came as columns."""
    items, lines, as_columns = [], [], 0
    block = BoxBlock(lines)
    for item in doc.items():
        anns = item.annotations
        texts = [json.dumps(a.shape.to_dict()) for a in anns]
        boxes = box_json_numbers(texts)
        if anns and all(b is not None and not a.attributes and not a.iscrowd
                        for a, b in zip(anns, boxes, strict=True)):
            start = len(lines)
            lines += [",".join(b) for b in boxes]  # type: ignore[arg-type]
            stored = StoredAnnotations.boxes(item.image.name, [a.label for a in anns], block,
                                             start, checked=True)
            as_columns += 1
        else:
            entries = [(a.label, t, b, dict(a.attributes) or None, a.iscrowd)
                       for a, t, b in zip(anns, texts, boxes, strict=True)]
            stored = StoredAnnotations(item.image.name, entries, False, True)
        items.append(Item(item.image, stored))
    return items, as_columns


def _boxes_document() -> LabelDocument:
    """Boxes with every kind of number (whole, 17 digits, tiny, -0.0), on images of three
    splits; on one image a number below 1e-4 (written with an exponent), on one attributes,
    on one a crowd; one image without any."""
    rng = random.Random(11)
    classes = [ClassSpec(1, "car"), ClassSpec(2, "bike"), ClassSpec(3, "bus")]
    images = [ImageRecord(f"im{i:02d}.png", 640, 480, ("train", "val", None)[i % 3])
              for i in range(24)]
    anns = []
    for k in range(200):
        image = images[(k * 7) % 23]  # the last image has none
        x = [rng.uniform(0, 300), round(rng.uniform(0, 300), 2), float(rng.randint(0, 300)),
             -0.0, 1 / 3, 0.0001][k % 6]
        if image.name == "im04.png":
            x = 1e-05
        w, h = rng.uniform(0.5, 300), [30.0, rng.uniform(1e-3, 1), 0.0001, 7.0][k % 4]
        attributes = {"note": "x"} if image.name == "im05.png" else {}
        anns.append(AnnotationRecord(image.name, classes[k % 3].name,
                                     Box(x, rng.uniform(0, 200), w, h), attributes,
                                     iscrowd=image.name == "im06.png"))
    return LabelDocument(classes, images, anns)


@pytest.mark.parametrize("fmt,options", [(c[0], c[1]) for c in FORMAT_CASES
                                         if c[1].get("yolo_task") != "pose"],
                         ids=[c[2] for c in FORMAT_CASES if c[1].get("yolo_task") != "pose"])
def test_boxes_as_columns_write_the_bytes_of_their_records(tmp_path: Path, fmt, options) -> None:
    for name, doc in (("boxes", _boxes_document()), ("sample", _without_score_and_group(
            sample_document()))):
        kinds = doc.kind_counts()
        records = write_dataset(fmt, tmp_path / name / "records", doc.classes, list(doc.items()),
                                options, kind_counts=kinds)
        items, as_columns = _columns(doc)
        assert as_columns >= (19 if name == "boxes" else 0)
        stored = write_dataset(fmt, tmp_path / name / "columns", doc.classes, iter(items),
                               options, kind_counts=kinds)
        assert stored.files == records.files and stored.losses == records.losses
        assert stored.sha256 == records.sha256 and stored.media == records.media
        for rel in records.files:
            assert filecmp.cmp(tmp_path / name / "records" / rel, tmp_path / name / "columns" / rel,
                               shallow=False), (name, rel)


def test_columns_look_like_their_records() -> None:
    doc = _boxes_document()
    items, _ = _columns(doc)
    for item, stored in zip(doc.items(), items, strict=True):
        assert list(stored.annotations) == list(item.annotations)
        if item.annotations:
            entries = stored.annotations.entries
            assert [e[1] for e in entries] == [json.dumps(a.shape.to_dict()) for a in item.annotations]


def test_a_block_reads_its_numbers_as_python_does() -> None:
    rng = random.Random(5)
    values = []
    for k in range(60_000):
        kind = k % 5
        if kind == 0:
            v = rng.uniform(0, 5000)
        elif kind == 1:
            v = round(rng.uniform(-50, 5000), rng.randint(0, 6))
        elif kind == 2:  # any double with a plain decimal repr, 17 digits included
            v = struct.unpack("d", struct.pack("Q", rng.getrandbits(62) | 0x3F00000000000000))[0]
        elif kind == 3:
            v = rng.randint(0, 2**53) / 2 ** rng.randint(0, 60)
        else:
            v = rng.uniform(0, 1) * 10 ** rng.randint(-4, 15)
        values.append(v)
    texts = [repr(v) for v in values if "e" not in repr(v)]
    texts = texts[:len(texts) // 4 * 4]
    lines = [",".join(texts[i:i + 4]) for i in range(0, len(texts), 4)]
    block = BoxBlock(lines)
    assert block.values().ravel().tolist() == [float(t) for t in texts]
    assert block.rows() == [[float(t) for t in texts[i:i + 4]] for i in range(0, len(texts), 4)]
    assert block.areas() == [repr(float(texts[i + 2]) * float(texts[i + 3]))
                             for i in range(0, len(texts), 4)]
    # the areas of a part, read from w and h alone (numpy's text reader), in any order
    fresh = BoxBlock(lines)
    order = np.array(list(reversed(range(len(lines) - 10))))
    assert fresh.area_texts(5, len(lines) - 5, order) == [block.areas()[5:-5][k] for k in order]
    assert BoxBlock(lines).area_texts(0, len(lines)) == block.areas()
    assert BoxBlock([]).area_texts(0, 0) == []
    # given the lines joined as a project reads them, the same numbers
    assert (BoxBlock(lines, "\n,".join(lines).encode()).values() == block.values()).all()
    with pytest.raises(ValueError, match="four numbers"):
        BoxBlock(["1.0,2.0,3.0"]).values()


def test_num_texts_are_num_of_each_value() -> None:
    rng = random.Random(2)
    values = [0.0, -0.0, 1.0, -3.0, 2.5, 1e15, 1e15 - 1, -(1e15 - 1), 9e15, 1e16, 1e17,
              float("inf"), -float("inf"), float("nan"), 0.1 + 0.2, 123456789.0, 1e-05, -1e-300]
    values += [rng.uniform(-1e3, 1e3) for _ in range(500)]
    values += [float(rng.randint(-10**6, 10**6)) for _ in range(500)]
    assert num_texts(np.array(values)) == [num(v) for v in values]
    assert num_texts(np.zeros(0)) == []


def test_an_image_given_twice_is_found_in_any_order(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_spill, "_SPILL_AT", 3)  # names and places go to disk three at a time
    classes = [ClassSpec(1, "car")]

    def items(names: list[str]) -> list[Item]:
        return [Item(ImageRecord(n, 10, 10), []) for n in names]

    for names in (["a.jpg", "b.jpg", "b.jpg"], ["a.jpg", "c.jpg", "b.jpg", "a.jpg"],
                  ["c.jpg", "a.jpg", "c.jpg"], [f"{i}.jpg" for i in range(10)] + ["3.jpg"]):
        for fmt in ("coco", "voc"):
            with pytest.raises(ProblemsFound, match="listed twice") as err:
                write_dataset(fmt, tmp_path / f"{fmt}-{len(names)}-{names[0]}", classes, iter(items(names)))
            assert [p.image for p in err.value.problems] == [names[-1]]
    # the same images in another order: the same media map, sorted by name
    names = [f"img{i:03d}.jpg" for i in range(40)]
    shuffled = names[:]
    random.Random(1).shuffle(shuffled)
    ordered = write_dataset("coco", tmp_path / "ordered", classes, iter(items(names)))
    other = write_dataset("coco", tmp_path / "other", classes, iter(items(shuffled)))
    assert list(ordered.media) == names and list(other.media) == names
    assert ordered.media == other.media == {n: [f"images/default/{n}"] for n in names}
    # an image in several class folders, one of them with a line break in its name
    classes = [ClassSpec(1, "cat"), ClassSpec(2, "dog"), ClassSpec(3, "dog\nhouse")]
    labels = {n: ["cat", "dog\nhouse" if n == names[4] else "dog"] for n in names[:6]}
    folders = write_dataset("imagenet", tmp_path / "folders", classes, iter([
        Item(ImageRecord(n, 10, 10), [AnnotationRecord(n, label, Tag()) for label in labels[n]])
        for n in names[:6]]))
    assert folders.media == {n: [f"{label}/{n}" for label in labels[n]] for n in names[:6]}

