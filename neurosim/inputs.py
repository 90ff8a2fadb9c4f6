"""External input: Poisson and spike-generator sources, Poisson drives, injected currents."""
import numpy as np

from ._validation import check_int, steps_of, to_si
from .groups import NeuronGroup, _Population
from .units import Hz, second

__all__ = ["PoissonGroup", "SpikeGeneratorGroup", "PoissonInput", "CurrentInput",
           "TimedCurrent"]

KINDS = ("excitatory", "inhibitory")


def check_kind(kind):
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} must be 'excitatory' or 'inhibitory'")
    return KINDS.index(kind)


def check_target(name, target):
    if not isinstance(target, _Population) or not isinstance(target.root, NeuronGroup):
        raise TypeError(f"{name}={target!r} must be a NeuronGroup or a slice of one")
    return target


class PoissonGroup(_Population):
    """``n`` independent Poisson spike sources, to be connected with ``Synapses``.

    Parameters
    ----------
    n : int
        Number of sources, >= 1.
    rates : Quantity
        Rate of each source (Hz): one value or an array of length ``n``; >= 0 and
        at most ``1/dt``.
    name : str, optional
        Shown in errors and results; default ``'poissongroup'``.

    Notes
    -----
    A source fires in a step with probability ``rate * dt``, drawn from the
    counter-based generator keyed by (seed, step, source), so every backend and
    thread count gives the same spikes.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import Hz
    >>> noise = ns.PoissonGroup(100, rates=5*Hz)
    """

    def __init__(self, n, rates, name=None):
        self.n = check_int("n", n, minimum=1)
        self._network = None
        self.rates = rates
        self.name = name or "poissongroup"

    @property
    def rates(self):
        """Rate of each source, in Hz (a copy).

        Setting it between runs takes effect at the next step, without
        rebuilding or recompiling anything.

        Examples
        --------
        >>> import neurosim as ns
        >>> from neurosim.units import ms, Hz
        >>> noise = ns.PoissonGroup(100, 10*Hz)
        >>> spikes = ns.SpikeMonitor(noise)
        >>> net = ns.Network(noise, spikes)
        >>> net.run(100*ms, dt=1*ms, seed=0)
        >>> before = spikes.num_spikes                 # about 100 * 10 Hz * 0.1 s
        >>> noise.rates = 100*Hz
        >>> net.run(100*ms)
        >>> before, spikes.num_spikes - before, noise.rates[:3]
        (104, 1010, array([100., 100., 100.]))
        """
        return self._rates.copy()

    @rates.setter
    def rates(self, rates):
        rates = np.asarray(to_si("rates", rates, Hz, allow_array=True), dtype=float)
        if rates.ndim == 0:
            rates = np.full(self.n, float(rates))
        if rates.shape != (self.n,):
            raise ValueError(f"rates has shape {rates.shape}; expected one value or {self.n}")
        if np.any(rates < 0):
            raise ValueError(f"rates={rates.min():g} Hz is negative; rates must be >= 0")
        net = self.__dict__.get("_network")
        old = self.__dict__.get("_rates")
        self._rates = rates
        if net is not None:
            try:
                net._set_rates(self, self.firing_probability(net.dt))
            except ValueError:
                self._rates = old
                raise

    def firing_probability(self, dt):
        p = self._rates * dt
        if np.any(p > 1.0):
            raise ValueError(f"rates={self._rates.max():g} Hz exceeds 1/dt={1 / dt:g} Hz; "
                             "use a smaller dt or lower rates")
        return p


class SpikeGeneratorGroup(_Population):
    """``n`` sources that fire at given times.

    Parameters
    ----------
    n : int
        Number of sources, >= 1.
    indices : array of int
        Source of each spike, in ``[0, n)``.
    times : Quantity
        Time of each spike (>= 0), rounded to the nearest step when the network is
        built (as Brian2 does). Two spikes of one source in one step are an error.
    name : str, optional
        Shown in errors and results; default ``'spikegeneratorgroup'``.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms
    >>> stim = ns.SpikeGeneratorGroup(2, indices=[0, 1, 1], times=[1, 2, 5]*ms)
    """

    def __init__(self, n, indices, times, name=None):
        self.n = check_int("n", n, minimum=1)
        idx = np.asarray(indices)
        if idx.ndim != 1 or (idx.size and not np.issubdtype(idx.dtype, np.integer)):
            raise TypeError(f"indices={indices!r} must be a 1-d array of integers")
        t = to_si("times", times, second, allow_array=True)
        t = np.atleast_1d(t)
        if t.shape != idx.shape:
            raise ValueError(f"times has {t.size} entries but indices has {idx.size}; "
                             "give one time per spike")
        if idx.size and (idx.min() < 0 or idx.max() >= self.n):
            bad = idx[(idx < 0) | (idx >= self.n)][0]
            raise IndexError(f"indices contains {bad}, out of range for n={self.n}; "
                             f"allowed 0..{self.n - 1}")
        if np.any(t < 0):
            raise ValueError(f"times contains {t.min() * 1e3:g} ms; spike times must be >= 0")
        self.indices = idx.astype(np.int64)
        self.times = t.astype(float)
        self.name = name or "spikegeneratorgroup"

    def steps(self, dt):
        steps = steps_of("times", self.times, dt, exact=False)
        key = steps * self.n + self.indices
        order = np.argsort(key, kind="stable")
        if np.any(np.diff(key[order]) == 0):
            k = order[np.flatnonzero(np.diff(key[order]) == 0)[0]]
            raise ValueError(f"source {self.indices[k]} of {self.name} has two spikes in the "
                             f"step at {steps[k] * dt * 1e3:g} ms (dt={dt * 1e3:g} ms); "
                             "one would be lost")
        return steps[order], self.indices[order]


