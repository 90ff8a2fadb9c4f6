"""The numba backend gives exactly the spikes and state traces of the numpy reference.

Same network, same seed, two backends: the spike indices and steps must be
identical (np.array_equal, not allclose), and so must every recorded state
sample. Each network is small but active, and exercises a different path:
exponential current synapses (CUBA, with either reset), conductances (COBA),
delta synapses with a 1.5 ms delay and Poisson drives (Brunel model A),
asynchronous McCulloch-Pitts units with bias currents (balanced binary), Poisson
sources with per-synapse delays drawn from normal distributions.
"""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from networks import balanced_binary, brunel, coba, cuba, poisson_delays  # noqa: E402

import neurosim as ns  # noqa: E402
from neurosim.units import ms  # noqa: E402

CASES = {
    # name: (builder, duration, dt, minimum number of spikes for the test to mean something)
    "cuba": (lambda: cuba(n=1000, p=0.05), 200 * ms, 0.1 * ms, 200),
    "cuba_reset_by_subtraction": (lambda: cuba(n=1000, p=0.05, reset="subtract"), 200 * ms,
                                  0.1 * ms, 200),
    "coba": (lambda: coba(n=1000, p=0.05), 200 * ms, 0.1 * ms, 200),
    "brunel": (lambda: brunel(g=5.0, eta=2.0, n_e=1000), 150 * ms, 0.1 * ms, 500),
    "balanced_binary": (lambda: balanced_binary(k=50, n=400), 200 * ms, 1 * ms, 1000),
    "poisson_delays": (lambda: poisson_delays(n=300, n_sources=150), 200 * ms, 0.1 * ms, 200),
}


def _run(name, backend, seed=3):
    build, duration, dt, _ = CASES[name]
    net, monitors = build()
    net.run(duration, dt=dt, backend=backend, seed=seed)
    return net, monitors


def assert_same_spikes(a, b):
    """Two SpikeMonitors recorded the same spikes: same neurons, same steps, same order."""
    assert a.num_spikes == b.num_spikes, (a.num_spikes, b.num_spikes)
    assert np.array_equal(a.i, b.i)
    assert np.array_equal(a.steps, b.steps)


@pytest.mark.parametrize("name", sorted(CASES))
def test_numba_spikes_equal_numpy_reference(name):
    _, ref = _run(name, "numpy")
    _, fast = _run(name, "numba")
    total = 0
    for key, mon in ref.items():
        if isinstance(mon, ns.SpikeMonitor):
            assert_same_spikes(mon, fast[key])
            total += mon.num_spikes
        elif isinstance(mon, ns.RateMonitor):
            assert np.array_equal(mon.rate, fast[key].rate)
    assert total >= CASES[name][3], f"{name} is nearly silent ({total} spikes); the test is moot"


@pytest.mark.parametrize("name", ["cuba", "coba", "brunel", "poisson_delays"])
def test_numba_state_traces_equal_numpy_reference(name):
    _, ref = _run(name, "numpy")
    _, fast = _run(name, "numba")
    a, b = ref["state"], fast["state"]
    assert np.array_equal(a.t, b.t)
    for var in a.variables:
        x, y = getattr(a, var), getattr(b, var)
        assert x.shape == y.shape and x.shape[1] == len(a.t)
        assert np.array_equal(x, y), f"{name}.{var}: max |diff| {np.abs(x - y).max():g}"
    # the traces move (a silent or frozen recording would make the test moot)
    assert np.ptp(a.v) > 1e-3


def test_numba_final_state_equals_numpy_reference():
    ref_net, _ = _run("cuba", "numpy")
    fast_net, _ = _run("cuba", "numba")
    group = ref_net.groups[0]
    for var in ("v", "i_e", "i_i"):
        assert np.array_equal(ref_net.get_state(group, var),
                              fast_net.get_state(fast_net.groups[0], var))


def test_backends_agree_when_switched_between_runs():
    """A network continued on the other backend matches one run on a single backend."""
    build, _, dt, _ = CASES["brunel"]
    net_a, mon_a = build()
    net_a.run(50 * ms, dt=dt, backend="numba", seed=5)
    net_a.run(50 * ms, backend="numpy")
    net_a.run(50 * ms, backend="numba")
    net_b, mon_b = build()
    net_b.run(150 * ms, dt=dt, backend="numba", seed=5)
    assert mon_a["spikes"].num_spikes > 100
    assert_same_spikes(mon_a["spikes"], mon_b["spikes"])
