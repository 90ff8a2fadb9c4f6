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
                  coding="rate", n_threads=1, encoding=None, homeostasis=True, copies=4,
                  retina=None,
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
    retina, v1, v2, v4, it : dict, optional
        Keyword arguments of :func:`~circuits.retina.build_retina`,
        :func:`~circuits.v1.build_v1`, :func:`~circuits.v2.build_v2`,
        :func:`~circuits.v4.build_v4`, :func:`~circuits.it.build_it`.

    Returns
    -------
    Pathway
    """
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
    circuit = _describe(config, calibration, training, learned)
    pathway = Pathway(circuit, config, model=model, backend=backend, dt=dt, coding=coding,
                      n_threads=n_threads, copies=copies)
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


def _describe(config, calibration, training, learned):
    size, areas, seed = config["size"], config["areas"], config["seed"]
    enc, prm = config["encoding"], config["params"]
    circuit = Circuit(size, input_meta=retina_area.input_meta(size, enc["sigma_center"]))
    circuit.area_info = OrderedDict()
    circuit.bias = {}
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


class Responses:
    """Spike counts of a batch of presentations.

    Attributes
    ----------
    counts : dict of str to ndarray of int, shape (n_images, n_trials, n)
        Spikes of each unit of each population in its counting window (of all
        its neurons when a unit is made of several copies, see ``copies``).
    copies : dict of str to int
        Neurons per unit of each population.
    windows : dict of str to (float, float)
        Each population's window, in seconds after stimulus onset.
    dt : float
        The step activities are counted in (seconds).
    meta : dict of str to dict of ndarray
        Each population's metadata (``x``, ``y``, ``rf_size``, preferences).
    areas : dict of str to list of str
        The output populations of each area.
    """

    def __init__(self, counts, windows, dt, meta, areas, copies=None):
        self.counts, self.windows, self.dt, self.meta, self.areas = \
            counts, windows, dt, meta, areas
        self.copies = {n: (copies or {}).get(n, 1) for n in counts}

    def activity(self, population):
        """Mean over trials of spikes per step (and per copy) in the window:
        ``(n_images, n)``, the units of the rate twin."""
        lo, hi = self.windows[population]
        steps = max(int(round((hi - lo) / self.dt)), 1)
        return self.counts[population].mean(axis=1) / (steps * self.copies[population])

    def rates(self, population):
        """Mean firing rate in the window, in Hz: ``(n_images, n)``."""
        return self.activity(population) / self.dt

    def area(self, area, populations=None):
        """Counts of an area's output populations side by side.

        Returns
        -------
        counts : ndarray, shape (n_images, n_trials, n)
        meta : dict of ndarray
            The populations' metadata concatenated (keys they share), plus
            ``population`` (the name of each neuron's population).
        """
        names = self.areas[area] if populations is None else list(populations)
        counts = np.concatenate([self.counts[n] for n in names], axis=2)
        return counts, _concat_meta({n: self.meta[n] for n in names})

    def area_activity(self, area, populations=None):
        """Mean spikes per step (per copy) of an area's output neurons, or of
        ``populations``, side by side: ``(n_images, n)``. Populations counted in
        different windows or with different copies per unit are on one scale."""
        names = self.areas[area] if populations is None else list(populations)
        return np.concatenate([self.activity(n) for n in names], axis=1)

    def reliability(self, population):
        """Split-half reliability over trials (odd vs even, Spearman-Brown corrected),
        per neuron; needs at least 2 trials."""
        c = self.counts[population].astype(float)
        if c.shape[1] < 2:
            raise ValueError("reliability needs at least 2 trials")
        a, b = c[:, 0::2].mean(1), c[:, 1::2].mean(1)
        a, b = a - a.mean(0), b - b.mean(0)
        r = (a * b).sum(0) / np.sqrt((a * a).sum(0) * (b * b).sum(0) + 1e-12)
        return 2 * r / (1 + r)


def _concat_meta(metas):
    keys = set.intersection(*(set(m) for m in metas.values()))
    out = {k: np.concatenate([np.asarray(m[k], float) for m in metas.values()])
           for k in sorted(keys)}
    out["population"] = np.concatenate([np.full(len(next(iter(m.values()))), n)
                                        for n, m in metas.items()])
    return out


class Pathway:
    """A built visual pathway: its description, its neurosim network, its readouts.

    Made by :func:`build_pathway`.

    Attributes
    ----------
    circuit : circuits.core.Circuit
        Populations (with metadata and thresholds) and projections (weights).
    areas : OrderedDict
        What each area builder returned (``populations``, ``output``, ...).
    model, backend, coding : str
    dt : float
        Simulation step (seconds).
    """

    def __init__(self, circuit, config, model="mcculloch_pitts", backend="numba", dt=None,
                 coding="rate", n_threads=1, copies=4):
        if model not in ("mcculloch_pitts", "lif"):
            raise ValueError(f"model={model!r} must be 'mcculloch_pitts' or 'lif'")
        if coding not in ("rate", "latency"):
            raise ValueError(f"coding={coding!r} must be 'rate' or 'latency'")
        self.circuit, self.config = circuit, config
        self.areas = circuit.area_info
        self.model, self.backend, self.coding = model, backend, coding
        self.dt = (circuit.dt if model == "mcculloch_pitts" else circuit.dt / 2) \
            if dt is None else float(dt)
        self.n_threads = n_threads
        single = ("retina_on", "retina_off", "v1_simple", "v1_pushpull")
        self.copies = {n: int(copies) for n in self.populations
                       if model == "mcculloch_pitts" and copies > 1
                       and not n.startswith(single)}
        self._net = None
        #: delay projections so that excitation and the inhibition it recruits arrive
        #: together (:meth:`circuits.core.Circuit.delays`); set before the first run
        self.align = True

    # ------------------------------------------------------------- description
    @property
    def populations(self):
        """Names of every population except the input, in build order."""
        return [n for n in self.circuit.populations if n != "input"]

    def outputs(self, area):
        """The populations ``area`` sends to the next area (e.g. the complex cells of V1)."""
        return list(self.areas[area]["output"])

    def recorded(self, area):
        """The populations an electrode in ``area`` samples, as compared with a CNN.

        An area's principal cells: its feature units and the pooling units they drive
        (V1: simple and complex cells; V2, V4: template and pooling units; IT: its
        position-invariant units; retina: ON and OFF cells), not its interneurons or
        the pooling's gates. A recording in V1 samples simple and complex cells alike,
        so comparing only the complex cells (:meth:`outputs`) with a CNN block would
        compare a part of the area.

        Examples
        --------
        >>> pathway = build_pathway(16, "v2", n_threads=1)
        >>> pathway.outputs("v1")
        ['v1_complex_0', 'v1_complex_1']
        >>> pathway.recorded("v1")
        ['v1_simple_0', 'v1_simple_1', 'v1_complex_0', 'v1_complex_1']
        >>> pathway.recorded("v2")
        ['v2_s', 'v2_c']
        """
        return list(self.areas[area]["recorded"])

    def metadata(self, population):
        """Metadata of a population's neurons (dict of arrays)."""
        return self.circuit.populations[population].meta

    def area_metadata(self, area):
        """Metadata of an area's output neurons, concatenated."""
        return _concat_meta({n: self.metadata(n) for n in self.outputs(area)})

    def encode(self, images):
        """The retina's bipolar input activities for ``images`` (batch, 2 * size**2)."""
        images = np.asarray(images, float)
        if images.shape[-2:] != (self.circuit.size,) * 2:
            raise ValueError(f"images have shape {images.shape}; expected (..., "
                             f"{self.circuit.size}, {self.circuit.size})")
        finite = np.isfinite(images).reshape(-1, self.circuit.size ** 2).all(axis=1)
        if not finite.all():
            raise ValueError(f"images contain NaN or inf (image {np.flatnonzero(~finite)[0]} "
                             "is the first); pixel values must be finite")
        return np.atleast_2d(retina_area.encode(images, **self.config["encoding"]))

    def twin(self, images):
        """Rate twin activities (spikes per step) of every population: ``(n_images, n)``."""
        return self.circuit.twin(self.encode(images))

    def mean_field(self, images):
        """Expected McCulloch-Pitts activities (Gaussian approximation), per population."""
        return self.circuit.mean_field(self.encode(images))

    def area_twin(self, images, area):
        """Rate twin activities of an area's output neurons: ``(n_images, n)``."""
        a = self.twin(images)
        return np.concatenate([a[n] for n in self.outputs(area)], axis=1)

    # ------------------------------------------------------------------- timing
    def depth(self):
        """Synaptic steps from the input to each population (longest feedforward path;
        with the aligning delays of :meth:`circuits.core.Circuit.delays`, every path)."""
        return self.circuit.depth()

    #: Reference steps (1 ms) that the deepest area is counted for by default: 80 ms,
    #: near the 100 ms windows in which monkey IT is read out (Hung et al. 2005; Majaj
    #: et al. 2015). Counted over 20 (McCulloch-Pitts) or 40 (LIF) steps, as until the
    #: thirteenth session, the circuits' IT lost up to 0.07 in decoding at V6 to
    #: counting noise (docs/results/visual-pathway.md).
    count_steps = 80

    def default_windows(self, duration=None):
        """Duration of a presentation and each population's counting window (seconds).

        A population is counted from ``depth + 2`` steps of the reference step
        (McCulloch-Pitts), or that plus 5 ms (LIF), after onset, to the end; the
        default duration leaves :attr:`count_steps` reference steps after the deepest
        population's start.
        """
        ref = self.circuit.dt
        depth = self.depth()
        settle = 2 * ref if self.model == "mcculloch_pitts" else 5e-3
        start = {n: depth[n] * self.dt + settle for n in self.populations}
        if duration is None:
            duration = max(start.values()) + self.count_steps * ref
        return duration, {n: (min(s, duration - ref), duration) for n, s in start.items()}

    # ------------------------------------------------------------------ running
    def network(self):
        """The neurosim ``(network, groups, monitors, currents)`` for rate coding, built
        once (the input rates and the biases are changed between runs)."""
        if self._net is None:
            import neurosim as ns
            from neurosim.units import second
            groups, objects, monitors, currents = self.circuit.to_network(
                self.model, dt=self.dt, bias=self.circuit.bias.get(self.model),
                copies=self.copies, align=self.align)
            net = ns.Network(*objects)
            net.build(dt=self.dt * second, seed=self.config["seed"])
            net.store("onset")
            self._net = (net, groups, monitors, currents)
        return self._net

    def homeostasis(self, images, iterations=8, tolerance=0.15, damping=0.8,
                    interneurons=False):
        """Set each population's bias so that the spiking network's mean activity on
        ``images`` matches the rate it was calibrated to.

        The calibration (:meth:`circuits.core.Circuit.calibrate`) sets thresholds
        in a mean-field approximation that treats inputs as independent; in the
        synchronous spiking network, shared inputs make them correlated and deep
        areas fire more. This corrects it the way intrinsic plasticity would: a
        constant input per population (a ``neurosim.CurrentInput``, changed between
        runs without recompiling) is moved, all populations at once, until every
        population's mean activity is within ``tolerance`` (relative, in log) of
        its target or ``iterations`` are done. The biases are kept per model in
        ``circuit.bias`` and saved by :meth:`save`.

        ``interneurons`` says whether the inhibitory populations are adjusted too
        (default: no). The interneurons (feedforward inhibition, pooling and
        normalisation pools) follow their input linearly (``theta_twin`` about 0);
        left at their calibrated thresholds, the inhibition they send grows with the
        excitation it has to cancel (E/I balance). Pinning their mean rates too made
        them stop tracking it. McCulloch-Pitts circuit, 256 V6 objects, one trial,
        excitatory only vs every population: V4 rate 0.14 vs 0.28 spikes per step
        (twin 0.13), CKA with the rate twin V4 0.69 vs 0.57 and IT 0.63 vs 0.53, IT
        decoding 0.36 vs 0.32. LIF circuit, circuit seeds 0-5, the same objects, two
        trials: with every population adjusted, V4's template units fired at twice
        their rate, the pooling's inhibition with them, its gates fell silent while the
        pooling units reached their rates through the bias alone, and IT carried
        nothing in two of six seeds (CKA with the twin 0.03 and 0.00, decoding 0.13 and
        0.12, chance 0.125; mean over the six: CKA 0.46, decoding 0.35); excitatory
        only: CKA 0.42-0.73 (mean 0.62), decoding 0.32-0.44 (mean 0.38), twin 0.41.
        """
        from scipy.special import ndtri
        from neurosim.units import mV
        c = self.circuit
        names = [n for n in self.populations if n in c.rates
                 and (interneurons or c.populations[n].kind == "excitatory")]
        bias = dict(c.bias.get(self.model, {}))
        bias = {n: bias.get(n, 0.0) for n in self.populations}
        c.bias[self.model] = bias
        net, groups, monitors, currents = self.network()
        # slope of the rate in the bias: McCulloch-Pitts ~ 1/sigma of the input,
        # LIF ~ theta_twin (its rate rises as (h - theta/2) per step above threshold)
        scale = {}
        for n in names:
            if n in self.copies and self.model == "mcculloch_pitts":
                scale[n] = 1.0            # the copies' mean follows h - theta_twin
            elif self.model == "mcculloch_pitts":
                scale[n] = self._input_sigma(n)
            else:
                scale[n] = c.lif_tau_m(n) / c.dt    # mV of bias per unit of input
        unit = 1.0 if self.model == "mcculloch_pitts" else 1.0 * mV

        def apply():
            # store/restore keeps input amplitudes, so change them in the stored onset
            net.restore("onset")
            for n in names:
                k = self.copies.get(n, 1)
                currents[n].amplitude = (c.base_offsets(n, k, self.model) + bias[n]) * unit
            net.store("onset")

        for _ in range(iterations):
            apply()
            r = self.present(images, trials=1, populations=names)
            done = True
            for n in names:
                rate, target = float(r.activity(n).mean()), c.rates[n]
                if abs(np.log(max(rate, 1e-4) / target)) > tolerance:
                    done = False
                if self.model == "mcculloch_pitts" and n not in self.copies:
                    step = ndtri(np.clip(target, 1e-3, 0.999)) - ndtri(np.clip(rate, 1e-3, 0.999))
                    bias[n] += damping * scale[n] * step
                else:
                    bias[n] += damping * scale[n] * (target - rate)
            if done:
                break
        apply()
        return {n: float(r.activity(n).mean()) for n in names}

    def _input_sigma(self, name):
        """Median standard deviation of a population's summed input per step on the
        calibration images (mean field); 1 without calibration images."""
        c = self.circuit
        if not c.has_batch("calibration"):
            return 1.0
        acts = {s: c.activity("calibration", s).T for s, _, _ in c.inputs_of(name)
                if s in c.populations and list(c.populations).index(s)
                < list(c.populations).index(name)}
        if not acts:
            return 1.0
        _, var = c.drive(name, acts, variance=True)
        return float(np.median(np.sqrt(var))) + 1e-6

    def present(self, images, trials=1, duration=None, window=None, seed=None,
                populations=None, progress=False):
        """Show each image for ``duration``, ``trials`` times, and count spikes.

        Parameters
        ----------
        images : ndarray, shape (n_images, size, size)
        trials : int, optional
            Repetitions with independent noise (a new seed each).
        duration : float, optional
            Seconds per presentation (default: long enough for the deepest area
            to respond for :attr:`count_steps` steps).
        window : (float, float), optional
            One counting window for every population, in seconds after onset
            (default: per population, from its arrival, see :meth:`default_windows`).
        seed : int, optional
            Seed of the trials' noise (default the pathway's seed).
        populations : sequence of str, optional
            Populations to read out (default all).
        progress : bool, optional
            Print a line per image.

        Returns
        -------
        Responses
        """
        images = np.asarray(images, float)
        if images.ndim == 2:
            images = images[None]
        if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
            raise ValueError(f"trials={trials!r} must be an integer >= 1")
        unknown = [n for n in populations or () if n not in self.circuit.populations]
        if unknown:
            raise ValueError(f"populations contains {unknown}, not in this pathway; it has "
                             f"{self.populations}")
        x = self.encode(images)
        duration, windows = self.default_windows(duration)
        if window is not None:
            windows = {n: tuple(window) for n in windows}
        names = self.populations if populations is None else list(populations)
        seed = self.config["seed"] if seed is None else seed
        counts = {n: np.zeros((len(images), trials, self.circuit.populations[n].n), np.int64)
                  for n in names}
        if self.coding == "rate":
            self._present_rates(x, trials, duration, windows, names, seed, counts, progress)
        else:
            self._present_latency(x, trials, duration, windows, names, seed, counts)
        areas = {a: self.outputs(a) for a in self.areas}
        return Responses(counts, {n: windows[n] for n in names}, self.circuit.dt,
                         {n: self.metadata(n) for n in names}, areas,
                         {n: self.copies.get(n, 1) for n in names})

    def _present_rates(self, x, trials, duration, windows, names, seed, counts, progress):
        from neurosim.units import Hz, second
        net, groups, monitors, _ = self.network()
        for k in range(len(x)):
            for r in range(trials):
                net.restore("onset")
                groups["input"].rates = x[k] / self.circuit.dt * Hz
                net.reseed(int(seed) * 7919 + r + 1)
                net.run(duration * second, backend=self.backend, n_threads=self.n_threads)
                for n in names:
                    mon = monitors[n]
                    lo, hi = windows[n]
                    t = mon.t
                    sel = (t >= lo - 1e-9) & (t < hi - 1e-9)
                    unit = mon.i[sel] // self.copies.get(n, 1)
                    counts[n][k, r] = np.bincount(unit, minlength=counts[n].shape[2])
            if progress:
                print(f"[circuits] image {k + 1}/{len(x)}", flush=True)

    def _present_latency(self, x, trials, duration, windows, names, seed, counts,
                         t_max=0.02, jitter=5e-4):
        """One network for the whole batch: presentation ``(k, r)`` starts at
        ``(k * trials + r) * duration``, states are reset between presentations;
        trials differ by a Gaussian jitter of the spike times."""
        import neurosim as ns
        from neurosim.units import mV, second
        rng = np.random.default_rng(seed)
        p_max = self.config["encoding"]["p_max"]
        idx, times = [], []
        for k in range(len(x)):
            for r in range(trials):
                i, t = stimuli.to_latencies(x[k] / p_max, t_max=t_max)
                if trials > 1 or jitter:
                    t = np.clip(t + rng.normal(0, jitter, t.size), 0, duration - 2 * self.dt)
                t = np.round(t / self.dt) * self.dt
                # one spike per source per step
                key = np.unique(np.round(t / self.dt).astype(np.int64) * x.shape[1] + i)
                t, i = (key // x.shape[1]) * self.dt, key % x.shape[1]
                idx.append(i)
                times.append(t + (k * trials + r) * duration)
        groups, objects, monitors, _ = self.circuit.to_network(
            self.model, dt=self.dt, coding="latency",
            latency=(np.concatenate(idx), np.concatenate(times)),
            bias=self.circuit.bias.get(self.model), copies=self.copies, align=self.align)
        net = ns.Network(*objects)
        net.build(dt=self.dt * second, seed=int(seed))
        state = "x" if self.model == "mcculloch_pitts" else "v"
        zero = 0.0 if state == "x" else 0 * mV
        for slot in range(len(x) * trials):
            for n, g in groups.items():
                if n != "input":
                    setattr(g, state, zero)
            net.run(duration * second, backend=self.backend, n_threads=self.n_threads)
        for n in names:
            mon = monitors[n]
            t, i = mon.t, mon.i
            slot = np.floor(t / duration + 1e-9).astype(np.int64)
            rel = t - slot * duration
            lo, hi = windows[n]
            sel = (rel >= lo - 1e-9) & (rel < hi - 1e-9)
            nu = counts[n].shape[2]
            unit = i[sel] // self.copies.get(n, 1)
            flat = np.bincount(slot[sel] * nu + unit, minlength=len(x) * trials * nu)
            counts[n][:] = flat.reshape(len(x), trials, nu)

    # --------------------------------------------------------------- save/load
    def state(self):
        """What was learned, as a dict of arrays (see :meth:`save`)."""
        out = {"config": np.array(json.dumps(self.config))}
        for name, val in self.circuit.learned.items():
            out["learned/" + name] = np.asarray(val, float)
        for name, val in self.circuit.templates.items():
            out["template/" + name] = np.asarray(val, float)
        for model, biases in self.circuit.bias.items():
            for name, val in biases.items():
                out[f"bias/{model}/{name}"] = np.asarray(val, float)
        return out

    def save(self, path):
        """Write the templates, thresholds, gains and the configuration (``np.savez``).

        ``build_pathway(size, areas, learned=path)`` rebuilds the same circuit
        without calibration or training.
        """
        np.savez(path, **self.state())

    def summary(self):
        """A line per population (see :meth:`circuits.core.Circuit.summary`)."""
        return self.circuit.summary()
