"""LIFAlpha (neurosim/models/lif_alpha.py, alpha-shaped synaptic currents, exact) and
LIFCondAlpha (neurosim/models/lif_cond_alpha.py, alpha-shaped conductances, forward
Euler): against the closed form of one input spike, across the engines and against
Brian2."""
import numpy as np
import pytest

import neurosim as ns
from neurosim.units import Hz, mV, ms, nA, nF, nS, second, volt

DT = 0.1e-3
TAU_M, TAU_E, TAU_I = 20e-3, 2e-3, 5e-3
PARAMS = dict(tau_m=TAU_M * second, v_rest=-70 * mV, v_reset=-65 * mV, v_th=-50 * mV,
              tau_syn_e=TAU_E * second, tau_syn_i=TAU_I * second, refractory=2 * ms)
COND = dict(tau_m=TAU_M * second, v_rest=-65 * mV, v_reset=-65 * mV, v_th=-50 * mV,
            tau_syn_e=TAU_E * second, tau_syn_i=TAU_I * second, e_e=0 * mV, e_i=-75 * mV,
            refractory=1 * ms)
W = 2.0 ** -9           # volts (1.95 mV), on the 2**-40 V grid of the synaptic input


def _alpha(s, w, tau):
    """The PSC ``w (s/tau) exp(1 - s/tau)`` for ``s >= 0``, 0 before."""
    s = np.clip(s, 0.0, None)
    return w * s / tau * np.exp(1 - s / tau)


def _psp(s, w, tau):
    """The PSP of that current on a membrane with ``TAU_M`` (volts above rest), from the
    convolution integral done on paper: ``w e / (tau_m tau) exp(-s/tau_m)
    (1 - exp(-a s) (1 + a s)) / a**2`` with ``a = 1/tau - 1/tau_m``."""
    s = np.clip(s, 0.0, None)
    a = 1 / tau - 1 / TAU_M
    return w * np.e / (TAU_M * tau) * np.exp(-s / TAU_M) * (
        1 - np.exp(-a * s) * (1 + a * s)) / a ** 2


def _one_spike(kind, backend):
    """One cell, one input spike at 1 ms (delay 0): the state sampled at every step."""
    source = ns.SpikeGeneratorGroup(1, [0], [1 * ms])
    cell = ns.NeuronGroup(1, ns.LIFAlpha(**PARAMS), name="cell")
    syn = ns.Synapses(source, cell, kind=kind, weight=W * volt,
                      connect=ns.AllToAll(), delay=0 * ms)
    x = "e" if kind == "excitatory" else "i"
    trace = ns.StateMonitor(cell, ["v", f"i_{x}", f"y_{x}"], record=0)
    ns.Network(source, cell, syn, trace).run(40 * ms, dt=DT * second, seed=1,
                                             backend=backend)
    return trace


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("kind", ["excitatory", "inhibitory"])
def test_psc_and_psp_of_one_spike_are_the_closed_form(kind, backend):
    trace = _one_spike(kind, backend)
    x, tau, sign = ("e", TAU_E, 1) if kind == "excitatory" else ("i", TAU_I, -1)
    t = np.arange(trace.v.shape[-1]) * DT          # samples before each step's update
    # the spike of step 10 arrives after that step's update: y jumps at 11 dt
    s = t - 11 * DT
    i = getattr(trace, f"i_{x}")[0]
    np.testing.assert_allclose(i, _alpha(s, W, tau), rtol=0, atol=1e-12 * W)
    assert i.max() == pytest.approx(W, rel=1e-3)              # peak w at s = tau
    assert t[np.argmax(i)] - 11 * DT == pytest.approx(tau, abs=DT / 2)
    np.testing.assert_allclose(trace.v[0], -70e-3 + sign * _psp(s, W, tau), rtol=0,
                               atol=1e-12 * W)


