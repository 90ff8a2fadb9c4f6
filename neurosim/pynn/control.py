"""setup, run, reset, end and the state queries of neurosim.pynn."""
import numpy as np
from pyNN import common
from pyNN.common.control import DEFAULT_MAX_DELAY, DEFAULT_MIN_DELAY, DEFAULT_TIMESTEP
from pyNN.recording import get_io

from neurosim.backends import available_backends

from . import simulator

__all__ = ["setup", "end", "run", "run_until", "run_for", "reset", "initialize",
           "get_current_time", "get_time_step", "get_min_delay", "get_max_delay",
           "num_processes", "rank"]


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, **extra_params):
    """Start a new simulation; any existing network is discarded.

    Parameters
    ----------
    timestep : float
        Time step in ms (default 0.1).
    min_delay : float or 'auto'
        Smallest synaptic delay in ms; ``'auto'`` takes the smallest delay of the
        projections at the first run.
    backend : {'numba', 'numpy', 'cuda'}, optional
        neurosim backend (default ``'numba'``).
    seed : int, optional
        Seed of neurosim's random draws (Poisson sources). Connectivity and random
        parameter values are drawn by PyNN's own random number generators.
    **extra_params
        ``max_delay`` and any other PyNN option; unknown ones are ignored, as
        PyNN's other backends do.
    """
    common.setup(timestep, min_delay, **extra_params)
    state = simulator.state
    backend = extra_params.get("backend", "numba")
    if backend not in ("numba", "numpy", "cuda"):
        raise ValueError(f"backend={backend!r} must be 'numba', 'numpy' or 'cuda' "
                         f"(available here: {available_backends()})")
    state.clear()
    state.dt = float(timestep)
    state.min_delay = min_delay
    state.max_delay = extra_params.get("max_delay", DEFAULT_MAX_DELAY)
    state.backend = backend
    seed = extra_params.get("seed")
    state.seed = int(np.random.SeedSequence().entropy % 2 ** 63) if seed is None else int(seed)
    return rank()


def end(compatible_output=True):
    """Write the data that ``record(..., to_file=...)`` asked for and free the network."""
    state = simulator.state
    for population, variables, filename in state.write_on_end:
        io = get_io(filename)
        population.write_data(io, variables)
    state.write_on_end = []
    state.engine = None


run, run_until = common.build_run(simulator)
run_for = run
reset = common.build_reset(simulator)
initialize = common.initialize
get_current_time, get_time_step, get_min_delay, get_max_delay, num_processes, rank = \
    common.build_state_queries(simulator)
