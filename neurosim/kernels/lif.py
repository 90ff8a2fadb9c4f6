"""Current-based LIF: exact integration over one step (numpy reference and numba twin).

.. math::
    \\tau_m \\dot v = v_{rest} - v + i_e - i_i + i_{ext}, \\qquad
    \\tau_e \\dot i_e = -i_e, \\qquad \\tau_i \\dot i_i = -i_i

The currents are in volts (current times membrane resistance). Integrated
exactly for one step ``dt`` with ``i_ext`` constant over the step:
``v' = v_inf + (v - v_inf) a_m + p_e i_e - p_i i_i`` with ``v_inf = v_rest + i_ext``,
``a_m = exp(-dt/tau_m)`` and ``p_x = tau_x / (tau_x - tau_m) (exp(-dt/tau_x) - a_m)``.
With delta synapses ``p_e = p_i = 0`` and input jumps land on ``v`` directly.
While refractory, ``v`` is held and the currents keep decaying. A spike sets ``v`` to
``v_reset``, or, with reset by subtraction, lowers it by ``v_th - v_reset`` and keeps
what the step carried it past the threshold.
"""
import numpy as np

from ._layout import FIXED_UNIT

# the parameters of a step, as the update reads them (p.v_th); models/lif.py derives them
PARAMETERS = (
    "v_rest",       # resting potential                                    [V]
    "v_reset",      # reset potential                                      [V]
    "v_th",         # threshold                                            [V]
    "decay_m",      # exp(-dt/tau_m)
    "decay_e",      # exp(-dt/tau_syn_e), 0 with delta synapses
    "decay_i",      # exp(-dt/tau_syn_i)
    "coupling_e",   # how much of i_e reaches v over one step (``propagator``), 0 with delta
    "coupling_i",   # the same for i_i
    "n_ref",        # refractory period in steps
    # unused, 1.0 and 0.0: rows keep the layout of earlier releases, which
    # checkpoints fingerprint
    "unused_one", "unused_zero",
    "reset_sub",    # 1.0: a spike subtracts v_th - v_reset; 0.0: v is set to v_reset
)


def lif_update(v, ge, gi, ref, i_ext, p, seed, step, k):
    """One neuron, one step. Returns ``(v, i_e, i_i, ref, spiked)``. Plain Python.

    Written without branches (selects only), so that the compiled loop over a
    segment vectorises; the arithmetic is the reference's, operation for operation.
    """
    ref = ref - 1 if ref > 0 else ref
    free = ref == 0
    v_inf = p.v_rest + i_ext
    v_new = v_inf + (v - v_inf) * p.decay_m + p.coupling_e * ge - p.coupling_i * gi
    v_new = v_new if free else v        # held while refractory
    spiked = free & (v_new > p.v_th)
    # reset_sub 0 gives v_reset exactly; 1 keeps the overshoot v_new - v_th
    v_new = p.v_reset + p.reset_sub * (v_new - p.v_th) if spiked else v_new
    ref = int(p.n_ref) if spiked else ref
    return v_new, ge * p.decay_e, gi * p.decay_i, ref, spiked


def lif_update_numpy(v, ge, gi, ref, i_ext, p, seed, step, index):
    """Vectorised reference for a segment (arrays are views, updated in place).

    Returns the boolean spike mask of the segment.
    """
    ref -= ref > 0
    free = ref == 0
    v_inf = p.v_rest + i_ext
    v_new = v_inf + (v - v_inf) * p.decay_m + p.coupling_e * ge - p.coupling_i * gi
    v[free] = v_new[free]
    ge *= p.decay_e
    gi *= p.decay_i
    spiked = free & (v > p.v_th)
    v[spiked] = p.v_reset + p.reset_sub * (v[spiked] - p.v_th)
    ref[spiked] = int(p.n_ref)
    return spiked


def receive_delta(v, ref, spiked, exc, inh):
    """``v`` after the input of one slot arrives with delta synapses: it jumps by
    the net input, unless the neuron is refractory or has just spiked (Brian2's
    ``v += w`` on a neuron held at reset; NEST's ``iaf_psc_delta`` discards it too)."""
    if ref == 0 and not spiked:
        v += (exc - inh) * FIXED_UNIT
    return v


def receive_delta_numpy(v, ref, spiked, exc, inh):
    """Vectorised twin of :func:`receive_delta`; returns the new ``v``."""
    free = (ref == 0) & ~spiked
    return np.where(free, v + (exc - inh) * FIXED_UNIT, v)


def propagator(dt, tau_m, tau_syn):
    """Coupling of an exponential current (in volts) into ``v`` over one step.

    ``tau_syn / (tau_syn - tau_m) * (exp(-dt/tau_syn) - exp(-dt/tau_m))``, and its
    limit ``dt/tau_m * exp(-dt/tau_m)`` when the two time constants are equal.
    """
    a_m = np.exp(-dt / tau_m)
    if abs(tau_syn - tau_m) < 1e-12 * tau_m:
        return dt / tau_m * a_m
    return tau_syn / (tau_syn - tau_m) * (np.exp(-dt / tau_syn) - a_m)


def inert(row):
    """A copy of the parameter ``row`` whose neurons never fire (the neurons that an
    MPI rank on a GPU carries for others)."""
    row = row.copy()
    row[PARAMETERS.index("v_th")] = np.inf
    return row
