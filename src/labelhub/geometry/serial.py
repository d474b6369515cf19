"""Shapes to and from plain dicts, and to and from numpy arrays for the fast paths."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from labelhub.errors import InvalidInput
from labelhub.geometry._common import as_float, as_int, as_ints, as_points
from labelhub.geometry.mask import Mask
from labelhub.geometry.rle import string_to_counts
from labelhub.geometry.shapes import (
    Box,
    Keypoints,
    Points,
    Polygon,
    Polyline,
    RotatedBox,
    Tag,
)

Shape = Box | RotatedBox | Polygon | Polyline | Points | Keypoints | Mask | Tag

#: Every shape class by its ``kind``, in a fixed order.
SHAPE_TYPES: dict[str, type[Any]] = {
    cls.kind: cls for cls in (Box, RotatedBox, Polygon, Polyline, Points, Keypoints, Mask, Tag)
}

#: All shape kinds: "box", "rotated_box", "polygon", "polyline", "points", "keypoints",
#: "mask", "tag".
SHAPE_KINDS: tuple[str, ...] = tuple(SHAPE_TYPES)

# The keys each kind's dict carries (besides "kind"); optional ones follow the required ones.
_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "box": (("x", "y", "w", "h"), ()),
    "rotated_box": (("cx", "cy", "w", "h"), ("angle",)),
    "polygon": (("points",), ()),
    "polyline": (("points",), ()),
    "points": (("points",), ()),
    "keypoints": (("points",), ("visibility",)),
    "mask": (("height", "width", "counts"), ()),
    "tag": ((), ()),
}


def shape_from_dict(data: Mapping[str, Any]) -> Shape:
    """The shape described by ``data`` (as written by ``to_dict``).

    Raises InvalidInput, naming the kind and field, when ``data`` is not a mapping, has an
    unknown ``kind``, lacks a field or has one it should not, or holds a value of the wrong
    type (text for a number, a point that is not an [x, y] pair, a mask string that does not
    decode, keypoints with a different number of visibility flags than points). Values of the
    right type that are geometrically wrong (a zero width, a NaN, a two-point polygon) are
    accepted: ``validate()`` reports those.
    """
    if not isinstance(data, Mapping):
        raise InvalidInput(f'a shape must be an object with a "kind", got {type(data).__name__}')
    kind = data.get("kind")
    if kind not in SHAPE_TYPES:
        if kind is None:
            raise InvalidInput('a shape needs a "kind"')
        raise InvalidInput(f"unknown shape kind {kind!r}; expected one of {', '.join(SHAPE_KINDS)}")
    required, optional = _KEYS[kind]
    missing = [k for k in required if k not in data]
    if missing:
        raise InvalidInput(f"{kind} shape is missing {', '.join(repr(k) for k in missing)}")
    extra = sorted(str(k) for k in data if k != "kind" and k not in required + optional)
    if extra:
        raise InvalidInput(f"{kind} shape has unexpected {', '.join(repr(k) for k in extra)}")
    label = kind.replace("_", " ")

    if kind == "box":
        return Box(*(as_float(data[k], f"box {k}") for k in ("x", "y", "w", "h")))
    if kind == "rotated_box":
        values = [as_float(data[k], f"{label} {k}") for k in ("cx", "cy", "w", "h")]
        angle = as_float(data.get("angle", 0.0), f"{label} angle")
        return RotatedBox(*values, angle)
    if kind in ("polygon", "polyline", "points"):
        return SHAPE_TYPES[kind](as_points(data["points"], f"{label} points"))
    if kind == "keypoints":
        points = as_points(data["points"], "keypoints points")
        if data.get("visibility") is None:
            return Keypoints(points)
        visibility = as_ints(data["visibility"], "keypoints visibility")
        if len(visibility) != len(points):
            raise InvalidInput(
                f"keypoints have {len(points)} points but {len(visibility)} visibility values"
            )
        return Keypoints(points, visibility)
    if kind == "mask":
        h, w = as_int(data["height"], "mask height"), as_int(data["width"], "mask width")
        counts = data["counts"]
        if isinstance(counts, str | bytes):
            return Mask(h, w, string_to_counts(counts))
        return Mask(h, w, as_ints(counts, "mask counts"))
    return Tag()


_new = object.__new__
_set_x, _set_y, _set_w, _set_h = (Box.__dict__[k].__set__ for k in ("x", "y", "w", "h"))


def shapes_from_dicts(data: Iterable[Any]) -> list[Shape]:
    """:func:`shape_from_dict` of each of ``data``, for reading many shapes at once (an export
    of millions): a box whose four numbers are floats, the form ``to_dict`` writes, is made
    without the constructor's coercion, which has nothing to do for it. Same values, same
    errors, several times faster per box."""
    out: list[Shape] = []
    append = out.append
    for d in data:
        if type(d) is dict and len(d) == 5 and d.get("kind") == "box":
            try:
                x, y, w, h = d["x"], d["y"], d["w"], d["h"]
            except KeyError:
                append(shape_from_dict(d))
                continue
            if type(x) is type(y) is type(w) is type(h) is float:
                box = _new(Box)
                _set_x(box, x)
                _set_y(box, y)
                _set_w(box, w)
                _set_h(box, h)
                append(box)
                continue
        append(shape_from_dict(d))
    return out


def shape_to_dict(shape: Shape) -> dict[str, Any]:
    """``shape.to_dict()``, for symmetry with :func:`shape_from_dict`."""
    return shape.to_dict()


def pack_boxes(shapes: Iterable[Shape]) -> np.ndarray:
    """An (N, 4) float64 array of ``[x, y, w, h]`` rows, one per shape: a Box as it is, any other
    shape by its axis-aligned bounding box. InvalidInput for a shape without extent (a tag, or
    keypoints none of which is labelled)."""
    rows: list[tuple[float, float, float, float]] = []
    for i, shape in enumerate(shapes):
        if isinstance(shape, Box):
            rows.append((shape.x, shape.y, shape.w, shape.h))
            continue
        bounds = shape.bounds()
        if bounds is None:
            raise InvalidInput(f"shape {i} ({shape.kind}) has no extent to pack as a box")
        x0, y0, x1, y1 = bounds
        rows.append((x0, y0, x1 - x0, y1 - y0))
    if not rows:
        return np.zeros((0, 4), dtype=np.float64)
    return np.asarray(rows, dtype=np.float64)


def _check_box_array(arr: np.ndarray) -> np.ndarray:
    a = np.asarray(arr, dtype=np.float64)
    if a.ndim == 1 and a.size == 0:
        a = a.reshape(0, 4)
    if a.ndim != 2 or a.shape[1] != 4:
        raise InvalidInput(f"boxes must be an (N, 4) array, got shape {a.shape}")
    return a


def boxes_xyxy(arr: np.ndarray) -> np.ndarray:
    """(N, 4) ``[x, y, w, h]`` rows as a new (N, 4) float64 array of ``[x0, y0, x1, y1]``."""
    a = _check_box_array(arr).copy()
    a[:, 2:] += a[:, :2]
    return a


def boxes_xywh(arr: np.ndarray) -> np.ndarray:
    """(N, 4) ``[x0, y0, x1, y1]`` rows as a new (N, 4) float64 array of ``[x, y, w, h]``."""
    a = _check_box_array(arr).copy()
    a[:, 2:] -= a[:, :2]
    return a


def unpack_boxes(arr: np.ndarray) -> list[Box]:
    """(N, 4) ``[x, y, w, h]`` rows back into Box values."""
    return [Box(*row) for row in _check_box_array(arr).tolist()]


def polygon_array(shape: Polygon | Polyline | Points | Keypoints | Box | RotatedBox) -> np.ndarray:
    """The vertices of a point shape (or the corners of a box) as an (N, 2) float64 array."""
    if isinstance(shape, Box | RotatedBox):
        pts: Any = shape.corners()
    elif isinstance(shape, Polygon | Polyline | Points | Keypoints):
        pts = shape.points
    else:
        raise InvalidInput(f"a {getattr(shape, 'kind', type(shape).__name__)} has no vertices")
    if not pts:
        return np.zeros((0, 2), dtype=np.float64)
    return np.asarray(pts, dtype=np.float64).reshape(-1, 2)
