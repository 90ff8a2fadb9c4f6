"""One network split over MPI ranks (mpi4py): placement, spike exchange, gathering.

The script is the same as for one process; ``mpirun -n K python script.py``
runs it on K ranks. ``Network.run(backend="numba")`` then notices that it was
started by an MPI launcher with more than one process and runs the
distributed engine (``backend="cuda"``: the same, each rank on a GPU of its
own, see ``_GpuRank``):

* every rank builds the neurons of the whole network but only the synapses
  whose *target* it owns (``Network.build`` asks ``local_neurons``): it
  draws the same random numbers as one process, so that no connectivity
  travels and the synapses are the ones one process builds, and keeps its
  part as it goes (``FixedProbability`` draws in blocks), so that the memory
  for synapses per rank falls as 1/K; ``Synapses.i``, ``j``, ``weight`` and
  ``delay`` hold the rank's part;
* neurons (and Poisson/generator sources) are placed on ranks by
  ``Network(..., placement=...)``: ``"population"`` (default) gives each rank a
  contiguous block of the global numbering, with cuts moved onto group
  boundaries nearby, so populations stay together; ``"round_robin"`` deals
  neuron ``k`` to rank ``k mod K``, as NEST does;
* ranks advance ``min_delay`` steps on their own, then exchange the spikes of
  that interval with one ``Allgather`` of fixed-size blocks (an ``Allgatherv``
  follows when a block overflows); every rank therefore sees every spike,
  so spike and rate monitors can be complete on every rank; state monitors are
  summed over ranks (each sample has one owner) at the end of each chunk;
  each monitor then keeps what its ``gather`` asks: the whole record on every
  rank, on rank 0 only, or on every rank its own neurons' part (streamed
  into one recording that ``load_recording`` merges);
* at the end of ``run`` the state (potentials, synaptic input in flight) is
  combined, so ``get_state``, ``store`` and checkpoints work on every rank.

Randomness during the run is keyed by global neuron index and input sums are
exact, so the spikes do not depend on the number of ranks or the placement.

Errors: a network whose minimum delay is below one step, or ranks that built
different networks (a fingerprint is compared) or asked for different runs,
raise the same error on every rank. Any other exception on one rank during a
run, or uncaught in the script afterwards, aborts all ranks
(``MPI_Abort``), so that none waits forever in a collective call.
"""
import hashlib
import os
import sys
import time
import traceback

import numpy as np

from ._run_loop import collect, prepare_chunk, show_progress
from .monitors import RateMonitor

__all__ = ["rank", "num_processes", "is_distributed", "PLACEMENTS", "DistributedError"]

PLACEMENTS = ("population", "round_robin")
# environment variables by which MPI launchers announce the number of processes
# (Open MPI; MPICH, Intel MPI and srun --mpi=pmi2; MVAPICH). Other launchers: import
# mpi4py.MPI at the top of the script, and neurosim uses it.
_SIZE_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE")
_world = None


class DistributedError(RuntimeError):
    """Raised identically on every rank: the ranks disagree, or the network cannot be split."""

    all_ranks = True


# ----------------------------------------------------------------- communicators
class _SelfComm:
    """One process, no MPI: the distributed engine on one rank (precompile, tests)."""

    rank, size = 0, 1

    def allgather_spikes(self, local):
        return local.copy()

    def allgather(self, obj):
        return [obj]

    def allreduce_sum(self, array):
        pass

    def bcast(self, obj):
        return obj

    def abort(self, code=1):
        os._exit(code)


