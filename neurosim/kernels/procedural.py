"""Procedural connectivity: a projection's rows drawn again whenever their source fires.

A projection built with ``Synapses(..., storage="procedural")`` stores nothing per
synapse. The build keeps, per projection, what a row needs (``Procedural``): the
rule's code and parameters, the build's seed and streams, the weight and delay
specifications, the range of its sources and where its targets start; per source
row only the candidate it excludes (no autapses) and its number of partners
(``FixedOutdegree``, ``FixedTotalNumber``). When source ``s`` fires, its row is
drawn by the same keyed function as the stored build's (``connect._draw_row``),
so its targets, fixed-point weights and delays are those the stored build would
hold, and the integer sums in the delay buffer are the same bit for bit.

* :func:`scan_rows`: at the build, every row drawn once without keeping it: its
  statistics (``connect.STAT_*``: count, delay range, errors) and the largest
  input each target can receive in one step (the fixed-point bound);
* :func:`deliver_procedural`: in the compiled loop, the rows of the firing
  sources added to the delay ring buffer, keeping its lists of touched entries
  as ``propagate.propagate_numba`` does; on an MPI rank only the synapses onto
  its own neurons (the row draw is keyed, so every rank sees the same row), and
  :func:`deliver_remote_procedural` those of the other ranks' spikes;
* :func:`deliver_procedural_numpy`: the numpy backend's delivery (each row drawn
  by the compiled ``connect.row_synapses``, the additions by ``np.add.at``).
"""
from collections import namedtuple

import numpy as np
from numba import njit, prange
from numba.extending import register_jitable

from .connect import N_STATS, STAT_FULL, STAT_KEPT, _draw_row, row_synapses

__all__ = ["Procedural", "empty_procedural", "scan_rows", "deliver_procedural",
           "deliver_remote_procedural", "deliver_procedural_numpy"]

# per projection p: its sources are the global indices lo[p] <= s < hi[p]; row
# r = s - lo[p] has its excluded candidate and partner count at row0[p] + r of the
# flat `excluded` and `k`; `add` is added to a target (its global index and channel);
# seed (uint64) and streams (partners, weights, delays) are the build's keys; w_prm and
# d_prm hold up to 4 parameters of their kind (kernels._keyed); delays are
# round(d / d_div) steps. width: the largest row's scratch; m_max: the most candidates.
Procedural = namedtuple("Procedural", "lo hi row0 excluded k code m add p_scale multapses "
                                      "seed streams w_kind w_prm d_kind d_prm d_div "
                                      "width m_max")

_EMPTY_F = np.zeros(0)


def empty_procedural():
    """A ``Procedural`` without projections (the same numba types as a full one, so
    that the compiled loop is not compiled again)."""
    i = np.zeros(0, dtype=np.int64)
    return Procedural(lo=i, hi=i, row0=i, excluded=i, k=i, code=i, m=i, add=i,
                      p_scale=np.zeros(0), multapses=np.zeros(0, dtype=np.bool_),
                      seed=np.zeros(0, dtype=np.uint64), streams=np.zeros((0, 3), np.int64),
                      w_kind=i, w_prm=np.zeros((0, 4)), d_kind=i, d_prm=np.zeros((0, 4)),
                      d_div=np.zeros(0), width=np.int64(1), m_max=np.int64(0))


@njit(cache=True, parallel=True)
def scan_rows(code, seed, streams, m, excluded, k, p_scale, multapses, width, n_chunks,
              w_kind, w_prm, d_kind, d_prm, d_div, stats):
    """Draw every row of one projection once, keeping nothing per synapse.

    ``stats[r]``: row ``r``'s ``STAT_*`` (as ``connect.fill_rows``). Returns, per
    target ``0 .. m - 1``, the sum of ``|weight|`` (fixed point, as float) of its
    synapses: the largest input it can receive in one step. ``n_chunks``: the
    threads' shares of rows (one partial sum of ``m`` floats each).
    """
    n_rows = stats.shape[0]
    part = np.zeros((n_chunks, m))
    size = (n_rows + n_chunks - 1) // n_chunks
    keep = np.zeros(0, np.uint8)
    no_cursor = np.zeros(0, np.int64)
    for c in prange(n_chunks):
        out = np.empty(width, np.int64)
        mark = np.zeros(m, np.uint8)
        buf = np.empty((2, width))
        target = np.empty(width, np.int32)
        weight = np.empty(width, np.int64)
        delay = np.empty(width, np.int32)
        acc = part[c]
        for r in range(c * size, min(n_rows, (c + 1) * size)):
            _draw_row(code, seed, streams, r, m, excluded[r], k[r], p_scale, multapses, keep,
                      out, mark, buf, w_kind, w_prm, _EMPTY_F, d_kind, d_prm, _EMPTY_F, d_div,
                      0, True, 0, np.int64(0), target, weight, delay, stats[r], no_cursor,
                      False, m, 1)
            for q in range(stats[r, STAT_FULL]):
                acc[target[q]] += abs(np.float64(weight[q]))
    bound = np.zeros(m)
    for c in range(n_chunks):
        bound += part[c]
    return bound


@register_jitable
def _scratch(pr):
    """A row's work space: partners, marks (left zero by every row), values, and the
    row's targets, weights, delays and statistics."""
    width = pr.width
    return (np.empty(width, np.int64), np.zeros(pr.m_max, np.uint8), np.empty((2, width)),
            np.empty(width, np.int32), np.empty(width, np.int64), np.empty(width, np.int32),
            np.zeros(N_STATS, np.int64))


