"""Plastic synapses on the GPU: the CPU's ``plasticity_step`` spread over the phases
of the CUDA step (``simulate_cuda``), with the same element functions of one synapse
(``kernels.plasticity`` and, for the rules with traces per neuron,
``kernels.neuron_traces``, compiled as device functions).

The CPU runs a step's plasticity in one pass after the static deliveries; here each
part goes where the data it needs is complete and no other thread touches what it
writes:

* **fire**: the monitored synapses are sampled (at the start of the step, before
  anything of the step changes them) and the step's slot of the firing queue is
  emptied (its last reader was the previous step's *jump*, or *pre*);
* **deliver** (the step's firing list is complete): the firing sources that have
  plastic synapses enter the queue (an atomic counter; the order within a slot does
  not matter, as each synapse's arithmetic reads only its own state); where the
  origin of the neuron traces moves, every thread brings its share of them to the
  step, and one thread computes the step's factors ``gain`` (``advance_epoch``); at
  the end of a reward window every reward-modulated synapse is caught up (one thread
  a synapse), and one thread adds the dopamine jumps due now;
* **pre** (a grid barrier after *deliver*): the spikes that arrive now, ``d`` steps
  after their source fired, act on their synapses of delay ``d`` (a group of threads
  a source, a synapse a lane); each adds its efficacy to the current slot of the
  delay buffer in fixed point with an int64 atomic, so the sum does not depend on
  the order. A rule with neuron traces has one delay: a group of threads a source
  that arrives now depresses its synapses of the rule (``arrive_by_neuron``), and one
  lane jumps the source's ``r1``, which no thread reads in *pre*. One thread then
  runs the projections' scalar work of the end of the step (dopamine spikes into
  the ring, the window's integral, the level's decay) in the CPU's order of
  floating-point operations;
* **post** (a grid barrier after *pre*, so that a step's arrivals precede its
  postsynaptic spikes): each firing neuron's learning synapses are updated, a group
  of threads a neuron (``post_by_neuron`` for the rules with neuron traces, reading
  the sources' ``r1`` as *pre* left them);
* **jump** (a grid barrier after *post*, only where some rule keeps neuron traces):
  the traces that *pre* and *post* read as they were before the step jump, a thread
  a neuron: ``o1`` (read in *pre*) and ``o2`` (read in *post* by all the neuron's
  synapses) of the neurons that fire now, ``r2`` (read in *pre*) of the sources
  that arrived now.

No synapse is touched by two threads in one phase and there are no floating-point
atomics, so the weights and traces are those of the CPU, bit for bit, where the
device's ``exp`` is the CPU's (numba's simulator; a GPU's libdevice may differ in the
last place, as for the membrane potentials).

The window of reward-modulated STDP restarts in *pre* of the step it ends (the
catch-ups of *deliver* read the old start). Threads of *pre* and *post* take the
start from :func:`_window_now`, which gives the new start whether or not the one
thread that stores it has done so yet, and pass it to the element functions as a
one-element local array, the ``window`` they read. The origin of the neuron traces
(``epoch``) moves likewise: *deliver* rebases from the stored origin and computes the
new one (:func:`_epoch_now`), and one thread of *pre*, where no thread reads it,
stores it.
"""
import math

import numpy as np

from ._cuda import cuda
from ._layout import FIXED_SCALE, VAR_SYNAPSE
from . import neuron_traces as NT
from . import plasticity as P
from .neuron_traces import DOWN, G_O1, G_O2, G_R1, G_R2, UP
from .plasticity import D_DELAY, D_HI, D_JUMP, D_LO, DECAY_D, DT, GAIN_BASELINE, GAIN_D, KIND, \
    REWARD, TAU_C

