"""A built visual pathway: its description, its neurosim network, its readouts.

:func:`circuits.pathway.build_pathway` makes one; :meth:`Pathway.present` shows
images to its spiking network and returns :class:`~circuits.pathway_responses.Responses`,
:meth:`Pathway.twin` and :meth:`Pathway.mean_field` compute the rate twin and the
expected McCulloch-Pitts activities, :meth:`Pathway.homeostasis` sets the biases
(:mod:`circuits.pathway_homeostasis`), :meth:`Pathway.save` writes what was learned.
Importable from :mod:`circuits.pathway` and :mod:`circuits`.
"""
import hashlib
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from . import retina as retina_area
from . import stimuli
from .pathway_homeostasis import fit_biases
from .pathway_responses import Responses, _concat_meta

__all__ = ["Pathway", "presentation_seed"]


def presentation_seed(seed, image, trial):
    """The seed of one presentation's noise: keyed by ``seed``, the image and the trial.

    ``image``'s bytes are hashed (SHA-1), so distinct images get independent noise
    streams at every trial, and an image gets the same stream whatever batch it is
    shown in (and wherever in the batch). Seeding by the trial alone gave trial ``r``
    of every image the same stream: noise shared across images.

    Parameters
    ----------
    seed : int
    image : ndarray
        What is presented (e.g. the encoded input rates).
    trial : int

    Returns
    -------
    int
        In ``[0, 2**32)``.
    """
    digest = hashlib.sha1(np.ascontiguousarray(image, np.float64).tobytes()).digest()
    words = np.frombuffer(digest[:16], np.uint32).tolist()
    return int(np.random.SeedSequence([int(seed) % 2**32, int(trial)] + words)
               .generate_state(1)[0])


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
                 coding="rate", n_threads=1, copies=4, n_jobs=1):
        if model not in ("mcculloch_pitts", "lif"):
            raise ValueError(f"model={model!r} must be 'mcculloch_pitts' or 'lif'")
        if coding not in ("rate", "latency"):
            raise ValueError(f"coding={coding!r} must be 'rate' or 'latency'")
        _check_jobs(n_jobs, n_threads)
        self.circuit, self.config = circuit, config
        self.areas = circuit.area_info
        self.model, self.backend, self.coding = model, backend, coding
        self.dt = (circuit.dt if model == "mcculloch_pitts" else circuit.dt / 2) \
            if dt is None else float(dt)
        self.n_threads, self.n_jobs = n_threads, int(n_jobs)
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
        >>> from circuits import build_pathway
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
        return fit_biases(self, images, iterations=iterations, tolerance=tolerance,
                          damping=damping, interneurons=interneurons)

    def present(self, images, trials=1, duration=None, window=None, seed=None,
                populations=None, progress=False, n_jobs=None):
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
            Seed of the trials' noise (default the pathway's seed). With rate coding,
            the noise of a presentation is seeded by ``seed``, the image's content and
            the trial (:func:`presentation_seed`): independent across images and
            trials, and the same for an image whatever the batch it is shown in.
        populations : sequence of str, optional
            Populations to read out (default all).
        progress : bool, optional
            Print a line per image.
        n_jobs : int, optional
            Processes that share the images (default :attr:`n_jobs`, set by
            :func:`~circuits.build_pathway`). With rate coding each presentation's
            noise is keyed by its image and trial, so the counts are the same for any
            number of processes. The extra processes are forked (POSIX only) from this
            one after its network is built, so they share it without copying. Latency
            coding runs the batch as one network, in this process.

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
            n_jobs = self.n_jobs if n_jobs is None else n_jobs
            _check_jobs(n_jobs, self.n_threads)
            chunks = [c for c in np.array_split(np.arange(len(x)), n_jobs) if len(c)]
            self.network()  # built once, here: forked workers inherit it
            parts = _in_processes(
                lambda idx: self._present_rates(x[idx], trials, duration, windows, names,
                                                seed, progress), chunks)
            for idx, part in zip(chunks, parts):
                for n in names:
                    counts[n][idx] = part[n]
        else:
            self._present_latency(x, trials, duration, windows, names, seed, counts)
        areas = {a: self.outputs(a) for a in self.areas}
        return Responses(counts, {n: windows[n] for n in names}, self.circuit.dt,
                         {n: self.metadata(n) for n in names}, areas,
                         {n: self.copies.get(n, 1) for n in names})

    def _present_rates(self, x, trials, duration, windows, names, seed, progress):
        """Spike counts ``{population: (len(x), trials, n)}`` of each presentation."""
        from neurosim.units import Hz, second
        net, groups, monitors, _ = self.network()
        counts = {n: np.zeros((len(x), trials, self.circuit.populations[n].n), np.int64)
                  for n in names}
        for k in range(len(x)):
            for r in range(trials):
                net.restore("onset")
                groups["input"].rates = x[k] / self.circuit.dt * Hz
                net.reseed(presentation_seed(seed, x[k], r))
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
        return counts

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


def _check_jobs(n_jobs, n_threads):
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs < 1:
        raise ValueError(f"n_jobs={n_jobs!r} must be an integer >= 1")
    if n_jobs > 1 and n_threads != 1:
        # numba's thread pool does not survive a fork
        raise ValueError(f"n_jobs={n_jobs} needs n_threads=1 (got n_threads={n_threads}): "
                         "use processes or threads, not both")
    if n_jobs > 1 and "fork" not in multiprocessing.get_all_start_methods():
        raise ValueError(f"n_jobs={n_jobs} needs processes started by fork (POSIX); "
                         "this platform has none: use n_jobs=1")


#: The job of the forked workers (:func:`_in_processes`); a global, so that the
#: workers inherit it instead of receiving it pickled.
_JOB = None


def _run_job(chunk):
    return _JOB(chunk)


def _in_processes(job, chunks):
    """``[job(c) for c in chunks]``, the first chunk in this process and each other in
    a process forked from it (which inherits the built network and compiled kernels;
    only the results travel back)."""
    global _JOB
    if len(chunks) <= 1:
        return [job(c) for c in chunks]
    _JOB = job
    try:
        with ProcessPoolExecutor(len(chunks) - 1,
                                 mp_context=multiprocessing.get_context("fork")) as pool:
            rest = [pool.submit(_run_job, c) for c in chunks[1:]]
            return [job(chunks[0])] + [f.result() for f in rest]
    finally:
        _JOB = None
