"""Homeostasis of a built pathway: biases that bring the spiking rates to their targets.

:func:`fit_biases` does the work of :meth:`circuits.pathway_network.Pathway.homeostasis`
(whose docstring explains why and how): a constant input per population is moved,
all populations at once, until the spiking network's mean activities match the rates
the circuit was calibrated to.
"""
import numpy as np

__all__ = ["fit_biases"]


def fit_biases(pathway, images, iterations=8, tolerance=0.15, damping=0.8,
               interneurons=False):
    """Set each population's bias so that the spiking network's mean activity on
    ``images`` matches the rate it was calibrated to.

    The work of :meth:`circuits.pathway_network.Pathway.homeostasis`, whose docstring
    explains the method and the choice of ``interneurons``.

    Parameters
    ----------
    pathway : circuits.pathway_network.Pathway
        The biases are kept in ``pathway.circuit.bias[pathway.model]``.
    images : ndarray, shape (n_images, size, size)
    iterations : int, optional
        At most this many rounds of presentations and bias updates.
    tolerance : float, optional
        Relative (log) distance from the target within which a population is done.
    damping : float, optional
        Fraction of each round's correction that is applied.
    interneurons : bool, optional
        Whether the inhibitory populations are adjusted too.

    Returns
    -------
    dict of str to float
        The mean activity (spikes per step) of each adjusted population after the last
        round.
    """
    from scipy.special import ndtri
    from neurosim.units import mV
    c = pathway.circuit
    names = [n for n in pathway.populations if n in c.rates
             and (interneurons or c.populations[n].kind == "excitatory")]
    bias = dict(c.bias.get(pathway.model, {}))
    bias = {n: bias.get(n, 0.0) for n in pathway.populations}
    c.bias[pathway.model] = bias
    net, groups, monitors, currents = pathway.network()
    # slope of the rate in the bias: McCulloch-Pitts ~ 1/sigma of the input,
    # LIF ~ theta_twin (its rate rises as (h - theta/2) per step above threshold)
    scale = {}
    for n in names:
        if n in pathway.copies and pathway.model == "mcculloch_pitts":
            scale[n] = 1.0            # the copies' mean follows h - theta_twin
        elif pathway.model == "mcculloch_pitts":
            scale[n] = _input_sigma(pathway, n)
        else:
            scale[n] = c.lif_tau_m(n) / c.dt    # mV of bias per unit of input
    unit = 1.0 if pathway.model == "mcculloch_pitts" else 1.0 * mV

    def apply():
        # store/restore keeps input amplitudes, so change them in the stored onset
        net.restore("onset")
        for n in names:
            k = pathway.copies.get(n, 1)
            currents[n].amplitude = (c.base_offsets(n, k, pathway.model) + bias[n]) * unit
        net.store("onset")

    for _ in range(iterations):
        apply()
        r = pathway.present(images, trials=1, populations=names)
        done = True
        for n in names:
            rate, target = float(r.activity(n).mean()), c.rates[n]
            if abs(np.log(max(rate, 1e-4) / target)) > tolerance:
                done = False
            if pathway.model == "mcculloch_pitts" and n not in pathway.copies:
                step = ndtri(np.clip(target, 1e-3, 0.999)) - ndtri(np.clip(rate, 1e-3, 0.999))
                bias[n] += damping * scale[n] * step
            else:
                bias[n] += damping * scale[n] * (target - rate)
        if done:
            break
    apply()
    return {n: float(r.activity(n).mean()) for n in names}


def _input_sigma(pathway, name):
    """Median standard deviation of a population's summed input per step on the
    calibration images (mean field); 1 without calibration images."""
    c = pathway.circuit
    if not c.has_batch("calibration"):
        return 1.0
    acts = {s: c.activity("calibration", s).T for s, _, _ in c.inputs_of(name)
            if s in c.populations and list(c.populations).index(s)
            < list(c.populations).index(name)}
    if not acts:
        return 1.0
    _, var = c.drive(name, acts, variance=True)
    return float(np.median(np.sqrt(var))) + 1e-6
