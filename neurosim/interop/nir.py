"""Exchanging networks with NIR, the Neuromorphic Intermediate Representation.

:func:`to_nir` writes a neurosim network of :class:`~neurosim.LIF` neurons as a
``nir.NIRGraph``; :func:`from_nir` reads a graph (written by neurosim, snnTorch,
Norse, Sinabs, ...) into a :class:`NIRNetwork` that runs it on neurosim's backends.

NIR describes neurons by continuous-time equations (SI units, ``tau`` in seconds)::

    LIF      tau dv/dt = v_leak - v + r I
    CubaLIF  tau_syn dI/dt = -I + w_in S,   tau_mem dv/dt = v_leak - v + r I
    IF       dv/dt = r I

with a spike when ``v > v_threshold`` and ``v = v_reset`` after it, and connections
as weight matrices of shape ``(out, in)``. What a spike *is* in these equations is left
to the tools; neurosim offers the two readings (``method``):

``"euler"``
    The discrete-time reading of snnTorch (and Norse, Spyx): in a step of length
    ``dt`` a spike is the value 1 for that step, the input ``x = W s + b`` is held
    over the step, and the equations advance by forward Euler, the synaptic current
    first. For snnTorch's ``Leaky`` (``beta = 1 - dt/tau``, ``r = tau/dt``) this is
    ``v = beta v + x`` exactly, for ``Synaptic`` ``I = alpha I + x; v = beta v + I``.
``"exact"``
    A spike is a Dirac impulse of unit area: an ``LIF`` jumps by ``r W / tau``, a
    ``CubaLIF``'s current by ``w_in W / tau_syn``, and between spikes the equations are
    integrated exactly by neurosim's :class:`~neurosim.LIF`. This is what
    :func:`to_nir` writes by default, so ``from_nir(to_nir(net), dt, method="exact")``
    reproduces ``net`` spike for spike.

Importing NIR requires the ``nir`` package (``pip install neurosim[nir]``); this module
is the only one of neurosim that imports it.
"""
import numpy as np

from ._nir_export import NIRExportError, export
from ._nir_graph import NIRImportError

__all__ = ["to_nir", "from_nir", "NIRNetwork", "NIRRun", "NIRExportError", "NIRImportError"]


def _nir():
    try:
        import nir
    except ImportError as err:         # pragma: no cover - nir is an optional extra
        raise ImportError("neurosim.interop.nir needs the 'nir' package: "
                          "pip install 'neurosim[nir]'") from err
    return nir


def _dt(dt):
    from .._validation import check_positive
    from ..units import second
    return check_positive("dt", dt, second)


def to_nir(network, dt=None, outputs=None, seed=None):
    """Write a network of current-based LIF neurons as a NIR graph.

    Every :class:`~neurosim.NeuronGroup` becomes one neuron node named after it:
    ``nir.CubaLIF`` for :class:`~neurosim.LIF` with exponential synapses
    (``tau_syn_e`` must equal ``tau_syn_i``: NIR has one synaptic time constant),
    ``nir.LIF`` for delta synapses. Every spike source
    (:class:`~neurosim.SpikeGeneratorGroup`, :class:`~neurosim.PoissonGroup`) becomes a
    ``nir.Input`` of its size, and all synapses from one group (or source) to another
    one ``nir.Linear`` node named ``'<source>-><target>'`` whose weight matrix has
    shape ``(target size, source size)``: excitatory weights positive, inhibitory
    negative, multiple synapses of a pair summed.

    Parameters
    ----------
    network : Network
        The network. Its connectivity is drawn at the build: a network that has
        not been built or run is built here with ``seed``.
    dt : Quantity, optional
        ``None`` (default) writes spikes as Dirac impulses of unit area (``r = tau``
        for ``LIF``, ``r = 1`` and ``w_in = tau_syn`` for ``CubaLIF``), the reading of
        ``from_nir(method="exact")``. A step (e.g. ``0.1*ms``) writes the
        discrete-time reading of snnTorch for that step instead (``r = tau/dt``,
        ``w_in = tau_syn/dt``, ``CubaLIF`` weights times ``dt/tau_mem``), so that a
        spike moves ``v`` (or ``I``) by the neurosim weight in one step of
        ``from_nir(method="euler")`` or snnTorch (which assumes ``dt = 0.1 ms``).
    outputs : list of str, optional
        Names of the groups that get a ``nir.Output`` node (``'<name>.output'``).
        Default: the groups that project to no other group.
    seed : int, optional
        Seed of the build, if ``network`` has not been built.

    Returns
    -------
    nir.NIRGraph
        The graph: one node per group and source, one ``nir.Linear`` per connected
        pair, and the ``nir.Output`` nodes.

    Raises
    ------
    NIRExportError
        (a ``ValueError``) for what NIR cannot express, naming the object, the
        parameter, its value and what is allowed: models other than ``LIF``,
        refractory periods, reset by subtraction, two synaptic time constants,
        delays, injected currents and Poisson drives, initial values, parameters
        drawn from distributions.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV
    >>> from neurosim.interop.nir import to_nir
    >>> lif = ns.LIF(tau_m=10*ms, v_rest=0*mV, v_reset=0*mV, v_th=10*mV,
    ...              tau_syn_e=5*ms, tau_syn_i=5*ms)
    >>> stim = ns.SpikeGeneratorGroup(2, [0, 1], [1, 2]*ms, name="stim")
    >>> cells = ns.NeuronGroup(3, lif, name="cells")
    >>> syn = ns.Synapses(stim, cells, kind="excitatory", weight=4*mV,
    ...                   connect=ns.AllToAll())
    >>> graph = to_nir(ns.Network(stim, cells, syn), seed=0)
    >>> sorted(graph.nodes), graph.nodes["stim->cells"].weight.shape
    (['cells', 'cells.output', 'stim', 'stim->cells'], (3, 2))
    """
    return export(_nir(), network, None if dt is None else _dt(dt), outputs, seed)


