"""What the engines need of a neuron model: its :class:`ModelKernel`.

A model kernel names the model's per-step parameters, its state beyond the
common ``v``, ``ge``, ``gi`` and ``ref``, and gives its rules as plain Python:
the scalar update of one neuron for one step (compiled by numba for the CPU
loop, the MPI rank loop and the CUDA kernel) and, optionally, how input of the
ring buffer enters it when it does not simply add to ``ge`` and ``gi``.
``kernels._dispatch`` turns a tuple of kernels into the engines' dispatch
module; nothing else looks at a kernel's rules.

The built-in models are ``BUILTIN``, in the order of their codes in
``_layout`` (a network's segment code is the index of its kernel in the
network's model set, which starts with ``BUILTIN``).
"""
from collections import namedtuple

from . import lif, lif_cond, mcculloch_pitts

__all__ = ["ModelKernel", "BUILTIN", "model_set"]

class ModelKernel:
    """The compiled side of one neuron model.

    Parameters
    ----------
    name : str
        An identifier (letters, digits, ``_``), used in generated code and messages.
    parameters : tuple of str
        Names of the per-step parameters that the update reads as ``p.<name>``
        (SI units, derived for the step ``dt``: e.g. ``exp(-dt/tau_m)``).
    scalar_update : function
        ``scalar_update(v, ge, gi, ref, *extra, i_ext, p, seed, step, k)`` returns
        ``(v, ge, gi, ref, *extra, spiked)`` for neuron ``k`` at ``step``: plain
        Python that numba can compile (no Python objects, no exceptions).
    vector_update : function, optional
        The same for a whole group as numpy arrays (views, changed in place);
        returns the boolean spike mask. The numpy backend's oracle; without it
        the numpy backend calls ``scalar_update`` neuron by neuron.
    extra_state : tuple of str, optional
        Names of float state variables beyond ``v``, ``ge``, ``gi`` and ``ref``.
    receive : function, optional
        ``receive(v, ref, spiked, exc, inh)`` returns ``v`` after the input of one
        ring-buffer slot (``exc``, ``inh``: int64 fixed point, units of
        ``2**-40``) arrives: input that jumps on ``v`` (delta synapses). Without
        it input adds to ``ge`` and ``gi``.
    vector_receive : function, optional
        The numpy twin of ``receive`` for arrays (returns the new ``v``).
    inert : function, optional
        ``inert(row)``: a copy of a parameter row whose neurons never fire (the
        neurons that an MPI rank on a GPU carries for others).
    current_free_loop : bool, optional
        Also compile a loop for networks without injected currents, which skips
        reading them (one array less to stream: worth it for cheap, memory-bound
        updates such as the LIF's; it costs compile time). Default False.
    """

    def __init__(self, name, parameters, scalar_update, vector_update=None, extra_state=(),
                 receive=None, vector_receive=None, inert=None, current_free_loop=False):
        if not name.isidentifier():
            raise ValueError(f"name={name!r} must be a Python identifier")
        self.name = name
        self.parameters = tuple(parameters)
        self.extra_state = tuple(extra_state)
        self.scalar_update = scalar_update
        self.vector_update = vector_update
        self.receive = receive
        self.vector_receive = vector_receive
        self.inert = inert
        self.current_free_loop = current_free_loop
        # the parameters as the update sees them: a named tuple, read as p.v_th
        self.Parameters = namedtuple(f"{name}Parameters", self.parameters)

    def parameter_tuple(self, row):
        """The parameters of a row (numpy floats) as the named tuple ``p``."""
        return self.Parameters(*row[:len(self.parameters)])

    def __repr__(self):
        return f"ModelKernel({self.name!r})"


LIF_EXP = ModelKernel("LIF", lif.PARAMETERS, lif.lif_update, lif.lif_update_numpy,
                      inert=lif.inert, current_free_loop=True)
LIF_DELTA = ModelKernel("LIFDelta", lif.PARAMETERS, lif.lif_update, lif.lif_update_numpy,
                        receive=lif.receive_delta, vector_receive=lif.receive_delta_numpy,
                        inert=lif.inert, current_free_loop=True)
LIF_COND = ModelKernel("LIFCond", lif_cond.PARAMETERS, lif_cond.lif_cond_update,
                       lif_cond.lif_cond_update_numpy, inert=lif_cond.inert,
                       current_free_loop=True)
MCCULLOCH_PITTS = ModelKernel("McCullochPitts", mcculloch_pitts.PARAMETERS,
                              mcculloch_pitts.mcculloch_pitts_update,
                              mcculloch_pitts.mcculloch_pitts_update_numpy,
                              inert=mcculloch_pitts.inert)

# by code (_layout.LIF_EXP, LIF_DELTA, LIF_COND, MCCULLOCH_PITTS)
BUILTIN = (LIF_EXP, LIF_DELTA, LIF_COND, MCCULLOCH_PITTS)


def model_set(kernels):
    """The model set of a network whose groups use ``kernels``: ``BUILTIN``, then
    every other kernel in the order of first use. A group's code is the index of
    its kernel here."""
    out = list(BUILTIN)
    for k in kernels:
        if not any(k is m for m in out):
            out.append(k)
    if len(out) > 127:
        raise ValueError(f"{len(out)} neuron models in one network; at most 127 are supported")
    return tuple(out)
