"""The comparison protocol's outputs: the results page, the raw numbers, the figures.

:func:`write_report` writes ``visual-pathway.md`` (:func:`_markdown`) and
``visual-pathway.json``; :func:`figures` draws the area x block CKA matrices, the
decoding curves, the RDMs and T7's distributions. The number formats (:func:`_fmt`,
:func:`_ci`) serve the targets' details too.
"""
import json
import os

import numpy as np

from . import metrics
from .protocol_config import (CIRCUIT_KEYS, LABELS, LEARNED, LEVELS, T6_CATEGORY_UNITS,
                              TARGETS, seeds_of)

__all__ = ["write_report", "figures"]


def _holds_cell(key, target):
    """The results table's "holds" cell; T4's also says whether its aim is met on the
    protocol's images."""
    holds = {True: "yes", False: "**no**", None: "not measured"}[target["holds"]]
    if key == "T4" and target.get("holds"):
        holds += (" (aim +0.05 with CI > 0 on these images: "
                  + ("met" if target.get("aim") else "not met") + ")")
    return holds


def _learned_sentence(models):
    """What the learned circuits among ``models`` are (empty without one)."""
    learned = [m for m in models if m in LEARNED]
    if not learned:
        return ""
    names = ", ".join(f"`{m}`" for m in learned)
    return (f"A learned circuit ({names}) is the circuit of its neuron model whose V2 "
            "templates are learned by STDP from the same training images "
            "(`circuits.learning_pathway.learned_pathway`; V4 and IT imprinted on the "
            "learned V2, as usual); T6 is also measured on its IT's category units, "
            "trained by reward-modulated STDP (`circuits.learning_pathway.category_units`). ")


def _row_label(key, name):
    """A row of circuit ``name``'s table: ``T2 LIF: hierarchy score ...``."""
    if key == T6_CATEGORY_UNITS:
        return f"T6 {name}, IT category units: {TARGETS['T6']}"
    return f"{key} {name}: {TARGETS[key]}"


def _fmt(v, d=3):
    """``v`` with ``d`` decimals; "n/a" for None, NaN or infinity."""
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "n/a"
    return f"{v:.{d}f}"


def _ci(lo, hi, d=3):
    """A confidence interval, ``[lo, hi]``."""
    return f"[{_fmt(lo, d)}, {_fmt(hi, d)}]"



def write_report(out_dir, res, cfg, quick, dec, figs, cnn_acc, n):
    """Write the results page and the raw numbers of ``res`` to ``out_dir``.

    Returns
    -------
    dict
        The paths: ``markdown``, ``json`` and ``figures`` (``figs``).
    """
    md = os.path.join(out_dir, "visual-pathway.md")
    with open(md, "w") as f:
        f.write(_markdown(res, cfg, quick, dec, figs, cnn_acc, n))
    js = os.path.join(out_dir, "visual-pathway.json")
    with open(js, "w") as f:
        json.dump(_jsonable(res), f, indent=1)
    return {"markdown": md, "json": js, "figures": figs}


