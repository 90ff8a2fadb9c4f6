"""What the leaky integrate-and-fire family shares: the membrane's parameters, and the
units in which its weights and injected currents are given.

Current-based models (:class:`~neurosim.LIF`, :class:`~neurosim.LIFAlpha`) take
weights and currents in volts (current times membrane resistance), or in amperes when
the membrane capacitance ``c_m`` is given (``R = tau_m / c_m``). Conductance-based
models (:class:`~neurosim.LIFCond`, :class:`~neurosim.LIFCondAlpha`) take weights in
units of the leak conductance and currents in volts (``I / g_l``), or in siemens and
amperes when ``g_l`` is given.
"""
from .._validation import _short, check_positive, has_unit, to_si
from ..units import amp, second, siemens, volt

__all__ = ["set_membrane", "VoltageInputs", "LeakUnitInputs"]


def set_membrane(model, tau_m, v_rest, v_reset, v_th, refractory):
    """Check and set ``tau_m`` (s, > 0), ``v_rest``, ``v_reset``, ``v_th`` (V, with
    ``v_reset < v_th``) and ``refractory`` (s, >= 0) on ``model``."""
    model.tau_m = check_positive("tau_m", tau_m, second)
    model.v_rest = to_si("v_rest", v_rest, volt)
    model.v_reset = to_si("v_reset", v_reset, volt)
    model.v_th = to_si("v_th", v_th, volt)
    if model.v_reset >= model.v_th:
        raise ValueError(f"v_reset={v_reset!r} must lie below v_th={v_th!r}")
    model.refractory = check_positive("refractory", refractory, second, strict=False)


class VoltageInputs:
    """Weights and currents in volts, or in amperes with ``c_m`` (a mixin: the model
    has ``tau_m`` and ``c_m``)."""

    def _to_volts(self, name, value, allow_array):
        if has_unit(value, amp):
            if self.c_m is None:
                raise TypeError(f"{name}={_short(value)}: a {type(self).__name__} without c_m "
                                "takes it in volts (current x membrane resistance); give c_m "
                                "to use amperes")
            return to_si(name, value, amp, allow_array=allow_array) * self.tau_m / self.c_m
        if self.c_m is not None and not has_unit(value, volt):
            raise TypeError(f"{name}={_short(value)} has the wrong unit: expected a voltage "
                            "(e.g. 1*mV) or a current (e.g. 100*pA)")
        return to_si(name, value, volt, allow_array=allow_array)

    def weight_to_si(self, name, value, *, allow_array=True):
        return self._to_volts(name, value, allow_array)

    def current_to_si(self, name, value, *, allow_array=True):
        return self._to_volts(name, value, allow_array)


class LeakUnitInputs:
    """Weights in units of the leak conductance (or siemens with ``g_l``) and currents in
    volts ``I / g_l`` (or amperes with ``g_l``); a mixin: the model has ``g_l``."""

    def _per_leak(self, name, value, unit, allow_array):
        want = None if unit is siemens else volt
        plain = ("weights as plain numbers (units of g_l)" if want is None
                 else "currents in volts (I/g_l)")
        if has_unit(value, unit):
            if self.g_l is None:
                raise TypeError(f"{name}={_short(value)}: a {type(self).__name__} without g_l "
                                f"takes {plain}; give g_l to use physical units")
            return to_si(name, value, unit, allow_array=allow_array) / self.g_l
        if self.g_l is not None and not has_unit(value, want):
            allowed = ("a plain number (units of g_l) or a conductance (e.g. 10*nS)"
                       if want is None else "a voltage (I/g_l) or a current (e.g. 100*pA)")
            raise TypeError(f"{name}={_short(value)} has the wrong unit: expected {allowed}")
        return to_si(name, value, want, allow_array=allow_array)

    def weight_to_si(self, name, value, *, allow_array=True):
        return self._per_leak(name, value, siemens, allow_array)

    def current_to_si(self, name, value, *, allow_array=True):
        return self._per_leak(name, value, amp, allow_array)
