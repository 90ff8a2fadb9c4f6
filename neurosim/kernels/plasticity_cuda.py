"""Plastic synapses on the GPU: the CPU's ``plasticity_step`` spread over the phases
of the CUDA step (``simulate_cuda``), with the same element functions of one synapse
(``kernels.plasticity``, compiled as device functions).

The CPU runs a step's plasticity in one pass after the static deliveries; here each
part goes where the data it needs is complete and no other thread touches what it
writes:

* **fire**: the monitored synapses are sampled (at the start of the step, before
  anything of the step changes them) and the step's slot of the firing queue is
  emptied (its last reader was the previous step's *pre*);
* **deliver** (the step's firing list is complete): the firing sources that have
  plastic synapses enter the queue (an atomic counter; the order within a slot does
  not matter, as each synapse's arithmetic reads only its own state); at the end
  of a reward window every reward-modulated synapse is caught up (one thread a
  synapse), and one thread adds the dopamine jumps due now;
* **pre** (a grid barrier after *deliver*): the spikes that arrive now, ``d`` steps
  after their source fired, act on their synapses of delay ``d`` (a group of threads
  a source, a synapse a lane); each adds its efficacy to the current slot of the
  delay buffer in fixed point with an int64 atomic, so the sum does not depend on
  the order. One thread then runs the projections' scalar work of the end of the
  step (dopamine spikes into the ring, the window's integral, the level's decay) in
  the CPU's order of floating-point operations;
* **post** (a grid barrier after *pre*, so that a step's arrivals precede its
  postsynaptic spikes): each firing neuron's learning synapses are updated, a group
  of threads a neuron.

No synapse is touched by two threads in one phase and there are no floating-point
atomics, so the weights and traces are those of the CPU, bit for bit, where the
device's ``exp`` is the CPU's (numba's simulator; a GPU's libdevice may differ in the
last place, as for the membrane potentials).

The window of reward-modulated STDP restarts in *pre* of the step it ends (the
catch-ups of *deliver* read the old start). Threads of *pre* and *post* take the
start from :func:`_window_now`, which gives the new start whether or not the one
thread that stores it has done so yet, and pass it to the element functions as a
one-element local array, the ``window`` they read.
"""
import math

import numpy as np

from ._cuda import cuda
from ._layout import FIXED_SCALE, VAR_SYNAPSE
from . import plasticity as P
from .plasticity import D_DELAY, D_HI, D_JUMP, D_LO, DECAY_D, DT, GAIN_BASELINE, GAIN_D, KIND, \
    REWARD, TAU_C

if cuda is not None:
    on_pre = cuda.jit(device=True)(P._on_pre)
    on_post = cuda.jit(device=True)(P._on_post)
    catch_up = cuda.jit(device=True)(P._catch_up)
    sample_plastic = cuda.jit(device=True)(P.sample_plastic)

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
                q = smp.idx[c]
                smp.buf[smp.off[c] + smp.count[c]] = sample_plastic(
                    smp.var[c] - VAR_SYNAPSE, q, step, pl.w, pl.trace, pl.last, pl.prm,
                    pl.rule[q], pl.dopamine_integral, pl.window)
                smp.count[c] += 1

    # ------------------------------------------------------- deliver
    @cuda.jit(device=True)
    def plastic_deliver(t, width, step, par, dl, pl):
        """Queue the step's firing sources with plastic synapses; at a window's end
        catch every reward-modulated synapse up; the dopamine jumps due now."""
        if pl.w.size == 0:
            return
        now = step % pl.queue.shape[0]
        for j in range(t, dl.fire_count[par], width):
            s = dl.fire_list[par, j]
            if pl.pre_ptr[s + 1] > pl.pre_ptr[s]:
                pl.queue[now, cuda.atomic.add(pl.queue_n, now, 1)] = s
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

    # ------------------------------------------------------- pre
    @cuda.jit(device=True)
    def plastic_pre(t, width, group, step, par, dl, pl):
        """The spikes that arrive now act on their synapses (efficacy into the
        current slot of ``dl.buffer``, then the presynaptic rule); then one thread
        advances the projections' dopamine."""
        if pl.w.size == 0:
            return
        win = cuda.local.array(1, np.int64)
        win[0] = _window_now(step, pl)
        if t == 0 and win[0] != pl.window[0]:      # the window restarts now
            pl.window[0] = win[0]
            for r in range(pl.prm.shape[0]):
                pl.dopamine_integral[r, 0] = 0.0
        depth = pl.queue.shape[0]
        now = step % depth
        slot = step % dl.buffer.shape[0]
        lane = t % group
        for d in range(pl.delay_range[0], pl.delay_range[1] + 1):
            e = now - d
            if e < 0:
                e += depth
            for m in range(t // group, pl.queue_n[e], width // group):
                s = pl.queue[e, m]
                for q in range(pl.pre_ptr[s] + lane, pl.pre_ptr[s + 1], group):
                    if pl.delay[q] == d:
                        sent = on_pre(q, step, pl.w, pl.trace, pl.last, pl.prm, pl.rule[q],
                                      pl.dopamine_integral, win)
                        cuda.atomic.add(dl.buffer, (slot, pl.target[q]), _fixed(sent))
                    elif pl.delay[q] > d:   # a row is sorted by delay: none further on
                        break
        if t == 0 and pl.dopamine_integral.shape[1] > 1:
            _dopamine_advance(step, win[0], par, dl, pl)

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

    # ------------------------------------------------------- post
    @cuda.jit(device=True)
    def plastic_post(t, width, group, step, par, n, dl, pl):
        """Each firing neuron's learning synapses take its spike."""
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
