"""Compiling the CPU loops once, before worker processes start."""
import numba

from . import mpi as _mpi
from .groups import NeuronGroup
from .inputs import PoissonGroup
from .models import LIF
from .network import Network
from .synapses import Synapses
from .units import mV, ms

__all__ = ["precompile"]


def precompile(distributed=True):
    """Compile (or load from numba's disk cache) the CPU loops for float64 and float32.

    numba's cache is not safe when several processes compile the same function at
    once: each writes its own index, and a process can then load machine code of
    another signature (a crash). Call this once in the parent before starting
    worker processes or MPI ranks (``ns.sweep`` and ``ns.dask_sweep`` do), so that
    the workers only load. Works with any ``NUMBA_NUM_THREADS``, 1 included (MPI
    ranks, Slurm jobs with one CPU per task).

    Parameters
    ----------
    distributed : bool, optional
        Also compile the loop of one MPI rank (default True).

    Examples
    --------
    >>> import neurosim as ns
    >>> ns.precompile()          # the first time compiles, later ones load the cache
    """
    # The one-thread run compiles (and caches) the whole loop, the parallel neuron
    # update included: n_threads is a run-time argument of the one signature, so
    # both branches are compiled whatever its value. The second run compiles the
    # loop on threads (kernels.simulate_threads) and enters its parallel region
    # once (numba's threading layer loads), so that a fault there shows here, in
    # the parent, rather than in every worker. With NUMBA_NUM_THREADS=1 no parallel region can run (run()
    # refuses n_threads > 1, here and in workers, which inherit the setting), so
    # the first run is all there is to prepare.
    threads = min(2, numba.config.NUMBA_NUM_THREADS)
    for dtype in ("float64", "float32"):
        cells = NeuronGroup(2, LIF(tau_m=10 * ms, v_rest=0 * mV, v_reset=0 * mV, v_th=1 * mV))
        net = Network(cells, dtype=dtype)
        net.run(0.1 * ms, dt=0.1 * ms, backend="numba", seed=0, n_threads=1)
        if threads > 1:
            net.run(0.1 * ms, backend="numba", n_threads=threads)
        if distributed:
            _precompile_rank(dtype)


def _precompile_rank(dtype):
    """The loop of one MPI rank, run in this process as a rank of one."""
    cells = NeuronGroup(2, LIF(tau_m=10 * ms, v_rest=0 * mV, v_reset=0 * mV, v_th=1 * mV))
    src = PoissonGroup(1, rates=0 * ms ** -1)
    syn = Synapses(src, cells, kind="excitatory", weight=1 * mV, delay=0.1 * ms,
                   connect=([0], [0]))
    net = Network(cells, src, syn, dtype=dtype)
    net.build(0.1 * ms, seed=0)
    _mpi.run(net, 2, 1, False, comm=_mpi._SelfComm())
