"""STDP with traces per neuron (``kernels.neuron_traces``) against two references, on
random firing driven straight through the plastic step of a built network:

* its numpy twin (``kernels.plasticity_numpy``): weights, neuron traces, origin and
  ring buffer bit for bit, step after step, and the monitor's samples;
* the same synapses with every trace kept per synapse (Brian2's event-driven form,
  the engine's other path): weights, transmitted inputs and every sampled trace equal
  to rounding. The traces per neuron are the same functions of time, summed in
  another order.

The network mixes a pair rule (all-to-all, additive, one delay), a triplet rule
(nearest, multiplicative, transmission after the depression, another delay) and a
rule that keeps its traces per synapse (STDP with short-term plasticity), so the two
paths run side by side; the origin moves every 7 steps."""
import numpy as np
import pytest

import neurosim as ns
import neurosim._build_plastic as build_plastic
from neurosim.kernels import plasticity as K
from neurosim.kernels import plasticity_numpy as KN
from neurosim.units import mV, ms

N, N_SRC, STEPS = 30, 40, 120
W_TOL = 1e-12 * 3e-3            # volts: 1e-12 of the largest w_max


def _network():
    lif = ns.LIF(tau_m=10 * ms, v_rest=-70 * mV, v_reset=-65 * mV, v_th=-50 * mV)
    neurons = ns.NeuronGroup(N, lif, name="neurons")
    sources = ns.PoissonGroup(N_SRC, 10 * ns.units.Hz, name="sources")
    pair = ns.STDP(tau_plus=1.5 * ms, tau_minus=2 * ms, a_plus=0.05, a_minus=0.06,
                   w_max=3 * mV)
    triplet = ns.TripletSTDP(tau_plus=1 * ms, tau_minus=2.5 * ms, tau_x=4 * ms, tau_y=3 * ms,
                             a2_plus=0.01, a3_plus=0.03, a2_minus=0.02, a3_minus=0.004,
                             w_max=2 * mV, w_min=0.1 * mV, pairing="nearest",
                             weight_dependence="multiplicative", transmit_first=False)
    per_synapse = (ns.TsodyksMarkram(U=0.4, tau_rec=5 * ms),
                   ns.STDP(tau_plus=1 * ms, tau_minus=1 * ms, a_plus=0.1, a_minus=0.1,
                           w_max=1 * mV))
    syns = [ns.Synapses(sources, neurons, kind="excitatory", weight=ns.Uniform(0 * mV, 3 * mV),
                        connect=ns.FixedProbability(0.4), plasticity=pair, name="pair"),
            ns.Synapses(neurons, neurons, kind="inhibitory",
                        weight=ns.Uniform(0.1 * mV, 2 * mV), delay=0.2 * ms,
                        connect=ns.FixedProbability(0.4), plasticity=triplet, name="triplet"),
            ns.Synapses(sources, neurons, kind="excitatory", weight=0.5 * mV,
                        delay=0.1 * ms, connect=ns.FixedProbability(0.2),
                        plasticity=per_synapse, name="per_synapse")]
    net = ns.Network(neurons, sources, *syns)
    net.build(dt=0.1 * ms, seed=3)
    return net


def _plastic(by_neuron, monkeypatch):
    if not by_neuron:
        monkeypatch.setattr(build_plastic, "_neuron_traces", lambda s, row: False)
    pl = _network()._arrays.plastic
    monkeypatch.undo()
    return pl._replace(epoch=np.array([0, 7], np.int64)) if by_neuron else pl


def _drive(pls, step_fns, steps=STEPS, seed=5):
    """Run each plastic step on its arrays with the same random firing; yields the
    step and each one's buffer slot after it."""
    rng = np.random.default_rng(seed)
    depth = pls[0].queue.shape[0]
    bufs = [np.zeros((depth, 2 * N), np.int64) for _ in pls]
    touched = np.zeros((depth, 2 * N), np.int32)
    n_touched = np.zeros(depth, np.int64)
    for step in range(1, steps + 1):
        firing = np.flatnonzero(rng.random(N + N_SRC) < 0.2).astype(np.int64)
        slot = step % depth
        for pl, fn, buf in zip(pls, step_fns, bufs):
            fn(pl, firing, step, buf, slot, touched, n_touched)
            n_touched[slot] = 0
        yield step, [b[slot].copy() for b in bufs]
        for b in bufs:
            b[slot] = 0


