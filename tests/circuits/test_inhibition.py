"""Inhibition: arrival-aligned delays, feedforward max-like pooling, and the ablation."""
import numpy as np


def test_delays_align_every_feedforward_path(full_pathway):
    c = full_pathway.circuit
    depth = c.depth()
    delays = c.delays()
    blocks = c.blocks(list(c.populations))
    block_of = {n: k for k, b in enumerate(blocks) for n in b}
    arrival = {}
    for p, d in zip(c.projections, delays):
        assert d >= 0
        if block_of[p.source] == block_of[p.target]:
            assert d == 0                                     # loops keep no delay
            continue
        arrival.setdefault(p.target, set()).add(depth[p.source] + 1 + d)
    for target, steps in arrival.items():
        assert len(steps) == 1, (target, steps)               # one arrival time
    # template units: excitation straight from V1 waits one step for the
    # feedforward inhibition relayed by v2_s_ff
    d = {(p.source, p.target): k for p, k in zip(c.projections, delays)}
    assert d[("v1_complex_0", "v2_s")] == d[("v2_s_ff", "v2_s")] + 1


def test_pooling_inhibition_is_feedforward(full_pathway):
    c = full_pathway.circuit
    for area in ("v2", "v4", "it"):
        names = [n for n in c.populations if c.populations[n].area == area]
        assert any(n.endswith("_gate") for n in names)
        # no loop in the area: every block is a single population without a self-loop
        for block in c.blocks(names):
            assert len(block) == 1


def test_removing_inhibition_raises_rates_and_lowers_selectivity(v1_pathway, gratings):
    from circuits import analysis, stimuli
    images, params = gratings
    sel = params["phase"] < 180                               # 2 phases of 4
    objects = stimuli.object_set(1, "V3", 32, seed=3)[0]
    r = analysis.inhibition_ablation(v1_pathway, images[sel], params["orientation"][sel],
                                     objects)
    rate_with, rate_without = r["v1"]["rate"]
    assert rate_without > 1.5 * rate_with
    for pop, (osi_with, osi_without) in r["osi"].items():
        assert osi_without < osi_with, pop
    assert np.isfinite(r["v1"]["sparseness"]).all()
