"""Reward-modulated STDP (``ns.RewardSTDP``, Izhikevich 2007) against the closed form of
its weight integral, the numpy oracle, and its promises about state (continued runs,
store/restore, checkpoints, learning switched off, dopamine set between runs) and bad
input."""
import math

import numpy as np
import pytest

import neurosim as ns
from neurosim.units import Hz, ms, mV, second

DT = 0.1e-3
TAU_PLUS, TAU_MINUS, TAU_C, TAU_D = 20e-3, 20e-3, 50e-3, 200e-3
A_PLUS, A_MINUS = 0.5, 0.75
W_MAX, W0 = 2e-3, 1e-3
W0R = np.rint(W0 * 2.0**40) / 2.0**40        # as built: on the grid of the input sums


def _rule(source=None, jump=0.0, delay=None, baseline=0.0, **kw):
    args = dict(tau_plus=TAU_PLUS * second, tau_minus=TAU_MINUS * second, a_plus=A_PLUS,
                a_minus=A_MINUS, tau_c=TAU_C * second, tau_d=TAU_D * second,
                w_max=W_MAX * 1e3 * mV, dopamine_source=source,
                dopamine_per_spike=jump * Hz, dopamine_delay=delay, baseline=baseline * Hz)
    return ns.RewardSTDP(**{**args, **kw})


def _pair(rule_args, pre_step, post_step, reward_steps=(), d0=0.0, steps=4000,
          backend="numba", learning=True, split=None):
    """One pre source and one post neuron (made to fire at ``post_step`` by a kick one
    step earlier), a reward source firing at ``reward_steps``; the dopamine level set
    to ``d0`` at the start. Returns the synapse's weight and eligibility at the end,
    and the post spikes."""
    pre = ns.SpikeGeneratorGroup(1, [0], [pre_step * DT * 1e3] * ms, name="pre")
    kick = ns.SpikeGeneratorGroup(1, [0], [(post_step - 1) * DT * 1e3] * ms, name="kick")
    reward = ns.SpikeGeneratorGroup(1, [0] * len(reward_steps),
                                    np.asarray(reward_steps, float) * DT * 1e3 * ms,
                                    name="reward")
    post = ns.NeuronGroup(1, ns.LIF(tau_m=10 * ms, v_rest=-70 * mV, v_reset=-70 * mV,
                                    v_th=-50 * mV, refractory=0 * ms), name="post")
    drive = ns.Synapses(kick, post, kind="excitatory", weight=40 * mV, connect=ns.OneToOne())
    syn = ns.Synapses(pre, post, kind="excitatory", weight=W0 * 1e3 * mV,
                      connect=ns.OneToOne(), plasticity=_rule(source=reward, **rule_args))
    eligibility = ns.StateMonitor(syn, ["weight", "c"], record=[0], every=1)
    spikes = ns.SpikeMonitor(post)
    net = ns.Network(pre, kick, reward, post, drive, syn, spikes, eligibility)
    net.build(dt=DT * 1e3 * ms, seed=1)
    syn.dopamine = d0 * Hz
    syn.learning = learning
    for part in (split or [steps]):
        net.run(part * DT * 1e3 * ms, backend=backend)
    return syn, spikes.steps.copy(), eligibility


def _closed_form(t_pre, t_post, t_end, d0, rewards, jump, baseline):
    """``w(t_end)``: the tag ``c1 = A+ exp(-(t_post - t_pre)/tau+)`` set at ``t_post``
    (the post trace is 0 at the pre spike: no depression), then ``dw/dt = F c (d - b)``
    with ``d = d0 exp(-t/tau_d)`` plus a jump at each reward, integrated exactly."""
    c1 = A_PLUS * math.exp(-(t_post - t_pre) / TAU_PLUS)
    tau_cd = 1.0 / (1.0 / TAU_C + 1.0 / TAU_D)
    span = t_end - t_post
    total = d0 * math.exp(-t_post / TAU_D) * tau_cd * -math.expm1(-span / tau_cd)
    for t_r in rewards:                       # each after the tag
        total += (jump * math.exp(-(t_r - t_post) / TAU_C) * tau_cd
                  * -math.expm1(-(t_end - t_r) / tau_cd))
    total -= baseline * TAU_C * -math.expm1(-span / TAU_C)
    return W0R + W_MAX * c1 * total, c1 * math.exp(-span / TAU_C)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_weight_follows_the_closed_form_of_tag_and_dopamine(backend):
    # the pre spike at 100 ms, the post spike at 110 ms; dopamine 10 Hz at the start,
    # a reward at 200 ms arriving 1 ms later, a baseline of 1 Hz; 400 ms (8 windows)
    syn, post, mon = _pair(dict(jump=20.0, delay=1 * ms, baseline=1.0), 1000, 1100,
                           reward_steps=[2000], d0=10.0, backend=backend)
    assert post.tolist() == [1100]
    want_w, want_c = _closed_form(0.1, 0.11, 0.4, 10.0, [0.201], 20.0, 1.0)
    assert abs(want_w - W0R) > 1e-4                  # the weight moved by a tenth of a mV
    np.testing.assert_allclose(syn.weight[0], want_w, rtol=1e-12)
    # the monitor samples the same integral along the way, and the tag, at the start
    # of a step (before that step's spikes)
    steps = np.arange(4000)
    for k in (1100, 1101, 1500, 2010, 2011, 3999):
        w, c = _closed_form(0.1, 0.11, k * DT, 10.0, [0.201] if k > 2010 else [], 20.0, 1.0)
        if k <= 1100:
            w, c = W0R, 0.0
        np.testing.assert_allclose(mon.weight[0][steps == k], w, rtol=1e-12, atol=1e-18)
        np.testing.assert_allclose(mon.c[0][steps == k], c, rtol=1e-12, atol=1e-18)


