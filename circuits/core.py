"""The description shared by every area: populations, projections, the rate twin.

A :class:`Circuit` is a plain description, independent of the neuron model: each
:class:`Population` has a threshold ``theta`` and per-neuron metadata (position,
receptive-field size, preferences), each :class:`Projection` excitatory or
inhibitory synapses with weights. Activities are in spikes per time step (a
probability in ``[0, 1]`` for the spiking versions), so one set of numbers serves

* the McCulloch-Pitts circuit: a unit is active in a step when its summed input of
  the previous step reaches ``theta``;
* the LIF circuit: ``v_th = 1 mV``, ``tau_m = 16 ms``, exponential current synapses
  of 2 ms with weights ``w`` in mV of mean drive, and a constant input that subtracts
  the threshold, so a neuron's mean-driven rate per step is close to
  ``max(h - theta_twin, 0)`` (:meth:`Circuit.to_network`);
* the rate twin: rectified-linear units ``a = max(h - theta, 0)`` with
  ``h = W_E a - W_I a``, computed with numpy (:meth:`Circuit.twin`).

:meth:`Circuit.to_network` turns the description into neurosim objects using
neurosim's public API only.
"""
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

__all__ = ["Population", "Projection", "Circuit", "grid", "neighbours", "mean_field_activity", "copy_offsets"]

V_TH_MV = 1.0          # LIF threshold above rest, in mV; weights are in units of it
MODELS = ("mcculloch_pitts", "lif")


@dataclass
class Population:
    """A population of one area.

    Attributes
    ----------
    name : str
        Unique in the circuit, e.g. ``"v1_simple"``.
    area : str
        ``"input"``, ``"retina"``, ``"v1"``, ``"v2"``, ``"v4"`` or ``"it"``.
    n : int
    kind : {'excitatory', 'inhibitory'}
        The sign of every synapse it makes (Dale's law).
    theta : float
        Threshold of the McCulloch-Pitts units, in the units of the weights.
    theta_twin : float
        Threshold of the rate twin's rectified-linear units and of LIF neurons
        (both integrate the mean input; see :meth:`Circuit.calibrate`).
    meta : dict of ndarray
        One value per neuron: ``x``, ``y`` (receptive-field centre, pixels, x to the
        right and y downwards from the top-left pixel), ``rf_size`` (pixels, the
        side of the square covering the receptive field) and the preferences of the
        area (``orientation``, ``phase``, ``scale``, ``wavelength``, ``template``...).
    """

    name: str
    area: str
    n: int
    kind: str = "excitatory"
    theta: float = 0.1
    meta: dict = field(default_factory=dict)
    theta_twin: float = None

    def __post_init__(self):
        if self.kind not in ("excitatory", "inhibitory"):
            raise ValueError(f"kind={self.kind!r} must be 'excitatory' or 'inhibitory'")
        if self.theta_twin is None:
            self.theta_twin = self.theta
        for key, val in self.meta.items():
            val = np.asarray(val)
            if val.shape[:1] != (self.n,):
                raise ValueError(f"meta[{key!r}] of {self.name} has shape {val.shape}; "
                                 f"expected ({self.n}, ...)")
            self.meta[key] = val


@dataclass
class Projection:
    """Synapses from population ``source`` to ``target`` (names), ``i -> j`` with weights ``w``."""

    source: str
    target: str
    kind: str
    i: np.ndarray
    j: np.ndarray
    w: np.ndarray
    name: str = ""

    def matrix(self, n_pre, n_post):
        """Weights as a sparse ``(n_post, n_pre)`` matrix (duplicates summed)."""
        return sparse.csr_matrix((self.w, (self.j, self.i)), shape=(n_post, n_pre))


def mean_field_activity(mu, var, floor=1e-6):
    """``P(h >= 0)`` for Gaussian ``h`` of mean ``mu`` and variance ``var``."""
    from scipy.special import ndtr
    return ndtr(mu / np.sqrt(var + floor))


