"""The same network in Brian2, for peer validation (design.md section 6, rung 3).

:func:`to_brian2` turns a built neurosim :class:`~neurosim.Network` into a
Brian2 network that integrates the same equations with Brian2's own code
generation, from the same initial state, through the same synapses, with the
same realised random input; :func:`run_brian2` runs it and hands back its
recordings in neurosim's format. Where the two simulators then disagree, either
one has a bug or floating-point rounding has been amplified by chaos;
:mod:`neurosim.interop.validation` tells the two apart.

What each neurosim object becomes
---------------------------------
``LIF`` (exponential synapses)
    ``dv/dt = (v_rest - v + i_e - i_i + I_ext)/tau_m : volt (unless refractory)``,
    ``di_e/dt = -i_e/tau_e``, ``di_i/dt = -i_i/tau_i`` (volts), method
    ``'exact'``; threshold ``v > v_th``, reset ``v = v_reset`` (or ``v -= v_th - v_reset``
    for ``reset='subtract'``), ``refractory``.
    Synapses: ``on_pre='i_e_post += w'`` (``i_i_post`` for inhibitory ones).
``LIF`` (delta synapses)
    ``dv/dt = (v_rest - v + I_ext)/tau_m``, method ``'exact'``;
    ``on_pre='v_post += w*int(not_refractory_post)'`` (``-=`` for inhibitory):
    input that arrives while refractory is discarded, as in neurosim and NEST.
``LIFCond``
    ``dv/dt = (v_rest - v + g_e (e_e - v) + g_i (e_i - v) + I_ext)/tau_m``,
    ``dg_x/dt = -g_x/tau_x`` with conductances in units of ``g_l``, method
    ``'euler'`` (neurosim's forward Euler).
``McCullochPitts``
    Exported exactly with a clock-driven trick: variables ``x`` (state),
    ``h_e``, ``h_i`` (input accumulators) and a ``run_regularly`` operation in
    the ``groups`` slot that sets ``x = int(h_e - h_i + I_ext >= theta)``
    (vetoed by any inhibitory input with absolute inhibition) and empties the
    accumulators; threshold ``x > 0.5``, no reset. Synapses add to ``h_e`` or
    ``h_i``, so input reaches its target in the next step, as in neurosim.
    Weights lie on neurosim's fixed-point grid, so these sums are exact and
    Brian2 reproduces the units bit for bit. Asynchronous units draw their
    update decisions from neurosim's counter-based generator.
``PoissonGroup``
    A ``SpikeGeneratorGroup`` holding the spikes neurosim's counter-based
    generator gives for the network's seed (``uniform(seed, STREAM_POISSON_GROUP,
    step, global index) < rate*dt``), generated for each run.
``SpikeGeneratorGroup``
    A ``SpikeGeneratorGroup`` with the same spikes, on the same steps.
``PoissonInput``
    A network operation in the ``synapses`` slot that adds, to each target, the
    realised count of external spikes (neurosim's generator, see
    ``kernels.simulate._poisson_drives``) times the weight.
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
    steps) and ``RateMonitor`` results, as :class:`SpikeRecording`,
    :class:`StateRecording` and :class:`RateRecording`.

Model parameters (``tau_m``, ``v_rest``, ``v_th``, ``v_reset``, ``t_ref``
for ``refractory='t_ref'``, ...) are shared constant variables of each Brian2
group, so that all groups of a model share one set of equations and Brian2's
symbolic derivation of the ``'exact'`` update (tens of seconds in sympy) is
done once per process. The Brian2 network uses the schedule ``start, groups,
thresholds, synapses, resets, end`` (Brian2's default), one clock of step
``dt``, and runtime code generation (``'numpy'`` by default, ``'cython'`` on
request). With ``poisson='brian2'``, Poisson groups and drives become Brian2's
own ``PoissonGroup`` and ``PoissonInput`` with Brian2's random numbers, for
statistical comparisons. What cannot be exported exactly raises
:class:`Brian2ExportError` (a ``ValueError``) that says what and why: a
``LIF`` with ``tau_syn_e`` or ``tau_syn_i`` equal to ``tau_m``, a network that
has already run, a standalone Brian2 device, or a float32 Brian2.

Examples
--------
>>> import neurosim as ns
>>> from neurosim.units import ms, mV
>>> from neurosim.interop.brian2 import run_brian2
>>> cell = ns.NeuronGroup(1, ns.LIF(20*ms, -70*mV, -70*mV, -50*mV, refractory=2*ms))
>>> drive = ns.CurrentInput(cell, 30*mV)
>>> spikes = ns.SpikeMonitor(cell)
>>> net = ns.Network(cell, drive, spikes)
>>> rec = run_brian2(net, 100*ms, dt=0.1*ms, seed=1)
>>> net.run(100*ms, backend="numpy")
>>> bool((rec[spikes].steps == spikes.steps).all())
True
"""
import contextlib

