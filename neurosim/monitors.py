"""Recording: spikes, state variables and population rates.

Monitors only read what a run produced; the network fills them chunk by chunk.
All times are in seconds and all states in SI units (volts), as plain numpy
arrays.
"""
import json
import os

import numpy as np

from ._validation import check_int
from .groups import NeuronGroup, _Population
from .plasticity import plastic_variables
from .synapses import Synapses
from .io import (_CHUNK, RecordingError, _lost, _read_chunk, _remove_quietly,
                 _remove_stale_temporaries, _save_npz, _temporary)

__all__ = ["SpikeMonitor", "StateMonitor", "RateMonitor"]

# what a monitor keeps on each MPI rank (no effect in one process)
GATHER = ("all", "root", "local")


def _check_gather(gather):
    if not isinstance(gather, str) or gather not in GATHER:
        raise ValueError(f"gather={gather!r} is not one of {GATHER}: 'all' gives every MPI rank "
                         "the whole record, 'root' gives it to rank 0 and the other ranks their "
                         "own neurons' records, 'local' gives every rank its own neurons' "
                         "records (with stream_to, each rank writes its part of one recording)")
    return gather


def _check_folder(stream_to):
    """``stream_to`` must name a folder (new or empty), not an existing file."""
    if os.path.exists(stream_to) and not os.path.isdir(stream_to):
        raise NotADirectoryError(f"stream_to={stream_to!r} is a file; it must be a folder (new "
                                 "or empty), where the monitor writes meta.json and one "
                                 "chunk_NNNNNN.npz per chunk")
    return stream_to


def _holds_chunks(folder):
    return any(_CHUNK.match(name) for name in os.listdir(folder))


def _record_indices(name, record, n):
    if record is True:
        return np.arange(n, dtype=np.int64)
    idx = np.atleast_1d(np.asarray(record))
    if idx.size == 0:
        raise ValueError(f"{name}={record!r} is empty; record at least one neuron")
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"{name}={record!r} must be True or an array of neuron indices")
    if idx.min() < 0 or idx.max() >= n:
        bad = idx[(idx < 0) | (idx >= n)][0]
        raise IndexError(f"{name} contains {bad}, out of range for a group of {n}; "
                         f"allowed 0..{n - 1}")
    return idx.astype(np.int64)


