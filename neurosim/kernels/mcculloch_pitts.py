"""McCulloch-Pitts binary threshold unit (numpy reference and numba twin).

.. math::
    x_i \\leftarrow H\\Big(\\sum_j w^E_{ij} x_j - \\sum_j w^I_{ij} x_j + i_{ext} - \\theta\\Big),
    \\quad H(0) = 1

The summed input of the previous step sits in the excitatory and inhibitory
accumulators (``ge``, ``gi``); they are emptied by the update. With absolute
inhibition any active inhibitory input keeps the unit at 0 (McCulloch & Pitts
1943). In the asynchronous mode each unit updates in a step with probability
``P_UPDATE`` (= dt/tau), drawn from the counter-based generator, and otherwise
keeps its state. An active unit emits a spike every step it is active.
"""
import numpy as np
from numba import njit

from ._layout import STREAM_MP_UPDATE
from ._rng import uniform, uniform_numpy

# the slots of a McCulloch-Pitts segment's parameter row, by name (models/mcculloch_pitts.py)
THETA = 2          # threshold on the net input, less a tie tolerance
P_UPDATE = 9       # probability that a unit updates in a step (1: synchronous)
ABS_INH = 10       # 1.0: any active inhibitory input vetoes the unit


def _mcculloch_pitts_update(v, ge, gi, ref, i_ext, prm, seed, step, k):
    """One unit, one step. Returns ``(x, 0, 0, 0, active)``. Plain Python."""
    x = v
    if prm[P_UPDATE] >= 1.0 or uniform(seed, STREAM_MP_UPDATE, step, k) < prm[P_UPDATE]:
        if ge - gi + i_ext >= prm[THETA] and not (prm[ABS_INH] > 0.0 and gi > 0.0):
            x = 1.0
        else:
            x = 0.0
    return x, 0.0, 0.0, 0, x > 0.5


mcculloch_pitts_update_numba = njit(cache=True)(_mcculloch_pitts_update)     # one source, compiled twice


def mcculloch_pitts_step_numpy(v, ge, gi, ref, i_ext, prm, seed, step, index):
    """Vectorised reference for a segment (views, in place); returns the active mask."""
    if prm[P_UPDATE] >= 1.0:
        update = np.ones(v.shape, dtype=bool)
    else:
        update = uniform_numpy(seed, STREAM_MP_UPDATE, step, index) < prm[P_UPDATE]
    fire = ge - gi + i_ext >= prm[THETA]
    if prm[ABS_INH] > 0.0:
        fire &= ~(gi > 0.0)
    v[update] = fire[update].astype(v.dtype)
    ge[:] = 0.0
    gi[:] = 0.0
    return v > 0.5


# backend -> step; the CUDA backend compiles the plain rule as a device function
# (kernels.simulate_cuda, imported only when it is used)
STEP = {"numpy": mcculloch_pitts_step_numpy, "numba": mcculloch_pitts_update_numba, "cuda": _mcculloch_pitts_update}


def inert(row):
    """A copy of the parameter ``row`` whose neurons never fire (the neurons that an
    MPI rank on a GPU carries for others)."""
    row = row.copy()
    row[THETA] = np.inf
    row[P_UPDATE] = 1.0
    return row
