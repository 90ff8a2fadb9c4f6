"""Spike counts of a batch of presentations and their readouts (:class:`Responses`).

Made by :meth:`circuits.pathway_network.Pathway.present`; importable from
:mod:`circuits.pathway` and :mod:`circuits`.
"""
import numpy as np

__all__ = ["Responses"]


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
        return self.trial_activity(population).mean(axis=1)

    def trial_activity(self, population):
        """Spikes per step (and per copy) in the window, trial by trial:
        ``(n_images, n_trials, n)``."""
        lo, hi = self.windows[population]
        steps = max(int(round((hi - lo) / self.dt)), 1)
        return self.counts[population] / (steps * self.copies[population])

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
