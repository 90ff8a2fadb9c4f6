"""The columns of a plastic projection's parameter row and the rows of its per-synapse
traces (filled by :mod:`neurosim.plasticity`'s rules, read by the engines)."""

# the columns of a projection's parameter row (filled by neurosim.plasticity's rules)
(KIND, TAU_PLUS, TAU_MINUS, TAU_X, TAU_Y, A_PLUS, A_MINUS, A3_PLUS, A3_MINUS, W_MIN, W_MAX,
 NEAREST, MULTIPLICATIVE, LEARNING, DT, STP, U, TAU_REC, TAU_FACIL, TRANSMIT_LAST,
 TAU_C, DECAY_D, GAIN_D, GAIN_BASELINE, D_JUMP, D_DELAY, D_LO, D_HI) = range(28)
N_RULE_PARAMS = 28
# KIND: which long-term rule changes the weights
NO_LEARNING, PAIR, TRIPLET, REWARD = 0, 1, 2, 3
R1, O1, R2, O2, STP_U, STP_R = range(6)
ELIG = R2           # reward-modulated STDP has no triplet traces: its eligibility is here
