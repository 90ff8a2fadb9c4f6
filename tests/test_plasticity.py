"""Spike-timing-dependent plasticity (``ns.STDP``) against its analytic window, the numpy
oracle, Brian2, and its promises about state (continued runs, store/restore,
checkpoints, learning switched off) and bad input."""
import numpy as np
import pytest

import neurosim as ns
from neurosim.units import Hz, ms, mV

TAU_PLUS, TAU_MINUS, A_PLUS, A_MINUS = 16.8e-3, 33.7e-3, 0.01, 0.0105
W_MAX, W0 = 2e-3, 1e-3
DT = 0.1e-3
W0R = np.rint(W0 * 2.0**40) / 2.0**40        # as built: on the grid of the input sums


def _rule(**kw):
    args = dict(tau_plus=TAU_PLUS * 1e3 * ms, tau_minus=TAU_MINUS * 1e3 * ms, a_plus=A_PLUS,
                a_minus=A_MINUS, w_max=W_MAX * 1e3 * mV)
    return ns.STDP(**{**args, **kw})


def _pairing(rule, pre_steps, post_steps, backend="numba"):
    """One pre source and one post neuron per row of ``pre_steps``/``post_steps``
    (steps of the spikes they should fire); the post neuron is made to fire by a
    strong delta-synapse kick one step earlier. Returns the final weights and the
    recorded pre and post spike steps per pair."""
    k = len(pre_steps)
    pre_i = np.concatenate([[j] * len(s) for j, s in enumerate(pre_steps)]).astype(int)
    pre_t = np.concatenate([np.asarray(s, float) for s in pre_steps]) * DT
    kick_i = np.concatenate([[j] * len(s) for j, s in enumerate(post_steps)]).astype(int)
    kick_t = (np.concatenate([np.asarray(s, float) for s in post_steps]) - 1) * DT
    pre = ns.SpikeGeneratorGroup(k, pre_i, pre_t * 1e3 * ms, name="pre")
    kick = ns.SpikeGeneratorGroup(k, kick_i, kick_t * 1e3 * ms, name="kick")
    post = ns.NeuronGroup(k, ns.LIF(tau_m=10 * ms, v_rest=-70 * mV, v_reset=-70 * mV,
                                    v_th=-50 * mV, refractory=0 * ms), name="post")
    drive = ns.Synapses(kick, post, kind="excitatory", weight=40 * mV, connect=ns.OneToOne())
    syn = ns.Synapses(pre, post, kind="excitatory", weight=W0 * 1e3 * mV,
                      connect=ns.OneToOne(), plasticity=rule)
    mon_pre, mon_post = ns.SpikeMonitor(pre), ns.SpikeMonitor(post)
    net = ns.Network(pre, kick, post, drive, syn, mon_pre, mon_post)
    last = max(np.max(np.concatenate([pre_t, kick_t])) / DT, 0)
    net.run((last + 20) * DT * 1e3 * ms, dt=DT * 1e3 * ms, seed=1, backend=backend)
    order = np.argsort(syn.j)
    pre_sp = [mon_pre.steps[mon_pre.i == j] for j in range(k)]
    post_sp = [mon_post.steps[mon_post.i == j] for j in range(k)]
    return syn.weight[order], pre_sp, post_sp


def _window(lag_steps, span_plus, span_minus):
    lag = lag_steps * DT
    return np.where(lag >= 0, A_PLUS * span_plus * np.exp(-lag / TAU_PLUS),
                    -A_MINUS * span_minus * np.exp(lag / TAU_MINUS))


@pytest.mark.parametrize("dependence", ["additive", "multiplicative"])
def test_pairing_reproduces_the_window(dependence):
    lags = np.arange(-1000, 1001, 50)            # -100 ms to +100 ms, post - pre
    pre = [[1500] for _ in lags]
    post = [[1500 + lag] for lag in lags]
    w, pre_sp, post_sp = _pairing(_rule(weight_dependence=dependence), pre, post)
    # the spikes happened where they were meant to, once each
    assert all(p.tolist() == [1500] for p in pre_sp)
    assert [q.tolist() for q in post_sp] == post
    if dependence == "additive":
        span_plus = span_minus = W_MAX
    else:
        span_plus, span_minus = W_MAX - W0R, W0R
    want = W0R + _window(lags, span_plus, span_minus)
    np.testing.assert_allclose(w, want, rtol=1e-13, atol=0)
    assert (w > W0).sum() == (lags >= 0).sum() and (w < W0).sum() == (lags < 0).sum()


