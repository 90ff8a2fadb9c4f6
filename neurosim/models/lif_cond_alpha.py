"""LIF with alpha-shaped synaptic conductances (PyNN's ``IF_cond_alpha``), forward Euler.

.. math::
    \\tau_m \\dot v = E_L - v + g_e (E_e - v) + g_i (E_i - v) + I_{ext}/g_L, \\qquad
    \\tau_x \\dot g_x = e\\, y_x - g_x, \\qquad \\tau_x \\dot y_x = -y_x \\quad (x = e, i)

A spike of weight ``w`` raises ``y_x`` by ``w``: the conductance
``w (t/tau_x) exp(1 - t/tau_x)`` peaks at ``w`` after ``tau_x``. Conductances are in
units of the leak conductance, as in :class:`~neurosim.LIFCond`, and the equations are
integrated as LIFCond integrates its own: by forward Euler, every variable advanced from
the values at the start of the step (the method Brian2 picks for them, and so
pyNN.brian2's ``IF_cond_alpha``; NEST's ``iaf_cond_alpha`` uses an adaptive Runge-Kutta
method, so its traces differ from these by the Euler error).
"""
import numpy as np

from .._validation import check_positive, to_si
from ..units import second, siemens, volt
from ._base import NeuronModel, refractory_steps
from ._lif_family import LeakUnitInputs, set_membrane

__all__ = ["LIFCondAlpha"]

_PARAMETERS = ("e_l", "v_reset", "v_th", "e_e", "e_i", "n_ref", "dt_over_tau_m",
               "dt_over_tau_e", "dt_over_tau_i", "e_num")

_BRIAN2_EQUATIONS = """
dv/dt = (v_rest - v + g_e * (e_e - v) + g_i * (e_i - v) + I_ext) / tau_m : volt (unless refractory)
dg_e/dt = (e_num * y_e - g_e) / tau_e : 1
dy_e/dt = -y_e / tau_e : 1
dg_i/dt = (e_num * y_i - g_i) / tau_i : 1
dy_i/dt = -y_i / tau_i : 1
"""


def _update(v, ye, yi, ref, g_e, g_i, i_ext, p, seed, step, k):
    """One neuron, one step: ``(v, y_e, y_i, ref, g_e, g_i, spiked)``; ``ge``/``gi`` hold
    ``y_e``/``y_i``, where the synaptic input adds up. Plain Python for numba."""
    ref = ref - 1 if ref > 0 else ref
    free = ref == 0
    v_new = v + (p.e_l - v + g_e * (p.e_e - v) + g_i * (p.e_i - v) + i_ext) * p.dt_over_tau_m
    v_new = v_new if free else v        # held while refractory
    spiked = free & (v_new > p.v_th)
    v_new = p.v_reset if spiked else v_new
    ref = int(p.n_ref) if spiked else ref
    ge_new = g_e + (p.e_num * ye - g_e) * p.dt_over_tau_e
    gi_new = g_i + (p.e_num * yi - g_i) * p.dt_over_tau_i
    return (v_new, ye - ye * p.dt_over_tau_e, yi - yi * p.dt_over_tau_i, ref, ge_new, gi_new,
            spiked)


def _update_numpy(v, ye, yi, ref, g_e, g_i, i_ext, p, seed, step, index):
    """Vectorised twin of ``_update`` (views, changed in place); returns the spike mask."""
    ref -= ref > 0
    free = ref == 0
    v_new = v + (p.e_l - v + g_e * (p.e_e - v) + g_i * (p.e_i - v) + i_ext) * p.dt_over_tau_m
    v[free] = v_new[free]
    spiked = free & (v > p.v_th)
    v[spiked] = p.v_reset
    ref[spiked] = int(p.n_ref)
    g_e[:] = g_e + (p.e_num * ye - g_e) * p.dt_over_tau_e
    g_i[:] = g_i + (p.e_num * yi - g_i) * p.dt_over_tau_i
    ye[:] = ye - ye * p.dt_over_tau_e
    yi[:] = yi - yi * p.dt_over_tau_i
    return spiked


def _inert(row):
    """A copy of the parameter ``row`` whose neurons never fire (MPI ranks on GPUs)."""
    row = row.copy()
    row[_PARAMETERS.index("v_th")] = np.inf
    return row


