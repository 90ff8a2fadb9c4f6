"""Poisson sources (``PoissonGroup``) in blocks: one random draw per spike, not per source.

A Poisson source fires in a step with probability ``p = rate dt``. Drawing one
uniform per source and step costs a hash per source (about 2.5 ns), which dominated
networks driven by many sources at low rates (Song et al. 2000: 1,000 sources at
10-20 Hz, 10^8 draws per simulated 10 s). Within a *block* of up to :data:`BLOCK`
consecutive sources of one group that share ``p``, the sources that fire in a step
are a Bernoulli process along the block, so the gap to the next firing source is
geometric: ``P(G > g) = (1 - p)^g``. Each draw gives the next firing source after
position ``s`` (or none in the block), keyed by the global index ``n + s + 1`` under
the step's key (``step_key(seed, STREAM_POISSON_GROUP, step)``): one draw per block
and step, plus one per spike. The same seed gives the same spikes for any split of
the work (threads, MPI ranks, GPU threads), as every source's draw did before.

The geometric gap is found by integer comparisons against the block's thresholds
``T[g] = floor((1 - p)^g 2^53)`` (``G > g`` where the 53 random bits are below
``T[g]``), computed on the host (:func:`update_thresholds`, before every run, since
rates may change between runs): no logarithm, so every backend finds the same gap.

Blocks whose sources do not share one ``p > 0`` (spike generators, whose flags are
set by their schedule, and groups with rates per source) draw per source as before:
``uniform(seed, STREAM_POISSON_GROUP, step, n + s) < p_fire[s]``; their row of
thresholds starts with ``-1``.

* :func:`block_bounds`: at the build, the blocks of the sources' groups;
* :func:`update_thresholds`: the thresholds of every block for the current rates;
* ``elements.next_source`` (compiled): the element function the engines call;
* :func:`firing_numpy`: the numpy backend's (and the Brian2 export's) twin.
"""
import numpy as np

from ._layout import STREAM_POISSON_GROUP
from ._rng import keyed_bits_numpy, uniform_numpy

__all__ = ["BLOCK", "block_bounds", "update_thresholds", "firing_numpy"]

BLOCK = 64
_ONE = 2.0 ** 53            # the range of the 53 random bits of a draw


def block_bounds(group_bounds, n_src):
    """The blocks' bounds: ``lo[b] <= s < lo[b + 1]`` (source indices from 0).

    Parameters
    ----------
    group_bounds : sequence of (int, int)
        ``[lo, hi)`` of every group of sources, covering ``0..n_src`` without gaps.
    n_src : int
        The number of sources.

    Returns
    -------
    ndarray of int64, shape (n_blocks + 1,)
    """
    cuts = {0, n_src}
    for lo, hi in group_bounds:
        cuts.update(range(lo, hi, BLOCK))
    return np.array(sorted(cuts), dtype=np.int64)


def update_thresholds(p_fire, block_lo, thresholds):
    """Fill ``thresholds`` (shape ``(n_blocks, BLOCK + 1)``, int64) for the firing
    probabilities per step ``p_fire``: row ``b`` holds ``T[g] = floor((1 - p)^g 2^53)``
    for ``g >= 1`` and ``2^53`` at ``g = 0`` where block ``b``'s sources share one
    ``p > 0``, else ``-1`` at ``g = 0`` (the block draws per source)."""
    g = np.arange(BLOCK + 1)
    for b in range(block_lo.size - 1):
        p = p_fire[block_lo[b]:block_lo[b + 1]]
        if p.size and p[0] > 0.0 and np.all(p == p[0]):
            keep = min(max(1.0 - float(p[0]), 0.0), 1.0)
            thresholds[b] = np.floor(keep ** g * _ONE).astype(np.int64)
        else:
            thresholds[b] = -1


def firing_numpy(seed, step, first, p_fire, fired, block_lo, thresholds):
    """Which sources fire at ``step``: a boolean mask over ``p_fire``.

    Parameters
    ----------
    seed, step : int
    first : int
        The global index of source 0 (the number of neurons before the sources).
    p_fire : ndarray of float
        Firing probability per step of each source.
    fired : ndarray of bool
        Sources that fire regardless (spike generators at this step).
    block_lo, thresholds : ndarray of int64
        From :func:`block_bounds` and :func:`update_thresholds`.
    """
    out = fired.copy()
    per_source = thresholds[:, 0] < 0
    for b in np.flatnonzero(per_source):
        lo, hi = block_lo[b], block_lo[b + 1]
        u = uniform_numpy(seed, STREAM_POISSON_GROUP, step, np.arange(first + lo, first + hi))
        p = p_fire[lo:hi]
        out[lo:hi] |= (p > 0.0) & (u < p)
    chain = np.flatnonzero(~per_source)
    if chain.size:
        lo, hi = block_lo[chain], block_lo[chain + 1]
        # the first draw of every block at once: most blocks have no spike
        bits = keyed_bits_numpy(seed, STREAM_POISSON_GROUP, step, first + lo)
        for b in chain[bits >= thresholds[chain, hi - lo]]:
            _chain_numpy(seed, step, first, b, block_lo, thresholds, out)
    return out


def _chain_numpy(seed, step, first, b, block_lo, thresholds, out):
    lo, hi = block_lo[b], block_lo[b + 1]
    s = lo - 1
    while s + 1 < hi:
        left = hi - s - 1
        bits = keyed_bits_numpy(seed, STREAM_POISSON_GROUP, step, first + s + 1)
        if bits < thresholds[b, left]:
            return
        # the gap: the smallest g >= 1 with bits >= T[g] (T decreases with g)
        s += 1 + int(np.argmax(bits >= thresholds[b, 1:left + 1]))
        out[s] = True
