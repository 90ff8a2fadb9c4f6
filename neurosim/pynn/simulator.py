"""The state of a neurosim.pynn simulation: time, step, the PyNN objects made since
``setup()``, and the neurosim network they are simulated as.

The neurosim network (:class:`neurosim.pynn._network.Engine`) is built from the PyNN
description at the first ``run()`` after ``setup()`` or ``reset()``. A change that a
built neurosim network cannot take in place (a new population or projection, new
parameters, new spike times, new recordings) marks it stale; the next ``run()`` builds
it again and carries the whole dynamic state over (membrane potentials, synaptic
variables, refractory counters and the spikes still in flight in the delay buffer), so
the simulation continues as if nothing had been rebuilt. Injected currents and Poisson
rates that switch on and off are applied between pieces of the run, cut at the steps
where they change; currents that change in every step (``ACSource``,
``NoisyCurrentSource``) are tables that reach a little past the run, and a run past
their end rebuilds the network likewise.
"""
import logging

import numpy as np
from pyNN import common

name = "neurosim"
logger = logging.getLogger("PyNN")

__all__ = ["ID", "State", "state"]


class ID(int, common.IDMixin):

    def __init__(self, n):
        """Create an ID object with numerical value `n`."""
        int.__init__(n)
        common.IDMixin.__init__(self)


class State(common.control.BaseState):
    """Simulation time and the objects of the current network."""

    def __init__(self):
        common.control.BaseState.__init__(self)
        self.mpi_rank = 0
        self.num_processes = 1
        self.dt = 0.1
        self.min_delay = "auto"
        self.max_delay = "auto"
        self.backend = "numba"
        self.seed = None
        self.write_on_end = []
        self.clear()

    # ------------------------------------------------------------------ time
    @property
    def t(self):
        return self.t_step * self.dt

    def steps(self, time_ms):
        """Number of whole steps in ``time_ms`` (rounded to the nearest step)."""
        return int(np.rint(time_ms / self.dt))

    def run(self, simtime):
        self.run_until(self.t + simtime)

    def run_until(self, tstop):
        n = self.steps(tstop) - self.t_step
        if n < 0:
            raise ValueError(f"Time {tstop:g} is in the past (current time {self.t:g})")
        from ._network import Engine
        end = self.t_step + n
        if self.engine is None or self.engine.stale or end > self.engine.valid_until:
            self.engine = Engine(self, previous=self.engine, until=end)
        if not self.running:
            for prj in self.projections:
                prj._first_run()
        self.running = True
        self.engine.advance(n)
        for recorder in self.recorders:
            recorder._harvest(self.engine)

    def mark_stale(self):
        """A change the built network cannot take in place: rebuild it at the next run."""
        if self.engine is not None:
            self.engine.stale = True

    # -------------------------------------------------------------- clearing
    def clear(self):
        self.recorders = set()
        self.populations = []
        self.projections = []
        self.current_sources = []
        self.id_counter = 0
        self.segment_counter = -1
        self.engine = None
        self.t_step = 0
        self.reset()

    def reset(self):
        """Back to t = 0 with the initial values; the network structure stays."""
        self.running = False
        self.t_step = 0
        self.t_start = 0
        self.engine = None
        self.segment_counter += 1
        for prj in self.projections:
            prj._reset()
        for recorder in self.recorders:
            recorder._forget()


state = State()
