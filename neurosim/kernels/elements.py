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

from ._layout import (FIXED_UNIT, STREAM_POISSON_GROUP, STREAM_POISSON_INPUT, VAR_EXTRA, VAR_GE,
                      VAR_GI)
from ._rng import uniform
from .propagate import poisson_inverse

__all__ = ["injected_current", "drive_events", "source_fires", "sample", "receive_synaptic"]


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


def _drive_events(d, j, seed, step, lam, p0, n_sub, k_max):
    """Input events of Poisson drive ``d`` into its ``j``-th target at ``step``.

    A mean above ``_build._MAX_POISSON_LAMBDA`` is split into ``n_sub[d]`` draws
    of mean ``lam[d]``, each keyed by (drive, step, target, draw).
    """
    m_sub = n_sub[d]
    count = 0
    for r in range(m_sub):
        u = uniform(seed, STREAM_POISSON_INPUT + d, step, j * m_sub + r)
        count += poisson_inverse(u, lam[d], p0[d], k_max[d])
    return count


def _source_fires(s, fired, p_fire, seed, step):
    """Whether source ``s`` (global index) fires: a generator's flag ``fired`` or a
    Poisson draw with probability ``p_fire`` per step."""
    return fired or (p_fire > 0.0 and uniform(seed, STREAM_POISSON_GROUP, step, s) < p_fire)


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
sample = njit(cache=True, inline="always")(_sample)
receive_synaptic = njit(cache=True, inline="always")(_receive_synaptic)
