"""The exporter: the Brian2 network built from a built neurosim network.

:class:`~neurosim.interop.brian2.Brian2Export` (made by
:func:`~neurosim.interop.brian2.to_brian2`) rebuilds each part of a neurosim
network in Brian2, runs it and reads its recordings back. Neuron models are
written by :mod:`neurosim.interop._brian2_models`, the random input by
:mod:`neurosim.interop._brian2_random`, and the recordings are the classes of
:mod:`neurosim.interop._brian2_recordings`.

What each neurosim object becomes
---------------------------------
``NeuronGroup``
    A Brian2 ``NeuronGroup`` with the equations of its model, its parameters as
    shared constants and neurosim's initial state.
``SpikeGeneratorGroup``
    A ``SpikeGeneratorGroup`` with the same spikes, on the same steps.
``PoissonGroup`` / ``PoissonInput``
    neurosim's realised draws, or Brian2's own with ``poisson='brian2'``
    (see :mod:`neurosim.interop._brian2_random`).
``CurrentInput`` / ``TimedCurrent``
    Per-neuron parameters ``I_bias`` (the constant currents, summed) and
    ``I_ext``, which the equations use: ``I_bias`` plus, for each
    ``TimedCurrent``, a two-dimensional ``TimedArray`` ``tc_k(t, i)`` (zero
    outside its target), set in the ``start`` slot of every step.
``Synapses``
    Brian2 ``Synapses`` with neurosim's realised connectivity, weights
    (already rounded to the fixed-point grid) and delays (whole steps; a delay
    of 0 acts in the step of the spike, after the threshold).
Monitors
    ``SpikeMonitor``, ``StateMonitor`` (``when='start'``, every ``every``
    steps) and ``RateMonitor`` results, as ``SpikeRecording``,
    ``StateRecording`` and ``RateRecording``.

The Brian2 network uses the schedule ``start, groups, thresholds, synapses,
resets, end`` (Brian2's default), one clock of step ``dt``, and runtime code
generation (``'numpy'`` by default, ``'cython'`` on request). A standalone
Brian2 device, a float32 Brian2, or a ``TimedCurrent`` too large for a
``TimedArray`` raise ``Brian2ExportError``.
"""
import contextlib
import re

import brian2 as b2
import numpy as np
from brian2.devices.device import RuntimeDevice

from .._validation import check_positive, steps_of
from ..inputs import CurrentInput, PoissonGroup, PoissonInput, SpikeGeneratorGroup, TimedCurrent
from ..monitors import RateMonitor, SpikeMonitor, StateMonitor
from ..synapses import Synapses
from ..units import second
from ..kernels.plasticity import STP_R, STP_U
from ..kernels.plasticity_numpy import sample_plastic_numpy
from ._brian2_models import Brian2ExportError, _model_spec
from ._brian2_random import _async_updates, _native_drive, _realise_poisson, _realised_drives
from ._brian2_recordings import RateRecording, SpikeRecording, StateRecording

#: Brian2's default schedule, the order of neurosim's time step.
SCHEDULE = ("start", "groups", "thresholds", "synapses", "resets", "end")
#: Brian2 code-generation targets the export runs on (runtime mode).
TARGETS = ("numpy", "cython")
#: Where the random input comes from: neurosim's realised draws, or Brian2's own.
POISSON_MODES = ("realised", "brian2")
_MAX_TIMED_VALUES = 5e7     # a TimedCurrent becomes a (rows x group size) TimedArray


@contextlib.contextmanager
def _brian2_prefs(target):
    """Set Brian2's code-generation target for the duration of a ``with`` block.

    Parameters
    ----------
    target : {'numpy', 'cython'}
        The target to use; the previous one is restored on leaving.
    """
    prefs = b2.prefs
    old = prefs.codegen.target
    prefs.codegen.target = target
    try:
        yield
    finally:
        prefs.codegen.target = old


