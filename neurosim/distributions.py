"""Distributions for initial values, weights and delays, drawn when a network is built.

Initial values are drawn with a numpy ``Generator`` (``sample``); weights and delays
by the build's compiled, keyed samplers (``kernels._keyed``), from the parameters
that ``_keyed_spec`` gives them.
"""
from math import erfc, sqrt

import numpy as np

from .kernels._keyed import NORMAL, UNIFORM


__all__ = ["Uniform", "Normal"]


class Uniform:
    """Values drawn uniformly from ``[low, high)``.

    Parameters
    ----------
    low, high : Quantity or float
        Bounds, with the unit of the quantity they describe; ``low < high``.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import mV
    >>> ns.Uniform(-60*mV, -50*mV)
    Uniform(low=-60. * mvolt, high=-50. * mvolt)
    """

    def __init__(self, low, high):
        self.low, self.high = low, high

    def sample(self, rng, size, name, convert):
        low, high = convert(f"{name}.low", self.low), convert(f"{name}.high", self.high)
        if not low < high:
            raise ValueError(f"{name}={self!r}: low must be < high")
        return rng.uniform(low, high, size)

    def _keyed_spec(self, name, convert):
        """``(UNIFORM, [low, high])`` for the keyed samplers, in SI units."""
        low, high = convert(f"{name}.low", self.low), convert(f"{name}.high", self.high)
        if not low < high:
            raise ValueError(f"{name}={self!r}: low must be < high")
        return UNIFORM, np.array([low, high], dtype=float)

    def __repr__(self):
        return f"Uniform(low={self.low!r}, high={self.high!r})"


class Normal:
    """Normally distributed values, optionally truncated to ``[low, high]`` by redrawing.

    Parameters
    ----------
    mean, std : Quantity or float
        Mean and standard deviation (``std >= 0``), in the unit of the quantity.
    low, high : Quantity or float, optional
        Truncation bounds. Values outside are drawn again (never clipped), as
        NEST's ``redraw`` does; the bounds must leave a probability of at least
        1e-6.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms
    >>> ns.Normal(1.5*ms, 0.75*ms, low=1*ms)
    Normal(mean=1.5 * msecond, std=0.75 * msecond, low=1. * msecond, high=None)
    """

    def __init__(self, mean, std, low=None, high=None):
        self.mean, self.std, self.low, self.high = mean, std, low, high

    def sample(self, rng, size, name, convert):
        mean = convert(f"{name}.mean", self.mean)
        std = convert(f"{name}.std", self.std)
        if std < 0:
            raise ValueError(f"{name}.std={self.std!r} must be >= 0")
        low = -np.inf if self.low is None else convert(f"{name}.low", self.low)
        high = np.inf if self.high is None else convert(f"{name}.high", self.high)
        if not low < high:
            raise ValueError(f"{name}={self!r}: low must be < high")
        values = rng.normal(mean, std, size)
        for _ in range(1000):
            bad = (values < low) | (values > high)
            n_bad = int(bad.sum())
            if n_bad == 0:
                return values
            values[bad] = rng.normal(mean, std, n_bad)
        raise ValueError(f"{name}={self!r}: the bounds leave almost no probability mass; "
                         "widen [low, high]")

    def _keyed_spec(self, name, convert):
        """``(NORMAL, [mean, std, low, high])`` for the keyed samplers, in SI units (the
        bounds +-inf when not given); refused when ``[low, high]`` holds a probability
        below 1e-6, which redrawing would take too long to hit."""
        mean = convert(f"{name}.mean", self.mean)
        std = convert(f"{name}.std", self.std)
        if std < 0:
            raise ValueError(f"{name}.std={self.std!r} must be >= 0")
        low = -np.inf if self.low is None else convert(f"{name}.low", self.low)
        high = np.inf if self.high is None else convert(f"{name}.high", self.high)
        if not low < high:
            raise ValueError(f"{name}={self!r}: low must be < high")
        if _normal_mass(mean, std, low, high) < 1e-6:
            raise ValueError(f"{name}={self!r}: the bounds leave almost no probability mass "
                             "(below 1e-6); widen [low, high]")
        return NORMAL, np.array([mean, std, low, high], dtype=float)

    def __repr__(self):
        return (f"Normal(mean={self.mean!r}, std={self.std!r}, low={self.low!r}, "
                f"high={self.high!r})")


def _normal_mass(mean, std, low, high):
    """The probability of ``[low, high]`` under a normal distribution."""
    if std == 0:
        return float(low <= mean <= high)
    a, b = (low - mean) / (std * sqrt(2)), (high - mean) / (std * sqrt(2))
    if a > 0:                    # both in the upper tail: differences of small erfc
        return 0.5 * (erfc(a) - erfc(b))
    if b < 0:
        return 0.5 * (erfc(-b) - erfc(-a))
    return 1.0 - 0.5 * (erfc(-a) + erfc(b))


def resolve(name, value, size, rng, convert):
    """Constant, array of length ``size`` or distribution -> float array of length ``size``."""
    if isinstance(value, (Uniform, Normal)):
        return np.asarray(value.sample(rng, size, name, convert), dtype=float)
    arr = np.asarray(convert(name, value), dtype=float)
    if arr.ndim == 0:
        return np.full(size, float(arr))
    if arr.shape != (size,):
        raise ValueError(f"{name} has shape {arr.shape}; expected a single value or an array "
                         f"of length {size}")
    return arr.copy()