@pytest.mark.parametrize("pairing", ["all", "nearest"])
def test_pairing_schemes(pairing):
    # two presynaptic spikes 10 and 4 ms before one postsynaptic spike, then a second
    # postsynaptic spike 6 ms later: all-to-all sums over the pairs, nearest takes the
    # latest pre spike only (and the second post spike pairs with it again)
    w, _, post_sp = _pairing(_rule(pairing=pairing), [[1000, 1060]], [[1100, 1160]])
    assert post_sp[0].tolist() == [1100, 1160]
    e = lambda steps: np.exp(-steps * DT / TAU_PLUS)     # noqa: E731
    d = lambda steps: np.exp(-steps * DT / TAU_MINUS)    # noqa: E731
    if pairing == "all":
        x_pre = [e(100) + e(40), e(160) + e(100)]
    else:
        x_pre = [e(40), e(100)]
    # the second pre spike meets no post trace yet: no depression
    assert d(0) == 1.0
    want = W0R + A_PLUS * W_MAX * x_pre[0] + A_PLUS * W_MAX * x_pre[1]
    np.testing.assert_allclose(w[0], want, rtol=1e-13)


def _recurrent(delay=ns.Uniform(0 * ms, 2 * ms), n=120, seconds=0.3):
    lif = ns.LIF(tau_m=20 * ms, v_rest=-60 * mV, v_reset=-60 * mV, v_th=-50 * mV,
                 refractory=2 * ms, tau_syn_e=5 * ms, tau_syn_i=10 * ms)
    cells = ns.NeuronGroup(n, lif, v=ns.Uniform(-60 * mV, -50 * mV), name="cells")
    exc, inh = cells[:4 * n // 5], cells[4 * n // 5:]
    noise = ns.PoissonGroup(50, 40 * Hz, name="noise")
    rule = ns.STDP(tau_plus=20 * ms, tau_minus=20 * ms, a_plus=0.01, a_minus=0.012,
                   w_max=3 * mV, weight_dependence="multiplicative")
    ee = ns.Synapses(exc, exc, kind="excitatory", weight=ns.Uniform(0.5 * mV, 2.5 * mV),
                     connect=ns.FixedProbability(0.2), delay=delay, plasticity=rule, name="ee")
    ie = ns.Synapses(inh, cells, kind="inhibitory", weight=6 * mV,
                     connect=ns.FixedProbability(0.2), delay=1 * ms,
                     plasticity=ns.TsodyksMarkram(U=0.4, tau_rec=150 * ms), name="ie")
    facilitating = ns.TsodyksMarkram(U=0.5, tau_rec=40 * ms, tau_facil=100 * ms)
    triplet = ns.TripletSTDP(tau_plus=10 * ms, tau_minus=30 * ms, tau_x=100 * ms,
                             tau_y=120 * ms, a2_plus=0.01, a3_plus=0.02, a2_minus=0.01,
                             a3_minus=0.001, w_max=12 * mV, pairing="nearest")
    ne = ns.Synapses(noise, cells, kind="excitatory", weight=9 * mV,
                     connect=ns.FixedProbability(0.3), plasticity=(facilitating, triplet),
                     name="ne")
    spikes = ns.SpikeMonitor(cells)
    return ns.Network(cells, noise, ee, ie, ne, spikes), (ee, ne, ie), spikes


def _run_recurrent(backend, n_threads=None, split=False):
    net, plastic, spikes = _recurrent()
    net.build(dt=0.1 * ms, seed=7)
    if split:
        net.run(0.1 * 1e3 * ms, backend=backend)
        net.run(0.2 * 1e3 * ms, backend=backend)
    else:
        net.run(0.3 * 1e3 * ms, backend=backend, n_threads=n_threads)
    return spikes.i.copy(), spikes.steps.copy(), [s.weight for s in plastic]


def test_numba_equals_numpy_oracle():
    i0, t0, w0 = _run_recurrent("numpy")
    assert i0.size > 200                     # the network is active
    for n_threads, split in [(1, False), (2, False), (1, True)]:
        i1, t1, w1 = _run_recurrent("numba", n_threads=n_threads, split=split)
        assert np.array_equal(i0, i1) and np.array_equal(t0, t1)
        for a, b in zip(w0, w1):
            assert np.array_equal(a, b)
    # the weights changed, in both directions, within their bounds
    ee = w0[0]
    assert 0 <= ee.min() and ee.max() <= 3e-3


@pytest.mark.brian2
@pytest.mark.parametrize("delay", ["heterogeneous", "uniform"])
def test_brian2_gives_the_same_spikes_and_weights(delay):
    # one delay for E->E: its traces are kept per neuron (kernels.neuron_traces),
    # Brian2 keeps them per synapse
    from neurosim.interop.brian2 import to_brian2
    net, (ee, ne, ie), spikes = _recurrent(**({"delay": 1 * ms} if delay == "uniform" else {}))
    net.build(dt=0.1 * ms, seed=7)
    assert (net._arrays.plastic.slot[ee._rule_row] >= 0) == (delay == "uniform")
    start = [ee.weight, ne.weight]
    exported = to_brian2(net)
    net.run(300 * ms)
    exported.run(300 * ms)
    theirs = exported.recording(spikes)
    assert spikes.i.size > 200
    assert np.array_equal(theirs.i, spikes.i) and np.array_equal(theirs.steps, spikes.steps)
    for s, w in zip((ee, ne), start):
        b2w = np.asarray(exported.synapses[s].w_[:])
        assert not np.allclose(s.weight, w)              # learning happened
        np.testing.assert_allclose(b2w, s.weight, rtol=1e-12, atol=1e-18)


def test_learning_off_keeps_weights_and_store_restore_continues():
    net, (ee, ne, _), spikes = _recurrent()
    net.build(dt=0.1 * ms, seed=7)
    net.run(100 * ms)
    net.store()
    before = ee.weight
    ee.learning = False
    net.run(50 * ms)
    assert np.array_equal(ee.weight, before) and not ne.learning is False
    ee.learning = True
    net.run(50 * ms)
    assert not np.array_equal(ee.weight, before)
    after, n_after = ee.weight, spikes.i.size
    net.restore()
    assert np.array_equal(ee.weight, before) and ee.learning
    ee.learning = False
    net.run(50 * ms)
    ee.learning = True
    net.run(50 * ms)
    assert np.array_equal(ee.weight, after) and spikes.i.size == n_after


def test_checkpoint_file_keeps_plastic_state(tmp_path):
    path = tmp_path / "state.npz"
    net, (ee, _, _), spikes = _recurrent()
    net.build(dt=0.1 * ms, seed=7)
    net.run(100 * ms)
    net.store(filename=path)
    net.run(100 * ms)
    want = ee.weight
    net2, (ee2, _, _), _ = _recurrent()
    net2.build(dt=0.1 * ms, seed=7)
    net2.restore(filename=path)
    net2.run(100 * ms)
    assert np.array_equal(ee2.weight, want)


def test_setting_weights_between_runs():
    net, (ee, _, _), _ = _recurrent()
    net.build(dt=0.1 * ms, seed=7)
    ee.weight = 1 * mV
    assert np.all(ee.weight == W0R)
    with pytest.raises(ValueError, match=r"outside the rule's bounds"):
        ee.weight = 5 * mV
    assert np.all(ee.weight == W0R)


@pytest.mark.parametrize("w_max", [1.0, 0.3, 0.123456789])
def test_a_weight_at_w_max_is_accepted_whatever_its_fixed_point_rounding(w_max):
    """Weights are rounded to fixed point (2**-40 V steps) at the build and when set; a
    weight at a bound that is not on that grid was refused as beyond it (1 mV was)."""
    src = ns.PoissonGroup(10, 50 * Hz)
    cell = ns.NeuronGroup(1, ns.LIF(tau_m=10 * ms, v_rest=0 * mV, v_reset=0 * mV,
                                    v_th=10 * mV, tau_syn_e=5 * ms, tau_syn_i=5 * ms))
    rule = ns.STDP(tau_plus=20 * ms, tau_minus=20 * ms, a_plus=0.01, a_minus=0.0105,
                   w_max=w_max * mV)
    syn = ns.Synapses(src, cell, kind="excitatory", weight=w_max * mV, connect=ns.AllToAll(),
                      plasticity=rule)
    net = ns.Network(src, cell, syn)
    net.build(dt=0.1 * ms, seed=1)
    np.testing.assert_allclose(syn.weight, w_max * 1e-3, rtol=0, atol=2.0 ** -40)
    assert syn.weight.max() <= rule.w_max
    syn.weight = w_max * mV
    assert syn.weight.max() <= rule.w_max
    with pytest.raises(ValueError, match="outside the rule's bounds"):
        syn.weight = w_max * 1.001 * mV


def test_bad_input_is_refused():
    cells = ns.NeuronGroup(4, ns.LIF(tau_m=10 * ms, v_rest=-70 * mV, v_reset=-70 * mV,
                                     v_th=-50 * mV))
    with pytest.raises(ValueError, match="tau_plus"):
        ns.STDP(tau_plus=-1 * ms, tau_minus=20 * ms, a_plus=0.01, a_minus=0.01, w_max=1 * mV)
    with pytest.raises(ValueError, match="a_minus"):
        ns.STDP(tau_plus=1 * ms, tau_minus=20 * ms, a_plus=0.01, a_minus=-0.01, w_max=1 * mV)
    with pytest.raises(ValueError, match="pairing"):
        ns.STDP(tau_plus=1 * ms, tau_minus=20 * ms, a_plus=0.01, a_minus=0.01, w_max=1 * mV,
                pairing="first")
    wrong = ns.STDP(tau_plus=1 * ms, tau_minus=2 * ms, a_plus=0.1, a_minus=0.1,
                    w_min=2 * mV, w_max=1 * mV)
    with pytest.raises(ValueError, match=r"w_min=2. \* mvolt is above w_max"):
        ns.Synapses(cells, cells, kind="excitatory", weight=1 * mV, connect=ns.AllToAll(),
                    plasticity=wrong)
    signed = ns.STDP(tau_plus=1 * ms, tau_minus=2 * ms, a_plus=0.1, a_minus=0.1,
                     w_min=-1 * mV, w_max=1 * mV)
    with pytest.raises(ValueError, match="cannot change sign"):
        ns.Synapses(cells, cells, kind="excitatory", weight=1 * mV, connect=ns.AllToAll(),
                    plasticity=signed)
    unitless = ns.STDP(tau_plus=1 * ms, tau_minus=2 * ms, a_plus=0.1, a_minus=0.1, w_max=1)
    with pytest.raises(TypeError, match="w_max"):
        ns.Synapses(cells, cells, kind="excitatory", weight=1 * mV, connect=ns.AllToAll(),
                    plasticity=unitless)
    rule = ns.STDP(tau_plus=1 * ms, tau_minus=2 * ms, a_plus=0.1, a_minus=0.1, w_max=1 * mV)
    syn = ns.Synapses(cells, cells, kind="excitatory", weight=3 * mV, connect=ns.AllToAll(),
                      plasticity=rule)
    with pytest.raises(ValueError, match=r"initial weight \(0.003\) lies outside"):
        ns.Network(cells, syn).build(dt=0.1 * ms, seed=0)
    static = ns.Synapses(cells, cells, kind="excitatory", weight=1 * mV, connect=ns.AllToAll())
    with pytest.raises(ValueError, match="has no long-term plasticity rule"):
        static.learning = False


# ------------------------------------------------------ short-term plasticity
@pytest.mark.parametrize("U, tau_rec, tau_facil", [(0.5, 800e-3, 0.0),       # depressing
                                                   (0.03, 130e-3, 530e-3)])  # facilitating
def test_tsodyks_markram_recursion_for_a_regular_train(U, tau_rec, tau_facil):
    period, n_spikes, w = 25e-3, 12, 1e-3
    times = (np.arange(n_spikes) * period + 5e-3) * 1e3 * ms
    pre = ns.SpikeGeneratorGroup(1, np.zeros(n_spikes, int), times)
    # a membrane that barely leaks (tau_m = 1e9 s) and never fires: v sums the input
    post = ns.NeuronGroup(1, ns.LIF(tau_m=1e12 * ms, v_rest=0 * mV, v_reset=0 * mV,
                                    v_th=1e6 * mV), v=0 * mV)
    syn = ns.Synapses(pre, post, kind="excitatory", weight=w * 1e3 * mV, connect=ns.AllToAll(),
                      plasticity=ns.TsodyksMarkram(U=U, tau_rec=tau_rec * 1e3 * ms,
                                                   tau_facil=tau_facil * 1e3 * ms))
    trace = ns.StateMonitor(post, "v", record=[0])
    net = ns.Network(pre, post, syn, trace)
    net.run((n_spikes * period + 10e-3) * 1e3 * ms, dt=0.1 * ms, seed=0)
    v = trace.v[0]
    steps = np.rint(np.asarray(times / ms) * 1e-3 / DT).astype(int)
    got = v[steps + 1] - v[steps]             # the jump of the step each spike arrives in
    # the recursion (NEST's tsodyks2_synapse), from a rested synapse (R = 1, u = 0)
    want, u, R = [], 0.0, 1.0
    for k in range(n_spikes):
        if k:
            u = u * np.exp(-period / tau_facil) if tau_facil > 0 else 0.0
            R = 1 - (1 - R) * np.exp(-period / tau_rec)
        u = u + U * (1 - u)
        want.append(W0R_of(w) * u * R)
        R = R - u * R
    # delivered in fixed point: each jump within one unit (2**-40 V) of the recursion's
    np.testing.assert_allclose(got, want, rtol=0, atol=2.0**-40)
    ratio = got[-1] / got[0]
    assert ratio < 0.5 if tau_facil == 0 else ratio > 2     # depresses / facilitates


def W0R_of(w):
    return np.rint(w * 2.0**40) / 2.0**40


# ------------------------------------------------------------- triplet rule
def _triplet_reference(rule, pre_times, post_times):
    """The triplet rule event by event in plain Python (the oracle): the weight change,
    as a fraction of the range, for spike times in seconds (pre before post at ties)."""
    events = sorted([(t, 0) for t in pre_times] + [(t, 1) for t in post_times])
    r1 = r2 = o1 = o2 = 0.0
    dw, last = 0.0, 0.0
    for t, post in events:
        e = t - last
        r1, r2 = r1 * np.exp(-e / rule.tau_plus), r2 * np.exp(-e / rule.tau_x)
        o1, o2 = o1 * np.exp(-e / rule.tau_minus), o2 * np.exp(-e / rule.tau_y)
        last = t
        if post:
            dw += r1 * (rule.a2_plus + rule.a3_plus * o2)
            o1, o2 = o1 + 1, o2 + 1
        else:
            dw -= o1 * (rule.a2_minus + rule.a3_minus * r2)
            r1, r2 = r1 + 1, r2 + 1
    return dw


def test_triplet_frequency_dependence():
    # Sjöström et al. (2001)'s protocol as Pfister & Gerstner (2006) fit it: 60 pairings
    # at 0.1 to 50 Hz, the postsynaptic spike 10 ms after (+) or before (-) the
    # presynaptic one; the minimal all-to-all visual cortex model
    # (amplitudes scaled by 1/10, the window unchanged: 60 pairings then keep the weight
    # inside its bounds, and the changes are a tenth of the model's)
    vc = ns.TripletSTDP.visual_cortex(w_max=W_MAX * 1e3 * mV)
    rule = ns.TripletSTDP(vc.tau_plus * 1e3 * ms, vc.tau_minus * 1e3 * ms, vc.tau_x * 1e3 * ms,
                          vc.tau_y * 1e3 * ms, vc.a2_plus / 10, vc.a3_plus / 10,
                          vc.a2_minus / 10, vc.a3_minus / 10, w_max=W_MAX * 1e3 * mV)
    rates, n_pairs = [0.1, 10.0, 20.0, 40.0, 50.0], 60
    pre, post, want = [], [], []
    for rate in rates:
        for lag in (+100, -100):                 # steps of 0.1 ms
            base = 1000 + np.arange(n_pairs) * int(round(1 / rate / DT))
            pre.append(base.tolist())
            post.append((base + lag).tolist())
            want.append(_triplet_reference(rule._bind(_lif(), "x"), base * DT,
                                           (base + lag) * DT))
    w, pre_sp, post_sp = _pairing(rule, pre, [list(p) for p in post])
    assert [q.tolist() for q in post_sp] == post
    got = (w - W0R) / W_MAX
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-14)
    plus, minus = got[0::2], got[1::2]
    # the data's signature: post-before-pre depresses at low rates, and both orders
    # potentiate at 50 Hz, with potentiation growing with the rate
    assert minus[0] < 0 and plus[-1] > 0 and minus[-1] > 0
    assert np.all(np.diff(plus) > 0)


