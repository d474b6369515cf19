"""Write every format, read it back, and compare with what the format is documented to hold:
geometry to 1e-6 px, attributes, scores, groups and splits where the format keeps them."""

from __future__ import annotations

import dataclasses
import filecmp
from pathlib import Path

import pytest
from formats_samples import (
    SIZES,
    assert_same_annotations,
    corners_close,
    sample_document,
    write_png,
)

from labelhub.formats import (
    AnnotationRecord,
    ExportOptions,
    LabelDocument,
    ReadOptions,
    plan_export,
    read_dataset,
    write_document,
)
from labelhub.formats._outline import convex_hull
from labelhub.geometry import Box, Keypoints, Mask, Points, Polygon, RotatedBox


def _zero_unlabelled(kp: Keypoints) -> Keypoints:
    return Keypoints([p if v else (0.0, 0.0) for p, v in zip(kp.points, kp.visibility,
                                                             strict=True)], kp.visibility)


def _expected(target: str, doc: LabelDocument) -> list[AnnotationRecord]:
    """What reading back should give, written from the module documentation."""
    out = []
    by_name = {c.name: c for c in doc.classes}
    for ann in doc.annotations:
        s = ann.shape
        kind = s.kind
        new: list = [s]
        if target == "coco":
            new = {"rotated_box": [Polygon(s.corners())] if kind == "rotated_box" else None,
                   "keypoints": [_zero_unlabelled(s)] if kind == "keypoints" else None,
                   }.get(kind, [s])
            if kind in ("polyline", "points", "tag"):
                new = []
        elif target == "yolo-detect":
            new = [s] if kind == "box" else [s.box()] if kind in (
                "rotated_box", "polygon", "mask") else []
        elif target == "yolo-segment":
            new = ([s] if kind == "polygon" else [Polygon(s.corners())]
                   if kind in ("box", "rotated_box") else ["mask"] if kind == "mask" else [])
        elif target == "yolo-pose":
            new = ([_zero_unlabelled(s)] if kind == "keypoints" else [s] if kind == "box"
                   else [s.box()] if kind in ("rotated_box", "polygon", "mask") else [])
        elif target == "voc":
            new = [s] if kind == "box" else [s.box()] if kind in (
                "rotated_box", "polygon", "mask") else []
        elif target == "labelme":
            if kind == "rotated_box":
                new = [Polygon(s.corners())]
            elif kind == "points":
                new = [Points([p]) for p in s.points]
            elif kind == "keypoints":
                names = by_name[ann.label].keypoint_names
                new = [(Points([p]), names[i]) for i, (p, v) in
                       enumerate(zip(s.points, s.visibility, strict=True)) if v]
        elif target in ("imagenet", "csv", "yolo-classify"):
            new = [s] if kind == "tag" else []
        for shape in new:
            attrs = dict(ann.attributes)
            if isinstance(shape, tuple):
                shape, attrs["description"] = shape
            out.append(dataclasses.replace(ann, shape=shape, attributes=attrs))
    return out


FORMAT_CASES = [
    # (format, options, target, holds attributes, holds scores/groups)
    ("coco", {}, "coco", True, True),
    ("cvat", {}, "cvat", True, True),
    ("datumaro", {}, "datumaro", True, True),
    ("labelme", {}, "labelme", True, True),
    ("voc", {}, "voc", True, False),
    ("yolo", {"yolo_task": "detect"}, "yolo-detect", False, False),
    ("yolo", {"yolo_task": "segment"}, "yolo-segment", False, False),
    ("yolo", {"yolo_task": "pose"}, "yolo-pose", False, False),
    ("imagenet", {}, "imagenet", False, False),
    ("csv", {}, "csv", False, False),
    ("yolo", {"yolo_task": "classify"}, "yolo-classify", False, False),
]


def _strip(doc: LabelDocument, target: str, attributes: bool) -> list[AnnotationRecord]:
    expected = _expected(target, doc)
    if not attributes:
        expected = [dataclasses.replace(a, attributes={}) for a in expected]
    return expected


