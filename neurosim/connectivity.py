"""Connection rules: who connects to whom, as index arrays, deterministic per seed.

Each rule turns ``(n_pre, n_post)`` and a numpy ``Generator`` into arrays of
presynaptic and postsynaptic indices (local to the two groups), vectorised so
that building a network of millions of synapses takes seconds. ``self_pre[j]``
is the presynaptic index of the neuron that *is* target ``j`` (or -1), which is
how autapses are told apart when a group projects onto itself or a slice of it.
"""
import numpy as np

from ._validation import check_int, check_probability

__all__ = ["AllToAll", "OneToOne", "FixedProbability", "FixedIndegree", "FixedOutdegree",
           "FixedTotalNumber", "Explicit"]


class _Rule:
    """A connection rule: ``connect(n_pre, n_post, rng, self_pre) -> (i, j)`` and
    ``expected_count(n_pre, n_post)``, the number of synapses it will make (or
    expects to), for memory estimates."""

    allow_autapses = True

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"

    def _connect_local(self, n_pre, n_post, rng, self_pre, keep):
        """The part of ``connect``'s synapses whose target is marked in ``keep``.

        It consumes the same random numbers as ``connect`` (so the weights and
        delays drawn next are the same too) and keeps the same synapses, in
        the same order: one MPI rank's incoming synapses of the network that
        one process builds. This default draws every synapse, then keeps a
        part; rules that can draw in blocks keep less memory.

        Returns
        -------
        i, j : ndarray of int64
            The kept pairs.
        positions : ndarray of int64
            Their positions in ``connect``'s output.
        n_total : int
            The number of pairs ``connect`` makes.
        checksum : int
            The sum of ``i * n_post + j`` over all pairs, modulo 2**64: the same
            on every rank, for the ranks' agreement check.
        """
        i, j = self.connect(n_pre, n_post, rng, self_pre)
        positions = np.flatnonzero(keep[j])
        return i[positions], j[positions], positions, i.size, _checksum(i * n_post + j)


def _checksum(flat):
    return int(flat.astype(np.uint64).sum(dtype=np.uint64))


def _check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r} must be True or False")
    return bool(value)


