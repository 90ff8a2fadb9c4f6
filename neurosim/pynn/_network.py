"""The neurosim network that a PyNN description is simulated as.

:class:`Engine` translates the populations, projections, current sources and
recordings made since ``setup()`` into neurosim objects, in SI units, and advances
them. PyNN's units are ms, mV, nA, nF, uS and Hz:

* ``IF_curr_exp`` -> ``LIF(tau_syn_e, tau_syn_i, c_m=cm)``: weights in nA, as
  amperes (neurosim converts them with ``R = tau_m / cm``);
* ``IF_curr_alpha`` -> ``LIFAlpha(tau_syn_e, tau_syn_i, c_m=cm)``: weights in nA (the
  peak of the synaptic current), as amperes;
* ``IF_curr_delta`` -> ``LIF`` with delta synapses, weights in mV;
* ``IF_cond_exp`` -> ``LIFCond(g_l=cm / tau_m)``: weights in uS, as siemens;
  ``IF_cond_alpha`` -> ``LIFCondAlpha`` likewise (weights: the peak conductance);
* ``SpikeSourcePoisson`` -> ``PoissonGroup`` (``start`` and ``duration`` by switching the
  rate between pieces of the run), ``SpikeSourceArray`` -> ``SpikeGeneratorGroup``;
* ``i_offset``, ``DCSource`` and ``StepCurrentSource`` of a population -> one
  ``CurrentInput``; ``ACSource`` and ``NoisyCurrentSource`` -> a ``TimedCurrent`` each,
  its table as long as the run needs (a longer run rebuilds the network, the state
  carried over).

Refractory periods and delays are rounded to whole steps (PyNN's other backends do
the same with delays; a refractory period shorter than a step is none).
"""
import warnings

import numpy as np
from pyNN import errors
# PyNN's own classes, which neurosim's standard models extend (importing those would
# close an import cycle through the simulator's state)
from pyNN.standardmodels.synapses import AdditiveWeightDependence, TsodyksMarkramSynapse

import neurosim as ns
from neurosim._build_plastic import neuron_traces_from_synapses
from neurosim.kernels.plasticity import KIND, TRIPLET
from neurosim.kernels.plasticity_numpy import sample_plastic_numpy
from neurosim.units import Hz, mV, ms, nA, nF, second, uS, volt

from .standardmodels import cells

__all__ = ["Engine", "NS_VARIABLES", "timed_currents"]

# PyNN's recordable state variables -> neurosim's
NS_VARIABLES = {"v": "v", "isyn_exc": "i_e", "isyn_inh": "i_i", "gsyn_exc": "g_e",
                "gsyn_inh": "g_i"}
_COPIED = ("v", "ge", "gi", "ref", "aux", "spiked")


def uniform(values):
    """One value if all are equal (a model shared by the group), else the array."""
    a = np.asarray(values, dtype=float)
    return float(a.flat[0]) if a.size and np.all(a == a.flat[0]) else a


def parameters(pop):
    return {k: np.asarray(v, dtype=float) for k, v in pop._parameters.items()
            if k != "spike_times"}


def refractory(tau_refrac, dt):
    """Whole steps of ``tau_refrac`` (ms): as Brian2's ``timestep()``, a period of less
    than one step is none."""
    return np.floor(np.asarray(tau_refrac, dtype=float) / dt + 1e-6) * dt


