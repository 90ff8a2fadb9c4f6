"""Recording: spikes, state variables and population rates.

Monitors only read what a run produced; the network fills them chunk by chunk.
All times are in seconds and all states in SI units (volts), as plain numpy
arrays.
"""
import numpy as np

from ._validation import check_int
from .groups import NeuronGroup, _Population

__all__ = ["SpikeMonitor", "StateMonitor", "RateMonitor"]


def _record_indices(name, record, n):
    if record is True:
        return np.arange(n, dtype=np.int64)
    idx = np.atleast_1d(np.asarray(record))
    if idx.size == 0:
        raise ValueError(f"{name}={record!r} is empty; record at least one neuron")
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"{name}={record!r} must be True or an array of neuron indices")
    if idx.min() < 0 or idx.max() >= n:
        bad = idx[(idx < 0) | (idx >= n)][0]
        raise IndexError(f"{name} contains {bad}, out of range for a group of {n}; "
                         f"allowed 0..{n - 1}")
    return idx.astype(np.int64)


class _Monitor:
    def __init__(self, source):
        if not isinstance(source, _Population):
            raise TypeError(f"source={source!r} must be a group or a slice of one")
        self.source = source
        self.dt = None

    def _reset(self, dt):
        self.dt = dt

    def _snapshot(self):
        # recorded chunks are never modified in place, so copying the lists suffices
        return {k: list(v) for k, v in self.__dict__.items() if isinstance(v, list)}

    def _restore(self, snapshot):
        self.__dict__.update({k: list(v) for k, v in snapshot.items()})


class SpikeMonitor(_Monitor):
    """Records the spikes of a population.

    Parameters
    ----------
    source : NeuronGroup, Subgroup, PoissonGroup or SpikeGeneratorGroup
    record : True or array of int, optional
        Which neurons (indices into ``source``) to record; default all.

    Attributes
    ----------
    i : ndarray of int32
        Index (within ``source``) of each spike, in order of time.
    t : ndarray of float64
        Time of each spike, in seconds.
    count : ndarray of int64
        Number of spikes of each neuron of ``source``.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms
    >>> stim = ns.SpikeGeneratorGroup(2, [0, 1], [1, 2]*ms)
    >>> mon = ns.SpikeMonitor(stim)
    >>> ns.Network(stim, mon).run(5*ms, dt=0.1*ms, seed=0)
    >>> mon.i, mon.t * 1e3
    (array([0, 1], dtype=int32), array([1., 2.]))
    """

    def __init__(self, source, record=True):
        super().__init__(source)
        self.record = _record_indices("record", record, source.n)
        self._reset(None)

    def _reset(self, dt):
        super()._reset(dt)
        self._i, self._steps = [], []

    def _append(self, local_i, steps):
        keep = np.isin(local_i, self.record, assume_unique=False) \
            if self.record.size != self.source.n else slice(None)
        self._i.append(local_i[keep].astype(np.int32))
        self._steps.append(steps[keep])

    @property
    def i(self):
        return np.concatenate(self._i) if self._i else np.zeros(0, np.int32)

    @property
    def steps(self):
        """Time step of each spike (int64)."""
        return np.concatenate(self._steps) if self._steps else np.zeros(0, np.int64)

    @property
    def t(self):
        return self.steps * (self.dt or 0.0)

    @property
    def count(self):
        return np.bincount(self.i, minlength=self.source.n).astype(np.int64)

    @property
    def num_spikes(self):
        return int(sum(a.size for a in self._i))

    def spike_trains(self):
        """Spike times (seconds) of each recorded neuron: ``{index: array}``."""
        i, t = self.i, self.t
        order = np.argsort(i, kind="stable")
        bounds = np.searchsorted(i[order], self.record, side="left"), \
            np.searchsorted(i[order], self.record, side="right")
        return {int(k): t[order][lo:hi] for k, lo, hi in zip(self.record, *bounds)}


