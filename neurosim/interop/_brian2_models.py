"""How each neurosim neuron model is written in Brian2 equations.

:func:`_model_spec` gives, for one neurosim model, a :class:`_Spec`: the Brian2
equations, threshold, reset, refractoriness, integration method, the
``on_pre`` code of its excitatory and inhibitory synapses and the variables
that input is added to. :class:`~neurosim.interop.brian2.Brian2ExportError`,
raised for what has no exact Brian2 counterpart, is defined in
:mod:`neurosim.interop._brian2_errors`.

What each neurosim model becomes
--------------------------------
``LIF`` (exponential synapses)
    ``dv/dt = (v_rest - v + i_e - i_i + I_ext)/tau_m : volt (unless refractory)``,
    ``di_e/dt = -i_e/tau_e``, ``di_i/dt = -i_i/tau_i`` (volts), method
    ``'exact'``; threshold ``v > v_th``, reset ``v = v_reset`` (or ``v -= v_th - v_reset``
    for ``reset='subtract'``), ``refractory``.
    Synapses: ``on_pre='i_e_post += w'`` (``i_i_post`` for inhibitory ones).
    A ``LIF`` with ``tau_syn_e`` or ``tau_syn_i`` equal to ``tau_m`` raises
    ``Brian2ExportError``: Brian2's ``'exact'`` solution divides by their
    difference, where neurosim uses the limit.
``LIF`` (delta synapses)
    ``dv/dt = (v_rest - v + I_ext)/tau_m``, method ``'exact'``;
    ``on_pre='v_post += w*int(not_refractory_post)'`` (``-=`` for inhibitory):
    input that arrives while refractory is discarded, as in neurosim and NEST.
``LIFCond``
    ``dv/dt = (v_rest - v + g_e (e_e - v) + g_i (e_i - v) + I_ext)/tau_m``,
    ``dg_x/dt = -g_x/tau_x`` with conductances in units of ``g_l``, method
    ``'euler'`` (neurosim's forward Euler).
``McCullochPitts``
    Exported exactly with a clock-driven trick: variables ``x`` (state),
    ``h_e``, ``h_i`` (input accumulators) and a ``run_regularly`` operation in
    the ``groups`` slot that sets ``x = int(h_e - h_i + I_ext >= theta)``
    (vetoed by any inhibitory input with absolute inhibition) and empties the
    accumulators; threshold ``x > 0.5``, no reset. Synapses add to ``h_e`` or
    ``h_i``, so input reaches its target in the next step, as in neurosim.
    Weights lie on neurosim's fixed-point grid, so these sums are exact and
    Brian2 reproduces the units bit for bit. Asynchronous units draw their
    update decisions from neurosim's counter-based generator
    (:mod:`neurosim.interop._brian2_random`).

Any other model
    Exported when it has a method ``brian2_equations(dt)`` that returns the
    keyword arguments of :class:`_Spec` (its equations, parameters, threshold,
    reset, ...), as written for Brian2 by the model's author; an
    :class:`~neurosim.ODEModel` without one is written from its Python rules
    (:mod:`neurosim.interop._brian2_ode`).

Every model's equations also declare ``I_ext`` and ``I_bias``, the per-neuron
external current (see :mod:`neurosim.interop._brian2_export`).

Model parameters (``tau_m``, ``v_rest``, ``v_th``, ``v_reset``, ``t_ref``
for ``refractory='t_ref'``, ...) are shared constant variables of each Brian2
group, so that all groups of a model share one set of equations and Brian2's
symbolic derivation of the ``'exact'`` update (tens of seconds in sympy) is
done once per process.
"""
from brian2.stateupdaters.base import StateUpdateMethod
from brian2.stateupdaters.exact import exact

from ..models import LIF, LIFCond, McCullochPitts, ODEModel
from ._brian2_errors import Brian2ExportError
from ._brian2_ode import ode_spec


