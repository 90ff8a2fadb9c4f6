"""Global settings: get_config / set_config / config_context (as scikit-learn)."""
import numbers
import os
import threading
from contextlib import contextmanager

from ._validation import check_int

__all__ = ["get_config", "set_config", "config_context"]

def _default_cache_dir():
    # where engines compiled for models beyond the built-in ones are kept (and numba's
    # cache of them): $NEUROSIM_CACHE_DIR, else the user's cache folder
    if os.environ.get("NEUROSIM_CACHE_DIR"):
        return os.environ["NEUROSIM_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "neurosim")


_DEFAULTS = {"backend": "numba", "progress": False, "n_threads": None, "max_memory": None,
             "cache_dir": _default_cache_dir(), "check_finite": True}
# The names neurosim.backends.get_backend accepts. Spelled out here rather than read
# from neurosim.backends, which imports this module (a cycle);
# tests/test_workflow_faults.py checks that the two agree.
_BACKEND_NAMES = ("numpy", "numba", "cuda", "auto")
_local = threading.local()


def _current():
    if not hasattr(_local, "config"):
        _local.config = dict(_DEFAULTS)
    return _local.config


def get_config():
    """A copy of the current settings.

    Returns
    -------
    dict
        Keys: ``backend`` (``'numba'``, ``'numpy'``, ``'cuda'`` or ``'auto'``),
        ``progress`` (bool), ``n_threads`` (None = choose by network size),
        ``max_memory`` (bytes a network may use; None = the memory available now),
        ``cache_dir`` (the folder of the engines compiled for neuron models beyond
        the built-in ones; default ``$NEUROSIM_CACHE_DIR``, else
        ``~/.cache/neurosim``), ``check_finite`` (bool: stop a run whose state
        becomes NaN or infinite, checked after every slice of the compiled loop).

    Examples
    --------
    >>> import neurosim as ns
    >>> sorted(ns.get_config())
    ['backend', 'cache_dir', 'check_finite', 'max_memory', 'n_threads', 'progress']
    >>> ns.get_config()["backend"]
    'numba'
    """
    return dict(_current())


def set_config(**settings):
    """Change settings for this thread, e.g. ``set_config(backend="numpy")``.

    Parameters
    ----------
    **settings
        New values by key, as listed by :func:`get_config`.

    Raises
    ------
    ValueError
        If a key is not one of :func:`get_config`'s, or a value is out of range:
        ``backend`` not one of ``'numpy'``, ``'numba'``, ``'cuda'``, ``'auto'``;
        ``n_threads`` below 1; ``max_memory`` not a number of bytes > 0. Nothing
        is changed then.
    TypeError
        If ``progress`` or ``check_finite`` is not a bool, ``n_threads`` not an integer, or
        ``cache_dir`` not a path.

    Examples
    --------
    >>> import neurosim as ns
    >>> ns.set_config(progress=True)
    >>> ns.get_config()["progress"]
    True
    >>> ns.set_config(progress=False)
    """
    unknown = set(settings) - set(_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown setting(s) {sorted(unknown)}; known: {sorted(_DEFAULTS)}")
    for key, value in settings.items():
        _check(key, value)
    _current().update(settings)


def _check(key, value):
    """Refuse a setting that would only fail (or be silently reinterpreted) at run time."""
    if key == "backend":
        # whether the backend can run here is checked at run time, where the reason
        # (no GPU, no driver) is known; a name that can never work is refused now
        if not isinstance(value, str) or value not in _BACKEND_NAMES:
            allowed = ", ".join(repr(n) for n in _BACKEND_NAMES)
            raise ValueError(f"backend={value!r} must be one of {allowed}")
    elif key == "n_threads" and value is not None:
        check_int("n_threads", value, minimum=1)
    elif key == "max_memory" and value is not None:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
            raise ValueError(f"max_memory={value!r} must be a number of bytes > 0, or None "
                             "for the memory available")
    elif key in ("progress", "check_finite") and not isinstance(value, bool):
        raise TypeError(f"{key}={value!r} must be True or False")
    elif key == "cache_dir" and not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"cache_dir={value!r} must be a path (str or os.PathLike)")


@contextmanager
def config_context(**settings):
    """Temporarily change settings: ``with config_context(backend="numpy"): ...``.

    Parameters
    ----------
    **settings
        New values by key, as listed by :func:`get_config`; the old ones come
        back when the ``with`` block ends.

    Yields
    ------
    None
        The block runs with the changed settings.

    Raises
    ------
    ValueError, TypeError
        As :func:`set_config`, before the block runs and with nothing changed.

    Examples
    --------
    >>> import neurosim as ns
    >>> with ns.config_context(backend="numpy"):
    ...     print(ns.get_config()["backend"])
    numpy
    >>> ns.get_config()["backend"]
    'numba'
    """
    old = get_config()
    set_config(**settings)
    try:
        yield
    finally:
        _current().clear()
        _current().update(old)
