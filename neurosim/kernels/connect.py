"""The keyed build of a projection: its rows drawn in parallel, straight into the CSR.

A *row* is the list of partners of one neuron: a source's targets for the rules
that draw by source (``ALL``, ``ONE``, ``PROB``, ``DEGREE``), a target's
sources when ``FixedIndegree`` draws by target (the *column* passes). A row is
drawn from the key ``step_key(seed, stream, row)`` alone (:func:`row_partners`),
and the weight and delay of its synapse at position ``q`` from the keys of the
weight and delay streams with index ``q << 32`` (``_keyed.draw``), so a row drawn
again alone is the same row: for any thread count, any MPI rank, and the
procedural connectivity that regenerates a row when its source fires.

The passes, each ``prange`` over blocks of rows (a block allocates its scratch
row once; the result does not depend on the blocks):

* :func:`count_rows` / :func:`count_cols`: how many synapses each source gets
  (those onto kept targets, under MPI);
* :func:`fill_rows` / :func:`fill_cols`: draw the rows again and write targets,
  fixed-point weights and delays in steps into their final places, with per-row
  statistics (``STAT_*``): counts, sums for the MPI ranks' agreement check, the
  extremes of the delays and the errors found (negative or too large values).
  With ``write`` false they only collect the statistics of every row (what every
  MPI rank computes of the whole projection).
"""
import math

import numpy as np
from numba import njit, prange
from numba.extending import register_jitable

from ._keyed import (CONSTANT, NORMAL, UNIFORM, below, draw, normal, synapse_index,
                     unit, unit_open)
from ._layout import FIXED_SCALE
from ._rng import step_key
from .propagate import synapse_weight

__all__ = ["ALL", "ONE", "PROB", "DEGREE", "row_partners", "next_partner", "synapse_at",
           "count_rows", "fill_rows",
           "count_cols", "fill_cols", "row_synapses", "input_bound", "draw_values",
           "N_STATS"]

# rule codes of row_partners
ALL, ONE, PROB, DEGREE = 0, 1, 2, 3

# columns of a fill pass's per-row statistics (int64; sums wrap modulo 2**64)
# (STAT_WMIN: the lowest weight in fixed point, to show a negative one)
(STAT_FULL, STAT_KEPT, STAT_PAIRS, STAT_WSUM, STAT_DSUM, STAT_DMIN, STAT_DMAX,
 STAT_WNEG, STAT_WBIG, STAT_DNEG, STAT_WMIN) = range(11)
N_STATS = 11
_BIG = 2.0 ** 53                         # weights must stay below this in fixed point


@register_jitable
def row_partners(code, key, row, m, excluded, k, p_scale, multapses, out, mark):
    """The partners of one row, written to ``out``; returns their number.

    Parameters
    ----------
    code : int
        ``ALL`` (every candidate), ``ONE`` (the candidate ``row``), ``PROB`` (each
        candidate with probability p, by geometric skips) or ``DEGREE`` (``k``
        candidates, distinct and ascending, or with ``multapses`` drawn with
        replacement, in draw order).
    key : uint64
        ``step_key(seed, stream, row)``.
    row : int
        The row's index.
    m : int
        Number of candidates, ``0 .. m - 1``.
    excluded : int
        A candidate never chosen (the row's own neuron, no autapses), or -1.
    k : int
        ``DEGREE``: the number of partners.
    p_scale : float
        ``PROB``: ``1 / log(1 - p)`` (0 < p < 1).
    multapses : bool
        ``DEGREE``: draw with replacement.
    out : ndarray of int64
        Scratch of at least ``m`` (``ALL``, ``PROB``) or ``k`` entries.
    mark : ndarray of uint8
        Scratch of ``m`` zeros (distinct ``DEGREE`` draws), left zero.
    """
    if code != DEGREE or multapses:         # one partner at a time (next_partner)
        n, c, t = 0, np.int64(0), np.int64(-1)
        while True:
            v, c, t = next_partner(code, key, row, m, excluded, k, p_scale, c, t)
            if v < 0:
                return n
            out[n] = v
            n += 1
    # DEGREE, distinct: Floyd's algorithm, k distinct values with k draws, then ascending
    reduced = m - 1 if excluded >= 0 else m
    for c in range(k):
        t = reduced - k + c
        v = below(key, c, t + 1)
        if mark[v]:
            v = t
        mark[v] = 1
        out[c] = v
    for c in range(k):
        mark[out[c]] = 0
    out[:k].sort()
    if excluded >= 0:                    # the reduced range mapped around the excluded one
        for c in range(k):
            if out[c] >= excluded:
                out[c] += 1
    return k


