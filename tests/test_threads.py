"""Runs on threads (``kernels.simulate_threads``): the same spikes, state and rates,
bit for bit, on 1, 2 and 3 threads, and a barrier that holds under contention.

One thread runs ``kernels.simulate`` (the serial loop), more run the threaded engine:
each configuration is compared with the one-thread run of the same network. The
networks run in a child interpreter with ``NUMBA_NUM_THREADS=3``, since numba reads
it once, at import; 3 threads on a 2-core machine is also the oversubscribed case,
where the barrier must yield rather than spin.
"""
import os
import subprocess
import sys

import numpy as np
import pytest
from numba import njit, prange

import neurosim as ns
from neurosim.kernels._atomics import atomic_add, atomic_cas, atomic_load, barrier
from neurosim.units import Hz, mV, ms, volt

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
THREADS = (1, 2, 3)


# ------------------------------------------------------------------ the atomics
@njit(parallel=True)
def _hammer(flags, seen_short, rounds):
    # every thread adds 1 to a shared counter per round, then waits at the barrier;
    # after barrier r every thread must see all n_threads * r additions
    n_threads = seen_short.size
    for t in prange(n_threads):
        for r in range(rounds):
            atomic_add(flags, 0, 1)
            barrier(flags, 8, n_threads, r + 1)
            seen_short[t] += atomic_load(flags, 0) < (r + 1) * n_threads


def test_atomic_additions_from_threads_sum_exactly_and_the_barrier_holds():
    import numba
    n = numba.config.NUMBA_NUM_THREADS
    if n < 2:
        pytest.skip("numba has one thread here")
    flags, short = np.zeros(16, np.int64), np.zeros(n, np.int64)
    _hammer(flags, short, 20_000)
    assert flags[0] == flags[8] == n * 20_000
    assert flags[9] == 0         # no thread still counted as sleeping
    assert not short.any()


@njit
def _swap(a):
    return atomic_cas(a, 0, 5, 7), atomic_cas(a, 0, 5, 9), a[0]


def test_compare_and_swap_exchanges_only_the_expected_value():
    assert _swap(np.array([5], np.int64)) == (5, 7, 7)


# ------------------------------------------------------------------- the split
def test_each_thread_owns_a_block_of_neurons_and_the_synapses_onto_them_in_order():
    from types import SimpleNamespace
    from neurosim._thread_plan import owned_synapses, thread_ranges
    from neurosim.kernels.simulate import Synapses
    rng = np.random.default_rng(1)
    n, n_src = 1003, 1200                     # 1200 sources: the neurons and 197 more
    lengths = rng.integers(0, 30, n_src)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    target = rng.integers(0, 2 * n, indptr[-1])      # channel * n + neuron
    weight, delay = rng.integers(1, 99, target.size), rng.integers(0, 5, target.size)
    arrays = SimpleNamespace(n=n, synapses=Synapses(indptr, target, weight, delay,
                                                    np.zeros(0, np.uint8)))
    for n_threads in (1, 2, 3, 7):
        lo, hi = thread_ranges(n, n_threads)
        assert lo[0] == 0 and hi[-1] == n and np.array_equal(lo[1:], hi[:-1])
        assert not (lo % 8).any() and (hi >= lo).all()
        own = owned_synapses(arrays, n_threads)
        for t in range(n_threads):
            for s in range(n_src):
                row = slice(indptr[s], indptr[s + 1])
                mine = (target[row] % n >= lo[t]) & (target[row] % n < hi[t])
                q = slice(own.indptr[t, s], own.indptr[t, s + 1])
                for got, whole in ((own.target, target), (own.weight, weight),
                                   (own.delay, delay)):
                    assert np.array_equal(got[q], whole[row][mine]), (n_threads, t, s)
        assert own.indptr[-1, -1] == target.size
    # weights changed in place between runs are gathered again; the split is kept
    split = arrays._thread_split
    weight[:] = 7
    assert (owned_synapses(arrays, 7).weight == 7).all() and arrays._thread_split is split


