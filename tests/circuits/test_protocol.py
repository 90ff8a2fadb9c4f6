"""The comparison protocol end to end on a tiny configuration: every target gets a row.

It trains a CNN and runs every comparator, which takes minutes on 2 cores, so
``make test`` leaves it out (marker ``protocol``) and ``make vp-bench`` runs it.
"""
import numpy as np
import pytest


@pytest.mark.protocol
def test_tiny_protocol_writes_every_target(extra, tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    from circuits import protocol
    config = dict(n_per_category=2, trials=2, cnn_train_per_category=2, cnn_epochs=1,
                  n_boot=20, n_boot_slow=2, n_perm=99, decode_repeats=1, homeostasis=False)
    res = protocol.run_protocol(True, tmp_path, seed=0, config=config,
                                cache_dir=str(tmp_path / "cache"), verbose=False)
    text = (tmp_path / "visual-pathway.md").read_text()
    table = [line for line in text.splitlines() if line.startswith("| T")]
    assert [line.split(":")[0] for line in table if line[4] == ":"] == \
        [f"| T{k}" for k in range(9)]
    # the circuit with V2 learned by STDP has a table of its own, T8 shared
    assert list(res["circuit_targets"]) == ["circuit MP learned"]
    assert [line.split(":")[0] for line in table if "MP learned:" in line] == \
        [f"| T{k} MP learned" for k in range(8)]
    # and T6 on its IT category units (reward-modulated STDP) besides T6 on its IT
    units = res["circuit_targets"]["circuit MP learned"]["T6 category units"]
    assert "category units trained by reward-modulated STDP" in units["detail"]
    assert "| T6 MP learned, IT category units:" in text
    for line in table:
        assert line.rstrip().endswith(("| yes |", "| **no** |", "| not measured |")) or \
            "(aim" in line, line
    assert set(res["targets"]) == set(protocol.TARGETS)
    assert res["targets"]["T7"]["holds"] is None            # not measured, and says why
    # the out-of-distribution summary set, scored with the same targets
    assert list(res["ood"]) == ["novel glyphs"] and "## Out-of-distribution sets" in text
    assert {"T1", "T2", "T4"} <= set(res["ood"]["novel glyphs"]["targets"]["circuit MP"])
    for path in res["paths"]["figures"]:
        assert (tmp_path / path.split("/")[-1]).exists()


def test_t1_reports_each_circuits_own_worst_area():
    from circuits import protocol_targets
    t1 = {("MP", "v1"): (0.78, 0.75, 0.80), ("MP", "v2"): (0.85, 0.82, 0.88),
          ("MP", "v4"): (0.76, 0.70, 0.81), ("MP", "it"): (0.70, 0.65, 0.75),
          ("LIF", "v1"): (0.93, 0.92, 0.94), ("LIF", "v2"): (0.96, 0.94, 0.97),
          ("LIF", "v4"): (0.90, 0.84, 0.94), ("LIF", "it"): (0.87, 0.82, 0.90)}
    mp, lif = protocol_targets._t1_target(t1, "MP"), protocol_targets._t1_target(t1, "LIF")
    # the worst is the largest shortfall from the bar: V1 (0.12 under 0.9), not IT
    assert mp["value"] == 0.78 and tuple(mp["ci"]) == (0.75, 0.80) and not mp["holds"]
    assert "LIF" not in mp["detail"] and "the worst, MP V1" in mp["detail"]
    assert lif["value"] == 0.93 and lif["holds"]           # V1: 0.03 above its bar of 0.9


def test_t6_positive_control_tells_shared_from_unrelated_features(extra):
    """Three 'CNNs' whose IT blocks are noisy mixtures of one latent code and whose V1
    blocks are unrelated noise: each IT is predicted from another IT, not from a V1,
    so the control is clearly positive; with the roles swapped the IT blocks are noise
    that nothing predicts, and the control is about zero."""
    from circuits import protocol_stats
    rng = np.random.default_rng(0)
    n, labels = 96, np.repeat(np.arange(8), 12)
    latent = rng.normal(size=(n, 6))
    nets = [{"IT": latent @ rng.normal(size=(6, 40)) + 0.3 * rng.normal(size=(n, 40)),
             "V1": rng.normal(size=(n, 40))} for _ in range(3)]
    control = protocol_stats._t6_positive_control(nets, labels)
    assert control.shape == (6,) and control.min() > 0.5
    swapped = [{"IT": d["V1"], "V1": d["IT"]} for d in nets]
    null = protocol_stats._t6_positive_control(swapped, labels)
    assert abs(null.mean()) < 0.1 and null.max() < 0.5


def test_decoding_v6_pools_circuit_seeds_image_by_image(extra, tmp_path):
    """The larger decoding set of T4: each image's correctness is averaged over the
    circuit seeds, so the reported accuracies, per-seed values and the differences
    (IT - C2 among them) must agree with one another exactly, and the page lists every
    seed."""
    from circuits import protocol
    out = protocol.decoding_v6(2, tmp_path, seed=3, models=("mcculloch_pitts",), n_boot=20,
                               trials=1, circuit_seeds=2, verbose=False, homeostasis=False)
    assert set(out) == {"circuit mcculloch_pitts", "rate twin", "HMAX C2"}
    c2 = out["HMAX C2"]
    assert c2["accuracy"] == pytest.approx(np.mean(c2["per_seed"]))
    for name in ("circuit mcculloch_pitts", "rate twin"):
        got = out[name]
        acc = got["accuracy"]
        assert len(acc) == 5 and all(0 <= a <= 1 for a in acc)
        assert acc[4] == pytest.approx(np.mean(got["per_seed"]))
        for key, (i, j) in (("v1_minus_pixels", (1, 0)), ("it_minus_v1", (4, 1))):
            assert got[key][0] == pytest.approx(acc[i] - acc[j])
        est, lo, hi = got["it_minus_c2"]
        assert est == pytest.approx(acc[4] - c2["accuracy"]) and lo <= est <= hi
    text = (tmp_path / "visual-pathway-decoding-V6.md").read_text()
    assert "| IT - C2 |" in text and "| IT (HMAX: C2) at circuit seed | 3 | 4 |" in text
    with pytest.raises(ValueError, match=r"circuit_seeds=0 must be a whole number >= 1"):
        protocol.decoding_v6(2, tmp_path, circuit_seeds=0)


def test_results_table_says_whether_t4s_aim_is_met_for_each_circuit():
    from circuits import protocol_report
    t4 = dict(holds=True, aim=False)
    assert protocol_report._holds_cell("T4", t4) == \
        "yes (aim +0.05 with CI > 0 on these images: not met)"
    assert protocol_report._holds_cell("T4", dict(t4, aim=True)).endswith(": met)")
    assert protocol_report._holds_cell("T4", dict(holds=False, aim=False)) == "**no**"
    assert protocol_report._holds_cell("T6", dict(holds=True, aim=False)) == "yes"
    assert protocol_report._holds_cell("T7", dict(holds=None)) == "not measured"


def test_t6_statistic_prefers_the_block_that_the_neurons_are_built_from():
    from circuits import protocol_stats
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(8), 12)
    it_block, v1_block = rng.normal(size=(96, 10)), rng.normal(size=(96, 10))
    neurons = it_block @ rng.normal(size=(10, 6)) + 0.1 * rng.normal(size=(96, 6))
    ones = np.ones(6)
    built_from_it = protocol_stats._t6_statistic(neurons, labels, [it_block], [v1_block], ones)
    built_from_v1 = protocol_stats._t6_statistic(neurons, labels, [v1_block], [it_block], ones)
    assert built_from_it > 0.5 and built_from_v1 == pytest.approx(-built_from_it)


