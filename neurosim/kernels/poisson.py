"""Poisson counts from 53 random bits: inversion of an integer CDF through a guide table.

A drive of mean ``lam`` events per step gets, once per run on the host, the
thresholds ``T[i] = round(2**53 * P(count <= k_lo + i))`` for the counts that
can occur (``k_lo`` is the first one with ``T > 0``; the last threshold is
``2**53``), and a guide table of ``2**g`` entries: entry ``b`` is the first
``i`` with ``T[i] > b * 2**(53 - g)``. A draw ``x`` (an integer in
``[0, 2**53)``) then starts at ``guide[x >> (53 - g)]`` and steps up while
``x >= T[i]``; the count is ``k_lo + i``. With at least two guide entries per
threshold that is about one comparison, whatever the mean: O(1) in ``lam``,
integer arithmetic only, so numpy, numba and CUDA give the same count for the
same bits (Chen & Asau 1974; Devroye 1986, section III.2.4).

The thresholds come from ``scipy.special.pdtr`` (the regularised incomplete
gamma function), so the probability of every count is within ``2**-53`` of
Poisson's.
"""
import math

import numpy as np
from numba.extending import register_jitable
from scipy.special import pdtr

__all__ = ["PoissonTables", "poisson_tables", "poisson_count", "poisson_count_numpy"]

_ONE = 2 ** 53
# means above this are drawn as a sum of several draws (``n_sub``): the table of one
# draw then stays under about 2,500 thresholds (20 kB) and 4,096 guide entries
MAX_TABLE_LAMBDA = 1.0e4


class PoissonTables:
    """The tables of several means, concatenated; numpy arrays, one entry per mean.

    Attributes
    ----------
    k_lo : ndarray of int64
        The smallest count that can occur.
    k_max : ndarray of int64
        The largest count that can occur.
    t_ptr, g_ptr : ndarray of int64
        Where each mean's thresholds and guide entries start.
    shift : ndarray of int64
        ``53 - g``: a draw's guide entry is ``x >> shift``.
    thresholds : ndarray of int64
        All thresholds, in units of ``2**-53``.
    guide : ndarray of int32
        All guide entries (indices relative to the mean's first threshold).
    """

    def __init__(self, k_lo, k_max, t_ptr, g_ptr, shift, thresholds, guide):
        self.k_lo, self.k_max, self.t_ptr, self.g_ptr = k_lo, k_max, t_ptr, g_ptr
        self.shift, self.thresholds, self.guide = shift, thresholds, guide


def _one_table(lam):
    # counts beyond lam + 12 sd + 40 have probability far below 2**-53
    k = np.arange(int(lam + 12.0 * math.sqrt(lam) + 40.0) + 1)
    t = np.minimum(np.rint(pdtr(k, lam) * float(_ONE)), float(_ONE)).astype(np.int64)
    end = int(np.argmax(t == _ONE)) if t[-1] == _ONE else t.size - 1
    t[end] = _ONE                        # a draw always stops
    k_lo = int(np.argmax(t > 0))
    t = t[k_lo:end + 1]
    g = max(1, math.ceil(math.log2(t.size)) + 1)
    shift = 53 - g
    starts = np.arange(2 ** g, dtype=np.int64) << shift
    guide = np.searchsorted(t, starts, side="right").astype(np.int32)
    return k_lo, t, guide, shift


def poisson_tables(lams):
    """The guide tables of the Poisson means ``lams`` (events per draw).

    Parameters
    ----------
    lams : array_like of float
        Means, each in ``[0, MAX_TABLE_LAMBDA]``.

    Returns
    -------
    PoissonTables
    """
    lams = np.asarray(lams, dtype=float).reshape(-1)
    bad = ~np.isfinite(lams) | (lams < 0) | (lams > MAX_TABLE_LAMBDA)
    if bad.any():
        raise ValueError(f"a Poisson mean per draw must be finite and in [0, "
                         f"{MAX_TABLE_LAMBDA:g}]; got {lams[bad][0]!r}")
    parts = [_one_table(lam) for lam in lams]
    k_lo = np.array([p[0] for p in parts], dtype=np.int64)
    sizes = np.array([p[1].size for p in parts], dtype=np.int64)
    g_sizes = np.array([p[2].size for p in parts], dtype=np.int64)
    return PoissonTables(
        k_lo=k_lo, k_max=k_lo + sizes - 1,
        t_ptr=np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64),
        g_ptr=np.concatenate([[0], np.cumsum(g_sizes)[:-1]]).astype(np.int64),
        shift=np.array([p[3] for p in parts], dtype=np.int64),
        thresholds=np.concatenate([p[1] for p in parts] or [np.zeros(0, np.int64)]),
        guide=np.concatenate([p[2] for p in parts] or [np.zeros(0, np.int32)]))


@register_jitable
def poisson_count(x, t_ptr, g_ptr, shift, k_lo, thresholds, guide):
    """The count for the 53 random bits ``x`` (int64) from one mean's tables."""
    i = np.int64(guide[g_ptr + (x >> shift)])
    while x >= thresholds[t_ptr + i]:
        i += 1
    return k_lo + i


def poisson_count_numpy(x, t_ptr, g_ptr, shift, k_lo, thresholds, guide):
    """Vectorised twin of :func:`poisson_count` over an int64 array ``x``."""
    i = guide[g_ptr + (x >> shift)].astype(np.int64)
    more = x >= thresholds[t_ptr + i]
    while more.any():
        i[more] += 1
        more = x >= thresholds[t_ptr + i]
    return k_lo + i
