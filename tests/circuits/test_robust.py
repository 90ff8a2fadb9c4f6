"""Robust block choice and H (circuits.robust) on synthetic representations whose
answer is known: each block is an independent random code, each area a copy (or a mix)
of some of them."""
import numpy as np
import pytest

from circuits import metrics, robust

N = 96


def _codes(seed=0, k=4, d=30):
    rng = np.random.default_rng(seed)
    return {f"B{j}": rng.normal(size=(N, d)) for j in range(k)}, rng


def test_cka_matches_metrics_and_a_clear_order_has_no_tie():
    blocks, rng = _codes()
    areas = {f"A{i}": blocks[f"B{i}"] + 0.5 * rng.normal(size=(N, 30)) for i in range(4)}
    ch = robust.block_choice(areas, blocks, n_boot=50, seed=1)
    np.testing.assert_allclose(ch.cka, metrics.cka_matrix(list(areas.values()),
                                                          list(blocks.values())), atol=1e-10)
    assert ch.best.tolist() == [0, 1, 2, 3] and not ch.tie.any()
    np.testing.assert_allclose(ch.wins.diagonal(), 1.0)
    assert np.all(ch.ci[..., 0] <= ch.cka + 1e-9) and ch.samples.shape == (50, 4, 4)
    h, mono, boot = ch.hierarchy()
    assert h == 1.0 and mono and np.all(boot == 1.0)
    assert ch.names == ["B0", "B1", "B2", "B3"]


@pytest.mark.parametrize("rule", ["overlap", "paired"])
def test_an_equal_mix_of_two_blocks_is_a_tie_and_breaks_monotonicity(rule):
    blocks, rng = _codes(2)
    areas = {"A0": blocks["B0"], "A1": blocks["B1"] + blocks["B2"],
             "A2": blocks["B2"], "A3": blocks["B3"]}
    ch = robust.block_choice(areas, blocks, n_boot=100, seed=3, rule=rule)
    assert ch.tie.tolist() == [False, True, False, False]
    assert {ch.best[1], ch.runner_up[1]} == {1, 2}
    # both blocks win a fair share of the half-samples: one split would pick either
    assert 0.15 < ch.wins[1, 1] < 0.85 and ch.wins[1, 1] + ch.wins[1, 2] == 1.0
    assert "=" in ch.names[1]
    _, mono, _ = ch.hierarchy()
    assert not mono


def test_paired_rule_resolves_a_small_consistent_difference_that_overlap_does_not():
    blocks, rng = _codes(4, k=2, d=40)
    common = rng.normal(size=(N, 40))
    # block 1 shares a bit more of the area's code than block 0, on every image
    blocks = {"B0": common + 1.1 * blocks["B0"], "B1": common + 1.0 * blocks["B1"]}
    areas = {"A0": common}
    over = robust.block_choice(areas, blocks, n_boot=200, seed=0, rule="overlap")
    pair = robust.block_choice(areas, blocks, n_boot=200, seed=0, rule="paired")
    assert over.best[0] == pair.best[0] == 1
    assert over.tie[0] and not pair.tie[0]


def test_hierarchy_interval_over_images_and_seeds():
    blocks, rng = _codes(5)
    good = {f"A{i}": blocks[f"B{i}"] + 0.5 * rng.normal(size=(N, 30)) for i in range(4)}
    flat = {f"A{i}": blocks["B0"] + 0.5 * rng.normal(size=(N, 30)) for i in range(4)}
    halves = robust.half_samples(N, 40, seed=0)
    choices = {(0, 0): robust.block_choice(good, blocks, halves=halves),
               (0, 1): robust.block_choice(good, blocks, halves=halves),
               (1, 0): robust.block_choice(flat, blocks, halves=halves),
               (1, 1): robust.block_choice(flat, blocks, halves=halves)}
    out = robust.hierarchy_interval(choices, seed=0)
    assert out["H"] == pytest.approx(0.5)        # H 1 for circuit seed 0, 0 for seed 1
    assert out["ci_images"] == pytest.approx((0.5, 0.5))
    # redrawing the circuit seeds gives 0, 0.5 or 1: the seeds' interval is wide
    assert out["ci_seeds"][0] < 0.5 < out["ci_seeds"][1]
    assert (out["n_circuit_seeds"], out["n_cnn_seeds"]) == (2, 2)


def test_block_choice_refuses_bad_input():
    blocks, _ = _codes()
    with pytest.raises(ValueError, match="rule"):
        robust.block_choice(blocks, blocks, rule="split")
    with pytest.raises(ValueError, match="same images"):
        robust.block_choice({"A": blocks["B0"][:50]}, blocks)
