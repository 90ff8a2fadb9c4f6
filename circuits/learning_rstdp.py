"""Category units that learn by reward-modulated STDP (Mozafari et al. 2018).

Output neurons, ``n_per_category`` for each category, receive a feature vector (e.g.
the unsupervised IT's responses, V4's templates pooled over position), centred on its
training mean (:func:`normalise`) and latency-coded,
through plastic ``ns.RewardSTDP`` synapses, with a winner-take-all among them
(:mod:`circuits.learning_spikes`). The decision is the category of the first output
neuron to fire. Right after the decision the projection's dopamine level
(``syn.dopamine``) is set: ``+reward`` when the decision was the correct category,
``-punishment`` when it was wrong, nothing when no neuron fired. As in Mozafari et
al. (2018), the reward is scaled by the fraction of wrong decisions in the last pass
over the training vectors and the punishment by the fraction of right ones (chance
before the first pass): at chance, punishments outnumber rewards ``n - 1`` to one,
and unscaled they drove one neuron to win every vector (measured: 0.125 on 8
categories). Spike pairs have
tagged the winner's synapses (eligibility ``c``: inputs that fired before it
positively, those after it, the rest of the inputs included, negatively), so reward
applies STDP to the winner and punishment anti-STDP, as in Mozafari et al. (2018).

With ``tau_c`` = 20 ms and ``tau_d`` = 5 ms, the integral of ``c d`` after a
decision is about ``c * d * 4 ms``: a dopamine level of 250 Hz turns a full tag
(``c = a_plus``) into a change of about ``a_plus * w_max``. The tags and the
dopamine have decayed (to below 1 %) before the next presentation.
"""
import json
from dataclasses import asdict, dataclass

import numpy as np

import neurosim as ns
from neurosim.units import Hz, mV, second

from .learning_spikes import W_MAX_MV, Presenter, SlotTiming, check_fields

__all__ = ["RSTDPParams", "RewardLearning", "normalise", "train_category_units", "predict",
           "category_responses", "save_units", "load_units"]


@dataclass(frozen=True)
class RSTDPParams:
    """Parameters of the reward-modulated category units.

    Attributes
    ----------
    n_per_category : int
        Output neurons per category.
    a_plus, a_minus : float
        Eligibility per spike pair (``ns.RewardSTDP``'s), >= 0. ``a_minus`` is 0 by
        default: with ``a_minus = a_plus`` (and 4 units per category, 4 epochs), on
        the learned pathway's IT responses (8 categories), a punished winner's late
        inputs, most of them, were potentiated by anti-STDP until one unit won every
        image (held-out accuracy 0.09-0.14, chance 0.125); with 0, 0.33 (4 units, 6
        epochs) and 0.42 (2 units, 10 epochs).
    tau_plus, tau_minus, tau_c, tau_d : float
        STDP windows, eligibility and dopamine decay, seconds.
    reward, punishment : float
        Dopamine levels set after a correct and a wrong decision, Hz (>= 0;
        the punishment is applied negated).
    threshold : float
        Firing threshold as a fraction of a vector's mean drive at the initial
        weights (as :class:`circuits.learning.STDPParams`).
    epochs : int
        Passes over the training vectors (each in a new seeded order).
    initial_mean, initial_sd : float
        Initial weights (fractions of ``w_max``), normal, clipped to ``[0, 1]``.
    """

    n_per_category: int = 2
    a_plus: float = 0.05
    a_minus: float = 0.0
    tau_plus: float = 20e-3
    tau_minus: float = 20e-3
    tau_c: float = 20e-3
    tau_d: float = 5e-3
    reward: float = 250.0
    punishment: float = 250.0
    threshold: float = 0.5
    epochs: int = 10
    initial_mean: float = 0.8
    initial_sd: float = 0.05

    def __post_init__(self):
        check_fields(self, positive=("tau_plus", "tau_minus", "tau_c", "tau_d", "threshold"),
                     non_negative=("a_plus", "a_minus", "reward", "punishment"),
                     counts=("n_per_category", "epochs"))
        if not 0 <= self.initial_mean <= 1 or not 0 <= self.initial_sd < 1:
            raise ValueError(f"initial_mean={self.initial_mean!r} must lie in [0, 1] and "
                             f"initial_sd={self.initial_sd!r} in [0, 1)")


