"""Similarity of two representations: debiased linear CKA and RSA.

Every function takes feature arrays of shape ``(n_images, n_units)`` whose rows
are the same images in the same order (an array of shape ``(n_images, ...)`` is
flattened to that). :mod:`circuits.metrics` re-exports every public name.

* :func:`cka`: debiased linear centred kernel alignment (Kornblith et al. 2019) built
  on the unbiased HSIC estimator of Song et al. (2012); :func:`cka_matrix` for every
  pair of two sets of representations;
* :func:`rdm`, :func:`rsa`: representational dissimilarity matrices ``1 - Pearson r``
  compared by Spearman correlation (Kriegeskorte et al. 2008).

References
----------
Song, L., Smola, A., Gretton, A., Bedo, J. & Borgwardt, K. (2012). Feature selection via
dependence maximization. JMLR 13, 1393-1434.
Kornblith, S., Norouzi, M., Lee, H. & Hinton, G. (2019). Similarity of neural network
representations revisited. ICML.
Kriegeskorte, N., Mur, M. & Bandettini, P. (2008). Representational similarity analysis.
Front. Syst. Neurosci. 2, 4.
"""
import numpy as np
from scipy import stats

__all__ = ["features_2d", "unbiased_centered_gram", "hsic_unbiased", "cka", "cka_matrix",
           "rdm", "rsa"]


def features_2d(x, dtype=np.float64):
    """Features as a 2-D float array ``(n_images, n_units)``; trailing axes are flattened."""
    x = np.asarray(x, dtype=dtype)
    if x.ndim == 1:
        raise ValueError(f"features of shape {x.shape} must have at least 2 dimensions "
                         "(n_images, n_units)")
    return x.reshape(len(x), -1)


def _check_pair(x, y):
    x, y = features_2d(x), features_2d(y)
    if len(x) != len(y):
        raise ValueError(f"the two representations have {len(x)} and {len(y)} images; "
                         "their rows must be the same images")
    return x, y


# ---------------------------------------------------------------------------- CKA
def unbiased_centered_gram(x):
    """The linear Gram matrix of ``x``, centred so that its inner products are unbiased HSIC.

    With ``K = x x^T`` (diagonal set to zero), the returned ``Kc`` satisfies
    ``sum(Kc * Lc) / (n (n - 3)) = HSIC_1(K, L)``, the unbiased estimator of
    Song et al. (2012, eq. 5):

    .. math::

        \\mathrm{HSIC}_1 = \\frac{1}{n(n-3)} \\Big[ \\mathrm{tr}(\\tilde K \\tilde L)
        + \\frac{\\mathbf 1^T \\tilde K \\mathbf 1 \\, \\mathbf 1^T \\tilde L \\mathbf 1}
        {(n-1)(n-2)} - \\frac{2}{n-2} \\mathbf 1^T \\tilde K \\tilde L \\mathbf 1 \\Big]

    (the centring of Kornblith et al. 2019, their code's ``center_gram(unbiased=True)``).
    Needs at least 4 images.
    """
    x = features_2d(x)
    n = len(x)
    if n < 4:
        raise ValueError(f"the unbiased HSIC needs at least 4 images; got {n}")
    x = x - x.mean(axis=0)               # HSIC_1 is unchanged; the sums stay small
    k = x @ x.T
    np.fill_diagonal(k, 0.0)
    means = k.sum(axis=0) / (n - 2)
    means -= means.sum() / (2 * (n - 1))
    k -= means[:, None]
    k -= means[None, :]
    np.fill_diagonal(k, 0.0)
    return k


def hsic_unbiased(x, y):
    """Unbiased HSIC (Song et al. 2012) of two representations with linear kernels."""
    x, y = _check_pair(x, y)
    n = len(x)
    return float(np.sum(unbiased_centered_gram(x) * unbiased_centered_gram(y))
                 / (n * (n - 3)))


def _cka_from_grams(kc, lc):
    num = np.sum(kc * lc)
    den = np.sqrt(np.sum(kc * kc) * np.sum(lc * lc))
    return float(num / den) if den > 0 else 0.0


def cka(x, y):
    """Debiased linear CKA between two representations of the same images.

    ``HSIC_1(K, L) / sqrt(HSIC_1(K, K) HSIC_1(L, L))`` with linear kernels and the
    unbiased estimator (:func:`unbiased_centered_gram`). It is 1 for identical
    representations, invariant to orthogonal transforms and isotropic scaling of
    either one, and near 0 (not biased upwards, unlike the plain estimator when
    units outnumber images) for independent ones; it can be slightly negative.

    Parameters
    ----------
    x, y : array_like, shape (n_images, ...)
        Rows are the same images; the numbers of units may differ.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from circuits import metrics
    >>> x = np.random.default_rng(0).normal(size=(50, 20))
    >>> round(metrics.cka(x, 3 * x), 6)
    1.0
    """
    x, y = _check_pair(x, y)
    return _cka_from_grams(unbiased_centered_gram(x), unbiased_centered_gram(y))


def cka_matrix(xs, ys):
    """Debiased CKA between every representation of ``xs`` and every one of ``ys``.

    Parameters
    ----------
    xs, ys : dict of array_like or sequence of array_like
        E.g. circuit areas ``{"V1": ..., "IT": ...}`` and CNN blocks; every array has
        the same images as rows.

    Returns
    -------
    ndarray, shape (len(xs), len(ys))
        In the order of ``xs`` and ``ys`` (a dict's insertion order).
    """
    xs = list(xs.values()) if isinstance(xs, dict) else list(xs)
    ys = list(ys.values()) if isinstance(ys, dict) else list(ys)
    kx = [unbiased_centered_gram(x) for x in xs]
    ky = [unbiased_centered_gram(y) for y in ys]
    if len({len(k) for k in kx + ky}) > 1:
        raise ValueError("all representations must have the same number of images")
    return np.array([[_cka_from_grams(a, b) for b in ky] for a in kx])


# ---------------------------------------------------------------------------- RSA
def rdm(x):
    """Representational dissimilarity matrix: ``1 - Pearson r`` between images' patterns.

    Returns
    -------
    ndarray, shape (n_images, n_images)
        Zero diagonal; an image whose pattern is constant has dissimilarity 1 to all.
    """
    x = features_2d(x)
    x = x - x.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(x, axis=1)
    z = np.divide(x, norm[:, None], out=np.zeros_like(x), where=norm[:, None] > 0)
    d = 1.0 - z @ z.T
    np.fill_diagonal(d, 0.0)
    return d


def rsa(x, y):
    """Spearman correlation between the upper triangles of the RDMs of ``x`` and ``y``."""
    x, y = _check_pair(x, y)
    iu = np.triu_indices(len(x), k=1)
    return float(stats.spearmanr(rdm(x)[iu], rdm(y)[iu])[0])
