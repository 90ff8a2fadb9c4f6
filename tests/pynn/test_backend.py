"""neurosim.pynn: units, cell types, inputs, recording, rebuilds and refusals."""
import numpy as np
import pytest

import neurosim.pynn as sim


@pytest.fixture(autouse=True)
def _end():
    yield
    sim.end()


def test_dc_current_charges_the_membrane_as_rc_circuit():
    sim.setup(timestep=0.1)
    cell = sim.Population(1, sim.IF_curr_exp(cm=0.5, tau_m=10.0, v_rest=-70.0,
                                             v_thresh=-40.0))
    cell.initialize(v=-70.0)
    sim.DCSource(amplitude=1.0, start=20.0, stop=80.0).inject_into(cell)
    cell.record("v")
    sim.run(100.0)
    v = cell.get_data().segments[0].filter(name="v")[0].magnitude[:, 0]
    t = np.arange(v.size) * 0.1
    assert v.size == 1001
    assert np.all(v[t <= 20.0] == -70.0)                    # before the onset
    # R = tau_m / cm = 20 MOhm: 1 nA moves v towards -50 mV with tau_m
    on = (t > 20.0) & (t <= 80.0)
    expected = -70.0 + 20.0 * (1 - np.exp(-(t[on] - 20.0) / 10.0))
    np.testing.assert_allclose(v[on], expected, atol=1e-9)
    assert np.all(np.diff(v[t > 80.1]) < 0)                # decays after the stop


def test_i_offset_drives_spikes_and_counts():
    sim.setup(timestep=0.1)
    cells = sim.Population(3, sim.IF_curr_exp(i_offset=[0.5, 1.0, 2.0]))
    cells.record("spikes")
    sim.run(200.0)
    counts = cells.get_spike_counts()
    assert counts[cells[0]] == 0                  # 0.5 nA x 20 MOhm = 10 mV < 15 mV
    assert 0 < counts[cells[1]] < counts[cells[2]]
    trains = cells.get_data().segments[0].spiketrains
    assert [len(st) for st in trains] == [counts[c] for c in cells]


def test_conductance_weights_in_microsiemens():
    sim.setup(timestep=0.1)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0]))
    cell = sim.Population(1, sim.IF_cond_exp(tau_syn_E=5.0))
    sim.Projection(src, cell, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.02,
                                                                         delay=1.0))
    cell.record(["gsyn_exc", "v"])
    sim.run(30.0)
    seg = cell.get_data().segments[0]
    g = seg.filter(name="gsyn_exc")[0].magnitude[:, 0]
    v = seg.filter(name="v")[0].magnitude[:, 0]
    assert g.max() == pytest.approx(0.02, rel=1e-6)          # the jump is the weight
    assert np.argmax(g) * 0.1 == pytest.approx(11.1)         # spike at 10 + delay 1
    assert v.max() > -65.0 + 0.5                             # a real EPSP


def test_delta_synapses_jump_by_weight_in_mV():
    sim.setup(timestep=0.1)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]))
    cell = sim.Population(1, sim.IF_curr_delta(tau_m=1e6, v_rest=-65.0))
    sim.Projection(src, cell, sim.AllToAllConnector(), sim.StaticSynapse(weight=2.0,
                                                                         delay=0.1))
    cell.record("v")
    sim.run(10.0)
    v = cell.get_data().segments[0].analogsignals[0].magnitude[:, 0]
    assert v[0] == pytest.approx(-65.0)
    assert v[-1] == pytest.approx(-63.0, abs=1e-4)


def test_inhibitory_current_weights_are_negative():
    sim.setup(timestep=0.1)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]))
    cell = sim.Population(1, sim.IF_curr_exp())
    with pytest.raises(sim.errors.ConnectionError):
        sim.Projection(src, cell, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5),
                       receptor_type="inhibitory")
    sim.Projection(src, cell, sim.AllToAllConnector(), sim.StaticSynapse(weight=-0.5),
                   receptor_type="inhibitory")
    cell.record("v")
    sim.run(20.0)
    v = cell.get_data().segments[0].analogsignals[0].magnitude[:, 0]
    assert v.min() < -66.0


