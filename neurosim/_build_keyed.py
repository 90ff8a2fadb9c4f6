"""The keyed build of one projection: its rows counted, then drawn into the CSR arrays.

A projection's random numbers are keyed by (network seed, stream, row), with
three streams per projection (``streams``): partners, weights, delays. Its rows
(``connectivity``'s ``RowPlan``) are counted first (:meth:`KeyedProjection.count`:
the synapses each source gets), so that the CSR arrays are allocated once, at
their final size; then drawn again and written into them (:meth:`fill`). Under
MPI a rank keeps the synapses onto its own targets, and every rank first collects
the statistics of the whole projection (its size, checksums, shortest and
longest delay) without keeping anything, so that the ranks agree.

A static projection keeps no array per synapse of its own: ``Synapses.i``,
``j``, ``weight`` and ``delay`` read the network's CSR arrays (``PerSynapse``).
"""
import numba
import numpy as np

from ._validation import steps_of, to_si
from .distributions import Normal, Uniform
from .kernels import connect as K
from .kernels._keyed import ARRAY, CONSTANT, UNIFORM
from .kernels._layout import FIXED_SCALE
from .kernels.procedural import Procedural, empty_procedural, scan_rows as _scan_rows
from .units import second
from ._weights import fixed_weights

__all__ = ["KeyedProjection", "PerSynapse", "streams", "STREAM_BUILD", "procedural_arrays"]

# the build's streams of the counter-based generator: 4 per projection, after the run's
STREAM_BUILD = 1 << 40
_EMPTY_U8 = np.zeros(0, dtype=np.uint8)
_EMPTY_F = np.zeros(0)
_EMPTY_I = np.zeros(0, dtype=np.int64)


def streams(index):
    """The streams of projection ``index``: partners, weights, delays."""
    base = STREAM_BUILD + 4 * index
    return np.array([base, base + 1, base + 2], dtype=np.int64)


def _spec(name, value, convert):
    """``(kind, parameters, values)`` of a weight or delay for ``kernels._keyed.draw``."""
    if isinstance(value, (Uniform, Normal)):
        kind, prm = value._keyed_spec(name, convert)
        return kind, prm, _EMPTY_F
    arr = np.asarray(convert(name, value), dtype=float)
    if arr.ndim == 0:
        return CONSTANT, np.array([float(arr)]), _EMPTY_F
    return ARRAY, _EMPTY_F, np.ascontiguousarray(arr.ravel())


def constant_weight(syn):
    """The fixed-point weight of projection ``syn`` if it has one constant weight (that
    the build accepts), else None (``_weights.shared_table``)."""
    kind, prm, _ = _spec("weight", syn._weight_spec, syn.target.model.weight_to_si)
    if kind != CONSTANT or not 0.0 <= prm[0] * FIXED_SCALE < 2.0 ** 53:
        return None
    return int(np.rint(prm[0] * FIXED_SCALE))