def _lif():
    return ns.LIF(tau_m=10 * ms, v_rest=-70 * mV, v_reset=-70 * mV, v_th=-50 * mV)


# --------------------------------------------------- monitors of synaptic variables
def test_monitor_records_weights_and_decayed_traces():
    # one pairing: a pre spike at step 100, the post neuron fires at step 300; the trace
    # x_pre decays from 1 after the pre spike, the weight jumps at the post spike
    pre = ns.SpikeGeneratorGroup(1, [0], [10] * ms, name="pre")
    kick = ns.SpikeGeneratorGroup(1, [0], [29.9] * ms, name="kick")
    post = ns.NeuronGroup(1, _lif(), name="post")
    drive = ns.Synapses(kick, post, kind="excitatory", weight=40 * mV, connect=ns.OneToOne())
    syn = ns.Synapses(pre, post, kind="excitatory", weight=W0 * 1e3 * mV,
                      connect=ns.OneToOne(), plasticity=_rule())
    mon = ns.StateMonitor(syn, ["weight", "x_pre", "x_post"], every=10)
    net = ns.Network(pre, kick, post, drive, syn, mon)
    net.run(50 * ms, dt=0.1 * ms, seed=0)
    t = mon.t
    assert mon.weight.shape == (1, 50) and np.allclose(t, np.arange(50) * 1e-3)
    after = t > 10e-3 + 1e-9
    np.testing.assert_allclose(mon.x_pre[0][after],
                               np.exp(-(t[after] - 10e-3) / TAU_PLUS), rtol=1e-12)
    assert np.all(mon.x_pre[0][~after] == 0)
    fired = t > 30e-3 + 1e-9
    np.testing.assert_allclose(mon.x_post[0][fired], np.exp(-(t[fired] - 30e-3) / TAU_MINUS),
                               rtol=1e-12)
    want = W0R + A_PLUS * W_MAX * np.exp(-20e-3 / TAU_PLUS)
    assert np.all(mon.weight[0][~fired] == W0R)
    np.testing.assert_allclose(mon.weight[0][fired], want, rtol=1e-13)
    assert mon.weight[0][-1] == syn.weight[0]


