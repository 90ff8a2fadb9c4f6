"""Files: checkpoints of a whole network, and spike trains for other tools.

Checkpoint format (version 5; 1-4 are read): one ``.npz`` archive (numpy's zip format) of

* ``header``: JSON with ``format = "neurosim-checkpoint"``, ``version``, the
  neurosim version that wrote it and the network's *fingerprint* (time step,
  seed, sizes of every group, model parameters, a hash of the connectivity);
* ``state/<name>``: the neuron state arrays (``v``, ``ge``, ``gi``, ``ref``,
  ``i_bias``, ``i_ext``, ``spiked``) and the delay ring buffer of input sums;
* ``p_fire``, ``weight``, ``weight_code``, ``counters``, ``t_step``: source rates,
  synaptic weights (int64 fixed point: one per synapse, or the table of shared
  weights that ``weight_code`` indexes), generator position and the current step;
* ``param/<k>``: the user-facing copies of changeable parameters;
* ``monitor/<k>/<column>``: every monitor's recording so far (a streamed monitor
  stores the names of its chunk files instead, ``monitor/<k>/chunks``, and their
  number, ``monitor/<k>/n_chunks``; restoring continues the recording in its
  folder, after removing the chunks written after the checkpoint).

A file is written to a temporary name (``<file>.<host>.<pid>.tmp.npz``) and renamed, so a
crash never leaves half a checkpoint; a write that fails removes its temporary file. Under
MPI every rank writes its own file (it holds the synapses of its own neurons only), named
after the rank: ``state.npz`` becomes ``state.rank00000.npz``, ``state.rank00001.npz``...;
restoring needs the same number of ranks and placement. Reading validates everything
before touching the network: a damaged file, a file of another format version or of another
network is refused with :class:`~neurosim.CheckpointError`, and the network is left as it was.

Spike trains: :func:`~neurosim.save_spikes` writes ``i`` (int32, index in the
group), ``t`` (float64, seconds), ``n`` and ``name`` to an ``.npz``;
:func:`~neurosim.to_neo` gives ``neo.SpikeTrain`` objects so that Elephant's
analyses apply.
"""
import hashlib
import json
import os
import re
import socket
import warnings
import zipfile

import numpy as np

from ._snapshot import upgrade_plastic
from ._weights import check_saved
from ._version import __version__

__all__ = ["CheckpointError", "RecordingError", "save_spikes", "load_spikes", "to_neo",
           "load_recording"]

FORMAT = "neurosim-checkpoint"
VERSION = 5  # 2: plastic synapses; 3: their dopamine; 4: traces per neuron; 5: shared weights


class CheckpointError(ValueError):
    """A checkpoint file that cannot be restored into this network.

    Raised by :meth:`Network.restore` for a damaged file, a file of another format version,
    or a checkpoint of another network (other sizes, models, time step, seed or
    connectivity); the network is left as it was. A subclass of :class:`ValueError`.

    Examples
    --------
    >>> import os, tempfile
    >>> import neurosim as ns
    >>> from neurosim.units import ms, Hz
    >>> def network(seed):
    ...     noise = ns.PoissonGroup(10, 20*Hz)
    ...     cells = ns.NeuronGroup(10, ns.McCullochPitts())
    ...     syn = ns.Synapses(noise, cells, kind="excitatory", weight=1,
    ...                       connect=ns.FixedProbability(0.5))
    ...     net = ns.Network(noise, cells, syn)
    ...     net.build(dt=1*ms, seed=seed)
    ...     return net
    >>> path = os.path.join(tempfile.mkdtemp(), "state.npz")
    >>> network(seed=1).store(filename=path)
    >>> try:
    ...     network(seed=2).restore(filename=path)   # other seed: other synapses
    ... except ns.CheckpointError:
    ...     print("refused")
    refused
    """


