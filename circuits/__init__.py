"""circuits: a visual pathway (retina, V1, V2, V4, IT) built on neurosim.

Built from neurosim's public API only (``import neurosim as ns``), as the
layering test checks. One module per area, each adding populations and
projections to a :class:`~circuits.core.Circuit` description with the
receptive-field geometry and preferences of every neuron; :mod:`circuits.pathway`
assembles them, runs the spiking network and its rate twin.

Examples
--------
>>> import circuits
>>> sorted(circuits.AREAS)
['it', 'retina', 'v1', 'v2', 'v4']
"""
from . import analysis, core, it, layers, retina, stimuli, v1, v2, v4
from .core import Circuit, Population, Projection
from .pathway import AREAS, Pathway, Responses, build_pathway

__all__ = ["AREAS", "build_pathway", "Pathway", "Responses", "Circuit", "Population",
           "Projection", "analysis", "core", "layers", "stimuli", "retina", "v1", "v2", "v4",
           "it"]
