"""Izhikevich (2003), the model added through the model contract in one file
(neurosim/models/izhikevich.py): its regimes, the engines against each other, Brian2.

* numpy against numba (1 and 2 threads; float64 and float32), bit for bit, on a
  network of several regimes with recurrent delta synapses, Poisson sources and
  drives, injected currents, beside LIF neurons; the MPI rank loop (one rank, on the
  CPU and on the GPU) against ``run``;
* the CUDA engine (numba's simulator without a GPU) against numba;
* Brian2 (``to_brian2``, numpy target): single neurons of every regime bit for bit
  (``v`` and ``u``); Izhikevich's network of 1000 neurons spike for spike over 500 ms
  (measured: no divergence over 2 s either, v within 7e-16 V); and with independent
  noise (Brian2's own PoissonInput), rate, CV and Fano factor over 2 s;
* each regime of the paper's Fig. 2 under a step of current shows its signature in
  its spike train;
* errors name the parameter and the value.
"""
import os
import sys

import numpy as np
import pytest

import neurosim as ns
from neurosim.units import Hz, mV, ms, second, volt

sys.path.insert(0, os.path.dirname(__file__))
from networks import assert_equal_records  # noqa: E402

DT = 0.1 * ms
REGIMES = ("RS", "IB", "CH", "FS", "LTS")


# ------------------------------------------------------------------ regimes
def _regimes(duration=500 * ms, onset=20 * ms, amplitude=10 * mV / ms, backend="numba"):
    """One neuron per regime, each its own group, under a step of current at ``onset``
    (Fig. 2 of the paper: I = 10). Returns {name: spike times (s)}, the traces, net."""
    groups = {r: ns.NeuronGroup(1, ns.Izhikevich.preset(r), name=r) for r in REGIMES}
    step = np.array([0.0, float(amplitude)]) * volt / second
    inputs = [ns.TimedCurrent(g, step, dt=onset) for g in groups.values()]
    spikes = {r: ns.SpikeMonitor(g) for r, g in groups.items()}
    traces = {r: ns.StateMonitor(g, ["v", "u"], record=0) for r, g in groups.items()}
    net = ns.Network(*groups.values(), *inputs, *spikes.values(), *traces.values())
    net.run(duration, dt=DT, seed=1, backend=backend)
    return {r: np.asarray(m.t) for r, m in spikes.items()}, traces, net


@pytest.fixture(scope="module")
def regimes():
    return _regimes()


def _bursts(t, gap):
    """Spike trains split at intervals longer than ``gap`` (s): the sizes of the groups."""
    cuts = np.flatnonzero(np.diff(t) > gap)
    return np.diff(np.concatenate([[0], cuts + 1, [t.size]]))


def test_no_spike_before_the_step_and_every_regime_fires_after_it(regimes):
    times, _, _ = regimes
    for r in REGIMES:
        assert times[r].size >= 5, r
        assert times[r][0] > 0.020, r          # silent at rest (I = 0)


def test_regular_spiking_adapts_without_bursting(regimes):
    isi = np.diff(regimes[0]["RS"])
    assert isi.min() > 0.015                       # single spikes, no burst
    assert isi[1] > 1.5 * isi[0]                  # spike-frequency adaptation
    assert np.all(isi[1:] > 1.5 * isi[0])
    assert isi[1:].std() < 0.05 * isi[1:].mean()  # to a steady, slow pace (about 22 Hz)
    assert 1 / isi[-1] < 40


def test_intrinsically_bursting_starts_with_a_burst_then_spikes_regularly(regimes):
    t = regimes[0]["IB"]
    isi = np.diff(t)
    sizes = _bursts(t, gap=0.010)
    assert sizes[0] >= 3                       # an initial burst of 3 or more spikes
    assert np.all(sizes[1:] == 1)              # then single spikes ...
    tail = isi[sizes[0]:]
    assert tail.size >= 4 and tail.std() < 0.1 * tail.mean()   # ... at a regular pace


