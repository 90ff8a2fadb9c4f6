"""The ``"exact"`` method of :class:`~neurosim.ODEModel`: linear systems, stepped by
their propagator.

A model with ``method = "exact"`` must be linear with constant coefficients in its
state ``x`` (``v``, ``ge``, ``gi`` and its extra variables) and in the injected
current ``i_ext``, for given parameters::

    dx/dt = M x + c0 + c1 i_ext.

On the host, once per model and ``dt`` (in ``parameter_values``), ``M``, ``c0``
and ``c1`` are measured by evaluating the plain ``derivatives`` at the zero state
and at the unit vectors; the system is checked to be linear at random states; and
the step is solved exactly with the matrix exponential of the augmented system,
in which ``i_ext`` and the constant 1 are variables that do not change::

    expm([[M, c0, c1], [0, 0, 0], [0, 0, 0]] dt) = [[P, q0, q1], [0, 1, 0], [0, 0, 1]].

The augmented form needs no inverse of ``M``, so a singular ``M`` (a variable
that does not decay, an integrator) is stepped exactly too. The generated step is
``y = P x + q0 + q1 i_ext``, exact for an input constant over each step. While
refractory, ``v`` is held (``hold_v``): Brian2's ``(unless refractory)`` sets
``dv/dt = 0``, so the other variables then follow a second propagator, the one
of the system with the row of ``v`` zeroed.
"""
import numpy as np
from scipy.linalg import expm

__all__ = ["exact_parameter_names", "exact_parameter_values", "exact_step"]

# the linearity check: random states (a fixed stream, so that a build is
# reproducible), and the tolerance relative to the size of each derivative
_N_PROBES = 3
_RTOL = 1e-9


def _names(n_vars, prefix, rows):
    """``{prefix}p{j}_{k}`` (the propagator), ``{prefix}q{j}`` (the constant term) and
    ``{prefix}u{j}`` (the term of ``i_ext``) for the rows ``j``."""
    out = [f"{prefix}p{j}_{k}" for j in rows for k in range(n_vars)]
    return out + [f"{prefix}q{j}" for j in rows] + [f"{prefix}u{j}" for j in rows]


def exact_parameter_names(n_vars, hold_v):
    """The per-step parameters of the exact step of ``n_vars`` variables.

    Parameters
    ----------
    n_vars : int
        The number of state variables (``v``, ``ge``, ``gi`` and the extra ones).
    hold_v : bool
        Whether ``v`` is held while refractory: then the other variables have a
        second propagator (``exact_r...``), that of the system with ``v`` frozen.

    Returns
    -------
    tuple of str
    """
    names = _names(n_vars, "exact_", range(n_vars))
    if hold_v:
        names += _names(n_vars, "exact_r", range(1, n_vars))
    return tuple(names)


def _row(prefix, j, n_vars):
    """``P_j . x + q_j + u_j i_ext``, summed left to right: the same operations on
    every backend, so that the numpy oracle gives the compiled step's bits."""
    terms = " + ".join(f"p.{prefix}p{j}_{k} * x{k}" for k in range(n_vars))
    return f"{terms} + p.{prefix}q{j} + p.{prefix}u{j} * i_ext"


def exact_step(n_vars, hold_v):
    """The lines of the generated step, from ``x0..`` (and ``free``) to ``y0..``."""
    lines = [f"    y0 = {_row('exact_', 0, n_vars)}"]
    for j in range(1, n_vars):
        if hold_v:
            lines.append(f"    y{j} = ({_row('exact_', j, n_vars)}) if free else "
                         f"({_row('exact_r', j, n_vars)})")
        else:
            lines.append(f"    y{j} = {_row('exact_', j, n_vars)}")
    return lines


def exact_parameter_values(model, values, dt):
    """The propagator of an exact model for a step ``dt``, as per-step parameters.

    Parameters
    ----------
    model : ODEModel
        A model instance whose class has ``method = "exact"``.
    values : dict
        Its other per-step parameters (``step_parameters(dt)``, ``dt``, ``n_ref``),
        which ``derivatives`` reads as ``p``.
    dt : float
        The time step (seconds).

    Returns
    -------
    dict
        ``{name: float}`` for each of ``exact_parameter_names``.

    Raises
    ------
    ValueError
        If the derivatives are not linear with constant coefficients in the state
        and ``i_ext``, or not finite; the message names the model and the variable.
    """
    cls = type(model)
    kernel = model.kernel
    n_vars = 3 + len(kernel.extra_state)
    # the rules read p as the engines give it: the named tuple (the propagator,
    # which is being computed, as NaN: a rule that read it would show)
    p = kernel.Parameters(*[values.get(name, np.nan) for name in kernel.parameters])
    names = _variable_names(model, kernel)
    m, c0, c1 = _linear_system(cls, p, n_vars, names)
    out = {}
    out.update(_propagate("exact_", range(n_vars), m, c0, c1, dt, n_vars))
    if cls.hold_v:
        frozen = m.copy()
        frozen[0] = 0.0
        out.update(_propagate("exact_r", range(1, n_vars), frozen, np.r_[0.0, c0[1:]],
                              np.r_[0.0, c1[1:]], dt, n_vars))
    return out


