"""Parameter sweeps over processes, with failures reported per point.

Compiled kernels are cached on disk by numba, so worker processes load them
instead of compiling; and within one network, rates, currents, weights and
state can change between runs without compiling anything (see
``PoissonGroup.rates``, ``CurrentInput.amplitude``, ``Synapses.weight``).
"""
import concurrent.futures as cf
import multiprocessing
import os
import traceback
from dataclasses import dataclass
from typing import Any

__all__ = ["sweep", "SweepResult"]


@dataclass
class SweepResult:
    """The outcome of one point: ``value`` when it worked, else ``error`` (a traceback).

    Parameters
    ----------
    point : object
        The parameter point, as given to :func:`sweep`.
    value : object, optional
        What the function returned; None if it raised.
    error : str, optional
        The traceback of the exception the function raised; None if it worked.

    Examples
    --------
    >>> from neurosim.sweep import sweep
    >>> good, bad = sweep(int, ["4", "four"], processes=1)
    >>> good.ok, good.value
    (True, 4)
    >>> bad.ok, bad.error.splitlines()[-1]
    (False, "ValueError: invalid literal for int() with base 10: 'four'")
    """

    point: Any
    value: Any = None
    error: str = None

    @property
    def ok(self):
        """True when the function returned a value, False when it raised."""
        return self.error is None


def _call(function, point):
    try:
        return SweepResult(point, value=function(point))
    except Exception:
        return SweepResult(point, error=traceback.format_exc())


def sweep(function, points, processes=None):
    """Evaluate ``function(point)`` for every point, in parallel processes.

    Parameters
    ----------
    function : callable
        A module-level function (picklable) that builds and runs a network for one
        parameter point and returns what to keep (arrays, numbers).
    points : iterable
        The parameter points, e.g. dicts.
    processes : int, optional
        Worker processes; default the number of CPUs. ``processes=1`` runs in this
        process, one point after the other.

    Returns
    -------
    list of SweepResult
        In the order of ``points``. A point that raised has ``ok == False`` and
        its traceback in ``error``; the other points are unaffected.

    Examples
    --------
    >>> from neurosim.sweep import sweep
    >>> [r.value for r in sweep(abs, [-1, 2], processes=1)]
    [1, 2]
    """
    points = list(points)
    processes = processes or os.cpu_count() or 1
    if processes == 1:
        return [_call(function, p) for p in points]
    # compile here once, so that the workers only load numba's disk cache (concurrent
    # compilations of one function can corrupt that cache)
    from ._precompile import precompile
    precompile(distributed=False)
    # "spawn": a forked child of a process whose numba threads are running can hang
    context = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        futures = [pool.submit(_call, function, p) for p in points]
        results = []
        for point, future in zip(points, futures):
            try:
                results.append(future.result())
            except Exception:        # the worker itself died (e.g. killed, out of memory)
                results.append(SweepResult(point, error=traceback.format_exc()))
        return results
