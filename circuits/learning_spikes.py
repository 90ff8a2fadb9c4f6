"""Latency-coded presentations to a winner-take-all layer with plastic input synapses.

What the circuits' learning rules share (:mod:`circuits.learning` for unsupervised STDP
features, :mod:`circuits.learning_rstdp` for reward-modulated category units): a
sequence of input vectors, each shown once in its own time slot, to a layer of
integrate-and-fire neurons whose input synapses are plastic. Built from neurosim's
public API only.

The presentation of one vector ``a`` (non-negative) in a slot, after Masquelier &
Thorpe (2007) and Kheradpisheh et al. (2018):

* **latency code**: each input whose activity is at least ``min_fraction`` of the
  vector's largest fires one spike at ``t_max * (1 - a_i / max a)``: the strongest at
  the slot's start, the weakest near ``t_max`` (intensity-to-latency, Thorpe &
  Gautrais 1998);
* **winner-take-all**: every output neuron inhibits the others within the step it
  fires, strongly enough to silence them for the rest of the slot, so in general one
  neuron (the first to reach threshold) fires, and only its synapses learn;
* **the rest of the inputs fire last**: at ``t_max + 2 dt`` a global inhibitory spike
  silences every output neuron, and one step later the inputs that did not fire
  during the slot fire. For the winner they come after its spike, so pair-based STDP
  depresses them: Kheradpisheh et al.'s rule (potentiation for an input that fired
  before the output, depression otherwise) from neurosim's trace rule, without
  letting that last volley make anyone fire;
* **a gap** of ``gap`` lets the traces decay before the next slot, and the output
  neurons' potentials are set back between slots (``cells.v``): to rest, or below it
  by :attr:`Presenter.offset`, which raises a neuron's threshold for the slot by as
  much (the adaptive thresholds of Diehl & Cook 2015).

The output neurons are ``ns.LIF`` with delta synapses (a spike makes ``v`` jump by
the weight; ``tau_m`` long, near the non-leaky neurons of Kheradpisheh et al.), a
threshold ``v_th`` in mV and weights in ``[0, w_max]`` with ``w_max = 1 mV``.

**Binary units** (``neuron="mcculloch_pitts"``): ``ns.McCullochPitts`` units hold no
potential from one step to the next (their input is the weighted sum of the previous
step's spikes), so a latency code spread over many steps never adds up in them.
They see a **binary code** instead: every input at ``min_fraction`` of the vector's
largest or more fires at the slot's first step, the others in the last volley. A
unit is active one step later if its summed weight over the active inputs reaches
its threshold (dimensionless weights in ``[0, 1]``); the units that do are tied, and
the one with the largest sum less its homeostatic offset wins
(:meth:`Presenter.run_volley`), the others' changes being undone. Pair-based STDP
over steps then gives the winner the classic competitive Hebbian rule (Rumelhart &
Zipser 1985): each active input (one step before its spike) is potentiated by
``a_plus exp(-dt/tau_plus)``, each inactive one (the last volley, after it) depressed
by ``a_minus exp(-(latency_steps + 2) dt/tau_minus)``.
"""
from dataclasses import dataclass

import numpy as np

import neurosim as ns
from neurosim.units import mV, second, volt


def check_fields(settings, positive=(), non_negative=(), counts=()):
    """Refuse a settings object whose named fields are not positive numbers, numbers
    >= 0 or integers >= 1, naming the field and its value."""
    for field in positive:
        value = getattr(settings, field)
        if not np.isfinite(value) or value <= 0:
            raise ValueError(f"{field}={value!r} must be a positive number")
    for field in non_negative:
        value = getattr(settings, field)
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{field}={value!r} must be a number >= 0")
    for field in counts:
        value = getattr(settings, field)
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{field}={value!r} must be an integer >= 1")

__all__ = ["SlotTiming", "latency_code", "Presenter", "NEURONS", "stdp_bound"]

