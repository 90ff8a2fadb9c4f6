"""Projections between populations: excitatory or inhibitory, with weights and delays."""
from collections import namedtuple

import numpy as np

from ._fixed_point import to_fixed
from ._build_keyed import KeyedProjection, PerSynapse, _spec, streams
from .connectivity import Explicit, FixedIndegree, _Rule
from .distributions import Normal, Uniform
from .groups import _Population
from .inputs import check_kind, check_target
from ._validation import steps_of, to_si
from .kernels import connect as _connect
from .kernels._keyed import ARRAY, CONSTANT
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
    storage : {'stored', 'procedural'}, optional
        ``'stored'`` (default): the synapses are drawn once, at the build, and
        kept (14 bytes each). ``'procedural'``: nothing is kept per synapse; when
        a source fires, its synapses (targets, weights, delays) are drawn again
        from the same random keys, as GeNN's procedural connectivity does. For
        the same seed the run is identical to the stored one, spike for spike;
        it trades memory for time (a row is drawn for every spike). For rules
        drawn by source (``AllToAll``, ``OneToOne``, ``FixedProbability``,
        ``FixedOutdegree``, ``FixedTotalNumber``) with one weight and delay or
        ``Uniform``/``Normal`` ones, on the ``numpy`` and ``numba`` backends,
        on MPI ranks (each rank draws a firing source's row and adds the
        synapses onto its own neurons) and on the ``cuda`` backend (a GPU
        thread draws a row one synapse at a time, so there ``FixedOutdegree``
        and ``FixedTotalNumber`` need ``allow_multapses=True``; not on GPU
        ranks under MPI yet). Not for plastic synapses (their weights change
        and must be kept), explicit lists (the list is itself the storage) or
        ``FixedIndegree`` (drawn by target: a source's row cannot be drawn
        alone). ``i``, ``j``, ``weight`` and ``delay`` are then None.

    Notes
    -----
    Connectivity, weights and delays are drawn when the network is built, from
    the network's seed, and can be read afterwards as ``i``, ``j`` (int32 index
    arrays, as in Brian2), ``weight`` (SI/internal units) and ``delay``
    (seconds), unless ``storage='procedural'``. In a network split over MPI ranks
    (:mod:`neurosim.mpi`) each rank holds, and these give, only the synapses onto
    its own neurons.

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
    # per synapse: stored for explicit lists and plastic synapses; read from the
    # network's CSR arrays for the other projections (``_build_keyed.PerSynapse``)
    i, j, _weight_si, _delay_steps, _positions = (PerSynapse() for _ in range(5))

    def __init__(self, source, target, kind, weight, delay=0 * second, connect=None, name=None,
                 plasticity=None, storage="stored"):
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
        self.storage = storage
        self._csr = self._n_built = None
        self.i = self.j = self._weight_si = self._delay_steps = None
        self._network = None

    @property
    def storage(self):
        """Whether the synapses are kept (``'stored'``) or drawn again (``'procedural'``).

        Procedural synapses are drawn again from their keys at every spike of their
        source (see the class); settable before the build.
        """
        return self._storage

    @storage.setter
    def storage(self, value):
        if value not in ("stored", "procedural"):
            raise ValueError(f"storage={value!r} must be 'stored' or 'procedural'")
        if value == "procedural":
            why = _not_procedural(self)
            if why:
                raise ValueError(f"storage='procedural' is not possible for {self.name}: {why}; "
                                 "use storage='stored'")
        self._storage = value

    def expected_count(self):
        return self.rule.expected_count(self.source.n, self.target.n)

    def _build(self, index, seed, dt, source_offset, target_offset, keep=None):
        """Count this projection's synapses (the first pass of the build).

        Parameters
        ----------
        index : int
            The projection's index in the network (its random streams).
        seed : int
            The network's seed.
        dt : float
            Time step (s).
        source_offset, target_offset : int
            Global index of the first source and target neuron.
        keep : ndarray of bool, optional
            Under MPI: the targets whose incoming synapses this rank keeps.

        Returns
        -------
        ndarray of int64 or None
            Per source, its number of (kept) synapses, for the CSR arrays; None for a
            plastic projection, whose ``i``, ``j``, weights and delays are drawn here
            and kept apart (``_build_plastic``). ``_summary`` describes the whole
            projection, the same on every MPI rank.
        """
        src, tgt = self.source, self.target
        # self_pre[j]: local source index of the neuron that is target j, or -1
        g_post = target_offset + np.arange(tgt.n)
        self_pre = np.full(tgt.n, -1, dtype=np.int64)
        if src.root is tgt.root:
            rel = g_post - source_offset
            inside = (rel >= 0) & (rel < src.n)
            self_pre[inside] = rel[inside]
        self._dt, self._csr, self._keyed, self._procedural = dt, None, None, None
        self.i = self.j = self._weight_si = self._delay_steps = self._positions = None
        if isinstance(self.rule, Explicit):
            self._build_list(index, seed, dt, keep)
            return None if self.plasticity is not None else np.bincount(
                self.i, minlength=src.n).astype(np.int64)
        keyed = KeyedProjection(self, index, seed, dt, self_pre, keep)
        if self._storage == "procedural":
            # under MPI too: every rank can draw every row, and adds those synapses of a
            # firing source's row whose target it owns (kernels.procedural)
            summary, self._bound = keyed.scan()
            self._summary = ProjectionSummary(*summary)
            self._procedural = keyed            # what its rows need, for the engines
            return None
        counts = keyed.count()
        if self.plasticity is None:
            self._keyed, self._row_count = keyed, counts
            return counts
        # plastic: drawn into arrays of its own, as an explicit list would be
        base = np.zeros(counts.size, dtype=np.int64)
        np.cumsum(counts[:-1], out=base[1:])
        own = _connect_csr(int(counts.sum()))
        self._summary = ProjectionSummary(*keyed.fill(own, base, 0))
        self.i = _indices(np.repeat(np.arange(src.n), counts))
        self.j = _indices(own.target)
        self._weight_si = own.weight / FIXED_SCALE
        self._delay_steps = own.delay
        return None

    def _place(self, csr, base, add):
        """Write this static projection's synapses into the network's CSR arrays ``csr``:
        source ``s``'s from ``base[s]`` on (the second pass); ``add`` is added to the
        target indices (their global index and channel). Shared weights (``csr``'s
        ``weight_code`` not empty) are not written here: the build writes their codes."""
        if self._keyed is not None:
            self._summary = ProjectionSummary(*self._keyed.fill(csr, base, add))
            self._keyed = None
            self._csr = (base.copy(), self._row_count, add)
            return
        order = np.argsort(self.i, kind="stable")
        i_sorted = self.i[order]
        row = np.bincount(self.i, minlength=self.source.n)
        # place = the row's first place + rank among the synapses of the same source
        place = base[i_sorted] + np.arange(order.size) - (np.cumsum(row) - row)[i_sorted]
        pos = np.empty(order.size, dtype=np.int32 if csr.target.size < 2**31 else np.int64)
        pos[order] = place
        csr.target[pos] = self.j + add
        if not csr.weight_code.size:    # else shared: codes written by the build
            csr.weight[pos] = np.rint(self._weight_si * FIXED_SCALE).astype(np.int64)
        csr.delay[pos] = self._delay_steps
        self._positions = pos                       # to change weights later

    def _build_list(self, index, seed, dt, keep):
        """An explicit list: its pairs as given, its weights and delays keyed by the
        position in the list (``_keyed_values``); under MPI the part onto ``keep``."""
        i, j = self.rule._pairs(self.source.n, self.target.n)
        n_syn = i.size
        stream_w, stream_d = streams(index)[1:]
        w = _keyed_values(self, "weight", n_syn, seed, stream_w, dt)
        steps = _keyed_values(self, "delay", n_syn, seed, stream_d, dt)
        fixed = to_fixed(w)
        if keep is None:
            self._summary = ProjectionSummary(n_syn, None, None, None, *_min_max(steps))
        else:
            pairs = int((i * self.target.n + j).astype(np.uint64).sum(dtype=np.uint64))
            w_sum = int(fixed.astype(np.uint64).sum(dtype=np.uint64))
            self._summary = ProjectionSummary(n_syn, pairs, w_sum, int(steps.sum()),
                                              *_min_max(steps))
            mine = np.flatnonzero(keep[j])
            i, j, fixed, steps = i[mine], j[mine], fixed[mine], steps[mine]
        self.i, self.j = _indices(i), _indices(j)
        self._weight_si, self._delay_steps = fixed / FIXED_SCALE, steps.astype(np.int32)

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
        if self._storage == "procedural":
            raise ValueError(f"{self.name}: storage='procedural' keeps no weights to change; "
                             "give the weight to Synapses before the build, or use "
                             "storage='stored'")
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
        w = np.broadcast_to(w, self._weight_si.shape)
        rule = self._rules[1]
        if rule is not None:
            rule._check_weights(w, self.name)
        w = np.rint(w * FIXED_SCALE) / FIXED_SCALE
        if rule is not None:
            # the rounding to fixed point must not push a weight at a bound past it
            w = np.clip(w, rule.w_min, rule.w_max)
        self._network._set_weights(self, w)
        self._weight_si = w                 # stored for lists and plastic synapses only

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
        if self._csr is not None:
            return int(self._csr[1].sum())
        if self.__dict__.get("_procedural") is not None:
            return self._summary.n_synapses
        return None if self.i is None else int(self.i.size)

    def _procedural_identity(self):
        """What identifies a procedural projection in a checkpoint's connectivity digest
        (nothing of it is stored: its rule, weights, delays and size, with the seed);
        empty for a stored one, whose arrays enter the digest."""
        if self._storage != "procedural":
            return b""
        # without the checksums that only MPI ranks compute: the same under any split
        whole = self._summary._replace(pairs=None, weight_sum=None, delay_sum=None)
        return repr((self.source.n, self.target.n, self.kind, self.rule, self._weight_spec,
                     self._delay_spec, tuple(whole))).encode()

    def __repr__(self):
        return (f"Synapses({self.source.name} -> {self.target.name}, kind={self.kind!r}, "
                f"connect={self.rule!r})")


