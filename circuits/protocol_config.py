"""The comparison protocol's settings: areas, variation levels, targets and presets.

Shared by the protocol's stages (:mod:`circuits.protocol` and the ``protocol_*``
modules); depends on nothing else of the protocol.
"""
import numbers
from collections import OrderedDict

__all__ = ["AREAS", "LABELS", "LEVELS", "TARGETS", "PRESETS", "CIRCUIT_KEYS", "SHORT_NAMES",
           "NEURON_MODELS", "LEARNED", "T6_CATEGORY_UNITS", "ROW_ORDER", "CNN_TRAIN",
           "seeds_of", "max_seeds"]

#: The circuit's areas compared, and the CNN blocks (and labels) that go with them.
AREAS = ("v1", "v2", "v4", "it")
LABELS = ("V1", "V2", "V4", "IT")
#: The variation levels of the evaluation images (:func:`circuits.stimuli.object_set`).
LEVELS = ("V0", "V3", "V6")
#: The circuits compared (``cfg["models"]``): each one's name among the representations
#: and in the targets' details, its short name, its neuron model, and (``LEARNED``) the
#: template populations whose features it learns by STDP
#: (:func:`circuits.learning_pathway.learned_pathway`) instead of imprinting them, with
#: LIF feature neurons for both circuits (binary units learn worse over six seeds:
#: docs/results/learning.md, "Binary units").
#: ``lif_learned`` is in no preset (the full protocol's 15 minutes leave no room for it):
#: ``config={"models": (..., "lif_learned")}``.
CIRCUIT_KEYS = {"mcculloch_pitts": "circuit MP", "lif": "circuit LIF",
                "mcculloch_pitts_learned": "circuit MP learned",
                "lif_learned": "circuit LIF learned"}
SHORT_NAMES = {"mcculloch_pitts": "MP", "lif": "LIF", "mcculloch_pitts_learned": "MP learned",
               "lif_learned": "LIF learned"}
NEURON_MODELS = {"mcculloch_pitts": "mcculloch_pitts", "lif": "lif",
                 "mcculloch_pitts_learned": "mcculloch_pitts", "lif_learned": "lif"}
LEARNED = {"mcculloch_pitts_learned": ("v2_s",), "lif_learned": ("v2_s",)}

#: The targets of section 5 of the plan, in table order.
TARGETS = OrderedDict([
    ("T0", "circuit V1 vs the Gabor S1-C1 stage with the same filters"),
    ("T1", "CKA between each circuit area and its rate twin"),
    ("T2", "hierarchy score H on the CKA matrix (best block never shallower)"),
    ("T3", "each area's best-match CKA vs the matched HMAX stage's"),
    ("T4", "circuit IT vs HMAX C2: CKA with CNN IT; decoding at V6"),
    ("T5", "every area's best match above pixels and the shuffled circuit"),
    ("T6", "predictivity of circuit IT from CNN IT minus from CNN V1"),
    ("T7", "V1 orientation / spatial-frequency distributions vs De Valois (1982)"),
    ("T8", "time"),
])

#: T6 on a learned circuit's IT category units (reward-modulated STDP), reported beside
#: T6 on its IT (V4's templates pooled, as every circuit's), and the rows of a
#: circuit's table in order.
T6_CATEGORY_UNITS = "T6 category units"
ROW_ORDER = ("T0", "T1", "T2", "T3", "T4", "T5", "T6", T6_CATEGORY_UNITS, "T7", "T8")

#: Settings of the two versions; any can be overridden through ``run_protocol(config=)``.
#: ``n_boot`` >= 200: T5's resampling p is at least ``1 / (1 + n_boot)``; with 100 the
#: smallest p (0.0099) passed p < 0.01 only if no resample at all crossed zero.
#: ``t5_per_category``: T5 scores on fresh images (that many per category and level, one
#: trial), its blocks chosen on the whole evaluation set: with the held-out half of 192
#: images (96) a difference of +0.10 in CKA could not reach p < 0.01.
#: ``n_jobs``: processes that share the images of every presentation
#: (:meth:`circuits.Pathway.present`), one per core of the 2 the budget is for.
#: ``circuit_seeds``: how many seeds each circuit is built at, ``{model: count}`` (a
#: model not named: 1; an integer: that many for the first of ``models``, 1 for the
#: others). The first seed is shown ``trials`` times with T5's images; the others once.
#: ``ood_sets``, ``ood_per_category``: the out-of-distribution sets scored
#: (:mod:`circuits.stimuli_ood`, :mod:`circuits.protocol_ood`; none: empty), images per
#: category (twice as many for the photographs' four categories). ``imprinting``
#: (not in the presets; default ``"categories"``): ``"broad"`` imprints the templates
#: from :func:`circuits.stimuli_ood.broad_diet` instead (measured, not adopted).
PRESETS = {
    "quick": dict(size=32, n_per_category=4, trials=2,
                  models=("mcculloch_pitts", "mcculloch_pitts_learned"),
                  circuit_seeds=1, cnn_seeds=1, cnn_train_per_category=32, cnn_epochs=12,
                  n_boot=200, n_boot_slow=10, n_perm=199, decode_repeats=1,
                  homeostasis=True, n_jobs=2, time_limit=180.0, ablation=False, t7_phases=0,
                  t5_per_category=2, ood_sets=("novel glyphs",), ood_per_category=3),
    "full": dict(size=32, n_per_category=8, trials=2,
                 models=("mcculloch_pitts", "lif", "mcculloch_pitts_learned"),
                 circuit_seeds={"mcculloch_pitts": 2, "lif": 3}, cnn_seeds=3,
                 cnn_train_per_category=48, cnn_epochs=15,
                 n_boot=200, n_boot_slow=30, n_perm=999, decode_repeats=1,
                 homeostasis=True, n_jobs=2, time_limit=900.0, ablation=True, t7_phases=4,
                 t5_per_category=6,
                 ood_sets=("novel glyphs", "photographs", "high variation"),
                 ood_per_category=6),
}


def seeds_of(cfg, model):
    """How many circuit seeds ``model`` is built at under the settings ``cfg``."""
    seeds = cfg["circuit_seeds"]
    if isinstance(seeds, dict):
        unknown = sorted(set(seeds) - set(CIRCUIT_KEYS))
        if unknown:
            raise ValueError(f"circuit_seeds={seeds!r} names {unknown}, not circuit models; "
                             f"they are {sorted(CIRCUIT_KEYS)}")
        count = seeds.get(model, 1)
    else:
        count = seeds if model == cfg["models"][0] else 1
    if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 1:
        raise ValueError(f"circuit_seeds={seeds!r}: the count of {model!r} must be an "
                         f"integer >= 1")
    return int(count)


def max_seeds(cfg):
    """The most circuit seeds any model of ``cfg["models"]`` is built at."""
    return max(seeds_of(cfg, m) for m in cfg["models"])


#: Arguments of :func:`circuits.cnn.train`. Adam at 1e-3: at 3e-3 the network (no
#: normalisation layers, as CORnet-Z) collapses in the first epoch to a constant output
#: (loss stuck at ln 8 = 2.08, accuracy 0.12 = chance); at 1e-3 the loss falls to ~0.2
#: and held-out images reach 0.9+ (V0, V3) and ~0.7 (V6).
CNN_TRAIN = dict(lr=1e-3, batch_size=32, max_shift=2)
