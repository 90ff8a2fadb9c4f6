"""Synaptic plasticity rules: long-term (``STDP``, ``TripletSTDP``, ``RewardSTDP``) and
short-term (``TsodyksMarkram``, in :mod:`neurosim.short_term`).

A rule is given to a projection, ``Synapses(..., plasticity=STDP(...))``, or a
short-term and a long-term rule together, ``plasticity=(TsodyksMarkram(...),
STDP(...))``. Weights then change during the run, and ``syn.weight`` reads and
sets them between runs. The arithmetic lives in :mod:`neurosim.kernels.plasticity`
(element functions compiled into the engines); this module holds the rules'
parameters, checks them, writes them into the engines' parameter rows and exports
them to Brian2.
"""
import math

import numpy as np

from ._validation import check_positive, steps_of, to_si
from .groups import _Population
from .kernels import plasticity as K
from .short_term import TsodyksMarkram
from .units import Hz, second

__all__ = ["STDP", "TripletSTDP", "RewardSTDP"]

_PAIRINGS = ("all", "nearest")
_DEPENDENCES = ("additive", "multiplicative")


class _LongTerm:
    """What the weight-changing rules share: bounds, pairing, weight dependence."""

    short_term = False

    def _common(self, w_max, w_min, pairing, weight_dependence, transmit_first):
        if not isinstance(transmit_first, (bool, np.bool_)):
            raise TypeError(f"transmit_first={transmit_first!r} must be True or False")
        self.transmit_first = bool(transmit_first)
        if pairing not in _PAIRINGS:
            raise ValueError(f"pairing={pairing!r} must be one of {_PAIRINGS}")
        if weight_dependence not in _DEPENDENCES:
            raise ValueError(f"weight_dependence={weight_dependence!r} must be one of "
                             f"{_DEPENDENCES}")
        self.pairing, self.weight_dependence = pairing, weight_dependence
        # bounds stay in the user's units until the target model converts them
        self._w_max_spec, self._w_min_spec = w_max, w_min
        self.w_min = self.w_max = None

    def _bind(self, model, projection):
        """The bounds in ``model``'s weight unit (SI), checked; called by ``Synapses``."""
        w_max = float(model.weight_to_si("w_max", self._w_max_spec))
        w_min = 0.0 if self._w_min_spec is None else \
            float(model.weight_to_si("w_min", self._w_min_spec))
        if not np.isfinite(w_max) or not np.isfinite(w_min):
            raise ValueError(f"{projection}: w_min={w_min!r} and w_max={w_max!r} must be finite")
        if w_min < 0:
            raise ValueError(f"{projection}: w_min={self._w_min_spec!r} is negative; plastic "
                             "weights are magnitudes whose sign the projection's kind gives, "
                             "so they cannot change sign: use w_min >= 0")
        if w_min > w_max:
            raise ValueError(f"{projection}: w_min={self._w_min_spec!r} is above "
                             f"w_max={self._w_max_spec!r}; need w_min <= w_max")
        self.w_min, self.w_max = w_min, w_max
        return self

    def _check_weights(self, w, projection, slack=0.0):
        """Refuse weights outside ``[w_min - slack, w_max + slack]``."""
        lo, hi = self.w_min - slack, self.w_max + slack
        if w.size and (w.min() < lo or w.max() > hi):
            bad = w[(w < lo) | (w > hi)][0]
            raise ValueError(f"{projection}: an initial weight ({bad:g}) lies outside the "
                             f"rule's bounds [w_min, w_max] = [{self.w_min:g}, {self.w_max:g}] "
                             "(SI); draw the weights inside them")

    def _fill_common(self, row):
        row[[K.W_MIN, K.W_MAX]] = self.w_min, self.w_max
        row[K.NEAREST] = float(self.pairing == "nearest")
        row[K.MULTIPLICATIVE] = float(self.weight_dependence == "multiplicative")
        row[K.TRANSMIT_LAST] = float(not self.transmit_first)

    def _spans(self):
        if self.weight_dependence == "multiplicative":
            return "(w_max - w)", "(w - w_min)"
        return "(w_max - w_min)", "(w_max - w_min)"

    def _bounds_namespace(self, unit):
        return dict(w_min=self.w_min * unit, w_max=self.w_max * unit)

    def _bounds_repr(self):
        return (f"w_min={_show(self.w_min, self._w_min_spec)}, "
                f"w_max={_show(self.w_max, self._w_max_spec)}, pairing={self.pairing!r}, "
                f"weight_dependence={self.weight_dependence!r}"
                + ("" if self.transmit_first else ", transmit_first=False"))


