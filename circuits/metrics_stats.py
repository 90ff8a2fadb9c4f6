"""Statistics of similarities: resampling intervals, permutation nulls, best blocks.

:func:`bootstrap` (confidence intervals over images, by half-sampling) and
:func:`resampling_p` (its one-sided p-value for a difference),
:func:`permutation_test` and :func:`cka_permutation_test` (nulls from shuffled image
correspondence), :func:`best_block` (choose each area's best model block on one
half of the images, score it on the other), :func:`hierarchy_score` (Spearman
correlation between area index and best-block index). :mod:`circuits.metrics`
re-exports every public name.
"""
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .metrics_similarity import _check_pair, cka_matrix, unbiased_centered_gram

__all__ = ["bootstrap", "resampling_p", "permutation_test", "cka_permutation_test",
           "best_block", "BestBlock", "hierarchy_score"]


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
