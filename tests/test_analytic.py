"""Single neurons against closed-form solutions, on every backend.

The oracles are the analytic solutions of the model equations, written here
independently of the kernels:

* a LIF neuron driven by a constant current to ``v_inf > v_th`` fires with the
  period ``refractory + tau_m * ln((v_inf - v_reset) / (v_inf - v_th))``;
* the postsynaptic potential of one spike is a difference of exponentials
  (exponential synapses) or a jump followed by an exponential decay (delta
  synapses), shifted by the synaptic delay;
* forward Euler (``LIFCond``) relaxes by exactly ``(1 - dt/tau_m)`` per step;
* a step current switched on at ``t_on`` gives the first spike at
  ``t_on + tau_m * ln((v_inf - v_rest) / (v_inf - v_th))``;
* an integrator (``tau_m`` long against the run) that gains a charge ``c`` per step
  fires ``floor(N c / (v_th - v_reset))`` times in ``N`` steps with reset by
  subtraction, and once every ``ceil((v_th - v_reset) / c)`` steps with reset to
  ``v_reset``.

Timing conventions (docs/design.md, "The time step"): a StateMonitor samples at the start
of a step, before the update; a spike with delay 0 is applied at the end of
the step it is emitted in, so its effect starts with the next step; a spike is
stamped with the step whose update took ``v`` above threshold.
"""
import numpy as np
import pytest

import neurosim as ns
from neurosim.units import mV, ms, pA, pF, volt

DT = 0.1e-3          # seconds
TAU_M = 10e-3
V_REST, V_RESET, V_TH = -70e-3, -75e-3, -50e-3
W = 2.0 ** -10       # volts: a weight exactly on the fixed-point grid of the input sums


def _lif(refractory=0 * ms, tau_syn_e=None, tau_syn_i=None, c_m=None):
    return ns.LIF(tau_m=TAU_M * 1e3 * ms, v_rest=V_REST * 1e3 * mV, v_reset=V_RESET * 1e3 * mV,
                  v_th=V_TH * 1e3 * mV, refractory=refractory, tau_syn_e=tau_syn_e,
                  tau_syn_i=tau_syn_i, c_m=c_m)


def _period(v_inf, refractory):
    return refractory + TAU_M * np.log((v_inf - V_RESET) / (v_inf - V_TH))


# ---------------------------------------------------------------- f-I curve
@pytest.mark.parametrize("drive_mv", [20.5, 22.0, 25.0, 30.0, 45.0, 80.0])
def test_lif_isi_matches_analytic_under_constant_current(backend, drive_mv):
    refractory = 2e-3
    cell = ns.NeuronGroup(1, _lif(refractory=2 * ms))
    drive = ns.CurrentInput(cell, drive_mv * mV)
    spikes = ns.SpikeMonitor(cell)
    ns.Network(cell, drive, spikes).run(300 * ms, dt=DT * 1e3 * ms, backend=backend, seed=1)

    v_inf = V_REST + drive_mv * 1e-3
    period = _period(v_inf, refractory)
    isi = np.diff(spikes.t)
    assert isi.size >= 3
    np.testing.assert_array_less(np.abs(isi - period), DT)
    # the discrete loop can only fire on the grid: ISI = refractory + floor(T/dt) dt
    expected = refractory + np.floor((period - refractory) / DT) * DT
    np.testing.assert_allclose(isi, expected, rtol=0, atol=1e-9)


def test_lif_f_i_curve_matches_analytic_rate(backend):
    refractory = 1e-3
    drives = np.array([21.0, 24.0, 30.0, 40.0, 60.0, 100.0])   # mV; all above threshold
    cells = ns.NeuronGroup(drives.size, _lif(refractory=1 * ms))
    current = ns.CurrentInput(cells, drives * mV)
    spikes = ns.SpikeMonitor(cells)
    ns.Network(cells, current, spikes).run(400 * ms, dt=DT * 1e3 * ms, backend=backend,
                                           seed=3)
    periods = _period(V_REST + drives * 1e-3, refractory)
    trains = spikes.spike_trains()
    measured = np.array([np.mean(np.diff(trains[k])) for k in range(drives.size)])
    np.testing.assert_array_less(np.abs(measured - periods), DT)
    rates = 1.0 / measured
    assert np.all(np.diff(rates) > 0)                 # f-I curve increases
    assert rates[-1] < 1.0 / refractory               # bounded by the refractory ceiling


