"""NeuronModel: the contract every neuron model meets, built-in or written by a user."""
import functools
import inspect

import numpy as np

from .._validation import to_si
from ..distributions import Normal, Uniform
from ..kernels._layout import N_PARAMS, VAR_EXTRA
from ..kernels.models import ModelKernel

_COMMON_STATE = {"v": 0, "ge": 1, "gi": 2}


class NeuronModel:
    """Base class of neuron models: parameters, state variables and the update rule.

    A model is one class, in one file (docs: "Adding a neuron model"). It says

    * ``parameters``: the names of the per-step parameters its update reads as
      ``p.<name>`` (floats in SI units, derived for the step ``dt``), and
      :meth:`parameter_values`, which derives them from the model's own
      parameters (``tau_m``...);
    * ``extra_state``: state variables beyond the ones every neuron has: ``v``,
      the two synaptic input variables ``ge``, ``gi`` (where excitatory and
      inhibitory input add up) and the refractory counter ``ref``;
    * ``state_variables``: the public names, as ``{name: (internal name, unit,
      default)}`` (internal: ``'v'``, ``'ge'``, ``'gi'`` or an extra one);
    * ``scalar_update``: one neuron, one step, in plain Python that numba
      compiles for the CPU and the GPU::

          scalar_update(v, ge, gi, ref, *extra, i_ext, p, seed, step, k)
              -> (v, ge, gi, ref, *extra, spiked)

      and optionally ``vector_update``, its numpy twin for the reference backend;
    * ``receive`` (optional): how the input of one step enters, if not by adding
      to ``ge`` and ``gi``; ``receive(v, ref, spiked, exc, inh) -> v`` (delta
      synapses);
    * ``weight_unit``, ``current_unit``: the units of weights and injected currents
      (None: plain numbers);
    * ``brian2_equations(dt)`` (optional): how the model is written in Brian2, for
      ``neurosim.interop.brian2.to_brian2``: a dict with ``equations`` (using
      ``I_ext``, the injected current), ``params`` (``{name: (value, unit)}``),
      ``threshold``, ``reset``, ``refractory`` (a parameter name or False),
      ``method``, ``on_pre`` (``{'excitatory': code, 'inhibitory': code}``),
      ``weight_unit``, ``current_unit``, ``input_var`` and ``delta``.

    Models are immutable once made: to change a parameter between runs, assign
    a new model to the group (``cells.model = ...``).

    Examples
    --------
    >>> import neurosim as ns
    >>> model = ns.McCullochPitts(theta=2)
    >>> isinstance(model, ns.NeuronModel)
    True
    >>> model.theta = 3
    Traceback (most recent call last):
        ...
    AttributeError: McCullochPitts is frozen; make a new model instead of setting 'theta'
    """

    parameters = ()
    extra_state = ()
    state_variables = {}
    scalar_update = None
    vector_update = None
    receive = None
    vector_receive = None
    # units of synaptic weights (the jumps of ge, gi or v) and of injected currents
    weight_unit = None
    current_unit = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _heterogeneous_init(cls.__dict__["__init__"])

    @property
    def heterogeneous(self):
        """The parameters given per neuron (arrays or distributions), by name.

        Each neuron of a group gets its own value, drawn at the build.
        """
        return dict(self.__dict__.get("_heterogeneous", {}))

    def per_neuron(self, n, rng):
        """One model per neuron of a group, each validated.

        Parameters
        ----------
        n : int
            The group's size.
        rng : numpy.random.Generator
            Draws the parameters given as distributions (arrays are taken as they are).

        Returns
        -------
        list of NeuronModel
            ``n`` models (all ``self`` when no parameter is heterogeneous).
        """
        spec = self.heterogeneous
        if not spec:
            return [self] * n
        values = {}
        for name, value in spec.items():
            representative = _representative(value)
            si = _resolve_si(name, value, n, rng)
            values[name] = (si, representative)
        args = self.__dict__["_init_arguments"]
        out = []
        for k in range(n):
            chosen = {name: _like(si[k], rep) for name, (si, rep) in values.items()}
            out.append(type(self)(**{**args, **chosen}))
        return out

    @property
    def kernel(self):
        """What the engines compile: the model's ``ModelKernel`` (``neurosim.kernels.models``).

        One per model class: instances differ in their parameter values only.
        """
        cls = type(self)
        kernel = cls.__dict__.get("_kernel")
        if kernel is None:
            if cls.scalar_update is None:
                raise TypeError(f"{cls.__name__} defines no scalar_update; a neuron model "
                                "needs one (see the docs, 'Adding a neuron model')")
            kernel = ModelKernel(cls.__name__, cls.parameters, cls.scalar_update,
                                 cls.vector_update, cls.extra_state, cls.receive,
                                 cls.vector_receive, inert=getattr(cls, "inert", None))
            cls._kernel = kernel
        return kernel

    def __setattr__(self, name, value):
        if getattr(self, "_frozen", False):
            raise AttributeError(f"{type(self).__name__} is frozen; make a new model instead "
                                 f"of setting {name!r}")
        object.__setattr__(self, name, value)

    def _freeze(self):
        object.__setattr__(self, "_frozen", True)

    def parameter_values(self, dt):
        """The per-step parameters for a step ``dt``; subclasses implement it.

        Parameters
        ----------
        dt : float
            The time step (seconds).

        Returns
        -------
        dict
            ``{name: float}`` for every name of ``parameters``, in SI units.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement parameter_values(dt)")

    def params(self, dt):
        """The model's row of segment parameters for a step ``dt`` (seconds)."""
        names = self.kernel.parameters
        values = self.parameter_values(dt)
        missing = set(names) - set(values)
        unknown = set(values) - set(names)
        if missing or unknown:
            raise ValueError(f"{type(self).__name__}.parameter_values(dt) must give exactly "
                             f"{names}; missing {sorted(missing)}, unknown {sorted(unknown)}")
        row = np.zeros(max(N_PARAMS, len(names)))
        for j, name in enumerate(names):
            row[j] = values[name]
        return row

    def variable(self, name):
        """Where the engines keep the public state variable ``name``.

        Parameters
        ----------
        name : str
            A key of ``state_variables``.

        Returns
        -------
        tuple
            ``(slot, unit, default)``: its row in the engines' state
            (``_layout.VAR_*``), its unit and its default value.
        """
        internal, unit, default = self.state_variables[name]
        if internal in _COMMON_STATE:
            return _COMMON_STATE[internal], unit, default
        if internal not in self.kernel.extra_state:
            raise ValueError(f"{type(self).__name__}.state_variables[{name!r}] names "
                             f"{internal!r}, which is neither 'v', 'ge', 'gi' nor one of "
                             f"extra_state={self.kernel.extra_state}")
        return VAR_EXTRA + self.kernel.extra_state.index(internal), unit, default

    def validate_dt(self, dt):
        """Check that the model can be integrated with step ``dt``; hook for subclasses."""

    def weight_to_si(self, name, value, *, allow_array=True):
        """Convert a synaptic weight to the internal unit of the synaptic variables
        (``weight_unit``; None: a plain number)."""
        return to_si(name, value, self.weight_unit, allow_array=allow_array)

    def current_to_si(self, name, value, *, allow_array=True):
        """Convert an injected current to the internal unit (``current_unit``; volts for
        LIF models, whose currents are current times membrane resistance)."""
        return to_si(name, value, self.current_unit, allow_array=allow_array)

    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in self._repr_fields().items())
        return f"{type(self).__name__}({fields})"

    def _repr_fields(self):
        return {}


