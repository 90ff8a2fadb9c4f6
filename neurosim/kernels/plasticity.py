"""Plastic synapses in the time step: spike-timing-dependent plasticity (pair and triplet
rules) and short-term plasticity (Tsodyks-Markram), alone or combined.

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
``o2`` (the triplet rule's slow traces), 4 ``u`` and 5 ``R`` (short-term
plasticity's utilisation and available resources). A network holds only the rows
its rules use (2, 4 or 6).

The two rules are plain functions of one synapse (element functions), compiled
with ``inline="always"`` into the CPU loop; :func:`plasticity_step_numpy` is the
vectorised oracle.
"""
import math
from collections import namedtuple

import numpy as np
from numba import njit
from numba.extending import register_jitable

from ._layout import FIXED_SCALE

# the columns of a projection's parameter row (filled by neurosim.plasticity's rules)
(KIND, TAU_PLUS, TAU_MINUS, TAU_X, TAU_Y, A_PLUS, A_MINUS, A3_PLUS, A3_MINUS, W_MIN, W_MAX,
 NEAREST, MULTIPLICATIVE, LEARNING, DT, STP, U, TAU_REC, TAU_FACIL, TRANSMIT_LAST) = range(20)
N_RULE_PARAMS = 20
# KIND: which long-term rule changes the weights
NO_LEARNING, PAIR, TRIPLET = 0, 1, 2
R1, O1, R2, O2, STP_U, STP_R = range(6)

# prm: a row per plastic projection; rule: its row per synapse; target: channel * n +
# neuron; queue[slot, :queue_n[slot]]: the plastic sources that fired at a step;
# delay_range: the smallest and the largest delay of a plastic synapse (steps)
Plastic = namedtuple("Plastic", "prm rule pre_ptr target delay w trace last col_ptr col_syn "
                                "queue queue_n delay_range")


@register_jitable
def _decay(x, elapsed, tau):
    # Brian2's event-driven update of a decaying trace: x * exp(-(t - lastupdate)/tau)
    return x * math.exp(-elapsed / tau)


@register_jitable
def _recover(r, elapsed, tau):
    # dR/dt = (1 - R)/tau between spikes
    return 1.0 - (1.0 - r) * math.exp(-elapsed / tau)


def _on_pre(q, step, w, trace, last, prm, rule):
    """A presynaptic spike arrives at synapse ``q``: returns the efficacy it transmits
    (the weight, times ``u R`` with short-term plasticity), and jumps the presynaptic
    traces and depresses the weight. The weight transmitted is the one before the
    depression, or after it where ``prm[rule, TRANSMIT_LAST]`` (NEST's and PyNN's order).
    ``p`` is the projection's parameter row."""
    elapsed = step * prm[rule, DT] - last[q] * prm[rule, DT]
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
    sent = w[q] * efficacy
    kind = prm[rule, KIND]
    if kind == NO_LEARNING:
        return sent
    r1 = _decay(trace[R1, q], elapsed, prm[rule, TAU_PLUS])
    o1 = _decay(trace[O1, q], elapsed, prm[rule, TAU_MINUS])
    amount = prm[rule, A_MINUS]
    if kind == TRIPLET:
        r2 = _decay(trace[R2, q], elapsed, prm[rule, TAU_X])
        trace[O2, q] = _decay(trace[O2, q], elapsed, prm[rule, TAU_Y])
        amount = amount + prm[rule, A3_MINUS] * r2          # r2 before this spike's jump
        trace[R2, q] = 1.0 if prm[rule, NEAREST] != 0.0 else r2 + 1.0
    w_min, w_max = prm[rule, W_MIN], prm[rule, W_MAX]
    span = w[q] - w_min if prm[rule, MULTIPLICATIVE] != 0.0 else w_max - w_min
    w[q] = min(max(w[q] - prm[rule, LEARNING] * amount * span * o1, w_min), w_max)
    trace[R1, q] = 1.0 if prm[rule, NEAREST] != 0.0 else r1 + 1.0
    trace[O1, q] = o1
    if prm[rule, TRANSMIT_LAST] != 0.0:
        sent = w[q] * efficacy
    return sent


