"""The numpy oracle of the plastic synapses' step: :func:`plasticity_step_numpy` and
:func:`sample_plastic_numpy`, vectorised twins of :mod:`neurosim.kernels.plasticity`'s
compiled step and sample, written independently over arrays of synapses (the numpy
backend runs them; the kernel tests compare them bit for bit)."""
import math

import numpy as np

from ._layout import FIXED_SCALE
from .neuron_traces import G_O1, G_O2, G_R1, G_R2, TAUS, DOWN, UP
from .plasticity import (A3_MINUS, A3_PLUS, A_MINUS, A_PLUS, DECAY_D, DT, ELIG, GAIN_BASELINE,
                         GAIN_D, KIND, LEARNING, MULTIPLICATIVE, NEAREST, NO_LEARNING, O1, O2,
                         R1, R2, REWARD, STP, STP_R, STP_U, TAU_C, TAU_FACIL, TAU_MINUS,
                         TAU_PLUS, TAU_REC, TAU_X, TAU_Y, TRANSMIT_LAST, TRIPLET, U, W_MAX,
                         W_MIN, dopamine_spike)

__all__ = ["plasticity_step_numpy", "sample_plastic_numpy", "catch_up_numpy"]


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
    t0 = pl.last[q]
    elapsed = step * p[DT] - t0 * p[DT]
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
    _reward_numpy(pl, q, t0, step, p[KIND] == REWARD)
    sent = pl.w[q] * efficacy
    learn = p[KIND] != NO_LEARNING
    all_q, last_sent = q, p[TRANSMIT_LAST] != 0.0
    q, p, elapsed = q[learn], p[:, learn], elapsed[learn]
    r1 = _decay_numpy(pl.trace[R1, q], elapsed, p[TAU_PLUS])
    o1 = _decay_numpy(pl.trace[O1, q], elapsed, p[TAU_MINUS])
    pl.trace[R1, q], pl.trace[O1, q] = _jump(p, r1), o1
    rew = p[KIND] == REWARD
    if rew.any():
        pl.trace[ELIG, q[rew]] = pl.trace[ELIG, q[rew]] - p[A_MINUS, rew] * o1[rew]
        q, p, r1, o1, elapsed = q[~rew], p[:, ~rew], r1[~rew], o1[~rew], elapsed[~rew]
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
    sent[last_sent] = pl.w[all_q[last_sent]] * efficacy[last_sent]
    return sent


def _post_numpy(pl, q, step):
    """:func:`_on_post` for the synapses ``q`` (each once)."""
    p = pl.prm[pl.rule[q]].T
    t0 = pl.last[q]
    elapsed = step * p[DT] - t0 * p[DT]
    pl.last[q] = step
    _rest_numpy(pl, q, elapsed, p)
    r1 = _decay_numpy(pl.trace[R1, q], elapsed, p[TAU_PLUS])
    o1 = _decay_numpy(pl.trace[O1, q], elapsed, p[TAU_MINUS])
    pl.trace[R1, q], pl.trace[O1, q] = r1, _jump(p, o1)
    rew = p[KIND] == REWARD
    if rew.any():
        _reward_numpy(pl, q, t0, step, rew)
        pl.trace[ELIG, q[rew]] = pl.trace[ELIG, q[rew]] + p[A_PLUS, rew] * r1[rew]
        q, p, r1, o1, elapsed = q[~rew], p[:, ~rew], r1[~rew], o1[~rew], elapsed[~rew]
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


def _rest_numpy(pl, q, elapsed, p):
    """:func:`_rest` for the synapses ``q`` with short-term plasticity."""
    stp = p[STP] != 0.0
    if stp.any():
        s, ps = q[stp], p[:, stp]
        pl.trace[STP_U, s] = _facilitation_numpy(pl.trace[STP_U, s], elapsed[stp],
                                                 ps[TAU_FACIL])
        pl.trace[STP_R, s] = _recover_numpy(pl.trace[STP_R, s], elapsed[stp], ps[TAU_REC])