def test_monitor_of_synapses_numpy_numba_and_brian2():
    from neurosim.interop.brian2 import to_brian2
    recorded = {}
    for backend in ("numpy", "numba", "brian2"):
        net, (ee, ne, ie), spikes = _recurrent()
        mons = [ns.StateMonitor(ee, ["weight", "x_pre"], record=[0, 5, 17], every=7),
                ns.StateMonitor(ne, ["weight", "r2", "u", "R"], record=[3, 4], every=5),
                ns.StateMonitor(ie, "R", record=[1, 2])]
        net = ns.Network(*net.objects, *mons)
        net.build(dt=0.1 * ms, seed=7)
        if backend == "brian2":
            exported = to_brian2(net)
            exported.run(100 * ms)
            recorded[backend] = [exported.recording(m).weight for m in mons[:2]]
            continue
        net.run(100 * ms, backend=backend)
        recorded[backend + "_all"] = [[getattr(m, v) for v in m.variables] for m in mons]
    for a, b in zip(recorded["numpy_all"], recorded["numba_all"]):
        for x, y in zip(a, b):
            assert x.shape[1] > 10 and np.array_equal(x, y)
    w_ee = recorded["numba_all"][0][0]
    assert not np.all(w_ee == w_ee[:, :1])                  # the weights changed
    for ours, theirs in zip(recorded["numba_all"][:2], recorded["brian2"]):
        np.testing.assert_allclose(theirs, ours[0], rtol=1e-12, atol=1e-18)


