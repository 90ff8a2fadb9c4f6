"""Assemble the visual pathway, present images, read out spike counts.

:func:`build_pathway` builds any prefix of the hierarchy (``retina``, ``v1``, ``v2``,
``v4``, ``it``) at a chosen image size, with McCulloch-Pitts or LIF neurons, and
returns a :class:`Pathway`:

* :meth:`Pathway.present` shows a batch of images with one compiled network
  (``store``/``restore`` between presentations, new input rates and a new seed
  per trial, nothing rebuilt) and returns :class:`Responses`: spike counts per
  neuron in a window after onset, per trial, with the neurons' metadata;
* :meth:`Pathway.twin` computes the rate twin (the same weights, rectified-linear
  units, numpy) and :meth:`Pathway.mean_field` the expected McCulloch-Pitts
  activities;
* :meth:`Pathway.save` writes what was learned (templates, thresholds, gains) with
  ``numpy.savez``; ``build_pathway(learned=path)`` rebuilds the same circuit
  without calibration or training images.

This module builds the circuit; :class:`Pathway` lives in :mod:`circuits.pathway_network`,
:class:`Responses` in :mod:`circuits.pathway_responses` and the homeostatic adjustment
of the biases in :mod:`circuits.pathway_homeostasis`; all three names are importable
from here.

Everything that touches the simulator goes through neurosim's public API
(``import neurosim as ns``).

Examples
--------
>>> from circuits import build_pathway, stimuli
>>> pw = build_pathway(size=32, areas="v1")                     # doctest: +SKIP
>>> images, _ = stimuli.grating_set(32, orientations=4, spatial_frequencies=[0.25],
...                                 phases=1, contrast=0.3)     # doctest: +SKIP
>>> r = pw.present(images, trials=2)                            # doctest: +SKIP
>>> r.counts["v1_simple_0"].shape                               # doctest: +SKIP
(4, 2, 8192)
"""
import json
from collections import OrderedDict

import numpy as np

from . import retina as retina_area
from . import stimuli
from .core import Circuit
from .it import build_it
from .pathway_network import Pathway
from .pathway_responses import Responses
from .retina import build_retina
from .v1 import build_v1
from .v2 import build_v2
from .v4 import build_v4

__all__ = ["AREAS", "build_pathway", "Pathway", "Responses"]

#: The areas in hierarchical order.
AREAS = ("retina", "v1", "v2", "v4", "it")


def _areas_prefix(areas):
    if isinstance(areas, str):
        if areas not in AREAS:
            raise ValueError(f"areas={areas!r} must be one of {AREAS} (the last area "
                             "built) or a prefix of it")
        return AREAS[:AREAS.index(areas) + 1]
    areas = tuple(areas)
    if areas != AREAS[:len(areas)] or not areas:
        raise ValueError(f"areas={areas!r} must be a prefix of {AREAS}")
    return areas


