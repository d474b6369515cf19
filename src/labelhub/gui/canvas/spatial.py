"""A uniform-grid spatial index over axis-aligned bounds held in numpy arrays (no Qt).

The grid is built once for a whole item (vectorised: one sort of (cell, row) pairs into a
compressed row layout). Shapes spanning many cells are kept in a short "big" list instead of
being copied into every cell. Rows that change afterwards go to an overflow list that every
query scans by brute force, until it grows large enough to make a rebuild worth it.

Queries return *candidates*: rows that may intersect the rectangle. The caller checks them
against the exact current bounds (cheap and vectorised), so stale grid entries are harmless.
"""

from __future__ import annotations

import numpy as np

#: Shapes covering more cells than this live in the big list.
BIG_CELLS = 64
#: Largest grid side, in cells.
MAX_SIDE = 2048


def ragged_arange(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + c)`` for each pair (vectorised)."""
    counts = counts.astype(np.int64, copy=False)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    first = np.cumsum(counts) - counts
    return np.repeat(starts.astype(np.int64) - first, counts) + np.arange(total, dtype=np.int64)


class GridIndex:
    """Rectangle and point queries over rows of a bounds array ``(x0, y0, x1, y1)``."""

    def __init__(self) -> None:
        self._origin = (0.0, 0.0)
        self._cell = 1.0
        self._gw = self._gh = 0
        self._cell_start = np.zeros(1, dtype=np.int64)
        self._rows = np.zeros(0, dtype=np.int64)
        self._big = np.zeros(0, dtype=np.int64)
        self._all = np.zeros(0, dtype=np.int64)
        self._overflow: set[int] = set()
        self._overflow_array: np.ndarray | None = None
        self._built_count = 0
        self._pending: tuple[np.ndarray, np.ndarray] | None = None
        self._extent: tuple[float, float, float, float] | None = None

    @property
    def overflow_size(self) -> int:
        return len(self._overflow)

    def needs_rebuild(self) -> bool:
        """Whether enough rows changed since the build that a rebuild pays off."""
        return len(self._overflow) > max(2048, self._built_count // 8)

    def prepare(self, bounds: np.ndarray, rows: np.ndarray) -> None:
        """Index ``rows`` of ``bounds`` when a query first needs the grid (a query covering
        most of the shapes' extent never does, so showing a whole item does not wait for it)."""
        rows = np.asarray(rows, dtype=np.int64)
        self._pending = (bounds, rows)
        self._overflow.clear()
        self._overflow_array = None
        self._all = rows
        b = bounds[: rows.size] if rows.size and rows[-1] == rows.size - 1 else bounds[rows]
        # fmin and fmax pass over the rows without bounds (NaN).
        extent = (np.fmin.reduce(b[:, 0], initial=np.nan), np.fmin.reduce(b[:, 1], initial=np.nan),
                  np.fmax.reduce(b[:, 2], initial=np.nan), np.fmax.reduce(b[:, 3], initial=np.nan))
        self._extent = None if np.isnan(extent).any() else tuple(float(v) for v in extent)

    def build(self, bounds: np.ndarray, rows: np.ndarray) -> None:
        """Index ``rows`` of ``bounds`` (an (N, 4) array of x0, y0, x1, y1) now."""
        self._pending = None
        rows = np.asarray(rows, dtype=np.int64)
        self._overflow.clear()
        self._overflow_array = None
        self._built_count = rows.size
        self._all = rows
        b = bounds[rows]
        # Rows without bounds (an emptied mask, keypoints with nothing labelled) meet no
        # rectangle: they stay out of the grid.
        finite = np.isfinite(b).all(axis=1)
        if not finite.all():
            rows, b = rows[finite], b[finite]
        if rows.size == 0:
            self._gw = self._gh = 0
            self._rows = self._big = np.zeros(0, dtype=np.int64)
            self._cell_start = np.zeros(1, dtype=np.int64)
            return
        x0, y0 = float(b[:, 0].min()), float(b[:, 1].min())
        x1, y1 = float(b[:, 2].max()), float(b[:, 3].max())
        span_w, span_h = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
        sizes = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
        typical = float(np.median(sizes)) if sizes.size else 1.0
        cell = max(typical, np.sqrt(span_w * span_h / max(rows.size, 1)), 1e-6)
        cell = max(cell, span_w / MAX_SIDE, span_h / MAX_SIDE)
        gw = int(min(MAX_SIDE, np.floor(span_w / cell) + 1))
        gh = int(min(MAX_SIDE, np.floor(span_h / cell) + 1))
        self._origin, self._cell, self._gw, self._gh = (x0, y0), cell, gw, gh

        cx0, cy0, cx1, cy1 = self._cell_ranges(b)
        ncx, ncy = cx1 - cx0 + 1, cy1 - cy0 + 1
        ncells = ncx * ncy
        big = ncells > BIG_CELLS
        self._big = rows[big]
        small = ~big
        r, cx0, cy0, ncx, ncells = rows[small], cx0[small], cy0[small], ncx[small], ncells[small]
        local = ragged_arange(np.zeros(r.size, dtype=np.int64), ncells)
        owner = np.repeat(np.arange(r.size), ncells)
        dx = local % ncx[owner]
        dy = local // ncx[owner]
        cells = (cy0[owner] + dy) * gw + (cx0[owner] + dx)
        order = np.argsort(cells, kind="stable")
        self._rows = r[owner[order]]
        counts = np.bincount(cells, minlength=gw * gh)
        self._cell_start = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)

    def _cell_ranges(
        self, b: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        ox, oy = self._origin
        inv = 1.0 / self._cell
        with np.errstate(invalid="ignore"):
            cx0 = np.clip(np.floor((b[:, 0] - ox) * inv), 0, self._gw - 1).astype(np.int64)
            cy0 = np.clip(np.floor((b[:, 1] - oy) * inv), 0, self._gh - 1).astype(np.int64)
            cx1 = np.clip(np.floor((b[:, 2] - ox) * inv), 0, self._gw - 1).astype(np.int64)
            cy1 = np.clip(np.floor((b[:, 3] - oy) * inv), 0, self._gh - 1).astype(np.int64)
        return cx0, cy0, np.maximum(cx1, cx0), np.maximum(cy1, cy0)

    def touch(self, row: int) -> None:
        """Row ``row`` was added or its bounds changed: queries scan it directly from now on."""
        self._overflow.add(int(row))
        self._overflow_array = None

    def _overflow_rows(self) -> np.ndarray:
        if self._overflow_array is None:
            self._overflow_array = np.fromiter(self._overflow, dtype=np.int64,
                                               count=len(self._overflow))
        return self._overflow_array

    def ensure_built(self) -> None:
        """Build the grid now if it is still waiting (see prepare)."""
        if self._pending is not None:
            overflow = set(self._overflow)
            self.build(*self._pending)
            self._overflow |= overflow

    def query(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        """Candidate rows for the rectangle [x0, x1] x [y0, y1] (unique, unordered)."""
        if self._pending is not None:
            e = self._extent
            if e is None:
                return self._overflow_rows()
            seen = max(0.0, min(x1, e[2]) - max(x0, e[0])) * max(0.0, min(y1, e[3]) - max(y0, e[1]))
            if seen * 4 >= max(e[2] - e[0], 1e-9) * max(e[3] - e[1], 1e-9):
                if not self._overflow:
                    return self._all
                return np.unique(np.concatenate([self._all, self._overflow_rows()]))
            self.ensure_built()
        extra = self._overflow_rows()
        if self._gw == 0:
            return extra
        cx0, cy0, cx1, cy1 = (
            a[0] for a in self._cell_ranges(np.array([[x0, y0, x1, y1]], dtype=np.float64))
        )
        ox, oy = self._origin
        # A rectangle entirely off the indexed area still clips to the border cells: skip it.
        if x1 < ox or y1 < oy or x0 > ox + self._gw * self._cell or y0 > oy + self._gh * self._cell:
            parts = [self._big, extra]
        elif (cx1 - cx0 + 1) * (cy1 - cy0 + 1) * 4 > self._gw * self._gh:
            # Most of the grid: every row is a candidate (the caller's bounds test is vectorised).
            if not extra.size:
                return self._all
            parts = [self._all, extra]
        else:
            cols = np.arange(cx0, cx1 + 1, dtype=np.int64)
            cells = (np.arange(cy0, cy1 + 1, dtype=np.int64)[:, None] * self._gw + cols).ravel()
            starts = self._cell_start[cells]
            counts = self._cell_start[cells + 1] - starts
            parts = [self._rows[ragged_arange(starts, counts)], self._big, extra]
        found = np.concatenate(parts)
        return np.unique(found) if found.size else found