class _Monitor:
    """Recorded data as a list of chunks (dicts of arrays), in memory or streamed to disk.

    With ``stream_to`` every chunk is written to its own ``.npz`` file in that
    folder as soon as the run has produced it (written to a temporary name and
    renamed, so a killed run leaves every finished chunk readable), and nothing
    is kept in memory. The folder must not hold another recording when the
    first run starts (:meth:`_before_run`); a network restored from a
    checkpoint continues the recording in it (:meth:`_restore`).

    Under MPI (:mod:`neurosim.mpi`) ``gather`` decides what each rank keeps;
    :meth:`_share` sets it at the start of every distributed run. A rank that
    keeps only its own neurons' records (``_owned``) and streams writes them
    as ``chunk_NNNNNN.rankRRRRR.npz``; ``load_recording`` merges the parts.
    """

    def __init__(self, source, stream_to=None, gather="all"):
        if isinstance(source, Synapses) and not isinstance(self, StateMonitor):
            raise TypeError(f"source={source!r}: a {type(self).__name__} records neurons; "
                            "StateMonitor records the variables of plastic synapses")
        if not isinstance(source, (_Population, Synapses)):
            raise TypeError(f"source={source!r} must be a group or a slice of one")
        self.source = source
        self.stream_to = None if stream_to is None else _check_folder(os.fspath(stream_to))
        self.gather = _check_gather(gather)
        self.dt = None
        self._chunks = []
        self._owned = None      # bool per neuron of source: the ones this rank records
        self._part = None       # this rank's number in the names of its chunk files
        self._drop = False      # a rank other than 0 of a streamed 'root' monitor
        self._ranks = None      # the number of MPI ranks of the last distributed run
        self._checked = False   # _before_run has checked the folder since _reset

    def _share(self, rank, size, owned):
        """Before a run on ``size`` MPI ranks: keep what ``gather`` gives rank ``rank``,
        whose neurons of ``source`` are ``owned`` (bool per neuron)."""
        self._ranks = size
        whole = size == 1 or self.gather == "all" or (self.gather == "root" and rank == 0)
        self._owned = None if whole else owned
        self._part = rank if self._owned is not None and self.gather == "local" \
            and self.stream_to is not None else None
        self._drop = not whole and self.gather == "root" and self.stream_to is not None
        if self._part is not None and rank == 0:
            # the number of parts that make a chunk complete, for load_recording
            self._write_meta(ranks=size)

    def _reset(self, dt):
        """At build: an empty recording of time step ``dt`` (seconds). A folder that
        holds chunks already is left as it is: a checkpoint restored next continues
        that recording, or the run refuses to start (:meth:`_before_run`)."""
        self.dt = dt
        self._chunks = []
        self._ranks = None
        self._checked = False
        if self.stream_to is not None:
            os.makedirs(_check_folder(self.stream_to), exist_ok=True)
            if not _holds_chunks(self.stream_to):
                self._write_meta()

    def _before_run(self):
        """Before the first step of every run. The first time after :meth:`_reset`:
        remove what dead processes left half-written in the folder and, if this
        monitor has recorded nothing yet, refuse a folder that holds a recording."""
        if self.stream_to is None or self._checked:
            return
        _check_folder(self.stream_to)
        os.makedirs(self.stream_to, exist_ok=True)
        _remove_stale_temporaries(self.stream_to)
        if not self._chunks and _holds_chunks(self.stream_to):
            raise FileExistsError(f"stream_to={self.stream_to!r} already holds a recording "
                                  "(chunk_*.npz files); remove it or choose another folder, "
                                  "or restore the checkpoint of the run that wrote it to "
                                  "continue it")
        self._checked = True

    def _write_meta(self, **extra):
        path = os.path.join(self.stream_to, "meta.json")
        tmp = _temporary(path, ".tmp")      # own name: under MPI every rank writes it
        try:
            with open(tmp, "w") as fh:
                json.dump({"format": "neurosim-monitor", "version": 1, "dt": self.dt,
                           "monitor": type(self).__name__, "source": self.source.name,
                           **extra}, fh)
            os.replace(tmp, path)
        except BaseException:
            _remove_quietly(tmp)
            raise

    def _add_chunk(self, **arrays):
        if self.stream_to is None:
            self._chunks.append(arrays)
            return
        if self._drop:
            # a place holder, so that every rank counts the same chunks (checkpoints)
            self._chunks.append(None)
            return
        part = "" if self._part is None else f".rank{self._part:05d}"
        path = os.path.join(self.stream_to, f"chunk_{len(self._chunks):06d}{part}.npz")
        # through a temporary name of this process's own (under MPI every rank may
        # write the same chunk), removed if writing fails
        _save_npz(path, arrays)
        self._chunks.append(path)

    def _chunk_data(self):
        """Every chunk kept by this process, as a dict of arrays; a chunk file that is
        missing or damaged raises :class:`~neurosim.RecordingError`."""
        for k, chunk in enumerate(self._chunks):
            if isinstance(chunk, str):
                arrays, why = _read_chunk(chunk)
                if why is not None:
                    self._raise_lost(k, why)
                yield arrays
            elif chunk is not None:
                yield chunk

    def _raise_lost(self, k, why):
        """Raise RecordingError for chunk ``k``, unreadable because it ``why``."""
        def steps_of(j):
            chunk = self._chunks[j]
            if isinstance(chunk, str):
                chunk = _read_chunk(chunk)[0]
            return None if chunk is None else chunk.get("steps")
        lost = _lost(os.path.basename(self._chunks[k]), why, k, len(self._chunks), steps_of,
                     self.dt)
        raise RecordingError(f"stream_to={self.stream_to!r}: {lost}. "
                             "load_recording(stream_to, intact=True) reads the intact chunks")

    def _column(self, key, empty, axis=0):
        parts = [chunk[key] for chunk in self._chunk_data()]
        return np.concatenate(parts, axis=axis) if parts else empty

    def _snapshot(self):
        return list(self._chunks)

    def _restore(self, snapshot):
        """Go back to ``snapshot`` (a list of chunks: dicts, or paths of chunk files).

        A streamed recording continues in its folder: the chunk files numbered
        from ``len(snapshot)`` on are removed (written after the snapshot, by this
        process or by one that was killed), and the next chunk takes that number.
        Under MPI, after a distributed run, only this rank's own files go.
        """
        n = len(snapshot)
        if self.stream_to is not None:
            stale = {c for c in self._chunks[n:] if isinstance(c, str)}
            if os.path.isdir(self.stream_to):
                for name in os.listdir(self.stream_to):
                    match = _CHUNK.match(name)
                    if match and int(match[1]) >= n and self._writes(match[2]):
                        stale.add(os.path.join(self.stream_to, name))
            for path in sorted(stale):
                _remove_quietly(path)
        self._chunks = list(snapshot)

    def _writes(self, rank):
        """Whether this process writes the chunk files of MPI rank ``rank`` (a str of
        digits; None for a whole chunk): in one process (or before the first
        distributed run) all of them, after a distributed run its own only."""
        if self._ranks is None or self._ranks == 1:
            return True
        if rank is None:
            return self._part is None
        return self._part is not None and int(rank) == self._part

    @property
    def _steps(self):
        return self._column("steps", np.zeros(0, np.int64))


