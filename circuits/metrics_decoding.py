"""What features carry about neurons and categories: predictivity, reliability, decoding.

* :func:`predictivity`: Brain-Score-style neural predictivity, partial least squares
  regression from a model's features to each neuron, normalised by the neurons'
  split-half reliability (:func:`split_half_reliability`, :func:`spearman_brown`);
* :func:`decode`: cross-validated logistic regression of categories;
* :func:`category_selectivity`: each neuron's share of response variance explained
  by category (eta squared).

Feature arrays are ``(n_images, ...)`` with the same images as rows, as in
:mod:`circuits.metrics_similarity`; :mod:`circuits.metrics` re-exports every public
name.

References
----------
Schrimpf, M. et al. (2018). Brain-Score: which artificial neural network for object
recognition is most brain-like? bioRxiv 407007.
"""
from dataclasses import dataclass

import numpy as np

from .metrics_similarity import _check_pair, features_2d

__all__ = ["split_half_reliability", "spearman_brown", "predictivity", "Predictivity",
           "decode", "category_selectivity"]


def spearman_brown(r, factor=2.0):
    """Spearman-Brown prediction of reliability when the data grow by ``factor``."""
    r = np.asarray(r, float)
    return factor * r / (1.0 + (factor - 1.0) * r)


def _pearson_columns(a, b):
    """Pearson r between matching columns of ``a`` and ``b`` (0 where one is constant)."""
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    den = np.sqrt((a * a).sum(axis=0) * (b * b).sum(axis=0))
    num = (a * b).sum(axis=0)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def split_half_reliability(trials, n_splits=10, seed=0):
    """Split-half reliability of each neuron, Spearman-Brown corrected.

    The trials are split at random into two halves ``n_splits`` times; the Pearson r
    across images between the two halves' mean responses is averaged over splits and
    corrected to the full number of trials, ``2r / (1 + r)``.

    Parameters
    ----------
    trials : array_like, shape (n_images, n_trials, n_neurons)
        Responses (e.g. spike counts) on each trial, at least 2 trials: the layout of
        ``circuits.pathway.Responses.counts`` and ``Responses.area``.
    n_splits : int, optional
    seed : int, optional

    Returns
    -------
    ndarray, shape (n_neurons,)
    """
    t = np.asarray(trials, float)
    if t.ndim == 2:
        t = t[:, :, None]
    if t.ndim != 3 or t.shape[1] < 2:
        raise ValueError(f"trials of shape {t.shape} must be (n_images, n_trials >= 2, "
                         "n_neurons)")
    rng = np.random.default_rng(seed)
    half = t.shape[1] // 2
    r = np.zeros(t.shape[2])
    for _ in range(n_splits):
        order = rng.permutation(t.shape[1])
        r += _pearson_columns(t[:, order[:half]].mean(1), t[:, order[half:2 * half]].mean(1))
    return spearman_brown(r / n_splits)


@dataclass
class Predictivity:
    """Result of :func:`predictivity`.

    Attributes
    ----------
    score : float
        ``raw / ceiling``, averaged over splits (``raw`` alone when no reliability is
        given).
    raw : float
        Median over neurons of the Pearson r between predicted and held-out responses,
        averaged over splits.
    ceiling : float
        Median over neurons of the split-half reliability (nan when not given).
    r : ndarray, shape (n_neurons,)
        Each neuron's r, averaged over splits.
    per_split : ndarray, shape (n_splits,)
        The normalised score of each split.
    """

    score: float
    raw: float
    ceiling: float
    r: np.ndarray
    per_split: np.ndarray


def _principal_axes(rows):
    """Mean and principal axes of the centred ``rows``: ``(mean, axes)``, ``axes`` of
    shape ``(k, n_columns)`` with orthonormal rows, ``k <= n_rows`` (directions of
    rounding-level variance dropped; at least one kept)."""
    mu = rows.mean(axis=0)
    _, s, vt = np.linalg.svd(rows - mu, full_matrices=False)
    keep = s > s[0] * 1e-10 if s.size and s[0] > 0 else np.zeros(s.size, bool)
    keep[0] = True
    return mu, vt[keep]


def _reduce_to_train_span(x_train, x_test):
    """Express features in the principal axes of the (centred) training rows.

    PLS without scaling is invariant to rotations of the features and its weights lie
    in the span of the centred training rows, so when features outnumber training
    images this gives the same predictions with ``n_train`` columns instead of many.
    """
    mu, axes = _principal_axes(x_train)
    return (x_train - mu) @ axes.T, (x_test - mu) @ axes.T


