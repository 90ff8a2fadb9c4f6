"""Layering: ``circuits`` uses neurosim's public API only; ``neurosim`` never imports ``circuits``.

An AST scan of every module: in ``circuits/``, imports of neurosim may name only
``neurosim`` and ``neurosim.units`` and no name with a leading underscore (neither
a private module such as ``neurosim._config`` or ``neurosim.kernels`` nor a private
attribute such as ``ns._x``); in ``neurosim/``, nothing may import ``circuits``.
"""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
ALLOWED = {"neurosim", "neurosim.units"}


def _modules(package):
    return sorted((ROOT / package).rglob("*.py"))


def _violations_circuits(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    aliases = set()
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "neurosim" or a.name.startswith("neurosim."):
                    if a.name not in ALLOWED:
                        bad.append(f"{path.name}:{node.lineno} import {a.name}")
                    aliases.add(a.asname or a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and \
                (node.module == "neurosim" or node.module.startswith("neurosim.")):
            if node.module not in ALLOWED:
                bad.append(f"{path.name}:{node.lineno} from {node.module} import ...")
            for a in node.names:
                if a.name.startswith("_"):
                    bad.append(f"{path.name}:{node.lineno} from {node.module} import {a.name}")
                if node.module == "neurosim" and a.name in ("kernels", "backends", "interop"):
                    bad.append(f"{path.name}:{node.lineno} from neurosim import {a.name}")
    for node in ast.walk(tree):
        # ns._anything, neurosim.units._x, ...
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in aliases:
                bad.append(f"{path.name}:{node.lineno} {base.id}...{node.attr}")
    return bad


def _imports_circuits(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    bad = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        bad += [f"{path.name}:{node.lineno} {n}" for n in names
                if n == "circuits" or n.startswith("circuits.")]
    return bad


@pytest.mark.parametrize("path", _modules("circuits"), ids=lambda p: p.name)
def test_circuits_imports_only_public_neurosim(path):
    assert _violations_circuits(path) == []


@pytest.mark.parametrize("path", _modules("neurosim"), ids=lambda p: str(p.relative_to(ROOT)))
def test_neurosim_never_imports_circuits(path):
    assert _imports_circuits(path) == []


def test_scan_catches_private_imports(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import neurosim as ns\nfrom neurosim.kernels import simulate\n"
                   "from neurosim import _config\nx = ns._version\n"
                   "import neurosim._validation\n")
    found = _violations_circuits(bad)
    assert len(found) == 4, found


def test_circuits_exists():
    assert _modules("circuits"), "no circuits package found"


# ------------------------------------------------- directions inside neurosim
def _neurosim_imports(root=ROOT):
    """``{module: set of neurosim modules it imports}``, read from the source (nothing
    is run). A package's ``__init__`` re-exporting its children is not an edge."""
    graph, packages = {}, set()
    for path in sorted((root / "neurosim").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_init = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_init else parts)
        if is_init:
            packages.add(name)
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("neurosim")}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".")[:len(name.split(".")) - node.level + is_init]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.startswith("neurosim"):
                    deps |= {target} | {f"{target}.{a.name}" for a in node.names}
        graph[name] = deps
    modules = set(graph) - packages
    return {m: {d for d in deps if d in modules and d != m}
            for m, deps in graph.items() if m in modules}


def _cycles(graph):
    """Pairs of modules that reach each other through imports."""
    def reach(a):
        seen, todo = set(), [a]
        while todo:
            for d in graph.get(todo.pop(), ()):
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
        return seen
    reached = {m: reach(m) for m in graph}
    return sorted((a, b) for a in graph for b in reached[a] if a < b and a in reached[b])


def test_neurosim_has_no_import_cycle():
    assert _cycles(_neurosim_imports()) == []


def test_kernels_import_nothing_else_of_neurosim():
    graph = _neurosim_imports()
    bad = {m: sorted(d for d in deps if not d.startswith("neurosim.kernels"))
           for m, deps in graph.items() if m.startswith("neurosim.kernels")}
    assert {m: d for m, d in bad.items() if d} == {}


def test_backends_do_not_import_the_network():
    graph = _neurosim_imports()
    bad = {m: sorted(d for d in deps if d == "neurosim.network" or d.startswith("neurosim._build"))
           for m, deps in graph.items() if m.startswith("neurosim.backends")}
    assert {m: d for m, d in bad.items() if d} == {}


def test_the_cycle_scan_finds_a_cycle(tmp_path):
    (tmp_path / "neurosim").mkdir()
    (tmp_path / "neurosim" / "__init__.py").write_text("from . import a\n")
    (tmp_path / "neurosim" / "a.py").write_text("from .b import x\n")
    (tmp_path / "neurosim" / "b.py").write_text("from . import a\nx = 1\n")
    assert _cycles(_neurosim_imports(tmp_path)) == [("neurosim.a", "neurosim.b")]
