"""Checks at the API edge. Every message names the parameter, the value and what is allowed."""
import numpy as np

from .units import DIMENSIONLESS, get_dimensions, second, volt, amp, siemens, Hz

_UNIT_NAMES = {
    get_dimensions(second): "a time (e.g. 5*ms)",
    get_dimensions(volt): "a voltage (e.g. -50*mV)",
    get_dimensions(amp): "a current (e.g. 100*pA)",
    get_dimensions(siemens): "a conductance (e.g. 10*nS)",
    get_dimensions(Hz): "a rate (e.g. 5*Hz)",
    DIMENSIONLESS: "a plain number",
}


def _describe(dim):
    return _UNIT_NAMES.get(dim, f"a quantity of dimension {dim}")


def to_si(name, value, unit, *, allow_array=False):
    """Convert a quantity with the dimension of ``unit`` to plain SI floats.

    Raises a ``TypeError`` naming ``name`` when the dimension is wrong and a
    ``ValueError`` when a value is NaN or infinite.
    """
    want = get_dimensions(unit) if unit is not None else DIMENSIONLESS
    try:
        got = get_dimensions(value)
    except Exception:  # lists of quantities and other odd types
        got = get_dimensions(np.asarray(value))
    if got != want:
        shown = _short(value)
        raise TypeError(f"{name}={shown} has the wrong unit: expected {_describe(want)}, "
                        f"got {_describe(got)}")
    arr = np.asarray(value, dtype=float)
    if arr.ndim > 0 and not allow_array:
        raise ValueError(f"{name}={_short(value)} must be a single value, not an array")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}={_short(value)} must be finite (no NaN or inf)")
    return float(arr) if arr.ndim == 0 else arr


def has_unit(value, unit):
    """Whether ``value`` has the dimension of ``unit`` (None: dimensionless)."""
    want = get_dimensions(unit) if unit is not None else DIMENSIONLESS
    try:
        got = get_dimensions(value)
    except Exception:
        try:
            got = get_dimensions(np.asarray(value))
        except Exception:
            return False
    return got == want


def check_positive(name, value, unit, *, strict=True, allow_none=False):
    """``to_si`` plus a sign check: > 0 (``strict``) or >= 0."""
    if value is None and allow_none:
        return None
    x = to_si(name, value, unit)
    if (x <= 0) if strict else (x < 0):
        raise ValueError(f"{name}={_short(value)} must be {'> 0' if strict else '>= 0'}")
    return x


def check_int(name, value, *, minimum=None):
    """An integer (Python or numpy), optionally >= ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}={value!r} must be an integer")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}={value!r} must be >= {minimum}")
    return int(value)


def check_probability(name, value):
    p = to_si(name, value, None)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}={value!r} is a probability and must lie in [0, 1]")
    return p


def steps_of(name, value_si, dt, *, exact=True):
    """Whole number of time steps in ``value_si`` seconds.

    With ``exact`` a value that ``dt`` does not divide is an error; without, it is
    rounded to the nearest step.
    """
    n = np.rint(np.asarray(value_si) / dt)
    if exact and np.any(np.abs(n * dt - value_si) > 1e-6 * dt):
        bad = np.asarray(value_si).ravel()[np.argmax(np.abs(n * dt - value_si).ravel())]
        raise ValueError(f"{name}={bad * 1e3:g} ms is not a whole number of time steps "
                         f"(dt={dt * 1e3:g} ms); use a multiple of dt")
    return n.astype(np.int64)


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_seed(name, value, *, allow_none=False):
    """A seed: an integer in [0, 2**63), the range the counter-based generator keys on."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or not 0 <= value < 2 ** 63:
        raise ValueError(f"{name}={value!r} must be an integer in [0, 2**63)"
                         + (" or None" if allow_none else ""))
    return int(value)


def check_bool(name, value, *, allow_none=False):
    """``True`` or ``False`` (numpy booleans too); ``'no'`` and ``1`` are refused."""
    if value is None and allow_none:
        return None
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r} must be True or False")
    return bool(value)
