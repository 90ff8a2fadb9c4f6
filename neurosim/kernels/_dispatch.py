"""One dispatch mechanism: the engines reach neuron models through generated code.

The compiled engines (``simulate`` on the CPU, ``simulate_mpi`` per MPI rank,
``simulate_cuda`` on a GPU) never name a model. They call the functions of a
*model-set module*, ``_model_set`` (CPU) and ``_model_set_cuda`` (GPU): one
branch per model of the set, each a loop (or, on the GPU, one neuron) around
the model's plain-Python scalar update, its parameters unpacked into a named
tuple once per segment. :func:`render` writes those modules from the models'
:class:`~neurosim.kernels.models.ModelKernel`.

Why generated source rather than a loop that takes the update as an argument:
numba does not cache a function specialised on a function argument, so such a
loop would be recompiled in every process (about 10 s for the whole step).
Generated modules are ordinary files, compiled once and loaded from numba's
cache afterwards:

* the built-in models have their model-set modules in this package
  (``_model_set.py``, ``_model_set_cuda.py``, rendered from ``models.BUILTIN``;
  ``tests/kernels/test_dispatch.py`` checks they are current);
* a network that uses any other model gets an *engine package* in the cache
  directory: the rendered model-set modules and copies of the three engine
  modules, in a folder named by a hash of everything the code depends on
  (the sources of ``neurosim.kernels``, of the models' rules, and the numba
  and Python versions). Models with the same hash share it across processes;
  a changed rule gives a new folder, never a stale cache.
"""
import hashlib
import importlib
import importlib.util
import inspect
import os
import pathlib
import sys
import tempfile

import numba

from .models import BUILTIN

__all__ = ["render", "engine_module", "is_builtin", "write_builtin"]

_HERE = pathlib.Path(__file__).resolve().parent
_ENGINES = ("simulate", "simulate_mpi", "simulate_cuda", "simulate_threads")
_BUILTIN_HEADER = "from neurosim.kernels.models import BUILTIN as _KERNELS"
_INJECTED_HEADER = ("# _KERNELS, the models' kernels, is set by neurosim.kernels._dispatch "
                    "before this module runs")


def is_builtin(model_set):
    """Whether ``model_set`` is the built-in models alone (the package's engines)."""
    return len(model_set) == len(BUILTIN) and all(a is b for a, b in zip(model_set, BUILTIN))


# ------------------------------------------------------------------ rendering
def _params(i, kernel):
    # a tuple of scalars stays in registers; read from an array that may alias the
    # state, the parameters would be reloaded for every neuron (4x slower)
    values = ", ".join(f"row[{j}]" for j in range(len(kernel.parameters)))
    return f"p{i} = _P{i}({values})"


def _table_params(i, kernel, index="j"):
    values = ", ".join(f"table[{index}, {j}]" for j in range(len(kernel.parameters)))
    return f"p{i} = _P{i}({values})"


def _call(i, kernel, i_ext):
    extra = [f"x{j}[k]" for j in range(len(kernel.extra_state))]
    state = ", ".join(["v[k]", "ge[k]", "gi[k]", "ref[k]"] + extra)
    return f"{state}, spiked[k] = _update_{i}({state}, {i_ext}, p{i}, seed, step, k)"


def _extra_views(kernel, indent):
    return "".join(f"{indent}x{j} = aux[{j}]\n" for j in range(len(kernel.extra_state)))


def _branches(model_set, body, same):
    """One branch per class of models that ``same(kernel)`` does not tell apart (the
    LIF with exponential and with delta synapses share an update), written by
    ``body(i, kernel)`` for the first of them."""
    classes = {}
    for i, kernel in enumerate(model_set):
        classes.setdefault(same(kernel), []).append(i)
    out = []
    for n, members in enumerate(classes.values()):
        test = " or ".join(f"model == {i}" for i in members)
        names = ", ".join(model_set[i].name for i in members)
        out.append(f"    {'if' if n == 0 else 'elif'} {test}:    # {names}\n")
        out.append(body(members[0], model_set[members[0]]))
    return "".join(out)


