"""The adaptive exponential integrate-and-fire neuron (AdEx; Brette & Gerstner 2005), a
model written as one file through the public model contract (docs: "Adding a neuron
model").

.. math::
    C \\dot v = -g_L (v - E_L) + g_L \\Delta_T e^{(v - V_T)/\\Delta_T} - w + i_e - i_i
               + I_{ext}, \\qquad
    \\tau_w \\dot w = a (v - E_L) - w,

with exponential synaptic currents ``i_e``, ``i_i`` (amperes). When ``v`` passes the
cut-off ``v_peak``, the neuron spikes: ``v`` is set to ``v_reset`` and ``w`` rises by
``b``. Integrated by forward Euler, statement for statement what Brian2 runs for these
equations with ``method='euler'`` (the generated code of its numpy target, loop
invariants included), so that :func:`neurosim.interop.brian2.to_brian2` reproduces it.
"""
import ctypes
import ctypes.util
import math

import numpy as np

from .._validation import _short, check_positive, to_si
from ..units import amp, farad, mV, ms, nS, pA, pF, second, siemens, volt
from ._base import NeuronModel, refractory_steps

__all__ = ["AdEx"]

# The per-step parameters, as the update reads them (p.<name>). Most are the scalars
# that Brian2's code generation pulls out of its loop over neurons ("loop invariants",
# computed once per step from the group's shared constants and dt); computed here with
# the same operations, they are the same floats.
_PARAMETERS = (
    "e_l",          # leak reversal potential                                  [V]
    "v_t",          # threshold of the exponential term                        [V]
    "v_reset",      # reset potential                                          [V]
    "v_peak",       # spike cut-off                                            [V]
    "g_l",          # leak conductance                                         [S]
    "a",            # subthreshold adaptation                                  [S]
    "b",            # spike-triggered jump of w                                [A]
    "n_ref",        # refractory period in steps
    "g_l_delta_t",  # delta_t*g_l                                              [A]
    "inv_delta_t",  # 1.0/delta_t                                              [1/V]
    "dt_c",         # dt/c_m                                                   [V/A]
    "dt_tw",        # dt/tau_w
    "m_dt_te",      # (-dt)/tau_syn_e
    "m_dt_ti",      # (-dt)/tau_syn_i
)


def _update(v, ge, gi, ref, w, i_ext, p, seed, step, k):
    """One neuron, one step: ``(v, i_e, i_i, ref, w, spiked)``. Plain Python,
    compiled by numba for the CPU and the GPU.

    Forward Euler from the state at the start of the step, grouped as Brian2's
    generated code groups it (``method='euler'``); ``v`` is held while refractory,
    ``w`` and the currents go on.
    """
    ref = ref - 1 if ref > 0 else ref
    free = ref == 0
    drive = ((i_ext + p.g_l_delta_t * math.exp(p.inv_delta_t * (v - p.v_t)))
             + p.g_l * (p.e_l - v)) + ge
    v_new = v + p.dt_c * (drive - (gi + w)) if free else v
    w_new = p.dt_tw * (p.a * (v - p.e_l) - w) + w
    spiked = free & (v_new > p.v_peak)
    v_new = p.v_reset if spiked else v_new
    w_new = w_new + p.b if spiked else w_new
    ref = int(p.n_ref) if spiked else ref
    return v_new, p.m_dt_te * ge + ge, p.m_dt_ti * gi + gi, ref, w_new, spiked


def _update_numpy(v, ge, gi, ref, w, i_ext, p, seed, step, index):
    """Vectorised twin of ``_update`` (views, in place); the numpy backend's oracle."""
    ref -= ref > 0
    free = ref == 0
    exp_term = p.g_l_delta_t * _exp(p.inv_delta_t * (v - p.v_t))
    v_euler = v + p.dt_c * ((((i_ext + exp_term) + p.g_l * (p.e_l - v)) + ge) - (gi + w))
    w += p.dt_tw * (p.a * (v - p.e_l) - w)          # from v before the step
    ge += p.m_dt_te * ge
    gi += p.m_dt_ti * gi
    v[free] = v_euler[free]
    spiked = free & (v > p.v_peak)
    v[spiked] = p.v_reset
    w[spiked] += p.b
    ref[spiked] = int(p.n_ref)
    return spiked


def _exp(x):
    """``exp`` of each element as the compiled update computes it: by the C library's
    ``exp`` (``expf`` for float32 states, as numba calls it). numpy's own vectorised
    ``exp`` differs from both in the last bit for about a quarter of the arguments
    (AVX-512 code)."""
    x = np.asarray(x)
    scalar_exp = _expf if x.dtype == np.float32 else _exp_double
    values = map(scalar_exp, x.ravel().tolist())
    return np.fromiter(values, dtype=x.dtype, count=x.size).reshape(x.shape)


