"""Reading a NIR graph: flattening subgraphs, shapes, and the connection matrices of
its linear nodes (``Affine``, ``Linear``, ``Conv2d``, ``SumPool2d``, ``AvgPool2d``,
``Flatten``, ``Scale``, ``Identity``), composed from each spiking node to the next.

Private helpers of :mod:`neurosim.interop.nir`; ``nir`` is imported by the caller.
"""
import numpy as np
import scipy.sparse as sp


class NIRImportError(ValueError):
    """A NIR graph that :func:`~neurosim.interop.nir.from_nir` cannot build.

    A ``ValueError``; the message names the node, what it holds and what is
    supported.

    Examples
    --------
    >>> import numpy as np
    >>> import nir
    >>> from neurosim.units import ms
    >>> from neurosim.interop.nir import NIRImportError, from_nir
    >>> graph = nir.NIRGraph.from_list(
    ...     nir.Delay(delay=np.array([1e-3])),
    ...     nir.LIF(tau=np.array([1e-3]), r=np.array([10.0]), v_leak=np.zeros(1),
    ...             v_threshold=np.ones(1)))
    >>> try:
    ...     from_nir(graph, dt=0.1*ms)
    ... except NIRImportError as err:
    ...     print(err)
    node 'delay' is a Delay: delays are not supported; from_nir reads LIF, ...
    """


NEURON_TYPES = ("LIF", "CubaLIF", "IF")
LINEAR_TYPES = ("Affine", "Linear", "Conv2d", "SumPool2d", "AvgPool2d", "Flatten", "Scale",
                "Identity")
SUPPORTED = NEURON_TYPES + LINEAR_TYPES + ("Input", "Output", "NIRGraph")


def flatten(graph, nir):
    """Nodes and edges of ``graph`` with nested ``NIRGraph`` nodes inlined: an inner
    node ``k`` of subgraph ``s`` becomes ``'s.k'``; the subgraph's own ``Input`` and
    ``Output`` nodes become pass-through nodes. Returns ``(nodes, edges, inputs,
    outputs)`` with ``inputs``/``outputs`` the names of the top level's nodes."""
    nodes, edges = {}, []
    entry, exit_ = {}, {}

    def add(g, prefix):
        for name, node in g.nodes.items():
            full = prefix + name
            if isinstance(node, nir.NIRGraph):
                add(node, full + ".")
                ins = [full + "." + k for k, n in node.nodes.items() if isinstance(n, nir.Input)]
                outs = [full + "." + k for k, n in node.nodes.items()
                        if isinstance(n, nir.Output)]
                if len(ins) != 1 or len(outs) != 1:
                    raise NIRImportError(f"subgraph {full!r} has {len(ins)} Input and "
                                         f"{len(outs)} Output nodes; one of each is supported")
                entry[full], exit_[full] = ins[0], outs[0]
            else:
                nodes[full] = ("pass" if prefix and isinstance(node, (nir.Input, nir.Output))
                               else node)
        for a, b in g.edges:
            edges.append((prefix + a, prefix + b))

    add(graph, "")
    edges = [(exit_.get(a, a), entry.get(b, b)) for a, b in edges]
    for name, node in nodes.items():
        kind = "pass" if isinstance(node, str) else type(node).__name__
        if kind != "pass" and kind not in SUPPORTED:
            hint = {"Delay": "delays", "LI": "non-spiking leaky integrators",
                    "CubaLI": "non-spiking leaky integrators", "I": "non-spiking integrators",
                    "Conv1d": "1-d convolutions", "Threshold": "threshold nodes"}.get(kind, kind)
            raise NIRImportError(f"node {name!r} is a {kind}: {hint} are not supported; "
                                 f"from_nir reads {', '.join(NEURON_TYPES + LINEAR_TYPES)}")
    inputs = [k for k, n in graph.nodes.items() if isinstance(n, nir.Input)]
    outputs = [k for k, n in graph.nodes.items() if isinstance(n, nir.Output)]
    return nodes, edges, inputs, outputs


def kind(node):
    """``'input'``, ``'output'``, ``'neuron'`` or ``'linear'`` (pass-through included)."""
    if isinstance(node, str):
        return "linear"
    name = type(node).__name__
    if name in NEURON_TYPES:
        return "neuron"
    return {"Input": "input", "Output": "output"}.get(name, "linear")


def _pair(x):
    x = np.atleast_1d(np.asarray(x)).astype(int)
    return (int(x[0]), int(x[0])) if x.size == 1 else (int(x[0]), int(x[1]))


def _conv_out(size, pad, dil, k, stride):
    return (size + 2 * pad - dil * (k - 1) - 1) // stride + 1


def _input_shape(node):
    t = getattr(node, "input_type", None) or {}
    s = t.get("input") if isinstance(t, dict) else None
    return None if s is None else tuple(int(v) for v in np.asarray(s).ravel())


def neuron_shape(node):
    """Shape given by a neuron node's parameters, or None when they are scalars."""
    shapes = [np.shape(v) for v in vars(node).values() if isinstance(v, np.ndarray)]
    big = [s for s in shapes if int(np.prod(s)) > 1]
    return big[0] if big else None


