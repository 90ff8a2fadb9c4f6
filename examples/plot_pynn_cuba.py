"""
A PyNN script on neurosim: the CUBA network
===========================================

The CUBA network of Vogels & Abbott (2005), written for PyNN and run by
``import neurosim.pynn as sim``: 4,000 ``IF_curr_exp`` neurons (3,200 excitatory,
800 inhibitory) with a resting potential of -49 mV just above the threshold of
-50 mV, reset to -60 mV, refractory for 5 ms, synaptic currents decaying with 5 ms
(excitatory) and 10 ms (inhibitory), connected with probability 2 %.

PyNN gives weights in nA. The CUBA weights of 1.62 mV and 9 mV are jumps of the
synaptic current times the membrane resistance ``R = tau_m / cm``: with
``cm = 0.2 nF`` and ``tau_m = 20 ms`` (R = 100 MOhm) they are 0.0162 nA and
0.09 nA, the inhibitory one negative, as PyNN wants for current-based inhibitory
synapses. The connectivity is drawn by PyNN's ``FixedProbabilityConnector``; the
same script runs unchanged with ``import pyNN.brian2 as sim`` or ``pyNN.nest``
(``tests/pynn/test_brian2_compare.py`` checks that pyNN.brian2 and neurosim give the
same spikes for a smaller version with explicit connections).

Set ``NEUROSIM_QUICK=1`` for a shorter run.
"""
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import neurosim.pynn as sim  # noqa: E402

QUICK = os.environ.get("NEUROSIM_QUICK") == "1"

# %%
# The network, in PyNN
# --------------------
sim.setup(timestep=0.1, min_delay=0.1, backend="numba", seed=1)
cuba = sim.IF_curr_exp(tau_m=20.0, cm=0.2, v_rest=-49.0, v_reset=-60.0, v_thresh=-50.0,
                       tau_refrac=5.0, tau_syn_E=5.0, tau_syn_I=10.0)
cells = sim.Population(4000, cuba, label="cells")
rng = sim.NumpyRNG(seed=2)
cells.initialize(v=sim.RandomDistribution("uniform", (-60.0, -50.0), rng=rng))
exc, inh = cells[:3200], cells[3200:]
connect = sim.FixedProbabilityConnector(0.02, rng=rng)
sim.Projection(exc, cells, connect, sim.StaticSynapse(weight=0.0162, delay=0.1),
               receptor_type="excitatory")
sim.Projection(inh, cells, connect, sim.StaticSynapse(weight=-0.09, delay=0.1),
               receptor_type="inhibitory")
cells.record("spikes")

# %%
# Run and read the spikes back as Neo objects
# -------------------------------------------
duration = 300.0 if QUICK else 1000.0
sim.run(duration)
spiketrains = cells.get_data().segments[0].spiketrains
sim.end()
n_spikes = sum(len(st) for st in spiketrains)
print(f"{n_spikes} spikes, {n_spikes / 4000 / (duration / 1000):.1f} Hz per neuron")

# %%
# Raster of 400 excitatory and 100 inhibitory neurons
# ---------------------------------------------------
fig, ax = plt.subplots(figsize=(8, 4))
for k in list(range(400)) + list(range(3200, 3300)):
    t = spiketrains[k].magnitude
    row = k if k < 3200 else 400 + (k - 3200)
    ax.plot(t, [row] * len(t), "|", ms=2, color="C0" if k < 3200 else "C3")
ax.set_xlabel("time (ms)")
ax.set_ylabel("neuron")
ax.set_title("CUBA in PyNN on neurosim (blue: excitatory, red: inhibitory)")
Path("figures").mkdir(exist_ok=True)
fig.savefig("figures/pynn_cuba_raster.png", dpi=100)
