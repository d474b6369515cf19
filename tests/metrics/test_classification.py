"""Classification metrics against scikit-learn (the oracle) on random data, and edge cases."""

import warnings

import numpy as np
import pytest
import sklearn.metrics as skm

from labelhub.errors import InvalidInput
from labelhub.metrics import classification as cm
from labelhub.metrics.classification import UndefinedMetricWarning

SEEDS = [0, 1, 2, 3, 4]
ZERO_DIVISIONS = ["warn", 0.0, 1.0, np.nan]


def close(a, b):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                               rtol=0, atol=1e-9, equal_nan=True)


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def random_labels(rng, n, k, weighted):
    y_true = rng.integers(0, k, n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, k, n))
    w = rng.random(n) if weighted else None
    return y_true, y_pred, w


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("weighted", [False, True])
def test_accuracy_and_confusion_match_sklearn(seed, weighted):
    rng = np.random.default_rng(seed)
    t, p, w = random_labels(rng, 200, 5, weighted)
    close(cm.accuracy(t, p, sample_weight=w), skm.accuracy_score(t, p, sample_weight=w))
    close(cm.accuracy(t, p, normalize=False, sample_weight=w),
          skm.accuracy_score(t, p, normalize=False, sample_weight=w))
    for labels in (None, [4, 0, 2], [0, 1, 2, 3, 4, 7]):
        for normalize in (None, "true", "pred", "all"):
            ours = cm.confusion_matrix(t, p, labels=labels, sample_weight=w, normalize=normalize)
            ref = skm.confusion_matrix(t, p, labels=labels, sample_weight=w, normalize=normalize)
            assert ours.shape == ref.shape
            close(ours, ref)
    assert cm.confusion_matrix(t, p).dtype == np.int64


def test_string_labels():
    t = np.array(["cat", "dog", "pig", "cat", "dog", "pig"])
    p = np.array(["cat", "pig", "dog", "cat", "cat", "dog"])
    close(cm.confusion_matrix(t, p), skm.confusion_matrix(t, p))
    for avg in (None, "macro", "micro", "weighted"):
        ours = quiet(cm.precision_recall_fscore, t, p, average=avg)
        ref = quiet(skm.precision_recall_fscore_support, t, p, average=avg)
        for a, b in zip(ours, ref, strict=True):
            if b is None:
                assert a is None
            else:
                close(a, b)
    ours = cm.precision_recall_fscore(t, p, labels=["pig", "dog", "cat"], zero_division=0.0)
    ref = skm.precision_recall_fscore_support(t, p, labels=["pig", "dog", "cat"], zero_division=0.0)
    for a, b in zip(ours, ref, strict=True):
        close(a, b)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("zero_division", ZERO_DIVISIONS)
@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
def test_prf_multiclass_matches_sklearn(seed, zero_division, average):
    rng = np.random.default_rng(seed)
    # Few samples and many classes, so some classes are never predicted or never true.
    t, p, w = random_labels(rng, 25, 8, weighted=seed % 2 == 1)
    for labels in (None, [0, 3, 5, 9]):
        for beta in (1.0, 0.5, 2.0, 0.0, np.inf):
            ours = quiet(cm.precision_recall_fscore, t, p, labels=labels, average=average,
                         beta=beta, sample_weight=w, zero_division=zero_division)
            ref = quiet(skm.precision_recall_fscore_support, t, p, labels=labels,
                        average=average, beta=beta, sample_weight=w,
                        zero_division=zero_division)
            for a, b in zip(ours, ref, strict=True):
                if b is None:
                    assert a is None
                else:
                    close(a, b)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("zero_division", ZERO_DIVISIONS)
def test_prf_binary_matches_sklearn(seed, zero_division):
    rng = np.random.default_rng(seed)
    t, p, w = random_labels(rng, 30, 2, weighted=seed % 2 == 0)
    for pos_label in (0, 1):
        ours = quiet(cm.precision_recall_fscore, t, p, average="binary", pos_label=pos_label,
                     sample_weight=w, zero_division=zero_division)
        ref = quiet(skm.precision_recall_fscore_support, t, p, average="binary",
                    pos_label=pos_label, sample_weight=w, zero_division=zero_division)
        close(ours[:3], ref[:3])
    # Nothing predicted positive: precision is undefined -> zero_division.
    none = np.zeros_like(t)
    ours = quiet(cm.precision_recall_fscore, t, none, average="binary", zero_division=zero_division)
    ref = quiet(skm.precision_recall_fscore_support, t, none, average="binary",
                zero_division=zero_division)
    close(ours[:3], ref[:3])


