"""Robust statistics of the area-to-block comparison: which block wins, ties, and H.

:func:`circuits.metrics.best_block` picks each area's best block on one random half of
the images. On near-ties that choice flips from one half to the next, and one split
cannot say so. Here the choice comes with its resampling distribution:

* :func:`block_choice`: the area x block CKA matrix on every image, and on
  ``n_boot`` half-samples of the images (:func:`half_samples`): each entry's
  confidence interval, how often each block wins, and whether the top two blocks of
  an area are tied (their intervals overlap, or, with ``rule="paired"``, the interval
  of their paired difference covers 0). A tie is reported as such, never broken;
  :meth:`BlockChoice.hierarchy` counts it against monotonicity.
* :func:`hierarchy_interval`: the hierarchy score H averaged over (circuit seed,
  CNN seed) pairs, with a confidence interval over images (the same half-samples for
  every pair), and one over images and seeds (each resample also redraws the circuit
  and CNN seeds with replacement).

Half-samples, as :func:`circuits.metrics.bootstrap`'s default: the debiased CKA is a
U-statistic, which resampling with replacement biases upwards. Every Gram matrix is
computed once on all images and sliced for each resample.
"""
from dataclasses import dataclass

import numpy as np

from .metrics_similarity import features_2d
from .metrics_stats import hierarchy_score

__all__ = ["half_samples", "BlockChoice", "block_choice", "hierarchy_interval"]