class Brian2Export:
    """A neurosim network rebuilt in Brian2; made by :func:`to_brian2`.

    Parameters
    ----------
    network : neurosim.Network
        A built network that has not run yet.
    target : {'numpy', 'cython'}
        Brian2 code-generation target, see :func:`to_brian2`.
    poisson : {'realised', 'brian2'}
        Where the Poisson input comes from, see :func:`to_brian2`.
    brian2_seed : int, optional
        Seed for ``brian2.seed`` before the first run.

    Attributes
    ----------
    network : neurosim.Network
        The exported network (built, not run).
    brian2_network : brian2.Network
        The Brian2 twin; its objects are also in ``groups``, ``synapses``
        and ``monitors``.
    groups : dict
        neurosim ``NeuronGroup``/``PoissonGroup``/``SpikeGeneratorGroup`` ->
        Brian2 ``NeuronGroup`` or ``SpikeGeneratorGroup``.
    synapses : dict
        neurosim ``Synapses`` -> Brian2 ``Synapses`` (projections without any
        synapse are left out).
    target : str
        Brian2 code-generation target, ``'numpy'`` or ``'cython'``.
    t_step : int
        Steps simulated so far.

    Notes
    -----
    The export copies the network as built. Later changes to the neurosim
    network (weights, currents, models, initial state) are not mirrored;
    input rates and ``Network.reseed`` are, because the realised random input
    is drawn at each ``run`` from the objects and the network's seed.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms
    >>> from neurosim.interop.brian2 import to_brian2
    >>> stim = ns.SpikeGeneratorGroup(1, [0, 0], [1, 3]*ms)
    >>> gate = ns.NeuronGroup(1, ns.McCullochPitts(theta=1))
    >>> syn = ns.Synapses(stim, gate, kind="excitatory", weight=1, connect=ns.AllToAll())
    >>> spikes = ns.SpikeMonitor(gate)
    >>> export = to_brian2(ns.Network(stim, gate, syn, spikes), dt=1*ms, seed=0)
    >>> type(export.brian2_network).__name__
    'Network'
    >>> export.run(6*ms)
    >>> export.t_step, export.recording(spikes).steps
    (6, array([2, 4]))
    """

    def __init__(self, network, target="numpy", poisson="realised", brian2_seed=None):
        if poisson not in POISSON_MODES:
            raise ValueError(f"poisson={poisson!r} must be one of {POISSON_MODES}: 'realised' "
                             "replays neurosim's random input, 'brian2' draws Brian2's own")
        if target not in TARGETS:
            raise ValueError(f"target={target!r} must be one of {TARGETS} (Brian2's runtime "
                             "targets; the export uses network operations, which standalone "
                             "devices cannot run)")
        device = b2.get_device()
        if not isinstance(device, RuntimeDevice):
            raise Brian2ExportError(
                f"Brian2's device is {type(device).__name__}; the export needs the runtime "
                "device, because realised Poisson drives and asynchronous McCulloch-Pitts "
                "updates are network operations (call brian2.set_device('runtime'))")
        if np.dtype(b2.prefs.core.default_float_dtype) != np.float64:
            raise Brian2ExportError(
                f"brian2.prefs.core.default_float_dtype is {b2.prefs.core.default_float_dtype}; "
                "neurosim simulates in float64, so set it to float64 to compare")
        self.network = network
        self.target = target
        self.poisson = poisson
        self.brian2_seed = brian2_seed
        self.dt = network.dt
        self.t_step = 0
        self.groups, self.synapses, self.monitors = {}, {}, {}
        self._objects = []
        self._offsets = network._offsets()
        self.clock = b2.Clock(dt=self.dt * b2.second)
        self._specs = {}
        self._poisson = []
        with _brian2_prefs(target):   # connect() and value setting generate code too
            for g in network.groups:
                self._export_group(g)
            for src in network.sources:
                self._export_source(src)
            for s in network.synapses:
                if s.storage == "procedural":
                    raise Brian2ExportError(
                        f"{s.name}: storage='procedural' keeps no synapses to write into "
                        "Brian2's Synapses; build the same projection with "
                        "storage='stored' (the same seed draws the same synapses)")
                self._export_synapses(s)
            self._export_drives()
            self._export_monitors()
        self.brian2_network = b2.Network(*self._objects)
        self.brian2_network.schedule = list(SCHEDULE)

    # -------------------------------------------------------- neuron groups
    def _export_group(self, g):
        spec = _model_spec(g.model, g.name, self.dt)
        self._specs[g] = spec
        timed = [(k, c) for k, c in enumerate(self._timed_currents())
                 if c.target.root is g]
        # the model's current unit ("volt", "amp", "metre / second", "1", ...)
        unit = 1 if spec.current_unit == "1" else \
            eval(spec.current_unit, {"__builtins__": {}}, dict(vars(b2.units)))
        namespace, terms = {}, []
        for k, c in timed:
            # one column of values per neuron of the group, zero outside the target
            size = c.values.shape[0] * g.n
            if size > _MAX_TIMED_VALUES:
                raise Brian2ExportError(
                    f"TimedCurrent on {c.target.name}: Brian2 gets it as a TimedArray of "
                    f"{c.values.shape[0]} x {g.n} values, more than {_MAX_TIMED_VALUES:.0e}; "
                    "export a smaller network or a coarser TimedCurrent")
            full = np.zeros((c.values.shape[0], g.n))
            full[:, c.target.start:c.target.stop] = c.values
            namespace[f"tc_{k}"] = b2.TimedArray(full * unit, dt=c.dt * b2.second)
            terms.append(f"tc_{k}(t, i)")
        kwargs = dict(threshold=spec.threshold, reset=spec.reset, namespace=namespace,
                      clock=self.clock)
        if spec.refractory is not False:
            kwargs["refractory"] = spec.refractory
        if spec.method is not None:
            kwargs["method"] = spec.method
        bg = b2.NeuronGroup(g.n, spec.full_equations, **kwargs)
        for name, (value, _) in spec.params.items():
            setattr(bg, name + "_", value)
        for var in g.model.state_variables:
            getattr(bg, var + "_")[:] = self.network.get_state(g, var)
        # constant currents, summed in the order neurosim sums them (network order)
        bias = np.zeros(g.n)
        for c in self.network.inputs:
            if isinstance(c, CurrentInput) and c.target.root is g:
                bias[c.target.start:c.target.stop] += c.amplitude
        bg.I_bias_[:] = bias
        bg.I_ext_[:] = bias
        if terms:
            # One statement per term keeps neurosim's order of additions. The
            # first must compute a new array: Brian2's numpy target reads I_bias
            # as a view, so 'I_ext = I_bias' would alias it and the next
            # in-place addition would change I_bias as well.
            code = [f"I_ext = I_bias + {terms[0]}"] + [f"I_ext = I_ext + {x}" for x in terms[1:]]
            bg.run_regularly("\n".join(code), when="start", order=-1)
        if spec.update_code is not None:
            if g.model.update == "asynchronous":
                p = g.model.parameter_values(self.dt)["p_update"]
                gidx = self._offsets[id(g)] + np.arange(g.n)
                if p >= 1.0:
                    bg.upd_[:] = 1.0
                else:
                    self._objects.append(b2.NetworkOperation(
                        _async_updates(self, bg, gidx, p), clock=self.clock, when="groups",
                        order=-1))
            bg.run_regularly(spec.update_code, when="groups", order=0)
        self.groups[g] = bg
        self._objects.append(bg)

    @property
    def seed(self):
        """The seed of the random draws: the network's, which ``reseed`` may change."""
        return self.network.seed

    def _timed_currents(self):
        return [c for c in self.network.inputs if isinstance(c, TimedCurrent)]

    def _step(self):
        return int(self.clock.variables["timestep"].get_value().item())

    # -------------------------------------------------------------- sources
    def _export_source(self, src):
        if isinstance(src, SpikeGeneratorGroup):
            steps, idx = src.steps(self.dt)
            bs = b2.SpikeGeneratorGroup(src.n, idx, steps * self.dt * b2.second,
                                        clock=self.clock)
        elif isinstance(src, PoissonGroup) and self.poisson == "brian2":
            bs = b2.PoissonGroup(src.n, rates=src.rates * b2.Hz, clock=self.clock)
        elif isinstance(src, PoissonGroup):
            bs = b2.SpikeGeneratorGroup(src.n, np.zeros(0, dtype=int),
                                        np.zeros(0) * b2.second, clock=self.clock)
            self._poisson.append((src, bs))
        else:  # pragma: no cover - Network accepts no other source
            raise Brian2ExportError(f"{src!r}: unknown source type")
        self.groups[src] = bs
        self._objects.append(bs)

    # ------------------------------------------------------------- synapses
    def _export_synapses(self, s):
        if s.n_synapses == 0:
            return
        tgt_model = s.target.root
        spec = self._specs[tgt_model]
        src_b2 = self.groups[s.source.root]
        tgt_b2 = self.groups[tgt_model]
        delays = np.asarray(s.delay, dtype=float)
        homogeneous = bool(np.all(delays == delays[0]))
        kwargs = dict(model=f"w : {spec.weight_unit}", on_pre=spec.on_pre[s.kind],
                      clock=self.clock, namespace={})
        if s.plasticity is not None:
            kwargs.update(_plastic_code(s, spec))
        if homogeneous:
            kwargs["delay"] = delays[0] * b2.second
        bs = b2.Synapses(src_b2, tgt_b2, **kwargs)
        bs.connect(i=np.asarray(s.i + s.source.start, dtype=np.int64),
                   j=np.asarray(s.j + s.target.start, dtype=np.int64))
        bs.w_[:] = s.weight
        if s.plasticity is not None:
            _set_plastic_state(bs, s, self.network._arrays.plastic, self.dt,
                               self.network.t_step)
        if not homogeneous:
            bs.delay[:] = delays * b2.second
        self.synapses[s] = bs
        self._objects.append(bs)

    # ---------------------------------------------------- PoissonInput drives
    def _export_drives(self):
        drives = [d for d in self.network.inputs if isinstance(d, PoissonInput)]
        if not drives:
            return
        if self.poisson == "brian2":
            for d in drives:
                self._objects.append(_native_drive(self, d))
            return
        self._objects.append(_realised_drives(self, drives))

    # ------------------------------------------------------------- monitors
    def _export_monitors(self):
        spike_mons = {}
        for m in self.network.monitors:
            if isinstance(m.source, Synapses):         # a plastic projection's variables
                self.monitors[m] = _synapse_monitor(self, m)
                self._objects.append(self.monitors[m])
                continue
            root = m.source.root
            if isinstance(m, (SpikeMonitor, RateMonitor)):
                if root not in spike_mons:
                    spike_mons[root] = b2.SpikeMonitor(self.groups[root])
                    self._objects.append(spike_mons[root])
                self.monitors[m] = spike_mons[root]
            else:
                every = m.every
                kw = dict(clock=self.clock) if every == 1 else \
                    dict(dt=every * self.dt * b2.second)
                bm = b2.StateMonitor(self.groups[root], list(m.variables),
                                     record=m.record + m.source.start, when="start", **kw)
                self.monitors[m] = bm
                self._objects.append(bm)

    # ------------------------------------------------------------------ run
    def run(self, duration):
        """Simulate in Brian2, continuing from where the last run stopped.

        Parameters
        ----------
        duration : Quantity
            Simulated time, >= 0, a whole number of steps.
        """
        d = check_positive("duration", duration, second, strict=False)
        n_steps = int(steps_of("duration", d, self.dt))
        _realise_poisson(self, self.t_step, n_steps)
        if self.brian2_seed is not None and self.t_step == 0:
            b2.seed(self.brian2_seed)
        with _brian2_prefs(self.target):
            self.brian2_network.run(n_steps * self.dt * b2.second, namespace={}, report=None)
        self.t_step += n_steps
        if self._step() != self.t_step:  # pragma: no cover - a Brian2 clock surprise
            raise RuntimeError(f"Brian2 stopped at step {self._step()}, expected {self.t_step}")

    def recording(self, monitor):
        """What Brian2 recorded for one neurosim monitor of the network.

        Parameters
        ----------
        monitor : SpikeMonitor, StateMonitor or RateMonitor
            A monitor of the exported network.

        Returns
        -------
        SpikeRecording, StateRecording or RateRecording
            The recording, in the format of the neurosim monitor.
        """
        bm = self.monitors[monitor]
        if isinstance(monitor, StateMonitor):
            # Copies: since Brian2 2.10 (brian-team/brian2#1650, C++ dynamic arrays)
            # ``v_`` and ``t_`` are views of memory the monitor frees with itself,
            # and the views do not keep the monitor alive
            names = _B2_NAMES if isinstance(monitor.source, Synapses) else {}
            values = {v: np.array(getattr(bm, names.get(v, v) + "_")).reshape(
                monitor.record.size, -1) for v in monitor.variables}
            return StateRecording(np.array(bm.t_), values)
        lo, n = monitor.source.start, monitor.source.n
        gi = np.asarray(bm.i[:], dtype=np.int64)
        steps = np.rint(np.asarray(bm.t_[:]) / self.dt).astype(np.int64)
        inside = (gi >= lo) & (gi < lo + n)
        local, steps = gi[inside] - lo, steps[inside]
        if isinstance(monitor, RateMonitor):
            counts = np.bincount(steps, minlength=self.t_step)[:self.t_step]
            return RateRecording(np.arange(self.t_step) * self.dt, counts / (n * self.dt),
                                 self.dt)
        keep = np.isin(local, monitor.record)
        return SpikeRecording(local[keep], steps[keep], self.dt, n, monitor.record)

    def recordings(self):
        """What Brian2 recorded for every monitor of the network.

        Returns
        -------
        dict
            ``{neurosim monitor: recording}``, see :meth:`recording`.
        """
        return {m: self.recording(m) for m in self.network.monitors}



