"""Hodgkin-Huxley neurons with conductance synapses: the COBAHH benchmark's model.

The Traub-Miles variant of Brette et al. (2007), benchmark 3 (Brian2's
``examples/COBAHH.py``), written as an :class:`~neurosim.ODEModel` and
integrated with the exponential Euler method, as Brian2 does.
"""
import math

from numba.extending import register_jitable

from .._validation import check_positive, to_si
from ..units import amp, farad, second, siemens, volt
from .ode import ODEModel

__all__ = ["HodgkinHuxley"]


@register_jitable
def _exprel(x):
    """``(exp(x) - 1) / x``, 1 at 0 (Brian2's ``exprel``), to about 1e-12 relative.
    ``math.exp``, which numba compiles to the same C library function, so that the
    numpy backend's interpreted step gives the compiled one's bits."""
    # exp rather than expm1: numba compiles exp to an LLVM intrinsic, which the
    # optimiser can share and hoist; near 0, where exp(x) - 1 loses digits, the
    # series (error below x**3/24 < 5e-14)
    return 1.0 + x * (0.5 + x / 6.0) if abs(x) < 1e-4 else (math.exp(x) - 1.0) / x


def _derivatives(v, ge, gi, m, n, h, i_ext, p):
    # rates per second, v in volts (Traub & Miles 1991 as in Brette et al. 2007)
    u = v - p.v_t
    alpha_m = 0.32e6 * 4e-3 / _exprel((13e-3 - u) / 4e-3)
    beta_m = 0.28e6 * 5e-3 / _exprel((u - 40e-3) / 5e-3)
    alpha_h = 128.0 * math.exp((17e-3 - u) / 18e-3)
    beta_h = 4000.0 / (1.0 + math.exp((40e-3 - u) / 5e-3))
    alpha_n = 0.032e6 * 5e-3 / _exprel((15e-3 - u) / 5e-3)
    beta_n = 500.0 * math.exp((10e-3 - u) / 40e-3)
    dv = (p.g_l * (p.e_l - v) + ge * (p.e_e - v) + gi * (p.e_i - v)
          - p.g_na * (m * m * m) * h * (v - p.e_na) - p.g_kd * (n * n * n * n) * (v - p.e_k)
          + i_ext) / p.c_m
    dm = alpha_m * (1.0 - m) - beta_m * m
    dn = alpha_n * (1.0 - n) - beta_n * n
    dh = alpha_h * (1.0 - h) - beta_h * h
    return dv, -ge / p.tau_e, -gi / p.tau_i, dm, dn, dh


@register_jitable
def _over_exprel(c, x):
    """``c / exprel(x)``, as ``c x / (exp(x) - 1)``: one division rather than two;
    near 0 the series of :func:`_exprel`."""
    return c / (1.0 + x * (0.5 + x / 6.0)) if abs(x) < 1e-4 else c * x / (math.exp(x) - 1.0)


def _linear_coefficients(v, ge, gi, m, n, h, i_ext, p):
    # _derivatives as dx/dt = a + b x per variable, for the exponential Euler step:
    # each rate evaluated once, and multiplications by the reciprocals of the
    # constant voltages rather than divisions (a few times cheaper; rounding differs
    # from _derivatives' in the last bit)
    u = v - p.v_t
    alpha_m = _over_exprel(1280.0, (13e-3 - u) * 250.0)
    beta_m = _over_exprel(1400.0, (u - 40e-3) * 200.0)
    alpha_h = 128.0 * math.exp((17e-3 - u) * (1.0 / 18e-3))
    beta_h = 4000.0 / (1.0 + math.exp((40e-3 - u) * 200.0))
    alpha_n = _over_exprel(160.0, (15e-3 - u) * 200.0)
    beta_n = 500.0 * math.exp((10e-3 - u) * 25.0)
    # v: the conductances times their reversal potentials, and the conductances
    g_na = p.g_na * (m * m * m) * h
    g_kd = p.g_kd * (n * n * n * n)
    a_v = (p.g_l * p.e_l + ge * p.e_e + gi * p.e_i + g_na * p.e_na + g_kd * p.e_k
           + i_ext) / p.c_m
    b_v = -(p.g_l + ge + gi + g_na + g_kd) / p.c_m
    return (a_v, b_v, 0.0, -1.0 / p.tau_e, 0.0, -1.0 / p.tau_i,
            alpha_m, -(alpha_m + beta_m), alpha_n, -(alpha_n + beta_n),
            alpha_h, -(alpha_h + beta_h))


def _threshold(v, ge, gi, m, n, h, p):
    return v > p.v_th


def _reset(v, ge, gi, m, n, h, p):
    return v, ge, gi, m, n, h       # no reset: the spike's own dynamics bring v down


