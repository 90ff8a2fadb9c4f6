"""neurosim.pynn: IF_curr_alpha, IF_cond_alpha, ACSource and NoisyCurrentSource."""
import numpy as np
import pytest
from pyNN import errors

import neurosim.pynn as sim

DT = 0.1


@pytest.fixture(autouse=True)
def _end():
    yield
    sim.end()


def _signal(pop, name):
    return pop.get_data().segments[0].filter(name=name)[0].magnitude


def test_alpha_psc_peaks_at_the_weight_in_nA_after_tau_syn():
    """One spike (at 10 ms, delay 1 ms) of weight 0.5 nA: the current is
    w (s/tau) exp(1 - s/tau), s from its arrival at 11 ms; cm = 0.25 nF, tau_m = 10 ms."""
    sim.setup(timestep=DT)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0]))
    cell = sim.Population(1, sim.IF_curr_alpha(tau_syn_E=2.0, tau_m=10.0, cm=0.25,
                                               v_rest=-65.0, v_thresh=-40.0))
    sim.Projection(src, cell, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=0.5, delay=1.0), receptor_type="excitatory")
    cell.record(["isyn_exc", "v"])
    sim.run(40.0)
    i = _signal(cell, "isyn_exc")[:, 0]
    v = _signal(cell, "v")[:, 0]
    s = np.clip(np.arange(i.size) * DT - 11.1, 0, None)   # arrives after the update of 11 ms
    np.testing.assert_allclose(i, 0.5 * s / 2.0 * np.exp(1 - s / 2.0), rtol=0, atol=1e-9)
    assert i.max() == pytest.approx(0.5, rel=1e-3)
    # the PSP, closed form (mV): R = 40 MOhm
    a = 1 / 2.0 - 1 / 10.0
    psp = 0.5 * 40 * np.e / (10.0 * 2.0) * np.exp(-s / 10.0) * (1 - np.exp(-a * s) *
                                                                (1 + a * s)) / a ** 2
    np.testing.assert_allclose(v, -65.0 + psp, rtol=0, atol=1e-9)


def test_alpha_inhibition_uses_tau_syn_I():
    sim.setup(timestep=DT)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]))
    cell = sim.Population(1, sim.IF_curr_alpha(tau_syn_E=1.0, tau_syn_I=4.0))
    sim.Projection(src, cell, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=-0.2, delay=1.0), receptor_type="inhibitory")
    cell.record(["isyn_inh", "v"])
    sim.run(30.0)
    i = _signal(cell, "isyn_inh")[:, 0]
    assert i.max() == pytest.approx(0.2, rel=1e-3)                # a magnitude, as NEST
    assert (np.argmax(i) - 61) * DT == pytest.approx(4.0, abs=DT)  # peak after tau_syn_I
    assert _signal(cell, "v")[:, 0].min() < -65.1


def test_cond_alpha_conductance_peaks_at_the_weight_in_uS():
    """IF_cond_alpha (forward Euler, as pyNN.brian2): the conductance of one spike
    peaks at the weight after tau_syn_E, within the Euler error (dt/tau_syn_E)."""
    sim.setup(timestep=DT)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0]))
    cell = sim.Population(1, sim.IF_cond_alpha(tau_syn_E=2.0, tau_m=10.0, cm=0.25))
    sim.Projection(src, cell, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=0.01, delay=1.0), receptor_type="excitatory")
    cell.record(["gsyn_exc", "v"])
    sim.run(30.0)
    g = _signal(cell, "gsyn_exc")[:, 0]
    s = np.clip(np.arange(g.size) * DT - 11.1, 0, None)
    np.testing.assert_allclose(g, 0.01 * s / 2.0 * np.exp(1 - s / 2.0), rtol=0,
                               atol=0.01 * DT / 2.0)
    assert (np.argmax(g) - 111) * DT == pytest.approx(2.0, abs=DT)
    assert _signal(cell, "v")[:, 0].max() > -65.0 + 0.5


def _ac_cell(**ac):
    sim.setup(timestep=DT)
    cell = sim.Population(1, sim.IF_curr_exp(v_thresh=0.0, cm=1.0, tau_m=20.0))
    source = sim.ACSource(**ac)
    cell.inject(source)
    source.record()
    cell.record("v")
    return cell, source


def test_ac_source_is_the_sine_sampled_at_the_start_of_each_step():
    cell, source = _ac_cell(start=5.0, stop=45.0, amplitude=0.4, offset=0.1,
                            frequency=50.0, phase=30.0)
    sim.run(60.0)
    i = source.get_data().magnitude[:, 0]
    t = np.arange(i.size) * DT
    on = (np.arange(i.size) >= 50) & (np.arange(i.size) < 450)
    want = np.where(on, 0.1 + 0.4 * np.sin(2 * np.pi * 50e-3 * (t - 5.0) + np.pi / 6), 0.0)
    np.testing.assert_allclose(i, want, rtol=0, atol=1e-12)
    assert i[50] == pytest.approx(0.1 + 0.4 * 0.5)                # the phase holds at start
    # v: exact integration of that piecewise-constant current (R = 20 MOhm)
    v = _signal(cell, "v")[:, 0]
    decay = np.exp(-DT / 20.0)
    x = np.zeros(i.size)
    for k in range(i.size - 1):
        x[k + 1] = x[k] * decay + 20.0 * i[k] * (1 - decay)
    np.testing.assert_allclose(v, -65.0 + x, rtol=0, atol=1e-9)