@pytest.mark.parametrize("drive_mv", [0.0, 10.0, 19.5])
def test_lif_stays_silent_when_v_inf_below_threshold(backend, drive_mv):
    cell = ns.NeuronGroup(1, _lif(refractory=2 * ms))
    drive = ns.CurrentInput(cell, drive_mv * mV)
    spikes = ns.SpikeMonitor(cell)
    trace = ns.StateMonitor(cell, "v", every=100)
    ns.Network(cell, drive, spikes, trace).run(200 * ms, dt=DT * 1e3 * ms, backend=backend,
                                               seed=1)
    assert spikes.num_spikes == 0
    # and v approaches v_inf from below, the analytic relaxation
    t = trace.t
    v_inf = V_REST + drive_mv * 1e-3
    np.testing.assert_allclose(trace.v[0], v_inf + (V_REST - v_inf) * np.exp(-t / TAU_M),
                               rtol=0, atol=1e-12)


def test_lif_current_in_amperes_matches_volts_with_c_m(backend):
    # R = tau_m / c_m = 10 ms / 250 pF = 40 MOhm, so 625 pA is R I = 25 mV
    amps, volts = [], []
    for model, amplitude in ((_lif(c_m=250 * pF), 625 * pA), (_lif(), 25 * mV)):
        cell = ns.NeuronGroup(1, model)
        spikes = ns.SpikeMonitor(cell)
        ns.Network(cell, ns.CurrentInput(cell, amplitude), spikes).run(
            100 * ms, dt=DT * 1e3 * ms, backend=backend, seed=1)
        (amps if model.c_m else volts).append(spikes.t)
    assert amps[0].size > 2
    np.testing.assert_array_equal(amps[0], volts[0])


# ----------------------------------------------------------- reset by subtraction
@pytest.mark.parametrize("reset", ["to_v_reset", "subtract"])
def test_integrator_spike_count_keeps_or_discards_the_overshoot(backend, reset):
    # tau_m = 1 s and v_inf 3 V above v_rest: for 1000 steps of 0.1 ms, v rises by
    # c = 3 V (1 - exp(-dt/tau_m)) = 0.29998 mV per step, the same to 3e-4 while v stays
    # within the 1 mV between v_reset = v_rest and v_th. Reset by subtraction keeps the
    # overshoot: the count is floor(N c / 1 mV) = 299 (N c lies in [299.88, 299.99]).
    # Reset to v_reset discards it: a spike every ceil(1 mV / c) = 4 steps, 250 in all.
    lif = ns.LIF(tau_m=1000 * ms, v_rest=-70 * mV, v_reset=-70 * mV, v_th=-69 * mV,
                 reset=reset)
    cell = ns.NeuronGroup(1, lif)
    spikes = ns.SpikeMonitor(cell)
    ns.Network(cell, ns.CurrentInput(cell, 3000 * mV), spikes).run(
        1000 * DT * 1e3 * ms, dt=DT * 1e3 * ms, backend=backend, seed=1)
    c = np.array([2999.0, 3000.0]) * (1 - np.exp(-DT / 1.0))      # mV per step, bounds
    assert np.floor(1000 * c).tolist() == [299, 299]
    if reset == "subtract":
        assert spikes.num_spikes == 299
        assert set(np.diff(spikes.steps)) == {3, 4}      # 1 / c = 3.33 steps on average
    else:
        assert spikes.num_spikes == 250
        np.testing.assert_array_equal(spikes.steps, np.arange(3, 1000, 4))


# ---------------------------------------------------------------------- PSPs
def _psp_trace(backend, model, kind, delay=0 * ms, spike_step=10, n_steps=600):
    cell = ns.NeuronGroup(1, model)
    stim = ns.SpikeGeneratorGroup(1, [0], [spike_step * DT * 1e3] * ms)
    syn = ns.Synapses(stim, cell, kind=kind, weight=W * volt, delay=delay,
                      connect=ns.AllToAll())
    trace = ns.StateMonitor(cell, "v")
    ns.Network(cell, stim, syn, trace).run(n_steps * DT * 1e3 * ms, dt=DT * 1e3 * ms,
                                           backend=backend, seed=1)
    assert syn.weight[0] == W                    # the weight is simulated unrounded
    return trace.t, trace.v[0]


def _difference_of_exponentials(t, tau_syn):
    out = W * tau_syn / (tau_syn - TAU_M) * (np.exp(-t / tau_syn) - np.exp(-t / TAU_M))
    return np.where(t >= 0, out, 0.0)


@pytest.mark.parametrize("tau_e", [2e-3, 5e-3, 25e-3])
def test_exponential_psp_matches_difference_of_exponentials(backend, tau_e):
    spike_step = 10
    model = _lif(tau_syn_e=tau_e * 1e3 * ms, tau_syn_i=7 * ms)
    t, v = _psp_trace(backend, model, "excitatory", spike_step=spike_step)
    # t measured from the start of the step after the spike
    rel = t - (spike_step + 1) * DT
    expected = _difference_of_exponentials(np.round(rel / DT) * DT, tau_e)
    assert np.all(v[:spike_step + 2] == V_REST)   # nothing before the input acts
    peak = np.max(np.abs(expected))
    assert peak > 0.1 * W
    np.testing.assert_allclose(v - V_REST, expected, rtol=0, atol=1e-12 * peak)


