"""The keyed build (issue 31): every rule gives the distribution it promises, on large
draws, and the network depends only on the seed: not on the thread count, the MPI
rank, or whether a row is drawn with the others or alone.

Statistical checks use exact tests from scipy (binomial, chi-square, Kolmogorov-
Smirnov) at a level of 1e-6, so that a correct build fails one of them with
probability about 1e-6 per check; the seeds are fixed, so a run is reproducible.
"""
import json
import os
import subprocess
import sys
from math import sqrt

import numpy as np
import pytest
from scipy import stats

import neurosim as ns
from neurosim import _build_keyed as BK
from neurosim.kernels import connect as K
from neurosim.kernels._layout import FIXED_SCALE
from neurosim.units import mV, ms

DT = 0.1 * ms
ALPHA = 1e-6                               # level of every statistical test


def _lif():
    return ns.LIF(tau_m=10 * ms, v_rest=-70 * mV, v_reset=-75 * mV, v_th=-50 * mV)


def _project(n_pre, n_post, connect, seed=1, same=False, **kwargs):
    """One projection (``same``: a group onto itself), built; returns it."""
    pre = ns.NeuronGroup(n_pre, _lif(), name="pre")
    post = pre if same else ns.NeuronGroup(n_post, _lif(), name="post")
    args = dict(kind="excitatory", weight=1 * mV)
    args.update(kwargs)
    syn = ns.Synapses(pre, post, connect=connect, **args)
    ns.Network(*{id(g): g for g in (pre, post)}.values(), syn).build(dt=DT, seed=seed)
    return syn


def _chisquare_uniform(counts):
    """p-value of counts being equally likely (chi-square)."""
    return stats.chisquare(counts).pvalue


# ------------------------------------------------------------ FixedProbability
def test_fixed_probability_count_passes_a_binomial_test():
    n_pre, n_post, p = 3000, 2000, 0.013
    syn = _project(n_pre, n_post, ns.FixedProbability(p))
    assert stats.binomtest(syn.n_synapses, n_pre * n_post, p).pvalue > ALPHA
    pairs = syn.i.astype(np.int64) * n_post + syn.j
    assert np.unique(pairs).size == pairs.size                       # never a multapse


def test_fixed_probability_degrees_are_binomial():
    """Out- and in-degrees follow Binomial(n, p): chi-square over their histogram."""
    n, p = 3000, 0.02
    syn = _project(n, n, ns.FixedProbability(p), same=True)
    for deg, m in ((np.bincount(syn.i, minlength=n), n), (np.bincount(syn.j, minlength=n), n)):
        dist = stats.binom(m, p)
        edges = np.arange(int(dist.ppf(1e-3)), int(dist.isf(1e-3)) + 2)
        observed = np.histogram(deg, bins=np.concatenate([[-1], edges[1:-1] - 0.5, [m + 1]]))[0]
        cdf = dist.cdf(edges[1:-1] - 1)
        expected = np.diff(np.concatenate([[0.0], cdf, [1.0]])) * n
        assert stats.chisquare(observed, expected).pvalue > ALPHA


def test_fixed_probability_without_autapses_has_none_and_keeps_the_probability():
    n, p = 2500, 0.05
    syn = _project(n, n, ns.FixedProbability(p, allow_autapses=False), same=True)
    assert not np.any(syn.i == syn.j)
    assert stats.binomtest(syn.n_synapses, n * (n - 1), p).pvalue > ALPHA


# ------------------------------------------------- FixedOutdegree / FixedIndegree
@pytest.mark.parametrize("multapses", [False, True])
def test_fixed_outdegree_is_exact_and_targets_uniform(multapses):
    n_pre, n_post, k = 2000, 300, 60
    syn = _project(n_pre, n_post, ns.FixedOutdegree(k, allow_multapses=multapses))
    assert np.all(np.bincount(syn.i, minlength=n_pre) == k)
    pairs = syn.i.astype(np.int64) * n_post + syn.j
    n_unique = np.unique(pairs).size
    if multapses:
        assert n_unique < pairs.size                             # repeats do occur
        # a pair repeats with the probability of a birthday collision in each row
        expected = n_pre * (k - n_post * (1 - (1 - 1 / n_post) ** k))
        assert abs((pairs.size - n_unique) - expected) < 6 * sqrt(expected)
    else:
        assert n_unique == pairs.size
    assert _chisquare_uniform(np.bincount(syn.j, minlength=n_post)) > ALPHA