def test_monitor_of_synapses_refuses_what_it_cannot_record():
    cells = ns.NeuronGroup(4, _lif())
    static = ns.Synapses(cells, cells, kind="excitatory", weight=1 * mV, connect=ns.AllToAll())
    with pytest.raises(ValueError, match="has no plasticity"):
        ns.StateMonitor(static, "weight")
    plastic = ns.Synapses(cells, cells, kind="excitatory", weight=1 * mV,
                          connect=ns.AllToAll(), plasticity=_rule())
    with pytest.raises(ValueError, match=r"'u', which the synapses .* have \['weight', "
                                         r"'x_post', 'x_pre'\]"):
        ns.StateMonitor(plastic, "u")
    with pytest.raises(TypeError, match="StateMonitor records the variables"):
        ns.SpikeMonitor(plastic)
    mon = ns.StateMonitor(plastic, "weight", record=[16])
    with pytest.raises(IndexError, match="record contains 16"):
        ns.Network(cells, plastic, mon).build(dt=0.1 * ms, seed=0)


def test_transmission_after_the_depression():
    # transmit_first=False (NEST, PyNN): the arriving spike sends the depressed weight;
    # numpy, numba and Brian2 agree, and the spikes differ from transmit_first=True
    from neurosim.interop.brian2 import to_brian2
    results = {}
    for first in (True, False):
        for backend in ("numpy", "numba", "brian2"):
            net, (ee, ne, ie), spikes = _recurrent()
            ee.plasticity.transmit_first = first
            net.build(dt=0.1 * ms, seed=7)
            if backend == "brian2":
                exported = to_brian2(net)
                exported.run(100 * ms)
                rec = exported.recording(spikes)
                w = np.asarray(exported.synapses[ee].w_[:])
                results[first, backend] = (rec.i, rec.steps, w)
                continue
            net.run(100 * ms, backend=backend)
            results[first, backend] = (spikes.i.copy(), spikes.steps.copy(), ee.weight)
    for first in (True, False):
        ref = results[first, "numpy"]
        assert ref[0].size > 200
        for backend in ("numba", "brian2"):
            got = results[first, backend]
            assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1])
            np.testing.assert_allclose(got[2], ref[2], rtol=1e-12, atol=1e-18)
    assert not np.array_equal(results[True, "numpy"][0], results[False, "numpy"][0])


