"""McCulloch-Pitts binary threshold units."""
from .._validation import check_positive, to_si
from ..kernels import models as _kernels
from ..units import second
from ._base import NeuronModel

# Weights are summed on a fixed-point grid of 2**-40 (see kernels._layout), so a
# weight such as 0.05 is stored rounded; 20 of them then miss theta = 1 by 1e-11.
# An input within this tolerance of theta counts as reaching it (H(0) = 1).
TIE_TOLERANCE = 1e-9

__all__ = ["McCullochPitts"]


class McCullochPitts(NeuronModel):
    """Binary threshold unit (McCulloch & Pitts 1943).

    Parameters
    ----------
    theta : float, optional
        Threshold (dimensionless, default 1): the unit is active (``x = 1``) when
        its summed input reaches it, ``h >= theta``.
    absolute_inhibition : bool, optional
        The classic rule: any active inhibitory input keeps the unit silent,
        whatever its excitation. Default False (inhibition subtracts its weight).
    update : {'synchronous', 'asynchronous'}, optional
        Synchronous (default): every unit updates every step from the inputs of
        the previous step. Asynchronous: each unit updates at exponentially
        distributed times of mean ``tau`` (probability ``dt/tau`` per step),
        as in balanced binary networks (van Vreeswijk & Sompolinsky 1996).
    tau : Quantity, optional
        Mean time between updates (time), required for asynchronous updates; must
        be >= dt.

    Notes
    -----
    .. math:: x_i \\leftarrow H\\Big(\\sum_j w^E_{ij} x_j - \\sum_j w^I_{ij} x_j
              + I_i - \\theta\\Big), \\qquad H(0) = 1

    Weights are dimensionless magnitudes; the synapse kind gives the sign. An
    input within 1e-9 of ``theta`` counts as reaching it, so that the rounding of
    weights such as 0.05 to the fixed-point grid of the input sums cannot break
    a tie like ``20 * 0.05 = 1``. An
    active unit emits one spike per step, so a SpikeMonitor's counts divided by
    the number of steps give the mean activity. With a synaptic delay of 0 an
    input reaches its target one step later, the original discrete-time rule.
    In the asynchronous mode the input seen by an update is that of the
    previous step (an approximation of random sequential updating that is
    exact as ``dt/tau -> 0``).

    References
    ----------
    McCulloch & Pitts (1943), Bull Math Biophys 5:115.
    van Vreeswijk & Sompolinsky (1998), Neural Comput 10:1321.

    Examples
    --------
    >>> import neurosim as ns
    >>> and_gate = ns.McCullochPitts(theta=2)
    >>> and_gate.update
    'synchronous'
    """

    kernel = _kernels.MCCULLOCH_PITTS
    state_variables = {"x": ("v", None, 0.0)}

    def __init__(self, theta=1.0, absolute_inhibition=False, update="synchronous", tau=None):
        self.theta = to_si("theta", theta, None)
        if not isinstance(absolute_inhibition, bool):
            raise TypeError(f"absolute_inhibition={absolute_inhibition!r} must be True or False")
        self.absolute_inhibition = absolute_inhibition
        if update not in ("synchronous", "asynchronous"):
            raise ValueError(f"update={update!r} must be 'synchronous' or 'asynchronous'")
        self.update = update
        if update == "asynchronous" and tau is None:
            raise ValueError("tau=None: asynchronous updates need tau, the mean time "
                             "between updates (e.g. tau=10*ms)")
        self.tau = check_positive("tau", tau, second, allow_none=True)
        self._freeze()

    def validate_dt(self, dt):
        if self.tau is not None and dt > self.tau:
            raise ValueError(f"dt={dt * 1e3:g} ms exceeds tau={self.tau * 1e3:g} ms; an "
                             "asynchronous unit updates at most once per step, so use dt <= tau")

    def parameter_values(self, dt):
        self.validate_dt(dt)
        values = dict.fromkeys(self.kernel.parameters, 0.0)     # the unused slots: 0
        values.update(theta=self.theta - TIE_TOLERANCE,
                      p_update=1.0 if self.update == "synchronous" else dt / self.tau,
                      absolute_inhibition=1.0 if self.absolute_inhibition else 0.0)
        return values

    def _repr_fields(self):
        return {k: getattr(self, k) for k in ("theta", "absolute_inhibition", "update", "tau")}
