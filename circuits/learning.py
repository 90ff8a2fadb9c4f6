"""Unsupervised STDP features: a winner-take-all layer learning from latency-coded patches.

After Masquelier & Thorpe (2007) and Kheradpisheh et al. (2018). Each training image
gives patches (e.g. V1 complex-cell responses at a position, :mod:`circuits.layers`);
each patch is shown once, latency-coded, to ``n_features`` LIF neurons through plastic
``ns.STDP`` synapses (additive, hard bounds ``[0, w_max]``), with a winner-take-all
among them (:mod:`circuits.learning_spikes`). The winner's synapses from inputs that
fired before it are potentiated, the others depressed, so each neuron converges on a
pattern that recurs in the patches, and the winner-take-all spreads the neurons over
different patterns. With ``STDPParams(neuron="mcculloch_pitts")`` the feature
neurons are binary McCulloch-Pitts units on a binary code, and the same STDP over
steps becomes competitive Hebbian learning (:mod:`circuits.learning_spikes`).

**Weight sharing.** Kheradpisheh et al.'s convolutional layers share one set of
weights across positions. Here one set of feature neurons learns from patches drawn
from every position; the learned weights are then copied into the convolutional
templates of the pathway (:mod:`circuits.learning_pathway`), which applies them at
every position: the same features everywhere, learned with one winner per patch
(a winner-take-all within a position) rather than Kheradpisheh et al.'s
inhibition across positions within one image.

**Stopping.** Kheradpisheh et al.'s convergence measure, the mean over weights of
``w (1 - w)`` (weights as fractions of ``w_max``), falls as the weights leave their
initial values (0.8 +- 0.05 gives 0.16) for the bounds (0 at both). Learning stops
after the first image at which it is below ``convergence_threshold``, or after
``max_images`` images (the training images cycled in a seeded order), whichever
comes first.
"""
from dataclasses import dataclass

import numpy as np

import neurosim as ns
from neurosim.units import ms

from .learning_spikes import NEURONS, Presenter, SlotTiming, check_fields, stdp_bound

__all__ = ["STDPParams", "FeatureLearning", "convergence", "learn_features", "feature_responses"]

#: Bins of the weight histograms recorded during learning (fractions of ``w_max``).
HISTOGRAM_BINS = np.linspace(0.0, 1.0, 21)


