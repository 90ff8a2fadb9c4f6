"""The numba CPU backend: host arrays, the whole loop compiled (kernels.simulate)."""
import numba

from ..kernels.simulate import simulate_numba

# Below this many neurons per step, synchronising threads costs more than it
# saves (measured: two threads pay off from about 16,000 neurons).
PARALLEL_MIN_NEURONS = 16_000


class NumbaBackend:
    name = "numba"

    @staticmethod
    def is_available():
        return True

    @staticmethod
    def why_unavailable():
        return None

    def threads_for(self, n_neurons, n_threads=None):
        if n_threads is not None:
            return int(n_threads)
        return numba.get_num_threads() if n_neurons >= PARALLEL_MIN_NEURONS else 1

    def run_chunk(self, arrays, seed, step0, n_steps, n_threads):
        return simulate_numba(arrays.neurons, arrays.sources, arrays.synapses, arrays.drives,
                              arrays.currents, arrays.recorders, arrays.counters,
                              seed, step0, n_steps, n_threads)
