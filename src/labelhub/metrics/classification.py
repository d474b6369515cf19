"""Classification metrics for image-level labels (tags) and regression fields, numpy only.

Every function gives the same numbers as its scikit-learn namesake (the tests compare them on
random data to 1e-9), with the same conventions:

- Labels are any sortable values (ints, strings). Without ``labels=``, the classes are the sorted
  union of the values seen in ``y_true`` and ``y_pred``. With ``labels=``, results follow that
  order; samples whose values are outside it still count as errors for the listed classes
  (precision/recall), and are left out of the confusion matrix.
- ``zero_division``: what a ratio with a zero denominator becomes. ``"warn"`` (the default, as
  in scikit-learn) gives 0.0 and emits :class:`UndefinedMetricWarning`; ``0.0``, ``1.0`` or
  ``nan`` give that value silently. Averages skip NaN values (scikit-learn's ``_nanaverage``).
  Precision is undefined when nothing was predicted for a class, recall when the class never
  occurs, F when both.
- Undefined ROC-AUC (``y_true`` holds one class only) and Cohen's kappa (no expected
  disagreement, e.g. both raters used one single class) are NaN, with a warning.
- Multi-label targets are 0/1 indicator matrices of shape (n_samples, n_labels).

Agreement between raters on tags (re-exported by :mod:`labelhub.metrics.agreement`):
:func:`pairwise_cohen_kappa`, :func:`fleiss_kappa` (equal to statsmodels'), and
:func:`krippendorff_alpha` (nominal, equal to the krippendorff package's). Their ratings are
(items x raters) tables, missing ratings NaN or equal to ``missing``. Where those oracles raise
or divide by zero (one category only, fewer than two ratings per item, no overlap), these return
NaN and emit :class:`UndefinedMetricWarning` saying why.

Bad arguments raise :class:`labelhub.errors.InvalidInput`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from labelhub.errors import InvalidInput

__all__ = [
    "UndefinedMetricWarning",
    "accuracy",
    "cohen_kappa",
    "confusion_matrix",
    "fleiss_kappa",
    "krippendorff_alpha",
    "pairwise_cohen_kappa",
    "rating_counts",
    "hamming_loss",
    "mean_absolute_error",
    "multilabel_confusion_matrix",
    "precision_recall_fscore",
    "roc_auc",
    "roc_auc_multilabel",
    "roc_auc_ovr",
]

ZeroDivision = str | float


class UndefinedMetricWarning(UserWarning):
    """A metric had no defined value for the data given; the documented fallback was used."""


def _warn(message: str) -> None:
    warnings.warn(message, UndefinedMetricWarning, stacklevel=3)


def _weights(sample_weight: Any, n: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64).ravel()
    if w.shape[0] != n:
        raise InvalidInput(f"sample_weight has {w.shape[0]} values for {n} samples.")
    return w


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if t.shape != p.shape:
        raise InvalidInput(f"y_true has shape {t.shape} but y_pred has shape {p.shape}.")
    if t.ndim not in (1, 2):
        raise InvalidInput("Targets must be 1-D labels or a 2-D multi-label indicator matrix.")
    return t, p


def _encode(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Index of each value in ``labels`` (any order, unique), or -1 where absent."""
    if labels.size == 0:
        return np.full(values.shape, -1, dtype=np.int64)
    order = np.argsort(labels, kind="stable")
    ranked = labels[order]
    pos = np.clip(np.searchsorted(ranked, values), 0, labels.size - 1)
    found = ranked[pos] == values
    return np.where(found, order[pos], -1).astype(np.int64)


def _labels(t: np.ndarray, p: np.ndarray, labels: Sequence[Any] | None) -> np.ndarray:
    if labels is not None:
        lab = np.asarray(labels)
        if lab.ndim != 1 or np.unique(lab).size != lab.size:
            raise InvalidInput("labels must be a list of distinct values.")
        return lab
    return np.union1d(t.ravel(), p.ravel())