def test_constant_current_reset_and_refractoriness():
    """2 nA into 1 nF / 20 ms (40 mV above rest): the closed-form charging curve up to
    the first spike, then v held at v_reset for the refractory period."""
    cell = ns.NeuronGroup(1, ns.LIFAlpha(**PARAMS, c_m=1 * nF), name="cell")
    drive = ns.CurrentInput(cell, 2 * nA)
    trace = ns.StateMonitor(cell, ["v"], record=0)
    spikes = ns.SpikeMonitor(cell)
    ns.Network(cell, drive, trace, spikes).run(60 * ms, dt=DT * second, seed=1,
                                               backend="numba")
    t = np.arange(trace.v.shape[-1]) * DT
    v = -70e-3 + 40e-3 * (1 - np.exp(-t / TAU_M))
    k = int(np.argmax(v > -50e-3))                 # first sample past threshold
    assert spikes.t[0] == pytest.approx((k - 1) * DT, abs=1e-12)
    np.testing.assert_allclose(trace.v[0, :k], v[:k], rtol=0, atol=1e-15)
    held = trace.v[0, k:k + 20]                    # 2 ms = 20 steps at v_reset
    assert np.all(held == -65e-3)
    assert trace.v[0, k + 20] > -65e-3


def test_weights_and_currents_in_amperes_need_c_m():
    model = ns.LIFAlpha(**PARAMS, c_m=0.5 * nF)
    assert model.weight_to_si("weight", 1 * nA) == pytest.approx(1e-9 * TAU_M / 0.5e-9)
    with pytest.raises(TypeError, match="c_m"):
        ns.LIFAlpha(**PARAMS).weight_to_si("weight", 1 * nA)
    with pytest.raises(TypeError, match="weight="):
        model.weight_to_si("weight", 1 * ms)


def test_bad_parameters_name_the_parameter():
    with pytest.raises(ValueError, match="v_reset"):
        ns.LIFAlpha(**{**PARAMS, "v_reset": -40 * mV})
    with pytest.raises(ValueError, match="tau_syn_e"):
        ns.LIFAlpha(**{**PARAMS, "tau_syn_e": -1 * ms})
    with pytest.raises(TypeError, match="tau_syn_i"):
        ns.LIFAlpha(**{**PARAMS, "tau_syn_i": 1 * mV})
    with pytest.raises(ValueError, match="c_m"):
        ns.LIFAlpha(**PARAMS, c_m=-1 * nF)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_cond_alpha_conductance_is_the_euler_recursion_and_near_the_alpha_function(backend):
    """Forward Euler on (g, y) from one spike of weight w (in units of g_l): y_k = w r**k
    and g_k = k e h w r**(k-1), h = dt/tau, r = 1 - h, k steps after the arrival;
    within h of the continuous alpha function, peak w at tau."""
    source = ns.SpikeGeneratorGroup(1, [0], [1 * ms])
    cell = ns.NeuronGroup(1, ns.LIFCondAlpha(**COND), name="cell")
    w = 2.0 ** -3
    syn = ns.Synapses(source, cell, kind="excitatory", weight=w, connect=ns.AllToAll())
    trace = ns.StateMonitor(cell, ["v", "g_e", "y_e"], record=0)
    ns.Network(source, cell, syn, trace).run(20 * ms, dt=DT * second, seed=1,
                                             backend=backend)
    k = np.arange(trace.v.shape[-1]) - 11                 # arrives at 11 dt, as above
    h = DT / TAU_E
    r = 1 - h
    kk = np.clip(k, 0, None)
    g = np.where(k > 0, kk * np.e * h * w * r ** (kk - 1.0), 0.0)
    np.testing.assert_allclose(trace.g_e[0], g, rtol=1e-12, atol=1e-18)
    np.testing.assert_allclose(trace.y_e[0], np.where(k >= 0, w * r ** kk, 0), rtol=1e-12)
    np.testing.assert_allclose(trace.g_e[0], _alpha(kk * DT, w, TAU_E), rtol=0,
                               atol=2 * h * w)
    assert trace.v[0].max() > -64e-3                  # the conductance depolarises


