"""Drawing many shapes into a pixel buffer with numpy and OpenCV (no Qt, no GIL held for long).

The buffer is (H, W, 4) uint8 in the byte order of QImage.Format_ARGB32_Premultiplied on a
little-endian machine (B, G, R, A), transparent where nothing is drawn. Two levels of detail:

* **detailed** (a few thousand shapes in view): semi-transparent fills, anti-aliased outlines,
  round point markers and keypoint skeletons, mask contours;
* **overview** (more than that): one-pixel outlines rasterised for every segment at once in
  numpy, with each shape's own colour and in stacking order, no fills; shapes smaller than a
  couple of pixels become single dots.

Either way the work is in array code and OpenCV calls, which release the GIL, so a worker
thread can draw while the interface thread keeps painting. Drawing into a window of the buffer
(``window``) gives the same pixels as drawing everything, which lets one shape's change be
redrawn in place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from labelhub.gui.canvas.masks import MaskWindow
from labelhub.gui.canvas.model import BOX, KEYPOINTS, POINTS, POLYGON, POLYLINE, ROTATED_BOX
from labelhub.gui.canvas.store import RenderBatch

SHIFT = 4
ONE = 1 << SHIFT
Window = tuple[int, int, int, int]  # u0, v0, u1, v1 (buffer pixels, end exclusive)


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


def _bgra(argb: int, alpha: float = 1.0) -> tuple[int, int, int, int]:
    """A straight 0xAARRGGBB colour as premultiplied (B, G, R, A) at opacity ``alpha``."""
    a = alpha * ((argb >> 24) & 255) / 255.0
    return (int(round((argb & 255) * a)), int(round(((argb >> 8) & 255) * a)),
            int(round(((argb >> 16) & 255) * a)), int(round(255 * a)))


def render(buffer: np.ndarray, batch: RenderBatch, scale: float, tx: float, ty: float,
           style: Style, mask_window: Callable[[object], MaskWindow],
           window: Window | None = None) -> None:
    """Draw ``batch`` into ``buffer``: image point (x, y) lands on buffer position
    (x * scale + tx, y * scale + ty), where pixel (u, v) spans [u, u + 1) x [v, v + 1).
    With ``window`` only those pixels are touched (cleared first by the caller)."""
    h_full, w_full = buffer.shape[:2]
    u0, v0, u1, v1 = window if window is not None else (0, 0, w_full, h_full)
    if u1 <= u0 or v1 <= v0 or len(batch) == 0:
        return
    view = buffer[v0:v1, u0:u1]
    tx, ty = tx - u0, ty - v0
    clip = (-u0, -v0, w_full - u0, h_full - v0)  # the whole buffer, in the window's frame
    if batch.masks:
        _draw_masks(view, batch, scale, tx, ty, style, mask_window)
    pts = batch.verts * scale + (tx, ty)
    sb = batch.bounds * scale + (tx, ty, tx, ty)
    size = np.maximum(sb[:, 2] - sb[:, 0], sb[:, 3] - sb[:, 1])
    kinds = batch.kinds
    outline = (kinds <= POLYLINE) & (batch.offsets[1:] > batch.offsets[:-1])
    tiny = outline & (size < style.dot_px)
    if style.detailed:
        _fill(view, batch, pts, np.flatnonzero(outline & ~tiny & (kinds != POLYLINE)), style)
        _outline_aa(view, batch, pts, np.flatnonzero(outline & ~tiny), style)
    else:
        _outline_fast(view, batch, pts, np.flatnonzero(outline & ~tiny), sb, clip)
    _dots(view, batch, sb, np.flatnonzero(tiny))
    marks = np.flatnonzero((kinds == POINTS) | (kinds == KEYPOINTS))
    if marks.size:
        _points(view, batch, pts, marks, style)


# -- polygons ----------------------------------------------------------------------------------


def _fixed(pts: np.ndarray) -> np.ndarray:
    # Pixel centres sit at integer coordinates in OpenCV, at +0.5 in ours.
    return np.rint((pts - 0.5) * ONE).astype(np.int32)


def _split(fixed: np.ndarray, batch: RenderBatch, rows: np.ndarray) -> list[np.ndarray]:
    starts, ends = batch.offsets[rows], batch.offsets[rows + 1]
    return [fixed[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]


def _groups(batch: RenderBatch, rows: np.ndarray) -> list[tuple[int, bool, np.ndarray]]:
    """Rows grouped by (colour, selected), groups in order of their first row."""
    if rows.size == 0:
        return []
    key = batch.colors[rows].astype(np.int64) * 2 + batch.selected[rows]
    uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    out = []
    for g in np.argsort(first).tolist():
        members = rows[inverse == g]
        out.append((int(uniq[g] // 2), bool(uniq[g] & 1), members))
    return out


def _fill(view: np.ndarray, batch: RenderBatch, pts: np.ndarray, rows: np.ndarray,
          style: Style) -> None:
    if rows.size == 0:
        return
    fixed = _fixed(pts)
    for color, selected, members in _groups(batch, rows):
        alpha = style.selected_fill_alpha if selected else style.fill_alpha
        polys = _split(fixed, batch, members)
        cv2.fillPoly(view, polys, _bgra(color, alpha), cv2.LINE_8, SHIFT)


def _outline_aa(view: np.ndarray, batch: RenderBatch, pts: np.ndarray, rows: np.ndarray,
                style: Style) -> None:
    if rows.size == 0:
        return
    fixed = _fixed(pts)
    closed_kind = np.isin(batch.kinds, (BOX, ROTATED_BOX, POLYGON))
    for color, selected, members in _groups(batch, rows):
        thickness = style.line_px + (1 if selected else 0)
        for closed in (True, False):
            part = members[closed_kind[members] == closed]
            if part.size:
                cv2.polylines(view, _split(fixed, batch, part), closed, _bgra(color), thickness,
                              cv2.LINE_AA, SHIFT)


def _clip_segments(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray,
                   rect: tuple[float, float, float, float]) -> tuple[np.ndarray, ...]:
    """Liang-Barsky clipping of many segments to ``rect``; returns the kept part of each and
    a mask of the segments that have one."""
    dx, dy = x1 - x0, y1 - y0
    t0 = np.zeros_like(x0)
    t1 = np.ones_like(x0)
    keep = np.ones(x0.shape, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q in ((-dx, x0 - rect[0]), (dx, rect[2] - x0), (-dy, y0 - rect[1]),
                     (dy, rect[3] - y0)):
            parallel = p == 0
            keep &= ~(parallel & (q < 0))
            r = q / p
            t0 = np.where(~parallel & (p < 0), np.maximum(t0, r), t0)
            t1 = np.where(~parallel & (p > 0), np.minimum(t1, r), t1)
    keep &= t0 <= t1
    return x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy, keep


def _simplified(batch: RenderBatch, pts: np.ndarray, rows: np.ndarray, sb: np.ndarray,
                min_px: float) -> tuple[np.ndarray, np.ndarray]:
    """Vertices of ``rows`` thinned so that outline segments are about ``min_px`` long or more
    on screen (every k-th vertex; a polyline keeps its last one): (points, offsets)."""
    starts, ends = batch.offsets[rows], batch.offsets[rows + 1]
    counts = ends - starts
    perimeter = 2.0 * ((sb[rows, 2] - sb[rows, 0]) + (sb[rows, 3] - sb[rows, 1]))
    step = np.clip(np.floor(min_px * counts / np.maximum(perimeter, 1e-9)), 1, None)
    step = np.minimum(step, np.maximum(counts // 3, 1)).astype(np.int64)
    owner = np.repeat(np.arange(rows.size), counts)
    local = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    keep = (local % step[owner] == 0)
    open_rows = batch.kinds[rows] == POLYLINE
    if open_rows.any():
        keep |= open_rows[owner] & (local == counts[owner] - 1)
    src = np.repeat(starts, counts) + local
    kept = np.bincount(owner[keep], minlength=rows.size)
    offsets = np.zeros(rows.size + 1, dtype=np.int64)
    np.cumsum(kept, out=offsets[1:])
    return pts[src[keep]], offsets


def _segments(kinds: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start index, end index and owner (position in ``kinds``) of every outline segment."""
    counts = np.diff(offsets)
    closed = kinds != POLYLINE
    nseg = np.where(closed, counts, np.maximum(counts - 1, 0))
    total = int(nseg.sum())
    owner = np.repeat(np.arange(kinds.size), nseg)
    local = np.arange(total) - np.repeat(np.cumsum(nseg) - nseg, nseg)
    a = offsets[:-1][owner] + local
    b = a + 1
    wrap = b == offsets[1:][owner]
    b[wrap] = offsets[:-1][owner[wrap]]
    return a, b, owner


