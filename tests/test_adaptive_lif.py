"""AdaptiveLIF, the model added through the model contract in one file
(neurosim/models/adaptive_lif.py), against its closed form and across the engines."""
import numpy as np
import pytest

import neurosim as ns
from neurosim.units import Hz, mV, ms

DT = 0.1e-3
PARAMS = dict(tau_m=20 * ms, v_rest=-70 * mV, v_reset=-60 * mV, v_th=-50 * mV, tau_w=100 * ms,
              a=0.5, b=2 * mV, tau_syn_e=5 * ms, tau_syn_i=10 * ms, refractory=2 * ms)


def _closed_form(t, i_ext, v0, w0, p=PARAMS):
    """v(t), w(t) of the subthreshold system under a constant input i_ext (volts), from
    the eigen-decomposition of its matrix (independent of the model's propagator)."""
    tm, tw, a = p["tau_m"] / ms * 1e-3, p["tau_w"] / ms * 1e-3, p["a"]
    v_rest = p["v_rest"] / mV * 1e-3
    m = np.array([[-1 / tm, -1 / tm], [a / tw, -1 / tw]])
    x_star = np.linalg.solve(m, -np.array([i_ext / tm, 0.0]))     # fixed point of x
    lam, vec = np.linalg.eig(m)
    c = np.linalg.solve(vec, np.array([v0 - v_rest, w0]) - x_star)
    x = x_star[:, None] + (vec @ (c[:, None] * np.exp(np.outer(lam, t)))).real
    return v_rest + x[0], x[1]


def _single(i_ext, duration, backend="numba", v0=-65 * mV):
    cells = ns.NeuronGroup(1, ns.AdaptiveLIF(**PARAMS), v=v0, name="cell")
    drive = ns.CurrentInput(cells, i_ext)
    trace = ns.StateMonitor(cells, ["v", "w"], record=0)
    spikes = ns.SpikeMonitor(cells)
    net = ns.Network(cells, drive, trace, spikes)
    net.run(duration, dt=DT * 1e3 * ms, seed=1, backend=backend)
    return trace, spikes


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_subthreshold_response_is_the_closed_form(backend):
    # 15 mV of drive stays below threshold (fixed point v_rest + 15/(1 + a) = -60 mV)
    trace, spikes = _single(15 * mV, 300 * ms, backend)
    assert spikes.num_spikes == 0
    t = np.arange(trace.v.shape[-1]) * DT        # samples before each step's update
    v, w = _closed_form(t, 15e-3, -65e-3, 0.0)
    assert np.abs(w).max() > 2e-3                # the adaptation current is engaged
    assert np.allclose(trace.v[0], v, rtol=0, atol=1e-12)
    assert np.allclose(trace.w[0], w, rtol=0, atol=1e-12)


def test_first_spike_is_where_the_closed_form_crosses_threshold_and_w_jumps_by_b():
    trace, spikes = _single(40 * mV, 400 * ms, v0=-70 * mV)
    t_fine = np.arange(0, 0.05, DT)
    v, _ = _closed_form(t_fine, 40e-3, -70e-3, 0.0)
    k = int(np.argmax(v > -50e-3))           # first step whose end is past threshold
    assert spikes.num_spikes > 5
    first = float(spikes.t[0] / ms) * 1e-3
    assert first == pytest.approx((k - 1) * DT, abs=1e-12)   # the update of step k-1 ends at k
    step = int(round(first / DT))
    w = trace.w[0]
    # the spike ends the update of step ``step``: w is then its value at (step + 1) dt, plus b
    _, w_free = _closed_form(np.array([(step + 1) * DT]), 40e-3, -70e-3, 0.0)
    assert w[step + 1] == pytest.approx(w_free[0] + 2e-3, abs=1e-12)
    isi = np.diff(np.asarray(spikes.t / ms))
    assert isi[-1] > 1.5 * isi[0]              # spike-frequency adaptation
    assert np.all(np.diff(isi[:4]) > 0)


def _network(backend, n_threads=None, duration=150 * ms, bias=15 * mV):
    noise = ns.PoissonGroup(100, 20 * Hz, name="noise")
    cells = ns.NeuronGroup(60, ns.AdaptiveLIF(**PARAMS), v=ns.Uniform(-60 * mV, -50 * mV),
                           name="cells")
    lif = ns.NeuronGroup(20, ns.LIF(10 * ms, -70 * mV, -65 * mV, -55 * mV), name="lif")
    members = [noise, cells, lif,
               ns.Synapses(noise, cells, kind="excitatory", weight=3 * mV,
                           connect=ns.FixedProbability(0.3), delay=1 * ms),
               ns.Synapses(cells, lif, kind="excitatory", weight=4 * mV,
                           connect=ns.FixedProbability(0.3), delay=1 * ms),
               ns.Synapses(cells, cells, kind="inhibitory", weight=1 * mV,
                           connect=ns.FixedProbability(0.1), delay=0.5 * ms),
               ns.CurrentInput(cells, bias)]
    sp, sp_lif = ns.SpikeMonitor(cells), ns.SpikeMonitor(lif)
    st = ns.StateMonitor(cells, ["v", "w", "i_e"], record=[0, 7])
    net = ns.Network(*members, sp, sp_lif, st)
    net.run(duration, dt=0.1 * ms, seed=4, backend=backend, n_threads=n_threads)
    return sp, sp_lif, st, net


def test_numba_and_numpy_agree_bit_for_bit_with_other_models_in_the_network():
    want = _network("numpy")
    assert want[0].num_spikes > 50 and want[1].num_spikes > 10      # both groups fire
    for n_threads in (1, 2):
        got = _network("numba", n_threads)
        for a, b in zip(want[:2], got[:2]):
            assert np.array_equal(a.i, b.i) and np.array_equal(a.t, b.t)
        for var in ("v", "w", "i_e"):
            assert np.array_equal(getattr(want[2], var), getattr(got[2], var)), var
        assert np.array_equal(want[3].get_state(want[3].groups[0], "w"),
                              got[3].get_state(got[3].groups[0], "w"))


def test_store_restore_and_continued_runs_keep_w():
    from neurosim.units import ms as _ms
    _, _, _, net = _network("numba")
    cells = net.groups[0]
    net.store()
    w = cells.w.copy()
    net.run(20 * _ms)
    assert not np.array_equal(cells.w, w)
    net.restore()
    assert np.array_equal(cells.w, w)


def test_bad_parameters_name_the_parameter():
    with pytest.raises(ValueError, match="v_reset"):
        ns.AdaptiveLIF(**{**PARAMS, "v_reset": -40 * mV})
    with pytest.raises(ValueError, match="tau_w"):
        ns.AdaptiveLIF(**{**PARAMS, "tau_w": -1 * ms})
    with pytest.raises(TypeError, match="b="):
        ns.AdaptiveLIF(**{**PARAMS, "b": 2 * ms})


def test_cuda_matches_numba_bit_for_bit(small_cuda, monkeypatch):
    for mode in ("fused", "per_phase"):
        monkeypatch.setattr(small_cuda, "launch", mode)
        run = dict(duration=8 * ms, bias=40 * mV)
        want, got = _network("numba", **run), _network("cuda", **run)
        assert want[0].num_spikes > 5
        for a, b in zip(want[:2], got[:2]):
            assert np.array_equal(a.i, b.i) and np.array_equal(a.t, b.t)
        for var in ("v", "w", "i_e"):
            assert np.array_equal(getattr(want[2], var), getattr(got[2], var)), var
