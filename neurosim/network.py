"""Network: the description of a network (its members, checked) and its public API.

The work is done by one module per concept: the build into arrays
(:mod:`neurosim._build`), the run loop (:mod:`neurosim._run_loop`), state access
(:mod:`neurosim._state`) and snapshots for store/restore (:mod:`neurosim._snapshot`).
"""
import numpy as np

from . import mpi as _mpi
from ._build import build_network
from ._config import get_config
from ._memory import NetworkTooLargeError
from ._run_loop import run_steps
from ._snapshot import CheckpointWarning, apply_snapshot, changeable, take_snapshot, warn_replaced
from ._state import plastic_weights, set_bias, set_model, set_rates, set_weights, state_slot
from ._validation import check_bool, check_int, check_positive, check_seed, steps_of, to_si
from .backends import get_backend
from .groups import NeuronGroup
from .inputs import (CurrentInput, PoissonGroup, PoissonInput, SpikeGeneratorGroup,
                     TimedCurrent)
from .io import read_checkpoint, write_checkpoint
from .monitors import RateMonitor, SpikeMonitor, StateMonitor
from .synapses import Synapses
from .units import second

__all__ = ["Network", "NetworkTooLargeError", "CheckpointWarning"]

_SOURCE_TYPES = (PoissonGroup, SpikeGeneratorGroup)
_INPUT_TYPES = (PoissonInput, CurrentInput, TimedCurrent)
_MONITOR_TYPES = (SpikeMonitor, StateMonitor, RateMonitor)


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
        synapses = {id(s) for s in self.synapses}
        for m in self.monitors:
            if isinstance(m.source, Synapses):
                if id(m.source) not in synapses:
                    raise ValueError(f"{type(m).__name__} records {m.source.name}, synapses "
                                     "that belong to no network: add them to Network(...)")
                continue
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
        build_network(self, dt, seed)

    def _offsets(self):
        offsets, k = {}, 0
        for g in self.groups + self.sources:
            offsets[id(g)] = k
            k += g.n
        return offsets

    def _range(self, offsets, pop):
        lo = offsets[id(pop.root)] + pop.start
        return lo, lo + pop.n

    def _global(self, pop):
        if id(pop.root) not in self._arrays.offsets:
            raise ValueError(f"{pop.root.name!r} is not part of this network; add it to "
                             "Network(...)")
        return self._range(self._arrays.offsets, pop)[0]

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

        Raises
        ------
        RunInterrupted
            Ctrl-C stopped the run; the network and its monitors are consistent
            at ``t`` and the next ``run`` continues from there. Any other error
            leaves them at the end of the last whole chunk (see
            docs/user/long_runs.rst, "What happens when a run fails").

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
        distributed = _mpi.is_distributed()     # started by mpirun with several ranks
        if distributed:
            local = _mpi.check_backend(be.name, n_threads, backend or get_config()["backend"])
        _check_plastic(self, local if distributed else be.name, mpi=distributed)
        for m in self.monitors:
            m._before_run()
        if distributed:             # split the network over the ranks
            be = _mpi.distributed_backend(get_backend(local))
        run_steps(self, be, n_steps, chunk, n_threads, progress)

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
        table, lo, _ = state_slot(self, group, variable)
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
        table, lo, unit = state_slot(self, group, variable)
        x = np.asarray(to_si(variable, values, unit, allow_array=True), dtype=float)
        if x.ndim and x.shape != (group.n,):
            raise ValueError(f"{variable} has shape {x.shape}; expected one value or {group.n}")
        table[lo:lo + group.n] = x

    # called by the members when the user changes them between runs
    def _set_rates(self, group, p_fire):
        set_rates(self, group, p_fire)

    def _set_bias(self, target, old, new):
        set_bias(self, target, old, new)

    def _set_model(self, group, model):
        set_model(self, group, model)

    def _set_weights(self, synapses, weights):
        set_weights(self, synapses, weights)

    def _plastic_weights(self, synapses):
        return plastic_weights(self, synapses)

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
        (96, 110)
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
        self._built()
        snapshot = take_snapshot(self)
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
            self._built()
            saved = read_checkpoint(filename, self)
            warn_replaced(self, saved)
        else:
            self._built()
            saved = getattr(self, "_stored", {}).get(name)
            if saved is None:
                raise KeyError(f"name={name!r}: nothing was stored under this name; stored: "
                               f"{sorted(getattr(self, '_stored', {}))}")
        apply_snapshot(self, saved)

    def _changeable(self):
        return changeable(self)


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


def _check_plastic(net, backend, mpi=False):
    """Refuse plastic synapses where they cannot run yet: on GPU ranks under MPI, and
    monitors of synaptic variables over MPI ranks."""
    plastic = [s.name for s in net.synapses if s.plasticity is not None]
    if plastic and mpi and backend == "cuda":
        raise NotImplementedError(
            f"plastic synapses ({', '.join(plastic)}) run on the 'numpy', 'numba' and 'cuda' "
            "backends and on numba MPI ranks; not yet on cuda MPI ranks (backend='cuda' "
            "under mpirun): use backend='numba' there")
    watched = [m.source.name for m in net.monitors if isinstance(m.source, Synapses)]
    if mpi and watched:
        raise NotImplementedError(
            f"StateMonitor of synapses ({', '.join(watched)}) cannot record over MPI ranks "
            "yet; read syn.weight on each rank (its own synapses) between runs instead")