class STDP(_LongTerm):
    """Pair-based spike-timing-dependent plasticity with traces.

    As in Song, Miller & Abbott (2000) and Morrison, Diesmann & Gerstner (2008).

    Every synapse keeps a presynaptic trace ``x_pre`` and a postsynaptic trace
    ``x_post`` that decay exponentially, with time constants ``tau_plus`` and
    ``tau_minus``:

    .. math::

        \\frac{dx_\\mathrm{pre}}{dt} = -\\frac{x_\\mathrm{pre}}{\\tau_+},\\qquad
        \\frac{dx_\\mathrm{post}}{dt} = -\\frac{x_\\mathrm{post}}{\\tau_-}.

    When a presynaptic spike arrives at the synapse (after its delay, as in
    Brian2), the synapse first transmits its current weight, then the weight is
    depressed by :math:`A_- F_-(w)\\, x_\\mathrm{post}` and ``x_pre`` jumps (by 1
    with ``pairing="all"``, to 1 with ``"nearest"``). When the postsynaptic
    neuron spikes, the weight is potentiated by :math:`A_+ F_+(w)\\,
    x_\\mathrm{pre}` and ``x_post`` jumps. With ``weight_dependence="additive"``,
    :math:`F_+ = F_- = w_\\max - w_\\min`; with ``"multiplicative"`` (soft bounds,
    Gütig et al. 2003 with :math:`\\mu = 1`), :math:`F_+ = w_\\max - w` and
    :math:`F_- = w - w_\\min`. The weight is then clipped to
    :math:`[w_\\min, w_\\max]`. A pre- and a postsynaptic spike in the same step
    are taken in that order (Brian2's order of the ``pre`` and ``post``
    pathways).

    For one pair with the postsynaptic spike :math:`\\Delta t = t_\\mathrm{post}
    - t_\\mathrm{pre}` after the presynaptic one's arrival, the change is
    :math:`A_+ F_+ e^{-\\Delta t/\\tau_+}` for :math:`\\Delta t \\ge 0` and
    :math:`-A_- F_- e^{\\Delta t/\\tau_-}` for :math:`\\Delta t < 0` (the rule's
    window).

    Parameters
    ----------
    tau_plus : Quantity (time)
        Decay time constant of the presynaptic trace (potentiation window), > 0.
    tau_minus : Quantity (time)
        Decay time constant of the postsynaptic trace (depression window), > 0.
    a_plus : float
        Potentiation per pair, as a fraction of ``w_max - w_min`` (additive) or of
        ``w_max - w`` (multiplicative); >= 0.
    a_minus : float
        Depression per pair, as a fraction of ``w_max - w_min`` (additive) or of
        ``w - w_min`` (multiplicative); >= 0.
    w_max : Quantity
        Upper bound of the weights, in the target model's weight unit.
    w_min : Quantity, optional
        Lower bound, default 0 (in any unit); weights are magnitudes (the
        projection's kind gives the sign), so it must be >= 0.
    pairing : {'all', 'nearest'}
        ``'all'``: every presynaptic spike pairs with every postsynaptic one
        (traces add up); ``'nearest'``: only the nearest spikes pair (traces reset
        to 1), the symmetric nearest-spike scheme of Morrison et al. (2008).
    weight_dependence : {'additive', 'multiplicative'}
        How the change scales with the weight (see above).
    transmit_first : bool, optional
        True (default, Brian2's examples): an arriving spike transmits the weight
        as it was before its depression; False: the depressed weight (NEST's
        ``stdp_synapse`` and PyNN's backends).

    Examples
    --------
    Song, Miller & Abbott (2000): ``A_-/A_+ = 1.05``, windows of 20 ms, changes of
    1 % of the largest weight per pair:

    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV
    >>> rule = ns.STDP(tau_plus=20*ms, tau_minus=20*ms, a_plus=0.01, a_minus=0.0105,
    ...                w_max=0.6*mV)
    >>> rule
    STDP(tau_plus=20 ms, tau_minus=20 ms, a_plus=0.01, a_minus=0.0105, w_min=0, w_max=0.0006, pairing='all', weight_dependence='additive')
    """

    def __init__(self, tau_plus, tau_minus, a_plus, a_minus, w_max, w_min=None,
                 pairing="all", weight_dependence="additive", transmit_first=True):
        self.tau_plus = check_positive("tau_plus", tau_plus, second)
        self.tau_minus = check_positive("tau_minus", tau_minus, second)
        self.a_plus = _non_negative("a_plus", a_plus)
        self.a_minus = _non_negative("a_minus", a_minus)
        self._common(w_max, w_min, pairing, weight_dependence, transmit_first)

    trace_rows = 2

    def _fill(self, row):
        """Write the rule into a projection's parameter row (``kernels.plasticity``)."""
        row[K.KIND] = K.PAIR
        row[[K.TAU_PLUS, K.TAU_MINUS, K.A_PLUS, K.A_MINUS]] = (
            self.tau_plus, self.tau_minus, self.a_plus, self.a_minus)
        self._fill_common(row)

    def _brian2_code(self, unit):
        """``(model, on_pre, on_post, namespace)`` in Brian2; ``on_pre`` runs after the
        weight is transmitted."""
        plus, minus = self._spans()
        jump = "= 1" if self.pairing == "nearest" else "+= 1"
        # Brian2 reserves the suffixes _pre and _post: the traces are apre and apost there
        model = ("dapre/dt = -apre/tau_plus : 1 (event-driven)\n"
                 "dapost/dt = -apost/tau_minus : 1 (event-driven)\n")
        on_pre = (f"w = clip(w - learning*a_minus*{minus}*apost, w_min, w_max)\n"
                  f"apre {jump}")
        on_post = (f"w = clip(w + learning*a_plus*{plus}*apre, w_min, w_max)\n"
                   f"apost {jump}")
        namespace = dict(tau_plus=self.tau_plus * _b2().second,
                         tau_minus=self.tau_minus * _b2().second, a_plus=self.a_plus,
                         a_minus=self.a_minus, **self._bounds_namespace(unit))
        return model, on_pre, on_post, namespace

    def __repr__(self):
        return (f"STDP(tau_plus={self.tau_plus * 1e3:g} ms, tau_minus={self.tau_minus * 1e3:g} "
                f"ms, a_plus={self.a_plus:g}, a_minus={self.a_minus:g}, "
                f"{self._bounds_repr()})")


