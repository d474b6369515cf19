"""The assignment solvers against scipy.optimize.linear_sum_assignment and brute force."""

import itertools

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment as scipy_lsa

from labelhub.errors import InvalidInput
from labelhub.metrics.assignment import (
    linear_sum_assignment,
    linear_sum_assignment_batch,
    sparse_assignment,
)


def random_matrix(rng, n, m, kind):
    if kind == "uniform":
        return rng.random((n, m))
    if kind == "ties":
        return rng.integers(0, 3, (n, m)).astype(float)
    if kind == "wide":
        return rng.normal(size=(n, m)) * 1e4
    c = rng.random((n, m))
    c[rng.random((n, m)) < 0.35] = np.inf
    return c


def brute_force(cost):
    """Most allowed pairs, then least cost, by enumerating every assignment."""
    n, m = cost.shape
    if n <= m:
        options = (list(zip(range(n), p, strict=True)) for p in itertools.permutations(range(m), n))
    else:
        options = (list(zip(p, range(m), strict=True)) for p in itertools.permutations(range(n), m))
    best = None
    for pairs in options:
        allowed = [(r, c) for r, c in pairs if np.isfinite(cost[r, c])]
        key = (-len(allowed), sum(cost[r, c] for r, c in allowed))
        best = key if best is None else min(best, key)
    return -best[0], best[1]