def _firsts(model_set, same):
    seen = {}
    for i, kernel in enumerate(model_set):
        seen.setdefault(same(kernel), i)
    return sorted(seen.values())


def _same_update(kernel):
    return (kernel.scalar_update, kernel.parameters, kernel.extra_state,
            kernel.current_free_loop)


def _same_receive(kernel):
    return kernel.receive


def _jit(kernel):
    # a rule that asks to be inlined (ODEModel's generated step) is compiled into the
    # loop over neurons, which hoists its loop-invariant parts (a decay's exp)
    inline = getattr(kernel.scalar_update, "_neurosim_inline", False)
    return 'njit(inline="always")' if inline else "njit"


def _cpu_source(model_set, header, per_neuron):
    names = ", ".join(k.name for k in model_set)
    rules = "".join(
        f"_update_{i} = {_jit(model_set[i])}(_KERNELS[{i}].scalar_update)\n"
        f"_P{i} = _KERNELS[{i}].Parameters\n" for i in _firsts(model_set, _same_update)) + "".join(
        f"_receive_{i} = njit(inline=\"always\")(_KERNELS[{i}].receive)\n"
        for i in _firsts(model_set, _same_receive) if model_set[i].receive)

    def per_neuron_loop(i, k, loop):
        # a segment with parameters per neuron: its row of the table, neuron by neuron
        if not per_neuron:
            return ""
        return ("        if hoff != SHARED:\n" + _extra_views(k, "            ")
                + f"            for k in {loop}:\n"
                "                j = np.int64(k) + hoff\n"
                f"                {_table_params(i, k)}\n"
                f"                {_call(i, k, 'i_ext[k]')}\n"
                "            return\n")

    def update(i, k):
        head = per_neuron_loop(i, k, "range(start, stop)") + \
            f"        {_params(i, k)}\n" + _extra_views(k, "        ")
        if not k.current_free_loop:
            return (head + "        for k in range(start, stop):\n"
                    f"            {_call(i, k, 'i_ext[k]')}\n")
        return (head + "        if with_current:\n"
                f"            for k in range(start, stop):\n"
                f"                {_call(i, k, 'i_ext[k]')}\n"
                "        else:\n"
                "            zero = i_ext.dtype.type(0)\n"
                "            for k in range(start, stop):\n"
                f"                {_call(i, k, 'zero')}\n")

    def update_piece(i, k):
        return (per_neuron_loop(i, k, "range(start, stop, stride)")
                + f"        {_params(i, k)}\n" + _extra_views(k, "        ")
                + "        for k in range(start, stop, stride):\n"
                f"            {_call(i, k, 'i_ext[k]')}\n")

    def receive(loop):
        def body(i, k):
            if k.receive is None:
                return (f"        for k in {loop}:\n"
                        "            ge[k] = receive_synaptic(ge[k], exc[k])\n"
                        "            gi[k] = receive_synaptic(gi[k], inh[k])\n"
                        "            exc[k] = 0\n            inh[k] = 0\n")
            return (f"        for k in {loop}:\n"
                    f"            v[k] = _receive_{i}(v[k], ref[k], spiked[k], exc[k], inh[k])\n"
                    "            exc[k] = 0\n            inh[k] = 0\n")
        return body

    jumps = [i for i, k in enumerate(model_set) if k.receive is not None]
    first = {k.receive: i for i, k in reversed(list(enumerate(model_set)))}
    jump_branches = "".join(
        f"    {'if' if n == 0 else 'elif'} model == {i}:\n"
        f"        return _receive_{first[model_set[i].receive]}(v, ref, spiked, exc, inh)\n"
        for n, i in enumerate(jumps))
    return f'''"""The engines' model dispatch for the models {names}.

Rendered by neurosim.kernels._dispatch; do not edit (``render`` writes it again).
"""
import numpy as np
from numba import njit

from neurosim.kernels._jit import step_helper
from neurosim.kernels._layout import SHARED  # noqa: F401
from neurosim.kernels.elements import receive_synaptic
{header}

# the models' rules, compiled for the CPU, and their parameter tuples
{rules}

@step_helper
def update_range(nr, model, row, lo, hi, seed, step, with_current, hoff):
    """Update neurons ``[lo, hi)`` of one segment of model ``model`` for ``step``.

    One loop per model, so each inner loop is a single straight-line update that
    vectorises. Unsigned indices spare numba's negative-index handling, which
    blocks vectorisation. Without injected currents the loop of a model with
    ``current_free_loop`` skips reading i_ext (one array less to stream through
    the cache); x + 0 == x, so the result is the same bit for bit.
    """
    v, ge, gi, ref, i_ext, spiked, aux = nr.v, nr.ge, nr.gi, nr.ref, nr.i_ext, nr.spiked, nr.aux
    table = nr.nrn_prm
    start, stop = np.uint64(lo), np.uint64(hi)
{_branches(model_set, update, _same_update)}

@step_helper
def update_piece(nr, model, row, start, stop, stride, seed, step, hoff):
    """Update the neurons ``range(start, stop, stride)`` of one segment (an MPI rank's
    piece of it)."""
    v, ge, gi, ref, i_ext, spiked, aux = nr.v, nr.ge, nr.gi, nr.ref, nr.i_ext, nr.spiked, nr.aux
    table = nr.nrn_prm
{_branches(model_set, update_piece, _same_update)}

@step_helper
def apply_slot_dense(nr, slot):
    """Apply slot ``slot`` of the ring buffer to every neuron, segment by segment by
    its model's rule (one loop each, so that each vectorises), and empty it."""
    n = np.uint64(nr.v.size)
    exc, inh = nr.buffer[slot, :n], nr.buffer[slot, n:]
    v, ge, gi, ref, spiked = nr.v, nr.ge, nr.gi, nr.ref, nr.spiked
    for g in range(nr.seg_lo.size):
        model = nr.seg_code[g]
        start, stop = np.uint64(nr.seg_lo[g]), np.uint64(nr.seg_hi[g])
    {_branches(model_set, receive("range(start, stop)"), _same_receive).replace(chr(10) + "    ", chr(10) + "        ")}

@step_helper
def receive_piece(nr, model, exc, inh, start, stop, stride):
    """The same for the neurons ``range(start, stop, stride)`` (an MPI rank's piece)."""
    v, ge, gi, ref, spiked = nr.v, nr.ge, nr.gi, nr.ref, nr.spiked
{_branches(model_set, receive("range(start, stop, stride)"), _same_receive)}

@njit(cache=True, inline="always")
def jumps(model):
    """Whether the input of model ``model`` jumps on ``v`` (its own ``receive`` rule)."""
    return {" or ".join(f"model == {i}" for i in jumps) or "False"}


@njit(cache=True, inline="always")
def receive_jump(model, v, ref, spiked, exc, inh):
    """``v`` of one neuron of jump model ``model`` after the input ``exc``, ``inh``."""
{jump_branches}    return v
'''


