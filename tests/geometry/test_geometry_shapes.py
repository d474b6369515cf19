"""Areas, bounds, corners, translation and validation of the vector shapes."""

import math

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
)

NAN = float("nan")
INF = float("inf")


def test_kinds_are_class_attributes_and_listed():
    kinds = [c.kind for c in (Box, RotatedBox, Polygon, Polyline, Points, Keypoints, Mask, Tag)]
    assert tuple(kinds) == SHAPE_KINDS
    assert SHAPE_KINDS == (
        "box",
        "rotated_box",
        "polygon",
        "polyline",
        "points",
        "keypoints",
        "mask",
        "tag",
    )
    assert Box(0, 0, 1, 1).kind == "box"
    # kind is not a field: it is neither in the repr nor settable through the constructor
    assert "kind" not in repr(Box(0, 0, 1, 1))


def test_shapes_are_immutable_and_hashable():
    b = Box(1, 2, 3, 4)
    with pytest.raises(AttributeError):
        b.x = 5  # type: ignore[misc]
    p = Polygon([[0, 0], [1, 0], [1, 1]])
    assert isinstance(p.points, tuple) and isinstance(p.points[0], tuple)
    assert {b, p, Tag(), Box(1, 2, 3, 4)} == {b, p, Tag()}
    assert not hasattr(b, "__dict__")  # slots


def test_constructor_coerces_and_refuses_non_numbers():
    assert Box(1, 2, 3, 4).x == 1.0 and isinstance(Box(1, 2, 3, 4).x, float)
    with pytest.raises(InvalidInput, match="box x must be a number"):
        Box("1", 2, 3, 4)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"polygon points\[1\] must be an \[x, y\] pair"):
        Polygon([(0, 0), (1, 2, 3), (4, 5)])
    with pytest.raises(InvalidInput, match="must be a number"):
        Points([(True, 1)])


def test_areas():
    assert Box(0, 0, 3, 4).area() == 12
    assert RotatedBox(10, 10, 3, 4, 33).area() == pytest.approx(12)
    square = [(0, 0), (2, 0), (2, 2), (0, 2)]
    assert Polygon(square).area() == 4
    assert Polygon(list(reversed(square))).area() == 4
    assert Polygon(square).signed_area() == -Polygon(list(reversed(square))).signed_area()
    # far from the origin the relative shoelace keeps precision
    far = [(x + 1e9, y + 1e9) for x, y in [(0, 0), (0.5, 0), (0.5, 0.5), (0, 0.5)]]
    assert Polygon(far).area() == pytest.approx(0.25, abs=1e-6)
    assert Polygon([(0, 0), (4, 0), (4, 3)]).area() == 6
    assert Polyline([(0, 0), (3, 4)]).area() == 0
    assert Polyline([(0, 0), (3, 4), (3, 10)]).length() == 11
    assert Points([(1, 1)]).area() == 0
    assert Keypoints([(1, 1), (2, 2)]).area() == 0
    assert Tag().area() == 0


def test_bounds_and_box():
    assert Box(1, 2, 3, 4).bounds() == (1, 2, 4, 6)
    assert Polygon([(1, 5), (4, 2), (3, 9)]).bounds() == (1, 2, 4, 9)
    assert Polygon([(1, 5), (4, 2), (3, 9)]).box() == Box(1, 2, 3, 7)
    assert Polyline([(0, 0), (-1, 3)]).bounds() == (-1, 0, 0, 3)
    assert Points([(5, 6)]).bounds() == (5, 6, 5, 6)
    assert Points([]).bounds() is None
    assert Tag().bounds() is None and Tag().box() is None
    rb = RotatedBox(10, 20, 4, 2, 90)
    x0, y0, x1, y1 = rb.bounds()
    assert (x0, y0, x1, y1) == pytest.approx((9, 18, 11, 22))
    assert rb.box().area() == pytest.approx(8)


def test_keypoint_bounds_use_labelled_points_only():
    kp = Keypoints([(0, 0), (5, 6), (7, 2)], (0, 2, 1))
    assert kp.bounds() == (5, 2, 7, 6)
    assert kp.num_labelled == 2
    assert Keypoints([(0, 0)], (0,)).bounds() is None
    assert Keypoints([(1, 2), (3, 4)]).visibility == (2, 2)


