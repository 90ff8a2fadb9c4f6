"""A user script, run by ``tests/test_mpi.py`` under ``mpiexec -n K python mpi_script.py``.

It is the same script as for one process (``simulate`` is also called in the
test's own process for the reference). Modes (first argument):

* ``spikes OUT PLACEMENT``: simulate every network of :data:`NETWORKS` (two runs
  in a row, to check that a run continues across the exchange), write spikes,
  traces, rates and the final state to ``OUT`` (rank 0; every rank checks that
  its own copy of the results is the same, and that it held only its part of
  the synapses);
* ``procedural OUT PLACEMENT``: the networks of :data:`PROCEDURAL` with every
  projection ``storage='procedural'`` (each rank holds no synapse and adds the
  regenerated ones onto its own neurons), results to ``OUT`` (rank 0; every rank
  checks its copy);
* ``gather OUT PLACEMENT FOLDER``: the networks of :data:`GATHERED` with every
  monitor ``gather='local'`` streaming to ``FOLDER`` (each rank writes its part;
  rank 0 reads the recordings back with ``load_recording``), then with
  ``gather='root'`` in memory (rank 0's record; every other rank checks that it
  holds exactly its own neurons' part of it); then a checkpoint (a file per
  rank) restored into a new network continues as the original;
* ``cuda OUT``: the networks of :data:`ON_GPU` with ``backend='cuda'`` (one GPU,
  or numba's simulator, per rank), then those of :data:`PROCEDURAL_ON_GPU` with
  procedural projections, results to ``OUT`` (rank 0); round-robin placement on
  GPUs must raise on every rank;
* ``raise``: rank 1 raises during the script while the others go on into a run;
* ``exit``: rank 1 dies (``os._exit``) in the middle of the simulation;
* ``errors``: a network with delay-0 synapses; rank 1 builds another network
  (another seed); rank 1 asks for another duration; rank 1 sets other weights:
  each must raise on every rank.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import neurosim as ns  # noqa: E402
from neurosim.units import Hz, mV, ms  # noqa: E402
from networks import brunel, cuba, poisson_delays  # noqa: E402

def mixed():
    """Every model and input the rank loop handles apart: conductance-based LIF with a
    time-varying current on a slice, asynchronous McCulloch-Pitts units (random
    updates keyed by index), a spike generator and Poisson sources, a state monitor
    that samples every third step, delays of 1-3 steps."""
    cond = ns.NeuronGroup(60, ns.LIFCond(tau_m=20 * ms, v_rest=-60 * mV, v_reset=-60 * mV,
                                         v_th=-50 * mV, tau_syn_e=5 * ms, tau_syn_i=10 * ms,
                                         e_e=0 * mV, e_i=-80 * mV, refractory=2 * ms),
                          v=ns.Uniform(-60 * mV, -50 * mV), name="cond")
    units = ns.NeuronGroup(50, ns.McCullochPitts(theta=1.0, update="asynchronous", tau=2 * ms),
                           name="units")
    gen = ns.SpikeGeneratorGroup(5, [0, 1, 2, 3, 4, 0, 2], [1, 2, 3, 4, 5, 20, 40] * ms,
                                 name="gen")
    noise = ns.PoissonGroup(20, rates=80 * Hz, name="noise")
    objects = [
        cond, units, gen, noise,
        ns.Synapses(gen, cond, kind="excitatory", weight=3.0, delay=0.2 * ms,
                    connect=ns.FixedProbability(0.5)),
        ns.Synapses(noise, units, kind="excitatory", weight=0.6, delay=0.1 * ms,
                    connect=ns.FixedProbability(0.3)),
        ns.Synapses(units, cond, kind="excitatory", weight=0.4, delay=0.3 * ms,
                    connect=ns.FixedProbability(0.2)),
        ns.Synapses(cond, units, kind="inhibitory", weight=0.5, delay=0.1 * ms,
                    connect=ns.FixedProbability(0.2)),
        ns.TimedCurrent(cond[10:40], np.linspace(0, 30, 50) * mV, dt=2 * ms),
        ns.CurrentInput(units, 0.5)]
    monitors = {"spikes": ns.SpikeMonitor(cond), "units": ns.SpikeMonitor(units),
                "gen": ns.SpikeMonitor(gen), "rate": ns.RateMonitor(units),
                "state": ns.StateMonitor(cond, ("v", "g_e"), record=[0, 11, 59], every=3)}
    return ns.Network(*objects, *monitors.values()), monitors


def adaptive():
    """A model from outside the built-in set (AdaptiveLIF: an engine generated for it, an
    extra state variable ``w``) beside delta-synapse LIF neurons, driven by Poisson
    input."""
    cells = ns.NeuronGroup(80, ns.AdaptiveLIF(tau_m=20 * ms, v_rest=-70 * mV, v_reset=-60 * mV,
                                              v_th=-50 * mV, tau_w=100 * ms, a=0.5, b=2 * mV,
                                              tau_syn_e=5 * ms, tau_syn_i=10 * ms,
                                              refractory=2 * ms),
                           v=ns.Uniform(-60 * mV, -50 * mV), name="adaptive")
    lif = ns.NeuronGroup(40, ns.LIF(10 * ms, -70 * mV, -65 * mV, -55 * mV, refractory=1 * ms),
                         name="delta")
    noise = ns.PoissonGroup(50, rates=40 * Hz, name="noise")
    objects = [cells, lif, noise,
               ns.Synapses(noise, cells, kind="excitatory", weight=4 * mV, delay=0.2 * ms,
                           connect=ns.FixedProbability(0.3)),
               ns.Synapses(cells, lif, kind="excitatory", weight=3 * mV, delay=0.3 * ms,
                           connect=ns.FixedProbability(0.2)),
               ns.Synapses(lif, cells, kind="inhibitory", weight=1 * mV, delay=0.2 * ms,
                           connect=ns.FixedProbability(0.2)),
               ns.CurrentInput(cells, 25 * mV)]
    monitors = {"spikes": ns.SpikeMonitor(cells), "delta": ns.SpikeMonitor(lif),
                "state": ns.StateMonitor(cells, ("v", "w"), record=[0, 33, 79], every=2)}
    return ns.Network(*objects, *monitors.values()), monitors


def izhikevich():
    """Izhikevich (2003) neurons of two regimes, delta synapses between them, Poisson
    input: a second model from outside the built-in set, with a receive rule of its
    own (and, on GPU ranks, inert rows for the neurons of other ranks)."""
    rs = ns.NeuronGroup(60, ns.Izhikevich.preset("RS"), v=ns.Uniform(-70 * mV, -55 * mV),
                        name="rs")
    fs = ns.NeuronGroup(20, ns.Izhikevich.preset("FS"), name="fs")
    noise = ns.PoissonGroup(40, rates=60 * Hz, name="noise")
    objects = [rs, fs, noise,
               ns.Synapses(noise, rs, kind="excitatory", weight=6 * mV, delay=0.2 * ms,
                           connect=ns.FixedProbability(0.3)),
               ns.Synapses(rs, fs, kind="excitatory", weight=4 * mV, delay=0.3 * ms,
                           connect=ns.FixedProbability(0.3)),
               ns.Synapses(fs, rs, kind="inhibitory", weight=2 * mV, delay=0.2 * ms,
                           connect=ns.FixedProbability(0.3)),
               ns.CurrentInput(rs, 5 * mV / ms)]
    monitors = {"spikes": ns.SpikeMonitor(rs), "fast": ns.SpikeMonitor(fs),
                "state": ns.StateMonitor(rs, ("v", "u"), record=[0, 31, 59], every=2)}
    return ns.Network(*objects, *monitors.values()), monitors


def adex():
    """AdEx neurons (exponential spike onset, adaptation current ``w_ad``) with current
    synapses in amperes, driven by Poisson input: a third model from outside the
    built-in set, on CPU and GPU ranks."""
    from neurosim.units import pA
    model, _ = ns.AdEx.firing_pattern("adapting")
    cells = ns.NeuronGroup(60, model, v=ns.Uniform(-70 * mV, -55 * mV), name="adex")
    noise = ns.PoissonGroup(40, rates=80 * Hz, name="noise")
    objects = [cells, noise,
               ns.Synapses(noise, cells, kind="excitatory", weight=300 * pA, delay=0.2 * ms,
                           connect=ns.FixedProbability(0.3)),
               ns.Synapses(cells, cells, kind="inhibitory", weight=100 * pA, delay=0.3 * ms,
                           connect=ns.FixedProbability(0.1)),
               ns.CurrentInput(cells, 300 * pA)]
    monitors = {"spikes": ns.SpikeMonitor(cells),
                "state": ns.StateMonitor(cells, ("v", "w_ad"), record=[0, 29, 59], every=2)}
    return ns.Network(*objects, *monitors.values()), monitors


def plastic():
    """LIF neurons whose recurrent excitatory synapses learn by STDP (delays drawn per
    synapse), inhibitory ones that depress (Tsodyks-Markram) and Poisson input through
    facilitating synapses that learn by the triplet rule, and excitatory synapses onto
    the inhibitory neurons tagged by reward-modulated STDP whose dopamine comes from
    Poisson sources, and a projection with one delay whose traces are kept per neuron:
    every plasticity rule over the exchange of spikes between ranks."""
    lif = ns.LIF(tau_m=20 * ms, v_rest=-60 * mV, v_reset=-60 * mV, v_th=-50 * mV,
                 refractory=2 * ms, tau_syn_e=5 * ms, tau_syn_i=10 * ms)
    cells = ns.NeuronGroup(120, lif, v=ns.Uniform(-60 * mV, -50 * mV), name="plastic")
    exc, inh = cells[:96], cells[96:]
    noise = ns.PoissonGroup(50, 40 * Hz, name="noise")
    dopamine = ns.PoissonGroup(4, 20 * Hz, name="dopamine")
    stdp = ns.STDP(tau_plus=20 * ms, tau_minus=20 * ms, a_plus=0.01, a_minus=0.012,
                   w_max=3 * mV, weight_dependence="multiplicative")
    reward = ns.RewardSTDP(tau_plus=20 * ms, tau_minus=20 * ms, a_plus=0.5, a_minus=0.6,
                           tau_c=30 * ms, tau_d=50 * ms, w_max=4 * mV, baseline=2 * Hz,
                           dopamine_source=dopamine, dopamine_per_spike=40 * Hz,
                           dopamine_delay=1 * ms)
    triplet = ns.TripletSTDP(tau_plus=10 * ms, tau_minus=30 * ms, tau_x=100 * ms,
                             tau_y=120 * ms, a2_plus=0.01, a3_plus=0.02, a2_minus=0.01,
                             a3_minus=0.001, w_max=12 * mV)
    objects = [cells, noise, dopamine,
               ns.Synapses(exc, inh, kind="excitatory", weight=ns.Uniform(1 * mV, 3 * mV),
                           connect=ns.FixedProbability(0.2), plasticity=reward, name="ei",
                           delay=0.5 * ms),
               ns.Synapses(exc, exc, kind="excitatory", weight=ns.Uniform(0.5 * mV, 2.5 * mV),
                           connect=ns.FixedProbability(0.2), plasticity=stdp, name="ee",
                           delay=ns.Uniform(0.2 * ms, 2 * ms)),
               ns.Synapses(inh, cells, kind="inhibitory", weight=6 * mV, delay=1 * ms,
                           connect=ns.FixedProbability(0.2), name="ie",
                           plasticity=ns.TsodyksMarkram(U=0.4, tau_rec=150 * ms)),
               ns.Synapses(noise, cells, kind="excitatory", weight=9 * mV, delay=0.5 * ms,
                           connect=ns.FixedProbability(0.3), name="ne", plasticity=(
                               ns.TsodyksMarkram(U=0.5, tau_rec=40 * ms, tau_facil=100 * ms),
                               triplet)),
               # one delay: traces per neuron (kernels.neuron_traces), their sources on
               # every rank
               ns.Synapses(exc, exc, kind="excitatory", weight=ns.Uniform(0.2 * mV, 1 * mV),
                           connect=ns.FixedProbability(0.1), delay=1 * ms, name="ee_one_delay",
                           plasticity=ns.TripletSTDP(
                               tau_plus=10 * ms, tau_minus=30 * ms, tau_x=100 * ms,
                               tau_y=120 * ms, a2_plus=0.01, a3_plus=0.02, a2_minus=0.01,
                               a3_minus=0.001, w_max=2 * mV, pairing="nearest"))]
    spikes = ns.SpikeMonitor(cells)
    return ns.Network(*objects, spikes), {"spikes": spikes}


def rules():
    """Every rule that procedural connectivity regenerates, with constant, uniform and
    normal weights and delays (all of at least one step, as ranks need)."""
    lif = ns.LIF(tau_m=10 * ms, v_rest=-65 * mV, v_reset=-65 * mV, v_th=-50 * mV,
                 refractory=2 * ms, tau_syn_e=2 * ms, tau_syn_i=4 * ms)
    cells = ns.NeuronGroup(300, lif, v=ns.Uniform(-65 * mV, -50 * mV), name="cells")
    exc, inh = cells[:240], cells[240:]
    noise = ns.PoissonGroup(100, rates=60 * Hz, name="noise")
    d = ns.Normal(1.5 * ms, 0.75 * ms, low=0.1 * ms, high=4 * ms)
    syn = [
        ns.Synapses(noise, cells, kind="excitatory", weight=ns.Uniform(5 * mV, 10 * mV),
                    delay=d, connect=ns.FixedOutdegree(60)),
        ns.Synapses(noise, cells, kind="excitatory", weight=0.5 * mV, delay=1 * ms,
                    connect=ns.FixedOutdegree(20, allow_multapses=True)),
        ns.Synapses(exc, cells, kind="excitatory", delay=d,
                    weight=ns.Normal(0.8 * mV, 0.3 * mV, low=0 * mV),
                    connect=ns.FixedTotalNumber(6000, allow_autapses=False)),
        ns.Synapses(exc, exc, kind="excitatory", weight=0.3 * mV, delay=0.5 * ms,
                    connect=ns.FixedProbability(0.04, allow_autapses=False)),
        ns.Synapses(inh, cells, kind="inhibitory", weight=0.5 * mV, delay=d,
                    connect=ns.AllToAll()),
        ns.Synapses(inh, inh, kind="inhibitory", weight=1 * mV, delay=0.2 * ms,
                    connect=ns.OneToOne()),
    ]
    spikes = ns.SpikeMonitor(cells)
    return ns.Network(cells, noise, *syn, spikes), {"spikes": spikes}


NETWORKS = {
    "cuba": lambda: cuba(n=800, p=0.05, delay=0.5 * ms),
    "brunel": lambda: brunel(n_e=800),                        # delays 1.5 ms, Poisson drive
    "poisson": lambda: poisson_delays(n=300, n_sources=100),  # per-synapse delays >= 1 step
    "mixed": mixed,
    "adaptive": adaptive,
    "izhikevich": izhikevich,
    "adex": adex,
    "plastic": plastic,
}


def weights(net):
    """``(i, j, weight)`` of every plastic synapse of the whole network, sorted, from
    every rank's own synapses."""
    rows = []
    for s in net.synapses:
        if s.plasticity is not None:
            first = np.int64(1_000_000) * len(rows)          # the projections apart
            rows.append(np.stack([s.i + first, s.j.astype(np.int64), s.weight.view(np.int64)]))
    mine = np.concatenate(rows, axis=1) if rows else np.zeros((3, 0), np.int64)
    if ns.mpi.num_processes() > 1:
        mine = np.concatenate(ns.mpi.world().comm.allgather(mine), axis=1)
    order = np.lexsort(mine[::-1])
    return mine[:, order]


