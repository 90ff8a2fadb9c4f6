"""The CUDA backend against the numba backend: the same spikes, bit for bit.

Without a GPU these run in numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``,
set by the Makefile before numba is imported), at small sizes and with 16
threads per block so that every kernel spans several blocks. On a machine with
a GPU and without the variable, the same tests run on the device.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import neurosim as ns
from neurosim.backends.cuda_backend import CudaBackend
from neurosim.kernels import _cuda
from neurosim.units import Hz, ms, mV

sys.path.insert(0, os.path.dirname(__file__))
from networks import (assert_equal_records, balanced_binary, brunel, coba, cuba,  # noqa: E402
                      poisson_delays)

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not CudaBackend.is_available(),
                                 reason=f"CUDA unavailable: {CudaBackend.why_unavailable()}")]


@pytest.fixture(autouse=True)
def _small_blocks(monkeypatch):
    monkeypatch.setattr(CudaBackend, "threads_per_block", 16)
    monkeypatch.setattr(CudaBackend, "fused_threads", 16)


def _use_launch_mode(monkeypatch, mode):
    """A grid-wide launch per phase, or many steps in one cooperative launch (the
    default; one block in the simulator)."""
    monkeypatch.setattr(CudaBackend, "launch", mode)


def _record(build, backend, duration, seed=7, **run):
    net, monitors = build()
    net.run(duration, dt=0.1 * ms, backend=backend, seed=seed, **run)
    return {name: (m.i, m.steps) if isinstance(m, ns.SpikeMonitor) else
            (m.rate if isinstance(m, ns.RateMonitor) else
             np.concatenate([getattr(m, v) for v in m.variables]))
            for name, m in monitors.items()}


def _assert_same(a, b, dtype=np.float64):
    """Spikes equal; state traces equal in the simulator and within 64 machine epsilons
    of the network's precision on a GPU (``networks.assert_equal_records``). On an H100
    (numba-cuda 0.30.4) the traces differed from numba's by up to 4 ulp after 6 ms
    (CUBA, COBA; 2 ulp of float32) while every spike was the same (docs/design.md,
    "Summation order"). Spike monitors are compared first."""
    assert a.keys() == b.keys()
    for name in sorted(a, key=lambda name: not isinstance(a[name], tuple)):
        for x, y in zip(a[name], b[name]) if isinstance(a[name], tuple) else [(a[name], b[name])]:
            assert_equal_records(y, x, err_msg=name, dtype=dtype)


def _many_short_rows():
    cells = ns.NeuronGroup(30, ns.LIF(tau_m=10 * ms, v_rest=-65 * mV, v_reset=-65 * mV,
                                      v_th=-50 * mV, tau_syn_e=2 * ms, tau_syn_i=4 * ms),
                           v=ns.Uniform(-65 * mV, -50 * mV), name="cells")
    noise = ns.PoissonGroup(100, rates=2000 * Hz, name="noise")
    syn = [ns.Synapses(noise, cells, kind="excitatory", weight=4 * mV,
                       delay=ns.Uniform(0.1 * ms, 0.5 * ms), connect=ns.FixedProbability(0.03)),
           ns.Synapses(cells, cells, kind="inhibitory", weight=1 * mV,
                       connect=ns.FixedProbability(0.1))]
    monitors = {"spikes": ns.SpikeMonitor(cells), "sources": ns.SpikeMonitor(noise)}
    return ns.Network(cells, noise, *syn, *monitors.values()), monitors


NETWORKS = {
    "mcculloch_pitts": lambda: balanced_binary(k=8, n=40),
    "cuba": lambda: cuba(n=50, p=0.2),
    "cuba_reset_by_subtraction": lambda: cuba(n=50, p=0.2, reset="subtract"),
    # rows of ~50 synapses, longer than a block of 16 threads
    "cuba_dense": lambda: cuba(n=100, p=0.5),
    # every delay one step: the rows delivered in the phase that fires the next step
    # fill the slot applied right after it (one barrier a step, fused)
    "cuba_one_step_delay": lambda: cuba(n=50, p=0.2, delay=0.1 * ms),
    # ~20 sources firing a step, more than a block of 16 threads scans at once, most of
    # their rows empty or of one synapse
    "many_short_rows": lambda: _many_short_rows(),
    "coba": lambda: coba(n=50, p=0.2),
    "brunel_delays": lambda: brunel(g=5.0, eta=2.0, n_e=40),
    "poisson_delays": lambda: poisson_delays(n=30, n_sources=40, rate=300 * Hz, p=0.3),
}


@pytest.mark.parametrize("name,mode", [(name, "fused") for name in sorted(NETWORKS)]
                         + [("cuba", "per_phase"), ("cuba_dense", "per_phase"),
                            ("many_short_rows", "per_phase"),
                            ("brunel_delays", "per_phase"),
                            ("poisson_delays", "per_phase")])
def test_cuda_spikes_equal_numba_spikes(name, mode, monkeypatch):
    _use_launch_mode(monkeypatch, mode)
    build = NETWORKS[name]
    numba_run = _record(build, "numba", 6 * ms)
    cuda_run = _record(build, "cuda", 6 * ms)
    _assert_same(numba_run, cuda_run)
    total = sum(v[0].size for v in numba_run.values() if isinstance(v, tuple))
    assert total > 0, "the comparison needs spikes to mean anything"


@pytest.mark.parametrize("name", ["cuba", "brunel_delays", "mcculloch_pitts"])
def test_cuda_float32_spikes_equal_numba_float32_spikes(name):
    def build():
        net, monitors = NETWORKS[name]()
        return ns.Network(*net.objects, dtype="float32"), monitors
    _assert_same(_record(build, "numba", 4 * ms), _record(build, "cuda", 4 * ms), np.float32)


def test_one_grid_barrier_a_step_only_where_no_spike_is_due_in_the_next_phase(monkeypatch):
    """Launches take one barrier a step where every delay is at least a step, no
    synapse is plastic and no generator fires after the launch's first step; two
    otherwise. Each choice gives numba's spikes (the fused cases of the test above)."""
    from neurosim.kernels import simulate_cuda
    chosen = []
    fused = simulate_cuda.steps_fused_cuda

    def spy(d, seed, step0, row0, n_steps, gen_ptr, blocks, threads, pgroup, one_barrier,
            stream):
        chosen.append((step0, n_steps, one_barrier))
        return fused(d, seed, step0, row0, n_steps, gen_ptr, blocks, threads, pgroup,
                     one_barrier, stream)
    monkeypatch.setattr(simulate_cuda, "steps_fused_cuda", spy)
    _use_launch_mode(monkeypatch, "fused")

    def launches(build, duration=2 * ms, **run):
        chosen.clear()
        _record(build, "cuda", duration, **run)
        return [c for c in chosen if c[1] > 0]

    def one_barrier_in(build):
        return {single for _, _, single in launches(build)}
    assert one_barrier_in(NETWORKS["cuba_one_step_delay"]) == {True}
    assert one_barrier_in(NETWORKS["brunel_delays"]) == {True}
    assert one_barrier_in(NETWORKS["cuba"]) == {False}               # no delay
    assert one_barrier_in(NETWORKS["many_short_rows"]) == {False}    # some of no delay

    def kicked():
        units = ns.NeuronGroup(5, ns.McCullochPitts(theta=1), name="units")
        kick = ns.SpikeGeneratorGroup(1, [0, 0, 0, 0], [0.0, 8.0, 8.1, 8.2] * ms)
        syn = ns.Synapses(kick, units, kind="excitatory", weight=1, connect=ns.AllToAll(),
                          delay=0.1 * ms)
        mon = ns.SpikeMonitor(units)
        return ns.Network(units, kick, syn, mon), {"spikes": mon}
    # a launch in which a generator spike (steps 80-82) falls after the first step takes
    # two barriers a step, the others one
    runs = launches(kicked, 20 * ms, chunk_steps=50)
    assert [single for *_, single in runs] == [not any(s0 < k < s0 + n for k in (80, 81, 82))
                                               for s0, n, _ in runs]
    assert {single for *_, single in runs} == {True, False}
    want, got = _record(kicked, "numba", 20 * ms), _record(kicked, "cuda", 20 * ms)
    assert want["spikes"][0].size > 5
    _assert_same(want, got)
    assert simulate_cuda.one_barrier(None, False, np.zeros(3))
    assert not simulate_cuda.one_barrier(0, False, np.zeros(3))
    assert not simulate_cuda.one_barrier(2, True, np.zeros(3))
    assert simulate_cuda.one_barrier(2, False, np.array([1, 0, 0]))


