"""A network split over MPI ranks, as a backend: each rank advances its part, the ranks
exchange spikes.

:class:`DistributedBackend` meets the contract of the other backends
(``run_chunk`` advances the state and fills the recording buffers), so
``Network.run`` drives it with the one chunk loop (``neurosim._run_loop``). It
wraps the backend that runs on each rank: ``NumbaBackend`` (the rank loop of
``kernels.simulate_mpi``, one thread) or ``CudaBackend`` (a GPU per rank,
``neurosim._mpi_gpu``).

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
Any exception on one rank during a run aborts all ranks (``MPI_Abort``), so
that none waits forever in a collective call; for the same reason a run under
MPI is not sliced by wall time (ranks would disagree where to stop) and Ctrl-C
stops it at once.
"""
import sys
import time
import traceback

import numpy as np

from .._mpi_gpu import _GpuRank
from .._mpi_plan import DistributedError, _check_agreement, _check_min_delay, _Plan, fingerprint
from ..monitors import RateMonitor
from .._weights import subset
from ._base import plastic_or_none, procedural_or_none
from .cuda_backend import CudaBackend, refuse_distinct_rows

__all__ = ["DistributedBackend"]


class DistributedBackend:
    """Run a network over the ranks of ``comm``, each rank on backend ``local``.

    Parameters
    ----------
    local : NumbaBackend or CudaBackend
        What runs on each rank.
    comm : communicator
        ``neurosim.mpi``'s ``_MPIComm`` (or ``_SelfComm``: one rank, no MPI).
    """

    # a whole chunk per call: all ranks must stop at the same step
    slice_seconds = None
    interruptible = False
    compiled = False        # start() compiles the rank loop

    def __init__(self, local, comm):
        self.local, self.comm = local, comm
        self.name = f"{local.name} over {comm.size} MPI ranks"
        self.is_root = comm.rank == 0

    def threads_for(self, n_neurons, n_threads=None):
        return 1

    # --------------------------------------------------------------- a run
    def start(self, net, n_steps, chunk, threads):
        """Check that every rank runs the same network for as long, make this rank's
        plan (its neurons, its synapses), share the monitors and compile."""
        comm, a = self.comm, net._arrays
        self.net = net
        placement = net.placement
        plan = getattr(net, "_mpi_plan", None)
        fresh = plan is None or plan.key != (id(a), comm.size, placement)
        fp = fingerprint(net) if fresh else plan.fingerprint
        _check_agreement(comm, net, fp, n_steps, placement)
        if fresh:   # after the agreement check: any error here is raised on every rank
            plan = net._mpi_plan = _Plan(net, comm, placement, fp)
        self.plan = plan
        min_delay = _check_min_delay(net, comm.size)
        on_gpu = isinstance(self.local, CudaBackend)
        if on_gpu:      # raised on every rank alike (the networks agree)
            refuse_distinct_rows(net)
        if on_gpu and placement != "population" and comm.size > 1:
            raise DistributedError(
                f"placement={placement!r} with backend='cuda': a GPU rank holds a contiguous "
                "block of neurons, so only placement='population' runs on GPUs; use it, or "
                "backend='numba'")
        self.partial_rates = _share_monitors(net, comm, plan.owner)
        self.interval = max(1, min(chunk, min_delay or chunk))
        # weights may have changed since the last run (Synapses.weight = ...)
        self.syn = a.synapses if plan.positions is None else \
            plan.synapses._replace(**subset(a.synapses, plan.positions))
        a.neurons.spiked[:a.n][~plan.neuron_mask] = False   # the scan sees local spikes only
        self.outbox = np.empty(max(1, plan.n_local * self.interval), np.int64)
        self.firing = np.empty(max(1, plan.n_local), np.int64)
        self.inbox, self.inbox_step0 = np.zeros(0, np.int64), net.t_step
        self.received = np.empty(4096, np.int64)
        self.t_exchange = self.t_record = 0.0
        t0 = time.perf_counter()     # compile (or load from numba's cache) with an empty call
        advance_numba = a.engine("simulate_mpi").advance_numba
        args = self._args(net.t_step, 0)
        advance_numba(*args)
        self.deliver = self.advance = _compiled(advance_numba, args)
        if on_gpu:
            # the rank loop above delivers the remote spikes only (no steps) on the host;
            # the GPU advances the steps
            self.gpu = _GpuRank(net, plan, self.syn, comm, self.interval)
            self.advance = self.gpu.advance
        net.timings["compile"] = time.perf_counter() - t0

    def _args(self, step0, n_steps):
        a, net = self.net._arrays, self.net
        return (a.neurons, a.sources, self.syn, a.drives, a.currents, a.recorders,
                plastic_or_none(a), procedural_or_none(a), a.counters,
                self.plan.local, net.seed, step0, n_steps, self.inbox, self.inbox.size,
                self.inbox_step0, self.outbox, self.firing)

    def run_chunk(self, arrays, seed, step0, n_steps, n_threads):
        """Advance ``n_steps`` steps in intervals of ``min_delay`` steps, exchanging the
        spikes after each; then fill the recording buffers as one process would."""
        try:
            return self._run_chunk(arrays, step0, n_steps)
        except BaseException:
            self._abort_others()
            raise

    def _run_chunk(self, a, first, todo):
        fill, starts, counts = 0, [], []
        for i in range(0, todo, self.interval):
            m = min(self.interval, todo - i)
            if self.deliver is not self.advance:       # on a GPU: the host delivers
                self.deliver(*self._args(first + i, 0))
            n_out = self.advance(*self._args(first + i, m))
            t1 = time.perf_counter()
            self.inbox = self.comm.allgather_spikes(self.outbox[:n_out])
            self.inbox_step0 = first + i
            self.t_exchange += time.perf_counter() - t1
            # the chunk's spikes, for the monitors: appended to one array
            k = self.inbox.size
            if fill + k > self.received.size:
                self.received = np.concatenate([self.received[:fill],
                                                np.empty(max(k, self.received.size), np.int64)])
            self.received[fill:fill + k] = self.inbox
            fill += k
            starts.append(self.inbox_step0)
            counts.append(k)
        # the last interval's remote spikes into the ring buffer now (their delay is at
        # least the interval: none is due before the next chunk), so a chunk leaves no
        # spike in flight outside the state
        self.deliver(*self._args(first + todo, 0))
        self.inbox = np.zeros(0, np.int64)
        if hasattr(self, "gpu"):
            self.gpu.clear_remote_samples()
            # the generator events before now, as the CPU rank loop counts them
            a.counters[0] = np.searchsorted(a.sources.gen_step, first + todo, side="left")
        t1 = time.perf_counter()
        t_reduce = _fill_recorders(self.net, self.comm, self.received[:fill],
                                   np.repeat(np.array(starts, np.int64), counts), first, todo,
                                   self.partial_rates)
        self.t_exchange += t_reduce
        self.t_record += time.perf_counter() - t1 - t_reduce
        return todo

    def finish(self, net):
        """Give every rank the whole state, and the run's exchange timings."""
        try:
            t1 = time.perf_counter()
            _combine_state(net, self.comm, self.plan)
            self.t_exchange += time.perf_counter() - t1
        except BaseException:
            self._abort_others()
            raise
        # exchange: time in MPI calls, waiting for slower ranks included; record: sorting
        # the exchanged spikes into the monitors (the rest of the exchange's cost)
        net.timings["exchange"] = self.t_exchange
        net.timings["record"] = self.t_record
        net.timings["ranks"] = self.comm.size

    def _abort_others(self):
        if self.comm.size > 1:
            # the other ranks wait in a collective call for this one: stop them all
            sys.stderr.write(f"[neurosim] rank {self.comm.rank}: error during a distributed "
                             "run; aborting all ranks (MPI_Abort)\n" + traceback.format_exc())
            sys.stderr.flush()
            self.comm.abort(1)


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


def _fill_recorders(net, comm, codes, step0, first, did, partial_rates):
    """Fill the recorders as the one-process loop would (the run loop then hands them
    to the monitors); returns the seconds spent summing the state samples.

    ``codes``: the chunk's exchanged spikes, each ``index + n_total * (step - step0)``
    with ``step0`` (same length) the first step of its interval; ``partial_rates``
    as ``_share_monitors`` returns it."""
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
    a.recorders = rec
    return time.perf_counter() - t0


def _combine_state(net, comm, plan):
    """Give every rank the whole state: each rank contributes its own neurons' values.

    Its reductions also end ``run`` on every rank only once all ranks have written
    their last chunk of streamed monitors, so that rank 0 can read the recording."""
    if comm.size == 1:
        return
    a = net._arrays
    nr, n, other = a.neurons, a.n, ~plan.neuron_mask
    for x in (nr.v, nr.ge, nr.gi, nr.ref, nr.i_ext) + tuple(nr.aux):
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
