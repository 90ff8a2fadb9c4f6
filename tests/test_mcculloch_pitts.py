"""McCulloch-Pitts units: logic gates, absolute inhibition and asynchronous updates.

The oracle of the synchronous tests is the truth table of each gate: an input
pattern emitted by a ``SpikeGeneratorGroup`` in step ``s`` reaches a unit with
a synaptic delay of 0 in step ``s + 1`` (one step per layer), and an active
unit emits one spike in every step it is active. The asynchronous mode is
checked statistically: a unit that inhibits itself flips its state at every
update, so the fraction of flips per unit and step estimates the update
probability ``dt / tau``, compared with a binomial tolerance.
"""
import itertools

import numpy as np
import pytest

import neurosim as ns
from neurosim.units import ms, second

DT = 0.1e-3
PATTERNS = list(itertools.product((0, 1), repeat=2))    # (0,0) (0,1) (1,0) (1,1)


def _generator(patterns, name="inputs"):
    """Sources that emit ``patterns[s]`` in step ``s``."""
    idx, times = [], []
    for step, bits in enumerate(patterns):
        for k, bit in enumerate(bits):
            if bit:
                idx.append(k)
                times.append(step * DT)
    return ns.SpikeGeneratorGroup(len(patterns[0]), np.array(idx, dtype=np.int64),
                                  np.array(times) * second, name=name)


def _run(backend, objects, monitor, n_steps):
    ns.Network(*objects).run(n_steps * DT * second, dt=DT * second, backend=backend, seed=7)
    return monitor.steps.tolist()


def _gate(backend, theta, excitatory=(), inhibitory=(), bias=None, absolute=False,
          patterns=PATTERNS):
    """One unit fed by the pattern sources; returns the steps in which it was active."""
    unit = ns.NeuronGroup(1, ns.McCullochPitts(theta=theta, absolute_inhibition=absolute))
    src = _generator(patterns)
    objects = [unit, src]
    for kind, pairs in (("excitatory", excitatory), ("inhibitory", inhibitory)):
        for k, w in pairs:
            objects.append(ns.Synapses(src, unit, kind=kind, weight=w,
                                       connect=([k], [0])))
    if bias is not None:
        objects.append(ns.CurrentInput(unit, bias))
    spikes = ns.SpikeMonitor(unit)
    return _run(backend, objects + [spikes], spikes, len(patterns) + 2)


def _expected(table, patterns=PATTERNS, lag=1):
    return [s + lag for s, bits in enumerate(patterns) if table(*bits)]


@pytest.mark.parametrize("name, theta, table", [
    ("and", 2, lambda a, b: a and b),
    ("or", 1, lambda a, b: a or b),
])
def test_gate_matches_truth_table_with_two_inputs(backend, name, theta, table):
    active = _gate(backend, theta, excitatory=[(0, 1.0), (1, 1.0)])
    assert active == _expected(table)


def test_and_gate_silent_when_threshold_above_total_weight(backend):
    assert _gate(backend, 2.5, excitatory=[(0, 1.0), (1, 1.0)]) == []


def test_threshold_is_inclusive_at_equality(backend):
    # H(0) = 1: h == theta activates, just below does not
    assert _gate(backend, 0.75, excitatory=[(0, 0.75)]) == _expected(lambda a, b: a)
    assert _gate(backend, 0.75, excitatory=[(0, 0.5)]) == []


def test_not_gate_with_bias_and_inhibitory_input(backend):
    patterns = [(0,), (1,), (0,), (1,), (1,), (0,)]
    n_steps = len(patterns) + 2
    active = _gate(backend, 1, inhibitory=[(0, 1.0)], bias=1.0, patterns=patterns)
    silenced = {s + 1 for s, (a,) in enumerate(patterns) if a}
    assert active == [s for s in range(n_steps) if s not in silenced]


def test_xor_with_two_layers_matches_truth_table(backend):
    # hidden: h0 = a AND NOT b, h1 = b AND NOT a; output: h0 OR h1
    src = _generator(PATTERNS)
    hidden = ns.NeuronGroup(2, ns.McCullochPitts(theta=1), name="hidden")
    out = ns.NeuronGroup(1, ns.McCullochPitts(theta=1), name="out")
    exc = ns.Synapses(src, hidden, kind="excitatory", weight=1.0, connect=ns.OneToOne())
    inh = ns.Synapses(src, hidden, kind="inhibitory", weight=1.0, connect=([0, 1], [1, 0]))
    read = ns.Synapses(hidden, out, kind="excitatory", weight=1.0, connect=ns.AllToAll())
    hid_spikes, out_spikes = ns.SpikeMonitor(hidden), ns.SpikeMonitor(out)
    _run(backend, [src, hidden, out, exc, inh, read, hid_spikes, out_spikes], out_spikes, 8)
    assert out_spikes.steps.tolist() == _expected(lambda a, b: a != b, lag=2)
    assert sorted(zip(hid_spikes.steps.tolist(), hid_spikes.i.tolist())) == \
        sorted([(s + 1, 0) for s, (a, b) in enumerate(PATTERNS) if a and not b]
               + [(s + 1, 1) for s, (a, b) in enumerate(PATTERNS) if b and not a])


