"""Category decoding along the hierarchy on a larger image set (:func:`decoding_v6`).

A companion of the comparison protocol (``python -m circuits.protocol --decoding N``):
the protocol's decoding has too few images per level to resolve T4's aim, so this
measures it on many fresh images of one level, pooling circuit seeds.
"""
import os
import time
from collections import OrderedDict

import numpy as np

from . import metrics, stimuli
from .protocol_config import AREAS, CIRCUIT_KEYS, LABELS, LEARNED, PRESETS
from .protocol_report import _ci
from .protocol_models import cache_folder
from .protocol_responses import _twin_of, circuit_pathway
from .protocol_stats import _cv_correct

__all__ = ["decoding_v6"]


def decoding_v6(n_per_category=32, out_dir="docs/results", seed=0,
                models=("mcculloch_pitts", "lif"), level="V6", n_boot=1000, trials=2,
                circuit_seeds=1, cnn_seeds=0, cache_dir=None, verbose=True, **build):
    """Category decoding along the hierarchy on a larger set of one variation level.

    The protocol's decoding uses 64 images per level (full), where an accuracy has a
    standard error of about 0.06, too coarse for T4's aim (circuit IT 0.05 above HMAX
    C2). This presents ``n_per_category`` x 8 fresh images of ``level`` (seed offset
    700, every font) to each circuit and its rate twin, built at ``circuit_seeds``
    seeds (each with its own templates, imprinted from the protocol's training images
    of that seed, and its own noise), and to HMAX fitted on the same training images;
    decodes pixels, V1, V2, V4 and IT (HMAX: S1, C1, S2, C2; cross-validated logistic
    regression, as the protocol); and bootstraps, over images, the differences
    V1 - pixels, IT - V1 and IT - C2 of each image's correctness averaged over the
    seeds. A circuit's representation is, as in the protocol, its spike counts
    averaged over ``trials`` noisy presentations (2, the protocol's number).
    ``models`` may name the learned circuit (``"mcculloch_pitts_learned"``: V2 learned
    by STDP, :data:`circuits.protocol_config.LEARNED`; its features learned once per
    seed and cached in ``cache_dir``, as :func:`circuits.protocol_models.cache_folder`).
    With ``cnn_seeds``, the full protocol's trained CNNs (seeds ``0 .. cnn_seeds - 1``,
    from the cache or trained) are decoded too, each image's correctness averaged over
    them; and the IT of the first two models of ``models`` are compared with each
    other and with every CNN's IT block.

    Writes ``visual-pathway-decoding-<level>.md`` and returns, per representation,
    ``accuracy`` (mean over seeds; pixels, V1, V2, V4, IT), ``per_seed`` (the IT
    accuracy at each seed) and the three differences as ``(estimate, low, high)``, and
    (with two circuits, or with CNNs) ``it_differences``, ``{(a, b): (estimate, low, high)}``;
    ``build``: more arguments of :func:`circuits.build_pathway` (e.g. ``it={...}``).
    """
    if int(circuit_seeds) != circuit_seeds or circuit_seeds < 1:
        raise ValueError(f"circuit_seeds={circuit_seeds!r} must be a whole number >= 1")
    unknown = [m for m in models if m not in CIRCUIT_KEYS]
    if unknown or not models:
        raise ValueError(f"models={models!r}: each must be one of {list(CIRCUIT_KEYS)}")
    from threadpoolctl import threadpool_limits
    from . import hmax as hmax_mod
    from .pathway import build_pathway
    folder = cache_folder(cache_dir)
    learned_cfg = dict(size=PRESETS["full"]["size"], n_jobs=build.get("n_jobs", 1),
                       homeostasis=build.get("homeostasis", True), models=models)
    t0, c0 = time.perf_counter(), time.process_time()
    size = PRESETS["full"]["size"]
    images, labels, _ = stimuli.object_set(n_per_category, level, size, seed=seed + 700)
    correct = OrderedDict()       # name -> list over seeds of (5, n_images) correctness
    with threadpool_limits(1):
        pix = _cv_correct(images.reshape(len(images), -1), labels, 1, seed)
        for cs in range(seed, seed + circuit_seeds):
            training = stimuli.object_set(4, "V3", size, seed=cs + 100)[0]
            hf = hmax_mod.HMAX(n_bands=2, seed=cs).fit(training).features(images)
            reps = {"HMAX": {a: hf[hmax_mod.AREAS[lab]] for a, lab in zip(AREAS, LABELS)}}
            learned = None
            for model in models:
                if model in LEARNED:
                    pw = circuit_pathway(learned_cfg, cs, model, training, cache_dir=folder)
                else:
                    pw = build_pathway(size, "it", model=model, seed=cs, n_threads=1,
                                       training=training if learned is None else None,
                                       learned=learned, **build)
                    learned = learned or pw.state()
                names = [p for a in AREAS for p in pw.recorded(a)]
                r = pw.present(images, trials=trials, populations=names)
                reps[f"circuit {model}"] = {a: r.area_activity(a, pw.recorded(a))
                                            for a in AREAS}
                if model == models[0]:
                    reps["rate twin"] = _twin_of(pw, images)
            for name, rep in reps.items():
                got = np.array([pix] + [_cv_correct(rep[a], labels, 1, seed) for a in AREAS],
                               float)
                correct.setdefault(name, []).append(got)
            if verbose:
                print(f"[decoding] circuit seed {cs}: IT " + ", ".join(
                    f"{k} {v[-1][4].mean():.3f}" for k, v in correct.items()), flush=True)
        if cnn_seeds:
            correct["CNN"] = _cnn_correct(images, labels, cnn_seeds, seed, cache_dir)
    hmax_seeds = correct.pop("HMAX")
    c2 = np.mean(hmax_seeds, 0)[4]
    rows, out = [], {}
    for name, per_seed in correct.items():
        mean = np.mean(per_seed, 0)                       # (5, n_images)
        diffs = [metrics.bootstrap(np.mean, d, n_boot=n_boot, seed=seed,
                                   method="replace")[:3]
                 for d in (mean[1] - mean[0], mean[4] - mean[1], mean[4] - c2)]
        out[name] = dict(accuracy=mean.mean(1).tolist(),
                         per_seed=[float(c[4].mean()) for c in per_seed],
                         v1_minus_pixels=diffs[0], it_minus_v1=diffs[1],
                         it_minus_c2=diffs[2])
        rows.append(f"| {name} | " + " | ".join(f"{a:.3f}" for a in mean.mean(1)) + " | "
                    + " | ".join(f"{e:+.3f} {_ci(lo, hi)}" for e, lo, hi in diffs) + " |")
    out["HMAX C2"] = dict(accuracy=float(c2.mean()),
                          per_seed=[float(c[4].mean()) for c in hmax_seeds])
    seeds_table = ["| IT (HMAX: C2) at circuit seed | " + " | ".join(
        str(cs) for cs in range(seed, seed + circuit_seeds)) + " |",
        "|---|" + "---|" * circuit_seeds]
    for name, per_seed in list(correct.items()) + [("HMAX C2", hmax_seeds)]:
        accs = " | ".join(f"{c[4].mean():.3f}" for c in per_seed)
        seeds_table.append(f"| {name}{' (CNN seeds)' if name == 'CNN' else ''} | {accs} |")
    it_pairs = _it_differences(correct, [f"circuit {m}" for m in models[:2]], n_boot, seed)
    if it_pairs:
        out["it_differences"] = it_pairs
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    md = os.path.join(out_dir, f"visual-pathway-decoding-{level}.md")
    os.makedirs(out_dir, exist_ok=True)
    seeds_text = (f"seed {seed}" if circuit_seeds == 1 else
                  f"circuit seeds {seed}-{seed + circuit_seeds - 1}, each image's "
                  f"correctness averaged over them")
    lines = [
        f"# Category decoding along the hierarchy at {level} ({len(images)} images)", "",
        f"Written by `python -m circuits.protocol --decoding {n_per_category}"
        + (f" --circuit-seeds {circuit_seeds}" if circuit_seeds > 1 else "")
        + (f" --models {','.join(models)}" if tuple(models) != ("mcculloch_pitts", "lif")
           else "")
        + (f" --cnn-seeds {cnn_seeds}" if cnn_seeds else "") + "` "
        f"(`circuits.protocol.decoding_v6`): {n_per_category} objects per category at "
        f"{level} (every font), 32 x 32 px, each area's recorded neurons "
        f"(`Pathway.recorded`), each spiking circuit's responses averaged "
        f"over {trials} trials ({seeds_text}"
        + ("; the LIF circuit has the McCulloch-Pitts circuit's templates"
           if "lif" in models and "mcculloch_pitts" in models else "")
        + ("; the learned circuits' V2 learned by STDP from the same training images"
           if any(m in LEARNED for m in models) else "")
        + (f"; CNN: the full protocol's, seeds 0-{cnn_seeds - 1}" if cnn_seeds else "")
        + "; HMAX fitted on each seed's training images), "
        f"cross-validated logistic regression (5 folds), chance 0.125. HMAX C2 decodes "
        f"{c2.mean():.3f}. Differences: mean over images of correct(a) - correct(b), 95 % "
        f"bootstrap CI over images ({n_boot} resamples). {wall:.0f} s wall, "
        f"{cpu:.0f} s CPU.", "",
        "| representation | pixels | V1 | V2 | V4 | IT | V1 - pixels | IT - V1 | IT - C2 |",
        "|---|---|---|---|---|---|---|---|---|"] + rows
    if circuit_seeds > 1:
        lines += [""] + seeds_table
    if it_pairs:
        lines += ["", "IT against IT, each image's correctness averaged over the seeds "
                      "(95 % bootstrap CI over images):", "",
                  "| IT of | minus IT of | difference |", "|---|---|---|"]
        lines += [f"| {a} | {b} | {e:+.3f} {_ci(lo, hi)} |" for (a, b), (e, lo, hi)
                  in it_pairs.items()]
    with open(md, "w") as f:
        f.write("\n".join(lines) + "\n")
    if verbose:
        print("\n".join(rows), flush=True)
    return out