def _on_post(q, step, w, trace, last, prm, rule):
    """The postsynaptic neuron of synapse ``q`` spikes: jumps the postsynaptic traces
    and potentiates the weight (only synapses whose rule learns are visited)."""
    elapsed = step * prm[rule, DT] - last[q] * prm[rule, DT]
    last[q] = step
    if prm[rule, STP] != 0.0:          # keep the short-term state at the same update time
        if prm[rule, TAU_FACIL] > 0.0:
            trace[STP_U, q] = _decay(trace[STP_U, q], elapsed, prm[rule, TAU_FACIL])
        else:
            trace[STP_U, q] = 0.0
        trace[STP_R, q] = _recover(trace[STP_R, q], elapsed, prm[rule, TAU_REC])
    r1 = _decay(trace[R1, q], elapsed, prm[rule, TAU_PLUS])
    o1 = _decay(trace[O1, q], elapsed, prm[rule, TAU_MINUS])
    amount = prm[rule, A_PLUS]
    if prm[rule, KIND] == TRIPLET:
        o2 = _decay(trace[O2, q], elapsed, prm[rule, TAU_Y])
        trace[R2, q] = _decay(trace[R2, q], elapsed, prm[rule, TAU_X])
        amount = amount + prm[rule, A3_PLUS] * o2           # o2 before this spike's jump
        trace[O2, q] = 1.0 if prm[rule, NEAREST] != 0.0 else o2 + 1.0
    w_min, w_max = prm[rule, W_MIN], prm[rule, W_MAX]
    span = w_max - w[q] if prm[rule, MULTIPLICATIVE] != 0.0 else w_max - w_min
    w[q] = min(max(w[q] + prm[rule, LEARNING] * amount * span * r1, w_min), w_max)
    trace[R1, q] = r1
    trace[O1, q] = 1.0 if prm[rule, NEAREST] != 0.0 else o1 + 1.0


@register_jitable
def sample_plastic(code, q, step, w, trace, last, prm, rule):
    """Variable ``code`` of synapse ``q`` at the start of ``step`` (a monitor's
    sample): 0 the weight, ``1 + r`` trace row ``r``, decayed to the step."""
    if code == 0:
        return w[q]
    row = code - 1
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


on_pre = njit(cache=True, inline="always")(_on_pre)
on_post = njit(cache=True, inline="always")(_on_post)


def empty_plastic(n_total):
    """The arrays of a network without plastic synapses."""
    return Plastic(prm=np.zeros((0, N_RULE_PARAMS)), rule=np.zeros(0, np.int32),
                   pre_ptr=np.zeros(n_total + 1, np.int64), target=np.zeros(0, np.int64),
                   delay=np.zeros(0, np.int32), w=np.zeros(0), trace=np.zeros((2, 0)),
                   last=np.zeros(0, np.int64), col_ptr=np.zeros(1, np.int64),
                   col_syn=np.zeros(0, np.int64), queue=np.zeros((1, 1), np.int64),
                   queue_n=np.zeros(1, np.int64), delay_range=np.zeros(2, np.int64))


@njit(cache=True)
def enqueue(pl, s, step):
    """Add source ``s``, which fired at ``step``, to the queue of that step (a spike
    from another MPI rank, received after the step)."""
    if pl.pre_ptr[s + 1] > pl.pre_ptr[s]:
        e = step % pl.queue.shape[0]
        pl.queue[e, pl.queue_n[e]] = s
        pl.queue_n[e] += 1


