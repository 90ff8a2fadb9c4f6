"""NIR export and import (neurosim.interop.nir), against independent oracles: the
round trip through NIR, snnTorch's own forward pass (a network trained here), the
Euler recursion and the closed-form LIF response written out in numpy, and torch's
convolution for the expansion of Conv2d and pooling into synapses."""
import numpy as np
import pytest

nir = pytest.importorskip("nir")

import neurosim as ns  # noqa: E402
from neurosim.interop.nir import (NIRExportError, NIRImportError, from_nir,  # noqa: E402
                                  to_nir)
from neurosim.units import mV, ms  # noqa: E402

DT = 0.1 * ms


def _lif_graph(node, weight):
    return nir.NIRGraph.from_list(nir.Linear(weight=np.asarray(weight, float)), node)


# ------------------------------------------------------------------ import: one node
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_euler_lif_and_cubalif_follow_the_euler_recursion(backend):
    rng = np.random.default_rng(3)
    n_steps, n_in = 60, 4
    w = rng.uniform(-0.2, 0.6, (3, n_in))
    x = (rng.random((n_steps, n_in)) < 0.4).astype(int)
    tau, tau_syn, r = np.array([2e-3, 1e-3, 5e-4]), np.array([5e-4, 1e-3, 2e-4]), 7.0
    v_leak, v_th, v_reset = np.array([0.1, 0.0, -0.1]), 1.0, -0.2
    cases = {
        "lif": nir.LIF(tau=tau, r=np.full(3, r), v_leak=v_leak, v_threshold=np.full(3, v_th),
                       v_reset=np.full(3, v_reset)),
        "cubalif": nir.CubaLIF(tau_syn=tau_syn, tau_mem=tau, r=np.full(3, r), v_leak=v_leak,
                               v_threshold=np.full(3, v_th), v_reset=np.full(3, v_reset),
                               w_in=np.full(3, 2.0)),
    }
    dt = 1e-4
    for name, node in cases.items():
        run = from_nir(_lif_graph(node, w), DT).run(x, backend=backend, record=["v"])
        # the oracle: forward Euler written out, current first
        v, i = v_leak.copy(), np.zeros(3)
        want_v, want_s = [], []
        for t in range(n_steps):
            inp = w @ x[t]
            if name == "cubalif":
                i = i + dt / tau_syn * (-i + 2.0 * inp)
            else:
                i = inp
            v = v + dt / tau * (v_leak - v + r * i)
            s = v > v_th
            v = np.where(s, v_reset, v)
            want_v.append(v)
            want_s.append(s)
        got = run.spikes[name]
        assert np.sum(want_s) >= 5, "the case must fire"
        np.testing.assert_array_equal(got, np.array(want_s))
        np.testing.assert_allclose(run.state[name]["v"], np.array(want_v), rtol=0, atol=1e-9)