@pytest.mark.parametrize("multapses", [False, True])
def test_fixed_indegree_is_exact_and_sources_uniform(multapses):
    n_pre, n_post, k = 300, 2000, 60
    syn = _project(n_pre, n_post, ns.FixedIndegree(k, allow_multapses=multapses))
    assert np.all(np.bincount(syn.j, minlength=n_post) == k)
    pairs = syn.i.astype(np.int64) * n_post + syn.j
    assert (np.unique(pairs).size < pairs.size) == multapses
    assert _chisquare_uniform(np.bincount(syn.i, minlength=n_pre)) > ALPHA


@pytest.mark.parametrize("rule", [ns.FixedIndegree, ns.FixedOutdegree])
@pytest.mark.parametrize("multapses", [False, True])
def test_degree_rules_without_autapses_are_uniform_over_the_others(rule, multapses):
    n, k = 40, 12
    syn = _project(n, n, rule(k, allow_autapses=False, allow_multapses=multapses), same=True,
                   seed=4)
    assert not np.any(syn.i == syn.j)
    # the partner's offset from the row's own neuron, 1..n-1, is uniform
    rows, partners = (syn.j, syn.i) if rule is ns.FixedIndegree else (syn.i, syn.j)
    offset = (partners.astype(np.int64) - rows) % n
    assert _chisquare_uniform(np.bincount(offset, minlength=n)[1:]) > ALPHA


# --------------------------------------------------------------- FixedTotalNumber
def test_fixed_total_number_rows_are_multinomial_with_multapses():
    n_pre, n_post, total = 500, 400, 300_000
    syn = _project(n_pre, n_post, ns.FixedTotalNumber(total))
    assert syn.n_synapses == total
    assert _chisquare_uniform(np.bincount(syn.i, minlength=n_pre)) > ALPHA
    assert _chisquare_uniform(np.bincount(syn.j, minlength=n_post)) > ALPHA
    pairs = syn.i.astype(np.int64) * n_post + syn.j
    assert np.unique(pairs).size < total                         # multapses allowed
    # pairs with 0, 1, 2, ... synapses: Poisson-like occupancy of the n_pre * n_post pairs
    per_pair = np.bincount(pairs, minlength=n_pre * n_post)
    assert abs(per_pair.mean() - total / (n_pre * n_post)) < 1e-12
    assert stats.binomtest(int((per_pair == 0).sum()), n_pre * n_post,
                           (1 - 1 / (n_pre * n_post)) ** total).pvalue > ALPHA


def test_fixed_total_number_without_multapses_or_autapses():
    n, total = 300, 40_000
    syn = _project(n, n, ns.FixedTotalNumber(total, allow_autapses=False,
                                             allow_multapses=False), same=True)
    pairs = syn.i.astype(np.int64) * n + syn.j
    assert syn.n_synapses == total and np.unique(pairs).size == total
    assert not np.any(syn.i == syn.j)
    # out-degrees: multivariate hypergeometric, each Hypergeometric(n(n-1), n-1, total)
    deg = np.bincount(syn.i, minlength=n)
    dist = stats.hypergeom(n * (n - 1), n - 1, total)
    assert abs(deg.mean() - dist.mean()) < 1e-9
    assert abs(deg.var() - dist.var()) < 6 * dist.var() * sqrt(2 / n)


