"""The comparison protocol: the circuit against CNN features, HMAX and nulls (targets T0-T8).

:func:`run_protocol` does the whole of sections 3-5 of the visual-pathway plan
(``docs``): it draws the evaluation images (the glyph objects at variation levels V0,
V3 and V6, every font, the two fonts held out of CNN training included), presents them
to the spiking circuit (McCulloch-Pitts, and LIF in the full run) over several noisy
trials, computes its rate twin and the circuit with shuffled weights, trains (or loads
from a cache) the CORnet-Z-like CNN for one (quick) or three (full) seeds plus the
untrained control, fits HMAX, and measures the targets with the statistics of
:mod:`circuits.metrics`; then scores T1-T6 again on out-of-distribution sets that
nothing was fitted to (:mod:`circuits.protocol_ood`). It writes a markdown results
page, the area x block CKA matrices, the decoding curves along the hierarchy, and the
raw numbers (JSON).

Everything runs at the circuit's image size (32 x 32 pixels by default): the CNN is
trained on draws of the object set at that size, so the circuit, the CNN, HMAX and the
pixels all see the same images.

The stages live in modules of their own: the settings in
:mod:`circuits.protocol_config`, the responses compared (images, circuits, rate twin,
HMAX, CNNs) in :mod:`circuits.protocol_responses`, the targets in
:mod:`circuits.protocol_targets` and :mod:`circuits.protocol_t7` (with the statistics
of :mod:`circuits.protocol_stats` and :mod:`circuits.robust`), the results page and
figures in :mod:`circuits.protocol_report`, and the larger decoding set in
:mod:`circuits.protocol_decoding`.

The models compared are public, importable from here (:mod:`circuits.protocol_models`):
:func:`trained_cnn`, :func:`untrained_cnn`, :func:`training_set`,
:func:`imprinted_pathway`, :func:`learned_circuit` and :func:`evaluation_images` give
what the protocol uses, so that any number of its report can be reproduced in a short
script; trained CNNs, learned features and category units are cached in the user's
cache folder (:func:`cache_folder`).

Command line::

    python -m circuits.protocol --quick --out figures          # about 3 minutes
    python -m circuits.protocol --out docs/results               # the full protocol

Needs the ``circuits`` extra (scikit-learn, scikit-image, PyTorch, matplotlib).
"""
import argparse
import os
import time
from collections import OrderedDict

import numpy as np

from . import stimuli
# AREAS, LEVELS: unused here, importable from here as before the split
from .protocol_config import (AREAS, CIRCUIT_KEYS, LABELS, LEARNED, LEVELS,  # noqa: F401
                              PRESETS, ROW_ORDER, SHORT_NAMES, TARGETS)
from .protocol_decoding import decoding_v6
from .protocol_models import cache_folder, evaluation_images, imprinted_pathway, \
    learned_circuit, settings, trained_cnn, training_set, untrained_cnn
from .protocol_ood import ood_targets
from .protocol_report import figures, write_report
from .protocol_responses import collect_responses, gabor_reference, shuffled_circuit
from .protocol_t7 import t7_not_measured, t7_targets
from .protocol_targets import cka_matrices, decode_levels, model_targets, t0_target, \
    t1_targets, t6_references, t8_target

__all__ = ["run_protocol", "PRESETS", "TARGETS", "shuffled_circuit", "gabor_reference",
           "decoding_v6", "settings", "cache_folder", "evaluation_images",
           "imprinted_pathway", "learned_circuit", "training_set", "trained_cnn",
           "untrained_cnn"]


class _Log:
    """Times the protocol's stages: ``log(stage)`` when one is done (printed if
    ``verbose``); ``timings`` holds each stage's wall time."""

    def __init__(self, verbose):
        self.t0 = time.perf_counter()
        self.c0 = _cpu_seconds()
        self.last = self.t0
        self.verbose = verbose
        self.timings = OrderedDict()

    def __call__(self, stage):
        now = time.perf_counter()
        self.timings[stage] = now - self.last
        self.last = now
        if self.verbose:
            print(f"[protocol] {stage}: {self.timings[stage]:.1f} s "
                  f"(total {now - self.t0:.1f} s)", flush=True)

    @property
    def elapsed(self):
        """Wall seconds since the start."""
        return time.perf_counter() - self.t0

    @property
    def cpu(self):
        """CPU seconds of this process and its finished worker processes since the
        start (the machine may be shared)."""
        return _cpu_seconds() - self.c0


