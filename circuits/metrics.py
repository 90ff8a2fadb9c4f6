"""Comparing representations: CKA, RSA, predictivity, decoding, and their statistics.

Every function takes feature arrays of shape ``(n_images, n_units)`` whose rows
are the same images in the same order (an array of shape ``(n_images, ...)`` is
flattened to that). Nothing here knows where the features come from: a circuit
area's spike counts, a CNN block, HMAX or pixels.

Similarity of two representations (``docs``: the visual-pathway plan, section 4):

* :func:`cka`: debiased linear centred kernel alignment (Kornblith et al. 2019) built
  on the unbiased HSIC estimator of Song et al. (2012); :func:`cka_matrix` for every
  pair of two sets of representations;
* :func:`rdm`, :func:`rsa`: representational dissimilarity matrices ``1 - Pearson r``
  compared by Spearman correlation (Kriegeskorte et al. 2008);
* :func:`predictivity`: Brain-Score-style neural predictivity, partial least squares
  regression from a model's features to each neuron, normalised by the neurons'
  split-half reliability (:func:`split_half_reliability`).

Statistics: :func:`bootstrap` (confidence intervals over images, by half-sampling)
and :func:`resampling_p` (its one-sided p-value for a difference),
:func:`permutation_test` and :func:`cka_permutation_test` (nulls from shuffled image
correspondence), :func:`best_block` (choose each area's best model block on one
half of the images, score it on the other), :func:`hierarchy_score` (Spearman
correlation between area index and best-block index), :func:`decode` (cross-validated
logistic regression of categories), :func:`category_selectivity` (each neuron's share of
response variance explained by category, eta squared).

References
----------
Song, L., Smola, A., Gretton, A., Bedo, J. & Borgwardt, K. (2012). Feature selection via
dependence maximization. JMLR 13, 1393-1434.
Kornblith, S., Norouzi, M., Lee, H. & Hinton, G. (2019). Similarity of neural network
representations revisited. ICML.
Kriegeskorte, N., Mur, M. & Bandettini, P. (2008). Representational similarity analysis.
Front. Syst. Neurosci. 2, 4.
Schrimpf, M. et al. (2018). Brain-Score: which artificial neural network for object
recognition is most brain-like? bioRxiv 407007.
"""
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["features_2d", "unbiased_centered_gram", "hsic_unbiased", "cka", "cka_matrix",
           "rdm", "rsa", "split_half_reliability", "spearman_brown", "predictivity",
           "Predictivity", "bootstrap", "resampling_p", "permutation_test", "cka_permutation_test",
           "best_block", "BestBlock", "hierarchy_score", "decode", "category_selectivity"]


def features_2d(x, dtype=np.float64):
    """Features as a 2-D float array ``(n_images, n_units)``; trailing axes are flattened."""
    x = np.asarray(x, dtype=dtype)
    if x.ndim == 1:
        raise ValueError(f"features of shape {x.shape} must have at least 2 dimensions "
                         "(n_images, n_units)")
    return x.reshape(len(x), -1)


def _check_pair(x, y):
    x, y = features_2d(x), features_2d(y)
    if len(x) != len(y):
        raise ValueError(f"the two representations have {len(x)} and {len(y)} images; "
                         "their rows must be the same images")
    return x, y


# ---------------------------------------------------------------------------- CKA
def unbiased_centered_gram(x):
    """The linear Gram matrix of ``x``, centred so that its inner products are unbiased HSIC.

    With ``K = x x^T`` (diagonal set to zero), the returned ``Kc`` satisfies
    ``sum(Kc * Lc) / (n (n - 3)) = HSIC_1(K, L)``, the unbiased estimator of
    Song et al. (2012, eq. 5):

    .. math::

        \\mathrm{HSIC}_1 = \\frac{1}{n(n-3)} \\Big[ \\mathrm{tr}(\\tilde K \\tilde L)
        + \\frac{\\mathbf 1^T \\tilde K \\mathbf 1 \\, \\mathbf 1^T \\tilde L \\mathbf 1}
        {(n-1)(n-2)} - \\frac{2}{n-2} \\mathbf 1^T \\tilde K \\tilde L \\mathbf 1 \\Big]

    (the centring of Kornblith et al. 2019, their code's ``center_gram(unbiased=True)``).
    Needs at least 4 images.
    """
    x = features_2d(x)
    n = len(x)
    if n < 4:
        raise ValueError(f"the unbiased HSIC needs at least 4 images; got {n}")
    x = x - x.mean(axis=0)               # HSIC_1 is unchanged; the sums stay small
    k = x @ x.T
    np.fill_diagonal(k, 0.0)
    means = k.sum(axis=0) / (n - 2)
    means -= means.sum() / (2 * (n - 1))
    k -= means[:, None]
    k -= means[None, :]
    np.fill_diagonal(k, 0.0)
    return k