def test_chattering_fires_repeated_bursts(regimes):
    t = regimes[0]["CH"]
    isi = np.diff(t)
    sizes = _bursts(t, gap=0.010)
    assert sizes.size >= 5 and np.all(sizes[1:-1] >= 2)     # burst after burst
    short, long = isi[isi < 0.010], isi[isi >= 0.010]
    assert short.size >= sizes.size and long.size >= 4    # bimodal intervals:
    assert long.min() > 3 * short.max()                   # well apart


def _adaptation(t):
    """The last inter-spike interval over the first: 1 without adaptation."""
    isi = np.diff(t)
    return isi[-1] / isi[0]


def test_fast_spiking_fires_fast_without_adaptation(regimes):
    times = regimes[0]
    isi = np.diff(times["FS"])
    assert 1 / isi[-10:].mean() > 100              # > 100 Hz in the steady state
    assert times["FS"].size > 4 * times["RS"].size
    tail = isi[3:]
    assert tail.std() < 0.03 * tail.mean()         # a periodic train
    # practically no adaptation: less than any adapting regime (FS 1.8, RS 2.1, LTS 4.4)
    assert _adaptation(times["FS"]) < 2
    assert _adaptation(times["FS"]) < min(_adaptation(times[r]) for r in ("RS", "LTS"))
    assert np.all(_bursts(times["FS"], gap=0.5 * isi.min()) == 1)


def test_low_threshold_spiking_fires_fast_and_adapts(regimes):
    times = regimes[0]
    isi = np.diff(times["LTS"])
    assert isi[0] < 0.25 * np.diff(times["RS"])[0]         # much faster than RS at first
    assert 1 / isi[-1] > 2 / np.diff(times["RS"])[-1]      # and still in the steady state
    assert _adaptation(times["LTS"]) > 3                    # strong adaptation
    assert np.all(np.diff(isi[:6]) > 0)                     # intervals growing
    assert np.all(_bursts(times["LTS"], gap=0.5 * isi[0]) == 1)    # single spikes


def test_reset_and_jump_of_u_at_each_spike(regimes):
    times, traces, _ = regimes
    model = ns.Izhikevich.preset("CH")
    tr = traces["CH"]
    steps = np.rint(times["CH"] / float(DT)).astype(int)
    # a spike ends the update of its step: the next sample is the reset
    assert np.all(tr.v[0][steps + 1] == model.c)
    assert np.all(tr.v[0][steps] < model.v_peak)
    # u jumps by about d (plus one Euler increment, small against d)
    jump = tr.u[0][steps + 1] - tr.u[0][steps]
    assert np.allclose(jump, model.d, rtol=0.05)


def test_numpy_and_numba_agree_on_the_regimes():
    want, traces, _ = _regimes(duration=150 * ms, backend="numpy")
    got, traces_b, _ = _regimes(duration=150 * ms)
    for r in REGIMES:
        assert np.array_equal(want[r], got[r]), r
        for var in ("v", "u"):
            assert np.array_equal(getattr(traces[r], var), getattr(traces_b[r], var)), r