def test_t6_statistic_per_neuron_tells_which_block_each_neuron_is_built_from():
    from circuits import metrics, protocol_stats
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(8), 12)
    it_block, v1_block = rng.normal(size=(96, 10)), rng.normal(size=(96, 10))
    # three neurons from the IT block, three from the V1 block, one constant
    neurons = np.column_stack([it_block @ rng.normal(size=(10, 3)),
                               v1_block @ rng.normal(size=(10, 3)), np.ones(96)])
    neurons[:, :6] += 0.1 * rng.normal(size=(96, 6))
    score, from_it, diff = protocol_stats._t6_statistic(neurons, labels, [it_block],
                                                         [v1_block], per_neuron=True)
    assert score == protocol_stats._t6_statistic(neurons, labels, [it_block], [v1_block])
    assert from_it == metrics.predictivity(it_block, neurons[:, :6], labels,
                                           test_size=0.1).score
    assert diff.shape == (6,)                     # the constant neuron is left out
    assert np.all(diff[:3] > 0.5) and np.all(diff[3:] < -0.5)


def test_t2_counts_a_tie_against_the_order_and_wants_h_above_the_untrained():
    """Synthetic areas and blocks (independent random codes): an area that mixes two
    blocks equally is a tie, and T2 fails though H on every image is high."""
    from circuits import protocol_targets, robust
    rng = np.random.default_rng(0)
    n = 96
    blocks = {b: rng.normal(size=(n, 30)) for b in ("V1", "V2", "V4", "IT")}
    clean = {a: blocks[b] + 0.5 * rng.normal(size=(n, 30))
             for a, b in zip(("v1", "v2", "v4", "it"), blocks)}
    tied = dict(clean, v4=blocks["V4"] + blocks["IT"])
    flat = {a: blocks["V1"] + 0.5 * rng.normal(size=(n, 30)) for a in clean}
    halves = robust.half_samples(n, 100, seed=0)

    def t2(areas):
        choices = {(0, "CNN seed 0"): robust.block_choice(areas, blocks, halves=halves),
                   (0, "CNN untrained"): robust.block_choice(flat, blocks, halves=halves)}
        pairs = [dict(cnn=k[1], H=c.hierarchy()[0], monotone=c.hierarchy()[1],
                      best=c.names, ties=int(c.tie.sum()),
                      ties_paired=int(c.ties("paired").sum()), wins=c.wins.tolist(),
                      circuit_seed=0) for k, c in choices.items()]
        return protocol_targets._t2_target(pairs, choices)
    ok, bad = t2(clean), t2(tied)
    assert ok["holds"] and ok["value"] == 1.0 and ok["H_untrained"] == 0.0
    assert not bad["holds"] and bad["value"] >= 0.8
    assert "V4=IT" in bad["detail"] or "IT=V4" in bad["detail"]


