"""Network: collects the objects, builds flat arrays once, owns the time loop."""
import sys
import time
import warnings

import numpy as np

from ._chunks import ChunkState, InterruptGuard, RunInterrupted, SliceClock
from ._config import get_config
from ._fixed_point import check_input_bound, to_fixed as _to_fixed
from ._validation import check_bool, check_int, check_positive, check_seed, steps_of, to_si
from .backends import get_backend
from .distributions import resolve
from .groups import NeuronGroup, _Population
from .inputs import (CurrentInput, PoissonGroup, PoissonInput, SpikeGeneratorGroup,
                     TimedCurrent)
from .io import read_checkpoint, write_checkpoint
from .kernels import _layout as L
from .kernels.simulate import (Currents, Drives, Neurons, Recorders, Sources,
                               Synapses as SynapseArrays)
from . import mpi as _mpi
from .monitors import RateMonitor, SpikeMonitor, StateMonitor
from .synapses import Synapses
from .units import second

__all__ = ["Network", "NetworkTooLargeError", "CheckpointWarning"]

_SOURCE_TYPES = (PoissonGroup, SpikeGeneratorGroup)
_INPUT_TYPES = (PoissonInput, CurrentInput, TimedCurrent)
_MONITOR_TYPES = (SpikeMonitor, StateMonitor, RateMonitor)
# peak bytes per synapse while building: kept per projection (int32 i, j, delay steps
# and CSR position, float64 weight) 24, the CSR arrays 16, and the largest
# projection's draws and sort while it is copied in; measured 55 above the
# interpreter for CUBA (4e7 synapses), 49 in all for PD14 at scale 0.1 (3e7)
_BUILD_BYTES_PER_SYNAPSE = 64
_MAX_POISSON_LAMBDA = 20.0   # larger means are split into several draws


class NetworkTooLargeError(MemoryError):
    """The network would need more memory than is available.

    Raised by :meth:`Network.build` (and so by the first :meth:`Network.run`)
    before anything large is allocated, from an estimate of the bytes the
    neurons, synapses and spike buffers need, compared with the setting
    ``max_memory`` (:func:`set_config`; default: the memory available now).
    A subclass of :class:`MemoryError`.

    Examples
    --------
    >>> import neurosim as ns
    >>> cells = ns.NeuronGroup(1000, ns.McCullochPitts())
    >>> syn = ns.Synapses(cells, cells, kind="excitatory", weight=1,
    ...                   connect=ns.AllToAll())
    >>> with ns.config_context(max_memory=1_000_000):       # 1 MB
    ...     try:
    ...         ns.Network(cells, syn).build(seed=0)
    ...     except ns.NetworkTooLargeError:
    ...         print("too large")
    too large
    """


class _Arrays:
    """Everything the backends touch, packed for the compiled loop."""

    def __init__(self, **parts):
        self.__dict__.update(parts)


