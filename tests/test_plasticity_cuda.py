"""Plastic synapses on the cuda backend against numba: the same spikes and the same
weights and traces, bit for bit in numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``),
for every rule, in both launch modes and for runs cut into pieces.

One small network holds a projection of each rule, so that the slow simulator runs
it once per launch mode: pair STDP (all-to-all and additive, nearest-spike and
multiplicative), TripletSTDP, TsodyksMarkram combined with STDP, short-term
plasticity alone and RewardSTDP with a dopamine source. Delays are drawn per
synapse, so that the spikes of one source arrive over several steps. A second
network holds the rules that keep their traces per neuron (one delay per projection,
``kernels.neuron_traces``) next to one that keeps them per synapse.
"""
import os
import sys

import numpy as np
import pytest

import neurosim as ns
from neurosim.network import _check_plastic
from neurosim.units import Hz, ms, mV

sys.path.insert(0, os.path.dirname(__file__))
from networks import assert_equal_records  # noqa: E402

pytestmark = pytest.mark.cuda


def _network():
    """30 LIF neurons driven by 12 Poisson sources, a projection of every rule, a
    dopamine source; monitors of the spikes and of three synapses of each rule."""
    lif = ns.LIF(tau_m=20 * ms, v_rest=-60 * mV, v_reset=-60 * mV, v_th=-50 * mV,
                 refractory=2 * ms, tau_syn_e=5 * ms, tau_syn_i=10 * ms)
    cells = ns.NeuronGroup(30, lif, v=ns.Uniform(-54 * mV, -49 * mV), name="cells")
    exc, inh = cells[:24], cells[24:]
    noise = ns.PoissonGroup(12, 500 * Hz, name="noise")
    reward = ns.PoissonGroup(1, 200 * Hz, name="dopamine")
    stdp = dict(tau_plus=10 * ms, tau_minus=12 * ms, a_plus=0.05, a_minus=0.06)
    delays = ns.Uniform(0 * ms, 2 * ms)
    rules = {
        "all_additive": (exc, exc, ns.STDP(**stdp, w_max=3 * mV)),
        "nearest_multiplicative": (noise, cells, ns.STDP(**stdp, w_max=9 * mV, pairing="nearest",
                                                         weight_dependence="multiplicative")),
        "triplet": (exc, inh, ns.TripletSTDP(tau_plus=10 * ms, tau_minus=20 * ms,
                                             tau_x=50 * ms, tau_y=60 * ms, a2_plus=0.02,
                                             a3_plus=0.05, a2_minus=0.03, a3_minus=0.01,
                                             w_max=4 * mV)),
        "short_and_long": (noise, cells, (ns.TsodyksMarkram(U=0.3, tau_rec=50 * ms,
                                                            tau_facil=30 * ms),
                                          ns.STDP(**stdp, w_max=9 * mV))),
        "short": (noise, inh, ns.TsodyksMarkram(U=0.5, tau_rec=80 * ms)),
        "reward": (exc, cells, ns.RewardSTDP(**stdp, tau_c=4 * ms, tau_d=10 * ms, w_max=3 * mV,
                                             dopamine_source=reward,
                                             dopamine_per_spike=50 * Hz,
                                             dopamine_delay=1 * ms, baseline=5 * Hz)),
    }
    weight = {"short": 4 * mV, "nearest_multiplicative": 5 * mV, "short_and_long": 5 * mV}
    syn = {name: ns.Synapses(pre, post, kind="inhibitory" if name == "short" else "excitatory",
                             weight=weight.get(name, ns.Uniform(0.5 * mV, 2.5 * mV)),
                             connect=ns.FixedProbability(0.25), delay=delays, plasticity=rule,
                             name=name)
           for name, (pre, post, rule) in rules.items()}
    variables = {"triplet": ["weight", "o2"], "short_and_long": ["weight", "u", "R"],
                 "short": ["R"], "reward": ["weight", "c"]}
    monitors = {name: ns.StateMonitor(s, variables.get(name, ["weight", "x_pre", "x_post"]),
                                      record=[0, 2, 5]) for name, s in syn.items()}
    spikes = ns.SpikeMonitor(cells)
    net = ns.Network(cells, noise, reward, *syn.values(), *monitors.values(), spikes)
    return net, syn, monitors, spikes


