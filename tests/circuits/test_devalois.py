"""Target T7's pieces on cases with known answers: the KS distance to a histogram, the
preferences read from grating responses, and the random Gabor bank."""
import numpy as np
import pytest

from circuits import devalois, protocol_report, protocol_t7, stimuli


def _sample_of_histogram(edges, counts, n, log=False, seed=0):
    """``n`` values drawn from the histogram, uniform within each bin."""
    rng = np.random.default_rng(seed)
    k = rng.choice(len(counts), size=n, p=np.asarray(counts) / np.sum(counts))
    lo, hi = np.asarray(edges, float)[k], np.asarray(edges, float)[k + 1]
    if log:
        return 2.0 ** rng.uniform(np.log2(lo), np.log2(hi))
    return rng.uniform(lo, hi)


def test_ks_distance_of_a_sample_of_the_data_is_small_and_of_a_point_mass_large():
    o = _sample_of_histogram(devalois.ORIENTATION_EDGES, devalois.ORIENTATION_COUNTS, 20000)
    f = _sample_of_histogram(devalois.SF_EDGES, devalois.SF_COUNTS, 20000, log=True)
    assert devalois.ks_distance(o, devalois.ORIENTATION_EDGES, devalois.ORIENTATION_COUNTS) \
        < 0.015
    assert devalois.ks_distance(f, devalois.SF_EDGES, devalois.SF_COUNTS, log=True) < 0.015
    # all at 90 degrees: the sample's CDF jumps from 0 to 1 where the data's is
    # (110 + 83 + 50) / 385 = 0.63
    d = devalois.ks_distance(np.full(50, 90.0), devalois.ORIENTATION_EDGES,
                             devalois.ORIENTATION_COUNTS)
    assert d == pytest.approx((110 + 83 + 50) / 385)


def test_sf_distance_finds_the_scale_of_a_sample_given_in_pixels():
    f = _sample_of_histogram(devalois.SF_EDGES, devalois.SF_COUNTS, 20000, log=True)
    d, ppd = devalois.sf_distance(f / 8.0)          # cycles/degree at 8 pixels/degree
    assert d < 0.02 and ppd == pytest.approx(8.0)


def test_preferences_recover_the_tuning_of_synthetic_neurons():
    g_ori = np.repeat(np.arange(12) * 15.0, 6)
    g_sf = np.tile(devalois.GRATING_SF, 12)
    pref_o = np.array([0.0, 45.0, 90.0, 150.0, 165.0])
    pref_f = devalois.GRATING_SF[[0, 2, 3, 5, 1]]
    d_o = (g_ori[:, None] - pref_o[None, :] + 90.0) % 180.0 - 90.0
    d_f = np.log2(g_sf[:, None] / pref_f[None, :])
    r = np.exp(-d_o ** 2 / (2 * 20.0 ** 2) - d_f ** 2 / 2.0)
    r[:, -1] = 0.0                                  # a silent neuron is left out
    o, f = devalois.preferences(r, g_ori, g_sf)
    np.testing.assert_array_equal(o, [0.0, 45.0, 90.0, 150.0])
    np.testing.assert_array_equal(f, pref_f[:4])


def test_random_gabor_bank_prefers_its_own_orientations_and_frequencies():
    g, p = stimuli.grating_set(32, orientations=devalois.GRATING_ORIENTATIONS,
                               spatial_frequencies=devalois.GRATING_SF, phases=4)
    bank = devalois.random_gabor_bank(200, 32, seed=3)
    o, f = devalois.preferences(devalois.bank_responses(bank, g), p["orientation"],
                                p["spatial_frequency"])
    assert o.size == 200
    # uniform orientations and log-uniform frequencies: every grating value is preferred
    assert np.unique(o).size == 12 and np.unique(f).size >= 5
    # and close to the data in orientation, which is near uniform (200 filters on a
    # 15-degree grid: about 0.1 by chance and discreteness)
    assert devalois.ks_distance(o, devalois.ORIENTATION_EDGES,
                                devalois.ORIENTATION_COUNTS) < 0.16