def test_decoding_compares_it_with_it_image_by_image():
    """The IT-against-IT table: differences of each image's correctness averaged over
    the seeds, first circuit against the second, and each against the CNNs' IT."""
    from circuits import protocol_decoding
    rng = np.random.default_rng(0)
    seeds = lambda p: [(rng.random((5, 64)) < p).astype(float) for _ in range(3)]  # noqa: E731
    correct = {"circuit a": seeds(0.7), "circuit b": seeds(0.4), "CNN": seeds(0.9)}
    got = protocol_decoding._it_differences(correct, ["circuit a", "circuit b"], 200, 0)
    assert list(got) == [("circuit a", "circuit b"), ("circuit a", "CNN"), ("circuit b", "CNN")]
    it = {k: np.mean(v, 0)[4] for k, v in correct.items()}
    est, lo, hi = got[("circuit a", "circuit b")]
    assert est == pytest.approx(np.mean(it["circuit a"] - it["circuit b"])) and lo < est < hi
    assert got[("circuit b", "CNN")][0] == pytest.approx(np.mean(it["circuit b"] - it["CNN"]))
    assert got[("circuit b", "CNN")][2] < 0                        # 0.4 vs 0.9 correct
    with pytest.raises(ValueError, match=r"models=\('v9',\): each must be one of"):
        protocol_decoding.decoding_v6(2, "unused", models=("v9",))



def test_circuit_seeds_per_model():
    from circuits.protocol_config import PRESETS, max_seeds, seeds_of
    full = PRESETS["full"]
    assert [seeds_of(full, m) for m in full["models"]] == [2, 3, 1] and max_seeds(full) == 3
    # an integer counts for the first model only, as in earlier releases
    cfg = dict(models=("lif", "mcculloch_pitts"), circuit_seeds=2)
    assert (seeds_of(cfg, "lif"), seeds_of(cfg, "mcculloch_pitts"), max_seeds(cfg)) == (2, 1, 2)
    for bad in (0, 1.5, True, "3"):
        with pytest.raises(ValueError, match=r"circuit_seeds=.*the count of 'lif' must be an "
                                             r"integer >= 1"):
            seeds_of(dict(cfg, circuit_seeds={"lif": bad}), "lif")
    with pytest.raises(ValueError, match=r"circuit_seeds=.*names \['LIF'\], not circuit "
                                         r"models; they are \['lif', "):
        seeds_of(dict(cfg, circuit_seeds={"LIF": 3}), "lif")