def _cuda_source(model_set, header, per_neuron):
    names = ", ".join(k.name for k in model_set)
    updates = _firsts(model_set, _same_update)
    rules = "".join(
        f"    _update_{i} = cuda.jit(device=True)(_KERNELS[{i}].scalar_update)\n"
        for i in updates) + "".join(
        f"    _receive_{i} = cuda.jit(device=True)(_KERNELS[{i}].receive)\n"
        for i in _firsts(model_set, _same_receive) if model_set[i].receive)
    params = "".join(f"_P{i} = _KERNELS[{i}].Parameters\n" for i in updates)

    def update(i, k):
        n_x = len(k.extra_state)
        state = ", ".join(["v[k]", "ge[k]", "gi[k]", "ref[k]"]
                          + [f"aux[{j}, k]" for j in range(n_x)])
        out = ", ".join(["a", "b", "c", "d"] + [f"x{j}" for j in range(n_x)] + ["e"])
        writes = "".join(f"        aux[{j}, k] = x{j}\n" for j in range(n_x))
        if per_neuron:
            params = (f"        if hoff != SHARED:\n"
                      "            j = k + hoff\n"
                      f"            {_table_params(i, k)}\n"
                      "        else:\n"
                      f"            {_params(i, k)}\n")
        else:
            params = f"        {_params(i, k)}\n"
        return (params + f"        {out} = _update_{i}({state}, i_ext, p{i}, seed, step, k)\n"
                + writes)

    def receive(i, k):
        if k.receive is None:
            return ("        ge[k] = receive_synaptic(ge[k], buffer[slot, k])\n"
                    "        gi[k] = receive_synaptic(gi[k], buffer[slot, n + k])\n")
        return (f"        v[k] = _receive_{i}(v[k], ref[k], spiked[k], buffer[slot, k], "
                "buffer[slot, n + k])\n")

    def indent(text):
        return "".join("    " + line + "\n" for line in text.splitlines())

    return f'''"""The CUDA engine's model dispatch for the models {names}.

Rendered by neurosim.kernels._dispatch; do not edit (``render`` writes it again).
"""
from neurosim.kernels import elements
from neurosim.kernels._cuda import cuda
from neurosim.kernels._layout import SHARED  # noqa: F401
{header}

{params}
if cuda is not None:
    # the models' rules, compiled as device functions from the same plain Python
{rules}    receive_synaptic = cuda.jit(device=True)(elements._receive_synaptic)

    @cuda.jit(device=True)
    def update_one(model, k, v, ge, gi, ref, aux, spiked, table, hoff, i_ext, row, seed, step):
        """Update neuron ``k`` (of model ``model``, parameters ``row``); returns spiked."""
        a, b, c, d, e = v[k], ge[k], gi[k], ref[k], False
{indent(_branches(model_set, update, _same_update))}        v[k] = a
        ge[k] = b
        gi[k] = c
        ref[k] = d
        spiked[k] = e
        return e

    @cuda.jit(device=True)
    def receive_one(model, k, slot, n, v, ge, gi, ref, spiked, buffer):
        """Apply slot ``slot`` of the ring buffer to neuron ``k`` and empty it there."""
{indent(_branches(model_set, receive, _same_receive))}        buffer[slot, k] = 0
        buffer[slot, n + k] = 0
'''


