"""One MPI rank's share of the network on its GPU (``backend='cuda'`` under MPI).

The distributed backend (``neurosim.backends.mpi_backend``) drives it: see
``_GpuRank``.
"""
import numpy as np

from ._mpi_plan import DistributedError
from .kernels import _layout as L


class _GpuRank:
    """One rank's share of the network on its GPU, run by the CUDA backend.

    The backend's ``run_chunk`` simulates a whole network; this rank gives it a
    view of the network in which the other ranks' neurons cannot fire (their
    threshold is infinite, a McCulloch-Pitts unit updates to 0 in every step),
    the other ranks' sources are silent, the synapses are this rank's (procedural rows
    add only those onto its neurons) and every
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
        lo, hi, code, prm, hoff = [], [], [], [], []
        block = _block(plan.neuron_mask)
        for g in range(nr.seg_lo.size):
            s_lo, s_hi = int(nr.seg_lo[g]), int(nr.seg_hi[g])
            kernel = a.model_set[nr.seg_code[g]]
            if kernel.inert is None:
                raise DistributedError(f"backend='cuda' under MPI: the model {kernel.name} "
                                       "gives no inert parameter row (ModelKernel.inert), which "
                                       "a GPU rank needs for the neurons of other ranks")
            inert = kernel.inert(nr.seg_prm[g])
            # the group cut where this rank's block of neurons begins and ends
            cuts = sorted({s_lo, s_hi} | {c for c in block if s_lo < c < s_hi})
            for c_lo, c_hi in zip(cuts, cuts[1:]):
                lo.append(c_lo)
                hi.append(c_hi)
                code.append(nr.seg_code[g])
                local = plan.neuron_mask[c_lo]
                prm.append(nr.seg_prm[g] if local else inert)
                # a local piece keeps its rows per neuron (row of k: k + offset)
                hoff.append(nr.seg_hoff[g] if local else L.SHARED)
        self.remote = ~plan.neuron_mask
        self.local = plan.local
        neurons = nr._replace(seg_lo=np.array(lo, np.int64), seg_hi=np.array(hi, np.int64),
                              seg_code=np.array(code, np.int64),
                              seg_prm=np.array(prm, nr.seg_prm.dtype),
                              seg_hoff=np.array(hoff, np.int64))
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
                            counters=np.zeros(2, np.int64), model_set=a.model_set,
                            cache_dir=a.cache_dir, procedural=a.procedural,
                            procedural_keep=plan.local.is_local, min_delay=a.min_delay)
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

    def advance(self, nr, src, syn, drv, cur, rec, pl, pr, counters, loc, seed, step0, n_steps,
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