def _markdown(res, cfg, quick, dec, figs, cnn_acc, n):
    """The results page: the targets' table (and the LIF circuit's), their details, the
    decoding table, the CNNs' accuracy, the inhibition ablation and the figures."""
    t = res["targets"]
    lines = [f"# Visual pathway vs CNN: results ({'quick' if quick else 'full'} protocol)",
             "",
             f"Written by `python -m circuits.protocol{' --quick' if quick else ''}` "
             f"(`circuits/protocol.py`). {n} evaluation images ({cfg['n_per_category']} per "
             f"category x 8 categories x V0/V3/V6, every font, 2 held out of CNN training), "
             f"{cfg['size']} x {cfg['size']} px for every model; circuit: "
             f"{', '.join(cfg['models'])}, {cfg['trials']} trials at the first circuit seed "
             f"and 1 at the others (circuit seeds: "
             + ", ".join(f"{m} {seeds_of(cfg, m)}" for m in cfg["models"])
             + f"); CNN: {cfg['cnn_seeds']} training seed(s) + untrained; "
             f"HMAX (2 bands, 256 S2 templates imprinted from the circuit's training images). "
             "Each circuit area is represented by its recorded neurons "
             "(`Pathway.recorded`: V1 simple and complex cells; V2, V4 template and "
             "pooling units; IT: V4's templates pooled over every position), in spikes per "
             "step; T0 compares the V1 complex cells. "
             + _learned_sentence(cfg["models"])
             + "CIs are 95 % half-sampling bootstrap intervals over images unless noted.", "",
             "| target | holds when | value | 95 % CI | holds |", "|---|---|---|---|---|"]
    for key, what in TARGETS.items():
        v = t[key]
        holds = _holds_cell(key, v)
        val = _fmt(v["value"]) if key != "T8" else (f"{v['value']:.0f} s"
                                                     if v["value"] is not None else "n/a")
        ci = _ci(*v["ci"]) if v.get("ci") else "-"
        if v.get("ci_label"):
            ci += f" ({v['ci_label']})"
        lines.append(f"| {key}: {what} | {v['criterion']} | {val} | {ci} | {holds} |")
    others = res.get("circuit_targets", {})
    for ckey, own in others.items():
        name = ckey.replace("circuit ", "")
        lines += ["", f"The same targets for the {name} circuit (T8 is shared):", "",
                  f"| target ({name} circuit) | holds when | value | 95 % CI | holds |",
                  "|---|---|---|---|---|"]
        for key, v in own.items():
            holds = _holds_cell(key, v)
            ci = _ci(*v["ci"]) if v.get("ci") else "-"
            if v.get("ci_label"):
                ci += f" ({v['ci_label']})"
            lines.append(f"| {_row_label(key, name)} | {v['criterion']} | "
                         f"{_fmt(v['value'])} | {ci} | {holds} |")
    lines += ["", "## Details", ""]
    for key in TARGETS:
        lines.append(f"- **{key}**: {t[key]['detail']}")
        for ckey, own in others.items():
            for k in (key, T6_CATEGORY_UNITS) if key == "T6" else (key,):
                if k in own:
                    label = _row_label(k, ckey.replace("circuit ", "")).split(":")[0]
                    lines.append(f"- **{label}**: {own[k]['detail']}")
    lines += ["", "## Category decoding along the hierarchy", "",
              "Cross-validated logistic regression (5 folds or as many as the smallest "
              "category allows) at each variation level; columns pixels, V1, V2, V4, IT "
              "(HMAX: pixels, S1, C1, S2, C2; CNN: its blocks).", "",
              "| model | level | pixels | V1 | V2 | V4 | IT |", "|---|---|---|---|---|---|---|"]
    for (name, lv), accs in dec.items():
        lines.append(f"| {name} | {lv} | " + " | ".join(f"{a:.2f}" for a in accs) + " |")
    if cnn_acc:
        lines += ["", "CNN classifier accuracy on the evaluation images: " + "; ".join(
            f"seed {s}: " + ", ".join(f"{k} {v:.2f}" for k, v in a.items() if v is not None)
            for s, a in cnn_acc.items())]
    if res.get("ablation"):
        lines += ["", "## Inhibition ablation", "",
                  "Every inhibitory projection removed except the retina's contrast gain "
                  "control, thresholds and biases as calibrated with inhibition (acute "
                  "silencing of the interneurons); rates in spikes per step (mean over the "
                  "area's output neurons and every fourth V3 object), lifetime sparseness "
                  "(median "
                  "over responsive neurons), and the median orientation selectivity index "
                  "of V1 on gratings (8 orientations, both V1 spatial frequencies).", "",
                  "| circuit | measure | with inhibition | without | |",
                  "|---|---|---|---|---|"]
        for model, r in res["ablation"].items():
            for a in ("v1", "v2", "v4", "it"):
                if a not in r:
                    continue
                (w1, w0), (s1, s0) = r[a]["rate"], r[a]["sparseness"]
                lines.append(f"| {model} | {a.upper()} rate | {w1:.3f} | {w0:.3f} | "
                             f"x{w0 / max(w1, 1e-9):.1f} |")
                lines.append(f"| {model} | {a.upper()} sparseness | {s1:.3f} | {s0:.3f} | "
                             f"{s0 - s1:+.3f} |")
            for pop, (o1, o0) in r.get("osi", {}).items():
                lines.append(f"| {model} | {pop} OSI | {o1:.2f} | {o0:.2f} | {o0 - o1:+.2f} |")
    from .protocol_ood import ood_markdown
    lines += ood_markdown(res.get("ood"))
    lines += ["", "## Figures", ""] + [f"![{os.path.basename(p)}]({os.path.basename(p)})"
                                        for p in figs]
    return "\n".join(lines) + "\n"