def test_zero_division_warns_only_when_asked():
    t, p = [0, 0, 1], [0, 0, 0]
    with pytest.warns(UndefinedMetricWarning):
        assert cm.precision_recall_fscore(t, p, average="binary")[0] == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cm.precision_recall_fscore(t, p, average="binary", zero_division=1.0)[0] == 1.0
        assert np.isnan(cm.precision_recall_fscore(t, p, average="binary",
                                                   zero_division=np.nan)[0])


def test_bad_arguments():
    with pytest.raises(InvalidInput):
        cm.precision_recall_fscore([0, 1, 2], [0, 1, 1], average="binary")
    with pytest.raises(InvalidInput):
        cm.precision_recall_fscore([0, 1], [0, 1], average="median")
    with pytest.raises(InvalidInput):
        cm.precision_recall_fscore([0, 1], [0, 1], zero_division=0.5)
    with pytest.raises(InvalidInput):
        cm.accuracy([0, 1], [0, 1, 1])
    with pytest.raises(InvalidInput):
        cm.confusion_matrix([0, 1], [0, 1], normalize="rows")


def random_multilabel(rng, n, k):
    t = (rng.random((n, k)) < 0.3).astype(int)
    p = np.where(rng.random((n, k)) < 0.7, t, (rng.random((n, k)) < 0.3).astype(int))
    t[0] = 0
    p[1] = 0
    return t, p


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("zero_division", ZERO_DIVISIONS)
def test_multilabel_matches_sklearn(seed, zero_division):
    rng = np.random.default_rng(seed)
    t, p = random_multilabel(rng, 40, 6)
    t[:, 5] = 0  # a label that never occurs
    w = rng.random(40) if seed % 2 else None
    close(cm.accuracy(t, p, sample_weight=w), skm.accuracy_score(t, p, sample_weight=w))
    close(cm.hamming_loss(t, p, sample_weight=w), skm.hamming_loss(t, p, sample_weight=w))
    for labels in (None, [0, 2, 5]):
        close(cm.multilabel_confusion_matrix(t, p, labels=labels, sample_weight=w),
              skm.multilabel_confusion_matrix(t, p, labels=labels, sample_weight=w))
        for average in (None, "micro", "macro", "weighted", "samples"):
            ours = quiet(cm.precision_recall_fscore, t, p, labels=labels, average=average,
                         sample_weight=w, zero_division=zero_division)
            ref = quiet(skm.precision_recall_fscore_support, t, p, labels=labels,
                        average=average, sample_weight=w, zero_division=zero_division)
            for a, b in zip(ours, ref, strict=True):
                if b is None:
                    assert a is None
                else:
                    close(a, b)
    close(cm.multilabel_confusion_matrix(t, p, samplewise=True, sample_weight=w),
          skm.multilabel_confusion_matrix(t, p, samplewise=True, sample_weight=w))
    one_d_t, one_d_p, _ = random_labels(rng, 30, 4, False)
    close(cm.multilabel_confusion_matrix(one_d_t, one_d_p, labels=[3, 1]),
          skm.multilabel_confusion_matrix(one_d_t, one_d_p, labels=[3, 1]))


@pytest.mark.parametrize("seed", SEEDS)
def test_roc_auc_binary_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 2, 300)
    # Rounded scores create many ties.
    score = np.round(t * 0.3 + rng.random(300), 1)
    w = rng.random(300)
    close(cm.roc_auc(t, score), skm.roc_auc_score(t, score))
    close(cm.roc_auc(t, score, sample_weight=w), skm.roc_auc_score(t, score, sample_weight=w))
    names = np.where(t == 1, "yes", "no")
    close(cm.roc_auc(names, score), skm.roc_auc_score(names, score))


