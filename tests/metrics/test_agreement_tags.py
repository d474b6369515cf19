"""Agreement on tags (image-level labels) against sklearn, statsmodels and krippendorff."""

import warnings

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

from labelhub.errors import InvalidInput
from labelhub.metrics.agreement import (
    UndefinedMetricWarning,
    fleiss_kappa,
    krippendorff_alpha,
    pairwise_cohen_kappa,
    rating_counts,
)

SEEDS = range(6)


def ratings(rng, items, raters, categories, p_missing=0.0, agreement=0.6):
    truth = rng.integers(0, categories, items)
    r = np.where(rng.random((items, raters)) < agreement, truth[:, None],
                 rng.integers(0, categories, (items, raters))).astype(float)
    r[rng.random((items, raters)) < p_missing] = np.nan
    return r


@pytest.mark.parametrize("seed", SEEDS)
def test_pairwise_cohen_kappa_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    r = ratings(rng, 80, 4, 3 + seed % 3, p_missing=0.2)
    got = pairwise_cohen_kappa(r)
    assert np.isnan(np.diag(got)).all()
    for i in range(4):
        for j in range(4):
            if i != j:
                both = ~np.isnan(r[:, i]) & ~np.isnan(r[:, j])
                assert got[i, j] == pytest.approx(cohen_kappa_score(r[both, i], r[both, j]),
                                                  abs=1e-9)
    # Integer ratings with a missing marker give the same.
    coded = np.where(np.isnan(r), -1, r).astype(int)
    np.testing.assert_allclose(pairwise_cohen_kappa(coded, missing=-1), got, atol=1e-12)


def test_pairwise_cohen_kappa_without_overlap_is_nan():
    r = np.array([[0, np.nan], [1, np.nan], [np.nan, 1], [np.nan, 0]])
    with pytest.warns(UndefinedMetricWarning, match="no item in common"):
        assert np.isnan(pairwise_cohen_kappa(r)[0, 1])


@pytest.mark.parametrize("seed", SEEDS)
def test_fleiss_kappa_matches_statsmodels(seed):
    rng = np.random.default_rng(seed)
    r = ratings(rng, 60, 2 + seed, 2 + seed % 4).astype(int)
    counts, cats = rating_counts(r)
    sm_counts, sm_cats = aggregate_raters(r)
    np.testing.assert_array_equal(counts, sm_counts)
    np.testing.assert_array_equal(cats, sm_cats)
    assert fleiss_kappa(counts) == pytest.approx(sm_fleiss(counts, method="fleiss"), abs=1e-9)


def test_fleiss_kappa_hand_value_and_degenerate():
    # Wikipedia's worked example: 10 items, 14 raters, 5 categories, kappa 0.210.
    table = np.array([[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0],
                      [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2],
                      [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]])
    assert fleiss_kappa(table) == pytest.approx(0.20993, abs=1e-5)
    with pytest.warns(UndefinedMetricWarning, match="same category"):
        assert np.isnan(fleiss_kappa(np.array([[3, 0], [3, 0]])))
    with pytest.warns(UndefinedMetricWarning, match="two raters"):
        assert np.isnan(fleiss_kappa(np.array([[1, 0], [0, 1]])))
    with pytest.raises(InvalidInput):
        fleiss_kappa(np.array([[2, 1], [1, 1]]))


@pytest.mark.parametrize("seed", SEEDS)
def test_krippendorff_alpha_matches_package(seed):
    rng = np.random.default_rng(seed)
    r = ratings(rng, 50, 3 + seed % 3, 2 + seed % 4, p_missing=0.3)
    want = krippendorff.alpha(reliability_data=r.T, level_of_measurement="nominal")
    assert krippendorff_alpha(r) == pytest.approx(want, abs=1e-9)


def test_krippendorff_alpha_hand_value_and_strings():
    # Krippendorff's own example (nominal alpha 0.743), as in the package's documentation.
    data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan, np.nan, np.nan],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, np.nan, 3],
            [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, np.nan],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, np.nan]]
    r = np.array(data).T
    assert krippendorff_alpha(r) == pytest.approx(0.743, abs=5e-4)
    names = np.array(["a", "b", "c", "d", "e"])
    as_text = np.where(np.isnan(r), "", names[np.nan_to_num(r).astype(int) - 1])
    assert krippendorff_alpha(as_text, missing="") == pytest.approx(krippendorff_alpha(r))


def test_krippendorff_alpha_degenerate():
    with pytest.warns(UndefinedMetricWarning, match="fewer than two categories"):
        assert np.isnan(krippendorff_alpha(np.array([[1.0, 1.0], [1.0, np.nan]])))
    with pytest.warns(UndefinedMetricWarning, match="no item has two ratings"):
        assert np.isnan(krippendorff_alpha(np.array([[1.0, np.nan], [np.nan, 2.0]])))
    # Two categories, but the items rated twice all show the same one: the package gives nan.
    r = np.array([[1.0, 1.0], [1.0, 1.0], [2.0, np.nan]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(krippendorff.alpha(reliability_data=r.T, level_of_measurement="nominal"))
    with pytest.warns(UndefinedMetricWarning, match="one category"):
        assert np.isnan(krippendorff_alpha(r))
    # Perfect agreement with two categories is 1.
    assert krippendorff_alpha(np.array([[1.0, 1.0], [2.0, 2.0]])) == 1.0
    with pytest.raises(InvalidInput):
        krippendorff_alpha(np.array([1.0, 2.0]))
