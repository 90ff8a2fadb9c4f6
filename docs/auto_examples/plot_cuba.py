"""
CUBA: a current-based balanced network
======================================

The network of Vogels & Abbott (2005) as benchmark 2 of Brette et al. (2007)
and Brian2's ``examples/CUBA.py``: 4,000 leaky integrate-and-fire neurons,
3,200 excitatory and 800 inhibitory, with exponentially decaying synaptic
currents,

.. math::

    \\tau_m \\frac{dv}{dt} = E_L - v + i_e - i_i,\\qquad
    \\tau_e \\frac{di_e}{dt} = -i_e,\\qquad \\tau_i \\frac{di_i}{dt} = -i_i,

with ``tau_m = 20 ms``, ``tau_e = 5 ms``, ``tau_i = 10 ms`` and a resting
potential ``E_L = -49 mV`` just above the threshold of -50 mV: without
inhibition every neuron would fire. A spike resets ``v`` to -60 mV and holds it
there for 5 ms. Every ordered pair of neurons is connected with probability
2 %; an excitatory spike makes ``i_e`` of its targets jump by 1.62 mV, an
inhibitory one ``i_i`` by 9 mV. Initial potentials are uniform between reset
and threshold. Recurrent inhibition holds the network in an irregular state at
a few spikes per second.

Set ``NEUROSIM_QUICK=1`` for a shorter run.
"""
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import neurosim as ns  # noqa: E402
from neurosim.units import mV, ms  # noqa: E402

QUICK = os.environ.get("NEUROSIM_QUICK") == "1"

# %%
# The model
# ---------
# ``ns.LIF`` with ``tau_syn_e`` and ``tau_syn_i`` is the current-based neuron
# above, integrated exactly over each step. Weights and currents are in
# volts (current times membrane resistance), as in Brian2's example.
lif = ns.LIF(tau_m=20 * ms, v_rest=-49 * mV, v_reset=-60 * mV, v_th=-50 * mV,
             refractory=5 * ms, tau_syn_e=5 * ms, tau_syn_i=10 * ms)
cells = ns.NeuronGroup(4000, lif, v=ns.Uniform(-60 * mV, -50 * mV), name="cells")
exc, inh = cells[:3200], cells[3200:]

# %%
# Connections and monitors
# ------------------------
# The kind of a projection, not the sign of its weight, says whether it
# excites or inhibits. One spike monitor per population keeps the two apart.
ee = ns.Synapses(exc, cells, kind="excitatory", weight=1.62 * mV,
                 connect=ns.FixedProbability(0.02))
ie = ns.Synapses(inh, cells, kind="inhibitory", weight=9 * mV,
                 connect=ns.FixedProbability(0.02))
spikes_e, spikes_i = ns.SpikeMonitor(exc), ns.SpikeMonitor(inh)
rate = ns.RateMonitor(cells)

duration = (300 if QUICK else 1000) * ms
net = ns.Network(cells, ee, ie, spikes_e, spikes_i, rate)
net.run(duration, dt=0.1 * ms, seed=1)

mean_e = spikes_e.count.mean() / float(duration)
mean_i = spikes_i.count.mean() / float(duration)
print(f"{ee.n_synapses + ie.n_synapses} synapses; mean rates: excitatory {mean_e:.2f} Hz, "
      f"inhibitory {mean_i:.2f} Hz; run {net.timings['run']:.2f} s "
      f"(compile {net.timings['compile']:.2f} s)")

# %%
# Raster and population rate
# --------------------------
# All 4,000 neurons at 5 Hz make a grey wall; the first 400 excitatory and
# the first 100 inhibitory neurons (the same 4 : 1 ratio) show the
# irregular, asynchronous firing.
fig, axes = plt.subplots(2, 1, figsize=(9, 6), sharex=True,
                         gridspec_kw={"height_ratios": [3, 1]})
sub_e, sub_i = spikes_e.i < 400, spikes_i.i < 100
ns.plot_raster((spikes_e.i[sub_e], spikes_e.t[sub_e]), (spikes_i.i[sub_i], spikes_i.t[sub_i]),
               ax=axes[0], colors=["#1f4e9c", "#c0392b"],
               labels=["excitatory (400 of 3200)", "inhibitory (100 of 800)"])
axes[0].set_ylim(-0.5, 570)                 # room for the legend above the inhibitory rows
axes[0].legend(loc="upper right", ncol=2, markerscale=6, frameon=False)
axes[0].set_xlabel("")
axes[0].set_title(f"CUBA, N = 4000: {mean_e:.1f} Hz excitatory, {mean_i:.1f} Hz inhibitory")
ns.plot_rate(rate, ax=axes[1], smooth=5 * ms, color="0.2", lw=1)
fig.tight_layout()

Path("figures").mkdir(exist_ok=True)
fig.savefig("figures/cuba_raster.png", dpi=100)

# %%
# Both populations fire at about 5.5 Hz, the rate Brian2 and NEST give for this
# benchmark; the population rate fluctuates without a rhythm, the signature of
# the asynchronous irregular state.