def _jsonable(x):
    """``x`` with numpy values as Python ones and tuple keys joined by spaces."""
    if isinstance(x, dict):
        return {str(k) if not isinstance(k, tuple) else " ".join(map(str, k)): _jsonable(v)
                for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, (np.floating, np.integer, np.bool_)):
        return x.item()
    return x


def figures(out_dir, ev, cka, dec, t7=None):
    """Every figure of the results page, written to ``out_dir``; returns their paths.

    Parameters
    ----------
    out_dir : str
    ev : circuits.protocol_responses.Evaluation
    cka : dict
        :func:`circuits.protocol_targets.cka_matrices`.
    dec : OrderedDict
        The decoding accuracies (:class:`circuits.protocol_targets.Decoding`).
    t7 : circuits.protocol_t7.T7, optional
        T7's measures, when it was measured.
    """
    reps, cnns = ev.reps, ev.cnns
    figs = _figures(out_dir, cka, dec, reps, cnns.features)
    if cnns.trained:
        first = cnns.trained[0]
        order = [k for k in CIRCUIT_KEYS.values() if k in reps]
        figs.append(_rdm_figure(out_dir, [(k, reps[k]["it"]) for k in order]
                                + [("HMAX C2", ev.hmax["it"]),
                                   (f"{first} IT", cnns.features[first]["IT"])],
                                ev.images.labels))
    if t7 is not None:
        figs.append(_t7_figure(out_dir, t7.measured, t7.behind_retina))
    return figs


def _figures(out_dir, cka, dec, reps, cnns):
    """The CKA matrices (the first CNN's and the untrained one's) and the decoding
    curves at each level; returns their paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    paths = []
    if cka:
        cnames = list(cnns)
        shown = [c for c in cnames if c in (cnames[0], "CNN untrained")]
        rnames = [r for r in reps if r != "shuffled"] + ["shuffled"]
        fig, axes = plt.subplots(len(shown), len(rnames),
                                 figsize=(2.6 * len(rnames), 2.6 * len(shown)), squeeze=False)
        for i, c in enumerate(shown):
            for j, r in enumerate(rnames):
                ax = axes[i, j]
                m = cka[(r, c)]
                ax.imshow(m, vmin=0, vmax=max(1e-3, float(np.max([cka[(q, c)].max()
                                                                   for q in rnames]))),
                          cmap="viridis")
                for y, x in enumerate(np.argmax(m, 1)):       # outline, not over the value
                    ax.add_patch(plt.Rectangle((x - 0.45, y - 0.45), 0.9, 0.9, fill=False,
                                               ec="r", lw=1.5))
                for (y, x), v in np.ndenumerate(m):
                    ax.text(x, y, f"{v:.2f}", ha="center", va="center", fontsize=6,
                            color="w" if v < 0.6 * m.max() else "k")
                ax.set_xticks(range(4), LABELS, fontsize=7)
                ax.set_yticks(range(4), LABELS if r != "HMAX" else
                              ["S1", "C1", "S2", "C2"], fontsize=7)
                ax.set_title(r, fontsize=8)
                if j == 0:
                    ax.set_ylabel(f"area (vs {c})", fontsize=8)
                if i == len(shown) - 1:
                    ax.set_xlabel("CNN block", fontsize=8)
        fig.suptitle("debiased linear CKA, area x CNN block (outlined: each area's best block)",
                     fontsize=9)
        paths.append(_save(fig, out_dir, "visual-pathway-cka.png", dpi=110))
    names = list(dict.fromkeys(k[0] for k in dec))
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), sharey=True)
    for ax, lv in zip(axes, LEVELS):
        for name in names:
            ax.plot(range(5), dec[(name, lv)], marker="o", label=name,
                    ls="--" if name in ("shuffled", "CNN untrained") else "-", ms=3)
        ax.set_xticks(range(5), ("pixels",) + LABELS)
        ax.axhline(1 / 8, color="gray", lw=0.8, ls=":")
        ax.set_title(f"category decoding at {lv}")
        ax.set_ylim(0, 1.02)
    axes[0].set_ylabel("cross-validated accuracy")
    axes[-1].legend(fontsize=7, loc="upper left")
    paths.append(_save(fig, out_dir, "visual-pathway-decoding.png", dpi=110))
    return paths


def _rdm_figure(out_dir, items, labels):
    """RDMs (1 - Pearson r) of the images sorted by category, side by side, with the
    Spearman correlation of each with the last (the CNN's IT)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.stats import spearmanr
    order = np.argsort(labels, kind="stable")
    rdms = [metrics.rdm(x[order]) for _, x in items]
    iu = np.triu_indices(len(order), 1)
    fig, axes = plt.subplots(1, len(items), figsize=(3.0 * len(items), 3.2))
    for ax, (name, _), m in zip(np.atleast_1d(axes), items, rdms):
        r = spearmanr(m[iu], rdms[-1][iu])[0] if m is not rdms[-1] else 1.0
        ax.imshow(m, cmap="magma")
        edges = np.flatnonzero(np.diff(labels[order])) + 0.5
        for e in edges:
            ax.axhline(e, color="w", lw=0.4)
            ax.axvline(e, color="w", lw=0.4)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{name}\n(RSA with CNN IT {r:.2f})" if m is not rdms[-1] else name,
                     fontsize=8)
    fig.suptitle("RDMs (1 - Pearson r), images sorted by category", fontsize=9)
    return _save(fig, out_dir, "visual-pathway-rdm.png")