def _reward_change_numpy(pl, q, t0, step):
    """:func:`_reward_change` for the reward-modulated synapses ``q``: weights and
    eligibilities at ``step`` (new arrays)."""
    p = pl.prm[pl.rule[q]].T
    w, c = pl.w[q].copy(), pl.trace[ELIG, q].copy()
    on = c != 0.0
    q, p, t0, c0 = q[on], p[:, on], t0[on], c[on]
    start = pl.window[0]
    gain = c0 * _exp_numpy((t0 - start) * p[DT] / p[TAU_C])
    rule = pl.rule[q]             # (not the rows of the sums: a window's columns each)
    change = gain * (pl.dopamine_integral[rule, step - start]
                     - pl.dopamine_integral[rule, t0 - start])
    w[on] = np.minimum(np.maximum(w[on] + p[LEARNING] * (p[W_MAX] - p[W_MIN]) * change,
                                  p[W_MIN]), p[W_MAX])
    c[on] = c0 * _exp_numpy(-((step - t0) * p[DT]) / p[TAU_C])
    return w, c


def _reward_numpy(pl, q, t0, step, rew):
    """Weights and eligibilities of the synapses ``q[rew]`` brought to ``step``."""
    if rew.any():
        pl.w[q[rew]], pl.trace[ELIG, q[rew]] = _reward_change_numpy(pl, q[rew], t0[rew], step)


def catch_up_numpy(pl, q, step):
    """:func:`_catch_up` for the reward-modulated synapses among ``q``: weight,
    eligibility, traces and short-term state brought to ``step`` (within the window)."""
    q = q[pl.prm[pl.rule[q], KIND] == REWARD]
    p = pl.prm[pl.rule[q]].T
    t0 = pl.last[q]
    elapsed = step * p[DT] - t0 * p[DT]
    pl.last[q] = step
    _rest_numpy(pl, q, elapsed, p)
    pl.trace[R1, q] = _decay_numpy(pl.trace[R1, q], elapsed, p[TAU_PLUS])
    pl.trace[O1, q] = _decay_numpy(pl.trace[O1, q], elapsed, p[TAU_MINUS])
    _reward_numpy(pl, q, t0, step, np.ones(q.size, bool))


def _window_start_numpy(pl, step):
    """:func:`_window_start`."""
    if step - pl.window[0] == pl.dopamine_integral.shape[1] - 1:
        catch_up_numpy(pl, np.arange(pl.w.size), step)
        pl.window[0] = step
        pl.dopamine_integral[:, 0] = 0.0
    e = step % pl.dopamine_due.shape[1]
    pl.dopamine[:] = pl.dopamine + pl.dopamine_due[:, e]
    pl.dopamine_due[:, e] = 0.0


def _dopamine_advance_numpy(pl, firing, step):
    """:func:`_dopamine_advance` (scalar code: a few rules, a few spikes)."""
    for s in firing.tolist():
        dopamine_spike(s, step, pl.prm, pl.dopamine_due)
    k = step - pl.window[0]
    for r in np.flatnonzero(pl.prm[:, KIND] == REWARD):
        p = pl.prm[r]
        during = pl.dopamine[r] * p[GAIN_D] - p[GAIN_BASELINE]
        pl.dopamine_integral[r, k + 1] = (pl.dopamine_integral[r, k]
                                         + math.exp(-(k * p[DT]) / p[TAU_C]) * during)
        pl.dopamine[r] = pl.dopamine[r] * p[DECAY_D]