def _run(backend, pieces):
    net, syn, monitors, spikes = _network()
    net.build(dt=0.1 * ms, seed=11)
    initial = {name: s.weight.copy() for name, s in syn.items()}
    for duration in pieces:
        net.run(duration * ms, backend=backend)
    weights = {name: s.weight for name, s in syn.items()}
    samples = {name: {v: getattr(m, v) for v in m.variables} for name, m in monitors.items()}
    dopamine = syn["reward"].dopamine
    return (spikes.i, spikes.steps), initial, weights, samples, dopamine


@pytest.mark.parametrize("mode, pieces", [("fused", (8, 12)), ("per_phase", (3, 3))])
def test_cuda_gives_numba_spikes_and_weights(small_cuda, monkeypatch, mode, pieces):
    monkeypatch.setattr(small_cuda, "launch", mode)
    want = _run("numba", [sum(pieces)])             # one run on the CPU ...
    got = _run("cuda", pieces)                      # ... against a continued run on cuda
    (i, steps), initial, weights, samples, dopamine = want
    # something happened: spikes, and every learning rule moved its weights
    assert i.size > 15 and np.unique(i).size > 10
    for name in ("all_additive", "nearest_multiplicative", "triplet", "short_and_long",
                 "reward"):
        assert not np.array_equal(weights[name], initial[name]), name
    assert max(samples[k]["R"].min() for k in ("short", "short_and_long")) < 0.9
    assert dopamine > 0
    assert np.array_equal(got[0][0], i) and np.array_equal(got[0][1], steps)
    for name in weights:
        assert_equal_records(got[2][name], weights[name], err_msg=name)
        for var, x in samples[name].items():
            assert_equal_records(got[3][name][var], x, err_msg=f"{name}.{var}")
    assert_equal_records(np.array(got[4]), np.array(dopamine), err_msg="dopamine")


def test_cuda_mpi_ranks_refuse_plasticity_naming_it():
    net, _, _, _ = _network()
    with pytest.raises(NotImplementedError, match=r"cuda MPI ranks.*backend='numba'"):
        _check_plastic(net, "cuda", mpi=True)
    _check_plastic(net, "cuda")                     # one process: accepted


def test_learning_switched_off_and_dopamine_set_between_runs(small_cuda):
    # what changes between runs on the host (the rules' rows, the dopamine level)
    # reaches the GPU: both backends, the same pieces, the same changes
    records = []
    for backend in ("numba", "cuda"):
        net, syn, _, spikes = _network()
        net.build(dt=0.1 * ms, seed=5)
        net.run(4 * ms, backend=backend)
        frozen = syn["all_additive"].weight.copy()
        syn["all_additive"].learning = False
        syn["reward"].dopamine = 300 * Hz
        net.run(4 * ms, backend=backend)
        assert np.array_equal(syn["all_additive"].weight, frozen)
        records.append((spikes.i, spikes.steps, syn["reward"].weight, syn["reward"].dopamine,
                        syn["triplet"].weight))
    want, got = records
    assert want[0].size > 15
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    for x, y, name in zip(got[2:], want[2:], ("reward", "dopamine", "triplet")):
        assert_equal_records(np.asarray(x), np.asarray(y), err_msg=name)


