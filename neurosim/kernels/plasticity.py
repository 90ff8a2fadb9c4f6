"""Plastic synapses in the time step: spike-timing-dependent plasticity (pair and triplet
rules, and reward-modulated STDP) and short-term plasticity (Tsodyks-Markram), alone or
combined.

Plastic synapses are kept apart from the static CSR arrays: each has its weight
(float, in the target's weight unit), its traces (rows of ``trace``) and the step
of their last update (traces decay only when read, event-driven as in Brian2).
Synapses are ordered by presynaptic index and delay (``pre_ptr``); a column index
(``col_ptr``, ``col_syn``) lists each neuron's incoming synapses whose weights
learn. A firing source enters a ring of firing lists (``queue``); a synapse acts
when its spike arrives, ``delay`` steps later: it transmits its efficacy (the
weight, times ``u R`` with short-term plasticity) into the current slot of the
delay buffer, in fixed point as every input, then updates its traces and weight
(:func:`_on_pre`). A postsynaptic spike updates the neuron's incoming synapses
(:func:`_on_post`), after the arrivals of the same step.

Rows of ``trace``: 0 ``r1`` (``x_pre``), 1 ``o1`` (``x_post``), 2 ``r2`` and 3
``o2`` (the triplet rule's slow traces; row 2 is the eligibility ``c`` of
reward-modulated STDP), 4 ``u`` and 5 ``R`` (short-term plasticity's utilisation
and available resources). A network holds only the rows its rules use (2 to 6).

Reward-modulated STDP (Izhikevich 2007) changes the weight continuously,
``dw/dt = (w_max - w_min) c (d - b)``, with the eligibility ``c`` decaying with
``tau_c`` and the dopamine level ``d`` of the projection decaying with ``tau_d``.
It is integrated exactly and lazily: the projection keeps, for the steps of the
current window, the running sum ``dopamine_integral[r, k]`` of
``exp(-j dt/tau_c) * integral of exp(-s/tau_c) (d - b)`` over the window's steps
``j < k``; a synapse last updated at window step ``k0`` gains
``F c(k0) exp(k0 dt/tau_c) (S[k] - S[k0])`` when it is next visited. Every
window (at most ``tau_c``, so that ``exp(k0 dt/tau_c)`` stays below ``e``), all
such synapses are brought up to date and the sum starts again. Dopamine spikes
(from a group of the network) raise ``d`` after their delay, through the ring
``dopamine_due``.

The two rules are plain functions of one synapse (element functions), compiled
with ``inline="always"`` into the CPU loop; :func:`plasticity_step_numpy` is the
vectorised oracle.

Pair and triplet rules without short-term plasticity whose synapses share one delay
keep their traces per neuron instead (:mod:`neurosim.kernels.neuron_traces`, "slots"):
their synapses' rows of ``trace`` and ``last`` are not used, and the step hands them to
``arrive_by_neuron`` and ``post_by_neuron``.
"""
import math
from collections import namedtuple

import numpy as np
from numba import njit
from numba.extending import register_jitable

from ._jit import step_helper
from ._layout import FIXED_SCALE
from .neuron_traces import (advance_epoch, arrive_by_neuron, post_by_neuron,
                            sample_neuron_trace)
# the rule rows' columns and the trace rows, re-exported for the engines
from .plasticity_rows import (  # noqa: F401
    A3_MINUS, A3_PLUS, A_MINUS, A_PLUS, D_DELAY, D_HI, D_JUMP, D_LO, DECAY_D, DT, ELIG,
    GAIN_BASELINE, GAIN_D, KIND, LEARNING, MULTIPLICATIVE, N_RULE_PARAMS, NEAREST, NO_LEARNING,
    O1, O2, PAIR, R1, R2, REWARD, STP, STP_R, STP_U, TAU_C, TAU_FACIL, TAU_MINUS, TAU_PLUS,
    TAU_REC, TAU_X, TAU_Y, TRANSMIT_LAST, TRIPLET, U, W_MAX, W_MIN)

