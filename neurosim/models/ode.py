"""ODEModel: a neuron model given as the right-hand side of its differential equations.

As in Brian2, the dynamics are written as equations and an integration method
builds the step; here the equations are a plain Python function, which numba
compiles with the step for the CPU, the MPI rank loop and the GPU:

.. code-block:: python

    class AdaptiveExpLIF(ns.ODEModel):
        parameters = ("tau_m", "e_l", "v_t", "delta_t", "v_reset", "v_peak", ...)
        extra_state = ("w",)
        method = "euler"

        @staticmethod
        def derivatives(v, ge, gi, w, i_ext, p):
            dv = (p.e_l - v + p.delta_t * exp((v - p.v_t) / p.delta_t) - w + ...) / p.tau_m
            ...
            return dv, dge, dgi, dw

        @staticmethod
        def threshold(v, ge, gi, w, p):
            return v > p.v_peak

        @staticmethod
        def reset(v, ge, gi, w, p):
            return p.v_reset, ge, gi, w + p.b

The step of one neuron (``scalar_update``) is generated from these: the method's
stages, ``v`` held while refractory (Brian2's ``(unless refractory)`` on ``v``;
the other variables go on), the threshold on the new state, the reset, and the
refractory counter (``p.n_ref`` steps). Every model gets the per-step parameters
``dt`` (seconds) and ``n_ref`` (steps) in addition to its own.

Methods
-------
``"euler"``
    ``x' = x + dt f(x)``.
``"rk2"``
    The midpoint method: ``x' = x + dt f(x + dt/2 f(x))`` (Brian2's ``rk2``).
``"rk4"``
    The classical fourth-order Runge-Kutta method.
``"exponential_euler"``
    Each variable is taken as linear in itself, ``dx/dt = A + B x`` with ``A``
    and ``B`` evaluated at the old state, and advanced exactly:
    ``x' = (x + A/B) exp(B dt) - A/B`` (``x + dt A`` where ``B = 0``; Brian2's
    ``exponential_euler``, for Hodgkin-Huxley gating variables and conductance
    synapses). A model that gives ``linear_coefficients`` (``A`` and ``B`` of every
    variable, as Brian2 derives them symbolically) is stepped from them: one
    evaluation of each rate and one ``exp`` per variable. Otherwise ``B`` is
    measured from ``derivatives``, ``B = f(x + 1) - f(x)``, and the step computed
    as ``x + f(x) (exp(B dt) - 1)/B``: one more evaluation per variable.
``"exact"``
    For a system linear with constant coefficients, ``dx/dt = M x + c0 + c1 i_ext``
    (Brian2's ``exact``): advanced by its propagator, ``x' = P x + q0 + q1 i_ext``
    with ``P = expm(M dt)``, exact for an input constant over the step. ``M``,
    ``c0`` and ``c1`` are measured on the host by evaluating ``derivatives`` (at
    the zero state and the unit vectors), once per model and ``dt``, after a
    check that the system is linear (``neurosim/models/_exact.py``); ``P``,
    ``q0`` and ``q1`` are per-step parameters, so the step is sums of products.
"""
import inspect
import math
import textwrap

from numba import njit

from ._base import NeuronModel, refractory_steps
from ._exact import exact_parameter_names, exact_parameter_values, exact_step

__all__ = ["ODEModel"]

METHODS = ("euler", "rk2", "rk4", "exponential_euler", "exact")


def _stage(names, base, scale, slopes):
    """``name_i = base_i + scale * slope_i`` for every variable, as code lines."""
    return [f"    {n} = {b} + {scale} * {s}" for n, b, s in zip(names, base, slopes)]


def _coefficient_step(n_vars):
    """Exponential Euler from the model's ``linear_coefficients``: ``a{j}``, ``b{j}``."""
    x = ", ".join(f"x{j}" for j in range(n_vars))
    lines = [f"    {', '.join(f'a{j}, b{j}' for j in range(n_vars))}, = "
             f"_linear_coefficients({x}, i_ext, p)"]
    for j in range(n_vars):
        # Brian2's form, (x + a/b) exp(b dt) - a/b: a variable that decays (a = 0)
        # gets x exp(b dt), Brian2's bits; the quotient guarded so that both sides
        # of the select are safe to evaluate (a select, not a branch)
        lines.append(f"    q{j} = a{j} / b{j} if b{j} != 0.0 else 0.0")
        lines.append(f"    y{j} = (x{j} + q{j}) * exp(b{j} * p.dt) - q{j} if b{j} != 0.0 "
                     f"else x{j} + p.dt * a{j}")
    return lines


