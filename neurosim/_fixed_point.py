"""Synaptic input in fixed point: weights as integers, and sums that cannot wrap.

Input is summed as int64 multiples of ``FIXED_UNIT`` (kernels._layout), so that
sums are exact and independent of the order of addition. An int64 sum wraps
around silently, so the build bounds the largest input that any neuron can
receive in one step (every incoming synapse and every Poisson drive at its
largest count, landing in the same step) and refuses a network that could
exceed it.
"""
import numba
import numpy as np

from .kernels import _layout as L
from .kernels.connect import input_bound
from .kernels.plasticity import KIND, NO_LEARNING, W_MAX

# one channel's sum must stay below this (int64 holds 2**63; the margin keeps the
# difference of the two channels of a delta synapse in range too)
MAX_SUM = 2.0 ** 62


def to_fixed(weights):
    """Weights (SI, float) as int64 multiples of ``FIXED_UNIT``."""
    weights = np.asarray(weights, dtype=float)
    if weights.size and np.abs(weights).max() * L.FIXED_SCALE >= 2.0 ** 53:
        big = np.abs(weights).max()
        raise ValueError(f"weight={big:g} is too large for exact summation; weights must "
                         f"stay below {2.0 ** 53 * L.FIXED_UNIT:g} in the target's unit")
    return np.rint(weights * L.FIXED_SCALE).astype(np.int64)


def check_input_bound(synapses, drives, n, names, plastic=None, procedural=None):
    """Refuse a network whose input to one neuron in one step could overflow int64.

    Parameters
    ----------
    synapses : kernels.simulate.Synapses
        The CSR arrays (``target`` in ``[0, 2 n)``: channel * n + neuron).
    drives : kernels.simulate.Drives
        The Poisson drives (at most ``n_sub * k_max`` events per target and step).
    n : int
        Number of neurons.
    names : callable
        ``names(k)``: the name of the group of neuron ``k``, for the message.
    plastic : kernels.plasticity.Plastic, optional
        Plastic synapses, counted at their largest weight (``w_max`` where a rule
        learns).
    procedural : ndarray of float, optional
        Per target (``2 n``), the sum of the fixed-point ``|weight|`` of its
        procedural synapses (drawn once at the build, ``_build_keyed.procedural_arrays``).
    """
    # compiled: no temporary array per synapse (PD14 holds 3e8)
    worst = input_bound(synapses.target, synapses.weight, synapses.weight_code, 2 * n,
                        numba.get_num_threads())
    if procedural is not None:
        worst = worst + procedural
    if plastic is not None and plastic.w.size:
        # at most w_max where a rule learns; short-term plasticity transmits at most w
        p = plastic.prm[plastic.rule]
        most = np.where(p[:, KIND] != NO_LEARNING, p[:, W_MAX], plastic.w) * L.FIXED_SCALE
        worst = worst + np.bincount(plastic.target, weights=most, minlength=2 * n)
    for d in range(drives.lo.size):
        t0 = drives.channel[d] * n
        worst[t0 + drives.lo[d]:t0 + drives.hi[d]] += (
            float(drives.n_sub[d] * drives.k_max[d]) * abs(float(drives.weight[d])))
    if worst.size == 0 or worst.max() < MAX_SUM:
        return
    t = int(np.argmax(worst))
    channel, k = divmod(t, n)
    raise OverflowError(
        f"neuron {k} ({names(k)}) can receive up to {worst[t] * L.FIXED_UNIT:.4g} (in its "
        f"synaptic unit) of {('excitatory', 'inhibitory')[channel]} input in one step, "
        f"more than the {MAX_SUM * L.FIXED_UNIT:.4g} that its exact fixed-point sum can "
        "hold; lower the weights or the number of inputs that can arrive together")