def _exp_double(y):
    try:
        return math.exp(y)
    except OverflowError:       # C's exp, and so the compiled update, give inf
        return math.inf


def _c_expf():
    libm = ctypes.util.find_library("m")
    if libm is None:            # no C library to call: numpy's float32 exp, close enough
        return lambda y: float(np.exp(np.float32(y)))
    expf = ctypes.CDLL(libm).expf
    expf.argtypes, expf.restype = [ctypes.c_float], ctypes.c_float
    return expf


_expf = _c_expf()


def _inert(row):
    """Never fires, and stays finite: no threshold, and no exponential term that would
    carry ``v`` to infinity without a reset."""
    row = row.copy()
    row[_PARAMETERS.index("v_peak")] = np.inf
    row[_PARAMETERS.index("g_l_delta_t")] = 0.0
    return row


# Naud, Marcille, Clopath & Gerstner (2008), Table 1: the parameters of the firing
# patterns of their Fig. 4, and the step current that evokes each (the same values as
# Brian2's example examples/frompapers/Naud_et_al_2008_adex_firing_patterns.py). Of the
# table's eight rows, "delayed" is the delayed accelerating cell (Fig. 4e); the delayed
# regular bursting one (Fig. 4f) is left out.
NAUD_2008 = {
    # pattern:       c_m pF, g_l nS, e_l mV, v_t mV, delta_t mV, a nS, tau_w ms, b pA,
    #                v_reset mV, step current pA
    "tonic":         (200, 10, -70, -50, 2, 2, 30, 0, -58, 500),
    "adapting":      (200, 12, -70, -50, 2, 2, 300, 60, -58, 500),
    "initial_burst": (130, 18, -58, -50, 2, 4, 150, 120, -50, 400),
    "bursting":      (200, 10, -58, -50, 2, 2, 120, 100, -46, 210),
    "irregular":     (100, 12, -60, -50, 2, -11, 130, 30, -48, 160),
    "transient":     (100, 10, -65, -50, 2, 10, 90, 100, -47, 180),
    "delayed":       (200, 12, -70, -50, 2, -10, 300, 0, -58, 300),
}

# Brian2's equations for to_brian2; the adaptation current is ``w_ad`` because the
# exporter names the weight of every synapse ``w``, and Brian2 refuses a synaptic
# variable with the name of a variable of the target group.
_BRIAN2_EQUATIONS = (
    "dv/dt = (g_l*(e_l - v) + g_l*delta_t*exp((v - v_t)/delta_t) - w_ad + i_e - i_i + I_ext)"
    "/c_m : volt (unless refractory)\n"
    "dw_ad/dt = (a*(v - e_l) - w_ad)/tau_w : amp\n"
    "di_e/dt = -i_e/tau_e : amp\n"
    "di_i/dt = -i_i/tau_i : amp\n"
)