def shapes(nodes, edges):
    """The output shape of every node, propagated from the inputs (several passes, so
    that recurrent edges settle)."""
    out = {}
    for name, node in nodes.items():
        if kind(node) == "input":
            out[name] = _input_shape(node) or tuple(
                int(v) for v in np.asarray(node.output_type["output"]).ravel())
        elif kind(node) == "neuron" and neuron_shape(node) is not None:
            out[name] = tuple(neuron_shape(node))
    preds = {n: [a for a, b in edges if b == n] for n in nodes}
    for _ in range(len(nodes) + 1):
        changed = False
        for name, node in nodes.items():
            if name in out:
                continue
            known = [out[p] for p in preds[name] if p in out]
            if not known and not isinstance(node, str) and type(node).__name__ in (
                    "Affine", "Linear"):
                known = [(node.weight.shape[1],)]
            if not known:
                continue
            out[name] = _output_shape(name, node, known[0])
            changed = True
        if not changed:
            break
    missing = [n for n in nodes if n not in out]
    if missing:
        raise NIRImportError(f"cannot infer the shape of nodes {missing}: no path from an "
                             "Input node reaches them")
    return out


def _output_shape(name, node, shape_in):
    t = "pass" if isinstance(node, str) else type(node).__name__
    if t in ("pass", "Identity", "Scale", "Output") or kind(node) == "neuron":
        return shape_in
    if t in ("Affine", "Linear"):
        if node.weight.ndim != 2:
            raise NIRImportError(f"node {name!r}: {t} weight of shape {node.weight.shape}; "
                                 "only 2-d weights (out, in) are supported")
        return (int(node.weight.shape[0]),)
    if t == "Flatten":
        s = list(shape_in)
        start = node.start_dim % len(s)
        end = node.end_dim % len(s)
        return tuple(s[:start] + [int(np.prod(s[start:end + 1]))] + s[end + 1:])
    if len(shape_in) != 3:
        raise NIRImportError(f"node {name!r}: a {t} needs input of shape (C, H, W), "
                             f"got {shape_in}")
    c, h, w = shape_in
    if t == "Conv2d":
        kh, kw = node.weight.shape[2:]
        pad = _conv_padding(node, (kh, kw))
        dil, st = _pair(node.dilation), _pair(node.stride)
        return (int(node.weight.shape[0]), _conv_out(h, pad[0], dil[0], kh, st[0]),
                _conv_out(w, pad[1], dil[1], kw, st[1]))
    k, st, pad = _pair(node.kernel_size), _pair(node.stride), _pair(node.padding)
    return (c, _conv_out(h, pad[0], 1, k[0], st[0]), _conv_out(w, pad[1], 1, k[1], st[1]))


