"""The Izhikevich (2003) simple spiking neuron: a model written as one file, through the
public model contract (docs: "Adding a neuron model").

.. math::
    \\frac{dv}{dt} = k_2 v^2 + k_1 v + k_0 - u + I_{ext}, \\qquad
    \\frac{du}{dt} = a (b v - u),

with Izhikevich's constants in units, ``k_2 = 0.04/(ms mV)``, ``k_1 = 5/ms`` and
``k_0 = 140 mV/ms``: ``v`` is in volts, ``u`` and ``I_ext`` in volts per second
(mV/ms in the paper). When ``v >= v_peak`` the neuron spikes, ``v`` is set to
``c`` and ``u`` raised by ``d``. Integrated with forward Euler, operation for
operation as Brian2's ``method='euler'`` computes these equations. Synapses are
delta synapses: an input spike makes ``v`` jump by the weight (volts), as
Izhikevich's network adds its synaptic input to ``I`` for one 1-ms step.
"""
import numpy as np

from .._validation import _short, check_positive, to_si
from ..kernels._layout import FIXED_UNIT
from ..units import ms, mV, second, volt
from ._base import NeuronModel

__all__ = ["Izhikevich"]

# Izhikevich's constants, in SI: 0.04/(ms mV) [1/(V s)], 5/ms [1/s], 140 mV/ms [V/s]
K_2 = float(0.04 / ms / mV)
K_1 = float(5 / ms)
K_0 = float(140 * mV / ms)

# the per-step parameters (SI): the step, the constants of the equations, a*dt, b, the
# reset c and d and the peak
_PARAMETERS = ("dt", "k_2", "k_1", "k_0", "a_dt", "b", "c", "d", "v_peak")

# Fig. 2 of Izhikevich (2003): a and b as rates, c a voltage, d a jump of u (mV/ms)
REGIMES = {
    "RS": dict(a=0.02 / ms, b=0.2 / ms, c=-65 * mV, d=8 * mV / ms),    # regular spiking
    "IB": dict(a=0.02 / ms, b=0.2 / ms, c=-55 * mV, d=4 * mV / ms),    # intrinsically bursting
    "CH": dict(a=0.02 / ms, b=0.2 / ms, c=-50 * mV, d=2 * mV / ms),    # chattering
    "FS": dict(a=0.1 / ms, b=0.2 / ms, c=-65 * mV, d=2 * mV / ms),     # fast spiking
    "LTS": dict(a=0.02 / ms, b=0.25 / ms, c=-65 * mV, d=2 * mV / ms),  # low-threshold spiking
}

# the initial potential of Izhikevich's simulations (u starts at b * V_INIT)
V_INIT = -65e-3


def _update(v, ge, gi, ref, u, i_ext, p, seed, step, k):
    """One neuron, one step: ``(v, ge, gi, ref, u, spiked)``. Plain Python, compiled by
    numba for the CPU and the GPU. Forward Euler from the state at the start of the
    step, in the order of operations of Brian2's generated code."""
    # Brian2's numpy code for these equations (scalars first, then the vector terms):
    # _u = _lio_2*(b*v - u) + u with _lio_2 = a*dt, and
    # _v = dt*((k_0 + ((I_ext + k_1*v) + k_2*v**2)) - u) + v
    v_new = p.dt * ((p.k_0 + ((i_ext + p.k_1 * v) + p.k_2 * (v * v))) - u) + v
    u_new = p.a_dt * (p.b * v - u) + u
    spiked = v_new >= p.v_peak
    v_new = p.c if spiked else v_new
    u_new = u_new + p.d if spiked else u_new
    return v_new, ge, gi, ref, u_new, spiked


def _update_numpy(v, ge, gi, ref, u, i_ext, p, seed, step, index):
    """Vectorised twin of ``_update`` (views, in place); the numpy backend's oracle."""
    dvdt = i_ext + p.k_1 * v
    dvdt += p.k_2 * np.square(v)
    dvdt = p.k_0 + dvdt
    dvdt -= u
    u += p.a_dt * (p.b * v - u)         # from the v of the start of the step
    v += p.dt * dvdt
    spiked = v >= p.v_peak
    v[spiked] = p.c
    u[spiked] += p.d
    return spiked


def _receive(v, ref, spiked, exc, inh):
    """``v`` after the input of one slot: a jump by the net input (delta synapses), except
    on a neuron that has just spiked, whose ``v`` is the reset ``c`` (in Brian2 the input
    of this step lands before the reset, which overwrites it)."""
    return v if spiked else v + (exc - inh) * FIXED_UNIT


