"""V1 preferences against De Valois et al. (1982): target T7 of the visual-pathway protocol.

The data are the published histograms of macaque V1:

* preferred orientation, De Valois, Yund & Hepler (1982), Vision Res. 22, 531-544:
  385 cells in four 45-degree bins centred on 0, 45, 90 and 135 degrees;
* peak spatial frequency, De Valois, Albrecht & Thorell (1982), Vision Res. 22,
  545-559: 363 cells (simple and complex, foveal and parafoveal, summed) in
  half-octave bins from 0.35 to 22.4 cycles per degree;

as digitised by Marques, Schrimpf & DiCarlo (2021) for Brain-Score's V1 benchmarks.
A model's preferences are read from its responses to gratings (the orientation and
spatial frequency of its strongest mean response over phases) and compared with the
histograms by the Kolmogorov-Smirnov distance to the data's distribution (uniform
within each bin, in log2 for spatial frequency), the statistic of Marques et al.

A model image has no size in degrees. The spatial-frequency distance is therefore
taken at each model's best scale (pixels per degree, on a grid): the comparison asks
whether the model has the data's spread of peak frequencies, not whether its pixels
have a particular size; :func:`sf_distance` reports the scale it chose.
"""
import numpy as np

from . import hmax

ORIENTATION_EDGES = np.linspace(-22.5, 157.5, 5)
ORIENTATION_COUNTS = np.array([110, 83, 100, 92])
SF_EDGES = np.array([0.35, 0.5, 0.7, 1.0, 1.4, 2.0, 2.8, 4.0, 5.6, 8.0, 11.2, 16.0, 22.4])
SF_COUNTS = np.array([3, 10, 15, 31, 57, 62, 67, 63, 31, 15, 5, 4])
# the gratings of the measurement: half-octave steps from 16 to 2.8 pixels per cycle
GRATING_SF = 2.0 ** np.arange(-4.0, -1.25, 0.5)
GRATING_ORIENTATIONS = 12
# the scales tried for the spatial frequencies (pixels per degree), 1/16 octave apart
PIXELS_PER_DEGREE = 2.0 ** np.arange(0.0, 7.0 + 1e-9, 1.0 / 16)


def _binned_cdf(x, edges, counts):
    """CDF at ``x`` of a histogram whose mass is uniform within each bin."""
    cum = np.concatenate([[0.0], np.cumsum(counts) / np.sum(counts)])
    return np.interp(x, edges, cum)


def ks_distance(sample, edges, counts, log=False):
    """Kolmogorov-Smirnov distance between a sample and a histogram.

    Parameters
    ----------
    sample : array_like
        The model's values (degrees, or cycles per degree when ``log``).
    edges, counts : ndarray
        Bin edges and counts of the data.
    log : bool, optional
        Mass uniform in log2 within each bin (spatial frequency) instead of linearly.

    Returns
    -------
    float
        ``max |F_sample - F_data|``, in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from circuits import devalois
    >>> round(devalois.ks_distance([0.0, 45.0, 90.0, 135.0],
    ...                            devalois.ORIENTATION_EDGES, [1, 1, 1, 1]), 3)
    0.125
    """
    x = np.sort(np.asarray(sample, float))
    if x.size == 0:
        return 1.0
    e = np.asarray(edges, float)
    if log:
        x, e = np.log2(x), np.log2(e)
    f = _binned_cdf(x, e, counts)
    n = x.size
    # the empirical CDF jumps at each value: compare just before and at each one
    above = np.searchsorted(x, x, side="right") / n - f
    below = f - np.searchsorted(x, x, side="left") / n
    return float(max(above.max(), below.max()))


def preferences(responses, orientation, spatial_frequency, threshold=0.0):
    """Preferred orientation and peak spatial frequency of each neuron.

    Parameters
    ----------
    responses : ndarray, shape (n_stimuli, n_neurons)
        Responses to gratings (any phases, averaged over).
    orientation, spatial_frequency : ndarray, shape (n_stimuli,)
        Of each grating: degrees, cycles per pixel.
    threshold : float, optional
        Neurons whose strongest mean response does not exceed it are left out.

    Returns
    -------
    orientation : ndarray
        Preferred orientation of each responsive neuron, degrees in [-22.5, 157.5)
        (the bins of the data).
    spatial_frequency : ndarray
        Peak spatial frequency, cycles per pixel.

    Examples
    --------
    >>> import numpy as np
    >>> from circuits import devalois
    >>> ori = np.array([0.0, 90.0, 0.0, 90.0])
    >>> sf = np.array([0.1, 0.1, 0.2, 0.2])
    >>> r = np.array([[1.0, 0.0], [0.0, 0.0], [3.0, 0.0], [0.0, 0.0]])
    >>> devalois.preferences(r, ori, sf)
    (array([0.]), array([0.2]))
    """
    responses = np.asarray(responses, float)
    ori = np.round(np.asarray(orientation, float) % 180.0, 6)
    sf = np.asarray(spatial_frequency, float)
    cells = [(o, f) for o in np.unique(ori) for f in np.unique(sf)]
    table = np.stack([responses[(ori == o) & (sf == f)].mean(0) for o, f in cells])
    best = np.argmax(table, axis=0)
    keep = table.max(axis=0) > threshold
    o, f = np.array(cells).T
    pref = o[best][keep]
    return np.where(pref >= ORIENTATION_EDGES[-1], pref - 180.0, pref), f[best][keep]


