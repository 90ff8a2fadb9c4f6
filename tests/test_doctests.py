"""The examples in the docstrings of the public API run, and every public name has one.

Each module that defines a public name of ``neurosim``, ``neurosim.units``,
``neurosim.io``, ``neurosim.interop.brian2`` or ``neurosim.interop.validation`` is
run through :mod:`doctest` (every docstring in it: classes, functions, methods,
the module's own). A second test checks that every public class and function has
a numpydoc ``Examples`` section, so that the API reference (``make docs``) shows
one for each and this test runs it. A third applies numpydoc's validation with the
settings of ``docs/conf.py`` to every public object and documented member, so that
a docstring that would fail ``make docs`` (warnings are errors there) fails here
too, without building the site.
"""
import ast
import doctest
import importlib
import inspect
import io
import re
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[1] / "docs" / "conf.py"

# the namespaces whose names the API reference documents (docs/reference/index.rst)
NAMESPACES = ("neurosim", "neurosim.io", "neurosim.interop.brian2",
              "neurosim.interop.validation", "neurosim.interop.nir")
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


def _conf_values(*names):
    """Literal assignments of ``docs/conf.py``, read without running it."""
    out = {}
    for node in ast.parse(CONF.read_text()).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) \
                and node.targets[0].id in names:
            out[node.targets[0].id] = ast.literal_eval(node.value)
    return out


def _documented_names():
    """Import names of the public objects and of their members that autodoc shows
    (public, with a docstring)."""
    names = []
    for qualified, obj in _public_objects():
        names.append(qualified)
        if inspect.isclass(obj):
            for key, value in vars(obj).items():
                if key.startswith("_"):
                    continue
                func = value.__func__ if isinstance(value, (classmethod, staticmethod)) \
                    else value
                if (inspect.isfunction(func) or isinstance(func, property)) and func.__doc__:
                    names.append(f"{qualified}.{key}")
    return names


def test_docstrings_pass_numpydoc_validation():
    validate = pytest.importorskip("numpydoc.validate").validate
    conf = _conf_values("numpydoc_validation_checks", "numpydoc_validation_exclude")
    checks = conf["numpydoc_validation_checks"]
    assert "all" in checks         # "all" minus the listed codes, as numpydoc reads it
    ignored = checks - {"all"}
    excluded = [re.compile(p) for p in conf["numpydoc_validation_exclude"]]
    problems = {}
    for name in _documented_names():
        if any(p.search(name) for p in excluded):
            continue
        errors = [f"{code}: {message}" for code, message in validate(name)["errors"]
                  if code not in ignored]
        if errors:
            problems[name] = errors
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())