class SpikeMonitor(_Monitor):
    """Records the spikes of a population.

    Parameters
    ----------
    source : NeuronGroup, Subgroup, PoissonGroup or SpikeGeneratorGroup
        The population whose spikes are recorded.
    record : True or array of int, optional
        Which neurons (indices into ``source``) to record; default all.
    stream_to : str or path, optional
        Folder to write the recording to, chunk by chunk, during the run, instead of
        keeping it in memory (one ``chunk_NNNNNN.npz`` per chunk plus ``meta.json``).
    gather : {'all', 'root', 'local'}, optional
        What each rank keeps when the network is split over MPI ranks (no
        effect in one process): ``'all'`` (default) the whole record on every
        rank; ``'root'`` the whole record on rank 0, and on the other ranks
        only the records of their own neurons (nothing there with
        ``stream_to``: rank 0 writes the recording); ``'local'`` only the
        records of the rank's own neurons on every rank, and with ``stream_to``
        every rank writes its part into the one recording, which
        :func:`~neurosim.load_recording` reads back whole.

    Attributes
    ----------
    i : ndarray of int32
        Index (within ``source``) of each spike, in order of time.
    t : ndarray of float64
        Time of each spike, in seconds.
    count : ndarray of int64
        Number of spikes of each neuron of ``source``.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms
    >>> stim = ns.SpikeGeneratorGroup(2, [0, 1], [1, 2]*ms)
    >>> mon = ns.SpikeMonitor(stim)
    >>> ns.Network(stim, mon).run(5*ms, dt=0.1*ms, seed=0)
    >>> mon.i, mon.t * 1e3
    (array([0, 1], dtype=int32), array([1., 2.]))
    """

    def __init__(self, source, record=True, stream_to=None, gather="all"):
        super().__init__(source, stream_to, gather)
        self.record = _record_indices("record", record, source.n)

    def _append(self, local_i, steps):
        keep = np.isin(local_i, self.record, assume_unique=False) \
            if self.record.size != self.source.n else np.ones(local_i.size, bool)
        if self._owned is not None:
            keep &= self._owned[local_i]
        self._add_chunk(i=local_i[keep].astype(np.int32), steps=steps[keep])

    @property
    def i(self):
        return self._column("i", np.zeros(0, np.int32))

    @property
    def steps(self):
        """Time step of each spike (int64)."""
        return self._steps

    @property
    def t(self):
        return self.steps * (self.dt or 0.0)

    @property
    def count(self):
        return np.bincount(self.i, minlength=self.source.n).astype(np.int64)

    @property
    def num_spikes(self):
        return int(self.steps.size)

    def spike_trains(self):
        """Spike times of each recorded neuron.

        Returns
        -------
        dict
            ``{index: array of spike times in seconds}`` for every recorded neuron.

        Examples
        --------
        >>> import neurosim as ns
        >>> from neurosim.units import ms
        >>> stim = ns.SpikeGeneratorGroup(3, [0, 2, 0], [1, 2, 4]*ms)
        >>> mon = ns.SpikeMonitor(stim, record=[0, 1])
        >>> ns.Network(stim, mon).run(5*ms, dt=0.1*ms, seed=0)
        >>> mon.spike_trains()
        {0: array([0.001, 0.004]), 1: array([], dtype=float64)}
        """
        i, t = self.i, self.t
        order = np.argsort(i, kind="stable")
        bounds = np.searchsorted(i[order], self.record, side="left"), \
            np.searchsorted(i[order], self.record, side="right")
        return {int(k): t[order][lo:hi] for k, lo, hi in zip(self.record, *bounds)}


