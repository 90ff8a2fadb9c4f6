"""Synapse types: static synapses, ``TsodyksMarkramSynapse`` (short-term plasticity) and
``STDPMechanism`` with ``SpikePairRule`` and an additive or multiplicative weight
dependence (long-term plasticity).

The parameters are PyNN's, in PyNN's units; the translation to neurosim's rules
(:class:`neurosim.TsodyksMarkram`, :class:`neurosim.STDP`) happens when the network is
built (:func:`neurosim.pynn._network.plasticity_of`). PyNN's conventions, as pyNN.nest
and pyNN.brian2 implement them:

* ``AdditiveWeightDependence``: a pair changes the weight by ``A_plus * w_max`` or
  ``-A_minus * w_max`` (NEST's ``stdp_synapse`` with ``mu = 0``; pyNN.brian2's
  ``w_max * P``). neurosim's additive ``a_plus`` is a fraction of ``w_max - w_min``, so
  ``a_plus = A_plus * w_max / (w_max - w_min)`` (likewise ``a_minus``): the same changes.
* ``MultiplicativeWeightDependence``: ``A_plus * (w_max - w)`` and ``-A_minus * (w -
  w_min)``, neurosim's multiplicative rule with ``a_plus = A_plus``, ``a_minus =
  A_minus``.
* ``SpikePairRule``: all pairs (``pairing="all"``), traces with ``tau_plus`` and
  ``tau_minus``.
* ``dendritic_delay_fraction`` must be 0 (as pyNN.brian2 requires): neurosim's rule sees
  the presynaptic spike when it arrives, after the whole delay, and the postsynaptic
  spike at once.
"""
from pyNN.standardmodels import build_translations, synapses

from ..simulator import state

__all__ = ["StaticSynapse", "STDPMechanism", "TsodyksMarkramSynapse", "ElectricalSynapse",
           "SimpleStochasticSynapse", "StochasticTsodyksMarkramSynapse", "MultiQuantalSynapse",
           "AdditiveWeightDependence", "MultiplicativeWeightDependence",
           "AdditivePotentiationMultiplicativeDepression", "GutigWeightDependence",
           "SpikePairRule", "Vogels2011Rule"]


def _identity(*names):
    return build_translations(*[(name, name) for name in names])


class _MinimumDelay:
    def _get_minimum_delay(self):
        d = state.min_delay
        return state.dt if d == "auto" else d


class StaticSynapse(_MinimumDelay, synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = _identity("weight", "delay")


class TsodyksMarkramSynapse(_MinimumDelay, synapses.TsodyksMarkramSynapse):
    __doc__ = synapses.TsodyksMarkramSynapse.__doc__
    translations = _identity("weight", "delay", "U", "tau_rec", "tau_facil")


class AdditiveWeightDependence(synapses.AdditiveWeightDependence):
    __doc__ = synapses.AdditiveWeightDependence.__doc__
    translations = _identity("w_min", "w_max")
    possible_models = {"neurosim.STDP"}


class MultiplicativeWeightDependence(synapses.MultiplicativeWeightDependence):
    __doc__ = synapses.MultiplicativeWeightDependence.__doc__
    translations = _identity("w_min", "w_max")
    possible_models = {"neurosim.STDP"}


class SpikePairRule(synapses.SpikePairRule):
    __doc__ = synapses.SpikePairRule.__doc__
    translations = _identity("tau_plus", "tau_minus", "A_plus", "A_minus")
    possible_models = {"neurosim.STDP"}


_TIMING = (SpikePairRule,)
_WEIGHT = (AdditiveWeightDependence, MultiplicativeWeightDependence)


class STDPMechanism(_MinimumDelay, synapses.STDPMechanism):
    __doc__ = synapses.STDPMechanism.__doc__
    base_translations = _identity("weight", "delay", "dendritic_delay_fraction")

    def __init__(self, timing_dependence=None, weight_dependence=None,
                 voltage_dependence=None, dendritic_delay_fraction=1.0, weight=0.0,
                 delay=None):
        if not isinstance(timing_dependence, _TIMING):
            raise NotImplementedError(
                f"STDPMechanism(timing_dependence={type(timing_dependence).__name__}): "
                "neurosim.pynn maps SpikePairRule (onto neurosim.STDP) only")
        if not isinstance(weight_dependence, _WEIGHT):
            raise NotImplementedError(
                f"STDPMechanism(weight_dependence={type(weight_dependence).__name__}): "
                "neurosim.pynn maps AdditiveWeightDependence and "
                "MultiplicativeWeightDependence only")
        if voltage_dependence is not None:
            raise NotImplementedError("STDPMechanism: neurosim has no voltage-dependent "
                                      "plasticity")
        super().__init__(timing_dependence, weight_dependence, voltage_dependence,
                         dendritic_delay_fraction, weight, delay)

    def _build_translations(self):
        # a fresh dict per mechanism: PyNN's update() would otherwise change the class's
        self.translations = dict(self.base_translations)
        for component in (self.timing_dependence, self.weight_dependence):
            self.translations.update(component.translations)


def _not_available(base, why, use="StaticSynapse, TsodyksMarkramSynapse or STDPMechanism"):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            f"{base.__name__} is not available in neurosim.pynn: {why}. Use {use}.")

    return type(base.__name__, (base,), {"__init__": __init__, "__doc__": base.__doc__,
                                         "translations": {}})


_WD = ("neurosim's STDP has additive and multiplicative (mu = 1) weight dependences "
       "only")
_WD_USE = "AdditiveWeightDependence or MultiplicativeWeightDependence"
AdditivePotentiationMultiplicativeDepression = _not_available(
    synapses.AdditivePotentiationMultiplicativeDepression, _WD, _WD_USE)
GutigWeightDependence = _not_available(synapses.GutigWeightDependence, _WD, _WD_USE)
Vogels2011Rule = _not_available(synapses.Vogels2011Rule,
                                "neurosim has no inhibitory (symmetric) plasticity rule",
                                "SpikePairRule")
StochasticTsodyksMarkramSynapse = _not_available(synapses.StochasticTsodyksMarkramSynapse,
                                                 "neurosim's synapses release deterministically")
SimpleStochasticSynapse = _not_available(synapses.SimpleStochasticSynapse,
                                         "neurosim's synapses transmit every spike")
MultiQuantalSynapse = _not_available(synapses.MultiQuantalSynapse,
                                     "neurosim has no stochastic release")
ElectricalSynapse = _not_available(synapses.ElectricalSynapse,
                                   "neurosim has no gap junctions")
