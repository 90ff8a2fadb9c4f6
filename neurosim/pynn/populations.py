"""Population, PopulationView and Assembly for neurosim.

Parameters are kept as PyNN's own (in PyNN's units) and translated when the neurosim
network is built (:mod:`neurosim.pynn._network`).
"""
import numpy as np
from pyNN import common, errors
from pyNN.parameters import LazyArray, ParameterSpace, Sequence, simplify
from pyNN.standardmodels import StandardCellType

from . import simulator
from .recording import Recorder
from ._network import NS_VARIABLES, scale_to_ns
from .standardmodels import cells as _cells

__all__ = ["Population", "PopulationView", "Assembly", "targets_of"]

# parameters read at every piece of a run: changing them needs no rebuild
_LIVE = {"i_offset", "rate", "start", "duration"}


def targets_of(cells):
    """``[(population, local indices)]`` of a Population, PopulationView, Assembly, ID
    or list of IDs."""
    if isinstance(cells, common.Population):
        return [(cells, np.arange(cells.size))]
    if isinstance(cells, common.PopulationView):
        return [(cells.grandparent, np.asarray(cells.index_in_grandparent(
            np.arange(cells.size))))]
    if isinstance(cells, common.Assembly):
        return [t for p in cells.populations for t in targets_of(p)]
    if isinstance(cells, simulator.ID):
        cells = [cells]
    out = {}
    for c in cells:
        out.setdefault(c.parent, []).append(c.parent.id_to_index(c))
    return [(p, np.asarray(i)) for p, i in out.items()]


def _check_spike_times(values):
    for seq in np.atleast_1d(values):
        t = np.asarray(seq.value if isinstance(seq, Sequence) else seq, dtype=float)
        if np.any(np.diff(t) < 0):
            raise errors.InvalidParameterValueError(
                f"SpikeSourceArray spike times must be in increasing order: {t}")


class Assembly(common.Assembly):
    __doc__ = common.Assembly.__doc__
    _simulator = simulator


class _Mixin:

    def _get_parameters(self, *names):
        if isinstance(self.celltype, StandardCellType):
            if any(name in self.celltype.computed_parameters() for name in names):
                native_names = self.celltype.get_native_names()
            else:
                native_names = self.celltype.get_native_names(*names)
            return self.celltype.reverse_translate(self._get_native_parameters(*native_names))
        return self._get_native_parameters(*names)

    def _store(self, parameter_space, mask):
        """Write native parameters into the parent's arrays at ``mask``."""
        root = self if isinstance(self, common.Population) else self.grandparent
        parameter_space.evaluate(simplify=False)
        names = set()
        for name, value in parameter_space.items():
            if name == "spike_times":
                _check_spike_times(value)
            target = root._parameters[name]
            idx = np.arange(root.size)[mask]
            value = np.broadcast_to(np.asarray(value, dtype=target.dtype), idx.shape) \
                if target.dtype != object else value
            for k, i in enumerate(idx):
                target[i] = value[k] if np.ndim(value) else value
            names.add(name)
        if names - _LIVE:
            simulator.state.mark_stale()

    def _set_initial(self, variable, values, mask):
        """New initial values for the neurons at ``mask`` of the root population; when the
        simulation is under way they are also the current values."""
        root = self if isinstance(self, common.Population) else self.grandparent
        if variable not in root.celltype.default_initial_values:
            raise errors.NonExistentParameterError(variable, root.celltype.__class__.__name__,
                                                   list(root.celltype.default_initial_values))
        if variable in root.initial_values:
            full = np.array(root.initial_values[variable].evaluate(simplify=False), dtype=float)
        else:
            full = np.zeros(root.size)
        idx = np.arange(root.size)[mask]
        full[idx] = np.broadcast_to(values, idx.shape)
        root.initial_values[variable] = LazyArray(full, shape=(root.size,), dtype=float)
        engine = simulator.state.engine
        if engine is not None and root in engine.groups and variable in NS_VARIABLES \
                and not engine.stale:
            group = engine.groups[root]
            name = NS_VARIABLES[variable]
            if name in group.model.state_variables:
                table = engine.net.get_state(group, name)
                table[idx] = full[idx] * np.broadcast_to(scale_to_ns(root, variable),
                                                         root.size)[idx]
                unit = group.model.state_variables[name][1]
                engine.net.set_state(group, name, table * unit if unit is not None else table)


class PopulationView(_Mixin, common.PopulationView):
    __doc__ = common.PopulationView.__doc__
    _assembly_class = Assembly
    _simulator = simulator

    def _get_native_parameters(self, *names):
        root = self.grandparent
        idx = np.asarray(self.index_in_grandparent(np.arange(self.size)))
        values = {}
        for name in names:
            value = root._parameters[name][idx]
            values[name] = simplify(value) if value.dtype != object else value
        return ParameterSpace(values, shape=(self.size,))

    def _set_parameters(self, parameter_space):
        idx = np.asarray(self.index_in_grandparent(np.arange(self.size)))
        parameter_space.shape = (self.size,)
        self._store(parameter_space, idx)

    def initialize(self, **initial_values):
        idx = np.asarray(self.index_in_grandparent(np.arange(self.size)))
        for variable, value in initial_values.items():
            values = LazyArray(value, shape=(self.size,), dtype=float).evaluate(simplify=False)
            self._set_initial(variable, values, idx)

    def _set_initial_value_array(self, variable, initial_values):
        idx = np.asarray(self.index_in_grandparent(np.arange(self.size)))
        self._set_initial(variable, initial_values.evaluate(simplify=False), idx)

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)


class Population(_Mixin, common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def _create_cells(self):
        if not isinstance(self.celltype, _cells.SIMULATED):
            raise NotImplementedError(
                f"neurosim.pynn cannot simulate {type(self.celltype).__name__} cells; it has "
                f"{', '.join(c.__name__ for c in _cells.SIMULATED)}")
        state = simulator.state
        id_range = np.arange(state.id_counter, state.id_counter + self.size)
        self.all_cells = np.array([simulator.ID(i) for i in id_range], dtype=simulator.ID)
        self._mask_local = np.ones((self.size,), bool)
        parameter_space = self.celltype.native_parameters
        parameter_space.shape = (self.size,)
        parameter_space.evaluate(simplify=False)
        self._parameters = {}
        for name, value in parameter_space.items():
            arr = np.asarray(value)
            if name == "spike_times":
                _check_spike_times(value)
                obj = np.empty(self.size, dtype=object)
                obj[:] = [v if isinstance(v, Sequence) else Sequence(v) for v in value]
                arr = obj
            else:
                arr = np.array(np.broadcast_to(arr.astype(float), (self.size,)))
            self._parameters[name] = arr
        for id in self.all_cells:
            id.parent = self
        state.id_counter += self.size
        state.populations.append(self)
        state.mark_stale()

    def _set_initial_value_array(self, variable, initial_values):
        if variable not in self.celltype.default_initial_values:
            raise errors.NonExistentParameterError(variable, type(self.celltype).__name__,
                                                   list(self.celltype.default_initial_values))
        if simulator.state.engine is not None:
            values = initial_values.evaluate(simplify=False)
            # common.Population.initialize stores the LazyArray itself afterwards
            self._set_initial(variable, values, slice(None))

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def _get_native_parameters(self, *names):
        values = {}
        for name in names:
            value = self._parameters[name]
            values[name] = simplify(value) if value.dtype != object else value
        return ParameterSpace(values, shape=(self.size,))

    def _set_parameters(self, parameter_space):
        self._store(parameter_space, slice(None))
