"""Attribute values that read as "nothing" (false, 0, an empty text) come back from every format
that keeps attributes as they went in, including the names a format writes in a place of its
own (CVAT's occluded and z_order, Pascal VOC's flags and pose, labelme's description)."""

from __future__ import annotations

from pathlib import Path

import pytest

from labelhub.formats import (
    AnnotationRecord,
    AttributeSpec,
    ClassSpec,
    ImageRecord,
    LabelDocument,
    ReadOptions,
    read_dataset,
    write_document,
)
from labelhub.geometry import Box, Polygon, Tag

CAR = ClassSpec(1, "car", attributes=(
    AttributeSpec("parked", "bool"), AttributeSpec("doors", "int"), AttributeSpec("length", "float"),
    AttributeSpec("make", "text"), AttributeSpec("colour", "select", ("red", "blue")),
    AttributeSpec("occluded", "bool"), AttributeSpec("truncated", "bool"),
    AttributeSpec("difficult", "bool"), AttributeSpec("pose", "text"),
    AttributeSpec("z_order", "int"), AttributeSpec("description", "text")))
SCENE = ClassSpec(2, "scene", attributes=(AttributeSpec("night", "bool"),))

#: Each annotation's attributes: falsy values, then the same names set, then nothing at all.
FALSY = {"parked": False, "doors": 0, "length": 0.0, "make": "", "occluded": False,
         "truncated": False, "difficult": False, "pose": "", "z_order": 0, "description": ""}
SET = {"parked": True, "doors": 4, "length": 4.5, "make": "vw", "colour": "red",
       "occluded": True, "truncated": True, "difficult": True, "pose": "Left", "z_order": 2,
       "description": "front"}
UNSPECIFIED = {"pose": "Unspecified", "doors": -1}


def _document(boxes_only: bool) -> LabelDocument:
    anns = [AnnotationRecord("a.jpg", "car", Box(1, 2, 10, 20), dict(FALSY)),
            AnnotationRecord("a.jpg", "car", Box(5, 5, 10, 10), dict(SET)),
            AnnotationRecord("a.jpg", "car", Box(7, 8, 9, 10), dict(UNSPECIFIED)),
            AnnotationRecord("a.jpg", "car", Box(3, 3, 5, 5), {})]
    if not boxes_only:
        anns += [AnnotationRecord("a.jpg", "car", Polygon(((1, 1), (30, 2), (10, 40))),
                                  {"parked": False, "doors": 0, "make": ""}),
                 AnnotationRecord("a.jpg", "scene", Tag(), {"night": False})]
    return LabelDocument([CAR, SCENE], [ImageRecord("a.jpg", 64, 48, "train")], anns)


@pytest.mark.parametrize("fmt", ["coco", "cvat", "datumaro", "labelme", "voc"])
def test_false_zero_and_empty_attributes_round_trip(tmp_path: Path, fmt: str) -> None:
    doc = _document(boxes_only=fmt in ("coco", "voc"))
    write_document(fmt, tmp_path / "out", doc)
    back = read_dataset(fmt, tmp_path / "out", ReadOptions(image_sizes={"a.jpg": (64, 48)},
                                                           classes=doc.classes))
    want = sorted((a.label, repr(a.shape), sorted(a.attributes.items())) for a in doc.annotations)
    got = sorted((a.label, repr(a.shape), sorted(a.attributes.items())) for a in back.annotations)
    assert got == want
    for a in back.annotations:  # the types as well: False is not 0, 0 is not ""
        original = next(o for o in doc.annotations if repr(o.shape) == repr(a.shape))
        assert {k: type(v) for k, v in a.attributes.items()} == {
            k: type(v) for k, v in original.attributes.items()}, fmt
