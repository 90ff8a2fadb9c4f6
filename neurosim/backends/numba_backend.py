"""The numba CPU backend: host arrays, the whole loop compiled (kernels.simulate, or its
copy in the engine generated for the network's models)."""
import numba

from ._base import Backend, plastic_or_none, procedural_or_none

# Below this many neurons, one thread is the default. On an idle machine two
# threads pay off from about 16,000 neurons, but every step enters a parallel
# region whose threads spin while they wait: on a machine shared with other work
# (a CI runner, a laptop) that made a 20,000-neuron network 20-50x slower than
# one thread. Above 100,000 neurons a step's work dwarfs that risk. Pass
# n_threads to run() to choose explicitly.
PARALLEL_MIN_NEURONS = 100_000


class NumbaBackend(Backend):
    compiled = True
    name = "numba"
    # wall seconds per call of the compiled loop: how soon Ctrl-C is honoured
    slice_seconds = 0.2

    def threads_for(self, n_neurons, n_threads=None):
        if n_threads is not None:
            if n_threads > numba.config.NUMBA_NUM_THREADS:
                raise ValueError(f"n_threads={n_threads} exceeds the "
                                 f"{numba.config.NUMBA_NUM_THREADS} threads numba can use here "
                                 f"(NUMBA_NUM_THREADS); use 1..{numba.config.NUMBA_NUM_THREADS}")
            return int(n_threads)
        return numba.get_num_threads() if n_neurons >= PARALLEL_MIN_NEURONS else 1

    def run_chunk(self, arrays, seed, step0, n_steps, n_threads):
        simulate_numba = arrays.engine("simulate").simulate_numba
        return simulate_numba(arrays.neurons, arrays.sources, arrays.synapses, arrays.drives,
                              arrays.currents, arrays.recorders, plastic_or_none(arrays),
                              procedural_or_none(arrays), arrays.counters,
                              seed, step0, n_steps, n_threads)

