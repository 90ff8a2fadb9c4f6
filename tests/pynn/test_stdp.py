"""STDPMechanism and TsodyksMarkramSynapse on neurosim.pynn.

* The weights after a run follow PyNN's additive pair rule exactly: each synapse's
  final weight is recomputed here from its presynaptic arrivals and the postsynaptic
  spikes that neurosim produced (all pairs, dw = A_plus * w_max * x_pre at a
  postsynaptic spike, -A_minus * w_max * x_post at an arrival, clipped to [w_min,
  w_max]; a pre- and a postsynaptic event in the same step: pre first).
* Against pyNN.brian2 (which implements the same rule), with and without depression:
  the same spikes and weights equal to 1e-9 (neurosim.pynn transmits the weight after
  the arriving spike's depression, as pyNN.brian2 and NEST's stdp_synapse do:
  ``STDP(transmit_first=False)``).
"""
import math

import numpy as np
import pytest

from stdp_script import A_MINUS, A_PLUS, TAU_MINUS, TAU_PLUS, W_MAX, stdp_network


def pair_rule(w0, spikes, times, pairs, a_minus=A_MINUS, dt=0.1):
    out = []
    for (i, j, _, d), w in zip(pairs, w0):
        events = sorted([(round((t + d) / dt), 0) for t in times[i]]
                        + [(round(t / dt), 1) for k, t in spikes if k == j])
        x_pre = x_post = 0.0
        last = 0
        for step, post in events:
            x_pre *= math.exp(-(step - last) * dt / TAU_PLUS)
            x_post *= math.exp(-(step - last) * dt / TAU_MINUS)
            last = step
            if post:
                w = min(max(w + A_PLUS * W_MAX * x_pre, 0.0), W_MAX)
                x_post += 1.0
            else:
                w = min(max(w - a_minus * W_MAX * x_post, 0.0), W_MAX)
                x_pre += 1.0
        out.append(w)
    return np.array(out)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_weights_follow_the_pair_rule(backend):
    import neurosim.pynn as sim
    w0, w1, spikes, times, pairs = stdp_network(sim, backend=backend)
    assert len(spikes) > 40
    assert np.abs(w1 - w0).max() > 0.05              # the weights learned
    expected = pair_rule(w0, spikes, times, pairs)
    # w0 is what PyNN was given; neurosim rounds it to its 2**-40 fixed-point grid
    assert np.max(np.abs(w1 - expected) / expected) < 1e-9


@pytest.mark.slow
@pytest.mark.parametrize("a_minus", [0.0, A_MINUS])
def test_same_as_pynn_brian2(a_minus):
    brian2 = pytest.importorskip("brian2")
    import pyNN.brian2 as bsim

    import neurosim.pynn as nsim
    ours = stdp_network(nsim, backend="numba", a_minus=a_minus)
    brian2.prefs.codegen.target = "numpy"
    try:
        theirs = stdp_network(bsim, a_minus=a_minus)
    finally:
        brian2.prefs.codegen.target = "auto"
    (w0, w1, s1, *_), (v0, v1, s2, *_) = ours, theirs
    assert np.allclose(w0, v0, rtol=1e-12, atol=0)
    assert len(s1) == len(s2) > 40
    assert [k for k, _ in s1] == [k for k, _ in s2]
    assert np.max(np.abs(np.array([t for _, t in s1]) - [t for _, t in s2])) < 1e-9
    assert np.abs(w1 - w0).max() > 0.05
    assert np.max(np.abs(w1 - v1) / v1) < 1e-9


def _two_runs(sim, change, **kw):
    """The STDP network of ``stdp_script`` run as 150 + 150 ms, ``change`` between."""
    import stdp_script
    real_run = sim.run

    def split_run(duration):
        real_run(duration / 2)
        change(sim)
        real_run(duration / 2)

    sim.run = split_run
    try:
        return stdp_script.stdp_network(sim, backend="numba", **kw)
    finally:
        sim.run = real_run


@pytest.mark.parametrize("delay", [None, 1.0])
def test_weights_and_traces_survive_a_rebuild(delay):
    # drawn delays: traces per synapse; one delay: per neuron (kernels.neuron_traces)
    import neurosim.pynn as sim
    w0, w1, spikes, *_ = stdp_network(sim, backend="numba", delay=delay)
    assert not np.array_equal(w0, w1) and len(spikes) > 10
    from neurosim.pynn.simulator import state
    # what a change of parameters or recordings does: rebuild the neurosim network
    v0, v1, spikes2, *_ = _two_runs(sim, lambda s: state.mark_stale(), delay=delay)
    assert spikes2 == spikes
    assert np.array_equal(v1, w1)


def test_reset_restores_the_initial_weights():
    import neurosim.pynn as sim
    sim.setup()
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0, 25.0]))
    post = sim.Population(1, sim.IF_curr_exp(i_offset=2.0))
    stdp = sim.STDPMechanism(timing_dependence=sim.SpikePairRule(),
                             weight_dependence=sim.MultiplicativeWeightDependence(w_max=1.0),
                             weight=0.5, dendritic_delay_fraction=0)
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), stdp)
    sim.run(50.0)
    assert prj.get("weight", format="list")[0][2] != 0.5
    sim.reset()
    assert prj.get("weight", format="list")[0][2] == 0.5
    sim.end()


def test_dendritic_delays_are_refused_at_run():
    import neurosim.pynn as sim
    sim.setup()
    p = sim.Population(2, sim.IF_curr_exp())
    sim.Projection(p, p, sim.AllToAllConnector(), sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(), weight_dependence=sim.AdditiveWeightDependence()))
    with pytest.raises(NotImplementedError, match="dendritic_delay_fraction"):
        sim.run(1.0)
    sim.end()


def test_tsodyks_markram_depresses():
    """A regular train through a depressing synapse: PSC amplitudes w * u * R with
    R_{n+1} = 1 - (1 - R_n (1 - U)) exp(-T / tau_rec), u = U (tau_facil = 0)."""
    import neurosim.pynn as sim
    sim.setup(timestep=0.1)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0, 30.0, 50.0]))
    post = sim.Population(1, sim.IF_curr_exp(tau_syn_E=0.5))
    sim.Projection(pre, post, sim.AllToAllConnector(), sim.TsodyksMarkramSynapse(
        weight=1.0, delay=1.0, U=0.5, tau_rec=100.0))
    post.record("isyn_exc")
    sim.run(60.0)
    i = post.get_data().segments[0].analogsignals[0].magnitude[:, 0]
    peaks = [i[int(round((t + 1.0) / 0.1)) + 1] for t in (10.0, 30.0, 50.0)]
    r, amps = 1.0, []
    for _ in range(3):
        amps.append(0.5 * r)
        r = 1 - (1 - r * 0.5) * math.exp(-20.0 / 100.0)
    ratio = np.array(peaks) / peaks[0]
    assert np.allclose(ratio, np.array(amps) / amps[0], rtol=1e-6)
    sim.end()