def _step_source(n_vars, method, coefficients=False, hold_v=True):
    """The body of the generated update: from the state ``x0..`` to ``y0..``;
    ``coefficients``: the model gives ``linear_coefficients`` (exponential Euler);
    ``hold_v``: ``v`` is held while refractory (the exact step then has a second
    propagator for the other variables)."""
    x = [f"x{j}" for j in range(n_vars)]
    call = "_derivatives({}, i_ext, p)"
    lines = []
    if method == "exact":
        lines += exact_step(n_vars, hold_v)
    elif method == "exponential_euler" and coefficients:
        lines += _coefficient_step(n_vars)
    elif method == "euler":
        lines.append(f"    {', '.join(f'k{j}' for j in range(n_vars))}, = {call.format(', '.join(x))}")
        lines += _stage([f"y{j}" for j in range(n_vars)], x, "p.dt",
                        [f"k{j}" for j in range(n_vars)])
    elif method == "rk2":
        lines.append(f"    {', '.join(f'k{j}' for j in range(n_vars))}, = {call.format(', '.join(x))}")
        lines += _stage([f"h{j}" for j in range(n_vars)], x, "0.5 * p.dt",
                        [f"k{j}" for j in range(n_vars)])
        lines.append(f"    {', '.join(f'm{j}' for j in range(n_vars))}, = "
                     f"{call.format(', '.join(f'h{j}' for j in range(n_vars)))}")
        lines += _stage([f"y{j}" for j in range(n_vars)], x, "p.dt",
                        [f"m{j}" for j in range(n_vars)])
    elif method == "rk4":
        prev = x
        for s, (scale, name) in enumerate([(None, "a"), ("0.5 * p.dt", "b"),
                                           ("0.5 * p.dt", "c"), ("p.dt", "d")]):
            if s:
                lines += _stage([f"s{s}_{j}" for j in range(n_vars)], x, scale,
                                [f"{'abc'[s - 1]}{j}" for j in range(n_vars)])
                prev = [f"s{s}_{j}" for j in range(n_vars)]
            lines.append(f"    {', '.join(f'{name}{j}' for j in range(n_vars))}, = "
                         f"{call.format(', '.join(prev))}")
        lines += [f"    y{j} = x{j} + p.dt / 6.0 * (a{j} + 2.0 * b{j} + 2.0 * c{j} + d{j})"
                  for j in range(n_vars)]
    elif method == "exponential_euler":
        lines.append(f"    {', '.join(f'k{j}' for j in range(n_vars))}, = {call.format(', '.join(x))}")
        for j in range(n_vars):
            shifted = ", ".join(f"{x[i]} + 1.0" if i == j else x[i] for i in range(n_vars))
            # the slope of f_j in x_j (f_j is linear in x_j)
            lines.append(f"    b{j} = {call.format(shifted)}[{j}] - k{j}")
            # x' = x + f (exp(b dt) - 1) / b, which is -a/b + (x + a/b) exp(b dt) with
            # a = f - b x; b == 0: the variable does not depend on itself, dt f
            lines.append(f"    y{j} = x{j} + p.dt * k{j} if b{j} == 0.0 else "
                         f"x{j} + k{j} * (exp(b{j} * p.dt) - 1.0) / b{j}")
    else:
        raise ValueError(f"method={method!r} must be one of {METHODS}")
    return lines