def _plastic_code(s, spec):
    """Brian2's ``model``, ``on_pre``, ``on_post`` and ``namespace`` of a projection with
    plasticity, in neurosim's order (kernels.plasticity): short-term plasticity's
    update, then the transmission (of ``w*r`` with it) and the long-term rule's update,
    in the order the rule's ``transmit_first`` says."""
    short, long = s._rules
    unit = b2.Unit(1) if spec.weight_unit == "1" else getattr(b2, spec.weight_unit)
    model, on_pre, namespace = [f"w : {spec.weight_unit}"], [], {}
    send = spec.on_pre[s.kind]
    if short is not None:
        m, pre, ns = short._brian2_code(unit)
        model.append(m)
        on_pre.append(pre)
        namespace.update(ns)
        send = re.sub(r"\bw\b", "(w*r)", send)
    code = dict(on_post=None)
    if long is not None:
        m, pre, post, ns = long._brian2_code(unit)
        model.append(m + "learning : 1 (shared)")
        # the weight as it was before the depression, or after it (transmit_first=False)
        on_pre += [send, pre] if long.transmit_first else [pre, send]
        namespace.update(ns)
        code["on_post"] = post
    else:
        on_pre.append(send)
    code.update(model="\n".join(model), on_pre="\n".join(on_pre), namespace=namespace)
    if code["on_post"] is None:
        del code["on_post"]
    return code


