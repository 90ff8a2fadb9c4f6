"""The Poisson counts of the drives: Poisson's distribution, and one count for the
same bits in numpy, numba and (the simulator's) CUDA.

The oracles are scipy's Poisson distribution (a chi-square test over many draws)
and a plain search of the thresholds (``np.searchsorted``), which the guide
table must only shortcut.
"""
import numpy as np
import pytest
from numba import njit
from scipy import stats

from neurosim.kernels._cuda import cuda  # None where numba.cuda cannot load
from neurosim.kernels._rng import keyed_bits_numpy
from neurosim.kernels.poisson import (MAX_TABLE_LAMBDA, poisson_count, poisson_count_numpy,
                                      poisson_tables)

LAMS = [0.0, 0.01, 0.3, 2.0, 7.5, 50.0, 1000.0, MAX_TABLE_LAMBDA]


def _bits(n, stream=3):
    return keyed_bits_numpy(2024, stream, 11, np.arange(n))


@njit
def _counts_compiled(x, t_ptr, g_ptr, shift, k_lo, thresholds, guide):
    out = np.empty(x.size, np.int64)
    for i in range(x.size):
        out[i] = poisson_count(x[i], t_ptr, g_ptr, shift, k_lo, thresholds, guide)
    return out


def _args(tab, d):
    return tab.t_ptr[d], tab.g_ptr[d], tab.shift[d], tab.k_lo[d], tab.thresholds, tab.guide


@pytest.mark.parametrize("lam", [0.01, 2.0, 50.0, 1000.0])
def test_counts_follow_poisson(lam):
    tab = poisson_tables([lam])
    counts = poisson_count_numpy(_bits(400_000), *_args(tab, 0))
    assert abs(counts.mean() - lam) < 5 * np.sqrt(lam / counts.size)
    # bins with at least 20 expected counts; the tails merged into the end bins
    k = np.arange(counts.max() + 2)
    pmf = stats.poisson.pmf(k, lam)
    ok = np.flatnonzero(pmf * counts.size >= 20)
    lo, hi = ok[0], ok[-1]
    observed = np.bincount(np.clip(counts, lo, hi) - lo, minlength=hi - lo + 1)
    expected = pmf[lo:hi + 1].copy()
    expected[0] = stats.poisson.cdf(lo, lam)
    expected[-1] = stats.poisson.sf(hi - 1, lam)
    assert observed.size >= 2
    p = stats.chisquare(observed, expected * counts.size / expected.sum()).pvalue
    assert p > 1e-4, (lam, p)


def test_tables_are_poisson_to_2_pow_53():
    # the probability of each count: thresholds differ from scipy's CDF by rounding only
    tab = poisson_tables(LAMS)
    for d, lam in enumerate(LAMS):
        end = tab.t_ptr[d] + tab.k_max[d] - tab.k_lo[d] + 1
        t = tab.thresholds[tab.t_ptr[d]:end]
        k = np.arange(tab.k_lo[d], tab.k_max[d] + 1)
        assert t[-1] == 2 ** 53 and np.all(np.diff(t) >= 0) and t[0] > 0
        err = np.abs(t[:-1] / 2.0 ** 53 - stats.poisson.cdf(k[:-1], lam))
        assert err.max(initial=0) < 1e-13
        # no count outside [k_lo, k_max] has probability above 2**-53
        assert stats.poisson.cdf(tab.k_lo[d] - 1, lam) < 2.0 ** -52
        assert stats.poisson.sf(tab.k_max[d], lam) < 2.0 ** -52


def test_guide_table_equals_a_search_of_the_thresholds():
    tab = poisson_tables(LAMS)
    x = _bits(50_000)
    # draws at the edges: 0, the largest, and every threshold and its neighbours
    x = np.concatenate([x, [0, 2 ** 53 - 1], tab.thresholds[tab.thresholds < 2 ** 53],
                        tab.thresholds[tab.thresholds < 2 ** 53] - 1])
    for d in range(len(LAMS)):
        end = tab.t_ptr[d] + tab.k_max[d] - tab.k_lo[d] + 1
        want = tab.k_lo[d] + np.searchsorted(tab.thresholds[tab.t_ptr[d]:end], x, side="right")
        assert np.array_equal(poisson_count_numpy(x, *_args(tab, d)), want)
        assert np.array_equal(_counts_compiled(x, *_args(tab, d)), want)


def test_bad_mean_is_refused():
    with pytest.raises(ValueError, match=r"in \[0, 10000\]; got -1.0"):
        poisson_tables([2.0, -1.0])
    with pytest.raises(ValueError, match="nan"):
        poisson_tables([np.nan])


@pytest.mark.cuda
def test_cuda_count_equals_numpy(small_cuda):
    @cuda.jit
    def kernel(x, t_ptr, g_ptr, shift, k_lo, thresholds, guide, out):
        i = cuda.grid(1)
        if i < x.size:
            out[i] = poisson_count(x[i], t_ptr, g_ptr, shift, k_lo, thresholds, guide)

    tab = poisson_tables([2.0, 1000.0])
    x = _bits(300)
    for d in range(2):
        out = np.zeros(x.size, np.int64)
        kernel[3, 128](x, *_args(tab, d), out)
        assert np.array_equal(out, poisson_count_numpy(x, *_args(tab, d)))