def _conv_padding(node, kernel):
    if isinstance(node.padding, str):
        if node.padding == "valid":
            return (0, 0)
        dil = _pair(node.dilation)
        if any(s != 1 for s in _pair(node.stride)):
            raise NIRImportError("Conv2d padding='same' with a stride other than 1 is not "
                                 "supported")
        return tuple(d * (k - 1) // 2 for d, k in zip(dil, kernel))
    return _pair(node.padding)


def operator(name, node, shape_in, shape_out):
    """``(A, b)``: the node's output is ``A @ input + b`` on flattened (C-order)
    arrays; ``A`` sparse ``(n_out, n_in)``, ``b`` a vector or None."""
    n_in, n_out = int(np.prod(shape_in)), int(np.prod(shape_out))
    t = "pass" if isinstance(node, str) else type(node).__name__
    if t in ("pass", "Identity", "Flatten", "Output", "Input"):
        if n_in != n_out:
            raise NIRImportError(f"node {name!r}: {n_in} inputs but {n_out} outputs")
        return sp.identity(n_in, format="csr"), None
    if t == "Scale":
        return sp.diags(np.broadcast_to(np.asarray(node.scale, float).ravel(), (n_in,))), None
    if t in ("Affine", "Linear"):
        if node.weight.shape[1] != n_in:
            raise NIRImportError(f"node {name!r}: {t} weight of shape {node.weight.shape} "
                                 f"(out, in) receives {n_in} inputs")
        bias = np.asarray(node.bias, float).ravel() if t == "Affine" else None
        return sp.csr_matrix(np.asarray(node.weight, float)), bias
    if t == "Conv2d":
        return _conv(name, node, shape_in, shape_out)
    return _pool(node, t, shape_in, shape_out)


def _conv(name, node, shape_in, shape_out):
    weight = np.asarray(node.weight, float)
    c_out, c_in_g, kh, kw = weight.shape
    c_in, h, w = shape_in
    _, ho, wo = shape_out
    groups = int(node.groups)
    if c_in_g * groups != c_in:
        raise NIRImportError(f"node {name!r}: Conv2d weight {weight.shape} with groups="
                             f"{groups} does not fit {c_in} input channels")
    pad, dil, st = _conv_padding(node, (kh, kw)), _pair(node.dilation), _pair(node.stride)
    rows, cols, vals = [], [], []
    oy, ox = np.meshgrid(np.arange(ho), np.arange(wo), indexing="ij")
    per_group = c_out // groups
    for co in range(c_out):
        g = co // per_group
        for ci in range(c_in_g):
            for ky in range(kh):
                for kx in range(kw):
                    iy = oy * st[0] - pad[0] + ky * dil[0]
                    ix = ox * st[1] - pad[1] + kx * dil[1]
                    ok = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
                    if weight[co, ci, ky, kx] == 0 or not ok.any():
                        continue
                    rows.append((co * ho + oy[ok]) * wo + ox[ok])
                    cols.append(((g * c_in_g + ci) * h + iy[ok]) * w + ix[ok])
                    vals.append(np.full(int(ok.sum()), weight[co, ci, ky, kx]))
    a = _coo(rows, cols, vals, c_out * ho * wo, c_in * h * w)
    bias = getattr(node, "bias", None)
    b = None
    if bias is not None and np.any(np.asarray(bias) != 0):
        b = np.repeat(np.asarray(bias, float).ravel(), ho * wo)
    return a, b


def _pool(node, t, shape_in, shape_out):
    c, h, w = shape_in
    _, ho, wo = shape_out
    k, st, pad = _pair(node.kernel_size), _pair(node.stride), _pair(node.padding)
    value = 1.0 if t == "SumPool2d" else 1.0 / (k[0] * k[1])   # counts padding, as torch
    rows, cols, vals = [], [], []
    oy, ox = np.meshgrid(np.arange(ho), np.arange(wo), indexing="ij")
    for ch in range(c):
        for ky in range(k[0]):
            for kx in range(k[1]):
                iy, ix = oy * st[0] - pad[0] + ky, ox * st[1] - pad[1] + kx
                ok = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
                rows.append((ch * ho + oy[ok]) * wo + ox[ok])
                cols.append((ch * h + iy[ok]) * w + ix[ok])
                vals.append(np.full(int(ok.sum()), value))
    return _coo(rows, cols, vals, c * ho * wo, c * h * w), None


def _coo(rows, cols, vals, n_out, n_in):
    if not rows:
        return sp.csr_matrix((n_out, n_in))
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(n_out, n_in))


def compose(nodes, edges, shape):
    """For every neuron and output node: ``({spiking source: sparse matrix}, bias)``,
    its input as the sum over the spiking nodes (inputs and neurons) that reach it
    through linear nodes."""
    preds = {n: [a for a, b in edges if b == n] for n in nodes}
    memo, active = {}, set()

    def out_of(name):
        # the output of node ``name`` as ({source: matrix}, bias)
        if kind(nodes[name]) in ("input", "neuron"):
            return {name: sp.identity(int(np.prod(shape[name])), format="csr")}, None
        if name in memo:
            return memo[name]
        if name in active:
            raise NIRImportError(f"node {name!r} lies on a loop of linear nodes without a "
                                 "neuron; such a graph has no spiking meaning")
        active.add(name)
        total, bias = into(name)
        a, b = operator(name, nodes[name], _in_shape(name), shape[name])
        result = {s: (a @ m).tocsr() for s, m in total.items()}
        b_new = a @ bias if bias is not None else None
        if b is not None:
            b_new = b if b_new is None else b_new + b
        active.discard(name)
        memo[name] = (result, b_new)
        return memo[name]

    def _in_shape(name):
        ps = preds[name]
        return shape[ps[0]] if ps else shape[name]

    def into(name):
        total, bias = {}, None
        n = int(np.prod(_in_shape(name))) if preds[name] else 0
        for p in preds[name]:
            if int(np.prod(shape[p])) != n:
                raise NIRImportError(f"edge {p!r} -> {name!r}: {p!r} gives shape {shape[p]}, "
                                     f"{name!r} takes {int(n)} values")
            parts, b = out_of(p)
            for s, m in parts.items():
                total[s] = total[s] + m if s in total else m
            if b is not None:
                bias = b if bias is None else bias + b
        return total, bias

    return {n: into(n) for n in nodes if kind(nodes[n]) in ("neuron", "output")}


def depths(neurons, sources_of, inputs):
    """Latency in steps of every neuron node (inputs: 0; a neuron: one more than its
    latest feed-forward source) and the set of recurrent (back) edges."""
    order, state, back = [], {}, set()

    def visit(n):
        state[n] = 1
        for m in neurons:
            if n in sources_of[m]:
                if state.get(m) == 1:
                    back.add((n, m))
                elif m not in state:
                    visit(m)
        state[n] = 2
        order.append(n)

    for s in list(inputs) + list(neurons):
        if s not in state:
            visit(s)
    depth = {s: 0 for s in inputs}
    for n in reversed(order):
        if n in inputs:
            continue
        fwd = [depth[s] for s in sources_of[n] if (s, n) not in back and s in depth]
        depth[n] = 1 + max(fwd, default=0)
    return depth, back
