"""Guarded, lazy access to ``numba.cuda`` (the ``numba-cuda`` package, extra ``neurosim[cuda]``).

``numba.cuda`` is imported at first use (``_cuda.cuda``), not with neurosim:
importing it takes about 0.5 s, a third of ``import neurosim``, which CPU users
should not pay. Without a GPU, ``NUMBA_ENABLE_CUDASIM=1`` (set before numba is
imported) runs the same kernels in numba's simulator.
"""
import numpy as np

# numba-cuda up to 0.30 registers an overload for ``np.row_stack`` when it compiles
# its first kernel; NumPy 2.5 removed that alias of ``np.vstack``, so every launch
# failed with AttributeError (seen with numba-cuda 0.30.4 and NumPy 2.5.2 on an H100).
if not hasattr(np, "row_stack"):
    np.row_stack = np.vstack

_IMPORT_ERROR = None


def _load():
    """``numba.cuda``, or None when it cannot be imported (the reason kept)."""
    global cuda, _IMPORT_ERROR
    if "cuda" not in globals():
        try:
            from numba import cuda
        except Exception as exc:  # numba built without CUDA support, or numba-cuda broken
            cuda = None
            _IMPORT_ERROR = exc
    return cuda


def __getattr__(name):
    # module attribute ``cuda`` on first access (PEP 562); afterwards a plain global
    if name == "cuda":
        return _load()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def why_unavailable():
    """Why CUDA cannot run here, or None when it can."""
    if _load() is None:
        return f"numba.cuda cannot be imported ({_IMPORT_ERROR}); install neurosim[cuda]"
    try:
        if cuda.is_available():
            return None
    except Exception as exc:
        return f"the CUDA driver failed: {exc}"
    return ("no CUDA GPU or driver was found (numba.cuda.is_available() is False); set "
            "NUMBA_ENABLE_CUDASIM=1 before importing neurosim to use numba's simulator")


def simulator_enabled():
    from numba import config
    return bool(config.ENABLE_CUDASIM)