def test_exact_cubalif_follows_the_closed_form():
    tau_m, tau_s, r, w_in, weight = 4e-3, 1e-3, 2.0, 3e-3, 0.5
    node = nir.CubaLIF(tau_syn=np.array([tau_s]), tau_mem=np.array([tau_m]), r=np.array([r]),
                       v_leak=np.zeros(1), v_threshold=np.array([10.0]), w_in=np.array([w_in]))
    net = from_nir(_lif_graph(node, [[weight]]), DT, method="exact")
    assert isinstance(net.populations["cubalif"].model, ns.LIF)
    x = np.zeros((50, 1), int)
    x[0, 0] = 1
    run = net.run(x, backend="numba", record=["v"])
    # a Dirac of area 1 at t = 0: I jumps by w_in W / tau_syn; v follows the
    # difference of exponentials; graph step t ends at (t + 1) dt
    j = r * w_in * weight / tau_s
    t = np.arange(1, 51) * 1e-4
    want = j * tau_s / (tau_m - tau_s) * (np.exp(-t / tau_m) - np.exp(-t / tau_s))
    np.testing.assert_allclose(run.state["cubalif"]["v"][:, 0], want, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------ round trip
def _network(seed=2):
    rng = np.random.default_rng(seed)
    n_in, n_exp, n_delta, n_steps = 20, 40, 10, 400
    steps = np.nonzero(rng.random((n_steps, n_in)) < 0.05)
    stim = ns.SpikeGeneratorGroup(n_in, steps[1], steps[0] * DT, name="stim")
    exp_model = ns.LIF(tau_m=10 * ms, v_rest=-65 * mV, v_reset=-70 * mV, v_th=-50 * mV,
                       tau_syn_e=3 * ms, tau_syn_i=3 * ms)
    delta_model = ns.LIF(tau_m=np.linspace(8, 15, n_delta) * ms, v_rest=0 * mV,
                         v_reset=0 * mV, v_th=10 * mV)
    cells = ns.NeuronGroup(n_exp, exp_model, name="cells")
    readout = ns.NeuronGroup(n_delta, delta_model, name="readout")
    syns = [
        ns.Synapses(stim, cells, kind="excitatory", weight=ns.Uniform(2 * mV, 6 * mV),
                    connect=ns.FixedProbability(0.5), name="in"),
        ns.Synapses(cells[:30], cells, kind="excitatory", weight=1.5 * mV,
                    connect=ns.FixedProbability(0.2), name="ee"),
        ns.Synapses(cells[30:], cells, kind="inhibitory", weight=4 * mV,
                    connect=ns.FixedProbability(0.3), name="ie"),
        ns.Synapses(cells, readout, kind="excitatory", weight=ns.Uniform(1 * mV, 3 * mV),
                    connect=ns.FixedProbability(0.4), name="out"),
    ]
    mons = {"cells": ns.SpikeMonitor(cells), "readout": ns.SpikeMonitor(readout)}
    net = ns.Network(stim, cells, readout, *syns, *mons.values())
    return net, mons, steps, n_steps


def test_round_trip_gives_identical_spikes():
    net, mons, (steps, idx), n_steps = _network()
    net.run(n_steps * DT, dt=DT, seed=4, backend="numba")
    assert mons["cells"].num_spikes > 50 and mons["readout"].num_spikes > 10
    graph = to_nir(net)
    assert set(graph.nodes) >= {"stim", "cells", "readout", "stim->cells", "cells->cells",
                                "cells->readout", "readout.output"}
    assert isinstance(graph.nodes["cells"], nir.CubaLIF)
    assert isinstance(graph.nodes["readout"], nir.LIF)
    assert graph.nodes["cells->readout"].weight.shape == (10, 40)
    x = np.zeros((n_steps, 20), int)
    x[steps, idx] = 1
    imported = from_nir(graph, DT, method="exact")
    run = imported.run(x, backend="numba")
    for name, mon in mons.items():
        got = run.monitors[name]
        keep = got.steps < n_steps
        np.testing.assert_array_equal(got.steps[keep], mon.steps)
        np.testing.assert_array_equal(got.i[keep], mon.i)


def test_round_trip_survives_serialisation(tmp_path):
    net, mons, _, n_steps = _network(seed=5)
    graph = to_nir(net, seed=1)
    nir.write(tmp_path / "net.nir", graph)
    back = nir.read(tmp_path / "net.nir")
    for key in ("stim->cells", "cells->cells", "cells->readout"):
        np.testing.assert_array_equal(back.nodes[key].weight, graph.nodes[key].weight)
    np.testing.assert_array_equal(back.nodes["readout"].tau, graph.nodes["readout"].tau)


def test_export_per_step_convention_moves_v_by_the_weight():
    # to_nir(dt=...) writes snnTorch's scaling: one spike moves v by the neurosim weight
    stim = ns.SpikeGeneratorGroup(1, [0], [0] * ms, name="stim")
    cell = ns.NeuronGroup(1, ns.LIF(tau_m=10 * ms, v_rest=0 * mV, v_reset=0 * mV,
                                    v_th=10 * mV), name="cell")
    syn = ns.Synapses(stim, cell, kind="excitatory", weight=3 * mV, connect=ns.AllToAll())
    graph = to_nir(ns.Network(stim, cell, syn), dt=DT, seed=0)
    node = graph.nodes["cell"]
    np.testing.assert_allclose(1e-4 / node.tau * node.r * graph.nodes["stim->cell"].weight,
                               [[3e-3]])
    run = from_nir(graph, DT).run(np.array([[1], [0]]), record=["v"], backend="numpy")
    np.testing.assert_allclose(run.state["cell"]["v"][:, 0], [3e-3, 3e-3 * (1 - 1e-2)])


# ------------------------------------------------------------------ export errors
@pytest.mark.parametrize("change, words", [
    (dict(refractory=2 * ms), ["refractory", "2 ms", "refractory=0"]),
    (dict(reset="subtract"), ["reset", "subtract", "to_v_reset"]),
    (dict(tau_syn_e=2 * ms, tau_syn_i=5 * ms), ["tau_syn_i", "5 ms", "tau_syn_e=2 ms"]),
])
def test_export_refuses_what_nir_cannot_express(change, words):
    base = dict(tau_m=10 * ms, v_rest=0 * mV, v_reset=0 * mV, v_th=10 * mV)
    cells = ns.NeuronGroup(2, ns.LIF(**{**base, **change}), name="cells")
    with pytest.raises(NIRExportError) as err:
        to_nir(ns.Network(cells), seed=0)
    assert isinstance(err.value, ValueError)
    for w in words + ["'cells'"]:
        assert w in str(err.value)


def test_export_refuses_delays_models_and_currents():
    lif = ns.LIF(tau_m=10 * ms, v_rest=0 * mV, v_reset=0 * mV, v_th=10 * mV)
    a, b = ns.NeuronGroup(2, lif, name="a"), ns.NeuronGroup(2, lif, name="b")
    syn = ns.Synapses(a, b, kind="excitatory", weight=1 * mV, delay=1 * ms,
                      connect=ns.AllToAll(), name="ab")
    with pytest.raises(NIRExportError, match=r"'ab'.*delay.*1 ms.*delay=0"):
        to_nir(ns.Network(a, b, syn), seed=0)
    mp = ns.NeuronGroup(2, ns.McCullochPitts(), name="mp")
    with pytest.raises(NIRExportError, match="McCullochPitts"):
        to_nir(ns.Network(mp), seed=0)
    with pytest.raises(NIRExportError, match="CurrentInput"):
        to_nir(ns.Network(a, ns.CurrentInput(a, 5 * mV)), seed=0)
    c = ns.NeuronGroup(2, lif, name="c", v=-5 * mV)
    with pytest.raises(NIRExportError, match="initial state"):
        to_nir(ns.Network(c), seed=0)


# ------------------------------------------------------------------ import errors
def test_import_refuses_unsupported_nodes_and_steps():
    lif = nir.LIF(tau=np.array([1e-3]), r=np.ones(1), v_leak=np.zeros(1),
                  v_threshold=np.ones(1))
    with pytest.raises(NIRImportError, match=r"dt=0.002 s exceeds tau=0.001 s"):
        from_nir(_lif_graph(lif, [[1.0]]), 2 * ms)
    delayed = nir.NIRGraph.from_list(nir.Delay(delay=np.array([1e-3])), lif)
    with pytest.raises(NIRImportError, match="Delay.*not supported"):
        from_nir(delayed, DT)
    li = nir.NIRGraph.from_list(nir.LI(tau=np.ones(1), r=np.ones(1), v_leak=np.zeros(1)))
    with pytest.raises(NIRImportError, match="LI"):
        from_nir(li, DT)
    with pytest.raises(ValueError, match="method"):
        from_nir(_lif_graph(lif, [[1.0]]), DT, method="rk4")
    with pytest.raises(ValueError, match="0 or 1"):
        from_nir(_lif_graph(lif, [[1.0]]), DT).run(np.array([[0.5]]))


# ------------------------------------------------------------------ Conv2d and pooling
def test_conv_and_pooling_expand_into_the_right_synapses():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    w = rng.normal(size=(4, 1, 3, 3))       # groups=2 over 2 input channels
    bias = rng.normal(size=4)
    conv = nir.Conv2d(input_shape=(7, 7), weight=w, stride=2, padding=1, dilation=1,
                      groups=2, bias=bias)
    pool = nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                         padding=np.array([0, 0]))
    n_out = 4 * 2 * 2
    big = np.full(n_out, 1e9)
    neurons = nir.IF(r=np.full(n_out, 1e4), v_threshold=big)  # r dt = 1: v sums the input
    graph = nir.NIRGraph(
        nodes={"in": nir.Input(input_type=np.array([2, 7, 7])), "conv": conv, "pool": pool,
               "flat": nir.Flatten(input_type=None, start_dim=0),
               "if": neurons, "out": nir.Output(output_type=np.array([n_out]))},
        edges=[("in", "conv"), ("conv", "pool"), ("pool", "flat"), ("flat", "if"),
               ("if", "out")], type_check=False)
    x = (rng.random((3, 2, 7, 7)) < 0.5).astype(int)
    run = from_nir(graph, DT).run(x, backend="numba", record=["v"])
    t = torch.nn.functional
    y = t.avg_pool2d(t.conv2d(torch.tensor(x, dtype=torch.float64), torch.tensor(w),
                              torch.tensor(bias), stride=2, padding=1, groups=2), 2)
    want = np.cumsum(y.reshape(3, -1).numpy(), axis=0)
    np.testing.assert_allclose(run.state["if"]["v"], want, rtol=0, atol=1e-9)