def _zero_value(zero_division: ZeroDivision) -> float:
    if isinstance(zero_division, str):
        if zero_division != "warn":
            raise InvalidInput('zero_division must be "warn", 0.0, 1.0 or nan.')
        return 0.0
    value = float(zero_division)
    if not (value in (0.0, 1.0) or np.isnan(value)):
        raise InvalidInput('zero_division must be "warn", 0.0, 1.0 or nan.')
    return value


def _divide(num: np.ndarray, den: np.ndarray, zero_division: ZeroDivision, what: str) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    zero = den == 0
    out = num / np.where(zero, 1.0, den)
    if zero.any():
        out[zero] = _zero_value(zero_division)
        if zero_division == "warn":
            _warn(f"{what} is undefined for some labels or samples and was set to 0.0.")
    return out


def _nanaverage(values: np.ndarray, weights: np.ndarray | None) -> float:
    if values.size == 0:
        return float("nan")
    keep = ~np.isnan(values)
    if not keep.any():
        return float("nan")
    if weights is None:
        return float(values[keep].mean())
    w = np.asarray(weights, dtype=np.float64)[keep]
    if w.sum() == 0:
        return float(values[keep].mean())
    return float(np.average(values[keep], weights=w))


def accuracy(
    y_true: Any, y_pred: Any, *, normalize: bool = True, sample_weight: Any = None
) -> float:
    """Fraction (or, with ``normalize=False``, weighted count) of correct samples.

    For multi-label indicator matrices a sample is correct when all its labels are (subset
    accuracy), as in ``sklearn.metrics.accuracy_score``.
    """
    t, p = _pair(y_true, y_pred)
    correct = (t == p) if t.ndim == 1 else (t == p).all(axis=1)
    w = _weights(sample_weight, t.shape[0])
    if not normalize:
        return float(correct.sum() if w is None else np.dot(correct, w))
    if correct.size == 0:
        return float("nan")
    return float(np.average(correct, weights=w))


def confusion_matrix(
    y_true: Any,
    y_pred: Any,
    *,
    labels: Sequence[Any] | None = None,
    sample_weight: Any = None,
    normalize: str | None = None,
) -> np.ndarray:
    """Counts ``C[i, j]`` of samples of true class ``labels[i]`` predicted as ``labels[j]``.

    ``normalize``: None (counts; int64 without weights), ``"true"`` (rows sum to 1),
    ``"pred"`` (columns sum to 1) or ``"all"``; empty rows or columns become 0.
    """
    t, p = _pair(y_true, y_pred)
    if t.ndim != 1:
        raise InvalidInput("confusion_matrix takes 1-D labels; use multilabel_confusion_matrix.")
    lab = _labels(t, p, labels)
    n = lab.size
    ti, pi = _encode(t, lab), _encode(p, lab)
    keep = (ti >= 0) & (pi >= 0)
    w = _weights(sample_weight, t.shape[0])
    flat = ti[keep] * n + pi[keep]
    if w is None:
        cm = np.bincount(flat, minlength=n * n).reshape(n, n).astype(np.int64)
    else:
        cm = np.bincount(flat, weights=w[keep], minlength=n * n).reshape(n, n)
    if normalize is None:
        return cm
    with np.errstate(all="ignore"):
        if normalize == "true":
            cm = cm / cm.sum(axis=1, keepdims=True)
        elif normalize == "pred":
            cm = cm / cm.sum(axis=0, keepdims=True)
        elif normalize == "all":
            cm = cm / cm.sum()
        else:
            raise InvalidInput('normalize must be None, "true", "pred" or "all".')
    return np.nan_to_num(cm)


def multilabel_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    *,
    labels: Sequence[Any] | None = None,
    sample_weight: Any = None,
    samplewise: bool = False,
) -> np.ndarray:
    """One 2x2 matrix ``[[tn, fp], [fn, tp]]`` per class (or per sample with ``samplewise``).

    Works for 1-D labels (one class against the rest) and for indicator matrices, where
    ``labels`` are column indices.
    """
    tp, pred, true, total = _counts(y_true, y_pred, labels, sample_weight, samplewise)
    fp, fn = pred - tp, true - tp
    tn = total - tp - fp - fn
    return np.stack([tn, fp, fn, tp], axis=1).reshape(-1, 2, 2)


