"""A checkpoint of format 3, which kept every STDP trace per synapse, restores into
today's neurosim, whose pair and triplet rules with one delay keep their traces per
neuron (``kernels.neuron_traces``), and continues as the old release continued.

``fixtures/checkpoint_v3_plastic.npz`` (the state after 20 ms of :func:`network`, seed
3, dt 0.1 ms) and ``fixtures/checkpoint_v3_plastic_after.npz`` (what that release
recorded over the next 20 ms: spikes and final weights) were written by the release
before traces per neuron (commit bd4d68a), by running this file with that release on
the path::

    PYTHONPATH=<old checkout> python tests/test_checkpoint_compat_plastic.py write tests/fixtures

Today the per-synapse traces of the file become traces per neuron (each neuron's from
its synapses, decayed to the checkpoint's step): the spikes that follow are the old
release's, the weights equal to rounding.
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "fixtures", "checkpoint_v3_plastic.npz")
AFTER = os.path.join(HERE, "fixtures", "checkpoint_v3_plastic_after.npz")


def network():
    """40 LIF cells driven by 50 Poisson sources through pair STDP (all-to-all, 1 ms),
    recurrent triplet STDP (nearest, 1.5 ms) among them."""
    import neurosim as ns
    from neurosim.units import Hz, mV, ms
    noise = ns.PoissonGroup(50, 40 * Hz, name="noise")
    cells = ns.NeuronGroup(40, ns.LIF(10 * ms, -70 * mV, -65 * mV, -55 * mV, refractory=2 * ms,
                                      tau_syn_e=2 * ms, tau_syn_i=5 * ms),
                           v=-60 * mV, name="cells")
    pair = ns.STDP(tau_plus=15 * ms, tau_minus=20 * ms, a_plus=0.05, a_minus=0.06,
                   w_max=5 * mV)
    triplet = ns.TripletSTDP(tau_plus=10 * ms, tau_minus=30 * ms, tau_x=100 * ms,
                             tau_y=120 * ms, a2_plus=0.05, a3_plus=0.1, a2_minus=0.05,
                             a3_minus=0.01, w_max=4 * mV, pairing="nearest")
    ext = ns.Synapses(noise, cells, kind="excitatory", weight=ns.Uniform(1 * mV, 4 * mV),
                      connect=ns.FixedProbability(0.3), delay=1 * ms, plasticity=pair,
                      name="ext")
    rec = ns.Synapses(cells, cells, kind="excitatory", weight=ns.Uniform(0.5 * mV, 2 * mV),
                      connect=ns.FixedProbability(0.2), delay=1.5 * ms, plasticity=triplet,
                      name="rec")
    spikes = ns.SpikeMonitor(cells)
    bias = ns.CurrentInput(cells, 16 * mV)
    return ns.Network(noise, cells, ext, rec, bias, spikes), spikes, (ext, rec)


def test_a_format_3_checkpoint_continues_as_the_old_release():
    from neurosim.units import ms
    after = np.load(AFTER)
    net, spikes, (ext, rec) = network()
    net.build(dt=0.1 * ms, seed=3)
    assert net._arrays.plastic.slot.tolist() == [0, 1]     # today: traces per neuron
    net.restore(filename=FIXTURE)
    assert net.t_step == 200
    n_before = spikes.num_spikes
    net.run(20 * ms)
    assert spikes.num_spikes > n_before + 50
    np.testing.assert_array_equal(spikes.i, after["i"])
    np.testing.assert_array_equal(spikes.steps, after["steps"])
    for s in (ext, rec):
        moved = np.count_nonzero(s.weight != after[f"{s.name}_before"])
        assert moved > 50, s.name
        np.testing.assert_allclose(s.weight, after[s.name], rtol=0, atol=1e-12 * 5e-3)


if __name__ == "__main__" and sys.argv[1:2] == ["write"]:
    from neurosim.units import ms
    net, spikes, projections = network()
    net.run(20 * ms, dt=0.1 * ms, seed=3)
    net.store(filename=os.path.join(sys.argv[2], os.path.basename(FIXTURE)))
    before = {f"{s.name}_before": s.weight for s in projections}
    net.run(20 * ms)
    np.savez_compressed(os.path.join(sys.argv[2], os.path.basename(AFTER)), i=spikes.i,
                        steps=spikes.steps, **before, **{s.name: s.weight for s in projections})