def test_no_tag_no_change_and_post_before_pre_depresses():
    # dopamine without a tag leaves the weight; post before pre tags negatively
    syn, _, _ = _pair(dict(), 1000, 1000 + 10_000, d0=50.0, steps=3000)
    assert syn.weight[0] == W0R
    syn, post, _ = _pair(dict(), 1100, 1000, d0=5.0, steps=3000)
    assert post.tolist() == [1000]
    c = -A_MINUS * math.exp(-0.01 / TAU_MINUS)
    tau_cd = 1.0 / (1.0 / TAU_C + 1.0 / TAU_D)
    want = W0R + W_MAX * c * 5.0 * math.exp(-0.11 / TAU_D) * tau_cd * -math.expm1(
        -(0.3 - 0.11) / tau_cd)
    assert want < W0R - 5e-5
    np.testing.assert_allclose(syn.weight[0], want, rtol=1e-12)
    # a large dip clips at w_min
    syn, _, _ = _pair(dict(), 1100, 1000, d0=50.0, steps=3000)
    assert syn.weight[0] == 0.0


def test_learning_off_and_split_runs():
    args = dict(jump=20.0, delay=1 * ms, baseline=1.0)
    frozen, _, _ = _pair(args, 1000, 1100, [2000], d0=10.0, learning=False)
    assert frozen.weight[0] == W0R
    whole, _, m1 = _pair(args, 1000, 1100, [2000], d0=10.0)
    parts, _, m2 = _pair(args, 1000, 1100, [2000], d0=10.0, split=[1234, 1000, 1766])
    assert whole.weight[0] == parts.weight[0]
    assert np.array_equal(m1.c, m2.c) and np.array_equal(m1.weight, m2.weight)


