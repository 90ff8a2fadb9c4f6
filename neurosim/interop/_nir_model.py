"""The discrete-time neuron that :func:`neurosim.interop.nir.from_nir` builds for NIR's
``LIF``, ``CubaLIF`` and ``IF`` nodes with ``method="euler"``, and for ``IF`` nodes with
``method="exact"``.

One step of one neuron, with ``x`` the input of the step (the synaptic input summed
in ``ge`` and ``gi`` during the previous step, plus the injected current, which
carries an ``Affine`` node's bias)::

    i = decay_s * i + gain_s * x                     (synaptic current; CubaLIF)
    v = decay_m * v + leak + gain_m * i - sub        (membrane)
    spike when v > v_th; then v = v_reset            (reset="zero")

For forward Euler of NIR's ``tau dv/dt = v_leak - v + r I`` these are
``decay_m = 1 - dt/tau``, ``leak = dt/tau v_leak``, ``gain_m = dt/tau r`` (and for
``CubaLIF`` ``decay_s = 1 - dt/tau_syn``, ``gain_s = dt/tau_syn w_in``; without a
synaptic current ``decay_s = 0``, ``gain_s = 1``, so that ``i = x``). The current is
updated before the membrane, which then sees the new current: snnTorch's
``Synaptic`` does the same.

With ``reset_sub = 1`` a spike does not reset ``v`` at once: the next step subtracts
``v_th - v_reset`` after the decay (``sub = (v > v_th) (v_th - v_reset)``, judged on
the ``v`` before the step), which is snnTorch's default ``reset_mechanism="subtract"``
with ``reset_delay=True``, operation for operation.

This file holds only the rules, so that the engine neurosim compiles for the model
(keyed by the source of this file) does not change when the importer does.
"""
import numpy as np

from ..models._base import NeuronModel

__all__ = ["NIRNeuron"]

PARAMETERS = ("decay_m", "leak", "gain_m", "decay_s", "gain_s", "v_th", "v_reset", "reset_sub")


def _update(v, ge, gi, ref, i_syn, i_ext, p, seed, step, k):
    """One neuron, one step: ``(v, ge, gi, ref, i_syn, spiked)``. Plain Python."""
    x = ge - gi + i_ext
    i_new = p.decay_s * i_syn + p.gain_s * x
    sub = p.reset_sub * (p.v_th - p.v_reset) if v > p.v_th else 0.0
    v_new = p.decay_m * v + p.leak + p.gain_m * i_new - sub
    spiked = v_new > p.v_th
    keep = p.reset_sub > 0.5
    v_new = p.v_reset if (spiked and not keep) else v_new
    return v_new, 0.0, 0.0, ref, i_new, spiked


def _update_numpy(v, ge, gi, ref, i_syn, i_ext, p, seed, step, index):
    """Vectorised twin of ``_update`` (views, changed in place); returns the spike mask."""
    x = ge - gi + i_ext
    i_syn[:] = p.decay_s * i_syn + p.gain_s * x
    sub = np.where(v > p.v_th, p.reset_sub * (p.v_th - p.v_reset), 0.0)
    v[:] = p.decay_m * v + p.leak + p.gain_m * i_syn - sub
    spiked = v > p.v_th
    if p.reset_sub <= 0.5:
        v[spiked] = p.v_reset
    ge[:] = 0.0
    gi[:] = 0.0
    return spiked


def _inert(row):
    """A copy of the parameter ``row`` whose neurons never fire."""
    row = row.copy()
    row[PARAMETERS.index("v_th")] = np.inf
    return row


class NIRNeuron(NeuronModel):
    """A NIR ``LIF``, ``CubaLIF`` or ``IF`` neuron as a discrete-time update.

    Made by :func:`neurosim.interop.nir.from_nir`; the parameters are the per-step
    coefficients of the update (module docstring), plain numbers (NIR's values are
    SI: ``v`` in volts, but snnTorch and most tools write dimensionless numbers).

    Parameters
    ----------
    decay_m, leak, gain_m : float
        ``v <- decay_m v + leak + gain_m i``.
    decay_s, gain_s : float
        ``i <- decay_s i + gain_s x`` with ``x`` the input of the step.
    v_th, v_reset : float
        Threshold (spike when ``v > v_th``) and reset potential.
    reset : {'zero', 'subtract'}
        ``'zero'``: ``v = v_reset`` at the spike (NIR). ``'subtract'``: the next step
        subtracts ``v_th - v_reset`` (snnTorch's ``reset_mechanism="subtract"``).

    Examples
    --------
    >>> from neurosim.interop._nir_model import NIRNeuron
    >>> model = NIRNeuron(0.9, 0.0, 1.0, 0.0, 1.0, v_th=1.0, v_reset=0.0)
    >>> model.state_variables["v"]
    ('v', None, 0.0)
    """

    parameters = PARAMETERS
    extra_state = ("i_syn",)
    scalar_update = staticmethod(_update)
    vector_update = staticmethod(_update_numpy)
    inert = staticmethod(_inert)
    weight_unit = None
    current_unit = None

    def __init__(self, decay_m, leak, gain_m, decay_s, gain_s, v_th, v_reset, reset="zero"):
        for name, value in (("decay_m", decay_m), ("leak", leak), ("gain_m", gain_m),
                            ("decay_s", decay_s), ("gain_s", gain_s), ("v_th", v_th),
                            ("v_reset", v_reset)):
            value = float(value)
            if not np.isfinite(value):
                raise ValueError(f"{name}={value!r} must be finite")
            object.__setattr__(self, name, value)
        if reset not in ("zero", "subtract"):
            raise ValueError(f"reset={reset!r} must be 'zero' or 'subtract'")
        self.reset = reset
        self._freeze()

    #: ``v`` starts at 0 (``from_nir`` sets it to ``v_leak``), the synaptic current at 0
    state_variables = {"v": ("v", None, 0.0), "i_syn": ("i_syn", None, 0.0)}

    def parameter_values(self, dt):
        return dict(decay_m=self.decay_m, leak=self.leak, gain_m=self.gain_m,
                    decay_s=self.decay_s, gain_s=self.gain_s, v_th=self.v_th,
                    v_reset=self.v_reset, reset_sub=float(self.reset == "subtract"))

    def _repr_fields(self):
        return {k: getattr(self, k) for k in ("decay_m", "leak", "gain_m", "decay_s", "gain_s",
                                              "v_th", "v_reset", "reset")}