def test_cuda_synchronous_mcculloch_pitts_chain_equals_numba():
    def build():
        units = ns.NeuronGroup(20, ns.McCullochPitts(theta=1), name="chain")
        kick = ns.SpikeGeneratorGroup(1, [0], [0.2] * ms)
        syn = [ns.Synapses(kick, units[:1], kind="excitatory", weight=1, connect=ns.AllToAll()),
               ns.Synapses(units[:-1], units[1:], kind="excitatory", weight=1,
                           connect=ns.OneToOne())]
        mon = ns.SpikeMonitor(units)
        return ns.Network(units, kick, *syn, mon), {"spikes": mon}
    a, b = _record(build, "numba", 3 * ms), _record(build, "cuda", 3 * ms)
    _assert_same(a, b)
    # the activity travels one unit per step: unit k first active 3 + k steps in
    first = [b["spikes"][1][b["spikes"][0] == k].min() for k in range(20)]
    assert np.array_equal(np.diff(first), np.ones(19))


@pytest.mark.parametrize("rows", [None, 8])
def test_cuda_continued_runs_equal_one_run(rows, monkeypatch):
    """Also with spike bits of 8 rows, so that launches of up to 8 steps wrap around
    them (at 13 steps a chunk)."""
    if rows:
        from neurosim.backends import cuda_backend
        monkeypatch.setattr(cuda_backend, "MIN_LAUNCH_STEPS", rows)
        monkeypatch.setattr(cuda_backend, "MAX_LAUNCH_STEPS", rows)
    one = _record(lambda: brunel(n_e=40), "numba", 6 * ms)
    assert one["spikes"][0].size > 20, "the comparison needs spikes to mean anything"
    net, monitors = brunel(n_e=40)
    net.run(2 * ms, dt=0.1 * ms, backend="cuda", seed=7)
    net.run(4 * ms, backend="cuda", chunk_steps=13)
    np.testing.assert_array_equal(monitors["spikes"].i, one["spikes"][0])
    np.testing.assert_array_equal(monitors["spikes"].steps, one["spikes"][1])


