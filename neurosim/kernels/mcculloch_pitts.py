"""McCulloch-Pitts binary threshold unit (numpy reference and numba twin).

.. math::
    x_i \\leftarrow H\\Big(\\sum_j w^E_{ij} x_j - \\sum_j w^I_{ij} x_j + i_{ext} - \\theta\\Big),
    \\quad H(0) = 1

The summed input of the previous step sits in the excitatory and inhibitory
accumulators (``ge``, ``gi``); they are emptied by the update. With absolute
inhibition any active inhibitory input keeps the unit at 0 (McCulloch & Pitts
1943). In the asynchronous mode each unit updates in a step with probability
``p_update`` (= dt/tau), drawn from the counter-based generator, and otherwise
keeps its state. An active unit emits a spike every step it is active.
"""
import numpy as np

from ._layout import STREAM_MP_UPDATE
from ._rng import uniform, uniform_numpy

# the parameters of a step, as the update reads them (p.theta); models/mcculloch_pitts.py
# derives them. Rows keep the layout of earlier releases (checkpoints): the
# unused slots are 0.
PARAMETERS = ("unused_0", "unused_1",
              "theta",              # threshold on the net input, less a tie tolerance
              "unused_3", "unused_4", "unused_5", "unused_6", "unused_7", "unused_8",
              "p_update",           # probability that a unit updates in a step (1: synchronous)
              "absolute_inhibition")  # 1.0: any active inhibitory input vetoes the unit


def mcculloch_pitts_update(v, ge, gi, ref, i_ext, p, seed, step, k):
    """One unit, one step. Returns ``(x, 0, 0, 0, active)``. Plain Python."""
    x = v
    if p.p_update >= 1.0 or uniform(seed, STREAM_MP_UPDATE, step, k) < p.p_update:
        if ge - gi + i_ext >= p.theta and not (p.absolute_inhibition > 0.0 and gi > 0.0):
            x = 1.0
        else:
            x = 0.0
    return x, 0.0, 0.0, 0, x > 0.5


def mcculloch_pitts_update_numpy(v, ge, gi, ref, i_ext, p, seed, step, index):
    """Vectorised reference for a segment (views, in place); returns the active mask."""
    if p.p_update >= 1.0:
        update = np.ones(v.shape, dtype=bool)
    else:
        update = uniform_numpy(seed, STREAM_MP_UPDATE, step, index) < p.p_update
    fire = ge - gi + i_ext >= p.theta
    if p.absolute_inhibition > 0.0:
        fire &= ~(gi > 0.0)
    v[update] = fire[update].astype(v.dtype)
    ge[:] = 0.0
    gi[:] = 0.0
    return v > 0.5


def inert(row):
    """A copy of the parameter ``row`` whose neurons never fire (the neurons that an
    MPI rank on a GPU carries for others)."""
    row = row.copy()
    row[PARAMETERS.index("theta")] = np.inf
    row[PARAMETERS.index("p_update")] = 1.0
    return row