# Model parameters are shared constants of the group rather than names in its
# namespace: Brian2's 'exact' method derives the update symbolically (a Jordan
# form in sympy, 10-40 s), and with constants the derivation would depend on
# their values. As shared variables, the parameters keep the equations the same
# for every group of a model, so with _MemoisedExact it is done once per process.
_LIF_EXP = """
dv/dt = (v_rest - v + i_e - i_i + I_ext) / tau_m : volt (unless refractory)
di_e/dt = -i_e / tau_e : volt
di_i/dt = -i_i / tau_i : volt
"""
_LIF_DELTA = """
dv/dt = (v_rest - v + I_ext) / tau_m : volt (unless refractory)
"""
_LIF_COND = """
dv/dt = (v_rest - v + g_e * (e_e - v) + g_i * (e_i - v) + I_ext) / tau_m : volt (unless refractory)
dg_e/dt = -g_e / tau_e : 1
dg_i/dt = -g_i / tau_i : 1
"""
_MCCULLOCH_PITTS = """
x : 1
h_e : 1
h_i : 1
h : 1
"""


class _MemoisedExact(StateUpdateMethod):
    """Brian2's ``'exact'`` method, its result memoised by the equations alone.

    Brian2 caches the derivation by the equations and every variable of the
    group, its size ``N`` included, so each network of another size derives
    the same update again. Here every parameter is a shared constant declared
    in the equations, so the equations determine the result.
    """

    def __init__(self):
        self._memo = {}

    def __call__(self, equations, variables=None, method_options=None):
        key = (str(equations), repr(method_options))
        if key not in self._memo:
            self._memo[key] = exact(equations, variables, method_options)
        return self._memo[key]

    def __repr__(self):
        return "exact"


_EXACT = _MemoisedExact()


class _Spec:
    """How one neurosim model is written in Brian2.

    Parameters
    ----------
    equations : str
        The model's differential equations and state variables.
    params : dict
        ``{name: (value, Brian2 unit)}``, shared constants of the group.
    threshold, reset : str
        Brian2 threshold condition and reset code.
    refractory : str or False
        Brian2 refractoriness (the name of a parameter), or none.
    method : StateUpdateMethod or str, optional
        Integration method; none for equations without derivatives.
    on_pre : dict
        ``{'excitatory': code, 'inhibitory': code}`` of the synapses onto the model.
    weight_unit, current_unit : str
        Brian2 units of synaptic weights and of external currents.
    input_var : tuple of str
        Variables that excitatory and inhibitory input is added to.
    delta : bool
        Whether input jumps the membrane potential (delta synapses).
    update_code : str, optional
        Code run in the ``groups`` slot of each step (McCulloch-Pitts units).
    """

    def __init__(self, equations, params, threshold, reset="", refractory=False,
                 method=None, on_pre=None, weight_unit="1", current_unit="1",
                 input_var=None, delta=False, update_code=None):
        self.__dict__.update(locals())
        del self.__dict__["self"]

    @property
    def full_equations(self):
        """The equations with the per-neuron currents and the shared parameters."""
        lines = [self.equations.strip(), f"I_ext : {self.current_unit}",
                 f"I_bias : {self.current_unit}"]
        lines += [f"{name} : {unit} (constant, shared)"
                  for name, (_, unit) in self.params.items()]
        return "\n".join(lines) + "\n"