@njit(cache=True)
def plasticity_step(pl, firing, n_fire, n, step, buffer, slot, touched, n_touched):
    """The plastic synapses' part of a step, after the static deliveries: queue this
    step's firing sources, let every spike that arrives now act (transmission into
    ``buffer[slot]``, then :func:`_on_pre`), then the postsynaptic spikes
    (:func:`_on_post`)."""
    if pl.w.size == 0:
        return
    depth = pl.queue.shape[0]
    now = step % depth
    count = 0
    for m in range(n_fire):
        s = firing[m]
        if pl.pre_ptr[s + 1] > pl.pre_ptr[s]:
            pl.queue[now, count] = s
            count += 1
    pl.queue_n[now] = count
    cap = touched.shape[1]
    for d in range(pl.delay_range[0], pl.delay_range[1] + 1):
        e = now - d
        if e < 0:
            e += depth
        for m in range(pl.queue_n[e]):
            s = pl.queue[e, m]
            for q in range(pl.pre_ptr[s], pl.pre_ptr[s + 1]):
                if pl.delay[q] != d:
                    if pl.delay[q] > d:     # a row is sorted by delay: none further on
                        break
                    continue
                sent = on_pre(q, step, pl.w, pl.trace, pl.last, pl.prm, pl.rule[q])
                add = np.int64(np.rint(sent * FIXED_SCALE))
                t = pl.target[q]
                if buffer[slot, t] == 0 and add != 0 and n_touched[slot] < cap:
                    touched[slot, n_touched[slot]] = t
                    n_touched[slot] += 1
                buffer[slot, t] += add
    for m in range(n_fire):
        k = firing[m]
        if k < n:
            for c in range(pl.col_ptr[k], pl.col_ptr[k + 1]):
                q = pl.col_syn[c]
                on_post(q, step, pl.w, pl.trace, pl.last, pl.prm, pl.rule[q])


# ------------------------------------------------------------ the numpy oracle
def _exp_numpy(x):
    # math.exp element by element: the compiled rules call the same libm function,
    # whereas numpy's vectorised exp may differ from it in the last bit
    return np.array([math.exp(v) for v in x.tolist()], dtype=float)


def _decay_numpy(x, elapsed, tau):
    return x * _exp_numpy(-elapsed / tau)


def _recover_numpy(r, elapsed, tau):
    return 1.0 - (1.0 - r) * _exp_numpy(-elapsed / tau)


def _facilitation_numpy(u, elapsed, tau):
    out = np.zeros(u.size)
    on = tau > 0.0
    out[on] = _decay_numpy(u[on], elapsed[on], tau[on])
    return out


def _jump(p, x):
    return np.where(p[NEAREST] != 0.0, 1.0, x + 1.0)


def _arrive_numpy(pl, q, step):
    """:func:`_on_pre` for the synapses ``q`` (each once): returns what they transmit."""
    p = pl.prm[pl.rule[q]].T
    elapsed = step * p[DT] - pl.last[q] * p[DT]
    pl.last[q] = step
    efficacy = np.ones(q.size)
    stp = p[STP] != 0.0
    if stp.any():
        s = q[stp]
        ps = p[:, stp]
        u = _facilitation_numpy(pl.trace[STP_U, s], elapsed[stp], ps[TAU_FACIL])
        u = u + ps[U] * (1.0 - u)
        r = _recover_numpy(pl.trace[STP_R, s], elapsed[stp], ps[TAU_REC])
        efficacy[stp] = u * r
        pl.trace[STP_U, s], pl.trace[STP_R, s] = u, r - efficacy[stp]
    sent = pl.w[q] * efficacy
    learn = p[KIND] != NO_LEARNING
    all_q, last_sent = q, p[TRANSMIT_LAST] != 0.0
    q, p, elapsed = q[learn], p[:, learn], elapsed[learn]
    r1 = _decay_numpy(pl.trace[R1, q], elapsed, p[TAU_PLUS])
    o1 = _decay_numpy(pl.trace[O1, q], elapsed, p[TAU_MINUS])
    amount = p[A_MINUS].copy()
    tri = p[KIND] == TRIPLET
    if tri.any():
        t, pt = q[tri], p[:, tri]
        r2 = _decay_numpy(pl.trace[R2, t], elapsed[tri], pt[TAU_X])
        pl.trace[O2, t] = _decay_numpy(pl.trace[O2, t], elapsed[tri], pt[TAU_Y])
        amount[tri] = amount[tri] + pt[A3_MINUS] * r2
        pl.trace[R2, t] = _jump(pt, r2)
    w = pl.w[q]
    span = np.where(p[MULTIPLICATIVE] != 0.0, w - p[W_MIN], p[W_MAX] - p[W_MIN])
    pl.w[q] = np.minimum(np.maximum(w - p[LEARNING] * amount * span * o1, p[W_MIN]),
                         p[W_MAX])
    pl.trace[R1, q], pl.trace[O1, q] = _jump(p, r1), o1
    sent[last_sent] = pl.w[all_q[last_sent]] * efficacy[last_sent]
    return sent


