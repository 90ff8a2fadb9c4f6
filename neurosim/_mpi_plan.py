"""How a network is split over MPI ranks: placement, each rank's part, and the checks
that the ranks agree (the plan a rank keeps between runs).

* neurons (and Poisson/generator sources) are placed on ranks by
  ``Network(..., placement=...)``: ``"population"`` (default) gives each rank a
  contiguous block of the global numbering, with cuts moved onto group
  boundaries nearby, so populations stay together; ``"round_robin"`` deals
  neuron ``k`` to rank ``k mod K``, as NEST does (``owners``);
* every rank builds the neurons of the whole network but only the synapses
  whose *target* it owns (``Network.build`` asks ``local_neurons``): the rows of
  every projection are keyed by (seed, projection, row) (``_build_keyed``), so a
  rank draws them as one process does and keeps its targets' synapses as it goes,
  never the whole projection at once (``FixedIndegree`` and ``FixedTotalNumber``
  included), and no connectivity travels; the memory for synapses per rank falls
  as 1/K. Every rank also draws every row once more, keeping nothing, for the
  statistics of the whole projection (size, checksums of pairs, weights and
  delays, delay range) that the ranks compare; ``Synapses.i``, ``j``, ``weight``
  and ``delay`` hold the rank's part. A procedural projection holds nothing:
  every rank draws a firing source's row again and adds the synapses onto its
  own neurons (``kernels.procedural``);
* before each run the ranks compare a fingerprint of the network they built
  and the run they were asked for (``_check_agreement``), and the minimum
  delay is checked (``_check_min_delay``): a network whose minimum delay is
  below one step, or ranks that built different networks or asked for
  different runs, raise the same ``DistributedError`` on every rank.

The public names are re-exported by ``neurosim.mpi``.
"""
import hashlib

import numpy as np

from ._weights import subset

PLACEMENTS = ("population", "round_robin")


class DistributedError(RuntimeError):
    """Raised identically on every rank: the ranks disagree, or the network cannot be split."""

    all_ranks = True
    __module__ = "neurosim.mpi"     # its public home (tracebacks, pickling)


def check_placement(placement):
    """``placement`` if it is one of :data:`PLACEMENTS`, else a ValueError."""
    if placement not in PLACEMENTS:
        raise ValueError(f"placement={placement!r} is not one of {PLACEMENTS}: 'population' "
                         "keeps populations together on a rank, 'round_robin' deals neuron k "
                         "to rank k mod the number of ranks")
    return placement


# --------------------------------------------------------------------- placement
def _cuts(n, size, boundaries):
    """``size + 1`` cut points of ``[0, n)`` into near-equal blocks, each cut moved onto
    a group boundary when one lies within an eighth of a block."""
    boundaries = np.unique(np.asarray(boundaries, dtype=np.int64))
    cuts = [0]
    for r in range(1, size):
        c = int(round(r * n / size))
        if boundaries.size:
            b = boundaries[np.argmin(np.abs(boundaries - c))]
            if abs(b - c) <= n / (8 * size):
                c = int(b)
        cuts.append(max(c, cuts[-1]))
    cuts.append(n)
    return np.array(cuts, dtype=np.int64)


def owners(net, size, placement):
    """Rank of every neuron and source (global numbering), as an int64 array.

    It depends only on the sizes of the groups, so a rank knows it before it
    builds anything (and builds the incoming synapses of its own neurons only).
    """
    offsets = net._offsets()
    n = sum(g.n for g in net.groups)
    n_src = sum(s.n for s in net.sources)
    if placement == "round_robin":
        return np.concatenate([np.arange(n) % size, np.arange(n_src) % size]).astype(np.int64)
    seg_lo = np.array([offsets[id(g)] for g in net.groups], np.int64)
    seg_hi = seg_lo + np.array([g.n for g in net.groups], np.int64)
    cut_n = _cuts(n, size, np.concatenate([seg_lo, seg_hi]))
    src_bounds = [offsets[id(s)] - n for s in net.sources] + [n_src]
    cut_s = _cuts(n_src, size, src_bounds)
    own_n = np.searchsorted(cut_n[1:-1], np.arange(n), side="right")
    own_s = np.searchsorted(cut_s[1:-1], np.arange(n_src), side="right")
    return np.concatenate([own_n, own_s]).astype(np.int64)