class HodgkinHuxley(ODEModel):
    """Hodgkin-Huxley neuron (Traub-Miles kinetics) with conductance-based synapses.

    The defaults are those of the COBAHH benchmark (Brette et al. 2007): a
    membrane patch of 20,000 um^2.

    Parameters
    ----------
    c_m : Quantity, optional
        Membrane capacitance (capacitance), default 0.2 nF.
    g_l, g_na, g_kd : Quantity, optional
        Leak, sodium and delayed-rectifier potassium conductances (conductance),
        defaults 10 nS, 20 uS and 6 uS.
    e_l, e_na, e_k : Quantity, optional
        Their reversal potentials (voltage), defaults -60, 50 and -90 mV.
    v_t : Quantity, optional
        Offset of the gating kinetics (voltage), default -63 mV.
    tau_syn_e, tau_syn_i : Quantity, optional
        Decay times of the excitatory and inhibitory conductances (time), defaults
        5 and 10 ms.
    e_e, e_i : Quantity, optional
        Synaptic reversal potentials (voltage), defaults 0 and -80 mV.
    v_th : Quantity, optional
        A spike is counted when ``v > v_th`` (voltage), default -20 mV; there is no
        reset.
    refractory : Quantity, optional
        No spike is counted for this long after one (time), default 3 ms; ``v``
        is not held (as in Brian2's COBAHH, whose equations are not
        ``(unless refractory)``).

    Notes
    -----
    .. math::
        C_m \\dot v = g_l (E_l - v) + g_e (E_e - v) + g_i (E_i - v)
                     - g_{Na} m^3 h (v - E_{Na}) - g_{Kd} n^4 (v - E_K) + I_{ext}

    with the gating variables ``m``, ``n``, ``h`` of Traub & Miles (1991) and
    exponentially decaying conductances ``g_e``, ``g_i``. Weights are in siemens,
    injected currents in amperes. Integrated with the exponential Euler method,
    from the equations' linear coefficients (``linear_coefficients``: every rate
    and every ``exp`` once per step), which equal ``derivatives`` to rounding.

    References
    ----------
    Brette et al. (2007), Simulation of networks of spiking neurons: a review of
    tools and strategies, J Comput Neurosci 23:349, benchmark 3.
    Traub & Miles (1991), Neuronal Networks of the Hippocampus, Cambridge UP.

    Examples
    --------
    >>> import neurosim as ns
    >>> hh = ns.HodgkinHuxley()
    >>> sorted(hh.state_variables)
    ['g_e', 'g_i', 'h', 'm', 'n', 'v']
    """

    parameters = ("c_m", "g_l", "e_l", "g_na", "e_na", "g_kd", "e_k", "v_t", "tau_e",
                  "tau_i", "e_e", "e_i", "v_th")
    extra_state = ("m", "n", "h")
    method = "exponential_euler"
    hold_v = False
    derivatives = staticmethod(_derivatives)
    linear_coefficients = staticmethod(_linear_coefficients)
    threshold = staticmethod(_threshold)
    reset = staticmethod(_reset)
    weight_unit = siemens
    current_unit = amp
    # for the Brian2 equations written from the rules (to_brian2)
    brian2_functions = {"_exprel": "exprel"}

    def __init__(self, c_m=0.2e-9 * farad, g_l=10e-9 * siemens, g_na=20e-6 * siemens,
                 g_kd=6e-6 * siemens, e_l=-60e-3 * volt, e_na=50e-3 * volt, e_k=-90e-3 * volt,
                 v_t=-63e-3 * volt, tau_syn_e=5e-3 * second, tau_syn_i=10e-3 * second,
                 e_e=0 * volt, e_i=-80e-3 * volt, v_th=-20e-3 * volt,
                 refractory=3e-3 * second):
        self.c_m = check_positive("c_m", c_m, farad)
        for name, value in (("g_l", g_l), ("g_na", g_na), ("g_kd", g_kd)):
            setattr(self, name, check_positive(name, value, siemens, strict=False))
        for name, value in (("e_l", e_l), ("e_na", e_na), ("e_k", e_k), ("v_t", v_t),
                            ("e_e", e_e), ("e_i", e_i), ("v_th", v_th)):
            setattr(self, name, to_si(name, value, volt))
        self.tau_syn_e = check_positive("tau_syn_e", tau_syn_e, second)
        self.tau_syn_i = check_positive("tau_syn_i", tau_syn_i, second)
        self.refractory = check_positive("refractory", refractory, second, strict=False)
        self._freeze()

    @property
    def state_variables(self):
        return {"v": ("v", volt, self.e_l), "g_e": ("ge", siemens, 0.0),
                "g_i": ("gi", siemens, 0.0), "m": ("m", None, 0.0), "n": ("n", None, 0.0),
                "h": ("h", None, 0.0)}

    def step_parameters(self, dt):
        return dict(c_m=self.c_m, g_l=self.g_l, e_l=self.e_l, g_na=self.g_na, e_na=self.e_na,
                    g_kd=self.g_kd, e_k=self.e_k, v_t=self.v_t, tau_e=self.tau_syn_e,
                    tau_i=self.tau_syn_i, e_e=self.e_e, e_i=self.e_i, v_th=self.v_th)

    def _repr_fields(self):
        return {k: getattr(self, k) for k in ("c_m", "g_l", "g_na", "g_kd", "e_l", "e_na",
                                              "e_k", "v_t", "tau_syn_e", "tau_syn_i", "e_e",
                                              "e_i", "v_th", "refractory")}