def _cnn_correct(images, labels, cnn_seeds, seed, cache):
    """Each trained CNN's per-image correctness, pixels then its blocks (as the
    circuits'), one ``(5, n_images)`` array per CNN seed."""
    from . import cnn
    from .protocol_models import trained_cnn
    pix = _cv_correct(images.reshape(len(images), -1), labels, 1, seed)
    out = []
    for s in range(cnn_seeds):
        feats = cnn.extract_features(trained_cnn(s, seed=seed, cache=cache), images,
                                     pool="flatten")
        out.append(np.array([pix] + [_cv_correct(feats[b], labels, 1, seed) for b in LABELS],
                            float))
    return out


def _it_differences(correct, circuits, n_boot, seed):
    """IT's correctness of the first circuit minus the second's, and of each minus the
    CNNs' IT block's (each minus HMAX C2's is in the main table):
    ``{(a, b): (estimate, low, high)}``."""
    it = {name: np.mean(correct[name], 0)[4] for name in circuits + ["CNN"] if name in correct}
    pairs = [tuple(circuits)] if len(circuits) == 2 and all(c in it for c in circuits) else []
    pairs += [(c, "CNN") for c in circuits if c in it and "CNN" in it]
    return OrderedDict(((a, b), tuple(metrics.bootstrap(np.mean, it[a] - it[b], n_boot=n_boot,
                                                        seed=seed, method="replace")[:3]))
                       for a, b in pairs)
