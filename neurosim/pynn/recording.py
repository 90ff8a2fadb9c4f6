"""Recording for neurosim.pynn: spikes and state variables into Neo blocks.

The neurosim monitors of a population are read after every ``run()``; what they
recorded is kept here, in PyNN's units, until ``get_data()`` turns it into Neo objects
(PyNN's :class:`pyNN.recording.Recorder` does that part). State variables are sampled
at the start of each step (the state at ``t = k dt``), and ``get_data()`` adds the state
at the current time, so a run of ``T`` ms recorded every step gives ``T/dt + 1``
samples, from 0 to ``T``, as PyNN's other backends do.
"""
import numpy as np
from pyNN import recording

from . import simulator

__all__ = ["Recorder"]


class Recorder(recording.Recorder):
    _simulator = simulator

    def __init__(self, population, file=None):
        super().__init__(population, file)
        self._every = 1
        self._forget()

    def _forget(self):
        self._spikes = []           # (local indices, times in ms)
        self._samples = {}          # variable -> [(steps, local indices, values)]

    def _record(self, variable, new_ids, sampling_interval=None):
        if sampling_interval is not None:
            self.sampling_interval = sampling_interval
        if new_ids:
            simulator.state.mark_stale()

    def _harvest(self, engine):
        pop = self.population
        if pop not in engine.groups:
            return
        i, t = engine.new_spikes(pop)
        if i.size:
            self._spikes.append((i, t))
        for name in engine.state_monitors.get(pop, {}):
            got = engine.new_samples(pop, name)
            if got is not None and got[0].size:
                self._samples.setdefault(name, []).append(got)

    def _get_spiketimes(self, ids, clear=False):
        first = int(self.population.first_id)
        if self._spikes:
            i = np.concatenate([c[0] for c in self._spikes]) + first
            t = np.concatenate([c[1] for c in self._spikes])
        else:
            i, t = np.zeros(0, np.int64), np.zeros(0)
        keep = np.isin(i, np.asarray([int(x) for x in ids], dtype=np.int64))
        if clear:
            self._spikes = []
        return i[keep], t[keep]

    def _get_all_signals(self, variable, ids, clear=False):
        pop = self.population
        idx = np.array([pop.id_to_index(int(x)) for x in ids], dtype=np.int64)
        chunks = self._samples.get(variable.name, [])
        steps = np.concatenate([c[0] for c in chunks]) if chunks else np.zeros(0, np.int64)
        out = np.full((steps.size, idx.size), np.nan)
        row = 0
        for s, rec_idx, values in chunks:
            pos = {int(k): n for n, k in enumerate(rec_idx)}
            for col, k in enumerate(idx):
                if int(k) in pos:
                    out[row:row + s.size, col] = values[:, pos[int(k)]]
            row += s.size
        # the state now, the end point of the recording
        engine, now = simulator.state.engine, simulator.state.t_step
        last = steps[-1] if steps.size else -1
        if engine is not None and now > last and now % self._every == 0 \
                and pop in engine.groups and idx.size:
            extra = engine.current_values(pop, variable.name, idx)
            out = np.vstack([out, extra[None, :]])
        if clear:
            self._samples.pop(variable.name, None)
        return out, None

    def _local_count(self, variable, filter_ids=None):
        ids = self.filter_recorded(variable, filter_ids)
        first = int(self.population.first_id)
        counts = np.zeros(self.population.size, dtype=np.int64)
        for i, _ in self._spikes:
            np.add.at(counts, i, 1)
        return {int(id): int(counts[int(id) - first]) for id in ids}

    def _clear_simulator(self):
        self._forget()

    def _reset(self):
        simulator.state.mark_stale()
