"""The weights of the stored static synapses: one per synapse, or shared.

Where every stored static projection of a network has one constant weight (a scalar
``weight=``, as in the CUBA, COBA and Brunel networks), the distinct weights of the
network are few: the CSR arrays then keep a table of them (``weight``, int64 fixed
point, at most 256 entries) and a uint8 code per synapse (``weight_code``) instead of
an int64 weight per synapse, 1 byte a synapse instead of 8. Otherwise ``weight`` holds
one weight per synapse and ``weight_code`` is empty. The engines read a synapse's
weight through ``kernels.propagate.synapse_weight``; everything else goes through
this module, so that both forms give the same per-synapse weights.

Setting weights after the build (``Synapses.weight = ...``) keeps the shared form while
the network's distinct weights fit in the table, and else turns the network's weights
into one per synapse (the memory that a network built with such weights would have
taken).
"""
import numpy as np
from numba import njit, prange

__all__ = ["TABLE_SIZE", "shared_table", "mark_rows", "subset", "fixed_weights", "set_fixed",
           "restore", "check_saved"]

TABLE_SIZE = 256                    # what a uint8 code can name
_NO_CODE = np.zeros(0, dtype=np.uint8)


def shared_table(constants):
    """The table of shared weights (int64 fixed point, sorted) for the stored static
    projections of a network whose constant weights are ``constants``
    (``_build_keyed.constant_weight``: None for a projection whose weights are not one
    constant), or None when one is None or there are more than ``TABLE_SIZE``."""
    values = set(constants)
    if not values or None in values or len(values) > TABLE_SIZE:
        return None
    return np.array(sorted(values), dtype=np.int64)


@njit(cache=True, parallel=True)
def mark_rows(weight_code, row_start, row_count, code):
    """Write ``code`` at the places of one projection's synapses: source ``s``'s from
    ``row_start[s]``, ``row_count[s]`` of them."""
    for s in prange(row_start.size):
        for q in range(row_start[s], row_start[s] + row_count[s]):
            weight_code[q] = code


def subset(syn, positions):
    """``weight`` and ``weight_code`` of the synapses at ``positions`` (a rank's or a
    thread's), for ``kernels.simulate.Synapses._replace``: the table stays whole."""
    if syn.weight_code.size:
        return dict(weight=syn.weight, weight_code=syn.weight_code[positions])
    return dict(weight=syn.weight[positions], weight_code=_NO_CODE)


def fixed_weights(weight, weight_code, positions=None):
    """The fixed-point weights (int64) of the synapses at ``positions`` (all if None),
    from the CSR arrays' ``weight`` and ``weight_code``."""
    if weight_code.size:
        return weight[weight_code if positions is None else weight_code[positions]]
    return weight if positions is None else weight[positions]


def set_fixed(arrays, positions, new):
    """Give the synapses at ``positions`` the fixed-point weights ``new``; returns a
    function that undoes it.

    Shared weights stay shared while the network's distinct weights in use fit in the
    table: new values are appended (no other code changes) while there is room, and a
    full table is rebuilt from the values still in use (a sweep over weights keeps two
    entries, not one per value tried); else every weight of the network becomes its
    own (a new ``arrays.synapses``)."""
    syn = arrays.synapses
    if not syn.weight_code.size:
        old = syn.weight[positions]
        syn.weight[positions] = new

        def undo():
            syn.weight[positions] = old
        return undo
    new = np.broadcast_to(np.asarray(new, dtype=np.int64), np.shape(positions))
    values = np.unique(new)
    table = np.concatenate([syn.weight, values[~np.isin(values, syn.weight)]])
    if table.size <= TABLE_SIZE:
        old = syn.weight_code[positions]
        syn.weight_code[positions] = _codes(table, new)
        arrays.synapses = syn._replace(weight=table)

        def undo():
            syn.weight_code[positions] = old
            arrays.synapses = syn
        return undo
    # codes still in use elsewhere, then a new table of those and the new values
    in_use = np.bincount(syn.weight_code, minlength=syn.weight.size)
    in_use -= np.bincount(syn.weight_code[positions], minlength=syn.weight.size)
    table = np.union1d(syn.weight[in_use > 0], values)
    if table.size <= TABLE_SIZE:
        code = _codes(table, syn.weight).astype(np.uint8)[syn.weight_code]
        code[positions] = _codes(table, new)
        arrays.synapses = syn._replace(weight=table, weight_code=code)
    else:
        full = syn.weight[syn.weight_code]
        full[positions] = new
        arrays.synapses = syn._replace(weight=full, weight_code=_NO_CODE)

    def undo():
        arrays.synapses = syn
    return undo


def _codes(table, values):
    """The index in ``table`` (any order) of each of ``values``; a value that is not in
    it gets some index (the build of a table uses that only for codes no synapse keeps)."""
    order = np.argsort(table, kind="stable")
    at = np.minimum(np.searchsorted(table[order], values), table.size - 1)
    return order[at]


def restore(arrays, weight, weight_code):
    """Put back the weights of a snapshot (``weight``, ``weight_code``: either form)."""
    arrays.synapses = arrays.synapses._replace(weight=weight.copy(),
                                               weight_code=weight_code.copy())


def check_saved(weight, weight_code, n_synapses, where, error=ValueError):
    """Raise ``error`` unless ``weight``, ``weight_code`` are weights of ``n_synapses``
    synapses in one of the two forms (``where``: the file, for the message)."""
    if weight_code.size == 0:
        if weight.shape != (n_synapses,):
            raise error(f"{where}: weight has shape {weight.shape}; the network has "
                             f"{n_synapses} stored synapses")
        return
    if weight_code.shape != (n_synapses,) or weight_code.dtype != np.uint8 \
            or not 0 < weight.size <= TABLE_SIZE or int(weight_code.max()) >= weight.size:
        raise error(f"{where}: weight_code of shape {weight_code.shape} ({weight_code.dtype})"
                         f" does not name one of the {weight.size} shared weights for each of "
                         f"the network's {n_synapses} stored synapses")
