"""Connectors: PyNN's own (:mod:`pyNN.connectors`).

They draw the connections with PyNN's random number generators and hand them to
:meth:`neurosim.pynn.Projection._convergent_connect`; the neurosim network receives the
result as explicit synapses, so a script gives the same connectivity on neurosim as on
any other PyNN backend with the same ``rng``. Weights and delays may be numbers, arrays,
PyNN ``RandomDistribution`` objects or functions of distance.
"""
from pyNN.connectors import (AllToAllConnector, ArrayConnector, CloneConnector,  # noqa: F401
                             CSAConnector, DisplacementDependentProbabilityConnector,
                             DistanceDependentProbabilityConnector, FixedNumberPostConnector,
                             FixedNumberPreConnector, FixedProbabilityConnector,
                             FixedTotalNumberConnector, FromFileConnector,
                             FromListConnector, IndexBasedProbabilityConnector,
                             OneToOneConnector, SmallWorldConnector)

__all__ = ["AllToAllConnector", "ArrayConnector", "CloneConnector", "CSAConnector",
           "DisplacementDependentProbabilityConnector", "DistanceDependentProbabilityConnector",
           "FixedNumberPostConnector", "FixedNumberPreConnector", "FixedProbabilityConnector",
           "FixedTotalNumberConnector", "FromFileConnector", "FromListConnector",
           "IndexBasedProbabilityConnector", "OneToOneConnector", "SmallWorldConnector"]
