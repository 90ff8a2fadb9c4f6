"""The build: a network's description drawn into the flat arrays that the backends run.

Connectivity, weights, delays and initial values are drawn from the seed, the
memory is estimated before anything large is allocated, and every array is
written once into its final place.
"""
import time

import numpy as np

from . import mpi as _mpi
from ._build_keyed import constant_weight, procedural_arrays
from ._build_plastic import build_plastic
from ._fixed_point import check_input_bound, to_fixed as _to_fixed
from ._memory import allocate, check_memory, delay_dtype
from ._validation import check_positive, check_seed, steps_of, to_si
from .distributions import resolve
from .connectivity import Explicit
from .inputs import CurrentInput, PoissonGroup, PoissonInput, TimedCurrent
from ._config import get_config
from .kernels import _layout as L
from .kernels import models as _kernels
from .kernels.poisson import MAX_TABLE_LAMBDA, poisson_tables
from .kernels.poisson_sources import BLOCK, block_bounds, update_thresholds
from .kernels.simulate import (Arrays, Currents, Drives, Neurons, Recorders, Sources,
                               Synapses as SynapseArrays)
from .monitors import SpikeMonitor, StateMonitor
from .plasticity import plastic_variables
from .synapses import Synapses
from .units import second
from ._weights import mark_rows, shared_table

__all__ = ["build_network"]



def build_network(net, dt, seed):
    """Validate ``dt`` and ``seed``, draw the network and allocate its arrays
    (``Network.build``)."""
    dt = check_positive("dt", dt, second)
    seed = check_seed("seed", seed, allow_none=True)
    if seed is None:
        seed = _mpi.draw_seed()     # under MPI: rank 0's, the same on every rank
    t0 = time.perf_counter()
    offsets = net._offsets()
    n = sum(g.n for g in net.groups)
    n_src = sum(s.n for s in net.sources)
    # under MPI: this rank's neurons, whose incoming synapses alone it builds
    keep = _mpi.local_neurons(net)
    expected = [0.0, 0.0]                # CSR only, and with arrays of their own
    for s in net.synapses:
        lo, hi = net._range(offsets, s.target)
        if s.storage == "procedural":        # nothing per synapse
            continue
        stored = s.plasticity is not None or isinstance(s.rule, Explicit)
        expected[stored] += s.expected_count() * (1.0 if keep is None else keep[lo:hi].mean())
    table = _shared_weights(net)
    check_memory(n, n_src, depth=1, n_syn=int(expected[0]), n_stored=int(expected[1]),
                 weight_bytes=8 if table is None else 1)
    for model in {id(g.model): g.model for g in net.groups}.values():
        model.validate_dt(dt)
    net.dt, net.seed = dt, int(seed)
    net._build_seed = net.seed
    root = np.random.SeedSequence(net.seed)
    # the models the engines dispatch to: the built-in ones, then any other in use
    model_set = _kernels.model_set([g.model.kernel for g in net.groups])
    neurons = _build_neurons(net, offsets, n, dt, root.spawn(1)[0], model_set)
    syn, depth = _build_synapses(net, offsets, n, n_src, dt, table, keep)
    procedural, procedural_bound = procedural_arrays(net, offsets, n)
    # the synapses are allocated by now (and count against the available memory):
    # what remains is the delay buffer, whose depth only the drawn delays give
    check_memory(n, n_src, depth=depth, n_syn=0)
    currents, i_bias = _build_currents(net, offsets, n, dt)
    i_bias = i_bias.astype(net.dtype)
    neurons = neurons._replace(buffer=np.zeros((depth, 2 * n), dtype=np.int64), i_bias=i_bias,
                               i_ext=i_bias.copy())
    drives = _build_drives(net, offsets, dt)
    plastic = build_plastic(net, offsets, n, n + n_src, dt)
    check_input_bound(syn, drives, n, lambda k: _group_at(net, offsets, k), plastic,
                      procedural_bound)
    net._arrays = Arrays(
        neurons=neurons, sources=_build_sources(net, offsets, n, dt), synapses=syn,
        drives=drives, currents=currents, plastic=plastic, procedural=procedural,
        procedural_bound=procedural_bound,
        recorders=None, counters=np.zeros(2, dtype=np.int64), offsets=offsets, n=n,
        min_delay=_mpi.min_delay_steps(net),
        model_set=model_set, cache_dir=get_config()["cache_dir"])
    _build_recorders(net)
    _take_members(net)
    net.t_step = 0
    net.timings["build"] = time.perf_counter() - t0