def half_samples(n, n_boot=200, seed=0):
    """``n_boot`` random halves of ``range(n)`` (without replacement), one per row.

    Returns
    -------
    ndarray of int, shape (n_boot, n // 2)
    """
    rng = np.random.default_rng(seed)
    return np.stack([np.sort(rng.permutation(n)[:n // 2]) for _ in range(n_boot)])


def _gram(x):
    """The linear Gram matrix of the centred rows of ``x``."""
    x = features_2d(x)
    x = x - x.mean(0)
    return x @ x.T


def _centre(k):
    """The unbiased centring of a linear Gram matrix (as
    :func:`circuits.metrics.unbiased_centered_gram`, from the Gram matrix)."""
    n = len(k)
    k = k.copy()
    np.fill_diagonal(k, 0.0)
    means = k.sum(0) / (n - 2)
    means -= means.sum() / (2 * (n - 1))
    k -= means[:, None]
    k -= means[None, :]
    np.fill_diagonal(k, 0.0)
    return k


def _cka_matrix(grams_a, grams_b, idx=None):
    """Debiased CKA between every Gram of ``grams_a`` and of ``grams_b`` on images ``idx``."""
    sub = (lambda k: k) if idx is None else (lambda k: k[np.ix_(idx, idx)])
    ka = [_centre(sub(k)) for k in grams_a]
    kb = [_centre(sub(k)) for k in grams_b]
    na = np.array([np.sqrt(np.sum(k * k)) for k in ka])
    nb = np.array([np.sqrt(np.sum(k * k)) for k in kb])
    num = np.array([[np.sum(a * b) for b in kb] for a in ka])
    den = np.outer(na, nb)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


@dataclass
class BlockChoice:
    """Result of :func:`block_choice`.

    Attributes
    ----------
    areas, blocks : list of str
    cka : ndarray, shape (n_areas, n_blocks)
        On every image.
    samples : ndarray, shape (n_boot, n_areas, n_blocks)
        On each half-sample.
    ci : ndarray, shape (n_areas, n_blocks, 2)
        Percentile intervals of each entry.
    best : ndarray of int, shape (n_areas,)
        Each area's best block on every image.
    runner_up : ndarray of int, shape (n_areas,)
        The second best.
    wins : ndarray, shape (n_areas, n_blocks)
        Fraction of half-samples in which each block is the area's best.
    tie : ndarray of bool, shape (n_areas,)
        Whether the best and the runner-up are tied (see :func:`block_choice`).
    """

    areas: list
    blocks: list
    cka: np.ndarray
    samples: np.ndarray
    ci: np.ndarray
    best: np.ndarray
    runner_up: np.ndarray
    wins: np.ndarray
    tie: np.ndarray

    def ties(self, rule="overlap", ci=0.95):
        """Whether each area's best block and runner-up are tied under ``rule``
        (:func:`block_choice`), at interval coverage ``ci``.

        Returns
        -------
        ndarray of bool, shape (n_areas,)
        """
        alpha = (1.0 - ci) / 2.0
        rows = np.arange(len(self.areas))
        top = self.samples[:, rows, self.best]
        second = self.samples[:, rows, self.runner_up]
        if rule == "overlap":
            return np.quantile(second, 1.0 - alpha, axis=0) >= np.quantile(top, alpha, axis=0)
        if rule == "paired":
            return np.quantile(top - second, alpha, axis=0) <= 0
        raise ValueError(f"rule={rule!r} must be 'overlap' or 'paired'")

    @property
    def names(self):
        """The best blocks' names, a tied area's as ``"V2=V4"`` (best first)."""
        return [self.blocks[b] + (f"={self.blocks[r]}" if t else "")
                for b, r, t in zip(self.best, self.runner_up, self.tie)]

    def hierarchy(self):
        """H on every image, and whether the order holds with no tie.

        Returns
        -------
        H : float
            :func:`circuits.metrics.hierarchy_score` of :attr:`best`.
        monotone : bool
            The best block never moves shallower from one area to the next, and no
            area is tied.
        samples : ndarray, shape (n_boot,)
            H on each half-sample.
        """
        h, mono = hierarchy_score(self.best)
        boot = np.array([hierarchy_score(s)[0] for s in self.samples.argmax(2)])
        return h, bool(mono and not self.tie.any()), boot


def block_choice(areas, blocks, n_boot=200, ci=0.95, seed=0, halves=None, rule="overlap"):
    """Each area's best block, with its distribution over half-samples of the images.

    Parameters
    ----------
    areas, blocks : dict of str -> array_like, shape (n_images, ...)
        E.g. circuit areas and CNN blocks, in hierarchical order.
    n_boot : int, optional
    ci : float, optional
        Coverage of the intervals.
    seed : int, optional
        Draws the half-samples (unless ``halves`` is given).
    halves : ndarray of int, shape (n_boot, m), optional
        The resamples (:func:`half_samples`); pass the same to every pair of
        representations to compare them on the same images.
    rule : {'overlap', 'paired'}, optional
        When the best and the runner-up are tied: their intervals overlap
        (``'overlap'``), or the interval of their paired difference over the same
        resamples covers 0 (``'paired'``, less conservative).

    Returns
    -------
    BlockChoice
    """
    names_a, names_b = list(areas), list(blocks)
    if len(names_b) < 2:
        raise ValueError("a choice needs at least two blocks")
    ga = [_gram(areas[a]) for a in names_a]
    gb = [_gram(blocks[b]) for b in names_b]
    n = len(ga[0])
    if any(len(g) != n for g in ga + gb):
        raise ValueError("every representation must have the same images (rows)")
    if halves is None:
        halves = half_samples(n, n_boot, seed)
    full = _cka_matrix(ga, gb)
    samples = np.stack([_cka_matrix(ga, gb, idx) for idx in halves])
    alpha = (1.0 - ci) / 2.0
    bounds = np.moveaxis(np.quantile(samples, [alpha, 1.0 - alpha], axis=0), 0, -1)
    order = np.argsort(-full, axis=1, kind="stable")
    best, second = order[:, 0], order[:, 1]
    wins = np.stack([np.bincount(samples[:, i].argmax(1), minlength=len(names_b))
                     for i in range(len(names_a))]) / len(samples)
    choice = BlockChoice(names_a, names_b, full, samples, bounds, best, second, wins,
                         np.zeros(len(names_a), bool))
    choice.tie = choice.ties(rule, ci)
    return choice


def hierarchy_interval(choices, ci=0.95, seed=0):
    """H averaged over (circuit seed, CNN seed) pairs, with intervals.

    Parameters
    ----------
    choices : dict of (hashable, hashable) -> BlockChoice
        ``(circuit seed, CNN seed)``: the choice of that pair, every one computed on
        the same half-samples (:func:`block_choice`'s ``halves``).
    ci : float, optional
    seed : int, optional
        Draws the seeds for ``ci_seeds``.

    Returns
    -------
    dict
        ``H`` (mean over pairs, every image), ``ci_images`` (the mean over pairs on each
        half-sample), ``ci_seeds`` (each half-sample also draws as many circuit seeds
        and CNN seeds as there are, with replacement, and averages H over their pairs),
        ``n_circuit_seeds``, ``n_cnn_seeds``.
    """
    keys = list(choices)
    circ = sorted({k[0] for k in keys}, key=str)
    nets = sorted({k[1] for k in keys}, key=str)
    h = {k: choices[k].hierarchy() for k in keys}
    boot = {k: v[2] for k, v in h.items()}
    n_boot = len(next(iter(boot.values())))
    if any(len(b) != n_boot for b in boot.values()):
        raise ValueError("every choice must have the same number of half-samples")
    rng = np.random.default_rng(seed)
    over_images = np.mean([boot[k] for k in keys], axis=0)
    over_seeds = np.empty(n_boot)
    for b in range(n_boot):
        cs = rng.choice(len(circ), len(circ))
        ns_ = rng.choice(len(nets), len(nets))
        vals = [boot[(circ[i], nets[j])][b] for i in cs for j in ns_
                if (circ[i], nets[j]) in boot]
        over_seeds[b] = np.mean(vals) if vals else np.nan
    alpha = (1.0 - ci) / 2.0
    q = [alpha, 1.0 - alpha]
    return dict(H=float(np.mean([v[0] for v in h.values()])),
                ci_images=tuple(float(v) for v in np.quantile(over_images, q)),
                ci_seeds=tuple(float(v) for v in np.nanquantile(over_seeds, q)),
                n_circuit_seeds=len(circ), n_cnn_seeds=len(nets))