def _counts(
    y_true: Any, y_pred: Any, labels: Any, sample_weight: Any, samplewise: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """Per class (or per sample): true positives, predicted, actual, and the total weight."""
    t, p = _pair(y_true, y_pred)
    w = _weights(sample_weight, t.shape[0])
    if t.ndim == 1:
        if samplewise:
            raise InvalidInput("Per-sample averaging needs multi-label indicator matrices.")
        lab = _labels(t, p, labels)
        ti, pi = _encode(t, lab), _encode(p, lab)
        n = lab.size
        ones = np.ones(t.shape[0]) if w is None else w
        tp = np.bincount(ti[(ti == pi) & (ti >= 0)], weights=ones[(ti == pi) & (ti >= 0)],
                         minlength=n)
        pred = np.bincount(pi[pi >= 0], weights=ones[pi >= 0], minlength=n)
        true = np.bincount(ti[ti >= 0], weights=ones[ti >= 0], minlength=n)
        total = ones.sum()
    else:
        t = t.astype(bool)
        p = p.astype(bool)
        if labels is not None:
            cols = np.asarray(labels, dtype=np.int64)
            if cols.size and (cols.min() < 0 or cols.max() >= t.shape[1]):
                raise InvalidInput(f"Multi-label labels must be column indices < {t.shape[1]}.")
            t, p = t[:, cols], p[:, cols]
        if samplewise:
            tp, pred, true = (t & p).sum(1), p.sum(1), t.sum(1)
            total = t.shape[1]
            if w is not None:
                tp, pred, true, total = tp * w, pred * w, true * w, total * w
        else:
            ww = np.ones(t.shape[0]) if w is None else w
            tp, pred, true = ww @ (t & p), ww @ p, ww @ t
            total = ww.sum()
    if w is None:
        tp, pred, true = tp.astype(np.int64), pred.astype(np.int64), true.astype(np.int64)
        total = int(total)
    return tp, pred, true, total


def precision_recall_fscore(
    y_true: Any,
    y_pred: Any,
    *,
    labels: Sequence[Any] | None = None,
    average: str | None = None,
    pos_label: Any = 1,
    beta: float = 1.0,
    sample_weight: Any = None,
    zero_division: ZeroDivision = "warn",
) -> tuple[Any, Any, Any, Any]:
    """Precision, recall, F-beta and support, as ``precision_recall_fscore_support``.

    ``average``: None (arrays per class, in ``labels`` order), ``"binary"`` (the ``pos_label``
    class of a two-class problem), ``"micro"`` (pooled counts), ``"macro"`` (unweighted mean of
    classes), ``"weighted"`` (mean weighted by support), ``"samples"`` (multi-label: mean over
    samples). Averaged results are floats and support is None.
    """
    if average not in (None, "binary", "micro", "macro", "weighted", "samples"):
        raise InvalidInput(f"Unknown average {average!r}.")
    _zero_value(zero_division)
    t, p = _pair(y_true, y_pred)
    if average == "binary":
        if t.ndim != 1:
            raise InvalidInput('average="binary" needs 1-D labels.')
        present = np.union1d(t, p)
        if present.size > 2:
            raise InvalidInput(
                f'average="binary" needs two classes but the data has {present.size}; '
                'choose "micro", "macro" or "weighted".'
            )
        if present.size == 2 and pos_label not in present.tolist():
            raise InvalidInput(f"pos_label={pos_label!r} is not one of {present.tolist()}.")
        labels = [pos_label]
    samplewise = average == "samples"
    tp, pred, true, _ = _counts(t, p, labels, sample_weight, samplewise)
    if average == "micro":
        tp, pred, true = np.atleast_1d(tp.sum()), np.atleast_1d(pred.sum()), np.atleast_1d(true.sum())
    precision = _divide(tp, pred, zero_division, "Precision")
    recall = _divide(tp, true, zero_division, "Recall")
    if np.isposinf(beta):
        fscore = recall
    elif beta == 0:
        fscore = precision
    else:
        b2 = beta * beta
        fscore = _divide((1 + b2) * tp, b2 * np.asarray(true, np.float64) + pred,
                         zero_division, "F-score")
    if average is None:
        return precision, recall, fscore, true
    weights = None
    if average == "weighted":
        weights = true
    elif average == "samples":
        weights = _weights(sample_weight, t.shape[0])
    return (_nanaverage(precision, weights), _nanaverage(recall, weights),
            _nanaverage(fscore, weights), None)


def hamming_loss(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """Fraction of wrong labels (multi-label) or of wrong samples (1-D labels)."""
    t, p = _pair(y_true, y_pred)
    wrong = (t != p).astype(np.float64)
    if t.ndim == 2:
        wrong = wrong.mean(axis=1)
    return float(np.average(wrong, weights=_weights(sample_weight, t.shape[0])))


def mean_absolute_error(
    y_true: Any, y_pred: Any, *, sample_weight: Any = None, multioutput: str = "uniform_average"
) -> Any:
    """Mean absolute error of a regression field; 2-D inputs are several outputs.

    ``multioutput``: ``"uniform_average"`` (float) or ``"raw_values"`` (one value per output).
    """
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    if t.shape != p.shape or t.ndim not in (1, 2):
        raise InvalidInput(f"y_true {t.shape} and y_pred {p.shape} must have the same 1-D or 2-D shape.")
    err = np.abs(p - t).reshape(t.shape[0], -1)
    per_output = np.average(err, axis=0, weights=_weights(sample_weight, t.shape[0]))
    if multioutput == "raw_values":
        return per_output
    if multioutput != "uniform_average":
        raise InvalidInput('multioutput must be "uniform_average" or "raw_values".')
    return float(per_output.mean())


def cohen_kappa(
    y1: Any,
    y2: Any,
    *,
    labels: Sequence[Any] | None = None,
    weights: str | None = None,
    sample_weight: Any = None,
) -> float:
    """Cohen's kappa between two raters, as ``sklearn.metrics.cohen_kappa_score``.

    ``weights``: None, ``"linear"`` or ``"quadratic"`` (disagreement weighted by the distance
    between class positions in ``labels`` order). NaN with :class:`UndefinedMetricWarning` when
    kappa is undefined: no sample has both values in ``labels``, or the expected disagreement is
    zero (both raters used one and the same single class throughout).
    """
    cm = confusion_matrix(y1, y2, labels=labels, sample_weight=sample_weight).astype(np.float64)
    n = cm.shape[0]
    total = cm.sum()
    if total == 0:
        _warn("Cohen's kappa is undefined: no sample has labels from both raters; nan returned.")
        return float("nan")
    expected = np.outer(cm.sum(axis=1), cm.sum(axis=0)) / total
    if weights is None:
        w = 1.0 - np.eye(n)
    elif weights in ("linear", "quadratic"):
        d = np.abs(np.arange(n)[:, None] - np.arange(n)[None, :]).astype(np.float64)
        w = d if weights == "linear" else d * d
    else:
        raise InvalidInput('weights must be None, "linear" or "quadratic".')
    den = float((w * expected).sum())
    if den == 0:
        _warn("Cohen's kappa is undefined: both raters used a single class; nan returned.")
        return float("nan")
    return float(1.0 - (w * cm).sum() / den)


def _binary_auc(positive: np.ndarray, score: np.ndarray, w: np.ndarray | None) -> float:
    """Area under the ROC curve (trapezoids; tied scores form one step, counted half)."""
    if positive.all() or not positive.any():
        _warn("ROC AUC is undefined when y_true holds one class only; nan returned.")
        return float("nan")
    order = np.argsort(score, kind="mergesort")[::-1]
    s = score[order]
    pos = positive[order].astype(np.float64)
    ww = np.ones(s.size) if w is None else w[order]
    ends = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    tps = np.cumsum(pos * ww)[ends]
    fps = np.cumsum((1.0 - pos) * ww)[ends]
    tpr = np.r_[0.0, tps / tps[-1]]
    fpr = np.r_[0.0, fps / fps[-1]]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))