class LIFCondAlpha(LeakUnitInputs, NeuronModel):
    """Conductance-based leaky integrate-and-fire neuron with alpha-shaped conductances.

    PyNN's ``IF_cond_alpha``: a spike of weight ``w`` opens a conductance
    ``w (t/tau_syn) exp(1 - t/tau_syn)``, peaking at ``w`` after ``tau_syn``.

    Parameters
    ----------
    tau_m : Quantity
        Membrane time constant (time), > 0.
    v_rest : Quantity
        Leak reversal potential E_L (voltage).
    v_reset, v_th : Quantity
        Reset potential and threshold (voltage); spike when ``v > v_th``; ``v_reset < v_th``.
    tau_syn_e, tau_syn_i : Quantity
        Rise times (time to the peak) of the excitatory and inhibitory conductances
        (time), > 0.
    e_e, e_i : Quantity
        Reversal potentials of the excitatory and inhibitory synapses (voltage).
    refractory : Quantity, optional
        Absolute refractory period (time), default 0 ms, a whole number of steps.
    g_l : Quantity, optional
        Leak conductance (conductance), > 0. Only needed to give weights in siemens or
        currents in amperes; they are then divided by ``g_l``.

    Notes
    -----
    .. math::
        \\tau_m \\frac{dv}{dt} = E_L - v + g_e (E_e - v) + g_i (E_i - v) + I_{ext}/g_L,
        \\quad \\tau_x \\frac{dg_x}{dt} = e\\,y_x - g_x,\\quad \\tau_x \\frac{dy_x}{dt} = -y_x

    State variables: ``v`` (V), the conductances ``g_e``, ``g_i`` and their auxiliary
    variables ``y_e``, ``y_i`` (in units of the leak conductance). Integrated by
    forward Euler, as :class:`~neurosim.LIFCond`, so ``dt`` must lie well below every
    time constant (``dt`` at or above one is refused).

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV
    >>> model = ns.LIFCondAlpha(tau_m=20*ms, v_rest=-65*mV, v_reset=-65*mV, v_th=-50*mV,
    ...                         tau_syn_e=0.3*ms, tau_syn_i=0.5*ms, e_e=0*mV, e_i=-70*mV)
    >>> sorted(model.state_variables)
    ['g_e', 'g_i', 'v', 'y_e', 'y_i']
    """

    parameters = _PARAMETERS
    extra_state = ("g_e", "g_i")
    scalar_update = staticmethod(_update)
    vector_update = staticmethod(_update_numpy)
    inert = staticmethod(_inert)

    def __init__(self, tau_m, v_rest, v_reset, v_th, tau_syn_e, tau_syn_i, e_e, e_i,
                 refractory=0 * second, g_l=None):
        set_membrane(self, tau_m, v_rest, v_reset, v_th, refractory)
        self.tau_syn_e = check_positive("tau_syn_e", tau_syn_e, second)
        self.tau_syn_i = check_positive("tau_syn_i", tau_syn_i, second)
        self.e_e = to_si("e_e", e_e, volt)
        self.e_i = to_si("e_i", e_i, volt)
        self.g_l = check_positive("g_l", g_l, siemens, allow_none=True)
        self._freeze()

    @property
    def state_variables(self):
        return {"v": ("v", volt, self.v_rest), "g_e": ("g_e", None, 0.0),
                "g_i": ("g_i", None, 0.0), "y_e": ("ge", None, 0.0), "y_i": ("gi", None, 0.0)}

    def validate_dt(self, dt):
        for name in ("tau_m", "tau_syn_e", "tau_syn_i"):
            tau = getattr(self, name)
            if dt >= tau:
                raise ValueError(f"dt={dt * 1e3:g} ms is too large for forward Euler with "
                                 f"{name}={tau * 1e3:g} ms; use dt < {name}")

    def parameter_values(self, dt):
        self.validate_dt(dt)
        return dict(e_l=self.v_rest, v_reset=self.v_reset, v_th=self.v_th, e_e=self.e_e,
                    e_i=self.e_i, n_ref=refractory_steps(self.refractory, dt),
                    dt_over_tau_m=dt / self.tau_m, dt_over_tau_e=dt / self.tau_syn_e,
                    dt_over_tau_i=dt / self.tau_syn_i, e_num=float(np.e))

    def brian2_equations(self, dt):
        """How the model is written in Brian2, for :func:`~neurosim.interop.brian2.to_brian2`.

        Parameters
        ----------
        dt : float
            The time step (seconds).

        Returns
        -------
        dict
            The exporter's model description: equations (with ``I_ext`` in volts,
            conductances in units of ``g_l``), parameters, threshold, reset,
            refractoriness, method ``'euler'`` and the ``on_pre`` code of excitatory
            and inhibitory synapses (``y_e_post += w``, ``y_i_post += w``).
        """
        params = {"tau_m": (self.tau_m, "second"), "v_rest": (self.v_rest, "volt"),
                  "v_reset": (self.v_reset, "volt"), "v_th": (self.v_th, "volt"),
                  "tau_e": (self.tau_syn_e, "second"), "tau_i": (self.tau_syn_i, "second"),
                  "e_e": (self.e_e, "volt"), "e_i": (self.e_i, "volt"),
                  "t_ref": (self.refractory, "second"), "e_num": (float(np.e), "1")}
        return dict(equations=_BRIAN2_EQUATIONS, params=params, threshold="v > v_th",
                    reset="v = v_reset", refractory="t_ref", method="euler",
                    on_pre={"excitatory": "y_e_post += w", "inhibitory": "y_i_post += w"},
                    weight_unit="1", current_unit="volt", input_var=("y_e", "y_i"),
                    delta=False)

    def _repr_fields(self):
        return {k: getattr(self, k) for k in ("tau_m", "v_rest", "v_reset", "v_th", "tau_syn_e",
                                              "tau_syn_i", "e_e", "e_i", "refractory", "g_l")}