# neurosim's names of synaptic variables that Brian2 spells otherwise (it reserves the
# suffixes _pre and _post)
_B2_NAMES = {"weight": "w", "x_pre": "apre", "x_post": "apost"}


def _synapse_monitor(export, m):
    """Brian2's StateMonitor of a plastic projection's variables. Brian2 records an
    event-driven trace as it was at the synapse's last event (neurosim: decayed to the
    sample's time); weights agree."""
    every = m.every
    kw = dict(clock=export.clock) if every == 1 else dict(dt=every * export.dt * b2.second)
    return b2.StateMonitor(export.synapses[m.source],
                           [_B2_NAMES.get(v, v) for v in m.variables],
                           record=np.asarray(m.record), when="start", **kw)


def _set_plastic_state(bs, s, pl, dt, step):
    """The traces of ``s``'s plastic synapses as they are now (rested after a build).
    Traces kept per neuron are given to each synapse as they are at ``step``, its last
    update."""
    short, long = s._rules
    rows = {}
    if long is not None:
        bs.learning = float(s.learning)
        names = ("apre", "apost") if long.trace_rows == 2 else ("r1", "o1", "r2", "o2")
        rows.update(zip(names, range(len(names))))
    if short is not None:
        rows["R"] = STP_R
        if short.tau_facil > 0:
            rows["u"] = STP_U
    q = s._positions
    if pl.slot[s._rule_row] >= 0:
        for name, row in rows.items():
            getattr(bs, name)[:] = sample_plastic_numpy(np.full(q.size, 1 + row), q, step, pl)
        bs.lastupdate_[:] = step * dt
        return
    for name, row in rows.items():
        getattr(bs, name)[:] = pl.trace[row, q]
    bs.lastupdate_[:] = pl.last[q] * dt
