"""From a flattened NIR graph to a plan of neurosim populations and connections.

Private helper of :mod:`neurosim.interop.nir`: :func:`plan` returns plain data (the
neuron models, connection lists, delays and biases); ``NIRNetwork`` turns it into
neurosim objects for each run.
"""
from dataclasses import dataclass, field

import numpy as np

from . import _nir_graph as G
from ._nir_graph import NIRImportError


@dataclass
class Population:
    """One neuron node: its model (built by ``make``), size, shape and latency."""
    name: str
    n: int
    shape: tuple
    depth: int
    model: object
    bias: object = None           # per neuron, in the model's current unit, or None
    v_init: object = None         # initial v per neuron: v_leak (0 for IF)


@dataclass
class Connection:
    """Synapses from ``source`` to ``target`` (node names), ``delay`` in steps."""
    source: str
    target: str
    i: np.ndarray
    j: np.ndarray
    weight: np.ndarray            # signed, in the target model's weight unit
    delay: int = 0
    recurrent: bool = False


@dataclass
class Plan:
    inputs: dict = field(default_factory=dict)        # name -> shape
    populations: dict = field(default_factory=dict)   # name -> Population
    connections: list = field(default_factory=list)
    outputs: dict = field(default_factory=dict)       # output name -> neuron node name


def _param(node, name, n, what):
    value = getattr(node, name, None)
    if value is None:
        return np.zeros(n)
    arr = np.asarray(value, dtype=float).ravel()
    if arr.size == 1:
        arr = np.full(n, arr[0])
    if arr.size != n:
        raise NIRImportError(f"node {what!r}: {name} has {arr.size} values for {n} neurons")
    if not np.all(np.isfinite(arr)):
        raise NIRImportError(f"node {what!r}: {name} holds non-finite values")
    return arr


def _one(arr):
    """A scalar where all neurons agree (a model shared by the group), else the array."""
    return float(arr[0]) if np.all(arr == arr[0]) else arr


def _positive(arr, name, what):
    if np.any(arr <= 0):
        raise NIRImportError(f"node {what!r}: {name}={arr[arr <= 0][0]!r} must be > 0")


def neuron_model(name, node, n, dt, method, reset):
    """``(model, weight_factor, bias_factor)`` for a neuron node: the neurosim model,
    the factor (per neuron) that turns a NIR input into the model's weight unit, and
    the one that turns an Affine bias into its injected current."""
    from ._nir_model import NIRNeuron
    t = type(node).__name__
    v_th = _param(node, "v_threshold", n, name)
    v_reset = _param(node, "v_reset", n, name)
    r = _param(node, "r", n, name)
    if t == "IF":
        v_leak = np.zeros(n)
    else:
        v_leak = _param(node, "v_leak", n, name)
    if np.any(v_reset >= v_th):
        raise NIRImportError(f"node {name!r}: v_reset must lie below v_threshold")
    if method == "exact" and t != "IF":
        if reset == "subtract":
            raise NIRImportError("reset='subtract' is snnTorch's discrete-time rule; use "
                                 "it with method='euler'")
        from .. import LIF
        from ..units import second, volt
        tau = _param(node, "tau" if t == "LIF" else "tau_mem", n, name)
        _positive(tau, "tau", name)
        kwargs = dict(tau_m=_one(tau) * second, v_rest=_one(v_leak) * volt,
                      v_reset=_one(v_reset) * volt, v_th=_one(v_th) * volt)
        if t == "LIF":
            # tau dv/dt = v_leak - v + r I, I = W delta(t): v jumps by r W / tau
            return LIF(**kwargs), r / tau, r
        tau_syn = _param(node, "tau_syn", n, name)
        _positive(tau_syn, "tau_syn", name)
        w_in = _param(node, "w_in", n, name)
        ts = _one(tau_syn) * second
        # tau_syn dI/dt = -I + w_in W delta(t): I jumps by w_in W / tau_syn; i_e = r I
        return LIF(**kwargs, tau_syn_e=ts, tau_syn_i=ts), r * w_in / tau_syn, None
    if t == "IF":
        # dv/dt = r I: a spike (Dirac) adds r W; euler and exact agree but for the bias
        gain_m = r if method == "exact" else r * dt
        return (NIRNeuron(1.0, 0.0, _one(gain_m), 0.0, 1.0, _one(v_th), _one(v_reset),
                          reset=reset),
                np.ones(n), np.full(n, dt) if method == "exact" else np.ones(n))
    tau = _param(node, "tau" if t == "LIF" else "tau_mem", n, name)
    _positive(tau, "tau", name)
    if np.any(dt > tau * (1 + 1e-9)):
        raise NIRImportError(f"node {name!r}: dt={dt:g} s exceeds tau={tau.min():g} s; "
                             "forward Euler needs dt <= tau (snnTorch writes its graphs "
                             "for dt = 1e-4 s)")
    a = dt / tau
    decay_s, gain_s = np.zeros(n), np.ones(n)
    if t == "CubaLIF":
        tau_syn = _param(node, "tau_syn", n, name)
        _positive(tau_syn, "tau_syn", name)
        if np.any(dt > tau_syn * (1 + 1e-9)):
            raise NIRImportError(f"node {name!r}: dt={dt:g} s exceeds tau_syn="
                                 f"{tau_syn.min():g} s; forward Euler needs dt <= tau_syn")
        b = dt / tau_syn
        decay_s, gain_s = 1.0 - b, b * _param(node, "w_in", n, name)
    model = NIRNeuron(_one(1.0 - a), _one(a * v_leak), _one(a * r), _one(decay_s),
                      _one(gain_s), _one(v_th), _one(v_reset), reset=reset)
    return model, np.ones(n), np.ones(n)


