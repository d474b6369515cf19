"""Vector shapes: box, rotated box, polygon, polyline, points, keypoints and the image tag.

Every shape is an immutable value (frozen dataclass with slots) carrying a ``kind`` class
attribute, and offers ``area()``, ``bounds()``, ``translated(dx, dy)``, ``validate(...)`` and
``to_dict()``. Constructors only coerce types (lists become tuples, ints become floats); they
accept geometrically wrong values such as a negative width or a NaN so that an importer can
build the shape and then report *every* problem at once through ``validate``.

Coordinates are continuous image coordinates in pixels, origin at the top-left corner of the
image, x to the right, y downwards (see :mod:`labelhub.geometry._common`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from labelhub.errors import InvalidInput
from labelhub.geometry._common import (
    EDGE_TOLERANCE,
    Point,
    as_float,
    as_ints,
    as_points,
    check_finite,
    check_image_size,
    check_inside,
    check_points_finite,
    collinear,
    fmt,
    points_extent,
    shoelace,
    verb,
)

Bounds = tuple[float, float, float, float]
_INF = math.inf


def _points_json(points: Sequence[Point]) -> list[list[float]]:
    return [[x, y] for x, y in points]


@dataclass(frozen=True, slots=True)
class Box:
    """Axis-aligned box: top-left corner (``x``, ``y``), width ``w`` and height ``h``.

    The same convention as a COCO ``bbox``: a box covering a whole W x H image is
    ``Box(0, 0, W, H)``.
    """

    kind: ClassVar[str] = "box"
    x: float
    y: float
    w: float
    h: float

    def __post_init__(self) -> None:
        if type(self.x) is type(self.y) is type(self.w) is type(self.h) is float:
            return  # nothing to coerce (the common case: keep it cheap)
        for name in ("x", "y", "w", "h"):
            object.__setattr__(self, name, as_float(getattr(self, name), f"box {name}"))

    @classmethod
    def from_corners(cls, x0: float, y0: float, x1: float, y1: float) -> Box:
        """The box spanned by two opposite corners, given in any order."""
        return cls(min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0))

    def xyxy(self) -> Bounds:
        """(left, top, right, bottom)."""
        return (self.x, self.y, self.x + self.w, self.y + self.h)

    def area(self) -> float:
        """``w * h``."""
        return self.w * self.h

    def bounds(self) -> Bounds:
        """(x0, y0, x1, y1): the box itself."""
        return self.xyxy()

    def box(self) -> Box:
        """The box itself (so every shape with geometry answers ``box()``)."""
        return self

    def translated(self, dx: float, dy: float) -> Box:
        """The box moved by (dx, dy)."""
        return Box(self.x + dx, self.y + dy, self.w, self.h)

    def corners(self) -> tuple[Point, Point, Point, Point]:
        """Top-left, top-right, bottom-right, bottom-left (clockwise on screen)."""
        x0, y0, x1, y1 = self.xyxy()
        return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))

    def to_polygon(self) -> Polygon:
        """The box as a four-point polygon (corners in the order of :meth:`corners`)."""
        return Polygon(self.corners())

    def clipped(self, image_width: float, image_height: float) -> Box:
        """The part of the box inside the image [0, W] x [0, H] (zero-sized if none is)."""
        x0 = min(max(self.x, 0.0), image_width)
        y0 = min(max(self.y, 0.0), image_height)
        x1 = min(max(self.x + self.w, 0.0), image_width)
        y1 = min(max(self.y + self.h, 0.0), image_height)
        return Box(x0, y0, max(x1 - x0, 0.0), max(y1 - y0, 0.0))

    def validate(
        self, image_width: float | None = None, image_height: float | None = None
    ) -> list[str]:
        """Human-readable problems; empty when the box is usable."""
        x, y, w, h = self.x, self.y, self.w, self.h
        tol = EDGE_TOLERANCE
        # The usable box, answered at once (NaN and infinities fail these comparisons and
        # go on to the checks below, which word every problem).
        if (image_width is not None and image_height is not None
                and 0 < image_width < _INF and 0 < image_height < _INF
                and w > 0 and h > 0 and x >= -tol and y >= -tol
                and x + w <= image_width + tol and y + h <= image_height + tol):
            return []
        problems = check_image_size(image_width, image_height)
        problems += check_finite("box", ("x", "y", "width", "height"), (x, y, w, h))
        for name, v in (("width", self.w), ("height", self.h)):
            if math.isfinite(v) and v <= 0:
                problems.append(f"box {name} must be positive (got {fmt(v)})")
        if not problems:
            problems += check_inside("box", *self.xyxy(), image_width, image_height)
        return problems

    def to_dict(self) -> dict[str, Any]:
        """``{"kind": "box", "x", "y", "w", "h"}``."""
        return {"kind": self.kind, "x": self.x, "y": self.y, "w": self.w, "h": self.h}


@dataclass(frozen=True, slots=True)
class RotatedBox:
    """A box of size ``w`` x ``h`` centred on (``cx``, ``cy``) and turned by ``angle``.

    ``angle`` is in degrees, **clockwise as seen on screen** (image coordinates, y down), about
    the centre: the convention of CVAT's ``rotation`` attribute. At ``angle == 0`` the box is
    axis-aligned with ``w`` along x; at ``angle == 90`` its ``w`` side points down the image.
    Mathematically a local offset (u, v) from the centre lands at
    ``(cx + u cos a - v sin a, cy + u sin a + v cos a)``. The angle is kept as given (not
    wrapped into a range).
    """

    kind: ClassVar[str] = "rotated_box"
    cx: float
    cy: float
    w: float
    h: float
    angle: float = 0.0

    def __post_init__(self) -> None:
        for name in ("cx", "cy", "w", "h", "angle"):
            object.__setattr__(self, name, as_float(getattr(self, name), f"rotated box {name}"))

    @classmethod
    def from_box(cls, box: Box, angle: float = 0.0) -> RotatedBox:
        """``box`` turned by ``angle`` degrees clockwise about its centre."""
        return cls(box.x + box.w / 2.0, box.y + box.h / 2.0, box.w, box.h, angle)

    def corners(self) -> tuple[Point, Point, Point, Point]:
        """The four corners: the unrotated box's top-left, top-right, bottom-right and
        bottom-left, each turned about the centre (so clockwise on screen)."""
        a = math.radians(self.angle)
        c, s = math.cos(a), math.sin(a)
        hw, hh = self.w / 2.0, self.h / 2.0
        out = []
        for u, v in ((-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh)):
            out.append((self.cx + u * c - v * s, self.cy + u * s + v * c))
        return (out[0], out[1], out[2], out[3])

    def to_polygon(self) -> Polygon:
        """The rotated box as a four-point polygon (corners in the order of :meth:`corners`)."""
        return Polygon(self.corners())

    def area(self) -> float:
        """``w * h`` (rotation does not change it)."""
        return self.w * self.h

    def bounds(self) -> Bounds:
        """The axis-aligned extent of the four corners."""
        return points_extent(self.corners())

    def box(self) -> Box:
        """The smallest axis-aligned box containing the rotated box."""
        return Box.from_corners(*self.bounds())

    def translated(self, dx: float, dy: float) -> RotatedBox:
        """The rotated box moved by (dx, dy)."""
        return replace(self, cx=self.cx + dx, cy=self.cy + dy)

    def validate(
        self, image_width: float | None = None, image_height: float | None = None
    ) -> list[str]:
        """Human-readable problems; empty when the rotated box is usable."""
        problems = check_image_size(image_width, image_height)
        problems += check_finite(
            "rotated box",
            ("centre x", "centre y", "width", "height", "angle"),
            (self.cx, self.cy, self.w, self.h, self.angle),
        )
        for name, v in (("width", self.w), ("height", self.h)):
            if math.isfinite(v) and v <= 0:
                problems.append(f"rotated box {name} must be positive (got {fmt(v)})")
        if not problems:
            problems += check_inside("rotated box", *self.bounds(), image_width, image_height)
        return problems

    def to_dict(self) -> dict[str, Any]:
        """``{"kind": "rotated_box", "cx", "cy", "w", "h", "angle"}`` (angle in degrees)."""
        return {
            "kind": self.kind,
            "cx": self.cx,
            "cy": self.cy,
            "w": self.w,
            "h": self.h,
            "angle": self.angle,
        }


class _PointShape:
    """Behaviour shared by the shapes that are a list of points."""

    __slots__ = ()
    kind: ClassVar[str]
    _label: ClassVar[str]
    _min_points: ClassVar[int]
    points: tuple[Point, ...]

    def _coerce_points(self) -> None:
        object.__setattr__(self, "points", as_points(self.points, f"{self._label} points"))

    def _extent_points(self) -> tuple[Point, ...]:
        return self.points

    def bounds(self) -> Bounds | None:
        """(min x, min y, max x, max y) of the points; None when there are none."""
        pts = self._extent_points()
        return points_extent(pts) if pts else None

    def box(self) -> Box | None:
        """The axis-aligned box around the points; None when there are none."""
        b = self.bounds()
        return None if b is None else Box.from_corners(*b)

    def area(self) -> float:
        """0: only polygons enclose an area."""
        return 0.0

    def translated(self, dx: float, dy: float) -> Any:
        """The shape with every point moved by (dx, dy)."""
        return replace(self, points=tuple((x + dx, y + dy) for x, y in self.points))  # type: ignore[type-var]

    def _validate_points(
        self, image_width: float | None, image_height: float | None
    ) -> tuple[list[str], bool]:
        """Problems common to point shapes, and whether the geometry itself is sound."""
        problems = check_image_size(image_width, image_height)
        n = len(self.points)
        sound = True
        if n < self._min_points:
            noun = "point" if self._min_points == 1 else "points"
            needs = verb(self._label, "needs", "need")
            problems.append(f"{self._label} {needs} at least {self._min_points} {noun} (got {n})")
            sound = False
        finite = check_points_finite(self._label, self.points)
        if finite:
            problems += finite
            sound = False
        return problems, sound

    def _validate_inside(self, image_width: float | None, image_height: float | None) -> list[str]:
        pts = self._extent_points()
        if not pts:
            return []
        return check_inside(self._label, *points_extent(pts), image_width, image_height)

    def to_dict(self) -> dict[str, Any]:
        """``{"kind": ..., "points": [[x, y], ...]}``."""
        return {"kind": self.kind, "points": _points_json(self.points)}


@dataclass(frozen=True, slots=True)
class Polygon(_PointShape):
    """A closed polygon through ``points`` (at least 3; the last point joins the first, so it
    need not repeat it). Self-intersection is allowed; the area is then the shoelace value."""

    kind: ClassVar[str] = "polygon"
    _label: ClassVar[str] = "polygon"
    _min_points: ClassVar[int] = 3
    points: tuple[Point, ...]

    def __post_init__(self) -> None:
        self._coerce_points()

    def signed_area(self) -> float:
        """Shoelace area: positive when the points run clockwise on screen (y down)."""
        return shoelace(self.points)

    def area(self) -> float:
        """The absolute shoelace area."""
        return abs(shoelace(self.points))

    def validate(
        self, image_width: float | None = None, image_height: float | None = None
    ) -> list[str]:
        """Human-readable problems; empty when the polygon is usable. Self-intersection is not
        reported."""
        problems, sound = self._validate_points(image_width, image_height)
        if sound and collinear(self.points):
            problems.append("polygon has zero area (its points are repeated or on one line)")
        if sound:
            problems += self._validate_inside(image_width, image_height)
        return problems


@dataclass(frozen=True, slots=True)
class Polyline(_PointShape):
    """An open line through ``points`` (at least 2)."""

    kind: ClassVar[str] = "polyline"
    _label: ClassVar[str] = "polyline"
    _min_points: ClassVar[int] = 2
    points: tuple[Point, ...]

    def __post_init__(self) -> None:
        self._coerce_points()

    def length(self) -> float:
        """Sum of the segment lengths."""
        return math.fsum(
            math.hypot(x1 - x0, y1 - y0)
            for (x0, y0), (x1, y1) in zip(self.points, self.points[1:], strict=False)
        )

    def validate(
        self, image_width: float | None = None, image_height: float | None = None
    ) -> list[str]:
        """Human-readable problems; empty when the polyline is usable."""
        problems, sound = self._validate_points(image_width, image_height)
        if sound and self.length() == 0.0:
            problems.append("polyline has zero length (all its points are the same)")
        if sound:
            problems += self._validate_inside(image_width, image_height)
        return problems


@dataclass(frozen=True, slots=True)
class Points(_PointShape):
    """A set of loose points (at least 1)."""

    kind: ClassVar[str] = "points"
    _label: ClassVar[str] = "points"
    _min_points: ClassVar[int] = 1
    points: tuple[Point, ...]

    def __post_init__(self) -> None:
        self._coerce_points()

    def validate(
        self, image_width: float | None = None, image_height: float | None = None
    ) -> list[str]:
        """Human-readable problems; empty when the points are usable."""
        problems, sound = self._validate_points(image_width, image_height)
        if sound:
            problems += self._validate_inside(image_width, image_height)
        return problems


#: COCO keypoint visibility flags.
NOT_LABELLED, OCCLUDED, VISIBLE = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Keypoints(_PointShape):
    """A skeleton's points with one COCO visibility flag each: 0 not labelled (the point's
    coordinates mean nothing), 1 labelled but not visible (occluded), 2 labelled and visible.

    ``visibility`` defaults to all 2. Bounds, boxes and the out-of-image check use the
    labelled points (flag 1 or 2) only.
    """

    kind: ClassVar[str] = "keypoints"
    _label: ClassVar[str] = "keypoints"
    _min_points: ClassVar[int] = 1
    points: tuple[Point, ...]
    visibility: tuple[int, ...] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self._coerce_points()
        if self.visibility is None:
            object.__setattr__(self, "visibility", (VISIBLE,) * len(self.points))
        else:
            object.__setattr__(self, "visibility", as_ints(self.visibility, "keypoints visibility"))

    @classmethod
    def from_flat(cls, values: Sequence[float]) -> Keypoints:
        """From COCO's flat ``[x1, y1, v1, x2, y2, v2, ...]``."""
        if len(values) % 3:
            raise InvalidInput(
                f"flat keypoints must hold x, y, visibility triples; got {len(values)} values"
            )
        pts = [(values[i], values[i + 1]) for i in range(0, len(values), 3)]
        vis = [values[i + 2] for i in range(0, len(values), 3)]
        return cls(tuple(pts), as_ints(vis, "keypoints visibility"))

    def flat(self) -> list[float]:
        """COCO's flat ``[x1, y1, v1, ...]`` (visibility as a number)."""
        out: list[float] = []
        for (x, y), v in zip(self.points, self.visibility, strict=False):
            out += [x, y, v]
        return out

    @property
    def num_labelled(self) -> int:
        """How many points are labelled (flag 1 or 2): COCO's ``num_keypoints``."""
        return sum(1 for v in self.visibility if v > NOT_LABELLED)

    def _extent_points(self) -> tuple[Point, ...]:
        return tuple(
            p for p, v in zip(self.points, self.visibility, strict=False) if v > NOT_LABELLED
        )

    def validate(
        self, image_width: float | None = None, image_height: float | None = None
    ) -> list[str]:
        """Human-readable problems; empty when the keypoints are usable."""
        problems, sound = self._validate_points(image_width, image_height)
        if len(self.visibility) != len(self.points):
            problems.append(
                f"keypoints have {len(self.points)} points but {len(self.visibility)} "
                "visibility values"
            )
            sound = False
        bad = [(i, v) for i, v in enumerate(self.visibility) if v not in (0, 1, 2)]
        if bad:
            shown = ", ".join(f"{v} at point {i}" for i, v in bad[:5])
            more = ", ..." if len(bad) > 5 else ""
            problems.append(f"keypoints visibility must be 0, 1 or 2 (got {shown}{more})")
            sound = False
        if sound:
            problems += self._validate_inside(image_width, image_height)
        return problems

    def to_dict(self) -> dict[str, Any]:
        """``{"kind": "keypoints", "points": [[x, y], ...], "visibility": [v, ...]}``."""
        return {
            "kind": self.kind,
            "points": _points_json(self.points),
            "visibility": list(self.visibility),
        }


@dataclass(frozen=True, slots=True)
class Tag:
    """An image-level label: no geometry at all."""

    kind: ClassVar[str] = "tag"

    def area(self) -> float:
        """0."""
        return 0.0

    def bounds(self) -> None:
        """None: a tag has no extent."""
        return None

    def box(self) -> None:
        """None: a tag has no extent."""
        return None

    def translated(self, dx: float, dy: float) -> Tag:
        """The tag itself."""
        return self

    def validate(
        self, image_width: float | None = None, image_height: float | None = None
    ) -> list[str]:
        """Only the image size can be wrong."""
        return check_image_size(image_width, image_height)

    def to_dict(self) -> dict[str, Any]:
        """``{"kind": "tag"}``."""
        return {"kind": self.kind}
