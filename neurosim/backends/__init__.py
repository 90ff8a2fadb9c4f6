"""Backends: where and how the time loop runs.

``'numpy'`` is the vectorised reference, ``'numba'`` the compiled CPU loop,
``'cuda'`` the same step as GPU kernels (numba-cuda; numba's simulator without a
GPU when ``NUMBA_ENABLE_CUDASIM=1``). An
explicit choice never falls back silently; ``'auto'`` picks the first available
of ``cuda``, ``numba``, ``numpy`` and logs which.
"""
import logging

from .._config import get_config
from .cuda_backend import CudaBackend
from .numba_backend import NumbaBackend
from .numpy_backend import NumpyBackend

__all__ = ["get_backend", "available_backends"]

_BACKENDS = {"numpy": NumpyBackend, "numba": NumbaBackend, "cuda": CudaBackend}
_AUTO_ORDER = ("cuda", "numba", "numpy")
_log = logging.getLogger("neurosim")


def available_backends():
    """Names of the backends that can run here.

    Returns
    -------
    tuple of str
        A subset of ``('numpy', 'numba', 'cuda')``; ``'cuda'`` when a GPU (or
        numba's CUDA simulator) is usable.

    Examples
    --------
    >>> import neurosim as ns
    >>> {"numpy", "numba"} <= set(ns.available_backends())
    True
    """
    return tuple(name for name, cls in _BACKENDS.items() if cls.is_available())


def get_backend(name=None):
    """The backend called ``name`` (default: the configured one)."""
    name = name or get_config()["backend"]
    if name == "auto":
        name = next(n for n in _AUTO_ORDER if n in available_backends())
        _log.info("backend='auto' chose %r; pass backend=%r to silence this", name, name)
    if name not in _BACKENDS:
        raise ValueError(f"backend={name!r} is not one of {sorted(_BACKENDS)} or 'auto'")
    if not _BACKENDS[name].is_available():
        raise RuntimeError(f"backend={name!r} is unavailable ({_BACKENDS[name].why_unavailable()}); "
                           f"available: {available_backends()}")
    return _BACKENDS[name]()