def check_valid(rows, cols, shape):
    assert rows.dtype == np.int64 and cols.dtype == np.int64
    assert np.all(np.diff(rows) > 0)
    assert len(set(cols.tolist())) == cols.size
    assert rows.size == 0 or (rows.max() < shape[0] and cols.max() < shape[1])


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("kind", ["uniform", "ties", "wide", "forbidden"])
def test_single_matches_scipy(seed, kind):
    rng = np.random.default_rng(seed)
    for _ in range(60):
        n, m = rng.integers(1, 13, 2)
        c = random_matrix(rng, n, m, kind)
        rows, cols = linear_sum_assignment(c)
        check_valid(rows, cols, c.shape)
        try:
            r0, c0 = scipy_lsa(c)
        except ValueError:  # infeasible for scipy: compared with brute force below
            continue
        assert rows.size == r0.size
        assert c[rows, cols].sum() == pytest.approx(c[r0, c0].sum(), rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_forbidden_pairs_left_unmatched_optimally(seed):
    rng = np.random.default_rng(seed)
    for _ in range(80):
        n, m = rng.integers(1, 6, 2)
        c = rng.random((n, m))
        c[rng.random((n, m)) < 0.5] = np.inf
        rows, cols = linear_sum_assignment(c)
        check_valid(rows, cols, c.shape)
        assert np.isfinite(c[rows, cols]).all()
        count, total = brute_force(c)
        assert rows.size == count
        assert c[rows, cols].sum() == pytest.approx(total, abs=1e-9)


def test_hand_cases():
    c = np.array([[4.0, 1, 3], [2, 0, 5], [3, 2, 2]])
    rows, cols = linear_sum_assignment(c)
    assert c[rows, cols].sum() == 5
    # Greedy would take the 0 and be forced into the 10.
    c = np.array([[0.0, 1.0], [1.0, 10.0]])
    assert linear_sum_assignment(c)[1].tolist() == [1, 0]
    # All forbidden, or empty.
    assert linear_sum_assignment(np.full((2, 3), np.inf))[0].size == 0
    assert linear_sum_assignment(np.zeros((0, 4)))[0].size == 0
    rows, cols = linear_sum_assignment(np.array([[np.inf, 1.0], [np.inf, 2.0]]))
    assert cols.tolist() == [1] and rows.tolist() == [0]


def test_maximize_and_tall_matrices():
    rng = np.random.default_rng(7)
    for shape in [(7, 3), (3, 7), (1, 5), (5, 1)]:
        c = rng.random(shape)
        rows, cols = linear_sum_assignment(c, maximize=True)
        r0, c0 = scipy_lsa(c, maximize=True)
        assert c[rows, cols].sum() == pytest.approx(c[r0, c0].sum())
        check_valid(rows, cols, shape)
    c = np.array([[1.0, -np.inf], [-np.inf, 2.0]])
    assert linear_sum_assignment(c, maximize=True)[1].tolist() == [0, 1]


def test_bad_input():
    with pytest.raises(InvalidInput):
        linear_sum_assignment(np.array([[np.nan, 1.0]]))
    with pytest.raises(InvalidInput):
        linear_sum_assignment(np.array([[-np.inf, 1.0]]))
    with pytest.raises(InvalidInput):
        linear_sum_assignment(np.zeros(3))
    with pytest.raises(InvalidInput):
        linear_sum_assignment_batch(np.zeros((2, 2)))


@pytest.mark.parametrize("shape", [(40, 60), (120, 90), (200, 200)])
def test_large_matrices_take_the_numpy_path(shape):
    rng = np.random.default_rng(sum(shape))
    for c in (rng.random(shape), rng.integers(0, 4, shape).astype(float)):
        rows, cols = linear_sum_assignment(c)
        r0, c0 = scipy_lsa(c)
        check_valid(rows, cols, shape)
        assert c[rows, cols].sum() == pytest.approx(c[r0, c0].sum(), rel=1e-12)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("shape", [(10, 10), (4, 9), (9, 4), (1, 3), (6, 6)])
@pytest.mark.parametrize("kind", ["uniform", "ties", "forbidden"])
def test_batch_matches_single(seed, shape, kind):
    rng = np.random.default_rng(seed)
    stack = np.stack([random_matrix(rng, *shape, kind) for _ in range(150)])
    out = linear_sum_assignment_batch(stack)
    assert out.shape == (150, shape[0])
    for c, col4row in zip(stack, out, strict=True):
        rows = np.flatnonzero(col4row >= 0)
        cols = col4row[rows]
        check_valid(rows, cols, shape)
        r1, c1 = linear_sum_assignment(c)
        assert rows.size == r1.size
        assert c[rows, cols].sum() == pytest.approx(c[r1, c1].sum(), abs=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_sparse_assignment_matches_dense(seed):
    rng = np.random.default_rng(seed)
    problems = []
    for p in range(300):
        n, m = rng.integers(1, 8, 2)
        c = rng.random((n, m))
        c[rng.random((n, m)) < [0.9, 0.6, 0.2][p % 3]] = np.inf
        problems.append(c)
    rows, cols, cost, prob = [], [], [], []
    for p, c in enumerate(problems):
        r, k = np.nonzero(np.isfinite(c))
        rows.append(r * 3 + 1)  # node numbers need not be consecutive
        cols.append(k)
        cost.append(c[r, k])
        prob.append(np.full(r.size, 2 * p))
    rows, cols, cost, prob = map(np.concatenate, (rows, cols, cost, prob))
    chosen = sparse_assignment(rows, cols, cost, prob)
    for p, c in enumerate(problems):
        mine = chosen & (prob == 2 * p)
        assert len(set(rows[mine])) == mine.sum() == len(set(cols[mine]))
        r1, c1 = linear_sum_assignment(c)
        assert mine.sum() == r1.size
        assert cost[mine].sum() == pytest.approx(c[r1, c1].sum(), abs=1e-9)


def test_sparse_assignment_edges():
    assert sparse_assignment([], [], []).size == 0
    assert sparse_assignment([0], [5], [0.3]).tolist() == [True]
    # One row, two columns: the cheaper wins.
    assert sparse_assignment([0, 0], [0, 1], [0.5, 0.2]).tolist() == [False, True]
    with pytest.raises(InvalidInput):
        sparse_assignment([0], [0], [np.inf])
    with pytest.raises(InvalidInput):
        sparse_assignment([0, 1], [0], [1.0])