class RecordingError(ValueError):
    """A streamed recording with a chunk file that is missing or damaged.

    Raised by :func:`~neurosim.load_recording` (and by a streaming monitor's
    ``i``, ``t``, ``v``... when they read its files back). The message names
    every such file and the steps it held, as far as the chunks around it tell
    (in a spike recording, the steps between the last spike before it and the
    first after it). ``load_recording(folder, intact=True)`` reads the intact
    chunks instead, with a warning that lists what it skipped. A subclass of
    :class:`ValueError`.

    Examples
    --------
    >>> import os, tempfile
    >>> import neurosim as ns
    >>> from neurosim.units import ms
    >>> folder = os.path.join(tempfile.mkdtemp(), "rate")
    >>> stim = ns.SpikeGeneratorGroup(1, [0, 0, 0], [1, 11, 21]*ms)
    >>> rate = ns.RateMonitor(stim, stream_to=folder)
    >>> ns.Network(stim, rate).run(30*ms, dt=1*ms, seed=0, chunk_steps=10)
    >>> os.remove(os.path.join(folder, "chunk_000001.npz"))
    >>> try:
    ...     ns.load_recording(folder)
    ... except ns.RecordingError as err:
    ...     print(str(err)[str(err).index("chunk_"):])    # doctest: +ELLIPSIS
    chunk_000001.npz is missing: steps 10 to 19 (t = 0.01 to 0.019 s). ...
    """


# a file being written has a name of its writer's own, '<file>.<host>.<pid>.tmp[.npz]',
# renamed to '<file>' once complete (files of older versions: no host)
_HOST = re.sub(r"[^A-Za-z0-9-]", "_", socket.gethostname()) or "localhost"
_TEMPORARY = re.compile(r"^(?:chunk_\d+(?:\.rank\d+)?\.npz|meta\.json)"
                        r"\.(?:(?P<host>[^.]+)\.)?(?P<pid>\d+)\.tmp(?:\.npz)?$")
# chunk_NNNNNN.npz, or chunk_NNNNNN.rankRRRRR.npz for one MPI rank's part
_CHUNK = re.compile(r"^chunk_(\d+)(?:\.rank(\d+))?\.npz$")
# what a damaged .npz raises while it is read
_DAMAGED = (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError)


def _temporary(path, suffix=".tmp.npz"):
    """A name of this process's own under which to write ``path`` before renaming it."""
    return f"{path}.{_HOST}.{os.getpid()}{suffix}"


def _remove_quietly(path):
    try:
        os.remove(path)
    except OSError:         # gone already, or a folder this process may not change
        pass


def _save_npz(path, arrays):
    """Write ``arrays`` to ``path`` through a temporary file, renamed when complete;
    if writing fails (a full disk, Ctrl-C), the temporary file is removed."""
    tmp = _temporary(path)
    try:
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
    except BaseException:
        _remove_quietly(tmp)
        raise


def _alive(pid):
    """Whether process ``pid`` of this host may still be running (True when unsure)."""
    if os.name != "posix" or pid <= 0 or pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:         # e.g. another user's process
        return True
    return True


def _remove_stale_temporaries(folder):
    """Remove the temporary files in ``folder`` that processes of this host left when
    they died; those of live processes, and of other hosts, stay."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = _TEMPORARY.match(name)
        if match and match["host"] in (None, _HOST) and not _alive(int(match["pid"])):
            _remove_quietly(os.path.join(folder, name))


def _read_chunk(path):
    """``(arrays, None)`` of the chunk file ``path``, or ``(None, why it cannot be read)``."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}, None
    except FileNotFoundError:
        return None, "is missing"
    except _DAMAGED as exc:
        return None, f"is damaged ({type(exc).__name__}: {exc})"


def _lost(name, why, k, n, steps_of, dt):
    """``name`` (chunk ``k`` of ``n``) ``why``, with the steps it held as far as the
    chunks around it tell; ``steps_of(j)`` gives chunk j's steps (None if unknown)."""
    before = after = None
    for j in range(k - 1, -1, -1):
        steps = steps_of(j)
        if steps is not None and steps.size:
            before = int(steps.max())
            break
    for j in range(k + 1, n):
        steps = steps_of(j)
        if steps is not None and steps.size:
            after = int(steps.min())
            break
    lo = 0 if before is None else before + 1

    def time(step):
        return f"{step * dt:.6g}" if dt else "?"
    if after is None:
        span = f"steps from {lo} on (t >= {time(lo)} s)"
    elif after - 1 < lo:
        span = f"no step between steps {lo - 1} and {after} of the chunks around it"
    else:
        span = f"steps {lo} to {after - 1} (t = {time(lo)} to {time(after - 1)} s)"
    return f"{name} {why}: {span}"


