"""Helpers shared by the shape types: coercion, number checks and message wording.

Coordinates everywhere in :mod:`labelhub.geometry` are continuous image coordinates: the origin
is the top-left corner of the top-left pixel, x grows to the right and y grows downwards, and
pixel (column c, row r) covers the square [c, c + 1) x [r, r + 1) with its centre at
(c + 0.5, r + 0.5). An image W pixels wide and H pixels high spans [0, W] x [0, H].
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from numbers import Real

import numpy as np

from labelhub.errors import InvalidInput

#: Coordinates may overshoot the image edge by this many pixels before validation complains
#: (exports from other tools often carry rounding noise such as 640.0000000001).
EDGE_TOLERANCE = 1e-6

Point = tuple[float, float]


def fmt(value: float) -> str:
    """A number as a short human-readable string (``12``, ``12.5``, ``nan``)."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def as_float(value: object, what: str) -> float:
    """``value`` as a float; InvalidInput naming ``what`` when it is not a real number."""
    kind = type(value)
    if kind is float:  # the common cases first: the ABC check below costs microseconds
        return value  # type: ignore[return-value]
    if kind is int:
        return float(value)  # type: ignore[arg-type]
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InvalidInput(f"{what} must be a number, got {value!r}")
    return float(value)


def as_int(value: object, what: str) -> int:
    """``value`` as an int; InvalidInput naming ``what`` for bools, floats with a fraction, text."""
    if isinstance(value, bool):
        raise InvalidInput(f"{what} must be a whole number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, Real) and float(value).is_integer():
        return int(value)
    # numpy integers are not always registered as numbers.Integral subclasses of int
    if hasattr(value, "__index__"):
        return int(value.__index__())  # type: ignore[attr-defined]
    raise InvalidInput(f"{what} must be a whole number, got {value!r}")


def as_points(value: object, what: str) -> tuple[Point, ...]:
    """A sequence of (x, y) pairs (or an (N, 2) array) as a tuple of float pairs."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidInput(f"{what} must be a list of [x, y] pairs, got {value!r}")
    points: list[Point] = []
    for i, pair in enumerate(value):
        if isinstance(pair, str | bytes) or not isinstance(pair, Iterable):
            raise InvalidInput(f"{what}[{i}] must be an [x, y] pair, got {pair!r}")
        items = list(pair)
        if len(items) != 2:
            raise InvalidInput(f"{what}[{i}] must be an [x, y] pair, got {len(items)} values")
        points.append((as_float(items[0], f"{what}[{i}].x"), as_float(items[1], f"{what}[{i}].y")))
    return tuple(points)


def as_ints(value: object, what: str) -> tuple[int, ...]:
    """A sequence of whole numbers as a tuple of ints."""
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "iu":
        return tuple(value.tolist())
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidInput(f"{what} must be a list of whole numbers, got {value!r}")
    if isinstance(value, tuple) and all(type(v) is int for v in value):
        return value  # already what is wanted (the common case, and cheap to check)
    return tuple(as_int(v, f"{what}[{i}]") for i, v in enumerate(value))


def check_finite(label: str, names: Sequence[str], values: Sequence[float]) -> list[str]:
    """One message per value that is NaN or infinite."""
    return [
        f"{label} {name} is not a finite number (got {fmt(v)})"
        for name, v in zip(names, values, strict=True)
        if not math.isfinite(v)
    ]


def check_points_finite(label: str, points: Sequence[Point]) -> list[str]:
    """One message naming the points with a NaN or infinite coordinate (listing at most five)."""
    bad = [i for i, (x, y) in enumerate(points) if not (math.isfinite(x) and math.isfinite(y))]
    if not bad:
        return []
    shown = ", ".join(str(i) for i in bad[:5]) + (", ..." if len(bad) > 5 else "")
    noun = "point" if len(bad) == 1 else "points"
    return [
        f"{label} has {len(bad)} {noun} with a coordinate that is not a finite number ({shown})"
    ]


def check_image_size(image_width: float | None, image_height: float | None) -> list[str]:
    """Messages for an image size that cannot be checked against."""
    problems = []
    for name, v in (("width", image_width), ("height", image_height)):
        if v is not None and not (math.isfinite(v) and v > 0):
            problems.append(f"image {name} must be a positive number (got {fmt(v)})")
    return problems


def check_inside(
    label: str,
    x0: float,
    y0: float,
    x1: float,
    y1: float,
    image_width: float | None,
    image_height: float | None,
) -> list[str]:
    """Messages when the extent [x0, x1] x [y0, y1] leaves the image [0, W] x [0, H]."""
    problems: list[str] = []
    tol = EDGE_TOLERANCE
    subject = f"{label} {verb(label, 'lies', 'lie')}"
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        return problems
    if image_width is not None and math.isfinite(image_width):
        if x0 < -tol:
            problems.append(f"{subject} outside the image: left edge x={fmt(x0)} < 0")
        if x1 > image_width + tol:
            problems.append(
                f"{subject} outside the image: right edge x={fmt(x1)} > image width "
                f"{fmt(image_width)}"
            )
    if image_height is not None and math.isfinite(image_height):
        if y0 < -tol:
            problems.append(f"{subject} outside the image: top edge y={fmt(y0)} < 0")
        if y1 > image_height + tol:
            problems.append(
                f"{subject} outside the image: bottom edge y={fmt(y1)} > image height "
                f"{fmt(image_height)}"
            )
    return problems


def verb(label: str, singular: str, plural: str) -> str:
    """The form of a verb agreeing with a shape label ("points" and "keypoints" are plural)."""
    return plural if label.endswith("points") else singular


def collinear(points: Sequence[Point]) -> bool:
    """Whether every point lies on one line (or they all coincide): a polygon without area."""
    if not points:
        return True
    ox, oy = points[0]
    ref = next(((x - ox, y - oy) for x, y in points if (x, y) != (ox, oy)), None)
    if ref is None:
        return True
    rx, ry = ref
    return all(rx * (y - oy) - ry * (x - ox) == 0 for x, y in points)


def points_extent(points: Sequence[Point]) -> tuple[float, float, float, float]:
    """(min x, min y, max x, max y) of a non-empty point sequence."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def shoelace(points: Sequence[Point]) -> float:
    """Signed area of the closed polygon through ``points`` (positive when the vertices run
    counter-clockwise in a y-up frame, i.e. clockwise on screen)."""
    n = len(points)
    if n < 3:
        return 0.0
    # Work relative to the first vertex: far from the origin the plain formula loses precision.
    ox, oy = points[0]
    terms = []
    for i in range(1, n - 1):
        ax, ay = points[i][0] - ox, points[i][1] - oy
        bx, by = points[i + 1][0] - ox, points[i + 1][1] - oy
        terms.append(ax * by - bx * ay)
    return math.fsum(terms) / 2.0
