"""The comparison protocol's measures and targets T0-T6 and T8 (T7: :mod:`circuits.protocol_t7`).

Each target is a dict ``value``, ``ci``, ``holds``, ``criterion``, ``detail`` (and
``ci_label``, ``aim`` where they apply), computed from an
:class:`~circuits.protocol_responses.Evaluation`:

* :func:`t0_target` (V1 against the Gabor stage) and :func:`t1_targets` (each area
  against its rate twin) need the circuits alone;
* :func:`cka_matrices` and :func:`decode_levels` compare every representation with
  the CNNs' blocks, and feed T2-T6, computed for each circuit model by
  :func:`model_targets` (T2's best blocks with their bootstrap over images, ties and
  H's interval over images and seeds: :mod:`circuits.robust`);
* :func:`t8_target` is the time the protocol took.
"""
from collections import OrderedDict
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import stats

from . import metrics, robust
from .protocol_config import AREAS, LABELS, LEVELS, SHORT_NAMES, T6_CATEGORY_UNITS, seeds_of
from .protocol_report import _ci
from .protocol_responses import _twin_of
from .protocol_stats import _cv_correct, _per_image_r, _reduce, _t6_positive_control, \
    _t6_statistic

__all__ = ["Decoding", "T6References", "ModelTargets", "t0_target", "t1_targets",
           "cka_matrices", "decode_levels", "t6_references", "model_targets", "t8_target"]


# ------------------------------------------------------------------ the circuits alone
def t0_target(ev, reference, model):
    """T0: each image's correlation, across V1's output neurons, between the circuit
    ``model`` (first circuit seed) and ``reference`` (:func:`gabor_reference`), each
    population scaled by its standard deviation; with the rate twin's beside it for
    the McCulloch-Pitts circuit."""
    outputs = ev.runs.reference.outputs("v1")

    def joint(d):
        return np.concatenate([d[p] / (d[p].std() + 1e-12) for p in outputs], 1)
    r = _per_image_r(joint(ev.runs.v1_outputs[model]), joint(reference))
    twin = ""
    if model == "mcculloch_pitts":
        r_twin = _per_image_r(joint({p: ev.twins.populations[p] for p in outputs}),
                              joint(reference))
        twin = f"; rate twin: median {np.median(r_twin):.3f}"
    est, lo, hi, _ = metrics.bootstrap(np.median, r, n_boot=ev.cfg["n_boot"], seed=ev.seed,
                                       method="replace")
    return dict(value=est, ci=(lo, hi), holds=bool(est >= 0.95),
                criterion="median per-image r >= 0.95",
                detail=f"spiking {SHORT_NAMES[model]}: median r {est:.3f}, 5th percentile "
                       f"{np.percentile(r, 5):.3f}{twin}")


def t1_targets(ev):
    """T1 of each circuit model at the first circuit seed: the CKA of each area with
    its own rate twin. Returns ``{"MP": target, "LIF": target}`` (those run)."""
    t1 = {}
    for model, key in SHORT_NAMES.items():
        if (model, 0) not in ev.runs.areas:
            continue
        spk = ev.runs.areas[(model, 0)]
        tw = ev.twins.twin if model == "mcculloch_pitts" else \
            _twin_of(ev.runs.pathways[(model, 0)], ev.images.images)
        for a in AREAS:
            est, lo, hi, _ = metrics.bootstrap(metrics.cka, spk[a], tw[a],
                                               n_boot=ev.cfg["n_boot"], seed=ev.seed)
            t1[(key, a)] = (est, lo, hi)
    return {key: _t1_target(t1, key) for key in dict.fromkeys(k for k, _ in t1)}


def _t1_target(t1, key):
    """T1 of one circuit (``key``: "MP" or "LIF") from ``t1[(key, area)] = (cka, lo, hi)``:
    its value is that circuit's worst area (the largest shortfall from its bar)."""
    bar = {"v1": 0.9, "v2": 0.9, "v4": 0.8, "it": 0.8}
    own = {a: v for (k, a), v in t1.items() if k == key}
    worst = min(own, key=lambda a: own[a][0] - bar[a])
    return dict(value=own[worst][0], ci=own[worst][1:],
                holds=all(v[0] >= bar[a] for a, v in own.items()),
                criterion=">= 0.9 (V1, V2), >= 0.8 (V4, IT)",
                detail="; ".join(f"{key} {a.upper()} {v[0]:.3f} {_ci(*v[1:])}"
                                 for a, v in own.items())
                + f" (value: the worst, {key} {worst.upper()})")


