"""Snapshots of a whole network: what ``Network.store`` keeps and ``restore`` puts back."""
import warnings

import numpy as np

from .inputs import CurrentInput, PoissonGroup
from ._build_plastic import neuron_traces_from_synapses
from .kernels.plasticity import LEARNING
from ._weights import fixed_weights, restore as restore_weights

__all__ = ["take_snapshot", "apply_snapshot", "upgrade_plastic", "changeable", "warn_replaced",
           "CheckpointWarning"]

# the state arrays a snapshot copies (the rest is fixed once built)
MUTABLE_NEURON_FIELDS = ("v", "ge", "gi", "ref", "aux", "i_bias", "i_ext", "spiked", "buffer")
# ... and of the plastic synapses (prm: the rules' parameters, learning switched on or off)
MUTABLE_PLASTIC_FIELDS = ("w", "trace", "last", "queue", "queue_n", "prm", "dopamine",
                          "dopamine_due", "dopamine_integral", "window", "x_pre", "x_post",
                          "epoch")


def take_snapshot(net):
    """The whole state of a built network, as a dict of copies."""
    a = net._arrays
    return {
        "t_step": net.t_step, "seed": net.seed,
        "neurons": {f: getattr(a.neurons, f).copy() for f in MUTABLE_NEURON_FIELDS},
        "plastic": {f: getattr(a.plastic, f).copy() for f in MUTABLE_PLASTIC_FIELDS},
        "p_fire": a.sources.p_fire.copy(), "weight": a.synapses.weight.copy(),
        "weight_code": a.synapses.weight_code.copy(),
        "counters": a.counters.copy(),
        "monitors": [m._snapshot() for m in net.monitors],
        # the user-facing copies of what can change between runs
        "parameters": [(obj, attr, getattr(obj, attr).copy()) for obj, attr in changeable(net)]}


def apply_snapshot(net, saved):
    """Put ``net`` back into the state ``saved`` (from :func:`take_snapshot` or a file)."""
    a = net._arrays
    for f, arr in saved["neurons"].items():
        getattr(a.neurons, f)[...] = arr
    for f, arr in saved["plastic"].items():
        getattr(a.plastic, f)[...] = arr
    for s in net.synapses:
        if s._rules[1] is not None:
            s._learning = bool(a.plastic.prm[s._rule_row, LEARNING])
    a.sources.p_fire[:] = saved["p_fire"]
    restore_weights(a, saved["weight"], saved["weight_code"])
    a.counters[:] = saved["counters"]
    net.t_step, net.seed = saved["t_step"], saved["seed"]
    for m, snap in zip(net.monitors, saved["monitors"]):
        m._restore(snap)
    for obj, attr, value in saved["parameters"]:
        setattr(obj, attr, value.copy())


def changeable(net):
    """``(object, attribute)`` of every parameter that can change between runs."""
    return ([(s, "_rates") for s in net.sources if isinstance(s, PoissonGroup)]
            + [(c, "_amplitude") for c in net.inputs if isinstance(c, CurrentInput)]
            + [(s, "_weight_si") for s in net.synapses if s.storage != "procedural"])


def warn_replaced(net, saved):
    """Warn when a checkpoint file replaces parameters that the script set otherwise
    (a weight edited in the script is otherwise silently taken from the file)."""
    a = net._arrays
    differ = []
    for obj, attr, value in saved["parameters"]:
        now = getattr(obj, attr)
        if now is not None and np.shape(now) == np.shape(value) and not np.array_equal(now, value):
            k = int(np.argmax(np.asarray(now) != np.asarray(value)))
            what = {"_rates": "rates", "_amplitude": "amplitude", "_weight_si": "weight"}[attr]
            differ.append(f"{getattr(obj, 'name', type(obj).__name__)}.{what} (e.g. "
                          f"{np.ravel(value)[k]:g} in the file, {np.ravel(now)[k]:g} in the "
                          "script, SI units)")
    if not differ and not np.array_equal(
            fixed_weights(saved["weight"], saved["weight_code"]),
            fixed_weights(a.synapses.weight, a.synapses.weight_code)):
        differ.append("synaptic weights")
    if differ:
        warnings.warn("restore(filename=...) replaces values that differ in this script with "
                      "the checkpoint's: " + "; ".join(differ) + ". Set them again after "
                      "restore() to use the script's.", CheckpointWarning, stacklevel=3)


class CheckpointWarning(UserWarning):
    """A checkpoint restored values that differ from those the script set.

    Issued by :meth:`Network.restore` with ``filename=``: the file's weights,
    rates and currents replace the script's, and the warning lists where they
    differ. Set them again after ``restore()`` to use the script's.

    Examples
    --------
    >>> import os, tempfile, warnings
    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV, Hz
    >>> def network(weight):
    ...     noise = ns.PoissonGroup(5, 50*Hz, name="noise")
    ...     cells = ns.NeuronGroup(5, ns.LIF(10*ms, -70*mV, -70*mV, -50*mV), name="cells")
    ...     syn = ns.Synapses(noise, cells, kind="excitatory", weight=weight, name="syn",
    ...                       connect=ns.OneToOne())
    ...     net = ns.Network(noise, cells, syn)
    ...     net.build(dt=0.1*ms, seed=1)
    ...     return net
    >>> path = os.path.join(tempfile.mkdtemp(), "state.npz")
    >>> network(1.62*mV).store(filename=path)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     network(2*mV).restore(filename=path)    # the script now says 2 mV
    >>> caught[0].category.__name__
    'CheckpointWarning'
    """


def upgrade_plastic(plastic, version, pl, step):
    """The plastic synapses' arrays of a checkpoint of format ``version`` (read from
    the file, changed in place) in today's form, for plastic synapses ``pl`` restored at
    ``step``: the rule rows grew in version 3; version 4 keeps the traces of pair and
    triplet rules with one delay per neuron, made here from the file's per-synapse
    traces."""
    if version == 2 and "prm" in plastic:
        old = plastic["prm"]
        plastic["prm"] = np.zeros((old.shape[0], pl.prm.shape[1]))
        plastic["prm"][:, :old.shape[1]] = old
    if version in (2, 3) and "trace" in plastic:
        plastic.update(neuron_traces_from_synapses(pl, plastic["trace"], plastic["last"], step))