def make_model(pop, dt):
    """The neurosim model of a population of a standard cell type."""
    p = parameters(pop)
    common = dict(tau_m=uniform(p["tau_m"]) * ms, v_rest=uniform(p["v_rest"]) * mV,
                  v_reset=uniform(p["v_reset"]) * mV, v_th=uniform(p["v_thresh"]) * mV,
                  refractory=uniform(refractory(p["tau_refrac"], dt)) * ms)
    ct = type(pop.celltype)
    if ct is cells.IF_curr_exp:
        return ns.LIF(**common, tau_syn_e=uniform(p["tau_syn_E"]) * ms,
                      tau_syn_i=uniform(p["tau_syn_I"]) * ms, c_m=uniform(p["cm"]) * nF)
    if ct is cells.IF_curr_alpha:
        return ns.LIFAlpha(**common, tau_syn_e=uniform(p["tau_syn_E"]) * ms,
                           tau_syn_i=uniform(p["tau_syn_I"]) * ms, c_m=uniform(p["cm"]) * nF)
    if ct is cells.IF_curr_delta:
        return ns.LIF(**common, c_m=uniform(p["cm"]) * nF)
    if ct is cells.IF_cond_exp:
        return ns.LIFCond(**common, tau_syn_e=uniform(p["tau_syn_E"]) * ms,
                          tau_syn_i=uniform(p["tau_syn_I"]) * ms,
                          e_e=uniform(p["e_rev_E"]) * mV, e_i=uniform(p["e_rev_I"]) * mV,
                          g_l=uniform(p["cm"] / p["tau_m"]) * uS)
    if ct is cells.IF_cond_alpha:
        return ns.LIFCondAlpha(**common, tau_syn_e=uniform(p["tau_syn_E"]) * ms,
                               tau_syn_i=uniform(p["tau_syn_I"]) * ms,
                               e_e=uniform(p["e_rev_E"]) * mV, e_i=uniform(p["e_rev_I"]) * mV,
                               g_l=uniform(p["cm"] / p["tau_m"]) * uS)
    raise NotImplementedError(f"neurosim.pynn cannot simulate {ct.__name__}")


def scale_to_ns(pop, variable):
    """Factor from PyNN's unit of ``variable`` to neurosim's value of it (per neuron)."""
    p = parameters(pop)
    if variable == "v":
        return 1e-3                                   # mV -> V
    if variable in ("isyn_exc", "isyn_inh"):
        return p["tau_m"] / p["cm"] * 1e-3            # nA x MOhm = mV -> V
    if variable in ("gsyn_exc", "gsyn_inh"):
        return p["tau_m"] / p["cm"]                   # uS / g_L
    raise errors.RecordingError(variable, pop.celltype)


def weight_unit(celltype):
    if getattr(celltype, "voltage_based_synapses", False):
        return mV
    return uS if celltype.conductance_based else nA


_TM = ("U", "tau_rec", "tau_facil")
_STDP = ("tau_plus", "tau_minus", "A_plus", "A_minus", "w_min", "w_max",
         "dendritic_delay_fraction")


def plasticity_of(prj, conn, post, dt):
    """``(connections, rule)`` for the connections ``conn`` of ``prj`` onto ``post``: one
    neurosim rule (``None`` for static synapses) per distinct set of its parameters."""
    st = prj.synapse_type
    names = _TM if isinstance(st, TsodyksMarkramSynapse) else _STDP if prj.plastic else ()
    if not names:
        return [(conn, None)]
    table = np.column_stack([prj._values[n][conn] for n in names])
    rows, which = np.unique(table, axis=0, return_inverse=True)
    which = which.ravel()
    out = []
    for r, row in enumerate(rows):
        p = dict(zip(names, row.tolist()))
        part = conn[which == r]
        if not prj.plastic:
            out.append((part, ns.TsodyksMarkram(U=p["U"], tau_rec=p["tau_rec"] * ms,
                                                tau_facil=p["tau_facil"] * ms)))
            continue
        if p["dendritic_delay_fraction"] != 0:
            raise NotImplementedError(
                f"STDPMechanism(dendritic_delay_fraction={p['dendritic_delay_fraction']:g}): "
                "neurosim's STDP sees the presynaptic spike when it arrives (after the whole "
                "delay) and the postsynaptic spike at once, i.e. all delays are axonal; set "
                "dendritic_delay_fraction=0 (as pyNN.brian2 requires)")
        if p["w_min"] < 0 or p["w_max"] < 0:
            raise NotImplementedError(
                f"STDPMechanism: w_min={p['w_min']:g}, w_max={p['w_max']:g}; neurosim's "
                "plastic weights are magnitudes (the receptor type gives the sign): give "
                "bounds >= 0")
        a_plus, a_minus = p["A_plus"], p["A_minus"]
        additive = isinstance(st.weight_dependence, AdditiveWeightDependence)
        if additive:
            # PyNN: dw = A * w_max; neurosim: dw = a * (w_max - w_min)
            span = p["w_max"] - p["w_min"]
            scale = p["w_max"] / span if span > 0 else 0.0
            a_plus, a_minus = a_plus * scale, a_minus * scale
        unit = weight_unit(post.celltype)
        out.append((part, ns.STDP(
            tau_plus=p["tau_plus"] * ms, tau_minus=p["tau_minus"] * ms, a_plus=a_plus,
            a_minus=a_minus, w_max=p["w_max"] * unit, w_min=p["w_min"] * unit,
            pairing="all", weight_dependence="additive" if additive else "multiplicative",
            transmit_first=False)))         # PyNN's backends send the depressed weight
    return out