def render(model_set, builtin=None, per_neuron=False):
    """The source of the two model-set modules for ``model_set``:
    ``{"_model_set": ..., "_model_set_cuda": ...}``.

    ``builtin`` (default: whether the set is ``BUILTIN``) makes the modules
    import the kernels from ``neurosim.kernels.models``; otherwise the loader
    puts them into the module as ``_KERNELS`` before it runs.
    """
    if builtin is None:
        builtin = is_builtin(model_set)
    header = _BUILTIN_HEADER if builtin else _INJECTED_HEADER
    return {"_model_set": _cpu_source(model_set, header, per_neuron),
            "_model_set_cuda": _cuda_source(model_set, header, per_neuron)}


# ------------------------------------------------------------ engine packages
def _rule_sources(kernel):
    parts = [kernel.name, repr(kernel.parameters), repr(kernel.extra_state)]
    for rule in (kernel.scalar_update, kernel.receive):
        if rule is None:
            continue
        # a generated rule (an ODE model's step) names what it was made from
        parts.extend(getattr(rule, "_neurosim_sources", ()))
        try:     # the whole file: helpers that the rule calls count too
            parts.append(pathlib.Path(inspect.getsourcefile(rule)).read_text())
        except (TypeError, OSError):
            try:
                parts.append(inspect.getsource(rule))
            except (TypeError, OSError):
                parts.append(rule.__code__.co_code.hex() + repr(rule.__code__.co_consts))
    return parts


