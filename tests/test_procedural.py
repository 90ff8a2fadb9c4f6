"""Procedural connectivity (issue 31): rows drawn again at every spike of their source,
nothing stored per synapse, and the same run as the stored build for the same seed."""
import os
import sys

import numpy as np
import pytest

import neurosim as ns
from neurosim.units import Hz, mV, ms

sys.path.insert(0, os.path.dirname(__file__))
from networks import cuba, poisson_delays  # noqa: E402


def _mixed():
    """Every rule drawn by source, with constant, uniform and normal weights and delays."""
    lif = ns.LIF(tau_m=10 * ms, v_rest=-65 * mV, v_reset=-65 * mV, v_th=-50 * mV,
                 refractory=2 * ms, tau_syn_e=2 * ms, tau_syn_i=4 * ms)
    cells = ns.NeuronGroup(300, lif, v=ns.Uniform(-65 * mV, -50 * mV), name="cells")
    exc, inh = cells[:240], cells[240:]
    noise = ns.PoissonGroup(100, rates=60 * Hz, name="noise")
    d = ns.Normal(1.5 * ms, 0.75 * ms, low=0.1 * ms, high=4 * ms)
    syn = [
        ns.Synapses(noise, cells, kind="excitatory", weight=ns.Uniform(5 * mV, 10 * mV),
                    delay=d, connect=ns.FixedOutdegree(60), name="out"),
        ns.Synapses(noise, cells, kind="excitatory", weight=0.5 * mV, delay=1 * ms,
                    connect=ns.FixedOutdegree(20, allow_multapses=True), name="out_multi"),
        ns.Synapses(exc, cells, kind="excitatory", delay=d,
                    weight=ns.Normal(0.8 * mV, 0.3 * mV, low=0 * mV),
                    connect=ns.FixedTotalNumber(6000, allow_autapses=False), name="total"),
        ns.Synapses(exc, exc, kind="excitatory", weight=0.3 * mV, delay=0.5 * ms,
                    connect=ns.FixedOutdegree(10, allow_autapses=False), name="out_self"),
        ns.Synapses(inh, cells, kind="inhibitory", weight=0.5 * mV, delay=d,
                    connect=ns.AllToAll(), name="all"),
        ns.Synapses(inh, inh, kind="inhibitory", weight=1 * mV,
                    connect=ns.OneToOne(), name="one"),
        ns.Synapses(noise, cells, kind="excitatory", weight=1 * mV, delay=d,
                    connect=ns.FixedTotalNumber(3000, allow_multapses=False), name="total_d"),
    ]
    spikes = ns.SpikeMonitor(cells)
    return ns.Network(cells, noise, *syn, spikes), {"spikes": spikes}


def _run(build, storage, duration, backend="numba", n_threads=1, seed=3):
    net, mon = build()
    for s in net.synapses:
        s.storage = storage
    net.run(duration, dt=0.1 * ms, seed=seed, backend=backend, n_threads=n_threads)
    return net, mon


def _assert_same_run(a, b):
    (net_a, mon_a), (net_b, mon_b) = a, b
    spikes_a, spikes_b = mon_a["spikes"], mon_b["spikes"]
    assert spikes_a.num_spikes > 50                   # the network is active
    np.testing.assert_array_equal(spikes_a.i, spikes_b.i)
    np.testing.assert_array_equal(spikes_a.t, spikes_b.t)
    na, nb = net_a._arrays.neurons, net_b._arrays.neurons
    for f in ("v", "ge", "gi", "ref", "buffer"):
        np.testing.assert_array_equal(getattr(na, f), getattr(nb, f), err_msg=f)


def _small_cuba():
    return cuba(n=2000, p=0.02, record=())


def test_cuba_procedural_equals_stored():
    stored = _run(_small_cuba, "stored", 100 * ms)
    proc = _run(_small_cuba, "procedural", 100 * ms)
    _assert_same_run(stored, proc)
    csr = proc[0]._arrays.synapses
    assert csr.target.size == 0 and csr.weight.size == 0      # nothing per synapse
    assert [s.n_synapses for s in proc[0].synapses] == \
        [s.n_synapses for s in stored[0].synapses]
    assert all(s.i is None and s.weight is None for s in proc[0].synapses)


def test_distributed_delays_and_weights_procedural_equals_stored():
    stored = _run(poisson_delays, "stored", 100 * ms)
    proc = _run(poisson_delays, "procedural", 100 * ms)
    assert stored[0]._arrays.neurons.buffer.shape[0] > 10     # delays of many steps
    _assert_same_run(stored, proc)


def test_every_rule_drawn_by_source_procedural_equals_stored():
    _assert_same_run(_run(_mixed, "stored", 100 * ms), _run(_mixed, "procedural", 100 * ms))