import brian2 as b2
import numpy as np
from brian2.devices.device import RuntimeDevice
from brian2.stateupdaters.base import StateUpdateMethod
from brian2.stateupdaters.exact import exact

from .._validation import check_positive, steps_of
from ..inputs import CurrentInput, PoissonGroup, PoissonInput, SpikeGeneratorGroup, TimedCurrent
from ..kernels import _layout as L
from ..kernels import mcculloch_pitts
from ..kernels._rng import uniform_numpy
from ..models import LIF, LIFCond, McCullochPitts
from ..monitors import RateMonitor, SpikeMonitor, StateMonitor, _smooth_rate
from ..network import Network
from ..units import second

__all__ = ["to_brian2", "run_brian2", "Brian2Export", "Brian2ExportError", "SpikeRecording",
           "StateRecording", "RateRecording", "SCHEDULE", "TARGETS", "POISSON_MODES"]

#: Brian2's default schedule, the order of neurosim's time step.
SCHEDULE = ("start", "groups", "thresholds", "synapses", "resets", "end")
#: Brian2 code-generation targets the export runs on (runtime mode).
TARGETS = ("numpy", "cython")
#: Where the random input comes from: neurosim's realised draws, or Brian2's own.
POISSON_MODES = ("realised", "brian2")
_MAX_TIMED_VALUES = 5e7     # a TimedCurrent becomes a (rows x group size) TimedArray


class Brian2ExportError(ValueError):
    """A part of a neurosim network that has no exact Brian2 counterpart.

    The message says what and why. A subclass of :class:`ValueError`.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV
    >>> from neurosim.interop.brian2 import Brian2ExportError, to_brian2
    >>> lif = ns.LIF(10*ms, -70*mV, -70*mV, -50*mV, tau_syn_e=10*ms, tau_syn_i=5*ms)
    >>> cells = ns.NeuronGroup(1, lif)
    >>> try:
    ...     to_brian2(ns.Network(cells), seed=0)
    ... except Brian2ExportError:
    ...     print("tau_syn_e == tau_m has no exact Brian2 solution")
    tau_syn_e == tau_m has no exact Brian2 solution
    """


# ----------------------------------------------------------------- models
# Model parameters are shared constants of the group rather than names in its
# namespace: Brian2's 'exact' method derives the update symbolically (a Jordan
# form in sympy, 10-40 s), and with constants the derivation would depend on
# their values. As shared variables, the parameters keep the equations the same
# for every group of a model, so with _MemoisedExact it is done once per process.
_LIF_EXP = """
dv/dt = (v_rest - v + i_e - i_i + I_ext) / tau_m : volt (unless refractory)
di_e/dt = -i_e / tau_e : volt
di_i/dt = -i_i / tau_i : volt
"""
_LIF_DELTA = """
dv/dt = (v_rest - v + I_ext) / tau_m : volt (unless refractory)
"""
_LIF_COND = """
dv/dt = (v_rest - v + g_e * (e_e - v) + g_i * (e_i - v) + I_ext) / tau_m : volt (unless refractory)
dg_e/dt = -g_e / tau_e : 1
dg_i/dt = -g_i / tau_i : 1
"""
_MCCULLOCH_PITTS = """
x : 1
h_e : 1
h_i : 1
h : 1
"""


