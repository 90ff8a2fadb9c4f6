"""The CUDA engine's model dispatch for the models LIF, LIFDelta, LIFCond, McCullochPitts.

Rendered by neurosim.kernels._dispatch; do not edit (``render`` writes it again).
"""
from neurosim.kernels import elements
from neurosim.kernels._cuda import cuda
from neurosim.kernels._layout import SHARED  # noqa: F401
from neurosim.kernels.models import BUILTIN as _KERNELS

_P0 = _KERNELS[0].Parameters
_P2 = _KERNELS[2].Parameters
_P3 = _KERNELS[3].Parameters

if cuda is not None:
    # the models' rules, compiled as device functions from the same plain Python
    _update_0 = cuda.jit(device=True)(_KERNELS[0].scalar_update)
    _update_2 = cuda.jit(device=True)(_KERNELS[2].scalar_update)
    _update_3 = cuda.jit(device=True)(_KERNELS[3].scalar_update)
    _receive_1 = cuda.jit(device=True)(_KERNELS[1].receive)
    receive_synaptic = cuda.jit(device=True)(elements._receive_synaptic)

    @cuda.jit(device=True)
    def update_one(model, k, v, ge, gi, ref, aux, spiked, table, hoff, i_ext, row, seed, step):
        """Update neuron ``k`` (of model ``model``, parameters ``row``); returns spiked."""
        a, b, c, d, e = v[k], ge[k], gi[k], ref[k], False
        if model == 0 or model == 1:    # LIF, LIFDelta
            p0 = _P0(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10], row[11])
            a, b, c, d, e = _update_0(v[k], ge[k], gi[k], ref[k], i_ext, p0, seed, step, k)
        elif model == 2:    # LIFCond
            p2 = _P2(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9])
            a, b, c, d, e = _update_2(v[k], ge[k], gi[k], ref[k], i_ext, p2, seed, step, k)
        elif model == 3:    # McCullochPitts
            p3 = _P3(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10])
            a, b, c, d, e = _update_3(v[k], ge[k], gi[k], ref[k], i_ext, p3, seed, step, k)
        v[k] = a
        ge[k] = b
        gi[k] = c
        ref[k] = d
        spiked[k] = e
        return e

    @cuda.jit(device=True)
    def receive_one(model, k, slot, n, v, ge, gi, ref, spiked, buffer):
        """Apply slot ``slot`` of the ring buffer to neuron ``k`` and empty it there."""
        if model == 0 or model == 2 or model == 3:    # LIF, LIFCond, McCullochPitts
            ge[k] = receive_synaptic(ge[k], buffer[slot, k])
            gi[k] = receive_synaptic(gi[k], buffer[slot, n + k])
        elif model == 1:    # LIFDelta
            v[k] = _receive_1(v[k], ref[k], spiked[k], buffer[slot, k], buffer[slot, n + k])
        buffer[slot, k] = 0
        buffer[slot, n + k] = 0