@dataclass
class RewardLearning:
    """Trained category units.

    Attributes
    ----------
    weights : ndarray, shape (n_categories * n_per_category, n_inputs)
        Fractions of ``w_max``; output neuron ``k`` codes category
        ``k // n_per_category``.
    centre, scale : ndarray, shape (n_inputs,)
        Each input's mean and standard deviation over the training vectors
        (:func:`normalise`).
    threshold : float
        Output neurons' threshold, mV.
    n_categories : int
    params : RSTDPParams
    correct : ndarray of bool, shape (n_presentations,)
        Whether each training presentation's decision was right (False: wrong or
        none).
    """

    weights: np.ndarray
    centre: np.ndarray
    scale: np.ndarray
    threshold: float
    n_categories: int
    params: RSTDPParams
    correct: np.ndarray


def _rule(params):
    ms = 1e-3 * second
    return ns.RewardSTDP(tau_plus=params.tau_plus * 1e3 * ms,
                         tau_minus=params.tau_minus * 1e3 * ms, a_plus=params.a_plus,
                         a_minus=params.a_minus, tau_c=params.tau_c * 1e3 * ms,
                         tau_d=params.tau_d * 1e3 * ms, w_max=W_MAX_MV * mV)


def _check(vectors, labels=None):
    x = np.asarray(vectors, float)
    if x.ndim != 2 or x.shape[1] < 2 or not np.all(np.isfinite(x)) or np.any(x < 0):
        raise ValueError(f"vectors must be a finite, non-negative (n, n_inputs >= 2) "
                         f"array; got shape {x.shape}")
    if labels is None:
        return x, None
    y = np.asarray(labels)
    if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer) or np.any(y < 0):
        raise ValueError(f"labels must be {len(x)} integers >= 0 (one category per "
                         f"vector); got shape {y.shape}, dtype {y.dtype}")
    if np.unique(y).size < 2:
        raise ValueError("labels hold a single category; need at least two")
    return x, y


def normalise(vectors, centre, scale):
    """What the category units see: each input's excess over its training mean, in
    training standard deviations, rectified.

    Raw IT responses share a common profile (some features strong for every image),
    so their latency code put the same inputs first for every image; subtracting the
    mean (a feedforward inhibition, as in the template layers) puts first what is
    distinctive of the image. An input constant over the training vectors gives 0.
    """
    safe = np.where(scale > 0, scale, 1.0)
    return np.where(scale > 0, np.maximum((vectors - centre) / safe, 0.0), 0.0)


def train_category_units(vectors, labels, params=None, timing=None, seed=0):
    """Train category units by reward-modulated STDP.

    Parameters
    ----------
    vectors : ndarray, shape (n, n_inputs)
        Non-negative feature vectors of the training images.
    labels : ndarray of int, shape (n,)
        Categories ``0 .. n_categories - 1``.
    params : RSTDPParams, optional
    timing : circuits.learning_spikes.SlotTiming, optional
    seed : int, optional
        Draws the initial weights and the presentation order.

    Returns
    -------
    RewardLearning
    """
    params = params or RSTDPParams()
    timing = timing or SlotTiming()
    x, y = _check(vectors, labels)
    centre, scale = x.mean(axis=0), x.std(axis=0)
    x = normalise(x, centre, scale)
    n_cat = int(y.max()) + 1
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(len(x)) for _ in range(params.epochs)])
    n_out = n_cat * params.n_per_category
    initial = np.clip(rng.normal(params.initial_mean, params.initial_sd,
                                 (n_out, x.shape[1])), 0, 1)
    rel = x / np.maximum(x.max(axis=1, keepdims=True), 1e-300)
    threshold = params.threshold * rel.sum(axis=1).mean() * params.initial_mean * W_MAX_MV
    layer = Presenter(x[order], n_out, _rule(params), initial, threshold, timing, seed=seed)
    correct = np.zeros(len(order), bool)
    hit = 1.0 / n_cat                       # before any decision: chance
    for k, label in enumerate(y[order]):
        layer.run_volley()
        if layer.winner >= 0:
            correct[k] = layer.winner // params.n_per_category == label
            # Mozafari et al.'s balance: reward scaled by the recent miss rate,
            # punishment by the hit rate, so that at chance the many punishments
            # do not swamp the few rewards
            level = (params.reward * (1 - hit) if correct[k]
                     else -params.punishment * hit)
            layer.synapses.dopamine = level * Hz
        layer.run_gap()
        if (k + 1) % len(x) == 0:
            layer.settle()
            hit = float(np.mean(correct[k + 1 - len(x):k + 1]))
    layer.settle()
    return RewardLearning(layer.weights, centre, scale, threshold, n_cat, params, correct)