def plastic_weights(w, rule, model, unit, prj):
    """The initial weights of plastic synapses, checked and kept inside the rule's
    bounds once neurosim rounds them to its fixed-point grid."""
    if not isinstance(rule, ns.STDP):
        if np.any(w < 0):
            raise NotImplementedError(
                f"{prj.label}: negative weights with TsodyksMarkramSynapse; give magnitudes "
                "(the receptor type gives the sign)")
        return w
    if np.any(w < 0):
        raise NotImplementedError(
            f"{prj.label}: negative weights with STDPMechanism; neurosim's plastic weights "
            "are magnitudes (the receptor type gives the sign)")
    si = np.asarray(model.weight_to_si("weight", 1.0 * unit))
    if si.size != 1:
        raise NotImplementedError(
            f"{prj.label}: STDPMechanism onto neurons with different tau_m or cm (their "
            "weight bounds would differ from neuron to neuron in neurosim's units)")
    si = float(si)
    lo = float(np.asarray(model.weight_to_si("w", rule._w_min_spec)))
    hi = float(np.asarray(model.weight_to_si("w", rule._w_max_spec)))
    if np.any(w * si < lo * (1 - 1e-12)) or np.any(w * si > hi * (1 + 1e-12)):
        bad = w[(w * si < lo * (1 - 1e-12)) | (w * si > hi * (1 + 1e-12))][0]
        raise errors.InvalidParameterValueError(
            f"{prj.label}: weight {bad:g} lies outside [w_min, w_max] of its STDPMechanism")
    from neurosim.kernels._layout import FIXED_SCALE
    lo_grid = np.ceil(lo * FIXED_SCALE) / FIXED_SCALE
    hi_grid = np.floor(hi * FIXED_SCALE) / FIXED_SCALE
    return np.clip(w, lo_grid / si, hi_grid / si)


def timed_currents(state, pop, group, dt, until):
    """The tables of the streamed sources injected into ``pop``.

    Parameters
    ----------
    state : neurosim.pynn.simulator.State
        The simulation, whose current sources are read.
    pop : Population
        A population of neurons.
    group : neurosim.NeuronGroup
        Its neurosim group.
    dt : float
        The time step (ms).
    until : int
        The step the coming run ends at: the tables cover at least the steps before it.

    Returns
    -------
    list of neurosim.TimedCurrent
        One per source and contiguous run of its targets, each a table of the source's
        current at every step from 0 (1 column, shared by the run's neurons).
    float
        The step up to which the tables are valid (``inf`` when they reach past the end
        of every source, whose last value, 0, then holds).
    """
    sources = [(s, idx) for s in state.current_sources if s.streamed
               for target, idx in s.targets if target is pop]
    if not sources:
        return [], np.inf
    end = max(max(s.window(dt)) for s, _ in sources)        # every source off from here
    # the table grows by doubling, so that a long simulation run in many short runs
    # rebuilds it a few times only
    length = min(end + 1, max(2 * until, 1000))
    out = []
    for source, idx in sources:
        values = source.samples(0, length, dt)
        neurons, times = np.unique(idx, return_counts=True)    # injected twice: twice
        for count in np.unique(times):
            chosen = neurons[times == count]
            for run in np.split(chosen, np.flatnonzero(np.diff(chosen) != 1) + 1):
                out.append(ns.TimedCurrent(group[int(run[0]):int(run[-1]) + 1],
                                           count * values * nA, dt=dt * ms))
    return out, (np.inf if length == end + 1 else float(length))