class StateMonitor(_Monitor):
    """Records state variables of chosen neurons or plastic synapses every ``every`` steps.

    Samples are taken at the start of a step, before the update (as Brian2's
    ``StateMonitor`` does), so the first sample is the initial state.

    Parameters
    ----------
    source : NeuronGroup, Subgroup or Synapses
        The neurons whose state is recorded, or a projection with plasticity.
    variables : str or sequence of str
        State variables of the model (``'v'``, ``'i_e'``, ``'g_e'``, ``'x'``...), or
        of the synapses: ``'weight'``, the traces of the rule (``'x_pre'``,
        ``'x_post'`` for ``STDP``; ``'r1'``, ``'o1'``, ``'r2'``, ``'o2'`` for
        ``TripletSTDP``) and short-term plasticity's ``'R'`` and ``'u'``; traces
        are sampled decayed to the sample's time.
    record : True or array of int, optional
        Indices within ``source`` (neurons, or synapses in the order of ``syn.i``);
        default all.
    every : int, optional
        Sample every ``every`` steps (>= 1, default 1).
    stream_to : str or path, optional
        Folder to write the recording to, chunk by chunk, during the run, instead of
        keeping it in memory (one ``chunk_NNNNNN.npz`` per chunk plus ``meta.json``).
    gather : {'all', 'root', 'local'}, optional
        What each rank keeps when the network is split over MPI ranks (no
        effect in one process): ``'all'`` (default) the whole record on every
        rank; ``'root'`` the whole record on rank 0, and on the other ranks
        only the records of their own neurons (nothing there with
        ``stream_to``: rank 0 writes the recording); ``'local'`` only the
        records of the rank's own neurons on every rank, and with ``stream_to``
        every rank writes its part into the one recording, which
        :func:`~neurosim.load_recording` reads back whole.

    Attributes
    ----------
    t : ndarray
        Sample times, in seconds.
    <variable> : ndarray, shape (n_recorded, n_samples)
        The samples, in SI units (volts for potentials). On an MPI rank that
        keeps only its own neurons' records (``gather``), the rows of the
        other ranks' neurons are NaN.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV
    >>> cell = ns.NeuronGroup(1, ns.LIF(10*ms, -70*mV, -70*mV, -50*mV), v=-60*mV)
    >>> trace = ns.StateMonitor(cell, "v", every=10)
    >>> ns.Network(cell, trace).run(2*ms, dt=0.1*ms, seed=0)
    >>> trace.v.shape
    (1, 2)
    """

    def __init__(self, source, variables, record=True, every=1, stream_to=None, gather="all"):
        super().__init__(source, stream_to, gather)
        self.every = check_int("every", every, minimum=1)
        self.variables = (variables,) if isinstance(variables, str) else tuple(variables)
        if isinstance(source, Synapses):
            self._init_synapses(source, record)
            return
        if not isinstance(source.root, NeuronGroup):
            raise TypeError(f"source={source!r}: StateMonitor records neuron groups only")
        self.variables = (variables,) if isinstance(variables, str) else tuple(variables)
        known = source.model.state_variables
        for var in self.variables:
            if var not in known:
                raise ValueError(f"variables contains {var!r}, which "
                                 f"{type(source.model).__name__} does not have; it has "
                                 f"{sorted(known)}")
        self.record = _record_indices("record", record, source.n)

    def _init_synapses(self, syn, record):
        if syn.plasticity is None:
            raise ValueError(f"source={syn.name}: StateMonitor records the variables of "
                             "plastic synapses, and this projection has no plasticity; read "
                             "its weights as syn.weight")
        known = plastic_variables(*syn._rules)
        for var in self.variables:
            if var not in known:
                raise ValueError(f"variables contains {var!r}, which the synapses of "
                                 f"{syn.name} do not have; they have {sorted(known)}")
        self._record_spec = record
        self.record = None          # synapse indices, known once the network is built

    def _resolve_synapses(self):
        """At build: the recorded synapses' indices (in ``source``, as ``syn.i``)."""
        self.record = _record_indices("record", self._record_spec, self.source.n_synapses)

    def _append(self, steps, block):
        """``block`` has shape (n_variables * n_recorded, n_samples)."""
        n = self.record.size
        rows = np.arange(n) if self._owned is None else np.flatnonzero(self._owned[self.record])
        # a part (some rows) says which rows it holds
        extra = {} if rows.size == n else {"rows": rows}
        self._add_chunk(steps=steps, **extra, **{var: block[k * n:(k + 1) * n][rows]
                                                 for k, var in enumerate(self.variables)})

    @property
    def t(self):
        return self._steps * (self.dt or 0.0)

    def __getattr__(self, name):
        variables = self.__dict__.get("variables", ())
        if name in variables:
            parts = []
            for chunk in self._chunk_data():
                x = chunk[name]
                if "rows" in chunk:
                    x = _place_rows(chunk["rows"], x, self.record.size)
                parts.append(x)
            return np.concatenate(parts, axis=1) if parts else np.zeros((self.record.size, 0))
        raise AttributeError(f"StateMonitor has no attribute {name!r}; it records {variables}")