def fingerprint(net):
    """What must match for a checkpoint to belong to ``net`` (delays as int32: older files)."""
    a = net._arrays
    digest = hashlib.sha256()
    per_neuron = (a.neurons.nrn_prm,) if a.neurons.nrn_prm.size else ()
    for arr in (a.synapses.indptr, a.synapses.target, a.synapses.delay.astype(np.int32),
                a.neurons.seg_prm, *per_neuron):
        digest.update(np.ascontiguousarray(arr).tobytes())
    digest.update(b"".join(s._procedural_identity() for s in net.synapses))
    part = getattr(net, "_mpi_part", None)
    return {"dt": net.dt, "seed_at_build": net._build_seed,
            "groups": [[g.name, g.n, repr(g.model)] for g in net.groups],
            "sources": [[s.name, s.n] for s in net.sources],
            "n_synapses": int(a.synapses.target.size), "connectivity_sha256": digest.hexdigest(),
            "monitors": [type(m).__name__ for m in net.monitors],
            # under MPI: the rank, number of ranks and placement whose synapses it holds
            "mpi_part": list(part) if part else None}


def _rank_path(path, net):
    """Where this process writes or reads the checkpoint ``path``: under MPI every
    rank holds its own synapses, so each has a file of its own, its rank's number
    before the extension (``state.npz``: ``state.rank00001.npz`` on rank 1)."""
    path = os.fspath(path)
    part = getattr(net, "_mpi_part", None)
    if part is None or part[1] == 1:
        return path
    root, ext = os.path.splitext(path)
    return f"{root}.rank{part[0]:05d}{ext}"


def write_checkpoint(path, net, snapshot):
    """Write a snapshot made by ``Network.store`` to ``path`` (``filename`` of ``store``)."""
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"filename={os.fspath(path)!r}: the folder {folder!r} does not "
                                "exist; create it first (os.makedirs) or choose a file in an "
                                "existing folder")
    arrays = {"header": np.array(json.dumps({"format": FORMAT, "version": VERSION,
                                             "neurosim": __version__,
                                             "fingerprint": fingerprint(net)}))}
    arrays.update({f"state/{k}": v for k, v in snapshot["neurons"].items()})
    arrays.update({f"plastic/{k}": v for k, v in snapshot["plastic"].items()})
    arrays.update({k: snapshot[k] for k in ("p_fire", "weight", "weight_code", "counters")},
                  t_step=np.int64(snapshot["t_step"]), seed=np.int64(snapshot["seed"]))
    arrays.update({f"param/{k}": value for k, (_, _, value) in enumerate(snapshot["parameters"])})
    for k, (m, chunks) in enumerate(zip(net.monitors, snapshot["monitors"])):
        if m.stream_to is not None:
            # the names of its files ('' for a rank that writes none): restoring
            # continues the recording in the monitor's folder
            arrays[f"monitor/{k}/chunks"] = np.array(
                [os.path.basename(c) if isinstance(c, str) else "" for c in chunks], dtype=str)
            arrays[f"monitor/{k}/n_chunks"] = np.int64(len(chunks))
            continue
        for key in (chunks[0] if chunks else {}):
            axis = 1 if chunks[0][key].ndim == 2 else 0
            arrays[f"monitor/{k}/{key}"] = np.concatenate([c[key] for c in chunks], axis=axis)
    _save_npz(_rank_path(path, net), arrays)


