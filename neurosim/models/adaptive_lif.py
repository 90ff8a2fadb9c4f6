"""LIF with a linear adaptation current: a model written as one file, through the public
model contract (docs: "Adding a neuron model").

.. math::
    \\tau_m \\dot v = v_{rest} - v + i_e - i_i + R I_{ext} - w, \\qquad
    \\tau_w \\dot w = a (v - v_{rest}) - w,

with exponential synaptic currents (``tau_syn_e``, ``tau_syn_i``) as in
:class:`~neurosim.LIF`. A spike sets ``v`` to ``v_reset`` and raises ``w`` by ``b``
(spike-triggered adaptation); while refractory ``v`` is held and ``w`` relaxes
towards ``a (v_{reset} - v_{rest})``. Subthreshold, the system is linear and is
integrated exactly over each step (the propagator is the matrix exponential of
the system, with the input current constant over the step), as Brian2's
``exact`` method and NEST's ``*_psc_exp`` models do.
"""
import numpy as np
from scipy.linalg import expm

from .._validation import check_positive
from ..units import second, volt
from ._base import NeuronModel, refractory_steps
from ._lif_family import set_membrane

__all__ = ["AdaptiveLIF"]

# the per-step parameters: P_<to>_<from> is the exact propagator of the linear
# system over one step, from (v - v_rest, w, i_e, i_i, i_ext) to v - v_rest and w
_PARAMETERS = ("v_rest", "v_reset", "v_th", "b", "a", "n_ref", "decay_e", "decay_i", "decay_w",
               "p_vv", "p_vw", "p_ve", "p_vi", "p_vu", "p_wv", "p_ww", "p_we", "p_wi", "p_wu")


def _update(v, ge, gi, ref, w, i_ext, p, seed, step, k):
    """One neuron, one step: ``(v, i_e, i_i, ref, w, spiked)``. Plain Python,
    compiled by numba for the CPU and the GPU."""
    ref = ref - 1 if ref > 0 else ref
    free = ref == 0
    x = v - p.v_rest
    v_free = p.v_rest + p.p_vv * x + p.p_vw * w + p.p_ve * ge + p.p_vi * gi + p.p_vu * i_ext
    w_free = p.p_wv * x + p.p_ww * w + p.p_we * ge + p.p_wi * gi + p.p_wu * i_ext
    # refractory: v held, w relaxes exactly towards a (v - v_rest)
    w_held = p.a * x + (w - p.a * x) * p.decay_w
    v_new = v_free if free else v
    w_new = w_free if free else w_held
    spiked = free & (v_new > p.v_th)
    v_new = p.v_reset if spiked else v_new
    w_new = w_new + p.b if spiked else w_new
    ref = int(p.n_ref) if spiked else ref
    return v_new, ge * p.decay_e, gi * p.decay_i, ref, w_new, spiked


def _update_numpy(v, ge, gi, ref, w, i_ext, p, seed, step, index):
    """Vectorised twin of ``_update`` (views, in place); the numpy backend's oracle."""
    ref -= ref > 0
    free = ref == 0
    x = v - p.v_rest
    v_free = p.v_rest + p.p_vv * x + p.p_vw * w + p.p_ve * ge + p.p_vi * gi + p.p_vu * i_ext
    w_free = p.p_wv * x + p.p_ww * w + p.p_we * ge + p.p_wi * gi + p.p_wu * i_ext
    w_held = p.a * x + (w - p.a * x) * p.decay_w
    v[free] = v_free[free]
    w[:] = np.where(free, w_free, w_held)
    ge *= p.decay_e
    gi *= p.decay_i
    spiked = free & (v > p.v_th)
    v[spiked] = p.v_reset
    w[spiked] += p.b
    ref[spiked] = int(p.n_ref)
    return spiked


def _inert(row):
    row = row.copy()
    row[_PARAMETERS.index("v_th")] = np.inf
    return row