@register_jitable
def next_partner(code, key, row, m, excluded, k, p_scale, c, t):
    """The next partner of a row, drawn alone: the sequence of :func:`row_partners` for
    every rule but ``DEGREE`` without multapses (Floyd's draw needs the whole row).

    From the state ``(c, t)``, the draws used and the last candidate reached
    (``(0, -1)`` at the start of the row), returns ``(partner, c, t)``, the partner -1
    once the row is complete. Constant memory, whatever the row's length: the element
    that a GPU thread draws a row with (``procedural_cuda``), and the CPU through
    ``row_partners``. The parameters are those of :func:`row_partners`.
    """
    if code == ALL:
        t += 1
        if t == excluded:
            t += 1
        return (t if t < m else np.int64(-1)), c, t
    if code == ONE:
        return (np.int64(row) if c == 0 else np.int64(-1)), c + 1, t
    if code == PROB:
        # skips between successes of Bernoulli(p) trials are geometric: floor(log u / log(1-p))
        while True:
            skip = math.log(unit_open(key, np.uint64(c))) * p_scale
            c += 1
            if skip >= m - t:
                return np.int64(-1), c, np.int64(m)
            t += 1 + np.int64(skip)
            if t >= m:
                return np.int64(-1), c, t
            if t != excluded:
                return t, c, t
    # DEGREE with multapses: k draws with replacement, in draw order, the reduced range
    # mapped around the excluded candidate
    if c >= k:
        return np.int64(-1), c, t
    v = below(key, c, m - 1 if excluded >= 0 else m)
    if excluded >= 0 and v >= excluded:
        v += 1
    return v, c + 1, t


@register_jitable
def _blocks(n_rows, block):
    return (n_rows + block - 1) // block


@njit(cache=True, parallel=True)
def count_rows(code, seed, stream, m, excluded, k, p_scale, multapses, keep, width, block,
               counts):
    """``counts[r]``: the number of row ``r``'s partners marked in ``keep`` (all of them
    if ``keep`` is empty). ``width``: the scratch a row needs."""
    n_rows = counts.size
    for b in prange(_blocks(n_rows, block)):
        out = np.empty(width, np.int64)
        mark = np.zeros(m if code == DEGREE and not multapses else 0, np.uint8)
        for r in range(b * block, min(n_rows, (b + 1) * block)):
            key = step_key(seed, stream, r)
            n = row_partners(code, key, r, m, excluded[r], k[r], p_scale, multapses, out, mark)
            if keep.size == 0:
                counts[r] = n
            else:
                kept = 0
                for q in range(n):
                    kept += keep[out[q]]
                counts[r] = kept


@register_jitable
def _values(kind, prm, values, first, key, n, buf):
    """``buf[q]``: the value of a specification for the synapse at position ``q`` of a
    row, ``q < n`` (``_keyed.draw``, one loop per kind so that it vectorises)."""
    if kind == CONSTANT:
        buf[:n] = prm[0]
    elif kind == UNIFORM:
        low, span = prm[0], prm[1] - prm[0]
        for q in range(n):
            buf[q] = low + span * unit(key, synapse_index(q))
    elif kind == NORMAL:
        for q in range(n):
            buf[q] = normal(key, synapse_index(q), prm[0], prm[1], prm[2], prm[3])
    else:
        buf[:n] = values[first:first + n]


@register_jitable
def _synapse(w, d, d_div):
    """One synapse's weight (fixed point; 0 when too large, the negative value when
    negative) and delay (steps), and its errors: 1 a negative weight, 2 a weight too
    large, 4 a negative delay."""
    # round() of a float: half to even, as np.rint, and compiled for the GPU too (llrint)
    bad = 0
    fixed = np.int64(0)
    if w < 0.0:
        bad = 1
        fixed = np.int64(round(max(w * FIXED_SCALE, -_BIG)))
    elif w * FIXED_SCALE >= _BIG:
        bad = 2
    else:
        fixed = np.int64(round(w * FIXED_SCALE))
    if d < 0.0:
        bad |= 4
    return fixed, np.int64(round(d / d_div)), bad


@register_jitable
def synapse_at(q, w_kind, w_prm, w_key, d_kind, d_prm, d_key, d_div):
    """The fixed-point weight and the delay (steps) of the synapse at position ``q`` of a
    row, drawn alone from the row's weight and delay keys: the values that
    :func:`_draw_row` writes (``_values`` draws the same numbers a row at a time). A
    negative weight adds nothing, as in :func:`_draw_row` (the build refuses it)."""
    fixed, steps, err = _synapse(draw(w_kind, w_prm, w_prm, 0, w_key, q),
                                 draw(d_kind, d_prm, d_prm, 0, d_key, q), d_div)
    if err & 1:
        fixed = np.int64(0)
    return fixed, steps


_NO_MIN = np.iinfo(np.int64).max
_NO_MAX = np.iinfo(np.int64).min