def read_checkpoint(path, net):
    """Read and validate ``path`` against ``net``; returns a snapshot for ``Network.restore``."""
    path = _rank_path(path, net)
    try:
        with np.load(path, allow_pickle=False) as data:
            content = {k: data[k] for k in data.files}
        header = json.loads(str(content.pop("header")))
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError) as exc:
        raise CheckpointError(f"{path!r} is damaged or not a neurosim checkpoint ({exc})") \
            from None
    if header.get("format") != FORMAT:
        raise CheckpointError(f"{path!r} is not a neurosim checkpoint (format "
                              f"{header.get('format')!r})")
    if header.get("version") not in range(1, VERSION + 1):
        raise CheckpointError(f"{path!r} has checkpoint format version {header.get('version')}; "
                              f"this neurosim ({__version__}) reads versions 1 to {VERSION}")
    mine, theirs = fingerprint(net), header.get("fingerprint", {})
    for key in mine:
        if json.dumps(mine[key]) != json.dumps(theirs.get(key)):
            raise CheckpointError(f"{path!r} belongs to another network: {key} differs "
                                  f"(file: {theirs.get(key)!r}, network: {mine[key]!r})")
    a = net._arrays
    neurons = {k[len("state/"):]: v for k, v in content.items() if k.startswith("state/")}
    for k, v in neurons.items():
        if v.shape != getattr(a.neurons, k).shape:
            raise CheckpointError(f"{path!r}: state/{k} has shape {v.shape}, the network "
                                  f"{getattr(a.neurons, k).shape}")
    plastic = {k[len("plastic/"):]: v for k, v in content.items() if k.startswith("plastic/")}
    upgrade_plastic(plastic, header.get("version"), a.plastic, int(content["t_step"]))
    for k, v in (plastic or {"w": np.zeros(0)}).items():
        if v.shape != getattr(a.plastic, k).shape:
            raise CheckpointError(f"{path!r}: plastic/{k} has shape {v.shape}, the network "
                                  f"{getattr(a.plastic, k).shape} (plastic synapses)")
    content.setdefault("weight_code", np.zeros(0, np.uint8))     # versions 1-4: none
    check_saved(content["weight"], content["weight_code"], a.synapses.target.size, path,
                CheckpointError)
    changeable = net._changeable()
    monitors = []
    for k, m in enumerate(net.monitors):
        if m.stream_to is not None:
            monitors.append(_streamed_chunks(path, content, k, m, net))
            continue
        prefix = f"monitor/{k}/"
        chunk = {key[len(prefix):]: v for key, v in content.items() if key.startswith(prefix)}
        monitors.append([chunk] if chunk else [])
    return {"t_step": int(content["t_step"]), "seed": int(content["seed"]), "neurons": neurons,
            "plastic": plastic, "p_fire": content["p_fire"], "weight": content["weight"],
            "weight_code": content["weight_code"],
            "counters": content["counters"], "monitors": monitors,
            "parameters": [(obj, attr, content[f"param/{k}"])
                           for k, (obj, attr) in enumerate(changeable)]}


def _streamed_chunks(path, content, k, m, net):
    """The chunk files (paths in ``m.stream_to``) that monitor ``k`` had streamed when
    the checkpoint ``path`` was written; each must still exist."""
    if f"monitor/{k}/chunks" in content:
        names = [str(name) for name in content[f"monitor/{k}/chunks"]]
    else:       # a file of an earlier version: the number of chunks only
        rank, size = (getattr(net, "_mpi_part", None) or (0, 1))[:2]
        part = f".rank{rank:05d}" if size > 1 and m.gather == "local" else ""
        writes = size == 1 or m.gather != "root" or rank == 0
        names = [f"chunk_{j:06d}{part}.npz" if writes else ""
                 for j in range(int(content.get(f"monitor/{k}/n_chunks", 0)))]
    chunks = []
    for name in names:
        if not name:
            chunks.append(None)         # a rank that writes nothing of this monitor
            continue
        chunk = os.path.join(m.stream_to, name)
        if not os.path.isfile(chunk):
            raise CheckpointError(f"{path!r}: monitor {k} ({type(m).__name__} of "
                                  f"{m.source.name!r}) had written {chunk!r} before the "
                                  "checkpoint, and it is missing; the recording cannot "
                                  f"continue in stream_to={m.stream_to!r}")
        chunks.append(chunk)
    return chunks