# ------------------------------------------------------------ the default count
def test_the_default_takes_threads_from_the_threshold_and_only_idle_cores(monkeypatch):
    import numba
    from neurosim.backends import numba_backend as nb
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has one thread here")
    be = nb.NumbaBackend()
    monkeypatch.setattr(nb, "_idle_cores", lambda: 64)
    assert be.threads_for(nb.PARALLEL_MIN_NEURONS - 1) == 1
    assert be.threads_for(nb.PARALLEL_MIN_NEURONS) == numba.get_num_threads() > 1
    for idle in (1, 0, -3):         # other work holds the cores
        monkeypatch.setattr(nb, "_idle_cores", lambda: idle)
        assert be.threads_for(10 ** 6) == 1
    assert be.threads_for(10, n_threads=2) == 2          # an explicit count wins


def test_idle_cores_are_the_cores_less_the_runnable_threads_of_other_work(tmp_path):
    from neurosim.backends.numba_backend import _idle_cores
    loadavg = tmp_path / "loadavg"
    loadavg.write_text("3.10 2.50 1.20 4/312 4242\n")     # 4 runnable, this reader one
    cores = len(os.sched_getaffinity(0))        # the cores this process may use
    assert _idle_cores(str(loadavg)) == cores - 3
    assert _idle_cores(str(tmp_path / "absent")) == cores


# ----------------------------------------------- threads that do not run at once
def test_threads_run_one_after_another_give_up_and_the_run_goes_on_on_the_old_engine(
        monkeypatch):
    """Numba limited to one thread runs the parallel loop's iterations in turn: the
    first waits for the second in vain, closes the entry, and neither simulates; the
    backend warns and runs the loop of kernels.simulate, with the same spikes."""
    import numba
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has one thread here")
    mon_ref, net, mon = _reference_and_fresh_cuba()
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    monkeypatch.setattr(numba, "set_num_threads", lambda n: None)
    try:
        with pytest.warns(RuntimeWarning, match="n_threads=2: numba's threading layer"):
            net.run(30 * ms, dt=0.1 * ms, backend="numba", seed=2, n_threads=2)
    finally:
        monkeypatch.undo()
        numba.set_num_threads(previous)
    assert mon_ref["spikes"].num_spikes > 100
    assert np.array_equal(mon["spikes"].i, mon_ref["spikes"].i)
    assert np.array_equal(mon["spikes"].steps, mon_ref["spikes"].steps)


def test_threads_whose_copy_of_the_synapses_would_not_fit_give_way_to_the_old_engine(
        monkeypatch):
    """The threads copy the synapses (20 bytes each); where that does not fit in the
    available memory the run warns and goes on with the same spikes on one loop."""
    import numba
    from neurosim.backends import numba_backend
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has one thread here")
    mon_ref, net, mon = _reference_and_fresh_cuba()
    net.build(dt=0.1 * ms, seed=2)
    asked = []
    monkeypatch.setattr(numba_backend, "fits", lambda n_bytes: asked.append(n_bytes) or False)
    with pytest.warns(RuntimeWarning, match="threads' copy of the synapses"):
        net.run(30 * ms, backend="numba", n_threads=2)
    assert asked == [20 * net._arrays.synapses.target.size]
    assert mon_ref["spikes"].num_spikes > 100
    assert np.array_equal(mon["spikes"].i, mon_ref["spikes"].i)
    assert np.array_equal(mon["spikes"].steps, mon_ref["spikes"].steps)


def _reference_and_fresh_cuba():
    """CUBA (1000 neurons) run 30 ms on one thread, and the same network not yet run:
    ``(reference monitors, network, its monitors)``."""
    sys.path.insert(0, HERE)
    import networks
    reference, mon_ref = networks.cuba(n=1000, p=0.05)
    reference.run(30 * ms, dt=0.1 * ms, backend="numba", seed=2, n_threads=1)
    net, mon = networks.cuba(n=1000, p=0.05)
    return mon_ref, net, mon