class _MemoisedExact(StateUpdateMethod):
    """Brian2's ``'exact'`` method, its result memoised by the equations alone.

    Brian2 caches the derivation by the equations and every variable of the
    group, its size ``N`` included, so each network of another size derives
    the same update again. Here every parameter is a shared constant declared
    in the equations, so the equations determine the result.
    """

    def __init__(self):
        self._memo = {}

    def __call__(self, equations, variables=None, method_options=None):
        key = (str(equations), repr(method_options))
        if key not in self._memo:
            self._memo[key] = exact(equations, variables, method_options)
        return self._memo[key]

    def __repr__(self):
        return "exact"


_EXACT = _MemoisedExact()


class _Spec:
    """How one neurosim model is written in Brian2."""

    def __init__(self, equations, params, threshold, reset="", refractory=False,
                 method=None, on_pre=None, weight_unit="1", current_unit="1",
                 input_var=None, delta=False, update_code=None):
        self.__dict__.update(locals())
        del self.__dict__["self"]

    @property
    def full_equations(self):
        """The equations with the per-neuron currents and the shared parameters."""
        lines = [self.equations.strip(), f"I_ext : {self.current_unit}",
                 f"I_bias : {self.current_unit}"]
        lines += [f"{name} : {unit} (constant, shared)"
                  for name, (_, unit) in self.params.items()]
        return "\n".join(lines) + "\n"


def _model_spec(model, group_name, dt):
    if isinstance(model, LIF):
        params = {"tau_m": (model.tau_m, "second"), "v_rest": (model.v_rest, "volt"),
                  "v_reset": (model.v_reset, "volt"), "v_th": (model.v_th, "volt"),
                  "t_ref": (model.refractory, "second")}
        reset = "v = v_reset" if model.reset == "to_v_reset" else "v -= v_th - v_reset"
        common = dict(threshold="v > v_th", reset=reset, refractory="t_ref",
                      method=_EXACT,
                      weight_unit="volt", current_unit="volt")
        if model.synapse == "delta":
            return _Spec(_LIF_DELTA, params, delta=True, input_var=("v", "v"),
                         on_pre={"excitatory": "v_post += w*int(not_refractory_post)",
                                 "inhibitory": "v_post -= w*int(not_refractory_post)"},
                         **common)
        for name in ("tau_syn_e", "tau_syn_i"):
            if abs(getattr(model, name) - model.tau_m) < 1e-12 * model.tau_m:
                raise Brian2ExportError(
                    f"{group_name}: {name} = tau_m = {model.tau_m * 1e3:g} ms. Brian2's 'exact' "
                    "solver writes the solution for distinct time constants and divides by "
                    f"({name} - tau_m), which gives NaN here (neurosim uses the limit); "
                    f"change {name} by a tiny amount to export this network")
        params.update(tau_e=(model.tau_syn_e, "second"), tau_i=(model.tau_syn_i, "second"))
        return _Spec(_LIF_EXP, params, input_var=("i_e", "i_i"),
                     on_pre={"excitatory": "i_e_post += w", "inhibitory": "i_i_post += w"},
                     **common)
    if isinstance(model, LIFCond):
        params = {"tau_m": (model.tau_m, "second"), "v_rest": (model.v_rest, "volt"),
                  "v_reset": (model.v_reset, "volt"), "v_th": (model.v_th, "volt"),
                  "tau_e": (model.tau_syn_e, "second"), "tau_i": (model.tau_syn_i, "second"),
                  "e_e": (model.e_e, "volt"), "e_i": (model.e_i, "volt"),
                  "t_ref": (model.refractory, "second")}
        return _Spec(_LIF_COND, params, threshold="v > v_th", reset="v = v_reset",
                     refractory="t_ref", method="euler",
                     weight_unit="1", current_unit="volt", input_var=("g_e", "g_i"),
                     on_pre={"excitatory": "g_e_post += w", "inhibitory": "g_i_post += w"})
    if isinstance(model, McCullochPitts):
        fire = "int(h + I_ext >= theta)"
        if model.absolute_inhibition:
            fire += " * int(not (h_i > 0))"
        # h_e - h_i is exact (both sums of weights on the fixed-point grid), so
        # storing it first leaves one rounding, the one neurosim makes
        update = ["h = h_e - h_i",
                  f"x = {fire}" if model.update == "synchronous" else
                  f"x = upd * {fire} + (1 - upd) * x",
                  "h_e = 0", "h_i = 0"]
        eqs = _MCCULLOCH_PITTS + ("upd : 1\n" if model.update == "asynchronous" else "")
        # the threshold neurosim compares with (theta less its tie tolerance)
        theta = float(model.params(dt)[mcculloch_pitts.THETA])
        return _Spec(eqs, {"theta": (theta, "1")}, threshold="x > 0.5",
                     on_pre={"excitatory": "h_e_post += w", "inhibitory": "h_i_post += w"},
                     input_var=("h_e", "h_i"), update_code="\n".join(update))
    raise Brian2ExportError(f"{group_name}: no Brian2 export for the model "
                            f"{type(model).__name__}; exported are LIF, LIFCond and "
                            "McCullochPitts")