class TripletSTDP(_LongTerm):
    """Triplet spike-timing-dependent plasticity (Pfister & Gerstner 2006).

    Besides the pair rule's fast traces ``r1`` (:math:`\\tau_+`) and ``o1``
    (:math:`\\tau_-`), each synapse keeps slow traces ``r2`` (:math:`\\tau_x`) and
    ``o2`` (:math:`\\tau_y`). A presynaptic spike arriving at the synapse
    depresses the weight by :math:`F_-(w)\\, o_1 (A_2^- + A_3^- r_2)`, a
    postsynaptic spike potentiates it by :math:`F_+(w)\\, r_1 (A_2^+ + A_3^+
    o_2)`, with the slow traces taken just before the spike's own jump; then the
    spiking side's traces jump (by 1 with ``pairing="all"``, the paper's
    all-to-all model; to 1 with ``"nearest"``). :math:`F_\\pm` and the bounds are
    those of :class:`STDP`. With :math:`A_3^\\pm = 0` it is the pair rule.

    Parameters
    ----------
    tau_plus, tau_minus, tau_x, tau_y : Quantity (time)
        Decay time constants of ``r1``, ``o1``, ``r2`` and ``o2``, > 0.
    a2_plus, a3_plus, a2_minus, a3_minus : float
        Pair and triplet amplitudes, fractions of the weight range as in
        :class:`STDP`; >= 0.
    w_max : Quantity
        Upper bound of the weights, as in :class:`STDP`.
    w_min : Quantity, optional
        Lower bound, default 0, as in :class:`STDP`.
    pairing : {'all', 'nearest'}
        As in :class:`STDP`.
    weight_dependence : {'additive', 'multiplicative'}
        As in :class:`STDP`.
    transmit_first : bool, optional
        As in :class:`STDP`.

    See Also
    --------
    TripletSTDP.visual_cortex : The minimal all-to-all model fitted to visual
        cortex (Sjöström et al. 2001).

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import mV
    >>> ns.TripletSTDP.visual_cortex(w_max=1*mV).a3_plus
    0.0062
    """

    trace_rows = 4

    def __init__(self, tau_plus, tau_minus, tau_x, tau_y, a2_plus, a3_plus, a2_minus,
                 a3_minus, w_max, w_min=None, pairing="all", weight_dependence="additive",
                 transmit_first=True):
        self.tau_plus = check_positive("tau_plus", tau_plus, second)
        self.tau_minus = check_positive("tau_minus", tau_minus, second)
        self.tau_x = check_positive("tau_x", tau_x, second)
        self.tau_y = check_positive("tau_y", tau_y, second)
        self.a2_plus = _non_negative("a2_plus", a2_plus)
        self.a3_plus = _non_negative("a3_plus", a3_plus)
        self.a2_minus = _non_negative("a2_minus", a2_minus)
        self.a3_minus = _non_negative("a3_minus", a3_minus)
        self._common(w_max, w_min, pairing, weight_dependence, transmit_first)

    @classmethod
    def visual_cortex(cls, w_max, w_min=None):
        """The minimal all-to-all model fitted to visual cortex data.

        Pfister & Gerstner (2006, Table 4) fitted it to the data of Sjöström et al.
        (2001): tau_plus 16.8 ms, tau_minus 33.7 ms, tau_x 101 ms, tau_y 125 ms,
        A2+ 5e-10, A3+ 6.2e-3, A2- 7e-3, A3- 0.

        Parameters
        ----------
        w_max : Quantity
            Upper bound of the weights (the model's weights are fractions of it).
        w_min : Quantity, optional
            Lower bound, default 0.

        Returns
        -------
        TripletSTDP

        Examples
        --------
        >>> import neurosim as ns
        >>> from neurosim.units import mV
        >>> rule = ns.TripletSTDP.visual_cortex(w_max=1*mV)
        >>> round(rule.tau_y * 1e3)
        125
        """
        ms = 1e-3 * second
        return cls(tau_plus=16.8 * ms, tau_minus=33.7 * ms, tau_x=101 * ms, tau_y=125 * ms,
                   a2_plus=5e-10, a3_plus=6.2e-3, a2_minus=7e-3, a3_minus=0.0, w_max=w_max,
                   w_min=w_min)

    def _fill(self, row):
        """Write the rule into a projection's parameter row (``kernels.plasticity``)."""
        row[K.KIND] = K.TRIPLET
        row[[K.TAU_PLUS, K.TAU_MINUS, K.TAU_X, K.TAU_Y]] = (
            self.tau_plus, self.tau_minus, self.tau_x, self.tau_y)
        row[[K.A_PLUS, K.A_MINUS, K.A3_PLUS, K.A3_MINUS]] = (
            self.a2_plus, self.a2_minus, self.a3_plus, self.a3_minus)
        self._fill_common(row)

    def _brian2_code(self, unit):
        """``(model, on_pre, on_post, namespace)`` in Brian2."""
        plus, minus = self._spans()
        jump = "= 1" if self.pairing == "nearest" else "+= 1"
        model = ("dr1/dt = -r1/tau_plus : 1 (event-driven)\n"
                 "do1/dt = -o1/tau_minus : 1 (event-driven)\n"
                 "dr2/dt = -r2/tau_x : 1 (event-driven)\n"
                 "do2/dt = -o2/tau_y : 1 (event-driven)\n")
        on_pre = (f"w = clip(w - learning*(a2_minus + a3_minus*r2)*{minus}*o1, w_min, w_max)\n"
                  f"r1 {jump}\nr2 {jump}")
        on_post = (f"w = clip(w + learning*(a2_plus + a3_plus*o2)*{plus}*r1, w_min, w_max)\n"
                   f"o1 {jump}\no2 {jump}")
        s = _b2().second
        namespace = dict(tau_plus=self.tau_plus * s, tau_minus=self.tau_minus * s,
                         tau_x=self.tau_x * s, tau_y=self.tau_y * s, a2_plus=self.a2_plus,
                         a3_plus=self.a3_plus, a2_minus=self.a2_minus,
                         a3_minus=self.a3_minus, **self._bounds_namespace(unit))
        return model, on_pre, on_post, namespace

    def __repr__(self):
        return (f"TripletSTDP(tau_plus={self.tau_plus * 1e3:g} ms, tau_minus="
                f"{self.tau_minus * 1e3:g} ms, tau_x={self.tau_x * 1e3:g} ms, tau_y="
                f"{self.tau_y * 1e3:g} ms, a2_plus={self.a2_plus:g}, a3_plus={self.a3_plus:g}, "
                f"a2_minus={self.a2_minus:g}, a3_minus={self.a3_minus:g}, "
                f"{self._bounds_repr()})")


