"""The rate twin of a circuit, its McCulloch-Pitts mean field, and the calibration.

The rate twin has rectified-linear units ``a = max(h - theta_twin, 0)`` with
``h = W_E a - W_I a``, computed with numpy (:meth:`RateTwin.twin`); the mean field
gives the expected activities of the McCulloch-Pitts units, ``P(h >= theta)`` with
``h`` Gaussian (:meth:`RateTwin.mean_field`). Both set up the thresholds and gains of
each population as it is built (:meth:`RateTwin.calibrate`), on batches of input
activities kept under a name (:meth:`RateTwin.set_batch`).
"""
from collections import OrderedDict

import numpy as np
from scipy.special import ndtr

from .description import Description

__all__ = ["RateTwin", "mean_field_activity"]


def mean_field_activity(mu, var, floor=1e-6):
    """``P(h >= 0)`` for Gaussian ``h`` of mean ``mu`` and variance ``var``."""
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


class RateTwin(Description):
    """A :class:`~circuits.description.Description` with its rate twin and mean field.

    Parameters
    ----------
    size, dt, input_meta
        As :class:`~circuits.description.Description`.

    Attributes
    ----------
    learned : OrderedDict of str to tuple
        ``name -> (gain, theta, theta_twin)`` of each calibrated population; a circuit
        rebuilt with these values applies them instead of calibrating.
    rates : OrderedDict of str to float
        ``name -> `` the mean activity each population was calibrated to.
    """

    def __init__(self, size, dt=1e-3, input_meta=None):
        super().__init__(size, dt, input_meta)
        self._batches = {}                # key -> input activities (batch, n_input)
        self._cache = {}                  # (key, kind) -> {name: activities (n, batch)}
        self.learned = OrderedDict()
        self.rates = OrderedDict()

    # ------------------------------------------------------------------ activities
    def drive(self, target, acts, variance=False):
        """Summed input of ``target``.

        Parameters
        ----------
        target : str
        acts : dict of str to ndarray, shape (n, batch)
            Activities of the sources; sources missing from it count as silent.
        variance : bool, optional
            Also return the variance of the summed input when every source fires in
            a step independently with its activity as probability.

        Returns
        -------
        h : ndarray, shape (n_target, batch)
        var : ndarray, shape (n_target, batch)
            Only with ``variance=True``.
        """
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

    def _transfer(self, name, acts, kind):
        """Activities of ``name`` from its sources' ``acts``: ``kind`` ``"relu"`` (rate
        twin) or ``"mean_field"`` (McCulloch-Pitts)."""
        pop = self.populations[name]
        if kind == "relu":
            return np.maximum(self.drive(name, acts) - pop.theta_twin, 0.0)
        h, var = self.drive(name, acts, variance=True)
        return mean_field_activity(h - pop.theta, var)

    def _forward(self, inputs, upto, acts, kind, damping=0.3, tol=1e-3, max_iter=200):
        """Activities of every population up to ``upto`` (all: None), block by block in
        build order; recurrent blocks by damped fixed-point iteration. ``acts``: a
        cache of activities ``(n, batch)`` already known, filled in (None: none)."""
        inputs = np.atleast_2d(np.asarray(inputs, float))
        names = list(self.populations)
        if upto is not None:
            names = names[:names.index(upto) + 1]
        acts = {} if acts is None else acts
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

    # ------------------------------------------------------------------ batches
    def set_batch(self, key, inputs):
        """Keep input activities ``(batch, n_input)`` under ``key`` (``"calibration"``,
        ``"training"``) for :meth:`activity`."""
        self._batches[key] = np.atleast_2d(np.asarray(inputs, float))
        self._cache[(key, "mean_field")] = {}
        self._cache[(key, "relu")] = {}

    def has_batch(self, key):
        """Whether input activities were kept under ``key`` (:meth:`set_batch`)."""
        return key in self._batches

    def activity(self, key, name, kind="mean_field"):
        """Activity ``(batch, n)`` of population ``name`` for the batch ``key``, in the
        McCulloch-Pitts mean field (``kind="mean_field"``) or the rate twin
        (``"relu"``); computed once, until the weights onto it or above change."""
        if key not in self._batches:
            raise RuntimeError(f"no {key!r} images were given; they are needed to set up "
                               f"{name} (or load what was learned with learned=...)")
        cache = self._cache[(key, kind)]
        if name not in cache:
            self._forward(self._batches[key], name, cache, kind)
        return cache[name].T

    def _invalidate(self, target):
        """Also forget the cached activities of ``target`` and every later population."""
        super()._invalidate(target)
        names = list(self.populations)
        later = set(names[names.index(target):]) if target in names else set()
        for cache in self._cache.values():
            for n in later:
                cache.pop(n, None)

    # ------------------------------------------------------------------ calibration
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