def test_long_runs_in_pieces_rebuild_the_table_and_continue_exactly():
    """The table of a streamed source reaches a little past the run; later runs go past
    it and rebuild the network: the same trace as one run."""
    cell, _ = _ac_cell(amplitude=0.5, frequency=10.0)
    sim.run(300.0)
    whole = _signal(cell, "v")[:, 0]
    sim.end()
    cell, _ = _ac_cell(amplitude=0.5, frequency=10.0)
    for _ in range(6):
        sim.run(50.0)
    np.testing.assert_array_equal(_signal(cell, "v")[:, 0], whole)


def test_changing_an_ac_source_between_runs_takes_effect():
    cell, source = _ac_cell(amplitude=0.5, frequency=100.0)
    sim.run(20.0)
    source.amplitude = 0.0
    source.offset = 0.3
    sim.run(20.0)
    i = source.get_data().magnitude[:, 0]
    assert np.all(i[200:] == 0.3)
    assert np.abs(i[:200]).max() > 0.49


def _noisy(seed, **noise):
    sim.setup(timestep=DT, seed=seed)
    cells = sim.Population(3, sim.IF_curr_exp(v_thresh=0.0))
    source = sim.NoisyCurrentSource(**noise)
    cells[0:2].inject(source)
    source.record()
    cells.record("v")
    sim.run(200.0)
    v = _signal(cells, "v")
    return source.get_data().magnitude[:, 0], v


def test_noisy_current_holds_each_draw_for_dt_and_follows_the_seed():
    i, v = _noisy(7, mean=0.5, stdev=0.2, start=20.0, stop=180.0, dt=1.0)
    steps = np.arange(i.size)
    assert np.all(i[(steps < 200) | (steps >= 1800)] == 0.0)
    held = i[200:1800].reshape(-1, 10)                    # 1 ms = 10 steps per draw
    assert np.all(held == held[:, :1])
    draws = held[:, 0]
    assert draws.mean() == pytest.approx(0.5, abs=3 * 0.2 / np.sqrt(draws.size))
    assert draws.std() == pytest.approx(0.2, rel=0.2)        # stdev not scaled with dt
    np.testing.assert_array_equal(v[:, 0], v[:, 1])          # one current for its targets
    assert np.all(v[:, 2] == -65.0)                          # not a target
    again, _ = _noisy(7, mean=0.5, stdev=0.2, start=20.0, stop=180.0, dt=1.0)
    other, _ = _noisy(8, mean=0.5, stdev=0.2, start=20.0, stop=180.0, dt=1.0)
    np.testing.assert_array_equal(again, i)
    assert not np.array_equal(other, i)


def test_noisy_dt_must_be_a_multiple_of_the_step():
    sim.setup(timestep=DT)
    with pytest.raises(errors.InvalidParameterValueError, match="dt=0.25"):
        sim.NoisyCurrentSource(mean=0.0, stdev=1.0, dt=0.25)
    with pytest.raises(errors.InvalidParameterValueError, match="dt=0.05"):
        sim.NoisyCurrentSource(mean=0.0, stdev=1.0, dt=0.05)


@pytest.mark.slow
def test_if_curr_alpha_same_spikes_as_pynn_brian2():
    """The CUBA script with IF_curr_alpha on pyNN.brian2 and on neurosim. pyNN.brian2
    (0.13) gives its inhibitory alpha current tau_syn_E, so the script uses equal time
    constants, where both define the same model."""
    brian2 = pytest.importorskip("brian2")
    import pyNN.brian2 as bsim
    from cuba_script import cuba

    import neurosim.pynn as nsim
    ours, v_ours = cuba(nsim, celltype="IF_curr_alpha", tau_syn_I=5.0)
    assert len(ours) > 500
    brian2.prefs.codegen.target = "numpy"
    try:
        theirs, v_theirs = cuba(bsim, celltype="IF_curr_alpha", tau_syn_I=5.0)
    finally:
        brian2.prefs.codegen.target = "auto"
    assert len(theirs) == len(ours)
    idx_o, t_o = np.array(ours).T
    idx_t, t_t = np.array(theirs).T
    assert np.array_equal(idx_o, idx_t)
    assert np.max(np.abs(t_o - t_t)) < 1e-9
    assert np.max(np.abs(v_ours - v_theirs)) < 1e-6     # mV
