"""Mask pixels for drawing and brushing, decoded and encoded by window (numpy and OpenCV).

A mask of an 8000 x 6000 image is 48 million pixels; decoding or encoding all of them for every
brush stroke would take a noticeable fraction of a second. These helpers touch only the columns
and rows that matter: the set pixels' bounds, or the window a stroke covers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labelhub.geometry import Mask
from labelhub.geometry.rle import encode_window


@dataclass(frozen=True, slots=True)
class MaskWindow:
    """The pixels of a mask inside [x0, x0 + w) x [y0, y0 + h): ``pixels`` is (h, w) uint8 0/1."""

    x0: int
    y0: int
    pixels: np.ndarray

    @property
    def x1(self) -> int:
        return self.x0 + self.pixels.shape[1]

    @property
    def y1(self) -> int:
        return self.y0 + self.pixels.shape[0]

    def contains(self, x: float, y: float) -> bool:
        """Whether image point (x, y) falls on a set pixel."""
        c, r = int(np.floor(x)) - self.x0, int(np.floor(y)) - self.y0
        h, w = self.pixels.shape
        return 0 <= r < h and 0 <= c < w and bool(self.pixels[r, c])


def decode_window(mask: Mask, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    """The (y1 - y0, x1 - x0) uint8 pixels of ``mask`` in that window (0 outside the mask)."""
    out = np.zeros((max(y1 - y0, 0), max(x1 - x0, 0)), dtype=np.uint8)
    h, w = mask.height, mask.width
    c0, c1 = max(x0, 0), min(x1, w)
    r0, r1 = max(y0, 0), min(y1, h)
    if c1 <= c0 or r1 <= r0 or len(mask.counts) < 2:
        return out
    edges = np.cumsum(np.asarray(mask.counts, dtype=np.int64))
    n = len(mask.counts) // 2
    starts, ends = edges[0: 2 * n: 2], edges[1: 2 * n: 2]
    lo, hi = c0 * h, c1 * h  # the window's columns, whole, in column-major order
    keep = (ends > lo) & (starts < hi)
    starts = np.clip(starts[keep], lo, hi) - lo
    ends = np.clip(ends[keep], lo, hi) - lo
    flat = np.zeros(hi - lo + 1, dtype=np.int8)
    np.add.at(flat, starts, 1)
    np.add.at(flat, ends, -1)
    columns = np.cumsum(flat[:-1], dtype=np.int8).view(np.uint8).reshape(c1 - c0, h).T
    out[r0 - y0: r1 - y0, c0 - x0: c1 - x0] = columns[r0:r1]
    return out


def window_of(mask: Mask) -> MaskWindow:
    """The set pixels of ``mask`` cut to their bounds."""
    x0, y0, x1, y1 = (int(v) for v in mask.bounds())
    return MaskWindow(x0, y0, decode_window(mask, x0, y0, x1, y1))


def encode(height: int, width: int, window: MaskWindow) -> Mask:
    """A ``height`` x ``width`` mask whose only set pixels are those of ``window`` (which is
    clipped to the mask)."""
    x0, y0 = max(window.x0, 0), max(window.y0, 0)
    x1, y1 = min(window.x1, width), min(window.y1, height)
    if x1 <= x0 or y1 <= y0:
        return Mask.empty(height, width)
    sub = window.pixels[y0 - window.y0: y1 - window.y0, x0 - window.x0: x1 - window.x0]
    return Mask(height, width, encode_window(sub, y0, x0, height, width))


def stroke_window(
    points: list[tuple[float, float]], radius: float, width: int, height: int
) -> MaskWindow:
    """A round brush of ``radius`` image pixels dragged through ``points``, as a window of the
    image: a pixel is painted when its centre is within the stroke."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    r = max(radius, 0.5)
    x0 = int(max(np.floor(pts[:, 0].min() - r) - 1, 0))
    y0 = int(max(np.floor(pts[:, 1].min() - r) - 1, 0))
    x1 = int(min(np.ceil(pts[:, 0].max() + r) + 2, width))
    y1 = int(min(np.ceil(pts[:, 1].max() + r) + 2, height))
    if x1 <= x0 or y1 <= y0:
        return MaskWindow(0, 0, np.zeros((0, 0), dtype=np.uint8))
    pixels = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    ends = pts if len(pts) == 1 else None
    segments = [(pts[0], pts[0])] if ends is not None else list(zip(pts[:-1], pts[1:], strict=False))
    for (ax, ay), (bx, by) in segments:
        # Only the pixels around this segment: its bounds grown by the radius.
        c0, c1 = int(max(np.floor(min(ax, bx) - r) - x0, 0)), int(min(np.ceil(max(ax, bx) + r) - x0 + 1, x1 - x0))
        r0, r1 = int(max(np.floor(min(ay, by) - r) - y0, 0)), int(min(np.ceil(max(ay, by) + r) - y0 + 1, y1 - y0))
        if c1 <= c0 or r1 <= r0:
            continue
        cx = np.arange(c0, c1) + x0 + 0.5
        cy = (np.arange(r0, r1) + y0 + 0.5)[:, None]
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else np.clip(((cx - ax) * dx + (cy - ay) * dy) / length2, 0, 1)
        near = (cx - (ax + t * dx)) ** 2 + (cy - (ay + t * dy)) ** 2 <= r * r
        pixels[r0:r1, c0:c1] |= near.astype(np.uint8)
    return MaskWindow(x0, y0, pixels)


def combine(base: MaskWindow | None, stroke: MaskWindow, erase: bool) -> MaskWindow:
    """``base`` with ``stroke`` painted on (or erased from) it, over the union of both windows."""
    if base is None or base.pixels.size == 0:
        if erase:
            return MaskWindow(stroke.x0, stroke.y0, np.zeros_like(stroke.pixels))
        return stroke
    x0, y0 = min(base.x0, stroke.x0), min(base.y0, stroke.y0)
    x1, y1 = max(base.x1, stroke.x1), max(base.y1, stroke.y1)
    out = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    out[base.y0 - y0: base.y1 - y0, base.x0 - x0: base.x1 - x0] = base.pixels
    region = out[stroke.y0 - y0: stroke.y1 - y0, stroke.x0 - x0: stroke.x1 - x0]
    if erase:
        region[stroke.pixels > 0] = 0
    else:
        region |= stroke.pixels
    return MaskWindow(x0, y0, out)


def trimmed(window: MaskWindow) -> MaskWindow:
    """The window cut down to its set pixels (unchanged when none is set)."""
    rows = np.flatnonzero(window.pixels.any(axis=1))
    if rows.size == 0:
        return window
    cols = np.flatnonzero(window.pixels.any(axis=0))
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return MaskWindow(window.x0 + c0, window.y0 + r0, window.pixels[r0:r1, c0:c1])