class Network:
    """A network of groups, synapses, inputs and monitors, simulated with a fixed step.

    Parameters
    ----------
    *objects
        ``NeuronGroup``, ``PoissonGroup``, ``SpikeGeneratorGroup``, ``Synapses``,
        ``PoissonInput``, ``CurrentInput``, ``TimedCurrent`` and monitors, in any
        order. Everything an object refers to must be part of the network.
    dtype : {'float64', 'float32'}, optional
        Precision of the state variables and parameters (default float64, as
        Brian2). float32 halves the memory traffic; every backend computes in the
        same precision, so they still agree spike for spike.
    placement : {'population', 'round_robin'}, optional
        How neurons are placed on MPI ranks when the script runs under
        ``mpirun -n K`` (K > 1; no effect in one process): ``'population'``
        (default) gives each rank a contiguous block of neurons, keeping
        populations together; ``'round_robin'`` deals neuron ``k`` to rank
        ``k mod K``, as NEST does. The spikes do not depend on it (see
        :mod:`neurosim.mpi`).

    Attributes
    ----------
    t : float
        Simulated time, in seconds.
    monitors, groups, sources, synapses, inputs : tuple
        The members of each kind, fixed when the network is made.
    timings : dict
        Wall seconds of the last ``build``, compilation (``'compile'``) and
        ``run``; ``'run_total'`` adds up every run.

    Notes
    -----
    The network is built at the first ``run`` (or by ``build``): connectivity,
    weights, delays and initial values are drawn from ``seed``, arrays are
    allocated after a memory estimate, and all later runs continue from where
    the previous one stopped. A run advances chunk by chunk, each a
    transaction: if anything fails (Ctrl-C, a full disk while streaming), the
    network stays at the end of the last chunk that was fully recorded
    (docs/user/long_runs.rst, "What happens when a run fails"). An object
    belongs to the network built last that holds it; an earlier built network
    that shares it can no longer be used.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV
    >>> cell = ns.NeuronGroup(1, ns.LIF(20*ms, -70*mV, -70*mV, -50*mV, refractory=2*ms))
    >>> drive = ns.CurrentInput(cell, 30*mV)
    >>> spikes = ns.SpikeMonitor(cell)
    >>> net = ns.Network(cell, drive, spikes)
    >>> net.run(100*ms, dt=0.1*ms, backend="numpy", seed=1)
    >>> spikes.count
    array([4])
    """

    def __init__(self, *objects, dtype="float64", placement="population"):
        self.placement = _mpi.check_placement(placement)
        if dtype not in ("float64", "float32", np.float64, np.float32):
            raise ValueError(f"dtype={dtype!r} must be 'float64' or 'float32'")
        self.dtype = np.dtype(dtype)
        known = (NeuronGroup,) + _SOURCE_TYPES + (Synapses,) + _INPUT_TYPES + _MONITOR_TYPES
        for obj in objects:
            if not isinstance(obj, known):
                raise TypeError(f"Network got {obj!r}; it takes neuron and input groups, "
                                "Synapses, inputs and monitors")
        # fixed at construction: the built arrays and every recorder follow this order
        self.objects = _Members("objects", objects)
        self.groups = _Members("groups", [o for o in objects if isinstance(o, NeuronGroup)])
        self.sources = _Members("sources", [o for o in objects if isinstance(o, _SOURCE_TYPES)])
        self.synapses = _Members("synapses", [o for o in objects if isinstance(o, Synapses)])
        self.inputs = _Members("inputs", [o for o in objects if isinstance(o, _INPUT_TYPES)])
        self.monitors = _Members("monitors",
                                 [o for o in objects if isinstance(o, _MONITOR_TYPES)])
        for obj in self.groups + self.sources:
            if self.objects.count(obj) > 1:
                raise ValueError(f"{obj.name} was added to the network twice")
        named = self.groups + self.sources + self.synapses
        names = [o.name for o in named]
        twice = next((n for n in names if names.count(n) > 1), None)
        if twice is not None:
            # the names label results, saved files and the Brian2 export
            kinds = [type(o).__name__ for o in named if o.name == twice]
            raise ValueError(f"{len(kinds)} objects are named {twice!r} ({', '.join(kinds)}); "
                             "names must be unique within a network")
        if not self.groups and not self.sources:
            raise ValueError("Network has no neuron or input group to simulate")
        self._check_membership()
        self.dt = None
        self.seed = None
        self.t_step = 0
        self.timings = {"build": 0.0, "compile": 0.0, "run": 0.0, "run_total": 0.0}
        self._arrays = None
        self._taken_by = None       # the name of a member that a later network took over
        self._seconds_per_step = {}     # per backend, for the length of Ctrl-C slices

    @property
    def t(self):
        """Current simulated time, in seconds."""
        return self.t_step * (self.dt or 0.0)

    def _check_membership(self):
        members = {id(g) for g in self.groups + self.sources}

        def need(owner, what, pop):
            if id(pop.root) not in members:
                raise ValueError(f"{owner} refers to {what}={pop.root.name!r}, a group that "
                                 "belongs to no network: add it to Network(...)")
        for s in self.synapses:
            need(s.name, "source", s.source)
            need(s.name, "target", s.target)
        for inp in self.inputs:
            need(type(inp).__name__, "target", inp.target)
        for m in self.monitors:
            need(type(m).__name__, "source", m.source)

    # ------------------------------------------------------------------ build
    def build(self, dt=0.1e-3 * second, seed=None):
        """Draw the network and allocate its arrays (done by the first ``run``).

        Parameters
        ----------
        dt : Quantity
            Time step, > 0.
        seed : int, optional
            Seed of every random draw (connectivity, initial values, inputs). None
            draws one from the operating system; it is kept in ``self.seed``.

        Examples
        --------
        >>> import neurosim as ns
        >>> from neurosim.units import ms
        >>> cells = ns.NeuronGroup(100, ns.McCullochPitts())
        >>> syn = ns.Synapses(cells, cells, kind="excitatory", weight=1,
        ...                   connect=ns.FixedIndegree(10))
        >>> net = ns.Network(cells, syn)
        >>> net.build(dt=1*ms, seed=3)
        >>> net.seed, syn.n_synapses, net.t
        (3, 1000, 0.0)
        """
        dt = check_positive("dt", dt, second)
        seed = check_seed("seed", seed, allow_none=True)
        if seed is None:
            seed = _mpi.draw_seed()     # under MPI: rank 0's, the same on every rank
        t0 = time.perf_counter()
        offsets = self._offsets()
        n = sum(g.n for g in self.groups)
        n_src = sum(s.n for s in self.sources)
        # under MPI: this rank's neurons, whose incoming synapses alone it builds
        keep = _mpi.local_neurons(self)
        expected = 0.0
        for s in self.synapses:
            lo, hi = self._range(offsets, s.target)
            expected += s.expected_count() * (1.0 if keep is None else keep[lo:hi].mean())
        self._check_memory(n, n_src, depth=1, n_syn=int(expected))
        for model in {id(g.model): g.model for g in self.groups}.values():
            model.validate_dt(dt)
        self.dt, self.seed = dt, int(seed)
        self._build_seed = self.seed
        root = np.random.SeedSequence(self.seed)
        neurons = self._build_neurons(offsets, n, dt, root.spawn(1)[0])
        syn, depth = self._build_synapses(offsets, n, n_src, dt, root.spawn(2)[1], keep)
        # the synapses are allocated by now (and count against the available memory):
        # what remains is the delay buffer, whose depth only the drawn delays give
        self._check_memory(n, n_src, depth=depth, n_syn=0)
        currents, i_bias = self._build_currents(offsets, n, dt)
        i_bias = i_bias.astype(self.dtype)
        neurons = neurons._replace(buffer=np.zeros((depth, 2 * n), dtype=np.int64), i_bias=i_bias,
                                   i_ext=i_bias.copy())
        drives = self._build_drives(offsets, dt)
        check_input_bound(syn, drives, n, lambda k: self._group_at(offsets, k))
        self._arrays = _Arrays(
            neurons=neurons, sources=self._build_sources(offsets, n, dt), synapses=syn,
            drives=drives, currents=currents,
            recorders=None, counters=np.zeros(2, dtype=np.int64), offsets=offsets, n=n)
        self._build_recorders()
        self._take_members()
        self.t_step = 0
        self.timings["build"] = time.perf_counter() - t0

    def _take_members(self):
        """Make this network the owner of its members (``cells.v`` reads and sets its
        state); an earlier built network that shares one can no longer run."""
        for obj in self.groups + self.sources + self.synapses + self.inputs + self.monitors:
            old = obj.__dict__.get("_network")
            if old is not None and old is not self and old._arrays is not None:
                old._taken_by = getattr(obj, "name", type(obj).__name__)
            obj._network = self

    def _group_at(self, offsets, k):
        """The name of the group that holds neuron ``k`` (a global index)."""
        return next(g.name for g in self.groups if offsets[id(g)] <= k < offsets[id(g)] + g.n)

    def _offsets(self):
        offsets, k = {}, 0
        for g in self.groups + self.sources:
            offsets[id(g)] = k
            k += g.n
        return offsets

    def _check_memory(self, n, n_src, depth, n_syn):
        need = (n * (5 * 8 + 4 + 1) + depth * 2 * n * 8 + (n + n_src) * 24
                + n_syn * _BUILD_BYTES_PER_SYNAPSE)
        limit = get_config()["max_memory"] or _available_memory()
        if need > limit:
            raise NetworkTooLargeError(
                f"the network needs about {_bytes(need)} ({n} neurons, {n_src} sources, "
                f"{n_syn:.3g} synapses, delay buffer of {depth} steps) but only "
                f"{_bytes(limit)} is available; shrink it or raise set_config(max_memory=...)")

    def _build_neurons(self, offsets, n, dt, seq):
        v, ge, gi = (np.zeros(n, dtype=self.dtype) for _ in range(3))
        table = {L.VAR_V: v, L.VAR_GE: ge, L.VAR_GI: gi}
        rngs = [np.random.default_rng(s) for s in seq.spawn(len(self.groups))]
        seg_prm = np.zeros((len(self.groups), L.N_PARAMS))
        for k, (g, rng) in enumerate(zip(self.groups, rngs)):
            lo = offsets[id(g)]
            seg_prm[k] = g.model.params(dt)
            for var, (slot, unit, default) in g.model.state_variables.items():
                if var not in g.initial_values:
                    table[slot][lo:lo + g.n] = default
                    continue
                table[slot][lo:lo + g.n] = resolve(
                    var, g.initial_values[var], g.n, rng,
                    lambda name, x, u=unit: to_si(name, x, u, allow_array=True))
        lo = np.array([offsets[id(g)] for g in self.groups], dtype=np.int64)
        return Neurons(v=v, ge=ge, gi=gi, ref=np.zeros(n, dtype=np.int32),
                       i_bias=None, i_ext=None,
                       # padded to whole 8-byte words for the compiled spike scan
                       spiked=np.zeros(-(-n // 8) * 8, dtype=np.bool_),
                       buffer=None, seg_lo=lo,
                       seg_hi=lo + np.array([g.n for g in self.groups], dtype=np.int64),
                       seg_code=np.array([g.model.code for g in self.groups], dtype=np.int64),
                       seg_prm=seg_prm.astype(self.dtype))

    def _build_synapses(self, offsets, n, n_src, dt, seq, keep=None):
        """CSR arrays of every synapse: rows by source, in projection then rule order.

        Each projection is drawn into its ``Synapses`` (int32 indices, delays in
        steps) and then copied once into the preallocated CSR arrays, without a
        concatenation or a global sort, so that the peak memory stays close to
        the final bytes (PD14 holds 3e8 synapses).
        """
        rngs = [np.random.default_rng(s) for s in seq.spawn(max(1, len(self.synapses)))]
        counts = np.zeros(n + n_src, dtype=np.int64)
        placed = []                          # (first source, first target, row lengths)
        for s, rng in zip(self.synapses, rngs):
            lo, hi = self._range(offsets, s.target)
            first = offsets[id(s.source.root)] + s.source.start
            s._build(rng, dt, first, lo, None if keep is None else keep[lo:hi])
            row = np.bincount(s.i, minlength=s.source.n)
            counts[first:first + s.source.n] += row
            placed.append((first, lo, row))
        indptr = np.zeros(n + n_src + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        total = int(indptr[-1])
        syn = SynapseArrays(indptr=indptr, target=np.empty(total, dtype=np.int32),
                            weight=np.empty(total, dtype=np.int64),
                            delay=np.empty(total, dtype=np.int32))
        cursor = indptr[:-1].copy()          # next free place in each source's row
        for s, (first, lo, row) in zip(self.synapses, placed):
            order = np.argsort(s.i, kind="stable")
            i_sorted = s.i[order]
            # place = the row's next free place + rank among this projection's synapses
            # of the same source (stable: rule order)
            place = (cursor[first + i_sorted]
                     + np.arange(order.size) - (np.cumsum(row) - row)[i_sorted])
            pos = np.empty(order.size, dtype=np.int32 if total < 2**31 else np.int64)
            pos[order] = place
            syn.target[pos] = s.j + (lo + s.channel * n)
            syn.weight[pos] = _to_fixed(s._weight_si)
            syn.delay[pos] = s._delay_steps
            cursor[first:first + s.source.n] += row
            s._positions = pos                       # to change weights later
        # from the whole projections: under MPI the same on every rank
        longest = [s._summary[5] for s in self.synapses if s._summary[5] is not None]
        depth = max(longest) + 1 if longest else 1
        return syn, depth

    def _build_sources(self, offsets, n, dt):
        n_src = sum(s.n for s in self.sources)
        p_fire = np.zeros(n_src)
        steps, ids = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
        for s in self.sources:
            lo = offsets[id(s)] - n
            if isinstance(s, PoissonGroup):
                p_fire[lo:lo + s.n] = s.firing_probability(dt)
            else:
                st, idx = s.steps(dt)
                steps.append(st)
                ids.append(idx + offsets[id(s)])
        steps, ids = np.concatenate(steps), np.concatenate(ids)
        order = np.lexsort((ids, steps))
        return Sources(p_fire=p_fire, gen_step=steps[order], gen_source=ids[order],
                       fired=np.zeros(n_src, dtype=np.bool_))

    def _range(self, offsets, pop):
        lo = offsets[id(pop.root)] + pop.start
        return lo, lo + pop.n

    def _build_drives(self, offsets, dt):
        drives = [d for d in self.inputs if isinstance(d, PoissonInput)]
        ranges = np.array([self._range(offsets, d.target) for d in drives],
                          dtype=np.int64).reshape(-1, 2)
        total = np.array([d.n * d.rate * dt for d in drives], dtype=float)
        n_sub = np.maximum(1, np.ceil(total / _MAX_POISSON_LAMBDA)).astype(np.int64)
        lam = total / n_sub
        return Drives(lo=ranges[:, 0].copy(), hi=ranges[:, 1].copy(),
                      channel=np.array([d.channel for d in drives], dtype=np.int64),
                      weight=_to_fixed(np.array([d.weight for d in drives], dtype=float)),
                      lam=lam, p0=np.exp(-lam), n_sub=n_sub,
                      k_max=np.ceil(lam + 20 * np.sqrt(lam) + 30).astype(np.int64))

    def _build_currents(self, offsets, n, dt):
        i_bias = np.zeros(n)
        for c in self.inputs:
            if isinstance(c, CurrentInput):
                lo, hi = self._range(offsets, c.target)
                i_bias[lo:hi] += c._amplitude
        timed = [c for c in self.inputs if isinstance(c, TimedCurrent)]
        ranges = np.array([self._range(offsets, c.target) for c in timed],
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

    def _global(self, pop):
        if id(pop.root) not in self._arrays.offsets:
            raise ValueError(f"{pop.root.name!r} is not part of this network; add it to "
                             "Network(...)")
        return self._range(self._arrays.offsets, pop)[0]

    def _build_recorders(self):
        a = self._arrays
        n_total = a.n + a.sources.p_fire.size
        mask = np.zeros(n_total, dtype=np.uint8)
        st_var, st_idx, st_every = [], [], []
        rate_lo, rate_hi = [], []
        for m in self.monitors:
            m._reset(self.dt)
            lo = self._global(m.source)
            if isinstance(m, SpikeMonitor):
                mask[lo + m.record] = 1
            elif isinstance(m, StateMonitor):
                for var in m.variables:
                    slot = m.source.model.state_variables[var][0]
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

    # -------------------------------------------------------------------- run
    def run(self, duration, dt=None, backend=None, seed=None, progress=None, chunk_steps=None,
            n_threads=None):
        """Simulate for ``duration``, continuing from the current state.

        Parameters
        ----------
        duration : Quantity
            Simulated time, >= 0, a whole number of steps.
        dt : Quantity, optional
            Time step for the first run (default 0.1 ms); later runs must use the
            same step or leave it out.
        backend : {'numba', 'numpy', 'cuda', 'auto'}, optional
            Default from ``get_config()``. Runs on the same network may switch
            backends; the state carries over. Started by ``mpirun -n K`` (K > 1),
            ``'numba'`` (or ``'auto'``) splits the network over the K ranks, and
            ``'cuda'`` over K GPUs, one per rank (see :mod:`neurosim.mpi` and
            ``placement``).
        seed : int, optional
            Seed of all randomness, fixed by the first run (see ``build``).
        progress : bool, optional
            Print progress to stderr between chunks.
        chunk_steps : int, optional
            Steps per compiled call (default: about 1 s of simulated time); between
            chunks recordings are collected and progress is shown.
        n_threads : int, optional
            Threads for the neuron update (numba: 1 to ``NUMBA_NUM_THREADS``); default by
            network size.

        Returns
        -------
        None
            The state, the monitors and ``t`` advance in place.

        Examples
        --------
        Two runs of 50 ms continue one another:

        >>> import neurosim as ns
        >>> from neurosim.units import ms, mV
        >>> cells = ns.NeuronGroup(2, ns.LIF(20*ms, -70*mV, -70*mV, -50*mV, refractory=2*ms))
        >>> drive = ns.CurrentInput(cells, 30*mV)
        >>> spikes = ns.SpikeMonitor(cells)
        >>> net = ns.Network(cells, drive, spikes)
        >>> net.run(50*ms, dt=0.1*ms, seed=1)
        >>> net.run(50*ms)
        >>> round(net.t, 6), spikes.count
        (0.1, array([4, 4]))
        """
        be = get_backend(backend)
        if self._arrays is None:
            self.build(0.1e-3 * second if dt is None else dt, seed)
        else:
            self._built()
            if dt is not None and abs(check_positive("dt", dt, second) - self.dt) > 1e-12 * self.dt:
                raise ValueError(f"dt={dt!r} differs from dt={self.dt * 1e3:g} ms of the first "
                                 "run; a network keeps its time step")
            if seed is not None and seed != self.seed:
                raise ValueError(f"seed={seed!r} differs from seed={self.seed} the network was "
                                 "built with; leave seed out to continue")
        duration = check_positive("duration", duration, second, strict=False)
        n_steps = int(steps_of("duration", duration, self.dt))
        progress = get_config()["progress"] if progress is None \
            else check_bool("progress", progress)
        if chunk_steps is not None:
            chunk_steps = check_int("chunk_steps", chunk_steps, minimum=1)
        chunk = chunk_steps or max(1, int(round(1.0 / self.dt)))
        if n_threads is not None:
            n_threads = check_int("n_threads", n_threads, minimum=1)
        for m in self.monitors:
            m._before_run()
        if _mpi.is_distributed():   # started by mpirun with several ranks: split the network
            engine = _mpi.check_backend(be.name, n_threads, backend or get_config()["backend"])
            return _mpi.run(self, n_steps, chunk, progress, engine=engine)
        threads = be.threads_for(self._arrays.n, n_threads or get_config()["n_threads"])
        t0, done = time.perf_counter(), 0
        try:
            with InterruptGuard() as interrupt:
                if be.name in ("numba", "cuda"):
                    self._compile(be, threads)
                t0 = time.perf_counter()
                clock = SliceClock(be.slice_seconds, self._seconds_per_step.get(be.name))
                while done < n_steps and not interrupt.requested:
                    done += self._run_chunk(be, min(chunk, n_steps - done), threads, clock,
                                            interrupt)
                    if progress:
                        _show_progress(done, n_steps, self.dt, time.perf_counter() - t0)
                self._seconds_per_step[be.name] = clock.seconds_per_step
        finally:
            elapsed = time.perf_counter() - t0
            self.timings["run"] = elapsed
            self.timings["run_total"] += elapsed
            if progress and n_steps:
                sys.stderr.write("\n")
        if done < n_steps:
            raise RunInterrupted(
                f"run interrupted (Ctrl-C) at t = {self.t * 1e3:g} ms, step {self.t_step}, "
                f"after {done} of its {n_steps} steps; the network and its monitors are "
                "consistent there and run() continues from it")

    def _run_chunk(self, be, todo, threads, clock, interrupt):
        """Advance one chunk as a transaction; returns the number of steps done.

        The compiled loop is called in slices of a fraction of a second, so that
        Ctrl-C ends the chunk early (what was simulated is recorded). On any
        exception the state and the monitors go back to the chunk's start.
        """
        before = ChunkState(self)
        try:
            self._prepare_chunk(todo)
            rec = self._arrays.recorders
            did = 0
            while did < todo and not interrupt.requested:
                n = clock.next(todo - did)
                # the slice fills the chunk's buffers from step `did` on (rates by row)
                self._arrays.recorders = rec._replace(rate_buf=rec.rate_buf[did:])
                got = be.run_chunk(self._arrays, self.seed, self.t_step + did, n, threads)
                self._arrays.recorders = rec
                clock.done(got)
                did += got
                if got < n:         # the spike buffer is full: record, grow, go on
                    break
            if did:
                self._collect(did)
            self.t_step += did
        except BaseException:
            before.roll_back()
            raise
        if did < todo and not interrupt.requested:
            self._grow_spike_buffer()
        return did

    def _compile(self, be, threads):
        """First call compiles (or loads from the disk cache) and, on the GPU, copies the
        network to the device; timed apart from the run."""
        t0 = time.perf_counter()
        self._prepare_chunk(0)
        be.run_chunk(self._arrays, self.seed, self.t_step, 0, threads)
        self.timings["compile"] = time.perf_counter() - t0

    def _prepare_chunk(self, n_steps):
        rec = self._arrays.recorders
        first = self.t_step
        # samples per column in [first, first + n_steps): multiples of `every`
        counts = (first + n_steps - 1) // rec.st_every - (first - 1) // rec.st_every \
            if n_steps else np.zeros_like(rec.st_every)
        off = np.zeros(rec.st_every.size, np.int64)
        if counts.size:
            off[1:] = np.cumsum(counts)[:-1]
        self._arrays.recorders = rec._replace(
            st_off=off, st_count=np.zeros_like(off), st_buf=np.zeros(int(counts.sum())),
            rate_buf=np.zeros((n_steps, rec.rate_lo.size), np.int64))
        self._arrays.counters[1] = 0

    def _collect(self, did):
        a, rec = self._arrays, self._arrays.recorders
        n_spk = int(a.counters[1])
        gi, steps = rec.spike_i[:n_spk], rec.spike_step[:n_spk]
        first = self.t_step
        col = 0
        for m in self.monitors:
            lo = self._global(m.source)
            if isinstance(m, SpikeMonitor):
                sel = (gi >= lo) & (gi < lo + m.source.n)
                m._append(gi[sel] - lo, steps[sel])
            elif isinstance(m, StateMonitor):
                ncol = m.record.size * len(m.variables)
                cnt = rec.st_count[col]
                block = np.stack([rec.st_buf[rec.st_off[c]:rec.st_off[c] + cnt]
                                  for c in range(col, col + ncol)])
                s0 = -(-first // m.every) * m.every
                m._append(s0 + m.every * np.arange(cnt), block)
                col += ncol
            else:
                m._append(first + np.arange(did), rec.rate_buf[:did, self._rate_index(m)])

    def _rate_index(self, monitor):
        return [m for m in self.monitors if isinstance(m, RateMonitor)].index(monitor)

    def _grow_spike_buffer(self):
        rec = self._arrays.recorders
        size = 2 * rec.spike_i.size
        self._arrays.recorders = rec._replace(spike_i=np.zeros(size, np.int64),
                                              spike_step=np.zeros(size, np.int64))

    # ------------------------------------------------------------ state access
    def _built(self):
        if self._arrays is None:
            raise RuntimeError("the network is not built yet; call run() or build() first")
        if self._taken_by is not None:
            raise RuntimeError(
                f"{self._taken_by!r} now belongs to another network, built after this one, "
                "and this network can no longer be used: an object takes part in one built "
                "network at a time (the one built last), so that its state has one owner")
        return self._arrays

    def _state_slot(self, group, variable):
        if not isinstance(group, _Population) or not isinstance(group.root, NeuronGroup):
            raise TypeError(f"group={group!r} must be a neuron group or a slice of one")
        known = group.model.state_variables
        if variable not in known:
            raise ValueError(f"variable={variable!r} is not a state variable of "
                             f"{type(group.model).__name__}; it has {sorted(known)}")
        nr = self._built().neurons
        slot, unit, _ = known[variable]
        lo = self._global(group)
        return {L.VAR_V: nr.v, L.VAR_GE: nr.ge, L.VAR_GI: nr.gi}[slot], lo, unit

    def get_state(self, group, variable):
        """Current values of ``variable`` for the neurons of ``group`` (SI units, a copy).

        Parameters
        ----------
        group : NeuronGroup or Subgroup
            Neurons of this network.
        variable : str
            A state variable of their model (``'v'``, ``'i_e'``, ``'g_e'``, ``'x'``...).

        Returns
        -------
        ndarray
            One value per neuron of ``group``, in SI units (volts for potentials).

        Examples
        --------
        >>> import neurosim as ns
        >>> from neurosim.units import ms, mV
        >>> cells = ns.NeuronGroup(3, ns.LIF(20*ms, -70*mV, -70*mV, -50*mV), v=-60*mV)
        >>> net = ns.Network(cells)
        >>> net.run(1*ms, dt=0.1*ms, seed=0)
        >>> (net.get_state(cells, "v") * 1e3).round(2)       # decays towards -70 mV
        array([-60.49, -60.49, -60.49])
        >>> (cells.v * 1e3).round(2)                          # the same, Brian2-style
        array([-60.49, -60.49, -60.49])
        """
        table, lo, _ = self._state_slot(group, variable)
        return table[lo:lo + group.n].copy()

    def set_state(self, group, variable, values):
        """Set ``variable`` of the neurons of ``group``; takes effect at the next step.

        Parameters
        ----------
        group : NeuronGroup or Subgroup
            Neurons of this network.
        variable : str
            A state variable of their model.
        values : Quantity or array
            One value or one per neuron of ``group``, with units (``-60*mV``).

        Examples
        --------
        >>> import neurosim as ns
        >>> from neurosim.units import ms, mV
        >>> cells = ns.NeuronGroup(3, ns.LIF(20*ms, -70*mV, -70*mV, -50*mV))
        >>> net = ns.Network(cells)
        >>> net.build(dt=0.1*ms, seed=0)
        >>> net.set_state(cells[1:], "v", -55*mV)
        >>> net.get_state(cells, "v") * 1e3
        array([-70., -55., -55.])
        """
        table, lo, unit = self._state_slot(group, variable)
        x = np.asarray(to_si(variable, values, unit, allow_array=True), dtype=float)
        if x.ndim and x.shape != (group.n,):
            raise ValueError(f"{variable} has shape {x.shape}; expected one value or {group.n}")
        table[lo:lo + group.n] = x

    def _set_rates(self, group, p_fire):
        a = self._built()
        lo = self._global(group) - a.n
        a.sources.p_fire[lo:lo + group.n] = p_fire

    def _set_bias(self, target, old, new):
        nr = self._built().neurons
        lo = self._global(target)
        nr.i_bias[lo:lo + target.n] += new - old
        nr.i_ext[:] = nr.i_bias

    def _set_model(self, group, model):
        old = group.model
        if type(model) is not type(old) or model.code != old.code:
            raise ValueError(f"model={model!r}: a built group can only switch to a model of the "
                             f"same kind and synapse type as {old!r}")
        k = self.groups.index(group)
        self._built().neurons.seg_prm[k] = model.params(self.dt)

    def _set_weights(self, synapses, weights):
        a = self._built()
        new = _to_fixed(weights)
        old = a.synapses.weight[synapses._positions]
        a.synapses.weight[synapses._positions] = new
        try:
            check_input_bound(a.synapses, a.drives, a.n,
                              lambda k: self._group_at(a.offsets, k))
        except OverflowError:
            a.synapses.weight[synapses._positions] = old
            raise

    def reseed(self, seed):
        """Use another seed for the random draws of later steps.

        The draws of Poisson sources and drives and of asynchronous updates
        change; connectivity and initial values stay as built.

        Parameters
        ----------
        seed : int
            The new seed, >= 0.

        Examples
        --------
        The same network, two trials with different Poisson noise:

        >>> import neurosim as ns
        >>> from neurosim.units import ms, Hz
        >>> noise = ns.PoissonGroup(10, 100*Hz)
        >>> spikes = ns.SpikeMonitor(noise)
        >>> net = ns.Network(noise, spikes)
        >>> net.build(dt=1*ms, seed=1)
        >>> net.store()
        >>> net.run(100*ms)
        >>> first = spikes.num_spikes
        >>> net.restore()
        >>> net.reseed(2)
        >>> net.run(100*ms)
        >>> first, spikes.num_spikes
        (109, 100)
        """
        self._built()
        self.seed = check_seed("seed", seed)

    # ---------------------------------------------------------- store/restore
    def store(self, name="default", filename=None):
        """Remember the whole state of the network, to go back to it with ``restore``.

        The state comprises the neurons, the synaptic input in flight (the delay
        buffer), the time, input rates, weights, the random-generator position
        and the monitors' recordings.

        Parameters
        ----------
        name : str, optional
            Key of the in-memory snapshot, for ``restore(name)``.
        filename : str or path, optional
            Also write the snapshot to this checkpoint file (format in
            :mod:`neurosim.io`), to be restored in another process into the same
            network (built from the same script and seed).

        Examples
        --------
        >>> import neurosim as ns
        >>> from neurosim.units import ms, Hz
        >>> noise = ns.PoissonGroup(10, 100*Hz)
        >>> spikes = ns.SpikeMonitor(noise)
        >>> net = ns.Network(noise, spikes)
        >>> net.run(50*ms, dt=1*ms, seed=1)
        >>> net.store("half")
        >>> net.run(50*ms)
        >>> n = spikes.num_spikes
        >>> net.restore("half")                   # back to t = 50 ms
        >>> net.run(50*ms)                        # the same 50 ms again
        >>> spikes.num_spikes == n
        True
        """
        a = self._built()
        snapshot = {
            "t_step": self.t_step, "seed": self.seed,
            "neurons": {f: getattr(a.neurons, f).copy() for f in _MUTABLE_NEURON_FIELDS},
            "p_fire": a.sources.p_fire.copy(), "weight": a.synapses.weight.copy(),
            "counters": a.counters.copy(),
            "monitors": [m._snapshot() for m in self.monitors],
            # the user-facing copies of what can change between runs
            "parameters": [(obj, attr, getattr(obj, attr).copy()) for obj, attr in
                           self._changeable()]}
        self._stored = getattr(self, "_stored", {})
        self._stored[name] = snapshot
        if filename is not None:
            write_checkpoint(filename, self, snapshot)

    def restore(self, name="default", filename=None):
        """Go back to a state saved by ``store``.

        A file of another network, another format version or a damaged file
        raises ``CheckpointError`` and leaves the network untouched.

        Parameters
        ----------
        name : str, optional
            Key of an in-memory snapshot made by ``store(name)``.
        filename : str or path, optional
            A checkpoint file written by ``store(filename=...)``, possibly by
            another process. The network must be built first, from the same
            script with the same ``dt`` and ``seed`` (``build(dt, seed)``).

        Examples
        --------
        A checkpoint written by one network and restored into a new one built
        from the same description and seed (as another process would):

        >>> import os, tempfile
        >>> import neurosim as ns
        >>> from neurosim.units import ms, Hz
        >>> def network():
        ...     noise = ns.PoissonGroup(10, 100*Hz, name="noise")
        ...     spikes = ns.SpikeMonitor(noise)
        ...     return ns.Network(noise, spikes), spikes
        >>> path = os.path.join(tempfile.mkdtemp(), "checkpoint.npz")
        >>> net, spikes = network()
        >>> net.run(50*ms, dt=1*ms, seed=1)
        >>> net.store(filename=path)
        >>> net.run(50*ms)
        >>> resumed, spikes2 = network()
        >>> resumed.build(dt=1*ms, seed=1)
        >>> resumed.restore(filename=path)
        >>> resumed.t
        0.05
        >>> resumed.run(50*ms)
        >>> bool((spikes2.i == spikes.i).all() and (spikes2.t == spikes.t).all())
        True
        """
        if filename is not None:
            if self._arrays is None:
                raise RuntimeError("build the network (same script, dt and seed) before "
                                   "restoring a checkpoint file into it")
            saved = read_checkpoint(filename, self)
            _warn_replaced(self, saved)
        else:
            saved = getattr(self, "_stored", {}).get(name)
            if saved is None:
                raise KeyError(f"name={name!r}: nothing was stored under this name; stored: "
                               f"{sorted(getattr(self, '_stored', {}))}")
        a = self._arrays
        for f, arr in saved["neurons"].items():
            getattr(a.neurons, f)[...] = arr
        a.sources.p_fire[:] = saved["p_fire"]
        a.synapses.weight[:] = saved["weight"]
        a.counters[:] = saved["counters"]
        self.t_step, self.seed = saved["t_step"], saved["seed"]
        for m, snap in zip(self.monitors, saved["monitors"]):
            m._restore(snap)
        for obj, attr, value in saved["parameters"]:
            setattr(obj, attr, value.copy())

    def _changeable(self):
        return ([(s, "_rates") for s in self.sources if isinstance(s, PoissonGroup)]
                + [(c, "_amplitude") for c in self.inputs if isinstance(c, CurrentInput)]
                + [(s, "_weight_si") for s in self.synapses])


def _warn_replaced(net, saved):
    """Warn when a checkpoint file replaces parameters that the script set otherwise
    (a weight edited in the script is otherwise silently taken from the file)."""
    a = net._arrays
    differ = []
    for obj, attr, value in saved["parameters"]:
        now = getattr(obj, attr)
        if now is not None and np.shape(now) == np.shape(value) and not np.array_equal(now, value):
            k = int(np.argmax(np.asarray(now) != np.asarray(value)))
            what = {"_rates": "rates", "_amplitude": "amplitude", "_weight_si": "weight"}[attr]
            differ.append(f"{getattr(obj, 'name', type(obj).__name__)}.{what} (e.g. "
                          f"{np.ravel(value)[k]:g} in the file, {np.ravel(now)[k]:g} in the "
                          "script, SI units)")
    if not differ and not np.array_equal(saved["weight"], a.synapses.weight):
        differ.append("synaptic weights")
    if differ:
        warnings.warn("restore(filename=...) replaces values that differ in this script with "
                      "the checkpoint's: " + "; ".join(differ) + ". Set them again after "
                      "restore() to use the script's.", CheckpointWarning, stacklevel=3)


class CheckpointWarning(UserWarning):
    """A checkpoint restored values that differ from those the script set.

    Issued by :meth:`Network.restore` with ``filename=``: the file's weights,
    rates and currents replace the script's, and the warning lists where they
    differ. Set them again after ``restore()`` to use the script's.

    Examples
    --------
    >>> import os, tempfile, warnings
    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV, Hz
    >>> def network(weight):
    ...     noise = ns.PoissonGroup(5, 50*Hz, name="noise")
    ...     cells = ns.NeuronGroup(5, ns.LIF(10*ms, -70*mV, -70*mV, -50*mV), name="cells")
    ...     syn = ns.Synapses(noise, cells, kind="excitatory", weight=weight, name="syn",
    ...                       connect=ns.OneToOne())
    ...     net = ns.Network(noise, cells, syn)
    ...     net.build(dt=0.1*ms, seed=1)
    ...     return net
    >>> path = os.path.join(tempfile.mkdtemp(), "state.npz")
    >>> network(1.62*mV).store(filename=path)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     network(2*mV).restore(filename=path)    # the script now says 2 mV
    >>> caught[0].category.__name__
    'CheckpointWarning'
    """


_MUTABLE_NEURON_FIELDS = ("v", "ge", "gi", "ref", "i_bias", "i_ext", "spiked", "buffer")


class _Members(tuple):
    """A network's members of one kind, fixed when the network is made: the built
    arrays and the recorders follow this order, so it cannot change afterwards."""

    def __new__(cls, kind, items):
        self = super().__new__(cls, items)
        self._kind = kind
        return self

    def _refuse(self, *args, **kwargs):
        raise TypeError(f"Network.{self._kind} cannot change after the network is made; "
                        "make a new Network(...) with the objects it should hold")

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = _refuse



def _bytes(n):
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return f"{int(n)} bytes"


def _available_memory():
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import os
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


def _show_progress(done, total, dt, elapsed):
    frac = done / total if total else 1.0
    bar = "#" * int(30 * frac)
    sys.stderr.write(f"\r[neurosim] [{bar:<30}] {100 * frac:5.1f}%  "
                     f"{done * dt * 1e3:.0f}/{total * dt * 1e3:.0f} ms  {elapsed:.1f} s")
    sys.stderr.flush()
