"""Shape conversions some formats need: a mask's pixel outline as one polygon, and the smallest
rotated rectangle around a set of points."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from labelhub.geometry import Mask, RotatedBox

Point = tuple[float, float]

# Direction codes: 0 right, 1 down, 2 left, 3 up (screen coordinates, y down).
_STEP = ((1, 0), (0, 1), (-1, 0), (0, -1))


def _edges(arr: np.ndarray) -> dict[tuple[int, int], list[int]]:
    """Directed unit edges along the pixel borders, set pixels on the right-hand side:
    outer outlines run clockwise on screen, holes anticlockwise."""
    a = np.pad(arr.astype(bool), 1)
    out: dict[tuple[int, int], list[int]] = {}

    def add(xs: np.ndarray, ys: np.ndarray, code: int) -> None:
        for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
            out.setdefault((x, y), []).append(code)

    # In the padded array pixel (r, c) is image pixel (r - 1, c - 1).
    r, c = np.nonzero(a[1:-1, 1:-1] & ~a[:-2, 1:-1])  # top edge: (c, r) -> (c + 1, r)
    add(c, r, 0)
    r, c = np.nonzero(a[1:-1, 1:-1] & ~a[1:-1, 2:])  # right edge: (c + 1, r) -> (c + 1, r + 1)
    add(c + 1, r, 1)
    r, c = np.nonzero(a[1:-1, 1:-1] & ~a[2:, 1:-1])  # bottom edge: (c + 1, r + 1) -> (c, r + 1)
    add(c + 1, r + 1, 2)
    r, c = np.nonzero(a[1:-1, 1:-1] & ~a[1:-1, :-2])  # left edge: (c, r + 1) -> (c, r)
    add(c, r + 1, 3)
    return out


def outline_loops(mask: Mask) -> list[list[Point]]:
    """The closed pixel-border loops of a mask (corners only), each starting at its top-left
    vertex, ordered by that vertex (row, then column). Diagonal neighbours are kept apart."""
    edges = _edges(mask.to_array())
    loops: list[list[Point]] = []
    for start in sorted(edges, key=lambda p: (p[1], p[0])):
        while edges.get(start):
            loop = _walk(edges, start)
            loops.append(loop)
    loops.sort(key=lambda lp: (lp[0][1], lp[0][0]))
    return loops


def _walk(edges: dict[tuple[int, int], list[int]], start: tuple[int, int]) -> list[Point]:
    vertex, prev = start, -1
    verts: list[tuple[int, int]] = []
    codes: list[int] = []
    while True:
        choices = edges[vertex]
        code = choices[0]
        if prev >= 0 and len(choices) > 1:
            # Turn right first: keeps pixels that only touch at a corner in separate loops.
            code = next((prev + t) % 4 for t in (1, 0, 3) if (prev + t) % 4 in choices)
        choices.remove(code)
        if not choices:
            del edges[vertex]
        verts.append(vertex)
        codes.append(code)
        dx, dy = _STEP[code]
        vertex, prev = (vertex[0] + dx, vertex[1] + dy), code
        if vertex == start:
            break
    # A vertex is a corner when the direction changes there.
    corners = [verts[i] for i in range(len(verts)) if codes[i] != codes[i - 1]]
    first = min(range(len(corners)), key=lambda i: (corners[i][1], corners[i][0]))
    ordered = corners[first:] + corners[:first]
    return [(float(x), float(y)) for x, y in ordered]


def mask_to_polygon_points(mask: Mask) -> list[Point]:
    """One polygon whose even-odd fill is exactly the mask's pixels: the outline loops joined
    by zero-width cuts from the end of the first loop. Empty for an empty mask."""
    loops = outline_loops(mask)
    if not loops:
        return []
    points = list(loops[0])
    anchor = points[-1]
    for loop in loops[1:]:
        points += loop + [loop[0], anchor]
    return points


def convex_hull(points: Sequence[Point]) -> list[Point]:
    """Convex hull (monotone chain), anticlockwise in a y-up frame, without repeated points."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def cross(o: Point, a: Point, b: Point) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def min_area_rect(points: Sequence[Point]) -> RotatedBox:
    """The smallest-area rotated rectangle containing ``points`` (rotating calipers over the
    convex hull's edges); the angle lies in [0, 90) degrees."""
    hull = convex_hull(points)
    if len(hull) == 1:
        x, y = hull[0]
        return RotatedBox(x, y, 0.0, 0.0, 0.0)
    best: tuple[float, float, float, float, float, float] | None = None
    arr = np.asarray(hull, dtype=np.float64)
    for i in range(len(hull)):
        (x0, y0), (x1, y1) = hull[i], hull[(i + 1) % len(hull)]
        theta = math.atan2(y1 - y0, x1 - x0) % (math.pi / 2)
        c, s = math.cos(theta), math.sin(theta)
        u = arr[:, 0] * c + arr[:, 1] * s
        v = -arr[:, 0] * s + arr[:, 1] * c
        w, h = float(u.max() - u.min()), float(v.max() - v.min())
        area = w * h
        if best is None or area < best[0] - 1e-9:
            cu, cv = (u.max() + u.min()) / 2, (v.max() + v.min()) / 2
            best = (area, theta, w, h, float(cu * c - cv * s), float(cu * s + cv * c))
    assert best is not None
    _, theta, w, h, cx, cy = best
    return RotatedBox(cx, cy, w, h, math.degrees(theta))


def rotated_from_corners(corners: Sequence[Point]) -> RotatedBox:
    """A rotated box from four corners in :meth:`RotatedBox.corners` order; when they do not
    form a rectangle (other tools' quadrilaterals), the smallest rectangle around them."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = corners
    w = math.hypot(x1 - x0, y1 - y0)
    h = math.hypot(x2 - x1, y2 - y1)
    cx, cy = (x0 + x1 + x2 + x3) / 4, (y0 + y1 + y2 + y3) / 4
    angle = math.degrees(math.atan2(y1 - y0, x1 - x0))
    box = RotatedBox(cx, cy, w, h, angle)
    scale = max(w, h, 1.0)
    if all(
        math.hypot(a[0] - b[0], a[1] - b[1]) <= 1e-6 * scale
        for a, b in zip(box.corners(), corners, strict=True)
    ):
        return box
    return min_area_rect(corners)
