"""NeuronModel: the frozen description shared by every neuron model."""
import numpy as np

from .._validation import to_si
from ..kernels._layout import N_PARAMS


class NeuronModel:
    """Base class of neuron models: parameters, state variables and derived constants.

    Subclasses set ``code`` (a model code of ``kernels._layout``), ``step_kernels``
    (the kernel table, whose keys are the supported backends) and
    ``state_variables`` (public name -> (internal slot, unit, default)), and
    implement ``_fill_params(row, dt)``.

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

    code = None
    step_kernels = {}
    state_variables = {}

    @property
    def supported_backends(self):
        return tuple(self.step_kernels)

    def __setattr__(self, name, value):
        if getattr(self, "_frozen", False):
            raise AttributeError(f"{type(self).__name__} is frozen; make a new model instead "
                                 f"of setting {name!r}")
        object.__setattr__(self, name, value)

    def _freeze(self):
        object.__setattr__(self, "_frozen", True)

    def params(self, dt):
        """The model's row of segment parameters for a step ``dt`` (seconds)."""
        row = np.zeros(N_PARAMS)
        self._fill_params(row, dt)
        return row

    def validate_dt(self, dt):
        """Check that the model can be integrated with step ``dt``; hook for subclasses."""

    def weight_to_si(self, name, value, *, allow_array=True):
        """Convert a synaptic weight to the internal unit of the synaptic variables."""
        return to_si(name, value, None, allow_array=allow_array)

    def current_to_si(self, name, value, *, allow_array=True):
        """Convert an injected current to the internal unit (volts for LIF models)."""
        return to_si(name, value, None, allow_array=allow_array)

    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in self._repr_fields().items())
        return f"{type(self).__name__}({fields})"

    def _repr_fields(self):
        return {}


def refractory_steps(refractory, dt):
    """Refractory period in whole steps; one that dt does not divide is an error."""
    from .._validation import steps_of
    return int(steps_of("refractory", refractory, dt))
