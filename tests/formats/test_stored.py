"""Stored annotations (the shape as JSON text, a box's numbers as their texts) write the very
bytes their records write, in every format, with the same loss tally; a bad stored box is
refused as a record would be."""

from __future__ import annotations

import dataclasses
import filecmp
import json
import random
from pathlib import Path

import pytest
from formats_samples import sample_document
from test_roundtrip import FORMAT_CASES

from labelhub.formats import (
    AnnotationRecord,
    ClassSpec,
    ImageRecord,
    Item,
    LabelDocument,
    ProblemsFound,
    StoredAnnotations,
    write_dataset,
)
from labelhub.geometry import Box, box_json_numbers


def _stored(doc: LabelDocument, *, checked: bool) -> list[Item]:
    """The document's items with their annotations as a store would hand them over."""
    out = []
    for item in doc.items():
        anns = item.annotations
        texts = [json.dumps(a.shape.to_dict()) for a in anns]
        entries = [(a.label, text, box, dict(a.attributes) or None, a.iscrowd)
                   for a, text, box in zip(anns, texts, box_json_numbers(texts), strict=True)]
        plain = all(e[2] is not None and not e[3] for e in entries)
        out.append(Item(item.image, StoredAnnotations(item.image.name, entries, plain, checked)))
    return out


def _without_score_and_group(doc: LabelDocument) -> LabelDocument:
    """Stored annotations carry neither (a project's ground truth has none)."""
    anns = [dataclasses.replace(a, score=None, group=None) for a in doc.annotations]
    return LabelDocument(doc.classes, doc.images, anns)


def _boxes_document(n: int = 300) -> LabelDocument:
    """Boxes with every kind of number a box can hold (whole, short, 17 digits, tiny, -0.0),
    some with attributes or the crowd flag."""
    rng = random.Random(7)
    classes = [ClassSpec(1, "car"), ClassSpec(2, "bike")]
    images = [ImageRecord(f"img{i}.jpg", 640, 480, ("train", "val", None)[i % 3]) for i in range(30)]
    anns = []
    for k in range(n):
        x = [rng.uniform(0, 300), round(rng.uniform(0, 300), 2), float(rng.randint(0, 300)),
             1e-05, -0.0, 1 / 3][k % 6]
        y = rng.uniform(0, 200)
        w, h = rng.uniform(0.5, 300), [30.0, rng.uniform(1e-3, 1), 0.0001][k % 3]
        attrs = {"note": "x", "iscrowd": True} if k % 17 == 0 else {}
        anns.append(AnnotationRecord(images[k % 30].name, classes[k % 2].name, Box(x, y, w, h),
                                     attrs, iscrowd=k % 17 == 0))
    return LabelDocument(classes, images, anns)


@pytest.mark.parametrize("checked", [True, False], ids=["checked", "unchecked"])
@pytest.mark.parametrize("fmt,options", [(c[0], c[1]) for c in FORMAT_CASES],
                         ids=[c[2] for c in FORMAT_CASES])
def test_stored_annotations_write_the_bytes_of_their_records(tmp_path: Path, fmt, options,
                                                             checked: bool) -> None:
    docs = [("sample", _without_score_and_group(sample_document()))]
    if options.get("yolo_task") != "pose":  # pose needs a class with keypoints
        docs.append(("boxes", _boxes_document()))
    for name, doc in docs:
        kinds = doc.kind_counts()
        records = write_dataset(fmt, tmp_path / name / "records", doc.classes, list(doc.items()),
                                options, kind_counts=kinds)
        stored = write_dataset(fmt, tmp_path / name / "stored", doc.classes,
                               _stored(doc, checked=checked), options, kind_counts=kinds)
        assert stored.files == records.files and stored.media == records.media
        assert stored.losses == records.losses
        assert stored.sha256 == records.sha256
        for rel in records.files:
            assert filecmp.cmp(tmp_path / name / "records" / rel, tmp_path / name / "stored" / rel,
                               shallow=False), (name, rel)


def test_a_stored_box_outside_its_image_is_refused_unless_checked(tmp_path: Path) -> None:
    classes = [ClassSpec(1, "car")]
    image = ImageRecord("a.jpg", 64, 48)
    text = json.dumps(Box(60.0, 5.0, 10.0, 10.0).to_dict())  # its right edge is at 70 > 64
    entries = [("car", text, box_json_numbers([text])[0], None, False)]
    with pytest.raises(ProblemsFound, match="right edge x=70 > image width 64"):
        write_dataset("coco", tmp_path / "unchecked", classes,
                      [Item(image, StoredAnnotations("a.jpg", list(entries), True))])
    assert not (tmp_path / "unchecked" / "annotations").exists()
    # A store that checked its boxes when it stored them is taken at its word.
    result = write_dataset("coco", tmp_path / "checked", classes,
                           [Item(image, StoredAnnotations("a.jpg", list(entries), True, True))])
    assert result.files == ["annotations/instances_default.json"]


def test_stored_annotations_look_like_their_records() -> None:
    doc = _without_score_and_group(sample_document())
    for item, stored in zip(doc.items(), _stored(doc, checked=True), strict=True):
        assert list(stored.annotations) == list(item.annotations)
        assert len(stored.annotations) == len(item.annotations)
        if item.annotations:
            assert stored.annotations[-1] == item.annotations[-1]
            assert stored.annotations[:2] == list(item.annotations[:2])