def _blocks_of(n_rows):
    """Rows per block of a pass: enough blocks to balance the threads."""
    return max(1, n_rows // (64 * numba.get_num_threads()))


class KeyedProjection:
    """The rows of one projection and how to draw them (its counts, then its synapses).

    Parameters
    ----------
    syn : Synapses
        The projection.
    index : int
        Its index in the network (its streams).
    seed : int
        The network's seed.
    dt : float
        Time step (s).
    self_pre : ndarray of int64
        Per target, the source index of the same neuron, or -1.
    keep : ndarray of bool or None
        Under MPI: the targets this rank keeps.
    """

    def __init__(self, syn, index, seed, dt, self_pre, keep):
        n_pre, n_post = syn.source.n, syn.target.n
        self.name, self.seed, self.dt = syn.name, int(seed), dt
        self.streams = streams(index)
        self.plan = syn.rule._rows(n_pre, n_post, self_pre, self.seed, int(self.streams[0]))
        self.n_pre, self.n_post = n_pre, n_post
        self.keep = _EMPTY_U8 if keep is None else keep.astype(np.uint8)
        model = syn.target.model
        self.w = _spec("weight", syn._weight_spec, lambda nm, v: model.weight_to_si(nm, v))
        d = _spec("delay", syn._delay_spec, _delay_si)
        if d[0] == CONSTANT:          # given delays: whole steps, exactly
            d = (CONSTANT, steps_of("delay", d[1], dt).astype(float), d[2])
        elif d[0] == ARRAY:
            d = (ARRAY, d[1], steps_of("delay", d[2], dt).astype(float))
        self.d = d
        self.d_div = dt if isinstance(syn._delay_spec, (Uniform, Normal)) else 1.0
        self.n_rows = n_post if self.plan.by_target else n_pre
        self.whole = None            # statistics of the whole projection (MPI)

    def longest_delay_bound(self):
        """An upper bound of the delays (steps) that :meth:`fill` draws, known before
        they are drawn (the build chooses the delays' integer type from it): the
        largest given delay, a distribution's upper bound, or 40 standard deviations
        above a normal's mean where it has none (the keyed normal sampler reaches at
        most about 14: its tail takes the log of a uniform of 53 bits)."""
        kind, prm, values = self.d
        if kind == CONSTANT:
            top = prm[0]
        elif kind == ARRAY:
            top = values.max() if values.size else 0.0
        elif kind == UNIFORM:
            top = prm[1]
        else:
            top = prm[3] if np.isfinite(prm[3]) else prm[0] + 40.0 * prm[1]
        return int(np.ceil(top / self.d_div)) + 1

    # ------------------------------------------------------------------ passes
    def count(self):
        """The number of synapses each source keeps (int64, one per source).

        Under MPI, the statistics of the whole projection are collected first (and
        its errors raised on every rank alike)."""
        p = self.plan
        if self.keep.size or ARRAY in (self.w[0], self.d[0]):
            self.first = _exclusive(self._counts(_EMPTY_U8) if not p.by_target else p.k)
            n = int(self.first[-1] + (p.k[-1] if p.by_target else self._last)) \
                if self.n_rows else 0
            for what, (kind, _, values) in (("weight", self.w), ("delay", self.d)):
                if kind == ARRAY and values.size != n:
                    raise ValueError(f"{what} has shape {values.shape}; expected a single "
                                     f"value or an array of length {n}")
        if self.keep.size:
            self.whole = self._fill(write=False)
            self._check(self.whole, whole=True)
        if p.by_target:
            blocks = max(1, numba.get_num_threads())
            self.col_counts = np.zeros((blocks, self.n_pre), dtype=np.int64)
            K.count_cols(p.code, self.seed, self.streams[0], p.m, p.excluded, p.k,
                         p.p_scale, p.multapses, self.keep, p.width, self.col_counts)
            return self.col_counts.sum(axis=0)
        return self._counts(self.keep)

    def _counts(self, keep):
        """Per source row, its synapses onto the targets marked in ``keep`` (all if empty)."""
        p = self.plan
        if keep.size == 0 and p.code != K.PROB:
            if p.code == K.ALL:
                counts = p.m - (p.excluded >= 0).astype(np.int64)
            else:
                counts = np.ones(self.n_rows, dtype=np.int64) if p.code == K.ONE else p.k.copy()
        else:
            counts = np.zeros(self.n_rows, dtype=np.int64)
            K.count_rows(p.code, self.seed, self.streams[0], p.m, p.excluded, p.k, p.p_scale,
                         p.multapses, keep, p.width, _blocks_of(self.n_rows), counts)
        self._last = int(counts[-1]) if counts.size else 0
        return counts

    def fill(self, csr, base, add):
        """Draw the synapses into ``csr`` (``target``, ``weight``, ``delay``): source
        ``s``'s from ``base[s]`` on; ``add`` is added to every target index. Returns the
        projection's summary fields ``(n_synapses, pairs, weight_sum, delay_sum,
        min_delay_steps, max_delay_steps)`` (checksums None in one process)."""
        if self.plan.by_target:
            cursor = base[None, :] + np.cumsum(self.col_counts, axis=0) - self.col_counts
            del self.col_counts
            stats = self._fill(True, csr, np.ascontiguousarray(cursor), add)
        else:
            stats = self._fill(True, csr, base, add)
        self._check(stats, whole=self.whole is None)
        if self.whole is None:
            n = int(stats[:, K.STAT_FULL].sum())
            return (n, None, None, None) + _delay_range(stats)
        st = self.whole
        return (int(st[:, K.STAT_FULL].sum()), _wrapped(st[:, K.STAT_PAIRS]),
                _wrapped(st[:, K.STAT_WSUM]), int(st[:, K.STAT_DSUM].sum())) + _delay_range(st)

    def _fill(self, write, csr=None, base=None, add=0):
        p = self.plan
        stats = np.zeros((self.n_rows, K.N_STATS), dtype=np.int64)
        first = getattr(self, "first", None)
        if first is None:
            first = np.zeros(self.n_rows, dtype=np.int64)
        if base is None:
            base = np.zeros((max(1, numba.get_num_threads()), 0), dtype=np.int64) \
                if p.by_target else _EMPTY_I
        # shared weights: none written here, their codes by the caller (Synapses._place)
        out = (csr.target, _EMPTY_I if csr.weight_code.size else csr.weight,
               csr.delay) if write else (
            np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, np.int32))
        args = (p.code, self.seed, self.streams, p.m, p.excluded, p.k, p.p_scale, p.multapses,
                self.keep, p.width)
        draws = (*self.w, *self.d, float(self.d_div), first, write, base, np.int64(add), *out,
                 stats)
        if p.by_target:
            K.fill_cols(*args, *draws)
        else:
            K.fill_rows(*args, _blocks_of(self.n_rows), *draws)
        return stats

    def scan(self):
        """Procedural storage: draw every row once, keeping nothing per synapse.

        Returns the projection's summary fields (as :meth:`fill`: the checksums of the
        whole projection under MPI) and, per target,
        the sum of its synapses' ``|weight|`` in fixed point (the largest input it
        can receive in one step). Raises on values out of range, as the stored
        build does."""
        p = self.plan
        for what, kind in (("weight", self.w[0]), ("delay", self.d[0])):
            if kind == ARRAY:
                raise ValueError(f"{what}: {self.name} gives one {what} per synapse, which "
                                 "procedural connectivity cannot regenerate (it stores "
                                 "nothing per synapse); give one value or a distribution "
                                 "(Uniform, Normal), or use storage='stored'")
        stats = np.zeros((self.n_rows, K.N_STATS), dtype=np.int64)
        bound = _scan_rows(p.code, np.uint64(self.seed), self.streams, p.m, p.excluded, p.k,
                           p.p_scale, p.multapses, p.width, max(1, numba.get_num_threads()),
                           self.w[0], _four(self.w[1]), self.d[0], _four(self.d[1]),
                           float(self.d_div), stats)
        self._check(stats, whole=True)
        n = int(stats[:, K.STAT_FULL].sum())
        if self.keep.size:      # MPI: the checksums that the ranks compare, as fill's
            return (n, _wrapped(stats[:, K.STAT_PAIRS]), _wrapped(stats[:, K.STAT_WSUM]),
                    int(stats[:, K.STAT_DSUM].sum())) + _delay_range(stats), bound
        return (n, None, None, None) + _delay_range(stats), bound

    # ------------------------------------------------------------------ checks
    def _check(self, stats, whole):
        """Raise on drawn values out of range (checked once: for the whole projection
        under MPI, else on this build's synapses)."""
        if not whole:
            return
        n = int(stats[:, K.STAT_FULL].sum())
        neg = int(stats[:, K.STAT_WNEG].sum())
        if neg:
            low = stats[:, K.STAT_WMIN].min() / FIXED_SCALE
            raise ValueError(f"weight: {neg} of {n} drawn weights of {self.name} are negative "
                             f"({low:g}); weights are magnitudes, truncate the distribution "
                             "with low=0")
        big = int(stats[:, K.STAT_WBIG].sum())
        if big:
            raise ValueError(f"weight: {big} weights of {self.name} are too large for exact "
                             f"summation; weights must stay below {2.0 ** 53 / FIXED_SCALE:g} "
                             "in the target's unit")
        if int(stats[:, K.STAT_DNEG].sum()):
            low = _delay_range(stats)[0] * self.dt * 1e3
            raise ValueError(f"delay: drawn delays of {self.name} reach {low:g} ms; delays "
                             "must be >= 0, truncate the distribution with low=0*ms")


