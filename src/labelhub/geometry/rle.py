"""Run-length encoding of binary masks, COCO style, and polygon rasterisation.

Uncompressed RLE (COCO's ``counts`` list): the mask is read in column-major (Fortran) order,
top to bottom within a column, columns left to right, and ``counts`` holds the lengths of the
alternating runs, *starting with a run of zeros* (which is 0 when pixel (0, 0) is set). The
canonical form used here has no empty run other than that first one; a mask with no pixels at
all (zero height or width) is ``(0,)``, as pycocotools writes it.

Compressed RLE (COCO's ``counts`` string), written from the format's description: each count
after the third is replaced by its difference to the count two places before it (counts
``i > 2`` only); each resulting signed integer is cut into 5-bit groups, least significant
first; a character carries one group in its low five bits plus a continuation flag (0x20) when
more groups follow, and the character code is that six-bit value plus 48 (so ``'0'``..``'o'``).
In the last group of a number, bit 0x10 is the sign: the value is negative when it is set.

Rasterisation rule (:func:`rasterize_polygons`): pixel (row r, column c) belongs to a polygon
when its centre (c + 0.5, r + 0.5) is inside by the even-odd rule (so a self-intersecting
polygon's crossed lobes are both filled and an inner loop makes a hole). A centre lying exactly
on the boundary is inside when the polygon continues below it, or, on a vertical edge, to its
right: a top-left convention, under which polygons that tile a region cover each of its pixels
exactly once and ``Box(x, y, w, h)`` with whole-number corners covers exactly its ``w * h``
pixels. Parts outside the image are clipped. pycocotools instead snaps vertices to a 1/5-pixel
grid first; the two agree except on pixels whose centre is within about 0.2 px of an edge.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from labelhub.errors import InvalidInput

_CONTINUE = 0x20
_SIGN = 0x10
_GROUP = 0x1F
_OFFSET = 48
_MAX_GROUPS = 12  # 60 bits: run lengths up to 2**59 pixels


def _int_array(counts: Sequence[int] | np.ndarray) -> np.ndarray:
    try:
        return np.asarray(counts, dtype=np.int64).reshape(-1)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput("mask counts must be whole numbers that fit in 64 bits") from None


def canonical_counts(counts: Sequence[int]) -> tuple[int, ...]:
    """``counts`` with empty inner runs merged away, as ints. Counts containing a negative
    value cannot be merged meaningfully and are returned unchanged (``validate`` reports them).
    """
    counts = tuple(counts.tolist()) if isinstance(counts, np.ndarray) else tuple(counts)
    if not counts:
        return (0,)
    if min(counts) < 0:
        return counts
    if 0 not in counts[1:]:
        return counts
    out: list[int] = []
    for i, c in enumerate(counts):
        if c == 0:
            continue
        bit = i & 1
        if out and (len(out) - 1) & 1 == bit:
            out[-1] += c
        else:
            if not out and bit:
                out.append(0)
            out.append(c)
    return tuple(out) if out else (0,)


def _counts_from_runs(starts: np.ndarray, ends: np.ndarray, total: int) -> tuple[int, ...]:
    """Counts for runs of ones [starts[k], ends[k]) given sorted in flat (column-major) order."""
    if starts.size == 0:
        return (total,)
    joined = starts[1:] == ends[:-1]
    if joined.any():
        starts = starts[np.concatenate(([True], ~joined))]
        ends = ends[np.concatenate((~joined, [True]))]
    edges = np.empty(2 * starts.size + 2, dtype=np.int64)
    edges[0] = 0
    edges[1:-1:2] = starts
    edges[2:-1:2] = ends
    edges[-1] = total
    counts = np.diff(edges)
    if counts[-1] == 0:
        counts = counts[:-1]
    return tuple(counts.tolist())


def encode_window(
    sub: np.ndarray, row0: int, col0: int, height: int, width: int
) -> tuple[int, ...]:
    """Counts of a ``height`` x ``width`` mask that is zero except for ``sub`` placed with its
    top-left pixel at (``row0``, ``col0``); ``sub`` must lie inside the mask."""
    rows, cols = sub.shape
    if rows == 0 or cols == 0:
        return (height * width,) if height * width else (0,)
    padded = np.zeros((rows + 2, cols), dtype=np.int8)
    padded[1:-1] = sub != 0
    flat = padded.ravel(order="F")
    step = np.diff(flat)
    stride = rows + 2
    up = np.flatnonzero(step == 1) + 1
    down = np.flatnonzero(step == -1) + 1
    starts = (col0 + up // stride) * height + row0 + (up % stride) - 1
    ends = (col0 + down // stride) * height + row0 + (down % stride) - 1
    return _counts_from_runs(starts.astype(np.int64), ends.astype(np.int64), height * width)


def encode_array(mask: np.ndarray) -> tuple[int, ...]:
    """Canonical COCO counts of a 2-D array (any non-zero value counts as set)."""
    arr = np.asarray(mask)
    if arr.ndim != 2:
        raise InvalidInput(f"a mask must be a 2-D array, got shape {arr.shape}")
    h, w = arr.shape
    return encode_window(arr, 0, 0, h, w)


def decode_counts(height: int, width: int, counts: Sequence[int]) -> np.ndarray:
    """The (height, width) bool array described by ``counts``."""
    runs = _int_array(counts)
    if runs.size and runs.min() < 0:
        raise InvalidInput("mask counts must not be negative")
    total = int(runs.sum())
    if height < 0 or width < 0 or total != height * width:
        raise InvalidInput(
            f"mask counts add up to {total} pixels, but a {height} x {width} mask has "
            f"{max(height, 0) * max(width, 0)}"
        )
    bits = (np.arange(runs.size) & 1).astype(bool)
    flat = np.repeat(bits, runs)
    return np.ascontiguousarray(flat.reshape(width, height).T)


def counts_to_string(counts: Sequence[int] | np.ndarray) -> str:
    """COCO's compressed counts string (see the module documentation for the format)."""
    runs = _int_array(counts)
    if runs.size == 0:
        return ""
    values = runs.copy()
    values[3:] = runs[3:] - runs[1:-2]  # each count after the third, minus the one two before
    # Groups needed: the smallest n with -2**(5n - 1) <= value < 2**(5n - 1).
    groups = np.ones(values.size, dtype=np.int64)
    for n in range(1, _MAX_GROUPS + 1):
        limit = 1 << (5 * n - 1)
        groups += (values >= limit) | (values < -limit)
    if groups.max() > _MAX_GROUPS:
        raise InvalidInput("a mask run length is too large to encode")
    first = np.cumsum(groups) - groups
    out = np.empty(int(groups.sum()), dtype=np.uint8)
    for k in range(int(groups.max())):
        has = groups > k
        group = (values[has] >> (5 * k)) & _GROUP  # arithmetic shift keeps the sign
        more = np.where(groups[has] - 1 > k, _CONTINUE, 0)
        out[first[has] + k] = group + more + _OFFSET
    return out.tobytes().decode("ascii")