def build_pathway(size=32, areas="it", model="mcculloch_pitts", backend="numba", *,
                  calibration=None, training=None, learned=None, seed=0, dt=None,
                  coding="rate", n_threads=1, n_jobs=1, encoding=None, homeostasis=True,
                  copies=4, retina=None, templates=None,
                  v1=None, v2=None, v4=None, it=None):
    """Build the visual pathway up to an area.

    Parameters
    ----------
    size : int, optional
        Side of the (square) images, in pixels.
    areas : str or sequence of str, optional
        The last area (``"v1"`` builds retina and V1) or a prefix of :data:`AREAS`.
    model : {'mcculloch_pitts', 'lif'}, optional
    backend : {'numba', 'numpy'}, optional
        neurosim backend for the spiking runs.
    calibration : ndarray, shape (n, size, size), optional
        Images for the homeostatic calibration of thresholds and gains (default:
        16 natural crops drawn from ``seed``).
    training : ndarray, shape (n, size, size), optional
        Images the templates of V2, V4 and IT are imprinted from (default: 4
        objects per category at variation level V3, drawn from ``seed``).
    learned : str, path or dict, optional
        What a previous build learned (:meth:`Pathway.save`); then neither
        calibration nor training images are used.
    seed : int, optional
        Seeds the default images, the imprinting and the spiking runs.
    dt : float, optional
        Simulation step in seconds (McCulloch-Pitts: 1 ms; LIF default 0.5 ms).
    coding : {'rate', 'latency'}, optional
        How the retina's bipolar signals become spikes (Poisson rates or one
        spike per cell, earlier for stronger signals).
    n_threads : int, optional
        Threads for neurosim's neuron update (1 is fastest for these sizes).
    n_jobs : int, optional
        Processes that share the images of :meth:`Pathway.present` (and of the
        homeostasis); with ``n_threads=1``. The counts do not depend on it.
    encoding : dict, optional
        Parameters of :func:`circuits.retina.encode`.
    copies : int, optional
        McCulloch-Pitts only: each unit past the retina's ganglion cells and V1's
        simple cells (whose inputs are many and independent) is made of this many
        binary neurons with staggered thresholds, a population code whose mean
        follows the rate twin (see :meth:`circuits.core.Circuit.to_network`); 1
        makes every unit a single neuron.
    homeostasis : bool, optional
        Adjust each population's bias so that the *spiking* network fires at the
        calibrated mean rates on the calibration images
        (:meth:`Pathway.homeostasis`); skipped when ``learned`` holds biases for
        ``model``.
    templates : dict of ndarray, optional
        Templates to use instead of imprinting them, by template population (e.g.
        ``{"v2_s": ...}``, shape ``(n_templates, n_inputs)``, as
        ``pathway.circuit.templates``): features learned elsewhere
        (:mod:`circuits.learning_pathway`). Not with ``learned``, which holds its own.
    retina, v1, v2, v4, it : dict, optional
        Keyword arguments of :func:`~circuits.retina.build_retina`,
        :func:`~circuits.v1.build_v1`, :func:`~circuits.v2.build_v2`,
        :func:`~circuits.v4.build_v4`, :func:`~circuits.it.build_it`.

    Returns
    -------
    Pathway
    """
    if templates is not None and learned is not None:
        raise ValueError("give templates= or learned=, not both: a saved circuit (learned=) "
                         "holds its own templates")
    config = {"size": int(size), "areas": list(_areas_prefix(areas)),
              "encoding": dict(retina_area.ENCODING, **(encoding or {})),
              "params": {"retina": retina or {}, "v1": v1 or {}, "v2": v2 or {},
                         "v4": v4 or {}, "it": it or {}}, "seed": int(seed)}
    if learned is not None:
        state = _load_state(learned)
        saved = json.loads(str(state["config"]))
        for key in ("size", "encoding", "params"):
            if key == "params":
                saved[key] = {a: dict(saved[key].get(a, {}), **config[key][a])
                              for a in AREAS}
            elif key == "size" and saved[key] != config[key]:
                raise ValueError(f"size={size} differs from the saved circuit's "
                                 f"size={saved[key]}")
        config["encoding"], config["params"] = saved["encoding"], saved["params"]
        config["areas"] = [a for a in config["areas"] if a in saved["areas"]]
        if len(config["areas"]) < len(_areas_prefix(areas)):
            raise ValueError(f"areas={areas!r}: the saved circuit only has {saved['areas']}")
    circuit = _describe(config, calibration, training, learned, templates)
    pathway = Pathway(circuit, config, model=model, backend=backend, dt=dt, coding=coding,
                      n_threads=n_threads, copies=copies, n_jobs=n_jobs)
    if homeostasis and model not in circuit.bias:
        if calibration is None:
            calibration = stimuli.natural_crops(16, size, seed=seed + 1)
        pathway.homeostasis(calibration[:8])
    return pathway


def _load_state(learned):
    if isinstance(learned, dict):
        return learned
    with np.load(learned, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def _describe(config, calibration, training, learned, templates=None):
    size, areas, seed = config["size"], config["areas"], config["seed"]
    enc, prm = config["encoding"], config["params"]
    circuit = Circuit(size, input_meta=retina_area.input_meta(size, enc["sigma_center"]))
    circuit.area_info = OrderedDict()
    circuit.bias = {}
    for name, value in (templates or {}).items():
        circuit.templates[name] = np.asarray(value, float)
    if learned is not None:
        state = _load_state(learned)
        for key, val in state.items():
            if key.startswith("learned/"):
                circuit.learned[key[8:]] = tuple(float(v) for v in val)
            elif key.startswith("template/"):
                circuit.templates[key[9:]] = np.asarray(val, float)
            elif key.startswith("bias/"):
                _, model, name = key.split("/")
                circuit.bias.setdefault(model, {})[name] = float(val)
    else:
        if calibration is None:
            calibration = stimuli.natural_crops(16, size, seed=seed + 1)
        circuit.set_batch("calibration", retina_area.encode(calibration, **enc))
        if len(areas) > 2:
            if training is None:
                training = stimuli.object_set(4, "V3", size, seed=seed + 100)[0]
            circuit.set_batch("training", retina_area.encode(training, **enc))
    info = circuit.area_info
    info["retina"] = build_retina(circuit, **prm["retina"])
    info["retina"]["output"] = ["retina_on", "retina_off"]
    info["retina"]["recorded"] = ["retina_on", "retina_off"]
    if "v1" in areas:
        info["v1"] = build_v1(circuit, **prm["v1"])
        info["v1"]["output"] = list(info["v1"]["complex"])
        info["v1"]["recorded"] = list(info["v1"]["simple"]) + list(info["v1"]["complex"])
    if "v2" in areas:
        info["v2"] = build_v2(circuit, info["v1"]["complex"], **dict({"seed": seed + 2},
                                                                      **prm["v2"]))
    if "v4" in areas:
        info["v4"] = build_v4(circuit, **dict({"seed": seed + 4}, **prm["v4"]))
    if "it" in areas:
        info["it"] = build_it(circuit, **prm["it"])
    for a in ("v2", "v4", "it"):
        if a in areas:      # template units (IT has none), then the pooling units
            templates = info[a]["templates_population"]
            info[a]["recorded"] = ([templates] if templates else []) + [info[a]["output"]]
            info[a]["output"] = [info[a]["output"]]
    return circuit
