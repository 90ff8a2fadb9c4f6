"""Parameter sweeps and independent trials on a Dask cluster (``dask.distributed``).

:func:`neurosim.sweep` spreads points over the processes of one machine;
:func:`dask_sweep` spreads them over the workers of a Dask cluster: a
``LocalCluster`` on this machine by default, or any running cluster given by
its scheduler address (``dask scheduler`` / ``dask worker`` on the nodes,
``dask-jobqueue`` on a batch system, ``dask-mpi``...). Each point runs one whole
network in one worker process; a point that raises, or whose worker dies, is
reported in its :class:`~neurosim.SweepResult` and the others go on.

Numba's disk cache is not safe against several processes of one machine
compiling the same function at once, so every worker process compiles (or
loads) neurosim's loops once, under a lock file shared by the processes of its
machine, before its first point.
"""
import os
import tempfile
import traceback

from .sweep import SweepResult

__all__ = ["dask_sweep"]

_ready = False


def _precompile_once():
    """Compile neurosim's CPU loops in this process, one process of the machine at a time."""
    global _ready
    if _ready:
        return
    import fcntl
    from ._precompile import precompile
    path = os.path.join(tempfile.gettempdir(), f"neurosim-numba-{os.getuid()}.lock")
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            precompile()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    _ready = True


def _call(function, point):
    """Runs on a worker: the point's result or its traceback, never an exception."""
    try:
        _precompile_once()
        return SweepResult(point, value=function(point))
    except Exception:
        return SweepResult(point, error=traceback.format_exc())


def dask_sweep(function, points, scheduler=None, n_workers=None, retries=0, progress=False):
    """Evaluate ``function(point)`` for every point on the workers of a Dask cluster.

    Parameters
    ----------
    function : callable
        Builds and runs a network for one parameter point and returns what to
        keep (numbers, arrays). Sent to the workers with cloudpickle, so a
        function defined in the script itself works.
    points : iterable
        The parameter points, e.g. dicts.
    scheduler : str or distributed.Client, optional
        Where to run: None (default) starts a ``LocalCluster`` of ``n_workers``
        single-threaded worker processes on this machine and closes it at the
        end; an address such as ``'tcp://10.0.0.5:8786'`` connects to a running
        scheduler; a ``Client`` is used as it is (and left open).
    n_workers : int, optional
        Workers of the local cluster (default: the number of CPUs); only with
        ``scheduler=None``.
    retries : int, optional
        How often Dask reruns a point whose worker died (default 0). A point
        that raises is not retried: the error is in the result.
    progress : bool, optional
        Print a line per finished point.

    Returns
    -------
    list of SweepResult
        In the order of ``points``. A point that raised, or whose worker died,
        has ``ok == False`` and the traceback in ``error``; the other points
        are unaffected.

    Examples
    --------
    >>> from neurosim.dask_sweep import dask_sweep
    >>> results = dask_sweep(abs, [-1, 2], n_workers=1)     # doctest: +SKIP
    >>> [r.value for r in results]                          # doctest: +SKIP
    [1, 2]
    """
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as err:
        raise ImportError("dask_sweep needs dask.distributed: pip install "
                          "'neurosim[dask]' (or 'dask[distributed]')") from err
    points = list(points)
    if n_workers is not None and (not isinstance(n_workers, int) or n_workers < 1):
        raise ValueError(f"n_workers={n_workers!r} must be a positive integer or None")
    if n_workers is not None and scheduler is not None:
        raise ValueError(f"n_workers={n_workers!r} applies to the local cluster only; with "
                         "scheduler= the cluster already has its workers")
    if not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries={retries!r} must be an integer >= 0")
    cluster = None
    if scheduler is None:
        # compile here first, so that the local workers only load numba's cache
        _precompile_once()
        cluster = LocalCluster(n_workers=n_workers or os.cpu_count() or 1,
                               threads_per_worker=1, processes=True, dashboard_address=":0")
        client = Client(cluster)
    elif isinstance(scheduler, str):
        client = Client(scheduler)
    elif isinstance(scheduler, Client):
        client = scheduler
    else:
        raise TypeError(f"scheduler={scheduler!r} must be None, a scheduler address such as "
                        "'tcp://host:8786', or a distributed.Client")
    try:
        futures = [client.submit(_call, function, p, pure=False, retries=retries)
                   for p in points]
        where = {f.key: k for k, f in enumerate(futures)}
        results = [None] * len(points)
        for future in as_completed(futures):
            k = where[future.key]
            try:
                results[k] = future.result()
            except Exception:   # the worker died (killed, out of memory) or was lost
                results[k] = SweepResult(points[k], error=traceback.format_exc())
            if progress:
                print(f"[neurosim] point {k}: {'ok' if results[k].ok else 'failed'} "
                      f"({sum(r is not None for r in results)}/{len(points)})", flush=True)
        return results
    finally:
        if cluster is not None:
            client.close()
            cluster.close()
        elif isinstance(scheduler, str):
            client.close()