def sf_distance(peak_sf, pixels_per_degree=PIXELS_PER_DEGREE):
    """KS distance of peak spatial frequencies (cycles per pixel) from the data, at the
    best of the scales ``pixels_per_degree``. Returns ``(distance, scale)``.

    Examples
    --------
    >>> from circuits import devalois
    >>> d, ppd = devalois.sf_distance([0.25, 0.125])
    >>> 0 < d < 1 and ppd > 0
    True
    """
    peak_sf = np.asarray(peak_sf, float)
    d = [ks_distance(peak_sf * s, SF_EDGES, SF_COUNTS, log=True) for s in pixels_per_degree]
    k = int(np.argmin(d))
    return d[k], float(pixels_per_degree[k])


def random_gabor_bank(n, size, seed=0, sf_range=(GRATING_SF[0], GRATING_SF[-1])):
    """``n`` centred Gabor quadrature pairs with uniform random orientations and
    log-uniform random spatial frequencies over ``sf_range`` (cycles per pixel), the
    envelope of the circuit's V1 (``sigma = 0.4 wavelength``, aspect 0.7).

    Returns
    -------
    ndarray, shape (n, 2, size, size)
        Even and odd kernel of each filter.

    Examples
    --------
    >>> from circuits import devalois
    >>> devalois.random_gabor_bank(3, 16).shape
    (3, 2, 16, 16)
    """
    rng = np.random.default_rng(seed)
    ori = rng.uniform(0.0, 180.0, n)
    sf = np.exp(rng.uniform(np.log(sf_range[0]), np.log(sf_range[1]), n))
    even = hmax.gabor_kernels(ori, 1.0 / sf, 0.0, size=size)[0]
    odd = hmax.gabor_kernels(ori, 1.0 / sf, 90.0, size=size)[0]
    return np.stack([even, odd], axis=1)


def bank_responses(bank, images):
    """Quadrature energy of each filter of ``bank`` on each image (mean removed):
    ``(n_images, n_filters)``."""
    x = np.asarray(images, float)
    x = x - x.mean(axis=(1, 2), keepdims=True)
    lin = np.einsum("ihw,fqhw->ifq", x, bank)
    return np.sqrt((lin ** 2).sum(-1))


def compare(responses, params, bank_responses_, n_boot=200, seed=0):
    """Target T7: a model's distances from the data against a random Gabor bank's.

    Parameters
    ----------
    responses : ndarray, shape (n_gratings, n_neurons)
        The model's V1 responses to the gratings of ``params``.
    params : dict of ndarray
        ``orientation`` and ``spatial_frequency`` of each grating
        (:func:`circuits.stimuli.grating_set`).
    bank_responses_ : ndarray, shape (n_gratings, n_filters)
        The same gratings through :func:`random_gabor_bank` (:func:`bank_responses`).
    n_boot : int, optional
        Bootstrap resamples of neurons and filters for the confidence interval.
    seed : int, optional

    Returns
    -------
    dict
        ``orientation`` and ``sf``: ``(model distance, bank distance)``; ``sf_scale``:
        the pixels per degree each chose; ``n``: responsive neurons and filters;
        ``worst``: the larger of the two differences model - bank, and ``ci`` its
        95 % bootstrap interval. T7 holds when ``worst <= 0``. ``preferences``:
        ``{"model": (orientation, sf), "bank": (orientation, sf)}`` from
        :func:`preferences`.

    Examples
    --------
    >>> import numpy as np
    >>> from circuits import devalois, stimuli
    >>> g, p = stimuli.grating_set(16, orientations=12, spatial_frequencies=[0.125, 0.25],
    ...                            phases=2)
    >>> bank = devalois.bank_responses(devalois.random_gabor_bank(40, 16), g)
    >>> out = devalois.compare(bank, p, bank, n_boot=20)
    >>> out["orientation"][0] == out["orientation"][1]
    True
    """
    o_m, f_m = preferences(responses, params["orientation"], params["spatial_frequency"])
    o_b, f_b = preferences(bank_responses_, params["orientation"], params["spatial_frequency"])
    if o_m.size == 0:
        raise ValueError("no neuron responded to the gratings")

    def distances(om, fm, ob, fb):
        d_o = (ks_distance(om, ORIENTATION_EDGES, ORIENTATION_COUNTS),
               ks_distance(ob, ORIENTATION_EDGES, ORIENTATION_COUNTS))
        (dm, sm), (db, sb) = sf_distance(fm), sf_distance(fb)
        return d_o, (dm, db), (sm, sb)

    d_o, d_f, scale = distances(o_m, f_m, o_b, f_b)
    rng = np.random.default_rng(seed)
    worst = []
    for _ in range(n_boot):
        i = rng.integers(0, o_m.size, o_m.size)
        j = rng.integers(0, o_b.size, o_b.size)
        bo, bf, _ = distances(o_m[i], f_m[i], o_b[j], f_b[j])
        worst.append(max(bo[0] - bo[1], bf[0] - bf[1]))
    lo, hi = np.percentile(worst, [2.5, 97.5]) if worst else (np.nan, np.nan)
    return dict(orientation=d_o, sf=d_f, sf_scale=scale, n=(o_m.size, o_b.size),
                worst=max(d_o[0] - d_o[1], d_f[0] - d_f[1]), ci=(float(lo), float(hi)),
                preferences={"model": (o_m, f_m), "bank": (o_b, f_b)})
