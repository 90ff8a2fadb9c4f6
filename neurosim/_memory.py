"""The memory a network needs, estimated before anything large is allocated."""
import os

from ._config import get_config

__all__ = ["NetworkTooLargeError", "check_memory"]

# peak bytes per synapse while building: kept per projection (int32 i, j, delay steps
# and CSR position, float64 weight) 24, the CSR arrays 16, and the largest
# projection's draws and sort while it is copied in; measured 55 above the
# interpreter for CUBA (4e7 synapses), 49 in all for PD14 at scale 0.1 (3e7)
_BUILD_BYTES_PER_SYNAPSE = 64

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


def check_memory(n, n_src, depth, n_syn):
    need = (n * (5 * 8 + 4 + 1) + depth * 2 * n * 8 + (n + n_src) * 24
            + n_syn * _BUILD_BYTES_PER_SYNAPSE)
    limit = get_config()["max_memory"] or _available_memory()
    if need > limit:
        raise NetworkTooLargeError(
            f"the network needs about {_bytes(need)} ({n} neurons, {n_src} sources, "
            f"{n_syn:.3g} synapses, delay buffer of {depth} steps) but only "
            f"{_bytes(limit)} is available; shrink it or raise set_config(max_memory=...)")


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