def _outline_fast(view: np.ndarray, batch: RenderBatch, pts: np.ndarray, rows: np.ndarray,
                  sb: np.ndarray, clip: tuple[int, int, int, int]) -> None:
    if rows.size == 0:
        return
    spts, offsets = _simplified(batch, pts, rows, sb, 3.0)
    a, b, owner = _segments(batch.kinds[rows], offsets)
    spts = spts.astype(np.float32)
    x0, y0, x1, y1 = spts[a, 0], spts[a, 1], spts[b, 0], spts[b, 1]
    # Only shapes reaching past the buffer need their segments clipped.
    r = sb[rows]
    out = ((r[:, 0] < clip[0]) | (r[:, 1] < clip[1]) | (r[:, 2] >= clip[2])
           | (r[:, 3] >= clip[3]))[owner]
    if out.any():
        cx0, cy0, cx1, cy1, keep = _clip_segments(
            x0[out], y0[out], x1[out], y1[out],
            (clip[0], clip[1], clip[2] - 1e-3, clip[3] - 1e-3))
        x0[out], y0[out], x1[out], y1[out] = cx0, cy0, cx1, cy1
        drop = np.flatnonzero(out)[~keep]
        if drop.size:
            good = np.ones(x0.size, dtype=bool)
            good[drop] = False
            x0, y0, x1, y1, owner = x0[good], y0[good], x1[good], y1[good], owner[good]
    dx, dy = x1 - x0, y1 - y0
    n = (np.ceil(np.maximum(np.abs(dx), np.abs(dy))) + 1).astype(np.int32)
    total = int(n.sum(dtype=np.int64))
    if total == 0:
        return
    seg = np.repeat(np.arange(n.size, dtype=np.int32), n)
    first = np.cumsum(n, dtype=np.int64) - n
    t = (np.arange(total, dtype=np.int64) - first[seg]).astype(np.float32)
    t *= (1.0 / np.maximum(n - 1, 1).astype(np.float32))[seg]
    xs = (x0[seg] + dx[seg] * t).astype(np.int32)  # coordinates are >= 0 here: truncation floors
    ys = (y0[seg] + dy[seg] * t).astype(np.int32)
    colors = batch.colors[rows][owner][seg]
    if clip == (0, 0, view.shape[1], view.shape[0]):
        flat = view.view(np.uint32).reshape(view.shape[:2])
        flat[ys, xs] = colors | np.uint32(0xFF000000)
    else:
        _put(view, xs, ys, colors)


