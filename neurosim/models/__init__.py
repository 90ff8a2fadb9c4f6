"""Neuron models: one file each, a frozen class of parameters, state and update rule.

Every module of this package is imported and the names in its ``__all__`` are
exported (and from ``neurosim`` itself): a model added as a new file here needs
no edit anywhere else (docs: "Adding a neuron model").
"""
import importlib
import pkgutil

from ._base import NeuronModel

__all__ = ["NeuronModel"]

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")):
    _mod = importlib.import_module(f"{__name__}.{_module}")
    for _name in _mod.__all__:
        globals()[_name] = getattr(_mod, _name)
        __all__.append(_name)
del _module, _mod, _name
