"""Pair and triplet STDP with their traces kept per neuron (NEST's and GeNN's scheme).

A synapse's presynaptic traces (``r1``, ``r2``) jump when its source's spike arrives
and its postsynaptic traces (``o1``, ``o2``) when its target fires; between jumps all
decay with the same time constants. Where a projection's synapses all share one delay
(and no short-term plasticity rides on them), every synapse of a source holds the
same ``r1`` and ``r2``, and every synapse of a target the same ``o1`` and ``o2``: one
trace per neuron then stands for all its synapses. A spike then costs one jump per
neuron, and a synapse's update reads its two neurons' traces, with no exponential
and no per-synapse trace or time of last update (CUBA 16k with STDP: 4 reads and 2
exponentials per synapse event become 2 reads and none).

Traces are kept scaled to a common origin, the step ``epoch[0]``: neuron ``i``'s
trace of time constant ``tau`` at step ``s`` is ``x[i] * exp(-(s - epoch) dt/tau)``,
and a jump at ``s`` adds ``exp((s - epoch) dt/tau)`` (or sets it, for nearest-spike
pairing). Between jumps ``x`` does not change, so nothing is done per neuron and
step; the two factors of a step are computed once per rule (``gain``). Every
``epoch[1]`` steps (at most 32 of the shortest time constant, so that a factor stays
below ``e**32``) the traces are brought to the step and the origin moves. The values
equal Brian2's per-synapse event-driven traces to rounding (a few units in the last
place), not bit for bit.

Slots: the rules that keep neuron traces, ``slot[rule]`` (-1 for the others); each
slot has its delay, the channel offset of its targets (``target - base`` is the
neuron) and its rows ``x_pre[row, slot, source]`` (``r1``, ``r2``) and
``x_post[row, slot, neuron]`` (``o1``, ``o2``). A slot's synapses from source ``s``
lie together in the plastic order (rows sorted by source, then delay, then rule),
``row_lo[slot, s]:row_hi[slot, s]``; the column index ``ncol_ptr[slot]``, ``ncol_syn``
lists those onto each neuron, with their sources ``ncol_pre``.
"""
import math

import numpy as np
from numba import njit

from ._jit import step_helper
from ._layout import FIXED_SCALE
from .plasticity_rows import (A3_MINUS, A3_PLUS, A_MINUS, A_PLUS, DT, KIND, LEARNING,
                              MULTIPLICATIVE, NEAREST, TAU_MINUS, TAU_PLUS, TAU_X, TAU_Y,
                              TRANSMIT_LAST, TRIPLET, W_MAX, W_MIN)

__all__ = ["EPOCH_SPAN", "TAUS", "DOWN", "UP", "arrive_by_neuron", "post_by_neuron",
           "advance_epoch", "epoch_every", "sample_neuron_trace"]

# the largest exponent a scaling factor reaches: exp(32) ~ 8e13 keeps 2**-52 relative
# precision for any trace value
EPOCH_SPAN = 32.0
# the columns of gain[slot]: the time constants of r1, o1, r2, o2 (trace codes 1-4)
TAUS = (TAU_PLUS, TAU_MINUS, TAU_X, TAU_Y)
G_R1, G_O1, G_R2, G_O2 = range(4)
DOWN, UP = 0, 1


def _rule_scalars(prm, rule):
    """The parameters of ``rule`` that an update reads, as local scalars (read once per
    step: loaded in the loop, LLVM reloads them after every weight store, which may
    alias ``prm``; 2x the cost of an update)."""
    return (prm[rule, LEARNING], prm[rule, A_PLUS], prm[rule, A_MINUS], prm[rule, A3_PLUS],
            prm[rule, A3_MINUS], prm[rule, W_MIN], prm[rule, W_MAX],
            prm[rule, MULTIPLICATIVE] != 0.0, prm[rule, KIND] == TRIPLET,
            prm[rule, TRANSMIT_LAST] != 0.0, prm[rule, NEAREST] != 0.0)


def _depress(w, o1, r2, p):
    """The weight after a presynaptic spike: depressed by the target's ``o1`` (triplet:
    with the source's ``r2`` before this spike's jump), ``p`` from
    :func:`_rule_scalars`. The arithmetic of ``plasticity._on_pre``."""
    learning, _, a_minus, _, a3_minus, w_min, w_max, multiplicative, triplet, _, _ = p
    amount = a_minus + a3_minus * r2 if triplet else a_minus
    span = w - w_min if multiplicative else w_max - w_min
    return min(max(w - learning * amount * span * o1, w_min), w_max)


def _potentiate(w, r1, o2, p):
    """The weight after a postsynaptic spike: potentiated by the source's ``r1`` (after
    this step's arrivals; triplet: with the target's ``o2`` before its jump). The
    arithmetic of ``plasticity._on_post``."""
    learning, a_plus, _, a3_plus, _, w_min, w_max, multiplicative, triplet, _, _ = p
    amount = a_plus + a3_plus * o2 if triplet else a_plus
    span = w_max - w if multiplicative else w_max - w_min
    return min(max(w + learning * amount * span * r1, w_min), w_max)


def _jump(x, up, nearest):
    # all-to-all pairing adds the spike; nearest-spike pairing keeps only the last one
    return up if nearest else x + up


rule_scalars = njit(cache=True, inline="always")(_rule_scalars)
depress = njit(cache=True, inline="always")(_depress)
potentiate = njit(cache=True, inline="always")(_potentiate)
jump = njit(cache=True, inline="always")(_jump)


