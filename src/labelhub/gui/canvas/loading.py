"""Loading a whole item into the store's columns at once (vectorised): from CanvasShape
objects, or from packed arrays without building one geometry object per shape."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from labelhub.geometry import Shape
from labelhub.gui.canvas import shapeops
from labelhub.gui.canvas.model import (
    BOX,
    KEYPOINTS,
    KIND_CODES,
    MASK,
    POLYGON,
    ROTATED_BOX,
    CanvasShape,
    ColorLike,
    PackedShapes,
    argb,
)
from labelhub.gui.canvas.spatial import ragged_arange

_NAN4 = (np.nan, np.nan, np.nan, np.nan)

if TYPE_CHECKING:
    from labelhub.gui.canvas.store import ShapeStore as _Base
else:
    _Base = object


class BulkLoading(_Base):
    """``load`` and ``load_packed`` for :class:`labelhub.gui.canvas.store.ShapeStore`."""

    def load(self, shapes: Iterable[CanvasShape]) -> None:
        """Replace every shape with ``shapes`` (stacked in the order given, last on top)."""
        items = list(shapes)
        geoms = [s.shape for s in items]
        n = len(items)
        code_of = {cls: KIND_CODES[cls.kind] for cls in {type(g) for g in geoms}}
        kinds = np.array([code_of[type(g)] for g in geoms], dtype=np.int8)
        params = np.zeros((n, 5))
        counts = np.zeros(n, dtype=np.int64)
        boxes = np.flatnonzero(kinds == BOX)
        if boxes.size:
            params[boxes, :4] = [(g.x, g.y, g.w, g.h) for g in map(geoms.__getitem__, boxes)]
        rboxes = np.flatnonzero(kinds == ROTATED_BOX)
        if rboxes.size:
            params[rboxes] = [(g.cx, g.cy, g.w, g.h, g.angle)
                              for g in map(geoms.__getitem__, rboxes)]
        counts[boxes] = 4
        counts[rboxes] = 4
        pointy = np.flatnonzero((kinds >= POLYGON) & (kinds <= KEYPOINTS))
        point_lists = [geoms[i].points for i in pointy]  # type: ignore[union-attr]
        counts[pointy] = np.fromiter(map(len, point_lists), dtype=np.int64, count=pointy.size)
        chain = itertools.chain.from_iterable
        flat = np.fromiter(chain(chain(point_lists)), dtype=np.float64,
                           count=int(counts[pointy].sum()) * 2).reshape(-1, 2)
        kp = np.flatnonzero(kinds == KEYPOINTS)
        vis_flat = None
        if kp.size:
            vis_flat = np.fromiter(chain(geoms[i].visibility for i in kp), dtype=np.uint8,  # type: ignore[union-attr]
                                   count=int(counts[kp].sum()))
        layer_codes, layer_names = _codes([s.layer for s in items])
        layer_ids = np.array([self.layer_index(name) for name in layer_names], dtype=np.int16)
        self._load_columns(
            uids=[s.uid for s in items], labels=[s.label for s in items], kinds=kinds,
            params=params, counts=counts, point_rows=pointy, flat=flat, keypoint_rows=kp,
            keypoint_vis=vis_flat, layers=layer_ids[layer_codes], colors=[s.color for s in items],
            geoms=geoms, flags=tuple(np.array([getattr(s, f) for s in items], dtype=bool)
                                     for f in ("selected", "hidden", "locked")))

    def load_packed(self, packed: PackedShapes, extra: Iterable[CanvasShape] = ()) -> None:
        """Replace every shape with those of ``packed`` (then ``extra`` on top)."""
        kinds = np.asarray(packed.kinds, dtype=np.int8)
        n = kinds.size
        offsets = np.asarray(packed.offsets, dtype=np.int64)
        counts = np.diff(offsets)
        counts[(kinds == BOX) | (kinds == ROTATED_BOX)] = 4
        pointy = np.flatnonzero((kinds >= POLYGON) & (kinds <= KEYPOINTS))
        xy = np.asarray(packed.xy, dtype=np.float64).reshape(-1, 2)
        src = ragged_arange(offsets[pointy], counts[pointy])
        kp = np.flatnonzero(kinds == KEYPOINTS)
        vis = None
        if kp.size and packed.visibility is not None:
            vis = np.asarray(packed.visibility, dtype=np.uint8)[
                ragged_arange(offsets[kp], counts[kp])]
        layer = self.layer_index(packed.layer)
        if packed.label_codes is not None:
            names = list(packed.labels)
            codes = np.asarray(packed.label_codes, dtype=np.int64)
            labels: list[str] | tuple[list[str], np.ndarray] = (names, codes)
        else:
            labels = list(packed.labels)
        self._load_columns(
            uids=list(packed.uids), labels=labels, kinds=kinds,
            params=np.asarray(packed.params, dtype=np.float64).reshape(n, 5), counts=counts,
            point_rows=pointy, flat=xy[src], keypoint_rows=kp, keypoint_vis=vis,
            layers=np.full(n, layer, dtype=np.int16),
            colors=list(packed.colors) if packed.colors is not None else None,
            geoms=[None] * n, flags=(np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)))
        for cs in extra:
            self.add(cs)

    def _load_columns(self, *, uids: list[str],
                      labels: list[str] | tuple[list[str], np.ndarray], kinds: np.ndarray,
                      params: np.ndarray, counts: np.ndarray, point_rows: np.ndarray,
                      flat: np.ndarray, keypoint_rows: np.ndarray,
                      keypoint_vis: np.ndarray | None, layers: np.ndarray,
                      colors: list[ColorLike | None] | None, geoms: list[Shape | None],
                      flags: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        n = kinds.size
        row_of = dict(zip(uids, range(n), strict=True))
        if len(row_of) != n:
            raise ValueError("shape uids must be unique")
        if isinstance(labels, tuple):
            label_names, label_codes = labels
            labels = [label_names[i] for i in label_codes.tolist()]
        else:
            label_codes, label_names = _codes(labels)
        with self.lock:
            self._mask_windows.clear()
            # Room to grow, so the first edits do not copy every vertex.
            self._alloc(n + n // 8 + 64, int(counts.sum()) * 9 // 8 + 4096)
            self.n = n
            self.kinds[:n] = kinds
            self.params[:n] = params
            self.vcount[:n] = counts
            self.vstart[:n] = np.cumsum(counts) - counts
            self.vused = int(counts.sum())
            # Corners of boxes and rotated boxes, all at once.
            boxy = np.flatnonzero((kinds == BOX) | (kinds == ROTATED_BOX))
            if boxy.size:
                self.verts[ragged_arange(self.vstart[boxy], counts[boxy])] = \
                    _corners(kinds[boxy], params[boxy]).reshape(-1, 2)
            if point_rows.size:
                self.verts[ragged_arange(self.vstart[point_rows], counts[point_rows])] = flat
            self.vis[: self.vused] = 2
            if keypoint_rows.size and keypoint_vis is not None:
                self.vis[ragged_arange(self.vstart[keypoint_rows], counts[keypoint_rows])] = \
                    keypoint_vis
            self._bounds_from_vertices(np.flatnonzero(counts > 0))
            self.uids, self.labels, self.geoms = uids, labels, geoms
            self.color_given = colors if colors is not None else [None] * n
            self.row_of = row_of
            label_ids = np.array([self.label_index(lb) for lb in label_names], dtype=np.int32)
            self.label[:n] = label_ids[label_codes]
            if colors is not None and any(c is not None for c in colors):
                self.override[:n] = [0 if c is None else argb(c) for c in colors]
            self.layer[:n] = layers
            self.selected[:n], self.hidden[:n], self.locked[:n] = flags
            self.alive[:n] = True
            self.z[:n] = np.arange(n)
            self._next_z = n
            for row in np.flatnonzero(kinds == MASK):
                b = shapeops.shape_bounds(self.geometry(int(row)))
                self.bounds[row] = _NAN4 if b is None else b
            self.index.prepare(self.bounds, np.arange(n))
            self._changed(None)

    def _bounds_from_vertices(self, rows: np.ndarray) -> None:
        if rows.size == 0:
            return
        starts = self.vstart[rows]
        pts = self.verts[: self.vused].copy()
        if (self.kinds[rows] == KEYPOINTS).any():
            pts[self.vis[: self.vused] == 0] = np.nan  # bounds cover labelled keypoints only
        lo = np.fmin.reduceat(pts, starts, axis=0)
        hi = np.fmax.reduceat(pts, starts, axis=0)
        self.bounds[rows] = np.hstack([lo, hi])


def _codes(values: list[str]) -> tuple[np.ndarray, list[str]]:
    """Small integer codes of ``values`` and the distinct values they stand for."""
    index: dict[str, int] = {}
    codes = [index.setdefault(v, len(index)) for v in values]
    return np.array(codes, dtype=np.int64), list(index)


def _corners(kinds: np.ndarray, params: np.ndarray) -> np.ndarray:
    """(n, 4, 2) corners of boxes (x, y, w, h) and rotated boxes (cx, cy, w, h, angle)."""
    out = np.empty((len(kinds), 4, 2))
    rot = kinds == ROTATED_BOX
    p = params
    box = ~rot
    if box.any():
        x0, y0 = p[box, 0], p[box, 1]
        x1, y1 = x0 + p[box, 2], y0 + p[box, 3]
        out[box] = np.stack([np.stack([x0, y0], -1), np.stack([x1, y0], -1),
                             np.stack([x1, y1], -1), np.stack([x0, y1], -1)], 1)
    if rot.any():
        a = np.radians(p[rot, 4])
        c, s = np.cos(a)[:, None], np.sin(a)[:, None]
        hw, hh = p[rot, 2:3] / 2, p[rot, 3:4] / 2
        u = np.hstack([-hw, hw, hw, -hw])
        v = np.hstack([-hh, -hh, hh, hh])
        out[rot, :, 0] = p[rot, 0:1] + u * c - v * s
        out[rot, :, 1] = p[rot, 1:2] + u * s + v * c
    return out
