"""
Five cortical firing regimes of the Izhikevich neuron
=====================================================

Izhikevich's (2003) simple model reproduces the firing patterns of cortical
neurons with two variables and four parameters:

.. math::

    \\frac{dv}{dt} = 0.04\\,v^2 + 5\\,v + 140 - u + I, \\qquad
    \\frac{du}{dt} = a\\,(b\\,v - u), \\qquad
    v \\ge 30\\ \\mathrm{mV}:\\ v \\leftarrow c,\\ u \\leftarrow u + d,

with ``v`` in mV and ``t`` in ms (neurosim takes the parameters with units:
``a = 0.02/ms``, ``d = 8*mV/ms``, ``I = 10*mV/ms``). The five sets of ``a``,
``b``, ``c``, ``d`` of the paper's Fig. 2 are ``ns.Izhikevich.preset(name)``:
regular spiking (RS, adapting), intrinsically bursting (IB, a burst then single
spikes), chattering (CH, repeated bursts), fast spiking (FS, fast and without
adaptation) and low-threshold spiking (LTS, fast and adapting). Each neuron
here is its own group under the same step of current, ``I = 10 mV/ms`` from
20 ms on, as in the paper's figure.

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
# One neuron per regime, one step of current
# ------------------------------------------
# ``TimedCurrent`` holds each value for ``dt``, the last one for ever: 0 until
# 20 ms, then 10 mV/ms. Currents of the Izhikevich model are in volts per
# second, the unit of ``du/dt``.
names = {"RS": "regular spiking", "IB": "intrinsically bursting", "CH": "chattering",
         "FS": "fast spiking", "LTS": "low-threshold spiking"}
groups = {r: ns.NeuronGroup(1, ns.Izhikevich.preset(r), name=r) for r in names}
steps = [ns.TimedCurrent(g, np.array([0, 10]) * mV / ms, dt=20 * ms) for g in groups.values()]
spikes = {r: ns.SpikeMonitor(g) for r, g in groups.items()}
traces = {r: ns.StateMonitor(g, "v", record=0) for r, g in groups.items()}
duration = (200 if QUICK else 300) * ms
net = ns.Network(*groups.values(), *steps, *spikes.values(), *traces.values())
net.run(duration, dt=0.1 * ms, seed=1)

# %%
# The signatures in the spike trains
# ----------------------------------
# Intervals shorter than 10 ms are spikes of one burst.
for r, m in spikes.items():
    isi = np.diff(m.t) * 1e3
    print(f"{r:4s} {m.num_spikes:3d} spikes, first ISIs (ms): "
          f"{np.array2string(isi[:5], precision=1)}, last: {isi[-1]:.1f}")

# %%
# Plot
# ----
# A spike is cut at ``v_peak = 30 mV``, then ``v`` is reset to ``c``: the sample
# of the step in which the neuron spikes is drawn at 30 mV, to show the spike.
fig, axes = plt.subplots(len(names), 1, figsize=(8, 9), sharex=True)
for ax, (r, trace) in zip(axes, traces.items()):
    t = np.asarray(trace.t) * 1e3
    v = np.asarray(trace.v[0]) * 1e3
    v[spikes[r].steps] = 30.0
    ax.plot(t, v, color="#1f4e9c", lw=0.8)
    ax.set_ylim(-90, 40)
    ax.set_ylabel("v (mV)")
    ax.set_title(f"{r}: {names[r]}", fontsize=10, loc="left")
    ax.axvspan(20, float(duration) * 1e3, ymin=0, ymax=0.06, color="0.7", lw=0)
axes[0].text(22, -84, "I = 10 mV/ms", fontsize=8, va="bottom")
axes[-1].set_xlabel("time (ms)")
fig.tight_layout()

Path("figures").mkdir(exist_ok=True)
fig.savefig("figures/izhikevich_regimes.png", dpi=100)
