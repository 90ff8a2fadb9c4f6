"""The model kernels by model code: the one table the engines dispatch through.

Each entry is the module of one model's kernels: its scalar update (compiled for
the CPU and CUDA), its vectorised numpy twin, the names of its parameter slots
and ``inert`` (a row whose neurons never fire).
"""
from . import lif, lif_cond, mcculloch_pitts
from ._layout import LIF_COND, LIF_DELTA, LIF_EXP, MCCULLOCH_PITTS

__all__ = ["KERNELS"]

KERNELS = {LIF_EXP: lif, LIF_DELTA: lif, LIF_COND: lif_cond, MCCULLOCH_PITTS: mcculloch_pitts}
