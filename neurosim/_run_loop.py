"""The run loop: a network advanced chunk by chunk, so that no fault leaves it out of step.

A chunk (about a second of simulated time) is a transaction: the compiled loop
advances the state in place, the monitors then collect (and streaming monitors
write) what it recorded, and only then does the clock move. If anything raises
in between (an ``OSError`` from a full disk, a second Ctrl-C, a bug), the state
and the monitors go back to the end of the last chunk that was fully recorded,
so that continuing gives the spikes of an uninterrupted run.

Ctrl-C is honoured between *slices*: the compiled loop is called for a few
tenths of a second of wall time at a time (the slices of one chunk fill the
same recording buffers, so they cost no extra files or records). A first Ctrl-C
ends the run after the current slice, with what was simulated so far recorded;
a second one stops at once, rolling back to the end of the last whole chunk.
"""
import signal
import sys
import threading
import time

import numpy as np
from numba.core.errors import NumbaError

from ._config import get_config
from ._model_errors import explain_compile_error
from ._snapshot import MUTABLE_NEURON_FIELDS, MUTABLE_PLASTIC_FIELDS
from .kernels.poisson_sources import update_thresholds
from .monitors import RateMonitor, SpikeMonitor, StateMonitor

__all__ = ["run_steps", "prepare_chunk", "collect", "show_progress", "RunInterrupted",
           "NonFiniteStateError"]

# the state arrays that a run changes in place: a snapshot's, less the constant
# currents, which only change between runs
_NEURON_FIELDS = tuple(f for f in MUTABLE_NEURON_FIELDS if f != "i_bias")


class RunInterrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C (SIGINT). The network is consistent where it stopped.

    A subclass of :class:`KeyboardInterrupt`, so a script stops as it would
    anyway; ``t`` and the monitors are at the last step simulated, and the
    next ``run()`` continues from there with the spikes of an uninterrupted run.

    Examples
    --------
    A long run in a script that should keep what it simulated when stopped:

    >>> import neurosim as ns
    >>> from neurosim.units import ms, Hz
    >>> noise = ns.PoissonGroup(10, 50*Hz)
    >>> spikes = ns.SpikeMonitor(noise)
    >>> net = ns.Network(noise, spikes)
    >>> try:
    ...     net.run(100*ms, dt=1*ms, seed=1)
    ... except ns.RunInterrupted as stop:     # Ctrl-C: net.t is where it stopped
    ...     print(stop)
    >>> issubclass(ns.RunInterrupted, KeyboardInterrupt), net.t
    (True, 0.1)
    """


class NonFiniteStateError(FloatingPointError):
    """A state variable became NaN or infinite during a run.

    The message names the group, the neuron, the variable and the step; the
    network is back at the end of its last whole chunk. The check runs after
    every slice of the compiled loop (a fraction of a second of wall time) and
    can be switched off with ``ns.set_config(check_finite=False)``.

    Examples
    --------
    >>> import neurosim as ns
    >>> issubclass(ns.NonFiniteStateError, FloatingPointError)
    True
    """


class ChunkState:
    """The state at the start of a chunk: what a failed chunk goes back to.

    Copies the arrays that the compiled loop changes in place and remembers how
    many chunks each monitor held (a restore removes the files of newer chunks).
    """

    def __init__(self, net):
        a = net._arrays
        self._net = net
        self._neurons = {f: getattr(a.neurons, f).copy() for f in _NEURON_FIELDS}
        self._fired = a.sources.fired.copy()
        self._counters = a.counters.copy()
        self._t_step = net.t_step
        self._monitors = [m._snapshot() for m in net.monitors]
        pl = getattr(a, "plastic", None)
        self._plastic = {} if pl is None or pl.w.size == 0 else {
            f: getattr(pl, f).copy() for f in MUTABLE_PLASTIC_FIELDS}

    def roll_back(self):
        """Put the network and its monitors back to this state."""
        a = self._net._arrays
        for f, arr in self._neurons.items():
            getattr(a.neurons, f)[...] = arr
        a.sources.fired[...] = self._fired
        a.counters[...] = self._counters
        self._net.t_step = self._t_step
        for m, snap in zip(self._net.monitors, self._monitors):
            m._restore(snap)
        for f, arr in self._plastic.items():
            getattr(a.plastic, f)[...] = arr


class InterruptGuard:
    """While active, the first SIGINT only asks the run to stop (``requested``).

    A second SIGINT raises :class:`KeyboardInterrupt` at once, as Python does;
    further ones are ignored while the run rolls back. Outside the main thread (where Python delivers no SIGINT) it does nothing.
    """

    def __init__(self):
        self.requested = False
        self._raised = False
        self._installed = False
        self._previous = None

    def _handler(self, signum, frame):
        if self._raised:
            return          # the KeyboardInterrupt is on its way: let the roll-back finish
        if self.requested:
            self._raised = True
            raise KeyboardInterrupt("run stopped by a second Ctrl-C; the network is back "
                                    "at the end of its last whole chunk")
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
            self._installed = True
        return self

    def __exit__(self, *exc):
        if self._installed:
            # None: the handler before was not set from Python; the default is all we know
            signal.signal(signal.SIGINT,
                          signal.SIG_DFL if self._previous is None else self._previous)
        return False


class _Uninterruptible:
    """For backends that cannot stop between slices (MPI ranks must agree where to
    stop): Ctrl-C raises at once, as Python does."""

    requested = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class SliceClock:
    """How many steps to give the compiled loop next, to return within ``target`` s.

    The cost of a step is measured as the run goes (the first slice is short);
    on a small network a whole chunk is one slice.
    """

    FIRST = 8            # steps of the first slice, before any cost is known

    def __init__(self, target, seconds_per_step=None):
        self.target = target
        self.seconds_per_step = seconds_per_step
        self._t0 = None

    def next(self, remaining):
        if self.target is None:         # the backend takes whole chunks
            n = remaining
        elif self.seconds_per_step is None:
            n = self.FIRST
        else:
            n = int(self.target / max(self.seconds_per_step, 1e-12))
        self._t0 = time.perf_counter()
        return max(1, min(remaining, n))

    def done(self, steps):
        if steps > 0:
            per_step = (time.perf_counter() - self._t0) / steps
            # weighted towards the latest slice: network activity changes the cost
            self.seconds_per_step = per_step if self.seconds_per_step is None \
                else 0.5 * (self.seconds_per_step + per_step)


def run_steps(net, be, n_steps, chunk, n_threads, progress):
    """Advance ``net`` by ``n_steps`` steps on backend ``be``, ``chunk`` steps at a time
    (``Network.run`` after its checks): ``be.start``, the chunks, ``be.finish``."""
    threads = be.threads_for(net._arrays.n, n_threads or get_config()["n_threads"])
    progress = progress and be.is_root
    t0, done = time.perf_counter(), 0
    try:
        with (InterruptGuard() if be.interruptible else _Uninterruptible()) as interrupt:
            prepare_chunk(net, 0)
            src = net._arrays.sources        # the rates may have changed since the last run
            update_thresholds(src.p_fire, src.block_lo, src.thresholds)
            be.start(net, n_steps, chunk, threads)
            if be.compiled:
                _compile(net, be, threads)
            t0 = time.perf_counter()
            clock = SliceClock(be.slice_seconds, net._seconds_per_step.get(be.name))
            while done < n_steps and not interrupt.requested:
                done += _run_chunk(net, be, min(chunk, n_steps - done), threads, clock,
                                   interrupt)
                if progress:
                    show_progress(done, n_steps, net.dt, time.perf_counter() - t0)
            be.finish(net)
            net._seconds_per_step[be.name] = clock.seconds_per_step
    finally:
        elapsed = time.perf_counter() - t0
        net.timings["run"] = elapsed
        net.timings["run_total"] += elapsed
        if progress and n_steps:
            sys.stderr.write("\n")
    if done < n_steps:
        raise RunInterrupted(
            f"run interrupted (Ctrl-C) at t = {net.t * 1e3:g} ms, step {net.t_step}, "
            f"after {done} of its {n_steps} steps; the network and its monitors are "
            "consistent there and run() continues from it")


def _run_chunk(net, be, todo, threads, clock, interrupt):
    """Advance one chunk as a transaction; returns the number of steps done.

    The compiled loop is called in slices of a fraction of a second, so that
    Ctrl-C ends the chunk early (what was simulated is recorded). On any
    exception the state and the monitors go back to the chunk's start.
    """
    before = ChunkState(net)
    check = get_config()["check_finite"]
    try:
        prepare_chunk(net, todo)
        rec = net._arrays.recorders
        did = 0
        while did < todo and not interrupt.requested:
            n = clock.next(todo - did)
            # the slice fills the chunk's buffers from step `did` on (rates by row)
            net._arrays.recorders = rec._replace(rate_buf=rec.rate_buf[did:])
            got = be.run_chunk(net._arrays, net.seed, net.t_step + did, n, threads)
            # the chunk's rate rows back; the rest as the backend left it (a grown buffer)
            rec = net._arrays.recorders = net._arrays.recorders._replace(rate_buf=rec.rate_buf)
            clock.done(got)
            if check and got and _non_finite(net, be) is not None:
                _report_non_finite(net, be, before, did, got, threads)
            did += got
            if got < n:         # the spike buffer is full: record, grow, go on
                break
        if did:
            collect(net, did)
        net.t_step += did
    except BaseException:
        before.roll_back()
        raise
    if did < todo and not interrupt.requested:
        grow_spike_buffer(net)
    return did


def _non_finite(net, be):
    """``(slot, neuron)`` of the first NaN or infinite state value, or None.

    Over ``v``, ``ge``, ``gi`` and the models' extra state, in that order; under
    MPI over this rank's neurons only (the others' copies are stale)."""
    nr = net._arrays.neurons
    mine = getattr(getattr(be, "plan", None), "neuron_mask", None)
    for slot, values in enumerate([nr.v, nr.ge, nr.gi] + list(nr.aux)):
        bad = ~np.isfinite(values)
        if mine is not None:
            bad &= mine
        if bad.any():
            return slot, int(np.argmax(bad))
    return None


def _report_non_finite(net, be, before, did, got, threads):
    """Find the first step of the slice after which a state value is not finite (the
    chunk again from its start, that slice step by step), put the network back at
    the chunk's start and raise :class:`NonFiniteStateError` naming it all."""
    first = net.t_step + did + got          # the state after this step is bad, at the latest
    if be.interruptible:                    # one process: replay to find the step
        before.roll_back()
        prepare_chunk(net, did + got)
        if did:
            be.run_chunk(net._arrays, net.seed, net.t_step, did, threads)
        for step in range(net.t_step + did, net.t_step + did + got):
            be.run_chunk(net._arrays, net.seed, step, 1, threads)
            if _non_finite(net, be) is not None:
                first = step
                break
    slot, k = _non_finite(net, be)
    value = ([net._arrays.neurons.v, net._arrays.neurons.ge, net._arrays.neurons.gi]
             + list(net._arrays.neurons.aux))[slot][k]
    group = next(g for g in net.groups if net._global(g) <= k < net._global(g) + g.n)
    names = [name for name in group.model.state_variables
             if group.model.variable(name)[0] == slot]
    variable = names[0] if names else ("v", "ge", "gi")[slot] if slot < 3 else f"aux[{slot - 3}]"
    when = (f"in step {first} (t = {first * net.dt * 1e3:g} ms)" if be.interruptible else
            f"by the end of step {first} (t = {first * net.dt * 1e3:g} ms)")
    before.roll_back()
    raise NonFiniteStateError(
        f"state variable {variable!r} of group {group.name!r} became {value} {when}, neuron "
        f"{k - net._global(group)} of the group (index {k} of the network); the network is "
        f"back at t = {net.t * 1e3:g} ms, the end of its last whole chunk. Check the model's "
        "parameters and dt, or switch the check off with ns.set_config(check_finite=False)")


