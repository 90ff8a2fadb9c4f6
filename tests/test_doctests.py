"""The examples in the docstrings of the public API run, and every public name has one.

Each module that defines a public name of ``neurosim``, ``neurosim.units``,
``neurosim.io``, ``neurosim.interop.brian2`` or ``neurosim.interop.validation`` is
run through :mod:`doctest` (every docstring in it: classes, functions, methods,
the module's own). A second test checks that every public class and function has
a numpydoc ``Examples`` section, so that the API reference (``make docs``) shows
one for each and this test runs it.
"""
import doctest
import importlib
import inspect
import io

import pytest

# the namespaces whose names the API reference documents (docs/reference/index.rst)
NAMESPACES = ("neurosim", "neurosim.io", "neurosim.interop.brian2",
              "neurosim.interop.validation")
# re-exported from Brian2: their docstrings are Brian2's (neurosim.units)
FOREIGN = ("brian2",)


def _public_objects():
    """``(qualified name, object)`` of every public class and function of NAMESPACES."""
    seen = {}
    for ns_name in NAMESPACES:
        mod = importlib.import_module(ns_name)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if obj.__module__.split(".")[0] in FOREIGN:
                continue
            seen.setdefault(id(obj), (f"{ns_name}.{name}", obj))
    return sorted(seen.values(), key=lambda pair: pair[0])


def _modules():
    """The modules that define the public objects, and the documented namespaces."""
    names = {obj.__module__ for _, obj in _public_objects()} | set(NAMESPACES)
    names.add("neurosim.units")
    return sorted(names)


@pytest.mark.parametrize("module_name", _modules())
def test_docstring_examples_run(module_name, tmp_path, monkeypatch):
    # examples that write files do it in a temporary folder of their own; this
    # keeps any stray relative path out of the working tree
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    out = io.StringIO()
    tests = finder.find(module, module_name, globs={})
    for test in tests:
        runner.run(test, out=out.write)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{module_name}: {result.failed} failing example(s)\n" \
                               f"{out.getvalue()[-6000:]}"


def test_every_public_class_and_function_has_an_example():
    missing = [name for name, obj in _public_objects()
               if "Examples\n" not in inspect.cleandoc(obj.__doc__ or "")
               or ">>>" not in (obj.__doc__ or "")]
    assert not missing, f"no Examples section with >>> lines: {missing}"


def test_the_examples_are_collected():
    """The runner finds examples in every module that has public objects."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    n = {m: sum(len(t.examples) for t in finder.find(importlib.import_module(m), m))
         for m in _modules()}
    assert sum(n.values()) > 100, n
    empty = [m for m, k in n.items() if k == 0 and m not in ("neurosim", "neurosim.io")]
    assert not empty, f"modules without a single example: {empty}"