# ------------------------------------------------------ engines, bit for bit
def _network(backend=None, n_threads=None, duration=150 * ms, run=True, dtype="float64"):
    """Several regimes with delta synapses, Poisson sources and drives, injected
    currents, beside a LIF group (the model set mixes built-in and new models)."""
    rs = ns.NeuronGroup(60, ns.Izhikevich.preset("RS"), v=ns.Uniform(-70 * mV, -55 * mV),
                        name="rs")
    ch = ns.NeuronGroup(20, ns.Izhikevich.preset("CH"), name="ch")
    fs = ns.NeuronGroup(20, ns.Izhikevich.preset("FS"), u=ns.Uniform(-14 * mV / ms,
                                                                     -12 * mV / ms), name="fs")
    lif = ns.NeuronGroup(20, ns.LIF(10 * ms, -70 * mV, -65 * mV, -55 * mV), name="lif")
    noise = ns.PoissonGroup(100, 20 * Hz, name="noise")
    members = [rs, ch, fs, lif, noise,
               ns.Synapses(noise, rs, kind="excitatory", weight=ns.Uniform(1 * mV, 4 * mV),
                           connect=ns.FixedProbability(0.3), delay=1 * ms),
               ns.Synapses(rs, fs, kind="excitatory", weight=4 * mV,
                           connect=ns.FixedProbability(0.3), delay=0.5 * ms),
               ns.Synapses(ch, rs, kind="excitatory", weight=1 * mV,
                           connect=ns.FixedProbability(0.2), delay=0.2 * ms),
               ns.Synapses(fs, rs, kind="inhibitory", weight=ns.Uniform(0 * mV, 3 * mV),
                           connect=ns.FixedProbability(0.3), delay=0.5 * ms),
               ns.Synapses(rs, lif, kind="excitatory", weight=3 * mV,
                           connect=ns.FixedProbability(0.3), delay=1 * ms),
               ns.PoissonInput(ch, n=50, rate=20 * Hz, weight=2 * mV, kind="excitatory"),
               ns.PoissonInput(fs, n=20, rate=20 * Hz, weight=1 * mV, kind="inhibitory"),
               ns.CurrentInput(rs, 3 * mV / ms), ns.CurrentInput(fs, 2 * mV / ms),
               ns.TimedCurrent(ch[:10], np.array([0, 8, 2]) * mV / ms, dt=40 * ms)]
    mon = {"rs": ns.SpikeMonitor(rs), "ch": ns.SpikeMonitor(ch), "fs": ns.SpikeMonitor(fs),
           "lif": ns.SpikeMonitor(lif),
           "state": ns.StateMonitor(rs, ["v", "u"], record=[0, 7, 33]),
           "state_ch": ns.StateMonitor(ch, ["v", "u"], record=[1, 12])}
    net = ns.Network(*members, *mon.values(), dtype=dtype)
    if run:
        net.run(duration, dt=DT, seed=4, backend=backend, n_threads=n_threads)
    return net, mon


def _records(mon):
    out = {}
    for key, m in mon.items():
        if isinstance(m, ns.SpikeMonitor):
            out[key + "/i"], out[key + "/steps"] = m.i.copy(), m.steps.copy()
        else:
            for var in m.variables:
                out[f"{key}/{var}"] = getattr(m, var).copy()
    return out


def _assert_same(want, got, compare=np.testing.assert_array_equal):
    assert want.keys() == got.keys()
    for key in sorted(want, key=lambda k: "/v" in k or "/u" in k):    # spikes first
        compare(got[key], want[key], err_msg=key)


def test_numba_and_numpy_agree_bit_for_bit_with_other_models_in_the_network():
    net, mon = _network("numpy")
    want = _records(mon)
    for key in ("rs", "ch", "fs", "lif"):
        assert mon[key].num_spikes > 20, key            # every group fires
    final_u = net.get_state(net.groups[0], "u")
    for n_threads in (1, 2):
        net_b, mon_b = _network("numba", n_threads)
        _assert_same(want, _records(mon_b))
        assert np.array_equal(final_u, net_b.get_state(net_b.groups[0], "u"))


def test_numba_and_numpy_agree_bit_for_bit_in_float32():
    net, mon = _network("numpy", dtype="float32")
    assert net.get_state(net.groups[0], "u").dtype == np.float32
    assert mon["rs"].num_spikes > 20 and mon["fs"].num_spikes > 20
    _, mon_b = _network("numba", dtype="float32")
    _assert_same(_records(mon), _records(mon_b))


def test_store_restore_and_continued_runs_keep_u():
    net, _ = _network("numba", duration=50 * ms)
    rs = net.groups[0]
    net.store()
    u = rs.u.copy()
    net.run(20 * ms)
    assert not np.array_equal(rs.u, u)
    net.restore()
    assert np.array_equal(rs.u, u)