def _compile(net, be, threads):
    """First call compiles (or loads from the disk cache) and, on the GPU, copies the
    network to the device; timed apart from the run."""
    t0 = time.perf_counter()
    prepare_chunk(net, 0)
    try:
        be.run_chunk(net._arrays, net.seed, net.t_step, 0, threads)
    except NumbaError as exc:        # a model's rule: say which, where and why
        explain_compile_error(net, exc)
        raise
    net.timings["compile"] = time.perf_counter() - t0


def prepare_chunk(net, n_steps):
    """Empty recording buffers for the next ``n_steps`` steps (state samples, rates)."""
    rec = net._arrays.recorders
    first = net.t_step
    # samples per column in [first, first + n_steps): multiples of `every`
    counts = (first + n_steps - 1) // rec.st_every - (first - 1) // rec.st_every \
        if n_steps else np.zeros_like(rec.st_every)
    off = np.zeros(rec.st_every.size, np.int64)
    if counts.size:
        off[1:] = np.cumsum(counts)[:-1]
    net._arrays.recorders = rec._replace(
        st_off=off, st_count=np.zeros_like(off), st_buf=np.zeros(int(counts.sum())),
        rate_buf=np.zeros((n_steps, rec.rate_lo.size), np.int64))
    net._arrays.counters[1] = 0


