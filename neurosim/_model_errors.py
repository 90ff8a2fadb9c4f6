"""Clear errors for neuron models whose rules numba cannot compile."""
import inspect
import os
import re

import numpy as np
from numba import njit
from numba.core.errors import NumbaError

from .kernels._dispatch import is_builtin
from .kernels.models import BUILTIN

__all__ = ["ModelCompileError", "explain_compile_error"]


class ModelCompileError(TypeError):
    """A neuron model's rule is not code that numba can compile.

    The message names the model, the rule, the file and line, and what numba
    could not compile there. Raised at the first run of a network that uses the
    model (compiling is what finds it).

    Examples
    --------
    >>> import neurosim as ns
    >>> issubclass(ns.ModelCompileError, TypeError)
    True
    """


def explain_compile_error(net, error):
    """Raise a :class:`ModelCompileError` for the first model of ``net`` whose rule
    fails to compile on its own; return (and let the caller re-raise ``error``) when
    none does."""
    a = net._arrays
    if is_builtin(a.model_set):
        return
    nr = a.neurons
    for g, code in enumerate(nr.seg_code):
        kernel = a.model_set[code]
        if any(kernel is b for b in BUILTIN):
            continue
        k = int(nr.seg_lo[g])
        extra = [nr.aux[j, k] for j in range(len(kernel.extra_state))]
        p = kernel.parameter_tuple(nr.seg_prm[g])
        calls = [("scalar_update", kernel.scalar_update,
                  (nr.v[k], nr.ge[k], nr.gi[k], nr.ref[k], *extra, nr.i_ext[k], p,
                   np.int64(net.seed), np.int64(net.t_step), np.uint64(k)))]
        if kernel.receive is not None:
            calls.append(("receive", kernel.receive,
                          (nr.v[k], nr.ref[k], nr.spiked[k], np.int64(0), np.int64(0))))
        for rule, func, args in calls:
            try:
                njit(func)(*args)
            except NumbaError as exc:
                raise ModelCompileError(_message(kernel.name, rule, func, exc)) from None


def _message(model, rule, func, exc):
    text = str(exc)
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in text.splitlines() if line.strip()]
    # the first line says which pipeline stage failed; the next one says what
    what = next((line for line in lines if not line.startswith("Failed in ")),
                type(exc).__name__)
    where = ""
    for i, line in enumerate(lines):
        found = re.match(r'\s*File "(.+)", line (\d+)', line)
        if found and not found.group(1).endswith(("_model_set.py", "simulate.py")):
            path = found.group(1)
            try:        # numba prints paths relative to the working directory
                real = inspect.getsourcefile(func)
                path = real if os.path.basename(real) == os.path.basename(path) else path
            except TypeError:
                pass
            code = lines[i + 2].strip() if i + 2 < len(lines) else ""
            where = f" at {path}, line {found.group(2)}: {code}"
            break
    return (f"the {rule} of the neuron model {model} cannot be compiled by numba{where}. "
            f"numba says: {what.strip()}. A model's rules must be plain Python on numbers, "
            "tuples and numpy arrays (no Python objects, lists of mixed types or "
            "exceptions); see the docs, 'Adding a neuron model'")