class RewardSTDP(_LongTerm):
    """Reward-modulated (dopamine-modulated) STDP (Izhikevich 2007).

    Spike pairs do not change the weight directly: they tag the synapse. Each
    synapse keeps the traces ``x_pre`` and ``x_post`` of :class:`STDP` and an
    eligibility trace ``c``; a presynaptic spike's arrival lowers ``c`` by
    :math:`A_- x_\\mathrm{post}`, a postsynaptic spike raises it by :math:`A_+
    x_\\mathrm{pre}`. The eligibility decays, and the weight follows the
    projection's dopamine level :math:`d`:

    .. math::

        \\frac{dc}{dt} = -\\frac{c}{\\tau_c},\\qquad
        \\frac{dd}{dt} = -\\frac{d}{\\tau_d} + \\sum_k \\Delta d\\,
        \\delta(t - t_k - \\mathrm{delay}),\\qquad
        \\frac{dw}{dt} = (w_\\max - w_\\min)\\, c\\, (d - b),

    with the weight kept within :math:`[w_\\min, w_\\max]`. :math:`t_k` are the
    spikes of ``dopamine_source`` (dopaminergic neurons, or a
    ``SpikeGeneratorGroup`` of reward times), each raising :math:`d` by
    ``dopamine_per_spike`` after ``dopamine_delay``; :math:`d` can also be set
    between runs (``Synapses.dopamine``). A pairing's tag thus turns into a
    weight change only if dopamine arrives while the tag lasts (:math:`\\tau_c`,
    about a second): the distal reward problem. The weight is integrated exactly
    (the exponentials in closed form), updated when the synapse is visited (a
    spike) and at least once every :math:`\\tau_c`; it is clipped at those
    updates, as NEST's ``stdp_dopamine_synapse`` does.

    Parameters
    ----------
    tau_plus, tau_minus : Quantity (time)
        Decay time constants of ``x_pre`` and ``x_post``, > 0.
    a_plus, a_minus : float
        Eligibility per pair, >= 0 (dimensionless: with :math:`d` in Hz, a pair's
        full tag changes the weight by ``a_plus * (w_max - w_min)`` per unit of
        :math:`\\int c\\, d\\, dt`).
    tau_c : Quantity (time)
        Decay time constant of the eligibility, > 0 (Izhikevich: 1 s).
    tau_d : Quantity (time)
        Decay time constant of the dopamine level, > 0 (Izhikevich: 200 ms).
    w_max : Quantity
        Upper bound of the weights, in the target model's weight unit.
    w_min : Quantity, optional
        Lower bound, default 0, as in :class:`STDP`.
    dopamine_source : NeuronGroup, Subgroup, PoissonGroup or SpikeGeneratorGroup, optional
        Whose spikes release dopamine; it must be part of the network. Without
        one, the level is set between runs only.
    dopamine_per_spike : Quantity (frequency), optional
        The jump of :math:`d` per spike of ``dopamine_source``, in Hz (negative
        for a dip); default 0 Hz.
    dopamine_delay : Quantity (time), optional
        From a dopamine spike to the jump; a whole number of steps, at least one
        (default: one step). Under MPI it must not be shorter than the network's
        shortest synaptic delay.
    baseline : Quantity (frequency), optional
        :math:`b`, the level at which the weights do not change; default 0 Hz.
    pairing : {'all', 'nearest'}
        As in :class:`STDP`.
    transmit_first : bool, optional
        As in :class:`STDP` (a presynaptic spike does not change the weight here,
        so both orders transmit the same weight).

    Examples
    --------
    Izhikevich (2007): the STDP window of 20 ms, depression 1.5 times
    potentiation, a tag of 1 s, dopamine that decays in 200 ms and rises by
    0.5 per ms (500 Hz) at each reward, 1 ms after it:

    >>> import neurosim as ns
    >>> from neurosim.units import Hz, ms, mV, second
    >>> reward = ns.SpikeGeneratorGroup(1, [0, 0], [1, 2]*second)
    >>> rule = ns.RewardSTDP(tau_plus=20*ms, tau_minus=20*ms, a_plus=0.25, a_minus=0.375,
    ...                      tau_c=1*second, tau_d=200*ms, w_max=4*mV,
    ...                      dopamine_source=reward, dopamine_per_spike=500*Hz,
    ...                      dopamine_delay=1*ms)
    >>> rule.tau_c
    1.0
    """

    trace_rows = 3

    def __init__(self, tau_plus, tau_minus, a_plus, a_minus, tau_c, tau_d, w_max, w_min=None,
                 dopamine_source=None, dopamine_per_spike=0 * Hz, dopamine_delay=None,
                 baseline=0 * Hz, pairing="all", transmit_first=True):
        self.tau_plus = check_positive("tau_plus", tau_plus, second)
        self.tau_minus = check_positive("tau_minus", tau_minus, second)
        self.a_plus = _non_negative("a_plus", a_plus)
        self.a_minus = _non_negative("a_minus", a_minus)
        self.tau_c = check_positive("tau_c", tau_c, second)
        self.tau_d = check_positive("tau_d", tau_d, second)
        if dopamine_source is not None and not isinstance(dopamine_source, _Population):
            raise TypeError(f"dopamine_source={dopamine_source!r} must be a group of neurons "
                            "or a spike source (NeuronGroup, Subgroup, PoissonGroup, "
                            "SpikeGeneratorGroup), or None")
        self.dopamine_source = dopamine_source
        self.dopamine_per_spike = float(to_si("dopamine_per_spike", dopamine_per_spike, Hz))
        self.baseline = float(to_si("baseline", baseline, Hz))
        self.dopamine_delay = None if dopamine_delay is None else \
            check_positive("dopamine_delay", dopamine_delay, second)
        self._common(w_max, w_min, pairing, "additive", transmit_first)

    def _delay_steps(self, dt):
        """The dopamine delay in steps (at least one)."""
        if self.dopamine_delay is None:
            return 1
        return int(steps_of("dopamine_delay", self.dopamine_delay, dt))

    def _window_steps(self, dt):
        """Steps between two updates of every synapse: at most ``tau_c`` (the factor
        ``exp(k dt/tau_c)`` of the lazy integration then stays below ``e``)."""
        return max(1, int(self.tau_c / dt))

    def _fill(self, row):
        """Write the rule into a projection's parameter row (``kernels.plasticity``)."""
        dt = row[K.DT]
        tau_cd = 1.0 / (1.0 / self.tau_c + 1.0 / self.tau_d)
        row[K.KIND] = K.REWARD
        row[[K.TAU_PLUS, K.TAU_MINUS, K.A_PLUS, K.A_MINUS, K.TAU_C]] = (
            self.tau_plus, self.tau_minus, self.a_plus, self.a_minus, self.tau_c)
        # the step's integrals of exp(-s/tau_c) d(s) (per unit of d) and of b exp(-s/tau_c)
        row[K.GAIN_D] = tau_cd * -math.expm1(-dt / tau_cd)
        row[K.GAIN_BASELINE] = self.baseline * self.tau_c * -math.expm1(-dt / self.tau_c)
        row[K.DECAY_D] = math.exp(-dt / self.tau_d)
        row[K.D_JUMP] = self.dopamine_per_spike
        row[K.D_DELAY] = self._delay_steps(dt)
        row[[K.D_LO, K.D_HI]] = 0, 0            # the source's range: set by the build
        self._fill_common(row)

    def _brian2_code(self, unit):
        raise NotImplementedError(
            "to_brian2 does not export RewardSTDP: Brian2 has no exact event-driven form of "
            "dw/dt = c (d - b) with a dopamine level shared by the projection; compare with "
            "the numpy backend, neurosim's independent oracle, instead")

    def __repr__(self):
        return (f"RewardSTDP(tau_plus={self.tau_plus * 1e3:g} ms, tau_minus="
                f"{self.tau_minus * 1e3:g} ms, a_plus={self.a_plus:g}, a_minus={self.a_minus:g}, "
                f"tau_c={self.tau_c * 1e3:g} ms, tau_d={self.tau_d * 1e3:g} ms, "
                f"dopamine_per_spike={self.dopamine_per_spike:g} Hz, "
                f"baseline={self.baseline:g} Hz, {self._bounds_repr()})")


