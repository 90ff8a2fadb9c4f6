"""
Depressing and facilitating synapses
====================================

Short-term plasticity after Tsodyks & Markram (1997) and Markram, Wang & Tsodyks
(1998): between presynaptic spikes the available resources :math:`R` recover
with :math:`\\tau_\\mathrm{rec}` and the utilisation :math:`u` decays with
:math:`\\tau_\\mathrm{facil}`; a spike raises :math:`u \\leftarrow u + U(1-u)`,
transmits :math:`w\\,uR` and uses :math:`uR` of the resources
(``ns.TsodyksMarkram``).

A regular train of 20 Hz, then a recovery spike 500 ms later, drives two
postsynaptic LIF neurons through a depressing synapse (:math:`U = 0.5`,
:math:`\\tau_\\mathrm{rec} = 800` ms, no facilitation) and a facilitating one
(:math:`U = 0.03`, :math:`\\tau_\\mathrm{rec} = 130` ms, :math:`\\tau_\\mathrm{facil}
= 530` ms). A state monitor on the synapses records :math:`u` and :math:`R`
as the train goes on.

Set ``NEUROSIM_QUICK=1`` for the same run (it takes a fraction of a second).
"""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import neurosim as ns  # noqa: E402
from neurosim.units import mV, ms  # noqa: E402

# %%
# The network
# -----------
# One spike generator, two postsynaptic neurons (exponential synaptic currents
# of 3 ms, membrane 40 ms, threshold out of reach, so that the membrane shows
# every postsynaptic potential).
train = list(np.arange(10) * 50 + 100) + [1050]
pre = ns.SpikeGeneratorGroup(1, np.zeros(len(train), int), train * ms, name="pre")
cell = ns.LIF(tau_m=40 * ms, v_rest=-70 * mV, v_reset=-70 * mV, v_th=0 * mV,
              tau_syn_e=3 * ms, tau_syn_i=3 * ms)
post = ns.NeuronGroup(2, cell, v=-70 * mV, name="post")
depressing = ns.Synapses(pre, post[0:1], kind="excitatory", weight=80 * mV,
                         connect=ns.AllToAll(), name="depressing",
                         plasticity=ns.TsodyksMarkram(U=0.5, tau_rec=800 * ms))
facilitating = ns.Synapses(pre, post[1:2], kind="excitatory", weight=600 * mV,
                           connect=ns.AllToAll(), name="facilitating",
                           plasticity=ns.TsodyksMarkram(U=0.03, tau_rec=130 * ms,
                                                        tau_facil=530 * ms))
v = ns.StateMonitor(post, "v")
dep_state = ns.StateMonitor(depressing, "R")      # u = U at every spike: no facilitation
fac_state = ns.StateMonitor(facilitating, ["u", "R"])
net = ns.Network(pre, post, depressing, facilitating, v, dep_state, fac_state)
net.run(1200 * ms, dt=0.1 * ms, seed=0)

# %%
# Postsynaptic potentials along the train
# ---------------------------------------
# The amplitude of each postsynaptic potential, measured from the membrane
# just before the spike to its peak within 15 ms, relative to the first.
t = v.t
steps = np.rint(np.array(train) * 1e-3 / 0.1e-3).astype(int)
amplitude = np.array([[v.v[k][s:s + 150].max() - v.v[k][s] for s in steps]
                      for k in range(2)])
relative = amplitude / amplitude[:, :1]
print("depressing:   PSP_n / PSP_1 =", np.round(relative[0], 2))
print("facilitating: PSP_n / PSP_1 =", np.round(relative[1], 2))

fig, axes = plt.subplots(2, 2, figsize=(9, 5.5), sharex="col",
                         gridspec_kw={"width_ratios": [3, 1]})
for k, (name, colour) in enumerate([("depressing", "#c0392b"),
                                    ("facilitating", "#1f4e9c")]):
    axes[k, 0].plot(t * 1e3, v.v[k] * 1e3, color=colour, lw=1)
    axes[k, 0].set_ylabel("v (mV)")
    axes[k, 0].set_title(f"{name} synapse", fontsize=10)
    axes[k, 1].plot(np.arange(1, len(train) + 1), relative[k], "o-", color=colour)
    axes[k, 1].axhline(1, color="0.7", lw=0.8)
    axes[k, 1].set_ylabel("PSP / first PSP")
axes[1, 0].set_xlabel("time (ms)")
axes[1, 1].set_xlabel("spike number")
ax = axes[0, 0].twinx()
ax.plot(dep_state.t * 1e3, dep_state.R[0], color="0.5", lw=0.8)
ax.set_ylabel("R", color="0.5")
ax = axes[1, 0].twinx()
ax.plot(fac_state.t * 1e3, fac_state.u[0], color="0.5", lw=0.8)
ax.set_ylabel("u", color="0.5")
fig.tight_layout()
Path("figures").mkdir(exist_ok=True)
fig.savefig("figures/short_term_plasticity.png", dpi=100)

# %%
# The depressing synapse's potentials shrink along the train as its resources
# run out (the tenth is a tenth of the first) and have recovered to half after
# 500 ms; the facilitating synapse's grow as :math:`u` builds up (the tenth
# 4.2 times the first) and still carry a third of that gain 500 ms later: the
# two behaviours of Markram et al. (1998)'s synapses onto pyramidal cells and
# interneurons.
