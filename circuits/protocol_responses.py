"""The responses the comparison protocol compares, and the stages that make them.

In the order :func:`circuits.protocol.run_protocol` runs them:

1. :func:`draw_images`: the evaluation images (glyph objects at V0, V3, V6), the
   circuit's training images and T5's scoring images (:class:`Images`);
2. :func:`present_circuits`: each circuit's spike counts (:class:`CircuitRuns`);
3. :func:`rate_twin_and_shuffled`: the rate twin and the circuit with shuffled weights
   (:class:`Twins`);
4. :func:`hmax_features` and :func:`cnn_features`: the comparators (:class:`CNNs`).

:func:`collect_responses` runs them and returns an :class:`Evaluation`, which holds all
of it for the targets (:mod:`circuits.protocol_targets`). Also here: the references
:func:`shuffled_circuit` and :func:`gabor_reference`.
"""
import copy
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from . import stimuli
from .learning_rstdp import category_responses
from .protocol_config import (AREAS, CIRCUIT_KEYS, LABELS, LEARNED, LEVELS, NEURON_MODELS,
                              max_seeds, seeds_of)
from .protocol_models import trained_cnn, training_set, untrained_cnn

__all__ = ["Images", "CircuitRuns", "Twins", "CNNs", "Evaluation", "draw_images",
           "circuit_pathway", "circuit_category_units", "present_circuits",
           "rate_twin_and_shuffled", "hmax_features", "cnn_features",
           "representations", "collect_responses",
           "shuffled_circuit", "gabor_reference"]


@dataclass
class Images:
    """The protocol's images.

    Attributes
    ----------
    images : ndarray, shape (n, size, size)
        The evaluation images, level by level in :data:`LEVELS` order.
    labels, level, fonts : ndarray, shape (n,)
        Each evaluation image's category, variation level and font (index into
        :data:`circuits.stimuli.FONTS`).
    training : ndarray
        The images the circuit's templates and HMAX's S2 are imprinted from.
    t5_images : ndarray
        T5's scoring images: the design of the evaluation set, fresh draws.
    """

    images: np.ndarray
    labels: np.ndarray
    level: np.ndarray
    fonts: np.ndarray
    training: np.ndarray
    t5_images: np.ndarray

    @property
    def n(self):
        """Number of evaluation images."""
        return len(self.images)

    @property
    def pixels(self):
        """The evaluation images as rows of pixels, ``(n, size * size)``."""
        return self.images.reshape(self.n, -1)


@dataclass
class CircuitRuns:
    """The spiking circuits' responses (activities in spikes per step).

    Attributes
    ----------
    pathways : dict of (str, int) to Pathway
        ``(model, circuit seed index)``: the pathway built.
    areas : dict of (str, int) to dict
        The same keys: ``{area: (n_images, n)}``, each area's recorded neurons.
    it_counts : dict of str to ndarray
        Per model, IT's spike counts ``(n_images, trials, n)`` (first circuit seed).
    v1_outputs : dict of str to dict
        Per model, ``{population: (n_images, n)}`` of V1's output populations.
    t5_areas : dict of str to dict
        Per model, ``{area: (n_t5_images, n)}`` on T5's images (one trial).
    category_units : dict of str to RewardLearning
        Per learned circuit (first circuit seed), its IT category units trained by
        reward-modulated STDP (:func:`circuits.learning_pathway.category_units`).
    category_spikes : dict of str to ndarray
        Per learned circuit, its category units' spikes (1 for the winner) for each
        image and trial's IT activity (:func:`circuits.learning_rstdp.category_responses`),
        ``(n_images, trials, n_units)``.
    """

    pathways: dict
    areas: dict = field(default_factory=dict)
    it_counts: dict = field(default_factory=dict)
    v1_outputs: dict = field(default_factory=dict)
    t5_areas: dict = field(default_factory=dict)
    category_units: dict = field(default_factory=dict)
    category_spikes: dict = field(default_factory=dict)

    def record(self, model, cs, pathway, responses):
        """Keep what the targets read of ``responses`` (every recorded population)
        of circuit ``model`` at circuit seed index ``cs``."""
        self.areas[(model, cs)] = {a: responses.area_activity(a, pathway.recorded(a))
                                   for a in AREAS}
        if cs:
            return
        self.it_counts[model] = responses.area("it", pathway.recorded("it"))[0]
        self.v1_outputs[model] = {p: responses.activity(p) for p in pathway.outputs("v1")}
        if model in self.category_units:
            self.category_spikes[model] = category_responses(
                self.category_units[model],
                np.concatenate([responses.trial_activity(p) for p in pathway.recorded("it")],
                               axis=2))

    @property
    def reference(self):
        """The McCulloch-Pitts pathway of the first circuit seed: its rate twin, its
        shuffled copy and its V1 filters are the references."""
        return self.pathways[("mcculloch_pitts", 0)]


