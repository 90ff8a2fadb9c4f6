"""Competitive Hebbian learning through STDP (Song, Miller & Abbott 2000), as in Brian2's
``examples/synapses/STDP.py``: 1000 Poisson inputs at 15 Hz onto one leaky
integrate-and-fire neuron through additive, all-to-all STDP.

Two independent oracles:

* Brian2 (``to_brian2``, numpy target) runs the same network from the same initial
  weights and input spikes and must give the same output spikes and the same
  final weights, weight for weight;
* the paper: from uniform initial weights, additive STDP with ``A_- / A_+ = 1.05``
  drives the weights to the bounds (a bimodal distribution) while the output rate
  falls and then holds steady.

Brian2's example is conductance-based, ``ge * (Ee - v)`` with ``Ee = 0``; here it is
current-based, with the weight in volts ``g * (Ee - v_reset) = g * 60 mV``
(``gmax = 0.01`` gives ``w_max = 0.6 mV``).
"""
import numpy as np
import pytest

import neurosim as ns
from neurosim.units import Hz, ms, mV, second

W_MAX = 0.6e-3                      # volts: gmax = 0.01 times 60 mV


def song(n_inputs=1000, rate=15 * Hz):
    """The network of Song et al. (2000) in Brian2's parameters.

    Returns
    -------
    net : Network
        Not yet built.
    syn : Synapses
        The plastic projection from the inputs onto the neuron.
    spikes : SpikeMonitor
        The neuron's spikes.
    """
    lif = ns.LIF(tau_m=10 * ms, v_rest=-74 * mV, v_reset=-60 * mV, v_th=-54 * mV,
                 tau_syn_e=5 * ms, tau_syn_i=5 * ms)
    neuron = ns.NeuronGroup(1, lif, v=-74 * mV, name="neuron")
    inputs = ns.PoissonGroup(n_inputs, rate, name="inputs")
    rule = ns.STDP(tau_plus=20 * ms, tau_minus=20 * ms, a_plus=0.01, a_minus=0.0105,
                   w_max=W_MAX * 1e3 * mV)
    syn = ns.Synapses(inputs, neuron, kind="excitatory",
                      weight=ns.Uniform(0 * mV, W_MAX * 1e3 * mV), connect=ns.AllToAll(),
                      plasticity=rule, name="stdp")
    spikes = ns.SpikeMonitor(neuron)
    return ns.Network(inputs, neuron, syn, spikes), syn, spikes


@pytest.mark.slow
@pytest.mark.brian2
def test_brian2_gives_the_same_spikes_and_weights():
    from neurosim.interop.brian2 import to_brian2
    net, syn, spikes = song()
    net.build(dt=0.1 * ms, seed=3)
    start = syn.weight
    exported = to_brian2(net)                      # numpy target, the realised input
    exported.run(4000 * ms)
    net.run(4000 * ms, backend="numba")
    # the neuron fires (about 60 Hz at first) and learning happened
    assert spikes.i.size > 150
    moved = np.abs(syn.weight - start) > 0.05 * W_MAX
    assert moved.sum() > 300
    theirs = exported.recording(spikes)
    assert np.array_equal(theirs.steps, spikes.steps)
    b2w = np.asarray(exported.synapses[syn].w_[:])
    np.testing.assert_allclose(b2w, syn.weight, rtol=1e-12, atol=1e-18)


def _counts(t, start, stop):
    return np.sum((t >= start) & (t < stop)) / (stop - start)


@pytest.mark.slow
def test_weights_become_bimodal_and_the_rate_stabilises():
    """200 s of the network (about 10 s on one core).

    Measured with seeds 1 to 11, 200 s each: the lowest and highest tenth of the
    range hold 30-33 % and 19-21 % of the weights (10 % each at the start), the
    middle four tenths 14-18 % (40 %); the rate falls from 53-69 Hz in the first
    10 s to 21-26 Hz in the last 10 s, and the mean rates of 100-150 s and
    150-200 s differ by at most 13 % (seeds 6 to 11). With these step sizes (1 %
    of the range per pair) the weights keep diffusing between the bounds: from
    300 s to 1000 s the outer fifth holds 51-56 % of them (seed 1), not all
    (Brian2's own example gives 42 % after its 100 s, neurosim 42 %). Song et al.
    (2000) report the rate settling while the inputs' rate stays fixed.
    """
    net, syn, spikes = song()
    net.build(dt=0.1 * ms, seed=1)
    start = syn.weight / W_MAX
    h0 = np.histogram(start, bins=10, range=(0, 1))[0] / start.size
    # uniform at the start: 10 % +- 4 binomial standard deviations in each tenth
    assert np.all(np.abs(h0 - 0.1) < 4 * np.sqrt(0.1 * 0.9 / start.size))
    net.run(200 * second, backend="numba", n_threads=1)
    w = syn.weight / W_MAX
    assert w.min() >= 0 and w.max() <= 1
    h = np.histogram(w, bins=10, range=(0, 1))[0] / w.size
    # two modes at the bounds and a trough between them
    assert h[0] > 0.2 and h[-1] > 0.15, h
    assert h[0] + h[-1] > 0.42, h
    assert h[3:7].sum() < 0.25, h
    # the rate falls and settles
    t = spikes.t
    first, last = _counts(t, 0, 10), _counts(t, 190, 200)
    assert first > 45, first
    assert 17 < last < 30, last
    early, late = _counts(t, 100, 150), _counts(t, 150, 200)
    assert abs(late - early) < 0.2 * early, (early, late)