def test_a_thread_that_owns_no_neuron_waits_at_the_barriers_and_changes_nothing():
    """13 neurons on 2 threads: blocks are cut at multiples of 8, so thread 0 owns
    none and thread 1 all 13."""
    import numba
    from neurosim._thread_plan import thread_ranges
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has one thread here")
    assert [list(x) for x in thread_ranges(13, 2)] == [[0, 0], [0, 13]]
    got = []
    for n_threads in (1, 2):
        cells = ns.NeuronGroup(13, ns.LIF(tau_m=10 * ms, v_rest=0 * mV, v_reset=0 * mV,
                                          v_th=10 * mV), name="cells")
        drive = ns.PoissonInput(cells, n=50, rate=40 * Hz, weight=1 * mV)
        syn = ns.Synapses(cells, cells, kind="inhibitory", weight=1 * mV, delay=0.3 * ms,
                          connect=ns.FixedProbability(0.3))
        spikes, trace = ns.SpikeMonitor(cells), ns.StateMonitor(cells, "v", record=[0, 12])
        net = ns.Network(cells, drive, syn, spikes, trace)
        net.run(100 * ms, dt=0.1 * ms, backend="numba", seed=4, n_threads=n_threads)
        got.append((spikes.i, spikes.steps, trace.v))
    assert got[0][0].size > 100
    for a, b in zip(*got):
        assert np.array_equal(a, b)


# ------------------------------------------------------------------ the networks
class Leaky(ns.ODEModel):
    """A user's model: dv/dt = (i_ext + ge - gi - v) / tau, exponential ge and gi."""
    parameters = ("tau", "tau_s")
    extra_state = ()
    state_variables = {"v": ("v", volt, 0.0)}
    weight_unit = current_unit = volt
    method = "rk2"

    @staticmethod
    def derivatives(v, ge, gi, i_ext, p):
        return (i_ext + ge - gi - v) / p.tau, -ge / p.tau_s, -gi / p.tau_s

    @staticmethod
    def threshold(v, ge, gi, p):
        return v > 0.02

    @staticmethod
    def reset(v, ge, gi, p):
        return 0.0, ge, gi

    def step_parameters(self, dt):
        return {"tau": 10e-3, "tau_s": 5e-3}


def mixed():
    """Three models (LIF with parameters per neuron, delta-synapse LIF, the user's
    ODE model) in one network, with a spike generator, Poisson sources, a Poisson
    drive, injected currents and drawn delays; thread boundaries fall inside groups."""
    lif = ns.LIF(tau_m=ns.Normal(20 * ms, 4 * ms, low=8 * ms), v_rest=-49 * mV,
                 v_reset=-60 * mV, v_th=-50 * mV, refractory=2 * ms, tau_syn_e=5 * ms,
                 tau_syn_i=10 * ms)
    cells = ns.NeuronGroup(500, lif, v=ns.Uniform(-60 * mV, -50 * mV), name="cells")
    delta = ns.NeuronGroup(300, ns.LIF(tau_m=20 * ms, v_rest=0 * mV, v_reset=10 * mV,
                                       v_th=20 * mV, refractory=2 * ms),
                           v=ns.Uniform(0 * mV, 20 * mV), name="delta")
    # 1003 neurons: the last thread's block does not end on a multiple of 8
    leaky = ns.NeuronGroup(203, Leaky(), v=ns.Uniform(0 * mV, 20 * mV), name="leaky")
    gen = ns.SpikeGeneratorGroup(20, np.arange(200) % 20, np.arange(200) * 0.4 * ms,
                                 name="gen")
    noise = ns.PoissonGroup(50, rates=30 * Hz, name="noise")
    d = ns.Normal(1.0 * ms, 0.5 * ms, low=0.1 * ms)
    syn = [ns.Synapses(cells[:400], cells, kind="excitatory", weight=1.62 * mV, delay=d,
                       connect=ns.FixedProbability(0.05)),
           ns.Synapses(cells[400:], cells, kind="inhibitory", weight=9 * mV, delay=d,
                       connect=ns.FixedProbability(0.05)),
           ns.Synapses(cells, delta, kind="excitatory", weight=0.5 * mV,
                       connect=ns.FixedProbability(0.05)),
           ns.Synapses(delta, leaky, kind="excitatory", weight=2 * mV, delay=d,
                       connect=ns.FixedProbability(0.05)),
           ns.Synapses(leaky, cells, kind="inhibitory", weight=2 * mV, delay=d,
                       connect=ns.FixedProbability(0.05)),
           ns.Synapses(gen, leaky, kind="excitatory", weight=4 * mV,
                       connect=ns.FixedProbability(0.3)),
           ns.Synapses(noise, delta, kind="excitatory", weight=1 * mV, delay=d,
                       connect=ns.FixedProbability(0.2))]
    inputs = [ns.PoissonInput(delta, n=100, rate=12 * Hz, weight=0.9 * mV),
              ns.CurrentInput(leaky, 15 * mV)]
    monitors = [ns.SpikeMonitor(g) for g in (cells, delta, leaky, gen, noise)]
    monitors += [ns.StateMonitor(cells, ("v", "i_e", "i_i"), record=[0, 327, 499]),
                 ns.StateMonitor(delta, "v", record=[0, 150, 299]),
                 ns.StateMonitor(leaky, "v", record=[0, 202]),
                 ns.RateMonitor(cells), ns.RateMonitor(delta)]
    return ns.Network(cells, delta, leaky, gen, noise, *syn, *inputs, *monitors), monitors


