"""One network split over MPI ranks (mpi4py): placement, spike exchange, gathering.

The script is the same as for one process; ``mpirun -n K python script.py``
runs it on K ranks. ``Network.run(backend="numba")`` then notices that it was
started by an MPI launcher with more than one process and runs the
distributed engine (``backend="cuda"``: the same, each rank on a GPU of its
own, see ``neurosim._mpi_gpu``):

* every rank builds the neurons of the whole network but only the synapses
  whose *target* it owns; neurons and sources are placed on ranks by
  ``Network(..., placement=...)``, ``"population"`` (default) or
  ``"round_robin"`` (``PLACEMENTS``; the placement and each rank's part:
  ``neurosim._mpi_plan``);
* ranks advance ``min_delay`` steps on their own, then exchange the spikes of
  that interval; every rank sees every spike, monitors keep what their
  ``gather`` asks, and at the end of ``run`` the state is combined, so
  ``get_state``, ``store`` and checkpoints work on every rank (a backend like
  the others, driven by ``Network.run``'s chunk loop:
  ``neurosim.backends.mpi_backend``).

Randomness during the run is keyed by global neuron index and input sums are
exact, so the spikes do not depend on the number of ranks or the placement.

This module is the launch and the communicator: it recognises an MPI launcher
(``world``), holds the few collectives the engine needs (``_MPIComm``, or
``_SelfComm`` for one process), and tells a script its ``rank``.

Errors: a network whose minimum delay is below one step, or ranks that built
different networks (a fingerprint is compared) or asked for different runs,
raise the same error on every rank. Any other exception on one rank during a
run, or uncaught in the script afterwards, aborts all ranks
(``MPI_Abort``), so that none waits forever in a collective call.
"""
import os
import sys

import numpy as np

from . import _mpi_plan

__all__ = ["rank", "num_processes", "is_distributed", "PLACEMENTS", "DistributedError"]

# the placement plan's names that the build, the network, tests and benchmarks use
# from here (defined in neurosim._mpi_plan)
PLACEMENTS = _mpi_plan.PLACEMENTS
DistributedError = _mpi_plan.DistributedError
check_placement = _mpi_plan.check_placement
owners = _mpi_plan.owners
fingerprint = _mpi_plan.fingerprint
min_delay_steps = _mpi_plan.min_delay_steps
_check_min_delay = _mpi_plan._check_min_delay

# environment variables by which MPI launchers announce the number of processes
# (Open MPI; MPICH, Intel MPI and srun --mpi=pmi2; MVAPICH). Other launchers: import
# mpi4py.MPI at the top of the script, and neurosim uses it.
_SIZE_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE")
_world = None


# ----------------------------------------------------------------- communicators
class _SelfComm:
    """One process, no MPI: the distributed engine on one rank (precompile, tests)."""

    rank, size = 0, 1

    def allgather_spikes(self, local):
        return local.copy()

    def allgather(self, obj):
        return [obj]

    def allreduce_sum(self, array):
        pass

    def bcast(self, obj):
        return obj

    def abort(self, code=1):
        os._exit(code)