def load_recording(folder, intact=False):
    """Read what a monitor streamed to ``folder`` (``stream_to=``), also after a crash.

    Every complete chunk is read; a chunk being written when the process died
    exists only under a temporary name and is ignored (and the temporary files
    of processes of this host that are no longer running are removed). A
    recording written in parts by the ranks of an MPI run (``gather='local'``:
    one file per rank and chunk) is merged into the record one process would
    have made; a chunk counts as complete once every rank's part of it exists,
    and chunks at the end that miss parts (the run stopped while the ranks
    wrote them) are left out.

    Chunks are numbered from 0 without gaps: a chunk missing before the last
    one, a part missing from a chunk before the last complete one, or a file
    that cannot be read raises :class:`~neurosim.RecordingError`, which names
    the files and the steps they held.

    Parameters
    ----------
    folder : str or path
        The monitor's ``stream_to`` folder.
    intact : bool, optional
        If True, read the chunks that are intact and warn (``UserWarning``)
        which files were skipped and the steps they held, instead of raising;
        the columns then lack those steps (``steps`` and ``t`` tell which
        remain). Default False.

    Returns
    -------
    dict
        ``meta`` (the monitor's ``meta.json``), ``steps`` (int64, the time step
        of each spike, sample or rate value), ``t`` (float64, the same in seconds:
        ``steps * meta["dt"]``) and one concatenated array per recorded column:
        ``i`` for spikes, one ``(n_recorded, n_samples)`` array per variable for
        states, ``counts`` (spikes per step) for rates.

    Raises
    ------
    RecordingError
        A chunk file is missing or damaged (unless ``intact=True``).
    FileNotFoundError
        ``folder`` holds no ``meta.json``: it is not a recording.

    Examples
    --------
    >>> import os, tempfile
    >>> import neurosim as ns
    >>> from neurosim.units import ms
    >>> folder = os.path.join(tempfile.mkdtemp(), "spikes")
    >>> stim = ns.SpikeGeneratorGroup(2, [0, 1, 0], [1, 2, 3]*ms)
    >>> mon = ns.SpikeMonitor(stim, stream_to=folder)
    >>> ns.Network(stim, mon).run(5*ms, dt=0.1*ms, seed=0)
    >>> rec = ns.load_recording(folder)
    >>> rec["i"], rec["steps"], rec["t"]
    (array([0, 1, 0], dtype=int32), array([10, 20, 30]), array([0.001, 0.002, 0.003]))
    """
    folder = os.fspath(folder)
    if not isinstance(intact, (bool, np.bool_)):
        raise TypeError(f"intact={intact!r} must be True or False")
    meta_path = os.path.join(folder, "meta.json")
    if not os.path.isfile(meta_path):
        raise FileNotFoundError(f"folder={folder!r} holds no meta.json: it is not a recording "
                                "written by a monitor's stream_to" if os.path.isdir(folder)
                                else f"folder={folder!r} does not exist")
    with open(meta_path) as fh:
        meta = json.load(fh)
    _remove_stale_temporaries(folder)
    ranks, dt = int(meta.get("ranks", 1)), meta.get("dt")
    parts = {}
    for name in os.listdir(folder):
        match = _CHUNK.match(name)
        if match:
            parts.setdefault(int(match[1]), []).append(name)
    n = 1 + max((k for k, names in parts.items() if len(names) >= ranks), default=-1)
    chunks, problems = {}, {}
    for k in range(n):
        expected = [f"chunk_{k:06d}.npz"] if ranks == 1 else \
            [f"chunk_{k:06d}.rank{r:05d}.npz" for r in range(ranks)]
        missing = [name for name in expected if name not in parts.get(k, ())]
        if missing:
            problems[k] = (", ".join(missing), "is missing" if len(missing) == 1
                           else "are missing")
            continue
        read = []
        for name in expected:
            arrays, why = _read_chunk(os.path.join(folder, name))
            if why is not None:
                problems[k] = (name, why)
                break
            read.append(arrays)
        else:
            chunks[k] = read[0] if ranks == 1 else _merge_parts(meta["monitor"], read)
    if problems:
        lost = "; ".join(_lost(name, why, k, n, lambda j: chunks.get(j, {}).get("steps"), dt)
                         for k, (name, why) in problems.items())
        if not intact:
            raise RecordingError(f"the recording in {folder!r} has lost chunks: {lost}. "
                                 "load_recording(folder, intact=True) reads the intact chunks")
        warnings.warn(f"load_recording({folder!r}, intact=True) skipped {lost}", stacklevel=2)
    columns = {}
    for k in sorted(chunks):
        for key, value in chunks[k].items():
            columns.setdefault(key, []).append(value)
    out = {"meta": meta}
    for key, arrays in columns.items():
        out[key] = np.concatenate(arrays, axis=1 if arrays[0].ndim == 2 else 0)
    out.setdefault("steps", np.zeros(0, np.int64))
    out["t"] = out["steps"] * (dt or 0.0)
    return out


def _merge_parts(kind, chunks):
    """One chunk from the parts that the MPI ranks wrote of it (one per rank)."""
    if kind == "SpikeMonitor":
        i = np.concatenate([c["i"] for c in chunks])
        steps = np.concatenate([c["steps"] for c in chunks])
        order = np.lexsort((i, steps))      # by step, then index: as one process records
        return {"i": i[order], "steps": steps[order]}
    if kind == "RateMonitor":               # each rank counted its own neurons' spikes
        return {"steps": chunks[0]["steps"], "counts": sum(c["counts"] for c in chunks)}
    # StateMonitor: every recorded neuron's rows come from the rank that owns it
    n_rows = sum(c["rows"].size if "rows" in c else len(c[_first_variable(c)])
                 for c in chunks)
    out = {"steps": chunks[0]["steps"]}
    for key in chunks[0]:
        if key in ("steps", "rows"):
            continue
        block = np.empty((n_rows, chunks[0][key].shape[1]))
        for c in chunks:
            block[c["rows"] if "rows" in c else slice(None)] = c[key]
        out[key] = block
    return out


