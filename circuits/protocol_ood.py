"""The comparison on out-of-distribution sets: targets T1-T6 on images nothing was fitted to.

:func:`ood_targets` draws the sets of :mod:`circuits.stimuli_ood` (``cfg["ood_sets"]``,
``cfg["ood_per_category"]`` images per category; seed offset 1500), shows them to the
circuits, CNNs, rate twin, shuffled circuit and HMAX already built for the evaluation
images (:func:`ood_evaluation`; no template is imprinted, no network trained, no
setting chosen on them), and scores T1-T6 on each set for every circuit model with the
functions of :mod:`circuits.protocol_targets`. T5's blocks are those chosen on the
evaluation images. :func:`ood_markdown` writes the results page's section.
"""
from collections import OrderedDict

import numpy as np

from . import stimuli_ood
from .protocol_config import AREAS, CIRCUIT_KEYS, LABELS, SHORT_NAMES
from .protocol_report import _ci, _fmt
from .protocol_responses import CircuitRuns, CNNs, Evaluation, Images, hmax_features, \
    rate_twin_and_shuffled, representations
from .protocol_targets import cka_matrices, decode_levels, model_targets, t1_targets, \
    t6_references

__all__ = ["ood_evaluation", "ood_targets", "ood_markdown"]


def ood_evaluation(ev, name, images, labels):
    """An :class:`~circuits.protocol_responses.Evaluation` of ``images`` with the models
    of ``ev``: every circuit (as many trials as on the evaluation images; T5's
    responses are the first trial's), the rate twin and shuffled circuit, HMAX (fitted
    on the same imprinting images) and every CNN. Its level is ``name``."""
    from . import cnn
    cfg = ev.cfg
    imgs = Images(images, labels, np.full(len(images), name), np.full(len(images), -1),
                  ev.images.training, images)
    runs = CircuitRuns(ev.runs.pathways, category_units=ev.runs.category_units)
    for (model, cs), pw in ev.runs.pathways.items():
        names = [p for a in AREAS for p in pw.recorded(a)]
        runs.record(model, cs, pw, pw.present(images, trials=cfg["trials"] if cs == 0 else 1,
                                              populations=names))
        if cs == 0:
            runs.t5_areas[model] = runs.areas[(model, cs)]
    twins = rate_twin_and_shuffled(runs.reference, imgs, ev.seed)
    hmax = hmax_features(imgs, ev.seed)
    cnns = CNNs(OrderedDict(), None, {}, ev.cnns.models)
    for cname, model in ev.cnns.models.items():
        cnns.features[cname] = cnn.extract_features(model, images, pool="flatten")
    if cnns.trained:
        cnns.t5_blocks = cnns.blocks(cnns.trained[0])
    return Evaluation(cfg, ev.seed, imgs, runs, twins, hmax, cnns,
                      representations(runs, twins, hmax))


def ood_targets(ev, cka, log):
    """T1-T6 on each out-of-distribution set, for every circuit model.

    Parameters
    ----------
    ev : Evaluation
        The evaluation images' (its models are reused).
    cka : dict
        :func:`circuits.protocol_targets.cka_matrices` of ``ev``: T5's blocks.
    log : callable

    Returns
    -------
    OrderedDict
        ``{set name: {"n": images, "categories": k, "targets": {circuit key: {T1..T6}},
        "pairs": {circuit key: T2's pairs}, "decoding": {...}}}``.
    """
    cfg = ev.cfg
    out = OrderedDict()
    sets = stimuli_ood.ood_sets(cfg["ood_per_category"], cfg["size"], ev.seed + 1500,
                                which=cfg["ood_sets"])
    for name, (images, labels) in sets.items():
        eo = ood_evaluation(ev, name, images, labels)
        log(f"OOD {name}: responses ({len(images)} images)")
        t1 = t1_targets(eo)
        cka_o = cka_matrices(eo)
        decoding = decode_levels(eo)
        t6 = t6_references(eo, log, control=False)
        res = OrderedDict(n=len(images), categories=int(len(np.unique(labels))),
                          targets=OrderedDict(), pairs=OrderedDict(),
                          decoding={f"{k[0]}": v for k, v in decoding.accuracy.items()})
        for model in cfg["models"]:
            ckey = CIRCUIT_KEYS[model]
            got = model_targets(eo, model, ckey, cka_o, decoding, t6, lambda _: None,
                                t5_cka=cka)
            res["targets"][ckey] = OrderedDict(T1=t1[SHORT_NAMES[model]], **got.targets)
            res["pairs"][ckey] = got.pairs
        out[name] = res
        log(f"OOD {name}: targets")
    return out


def ood_markdown(ood):
    """The results page's section on the out-of-distribution sets (``ood``:
    :func:`ood_targets`)."""
    if not ood:
        return []
    lines = ["", "## Out-of-distribution sets", "",
             "Images that no template was imprinted from, no CNN trained on and no setting "
             "chosen on (`circuits.stimuli_ood`): other characters in other fonts "
             "(`novel glyphs`), photograph crops with a category contrast "
             "(`photographs`), the training categories at a variation beyond V6 with "
             "pixel noise (`high variation`). The same models, the same statistics; T2's "
             "interval is over images and seeds, T4 decodes on the whole set, T5's blocks "
             "are chosen on the evaluation images.", "",
             "| set | circuit | target | value | 95 % CI | holds |", "|---|---|---|---|---|---|"]
    for name, res in ood.items():
        for ckey, targets in res["targets"].items():
            for key, v in targets.items():
                ci = _ci(*v["ci"]) if v.get("ci") else "-"
                holds = {True: "yes", False: "**no**", None: "not measured"}[v["holds"]]
                lines.append(f"| {name} ({res['n']} images, {res['categories']} categories)"
                             f" | {ckey} | {key} | {_fmt(v['value'])} | {ci} | {holds} |")
    lines += ["", "Details:", ""]
    for name, res in ood.items():
        for ckey, targets in res["targets"].items():
            for key in ("T2", "T3", "T4"):
                if key in targets:
                    lines.append(f"- **{name}, {ckey}, {key}**: {targets[key]['detail']}")
        dec = res["decoding"]
        lines.append(f"- **{name}, decoding** (pixels, {', '.join(LABELS)}): " + "; ".join(
            f"{k} " + " ".join(f"{a:.2f}" for a in accs) for k, accs in dec.items()))
    return lines
