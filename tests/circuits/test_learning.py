"""Learning in the circuits: STDP features, reward-modulated category units, the
learned pathway (circuits.learning, circuits.learning_rstdp, circuits.learning_pathway).

Oracles: the patterns the features are learned from (which inputs each bar drives),
the labels of held-out samples, and the analytic latency code."""
import numpy as np
import pytest

from circuits import build_pathway, stimuli
from circuits.learning import STDPParams, convergence, feature_responses, learn_features
from circuits.learning_pathway import category_units, learned_pathway
from circuits.learning_rstdp import (RSTDPParams, category_responses, normalise, predict,
                                     train_category_units)
from circuits.learning_spikes import Presenter, SlotTiming, latency_code

SIDE = 5
ROW = np.arange(SIDE) + SIDE * (SIDE // 2)          # inputs of the horizontal bar
COLUMN = np.arange(SIDE) * SIDE + SIDE // 2         # inputs of the vertical bar


def _bars(n, seed):
    """``n`` 5 x 5 patches alternating a horizontal and a vertical bar on weak noise."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 0.2, (n, SIDE * SIDE))
    orientation = np.arange(n) % 2
    for k in range(n):
        x[k, ROW if orientation[k] == 0 else COLUMN] = rng.uniform(0.8, 1.0, SIDE)
    return x, orientation


@pytest.fixture(scope="module")
def bars_learning():
    x, _ = _bars(240, seed=0)
    params = STDPParams(patches_per_image=2, max_images=120, convergence_threshold=0.01)
    return learn_features(x.reshape(120, 2, -1), 4, params, seed=0)


def test_latency_code_orders_inputs_by_strength():
    timing = SlotTiming(t_max=20e-3, dt=0.5e-3)                 # 40 latency steps
    steps = latency_code([[1.0, 0.5, 0.25, 0.01, 0.0]], timing, min_fraction=0.05)
    assert steps.tolist() == [[0, 20, 30, 43, 43]]              # weak and silent: last volley


def test_weights_at_the_upper_bound_are_accepted_and_kept_within_it():
    import neurosim as ns
    from neurosim.units import mV, ms
    rule = ns.STDP(tau_plus=20 * ms, tau_minus=20 * ms, a_plus=0.5, a_minus=0.0, w_max=1 * mV)
    layer = Presenter([[1.0, 0.5, 0.2]], 2, rule, np.ones((2, 3)), 1.5, SlotTiming())
    first = layer.present()
    assert (first >= 0).any() and layer.winner >= 0
    assert layer.weights.max() <= 1.0 and layer.weights.min() > 0.99


def test_binary_units_win_by_their_summed_weight_and_learn_by_competitive_hebb():
    """McCulloch-Pitts units on the binary code: the tied unit with the largest summed
    weight over the active inputs, less its offset, wins; STDP over steps then moves
    the winner's active weights up by a_plus exp(-dt/tau_plus) (input one step
    before its spike) and its inactive ones down by a_minus exp(-(L + 2) dt/tau_minus)
    (the last volley), and the losers' changes are undone."""
    import neurosim as ns
    from neurosim.units import ms
    timing = SlotTiming(t_max=5e-3, gap=50e-3, dt=0.5e-3)       # L = 10 latency steps
    a_plus, a_minus, tau = 0.1, 0.05, 20e-3
    rule = ns.STDP(tau_plus=tau * 1e3 * ms, tau_minus=tau * 1e3 * ms, a_plus=a_plus,
                   a_minus=a_minus, w_max=1.0)
    initial = np.array([[0.5, 0.5, 0.5, 0.5],       # sum over the active inputs 1.0
                        [0.6, 0.5, 0.5, 0.2],       # 1.1
                        [0.6, 0.6, 0.5, 0.5],       # 1.2, but its offset is 0.3
                        [0.1, 0.1, 0.2, 0.9]])      # 0.2: below threshold here
    layer = Presenter([[1.0, 0.5, 0.0, 0.01], [0.0, 0.0, 1.0, 0.9]], 4, rule, initial,
                      0.9, timing, neuron="mcculloch_pitts")
    layer.offset[2] = 0.3
    first = layer.present()
    assert first.tolist() == [1, 1, 1, -1]           # the code's step, one step later
    assert layer.winner == 1
    layer.settle()
    w = layer.weights
    up = a_plus * np.exp(-timing.dt / tau)
    down = a_minus * np.exp(-(timing.latency_steps + 2) * timing.dt / tau)
    assert w[1] == pytest.approx([0.6 + up, 0.5 + up, 0.5 - down, 0.2 - down], abs=1e-9)
    assert w[[0, 2, 3]] == pytest.approx(initial[[0, 2, 3]], abs=1e-9)  # losers undone
    assert layer.present()[3] == 1 and layer.winner == 3          # inputs 2, 3: 1.1