# prm: a row per plastic projection; rule: its row per synapse; target: channel * n +
# neuron; queue[slot, :queue_n[slot]]: the plastic sources that fired at a step;
# delay_range: the smallest and the largest delay of a plastic synapse (steps);
# dopamine: each projection's level d (1/s); dopamine_due[r, step % depth]: jumps of d
# due at a step; dopamine_integral[r, k]: the window's running sum (above), with one
# column when no rule is reward-modulated; window: the step the window began. The rest
# are the rules with traces per neuron (kernels.neuron_traces): slot[rule] (-1: traces
# per synapse), each slot's rule, delay and target channel offset, the traces x_pre and
# x_post, their origin epoch = [step, steps between moves], the step's factors gain;
# each slot's synapses from source s lie in row_lo[slot, s]:row_hi[slot, s], those onto
# neuron j are ncol_syn[ncol_ptr[slot, j]:ncol_ptr[slot, j + 1]] (sources ncol_pre)
Plastic = namedtuple("Plastic", "prm rule pre_ptr target delay w trace last col_ptr col_syn "
                                "queue queue_n delay_range dopamine dopamine_due "
                                "dopamine_integral window slot slot_rule slot_delay slot_base "
                                "x_pre x_post epoch gain row_lo row_hi ncol_ptr ncol_syn ncol_pre")


@register_jitable
def _decay(x, elapsed, tau):
    # Brian2's event-driven update of a decaying trace: x * exp(-(t - lastupdate)/tau)
    return x * math.exp(-elapsed / tau)


@register_jitable
def _recover(r, elapsed, tau):
    # dR/dt = (1 - R)/tau between spikes
    return 1.0 - (1.0 - r) * math.exp(-elapsed / tau)


@register_jitable
def _rest(q, elapsed, trace, prm, rule):
    # short-term plasticity between spikes: u decays, R recovers
    if prm[rule, TAU_FACIL] > 0.0:
        trace[STP_U, q] = _decay(trace[STP_U, q], elapsed, prm[rule, TAU_FACIL])
    else:
        trace[STP_U, q] = 0.0
    trace[STP_R, q] = _recover(trace[STP_R, q], elapsed, prm[rule, TAU_REC])


@register_jitable
def _reward_change(q, t0, step, w, trace, prm, rule, integral, window):
    """The weight of reward-modulated synapse ``q`` at ``step``, from ``t0`` (its last
    update, in the current window): ``w + F c(t0) exp((t0 - start) dt/tau_c) (S[step -
    start] - S[t0 - start])`` clipped to the bounds, and its eligibility then."""
    c0 = trace[ELIG, q]
    if c0 == 0.0:                       # nothing to integrate (and nothing to round)
        return w[q], c0
    start, dt, tau_c = window[0], prm[rule, DT], prm[rule, TAU_C]
    gain = c0 * math.exp((t0 - start) * dt / tau_c)
    change = gain * (integral[rule, step - start] - integral[rule, t0 - start])
    w_min, w_max = prm[rule, W_MIN], prm[rule, W_MAX]
    new = min(max(w[q] + prm[rule, LEARNING] * (w_max - w_min) * change, w_min), w_max)
    return new, c0 * math.exp(-((step - t0) * dt) / tau_c)


