"""Conductance-based LIF, forward Euler (the scheme Brian2 picks for it).

.. math::
    \\tau_m \\dot v = E_L - v + g_e (E_e - v) + g_i (E_i - v) + i_{ext}, \\qquad
    \\tau_e \\dot g_e = -g_e, \\qquad \\tau_i \\dot g_i = -g_i

Conductances are in units of the leak conductance (dimensionless), ``i_ext``
in volts (current over leak conductance). ``dt_over_tau_m`` is ``dt/tau_m`` and
the decay factors are ``1 - dt/tau``, as forward Euler gives them.
"""
import numpy as np

# the parameters of a step, as the update reads them (p.e_l); models/lif_cond.py derives them
PARAMETERS = (
    "e_l",            # leak reversal potential                              [V]
    "v_reset",        # reset potential                                      [V]
    "v_th",           # threshold                                            [V]
    "dt_over_tau_m",  # dt/tau_m (forward Euler)
    "decay_e",        # 1 - dt/tau_syn_e
    "decay_i",        # 1 - dt/tau_syn_i
    "e_e",            # excitatory reversal potential                        [V]
    "e_i",            # inhibitory reversal potential                        [V]
    "n_ref",          # refractory period in steps
    "unused_one",     # 1.0: rows keep the layout of earlier releases (checkpoints)
)


def lif_cond_update(v, ge, gi, ref, i_ext, p, seed, step, k):
    """One neuron, one step. Returns ``(v, g_e, g_i, ref, spiked)``. Plain Python.

    Branch-free (selects only) so that the compiled segment loop vectorises.
    """
    ref = ref - 1 if ref > 0 else ref
    free = ref == 0
    v_new = v + (p.e_l - v + ge * (p.e_e - v) + gi * (p.e_i - v) + i_ext) * p.dt_over_tau_m
    v_new = v_new if free else v        # held while refractory
    spiked = free & (v_new > p.v_th)
    v_new = p.v_reset if spiked else v_new
    ref = int(p.n_ref) if spiked else ref
    return v_new, ge * p.decay_e, gi * p.decay_i, ref, spiked


def lif_cond_update_numpy(v, ge, gi, ref, i_ext, p, seed, step, index):
    """Vectorised reference for a segment (views, in place); returns the spike mask."""
    ref -= ref > 0
    free = ref == 0
    v_new = v + (p.e_l - v + ge * (p.e_e - v) + gi * (p.e_i - v) + i_ext) * p.dt_over_tau_m
    v[free] = v_new[free]
    ge *= p.decay_e
    gi *= p.decay_i
    spiked = free & (v > p.v_th)
    v[spiked] = p.v_reset
    ref[spiked] = int(p.n_ref)
    return spiked


def inert(row):
    """A copy of the parameter ``row`` whose neurons never fire (the neurons that an
    MPI rank on a GPU carries for others)."""
    row = row.copy()
    row[PARAMETERS.index("v_th")] = np.inf
    return row
