"""Running a network chunk by chunk, so that no fault leaves it out of step.

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
import threading
import time

__all__ = ["ChunkState", "InterruptGuard", "SliceClock", "RunInterrupted"]

# state arrays that a run changes in place (the rest is fixed between runs)
_NEURON_FIELDS = ("v", "ge", "gi", "ref", "i_ext", "spiked", "buffer")


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


class InterruptGuard:
    """While active, the first SIGINT only asks the run to stop (``requested``).

    A second SIGINT raises :class:`KeyboardInterrupt` at once, as Python does;
    further ones are ignored while the run rolls back. Outside the main thread (where Python delivers no SIGINT) it does nothing.
    """

    def __init__(self):
        self.requested = False
        self._raised = False
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
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
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
        if self.seconds_per_step is None:
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
