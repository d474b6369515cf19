"""Minimum-cost assignment (the linear sum assignment problem), numpy only.

The solver is the shortest augmenting path method (Jonker-Volgenant, in the form described by
Crouse, "On implementing 2D rectangular assignment algorithms", IEEE TAES 2016): one row at a
time is added to the assignment along a shortest path of reduced costs, keeping dual potentials
so that every reduced cost stays non-negative.

Three entry points:

- :func:`linear_sum_assignment` for one matrix, with the same result (same total cost) as
  ``scipy.optimize.linear_sum_assignment`` whenever a complete assignment exists;
- :func:`linear_sum_assignment_batch` for a stack of equally shaped matrices, vectorised across
  the stack, for the many tiny problems of annotation matching (100,000 random 10x10 matrices
  in about two seconds);
- :func:`sparse_assignment` for many independent problems given as lists of allowed pairs
  (edges), as annotation matching produces: isolated pairs are taken at once and only the
  entangled rest is solved densely, batched by size.

Inside :func:`linear_sum_assignment`, matrices up to about 100x100 take a pure-Python path
(numpy's per-call overhead dominates there), larger ones a path vectorised over columns.

Forbidden pairs: an entry of ``+inf`` (``-inf`` when maximising) may not be assigned. Where scipy
raises "cost matrix is infeasible", these functions leave rows and columns unmatched instead:
the result is, among all assignments that use allowed pairs only, one with the most pairs and,
among those, the lowest total cost. NaN entries are rejected.

Among assignments of equal cost, which one is returned is deterministic but unspecified.
"""

from __future__ import annotations

import numpy as np

from labelhub.errors import InvalidInput

__all__ = ["linear_sum_assignment", "linear_sum_assignment_batch", "sparse_assignment"]

# Up to this many cells (about 100x100) a pure-Python loop beats numpy's per-call overhead.
_SMALL_CELLS = 10_000


def _prepare(cost: np.ndarray, maximize: bool) -> tuple[np.ndarray, np.ndarray]:
    """Check the matrix, orient it for minimisation, return (finite costs, allowed mask)."""
    c = np.asarray(cost, dtype=np.float64)
    if maximize:
        c = -c
    allowed = np.isfinite(c)
    if allowed.all():
        return c, allowed
    if np.isnan(c).any():
        raise InvalidInput("The cost matrix contains NaN values.")
    if np.isneginf(c).any():
        raise InvalidInput(
            "The cost matrix contains "
            + ("+inf values while maximising." if maximize else "-inf values.")
        )
    return c, allowed


