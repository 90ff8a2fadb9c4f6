"""Monitors record what the network did, and runs continue where they stopped.

Oracles: spike generators whose spikes are known in advance; the full
recording of a group against the recording of a subset, a subgroup or every
k-th step; the spike counts of a SpikeMonitor against the RateMonitor of the
same population; one run of 100 ms against two runs of 50 ms (and against
runs cut into small chunks).
"""
import numpy as np
import pytest

import neurosim as ns
from neurosim.units import Hz, mV, ms, second

DT = 1e-4


def _lif():
    return ns.LIF(tau_m=10 * ms, v_rest=-70 * mV, v_reset=-75 * mV, v_th=-50 * mV,
                  refractory=2 * ms, tau_syn_e=3 * ms, tau_syn_i=6 * ms)


# ------------------------------------------------------------- SpikeMonitor
GEN_I = np.array([3, 0, 1, 3, 2, 0, 4, 3])
GEN_T = np.array([0.5, 0.5, 1.0, 2.0, 2.0, 3.3, 4.0, 9.9])       # ms


def _generator_run(backend, record=True):
    gen = ns.SpikeGeneratorGroup(5, GEN_I, GEN_T * ms)
    mon = ns.SpikeMonitor(gen, record=record)
    ns.Network(gen, mon).run(10 * ms, dt=DT * second, backend=backend, seed=0)
    return mon


