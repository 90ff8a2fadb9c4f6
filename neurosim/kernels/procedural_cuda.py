"""Procedural connectivity on the GPU: the rows of a step's firing sources drawn again in
the *deliver* phase of the CUDA step (``simulate_cuda``).

A thread takes one (firing source, procedural projection) pair of the step's firing
list and, if the source belongs to the projection, draws its row one synapse at a
time: the partners by ``connect.next_partner`` and each synapse's weight and delay
by ``connect.synapse_at``, the element functions that the CPU's build and delivery
use (compiled here as device functions), so the row is the stored build's. Each
synapse adds its fixed-point weight to the delay ring buffer with an int64 atomic:
integer sums do not depend on the order of the threads, and the buffer ends as the
stored network's would, bit for bit.

A thread draws a row in constant memory whatever its length. That excludes
``FixedOutdegree`` and ``FixedTotalNumber`` without multapses, whose distinct
partners are drawn together (Floyd's algorithm, a mark per candidate): the backend
refuses them, as GeNN supports procedural rows drawn with
replacement only. On an MPI GPU rank a row adds only the synapses onto the rank's
own neurons (``keep``), as a CPU rank's does.
"""
import numpy as np

from ._cuda import cuda
from ._rng import step_key
from .connect import next_partner, synapse_at

__all__ = ["procedural_deliver"]


if cuda is not None:
    next_partner_cuda = cuda.jit(device=True)(next_partner)
    synapse_at_cuda = cuda.jit(device=True)(synapse_at)

    @cuda.jit(device=True)
    def _deliver_row(pr, p, s, step, buffer):
        """Source ``s`` of projection ``p`` fired at ``step``: its row into ``buffer``."""
        depth = buffer.shape[0]
        r = s - pr.lo[p]
        row = pr.row0[p] + r
        seed, code, m, add = pr.seed[p], pr.code[p], pr.m[p], pr.add[p]
        key = step_key(seed, pr.streams[p, 0], r)
        w_key = step_key(seed, pr.streams[p, 1], r)
        d_key = step_key(seed, pr.streams[p, 2], r)
        excluded, k, p_scale = pr.excluded[row], pr.k[row], pr.p_scale[p]
        w_prm, d_prm = pr.w_prm[p], pr.d_prm[p]
        first = add % (buffer.shape[1] // 2)        # the global index of candidate 0
        c, t, q = np.int64(0), np.int64(-1), 0
        while True:
            v, c, t = next_partner_cuda(code, key, r, m, excluded, k, p_scale, c, t)
            if v < 0:
                return
            if pr.keep.size == 0 or pr.keep[first + v]:
                fixed, steps = synapse_at_cuda(q, pr.w_kind[p], w_prm, w_key, pr.d_kind[p],
                                               d_prm, d_key, pr.d_div[p])
                cuda.atomic.add(buffer, ((step + steps) % depth, v + add), fixed)
            q += 1

    @cuda.jit(device=True)
    def procedural_deliver(t, width, step, par, dl, pr):
        """The *deliver* phase's procedural part: a thread a (firing source, projection)
        pair of the step's firing list ``par``."""
        n_proj = pr.lo.size
        for j in range(t, dl.fire_count[par] * n_proj, width):
            s = dl.fire_list[par, j // n_proj]
            p = j % n_proj
            if pr.lo[p] <= s < pr.hi[p]:
                _deliver_row(pr, p, s, step, dl.buffer)