def _by_neuron_network():
    """24 LIF neurons and 10 Poisson sources. Pair STDP (all-to-all, additive) among the
    neurons with no delay and triplet STDP (nearest-spike, multiplicative, transmitting
    the depressed weight) from the sources with a delay of 2 steps keep their traces
    per neuron; pair STDP from the same sources, with delays drawn per synapse, keeps
    them per synapse. Time constants of 0.2-0.6 ms move the traces' origin every 64
    steps (``neuron_traces.epoch_every``)."""
    lif = ns.LIF(tau_m=20 * ms, v_rest=-60 * mV, v_reset=-60 * mV, v_th=-50 * mV,
                 refractory=1 * ms, tau_syn_e=5 * ms, tau_syn_i=10 * ms)
    cells = ns.NeuronGroup(24, lif, v=ns.Uniform(-54 * mV, -49 * mV), name="cells")
    noise = ns.PoissonGroup(10, 800 * Hz, name="noise")
    fast = dict(tau_plus=0.2 * ms, tau_minus=0.3 * ms, a_plus=0.05, a_minus=0.06)
    rules = {
        "pair": (cells, 0 * ms, ns.STDP(**fast, w_max=3 * mV)),
        "triplet": (noise, 0.2 * ms, ns.TripletSTDP(
            tau_plus=0.2 * ms, tau_minus=0.2 * ms, tau_x=0.4 * ms, tau_y=0.6 * ms,
            a2_plus=0.05, a3_plus=0.1, a2_minus=0.05, a3_minus=0.05, w_max=5 * mV,
            pairing="nearest", weight_dependence="multiplicative", transmit_first=False)),
        "by_synapse": (noise, ns.Uniform(0 * ms, 0.3 * ms), ns.STDP(**fast, w_max=5 * mV)),
    }
    syn = {name: ns.Synapses(pre, cells, kind="excitatory", delay=delay, plasticity=rule,
                             weight=ns.Uniform(0.5 * mV, 2.5 * mV if pre is cells else 4 * mV),
                             connect=ns.FixedProbability(0.3), name=name)
           for name, (pre, delay, rule) in rules.items()}
    variables = {"pair": ["weight", "x_pre", "x_post"], "triplet": ["weight", "r1", "o1", "r2",
                                                                   "o2"],
                 "by_synapse": ["x_pre", "x_post"]}
    monitors = {name: ns.StateMonitor(s, variables[name], record=[0, 3, 7])
                for name, s in syn.items()}
    spikes = ns.SpikeMonitor(cells)
    net = ns.Network(cells, noise, *syn.values(), *monitors.values(), spikes)
    return net, syn, monitors, spikes


def _run_by_neuron(backend, pieces):
    """Run :func:`_by_neuron_network` in ``pieces`` (steps), the pair rule's learning
    switched off after the first; returns the spikes, the weights (initial, after the
    first piece, final), the samples and the neuron traces."""
    net, syn, monitors, spikes = _by_neuron_network()
    net.build(dt=0.1 * ms, seed=3)
    weights = [{name: s.weight.copy() for name, s in syn.items()}]
    for i, steps in enumerate(pieces):
        net.run(steps * 0.1 * ms, backend=backend)
        if i == 0:
            weights.append({name: s.weight.copy() for name, s in syn.items()})
            syn["pair"].learning = False
    weights.append({name: s.weight for name, s in syn.items()})
    samples = {name: {v: getattr(m, v) for v in m.variables} for name, m in monitors.items()}
    pl = net._arrays.plastic
    traces = {"x_pre": pl.x_pre, "x_post": pl.x_post, "epoch": pl.epoch, "slot": pl.slot}
    return (spikes.i, spikes.steps), weights, samples, traces


@pytest.mark.parametrize("mode, pieces", [("fused", (50, 40)), ("per_phase", (40, 30))])
def test_cuda_gives_numba_neuron_traces(small_cuda, monkeypatch, mode, pieces):
    # the rules with traces per neuron (kernels.neuron_traces) next to one with traces
    # per synapse, across moves of the traces' origin, a switch of learning and runs
    # cut into more pieces on cuda than on numba
    monkeypatch.setattr(small_cuda, "launch", mode)
    want = _run_by_neuron("numba", pieces)
    first, rest = pieces
    got = _run_by_neuron("cuda", (first, rest // 2, rest - rest // 2))
    (i, steps), (initial, middle, final), samples, traces = want
    assert np.array_equal(traces["slot"], [0, 1, -1])       # pair, triplet: per neuron
    assert traces["epoch"][0] >= traces["epoch"][1] == 64   # the origin moved
    assert i.size > 15 and np.unique(i).size > 5
    for name in initial:
        assert not np.array_equal(middle[name], initial[name]), name
    assert not np.array_equal(final["triplet"], middle["triplet"])
    assert np.array_equal(final["pair"], middle["pair"])    # learning switched off
    assert np.count_nonzero(traces["x_pre"]) and np.count_nonzero(traces["x_post"])
    assert np.array_equal(got[0][0], i) and np.array_equal(got[0][1], steps)
    for name in initial:
        assert_equal_records(got[1][2][name], final[name], err_msg=name)
        for var, x in samples[name].items():
            assert_equal_records(got[2][name][var], x, err_msg=f"{name}.{var}")
    for name in ("x_pre", "x_post", "epoch"):
        assert_equal_records(got[3][name], traces[name], err_msg=name)