def _put(view: np.ndarray, xs: np.ndarray, ys: np.ndarray, colors: np.ndarray) -> None:
    """Opaque pixels (0xAARRGGBB words, alpha 255) at (xs, ys), later ones winning."""
    h, w = view.shape[:2]
    inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    flat = view.view(np.uint32).reshape(h, w)
    flat[ys[inside], xs[inside]] = colors[inside] | np.uint32(0xFF000000)


def _dots(view: np.ndarray, batch: RenderBatch, sb: np.ndarray, rows: np.ndarray) -> None:
    if rows.size == 0:
        return
    cx = (sb[rows, 0] + sb[rows, 2]) / 2
    cy = (sb[rows, 1] + sb[rows, 3]) / 2
    _put(view, np.floor(cx).astype(np.int32), np.floor(cy).astype(np.int32),
         batch.colors[rows].astype(np.uint32))


# -- points, keypoints, masks ------------------------------------------------------------------


def _points(view: np.ndarray, batch: RenderBatch, pts: np.ndarray, rows: np.ndarray,
            style: Style) -> None:
    r = style.point_radius
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
                cv2.line(view, placed[a], placed[b], color, style.line_px, cv2.LINE_AA, SHIFT)
        radius = int(r * ONE)
        ring = int((r + 1.5) * ONE)
        for j, (u, v) in shown:
            cv2.circle(view, (u, v), ring, dark, -1, cv2.LINE_AA, SHIFT)
            if vis[j] >= 2:
                cv2.circle(view, (u, v), radius, color, -1, cv2.LINE_AA, SHIFT)
            else:  # labelled but occluded: a hollow marker
                cv2.circle(view, (u, v), radius - ONE, color, 2, cv2.LINE_AA, SHIFT)


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
