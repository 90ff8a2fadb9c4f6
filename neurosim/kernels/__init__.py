"""Pure array kernels: the model x backend matrix.

Each module holds one operation as a plain-Python scalar rule (compiled by numba
for the CPU and, where a GPU backend exists, for CUDA) and an independently
written vectorised numpy version, the reference the compiled versions are
tested against. Nothing here imports the rest of neurosim.
"""
from . import lif, lif_cond, mcculloch_pitts, propagate  # noqa: F401  (model tables)
