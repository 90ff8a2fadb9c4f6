"""LIF with alpha-shaped synaptic currents (NEST's ``iaf_psc_alpha``, PyNN's ``IF_curr_alpha``).

.. math::
    \\tau_m \\dot v = v_{rest} - v + i_e - i_i + R I_{ext}, \\qquad
    \\tau_x \\dot i_x = e\\, y_x - i_x, \\qquad \\tau_x \\dot y_x = -y_x \\quad (x = e, i)

A spike of weight ``w`` arriving at ``t = 0`` raises ``y_x`` by ``w``, so that
``i_x(t) = w (t/tau_x) exp(1 - t/tau_x)``: the synaptic current peaks at ``w`` at
``t = tau_x``, the normalisation of NEST and PyNN. Below threshold the system is linear
in ``(v - v_rest, i_e, y_e, i_i, y_i, i_ext)`` and is integrated exactly over each step
(its propagator is the matrix exponential, computed once per ``dt`` on the host), with
the injected current constant over the step, as NEST's ``iaf_psc_alpha`` and Brian2's
``exact`` method do.
"""
import numpy as np
from scipy.linalg import expm

from .._validation import check_positive
from ..units import farad, second, volt
from ._base import NeuronModel, refractory_steps
from ._lif_family import VoltageInputs, set_membrane

__all__ = ["LIFAlpha"]

# the per-step parameters; p_<to>_<from> is the exact propagator over one step, from
# (v - v_rest, i_e, y_e, i_i, y_i, i_ext) to one variable. i_i enters v with a minus
# sign, so p_v_ii and p_v_yi are negative (weights are magnitudes).
_PARAMETERS = ("v_rest", "v_reset", "v_th", "n_ref",
               "p_v_v", "p_v_ie", "p_v_ye", "p_v_ii", "p_v_yi", "p_v_u",
               "p_ie_ie", "p_ie_ye", "p_ye_ye", "p_ii_ii", "p_ii_yi", "p_yi_yi")

# Brian2's form of the same equations (y_x jumps by the weight; e_num is Euler's number)
_BRIAN2_EQUATIONS = """
dv/dt = (v_rest - v + i_e - i_i + I_ext) / tau_m : volt (unless refractory)
di_e/dt = (e_num * y_e - i_e) / tau_e : volt
dy_e/dt = -y_e / tau_e : volt
di_i/dt = (e_num * y_i - i_i) / tau_i : volt
dy_i/dt = -y_i / tau_i : volt
"""


def _update(v, ye, yi, ref, ie, ii, i_ext, p, seed, step, k):
    """One neuron, one step: ``(v, y_e, y_i, ref, i_e, i_i, spiked)``. Plain Python,
    compiled by numba for the CPU and the GPU; ``ge``/``gi`` hold ``y_e``/``y_i``, where
    the synaptic input adds up."""
    ref = ref - 1 if ref > 0 else ref
    free = ref == 0
    x = v - p.v_rest
    v_free = p.v_rest + (p.p_v_v * x + p.p_v_ie * ie + p.p_v_ye * ye + p.p_v_ii * ii
                         + p.p_v_yi * yi + p.p_v_u * i_ext)
    v_new = v_free if free else v          # held while refractory; the currents run on
    spiked = free & (v_new > p.v_th)
    v_new = p.v_reset if spiked else v_new
    ref = int(p.n_ref) if spiked else ref
    ie_new = p.p_ie_ie * ie + p.p_ie_ye * ye
    ii_new = p.p_ii_ii * ii + p.p_ii_yi * yi
    return v_new, ye * p.p_ye_ye, yi * p.p_yi_yi, ref, ie_new, ii_new, spiked