class AdEx(NeuronModel):
    """Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005).

    Parameters
    ----------
    c_m : Quantity
        Membrane capacitance (capacitance), > 0.
    g_l : Quantity
        Leak conductance (conductance), > 0.
    e_l : Quantity
        Leak reversal potential (voltage); the default initial ``v``.
    v_t : Quantity
        Threshold of the exponential term (voltage), where it equals the leak.
    delta_t : Quantity
        Slope factor of the exponential term (voltage), > 0.
    a : Quantity
        Subthreshold adaptation (conductance); negative values are allowed, as in
        Naud et al. (2008).
    tau_w : Quantity
        Time constant of the adaptation current (time), > 0.
    b : Quantity
        Jump of the adaptation current at each spike (current), >= 0.
    v_reset : Quantity
        Potential after a spike (voltage), below ``v_peak``.
    v_peak : Quantity, optional
        Spike cut-off (voltage), above ``v_t``: the neuron spikes when
        ``v > v_peak``. Default 0 mV, as NEST's ``aeif`` models and Brian2's example
        of Naud et al. (2008); past ``v_t`` the exponential term carries ``v`` there
        within a few steps, so the spike times hardly depend on it.
    refractory : Quantity, optional
        Absolute refractory period (time), default 0 ms, a whole number of steps;
        ``v`` is held at ``v_reset`` meanwhile, ``w`` and the currents go on.
    tau_syn_e, tau_syn_i : Quantity, optional
        Decay times of the excitatory and inhibitory synaptic currents (time),
        default 5 ms and 10 ms.

    Notes
    -----
    .. math::
        C \\frac{dv}{dt} = -g_L (v - E_L) + g_L \\Delta_T e^{(v - V_T)/\\Delta_T} - w
            + i_e - i_i + I_{ext},\\qquad
        \\tau_w \\frac{dw}{dt} = a (v - E_L) - w,\\qquad
        \\tau_e \\frac{di_e}{dt} = -i_e,\\qquad \\tau_i \\frac{di_i}{dt} = -i_i

    State variables: ``v`` (V), ``w_ad`` (the adaptation current ``w``, A), ``i_e``
    and ``i_i`` (A). Synaptic weights are the jumps of ``i_e``, ``i_i`` and injected
    currents are in amperes. ``w_ad`` is not called ``w`` because Brian2, to which
    :func:`~neurosim.interop.brian2.to_brian2` exports the model, names the weight of
    a synapse ``w``.

    Forward Euler, Brian2's ``method='euler'``, every right-hand side taken at the
    state before the step; the synaptic currents too decay by Euler steps,
    ``i += (-dt/tau) i`` (not by ``exp(-dt/tau)``), as Brian2's Euler does. ``dt``
    must lie below every time constant (``c_m/g_l``, ``tau_w``, ``tau_syn_*``), and
    well below for accuracy. The update groups the operations as Brian2's generated
    code does, so an exported network (:func:`~neurosim.interop.brian2.to_brian2`)
    computes the same numbers, but for the exponential: neurosim uses the C
    library's ``exp`` on every backend, Brian2's numpy target numpy's, which may
    differ in the last bit (tests/test_adex.py). The exponential is not guarded,
    as in Brian2: where it overflows (``v - v_t`` above ~709 ``delta_t``), ``v``
    becomes infinite and the step ends in a spike. In a float32 network every
    operation, the exponential included, is done in float32.

    Synaptic input is summed in neurosim's fixed point, in multiples of
    ``2**-40`` of the weight unit: weights are rounded to multiples of
    ``2**-40 A``, about 0.91 pA.

    :attr:`NAUD_2008` holds the parameters of the firing patterns of Naud et al.
    (2008), Table 1 (their Fig. 4), and :meth:`firing_pattern` makes the models.

    References
    ----------
    Brette & Gerstner (2005), Adaptive exponential integrate-and-fire model as an
    effective description of neuronal activity, *J. Neurophysiol.* 94:3637.
    Naud, Marcille, Clopath & Gerstner (2008), Firing patterns in the adaptive
    exponential integrate-and-fire model, *Biol. Cybern.* 99:335.

    Examples
    --------
    Adaptation under a step of current: the intervals between spikes grow.

    >>> import numpy as np
    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV, nS, pA, pF
    >>> model = ns.AdEx(c_m=200*pF, g_l=12*nS, e_l=-70*mV, v_t=-50*mV, delta_t=2*mV,
    ...                 a=2*nS, tau_w=300*ms, b=60*pA, v_reset=-58*mV)
    >>> sorted(model.state_variables)
    ['i_e', 'i_i', 'v', 'w_ad']
    >>> cell = ns.NeuronGroup(1, model)
    >>> spikes = ns.SpikeMonitor(cell)
    >>> net = ns.Network(cell, ns.CurrentInput(cell, 500*pA), spikes)
    >>> net.run(300*ms, dt=0.1*ms, seed=0)
    >>> isi = np.diff(spikes.t) * 1e3                  # ms
    >>> bool(np.all(np.diff(isi) >= 0)), bool(isi[-1] > 3 * isi[0])
    (True, True)
    """

    #: Naud et al. (2008), Table 1: ``{pattern: (c_m pF, g_l nS, e_l mV, v_t mV,
    #: delta_t mV, a nS, tau_w ms, b pA, v_reset mV, step current pA)}``.
    NAUD_2008 = NAUD_2008

    parameters = _PARAMETERS
    extra_state = ("w",)
    scalar_update = staticmethod(_update)
    vector_update = staticmethod(_update_numpy)
    inert = staticmethod(_inert)
    weight_unit = current_unit = amp

    def __init__(self, c_m, g_l, e_l, v_t, delta_t, a, tau_w, b, v_reset, v_peak=0 * mV,
                 refractory=0 * second, tau_syn_e=5 * ms, tau_syn_i=10 * ms):
        self.c_m = check_positive("c_m", c_m, farad)
        self.g_l = check_positive("g_l", g_l, siemens)
        self.e_l = to_si("e_l", e_l, volt)
        self.v_t = to_si("v_t", v_t, volt)
        self.delta_t = check_positive("delta_t", delta_t, volt)
        self.a = to_si("a", a, siemens)
        self.tau_w = check_positive("tau_w", tau_w, second)
        self.b = check_positive("b", b, amp, strict=False)
        self.v_reset = to_si("v_reset", v_reset, volt)
        self.v_peak = to_si("v_peak", v_peak, volt)
        if self.v_peak <= self.v_t:
            raise ValueError(f"v_peak={_short(v_peak)} must lie above v_t={_short(v_t)}")
        if self.v_reset >= self.v_peak:
            raise ValueError(f"v_reset={_short(v_reset)} must lie below "
                             f"v_peak={_short(v_peak)}")
        self.refractory = check_positive("refractory", refractory, second, strict=False)
        self.tau_syn_e = check_positive("tau_syn_e", tau_syn_e, second)
        self.tau_syn_i = check_positive("tau_syn_i", tau_syn_i, second)
        self._freeze()

    @classmethod
    def firing_pattern(cls, pattern, **changes):
        """A model and step current of a firing pattern of Naud et al. (2008), Table 1.

        Parameters
        ----------
        pattern : str
            One of ``'tonic'``, ``'adapting'``, ``'initial_burst'``, ``'bursting'``
            (regular bursting), ``'irregular'``, ``'transient'`` and ``'delayed'``
            (delayed accelerating), the keys of :attr:`NAUD_2008`.
        **changes
            Parameters of the model to set otherwise (``v_peak``, ``refractory``...).

        Returns
        -------
        model : AdEx
            The model with the parameters of the table.
        current : Quantity
            The step of current that evokes the pattern from rest (``v = e_l``,
            ``w_ad = 0``).
        """
        if pattern not in NAUD_2008:
            raise ValueError(f"pattern={pattern!r} must be one of {sorted(NAUD_2008)}")
        c_m, g_l, e_l, v_t, delta_t, a, tau_w, b, v_reset, current = NAUD_2008[pattern]
        values = dict(c_m=c_m * pF, g_l=g_l * nS, e_l=e_l * mV, v_t=v_t * mV,
                      delta_t=delta_t * mV, a=a * nS, tau_w=tau_w * ms, b=b * pA,
                      v_reset=v_reset * mV)
        return cls(**{**values, **changes}), current * pA

    @property
    def state_variables(self):
        return {"v": ("v", volt, self.e_l), "w_ad": ("w", amp, 0.0),
                "i_e": ("ge", amp, 0.0), "i_i": ("gi", amp, 0.0)}

    def validate_dt(self, dt):
        for name, tau in (("c_m/g_l", self.c_m / self.g_l), ("tau_w", self.tau_w),
                          ("tau_syn_e", self.tau_syn_e), ("tau_syn_i", self.tau_syn_i)):
            if dt >= tau:
                raise ValueError(f"dt={dt * 1e3:g} ms is too large for forward Euler with "
                                 f"{name}={tau * 1e3:g} ms; use dt < {name}")

    def parameter_values(self, dt):
        self.validate_dt(dt)
        # the loop invariants of Brian2's generated code, with its operations
        return dict(e_l=self.e_l, v_t=self.v_t, v_reset=self.v_reset, v_peak=self.v_peak,
                    g_l=self.g_l, a=self.a, b=self.b,
                    n_ref=refractory_steps(self.refractory, dt),
                    g_l_delta_t=self.delta_t * self.g_l, inv_delta_t=1.0 / self.delta_t,
                    dt_c=dt / self.c_m, dt_tw=dt / self.tau_w,
                    m_dt_te=(-dt) / self.tau_syn_e, m_dt_ti=(-dt) / self.tau_syn_i)

    def brian2_equations(self, dt):
        """How the model is written in Brian2, for :func:`~neurosim.interop.brian2.to_brian2`.

        Parameters
        ----------
        dt : float
            The time step (seconds).

        Returns
        -------
        dict
            The keyword arguments of the exporter's model description: equations
            (with ``I_ext``), parameters as ``{name: (value, unit)}``, threshold,
            reset, refractoriness, ``method='euler'`` and the ``on_pre`` code of
            excitatory and inhibitory synapses.
        """
        params = {"c_m": (self.c_m, "farad"), "g_l": (self.g_l, "siemens"),
                  "e_l": (self.e_l, "volt"), "v_t": (self.v_t, "volt"),
                  "delta_t": (self.delta_t, "volt"), "a": (self.a, "siemens"),
                  "tau_w": (self.tau_w, "second"), "b": (self.b, "amp"),
                  "v_reset": (self.v_reset, "volt"), "v_peak": (self.v_peak, "volt"),
                  "tau_e": (self.tau_syn_e, "second"), "tau_i": (self.tau_syn_i, "second"),
                  "t_ref": (self.refractory, "second")}
        return dict(equations=_BRIAN2_EQUATIONS, params=params, threshold="v > v_peak",
                    reset="v = v_reset\nw_ad += b", refractory="t_ref", method="euler",
                    on_pre={"excitatory": "i_e_post += w", "inhibitory": "i_i_post += w"},
                    weight_unit="amp", current_unit="amp", input_var=("i_e", "i_i"),
                    delta=False)

    def _repr_fields(self):
        return {k: getattr(self, k) for k in ("c_m", "g_l", "e_l", "v_t", "delta_t", "a",
                                              "tau_w", "b", "v_reset", "v_peak", "refractory",
                                              "tau_syn_e", "tau_syn_i")}