def collect(net, did):
    """Hand the ``did`` steps just simulated, recorded in the buffers, to the monitors."""
    a, rec = net._arrays, net._arrays.recorders
    n_spk = int(a.counters[1])
    gi, steps = rec.spike_i[:n_spk], rec.spike_step[:n_spk]
    first = net.t_step
    col = 0
    spike_monitors = [m for m in net.monitors if isinstance(m, SpikeMonitor)]
    parts = _spikes_by_monitor(net, spike_monitors, gi)
    for m in net.monitors:
        if isinstance(m, SpikeMonitor):
            lo, sel = net._global(m.source), parts[id(m)]
            m._append(gi[sel] - lo, steps[sel])
        elif isinstance(m, StateMonitor):
            ncol = m.record.size * len(m.variables)
            cnt = rec.st_count[col]
            block = np.stack([rec.st_buf[rec.st_off[c]:rec.st_off[c] + cnt]
                              for c in range(col, col + ncol)])
            s0 = -(-first // m.every) * m.every
            m._append(s0 + m.every * np.arange(cnt), block)
            col += ncol
        else:
            m._append(first + np.arange(did), rec.rate_buf[:did, _rate_index(net, m)])


def _spikes_by_monitor(net, monitors, gi):
    """``{id(monitor): positions of its spikes in gi}``, in recording order. Monitors of
    disjoint ranges (the usual case) share one pass: each spike's monitor by a binary
    search, then a stable counting sort; overlapping ranges take one mask each."""
    ranges = sorted((net._global(m.source), net._global(m.source) + m.source.n, id(m))
                    for m in monitors)
    disjoint = all(a[1] <= b[0] for a, b in zip(ranges, ranges[1:]))
    if not disjoint or len(ranges) < 2:
        return {key: np.flatnonzero((gi >= lo) & (gi < hi)) for lo, hi, key in ranges}
    starts = np.array([r[0] for r in ranges])
    ends = np.array([r[1] for r in ranges])
    which = np.searchsorted(starts, gi, side="right") - 1
    which[(which < 0) | (gi >= ends[np.maximum(which, 0)])] = len(ranges)   # no monitor
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(len(ranges) + 1))
    return {key: order[bounds[k]:bounds[k + 1]] for k, (_, _, key) in enumerate(ranges)}


def _rate_index(net, monitor):
    """The column of ``monitor`` among the rate monitors' columns."""
    return [m for m in net.monitors if isinstance(m, RateMonitor)].index(monitor)


def grow_spike_buffer(net):
    """Double the spike buffer, which filled up before a chunk's end."""
    rec = net._arrays.recorders
    size = 2 * rec.spike_i.size
    net._arrays.recorders = rec._replace(spike_i=np.zeros(size, np.int64),
                                          spike_step=np.zeros(size, np.int64))


def show_progress(done, total, dt, elapsed):
    """One line of progress on stderr, rewritten in place."""
    frac = done / total if total else 1.0
    bar = "#" * int(30 * frac)
    sys.stderr.write(f"\r[neurosim] [{bar:<30}] {100 * frac:5.1f}%  "
                     f"{done * dt * 1e3:.0f}/{total * dt * 1e3:.0f} ms  {elapsed:.1f} s")
    sys.stderr.flush()
