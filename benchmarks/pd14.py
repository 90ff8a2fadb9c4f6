"""The cortical microcircuit of Potjans & Diesmann (2014), built from neurosim's public API.

Definition: ``/work/shared/benchmarks.md`` (section PD14). Eight populations of
current-based LIF neurons with exponential synaptic currents, one
``FixedTotalNumber`` projection per (source, target) pair with
``K = log(1 - C) / log(1 - 1/(N_pre N_post))`` synapses drawn with replacement,
normal weights (87.81 pA, 10 % sd; inhibitory ``g = -4`` times; L4E -> L23E
doubled), normal delays rounded to steps (redrawn below one step) and Poisson
background at 8 Hz through ``K_ext`` synapses per neuron.

``scale`` multiplies every population size and keeps the in-degrees (so the
total synapse count scales with ``scale``), a cheap stand-in with the same
per-neuron input statistics; ``scale=1`` is the published model (77,169 neurons,
about 3e8 synapses). The parameter tables are shared with the Brian2 and NEST
versions in ``peers_brian2.py`` and ``peers_nest.py``.
"""
import numpy as np

import neurosim as ns
from neurosim.units import Hz, mV, ms, pA, pF

POPULATIONS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
N_FULL = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
# rows: target, columns: source
CONN_PROBS = np.array([
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443]])
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
# neuron (SI units: s, V, F), weights (A), delays (s)
NEURON = dict(c_m=250e-12, tau_m=10e-3, tau_syn=0.5e-3, e_l=-65e-3, v_th=-50e-3,
              v_reset=-65e-3, t_ref=2e-3, v0_mean=-58e-3, v0_std=10e-3)
W_MEAN, W_REL_SD, G = 87.81e-12, 0.1, -4.0
D_EXC, D_INH = (1.5e-3, 0.75e-3), (0.75e-3, 0.375e-3)
BG_RATE = 8.0


def sizes(scale=1.0):
    """Population sizes at ``scale`` (at least one neuron each)."""
    return np.maximum(1, np.round(N_FULL * scale)).astype(np.int64)


def synapse_counts(scale=1.0):
    """``K[target, source]``: synapses per projection, ``scale`` times the full model's
    (the full model's in-degrees are kept)."""
    n = N_FULL.astype(float)
    with np.errstate(divide="ignore"):
        k = np.log(1.0 - CONN_PROBS) / np.log(1.0 - 1.0 / np.outer(n, n))
    return np.round(k * scale).astype(np.int64)


def is_excitatory(pop):
    return pop % 2 == 0


def weight_mean(target, source):
    """Mean PSC amplitude in amperes (negative for inhibitory sources)."""
    w = W_MEAN if is_excitatory(source) else G * W_MEAN
    if POPULATIONS[source] == "L4E" and POPULATIONS[target] == "L23E":
        w *= 2.0
    return w


def delay_params(source):
    return D_EXC if is_excitatory(source) else D_INH


def expected_synapses(scale=1.0):
    return int(synapse_counts(scale).sum())


def pd14(scale=1.0, spikes=True):
    """The microcircuit as an unbuilt ``ns.Network`` and a dict of its monitors:
    ``spikes``, one SpikeMonitor over all neurons (see :func:`population_rates`).
    """
    nrn = NEURON
    lif = ns.LIF(tau_m=nrn["tau_m"] * 1e3 * ms, v_rest=nrn["e_l"] * 1e3 * mV,
                 v_reset=nrn["v_reset"] * 1e3 * mV, v_th=nrn["v_th"] * 1e3 * mV,
                 refractory=nrn["t_ref"] * 1e3 * ms, tau_syn_e=nrn["tau_syn"] * 1e3 * ms,
                 tau_syn_i=nrn["tau_syn"] * 1e3 * ms, c_m=nrn["c_m"] * 1e12 * pF)
    n = sizes(scale)
    total = int(n.sum())
    cells = ns.NeuronGroup(total, lif, name="pd14",
                           v=ns.Normal(nrn["v0_mean"] * 1e3 * mV, nrn["v0_std"] * 1e3 * mV))
    bounds = np.concatenate([[0], np.cumsum(n)])
    pops = [cells[int(bounds[k]):int(bounds[k + 1])] for k in range(len(n))]
    k = synapse_counts(scale)
    objects = [cells]
    for t in range(len(n)):
        for s in range(len(n)):
            if k[t, s] == 0:
                continue
            w = abs(weight_mean(t, s)) * 1e12
            d_mean, d_sd = (x * 1e3 for x in delay_params(s))
            objects.append(ns.Synapses(
                pops[s], pops[t], kind="excitatory" if is_excitatory(s) else "inhibitory",
                weight=ns.Normal(w * pA, W_REL_SD * w * pA, low=0 * pA),
                delay=ns.Normal(d_mean * ms, d_sd * ms, low=0.1 * ms),
                connect=ns.FixedTotalNumber(int(k[t, s])),
                name=f"{POPULATIONS[s]}->{POPULATIONS[t]}"))
    for t in range(len(n)):
        objects.append(ns.PoissonInput(pops[t], n=int(K_EXT[t]), rate=BG_RATE * Hz,
                                       weight=W_MEAN * 1e12 * pA, kind="excitatory"))
    monitors = {"spikes": ns.SpikeMonitor(cells)} if spikes else {}
    return ns.Network(*objects, *monitors.values()), monitors


def population_rates(monitor, scale, duration):
    """Mean rate (Hz) of each population from a SpikeMonitor over all neurons."""
    n = sizes(scale)
    bounds = np.concatenate([[0], np.cumsum(n)])
    counts = np.bincount(np.searchsorted(bounds, monitor.i, side="right") - 1,
                         minlength=len(n))[:len(n)]
    return dict(zip(POPULATIONS, counts / (n * duration)))