_CHILD = """
import hashlib, sys
import numpy as np
from neurosim.backends.numba_backend import NumbaBackend
from neurosim.units import ms
import networks, test_threads

CASES = {
    "cuba": lambda: networks.cuba(n=2000, p=0.05),        # no delay: one slot
    "cuba_delays": lambda: networks.cuba(n=2000, p=0.05, delay=0.5 * ms),
    "brunel": lambda: networks.brunel(n_e=2000),
    "poisson_delays": lambda: networks.poisson_delays(n=600, n_sources=300),
    "mixed": test_threads.mixed,
}


def digest(net, monitors):
    h, n_spikes = hashlib.sha256(), 0
    for m in (monitors.values() if isinstance(monitors, dict) else monitors):
        for name in ("i", "steps", "rate", "v", "i_e", "i_i"):
            x = getattr(m, name, None)
            if isinstance(x, np.ndarray):
                h.update(name.encode() + np.ascontiguousarray(x).tobytes())
        n_spikes += getattr(m, "num_spikes", 0)
    nr = net._arrays.neurons
    for x in (nr.v, nr.ge, nr.gi, nr.buffer):
        h.update(np.ascontiguousarray(x).tobytes())
    return h.hexdigest()[:16], n_spikes


for name in sys.argv[1:]:
    for n_threads in (1, 2, 3):
        for way in ("whole", "sliced"):
            net, monitors = CASES[name]()
            if way == "whole":
                net.run(100 * ms, dt=0.1 * ms, backend="numba", seed=5, n_threads=n_threads)
            else:      # one-step slices, and a run continued
                NumbaBackend.slice_seconds = 1e-9
                net.run(37 * ms, dt=0.1 * ms, backend="numba", seed=5, n_threads=n_threads)
                net.run(63 * ms)
                NumbaBackend.slice_seconds = 0.2
            threaded = hasattr(net._arrays, "_thread_split")
            print("RESULT", name, n_threads, way, threaded, *digest(net, monitors))
"""


def _child(names):
    env = dict(os.environ, NUMBA_NUM_THREADS="3",
               PYTHONPATH=os.pathsep.join([ROOT, HERE, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-W", "error:n_threads=:RuntimeWarning", "-c", _CHILD,
                          *names], env=env, cwd=HERE, capture_output=True, text=True,
                         timeout=1800)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = [line.split()[1:] for line in out.stdout.splitlines() if line.startswith("RESULT")]
    return {(name, int(t), way): (threaded == "True", dig, int(n))
            for name, t, way, threaded, dig, n in rows}


@pytest.mark.parametrize("names", [("cuba", "cuba_delays", "brunel"), ("poisson_delays", "mixed")])
def test_one_two_and_three_threads_give_identical_spikes_state_and_rates(names):
    got = _child(names)
    for name in names:
        serial = got[(name, 1, "whole")]
        assert not serial[0] and serial[2] > 1000, (name, serial)
        for t in THREADS:
            for way in ("whole", "sliced"):
                threaded, dig, n = got[(name, t, way)]
                assert threaded == (t > 1), (name, t, way)
                assert (dig, n) == serial[1:], (name, t, way)