def _fill_forbidden(c: np.ndarray, allowed: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Replace forbidden entries by a cost so high that one more allowed pair always wins.

    Costs are shifted to start at 0 (this changes no optimum: every complete assignment has the
    same number of pairs). With allowed costs in [0, R] and p pairs per assignment, a forbidden
    cost F > p * R makes any assignment with more allowed pairs cheaper than any with fewer.
    """
    big = np.where(allowed, c, np.inf).min(axis=axes, keepdims=True)
    low = np.where(np.isfinite(big), big, 0.0)
    top = np.where(allowed, c, -np.inf).max(axis=axes, keepdims=True)
    span = np.where(np.isfinite(top), top - low, 0.0)
    pairs = min(c.shape[-2], c.shape[-1])
    forbidden = (span + 1.0) * (pairs + 1.0)
    return np.where(allowed, c - low, forbidden)


def _solve_python(rows: list[list[float]], nc: int) -> list[int]:
    """Shortest augmenting path on lists (nr <= nc, all finite). Returns the column of each row."""
    nr = len(rows)
    inf = float("inf")
    u = [0.0] * nr
    v = [0.0] * nc
    col4row = [-1] * nr
    row4col = [-1] * nc
    for cur in range(nr):
        shortest = [inf] * nc
        path = [-1] * nc
        remaining = list(range(nc))
        visited_rows = [cur]
        visited_cols = []
        min_val = 0.0
        i = cur
        sink = -1
        while sink < 0:
            row = rows[i]
            ui = u[i]
            lowest = inf
            best = -1
            best_pos = -1
            for pos, j in enumerate(remaining):
                r = min_val + row[j] - ui - v[j]
                if r < shortest[j]:
                    path[j] = i
                    shortest[j] = r
                s = shortest[j]
                if s < lowest or (s == lowest and row4col[j] < 0 and (best < 0 or row4col[best] >= 0)):
                    lowest = s
                    best = j
                    best_pos = pos
            min_val = lowest
            remaining.pop(best_pos)
            visited_cols.append(best)
            if row4col[best] < 0:
                sink = best
            else:
                i = row4col[best]
                visited_rows.append(i)
        u[cur] += min_val
        for i in visited_rows[1:]:
            u[i] += min_val - shortest[col4row[i]]
        for j in visited_cols:
            v[j] -= min_val - shortest[j]
        j = sink
        while True:
            i = path[j]
            row4col[j] = i
            col4row[i], j = j, col4row[i]
            if i == cur:
                break
    return col4row


def _solve_vector(c: np.ndarray) -> np.ndarray:
    """Shortest augmenting path on one matrix (nr <= nc, all finite), vectorised over columns."""
    nr, nc = c.shape
    u = np.zeros(nr)
    v = np.zeros(nc)
    col4row = np.full(nr, -1, dtype=np.int64)
    row4col = np.full(nc, -1, dtype=np.int64)
    for cur in range(nr):
        shortest = np.full(nc, np.inf)
        path = np.full(nc, -1, dtype=np.int64)
        seen_cols = np.zeros(nc, dtype=bool)
        seen_rows = [cur]
        min_val = 0.0
        i = cur
        while True:
            reduced = (min_val - u[i]) + c[i] - v
            better = (reduced < shortest) & ~seen_cols
            shortest[better] = reduced[better]
            path[better] = i
            masked = np.where(seen_cols, np.inf, shortest)
            j = int(np.argmin(masked))
            min_val = float(masked[j])
            if row4col[j] >= 0:
                free = np.flatnonzero((masked == min_val) & (row4col < 0))
                if free.size:
                    j = int(free[0])
            seen_cols[j] = True
            if row4col[j] < 0:
                break
            i = int(row4col[j])
            seen_rows.append(i)
        u[cur] += min_val
        rows = np.array(seen_rows[1:], dtype=np.int64)
        u[rows] += min_val - shortest[col4row[rows]]
        v[seen_cols] -= min_val - shortest[seen_cols]
        while True:
            i = int(path[j])
            row4col[j] = i
            col4row[i], j = j, int(col4row[i])
            if i == cur:
                break
    return col4row


def _solve_numpy(c: np.ndarray) -> np.ndarray:
    """Shortest augmenting path on a stack (B, nr, nc), nr <= nc, all finite.

    Every problem of the stack advances in the same numpy call; problems whose path search has
    finished drop out of the working set. Returns the column of each row, shape (B, nr).
    """
    nb, nr, nc = c.shape
    u = np.zeros((nb, nr))
    v = np.zeros((nb, nc))
    col4row = np.full((nb, nr), -1, dtype=np.int64)
    row4col = np.full((nb, nc), -1, dtype=np.int64)
    every = np.arange(nb)
    for cur in range(nr):
        # First step of every path search, for the whole stack with plain slices.
        shortest = c[:, cur, :] - u[:, cur, None] - v
        path = np.full((nb, nc), cur, dtype=np.int64)
        seen_rows = np.zeros((nb, nr), dtype=bool)
        seen_rows[:, cur] = True
        min_val = shortest.min(axis=1)
        candidate = shortest == min_val[:, None]
        free = candidate & (row4col < 0)
        has_free = free.any(axis=1)
        j = np.where(has_free, free.argmax(axis=1), candidate.argmax(axis=1))
        seen_cols = np.zeros((nb, nc), dtype=bool)
        seen_cols[every, j] = True
        sink = np.where(has_free, j, -1)
        act = np.flatnonzero(~has_free)
        row_at = np.full(nb, cur, dtype=np.int64)
        row_at[act] = row4col[act, j[act]]
        while act.size:
            ia = row_at[act]
            seen_rows[act, ia] = True
            reduced = min_val[act, None] + c[act, ia, :] - u[act, ia][:, None] - v[act]
            sh = shortest[act]
            sc = seen_cols[act]
            better = (reduced < sh) & ~sc
            sh = np.where(better, reduced, sh)
            shortest[act] = sh
            path[act] = np.where(better, ia[:, None], path[act])
            masked = np.where(sc, np.inf, sh)
            lowest = masked.min(axis=1)
            candidate = masked == lowest[:, None]
            free = candidate & (row4col[act] < 0)
            has_free = free.any(axis=1)
            j = np.where(has_free, free.argmax(axis=1), candidate.argmax(axis=1))
            min_val[act] = lowest
            seen_cols[act, j] = True
            done = has_free
            sink[act[done]] = j[done]
            going = act[~done]
            row_at[going] = row4col[going, j[~done]]
            act = going
        u[:, cur] += min_val
        seen_rows[:, cur] = False
        matched_col = np.take_along_axis(shortest, np.maximum(col4row, 0), axis=1)
        with np.errstate(invalid="ignore"):
            u += np.where(seen_rows, min_val[:, None] - matched_col, 0.0)
            v -= np.where(seen_cols, min_val[:, None] - shortest, 0.0)
        j = sink
        act = every
        while act.size:
            i = path[act, j]
            row4col[act, j] = i
            previous = col4row[act, i]
            col4row[act, i] = j
            keep = i != cur
            act = act[keep]
            j = previous[keep]
    return col4row


def linear_sum_assignment(
    cost: np.ndarray, maximize: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-cost assignment of rows to columns of a rectangular matrix.

    Returns ``(rows, cols)``: int64 arrays, rows ascending, pairing ``rows[k]`` with
    ``cols[k]``. With every entry finite, ``min(N, M)`` pairs are returned and their total cost
    equals scipy's optimum. ``+inf`` entries (``-inf`` with ``maximize=True``) are forbidden
    pairs; see the module docstring for what happens when they prevent a complete assignment.
    Raises :class:`InvalidInput` for NaN, for infinities of the wrong sign, or for a matrix
    that is not two-dimensional.
    """
    c, allowed = _prepare(cost, maximize)
    if c.ndim != 2:
        raise InvalidInput(f"The cost matrix must be two-dimensional, not of shape {c.shape}.")
    empty = np.zeros(0, dtype=np.int64)
    if c.size == 0 or not allowed.any():
        return empty, empty.copy()
    transposed = c.shape[0] > c.shape[1]
    if transposed:
        c, allowed = c.T, allowed.T
    if not allowed.all():
        c = _fill_forbidden(c, allowed, (0, 1))
    nr, nc = c.shape
    if nr == 1:
        col4row = np.array([int(np.argmin(c[0]))], dtype=np.int64)
    elif c.size <= _SMALL_CELLS:
        col4row = np.array(_solve_python(c.tolist(), nc), dtype=np.int64)
    else:
        col4row = _solve_vector(c)
    rows = np.arange(nr, dtype=np.int64)
    keep = allowed[rows, col4row]
    rows, cols = rows[keep], col4row[keep]
    if transposed:
        order = np.argsort(cols, kind="stable")
        rows, cols = cols[order], rows[order]
    return rows, cols


def linear_sum_assignment_batch(costs: np.ndarray, maximize: bool = False) -> np.ndarray:
    """Solve a stack of assignment problems of shape (B, N, M) at once.

    Returns an int64 array of shape (B, N): the column assigned to each row, or -1 for a row
    left unmatched (because N > M, or because only forbidden pairs were left to it). Each
    problem's result is what :func:`linear_sum_assignment` would give for it (same cost).
    """
    c, allowed = _prepare(costs, maximize)
    if c.ndim != 3:
        raise InvalidInput(f"The cost stack must be three-dimensional, not of shape {c.shape}.")
    nb, n, m = c.shape
    out = np.full((nb, n), -1, dtype=np.int64)
    if nb == 0 or n == 0 or m == 0:
        return out
    transposed = n > m
    if transposed:
        c, allowed = c.transpose(0, 2, 1), allowed.transpose(0, 2, 1)
    if not allowed.all():
        c = _fill_forbidden(c, allowed, (1, 2))
    col4row = _solve_numpy(np.ascontiguousarray(c))
    nr = c.shape[1]
    b = np.repeat(np.arange(nb), nr)
    r = np.tile(np.arange(nr), nb)
    k = col4row.ravel()
    keep = allowed[b, r, k]
    b, r, k = b[keep], r[keep], k[keep]
    if transposed:
        out[b, k] = r
    else:
        out[b, r] = k
    return out


def _local_rank(key: np.ndarray, problem: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rank of each edge end among its problem's distinct nodes (``key`` orders nodes by
    problem first), and the problem of each distinct node."""
    uniq, first_edge, inv = np.unique(key, return_index=True, return_inverse=True)
    node_problem = problem[first_edge]
    first = np.searchsorted(node_problem, node_problem, side="left")
    return (np.arange(uniq.size) - first)[inv], node_problem


def sparse_assignment(
    rows: np.ndarray, cols: np.ndarray, cost: np.ndarray, problem: np.ndarray | None = None
) -> np.ndarray:
    """Minimum-cost assignments of many independent problems given by their allowed pairs.

    Edge e joins row ``rows[e]`` and column ``cols[e]`` of problem ``problem[e]`` (one problem
    when None) at finite ``cost[e]``; at most one edge per (problem, row, column). Returns a
    bool mask of the edges chosen: per problem, an assignment with the most pairs and, among
    those, the lowest total cost. An edge whose row and column have no other edge is always
    chosen; the remaining entangled edges are solved densely, problems of equal size together.
    """
    r = np.asarray(rows, dtype=np.int64).ravel()
    c = np.asarray(cols, dtype=np.int64).ravel()
    w = np.asarray(cost, dtype=np.float64).ravel()
    p = np.zeros(r.size, np.int64) if problem is None else np.asarray(problem, np.int64).ravel()
    if not (r.size == c.size == w.size == p.size):
        raise InvalidInput("rows, cols, cost and problem must have one value per edge.")
    if not np.isfinite(w).all():
        raise InvalidInput("Edge costs must be finite; leave forbidden pairs out instead.")
    chosen = np.zeros(r.size, dtype=bool)
    if r.size == 0:
        return chosen
    if r.min() < 0 or c.min() < 0 or p.min() < 0:
        raise InvalidInput("Row, column and problem numbers must not be negative.")
    rkey = p * (int(r.max()) + 1) + r
    ckey = p * (int(c.max()) + 1) + c
    _, ri = np.unique(rkey, return_inverse=True)
    _, ci = np.unique(ckey, return_inverse=True)
    single = (np.bincount(ri)[ri] == 1) & (np.bincount(ci)[ci] == 1)
    chosen[single] = True
    rest = np.flatnonzero(~single)
    if rest.size == 0:
        return chosen
    row, row_prob = _local_rank(rkey[rest], p[rest])
    col, col_prob = _local_rank(ckey[rest], p[rest])
    problems, pidx = np.unique(p[rest], return_inverse=True)
    n_rows = np.bincount(np.searchsorted(problems, row_prob), minlength=problems.size)
    n_cols = np.bincount(np.searchsorted(problems, col_prob), minlength=problems.size)
    key = n_rows * (int(n_cols.max()) + 1) + n_cols
    for value in np.unique(key):
        members = np.flatnonzero(key == value)
        slot = np.full(problems.size, -1)
        slot[members] = np.arange(members.size)
        e = np.flatnonzero(slot[pidx] >= 0)
        stack = np.full((members.size, n_rows[members[0]], n_cols[members[0]]), np.inf)
        stack[slot[pidx[e]], row[e], col[e]] = w[rest[e]]
        col4row = linear_sum_assignment_batch(stack)
        chosen[rest[e]] = col4row[slot[pidx[e]], row[e]] == col[e]
    return chosen
