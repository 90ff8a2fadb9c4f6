"""V1 of the spiking (McCulloch-Pitts) circuit: orientation tuning, phase (in)sensitivity."""
import numpy as np
import pytest

from circuits import analysis, stimuli


def tuning_of(responses, params, population, sf):
    """Phase-averaged orientation tuning of a population at spatial frequency ``sf``."""
    a = responses.activity(population)
    sel = np.isclose(params["spatial_frequency"], sf)
    return analysis.orientation_tuning(a[sel], params["orientation"][sel])


def _responsive(curves, floor=0.02):
    return curves.max(0) > floor


def test_simple_cells_are_orientation_tuned(v1_grating_responses):
    r, p = v1_grating_responses
    for s, sf in ((0, 0.25), (1, 0.125)):
        levels, curves = tuning_of(r, p, f"v1_simple_{s}", sf)
        ok = _responsive(curves)
        assert ok.mean() > 0.8
        pref, osi = analysis.orientation_selectivity(curves[:, ok], levels)
        assert np.median(osi) > 0.5, np.median(osi)
        # the preferred orientations cover 0-180 degrees
        assert set(np.unique(pref)) == set(levels)
        # and agree with the Gabor each cell was built with (within one step)
        built = r.meta[f"v1_simple_{s}"]["orientation"][ok]
        err = np.abs((pref - built + 90) % 180 - 90)
        assert np.median(err) <= 22.5


def _f1f0_at_preferred(r, p, population, sf):
    a = r.activity(population)
    sel = np.isclose(p["spatial_frequency"], sf)
    a, ori, ph = a[sel], p["orientation"][sel], p["phase"][sel]
    levels = np.unique(ori)
    phases = np.unique(ph)
    # responses[orientation, phase, cell]
    grid = np.stack([[a[(ori == o) & (ph == f)][0] for f in phases] for o in levels])
    best = grid.mean(1).argmax(0)
    cells = np.arange(grid.shape[2])
    at_best = grid[best, :, cells].T            # (phase, cell)
    ok = at_best.mean(0) > 0.02
    return analysis.modulation_ratio(at_best[:, ok], phases)


def test_simple_cells_are_phase_sensitive(v1_grating_responses):
    r, p = v1_grating_responses
    for s, sf in ((0, 0.25), (1, 0.125)):
        ratio = _f1f0_at_preferred(r, p, f"v1_simple_{s}", sf)
        assert np.median(ratio) > 1.0, np.median(ratio)


def test_complex_cells_are_phase_invariant(v1_grating_responses):
    r, p = v1_grating_responses
    for s, sf in ((0, 0.25), (1, 0.125)):
        ratio = _f1f0_at_preferred(r, p, f"v1_complex_{s}", sf)
        assert np.median(ratio) < 1.0, np.median(ratio)
        levels, curves = tuning_of(r, p, f"v1_complex_{s}", sf)
        ok = _responsive(curves)
        _, osi = analysis.orientation_selectivity(curves[:, ok], levels)
        assert np.median(osi) > 0.3


def test_v1_metadata(v1_pathway):
    m = v1_pathway.metadata("v1_simple_0")
    n = v1_pathway.circuit.populations["v1_simple_0"].n
    for key in ("x", "y", "rf_size", "orientation", "phase", "scale", "wavelength"):
        assert m[key].shape == (n,)
    assert np.unique(m["orientation"]).size == 8 and np.unique(m["phase"]).size == 4
    assert set(np.unique(v1_pathway.area_metadata("v1")["scale"])) == {0, 1}


def test_hypercolumn_options_give_equal_scales_staggered_orientations_sparse_input(extra):
    """``simple_stride`` puts every scale on one grid (equal cell numbers), ``stagger``
    rotates each scale's orientations, ``sparse_from`` thins the coarse scales' input."""
    from circuits import build_pathway
    from circuits.protocol import gabor_reference
    lams = (2.83, 4.0, 8.0)
    pw = build_pathway(32, "v1", homeostasis=False, seed=0, v1={
        "wavelengths": lams, "simple_stride": 4, "stagger": True, "sparse_from": 8.0})
    c = pw.circuit
    assert [c.populations[f"v1_simple_{s}"].n for s in range(3)] == [8 * 8 * 32] * 3
    assert pw.areas["v1"]["strides"] == [4, 4, 4]
    oris = [np.unique(pw.metadata(f"v1_simple_{s}")["orientation"]) for s in range(3)]
    np.testing.assert_allclose(oris[1] - oris[0], 22.5 / 3)
    np.testing.assert_allclose(oris[2] - oris[0], 2 * 22.5 / 3)
    # the coarse scale reads every second retina pixel, the others every pixel
    x = c.populations["retina_on"].meta["x"]
    y = c.populations["retina_on"].meta["y"]
    for s, sparse in ((1, False), (2, True)):
        src = np.concatenate([p.i for p in c.projections
                              if (p.source, p.target) == ("retina_on", f"v1_simple_{s}")])
        even = (x[src] % 2 == 0) & (y[src] % 2 == 0)
        assert even.all() if sparse else not even.all()
    # the Gabor reference of T0 follows the staggered orientations: it correlates with
    # the noise-free circuit's complex cells
    g, _ = stimuli.grating_set(32, orientations=4, spatial_frequencies=[0.25], phases=2)
    ref, tw = gabor_reference(pw, g), pw.twin(g)
    for s in range(3):
        name = f"v1_complex_{s}"
        r = np.corrcoef(ref[name].ravel(), tw[name].ravel())[0, 1]
        assert r > 0.5, (name, r)


@pytest.mark.parametrize("option, value", [("sparse_from", 5.66), ("simple_stride", 0),
                                           ("simple_stride", 2.5)])
def test_hypercolumn_options_refuse_values_that_would_alias_or_misplace(extra, option, value):
    from circuits import build_pathway
    with pytest.raises(ValueError, match=option):
        build_pathway(16, "v1", homeostasis=False, v1={option: value})
