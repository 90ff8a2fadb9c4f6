"""Connection rules, weight and delay distributions, checked on built networks.

Counts and degrees that a rule fixes are checked exactly; counts that are
random are checked against their binomial distribution with a 5-sigma band,
so that a correct rule fails with probability below 1e-6 per check. The
networks are built (not run) with ``Network.build(dt, seed)`` and the drawn
synapses read back from ``Synapses.i``, ``.j``, ``.weight`` and ``.delay``.
"""
from math import erf, exp, pi, sqrt

import numpy as np
import pytest

import neurosim as ns
from neurosim.units import mV, ms, second

DT = 0.1 * ms
Z = 5.0                                  # width of the statistical bands, in sigmas


def _model():
    return ns.LIF(tau_m=10 * ms, v_rest=-70 * mV, v_reset=-75 * mV, v_th=-50 * mV)


def _groups(n_pre, n_post):
    return ns.NeuronGroup(n_pre, _model(), name="pre"), ns.NeuronGroup(n_post, _model(),
                                                                       name="post")


def _build(pre, post, connect, seed=1, **kwargs):
    """Build one projection ``pre -> post`` and return it."""
    args = dict(kind="excitatory", weight=1 * mV)
    args.update(kwargs)
    syn = ns.Synapses(pre, post, connect=connect, **args)
    roots = {id(p.root): p.root for p in (pre, post)}
    ns.Network(*roots.values(), syn).build(dt=DT, seed=seed)
    return syn


def _project(n_pre, n_post, connect, seed=1, **kwargs):
    pre, post = _groups(n_pre, n_post)
    return _build(pre, post, connect, seed=seed, **kwargs)


def _assert_in_range(syn, n_pre, n_post):
    assert syn.i.dtype.kind in "iu" and syn.j.dtype.kind in "iu"
    assert syn.i.size == syn.j.size == syn.weight.size == syn.delay.size
    if syn.i.size:
        assert 0 <= syn.i.min() and syn.i.max() < n_pre
        assert 0 <= syn.j.min() and syn.j.max() < n_post


def _assert_binomial(count, n, p):
    mean, sd = n * p, sqrt(n * p * (1 - p))
    assert abs(count - mean) <= Z * sd + 1e-9, (count, mean, sd)


def _pairs(syn):
    return syn.i.astype(np.int64) * 1_000_003 + syn.j


# ------------------------------------------------------------------ AllToAll
def test_all_to_all_makes_every_pair_once():
    syn = _project(7, 5, ns.AllToAll())
    _assert_in_range(syn, 7, 5)
    pairs = set(zip(syn.i.tolist(), syn.j.tolist()))
    assert syn.n_synapses == 35 and pairs == {(a, b) for a in range(7) for b in range(5)}


def test_all_to_all_without_autapses_on_itself():
    g = ns.NeuronGroup(9, _model())
    syn = _build(g, g, ns.AllToAll(allow_autapses=False))
    assert syn.n_synapses == 9 * 8
    assert not np.any(syn.i == syn.j)
    assert np.unique(_pairs(syn)).size == 72


def test_all_to_all_keeps_autapses_by_default():
    g = ns.NeuronGroup(6, _model())
    syn = _build(g, g, ns.AllToAll())
    assert syn.n_synapses == 36 and np.count_nonzero(syn.i == syn.j) == 6


def test_all_to_all_subgroup_onto_parent_excludes_self_connections():
    g = ns.NeuronGroup(10, _model())
    src = g[3:7]
    syn = _build(src, g, ns.AllToAll(allow_autapses=False))
    _assert_in_range(syn, 4, 10)
    assert syn.n_synapses == 4 * 10 - 4
    assert not np.any(syn.i + 3 == syn.j)         # global indices never coincide


def test_all_to_all_between_disjoint_slices_keeps_all_pairs():
    # the same root, but no neuron is in both slices: nothing to exclude
    g = ns.NeuronGroup(10, _model())
    syn = _build(g[:4], g[4:], ns.AllToAll(allow_autapses=False))
    assert syn.n_synapses == 24


def test_all_to_all_overlapping_slices_exclude_only_shared_neurons():
    g = ns.NeuronGroup(10, _model())
    syn = _build(g[2:6], g[4:9], ns.AllToAll(allow_autapses=False))
    assert syn.n_synapses == 4 * 5 - 2               # neurons 4 and 5 are in both
    assert not np.any(syn.i + 2 == syn.j + 4)


# ------------------------------------------------------------------ OneToOne
def test_one_to_one_pairs_equal_indices():
    syn = _project(6, 6, ns.OneToOne())
    np.testing.assert_array_equal(syn.i, np.arange(6))
    np.testing.assert_array_equal(syn.j, np.arange(6))