@dataclass
class Twins:
    """The reference pathway's rate twin and its circuit with shuffled weights.

    Attributes
    ----------
    populations : dict of str to ndarray
        The rate twin's activities ``(n_images, n)`` of every population.
    twin, shuffled, t5_shuffled : dict of str to ndarray
        ``{area: (n_images, n)}``: the rate twin's recorded neurons, the shuffled
        circuit's (rate twin), and the shuffled circuit's on T5's images.
    """

    populations: dict
    twin: dict
    shuffled: dict
    t5_shuffled: dict


@dataclass
class CNNs:
    """The CNNs' features.

    Attributes
    ----------
    features : OrderedDict of str to dict
        ``"CNN seed s"`` (trained) then ``"CNN untrained"``: ``{block: (n_images, ...)}``
        for the blocks :data:`LABELS`; empty without CNN.
    t5_blocks : list of ndarray or None
        The first trained CNN's blocks on T5's images.
    accuracy : dict of int to dict
        Per training seed, the classifier's accuracy on the evaluation images.
    models : dict of str to torch.nn.Module
        The networks, by the names of ``features``.
    """

    features: OrderedDict
    t5_blocks: list
    accuracy: dict
    models: dict

    @property
    def trained(self):
        """Names of the trained CNNs."""
        return [k for k in self.features if k != "CNN untrained"]

    def blocks(self, name):
        """The blocks of CNN ``name``, in :data:`LABELS` order."""
        return [self.features[name][b] for b in LABELS]


@dataclass
class Evaluation:
    """Everything the targets compare, on the evaluation images.

    Attributes
    ----------
    cfg : dict
        The protocol's settings (:data:`circuits.protocol_config.PRESETS`).
    seed : int
    images : Images
    runs : CircuitRuns
    twins : Twins
    hmax : dict of str to ndarray
        ``{area: (n_images, n)}``: HMAX's S1, C1, S2, C2 as V1, V2, V4, IT.
    cnns : CNNs
    reps : OrderedDict of str to dict
        The representations compared, ``{area: (n_images, n)}`` each: the circuits
        (``"circuit MP"``, ``"circuit LIF"``), ``"rate twin"``, ``"shuffled"`` and
        ``"HMAX"``.
    """

    cfg: dict
    seed: int
    images: Images
    runs: CircuitRuns
    twins: Twins
    hmax: dict
    cnns: CNNs
    reps: OrderedDict


# ------------------------------------------------------------------ stages
def draw_images(cfg, seed):
    """The evaluation images (offset 500), the circuit's training images (offset 100:
    4 objects per category at V3, or with ``cfg["imprinting"] == "broad"`` the
    category-free :func:`circuits.stimuli_ood.broad_diet`) and T5's scoring images
    (offset 900), at ``cfg["size"]``."""
    size = cfg["size"]
    parts = [stimuli.object_set(cfg["n_per_category"], lv, size, seed=seed + 500 + k)
             for k, lv in enumerate(LEVELS)]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    level = np.concatenate([np.full(len(p[1]), lv) for p, lv in zip(parts, LEVELS)])
    fonts = np.concatenate([p[2]["font"] for p in parts])
    if cfg.get("imprinting", "categories") == "broad":
        from .stimuli_ood import broad_diet
        training = broad_diet(32, size, seed=seed + 100)
    else:
        training = stimuli.object_set(4, "V3", size, seed=seed + 100)[0]
    t5_images = np.concatenate([stimuli.object_set(cfg["t5_per_category"], lv, size,
                                                   seed=seed + 900 + k)[0]
                                for k, lv in enumerate(LEVELS)])
    return Images(images, labels, level, fonts, training, t5_images)


