"""Leaky integrate-and-fire neurons with current-based synapses."""
import numpy as np

from .._validation import check_positive
from ..kernels import models as _kernels
from ..kernels.lif import propagator
from ..units import farad, second, volt
from ._base import NeuronModel, refractory_steps
from ._lif_family import VoltageInputs, set_membrane

__all__ = ["LIF"]


class LIF(VoltageInputs, NeuronModel):
    """Current-based leaky integrate-and-fire neuron.

    Parameters
    ----------
    tau_m : Quantity
        Membrane time constant (time). Must be > 0.
    v_rest : Quantity
        Resting potential (voltage).
    v_reset : Quantity
        Potential after a spike (voltage).
    v_th : Quantity
        Threshold (voltage): the neuron spikes when ``v > v_th``.
    refractory : Quantity, optional
        Absolute refractory period (time), default 0 ms; ``v`` is held meanwhile.
        Must be a whole number of time steps.
    tau_syn_e, tau_syn_i : Quantity or None, optional
        Decay times of the excitatory and inhibitory synaptic currents. ``None``
        (the default for both) gives delta synapses: a spike makes ``v`` jump by
        the weight, and input that arrives while refractory is discarded (as in
        NEST's ``iaf_psc_delta``). Give both or neither.
    c_m : Quantity, optional
        Membrane capacitance. Only needed to give weights and injected currents in
        amperes; they are then converted to volts with ``R = tau_m / c_m``.
    reset : {'to_v_reset', 'subtract'}, optional
        What a spike does to ``v``. ``'to_v_reset'`` (the default, as Brian2's
        ``reset='v = v_reset'`` and NEST's ``iaf_psc_*``) sets it to ``v_reset``;
        ``'subtract'`` lowers it by ``v_th - v_reset`` (Brian2's
        ``reset='v -= v_th - v_reset'``), so the charge that carried ``v`` past the
        threshold within the step is kept, and the spike count follows the
        integrated input whatever ``dt``. Setting ``v`` to ``v_reset`` discards
        half a step's input per spike on average: 5 % of the rate when a spike
        takes ten steps, 15 % when it takes three. At most one spike per step
        either way. Reset by subtraction is how rate networks are turned into
        spiking ones (Rueckauer et al. 2017).

    Notes
    -----
    .. math::
        \\tau_m \\frac{dv}{dt} = v_{rest} - v + i_e - i_i + R I_{ext},\\quad
        \\tau_{e} \\frac{di_e}{dt} = -i_e,\\quad \\tau_{i} \\frac{di_i}{dt} = -i_i

    ``i_e`` and ``i_i`` are in volts (current times resistance); weights are
    their jumps, positive magnitudes whose sign comes from the synapse kind. The
    linear system is integrated exactly over each step (as Brian2's ``exact``
    method and NEST's ``iaf_psc_exp``). A neuron spikes when ``v > v_th``, is
    reset (to ``v_reset``, or by ``v_th - v_reset``) and held for ``refractory``.

    References
    ----------
    Gerstner, Kistler, Naud & Paninski (2014), *Neuronal Dynamics*, ch. 1.
    Rueckauer, Lungu, Hu, Pfeiffer & Liu (2017), Conversion of continuous-valued deep
    networks to efficient event-driven networks for image classification,
    *Front. Neurosci.* 11:682.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV
    >>> lif = ns.LIF(tau_m=20*ms, v_rest=-49*mV, v_reset=-60*mV, v_th=-50*mV,
    ...              refractory=5*ms, tau_syn_e=5*ms, tau_syn_i=10*ms)
    >>> lif.synapse
    'exponential'
    """

    RESETS = ("to_v_reset", "subtract")

    def __init__(self, tau_m, v_rest, v_reset, v_th, refractory=0 * second,
                 tau_syn_e=None, tau_syn_i=None, c_m=None, reset="to_v_reset"):
        set_membrane(self, tau_m, v_rest, v_reset, v_th, refractory)
        if (tau_syn_e is None) != (tau_syn_i is None):
            raise ValueError(f"tau_syn_e={tau_syn_e!r} and tau_syn_i={tau_syn_i!r}: give both "
                             "(exponential synapses) or neither (delta synapses)")
        self.tau_syn_e = check_positive("tau_syn_e", tau_syn_e, second, allow_none=True)
        self.tau_syn_i = check_positive("tau_syn_i", tau_syn_i, second, allow_none=True)
        self.c_m = check_positive("c_m", c_m, farad, allow_none=True)
        if reset not in self.RESETS:
            raise ValueError(f"reset={reset!r} must be one of {self.RESETS}")
        self.reset = reset
        self._freeze()

    @property
    def synapse(self):
        """``'exponential'`` or ``'delta'``."""
        return "delta" if self.tau_syn_e is None else "exponential"

    @property
    def kernel(self):
        # one update; delta synapses add the rule by which input jumps on v
        return _kernels.LIF_DELTA if self.tau_syn_e is None else _kernels.LIF_EXP

    @property
    def state_variables(self):
        out = {"v": ("v", volt, self.v_rest)}
        if self.tau_syn_e is not None:
            out.update(i_e=("ge", volt, 0.0), i_i=("gi", volt, 0.0))
        return out

    def parameter_values(self, dt):
        exp = self.tau_syn_e is not None
        return dict(
            v_rest=self.v_rest, v_reset=self.v_reset, v_th=self.v_th,
            decay_m=np.exp(-dt / self.tau_m),
            decay_e=np.exp(-dt / self.tau_syn_e) if exp else 0.0,
            decay_i=np.exp(-dt / self.tau_syn_i) if exp else 0.0,
            coupling_e=propagator(dt, self.tau_m, self.tau_syn_e) if exp else 0.0,
            coupling_i=propagator(dt, self.tau_m, self.tau_syn_i) if exp else 0.0,
            n_ref=refractory_steps(self.refractory, dt),
            unused_one=1.0, unused_zero=0.0,
            reset_sub=float(self.reset == "subtract"))

    def _repr_fields(self):
        return {k: getattr(self, k) for k in ("tau_m", "v_rest", "v_reset", "v_th", "refractory",
                                              "tau_syn_e", "tau_syn_i", "c_m", "reset")}