@step_helper
def arrive_by_neuron(pl, k, now, buffer, slot, touched, n_touched):
    """The spikes that arrive now at the synapses of ``k`` (sources that fired its delay
    ago): each synapse is depressed and transmits its weight (before the depression,
    or after it, ``TRANSMIT_LAST``) into ``buffer[slot]``; then the source's ``r1`` (and
    ``r2``) jump, once it has been read by all its synapses."""
    p = rule_scalars(pl.prm, pl.slot_rule[k])
    triplet, last, nearest = p[8], p[9], p[10]
    depth = pl.queue.shape[0]
    e = (now - pl.slot_delay[k]) % depth
    g_o1, g_r2 = pl.gain[k, G_O1, DOWN], pl.gain[k, G_R2, DOWN]
    base, cap = pl.slot_base[k], touched.shape[1]
    for m in range(pl.queue_n[e]):
        s = pl.queue[e, m]
        r2 = pl.x_pre[1, k, s] * g_r2 if triplet else 0.0
        for q in range(pl.row_lo[k, s], pl.row_hi[k, s]):
            t = pl.target[q]
            before = pl.w[q]
            after = depress(before, pl.x_post[0, k, t - base] * g_o1, r2, p)
            pl.w[q] = after
            add = np.int64(np.rint((after if last else before) * FIXED_SCALE))
            if buffer[slot, t] == 0 and add != 0 and n_touched[slot] < cap:
                touched[slot, n_touched[slot]] = t
                n_touched[slot] += 1
            buffer[slot, t] += add
        pl.x_pre[0, k, s] = jump(pl.x_pre[0, k, s], pl.gain[k, G_R1, UP], nearest)
        if triplet:
            pl.x_pre[1, k, s] = jump(pl.x_pre[1, k, s], pl.gain[k, G_R2, UP], nearest)


@step_helper
def post_by_neuron(pl, k, firing, n_fire, n):
    """The neurons that fire now potentiate their incoming synapses of ``k`` (after the
    step's arrivals); then their ``o1`` (and ``o2``) jump."""
    p = rule_scalars(pl.prm, pl.slot_rule[k])
    triplet, nearest = p[8], p[10]
    g_r1, g_o2 = pl.gain[k, G_R1, DOWN], pl.gain[k, G_O2, DOWN]
    for m in range(n_fire):
        j = firing[m]
        if j >= n:
            continue
        o2 = pl.x_post[1, k, j] * g_o2 if triplet else 0.0
        for c in range(pl.ncol_ptr[k, j], pl.ncol_ptr[k, j + 1]):
            q = pl.ncol_syn[c]
            pl.w[q] = potentiate(pl.w[q], pl.x_pre[0, k, pl.ncol_pre[c]] * g_r1, o2, p)
        pl.x_post[0, k, j] = jump(pl.x_post[0, k, j], pl.gain[k, G_O1, UP], nearest)
        if triplet:
            pl.x_post[1, k, j] = jump(pl.x_post[1, k, j], pl.gain[k, G_O2, UP], nearest)


@step_helper
def advance_epoch(step, epoch, slot_rule, prm, x_pre, x_post, gain):
    """At the start of ``step``: every ``epoch[1]`` steps the traces are brought to the
    step and the origin moves there; then the step's factors ``gain[slot, trace,
    DOWN/UP]``, ``exp(-+(step - epoch) dt/tau)``."""
    if step - epoch[0] >= epoch[1]:
        for k in range(slot_rule.size):
            p = prm[slot_rule[k]]
            elapsed = step * p[DT] - epoch[0] * p[DT]
            for row in range(x_pre.shape[0]):
                if p[TAUS[2 * row]] > 0.0:          # (a pair rule has no r2, o2)
                    f = math.exp(-elapsed / p[TAUS[2 * row]])
                    for i in range(x_pre.shape[2]):
                        x_pre[row, k, i] *= f
                    f = math.exp(-elapsed / p[TAUS[2 * row + 1]])
                    for i in range(x_post.shape[2]):
                        x_post[row, k, i] *= f
        epoch[0] = step
    for k in range(slot_rule.size):
        p = prm[slot_rule[k]]
        elapsed = step * p[DT] - epoch[0] * p[DT]
        for g in range(4):
            if p[TAUS[g]] > 0.0:
                gain[k, g, DOWN] = math.exp(-elapsed / p[TAUS[g]])
                gain[k, g, UP] = math.exp(elapsed / p[TAUS[g]])


def epoch_every(taus, dt):
    """Steps between two moves of the origin: the shortest time constant times
    :data:`EPOCH_SPAN`, at least one step."""
    return max(1, int(EPOCH_SPAN * min(taus) / dt)) if len(taus) else 1 << 62


@step_helper
def sample_neuron_trace(row, pre, post, slot, step, prm, rule, x_pre, x_post, epoch):
    """Trace ``row`` (0 ``r1``, 1 ``o1``, 2 ``r2``, 3 ``o2``) of a synapse ``pre`` ->
    ``post`` of ``slot`` at the start of ``step``."""
    elapsed = step * prm[rule, DT] - epoch[0] * prm[rule, DT]
    factor = math.exp(-elapsed / prm[rule, TAUS[row]])
    if row % 2 == 0:
        return x_pre[row // 2, slot, pre] * factor
    return x_post[row // 2, slot, post] * factor