def present_circuits(cfg, seed, images, log, cache_dir=None):
    """Build each circuit and present the images to it.

    Every circuit of ``cfg["models"]`` at the first circuit seed (``seed``;
    ``cfg["trials"]`` trials, and T5's images once), and at as many more (``seed + 1``,
    ...; one trial) as :func:`~circuits.protocol_config.seeds_of` says. Imprinted
    circuits after the first of a seed get the first's templates and thresholds (at a
    seed without the first, they imprint their own from the same images); a learned
    one (:data:`LEARNED`) learns its features from the same training images, or loads
    them from ``cache_dir`` (a folder, or None: learn every time).

    Returns
    -------
    CircuitRuns
    """
    runs = CircuitRuns({})
    for cs in range(max_seeds(cfg)):
        for model in (m for m in cfg["models"] if cs < seeds_of(cfg, m)):
            pw = circuit_pathway(cfg, seed + cs, model, images.training,
                                 runs.pathways.get((cfg["models"][0], cs)), cache_dir)
            runs.pathways[(model, cs)] = pw
            if model in LEARNED and cs == 0:
                runs.category_units[model] = circuit_category_units(pw, cfg, seed, cache_dir)
            names = [p for a in AREAS for p in pw.recorded(a)]
            trials = cfg["trials"] if cs == 0 else 1
            runs.record(model, cs, pw, pw.present(images.images, trials=trials,
                                                  populations=names))
            if cs == 0:
                r5 = pw.present(images.t5_images, trials=1, populations=names)
                runs.t5_areas[model] = {a: r5.area_activity(a, pw.recorded(a)) for a in AREAS}
            log(f"circuit {model} seed {seed + cs} ({trials} trials"
                + (f"; {len(images.t5_images)} T5 images, 1 trial)" if cs == 0 else ")"))
    return runs


def circuit_pathway(cfg, seed, model, training, first=None, cache_dir=None):
    """The pathway of one of the protocol's circuits, as the protocol builds it.

    Parameters
    ----------
    cfg : dict
        The protocol's settings (``size``, ``n_jobs``, ``homeostasis``, ``models``).
    seed : int
        The circuit's seed.
    model : str
        A key of :data:`circuits.protocol_config.CIRCUIT_KEYS`.
    training : ndarray, shape (n, size, size)
        The images templates are imprinted (or features learned) from.
    first : circuits.Pathway, optional
        The pathway of ``cfg["models"][0]`` at this seed: an imprinted circuit after
        it takes its templates and thresholds (None: imprint from ``training``).
    cache_dir : str or None, optional
        Where a learned circuit's features are kept (None: learned every time).

    Returns
    -------
    circuits.Pathway
    """
    from .learning_pathway import learned_pathway
    from .pathway import build_pathway
    common = dict(model=NEURON_MODELS[model], seed=seed, n_jobs=cfg["n_jobs"],
                  homeostasis=cfg["homeostasis"])
    if model in LEARNED:       # features learned by LIF neurons (docs/results/learning.md)
        return learned_pathway(cfg["size"], training, learn=LEARNED[model],
                               cache=cache_dir or False, **common)[0]
    state = None if first is None or model == cfg["models"][0] else first.state()
    return build_pathway(cfg["size"], "it", n_threads=1, learned=state,
                         training=training if state is None else None, **common)