def test_binary_feature_units_become_selective_to_the_bars():
    x, orientation = _bars(240, seed=0)
    params = STDPParams(patches_per_image=2, max_images=120, neuron="mcculloch_pitts")
    learning = learn_features(x.reshape(120, 2, -1), 4, params, seed=0)
    assert np.mean(learning.winners >= 0) > 0.9, "the binary units hardly fired"
    test, orientation = _bars(40, seed=5)
    response = feature_responses(learning.weights, test)
    best = [int(np.argmax(response[orientation == o].mean(axis=0))) for o in (0, 1)]
    assert best[0] != best[1]
    for own, k in ((ROW, best[0]), (COLUMN, best[1])):
        assert learning.weights[k, own].mean() > 0.9                    # its bar
    with pytest.raises(ValueError, match="neuron='izhikevich'"):
        STDPParams(neuron="izhikevich")


def test_normalise_centres_inputs_on_their_training_mean():
    x = np.array([[1.0, 2.0, 5.0], [3.0, 2.0, 5.0]])
    out = normalise(x, x.mean(axis=0), x.std(axis=0))
    assert out.tolist() == [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]    # constant inputs give 0


def test_stdp_features_become_selective_to_the_bars(bars_learning):
    winners = bars_learning.winners
    assert np.mean(winners >= 0) > 0.9, "the feature neurons hardly fired"
    w = bars_learning.weights
    test, orientation = _bars(40, seed=5)
    response = feature_responses(w, test)
    best = [int(np.argmax(response[orientation == o].mean(axis=0))) for o in (0, 1)]
    assert best[0] != best[1]
    centre = SIDE * (SIDE // 2) + SIDE // 2
    for own, other, k in ((ROW, COLUMN, best[0]), (COLUMN, ROW, best[1])):
        assert w[k, own].mean() > 0.9                            # its bar: near w_max
        assert w[k, np.setdiff1d(other, [centre])].mean() < 0.5  # the other bar: depressed
        assert np.sum(winners == k) >= 10                        # it won its share


def test_convergence_measure_falls_during_learning(bars_learning):
    c = bars_learning.convergence
    assert c[0] == pytest.approx(convergence(np.full(1, 0.8)), abs=0.01)
    assert c[-1] < c.max() - 0.05
    assert c[-1] < c[0]


def test_feature_learning_is_deterministic_for_a_seed():
    x, _ = _bars(40, seed=1)
    params = STDPParams(patches_per_image=2, max_images=20)
    a = learn_features(x.reshape(20, 2, -1), 3, params, seed=3)
    b = learn_features(x.reshape(20, 2, -1), 3, params, seed=3)
    c = learn_features(x.reshape(20, 2, -1), 3, params, seed=4)
    assert np.any(a.winners >= 0)
    assert np.array_equal(a.weights, b.weights) and np.array_equal(a.winners, b.winners)
    assert not np.array_equal(a.weights, c.weights)


def _two_categories(n, seed):
    """Category 0 drives inputs 0-7 harder, category 1 inputs 8-15; 20 inputs."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.uniform(0.0, 1.0, (n, 20))
    x[y == 0, :8] += 0.8
    x[y == 1, 8:16] += 0.8
    return x, y


def test_reward_stdp_units_decide_held_out_samples_above_chance():
    x, y = _two_categories(60, seed=0)
    units = train_category_units(x, y, RSTDPParams(n_per_category=2, epochs=3), seed=0)
    assert units.correct.any()
    held_out, truth = _two_categories(60, seed=1)
    decided = predict(units, held_out)
    assert np.mean(decided >= 0) > 0.9, "the category units hardly fired"
    # 60 samples at chance (0.5): P(>= 48 right) < 1e-5
    assert np.sum(decided == truth) >= 48
    # as responses: the winner fires (one-hot), the others are silent
    spikes = category_responses(units, held_out)
    assert spikes.shape == (60, 4) and set(np.unique(spikes)) <= {0.0, 1.0}
    assert np.array_equal(spikes.sum(axis=1), (decided >= 0).astype(float))
    fired = decided >= 0
    assert np.array_equal(spikes[fired].argmax(axis=1) // 2, decided[fired])
    trials = category_responses(units, np.stack([held_out, held_out], axis=1))
    assert trials.shape == (60, 2, 4) and np.array_equal(trials[:, 1], spikes)


def test_category_units_round_trip_through_the_cache(tmp_path):
    training = stimuli.object_set(1, "V3", 32, seed=3)[0]
    pathway = build_pathway(32, "it", seed=0, training=training, homeostasis=False)
    images, labels, _ = stimuli.object_set(2, "V3", 32, seed=5)
    params = RSTDPParams(epochs=2)
    first = category_units(pathway, images, labels, params, cache=tmp_path)
    assert len(list(tmp_path.glob("rstdp-units-*.npz"))) == 1
    again = category_units(pathway, images, labels, params, cache=tmp_path)
    assert len(list(tmp_path.glob("rstdp-units-*.npz"))) == 1       # loaded
    for name in ("weights", "centre", "scale", "correct"):
        assert np.array_equal(getattr(first, name), getattr(again, name))
    assert again.params == params and again.threshold == first.threshold
    other = category_units(pathway, images, labels[::-1], params, cache=tmp_path)
    assert len(list(tmp_path.glob("rstdp-units-*.npz"))) == 2       # other labels
    assert not np.array_equal(other.weights, first.weights)


def test_learned_pathway_round_trip_through_the_cache(tmp_path):
    training = stimuli.object_set(1, "V3", 32, seed=3)[0]
    params = STDPParams(patches_per_image=4, max_images=8)
    first, learning = learned_pathway(32, training, seed=0, n_templates={"v2_s": 8},
                                      params=params, cache=tmp_path, homeostasis=False)
    assert learning["v2_s"].winners.max() >= 0
    t = first.circuit.templates["v2_s"]
    assert t.shape == (8, 16) and np.allclose(t.sum(axis=1), 1.0)
    again, cached = learned_pathway(32, training, seed=0, n_templates={"v2_s": 8},
                                    params=params, cache=tmp_path, homeostasis=False)
    assert cached == {"v2_s": None}                                 # loaded, not relearned
    assert len(list(tmp_path.glob("stdp-pathway-*.npz"))) == 1
    other, relearned = learned_pathway(32, training[::-1], seed=0, n_templates={"v2_s": 8},
                                       params=params, cache=tmp_path, homeostasis=False)
    assert relearned["v2_s"] is not None                             # other data: learned
    assert len(list(tmp_path.glob("stdp-pathway-*.npz"))) == 2
    assert np.array_equal(again.circuit.templates["v2_s"], t)
    images = stimuli.object_set(1, "V6", 32, seed=4)[0][:3]
    a, b = first.twin(images), again.twin(images)
    assert a["it"].max() > 0
    assert all(np.array_equal(a[n], b[n]) for n in a)
    ra = first.present(images, trials=1, populations=["v2_s", "it"])
    rb = again.present(images, trials=1, populations=["v2_s", "it"])
    assert ra.counts["v2_s"].sum() > 0
    assert np.array_equal(ra.counts["v2_s"], rb.counts["v2_s"])
    assert np.array_equal(ra.counts["it"], rb.counts["it"])


@pytest.mark.parametrize("make, name", [
    (lambda: STDPParams(a_plus=1.5), "a_plus"),
    (lambda: STDPParams(max_images=0), "max_images"),
    (lambda: STDPParams(adaptation=-1.0), "adaptation"),
    (lambda: RSTDPParams(n_per_category=0), "n_per_category"),
    (lambda: RSTDPParams(tau_c=0.0), "tau_c"),
    (lambda: SlotTiming(dt=0.0), "dt"),
    (lambda: learn_features(np.ones((2, 3, 4)), 1), "n_features"),
    (lambda: learn_features(-np.ones((2, 3, 4)), 2), "non-negative"),
    (lambda: train_category_units(np.ones((4, 3)), [0, 0, 0, 0]), "single category"),
    (lambda: latency_code([[1.0, 0.5]], SlotTiming(), min_fraction=0.0), "min_fraction"),
    (lambda: STDPParams(neuron="mcculloch_pitts", min_fraction=1.5), "min_fraction=1.5"),
    (lambda: learned_pathway(16, np.zeros((1, 16, 16)), learn=("v3_s",), cache=False),
     "learn="),
    (lambda: build_pathway(16, "v2", templates={}, learned={}), "templates="),
    (lambda: category_responses(train_category_units(*_two_categories(8, 0),
                                                     RSTDPParams(epochs=1)), np.ones((3, 5))),
     r"vectors have 5 inputs; the units were trained on 20"),
])
def test_bad_parameters_are_refused_with_their_name(make, name):
    with pytest.raises(ValueError, match=name):
        make()


def test_a_circuit_that_learns_past_v1_has_the_imprinted_circuits_v1():
    """T7 measures V1 once for circuits whose V1 is the same (weights and biases):
    a circuit that learns only V2 has the imprinted circuit's V1; another seed does
    not."""
    from circuits.protocol_t7 import _same_state
    training = stimuli.object_set(1, "V3", 32, seed=3)[0]
    params = STDPParams(patches_per_image=4, max_images=8)
    learned, _ = learned_pathway(32, training, seed=0, n_templates={"v2_s": 8},
                                 params=params, cache=False, homeostasis=False)
    imprinted = build_pathway(32, "it", seed=0, training=training, homeostasis=False)
    assert not np.array_equal(learned.circuit.templates["v2_s"],
                              imprinted.circuit.templates["v2_s"][:8])

    def v1(pw):
        return build_pathway(32, "v1", seed=0, learned=pw.state(), homeostasis=False)
    assert _same_state(v1(learned), v1(imprinted))
    # a bias of an area past V1 (from the homeostasis of the whole pathway) is not V1's
    state = dict(learned.state(), **{"bias/mcculloch_pitts/v2_s": np.array(0.5)})
    assert _same_state(build_pathway(32, "v1", seed=0, learned=state, homeostasis=False),
                       v1(imprinted))
    other = build_pathway(32, "v1", seed=1, training=training, homeostasis=False)
    assert not _same_state(v1(imprinted), other)