def _t7_figure(out_dir, t7, behind_retina):
    """Target T7: the data's histograms against each circuit's and the random bank's
    preferences, on the pixels and behind the circuit's retina (spatial frequencies at
    each model's best scale)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from . import devalois
    first = next(iter(t7.values()))
    rows = [("De Valois et al. 1982", None, None, "k")]
    rows += [(f"circuit {'MP' if m == 'mcculloch_pitts' else 'LIF'}", r["preferences"]["model"],
              (r["orientation"][0], r["sf"][0], r["sf_scale"][0]), c)
             for (m, r), c in zip(t7.items(), ("tab:blue", "tab:orange"))]
    rows.append(("random Gabor bank", first["preferences"]["bank"],
                 (first["orientation"][1], first["sf"][1], first["sf_scale"][1]), "0.6"))
    rows.append(("the bank behind the retina", behind_retina["preferences"],
                 (behind_retina["orientation"], behind_retina["sf"], behind_retina["sf_scale"]),
                 "0.75"))
    fig, (ax_o, ax_f) = plt.subplots(1, 2, figsize=(9.0, 3.2))
    n_rows = len(rows)
    centres = 0.5 * (devalois.ORIENTATION_EDGES[:-1] + devalois.ORIENTATION_EDGES[1:])
    for k, (name, prefs, dist, colour) in enumerate(rows):
        if prefs is None:
            o_frac = devalois.ORIENTATION_COUNTS / devalois.ORIENTATION_COUNTS.sum()
            f_frac = devalois.SF_COUNTS / devalois.SF_COUNTS.sum()
            label = name
        else:
            o_frac = np.histogram(prefs[0], devalois.ORIENTATION_EDGES)[0] / len(prefs[0])
            f_frac = np.histogram(prefs[1] * dist[2], devalois.SF_EDGES)[0] / len(prefs[1])
            label = f"{name} (KS {dist[0]:.2f} / {dist[1]:.2f})"
        ax_o.bar(centres + (k - (n_rows - 1) / 2) * 40.0 / n_rows, o_frac,
                 width=40.0 / n_rows, color=colour, label=label)
        ax_f.stairs(f_frac, devalois.SF_EDGES, color=colour, lw=2 if prefs is None else 1.5,
                    ls="--" if name.endswith("retina") else "-")
    ax_o.set_xticks(centres)
    ax_o.set_xlabel("preferred orientation (degrees)")
    ax_o.set_ylabel("fraction of cells")
    ax_f.legend(*ax_o.get_legend_handles_labels(), fontsize=7, loc="upper left")
    ax_f.set_xscale("log")
    ax_f.set_xlabel("peak spatial frequency (cycles/degree;\neach model at its best scale)",
                    fontsize=8)
    fig.suptitle("T7: V1 preferences against De Valois et al. (1982); KS distance: "
                 "orientation / spatial frequency", fontsize=9)
    return _save(fig, out_dir, "visual-pathway-t7.png")


def _save(fig, out_dir, name, dpi=80):
    """Lay out ``fig``, write it to ``out_dir/name``, close it; returns the path."""
    import matplotlib.pyplot as plt
    fig.tight_layout()
    path = os.path.join(out_dir, name)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