def from_nir(graph, dt, method="euler", reset=None):
    """Read a NIR graph into a network that neurosim runs.

    Neuron nodes (``nir.LIF``, ``nir.CubaLIF``, ``nir.IF``) become neuron groups;
    ``nir.Input`` nodes spike sources that ``NIRNetwork.run`` drives; the linear
    nodes between them (``Affine``, ``Linear``, ``Conv2d``, ``SumPool2d``,
    ``AvgPool2d``, ``Flatten``, ``Scale``, ``Identity``, nested ``NIRGraph``s) are
    composed and expanded into explicit synapses, one per non-zero entry of the
    composed matrix (``Conv2d`` and pooling with their stride, padding, dilation and
    groups, on inputs of shape ``(C, H, W)`` flattened in C order). An ``Affine``
    bias becomes an injected current.

    Parameters
    ----------
    graph : nir.NIRGraph
        The graph.
    dt : Quantity
        The time step. With ``method="euler"`` it is part of the model: snnTorch
        writes its graphs for ``dt = 0.1 ms`` (``tau = dt/(1 - beta)``) and they
        reproduce snnTorch only at that step.
    method : {'euler', 'exact'}, optional
        ``'euler'`` (default): the discrete-time reading of snnTorch (module
        docstring), on a neuron model of this module (``_nir_model.NIRNeuron``):
        ``i = (1 - dt/tau_syn) i + dt/tau_syn w_in x``, then
        ``v = (1 - dt/tau) v + dt/tau (v_leak + r i)`` (``LIF``: ``i = x``; ``IF``:
        ``v = v + dt r x``), with ``x = W s + b`` the input of the step. Needs
        ``dt <= tau``. ``'exact'``: spikes are Dirac impulses, integrated exactly by
        :class:`~neurosim.LIF` (``IF`` nodes by the model above, without leak).
    reset : {None, 'zero', 'subtract'}, optional
        ``None`` or ``'zero'``: NIR's reset, ``v = v_reset`` at the spike.
        ``'subtract'`` (``method='euler'`` only): the next step subtracts
        ``v_threshold - v_reset``, snnTorch's default ``reset_mechanism="subtract"``,
        which its NIR export does not record (it writes ``v_reset = 0`` whatever the
        mechanism).

    Returns
    -------
    NIRNetwork
        The graph as neurosim populations and connections, run by
        ``NIRNetwork.run``.

    Raises
    ------
    NIRImportError
        (a ``ValueError``) for nodes that do not map onto neurosim (``Delay``,
        ``LI``, ``Conv1d``, ...), inconsistent shapes, ``dt > tau`` with Euler,
        a ``CubaLIF`` fed by a bias with ``method='exact'``, and loops over several
        layers (a layer's loop onto itself is fine).

    Notes
    -----
    Timing. snnTorch passes a step's spikes through all layers within the step;
    neurosim, like Brian2, delivers a spike after the threshold of the step in which
    it is emitted, so each layer adds one step of latency (``NIRNetwork.latency``;
    paths of unequal length get synaptic delays to stay aligned). A layer's loop onto
    itself (snnTorch's ``RLeaky``) acts one step later in both. :class:`NIRRun`
    returns spikes shifted back, on the graph's own steps.

    Neurons start at ``v = v_leak`` and ``I = 0`` (NIR has no initial state;
    snnTorch starts at 0).

    Examples
    --------
    >>> import numpy as np
    >>> import nir
    >>> from neurosim.units import ms
    >>> from neurosim.interop.nir import from_nir
    >>> graph = nir.NIRGraph.from_list(
    ...     nir.Linear(weight=np.array([[0.6, 0.6]])),
    ...     nir.LIF(tau=np.array([1e-3]), r=np.array([10.0]), v_leak=np.zeros(1),
    ...             v_threshold=np.ones(1)))
    >>> net = from_nir(graph, dt=0.1*ms)              # v = 0.9 v + x
    >>> run = net.run(np.array([[1, 0], [0, 1], [1, 1], [0, 0]]), backend="numpy")
    >>> run.spikes["lif"].astype(int).ravel().tolist()   # v: 0.6, 1.14 (reset), 1.2
    [0, 1, 1, 0]
    """
    from ._nir_import import plan
    if method not in ("euler", "exact"):
        raise ValueError(f"method={method!r} must be 'euler' or 'exact'")
    if reset not in (None, "zero", "subtract"):
        raise ValueError(f"reset={reset!r} must be None, 'zero' or 'subtract'")
    nir = _nir()
    if not isinstance(graph, nir.NIRGraph):
        raise TypeError(f"graph={graph!r} must be a nir.NIRGraph (nir.read(path) loads one)")
    dt_s = _dt(dt)
    return NIRNetwork(plan(graph, nir, dt_s, method, reset or "zero"), dt_s, method)