class Engine:
    """A neurosim network built from the current PyNN description."""

    def __init__(self, state, previous=None, until=0):
        self.state = state
        self.stale = False
        # the step up to which the tables of the streamed sources reach
        self.valid_until = np.inf
        dt = state.dt
        self.groups, self.currents, self.poisson = {}, {}, {}
        self.spike_monitors, self.state_monitors = {}, {}
        self.last_amplitude, self.last_rates = {}, {}
        objects = []
        pops = list(state.populations)
        for k, pop in enumerate(pops):
            if not pop.celltype.injectable:
                continue
            model = make_model(pop, dt)
            states = model.state_variables
            init = {}
            for var, lazy in pop.initial_values.items():
                if var in NS_VARIABLES and NS_VARIABLES[var] in states:
                    values = np.asarray(lazy.evaluate(simplify=False), dtype=float)
                    x = values * scale_to_ns(pop, var)            # SI (V) or units of g_L
                    name = NS_VARIABLES[var]
                    init[name] = x * volt if states[name][1] is not None else x
            group = ns.NeuronGroup(pop.size, model, name=f"pop{k}", **init)
            self.groups[pop] = group
            self.currents[pop] = ns.CurrentInput(group, np.zeros(pop.size) * nA)
            objects += [group, self.currents[pop]]
            tables, valid = timed_currents(state, pop, group, dt, until)
            objects += tables
            self.valid_until = min(self.valid_until, valid)
        for k, pop in enumerate(pops):
            if pop.celltype.injectable:
                continue
            if isinstance(pop.celltype, cells.SpikeSourcePoisson):
                group = ns.PoissonGroup(pop.size, 0 * Hz, name=f"pop{k}")
                self.poisson[pop] = group
            else:
                group = self._generator(pop, f"pop{k}")
            self.groups[pop] = group
            objects.append(group)
        self.layout = [(id(p), p.size) for p in pops if p.celltype.injectable] + \
                      [(id(p), p.size) for p in pops if not p.celltype.injectable]
        delays = []
        self.plastic_blocks = []      # (projection, its connections, Synapses, SI per unit)
        for k, prj in enumerate(state.projections):
            for b, (pre, post, i, j, conn) in enumerate(prj._blocks()):
                if i.size == 0:
                    continue
                steps = np.rint(prj._delay[conn] / dt).astype(np.int64)
                delays.append(steps.min() * dt)
                unit = weight_unit(post.celltype)
                for g, (part, rule) in enumerate(plasticity_of(prj, conn, post, dt)):
                    w = prj._weight[part]
                    if rule is None:
                        w = np.abs(w)
                    else:
                        w = plastic_weights(w, rule, self.groups[post].model, unit, prj)
                    at = np.searchsorted(conn, part)
                    syn = ns.Synapses(
                        self.groups[pre], self.groups[post], kind=prj.receptor_type,
                        weight=w * unit, delay=steps[at] * (dt * 1e-3) * second,
                        connect=ns.Explicit(i[at], j[at]), name=f"prj{k}_{b}_{g}",
                        plasticity=rule)
                    objects.append(syn)
                    if prj.plastic:
                        si = float(self.groups[post].model.weight_to_si("weight", 1.0 * unit))
                        self.plastic_blocks.append((prj, part, syn, si))
                    elif rule is not None:
                        self.plastic_blocks.append((prj, part, syn, None))
        if state.min_delay == "auto":
            state.min_delay = min(delays) if delays else dt
        for recorder in state.recorders:
            objects += self._monitors(recorder)
        self.net = ns.Network(*objects)
        self.net.build(dt=dt * ms, seed=state.seed)
        if previous is not None and state.t_step > 0:
            self._carry_over(previous)
        self.net.t_step = state.t_step

    # ----------------------------------------------------------------- parts
    def _generator(self, pop, name):
        """A SpikeGeneratorGroup with the spikes of ``pop`` from the current step on."""
        dt, now = self.state.dt, self.state.t_step
        idx, steps = [], []
        for k, seq in enumerate(pop._parameters["spike_times"]):
            s = np.rint(np.asarray(seq.value, dtype=float) / dt).astype(np.int64)
            s = np.unique(s[s >= now])         # two spikes in one step would be one
            idx.append(np.full(s.size, k))
            steps.append(s)
        idx = np.concatenate(idx) if idx else np.zeros(0, np.int64)
        steps = np.concatenate(steps) if steps else np.zeros(0, np.int64)
        return ns.SpikeGeneratorGroup(pop.size, idx.astype(np.int64),
                                      steps * (dt * 1e-3) * second, name=name)

    def _monitors(self, recorder):
        pop = recorder.population
        group, out = self.groups[pop], []
        every = max(1, int(np.rint(recorder.sampling_interval / self.state.dt)))
        recorder._every = every
        for variable, ids in recorder.recorded.items():
            if not ids:
                continue
            idx = np.array(sorted(int(i) - int(pop.first_id) for i in ids))
            if variable.name == "spikes":
                mon = ns.SpikeMonitor(group, record=idx)
                self.spike_monitors[pop] = [mon, 0]
            else:
                mon = ns.StateMonitor(group, NS_VARIABLES[variable.name], record=idx,
                                      every=every)
                self.state_monitors.setdefault(pop, {})[variable.name] = [mon, idx, 0]
            out.append(mon)
        return out

    def _carry_over(self, previous):
        if previous.layout != self.layout:
            raise NotImplementedError(
                "neurosim.pynn cannot add or remove populations once the simulation has "
                "started; create them before the first run(), or call reset() first")
        old, new = previous.net._arrays.neurons, self.net._arrays.neurons
        for field in _COPIED:
            a, b = getattr(old, field), getattr(new, field)
            if a is not None and b is not None and a.shape == b.shape:
                b[...] = a
        # input in flight: the slot of step s is s mod depth in both buffers
        d_old, d_new = old.buffer.shape[0], new.buffer.shape[0]
        t = self.state.t_step
        for s in range(t, t + d_old):
            if s - t < d_new:
                new.buffer[s % d_new] = old.buffer[s % d_old]
            elif old.buffer[s % d_old].any():
                warnings.warn("shorter delays after the rebuild: synaptic input scheduled "
                              f"for {(s - t) * self.state.dt:g} ms ahead was dropped")
        self._carry_over_plastic(previous)

    def _positions(self):
        """For each projection with plastic synapses: where each of its connections lies
        in the network's plastic arrays."""
        out = {}
        for prj, part, syn, _ in self.plastic_blocks:
            where = out.setdefault(prj, np.full(len(prj), -1, dtype=np.int64))
            where[part] = syn._positions
        return out

    def _carry_over_plastic(self, previous):
        """The plastic synapses' state (traces, time of their last update, weights that
        the user has not set since) and the presynaptic spikes still on their way."""
        old, new = previous.net._arrays.plastic, self.net._arrays.plastic
        if new.w.size == 0:
            return
        before, now = previous._positions(), self._positions()
        rows = min(old.trace.shape[0], new.trace.shape[0])
        t, known = self.state.t_step, np.zeros(new.w.size, dtype=bool)
        for prj, where in now.items():
            was = before.get(prj)
            if was is None or was.size != where.size:
                continue
            both = (was >= 0) & (where >= 0)
            a, b = was[both], where[both]
            new.trace[:rows, b] = old.trace[:rows, a]
            new.last[b] = old.last[a]
            _traces_of_neurons_to_synapses(old, a, new, b, t)
            known[b] = True
            if prj.plastic and prj._synced is not None:
                kept = (prj._weight == prj._synced)[both]     # not set by the user since
                new.w[b[kept]] = old.w[a[kept]]
        if new.slot_rule.size:      # then the traces kept per neuron
            same = all(getattr(old, f).shape == getattr(new, f).shape
                       and np.array_equal(getattr(old, f), getattr(new, f))
                       for f in ("slot", "slot_rule", "row_lo", "row_hi"))
            fields = ({f: getattr(old, f) for f in ("x_pre", "x_post", "epoch")} if same
                      else neuron_traces_from_synapses(new, new.trace, new.last, t, known))
            for name, value in fields.items():
                getattr(new, name)[...] = value
        # the ring of firing plastic sources: the spikes of the last steps still arrive
        t, d_old, d_new = self.state.t_step, old.queue.shape[0], new.queue.shape[0]
        has = new.pre_ptr[1:] > new.pre_ptr[:-1]
        for s in range(max(0, t - min(d_old, d_new) + 1), t):
            src = old.queue[s % d_old, :old.queue_n[s % d_old]]
            src = src[(src < has.size) & has[np.minimum(src, has.size - 1)]]
            src = src[:new.queue.shape[1]]
            new.queue[s % d_new, :src.size] = src
            new.queue_n[s % d_new] = src.size

    def _read_weights(self):
        """Copy the plastic weights (SI, magnitudes) into the projections (PyNN units)."""
        for prj, part, syn, si in self.plastic_blocks:
            if si is not None:
                prj._weight[part] = syn.weight / si
        for prj in {b[0] for b in self.plastic_blocks if b[3] is not None}:
            prj._synced = prj._weight.copy()

    # ------------------------------------------------------------------ runs
    def change_steps(self, lo, hi):
        """Steps in (lo, hi) where an injected current or a Poisson rate changes."""
        dt, out = self.state.dt, set()
        for source in self.state.current_sources:
            if not source.streamed and any(pop in self.groups for pop, _ in source.targets):
                out.update(int(s) for s in source.changes(dt)[0])
        for pop in self.poisson:
            start, stop = self._poisson_window(pop)
            out.update(int(s) for s in np.concatenate([start, stop]))
        return sorted(s for s in out if lo < s < hi)

    def _poisson_window(self, pop):
        p, dt = parameters(pop), self.state.dt
        start = np.rint(p["start"] / dt).astype(np.int64)
        stop = np.rint(np.minimum(p["start"] + p["duration"], 1e15) / dt).astype(np.int64)
        return start, stop

    def _apply_inputs(self, step):
        dt = self.state.dt
        for pop, current in self.currents.items():
            amp = np.array(parameters(pop)["i_offset"], dtype=float)
            for source in self.state.current_sources:
                if source.streamed:             # a TimedCurrent of its own
                    continue
                for target, idx in source.targets:
                    if target is pop:
                        np.add.at(amp, idx, source.amplitude_at(step, dt))
            if not np.array_equal(self.last_amplitude.get(pop), amp):
                current.amplitude = amp * nA
                self.last_amplitude[pop] = amp
        for pop, group in self.poisson.items():
            start, stop = self._poisson_window(pop)
            rates = np.where((start <= step) & (step < stop), parameters(pop)["rate"], 0.0)
            if not np.array_equal(self.last_rates.get(pop), rates):
                group.rates = rates * Hz
                self.last_rates[pop] = rates

    def advance(self, n):
        """Simulate ``n`` steps, cut where inputs change."""
        st = self.state
        lo, hi = st.t_step, st.t_step + n
        bounds = [lo] + self.change_steps(lo, hi) + [hi]
        for a, b in zip(bounds[:-1], bounds[1:]):
            if b <= a:
                continue
            self._apply_inputs(a)
            self.net.run((b - a) * (st.dt * 1e-3) * second, backend=st.backend)
            st.t_step = b
        self._read_weights()

    # ---------------------------------------------------------------- reading
    def new_spikes(self, pop):
        """Spikes of ``pop`` since the last call: (indices, times in ms)."""
        entry = self.spike_monitors.get(pop)
        if entry is None:
            return np.zeros(0, np.int64), np.zeros(0)
        mon, done = entry
        i, steps = mon.i[done:], mon.steps[done:]
        entry[1] = done + i.size
        return i.astype(np.int64), steps * self.state.dt

    def new_samples(self, pop, variable):
        """Samples of ``variable`` since the last call: (steps, indices, values in PyNN
        units, shape (n_samples, n_indices))."""
        entry = self.state_monitors.get(pop, {}).get(variable)
        if entry is None:
            return None
        mon, idx, done = entry
        steps = np.rint(mon.t / (self.state.dt * 1e-3)).astype(np.int64)[done:]
        values = getattr(mon, NS_VARIABLES[variable])[:, done:].T
        entry[2] = done + steps.size
        return steps, idx, values / np.broadcast_to(scale_to_ns(pop, variable), pop.size)[idx]

    def current_values(self, pop, variable, idx):
        """The values of ``variable`` now, for the neurons ``idx`` of ``pop`` (PyNN units)."""
        x = self.net.get_state(self.groups[pop], NS_VARIABLES[variable])[idx]
        return x / np.broadcast_to(scale_to_ns(pop, variable), pop.size)[idx]


def _traces_of_neurons_to_synapses(old, a, new, b, step):
    """Synapses ``a`` of ``old`` whose traces are kept per neuron give them, as they are
    at ``step``, to synapses ``b`` of ``new`` (rows of ``new.trace``, last update
    ``step``)."""
    by_neuron = old.slot[old.rule[a]] >= 0
    a, b = a[by_neuron], b[by_neuron]
    triplet = old.prm[old.rule[a], KIND] == TRIPLET
    for row in range(min(4, new.trace.shape[0])):
        take = triplet if row >= 2 else np.ones(a.size, dtype=bool)
        new.trace[row, b[take]] = sample_plastic_numpy(np.full(take.sum(), 1 + row), a[take],
                                                       step, old)
    new.last[b] = step
