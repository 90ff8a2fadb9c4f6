"""The whole time loop of a network, compiled by numba (the CPU backend's engine).

One call advances ``n_steps`` steps without returning to Python. Each step
follows docs/design.md, "The time step (Brian2's schedule)":

1. injected currents for this step; state monitors sample (before the update);
2. state update and threshold of every neuron segment (parallel over neurons), by
   the segment's model (``_model_set``, rendered from the models' kernels);
3. sources fire: neurons in ascending order, then Poisson and generator sources;
4. propagation into the delay ring buffer, then Poisson drives, then the current
   slot of the buffer is applied by each model's rule (delta synapses: to ``v``
   unless refractory);
5. spikes and population counts are recorded.

Arrays arrive packed in the named tuples defined here so the signature stays
readable; the numpy backend walks through the same steps with the reference
kernels.
"""
from collections import namedtuple

import numpy as np
from numba import njit, prange

from ._jit import step_helper
from ._layout import STREAM_POISSON_GROUP, STREAM_POISSON_INPUT, VAR_SYNAPSE
from ._model_set import apply_slot_dense, jumps, receive_jump, update_range
from ._rng import step_key
from .plasticity import plasticity_step, sample_synapse
from .elements import drive_events, injected_current, next_source, receive_synaptic, sample
from .procedural import deliver_procedural
from .propagate import propagate_numba

# aux: the models' extra state variables, one row each (rows shared by the models
# of a network); seg_code: the index of a segment's model in the network's model set
Neurons = namedtuple("Neurons", "v ge gi ref aux i_bias i_ext spiked buffer "
                                "seg_lo seg_hi seg_code seg_prm seg_hoff nrn_prm")
# block_lo, thresholds: the Poisson sources' blocks (kernels.poisson_sources)
Sources = namedtuple("Sources", "p_fire gen_step gen_source fired block_lo thresholds")
# weight: one per synapse, or a table that weight_code (uint8, one per synapse; else
# empty) indexes (kernels.propagate)
Synapses = namedtuple("Synapses", "indptr target weight delay weight_code")
# drives and currents act on contiguous ranges [lo, hi) of neurons (a group or a slice)
# (each drive's Poisson tables: kernels.poisson; n_sub draws per target and step)
Drives = namedtuple("Drives", "lo hi channel weight n_sub k_lo k_max t_ptr g_ptr shift "
                              "thresholds guide")
Currents = namedtuple("Currents", "lo hi vptr values n_rows n_cols ratio")
Recorders = namedtuple("Recorders", "mask spike_i spike_step st_var st_idx st_every st_off "
                                    "st_count st_buf rate_lo rate_hi rate_buf")


class Arrays:
    """Everything the backends touch: the named groups above, the counters, the
    offsets of the populations, the number of neurons ``n``, the shortest delay
    ``min_delay`` (steps; None without synapses), the network's ``model_set``
    (kernels, indexed by ``seg_code``) and the ``cache_dir`` of engines generated for
    models beyond the built-in ones."""

    def __init__(self, **parts):
        self.__dict__.update(parts)

    def engine(self, name):
        """The engine module ``name`` (``'simulate'``, ``'simulate_mpi'``,
        ``'simulate_cuda'``) compiled for this network's models."""
        # resolved once per network: for models beyond the built-in ones that hashes
        # their sources, which the run loop would otherwise repeat for every slice
        engines = self.__dict__.setdefault("_engines", {})
        if name not in engines:
            from ._dispatch import engine_module
            engines[name] = engine_module(self.model_set, name, self.cache_dir,
                                          per_neuron=bool(self.neurons.nrn_prm.shape[0]))
        return engines[name]


@step_helper
def _update_neurons(nr, seed, step, with_current):
    for g in range(nr.seg_lo.size):
        update_range(nr, nr.seg_code[g], nr.seg_prm[g], nr.seg_lo[g], nr.seg_hi[g], seed, step,
                     with_current, nr.seg_hoff[g])


@njit(cache=True, parallel=True)
def _update_neurons_parallel(nr, seed, step, n_threads, with_current):
    # Entering a parallel function costs tens of microseconds per call, which is
    # why the serial path above exists and the caller picks by network size.
    for g in range(nr.seg_lo.size):
        lo, hi = nr.seg_lo[g], nr.seg_hi[g]
        size = (hi - lo + n_threads - 1) // n_threads
        for c in prange(n_threads):
            update_range(nr, nr.seg_code[g], nr.seg_prm[g], lo + c * size,
                         min(hi, lo + (c + 1) * size), seed, step, with_current,
                         nr.seg_hoff[g])