def procedural_arrays(net, offsets, n):
    """The ``kernels.procedural.Procedural`` of a built network's procedural projections,
    and the largest input each of the ``2 n`` targets can receive from them in one step
    (fixed point, as float; for the input bound)."""
    projections = [s for s in net.synapses if getattr(s, "_procedural", None) is not None]
    bound = np.zeros(2 * n)
    if not projections:
        return empty_procedural(), bound
    cols = {f: [] for f in Procedural._fields}
    row0 = 0
    for s in projections:
        kp, p = s._procedural, s._procedural.plan
        lo = offsets[id(s.source.root)] + s.source.start
        add = net._range(offsets, s.target)[0] + s.channel * n
        bound[add:add + p.m] += s._bound
        for f, v in (("lo", lo), ("hi", lo + kp.n_rows), ("row0", row0), ("code", p.code),
                     ("m", p.m), ("add", add), ("p_scale", p.p_scale),
                     ("multapses", p.multapses), ("seed", kp.seed), ("streams", kp.streams),
                     ("w_kind", kp.w[0]), ("w_prm", _four(kp.w[1])), ("d_kind", kp.d[0]),
                     ("d_prm", _four(kp.d[1])), ("d_div", float(kp.d_div)),
                     ("excluded", p.excluded), ("k", p.k), ("width", p.width),
                     ("m_max", p.m)):
            cols[f].append(v)
        row0 += kp.n_rows
    i64 = dict(dtype=np.int64)
    arrays = {f: np.array(cols[f], **i64) for f in ("lo", "hi", "row0", "code", "m", "add",
                                                    "w_kind", "d_kind")}
    arrays.update(
        excluded=np.concatenate(cols["excluded"]).astype(np.int64),
        k=np.concatenate(cols["k"]).astype(np.int64), p_scale=np.array(cols["p_scale"]),
        multapses=np.array(cols["multapses"], dtype=np.bool_),
        seed=np.array(cols["seed"], dtype=np.uint64), streams=np.array(cols["streams"], **i64),
        w_prm=np.array(cols["w_prm"]), d_prm=np.array(cols["d_prm"]),
        d_div=np.array(cols["d_div"]), width=np.int64(max(cols["width"])),
        m_max=np.int64(max(cols["m_max"])))
    return Procedural(**arrays), bound


