"""Bridges to other simulators, for validation.

``neurosim.interop.brian2``
    :func:`~neurosim.interop.brian2.to_brian2` builds the Brian2 network that
    simulates the same equations, connectivity, initial state and realised
    random input as a neurosim :class:`~neurosim.Network`;
    :func:`~neurosim.interop.brian2.run_brian2` runs it and returns its
    recordings in neurosim's format.
``neurosim.interop.validation``
    Spike-for-spike and statistical comparison of two simulations (first
    divergence, rates, CV of ISIs, Fano factors with confidence intervals).

Brian2 (imported on first use) is only loaded when one of these is used.
"""
import importlib

__all__ = ["to_brian2", "run_brian2", "Brian2Export", "Brian2ExportError"]


def __getattr__(name):
    # Lazy: importing Brian2 costs seconds, and neurosim itself never needs it.
    if name in __all__:
        return getattr(importlib.import_module(".brian2", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