def test_inhibitory_psp_is_negative_difference_of_exponentials(backend):
    spike_step, tau_i = 5, 4e-3
    model = _lif(tau_syn_e=2 * ms, tau_syn_i=tau_i * 1e3 * ms)
    t, v = _psp_trace(backend, model, "inhibitory", spike_step=spike_step)
    rel = np.round((t - (spike_step + 1) * DT) / DT) * DT
    expected = -_difference_of_exponentials(rel, tau_i)
    assert v.min() < V_REST - 0.1 * W
    assert np.all(v <= V_REST)
    np.testing.assert_allclose(v - V_REST, expected, rtol=0,
                               atol=1e-12 * np.max(np.abs(expected)))


def test_delta_psp_is_jump_then_exponential_decay(backend):
    spike_step = 20
    t, v = _psp_trace(backend, _lif(), "excitatory", spike_step=spike_step)
    k = np.round(t / DT).astype(int) - (spike_step + 1)
    expected = np.where(k >= 0, W * np.exp(-np.maximum(k, 0) * DT / TAU_M), 0.0)
    assert v[spike_step + 1] - V_REST == pytest.approx(W, rel=1e-12)
    np.testing.assert_allclose(v - V_REST, expected, rtol=0, atol=1e-12 * W)


@pytest.mark.parametrize("delta", [False, True])
@pytest.mark.parametrize("delay_steps", [1, 7, 30])
def test_psp_is_shifted_by_synaptic_delay(backend, delay_steps, delta):
    spike_step = 3
    model = _lif() if delta else _lif(tau_syn_e=3 * ms, tau_syn_i=7 * ms)
    _, v0 = _psp_trace(backend, model, "excitatory", spike_step=spike_step, n_steps=300)
    t, vd = _psp_trace(backend, model, "excitatory", delay=delay_steps * DT * 1e3 * ms,
                       spike_step=spike_step, n_steps=300)
    # identical response, later by exactly the delay, and nothing before it arrives
    np.testing.assert_array_equal(vd[:spike_step + 1 + delay_steps], V_REST)
    np.testing.assert_array_equal(vd[delay_steps:], v0[:v0.size - delay_steps])
    # and against the closed form
    k = np.round(t / DT).astype(int) - (spike_step + 1 + delay_steps)
    tk = np.maximum(k, 0) * DT
    expected = (np.where(k >= 0, W * np.exp(-tk / TAU_M), 0.0) if delta
                else _difference_of_exponentials(np.where(k >= 0, tk, -1.0), 3e-3))
    np.testing.assert_allclose(vd - V_REST, expected, rtol=0, atol=1e-12 * W)


def test_delta_input_during_refractory_period_is_discarded(backend):
    # the neuron is made to spike at step 0 and held for 50 steps; an input arriving
    # in that time is lost (NEST's iaf_psc_delta), one arriving later is not
    model = _lif(refractory=5 * ms)
    cell = ns.NeuronGroup(1, model, v=-50.001 * mV)
    kick = ns.TimedCurrent(cell, [25, 0] * mV, dt=0.1 * ms)    # drive in step 0 only
    stim = ns.SpikeGeneratorGroup(1, [0, 0], [2, 8] * ms)
    syn = ns.Synapses(stim, cell, kind="excitatory", weight=W * volt, connect=ns.AllToAll())
    trace = ns.StateMonitor(cell, "v")
    spikes = ns.SpikeMonitor(cell)
    ns.Network(cell, kick, stim, syn, trace, spikes).run(
        12 * ms, dt=DT * 1e3 * ms, backend=backend, seed=1)
    assert spikes.steps.tolist() == [0]
    v = trace.v[0]
    # held at v_reset while refractory (steps 1..50), the input at step 20 is lost
    np.testing.assert_array_equal(v[1:51], V_RESET)
    # then relaxes towards v_rest (the drive is off)
    k = np.arange(51, 81)
    relax = V_REST + (V_RESET - V_REST) * np.exp(-(k - 50) * DT / TAU_M)
    np.testing.assert_allclose(v[51:81], relax, rtol=0, atol=1e-15)
    # the input of step 80 is applied at its end
    k = np.arange(81, v.size)
    expected = (V_REST + (V_RESET - V_REST) * np.exp(-(k - 50) * DT / TAU_M)
                + W * np.exp(-(k - 81) * DT / TAU_M))
    np.testing.assert_allclose(v[81:], expected, rtol=0, atol=1e-15)