def _not_procedural(syn):
    """Why ``syn`` cannot be procedural (None if it can)."""
    if syn.plasticity is not None:
        return ("plasticity changes the weights during the run, so they must be stored "
                f"(plasticity={syn.plasticity!r})")
    if isinstance(syn.rule, Explicit):
        return "an explicit list of pairs is itself stored connectivity (connect=Explicit)"
    if isinstance(syn.rule, FixedIndegree):
        return ("FixedIndegree draws each target's sources, so a source's synapses cannot "
                "be drawn alone when it fires; FixedOutdegree, FixedProbability or "
                "FixedTotalNumber can")
    return None


def _indices(x):
    # int32 like Brian2's i and j, unless a population is too large for it
    x = np.asarray(x)
    return x.astype(np.int32) if x.size == 0 or x.max() < 2**31 else x.astype(np.int64)


def _connect_csr(size):
    """Arrays for ``size`` synapses, as the network's CSR holds them (a weight each)."""
    return _CSR(np.empty(size, np.int32), np.empty(size, np.int64), np.empty(size, np.int32),
                np.zeros(0, np.uint8))


_CSR = namedtuple("_CSR", "target weight delay weight_code")


def _keyed_values(syn, what, size, seed, stream, dt):
    """The weights (SI) or delays (steps) of an explicit list, keyed by list position."""
    model = syn.target.model
    if what == "weight":
        kind, prm, values = _spec("weight", syn._weight_spec,
                                  lambda name, v: model.weight_to_si(name, v))
    else:
        kind, prm, values = _spec("delay", syn._delay_spec,
                                  lambda name, v: to_si(name, v, second, allow_array=True))
    if kind == ARRAY and values.size != size:
        raise ValueError(f"{what} has shape {values.shape}; expected a single value or an "
                         f"array of length {size}")
    out = np.empty(size)
    _connect.draw_values(kind, prm, values, int(seed), int(stream), out)
    if what == "weight":
        if np.any(out < 0):
            raise ValueError(f"weight: {int((out < 0).sum())} of {size} drawn weights of "
                             f"{syn.name} are negative ({out.min():g}); weights are "
                             "magnitudes, truncate the distribution with low=0")
        return out
    if np.any(out < 0):
        raise ValueError(f"delay: drawn delays of {syn.name} reach {out.min() * 1e3:g} ms; "
                         "delays must be >= 0, truncate the distribution with low=0*ms")
    return steps_of("delay", out, dt, exact=kind in (CONSTANT, ARRAY))


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