def _take_members(net):
    """Make this network the owner of its members (``cells.v`` reads and sets its
    state); an earlier built network that shares one can no longer run."""
    for obj in net.groups + net.sources + net.synapses + net.inputs + net.monitors:
        old = obj.__dict__.get("_network")
        if old is not None and old is not net and old._arrays is not None:
            old._taken_by = getattr(obj, "name", type(obj).__name__)
        obj._network = net


def _group_at(net, offsets, k):
    """The name of the group that holds neuron ``k`` (a global index)."""
    return next(g.name for g in net.groups if offsets[id(g)] <= k < offsets[id(g)] + g.n)


def _build_neurons(net, offsets, n, dt, seq, model_set):
    v, ge, gi = (np.zeros(n, dtype=net.dtype) for _ in range(3))
    # the models' extra state variables: as many rows as the model with most needs
    aux = np.zeros((max([len(m.extra_state) for m in model_set]), n), dtype=net.dtype)
    table = [v, ge, gi] + list(aux)
    rngs = [np.random.default_rng(s) for s in seq.spawn(len(net.groups))]
    segments = []           # (lo, hi, code, row, rows per neuron or None)
    for g, rng in zip(net.groups, rngs):
        lo = offsets[id(g)]
        for var in g.model.state_variables:
            slot, unit, default = g.model.variable(var)
            if var not in g.initial_values:
                table[slot][lo:lo + g.n] = default
                continue
            table[slot][lo:lo + g.n] = resolve(
                var, g.initial_values[var], g.n, rng,
                lambda name, x, u=unit: to_si(name, x, u, allow_array=True))
        code = next(i for i, m in enumerate(model_set) if m is g.model.kernel)
        segments += _segments(g, lo, code, dt, rng)
    width = max([L.N_PARAMS] + [s[3].size for s in segments])
    seg_prm = np.zeros((len(segments), width))
    seg_hoff = np.full(len(segments), L.SHARED, dtype=np.int64)
    tables = []
    first = 0               # the next free row of the per-neuron table
    for k, (seg_lo, _, _, row, rows) in enumerate(segments):
        seg_prm[k, :row.size] = row
        if rows is not None:
            seg_hoff[k] = first - seg_lo
            tables.append(rows)
            first += rows.shape[0]
    nrn_prm = np.zeros((first, width))
    at = 0
    for rows in tables:
        nrn_prm[at:at + rows.shape[0], :rows.shape[1]] = rows
        at += rows.shape[0]
    return Neurons(v=v, ge=ge, gi=gi, ref=np.zeros(n, dtype=np.int32), aux=aux,
                   i_bias=None, i_ext=None,
                   # padded to whole 8-byte words for the compiled spike scan
                   spiked=np.zeros(-(-n // 8) * 8, dtype=np.bool_),
                   buffer=None, seg_lo=np.array([s[0] for s in segments], dtype=np.int64),
                   seg_hi=np.array([s[1] for s in segments], dtype=np.int64),
                   seg_code=np.array([s[2] for s in segments], dtype=np.int64),
                   seg_prm=seg_prm.astype(net.dtype), seg_hoff=seg_hoff,
                   nrn_prm=nrn_prm.astype(net.dtype))


def _segments(group, lo, code, dt, rng):
    """The segment of a group: one parameter row, or, with parameters per neuron (drawn
    after the initial values, from the same stream), a row per neuron as well."""
    row = group.model.params(dt)
    if not group.model.heterogeneous:
        return [(lo, lo + group.n, code, row, None)]
    rows = np.array([m.params(dt) for m in group.model.per_neuron(group.n, rng)])
    return [(lo, lo + group.n, code, row, rows)]


def _shared_weights(net):
    """The table of the network's shared weights (``_weights``), or None: the stored
    static projections (those of the CSR arrays) must all have constant weights."""
    return shared_table([constant_weight(s) for s in net.synapses
                         if s.storage != "procedural" and s.plasticity is None])


def _build_synapses(net, offsets, n, n_src, dt, table, keep=None):
    """CSR arrays of every synapse: rows by source, in projection then rule order.

    Each projection counts its synapses per source first (``Synapses._build``);
    the CSR arrays are then allocated once, at their final size (after a memory
    check on the exact count), and every projection draws its synapses again
    straight into its places (``Synapses._place``), so that the peak memory is the
    final bytes (PD14 holds 3e8 synapses). ``table``: the shared weights
    (``_shared_weights``), whose codes are written instead of a weight each, or None.
    """
    counts = np.zeros(n + n_src, dtype=np.int64)
    placed = []                          # (projection, first source, target add)
    for index, s in enumerate(net.synapses):
        lo, hi = net._range(offsets, s.target)
        first = offsets[id(s.source.root)] + s.source.start
        row = s._build(index, net.seed, dt, first, lo, None if keep is None else keep[lo:hi])
        if row is None:                  # plastic: kept apart (_build_plastic)
            continue
        counts[first:first + s.source.n] += row
        placed.append((s, first, lo + s.channel * n))
    indptr = np.zeros(n + n_src + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    total = int(indptr[-1])
    # the exact count, before the arrays are allocated (the lists' own arrays exist)
    stored = sum(s.i.size for s in net.synapses if s._csr is None and s.i is not None)
    # the delays' type, from a bound known before the keyed projections draw them
    delays = delay_dtype(max([s._keyed.longest_delay_bound() for s, _, _ in placed
                              if s._keyed is not None]
                             + [int(s._delay_steps.max()) for s, _, _ in placed
                                if s._keyed is None and s._delay_steps.size], default=0))
    check_memory(n, n_src, depth=1, n_syn=total, n_stored=stored, delay_bytes=delays.itemsize,
                 weight_bytes=8 if table is None else 1)
    if table is None:
        weight, code = allocate(total, np.int64), np.zeros(0, np.uint8)
    else:
        weight, code = table, allocate(total, np.uint8)
    syn = SynapseArrays(indptr=indptr, target=allocate(total, np.int32), weight=weight,
                        delay=allocate(total, delays), weight_code=code)
    cursor = indptr[:-1].copy()          # next free place in each source's row
    for s, first, add in placed:
        rows = slice(first, first + s.source.n)
        s._place(syn, cursor[rows], add)
        if table is not None:
            mark_rows(code, cursor[rows], _row_counts(s),
                      np.uint8(np.searchsorted(table, constant_weight(s))))
        cursor[rows] += _row_counts(s)
    # from the whole projections: under MPI the same on every rank
    longest = [s._summary.max_delay_steps for s in net.synapses
               if s._summary.max_delay_steps is not None]
    depth = max(longest) + 1 if longest else 1
    if any(s._summary.max_delay_steps is not None
           and s._summary.max_delay_steps > np.iinfo(delays).max for s, _, _ in placed):
        raise RuntimeError(f"a drawn delay exceeds the bound its {delays} array was chosen "
                           "from (a defect of neurosim's build; please report it)")
    return syn, depth


def _row_counts(s):
    """The synapses per source of a static projection just placed."""
    if s._csr is not None:
        return s._csr[1]
    return np.bincount(s.i, minlength=s.source.n)


def _build_sources(net, offsets, n, dt):
    n_src = sum(s.n for s in net.sources)
    p_fire = np.zeros(n_src)
    steps, ids = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for s in net.sources:
        lo = offsets[id(s)] - n
        if isinstance(s, PoissonGroup):
            p_fire[lo:lo + s.n] = s.firing_probability(dt)
        else:
            st, idx = s.steps(dt)
            steps.append(st)
            ids.append(idx + offsets[id(s)])
    steps, ids = np.concatenate(steps), np.concatenate(ids)
    order = np.lexsort((ids, steps))
    block_lo = block_bounds([(offsets[id(s)] - n, offsets[id(s)] - n + s.n)
                             for s in net.sources], n_src)
    thresholds = np.zeros((block_lo.size - 1, BLOCK + 1), dtype=np.int64)
    update_thresholds(p_fire, block_lo, thresholds)
    return Sources(p_fire=p_fire, gen_step=steps[order], gen_source=ids[order],
                   fired=np.zeros(n_src, dtype=np.bool_), block_lo=block_lo,
                   thresholds=thresholds)


def _build_drives(net, offsets, dt):
    drives = [d for d in net.inputs if isinstance(d, PoissonInput)]
    ranges = np.array([net._range(offsets, d.target) for d in drives],
                      dtype=np.int64).reshape(-1, 2)
    total = np.array([d.n * d.rate * dt for d in drives], dtype=float)
    n_sub = np.maximum(1, np.ceil(total / MAX_TABLE_LAMBDA)).astype(np.int64)
    tables = poisson_tables(total / n_sub)
    return Drives(lo=ranges[:, 0].copy(), hi=ranges[:, 1].copy(),
                  channel=np.array([d.channel for d in drives], dtype=np.int64),
                  weight=_to_fixed(np.array([d.weight for d in drives], dtype=float)),
                  n_sub=n_sub, k_lo=tables.k_lo, k_max=tables.k_max, t_ptr=tables.t_ptr,
                  g_ptr=tables.g_ptr, shift=tables.shift, thresholds=tables.thresholds,
                  guide=tables.guide)


def _build_currents(net, offsets, n, dt):
    i_bias = np.zeros(n)
    for c in net.inputs:
        if isinstance(c, CurrentInput):
            lo, hi = net._range(offsets, c.target)
            i_bias[lo:hi] += c._amplitude
    timed = [c for c in net.inputs if isinstance(c, TimedCurrent)]
    ranges = np.array([net._range(offsets, c.target) for c in timed],
                      dtype=np.int64).reshape(-1, 2)
    vptr = np.zeros(len(timed) + 1, dtype=np.int64)
    np.cumsum([c.values.size for c in timed], out=vptr[1:])
    values = np.concatenate([c.values.ravel() for c in timed] + [np.zeros(0)])
    currents = Currents(
        lo=ranges[:, 0].copy(), hi=ranges[:, 1].copy(), vptr=vptr, values=values,
        n_rows=np.array([c.values.shape[0] for c in timed], dtype=np.int64),
        n_cols=np.array([c.values.shape[1] for c in timed], dtype=np.int64),
        ratio=np.array([steps_of("TimedCurrent dt", c.dt, dt) for c in timed],
                       dtype=np.int64))
    return currents, i_bias


def _build_recorders(net):
    a = net._arrays
    n_total = a.n + a.sources.p_fire.size
    mask = np.zeros(n_total, dtype=np.uint8)
    st_var, st_idx, st_every = [], [], []
    rate_lo, rate_hi = [], []
    for m in net.monitors:
        m._reset(net.dt)
        if isinstance(m, StateMonitor) and isinstance(m.source, Synapses):
            m._resolve_synapses()
            codes = plastic_variables(*m.source._rules)
            for var in m.variables:
                st_var += [L.VAR_SYNAPSE + codes[var]] * m.record.size
                st_idx += list(m.source._positions[m.record])
                st_every += [m.every] * m.record.size
            continue
        lo = net._global(m.source)
        if isinstance(m, SpikeMonitor):
            mask[lo + m.record] = 1
        elif isinstance(m, StateMonitor):
            for var in m.variables:
                slot = m.source.model.variable(var)[0]
                st_var += [slot] * m.record.size
                st_idx += list(lo + m.record)
                st_every += [m.every] * m.record.size
        else:
            rate_lo.append(lo)
            rate_hi.append(lo + m.source.n)
    capacity = max(1024, 4 * int(mask.sum()))
    a.recorders = Recorders(
        mask=mask, spike_i=np.zeros(capacity, np.int64), spike_step=np.zeros(capacity, np.int64),
        st_var=np.array(st_var, np.int64), st_idx=np.array(st_idx, np.int64),
        st_every=np.array(st_every, np.int64), st_off=np.zeros(len(st_var), np.int64),
        st_count=np.zeros(len(st_var), np.int64), st_buf=np.zeros(0),
        rate_lo=np.array(rate_lo, np.int64), rate_hi=np.array(rate_hi, np.int64),
        rate_buf=np.zeros((0, len(rate_lo)), np.int64))
