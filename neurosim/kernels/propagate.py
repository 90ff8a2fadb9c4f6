"""Spike delivery through CSR synapses into a ring buffer of input accumulators.

Synapses are sorted by source; ``target`` already folds in the channel
(``post + channel * n_neurons``, channel 0 excitatory, 1 inhibitory). A spike of
source ``s`` at step ``t`` adds ``weight`` to ``buffer[(t + delay) % D, target]``.
Weights and the buffer are int64 fixed point (``_layout.FIXED_SCALE``), so the
sums are exact whatever the order of addition, and every backend agrees bit for
bit.

A synapse's weight is its own (``weight[q]``, one per synapse), or, in a network whose
stored projections all have constant weights, shared: ``weight`` is then a table of
at most 256 values and ``weight_code[q]`` (uint8) names synapse ``q``'s entry, 1 byte
a synapse instead of 8 (``neurosim._weights``).
"""
import numpy as np
from numba.extending import register_jitable

from ._jit import step_helper


def _synapse_weight(weight, weight_code, q):
    """The fixed-point weight of synapse ``q``: its own, or where weights are shared
    (``weight_code`` not empty) the table's entry that its code names."""
    return weight[weight_code[q]] if weight_code.size else weight[q]


synapse_weight = register_jitable(_synapse_weight)


@register_jitable
def _weight_at(weight, weight_code, q):
    # the CPU loops' reader: weight_code None where each synapse has its own weight
    if weight_code is None:
        return weight[q]
    return weight[np.uint64(weight_code[q])]


@step_helper
def propagate_numba(sources, n_sources, step, indptr, target, weight, weight_code, delay,
                    buffer, touched, n_touched):
    """Scatter the spikes of ``sources[:n_sources]`` into ``buffer`` (in place).

    Entries that go from empty to holding input are appended to
    ``touched[slot, :n_touched[slot]]``, so that applying a slot visits only them
    (weights are magnitudes, so a filled entry never returns to 0 by addition).
    The list stops growing at ``touched.shape[1]`` entries: the slot is then
    applied as a whole, which is faster when most entries receive input.
    """
    # The loops take the codes as None where each synapse has its own weight: numba
    # then compiles a loop for each form (it drops a branch on an argument that is
    # None), instead of testing the form at every synapse, which cost Brunel A's
    # delivery 7 %; in a loop of its own the 1-byte code is 6 % faster than 8 bytes.
    if buffer.shape[0] == 1:
        if weight_code.size:
            _propagate_undelayed(sources, n_sources, indptr, target, weight, weight_code,
                                 buffer[0], touched[0], n_touched)
        else:
            _propagate_undelayed(sources, n_sources, indptr, target, weight, None, buffer[0],
                                 touched[0], n_touched)
    elif weight_code.size:
        _propagate_delayed(sources, n_sources, indptr, target, weight, weight_code, step, delay,
                           buffer, touched, n_touched)
    else:
        _propagate_delayed(sources, n_sources, indptr, target, weight, None, step, delay,
                           buffer, touched, n_touched)


@step_helper
def _propagate_delayed(sources, n_sources, indptr, target, weight, weight_code, step, delay,
                       buffer, touched, n_touched):
    # The slot is found by one compare instead of an integer % per synapse (a 64-bit
    # division costs tens of cycles, more than the rest of a delivery), and indices are
    # unsigned: numba wraps negative signed indices, a compare and an add per access
    # that halved the rate of deliveries.
    depth = buffer.shape[0]
    cap = touched.shape[1]
    base = step % depth
    for m in range(n_sources):
        s = sources[m]
        for q in range(np.uint64(indptr[s]), np.uint64(indptr[s + 1])):
            slot = base + delay[q]
            if slot >= depth:
                slot -= depth
            t = np.uint64(target[q])
            w = _weight_at(weight, weight_code, q)
            old = buffer[slot, t]
            if n_touched[slot] < cap and old == 0 and w != 0:
                touched[slot, n_touched[slot]] = t
                n_touched[slot] += 1
            buffer[slot, t] = old + w


@step_helper
def _propagate_undelayed(sources, n_sources, indptr, target, weight, weight_code, row, touched,
                         n_touched):
    # Every delay is 0 (one slot): the delays are not read and the list's length
    # stays in a register instead of being reloaded after every store.
    cap = touched.size
    count = n_touched[0]
    for m in range(n_sources):
        s = sources[m]
        for q in range(np.uint64(indptr[s]), np.uint64(indptr[s + 1])):
            t = np.uint64(target[q])
            w = _weight_at(weight, weight_code, q)
            old = row[t]
            if count < cap and old == 0 and w != 0:
                touched[count] = t
                count += 1
            row[t] = old + w
    n_touched[0] = count


def propagate_numpy(sources, step, indptr, target, weight, weight_code, delay, buffer):
    """Reference: the same additions with ``np.add.at``."""
    if len(sources) == 0:
        return
    starts, stops = indptr[sources], indptr[sources + 1]
    lengths = stops - starts
    total = int(lengths.sum())
    if total == 0:
        return
    # synapse ids of all spiking sources, concatenated in order
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    q = offsets + np.arange(total)
    depth, width = buffer.shape
    # int64 before the arithmetic: numpy would keep int16 delays int16, and overflow
    flat = ((step + delay[q].astype(np.int64)) % depth) * width + target[q]
    np.add.at(buffer.reshape(-1), flat, weight[weight_code[q]] if weight_code.size else weight[q])


STEP = {"numpy": propagate_numpy, "numba": propagate_numba}