def _drop_autapses(i, j, self_pre):
    keep = self_pre[j] != i
    return i[keep], j[keep]


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

    def connect(self, n_pre, n_post, rng, self_pre):
        i = np.repeat(np.arange(n_pre, dtype=np.int64), n_post)
        j = np.tile(np.arange(n_post, dtype=np.int64), n_pre)
        return (i, j) if self.allow_autapses else _drop_autapses(i, j, self_pre)


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

    def connect(self, n_pre, n_post, rng, self_pre):
        if n_pre != n_post:
            raise ValueError(f"OneToOne needs groups of equal size; got n_pre={n_pre}, "
                             f"n_post={n_post}")
        k = np.arange(n_pre, dtype=np.int64)
        return k, k.copy()


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
    Drawn by geometric skipping over the ``n_pre * n_post`` pairs, so the cost
    grows with the number of synapses, not of pairs.

    Examples
    --------
    >>> import neurosim as ns
    >>> cells = ns.NeuronGroup(1000, ns.McCullochPitts())
    >>> syn = ns.Synapses(cells, cells, kind="excitatory", weight=1,
    ...                   connect=ns.FixedProbability(0.02))
    >>> ns.Network(cells, syn).build(seed=0)
    >>> syn.n_synapses                  # about 0.02 * 1000 * 1000
    20291
    """

    def __init__(self, p, allow_autapses=True):
        self.p = check_probability("p", p)
        self.allow_autapses = _check_bool("allow_autapses", allow_autapses)

    def expected_count(self, n_pre, n_post):
        return int(self.p * n_pre * n_post)

    def connect(self, n_pre, n_post, rng, self_pre):
        total = n_pre * n_post
        if self.p == 0.0 or total == 0:
            flat = np.zeros(0, dtype=np.int64)
        elif self.p == 1.0:
            flat = np.arange(total, dtype=np.int64)
        else:
            parts, last = [], -1
            mean = self.p * total
            while last < total:
                size = int(mean + 5 * np.sqrt(mean) + 100)
                pos = last + np.cumsum(rng.geometric(self.p, size).astype(np.int64))
                parts.append(pos[pos < total])
                last = pos[-1]
            flat = np.concatenate(parts)
        i, j = np.divmod(flat, n_post)
        return (i, j) if self.allow_autapses else _drop_autapses(i, j, self_pre)

    def _connect_local(self, n_pre, n_post, rng, self_pre, keep):
        """As ``_Rule._connect_local``, drawing the skips in blocks of a million, so
        that a rank holds its own part and one block, never all the pairs."""
        if self.p in (0.0, 1.0):
            return super()._connect_local(n_pre, n_post, rng, self_pre, keep)
        total = n_pre * n_post
        parts, n_total, checksum, last = [], 0, 0, -1
        mean = self.p * total
        while last < total:
            # as many draws as connect makes in one go, so that the generator ends in
            # the same state (geometric draws in blocks equal one draw of them all)
            size = int(mean + 5 * np.sqrt(mean) + 100)
            for lo in range(0, size, 1 << 20):
                skips = rng.geometric(self.p, min(1 << 20, size - lo)).astype(np.int64)
                if last >= total:
                    continue
                pos = last + np.cumsum(skips)
                last = int(pos[-1])
                flat = pos[pos < total]
                i, j = np.divmod(flat, n_post)
                if not self.allow_autapses:
                    own = self_pre[j] != i
                    flat, i, j = flat[own], i[own], j[own]
                mine = np.flatnonzero(keep[j])
                parts.append((i[mine], j[mine], n_total + mine))
                n_total += flat.size
                checksum += _checksum(flat)
        i, j, positions = (np.concatenate(x) for x in zip(*parts))
        return i, j, positions, n_total, checksum % 2 ** 64


def _distinct_rows(rng, n_rows, k, m, excluded, rule="degree"):
    """``k`` distinct values from ``range(m)`` per row, skipping ``excluded[row]`` (or -1)."""
    reduced = m - (excluded >= 0)
    if np.any(k > reduced):
        raise ValueError(f"{rule}: k={k} cannot choose {k} distinct partners from "
                         f"{int(reduced.min())} candidates; use k <= {int(reduced.min())} "
                         "or allow_multapses=True")
    if k <= m // 4:
        # rejection: draw with replacement, redraw the duplicates until none are left
        vals = (rng.random((n_rows, k)) * reduced[:, None]).astype(np.int64)
        while True:
            vals.sort(axis=1)
            dup = np.zeros(vals.shape, dtype=bool)
            dup[:, 1:] = vals[:, 1:] == vals[:, :-1]
            n_dup = int(dup.sum())
            if n_dup == 0:
                break
            rows = np.nonzero(dup)[0]
            vals[dup] = (rng.random(n_dup) * reduced[rows]).astype(np.int64)
    else:
        # dense: a random permutation per row, in blocks that fit in memory
        vals = np.empty((n_rows, k), dtype=np.int64)
        block = max(1, 10_000_000 // max(m, 1))
        for lo in range(0, n_rows, block):
            keys = rng.random((min(block, n_rows - lo), m))
            idx = np.arange(lo, lo + keys.shape[0])
            rows = np.nonzero(excluded[idx] >= 0)[0]
            keys[rows, excluded[idx][rows]] = np.inf    # the excluded one sorts last
            vals[lo:lo + keys.shape[0]] = np.argsort(keys, axis=1)[:, :k]
        return np.sort(vals, axis=1)
    # map the reduced range back around the excluded value
    vals += (excluded[:, None] >= 0) & (vals >= excluded[:, None])
    return vals


def _degree_rows(rng, n_rows, k, m, excluded, allow_multapses, rule="degree"):
    if allow_multapses:
        reduced = m - (excluded >= 0)
        if np.any(reduced < 1) and k > 0:
            raise ValueError(f"{rule}: k={k} but no candidate partner is left once autapses "
                             "are excluded; use allow_autapses=True or k=0")
        vals = (rng.random((n_rows, k)) * reduced[:, None]).astype(np.int64)
        vals += (excluded[:, None] >= 0) & (vals >= excluded[:, None])
        return np.sort(vals, axis=1)
    return _distinct_rows(rng, n_rows, k, m, excluded, rule)


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

    def connect(self, n_pre, n_post, rng, self_pre):
        excluded = np.full(n_post, -1, dtype=np.int64) if self.allow_autapses else self_pre
        i = _degree_rows(rng, n_post, self.k, n_pre, excluded, self.allow_multapses,
                         "FixedIndegree")
        j = np.repeat(np.arange(n_post, dtype=np.int64), self.k)
        return i.ravel(), j


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

    def connect(self, n_pre, n_post, rng, self_pre):
        excluded = np.full(n_pre, -1, dtype=np.int64)
        if not self.allow_autapses:
            js = np.nonzero(self_pre >= 0)[0]
            excluded[self_pre[js]] = js
        j = _degree_rows(rng, n_pre, self.k, n_post, excluded, self.allow_multapses,
                         "FixedOutdegree")
        i = np.repeat(np.arange(n_pre, dtype=np.int64), self.k)
        return i, j.ravel()


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

    def connect(self, n_pre, n_post, rng, self_pre):
        total = n_pre * n_post
        n_self = int((self_pre >= 0).sum()) if not self.allow_autapses else 0
        if not self.allow_multapses and self.n > total - n_self:
            raise ValueError(f"FixedTotalNumber(n={self.n}) without multapses needs n <= "
                             f"{total - n_self}, the number of distinct pairs")
        if self.n > 0 and total - n_self <= 0:
            raise ValueError(f"FixedTotalNumber(n={self.n}) has no pair to draw from: all "
                             f"{total} pairs are autapses; use allow_autapses=True or n=0")
        flat = np.zeros(0, dtype=np.int64)
        while flat.size < self.n:
            need = self.n - flat.size
            new = rng.integers(0, total, size=need + need // 10 + 16)
            i, j = np.divmod(new, n_post)
            if not self.allow_autapses:
                new = new[self_pre[j] != i]
            flat = np.concatenate([flat, new])
            if not self.allow_multapses:
                _, first = np.unique(flat, return_index=True)
                flat = flat[np.sort(first)]
            flat = flat[:self.n]
        return np.divmod(flat, n_post)


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

    def connect(self, n_pre, n_post, rng, self_pre):
        for name, arr, n in (("i", self.i, n_pre), ("j", self.j, n_post)):
            if arr.size and (arr.min() < 0 or arr.max() >= n):
                bad = arr[(arr < 0) | (arr >= n)][0]
                raise IndexError(f"connect {name} contains {bad}, out of range; allowed "
                                 f"0..{n - 1}")
        return self.i.astype(np.int64), self.j.astype(np.int64)