def roc_auc(y_true: Any, y_score: Any, *, sample_weight: Any = None) -> float:
    """Binary ROC-AUC; ``y_score`` scores the greater of the two labels (as scikit-learn).

    NaN with :class:`UndefinedMetricWarning` when ``y_true`` holds one class only.
    """
    t = np.asarray(y_true).ravel()
    s = np.asarray(y_score, dtype=np.float64).ravel()
    if t.shape != s.shape:
        raise InvalidInput(f"y_true has {t.size} values but y_score has {s.size}.")
    classes = np.unique(t)
    if classes.size > 2:
        raise InvalidInput(f"roc_auc is binary but y_true has {classes.size} classes; use roc_auc_ovr.")
    positive = t == classes[-1] if classes.size == 2 else np.zeros(t.size, dtype=bool)
    return _binary_auc(positive, s, _weights(sample_weight, t.size))


def _average_auc(
    truth: np.ndarray, score: np.ndarray, average: str | None, w: np.ndarray | None
) -> Any:
    """Column-wise AUC of indicator ``truth`` against ``score``, averaged like scikit-learn."""
    if average == "micro":
        return _binary_auc(truth.ravel(), score.ravel(),
                           None if w is None else np.repeat(w, truth.shape[1]))
    if average == "samples":
        per = np.array([_binary_auc(truth[i], score[i], None) for i in range(truth.shape[0])])
        return float(np.average(per, weights=w))
    per = np.array([_binary_auc(truth[:, c], score[:, c], w) for c in range(truth.shape[1])])
    if average is None:
        return per
    if average == "macro":
        return float(per.mean())
    if average != "weighted":
        raise InvalidInput(f"Unknown average {average!r}.")
    support = truth.sum(axis=0) if w is None else w @ truth
    if np.isclose(support.sum(), 0):
        return 0.0
    per[support == 0] = 0.0
    return float(np.average(per, weights=support))


