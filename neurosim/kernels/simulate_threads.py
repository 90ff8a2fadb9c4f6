"""The whole time loop on several threads: one parallel region per call, threads
that own neurons, and a barrier between the phases of a step.

``simulate.simulate_numba`` enters a parallel region for the neuron update of every
step (tens of microseconds each) and runs the rest of the step on one thread. Here
the threads enter once per call and stay for all its steps. Thread ``t`` owns the
neurons ``[lo[t], hi[t])`` (the last thread also the Poisson and generator sources)
and the synapses whose targets it owns, as a CSR of its own (``Owned``, built on
the host by ``neurosim._thread_plan``). A step, for each thread:

1. injected currents, state monitor samples and the update of its own neurons;
   its spikes, ascending, into its part of the firing list (the list starts at
   ``lo[t]``, so the parts in thread order are the serial loop's list);
2. a barrier: every part of the list is complete;
3. every spike of the whole list delivered into its own targets' ring-buffer
   entries, the Poisson drives of its own targets (keyed per target: the same draws
   for any split), its own entries of the current slot applied; thread 0 records
   the spikes and the population rates.

Nothing else is shared within a step: each thread writes only its own neurons and
buffer entries. The firing list has two copies, used by step parity, so the next
step's writes need no second barrier: a thread writes copy ``p`` again only after
every thread has passed the barrier of the step between, so after every thread
finished reading it. Input sums are exact (fixed point), so the order of additions,
and with it the thread count, changes no bit.

Plastic synapses and procedural projections are not handled here: such networks run
``simulate.simulate_numba``.
"""
from collections import namedtuple

import numpy as np
from numba import njit, prange

from ._jit import step_helper
from ._atomics import (SPINS, atomic_add, atomic_cas, atomic_load, barrier, cpu_yield,
                       seconds_now)
from ._model_set import jumps, receive_jump, receive_piece, update_range
from .elements import injected_current, receive_synaptic, sample
from .propagate import propagate_numba
# the serial loop's, so that the sources fire alike and the drives are written once
# (neither names a model: an engine package's import of .simulate is the built-in one)
from .simulate import _poisson_drives
from .simulate import _sources_fire as _serial_sources_fire

_ALL_LOCAL = np.zeros(0, np.uint8)     # _serial_sources_fire: every source fires here
# lo, hi: the neurons of each thread (multiples of 8 apart from the last hi = n);
# indptr[t, s]: thread t's synapses of source s are [indptr[t, s], indptr[t, s + 1])
# of target, weight, delay
Owned = namedtuple("Owned", "lo hi indptr target weight delay weight_code")
# the shared work space of one call: flags (_atomics' counters), the firing list and
# its parts' lengths by step parity, each thread's lists of buffer entries holding
# input (simulate._pending_input), and jump codes per neuron
_Work = namedtuple("_Work", "flags firing n_part touched n_touched jump")

# the shared flags (int64, one cache line apart): the barrier's counter, the count
# of threads that entered, and the result
_BARRIER, _ENTERED = 0, 8
# give up a start after this many seconds (2-3: time() counts whole seconds) without
# every thread entering: a threading layer that ran the threads one after another
START_SECONDS = 2
ABORTED = -(2 ** 40)
# (thread, step parity) entries of the part counts are a cache line apart
_PAD = 8


@njit(cache=True)
def _enter(flags, n_threads):
    """Whether all ``n_threads`` threads are running at once (else none goes on).

    A thread that waits too long closes the entry by exchanging the count for
    ``ABORTED``: the exchange succeeds only while the count is short, so either all
    threads see the full count or all see it closed."""
    if atomic_add(flags, _ENTERED, 1) < 0:
        return False
    start, checks = seconds_now(), 0
    while True:
        seen = atomic_load(flags, _ENTERED)
        if seen >= n_threads:
            return True
        if seen < 0:
            return False
        checks += 1
        if checks > SPINS:
            cpu_yield()
            if seconds_now() - start > START_SECONDS and \
                    atomic_cas(flags, _ENTERED, seen, ABORTED) == seen:
                return False