#: Largest weight of a plastic input synapse, in mV (weights are fractions of it).
W_MAX_MV = 1.0
#: The output neurons a :class:`Presenter` can have.
NEURONS = ("lif", "mcculloch_pitts")


def stdp_bound(neuron):
    """``w_max`` of a plastic input synapse onto ``neuron`` (``ns.STDP``'s argument):
    1 mV for LIF neurons, 1 for binary units (dimensionless weights)."""
    _check_neuron(neuron)
    return W_MAX_MV * mV if neuron == "lif" else 1.0


def _check_neuron(neuron):
    if neuron not in NEURONS:
        raise ValueError(f"neuron={neuron!r} must be one of {NEURONS}")


@dataclass(frozen=True)
class SlotTiming:
    """Timing of a presentation slot.

    Attributes
    ----------
    t_max : float
        Latest latency of an input spike, in seconds.
    gap : float
        Silent time after the last volley, in seconds (traces decay).
    dt : float
        Simulation step, in seconds.
    """

    t_max: float = 20e-3
    gap: float = 100e-3
    dt: float = 0.25e-3

    def __post_init__(self):
        for field in ("t_max", "gap", "dt"):
            value = getattr(self, field)
            if not np.isfinite(value) or value <= 0:
                raise ValueError(f"{field}={value!r} must be a positive time in seconds")
        if self.t_max < 4 * self.dt:
            raise ValueError(f"t_max={self.t_max!r} s must span at least 4 steps of "
                             f"dt={self.dt!r} s")

    @property
    def steps(self):
        """Steps in one slot: the latencies, the inhibition, the last volley, the gap."""
        return self.latency_steps + 3 + int(round(self.gap / self.dt))

    @property
    def latency_steps(self):
        """Steps the latencies are spread over."""
        return int(round(self.t_max / self.dt))


def latency_code(vectors, timing, min_fraction=0.05):
    """Spike steps of each input in each slot: ``(n_slots, n_inputs)`` int.

    An input at ``min_fraction`` of its vector's largest activity or more fires at
    ``round((1 - a / max a) * latency_steps)``; the others (and every input of an
    all-zero vector) at ``latency_steps + 3``, the last volley.

    Parameters
    ----------
    vectors : ndarray, shape (n_slots, n_inputs)
        Non-negative activities.
    timing : SlotTiming
    min_fraction : float, optional
        In ``(0, 1]``.

    Returns
    -------
    ndarray of int, shape (n_slots, n_inputs)
        Steps from the slot's start.
    """
    x = np.asarray(vectors, float)
    if x.ndim != 2 or not np.all(np.isfinite(x)) or np.any(x < 0):
        raise ValueError(f"vectors must be a finite, non-negative 2-d array (slots, inputs); "
                         f"got shape {x.shape}")
    if not 0 < min_fraction <= 1:
        raise ValueError(f"min_fraction={min_fraction!r} must lie in (0, 1]")
    top = x.max(axis=1, keepdims=True)
    rel = np.divide(x, top, out=np.zeros_like(x), where=top > 0)
    steps = np.rint((1 - rel) * timing.latency_steps).astype(np.int64)
    steps[rel < min_fraction] = timing.latency_steps + 3
    return steps


