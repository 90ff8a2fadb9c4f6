"""The time loop of one MPI rank's share of a network, compiled by numba.

Every rank holds the whole network's arrays (built identically from the seed)
but updates only its *local* neurons and sources, and holds only the synapses
whose target is local (``syn`` here is that local CSR, still indexed by the
global source index). One call of :func:`advance_numba` is one *interval* of
at most ``min_delay`` steps between two spike exchanges:

1. the spikes that the other ranks emitted in the previous interval (``inbox``)
   are delivered into this rank's ring buffer, at the steps they were emitted:
   their delay is at least the interval length, so none of them is due before
   this interval's first step, and with the exchange after the last step of an
   interval a ring buffer of ``max_delay + 1`` slots suffices (no slot still
   pending is reused);
2. the interval's steps follow Brian2's schedule exactly as
   ``simulate.simulate_numba`` does, for the local neurons only, and the local
   spikes go to ``outbox`` (encoded ``index + n_total * step_in_interval``) for
   the exchange.

Random draws are keyed by global index (``_rng``) and input sums are exact
(fixed point), so a rank computes bit for bit what one process would compute
for the same neurons. The models' rules come through the same model-set module
as the one-process loop (``_model_set``). Neurons are visited as *pieces*: ``range(lo,
hi, stride)`` within one segment (stride 1 for placement by population, the
number of ranks for round-robin placement).
"""
from collections import namedtuple

import numpy as np
from numba import njit

from ._jit import step_helper
from ._layout import STREAM_POISSON_INPUT
from ._model_set import receive_piece, update_piece
from ._rng import step_key
from .plasticity import enqueue, plasticity_step
from .procedural import deliver_procedural, deliver_remote_procedural
from .propagate import synapse_weight
from .elements import drive_events, injected_current, sample
# the one process's (it names no model: an engine package's import of .simulate is
# the built-in one)
from .simulate import _sources_fire

# piece_*: local neurons as range(lo, hi, stride) inside segment ``seg``;
# is_local: 1 for the neurons and sources of this rank (global numbering);
# sources: the global indices of the local sources, ascending;
# scan_lo, scan_hi: 8-neuron words of ``spiked`` that hold every local neuron
Local = namedtuple("Local", "piece_lo piece_hi piece_stride piece_seg is_local sources "
                            "scan_lo scan_hi")


@step_helper
def _update_piece(nr, model, row, lo, hi, stride, seed, step, hoff):
    # by the segment's model (``_model_set``); unsigned bounds and stride 1 for
    # contiguous pieces, which numba compiles without negative-index handling
    if stride == 1:
        update_piece(nr, model, row, np.uint64(lo), np.uint64(hi), np.uint64(1), seed, step,
                     hoff)
    else:
        update_piece(nr, model, row, lo, hi, stride, seed, step, hoff)