@register_jitable
def _deliver_source(pr, s, step, buffer, touched, n_touched, keep, scratch):
    """Add the rows of source ``s`` (global index), fired at ``step``, to ``buffer``:
    of every projection whose sources hold ``s``, its synapses onto the neurons
    marked in ``keep`` (global numbering; every synapse if ``keep`` is empty)."""
    out, mark, buf, target, weight, delay, st = scratch
    depth = buffer.shape[0]
    n = buffer.shape[1] // 2                # the neurons (excitatory, then inhibitory)
    cap = touched.shape[1]
    no_cursor = np.zeros(0, np.int64)
    base = step % depth
    for p in range(pr.lo.size):
        if s < pr.lo[p] or s >= pr.hi[p]:
            continue
        r = s - pr.lo[p]
        row = pr.row0[p] + r
        kept = keep
        if keep.size != 0:                  # this MPI rank's targets of the projection
            first = pr.add[p] % n
            kept = keep[first:first + pr.m[p]]
        _draw_row(pr.code[p], pr.seed[p], pr.streams[p], r, pr.m[p], pr.excluded[row],
                  pr.k[row], pr.p_scale[p], pr.multapses[p], kept, out, mark, buf,
                  pr.w_kind[p], pr.w_prm[p], _EMPTY_F, pr.d_kind[p], pr.d_prm[p],
                  _EMPTY_F, pr.d_div[p], 0, True, 0, pr.add[p], target, weight, delay,
                  st, no_cursor, False, pr.m[p], 1)
        for q in range(st[STAT_KEPT]):
            slot = base + delay[q]
            if slot >= depth:
                slot -= depth
            t = target[q]
            old = buffer[slot, t]
            if n_touched[slot] < cap and old == 0 and weight[q] != 0:
                touched[slot, n_touched[slot]] = t
                n_touched[slot] += 1
            buffer[slot, t] = old + weight[q]


@njit(cache=True)
def deliver_procedural(pr, firing, n_fire, step, buffer, touched, n_touched, keep):
    """Add the regenerated rows of the sources ``firing[:n_fire]`` to ``buffer``.

    Each synapse adds its fixed-point weight to ``buffer[(step + delay) % depth,
    target]``; an entry that goes from empty to holding input is appended to its
    slot's ``touched`` list (up to its capacity), exactly as a stored synapse is by
    ``propagate_numba``. Integer sums do not depend on the order of addition, so the
    buffer ends as the stored build's would. ``keep``: on an MPI rank, its neurons
    (global numbering, 1 for its own), whose synapses alone it adds; empty in one
    process (every synapse).
    """
    if pr.lo.size == 0 or n_fire == 0:
        return
    scratch = _scratch(pr)
    for f in range(n_fire):
        _deliver_source(pr, firing[f], step, buffer, touched, n_touched, keep, scratch)


@njit(cache=True)
def deliver_remote_procedural(pr, inbox, n_in, n_total, is_local, step0, buffer):
    """An MPI rank's share of the rows of the other ranks' spikes ``inbox[:n_in]``
    (each ``index + n_total * (step - step0)``, as ``simulate_mpi`` encodes them),
    added at the steps they were emitted onto its own neurons (``is_local``); its own
    spikes among them were delivered when they fired."""
    if pr.lo.size == 0 or n_in == 0:
        return
    scratch = _scratch(pr)
    depth = buffer.shape[0]
    touched, n_touched = np.zeros((depth, 0), np.int32), np.zeros(depth, np.int64)
    for m in range(n_in):
        s = inbox[m] % n_total
        if not is_local[s]:
            _deliver_source(pr, s, step0 + inbox[m] // n_total, buffer, touched, n_touched,
                            is_local, scratch)


def deliver_procedural_numpy(pr, firing, step, buffer):
    """The numpy backend's delivery of procedural rows (``buffer`` changed in place).

    Each row is drawn by the compiled ``connect.row_synapses``, the function that
    the tests hold equal to the stored build (an independent numpy twin of the
    keyed samplers would duplicate them); the additions are numpy's.
    """
    if pr.lo.size == 0 or len(firing) == 0:
        return
    depth, width = buffer.shape
    target = np.empty(int(pr.width), np.int32)
    weight = np.empty(int(pr.width), np.int64)
    delay = np.empty(int(pr.width), np.int32)
    for p in range(pr.lo.size):
        mine = firing[(firing >= pr.lo[p]) & (firing < pr.hi[p])]
        for s in mine:
            r = int(s - pr.lo[p])
            row = pr.row0[p] + r
            n = row_synapses(pr.code[p], pr.seed[p], pr.streams[p], r, pr.m[p],
                             pr.excluded[row], pr.k[row], pr.p_scale[p], pr.multapses[p],
                             pr.w_kind[p], pr.w_prm[p], _EMPTY_F, pr.d_kind[p], pr.d_prm[p],
                             _EMPTY_F, pr.d_div[p], 0, target, weight, delay)
            flat = ((step + delay[:n].astype(np.int64)) % depth) * width \
                + target[:n].astype(np.int64) + pr.add[p]
            np.add.at(buffer.reshape(-1), flat, weight[:n])
