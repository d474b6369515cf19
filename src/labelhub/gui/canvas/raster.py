"""Drawing many shapes into a pixel buffer with numpy and OpenCV (no Qt, GIL mostly released).

The buffer is (H, W, 4) uint8 in the byte order of QImage.Format_ARGB32_Premultiplied on a
little-endian machine (B, G, R, A), transparent where nothing is drawn. Shapes are handed to
OpenCV in blocks (one call per colour and vertex-count bucket, never one per shape), at two
levels of detail:

* **detailed** (a few thousand shapes in view): semi-transparent fills, anti-aliased outlines,
  round point markers and keypoint skeletons, mask contours;
* **overview** (more than that): one-pixel outlines, no fills; shapes smaller than a couple of
  pixels become single dots.

OpenCV and numpy release the GIL while they work, so a worker thread can draw while the
interface thread keeps painting. :func:`redraw` repaints one window of a buffer with exactly the
pixels a full drawing would give there, which lets one shape's change be shown in place at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from labelhub.gui.canvas.masks import MaskWindow
from labelhub.gui.canvas.model import CLOSED_KINDS, KEYPOINTS, POINTS, POLYLINE
from labelhub.gui.canvas.spatial import ragged_arange
from labelhub.gui.canvas.store import RenderBatch

SHIFT = 4
ONE = 1 << SHIFT


@dataclass(frozen=True, slots=True)
class Style:
    """How shapes are drawn into the cache (fixed for one cached rendering)."""

    detailed: bool = True
    line_px: int = 2
    fill_alpha: float = 0.22
    selected_fill_alpha: float = 0.38
    mask_alpha: float = 0.45
    point_radius: float = 4.0
    dot_px: float = 2.0
    block_px: float = 4.0  # overview only: shapes smaller than this are 2 x 2 dots
    dash_px: float = 7.0  # dashed outlines: the dashes and the gaps between, in buffer pixels
    gap_px: float = 5.0


def _bgra(argb: int, alpha: float = 1.0) -> tuple[int, int, int, int]:
    """A straight 0xAARRGGBB colour as premultiplied (B, G, R, A) at opacity ``alpha``."""
    a = alpha * ((argb >> 24) & 255) / 255.0
    return (int(round((argb & 255) * a)), int(round(((argb >> 8) & 255) * a)),
            int(round(((argb >> 16) & 255) * a)), int(round(255 * a)))


def render(buffer: np.ndarray, batch: RenderBatch, scale: float, tx: float, ty: float,
           style: Style, mask_window: Callable[[object], MaskWindow]) -> None:
    """Draw ``batch`` into ``buffer``: image point (x, y) lands on buffer position
    (x * scale + tx, y * scale + ty), where pixel (u, v) spans [u, u + 1) x [v, v + 1).

    Each shape's pixels depend only on the shape, the transform and the buffer size, so
    drawing a subset of the shapes into a cleared copy gives the same pixels wherever only
    that subset reaches (which is how one shape's change is redrawn in place)."""
    if len(batch) == 0:
        return
    if batch.masks:
        _draw_masks(buffer, batch, scale, tx, ty, style, mask_window)
    sb = batch.bounds * scale + (tx, ty, tx, ty)
    size = np.maximum(sb[:, 2] - sb[:, 0], sb[:, 3] - sb[:, 1])
    kinds = batch.kinds
    outline = (kinds <= POLYLINE) & (batch.offsets[1:] > batch.offsets[:-1])
    tiny = outline & (size < (style.dot_px if style.detailed else style.block_px))
    dashed = batch.dashed if batch.dashed is not None else np.zeros(len(batch), dtype=bool)
    drawn = np.flatnonzero(outline & ~tiny & ~dashed)
    if drawn.size:
        # OpenCV fixed point, pixel centres at integers (ours are at +0.5).
        fixed = batch.verts * (scale * ONE)
        fixed += ((tx - 0.5) * ONE, (ty - 0.5) * ONE)
        fixed = np.rint(fixed, out=fixed).astype(np.int32)
        if style.detailed:
            _fill(buffer, batch, fixed, drawn[kinds[drawn] != POLYLINE], size, style)
        _outlines(buffer, batch, fixed, drawn, size, style)
    dashes = np.flatnonzero(outline & ~tiny & dashed)
    if dashes.size:
        _dashed(buffer, batch, batch.verts * scale + (tx, ty), dashes, style)
    _dots(buffer, batch, sb, np.flatnonzero(tiny), size, style.dot_px)
    marks = np.flatnonzero((kinds == POINTS) | (kinds == KEYPOINTS))
    if marks.size:
        pts = batch.verts * scale + (tx, ty)
        _points(buffer, batch, pts, marks, size, style)


def redraw(buffer: np.ndarray, scratch: np.ndarray, batch: RenderBatch, scale: float,
           tx: float, ty: float, style: Style, mask_window: Callable[[object], MaskWindow],
           window: tuple[int, int, int, int], pad: int) -> None:
    """Repaint ``window`` (u0, v0, u1, v1) of ``buffer`` given ``batch``, every shape that
    reaches the window grown by ``pad``. The shapes are drawn whole into ``scratch`` (a buffer
    of the same size, cleared here where they land) so that OpenCV clips them exactly as in
    the full drawing; then the window is copied over."""
    h, w = buffer.shape[:2]
    u0, v0, u1, v1 = window
    if len(batch):
        sb = batch.bounds * scale + (tx, ty, tx, ty)
        lo = np.floor(np.nanmin(sb[:, :2], axis=0)).astype(int) - pad
        hi = np.ceil(np.nanmax(sb[:, 2:], axis=0)).astype(int) + pad + 1
        c0, r0 = max(min(int(lo[0]), u0), 0), max(min(int(lo[1]), v0), 0)
        c1, r1 = min(max(int(hi[0]), u1), w), min(max(int(hi[1]), v1), h)
    else:
        c0, r0, c1, r1 = u0, v0, u1, v1
    scratch[r0:r1, c0:c1] = 0
    render(scratch, batch, scale, tx, ty, style, mask_window)
    buffer[v0:v1, u0:u1] = scratch[v0:v1, u0:u1]


# -- polygons ----------------------------------------------------------------------------------


def _buckets(batch: RenderBatch, fixed: np.ndarray, rows: np.ndarray, size: np.ndarray,
             thin: bool) -> list[tuple[int, bool, bool, np.ndarray]]:
    """``rows`` as (colour, selected, closed, (k, n, 2) vertices) blocks for OpenCV, each
    outline padded to one of a few vertex counts by repeating its last vertex (which draws
    nothing more). With ``thin``, outlines only a few pixels across keep every 2nd or 4th
    vertex (always their last). The block order depends only on those keys, never on which
    rows are given, so a partial redraw stacks shapes as the full drawing does; selected
    shapes come last."""
    if rows.size == 0:
        return []
    starts = batch.offsets[rows]
    counts = batch.offsets[rows + 1] - starts
    # Widths 4, 6, 9, 14, 21, 32, 48, ...: padding wastes at most a third.
    grade = np.ceil(np.log(np.maximum(counts, 4) / 4.0) / np.log(1.5) - 1e-9).astype(np.int64)
    width = np.ceil(4.0 * 1.5 ** grade - 1e-9).astype(np.int64)
    step = np.ones(rows.size, dtype=np.int64)
    if thin:
        small = size[rows]
        step[(counts >= 12) & (small < 40)] = 2
        step[(counts >= 12) & (small < 12)] = 4
    closed = np.isin(batch.kinds[rows], CLOSED_KINDS)
    key = (batch.selected[rows].astype(np.int64) << 62 | closed.astype(np.int64) << 61
           | grade << 40 | step << 36
           | batch.colors[rows].astype(np.int64) & 0xFFFFFFFF)
    order = np.argsort(key, kind="stable")
    key = key[order]
    cuts = np.flatnonzero(key[1:] != key[:-1]) + 1
    # (x, y) int32 pairs moved as one 8-byte word each: numpy gathers those far faster.
    pairs = np.ascontiguousarray(fixed).view(np.int64)[:, 0]
    out = []
    for lo, hi in zip([0, *cuts.tolist()], [*cuts.tolist(), key.size], strict=True):
        members = order[lo:hi]
        k = int(key[lo])
        n, st = int(width[members[0]]), k >> 36 & 0xF
        lanes = np.minimum(np.arange(0, n, st), counts[members, None] - 1)
        lanes[:, -1] = counts[members] - 1  # thinned outlines still end on their last vertex
        block = np.take(pairs, starts[members, None] + lanes).view(np.int32).reshape(
            members.size, lanes.shape[1], 2)
        out.append((k & 0xFFFFFFFF, bool(k >> 62 & 1), bool(k >> 61 & 1), block))
    return out


def _fill(view: np.ndarray, batch: RenderBatch, fixed: np.ndarray, rows: np.ndarray,
          size: np.ndarray, style: Style) -> None:
    for color, selected, _closed, block in _buckets(batch, fixed, rows, size, False):
        alpha = style.selected_fill_alpha if selected else style.fill_alpha
        cv2.fillPoly(view, block, _bgra(color, alpha), cv2.LINE_8, SHIFT)


def _outlines(view: np.ndarray, batch: RenderBatch, fixed: np.ndarray, rows: np.ndarray,
              size: np.ndarray, style: Style) -> None:
    line = cv2.LINE_AA if style.detailed else cv2.LINE_8
    for color, selected, closed, block in _buckets(batch, fixed, rows, size, not style.detailed):
        thickness = (style.line_px + (1 if selected else 0)) if style.detailed else 1
        cv2.polylines(view, block, closed, _bgra(color), thickness, line, SHIFT)


def _dashed(view: np.ndarray, batch: RenderBatch, pts: np.ndarray, rows: np.ndarray,
            style: Style) -> None:
    """Outlines of ``rows`` as dashes (no fill): ``pts`` are the batch's vertices in buffer
    coordinates. The dash pattern runs on along each outline (around corners), and only the
    parts of edges inside the buffer are cut into dashes, so a shape far larger than the view
    costs what its visible part does."""
    h, w = view.shape[:2]
    starts = batch.offsets[rows]
    counts = batch.offsets[rows + 1] - starts
    closed = np.isin(batch.kinds[rows], CLOSED_KINDS) & (counts > 2)
    edges = np.maximum(counts - 1, 0) + closed
    keep = edges > 0
    rows, starts, counts, closed, edges = rows[keep], starts[keep], counts[keep], closed[keep], edges[keep]
    if rows.size == 0:
        return
    a = ragged_arange(starts, edges)
    b = a + 1
    last = np.cumsum(edges) - 1
    b[last[closed]] = starts[closed]  # a closed outline's last edge goes back to its first vertex
    p, q = pts[a], pts[b]
    d = q - p
    length = np.hypot(d[:, 0], d[:, 1])
    # Arc length at the start of each edge, counted from its outline's first vertex.
    run = np.cumsum(length) - length
    s0 = run - np.repeat(run[last - edges + 1], edges)
    # The part of each edge inside the buffer (grown by a line width): [lo, hi] along it.
    lo, hi = np.zeros_like(length), length.copy()
    m = 4.0
    for axis, limit in ((0, w), (1, h)):
        dv, pv = d[:, axis], p[:, axis]
        with np.errstate(divide="ignore", invalid="ignore"):
            t_a = (-m - pv) / dv * length
            t_b = (limit + m - pv) / dv * length
        flat = dv == 0
        inside = (pv >= -m) & (pv <= limit + m)
        enter = np.where(flat, np.where(inside, -np.inf, np.inf), np.minimum(t_a, t_b))
        leave = np.where(flat, np.where(inside, np.inf, -np.inf), np.maximum(t_a, t_b))
        lo, hi = np.maximum(lo, enter), np.minimum(hi, leave)
    thickness = style.line_px if style.detailed else 1
    line = cv2.LINE_AA if style.detailed else cv2.LINE_8
    # An anti-aliased line's ends reach past its end points (about t * t / 2 for width t):
    # dashes are drawn that much shorter, so that what shows is dash_px on, gap_px off.
    cap = thickness * thickness / 2.0 if style.detailed else 0.0
    dash = max(style.dash_px - 2 * cap, 1.0)
    period = style.dash_px + style.gap_px
    seen = (hi > lo) & (length > 0)
    lo, hi = np.where(seen, lo, 0.0), np.where(seen, hi, 0.0)
    first = np.floor((s0 + lo) / period)
    final = np.floor((s0 + hi) / period)
    n = np.where(seen, final - first + 1, 0).astype(np.int64)
    if not n.any():
        return
    edge = np.repeat(np.arange(a.size), n)
    k = np.repeat(first, n) + (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n))
    t0 = np.maximum(k * period - s0[edge], lo[edge])
    t1 = np.minimum(k * period + dash - s0[edge], hi[edge])
    on = t1 > t0
    edge, t0, t1 = edge[on], t0[on], t1[on]
    unit = d[edge] / length[edge, None]
    segments = np.stack([p[edge] + unit * t0[:, None], p[edge] + unit * t1[:, None]], axis=1)
    fixed = _fixed(segments.reshape(-1, 2)).reshape(-1, 2, 2)
    row_of_edge = np.repeat(np.arange(rows.size), edges)
    colors = batch.colors[rows[row_of_edge[edge]]]
    for color in np.unique(colors).tolist():
        block = fixed[colors == color]
        cv2.polylines(view, block, False, _bgra(int(color)), thickness, line, SHIFT)


