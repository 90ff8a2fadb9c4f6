"""Projections between populations: excitatory or inhibitory, with weights and delays."""
from collections import namedtuple

import numpy as np

from .connectivity import Explicit, _Rule
from .distributions import Normal, Uniform, resolve
from .groups import _Population
from .inputs import check_kind, check_target
from ._validation import steps_of, to_si
from .kernels._layout import FIXED_SCALE
from .plasticity import RewardSTDP, rules_of
from .units import Hz, second

__all__ = ["Synapses"]

# what every MPI rank knows of a whole projection, although it keeps only its part:
# its size, checksums of its pairs, weights and delays (None in one process), and
# its shortest and longest delay in steps (None without synapses)
ProjectionSummary = namedtuple("ProjectionSummary", "n_synapses pairs weight_sum delay_sum "
                                                    "min_delay_steps max_delay_steps")


class Synapses:
    """A projection from ``source`` to ``target`` through excitatory or inhibitory synapses.

    Parameters
    ----------
    source : NeuronGroup, Subgroup, PoissonGroup or SpikeGeneratorGroup
        Presynaptic population.
    target : NeuronGroup or Subgroup
        Postsynaptic population.
    kind : {'excitatory', 'inhibitory'}
        Which synaptic variable of the target a spike increments; this, not the
        weight, gives the sign (Dale's law).
    weight : Quantity, array or distribution
        Magnitude of each synapse (>= 0), in the unit the target model takes
        weights in (volts for ``LIF``, units of ``g_l`` or siemens for
        ``LIFCond``, plain numbers for ``McCullochPitts``). One value, an array
        with one value per synapse, or ``Uniform``/``Normal``.
    delay : Quantity, array or distribution, optional
        Transmission delay (time), default 0: the spike acts in the step it is
        emitted, after the threshold, as in Brian2. A given value must be a whole
        number of steps; values drawn from a distribution are rounded to the
        nearest step.
    connect : rule or (i, j) tuple
        ``AllToAll()``, ``OneToOne()``, ``FixedProbability(p)``,
        ``FixedIndegree(k)``, ``FixedOutdegree(k)``, ``FixedTotalNumber(n)``,
        ``Explicit(i, j)``, or a tuple of index arrays.
    name : str, optional
        Shown in errors; default ``'synapses_'`` plus a number.
    plasticity : rule or (rule, rule), optional
        Plasticity of the synapses: a long-term rule
        that changes the weights during the run (``STDP``, ``TripletSTDP``;
        initial weights must lie within its bounds), a short-term one
        (``TsodyksMarkram``), or one of each. Runs on the ``numpy`` and ``numba``
        backends.

    Notes
    -----
    Connectivity, weights and delays are drawn when the network is built, from
    the network's seed, and can be read afterwards as ``i``, ``j`` (int32 index
    arrays, as in Brian2), ``weight`` (SI/internal units) and ``delay``
    (seconds). In a network split over MPI ranks (:mod:`neurosim.mpi`) each rank
    holds, and these give, only the synapses onto its own neurons.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV
    >>> cells = ns.NeuronGroup(100, ns.LIF(20*ms, -49*mV, -60*mV, -50*mV,
    ...                                    tau_syn_e=5*ms, tau_syn_i=10*ms))
    >>> ee = ns.Synapses(cells[:80], cells, kind="excitatory", weight=1.62*mV,
    ...                  connect=ns.FixedProbability(0.02))
    """

    _count = 0

    def __init__(self, source, target, kind, weight, delay=0 * second, connect=None, name=None,
                 plasticity=None):
        if not isinstance(source, _Population):
            raise TypeError(f"source={source!r} must be a neuron group, a slice of one or an "
                            "input group")
        self.source = source
        self.target = check_target("target", target)
        self.channel = check_kind(kind)
        self.kind = kind
        if isinstance(connect, tuple) and len(connect) == 2:
            connect = Explicit(*connect)
        if not isinstance(connect, _Rule):
            raise TypeError(f"connect={connect!r} must be a connection rule (e.g. "
                            "FixedProbability(0.1)) or a tuple (i, j) of index arrays")
        self.rule = connect
        self._weight_spec = weight
        self._delay_spec = delay
        if not isinstance(weight, (Uniform, Normal)):
            w = target.model.weight_to_si("weight", weight)
            if np.any(np.asarray(w) < 0):
                raise ValueError(f"weight={_first_negative(weight)!r} is negative; give a "
                                 f"magnitude >= 0, the sign comes from kind={kind!r}")
        if not isinstance(delay, (Uniform, Normal)):
            d = to_si("delay", delay, second, allow_array=True)
            if np.any(np.asarray(d) < 0):
                raise ValueError(f"delay={delay!r} must be >= 0")
        Synapses._count += 1
        self.name = name or f"synapses_{Synapses._count}"
        self.plasticity = plasticity
        self._rules = (None, None) if plasticity is None else tuple(
            None if r is None else r._bind(target.model, self.name)
            for r in rules_of(plasticity, self.name))
        self._learning = True
        self.i = self.j = self._weight_si = self._delay_steps = None
        self._network = None

    def expected_count(self):
        return self.rule.expected_count(self.source.n, self.target.n)

    def _build(self, rng, dt, source_offset, target_offset, keep=None):
        """Draw connectivity, weights and delays into ``i``, ``j``, the weights and delays.

        ``keep`` (bool per target neuron, for one MPI rank) keeps only the synapses
        onto the marked targets, drawn from the same random numbers as the whole
        projection (``_Rule._connect_local``). ``_summary`` describes the whole
        projection, the same on every rank (for the ranks' agreement check, the
        minimum delay and the depth of the delay buffer)."""
        src, tgt = self.source, self.target
        # self_pre[j]: local source index of the neuron that is target j, or -1
        g_post = target_offset + np.arange(tgt.n)
        self_pre = np.full(tgt.n, -1, dtype=np.int64)
        if src.root is tgt.root:
            rel = g_post - source_offset
            inside = (rel >= 0) & (rel < src.n)
            self_pre[inside] = rel[inside]
        if keep is None:
            i, j = self.rule.connect(src.n, tgt.n, rng, self_pre)
            n_syn, mine, pairs = i.size, None, None
        else:
            i, j, mine, n_syn, pairs = self.rule._connect_local(src.n, tgt.n, rng, self_pre, keep)
        model = tgt.model
        w_conv = lambda name, v: model.weight_to_si(name, v)    # noqa: E731
        d_conv = lambda name, v: to_si(name, v, second, allow_array=True)   # noqa: E731
        # a constant draws nothing: made for the part only
        w_c, d_c = (None, None) if mine is None else \
            (_constant("weight", self._weight_spec, w_conv),
             _constant("delay", self._delay_spec, d_conv))
        w = resolve("weight", self._weight_spec, n_syn if w_c is None else mine.size, rng, w_conv)
        if np.any(w < 0):
            raise ValueError(f"weight: {int((w < 0).sum())} of {n_syn} drawn weights of "
                             f"{self.name} are negative ({w.min():g}); weights are magnitudes, "
                             "truncate the distribution with low=0")
        exact = not isinstance(self._delay_spec, (Uniform, Normal))
        d = resolve("delay", self._delay_spec, n_syn if d_c is None else mine.size, rng, d_conv)
        if np.any(d < 0):
            raise ValueError(f"delay: drawn delays of {self.name} reach {d.min() * 1e3:g} ms; "
                             "delays must be >= 0, truncate the distribution with low=0*ms")
        steps = steps_of("delay", d, dt, exact=exact)
        # the weights as simulated: rounded to the fixed-point grid of the input sums
        w = np.rint(w * FIXED_SCALE) / FIXED_SCALE
        # of the whole projection; in one process, no checksums (nobody compares)
        if mine is None:
            self._summary = ProjectionSummary(n_syn, None, None, None, *_min_max(steps))
        else:
            if w_c is None:
                w_sum, w = float(w.sum()), w[mine]
            else:
                w_sum = float(np.rint(w_c * FIXED_SCALE) / FIXED_SCALE) * n_syn
            if d_c is None:
                d_sum, (lo, hi), steps = int(steps.sum()), _min_max(steps), steps[mine]
            else:
                k = int(steps_of("delay", np.array([d_c]), dt)[0])
                d_sum, (lo, hi) = k * n_syn, (k, k) if n_syn else (None, None)
            self._summary = ProjectionSummary(n_syn, pairs, w_sum, d_sum, lo, hi)
        # kept compactly (int32 indices, delays in steps): at 3e8 synapses (PD14) every
        # byte per synapse is 0.3 GB
        self.i, self.j = _indices(i), _indices(j)
        self._weight_si, self._delay_steps, self._dt = w, steps.astype(np.int32), dt

    @property
    def delay(self):
        """Delay of each synapse in seconds, a whole number of steps, once built; None before."""
        return None if self._delay_steps is None else self._delay_steps * self._dt

    @property
    def weight(self):
        """Weight of each synapse as simulated (internal unit), once built; None before.

        The internal unit is volts for ``LIF`` targets, units of ``g_L`` for
        ``LIFCond`` and plain numbers for ``McCullochPitts``. Setting it between
        runs (one value or one per synapse, with units) takes effect at the next
        step without recompiling.

        Examples
        --------
        >>> import neurosim as ns
        >>> from neurosim.units import ms, mV
        >>> stim = ns.SpikeGeneratorGroup(2, [0, 1], [1, 3]*ms)
        >>> cells = ns.NeuronGroup(1, ns.LIF(10*ms, -70*mV, -70*mV, -50*mV))
        >>> syn = ns.Synapses(stim, cells, kind="excitatory", weight=5*mV,
        ...                   connect=ns.AllToAll())
        >>> syn.weight is None                          # not built yet
        True
        >>> ns.Network(stim, cells, syn).build(dt=0.1*ms, seed=0)
        >>> syn.weight                                  # volts
        array([0.005, 0.005])
        >>> syn.weight = [2, 3]*mV
        >>> syn.weight
        array([0.002, 0.003])
        """
        if self._weight_si is None:
            return None
        if self.plasticity is not None and self._network is not None \
                and self._network._arrays is not None:
            return self._network._plastic_weights(self)
        return self._weight_si.copy()

    @weight.setter
    def weight(self, value):
        if self._weight_si is None:
            raise RuntimeError(f"{self.name}: weights can be changed once the network is "
                               "built; before, pass weight= to Synapses")
        w = np.asarray(self.target.model.weight_to_si("weight", value), dtype=float)
        if w.ndim and w.shape != self._weight_si.shape:
            raise ValueError(f"weight has shape {w.shape}; expected one value or "
                             f"{self._weight_si.size} (one per synapse)")
        if np.any(w < 0):
            raise ValueError(f"weight={w.min():g} is negative; give magnitudes >= 0, the sign "
                             f"comes from kind={self.kind!r}")
        w = np.rint(np.broadcast_to(w, self._weight_si.shape) * FIXED_SCALE) / FIXED_SCALE
        if self._rules[1] is not None:
            self._rules[1]._check_weights(w, self.name)
        self._network._set_weights(self, w)
        self._weight_si = w

    @property
    def learning(self):
        """Whether the long-term plasticity rule changes the weights (True by default).

        Switched off, the weights stay as they are while the traces go on, so
        learning can resume later; no recompilation either way. Only for
        projections with a long-term rule (``STDP``, ``TripletSTDP``, ``RewardSTDP``).

        Examples
        --------
        >>> import neurosim as ns
        >>> from neurosim.units import ms, mV
        >>> cells = ns.NeuronGroup(10, ns.LIF(10*ms, -70*mV, -70*mV, -50*mV))
        >>> rule = ns.STDP(tau_plus=20*ms, tau_minus=20*ms, a_plus=0.01, a_minus=0.01,
        ...                w_max=1*mV)
        >>> syn = ns.Synapses(cells, cells, kind="excitatory", weight=0.5*mV,
        ...                   connect=ns.FixedProbability(0.2), plasticity=rule)
        >>> syn.learning = False          # the weights stay fixed from now on
        >>> syn.learning
        False
        """
        return self._learning

    @learning.setter
    def learning(self, value):
        if self._rules[1] is None:
            raise ValueError(f"{self.name} has no long-term plasticity rule; learning "
                             "applies to projections made with plasticity=STDP(...), "
                             "TripletSTDP(...) or RewardSTDP(...)")
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"learning={value!r} must be True or False")
        self._learning = bool(value)
        net = self._network
        if net is not None and net._arrays is not None:
            from .kernels.plasticity import LEARNING
            pl = net._arrays.plastic
            pl.prm[self._rule_row, LEARNING] = float(value)

    @property
    def dopamine(self):
        """The dopamine level of a projection with ``RewardSTDP``, in Hz (0 at the build).

        It decays with the rule's ``tau_d`` and rises at the spikes of its
        ``dopamine_source``; set it between runs to deliver a reward (or a dip)
        at the current time. Reading it before the build gives None.

        Examples
        --------
        >>> import neurosim as ns
        >>> from neurosim.units import Hz, ms, mV, second
        >>> cells = ns.NeuronGroup(10, ns.LIF(10*ms, -70*mV, -70*mV, -50*mV))
        >>> rule = ns.RewardSTDP(tau_plus=20*ms, tau_minus=20*ms, a_plus=0.1, a_minus=0.15,
        ...                      tau_c=1*second, tau_d=200*ms, w_max=1*mV)
        >>> syn = ns.Synapses(cells, cells, kind="excitatory", weight=0.5*mV,
        ...                   connect=ns.FixedProbability(0.2), plasticity=rule)
        >>> ns.Network(cells, syn).build(dt=0.1*ms, seed=0)
        >>> syn.dopamine = 20*Hz          # a reward now
        >>> syn.dopamine
        20.0
        """
        self._reward_rule()
        net = self._network
        if net is None or net._arrays is None:
            return None
        return float(net._built().plastic.dopamine[self._rule_row])

    @dopamine.setter
    def dopamine(self, value):
        self._reward_rule()
        level = float(to_si("dopamine", value, Hz))
        self._network._built().plastic.dopamine[self._rule_row] = level

    def _reward_rule(self):
        if not isinstance(self._rules[1], RewardSTDP):
            raise ValueError(f"{self.name} has no reward-modulated rule; dopamine applies to "
                             "projections made with plasticity=RewardSTDP(...)")

    @property
    def n_synapses(self):
        """Number of synapses once built (``None`` before).

        Examples
        --------
        >>> import neurosim as ns
        >>> cells = ns.NeuronGroup(10, ns.McCullochPitts())
        >>> syn = ns.Synapses(cells, cells, kind="excitatory", weight=1,
        ...                   connect=ns.AllToAll(allow_autapses=False))
        >>> ns.Network(cells, syn).build(seed=0)
        >>> syn.n_synapses
        90
        """
        return None if self.i is None else int(self.i.size)

    def __repr__(self):
        return (f"Synapses({self.source.name} -> {self.target.name}, kind={self.kind!r}, "
                f"connect={self.rule!r})")


def _indices(x):
    # int32 like Brian2's i and j, unless a population is too large for it
    x = np.asarray(x)
    return x.astype(np.int32) if x.size == 0 or x.max() < 2**31 else x.astype(np.int64)


def _constant(name, spec, convert):
    """The value of ``spec`` if it is one value (SI), None for a distribution or an array."""
    if isinstance(spec, (Uniform, Normal)):
        return None
    x = np.asarray(convert(name, spec), dtype=float)
    return float(x) if x.ndim == 0 else None


def _min_max(steps):
    return (int(steps.min()), int(steps.max())) if steps.size else (None, None)


def _first_negative(value):
    arr = np.asarray(value)
    if arr.ndim == 0:
        return value
    try:                       # a Quantity array keeps its unit when indexed
        return value[arr < 0][0]
    except (TypeError, IndexError):
        return arr[arr < 0][0]