def _solve_threshold(h, var, rate, iters=32, max_values=50000):
    """Threshold at which the mean of ``P(h >= theta)`` is ``rate`` (bisection on at
    most ``max_values`` evenly spaced entries)."""
    h, var = h.ravel(), var.ravel()
    if h.size > max_values:
        pick = np.linspace(0, h.size - 1, max_values).astype(np.int64)
        h, var = h[pick], var[pick]
    lo, hi = float(h.min()) - 5 * np.sqrt(var.max() + 1e-6), float(h.max())
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if mean_field_activity(h - mid, var).mean() > rate:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def copy_offsets(n, k, model="mcculloch_pitts", theta=0.0):
    """Threshold offsets (as input biases) of ``k`` copies of ``n`` units, unit-major.

    McCulloch-Pitts: copy ``m`` gets ``-(m + 1/2) / k`` (staggered thresholds, a
    population code of the unit's input). LIF: offsets spread evenly over
    ``theta`` (the unit's ``theta_twin``) around zero, ``((m + 1/2) / k - 1/2) *
    theta``, so that copies driven by the same input fire at different times.
    Zeros for ``k = 1``.
    """
    if k <= 1:
        return np.zeros(n)
    if model == "mcculloch_pitts":
        return -np.tile((np.arange(k) + 0.5) / k, n)
    return np.tile(((np.arange(k) + 0.5) / k - 0.5) * float(theta), n)


def _copy_synapses(p, ks, kt):
    """Synapses of projection ``p`` between units made of ``ks`` and ``kt`` copies.

    Every copy of a target unit receives from every copy of each source unit, with
    the weight divided by ``ks``: the copies of a unit all see the same summed
    input, the mean over the source's copies, whose step-to-step fluctuation is
    ``ks`` times smaller in variance than a single copy's. (Wiring copy ``m`` to
    copy ``m`` alone kept the full single-neuron noise in every copy; the
    thresholded units then respond to noise peaks, and selectivity is lost from
    area to area: on V0 objects, IT decoding 0.33 and CKA with the rate twin 0.22,
    against 0.77 and 0.77 with this wiring.)
    """
    a, m = np.meshgrid(np.arange(ks), np.arange(kt), indexing="ij")
    a, m = a.ravel(), m.ravel()
    return ((p.i[:, None] * ks + a).ravel(), (p.j[:, None] * kt + m).ravel(),
            np.repeat(p.w / ks, a.size))


def grid(size, stride):
    """Centres of a regular grid over ``size`` pixels: ``(stride - 1)/2 + stride * k``."""
    n = size // stride
    return (stride - 1) / 2.0 + stride * np.arange(n)


def neighbours(src_xy, tgt_xy, radius):
    """Pairs ``(i, j)`` with source ``i`` within ``radius`` (Chebyshev) of target ``j``,
    and the offsets ``dx, dy = src - tgt``."""
    tree = cKDTree(np.asarray(src_xy, float))
    hits = tree.query_ball_point(np.asarray(tgt_xy, float), r=radius + 1e-9, p=np.inf)
    j = np.repeat(np.arange(len(hits)), [len(h) for h in hits])
    i = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits]) if len(hits) else \
        np.zeros(0, np.int64)
    i = i.astype(np.int64)
    d = np.asarray(src_xy, float)[i] - np.asarray(tgt_xy, float)[j]
    return i, j, d[:, 0], d[:, 1]