# ------------------------------------------------------------------ against the CNNs
def cka_matrices(ev):
    """The area x block CKA matrix of every representation with every CNN:
    ``{(representation, CNN): (4, 4)}``."""
    cka = OrderedDict()
    for rname, rep in ev.reps.items():
        for cname in ev.cnns.features:
            cka[(rname, cname)] = metrics.cka_matrix([rep[a] for a in AREAS],
                                                     ev.cnns.blocks(cname))
    return cka


class Decoding(NamedTuple):
    """Category decoding along the hierarchy (:func:`decode_levels`).

    Attributes
    ----------
    accuracy : OrderedDict of (str, str) to list of float
        ``(representation or CNN, level)``: accuracy from the pixels, then each area.
    correct : dict of (str, str, str) to ndarray
        ``(representation or CNN, area, level)``: each image's correctness.
    """

    accuracy: OrderedDict
    correct: dict


def _levels(ev):
    """The variation levels of ``ev``'s images in :data:`LEVELS` order (an
    out-of-distribution set has one level of its own name)."""
    present = list(dict.fromkeys(ev.images.level))
    return [lv for lv in LEVELS if lv in present] + [lv for lv in present if lv not in LEVELS]


def decode_levels(ev):
    """Cross-validated category decoding (:func:`_cv_correct`) from the pixels and each
    area of every representation and CNN, at each variation level (:func:`_levels`).

    Returns
    -------
    Decoding
    """
    dec = OrderedDict()
    correct = {}
    labels, level, pixels = ev.images.labels, ev.images.level, ev.images.pixels
    repeats = ev.cfg["decode_repeats"]
    models_dec = list(ev.reps.items()) + [(c, dict(zip(AREAS, ev.cnns.blocks(c))))
                                          for c in ev.cnns.features]
    for lv in _levels(ev):
        sel = level == lv
        y = labels[sel]
        pix = _cv_correct(pixels[sel], y, repeats, ev.seed)
        for name, rep in models_dec:
            accs = [float(np.mean(pix))]
            for a in AREAS:
                c = _cv_correct(rep[a][sel], y, repeats, ev.seed)
                correct[(name, a, lv)] = c
                accs.append(float(np.mean(c)))
            dec[(name, lv)] = accs
    return Decoding(dec, correct)


@dataclass
class T6References:
    """What T6 compares each circuit's statistic with (:func:`t6_references`).

    Attributes
    ----------
    sources : (list of ndarray, list of ndarray)
        Each trained CNN's IT and V1 blocks in their principal axes (:func:`_reduce`).
    eta_cnn : float
        The trained CNNs' IT units' category selectivity (median eta squared, mean
        over the CNNs; NaN without trained CNN).
    detail : str
        The references for T6's detail: the positive control, the rate twin's IT and
        the untrained CNN's IT.
    results : OrderedDict
        The same numbers for the results (``t6_positive_control``, ``t6_rate_twin``,
        ``t6_untrained_cnn``, those measured).
    """

    sources: tuple
    eta_cnn: float
    detail: str
    results: OrderedDict


def t6_references(ev, log, control=True):
    """T6's references: the positive control (each trained CNN's IT predicted from
    another seed's blocks, at least two CNNs; skipped without ``control``), and the
    statistic with noise-free
    targets, the rate twin's IT (the circuits' statistic without spiking noise) and the
    untrained CNN's IT (depth without learning)."""
    trained, features, labels = ev.cnns.trained, ev.cnns.features, ev.images.labels
    results = OrderedDict()
    control = ""
    if control and len(trained) >= 2:
        c6 = _t6_positive_control([features[c] for c in trained], labels, ev.seed)
        results["t6_positive_control"] = c6.tolist()
        control = (f"; positive control: a CNN's IT from another seed's IT minus from its "
                   f"V1 {c6.mean():+.3f} ({c6.min():+.3f} to {c6.max():+.3f} over {c6.size} "
                   f"pairs; noise-free, no ceiling)")
        log("T6 positive control")
    sources = ([_reduce(features[c]["IT"]) for c in trained],
               [_reduce(features[c]["V1"]) for c in trained])
    refs = ""
    if trained:
        results["t6_rate_twin"] = _t6_statistic(ev.reps["rate twin"]["it"], labels, *sources,
                                                seed=ev.seed)
        refs = f"; the rate twin's IT (noise-free, no ceiling) {results['t6_rate_twin']:+.3f}"
        if "CNN untrained" in features:
            results["t6_untrained_cnn"] = _t6_statistic(features["CNN untrained"]["IT"],
                                                        labels, *sources, seed=ev.seed)
            refs += (f"; the untrained CNN's IT as the target (noise-free) "
                     f"{results['t6_untrained_cnn']:+.3f}")
    # how categorical the trained CNNs' IT units are, beside the circuits' (T6's detail)
    eta_cnn = (float(np.mean([np.nanmedian(metrics.category_selectivity(features[c]["IT"],
                                                                         labels))
                              for c in trained])) if trained else np.nan)
    return T6References(sources, eta_cnn, control + refs, results)