def test_poisson_start_and_duration():
    sim.setup(timestep=0.1, seed=4)
    src = sim.Population(50, sim.SpikeSourcePoisson(rate=200.0, start=100.0, duration=50.0))
    src.record("spikes")
    sim.run(300.0)
    trains = src.get_data().segments[0].spiketrains
    times = np.concatenate([st.magnitude for st in trains])
    assert 300 < times.size < 700                            # about 500
    assert times.min() >= 100.0 and times.max() < 150.0


def test_random_weights_and_delays_from_pynn_distributions():
    sim.setup(timestep=0.1)
    pre = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0))
    post = sim.Population(10, sim.IF_curr_exp())
    rng = sim.NumpyRNG(seed=7)
    prj = sim.Projection(pre, post, sim.FixedProbabilityConnector(0.5, rng=rng),
                         sim.StaticSynapse(weight=sim.RandomDistribution("uniform", (1.0, 2.0),
                                                                         rng=rng),
                                           delay=sim.RandomDistribution("uniform", (0.5, 2.0),
                                                                        rng=rng)))
    w, d = np.array(prj.get(["weight", "delay"], format="list", with_address=False)).T
    assert len(prj) > 50 and 1.0 <= w.min() and w.max() <= 2.0
    np.testing.assert_allclose(d / 0.1, np.round(d / 0.1), atol=1e-9)   # on the grid
    post.record("spikes")
    sim.run(200.0)
    assert sum(len(st) for st in post.get_data().segments[0].spiketrains) > 10


def _chain(split, backend="numba"):
    sim.setup(timestep=0.1, backend=backend)
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[[5.0, 49.5], [20.0]]))
    cells = sim.Population(4, sim.IF_curr_exp(tau_refrac=2.0))
    sim.Projection(src, cells, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=10.0, delay=3.0))
    prj = sim.Projection(cells, cells, sim.FromListConnector([(0, 1), (1, 2), (2, 3)]),
                         sim.StaticSynapse(weight=10.0, delay=4.0))
    cells.record(["spikes", "v"])
    if split:
        sim.run(50.2)
        prj.set(weight=10.0)        # the same values: the network is rebuilt mid-run
        sim.run(49.8)
    else:
        sim.run(100.0)
    seg = cells.get_data().segments[0]
    return [list(st.magnitude) for st in seg.spiketrains], seg.analogsignals[0].magnitude


def test_rebuild_mid_run_keeps_spikes_in_flight():
    whole, v_whole = _chain(split=False)
    assert sum(len(s) for s in whole) >= 8 and all(whole)         # every cell fires
    split, v_split = _chain(split=True)
    assert split == whole
    np.testing.assert_array_equal(v_split, v_whole)


def test_numpy_backend_agrees():
    whole, v_whole = _chain(split=False)
    ref, v_ref = _chain(split=False, backend="numpy")
    assert ref == whole
    np.testing.assert_array_equal(v_ref, v_whole)


def test_write_data_round_trip(tmp_path):
    from neo.io import PickleIO
    sim.setup(timestep=0.1)
    cells = sim.Population(2, sim.IF_curr_exp(i_offset=1.0))
    cells.record(["spikes", "v"])
    sim.run(50.0)
    path = str(tmp_path / "data.pkl")
    cells.write_data(path)
    block = PickleIO(path).read_block()
    assert len(block.segments[0].spiketrains[0]) > 0
    assert block.segments[0].analogsignals[0].shape == (501, 2)


@pytest.mark.parametrize("make, name", [
    (lambda: sim.EIF_cond_alpha_isfa_ista(), "EIF_cond_alpha_isfa_ista"),
    (lambda: sim.STDPMechanism(), "STDPMechanism"),
    (lambda: sim.GutigWeightDependence(), "GutigWeightDependence"),
    (lambda: sim.Vogels2011Rule(), "Vogels2011Rule"),
    (lambda: sim.SpikeSourceGamma(), "SpikeSourceGamma"),
])
def test_unsupported_raise_pynn_not_implemented(make, name):
    sim.setup()
    with pytest.raises(NotImplementedError, match=name):
        make()


def test_populations_added_after_the_start_are_refused():
    sim.setup()
    sim.Population(1, sim.IF_curr_exp())
    sim.run(10.0)
    sim.Population(1, sim.IF_curr_exp())
    with pytest.raises(NotImplementedError, match="reset"):
        sim.run(10.0)
    sim.reset()
    sim.run(10.0)
    assert sim.get_current_time() == pytest.approx(10.0)