class StateMonitor(_Monitor):
    """Records state variables of chosen neurons every ``every`` steps.

    Samples are taken at the start of a step, before the update (as Brian2's
    ``StateMonitor`` does), so the first sample is the initial state.

    Parameters
    ----------
    source : NeuronGroup or Subgroup
    variables : str or sequence of str
        State variables of the model (``'v'``, ``'i_e'``, ``'g_e'``, ``'x'``...).
    record : True or array of int, optional
        Indices within ``source``; default all.
    every : int, optional
        Sample every ``every`` steps (>= 1, default 1).

    Attributes
    ----------
    t : ndarray
        Sample times, in seconds.
    <variable> : ndarray, shape (n_recorded, n_samples)
        The samples, in SI units (volts for potentials).

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV
    >>> cell = ns.NeuronGroup(1, ns.LIF(10*ms, -70*mV, -70*mV, -50*mV), v=-60*mV)
    >>> trace = ns.StateMonitor(cell, "v", every=10)
    >>> ns.Network(cell, trace).run(2*ms, dt=0.1*ms, seed=0)
    >>> trace.v.shape
    (1, 2)
    """

    def __init__(self, source, variables, record=True, every=1):
        super().__init__(source)
        if not isinstance(source.root, NeuronGroup):
            raise TypeError(f"source={source!r}: StateMonitor records neuron groups only")
        self.variables = (variables,) if isinstance(variables, str) else tuple(variables)
        known = source.model.state_variables
        for var in self.variables:
            if var not in known:
                raise ValueError(f"variables contains {var!r}, which "
                                 f"{type(source.model).__name__} does not have; it has "
                                 f"{sorted(known)}")
        self.record = _record_indices("record", record, source.n)
        self.every = check_int("every", every, minimum=1)
        self._reset(None)

    def _reset(self, dt):
        super()._reset(dt)
        self._chunks, self._steps = [], []

    def _append(self, steps, block):
        """``block`` has shape (n_variables * n_recorded, n_samples)."""
        self._steps.append(steps)
        self._chunks.append(block)

    @property
    def t(self):
        steps = np.concatenate(self._steps) if self._steps else np.zeros(0, np.int64)
        return steps * (self.dt or 0.0)

    def __getattr__(self, name):
        variables = self.__dict__.get("variables", ())
        if name in variables:
            k = variables.index(name)
            n = self.record.size
            if not self._chunks:
                return np.zeros((n, 0))
            return np.concatenate([c[k * n:(k + 1) * n] for c in self._chunks], axis=1)
        raise AttributeError(f"StateMonitor has no attribute {name!r}; it records {variables}")


class RateMonitor(_Monitor):
    """Population rate: spikes per neuron per second in every step.

    Parameters
    ----------
    source : NeuronGroup, Subgroup or input group

    Attributes
    ----------
    t : ndarray
        Step times, in seconds.
    rate : ndarray
        Instantaneous population rate in each step, in Hz.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms, Hz
    >>> noise = ns.PoissonGroup(100, 50*Hz)
    >>> rate = ns.RateMonitor(noise)
    >>> ns.Network(noise, rate).run(100*ms, dt=0.1*ms, seed=0)
    >>> rate.rate.shape
    (1000,)
    """

    def _reset(self, dt):
        super()._reset(dt)
        self._counts, self._steps = [], []

    def __init__(self, source):
        super().__init__(source)
        self._reset(None)

    def _append(self, steps, counts):
        self._steps.append(steps)
        self._counts.append(counts)

    @property
    def t(self):
        steps = np.concatenate(self._steps) if self._steps else np.zeros(0, np.int64)
        return steps * (self.dt or 0.0)

    @property
    def rate(self):
        counts = np.concatenate(self._counts) if self._counts else np.zeros(0)
        return counts / (self.source.n * self.dt) if self.dt else counts.astype(float)

    def smooth_rate(self, width):
        """Rate averaged over a flat window of ``width`` seconds (plain float or Quantity)."""
        from ._validation import check_positive
        from .units import second
        w = check_positive("width", width, second)
        n = max(1, int(round(w / self.dt)))
        return np.convolve(self.rate, np.ones(n) / n, mode="same")