@pytest.mark.slow
def test_the_mpi_rank_loop_alone_equals_the_one_process_loop():
    from neurosim import mpi
    _, mon = _network(duration=60 * ms)
    want = _records(mon)
    net, mon = _network(run=False)
    net.build(DT, seed=4)
    mpi.run(net, 600, 250, False, comm=mpi._SelfComm())
    _assert_same(want, _records(mon))


@pytest.mark.cuda
@pytest.mark.parametrize("mode", ["fused", pytest.param("per_phase", marks=pytest.mark.slow)])
def test_cuda_matches_numba_bit_for_bit(small_cuda, monkeypatch, mode):
    """Both launch modes (in numba's simulator per phase takes 40-80 s, fused 4-6 s)."""
    monkeypatch.setattr(small_cuda, "launch", mode)
    _, mon = _network("numba", duration=10 * ms)
    want = _records(mon)
    assert mon["rs"].num_spikes + mon["fs"].num_spikes > 5
    _, mon = _network("cuda", duration=10 * ms)
    _assert_same(want, _records(mon), assert_equal_records)


@pytest.mark.slow
@pytest.mark.cuda
def test_the_gpu_rank_loop_alone_equals_the_one_process_loop(small_cuda):
    """The rank loop on the GPU, one rank (with several, it carries the neurons of the
    others with the parameters of ``inert``: see the next test)."""
    from neurosim import mpi
    _, mon = _network(duration=6 * ms)
    want = _records(mon)
    net, mon = _network(run=False)
    net.build(DT, seed=4)
    mpi.run(net, 60, 25, False, comm=mpi._SelfComm(), backend="cuda")
    _assert_same(want, _records(mon), assert_equal_records)


def test_inert_neurons_never_fire_and_stay_put():
    """A GPU rank sets the v of the other ranks' neurons to 0 and runs them with
    ``inert``'s row: they must neither fire nor run away (integrated from v = 0 with an
    infinite v_peak, v would grow to inf, then NaN)."""
    model = ns.Izhikevich.preset("CH")
    kernel = model.kernel
    p = kernel.parameter_tuple(model.inert(model.params(1e-4)))
    v, u = np.array([0.0, -60e-3]), np.array([-10.0, 5.0])
    z = np.zeros(2)
    spiked = kernel.vector_update(v, z.copy(), z.copy(), np.zeros(2, np.int32), u,
                                  np.full(2, 1e3), p, 0, 0, np.arange(2))
    assert not spiked.any()
    assert np.array_equal(v, [0.0, -60e-3]) and np.array_equal(u, [-10.0, 5.0])
    got = kernel.scalar_update(0.0, 0.0, 0.0, 0, -10.0, 1e3, p, 0, 0, 0)
    assert got == (0.0, 0.0, 0.0, 0, -10.0, False)


# ------------------------------------------------------------------- Brian2
def _brian2():
    pytest.importorskip("brian2")
    from neurosim.interop.brian2 import to_brian2
    return to_brian2


def _simulate_both(net, duration, seed=11, **export):
    to_brian2 = _brian2()
    net.build(DT, seed)
    twin = to_brian2(net, **export)
    twin.run(duration)
    net.run(duration, backend="numba")
    return twin


@pytest.mark.brian2
def test_single_neurons_of_every_regime_agree_with_brian2_bit_for_bit():
    """Forward Euler in Brian2's order of operations: the same v and u, to the bit."""
    groups = [ns.NeuronGroup(2, ns.Izhikevich.preset(r), name=r) for r in REGIMES]
    drives = [ns.CurrentInput(g, np.array([10.0, 4.0]) * mV / ms) for g in groups]
    spikes = [ns.SpikeMonitor(g) for g in groups]
    traces = [ns.StateMonitor(g, ["v", "u"], record=[0, 1]) for g in groups]
    net = ns.Network(*groups, *drives, *spikes, *traces)
    twin = _simulate_both(net, 300 * ms)
    for r, s, tr in zip(REGIMES, spikes, traces):
        rec = twin.recording(s)
        assert s.num_spikes > 5, r
        np.testing.assert_array_equal(s.steps, rec.steps, err_msg=r)
        np.testing.assert_array_equal(s.i, rec.i, err_msg=r)
        b2 = twin.recording(tr)
        np.testing.assert_array_equal(tr.v, b2.v, err_msg=r)
        np.testing.assert_array_equal(tr.u, b2.u, err_msg=r)