def _on_pre(q, step, w, trace, last, prm, rule, integral, window):
    """A presynaptic spike arrives at synapse ``q``: returns the efficacy it transmits
    (the weight, times ``u R`` with short-term plasticity), and jumps the presynaptic
    traces and depresses the weight (or, reward-modulated, the eligibility). The weight
    transmitted is the one before the depression, or after it where
    ``prm[rule, TRANSMIT_LAST]`` (NEST's and PyNN's order). ``prm[rule]`` is the
    projection's parameter row."""
    t0 = last[q]
    elapsed = step * prm[rule, DT] - t0 * prm[rule, DT]
    last[q] = step
    efficacy = 1.0
    if prm[rule, STP] != 0.0:
        tau_f = prm[rule, TAU_FACIL]
        u = _decay(trace[STP_U, q], elapsed, tau_f) if tau_f > 0.0 else 0.0
        u = u + prm[rule, U] * (1.0 - u)
        resources = _recover(trace[STP_R, q], elapsed, prm[rule, TAU_REC])
        efficacy = u * resources
        trace[STP_U, q] = u
        trace[STP_R, q] = resources - efficacy
    kind = prm[rule, KIND]
    if kind == REWARD:
        w[q], trace[ELIG, q] = _reward_change(q, t0, step, w, trace, prm, rule, integral,
                                              window)
    sent = w[q] * efficacy
    if kind == NO_LEARNING:
        return sent
    r1 = _decay(trace[R1, q], elapsed, prm[rule, TAU_PLUS])
    o1 = _decay(trace[O1, q], elapsed, prm[rule, TAU_MINUS])
    trace[R1, q] = 1.0 if prm[rule, NEAREST] != 0.0 else r1 + 1.0
    trace[O1, q] = o1
    if kind == REWARD:                  # the pairing tags the synapse; dopamine decides
        trace[ELIG, q] = trace[ELIG, q] - prm[rule, A_MINUS] * o1
        return sent
    amount = prm[rule, A_MINUS]
    if kind == TRIPLET:
        r2 = _decay(trace[R2, q], elapsed, prm[rule, TAU_X])
        trace[O2, q] = _decay(trace[O2, q], elapsed, prm[rule, TAU_Y])
        amount = amount + prm[rule, A3_MINUS] * r2          # r2 before this spike's jump
        trace[R2, q] = 1.0 if prm[rule, NEAREST] != 0.0 else r2 + 1.0
    w_min, w_max = prm[rule, W_MIN], prm[rule, W_MAX]
    span = w[q] - w_min if prm[rule, MULTIPLICATIVE] != 0.0 else w_max - w_min
    w[q] = min(max(w[q] - prm[rule, LEARNING] * amount * span * o1, w_min), w_max)
    if prm[rule, TRANSMIT_LAST] != 0.0:
        sent = w[q] * efficacy
    return sent


def _on_post(q, step, w, trace, last, prm, rule, integral, window):
    """The postsynaptic neuron of synapse ``q`` spikes: jumps the postsynaptic traces
    and potentiates the weight (or, reward-modulated, the eligibility); only synapses
    whose rule learns are visited."""
    t0 = last[q]
    elapsed = step * prm[rule, DT] - t0 * prm[rule, DT]
    last[q] = step
    if prm[rule, STP] != 0.0:          # keep the short-term state at the same update time
        _rest(q, elapsed, trace, prm, rule)
    r1 = _decay(trace[R1, q], elapsed, prm[rule, TAU_PLUS])
    o1 = _decay(trace[O1, q], elapsed, prm[rule, TAU_MINUS])
    trace[R1, q] = r1
    trace[O1, q] = 1.0 if prm[rule, NEAREST] != 0.0 else o1 + 1.0
    kind = prm[rule, KIND]
    if kind == REWARD:
        w[q], c = _reward_change(q, t0, step, w, trace, prm, rule, integral, window)
        trace[ELIG, q] = c + prm[rule, A_PLUS] * r1
        return
    amount = prm[rule, A_PLUS]
    if kind == TRIPLET:
        o2 = _decay(trace[O2, q], elapsed, prm[rule, TAU_Y])
        trace[R2, q] = _decay(trace[R2, q], elapsed, prm[rule, TAU_X])
        amount = amount + prm[rule, A3_PLUS] * o2           # o2 before this spike's jump
        trace[O2, q] = 1.0 if prm[rule, NEAREST] != 0.0 else o2 + 1.0
    w_min, w_max = prm[rule, W_MIN], prm[rule, W_MAX]
    span = w_max - w[q] if prm[rule, MULTIPLICATIVE] != 0.0 else w_max - w_min
    w[q] = min(max(w[q] + prm[rule, LEARNING] * amount * span * r1, w_min), w_max)


