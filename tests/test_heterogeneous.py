"""Parameters per neuron: any parameter of any model may be an array or a distribution."""
import numpy as np
import pytest

import neurosim as ns
from neurosim import mpi
from neurosim.units import mV, ms, nS

TAU = np.array([5.0, 10.0, 15.0, 20.0, 40.0]) * ms


def _relaxing(backend, tau_m=TAU):
    """Five unconnected LIF neurons under a constant drive below threshold."""
    lif = ns.LIF(tau_m=tau_m, v_rest=-70 * mV, v_reset=-70 * mV, v_th=-40 * mV)
    cells = ns.NeuronGroup(5, lif, v=-70 * mV, name="cells")
    drive = ns.CurrentInput(cells, 20 * mV)
    trace = ns.StateMonitor(cells, "v", record=np.arange(5))
    net = ns.Network(cells, drive, trace)
    net.run(30 * ms, dt=0.1 * ms, seed=1, backend=backend)
    return trace, net


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_each_neuron_relaxes_with_its_own_time_constant(backend):
    trace, net = _relaxing(backend)
    t = np.arange(trace.v.shape[1]) * 1e-4
    tau = np.asarray(TAU)[:, None]
    closed = -70e-3 + 20e-3 * (1 - np.exp(-t / tau))
    np.testing.assert_allclose(trace.v, closed, rtol=0, atol=1e-14)
    nr = net._arrays.neurons
    assert nr.seg_lo.size == 1 and nr.nrn_prm.shape[0] == 5     # one segment, a row each


def _network(backend, n_threads=None, duration=40 * ms):
    lif = ns.LIF(tau_m=ns.Normal(20 * ms, 4 * ms, low=8 * ms), v_rest=-49 * mV,
                 v_reset=ns.Uniform(-62 * mV, -58 * mV), v_th=-50 * mV, refractory=2 * ms,
                 tau_syn_e=5 * ms, tau_syn_i=10 * ms)
    cells = ns.NeuronGroup(50, lif, v=ns.Uniform(-60 * mV, -50 * mV), name="cells")
    hh = ns.NeuronGroup(12, ns.HodgkinHuxley(g_na=np.linspace(15, 25, 12) * 1e3 * nS),
                        v=-65 * mV, name="hh")
    members = [cells, hh,
               ns.Synapses(cells[:40], cells, kind="excitatory", weight=1.62 * mV,
                           connect=ns.FixedProbability(0.2), delay=0.2 * ms),
               ns.Synapses(cells[40:], cells, kind="inhibitory", weight=9 * mV,
                           connect=ns.FixedProbability(0.2), delay=0.2 * ms),
               ns.Synapses(cells, hh, kind="excitatory", weight=20 * nS,
                           connect=ns.FixedProbability(0.3), delay=0.2 * ms)]
    spikes, hh_spikes = ns.SpikeMonitor(cells), ns.SpikeMonitor(hh)
    trace = ns.StateMonitor(cells, "v", record=[0, 9, 49])
    net = ns.Network(*members, spikes, hh_spikes, trace)
    net.build(0.1 * ms, seed=3)
    if backend is not None:
        net.run(duration, backend=backend, n_threads=n_threads)
    return net, spikes, hh_spikes, trace


def test_drawn_parameters_follow_their_distribution_and_the_seed():
    net, *_ = _network(None)
    nr = net._arrays.neurons
    decay = nr.nrn_prm[0:50, 3]           # exp(-dt/tau_m), the rows of the 50 cells
    tau = -1e-4 / np.log(decay)
    assert tau.min() >= 8e-3 and 15e-3 < tau.mean() < 25e-3 and tau.std() > 1e-3
    again, *_ = _network(None)
    assert np.array_equal(again._arrays.neurons.nrn_prm, nr.nrn_prm)     # same seed


def test_numba_cuda_and_mpi_rank_loop_equal_the_numpy_oracle(monkeypatch):
    _, want, want_hh, want_v = _network("numpy")
    assert want.num_spikes > 20 and want_hh.num_spikes > 0            # both groups fire
    for n_threads in (1, 2):
        _, got, got_hh, got_v = _network("numba", n_threads)
        assert np.array_equal(want.i, got.i) and np.array_equal(want.steps, got.steps)
        assert np.array_equal(want_hh.i, got_hh.i) and np.array_equal(want_v.v, got_v.v)
    net, got, got_hh, got_v = _network(None)
    mpi.run(net, 400, 150, False, comm=mpi._SelfComm())
    assert np.array_equal(want.i, got.i) and np.array_equal(want_v.v, got_v.v)
    from neurosim.backends.cuda_backend import CudaBackend
    if CudaBackend.is_available():
        monkeypatch.setattr(CudaBackend, "threads_per_block", 16)
        monkeypatch.setattr(CudaBackend, "fused_threads", 16)
        _, got, got_hh, got_v = _network("cuda", duration=10 * ms)
        _, want, want_hh, want_v = _network("numba", duration=10 * ms)
        assert np.array_equal(want.i, got.i) and np.array_equal(want.steps, got.steps)
        assert np.array_equal(want_v.v, got_v.v)


def test_bad_per_neuron_values_name_the_parameter():
    with pytest.raises(ValueError, match=r"tau_m has shape \(3,\); expected .* length 5"):
        _relaxing("numba", tau_m=np.array([5.0, 10.0, 15.0]) * ms)
    with pytest.raises(ValueError, match=r"tau_m=-5\. ms must be > 0|tau_m=.*must be > 0"):
        _relaxing("numba", tau_m=np.array([5.0, 10.0, -5.0, 20.0, 40.0]) * ms)
    with pytest.raises(TypeError, match="tau_m"):
        ns.LIF(tau_m=np.array([5.0, 10.0]) * mV, v_rest=-70 * mV, v_reset=-70 * mV,
               v_th=-40 * mV)


def test_a_built_group_keeps_its_per_neuron_parameters():
    trace, net = _relaxing("numba")
    cells = net.groups[0]
    with pytest.raises(ValueError, match=r"parameters per neuron \(\['tau_m'\]\)"):
        cells.model = ns.LIF(tau_m=10 * ms, v_rest=-70 * mV, v_reset=-70 * mV, v_th=-40 * mV)