def _update_source(n_extra, method, hold_v, coefficients=False):
    """The source of the scalar update of a model with ``n_extra`` extra variables
    (``coefficients``: see :func:`_step_source`)."""
    n_vars = 3 + n_extra
    x = [f"x{j}" for j in range(n_vars)]
    y = [f"y{j}" for j in range(n_vars)]
    args = ", ".join(x[:3] + ["ref"] + x[3:])
    lines = [f"def update({args}, i_ext, p, seed, step, k):",
             "    ref = ref - 1 if ref > 0 else ref",
             "    free = ref == 0"]
    lines += _step_source(n_vars, method, coefficients, hold_v)
    if hold_v:
        lines.append("    y0 = y0 if free else x0            # v held while refractory")
    lines += [f"    spiked = free & _threshold({', '.join(y)}, p)",
              f"    {', '.join(f'r{j}' for j in range(n_vars))}, = _reset({', '.join(y)}, p)"]
    lines += [f"    y{j} = r{j} if spiked else y{j}" for j in range(n_vars)]
    lines += ["    ref = int(p.n_ref) if spiked else ref",
              f"    return {', '.join(y[:3] + ['ref'] + y[3:])}, spiked"]
    return "\n".join(lines) + "\n"


class ODEModel(NeuronModel):
    """A neuron model given by its differential equations and an integration method.

    Subclasses set ``parameters`` (their own per-step parameters; ``dt`` and
    ``n_ref`` are added), ``extra_state``, ``state_variables``, ``method`` (one of
    ``'euler'``, ``'rk2'``, ``'rk4'``, ``'exponential_euler'``, ``'exact'``) and
    three static functions of plain Python that numba compiles:

    * ``derivatives(v, ge, gi, *extra, i_ext, p)``: the time derivatives of ``v``,
      ``ge``, ``gi`` and the extra variables (per second, SI units), a tuple in
      that order;
    * ``threshold(v, ge, gi, *extra, p)``: whether the neuron spikes (on the state
      after the step);
    * ``reset(v, ge, gi, *extra, p)``: the state after a spike, a tuple;

    optionally, for ``method = "exponential_euler"``,

    * ``linear_coefficients(v, ge, gi, *extra, i_ext, p)``: for each variable ``x``
      in the order of ``derivatives``, ``A`` and ``B`` of ``dx/dt = A + B x``
      (``A`` per second in the variable's unit, ``B`` per second), neither
      depending on ``x``: a flat tuple ``(A_v, B_v, A_ge, B_ge, ...)``. The step is
      then computed from them (each rate once) rather than from ``derivatives``,
      which stays the model's definition (Brian2's equations are written from it);
      the two must agree (``A + B x == derivatives(...)`` up to rounding).

    With ``method = "exact"`` the system must be linear with constant coefficients
    in its state and ``i_ext`` (see the module); a model that is not is refused
    at its first build, with the variable in which it is not linear.

    Subclasses implement ``step_parameters(dt)`` (``{name: value}`` of their own
    parameters) and, for refractoriness, an attribute ``refractory`` (seconds): no
    spike for that long after one, and ``v`` is held meanwhile unless the class
    sets ``hold_v = False``; the other variables go on.

    The generated step is ``scalar_update`` (its source: ``update_source``); the
    numpy backend runs it interpreted, neuron by neuron, unless the subclass
    gives a ``vector_update``.

    Examples
    --------
    A leaky integrator written as its equation (forward Euler):

    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV, volt
    >>> class Leaky(ns.ODEModel):
    ...     parameters = ("tau", "v_th")
    ...     state_variables = {"v": ("v", volt, 0.0)}
    ...     weight_unit = current_unit = volt
    ...     method = "euler"
    ...     @staticmethod
    ...     def derivatives(v, ge, gi, i_ext, p):
    ...         return (i_ext - v) / p.tau, 0.0, 0.0
    ...     @staticmethod
    ...     def threshold(v, ge, gi, p):
    ...         return v > p.v_th
    ...     @staticmethod
    ...     def reset(v, ge, gi, p):
    ...         return 0.0, ge, gi
    ...     def step_parameters(self, dt):
    ...         return {"tau": 10e-3, "v_th": 15e-3}
    >>> Leaky.method
    'euler'
    """

    method = "euler"
    # whether v is held while refractory (Brian2's ``(unless refractory)``); the
    # threshold is never crossed then either way
    hold_v = True
    derivatives = None
    threshold = None
    reset = None
    linear_coefficients = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.derivatives is None:
            return      # an intermediate base class
        for name in ("threshold", "reset"):
            if getattr(cls, name) is None:
                raise TypeError(f"{cls.__name__} defines derivatives but no {name}; an "
                                "ODEModel needs derivatives, threshold and reset")
        if cls.method not in METHODS:
            raise ValueError(f"{cls.__name__}.method={cls.method!r} must be one of {METHODS}")
        own = tuple(cls.__dict__.get("parameters", cls.parameters))
        clash = {"dt", "n_ref"} & set(own)
        if clash:
            raise ValueError(f"{cls.__name__}.parameters names {sorted(clash)}, which "
                             "ODEModel adds itself (the step and the refractory steps)")
        coefficients = cls.linear_coefficients is not None
        if coefficients and cls.method != "exponential_euler":
            raise ValueError(f"{cls.__name__} gives linear_coefficients, which only the "
                             f"method 'exponential_euler' uses (method={cls.method!r})")
        n_vars = 3 + len(cls.extra_state)
        # the exact step's propagator, computed on the host (parameter_values)
        generated = exact_parameter_names(n_vars, cls.hold_v) if cls.method == "exact" else ()
        clash = set(generated) & set(own)
        if clash:
            raise ValueError(f"{cls.__name__}.parameters names {sorted(clash)[:3]}..., which "
                             "the exact method adds itself (its propagator)")
        cls._generated_parameters = generated
        cls.parameters = own + generated + ("dt", "n_ref")
        cls.update_source = _update_source(len(cls.extra_state), cls.method, cls.hold_v,
                                           coefficients)
        names = ("derivatives", "threshold", "reset") + (
            ("linear_coefficients",) if coefficients else ())
        rules = {name: getattr(cls, name) for name in names}
        update = _make_update(cls, {f"_{k}": njit(inline="always")(f) for k, f in rules.items()})
        # what the engine's hash covers: the generated step and the user's rules
        # (and this file, which makes the step)
        update._neurosim_sources = [cls.update_source, _source_of(_make_update)] + [
            _source_of(f) for f in rules.values()]
        # the numpy backend's oracle runs the same step on the plain rules, interpreted
        update._interpreted = _make_update(cls, {f"_{k}": f for k, f in rules.items()})
        # compiled into the engines' loop over neurons (kernels._dispatch), so that its
        # loop-invariant parts (a constant decay's exp) are computed once per segment
        update._neurosim_inline = True
        cls.scalar_update = staticmethod(update)

    def step_parameters(self, dt):
        """The model's own per-step parameters for a step ``dt``; subclasses implement it.

        Parameters
        ----------
        dt : float
            The time step (seconds).

        Returns
        -------
        dict
            ``{name: float}`` for each of the subclass's ``parameters``.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement step_parameters(dt)")

    def parameter_values(self, dt):
        values = dict(self.step_parameters(dt))
        values.update(dt=dt, n_ref=refractory_steps(getattr(self, "refractory", 0.0), dt))
        if type(self).method == "exact":
            # per model instance: a group with parameters per neuron gets a
            # propagator per neuron (each neuron's model comes here)
            values.update(exact_parameter_values(self, values, dt))
        return values


def _make_update(cls, rules):
    """The generated step, its rules (compiled or plain) as its globals."""
    # math.exp: the C library's, which numba calls too (numpy's may differ in the last
    # bit), so that the interpreted step gives the compiled one's bits
    namespace = dict(rules, exp=math.exp)
    exec(compile(cls.update_source, f"<{cls.__name__}.scalar_update>", "exec"), namespace)
    update = namespace["update"]
    update.__qualname__ = f"{cls.__name__}.scalar_update"
    return update


def _source_of(func):
    """The text a rule depends on: its whole file (helpers count too), else its code."""
    try:
        return open(inspect.getsourcefile(func)).read()
    except (OSError, TypeError):
        try:
            return textwrap.dedent(inspect.getsource(func))
        except (OSError, TypeError):
            code = func.__code__
            return code.co_code.hex() + repr(code.co_consts)