class NIRNetwork:
    """A NIR graph made into neurosim objects, ready to run (made by :func:`from_nir`).

    Parameters
    ----------
    plan : object
        The importer's plan (``_nir_import.Plan``): inputs, populations,
        connections and outputs of the graph, as plain data.
    dt : float
        The time step (s).
    method : {'euler', 'exact'}
        The reading of the graph's spikes (:func:`from_nir`).

    Attributes
    ----------
    dt : float
        The time step (s).
    method : str
        ``'euler'`` or ``'exact'``.
    inputs : dict
        Input node name -> its shape.
    populations : dict
        Neuron node name -> its plan: ``n``, ``shape``, ``depth`` (latency in steps),
        ``model`` (the neurosim model), ``bias``.
    outputs : dict
        Output node name -> the neuron node whose spikes it reads.
    latency : dict
        Neuron node name -> steps by which neurosim's spikes of that node trail the
        graph's (its depth).

    Examples
    --------
    >>> import numpy as np
    >>> import nir
    >>> from neurosim.units import ms
    >>> from neurosim.interop.nir import from_nir
    >>> graph = nir.NIRGraph.from_list(
    ...     nir.Linear(weight=np.array([[0.6, 0.6]])),
    ...     nir.LIF(tau=np.array([1e-3]), r=np.array([10.0]), v_leak=np.zeros(1),
    ...             v_threshold=np.ones(1)))
    >>> net = from_nir(graph, dt=0.1*ms)
    >>> net
    NIRNetwork(method='euler', dt=0.1 ms, populations={lif: 1}, synapses=2)
    >>> net.inputs, net.outputs, net.latency
    ({'input': (2,)}, {'output': 'lif'}, {'lif': 1})
    """

    def __init__(self, plan, dt, method):
        self._plan = plan
        self.dt = dt
        self.method = method
        self.inputs = dict(plan.inputs)
        self.populations = dict(plan.populations)
        self.outputs = dict(plan.outputs)
        self.latency = {k: p.depth for k, p in plan.populations.items()}

    @property
    def n_synapses(self):
        """Synapses the network will have (int)."""
        return int(sum(c.i.size for c in self._plan.connections))

    def build(self, inputs, n_steps=None, record=()):
        """The neurosim objects for one run.

        Parameters
        ----------
        inputs : array or dict
            Spikes of each Input node: ``{name: array}`` (an array alone for a graph
            with one input), each of shape ``(n_steps, *input shape)`` with values 0
            or 1 (graph step ``t``, element ``k``: a spike).
        n_steps : int, optional
            Steps of the graph to simulate; default the length of the inputs.
        record : sequence of str, optional
            State variables (``'v'``, ``'i_syn'`` or ``'i_e'``) to record from every
            neuron group.

        Returns
        -------
        tuple
            ``(network, groups, spike_monitors, state_monitors, n_run)``: the
            :class:`~neurosim.Network`, dicts by node name, and the steps to run
            (``n_steps`` plus the largest latency, plus one).
        """
        import neurosim as ns
        from ..units import second, volt
        spikes = self._inputs(inputs)
        if n_steps is None:
            n_steps = max((a.shape[0] for a in spikes.values()), default=0)
        groups, objects, monitors, states = {}, [], {}, {}
        for name, arr in spikes.items():
            steps, idx = np.nonzero(arr.reshape(arr.shape[0], -1))
            g = ns.SpikeGeneratorGroup(int(np.prod(self.inputs[name])), idx.astype(np.int64),
                                       steps * self.dt * second, name=name)
            groups[name] = g
            objects.append(g)
        for name, p in self.populations.items():
            unit = volt if isinstance(p.model, ns.LIF) else 1
            g = ns.NeuronGroup(p.n, p.model, name=name, v=p.v_init * unit)
            groups[name] = g
            monitors[name] = ns.SpikeMonitor(g)
            objects += [g, monitors[name]]
            if record:
                states[name] = ns.StateMonitor(g, list(record), record=True)
                objects.append(states[name])
            if p.bias is not None:
                # the bias starts with the graph's step 0 at this node (its latency)
                values = np.zeros((p.depth + 1, p.n))
                values[p.depth] = p.bias
                objects.append(ns.TimedCurrent(g, values * unit, dt=self.dt * second))
        for k, c in enumerate(self._plan.connections):
            unit = volt if isinstance(self.populations[c.target].model, ns.LIF) else 1
            for kind, sel in (("excitatory", c.weight > 0), ("inhibitory", c.weight < 0)):
                if np.any(sel):
                    objects.append(ns.Synapses(
                        groups[c.source], groups[c.target], kind=kind,
                        weight=np.abs(c.weight[sel]) * unit, delay=c.delay * self.dt * second,
                        connect=ns.Explicit(c.i[sel], c.j[sel]),
                        name=f"{c.source}->{c.target}:{kind}:{k}"))
        # one step more than the deepest node needs: a StateMonitor samples before the
        # update, so the value after the last step is the next step's sample
        n_run = int(n_steps) + max(self.latency.values(), default=0) + 1
        net = ns.Network(*objects, *states.values())
        return net, groups, monitors, states, n_run

    def run(self, inputs, n_steps=None, backend=None, record=(), seed=0):
        """Simulate the graph for the given input spikes.

        Parameters
        ----------
        inputs : array or dict
            Spikes of each Input node: ``{name: array}`` (an array alone for a graph
            with one input), each of shape ``(n_steps, *input shape)`` with values 0
            or 1 (as :meth:`build`).
        n_steps : int, optional
            Steps of the graph to simulate; default the length of the inputs.
        backend : {'numba', 'numpy', 'cuda'}, optional
            Default from ``neurosim.get_config()``.
        record : sequence of str, optional
            State variables (``'v'``, ``'i_syn'`` or ``'i_e'``) to record from every
            neuron group.
        seed : int, optional
            The build's seed (nothing in an imported graph is random).

        Returns
        -------
        NIRRun
            The spikes (and recorded states) of every neuron node on the graph's
            steps.
        """
        from ..units import second
        net, groups, monitors, states, n_run = self.build(inputs, n_steps, record)
        net.run(n_run * self.dt * second, dt=self.dt * second, backend=backend, seed=seed)
        n_steps = n_run - max(self.latency.values(), default=0) - 1
        return NIRRun(self, net, groups, monitors, states, n_steps)

    def _inputs(self, inputs):
        if not isinstance(inputs, dict):
            if len(self.inputs) != 1:
                raise ValueError(f"the graph has inputs {sorted(self.inputs)}; give "
                                 "inputs as a dict {name: spikes}")
            inputs = {next(iter(self.inputs)): inputs}
        unknown = set(inputs) - set(self.inputs)
        if unknown:
            raise ValueError(f"inputs names {sorted(unknown)}; the graph's inputs are "
                             f"{sorted(self.inputs)}")
        out = {}
        for name, arr in inputs.items():
            arr = np.asarray(arr)
            want = tuple(self.inputs[name])
            if arr.shape[1:] != want and arr.shape[1:] != (int(np.prod(want)),):
                raise ValueError(f"inputs[{name!r}] has shape {arr.shape}; expected "
                                 f"(n_steps, {', '.join(map(str, want))})")
            if not np.all((arr == 0) | (arr == 1)):
                raise ValueError(f"inputs[{name!r}] must hold spikes, 0 or 1 per step; "
                                 "graded input is not supported")
            out[name] = arr.astype(bool)
        return out

    def __repr__(self):
        pops = ", ".join(f"{k}: {p.n}" for k, p in self.populations.items())
        return (f"NIRNetwork(method={self.method!r}, dt={self.dt * 1e3:g} ms, "
                f"populations={{{pops}}}, synapses={self.n_synapses})")


