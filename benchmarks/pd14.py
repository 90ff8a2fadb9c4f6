"""The cortical microcircuit of Potjans & Diesmann (2014): the benchmarks' names for it.

The network and its parameter tables are defined once, in ``tests/networks.py``
(:func:`networks.pd14`), the library of reference networks that the tests and
the benchmarks share; the definition (sizes, parameters, sources) is in
``benchmarks/README.md`` (section PD14). This module re-exports them under the
names that ``nets.py``, ``mpi_bench.py`` and the Brian2 and NEST versions in
``peers_brian2.py`` and ``peers_nest.py`` use.

``scale`` multiplies every population size and keeps the in-degrees (so the
total synapse count scales with ``scale``), a cheap stand-in with the same
per-neuron input statistics; ``scale=1`` is the published model (77,169 neurons,
about 3e8 synapses).
"""
import nets  # noqa: F401  (puts tests/networks.py, or run.py's snapshot of it, on sys.path)
from networks import (PD14, PD14_POPULATIONS, pd14, pd14_delay_params,  # noqa: F401
                      pd14_expected_synapses, pd14_is_excitatory, pd14_population_rates,
                      pd14_sizes, pd14_synapse_counts, pd14_weight_mean)

POPULATIONS = PD14_POPULATIONS
N_FULL = PD14["n_full"]
CONN_PROBS = PD14["conn_probs"]          # rows: target, columns: source
K_EXT = PD14["k_ext"]
NEURON = PD14["neuron"]                  # SI units: s, V, F
W_MEAN, W_REL_SD, G = PD14["w_mean"], PD14["w_rel_sd"], PD14["g"]     # A
D_EXC, D_INH = PD14["d_exc"], PD14["d_inh"]                             # s
BG_RATE = PD14["bg_rate"]                                               # Hz

sizes = pd14_sizes
synapse_counts = pd14_synapse_counts
expected_synapses = pd14_expected_synapses
is_excitatory = pd14_is_excitatory
weight_mean = pd14_weight_mean
delay_params = pd14_delay_params
population_rates = pd14_population_rates

__all__ = ["pd14", "population_rates", "sizes", "synapse_counts", "expected_synapses",
           "is_excitatory", "weight_mean", "delay_params", "POPULATIONS", "N_FULL",
           "CONN_PROBS", "K_EXT", "NEURON", "W_MEAN", "W_REL_SD", "G", "D_EXC", "D_INH",
           "BG_RATE"]
