"""Short-term synaptic plasticity: depression and facilitation (``TsodyksMarkram``).

The rule's arithmetic lives in :mod:`neurosim.kernels.plasticity` (the same element
functions as the long-term rules, :mod:`neurosim.plasticity`, with which it combines).
"""
from ._validation import check_positive
from .kernels import plasticity as K
from .units import second

__all__ = ["TsodyksMarkram"]


class TsodyksMarkram:
    """Short-term depression and facilitation of each synapse.

    The model of Tsodyks & Markram (1997) and Markram, Wang & Tsodyks (1998).

    Between spikes the available resources :math:`R` recover and the
    utilisation :math:`u` decays,

    .. math::

        \\frac{dR}{dt} = \\frac{1 - R}{\\tau_\\mathrm{rec}},\\qquad
        \\frac{du}{dt} = -\\frac{u}{\\tau_\\mathrm{facil}};

    a presynaptic spike arriving at the synapse first raises
    :math:`u \\leftarrow u + U (1 - u)`, then transmits :math:`w\\, u R` and
    uses :math:`R \\leftarrow R - u R`. For a regular train of period
    :math:`\\Delta` this is the recursion :math:`u_{n+1} = U + u_n (1 - U)
    e^{-\\Delta/\\tau_\\mathrm{facil}}`, :math:`R_{n+1} = 1 - (1 - R_n (1 - u_n))
    e^{-\\Delta/\\tau_\\mathrm{rec}}` (NEST's ``tsodyks2_synapse``, PyNN's
    ``TsodyksMarkramSynapse``). ``tau_facil = 0`` is depression only
    (:math:`u = U` at every spike). Synapses start rested: :math:`R = 1`,
    :math:`u = 0`.

    Parameters
    ----------
    U : float
        Utilisation increment, in (0, 1].
    tau_rec : Quantity (time)
        Recovery time constant of the resources, > 0.
    tau_facil : Quantity (time), optional
        Decay time constant of the utilisation (facilitation), >= 0; default 0.

    Examples
    --------
    A depressing synapse (Tsodyks & Markram 1997) and a facilitating one
    (Markram et al. 1998):

    >>> import neurosim as ns
    >>> from neurosim.units import ms
    >>> depressing = ns.TsodyksMarkram(U=0.5, tau_rec=800*ms)
    >>> facilitating = ns.TsodyksMarkram(U=0.03, tau_rec=130*ms, tau_facil=530*ms)
    >>> facilitating
    TsodyksMarkram(U=0.03, tau_rec=130 ms, tau_facil=530 ms)
    """

    short_term = True
    trace_rows = 6

    def __init__(self, U, tau_rec, tau_facil=0 * second):
        try:
            u = float(U)
        except (TypeError, ValueError):
            raise TypeError(f"U={U!r} must be a plain number in (0, 1]") from None
        if not 0.0 < u <= 1.0:
            raise ValueError(f"U={U!r} must be in (0, 1]")
        self.U = u
        self.tau_rec = check_positive("tau_rec", tau_rec, second)
        self.tau_facil = check_positive("tau_facil", tau_facil, second, strict=False)

    def _bind(self, model, projection):
        """Nothing to convert (called by ``Synapses``)."""
        return self

    def _fill(self, row):
        """Write the rule into a projection's parameter row (``kernels.plasticity``)."""
        row[[K.STP, K.U, K.TAU_REC, K.TAU_FACIL]] = 1.0, self.U, self.tau_rec, self.tau_facil

    def _brian2_code(self, unit):
        """``(model, on_pre before the transmission, namespace)`` in Brian2; the
        transmission then sends ``w*r``."""
        import brian2
        s = brian2.second
        if self.tau_facil > 0:
            model = ("dR/dt = (1 - R)/tau_rec : 1 (event-driven)\n"
                     "du/dt = -u/tau_facil : 1 (event-driven)\n")
            on_pre = "u += U*(1 - u)\nr = u*R\nR -= r"
        else:
            model = "dR/dt = (1 - R)/tau_rec : 1 (event-driven)\n"
            on_pre = "r = U*R\nR -= r"
        namespace = dict(U=self.U, tau_rec=self.tau_rec * s, tau_facil=self.tau_facil * s)
        return model, on_pre, namespace

    def __repr__(self):
        return (f"TsodyksMarkram(U={self.U:g}, tau_rec={self.tau_rec * 1e3:g} ms, "
                f"tau_facil={self.tau_facil * 1e3:g} ms)")