def rules_of(plasticity, projection):
    """``(short_term, long_term)`` (either None) of a projection's ``plasticity``
    argument: one rule, or a short-term and a long-term rule together."""
    rules = tuple(plasticity) if isinstance(plasticity, (tuple, list)) else (plasticity,)
    known = (STDP, TripletSTDP, RewardSTDP, TsodyksMarkram)
    for r in rules:
        if not isinstance(r, known):
            raise TypeError(f"{projection}: plasticity={plasticity!r} must be a rule "
                            "(ns.STDP, ns.TripletSTDP, ns.RewardSTDP, ns.TsodyksMarkram), or "
                            "a short-term and a long-term rule together")
    short = [r for r in rules if r.short_term]
    long = [r for r in rules if not r.short_term]
    if len(short) > 1 or len(long) > 1 or not rules:
        raise ValueError(f"{projection}: plasticity={plasticity!r} combines at most one "
                         "short-term rule (TsodyksMarkram) and one long-term rule (STDP, "
                         "TripletSTDP, RewardSTDP)")
    return (short[0] if short else None), (long[0] if long else None)


def plastic_variables(short, long):
    """``{name: code}`` of the variables a monitor can record on a projection with
    these rules (``kernels.plasticity.sample_plastic``)."""
    out = {"weight": 0}
    if isinstance(long, TripletSTDP):
        out.update(r1=1 + K.R1, o1=1 + K.O1, r2=1 + K.R2, o2=1 + K.O2)
    elif long is not None:
        out.update(x_pre=1 + K.R1, x_post=1 + K.O1)
        if isinstance(long, RewardSTDP):
            out["c"] = 1 + K.ELIG
    if short is not None:
        out["R"] = 1 + K.STP_R
        if short.tau_facil > 0:
            out["u"] = 1 + K.STP_U
    return out


def parameter_row(short, long, dt, learning):
    """The row of a projection's rules that the engines read (``kernels.plasticity``)."""
    row = np.zeros(K.N_RULE_PARAMS)
    row[K.DT] = dt
    row[K.LEARNING] = float(learning)
    for rule in (short, long):
        if rule is not None:
            rule._fill(row)
    return row


def _b2():
    import brian2
    return brian2


def _show(si, spec):
    if si is not None:
        return f"{si:g}"
    return "0" if spec is None else f"{float(np.asarray(spec)):g}"


def _non_negative(name, value):
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name}={value!r} must be a plain number (a fraction of the weight "
                        "range)") from None
    if not np.isfinite(x) or x < 0:
        raise ValueError(f"{name}={value!r} must be a finite number >= 0")
    return x
