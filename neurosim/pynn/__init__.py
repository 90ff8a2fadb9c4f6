"""neurosim as a PyNN backend: ``import neurosim.pynn as sim``.

A PyNN 0.13 script runs on neurosim's compiled backends by importing this module
instead of ``pyNN.nest`` or ``pyNN.brian2``::

    import neurosim.pynn as sim
    sim.setup(timestep=0.1, backend="numba")
    cells = sim.Population(100, sim.IF_curr_exp(i_offset=1.0))
    cells.record("spikes")
    sim.run(100.0)
    spikes = cells.get_data().segments[0].spiketrains

Cell types: ``IF_curr_exp``, ``IF_curr_alpha``, ``IF_cond_exp``, ``IF_cond_alpha``,
``IF_curr_delta``, ``SpikeSourcePoisson``, ``SpikeSourceArray``; current sources
``DCSource``, ``StepCurrentSource``, ``ACSource`` and ``NoisyCurrentSource``; static
synapses, ``TsodyksMarkramSynapse``, ``STDPMechanism`` (``SpikePairRule`` with an additive
or multiplicative weight dependence) and all of PyNN's connectors. Everything else raises PyNN's
``NotImplementedError`` naming what is missing (``docs/user/pynn.rst``).
"""
from pyNN import errors, random, space                               # noqa: F401
from pyNN.network import Network                                     # noqa: F401
from pyNN.random import GSLRNG, NumpyRNG, RandomDistribution         # noqa: F401
from pyNN.recording import *                                         # noqa: F401,F403
from pyNN.space import Space                                         # noqa: F401
from pyNN.standardmodels import StandardCellType

from .connectors import *                                            # noqa: F401,F403
from .control import (end, get_current_time, get_max_delay, get_min_delay,  # noqa: F401
                      get_time_step, initialize, num_processes, rank, reset, run, run_for,
                      run_until, setup)
from .populations import Assembly, Population, PopulationView        # noqa: F401
from .procedural_api import (connect, create, record, record_gsyn,   # noqa: F401
                             record_v, set)
from .projections import Projection                                  # noqa: F401
from .standardmodels.cells import *                                  # noqa: F401,F403
from .standardmodels.electrodes import *                             # noqa: F401,F403
from .standardmodels.synapses import *                               # noqa: F401,F403


def list_standard_models():
    """The names of the standard cell types that neurosim simulates."""
    return ["IF_curr_exp", "IF_curr_alpha", "IF_cond_exp", "IF_cond_alpha", "IF_curr_delta",
            "SpikeSourcePoisson", "SpikeSourceArray"]
