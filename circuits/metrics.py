"""Comparing representations: CKA, RSA, predictivity, decoding, and their statistics.

Every function takes feature arrays of shape ``(n_images, n_units)`` whose rows
are the same images in the same order (an array of shape ``(n_images, ...)`` is
flattened to that). Nothing here knows where the features come from: a circuit
area's spike counts, a CNN block, HMAX or pixels.

Similarity of two representations (``docs``: the visual-pathway plan, section 4):

* :func:`cka`: debiased linear centred kernel alignment (Kornblith et al. 2019) built
  on the unbiased HSIC estimator of Song et al. (2012); :func:`cka_matrix` for every
  pair of two sets of representations;
* :func:`rdm`, :func:`rsa`: representational dissimilarity matrices ``1 - Pearson r``
  compared by Spearman correlation (Kriegeskorte et al. 2008);
* :func:`predictivity`: Brain-Score-style neural predictivity, partial least squares
  regression from a model's features to each neuron, normalised by the neurons'
  split-half reliability (:func:`split_half_reliability`).

Statistics: :func:`bootstrap` (confidence intervals over images, by half-sampling)
and :func:`resampling_p` (its one-sided p-value for a difference),
:func:`permutation_test` and :func:`cka_permutation_test` (nulls from shuffled image
correspondence), :func:`best_block` (choose each area's best model block on one
half of the images, score it on the other), :func:`hierarchy_score` (Spearman
correlation between area index and best-block index), :func:`decode` (cross-validated
logistic regression of categories), :func:`category_selectivity` (each neuron's share of
response variance explained by category, eta squared).

The functions live in one module per concept, and every public name is importable
from here: :mod:`circuits.metrics_similarity` (CKA, RSA), :mod:`circuits.metrics_decoding`
(predictivity, reliability, decoding, category selectivity) and
:mod:`circuits.metrics_stats` (resampling, permutation tests, best blocks, hierarchy).

References
----------
Song, L., Smola, A., Gretton, A., Bedo, J. & Borgwardt, K. (2012). Feature selection via
dependence maximization. JMLR 13, 1393-1434.
Kornblith, S., Norouzi, M., Lee, H. & Hinton, G. (2019). Similarity of neural network
representations revisited. ICML.
Kriegeskorte, N., Mur, M. & Bandettini, P. (2008). Representational similarity analysis.
Front. Syst. Neurosci. 2, 4.
Schrimpf, M. et al. (2018). Brain-Score: which artificial neural network for object
recognition is most brain-like? bioRxiv 407007.
"""
from . import metrics_decoding as _decoding
from .metrics_decoding import (Predictivity, category_selectivity, decode, predictivity,
                               spearman_brown, split_half_reliability)
from .metrics_similarity import (cka, cka_matrix, features_2d, hsic_unbiased, rdm, rsa,
                                 unbiased_centered_gram)
from .metrics_stats import (BestBlock, best_block, bootstrap, cka_permutation_test,
                            hierarchy_score, permutation_test, resampling_p)

__all__ = ["features_2d", "unbiased_centered_gram", "hsic_unbiased", "cka", "cka_matrix",
           "rdm", "rsa", "split_half_reliability", "spearman_brown", "predictivity",
           "Predictivity", "bootstrap", "resampling_p", "permutation_test", "cka_permutation_test",
           "best_block", "BestBlock", "hierarchy_score", "decode", "category_selectivity"]

# private helpers of predictivity that tests/circuits/test_metrics.py checks directly
_principal_axes = _decoding._principal_axes
_reduce_to_train_span = _decoding._reduce_to_train_span