class Presenter:
    """A layer of winner-take-all LIF neurons learning from latency-coded vectors.

    Parameters
    ----------
    vectors : ndarray, shape (n_slots, n_inputs)
        What each slot shows, in order (non-negative).
    n_outputs : int
        Output neurons.
    rule : neurosim rule
        ``ns.STDP`` or ``ns.RewardSTDP`` with ``w_max = W_MAX_MV`` mV.
    initial : ndarray, shape (n_outputs, n_inputs)
        Initial weights, fractions of ``w_max``.
    threshold : float
        Output neurons' threshold above rest, in mV (in units of ``w_max``).
    timing : SlotTiming
    tau_m : float, optional
        Membrane time constant, seconds.
    min_fraction : float, optional
        Of :func:`latency_code`.
    seed : int, optional
        The network's seed (nothing in it is random; kept for neurosim's build).
    neuron : {'lif', 'mcculloch_pitts'}, optional
        The output neurons: LIF (latency code; ``threshold`` in mV, ``rule``'s
        ``w_max`` 1 mV) or binary units (binary code, see the module's description;
        ``threshold`` dimensionless, ``w_max`` 1): :func:`stdp_bound`.
    """

    def __init__(self, vectors, n_outputs, rule, initial, threshold, timing, tau_m=0.1,
                 min_fraction=0.05, seed=0, neuron="lif"):
        _check_neuron(neuron)
        x = np.asarray(vectors, float)
        n_slots, n_in = x.shape
        self.timing, self.n_outputs, self.n_inputs = timing, int(n_outputs), n_in
        self.neuron = neuron
        steps = latency_code(x, timing, min_fraction)
        last = timing.latency_steps + 3
        if neuron == "mcculloch_pitts":     # binary: on at the first step, or last
            steps = np.where(steps < last, 0, last)
        self._latency = steps
        slot, inp = np.nonzero(np.ones_like(steps, bool))
        times = (slot * timing.steps + steps[slot, inp]) * timing.dt
        self._source = ns.SpikeGeneratorGroup(n_in, inp, times * second, name="latency_input")
        # the end-of-slot inhibition: a step before the last volley for LIF neurons
        # (it must be in v first); with it for binary units, whose input is one step's
        # (absolute inhibition vetoes a unit whatever its excitation)
        binary = neuron == "mcculloch_pitts"
        stop_t = (np.arange(n_slots) * timing.steps + last - 1 + binary) * timing.dt
        stop = ns.SpikeGeneratorGroup(1, np.zeros(n_slots, np.int64), stop_t * second,
                                      name="end_of_slot")
        if binary:
            model, unit = ns.McCullochPitts(theta=threshold, absolute_inhibition=True), 1.0
        else:
            model = ns.LIF(tau_m=tau_m * second, v_rest=0 * mV, v_reset=0 * mV,
                           v_th=threshold * mV, refractory=timing.t_max * second)
            unit = mV
        self._w_max = 1.0 if binary else W_MAX_MV * 1e-3
        self._unit = 1.0 if binary else volt
        self.cells = ns.NeuronGroup(self.n_outputs, model, name="learning_layer")
        pre = np.tile(np.arange(n_in), self.n_outputs)
        post = np.repeat(np.arange(self.n_outputs), n_in)
        initial = np.asarray(initial, float).ravel()
        self.synapses = ns.Synapses(self._source, self.cells, kind="excitatory",
                                    weight=self._grid(initial) * self._unit,
                                    connect=(pre, post), plasticity=rule, name="plastic_input")
        big = 100.0 * (threshold + n_in * W_MAX_MV)    # silences any neuron for the slot
        li, lj = np.nonzero(~np.eye(self.n_outputs, dtype=bool))
        lateral = ns.Synapses(self.cells, self.cells, kind="inhibitory", weight=big * unit,
                              connect=(li, lj), name="winner_take_all")
        silence = ns.Synapses(stop, self.cells, kind="inhibitory", weight=big * unit,
                              connect=ns.AllToAll(), name="end_of_slot_inhibition")
        self.spikes = ns.SpikeMonitor(self.cells)
        self.net = ns.Network(self._source, stop, self.cells, self.synapses, lateral,
                              silence, self.spikes)
        self.net.build(dt=timing.dt * second, seed=seed)
        self._seen = 0
        self.slot = 0
        #: How far below rest each neuron starts a slot, in mV: a threshold raised by
        #: that much (set by the learning rule between slots, e.g. homeostasis)
        self.offset = np.zeros(self.n_outputs)
        self._undo = np.zeros((self.n_outputs, self.n_inputs))
        #: The current slot's winner (:meth:`run_volley`); -1 before, or when none fired
        self.winner = -1
        self._losers = np.array([], np.int64)

    @property
    def weights(self):
        """Current weights, fractions of ``w_max``: ``(n_outputs, n_inputs)``."""
        w = np.zeros((self.n_outputs, self.n_inputs))
        w[self.synapses.j, self.synapses.i] = self.synapses.weight / self._w_max
        return w

    @property
    def volley_steps(self):
        """Steps from a slot's start to just after its last volley."""
        return self.timing.latency_steps + 4

    def run_volley(self):
        """Run the current slot up to just after its last volley; return its first spikes.

        Returns
        -------
        ndarray of int, shape (n_outputs,)
            Each output neuron's first spike, in steps from the slot's start; -1 for
            none.
        """
        self._before = self.weights
        if self.neuron == "lif":            # binary units: the offset acts in _break_tie
            self.cells.v = -self.offset * mV
        self.net.run(self.volley_steps * self.timing.dt * second, backend="numba")
        start = self.slot * self.timing.steps
        s, i = self.spikes.steps[self._seen:], self.spikes.i[self._seen:]
        self._seen += s.size
        first = np.full(self.n_outputs, -1, np.int64)
        for step, who in sorted(zip(s.tolist(), i.tolist()), reverse=True):
            first[who] = step - start
        self.winner = self._break_tie(first)
        return first

    def _break_tie(self, first):
        """The winner among the neurons that fired first (-1: none fired).

        Neurons that cross the threshold on the same input spike fire in the same step,
        before the winner-take-all can act. As Kheradpisheh et al. (2018) do, the one
        with the highest potential wins: the summed weights (at the slot's start) of
        the inputs that had fired by then (binary units: less their offsets, which
        for LIF neurons are already in the potential). The others' weight changes
        are undone (:meth:`settle`), as if the inhibition had silenced them.
        """
        fired = np.flatnonzero(first >= 0)
        self._losers = np.array([], np.int64)
        if fired.size == 0:
            return -1
        at = first[fired].min()
        tied = fired[first[fired] == at]
        if tied.size == 1:
            return int(tied[0])
        arrived = self._latency[self.slot] <= at
        potential = self._before[tied][:, arrived].sum(axis=1)
        if self.neuron == "mcculloch_pitts":
            potential = potential - self.offset[tied]
        best = int(tied[np.argmax(potential)])
        self._losers = fired[fired != best]
        return best

    def run_gap(self):
        """Run the rest of the current slot (the gap) and move to the next slot.

        The weight changes of tied losers (see :meth:`run_volley`) are noted, to be
        undone by :meth:`settle`.
        """
        self.net.run((self.timing.steps - self.volley_steps) * self.timing.dt * second,
                     backend="numba")
        if self._losers.size:
            after = self.weights
            self._undo[self._losers] += after[self._losers] - self._before[self._losers]
        self.slot += 1

    def settle(self):
        """Undo the tied losers' weight changes noted since the last call.

        Batched because setting ``syn.weight`` costs neurosim tens of milliseconds
        whatever the network's size (its input-bound check runs in parallel), while a
        slot costs about one: the learners call it once per image, so a tied loser's
        change stays in place until then.
        """
        if not np.any(self._undo):
            return
        w = self.weights - self._undo
        self._undo[:] = 0.0
        self.synapses.weight = self._grid(w[self.synapses.j, self.synapses.i]) * self._unit

    def present(self):
        """Run the next slot whole; return its first spikes (see :meth:`run_volley`)."""
        first = self.run_volley()
        self.run_gap()
        return first


    def _grid(self, fractions):
        """Weights given as fractions of ``w_max``, in SI units (volts, or none for
        binary units), within the rule's bounds.

        neurosim rounds weights to its fixed-point grid (2**-40 of the unit), which
        can put ``w_max`` itself just above the bound it then refuses: stay a grid
        step below.
        """
        w_max = self._w_max
        return np.clip(np.asarray(fractions, float) * w_max, 0.0, w_max - 2.0 ** -39)
