"""Shapes to and from plain dicts, and to and from numpy arrays for the fast paths."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
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


# A box as json.dumps writes its to_dict(), each number as Python writes a float from 1e-4 up to
# 1e16 (digits, a point, digits). Other numbers ("12", "1e-05") and layouts are left to the JSON
# parser: rare, and always right.
_NUMBER = r"(-?[0-9]+\.[0-9]+)"
_BOX_LINES = re.compile(
    r'^(?:\{"kind": "box", "x": %s, "y": %s, "w": %s, "h": %s\}|.*)$' % ((_NUMBER,) * 4),
    re.MULTILINE)

BoxNumbers = tuple[str, str, str, str]


def box_json_numbers(texts: Sequence[str]) -> list[BoxNumbers | None]:
    """For each JSON text of a shape as a store keeps it (``json.dumps(shape.to_dict())``), the
    texts of a box's four numbers x, y, w and h; None for any other shape (or a box whose text
    is laid out otherwise). As json.dumps wrote them, each is exactly ``repr`` of its float:
    a writer can copy them where it would write the floats, without making or formatting a
    float, the cheap path for millions of boxes. One regular expression pass for all."""
    found = _BOX_LINES.findall("\n".join(texts))
    if len(found) != len(texts):  # a text with a line break of its own: match them one by one
        found = [_BOX_LINES.fullmatch(t).groups() if "\n" not in t else ("",)  # type: ignore[union-attr]
                 for t in texts]
    return [t if t[0] else None for t in found]


def box_json_number_lines(text: str) -> list[BoxNumbers]:
    """:func:`box_json_numbers` of the JSON texts that are the lines of ``text``, with
    ``("", "", "", "")`` for a line that is no such box: one pass, no step per line. (A caller
    that knows how many texts it joined checks that as many tuples came back.)"""
    return _BOX_LINES.findall(text)


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