def _model_spec(model, group_name, dt):
    """The Brian2 counterpart of one neurosim model.

    Parameters
    ----------
    model : LIF, LIFCond or McCullochPitts
        The model of a neuron group.
    group_name : str
        Name of the group, for error messages.
    dt : float
        Time step, in seconds.

    Returns
    -------
    _Spec
        Equations, parameters and synapse code of the model.

    Raises
    ------
    Brian2ExportError
        For another model, or a ``LIF`` with a synaptic time constant equal to
        ``tau_m``.
    """
    if isinstance(model, LIF):
        params = {"tau_m": (model.tau_m, "second"), "v_rest": (model.v_rest, "volt"),
                  "v_reset": (model.v_reset, "volt"), "v_th": (model.v_th, "volt"),
                  "t_ref": (model.refractory, "second")}
        reset = "v = v_reset" if model.reset == "to_v_reset" else "v -= v_th - v_reset"
        common = dict(threshold="v > v_th", reset=reset, refractory="t_ref",
                      method=_EXACT,
                      weight_unit="volt", current_unit="volt")
        if model.synapse == "delta":
            return _Spec(_LIF_DELTA, params, delta=True, input_var=("v", "v"),
                         on_pre={"excitatory": "v_post += w*int(not_refractory_post)",
                                 "inhibitory": "v_post -= w*int(not_refractory_post)"},
                         **common)
        for name in ("tau_syn_e", "tau_syn_i"):
            if abs(getattr(model, name) - model.tau_m) < 1e-12 * model.tau_m:
                raise Brian2ExportError(
                    f"{group_name}: {name} = tau_m = {model.tau_m * 1e3:g} ms. Brian2's 'exact' "
                    "solver writes the solution for distinct time constants and divides by "
                    f"({name} - tau_m), which gives NaN here (neurosim uses the limit); "
                    f"change {name} by a tiny amount to export this network")
        params.update(tau_e=(model.tau_syn_e, "second"), tau_i=(model.tau_syn_i, "second"))
        return _Spec(_LIF_EXP, params, input_var=("i_e", "i_i"),
                     on_pre={"excitatory": "i_e_post += w", "inhibitory": "i_i_post += w"},
                     **common)
    if isinstance(model, LIFCond):
        params = {"tau_m": (model.tau_m, "second"), "v_rest": (model.v_rest, "volt"),
                  "v_reset": (model.v_reset, "volt"), "v_th": (model.v_th, "volt"),
                  "tau_e": (model.tau_syn_e, "second"), "tau_i": (model.tau_syn_i, "second"),
                  "e_e": (model.e_e, "volt"), "e_i": (model.e_i, "volt"),
                  "t_ref": (model.refractory, "second")}
        return _Spec(_LIF_COND, params, threshold="v > v_th", reset="v = v_reset",
                     refractory="t_ref", method="euler",
                     weight_unit="1", current_unit="volt", input_var=("g_e", "g_i"),
                     on_pre={"excitatory": "g_e_post += w", "inhibitory": "g_i_post += w"})
    if isinstance(model, McCullochPitts):
        fire = "int(h + I_ext >= theta)"
        if model.absolute_inhibition:
            fire += " * int(not (h_i > 0))"
        # h_e - h_i is exact (both sums of weights on the fixed-point grid), so
        # storing it first leaves one rounding, the one neurosim makes
        update = ["h = h_e - h_i",
                  f"x = {fire}" if model.update == "synchronous" else
                  f"x = upd * {fire} + (1 - upd) * x",
                  "h_e = 0", "h_i = 0"]
        eqs = _MCCULLOCH_PITTS + ("upd : 1\n" if model.update == "asynchronous" else "")
        # the threshold neurosim compares with (theta less its tie tolerance)
        theta = float(model.parameter_values(dt)["theta"])
        return _Spec(eqs, {"theta": (theta, "1")}, threshold="x > 0.5",
                     on_pre={"excitatory": "h_e_post += w", "inhibitory": "h_i_post += w"},
                     input_var=("h_e", "h_i"), update_code="\n".join(update))
    own = getattr(model, "brian2_equations", None)
    if own is not None:         # a model that says how it is written in Brian2
        return _Spec(**own(dt))
    if isinstance(model, ODEModel):     # written from its Python rules
        return _Spec(**ode_spec(model, dt))
    raise Brian2ExportError(f"{group_name}: no Brian2 export for the model "
                            f"{type(model).__name__}; exported are LIF, LIFCond, "
                            "McCullochPitts and models with a brian2_equations(dt) method "
                            "(see NeuronModel)")