def roc_auc_ovr(
    y_true: Any,
    y_score: Any,
    *,
    labels: Sequence[Any] | None = None,
    average: str | None = "macro",
    sample_weight: Any = None,
) -> Any:
    """One-vs-rest multi-class ROC-AUC; column k of ``y_score`` scores class ``labels[k]``.

    ``labels`` default to the sorted classes of ``y_true``. ``average``: ``"macro"``,
    ``"weighted"`` (by class prevalence), ``"micro"`` or None (one value per class). A class
    absent from ``y_true`` has an undefined AUC (NaN, which makes the macro mean NaN).
    Unlike scikit-learn, the scores need not sum to 1 per sample; when they do, results agree.
    """
    t = np.asarray(y_true).ravel()
    s = np.asarray(y_score, dtype=np.float64)
    lab = np.unique(t) if labels is None else np.asarray(labels)
    if s.ndim != 2 or s.shape != (t.size, lab.size):
        raise InvalidInput(f"y_score must have shape ({t.size}, {lab.size}), not {s.shape}.")
    code = _encode(t, lab)
    if (code < 0).any():
        raise InvalidInput("y_true contains classes that are not in labels.")
    truth = code[:, None] == np.arange(lab.size)[None, :]
    return _average_auc(truth, s, average, _weights(sample_weight, t.size))


def roc_auc_multilabel(
    y_true: Any, y_score: Any, *, average: str | None = "macro", sample_weight: Any = None
) -> Any:
    """ROC-AUC for an indicator matrix: ``"macro"``, ``"micro"``, ``"weighted"``,
    ``"samples"`` or None (per label)."""
    t = np.asarray(y_true).astype(bool)
    s = np.asarray(y_score, dtype=np.float64)
    if t.ndim != 2 or s.shape != t.shape:
        raise InvalidInput(f"y_true {t.shape} and y_score {s.shape} must be equal 2-D shapes.")
    return _average_auc(t, s, average, _weights(sample_weight, t.shape[0]))


# ------------------------------------------------------------------ agreement on tags