def _report(seconds=10.0):
    """The 10 s comparisons of docs/validation.md ("Plastic synapses"): Song et al.
    (2000) and the recurrent network above, with drawn delays on E->E (traces per
    synapse) and with one (per neuron), neurosim (numba) against Brian2 (numpy
    target) from the same built network; prints spikes, the first divergence and the
    largest weight difference."""
    import time
    from neurosim.interop.brian2 import to_brian2
    from test_song2000 import song
    print("| network | simulated | spikes (neurosim / Brian2) | first divergence "
          "| max \\|w_neurosim - w_Brian2\\| / w_max | synapses that moved | Brian2 run time |")
    print("|---|---|---|---|---|---|---|")
    cases = (("Song et al. 2000: 1000 Poisson inputs, one LIF, STDP", song, 3, 0.6e-3),
             ("recurrent E/I, N = 120: STDP on E->E, triplet + facilitation on input, "
              "depression on I->all", lambda: _recurrent(seconds=seconds), 7, 3e-3),
             ("the same with one E->E delay (1 ms): its traces per neuron",
              lambda: _recurrent(delay=1 * ms, seconds=seconds), 7, 3e-3))
    for label, make, seed, w_max in cases:
        made = make()
        net, spikes = made[0], made[-1]
        plastic = [s for s in net.synapses if s.plasticity is not None]
        net.build(dt=0.1 * ms, seed=seed)
        start = [s.weight for s in plastic]
        exported = to_brian2(net)
        t0 = time.perf_counter()
        exported.run(seconds * 1e3 * ms)
        b2_time = time.perf_counter() - t0
        net.run(seconds * 1e3 * ms)
        theirs = exported.recording(spikes)
        n = min(theirs.steps.size, spikes.steps.size)
        differ = np.flatnonzero((theirs.steps[:n] != spikes.steps[:n])
                                | (theirs.i[:n] != spikes.i[:n]))
        first = "none" if differ.size == 0 and theirs.steps.size == spikes.steps.size else \
            f"{(spikes.steps[differ[0]] if differ.size else spikes.steps[n - 1]) * 0.1:g} ms"
        dw = max(float(np.max(np.abs(np.asarray(exported.synapses[s].w_[:]) - s.weight)))
                 for s in plastic)
        moved = sum(int(np.count_nonzero(np.abs(s.weight - w) > 1e-3 * w_max))
                    for s, w in zip(plastic, start))
        print(f"| {label} | {seconds:g} s | {spikes.i.size} / {theirs.i.size} | {first} "
              f"| {dw / w_max:.1e} | {moved} | {b2_time:.0f} s |", flush=True)


if __name__ == "__main__":
    import sys
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    _report()
