"""How the time step's helpers are compiled.

The step calls a helper per phase with the named tuples of arrays (``Neurons``: 15
arrays, ``Recorders``: 12). numba counts a reference to every array of a tuple around a
call to a compiled function, atomically: 70-180 ns a call, most of an empty step
(docs/design.md, "Calls in the step"). None of the helpers allocates, so they are
compiled without reference counting (numba's ``_nrt`` option).
"""
from numba import njit

__all__ = ["step_helper"]

#: The decorator of a step helper that allocates nothing: ``@step_helper``.
step_helper = njit(cache=True, _nrt=False)