def _fixed(pts: np.ndarray) -> np.ndarray:
    """Widget-frame points as OpenCV fixed point (pixel centres at integers there)."""
    return np.rint((pts - 0.5) * ONE).astype(np.int32)


def _put(view: np.ndarray, xs: np.ndarray, ys: np.ndarray, colors: np.ndarray) -> None:
    """Opaque pixels (0xAARRGGBB words, alpha 255) at (xs, ys), later ones winning."""
    h, w = view.shape[:2]
    inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    flat = view.view(np.uint32).reshape(h, w)
    colors = colors[inside].astype(np.uint32)
    alpha = colors >> np.uint32(24)
    if (alpha < 255).any():  # a faint layer's dots: premultiplied by their alpha
        channels = np.stack([(colors >> np.uint32(s)) & np.uint32(255) for s in (0, 8, 16)])
        channels = (channels * alpha + 127) // 255
        colors = channels[0] | channels[1] << np.uint32(8) | channels[2] << np.uint32(16) \
            | alpha << np.uint32(24)
    else:
        colors = colors | np.uint32(0xFF000000)
    flat[ys[inside], xs[inside]] = colors


def _dots(view: np.ndarray, batch: RenderBatch, sb: np.ndarray, rows: np.ndarray,
          size: np.ndarray, one_px: float) -> None:
    """Shapes too small to outline: a pixel at their centre, 2 x 2 pixels from ``one_px``."""
    if rows.size == 0:
        return
    cx = np.floor((sb[rows, 0] + sb[rows, 2]) / 2).astype(np.int32)
    cy = np.floor((sb[rows, 1] + sb[rows, 3]) / 2).astype(np.int32)
    colors = batch.colors[rows].astype(np.uint32)
    big = size[rows] >= one_px
    _put(view, cx, cy, colors)
    if big.any():
        bx, by, bc = cx[big], cy[big], colors[big]
        _put(view, np.concatenate([bx + 1, bx, bx + 1]), np.concatenate([by, by + 1, by + 1]),
             np.concatenate([bc, bc, bc]))