def _compiled(pl, firing, step, buf, slot, touched, n_touched):
    K.plasticity_step(pl, firing, firing.size, N, step, buf, slot, touched, n_touched)


def _numpy(pl, firing, step, buf, slot, touched, n_touched):
    KN.plasticity_step_numpy(pl, firing, N, step, buf, slot)


def _copy(pl):
    return pl._replace(**{f: getattr(pl, f).copy() for f in pl._fields})


def _sample_all(pl, step):
    """Every synapse's weight and traces r1, o1 and the triplet synapses' r2, o2
    (compiled, as a monitor samples them), one array per variable."""
    triplet = np.flatnonzero(pl.rule == 1)
    return [np.array([K.sample_synapse(pl, code, q, step)
                      for q in (range(pl.w.size) if code < 3 else triplet)])
            for code in range(5)]


def test_the_network_has_both_paths(monkeypatch):
    pl = _plastic(True, monkeypatch)
    assert pl.slot.tolist() == [0, 1, -1]
    assert pl.ncol_syn.size and pl.col_syn.size
    assert _plastic(False, monkeypatch).slot.tolist() == [-1, -1, -1]


def test_compiled_equals_numpy_twin_bit_for_bit(monkeypatch):
    ours = _plastic(True, monkeypatch)
    ref = _copy(ours)
    w0, inputs = ours.w.copy(), 0
    for step, (a, b) in _drive([ours, ref], [_compiled, _numpy]):
        assert np.array_equal(a, b), step
        inputs += int(np.count_nonzero(a))
        for f in ("w", "x_pre", "x_post", "epoch", "queue", "queue_n", "trace", "last"):
            assert np.array_equal(getattr(ours, f), getattr(ref, f)), (step, f)
    assert inputs > 500 and ours.epoch[0] == STEPS - STEPS % 7
    for r in range(3):                  # every rule moved weights
        assert np.count_nonzero(ours.w[ours.rule == r] != w0[ours.rule == r]) > 20, r
    for code, got in enumerate(_sample_all(ours, STEPS + 3)):
        q = np.arange(ours.w.size) if code < 3 else np.flatnonzero(ours.rule == 1)
        want = KN.sample_plastic_numpy(np.full(q.size, code), q, STEPS + 3, ref)
        assert np.array_equal(got, want), code


def test_traces_per_neuron_equal_traces_per_synapse_to_rounding(monkeypatch):
    by_neuron, by_synapse = _plastic(True, monkeypatch), _plastic(False, monkeypatch)
    assert np.array_equal(by_neuron.w, by_synapse.w)
    differ = 0
    for step, (a, b) in _drive([by_neuron, by_synapse], [_compiled, _compiled]):
        # the inputs sent: weights on the fixed-point grid (a rounding may tip one)
        differ += int(np.count_nonzero(a != b))
        assert np.abs(a - b).max() <= 1, step
        # to rounding: 1e-12 of the largest w_max (3 mV), as the Brian2 validation
        np.testing.assert_allclose(by_neuron.w, by_synapse.w, rtol=0, atol=W_TOL)
    assert differ <= 2
    got, want = _sample_all(by_neuron, STEPS + 2), _sample_all(by_synapse, STEPS + 2)
    for code, (x, y) in enumerate(zip(got, want)):
        assert np.count_nonzero(y) > 50, code
        np.testing.assert_allclose(x, y, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("every", [1, 3, 1 << 62])
def test_where_the_origin_moves_changes_nothing_but_rounding(every, monkeypatch):
    base = _plastic(True, monkeypatch)
    other = _copy(base)._replace(epoch=np.array([0, every], np.int64))
    for _ in _drive([base, other], [_compiled, _compiled]):
        pass
    np.testing.assert_allclose(base.w, other.w, rtol=0, atol=W_TOL)
    for x, y in zip(_sample_all(base, STEPS + 1), _sample_all(other, STEPS + 1)):
        np.testing.assert_allclose(x, y, rtol=1e-11, atol=1e-14)