def test_spike_monitor_records_generator_spikes_in_time_order(backend):
    mon = _generator_run(backend)
    order = np.lexsort((GEN_I, GEN_T))
    assert mon.i.dtype == np.int32 and mon.t.dtype == np.float64
    np.testing.assert_array_equal(mon.i, GEN_I[order])
    np.testing.assert_allclose(mon.t, GEN_T[order] * 1e-3, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(mon.steps, np.round(GEN_T[order] * 10).astype(int))
    np.testing.assert_array_equal(mon.count, [2, 1, 1, 3, 1])
    assert mon.num_spikes == GEN_I.size


def test_spike_monitor_spike_trains_per_neuron(backend):
    trains = _generator_run(backend).spike_trains()
    assert sorted(trains) == [0, 1, 2, 3, 4]
    for k in range(5):
        np.testing.assert_allclose(trains[k], np.sort(GEN_T[GEN_I == k]) * 1e-3, atol=1e-12)


def test_spike_monitor_record_subset_keeps_only_those(backend):
    mon = _generator_run(backend, record=[3, 1])
    sel = np.isin(GEN_I, [1, 3])
    order = np.lexsort((GEN_I[sel], GEN_T[sel]))
    np.testing.assert_array_equal(mon.i, GEN_I[sel][order])
    np.testing.assert_array_equal(mon.count, [0, 1, 0, 3, 0])
    trains = mon.spike_trains()
    assert sorted(trains) == [1, 3]
    np.testing.assert_allclose(trains[3], [0.5e-3, 2e-3, 9.9e-3], atol=1e-12)


def test_spike_monitor_of_subgroup_matches_slice_of_full_monitor(backend):
    cells = ns.NeuronGroup(12, _lif(), v=ns.Uniform(-70 * mV, -50 * mV))
    drive = ns.CurrentInput(cells, np.linspace(15, 40, 12) * mV)
    full, part = ns.SpikeMonitor(cells), ns.SpikeMonitor(cells[4:9])
    ns.Network(cells, drive, full, part).run(50 * ms, dt=DT * second, backend=backend, seed=2)
    sel = (full.i >= 4) & (full.i < 9)
    assert sel.sum() > 10
    np.testing.assert_array_equal(part.i, full.i[sel] - 4)
    np.testing.assert_array_equal(part.t, full.t[sel])
    np.testing.assert_array_equal(part.count, full.count[4:9])


def test_spike_monitor_grows_its_buffer_for_many_spikes(backend):
    # 300 always-active units spike every step: 300 x 60 spikes, far beyond the
    # initial buffer, all recorded
    units = ns.NeuronGroup(300, ns.McCullochPitts(theta=1))
    bias = ns.CurrentInput(units, 1.0)
    mon = ns.SpikeMonitor(units)
    ns.Network(units, bias, mon).run(60 * DT * second, dt=DT * second, backend=backend,
                                     seed=0)
    np.testing.assert_array_equal(mon.count, 60)
    np.testing.assert_array_equal(mon.steps, np.repeat(np.arange(60), 300))
    np.testing.assert_array_equal(mon.i, np.tile(np.arange(300), 60))


def test_two_spike_monitors_with_different_subsets(backend):
    gen = ns.SpikeGeneratorGroup(5, GEN_I, GEN_T * ms)
    a, b = ns.SpikeMonitor(gen, record=[0]), ns.SpikeMonitor(gen, record=[3, 4])
    ns.Network(gen, a, b).run(10 * ms, dt=DT * second, backend=backend, seed=0)
    np.testing.assert_array_equal(a.i, [0, 0])
    np.testing.assert_array_equal(b.i, [3, 3, 4, 3])


# ------------------------------------------------------------- StateMonitor
def _state_run(backend, monitors, duration_steps=200, chunk_steps=None):
    cells = ns.NeuronGroup(6, _lif(), v=np.linspace(-70, -52, 6) * mV)
    noise = ns.PoissonGroup(20, 400 * Hz)
    syn = ns.Synapses(noise, cells, kind="excitatory", weight=2 * mV,
                      connect=ns.FixedProbability(0.5))
    mons = [make(cells) for make in monitors]
    ns.Network(cells, noise, syn, *mons).run(duration_steps * DT * second, dt=DT * second,
                                             backend=backend, seed=9, chunk_steps=chunk_steps)
    return mons


def test_state_monitor_shapes_and_times(backend):
    full, = _state_run(backend, [lambda g: ns.StateMonitor(g, ["v", "i_e"])])
    assert full.v.shape == (6, 200) and full.i_e.shape == (6, 200)
    np.testing.assert_allclose(full.t, np.arange(200) * DT, rtol=0, atol=1e-15)
    # the first sample is the initial state, before any update
    np.testing.assert_allclose(full.v[:, 0], np.linspace(-70, -52, 6) * 1e-3, atol=1e-15)
    np.testing.assert_array_equal(full.i_e[:, 0], 0.0)
    assert np.ptp(full.i_e) > 0 and np.ptp(full.v[0]) > 0


@pytest.mark.parametrize("every", [1, 3, 7, 200, 500])
def test_state_monitor_every_k_steps_subsamples_full_recording(backend, every):
    full, sub = _state_run(backend, [lambda g: ns.StateMonitor(g, "v"),
                                     lambda g: ns.StateMonitor(g, "v", every=every)])
    n = -(-200 // every)
    assert sub.v.shape == (6, n)
    np.testing.assert_allclose(sub.t, np.arange(0, 200, every) * DT, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(sub.v, full.v[:, ::every])


def test_state_monitor_record_subset_and_subgroup(backend):
    full, sub, part = _state_run(backend, [
        lambda g: ns.StateMonitor(g, ["v", "i_e"]),
        lambda g: ns.StateMonitor(g, ["i_e", "v"], record=[5, 1], every=2),
        lambda g: ns.StateMonitor(g[2:5], "v", record=[0, 2]),
    ])
    assert sub.v.shape == (2, 100) and sub.i_e.shape == (2, 100)
    np.testing.assert_array_equal(sub.v, full.v[[5, 1], ::2])
    np.testing.assert_array_equal(sub.i_e, full.i_e[[5, 1], ::2])
    np.testing.assert_array_equal(part.v, full.v[[2, 4]])


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_recordings_do_not_depend_on_chunk_size(backend, chunk):
    makers = [lambda g: ns.StateMonitor(g, "v", every=3), lambda g: ns.SpikeMonitor(g),
              lambda g: ns.RateMonitor(g)]
    ref = _state_run(backend, makers)
    got = _state_run(backend, makers, chunk_steps=chunk)
    np.testing.assert_array_equal(got[0].v, ref[0].v)
    np.testing.assert_array_equal(got[0].t, ref[0].t)
    np.testing.assert_array_equal(got[1].i, ref[1].i)
    np.testing.assert_array_equal(got[1].t, ref[1].t)
    np.testing.assert_array_equal(got[2].rate, ref[2].rate)
    assert ref[1].num_spikes > 0


def test_state_monitor_before_any_run_is_empty():
    g = ns.NeuronGroup(3, _lif())
    mon = ns.StateMonitor(g, "v", record=[0, 2])
    assert mon.v.shape == (2, 0) and mon.t.size == 0
    with pytest.raises(AttributeError, match="'u'"):
        mon.u


# -------------------------------------------------------------- RateMonitor
def test_rate_monitor_equals_spike_counts_over_n_dt(backend):
    noise = ns.PoissonGroup(40, 300 * Hz)
    rate, part_rate = ns.RateMonitor(noise), ns.RateMonitor(noise[10:30])
    spikes = ns.SpikeMonitor(noise)
    ns.Network(noise, rate, part_rate, spikes).run(100 * ms, dt=DT * second, backend=backend,
                                                   seed=4)
    per_step = np.bincount(spikes.steps, minlength=1000)
    assert rate.rate.shape == (1000,)
    np.testing.assert_allclose(rate.t, np.arange(1000) * DT, rtol=0, atol=1e-15)
    np.testing.assert_allclose(rate.rate, per_step / (40 * DT), rtol=1e-12)
    sel = (spikes.i >= 10) & (spikes.i < 30)
    np.testing.assert_allclose(part_rate.rate,
                               np.bincount(spikes.steps[sel], minlength=1000) / (20 * DT),
                               rtol=1e-12)
    # and the mean rate is the Poisson rate (40 x 1000 Bernoulli(0.03) trials)
    p, trials = 300 * DT, 40 * 1000
    assert abs(per_step.sum() / trials - p) < 5 * np.sqrt(p * (1 - p) / trials)


def test_rate_monitor_of_neurons_matches_spike_monitor(backend):
    cells = ns.NeuronGroup(10, _lif())
    drive = ns.CurrentInput(cells, np.linspace(22, 40, 10) * mV)
    rate, spikes = ns.RateMonitor(cells), ns.SpikeMonitor(cells)
    ns.Network(cells, drive, rate, spikes).run(80 * ms, dt=DT * second, backend=backend,
                                               seed=1)
    assert spikes.num_spikes > 20
    np.testing.assert_allclose(rate.rate * 10 * DT, np.bincount(spikes.steps, minlength=800),
                               rtol=1e-12)


def test_smooth_rate_with_one_step_window_is_the_rate(backend):
    noise = ns.PoissonGroup(10, 500 * Hz)
    rate = ns.RateMonitor(noise)
    ns.Network(noise, rate).run(20 * ms, dt=DT * second, backend=backend, seed=4)
    np.testing.assert_allclose(rate.smooth_rate(DT * second), rate.rate, rtol=1e-12)
    smooth = rate.smooth_rate(2 * ms)
    assert smooth.shape == rate.rate.shape
    # interior values are 20-step window means
    np.testing.assert_allclose(smooth[100], rate.rate[90:110].mean(), rtol=1e-12)


# ------------------------------------------------------ runs that continue
def _continuing_network():
    cells = ns.NeuronGroup(40, _lif(), v=ns.Uniform(-70 * mV, -50 * mV))
    exc, inh = cells[:32], cells[32:]
    noise = ns.PoissonGroup(30, 400 * Hz)
    objects = [
        cells, noise,
        ns.Synapses(noise, cells, kind="excitatory", weight=1.5 * mV,
                    connect=ns.FixedProbability(0.3)),
        ns.Synapses(exc, cells, kind="excitatory", weight=0.8 * mV,
                    delay=ns.Uniform(0.5 * ms, 3 * ms), connect=ns.FixedProbability(0.2)),
        ns.Synapses(inh, cells, kind="inhibitory", weight=2 * mV, delay=1 * ms,
                    connect=ns.FixedIndegree(3)),
        ns.PoissonInput(cells, n=100, rate=20 * Hz, weight=0.5 * mV),
        ns.TimedCurrent(cells, np.array([0, 5, 10, 0, 8]) * mV, dt=20 * ms),
    ]
    mons = (ns.SpikeMonitor(cells), ns.StateMonitor(cells, ["v", "i_i"], record=[0, 33],
                                                    every=3),
            ns.RateMonitor(exc))
    return ns.Network(*objects, *mons), mons


@pytest.mark.parametrize("second_backend", ["same", "other"])
def test_two_runs_of_50_ms_equal_one_of_100_ms(backend, second_backend):
    net1, (s1, st1, r1) = _continuing_network()
    net1.run(100 * ms, dt=DT * second, backend=backend, seed=21)
    net2, (s2, st2, r2) = _continuing_network()
    net2.run(50 * ms, dt=DT * second, backend=backend, seed=21)
    other = {"numpy": "numba", "numba": "numpy"}[backend]
    net2.run(50 * ms, backend=backend if second_backend == "same" else other)
    assert net1.t == pytest.approx(0.1) and net2.t == pytest.approx(0.1)
    assert s1.num_spikes > 50
    assert np.any(s1.t > 0.05) and np.any(s1.t < 0.05)
    np.testing.assert_array_equal(s1.i, s2.i)
    np.testing.assert_array_equal(s1.t, s2.t)
    np.testing.assert_array_equal(st1.t, st2.t)
    np.testing.assert_array_equal(st1.v, st2.v)
    np.testing.assert_array_equal(st1.i_i, st2.i_i)
    np.testing.assert_array_equal(r1.rate, r2.rate)
    assert st1.v.shape == (2, -(-1000 // 3))


def test_run_of_zero_duration_records_nothing(backend):
    net, (spikes, states, rate) = _continuing_network()
    net.run(0 * ms, dt=DT * second, backend=backend, seed=1)
    assert net.t == 0 and spikes.num_spikes == 0
    assert states.v.shape == (2, 0) and rate.rate.size == 0
    net.run(1 * ms)
    assert states.v.shape == (2, 4) and rate.rate.size == 10


def test_get_state_after_run_matches_last_sample(backend):
    cells = ns.NeuronGroup(4, _lif(), v=np.array([-60, -58, -56, -54]) * mV)
    trace = ns.StateMonitor(cells, "v")
    net = ns.Network(cells, trace)
    net.run(2 * ms, dt=DT * second, backend=backend, seed=0)
    net.run(DT * second)                       # one more step: samples the state after 2 ms
    np.testing.assert_array_equal(trace.v[:, 20], trace.v[:, -1])
    v_now = net.get_state(cells, "v")
    expected = -70e-3 + (np.array([-60, -58, -56, -54]) * 1e-3 + 70e-3) * np.exp(-21 * DT / 1e-2)
    np.testing.assert_allclose(v_now, expected, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(net.get_state(cells[1:3], "v"), v_now[1:3])