# ---------------------------------------------------------- FixedProbability
@pytest.mark.parametrize("p", [0.01, 0.1, 0.5, 0.93])
def test_fixed_probability_count_is_binomial(p):
    n_pre, n_post = 300, 200
    syn = _project(n_pre, n_post, ns.FixedProbability(p), seed=3)
    _assert_in_range(syn, n_pre, n_post)
    _assert_binomial(syn.n_synapses, n_pre * n_post, p)
    assert np.unique(_pairs(syn)).size == syn.n_synapses          # no multapses
    # pairs are spread uniformly: each quarter of the pair space holds its share
    quarter = (syn.i >= n_pre // 2) * 2 + (syn.j >= n_post // 2)
    for q in range(4):
        _assert_binomial(np.count_nonzero(quarter == q), n_pre * n_post // 4, p)


def test_fixed_probability_in_degrees_are_binomial():
    n_pre, n_post, p = 400, 300, 0.05
    syn = _project(n_pre, n_post, ns.FixedProbability(p), seed=4)
    indeg = np.bincount(syn.j, minlength=n_post)
    # mean over targets within 5 sigma, variance close to n p (1 - p)
    _assert_binomial(indeg.sum(), n_pre * n_post, p)
    var = indeg.var(ddof=1)
    expected_var = n_pre * p * (1 - p)
    assert abs(var - expected_var) < Z * expected_var * sqrt(2 / (n_post - 1))


@pytest.mark.parametrize("p, count", [(0.0, 0), (1.0, 20 * 30)])
def test_fixed_probability_extremes_are_exact(p, count):
    syn = _project(20, 30, ns.FixedProbability(p))
    assert syn.n_synapses == count


def test_fixed_probability_without_autapses_on_itself():
    g = ns.NeuronGroup(300, _model())
    syn = _build(g, g, ns.FixedProbability(0.2, allow_autapses=False), seed=5)
    assert not np.any(syn.i == syn.j)
    _assert_binomial(syn.n_synapses, 300 * 299, 0.2)


def test_fixed_probability_subgroup_onto_parent_without_autapses():
    g = ns.NeuronGroup(200, _model())
    syn = _build(g[50:150], g, ns.FixedProbability(0.5, allow_autapses=False), seed=6)
    _assert_in_range(syn, 100, 200)
    assert not np.any(syn.i + 50 == syn.j)
    _assert_binomial(syn.n_synapses, 100 * 200 - 100, 0.5)


def test_fixed_probability_full_without_autapses_is_all_but_diagonal():
    g = ns.NeuronGroup(12, _model())
    syn = _build(g, g, ns.FixedProbability(1.0, allow_autapses=False))
    assert syn.n_synapses == 12 * 11 and not np.any(syn.i == syn.j)


# ----------------------------------------------------- FixedIndegree/Outdegree
@pytest.mark.parametrize("k", [1, 5, 25, 60, 100])   # rejection (k <= m/4) and dense paths
def test_fixed_indegree_gives_exactly_k_distinct_sources(k):
    n_pre, n_post = 100, 80
    syn = _project(n_pre, n_post, ns.FixedIndegree(k), seed=k)
    _assert_in_range(syn, n_pre, n_post)
    np.testing.assert_array_equal(np.bincount(syn.j, minlength=n_post), k)
    assert np.unique(_pairs(syn)).size == syn.n_synapses          # no multapses
    # sources are chosen uniformly: each source is picked ~ Binomial(n_post, k / n_pre)
    outdeg = np.bincount(syn.i, minlength=n_pre)
    assert outdeg.sum() == k * n_post
    if k < n_pre:
        sd = sqrt(n_post * k / n_pre * (1 - k / n_pre))
        assert np.all(np.abs(outdeg - n_post * k / n_pre) <= 6 * sd)


@pytest.mark.parametrize("k", [2, 30])
def test_fixed_outdegree_gives_exactly_k_distinct_targets(k):
    n_pre, n_post = 70, 40
    syn = _project(n_pre, n_post, ns.FixedOutdegree(k), seed=k)
    _assert_in_range(syn, n_pre, n_post)
    np.testing.assert_array_equal(np.bincount(syn.i, minlength=n_pre), k)
    assert np.unique(_pairs(syn)).size == syn.n_synapses
    indeg = np.bincount(syn.j, minlength=n_post)
    sd = sqrt(n_pre * k / n_post * (1 - k / n_post))
    assert np.all(np.abs(indeg - n_pre * k / n_post) <= 6 * sd)


@pytest.mark.parametrize("rule", [ns.FixedIndegree, ns.FixedOutdegree])
def test_fixed_degree_with_multapses_allows_repeats(rule):
    syn = _project(10, 10, rule(40, allow_multapses=True), seed=2)
    counts = np.bincount(syn.j if rule is ns.FixedIndegree else syn.i, minlength=10)
    np.testing.assert_array_equal(counts, 40)
    assert np.unique(_pairs(syn)).size < syn.n_synapses           # k > n forces repeats


@pytest.mark.parametrize("n, k", [(12, 3), (6, 3)])           # rejection path, dense path
def test_fixed_indegree_without_autapses_is_uniform_over_the_others(n, k):
    counts = np.zeros((n, n), dtype=int)          # counts[source, target]
    n_builds = 120
    for seed in range(n_builds):
        g = ns.NeuronGroup(n, _model())
        syn = _build(g, g, ns.FixedIndegree(k, allow_autapses=False), seed=seed)
        assert not np.any(syn.i == syn.j)
        np.testing.assert_array_equal(np.bincount(syn.j, minlength=n), k)
        np.add.at(counts, (syn.i, syn.j), 1)
    assert np.all(np.diag(counts) == 0)
    p = k / (n - 1)
    off = counts[~np.eye(n, dtype=bool)]
    sd = sqrt(n_builds * p * (1 - p))
    assert np.all(np.abs(off - n_builds * p) <= Z * sd)


@pytest.mark.parametrize("n, k", [(12, 3), (6, 4)])
def test_fixed_outdegree_without_autapses_is_uniform_over_the_others(n, k):
    counts = np.zeros((n, n), dtype=int)
    n_builds = 120
    for seed in range(n_builds):
        g = ns.NeuronGroup(n, _model())
        syn = _build(g, g, ns.FixedOutdegree(k, allow_autapses=False), seed=seed)
        assert not np.any(syn.i == syn.j)
        np.testing.assert_array_equal(np.bincount(syn.i, minlength=n), k)
        np.add.at(counts, (syn.i, syn.j), 1)
    assert np.all(np.diag(counts) == 0)
    p = k / (n - 1)
    sd = sqrt(n_builds * p * (1 - p))
    assert np.all(np.abs(counts[~np.eye(n, dtype=bool)] - n_builds * p) <= Z * sd)


@pytest.mark.parametrize("k", [3, 9])
def test_fixed_indegree_subgroup_onto_parent_excludes_self(k):
    g = ns.NeuronGroup(30, _model())
    src = g[10:20]                                  # targets 10..19 are also sources
    syn = _build(src, g, ns.FixedIndegree(k, allow_autapses=False), seed=k)
    _assert_in_range(syn, 10, 30)
    assert not np.any(syn.i + 10 == syn.j)
    np.testing.assert_array_equal(np.bincount(syn.j, minlength=30), k)
    assert np.unique(_pairs(syn)).size == syn.n_synapses


@pytest.mark.parametrize("k", [2, 25])
def test_fixed_outdegree_subgroup_onto_parent_excludes_self(k):
    g = ns.NeuronGroup(30, _model())
    src = g[5:15]
    syn = _build(src, g, ns.FixedOutdegree(k, allow_autapses=False), seed=k)
    _assert_in_range(syn, 10, 30)
    assert not np.any(syn.i + 5 == syn.j)
    np.testing.assert_array_equal(np.bincount(syn.i, minlength=10), k)
    assert np.unique(_pairs(syn)).size == syn.n_synapses


def test_fixed_indegree_with_multapses_without_autapses_excludes_self():
    g = ns.NeuronGroup(5, _model())
    syn = _build(g, g, ns.FixedIndegree(50, allow_autapses=False, allow_multapses=True))
    assert not np.any(syn.i == syn.j)
    np.testing.assert_array_equal(np.bincount(syn.j, minlength=5), 50)
    # the four other sources of each target all appear
    for t in range(5):
        assert set(syn.i[syn.j == t].tolist()) == set(range(5)) - {t}


# --------------------------------------------------------- FixedTotalNumber
def test_fixed_total_number_is_exact_with_multapses():
    syn = _project(30, 40, ns.FixedTotalNumber(5000), seed=8)
    _assert_in_range(syn, 30, 40)
    assert syn.n_synapses == 5000
    # 5000 draws over 1200 pairs: repeats are certain, and each pair's count is binomial
    per_pair = np.bincount(syn.i * 40 + syn.j, minlength=1200)
    assert per_pair.max() > 1
    sd = sqrt(5000 / 1200 * (1 - 1 / 1200))
    assert np.all(np.abs(per_pair - 5000 / 1200) <= 6 * sd)


def test_fixed_total_number_without_multapses_is_distinct():
    syn = _project(30, 40, ns.FixedTotalNumber(1000, allow_multapses=False), seed=9)
    assert syn.n_synapses == 1000
    assert np.unique(_pairs(syn)).size == 1000


def test_fixed_total_number_of_all_pairs_without_multapses_is_all_to_all():
    syn = _project(6, 7, ns.FixedTotalNumber(42, allow_multapses=False), seed=9)
    assert set(zip(syn.i.tolist(), syn.j.tolist())) == {(a, b) for a in range(6)
                                                        for b in range(7)}


def test_fixed_total_number_without_autapses_on_subgroup_onto_parent():
    g = ns.NeuronGroup(8, _model())
    syn = _build(g[2:6], g, ns.FixedTotalNumber(2000, allow_autapses=False), seed=10)
    assert syn.n_synapses == 2000
    assert not np.any(syn.i + 2 == syn.j)
    _assert_in_range(syn, 4, 8)


# ------------------------------------------------------------------ Explicit
def test_explicit_connect_keeps_the_given_pairs():
    i, j = [0, 2, 2, 4, 1], [3, 0, 3, 1, 1]
    syn = _project(5, 4, ns.Explicit(i, j))
    np.testing.assert_array_equal(syn.i, i)
    np.testing.assert_array_equal(syn.j, j)


def test_tuple_connect_equals_explicit():
    i, j = np.array([1, 1, 0]), np.array([0, 2, 2])
    a = _project(2, 3, (i, j), weight=np.array([1.0, 2.0, 3.0]) * mV)
    b = _project(2, 3, ns.Explicit(i, j), weight=np.array([1.0, 2.0, 3.0]) * mV)
    for x, y in ((a.i, b.i), (a.j, b.j), (a.weight, b.weight)):
        np.testing.assert_array_equal(x, y)
    # weights as simulated: on the fixed-point grid of 2**-40 V
    np.testing.assert_allclose(a.weight, [1e-3, 2e-3, 3e-3], rtol=0, atol=2.0 ** -41)


def test_explicit_connect_with_multapses_and_autapses_is_kept():
    g = ns.NeuronGroup(3, _model())
    syn = _build(g, g, ([0, 0, 1], [0, 0, 1]))
    np.testing.assert_array_equal(syn.i, [0, 0, 1])
    np.testing.assert_array_equal(syn.j, [0, 0, 1])


def test_explicit_connect_from_input_group():
    stim = ns.SpikeGeneratorGroup(3, [0], [1] * ms)
    g = ns.NeuronGroup(4, _model())
    syn = ns.Synapses(stim, g, kind="inhibitory", weight=1 * mV, connect=([2, 0], [3, 3]))
    ns.Network(stim, g, syn).build(dt=DT, seed=0)
    np.testing.assert_array_equal(syn.i, [2, 0])
    np.testing.assert_array_equal(syn.j, [3, 3])


# --------------------------------------------------------------- determinism
RULES = [
    lambda: ns.FixedProbability(0.1),
    lambda: ns.FixedIndegree(7),
    lambda: ns.FixedIndegree(60),
    lambda: ns.FixedOutdegree(5),
    lambda: ns.FixedTotalNumber(500),
    lambda: ns.FixedTotalNumber(500, allow_multapses=False),
]


@pytest.mark.parametrize("make_rule", RULES)
def test_same_seed_gives_same_synapses(make_rule):
    kwargs = dict(weight=ns.Uniform(0.5 * mV, 1.5 * mV),
                  delay=ns.Normal(2 * ms, 1 * ms, low=0 * ms))
    a = _project(80, 90, make_rule(), seed=42, **kwargs)
    b = _project(80, 90, make_rule(), seed=42, **kwargs)
    for x, y in ((a.i, b.i), (a.j, b.j), (a.weight, b.weight), (a.delay, b.delay)):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("make_rule", RULES)
def test_other_seed_gives_other_synapses(make_rule):
    a = _project(80, 90, make_rule(), seed=42)
    b = _project(80, 90, make_rule(), seed=43)
    assert not (a.i.size == b.i.size and np.array_equal(a.i, b.i)
                and np.array_equal(a.j, b.j))


def test_same_seed_gives_same_synapses_in_every_projection():
    def build(seed):
        g = ns.NeuronGroup(100, _model())
        e = ns.Synapses(g[:80], g, kind="excitatory", weight=1 * mV,
                        connect=ns.FixedProbability(0.1))
        i = ns.Synapses(g[80:], g, kind="inhibitory", weight=ns.Uniform(1 * mV, 2 * mV),
                        connect=ns.FixedIndegree(5))
        ns.Network(g, e, i).build(dt=DT, seed=seed)
        return e, i
    (e1, i1), (e2, i2), (e3, _) = build(5), build(5), build(6)
    np.testing.assert_array_equal(e1.j, e2.j)
    np.testing.assert_array_equal(i1.i, i2.i)
    np.testing.assert_array_equal(i1.weight, i2.weight)
    assert not np.array_equal(e1.j[:50], e3.j[:50])


# ------------------------------------------------------------- distributions
N_SYN = 40 * 50


def test_uniform_weights_in_bounds_with_right_mean():
    syn = _project(40, 50, ns.AllToAll(), weight=ns.Uniform(0.5 * mV, 2.5 * mV), seed=3)
    w = syn.weight
    assert w.size == N_SYN
    assert w.min() >= 0.5e-3 - 1e-12 and w.max() < 2.5e-3 + 1e-12
    sd = 2e-3 / sqrt(12 * N_SYN)
    assert abs(w.mean() - 1.5e-3) < Z * sd
    assert abs(w.std() - 2e-3 / sqrt(12)) < 0.05 * 2e-3 / sqrt(12)
    assert np.unique(w).size > N_SYN // 2                # really drawn, not constant


def _truncated_normal_mean(mu, sigma, low, high):
    a, b = (low - mu) / sigma, (high - mu) / sigma
    phi = lambda x: exp(-x * x / 2) / sqrt(2 * pi)                  # noqa: E731
    cdf = lambda x: 0.5 * (1 + erf(x / sqrt(2)))                    # noqa: E731
    return mu + sigma * (phi(a) - phi(b)) / (cdf(b) - cdf(a))


@pytest.mark.parametrize("low, high", [(0.0, None), (0.8, 1.5), (0.0, 0.9)])
def test_truncated_normal_weights_in_bounds_with_right_mean(low, high):
    mu, sigma = 1.0, 0.5                                             # mV
    dist = ns.Normal(mu * mV, sigma * mV, low=low * mV, high=None if high is None else high * mV)
    w = _project(40, 50, ns.AllToAll(), weight=dist, seed=4).weight * 1e3
    hi = np.inf if high is None else high
    assert w.min() >= low - 1e-9 and w.max() <= hi + 1e-9
    mean = _truncated_normal_mean(mu, sigma, low, hi)
    # the truncated distribution's sd is at most sigma: a conservative band
    assert abs(w.mean() - mean) < Z * sigma / sqrt(w.size)


def test_drawn_delays_are_whole_steps_in_bounds_with_right_mean():
    syn = _project(40, 50, ns.AllToAll(), delay=ns.Uniform(1 * ms, 3 * ms), seed=5)
    d = syn.delay
    steps = d / 1e-4
    np.testing.assert_allclose(steps, np.round(steps), rtol=0, atol=1e-6)
    assert d.min() >= 1e-3 - 1e-12 and d.max() <= 3e-3 + 1e-12
    # rounding to the nearest step keeps the mean (the ends add half a step of bias at most)
    assert abs(d.mean() - 2e-3) < Z * 2e-3 / sqrt(12 * N_SYN) + 0.5e-4 / 20
    assert np.unique(steps.round()).size == 21          # 1.0, 1.1, ..., 3.0 ms all occur


def test_truncated_normal_delays_respect_lower_bound():
    syn = _project(40, 50, ns.AllToAll(), delay=ns.Normal(1.5 * ms, 0.75 * ms, low=0.1 * ms),
                   seed=6)
    assert syn.delay.min() >= 0.1e-3 - 1e-12
    mean = _truncated_normal_mean(1.5, 0.75, 0.1, np.inf) * 1e-3
    assert abs(syn.delay.mean() - mean) < Z * 0.75e-3 / sqrt(N_SYN) + 0.05e-3


def test_given_delays_and_weights_are_kept_per_synapse():
    w = np.linspace(0.1, 1.2, 6) * mV
    d = np.array([0, 1, 2, 3, 4, 5]) * 0.1 * ms
    syn = _project(2, 3, ns.AllToAll(), weight=w, delay=d)
    np.testing.assert_allclose(syn.weight, np.asarray(w), rtol=0, atol=2.0 ** -41)
    np.testing.assert_allclose(syn.delay, np.arange(6) * 1e-4, rtol=0, atol=1e-15)


def test_delay_quantity_in_seconds_is_converted():
    syn = _project(2, 2, ns.OneToOne(), delay=0.002 * second)
    np.testing.assert_allclose(syn.delay, 2e-3, rtol=1e-12)
