"""The arrays of a network's plastic synapses (``kernels.plasticity.Plastic``), drawn
with the static ones (``_build._build_synapses``) and kept apart from them."""
import numpy as np

from .kernels._layout import FIXED_SCALE
from .kernels.neuron_traces import TAUS, epoch_every
from .kernels.plasticity import (D_HI, D_LO, DT, KIND, PAIR, STP, STP_R, TRIPLET, Plastic,
                                 empty_plastic)
from .plasticity import RewardSTDP, parameter_row

__all__ = ["build_plastic", "neuron_traces_from_synapses"]


def build_plastic(net, offsets, n, n_total, dt):
    """The plastic synapses of ``net``'s projections with a rule, ordered by presynaptic
    index and delay; each projection gets ``_positions`` (where its synapses are)."""
    projections = [s for s in net.synapses if s.plasticity is not None]
    if not projections:
        return empty_plastic(n_total)
    pre, post, target, delay, w, rule = [], [], [], [], [], []
    for r, s in enumerate(projections):
        first = offsets[id(s.source.root)] + s.source.start
        lo = net._range(offsets, s.target)[0]
        rule_w = s._rules[1]
        if rule_w is not None:
            # the build rounds weights to fixed point: a weight drawn at a bound may lie
            # half a step beyond it, and is put back on the bound
            rule_w._check_weights(s._weight_si, s.name, slack=0.5 / FIXED_SCALE)
            s._weight_si = np.clip(s._weight_si, rule_w.w_min, rule_w.w_max)
        pre.append(s.i.astype(np.int64) + first)
        post.append(s.j.astype(np.int64) + lo)
        target.append(post[-1] + s.channel * n)
        delay.append(s._delay_steps)
        w.append(s._weight_si)
        rule.append(np.full(s.i.size, r, dtype=np.int32))
    pre, post, target, delay, rule = (np.concatenate(x) for x in (pre, post, target, delay,
                                                                  rule))
    order = np.lexsort((delay, pre))             # rows by source, each by delay (stable)
    where = np.empty(order.size, dtype=np.int64)
    where[order] = np.arange(order.size)
    start = 0
    for r, s in enumerate(projections):
        s._positions, s._rule_row = where[start:start + s.i.size], r
        start += s.i.size
    pre_ptr = np.zeros(n_total + 1, dtype=np.int64)
    np.cumsum(np.bincount(pre, minlength=n_total), out=pre_ptr[1:])
    prm = np.array([parameter_row(*s._rules, dt, s._learning) for s in projections])
    by_neuron = np.array([_neuron_traces(s, prm[r]) for r, s in enumerate(projections)])
    slot = np.where(by_neuron, np.cumsum(by_neuron) - 1, -1).astype(np.int64)
    # the column indices list the synapses whose weights learn (a long-term rule), with
    # their traces per synapse (col_*) or per neuron (ncol_*)
    learns = np.array([s._rules[1] is not None for s in projections])[rule]
    per_neuron = (slot >= 0)[rule]
    post_sorted, learns_sorted = post[order], (learns & ~per_neuron)[order]
    col_ptr, col_syn = _column(post_sorted, learns_sorted, n)
    rows = max(r.trace_rows for s in projections for r in s._rules if r is not None)
    trace = np.zeros((rows, order.size))
    if rows > STP_R:
        trace[STP_R] = 1.0                       # short-term plasticity starts rested
    firing_sources = max(1, int(np.count_nonzero(np.diff(pre_ptr))))
    depth = int(delay.max()) + 1 if delay.size else 1
    reward = [(r, s) for r, s in enumerate(projections) if isinstance(s._rules[1], RewardSTDP)]
    for r, s in reward:
        prm[r, [D_LO, D_HI]] = _dopamine_range(net, offsets, s)
    window = min((s._rules[1]._window_steps(dt) for _, s in reward), default=0)
    due = max((s._rules[1]._delay_steps(dt) for _, s in reward), default=0) + 1
    return Plastic(
        prm=prm,
        rule=rule[order], pre_ptr=pre_ptr, target=target[order],
        delay=delay[order].astype(np.int32), w=np.concatenate(w)[order].astype(float),
        trace=trace, last=np.zeros(order.size, dtype=np.int64), col_ptr=col_ptr,
        col_syn=col_syn,
        queue=np.zeros((depth, firing_sources), dtype=np.int64),
        queue_n=np.zeros(depth, dtype=np.int64),
        delay_range=np.array([delay.min() if delay.size else 0, depth - 1], dtype=np.int64),
        dopamine=np.zeros(len(projections)), dopamine_due=np.zeros((len(projections), due)),
        dopamine_integral=np.zeros((len(projections), window + 1)),
        window=np.zeros(1, dtype=np.int64),
        **_neuron_trace_fields(projections, prm, slot, n, n_total, dt, pre[order],
                               post_sorted, rule[order]))


def _column(post_sorted, chosen, n):
    """``(col_ptr, col_syn)``: the chosen synapses (positions in the plastic order)
    grouped by their target neuron."""
    col_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(post_sorted[chosen], minlength=n), out=col_ptr[1:])
    col_syn = np.flatnonzero(chosen)[np.argsort(post_sorted[chosen], kind="stable")]
    return col_ptr, col_syn.astype(np.int64)