def izhikevich_2003(n_e=800, n_i=200, record=(0, 1, 2)):
    """Izhikevich's (2003) network with a group per regime, as neurosim has no
    per-neuron parameters: 800 excitatory neurons (600 RS, 100 IB, 100 CH) and 200
    inhibitory ones (100 FS, 100 LTS), all to all, weights uniform in [0, 0.5] mV
    (excitatory) and [0, 1] mV (inhibitory), delta synapses with a delay of 1 ms.
    The paper's thalamic noise becomes Poisson drives (delta synapses too)."""
    sizes = {"RS": n_e * 3 // 4, "IB": n_e // 8, "CH": n_e // 8, "FS": n_i // 2,
             "LTS": n_i // 2}
    groups = {r: ns.NeuronGroup(n, ns.Izhikevich.preset(r), name=r,
                                v=ns.Uniform(-70 * mV, -60 * mV)) for r, n in sizes.items()}
    exc = [groups[r] for r in ("RS", "IB", "CH")]
    inh = [groups[r] for r in ("FS", "LTS")]
    syn = [ns.Synapses(pre, post, kind="excitatory", weight=ns.Uniform(0 * mV, 0.5 * mV),
                       connect=ns.AllToAll(), delay=1 * ms)
           for pre in exc for post in groups.values()]
    syn += [ns.Synapses(pre, post, kind="inhibitory", weight=ns.Uniform(0 * mV, 1 * mV),
                        connect=ns.AllToAll(), delay=1 * ms)
            for pre in inh for post in groups.values()]
    # the thalamic input, 5 mV (excitatory) or 2 mV (inhibitory neurons) times a normal
    # draw every ms, becomes Poisson jumps of either sign, 0.5 of each per ms
    drives = [ns.PoissonInput(g, n=10, rate=50 * Hz, weight=5 * mV if g in exc else 2 * mV,
                              kind=kind) for g in groups.values()
              for kind in ("excitatory", "inhibitory")]
    mon = {r: ns.SpikeMonitor(g) for r, g in groups.items()}
    if len(record):
        mon["state"] = ns.StateMonitor(groups["RS"], ["v", "u"], record=list(record))
    return ns.Network(*groups.values(), *syn, *drives, *mon.values()), mon


def _merged(mon, offsets):
    """(steps, i) of the spikes of all groups, i made global."""
    steps = np.concatenate([mon[r].steps for r in REGIMES])
    idx = np.concatenate([mon[r].i + offsets[r] for r in REGIMES])
    return steps, idx


@pytest.mark.brian2
@pytest.mark.slow
def test_izhikevich_2003_network_agrees_with_brian2_spike_for_spike():
    from neurosim.interop.validation import first_divergence
    net, mon = izhikevich_2003()
    twin = _simulate_both(net, 500 * ms)
    offsets = dict(zip(REGIMES, np.cumsum([0] + [mon[r].source.n for r in REGIMES])))
    a = _merged(mon, offsets)
    b_mon = {r: twin.recording(mon[r]) for r in REGIMES}
    b = _merged(b_mon, offsets)
    assert a[0].size > 2000                       # the network is active
    for r in REGIMES:
        assert mon[r].num_spikes > 20, r          # every regime takes part
    first = first_divergence(*a, *b)
    assert first is None, f"first differing spike at {first * float(DT) * 1e3:.1f} ms"
    # Brian2 adds each synaptic input to v on its own, neurosim the exact sum of a step's
    # inputs once: v differs by rounding (measured: < 1e-15 V over 2 s), which the
    # resets erase instead of amplifying
    state, b2 = mon["state"], twin.recording(mon["state"])
    assert np.abs(state.v - b2.v).max() < 1e-13
    assert np.abs(state.u - b2.u).max() < 1e-10          # V/s


@pytest.mark.brian2
@pytest.mark.slow
def test_izhikevich_2003_statistics_agree_with_brian2_with_independent_noise():
    """2 s with Brian2's own PoissonInput (its random numbers, onto v with
    ``int(not_refractory)``): the spike trains differ, rates and CVs must not."""
    from neurosim.interop.validation import (compare_statistics, first_divergence,
                                             spike_statistics)
    net, mon = izhikevich_2003(record=())
    twin = _simulate_both(net, 2 * second, poisson="brian2", brian2_seed=11)
    offsets = dict(zip(REGIMES, np.cumsum([0] + [mon[r].source.n for r in REGIMES])))
    a = _merged(mon, offsets)
    b = _merged({r: twin.recording(mon[r]) for r in REGIMES}, offsets)
    assert first_divergence(*a, *b) is not None        # independent noise
    n = offsets["LTS"] + mon["LTS"].source.n
    stats = [spike_statistics(s, i, n, float(DT), 0.2, 2.0) for s, i in (a, b)]
    assert 3 < stats[0]["rate"] < 30
    # measured: rate 11.10 / 10.98 Hz (+-2.9), CV 0.491 / 0.483 (+-0.029), Fano 0.75 / 0.76
    for name, row in compare_statistics(*stats, level=0.99).items():
        assert row["agree"], (f"{name}: neurosim {row['a']:.4g}, Brian2 {row['b']:.4g}, "
                              f"difference {row['diff']:.3g} outside +-{row['half_width']:.3g}")


@pytest.mark.brian2
def test_a_timed_current_is_exported_too():
    cell = ns.NeuronGroup(1, ns.Izhikevich.preset("RS"))
    step = ns.TimedCurrent(cell, np.array([0, 10]) * mV / ms, dt=20 * ms)
    trace = ns.StateMonitor(cell, ["v", "u"], record=0)
    twin = _simulate_both(ns.Network(cell, step, trace), 100 * ms)
    np.testing.assert_array_equal(trace.v, twin.recording(trace).v)


def test_brian2_equations_are_those_of_the_docstring():
    spec = ns.Izhikevich.preset("RS").brian2_equations(1e-4)
    assert spec["method"] == "euler" and spec["delta"]
    assert "I_ext" in spec["equations"] and spec["current_unit"] == "volt/second"
    assert spec["params"]["k_2"][0] == pytest.approx(4e4, rel=1e-12)       # 0.04/(ms mV)
    assert spec["params"]["k_0"][0] == pytest.approx(140.0, rel=1e-12)     # 140 mV/ms


# ------------------------------------------------------------------- errors
def test_bad_parameters_name_the_parameter_and_value():
    good = dict(a=0.02 / ms, b=0.2 / ms, c=-65 * mV, d=8 * mV / ms)
    with pytest.raises(ValueError, match=r"a=.*must be > 0"):
        ns.Izhikevich(**{**good, "a": -0.02 / ms})
    with pytest.raises(TypeError, match=r"b=0\.2 has the wrong unit"):
        ns.Izhikevich(**{**good, "b": 0.2})
    with pytest.raises(TypeError, match="d=.*wrong unit"):
        ns.Izhikevich(**{**good, "d": 8 * mV})
    with pytest.raises(ValueError, match=r"c=.*below v_peak=.*"):
        ns.Izhikevich(**{**good, "c": 40 * mV})
    with pytest.raises(ValueError, match="name='XY'.*'CH'"):
        ns.Izhikevich.preset("XY")
    with pytest.raises(AttributeError, match="frozen"):
        ns.Izhikevich(**good).a = 1.0
    cells = ns.NeuronGroup(1, ns.Izhikevich(**good))
    with pytest.raises(ValueError, match="dt=2 ms is too large"):
        ns.Network(cells).run(10 * ms, dt=2 * ms, seed=1)
    with pytest.raises(TypeError, match="amplitude=.*wrong unit"):
        ns.CurrentInput(cells, 10 * mV)