def _four(prm):
    """A specification's parameters padded to the 4 columns of ``Procedural``."""
    out = np.zeros(4)
    out[:prm.size] = prm
    return out


def _delay_si(name, value):
    return to_si(name, value, second, allow_array=True)


def _exclusive(counts):
    out = np.zeros(counts.size, dtype=np.int64)
    np.cumsum(counts[:-1], out=out[1:])
    return out


def _wrapped(column):
    """The sum modulo 2**64 of an int64 column that wrapped, as a Python int."""
    return int(column.view(np.uint64).sum(dtype=np.uint64))


def _delay_range(stats):
    rows = stats[:, K.STAT_KEPT] > 0
    if not rows.any():
        return None, None
    return int(stats[rows, K.STAT_DMIN].min()), int(stats[rows, K.STAT_DMAX].max())


# ----------------------------------------------------------- per-synapse views
class PerSynapse:
    """A per-synapse attribute of ``Synapses``: stored (explicit lists, plastic
    synapses), or, for a keyed static projection (``_csr`` set), read from the
    network's CSR arrays on access (a new array each time), so that the build keeps
    no second copy of its synapses."""

    def __set_name__(self, owner, name):
        self.name, self.slot = name, "_stored" + name

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        view = obj.__dict__.get("_csr")
        if view is None:
            return obj.__dict__.get(self.slot)
        net = obj.__dict__.get("_network")
        if net is None or net._arrays is None:
            return None
        return _read(self.name, obj, net._arrays.synapses, *view)

    def __set__(self, obj, value):
        if obj.__dict__.get("_csr") is None:
            obj.__dict__[self.slot] = value


def _read(name, syn, csr, row_start, row_count, add):
    total = int(row_count.sum())
    if name == "i":
        dtype = np.int32 if syn.source.n < 2 ** 31 else np.int64
        return np.repeat(np.arange(row_count.size, dtype=dtype), row_count)
    pos = np.repeat(row_start - _exclusive(row_count), row_count) + np.arange(total)
    if name == "_positions":
        return pos
    if name == "j":
        return (csr.target[pos] - add).astype(np.int32 if syn.target.n < 2 ** 31 else np.int64)
    if name == "_weight_si":
        return fixed_weights(csr.weight, csr.weight_code, pos) / FIXED_SCALE
    return csr.delay[pos].astype(np.int32)                # _delay_steps
