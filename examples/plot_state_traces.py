"""
Membrane potentials and synaptic variables
==========================================

A ``StateMonitor`` records state variables of chosen neurons in every step (or
every ``every`` steps), and ``ns.plot_state`` draws them. Here the same input
spikes reach three neurons that differ only in their synapses:

* ``LIF`` without ``tau_syn``: delta synapses, each spike makes ``v`` jump;
* ``LIF`` with ``tau_syn_e``/``tau_syn_i``: exponentially decaying synaptic
  currents ``i_e``, ``i_i`` (in volts, current times resistance) that ``v``
  integrates;
* ``LIFCond``: conductances ``g_e``, ``g_i`` (in units of the leak
  conductance), whose effect depends on the distance of ``v`` from the
  reversal potentials.

A fourth neuron is driven to threshold by a ramp of current
(``ns.TimedCurrent``) and shows the reset and the refractory period.

Set ``NEUROSIM_QUICK=1`` for a shorter run (this one is short anyway).
"""
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import neurosim as ns  # noqa: E402
from neurosim.units import mV, ms  # noqa: E402

QUICK = os.environ.get("NEUROSIM_QUICK") == "1"

# %%
# Input spikes
# ------------
# Source 0 fires a burst of five spikes from 20 ms on (excitatory synapses),
# source 1 a burst from 80 ms on (inhibitory synapses), and both fire together
# at 140 ms.
burst = np.arange(5) * 2.0
times = np.concatenate([20 + burst, 80 + burst, [140, 140]]) * ms
indices = np.array([0] * 5 + [1] * 5 + [0, 1])
stim = ns.SpikeGeneratorGroup(2, indices, times, name="stim")

# %%
# Three neurons, three kinds of synapse
# -------------------------------------
common = dict(tau_m=20 * ms, v_rest=-65 * mV, v_reset=-70 * mV, v_th=-50 * mV,
              refractory=5 * ms)
delta = ns.NeuronGroup(1, ns.LIF(**common), name="delta")
expo = ns.NeuronGroup(1, ns.LIF(**common, tau_syn_e=5 * ms, tau_syn_i=10 * ms),
                      name="exponential")
cond = ns.NeuronGroup(1, ns.LIFCond(**common, tau_syn_e=5 * ms, tau_syn_i=10 * ms,
                                    e_e=0 * mV, e_i=-80 * mV), name="conductance")
synapses = []
for group, w_e, w_i in ((delta, 2 * mV, 3 * mV), (expo, 3 * mV, 4 * mV),
                        (cond, 0.1, 0.3)):
    synapses.append(ns.Synapses(stim[0:1], group, kind="excitatory", weight=w_e,
                                connect=ns.AllToAll()))
    synapses.append(ns.Synapses(stim[1:2], group, kind="inhibitory", weight=w_i,
                                connect=ns.AllToAll()))

# %%
# A current ramp
# --------------
# ``values[k]`` holds for 1 ms each; the ramp rises from 0 to 40 mV (in units
# of current times membrane resistance), so the neuron starts firing once
# ``v_rest + R I`` passes ``v_th``.
duration = (150 if QUICK else 200) * ms
ramp_cell = ns.NeuronGroup(1, ns.LIF(**common), name="ramp")
ramp = ns.TimedCurrent(ramp_cell, np.linspace(0, 40, int(float(duration) / 1e-3)) * mV,
                       dt=1 * ms)

# %%
# Monitors and run
# ----------------
traces = {"delta": ns.StateMonitor(delta, "v"),
          "exponential": ns.StateMonitor(expo, ["v", "i_e", "i_i"]),
          "conductance": ns.StateMonitor(cond, ["v", "g_e", "g_i"]),
          "ramp": ns.StateMonitor(ramp_cell, "v")}
ramp_spikes = ns.SpikeMonitor(ramp_cell)
net = ns.Network(stim, delta, expo, cond, ramp_cell, ramp, *synapses, *traces.values(),
                 ramp_spikes)
net.run(duration, dt=0.1 * ms, seed=1)
print(f"the ramp-driven neuron fired {ramp_spikes.num_spikes} times, first at "
      f"{ramp_spikes.t[0] * 1e3:.1f} ms")

# %%
# Plot
# ----
# ``plot_state`` draws one line per recorded neuron; ``unit`` scales the
# values and labels the axis.
fig, axes = plt.subplots(4, 1, figsize=(9, 10), sharex=True)
for name, color in (("delta", "#1f4e9c"), ("exponential", "#2e8b57"),
                    ("conductance", "#8e44ad")):
    ns.plot_state(traces[name], "v", ax=axes[0], unit=mV, color=color, label=name)
axes[0].legend(frameon=False, loc="lower right")
axes[0].set_title("the same input through three kinds of synapse")

ns.plot_state(traces["exponential"], "i_e", ax=axes[1], unit=mV, color="#1f4e9c",
              label="$i_e$")
ns.plot_state(traces["exponential"], "i_i", ax=axes[1], unit=mV, color="#c0392b",
              label="$i_i$")
axes[1].set_ylabel("synaptic current x R (mV)")
axes[1].legend(frameon=False)

ns.plot_state(traces["conductance"], "g_e", ax=axes[2], color="#1f4e9c", label="$g_e$")
ns.plot_state(traces["conductance"], "g_i", ax=axes[2], color="#c0392b", label="$g_i$")
axes[2].set_ylabel("conductance ($g_L$)")
axes[2].legend(frameon=False)

ns.plot_state(traces["ramp"], "v", ax=axes[3], unit=mV, color="0.2")
axes[3].plot(ramp_spikes.t * 1e3, np.full(ramp_spikes.num_spikes, -48), "v", color="#c0392b",
             ms=4, label="spikes")
axes[3].axhline(-50, ls=":", color="0.5", lw=1)
axes[3].set_title("current ramp: threshold, reset, refractory period")
axes[3].legend(frameon=False, loc="upper left")
for ax in axes[:3]:
    ax.set_xlabel("")
fig.tight_layout()

Path("figures").mkdir(exist_ok=True)
fig.savefig("figures/state_traces.png", dpi=100)
