"""The engines' model dispatch for the models LIF, LIFDelta, LIFCond, McCullochPitts.

Rendered by neurosim.kernels._dispatch; do not edit (``render`` writes it again).
"""
import numpy as np
from numba import njit

from neurosim.kernels._jit import step_helper
from neurosim.kernels._layout import SHARED  # noqa: F401
from neurosim.kernels.elements import receive_synaptic
from neurosim.kernels.models import BUILTIN as _KERNELS

# the models' rules, compiled for the CPU, and their parameter tuples
_update_0 = njit(_KERNELS[0].scalar_update)
_P0 = _KERNELS[0].Parameters
_update_2 = njit(_KERNELS[2].scalar_update)
_P2 = _KERNELS[2].Parameters
_update_3 = njit(_KERNELS[3].scalar_update)
_P3 = _KERNELS[3].Parameters
_receive_1 = njit(inline="always")(_KERNELS[1].receive)


@step_helper
def update_range(nr, model, row, lo, hi, seed, step, with_current, hoff):
    """Update neurons ``[lo, hi)`` of one segment of model ``model`` for ``step``.

    One loop per model, so each inner loop is a single straight-line update that
    vectorises. Unsigned indices spare numba's negative-index handling, which
    blocks vectorisation. Without injected currents the loop of a model with
    ``current_free_loop`` skips reading i_ext (one array less to stream through
    the cache); x + 0 == x, so the result is the same bit for bit.
    """
    v, ge, gi, ref, i_ext, spiked, aux = nr.v, nr.ge, nr.gi, nr.ref, nr.i_ext, nr.spiked, nr.aux
    table = nr.nrn_prm
    start, stop = np.uint64(lo), np.uint64(hi)
    if model == 0 or model == 1:    # LIF, LIFDelta
        p0 = _P0(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10], row[11])
        if with_current:
            for k in range(start, stop):
                v[k], ge[k], gi[k], ref[k], spiked[k] = _update_0(v[k], ge[k], gi[k], ref[k], i_ext[k], p0, seed, step, k)
        else:
            zero = i_ext.dtype.type(0)
            for k in range(start, stop):
                v[k], ge[k], gi[k], ref[k], spiked[k] = _update_0(v[k], ge[k], gi[k], ref[k], zero, p0, seed, step, k)
    elif model == 2:    # LIFCond
        p2 = _P2(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9])
        if with_current:
            for k in range(start, stop):
                v[k], ge[k], gi[k], ref[k], spiked[k] = _update_2(v[k], ge[k], gi[k], ref[k], i_ext[k], p2, seed, step, k)
        else:
            zero = i_ext.dtype.type(0)
            for k in range(start, stop):
                v[k], ge[k], gi[k], ref[k], spiked[k] = _update_2(v[k], ge[k], gi[k], ref[k], zero, p2, seed, step, k)
    elif model == 3:    # McCullochPitts
        p3 = _P3(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10])
        for k in range(start, stop):
            v[k], ge[k], gi[k], ref[k], spiked[k] = _update_3(v[k], ge[k], gi[k], ref[k], i_ext[k], p3, seed, step, k)


@step_helper
def update_piece(nr, model, row, start, stop, stride, seed, step, hoff):
    """Update the neurons ``range(start, stop, stride)`` of one segment (an MPI rank's
    piece of it)."""
    v, ge, gi, ref, i_ext, spiked, aux = nr.v, nr.ge, nr.gi, nr.ref, nr.i_ext, nr.spiked, nr.aux
    table = nr.nrn_prm
    if model == 0 or model == 1:    # LIF, LIFDelta
        p0 = _P0(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10], row[11])
        for k in range(start, stop, stride):
            v[k], ge[k], gi[k], ref[k], spiked[k] = _update_0(v[k], ge[k], gi[k], ref[k], i_ext[k], p0, seed, step, k)
    elif model == 2:    # LIFCond
        p2 = _P2(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9])
        for k in range(start, stop, stride):
            v[k], ge[k], gi[k], ref[k], spiked[k] = _update_2(v[k], ge[k], gi[k], ref[k], i_ext[k], p2, seed, step, k)
    elif model == 3:    # McCullochPitts
        p3 = _P3(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10])
        for k in range(start, stop, stride):
            v[k], ge[k], gi[k], ref[k], spiked[k] = _update_3(v[k], ge[k], gi[k], ref[k], i_ext[k], p3, seed, step, k)


@step_helper
def apply_slot_dense(nr, slot):
    """Apply slot ``slot`` of the ring buffer to every neuron, segment by segment by
    its model's rule (one loop each, so that each vectorises), and empty it."""
    n = np.uint64(nr.v.size)
    exc, inh = nr.buffer[slot, :n], nr.buffer[slot, n:]
    v, ge, gi, ref, spiked = nr.v, nr.ge, nr.gi, nr.ref, nr.spiked
    for g in range(nr.seg_lo.size):
        model = nr.seg_code[g]
        start, stop = np.uint64(nr.seg_lo[g]), np.uint64(nr.seg_hi[g])
        if model == 0 or model == 2 or model == 3:    # LIF, LIFCond, McCullochPitts
            for k in range(start, stop):
                ge[k] = receive_synaptic(ge[k], exc[k])
                gi[k] = receive_synaptic(gi[k], inh[k])
                exc[k] = 0
                inh[k] = 0
        elif model == 1:    # LIFDelta
            for k in range(start, stop):
                v[k] = _receive_1(v[k], ref[k], spiked[k], exc[k], inh[k])
                exc[k] = 0
                inh[k] = 0


@step_helper
def receive_piece(nr, model, exc, inh, start, stop, stride):
    """The same for the neurons ``range(start, stop, stride)`` (an MPI rank's piece)."""
    v, ge, gi, ref, spiked = nr.v, nr.ge, nr.gi, nr.ref, nr.spiked
    if model == 0 or model == 2 or model == 3:    # LIF, LIFCond, McCullochPitts
        for k in range(start, stop, stride):
            ge[k] = receive_synaptic(ge[k], exc[k])
            gi[k] = receive_synaptic(gi[k], inh[k])
            exc[k] = 0
            inh[k] = 0
    elif model == 1:    # LIFDelta
        for k in range(start, stop, stride):
            v[k] = _receive_1(v[k], ref[k], spiked[k], exc[k], inh[k])
            exc[k] = 0
            inh[k] = 0


@njit(cache=True, inline="always")
def jumps(model):
    """Whether the input of model ``model`` jumps on ``v`` (its own ``receive`` rule)."""
    return model == 1


@njit(cache=True, inline="always")
def receive_jump(model, v, ref, spiked, exc, inh):
    """``v`` of one neuron of jump model ``model`` after the input ``exc``, ``inh``."""
    if model == 1:
        return _receive_1(v, ref, spiked, exc, inh)
    return v