class _MPIComm:
    """The few collectives the engine needs, on an mpi4py communicator."""

    def __init__(self, comm):
        from mpi4py import MPI
        self._mpi = MPI
        self.comm = comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        # spikes per rank and interval that one Allgather block holds (grows when
        # exceeded); every rank receives size x block, so fewer per rank for many ranks
        self._resize(max(4, 1024 // self.size))

    def _resize(self, capacity):
        self._cap = capacity
        self._send = np.zeros(capacity + 1, np.int64)
        self._recv = np.zeros((self.size, capacity + 1), np.int64)
        self._slots = np.arange(capacity)

    def allgather_spikes(self, local):
        """Everybody's spikes of the interval, in rank order.

        One ``Allgather`` of fixed-size blocks ``[count, spikes...]`` (as NEST
        does); only when a rank has more spikes than a block holds, an
        ``Allgatherv`` of the rest follows, and the blocks grow for next time
        (every rank sees the same counts, so they all grow alike).
        """
        cap, n = self._cap, local.size
        self._send[0] = n
        self._send[1:1 + min(n, cap)] = local[:cap]
        self.comm.Allgather(self._send, self._recv)
        counts = self._recv[:, 0].copy()
        body = self._recv[:, 1:]
        if counts.max() <= cap:
            return body[self._slots[None, :] < counts[:, None]]
        extra = np.maximum(counts - cap, 0)
        rest = np.empty(int(extra.sum()), np.int64)
        displs = np.zeros(self.size, np.int64)
        np.cumsum(extra[:-1], out=displs[1:])
        self.comm.Allgatherv(np.ascontiguousarray(local[cap:]),
                             [rest, (extra, displs), self._mpi.INT64_T])
        parts = []
        for r in range(self.size):
            parts.append(body[r, :min(counts[r], cap)])
            parts.append(rest[displs[r]:displs[r] + extra[r]])
        out = np.concatenate(parts)
        self._resize(int(2 * counts.max()))
        return out

    def allgather(self, obj):
        return self.comm.allgather(obj)

    def allreduce_sum(self, array):
        """Sum ``array`` over the ranks, in place (each element has one non-zero owner)."""
        if array.size:
            self.comm.Allreduce(self._mpi.IN_PLACE, array, op=self._mpi.SUM)

    def bcast(self, obj):
        return self.comm.bcast(obj, root=0)

    def abort(self, code=1):
        self.comm.Abort(code)


def _launched_size():
    for var in _SIZE_VARIABLES:
        value = os.environ.get(var, "")
        if value.isdigit():
            return int(value)
    return 1


def world():
    """The communicator of this run, or None for a plain one-process run.

    MPI is used when ``mpi4py.MPI`` was already imported by the script, or when
    an MPI launcher announced more than one process. Launched with several
    processes but without mpi4py is an error (each rank would otherwise
    silently simulate the whole network on its own).
    """
    global _world
    if _world is not None:
        return _world if _world.size > 1 else None
    if "mpi4py.MPI" not in sys.modules:
        n = _launched_size()
        if n <= 1:
            return None
        try:
            import mpi4py.MPI  # noqa: F401
        except ImportError as err:
            raise RuntimeError(
                f"this process was started by an MPI launcher with {n} processes, but mpi4py "
                "is not installed, so the ranks cannot share the network; install it "
                "(pip install 'neurosim[mpi]') or run without mpirun") from err
    from mpi4py import MPI
    _world = _MPIComm(MPI.COMM_WORLD)
    if _world.size > 1:
        _install_excepthook(_world)
    return _world if _world.size > 1 else None


def rank():
    """This process's rank (0 without MPI): guard plotting and printing with ``rank() == 0``."""
    comm = world()
    return comm.rank if comm else 0


def num_processes():
    """The number of MPI ranks the network is split over (1 without MPI)."""
    comm = world()
    return comm.size if comm else 1


def is_distributed():
    """True when running under an MPI launcher with more than one rank."""
    return world() is not None


def _install_excepthook(comm):
    previous = sys.excepthook

    def hook(kind, value, tb):
        previous(kind, value, tb)
        sys.stderr.flush()
        if not getattr(value, "all_ranks", False):
            # an error of this rank alone: the others may wait for it in a collective
            sys.stderr.write(f"[neurosim] rank {comm.rank}: uncaught {kind.__name__}; "
                             "aborting all ranks (MPI_Abort)\n")
            sys.stderr.flush()
            comm.abort(1)

    sys.excepthook = hook


def draw_seed():
    """A seed from the operating system, the same on every rank (rank 0's)."""
    seed = int(np.random.SeedSequence().entropy % 2**63)
    comm = world()
    return comm.bcast(seed) if comm else seed


def check_placement(placement):
    """``placement`` if it is one of :data:`PLACEMENTS`, else a ValueError."""
    if placement not in PLACEMENTS:
        raise ValueError(f"placement={placement!r} is not one of {PLACEMENTS}: 'population' "
                         "keeps populations together on a rank, 'round_robin' deals neuron k "
                         "to rank k mod the number of ranks")
    return placement


def check_backend(name, n_threads=None, requested=None):
    """The engine that splits the network under MPI: ``'numba'`` (one thread per rank)
    or ``'cuda'`` (one GPU per rank); ``backend='auto'`` (``requested``) means numba."""
    size = num_processes()
    if name not in ("numba", "cuda") and requested != "auto":
        raise ValueError(f"backend={name!r} cannot split a network over the {size} MPI ranks "
                         "this script was started with; use backend='numba' (one process per "
                         "rank) or backend='cuda' (one GPU per rank), or run one network per "
                         "process (neurosim.dask_sweep)")
    if n_threads is not None and n_threads != 1:
        raise ValueError(f"n_threads={n_threads!r}: under MPI each rank updates its neurons in "
                         "one thread; start more ranks instead (mpirun -n K)")
    return "cuda" if name == "cuda" and requested != "auto" else "numba"


# --------------------------------------------------------------------- placement
def _cuts(n, size, boundaries):
    """``size + 1`` cut points of ``[0, n)`` into near-equal blocks, each cut moved onto
    a group boundary when one lies within an eighth of a block."""
    boundaries = np.unique(np.asarray(boundaries, dtype=np.int64))
    cuts = [0]
    for r in range(1, size):
        c = int(round(r * n / size))
        if boundaries.size:
            b = boundaries[np.argmin(np.abs(boundaries - c))]
            if abs(b - c) <= n / (8 * size):
                c = int(b)
        cuts.append(max(c, cuts[-1]))
    cuts.append(n)
    return np.array(cuts, dtype=np.int64)


def owners(net, size, placement):
    """Rank of every neuron and source (global numbering), as an int64 array.

    It depends only on the sizes of the groups, so a rank knows it before it
    builds anything (and builds the incoming synapses of its own neurons only).
    """
    offsets = net._offsets()
    n = sum(g.n for g in net.groups)
    n_src = sum(s.n for s in net.sources)
    if placement == "round_robin":
        return np.concatenate([np.arange(n) % size, np.arange(n_src) % size]).astype(np.int64)
    seg_lo = np.array([offsets[id(g)] for g in net.groups], np.int64)
    seg_hi = seg_lo + np.array([g.n for g in net.groups], np.int64)
    cut_n = _cuts(n, size, np.concatenate([seg_lo, seg_hi]))
    src_bounds = [offsets[id(s)] - n for s in net.sources] + [n_src]
    cut_s = _cuts(n_src, size, src_bounds)
    own_n = np.searchsorted(cut_n[1:-1], np.arange(n), side="right")
    own_s = np.searchsorted(cut_s[1:-1], np.arange(n_src), side="right")
    return np.concatenate([own_n, own_s]).astype(np.int64)


def local_neurons(net):
    """At build: which neurons this rank owns (bool per neuron), None without MPI.

    The network then builds only their incoming synapses; ``net._mpi_part``
    remembers for which rank, number of ranks and placement."""
    comm = world()
    if comm is None:
        net._mpi_part = None
        return None
    net._mpi_part = (comm.rank, comm.size, net.placement)
    n = sum(g.n for g in net.groups)
    return owners(net, comm.size, net.placement)[:n] == comm.rank


def _local(net, owner, rank, size, placement):
    from .kernels.simulate_mpi import Local
    a = net._arrays
    n, nr = a.n, a.neurons
    mine = np.flatnonzero(owner[:n] == rank)
    lo, hi, stride, seg = [], [], [], []
    for g in range(nr.seg_lo.size):
        s_lo, s_hi = int(nr.seg_lo[g]), int(nr.seg_hi[g])
        if placement == "round_robin":
            first = s_lo + (rank - s_lo) % size
            piece = (first, s_hi, size)
        else:
            inside = mine[(mine >= s_lo) & (mine < s_hi)]
            piece = (int(inside[0]), int(inside[-1]) + 1, 1) if inside.size else (0, 0, 1)
        if piece[0] < piece[1]:
            lo.append(piece[0])
            hi.append(piece[1])
            stride.append(piece[2])
            seg.append(g)
    is_local = (owner == rank).astype(np.uint8)
    scan = (int(mine[0]) // 8, int(mine[-1]) // 8 + 1) if mine.size else (0, 0)
    return Local(piece_lo=np.array(lo, np.int64), piece_hi=np.array(hi, np.int64),
                 piece_stride=np.array(stride, np.int64), piece_seg=np.array(seg, np.int64),
                 is_local=is_local, sources=np.flatnonzero(owner[n:] == rank) + n,
                 scan_lo=np.int64(scan[0]), scan_hi=np.int64(scan[1]))


def _local_synapses(syn, is_local_neuron, n):
    """The synapses whose target is local, as CSR over global sources, and their positions."""
    from .kernels.simulate import Synapses
    keep = is_local_neuron[syn.target % n].astype(bool)
    positions = np.flatnonzero(keep)
    counts = np.add.reduceat(keep.astype(np.int64), syn.indptr[:-1]) if keep.size else \
        np.zeros(syn.indptr.size - 1, np.int64)
    counts[np.diff(syn.indptr) == 0] = 0          # reduceat repeats a value for empty rows
    indptr = np.zeros_like(syn.indptr)
    np.cumsum(counts, out=indptr[1:])
    return Synapses(indptr=indptr, target=syn.target[positions], weight=syn.weight[positions],
                    delay=syn.delay[positions]), positions


# --------------------------------------------------------------- agreement checks
def _digest(*arrays):
    h = hashlib.blake2b(digest_size=12)
    for x in arrays:
        x = np.ascontiguousarray(x)
        h.update(str((x.dtype.str, x.shape)).encode())
        h.update(x.tobytes())
    return h.hexdigest()


def fingerprint(net):
    """A digest of the built network: sizes, parameters, initial state, connectivity.

    Connectivity enters through each projection's summary (number of synapses,
    checksums of the pairs, weights and delays of the whole projection), which
    every rank computes alike although it keeps only its own part."""
    a = net._arrays
    nr, src = a.neurons, a.sources
    parts = [np.array([a.n, src.p_fire.size, nr.buffer.shape[0], net._build_seed], np.int64),
             np.array([net.dt]), np.array([str(net.dtype)]),
             nr.seg_lo, nr.seg_hi, nr.seg_code, nr.seg_prm, src.gen_step, src.gen_source,
             a.recorders.mask, a.recorders.st_idx,
             np.array([repr(tuple(s._summary)) for s in net.synapses] + [""])]
    parts += list(a.drives) + list(a.currents)
    return _digest(*parts)


def _summary(net):
    a = net._arrays
    n_syn = sum(s._summary.n_synapses for s in net.synapses)
    return (f"{a.n} neurons, {a.sources.p_fire.size} sources, {n_syn} "
            f"synapses, seed {net._build_seed}, dt {net.dt * 1e3:g} ms")


def _uniform_weights(net):
    """Per projection, its weight if all of this rank's synapses of it have one weight
    (as after ``syn.weight = value``), else None: comparable between ranks, which
    hold different synapses."""
    out = []
    for s in net.synapses:
        w = s._weight_si
        # two or more: a rank's single synapse of drawn weights proves nothing
        out.append(float(w[0]) if w.size > 1 and w.min() == w.max() else None)
    return out


def _check_agreement(comm, net, fp, n_steps, placement):
    a = net._arrays
    mine = {"network": (fp, _summary(net)),
            "run": (net.t_step, n_steps, net.seed, placement, int(a.counters[0])),
            "changed parameters": _digest(a.sources.p_fire, a.neurons.i_bias,
                                          a.neurons.seg_prm)}
    weights = comm.allgather(_uniform_weights(net))
    for k in range(len(net.synapses)):
        values = {w[k] for w in weights} - {None}
        if len(values) > 1:
            raise DistributedError(
                f"the MPI ranks disagree about the changed parameters: the weights of "
                f"{net.synapses[k].name} differ between ranks ({sorted(values)}, in the "
                "target model's weight unit). Every rank must change them in the same way")
    everyone = comm.allgather(mine)
    for key in mine:
        values = [e[key] for e in everyone]
        if any(v != values[0] for v in values):
            shown = "; ".join(f"rank {r}: {v[1] if key == 'network' else v}"
                              for r, v in enumerate(values))
            raise DistributedError(
                f"the MPI ranks disagree about the {key} ({shown}). Every rank must build "
                "the same network from the same script and seed (pass seed= explicitly), "
                "change it in the same way and call run() with the same arguments")


def min_delay_steps(net):
    """The shortest synaptic delay in steps (None without synapses), of the whole
    network: the same on every rank, which holds only its neurons' synapses."""
    shortest = [s._summary.min_delay_steps for s in net.synapses
                if s._summary.min_delay_steps is not None]
    return min(shortest) if shortest else None


def _check_min_delay(net, size):
    d = min_delay_steps(net)
    if d is not None and d < 1:
        zero = [s.name for s in net.synapses
                if s._summary.min_delay_steps is not None and s._summary.min_delay_steps < 1]
        raise DistributedError(
            f"min delay = 0 steps: the network cannot be split over {size} MPI ranks, which "
            "exchange spikes once per minimum delay and so need every delay to be at least "
            f"one step (dt = {net.dt * 1e3:g} ms). Synapses with delay 0: {', '.join(zero)}; "
            f"give them delay >= {net.dt * 1e3:g} ms, or run in one process")
    return d


# ----------------------------------------------------------------------- the run
class _Plan:
    """What a rank keeps between runs of one built network."""

    def __init__(self, net, comm, placement, fp):
        a = net._arrays
        self.key = (id(a), comm.size, placement)
        self.owner = owners(net, comm.size, placement)
        self.local = _local(net, self.owner, comm.rank, comm.size, placement)
        self.neuron_mask = self.local.is_local[:a.n].astype(bool)
        part = getattr(net, "_mpi_part", None)
        if part == (comm.rank, comm.size, placement):
            self.positions = None           # built as this rank's part: all its own
        elif part is None:                  # built whole (one process): keep a part
            self.synapses, self.positions = _local_synapses(a.synapses, self.neuron_mask, a.n)
        else:
            raise DistributedError(
                f"placement={placement!r}, but the network was built for "
                f"placement={part[2]!r}, and each rank holds only the synapses of the "
                "neurons that placement gave it; set placement before the first run "
                "(Network(..., placement=...)) and keep it")
        self.fingerprint = fp
        self.n_local = int(self.neuron_mask.sum()) + self.local.sources.size


def run(net, n_steps, chunk, progress, comm=None, engine="numba"):
    """Advance a built network by ``n_steps`` steps on the ranks of ``comm``, each rank
    on its CPU (``engine='numba'``) or its GPU (``'cuda'``)."""
    from .kernels.simulate_mpi import advance_numba
    comm = comm or world() or _SelfComm()
    a = net._arrays
    placement = net.placement
    plan = getattr(net, "_mpi_plan", None)
    fresh = plan is None or plan.key != (id(a), comm.size, placement)
    fp = fingerprint(net) if fresh else plan.fingerprint
    _check_agreement(comm, net, fp, n_steps, placement)
    if fresh:       # after the agreement check: any error here is raised on every rank
        plan = net._mpi_plan = _Plan(net, comm, placement, fp)
    min_delay = _check_min_delay(net, comm.size)
    if engine == "cuda" and placement != "population" and comm.size > 1:
        raise DistributedError(
            f"placement={placement!r} with backend='cuda': a GPU rank holds a contiguous "
            "block of neurons, so only placement='population' runs on GPUs; use it, or "
            "backend='numba'")
    partial_rates = _share_monitors(net, comm, plan.owner)
    interval = max(1, min(chunk, min_delay or chunk))
    # weights may have changed since the last run (Synapses.weight = ...)
    syn = a.synapses if plan.positions is None else \
        plan.synapses._replace(weight=a.synapses.weight[plan.positions])
    nr, loc = a.neurons, plan.local
    nr.spiked[:a.n][~plan.neuron_mask] = False     # the scan must see local spikes only
    outbox = np.empty(max(1, plan.n_local * interval), np.int64)
    firing = np.empty(max(1, plan.n_local), np.int64)
    inbox, inbox_step0 = np.zeros(0, np.int64), net.t_step
    received = np.empty(4096, np.int64)
    t0 = time.perf_counter()      # compile (or load from numba's cache) with an empty call
    prepare_chunk(net, 0)
    args = (nr, a.sources, syn, a.drives, a.currents, a.recorders, a.counters, loc,
            net.seed, net.t_step, 0, inbox, 0, inbox_step0, outbox, firing)
    advance_numba(*args)
    advance = _compiled(advance_numba, args)
    if engine == "cuda":
        gpu = _GpuRank(net, plan, syn, comm, interval)
        # the rank loop above delivers the remote spikes only (no steps) on the host;
        # the GPU advances the steps
        deliver, advance = advance, gpu.advance
    net.timings["compile"] = time.perf_counter() - t0
    t_exchange = t_record = 0.0
    t0, done = time.perf_counter(), 0
    try:
        while done < n_steps:
            todo = min(chunk, n_steps - done)
            prepare_chunk(net, todo)
            first, fill, starts, counts = net.t_step, 0, [], []
            for i in range(0, todo, interval):
                m = min(interval, todo - i)
                if engine == "cuda":
                    deliver(nr, a.sources, syn, a.drives, a.currents, a.recorders, a.counters,
                            loc, net.seed, first + i, 0, inbox, inbox.size, inbox_step0,
                            outbox, firing)
                n_out = advance(nr, a.sources, syn, a.drives, a.currents, a.recorders,
                                a.counters, loc, net.seed, first + i, m, inbox, inbox.size,
                                inbox_step0, outbox, firing)
                t1 = time.perf_counter()
                inbox, inbox_step0 = comm.allgather_spikes(outbox[:n_out]), first + i
                t_exchange += time.perf_counter() - t1
                # the chunk's spikes, for the monitors: appended to one array
                k = inbox.size
                if fill + k > received.size:
                    received = np.concatenate([received[:fill],
                                               np.empty(max(k, received.size), np.int64)])
                received[fill:fill + k] = inbox
                fill += k
                starts.append(inbox_step0)
                counts.append(k)
            if engine == "cuda":
                gpu.clear_remote_samples()
            t1 = time.perf_counter()
            t_reduce = _collect(net, comm, received[:fill],
                                np.repeat(np.array(starts, np.int64), counts), first, todo,
                                partial_rates)
            t_exchange += t_reduce
            t_record += time.perf_counter() - t1 - t_reduce
            net.t_step += todo
            done += todo
            if progress and comm.rank == 0:
                show_progress(done, n_steps, net.dt, time.perf_counter() - t0)
        # the last interval's remote spikes: into the buffer, then one state for all
        (deliver if engine == "cuda" else advance)(
            nr, a.sources, syn, a.drives, a.currents, a.recorders, a.counters, loc, net.seed,
            net.t_step, 0, inbox, inbox.size, inbox_step0, outbox, firing)
        if engine == "cuda":
            # the generator events before now, as the CPU rank loop counts them
            a.counters[0] = np.searchsorted(a.sources.gen_step, net.t_step, side="left")
        t1 = time.perf_counter()
        _combine_state(net, comm, plan)
        t_exchange += time.perf_counter() - t1
    except BaseException:
        if comm.size > 1:
            # the other ranks wait in a collective call for this one: stop them all
            sys.stderr.write(f"[neurosim] rank {comm.rank}: error during a distributed run; "
                             "aborting all ranks (MPI_Abort)\n" + traceback.format_exc())
            sys.stderr.flush()
            comm.abort(1)
        raise
    net.timings["run"] = time.perf_counter() - t0
    # exchange: time in MPI calls, waiting for slower ranks included; record: sorting
    # the exchanged spikes into the monitors (the rest of the exchange's cost)
    net.timings["exchange"] = t_exchange
    net.timings["record"] = t_record
    net.timings["ranks"] = comm.size
    if progress and n_steps and comm.rank == 0:
        sys.stderr.write("\n")


class _GpuRank:
    """One rank's share of the network on its GPU, run by the CUDA backend.

    The backend's ``run_chunk`` simulates a whole network; this rank gives it a
    view of the network in which the other ranks' neurons cannot fire (their
    threshold is infinite, a McCulloch-Pitts unit updates to 0 in every step),
    the other ranks' sources are silent, the synapses are this rank's and every
    local neuron and source is recorded: the recorded spikes are the rank's
    spikes of the interval, to exchange. The remote spikes go into the delay
    buffer on the host (the CPU rank loop) before each interval, since the
    backend copies the state to the GPU and back once per call, so once per
    exchange interval. Only placement by population keeps the extra segments
    few (a contiguous block of neurons per rank).
    """

    def __init__(self, net, plan, syn, comm, interval):
        from .backends.cuda_backend import CudaBackend
        from .kernels import _cuda
        from .kernels.models import KERNELS
        from .kernels.simulate import Arrays
        if not CudaBackend.is_available():
            raise RuntimeError(f"backend='cuda' on MPI rank {comm.rank}: "
                               f"{CudaBackend.why_unavailable()}")
        if comm.size > 1:
            # one GPU per rank: the ranks of one node take its GPUs in turn
            from mpi4py import MPI
            local = comm.comm.Split_type(MPI.COMM_TYPE_SHARED).Get_rank()
            _cuda.cuda.select_device(local % len(_cuda.cuda.gpus))
        a = net._arrays
        nr, src, n = a.neurons, a.sources, a.n
        lo, hi, code, prm = [], [], [], []
        block = _block(plan.neuron_mask)
        for g in range(nr.seg_lo.size):
            s_lo, s_hi = int(nr.seg_lo[g]), int(nr.seg_hi[g])
            inert = KERNELS[nr.seg_code[g]].inert(nr.seg_prm[g])
            # the group cut where this rank's block of neurons begins and ends
            cuts = sorted({s_lo, s_hi} | {c for c in block if s_lo < c < s_hi})
            for c_lo, c_hi in zip(cuts, cuts[1:]):
                lo.append(c_lo)
                hi.append(c_hi)
                code.append(nr.seg_code[g])
                prm.append(nr.seg_prm[g] if plan.neuron_mask[c_lo] else inert)
        self.remote = ~plan.neuron_mask
        self.local = plan.local
        neurons = nr._replace(seg_lo=np.array(lo, np.int64), seg_hi=np.array(hi, np.int64),
                              seg_code=np.array(code, np.int64),
                              seg_prm=np.array(prm, nr.seg_prm.dtype))
        own_src = plan.local.is_local[n:].astype(bool)
        events = own_src[src.gen_source - n]
        sources = src._replace(p_fire=np.where(own_src, src.p_fire, 0.0),
                               gen_step=src.gen_step[events], gen_source=src.gen_source[events])
        worst = max(1, int(plan.n_local)) * interval
        self.recorders = a.recorders._replace(
            mask=plan.local.is_local.copy(), spike_i=np.zeros(worst, np.int64),
            spike_step=np.zeros(worst, np.int64), rate_lo=np.zeros(0, np.int64),
            rate_hi=np.zeros(0, np.int64))
        self.view = Arrays(neurons=neurons, sources=sources, synapses=syn, drives=a.drives,
                            currents=a.currents, recorders=self.recorders,
                            counters=np.zeros(2, np.int64))
        self.backend = CudaBackend()
        self.net = net
        self.backend.run_chunk(self._view_of_chunk(0), net.seed, net.t_step, 0, 1)

    def _view_of_chunk(self, n_steps):
        """The view, with the state samples of the network's current chunk."""
        rec = self.net._arrays.recorders
        self.view.recorders = self.recorders._replace(
            st_off=rec.st_off, st_count=rec.st_count, st_buf=rec.st_buf,
            rate_buf=np.zeros((n_steps, 0), np.int64))
        self.view.counters[:] = 0
        return self.view

    def advance(self, nr, src, syn, drv, cur, rec, counters, loc, seed, step0, n_steps,
                inbox, n_in, inbox_step0, outbox, firing):
        """As ``advance_numba`` for ``n_in == 0``: ``n_steps`` steps from ``step0`` on the
        GPU; returns the number of local spikes written to ``outbox``."""
        view = self._view_of_chunk(n_steps)
        # an inert McCulloch-Pitts unit must not start active (for the others, no matter)
        nr.v[self.remote] = 0.0
        done = self.backend.run_chunk(view, seed, step0, n_steps, 1)
        if done != n_steps:     # the spike buffers hold every local spike of an interval
            raise RuntimeError(f"the CUDA backend ran {done} of {n_steps} steps")
        count = int(view.counters[1])
        n_total = nr.v.size + src.p_fire.size
        outbox[:count] = view.recorders.spike_i[:count] + n_total * (
            view.recorders.spike_step[:count] - step0)
        return count

    def clear_remote_samples(self):
        """Zero the state samples of the other ranks' neurons (the GPU sampled all), so
        that the sum over the ranks is the one-process record."""
        rec = self.net._arrays.recorders
        for c in np.flatnonzero(~self.local.is_local[rec.st_idx].astype(bool)):
            rec.st_buf[rec.st_off[c]:rec.st_off[c] + rec.st_count[c]] = 0


def _block(mask):
    """First and one-past-last index of the ``True`` block of ``mask``."""
    idx = np.flatnonzero(mask)
    return (int(idx[0]), int(idx[-1]) + 1) if idx.size else ()


def _compiled(dispatcher, args):
    """The machine code numba compiled for these argument types, called without the
    dispatcher's type resolution (about 70 of the 110 us a call costs with ~60 arrays,
    paid once per interval); the dispatcher itself if that is unavailable."""
    try:
        sig = tuple(dispatcher.typeof_pyval(x) for x in args)
        return dispatcher.overloads[sig].entry_point
    except Exception:       # numba internals differ: the ordinary call
        return dispatcher


def _share_monitors(net, comm, owner):
    """Tell every monitor which of its neurons this rank owns (it keeps what its
    ``gather`` asks); returns, per rate monitor, the owner mask of the neurons and
    sources whose spikes this rank counts, or None for all of them."""
    partial = []
    for m in net.monitors:
        lo = net._global(m.source)
        m._share(comm.rank, comm.size, owner[lo:lo + m.source.n] == comm.rank)
        if isinstance(m, RateMonitor):
            partial.append(None if m._owned is None else owner == comm.rank)
    return partial


def _collect(net, comm, codes, step0, first, did, partial_rates):
    """Fill the recorders as the one-process loop would, then let the network read them.

    ``codes``: the chunk's exchanged spikes, each ``index + n_total * (step - step0)``
    with ``step0`` (same length) the first step of its interval; ``partial_rates``
    as :func:`_share_monitors` returns it."""
    a = net._arrays
    n_total = a.n + a.sources.p_fire.size
    steps = step0 + codes // n_total
    index = codes % n_total
    order = np.argsort(steps * n_total + index, kind="stable")   # (step, index), as one rank
    steps, index = steps[order], index[order]
    rec = a.recorders
    keep = rec.mask[index].astype(bool)
    count = int(keep.sum())
    if count > rec.spike_i.size:
        size = max(count, 2 * rec.spike_i.size)
        rec = rec._replace(spike_i=np.zeros(size, np.int64), spike_step=np.zeros(size, np.int64))
    rec.spike_i[:count] = index[keep]
    rec.spike_step[:count] = steps[keep]
    a.counters[1] = count
    for r in range(rec.rate_lo.size):
        sel = (index >= rec.rate_lo[r]) & (index < rec.rate_hi[r])
        if partial_rates[r] is not None:
            sel &= partial_rates[r][index]
        rec.rate_buf[:did, r] = np.bincount(steps[sel] - first, minlength=did)[:did]
    t0 = time.perf_counter()
    comm.allreduce_sum(rec.st_buf)
    t_reduce = time.perf_counter() - t0
    a.recorders = rec
    collect(net, did)
    return t_reduce


def _combine_state(net, comm, plan):
    """Give every rank the whole state: each rank contributes its own neurons' values.

    Its reductions also end ``run`` on every rank only once all ranks have written
    their last chunk of streamed monitors, so that rank 0 can read the recording."""
    if comm.size == 1:
        return
    a = net._arrays
    nr, n, other = a.neurons, a.n, ~plan.neuron_mask
    for x in (nr.v, nr.ge, nr.gi, nr.ref, nr.i_ext):
        x[other] = 0
        comm.allreduce_sum(x)
    flags = nr.spiked.view(np.uint8)
    flags[:n][other] = 0
    flags[n:] = 0
    comm.allreduce_sum(flags)
    buf = nr.buffer
    buf[:, :n][:, other] = 0
    buf[:, n:][:, other] = 0
    comm.allreduce_sum(buf)


if _launched_size() > 1:
    # started by mpirun: from the import on, an uncaught error on one rank aborts all
    world()