if cuda is not None:
    on_pre = cuda.jit(device=True)(P._on_pre)
    on_post = cuda.jit(device=True)(P._on_post)
    catch_up = cuda.jit(device=True)(P._catch_up)
    sample_plastic = cuda.jit(device=True)(P.sample_plastic)
    # the rules with traces per neuron (kernels.neuron_traces): the element functions,
    # and the Python functions of two of its step helpers
    rule_scalars = cuda.jit(device=True)(NT._rule_scalars)
    depress = cuda.jit(device=True)(NT._depress)
    potentiate = cuda.jit(device=True)(NT._potentiate)
    jump = cuda.jit(device=True)(NT._jump)
    sample_neuron_trace = cuda.jit(device=True)(NT.sample_neuron_trace.py_func)
    advance_epoch = cuda.jit(device=True)(NT.advance_epoch.py_func)

    @cuda.jit(device=True)
    def _fixed(x):
        """``x`` on the grid of the input sums: ``rint(x * FIXED_SCALE)``, as the CPU
        (``round`` of a float is llrint on the device, half to even)."""
        return round(x * FIXED_SCALE)

    @cuda.jit(device=True)
    def _window_now(step, pl):
        """The start of the reward window that holds ``step`` once the step has
        begun: ``step`` itself where the stored window ends now. Idempotent, so it
        reads the same before and after the store of the new start."""
        start = pl.window[0]
        span = pl.dopamine_integral.shape[1] - 1
        if span > 0 and step - start == span:
            start = step
        return start

    @cuda.jit(device=True)
    def _epoch_now(step, epoch):
        """The origin of the neuron traces once ``step`` has begun: ``step`` itself
        where the stored one is ``epoch[1]`` steps old (``advance_epoch``'s test).
        Idempotent, as :func:`_window_now`."""
        start = epoch[0]
        if step - start >= epoch[1]:
            start = step
        return start

    @cuda.jit(device=True)
    def _source_of(pre_ptr, q):
        """The source of synapse ``q``: the last row that starts at or before it
        (``np.searchsorted(pre_ptr, q, side="right") - 1``, by bisection)."""
        lo, hi = 0, pre_ptr.size - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if pre_ptr[mid] <= q:
                lo = mid
            else:
                hi = mid - 1
        return lo

    @cuda.jit(device=True)
    def _sample_synapse(code, q, step, pl):
        """``kernels.plasticity.sample_synapse``: variable ``code`` of synapse ``q`` at
        the start of ``step``, its traces read from its neurons where its rule keeps
        them per neuron."""
        r = pl.rule[q]
        k = pl.slot[r]
        if k >= 0 and code > 0:
            return sample_neuron_trace(code - 1, _source_of(pl.pre_ptr, q),
                                       pl.target[q] - pl.slot_base[k], k, step, pl.prm, r,
                                       pl.x_pre, pl.x_post, pl.epoch)
        return sample_plastic(code, q, step, pl.w, pl.trace, pl.last, pl.prm, r,
                              pl.dopamine_integral, pl.window)

    # ------------------------------------------------------- fire
    @cuda.jit(device=True)
    def plastic_fire(t, width, step, smp, pl):
        """Sample the monitored synapses (columns ``smp.scol``) and empty the
        step's slot of the queue."""
        if t == 0 and pl.w.size > 0:
            pl.queue_n[step % pl.queue.shape[0]] = 0
        for j in range(t, smp.scol.size, width):
            c = smp.scol[j]
            if step % smp.every[c] == 0:
                smp.buf[smp.off[c] + smp.count[c]] = _sample_synapse(
                    smp.var[c] - VAR_SYNAPSE, smp.idx[c], step, pl)
                smp.count[c] += 1

    # ------------------------------------------------------- deliver
    @cuda.jit(device=True)
    def plastic_deliver(t, width, step, par, dl, pl):
        """Queue the step's firing sources with plastic synapses; the neuron traces'
        origin and factors of the step; at a window's end catch every
        reward-modulated synapse up; the dopamine jumps due now."""
        if pl.w.size == 0:
            return
        now = step % pl.queue.shape[0]
        for j in range(t, dl.fire_count[par], width):
            s = dl.fire_list[par, j]
            if pl.pre_ptr[s + 1] > pl.pre_ptr[s]:
                pl.queue[now, cuda.atomic.add(pl.queue_n, now, 1)] = s
        if pl.slot_rule.size:
            _advance_epoch(t, width, step, pl)
        span = pl.dopamine_integral.shape[1] - 1
        if span == 0:                       # no reward-modulated rule
            return
        if step - pl.window[0] == span:
            for q in range(t, pl.w.size, width):
                if pl.prm[pl.rule[q], KIND] == REWARD:
                    catch_up(q, step, pl.w, pl.trace, pl.last, pl.prm, pl.rule[q],
                             pl.dopamine_integral, pl.window)
        if t == 0:
            e = step % pl.dopamine_due.shape[1]
            for r in range(pl.prm.shape[0]):
                pl.dopamine[r] += pl.dopamine_due[r, e]
                pl.dopamine_due[r, e] = 0.0

    @cuda.jit(device=True)
    def _advance_epoch(t, width, step, pl):
        """``neuron_traces.advance_epoch`` over the grid: where the origin moves, each
        thread brings its share of the traces to the step (``sample_neuron_trace``'s
        product, the one ``advance_epoch`` stores), from the stored origin, which *pre*
        moves; one thread computes the step's factors ``gain``, by ``advance_epoch``
        itself given the origin already moved (so that it rebases nothing)."""
        start = _epoch_now(step, pl.epoch)
        slots, rows = pl.slot_rule.size, pl.x_pre.shape[0]
        if start != pl.epoch[0]:
            n_pre, n_post = pl.x_pre.shape[2], pl.x_post.shape[2]
            per_slot = n_pre + n_post       # a thread an element of x_pre or x_post
            for j in range(t, rows * slots * per_slot, width):
                row, k, i = j // (slots * per_slot), j // per_slot % slots, j % per_slot
                r = pl.slot_rule[k]
                if pl.prm[r, NT.TAUS[2 * row]] <= 0.0:     # (a pair rule has no r2, o2)
                    continue
                if i < n_pre:
                    pl.x_pre[row, k, i] = sample_neuron_trace(
                        2 * row, i, 0, k, step, pl.prm, r, pl.x_pre, pl.x_post, pl.epoch)
                else:
                    pl.x_post[row, k, i - n_pre] = sample_neuron_trace(
                        2 * row + 1, 0, i - n_pre, k, step, pl.prm, r, pl.x_pre, pl.x_post,
                        pl.epoch)
        if t == 0:
            moved = cuda.local.array(2, np.int64)
            moved[0], moved[1] = start, pl.epoch[1]
            advance_epoch(step, moved, pl.slot_rule, pl.prm, pl.x_pre, pl.x_post, pl.gain)

    # ------------------------------------------------------- pre
    @cuda.jit(device=True)
    def plastic_pre(t, width, group, step, par, dl, pl):
        """The spikes that arrive now act on their synapses (efficacy into the
        current slot of ``dl.buffer``, then the presynaptic rule; the rules with
        neuron traces apart, :func:`_arrive_by_neuron`); then one thread advances the
        projections' dopamine."""
        if pl.w.size == 0:
            return
        win = cuda.local.array(1, np.int64)
        win[0] = _window_now(step, pl)
        if t == 0 and win[0] != pl.window[0]:      # the window restarts now
            pl.window[0] = win[0]
            for r in range(pl.prm.shape[0]):
                pl.dopamine_integral[r, 0] = 0.0
        if t == 0 and pl.slot_rule.size:           # (read by no one until the next step)
            pl.epoch[0] = _epoch_now(step, pl.epoch)
        now = step % pl.queue.shape[0]
        slot = step % dl.buffer.shape[0]
        if pl.slot_rule.size < pl.prm.shape[0]:     # some rules keep traces per synapse
            _arrive_by_synapse(t, width, group, step, now, slot, dl.buffer, pl, win)
        _arrive_by_neuron(t, width, group, now, slot, dl.buffer, pl)
        if t == 0 and pl.dopamine_integral.shape[1] > 1:
            _dopamine_advance(step, win[0], par, dl, pl)

    @cuda.jit(device=True)
    def _arrive_by_synapse(t, width, group, step, now, slot, buffer, pl, win):
        """The spikes that arrive now at synapses with traces per synapse, ``d`` steps
        after their source fired, act on their synapses of delay ``d`` (a group of
        threads a source); synapses with neuron traces are left to
        :func:`_arrive_by_neuron`."""
        depth = pl.queue.shape[0]
        lane = t % group
        for d in range(pl.delay_range[0], pl.delay_range[1] + 1):
            e = now - d
            if e < 0:
                e += depth
            for m in range(t // group, pl.queue_n[e], width // group):
                s = pl.queue[e, m]
                for q in range(pl.pre_ptr[s] + lane, pl.pre_ptr[s + 1], group):
                    if pl.delay[q] == d:
                        if pl.slot[pl.rule[q]] < 0:
                            sent = on_pre(q, step, pl.w, pl.trace, pl.last, pl.prm,
                                          pl.rule[q], pl.dopamine_integral, win)
                            cuda.atomic.add(buffer, (slot, pl.target[q]), _fixed(sent))
                    elif pl.delay[q] > d:   # a row is sorted by delay: none further on
                        break

    @cuda.jit(device=True)
    def _dopamine_advance(step, start, par, dl, pl):
        # kernels.plasticity._dopamine_advance, a projection at a time: its equal
        # jumps are added one per spike, as the CPU adds them, whatever the order
        k = step - start
        for r in range(pl.prm.shape[0]):
            if pl.prm[r, KIND] != REWARD:
                continue
            e = (step + np.int64(pl.prm[r, D_DELAY])) % pl.dopamine_due.shape[1]
            for m in range(dl.fire_count[par]):
                s = dl.fire_list[par, m]
                if pl.prm[r, D_LO] <= s < pl.prm[r, D_HI]:
                    pl.dopamine_due[r, e] += pl.prm[r, D_JUMP]
            during = pl.dopamine[r] * pl.prm[r, GAIN_D] - pl.prm[r, GAIN_BASELINE]
            pl.dopamine_integral[r, k + 1] = (pl.dopamine_integral[r, k]
                                             + math.exp(-(k * pl.prm[r, DT]) / pl.prm[r, TAU_C])
                                             * during)
            pl.dopamine[r] = pl.dopamine[r] * pl.prm[r, DECAY_D]

    @cuda.jit(device=True)
    def _arrive_by_neuron(t, width, group, now, slot, buffer, pl):
        """``neuron_traces.arrive_by_neuron`` for every slot, a group of threads a
        source that arrives now: each synapse is depressed by its target's ``o1`` (and
        the source's ``r2``, both as they were before the step) and transmits; one lane
        jumps the source's ``r1``, which no thread reads in this phase (``r2`` and
        ``o1``, read here, jump in :func:`plastic_jump`)."""
        lane = t % group
        depth = pl.queue.shape[0]
        for k in range(pl.slot_rule.size):
            p = rule_scalars(pl.prm, pl.slot_rule[k])
            triplet, last, nearest = p[8], p[9], p[10]
            e = (now - pl.slot_delay[k]) % depth
            g_o1, g_r2 = pl.gain[k, G_O1, DOWN], pl.gain[k, G_R2, DOWN]
            base = pl.slot_base[k]
            for m in range(t // group, pl.queue_n[e], width // group):
                s = pl.queue[e, m]
                r2 = pl.x_pre[1, k, s] * g_r2 if triplet else 0.0
                for q in range(pl.row_lo[k, s] + lane, pl.row_hi[k, s], group):
                    target = pl.target[q]
                    before = pl.w[q]
                    after = depress(before, pl.x_post[0, k, target - base] * g_o1, r2, p)
                    pl.w[q] = after
                    cuda.atomic.add(buffer, (slot, target), _fixed(after if last else before))
                if lane == 0:
                    pl.x_pre[0, k, s] = jump(pl.x_pre[0, k, s], pl.gain[k, G_R1, UP], nearest)

    # ------------------------------------------------------- post
    @cuda.jit(device=True)
    def plastic_post(t, width, group, step, par, n, dl, pl):
        """Each firing neuron's learning synapses take its spike (those of the rules
        with neuron traces: :func:`_post_by_neuron`)."""
        if pl.w.size == 0:
            return
        win = cuda.local.array(1, np.int64)
        win[0] = _window_now(step, pl)
        lane = t % group
        for j in range(t // group, dl.fire_count[par], width // group):
            k = dl.fire_list[par, j]
            if k < n:
                for c in range(pl.col_ptr[k] + lane, pl.col_ptr[k + 1], group):
                    q = pl.col_syn[c]
                    on_post(q, step, pl.w, pl.trace, pl.last, pl.prm, pl.rule[q],
                            pl.dopamine_integral, win)
        _post_by_neuron(t, width, group, par, n, dl, pl)

    @cuda.jit(device=True)
    def _post_by_neuron(t, width, group, par, n, dl, pl):
        """``neuron_traces.post_by_neuron`` for every slot, a group of threads a firing
        neuron: each incoming synapse is potentiated by its source's ``r1`` (jumped in
        *pre* where its spike arrived now) and the neuron's ``o2`` as it was before the
        step, which the neuron's own group alone reads; the neuron's ``o1`` and ``o2``
        jump in :func:`plastic_jump`."""
        lane = t % group
        for k in range(pl.slot_rule.size):
            p = rule_scalars(pl.prm, pl.slot_rule[k])
            triplet = p[8]
            g_r1, g_o2 = pl.gain[k, G_R1, DOWN], pl.gain[k, G_O2, DOWN]
            for m in range(t // group, dl.fire_count[par], width // group):
                j = dl.fire_list[par, m]
                if j >= n:
                    continue
                o2 = pl.x_post[1, k, j] * g_o2 if triplet else 0.0
                for c in range(pl.ncol_ptr[k, j] + lane, pl.ncol_ptr[k, j + 1], group):
                    q = pl.ncol_syn[c]
                    pl.w[q] = potentiate(pl.w[q], pl.x_pre[0, k, pl.ncol_pre[c]] * g_r1, o2, p)

    # ------------------------------------------------------- jump
    @cuda.jit(device=True)
    def plastic_jump(t, width, step, par, n, dl, pl):
        """The neuron traces whose old values *pre* and *post* read jump (a thread a
        neuron): ``o1`` and ``o2`` of the neurons that fire now, ``r2`` of the sources
        whose spikes arrived now."""
        depth = pl.queue.shape[0]
        for k in range(pl.slot_rule.size):
            p = rule_scalars(pl.prm, pl.slot_rule[k])
            triplet, nearest = p[8], p[10]
            for m in range(t, dl.fire_count[par], width):
                j = dl.fire_list[par, m]
                if j < n:
                    pl.x_post[0, k, j] = jump(pl.x_post[0, k, j], pl.gain[k, G_O1, UP], nearest)
                    if triplet:
                        pl.x_post[1, k, j] = jump(pl.x_post[1, k, j], pl.gain[k, G_O2, UP],
                                                  nearest)
            if triplet:
                e = (step - pl.slot_delay[k]) % depth
                for m in range(t, pl.queue_n[e], width):
                    s = pl.queue[e, m]
                    pl.x_pre[1, k, s] = jump(pl.x_pre[1, k, s], pl.gain[k, G_R2, UP], nearest)