def predictivity(source, target, labels=None, reliability=None, n_components=25,
                 n_splits=10, test_size=0.1, seed=0):
    """How well a model's features predict each neuron's responses (Brain-Score style).

    For each of ``n_splits`` random 90/10 splits of the images (stratified by
    ``labels``), a partial least squares regression (scikit-learn ``PLSRegression``,
    ``n_components`` components, no scaling) maps ``source`` to ``target`` on the
    training images; each neuron's Pearson r between predicted and actual responses
    on the held-out images is computed, the median over neurons is divided by the
    median split-half reliability (the ceiling), and the result is averaged over
    splits (Schrimpf et al. 2018).

    Parameters
    ----------
    source : array_like, shape (n_images, ...)
        Model features (e.g. a CNN block).
    target : array_like, shape (n_images, n_neurons)
        Mean responses of the neurons to predict.
    labels : array_like of int, shape (n_images,), optional
        Categories to stratify the splits by.
    reliability : array_like, shape (n_neurons,), optional
        Spearman-Brown corrected split-half reliability of each neuron
        (:func:`split_half_reliability`); without it the score is the raw median r.
        Neurons whose responses are constant count with r = 0.
    n_components : int, optional
        At most this many PLS components (fewer when the data cannot support them).
    n_splits : int, optional
    test_size : float, optional
        Fraction of images held out in each split.
    seed : int, optional

    Returns
    -------
    Predictivity
    """
    from sklearn.cross_decomposition import PLSRegression
    from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

    x, y = _check_pair(source, target)
    n = len(x)
    if not np.any(x.std(axis=0) > 0):
        raise ValueError("the source features are constant over images; nothing predicts")
    if labels is None:
        splitter = ShuffleSplit(n_splits=n_splits, test_size=test_size, random_state=seed)
        groups = np.zeros(n)
    else:
        splitter = StratifiedShuffleSplit(n_splits=n_splits, test_size=test_size,
                                          random_state=seed)
        groups = np.asarray(labels)
    if reliability is not None:
        reliability = np.asarray(reliability, float)
        if reliability.shape != (y.shape[1],):
            raise ValueError(f"reliability of shape {reliability.shape} must have one value "
                             f"per neuron ({y.shape[1]})")
        ceiling = float(np.median(reliability))
        if not ceiling > 0:
            raise ValueError(f"the median reliability is {ceiling}; the neurons are not "
                             "reliable enough to normalise by")
    else:
        ceiling = np.nan
    live = y.std(axis=0) > 0
    if not live.any():
        raise ValueError("every target neuron has constant responses; nothing to predict")
    r_sum = np.zeros(y.shape[1])
    raw = []
    for train, test in splitter.split(x, groups):
        xtr, xte = x[train], x[test]
        if xtr.shape[1] > len(train):
            xtr, xte = _reduce_to_train_span(xtr, xte)
        k = max(1, min(n_components, xtr.shape[1], len(train) - 1))
        pls = PLSRegression(n_components=k, scale=False)
        ytr = y[train][:, live]
        if ytr.shape[1] > len(train):
            # unscaled PLS is equivariant to rotations of its targets (its weights depend
            # on X'Y Y'X): fit the neurons' principal coordinates and rotate back, the same
            # predictions with n_train columns for the power method instead of thousands
            y_mean, y_axes = _principal_axes(ytr)
            pls.fit(xtr, (ytr - y_mean) @ y_axes.T)
            pred = pls.predict(xte) @ y_axes + y_mean
        else:
            pred = pls.fit(xtr, ytr).predict(xte)
        r = np.zeros(y.shape[1])
        r[live] = _pearson_columns(pred, y[test][:, live])
        r_sum += r
        raw.append(np.median(r))
    raw = np.array(raw)
    per_split = raw / ceiling if reliability is not None else raw
    return Predictivity(score=float(per_split.mean()), raw=float(raw.mean()),
                        ceiling=ceiling, r=r_sum / len(raw), per_split=per_split)


def decode(features, labels, n_splits=5, seed=0, C=1.0, max_iter=2000):
    """Category decoding: cross-validated logistic regression accuracy.

    Features are standardised (fitted on each training fold) and fed to scikit-learn's
    ``LogisticRegression``; folds are stratified.

    Parameters
    ----------
    features : array_like, shape (n_images, ...)
    labels : array_like of int, shape (n_images,)
    n_splits : int, optional
        Folds of ``StratifiedKFold`` (shuffled with ``seed``).
    seed : int, optional
    C : float, optional
        Inverse L2 regularisation strength.
    max_iter : int, optional

    Returns
    -------
    accuracy : float
        Mean over folds.
    per_fold : ndarray, shape (n_splits,)
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = features_2d(features)
    y = np.asarray(labels)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} images of features for {len(y)} labels")
    model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=max_iter))
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    scores = cross_val_score(model, x, y, cv=folds)
    return float(scores.mean()), scores


def category_selectivity(responses, labels):
    """Each neuron's category selectivity: the share of its response variance over images
    that the image's category explains (eta squared of a one-way ANOVA).

    ``eta^2 = SS_between / SS_total``, in [0, 1]: 1 when a neuron responds identically to
    every image of a category, about ``(k - 1) / (n - 1)`` (``k`` categories, ``n``
    images) when its responses do not depend on the category. It relates to the ANOVA's
    F statistic by ``eta^2 = F (k - 1) / (F (k - 1) + n - k)``.

    Parameters
    ----------
    responses : array_like, shape (n_images, ...)
        Mean responses (any units: eta squared is invariant to a neuron's offset and
        scale).
    labels : array_like of int, shape (n_images,)
        Category of each image; at least two categories.

    Returns
    -------
    ndarray, shape (n_neurons,)
        NaN for neurons whose responses are constant over the images.
    """
    x = features_2d(responses)
    y = np.asarray(labels)
    if y.shape != (len(x),):
        raise ValueError(f"labels of shape {y.shape} must have one entry per image "
                         f"({len(x)} images)")
    cats, idx = np.unique(y, return_inverse=True)
    if cats.size < 2:
        raise ValueError(f"labels hold {cats.size} category; category selectivity needs "
                         "at least two")
    centred = x - x.mean(0)
    total = (centred ** 2).sum(0)
    counts = np.bincount(idx)
    means = (np.eye(cats.size)[idx].T @ centred) / counts[:, None]     # (k, n_neurons)
    between = (counts[:, None] * means ** 2).sum(0)
    return np.where(total > 0, between / np.where(total > 0, total, 1.0), np.nan)
