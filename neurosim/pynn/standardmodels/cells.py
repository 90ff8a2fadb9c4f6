"""Standard cell types of PyNN, as neurosim simulates them.

The native parameters are PyNN's own, in PyNN's units (ms, mV, nA, nF, uS, Hz): the
translation to neurosim's models and SI units happens when the network is built
(:mod:`neurosim.pynn._network`). ``IF_curr_exp`` and ``IF_curr_delta`` become
:class:`neurosim.LIF` (exponential or delta synapses, with ``c_m`` so that weights and
currents are in amperes), ``IF_curr_alpha`` :class:`neurosim.LIFAlpha` (likewise),
``IF_cond_exp`` :class:`neurosim.LIFCond` and ``IF_cond_alpha``
:class:`neurosim.LIFCondAlpha` (both with ``g_l = cm / tau_m``), ``SpikeSourcePoisson``
:class:`neurosim.PoissonGroup` and ``SpikeSourceArray``
:class:`neurosim.SpikeGeneratorGroup`.
"""
from pyNN import errors
from pyNN.standardmodels import build_translations, cells

__all__ = ["IF_curr_exp", "IF_cond_exp", "IF_curr_delta", "SpikeSourcePoisson",
           "SpikeSourceArray", "IF_curr_alpha", "IF_cond_alpha", "IF_cond_exp_gsfa_grr",
           "HH_cond_exp", "EIF_cond_alpha_isfa_ista", "EIF_cond_exp_isfa_ista", "Izhikevich",
           "GIF_cond_exp", "SpikeSourceGamma", "SpikeSourcePoissonRefractory",
           "SpikeSourceInhGamma"]


def _identity(celltype):
    return build_translations(*[(name, name) for name in celltype.default_parameters])


class IF_curr_exp(cells.IF_curr_exp):
    __doc__ = cells.IF_curr_exp.__doc__
    translations = _identity(cells.IF_curr_exp)
    recordable = ["spikes", "v", "isyn_exc", "isyn_inh"]


class IF_curr_alpha(cells.IF_curr_alpha):
    __doc__ = cells.IF_curr_alpha.__doc__
    translations = _identity(cells.IF_curr_alpha)
    recordable = ["spikes", "v", "isyn_exc", "isyn_inh"]


class IF_curr_delta(cells.IF_curr_delta):
    __doc__ = cells.IF_curr_delta.__doc__
    translations = _identity(cells.IF_curr_delta)


class IF_cond_exp(cells.IF_cond_exp):
    __doc__ = cells.IF_cond_exp.__doc__
    translations = _identity(cells.IF_cond_exp)


class IF_cond_alpha(cells.IF_cond_alpha):
    __doc__ = cells.IF_cond_alpha.__doc__
    translations = _identity(cells.IF_cond_alpha)


class SpikeSourcePoisson(cells.SpikeSourcePoisson):
    __doc__ = cells.SpikeSourcePoisson.__doc__
    translations = _identity(cells.SpikeSourcePoisson)


class SpikeSourceArray(cells.SpikeSourceArray):
    __doc__ = cells.SpikeSourceArray.__doc__
    translations = _identity(cells.SpikeSourceArray)


# the standard cell types that neurosim simulates
SIMULATED = (IF_curr_exp, IF_curr_alpha, IF_cond_exp, IF_cond_alpha, IF_curr_delta,
             SpikeSourcePoisson, SpikeSourceArray)


def _not_available(base, why):
    """A standard cell type that neurosim does not simulate: making one raises PyNN's
    NotImplementedError, naming the type and what neurosim lacks for it."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            f"{base.__name__} is not available in neurosim.pynn: {why}. Available cell "
            f"types: {', '.join(c.__name__ for c in SIMULATED)}")

    return type(base.__name__, (base,), {"__init__": __init__, "__doc__": base.__doc__,
                                         "translations": {}})


IF_cond_exp_gsfa_grr = _not_available(cells.IF_cond_exp_gsfa_grr,
                                      "neurosim has no spike-frequency adaptation and "
                                      "relative-refractory conductances")
HH_cond_exp = _not_available(cells.HH_cond_exp,
                             "neurosim's HodgkinHuxley model is Brian2's COBAHH, not PyNN's "
                             "HH_cond_exp (other parameters and channel kinetics)")
EIF_cond_alpha_isfa_ista = _not_available(cells.EIF_cond_alpha_isfa_ista,
                                          "neurosim's AdEx has current-based synapses, not "
                                          "alpha-shaped conductances")
EIF_cond_exp_isfa_ista = _not_available(cells.EIF_cond_exp_isfa_ista,
                                        "neurosim's AdEx has current-based synapses, not "
                                        "conductances")
Izhikevich = _not_available(cells.Izhikevich, "not mapped onto neurosim's Izhikevich model yet")
GIF_cond_exp = _not_available(cells.GIF_cond_exp, "neurosim has no generalised IF model")
SpikeSourceGamma = _not_available(cells.SpikeSourceGamma,
                                  "neurosim's spike sources are Poisson or given times")
SpikeSourcePoissonRefractory = _not_available(
    cells.SpikeSourcePoissonRefractory, "neurosim's Poisson sources have no dead time")
SpikeSourceInhGamma = _not_available(cells.SpikeSourceInhGamma,
                                     "neurosim's spike sources are Poisson or given times")
