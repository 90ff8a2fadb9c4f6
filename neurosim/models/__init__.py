"""Neuron models: small frozen classes of parameters, state and derived constants."""
from ._base import NeuronModel
from .lif import LIF
from .lif_cond import LIFCond
from .mcculloch_pitts import McCullochPitts

__all__ = ["NeuronModel", "LIF", "LIFCond", "McCullochPitts"]