@step_helper
def _first_at_or_after(lo, stride, a):
    """Smallest ``k >= a`` of the piece ``range(lo, ., stride)``."""
    if a <= lo:
        return lo
    return lo + ((a - lo + stride - 1) // stride) * stride


@step_helper
def _injected_currents(nr, cur, loc, step):
    if cur.n_rows.size == 0:
        return
    for p in range(loc.piece_lo.size):
        for k in range(loc.piece_lo[p], loc.piece_hi[p], loc.piece_stride[p]):
            nr.i_ext[k] = injected_current(k, step, nr.i_bias[k], cur.lo, cur.hi, cur.vptr,
                                           cur.values, cur.n_rows, cur.n_cols, cur.ratio)


@step_helper
def _sample_states(nr, rec, loc, step):
    # every rank counts every sample; only the owner writes a value (the others
    # leave 0), so the ranks' buffers add up to the one-process buffer
    for c in range(rec.st_var.size):
        if step % rec.st_every[c] == 0:
            k = rec.st_idx[c]
            if loc.is_local[k]:
                rec.st_buf[rec.st_off[c] + rec.st_count[c]] = sample(rec.st_var[c], k, nr.v,
                                                                      nr.ge, nr.gi, nr.aux)
            rec.st_count[c] += 1


@step_helper
def _poisson_drives(nr, drv, loc, seed, step, slot):
    n = nr.v.size
    for d in range(drv.lo.size):
        key = step_key(seed, STREAM_POISSON_INPUT + d, step)
        for p in range(loc.piece_lo.size):
            stride = loc.piece_stride[p]
            start = _first_at_or_after(loc.piece_lo[p], stride, drv.lo[d])
            for k in range(start, min(loc.piece_hi[p], drv.hi[d]), stride):
                count = drive_events(d, k - drv.lo[d], key, drv.n_sub, drv.t_ptr, drv.g_ptr,
                                     drv.shift, drv.k_lo, drv.thresholds, drv.guide)
                # no branch on the count (simulate._poisson_drives says why)
                nr.buffer[slot, drv.channel[d] * n + k] += count * drv.weight[d]


@step_helper
def _apply_slot(nr, loc, slot):
    n = nr.v.size
    exc, inh = nr.buffer[slot, :n], nr.buffer[slot, n:]
    for p in range(loc.piece_lo.size):
        lo, hi, stride = loc.piece_lo[p], loc.piece_hi[p], loc.piece_stride[p]
        model = nr.seg_code[loc.piece_seg[p]]
        if stride == 1:
            receive_piece(nr, model, exc, inh, np.uint64(lo), np.uint64(hi), np.uint64(1))
        else:
            receive_piece(nr, model, exc, inh, lo, hi, stride)


@step_helper
def _deliver(syn, buffer, s, step):
    depth = buffer.shape[0]
    for q in range(syn.indptr[s], syn.indptr[s + 1]):
        buffer[(step + syn.delay[q]) % depth, syn.target[q]] += synapse_weight(
            syn.weight, syn.weight_code, q)


@njit(cache=True)
def advance_numba(nr, src, syn, drv, cur, rec, pl, pr, counters, loc, seed, step0, n_steps,
                  inbox, n_in, inbox_step0, outbox, firing):
    """Deliver ``inbox[:n_in]`` (remote spikes of the interval that began at
    ``inbox_step0``), then advance ``n_steps`` steps from ``step0``.

    A remote spike also enters the plastic synapses' queue at the step it was
    emitted: its delay is at least the interval, so none of its arrivals has
    passed yet. ``pl``: the plastic synapses, or None; ``pr``: the procedural
    projections (``procedural.Procedural``), or None: a spike's row is drawn again
    on every rank, which adds the synapses onto its own neurons (numba compiles the
    loop without the code of either where the argument is None).

    Returns the number of local spikes written to ``outbox``, each encoded as
    ``index + n_total * (step - step0)`` with ``n_total`` neurons plus sources.
    ``outbox`` must hold ``n_steps`` times the local neurons and sources;
    ``firing`` (work space) the local neurons and sources.
    """
    n = nr.v.size
    n_total = n + src.p_fire.size
    for m in range(n_in):
        code = inbox[m]
        s = code % n_total
        if not loc.is_local[s]:        # this rank's own spikes were delivered already
            _deliver(syn, nr.buffer, s, inbox_step0 + code // n_total)
            if pl is not None:      # pruned by numba where there are no plastic synapses
                enqueue(pl, s, inbox_step0 + code // n_total)
    if pr is not None:
        deliver_remote_procedural(pr, inbox, n_in, n_total, loc.is_local, inbox_step0,
                                  nr.buffer)
    depth = nr.buffer.shape[0]
    # no list of touched buffer entries here: the rank applies its slots whole
    touched, n_touched = np.zeros((depth, 0), np.int32), np.zeros(depth, np.int64)
    words = nr.spiked.view(np.uint64)
    n_out = 0
    for i in range(n_steps):
        step = step0 + i
        _injected_currents(nr, cur, loc, step)
        _sample_states(nr, rec, loc, step)
        for p in range(loc.piece_lo.size):
            g = loc.piece_seg[p]
            _update_piece(nr, nr.seg_code[g], nr.seg_prm[g], loc.piece_lo[p], loc.piece_hi[p],
                          loc.piece_stride[p], seed, step, nr.seg_hoff[g])
        n_fire = 0
        for w in range(loc.scan_lo, loc.scan_hi):       # eight flags at a time
            if words[w] != 0:
                for k in range(8 * w, 8 * w + 8):
                    if nr.spiked[k]:
                        firing[n_fire] = k
                        n_fire += 1
        # spike generators: every rank walks the whole list, fires its own sources
        while counters[0] < src.gen_step.size and src.gen_step[counters[0]] == step:
            s = src.gen_source[counters[0]]
            if loc.is_local[s]:
                src.fired[s - n] = True
            counters[0] += 1
        n_fire = _sources_fire(src, seed, step, n, firing, n_fire, loc.is_local)
        slot = step % depth
        for m in range(n_fire):
            _deliver(syn, nr.buffer, firing[m], step)
        if pr is not None:
            deliver_procedural(pr, firing, n_fire, step, nr.buffer, touched, n_touched,
                               loc.is_local)
        if pl is not None:
            plasticity_step(pl, firing, n_fire, n, step, nr.buffer, slot, touched, n_touched)
        _poisson_drives(nr, drv, loc, seed, step, slot)
        _apply_slot(nr, loc, slot)
        for m in range(n_fire):
            outbox[n_out] = firing[m] + n_total * i
            n_out += 1
    return n_out