def refractory_steps(refractory, dt):
    """Refractory period in whole steps; one that dt does not divide is an error."""
    from .._validation import steps_of
    return int(steps_of("refractory", refractory, dt))


def _heterogeneous_init(init):
    """Wrap a model's ``__init__`` so that any parameter may be a per-neuron array or a
    distribution: the model is validated with one representative value (the first
    element, the distribution's mean or low bound), and remembers what was given per
    neuron (``heterogeneous``) and its arguments (to make the per-neuron models)."""
    signature = inspect.signature(init)

    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        arguments = dict(list(bound.arguments.items())[1:])
        varies = {name: value for name, value in arguments.items() if _varies(value)}
        init(self, **{**arguments, **{k: _representative(v) for k, v in varies.items()}})
        object.__setattr__(self, "_init_arguments", arguments)
        object.__setattr__(self, "_heterogeneous", varies)
    return wrapper


def _varies(value):
    return isinstance(value, (Uniform, Normal)) or (
        not isinstance(value, str) and np.ndim(value) > 0)


def _representative(value):
    if isinstance(value, Uniform):
        return value.low
    if isinstance(value, Normal):
        return value.mean
    return value[0]


def _resolve_si(name, value, n, rng):
    from ..distributions import resolve
    return resolve(name, value, n, rng, lambda label, x: np.asarray(x, dtype=float))


def _like(si, representative):
    """``si`` (a float in SI units) with the unit of ``representative``."""
    from ..units import get_dimensions
    from brian2 import Quantity
    dim = get_dimensions(representative)
    return float(si) if dim is None or dim.is_dimensionless else Quantity(si, dim=dim)