class ModelTargets(NamedTuple):
    """T2-T6 of one circuit model (:func:`model_targets`).

    Attributes
    ----------
    targets : OrderedDict of str to dict
        Those computable (T3-T6 need a trained CNN).
    pairs : list of dict
        T2's hierarchy score for each (circuit seed, CNN) pair.
    t3 : dict or None
        T3's numbers per area (None without trained CNN).
    """

    targets: OrderedDict
    pairs: list
    t3: dict


def model_targets(ev, model, ckey, cka, decoding, t6, log, t5_cka=None):
    """T2-T6 for the circuit ``model`` (``ckey``: its name in ``ev.reps``).

    Parameters
    ----------
    ev : Evaluation
    model : {'mcculloch_pitts', 'lif'}
    ckey : str
    cka : dict
        :func:`cka_matrices`.
    decoding : Decoding
        :func:`decode_levels`.
    t6 : T6References
    log : callable
        Called with each stage's name when it is done.
    t5_cka : dict, optional
        The matrices whose row maxima are T5's blocks (default ``cka``; an
        out-of-distribution set takes those of the evaluation images).

    Returns
    -------
    ModelTargets
    """
    targets = OrderedDict()
    best, pairs, choices = _best_blocks(ev, model)
    t2 = _t2_target(pairs, choices, ev.seed)
    if t2 is not None:
        targets["T2"] = t2
    log(f"{ckey}: T2")
    t3 = None
    if ev.cnns.trained:
        targets["T3"], t3 = _t3_target(ev, ckey, best)
        log(f"{ckey}: T3")
        targets["T4"] = _t4_target(ev, ckey, decoding.correct)
        log(f"{ckey}: T4")
        targets["T5"] = _t5_target(ev, model, ckey, cka if t5_cka is None else t5_cka,
                                   chosen=t5_cka is None)
        log(f"{ckey}: T5")
    counts_it = ev.runs.it_counts.get(model)
    if ev.cnns.trained and counts_it is not None and counts_it.shape[1] >= 2:
        targets["T6"] = _t6_target(ev, counts_it, t6)
        spikes = ev.runs.category_spikes.get(model)
        if spikes is not None:
            got = _t6_target(ev, spikes, t6)
            units = ev.runs.category_units[model]
            got["detail"] = (f"IT read by its {len(units.weights)} category units trained "
                             f"by reward-modulated STDP ({units.params.n_per_category} per "
                             "category; on each trial the unit whose first spike decides "
                             "fires, circuits.learning_rstdp.category_responses): "
                             + got["detail"])
            targets[T6_CATEGORY_UNITS] = got
        log(f"{ckey}: T6")
    return ModelTargets(targets, pairs, t3)


def _best_blocks(ev, model):
    """Each area's best-matching CNN block for every circuit seed of ``model`` and every
    CNN: the split-half choice of :func:`circuits.metrics.best_block` (T3 scores it on
    the held-out half) and the choice on every image with its distribution over the
    same half-samples for every pair (:func:`circuits.robust.block_choice`, T2).
    Returns ``({(seed index, CNN): BestBlock}, [T2's numbers per pair], {(seed index,
    CNN): BlockChoice})``."""
    best, pairs, choices = {}, [], {}
    halves = robust.half_samples(ev.images.n, ev.cfg["n_boot"], ev.seed)
    for cs in range(seeds_of(ev.cfg, model)):
        if (model, cs) not in ev.runs.areas:
            continue
        areas_cs = {a: ev.runs.areas[(model, cs)][a] for a in AREAS}
        for cname in ev.cnns.features:
            blocks = dict(zip(LABELS, ev.cnns.blocks(cname)))
            best[(cs, cname)] = metrics.best_block(areas_cs, blocks,
                                                   labels=ev.images.labels, seed=ev.seed)
            ch = robust.block_choice(areas_cs, blocks, halves=halves)
            h, mono, _ = ch.hierarchy()
            choices[(cs, cname)] = ch
            pairs.append(dict(circuit_seed=ev.seed + cs, cnn=cname, H=h, monotone=mono,
                              best=ch.names, ties=int(ch.tie.sum()),
                              ties_paired=int(ch.ties("paired").sum()), wins=ch.wins.tolist(),
                              cka=ch.cka.tolist(), split_half=best[(cs, cname)].names,
                              H_split=metrics.hierarchy_score(best[(cs, cname)].index)[0]))
    return best, pairs, choices