def plasticity_step_numpy(pl, firing, n, step, buffer, slot):
    """Vectorised twin of :func:`plasticity_step` (``firing``: this step's firing
    neurons and sources, global indices)."""
    if pl.w.size == 0:
        return
    reward = pl.dopamine_integral.shape[1] > 1
    if reward:
        _window_start_numpy(pl, step)
    depth = pl.queue.shape[0]
    now = step % depth
    fired = firing[pl.pre_ptr[firing + 1] > pl.pre_ptr[firing]]
    pl.queue[now, :fired.size] = fired
    pl.queue_n[now] = fired.size
    if pl.slot_rule.size:
        _advance_epoch_numpy(pl, step)
    for d in range(pl.delay_range[0], pl.delay_range[1] + 1):
        srcs = pl.queue[(now - d) % depth, :pl.queue_n[(now - d) % depth]]
        q = _ranges(pl.pre_ptr[srcs], pl.pre_ptr[srcs + 1])
        q = q[(pl.delay[q] == d) & (pl.slot[pl.rule[q]] < 0)]   # each arrives once a step
        if q.size:
            sent = _arrive_numpy(pl, q, step)
            np.add.at(buffer[slot], pl.target[q], np.rint(sent * FIXED_SCALE).astype(np.int64))
    for k, d in enumerate(pl.slot_delay.tolist()):
        e = (now - d) % depth
        srcs = pl.queue[e, :pl.queue_n[e]]
        q = _ranges(pl.row_lo[k, srcs], pl.row_hi[k, srcs])
        src = np.repeat(srcs, pl.row_hi[k, srcs] - pl.row_lo[k, srcs])
        if q.size:
            sent = pre_events_numpy(pl, k, q, src)
            np.add.at(buffer[slot], pl.target[q], np.rint(sent * FIXED_SCALE).astype(np.int64))
        jumps_numpy(pl.x_pre, k, srcs, pl.prm[pl.slot_rule[k]], pl.gain[k, [G_R1, G_R2], UP])
    post = firing[firing < n]
    q = pl.col_syn[_ranges(pl.col_ptr[post], pl.col_ptr[post + 1])]
    if q.size:
        _post_numpy(pl, q, step)
    for k in range(pl.slot_rule.size):
        c = _ranges(pl.ncol_ptr[k, post], pl.ncol_ptr[k, post + 1])
        if c.size:
            post_events_numpy(pl, k, c, np.repeat(post, pl.ncol_ptr[k, post + 1]
                                                  - pl.ncol_ptr[k, post]))
        jumps_numpy(pl.x_post, k, post, pl.prm[pl.slot_rule[k]], pl.gain[k, [G_O1, G_O2], UP])
    if reward:
        _dopamine_advance_numpy(pl, firing, step)


def _advance_epoch_numpy(pl, step):
    """:func:`neuron_traces.advance_epoch`."""
    start, every = pl.epoch.tolist()
    if step - start >= every:
        for k, r in enumerate(pl.slot_rule.tolist()):
            p = pl.prm[r]
            elapsed = step * p[DT] - start * p[DT]
            for row in range(pl.x_pre.shape[0]):
                if p[TAUS[2 * row]] > 0.0:
                    pl.x_pre[row, k] *= math.exp(-elapsed / p[TAUS[2 * row]])
                    pl.x_post[row, k] *= math.exp(-elapsed / p[TAUS[2 * row + 1]])
        pl.epoch[0] = start = step
    for k, r in enumerate(pl.slot_rule.tolist()):
        p = pl.prm[r]
        elapsed = step * p[DT] - start * p[DT]
        for g, col in enumerate(TAUS):
            if p[col] > 0.0:
                pl.gain[k, g] = math.exp(-elapsed / p[col]), math.exp(elapsed / p[col])


def pre_events_numpy(pl, k, q, src):
    """:func:`neuron_traces.depress` at the synapses ``q`` of slot ``k`` from sources
    ``src``: returns what they transmit."""
    p = pl.prm[pl.slot_rule[k]]
    before = pl.w[q]
    o1 = pl.x_post[0, k, pl.target[q] - pl.slot_base[k]] * pl.gain[k, G_O1, DOWN]
    amount = p[A_MINUS]
    if p[KIND] == TRIPLET:
        amount = amount + p[A3_MINUS] * (pl.x_pre[1, k, src] * pl.gain[k, G_R2, DOWN])
    span = before - p[W_MIN] if p[MULTIPLICATIVE] != 0.0 else p[W_MAX] - p[W_MIN]
    pl.w[q] = np.minimum(np.maximum(before - p[LEARNING] * amount * span * o1, p[W_MIN]),
                         p[W_MAX])
    return pl.w[q] if p[TRANSMIT_LAST] != 0.0 else before


