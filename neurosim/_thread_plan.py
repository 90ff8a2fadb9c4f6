"""How a network is split over the threads of ``kernels.simulate_threads``: each
thread's neurons and the synapses whose targets they are (the plan the numba
backend keeps between runs).

Thread ``t`` owns the neurons ``[lo[t], hi[t])``, near-equal blocks cut at
multiples of 8, so that no two threads share a word of the spike flags (the scan
reads eight at a time) or, mostly, a cache line of the state. Its synapses are those
of the network's CSR whose target neuron it owns, in their order, as a CSR over all
sources; the threads' CSRs are stored one after another. The arrangement depends
only on the connectivity, so it is made once per built network; weights and delays
are gathered again for every run (``Synapses.weight = ...`` between runs).
"""
import numpy as np

from .kernels.simulate_threads import Owned
from ._weights import subset

__all__ = ["thread_ranges", "owned_synapses"]


def thread_ranges(n, n_threads):
    """``(lo, hi)``: int64 arrays of each thread's first and past-the-last neuron.

    Parameters
    ----------
    n : int
        Neurons in the network.
    n_threads : int
        Threads (>= 1).
    """
    cuts = (np.arange(n_threads + 1, dtype=np.int64) * n // n_threads) // 8 * 8
    cuts[-1] = n
    return cuts[:-1].copy(), cuts[1:].copy()


class _Split:
    """The positions of each thread's synapses in the network's CSR, and their CSR
    pointers (``indptr[t]`` into the threads' synapses stored one after another)."""

    def __init__(self, syn, n, n_threads):
        # the array itself, not its id: a new array may reuse a freed one's id
        self.of, self.n_threads = syn.target, n_threads
        self.lo, self.hi = thread_ranges(n, n_threads)
        post = syn.target % n
        # int32 positions where they fit: 20 bytes per synapse with the copies, and
        # no temporary array wider than the positions of one thread
        kind = np.int32 if syn.target.size < 2 ** 31 else np.int64
        self.indptr = np.empty((n_threads, syn.indptr.size), dtype=np.int64)
        parts, start = [], 0
        for t in range(n_threads):
            mine = np.flatnonzero((post >= self.lo[t]) & (post < self.hi[t])).astype(kind)
            # a row's first synapse of this thread: the first position at or after the
            # row's start (positions ascend)
            self.indptr[t] = start + np.searchsorted(mine, syn.indptr)
            parts.append(mine)
            start += mine.size
        self.positions = np.concatenate(parts)
        self.target = syn.target[self.positions]


def owned_synapses(arrays, n_threads):
    """The ``kernels.simulate_threads.Owned`` arrays of ``arrays`` (a built network)
    for ``n_threads`` threads, with the weights and delays it holds now.

    The split itself is kept on ``arrays`` and made again only for another thread
    count or other connectivity.
    """
    syn = arrays.synapses
    split = getattr(arrays, "_thread_split", None)
    if split is None or split.of is not syn.target or split.n_threads != n_threads:
        split = arrays._thread_split = _Split(syn, arrays.n, n_threads)
    return Owned(lo=split.lo, hi=split.hi, indptr=split.indptr, target=split.target,
                 delay=syn.delay[split.positions], **subset(syn, split.positions))
