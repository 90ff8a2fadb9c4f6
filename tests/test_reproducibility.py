"""The same seed gives the same spikes, run after run and whatever the thread count.

Random draws come from a counter-based generator keyed by (seed, stream, step,
index) and synaptic input is summed in fixed point, so neither the order of
threads nor the chunking of the neuron loop can change a spike. The thread-count
tests run each configuration in a fresh interpreter, because NUMBA_NUM_THREADS
must be set before numba starts.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from networks import balanced_binary, brunel, cuba, poisson_delays  # noqa: E402

import neurosim as ns  # noqa: E402
from neurosim.units import ms  # noqa: E402

# stochastic ingredients: Poisson drives (brunel), asynchronous updates
# (balanced_binary), Poisson sources and drawn delays (poisson_delays), and
# drawn connectivity and initial values (all)
CASES = {
    "cuba": (lambda: cuba(n=1000, p=0.05), 200 * ms, 0.1 * ms),
    "brunel": (lambda: brunel(n_e=1000), 100 * ms, 0.1 * ms),
    "balanced_binary": (lambda: balanced_binary(k=50, n=400), 200 * ms, 1 * ms),
    "poisson_delays": (lambda: poisson_delays(n=300, n_sources=150), 200 * ms, 0.1 * ms),
}


def _spikes(name, seed):
    build, duration, dt = CASES[name]
    net, monitors = build()
    net.run(duration, dt=dt, backend="numba", seed=seed)
    spikes = [m for m in monitors.values() if isinstance(m, ns.SpikeMonitor)]
    return [(m.i, m.steps) for m in spikes]


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_seed_gives_identical_spikes(name):
    first, second = _spikes(name, 7), _spikes(name, 7)
    assert sum(i.size for i, _ in first) > 100
    for (i1, s1), (i2, s2) in zip(first, second):
        assert np.array_equal(i1, i2) and np.array_equal(s1, s2)


@pytest.mark.parametrize("name", sorted(CASES))
def test_other_seed_gives_other_spikes(name):
    a, b = _spikes(name, 7), _spikes(name, 8)
    differ = [not (np.array_equal(i1, i2) and np.array_equal(s1, s2))
              for (i1, s1), (i2, s2) in zip(a, b)]
    assert all(differ)


def test_seed_fixed_by_first_run_and_continuation_matches_one_run():
    build, _, dt = CASES["brunel"]
    net_a, mon_a = build()
    net_a.run(40 * ms, dt=dt, backend="numba", seed=11)
    net_a.run(60 * ms)
    assert net_a.seed == 11
    net_b, mon_b = build()
    net_b.run(100 * ms, dt=dt, backend="numba", seed=11)
    assert mon_a["spikes"].num_spikes > 100
    assert np.array_equal(mon_a["spikes"].i, mon_b["spikes"].i)
    assert np.array_equal(mon_a["spikes"].steps, mon_b["spikes"].steps)


# ------------------------------------------------------------ thread counts, in subprocesses
_CHILD = """
import hashlib, sys
import numba
import numpy as np
from neurosim.backends import get_backend
from neurosim.units import ms
import networks
from neurosim.backends import numba_backend
numba_backend._idle_cores = lambda: 64   # the default on an idle machine, whatever this one does
name, n_threads = sys.argv[1], (None if sys.argv[2] == "auto" else int(sys.argv[2]))
if name == "brunel":
    net, mon = networks.brunel(n_e=2000, record=())
    duration = 100 * ms
else:                                    # big enough for the automatic parallel path
    net, mon = networks.cuba(n=100_000, p=80 / 100_000, record=())
    duration = 20 * ms
net.run(duration, dt=0.1 * ms, backend="numba", seed=3, n_threads=n_threads)
used = get_backend("numba").threads_for(net._arrays.n, n_threads)
sp = mon["spikes"]
digest = hashlib.sha256(sp.i.tobytes() + sp.steps.tobytes()).hexdigest()
print(numba.get_num_threads(), used, sp.num_spikes, digest)
"""


def _child(name, numba_threads, n_threads):
    env = dict(os.environ, NUMBA_NUM_THREADS=str(numba_threads),
               PYTHONPATH=os.pathsep.join([ROOT, HERE, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", _CHILD, name, n_threads], env=env, cwd=HERE,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    numba_n, used, n_spikes, digest = out.stdout.split()[-4:]
    return int(numba_n), int(used), int(n_spikes), digest


def test_one_and_two_threads_give_identical_spikes_explicit_n_threads():
    """Serial loop (1 thread) against the parallel loop forced on 2 threads."""
    one = _child("brunel", 1, "auto")
    two = _child("brunel", 2, "2")
    assert one[:2] == (1, 1) and two[:2] == (2, 2)
    assert one[2] > 1000
    assert one[2:] == two[2:]


@pytest.mark.slow
def test_one_and_two_threads_give_identical_spikes_automatic_choice():
    """100,000 neurons: the backend picks the parallel path by itself with 2 threads."""
    one = _child("cuba100k", 1, "auto")
    two = _child("cuba100k", 2, "auto")
    assert one[:2] == (1, 1) and two[:2] == (2, 2)
    assert one[2] > 1000
    assert one[2:] == two[2:]