@pytest.mark.parametrize("absolute", [False, True])
def test_absolute_inhibition_vetoes_any_excitation(backend, absolute):
    # excitation 2, inhibition 1, theta 1: subtractive inhibition leaves 1 >= theta,
    # absolute inhibition silences the unit whenever the inhibitory input is active
    active = _gate(backend, 1, excitatory=[(0, 2.0)], inhibitory=[(1, 1.0)],
                   absolute=absolute)
    if absolute:
        assert active == _expected(lambda a, i: a and not i)
    else:
        assert active == _expected(lambda a, i: a)


def test_absolute_inhibition_vetoes_even_a_tiny_inhibitory_weight(backend):
    active = _gate(backend, 1, excitatory=[(0, 5.0)], inhibitory=[(1, 1e-6)], absolute=True)
    assert active == _expected(lambda a, i: a and not i)


def test_active_unit_spikes_every_step(backend):
    # a self-exciting unit, kicked once, stays active and spikes in every later step
    unit = ns.NeuronGroup(1, ns.McCullochPitts(theta=1))
    loop = ns.Synapses(unit, unit, kind="excitatory", weight=1.0, connect=ns.OneToOne())
    kick = _generator([(0,), (0,), (1,)])
    syn = ns.Synapses(kick, unit, kind="excitatory", weight=1.0, connect=ns.AllToAll())
    spikes = ns.SpikeMonitor(unit)
    trace = ns.StateMonitor(unit, "x")
    active = _run(backend, [unit, loop, kick, syn, spikes, trace], spikes, 20)
    assert active == list(range(3, 20))
    # x sampled at the start of a step is the state after the previous one
    np.testing.assert_array_equal(trace.x[0], (np.arange(20) >= 4).astype(float))


def _flipper(n, tau, backend, n_steps, seed=11):
    """``n`` self-inhibiting units with bias 1: every update flips the state."""
    model = ns.McCullochPitts(theta=1, update="asynchronous", tau=tau)
    units = ns.NeuronGroup(n, model)
    bias = ns.CurrentInput(units, 1.0)
    self_inh = ns.Synapses(units, units, kind="inhibitory", weight=1.0,
                           connect=ns.OneToOne())
    spikes = ns.SpikeMonitor(units)
    trace = ns.StateMonitor(units, "x")
    ns.Network(units, bias, self_inh, spikes, trace).run(
        n_steps * DT * second, dt=DT * second, backend=backend, seed=seed)
    return spikes, trace


@pytest.mark.parametrize("tau_ms", [0.5, 1.0, 4.0])
def test_asynchronous_update_probability_is_dt_over_tau(backend, tau_ms):
    n, n_steps = 100, 600
    _, trace = _flipper(n, tau_ms * ms, backend, n_steps)
    x = trace.x                                             # states before each step
    flips = np.count_nonzero(x[:, 1:] != x[:, :-1])
    trials = n * (n_steps - 1)
    p = DT / (tau_ms * 1e-3)
    sigma = np.sqrt(p * (1 - p) / trials)
    assert abs(flips / trials - p) < 5 * sigma
    # every unit takes part: the update draws differ between units
    per_unit = np.count_nonzero(x[:, 1:] != x[:, :-1], axis=1)
    assert np.unique(per_unit).size > 3


def test_asynchronous_update_with_tau_equal_dt_is_synchronous(backend):
    spikes, trace = _flipper(5, DT * second, backend, 10)
    expected = np.tile(np.arange(10) % 2 == 1, (5, 1)).astype(float)
    np.testing.assert_array_equal(trace.x, expected)


def test_asynchronous_update_identical_on_numpy_and_numba():
    results = [_flipper(50, 1 * ms, be, 300, seed=5)[0] for be in ("numpy", "numba")]
    assert results[0].num_spikes > 100
    np.testing.assert_array_equal(results[0].i, results[1].i)
    np.testing.assert_array_equal(results[0].steps, results[1].steps)


def test_asynchronous_update_depends_on_seed(backend):
    a = _flipper(20, 1 * ms, backend, 200, seed=1)[0]
    b = _flipper(20, 1 * ms, backend, 200, seed=2)[0]
    c = _flipper(20, 1 * ms, backend, 200, seed=1)[0]
    np.testing.assert_array_equal(a.i, c.i)
    np.testing.assert_array_equal(a.steps, c.steps)
    assert not (a.i.size == b.i.size and np.array_equal(a.i, b.i)
                and np.array_equal(a.steps, b.steps))


def test_tie_survives_weights_that_round_on_the_fixed_point_grid(backend):
    # 0.05 is not a binary fraction: stored rounded, 20 of them miss 1 by ~1e-11
    unit = ns.NeuronGroup(1, ns.McCullochPitts(theta=1), name="unit")
    kick = ns.SpikeGeneratorGroup(20, list(range(20)), [0] * 20 * ms)
    syn = ns.Synapses(kick, unit, kind="inhibitory", weight=0.05, connect=ns.AllToAll())
    mon = ns.SpikeMonitor(unit)
    net = ns.Network(unit, kick, syn, ns.CurrentInput(unit, 2.0), mon)
    net.run(0.3 * ms, dt=0.1 * ms, backend=backend, seed=0)
    # h = 2 - 20 * 0.05 = 1 = theta in step 1: still active (H(0) = 1)
    np.testing.assert_array_equal(mon.steps, [0, 1, 2])
