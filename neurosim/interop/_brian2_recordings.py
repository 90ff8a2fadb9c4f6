"""What Brian2 recorded, in the format of neurosim's monitors.

Each neurosim monitor of an exported network becomes a Brian2 monitor
(:class:`~neurosim.interop.brian2.Brian2Export` makes them), and its results
come back as one of these classes:

``SpikeMonitor``
    A Brian2 ``SpikeMonitor`` (one per population, shared by the neurosim
    monitors of its parts), read back as :class:`SpikeRecording`.
``StateMonitor``
    A Brian2 ``StateMonitor`` (``when='start'``, every ``every`` steps), read
    back as :class:`StateRecording`.
``RateMonitor``
    The spikes of the Brian2 ``SpikeMonitor``, counted per step, read back as
    :class:`RateRecording`.
"""
import numpy as np

from ..monitors import _smooth_rate


class SpikeRecording:
    """Spikes recorded by Brian2, in the format of a neurosim ``SpikeMonitor``.

    Made by ``Brian2Export.recording`` (and so by :func:`run_brian2`), not
    directly.

    Parameters
    ----------
    i : ndarray of int
        Index of each spike within the monitored population.
    steps : ndarray of int
        Time step of each spike; spikes are sorted by step, then index.
    dt : float
        Time step, in seconds.
    n : int
        Size of the monitored population.
    record : ndarray of int
        Indices of the recorded neurons (for ``spike_trains``).

    Attributes
    ----------
    i : ndarray of int32
        Index within the monitored population, ordered by step, then index.
    steps : ndarray of int64
        Time step of each spike.
    t : ndarray of float64
        Spike times, in seconds.
    count : ndarray of int64
        Spikes per neuron of the monitored population.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms
    >>> from neurosim.interop.brian2 import run_brian2
    >>> stim = ns.SpikeGeneratorGroup(2, [0, 1, 0], [1, 2, 3]*ms)
    >>> cells = ns.NeuronGroup(2, ns.McCullochPitts(theta=1))
    >>> syn = ns.Synapses(stim, cells, kind="excitatory", weight=1, connect=ns.OneToOne())
    >>> spikes = ns.SpikeMonitor(cells)
    >>> rec = run_brian2(ns.Network(stim, cells, syn, spikes), 5*ms, dt=1*ms, seed=0)
    >>> rec[spikes].count, rec[spikes].num_spikes
    (array([2, 1]), 3)
    >>> rec[spikes].spike_trains()
    {0: array([0.002, 0.004]), 1: array([0.003])}
    """

    def __init__(self, i, steps, dt, n, record):
        order = np.lexsort((i, steps))
        self.i = i[order].astype(np.int32)
        self.steps = steps[order].astype(np.int64)
        self.dt, self.n, self.record = dt, n, record

    @property
    def t(self):
        return self.steps * self.dt

    @property
    def count(self):
        return np.bincount(self.i, minlength=self.n).astype(np.int64)

    @property
    def num_spikes(self):
        return int(self.i.size)

    def spike_trains(self):
        """Spike times of each recorded neuron.

        Returns
        -------
        dict
            ``{index: array of spike times in seconds}`` for every recorded neuron.
        """
        return {int(k): self.t[self.i == k] for k in self.record}


class StateRecording:
    """State samples recorded by Brian2, like a neurosim ``StateMonitor``.

    ``t`` holds the sample times (s) and each recorded variable is an attribute
    of shape ``(n_recorded, n_samples)`` in SI units. Made by
    ``Brian2Export.recording`` (and so by :func:`run_brian2`), not directly.

    Parameters
    ----------
    t : ndarray of float
        Sample times, in seconds.
    values : dict of str to ndarray
        Each recorded variable's samples, ``(n_recorded, n_samples)``, SI units.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms
    >>> from neurosim.interop.brian2 import run_brian2
    >>> stim = ns.SpikeGeneratorGroup(2, [0, 1, 0], [1, 2, 3]*ms)
    >>> cells = ns.NeuronGroup(2, ns.McCullochPitts(theta=1))
    >>> syn = ns.Synapses(stim, cells, kind="excitatory", weight=1, connect=ns.OneToOne())
    >>> state = ns.StateMonitor(cells, "x")
    >>> rec = run_brian2(ns.Network(stim, cells, syn, state), 5*ms, dt=1*ms, seed=0)
    >>> rec[state].variables, rec[state].x.shape, rec[state].t * 1e3
    (('x',), (2, 5), array([0., 1., 2., 3., 4.]))
    """

    def __init__(self, t, values):
        self.t = t
        self.variables = tuple(values)
        self.__dict__.update(values)


class RateRecording:
    """Population rate (Hz) in every step, like a neurosim ``RateMonitor``.

    Made by ``Brian2Export.recording`` (and so by :func:`run_brian2`), not
    directly.

    Parameters
    ----------
    t : ndarray of float
        Start time of each step, in seconds.
    rate : ndarray of float
        Spikes per neuron and second in each step, in Hz.
    dt : float
        Time step, in seconds.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms
    >>> from neurosim.interop.brian2 import run_brian2
    >>> stim = ns.SpikeGeneratorGroup(2, [0, 1, 0], [1, 2, 3]*ms)
    >>> cells = ns.NeuronGroup(2, ns.McCullochPitts(theta=1))
    >>> syn = ns.Synapses(stim, cells, kind="excitatory", weight=1, connect=ns.OneToOne())
    >>> rate = ns.RateMonitor(cells)
    >>> rec = run_brian2(ns.Network(stim, cells, syn, rate), 5*ms, dt=1*ms, seed=0)
    >>> rec[rate].rate
    array([  0.,   0., 500., 500., 500.])
    """

    def __init__(self, t, rate, dt):
        self.t, self.rate, self.dt = t, rate, dt

    def smooth_rate(self, width):
        """Rate averaged over a flat window.

        Parameters
        ----------
        width : Quantity or float
            Width of the window (time; a plain float is in seconds), > 0.

        Returns
        -------
        ndarray
            The smoothed rate in Hz, one value per step.
        """
        return _smooth_rate(self.rate, self.dt, width)
