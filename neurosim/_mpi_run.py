"""The distributed run loop: each rank advances its part, the ranks exchange spikes.

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
that none waits forever in a collective call.
"""
import sys
import time
import traceback

import numpy as np

from ._mpi_gpu import _GpuRank
from ._mpi_plan import DistributedError, _check_agreement, _check_min_delay, _Plan, fingerprint
from ._run_loop import collect, prepare_chunk, show_progress
from .monitors import RateMonitor


def run(net, n_steps, chunk, progress, comm, engine="numba"):
    """Advance a built network by ``n_steps`` steps on the ranks of ``comm``, each rank
    on its CPU (``engine='numba'``) or its GPU (``'cuda'``)."""
    from .kernels.simulate_mpi import advance_numba
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

