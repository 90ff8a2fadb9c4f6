"""The visual pathway with V2 (and V4) features learned by STDP instead of imprinted.

:func:`learned_templates` learns a template population's features
(:func:`circuits.learning.learn_features`) from the patches the layer below gives on
the training images; :func:`learned_pathway` builds the pathway with them and caches
what it learned.

**What the learning sees.** The patches are the rate twin's activities of the layer
below (V1's complex cells for V2, V2's pooling units for V4) on the training images,
gathered exactly as the template layer gathers them (:func:`circuits.layers.patches`),
then latency-coded into spikes (:mod:`circuits.learning_spikes`). The twin gives the
spiking circuit's mean activities without trial noise, so one presentation per patch
suffices; the learning itself is spiking (LIF neurons, ``ns.STDP``).

**Weight sharing.** One set of feature neurons learns from the strongest patches of
every image, wherever they lie; each learned weight vector, normalised to sum one
as an imprinted template is, becomes a template that the layer applies at every
position (``build_pathway(templates=...)``).

**Cache.** The learned pathway is saved with :meth:`circuits.Pathway.save` in
:func:`circuits.protocol_models.cache_folder`, under a name keyed by a hash of the
training images, the seed, the model and every learning parameter; later calls load
it (``build_pathway(learned=...)``) instead of learning again.
"""
import dataclasses
import hashlib
import json
import os

import numpy as np

from .layers import patches as layer_patches
from .learning import STDPParams, learn_features
from .learning_rstdp import RSTDPParams, load_units, save_units, train_category_units
from .learning_spikes import SlotTiming
from .pathway import build_pathway
from .protocol_models import cache_folder

__all__ = ["SOURCES", "template_patches", "learned_templates", "learned_pathway",
           "category_units"]

#: For each learnable template population: the area below whose outputs it reads and
#: the patch radius (the defaults of :func:`circuits.v2.build_v2` and
#: :func:`circuits.v4.build_v4`).
SOURCES = {"v2_s": ("v1", 0), "v4_s": ("v2", 1)}


def template_patches(pathway, images, population):
    """The patches a template population sees on ``images``: ``(n_images, n_centres, L)``.

    Parameters
    ----------
    pathway : circuits.Pathway
        Built at least up to the area below ``population``.
    images : ndarray, shape (n, size, size)
    population : {'v2_s', 'v4_s'}

    Returns
    -------
    ndarray
        Rate twin activities (spikes per step), in the template layer's input order.
    """
    if population not in SOURCES:
        raise ValueError(f"population={population!r}: features can be learned for "
                         f"{sorted(SOURCES)}")
    area, radius = SOURCES[population]
    sources = pathway.outputs(area)
    twin = pathway.twin(images)
    _, _, members = layer_patches(pathway.circuit, sources, radius)
    return np.concatenate([twin[name][:, idx] for name, idx in members], axis=2)


def learned_templates(pathway, images, population, n_templates, params=None, timing=None,
                      seed=0):
    """Templates learned by STDP: ``(templates, learning)``.

    Parameters
    ----------
    pathway : circuits.Pathway
        Built at least up to the area below ``population``.
    images : ndarray, shape (n, size, size)
        Training images.
    population : {'v2_s', 'v4_s'}
    n_templates : int
        Feature neurons (templates).
    params : circuits.learning.STDPParams, optional
    timing : circuits.learning_spikes.SlotTiming, optional
    seed : int, optional

    Returns
    -------
    templates : ndarray, shape (n_templates, L)
        The learned weights, each row normalised to sum one.
    learning : circuits.learning.FeatureLearning
    """
    x = template_patches(pathway, images, population)
    result = learn_features(x, n_templates, params, timing, seed=seed)
    w = result.weights
    return w / np.maximum(w.sum(axis=1, keepdims=True), 1e-12), result


def _cache_path(folder, key, prefix="stdp-pathway"):
    digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return os.path.join(folder, f"{prefix}-{digest}.npz")


