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
    drawn = np.flatnonzero(outline & ~tiny)
    if drawn.size:
        # OpenCV fixed point, pixel centres at integers (ours are at +0.5).
        fixed = batch.verts * (scale * ONE)
        fixed += ((tx - 0.5) * ONE, (ty - 0.5) * ONE)
        fixed = np.rint(fixed, out=fixed).astype(np.int32)
        if style.detailed:
            _fill(buffer, batch, fixed, drawn[kinds[drawn] != POLYLINE], size, style)
        _outlines(buffer, batch, fixed, drawn, size, style)
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


def _fixed(pts: np.ndarray) -> np.ndarray:
    """Widget-frame points as OpenCV fixed point (pixel centres at integers there)."""
    return np.rint((pts - 0.5) * ONE).astype(np.int32)


def _put(view: np.ndarray, xs: np.ndarray, ys: np.ndarray, colors: np.ndarray) -> None:
    """Opaque pixels (0xAARRGGBB words, alpha 255) at (xs, ys), later ones winning."""
    h, w = view.shape[:2]
    inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    flat = view.view(np.uint32).reshape(h, w)
    flat[ys[inside], xs[inside]] = colors[inside] | np.uint32(0xFF000000)


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
    dark = (20, 20, 20, 255)
    for i in rows.tolist():
        s, e = int(batch.offsets[i]), int(batch.offsets[i + 1])
        color = _bgra(int(batch.colors[i]))
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
