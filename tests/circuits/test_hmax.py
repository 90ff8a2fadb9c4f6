"""circuits.hmax: Gabor bank conventions and HMAX stages on known answers."""
import numpy as np
import pytest
from scipy import signal

from circuits import hmax, stimuli


def test_gabor_kernels_zero_mean_unit_norm_and_symmetry():
    k, p = hmax.gabor_kernels([0, 30, 60], 6.0, phase=[0, 90, 0])
    assert k.shape[0] == 3 and k.shape[1] == k.shape[2] and k.shape[1] % 2 == 1
    assert np.allclose(k.sum(axis=(1, 2)), 0, atol=1e-12)
    assert np.allclose(np.linalg.norm(k.reshape(3, -1), axis=1), 1)
    assert np.allclose(k[0], k[0, ::-1, ::-1])            # even: point-symmetric
    assert np.allclose(k[1], -k[1, ::-1, ::-1])           # odd: antisymmetric
    assert p["orientation"].tolist() == [0, 30, 60] and np.all(p["sigma"] == 0.4 * 6)
    with pytest.raises(ValueError, match="wavelength"):
        hmax.gabor_kernels(0, -1.0)


@pytest.mark.parametrize("orientation", [0, 30, 90, 150])
def test_gabor_prefers_the_grating_of_its_orientation_and_wavelength(orientation):
    """Same convention as circuits.stimuli: a 30 degree filter prefers 30, not 150."""
    img = stimuli.grating(64, orientation, 1 / 8.0)[None]
    res = hmax.gabor_responses(img, orientations=12, wavelengths=(4.0, 8.0, 16.0))
    centre = res["complex"][0, :, :, 4:12, 4:12].mean(axis=(-2, -1))   # (ori, wavelength)
    o, w = np.unravel_index(np.argmax(centre), centre.shape)
    assert res["orientation"][o] == orientation and res["wavelength"][w] == 8.0


def test_complex_cells_are_phase_invariant_simple_cells_are_not():
    imgs = np.stack([stimuli.grating(48, 45, 1 / 8.0, phase=ph) for ph in (0, 90, 180, 270)])
    res = hmax.gabor_responses(imgs, orientations=4, wavelengths=(8.0,), stride=1)
    cx = res["complex"][:, 1, 0, 20:28, 20:28].mean(axis=(-2, -1))
    simple = res["simple"][:, 1, 0, 0, 24, 24]
    assert np.ptp(cx) < 0.05 * cx.mean()
    assert np.ptp(simple) > 0.5 * simple.max()
    assert res["simple"].shape == (4, 4, 1, 4, 48, 48) and np.all(res["simple"] >= 0)


def test_filter_images_is_correlation_with_padding():
    rng = np.random.default_rng(0)
    img = rng.uniform(size=(2, 20, 24))
    k = rng.normal(size=(3, 5, 5))
    out = hmax.filter_images(img, k, padding="constant")
    assert out.shape == (2, 3, 20, 24)
    for i in range(2):
        for j in range(3):
            assert np.allclose(out[i, j], signal.correlate2d(img[i], k[j], mode="same"))


def test_serre_bands_table():
    bands = hmax.serre_bands(8)
    assert bands[0]["sizes"].tolist() == [7, 9] and bands[7]["sizes"].tolist() == [35, 37]
    # Serre et al. (2007), table 1: sigma 2.8 and 3.6, lambda 3.5 and 4.6 in band 1
    assert np.allclose(bands[0]["sigmas"], [2.8, 3.6], atol=0.05)
    assert np.allclose(bands[0]["wavelengths"], [3.5, 4.6], atol=0.1)   # table rounds
    assert [b["pool"] for b in bands] == [8, 10, 12, 14, 16, 18, 20, 22]
    with pytest.raises(ValueError):
        hmax.serre_bands(9)


@pytest.fixture(scope="module")
def fitted():
    train, _, _ = stimuli.object_set(1, "V3", size=48, seed=3, background=False)
    return hmax.HMAX(n_bands=2, n_templates=20, seed=1).fit(train), train


def test_hmax_stages_shapes_and_imprinted_templates_match_their_source(fitted):
    model, train = fitted
    f = model.features(train)
    n = len(train)
    assert f["C2"].shape == (n, 20) and f["S2"].shape == (n, 20 * 4)
    assert f["S1"].shape == (n, 2 * 2 * 4 * 12 * 12)       # bands, sizes, ori, 48 / 4
    assert set(hmax.AREAS.values()) == set(f)
    # each template was cut from a training image: its best response there is 1
    assert np.allclose(f["C2"].max(axis=0), 1.0, atol=1e-5)
    assert np.all(f["C2"] <= 1 + 1e-6) and np.all(f["S2"] <= f["C2"].repeat(4, 1) + 1e-6)
    s1 = model.s1(train[:2])
    assert s1[0].shape == (2, 2, 4, 48, 48)
    c1 = model.c1(s1)
    assert np.allclose(c1[0][..., 0, 0], s1[0][..., :8, :8].max(axis=(1, 3, 4)))


def test_hmax_is_deterministic_per_seed(fitted):
    model, train = fitted
    again = hmax.HMAX(n_bands=2, n_templates=20, seed=1).fit(train)
    other = hmax.HMAX(n_bands=2, n_templates=20, seed=2).fit(train)
    assert all(np.array_equal(model.templates_[p], again.templates_[p]) for p in (2, 4))
    assert not np.array_equal(model.templates_[2], other.templates_[2])


def test_c1_tolerates_shifts_better_than_s1(fitted):
    model, train = fitted
    shifted = np.roll(train[:4], 3, axis=2)
    s1a, s1b = model.s1(train[:4]), model.s1(shifted)
    c1a, c1b = model.c1(s1a), model.c1(s1b)

    def r(a, b):
        return np.mean([np.corrcoef(x.ravel(), y.ravel())[0, 1] for x, y in zip(a, b)])

    assert r(c1a[0], c1b[0]) > r(s1a[0], s1b[0]) + 0.1


def test_hmax_needs_fit():
    with pytest.raises(RuntimeError, match="fit"):
        hmax.HMAX(n_bands=1).features(np.zeros((1, 32, 32)))
