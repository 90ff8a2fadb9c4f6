"""The phases of a time step as element functions: one neuron, source or drive each.

Each function is plain Python written once and compiled by numba wherever it is
called: inlined into the CPU loop (``simulate``), the loop of one MPI rank
(``simulate_mpi``) and the CUDA kernel (``simulate_cuda``, as device
functions). The loops differ (all neurons, one rank's pieces, one thread per
neuron); what happens to one element does not, so the engines agree bit for
bit. The numpy backend is written apart, vectorised, as the oracle they are
tested against (``tests/kernels``).

Arrays come as plain arguments (not the named groups that the loops pass
around), so that each element states exactly what it reads. Each rule is a plain function
(``_injected_current``...); the CPU twins below are compiled with
``inline="always"``, so that numba inlines them into the loops before LLVM
optimises those; ``simulate_cuda`` compiles the same functions as device
functions.
"""
from numba import njit
from numba.extending import register_jitable

from ._layout import FIXED_UNIT, VAR_EXTRA, VAR_GE, VAR_GI
from ._rng import _TO_UNIT, keyed_bits
from .poisson import poisson_count

__all__ = ["injected_current", "drive_events", "source_fires", "next_source", "sample",
           "receive_synaptic"]


def _injected_current(k, step, i_bias_k, lo, hi, vptr, values, n_rows, n_cols, ratio):
    """The current injected into neuron ``k`` at ``step``: its constant ``i_bias_k``
    plus every time-varying current that covers it, added in the currents' order.

    Current ``c`` acts on neurons ``[lo[c], hi[c])`` with a table of ``n_rows[c]``
    rows (one every ``ratio[c]`` steps, the last held) of ``n_cols[c]`` columns
    (1: the same value for all) starting at ``values[vptr[c]]``.
    """
    x = i_bias_k
    for c in range(lo.size):
        if lo[c] <= k < hi[c]:
            row = min(step // ratio[c], n_rows[c] - 1)
            col = 0 if n_cols[c] == 1 else k - lo[c]
            x += values[vptr[c] + row * n_cols[c] + col]
    return x


def _drive_events(d, j, key, n_sub, t_ptr, g_ptr, shift, k_lo, thresholds, guide):
    """Input events of Poisson drive ``d`` into its ``j``-th target in one step.

    ``key`` is ``step_key(seed, STREAM_POISSON_INPUT + d, step)``, computed once
    per drive and step by the caller. A mean above
    ``poisson.MAX_TABLE_LAMBDA`` is split into ``n_sub[d]`` draws, each keyed
    by (drive, step, target, draw) and counted from the drive's tables
    (:mod:`.poisson`).
    """
    m_sub = n_sub[d]
    count = 0
    for r in range(m_sub):
        x = keyed_bits(key, j * m_sub + r)
        count += poisson_count(x, t_ptr[d], g_ptr[d], shift[d], k_lo[d], thresholds, guide)
    return count


@register_jitable          # called by _next_source, compiled for the CPU and the GPU
def _source_fires(s, fired, p_fire, key):
    """Whether source ``s`` (global index) fires: a generator's flag ``fired`` or a
    Poisson draw with probability ``p_fire`` per step. ``key`` is
    ``step_key(seed, STREAM_POISSON_GROUP, step)``: the draw is
    ``uniform(seed, STREAM_POISSON_GROUP, step, s)``."""
    return fired or (p_fire > 0.0 and keyed_bits(key, s) * _TO_UNIT < p_fire)


def _next_source(s, lo, hi, b, thresholds, key, n, fired, p_fire):
    """The next source after ``s`` (``lo - 1 <= s < hi``) of block ``b`` (sources
    ``[lo, hi)``) that fires at this step, or ``hi`` (:mod:`.poisson_sources`).

    A block whose sources share one probability jumps by a geometric gap, found by
    bisection in its row of ``thresholds``, from the 53 bits keyed by ``n + s + 1``;
    any other block tests its sources one by one (:func:`_source_fires`). ``key`` is
    ``step_key(seed, STREAM_POISSON_GROUP, step)``; ``n``: the number of neurons."""
    if thresholds[b, 0] < 0:
        s += 1
        while s < hi and not _source_fires(n + s, fired[s], p_fire[s], key):
            s += 1
        return s
    left = hi - s - 1
    if left <= 0:
        return hi
    bits = keyed_bits(key, n + s + 1)
    if bits < thresholds[b, left]:           # no source of the rest fires
        return hi
    g_lo, g_hi = 1, left                     # the smallest g with bits >= T[g]
    while g_lo < g_hi:
        mid = (g_lo + g_hi) // 2
        if bits >= thresholds[b, mid]:
            g_hi = mid
        else:
            g_lo = mid + 1
    return s + g_lo


def _sample(var, k, v, ge, gi, aux):
    """State variable ``var`` of neuron ``k``: ``_layout.VAR_V``, ``VAR_GE``, ``VAR_GI``,
    or ``VAR_EXTRA + j`` for row ``j`` of the models' extra state ``aux``."""
    if var >= VAR_EXTRA:
        return aux[var - VAR_EXTRA, k]
    return ge[k] if var == VAR_GE else (gi[k] if var == VAR_GI else v[k])


def _receive_synaptic(g, x):
    """A synaptic variable ``g`` after the input ``x`` (int64 fixed point) of one
    ring-buffer slot arrives on its channel: every model without a ``receive``
    rule of its own (exponential currents, conductances, McCulloch-Pitts units). One channel at a time: the loops that call it
    stay the two independent streams that vectorise (a pair in and out ran the
    CUBA loop 7 % slower)."""
    return g + x * FIXED_UNIT


# the CPU twins (the CUDA ones are compiled in simulate_cuda)
injected_current = njit(cache=True, inline="always")(_injected_current)
drive_events = njit(cache=True, inline="always")(_drive_events)
source_fires = njit(cache=True, inline="always")(_source_fires)
next_source = njit(cache=True, inline="always")(_next_source)
sample = njit(cache=True, inline="always")(_sample)
receive_synaptic = njit(cache=True, inline="always")(_receive_synaptic)