def test_cond_alpha_refuses_a_step_too_long_for_euler_and_names_parameters():
    with pytest.raises(ValueError, match="tau_syn_e"):
        ns.LIFCondAlpha(**COND).parameter_values(3e-3)
    with pytest.raises(ValueError, match="v_reset"):
        ns.LIFCondAlpha(**{**COND, "v_reset": -40 * mV})
    with pytest.raises(TypeError, match="g_l"):
        ns.LIFCondAlpha(**COND).weight_to_si("weight", 1 * nS)


def _network(backend, n_threads=None, duration=150 * ms, bias=22 * mV):
    """LIFAlpha cells beside LIF ones: Poisson input, recurrent excitation and
    inhibition with delays, injected current."""
    noise = ns.PoissonGroup(100, 20 * Hz, name="noise")
    cells = ns.NeuronGroup(60, ns.LIFAlpha(**PARAMS), v=ns.Uniform(-65 * mV, -50 * mV),
                           name="cells")
    lif = ns.NeuronGroup(20, ns.LIF(10 * ms, -70 * mV, -65 * mV, -55 * mV), name="lif")
    cond = ns.NeuronGroup(30, ns.LIFCondAlpha(**COND), v=ns.Uniform(-65 * mV, -50 * mV),
                          name="cond")
    members = [noise, cells, lif, cond,
               ns.Synapses(noise, cond, kind="excitatory", weight=0.4,
                           connect=ns.FixedProbability(0.3), delay=1 * ms),
               ns.Synapses(cells, cond, kind="inhibitory", weight=0.5,
                           connect=ns.FixedProbability(0.2), delay=0.5 * ms),
               ns.CurrentInput(cond, bias * 0.8),
               ns.Synapses(noise, cells, kind="excitatory", weight=1.5 * mV,
                           connect=ns.FixedProbability(0.3), delay=1 * ms),
               ns.Synapses(cells, lif, kind="excitatory", weight=4 * mV,
                           connect=ns.FixedProbability(0.3), delay=1 * ms),
               ns.Synapses(cells, cells, kind="inhibitory", weight=1 * mV,
                           connect=ns.FixedProbability(0.1), delay=0.5 * ms),
               ns.CurrentInput(cells, bias)]
    sp, sp_lif, sp_cond = ns.SpikeMonitor(cells), ns.SpikeMonitor(lif), ns.SpikeMonitor(cond)
    st = ns.StateMonitor(cells, ["v", "i_e", "i_i", "y_e"], record=[0, 7])
    st_cond = ns.StateMonitor(cond, ["v", "g_e", "g_i", "y_i"], record=[1, 9])
    net = ns.Network(*members, sp, sp_lif, sp_cond, st, st_cond)
    net.run(duration, dt=0.1 * ms, seed=4, backend=backend, n_threads=n_threads)
    return sp, sp_lif, st, net, sp_cond, st_cond


def _cells(net):
    return next(g for g in net.groups if g.name == "cells")


def _same(want, got):
    for a, b in zip(want[:2] + want[4:5], got[:2] + got[4:5]):
        assert np.array_equal(a.i, b.i) and np.array_equal(a.t, b.t)
    for var in ("v", "i_e", "i_i", "y_e"):
        assert np.array_equal(getattr(want[2], var), getattr(got[2], var)), var
    for var in ("v", "g_e", "g_i", "y_i"):
        assert np.array_equal(getattr(want[5], var), getattr(got[5], var)), var


def test_numba_and_numpy_agree_bit_for_bit_with_other_models_in_the_network():
    want = _network("numpy")
    assert want[0].num_spikes > 50 and want[1].num_spikes > 10      # every group fires
    assert want[4].num_spikes > 20
    for n_threads in (1, 2):
        got = _network("numba", n_threads)
        _same(want, got)
        assert np.array_equal(want[3].get_state(_cells(want[3]), "i_i"),
                              got[3].get_state(_cells(got[3]), "i_i"))


def test_store_restore_keep_the_synaptic_currents():
    net = _network("numba", duration=50 * ms)[3]
    cells = _cells(net)
    net.store()
    i_e = cells.i_e.copy()
    net.run(20 * ms)
    assert not np.array_equal(cells.i_e, i_e)
    net.restore()
    assert np.array_equal(cells.i_e, i_e)