def _receive_numpy(v, ref, spiked, exc, inh):
    """Vectorised twin of ``_receive``; returns the new ``v``."""
    return np.where(spiked, v, v + (exc - inh) * FIXED_UNIT)


def _inert(row):
    """A copy of the parameter ``row`` whose neurons never fire nor move."""
    row = row.copy()
    row[_PARAMETERS.index("v_peak")] = np.inf
    row[_PARAMETERS.index("dt")] = 0.0
    row[_PARAMETERS.index("a_dt")] = 0.0
    return row


_BRIAN2_EQUATIONS = """
dv/dt = k_2*v**2 + k_1*v + k_0 - u + I_ext : volt
du/dt = a*(b*v - u) : volt/second
"""


class Izhikevich(NeuronModel):
    """The simple spiking neuron of Izhikevich (2003), with delta synapses.

    Parameters
    ----------
    a : Quantity
        Rate of recovery of ``u`` (1/time, e.g. ``0.02/ms``), > 0.
    b : Quantity
        Sensitivity of ``u`` to ``v`` (1/time, e.g. ``0.2/ms``).
    c : Quantity
        Reset potential (voltage, e.g. ``-65*mV``), below ``v_peak``.
    d : Quantity
        Jump of ``u`` at a spike (voltage/time, e.g. ``8*mV/ms``).
    v_peak : Quantity, optional
        Spike cut-off (voltage), default 30 mV: the neuron spikes when ``v >= v_peak``.

    Notes
    -----
    .. math::
        \\frac{dv}{dt} = 0.04\\,\\mathrm{ms^{-1} mV^{-1}}\\, v^2 + 5\\,\\mathrm{ms^{-1}}\\, v
        + 140\\,\\mathrm{mV\\,ms^{-1}} - u + I_{ext}, \\qquad
        \\frac{du}{dt} = a (b v - u),

    and when ``v >= v_peak``: ``v = c``, ``u += d``. The paper's dimensionless
    numbers (``a = 0.02``, ``d = 8``, ``I = 10``) are per ms and mV per ms. State
    variables: ``v`` (V, default -65 mV, the paper's start) and ``u`` (V/s,
    default ``b * -65 mV``). Injected currents (``CurrentInput``,
    ``TimedCurrent``) are in volts per second, as ``u`` (``10*mV/ms`` is the
    paper's ``I = 10``). Weights are in volts: an input spike makes ``v`` jump
    by the weight (delta synapses, ``on_pre='v_post += w'`` in Brian2), which
    stands for the paper's network, where the input of a spike enters ``I`` for
    one step of 1 ms. Input that reaches a neuron in the step in which it spikes
    is lost to the reset, as in Brian2. There is no refractory period.

    The equations are integrated with forward Euler, the arithmetic in the order
    of Brian2's ``method='euler'`` code for them, so that
    :func:`neurosim.interop.brian2.to_brian2` reproduces single neurons bit for
    bit (``CurrentInput`` is exported; a ``TimedCurrent`` onto this model is not
    yet). The step ``dt`` must be at most 1 ms.

    ``Izhikevich.regimes`` holds the parameters of the five cortical classes
    of the paper's Fig. 2 and ``Izhikevich.preset`` makes a model of one of them: regular
    spiking (``'RS'``), intrinsically bursting (``'IB'``), chattering
    (``'CH'``), fast spiking (``'FS'``) and low-threshold spiking (``'LTS'``).

    References
    ----------
    Izhikevich EM (2003). Simple model of spiking neurons. IEEE Trans Neural
    Netw 14:1569-1572.

    Examples
    --------
    A regular-spiking neuron under a constant current, the paper's ``I = 10``:

    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV
    >>> rs = ns.Izhikevich(a=0.02/ms, b=0.2/ms, c=-65*mV, d=8*mV/ms)
    >>> cell = ns.NeuronGroup(1, rs)
    >>> drive = ns.CurrentInput(cell, 10*mV/ms)
    >>> spikes = ns.SpikeMonitor(cell)
    >>> net = ns.Network(cell, drive, spikes)
    >>> net.run(200*ms, dt=0.1*ms, seed=0, backend="numpy")
    >>> (spikes.t * 1e3).round(1)        # ms: the intervals lengthen, then settle
    array([  3.3,  27. ,  72.1, 117.2, 162.3])
    """

    parameters = _PARAMETERS
    extra_state = ("u",)
    scalar_update = staticmethod(_update)
    vector_update = staticmethod(_update_numpy)
    receive = staticmethod(_receive)
    vector_receive = staticmethod(_receive_numpy)
    inert = staticmethod(_inert)
    weight_unit = volt
    current_unit = volt / second
    #: The parameters of the five regimes of Izhikevich (2003), Fig. 2, by name.
    regimes = REGIMES

    def __init__(self, a, b, c, d, v_peak=30 * mV):
        self.a = check_positive("a", a, 1 / second)
        self.b = to_si("b", b, 1 / second)
        self.c = to_si("c", c, volt)
        self.d = to_si("d", d, volt / second)
        self.v_peak = to_si("v_peak", v_peak, volt)
        if self.c >= self.v_peak:
            raise ValueError(f"c={_short(c)} must lie below v_peak={_short(v_peak)}")
        self._freeze()

    @classmethod
    def preset(cls, name, v_peak=30 * mV):
        """A model with the parameters of one regime of Izhikevich (2003), Fig. 2.

        Parameters
        ----------
        name : {'RS', 'IB', 'CH', 'FS', 'LTS'}
            Regular spiking, intrinsically bursting, chattering, fast spiking or
            low-threshold spiking.
        v_peak : Quantity, optional
            Spike cut-off (voltage), default 30 mV.

        Returns
        -------
        Izhikevich
            The model, with ``a``, ``b``, ``c`` and ``d`` of the regime.

        Examples
        --------
        >>> import neurosim as ns
        >>> fs = ns.Izhikevich.preset("FS")
        >>> fs.a, fs.d          # 0.1/ms and 2 mV/ms, in SI
        (100.0, 2.0)
        """
        if name not in REGIMES:
            raise ValueError(f"name={name!r} is not a regime of Izhikevich (2003); "
                             f"choose one of {sorted(REGIMES)}")
        return cls(**REGIMES[name], v_peak=v_peak)

    @property
    def state_variables(self):
        return {"v": ("v", volt, V_INIT), "u": ("u", volt / second, self.b * V_INIT)}

    def validate_dt(self, dt):
        if dt > 1e-3 * (1 + 1e-9):
            raise ValueError(f"dt={dt * 1e3:g} ms is too large for forward Euler of the "
                             "Izhikevich model; use dt <= 1 ms")

    def parameter_values(self, dt):
        self.validate_dt(dt)
        return dict(dt=dt, k_2=K_2, k_1=K_1, k_0=K_0, a_dt=self.a * dt, b=self.b, c=self.c,
                    d=self.d, v_peak=self.v_peak)

    def brian2_equations(self, dt):
        """How the model is written in Brian2, for :func:`~neurosim.interop.brian2.to_brian2`.

        Parameters
        ----------
        dt : float
            The time step (seconds).

        Returns
        -------
        dict
            The keyword arguments of the exporter's model description: the
            equations (with ``I_ext`` in volt/second), the parameters as shared
            constants, threshold ``v >= v_peak``, reset ``v = c; u += d``,
            ``method='euler'`` and delta synapses (``v_post += w``).

        Examples
        --------
        >>> import neurosim as ns
        >>> spec = ns.Izhikevich.preset("RS").brian2_equations(1e-4)
        >>> spec["threshold"], spec["reset"]
        ('v >= v_peak', 'v = c\\nu += d')
        """
        params = {"k_2": (K_2, "1/volt/second"), "k_1": (K_1, "1/second"),
                  "k_0": (K_0, "volt/second"), "a": (self.a, "1/second"),
                  "b": (self.b, "1/second"), "c": (self.c, "volt"),
                  "d": (self.d, "volt/second"), "v_peak": (self.v_peak, "volt"),
                  "t_ref": (0.0, "second")}
        # refractory 't_ref' = 0: never refractory, but Brian2 then keeps
        # 'not_refractory', which the export of PoissonInput onto delta synapses reads
        return dict(equations=_BRIAN2_EQUATIONS, params=params, threshold="v >= v_peak",
                    reset="v = c\nu += d", refractory="t_ref", method="euler",
                    on_pre={"excitatory": "v_post += w", "inhibitory": "v_post -= w"},
                    weight_unit="volt", current_unit="volt/second", input_var=("v", "v"),
                    delta=True)

    def _repr_fields(self):
        return {k: getattr(self, k) for k in ("a", "b", "c", "d", "v_peak")}
