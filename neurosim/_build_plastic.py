"""The arrays of a network's plastic synapses (``kernels.plasticity.Plastic``), drawn
with the static ones (``_build._build_synapses``) and kept apart from them."""
import numpy as np

from .kernels._layout import FIXED_SCALE
from .kernels.plasticity import D_HI, D_LO, STP_R, Plastic, empty_plastic
from .plasticity import RewardSTDP, parameter_row

__all__ = ["build_plastic"]


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
    # the column index lists the synapses whose weights learn (a long-term rule)
    learns = np.array([s._rules[1] is not None for s in projections])[rule]
    post_sorted, learns_sorted = post[order], learns[order]
    col_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(post_sorted[learns_sorted], minlength=n), out=col_ptr[1:])
    col_syn = np.flatnonzero(learns_sorted)[np.argsort(post_sorted[learns_sorted],
                                                       kind="stable")]
    rows = max(r.trace_rows for s in projections for r in s._rules if r is not None)
    trace = np.zeros((rows, order.size))
    if rows > STP_R:
        trace[STP_R] = 1.0                       # short-term plasticity starts rested
    firing_sources = max(1, int(np.count_nonzero(np.diff(pre_ptr))))
    depth = int(delay.max()) + 1 if delay.size else 1
    prm = np.array([parameter_row(*s._rules, dt, s._learning) for s in projections])
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
        col_syn=col_syn.astype(np.int64),
        queue=np.zeros((depth, firing_sources), dtype=np.int64),
        queue_n=np.zeros(depth, dtype=np.int64),
        delay_range=np.array([delay.min() if delay.size else 0, depth - 1], dtype=np.int64),
        dopamine=np.zeros(len(projections)), dopamine_due=np.zeros((len(projections), due)),
        dopamine_integral=np.zeros((len(projections), window + 1)),
        window=np.zeros(1, dtype=np.int64))


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