def test_delays_travel_to_the_gpu_as_bytes_where_they_fit():
    from neurosim.backends.cuda_backend import _narrow_delays
    short = np.array([0, 15, 255], np.int16)
    assert _narrow_delays(short).dtype == np.uint8
    np.testing.assert_array_equal(_narrow_delays(short), short)
    long = np.array([0, 256], np.int16)
    assert _narrow_delays(long) is long
    assert _narrow_delays(np.zeros(0, np.int16)).size == 0


def test_spike_bits_are_read_in_the_order_of_step_and_index():
    from neurosim.backends.cuda_backend import _set_bits
    rng = np.random.default_rng(3)
    on = rng.random((7, 96)) < 0.1
    on[:, 31] = on[3, :] = True          # the top bit of a word, a full row
    words = np.packbits(on, axis=1, bitorder="little").view("<u4")
    i, row = _set_bits(words)
    want_row, want_i = np.nonzero(on)
    np.testing.assert_array_equal(i, want_i)
    np.testing.assert_array_equal(row, want_row)


def test_cuda_and_numba_can_alternate_on_one_network():
    one = _record(lambda: brunel(n_e=40), "numba", 6 * ms)
    net, monitors = brunel(n_e=40)
    net.run(3 * ms, dt=0.1 * ms, backend="cuda", seed=7)
    net.run(3 * ms, backend="numba")
    np.testing.assert_array_equal(monitors["spikes"].steps, one["spikes"][1])
    np.testing.assert_array_equal(monitors["spikes"].i, one["spikes"][0])