def local_neurons(net, comm):
    """At build: which neurons this rank owns (bool per neuron), None without MPI.

    ``comm`` is the run's communicator (None without MPI). The network then builds
    only their incoming synapses; ``net._mpi_part`` remembers for which rank,
    number of ranks and placement."""
    if comm is None:
        net._mpi_part = None
        return None
    net._mpi_part = (comm.rank, comm.size, net.placement)
    n = sum(g.n for g in net.groups)
    return owners(net, comm.size, net.placement)[:n] == comm.rank


def _local(net, owner, rank, size, placement):
    from .kernels.simulate_mpi import Local
    a = net._arrays
    n, nr = a.n, a.neurons
    mine = np.flatnonzero(owner[:n] == rank)
    lo, hi, stride, seg = [], [], [], []
    for g in range(nr.seg_lo.size):
        s_lo, s_hi = int(nr.seg_lo[g]), int(nr.seg_hi[g])
        if placement == "round_robin":
            first = s_lo + (rank - s_lo) % size
            piece = (first, s_hi, size)
        else:
            inside = mine[(mine >= s_lo) & (mine < s_hi)]
            piece = (int(inside[0]), int(inside[-1]) + 1, 1) if inside.size else (0, 0, 1)
        if piece[0] < piece[1]:
            lo.append(piece[0])
            hi.append(piece[1])
            stride.append(piece[2])
            seg.append(g)
    is_local = (owner == rank).astype(np.uint8)
    scan = (int(mine[0]) // 8, int(mine[-1]) // 8 + 1) if mine.size else (0, 0)
    return Local(piece_lo=np.array(lo, np.int64), piece_hi=np.array(hi, np.int64),
                 piece_stride=np.array(stride, np.int64), piece_seg=np.array(seg, np.int64),
                 is_local=is_local, sources=np.flatnonzero(owner[n:] == rank) + n,
                 scan_lo=np.int64(scan[0]), scan_hi=np.int64(scan[1]))


def _local_synapses(syn, is_local_neuron, n):
    """The synapses whose target is local, as CSR over global sources, and their positions."""
    from .kernels.simulate import Synapses
    keep = is_local_neuron[syn.target % n].astype(bool)
    positions = np.flatnonzero(keep)
    # kept synapses before each row's start: rows of sources without synapses at the
    # end (an index equal to the length) are empty, as any other empty row
    before = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
    indptr = before[syn.indptr].astype(syn.indptr.dtype)
    return Synapses(indptr=indptr, target=syn.target[positions], delay=syn.delay[positions],
                    **subset(syn, positions)), positions


# --------------------------------------------------------------- agreement checks
def _digest(*arrays):
    h = hashlib.blake2b(digest_size=12)
    for x in arrays:
        x = np.ascontiguousarray(x)
        h.update(str((x.dtype.str, x.shape)).encode())
        h.update(x.tobytes())
    return h.hexdigest()


def fingerprint(net):
    """A digest of the built network: sizes, parameters, initial state, connectivity.

    Connectivity enters through each projection's storage and summary (number of
    synapses, checksums of the pairs, weights and delays of the whole projection),
    which every rank computes alike although it keeps only its own part (a
    procedural projection's none)."""
    a = net._arrays
    nr, src = a.neurons, a.sources
    parts = [np.array([a.n, src.p_fire.size, nr.buffer.shape[0], net._build_seed], np.int64),
             np.array([net.dt]), np.array([str(net.dtype)]),
             nr.seg_lo, nr.seg_hi, nr.seg_code, nr.seg_prm, src.gen_step, src.gen_source,
             a.recorders.mask, a.recorders.st_idx,
             np.array([repr((s.storage, tuple(s._summary))) for s in net.synapses] + [""])]
    parts += list(a.drives) + list(a.currents)
    return _digest(*parts)


def _summary(net):
    a = net._arrays
    n_syn = sum(s._summary.n_synapses for s in net.synapses)
    return (f"{a.n} neurons, {a.sources.p_fire.size} sources, {n_syn} "
            f"synapses, seed {net._build_seed}, dt {net.dt * 1e3:g} ms")


def _uniform_weights(net):
    """Per projection, its weight if all of this rank's synapses of it have one weight
    (as after ``syn.weight = value``), else None: comparable between ranks, which
    hold different synapses."""
    out = []
    for s in net.synapses:
        w = s._weight_si
        if w is None:       # procedural: no weights kept, none changed
            out.append(None)
            continue
        # two or more: a rank's single synapse of drawn weights proves nothing
        out.append(float(w[0]) if w.size > 1 and w.min() == w.max() else None)
    return out


def _check_agreement(comm, net, fp, n_steps, placement):
    a = net._arrays
    mine = {"network": (fp, _summary(net)),
            "run": (net.t_step, n_steps, net.seed, placement, int(a.counters[0])),
            "changed parameters": _digest(a.sources.p_fire, a.neurons.i_bias,
                                          a.neurons.seg_prm)}
    weights = comm.allgather(_uniform_weights(net))
    for k in range(len(net.synapses)):
        values = {w[k] for w in weights} - {None}
        if len(values) > 1:
            raise DistributedError(
                f"the MPI ranks disagree about the changed parameters: the weights of "
                f"{net.synapses[k].name} differ between ranks ({sorted(values)}, in the "
                "target model's weight unit). Every rank must change them in the same way")
    everyone = comm.allgather(mine)
    for key in mine:
        values = [e[key] for e in everyone]
        if any(v != values[0] for v in values):
            shown = "; ".join(f"rank {r}: {v[1] if key == 'network' else v}"
                              for r, v in enumerate(values))
            raise DistributedError(
                f"the MPI ranks disagree about the {key} ({shown}). Every rank must build "
                "the same network from the same script and seed (pass seed= explicitly), "
                "change it in the same way and call run() with the same arguments")


def min_delay_steps(net):
    """The shortest synaptic delay in steps (None without synapses), of the whole
    network: the same on every rank, which holds only its neurons' synapses."""
    shortest = [s._summary.min_delay_steps for s in net.synapses
                if s._summary.min_delay_steps is not None]
    # dopamine travels from its source to reward-modulated synapses with a delay too
    shortest += [s._rules[1]._delay_steps(net.dt) for s in net.synapses
                 if getattr(s._rules[1], "dopamine_source", None) is not None]
    return min(shortest) if shortest else None


def _check_min_delay(net, size):
    d = min_delay_steps(net)
    if d is not None and d < 1:
        zero = [s.name for s in net.synapses
                if s._summary.min_delay_steps is not None and s._summary.min_delay_steps < 1]
        raise DistributedError(
            f"min delay = 0 steps: the network cannot be split over {size} MPI ranks, which "
            "exchange spikes once per minimum delay and so need every delay to be at least "
            f"one step (dt = {net.dt * 1e3:g} ms). Synapses with delay 0: {', '.join(zero)}; "
            f"give them delay >= {net.dt * 1e3:g} ms, or run in one process")
    return d


# ----------------------------------------------------------------- the plan
class _Plan:
    """What a rank keeps between runs of one built network."""

    def __init__(self, net, comm, placement, fp):
        a = net._arrays
        self.key = (id(a), comm.size, placement)
        self.owner = owners(net, comm.size, placement)
        self.local = _local(net, self.owner, comm.rank, comm.size, placement)
        self.neuron_mask = self.local.is_local[:a.n].astype(bool)
        part = getattr(net, "_mpi_part", None)
        if part == (comm.rank, comm.size, placement):
            self.positions = None           # built as this rank's part: all its own
        elif part is None:                  # built whole (one process): keep a part
            self.synapses, self.positions = _local_synapses(a.synapses, self.neuron_mask, a.n)
        else:
            raise DistributedError(
                f"placement={placement!r}, but the network was built for "
                f"placement={part[2]!r}, and each rank holds only the synapses of the "
                "neurons that placement gave it; set placement before the first run "
                "(Network(..., placement=...)) and keep it")
        self.fingerprint = fp
        self.n_local = int(self.neuron_mask.sum()) + self.local.sources.size

