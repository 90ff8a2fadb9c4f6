"""circuits.metrics: CKA, RSA, predictivity, decoding and statistics on known answers."""
import importlib.util

import numpy as np
import pytest

from circuits import metrics

needs_sklearn = pytest.mark.skipif(importlib.util.find_spec("sklearn") is None,
                                   reason="needs scikit-learn")


def _rng(seed=0):
    return np.random.default_rng(seed)


def _orthogonal(n, seed=0):
    q, r = np.linalg.qr(_rng(seed).normal(size=(n, n)))
    return q * np.sign(np.diag(r))


def _hsic_song(x, y):
    """Song et al. (2012) eq. 5, written out literally."""
    n = len(x)
    k, m = x @ x.T, y @ y.T
    np.fill_diagonal(k, 0)
    np.fill_diagonal(m, 0)
    one = np.ones(n)
    return (np.trace(k @ m) + (one @ k @ one) * (one @ m @ one) / ((n - 1) * (n - 2))
            - 2.0 / (n - 2) * one @ k @ m @ one) / (n * (n - 3))


# ------------------------------------------------------------------------- CKA
def test_hsic_unbiased_matches_song_formula():
    x, y = _rng(1).normal(size=(30, 7)), _rng(2).normal(size=(30, 12))
    y[:, :3] += x[:, :3]
    assert metrics.hsic_unbiased(x, y) == pytest.approx(_hsic_song(x, y), rel=1e-10)
    assert metrics.hsic_unbiased(x, x) == pytest.approx(_hsic_song(x, x), rel=1e-10)


def test_cka_identical_representations_is_one():
    x = _rng().normal(size=(60, 25))
    assert metrics.cka(x, x) == pytest.approx(1.0, abs=1e-12)


def test_cka_invariant_to_rotation_scaling_and_translation():
    x = _rng(3).normal(size=(80, 20))
    y = np.tanh(x @ _rng(4).normal(size=(20, 15)))
    base = metrics.cka(x, y)
    xr = 7.5 * x @ _orthogonal(20, 5) + 3.0
    assert metrics.cka(xr, y) == pytest.approx(base, abs=1e-10)
    assert metrics.cka(x, 0.01 * y @ _orthogonal(15, 6)) == pytest.approx(base, abs=1e-10)
    assert metrics.cka(xr, xr) == pytest.approx(1.0, abs=1e-10)


def test_cka_not_invariant_to_anisotropic_scaling():
    x = _rng(7).normal(size=(80, 10))
    assert metrics.cka(x, x * np.arange(1, 11) ** 2) < 0.95


def test_cka_independent_features_near_zero_debiased():
    """More units than images: the biased CKA would be far from 0, the debiased is not."""
    rng = _rng(8)
    values = [metrics.cka(rng.normal(size=(50, 500)), rng.normal(size=(50, 800)))
              for _ in range(20)]
    assert abs(np.mean(values)) < 0.02
    assert np.max(np.abs(values)) < 0.08


def test_cka_matrix_matches_pairwise():
    rng = _rng(9)
    xs = {"a": rng.normal(size=(40, 5)), "b": rng.normal(size=(40, 9))}
    ys = [xs["a"] @ rng.normal(size=(5, 3)), rng.normal(size=(40, 4)), xs["b"]]
    m = metrics.cka_matrix(xs, ys)
    assert m.shape == (2, 3)
    for i, x in enumerate(xs.values()):
        for j, y in enumerate(ys):
            assert m[i, j] == pytest.approx(metrics.cka(x, y), abs=1e-12)
    assert m[1, 2] == pytest.approx(1.0)


def test_cka_flattens_and_checks_images():
    x = _rng().normal(size=(20, 3, 4))
    assert metrics.cka(x, x.reshape(20, 12)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="images"):
        metrics.cka(x, x[:10])
    with pytest.raises(ValueError, match="at least 4"):
        metrics.cka(x[:3], x[:3])


# ------------------------------------------------------------------------- RSA
def test_rdm_is_one_minus_pearson():
    x = _rng(10).normal(size=(12, 30))
    assert np.allclose(metrics.rdm(x), 1 - np.corrcoef(x), atol=1e-12)


def test_rsa_identical_is_one_and_independent_near_zero():
    rng = _rng(11)
    x = rng.normal(size=(40, 50))
    assert metrics.rsa(x, x) == pytest.approx(1.0)
    assert metrics.rsa(x, 2 * x + 1) == pytest.approx(1.0)
    assert abs(metrics.rsa(x, rng.normal(size=(40, 50)))) < 0.1