class Circuit:
    """Populations and projections of a visual pathway, starting from an input image.

    Parameters
    ----------
    size : int
        Side of the (square) input image in pixels.
    dt : float, optional
        The step activities are counted in, in seconds (default 1 ms): an
        activity ``a`` is ``a / dt`` Hz.

    input_meta : dict of ndarray, optional
        Metadata of the input population (default: one unit per pixel, with
        ``x``, ``y``, ``rf_size``).

    Notes
    -----
    The input is the population ``"input"``, whose activity is the probability of
    a spike per step; the retina (:func:`circuits.retina.encode`) makes it from
    images.
    """

    def __init__(self, size, dt=1e-3, input_meta=None):
        self.size = int(size)
        self.dt = float(dt)
        if input_meta is None:
            xs = np.arange(self.size, dtype=float)
            y, x = np.meshgrid(xs, xs, indexing="ij")
            input_meta = {"x": x.ravel(), "y": y.ravel(), "rf_size": np.ones(x.size)}
        n_input = len(next(iter(input_meta.values())))
        self.populations = OrderedDict()
        self.projections = []
        self.areas = OrderedDict()
        self.add(Population("input", "input", n_input, "excitatory", 0.0, dict(input_meta)))
        self._matrices = {}
        self._batches, self._cache = {}, {}
        self.learned = OrderedDict()      # name -> (gain, theta, theta_twin), see calibrate
        self.rates = OrderedDict()        # name -> target mean activity (calibrate)
        self.templates = OrderedDict()    # area -> ndarray of imprinted templates

    # ------------------------------------------------------------------ building
    def add(self, population):
        if population.name in self.populations:
            raise ValueError(f"population {population.name!r} exists already")
        self.populations[population.name] = population
        self.areas.setdefault(population.area, []).append(population.name)
        return population

    def connect(self, source, target, kind, i, j, w, name=None):
        """Add synapses ``source[i] -> target[j]`` with weights ``w`` (>= 0)."""
        i, j = np.asarray(i, np.int64), np.asarray(j, np.int64)
        w = np.broadcast_to(np.asarray(w, float), i.shape).copy()
        if kind not in ("excitatory", "inhibitory"):
            raise ValueError(f"kind={kind!r} must be 'excitatory' or 'inhibitory'")
        src = self.populations[source]
        if src.kind != kind:
            raise ValueError(f"{source} is {src.kind}; its synapses cannot be {kind} "
                             "(Dale's law)")
        if np.any(w < 0):
            raise ValueError("weights are magnitudes; the kind gives the sign")
        keep = w > 0
        proj = Projection(source, target, kind, i[keep], j[keep], w[keep],
                          name or f"{source}->{target}")
        self.projections.append(proj)
        self._invalidate(target)
        return proj

    def scale_inputs(self, target, gain):
        """Multiply every weight onto ``target`` (and its threshold) by ``gain``."""
        for p in self.projections:
            if p.target == target:
                p.w = p.w * gain
        self.populations[target].theta *= gain
        self.populations[target].theta_twin *= gain
        self._invalidate(target)

    # ---------------------------------------------------------------- rate twin
    def inputs_of(self, target):
        """``[(source, W, W**2)]``: signed sparse weights ``(n_target, n_source)``."""
        if target not in self._matrices:
            merged = OrderedDict()
            for p in self.projections:
                if p.target == target:
                    m = p.matrix(self.populations[p.source].n, self.populations[target].n)
                    m = m if p.kind == "excitatory" else -m
                    merged[p.source] = merged[p.source] + m if p.source in merged else m
            self._matrices[target] = [(s, m.tocsr(), m.multiply(m).tocsr())
                                      for s, m in merged.items()]
        return self._matrices[target]

    def drive(self, target, acts, variance=False):
        """Summed input ``h`` of ``target`` given activities ``acts[name]`` of shape
        ``(n, batch)``; sources missing from ``acts`` count as silent. With
        ``variance=True`` also the variance of ``h`` when every source fires in a
        step independently with its activity as probability."""
        n = self.populations[target].n
        batch = next(iter(acts.values())).shape[1]
        h = np.zeros((n, batch))
        var = np.zeros((n, batch)) if variance else None
        for src, m, m2 in self.inputs_of(target):
            if src in acts:
                h += m @ acts[src]
                if variance:
                    p = np.clip(acts[src], 0.0, 1.0)
                    var += m2 @ (p * (1.0 - p))
        return (h, var) if variance else h

    def blocks(self, names):
        """Populations grouped into strongly connected components, in build order."""
        index = {n: k for k, n in enumerate(names)}
        rows, cols = [], []
        for p in self.projections:
            if p.source in index and p.target in index:
                rows.append(index[p.source])
                cols.append(index[p.target])
        g = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(names),) * 2)
        _, label = connected_components(g, directed=True, connection="strong")
        blocks = OrderedDict()
        for k, n in enumerate(names):
            blocks.setdefault(label[k], []).append(n)
        return list(blocks.values())

    def depth(self, names=None):
        """Synaptic steps from the input to each population (longest feedforward path).

        Populations in a recurrent loop (a strongly connected block) share one depth,
        one more than the longest path into the block.
        """
        names = list(self.populations) if names is None else list(names)
        blocks = self.blocks(names)
        block_of = {n: k for k, b in enumerate(blocks) for n in b}
        depth, entry = {}, {}
        for b in blocks:
            d = 0
            for n in b:
                for src, _, _ in self.inputs_of(n):
                    if src in block_of and block_of[src] != block_of[n]:
                        d = max(d, depth[src] + 1)
            for n in b:
                entry[n] = d
                depth[n] = d + (len(b) > 1)
        self._entry = entry
        return depth

    def delays(self, names=None):
        """Transmission delay (in steps) of each projection that aligns arrivals.

        A population that receives excitation directly from ``S`` and inhibition
        through an interneuron driven by ``S`` (feedforward inhibition, push-pull,
        normalisation pools) would otherwise get the excitation one step before the
        inhibition that should cancel it: synchronous input then passes before it is
        cancelled, and deep areas fire in bursts. With these delays every
        feedforward path into a population has the length of the longest one, so
        excitation and inhibition evoked by the same input arrive together (as
        feedforward inhibition does in cortex, within a millisecond or two). Loops
        (inside a strongly connected block) keep no delay. Returns one int per
        projection of ``self.projections``.
        """
        names = list(self.populations) if names is None else list(names)
        depth = self.depth(names)
        entry = self._entry
        blocks = self.blocks(names)
        block_of = {n: k for k, b in enumerate(blocks) for n in b}
        out = []
        for p in self.projections:
            if p.source in block_of and p.target in block_of and \
                    block_of[p.source] != block_of[p.target]:
                out.append(max(0, entry[p.target] - depth[p.source] - 1))
            else:
                out.append(0)
        return out

    def _transfer(self, name, acts, kind):
        pop = self.populations[name]
        if kind == "relu":
            return np.maximum(self.drive(name, acts) - pop.theta_twin, 0.0)
        h, var = self.drive(name, acts, variance=True)
        return mean_field_activity(h - pop.theta, var)

    def _forward(self, inputs, upto, acts, kind, damping=0.3, tol=1e-3, max_iter=200):
        inputs = np.atleast_2d(np.asarray(inputs, float))
        names = list(self.populations)
        if upto is not None:
            names = names[:names.index(upto) + 1]
        acts = {} if acts is None else acts       # (n, batch) arrays
        acts["input"] = inputs.T
        for block in self.blocks(names[1:]):
            if all(n in acts for n in block):
                continue
            recurrent = len(block) > 1 or any(s == block[0] for s, _, _ in
                                               self.inputs_of(block[0]))
            if not recurrent:
                acts[block[0]] = self._transfer(block[0], acts, kind)
                continue
            for n in block:
                acts[n] = np.zeros((self.populations[n].n, inputs.shape[0]))
            for _ in range(max_iter):
                change = 0.0
                new = {n: self._transfer(n, acts, kind) for n in block}
                for n in block:
                    step = damping * (new[n] - acts[n])
                    acts[n] = acts[n] + step
                    change = max(change, float(np.abs(step).max(initial=0.0)))
                if change < tol * damping:
                    break
        return {n: acts[n].T for n in ["input"] + names[1:] if n in acts}

    def twin(self, inputs, upto=None, damping=0.3, tol=1e-4, max_iter=300):
        """Activities of the rate twin: rectified-linear units with the same weights.

        Parameters
        ----------
        inputs : ndarray, shape (batch, n_input)
            Input activities (spike probability per step).
        upto : str, optional
            Compute populations up to and including this one (default all).
        damping : float, optional
            Step size of the damped fixed-point iteration used inside recurrent
            loops (feedforward populations are computed exactly, in one pass).
        tol, max_iter : optional
            Convergence of that iteration (largest change of any activity).

        Returns
        -------
        dict of str to ndarray, shape (batch, n)
            The steady state of ``a = max(W_E a - W_I a - theta, 0)`` for every
            population (``"input"`` included).
        """
        return self._forward(inputs, upto, None, "relu", damping, tol, max_iter)

    def mean_field(self, inputs, upto=None):
        """Expected activities of the McCulloch-Pitts circuit (Gaussian approximation).

        Each unit's summed input in a step is taken as Gaussian, with the mean and
        the variance it has when every source fires independently with its
        activity as probability; the expected activity is
        ``P(h >= theta) = Phi((mu - theta) / sigma)``. Used to calibrate the
        circuit; same arguments and result as :meth:`twin`.
        """
        return self._forward(inputs, upto, None, "mean_field")

    # ---------------------------------------------------------- calibration
    def set_batch(self, key, inputs):
        """Keep input activities ``(batch, n_input)`` under ``key`` (``"calibration"``,
        ``"training"``) for :meth:`activity`."""
        self._batches[key] = np.atleast_2d(np.asarray(inputs, float))
        self._cache[(key, "mean_field")] = {}
        self._cache[(key, "relu")] = {}

    def has_batch(self, key):
        return key in self._batches

    def activity(self, key, name, kind="mean_field"):
        """Activity ``(batch, n)`` of population ``name`` for the batch ``key``, in the
        McCulloch-Pitts mean field (``kind="mean_field"``) or the rate twin
        (``"relu"``)."""
        if key not in self._batches:
            raise RuntimeError(f"no {key!r} images were given; they are needed to set up "
                               f"{name} (or load what was learned with learned=...)")
        cache = self._cache[(key, kind)]
        if name not in cache:
            self._forward(self._batches[key], name, cache, kind)
        return cache[name].T

    def _invalidate(self, target):
        names = list(self.populations)
        later = set(names[names.index(target):]) if target in names else set()
        for cache in self._cache.values():
            for n in later:
                cache.pop(n, None)
        self._matrices.pop(target, None)

    def calibrate(self, target, rate, peak=0.5, percentile=99.0):
        """Homeostatic set-up of ``target``: thresholds and gain from calibration images.

        Both versions of a unit are given the same mean activity, ``rate`` spikes per
        step, over the calibration images:

        * ``theta`` (McCulloch-Pitts): the mean of ``P(h >= theta)`` in the Gaussian
          approximation of :meth:`mean_field` is ``rate``;
        * ``theta_twin`` (rate twin and LIF): the mean of ``max(h - theta_twin, 0)``
          with the twin's own inputs is ``rate``, and all incoming weights are
          scaled so that its ``percentile`` is ``peak`` (McCulloch-Pitts units do
          not change under this scaling).

        Inputs from populations downstream of ``target`` (loops closed later) are
        not counted. A circuit rebuilt with ``learned`` values applies those
        instead.
        """
        pop = self.populations[target]
        self.rates[target] = float(rate)
        if target in self.learned:
            gain, theta, theta_twin = self.learned[target][:3]
            self.scale_inputs(target, gain)
            pop.theta, pop.theta_twin = theta, theta_twin
            return
        names = list(self.populations)
        up = [src for src, _, _ in self.inputs_of(target)
              if names.index(src) < names.index(target)]
        h_t = self.drive(target, {s: self.activity("calibration", s, "relu").T for s in up})
        h, var = self.drive(target, {s: self.activity("calibration", s).T for s in up},
                            variance=True)
        theta = _solve_threshold(h, var, rate)
        # twin: the threshold u where mean/percentile of relu(h - u) is rate/peak
        # (search below the percentile, where the ratio falls monotonically)
        lo, hi = float(h_t.min()), float(np.percentile(h_t, 100 - 2 * (100 - percentile)))
        for _ in range(40):
            u = 0.5 * (lo + hi)
            r = np.maximum(h_t - u, 0.0)
            top = float(np.percentile(r, percentile))
            if top <= 0 or r.mean() / top < rate / peak:
                hi = u
            else:
                lo = u
        u = lo
        top = float(np.percentile(np.maximum(h_t - u, 0.0), percentile))
        if top <= 0:
            raise RuntimeError(f"calibration of {target}: no input above threshold")
        gain = peak / top
        self.scale_inputs(target, gain)
        pop.theta, pop.theta_twin = theta * gain, u * gain
        self.learned[target] = (gain, pop.theta, pop.theta_twin)

    # --------------------------------------------------------------- to neurosim
    #: LIF membrane time constant (seconds), with the threshold made subtractive
    #: (:meth:`base_offsets`); None ties it to the threshold, ``dt / (2 theta_twin)``
    #: (see :meth:`to_network`). 16 ms: on V0 objects the CKA between the spiking LIF
    #: areas and the rate twin is V1 0.78, V2 0.84, V4 0.70, IT 0.70 (tied: 0.52,
    #: 0.49, 0.37, 0.54; 8 ms: 0.70, 0.79, 0.65, 0.67), IT decoding 0.63 (tied 0.53).
    lif_tau = 0.016
    #: LIF synaptic time constant (seconds): exponential current synapses, the same for
    #: excitation and inhibition so that aligned E and I still cancel; None gives delta
    #: synapses. A delta synapse moves ``v`` by its whole weight in one step, and many
    #: weights here exceed the 1 mV threshold (gates 2.8 mV, feedforward inhibition
    #: 1-1.7 mV): the neuron fires once and the reset to 0 discards the rest, so the
    #: rate saturates (at most one spike per input spike) instead of following the
    #: twin's ``h - theta``. Spread over 2 ms the same charge crosses threshold in
    #: small steps and is counted. On the protocol's 192 images (2 trials), CKA with the
    #: rate twin V1/V2/V4/IT: delta 0.71/0.71/0.49/0.52, 2 ms 0.93/0.96/0.90/0.87; on
    #: 72 images, 1 ms 0.91/0.94/0.89/0.84 (bursts), 4 ms 0.91/0.95/0.90/0.81 (IT
    #: reaches its steady rate ~20 ms later than the counting window starts).
    lif_tau_syn = 0.002
    #: What a LIF spike does to ``v`` (``neurosim.LIF``'s ``reset``). Set to
    #: ``v_reset``, the neuron loses the charge that carried it past threshold within
    #: the step, about half a step's input per spike, so its rate fell short of the
    #: twin's ``h - theta`` by a fraction growing with the rate (a unit driven to 0.8
    #: spikes per step fired 0.67 at the 0.5 ms step); subtraction keeps it. On the
    #: protocol's 192 images (2 trials, seed 0), CKA with the rate twin V1/V2/V4/IT:
    #: 0.951/0.931/0.855/0.774 before; synaptic weights scaled by the time-averaged
    #: current (``to_network``) 0.961/0.960/0.896/0.809; and reset by subtraction
    #: 0.978/0.991/0.979/0.916.
    lif_reset = "subtract"

    #: McCulloch-Pitts units made of copies in these areas threshold the mean of their
    #: input over the last ``mp_filter_steps`` steps (each synapse split into that many
    #: synapses of consecutive delays and ``1/steps`` of the weight, excitation and
    #: inhibition alike): a box low-pass filter, the discrete analogue of the LIF's
    #: synaptic time constant, which halves the step-to-step variance of the summed
    #: binary input, so that the copies' mean follows ``h - theta_twin`` rather than a
    #: noise-smoothed version of it. On the protocol's 192 images (2 trials), CKA with
    #: the rate twin V1/V2/V4/IT: no filter 0.78/0.85/0.76/0.70; 2 steps in V1 and V2
    #: 0.83/0.93/0.87/0.84 (+24 % CPU of a presentation); 2 steps in every area
    #: 0.83/0.93/0.82/0.76 (the filtered deep E/I stages ring; +48 % CPU); 3 steps in
    #: V1 and V2 0.86/0.93/0.86/0.81 (+75 % CPU).
    mp_filter_steps = 2
    mp_filter_areas = ("v1", "v2")
    #: McCulloch-Pitts: synapses from populations whose names start with a key are
    #: averaged over that many steps, whatever the target. A V1 simple cell gets its
    #: push-pull inhibition from one binary interneuron whose spike (weight 1.4-1.7,
    #: 3-4 times the simple cell's threshold) vetoes any excitation in that step and
    #: whose silence lets everything through; so the simple cells fired 2.4 times the
    #: twin's rate (fine scale) and the complex cells summed that noise-driven firing.
    #: Spread over 3 steps, the inhibition is graded. On the protocol's 192 images (2
    #: trials, with the V1/V2 filter above), CKA with the rate twin V1/V2/V4/IT: no
    #: push-pull filter 0.83/0.93/0.87/0.84; 2 steps 0.90/0.95/0.87/0.82; 3 steps
    #: 0.92/0.95/0.87/0.82; 4 steps 0.93/0.95/0.87/0.81. Filtering every input of the
    #: simple cells (2 steps) did no better than the push-pull input alone (72 images:
    #: complex cells 0.84/0.93 vs 0.81/0.92) and doubles the retina's synapses.
    mp_filter_sources = {"v1_pushpull": 3}

    def filter_steps(self, source, target, model="mcculloch_pitts", k=1):
        """Steps over which a projection ``source -> target`` is averaged: 1 except in
        the McCulloch-Pitts circuit, from :attr:`mp_filter_sources`, or into units made
        of ``k > 1`` copies in :attr:`mp_filter_areas` (:attr:`mp_filter_steps`)."""
        if model != "mcculloch_pitts":
            return 1
        for prefix, steps in self.mp_filter_sources.items():
            if source.startswith(prefix):
                return int(steps)
        if k > 1 and self.populations[target].area in self.mp_filter_areas:
            return int(self.mp_filter_steps)
        return 1

    def lif_tau_m(self, name):
        """Membrane time constant (seconds) of the LIF neurons of ``name``."""
        if self.lif_tau:
            return float(self.lif_tau)
        return self.dt / (2 * max(self.populations[name].theta_twin, 0.05))

    def base_offsets(self, name, k=1, model="mcculloch_pitts"):
        """Constant input of each neuron of ``name`` before any homeostatic bias (in
        units of the weights; mV for LIF): the copies' threshold offsets and, for LIF
        neurons with a fixed ``lif_tau``, the subtractive threshold.

        With ``tau_m`` fixed, a LIF neuron driven by ``h`` per step loses about
        ``dt / (2 tau_m)`` per step to the leak on its way to threshold, so it fires
        about ``h - dt / (2 tau_m)`` spikes per step; a constant input of
        ``-(theta_twin - dt / (2 tau_m)) tau_m / dt`` mV (its steady-state shift of
        the membrane potential) makes that ``h - theta_twin``, the rate twin's unit,
        and the neuron integrates its input over ``tau_m`` instead of a step or two.
        """
        pop = self.populations[name]
        off = copy_offsets(pop.n, k, model, pop.theta_twin)
        if model == "lif" and self.lif_tau:
            tau = float(self.lif_tau)
            off = off - (pop.theta_twin - 0.5 * self.dt / tau) * tau / self.dt
        return off

    def to_network(self, model="mcculloch_pitts", dt=None, coding="rate", latency=None,
                   names=None, bias=None, copies=None, align=True):
        """neurosim objects for the circuit (public API only).

        Parameters
        ----------
        model : {'mcculloch_pitts', 'lif'}
        dt : float, optional
            Simulation step in seconds. McCulloch-Pitts units update once per
            ``self.dt`` (the step in which activities are counted), so their
            ``dt`` must equal it; LIF neurons may use a finer step (default
            ``self.dt / 2``).
        coding : {'rate', 'latency'}
            Input as a ``PoissonGroup`` (rates set later, zero at first) or as a
            ``SpikeGeneratorGroup`` built from ``latency = (indices, times)``.
        names : sequence of str, optional
            Populations to include (default all); projections between them only.
        bias : dict of str to float, optional
            A constant input added to each population's summed input (in units of
            the weights), through a ``neurosim.CurrentInput`` that can be changed
            between runs (homeostasis, :meth:`Pathway.homeostasis`).
        copies : dict of str to int, optional
            McCulloch-Pitts only: populations whose units are each made of ``k``
            binary neurons (see Notes).
        align : bool, optional
            Delay projections so that every feedforward path into a population
            takes as many steps as the longest (:meth:`delays`); False: no delays.

        Returns
        -------
        groups : dict of str to neurosim group
            The input group under ``"input"``.
        objects : list
            Everything for ``neurosim.Network`` (groups, synapses, currents,
            monitors).
        monitors : dict of str to ``neurosim.SpikeMonitor``
        currents : dict of str to ``neurosim.CurrentInput``
            One per population; its amplitude is the bias plus, for units made of
            copies, each copy's threshold offset.

        Notes
        -----
        McCulloch-Pitts units: a unit fires in a step when its summed input of the
        previous step reaches ``theta``. A unit made of ``k`` copies is ``k``
        binary neurons (neuron ``u * k + m`` is copy ``m`` of unit ``u``) with
        thresholds ``theta_twin + (m + 1/2) / k``; every copy receives from every
        copy of each source unit (weight divided by ``k_source``), so the fraction
        of a unit's copies that fire is ``min(max(h - theta_twin, 0), 1)`` to a resolution of
        ``1/k``: the rate twin's unit, clipped at one spike per step (a
        population code with staggered thresholds). In the areas of
        :attr:`mp_filter_areas` such units see the mean input of the last
        :attr:`mp_filter_steps` steps, and V1 simple cells their push-pull
        inhibition averaged over 3 steps (:meth:`filter_steps`).

        LIF neurons: ``v_rest = v_reset = 0``, ``v_th = 1 mV``, reset by subtraction
        (:attr:`lif_reset`), exponential current synapses of ``lif_tau_syn`` (2 ms), a
        weight ``w`` of the description a current jump of ``w tau_m / tau_syn`` mV,
        which moves ``v`` as much on average as a delta synapse of ``w`` mV; with
        ``lif_tau_syn = None``, delta synapses of ``w * exp(dt / tau_m)`` mV (the
        jump that is still ``w`` after the decay of one step, when the threshold is
        checked). By default (``lif_tau`` = 16 ms) every neuron has
        ``tau_m = lif_tau`` and a constant input that subtracts its threshold
        (:meth:`base_offsets`): driven by a mean input ``h`` it fires about
        ``h - theta_twin`` spikes per step once ``h`` exceeds ``theta_twin +
        dt / (2 tau_m)``, the rate twin's unit, and it averages its input over
        ``tau_m``. With ``lif_tau = None``, ``tau_m = self.dt / (2 max(theta_twin,
        0.05))`` and no offset: the neuron fires about ``h - theta_twin`` spikes per
        step once ``h`` exceeds ``2 theta_twin`` (the rate of a LIF neuron well
        above threshold is ``(v_inf - v_th / 2) / tau_m``), but it integrates over
        only a few steps and fires on the input's fluctuations.
        """
        import neurosim as ns
        from neurosim.units import Hz, mV, second
        if model not in MODELS:
            raise ValueError(f"model={model!r} must be one of {MODELS}")
        if dt is None:
            dt = self.dt if model == "mcculloch_pitts" else self.dt / 2
        if model == "mcculloch_pitts" and abs(dt - self.dt) > 1e-12:
            raise ValueError(f"dt={dt!r}: McCulloch-Pitts circuits run with dt={self.dt} s, "
                             "the step their activities are counted in")
        names = list(self.populations) if names is None else list(names)
        copies = {n: int((copies or {}).get(n, 1)) for n in names}
        copies["input"] = 1
        bias = bias or {}
        groups, objects, monitors = {}, [], {}
        n_in = self.populations["input"].n
        if coding == "rate":
            groups["input"] = ns.PoissonGroup(n_in, np.zeros(n_in) * Hz, name="input")
        elif coding == "latency":
            idx, t = latency
            groups["input"] = ns.SpikeGeneratorGroup(n_in, np.asarray(idx, np.int64),
                                                     np.asarray(t, float) * second,
                                                     name="input")
        else:
            raise ValueError(f"coding={coding!r} must be 'rate' or 'latency'")
        objects.append(groups["input"])
        scale, offsets = {}, {}
        for name in names[1:]:
            pop, k = self.populations[name], copies[name]
            if model == "mcculloch_pitts":
                if k > 1:
                    neuron = ns.McCullochPitts(theta=pop.theta_twin)
                    offsets[name] = copy_offsets(pop.n, k)
                else:
                    neuron = ns.McCullochPitts(theta=max(pop.theta, 1e-9))
                    offsets[name] = np.zeros(pop.n)
                scale[name] = 1.0
            else:
                tau = self.lif_tau_m(name)
                ts = self.lif_tau_syn
                neuron = ns.LIF(tau_m=tau * second, v_rest=0 * mV, v_reset=0 * mV,
                                v_th=V_TH_MV * mV, reset=self.lif_reset,
                                **({} if not ts else dict(tau_syn_e=ts * second,
                                                          tau_syn_i=ts * second)))
                if ts:
                    # the mean drive of a delta synapse of w: a current jump J decaying
                    # over ts moves v by J ts per spike on average, as w tau_m does
                    scale[name] = V_TH_MV * tau / ts * mV
                else:
                    scale[name] = V_TH_MV * np.exp(dt / tau) * (1 + 1e-6) * mV
                offsets[name] = self.base_offsets(name, k, model)
            groups[name] = ns.NeuronGroup(pop.n * k, neuron, name=name)
            objects.append(groups[name])
        steps = self.delays(names) if align else [0] * len(self.projections)
        for p, d in zip(self.projections, steps):
            if p.source in groups and p.target in groups and p.i.size:
                pre, post, w = _copy_synapses(p, copies[p.source], copies[p.target])
                taps = self.filter_steps(p.source, p.target, model, copies[p.target])
                for e in range(taps):
                    objects.append(ns.Synapses(
                        groups[p.source], groups[p.target], kind=p.kind,
                        weight=w * scale[p.target] / taps, connect=(pre, post),
                        delay=(d + e) * dt * second, name=p.name + (f"@{e}" if e else "")))
        currents = {}
        for name in names[1:]:
            unit = 1.0 if model == "mcculloch_pitts" else V_TH_MV * mV
            amp = offsets[name] + bias.get(name, 0.0)
            currents[name] = ns.CurrentInput(groups[name], amp * unit)
            objects.append(currents[name])
        for name, g in groups.items():
            monitors[name] = ns.SpikeMonitor(g)
            objects.append(monitors[name])
        return groups, objects, monitors, currents

    # ------------------------------------------------------------------ summary
    def summary(self):
        """One line per population: area, size, kind, threshold, synapses in."""
        lines = []
        for name, pop in self.populations.items():
            n_in = sum(p.i.size for p in self.projections if p.target == name)
            lines.append(f"{pop.area:7s} {name:18s} n={pop.n:6d} {pop.kind[:3]} "
                         f"theta={pop.theta:8.4f} synapses_in={n_in}")
        return "\n".join(lines)

    @property
    def n_neurons(self):
        return sum(p.n for k, p in self.populations.items() if k != "input")

    @property
    def n_synapses(self):
        return sum(p.i.size for p in self.projections)