def _string_to_array(text: str | bytes) -> np.ndarray:
    if isinstance(text, str):
        try:
            data = text.encode("ascii")
        except UnicodeEncodeError:
            raise InvalidInput("a compressed mask string must be ASCII text") from None
    elif isinstance(text, bytes | bytearray):
        data = bytes(text)
    else:
        raise InvalidInput(f"a compressed mask must be a string, got {type(text).__name__}")
    codes = np.frombuffer(data, dtype=np.uint8).astype(np.int64) - _OFFSET
    bad = np.flatnonzero((codes < 0) | (codes > 63))
    if bad.size:
        pos = int(bad[0])
        if data[pos] >= 128:
            raise InvalidInput("a compressed mask string must be ASCII text")
        raise InvalidInput(
            f"compressed mask string has an invalid character {chr(data[pos])!r} at position {pos}"
        )
    if codes.size == 0:
        return np.zeros(0, dtype=np.int64)
    last = (codes & _CONTINUE) == 0
    if not last[-1]:
        raise InvalidInput("compressed mask string ends in the middle of a number")
    ends = np.flatnonzero(last)
    starts = np.concatenate(([0], ends[:-1] + 1))
    groups = ends - starts + 1
    if groups.max() > _MAX_GROUPS:
        raise InvalidInput("compressed mask string holds a number too large for a mask")
    k = np.arange(codes.size) - np.repeat(starts, groups)
    values = np.add.reduceat((codes & _GROUP) << (5 * k), starts)
    negative = (codes[ends] & _SIGN) != 0
    values[negative] -= np.left_shift(1, 5 * groups[negative])
    # Undo the delta coding: count i (i > 2) was stored minus count i - 2, so the odd counts
    # and the even counts from index 2 on are running sums.
    runs = values.copy()
    runs[1::2] = np.cumsum(values[1::2])
    runs[2::2] = np.cumsum(values[2::2])
    return runs