class PoissonInput:
    """Poisson drive from ``n`` independent external sources to every target neuron.

    Each target receives its own draws: in every step a count
    ``k ~ Poisson(n * rate * dt)`` of external spikes, each adding ``weight`` to
    the synaptic variable of ``kind``, without delay. This is the external input
    of Brunel (2000) and PD14, without storing ``n`` synapses per neuron.

    Parameters
    ----------
    target : NeuronGroup or Subgroup
        The neurons that receive the drive, each its own.
    n : int
        Number of external sources per target neuron, >= 1.
    rate : Quantity
        Rate of each source (Hz), >= 0.
    weight : Quantity
        Magnitude of one input, in the unit of the target's synapses, >= 0.
    kind : {'excitatory', 'inhibitory'}

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV, Hz
    >>> cells = ns.NeuronGroup(10, ns.LIF(20*ms, 0*mV, 10*mV, 20*mV))
    >>> drive = ns.PoissonInput(cells, n=1000, rate=10*Hz, weight=0.1*mV,
    ...                         kind="excitatory")
    """

    def __init__(self, target, n, rate, weight, kind="excitatory"):
        self.target = check_target("target", target)
        self.n = check_int("n", n, minimum=1)
        self.rate = to_si("rate", rate, Hz)
        if self.rate < 0:
            raise ValueError(f"rate={rate!r} must be >= 0")
        self.channel = check_kind(kind)
        self.kind = kind
        self.weight = target.model.weight_to_si("weight", weight, allow_array=False)
        if self.weight < 0:
            raise ValueError(f"weight={weight!r} is negative; give a magnitude >= 0, the sign "
                             f"comes from kind={kind!r}")


class CurrentInput:
    """A constant current injected into neurons.

    Parameters
    ----------
    target : NeuronGroup or Subgroup
        The neurons the current is injected into.
    amplitude : Quantity
        One value or one per target neuron, in the unit the target model takes
        currents in (amperes with ``c_m``/``g_l`` given, volts otherwise;
        dimensionless for McCulloch-Pitts, where it is a bias).

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV
    >>> cell = ns.NeuronGroup(1, ns.LIF(20*ms, -70*mV, -70*mV, -50*mV))
    >>> drive = ns.CurrentInput(cell, 25*mV)
    """

    def __init__(self, target, amplitude):
        self.target = check_target("target", target)
        self._network = None
        self.amplitude = amplitude

    @property
    def amplitude(self):
        """Current of each target neuron, in the model's internal unit (a copy).

        Setting it between runs takes effect at the next step without
        recompiling.

        Examples
        --------
        Below the threshold (20 mV above rest here) the neuron is silent:

        >>> import neurosim as ns
        >>> from neurosim.units import ms, mV
        >>> cell = ns.NeuronGroup(1, ns.LIF(10*ms, -70*mV, -70*mV, -50*mV))
        >>> drive = ns.CurrentInput(cell, 10*mV)
        >>> spikes = ns.SpikeMonitor(cell)
        >>> net = ns.Network(cell, drive, spikes)
        >>> net.run(50*ms, dt=0.1*ms, seed=0)
        >>> drive.amplitude = 30*mV
        >>> net.run(50*ms)
        >>> (spikes.t * 1e3).round(1), drive.amplitude      # times in ms; volts
        (array([56.9, 67.9, 78.9, 89.9]), array([0.03]))
        """
        return self._amplitude.copy()

    @amplitude.setter
    def amplitude(self, amplitude):
        amp = np.asarray(self.target.model.current_to_si("amplitude", amplitude), dtype=float)
        if amp.ndim and amp.shape != (self.target.n,):
            raise ValueError(f"amplitude has shape {amp.shape}; expected one value or "
                             f"{self.target.n} (one per target neuron)")
        amp = np.broadcast_to(amp, (self.target.n,)).copy()
        if self.__dict__.get("_network") is not None:
            self._network._set_bias(self.target, self._amplitude, amp)
        self._amplitude = amp


class TimedCurrent:
    """A current that changes over time: ``values[k]`` holds during ``[k dt_values, (k+1) dt_values)``.

    Like Brian2's ``TimedArray``, the last value holds after the end.

    Parameters
    ----------
    target : NeuronGroup or Subgroup
        The neurons the current is injected into.
    values : Quantity, shape (n_times,) or (n_times, n_target)
        Amplitudes in the unit the target takes currents in; a 1-d array drives
        every target neuron alike.
    dt : Quantity
        Time between successive values; a whole multiple of the simulation step.

    Examples
    --------
    >>> import numpy as np
    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV
    >>> cell = ns.NeuronGroup(1, ns.LIF(20*ms, -70*mV, -70*mV, -50*mV))
    >>> ramp = ns.TimedCurrent(cell, np.linspace(0, 40, 100)*mV, dt=1*ms)
    """

    def __init__(self, target, values, dt):
        self.target = check_target("target", target)
        vals = np.asarray(target.model.current_to_si("values", values), dtype=float)
        if vals.ndim == 1:
            vals = vals[:, None]
        if vals.ndim != 2 or vals.shape[0] == 0 or vals.shape[1] not in (1, target.n):
            raise ValueError(f"values has shape {np.shape(values)}; expected (n_times,) or "
                             f"(n_times, {target.n})")
        self.values = vals
        from ._validation import check_positive
        self.dt = check_positive("dt", dt, second)
