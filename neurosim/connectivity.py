"""Connection rules: who connects to whom, drawn row by row from keyed random numbers.

A rule describes its rows (``_rows``): for each source (each target for
``FixedIndegree``) how its partners are drawn, by one of the compiled row
generators of ``kernels.connect`` (every candidate, one, each with probability p,
or k of them). A row depends only on the key (network seed, projection, row), so
the network is the same for any thread count and any number of MPI ranks, and one
row can be drawn again alone. ``self_pre[j]`` is the presynaptic index of the
neuron that *is* target ``j`` (or -1), which is how autapses are told apart when a
group projects onto itself or a slice of it.
"""
from collections import namedtuple
from math import log1p

import numpy as np

from ._validation import check_int, check_probability
from .kernels.connect import ALL, DEGREE, ONE, PROB

__all__ = ["AllToAll", "OneToOne", "FixedProbability", "FixedIndegree", "FixedOutdegree",
           "FixedTotalNumber", "Explicit"]

# how a projection's rows are drawn (the arguments of kernels.connect's passes): the
# row generator's code; whether rows are targets (FixedIndegree); the number of
# candidates of a row; per row the candidate it must skip (-1: none) and its number of
# partners (DEGREE); 1 / log(1 - p) (PROB); draws with replacement; the scratch a row
# needs
RowPlan = namedtuple("RowPlan", "code by_target m excluded k p_scale multapses width")


class _Rule:
    """A connection rule: ``_rows(n_pre, n_post, self_pre, seed, stream)`` (a
    ``RowPlan``, or None for an explicit list) and ``expected_count(n_pre, n_post)``,
    the number of synapses it will make (or expects to), for memory estimates."""

    allow_autapses = True

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


def _check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r} must be True or False")
    return bool(value)


def _excluded(n_rows, self_pre, allow_autapses, by_target):
    """Per row, the partner that is the row's own neuron (-1: none or allowed)."""
    if allow_autapses:
        return np.full(n_rows, -1, dtype=np.int64)
    if by_target:
        return self_pre.astype(np.int64)
    out = np.full(n_rows, -1, dtype=np.int64)
    js = np.flatnonzero(self_pre >= 0)
    out[self_pre[js]] = js
    return out


def _plan(code, m, excluded, k=None, p_scale=0.0, multapses=False, by_target=False):
    k = np.zeros(excluded.size, dtype=np.int64) if k is None else k
    width = {ALL: m, PROB: m, ONE: 1}.get(code, int(k.max()) if k.size else 0)
    return RowPlan(code, by_target, int(m), excluded, k, float(p_scale), bool(multapses),
                   max(1, width))


def _degree_plan(rule, k, m, excluded, multapses, by_target):
    """``k`` partners per row out of ``m`` candidates less the excluded one."""
    reduced = m - (excluded >= 0)
    if k.size and multapses and np.any((reduced < 1) & (k > 0)):
        raise ValueError(f"{rule}: k={int(k.max())} but no candidate partner is left once "
                         "autapses are excluded; use allow_autapses=True or k=0")
    if k.size and not multapses and np.any(k > reduced):
        raise ValueError(f"{rule}: k={int(k.max())} cannot choose {int(k.max())} distinct "
                         f"partners from {int(reduced.min())} candidates; use k <= "
                         f"{int(reduced.min())} or allow_multapses=True")
    return _plan(DEGREE, m, excluded, k, multapses=multapses, by_target=by_target)


class AllToAll(_Rule):
    """Every presynaptic neuron to every postsynaptic one.

    Parameters
    ----------
    allow_autapses : bool, optional
        Keep connections of a neuron onto itself (default True).

    Examples
    --------
    >>> import neurosim as ns
    >>> a = ns.NeuronGroup(3, ns.McCullochPitts())
    >>> b = ns.NeuronGroup(2, ns.McCullochPitts())
    >>> syn = ns.Synapses(a, b, kind="excitatory", weight=1, connect=ns.AllToAll())
    >>> ns.Network(a, b, syn).build(seed=0)
    >>> syn.i, syn.j
    (array([0, 0, 1, 1, 2, 2], dtype=int32), array([0, 1, 0, 1, 0, 1], dtype=int32))
    """

    def __init__(self, allow_autapses=True):
        self.allow_autapses = _check_bool("allow_autapses", allow_autapses)

    def expected_count(self, n_pre, n_post):
        return n_pre * n_post

    def _rows(self, n_pre, n_post, self_pre, seed, stream):
        return _plan(ALL, n_post, _excluded(n_pre, self_pre, self.allow_autapses, False))


