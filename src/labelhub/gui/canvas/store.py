"""The shapes of one item in columns: numpy arrays of bounds, kinds, colours, flags and vertices,
plus a spatial index, so that drawing, culling and hit testing work on arrays, not objects.

Each shape has a row. Rows of removed shapes are dead until the next load; vertices live in one
growing (M, 2) array that each row points into. Geometry objects are kept as given, or built on
demand for shapes loaded packed. A re-entrant lock guards the arrays because the renderer gathers
from them on a worker thread; every change bumps ``revision`` and tells the listeners which image
rectangle changed (None: everything).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from labelhub.geometry import Box, Keypoints, Mask, Points, Polygon, Polyline, RotatedBox, Shape
from labelhub.gui.canvas import shapeops
from labelhub.gui.canvas.loading import BulkLoading
from labelhub.gui.canvas.masks import MaskWindow, window_of
from labelhub.gui.canvas.model import (
    BOX,
    KEYPOINTS,
    MASK,
    POINTS,
    POLYGON,
    POLYLINE,
    ROTATED_BOX,
    CanvasShape,
    ColorLike,
    Layer,
    Skeleton,
    argb,
    label_color,
)
from labelhub.gui.canvas.spatial import GridIndex, ragged_arange

Rect = tuple[float, float, float, float]
Listener = Callable[[list[Rect] | None], None]
_NAN4 = (np.nan, np.nan, np.nan, np.nan)


def _alpha(opacity: float) -> int:
    """A layer's opacity (0 to 1) as an alpha byte."""
    return int(round(min(max(float(opacity), 0.0), 1.0) * 255))


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
    dashed: np.ndarray | None = None  # rows drawn as unfilled dashed outlines (None: none)

    def __len__(self) -> int:
        return int(self.rows.size)


class LabelColumn:
    """The label of each row, read from the store's label codes (no list of 100,000 names)."""

    def __init__(self, store: ShapeStore) -> None:
        self._store = store

    def __getitem__(self, row: int) -> str:
        return self._store.label_names[int(self._store.label[row])]

    def __len__(self) -> int:
        return self._store.n