def _post_numpy(pl, q, step):
    """:func:`_on_post` for the synapses ``q`` (each once)."""
    p = pl.prm[pl.rule[q]].T
    elapsed = step * p[DT] - pl.last[q] * p[DT]
    pl.last[q] = step
    stp = p[STP] != 0.0
    if stp.any():
        s, ps = q[stp], p[:, stp]
        pl.trace[STP_U, s] = _facilitation_numpy(pl.trace[STP_U, s], elapsed[stp],
                                                 ps[TAU_FACIL])
        pl.trace[STP_R, s] = _recover_numpy(pl.trace[STP_R, s], elapsed[stp], ps[TAU_REC])
    r1 = _decay_numpy(pl.trace[R1, q], elapsed, p[TAU_PLUS])
    o1 = _decay_numpy(pl.trace[O1, q], elapsed, p[TAU_MINUS])
    amount = p[A_PLUS].copy()
    tri = p[KIND] == TRIPLET
    if tri.any():
        t, pt = q[tri], p[:, tri]
        o2 = _decay_numpy(pl.trace[O2, t], elapsed[tri], pt[TAU_Y])
        pl.trace[R2, t] = _decay_numpy(pl.trace[R2, t], elapsed[tri], pt[TAU_X])
        amount[tri] = amount[tri] + pt[A3_PLUS] * o2
        pl.trace[O2, t] = _jump(pt, o2)
    w = pl.w[q]
    span = np.where(p[MULTIPLICATIVE] != 0.0, p[W_MAX] - w, p[W_MAX] - p[W_MIN])
    pl.w[q] = np.minimum(np.maximum(w + p[LEARNING] * amount * span * r1, p[W_MIN]),
                         p[W_MAX])
    pl.trace[R1, q], pl.trace[O1, q] = r1, _jump(p, o1)


def plasticity_step_numpy(pl, firing, n, step, buffer, slot):
    """Vectorised twin of :func:`plasticity_step` (``firing``: this step's firing
    neurons and sources, global indices)."""
    if pl.w.size == 0:
        return
    depth = pl.queue.shape[0]
    now = step % depth
    fired = firing[pl.pre_ptr[firing + 1] > pl.pre_ptr[firing]]
    pl.queue[now, :fired.size] = fired
    pl.queue_n[now] = fired.size
    for d in range(pl.delay_range[0], pl.delay_range[1] + 1):
        srcs = pl.queue[(now - d) % depth, :pl.queue_n[(now - d) % depth]]
        q = _ranges(pl.pre_ptr[srcs], pl.pre_ptr[srcs + 1])
        q = q[pl.delay[q] == d]         # a synapse arrives at most once per step
        if q.size:
            sent = _arrive_numpy(pl, q, step)
            np.add.at(buffer[slot], pl.target[q], np.rint(sent * FIXED_SCALE).astype(np.int64))
    post = firing[firing < n]
    q = pl.col_syn[_ranges(pl.col_ptr[post], pl.col_ptr[post + 1])]
    if q.size:
        _post_numpy(pl, q, step)


def sample_plastic_numpy(codes, q, step, pl):
    """Vectorised twin of :func:`sample_plastic` over columns ``codes``, ``q``."""
    p = pl.prm[pl.rule[q]].T
    out = pl.w[q].copy()
    elapsed = step * p[DT] - pl.last[q] * p[DT]
    taus = {R1: TAU_PLUS, O1: TAU_MINUS, R2: TAU_X, O2: TAU_Y, STP_U: TAU_FACIL}
    for row in range(pl.trace.shape[0]):
        c = codes == row + 1
        if not c.any():
            continue
        x = pl.trace[row, q[c]]
        if row == STP_R:
            out[c] = _recover_numpy(x, elapsed[c], p[TAU_REC][c])
        else:
            out[c] = _decay_numpy(x, elapsed[c], p[taus[row]][c])
    return out


def _ranges(starts, stops):
    """The concatenated ranges ``[starts[k], stops[k])`` (int64)."""
    lengths = stops - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    return np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