def test_roc_auc_hand_values_and_degenerate():
    assert cm.roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert cm.roc_auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)
    with pytest.warns(UndefinedMetricWarning):
        assert np.isnan(cm.roc_auc([1, 1, 1], [0.1, 0.2, 0.3]))
    with pytest.raises(InvalidInput):
        cm.roc_auc([0, 1, 2], [0.1, 0.2, 0.3])


@pytest.mark.parametrize("seed", SEEDS)
def test_roc_auc_ovr_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    k = 4
    t = rng.integers(0, k, 200)
    logits = rng.normal(size=(200, k)) + np.eye(k)[t] * 1.5
    prob = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    prob = np.round(prob, 2)
    prob /= prob.sum(axis=1, keepdims=True)
    w = rng.random(200) if seed % 2 else None
    for average in ("macro", "weighted", "micro", None):
        close(cm.roc_auc_ovr(t, prob, average=average, sample_weight=w),
              skm.roc_auc_score(t, prob, multi_class="ovr", average=average, sample_weight=w))
    # Labels given explicitly, one of them absent from y_true.
    t2 = np.where(t == 2, 1, t)
    ours = quiet(cm.roc_auc_ovr, t2, prob, labels=[0, 1, 2, 3], average=None)
    ref = quiet(skm.roc_auc_score, t2, prob, multi_class="ovr", labels=[0, 1, 2, 3],
                average=None)
    close(ours, ref)
    assert np.isnan(ours[2])


@pytest.mark.parametrize("seed", SEEDS)
def test_roc_auc_multilabel_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    t, _ = random_multilabel(rng, 80, 5)
    t[2, :] = [1, 0, 1, 0, 1]
    t[3, :] = [0, 1, 0, 1, 0]
    score = np.round(t * 0.4 + rng.random(t.shape), 1)
    w = rng.random(80) if seed % 2 else None
    for average in ("macro", "weighted", "micro", None):
        close(cm.roc_auc_multilabel(t, score, average=average, sample_weight=w),
              skm.roc_auc_score(t, score, average=average, sample_weight=w))
    rows = t.any(axis=1) & ~t.all(axis=1)
    close(cm.roc_auc_multilabel(t[rows], score[rows], average="samples"),
          skm.roc_auc_score(t[rows], score[rows], average="samples"))


@pytest.mark.parametrize("seed", SEEDS)
def test_mean_absolute_error_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    t, p, w = rng.normal(size=50), rng.normal(size=50), rng.random(50)
    close(cm.mean_absolute_error(t, p), skm.mean_absolute_error(t, p))
    close(cm.mean_absolute_error(t, p, sample_weight=w),
          skm.mean_absolute_error(t, p, sample_weight=w))
    t2, p2 = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    for mo in ("uniform_average", "raw_values"):
        close(cm.mean_absolute_error(t2, p2, sample_weight=w, multioutput=mo),
              skm.mean_absolute_error(t2, p2, sample_weight=w, multioutput=mo))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_matches_sklearn(seed, weights):
    rng = np.random.default_rng(seed)
    a, b, w = random_labels(rng, 60, 4, weighted=seed % 2 == 0)
    close(cm.cohen_kappa(a, b, weights=weights, sample_weight=w),
          skm.cohen_kappa_score(a, b, weights=weights, sample_weight=w))
    close(cm.cohen_kappa(a, b, labels=[3, 0, 1], weights=weights),
          skm.cohen_kappa_score(a, b, labels=[3, 0, 1], weights=weights))


def test_cohen_kappa_degenerate():
    with pytest.warns(UndefinedMetricWarning):
        assert np.isnan(cm.cohen_kappa([1, 1, 1], [1, 1, 1]))
    # One rater constant, the other not: defined, and 0 as in scikit-learn.
    assert cm.cohen_kappa([1, 1, 1], [1, 1, 2]) == skm.cohen_kappa_score([1, 1, 1], [1, 1, 2])
    with pytest.warns(UndefinedMetricWarning):
        assert np.isnan(cm.cohen_kappa([1, 2], [1, 2], labels=[5]))
    assert cm.cohen_kappa([0, 1, 2, 0], [0, 1, 2, 0]) == 1.0
