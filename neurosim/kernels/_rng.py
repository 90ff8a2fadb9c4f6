"""Counter-based random numbers: ``u = hash(seed, stream, step, index)``.

Written once as a scalar function (compiled by numba) and once over numpy
uint64 arrays. Because a draw depends only on its key, every backend and every
thread count sees the same numbers. The hash is SplitMix64's finaliser applied
to the key words in turn. The first two rounds depend on ``(seed, stream,
step)`` only: loops that draw for many indices compute them once
(:func:`step_key`) and mix only the index (:func:`keyed_bits`), which gives the
same numbers as :func:`uniform` for a third of the work. ``register_jitable`` makes the scalar version callable
from numba code on every target (CPU and CUDA). All arithmetic stays in uint64 (numba would promote
``uint64 op int64`` to float64, so every constant is a ``np.uint64``).
"""
import numpy as np
from numba.extending import register_jitable

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0   # 2**-53


@register_jitable
def _mix(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@register_jitable
def step_key(seed, stream, step):
    """The part of the hash shared by all indices of ``(seed, stream, step)`` (uint64)."""
    z = _mix(np.uint64(seed) + _GOLDEN * np.uint64(stream + 1))
    return _mix(z ^ (np.uint64(step) * _GOLDEN))


@register_jitable
def keyed_bits(key, index):
    """53 random bits (an int64 in ``[0, 2**53)``) for ``index`` under ``key``."""
    z = _mix(key ^ (np.uint64(index) + _GOLDEN))
    return np.int64(z >> _S11)


@register_jitable
def uniform(seed, stream, step, index):
    """One uniform draw in [0, 1) for the key ``(seed, stream, step, index)``."""
    return np.float64(keyed_bits(step_key(seed, stream, step), index)) * _TO_UNIT


def keyed_bits_numpy(seed, stream, step, index):
    """Vectorised twin of :func:`keyed_bits` (with its :func:`step_key`) over ``index``."""
    index = np.asarray(index, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = _mix_numpy(np.uint64(seed) + _GOLDEN * np.uint64(stream + 1))
        z = _mix_numpy(z ^ (np.uint64(step) * _GOLDEN))
        z = _mix_numpy(z ^ (index + _GOLDEN))
    return (z >> _S11).astype(np.int64)


def uniform_numpy(seed, stream, step, index):
    """Vectorised twin of :func:`uniform` over an array of ``index``."""
    return keyed_bits_numpy(seed, stream, step, index).astype(np.float64) * _TO_UNIT


def _mix_numpy(z):
    z = np.asarray(z, dtype=np.uint64)
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)