@dataclass(frozen=True)
class STDPParams:
    """Parameters of STDP feature learning (defaults: Kheradpisheh et al. 2018's scale).

    Attributes
    ----------
    a_plus, a_minus : float
        Potentiation and depression per pair, fractions of ``w_max`` (additive).
    tau_plus, tau_minus : float
        STDP windows, in seconds.
    threshold : float
        Firing threshold as a fraction of a patch's mean drive at the initial weights:
        the sum over its inputs of their activity relative to the patch's largest,
        averaged over the patches shown, times ``initial_mean`` (inputs weighted by
        intensity, so a patch's few strong inputs count more than its many weak ones).
    patches_per_image : int
        Patches drawn from each image (the strongest by summed activity).
    max_images : int
        Images shown at most.
    convergence_threshold : float
        Learning stops once :func:`convergence` is below this.
    initial_mean, initial_sd : float
        Initial weights, drawn from a normal distribution clipped to ``[0, 1]``.
    adaptation : float
        Homeostasis: each win raises the winner's threshold by this fraction of the
        threshold (Diehl & Cook 2015), so that one neuron cannot take every pattern.
    adaptation_decay : float
        The raised thresholds relax back with this time constant, in presentations.
    neuron : {'lif', 'mcculloch_pitts'}
        The feature neurons: LIF neurons on a latency code, or McCulloch-Pitts units
        on a binary code (:mod:`circuits.learning_spikes`); for binary units the
        threshold is a fraction of the mean number of active inputs (times
        ``initial_mean``) and the homeostasis lowers a unit's sum in the competition.
    min_fraction : float or None
        Inputs below this fraction of a patch's largest activity fire only in the last
        volley (:func:`circuits.learning_spikes.latency_code`); for binary units the
        others are the active ones. None: 0.05 for LIF neurons, 0.5 for binary units
        (their IT decoding on seed-700 objects: 0.598 at 0.5, 0.594 at 0.3).
    """

    a_plus: float = 0.02
    a_minus: float = 0.03
    tau_plus: float = 20e-3
    tau_minus: float = 20e-3
    threshold: float = 0.5
    patches_per_image: int = 8
    max_images: int = 256
    convergence_threshold: float = 0.02
    initial_mean: float = 0.8
    initial_sd: float = 0.05
    adaptation: float = 0.05
    adaptation_decay: float = 50.0
    neuron: str = "lif"
    min_fraction: float = None

    def __post_init__(self):
        if self.neuron not in NEURONS:
            raise ValueError(f"neuron={self.neuron!r} must be one of {NEURONS}")
        if self.min_fraction is not None and not 0 < self.min_fraction <= 1:
            raise ValueError(f"min_fraction={self.min_fraction!r} must lie in (0, 1]")
        for field in ("a_plus", "a_minus"):
            value = getattr(self, field)
            if not np.isfinite(value) or not 0 < value < 1:
                raise ValueError(f"{field}={value!r} must lie in (0, 1) (a fraction of w_max)")
        check_fields(self, positive=("tau_plus", "tau_minus", "threshold",
                                     "convergence_threshold", "adaptation_decay"),
                     non_negative=("adaptation",), counts=("patches_per_image", "max_images"))
        if not 0 <= self.initial_mean <= 1 or not 0 <= self.initial_sd < 1:
            raise ValueError(f"initial_mean={self.initial_mean!r} must lie in [0, 1] and "
                             f"initial_sd={self.initial_sd!r} in [0, 1)")

    @property
    def active_fraction(self):
        """``min_fraction``, or its default for the neuron."""
        if self.min_fraction is not None:
            return self.min_fraction
        return 0.05 if self.neuron == "lif" else 0.5


@dataclass
class FeatureLearning:
    """What STDP feature learning produced, and how it got there.

    Attributes
    ----------
    weights : ndarray, shape (n_features, n_inputs)
        Final weights, fractions of ``w_max``.
    convergence : ndarray, shape (n_images + 1,)
        :func:`convergence` before learning and after each image.
    histograms : ndarray, shape (n_images + 1, len(HISTOGRAM_BINS) - 1)
        Weight histograms (counts) at the same moments.
    winners : ndarray of int, shape (n_presentations,)
        The winning feature of each patch (-1: none fired).
    images_seen : int
    stopped : str
        ``"converged"`` or ``"max_images"``.
    """

    weights: np.ndarray
    convergence: np.ndarray
    histograms: np.ndarray
    winners: np.ndarray
    images_seen: int
    stopped: str


def convergence(weights):
    """Kheradpisheh et al.'s convergence measure: mean of ``w (1 - w)``, ``w`` in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> float(convergence(np.array([0.0, 1.0, 0.5])))
    0.08333333333333333
    """
    w = np.asarray(weights, float)
    return float(np.mean(w * (1 - w)))