def _t2_target(pairs, choices, seed=0):
    """T2 from the hierarchy score of each (circuit seed, CNN) pair on every image, its
    interval over images and seeds (:func:`circuits.robust.hierarchy_interval`), ties
    counted against monotonicity; None without trained CNN."""
    tp = [p for p in pairs if p["cnn"] != "CNN untrained"]
    up = [p for p in pairs if p["cnn"] == "CNN untrained"]
    if not tp:
        return None
    hi = robust.hierarchy_interval({k: v for k, v in choices.items()
                                    if k[1] != "CNN untrained"}, seed=seed)
    n_ok = sum(p["H"] >= 0.8 and p["monotone"] for p in tp)
    h_un = float(np.mean([p["H"] for p in up])) if up else float("nan")
    need = int(np.ceil(0.8 * len(tp)))
    wins = np.mean([p["wins"] for p in tp], axis=0)
    win_text = "; ".join(f"{lab}: " + ", ".join(f"{b} {w:.2f}" for b, w in zip(LABELS, row)
                                                 if w >= 0.005)
                         for lab, row in zip(LABELS, wins))
    return dict(value=hi["H"], ci=hi["ci_seeds"],
                holds=bool(hi["H"] >= 0.8 and n_ok >= need and hi["ci_seeds"][0] > h_un),
                criterion=f"H >= 0.8 with its CI above the untrained CNN's H; monotone, "
                          f"no tie, in >= {need} of {len(tp)} (circuit seed, CNN seed) pairs",
                ci_label=f"over images and {hi['n_circuit_seeds']} circuit x "
                         f"{hi['n_cnn_seeds']} CNN seeds",
                H_untrained=h_un, ci_images=hi["ci_images"], ties=sum(p["ties"] for p in tp),
                detail=f"{n_ok} of {len(tp)} pairs monotone with no tie (a tie: the top two "
                       f"blocks' 95 % half-sampling intervals overlap; shown as V2=V4); mean "
                       f"H trained {hi['H']:.2f} {_ci(*hi['ci_images'])} over images, "
                       f"untrained {h_un:.2f}; ties {sum(p['ties'] for p in tp)} of "
                       f"{len(AREAS) * len(tp)} areas x trained pairs (with the paired "
                       f"difference's interval instead: "
                       f"{sum(p['ties_paired'] for p in tp)}); how often each block wins "
                       f"(half-samples, mean over trained pairs) {win_text}; " + "; ".join(
                           f"(c{p['circuit_seed']}, {p['cnn']}): H {p['H']:.2f}"
                           f"{'' if p['monotone'] else ' (not monotone or tied)'}, "
                           f"best {'-'.join(p['best'])}" for p in pairs))


