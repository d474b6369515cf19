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
        uids = [s.uid for s in items]
        row_of = dict(zip(uids, range(n), strict=True))
        if len(row_of) != n:
            raise ValueError("shape uids must be unique")
        self._load_columns(
            uids=uids, labels=_codes([s.label for s in items]), kinds=kinds, row_of=row_of,
            params=params, counts=counts, point_rows=pointy, flat=flat, keypoint_rows=kp,
            keypoint_vis=vis_flat, layers=layer_ids[layer_codes], colors=[s.color for s in items],
            geoms=geoms, flags=(_flags(items, "selected"), _flags(items, "hidden"),
                                _flags(items, "locked")))

    def load_packed(self, packed: PackedShapes, extra: Iterable[CanvasShape] = ()) -> None:
        """Replace every shape with those of ``packed`` (then ``extra`` on top). The uids must
        be unique (they are checked when the uid index is first needed)."""
        kinds = np.asarray(packed.kinds, dtype=np.int8)
        n = kinds.size
        offsets = np.asarray(packed.offsets, dtype=np.int64)
        counts = np.diff(offsets)
        counts[(kinds == BOX) | (kinds == ROTATED_BOX)] = 4
        pointy = np.flatnonzero((kinds >= POLYGON) & (kinds <= KEYPOINTS))
        xy = np.asarray(packed.xy, dtype=np.float64).reshape(-1, 2)
        if pointy.size and offsets[pointy[0]] == 0 and \
                (offsets[pointy + 1] == np.cumsum(counts[pointy])).all():
            flat = xy[: int(counts[pointy].sum())]  # point shapes' vertices already in row order
        else:
            flat = np.take(xy, ragged_arange(offsets[pointy], counts[pointy]), axis=0)
        kp = np.flatnonzero(kinds == KEYPOINTS)
        vis = None
        if kp.size and packed.visibility is not None:
            vis = np.asarray(packed.visibility, dtype=np.uint8)[
                ragged_arange(offsets[kp], counts[kp])]
        layer = self.layer_index(packed.layer)
        if packed.label_codes is not None:
            labels: tuple[np.ndarray, list[str]] = (
                np.asarray(packed.label_codes, dtype=np.int64), list(packed.labels))
        else:
            labels = _codes(list(packed.labels))
        self._load_columns(
            uids=list(packed.uids), labels=labels, kinds=kinds,
            params=np.asarray(packed.params, dtype=np.float64).reshape(n, 5), counts=counts,
            point_rows=pointy, flat=flat, keypoint_rows=kp, keypoint_vis=vis,
            layers=np.full(n, layer, dtype=np.int16),
            colors=list(packed.colors) if packed.colors is not None else None,
            geoms=[None] * n, flags=None)
        for cs in extra:
            self.add(cs)

    def _load_columns(self, *, uids: list[str], labels: tuple[np.ndarray, list[str]],
                      kinds: np.ndarray, params: np.ndarray, counts: np.ndarray,
                      point_rows: np.ndarray, flat: np.ndarray, keypoint_rows: np.ndarray,
                      keypoint_vis: np.ndarray | None, layers: np.ndarray,
                      colors: list[ColorLike | None] | None, geoms: list[Shape | None],
                      flags: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
                      row_of: dict[str, int] | None = None) -> None:
        n = kinds.size
        label_codes, label_names = labels
        with self.lock:
            self._mask_windows.clear()
            # Room to grow, so the first edits do not copy every vertex.
            total = int(counts.sum())
            self._alloc(n + n // 8 + 64, total * 9 // 8 + 4096)
            self.n = n
            self.kinds[:n] = kinds
            self.params[:n] = params
            self.vcount[:n] = counts
            starts = np.cumsum(counts) - counts
            self.vstart[:n] = starts
            self.vused = total
            # Vertices go in as 16-byte (x, y) pairs: numpy moves those far faster than rows.
            pairs = self.verts.view(np.complex128)[:, 0]
            boxy = np.flatnonzero((kinds == BOX) | (kinds == ROTATED_BOX))
            corners = _corners(kinds[boxy], params[boxy])
            if boxy.size:
                pairs[ragged_arange(starts[boxy], counts[boxy])] = \
                    corners.reshape(-1, 2).view(np.complex128)[:, 0]
            if point_rows.size:
                pairs[ragged_arange(starts[point_rows], counts[point_rows])] = \
                    np.ascontiguousarray(flat).view(np.complex128)[:, 0]
            self.vis[:total] = 2
            if keypoint_rows.size and keypoint_vis is not None:
                self.vis[ragged_arange(starts[keypoint_rows], counts[keypoint_rows])] = \
                    keypoint_vis
            self._initial_bounds(boxy, corners, point_rows, flat)
            self.uids, self.geoms = uids, geoms
            self.color_given = colors if colors is not None else [None] * n
            self._row_of = row_of
            label_ids = np.array([self.label_index(lb) for lb in label_names], dtype=np.int32)
            self.label[:n] = label_ids[label_codes] if n else 0
            if colors is not None and any(c is not None for c in colors):
                self.override[:n] = [0 if c is None else argb(c) for c in colors]
            self.layer[:n] = layers
            if flags is not None:
                self.selected[:n], self.hidden[:n], self.locked[:n] = flags
            self.alive[:n] = True
            self.z[:n] = np.arange(n)
            self._next_z = n
            for row in np.flatnonzero(kinds == MASK):
                b = shapeops.shape_bounds(self.geometry(int(row)))
                self.bounds[row] = _NAN4 if b is None else b
            self.index.prepare(self.bounds, np.arange(n))
            self._changed(None)

    def _initial_bounds(self, boxy: np.ndarray, corners: np.ndarray, point_rows: np.ndarray,
                        flat: np.ndarray) -> None:
        """Bounds of freshly loaded rows: boxes from their (k, 4, 2) corners, point shapes from
        their vertices (labelled keypoints only), one column at a time."""
        if boxy.size:
            # Four corners compared pairwise: numpy's reductions over an axis this short are slow.
            x, y = corners[:, :, 0], corners[:, :, 1]
            lo, hi = np.minimum, np.maximum
            b = self.bounds
            b[boxy, 0] = lo(lo(x[:, 0], x[:, 1]), lo(x[:, 2], x[:, 3]))
            b[boxy, 1] = lo(lo(y[:, 0], y[:, 1]), lo(y[:, 2], y[:, 3]))
            b[boxy, 2] = hi(hi(x[:, 0], x[:, 1]), hi(x[:, 2], x[:, 3]))
            b[boxy, 3] = hi(hi(y[:, 0], y[:, 1]), hi(y[:, 2], y[:, 3]))
        counts = self.vcount[point_rows]
        nonempty = counts > 0
        rows, counts = point_rows[nonempty], counts[nonempty]
        if rows.size == 0:
            return
        starts = np.cumsum(counts) - counts
        kp = self.kinds[rows] == KEYPOINTS
        columns = flat.T.copy()  # x and y each in one run: reduceat is quickest so
        if kp.any():
            hidden = np.zeros(len(flat), dtype=bool)
            hidden[ragged_arange(starts[kp], counts[kp])] = \
                self.vis[ragged_arange(self.vstart[rows[kp]], counts[kp])] == 0
            columns[:, hidden] = np.nan  # bounds cover labelled keypoints only
        lo = np.fmin.reduceat(columns, starts, axis=1)
        hi = np.fmax.reduceat(columns, starts, axis=1)
        b = self.bounds
        b[rows, 0], b[rows, 1], b[rows, 2], b[rows, 3] = lo[0], lo[1], hi[0], hi[1]


def _flags(items: list[CanvasShape], name: str) -> np.ndarray:
    return np.array([getattr(s, name) for s in items], dtype=bool)


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
        b = out[box] if not box.all() else out
        b[:, 0, 0], b[:, 0, 1], b[:, 1, 0], b[:, 1, 1] = x0, y0, x1, y0
        b[:, 2, 0], b[:, 2, 1], b[:, 3, 0], b[:, 3, 1] = x1, y1, x0, y1
        if not box.all():
            out[box] = b
    if rot.any():
        a = np.radians(p[rot, 4])
        c, s = np.cos(a)[:, None], np.sin(a)[:, None]
        hw, hh = p[rot, 2:3] / 2, p[rot, 3:4] / 2
        u = np.hstack([-hw, hw, hw, -hw])
        v = np.hstack([-hh, -hh, hh, hh])
        out[rot, :, 0] = p[rot, 0:1] + u * c - v * s
        out[rot, :, 1] = p[rot, 1:2] + u * s + v * c
    return out