def test_all_to_all_and_one_to_one_are_exact():
    syn = _project(30, 30, ns.AllToAll(allow_autapses=False), same=True)
    assert syn.n_synapses == 30 * 29 and not np.any(syn.i == syn.j)
    syn = _project(50, 50, ns.OneToOne())
    np.testing.assert_array_equal(syn.i, np.arange(50))
    np.testing.assert_array_equal(syn.j, np.arange(50))


# ------------------------------------------------------------ weights and delays
def test_uniform_weights_pass_a_ks_test():
    syn = _project(400, 400, ns.FixedProbability(0.2), weight=ns.Uniform(0.5 * mV, 2 * mV))
    w = syn.weight * 1e3
    assert stats.kstest(w, stats.uniform(0.5, 1.5).cdf).pvalue > ALPHA


@pytest.mark.parametrize("low, high, sd", [(None, None, 0.15), (0.0, None, 0.4),
                                          (0.8, 1.6, 0.4), (1.9, None, 0.4)])
def test_truncated_normal_weights_pass_a_ks_test(low, high, sd):
    mean = 1.0
    syn = _project(400, 400, ns.FixedProbability(0.2),
                   weight=ns.Normal(mean * mV, sd * mV, low=None if low is None else low * mV,
                                    high=None if high is None else high * mV))
    w = syn.weight * 1e3
    a = -np.inf if low is None else (low - mean) / sd
    b = np.inf if high is None else (high - mean) / sd
    assert stats.kstest(w, stats.truncnorm(a, b, loc=mean, scale=sd).cdf).pvalue > ALPHA


def test_normal_weights_below_zero_are_refused_with_their_count():
    with pytest.raises(ValueError, match=r"weight: \d+ of \d+ drawn weights of .* are "
                                         r"negative \(-[\d.e-]+\)"):
        _project(400, 400, ns.FixedProbability(0.2), weight=ns.Normal(1 * mV, 0.4 * mV))


def test_drawn_delays_are_the_rounded_truncated_normal():
    """Steps ``round(d / dt)`` of ``d`` ~ Normal(1.5, 0.75) ms truncated below 0.1 ms: the
    histogram of steps against the truncated normal's mass per step (chi-square)."""
    syn = _project(500, 500, ns.FixedProbability(0.2),
                   delay=ns.Normal(1.5 * ms, 0.75 * ms, low=0.1 * ms))
    steps = np.rint(syn.delay / 1e-4).astype(np.int64)
    dist = stats.truncnorm((0.1 - 1.5) / 0.75, np.inf, loc=15, scale=7.5)   # in steps
    edges = np.arange(1, 41)
    mass = np.diff(dist.cdf(np.concatenate([[-np.inf], edges[:-1] + 0.5, [np.inf]])))
    observed = np.bincount(np.minimum(steps, 40), minlength=41)[1:]
    assert stats.chisquare(observed, mass * steps.size).pvalue > ALPHA


def test_uniform_delays_pass_a_chi_square_test():
    syn = _project(300, 300, ns.FixedProbability(0.3),
                   delay=ns.Uniform(1.0 * ms, 3.0 * ms))
    steps = np.rint(syn.delay / 1e-4).astype(np.int64)
    # d uniform on [10, 30) steps: step 10 and 30 get half a bin, the others a whole
    mass = np.full(21, 1.0 / 20)
    mass[0] = mass[-1] = 0.5 / 20
    observed = np.bincount(steps - 10, minlength=21)
    assert stats.chisquare(observed, mass * steps.size).pvalue > ALPHA