def _cpu_seconds():
    """CPU seconds of this process and of its children that have ended."""
    import resource
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + child.ru_utime + child.ru_stime


def run_protocol(quick=False, out_dir="docs/results", seed=0, *, config=None,
                 cache_dir=None, verbose=True):
    """Run the comparison protocol and write its results page and figures.

    Parameters
    ----------
    quick : bool
        The quick version (McCulloch-Pitts only, 1 CNN seed, fewer images and
        resamples; about 3 minutes on 2 cores) or the full one (McCulloch-Pitts and
        LIF, 2 circuit seeds, 3 CNN seeds; about 15 minutes, less with trained CNNs
        in the cache).
    out_dir : str or path
        Where ``visual-pathway.md``, ``visual-pathway.json`` and the figures
        ``visual-pathway-cka.png`` and ``visual-pathway-decoding.png`` are written.
    seed : int, optional
        Seeds the evaluation images (offset 500), T5's scoring images (offset 900),
        the circuit (``seed``, ``seed + 1``, ...), the CNN training data (offset 1000)
        and the statistics.
    config : dict, optional
        Overrides of :data:`PRESETS` (e.g. ``n_per_category``, ``trials``,
        ``cnn_epochs``; ``cnn_seeds=0`` skips the CNN).
    cache_dir : str, path or False, optional
        Where trained CNN weights and their training images are kept: a folder, None
        (the user's cache folder, :func:`~circuits.protocol_models.cache_folder`) or
        False (no cache).
    verbose : bool, optional
        Print each stage's time.

    Returns
    -------
    dict
        ``targets`` (one dict per target: ``value``, ``ci``, ``holds``, ``detail``),
        ``decoding``, ``cka`` (matrices), ``timings``, ``paths``.
    """
    from threadpoolctl import threadpool_limits
    # one BLAS thread: on 2 shared cores, more threads oversubscribe (several x slower)
    with threadpool_limits(1):
        return _run(quick, out_dir, seed, config, cache_folder(cache_dir), verbose)



def _run(quick, out_dir, seed, config, cache_dir, verbose):
    """The protocol's stages in order: the responses, the targets, the report."""
    cfg = dict(PRESETS["quick" if quick else "full"], **(config or {}))
    log = _Log(verbose)
    os.makedirs(out_dir, exist_ok=True)
    res = {"config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in cfg.items()},
           "quick": bool(quick), "seed": seed}
    ev = collect_responses(cfg, seed, cache_dir, log)
    res["cnn_accuracy"] = ev.cnns.accuracy

    targets = OrderedDict()
    reference = gabor_reference(ev.runs.reference, ev.images.images)
    targets["T0"] = t0_target(ev, reference, "mcculloch_pitts")
    log("T0")
    t1 = t1_targets(ev)
    targets["T1"] = t1["MP"]
    log("T1")
    cka = cka_matrices(ev)
    res["cka"] = {f"{r} x {c}": m.tolist() for (r, c), m in cka.items()}
    log("CKA matrices")
    decoding = decode_levels(ev)
    res["decoding"] = {f"{k[0]} @ {k[1]}": dict(zip(("pixels",) + LABELS, v))
                       for k, v in decoding.accuracy.items()}
    log("decoding")
    t6 = t6_references(ev, log)
    res.update(t6.results)
    for model in cfg["models"]:
        ckey = CIRCUIT_KEYS[model]
        got = model_targets(ev, model, ckey, cka, decoding, t6, log)
        res.setdefault("pairs", {})[ckey] = got.pairs
        if got.t3 is not None:
            res.setdefault("t3", {})[ckey] = got.t3
        if model == "mcculloch_pitts":
            targets.update(got.targets)
        else:
            own = OrderedDict(got.targets, T0=t0_target(ev, reference, model),
                              T1=t1[SHORT_NAMES[model]])
            res.setdefault("circuit_targets", OrderedDict())[ckey] = own
    if cfg.get("ood_sets"):
        res["ood"] = ood_targets(ev, cka, log)
    t7 = None
    if cfg.get("t7_phases"):
        t7 = t7_targets(cfg, seed, ev.runs.pathways)
        for model, got in t7.targets.items():
            (targets if model == "mcculloch_pitts"
             else res["circuit_targets"][CIRCUIT_KEYS[model]])["T7"] = got
        log("T7")
    else:
        for own in [targets] + list(res.get("circuit_targets", {}).values()):
            own["T7"] = t7_not_measured()
    for ckey, own in res.get("circuit_targets", {}).items():
        res["circuit_targets"][ckey] = OrderedDict((k, own[k]) for k in ROW_ORDER if k in own)
    res["ablation"] = _inhibition_ablation(ev, log)

    figs = figures(out_dir, ev, cka, decoding.accuracy, t7)
    log("figures")
    elapsed = log.elapsed
    targets["T8"] = t8_target(elapsed, log.cpu, log.timings, cfg["time_limit"], quick)
    for key in TARGETS:
        targets.setdefault(key, dict(value=None, ci=None, holds=None, criterion="",
                                     detail="not computed in this configuration (no CNN)"))
    res["targets"] = targets
    res["timings"] = dict(log.timings, total=elapsed)
    res["n_images"] = ev.images.n
    res["paths"] = write_report(out_dir, res, cfg, quick, decoding.accuracy, figs,
                                ev.cnns.accuracy, ev.images.n)
    if verbose:
        print(f"[protocol] results in {res['paths']['markdown']} ({elapsed:.0f} s)", flush=True)
    return res


