"""The memory a network needs, estimated before anything large is allocated, and the
allocation of its largest arrays."""
import mmap
import os

import numpy as np

from ._config import get_config

__all__ = ["NetworkTooLargeError", "check_memory", "delay_dtype", "fits", "allocate"]

# bytes per synapse: the CSR arrays hold an int32 target, an int64 fixed-point weight (or
# a uint8 code where weights are shared: _weights) and the delay in steps (delay_dtype),
# written once where they stay (the keyed build keeps nothing else per synapse: PD14 at
# full scale peaks at 14.1 bytes per synapse with int16 delays); explicit lists and
# plastic synapses also keep their own i, j, float weight, delay and position (and the
# plastic arrays), counted at the old build's measured peak
_TARGET_BYTES = 4
_STORED_BYTES_PER_SYNAPSE = 64

class NetworkTooLargeError(MemoryError):
    """The network would need more memory than is available.

    Raised by :meth:`Network.build` (and so by the first :meth:`Network.run`)
    before anything large is allocated, from an estimate of the bytes the
    neurons, synapses and spike buffers need, compared with the setting
    ``max_memory`` (:func:`set_config`; default: the memory available now).
    A subclass of :class:`MemoryError`.

    Examples
    --------
    >>> import neurosim as ns
    >>> cells = ns.NeuronGroup(1000, ns.McCullochPitts())
    >>> syn = ns.Synapses(cells, cells, kind="excitatory", weight=1,
    ...                   connect=ns.AllToAll())
    >>> with ns.config_context(max_memory=1_000_000):       # 1 MB
    ...     try:
    ...         ns.Network(cells, syn).build(seed=0)
    ...     except ns.NetworkTooLargeError:
    ...         print("too large")
    too large
    """


def delay_dtype(longest):
    """The integer type of the synapses' delays (steps), given the longest: int16 where it
    holds them (any delay below 3.2 s at dt = 0.1 ms), else int32. Not int8: nearly
    every network then shares one compiled loop (a type is a compilation), for one
    byte a synapse."""
    return np.dtype(np.int16 if longest < 2 ** 15 else np.int32)


def check_memory(n, n_src, depth, n_syn, n_stored=0, delay_bytes=2, weight_bytes=8):
    """Raise ``NetworkTooLargeError`` unless the network fits in the available memory.

    Parameters
    ----------
    n, n_src : int
        Numbers of neurons and of input sources.
    depth : int
        Slots of the delay ring buffer (steps).
    n_syn : int
        Synapses held in the CSR arrays only (4 bytes each, their weight's and their
        delay's).
    n_stored : int, optional
        Synapses that also keep arrays of their own (explicit lists, plastic
        synapses; 64 bytes each).
    delay_bytes : int, optional
        Bytes of a delay (:func:`delay_dtype`); before the delays are drawn, those of
        int16, and the build checks again with the drawn ones before it allocates.
    weight_bytes : int, optional
        Bytes of a weight: 8 (int64 fixed point), or 1 where the weights are shared
        (a uint8 code into a table, ``_weights``).
    """
    need = (n * (5 * 8 + 4 + 1) + depth * 2 * n * 8 + (n + n_src) * 24
            + n_syn * (_TARGET_BYTES + weight_bytes + delay_bytes)
            + n_stored * _STORED_BYTES_PER_SYNAPSE)
    limit = get_config()["max_memory"] or _available_memory()
    if need > limit:
        raise NetworkTooLargeError(
            f"the network needs about {_bytes(need)} ({n} neurons, {n_src} sources, "
            f"{n_syn + n_stored:.3g} synapses, delay buffer of {depth} steps) but only "
            f"{_bytes(limit)} is available; shrink it or raise set_config(max_memory=...)")


def fits(n_bytes):
    """Whether ``n_bytes`` more fit in the available memory (or ``max_memory``)."""
    return n_bytes <= (get_config()["max_memory"] or _available_memory())


def allocate(size, dtype):
    """An uninitialised array of ``size`` elements whose pages are all mapped at once.

    Large arrays are mapped with ``MAP_POPULATE`` (Linux): the kernel provides every
    page in one call instead of one page fault at a time when the array is first
    written, 6x faster on the project's virtual machine (0.28 s against 1.6-2 s per
    500 MB), where first touches cost 16 us per page. Elsewhere, or below 16 MiB,
    ``np.empty``.
    """
    dtype = np.dtype(dtype)
    nbytes = int(size) * dtype.itemsize
    populate = getattr(mmap, "MAP_POPULATE", None)
    if nbytes < 1 << 24 or populate is None:
        return np.empty(size, dtype=dtype)
    buf = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | populate)
    return np.frombuffer(buf, dtype=dtype, count=int(size))


def _bytes(n):
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return f"{int(n)} bytes"


def _available_memory():
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
