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
