"""Conductance-based LIF, forward Euler (the scheme Brian2 picks for it).

.. math::
    \\tau_m \\dot v = E_L - v + g_e (E_e - v) + g_i (E_i - v) + i_{ext}, \\qquad
    \\tau_e \\dot g_e = -g_e, \\qquad \\tau_i \\dot g_i = -g_i

Conductances are in units of the leak conductance (dimensionless), ``i_ext``
in volts (current over leak conductance). ``DT_OVER_TAU_M`` holds ``dt/tau_m`` and
the decay factors are ``1 - dt/tau``, as forward Euler gives them.
"""
import numpy as np
from numba import njit

# the slots of a LIFCond segment's parameter row, by name (models/lif_cond.py fills them)
E_L = 0            # leak reversal potential                               [V]
V_RESET = 1        # reset potential                                       [V]
V_TH = 2           # threshold                                             [V]
DT_OVER_TAU_M = 3  # dt/tau_m (forward Euler)
DECAY_E = 4        # 1 - dt/tau_syn_e
DECAY_I = 5        # 1 - dt/tau_syn_i
E_E = 6            # excitatory reversal potential                         [V]
E_I = 7            # inhibitory reversal potential                         [V]
N_REF = 8          # refractory period in steps
# slot 9 holds 1.0, unused: rows keep the values of earlier releases (checkpoints)


def _lif_cond_update(v, ge, gi, ref, i_ext, prm, seed, step, k):
    """One neuron, one step. Returns ``(v, g_e, g_i, ref, spiked)``. Plain Python.

    Branch-free (selects only) so that the compiled segment loop vectorises.
    """
    ref = ref - 1 if ref > 0 else ref
    free = ref == 0
    v_new = v + (prm[E_L] - v + ge * (prm[E_E] - v) + gi * (prm[E_I] - v) + i_ext) * prm[DT_OVER_TAU_M]
    v_new = v_new if free else v        # held while refractory
    spiked = free & (v_new > prm[V_TH])
    v_new = prm[V_RESET] if spiked else v_new
    ref = int(prm[N_REF]) if spiked else ref
    return v_new, ge * prm[DECAY_E], gi * prm[DECAY_I], ref, spiked


lif_cond_update_numba = njit(cache=True)(_lif_cond_update)     # one source, compiled twice


def lif_cond_step_numpy(v, ge, gi, ref, i_ext, prm, seed, step, index):
    """Vectorised reference for a segment (views, in place); returns the spike mask."""
    ref -= ref > 0
    free = ref == 0
    v_new = v + (prm[E_L] - v + ge * (prm[E_E] - v) + gi * (prm[E_I] - v) + i_ext) * prm[DT_OVER_TAU_M]
    v[free] = v_new[free]
    ge *= prm[DECAY_E]
    gi *= prm[DECAY_I]
    spiked = free & (v > prm[V_TH])
    v[spiked] = prm[V_RESET]
    ref[spiked] = int(prm[N_REF])
    return spiked


# backend -> step; the CUDA backend compiles the plain rule as a device function
# (kernels.simulate_cuda, imported only when it is used)
STEP = {"numpy": lif_cond_step_numpy, "numba": lif_cond_update_numba, "cuda": _lif_cond_update}


def inert(row):
    """A copy of the parameter ``row`` whose neurons never fire (the neurons that an
    MPI rank on a GPU carries for others)."""
    row = row.copy()
    row[V_TH] = np.inf
    return row