def test_cuda_matches_numba_bit_for_bit(small_cuda, monkeypatch):
    for mode in ("fused", "per_phase"):
        monkeypatch.setattr(small_cuda, "launch", mode)
        run = dict(duration=8 * ms, bias=40 * mV)
        want, got = _network("numba", **run), _network("cuda", **run)
        assert want[0].num_spikes > 5
        _same(want, got)


@pytest.mark.brian2
@pytest.mark.slow
def test_brian2_agrees_spike_for_spike_on_a_recurrent_network():
    """The exported equations, solved by Brian2's 'exact' method (its own symbolic
    solution, not neurosim's matrix exponential): the same spikes at the same steps,
    potentials within 1e-12 V."""
    pytest.importorskip("brian2")
    from neurosim.interop.brian2 import to_brian2
    from neurosim.interop.validation import first_divergence
    noise = ns.PoissonGroup(100, 20 * Hz, name="noise")
    cells = ns.NeuronGroup(80, ns.LIFAlpha(**PARAMS), v=ns.Uniform(-65 * mV, -50 * mV),
                           name="cells")
    rng = np.random.default_rng(5)
    members = [noise, cells,
               ns.Synapses(noise, cells, kind="excitatory", weight=1.5 * mV,
                           connect=ns.FixedProbability(0.3), delay=1 * ms),
               ns.Synapses(cells[:60], cells, kind="excitatory", weight=0.5 * mV,
                           connect=ns.FixedProbability(0.1), delay=1.5 * ms),
               ns.Synapses(cells[60:], cells, kind="inhibitory", weight=1 * mV,
                           connect=ns.FixedProbability(0.2), delay=0.8 * ms),
               ns.CurrentInput(cells, rng.uniform(15, 22, 80) * mV)]
    cond = ns.NeuronGroup(40, ns.LIFCondAlpha(**COND), v=ns.Uniform(-65 * mV, -50 * mV),
                          name="cond")
    members += [cond, ns.Synapses(noise, cond, kind="excitatory", weight=0.4,
                                  connect=ns.FixedProbability(0.3), delay=1 * ms),
                ns.Synapses(cells[60:], cond, kind="inhibitory", weight=0.5,
                            connect=ns.FixedProbability(0.2), delay=0.5 * ms),
                ns.CurrentInput(cond, rng.uniform(12, 20, 40) * mV)]
    spikes, cond_spikes = ns.SpikeMonitor(cells), ns.SpikeMonitor(cond)
    trace = ns.StateMonitor(cells, ["v", "i_e", "i_i"], record=[0, 10, 70])
    cond_trace = ns.StateMonitor(cond, ["v", "g_e", "g_i"], record=[0, 5, 30])
    net = ns.Network(*members, spikes, trace, cond_spikes, cond_trace)
    net.build(0.1 * ms, 11)
    twin = to_brian2(net)
    twin.run(500 * ms)
    net.run(500 * ms, backend="numba")
    rec = twin.recordings()
    assert spikes.num_spikes > 300
    got = rec[spikes]
    assert first_divergence(spikes.steps, spikes.i, got.steps, got.i) is None
    np.testing.assert_array_equal(spikes.i, got.i)
    np.testing.assert_array_equal(spikes.steps, got.steps)
    for var in ("v", "i_e", "i_i"):
        np.testing.assert_allclose(getattr(trace, var), getattr(rec[trace], var), rtol=0,
                                   atol=1e-12, err_msg=var)
    # LIFCondAlpha: Brian2's 'euler' against neurosim's, the same steps in another order
    assert cond_spikes.num_spikes > 100
    got = rec[cond_spikes]
    np.testing.assert_array_equal(cond_spikes.i, got.i)
    np.testing.assert_array_equal(cond_spikes.steps, got.steps)
    for var in ("v", "g_e", "g_i"):
        np.testing.assert_allclose(getattr(cond_trace, var), getattr(rec[cond_trace], var),
                                   rtol=0, atol=1e-12, err_msg=var)