def string_to_counts(text: str | bytes) -> tuple[int, ...]:
    """Counts from COCO's compressed string; InvalidInput when the string is malformed."""
    return tuple(_string_to_array(text).tolist())


def _polygon_runs(points: np.ndarray, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """[start, end) flat column-major indices of the pixel runs inside one closed polygon.

    The scan goes down each pixel column c along x = c + 0.5: the edges crossing that line
    (an edge counts when min(x) <= c + 0.5 < max(x), so vertical edges never do) are paired
    top to bottom, and rows whose centre r + 0.5 lies in [top, bottom) are inside.
    """
    x0, y0 = points[:, 0], points[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    slanted = x0 != x1
    x0, y0, x1, y1 = x0[slanted], y0[slanted], x1[slanted], y1[slanted]
    xlo, xhi = np.minimum(x0, x1), np.maximum(x0, x1)
    first = np.clip(np.ceil(xlo - 0.5), 0, width).astype(np.int64)
    stop = np.clip(np.ceil(xhi - 0.5), 0, width).astype(np.int64)
    n = np.maximum(stop - first, 0)
    total = int(n.sum())
    if total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    edge = np.repeat(np.arange(n.size), n)
    cols = first[edge] + (np.arange(total) - np.repeat(np.cumsum(n) - n, n))
    slope = (y1 - y0) / (x1 - x0)
    ys = y0[edge] + (cols + 0.5 - x0[edge]) * slope[edge]
    order = np.lexsort((ys, cols))
    cols, ys = cols[order], ys[order]
    # Every column line meets a closed polygon an even number of times: pair them.
    top = np.clip(np.ceil(ys[0::2] - 0.5), 0, height).astype(np.int64)
    bottom = np.clip(np.ceil(ys[1::2] - 0.5), 0, height).astype(np.int64)
    base = cols[0::2] * height
    keep = bottom > top
    return base[keep] + top[keep], base[keep] + bottom[keep]


def _as_point_array(polygon: object) -> np.ndarray:
    try:
        pts = np.asarray(polygon, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInput("a polygon must be a list of [x, y] pairs") from None
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise InvalidInput(f"a polygon must be a list of [x, y] pairs, got shape {pts.shape}")
    if pts.shape[0] < 3:
        raise InvalidInput(f"a polygon needs at least 3 points to rasterise (got {pts.shape[0]})")
    if not np.isfinite(pts).all():
        raise InvalidInput("cannot rasterise a polygon with a coordinate that is not finite")
    return pts


def rasterize_polygons(
    polygons: Iterable[Sequence[tuple[float, float]] | np.ndarray], height: int, width: int
) -> tuple[int, ...]:
    """Canonical counts of the union of ``polygons`` (each a list of (x, y) or an (N, 2)
    array) drawn on a ``height`` x ``width`` mask by the rule in the module documentation.
    Works on the runs directly, never on a pixel array, so cost follows the outline."""
    if height < 0 or width < 0:
        raise InvalidInput(f"mask size must not be negative (got {height} x {width})")
    parts = [_polygon_runs(_as_point_array(p), height, width) for p in polygons]
    starts = np.concatenate([p[0] for p in parts] or [np.zeros(0, dtype=np.int64)])
    ends = np.concatenate([p[1] for p in parts] or [np.zeros(0, dtype=np.int64)])
    if starts.size == 0:
        return (height * width,) if height * width else (0,)
    # Union of the runs: sort by start and merge each run into the one before it when they
    # overlap (runs that merely touch are joined by _counts_from_runs).
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], np.maximum.accumulate(ends[order])
    opens = np.concatenate(([True], starts[1:] > ends[:-1]))
    idx = np.flatnonzero(opens)
    closes = np.concatenate((idx[1:] - 1, [starts.size - 1]))
    return _counts_from_runs(starts[idx], ends[closes], height * width)