@pytest.mark.parametrize("fmt,options,target,attributes,extras", FORMAT_CASES,
                         ids=[c[2] for c in FORMAT_CASES])
def test_round_trip(tmp_path: Path, fmt, options, target, attributes, extras) -> None:
    doc = sample_document()
    result = write_document(fmt, tmp_path / "out", doc, options)
    assert result.losses == plan_export(fmt, doc.classes, doc.kind_counts(), options)
    for name, paths in result.media.items():  # the caller's part: copy the images
        for rel in paths:
            write_png(tmp_path / "out" / rel, *SIZES[name])
    back = read_dataset(fmt, tmp_path / "out", ReadOptions(image_sizes=SIZES,
                                                           classes=doc.classes))
    expected = _strip(doc, target, attributes)
    masks = [a for a in expected if a.shape == "mask"]
    expected = [a for a in expected if a.shape != "mask"]
    actual = list(back.annotations)
    for exp in masks:  # a mask written as its outline: the polygon fills the same pixels
        mask = next(a.shape for a in doc.annotations if isinstance(a.shape, Mask))
        found = next(a for a in actual if isinstance(a.shape, Polygon) and a.image == exp.image
                     and Mask.from_polygon(a.shape, mask.height, mask.width) == mask)
        actual.remove(found)
    assert_same_annotations(expected, actual, attributes=attributes, score=extras,
                            groups=extras and target != "coco")
    # images and splits
    names = {im.name for im in back.images}
    if target in ("imagenet", "yolo-classify"):
        tagged = {a.image for a in doc.annotations if a.shape.kind == "tag"}
        assert names == tagged
    else:
        assert names == {im.name for im in doc.images}
    for im in back.images:
        original = next(i for i in doc.images if i.name == im.name)
        assert im.split == original.split
        if target not in ("imagenet", "csv", "yolo-classify"):
            assert (im.width, im.height) == (original.width, original.height)


@pytest.mark.parametrize("fmt,options", [(c[0], c[1]) for c in FORMAT_CASES],
                         ids=[c[2] for c in FORMAT_CASES])
def test_export_is_byte_identical(tmp_path: Path, fmt, options) -> None:
    first = write_document(fmt, tmp_path / "one", sample_document(), options)
    second = write_document(fmt, tmp_path / "two", sample_document(), options)
    assert first.files == second.files
    assert first.media == second.media
    for rel in first.files:
        assert filecmp.cmp(tmp_path / "one" / rel, tmp_path / "two" / rel, shallow=False), rel
    listed = sorted(p.relative_to(tmp_path / "one").as_posix()
                    for p in (tmp_path / "one").rglob("*") if p.is_file())
    assert listed == first.files  # nothing else left behind (no staging folder)


def test_classes_round_trip_where_held(tmp_path: Path) -> None:
    doc = sample_document()
    for fmt in ("coco", "cvat", "datumaro"):
        write_document(fmt, tmp_path / fmt, doc)
        back = read_dataset(fmt, tmp_path / fmt)
        assert [c.name for c in back.classes] == [c.name for c in doc.classes]
        person = next(c for c in back.classes if c.name == "person")
        assert person.keypoint_names == ("nose", "left eye", "right eye")
        assert person.skeleton == ((0, 1), (0, 2))
    for fmt in ("cvat", "datumaro", "voc"):
        back = read_dataset(fmt, tmp_path / fmt) if fmt != "voc" else None
        if back is None:
            write_document("voc", tmp_path / "voc", doc)
            back = read_dataset("voc", tmp_path / "voc")
        assert [c.color for c in back.classes] == [c.color for c in doc.classes]
    back = read_dataset("coco", tmp_path / "coco")
    assert [c.id for c in back.classes] == [c.id for c in doc.classes]
    cvat = read_dataset("cvat", tmp_path / "cvat")
    assert cvat.classes[0].attributes == doc.classes[0].attributes[:0] + tuple(
        dataclasses.replace(a, type="float" if a.type == "int" else a.type)
        for a in doc.classes[0].attributes)


