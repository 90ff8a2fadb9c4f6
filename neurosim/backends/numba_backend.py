"""The numba CPU backend: host arrays, the whole loop compiled (kernels.simulate)."""
import numba

from ..kernels.simulate import simulate_numba

# Below this many neurons, one thread is the default. On an idle machine two
# threads pay off from about 16,000 neurons, but every step enters a parallel
# region whose threads spin while they wait: on a machine shared with other work
# (a CI runner, a laptop) that made a 20,000-neuron network 20-50x slower than
# one thread. Above 100,000 neurons a step's work dwarfs that risk. Pass
# n_threads to run() to choose explicitly.
PARALLEL_MIN_NEURONS = 100_000


class NumbaBackend:
    name = "numba"
    # wall seconds per call of the compiled loop: how soon Ctrl-C is honoured
    slice_seconds = 0.2

    @staticmethod
    def is_available():
        return True

    @staticmethod
    def why_unavailable():
        return None

    def threads_for(self, n_neurons, n_threads=None):
        if n_threads is not None:
            if n_threads > numba.config.NUMBA_NUM_THREADS:
                raise ValueError(f"n_threads={n_threads} exceeds the "
                                 f"{numba.config.NUMBA_NUM_THREADS} threads numba can use here "
                                 f"(NUMBA_NUM_THREADS); use 1..{numba.config.NUMBA_NUM_THREADS}")
            return int(n_threads)
        return numba.get_num_threads() if n_neurons >= PARALLEL_MIN_NEURONS else 1

    def run_chunk(self, arrays, seed, step0, n_steps, n_threads):
        return simulate_numba(arrays.neurons, arrays.sources, arrays.synapses, arrays.drives,
                              arrays.currents, arrays.recorders, arrays.counters,
                              seed, step0, n_steps, n_threads)


def precompile():
    """Compile (or load from numba's disk cache) the CPU loop for float64 and float32.

    numba's cache is not safe when several processes compile the same function at
    once: each writes its own index, and a process can then load machine code of
    another signature (a crash). Call this once in the parent before starting
    worker processes (``ns.sweep`` and the test suite do), so that the workers only
    load. Works with any ``NUMBA_NUM_THREADS``, 1 included (MPI ranks, Slurm jobs
    with one CPU per task).
    """
    from ..groups import NeuronGroup
    from ..models import LIF
    from ..network import Network
    from ..units import mV, ms
    # The one-thread run compiles (and caches) the whole loop, the parallel neuron
    # update included: n_threads is a run-time argument of the one signature, so
    # both branches are compiled whatever its value. The second run adds nothing
    # to the cache; it enters the parallel region once (numba's threading layer
    # loads), so that a fault there shows here, in the parent, rather than in
    # every worker. With NUMBA_NUM_THREADS=1 no parallel region can run (run()
    # refuses n_threads > 1, here and in workers, which inherit the setting), so
    # the first run is all there is to prepare.
    threads = min(2, numba.config.NUMBA_NUM_THREADS)
    for dtype in ("float64", "float32"):
        cells = NeuronGroup(2, LIF(tau_m=10 * ms, v_rest=0 * mV, v_reset=0 * mV, v_th=1 * mV))
        net = Network(cells, dtype=dtype)
        net.run(0.1 * ms, dt=0.1 * ms, backend="numba", seed=0, n_threads=1)
        if threads > 1:
            net.run(0.1 * ms, backend="numba", n_threads=threads)