# ------------------------------------------------------------ recordings
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


def _poisson_cdf(lam, p0, k_max):
    """CDF of Poisson(lam) at 0..k_max, by the same float operations as neurosim."""
    cdf = np.empty(k_max + 1)
    p = c = float(p0)
    cdf[0] = c
    for k in range(1, k_max + 1):
        p = p * (lam / float(k))
        c = c + p
        cdf[k] = c
    return cdf


# ---------------------------------------------------------------- export
@contextlib.contextmanager
def _brian2_prefs(target):
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
        unit = b2.volt if spec.current_unit == "volt" else 1
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
                p = g.model.params(self.dt)[mcculloch_pitts.P_UPDATE]
                gidx = self._offsets[id(g)] + np.arange(g.n)
                if p >= 1.0:
                    bg.upd_[:] = 1.0
                else:
                    self._objects.append(b2.NetworkOperation(
                        self._async_updates(bg, gidx, p), clock=self.clock, when="groups",
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

    def _async_updates(self, bg, gidx, p):
        upd = bg.variables["upd"]

        def draw():
            u = uniform_numpy(self.seed, L.STREAM_MP_UPDATE, self._step(), gidx)
            upd.get_value()[:] = (u < p).astype(float)
        return draw

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

    def _realise_poisson(self, first, n_steps):
        """Give each Poisson group the spikes neurosim's generator draws in these steps."""
        for src, bs in self._poisson:
            p = src.firing_probability(self.dt)
            live = np.flatnonzero(p > 0.0)
            gidx = self._offsets[id(src)] + live
            idx, steps = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
            for step in range(first, first + n_steps):
                fired = live[uniform_numpy(self.seed, L.STREAM_POISSON_GROUP, step, gidx)
                             < p[live]]
                idx.append(fired)
                steps.append(np.full(fired.size, step, np.int64))
            idx, steps = np.concatenate(idx), np.concatenate(steps)
            bs.set_spikes(idx, steps * self.dt * b2.second)

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
        if homogeneous:
            kwargs["delay"] = delays[0] * b2.second
        bs = b2.Synapses(src_b2, tgt_b2, **kwargs)
        bs.connect(i=np.asarray(s.i + s.source.start, dtype=np.int64),
                   j=np.asarray(s.j + s.target.start, dtype=np.int64))
        bs.w_[:] = s.weight
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
                self._objects.append(self._native_drive(d))
            return
        arr = self.network._arrays.drives
        plan = []
        for k, d in enumerate(drives):
            g = d.target.root
            spec = self._specs[g]
            plan.append(dict(
                stream=L.STREAM_POISSON_INPUT + k, group=self.groups[g],
                sl=slice(d.target.start, d.target.stop), n=d.target.n,
                var=spec.input_var[d.channel], sign=-1.0 if (spec.delta and d.channel) else 1.0,
                delta=spec.delta, lam=arr.lam[k], p0=arr.p0[k], n_sub=int(arr.n_sub[k]),
                cdf=_poisson_cdf(arr.lam[k], arr.p0[k], int(arr.k_max[k])),
                wfix=int(arr.weight[k])))
        def apply_drives():
            step = self._step()
            for d in plan:
                keys = np.arange(d["n"] * d["n_sub"])
                u = uniform_numpy(self.seed, d["stream"], step, keys)
                # neurosim's inversion (kernels.propagate._poisson_inverse): the
                # first k with u <= cdf[k], at most k_max
                counts = np.searchsorted(d["cdf"], u, side="left")
                counts = np.minimum(counts, d["cdf"].size - 1)
                counts = counts.reshape(d["n"], d["n_sub"]).sum(axis=1)
                # the same fixed-point product neurosim adds to its buffer
                amount = (counts * d["wfix"]) * L.FIXED_UNIT
                target = d["group"].variables[d["var"]].get_value()[d["sl"]]
                hit = counts > 0
                if d["delta"]:
                    free = d["group"].variables["not_refractory"].get_value()[d["sl"]]
                    hit &= free.astype(bool)
                target[hit] += d["sign"] * amount[hit]

        self._objects.append(b2.NetworkOperation(apply_drives, clock=self.clock,
                                                 when="synapses", order=1))

    def _native_drive(self, d):
        """Brian2's own PoissonInput (its own random numbers) for a PoissonInput."""
        g = d.target.root
        spec = self._specs[g]
        bg = self.groups[g]
        target = bg if d.target.n == g.n else bg[d.target.start:d.target.stop]
        var = spec.input_var[d.channel]
        w = float(np.rint(d.weight * L.FIXED_SCALE) * L.FIXED_UNIT)
        unit = "*volt" if spec.weight_unit == "volt" else ""
        if spec.delta:
            sign = "-" if d.channel else ""
            weight = f"{sign}{w!r}{unit}*int(not_refractory)"
        else:
            weight = f"{w!r}{unit}"
        return b2.PoissonInput(target, var, N=d.n, rate=d.rate * b2.Hz, weight=weight)

    # ------------------------------------------------------------- monitors
    def _export_monitors(self):
        spike_mons = {}
        for m in self.network.monitors:
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
        self._realise_poisson(self.t_step, n_steps)
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
            values = {v: np.array(getattr(bm, v + "_")).reshape(monitor.record.size, -1)
                      for v in monitor.variables}
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


def to_brian2(network, *, dt=None, seed=None, target="numpy", poisson="realised",
              brian2_seed=None):
    """Build the Brian2 network equivalent to a neurosim network.

    Parameters
    ----------
    network : neurosim.Network
        Built (``network.build(dt, seed)``) or not yet built, in which case it is
        built here with ``dt`` and ``seed``. It must not have run: Brian2 starts
        from the initial state.
    dt : Quantity, optional
        Time step used to build an unbuilt network (default 0.1 ms); must match
        a built network's step.
    seed : int, optional
        Seed used to build an unbuilt network; must match a built one's.
    target : {'numpy', 'cython'}
        Brian2 code-generation target. ``'cython'`` runs faster once compiled,
        but compiling costs minutes the first time (Brian2 caches the result).
    poisson : {'realised', 'brian2'}
        ``'realised'`` (default): Poisson groups and drives replay the draws of
        neurosim's counter-based generator for the network's seed, so both
        simulators see the same input and can agree spike for spike.
        ``'brian2'``: Brian2's own ``PoissonGroup`` and ``PoissonInput`` (a
        binomial count per step, which for ``rate*dt << 1`` is the Poisson
        count neurosim draws) with Brian2's random numbers; for statistical
        comparisons with independent noise. Asynchronous McCulloch-Pitts update
        decisions are replayed in both modes.
    brian2_seed : int, optional
        Passed to ``brian2.seed`` before the first run (it seeds numpy's global
        generator too), for reproducible ``poisson='brian2'`` runs.

    Returns
    -------
    Brian2Export
        Call ``.run(duration)`` then ``.recordings()``.

    Raises
    ------
    Brian2ExportError
        When part of the network has no exact Brian2 counterpart, or the network
        has already run.

    Examples
    --------
    A McCulloch-Pitts gate driven by two spikes, in Brian2 and in neurosim:

    >>> import neurosim as ns
    >>> from neurosim.units import ms
    >>> from neurosim.interop.brian2 import to_brian2
    >>> stim = ns.SpikeGeneratorGroup(1, [0, 0], [1, 3]*ms)
    >>> gate = ns.NeuronGroup(1, ns.McCullochPitts(theta=1))
    >>> syn = ns.Synapses(stim, gate, kind="excitatory", weight=1, connect=ns.AllToAll())
    >>> spikes = ns.SpikeMonitor(gate)
    >>> net = ns.Network(stim, gate, syn, spikes)
    >>> export = to_brian2(net, dt=1*ms, seed=0)
    >>> export.run(6*ms)
    >>> net.run(6*ms)
    >>> export.recording(spikes).steps, spikes.steps
    (array([2, 4]), array([2, 4]))
    """
    if not isinstance(network, Network):
        raise TypeError(f"network={network!r} must be a neurosim Network")
    if network._arrays is None:
        network.build(0.1e-3 * second if dt is None else dt, seed)
    else:
        if dt is not None and abs(check_positive("dt", dt, second) - network.dt) > \
                1e-12 * network.dt:
            raise ValueError(f"dt={dt!r} differs from dt={network.dt * 1e3:g} ms the network "
                             "was built with")
        if seed is not None and seed != network.seed:
            raise ValueError(f"seed={seed!r} differs from seed={network.seed} the network was "
                             "built with")
    if network.t_step != 0:
        raise Brian2ExportError(
            f"the network has already run for {network.t * 1e3:g} ms; to_brian2 exports the "
            "initial state, and neurosim does not expose refractory counters or spikes in "
            "transit. Export before net.run(), or build the same network again")
    return Brian2Export(network, target=target, poisson=poisson, brian2_seed=brian2_seed)


def run_brian2(network, duration, *, dt=None, seed=None, target="numpy", poisson="realised",
               brian2_seed=None):
    """Export ``network`` to Brian2, run it for ``duration`` and return its recordings.

    Parameters
    ----------
    network : neurosim.Network
        The network to export, as for :func:`to_brian2`.
    duration : Quantity
        Simulated time, a whole number of steps.
    dt, seed, target, poisson, brian2_seed : optional
        As for :func:`to_brian2`.

    Returns
    -------
    dict
        ``{monitor: recording}`` for every monitor of ``network``:
        a ``SpikeRecording`` (``i`` int32, ``t`` seconds, ``steps``,
        ``count``), a ``StateRecording`` (``t`` and one array per variable)
        or a ``RateRecording`` (``t``, ``rate`` in Hz).

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms
    >>> from neurosim.interop.brian2 import run_brian2
    >>> stim = ns.SpikeGeneratorGroup(2, [0, 1], [1, 2]*ms)
    >>> cells = ns.NeuronGroup(2, ns.McCullochPitts(theta=1))
    >>> syn = ns.Synapses(stim, cells, kind="excitatory", weight=1, connect=ns.OneToOne())
    >>> spikes = ns.SpikeMonitor(cells)
    >>> net = ns.Network(stim, cells, syn, spikes)
    >>> rec = run_brian2(net, 5*ms, dt=1*ms, seed=0)
    >>> rec[spikes].i, rec[spikes].t * 1e3
    (array([0, 1], dtype=int32), array([2., 3.]))
    """
    export = to_brian2(network, dt=dt, seed=seed, target=target, poisson=poisson,
                       brian2_seed=brian2_seed)
    export.run(duration)
    return export.recordings()