def test_cuda_sees_what_changed_between_runs():
    """Rates, constant currents, weights and model parameters set between runs reach
    the GPU (its copies of them were once kept from the first run: a silent error)."""
    from neurosim.units import mV

    def run(backend):
        src = ns.PoissonGroup(20, 50 * Hz, name="src")
        cells = ns.NeuronGroup(10, ns.LIF(tau_m=10 * ms, v_rest=0 * mV, v_reset=0 * mV,
                                          v_th=10 * mV), name="cells")
        syn = ns.Synapses(src, cells, kind="excitatory", weight=3 * mV,
                          connect=ns.FixedProbability(0.5), delay=1 * ms)
        bias = ns.CurrentInput(cells, 1 * mV)
        out, inp = ns.SpikeMonitor(cells), ns.SpikeMonitor(src)
        net = ns.Network(src, cells, syn, bias, out, inp)
        net.run(10 * ms, dt=0.1 * ms, seed=1, backend=backend)
        counts = [out.num_spikes]
        for change in (lambda: setattr(src, "rates", 400 * Hz),
                       lambda: setattr(bias, "amplitude", 8 * mV),
                       lambda: setattr(syn, "weight", 6 * mV),
                       lambda: setattr(cells, "model", ns.LIF(tau_m=10 * ms, v_rest=0 * mV,
                                                              v_reset=0 * mV, v_th=30 * mV))):
            change()
            net.run(10 * ms, backend=backend)
            counts.append(out.num_spikes)
        return counts, out.i.copy(), out.steps.copy(), inp.num_spikes

    want, got = run("numba"), run("cuda")
    assert np.all(np.diff(want[0]) > 0) and want[3] > 200    # every run fires
    assert got[0] == want[0] and got[3] == want[3]
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(got[2], want[2])


def test_cuda_unavailable_error_names_cause_and_alternatives():
    code = ("import neurosim as ns\n"
            "try:\n    ns.backends.get_backend('cuda')\n"
            "except RuntimeError as e:\n    print(e)\n")
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0", CUDA_VISIBLE_DEVICES="")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    message = out.stdout
    if "unavailable" not in message:
        pytest.skip("a real GPU is visible here, so CUDA is available")
    assert "backend='cuda' is unavailable" in message
    assert "available: ('numpy', 'numba')" in message


@pytest.mark.skipif(_cuda.simulator_enabled(),
                    reason="device memory can only be measured on a real GPU")
def test_device_memory_is_released_over_100_build_run_delete_cycles():
    import gc
    context = _cuda.cuda.current_context()

    def cycle():
        net, _ = cuba(n=2000, p=0.02)
        net.run(1 * ms, dt=0.1 * ms, backend="cuda", seed=1)

    def held_after_collection():
        """Bytes this process holds on the device through numba's allocator. Not the
        device's free memory: other processes (pytest-xdist workers) share the GPU, and
        their first launches reserve memory while this test runs."""
        gc.collect()
        context.deallocations.clear()
        allocations = getattr(context.memory_manager, "allocations", None)
        if allocations is None:          # an external memory manager (numba EMM plugin)
            return -context.get_memory_info()[0]
        return sum(pointer.size for pointer in allocations.values())

    cycle()
    held_before = held_after_collection()
    for _ in range(100):
        cycle()
    assert held_after_collection() - held_before < 16 * 2**20