def test_keypoints_flat_round_trip():
    flat = [1.0, 2.0, 2, 0.0, 0.0, 0, 5.5, 6.5, 1]
    kp = Keypoints.from_flat(flat)
    assert kp.points == ((1, 2), (0, 0), (5.5, 6.5)) and kp.visibility == (2, 0, 1)
    assert kp.flat() == flat
    with pytest.raises(InvalidInput, match="triples"):
        Keypoints.from_flat([1, 2])


def test_box_helpers():
    assert Box.from_corners(5, 6, 1, 2) == Box(1, 2, 4, 4)
    assert Box(1, 2, 3, 4).xyxy() == (1, 2, 4, 6)
    assert Box(0, 0, 2, 1).corners() == ((0, 0), (2, 0), (2, 1), (0, 1))
    assert Box(0, 0, 2, 1).to_polygon().area() == 2
    assert Box(-5, 2, 10, 100).clipped(4, 50) == Box(0, 2, 4, 48)
    assert Box(10, 10, 2, 2).clipped(4, 4).area() == 0


def test_rotated_box_corners_follow_the_clockwise_on_screen_convention():
    rb = RotatedBox(10, 20, 4, 2, 0)
    assert rb.corners() == ((8, 19), (12, 19), (12, 21), (8, 21))
    # 90 degrees clockwise on screen (y down): the top-left corner goes to the top-right
    c = RotatedBox(10, 20, 4, 2, 90).corners()
    assert c[0] == pytest.approx((11, 18))
    assert c[1] == pytest.approx((11, 22))
    assert c[2] == pytest.approx((9, 22))
    assert c[3] == pytest.approx((9, 18))
    # the direction of the w side: at 30 degrees it points right and down the image
    c30 = RotatedBox(0, 0, 2, 0.0001, 30).corners()
    dx, dy = c30[1][0] - c30[0][0], c30[1][1] - c30[0][1]
    assert math.degrees(math.atan2(dy, dx)) == pytest.approx(30)
    # the corners keep the area and run clockwise on screen (positive signed shoelace)
    poly = RotatedBox(3, 4, 5, 2, 17).to_polygon()
    assert poly.area() == pytest.approx(10)
    assert poly.signed_area() > 0
    assert RotatedBox.from_box(Box(0, 0, 4, 2)) == RotatedBox(2, 1, 4, 2, 0)
    full_turn = RotatedBox(3, 4, 5, 2, 360).corners()
    for a, b in zip(full_turn, RotatedBox(3, 4, 5, 2, 0).corners(), strict=True):
        assert a == pytest.approx(b)


@pytest.mark.parametrize(
    "shape",
    [
        Box(1, 2, 3, 4),
        RotatedBox(5, 5, 2, 3, 45),
        Polygon([(0, 0), (3, 0), (0, 3)]),
        Polyline([(0, 0), (3, 4)]),
        Points([(1, 1), (2, 5)]),
        Keypoints([(1, 1), (0, 0)], (2, 0)),
    ],
)
def test_translated_moves_bounds(shape):
    moved = shape.translated(2.5, -1)
    assert type(moved) is type(shape)
    b0, b1 = shape.bounds(), moved.bounds()
    assert b1 == pytest.approx((b0[0] + 2.5, b0[1] - 1, b0[2] + 2.5, b0[3] - 1))
    assert moved.area() == pytest.approx(shape.area())
    if isinstance(shape, Keypoints):
        assert moved.visibility == shape.visibility


def test_tag_translated_is_itself():
    assert Tag().translated(3, 4) == Tag()
    assert Tag().validate() == []
    assert Tag().validate(100, 100) == []


# validation ----------------------------------------------------------------------------


def test_valid_shapes_have_no_problems():
    shapes = [
        Box(0, 0, 640, 480),
        Box(0, 0, 640.0000000001, 480),  # rounding noise at the edge is tolerated
        RotatedBox(320, 240, 100, 50, 30),
        Polygon([(0, 0), (640, 0), (640, 480)]),
        Polyline([(0, 0), (10, 10)]),
        Points([(640, 480)]),
        Keypoints([(10, 10), (0, 0), (5, 5)], (2, 0, 1)),
    ]
    for s in shapes:
        assert s.validate() == [], s
        assert s.validate(640, 480) == [], s