@register_jitable
def _row_stats(st, n, kept, pairs, wsum, dsum, dmin, dmax, bad, wmin):
    """Write one row's statistics (``STAT_*``) into ``st``; ``bad``: its error flags,
    one count per flag in bits of 21 (see ``_synapse``)."""
    st[STAT_FULL], st[STAT_KEPT], st[STAT_PAIRS] = n, kept, pairs
    st[STAT_WSUM], st[STAT_DSUM], st[STAT_DMIN], st[STAT_DMAX] = wsum, dsum, dmin, dmax
    mask = (np.int64(1) << 21) - 1
    st[STAT_WNEG], st[STAT_WBIG], st[STAT_DNEG] = bad & mask, (bad >> 21) & mask, bad >> 42
    st[STAT_WMIN] = wmin


@register_jitable
def _count_flags(err):
    """A synapse's error flags spread into three counters of 21 bits (``_row_stats``)."""
    return (np.int64(err & 1) | (np.int64((err >> 1) & 1) << 21)
            | (np.int64((err >> 2) & 1) << 42))


@register_jitable
def _draw_row(code, seed, streams, r, m, excluded, k, p_scale, multapses, keep, out, mark,
              buf, w_kind, w_prm, w_values, d_kind, d_prm, d_values, d_div, first, write,
              at, add, target, weight, delay, st, cursor, transposed, pa, pb):
    """Draw row ``r`` and its synapses, write the kept ones, and its statistics to ``st``.

    By source (``transposed`` false) the synapses go to ``at``, ``at + 1``, ...; by
    target (columns) the synapse from source ``s`` goes to ``cursor[s]`` (then
    incremented). Without ``write`` every synapse counts and nothing is written. The
    pair checksum adds ``r * pa + partner * pb`` (the pair's flat index)."""
    n = row_partners(code, step_key(seed, streams[0], r), r, m, excluded, k, p_scale,
                     multapses, out, mark)
    wbuf, dbuf = buf[0], buf[1]
    _values(w_kind, w_prm, w_values, first, step_key(seed, streams[1], r), n, wbuf)
    _values(d_kind, d_prm, d_values, first, step_key(seed, streams[2], r), n, dbuf)
    kept, pairs, wsum, dsum, dmin, dmax, bad = 0, np.int64(0), np.int64(0), 0, _NO_MIN, \
        _NO_MAX, np.int64(0)
    wmin = np.int64(0)
    for q in range(n):
        t = out[q]
        if write and not transposed and keep.size != 0 and not keep[t]:
            continue
        fixed, steps, err = _synapse(wbuf[q], dbuf[q], d_div)
        if err:
            bad += _count_flags(err)
            if err & 1:
                wmin = min(wmin, fixed)
                fixed = np.int64(0)
        kept += 1
        pairs += r * pa + t * pb
        wsum += fixed
        dsum += steps
        dmin = min(dmin, steps)
        dmax = max(dmax, steps)
        if write:
            if transposed:
                at = cursor[t]
                cursor[t] = at + 1
            target[at] = (r if transposed else t) + add
            if weight.size:         # else shared weights (neurosim._weights): not per synapse
                weight[at] = fixed
            delay[at] = steps
            at += 1
    _row_stats(st, n, kept, pairs, wsum, dsum, dmin, dmax, bad, wmin)


@njit(cache=True, parallel=True)
def fill_rows(code, seed, streams, m, excluded, k, p_scale, multapses, keep, width, block,
              w_kind, w_prm, w_values, d_kind, d_prm, d_values, d_div, first, write, base,
              add, target, weight, delay, stats):
    """Draw every row again and write its kept synapses at ``base[r]`` onwards.

    ``streams``: the streams of partners, weights and delays; ``first[r]``: the index in
    the whole projection of row ``r``'s first synapse (for ``ARRAY`` values); ``add``:
    added to a target index (its global index and channel). Targets are written as
    int32, weights as fixed-point int64 (none where ``weight`` is empty: shared weights),
    delays as steps (``round(d / d_div)``, int16 or int32: ``_memory.delay_dtype``).
    Without ``write`` nothing is written and every synapse counts (the statistics of
    the whole projection). ``stats[r]``: the row's ``STAT_*``.
    """
    n_rows = stats.shape[0]
    no_cursor = np.zeros(0, np.int64)
    for b in prange(_blocks(n_rows, block)):
        out = np.empty(width, np.int64)
        mark = np.zeros(m if code == DEGREE and not multapses else 0, np.uint8)
        buf = np.empty((2, width))
        for r in range(b * block, min(n_rows, (b + 1) * block)):
            at = base[r] if write else 0
            _draw_row(code, seed, streams, r, m, excluded[r], k[r], p_scale, multapses, keep,
                      out, mark, buf, w_kind, w_prm, w_values, d_kind, d_prm, d_values, d_div,
                      first[r], write, at, add, target, weight, delay,
                      stats[r], no_cursor, False, m, 1)


