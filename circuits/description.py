"""The description of a circuit: populations, projections and their graph.

A :class:`Description` holds what every version of the circuit shares, independent
of the neuron model: each :class:`Population` has thresholds and per-neuron metadata
(position, receptive-field size, preferences), each :class:`Projection` excitatory
or inhibitory synapses with weights. Activities are in spikes per time step. The rate
twin (:mod:`circuits.twin`) and the spiking network (:mod:`circuits.spiking`) read
it; :class:`circuits.core.Circuit` is all three.

Also here: the geometry the area builders place neurons with (:func:`grid`,
:func:`neighbours`) and the structure of the graph (:meth:`Description.blocks`,
:meth:`~Description.depth`, :meth:`~Description.delays`).
"""
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

__all__ = ["Population", "Projection", "Description", "grid", "neighbours"]

KINDS = ("excitatory", "inhibitory")


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
        Number of units.
    kind : {'excitatory', 'inhibitory'}
        The sign of every synapse it makes (Dale's law).
    theta : float
        Threshold of the McCulloch-Pitts units, in the units of the weights.
    meta : dict of ndarray
        One value per neuron: ``x``, ``y`` (receptive-field centre, pixels, x to the
        right and y downwards from the top-left pixel), ``rf_size`` (pixels, the
        side of the square covering the receptive field) and the preferences of the
        area (``orientation``, ``phase``, ``scale``, ``wavelength``, ``template``...).
    theta_twin : float
        Threshold of the rate twin's rectified-linear units and of LIF neurons
        (both integrate the mean input; see :meth:`circuits.twin.RateTwin.calibrate`);
        ``theta`` when not given.
    """

    name: str
    area: str
    n: int
    kind: str = "excitatory"
    theta: float = 0.1
    meta: dict = field(default_factory=dict)
    theta_twin: float = None

    def __post_init__(self):
        if self.kind not in KINDS:
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
    """Synapses from population ``source`` to ``target`` (names), ``i -> j`` with weights ``w``.

    Attributes
    ----------
    source, target : str
        Population names.
    kind : {'excitatory', 'inhibitory'}
        The source's kind; the weights ``w`` are magnitudes.
    i, j : ndarray of int
        Source and target unit of each synapse.
    w : ndarray of float
        Weights (> 0).
    name : str
        Name of the neurosim ``Synapses`` built from it.
    """

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


def grid(size, stride):
    """Centres of a regular grid over ``size`` pixels: ``(stride - 1)/2 + stride * k``."""
    n = size // stride
    return (stride - 1) / 2.0 + stride * np.arange(n)


def neighbours(src_xy, tgt_xy, radius):
    """Source-target pairs within a Chebyshev radius.

    Returns
    -------
    i, j : ndarray of int
        Pairs with source ``i`` within ``radius`` of target ``j``.
    dx, dy : ndarray of float
        The offsets ``src - tgt`` of each pair.
    """
    tree = cKDTree(np.asarray(src_xy, float))
    hits = tree.query_ball_point(np.asarray(tgt_xy, float), r=radius + 1e-9, p=np.inf)
    j = np.repeat(np.arange(len(hits)), [len(h) for h in hits])
    i = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits]) if len(hits) else \
        np.zeros(0, np.int64)
    d = np.asarray(src_xy, float)[i] - np.asarray(tgt_xy, float)[j]
    return i, j, d[:, 0], d[:, 1]


class Description:
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

    Attributes
    ----------
    populations : OrderedDict of str to Population
        In build order, ``"input"`` first.
    projections : list of Projection
        In build order.
    areas : OrderedDict of str to list of str
        The populations of each area.
    templates : OrderedDict of str to ndarray
        Templates imprinted in each template layer (:func:`circuits.layers.template_layer`),
        kept so that a rebuilt circuit reuses them.

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
        self.templates = OrderedDict()
        self._matrices = {}               # target -> inputs_of(target), see _invalidate
        self.add(Population("input", "input", n_input, "excitatory", 0.0, dict(input_meta)))

    # ------------------------------------------------------------------ building
    def add(self, population):
        """Add a :class:`Population` (its name must be new); returns it."""
        if population.name in self.populations:
            raise ValueError(f"population {population.name!r} exists already")
        self.populations[population.name] = population
        self.areas.setdefault(population.area, []).append(population.name)
        return population

    def connect(self, source, target, kind, i, j, w, name=None):
        """Add synapses ``source[i] -> target[j]`` with weights ``w`` (>= 0).

        Synapses of weight 0 are left out. Returns the :class:`Projection`.
        """
        i, j = np.asarray(i, np.int64), np.asarray(j, np.int64)
        w = np.broadcast_to(np.asarray(w, float), i.shape).copy()
        if kind not in KINDS:
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
        """Multiply every weight onto ``target`` (and its thresholds) by ``gain``."""
        for p in self.projections:
            if p.target == target:
                p.w = p.w * gain
        self.populations[target].theta *= gain
        self.populations[target].theta_twin *= gain
        self._invalidate(target)

    def _invalidate(self, target):
        """Forget what was derived from the inputs of ``target``, whose weights changed."""
        self._matrices.pop(target, None)

    def weights_changed(self):
        """Forget everything derived from the weights, after they were edited in place
        (``projections`` replaced or their ``w`` permuted)."""
        for name in self.populations:
            self._invalidate(name)

    # ------------------------------------------------------------------ structure
    def inputs_of(self, target):
        """``[(source, W, W**2)]``: signed sparse weights ``(n_target, n_source)``,
        one entry per source population (its projections onto ``target`` summed)."""
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

    def blocks(self, names):
        """Populations ``names`` grouped into strongly connected components, in build order."""
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

    def _depths(self, names):
        """``(blocks, depth, entry)``: the strongly connected blocks of ``names``, each
        population's depth (:meth:`depth`) and the depth at which its block is entered."""
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
        return blocks, depth, entry

    def depth(self, names=None):
        """Synaptic steps from the input to each population (longest feedforward path).

        Populations in a recurrent loop (a strongly connected block) share one depth,
        one more than the longest path into the block.

        Parameters
        ----------
        names : sequence of str, optional
            Populations to consider (default all); paths through others are ignored.

        Returns
        -------
        dict of str to int
        """
        names = list(self.populations) if names is None else list(names)
        return self._depths(names)[1]

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
        (inside a strongly connected block) keep no delay.

        Parameters
        ----------
        names : sequence of str, optional
            Populations to consider (default all).

        Returns
        -------
        list of int
            One per projection of ``self.projections`` (0 for those leaving ``names``).
        """
        names = list(self.populations) if names is None else list(names)
        blocks, depth, entry = self._depths(names)
        block_of = {n: k for k, b in enumerate(blocks) for n in b}
        out = []
        for p in self.projections:
            if p.source in block_of and p.target in block_of and \
                    block_of[p.source] != block_of[p.target]:
                out.append(max(0, entry[p.target] - depth[p.source] - 1))
            else:
                out.append(0)
        return out

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
        """Units of every population except the input."""
        return sum(p.n for k, p in self.populations.items() if k != "input")

    @property
    def n_synapses(self):
        """Synapses of every projection."""
        return sum(p.i.size for p in self.projections)
