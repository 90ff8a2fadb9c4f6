"""
COBA: a conductance-based balanced network
==========================================

Benchmark 1 of Brette et al. (2007), as in Brian2's ``examples/COBA.py``:
4,000 leaky integrate-and-fire neurons (80 % excitatory) with exponentially
decaying conductances,

.. math::

    \\tau_m \\frac{dv}{dt} = E_L - v + g_e (E_e - v) + g_i (E_i - v),\\qquad
    \\tau_e \\frac{dg_e}{dt} = -g_e,\\qquad \\tau_i \\frac{dg_i}{dt} = -g_i,

conductances in units of the leak conductance ``g_L = 10 nS``. Each pair of
neurons is connected with probability 2 %; an excitatory spike adds 6 nS to
``g_e``, an inhibitory one 67 nS to ``g_i``. The recurrent excitation keeps
the network active without any external input, at about 20 spikes per second.

Set ``NEUROSIM_QUICK=1`` for a shorter run.
"""
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import neurosim as ns  # noqa: E402
from neurosim.units import mV, ms, nS  # noqa: E402

QUICK = os.environ.get("NEUROSIM_QUICK") == "1"

# %%
# The model
# ---------
# ``ns.LIFCond`` integrates the equations above with forward Euler, the method
# Brian2 chooses for them. Giving ``g_l`` lets weights be written in siemens.
coba = ns.LIFCond(tau_m=20 * ms, v_rest=-60 * mV, v_reset=-60 * mV, v_th=-50 * mV,
                  tau_syn_e=5 * ms, tau_syn_i=10 * ms, e_e=0 * mV, e_i=-80 * mV,
                  refractory=5 * ms, g_l=10 * nS)

# Initial state as in Brian2's example: v ~ N(-65, 5) mV, g_e ~ N(4, 1.5),
# g_i ~ N(20, 12) (units of g_L).
cells = ns.NeuronGroup(4000, coba, name="cells", v=ns.Normal(-65 * mV, 5 * mV),
                       g_e=ns.Normal(4, 1.5), g_i=ns.Normal(20, 12))
exc, inh = cells[:3200], cells[3200:]

# %%
# Connections and monitors
# ------------------------
ee = ns.Synapses(exc, cells, kind="excitatory", weight=6 * nS,
                 connect=ns.FixedProbability(0.02))
ie = ns.Synapses(inh, cells, kind="inhibitory", weight=67 * nS,
                 connect=ns.FixedProbability(0.02))
spikes_e, spikes_i = ns.SpikeMonitor(exc), ns.SpikeMonitor(inh)
rate = ns.RateMonitor(cells)
trace = ns.StateMonitor(cells, ("v", "g_e", "g_i"), record=[0])

duration = (400 if QUICK else 1000) * ms
net = ns.Network(cells, ee, ie, spikes_e, spikes_i, rate, trace)
net.run(duration, dt=0.1 * ms, seed=1)

mean_e = spikes_e.count.mean() / float(duration)
mean_i = spikes_i.count.mean() / float(duration)
print(f"{ee.n_synapses + ie.n_synapses} synapses; mean rates: "
      f"excitatory {mean_e:.1f} Hz, inhibitory {mean_i:.1f} Hz")

# %%
# Raster, population rate and one neuron's conductances
# -----------------------------------------------------
fig, axes = plt.subplots(3, 1, figsize=(9, 8), sharex=True,
                         gridspec_kw={"height_ratios": [3, 1, 1.2]})
# 400 neurons of each population keep the raster readable
sub_e = spikes_e.i < 400
sub_i = spikes_i.i < 100
ns.plot_raster((spikes_e.i[sub_e], spikes_e.t[sub_e]), (spikes_i.i[sub_i], spikes_i.t[sub_i]),
               ax=axes[0], labels=["excitatory (400 of 3200)", "inhibitory (100 of 800)"])
axes[0].set_xlabel("")
axes[0].set_ylim(-0.5, 570)
axes[0].legend(loc="upper right", ncol=2, markerscale=6, frameon=False)
axes[0].set_title(f"COBA: {mean_e:.1f} Hz excitatory, {mean_i:.1f} Hz inhibitory")
ns.plot_rate(rate, ax=axes[1], smooth=5 * ms, color="0.2", lw=1)
axes[1].set_xlabel("")
t = trace.t * 1e3
axes[2].plot(t, trace.g_e[0], color="#1f4e9c", lw=0.8, label="$g_e$")
axes[2].plot(t, trace.g_i[0], color="#c0392b", lw=0.8, label="$g_i$")
axes[2].set_ylabel("conductance ($g_L$)")
axes[2].set_xlabel("time (ms)")
axes[2].legend(frameon=False, loc="upper right")
fig.tight_layout()

Path("figures").mkdir(exist_ok=True)
fig.savefig("figures/coba.png", dpi=100)

# %%
# The rates settle near 20 Hz for excitatory and inhibitory neurons alike, as
# in the published benchmark, while a single neuron's inhibitory conductance
# fluctuates around twenty times its leak. The validation page compares the
# same network with Brian2.
