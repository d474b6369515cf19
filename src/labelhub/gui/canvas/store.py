"""The shapes of one item in columns: numpy arrays of bounds, kinds, colours, flags and vertices,
plus a spatial index, so that drawing, culling and hit testing work on arrays, not objects.

Each shape has a row. Rows of removed shapes are dead until the next load; vertices live in one
growing (M, 2) array that each row points into. Geometry objects are kept as given, or built on
demand for shapes loaded packed. A re-entrant lock guards the arrays because the renderer gathers
from them on a worker thread; every change bumps ``revision`` and tells the listeners which image
rectangle changed (None: everything).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from labelhub.geometry import Box, Keypoints, Mask, Points, Polygon, Polyline, RotatedBox, Shape
from labelhub.gui.canvas import shapeops
from labelhub.gui.canvas.masks import MaskWindow, window_of
from labelhub.gui.canvas.model import (
    BOX,
    KEYPOINTS,
    KIND_CODES,
    MASK,
    POINTS,
    POLYGON,
    POLYLINE,
    ROTATED_BOX,
    CanvasShape,
    ColorLike,
    Layer,
    PackedShapes,
    Skeleton,
    label_color,
    to_qcolor,
)
from labelhub.gui.canvas.spatial import GridIndex, ragged_arange

Rect = tuple[float, float, float, float]
Listener = Callable[[list[Rect] | None], None]
_NAN4 = (np.nan, np.nan, np.nan, np.nan)


def argb(color: ColorLike) -> int:
    """0xAARRGGBB of a colour (alpha forced to 255)."""
    return int(to_qcolor(color).rgb()) | 0xFF000000


@dataclass
class RenderBatch:
    """Copies of what the renderer needs for some rows, in drawing order (bottom first)."""

    rows: np.ndarray
    kinds: np.ndarray
    colors: np.ndarray  # uint32 0xAARRGGBB
    selected: np.ndarray
    bounds: np.ndarray
    offsets: np.ndarray  # (n + 1,) into verts
    verts: np.ndarray
    vis: np.ndarray
    masks: list[tuple[int, Mask]] = field(default_factory=list)
    skeletons: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.rows.size)


class ShapeStore:
    """All shapes of the item on the canvas, in columns."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.revision = 0
        self.listeners: list[Listener] = []
        self.layers: list[Layer] = []
        self._layer_index: dict[str, int] = {}
        self.layer_visible = np.zeros(0, dtype=bool)
        self.layer_editable = np.zeros(0, dtype=bool)
        self.label_names: list[str] = []
        self._label_id: dict[str, int] = {}
        self.label_argb = np.zeros(0, dtype=np.uint32)
        self._label_overrides: dict[str, ColorLike] = {}
        self.skeletons: dict[str, Skeleton] = {}
        self._mask_windows: dict[int, tuple[Mask, MaskWindow]] = {}
        self.index = GridIndex()
        self.set_layer(Layer("default"))
        self.clear()

    # -- bookkeeping -------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget every shape."""
        with self.lock:
            self._alloc(0, 0)
            self.uids: list[str] = []
            self.labels: list[str] = []
            self.geoms: list[Shape | None] = []
            self.color_given: list[ColorLike | None] = []
            self.row_of: dict[str, int] = {}
            self._next_z = 0
            self._mask_windows.clear()
            self.index.build(self.bounds, np.zeros(0, dtype=np.int64))
            self._changed(None)

    def _alloc(self, rows: int, verts: int) -> None:
        self.n = 0
        self.bounds = np.full((rows, 4), np.nan)
        self.kinds = np.zeros(rows, dtype=np.int8)
        self.params = np.zeros((rows, 5))
        self.layer = np.zeros(rows, dtype=np.int16)
        self.label = np.zeros(rows, dtype=np.int32)
        self.override = np.zeros(rows, dtype=np.uint32)
        self.z = np.zeros(rows, dtype=np.int64)
        self.alive = np.zeros(rows, dtype=bool)
        self.hidden = np.zeros(rows, dtype=bool)
        self.selected = np.zeros(rows, dtype=bool)
        self.locked = np.zeros(rows, dtype=bool)
        self.active = np.zeros(rows, dtype=bool)
        self.vstart = np.zeros(rows, dtype=np.int64)
        self.vcount = np.zeros(rows, dtype=np.int64)
        self.verts = np.zeros((verts, 2))
        self.vis = np.zeros(verts, dtype=np.uint8)
        self.vused = 0

    def _grow_rows(self, need: int) -> None:
        cap = len(self.alive)
        if need <= cap:
            return
        new = max(need, cap * 2, 64)
        for name in ("bounds", "kinds", "params", "layer", "label", "override", "z", "alive",
                     "hidden", "selected", "locked", "active", "vstart", "vcount"):
            old = getattr(self, name)
            grown = np.full((new,) + old.shape[1:], np.nan) if name == "bounds" else \
                np.zeros((new,) + old.shape[1:], dtype=old.dtype)
            grown[:cap] = old
            setattr(self, name, grown)

    def _put_vertices(self, pts: np.ndarray, vis: np.ndarray) -> int:
        need = self.vused + len(pts)
        if need > len(self.verts):
            new = max(need, len(self.verts) * 2, 256)
            verts = np.zeros((new, 2))
            verts[: self.vused] = self.verts[: self.vused]
            flags = np.zeros(new, dtype=np.uint8)
            flags[: self.vused] = self.vis[: self.vused]
            self.verts, self.vis = verts, flags
        start = self.vused
        self.verts[start:need] = pts
        self.vis[start:need] = vis
        self.vused = need
        return start

    def _changed(self, rects: list[Rect] | None) -> None:
        self.revision += 1
        for listener in list(self.listeners):
            listener(rects)

    def label_index(self, label: str) -> int:
        i = self._label_id.get(label)
        if i is None:
            i = self._label_id[label] = len(self.label_names)
            self.label_names.append(label)
            color = self._label_overrides.get(label)
            value = argb(color) if color is not None else argb(label_color(label))
            self.label_argb = np.append(self.label_argb, np.uint32(value))
        return i

    def layer_index(self, name: str) -> int:
        i = self._layer_index.get(name)
        return self.set_layer(Layer(name)) if i is None else i

    # -- layers, colours, skeletons ----------------------------------------------------------

    def set_layer(self, layer: Layer) -> int:
        """Add a layer or change one (matched by name); returns its index."""
        with self.lock:
            i = self._layer_index.get(layer.name)
            if i is None:
                i = self._layer_index[layer.name] = len(self.layers)
                self.layers.append(layer)
                self.layer_visible = np.append(self.layer_visible, layer.visible)
                self.layer_editable = np.append(self.layer_editable, layer.editable)
            else:
                self.layers[i] = layer
                self.layer_visible[i] = layer.visible
                self.layer_editable[i] = layer.editable
            self._changed(None)
            return i

    def layer_of(self, name: str) -> Layer | None:
        i = self._layer_index.get(name)
        return None if i is None else self.layers[i]

    def set_label_color(self, label: str, color: ColorLike) -> None:
        with self.lock:
            self._label_overrides[label] = color
            self.label_argb[self.label_index(label)] = argb(color)
            self._changed(None)

    def label_qcolor(self, label: str) -> int:
        return int(self.label_argb[self.label_index(label)])

    # -- loading -----------------------------------------------------------------------------

    def load(self, shapes: Iterable[CanvasShape]) -> None:
        """Replace every shape with ``shapes`` (stacked in the order given, last on top)."""
        items = list(shapes)
        geoms = [s.shape for s in items]
        n = len(items)
        kinds = np.fromiter((KIND_CODES[g.kind] for g in geoms), dtype=np.int8, count=n)
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
        layers = np.fromiter((self.layer_index(s.layer) for s in items), dtype=np.int16, count=n)
        self._load_columns(
            uids=[s.uid for s in items], labels=[s.label for s in items], kinds=kinds,
            params=params, counts=counts, point_rows=pointy, flat=flat, keypoint_rows=kp,
            keypoint_vis=vis_flat, layers=layers, colors=[s.color for s in items], geoms=geoms,
            flags=(np.fromiter((s.selected for s in items), bool, n),
                   np.fromiter((s.hidden for s in items), bool, n),
                   np.fromiter((s.locked for s in items), bool, n)))

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
        self._load_columns(
            uids=list(packed.uids), labels=list(packed.labels), kinds=kinds,
            params=np.asarray(packed.params, dtype=np.float64).reshape(n, 5), counts=counts,
            point_rows=pointy, flat=xy[src], keypoint_rows=kp, keypoint_vis=vis,
            layers=np.full(n, layer, dtype=np.int16),
            colors=list(packed.colors) if packed.colors is not None else [None] * n,
            geoms=[None] * n, flags=(np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)))
        for cs in extra:
            self.add(cs)

    def _load_columns(self, *, uids: list[str], labels: list[str], kinds: np.ndarray,
                      params: np.ndarray, counts: np.ndarray, point_rows: np.ndarray,
                      flat: np.ndarray, keypoint_rows: np.ndarray,
                      keypoint_vis: np.ndarray | None, layers: np.ndarray,
                      colors: list[ColorLike | None], geoms: list[Shape | None],
                      flags: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        n = kinds.size
        if len(set(uids)) != n:
            raise ValueError("shape uids must be unique")
        with self.lock:
            self._mask_windows.clear()
            self._alloc(n, int(counts.sum()))
            self.n = n
            self.kinds[:] = kinds
            self.params[:] = params
            self.vcount[:] = counts
            self.vstart[:] = np.cumsum(counts) - counts
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
            self.color_given = colors
            self.row_of = dict(zip(uids, range(n), strict=True))
            self.label[:] = [self.label_index(lb) for lb in labels]
            self.override[:] = [0 if c is None else argb(c) for c in colors]
            self.layer[:] = layers
            self.selected[:], self.hidden[:], self.locked[:] = flags
            self.alive[:] = True
            self.z[:] = np.arange(n)
            self._next_z = n
            for row in np.flatnonzero(kinds == MASK):
                b = shapeops.shape_bounds(self.geometry(int(row)))
                self.bounds[row] = _NAN4 if b is None else b
            self.index.build(self.bounds, np.arange(n))
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

    # -- single-shape changes ----------------------------------------------------------------

    def _write_row(self, row: int, shape: Shape) -> None:
        code, params, pts, vis = shapeops.decompose(shape)
        self.kinds[row] = code
        self.params[row] = params
        self.vstart[row] = self._put_vertices(pts, vis) if len(pts) else 0
        self.vcount[row] = len(pts)
        b = shapeops.shape_bounds(shape)
        self.bounds[row] = _NAN4 if b is None else b
        self.geoms[row] = shape
        self.index.touch(row)
        if self.index.needs_rebuild():
            self.index.build(self.bounds, np.flatnonzero(self.alive[: self.n]))

    def add(self, cs: CanvasShape, z: int | None = None) -> int:
        """Add one shape on top (or at stacking position ``z``); returns its row."""
        with self.lock:
            if cs.uid in self.row_of:
                raise ValueError(f"a shape with uid {cs.uid!r} is already on the canvas")
            row = self.n
            self._grow_rows(row + 1)
            self.n += 1
            self.uids.append(cs.uid)
            self.labels.append(cs.label)
            self.geoms.append(cs.shape)
            self.color_given.append(cs.color)
            self.row_of[cs.uid] = row
            self.label[row] = self.label_index(cs.label)
            self.override[row] = 0 if cs.color is None else argb(cs.color)
            self.layer[row] = self.layer_index(cs.layer)
            self.alive[row] = True
            self.selected[row], self.hidden[row], self.locked[row] = \
                cs.selected, cs.hidden, cs.locked
            self.active[row] = False
            if z is None:
                z = self._next_z
            self.z[row] = z
            self._next_z = max(self._next_z, z) + 1
            self._write_row(row, cs.shape)
            self._changed([self._rect(row)])
            return row

    def remove(self, uid: str) -> tuple[CanvasShape, int]:
        """Remove a shape; returns it with its stacking position."""
        with self.lock:
            row = self.row_of.pop(uid)
            cs, z = self.get_row(row), int(self.z[row])
            rect = self._rect(row)
            self.alive[row] = self.selected[row] = self.active[row] = False
            self.bounds[row] = _NAN4
            self.index.touch(row)
            self._changed([rect])
            return cs, z

    def set_geometry(self, uid: str, shape: Shape) -> None:
        with self.lock:
            row = self.row_of[uid]
            old = self._rect(row)
            old_geom = self.geoms[row]
            if isinstance(old_geom, Mask):
                self._mask_windows.pop(id(old_geom), None)
            self._write_row(row, shape)
            self._changed([old, self._rect(row)])

    def set_label(self, uid: str, label: str) -> None:
        with self.lock:
            row = self.row_of[uid]
            self.labels[row] = label
            self.label[row] = self.label_index(label)
            self._changed([self._rect(row)])

    def set_flag(self, name: str, uids: Iterable[str], value: bool) -> list[str]:
        """Set flag ``name`` (selected, hidden, locked, active) on ``uids``; returns the uids
        whose flag changed."""
        with self.lock:
            flags = getattr(self, name)
            rows = [self.row_of[u] for u in uids if u in self.row_of]
            changed = [r for r in rows if flags[r] != value]
            if changed:
                flags[changed] = value
                self._changed([self._rect(r) for r in changed])
            return [self.uids[r] for r in changed]

    def set_only(self, name: str, uids: Iterable[str]) -> bool:
        """Make ``uids`` exactly the shapes with flag ``name``; returns whether anything changed."""
        with self.lock:
            flags = getattr(self, name)
            want = np.zeros(self.n, dtype=bool)
            want[[self.row_of[u] for u in uids if u in self.row_of]] = True
            diff = np.flatnonzero(flags[: self.n] != want)
            if not diff.size:
                return False
            flags[: self.n] = want
            self._changed(None if diff.size > 256 else [self._rect(int(r)) for r in diff])
            return True

    def _rect(self, row: int) -> Rect:
        b = self.bounds[row]
        return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))

    # -- reading -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.row_of)

    def __contains__(self, uid: object) -> bool:
        return uid in self.row_of

    def geometry(self, row: int) -> Shape:
        """The geometry of ``row`` (built from the arrays for shapes loaded packed)."""
        g = self.geoms[row]
        if g is None:
            g = self.geoms[row] = self._build_geometry(row)
        return g

    def _build_geometry(self, row: int) -> Shape:
        k = int(self.kinds[row])
        if k == BOX:
            return Box(*self.params[row, :4].tolist())
        if k == ROTATED_BOX:
            return RotatedBox(*self.params[row].tolist())
        s, c = int(self.vstart[row]), int(self.vcount[row])
        pts = tuple(map(tuple, self.verts[s: s + c].tolist()))
        if k == KEYPOINTS:
            return Keypoints(pts, tuple(self.vis[s: s + c].tolist()))
        return {POLYGON: Polygon, POLYLINE: Polyline, POINTS: Points}[k](pts)

    def get_row(self, row: int) -> CanvasShape:
        return CanvasShape(
            uid=self.uids[row], label=self.labels[row], shape=self.geometry(row),
            color=self.color_given[row], layer=self.layers[int(self.layer[row])].name,
            selected=bool(self.selected[row]), hidden=bool(self.hidden[row]),
            locked=bool(self.locked[row]))

    def get(self, uid: str) -> CanvasShape:
        return self.get_row(self.row_of[uid])

    def uids_where(self, name: str) -> list[str]:
        flags = getattr(self, name)[: self.n]
        return [self.uids[r] for r in np.flatnonzero(flags & self.alive[: self.n])]

    def editable(self, row: int) -> bool:
        return bool(self.alive[row] and not self.locked[row]
                    and self.layer_editable[int(self.layer[row])])

    def mask_window(self, mask: Mask) -> MaskWindow:
        """Decoded set pixels of a mask (cached while the mask is on the canvas)."""
        hit = self._mask_windows.get(id(mask))
        if hit is None or hit[0] is not mask:
            hit = (mask, window_of(mask))
            self._mask_windows[id(mask)] = hit
        return hit[1]

    def seed_mask_window(self, mask: Mask, window: MaskWindow) -> None:
        """Remember pixels already at hand for ``mask`` (a brush stroke's result)."""
        self._mask_windows[id(mask)] = (mask, window)

    def rows_in(self, rect: Rect, *, include_active: bool = False,
                editable_only: bool = False) -> np.ndarray:
        """Visible rows whose bounds meet ``rect`` (x0, y0, x1, y1), bottom first."""
        with self.lock:
            cand = self.index.query(*rect)
            if cand.size == 0:
                return cand
            cand = cand[cand < self.n]
            b = self.bounds[cand]
            ok = ((b[:, 0] <= rect[2]) & (b[:, 2] >= rect[0])
                  & (b[:, 1] <= rect[3]) & (b[:, 3] >= rect[1])
                  & self.alive[cand] & ~self.hidden[cand]
                  & self.layer_visible[self.layer[cand]])
            if not include_active:
                ok &= ~self.active[cand]
            if editable_only:
                ok &= ~self.locked[cand] & self.layer_editable[self.layer[cand]]
            rows = cand[ok]
            return rows[np.argsort(self.z[rows], kind="stable")]

    def hits(self, x: float, y: float, tol: float, *, limit: int = 1,
             editable_only: bool = False) -> list[int]:
        """Rows under image point (x, y), topmost first (at most ``limit``)."""
        rows = self.rows_in((x - tol, y - tol, x + tol, y + tol), include_active=True,
                           editable_only=editable_only)
        found: list[int] = []
        for row in rows[::-1].tolist():
            kind = int(self.kinds[row])
            if kind == MASK:
                inside = self.mask_window(self.geometry(row)).contains(x, y)  # type: ignore[arg-type]
            else:
                s, c = int(self.vstart[row]), int(self.vcount[row])
                inside = shapeops.hit(kind, self.verts[s: s + c], self.vis[s: s + c], x, y, tol)
            if inside:
                found.append(row)
                if len(found) >= limit:
                    break
        return found

    def gather(self, rows: np.ndarray) -> RenderBatch:
        """Copies of everything needed to draw ``rows`` (in the order given)."""
        with self.lock:
            rows = np.asarray(rows, dtype=np.int64)
            counts = self.vcount[rows]
            idx = ragged_arange(self.vstart[rows], counts)
            offsets = np.zeros(rows.size + 1, dtype=np.int64)
            np.cumsum(counts, out=offsets[1:])
            over = self.override[rows]
            colors = np.where(over != 0, over, self.label_argb[self.label[rows]])
            kinds = self.kinds[rows]
            batch = RenderBatch(rows=rows, kinds=kinds.copy(), colors=colors,
                                selected=self.selected[rows].copy(), bounds=self.bounds[rows].copy(),
                                offsets=offsets, verts=self.verts[idx], vis=self.vis[idx])
            for i in np.flatnonzero(kinds == MASK).tolist():
                batch.masks.append((i, self.geometry(int(rows[i]))))  # type: ignore[arg-type]
            for i in np.flatnonzero(kinds == KEYPOINTS).tolist():
                skel = self.skeletons.get(self.labels[int(rows[i])])
                if skel is not None and skel.edges:
                    batch.skeletons[i] = skel.edges
            return batch


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


def rows_to_uids(store: ShapeStore, rows: Sequence[int]) -> list[str]:
    return [store.uids[int(r)] for r in rows]