def test_box_validation_messages():
    assert Box(0, 0, 0, 5).validate() == ["box width must be positive (got 0)"]
    assert Box(0, 0, 5, -2).validate() == ["box height must be positive (got -2)"]
    assert Box(NAN, 0, 5, INF).validate() == [
        "box x is not a finite number (got nan)",
        "box height is not a finite number (got inf)",
    ]
    assert Box(-1, 0, 5, 5).validate(100, 100) == ["box lies outside the image: left edge x=-1 < 0"]
    assert Box(90, 95, 20, 10.5).validate(100, 100) == [
        "box lies outside the image: right edge x=110 > image width 100",
        "box lies outside the image: bottom edge y=105.5 > image height 100",
    ]
    assert Box(0, -3, 5, 5).validate(image_height=100) == [
        "box lies outside the image: top edge y=-3 < 0"
    ]
    assert Box(0, 0, 5, 5).validate(0, 10) == ["image width must be a positive number (got 0)"]


def test_rotated_box_validation_messages():
    assert RotatedBox(5, 5, 0, 2, 10).validate() == ["rotated box width must be positive (got 0)"]
    assert RotatedBox(5, 5, 2, 2, NAN).validate() == [
        "rotated box angle is not a finite number (got nan)"
    ]
    # axis-aligned it fits, turned by 45 degrees its corners leave a 10 x 10 image
    assert RotatedBox(5, 5, 10, 10, 0).validate(10, 10) == []
    problems = RotatedBox(5, 5, 10, 10, 45).validate(10, 10)
    assert len(problems) == 4 and all("rotated box lies outside the image" in p for p in problems)


def test_point_shape_validation_messages():
    assert Polygon([(0, 0), (1, 1)]).validate() == ["polygon needs at least 3 points (got 2)"]
    assert Polyline([(0, 0)]).validate() == ["polyline needs at least 2 points (got 1)"]
    assert Points([]).validate() == ["points need at least 1 point (got 0)"]
    assert Polygon([(0, 0), (1, NAN), (2, 2), (INF, 0)]).validate() == [
        "polygon has 2 points with a coordinate that is not a finite number (1, 3)"
    ]
    assert Polygon([(0, 0), (1, 1), (2, 2)]).validate() == [
        "polygon has zero area (its points are repeated or on one line)"
    ]
    assert Polyline([(3, 3), (3, 3)]).validate() == [
        "polyline has zero length (all its points are the same)"
    ]
    assert Points([(5, 5), (12, 5)]).validate(10, 10) == [
        "points lie outside the image: right edge x=12 > image width 10"
    ]
    # a self-intersecting polygon is not a problem, even when its shoelace area cancels out
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    assert bowtie.area() == 0
    assert bowtie.validate() == []


def test_keypoint_validation_messages():
    assert Keypoints([(1, 1), (2, 2)], (2, 3)).validate() == [
        "keypoints visibility must be 0, 1 or 2 (got 3 at point 1)"
    ]
    assert Keypoints([(1, 1), (2, 2)], (2,)).validate() == [
        "keypoints have 2 points but 1 visibility values"
    ]
    # an unlabelled point's coordinates are ignored by the image check
    assert Keypoints([(500, 500), (2, 2)], (0, 2)).validate(10, 10) == []
    assert Keypoints([(500, 500), (2, 2)], (1, 2)).validate(10, 10) == [
        "keypoints lie outside the image: right edge x=500 > image width 10",
        "keypoints lie outside the image: bottom edge y=500 > image height 10",
    ]


def test_mask_validation_messages():
    ok = Mask(2, 3, (1, 2, 3))
    assert ok.validate() == [] and ok.validate(3, 2) == []
    assert ok.validate(4, 2) == ["mask width 3 does not match the image width 4"]
    assert ok.validate(3, 5) == ["mask height 2 does not match the image height 5"]
    assert Mask(2, 3, (1, 2, 4)).validate() == [
        "mask counts add up to 7 pixels, but a 2 x 3 mask has 6"
    ]
    assert Mask(2, 3, (6,)).validate() == ["mask has no pixel set"]
    assert Mask(0, 3, (0,)).validate() == ["mask height must be positive (got 0)"]
    assert Mask(2, 3, (3, -1, 4)).validate() == ["mask counts must not be negative (got -1)"]
