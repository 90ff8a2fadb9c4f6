"""Stimuli: deterministic from a seed, in range, the right sets; spike codes."""
import numpy as np
import pytest

from circuits import stimuli


def test_grating_orientation_convention_matches_bar():
    g = stimuli.grating(32, orientation=0, spatial_frequency=0.125)
    # orientation 0 modulates along x: columns are constant (vertical stripes)
    assert np.allclose(g, g[:1].repeat(32, 0))
    b = stimuli.bar(32, orientation=0, width=2, length=16)
    # a bar of orientation 0 is vertical: bright along a column, not along a row
    assert b[8:24, 15:17].min() > 0.9 and b[16, :14].max() == pytest.approx(0.5)


def test_grating_set_covers_parameters():
    images, p = stimuli.grating_set(16, orientations=12, spatial_frequencies=(0.25, 0.125),
                                    phases=4)
    assert images.shape == (96, 16, 16)
    assert np.unique(p["orientation"]).size == 12 and np.unique(p["phase"]).size == 4
    assert images.min() >= 0 and images.max() <= 1


def test_object_set_is_deterministic_and_equalised(extra):
    a, la, pa = stimuli.object_set(2, "V6", 32, seed=3)
    b, lb, pb = stimuli.object_set(2, "V6", 32, seed=3)
    c, _, _ = stimuli.object_set(2, "V6", 32, seed=4)
    assert np.array_equal(a, b) and np.array_equal(la, lb)
    assert not np.array_equal(a, c)
    assert a.shape == (16, 32, 32) and np.bincount(la).tolist() == [2] * 8
    assert np.allclose(a.mean(axis=(1, 2)), 0.5, atol=0.03)
    assert np.all(np.abs(pa["rotation"]) <= 45) and np.all(np.abs(pa["dx"]) <= 0.25 * 32)


@pytest.mark.parametrize("level", ["V0", "V3", "V6"])
def test_variation_levels_respect_their_ranges(extra, level):
    _, _, p = stimuli.object_set(4, level, 64, seed=1)
    var = stimuli.VARIATION_LEVELS[level]
    assert np.all(np.abs(p["dx"]) <= var["position"] * 64 + 1e-9)
    assert np.all((p["scale"] >= var["scale"][0]) & (p["scale"] <= var["scale"][1]))
    assert np.all(np.abs(p["rotation"]) <= var["rotation"] + 1e-9)


def test_glyphs_of_every_category_and_font_render():
    for font in stimuli.FONTS:
        for ch in stimuli.CATEGORIES:
            m = stimuli.glyph_mask(ch, font)
            assert m.max() > 0.9 and m.shape[0] > 20


def test_natural_crops_and_digits(extra):
    nat = stimuli.natural_crops(3, 32, seed=0)
    assert nat.shape == (3, 32, 32) and np.array_equal(nat, stimuli.natural_crops(3, 32, seed=0))
    d, y = stimuli.digits(5, 32, seed=0)
    assert d.shape == (5, 32, 32) and y.shape == (5,)


def test_rate_and_latency_codes():
    img = np.array([[0.0, 0.5], [1.0, 0.02]])
    assert np.allclose(stimuli.to_rates(img, max_rate=100), [0, 50, 100, 2])
    idx, t = stimuli.to_latencies(img, t_max=0.02, threshold=0.05)
    assert idx.tolist() == [2, 1] and np.allclose(t, [0.0, 0.01])


def test_out_of_distribution_sets_share_nothing_with_the_training_set(extra):
    from circuits import cnn, stimuli_ood
    assert not set(stimuli_ood.NOVEL_CATEGORIES) & set(stimuli.CATEGORIES)
    assert not set(stimuli_ood.NOVEL_FONTS) & (set(stimuli.FONTS) | set(cnn.TRAIN_FONTS))
    sets = stimuli_ood.ood_sets(2, 32, seed=5)
    assert list(sets) == ["novel glyphs", "photographs", "high variation"]
    for name, (images, labels) in sets.items():
        k = 4 if name == "photographs" else 8
        assert images.shape == (2 * 8, 32, 32) and np.bincount(labels).tolist() == [16 // k] * k
        np.testing.assert_allclose(images.mean((1, 2)), 0.5, atol=0.02)
    again = stimuli_ood.ood_sets(2, 32, seed=5, which=("photographs",))
    assert np.array_equal(again["photographs"][0], sets["photographs"][0])
    # every photograph category has source images that ship with the packages
    assert all(len(v) >= 4 for v in stimuli_ood._photos().values())
    with pytest.raises(ValueError, match="known sets"):
        stimuli_ood.ood_sets(2, which=("sketches",))