class AdaptiveLIF(NeuronModel):
    """Leaky integrate-and-fire neuron with a linear, spike-triggered adaptation current.

    Parameters
    ----------
    tau_m : Quantity
        Membrane time constant (time), > 0.
    v_rest, v_reset, v_th : Quantity
        Resting potential, reset potential and threshold (voltage); the neuron
        spikes when ``v > v_th``.
    tau_w : Quantity
        Time constant of the adaptation current (time), > 0.
    a : float
        Subthreshold coupling of ``w`` to ``v - v_rest`` (dimensionless: the
        adaptation conductance over the leak conductance), >= 0.
    b : Quantity
        Jump of ``w`` at each spike (voltage: current times membrane resistance), >= 0.
    tau_syn_e, tau_syn_i : Quantity
        Decay times of the excitatory and inhibitory synaptic currents (time), > 0.
    refractory : Quantity, optional
        Absolute refractory period (time), default 0 ms.

    Notes
    -----
    State variables: ``v`` (V), ``w`` (V), ``i_e`` and ``i_i`` (V). Weights and
    injected currents are in volts, as for :class:`~neurosim.LIF` without ``c_m``.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV
    >>> model = ns.AdaptiveLIF(tau_m=20*ms, v_rest=-70*mV, v_reset=-60*mV, v_th=-50*mV,
    ...                        tau_w=100*ms, a=0.5, b=2*mV, tau_syn_e=5*ms, tau_syn_i=10*ms)
    >>> sorted(model.state_variables)
    ['i_e', 'i_i', 'v', 'w']
    """

    parameters = _PARAMETERS
    extra_state = ("w",)
    scalar_update = staticmethod(_update)
    vector_update = staticmethod(_update_numpy)
    inert = staticmethod(_inert)
    weight_unit = current_unit = volt

    def __init__(self, tau_m, v_rest, v_reset, v_th, tau_w, a, b, tau_syn_e, tau_syn_i,
                 refractory=0 * second):
        set_membrane(self, tau_m, v_rest, v_reset, v_th, refractory)
        self.tau_w = check_positive("tau_w", tau_w, second)
        self.a = check_positive("a", a, None, strict=False)
        self.b = check_positive("b", b, volt, strict=False)
        self.tau_syn_e = check_positive("tau_syn_e", tau_syn_e, second)
        self.tau_syn_i = check_positive("tau_syn_i", tau_syn_i, second)
        self._freeze()

    @property
    def state_variables(self):
        return {"v": ("v", volt, self.v_rest), "w": ("w", volt, 0.0),
                "i_e": ("ge", volt, 0.0), "i_i": ("gi", volt, 0.0)}

    def parameter_values(self, dt):
        # the linear system in (v - v_rest, w, i_e, i_i, i_ext), i_ext constant over the step
        tm, tw = self.tau_m, self.tau_w
        m = np.array([[-1 / tm, -1 / tm, 1 / tm, -1 / tm, 1 / tm],
                      [self.a / tw, -1 / tw, 0, 0, 0],
                      [0, 0, -1 / self.tau_syn_e, 0, 0],
                      [0, 0, 0, -1 / self.tau_syn_i, 0],
                      [0, 0, 0, 0, 0]])
        prop = expm(m * dt)
        values = dict(v_rest=self.v_rest, v_reset=self.v_reset, v_th=self.v_th, b=self.b,
                      a=self.a, n_ref=refractory_steps(self.refractory, dt),
                      decay_e=prop[2, 2], decay_i=prop[3, 3], decay_w=np.exp(-dt / tw))
        for row, name in ((0, "v"), (1, "w")):
            for col, source in enumerate("vweiu"):
                values[f"p_{name}{source}"] = prop[row, col]
        return values

    def _repr_fields(self):
        return {k: getattr(self, k) for k in ("tau_m", "v_rest", "v_reset", "v_th", "tau_w", "a",
                                              "b", "tau_syn_e", "tau_syn_i", "refractory")}
