"""Sample label classes and documents covering every shape kind, and a matcher that compares
what a format gave back with what it was documented to give back."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from labelhub.formats import AnnotationRecord, AttributeSpec, ClassSpec, ImageRecord, LabelDocument
from labelhub.geometry import (
    Box,
    Keypoints,
    Mask,
    Points,
    Polygon,
    Polyline,
    RotatedBox,
    Shape,
    Tag,
)

TOL = 1e-6

CAR = ClassSpec(
    1, "car", "#ff0000",
    attributes=(AttributeSpec("parked", "bool"), AttributeSpec("make", "text"),
                AttributeSpec("doors", "int")),
)
PERSON = ClassSpec(
    2, "person", "#00ff00", keypoint_names=("nose", "left eye", "right eye"),
    skeleton=((0, 1), (0, 2)),
)
ROAD = ClassSpec(3, "road", "#0000ff")
SCENE = ClassSpec(5, "day scene")
CLASSES = [CAR, PERSON, ROAD, SCENE]

SIZES = {"a.jpg": (64, 48), "b.png": (40, 30), "sub/c.png": (50, 50)}


def blob_mask(width: int, height: int) -> Mask:
    """A mask with a hole and a separate part."""
    arr = np.zeros((height, width), bool)
    arr[5:20, 10:30] = True
    arr[9:12, 14:17] = False
    arr[25:28, 3:6] = True
    return Mask.from_array(arr)


def sample_document() -> LabelDocument:
    """Three images (splits train, val and none), every shape kind, attributes and groups."""
    images = [
        ImageRecord("a.jpg", 64, 48, "train"),
        ImageRecord("b.png", 40, 30, "val"),
        ImageRecord("sub/c.png", 50, 50, None),
    ]
    anns = [
        AnnotationRecord("a.jpg", "car", Box(1.5, 2.25, 10, 20.125),
                         {"parked": True, "make": "vw", "doors": 4}),
        AnnotationRecord("a.jpg", "car", RotatedBox(30.5, 20, 10, 6, 30)),
        AnnotationRecord("a.jpg", "road", Polygon([(1, 1), (20.5, 3), (10, 30.75)]), group=7),
        AnnotationRecord("a.jpg", "road", Polyline([(0, 47), (20, 40.5), (63, 47)])),
        AnnotationRecord("a.jpg", "road", Points([(5, 5), (6.5, 7)])),
        AnnotationRecord("a.jpg", "road", blob_mask(64, 48)),
        AnnotationRecord("a.jpg", "day scene", Tag()),
        AnnotationRecord("b.png", "person", Keypoints([(10, 10), (12.5, 8), (7, 8)], (2, 1, 2)),
                         group=3),
        AnnotationRecord("b.png", "person", Box(5, 5, 10, 20), group=3),
        AnnotationRecord("b.png", "person", Keypoints([(20, 20), (0, 0), (25, 18)], (2, 0, 2))),
        AnnotationRecord("b.png", "day scene", Tag()),
    ]
    return LabelDocument(list(CLASSES), images, anns)


def corners_close(a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]]) -> bool:
    return len(a) == len(b) and all(
        math.hypot(p[0] - q[0], p[1] - q[1]) <= TOL for p, q in zip(a, b, strict=True))


def shapes_close(a: Shape, b: Shape) -> bool:
    """Same kind and geometry to 1e-6 px."""
    if a.kind != b.kind:
        return False
    if isinstance(a, Box):
        return all(abs(x - y) <= TOL for x, y in zip(a.xyxy(), b.xyxy(), strict=True))
    if isinstance(a, RotatedBox):
        return corners_close(a.corners(), b.corners())
    if isinstance(a, Keypoints):
        return a.visibility == b.visibility and corners_close(a.points, b.points)
    if isinstance(a, Polygon | Polyline | Points):
        return corners_close(a.points, b.points)
    return a == b


def assert_same_annotations(
    expected: Sequence[AnnotationRecord],
    actual: Sequence[AnnotationRecord],
    *,
    attributes: bool = True,
    score: bool = True,
    groups: bool = False,
) -> None:
    """Every expected annotation has its own actual one (image, label, shape to 1e-6 px and,
    when the format holds them, attributes, score, crowd flag and group partition)."""
    left = list(actual)
    pairs = []
    for exp in expected:
        for i, act in enumerate(left):
            if (act.image == exp.image and act.label == exp.label
                    and shapes_close(exp.shape, act.shape)
                    and (not attributes or dict(act.attributes) == dict(exp.attributes))
                    and (not score or act.score == exp.score)):
                pairs.append((exp, act))
                del left[i]
                break
        else:
            raise AssertionError(f"no match for {exp}\namong {left}")
    assert not left, f"unexpected annotations: {left}"
    if groups:
        # The group numbers may change; which annotations share one may not.
        same = {}
        for exp, act in pairs:
            if exp.group is not None:
                assert act.group is not None, f"group lost: {exp}"
                same.setdefault((exp.image, exp.group), set()).add(act.group)
        assert all(len(v) == 1 for v in same.values()), same


def write_png(path: Path, width: int, height: int) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height), (10, 20, 30)).save(path)