@njit(cache=True)
def _pending_input(buffer):
    """Where the delay ring buffer holds input: ``(touched, n_touched)`` per slot.

    Built once per call from the buffer itself (which every backend leaves
    consistent), then kept up to date by the deliveries, so that applying a slot
    visits only the entries that received input instead of all ``2 n``: at a few
    hertz that is a few percent of them. A list holds at most a sixteenth of the
    slot; a full list means "apply the whole slot" (a dense pass is cheaper then).
    """
    depth, width = buffer.shape
    touched = np.empty((depth, max(1, width // 16)), dtype=np.int32)
    n_touched = np.zeros(depth, dtype=np.int64)
    for slot in range(depth):
        for t in range(width):
            if buffer[slot, t] != 0 and n_touched[slot] < touched.shape[1]:
                touched[slot, n_touched[slot]] = t
                n_touched[slot] += 1
    return touched, n_touched


@step_helper
def _apply_slot(nr, jump, slot, touched, n_touched):
    # Adds the input held in the slot to the synaptic variables and empties it.
    if n_touched[slot] >= touched.shape[1]:
        apply_slot_dense(nr, slot)
    else:
        _apply_slot_sparse(nr, jump, slot, touched, n_touched[slot])
    n_touched[slot] = 0


@step_helper
def _apply_slot_sparse(nr, jump, slot, touched, count):
    # Only the listed entries: the same additions as the dense pass, which adds
    # 0 everywhere else. A neuron whose input jumps on v (``jump[k]``: its model,
    # else -1) takes both channels at once, as in the dense pass; a second visit
    # adds 0.
    n = np.uint64(nr.v.size)
    buf = nr.buffer
    for m in range(count):
        t = np.uint64(touched[slot, m])     # unsigned: no negative-index handling
        k = t - n if t >= n else t
        if jump[k] >= 0:
            nr.v[k] = receive_jump(jump[k], nr.v[k], nr.ref[k], nr.spiked[k], buf[slot, k],
                                   buf[slot, n + k])
            buf[slot, k] = 0
            buf[slot, n + k] = 0
        elif t < n:
            nr.ge[k] = receive_synaptic(nr.ge[k], buf[slot, t])
            buf[slot, t] = 0
        else:
            nr.gi[k] = receive_synaptic(nr.gi[k], buf[slot, t])
            buf[slot, t] = 0


@step_helper
def _injected_currents(nr, cur, step):
    # i_ext is a copy of i_bias (set by the build) unless time-varying currents exist
    if cur.n_rows.size == 0:
        return
    for k in range(nr.v.size):
        nr.i_ext[k] = injected_current(k, step, nr.i_bias[k], cur.lo, cur.hi, cur.vptr,
                                       cur.values, cur.n_rows, cur.n_cols, cur.ratio)


@step_helper
def _poisson_drives(nr, drv, seed, step, slot, lo, hi, touched, n_touched, cap):
    # The drives' input to the neurons lo..hi-1 (all of them here, a thread's in
    # simulate_threads), listed in touched[slot] up to cap entries. Without a branch
    # on the count (0 for a sixth of the targets at a mean of 2: a branch that the
    # processor cannot predict), and with the list's length in a register (the
    # buffer's stores would reload it): the drives of PD14 1.5x faster.
    n = nr.v.size
    row = nr.buffer[slot]
    listed = n_touched[slot]
    for d in range(drv.lo.size):
        key = step_key(seed, STREAM_POISSON_INPUT + d, step)
        first, weight = drv.lo[d], drv.weight[d]
        base = np.uint64(drv.channel[d] * n)
        for k in range(max(lo, first), min(hi, drv.hi[d])):
            count = drive_events(d, k - first, key, drv.n_sub, drv.t_ptr, drv.g_ptr,
                                 drv.shift, drv.k_lo, drv.thresholds, drv.guide)
            t = base + np.uint64(k)         # unsigned: no negative-index handling
            old = row[t]
            add = count * weight
            if listed < cap and old == 0 and add != 0:
                touched[slot, listed] = t
                listed += 1
            row[t] = old + add
    n_touched[slot] = listed


@step_helper
def _sources_fire(src, seed, step, n, firing, n_fire, is_local):
    # block by block (kernels.poisson_sources), appending in ascending order. Under MPI
    # every rank walks every block (a draw per block and step) and fires only its own
    # sources (is_local; empty here: all), so that the draws do not depend on the split
    key = step_key(seed, STREAM_POISSON_GROUP, step)
    for b in range(src.block_lo.size - 1):
        lo, hi = src.block_lo[b], src.block_lo[b + 1]
        s = next_source(lo - 1, lo, hi, b, src.thresholds, key, n, src.fired, src.p_fire)
        while s < hi:
            if is_local.size == 0 or is_local[n + s]:
                firing[n_fire] = n + s
                n_fire += 1
            s = next_source(s, lo, hi, b, src.thresholds, key, n, src.fired, src.p_fire)
        if src.thresholds[b, 0] < 0:        # spike generators: their flags are read
            src.fired[lo:hi] = False
    return n_fire


@step_helper
def _sample_states(nr, rec, pl, step):
    for c in range(rec.st_var.size):
        if step % rec.st_every[c] == 0:
            var, k = rec.st_var[c], rec.st_idx[c]
            if var >= VAR_SYNAPSE:          # a plastic synapse's variable
                x = _sample_synapse(pl, var - VAR_SYNAPSE, k, step)
            else:
                x = sample(var, k, nr.v, nr.ge, nr.gi, nr.aux)
            rec.st_buf[rec.st_off[c] + rec.st_count[c]] = x
            rec.st_count[c] += 1


@step_helper
def _sample_synapse(pl, var, k, step):
    if pl is None:      # no plastic synapse, no such column (pruned when compiled)
        return np.nan
    return sample_synapse(pl, var, k, step)


@step_helper
def _gather_spikes(spiked, firing):
    # Spikes are rare: test eight flags at once (``spiked`` is padded to a multiple
    # of 8), which makes the scan about 8x faster than one flag at a time.
    words = spiked.view(np.uint64)
    n_fire = 0
    for w in range(words.size):
        if words[w] != 0:
            for k in range(8 * w, 8 * w + 8):
                if spiked[k]:
                    firing[n_fire] = k
                    n_fire += 1
    return n_fire


@njit(cache=True)
def simulate_numba(nr, src, syn, drv, cur, rec, pl, pr, counters, seed, step0, n_steps,
                   n_threads):
    """Advance ``n_steps`` steps from ``step0``; returns the number of steps done.

    ``pl``: the plastic synapses (``plasticity.Plastic``), or None where there are
    none; ``pr``: the procedural projections (``procedural.Procedural``), whose rows
    are drawn again for every spike of their sources, after the stored synapses', or
    None.

    ``counters`` holds ``[generator pointer, spikes recorded]``. The loop stops
    early, between steps, when the spike buffer could overflow in the next step;
    the caller grows the buffer and calls again.
    """
    n = nr.v.size
    n_src = src.p_fire.size
    depth = nr.buffer.shape[0]
    firing = np.empty(n + n_src, dtype=np.int64)
    touched, n_touched = _pending_input(nr.buffer)
    # per neuron: its model if its input jumps on v (delta synapses), else -1
    jump = np.full(n, -1, dtype=np.int8)
    for g in range(nr.seg_lo.size):
        if jumps(nr.seg_code[g]):
            jump[nr.seg_lo[g]:nr.seg_hi[g]] = nr.seg_code[g]
    with_current = cur.n_rows.size > 0
    for k in range(n):
        with_current = with_current or nr.i_bias[k] != 0
    worst = 0
    for k in range(n + n_src):
        worst += rec.mask[k]
    all_local = np.zeros(0, np.uint8)   # one process keeps every neuron, source and row
    for i in range(n_steps):
        step = step0 + i
        if counters[1] + worst > rec.spike_i.size:
            return i
        # calls with nothing to do are skipped: each still copies the named tuples'
        # arrays (what a call cost before step_helper: kernels._jit)
        _injected_currents(nr, cur, step)
        if rec.st_var.size:
            _sample_states(nr, rec, pl, step)
        if n_threads > 1:
            _update_neurons_parallel(nr, seed, step, n_threads, with_current)
        else:
            _update_neurons(nr, seed, step, with_current)
        n_fire = _gather_spikes(nr.spiked, firing)
        while counters[0] < src.gen_step.size and src.gen_step[counters[0]] == step:
            src.fired[src.gen_source[counters[0]] - n] = True
            counters[0] += 1
        if src.block_lo.size > 1:
            n_fire = _sources_fire(src, seed, step, n, firing, n_fire, all_local)
        slot = step % depth
        if n_fire:
            propagate_numba(firing, n_fire, step, syn.indptr, syn.target, syn.weight,
                            syn.weight_code, syn.delay, nr.buffer, touched, n_touched)
        # numba drops a branch on an argument that is None, so a network without
        # procedural or plastic synapses is compiled without their code (half the
        # compile time of the loop)
        if pr is not None:
            deliver_procedural(pr, firing, n_fire, step, nr.buffer, touched, n_touched,
                               all_local)
        if pl is not None:
            plasticity_step(pl, firing, n_fire, n, step, nr.buffer, slot, touched, n_touched)
        _poisson_drives(nr, drv, seed, step, slot, 0, n, touched, n_touched, touched.shape[1])
        if n_touched[slot]:             # else the slot holds no input (every entry
            _apply_slot(nr, jump, slot, touched, n_touched)     # that gets some is listed)
        _record(rec, counters, firing, n_fire, i, step)
    return n_steps


@step_helper
def _record(rec, counters, firing, n_fire, i, step):
    # Two separate loops: merged into one, the spike and the rate recording ran
    # 3-4x slower than both apart (1 us per spike in the balanced binary network).
    n_rec = counters[1]
    for m in range(n_fire):
        k = firing[m]
        if rec.mask[k]:
            rec.spike_i[n_rec] = k
            rec.spike_step[n_rec] = step
            n_rec += 1
    counters[1] = n_rec
    for r in range(rec.rate_lo.size):
        lo, hi = rec.rate_lo[r], rec.rate_hi[r]
        count = 0
        for m in range(n_fire):
            count += lo <= firing[m] < hi
        rec.rate_buf[i, r] += count