def test_mixed_storage_in_one_network():
    net, mon = _mixed()
    for s in net.synapses[::2]:
        s.storage = "procedural"
    net.run(60 * ms, dt=0.1 * ms, seed=3, n_threads=1)
    _assert_same_run(_run(_mixed, "stored", 60 * ms), (net, mon))


def test_procedural_on_two_threads_equals_one():
    _assert_same_run(_run(_mixed, "procedural", 60 * ms),
                     _run(_mixed, "procedural", 60 * ms, n_threads=2))


def test_numpy_equals_numba_procedural():
    _assert_same_run(_run(_mixed, "procedural", 30 * ms, backend="numba"),
                     _run(_mixed, "procedural", 30 * ms, backend="numpy"))


# ------------------------------------------------------------------ refusals
def _pair():
    cells = ns.NeuronGroup(20, ns.LIF(10 * ms, -70 * mV, -70 * mV, -50 * mV), name="c")
    return cells


def test_plastic_synapses_are_refused_with_the_reason():
    cells = _pair()
    rule = ns.STDP(tau_plus=20 * ms, tau_minus=20 * ms, a_plus=0.01, a_minus=0.01,
                   w_max=1 * mV)
    with pytest.raises(ValueError, match="storage='procedural'.*plasticity changes the weights"):
        ns.Synapses(cells, cells, kind="excitatory", weight=0.5 * mV, plasticity=rule,
                    connect=ns.FixedProbability(0.2), storage="procedural")


def test_explicit_lists_and_fixed_indegree_are_refused_with_the_reason():
    cells = _pair()
    with pytest.raises(ValueError, match="explicit list of pairs is itself stored"):
        ns.Synapses(cells, cells, kind="excitatory", weight=1 * mV,
                    connect=([0, 1], [2, 3]), storage="procedural")
    with pytest.raises(ValueError, match="FixedIndegree draws each target's sources"):
        ns.Synapses(cells, cells, kind="excitatory", weight=1 * mV,
                    connect=ns.FixedIndegree(3), storage="procedural")
    with pytest.raises(ValueError, match="storage='cached' must be 'stored' or 'procedural'"):
        ns.Synapses(cells, cells, kind="excitatory", weight=1 * mV,
                    connect=ns.AllToAll(), storage="cached")


def test_weights_per_synapse_and_weight_changes_are_refused():
    cells = _pair()
    syn = ns.Synapses(cells, cells, kind="excitatory", weight=np.ones(400) * mV,
                      connect=ns.AllToAll(), storage="procedural", name="arr")
    with pytest.raises(ValueError, match="weight: arr gives one weight per synapse"):
        ns.Network(cells, syn).build(dt=0.1 * ms, seed=1)
    syn = ns.Synapses(cells, cells, kind="excitatory", weight=1 * mV,
                      connect=ns.AllToAll(), storage="procedural", name="fixed")
    ns.Network(cells, syn).build(dt=0.1 * ms, seed=1)
    assert syn.n_synapses == 400
    with pytest.raises(ValueError, match="keeps no weights to change"):
        syn.weight = 2 * mV


def test_negative_drawn_weights_are_refused_as_in_the_stored_build():
    cells = _pair()
    syn = ns.Synapses(cells, cells, kind="excitatory", weight=ns.Normal(0 * mV, 1 * mV),
                      connect=ns.AllToAll(), storage="procedural", name="neg")
    with pytest.raises(ValueError, match="drawn weights of neg are negative"):
        ns.Network(cells, syn).build(dt=0.1 * ms, seed=1)


def _gpu_rules():
    """Every rule a GPU thread regenerates (partners drawn one at a time: multapses
    for the degrees), with constant, uniform and normal weights and delays."""
    lif = ns.LIF(tau_m=10 * ms, v_rest=-65 * mV, v_reset=-65 * mV, v_th=-50 * mV,
                 refractory=2 * ms, tau_syn_e=2 * ms, tau_syn_i=4 * ms)
    cells = ns.NeuronGroup(60, lif, v=ns.Uniform(-65 * mV, -50 * mV), name="cells")
    exc, inh = cells[:48], cells[48:]
    noise = ns.PoissonGroup(30, rates=400 * Hz, name="noise")
    d = ns.Normal(1.0 * ms, 0.5 * ms, low=0 * ms, high=2 * ms)
    syn = [
        ns.Synapses(noise, cells, kind="excitatory", weight=ns.Uniform(4 * mV, 8 * mV),
                    delay=d, connect=ns.FixedOutdegree(15, allow_multapses=True)),
        ns.Synapses(exc, cells, kind="excitatory", delay=d,
                    weight=ns.Normal(1 * mV, 0.4 * mV, low=0 * mV),
                    connect=ns.FixedTotalNumber(400, allow_autapses=False)),
        ns.Synapses(exc, exc, kind="excitatory", weight=0.5 * mV, delay=0.5 * ms,
                    connect=ns.FixedProbability(0.1, allow_autapses=False)),
        ns.Synapses(inh, cells, kind="inhibitory", weight=0.5 * mV, delay=d,
                    connect=ns.AllToAll()),
        ns.Synapses(inh, inh, kind="inhibitory", weight=1 * mV, connect=ns.OneToOne()),
    ]
    spikes = ns.SpikeMonitor(cells)
    return ns.Network(cells, noise, *syn, spikes), {"spikes": spikes}