class NIRRun:
    """The result of ``NIRNetwork.run``.

    Parameters
    ----------
    nnet : NIRNetwork
        The network that ran (its latencies and populations).
    network : Network
        The neurosim network that ran.
    groups : dict
        Node name -> its neurosim group (or spike source).
    monitors : dict
        Neuron node name -> its :class:`~neurosim.SpikeMonitor`.
    states : dict
        Neuron node name -> its :class:`~neurosim.StateMonitor` (empty without
        recorded variables).
    n_steps : int
        Steps of the graph that ran.

    Attributes
    ----------
    spikes : dict
        Neuron node name -> bool array ``(n_steps, n)``: the spikes on the graph's
        steps (neurosim's steps less the node's latency).
    outputs : dict
        Output node name -> its neuron node's ``spikes``.
    state : dict
        Neuron node name -> {variable: array ``(n_steps, n)``} on the graph's steps
        (the value after the step), for the recorded variables.
    network : Network
        The neurosim network that ran; ``groups`` and ``monitors`` its members.

    Examples
    --------
    Made by ``NIRNetwork.run``, not by hand:

    >>> import numpy as np
    >>> import nir
    >>> from neurosim.units import ms
    >>> from neurosim.interop.nir import from_nir
    >>> graph = nir.NIRGraph.from_list(
    ...     nir.Linear(weight=np.array([[0.6, 0.6]])),
    ...     nir.LIF(tau=np.array([1e-3]), r=np.array([10.0]), v_leak=np.zeros(1),
    ...             v_threshold=np.ones(1)))
    >>> run = from_nir(graph, dt=0.1*ms).run(np.array([[1, 0], [0, 1], [1, 1], [0, 0]]),
    ...                                      backend="numpy", record=["v"])
    >>> run.outputs["output"].astype(int).ravel().tolist()
    [0, 1, 1, 0]
    >>> run.state["lif"]["v"].round(2).ravel().tolist()     # after each step
    [0.6, 0.0, 0.0, 0.0]
    """

    def __init__(self, nnet, network, groups, monitors, states, n_steps):
        self.network, self.groups, self.monitors = network, groups, monitors
        self.spikes, self.state = {}, {}
        for name, mon in monitors.items():
            d, n = nnet.latency[name], nnet.populations[name].n
            raster = np.zeros((n_steps, n), dtype=bool)
            keep = (mon.steps >= d) & (mon.steps < d + n_steps)
            raster[mon.steps[keep] - d, mon.i[keep]] = True
            self.spikes[name] = raster
        for name, mon in states.items():
            d = nnet.latency[name]
            # StateMonitor samples before the update: the value after step t is sample t+1
            self.state[name] = {var: np.asarray(getattr(mon, var)).T[d + 1:d + 1 + n_steps]
                                for var in mon.variables}
        self.outputs = {k: self.spikes[v] for k, v in nnet.outputs.items()}