def _t3_target(ev, ckey, best):
    """T3: each area's best-match CKA against the matched HMAX stage's (first circuit
    seed, every trained CNN). Returns ``(target, numbers per area)``."""
    from . import hmax as hmax_mod
    trained, hmax, blocks = ev.cnns.trained, ev.hmax, ev.cnns.blocks
    hbest = {c: metrics.best_block(hmax, dict(zip(LABELS, blocks(c))),
                                   labels=ev.images.labels, seed=ev.seed) for c in trained}
    cbest = {c: best[(0, c)] for c in trained}
    held = cbest[trained[0]].score_images
    k = len(trained)

    def stat(x, h, *bl):
        return float(np.mean([metrics.cka(x, bl[j]) - 0.9 * metrics.cka(h, bl[k + j])
                              for j in range(k)]))
    t3 = {}
    for i, a in enumerate(AREAS):
        circ_blocks = [blocks(c)[cbest[c].index[i]] for c in trained]
        hm_blocks = [blocks(c)[hbest[c].index[i]] for c in trained]
        arrays = [ev.reps[ckey][a][held], hmax[a][held]] + \
                 [b[held] for b in circ_blocks] + [b[held] for b in hm_blocks]
        est, lo, hi, _ = metrics.bootstrap(stat, *arrays, n_boot=ev.cfg["n_boot"], seed=ev.seed)
        c_score = float(np.mean([cbest[c].score[i] for c in trained]))
        h_score = float(np.mean([hbest[c].score[i] for c in trained]))
        t3[a] = dict(circuit=c_score, hmax=h_score, ratio=c_score / h_score,
                     diff=est, ci=(lo, hi))
    worst = min(t3, key=lambda a: t3[a]["ratio"])
    target = dict(value=t3[worst]["ratio"], ci=None,
                  holds=all(v["ratio"] >= 0.9 for v in t3.values()),
                  criterion="circuit best-match CKA >= 0.9 x HMAX's, every area",
                  detail="; ".join(
                      f"{a.upper()}: circuit {v['circuit']:.3f} vs "
                      f"{hmax_mod.AREAS[lab]} {v['hmax']:.3f} (ratio "
                      f"{v['ratio']:.2f}; circuit - 0.9 HMAX "
                      f"{v['diff']:+.3f} {_ci(*v['ci'])})"
                      for (a, v), lab in zip(t3.items(), LABELS))
                  + f" (value: the lowest ratio, {worst.upper()})")
    return target, t3


def _t4_target(ev, ckey, correct):
    """T4: circuit IT against HMAX C2, in CKA with the trained CNNs' IT and in decoding
    at the hardest level (V6; ``correct``: :attr:`Decoding.correct`)."""
    hard = _levels(ev)[-1]
    its = [ev.cnns.features[c]["IT"] for c in ev.cnns.trained]
    it, c2 = ev.reps[ckey]["it"], ev.hmax["it"]

    def stat4(x, h, *bl):
        return float(np.mean([metrics.cka(x, b) - metrics.cka(h, b) for b in bl]))
    est, lo, hi, _ = metrics.bootstrap(stat4, it, c2, *its, n_boot=ev.cfg["n_boot"],
                                       seed=ev.seed)
    c_it = float(np.mean([metrics.cka(it, b) for b in its]))
    h_it = c_it - est
    d = correct[(ckey, "it", hard)] - correct[("HMAX", "it", hard)]
    dest, dlo, dhi, _ = metrics.bootstrap(np.mean, d, n_boot=ev.cfg["n_boot"] * 5,
                                          seed=ev.seed, method="replace")
    acc_c = float(np.mean(correct[(ckey, "it", hard)]))
    acc_h = float(np.mean(correct[("HMAX", "it", hard)]))
    return dict(value=est, ci=(lo, hi), holds=bool(est >= 0 and dest >= 0),
                aim=bool(est >= 0.05 and lo > 0 and dlo > 0),
                criterion="circuit >= HMAX on both (aim: +0.05, CI above 0)",
                detail=f"CKA with CNN IT: circuit IT {c_it:.3f}, HMAX C2 "
                       f"{h_it:.3f}, difference {est:+.3f} {_ci(lo, hi)}; "
                       f"decoding at {hard}: circuit IT {acc_c:.3f}, C2 {acc_h:.3f}, "
                       f"difference {dest:+.3f} {_ci(dlo, dhi)}")