def _cuba_delays():
    """A small CUBA network (Vogels & Abbott 2005: at rest above threshold, active from
    the first steps) with normal weights and delays drawn per synapse."""
    lif = ns.LIF(tau_m=20 * ms, v_rest=-49 * mV, v_reset=-60 * mV, v_th=-50 * mV,
                 refractory=5 * ms, tau_syn_e=5 * ms, tau_syn_i=10 * ms)
    cells = ns.NeuronGroup(120, lif, v=ns.Uniform(-53 * mV, -50 * mV), name="cells")
    exc, inh = cells[:96], cells[96:]
    d = ns.Normal(1.5 * ms, 0.75 * ms, low=0.1 * ms)
    syn = [ns.Synapses(exc, cells, kind="excitatory", delay=d,
                       weight=ns.Normal(1.62 * mV, 0.4 * mV, low=0 * mV),
                       connect=ns.FixedProbability(0.1)),
           ns.Synapses(inh, cells, kind="inhibitory", delay=d,
                       weight=ns.Normal(9 * mV, 2 * mV, low=0 * mV),
                       connect=ns.FixedProbability(0.1))]
    spikes = ns.SpikeMonitor(cells)
    return ns.Network(cells, *syn, spikes), {"spikes": spikes}


@pytest.mark.cuda
@pytest.mark.parametrize("launch", ["per_phase", "fused"])
@pytest.mark.parametrize("build", [_cuba_delays, _gpu_rules], ids=["cuba_delays", "rules"])
def test_cuda_procedural_equals_numba_stored(small_cuda, monkeypatch, launch, build):
    """On the cuda backend (numba's simulator in CI) a thread draws each (firing source,
    projection) row with the CPU's element functions and adds it by integer atomics:
    the spikes and state of the stored network on numba, bit for bit."""
    monkeypatch.setattr(small_cuda, "launch", launch)
    stored = _run(build, "stored", 15 * ms)
    _assert_same_run(stored, _run(build, "procedural", 15 * ms, backend="cuda"))


@pytest.mark.cuda
def test_cuda_refuses_distinct_partners_with_what_works(small_cuda):
    net, _ = _mixed()
    for s in net.synapses:
        s.storage = "procedural"
    with pytest.raises(NotImplementedError, match=r"distinct partners \(out, out_self, "
                                                  r"total_d: .*allow_multapses=True"):
        net.run(1 * ms, dt=0.1 * ms, seed=1, backend="cuda")


def test_exports_refuse_and_checkpoints_know_the_rule(tmp_path):
    # Brian2 and NIR need the synapses themselves; a checkpoint of a procedural network
    # restores into the same script and is refused by a changed rule (nothing stored)
    pytest.importorskip("brian2")
    pytest.importorskip("nir")
    from neurosim.interop.brian2 import to_brian2
    from neurosim.interop.nir import to_nir
    from neurosim.interop._brian2_models import Brian2ExportError
    net, _ = _small_cuba()
    for s in net.synapses:
        s.storage = "procedural"
    net.build(dt=0.1 * ms, seed=3)
    with pytest.raises(Brian2ExportError, match="storage='procedural'"):
        to_brian2(net)
    cells = ns.NeuronGroup(10, ns.LIF(10 * ms, -70 * mV, -70 * mV, -50 * mV))
    small = ns.Network(cells, ns.Synapses(cells, cells, kind="excitatory", weight=1 * mV,
                                          connect=ns.FixedProbability(0.5),
                                          storage="procedural"))
    with pytest.raises(ValueError, match="storage='procedural'.*use storage='stored'"):
        to_nir(small)
    net.run(20 * ms)
    path = str(tmp_path / "state.npz")
    net.store(filename=path)
    again, _ = _small_cuba()
    for s in again.synapses:
        s.storage = "procedural"
    again.build(dt=0.1 * ms, seed=3)
    again.restore(filename=path)
    assert again.t_step == 200
    other, _ = _small_cuba()
    for s in other.synapses:
        s.storage = "procedural"
    other.synapses[0].rule.p *= 1.01
    other.build(dt=0.1 * ms, seed=3)
    with pytest.raises(ns.CheckpointError, match="connectivity_sha256"):
        other.restore(filename=path)