def _update_numpy(v, ye, yi, ref, ie, ii, i_ext, p, seed, step, index):
    """Vectorised twin of ``_update`` (views, changed in place); the numpy backend's
    oracle. Returns the spike mask."""
    ref -= ref > 0
    free = ref == 0
    x = v - p.v_rest
    v_free = p.v_rest + (p.p_v_v * x + p.p_v_ie * ie + p.p_v_ye * ye + p.p_v_ii * ii
                         + p.p_v_yi * yi + p.p_v_u * i_ext)
    v[free] = v_free[free]
    spiked = free & (v > p.v_th)
    v[spiked] = p.v_reset
    ref[spiked] = int(p.n_ref)
    ie[:] = p.p_ie_ie * ie + p.p_ie_ye * ye
    ii[:] = p.p_ii_ii * ii + p.p_ii_yi * yi
    ye *= p.p_ye_ye
    yi *= p.p_yi_yi
    return spiked


def _inert(row):
    """A copy of the parameter ``row`` whose neurons never fire (MPI ranks on GPUs)."""
    row = row.copy()
    row[_PARAMETERS.index("v_th")] = np.inf
    return row


class LIFAlpha(VoltageInputs, NeuronModel):
    """Leaky integrate-and-fire neuron with alpha-shaped synaptic currents.

    NEST's ``iaf_psc_alpha`` and PyNN's ``IF_curr_alpha``: a spike of weight ``w``
    makes the synaptic current ``w (t/tau_syn) exp(1 - t/tau_syn)``, which rises from 0
    and peaks at ``w`` after ``tau_syn``.

    Parameters
    ----------
    tau_m : Quantity
        Membrane time constant (time), > 0.
    v_rest, v_reset, v_th : Quantity
        Resting potential, reset potential and threshold (voltage); the neuron spikes
        when ``v > v_th``; ``v_reset < v_th``.
    tau_syn_e, tau_syn_i : Quantity
        Rise times (time to the peak) of the excitatory and inhibitory synaptic
        currents (time), > 0.
    refractory : Quantity, optional
        Absolute refractory period (time), default 0 ms, a whole number of steps;
        ``v`` is held at ``v_reset`` meanwhile, the synaptic currents go on.
    c_m : Quantity, optional
        Membrane capacitance (capacitance), > 0. Only needed to give weights and
        injected currents in amperes (the peak current of a synapse); they are then
        converted to volts with ``R = tau_m / c_m``, as for :class:`~neurosim.LIF`.

    Notes
    -----
    .. math::
        \\tau_m \\frac{dv}{dt} = v_{rest} - v + i_e - i_i + R I_{ext},\\quad
        \\tau_x \\frac{di_x}{dt} = e\\,y_x - i_x,\\quad \\tau_x \\frac{dy_x}{dt} = -y_x

    State variables: ``v`` (V), the synaptic currents ``i_e`` and ``i_i`` and their
    auxiliary variables ``y_e`` and ``y_i`` (all in volts: current times membrane
    resistance). Weights are the jumps of ``y_x``, i.e. the peaks of the currents:
    positive magnitudes whose sign comes from the synapse kind, in volts (or amperes
    with ``c_m``). The linear system is integrated exactly over each step, its
    propagator the matrix exponential for the step ``dt``; equal ``tau_m`` and
    ``tau_syn`` are fine.

    References
    ----------
    Rotter & Diesmann (1999), Exact digital simulation of time-invariant linear
    systems with applications to neuronal modeling, *Biol. Cybern.* 81:381.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV, nF
    >>> model = ns.LIFAlpha(tau_m=20*ms, v_rest=-65*mV, v_reset=-65*mV, v_th=-50*mV,
    ...                     tau_syn_e=0.5*ms, tau_syn_i=0.5*ms, refractory=0.1*ms,
    ...                     c_m=1*nF)
    >>> sorted(model.state_variables)
    ['i_e', 'i_i', 'v', 'y_e', 'y_i']
    """

    parameters = _PARAMETERS
    extra_state = ("i_e", "i_i")
    scalar_update = staticmethod(_update)
    vector_update = staticmethod(_update_numpy)
    inert = staticmethod(_inert)
    weight_unit = current_unit = volt

    def __init__(self, tau_m, v_rest, v_reset, v_th, tau_syn_e, tau_syn_i,
                 refractory=0 * second, c_m=None):
        set_membrane(self, tau_m, v_rest, v_reset, v_th, refractory)
        self.tau_syn_e = check_positive("tau_syn_e", tau_syn_e, second)
        self.tau_syn_i = check_positive("tau_syn_i", tau_syn_i, second)
        self.c_m = check_positive("c_m", c_m, farad, allow_none=True)
        self._freeze()

    @property
    def state_variables(self):
        return {"v": ("v", volt, self.v_rest), "i_e": ("i_e", volt, 0.0),
                "i_i": ("i_i", volt, 0.0), "y_e": ("ge", volt, 0.0), "y_i": ("gi", volt, 0.0)}

    def parameter_values(self, dt):
        prop = expm(_system(self.tau_m, self.tau_syn_e, self.tau_syn_i) * dt)
        values = dict(v_rest=self.v_rest, v_reset=self.v_reset, v_th=self.v_th,
                      n_ref=refractory_steps(self.refractory, dt))
        for row, name in enumerate(("v", "ie", "ye", "ii", "yi")):
            for col, source in enumerate(("v", "ie", "ye", "ii", "yi", "u")):
                key = f"p_{name}_{source}"
                if key in _PARAMETERS:
                    values[key] = float(prop[row, col])
        return values

    def brian2_equations(self, dt):
        """How the model is written in Brian2, for :func:`~neurosim.interop.brian2.to_brian2`.

        Parameters
        ----------
        dt : float
            The time step (seconds).

        Returns
        -------
        dict
            The exporter's model description: the equations (with ``I_ext``, in
            volts), the parameters as ``{name: (value, unit)}``, threshold, reset,
            refractoriness, method ``'exact'`` and the ``on_pre`` code of excitatory
            and inhibitory synapses (``y_e_post += w``, ``y_i_post += w``).

        Raises
        ------
        Brian2ExportError
            When ``tau_syn_e`` or ``tau_syn_i`` equals ``tau_m``: Brian2's symbolic
            solution divides by their difference.
        """
        from ..interop._brian2_errors import Brian2ExportError
        for name in ("tau_syn_e", "tau_syn_i"):
            if abs(getattr(self, name) - self.tau_m) < 1e-12 * self.tau_m:
                raise Brian2ExportError(
                    f"LIFAlpha: {name} = tau_m = {self.tau_m * 1e3:g} ms; Brian2's 'exact' "
                    f"solution divides by ({name} - tau_m); change {name} by a tiny amount "
                    "to export this model")
        params = {"tau_m": (self.tau_m, "second"), "v_rest": (self.v_rest, "volt"),
                  "v_reset": (self.v_reset, "volt"), "v_th": (self.v_th, "volt"),
                  "t_ref": (self.refractory, "second"), "tau_e": (self.tau_syn_e, "second"),
                  "tau_i": (self.tau_syn_i, "second"), "e_num": (float(np.e), "1")}
        return dict(equations=_BRIAN2_EQUATIONS, params=params, threshold="v > v_th",
                    reset="v = v_reset", refractory="t_ref", method="exact",
                    on_pre={"excitatory": "y_e_post += w", "inhibitory": "y_i_post += w"},
                    weight_unit="volt", current_unit="volt", input_var=("y_e", "y_i"),
                    delta=False)

    def _repr_fields(self):
        return {k: getattr(self, k) for k in ("tau_m", "v_rest", "v_reset", "v_th", "tau_syn_e",
                                              "tau_syn_i", "refractory", "c_m")}


def _system(tau_m, tau_e, tau_i):
    """The matrix of the linear system in ``(v - v_rest, i_e, y_e, i_i, y_i, i_ext)``
    (``i_ext`` constant), in 1/s."""
    e = np.e
    return np.array([[-1 / tau_m, 1 / tau_m, 0, -1 / tau_m, 0, 1 / tau_m],
                     [0, -1 / tau_e, e / tau_e, 0, 0, 0],
                     [0, 0, -1 / tau_e, 0, 0, 0],
                     [0, 0, 0, -1 / tau_i, e / tau_i, 0],
                     [0, 0, 0, 0, -1 / tau_i, 0],
                     [0, 0, 0, 0, 0, 0]])