def test_obb_round_trip(tmp_path: Path) -> None:
    doc = sample_document()
    write_document("yolo", tmp_path, doc, {"yolo_task": "obb"})
    back = read_dataset("yolo", tmp_path, ReadOptions(image_sizes=SIZES))
    rboxes = [a.shape for a in back.annotations if isinstance(a.shape, RotatedBox)]
    originals = {a.shape.kind: a.shape for a in doc.annotations}
    # the rotated box and the box come back exactly
    assert any(corners_close(r.corners(), originals["rotated_box"].corners()) for r in rboxes)
    assert any(corners_close(r.corners(), originals["box"].corners()) for r in rboxes)
    # the polygon and the mask become rectangles enclosing them, no larger than their boxes
    for kind in ("polygon", "mask"):
        shape = originals[kind]
        pts = shape.points if kind == "polygon" else [
            (x, y) for x, y in convex_hull(_mask_corners(shape))]
        box = shape.box()
        fits = [r for r in rboxes if r.area() <= box.area() + 1e-6 and all(
            Polygon(r.corners()).area() > 0 and _inside(p, r) for p in pts)]
        assert fits, kind
    assert len(rboxes) == 5  # box, rotated box, polygon, mask and the person's box


def _mask_corners(mask: Mask) -> list[tuple[float, float]]:
    arr = mask.to_array()
    rows, cols = arr.nonzero()
    return [(c + dx, r + dy) for r, c in zip(rows, cols, strict=True)
            for dx in (0, 1) for dy in (0, 1)]


def _inside(p: tuple[float, float], r: RotatedBox) -> bool:
    import math

    a = math.radians(r.angle)
    dx, dy = p[0] - r.cx, p[1] - r.cy
    u = dx * math.cos(a) + dy * math.sin(a)
    v = -dx * math.sin(a) + dy * math.cos(a)
    return abs(u) <= r.w / 2 + 1e-6 and abs(v) <= r.h / 2 + 1e-6


def test_labelme_oriented_rectangles(tmp_path: Path) -> None:
    doc = sample_document()
    opts = ExportOptions(labelme_oriented_rectangles=True)
    result = write_document("labelme", tmp_path, doc, opts)
    assert not any(loss.kind == "rotated_box" for loss in result.losses)
    back = read_dataset("labelme", tmp_path)
    rotated = [a.shape for a in back.annotations if isinstance(a.shape, RotatedBox)]
    original = next(a.shape for a in doc.annotations if isinstance(a.shape, RotatedBox))
    assert len(rotated) == 1 and corners_close(rotated[0].corners(), original.corners())


def test_yolo_reads_sizes_from_image_files(tmp_path: Path) -> None:
    doc = sample_document()
    result = write_document("yolo", tmp_path, doc, {"yolo_task": "detect"})
    for name, paths in result.media.items():
        for rel in paths:
            write_png(tmp_path / rel, *SIZES[name])
    back = read_dataset("yolo", tmp_path)
    assert {(im.name, im.width, im.height) for im in back.images} == {
        (n, w, h) for n, (w, h) in SIZES.items()}
    assert back.media == {n: p[0] for n, p in result.media.items()}
    boxes = [a.shape for a in back.annotations if a.label == "car"]
    assert any(isinstance(b, Box) and abs(b.x - 1.5) < 1e-6 for b in boxes)


def test_yolo_task_is_picked_from_the_shapes(tmp_path: Path) -> None:
    doc = sample_document()
    result = write_document("yolo", tmp_path, doc)  # keypoints present: pose
    assert "kpt_shape: [3, 3]" in (tmp_path / "data.yaml").read_text()
    assert any(loss.kind == "polyline" and loss.action == "dropped" for loss in result.losses)