# the networks of the 'procedural' mode (every projection procedural)
PROCEDURAL = {"cuba": NETWORKS["cuba"], "poisson": NETWORKS["poisson"], "rules": rules}

# the networks of the 'gather' mode: every kind of monitor, sources among them
GATHERED = ("cuba", "mixed")


# the networks of the 'cuda' mode and their two runs: short, for numba's CUDA simulator
ON_GPU = ("poisson", "mixed", "adaptive", "izhikevich", "adex")
# and those run procedural (FixedProbability rows: a GPU thread draws any of them)
PROCEDURAL_ON_GPU = ("poisson",)
GPU_RUNS = (6 * ms, 4 * ms)


def simulate(name, placement="population", seed=7, gather="all", folder=None,
             backend="numba", runs=(60 * ms, 40 * ms), storage="stored"):
    """Run one network (60 ms, then 40 ms more) and return its results as arrays.

    ``gather`` and ``folder`` (``stream_to`` of every monitor, one subfolder each)
    set how the monitors record under MPI; with ``folder`` the results are read
    back from the recordings (``run`` returns once every rank wrote its parts).
    ``storage``: of every projection (``'procedural'``: a network of
    :data:`PROCEDURAL`)."""
    net, mon = (PROCEDURAL if storage == "procedural" else NETWORKS)[name]()
    for s in net.synapses:
        s.storage = storage
    net.placement = placement
    for key, m in mon.items():
        m.gather = gather
        m.stream_to = None if folder is None else os.path.join(folder, name, key)
    net.run(runs[0], dt=0.1 * ms, backend=backend, seed=seed)
    net.run(runs[1])
    out = {}
    for key, m in mon.items():
        if folder is None:
            rec = {"i": m.i, "steps": m.steps} if isinstance(m, ns.SpikeMonitor) else \
                {var: getattr(m, var) for var in getattr(m, "variables", ())}
            if isinstance(m, ns.RateMonitor):
                rec["rate"] = m.rate
        else:
            rec = ns.load_recording(m.stream_to)
            if isinstance(m, ns.RateMonitor):
                rec["rate"] = rec["counts"] / (m.source.n * m.dt)
        if isinstance(m, ns.SpikeMonitor):
            out[f"{key}/i"], out[f"{key}/t"] = rec["i"], rec["steps"] * m.dt
        elif isinstance(m, ns.StateMonitor):
            for var in m.variables:
                out[f"{key}/{var}"] = rec[var]
        else:
            out[f"{key}/rate"] = rec["rate"]
    group = net.groups[0]
    out["final/v"] = net.get_state(group, "v")
    if any(s.plasticity is not None for s in net.synapses):
        out["final/weights"] = weights(net)
    return out, net, mon


