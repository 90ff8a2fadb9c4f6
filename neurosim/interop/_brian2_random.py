"""The random input of an exported network: neurosim's draws replayed, or Brian2's own.

With ``poisson='realised'`` (the default of
:func:`~neurosim.interop.brian2.to_brian2`) every random number neurosim draws
is drawn again here, from its counter-based generator
(:func:`neurosim.kernels._rng.uniform_numpy`) with the network's seed, so that
both simulators see the same input and can agree spike for spike:

``PoissonGroup``
    A ``SpikeGeneratorGroup`` holding the spikes neurosim's counter-based
    generator gives for the network's seed (drawn block by block,
    ``kernels.poisson_sources.firing_numpy``), generated for each run
    (:func:`_realise_poisson`).
``PoissonInput``
    A network operation in the ``synapses`` slot that adds, to each target, the
    realised count of external spikes (neurosim's generator, see
    ``kernels.simulate._poisson_drives``) times the weight
    (:func:`_realised_drives`).
Asynchronous ``McCullochPitts`` units
    A network operation in the ``groups`` slot, before the update, that draws
    which units update in this step (:func:`_async_updates`).

With ``poisson='brian2'``, Poisson groups and drives become Brian2's own
``PoissonGroup`` and ``PoissonInput`` with Brian2's random numbers
(:func:`_native_drive`), for statistical comparisons; asynchronous update
decisions are replayed in both modes.

The draws are made from the export's ``seed`` (the network's, which
``Network.reseed`` may change) and Brian2's clock at the moment they are used.
"""
import brian2 as b2
import numpy as np

from ..kernels import _layout as L
from ..kernels._rng import keyed_bits_numpy, uniform_numpy
from ..kernels.poisson import poisson_count_numpy
from ..kernels.poisson_sources import BLOCK, block_bounds, firing_numpy, update_thresholds


def _async_updates(export, bg, gidx, p):
    """The network operation that draws asynchronous McCulloch-Pitts updates.

    Parameters
    ----------
    export : Brian2Export
        The export, whose seed and clock the draws use.
    bg : brian2.NeuronGroup
        The Brian2 group of the units; its variable ``upd`` receives the decisions.
    gidx : ndarray of int
        Global indices of the units (the counters of neurosim's generator).
    p : float
        Probability that a unit updates in a step.

    Returns
    -------
    callable
        Sets ``upd`` to 1 for the units that update in the current step, 0 for
        the others.
    """
    upd = bg.variables["upd"]

    def draw():
        u = uniform_numpy(export.seed, L.STREAM_MP_UPDATE, export._step(), gidx)
        upd.get_value()[:] = (u < p).astype(float)
    return draw


def _realise_poisson(export, first, n_steps):
    """Give each Poisson group the spikes neurosim's generator draws in these steps.

    Parameters
    ----------
    export : Brian2Export
        The export, with its ``(PoissonGroup, brian2.SpikeGeneratorGroup)`` pairs.
    first : int
        First step of the run.
    n_steps : int
        Steps in the run.
    """
    for src, bs in export._poisson:
        p = np.broadcast_to(src.firing_probability(export.dt), (src.n,)).astype(float)
        block_lo = block_bounds([(0, src.n)], src.n)
        thresholds = np.zeros((block_lo.size - 1, BLOCK + 1), np.int64)
        update_thresholds(p, block_lo, thresholds)
        none = np.zeros(src.n, bool)
        idx, steps = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
        for step in range(first, first + n_steps):
            fired = np.flatnonzero(firing_numpy(export.seed, step, export._offsets[id(src)], p,
                                                none, block_lo, thresholds))
            idx.append(fired)
            steps.append(np.full(fired.size, step, np.int64))
        idx, steps = np.concatenate(idx), np.concatenate(steps)
        bs.set_spikes(idx, steps * export.dt * b2.second)


def _realised_drives(export, drives):
    """The network operation that replays neurosim's ``PoissonInput`` counts.

    Parameters
    ----------
    export : Brian2Export
        The export, with its Brian2 groups, model specifications, seed and clock.
    drives : list of PoissonInput
        The Poisson drives of the network, in network order.

    Returns
    -------
    brian2.NetworkOperation
        Adds each drive's realised input in the ``synapses`` slot of every step.
    """
    arr = export.network._arrays.drives
    plan = []
    for k, d in enumerate(drives):
        g = d.target.root
        spec = export._specs[g]
        plan.append(dict(
            stream=L.STREAM_POISSON_INPUT + k, group=export.groups[g],
            sl=slice(d.target.start, d.target.stop), n=d.target.n,
            var=spec.input_var[d.channel], sign=-1.0 if (spec.delta and d.channel) else 1.0,
            delta=spec.delta, n_sub=int(arr.n_sub[k]), wfix=int(arr.weight[k]),
            table=(arr.t_ptr[k], arr.g_ptr[k], arr.shift[k], arr.k_lo[k], arr.thresholds,
                   arr.guide)))

    def apply_drives():
        step = export._step()
        for d in plan:
            keys = np.arange(d["n"] * d["n_sub"])
            x = keyed_bits_numpy(export.seed, d["stream"], step, keys)
            # neurosim's own counts (the numpy backend's), draw for draw
            counts = poisson_count_numpy(x, *d["table"])
            counts = counts.reshape(d["n"], d["n_sub"]).sum(axis=1)
            # the same fixed-point product neurosim adds to its buffer
            amount = (counts * d["wfix"]) * L.FIXED_UNIT
            target = d["group"].variables[d["var"]].get_value()[d["sl"]]
            hit = counts > 0
            if d["delta"]:
                free = d["group"].variables["not_refractory"].get_value()[d["sl"]]
                hit &= free.astype(bool)
            target[hit] += d["sign"] * amount[hit]

    return b2.NetworkOperation(apply_drives, clock=export.clock, when="synapses", order=1)


def _native_drive(export, d):
    """Brian2's own PoissonInput (its own random numbers) for a PoissonInput.

    Parameters
    ----------
    export : Brian2Export
        The export, with its Brian2 groups and model specifications.
    d : PoissonInput
        The neurosim drive.

    Returns
    -------
    brian2.PoissonInput
        The drive, with the weight rounded to neurosim's fixed-point grid.
    """
    g = d.target.root
    spec = export._specs[g]
    bg = export.groups[g]
    target = bg if d.target.n == g.n else bg[d.target.start:d.target.stop]
    var = spec.input_var[d.channel]
    w = float(np.rint(d.weight * L.FIXED_SCALE) * L.FIXED_UNIT)
    unit = "" if spec.weight_unit == "1" else f"*{spec.weight_unit}"
    if spec.delta:
        sign = "-" if d.channel else ""
        weight = f"{sign}{w!r}{unit}*int(not_refractory)"
    else:
        weight = f"{w!r}{unit}"
    return b2.PoissonInput(target, var, N=d.n, rate=d.rate * b2.Hz, weight=weight)
