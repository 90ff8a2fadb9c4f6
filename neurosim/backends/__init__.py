"""Backends: where and how the time loop runs.

``'numpy'`` is the vectorised reference, ``'numba'`` the compiled CPU loop. An
explicit choice never falls back silently; ``'auto'`` picks the first available
of ``cuda``, ``numba``, ``numpy`` and logs which.
"""
import logging

from .._config import get_config
from .numba_backend import NumbaBackend
from .numpy_backend import NumpyBackend

__all__ = ["get_backend", "available_backends"]

_BACKENDS = {"numpy": NumpyBackend, "numba": NumbaBackend}
_AUTO_ORDER = ("cuda", "numba", "numpy")
_WHY_MISSING = {"cuda": "the CUDA backend is not part of this version of neurosim"}
_log = logging.getLogger("neurosim")


def available_backends():
    """Names of the backends that can run here."""
    return tuple(name for name, cls in _BACKENDS.items() if cls.is_available())


def get_backend(name=None):
    """The backend called ``name`` (default: the configured one)."""
    name = name or get_config()["backend"]
    if name == "auto":
        name = next(n for n in _AUTO_ORDER if n in available_backends())
        _log.info("backend='auto' chose %r; pass backend=%r to silence this", name, name)
    if name in _WHY_MISSING:
        raise RuntimeError(f"backend={name!r} is unavailable ({_WHY_MISSING[name]}); "
                           f"available: {available_backends()}")
    if name not in _BACKENDS:
        raise ValueError(f"backend={name!r} is not one of {sorted(_BACKENDS)} or 'auto'")
    return _BACKENDS[name]()
