"""Measures of the pathway's responses: tuning, phase sensitivity, tolerance, decoding.

All functions take plain arrays (``responses[stimulus, neuron]``), so they serve
the spiking readout (:meth:`circuits.pathway.Responses.activity`), the rate twin and
pixels alike.
"""
import numpy as np

__all__ = ["orientation_tuning", "orientation_selectivity", "modulation_ratio",
           "tolerance", "decode", "without_inhibition", "inhibition_ablation",
           "sparseness"]


def orientation_tuning(responses, orientations):
    """Mean response at each orientation.

    Parameters
    ----------
    responses : ndarray, shape (n_stimuli, n_neurons)
    orientations : ndarray, shape (n_stimuli,)
        Orientation of each stimulus, in degrees; other parameters (phase...)
        are averaged over.

    Returns
    -------
    levels : ndarray
        The distinct orientations, sorted.
    curves : ndarray, shape (n_levels, n_neurons)
    """
    orientations = np.round(np.asarray(orientations, float) % 180.0, 6)
    levels = np.unique(orientations)
    curves = np.stack([responses[orientations == o].mean(0) for o in levels])
    return levels, curves


def orientation_selectivity(curves, levels):
    """Preferred orientation and selectivity index of tuning curves.

    ``OSI = (R_pref - R_orth) / (R_pref + R_orth)`` with ``R_orth`` the response
    90 degrees away from the preferred orientation (the nearest level).

    Returns
    -------
    preferred : ndarray of float (degrees), osi : ndarray of float
    """
    curves = np.asarray(curves, float)
    levels = np.asarray(levels, float)
    k = curves.argmax(0)
    orth = np.array([np.argmin(np.abs(((levels - levels[i] - 90.0) + 90.0) % 180.0 - 90.0))
                     for i in range(len(levels))])[k]
    cols = np.arange(curves.shape[1])
    rp, ro = curves[k, cols], curves[orth, cols]
    return levels[k], (rp - ro) / np.maximum(rp + ro, 1e-12)


def modulation_ratio(responses, phases):
    """F1/F0 of responses to phase-stepped gratings (Skottun et al. 1991).

    Parameters
    ----------
    responses : ndarray, shape (n_phases, n_neurons)
        Responses at evenly spaced phases covering a full cycle.
    phases : ndarray, shape (n_phases,)
        In degrees.

    Returns
    -------
    ndarray
        ``F1 / F0`` per neuron: above 1 for simple cells, below for complex cells.
    """
    r = np.asarray(responses, float)
    ph = np.deg2rad(np.asarray(phases, float))
    f0 = r.mean(0)
    f1 = 2 * np.abs((r * np.exp(1j * ph)[:, None]).mean(0))
    return f1 / np.maximum(f0, 1e-12)


