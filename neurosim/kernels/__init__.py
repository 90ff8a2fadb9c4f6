"""Pure array kernels: the step's elements, the built-in models' rules and the engines.

Each rule is plain Python, compiled by numba for the CPU loop, the loop of one
MPI rank and (as device functions) the CUDA kernel, with an independently
written vectorised numpy version as the reference the compiled ones are tested
against. The engines reach models only through a model-set module rendered by
``_dispatch`` from the models' kernels (``models``). Nothing here imports the
rest of neurosim.
"""
from . import lif, lif_cond, mcculloch_pitts, propagate  # noqa: F401  (model kernels)
