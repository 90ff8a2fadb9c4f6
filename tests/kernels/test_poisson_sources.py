"""Poisson sources drawn in blocks (``kernels.poisson_sources``): the Bernoulli process
they promise, and the same spikes from the compiled element and the numpy twin.

The oracles: the binomial distribution of the spikes of a block in a step and the
uniform spread of spikes over the sources (chi-square tests over many steps), no
correlation between neighbours, and, for sources that draw one by one, the plain
per-source draw ``uniform(seed, stream, step, n + s) < p``.
"""
import numpy as np
import pytest
from numba import njit
from scipy import stats

from neurosim.kernels._layout import STREAM_POISSON_GROUP
from neurosim.kernels._rng import step_key, uniform_numpy
from neurosim.kernels.elements import next_source
from neurosim.kernels.poisson_sources import (BLOCK, block_bounds, firing_numpy,
                                              update_thresholds)

N_NEURONS = 7       # sources come after the neurons: their global index is 7 + s


def _blocks(groups, p_fire):
    block_lo = block_bounds(groups, p_fire.size)
    thresholds = np.zeros((block_lo.size - 1, BLOCK + 1), np.int64)
    update_thresholds(p_fire, block_lo, thresholds)
    return block_lo, thresholds


@njit
def _firing_compiled(seed, steps, p_fire, block_lo, thresholds):
    out = np.zeros((steps, p_fire.size), np.bool_)
    fired = np.zeros(p_fire.size, np.bool_)
    for step in range(steps):
        key = step_key(seed, STREAM_POISSON_GROUP, step)
        for b in range(block_lo.size - 1):
            lo, hi = block_lo[b], block_lo[b + 1]
            s = next_source(lo - 1, lo, hi, b, thresholds, key, N_NEURONS, fired, p_fire)
            while s < hi:
                out[step, s] = True
                s = next_source(s, lo, hi, b, thresholds, key, N_NEURONS, fired, p_fire)
    return out


def _firing_numpy(seed, steps, p_fire, block_lo, thresholds):
    none = np.zeros(p_fire.size, bool)
    return np.array([firing_numpy(seed, step, N_NEURONS, p_fire, none, block_lo, thresholds)
                     for step in range(steps)])


@pytest.mark.parametrize("p", [0.002, 0.05, 0.5, 0.97])
def test_a_block_fires_as_independent_bernoulli_sources(p):
    n = 2 * BLOCK + 9                     # two whole blocks and a short one
    p_fire = np.full(n, p)
    block_lo, thresholds = _blocks([(0, n)], p_fire)
    steps = max(4000, int(60_000 / (p * n)))
    spikes = _firing_compiled(11, steps, p_fire, block_lo, thresholds)
    assert spikes.sum() > 1000
    for lo, hi in zip(block_lo[:-1], block_lo[1:]):
        counts = spikes[:, lo:hi].sum(axis=1)
        k = np.arange(hi - lo + 1)
        expected = stats.binom.pmf(k, hi - lo, p) * steps
        keep = expected >= 5                  # chi-square needs expected counts >= 5
        observed = np.bincount(counts, minlength=k.size)
        obs = np.append(observed[keep], observed[~keep].sum())
        exp = np.append(expected[keep], expected[~keep].sum())
        obs, exp = obs[exp > 0], exp[exp > 0]
        assert stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue > 1e-4
    # every source equally likely; neighbours independent
    per_source = spikes.sum(axis=0)
    assert stats.chisquare(per_source).pvalue > 1e-4
    assert abs(np.mean(per_source) / steps - p) < 5 * np.sqrt(p * (1 - p) / (steps * n))
    a, b = spikes[:, :-1].ravel(), spikes[:, 1:].ravel()
    if 0.0 < p < 0.9:
        assert abs(np.corrcoef(a, b)[0, 1]) < 5 / np.sqrt(a.size)


def test_the_compiled_element_and_the_numpy_twin_fire_the_same_sources():
    # two groups (blocks restart at a group), a silent one, rates per source
    p_fire = np.concatenate([np.full(100, 0.03), np.zeros(20), np.full(70, 0.2),
                             np.linspace(0.0, 0.5, 30)])
    groups = [(0, 100), (100, 120), (120, 190), (190, 220)]
    block_lo, thresholds = _blocks(groups, p_fire)
    assert list(block_lo) == [0, 64, 100, 120, 184, 190, 220]
    compiled = _firing_compiled(5, 500, p_fire, block_lo, thresholds)
    twin = _firing_numpy(5, 500, p_fire, block_lo, thresholds)
    assert compiled[:, :100].sum() > 1000 and compiled[:, 120:].sum() > 1000
    assert not compiled[:, 100:120].any()
    np.testing.assert_array_equal(compiled, twin)


def test_sources_with_rates_of_their_own_draw_one_by_one():
    p_fire = np.linspace(0.05, 0.6, 40)
    block_lo, thresholds = _blocks([(0, 40)], p_fire)
    assert thresholds[0, 0] == -1
    spikes = _firing_compiled(9, 300, p_fire, block_lo, thresholds)
    want = np.array([uniform_numpy(9, STREAM_POISSON_GROUP, step,
                                   N_NEURONS + np.arange(40)) < p_fire for step in range(300)])
    assert want.sum() > 1000
    np.testing.assert_array_equal(spikes, want)


def test_rates_changed_between_runs_change_the_draws():
    import neurosim as ns
    from neurosim.units import Hz, ms
    noise = ns.PoissonGroup(200, 20 * Hz)
    spikes = ns.SpikeMonitor(noise)
    net = ns.Network(noise, spikes)
    net.run(500 * ms, dt=0.1 * ms, seed=2)
    first = spikes.num_spikes
    noise.rates = 200 * Hz
    net.run(500 * ms)
    second = spikes.num_spikes - first
    # 2,000 and 20,000 expected: within 5 standard deviations
    assert abs(first - 2000) < 5 * np.sqrt(2000) and abs(second - 20000) < 5 * np.sqrt(20000)
