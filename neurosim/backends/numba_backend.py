"""The numba CPU backend: host arrays, the whole loop compiled (kernels.simulate, or its
copy in the engine generated for the network's models)."""
import os
import statistics
import time
import warnings

import numba

from .._memory import fits
from ._base import Backend, plastic_or_none, procedural_or_none

# Below this many neurons, one thread is the default (n_threads=None); from it on,
# numba's threads, as many as other work leaves cores idle (_idle_cores).
# kernels.simulate_threads enters one parallel region per call of the loop, and its
# threads meet at one barrier a step: they pay from about 16,000 CUBA neurons
# (benchmarks/threads.py; docs/benchmarks.md, "Threads"). On a machine with more
# runnable threads than cores, threads that meet every step wait for each other's
# turn: CUBA 16k-64k on 2 threads ran 2.4-4.6x slower than on one at a load average
# of 9-12 on 2 cores (8-20x with the engine before it, whose idle threads spun),
# so the default takes no more threads than there are idle cores. Pass n_threads
# to run() to choose explicitly.
PARALLEL_MIN_NEURONS = 16_000
# what the threads' copy of the synapses costs (_thread_plan: positions, target, weight
# and delay), on top of the network's 14 bytes a synapse
_SPLIT_BYTES_PER_SYNAPSE = 20


def _idle_cores(loadavg="/proc/loadavg"):
    """Cores that no other work uses at the start of a run: the machine's cores less
    the threads of other work that are runnable (``loadavg``'s count, less the thread
    that reads it; the median of three readings half a millisecond apart). All cores
    where the count cannot be read (not Linux)."""
    # the cores this process may run on (a container or taskset may allow fewer than
    # the machine has)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
        else (os.cpu_count() or 1)
    readings = []
    for _ in range(3):
        try:
            with open(loadavg) as f:
                readings.append(int(f.read().split()[3].split("/")[0]) - 1)
        except (OSError, ValueError, IndexError):
            return cores
        time.sleep(0.0005)
    return cores - int(statistics.median(readings))


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
        if n_neurons < PARALLEL_MIN_NEURONS:
            return 1
        return max(1, min(numba.get_num_threads(), _idle_cores()))

    def run_chunk(self, arrays, seed, step0, n_steps, n_threads):
        if n_threads > 1 and self._threaded(arrays):
            done = self._run_threads(arrays, seed, step0, n_steps, n_threads)
            if done >= 0:
                return done
        simulate_numba = arrays.engine("simulate").simulate_numba
        return simulate_numba(arrays.neurons, arrays.sources, arrays.synapses, arrays.drives,
                              arrays.currents, arrays.recorders, plastic_or_none(arrays),
                              procedural_or_none(arrays), arrays.counters,
                              seed, step0, n_steps, n_threads)

    def _threaded(self, arrays):
        # plastic synapses and procedural projections run simulate_numba (its
        # parallel neuron update); so does a run whose threads once failed to start
        return (plastic_or_none(arrays) is None and procedural_or_none(arrays) is None
                and not getattr(self, "_threads_failed", False))

    def _run_threads(self, arrays, seed, step0, n_steps, n_threads):
        """``kernels.simulate_threads`` (compiled only here, for runs on threads);
        -1 where its threads did not run at the same time."""
        from .._thread_plan import owned_synapses
        if getattr(arrays, "_thread_split", None) is None and not fits(
                _SPLIT_BYTES_PER_SYNAPSE * arrays.synapses.target.size):
            # the threads' copies of the synapses would not fit: the same spikes on the
            # loop whose threads share the neuron update only
            warnings.warn(f"n_threads={n_threads}: the threads' copy of the synapses "
                          f"({_SPLIT_BYTES_PER_SYNAPSE} bytes each) does not fit in the "
                          "available memory; this run goes on with the neuron update alone "
                          "on threads", RuntimeWarning, stacklevel=2)
            self._threads_failed = True
            return -1
        own = getattr(self, "_owned", None)
        # weights and delays gathered once per run (a backend serves one run)
        if own is None or own[0] is not arrays or own[1].lo.size != n_threads:
            own = self._owned = (arrays, owned_synapses(arrays, n_threads))
        simulate_threads = arrays.engine("simulate_threads").simulate_threads
        previous = numba.get_num_threads()
        numba.set_num_threads(n_threads)       # one iteration of its prange per thread
        try:
            done = simulate_threads(arrays.neurons, arrays.sources, arrays.drives,
                                    arrays.currents, arrays.recorders, own[1], arrays.counters,
                                    seed, step0, n_steps)
        finally:
            numba.set_num_threads(previous)
        if done < 0:
            self._threads_failed = True
            warnings.warn(f"n_threads={n_threads}: numba's threading layer "
                          f"({numba.threading_layer()}) did not run {n_threads} threads at "
                          "once; this run goes on with the neuron update alone on threads",
                          RuntimeWarning, stacklevel=2)
        return done