def _place_rows(rows, values, n):
    """``values`` (one row per entry of ``rows``) as rows of an ``n``-row array, NaN elsewhere."""
    out = np.full((n, values.shape[1]), np.nan)
    out[rows] = values
    return out


class RateMonitor(_Monitor):
    """Population rate: spikes per neuron per second in every step.

    Parameters
    ----------
    source : NeuronGroup, Subgroup or input group
        The population whose spikes are counted.
    stream_to : str or path, optional
        Folder to write the recording to, chunk by chunk, during the run, instead of
        keeping it in memory (one ``chunk_NNNNNN.npz`` per chunk plus ``meta.json``).
    gather : {'all', 'root', 'local'}, optional
        What each rank keeps when the network is split over MPI ranks (no
        effect in one process): ``'all'`` (default) the whole record on every
        rank; ``'root'`` the whole record on rank 0, and on the other ranks
        only the records of their own neurons (nothing there with
        ``stream_to``: rank 0 writes the recording); ``'local'`` only the
        records of the rank's own neurons on every rank, and with ``stream_to``
        every rank writes its part into the one recording, which
        :func:`~neurosim.load_recording` reads back whole.

    Attributes
    ----------
    t : ndarray
        Step times, in seconds.
    rate : ndarray
        Instantaneous population rate in each step, in Hz. On an MPI rank that
        keeps only its own neurons' records (``gather``), the contribution of
        its neurons: spikes of its neurons per neuron of ``source``, so that
        the ranks' rates add up to the population rate.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms, Hz
    >>> noise = ns.PoissonGroup(100, 50*Hz)
    >>> rate = ns.RateMonitor(noise)
    >>> ns.Network(noise, rate).run(100*ms, dt=0.1*ms, seed=0)
    >>> rate.rate.shape
    (1000,)
    """

    def __init__(self, source, stream_to=None, gather="all"):
        super().__init__(source, stream_to, gather)

    def _append(self, steps, counts):
        self._add_chunk(steps=steps, counts=counts)

    @property
    def t(self):
        return self._steps * (self.dt or 0.0)

    @property
    def rate(self):
        counts = self._column("counts", np.zeros(0, np.int64))
        return counts / (self.source.n * self.dt) if self.dt else counts.astype(float)

    def smooth_rate(self, width):
        """Rate averaged over a flat window, centred on each step.

        At the start and end of the recording the window is cut to the steps
        recorded, so a constant rate stays constant up to the edges.

        Parameters
        ----------
        width : Quantity or float
            Width of the window (time; a plain float is in seconds), > 0.

        Returns
        -------
        ndarray
            The smoothed rate in Hz, one value per step.

        Raises
        ------
        RuntimeError
            Nothing is recorded yet: run the network first.

        Examples
        --------
        >>> import neurosim as ns
        >>> from neurosim.units import ms
        >>> stim = ns.SpikeGeneratorGroup(10, list(range(10)) * 2, ([2]*10 + [4]*10)*ms)
        >>> rate = ns.RateMonitor(stim)
        >>> ns.Network(stim, rate).run(5*ms, dt=1*ms, seed=0)
        >>> rate.rate                          # all 10 fire in steps 2 and 4
        array([   0.,    0., 1000.,    0., 1000.])
        >>> rate.smooth_rate(3*ms).round(1)    # at the end: the mean of steps 3 and 4
        array([  0. , 333.3, 333.3, 666.7, 500. ])
        """
        if self.dt is None:
            raise RuntimeError("RateMonitor.smooth_rate: nothing is recorded yet; run the "
                               "network first")
        return _smooth_rate(self.rate, self.dt, width)


def _smooth_rate(rate, dt, width, name="width"):
    """``rate`` (Hz, one value per step of ``dt`` seconds) averaged over a flat window;
    ``name`` is the caller's name for ``width``, for the error message."""
    from ._validation import check_positive
    from .units import second
    w = check_positive(name, width, second)
    n = max(1, int(round(w / dt)))
    # step k averages steps k - n//2 .. k + (n-1)//2, those of them that were recorded
    size = rate.size
    total = np.concatenate([[0.0], np.cumsum(rate, dtype=float)])
    k = np.arange(size)
    lo, hi = np.maximum(k - n // 2, 0), np.minimum(k + (n - 1) // 2 + 1, size)
    return (total[hi] - total[lo]) / (hi - lo)