# ---------------------------------------------------------------- predictivity
def _labels(n_per=10, n_cat=8):
    return np.repeat(np.arange(n_cat), n_per)


@needs_sklearn
def test_predictivity_of_linear_map_high_and_of_noise_low():
    rng = _rng(12)
    labels = _labels()
    source = rng.normal(size=(len(labels), 40))
    neurons = source @ rng.normal(size=(40, 10)) @ rng.normal(size=(10, 30))   # rank 10 < 25
    good = metrics.predictivity(source, neurons, labels)
    assert good.raw > 0.95 and good.score == good.raw and np.isnan(good.ceiling)
    assert good.per_split.shape == (10,) and good.r.shape == (30,)
    bad = metrics.predictivity(rng.normal(size=source.shape), neurons, labels)
    assert abs(bad.raw) < 0.25


@needs_sklearn
def test_predictivity_with_many_features_uses_train_span():
    """More features than images: the reduction must not change PLS predictions."""
    from sklearn.cross_decomposition import PLSRegression
    rng = _rng(13)
    z = rng.normal(size=(50, 8))                       # 8 latent factors in 300 units
    x = z @ rng.normal(size=(8, 300)) + 0.1 * rng.normal(size=(50, 300))
    y = z[:, :5] @ rng.normal(size=(5, 4)) + 0.1 * rng.normal(size=(50, 4))
    xtr, xte = metrics._reduce_to_train_span(x[:40], x[40:])
    full = PLSRegression(5, scale=False).fit(x[:40], y[:40]).predict(x[40:])
    red = PLSRegression(5, scale=False).fit(xtr, y[:40]).predict(xte)
    assert np.allclose(full, red, atol=1e-8)
    assert metrics.predictivity(x, y, n_components=8, n_splits=3).raw > 0.8


@needs_sklearn
def test_predictivity_targets_in_their_principal_axes_give_the_same_predictions():
    """More neurons than images: PLS on the targets' principal coordinates, rotated
    back, predicts every neuron as PLS on all of them does."""
    from sklearn.cross_decomposition import PLSRegression
    rng = _rng(15)
    z = rng.normal(size=(60, 6)) * np.array([5.0, 4, 3, 2, 1.5, 1])   # distinct scales
    x = z @ rng.normal(size=(6, 30)) + 0.05 * rng.normal(size=(60, 30))
    y = z @ rng.normal(size=(6, 500)) + 0.05 * rng.normal(size=(60, 500))
    y[:, 7] = 2.0                                      # a constant neuron
    mean, axes = metrics._principal_axes(y[:48])
    coords = (y[:48] - mean) @ axes.T
    assert axes.shape[0] <= 48 and axes.shape[1] == 500
    assert np.allclose(axes @ axes.T, np.eye(len(axes)), atol=1e-10)
    assert np.allclose(coords @ axes + mean, y[:48], atol=1e-8)
    full = PLSRegression(4, scale=False, max_iter=5000, tol=1e-12).fit(x[:48], y[:48])
    rot = PLSRegression(4, scale=False, max_iter=5000, tol=1e-12).fit(x[:48], coords)
    assert np.allclose(full.predict(x[48:]), rot.predict(x[48:]) @ axes + mean, atol=1e-6)


@needs_sklearn
def test_predictivity_normalised_by_ceiling():
    rng = _rng(14)
    labels = _labels()
    source = rng.normal(size=(80, 20))
    signal = source @ rng.normal(size=(20, 25))
    trials = signal[:, None] + 1.0 * signal.std() * rng.normal(size=(80, 8, 25))
    rel = metrics.split_half_reliability(trials)     # (images, trials, neurons)
    assert rel.shape == (25,) and np.all((rel > 0.5) & (rel < 1))
    res = metrics.predictivity(source, trials.mean(1), labels, reliability=rel)
    assert res.ceiling == pytest.approx(np.median(rel))
    assert res.score == pytest.approx(res.raw / res.ceiling, rel=1e-12)
    assert 0.8 < res.score < 1.2         # the noise caps raw r at about the ceiling