def _ratings(ratings: Any, missing: Any) -> tuple[np.ndarray, np.ndarray]:
    r = np.asarray(ratings)
    if r.ndim != 2:
        raise InvalidInput(f"Ratings must be an (items, raters) table, not of shape {r.shape}.")
    present = ~np.isnan(r) if r.dtype.kind == "f" else np.ones(r.shape, dtype=bool)
    if missing is not None:
        present &= r != missing
    return r, present


def pairwise_cohen_kappa(ratings: Any, *, missing: Any = None) -> np.ndarray:
    """(K, K) Cohen's kappa of every pair of raters over the items both rated (NaN diagonal)."""
    r, present = _ratings(ratings, missing)
    k = r.shape[1]
    out = np.full((k, k), np.nan)
    for i in range(k):
        for j in range(i + 1, k):
            both = present[:, i] & present[:, j]
            if not both.any():
                _warn(f"Raters {i} and {j} rated no item in common; their kappa is nan.")
                continue
            out[i, j] = out[j, i] = cohen_kappa(r[both, i], r[both, j])
    return out


def rating_counts(
    ratings: Any, *, categories: Sequence[Any] | None = None, missing: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """(items, categories) table of how many raters gave each category, and the categories."""
    r, present = _ratings(ratings, missing)
    cats = np.unique(r[present]) if categories is None else np.asarray(categories)
    counts = np.stack([((r == c) & present).sum(axis=1) for c in cats], axis=1) if cats.size \
        else np.zeros((r.shape[0], 0), dtype=np.int64)
    return counts.astype(np.int64), cats


def fleiss_kappa(counts: Any) -> float:
    """Fleiss' kappa from an (items, categories) count table with equal raters per item.

    Equal to ``statsmodels.stats.inter_rater.fleiss_kappa(counts, method="fleiss")``. NaN with
    a warning when fewer than two raters per item, or when every rating is one category.
    """
    t = np.asarray(counts, dtype=np.float64)
    if t.ndim != 2 or t.shape[0] == 0:
        raise InvalidInput("Fleiss' kappa needs an (items, categories) table with items.")
    per_item = t.sum(axis=1)
    n = per_item.max()
    if not np.all(per_item == n):
        raise InvalidInput("Fleiss' kappa needs the same number of ratings on every item.")
    p_cat = t.sum(axis=0) / t.sum()
    expected = float((p_cat * p_cat).sum())
    if n < 2:
        _warn("Fleiss' kappa is undefined with fewer than two raters per item; nan returned.")
        return float("nan")
    if expected == 1.0:
        _warn("Fleiss' kappa is undefined when every rating is the same category; nan returned.")
        return float("nan")
    observed = float(((t * t).sum(axis=1) - n).mean() / (n * (n - 1.0)))
    return (observed - expected) / (1.0 - expected)


def krippendorff_alpha(ratings: Any, *, missing: Any = None) -> float:
    """Krippendorff's alpha, nominal, from (items, raters) ratings with missing values.

    Equal to ``krippendorff.alpha(ratings.T, level_of_measurement="nominal")``. Items with
    fewer than two ratings do not count. NaN with a warning when fewer than two categories
    occur, no item has two ratings, or the rated items show one category only.
    """
    counts, cats = rating_counts(ratings, missing=missing)
    if cats.size < 2:
        _warn("Krippendorff's alpha is undefined with fewer than two categories; nan returned.")
        return float("nan")
    m = counts.sum(axis=1)
    counts = counts[m >= 2].astype(np.float64)
    if counts.shape[0] == 0:
        _warn("Krippendorff's alpha is undefined: no item has two ratings; nan returned.")
        return float("nan")
    scale = 1.0 / (counts.sum(axis=1) - 1.0)
    coincide = (counts * scale[:, None]).T @ counts - np.diag((counts * scale[:, None]).sum(0))
    n_c = coincide.sum(axis=0)
    expected = (np.outer(n_c, n_c) - np.diag(n_c)) / (n_c.sum() - 1.0)
    off = 1.0 - np.eye(cats.size)
    den = float((expected * off).sum())
    if den == 0:
        _warn("Krippendorff's alpha is undefined: the items rated twice show one category; "
              "nan returned.")
        return float("nan")
    return 1.0 - float((coincide * off).sum()) / den
