"""State access of a built network: read and set state variables, rates, currents,
model parameters and weights between runs."""
import numpy as np

from ._build import _group_at
from ._fixed_point import check_input_bound, to_fixed as _to_fixed
from .groups import NeuronGroup, _Population
from .kernels.plasticity_numpy import catch_up_numpy, sample_plastic_numpy
from ._weights import set_fixed

__all__ = ["state_slot", "set_rates", "set_bias", "set_model", "set_weights"]


def state_slot(net, group, variable):
    """The state array of ``variable`` of ``group``, the group's first index in it,
    and the variable's unit."""
    if not isinstance(group, _Population) or not isinstance(group.root, NeuronGroup):
        raise TypeError(f"group={group!r} must be a neuron group or a slice of one")
    known = group.model.state_variables
    if variable not in known:
        raise ValueError(f"variable={variable!r} is not a state variable of "
                         f"{type(group.model).__name__}; it has {sorted(known)}")
    nr = net._built().neurons
    slot, unit, _ = group.model.variable(variable)
    lo = net._global(group)
    return ([nr.v, nr.ge, nr.gi] + list(nr.aux))[slot], lo, unit


def set_rates(net, group, p_fire):
    """Firing probabilities per step of the sources of ``group``."""
    a = net._built()
    lo = net._global(group) - a.n
    a.sources.p_fire[lo:lo + group.n] = p_fire


def set_bias(net, target, old, new):
    """A constant current of ``target`` changed from ``old`` to ``new``."""
    nr = net._built().neurons
    lo = net._global(target)
    nr.i_bias[lo:lo + target.n] += new - old
    nr.i_ext[:] = nr.i_bias


def set_model(net, group, model):
    """New parameters of ``group``'s model, of the same kind (no recompilation)."""
    old = group.model
    if type(model) is not type(old) or model.kernel is not old.kernel:
        raise ValueError(f"model={model!r}: a built group can only switch to a model of the "
                         f"same kind and synapse type as {old!r}")
    if model.heterogeneous or old.heterogeneous:
        raise ValueError(f"model={model!r}: a group with parameters per neuron "
                         f"({sorted(set(model.heterogeneous) | set(old.heterogeneous))}) "
                         "keeps them once built; build a new network to change them")
    nr = net._built().neurons
    lo = net._global(group)
    k = int(np.searchsorted(nr.seg_lo, lo))      # the group's one segment
    row = model.params(net.dt)
    nr.seg_prm[k, :row.size] = row


def plastic_weights(net, synapses):
    """The weights of a plastic projection now (reward-modulated ones integrated to the
    current step: they are stored as of their last update)."""
    pl = net._built().plastic
    q = synapses._positions
    return sample_plastic_numpy(np.zeros(q.size, np.int64), q, net.t_step, pl)


def set_weights(net, synapses, weights):
    """New weights of a projection, refused (and undone) if input could overflow."""
    a = net._built()
    q = synapses._positions
    if synapses.plasticity is not None:     # plastic weights: floats, apart from the CSR
        # reward-modulated weights first brought to now: the new ones start from here
        catch_up_numpy(a.plastic, q, net.t_step)
        old = a.plastic.w[q]
        a.plastic.w[q] = weights

        def undo():
            a.plastic.w[q] = old
    else:
        undo = set_fixed(a, q, _to_fixed(weights))
    try:
        check_input_bound(a.synapses, a.drives, a.n, lambda k: _group_at(net, a.offsets, k),
                          a.plastic, getattr(a, "procedural_bound", None))
    except OverflowError:
        undo()
        raise