def _digest(arrays):
    """SHA-1 of arrays' bytes, in order."""
    h = hashlib.sha1()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def category_units(pathway, images, labels, params=None, timing=None, seed=0, cache=None):
    """IT category units trained by reward-modulated STDP on ``pathway``'s IT.

    The units (:func:`circuits.learning_rstdp.train_category_units`) learn from the
    rate twin's IT activities (V4's templates pooled over positions; spikes per
    step) on labelled ``images``, so a trial's spiking IT activity can be read by
    them (:func:`circuits.learning_rstdp.category_responses`). Cached like
    :func:`learned_pathway`, keyed by the pathway's state, the images, the labels,
    the parameters and the seed.

    Parameters
    ----------
    pathway : circuits.Pathway
        Built up to IT.
    images : ndarray, shape (n, size, size)
    labels : ndarray of int, shape (n,)
    params : circuits.learning_rstdp.RSTDPParams, optional
    timing : circuits.learning_spikes.SlotTiming, optional
    seed : int, optional
    cache : str, path or False, optional
        :func:`circuits.protocol_models.cache_folder` (False: train every time).

    Returns
    -------
    circuits.learning_rstdp.RewardLearning
    """
    params, timing = params or RSTDPParams(), timing or SlotTiming()
    state = pathway.state()
    key = {"pathway": _digest(state[k] for k in sorted(state)),
           "data": _digest([np.asarray(images, float), np.asarray(labels, np.int64)]),
           "params": dataclasses.asdict(params), "timing": dataclasses.asdict(timing),
           "seed": int(seed)}
    folder = cache_folder(cache)
    path = _cache_path(folder, key, "rstdp-units") if folder else None
    if path and os.path.exists(path):
        return load_units(path)
    units = train_category_units(pathway.twin(images)["it"], labels, params, timing, seed)
    if path:
        os.makedirs(folder, exist_ok=True)
        save_units(units, path + ".tmp.npz")
        os.replace(path + ".tmp.npz", path)
    return units


def learned_pathway(size, training, model="mcculloch_pitts", seed=0, learn=("v2_s",),
                    n_templates=None, params=None, timing=None, cache=None,
                    homeostasis=True, calibration=None, n_jobs=1):
    """The pathway up to IT with the templates of ``learn`` learned by STDP.

    V2's templates are learned from V1's responses; with ``"v4_s"`` in ``learn``,
    V4's are then learned from the responses of the V2 just learned. The others are
    imprinted from ``training`` as usual.

    Parameters
    ----------
    size : int
        Image side, pixels.
    training : ndarray, shape (n, size, size)
        Training images (features are learned, and the rest imprinted, from them).
    model : {'mcculloch_pitts', 'lif'}, optional
    seed : int, optional
        The pathway's seed; learning uses ``seed + 7`` (V2) and ``seed + 9`` (V4).
    learn : sequence of {'v2_s', 'v4_s'}, optional
    n_templates : dict, optional
        Templates per population (default: the layers' defaults, 32 and 96).
    params : circuits.learning.STDPParams or dict of them, optional
        One for every population, or one per population.
    timing : circuits.learning_spikes.SlotTiming, optional
    cache : str, path or False, optional
        :func:`circuits.protocol_models.cache_folder` (False: learn every time).
    homeostasis : bool, optional
    calibration : ndarray, optional
    n_jobs : int, optional
        As :func:`circuits.build_pathway`.

    Returns
    -------
    pathway : circuits.Pathway
    learning : dict
        :class:`~circuits.learning.FeatureLearning` per learned population, or, when
        loaded from the cache, ``{population: None}``.
    """
    learn = tuple(learn)
    bad = [p for p in learn if p not in SOURCES]
    if bad or not learn:
        raise ValueError(f"learn={learn!r} must name one or more of {sorted(SOURCES)}")
    counts = dict({"v2_s": 32, "v4_s": 96}, **(n_templates or {}))
    per = params if isinstance(params, dict) else {p: params for p in learn}
    per = {p: per.get(p) or STDPParams() for p in learn}
    timing = timing or SlotTiming()
    training = np.asarray(training, float)
    key = {"data": _digest([training]),
           "size": int(size), "model": model, "seed": int(seed), "learn": list(learn),
           "n_templates": counts, "timing": dataclasses.asdict(timing),
           "params": {p: dataclasses.asdict(v) for p, v in per.items()},
           "homeostasis": bool(homeostasis)}
    folder = cache_folder(cache)
    path = _cache_path(folder, key) if folder else None
    common = dict(seed=seed, n_threads=1, calibration=calibration, n_jobs=n_jobs)
    if path and os.path.exists(path):
        return (build_pathway(size, "it", model=model, learned=path, homeostasis=homeostasis,
                              **common), {p: None for p in learn})
    templates, results = {}, {}
    below = {"v2_s": "v1", "v4_s": "v2"}
    for population in (p for p in ("v2_s", "v4_s") if p in learn):
        lower = build_pathway(size, below[population], model=model, training=training,
                              templates=dict(templates), homeostasis=False, **common)
        templates[population], results[population] = learned_templates(
            lower, training, population, counts[population], per[population], timing,
            seed=seed + {"v2_s": 7, "v4_s": 9}[population])
    pathway = build_pathway(size, "it", model=model, training=training, templates=templates,
                            homeostasis=homeostasis, **common)
    if path:
        os.makedirs(folder, exist_ok=True)
        pathway.save(path + ".tmp.npz")
        os.replace(path + ".tmp.npz", path)
    return pathway, results