# -- points, keypoints, masks ------------------------------------------------------------------


def _points(view: np.ndarray, batch: RenderBatch, pts: np.ndarray, rows: np.ndarray,
            size: np.ndarray, style: Style) -> None:
    """Round markers with a dark rim (hollow for occluded keypoints) and skeleton lines; a
    skeleton small on screen gets smaller markers so that it stays readable."""
    fixed = _fixed(pts)
    for i in rows.tolist():
        s, e = int(batch.offsets[i]), int(batch.offsets[i + 1])
        color = _bgra(int(batch.colors[i]))
        dark = _bgra(0xFF141414, color[3] / 255.0)  # the rim as faint as the marker
        vis = batch.vis[s:e]
        shown = [(j, (int(fixed[s + j, 0]), int(fixed[s + j, 1]))) for j in range(e - s)
                 if vis[j] > 0]
        if not style.detailed:
            for _, (u, v) in shown:
                cv2.rectangle(view, (u - ONE, v - ONE), (u + ONE, v + ONE), color, -1,
                              cv2.LINE_8, SHIFT)
            continue
        edges = batch.skeletons.get(i, ())
        placed = dict(shown)
        for a, b in edges:
            if a in placed and b in placed:
                cv2.line(view, placed[a], placed[b], color, 2 if size[i] > 40 else 1,
                         cv2.LINE_AA, SHIFT)
        many = e - s > 1
        r = min(max(size[i] / 12.0, 1.5), style.point_radius) if many else style.point_radius
        radius = int(r * ONE)
        ring = int((r + (1.5 if r > 2.5 else 1.0)) * ONE)
        for j, (u, v) in shown:
            cv2.circle(view, (u, v), ring, dark, -1, cv2.LINE_AA, SHIFT)
            if vis[j] >= 2:
                cv2.circle(view, (u, v), radius, color, -1, cv2.LINE_AA, SHIFT)
            else:  # labelled but occluded: a hollow marker
                cv2.circle(view, (u, v), max(radius - ONE, ONE), color, 2 if r > 2.5 else 1,
                           cv2.LINE_AA, SHIFT)


