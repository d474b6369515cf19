"""Near-duplicate search over 64-bit perceptual hashes: all pairs within a Hamming distance,
without comparing every pair.

Multi-index hashing: split the 64 bits into ``t + 1`` blocks; two hashes at most ``t`` bits
apart agree exactly on at least one block (pigeonhole), so only hashes sharing a block value are
compared. Equal hashes are collapsed first, so a thousand blank images cost one comparison.
"""

from __future__ import annotations

import numpy as np

MAX_DISTANCE = 16


def _blocks(t: int) -> list[tuple[int, int]]:
    """(shift, width) of t + 1 bit blocks covering 64 bits, as even as possible."""
    n = t + 1
    widths = [64 // n + (1 if i < 64 % n else 0) for i in range(n)]
    out, shift = [], 0
    for w in widths:
        out.append((shift, w))
        shift += w
    return out


def near_pairs(hashes: np.ndarray, max_distance: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (i, j, distance) with i < j and Hamming distance <= ``max_distance`` between
    ``hashes[i]`` and ``hashes[j]`` (uint64), sorted by (i, j)."""
    if not 0 <= max_distance <= MAX_DISTANCE:
        raise ValueError(f"the distance must be between 0 and {MAX_DISTANCE}")
    h = np.asarray(hashes, np.uint64)
    if h.size < 2:
        empty = np.empty(0, np.int64)
        return empty, empty, empty
    values, inverse = np.unique(h, return_inverse=True)
    found: list[np.ndarray] = []
    for shift, width in _blocks(max_distance):
        keys = (values >> np.uint64(shift)) & np.uint64((1 << width) - 1)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        edges = np.flatnonzero(np.diff(sorted_keys)) + 1
        starts = np.concatenate(([0], edges))
        ends = np.concatenate((edges, [len(order)]))
        for a, b in zip(starts[ends - starts > 1], ends[ends - starts > 1], strict=True):
            run = order[a:b]
            run_hashes = values[run]
            for r in range(0, len(run), 2048):
                rows = run[r : r + 2048]
                d = np.bitwise_count(run_hashes[r : r + 2048, None] ^ run_hashes[None, :])
                ii, jj = np.nonzero((d <= max_distance) & (rows[:, None] < run[None, :]))
                if ii.size:
                    found.append(np.stack([rows[ii], run[jj], d[ii, jj].astype(np.int64)], axis=1))
    pairs = np.unique(np.concatenate(found), axis=0) if found else np.empty((0, 3), np.int64)
    # Back from distinct values to items: every item pair over a value pair, plus equal hashes.
    members: dict[int, np.ndarray] = {}
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse, minlength=len(values))
    bounds = np.concatenate(([0], np.cumsum(counts)))
    def items_of(v: int) -> np.ndarray:
        if v not in members:
            members[v] = order[bounds[v] : bounds[v + 1]]
        return members[v]
    out_i: list[np.ndarray] = []
    out_j: list[np.ndarray] = []
    out_d: list[np.ndarray] = []
    for v in np.flatnonzero(counts > 1):
        m = items_of(int(v))
        ii, jj = np.triu_indices(len(m), 1)
        out_i.append(m[ii])
        out_j.append(m[jj])
        out_d.append(np.zeros(len(ii), np.int64))
    for va, vb, dist in pairs:
        ma, mb = items_of(int(va)), items_of(int(vb))
        grid_a, grid_b = np.meshgrid(ma, mb, indexing="ij")
        out_i.append(grid_a.ravel())
        out_j.append(grid_b.ravel())
        out_d.append(np.full(grid_a.size, dist, np.int64))
    if not out_i:
        empty = np.empty(0, np.int64)
        return empty, empty, empty
    i = np.concatenate(out_i).astype(np.int64)
    j = np.concatenate(out_j).astype(np.int64)
    d = np.concatenate(out_d)
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    order2 = np.lexsort((hi, lo))
    return lo[order2], hi[order2], d[order2]


def clusters(n: int, i: np.ndarray, j: np.ndarray) -> list[list[int]]:
    """Connected groups (of two or more) of the pairs (union-find), each sorted, in order of
    their first member."""
    parent = np.arange(n)

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in zip(i.tolist(), j.tolist(), strict=True):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for x in sorted(set(i.tolist()) | set(j.tolist())):
        groups.setdefault(find(x), []).append(x)
    return [g for _root, g in sorted(groups.items()) if len(g) > 1]