def predict(learning, vectors, timing=None):
    """The category each vector's first output spike decides (-1: none fired), with
    learning off; neurons tied for first are told apart by their potential, as in
    training (:meth:`circuits.learning_spikes.Presenter.run_volley`).

    Parameters
    ----------
    learning : RewardLearning
    vectors : ndarray, shape (n, n_inputs)
    timing : circuits.learning_spikes.SlotTiming, optional

    Returns
    -------
    ndarray of int, shape (n,)
    """
    winners = _winners(learning, vectors, timing)
    return np.where(winners >= 0, winners // learning.params.n_per_category, -1)


def category_responses(learning, vectors, timing=None):
    """The category units' responses: 1 for the unit whose first spike decides a
    vector (the winner-take-all silences the others), 0 for the rest (all 0 when no
    unit fired); as :func:`predict`, with learning off.

    Parameters
    ----------
    learning : RewardLearning
    vectors : ndarray, shape (..., n_inputs)
        E.g. one per image and trial.
    timing : circuits.learning_spikes.SlotTiming, optional

    Returns
    -------
    ndarray, shape (..., n_units)
    """
    x = np.asarray(vectors, float)
    winners = _winners(learning, x.reshape(-1, x.shape[-1]), timing)
    out = np.zeros((len(winners), len(learning.weights)))
    fired = winners >= 0
    out[np.flatnonzero(fired), winners[fired]] = 1.0
    return out.reshape(x.shape[:-1] + (len(learning.weights),))


def _winners(learning, vectors, timing):
    """Each vector's winning output neuron (-1: none fired)."""
    timing = timing or SlotTiming()
    x, _ = _check(vectors)
    if x.shape[1] != learning.weights.shape[1]:
        raise ValueError(f"vectors have {x.shape[1]} inputs; the units were trained on "
                         f"{learning.weights.shape[1]}")
    x = normalise(x, learning.centre, learning.scale)
    w = learning.weights
    layer = Presenter(x, len(w), _rule(learning.params), w, learning.threshold, timing)
    layer.synapses.learning = False
    out = np.full(len(x), -1, np.int64)
    for k in range(len(x)):
        layer.run_volley()
        layer.run_gap()
        out[k] = layer.winner
    return out


def save_units(learning, path):
    """Write trained category units (``np.savez``; :func:`load_units` reads them)."""
    np.savez(path, weights=learning.weights, centre=learning.centre, scale=learning.scale,
             threshold=learning.threshold, n_categories=learning.n_categories,
             correct=learning.correct, params=json.dumps(asdict(learning.params)))


def load_units(path):
    """The category units :func:`save_units` wrote."""
    with np.load(path, allow_pickle=False) as f:
        return RewardLearning(f["weights"], f["centre"], f["scale"], float(f["threshold"]),
                              int(f["n_categories"]),
                              RSTDPParams(**json.loads(str(f["params"]))), f["correct"])