class _MPIComm:
    """The few collectives the engine needs, on an mpi4py communicator."""

    def __init__(self, comm):
        from mpi4py import MPI
        self._mpi = MPI
        self.comm = comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        # spikes per rank and interval that one Allgather block holds (grows when
        # exceeded); every rank receives size x block, so fewer per rank for many ranks
        self._resize(max(4, 1024 // self.size))

    def _resize(self, capacity):
        self._cap = capacity
        self._send = np.zeros(capacity + 1, np.int64)
        self._recv = np.zeros((self.size, capacity + 1), np.int64)
        self._slots = np.arange(capacity)

    def allgather_spikes(self, local):
        """Everybody's spikes of the interval, in rank order.

        One ``Allgather`` of fixed-size blocks ``[count, spikes...]`` (as NEST
        does); only when a rank has more spikes than a block holds, an
        ``Allgatherv`` of the rest follows, and the blocks grow for next time
        (every rank sees the same counts, so they all grow alike).
        """
        cap, n = self._cap, local.size
        self._send[0] = n
        self._send[1:1 + min(n, cap)] = local[:cap]
        self.comm.Allgather(self._send, self._recv)
        counts = self._recv[:, 0].copy()
        body = self._recv[:, 1:]
        if counts.max() <= cap:
            return body[self._slots[None, :] < counts[:, None]]
        extra = np.maximum(counts - cap, 0)
        rest = np.empty(int(extra.sum()), np.int64)
        displs = np.zeros(self.size, np.int64)
        np.cumsum(extra[:-1], out=displs[1:])
        self.comm.Allgatherv(np.ascontiguousarray(local[cap:]),
                             [rest, (extra, displs), self._mpi.INT64_T])
        parts = []
        for r in range(self.size):
            parts.append(body[r, :min(counts[r], cap)])
            parts.append(rest[displs[r]:displs[r] + extra[r]])
        out = np.concatenate(parts)
        self._resize(int(2 * counts.max()))
        return out

    def allgather(self, obj):
        return self.comm.allgather(obj)

    def allreduce_sum(self, array):
        """Sum ``array`` over the ranks, in place (each element has one non-zero owner)."""
        if array.size:
            self.comm.Allreduce(self._mpi.IN_PLACE, array, op=self._mpi.SUM)

    def bcast(self, obj):
        return self.comm.bcast(obj, root=0)

    def abort(self, code=1):
        self.comm.Abort(code)


def _launched_size():
    for var in _SIZE_VARIABLES:
        value = os.environ.get(var, "")
        if value.isdigit():
            return int(value)
    return 1


def world():
    """The communicator of this run, or None for a plain one-process run.

    MPI is used when ``mpi4py.MPI`` was already imported by the script, or when
    an MPI launcher announced more than one process. Launched with several
    processes but without mpi4py is an error (each rank would otherwise
    silently simulate the whole network on its own).
    """
    global _world
    if _world is not None:
        return _world if _world.size > 1 else None
    if "mpi4py.MPI" not in sys.modules:
        n = _launched_size()
        if n <= 1:
            return None
        try:
            import mpi4py.MPI  # noqa: F401
        except ImportError as err:
            raise RuntimeError(
                f"this process was started by an MPI launcher with {n} processes, but mpi4py "
                "is not installed, so the ranks cannot share the network; install it "
                "(pip install 'neurosim[mpi]') or run without mpirun") from err
    from mpi4py import MPI
    _world = _MPIComm(MPI.COMM_WORLD)
    if _world.size > 1:
        _install_excepthook(_world)
    return _world if _world.size > 1 else None


def rank():
    """This process's rank (0 without MPI): guard plotting and printing with ``rank() == 0``."""
    comm = world()
    return comm.rank if comm else 0


def num_processes():
    """The number of MPI ranks the network is split over (1 without MPI)."""
    comm = world()
    return comm.size if comm else 1


def is_distributed():
    """True when running under an MPI launcher with more than one rank."""
    return world() is not None


def _install_excepthook(comm):
    previous = sys.excepthook

    def hook(kind, value, tb):
        previous(kind, value, tb)
        sys.stderr.flush()
        if not getattr(value, "all_ranks", False):
            # an error of this rank alone: the others may wait for it in a collective
            sys.stderr.write(f"[neurosim] rank {comm.rank}: uncaught {kind.__name__}; "
                             "aborting all ranks (MPI_Abort)\n")
            sys.stderr.flush()
            comm.abort(1)

    sys.excepthook = hook


def draw_seed():
    """A seed from the operating system, the same on every rank (rank 0's)."""
    seed = int(np.random.SeedSequence().entropy % 2**63)
    comm = world()
    return comm.bcast(seed) if comm else seed


def check_backend(name, n_threads=None, requested=None):
    """The backend each rank runs when the network is split over MPI ranks: ``'numba'``
    (one thread per rank) or ``'cuda'`` (one GPU per rank); ``backend='auto'``
    (``requested``) means numba."""
    size = num_processes()
    if name not in ("numba", "cuda") and requested != "auto":
        raise ValueError(f"backend={name!r} cannot split a network over the {size} MPI ranks "
                         "this script was started with; use backend='numba' (one process per "
                         "rank) or backend='cuda' (one GPU per rank), or run one network per "
                         "process (neurosim.dask_sweep)")
    if n_threads is not None and n_threads != 1:
        raise ValueError(f"n_threads={n_threads!r}: under MPI each rank updates its neurons in "
                         "one thread; start more ranks instead (mpirun -n K)")
    return "cuda" if name == "cuda" and requested != "auto" else "numba"


def local_neurons(net):
    """At build: which neurons this rank owns (bool per neuron), None without MPI.

    The network then builds only their incoming synapses; ``net._mpi_part``
    remembers for which rank, number of ranks and placement (see
    ``neurosim._mpi_plan.local_neurons``)."""
    return _mpi_plan.local_neurons(net, world())


def distributed_backend(local, comm=None):
    """The backend that splits a network over the ranks of ``comm`` (this run's MPI
    ranks by default, else one process), each rank running ``local`` (the numba or
    the cuda backend; see :func:`check_backend`)."""
    from .backends.mpi_backend import DistributedBackend
    return DistributedBackend(local, comm or world() or _SelfComm())


def run(net, n_steps, chunk, progress, comm=None, backend="numba"):
    """Advance a built network by ``n_steps`` steps on the ranks of ``comm`` (this run's
    MPI ranks by default, else one process), each rank on its CPU (``backend='numba'``)
    or its GPU (``'cuda'``): the run loop of ``Network.run`` with
    :func:`distributed_backend`."""
    from ._run_loop import run_steps
    from .backends import get_backend
    for m in net.monitors:
        m._before_run()
    run_steps(net, distributed_backend(get_backend(backend), comm), n_steps, chunk, None,
              progress)


if _launched_size() > 1:
    # started by mpirun: from the import on, an uncaught error on one rank aborts all
    world()