def circuit_category_units(pathway, cfg, seed, cache_dir=None):
    """A learned circuit's IT category units, as the protocol trains them.

    :func:`circuits.learning_pathway.category_units` on labelled objects of their own
    (seed offsets 300-301: 16 per category at V3 and at V6, as ``python -m
    circuits.learning_measure``), none of them evaluation images.

    Parameters
    ----------
    pathway : circuits.Pathway
    cfg : dict
        The protocol's settings (``size``).
    seed : int
        The circuit's seed.
    cache_dir : str or None, optional
        Where the units are kept (None: trained every time).

    Returns
    -------
    circuits.learning_rstdp.RewardLearning
    """
    from .learning_pathway import category_units
    parts = [stimuli.object_set(16, lv, cfg["size"], seed=seed + 300 + k)
             for k, lv in enumerate(("V3", "V6"))]
    return category_units(pathway, np.concatenate([p[0] for p in parts]),
                          np.concatenate([p[1] for p in parts]), seed=seed,
                          cache=cache_dir or False)


def rate_twin_and_shuffled(pathway, images, seed):
    """The rate twin of ``pathway`` and of its circuit with shuffled weights
    (:func:`shuffled_circuit`, seed offset 77), on the evaluation and T5's images.

    Returns
    -------
    Twins
    """
    populations = pathway.twin(images.images)
    shuffled = shuffled_circuit(pathway.circuit, seed + 77)
    return Twins(populations, _by_area(pathway, populations),
                 _by_area(pathway, shuffled.twin(pathway.encode(images.images))),
                 _by_area(pathway, shuffled.twin(pathway.encode(images.t5_images))))


def hmax_features(images, seed):
    """HMAX (2 bands) fitted on the circuit's training images: ``{area: features}``,
    S1, C1, S2 and C2 standing for V1, V2, V4 and IT."""
    from . import hmax as hmax_mod
    hf = hmax_mod.HMAX(n_bands=2, seed=seed).fit(images.training).features(images.images)
    return {a: hf[hmax_mod.AREAS[lab]] for a, lab in zip(AREAS, LABELS)}


def cnn_features(cfg, seed, images, cache_dir, log):
    """Train (or load from ``cache_dir``, a folder or None for no cache)
    ``cfg["cnn_seeds"]`` CNNs (:func:`circuits.protocol_models.trained_cnn`) and take
    their features, and those of an untrained one; none with ``cnn_seeds=0``.

    Returns
    -------
    CNNs
    """
    cnns = CNNs(OrderedDict(), None, {}, {})
    if cfg["cnn_seeds"] <= 0:
        return cnns
    from . import cnn
    cache = cache_dir or False
    xtr, _ = training_set(seed=seed, config=cfg, cache=cache)
    log(f"CNN training set ({len(xtr)} images)")
    for s in range(cfg["cnn_seeds"]):
        model, hist = trained_cnn(s, seed=seed, config=cfg, cache=cache,
                                  return_history=True)
        cnns.models[f"CNN seed {s}"] = model
        cnns.features[f"CNN seed {s}"] = cnn.extract_features(model, images.images,
                                                              pool="flatten")
        if s == 0:
            f5 = cnn.extract_features(model, images.t5_images, pool="flatten")
            cnns.t5_blocks = [f5[b] for b in LABELS]
        cnns.accuracy[s] = _cnn_accuracy(model, images)
        log(f"CNN seed {s} (final training accuracy "
            f"{hist['accuracy'][-1] if hist.get('accuracy') else float('nan'):.2f})")
    untrained = untrained_cnn()
    cnns.models["CNN untrained"] = untrained
    cnns.features["CNN untrained"] = cnn.extract_features(untrained, images.images,
                                                          pool="flatten")
    log("CNN untrained")
    return cnns


def representations(runs, twins, hmax):
    """The representations compared with the CNNs, in the results' order: the
    circuits at the first circuit seed, the rate twin, the shuffled circuit, HMAX."""
    reps = OrderedDict((key, runs.areas[(model, 0)]) for model, key in CIRCUIT_KEYS.items()
                       if (model, 0) in runs.areas)
    reps["rate twin"] = twins.twin
    reps["shuffled"] = twins.shuffled
    reps["HMAX"] = hmax
    return reps