# ------------------------------------------------------------------ snnTorch
def _leaky(snn, torch, n, beta, **kw):
    return snn.Leaky(beta=torch.full((n,), beta), threshold=torch.ones(n), init_hidden=True,
                     **kw)


def _snntorch_forward(torch, utils, net, x, layers):
    """Spikes of every layer in ``layers`` (forward hooks), for inputs (T, B, n)."""
    got = {k: [] for k in layers}
    hooks = [m.register_forward_hook(lambda m, i, o, k=k: got[k].append(
        (o[0] if isinstance(o, tuple) else o).detach().clone())) for k, m in layers.items()]
    utils.reset(net)
    with torch.no_grad():
        for t in range(x.shape[0]):
            net(x[t])
    for h in hooks:
        h.remove()
    return {k: torch.stack(v).numpy().astype(bool) for k, v in got.items()}


def test_snntorch_trained_network_gives_the_same_spikes():
    torch = pytest.importorskip("torch")
    snn = pytest.importorskip("snntorch")
    pytest.importorskip("nirtorch")
    from snntorch import functional as SF
    from snntorch import utils
    from snntorch.export_nir import export_to_nir
    torch.manual_seed(0)
    n_in, n_hidden, n_out, n_steps = 40, 200, 2, 25
    net = torch.nn.Sequential(
        torch.nn.Linear(n_in, n_hidden), _leaky(snn, torch, n_hidden, 0.9,
                                                reset_mechanism="zero"),
        torch.nn.Linear(n_hidden, n_out), _leaky(snn, torch, n_out, 0.8,
                                                 reset_mechanism="zero", output=True))

    def batch(size):
        # the toy task: which half of the inputs fires faster
        label = torch.randint(0, 2, (size,))
        rate = torch.full((size, n_in), 0.05)
        rate[label == 0, :n_in // 2] = 0.3
        rate[label == 1, n_in // 2:] = 0.3
        return (torch.rand(n_steps, size, n_in) < rate).float(), label

    loss_fn, opt = SF.ce_count_loss(), torch.optim.Adam(net.parameters(), lr=5e-3)
    for _ in range(40):
        x, label = batch(32)
        utils.reset(net)
        spikes = torch.stack([net(x[t])[0] for t in range(n_steps)])
        loss = loss_fn(spikes, label)
        opt.zero_grad()
        loss.backward()
        opt.step()
    x, label = batch(16)
    ref = _snntorch_forward(torch, utils, net, x, {"1": net[1], "3": net[3]})
    accuracy = (ref["3"].sum(0).argmax(1) == label.numpy()).mean()
    assert accuracy >= 0.8, f"training failed: accuracy {accuracy}"

    graph = export_to_nir(net, torch.zeros(1, n_in), ignore_dims=[0])
    imported = from_nir(graph, DT)
    assert imported.latency == {"1": 1, "3": 2}
    same, total, fired = 0, 0, 0
    for b in range(x.shape[1]):
        run = imported.run(x[:, b].numpy(), backend="numba")
        for layer in ("1", "3"):
            same += int(np.sum(run.spikes[layer] == ref[layer][:, b]))
            total += ref[layer][:, b].size
            fired += int(ref[layer][:, b].sum())
        np.testing.assert_array_equal(run.outputs["output"], ref["3"][:, b])
    assert fired > 500
    # float32 in snnTorch, float64 and exact sums in neurosim: the same spikes
    assert same == total


def test_snntorch_recurrent_synaptic_and_subtract_reset():
    torch = pytest.importorskip("torch")
    snn = pytest.importorskip("snntorch")
    pytest.importorskip("nirtorch")
    from snntorch import utils
    from snntorch.export_nir import export_to_nir
    torch.manual_seed(1)
    n_in, n_h, n_out, n_steps = 30, 60, 8, 40
    rleaky = snn.RLeaky(beta=torch.full((n_h,), 0.85), threshold=torch.ones(n_h),
                        linear_features=n_h, init_hidden=True)
    # reset by subtraction: snnTorch's "zero" of RLeaky and Synaptic also clears the
    # input of the step after a spike, which NIR's reset (Leaky's "zero") does not
    synaptic = snn.Synaptic(alpha=torch.full((n_out,), 0.6), beta=torch.full((n_out,), 0.8),
                            threshold=torch.ones(n_out), init_hidden=True, output=True)
    net = torch.nn.Sequential(torch.nn.Linear(n_in, n_h), rleaky,
                              torch.nn.Linear(n_h, n_out), synaptic)
    with torch.no_grad():
        net[0].weight.mul_(2.0)
        rleaky.recurrent.weight.mul_(2.0)
    x = (torch.rand(n_steps, 1, n_in) < 0.3).float()
    ref = _snntorch_forward(torch, utils, net, x, {"h": net[1], "o": net[3]})
    assert ref["h"].sum() > 100 and ref["o"].sum() > 10
    graph = export_to_nir(net, torch.zeros(1, n_in), ignore_dims=[0])
    run = from_nir(graph, DT, reset="subtract").run(x[:, 0].numpy(), backend="numba")
    np.testing.assert_array_equal(run.spikes["1.lif"], ref["h"][:, 0])
    np.testing.assert_array_equal(run.spikes["3"], ref["o"][:, 0])

    # a Leaky layer alone, reset by subtraction (snnTorch's default)
    sub = torch.nn.Sequential(torch.nn.Linear(n_in, n_h), _leaky(snn, torch, n_h, 0.9))
    with torch.no_grad():
        sub[0].weight.mul_(3.0)
    ref = _snntorch_forward(torch, utils, sub, x, {"h": sub[1]})["h"][:, 0]
    graph = export_to_nir(sub, torch.zeros(1, n_in), ignore_dims=[0])
    got = from_nir(graph, DT, reset="subtract").run(x[:, 0].numpy(), backend="numba")
    assert ref.sum() > 100
    np.testing.assert_array_equal(got.spikes["1"], ref)
    zero = from_nir(graph, DT).run(x[:, 0].numpy(), backend="numba")
    assert not np.array_equal(zero.spikes["1"], ref)      # the reset matters


# ------------------------------------------------------------------ CUDA
@pytest.mark.cuda
def test_cuda_matches_numba(small_cuda):
    rng = np.random.default_rng(1)
    node = nir.CubaLIF(tau_syn=np.full(20, 5e-4), tau_mem=np.full(20, 1e-3),
                       r=np.full(20, 10.0), v_leak=np.zeros(20), v_threshold=np.ones(20),
                       w_in=np.full(20, 5.0))
    graph = nir.NIRGraph.from_list(nir.Affine(weight=rng.normal(0.3, 0.3, (20, 10)),
                                              bias=np.full(20, 0.05)), node)
    x = (rng.random((40, 10)) < 0.3).astype(int)
    net = from_nir(graph, DT)
    want, got = net.run(x, backend="numba"), net.run(x, backend="cuda")
    assert want.spikes["cubalif"].sum() > 20
    np.testing.assert_array_equal(got.spikes["cubalif"], want.spikes["cubalif"])
