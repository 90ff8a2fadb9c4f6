"""The error of an export to Brian2 (shared by the modules of the export)."""

__all__ = ["Brian2ExportError"]


class Brian2ExportError(ValueError):
    """A part of a neurosim network that has no exact Brian2 counterpart.

    The message says what and why. A subclass of :class:`ValueError`.

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV
    >>> from neurosim.interop.brian2 import Brian2ExportError, to_brian2
    >>> lif = ns.LIF(10*ms, -70*mV, -70*mV, -50*mV, tau_syn_e=10*ms, tau_syn_i=5*ms)
    >>> cells = ns.NeuronGroup(1, lif)
    >>> try:
    ...     to_brian2(ns.Network(cells), seed=0)
    ... except Brian2ExportError:
    ...     print("tau_syn_e == tau_m has no exact Brian2 solution")
    tau_syn_e == tau_m has no exact Brian2 solution
    """
