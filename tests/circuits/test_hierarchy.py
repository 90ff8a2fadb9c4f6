"""Along the hierarchy: receptive fields grow, responses tolerate position and scale,
and object categories become linearly decodable (pixels < V1 < IT at variation V6).

Tolerance and decoding are measured on the circuit's rate twin (the same weights
and thresholds, rectified-linear units), which is deterministic and fast; the
spiking circuit is checked to respond reliably and in line with it.
"""
import numpy as np

from circuits import analysis, stimuli

AREAS = ("v1", "v2", "v4", "it")


def test_receptive_fields_grow(full_pathway):
    sizes = [np.median(full_pathway.area_metadata(a)["rf_size"]) for a in AREAS]
    assert all(b > a for a, b in zip(sizes, sizes[1:])), sizes
    assert sizes[-1] >= full_pathway.circuit.size          # IT sees the whole image


def _transformed_pairs(size, n=16, seed=11):
    """Each glyph at V0, shifted by 5 px, and rescaled by 0.75."""
    rng_base = np.random.default_rng(seed)
    base, shifted, scaled = [], [], []
    for k in range(n):
        cat = stimuli.CATEGORIES[k % 8]
        font = stimuli.FONTS[(k // 8) % len(stimuli.FONTS)]
        s = int(rng_base.integers(1 << 30))
        img = lambda **kw: stimuli.object_image(cat, font, size, "V0",  # noqa: E731
                                                np.random.default_rng(s), **kw)[0]
        base.append(img())
        shifted.append(np.roll(img(), 5, axis=1))
        z = stimuli.equalize(_rescale(img(), 0.75))
        scaled.append(z)
    return np.stack(base), np.stack(shifted), np.stack(scaled)


def _rescale(image, factor):
    from scipy import ndimage
    size = image.shape[0]
    c = (size - 1) / 2
    m = np.eye(2) / factor
    return ndimage.affine_transform(image, m, offset=c - m @ [c, c], order=1, mode="reflect")


def test_tolerance_to_position_and_scale_grows(full_pathway):
    base, shifted, scaled = _transformed_pairs(full_pathway.circuit.size)
    acts = [full_pathway.twin(x) for x in (base, shifted, scaled)]
    tol = {}
    for area in ("v1", "it"):
        a, b, c = (np.concatenate([x[n] for n in full_pathway.outputs(area)], 1) for x in acts)
        tol[area] = (analysis.tolerance(a, b), analysis.tolerance(a, c))
    assert tol["it"][0] > tol["v1"][0] + 0.1, tol          # position
    assert tol["it"][1] > tol["v1"][1], tol                # scale


def test_category_decoding_rises_along_the_hierarchy(full_pathway, objects_v6):
    images, labels, _ = objects_v6
    twin = full_pathway.twin(images)
    acc = {"pixels": analysis.decode(images, labels)}
    for area in ("v1", "it"):
        acc[area] = analysis.decode(
            np.concatenate([twin[n] for n in full_pathway.outputs(area)], 1), labels)
    assert acc["pixels"] < acc["v1"] < acc["it"], acc


def test_spiking_it_is_reliable_and_follows_the_twin(full_pathway, objects_v6):
    images = objects_v6[0][:4]
    r = full_pathway.present(images, trials=2, populations=["v1_complex_0", "it"])
    twin = full_pathway.twin(images)
    for name in ("v1_complex_0", "it"):
        spk = r.activity(name)
        assert spk.mean() > 0.005
        assert np.corrcoef(spk.ravel(), twin[name].ravel())[0, 1] > 0.2
    assert np.nanmedian(r.reliability("v1_complex_0")) > 0.5