class OneToOne(_Rule):
    """Neuron ``k`` of the source to neuron ``k`` of the target (equal sizes).

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import Hz
    >>> inputs = ns.PoissonGroup(4, rates=10*Hz)
    >>> cells = ns.NeuronGroup(4, ns.McCullochPitts())
    >>> syn = ns.Synapses(inputs, cells, kind="excitatory", weight=1,
    ...                   connect=ns.OneToOne())
    >>> ns.Network(inputs, cells, syn).build(seed=0)
    >>> syn.i, syn.j
    (array([0, 1, 2, 3], dtype=int32), array([0, 1, 2, 3], dtype=int32))
    """

    def expected_count(self, n_pre, n_post):
        return n_pre

    def _rows(self, n_pre, n_post, self_pre, seed, stream):
        if n_pre != n_post:
            raise ValueError(f"OneToOne needs groups of equal size; got n_pre={n_pre}, "
                             f"n_post={n_post}")
        return _plan(ONE, n_post, np.full(n_pre, -1, dtype=np.int64))


class FixedProbability(_Rule):
    """Each pair connects independently with probability ``p`` (Bernoulli).

    The number of synapses is binomial, ``n_pre * n_post * p`` on average.

    Parameters
    ----------
    p : float
        Connection probability, in [0, 1].
    allow_autapses : bool, optional
        Default True (as Brian2 and NEST).

    Notes
    -----
    Each source's row is drawn by geometric skipping over its ``n_post``
    candidates, from the row's own key, so the cost grows with the number of
    synapses, not of pairs.

    Examples
    --------
    >>> import neurosim as ns
    >>> cells = ns.NeuronGroup(1000, ns.McCullochPitts())
    >>> syn = ns.Synapses(cells, cells, kind="excitatory", weight=1,
    ...                   connect=ns.FixedProbability(0.02))
    >>> ns.Network(cells, syn).build(seed=0)
    >>> syn.n_synapses                  # about 0.02 * 1000 * 1000
    19978
    """

    def __init__(self, p, allow_autapses=True):
        self.p = check_probability("p", p)
        self.allow_autapses = _check_bool("allow_autapses", allow_autapses)

    def expected_count(self, n_pre, n_post):
        return int(self.p * n_pre * n_post)

    def _rows(self, n_pre, n_post, self_pre, seed, stream):
        excluded = _excluded(n_pre, self_pre, self.allow_autapses, False)
        if self.p == 0.0:
            return _plan(DEGREE, n_post, excluded)
        if self.p == 1.0:
            return _plan(ALL, n_post, excluded)
        return _plan(PROB, n_post, excluded, p_scale=1.0 / log1p(-self.p))


class FixedIndegree(_Rule):
    """Every target receives exactly ``k`` inputs from randomly chosen sources.

    Parameters
    ----------
    k : int
        In-degree, >= 0.
    allow_autapses : bool, optional
        Default True.
    allow_multapses : bool, optional
        Allow one source to contact a target several times. Default False (the
        ``k`` sources are distinct, as in Brunel 2000).

    Examples
    --------
    >>> import numpy as np
    >>> import neurosim as ns
    >>> cells = ns.NeuronGroup(100, ns.McCullochPitts())
    >>> syn = ns.Synapses(cells, cells, kind="excitatory", weight=1,
    ...                   connect=ns.FixedIndegree(10, allow_autapses=False))
    >>> ns.Network(cells, syn).build(seed=0)
    >>> np.unique(np.bincount(syn.j)), int((syn.i == syn.j).sum())
    (array([10]), 0)
    """

    def __init__(self, k, allow_autapses=True, allow_multapses=False):
        self.k = check_int("k", k, minimum=0)
        self.allow_autapses = _check_bool("allow_autapses", allow_autapses)
        self.allow_multapses = _check_bool("allow_multapses", allow_multapses)

    def expected_count(self, n_pre, n_post):
        return self.k * n_post

    def _rows(self, n_pre, n_post, self_pre, seed, stream):
        excluded = _excluded(n_post, self_pre, self.allow_autapses, True)
        return _degree_plan("FixedIndegree", np.full(n_post, self.k, dtype=np.int64), n_pre,
                            excluded, self.allow_multapses, True)


class FixedOutdegree(_Rule):
    """Every source sends exactly ``k`` outputs to randomly chosen targets.

    Parameters
    ----------
    k : int
        Out-degree, >= 0.
    allow_autapses : bool, optional
        Default True.
    allow_multapses : bool, optional
        Default False (the ``k`` targets are distinct).

    Examples
    --------
    >>> import numpy as np
    >>> import neurosim as ns
    >>> cells = ns.NeuronGroup(100, ns.McCullochPitts())
    >>> syn = ns.Synapses(cells, cells, kind="excitatory", weight=1,
    ...                   connect=ns.FixedOutdegree(5))
    >>> ns.Network(cells, syn).build(seed=0)
    >>> np.unique(np.bincount(syn.i))
    array([5])
    """

    def __init__(self, k, allow_autapses=True, allow_multapses=False):
        self.k = check_int("k", k, minimum=0)
        self.allow_autapses = _check_bool("allow_autapses", allow_autapses)
        self.allow_multapses = _check_bool("allow_multapses", allow_multapses)

    def expected_count(self, n_pre, n_post):
        return self.k * n_pre

    def _rows(self, n_pre, n_post, self_pre, seed, stream):
        excluded = _excluded(n_pre, self_pre, self.allow_autapses, False)
        return _degree_plan("FixedOutdegree", np.full(n_pre, self.k, dtype=np.int64), n_post,
                            excluded, self.allow_multapses, False)