@njit(cache=True)
def simulate_threads(nr, src, drv, cur, rec, own, counters, seed, step0, n_steps):
    """Advance ``n_steps`` steps from ``step0`` on ``own.lo.size`` threads; returns the
    number of steps done, as ``simulate.simulate_numba`` does, or -1 if the threads
    did not run at the same time (then nothing was done: run the one-thread loop).

    The caller sets numba's thread count to ``own.lo.size`` (``numba.set_num_threads``:
    one iteration of the parallel loop per thread; called here, it would keep numba
    from caching the loop).
    """
    n_threads = own.lo.size
    depth = nr.buffer.shape[0]
    # allocated here, outside the parallel function: there numba's parfor pass may
    # move an array's initialisation past the parallel loop, which it believes does
    # not write the array (the atomics' stores are invisible to it)
    cap = max(1, 2 * np.max(own.hi - own.lo) // 16)
    work = _Work(flags=np.zeros(16, dtype=np.int64),
                 firing=np.empty((2, nr.v.size + src.p_fire.size), dtype=np.int64),
                 n_part=np.zeros((2, n_threads * _PAD), dtype=np.int64),
                 touched=np.empty((n_threads, depth, cap), dtype=np.int32),
                 n_touched=np.zeros((n_threads, depth + _PAD), dtype=np.int64),
                 jump=_jump_codes(nr))
    with_current = cur.n_rows.size > 0
    for k in range(nr.v.size):
        with_current = with_current or nr.i_bias[k] != 0
    worst = 0
    for k in range(rec.mask.size):
        worst += rec.mask[k]
    done = np.zeros(n_threads, dtype=np.int64)
    _parallel_steps(nr, src, drv, cur, rec, own, counters, seed, step0, n_steps, work,
                    with_current, worst, done)
    return done.min()


@njit(cache=True, parallel=True)
def _parallel_steps(nr, src, drv, cur, rec, own, counters, seed, step0, n_steps, work,
                    with_current, worst, done):
    n_threads = own.lo.size
    for t in prange(n_threads):
        if _enter(work.flags, n_threads):
            done[t] = _steps(t, nr, src, drv, cur, rec, own, counters, seed, step0, n_steps,
                             work, with_current, worst)
        else:
            done[t] = -1


@njit(cache=True)
def _jump_codes(nr):
    # per neuron: its model if its input jumps on v (delta synapses), else -1
    jump = np.full(nr.v.size, -1, dtype=np.int8)
    for g in range(nr.seg_lo.size):
        if jumps(nr.seg_code[g]):
            jump[nr.seg_lo[g]:nr.seg_hi[g]] = nr.seg_code[g]
    return jump


@njit(cache=True)
def _steps(t, nr, src, drv, cur, rec, own, counters, seed, step0, n_steps, work,
           with_current, worst):
    """Thread ``t``'s share of every step (the module's docstring)."""
    flags, firing, n_part, jump = work.flags, work.firing, work.n_part, work.jump
    touched, n_touched = work.touched[t], work.n_touched[t]
    n_threads, n = own.lo.size, nr.v.size
    lo, hi = own.lo[t], own.hi[t]
    depth = nr.buffer.shape[0]
    cap = touched.shape[1]      # the same for every thread (the delivery reads it there)
    _pending_input(nr.buffer, lo, hi, touched, n_touched, cap)
    n_rec = counters[1]
    for i in range(n_steps):
        step = step0 + i
        # every thread counts the recorded spikes, so all stop at the same step
        if n_rec + worst > rec.spike_i.size:
            return i
        p = i & 1
        _injected_currents(nr, cur, step, lo, hi)
        _sample_states(nr, rec, step, lo, hi)
        _update_neurons(nr, seed, step, with_current, lo, hi)
        count = _gather_spikes(nr.spiked, firing[p], lo, hi)
        if t == n_threads - 1:
            count = _sources_fire(src, counters, firing[p], lo + count, n, seed, step) - lo
        n_part[p, t * _PAD] = count
        barrier(flags, _BARRIER, n_threads, i + 1)
        slot = step % depth
        for u in range(n_threads):
            # the serial loop's delivery, on the thread's own synapses (its targets)
            propagate_numba(firing[p, own.lo[u]:], n_part[p, u * _PAD], step, own.indptr[t],
                            own.target, own.weight, own.weight_code, own.delay, nr.buffer,
                            touched, n_touched)
        _poisson_drives(nr, drv, seed, step, slot, lo, hi, touched, n_touched, cap)
        _apply_slot(nr, jump, slot, lo, hi, touched, n_touched, cap)
        for u in range(n_threads):
            part = firing[p, own.lo[u]:own.lo[u] + n_part[p, u * _PAD]]
            if t == 0:
                _record(rec, part, i, step, n_rec)
            for m in range(part.size):
                n_rec += rec.mask[part[m]]
        if t == 0:
            counters[1] = n_rec
    return n_steps


@step_helper
def _pending_input(buffer, lo, hi, touched, n_touched, cap):
    # the entries of [lo, hi) (both channels) that hold input, per slot, as
    # simulate._pending_input for the whole buffer
    depth, n = buffer.shape[0], buffer.shape[1] // 2
    for slot in range(depth):
        for c in range(2):
            for k in range(c * n + lo, c * n + hi):
                if buffer[slot, k] != 0 and n_touched[slot] < cap:
                    touched[slot, n_touched[slot]] = k
                    n_touched[slot] += 1


@step_helper
def _injected_currents(nr, cur, step, lo, hi):
    if cur.n_rows.size == 0:
        return
    for k in range(lo, hi):
        nr.i_ext[k] = injected_current(k, step, nr.i_bias[k], cur.lo, cur.hi, cur.vptr,
                                       cur.values, cur.n_rows, cur.n_cols, cur.ratio)


@step_helper
def _sample_states(nr, rec, step, lo, hi):
    # each sample has one owner: the thread of its neuron
    for c in range(rec.st_var.size):
        k = rec.st_idx[c]
        if lo <= k < hi and step % rec.st_every[c] == 0:
            rec.st_buf[rec.st_off[c] + rec.st_count[c]] = sample(rec.st_var[c], k, nr.v,
                                                                  nr.ge, nr.gi, nr.aux)
            rec.st_count[c] += 1


@step_helper
def _update_neurons(nr, seed, step, with_current, lo, hi):
    for g in range(nr.seg_lo.size):
        a, b = max(lo, nr.seg_lo[g]), min(hi, nr.seg_hi[g])
        if a < b:
            update_range(nr, nr.seg_code[g], nr.seg_prm[g], a, b, seed, step, with_current,
                         nr.seg_hoff[g])


@step_helper
def _gather_spikes(spiked, firing, lo, hi):
    # eight flags at a time, as simulate._gather_spikes; the thread's neurons start
    # on a word (lo is a multiple of 8), and only the last thread's end is not one
    words = spiked.view(np.uint64)
    count = 0
    for w in range(lo // 8, (hi + 7) // 8):
        if words[w] != 0:
            for k in range(8 * w, min(8 * w + 8, hi)):
                if spiked[k]:
                    firing[lo + count] = k
                    count += 1
    return count


@step_helper
def _sources_fire(src, counters, firing, at, n, seed, step):
    """Generators' and Poisson sources' spikes of ``step`` into ``firing`` from ``at``,
    as the serial loop fires them; returns where the list ends."""
    while counters[0] < src.gen_step.size and src.gen_step[counters[0]] == step:
        src.fired[src.gen_source[counters[0]] - n] = True
        counters[0] += 1
    return _serial_sources_fire(src, seed, step, n, firing, at, _ALL_LOCAL)


@step_helper
def _apply_slot(nr, jump, slot, lo, hi, touched, n_touched, cap):
    # the thread's entries of the slot: listed ones, or all when the list is full
    if n_touched[slot] >= cap:
        _apply_slot_dense(nr, slot, lo, hi)
    else:
        _apply_slot_sparse(nr, jump, slot, touched, n_touched[slot])
    n_touched[slot] = 0


@step_helper
def _apply_slot_dense(nr, slot, lo, hi):
    n = nr.v.size
    exc, inh = nr.buffer[slot, :n], nr.buffer[slot, n:]
    for g in range(nr.seg_lo.size):
        a, b = max(lo, nr.seg_lo[g]), min(hi, nr.seg_hi[g])
        if a < b:
            receive_piece(nr, nr.seg_code[g], exc, inh, np.uint64(a), np.uint64(b),
                          np.uint64(1))


@step_helper
def _apply_slot_sparse(nr, jump, slot, touched, count):
    # as simulate._apply_slot_sparse, with this engine's models: in an engine package
    # for other models an import from simulate resolves to the built-in models' engine
    # (kernels._dispatch makes it absolute), whose receive_jump knows only those
    n = np.uint64(nr.v.size)
    buf = nr.buffer
    for m in range(count):
        e = np.uint64(touched[slot, m])
        k = e - n if e >= n else e
        if jump[k] >= 0:
            nr.v[k] = receive_jump(jump[k], nr.v[k], nr.ref[k], nr.spiked[k], buf[slot, k],
                                   buf[slot, n + k])
            buf[slot, k] = 0
            buf[slot, n + k] = 0
        elif e < n:
            nr.ge[k] = receive_synaptic(nr.ge[k], buf[slot, e])
            buf[slot, e] = 0
        else:
            nr.gi[k] = receive_synaptic(nr.gi[k], buf[slot, e])
            buf[slot, e] = 0


@step_helper
def _record(rec, part, i, step, n_rec):
    # simulate._record for one thread's part of the list, from record n_rec on
    for m in range(part.size):
        k = part[m]
        if rec.mask[k]:
            rec.spike_i[n_rec] = k
            rec.spike_step[n_rec] = step
            n_rec += 1
    for r in range(rec.rate_lo.size):
        lo, hi = rec.rate_lo[r], rec.rate_hi[r]
        count = 0
        for m in range(part.size):
            count += lo <= part[m] < hi
        rec.rate_buf[i, r] += count