@register_jitable
def _catch_up(q, step, w, trace, last, prm, rule, integral, window):
    """Bring reward-modulated synapse ``q`` to ``step`` (the end of a window): weight,
    eligibility, traces and short-term state, as a spike would, without one."""
    t0 = last[q]
    elapsed = step * prm[rule, DT] - t0 * prm[rule, DT]
    last[q] = step
    if prm[rule, STP] != 0.0:
        _rest(q, elapsed, trace, prm, rule)
    trace[R1, q] = _decay(trace[R1, q], elapsed, prm[rule, TAU_PLUS])
    trace[O1, q] = _decay(trace[O1, q], elapsed, prm[rule, TAU_MINUS])
    w[q], trace[ELIG, q] = _reward_change(q, t0, step, w, trace, prm, rule, integral, window)


@register_jitable
def dopamine_spike(s, step, prm, dopamine_due):
    """Neuron or source ``s`` fired at ``step``: the projections whose dopamine it
    releases get their jump due after their delay."""
    depth = dopamine_due.shape[1]
    for r in range(prm.shape[0]):
        if prm[r, KIND] == REWARD and prm[r, D_LO] <= s < prm[r, D_HI]:
            e = (step + np.int64(prm[r, D_DELAY])) % depth
            dopamine_due[r, e] += prm[r, D_JUMP]


@register_jitable
def sample_plastic(code, q, step, w, trace, last, prm, rule, integral, window):
    """Variable ``code`` of synapse ``q`` at the start of ``step`` (a monitor's
    sample): 0 the weight, ``1 + r`` trace row ``r``, decayed to the step."""
    reward = prm[rule, KIND] == REWARD
    if code == 0:
        if reward:
            return _reward_change(q, last[q], step, w, trace, prm, rule, integral, window)[0]
        return w[q]
    row = code - 1
    if reward and row == ELIG:
        return _reward_change(q, last[q], step, w, trace, prm, rule, integral, window)[1]
    elapsed = step * prm[rule, DT] - last[q] * prm[rule, DT]
    if row == STP_R:
        return _recover(trace[row, q], elapsed, prm[rule, TAU_REC])
    if row == STP_U:
        return _decay(trace[row, q], elapsed, prm[rule, TAU_FACIL])
    if row == R1:
        tau = prm[rule, TAU_PLUS]
    elif row == O1:
        tau = prm[rule, TAU_MINUS]
    elif row == R2:
        tau = prm[rule, TAU_X]
    else:
        tau = prm[rule, TAU_Y]
    return _decay(trace[row, q], elapsed, tau)


@step_helper
def sample_synapse(pl, code, q, step):
    """:func:`sample_plastic` of synapse ``q``, its traces read from its neurons where
    its rule keeps them per neuron."""
    r = pl.rule[q]
    k = pl.slot[r]
    if k >= 0 and code > 0:
        pre = np.searchsorted(pl.pre_ptr, q, side="right") - 1
        return sample_neuron_trace(code - 1, pre, pl.target[q] - pl.slot_base[k], k, step,
                                   pl.prm, r, pl.x_pre, pl.x_post, pl.epoch)
    return sample_plastic(code, q, step, pl.w, pl.trace, pl.last, pl.prm, r,
                          pl.dopamine_integral, pl.window)


on_pre = njit(cache=True, inline="always")(_on_pre)
on_post = njit(cache=True, inline="always")(_on_post)


def empty_plastic(n_total):
    """The arrays of a network without plastic synapses."""
    return Plastic(prm=np.zeros((0, N_RULE_PARAMS)), rule=np.zeros(0, np.int32),
                   pre_ptr=np.zeros(n_total + 1, np.int64), target=np.zeros(0, np.int64),
                   delay=np.zeros(0, np.int32), w=np.zeros(0), trace=np.zeros((2, 0)),
                   last=np.zeros(0, np.int64), col_ptr=np.zeros(1, np.int64),
                   col_syn=np.zeros(0, np.int64), queue=np.zeros((1, 1), np.int64),
                   queue_n=np.zeros(1, np.int64), delay_range=np.zeros(2, np.int64),
                   dopamine=np.zeros(0), dopamine_due=np.zeros((0, 1)),
                   dopamine_integral=np.zeros((0, 1)), window=np.zeros(1, np.int64),
                   **no_neuron_traces(n_total, n_total, 0))