def tolerance(a, b):
    """How much a population's response pattern survives a transformation.

    ``a[k]`` and ``b[k]`` are responses (one row per stimulus) to stimulus ``k``
    and to its transformed version (shifted, rescaled). Returns the mean Pearson
    correlation over ``k`` of the two population vectors, each centred by the
    neurons' mean response over all stimuli of ``a`` and ``b``.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    mu = np.concatenate([a, b]).mean(0)
    a, b = a - mu, b - mu
    num = (a * b).sum(1)
    den = np.sqrt((a * a).sum(1) * (b * b).sum(1)) + 1e-12
    return float(np.mean(num / den))


def decode(features, labels, folds=4, seed=0, C=0.1):
    """Cross-validated category decoding accuracy.

    scikit-learn's ``LogisticRegression`` on standardised features when it is
    installed, else a nearest-centroid classifier (numpy) on standardised
    features; stratified folds drawn from ``seed``.

    Returns
    -------
    float
        Mean accuracy over the test folds.
    """
    x = np.asarray(features, float).reshape(len(labels), -1)
    y = np.asarray(labels)
    rng = np.random.default_rng(seed)
    fold = np.empty(len(y), dtype=np.int64)
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        fold[idx] = np.arange(idx.size) % folds
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        LogisticRegression = None
    acc = []
    for f in range(folds):
        tr, te = fold != f, fold == f
        mu, sd = x[tr].mean(0), x[tr].std(0) + 1e-9
        xtr, xte = (x[tr] - mu) / sd, (x[te] - mu) / sd
        if LogisticRegression is not None:
            clf = LogisticRegression(C=C, max_iter=2000)
            pred = clf.fit(xtr, y[tr]).predict(xte)
        else:
            classes = np.unique(y[tr])
            cent = np.stack([xtr[y[tr] == c].mean(0) for c in classes])
            d = ((xte[:, None, :] - cent[None]) ** 2).sum(2)
            pred = classes[d.argmin(1)]
        acc.append(np.mean(pred == y[te]))
    return float(np.mean(acc))


def sparseness(responses):
    """Lifetime sparseness of each neuron over stimuli (Vinje & Gallant 2000).

    ``S = (1 - (mean r)^2 / mean(r^2)) / (1 - 1/n)``: 0 for a neuron that responds
    equally to every stimulus, 1 for one that responds to a single stimulus.
    Neurons that never respond are left out (NaN).
    """
    r = np.asarray(responses, float)
    n = r.shape[0]
    m1, m2 = r.mean(0), (r * r).mean(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = (1 - m1 ** 2 / m2) / (1 - 1.0 / n)
    return np.where(m2 > 0, s, np.nan)


def without_inhibition(pathway, keep=()):
    """A copy of ``pathway`` whose inhibitory projections are removed.

    Thresholds, gains and homeostatic biases stay as they were calibrated with the
    inhibition (an acute ablation, as when the interneurons are silenced), so the
    change of the rates and of the selectivity is what the inhibition did.
    ``keep``: names of inhibitory populations whose output is kept (e.g. the
    retina's gain control, ``("retina_pool",)``).
    """
    import copy
    from .pathway import Pathway
    c = copy.deepcopy(pathway.circuit)
    c.projections = [p for p in c.projections
                     if p.kind != "inhibitory" or p.source in keep]
    c.weights_changed()
    out = Pathway(c, pathway.config, model=pathway.model, backend=pathway.backend,
                  dt=pathway.dt, coding=pathway.coding, n_threads=pathway.n_threads,
                  copies=max(pathway.copies.values(), default=1), n_jobs=pathway.n_jobs)
    out.align = pathway.align
    return out


def inhibition_ablation(pathway, gratings, grating_orientations, images, trials=1,
                        keep=("retina_pool",)):
    """Measure what the inhibitory populations do: rates and selectivity, with and
    without them.

    Parameters
    ----------
    pathway : circuits.pathway.Pathway
    gratings : ndarray, shape (n, size, size)
        Gratings for the orientation selectivity of V1 simple and complex cells.
    grating_orientations : ndarray, shape (n,)
    images : ndarray, shape (m, size, size)
        Images (e.g. objects) for the rates and the lifetime sparseness of every
        area's output.
    trials : int, optional
    keep : sequence of str, optional
        Inhibitory populations left in place (default the retina's contrast gain
        control, which sets the input range rather than selectivity).

    Returns
    -------
    dict
        ``{area: {"rate": (with, without), "sparseness": (with, without)}}`` for the
        output populations of every area past the retina (rates in spikes per step,
        mean over neurons and images; sparseness median over responsive neurons),
        and ``"osi"``: ``{population: (with, without)}`` median orientation
        selectivity index of the V1 simple and complex cells.
    """
    ablated = without_inhibition(pathway, keep)
    result = {}
    areas = [a for a in pathway.areas if a != "retina"]
    v1 = [n for n in pathway.populations if n.startswith(("v1_simple", "v1_complex"))]
    outs = [n for a in areas for n in pathway.outputs(a)]
    for tag, pw in (("with", pathway), ("without", ablated)):
        r = pw.present(images, trials=trials, populations=outs)
        for a in areas:
            act = r.area_activity(a)
            d = result.setdefault(a, {"rate": [None, None], "sparseness": [None, None]})
            k = 0 if tag == "with" else 1
            d["rate"][k] = float(act.mean())
            d["sparseness"][k] = float(np.nanmedian(sparseness(act)))
        if v1:
            g = pw.present(gratings, trials=trials, populations=v1)
            for n in v1:
                levels, curves = orientation_tuning(g.activity(n), grating_orientations)
                osi = orientation_selectivity(curves, levels)[1]
                result.setdefault("osi", {}).setdefault(n, [None, None])[
                    0 if tag == "with" else 1] = float(np.nanmedian(osi))
    return {k: ({kk: tuple(vv) for kk, vv in v.items()}) for k, v in result.items()}
