"""Leaky integrate-and-fire neurons with conductance-based synapses."""
from .._validation import check_positive, to_si
from ..kernels import models as _kernels
from ..units import second, siemens, volt
from ._base import NeuronModel, refractory_steps
from ._lif_family import LeakUnitInputs, set_membrane

__all__ = ["LIFCond"]


class LIFCond(LeakUnitInputs, NeuronModel):
    """Conductance-based leaky integrate-and-fire neuron (Brette et al. 2007, COBA).

    Parameters
    ----------
    tau_m : Quantity
        Membrane time constant (time). Must be > 0.
    v_rest : Quantity
        Leak reversal potential E_L (voltage).
    v_reset, v_th : Quantity
        Reset potential and threshold (voltage); spike when ``v > v_th``.
    tau_syn_e, tau_syn_i : Quantity
        Decay times of the excitatory and inhibitory conductances (time), > 0.
    e_e, e_i : Quantity
        Reversal potentials of the excitatory and inhibitory synapses (voltage).
    refractory : Quantity, optional
        Absolute refractory period (time), default 0 ms, a whole number of steps.
    g_l : Quantity, optional
        Leak conductance. Only needed to give weights in siemens or currents in
        amperes; they are then divided by ``g_l``.

    Notes
    -----
    .. math::
        \\tau_m \\frac{dv}{dt} = E_L - v + g_e (E_e - v) + g_i (E_i - v) + I_{ext}/g_L,
        \\quad \\tau_e \\frac{dg_e}{dt} = -g_e,\\quad \\tau_i \\frac{dg_i}{dt} = -g_i

    Conductances are in units of the leak conductance (dimensionless).
    Integrated by forward Euler, the method Brian2 chooses for these
    equations, so ``dt`` must be well below every time constant.

    References
    ----------
    Brette et al. (2007), J Comput Neurosci 23:349, benchmark 1.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV
    >>> coba = ns.LIFCond(tau_m=20*ms, v_rest=-60*mV, v_reset=-60*mV, v_th=-50*mV,
    ...                   tau_syn_e=5*ms, tau_syn_i=10*ms, e_e=0*mV, e_i=-80*mV,
    ...                   refractory=5*ms)
    """

    kernel = _kernels.LIF_COND

    def __init__(self, tau_m, v_rest, v_reset, v_th, tau_syn_e, tau_syn_i, e_e, e_i,
                 refractory=0 * second, g_l=None):
        set_membrane(self, tau_m, v_rest, v_reset, v_th, refractory)
        self.tau_syn_e = check_positive("tau_syn_e", tau_syn_e, second)
        self.tau_syn_i = check_positive("tau_syn_i", tau_syn_i, second)
        self.e_e = to_si("e_e", e_e, volt)
        self.e_i = to_si("e_i", e_i, volt)
        self.g_l = check_positive("g_l", g_l, siemens, allow_none=True)
        self._freeze()

    state_variables = property(lambda self: {"v": ("v", volt, self.v_rest),
                                             "g_e": ("ge", None, 0.0),
                                             "g_i": ("gi", None, 0.0)})

    def validate_dt(self, dt):
        for name in ("tau_m", "tau_syn_e", "tau_syn_i"):
            tau = getattr(self, name)
            if dt >= tau:
                raise ValueError(f"dt={dt * 1e3:g} ms is too large for forward Euler with "
                                 f"{name}={tau * 1e3:g} ms; use dt < {name}")

    def parameter_values(self, dt):
        self.validate_dt(dt)
        return dict(e_l=self.v_rest, v_reset=self.v_reset, v_th=self.v_th,
                    dt_over_tau_m=dt / self.tau_m,
                    decay_e=1.0 - dt / self.tau_syn_e, decay_i=1.0 - dt / self.tau_syn_i,
                    e_e=self.e_e, e_i=self.e_i, n_ref=refractory_steps(self.refractory, dt),
                    unused_one=1.0)

    def _repr_fields(self):
        return {k: getattr(self, k) for k in ("tau_m", "v_rest", "v_reset", "v_th", "tau_syn_e",
                                              "tau_syn_i", "e_e", "e_i", "refractory", "g_l")}