# ------------------------------------------------------ the same for any execution
_NETWORK = """
import hashlib, json, sys
import numpy as np
import neurosim as ns
from neurosim.units import mV, ms
lif = ns.LIF(tau_m=10 * ms, v_rest=-70 * mV, v_reset=-75 * mV, v_th=-50 * mV)
a = ns.NeuronGroup(3000, lif, name="a")
b = ns.NeuronGroup(1000, lif, name="b")
w, d = ns.Normal(1 * mV, 0.3 * mV, low=0 * mV), ns.Normal(1.5 * ms, 0.75 * ms, low=0.1 * ms)
syns = [ns.Synapses(a, b, kind="excitatory", weight=w, delay=d, connect=rule)
        for rule in (ns.FixedProbability(0.05), ns.FixedIndegree(40),
                     ns.FixedOutdegree(30, allow_multapses=True), ns.FixedTotalNumber(90000))]
syns.append(ns.Synapses(a, a, kind="inhibitory", weight=ns.Uniform(1 * mV, 2 * mV), delay=d,
                        connect=ns.FixedProbability(0.02, allow_autapses=False)))
net = ns.Network(a, b, *syns)
net.build(0.1 * ms, seed=7)
s = net._arrays.synapses
print(json.dumps({k: hashlib.sha256(np.ascontiguousarray(getattr(s, k)).tobytes()).hexdigest()
                  for k in s._fields}))
"""


def test_one_and_two_threads_build_bit_identical_arrays():
    digests = []
    for threads in (1, 2):
        env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
        out = subprocess.run([sys.executable, "-c", _NETWORK], env=env, check=True,
                             capture_output=True, text=True).stdout
        digests.append(json.loads(out.strip().splitlines()[-1]))
    assert digests[0] == digests[1]


@pytest.mark.parametrize("connect", [ns.FixedProbability(0.1, allow_autapses=False),
                                     ns.FixedOutdegree(25), ns.FixedTotalNumber(8000),
                                     ns.AllToAll(allow_autapses=False)],
                         ids=lambda r: type(r).__name__)
def test_a_row_drawn_alone_equals_its_row_in_the_build(connect):
    """What procedural connectivity will do: draw one source's row again from its keys."""
    syn = _project(300, 300, connect, same=True, seed=11,
                   weight=ns.Normal(1 * mV, 0.3 * mV, low=0 * mV),
                   delay=ns.Normal(1.5 * ms, 0.75 * ms, low=0.1 * ms))
    net = syn._network
    self_pre = np.arange(300)
    keyed = BK.KeyedProjection(syn, 0, net.seed, net.dt, self_pre, None)
    p = keyed.plan
    i, j, w, d = syn.i, syn.j, syn._weight_si, syn._delay_steps
    for r in (0, 7, 150, 299):
        target = np.empty(p.width, np.int32)
        weight = np.empty(p.width, np.int64)
        delay = np.empty(p.width, np.int32)
        n = K.row_synapses(p.code, net.seed, keyed.streams, r, p.m, p.excluded[r], p.k[r],
                           p.p_scale, p.multapses, *keyed.w, *keyed.d, keyed.d_div, 0,
                           target, weight, delay)
        mine = i == r
        np.testing.assert_array_equal(target[:n], j[mine])
        np.testing.assert_array_equal(weight[:n], np.rint(w[mine] * FIXED_SCALE))
        np.testing.assert_array_equal(delay[:n], d[mine])


def test_a_column_drawn_alone_equals_the_inputs_of_its_target():
    """FixedIndegree draws by target: one column again gives that target's sources."""
    syn = _project(400, 200, ns.FixedIndegree(30), seed=12,
                   weight=ns.Uniform(1 * mV, 2 * mV))
    net = syn._network
    keyed = BK.KeyedProjection(syn, 0, net.seed, net.dt, np.full(200, -1), None)
    p = keyed.plan
    for c in (0, 99, 199):
        target = np.empty(p.width, np.int32)
        weight = np.empty(p.width, np.int64)
        delay = np.empty(p.width, np.int32)
        n = K.row_synapses(p.code, net.seed, keyed.streams, c, p.m, p.excluded[c], p.k[c],
                           p.p_scale, p.multapses, *keyed.w, *keyed.d, keyed.d_div, 0,
                           target, weight, delay)
        mine = syn.j == c
        # in the CSR a target's synapses are ordered by source; the column by draw
        order = np.lexsort((weight[:n], target[:n]))
        mine_order = np.lexsort((syn._weight_si[mine], syn.i[mine]))
        np.testing.assert_array_equal(target[:n][order], syn.i[mine][mine_order])
        np.testing.assert_array_equal(weight[:n][order],
                                      np.rint(syn._weight_si[mine][mine_order] * FIXED_SCALE))