def no_neuron_traces(n_total, n, n_rules):
    """The neuron-trace fields of plastic synapses that keep every trace per synapse."""
    return dict(slot=np.full(n_rules, -1, np.int64), slot_rule=np.zeros(0, np.int64),
                slot_delay=np.zeros(0, np.int64), slot_base=np.zeros(0, np.int64),
                x_pre=np.zeros((1, 0, n_total)), x_post=np.zeros((1, 0, n)),
                epoch=np.array([0, 1 << 62], np.int64), gain=np.zeros((0, 4, 2)),
                row_lo=np.zeros((0, n_total), np.int64), row_hi=np.zeros((0, n_total), np.int64),
                ncol_ptr=np.zeros((0, n + 1), np.int64), ncol_syn=np.zeros(0, np.int64),
                ncol_pre=np.zeros(0, np.int64))


@njit(cache=True)
def enqueue(pl, s, step):
    """Add source ``s``, which fired at ``step``, to the queue of that step, and its
    dopamine to the ring (a spike from another MPI rank, received after the step)."""
    if pl.dopamine_integral.shape[1] > 1:
        dopamine_spike(s, step, pl.prm, pl.dopamine_due)
    if pl.pre_ptr[s + 1] > pl.pre_ptr[s]:
        e = step % pl.queue.shape[0]
        pl.queue[e, pl.queue_n[e]] = s
        pl.queue_n[e] += 1


@njit(cache=True)
def _window_start(pl, step):
    """At the end of a window: every reward-modulated synapse brought up to ``step``, the
    window's sums started again; then the dopamine jumps due now."""
    if step - pl.window[0] == pl.dopamine_integral.shape[1] - 1:
        for q in range(pl.w.size):
            if pl.prm[pl.rule[q], KIND] == REWARD:
                _catch_up(q, step, pl.w, pl.trace, pl.last, pl.prm, pl.rule[q],
                          pl.dopamine_integral, pl.window)
        pl.window[0] = step
        pl.dopamine_integral[:, 0] = 0.0
    e = step % pl.dopamine_due.shape[1]
    for r in range(pl.prm.shape[0]):
        pl.dopamine[r] += pl.dopamine_due[r, e]
        pl.dopamine_due[r, e] = 0.0


@njit(cache=True)
def _dopamine_advance(pl, firing, n_fire, step):
    """The step's dopamine spikes into the ring; the window's sum over this step (the
    level ``d`` decays exponentially within it); then ``d`` decays to the next step."""
    for m in range(n_fire):
        dopamine_spike(firing[m], step, pl.prm, pl.dopamine_due)
    k = step - pl.window[0]
    for r in range(pl.prm.shape[0]):
        if pl.prm[r, KIND] == REWARD:
            p = pl.prm[r]
            during = pl.dopamine[r] * p[GAIN_D] - p[GAIN_BASELINE]
            pl.dopamine_integral[r, k + 1] = (pl.dopamine_integral[r, k]
                                             + math.exp(-(k * p[DT]) / p[TAU_C]) * during)
            pl.dopamine[r] = pl.dopamine[r] * p[DECAY_D]


# synapses handled per batch: their memory is read in one pass and written back in
# another, so that the cache misses of a batch overlap instead of waiting, one synapse
# at a time, behind the exponentials of the previous one (2x on CUBA's post updates)
BATCH = 64


