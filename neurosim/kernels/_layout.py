"""Shared layout of the flat arrays: model codes and parameter slots.

Every neuron group becomes a *segment* ``[start, stop)`` of the network's state
arrays with one model code and one row of ``N_PARAMS`` float parameters.
"""
# the codes of the built-in models: their index in kernels.models.BUILTIN, with which
# every network's model set starts
LIF_EXP = 0      # current-based LIF, exponential synaptic currents, exact integration
LIF_DELTA = 1    # current-based LIF, delta synapses (a spike makes v jump)
LIF_COND = 2     # conductance-based LIF, exponential conductances, forward Euler
MCCULLOCH_PITTS = 3

# every segment has a row of at least N_PARAMS float parameters; their names are
# the model's own business (its kernel's ``parameters``, read as ``p.<name>``)
N_PARAMS = 12

# a segment whose neurons share one parameter row (``seg_prm``) has this offset in
# ``seg_hoff``; one with parameters per neuron has ``row - k`` (neuron k's row of
# ``nrn_prm``), so that the row of neuron k is ``k + seg_hoff[g]``
SHARED = -(2 ** 62)

# Synaptic input is summed in fixed point: weights are integers in units of
# 2**-40 of the target's synaptic unit, so sums are exact and independent of the
# order of addition (threads, GPU atomics); docs/design.md gives the reasons.
FIXED_SCALE = 2.0 ** 40
FIXED_UNIT = 2.0 ** -40

# state variables a monitor can record: v, ge, gi, then a model's extra state
# variables (row j of the network's ``aux`` is VAR_EXTRA + j)
VAR_V, VAR_GE, VAR_GI = 0, 1, 2
VAR_EXTRA = 3
# ... and variables of plastic synapses: VAR_SYNAPSE + 0 the weight, + 1 + r trace row r
VAR_SYNAPSE = 2 ** 30

# random streams of the counter-based generator
STREAM_POISSON_GROUP = 1
STREAM_MP_UPDATE = 2
STREAM_POISSON_INPUT = 16   # + index of the PoissonInput
