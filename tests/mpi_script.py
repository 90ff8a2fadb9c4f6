"""A user script, run by ``tests/test_mpi.py`` under ``mpiexec -n K python mpi_script.py``.

It is the same script as for one process (``simulate`` is also called in the
test's own process for the reference). Modes (first argument):

* ``spikes OUT PLACEMENT``: simulate every network of :data:`NETWORKS` (two runs
  in a row, to check that a run continues across the exchange), write spikes,
  traces, rates and the final state to ``OUT`` (rank 0; every rank checks that
  its own copy of the results is the same);
* ``raise``: rank 1 raises during the script while the others go on into a run;
* ``exit``: rank 1 dies (``os._exit``) in the middle of the simulation;
* ``errors``: a network with delay-0 synapses; rank 1 builds another network
  (another seed); rank 1 asks for another duration: each must raise on every rank.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import neurosim as ns  # noqa: E402
from neurosim.units import ms  # noqa: E402
from networks import brunel, cuba, poisson_delays  # noqa: E402

NETWORKS = {
    "cuba": lambda: cuba(n=800, p=0.05, delay=0.5 * ms),
    "brunel": lambda: brunel(n_e=800),                        # delays 1.5 ms, Poisson drive
    "poisson": lambda: poisson_delays(n=300, n_sources=100),  # per-synapse delays >= 1 step
}


def simulate(name, placement="population", seed=7):
    """Run one network (60 ms, then 40 ms more) and return its results as arrays."""
    net, mon = NETWORKS[name]()
    net.placement = placement
    net.run(60 * ms, dt=0.1 * ms, backend="numba", seed=seed)
    net.run(40 * ms)
    out = {}
    for key, m in mon.items():
        if isinstance(m, ns.SpikeMonitor):
            out[f"{key}/i"], out[f"{key}/t"] = m.i, m.t
        elif isinstance(m, ns.StateMonitor):
            for var in m.variables:
                out[f"{key}/{var}"] = getattr(m, var)
        else:
            out[f"{key}/rate"] = m.rate
    group = net.groups[0]
    out["final/v"] = net.get_state(group, "v")
    return out


def main(mode, *args):
    comm = ns.mpi.world()
    rank = ns.mpi.rank()
    if mode == "spikes":
        path, placement = args
        comm._resize(4)      # small exchange blocks: the overflow path runs too
        results = {}
        for name in NETWORKS:
            for key, value in simulate(name, placement).items():
                results[f"{name}/{key}"] = value
        # every rank holds the whole record: compare with rank 0's
        everyone = comm.comm.allgather(results)
        for r, theirs in enumerate(everyone):
            for key, value in results.items():
                assert np.array_equal(theirs[key], value), (r, key)
        if rank == 0:
            np.savez(path, ranks=ns.mpi.num_processes(), **results)
    elif mode == "raise":
        if rank == 1:
            raise RuntimeError("rank 1 fails on purpose")
        simulate("brunel")
    elif mode == "exit":
        net, _ = NETWORKS["brunel"]()
        net.run(10 * ms, dt=0.1 * ms, backend="numba", seed=1)
        if rank == 1:
            os._exit(3)
        net.run(1000 * ms)
    elif mode == "errors":
        # each of these must raise DistributedError on every rank, not hang
        def zero_delay():
            net, _ = cuba(n=100)
            net.run(1 * ms, dt=0.1 * ms, seed=1)

        def other_seed():
            simulate("cuba", seed=7 + rank)

        def other_duration():
            net, _ = NETWORKS["poisson"]()
            net.run((2 + rank) * ms, dt=0.1 * ms, seed=1)

        for case in (zero_delay, other_seed, other_duration):
            try:
                case()
            except ns.mpi.DistributedError as err:
                print(f"{case.__name__}: rank {rank}: DistributedError: {err}", flush=True)
            else:
                sys.exit(f"{case.__name__}: rank {rank}: no error")
    else:
        sys.exit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(*sys.argv[1:])