class FixedTotalNumber(_Rule):
    """Exactly ``n`` synapses between uniformly drawn pairs (PD14's rule).

    Parameters
    ----------
    n : int
        Number of synapses, >= 0.
    allow_autapses : bool, optional
        Default True.
    allow_multapses : bool, optional
        Default True: pairs are drawn with replacement, as in Potjans & Diesmann
        (2014).

    Examples
    --------
    >>> import neurosim as ns
    >>> cells = ns.NeuronGroup(100, ns.McCullochPitts())
    >>> syn = ns.Synapses(cells, cells, kind="excitatory", weight=1,
    ...                   connect=ns.FixedTotalNumber(250))
    >>> ns.Network(cells, syn).build(seed=0)
    >>> syn.n_synapses
    250
    """

    def __init__(self, n, allow_autapses=True, allow_multapses=True):
        self.n = check_int("n", n, minimum=0)
        self.allow_autapses = _check_bool("allow_autapses", allow_autapses)
        self.allow_multapses = _check_bool("allow_multapses", allow_multapses)

    def expected_count(self, n_pre, n_post):
        return self.n

    def _rows(self, n_pre, n_post, self_pre, seed, stream):
        """Rows of the sources: how many synapses each gets is drawn here, on the host,
        from the projection's key (a multinomial, or a multivariate hypergeometric
        without multapses: the pairs are uniform over the allowed ones), then each row
        draws its targets from its own key."""
        excluded = _excluded(n_pre, self_pre, self.allow_autapses, False)
        per_row = n_post - (excluded >= 0)
        allowed = int(per_row.sum())
        if not self.allow_multapses and self.n > allowed:
            raise ValueError(f"FixedTotalNumber(n={self.n}) without multapses needs n <= "
                             f"{allowed}, the number of distinct pairs")
        if self.n > 0 and allowed <= 0:
            raise ValueError(f"FixedTotalNumber(n={self.n}) has no pair to draw from: all "
                             f"{n_pre * n_post} pairs are autapses; use allow_autapses=True "
                             "or n=0")
        rng = np.random.default_rng([seed, stream])
        if self.n == 0:
            k = np.zeros(n_pre, dtype=np.int64)
        elif self.allow_multapses:
            k = rng.multinomial(self.n, per_row / allowed).astype(np.int64)
        else:
            k = rng.multivariate_hypergeometric(per_row, self.n).astype(np.int64)
        return _degree_plan("FixedTotalNumber", k, n_post, excluded, self.allow_multapses,
                            False)


class Explicit(_Rule):
    """Synapses between given index pairs ``(i[k], j[k])``.

    Parameters
    ----------
    i, j : array of int
        Presynaptic and postsynaptic indices, local to the two groups, of equal
        length. Passing ``connect=(i, j)`` to ``Synapses`` is the same.

    Examples
    --------
    >>> import neurosim as ns
    >>> chain = ns.NeuronGroup(3, ns.McCullochPitts())
    >>> syn = ns.Synapses(chain, chain, kind="excitatory", weight=1,
    ...                   connect=ns.Explicit([0, 1], [1, 2]))       # 0 -> 1 -> 2
    >>> ns.Network(chain, syn).build(seed=0)
    >>> syn.i, syn.j
    (array([0, 1], dtype=int32), array([1, 2], dtype=int32))
    """

    def __init__(self, i, j):
        self.i = np.asarray(i)
        self.j = np.asarray(j)
        for name, arr in (("i", self.i), ("j", self.j)):
            if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
                raise TypeError(f"{name}={arr!r} must be a 1-d array of integers")
        if self.i.shape != self.j.shape:
            raise ValueError(f"i has {self.i.size} entries and j has {self.j.size}; they must "
                             "have the same length")

    def expected_count(self, n_pre, n_post):
        return self.i.size

    def _rows(self, n_pre, n_post, self_pre, seed, stream):
        return None

    def _pairs(self, n_pre, n_post):
        """The given pairs as int64 arrays, checked against the groups' sizes."""
        for name, arr, n in (("i", self.i, n_pre), ("j", self.j, n_post)):
            if arr.size and (arr.min() < 0 or arr.max() >= n):
                bad = arr[(arr < 0) | (arr >= n)][0]
                raise IndexError(f"connect {name} contains {bad}, out of range; allowed "
                                 f"0..{n - 1}")
        return self.i.astype(np.int64), self.j.astype(np.int64)