def test_split_half_reliability_of_noise_near_zero_and_of_signal_near_one():
    rng = _rng(15)
    assert abs(np.median(metrics.split_half_reliability(rng.normal(size=(60, 10, 40))))) < 0.2
    signal = rng.normal(size=(60, 40))
    clean = signal[:, None] + 0.01 * rng.normal(size=(60, 10, 40))
    assert np.all(metrics.split_half_reliability(clean) > 0.99)
    with pytest.raises(ValueError, match="n_trials >= 2"):
        metrics.split_half_reliability(signal[:, None])
    assert metrics.spearman_brown(0.5) == pytest.approx(2 / 3)


# ------------------------------------------------------------------- statistics
def _three_representations(rng, n=160, d=200):
    z = rng.normal(size=(n, 20))
    a = z @ rng.normal(size=(20, d)) + 3 * rng.normal(size=(n, d))
    b = 5 * np.tanh(z @ rng.normal(size=(20, d))) + 3 * rng.normal(size=(n, d))
    c = z[:, :10] @ rng.normal(size=(10, d)) + 3 * rng.normal(size=(n, d))
    return a, b, c


def _cka_gain(a, b, c):
    return metrics.cka(a, b) - metrics.cka(c, b)


def test_bootstrap_half_sampling_unbiased_for_cka_where_replacement_is_not():
    a, b, c = _three_representations(_rng(16))
    est, lo, hi, samples = metrics.bootstrap(_cka_gain, a, b, c, n_boot=80)
    assert est == pytest.approx(_cka_gain(a, b, c)) and samples.shape == (80,)
    assert lo < est < hi and abs(np.median(samples) - est) < 0.01
    # the spread matches the sampling spread over fresh data sets (about 0.02)
    fresh = [_cka_gain(*_three_representations(_rng(100 + i))) for i in range(12)]
    assert 0.5 < samples.std() / np.std(fresh) < 2.0
    # repeated images bias the ordinary bootstrap: the estimate falls outside it
    _, lo_r, hi_r, _ = metrics.bootstrap(_cka_gain, a, b, c, n_boot=80, method="replace")
    assert not lo_r < est < hi_r


def test_bootstrap_mean_interval_matches_standard_error():
    v = _rng(17).normal(size=400)
    half = 1.96 * v.std() / np.sqrt(len(v))
    for method in ("half", "replace"):
        est, lo, hi, _ = metrics.bootstrap(np.mean, v, n_boot=2000, method=method)
        assert lo < est < hi and (hi - lo) / 2 == pytest.approx(half, rel=0.15)
    with pytest.raises(ValueError, match="method"):
        metrics.bootstrap(np.mean, v, method="jackknife")


def test_resampling_p_of_a_clear_and_of_a_null_difference():
    a, b, c = _three_representations(_rng(23), n=120, d=100)
    est, _, _, samples = metrics.bootstrap(_cka_gain, a, b, c, n_boot=60)
    assert est > 0.1 and metrics.resampling_p(est, samples) == pytest.approx(1 / 61)
    v = _rng(24).normal(size=300)
    v -= v.mean()                                  # an estimate of exactly 0: p about 1/2
    est, _, _, samples = metrics.bootstrap(np.mean, v, n_boot=500)
    assert 0.3 < metrics.resampling_p(est, samples) < 0.7


def test_permutation_tests_related_and_unrelated():
    rng = _rng(18)
    x = rng.normal(size=(50, 8))
    y = x @ rng.normal(size=(8, 6)) + 0.5 * rng.normal(size=(50, 6))
    obs, p, null = metrics.cka_permutation_test(x, y, n_perm=200)
    assert obs == pytest.approx(metrics.cka(x, y)) and p == pytest.approx(1 / 201)
    assert abs(null.mean()) < 0.05
    obs2, p2, null2 = metrics.permutation_test(metrics.cka, x, y, n_perm=200)
    assert obs2 == pytest.approx(obs) and np.allclose(np.sort(null2), np.sort(null2))
    _, p_unrel, _ = metrics.cka_permutation_test(x, rng.normal(size=(50, 6)), n_perm=200)
    assert p_unrel > 0.01


def test_cka_permutation_matches_generic_permutation():
    rng = _rng(19)
    x, y = rng.normal(size=(20, 4)), rng.normal(size=(20, 3))
    _, p1, n1 = metrics.cka_permutation_test(x, y, n_perm=30, seed=5)
    _, p2, n2 = metrics.permutation_test(metrics.cka, x, y, n_perm=30, seed=5)
    assert np.allclose(n1, n2) and p1 == p2


