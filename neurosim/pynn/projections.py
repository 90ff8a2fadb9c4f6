"""Projection for neurosim: connections are drawn by PyNN's connectors and kept here as
arrays (projection-local pre- and postsynaptic indices, weights in nA, uS or mV, delays
in ms, and every other parameter of the synapse type, e.g. ``U`` or ``A_plus``, one
value per connection); the neurosim network receives them as explicit synapses
(:class:`neurosim.Explicit`, one :class:`neurosim.Synapses` per pair of populations and,
for plastic synapses, per distinct set of the rule's parameters).

The weights of plastic projections (``STDPMechanism``) are read back from the neurosim
network after every run, so ``get("weight", ...)`` gives the learned ones; ``reset()``
puts back those of the start of the first run, as PyNN's ``reset`` does."""
import numpy as np
from pyNN import common, errors
from pyNN.core import is_listlike
from pyNN.space import Space

from . import simulator
from .populations import targets_of
from .standardmodels.synapses import STDPMechanism, StaticSynapse, TsodyksMarkramSynapse

__all__ = ["Projection", "Connection"]


class Connection(common.Connection):
    """One connection of a projection: its indices, weight and delay."""

    def __init__(self, projection, index):
        self.projection = projection
        self.index = index

    @property
    def presynaptic_index(self):
        return int(self.projection._pre[self.index])

    @property
    def postsynaptic_index(self):
        return int(self.projection._post[self.index])

    def _get_weight(self):
        return float(self.projection._weight[self.index])

    def _set_weight(self, w):
        self.projection._weight[self.index] = w
        simulator.state.mark_stale()

    def _get_delay(self):
        return float(self.projection._delay[self.index])

    def _set_delay(self, d):
        self.projection._delay[self.index] = self.projection._round_delay(d)
        simulator.state.mark_stale()

    weight = property(_get_weight, _set_weight)
    delay = property(_get_delay, _set_delay)

    def as_tuple(self, *attribute_names):
        return tuple(getattr(self, name) for name in attribute_names)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse

    def __init__(self, presynaptic_population, postsynaptic_population, connector,
                 synapse_type=None, source=None, receptor_type=None, space=Space(),
                 label=None):
        common.Projection.__init__(self, presynaptic_population, postsynaptic_population,
                                   connector, synapse_type, source, receptor_type, space,
                                   label)
        if not isinstance(self.synapse_type, (StaticSynapse, TsodyksMarkramSynapse,
                                              STDPMechanism)):
            raise NotImplementedError(
                "neurosim.pynn has StaticSynapse, TsodyksMarkramSynapse and STDPMechanism, "
                f"not {type(self.synapse_type).__name__}")
        if self.receptor_type not in ("excitatory", "inhibitory"):
            raise NotImplementedError(
                f"receptor_type={self.receptor_type!r}: neurosim's neurons have an "
                "'excitatory' and an 'inhibitory' receptor")
        if source not in (None, "spike", "default"):
            raise NotImplementedError(f"source={source!r}: neurosim synapses are driven "
                                             "by spikes")
        self._parts = []
        self._names = [n for n in self.synapse_type.get_parameter_names()]
        self._weights_at_start = None     # plastic weights when the first run began
        self._synced = None               # plastic weights as last read from the network
        connector.connect(self)
        self._consolidate()
        simulator.state.projections.append(self)
        simulator.state.mark_stale()

    # ----------------------------------------------------------- connecting
    def _round_delay(self, d):
        dt = simulator.state.dt
        return np.rint(np.asarray(d, dtype=float) / dt) * dt

    def _convergent_connect(self, presynaptic_indices, postsynaptic_index,
                            location_selector=None, **connection_parameters):
        if location_selector is not None:
            raise NotImplementedError("neurosim has point neurons only (no "
                                             "location_selector)")
        pre = np.asarray(presynaptic_indices, dtype=np.int64).ravel()
        n = pre.size
        values = {}
        for name in self._names:
            v = connection_parameters.get(name)
            if v is None:
                v = self.synapse_type.native_parameters[name]
                v.shape = (1,)
                v = v.evaluate(simplify=True)
            v = np.asarray(v, dtype=float)
            values[name] = np.array(np.broadcast_to(v, (n,)) if v.ndim == 0 or
                                    not is_listlike(v) else v.ravel(), dtype=float)
        values["delay"] = self._round_delay(values["delay"])
        self._parts.append((pre, np.full(n, int(postsynaptic_index), np.int64), values))

    def _consolidate(self):
        if self._parts:
            self._pre = np.concatenate([p[0] for p in self._parts])
            self._post = np.concatenate([p[1] for p in self._parts])
            self._values = {name: np.concatenate([p[2][name] for p in self._parts])
                            for name in self._names}
        else:
            self._pre = self._post = np.zeros(0, np.int64)
            self._values = {name: np.zeros(0) for name in self._names}
        self._parts = []

    @property
    def _weight(self):
        return self._values["weight"]

    @_weight.setter
    def _weight(self, w):
        self._values["weight"] = w

    @property
    def _delay(self):
        return self._values["delay"]

    @_delay.setter
    def _delay(self, d):
        self._values["delay"] = d

    @property
    def plastic(self):
        """Whether the weights learn (``STDPMechanism``)."""
        return isinstance(self.synapse_type, STDPMechanism)

    def _first_run(self):
        if self.plastic and self._weights_at_start is None:
            self._weights_at_start = self._weight.copy()

    def _reset(self):
        """PyNN's ``reset()``: the weights of the start of the first run."""
        if self._weights_at_start is not None:
            self._weight = self._weights_at_start.copy()
            self._weights_at_start = self._synced = None

    def _blocks(self):
        """``(pre population, post population, i, j, connections)`` for each pair of
        populations the projection joins; ``i``, ``j`` local to those populations,
        ``connections`` the indices of the connections in the projection."""
        pre_map = _index_map(self.pre)
        post_map = _index_map(self.post)
        pre_pop, pre_local = pre_map[0][self._pre], pre_map[1][self._pre]
        post_pop, post_local = post_map[0][self._post], post_map[1][self._post]
        pops = simulator.state.populations
        for a in np.unique(pre_pop):
            for b in np.unique(post_pop):
                m = (pre_pop == a) & (post_pop == b)
                if m.any():
                    yield pops[a], pops[b], pre_local[m], post_local[m], np.flatnonzero(m)

    # -------------------------------------------------------------- access
    def __len__(self):
        return self._pre.size

    def __getitem__(self, i):
        if not -len(self) <= i < len(self):
            raise IndexError(f"connection {i} of a projection with {len(self)}")
        return Connection(self, i % len(self))

    @property
    def connections(self):
        return (Connection(self, k) for k in range(len(self)))

    def _set_attributes(self, parameter_space):
        parameter_space.evaluate()
        for name, value in parameter_space.items():
            if name not in self._names:
                raise errors.NonExistentParameterError(name, type(self.synapse_type).__name__,
                                                       self._names)
            value = np.asarray(value, dtype=float)
            per_synapse = value[self._pre, self._post] if value.ndim == 2 else \
                np.broadcast_to(value, self._pre.shape)
            if name == "delay":
                self._delay = self._round_delay(per_synapse)
            else:
                self._values[name] = np.array(per_synapse, dtype=float)
        simulator.state.mark_stale()

    def _get_attributes_as_list(self, names):
        columns = []
        for name in names:
            columns.append({"presynaptic_index": self._pre, "postsynaptic_index": self._post,
                            **self._values}.get(name))
            if columns[-1] is None:
                raise errors.NonExistentParameterError(name, type(self.synapse_type).__name__,
                                                       self._names)
        return [tuple(row) for row in zip(*[c.tolist() for c in columns])]

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        ops = {"sum": (np.add.at, 0.0), "min": (np.minimum.at, np.inf),
               "max": (np.maximum.at, -np.inf)}
        if multiple_synapses not in ops:
            raise NotImplementedError(f"multiple_synapses={multiple_synapses!r}")
        op, start = ops[multiple_synapses]
        out = []
        for name in names:
            values = self._values.get(name)
            if values is None and name in ("weights", "delays"):
                values = self._values.get(name[:-1])
            if values is None:
                raise errors.NonExistentParameterError(name, type(self.synapse_type).__name__,
                                                       self._names)
            a = np.full(self.shape, start)
            op(a, (self._pre, self._post), values)
            empty = np.ones(self.shape, bool)
            empty[self._pre, self._post] = False
            a[empty] = np.nan
            out.append(a)
        return out


def _index_map(cells):
    """For each index within ``cells``: (number of its population in the simulator's
    list, its index within that population)."""
    pops = simulator.state.populations
    number = {id(p): k for k, p in enumerate(pops)}
    which, local = [], []
    for pop, idx in targets_of(cells):
        which.append(np.full(len(idx), number[id(pop)]))
        local.append(np.asarray(idx, dtype=np.int64))
    return np.concatenate(which), np.concatenate(local)
