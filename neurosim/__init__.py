"""neurosim: spiking networks of McCulloch-Pitts and LIF neurons, compiled by Numba."""
from ._config import config_context, get_config, set_config
from ._version import __version__
from .backends import available_backends
from .connectivity import (AllToAll, Explicit, FixedIndegree, FixedOutdegree, FixedProbability,
                           FixedTotalNumber, OneToOne)
from .distributions import Normal, Uniform
from .groups import NeuronGroup, Subgroup
from .io import (CheckpointError, RecordingError, load_recording, load_spikes, save_spikes,
                 to_neo)
from .inputs import (CurrentInput, PoissonGroup, PoissonInput, SpikeGeneratorGroup,
                     TimedCurrent)
from . import models as _models
from .models import *  # noqa: F401,F403  (every model file's __all__)
from .monitors import RateMonitor, SpikeMonitor, StateMonitor
from ._run_loop import NonFiniteStateError, RunInterrupted
from ._model_errors import ModelCompileError
from .network import CheckpointWarning, Network, NetworkTooLargeError
from .plotting import plot_raster, plot_rate, plot_state
from ._precompile import precompile
from .sweep import SweepResult, sweep
from .dask_sweep import dask_sweep
from . import mpi
from .synapses import Synapses
from .plasticity import STDP, RewardSTDP, TripletSTDP
from .short_term import TsodyksMarkram

__all__ = ["__version__", "get_config", "set_config", "config_context", "available_backends",
           *_models.__all__, "NeuronGroup", "Subgroup",
           "PoissonGroup", "SpikeGeneratorGroup", "PoissonInput", "CurrentInput", "TimedCurrent",
           "Synapses", "STDP", "TripletSTDP", "RewardSTDP", "TsodyksMarkram", "AllToAll", "OneToOne", "FixedProbability", "FixedIndegree",
           "FixedOutdegree", "FixedTotalNumber", "Explicit", "Uniform", "Normal",
           "SpikeMonitor", "StateMonitor", "RateMonitor", "Network", "NetworkTooLargeError",
           "RunInterrupted", "NonFiniteStateError", "ModelCompileError", "CheckpointWarning",
           "plot_raster", "plot_rate", "plot_state", "CheckpointError", "RecordingError",
           "save_spikes",
           "load_spikes", "load_recording", "to_neo", "precompile", "sweep", "SweepResult", "dask_sweep", "mpi"]