def _check_own_part(name, net, mon, whole, comm):
    """This rank (not 0) of a ``gather='root'`` run holds its own neurons' part of
    rank 0's record ``whole``: spikes of its neurons, state rows of its neurons
    (NaN elsewhere). Rate parts are checked by the merge of ``load_recording``."""
    owner = ns.mpi.owners(net, comm.size, net.placement)
    for key, m in mon.items():
        lo = net._global(m.source)
        mine = owner[lo:lo + m.source.n] == comm.rank
        if isinstance(m, ns.SpikeMonitor):
            keep = mine[whole[f"{key}/i"]]
            assert np.array_equal(m.i, whole[f"{key}/i"][keep]), (name, key)
            assert np.array_equal(m.t, whole[f"{key}/t"][keep]), (name, key)
        elif isinstance(m, ns.StateMonitor):
            rows = mine[m.record]
            for var in m.variables:
                got = getattr(m, var)
                assert np.array_equal(got[rows], whole[f"{key}/{var}"][rows]), (name, key)
                assert np.isnan(got[~rows]).all(), (name, key)


def _check_checkpoint(path):
    """A checkpoint written by every rank (a file each) and restored into a network built
    anew continues as the original does."""
    first, mon = NETWORKS["poisson"]()
    first.run(30 * ms, dt=0.1 * ms, seed=7)
    first.store(filename=path)
    first.run(20 * ms)
    resumed, mon2 = NETWORKS["poisson"]()
    resumed.build(0.1 * ms, seed=7)
    resumed.restore(filename=path)
    resumed.run(20 * ms)
    for key, m in mon.items():
        if isinstance(m, ns.SpikeMonitor):
            assert np.array_equal(m.i, mon2[key].i) and np.array_equal(m.t, mon2[key].t), key
    assert np.array_equal(first.get_state(first.groups[0], "v"),
                          resumed.get_state(resumed.groups[0], "v"))