@njit(cache=True)
def plasticity_step(pl, firing, n_fire, n, step, buffer, slot, touched, n_touched):
    """The plastic synapses' part of a step, after the static deliveries: queue this
    step's firing sources, let every spike that arrives now act (transmission into
    ``buffer[slot]``, then :func:`_on_pre`, or for the rules with traces per neuron
    ``neuron_traces.arrive_by_neuron``), then the postsynaptic spikes (:func:`_on_post`,
    ``neuron_traces.post_by_neuron``); with reward-modulated rules, the dopamine around
    them."""
    if pl.w.size == 0:
        return
    reward = pl.dopamine_integral.shape[1] > 1
    if reward:
        _window_start(pl, step)
    depth = pl.queue.shape[0]
    now = step % depth
    count = 0
    for m in range(n_fire):
        s = firing[m]
        if pl.pre_ptr[s + 1] > pl.pre_ptr[s]:
            pl.queue[now, count] = s
            count += 1
    pl.queue_n[now] = count
    slots = pl.slot_rule.size
    if slots:
        advance_epoch(step, pl.epoch, pl.slot_rule, pl.prm, pl.x_pre, pl.x_post, pl.gain)
    sent = np.empty(BATCH)
    if slots < pl.prm.shape[0]:             # some rules keep their traces per synapse
        for d in range(pl.delay_range[0], pl.delay_range[1] + 1):
            e = now - d
            if e < 0:
                e += depth
            for m in range(pl.queue_n[e]):
                s = pl.queue[e, m]
                q = pl.pre_ptr[s]
                end = pl.pre_ptr[s + 1]
                while q < end and pl.delay[q] < d:      # a row is sorted by delay
                    q += 1
                while q < end and pl.delay[q] == d:
                    k = pl.slot[pl.rule[q]]
                    if k >= 0:      # the rule's synapses of s lie together: its own loop's
                        q = pl.row_hi[k, s]
                    else:
                        q = _arrive(pl, q, end, d, step, buffer, slot, touched, n_touched,
                                    sent)
    for k in range(slots):
        arrive_by_neuron(pl, k, now, buffer, slot, touched, n_touched)
    rows = pl.trace.shape[0]
    w, last = np.empty(BATCH), np.empty(BATCH, np.int64)
    trace, rule = np.empty((rows, BATCH)), np.empty(BATCH, np.int32)
    if pl.col_syn.size:
        for m in range(n_fire):
            k = firing[m]
            if k < n:
                for c in range(pl.col_ptr[k], pl.col_ptr[k + 1], BATCH):
                    _post_batch(pl, c, min(c + BATCH, pl.col_ptr[k + 1]), step, w, last,
                                trace, rule)
    for k in range(slots):
        post_by_neuron(pl, k, firing, n_fire, n)
    if reward:
        _dopamine_advance(pl, firing, n_fire, step)


@njit(cache=True, inline="always")
def _arrive(pl, q, end, d, step, buffer, slot, touched, n_touched, sent):
    """Up to ``BATCH`` synapses from ``q`` on with delay ``d`` act (:func:`_on_pre`),
    then their efficacies enter the buffer; returns the next synapse. It stops before
    a synapse whose rule keeps its traces per neuron (``arrive_by_neuron``'s)."""
    k = 0
    while q < end and k < BATCH and pl.delay[q] == d and pl.slot[pl.rule[q]] < 0:
        sent[k] = on_pre(q, step, pl.w, pl.trace, pl.last, pl.prm, pl.rule[q],
                         pl.dopamine_integral, pl.window)
        q += 1
        k += 1
    cap = touched.shape[1]
    for i in range(k):
        add = np.int64(np.rint(sent[i] * FIXED_SCALE))
        t = pl.target[q - k + i]
        if buffer[slot, t] == 0 and add != 0 and n_touched[slot] < cap:
            touched[slot, n_touched[slot]] = t
            n_touched[slot] += 1
        buffer[slot, t] += add
    return q


@njit(cache=True, inline="always")
def _post_batch(pl, lo, hi, step, w, last, trace, rule):
    """:func:`_on_post` for the synapses ``col_syn[lo:hi]``: gathered into ``w``,
    ``last``, ``trace`` and ``rule``, updated there, scattered back."""
    rows = trace.shape[0]
    for c in range(lo, hi):
        q, i = pl.col_syn[c], c - lo
        w[i], last[i], rule[i] = pl.w[q], pl.last[q], pl.rule[q]
        for r in range(rows):
            trace[r, i] = pl.trace[r, q]
    for i in range(hi - lo):
        on_post(i, step, w, trace, last, pl.prm, rule[i], pl.dopamine_integral, pl.window)
    for c in range(lo, hi):
        q, i = pl.col_syn[c], c - lo
        pl.w[q], pl.last[q] = w[i], last[i]
        for r in range(rows):
            pl.trace[r, q] = trace[r, i]
