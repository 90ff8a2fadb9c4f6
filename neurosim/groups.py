"""Populations of neurons and their contiguous slices."""
import numpy as np

from ._validation import check_int
from .distributions import Normal, Uniform
from .models import NeuronModel

__all__ = ["NeuronGroup", "Subgroup"]


# the attributes of a population itself, never state variables
_OWN = frozenset({"n", "name", "start", "stop", "model", "root", "initial_values"})


class _Population:
    """What synapses, inputs and monitors can attach to: ``n`` elements, sliceable."""

    n = 0
    name = None

    def __len__(self):
        return self.n

    @property
    def root(self):
        return self

    @property
    def start(self):
        return 0

    @property
    def stop(self):
        return self.n

    def __getitem__(self, item):
        if not isinstance(item, slice):
            raise TypeError(f"{self.name}[{item!r}]: index a group with a slice such as "
                            f"{self.name}[:100]")
        for bound in (item.start, item.stop):
            # Python would clip g[5:20] of 10 neurons to g[5:10]; a subgroup that silently
            # holds fewer neurons than asked for is a wiring error, so refuse it
            if bound is not None and not -self.n <= bound <= self.n:
                shown = ":".join("" if b is None else str(b) for b in (item.start, item.stop))
                raise IndexError(f"{self.name}[{shown}]: {bound} is out of range; "
                                 f"{self.name} has {self.n} neurons (allowed bounds "
                                 f"{-self.n}..{self.n})")
        start, stop, step = item.indices(self.n)
        if step != 1:
            raise ValueError(f"{self.name}[{item!r}]: a subgroup must be contiguous (step 1)")
        if stop <= start:
            raise ValueError(f"{self.name}[{item!r}] is empty; a subgroup needs at least one "
                             f"neuron of the {self.n}")
        return Subgroup(self.root, self.start + start, self.start + stop)

    def _contains(self, other):
        return other.root is self.root and self.start <= other.start and other.stop <= self.stop

    # Brian2-style state access: ``cells.v`` reads the current values (SI units),
    # ``cells.v = ...`` sets them; before the network is built, setting changes
    # the initial values.
    def __getattr__(self, name):
        root = self.__dict__.get("_root", self)
        model = root.__dict__.get("_model")
        if model is not None and name in model.state_variables:
            net = root.__dict__.get("_network")
            if net is None:
                raise AttributeError(f"{self.name}.{name} has no value before the network is "
                                     "built; run or build the network first")
            return net.get_state(self, name)
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __setattr__(self, name, value):
        root = self.__dict__.get("_root", self)
        model = root.__dict__.get("_model")
        # a state variable named like an attribute of the group (the gating variable
        # ``n`` of HodgkinHuxley and the size ``n``) is reached with get_state/set_state
        if model is not None and name in model.state_variables and name not in _OWN:
            net = root.__dict__.get("_network")
            if net is not None:
                net.set_state(self, name, value)
            elif self is root:
                root._set_initial(name, value)
            else:
                raise AttributeError(f"set {name} of the whole group {root.name} before the "
                                     "network is built, or of the slice after building")
            return
        object.__setattr__(self, name, value)


class NeuronGroup(_Population):
    """A population of ``n`` neurons of one model.

    Parameters
    ----------
    n : int
        Number of neurons, >= 1.
    model : NeuronModel
        ``LIF``, ``LIFCond`` or ``McCullochPitts``.
    name : str, optional
        Shown in plots, errors and results; default ``'neurongroup'`` plus a number.
    **initial_values
        Initial state, by state-variable name of the model (``v`` for LIF models,
        ``x`` for McCulloch-Pitts, ``i_e``/``i_i`` or ``g_e``/``g_i`` for
        synaptic variables): a constant, an array of length ``n`` or a
        distribution (``Uniform``, ``Normal``), with units. Unset variables start
        at the model's default (``v_rest``, 0).

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV
    >>> lif = ns.LIF(tau_m=20*ms, v_rest=-49*mV, v_reset=-60*mV, v_th=-50*mV)
    >>> cells = ns.NeuronGroup(4000, lif, v=ns.Uniform(-60*mV, -50*mV))
    >>> exc, inh = cells[:3200], cells[3200:]
    >>> len(exc), len(inh)
    (3200, 800)
    """

    _count = 0

    def __init__(self, n, model, name=None, **initial_values):
        self.n = check_int("n", n, minimum=1)
        self._network = None
        self.model = model
        NeuronGroup._count += 1
        self.name = name or f"neurongroup_{NeuronGroup._count}"
        self.initial_values = {}
        for var, value in initial_values.items():
            self._set_initial(var, value)

    @property
    def model(self):
        """The neuron model.

        Replacing it between runs with a model of the same kind (e.g. another
        threshold) takes effect at the next step without recompiling.
        """
        return self._model

    @model.setter
    def model(self, model):
        if not isinstance(model, NeuronModel):
            raise TypeError(f"model={model!r} must be a neuron model (LIF, LIFCond or "
                            "McCullochPitts)")
        if self.__dict__.get("_network") is not None:
            self._network._set_model(self, model)
        object.__setattr__(self, "_model", model)

    def _set_initial(self, var, value):
        known = self.model.state_variables
        if var not in known:
            raise ValueError(f"{var}={value!r}: {type(self.model).__name__} has no state variable "
                             f"{var!r}; it has {sorted(known)}")
        if not isinstance(value, (Uniform, Normal)):
            self._convert(var, value)          # fail now, not at build time
            arr = np.asarray(value)
            if arr.ndim > 0 and arr.shape != (self.n,):
                raise ValueError(f"{var} has shape {arr.shape}; expected a single value or "
                                 f"an array of length n={self.n}")
        self.initial_values[var] = value

    def _convert(self, var, value):
        from ._validation import to_si
        _, unit, _ = self.model.state_variables[var]
        return to_si(var, value, unit, allow_array=True)

    def __repr__(self):
        return f"NeuronGroup({self.n}, {self.model!r}, name={self.name!r})"


class Subgroup(_Population):
    """A contiguous slice ``root[start:stop]`` of a group; made by slicing, not directly.

    Parameters
    ----------
    root : NeuronGroup, PoissonGroup or SpikeGeneratorGroup
        The whole group.
    start, stop : int
        First index and one past the last index of the slice within ``root``.

    Examples
    --------
    >>> import neurosim as ns
    >>> cells = ns.NeuronGroup(100, ns.McCullochPitts(), name="cells")
    >>> exc = cells[:80]
    >>> exc.n, exc.start, exc.stop, exc.root is cells
    (80, 0, 80, True)
    >>> exc[10:20].name
    'cells[10:20]'
    """

    def __init__(self, root, start, stop):
        object.__setattr__(self, "_root", root)
        self._start, self._stop = start, stop
        self.n = stop - start
        self.name = f"{root.name}[{start}:{stop}]"

    root = property(lambda self: self._root)
    start = property(lambda self: self._start)
    stop = property(lambda self: self._stop)

    @property
    def model(self):
        return self._root.model

    def __repr__(self):
        return f"Subgroup({self.name}, n={self.n})"