def main(mode, *args):
    comm = ns.mpi.world()
    rank = ns.mpi.rank()
    if mode == "spikes":
        path, placement = args
        comm._resize(4)      # small exchange blocks: the overflow path runs too
        results = {}
        for name in NETWORKS:
            got, net, _ = simulate(name, placement)
            for key, value in got.items():
                results[f"{name}/{key}"] = value
            # each rank held the synapses onto its own neurons, together all of them
            held = comm.comm.allgather(int(net._arrays.synapses.target.size
                                           + net._arrays.plastic.w.size))
            assert sum(held) == sum(s._summary[0] for s in net.synapses), (name, held)
            assert max(held) < sum(held), (name, held)
        # every rank holds the whole record: compare with rank 0's
        everyone = comm.comm.allgather(results)
        for r, theirs in enumerate(everyone):
            for key, value in results.items():
                assert np.array_equal(theirs[key], value), (r, key)
        if rank == 0:
            np.savez(path, ranks=ns.mpi.num_processes(), **results)
    elif mode == "procedural":
        path, placement = args
        results = {}
        for name in PROCEDURAL:
            got, net, _ = simulate(name, placement, storage="procedural")
            for key, value in got.items():
                results[f"{name}/{key}"] = value
            assert net._arrays.synapses.target.size == 0, name    # nothing per synapse
            assert net._arrays.procedural.lo.size == len(net.synapses), name
        everyone = comm.comm.allgather(results)
        for r, theirs in enumerate(everyone):
            for key, value in results.items():
                assert np.array_equal(theirs[key], value), (r, key)
        if rank == 0:
            np.savez(path, ranks=ns.mpi.num_processes(), **results)
    elif mode == "gather":
        path, placement, folder = args
        results = {}
        for name in GATHERED:
            for key, value in simulate(name, placement, gather="local", folder=folder)[0].items():
                results[f"local/{name}/{key}"] = value
            got, net, mon = simulate(name, placement, gather="root")
            whole = comm.comm.bcast(got if rank == 0 else None)
            if rank:
                _check_own_part(name, net, mon, whole, comm)
            for key, value in got.items():
                results[f"root/{name}/{key}"] = value
        _check_checkpoint(os.path.join(folder, "checkpoint.npz"))
        if rank == 0:
            np.savez(path, ranks=ns.mpi.num_processes(), **results)
    elif mode == "cuda":
        path, = args
        from neurosim.backends.cuda_backend import CudaBackend
        # several blocks per kernel in the simulator (as tests/test_cuda.py)
        CudaBackend.threads_per_block = CudaBackend.fused_threads = 16
        results = {}
        for name in ON_GPU:
            got, _, _ = simulate(name, backend="cuda", runs=GPU_RUNS)
            for key, value in got.items():
                results[f"{name}/{key}"] = value
        for name in PROCEDURAL_ON_GPU:
            got, _, _ = simulate(name, backend="cuda", runs=GPU_RUNS, storage="procedural")
            for key, value in got.items():
                results[f"procedural/{name}/{key}"] = value
        try:
            simulate("poisson", placement="round_robin", backend="cuda", runs=GPU_RUNS)
        except ns.mpi.DistributedError as err:
            print(f"cuda_round_robin: rank {rank}: DistributedError: {err}", flush=True)
        else:
            sys.exit(f"cuda_round_robin: rank {rank}: no error")
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

        def other_weight():
            net, _ = NETWORKS["poisson"]()
            net.build(0.1 * ms, seed=1)
            net.synapses[1].weight = (1 + rank) * mV
            net.run(2 * ms)

        for case in (zero_delay, other_seed, other_duration, other_weight):
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
