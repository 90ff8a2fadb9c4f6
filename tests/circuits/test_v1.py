"""V1 of the spiking (McCulloch-Pitts) circuit: orientation tuning, phase (in)sensitivity."""
import numpy as np

from circuits import analysis


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