def _t5_target(ev, model, ckey, cka, chosen=True):
    """T5: each area's CKA with its best block of the first trained CNN (the row
    maxima of ``cka``: chosen on every image of ``ev`` if ``chosen``, else elsewhere),
    scored on T5's images: a permutation test, and the differences with the pixels and
    with the shuffled circuit."""
    c0 = ev.cnns.trained[0]
    t5_images = ev.images.t5_images
    index = np.argmax(cka[(ckey, c0)], axis=1)
    pix5 = t5_images.reshape(len(t5_images), -1)
    rows, ok = [], True
    for i, a in enumerate(AREAS):
        blk = ev.cnns.t5_blocks[index[i]]
        x = ev.runs.t5_areas[model][a]
        obs, p_perm, _ = metrics.cka_permutation_test(x, blk, n_perm=ev.cfg["n_perm"],
                                                      seed=ev.seed)
        ps = []
        for other in (pix5, ev.twins.t5_shuffled[a]):
            e, _, _, smp = metrics.bootstrap(
                lambda u, v, w: metrics.cka(u, w) - metrics.cka(v, w), x, other, blk,
                n_boot=ev.cfg["n_boot"], seed=ev.seed)
            ps.append((e, metrics.resampling_p(e, smp)))
        ok &= p_perm < 0.01 and all(p < 0.01 for _, p in ps)
        rows.append(f"{a.upper()} ({LABELS[index[i]]}): CKA {obs:.3f}, permutation p "
                    f"{p_perm:.3g}; minus pixels {ps[0][0]:+.3f} (p {ps[0][1]:.3g}); "
                    f"minus shuffled {ps[1][0]:+.3f} (p {ps[1][1]:.3g})")
    pmax = 1.0 / (1 + ev.cfg["n_boot"])
    return dict(value=None, ci=None, holds=bool(ok),
                criterion="p < 0.01 for each area (permutation and both differences)",
                detail="; ".join(rows) + f" ({c0}; blocks chosen on the "
                       + (f"{ev.images.n} evaluation images, scored on "
                          f"{len(t5_images)} fresh ones, one trial" if chosen else
                          f"protocol's evaluation images, scored on these "
                          f"{len(t5_images)}") + f"; smallest resampling p possible "
                       f"{pmax:.3g})")


def _t6_target(ev, counts_it, refs):
    """T6: circuit IT's predictivity from the trained CNNs' IT minus from their V1,
    normalised by each unit's split-half reliability over the trials ``counts_it``."""
    labels = ev.images.labels
    target = counts_it.mean(1)
    rel = metrics.split_half_reliability(counts_it, seed=ev.seed)
    srcs_it, srcs_v1 = refs.sources
    live = target.std(0) > 0
    target, rel = target[:, live], rel[live]
    k = len(ev.cnns.trained)

    def stat6(y, lab, *src, splits=10):
        return _t6_statistic(y, lab, src[:k], src[k:], rel, ev.seed, splits)
    try:
        est, p_it, r_diff = _t6_statistic(target, labels, srcs_it, srcs_v1, rel, ev.seed,
                                          per_neuron=True)
        _, lo, hi, _ = metrics.bootstrap(
            lambda *z: stat6(*z, splits=3), target, labels, *srcs_it, *srcs_v1,
            n_boot=ev.cfg["n_boot_slow"], seed=ev.seed)
        return dict(value=est, ci=(lo, hi), holds=bool(est > 0 and lo > 0),
                    criterion="> 0 with the CI above 0",
                    detail=f"from CNN IT {p_it:.3f}, from CNN V1 {p_it - est:.3f} "
                           f"(normalised by the median split-half reliability "
                           f"{np.median(rel):.3f} of {live.sum()} responsive IT "
                           f"units; CI: {ev.cfg['n_boot_slow']} half-samples, 3 "
                           f"splits each){refs.detail}"
                           f"{_selectivity_detail(target, r_diff, labels, refs.eta_cnn)}")
    except ValueError as err:           # e.g. unreliable neurons
        return dict(value=None, ci=None, holds=False, criterion="> 0",
                    detail=f"not computable: {err}")


def _selectivity_detail(y, r_diff, labels, eta_cnn):
    """T6's detail on category selectivity: the circuit's IT units' (``y``) against
    the trained CNNs' (``eta_cnn``), and its rank correlation with each unit's
    difference ``r_diff``."""
    eta = metrics.category_selectivity(y, labels)
    rho = stats.spearmanr(eta, r_diff)[0]
    return (f"; category selectivity (eta squared, median over units): circuit IT "
            f"{np.median(eta):.2f}, the trained CNNs' IT {eta_cnn:.2f}; Spearman rho "
            f"between a circuit IT unit's selectivity and its difference {rho:+.2f}")


# ------------------------------------------------------------------ time
def t8_target(elapsed, cpu, timings, limit, quick):
    """T8: the wall time to the table (``elapsed`` seconds, ``cpu`` of the process,
    ``timings`` per stage) against ``limit``."""
    version = "quick" if quick else "full"
    return dict(value=elapsed, ci=None, holds=bool(elapsed <= limit),
                criterion=f"<= {limit:.0f} s on 2 cores ({version} protocol)",
                detail=f"{version} protocol, wall time to the "
                       f"table: {elapsed:.0f} s (CPU time of the process and "
                       f"its workers {cpu:.0f} s; on a shared machine the wall time also "
                       f"counts other jobs); stages: " + ", ".join(
                           f"{k} {v:.0f} s" for k, v in timings.items()))