def _ordered_hierarchy(rng, n_images=80):
    """Blocks b0..b3 and areas a0..a3, area k a noisy linear map of block k only."""
    blocks = {}
    h = rng.normal(size=(n_images, 20))
    for k in range(4):
        h = np.maximum(h @ rng.normal(size=(20, 20)), 0)     # each block a new nonlinearity
        blocks[f"b{k}"] = h.copy()
    areas = {f"a{k}": blocks[f"b{k}"] @ rng.normal(size=(20, 30))
             + 0.3 * blocks[f"b{k}"].std() * rng.normal(size=(n_images, 30)) for k in range(4)}
    return areas, blocks


def test_best_block_selects_on_one_half_scores_on_other():
    rng = _rng(20)
    areas, blocks = _ordered_hierarchy(rng)
    labels = _labels()
    res = metrics.best_block(areas, blocks, labels=labels)
    assert list(res.index) == [0, 1, 2, 3] and res.names == ["b0", "b1", "b2", "b3"]
    assert not np.intersect1d(res.select_images, res.score_images).size
    assert len(res.select_images) + len(res.score_images) == 80
    # stratified: every category split evenly
    assert np.all(np.bincount(labels[res.select_images]) == 5)
    held = metrics.cka_matrix({k: v[res.score_images] for k, v in areas.items()},
                              {k: v[res.score_images] for k, v in blocks.items()})
    assert np.allclose(res.held_out, held) and np.allclose(res.score, np.diag(held))
    # any similarity: RSA gives the same order here
    assert list(metrics.best_block(areas, blocks, similarity=metrics.rsa).index) == [0, 1, 2, 3]


def test_hierarchy_score_known_mappings():
    assert metrics.hierarchy_score([0, 1, 2, 3]) == (1.0, True)
    assert metrics.hierarchy_score([3, 2, 1, 0]) == (-1.0, False)
    assert metrics.hierarchy_score([1, 1, 1, 1]) == (0.0, True)
    h, mono = metrics.hierarchy_score([0, 0, 1, 3])
    assert h == pytest.approx(stats_spearman([0, 1, 2, 3], [0, 0, 1, 3])) and mono
    h, mono = metrics.hierarchy_score([0, 2, 1, 3])
    assert h == pytest.approx(0.8) and not mono
    sim = np.eye(4) + 0.1
    assert metrics.hierarchy_score(sim) == (1.0, True)


def stats_spearman(a, b):
    from scipy.stats import spearmanr
    return spearmanr(a, b)[0]


def test_hierarchy_of_ordered_blocks_is_one():
    areas, blocks = _ordered_hierarchy(_rng(21))
    res = metrics.best_block(areas, blocks, seed=3)
    assert metrics.hierarchy_score(res.index) == (1.0, True)


@needs_sklearn
def test_decode_separable_categories_and_chance():
    rng = _rng(22)
    labels = _labels(12, 4)
    centres = 3 * rng.normal(size=(4, 10))
    x = centres[labels] + rng.normal(size=(len(labels), 10))
    acc, folds = metrics.decode(x, labels)
    assert acc > 0.95 and folds.shape == (5,)
    acc_noise, _ = metrics.decode(rng.normal(size=(len(labels), 10)), labels)
    assert acc_noise < 0.5


def test_category_selectivity_matches_the_anova_f_statistic():
    from scipy import stats
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), [5, 7, 6, 8])
    x = rng.normal(size=(labels.size, 6)) + np.arange(6) * 0.4 * labels[:, None]
    eta = metrics.category_selectivity(x, labels)
    k, n = 4, labels.size
    for j in range(6):
        f = stats.f_oneway(*(x[labels == c, j] for c in range(k))).statistic
        assert eta[j] == pytest.approx(f * (k - 1) / (f * (k - 1) + n - k))
    # a neuron that is its image's category, exactly, is fully selective
    code = np.column_stack([labels * 2.0 + 1, np.ones(n)])
    got = metrics.category_selectivity(code, labels)
    assert got[0] == pytest.approx(1.0) and np.isnan(got[1])


def test_category_selectivity_of_label_free_responses_is_chance_level():
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(8), 24)
    eta = metrics.category_selectivity(rng.normal(size=(labels.size, 400)), labels)
    assert abs(eta.mean() - 7 / (labels.size - 1)) < 0.005
    with pytest.raises(ValueError, match="one entry per image"):
        metrics.category_selectivity(np.zeros((5, 2)), [0, 1, 0])
    with pytest.raises(ValueError, match="at least two"):
        metrics.category_selectivity(np.ones((3, 2)), [1, 1, 1])