def _network(n=100, seconds=0.4):
    """LIF neurons, Poisson input, E->E synapses with reward-modulated STDP whose
    dopamine comes from a group of 'dopaminergic' Poisson sources."""
    lif = ns.LIF(tau_m=20 * ms, v_rest=-60 * mV, v_reset=-60 * mV, v_th=-50 * mV,
                 refractory=2 * ms, tau_syn_e=5 * ms, tau_syn_i=10 * ms)
    cells = ns.NeuronGroup(n, lif, v=ns.Uniform(-60 * mV, -50 * mV), name="cells")
    exc, inh = cells[:4 * n // 5], cells[4 * n // 5:]
    noise = ns.PoissonGroup(50, 40 * Hz, name="noise")
    dopa = ns.PoissonGroup(4, 5 * Hz, name="dopamine")
    rule = ns.RewardSTDP(tau_plus=20 * ms, tau_minus=20 * ms, a_plus=0.5, a_minus=0.6,
                         tau_c=80 * ms, tau_d=100 * ms, w_max=3 * mV,
                         dopamine_source=dopa, dopamine_per_spike=40 * Hz,
                         dopamine_delay=2 * ms, baseline=2 * Hz)
    ee = ns.Synapses(exc, exc, kind="excitatory", weight=ns.Uniform(0.5 * mV, 2.5 * mV),
                     connect=ns.FixedProbability(0.2), delay=ns.Uniform(0 * ms, 2 * ms),
                     plasticity=rule, name="ee")
    ie = ns.Synapses(inh, cells, kind="inhibitory", weight=6 * mV,
                     connect=ns.FixedProbability(0.2), delay=1 * ms, name="ie")
    ne = ns.Synapses(noise, cells, kind="excitatory", weight=9 * mV,
                     connect=ns.FixedProbability(0.3), name="ne")
    spikes = ns.SpikeMonitor(cells)
    tags = ns.StateMonitor(ee, ["weight", "c"], record=range(0, 300, 7), every=5)
    return ns.Network(cells, noise, dopa, ee, ie, ne, spikes, tags), ee, spikes, tags


def _run_network(backend, n_threads=None, split=False):
    net, ee, spikes, tags = _network()
    net.build(dt=0.1 * ms, seed=3)
    w0 = ee.weight
    if split:
        net.run(130 * ms, backend=backend)
        net.run(270 * ms, backend=backend)
    else:
        net.run(400 * ms, backend=backend, n_threads=n_threads)
    return spikes.i.copy(), spikes.steps.copy(), ee.weight, tags.c.copy(), w0


def test_numba_equals_numpy_oracle_threads_and_split_runs():
    ref = _run_network("numpy")
    assert ref[0].size > 500                              # the network is active
    assert np.count_nonzero(ref[2] != ref[4]) > 100       # and its weights learned
    assert np.count_nonzero(ref[3]) > 100                 # with tags of both signs
    assert (ref[3] < 0).any() and (ref[3] > 0).any()
    for got in (_run_network("numba"), _run_network("numba", n_threads=2),
                _run_network("numba", split=True)):
        for a, b in zip(got[:4], ref[:4]):
            assert np.array_equal(a, b)


def test_store_restore_and_checkpoint_continue(tmp_path):
    net, ee, spikes, _ = _network()
    net.build(dt=0.1 * ms, seed=3)
    net.run(150 * ms)
    net.store("mid")
    path = tmp_path / "mid.npz"
    net.store(filename=str(path))
    level = ee.dopamine
    net.run(250 * ms)
    want = ee.weight, spikes.i.copy()
    net.restore("mid")
    assert ee.dopamine == level
    net.run(250 * ms)
    assert np.array_equal(ee.weight, want[0]) and np.array_equal(spikes.i, want[1])
    other, ee2, spikes2, _ = _network()
    other.build(dt=0.1 * ms, seed=3)
    other.restore(filename=str(path))
    other.run(250 * ms)
    assert np.array_equal(ee2.weight, want[0])


def test_dopamine_set_between_runs_and_weights_set_then_integrate():
    syn, _, _ = _pair(dict(), 1000, 1100, d0=0.0, steps=1500)
    assert syn.weight[0] == W0R                     # tagged, but no dopamine yet
    net = syn._network
    syn.dopamine = 30 * Hz
    assert syn.dopamine == 30.0
    net.run(100 * ms)
    c1 = A_PLUS * math.exp(-0.01 / TAU_PLUS)
    tau_cd = 1.0 / (1.0 / TAU_C + 1.0 / TAU_D)
    grown = W_MAX * c1 * math.exp(-0.04 / TAU_C) * 30.0 * tau_cd * -math.expm1(-0.1 / tau_cd)
    np.testing.assert_allclose(syn.weight[0], W0R + grown, rtol=1e-12)
    # a weight set between runs is the start of the next integral
    syn.weight = 0.5 * mV
    assert syn.weight[0] == np.rint(0.5e-3 * 2.0**40) / 2.0**40
    assert syn.dopamine < 30.0 * math.exp(-0.1 / TAU_D) * 1.0001


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="tau_c"):
        _rule(tau_c=-1 * ms)
    with pytest.raises(TypeError, match="dopamine_source"):
        _rule(source="striatum")
    with pytest.raises(TypeError, match="dopamine_per_spike"):
        _rule(dopamine_per_spike=1 * mV)
    cells = ns.NeuronGroup(5, ns.LIF(10 * ms, -70 * mV, -70 * mV, -50 * mV))
    stray = ns.PoissonGroup(2, 5 * Hz, name="stray")
    syn = ns.Synapses(cells, cells, kind="excitatory", weight=0.5 * mV,
                      connect=ns.AllToAll(), plasticity=_rule(source=stray))
    with pytest.raises(ValueError, match="dopamine_source='stray' is not part of the network"):
        ns.Network(cells, syn).build(dt=0.1 * ms, seed=0)
    plain = ns.Synapses(cells, cells, kind="excitatory", weight=0.5 * mV,
                        connect=ns.AllToAll(), plasticity=ns.STDP(
                            tau_plus=20 * ms, tau_minus=20 * ms, a_plus=0.1, a_minus=0.1,
                            w_max=1 * mV))
    with pytest.raises(ValueError, match="no reward-modulated rule"):
        plain.dopamine = 1 * Hz
    with pytest.raises(ValueError, match="dopamine_delay=0.05 ms is not a whole number"):
        ns.Network(cells, ns.Synapses(
            cells, cells, kind="excitatory", weight=0.5 * mV, connect=ns.AllToAll(),
            plasticity=_rule(source=cells, delay=0.05 * ms))).build(dt=0.1 * ms, seed=0)


def test_brian2_export_says_why_not():
    pytest.importorskip("brian2")
    from neurosim.interop.brian2 import to_brian2
    net, _, _, _ = _network()
    with pytest.raises(NotImplementedError, match="does not export RewardSTDP"):
        to_brian2(net, dt=0.1 * ms, seed=0)
