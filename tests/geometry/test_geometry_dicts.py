"""Dict round trips, refusal of malformed dicts, and packing to arrays."""

import json

import numpy as np
import pytest

from labelhub.errors import InvalidInput
from labelhub.geometry import (
    SHAPE_KINDS,
    Box,
    Keypoints,
    Mask,
    Points,
    Polygon,
    Polyline,
    RotatedBox,
    Tag,
    boxes_xywh,
    boxes_xyxy,
    pack_boxes,
    polygon_array,
    shape_from_dict,
    shape_to_dict,
    unpack_boxes,
)

EXAMPLES = [
    Box(1.5, 2, 3, 4),
    RotatedBox(10, 20, 4, 2, -12.5),
    Polygon([(0, 0), (4, 0), (4, 3)]),
    Polyline([(0, 0), (1, 1), (2, 0)]),
    Points([(3, 4)]),
    Keypoints([(1, 2), (0, 0), (5, 6)], (2, 0, 1)),
    Mask.from_array(np.arange(30).reshape(5, 6) % 7 < 3),
    Tag(),
]


def test_examples_cover_every_kind():
    assert sorted(s.kind for s in EXAMPLES) == sorted(SHAPE_KINDS)


@pytest.mark.parametrize("shape", EXAMPLES, ids=lambda s: s.kind)
def test_dict_round_trip_through_json(shape):
    d = shape.to_dict()
    assert d["kind"] == shape.kind
    text = json.dumps(d, allow_nan=False)  # strictly JSON-safe
    back = shape_from_dict(json.loads(text))
    assert back == shape
    assert type(back) is type(shape)
    assert shape_to_dict(shape) == d


def test_invalid_but_well_formed_shapes_round_trip_too():
    for shape in (Box(0, 0, -1, 0), Polygon([(0, 0), (1, 1)]), Mask(2, 2, (1, 1, 5))):
        assert shape_from_dict(shape.to_dict()) == shape
        assert shape.validate()


def test_mask_dict_accepts_uncompressed_counts_and_writes_compressed():
    d = {"kind": "mask", "height": 2, "width": 3, "counts": [1, 2, 3]}
    m = shape_from_dict(d)
    assert m == Mask(2, 3, (1, 2, 3))
    assert isinstance(m.to_dict()["counts"], str)


def test_optional_fields():
    assert shape_from_dict({"kind": "rotated_box", "cx": 1, "cy": 2, "w": 3, "h": 4}) == (
        RotatedBox(1, 2, 3, 4, 0)
    )
    kp = shape_from_dict({"kind": "keypoints", "points": [[1, 2]]})
    assert kp == Keypoints([(1, 2)], (2,))


@pytest.mark.parametrize(
    "data, message",
    [
        ([1, 2, 3], 'a shape must be an object with a "kind", got list'),
        ({}, 'a shape needs a "kind"'),
        ({"kind": "circle"}, "unknown shape kind 'circle'; expected one of box, rotated_box"),
        ({"kind": "box", "x": 1, "y": 2, "w": 3}, "box shape is missing 'h'"),
        ({"kind": "box", "x": 1, "y": 2, "w": 3, "h": 4, "wdith": 3}, "unexpected 'wdith'"),
        ({"kind": "box", "x": "1", "y": 2, "w": 3, "h": 4}, "box x must be a number, got '1'"),
        ({"kind": "box", "x": None, "y": 2, "w": 3, "h": 4}, "box x must be a number"),
        ({"kind": "box", "x": True, "y": 2, "w": 3, "h": 4}, "box x must be a number"),
        (
            {"kind": "rotated_box", "cx": 1, "cy": 2, "w": 3, "h": 4, "angle": "90"},
            "rotated box angle must be a number",
        ),
        ({"kind": "polygon", "points": "0,0 1,1"}, "polygon points must be a list of [x, y]"),
        ({"kind": "polygon", "points": [0, 0, 1, 1, 2, 0]}, "polygon points[0] must be an [x, y]"),
        ({"kind": "polyline", "points": [[0, 0], [1]]}, "polyline points[1] must be an [x, y]"),
        ({"kind": "points", "points": [[0, "a"]]}, "points points[0].y must be a number"),
        (
            {"kind": "keypoints", "points": [[0, 0]], "visibility": [1.5]},
            "keypoints visibility[0] must be a whole number",
        ),
        (
            {"kind": "keypoints", "points": [[0, 0], [1, 1]], "visibility": [2]},
            "keypoints have 2 points but 1 visibility values",
        ),
        ({"kind": "mask", "height": 2, "width": 3}, "mask shape is missing 'counts'"),
        ({"kind": "mask", "height": "2", "width": 3, "counts": [6]}, "mask height must be a whole"),
        ({"kind": "mask", "height": 2, "width": 3, "counts": 6}, "mask counts must be a list"),
        ({"kind": "mask", "height": 2, "width": 3, "counts": ["6"]}, "mask counts[0] must be"),
        ({"kind": "mask", "height": 2, "width": 3, "counts": "6 "}, "invalid character ' '"),
        ({"kind": "mask", "height": 2, "width": 3, "counts": "P"}, "ends in the middle"),
        ({"kind": "tag", "label": "cat"}, "tag shape has unexpected 'label'"),
    ],
)
def test_malformed_dicts_are_refused(data, message):
    with pytest.raises(InvalidInput) as err:
        shape_from_dict(data)
    assert message in str(err.value)


def test_pack_boxes():
    shapes = [Box(1, 2, 3, 4), Polygon([(0, 0), (4, 0), (4, 3)]), Mask(2, 2, (3, 1))]
    arr = pack_boxes(shapes)
    assert arr.dtype == np.float64 and arr.shape == (3, 4)
    np.testing.assert_array_equal(arr, [[1, 2, 3, 4], [0, 0, 4, 3], [1, 1, 1, 1]])
    np.testing.assert_array_equal(boxes_xyxy(arr), [[1, 2, 4, 6], [0, 0, 4, 3], [1, 1, 2, 2]])
    np.testing.assert_array_equal(boxes_xywh(boxes_xyxy(arr)), arr)
    assert unpack_boxes(arr)[0] == Box(1, 2, 3, 4)
    assert pack_boxes([]).shape == (0, 4)
    assert boxes_xyxy(np.zeros((0, 4))).shape == (0, 4)
    # the input array is not modified
    before = arr.copy()
    boxes_xyxy(arr)
    np.testing.assert_array_equal(arr, before)


def test_pack_boxes_refuses_shapes_without_extent():
    with pytest.raises(InvalidInput, match=r"shape 1 \(tag\) has no extent"):
        pack_boxes([Box(0, 0, 1, 1), Tag()])
    with pytest.raises(InvalidInput, match=r"\(N, 4\) array"):
        boxes_xyxy(np.zeros((3, 2)))


def test_polygon_array():
    arr = polygon_array(Polygon([(0, 0), (4, 0), (4, 3)]))
    assert arr.dtype == np.float64 and arr.shape == (3, 2)
    np.testing.assert_array_equal(arr, [[0, 0], [4, 0], [4, 3]])
    assert polygon_array(Box(0, 0, 2, 1)).shape == (4, 2)
    assert polygon_array(Points([])).shape == (0, 2)
    with pytest.raises(InvalidInput, match="tag has no vertices"):
        polygon_array(Tag())  # type: ignore[arg-type]
