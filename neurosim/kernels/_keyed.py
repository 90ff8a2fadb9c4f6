"""Keyed samplers for the build: each value a function of its key alone.

Every draw of the build is ``keyed_bits(key, index)`` (``_rng``) for a key of
(network seed, stream, row) and an index that counts the draws of one synapse
(its position in the row, shifted left 32 bits, plus the number of draws it has
used so far). A value therefore depends on its (seed, projection, row, position)
only, never on the thread or the MPI rank that draws it or on the other rows, so
one row can be drawn again alone (procedural connectivity).

* :func:`unit`, :func:`unit_open`: uniforms in [0, 1) and (0, 1), 53 bits;
* :func:`below`: an integer in ``[0, n)`` (``floor(u n)``, bias below 2**-22);
* :func:`std_normal`: a standard normal by the ziggurat method (Marsaglia & Tsang
  2000, in Doornik's 2005 form with 128 layers): one draw for 98.8 % of the values;
* :func:`draw`: a value of a weight or delay specification (constant, uniform,
  normal truncated by redrawing, or read from an array), by its kind code.

All are ``register_jitable``: callable from numba code on every target.
"""
import math

import numpy as np
from numba.extending import register_jitable

from ._rng import keyed_bits

__all__ = ["CONSTANT", "UNIFORM", "NORMAL", "ARRAY", "unit", "unit_open", "below",
           "std_normal", "normal", "draw", "synapse_index"]

# kinds of a weight or delay specification (``draw``); ``prm`` holds its parameters:
# CONSTANT (value), UNIFORM (low, high), NORMAL (mean, std, low, high), ARRAY (-)
CONSTANT, UNIFORM, NORMAL, ARRAY = 0, 1, 2, 3

_TO_UNIT = 1.0 / 9007199254740992.0      # 2**-53
_TO_HALF = 1.0 / 70368744177664.0        # 2**-46
_ZIG_R = 3.442619855899                  # start of the tail
_ZIG_V = 9.91256303526217e-3             # area of each layer


def _ziggurat_tables(c=128):
    """Right edges ``x`` of the ziggurat's layers (``x[0]`` the base's equivalent width)
    and the ratios ``x[i + 1] / x[i]`` below which a draw of layer ``i`` is accepted."""
    x = np.zeros(c + 1)
    f = math.exp(-0.5 * _ZIG_R * _ZIG_R)
    x[0], x[1] = _ZIG_V / f, _ZIG_R
    for i in range(2, c):
        x[i] = math.sqrt(-2.0 * math.log(_ZIG_V / x[i - 1] + f))
        f = math.exp(-0.5 * x[i] * x[i])
    return x, x[1:] / x[:-1]


_ZIG_X, _ZIG_RATIO = _ziggurat_tables()


@register_jitable
def synapse_index(position):
    """The first draw index of the synapse at ``position`` in its row."""
    return np.uint64(position) << np.uint64(32)


@register_jitable
def unit(key, index):
    """A uniform draw in [0, 1) for ``index`` under ``key``."""
    return np.float64(keyed_bits(key, index)) * _TO_UNIT


@register_jitable
def unit_open(key, index):
    """A uniform draw in (0, 1) (never 0: safe for a logarithm)."""
    return (np.float64(keyed_bits(key, index)) + 0.5) * _TO_UNIT


@register_jitable
def below(key, index, n):
    """An integer in ``[0, n)``, uniform up to a bias of ``n`` 2**-53."""
    v = np.int64(unit(key, index) * n)
    return v if v < n else n - 1


@register_jitable
def std_normal(key, index):
    """A standard normal drawn from the indices ``index, index + 1, ...``.

    Returns the value and the next unused index.
    """
    c = np.uint64(index)
    one = np.uint64(1)
    while True:
        b = keyed_bits(key, c)
        c += one
        i = b & 127
        u = 2.0 * ((np.float64(b >> 7) + 0.5) * _TO_HALF) - 1.0     # in (-1, 1)
        if abs(u) < _ZIG_RATIO[i]:
            return u * _ZIG_X[i], c
        if i == 0:                       # the base layer: a value from the tail
            while True:
                x = math.log(unit_open(key, c)) / _ZIG_R
                y = math.log(unit_open(key, c + one))
                c += np.uint64(2)
                if -2.0 * y >= x * x:
                    break
            return (x - _ZIG_R if u < 0.0 else _ZIG_R - x), c
        x = u * _ZIG_X[i]                # in the wedge of layer i: accept under the curve
        f0 = math.exp(-0.5 * (_ZIG_X[i] * _ZIG_X[i] - x * x))
        f1 = math.exp(-0.5 * (_ZIG_X[i + 1] * _ZIG_X[i + 1] - x * x))
        w = unit(key, c)
        c += one
        if f1 + w * (f0 - f1) < 1.0:
            return x, c


@register_jitable
def normal(key, index, mean, std, low, high):
    """A normal value in ``[low, high]``, drawn again (never clipped) while outside."""
    c = np.uint64(index)
    while True:
        z, c = std_normal(key, c)
        x = mean + std * z
        if low <= x <= high:
            return x


@register_jitable
def draw(kind, prm, values, at, key, position):
    """The value of a specification for the synapse at ``position`` of a row.

    Parameters
    ----------
    kind : int
        ``CONSTANT``, ``UNIFORM``, ``NORMAL`` or ``ARRAY``.
    prm : ndarray of float64
        Its parameters (see the kinds), in the unit of the quantity.
    values : ndarray of float64
        For ``ARRAY``: one value per synapse of the projection, read at ``at``.
    at : int
        The synapse's index in the projection (``ARRAY`` only).
    key : uint64
        The row's key (``step_key(seed, stream, row)``).
    position : int
        The synapse's position in its row.
    """
    if kind == CONSTANT:
        return prm[0]
    if kind == UNIFORM:
        return prm[0] + (prm[1] - prm[0]) * unit(key, synapse_index(position))
    if kind == NORMAL:
        return normal(key, synapse_index(position), prm[0], prm[1], prm[2], prm[3])
    return values[at]