class ShapeStore(BulkLoading):
    """All shapes of the item on the canvas, in columns.

    ``row_of`` (uid -> row of the shapes on the canvas) is built when first needed: opening an
    item with 100,000 shapes does not wait for a dictionary that only an edit or a hover uses.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.revision = 0
        self._batch_depth = 0
        self._batch_rects: list[Rect] | None = []
        self.listeners: list[Listener] = []
        self.layers: list[Layer] = []
        self._layer_index: dict[str, int] = {}
        self.layer_visible = np.zeros(0, dtype=bool)
        self.layer_editable = np.zeros(0, dtype=bool)
        self.layer_dashed = np.zeros(0, dtype=bool)
        self.layer_alpha = np.zeros(0, dtype=np.uint32)  # 0-255: the layer's opacity
        self.label_names: list[str] = []
        self._label_id: dict[str, int] = {}
        self.label_argb = np.zeros(0, dtype=np.uint32)
        self._label_overrides: dict[str, ColorLike] = {}
        self.skeletons: dict[str, Skeleton] = {}
        self._mask_windows: dict[int, tuple[Mask, MaskWindow]] = {}
        self.index = GridIndex()
        self.labels = LabelColumn(self)
        self.set_layer(Layer("default"))
        self.clear()

    # -- bookkeeping -------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget every shape."""
        with self.lock:
            self._alloc(0, 0)
            self.uids: list[str] = []
            self.geoms: list[Shape | None] = []
            self.color_given: list[ColorLike | None] = []
            self._row_of: dict[str, int] | None = {}
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

    @property
    def row_of(self) -> dict[str, int]:
        """The row of every shape on the canvas, by uid."""
        index = self._row_of
        if index is None:
            with self.lock:
                n = self.n
                alive = self.alive[:n]
                if alive.all():
                    index = dict(zip(self.uids, range(n), strict=True))
                else:
                    rows = np.flatnonzero(alive).tolist()
                    index = dict(zip(map(self.uids.__getitem__, rows), rows, strict=True))
                if len(index) != int(np.count_nonzero(alive)):
                    raise ValueError("shape uids must be unique")
                self._row_of = index
        return index

    def prepare_for_edits(self) -> None:
        """Build what pointing and editing need and a first frame does not (the uid index, the
        grid): called once the item is shown, so that neither waits for the other."""
        with self.lock:
            self.index.ensure_built()
            _ = self.row_of

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
        if self._batch_depth:
            if self._batch_rects is not None:
                if rects is None or len(self._batch_rects) + len(rects) > 256:
                    self._batch_rects = None
                else:
                    self._batch_rects += rects
            return
        for listener in list(self.listeners):
            listener(rects)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Tell the listeners once, at the end, about all the changes made inside."""
        with self.lock:
            self._batch_depth += 1
            start = self.revision
            try:
                yield
            finally:
                self._batch_depth -= 1
                if not self._batch_depth:
                    rects, self._batch_rects = self._batch_rects, []
                    if self.revision != start:
                        self.revision -= 1
                        self._changed(rects)

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
                self.layer_dashed = np.append(self.layer_dashed, layer.dashed)
                self.layer_alpha = np.append(self.layer_alpha, np.uint32(_alpha(layer.opacity)))
            else:
                self.layers[i] = layer
                self.layer_visible[i] = layer.visible
                self.layer_editable[i] = layer.editable
                self.layer_dashed[i] = layer.dashed
                self.layer_alpha[i] = _alpha(layer.opacity)
            self._changed(None)
            return i

    def layer_of(self, name: str) -> Layer | None:
        i = self._layer_index.get(name)
        return None if i is None else self.layers[i]

    def set_label_color(self, label: str, color: ColorLike) -> None:
        with self.lock:
            self._label_overrides[label] = color
            index = self.label_index(label)
            self.label_argb[index] = argb(color)
            self._changed(None)

    def label_qcolor(self, label: str) -> int:
        index = self.label_index(label)
        return int(self.label_argb[index])

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
        return int(np.count_nonzero(self.alive[: self.n]))

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
            z = self.z[rows]
            if z.size > 1 and not (z[1:] >= z[:-1]).all():
                rows = rows[np.argsort(z, kind="stable")]
            return rows

    def hits(self, x: float, y: float, tol: float, *, limit: int = 1,
             editable_only: bool = False) -> list[int]:
        """Rows under image point (x, y), topmost first (at most ``limit``)."""
        rows = self.rows_in((x - tol, y - tol, x + tol, y + tol), include_active=True,
                           editable_only=editable_only)
        rows = rows[::-1]
        counts = self.vcount[rows]
        starts = self.vstart[rows]
        idx = ragged_arange(starts, counts)
        hit = shapeops.hit_many(self.kinds[rows], counts, np.take(self.verts, idx, axis=0),
                                self.vis[idx], x, y, tol)
        found: list[int] = []
        for i in range(rows.size):
            row = int(rows[i])
            if self.kinds[row] == MASK:
                geometry = self.geometry(row)
                inside = self.mask_window(geometry).contains(x, y)  # type: ignore[arg-type]
            else:
                inside = bool(hit[i])
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
            starts = self.vstart[rows]
            offsets = np.zeros(rows.size + 1, dtype=np.int64)
            np.cumsum(counts, out=offsets[1:])
            nonempty = counts > 0
            first = int(starts[nonempty][0]) if nonempty.any() else 0
            if (starts[nonempty] - offsets[:-1][nonempty] == first).all():
                # Vertices already lie in drawing order: a view will do. Vertex data is only
                # ever appended (a reallocation leaves this view's array as it was), so
                # reading it on another thread is safe.
                verts = self.verts[first: first + int(offsets[-1])]
                vis = self.vis[first: first + int(offsets[-1])]
            else:
                idx = ragged_arange(starts, counts)
                verts, vis = np.take(self.verts, idx, axis=0), self.vis[idx]
            over = self.override[rows]
            colors = np.where(over != 0, over, self.label_argb[self.label[rows]])
            layers = self.layer[rows]
            if (self.layer_alpha < 255).any():  # faint layers: their opacity as the alpha
                colors = (colors & np.uint32(0xFFFFFF)) | (self.layer_alpha[layers] << np.uint32(24))
            dashed = self.layer_dashed[layers] if self.layer_dashed.any() else None
            kinds = self.kinds[rows]
            batch = RenderBatch(rows=rows, kinds=kinds.copy(), colors=colors,
                                selected=self.selected[rows].copy(), bounds=self.bounds[rows].copy(),
                                offsets=offsets, verts=verts, vis=vis, dashed=dashed)
            for i in np.flatnonzero(kinds == MASK).tolist():
                batch.masks.append((i, self.geometry(int(rows[i]))))  # type: ignore[arg-type]
            for i in np.flatnonzero(kinds == KEYPOINTS).tolist():
                skel = self.skeletons.get(self.labels[int(rows[i])])
                if skel is not None and skel.edges:
                    batch.skeletons[i] = skel.edges
            return batch