# ------------------------------------------------------------------- LIFCond
@pytest.mark.parametrize("drive_mv", [0.0, 6.0])
def test_lif_cond_relaxes_by_forward_euler_factor(backend, drive_mv):
    tau_m, v_rest, v0 = 20e-3, -60e-3, -75e-3
    model = ns.LIFCond(tau_m=20 * ms, v_rest=-60 * mV, v_reset=-70 * mV, v_th=-50 * mV,
                       tau_syn_e=5 * ms, tau_syn_i=10 * ms, e_e=0 * mV, e_i=-80 * mV)
    cell = ns.NeuronGroup(1, model, v=v0 * 1e3 * mV)
    drive = ns.CurrentInput(cell, drive_mv * mV)
    trace = ns.StateMonitor(cell, ["v", "g_e", "g_i"])
    ns.Network(cell, drive, trace).run(50 * ms, dt=DT * 1e3 * ms, backend=backend, seed=1)
    k = np.arange(trace.t.size)
    v_inf = v_rest + drive_mv * 1e-3
    expected = v_inf + (v0 - v_inf) * (1 - DT / tau_m) ** k
    np.testing.assert_allclose(trace.v[0], expected, rtol=1e-12, atol=0)
    assert not np.allclose(trace.v[0], v_inf + (v0 - v_inf) * np.exp(-k * DT / tau_m),
                           rtol=1e-7, atol=0)   # Euler, not the exact exponential
    np.testing.assert_array_equal(trace.g_e, 0.0)
    np.testing.assert_array_equal(trace.g_i, 0.0)


def test_lif_cond_conductance_decays_by_euler_factor(backend):
    model = ns.LIFCond(tau_m=20 * ms, v_rest=-60 * mV, v_reset=-70 * mV, v_th=-50 * mV,
                       tau_syn_e=5 * ms, tau_syn_i=10 * ms, e_e=0 * mV, e_i=-80 * mV)
    cell = ns.NeuronGroup(1, model)
    stim = ns.SpikeGeneratorGroup(1, [0], [0] * ms)
    syn = ns.Synapses(stim, cell, kind="excitatory", weight=0.25, connect=ns.AllToAll())
    trace = ns.StateMonitor(cell, "g_e")
    ns.Network(cell, stim, syn, trace).run(20 * ms, dt=DT * 1e3 * ms, backend=backend,
                                           seed=1)
    g = trace.g_e[0]
    assert g[0] == 0.0
    k = np.arange(g.size - 1)
    np.testing.assert_allclose(g[1:], 0.25 * (1 - DT / 5e-3) ** k, rtol=1e-12, atol=0)


# -------------------------------------------------------------- TimedCurrent
@pytest.mark.parametrize("t_on_ms", [0.0, 5.0, 12.3])
def test_timed_current_step_gives_first_spike_at_analytic_time(backend, t_on_ms):
    drive = 30e-3
    n_steps = int(round(t_on_ms * 1e-3 / DT))
    values = np.r_[np.zeros(n_steps), drive] / 1e-3 * mV
    cell = ns.NeuronGroup(1, _lif(refractory=2 * ms))
    step = ns.TimedCurrent(cell, values, dt=DT * 1e3 * ms)
    spikes = ns.SpikeMonitor(cell)
    ns.Network(cell, step, spikes).run(60 * ms, dt=DT * 1e3 * ms, backend=backend, seed=1)
    v_inf = V_REST + drive
    t_cross = t_on_ms * 1e-3 + TAU_M * np.log((v_inf - V_REST) / (v_inf - V_TH))
    first = spikes.t[0]
    # stamped with the step in which v crossed: t_cross - dt < first <= t_cross
    assert t_cross - DT < first <= t_cross
    # and the following interval is the stationary period
    assert abs(spikes.t[1] - first - _period(v_inf, 2e-3)) < DT


def test_timed_current_with_coarse_value_step_switches_on_at_its_boundary(backend):
    # values change every 1 ms (10 simulation steps); the drive is on from 3 ms
    cell = ns.NeuronGroup(1, _lif())
    step = ns.TimedCurrent(cell, [0, 0, 0, 30] * mV, dt=1 * ms)
    trace = ns.StateMonitor(cell, "v")
    ns.Network(cell, step, trace).run(5 * ms, dt=DT * 1e3 * ms, backend=backend, seed=1)
    v = trace.v[0]
    np.testing.assert_array_equal(v[:31], V_REST)
    k = np.arange(31, v.size) - 30
    np.testing.assert_allclose(v[31:], V_REST + 30e-3 * (1 - np.exp(-k * DT / TAU_M)),
                               rtol=0, atol=1e-15)