def _first_variable(chunk):
    return next(key for key in chunk if key not in ("steps", "rows"))


def save_spikes(monitor, path):
    """Write a SpikeMonitor's spikes to ``path`` (``.npz``: ``i``, ``t`` in s, ``n``, ``name``).

    Parameters
    ----------
    monitor : SpikeMonitor
        The recorded spikes.
    path : str or path
        File to write (numpy appends ``.npz`` if missing).

    See Also
    --------
    load_spikes : Read the file back.

    Examples
    --------
    >>> import os, tempfile
    >>> import neurosim as ns
    >>> from neurosim.units import ms
    >>> stim = ns.SpikeGeneratorGroup(2, [0, 1], [1, 2]*ms, name="stim")
    >>> mon = ns.SpikeMonitor(stim)
    >>> ns.Network(stim, mon).run(5*ms, dt=0.1*ms, seed=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "spikes.npz")
    >>> ns.save_spikes(mon, path)
    >>> ns.load_spikes(path)
    (array([0, 1], dtype=int32), array([0.001, 0.002]), 2, 'stim')
    """
    np.savez(os.fspath(path), i=monitor.i, t=monitor.t, n=np.int64(monitor.source.n),
             name=np.array(monitor.source.name))


def load_spikes(path):
    """Read a file of :func:`~neurosim.save_spikes`.

    Parameters
    ----------
    path : str or path
        The ``.npz`` file.

    Returns
    -------
    i : ndarray of int32
        Neuron index of each spike.
    t : ndarray of float64
        Spike times, in seconds.
    n : int
        Size of the recorded population.
    name : str
        Name of the recorded population.

    Examples
    --------
    >>> import os, tempfile
    >>> import neurosim as ns
    >>> from neurosim.units import ms
    >>> stim = ns.SpikeGeneratorGroup(3, [2, 0], [1, 4]*ms, name="stim")
    >>> mon = ns.SpikeMonitor(stim)
    >>> ns.Network(stim, mon).run(5*ms, dt=0.1*ms, seed=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "spikes.npz")
    >>> ns.save_spikes(mon, path)
    >>> i, t, n, name = ns.load_spikes(path)
    >>> i, t * 1e3, n, name
    (array([2, 0], dtype=int32), array([1., 4.]), 3, 'stim')
    """
    with np.load(os.fspath(path)) as data:
        return data["i"], data["t"], int(data["n"]), str(data["name"])


def to_neo(monitor, t_stop=None):
    """The recorded spikes as a list of ``neo.SpikeTrain`` (one per recorded neuron).

    Parameters
    ----------
    monitor : SpikeMonitor
        The recorded spikes.
    t_stop : float, optional
        End of the recording in seconds; default the network's current time.

    Returns
    -------
    list of neo.SpikeTrain
        One train per recorded neuron, times in seconds.

    Raises
    ------
    ImportError
        If ``neo`` is not installed (``pip install neo``).

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms
    >>> stim = ns.SpikeGeneratorGroup(2, [0, 1, 0], [1, 2, 3]*ms, name="stim")
    >>> mon = ns.SpikeMonitor(stim)
    >>> ns.Network(stim, mon).run(5*ms, dt=0.1*ms, seed=0)
    >>> trains = ns.to_neo(mon)            # needs neo  # doctest: +SKIP
    >>> [len(st) for st in trains], float(trains[0].t_stop)    # doctest: +SKIP
    ([2, 1], 0.005)
    """
    try:
        import neo
        import quantities as pq
    except ImportError as exc:
        raise ImportError("to_neo needs the neo package: pip install neo") from exc
    if t_stop is None:
        net = monitor.source.root.__dict__.get("_network")
        t_stop = net.t if net is not None else float(monitor.t.max(initial=0.0)) + monitor.dt
    return [neo.SpikeTrain(times * pq.s, t_stop=t_stop * pq.s, name=f"{monitor.source.name}[{k}]",
                           array_annotations=None)
            for k, times in monitor.spike_trains().items()]