def hsic_unbiased(x, y):
    """Unbiased HSIC (Song et al. 2012) of two representations with linear kernels."""
    x, y = _check_pair(x, y)
    n = len(x)
    return float(np.sum(unbiased_centered_gram(x) * unbiased_centered_gram(y))
                 / (n * (n - 3)))


def _cka_from_grams(kc, lc):
    num = np.sum(kc * lc)
    den = np.sqrt(np.sum(kc * kc) * np.sum(lc * lc))
    return float(num / den) if den > 0 else 0.0


def cka(x, y):
    """Debiased linear CKA between two representations of the same images.

    ``HSIC_1(K, L) / sqrt(HSIC_1(K, K) HSIC_1(L, L))`` with linear kernels and the
    unbiased estimator (:func:`unbiased_centered_gram`). It is 1 for identical
    representations, invariant to orthogonal transforms and isotropic scaling of
    either one, and near 0 (not biased upwards, unlike the plain estimator when
    units outnumber images) for independent ones; it can be slightly negative.

    Parameters
    ----------
    x, y : array_like, shape (n_images, ...)
        Rows are the same images; the numbers of units may differ.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from circuits import metrics
    >>> x = np.random.default_rng(0).normal(size=(50, 20))
    >>> round(metrics.cka(x, 3 * x), 6)
    1.0
    """
    x, y = _check_pair(x, y)
    return _cka_from_grams(unbiased_centered_gram(x), unbiased_centered_gram(y))


def cka_matrix(xs, ys):
    """Debiased CKA between every representation of ``xs`` and every one of ``ys``.

    Parameters
    ----------
    xs, ys : dict of array_like or sequence of array_like
        E.g. circuit areas ``{"V1": ..., "IT": ...}`` and CNN blocks; every array has
        the same images as rows.

    Returns
    -------
    ndarray, shape (len(xs), len(ys))
        In the order of ``xs`` and ``ys`` (a dict's insertion order).
    """
    xs = list(xs.values()) if isinstance(xs, dict) else list(xs)
    ys = list(ys.values()) if isinstance(ys, dict) else list(ys)
    kx = [unbiased_centered_gram(x) for x in xs]
    ky = [unbiased_centered_gram(y) for y in ys]
    if len({len(k) for k in kx + ky}) > 1:
        raise ValueError("all representations must have the same number of images")
    return np.array([[_cka_from_grams(a, b) for b in ky] for a in kx])


# ---------------------------------------------------------------------------- RSA
def rdm(x):
    """Representational dissimilarity matrix: ``1 - Pearson r`` between images' patterns.

    Returns
    -------
    ndarray, shape (n_images, n_images)
        Zero diagonal; an image whose pattern is constant has dissimilarity 1 to all.
    """
    x = features_2d(x)
    x = x - x.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(x, axis=1)
    z = np.divide(x, norm[:, None], out=np.zeros_like(x), where=norm[:, None] > 0)
    d = 1.0 - z @ z.T
    np.fill_diagonal(d, 0.0)
    return d


def rsa(x, y):
    """Spearman correlation between the upper triangles of the RDMs of ``x`` and ``y``."""
    x, y = _check_pair(x, y)
    iu = np.triu_indices(len(x), k=1)
    return float(stats.spearmanr(rdm(x)[iu], rdm(y)[iu])[0])


# ------------------------------------------------------------------ predictivity
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


