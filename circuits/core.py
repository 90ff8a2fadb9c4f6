"""The circuit every area is built into: description, rate twin and spiking network.

A :class:`Circuit` is a plain description, independent of the neuron model: each
:class:`Population` has a threshold ``theta`` and per-neuron metadata (position,
receptive-field size, preferences), each :class:`Projection` excitatory or
inhibitory synapses with weights. Activities are in spikes per time step (a
probability in ``[0, 1]`` for the spiking versions), so one set of numbers serves

* the McCulloch-Pitts circuit: a unit is active in a step when its summed input of
  the previous step reaches ``theta``;
* the LIF circuit: ``v_th = 1 mV``, ``tau_m = 16 ms``, exponential current synapses
  of 2 ms with weights ``w`` in mV of mean drive, and a constant input that subtracts
  the threshold, so a neuron's mean-driven rate per step is close to
  ``max(h - theta_twin, 0)`` (:meth:`Circuit.to_network`);
* the rate twin: rectified-linear units ``a = max(h - theta, 0)`` with
  ``h = W_E a - W_I a``, computed with numpy (:meth:`Circuit.twin`).

Each concept has its module: the description (populations, projections, the graph's
structure and the geometry helpers) in :mod:`circuits.description`, the rate twin,
mean field and calibration in :mod:`circuits.twin`, the neurosim network (neurosim's
public API only) in :mod:`circuits.spiking`. :class:`Circuit` is the three together;
this module re-exports their public names.
"""
from .description import Population, Projection, grid, neighbours
from .spiking import SpikingNetwork, copy_offsets
from .twin import RateTwin, mean_field_activity

__all__ = ["Population", "Projection", "Circuit", "grid", "neighbours", "mean_field_activity",
           "copy_offsets"]


class Circuit(RateTwin, SpikingNetwork):
    """Populations and projections of a visual pathway, starting from an input image,
    with the rate twin and the spiking network they define.

    Parameters
    ----------
    size : int
        Side of the (square) input image in pixels.
    dt : float, optional
        The step activities are counted in, in seconds (default 1 ms): an
        activity ``a`` is ``a / dt`` Hz.
    input_meta : dict of ndarray, optional
        Metadata of the input population (default: one unit per pixel, with
        ``x``, ``y``, ``rf_size``).

    Notes
    -----
    The input is the population ``"input"``, whose activity is the probability of
    a spike per step; the retina (:func:`circuits.retina.encode`) makes it from
    images. The methods come from :class:`circuits.description.Description`
    (building and structure), :class:`circuits.twin.RateTwin` (rate twin, mean field,
    calibration) and :class:`circuits.spiking.SpikingNetwork` (neurosim objects).
    """