def test_same_seed_same_network_other_seed_other_network():
    a = _project(500, 500, ns.FixedProbability(0.05), seed=3, weight=ns.Uniform(1 * mV, 2 * mV))
    b = _project(500, 500, ns.FixedProbability(0.05), seed=3, weight=ns.Uniform(1 * mV, 2 * mV))
    c = _project(500, 500, ns.FixedProbability(0.05), seed=4, weight=ns.Uniform(1 * mV, 2 * mV))
    np.testing.assert_array_equal(a.i, b.i)
    np.testing.assert_array_equal(a.j, b.j)
    np.testing.assert_array_equal(a.weight, b.weight)
    assert a.n_synapses != c.n_synapses or not np.array_equal(a.j, c.j)


def test_static_projection_keeps_no_copy_of_its_synapses():
    """``i``, ``j``, weights and delays of a static projection are read from the
    network's CSR arrays: nothing per synapse is stored on the Synapses object."""
    syn = _project(300, 300, ns.FixedProbability(0.1), weight=ns.Uniform(1 * mV, 2 * mV))
    per_synapse = [k for k, v in vars(syn).items()
                   if isinstance(v, np.ndarray) and v.size >= syn.n_synapses]
    assert per_synapse == []
    s = syn._network._arrays.synapses
    np.testing.assert_array_equal(s.target[syn._positions], syn.j + 300)
    syn.weight = 3 * mV
    assert np.all(syn.weight == np.rint(3e-3 * FIXED_SCALE) / FIXED_SCALE)


@pytest.mark.parametrize("weight, limit", [(1 * mV, 10_000_000),
                                           (ns.Uniform(1 * mV, 2 * mV), 20_000_000)])
def test_memory_estimate_refuses_before_allocating(monkeypatch, weight, limit):
    """The exact count is checked before the CSR arrays are allocated: 2e6 synapses need
    14 MB with a constant weight (4 + 1 + 2 bytes: target, code of a shared weight,
    delay) and 28 MB with weights drawn (4 + 8 + 2)."""
    calls = []
    from neurosim import _build
    real = _build.allocate
    monkeypatch.setattr(_build, "allocate", lambda *a: calls.append(a) or real(*a))
    cells = ns.NeuronGroup(2000, _lif())
    syn = ns.Synapses(cells, cells, kind="excitatory", weight=weight,
                      connect=ns.FixedProbability(0.5))
    with ns.config_context(max_memory=limit):
        with pytest.raises(ns.NetworkTooLargeError, match="synapses"):
            ns.Network(cells, syn).build(dt=DT, seed=0)
    assert calls == []


def test_delays_are_int16_where_the_longest_fits_and_int32_beyond():
    from neurosim.units import second

    def network(delay):
        cells = ns.NeuronGroup(50, ns.LIF(10 * ms, -70 * mV, -70 * mV, -55 * mV), name="c")
        syn = ns.Synapses(cells, cells, kind="excitatory", weight=1 * mV, delay=delay,
                          connect=ns.FixedProbability(0.5))
        net = ns.Network(cells, syn)
        net.build(dt=0.1 * ms, seed=3)
        return net, syn

    net, syn = network(ns.Normal(2 * ms, 1 * ms, low=0.1 * ms))
    assert net._arrays.synapses.delay.dtype == np.int16
    assert syn.delay.min() >= 0.1e-3 and syn.delay.max() > 4e-3
    # delays of up to 4 s (40,000 steps): int32, and none wrapped round
    net, syn = network(ns.Uniform(3 * second, 4 * second))
    stored = net._arrays.synapses.delay
    assert stored.dtype == np.int32 and stored.max() > 2 ** 15 and stored.min() >= 30_000
    assert np.allclose(syn.delay.min(), 3.0, atol=0.01) and syn.delay.max() <= 4.0