def _propagate(prefix, rows, m, c0, c1, dt, n_vars):
    """``P``, ``q0``, ``q1`` of ``rows`` from the augmented system's exponential."""
    augmented = np.zeros((n_vars + 2, n_vars + 2))
    augmented[:n_vars, :n_vars] = m
    augmented[:n_vars, n_vars] = c0
    augmented[:n_vars, n_vars + 1] = c1
    step = expm(augmented * dt)
    out = {}
    for j in rows:
        for k in range(n_vars):
            out[f"{prefix}p{j}_{k}"] = float(step[j, k])
        out[f"{prefix}q{j}"] = float(step[j, n_vars])
        out[f"{prefix}u{j}"] = float(step[j, n_vars + 1])
    return out


def _variable_names(model, kernel):
    """The public names of ``v``, ``ge``, ``gi`` and the extra variables (for messages)."""
    public = {internal: name for name, (internal, _, _) in model.state_variables.items()}
    return [public.get(x, x) for x in ("v", "ge", "gi") + kernel.extra_state]


def _linear_system(cls, p, n_vars, names):
    """``(M, c0, c1)`` measured from ``derivatives``, after checking that it is linear."""
    label = f"{cls.__name__} (method='exact')"

    def f(x, i_ext):
        try:
            out = cls.derivatives(*[float(a) for a in x], float(i_ext), p)
        except (ArithmeticError, ValueError) as err:
            raise ValueError(f"{label}: derivatives raised {type(err).__name__} ({err}) at "
                             f"the state {dict(zip(names, np.round(x, 3)))}, i_ext={i_ext:.3g};"
                             " the exact method needs a system linear in its state, and an "
                             "exponential or a division by a variable is not") from None
        out = np.asarray(out, dtype=float)
        if out.shape != (n_vars,):
            raise ValueError(f"{label}: derivatives returns {out.size} values; expected "
                             f"{n_vars} ({', '.join(names)})")
        return out

    zero = np.zeros(n_vars)
    c0 = f(zero, 0.0)
    c1 = f(zero, 1.0) - c0
    m = np.column_stack([f(np.eye(n_vars)[k], 0.0) - c0 for k in range(n_vars)])
    if not (np.isfinite(m).all() and np.isfinite(c0).all() and np.isfinite(c1).all()):
        raise ValueError(f"{label}: derivatives are not finite at the zero state or the unit "
                         "vectors, so the system has no constant coefficients to integrate")
    _check_linear(f, m, c0, c1, n_vars, names, label)
    return m, c0, c1


def _check_linear(f, m, c0, c1, n_vars, names, label):
    """Raise if ``f`` is not ``M x + c0 + c1 i_ext``: at random states, the change of
    ``f`` when one variable (or ``i_ext``) moves must be its column times the move,
    whatever the state, as for a linear system and for no other."""
    rng = np.random.default_rng(29)
    slopes = np.column_stack([m, c1])
    for _ in range(_N_PROBES):
        base = rng.uniform(-1.0, 1.0, n_vars + 1)       # the state, then i_ext
        f_base = f(base[:-1], base[-1])
        # each variable's column first (to name the variable), then the whole system
        for k in range(n_vars + 1):
            step = rng.uniform(0.1, 1.0)
            moved = base.copy()
            moved[k] += step
            f_moved = f(moved[:-1], moved[-1])
            scale = np.abs(f_moved) + np.abs(f_base) + np.abs(c0) + np.abs(slopes[:, k]) * step
            _compare(f_moved - f_base, slopes[:, k] * step, scale,
                     (names + ["i_ext"])[k], names, label)
        want = m @ base[:-1] + c0 + c1 * base[-1]
        _compare(f_base, want, np.abs(m) @ np.abs(base[:-1]) + np.abs(c0)
                 + np.abs(c1 * base[-1]), None, names, label)


def _compare(got, want, scale, variable, names, label):
    bad = np.abs(got - want) > _RTOL * scale + 1e-300
    if not bad.any():
        return
    j = int(np.argmax(bad))
    if variable is None:
        what = (f"in its state: d{names[j]}/dt is {got[j]:.6g} at a random state where "
                f"the linear system measured at zero and the unit vectors gives {want[j]:.6g}")
    else:
        what = (f"in {variable!r}: d{names[j]}/dt changes by {got[j]:.6g} when {variable} "
                f"moves, where a linear system with constant coefficients would change by "
                f"{want[j]:.6g}")
    raise ValueError(f"{label}: the system is not linear {what}. Use the method 'euler', "
                     "'rk2', 'rk4' or 'exponential_euler' for a non-linear model")
