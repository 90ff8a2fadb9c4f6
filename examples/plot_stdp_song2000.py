"""STDP: competitive Hebbian learning (Song, Miller & Abbott 2000)
===============================================================

One leaky integrate-and-fire neuron receives 1000 excitatory Poisson inputs at
15 Hz through plastic synapses, as in Brian2's ``examples/synapses/STDP.py``.
The synapses follow additive, all-to-all spike-timing-dependent plasticity
(:class:`~neurosim.STDP`): a presynaptic spike that arrives shortly before a
postsynaptic one strengthens the synapse, one that arrives shortly after weakens
it,

.. math::

    \\Delta w = \\begin{cases} A_+ w_\\max\\, e^{-\\Delta t/\\tau_+}, & \\Delta t \\ge 0\\\\
    -A_- w_\\max\\, e^{\\Delta t/\\tau_-}, & \\Delta t < 0 \\end{cases}
    \\qquad \\Delta t = t_\\mathrm{post} - t_\\mathrm{pre},

with ``tau_plus = tau_minus = 20 ms``, ``A_+ = 0.01`` and ``A_- = 1.05 A_+``,
and weights clipped to ``[0, w_max]``. Depression slightly outweighs
potentiation, so uncorrelated inputs lose on average, while the inputs that
happen to have driven the neuron gain: the synapses compete, and their weights
are pushed towards the two bounds.

The neuron has ``tau_m = 10 ms``, a resting potential of -74 mV, a threshold of
-54 mV and a reset to -60 mV. Brian2's example is conductance-based, ``ge * (Ee -
v)`` with ``Ee = 0 mV``; here the input is current-based (``tau_syn_e = 5 ms``)
and a weight ``g`` becomes ``g * 60 mV``, the driving force at the reset, so
``gmax = 0.01`` gives ``w_max = 0.6 mV``. Initial weights are uniform in ``[0,
w_max]``.

The run lasts 100 s of simulated time (about 10 s of computing), in pieces of
1 s between which the script reads ``syn.weight`` and the output rate. Set
``NEUROSIM_QUICK=1`` for 10 s.
"""
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import neurosim as ns  # noqa: E402
from neurosim.units import Hz, mV, ms, second  # noqa: E402

QUICK = os.environ.get("NEUROSIM_QUICK") == "1"
SECONDS = 10 if QUICK else 100
W_MAX = 0.6 * mV

# %%
# The network
# -----------
# The rule is given to the projection with ``plasticity=``; its bounds are in
# the target model's weight unit (volts for ``ns.LIF``), and the initial
# weights must lie inside them.
lif = ns.LIF(tau_m=10 * ms, v_rest=-74 * mV, v_reset=-60 * mV, v_th=-54 * mV,
             tau_syn_e=5 * ms, tau_syn_i=5 * ms)
neuron = ns.NeuronGroup(1, lif, v=-74 * mV, name="neuron")
inputs = ns.PoissonGroup(1000, 15 * Hz, name="inputs")
stdp = ns.STDP(tau_plus=20 * ms, tau_minus=20 * ms, a_plus=0.01, a_minus=0.0105,
               w_max=W_MAX)
syn = ns.Synapses(inputs, neuron, kind="excitatory", weight=ns.Uniform(0 * mV, W_MAX),
                  connect=ns.AllToAll(), plasticity=stdp, name="stdp")
spikes = ns.SpikeMonitor(neuron)
net = ns.Network(inputs, neuron, syn, spikes)
net.build(dt=0.1 * ms, seed=1)

# %%
# Learning, one second at a time
# ------------------------------
# ``run()`` continues where the last run stopped, so a long run can be cut into
# pieces; between them ``syn.weight`` gives the current weights (volts).
w_max = float(W_MAX)
weights = [syn.weight / w_max]
rates = []
for _ in range(SECONDS):
    before = spikes.i.size
    net.run(1 * second, backend="numba")
    rates.append(spikes.i.size - before)            # spikes in this second = Hz
    weights.append(syn.weight / w_max)
weights, rates = np.array(weights), np.array(rates)
times = np.arange(SECONDS + 1)

final = weights[-1]
low, high = np.mean(final < 0.1), np.mean(final > 0.9)
last = rates[-10:].mean()
print(f"after {SECONDS} s: {100 * low:.1f} % of the weights in the lowest tenth of "
      f"[0, w_max], {100 * high:.1f} % in the highest (10 % each at the start); output rate "
      f"{rates[:10].mean():.1f} Hz in the first 10 s, {last:.1f} Hz in the last 10 s")

# %%
# Weights and rate
# ----------------
# Left: the distribution of the weights at the start and at the end. Middle:
# the fraction of weights in the lowest and highest tenths of the range, and a
# few single synapses. Right: the output rate, one point per second.
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
ax = axes[0]
bins = np.linspace(0, 1, 21)
ax.hist(final, bins=bins, color="#1f4e9c", alpha=0.8, label=f"after {SECONDS} s")
ax.hist(weights[0], bins=bins, histtype="step", color="0.3", lw=1.2, label="start")
ax.set_xlabel("w / w_max")
ax.set_ylabel("synapses")
ax.legend(frameon=False)
ax.set_title("weight distribution")

ax = axes[1]
rng = np.random.default_rng(0)
for k in rng.choice(final.size, 6, replace=False):
    ax.plot(times, weights[:, k], color="0.75", lw=0.8)
ax.plot(times, np.mean(weights < 0.1, axis=1), color="#c0392b", lw=2,
        label="fraction < 0.1 w_max")
ax.plot(times, np.mean(weights > 0.9, axis=1), color="#1f4e9c", lw=2,
        label="fraction > 0.9 w_max")
ax.set_xlabel("time (s)")
ax.set_ylabel("w / w_max, fraction")
ax.set_ylim(0, 1)
ax.legend(frameon=False, loc="upper left")
ax.set_title("weights over time (grey: 6 synapses)")

ax = axes[2]
ax.plot(times[1:] - 0.5, rates, ".-", color="0.2", lw=0.8)
ax.axhline(last, color="#c0392b", ls="--", lw=1, label=f"last 10 s: {last:.1f} Hz")
ax.set_xlabel("time (s)")
ax.set_ylabel("output rate (Hz)")
ax.set_ylim(0, None)
ax.legend(frameon=False)
ax.set_title("output rate")
fig.tight_layout()

Path("figures").mkdir(exist_ok=True)
fig.savefig("figures/stdp_song2000.png", dpi=100)

# %%
# From a flat start the weights split: after 100 s 27 % of the synapses lie
# within a tenth of the range from zero and 17 % within a tenth of ``w_max``
# (10 % each at the start), and the middle of the range thins out (Brian2's own
# example gives 23 % and 19 % after the same time). The output rate falls from
# 53 Hz over the first 10 s to 22-26 Hz over the last 10 s of runs of 100, 200
# and 300 s, although the inputs keep firing at 15 Hz: the competition sets the
# output rate, as Song et al. (2000) found. With steps of 1 % of the range per
# pair the weights keep diffusing between the bounds; longer runs sharpen the
# two modes (29 % and 20 % after 200 s, 31 % and 20 % after 300 s).
