"""The comparison protocol's statistics beyond :mod:`circuits.metrics`.

Per-image correlations (T0), cross-validated per-image correctness of category
decoding (the decoding curves, T4), and T6's predictivity difference with its
positive control.
"""
import numpy as np

from . import metrics

__all__ = []      # the protocol's own helpers; the public statistics are in circuits.metrics


def _per_image_r(a, b):
    """Pearson r across units, per image (rows)."""
    a = a - a.mean(1, keepdims=True)
    b = b - b.mean(1, keepdims=True)
    den = np.sqrt((a * a).sum(1) * (b * b).sum(1))
    return np.divide((a * b).sum(1), den, out=np.zeros(len(a)), where=den > 0)


def _folds(labels):
    """Cross-validation folds: 5, or as many as the smallest category has images."""
    counts = np.bincount(labels)
    return int(min(5, counts[counts > 0].min()))


def _cv_correct(x, labels, repeats=1, seed=0):
    """Fraction of repeats in which each image is classified correctly by
    cross-validated logistic regression (the pipeline of :func:`metrics.decode`, with
    the standardised features rotated to their principal axes, which leaves the
    L2-penalised classifier unchanged and makes it fast)."""
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    x = metrics.features_2d(x)
    k = _folds(labels)
    if k < 2 or not np.any(x.std(0) > 0):
        return np.full(len(labels), np.nan if k < 2 else 1.0 / len(np.unique(labels)))
    correct = np.zeros(len(labels))
    for r in range(repeats):
        # the L2-penalised solution lies in the span of the training rows, so their
        # principal axes (all of them) give the same classifier with few columns
        model = make_pipeline(StandardScaler(), PCA(svd_solver="full"),
                              LogisticRegression(C=1.0, max_iter=2000))
        folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed + r)
        correct += cross_val_predict(model, x, labels, cv=folds) == labels
    return correct / repeats


def _reduce(x):
    """Rows in their principal axes (exact for PLS, a rotation of the centred rows)."""
    x = metrics.features_2d(x)
    u, s, _ = np.linalg.svd(x - x.mean(0), full_matrices=False)
    keep = s > s[0] * 1e-10 if s.size and s[0] > 0 else np.zeros(s.size, bool)
    return u[:, keep] * s[keep]


def _t6_statistic(y, labels, srcs_it, srcs_v1, reliability=None, seed=0, n_splits=10,
                  per_neuron=False):
    """T6's statistic: the predictivity of the responses ``y`` (images x neurons) from a
    trained CNN's IT block minus from its V1 block, averaged over the CNNs
    (``srcs_it[j]``, ``srcs_v1[j]``: CNN ``j``'s blocks, :func:`_reduce`); each neuron's
    ``reliability`` is its ceiling (:func:`metrics.predictivity`; None for noise-free
    responses). With ``per_neuron``, returns ``(statistic, predictivity from IT alone,
    each responsive neuron's r from IT minus from V1)``, averaged over splits and CNNs."""
    y = metrics.features_2d(y)
    ok = y.std(0) > 0
    y = y[:, ok]
    rel = None if reliability is None else np.asarray(reliability)[ok]
    # 90/10 splits; at least one test image per category on small samples
    ts = max(0.1, 8.0 / len(y))
    score, from_it, r_diff = [], [], []
    for a, b in zip(srcs_it, srcs_v1):
        pa, pb = (metrics.predictivity(src, y, labels, rel, n_splits=n_splits, test_size=ts,
                                       seed=seed) for src in (a, b))
        score.append(pa.score - pb.score)
        from_it.append(pa.score)
        r_diff.append(pa.r - pb.r)
    if per_neuron:
        return float(np.mean(score)), float(np.mean(from_it)), np.mean(r_diff, 0)
    return float(np.mean(score))


def _t6_positive_control(features, labels, seed=0):
    """T6's statistic on populations known to be IT-like: each trained CNN's IT block
    predicted from another seed's IT block minus from its V1 block (noise-free, so no
    reliability ceiling). Shows that the test can tell an IT-like population from a
    V1-like one on these images.

    Parameters
    ----------
    features : sequence of dict
        Per CNN, ``{"IT": (n_images, ...), "V1": (n_images, ...)}``; at least two.
    labels : ndarray of int, shape (n_images,)

    Returns
    -------
    ndarray
        The difference for each ordered pair of different CNNs.
    """
    sources = [{blk: _reduce(f[blk]) for blk in ("IT", "V1")} for f in features]
    return np.array([_t6_statistic(target["IT"], labels, [src["IT"]], [src["V1"]],
                                   seed=seed)
                     for k, target in enumerate(features)
                     for j, src in enumerate(sources) if j != k])
