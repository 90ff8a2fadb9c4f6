"""Target T7 of the comparison protocol: V1's preferences against De Valois et al. (1982).

The circuit's V1 is shown gratings (:func:`circuits.stimuli.grating_set`); the
distributions of its neurons' preferred orientations and peak spatial frequencies are
compared with the data (:func:`circuits.devalois.compare`), beside a bank of random
Gabors, on the pixels and behind the circuit's retina. Measured in the full protocol
only (the gratings take about a minute per circuit); the figure is
:func:`circuits.protocol_report._t7_figure`.
"""
from collections import OrderedDict
from typing import NamedTuple

import numpy as np

from . import stimuli

__all__ = ["T7", "t7_targets", "t7_not_measured"]

CRITERION = "KS distance to the data <= a random Gabor bank's"


class T7(NamedTuple):
    """T7 of each circuit model (:func:`t7_targets`).

    Attributes
    ----------
    targets : OrderedDict of str to dict
        Per model, the T7 entry of the results.
    measured : dict of str to dict
        Per model, :func:`circuits.devalois.compare`'s result plus ``n_gratings``.
    behind_retina : dict
        The random bank's distances (``orientation``, ``sf``, ``sf_scale``) and
        ``preferences`` when it filters the circuit's retina output.
    """

    targets: OrderedDict
    measured: dict
    behind_retina: dict


def t7_targets(cfg, seed, pathways):
    """T7 for every model of ``cfg["models"]`` (``pathways[(model, 0)]``, the first
    circuit seed), on ``cfg["t7_phases"]`` phases of each grating.

    Returns
    -------
    T7
    """
    t7, behind_retina = _measure_t7({m: pathways[(m, 0)] for m in cfg["models"]},
                                    cfg["t7_phases"], cfg["n_boot"], cfg["homeostasis"], seed)
    return T7(OrderedDict((m, _t7_target(t7[m], behind_retina)) for m in cfg["models"]),
              t7, behind_retina)


def t7_not_measured():
    """The T7 entry of a protocol that does not measure it (``t7_phases=0``)."""
    return dict(value=None, ci=None, holds=None, criterion=CRITERION,
                detail="measured in the full protocol only (its gratings take "
                       "about a minute per circuit)")


def _measure_t7(pathways, phases, n_boot, homeostasis, seed):
    """Target T7 for each circuit of ``pathways`` (model -> whole pathway).

    Returns ``({model: circuits.devalois.compare(...) plus n_gratings}, behind_retina)``,
    ``behind_retina`` holding the random bank's distances and preferences when it filters
    the circuit's retina output instead of the pixels.
    """
    from . import devalois
    from .pathway import build_pathway
    first = next(iter(pathways.values()))
    size = first.circuit.size
    g_img, g_prm = stimuli.grating_set(size, orientations=devalois.GRATING_ORIENTATIONS,
                                       spatial_frequencies=devalois.GRATING_SF, phases=phases)
    filters = devalois.random_gabor_bank(2000, size, seed=seed)
    bank = devalois.bank_responses(filters, g_img)
    # V1 alone, rebuilt from what the whole pathway learned: the same V1 (the pathway is
    # feedforward) without simulating V2-IT for the gratings
    v1_only = {model: build_pathway(size, "v1", model=pw.model, seed=seed, n_threads=1,
                                    n_jobs=pw.n_jobs, learned=pw.state(),
                                    homeostasis=homeostasis)
               for model, pw in pathways.items()}
    # the same bank behind the circuit's retina (its ganglion cells' ON - OFF rates):
    # reported beside the pixel bank, which also sees frequencies the retina removes
    tw = next(iter(v1_only.values())).twin(g_img)
    front = (tw["retina_on"] - tw["retina_off"]).reshape(-1, size, size)
    o_r, f_r = devalois.preferences(devalois.bank_responses(filters, front),
                                    g_prm["orientation"], g_prm["spatial_frequency"])
    d_r, s_r = devalois.sf_distance(f_r)
    behind_retina = dict(orientation=devalois.ks_distance(
        o_r, devalois.ORIENTATION_EDGES, devalois.ORIENTATION_COUNTS), sf=d_r, sf_scale=s_r,
        preferences=(o_r, f_r))
    t7 = {}
    for model, pw in v1_only.items():
        # a circuit that learns past V1 has another's V1 (the same weights and biases):
        # its gratings' responses are that one's
        same = next((m for m in t7 if _same_state(v1_only[m], pw)), None)
        if same is not None:
            t7[model] = dict(t7[same], same_v1_as=same)
            continue
        r = pw.present(g_img, trials=1, populations=pw.recorded("v1"))
        t7[model] = dict(devalois.compare(r.area_activity("v1", pw.recorded("v1")), g_prm,
                                          bank, n_boot=n_boot, seed=seed),
                         n_gratings=len(g_img))
    return t7, behind_retina


def _same_state(a, b):
    """Whether two pathways have the same neuron model, configuration, and gains,
    thresholds, templates and biases of their populations (a state saved from a whole
    pathway also holds those of the areas a prefix leaves out)."""
    def own(pw):
        state = pw.state()
        return {k: v for k, v in state.items()
                if k == "config" or k.split("/")[-1] in pw.circuit.populations}
    sa, sb = own(a), own(b)
    return a.model == b.model and sa.keys() == sb.keys() and all(
        np.array_equal(sa[k], sb[k]) for k in sa)



def _t7_target(t7, behind_retina):
    """The T7 entry of the results from :func:`_measure_t7` (``circuits.devalois.compare``
    plus ``n_gratings``); ``behind_retina``: the bank's ``orientation`` and ``sf``
    distances when it filters the circuit's retina output instead of the pixels."""
    (o_m, o_b), (f_m, f_b), (s_m, s_b) = t7["orientation"], t7["sf"], t7["sf_scale"]
    same = (f"the same V1 as {t7['same_v1_as']} (weights and biases), so the same "
            "responses: " if t7.get("same_v1_as") else "")
    return dict(value=t7["worst"], ci=t7["ci"], holds=bool(t7["worst"] <= 0),
                ci_label="bootstrap over neurons and filters", criterion=CRITERION,
                detail=f"{same}Kolmogorov-Smirnov distance to De Valois et al. (1982; digitised by "
                       f"Marques et al. 2021), circuit vs a bank of {t7['n'][1]} random Gabors "
                       f"(uniform orientation, log-uniform frequency over the tested band): "
                       f"preferred orientation {o_m:.3f} vs {o_b:.3f}; peak spatial "
                       f"frequency {f_m:.3f} vs {f_b:.3f} (each at its best scale, "
                       f"{s_m:.1f} and {s_b:.1f} px/degree); the same bank behind the "
                       f"circuit's retina: {behind_retina['orientation']:.3f} and "
                       f"{behind_retina['sf']:.3f}. Value: the larger difference "
                       f"circuit - bank. {t7['n'][0]} responsive V1 neurons (simple and "
                       f"complex cells), {t7['n_gratings']} gratings (12 orientations x 6 spatial "
                       f"frequencies from 1/16 to 1/2.8 cycles/px, half an octave apart)")