def _draw_masks(view: np.ndarray, batch: RenderBatch, scale: float, tx: float, ty: float,
                style: Style, mask_window: Callable[[object], MaskWindow]) -> None:
    h, w = view.shape[:2]
    for i, mask in batch.masks:
        win = mask_window(mask)
        if win.pixels.size == 0:
            continue
        u0 = max(int(np.floor(win.x0 * scale + tx)), 0)
        v0 = max(int(np.floor(win.y0 * scale + ty)), 0)
        u1 = min(int(np.ceil(win.x1 * scale + tx)), w)
        v1 = min(int(np.ceil(win.y1 * scale + ty)), h)
        if u1 <= u0 or v1 <= v0:
            continue
        cols = np.floor((np.arange(u0, u1) + 0.5 - tx) / scale).astype(np.int64) - win.x0
        rows = np.floor((np.arange(v0, v1) + 0.5 - ty) / scale).astype(np.int64) - win.y0
        okc = (cols >= 0) & (cols < win.pixels.shape[1])
        okr = (rows >= 0) & (rows < win.pixels.shape[0])
        sampled = np.zeros((v1 - v0, u1 - u0), dtype=np.uint8)
        sampled[np.ix_(okr, okc)] = win.pixels[np.ix_(rows[okr], cols[okc])]
        alpha = style.selected_fill_alpha + 0.15 if batch.selected[i] else style.mask_alpha
        color = np.array(_bgra(int(batch.colors[i]), alpha), dtype=np.uint16)
        region = view[v0:v1, u0:u1]
        on = sampled > 0
        keep = 255 - int(color[3])
        region[on] = ((region[on].astype(np.uint16) * keep + 127) // 255 + color).astype(np.uint8)
        if style.detailed:
            contours, _ = cv2.findContours(sampled, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
            cv2.drawContours(region, contours, -1, _bgra(int(batch.colors[i])), 1, cv2.LINE_AA)