def plan(graph, nir, dt, method, reset):
    """The populations and connections that simulate ``graph`` (see ``from_nir``)."""
    nodes, edges, inputs, outputs = G.flatten(graph, nir)
    shape = G.shapes(nodes, edges)
    into = G.compose(nodes, edges, shape)
    neurons = [n for n in nodes if G.kind(nodes[n]) == "neuron"]
    sources_of = {n: set(into[n][0]) for n in neurons}
    depth, back = G.depths(neurons, sources_of, inputs)
    out = Plan(inputs={k: shape[k] for k in inputs})
    factors = {}
    for name in neurons:
        n = int(np.prod(shape[name]))
        model, w_factor, b_factor = neuron_model(name, nodes[name], n, dt, method, reset)
        factors[name] = w_factor
        bias = into[name][1]
        if bias is not None and np.any(bias != 0):
            if b_factor is None:
                raise NIRImportError(f"node {name!r}: a CubaLIF fed by a bias (an Affine "
                                     "node's) is not supported with method='exact'; use "
                                     "method='euler' or a Linear node")
            bias = bias * b_factor
        else:
            bias = None
        v_init = np.zeros(n) if type(nodes[name]).__name__ == "IF" else _param(
            nodes[name], "v_leak", n, name)
        out.populations[name] = Population(name, n, shape[name], depth[name], model, bias,
                                           v_init)
    for name in neurons:
        for src, matrix in into[name][0].items():
            if src not in depth:
                raise NIRImportError(f"node {src!r} feeds {name!r} but no Input reaches it")
            rec = (src, name) in back
            delay = depth[name] - depth[src] - (0 if rec else 1)
            if delay < 0:
                raise NIRImportError(
                    f"the recurrent edge {src!r} -> {name!r} closes a loop over several "
                    "layers; only a layer's loop onto itself (snnTorch's RLeaky) can keep "
                    "the one-step lag of discrete-time frameworks")
            m = matrix.tocoo()
            keep = m.data != 0
            j, i = m.row[keep].astype(np.int64), m.col[keep].astype(np.int64)
            w = m.data[keep] * factors[name][j]
            out.connections.append(Connection(src, name, i, j, w, delay, rec))
    for name in outputs:
        parts = into[name][0]
        if into[name][1] is not None or len(parts) != 1:
            raise NIRImportError(f"output {name!r} is not the spikes of one neuron node")
        (src, m), = parts.items()
        if G.kind(nodes[src]) != "neuron" or (m != _identity(m.shape[0])).nnz:
            raise NIRImportError(f"output {name!r} reads {src!r} through a linear map; "
                                 "outputs must be the spikes of a neuron node")
        out.outputs[name] = src
    return out


def _identity(n):
    import scipy.sparse as sp
    return sp.identity(n, format="csr")