# ------------------------------------------------------------------- statistics
def bootstrap(statistic, *arrays, n_boot=1000, ci=0.95, seed=0, method="half"):
    """Confidence interval of a statistic by resampling images.

    ``statistic(*resampled_arrays)`` is recomputed on ``n_boot`` resamples of the
    images (rows, shared by every array) and the interval is the percentile one.

    Two resampling schemes:

    * ``"half"`` (default): random halves of the images, drawn without replacement
      (half-sampling, the delete-n/2 jackknife). The spread of a statistic over
      half-samples around its full-sample value equals, to first order, its sampling
      spread at the full size (``var(t_m - t_n) = s^2 (1/m - 1/n) = s^2 / n`` for
      ``m = n/2``), and no image is repeated.
    * ``"replace"``: the ordinary bootstrap (with replacement). A resample repeats
      about a third of the images, which U-statistics such as the debiased CKA count
      as distinct pairs: their bootstrap values are biased (upwards for CKA, by more
      than the interval's width in tests with a few hundred units; see
      ``tests/circuits/test_metrics.py``). Use it for plain means.

    Parameters
    ----------
    statistic : callable
        ``statistic(*arrays) -> float``.
    *arrays : array_like, shape (n_images, ...)
    n_boot : int, optional
    ci : float, optional
        Coverage of the interval.
    seed : int, optional
    method : {'half', 'replace'}, optional

    Returns
    -------
    estimate : float
        ``statistic`` on all images.
    low, high : float
        The interval.
    samples : ndarray, shape (n_boot,)

    Examples
    --------
    >>> import numpy as np
    >>> from circuits import metrics
    >>> x = np.random.default_rng(0).normal(size=(40, 10))
    >>> est, lo, hi, _ = metrics.bootstrap(metrics.cka, x, x + 0.5 * x[:, ::-1], n_boot=50)
    >>> bool(lo <= est <= hi)
    True
    """
    if method not in ("half", "replace"):
        raise ValueError(f"method={method!r} must be 'half' or 'replace'")
    arrays = [np.asarray(a) for a in arrays]
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError("every array must have the same number of images (rows)")
    rng = np.random.default_rng(seed)
    samples = np.empty(n_boot)
    for b in range(n_boot):
        idx = rng.permutation(n)[:n // 2] if method == "half" else rng.integers(0, n, n)
        samples[b] = statistic(*(a[idx] for a in arrays))
    alpha = (1.0 - ci) / 2.0
    low, high = np.quantile(samples, [alpha, 1.0 - alpha])
    return float(statistic(*arrays)), float(low), float(high), samples


def resampling_p(estimate, samples):
    """One-sided p-value of ``statistic <= 0`` from :func:`bootstrap`'s samples.

    The resampling distribution, shifted to be centred on 0, stands for the sampling
    distribution under the null: ``p = (1 + #{samples - estimate >= estimate}) /
    (1 + n)``. Use it for differences such as circuit minus HMAX or a similarity minus
    that of pixels.
    """
    samples = np.asarray(samples, float)
    return float((1 + np.sum(samples - estimate >= estimate)) / (1 + samples.size))


def permutation_test(statistic, x, y, n_perm=1000, seed=0):
    """Permutation null of a similarity: the rows of ``y`` shuffled relative to ``x``.

    Returns
    -------
    observed : float
    p : float
        One-sided, ``(1 + #{null >= observed}) / (1 + n_perm)``.
    null : ndarray, shape (n_perm,)
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x and y have {len(x)} and {len(y)} images")
    rng = np.random.default_rng(seed)
    observed = float(statistic(x, y))
    null = np.array([statistic(x, y[rng.permutation(len(y))]) for _ in range(n_perm)])
    return observed, float((1 + np.sum(null >= observed)) / (1 + n_perm)), null


def cka_permutation_test(x, y, n_perm=1000, seed=0):
    """:func:`permutation_test` of :func:`cka`, fast: the centred Gram matrices are
    computed once and permuted (the centring commutes with permutations)."""
    x, y = _check_pair(x, y)
    kc, lc = unbiased_centered_gram(x), unbiased_centered_gram(y)
    den = np.sqrt(np.sum(kc * kc) * np.sum(lc * lc))
    if not den > 0:
        return 0.0, 1.0, np.zeros(n_perm)
    rng = np.random.default_rng(seed)
    observed = float(np.sum(kc * lc) / den)
    null = np.empty(n_perm)
    for i in range(n_perm):
        p = rng.permutation(len(x))
        null[i] = np.sum(kc * lc[np.ix_(p, p)]) / den
    return observed, float((1 + np.sum(null >= observed)) / (1 + n_perm)), null


@dataclass
class BestBlock:
    """Result of :func:`best_block`.

    Attributes
    ----------
    areas, blocks : list of str
    index : ndarray of int, shape (n_areas,)
        Each area's best block, chosen on the selection half.
    names : list of str
        Their names.
    score : ndarray, shape (n_areas,)
        Each area's similarity to its best block on the held-out half.
    selection : ndarray, shape (n_areas, n_blocks)
        All similarities on the selection half.
    held_out : ndarray, shape (n_areas, n_blocks)
        All similarities on the held-out half.
    select_images, score_images : ndarray of int
        The images of the two halves.
    """

    areas: list
    blocks: list
    index: np.ndarray
    names: list
    score: np.ndarray
    selection: np.ndarray
    held_out: np.ndarray
    select_images: np.ndarray
    score_images: np.ndarray


def _halves(n, labels, seed):
    """Two halves of ``range(n)``, stratified by ``labels`` when given."""
    rng = np.random.default_rng(seed)
    labels = np.zeros(n, int) if labels is None else np.asarray(labels)
    first = []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        first.append(idx[:len(idx) // 2])
    first = np.sort(np.concatenate(first))
    return first, np.setdiff1d(np.arange(n), first)


def best_block(areas, blocks, similarity=None, labels=None, seed=0):
    """Choose each area's best-matching block on half the images; score on the other half.

    Parameters
    ----------
    areas, blocks : dict of str -> array_like, shape (n_images, ...)
        E.g. circuit areas and CNN blocks, in hierarchical order.
    similarity : callable, optional
        ``similarity(x, y) -> float``, larger is more similar; default debiased CKA
        (computed through :func:`cka_matrix`, each Gram matrix once).
    labels : array_like, optional
        Categories: the halves are stratified by them.
    seed : int, optional

    Returns
    -------
    BestBlock
    """
    names_a, names_b = list(areas), list(blocks)
    n = len(next(iter(areas.values())))
    first, second = _halves(n, labels, seed)

    def matrix(idx):
        xs = [np.asarray(areas[a])[idx] for a in names_a]
        ys = [np.asarray(blocks[b])[idx] for b in names_b]
        if similarity is None:
            return cka_matrix(xs, ys)
        return np.array([[similarity(x, y) for y in ys] for x in xs])

    sel, held = matrix(first), matrix(second)
    index = np.argmax(sel, axis=1)
    return BestBlock(areas=names_a, blocks=names_b, index=index,
                     names=[names_b[i] for i in index],
                     score=held[np.arange(len(names_a)), index], selection=sel,
                     held_out=held, select_images=first, score_images=second)


def hierarchy_score(best_index, area_index=None):
    """Hierarchy score H: Spearman correlation of area index with best-block index.

    Parameters
    ----------
    best_index : array_like of int, shape (n_areas,)
        The best-matching block of each area, areas in hierarchical order (e.g.
        ``BestBlock.index``), or a similarity matrix ``(n_areas, n_blocks)`` whose row
        maxima are taken.
    area_index : array_like, optional
        Default ``0, 1, ..., n_areas - 1``.

    Returns
    -------
    H : float
        In ``[-1, 1]``; 1 for a perfectly ordered mapping; 0 when every area picks the
        same block (no ordering).
    monotone : bool
        Whether the best block never moves shallower from one area to the next.
    """
    b = np.asarray(best_index)
    if b.ndim == 2:
        b = np.argmax(b, axis=1)
    a = np.arange(len(b)) if area_index is None else np.asarray(area_index)
    if len(a) != len(b):
        raise ValueError(f"{len(a)} area indices for {len(b)} best blocks")
    monotone = bool(np.all(np.diff(b[np.argsort(a, kind="stable")]) >= 0))
    if np.ptp(b) == 0 or np.ptp(a) == 0:
        return 0.0, monotone
    return float(stats.spearmanr(a, b)[0]), monotone


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