def _neuron_traces(s, row):
    """Whether projection ``s`` keeps its traces per neuron (``kernels.neuron_traces``):
    a pair or triplet rule without short-term plasticity, one delay for all synapses."""
    steps = s._delay_steps
    return (row[KIND] in (PAIR, TRIPLET) and row[STP] == 0.0
            and (steps.size == 0 or bool(np.all(steps == steps.flat[0]))))


def _neuron_trace_fields(projections, prm, slot, n, n_total, dt, pre, post, rule):
    """The fields of ``Plastic`` for the projections with traces per neuron (``pre``,
    ``post``, ``rule``: of the synapses in the plastic order)."""
    chosen = np.flatnonzero(slot >= 0)
    rows = 2 if np.any(prm[chosen, KIND] == TRIPLET) else 1
    taus = [t for r in chosen for t in prm[r, list(TAUS)] if t > 0]
    row_lo = np.zeros((chosen.size, n_total), dtype=np.int64)
    row_hi = np.zeros((chosen.size, n_total), dtype=np.int64)
    ncol_ptr = np.zeros((chosen.size, n + 1), dtype=np.int64)
    ncol_syn, delays = [], []
    for k, r in enumerate(chosen):
        mine = rule == r
        q = np.flatnonzero(mine)        # sorted by source: each row is one run
        # a source's synapses of one rule and one delay lie together in its row (rows
        # sorted by delay, stably, and the projections concatenated in rule order)
        same_source = pre[q][1:] == pre[q][:-1]
        if not np.all(np.diff(q)[same_source] == 1):    # pragma: no cover - a bug
            raise RuntimeError(f"{projections[r].name}: its synapses of one source are "
                               "not contiguous in the plastic order")
        first = np.unique(pre[q], return_index=True)
        row_lo[k, first[0]] = q[first[1]]
        row_hi[k, first[0]] = row_lo[k, first[0]] + np.bincount(pre[q])[first[0]]
        col_ptr, col_syn = _column(post, mine, n)
        ncol_ptr[k] = col_ptr + sum(x.size for x in ncol_syn)
        ncol_syn.append(col_syn)
        steps = projections[r]._delay_steps
        delays.append(int(steps.flat[0]) if steps.size else 0)
    ncol_syn = np.concatenate(ncol_syn) if ncol_syn else np.zeros(0, dtype=np.int64)
    return dict(
        slot=slot, slot_rule=chosen.astype(np.int64), slot_delay=np.array(delays, np.int64),
        slot_base=np.array([projections[r].channel * n for r in chosen], dtype=np.int64),
        x_pre=np.zeros((rows, chosen.size, n_total)), x_post=np.zeros((rows, chosen.size, n)),
        epoch=np.array([0, epoch_every(taus, dt)], dtype=np.int64),
        gain=np.zeros((chosen.size, 4, 2)), row_lo=row_lo, row_hi=row_hi, ncol_ptr=ncol_ptr,
        ncol_syn=ncol_syn.astype(np.int64), ncol_pre=pre[ncol_syn])


def _dopamine_range(net, offsets, s):
    """Global indices ``[lo, hi)`` of the neurons or sources whose spikes release the
    dopamine of projection ``s`` (an empty range without a source)."""
    src = s._rules[1].dopamine_source
    if src is None:
        return 0, 0
    if id(src.root) not in offsets:
        raise ValueError(f"{s.name}: dopamine_source={src.name!r} is not part of the network; "
                         "add it to Network(...)")
    lo = offsets[id(src.root)] + src.start
    return lo, lo + src.n


def neuron_traces_from_synapses(pl, trace, last, step, known=None):
    """``x_pre``, ``x_post`` and ``epoch`` of ``pl``'s rules with neuron traces, from
    per-synapse ``trace`` rows and ``last`` updates (a checkpoint of format 2 or 3,
    which kept every trace per synapse; the synapses carried over to a rebuilt PyNN
    network, ``known``), brought to ``step``, the new origin."""
    x_pre, x_post = np.zeros_like(pl.x_pre), np.zeros_like(pl.x_post)
    for k, r in enumerate(pl.slot_rule.tolist()):
        q = np.flatnonzero((pl.rule == r) & (True if known is None else known))
        pre = np.searchsorted(pl.pre_ptr, q, side="right") - 1
        post = pl.target[q] - pl.slot_base[k]
        elapsed = step * pl.prm[r, DT] - last[q] * pl.prm[r, DT]
        for row in range(min(x_pre.shape[0], trace.shape[0] // 2)):
            tau_pre, tau_post = pl.prm[r, TAUS[2 * row]], pl.prm[r, TAUS[2 * row + 1]]
            if tau_pre > 0:
                x_pre[row, k, pre] = trace[2 * row, q] * np.exp(-elapsed / tau_pre)
                x_post[row, k, post] = trace[2 * row + 1, q] * np.exp(-elapsed / tau_post)
    return {"x_pre": x_pre, "x_post": x_post,
            "epoch": np.array([step, pl.epoch[1]], dtype=np.int64)}
