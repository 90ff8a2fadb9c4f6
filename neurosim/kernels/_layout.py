"""Shared layout of the flat arrays: model codes and parameter slots.

Every neuron group becomes a *segment* ``[start, stop)`` of the network's state
arrays with one model code and one row of ``N_PARAMS`` float parameters.
"""
# model codes
LIF_EXP = 0      # current-based LIF, exponential synaptic currents, exact integration
LIF_DELTA = 1    # current-based LIF, delta synapses (a spike makes v jump)
LIF_COND = 2     # conductance-based LIF, exponential conductances, forward Euler
MCCULLOCH_PITTS = 3

# parameter slots of a segment row (unused slots stay 0)
V_REST = 0       # LIF: resting potential; LIFCond: leak reversal E_L            [V]
V_RESET = 1      # reset potential                                              [V]
V_TH = 2         # threshold (MP: theta, dimensionless)                         [V]
A_M = 3          # LIF: exp(-dt/tau_m); LIFCond: dt/tau_m
A_E = 4          # per-step decay factor of the excitatory synaptic variable
A_I = 5          # per-step decay factor of the inhibitory synaptic variable
P_E = 6          # LIF: coupling of i_e into v over one step; LIFCond: E_e [V]
P_I = 7          # LIF: coupling of i_i into v over one step; LIFCond: E_i [V]
N_REF = 8        # refractory period in steps
P_UPDATE = 9     # MP: probability that a unit updates in a step (1 = synchronous)
ABS_INH = 10     # MP: 1.0 when any active inhibitory input vetoes the unit
RESET_SUB = 11   # LIF: 1.0 when a spike subtracts v_th - v_reset (0: v set to v_reset)
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