def _digest(model_set, per_neuron):
    h = hashlib.sha256()
    for path in sorted(_HERE.glob("*.py")):
        h.update(path.name.encode() + path.read_bytes())
    for part in [numba.__version__, sys.version, f"per_neuron={per_neuron}"] + [p for k in model_set
                                                     for p in _rule_sources(k)]:
        h.update(part.encode())
    return h.hexdigest()[:20]


def _engine_source(name):
    # the package's engine module, its relative imports made absolute, except those of
    # the model-set modules, which resolve to the engine package's own
    text = (_HERE / f"{name}.py").read_text()
    text = text.replace("from ._model_set", "from .MODEL_SET")
    text = text.replace("from . import ", "from neurosim.kernels import ")
    text = text.replace("from .", "from neurosim.kernels.")
    return text.replace("from neurosim.kernels.MODEL_SET", "from ._model_set")


def _write_package(folder, model_set, per_neuron):
    """Write the engine package into ``folder`` atomically (a finished folder or none)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    (tmp / "__init__.py").write_text(f'"""neurosim engine for {[k.name for k in model_set]}"""\n')
    for name, text in render(model_set, builtin=False, per_neuron=per_neuron).items():
        (tmp / f"{name}.py").write_text(text)
    for name in _ENGINES:
        (tmp / f"{name}.py").write_text(_engine_source(name))
    try:
        os.rename(tmp, folder)
    except OSError:            # another process finished it first: use theirs
        for path in tmp.iterdir():
            path.unlink()
        tmp.rmdir()


def _package(folder, package):
    if package not in sys.modules:
        spec = importlib.util.spec_from_file_location(package, folder / "__init__.py",
                                                      submodule_search_locations=[str(folder)])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[package] = module


def _model_set_module(folder, full_name, model_set):
    if full_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            full_name, folder / f"{full_name.rsplit('.', 1)[1]}.py")
        module = importlib.util.module_from_spec(spec)
        module._KERNELS = model_set        # before the module body runs
        sys.modules[full_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[full_name]
            raise


def engine_module(model_set, name, cache_dir, per_neuron=False):
    """The engine module ``name`` (``'simulate'``, ``'simulate_mpi'`` or
    ``'simulate_cuda'``) for ``model_set``: the package's own for the built-in
    models, else that of an engine package under ``cache_dir`` (also for a network
    with parameters per neuron, ``per_neuron``, whose loops read a row per neuron)."""
    if name not in _ENGINES:
        raise ValueError(f"name={name!r} must be one of {_ENGINES}")
    if is_builtin(model_set) and not per_neuron:
        return importlib.import_module(f"neurosim.kernels.{name}")
    key = _digest(model_set, per_neuron)
    folder = pathlib.Path(cache_dir) / "engines" / f"engine_{key}"
    if not (folder / "simulate_cuda.py").exists():
        _write_package(folder, model_set, per_neuron)
    package = f"neurosim_engine_{key}"
    _package(folder, package)
    # the CUDA one only for the CUDA engine: it imports numba.cuda
    for sub in ("_model_set",) + (("_model_set_cuda",) if name == "simulate_cuda" else ()):
        _model_set_module(folder, f"{package}.{sub}", model_set)
    return importlib.import_module(f"{package}.{name}")


def write_builtin():
    """Write the package's model-set modules for the built-in models (after a change
    to one of their kernels): ``python -m neurosim.kernels._dispatch``."""
    for name, text in render(BUILTIN, builtin=True).items():
        (_HERE / f"{name}.py").write_text(text)


if __name__ == "__main__":
    write_builtin()
