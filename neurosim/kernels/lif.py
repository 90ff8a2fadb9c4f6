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
from numba import njit

# the slots of a LIF segment's parameter row, by name (models/lif.py fills them)
V_REST = 0        # resting potential                                     [V]
V_RESET = 1       # reset potential                                       [V]
V_TH = 2          # threshold                                             [V]
DECAY_M = 3       # exp(-dt/tau_m)
DECAY_E = 4       # exp(-dt/tau_syn_e), 0 with delta synapses
DECAY_I = 5       # exp(-dt/tau_syn_i)
COUPLING_E = 6    # how much of i_e reaches v over one step (``propagator``), 0 with delta
COUPLING_I = 7    # the same for i_i
N_REF = 8         # refractory period in steps
# slot 9 holds 1.0, unused: rows keep the values of earlier releases (checkpoints)
RESET_SUB = 11    # 1.0: a spike subtracts v_th - v_reset; 0.0: v is set to v_reset


def _lif_update(v, ge, gi, ref, i_ext, prm, seed, step, k):
    """One neuron, one step. Returns ``(v, i_e, i_i, ref, spiked)``. Plain Python.

    Written without branches (selects only), so that the compiled loop over a
    segment vectorises; the arithmetic is the reference's, operation for operation.
    """
    ref = ref - 1 if ref > 0 else ref
    free = ref == 0
    v_inf = prm[V_REST] + i_ext
    v_new = v_inf + (v - v_inf) * prm[DECAY_M] + prm[COUPLING_E] * ge - prm[COUPLING_I] * gi
    v_new = v_new if free else v        # held while refractory
    spiked = free & (v_new > prm[V_TH])
    # RESET_SUB 0 gives v_reset exactly; 1 keeps the overshoot v_new - v_th
    v_new = prm[V_RESET] + prm[RESET_SUB] * (v_new - prm[V_TH]) if spiked else v_new
    ref = int(prm[N_REF]) if spiked else ref
    return v_new, ge * prm[DECAY_E], gi * prm[DECAY_I], ref, spiked


lif_update_numba = njit(cache=True)(_lif_update)     # one source, compiled twice


def lif_step_numpy(v, ge, gi, ref, i_ext, prm, seed, step, index):
    """Vectorised reference for a segment (arrays are views, updated in place).

    Returns the boolean spike mask of the segment.
    """
    ref -= ref > 0
    free = ref == 0
    v_inf = prm[V_REST] + i_ext
    v_new = v_inf + (v - v_inf) * prm[DECAY_M] + prm[COUPLING_E] * ge - prm[COUPLING_I] * gi
    v[free] = v_new[free]
    ge *= prm[DECAY_E]
    gi *= prm[DECAY_I]
    spiked = free & (v > prm[V_TH])
    v[spiked] = prm[V_RESET] + prm[RESET_SUB] * (v[spiked] - prm[V_TH])
    ref[spiked] = int(prm[N_REF])
    return spiked


def propagator(dt, tau_m, tau_syn):
    """Coupling of an exponential current (in volts) into ``v`` over one step.

    ``tau_syn / (tau_syn - tau_m) * (exp(-dt/tau_syn) - exp(-dt/tau_m))``, and its
    limit ``dt/tau_m * exp(-dt/tau_m)`` when the two time constants are equal.
    """
    a_m = np.exp(-dt / tau_m)
    if abs(tau_syn - tau_m) < 1e-12 * tau_m:
        return dt / tau_m * a_m
    return tau_syn / (tau_syn - tau_m) * (np.exp(-dt / tau_syn) - a_m)


# backend -> step; the CUDA backend compiles the plain rule as a device function
# (kernels.simulate_cuda, imported only when it is used)
STEP = {"numpy": lif_step_numpy, "numba": lif_update_numba, "cuda": _lif_update}


def inert(row):
    """A copy of the parameter ``row`` whose neurons never fire (the neurons that an
    MPI rank on a GPU carries for others)."""
    row = row.copy()
    row[V_TH] = np.inf
    return row