def collect_responses(cfg, seed, cache_dir, log):
    """Every stage above in order, each reported to ``log`` when done.

    Returns
    -------
    Evaluation
    """
    images = draw_images(cfg, seed)
    log("images")
    runs = present_circuits(cfg, seed, images, log, cache_dir)
    twins = rate_twin_and_shuffled(runs.reference, images, seed)
    log("rate twin and shuffled circuit")
    hmax = hmax_features(images, seed)
    log("HMAX")
    cnns = cnn_features(cfg, seed, images, cache_dir, log)
    return Evaluation(cfg, seed, images, runs, twins, hmax, cnns,
                      representations(runs, twins, hmax))


# ------------------------------------------------------------------ references
def shuffled_circuit(circuit, seed=0):
    """A copy of ``circuit`` whose weights are permuted within every projection.

    Each neuron keeps its number of synapses, its sources and its threshold, and each
    projection its weight distribution, but receptive fields and templates are
    destroyed: the null of the plan's section 3.
    """
    c = copy.deepcopy(circuit)
    rng = np.random.default_rng(seed)
    for p in c.projections:
        p.w = p.w[rng.permutation(p.w.size)]
    c.weights_changed()
    return c


def gabor_reference(pathway, images):
    """The Gabor stage with the circuit's V1 filters, at its complex cells.

    Quadrature energy of the same Gabors (orientations, wavelengths, aspect ratio and
    envelope as :func:`circuits.v1.build_v1`; :func:`circuits.hmax.gabor_responses`),
    pooled over the same neighbourhood as a complex cell (a Gaussian as wide as the
    simple cells' spacing, truncated there), read at each complex cell's position and
    orientation. Returns ``{population: (n_images, n)}`` for the V1 output populations.
    """
    from scipy import ndimage
    from . import hmax
    info = pathway.areas["v1"]
    # one kernel window for every scale, that of the largest (as one bank)
    window = hmax.gabor_kernels(0.0, max(info["wavelengths"]), gamma=0.7)[0].shape[-1]
    out = {}
    for s, name in enumerate(info["complex"]):
        oris = np.asarray(info["orientations"], float) + info["orientation_offsets"][s]
        g = hmax.gabor_responses(images, orientations=oris, wavelengths=[info["wavelengths"][s]],
                                 gamma=0.7, sigma_ratio=0.4, stride=1,
                                 size=window)["complex"][:, :, 0]
        meta = pathway.metadata(name)
        stride = info["strides"][s]
        o_idx = np.argmin(np.abs(meta["orientation"][:, None] - oris), axis=1)
        maps = ndimage.gaussian_filter(g, sigma=(0, 0, stride, stride),
                                       truncate=1.0, mode="reflect")
        vals = np.empty((len(images), len(o_idx)))
        for k in range(len(images)):
            for o in range(len(oris)):
                sel = o_idx == o
                vals[k, sel] = ndimage.map_coordinates(
                    maps[k, o], [meta["y"][sel], meta["x"][sel]], order=1, mode="nearest")
        out[name] = vals
    return out



def _by_area(pathway, activities):
    """Per-population activities side by side for each area's recorded populations."""
    return {a: np.concatenate([activities[p] for p in pathway.recorded(a)], 1)
            for a in AREAS}


def _twin_of(pathway, images):
    """The rate twin's activities of each area's recorded populations, ``{area: ...}``."""
    return _by_area(pathway, pathway.twin(images))


def _cnn_accuracy(model, images):
    """The CNN classifier's accuracy on the evaluation images: per level, on the fonts
    held out of its training and on the others."""
    from . import cnn
    torch = cnn._torch()
    labels, level, fonts = images.labels, images.level, images.fonts
    with cnn.deterministic(1), torch.no_grad():
        pred = model(cnn.to_tensor(images.images)).argmax(1).numpy()
    held = np.isin(fonts, [list(stimuli.FONTS).index(f) for f in cnn.HELD_OUT_FONTS])
    out = {lv: float(np.mean(pred[level == lv] == labels[level == lv])) for lv in LEVELS}
    out["held-out fonts"] = float(np.mean(pred[held] == labels[held])) if held.any() else None
    out["training fonts"] = float(np.mean(pred[~held] == labels[~held]))
    return out