def _inhibition_ablation(ev, log):
    """Rates and selectivity of each circuit with and without its inhibition
    (:func:`circuits.analysis.inhibition_ablation`; ``cfg["ablation"]``, else empty),
    on gratings and every fourth V3 image."""
    ablation = OrderedDict()
    if not ev.cfg.get("ablation"):
        return ablation
    from . import analysis
    g_img, g_prm = stimuli.grating_set(ev.cfg["size"], orientations=8,
                                       spatial_frequencies=(0.25, 0.125), phases=2,
                                       contrast=0.3)
    sel = np.flatnonzero(ev.images.level == "V3")[::4]
    for model in (m for m in ev.cfg["models"] if m not in LEARNED):
        ablation[model] = analysis.inhibition_ablation(
            ev.runs.pathways[(model, 0)], g_img, g_prm["orientation"], ev.images.images[sel])
    log("inhibition ablation")
    return ablation


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the quick protocol")
    parser.add_argument("--out", default=None, help="output folder (default docs/results, "
                                                    "figures with --quick)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=None,
                        help="CNN cache folder (default: the user's cache folder, "
                             "$NEUROSIM_CACHE_DIR/circuits if set)")
    parser.add_argument("--decoding", type=int, default=0, metavar="N",
                        help="only the decoding along the hierarchy on N objects per "
                             "category at V6 (decoding_v6)")
    parser.add_argument("--circuit-seeds", type=int, default=1, metavar="K",
                        help="with --decoding: circuits built at seeds seed .. seed+K-1")
    parser.add_argument("--models", default="mcculloch_pitts,lif",
                        help="with --decoding: the circuits, comma-separated (of "
                             f"{', '.join(CIRCUIT_KEYS)})")
    parser.add_argument("--cnn-seeds", type=int, default=0, metavar="K",
                        help="with --decoding: also the full protocol's CNNs 0 .. K-1")
    args = parser.parse_args(argv)
    out = args.out or ("figures" if args.quick else os.path.join("docs", "results"))
    if args.decoding:
        decoding_v6(args.decoding, out, seed=args.seed, circuit_seeds=args.circuit_seeds,
                    models=tuple(args.models.split(",")), cnn_seeds=args.cnn_seeds,
                    cache_dir=args.cache, n_jobs=2)
        return
    run_protocol(args.quick, out, seed=args.seed, cache_dir=args.cache)


if __name__ == "__main__":
    main()