def _chosen_patches(patches, params, seed):
    """The patch vectors in presentation order, ``(n_images_shown, k, L)``.

    Images are cycled in a seeded order up to ``max_images``; from each, the
    ``patches_per_image`` strongest patches (summed activity), in a seeded order.
    """
    rng = np.random.default_rng(seed)
    n_img = patches.shape[0]
    order = np.concatenate([rng.permutation(n_img)
                            for _ in range(-(-params.max_images // n_img))])[:params.max_images]
    k = min(params.patches_per_image, patches.shape[1])
    out = []
    for i in order:
        energy = patches[i].sum(axis=1)
        strong = np.argsort(-energy, kind="stable")[:k]
        out.append(patches[i][rng.permutation(strong)])
    return np.stack(out)


def _check_patches(patches, n_features):
    x = np.asarray(patches, float)
    if x.ndim != 3 or x.shape[0] < 1 or x.shape[1] < 1 or x.shape[2] < 2:
        raise ValueError(f"patches has shape {x.shape}; expected (n_images, n_patches, "
                         "n_inputs) with n_inputs >= 2")
    if not np.all(np.isfinite(x)) or np.any(x < 0):
        raise ValueError("patches must be finite and non-negative (activities)")
    if not np.any(x > 0):
        raise ValueError("patches are all zero: no input would ever spike")
    if not isinstance(n_features, (int, np.integer)) or n_features < 2:
        raise ValueError(f"n_features={n_features!r} must be an integer >= 2 (a "
                         "winner-take-all needs competitors)")
    return x


def learn_features(patches, n_features, params=None, timing=None, seed=0):
    """Learn ``n_features`` features from patches by STDP with a winner-take-all.

    Parameters
    ----------
    patches : ndarray, shape (n_images, n_patches, n_inputs)
        Non-negative activities of every patch of every training image.
    n_features : int
        Feature neurons, >= 2.
    params : STDPParams, optional
    timing : SlotTiming, optional
        Of the presentations (:mod:`circuits.learning_spikes`).
    seed : int, optional
        Draws the initial weights and the order of images and patches: the same
        seed and patches give the same weights.

    Returns
    -------
    FeatureLearning
    """
    params = params or STDPParams()
    timing = timing or SlotTiming()
    x = _check_patches(patches, n_features)
    shown = _chosen_patches(x, params, seed)
    n_img, k, n_in = shown.shape
    rng = np.random.default_rng([seed, 1])
    initial = np.clip(rng.normal(params.initial_mean, params.initial_sd, (n_features, n_in)),
                      0, 1)
    rel = shown / np.maximum(shown.max(axis=2, keepdims=True), 1e-300)
    # what a neuron sums at the initial weights: the inputs weighted by intensity
    # (latency code), or the active inputs (binary code); w_max is 1 in either unit
    drive = rel if params.neuron == "lif" else rel >= params.active_fraction
    threshold = params.threshold * drive.sum(axis=2).mean() * params.initial_mean
    rule = ns.STDP(tau_plus=params.tau_plus * 1e3 * ms, tau_minus=params.tau_minus * 1e3 * ms,
                   a_plus=params.a_plus, a_minus=params.a_minus,
                   w_max=stdp_bound(params.neuron))
    layer = Presenter(shown.reshape(-1, n_in), n_features, rule, initial, threshold, timing,
                      min_fraction=params.active_fraction, seed=seed, neuron=params.neuron)
    w = layer.weights
    history, hists, winners = [convergence(w)], [np.histogram(w, HISTOGRAM_BINS)[0]], []
    stopped = "max_images"
    relax = np.exp(-1.0 / params.adaptation_decay)
    for _ in range(n_img):
        for _ in range(k):
            layer.present()
            winners.append(layer.winner)
            layer.offset *= relax
            if layer.winner >= 0:
                layer.offset[layer.winner] += params.adaptation * threshold
        layer.settle()
        w = layer.weights
        history.append(convergence(w))
        hists.append(np.histogram(w, HISTOGRAM_BINS)[0])
        if history[-1] < params.convergence_threshold:
            stopped = "converged"
            break
    return FeatureLearning(w, np.array(history), np.stack(hists), np.array(winners),
                           len(history) - 1, stopped)


def feature_responses(weights, vectors):
    """How well each learned feature matches each vector: the cosine similarity.

    A rate-free summary of selectivity (the spiking layer's winner follows the same
    order for inputs of similar strength).

    Parameters
    ----------
    weights : ndarray, shape (n_features, n_inputs)
    vectors : ndarray, shape (n_vectors, n_inputs)

    Returns
    -------
    ndarray, shape (n_vectors, n_features)
    """
    w = np.asarray(weights, float)
    v = np.asarray(vectors, float)
    wn = w / np.maximum(np.linalg.norm(w, axis=1, keepdims=True), 1e-12)
    vn = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    return vn @ wn.T
