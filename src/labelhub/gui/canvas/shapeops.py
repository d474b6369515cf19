"""Geometry the canvas needs beyond :mod:`labelhub.geometry` (numpy only, no Qt): vertices of a
shape for drawing, precise hit tests, edit handles and what dragging them does, vertex
insertion and deletion."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from labelhub.geometry import (
    NOT_LABELLED,
    Box,
    Keypoints,
    Mask,
    Points,
    Polygon,
    Polyline,
    RotatedBox,
    Shape,
)
from labelhub.gui.canvas.model import (
    BOX,
    KEYPOINTS,
    KIND_CODES,
    POINTS,
    POLYGON,
    POLYLINE,
    ROTATED_BOX,
)

_NO_PARAMS = (0.0, 0.0, 0.0, 0.0, 0.0)


def decompose(shape: Shape) -> tuple[int, tuple[float, ...], np.ndarray, np.ndarray]:
    """(kind code, box parameters, (n, 2) vertices, (n,) visibility flags) of a shape.

    Boxes and rotated boxes give their four corners as vertices; masks and tags give none.
    """
    code = KIND_CODES[shape.kind]
    if isinstance(shape, Box):
        pts = np.array(shape.corners(), dtype=np.float64)
        params: tuple[float, ...] = (shape.x, shape.y, shape.w, shape.h, 0.0)
    elif isinstance(shape, RotatedBox):
        pts = np.array(shape.corners(), dtype=np.float64)
        params = (shape.cx, shape.cy, shape.w, shape.h, shape.angle)
    elif isinstance(shape, Polygon | Polyline | Points | Keypoints):
        pts = np.array(shape.points, dtype=np.float64).reshape(-1, 2)
        params = _NO_PARAMS
    else:
        return code, _NO_PARAMS, np.zeros((0, 2)), np.zeros(0, dtype=np.uint8)
    if isinstance(shape, Keypoints):
        vis = np.array(shape.visibility, dtype=np.uint8)
    else:
        vis = np.full(len(pts), 2, dtype=np.uint8)
    return code, params, pts, vis


def shape_bounds(shape: Shape) -> tuple[float, float, float, float] | None:
    """(x0, y0, x1, y1) of the shape, None for a tag or keypoints with nothing labelled."""
    if isinstance(shape, Mask):
        b = shape.bounds()
        return None if b == (0.0, 0.0, 0.0, 0.0) else b
    return shape.bounds()


# -- hit tests ---------------------------------------------------------------------------------


def point_in_polygon(x: float, y: float, pts: np.ndarray) -> bool:
    """Even-odd rule, the rule the renderer fills with."""
    if len(pts) < 3:
        return False
    x0, y0 = pts[:, 0], pts[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    crosses = (y0 > y) != (y1 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        xs = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
    return bool(np.count_nonzero(crosses & (x < xs)) & 1)


def segment_distances(x: float, y: float, pts: np.ndarray, closed: bool) -> np.ndarray:
    """Distance from (x, y) to each segment of the outline through ``pts``."""
    if len(pts) == 0:
        return np.zeros(0)
    if len(pts) == 1:
        return np.hypot(pts[:, 0] - x, pts[:, 1] - y)
    a = pts if closed else pts[:-1]
    b = np.roll(pts, -1, axis=0) if closed else pts[1:]
    d = b - a
    length2 = (d * d).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.clip(((x - a[:, 0]) * d[:, 0] + (y - a[:, 1]) * d[:, 1]) / length2, 0.0, 1.0)
    t = np.where(length2 > 0, t, 0.0)
    px, py = a[:, 0] + t * d[:, 0], a[:, 1] + t * d[:, 1]
    return np.hypot(px - x, py - y)


def hit(kind: int, pts: np.ndarray, vis: np.ndarray, x: float, y: float, tol: float) -> bool:
    """Whether image point (x, y) hits a vector shape, ``tol`` image units around outlines."""
    if kind in (BOX, ROTATED_BOX, POLYGON):
        if point_in_polygon(x, y, pts):
            return True
        return bool(len(pts)) and float(segment_distances(x, y, pts, True).min()) <= tol
    if kind == POLYLINE:
        return bool(len(pts)) and float(segment_distances(x, y, pts, False).min()) <= tol
    if kind in (POINTS, KEYPOINTS):
        shown = pts[vis > NOT_LABELLED] if kind == KEYPOINTS else pts
        if not len(shown):
            return False
        return float(np.hypot(shown[:, 0] - x, shown[:, 1] - y).min()) <= tol
    return False


def hit_many(kinds: np.ndarray, counts: np.ndarray, pts: np.ndarray, vis: np.ndarray,
             x: float, y: float, tol: float) -> np.ndarray:
    """:func:`hit` for many shapes at once: ``pts`` and ``vis`` hold their vertices one after
    the other (``counts`` each). Masks and tags come out False (test masks separately)."""
    n = kinds.size
    out = np.zeros(n, dtype=bool)
    if n == 0 or pts.size == 0:
        return out
    starts = np.cumsum(counts) - counts
    owner = np.repeat(np.arange(n), counts)
    local = np.arange(pts.shape[0]) - starts[owner]
    nxt = np.arange(pts.shape[0]) + 1
    last = local == counts[owner] - 1
    nxt[last] = starts[owner[last]]  # closing edge back to the first vertex
    a, b = pts, pts[nxt]
    closed = np.isin(kinds, (BOX, ROTATED_BOX, POLYGON))
    real = closed[owner] | ~last  # open outlines have no closing edge
    d = b - a
    length2 = (d * d).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.clip(((x - a[:, 0]) * d[:, 0] + (y - a[:, 1]) * d[:, 1]) / length2, 0.0, 1.0)
        t = np.where(length2 > 0, t, 0.0)
        dist = np.hypot(a[:, 0] + t * d[:, 0] - x, a[:, 1] + t * d[:, 1] - y)
        crosses = ((a[:, 1] > y) != (b[:, 1] > y)) & \
            (x < a[:, 0] + (y - a[:, 1]) * d[:, 0] / d[:, 1])
    dist = np.where(real, dist, np.inf)
    nonempty = counts > 0
    near_edge = np.zeros(n, dtype=bool)
    near_edge[nonempty] = np.minimum.reduceat(dist, starts[nonempty]) <= tol
    inside = np.zeros(n, dtype=bool)
    inside[nonempty] = np.add.reduceat(crosses & closed[owner], starts[nonempty]) % 2 == 1
    vertex = np.where(vis > NOT_LABELLED, np.hypot(pts[:, 0] - x, pts[:, 1] - y), np.inf)
    near_vertex = np.zeros(n, dtype=bool)
    near_vertex[nonempty] = np.minimum.reduceat(vertex, starts[nonempty]) <= tol
    out[closed] = (inside | near_edge)[closed]
    line = kinds == POLYLINE
    out[line] = near_edge[line]
    marks = (kinds == POINTS) | (kinds == KEYPOINTS)
    out[marks] = near_vertex[marks]
    return out


def nearest_edge(pts: np.ndarray, closed: bool, x: float, y: float) -> tuple[int, float]:
    """(index of the segment nearest to (x, y), its distance); the segment i runs from vertex i
    to vertex i + 1."""
    d = segment_distances(x, y, pts, closed)
    i = int(np.argmin(d))
    return i, float(d[i])


# -- handles -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Handle:
    """A grip on a shape: ``role`` is "corner", "edge", "rotate" or "vertex"; ``index`` says
    which (corners and edges of a box clockwise from the top-left, vertices by position)."""

    role: str
    index: int
    x: float
    y: float


#: Distance of a rotated box's rotation grip beyond its top edge, in screen pixels.
ROTATE_GRIP_PX = 24.0


def handles(shape: Shape, scale: float) -> list[Handle]:
    """The grips of a shape at view ``scale`` (screen pixels per image pixel)."""
    if isinstance(shape, Box):
        x0, y0, x1, y1 = shape.xyxy()
        xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
        spots = [(x0, y0), (xm, y0), (x1, y0), (x1, ym), (x1, y1), (xm, y1), (x0, y1), (x0, ym)]
        return [Handle("corner" if i % 2 == 0 else "edge", i, sx, sy)
                for i, (sx, sy) in enumerate(spots)]
    if isinstance(shape, RotatedBox):
        c = shape.corners()
        out = [Handle("corner", i, px, py) for i, (px, py) in enumerate(c)]
        for i in range(4):
            (ax, ay), (bx, by) = c[i], c[(i + 1) % 4]
            out.append(Handle("edge", i, (ax + bx) / 2, (ay + by) / 2))
        a = math.radians(shape.angle)
        reach = shape.h / 2 + ROTATE_GRIP_PX / max(scale, 1e-9)
        out.append(Handle("rotate", 0, shape.cx + reach * math.sin(a),
                          shape.cy - reach * math.cos(a)))
        return out
    if isinstance(shape, Keypoints):
        return [Handle("vertex", i, px, py)
                for i, ((px, py), v) in enumerate(zip(shape.points, shape.visibility, strict=False))
                if v > NOT_LABELLED]
    if isinstance(shape, Polygon | Polyline | Points):
        return [Handle("vertex", i, px, py) for i, (px, py) in enumerate(shape.points)]
    return []


def _snap_angle(angle: float, step: float = 15.0) -> float:
    return round(angle / step) * step


def drag_handle(shape: Shape, handle: Handle, x: float, y: float, *, snap: bool = False) -> Shape:
    """The shape after ``handle`` was dragged to image point (x, y).

    A box's corner moves two edges and an edge grip one (the box flips over cleanly when
    dragged past the opposite side); a rotated box keeps the opposite corner or edge where it
    is; the rotation grip turns it about its centre (in 15 degree steps with ``snap``); a
    vertex grip moves that vertex.
    """
    if isinstance(shape, Box):
        x0, y0, x1, y1 = shape.xyxy()
        i = handle.index
        if i in (0, 6, 7):
            x0 = x
        if i in (2, 3, 4):
            x1 = x
        if i in (0, 1, 2):
            y0 = y
        if i in (4, 5, 6):
            y1 = y
        return Box.from_corners(x0, y0, x1, y1)
    if isinstance(shape, RotatedBox):
        return _drag_rotated(shape, handle, x, y, snap)
    if isinstance(shape, Keypoints | Polygon | Polyline | Points):
        pts = list(shape.points)
        pts[handle.index] = (x, y)
        if isinstance(shape, Keypoints):
            return Keypoints(tuple(pts), shape.visibility)
        return type(shape)(tuple(pts))
    return shape


def _drag_rotated(shape: RotatedBox, handle: Handle, x: float, y: float, snap: bool) -> Shape:
    a = math.radians(shape.angle)
    eu = (math.cos(a), math.sin(a))  # local +u (width) in image coordinates
    ev = (-math.sin(a), math.cos(a))  # local +v (height)
    if handle.role == "rotate":
        angle = math.degrees(math.atan2(y - shape.cy, x - shape.cx)) + 90.0
        if snap:
            angle = _snap_angle(angle)
        angle = (angle + 180.0) % 360.0 - 180.0
        return RotatedBox(shape.cx, shape.cy, shape.w, shape.h, angle)
    corners = shape.corners()
    if handle.role == "corner":
        ox, oy = corners[(handle.index + 2) % 4]
        du, dv = (x - ox) * eu[0] + (y - oy) * eu[1], (x - ox) * ev[0] + (y - oy) * ev[1]
        cx = ox + (du * eu[0] + dv * ev[0]) / 2
        cy = oy + (du * eu[1] + dv * ev[1]) / 2
        return RotatedBox(cx, cy, abs(du), abs(dv), shape.angle)
    # Edge grips: 0 top, 1 right, 2 bottom, 3 left (between corners i and i + 1).
    i = handle.index
    (ax, ay), (bx, by) = corners[(i + 2) % 4], corners[(i + 3) % 4]
    fx, fy = (ax + bx) / 2, (ay + by) / 2  # middle of the opposite edge, which stays put
    if i in (0, 2):
        along = (x - fx) * ev[0] + (y - fy) * ev[1]
        cx, cy = fx + along * ev[0] / 2, fy + along * ev[1] / 2
        return RotatedBox(cx, cy, shape.w, abs(along), shape.angle)
    along = (x - fx) * eu[0] + (y - fy) * eu[1]
    cx, cy = fx + along * eu[0] / 2, fy + along * eu[1] / 2
    return RotatedBox(cx, cy, abs(along), shape.h, shape.angle)


def insert_vertex(shape: Polygon | Polyline, after: int, x: float, y: float) -> Shape:
    """The polygon or polyline with (x, y) inserted after vertex ``after``."""
    pts = list(shape.points)
    pts.insert(after + 1, (x, y))
    return type(shape)(tuple(pts))


def delete_vertex(shape: Shape, index: int) -> Shape | None:
    """The shape without vertex ``index``; None when that would leave too few points (a
    polygon keeps 3, a polyline 2, points 1). A keypoint is marked not labelled instead."""
    if isinstance(shape, Keypoints):
        vis = list(shape.visibility)
        vis[index] = NOT_LABELLED
        return Keypoints(shape.points, tuple(vis))
    minimum = {Polygon: 3, Polyline: 2, Points: 1}.get(type(shape))
    if minimum is None:
        return None
    pts = list(shape.points)  # type: ignore[union-attr]
    if len(pts) <= minimum:
        return None
    del pts[index]
    return type(shape)(tuple(pts))


def with_visibility(shape: Keypoints, index: int, visibility: int) -> Keypoints:
    """The keypoints with point ``index`` flagged ``visibility`` (COCO: 2 visible, 1 occluded,
    0 not labelled). A point labelled again keeps the place it had when it was unlabelled; one
    never placed (COCO writes those at 0, 0) goes to the middle of the labelled points, to be
    dragged where it belongs."""
    pts = list(shape.points)
    vis = list(shape.visibility)
    if vis[index] == NOT_LABELLED and visibility != NOT_LABELLED and pts[index] == (0.0, 0.0):
        placed = [p for p, v in zip(pts, vis, strict=False) if v > NOT_LABELLED]
        if placed:
            pts[index] = (sum(p[0] for p in placed) / len(placed),
                          sum(p[1] for p in placed) / len(placed))
    vis[index] = visibility
    return Keypoints(tuple(pts), tuple(vis))


def nearest_keypoint(shape: Keypoints, x: float, y: float, reach: float) -> int | None:
    """The labelled point of ``shape`` nearest to image point (x, y) within ``reach``."""
    best, best_d = None, reach
    for i, ((px, py), v) in enumerate(zip(shape.points, shape.visibility, strict=False)):
        d = math.hypot(px - x, py - y)
        if v > NOT_LABELLED and d <= best_d:
            best, best_d = i, d
    return best


def clip_to_image(shape: Shape, width: float, height: float) -> Shape:
    """A freshly drawn box or point shape kept inside the image [0, W] x [0, H]."""
    def clamp(px: float, py: float) -> tuple[float, float]:
        return min(max(px, 0.0), width), min(max(py, 0.0), height)

    if isinstance(shape, Box):
        return shape.clipped(width, height)
    if isinstance(shape, Keypoints):
        return Keypoints(tuple(clamp(*p) for p in shape.points), shape.visibility)
    if isinstance(shape, Polygon | Polyline | Points):
        return type(shape)(tuple(clamp(*p) for p in shape.points))
    return shape
