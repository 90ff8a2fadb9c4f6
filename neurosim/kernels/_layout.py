"""Shared layout of the flat arrays: model codes and parameter slots.

Every neuron group becomes a *segment* ``[start, stop)`` of the network's state
arrays with one model code and one row of ``N_PARAMS`` float parameters.
"""
# model codes
LIF_EXP = 0      # current-based LIF, exponential synaptic currents, exact integration
LIF_DELTA = 1    # current-based LIF, delta synapses (a spike makes v jump)
LIF_COND = 2     # conductance-based LIF, exponential conductances, forward Euler
MCCULLOCH_PITTS = 3

# every segment has a row of N_PARAMS float parameters; what each slot holds is
# the model's own business, named in its kernel module (lif.py, lif_cond.py,
# mcculloch_pitts.py) and filled by its description (models/)
N_PARAMS = 12

# Synaptic input is summed in fixed point: weights are integers in units of
# 2**-40 of the target's synaptic unit, so sums are exact and independent of the
# order of addition (threads, GPU atomics); docs/design.md gives the reasons.
FIXED_SCALE = 2.0 ** 40
FIXED_UNIT = 2.0 ** -40

# state variables a monitor can record
VAR_V, VAR_GE, VAR_GI = 0, 1, 2

# random streams of the counter-based generator
STREAM_POISSON_GROUP = 1
STREAM_MP_UPDATE = 2
STREAM_POISSON_INPUT = 16   # + index of the PoissonInput