@njit(cache=True, parallel=True)
def count_cols(code, seed, stream, m, excluded, k, p_scale, multapses, keep, width, counts):
    """Rows drawn by target (columns, ``FixedIndegree``): ``counts[b, s]`` is the number
    of synapses of source ``s`` in the ``b``-th block of columns (kept columns only)."""
    n_cols = excluded.size
    n_blocks = counts.shape[0]
    block = (n_cols + n_blocks - 1) // n_blocks
    for b in prange(n_blocks):
        out = np.empty(width, np.int64)
        mark = np.zeros(m if code == DEGREE and not multapses else 0, np.uint8)
        for c in range(b * block, min(n_cols, (b + 1) * block)):
            if keep.size != 0 and not keep[c]:
                continue
            key = step_key(seed, stream, c)
            n = row_partners(code, key, c, m, excluded[c], k[c], p_scale, multapses, out, mark)
            for q in range(n):
                counts[b, out[q]] += 1


@njit(cache=True, parallel=True)
def fill_cols(code, seed, streams, m, excluded, k, p_scale, multapses, keep, width,
              w_kind, w_prm, w_values, d_kind, d_prm, d_values, d_div, first, write, cursor,
              add, target, weight, delay, stats):
    """As :func:`fill_rows` for columns: column ``c``'s synapse from source ``s`` goes to
    ``cursor[b, s]`` (then incremented), ``b`` its block of columns (the blocks of
    :func:`count_cols`), so that a source's synapses follow their targets' order.
    ``stats[c]``: the column's ``STAT_*``."""
    n_cols = excluded.size
    n_blocks = cursor.shape[0]
    block = (n_cols + n_blocks - 1) // n_blocks
    for b in prange(n_blocks):
        out = np.empty(width, np.int64)
        mark = np.zeros(m if code == DEGREE and not multapses else 0, np.uint8)
        buf = np.empty((2, width))
        for c in range(b * block, min(n_cols, (b + 1) * block)):
            if write and keep.size != 0 and not keep[c]:
                _row_stats(stats[c], 0, 0, 0, 0, 0, _NO_MIN, _NO_MAX, 0, 0)
                continue
            _draw_row(code, seed, streams, c, m, excluded[c], k[c], p_scale, multapses, keep,
                      out, mark, buf, w_kind, w_prm, w_values, d_kind, d_prm, d_values, d_div,
                      first[c], write, 0, add, target, weight, delay, stats[c], cursor[b],
                      True, 1, n_cols)


@njit(cache=True)
def row_synapses(code, seed, streams, r, m, excluded, k, p_scale, multapses, w_kind, w_prm,
                 w_values, d_kind, d_prm, d_values, d_div, first, target, weight, delay):
    """Draw row ``r`` alone (what procedural connectivity does when its neuron fires):
    its partners, fixed-point weights and delays in steps into ``target``, ``weight``,
    ``delay`` (room for the row), the same as the build's. Returns their number."""
    width = target.size
    out = np.empty(width, np.int64)
    mark = np.zeros(m if code == DEGREE and not multapses else 0, np.uint8)
    buf = np.empty((2, width))
    st = np.zeros(N_STATS, np.int64)
    _draw_row(code, seed, streams, r, m, excluded, k, p_scale, multapses, np.zeros(0, np.uint8),
              out, mark, buf, w_kind, w_prm, w_values, d_kind, d_prm, d_values, d_div, first,
              True, 0, 0, target, weight, delay, st, np.zeros(m, np.int64), False, m, 1)
    return st[STAT_FULL]


@njit(cache=True, parallel=True)
def input_bound(target, weight, weight_code, n_targets, n_blocks):
    """The sum of ``|weight|`` (as float) onto each target: the largest input it can
    receive in one step, without a temporary array per synapse (``weight_code``: see
    ``propagate.synapse_weight``)."""
    size = target.size
    part = np.zeros((n_blocks, n_targets))
    block = (size + n_blocks - 1) // n_blocks
    for b in prange(n_blocks):
        row = part[b]
        for q in range(b * block, min(size, (b + 1) * block)):
            row[target[q]] += abs(np.float64(synapse_weight(weight, weight_code, q)))
    out = np.zeros(n_targets)
    for b in range(n_blocks):
        out += part[b]
    return out


@njit(cache=True, parallel=True)
def draw_values(kind, prm, values, seed, stream, out):
    """``out[q]``: the value of a specification for synapse ``q`` of a list (an explicit
    projection: one row, key ``step_key(seed, stream, 0)``)."""
    key = step_key(seed, stream, 0)
    for q in prange(out.size):
        out[q] = draw(kind, prm, values, q, key, q)