RETINA = dict(orientation=0.07, sf=0.2, sf_scale=20.0)   # the bank behind a retina


def test_compare_scores_a_single_orientation_worse_than_the_bank(tmp_path):
    g, p = stimuli.grating_set(16, orientations=12, spatial_frequencies=[0.125, 0.25],
                               phases=2)
    bank = devalois.bank_responses(devalois.random_gabor_bank(60, 16, seed=1), g)
    same = dict(devalois.compare(bank, p, bank, n_boot=20), n_gratings=len(g))
    assert same["worst"] == 0.0
    assert protocol_t7._t7_target(same, RETINA)["holds"]
    # a model that responds to vertical gratings only
    vertical = (bank + 1.0) * (np.round(p["orientation"]) == 0)[:, None]
    one = dict(devalois.compare(vertical, p, bank, n_boot=20), n_gratings=len(g))
    assert one["orientation"][0] > 0.5 > one["orientation"][1]
    assert one["worst"] > 0.4 and one["ci"][0] > 0
    assert not protocol_t7._t7_target(one, RETINA)["holds"]
    np.testing.assert_array_equal(one["preferences"]["model"][0], 0.0)
    figure = protocol_report._t7_figure(str(tmp_path), {"mcculloch_pitts": one, "lif": same},
                                        dict(RETINA, preferences=one["preferences"]["bank"]))
    assert (tmp_path / "visual-pathway-t7.png").stat().st_size > 0 and figure.endswith(".png")


def test_the_retina_removes_the_frequencies_a_pixel_bank_peaks_at(v1_pathway):
    """Behind the circuit's retina (centre ~1 px) no filter of the bank peaks at the
    highest grating frequency, 1/2.8 cycles/px, which some do on the pixels."""
    g, p = stimuli.grating_set(32, orientations=4, spatial_frequencies=devalois.GRATING_SF,
                               phases=2)
    tw = v1_pathway.twin(g)
    front = (tw["retina_on"] - tw["retina_off"]).reshape(-1, 32, 32)
    bank = devalois.random_gabor_bank(300, 32, seed=2)
    top = devalois.GRATING_SF[-1]
    on_pixels = devalois.preferences(devalois.bank_responses(bank, g), p["orientation"],
                                     p["spatial_frequency"])[1]
    behind = devalois.preferences(devalois.bank_responses(bank, front), p["orientation"],
                                  p["spatial_frequency"])[1]
    assert np.mean(on_pixels == top) > 0.04
    assert np.mean(behind == top) < 0.01


def test_t7_measures_v1_on_a_rebuild_and_the_bank_behind_the_retina(full_pathway):
    """The protocol's T7 block on one phase of the gratings: the circuit's V1 rebuilt
    alone responds, its preferences spread over the grating orientations, and the bank
    behind the retina loses the highest frequency the pixel bank keeps."""
    t7, behind = protocol_t7._measure_t7({"mcculloch_pitts": full_pathway}, phases=1,
                                         n_boot=5, homeostasis=False, seed=0)
    got = t7["mcculloch_pitts"]
    assert got["n_gratings"] == 12 * len(devalois.GRATING_SF)
    n_v1 = sum(full_pathway.circuit.populations[p].n for p in full_pathway.recorded("v1"))
    assert 0.5 * n_v1 < got["n"][0] <= n_v1                 # most V1 cells respond
    orientation, sf = got["preferences"]["model"]
    assert np.unique(orientation).size >= 8
    assert np.isin(sf, devalois.GRATING_SF).all()
    assert not np.any(behind["preferences"][1] == devalois.GRATING_SF[-1])
    assert np.any(got["preferences"]["bank"][1] == devalois.GRATING_SF[-1])
    assert 0 < behind["orientation"] < 0.2 and behind["sf"] > got["sf"][1]
