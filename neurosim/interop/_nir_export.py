"""Writing a neurosim network as a NIR graph: the work of
:func:`neurosim.interop.nir.to_nir` (see its docstring)."""
import numpy as np


class NIRExportError(ValueError):
    """A network that NIR cannot express (a ``ValueError``).

    Raised by :func:`~neurosim.interop.nir.to_nir`; the message names the object, the
    parameter, its value and what NIR allows.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV
    >>> from neurosim.interop.nir import NIRExportError, to_nir
    >>> lif = ns.LIF(tau_m=10*ms, v_rest=0*mV, v_reset=0*mV, v_th=10*mV,
    ...              refractory=2*ms)
    >>> net = ns.Network(ns.NeuronGroup(2, lif, name="cells"))
    >>> try:
    ...     to_nir(net, seed=0)
    ... except NIRExportError as err:
    ...     print(err)
    group 'cells': refractory='2 ms' cannot be written in NIR; ...
    """


def _fail(what, name, value, allowed):
    raise NIRExportError(f"{what}: {name}={value!r} cannot be written in NIR; {allowed}")


def _lif_values(group, nir_dt):
    """The per-neuron parameters of an ns.LIF group, checked against what NIR holds."""
    from .. import LIF
    model = group.model
    what = f"group {group.name!r}"
    if not isinstance(model, LIF):
        _fail(what, "model", type(model).__name__,
              "to_nir writes ns.LIF neurons (current-based, exponential or delta synapses)")
    for var, value in group.initial_values.items():
        _fail(what, f"initial value of {var}", value,
              "a NIR graph has no initial state (neurons start at v_leak); leave it unset")
    spec = model.heterogeneous
    if any(not isinstance(v, np.ndarray) and np.ndim(v) == 0 for v in spec.values()):
        bad = next(k for k, v in spec.items() if np.ndim(v) == 0)
        _fail(what, bad, spec[bad], "draw the values yourself and give one per neuron")
    models = model.per_neuron(group.n, None)
    if model.refractory > 0 or any(m.refractory > 0 for m in models):
        _fail(what, "refractory", f"{model.refractory * 1e3:g} ms",
              "NIR neurons have no refractory period; use refractory=0*ms")
    if model.reset != "to_v_reset":
        _fail(what, "reset", model.reset, "NIR's LIF resets to v_reset; use 'to_v_reset'")
    get = {k: np.array([getattr(m, k) if getattr(m, k) is not None else np.nan
                        for m in models]) for k in ("tau_m", "v_rest", "v_reset", "v_th",
                                                    "tau_syn_e", "tau_syn_i")}
    if model.synapse == "exponential" and not np.allclose(get["tau_syn_e"], get["tau_syn_i"],
                                                           rtol=0, atol=0):
        _fail(what, "tau_syn_i", f"{model.tau_syn_i * 1e3:g} ms",
              f"NIR's CubaLIF has one synaptic time constant: tau_syn_i must equal "
              f"tau_syn_e={model.tau_syn_e * 1e3:g} ms")
    return model.synapse, get


def _node(nir, synapse, p, nir_dt):
    tau = p["tau_m"]
    n = tau.size
    common = dict(v_leak=p["v_rest"], v_threshold=p["v_th"], v_reset=p["v_reset"])
    if synapse == "delta":
        # tau dv/dt = v_leak - v + r I: a Dirac of W moves v by r W / tau (= W);
        # one step of value W moves it by dt/tau r W (= W)
        r = tau.copy() if nir_dt is None else tau / nir_dt
        return nir.LIF(tau=tau, r=r, **common), np.ones(n)
    tau_syn = p["tau_syn_e"]
    if nir_dt is None:
        # I jumps by w_in W / tau_syn = W and v sees r I = i_e
        return (nir.CubaLIF(tau_syn=tau_syn, tau_mem=tau, r=np.ones(n), w_in=tau_syn.copy(),
                            **common), np.ones(n))
    # snnTorch's form: v = (1 - dt/tau) v + I, I = (1 - dt/tau_syn) I + W s; neurosim's
    # i_e (volts) enters v at dt/tau_m i_e per step, so W = w dt/tau_m
    return (nir.CubaLIF(tau_syn=tau_syn, tau_mem=tau, r=tau / nir_dt, w_in=tau_syn / nir_dt,
                        **common), nir_dt / tau)


def export(nir, network, nir_dt, outputs, seed):
    """See :func:`neurosim.interop.nir.to_nir`."""
    from ..inputs import PoissonGroup, SpikeGeneratorGroup
    for inp in network.inputs:
        _fail(f"{type(inp).__name__} onto {inp.target.name!r}", "input", type(inp).__name__,
              "NIR graphs take spikes through Input nodes only (SpikeGeneratorGroup or "
              "PoissonGroup sources); remove injected currents and Poisson drives")
    for src in network.sources:
        if not isinstance(src, (SpikeGeneratorGroup, PoissonGroup)):    # pragma: no cover
            _fail(f"source {src.name!r}", "type", type(src).__name__, "spike sources only")
    nodes, edges = {}, []
    scale = {}
    for g in network.groups:
        synapse, p = _lif_values(g, nir_dt)
        nodes[g.name], scale[g.name] = _node(nir, synapse, p, nir_dt)
    for s in network.sources:
        nodes[s.name] = nir.Input(input_type=np.array([s.n]))
    if network._arrays is None:
        from ..units import second
        network.build(dt=(nir_dt or 1e-4) * second, seed=seed)
    matrices = {}
    for syn in network.synapses:
        if syn.storage == "procedural":
            _fail(f"synapses {syn.name!r}", "storage", "procedural",
                  "NIR stores every weight in a matrix; use storage='stored'")
        delays = np.asarray(syn.delay)
        if delays.size and np.any(delays != 0):
            _fail(f"synapses {syn.name!r}", "delay", f"{delays.max() * 1e3:g} ms",
                  "NIR's Linear nodes have no delays; use delay=0*ms")
        src, tgt = syn.source.root, syn.target.root
        key = (src.name, tgt.name)
        if key not in matrices:
            matrices[key] = np.zeros((tgt.n, src.n))
        sign = 1.0 if syn.kind == "excitatory" else -1.0
        w = np.asarray(syn.weight, float) * np.ones(syn.n_synapses)
        j = syn.j.astype(np.int64) + syn.target.start
        np.add.at(matrices[key], (j, syn.i.astype(np.int64) + syn.source.start),
                  sign * w * scale[tgt.name][j])
    for (a, b), w in matrices.items():
        name = f"{a}->{b}"
        nodes[name] = nir.Linear(weight=w)
        edges += [(a, name), (name, b)]
    names = [g.name for g in network.groups]
    if outputs is None:
        outputs = [g for g in names if not any(a == g for a, _ in matrices)] or names
    for g in outputs:
        if g not in names:
            raise ValueError(f"outputs names {g!r}, which is not a neuron group of the "
                             f"network ({names})")
        nodes[f"{g}.output"] = nir.Output(output_type=np.array([nodes[g].v_threshold.size]))
        edges.append((g, f"{g}.output"))
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"source": "neurosim"})