def post_events_numpy(pl, k, c, post):
    """:func:`neuron_traces.potentiate` for the column entries ``c`` of slot ``k``
    (targets ``post``)."""
    p = pl.prm[pl.slot_rule[k]]
    q = pl.ncol_syn[c]
    r1 = pl.x_pre[0, k, pl.ncol_pre[c]] * pl.gain[k, G_R1, DOWN]
    amount = p[A_PLUS]
    if p[KIND] == TRIPLET:
        amount = amount + p[A3_PLUS] * (pl.x_post[1, k, post] * pl.gain[k, G_O2, DOWN])
    w = pl.w[q]
    span = p[W_MAX] - w if p[MULTIPLICATIVE] != 0.0 else p[W_MAX] - p[W_MIN]
    pl.w[q] = np.minimum(np.maximum(w + p[LEARNING] * amount * span * r1, p[W_MIN]),
                         p[W_MAX])


def jumps_numpy(x, k, neurons, p, up):
    """:func:`neuron_traces.jump_pre` / ``jump_post`` of ``neurons`` (each once) in
    rows ``x[:, k]`` (``up``: the step's factors of the two rows)."""
    rows = x.shape[0] if p[KIND] == TRIPLET else 1
    for row in range(rows):
        x[row, k, neurons] = up[row] if p[NEAREST] != 0.0 else x[row, k, neurons] + up[row]


def sample_plastic_numpy(codes, q, step, pl):
    """Vectorised twin of :func:`sample_plastic` over columns ``codes``, ``q``."""
    p = pl.prm[pl.rule[q]].T
    out = pl.w[q].copy()
    rew = (codes == 0) & (p[KIND] == REWARD)
    if rew.any():
        out[rew] = _reward_change_numpy(pl, q[rew], pl.last[q[rew]], step)[0]
    elapsed = step * p[DT] - pl.last[q] * p[DT]
    taus = {R1: TAU_PLUS, O1: TAU_MINUS, R2: TAU_X, O2: TAU_Y, STP_U: TAU_FACIL}
    for row in range(pl.trace.shape[0]):
        c = codes == row + 1
        if row == ELIG:                 # the eligibility of reward-modulated rules
            rew = c & (p[KIND] == REWARD)
            if rew.any():
                out[rew] = _reward_change_numpy(pl, q[rew], pl.last[q[rew]], step)[1]
            c = c & ~rew
        if not c.any():
            continue
        x = pl.trace[row, q[c]]
        if row == STP_R:
            out[c] = _recover_numpy(x, elapsed[c], p[TAU_REC][c])
        else:
            out[c] = _decay_numpy(x, elapsed[c], p[taus[row]][c])
    by_neuron = (pl.slot[pl.rule[q]] >= 0) & (codes > 0)
    if by_neuron.any():
        out[by_neuron] = _sample_neuron_traces_numpy(codes[by_neuron] - 1, q[by_neuron],
                                                     step, pl)
    return out


def _sample_neuron_traces_numpy(rows, q, step, pl):
    """:func:`neuron_traces.sample_neuron_trace` of trace ``rows`` of synapses ``q``."""
    r = pl.rule[q]
    k, p = pl.slot[r], pl.prm[r].T
    pre = np.searchsorted(pl.pre_ptr, q, side="right") - 1
    post = pl.target[q] - pl.slot_base[k]
    tau = p[np.array(TAUS)[rows], np.arange(q.size)]
    factor = _exp_numpy(-(step * p[DT] - pl.epoch[0] * p[DT]) / tau)
    value = np.where(rows % 2 == 0, pl.x_pre[rows // 2 % pl.x_pre.shape[0], k, pre],
                     pl.x_post[rows // 2 % pl.x_post.shape[0], k, post])
    return value * factor


def _ranges(starts, stops):
    """The concatenated ranges ``[starts[k], stops[k])`` (int64)."""
    lengths = stops - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    return np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
