"""
Firing patterns of the AdEx neuron
==================================

The adaptive exponential integrate-and-fire neuron (``ns.AdEx``; Brette & Gerstner
2005) has two variables, the membrane potential ``v`` and an adaptation current
``w``:

.. math::

    C \\frac{dv}{dt} = -g_L (v - E_L) + g_L \\Delta_T e^{(v - V_T)/\\Delta_T} - w + I,
    \\qquad \\tau_w \\frac{dw}{dt} = a (v - E_L) - w,

and at each spike ``v`` is reset to ``V_r`` and ``w`` jumps by ``b``. Naud,
Marcille, Clopath & Gerstner (2008) showed that these few parameters give most of
the firing patterns of cortical neurons under a step of current. Each panel below
is one neuron with the parameters and the step current of their Table 1 (their
Fig. 4; ``ns.AdEx.firing_pattern`` holds the table), from rest, for 500 ms:

* **tonic**: after the first interval, the same interval again and again;
* **adapting**: intervals that grow, as ``w`` builds up spike after spike;
* **initial burst**: a few fast spikes, then regular slower firing;
* **bursting**: bursts of spikes separated by long pauses (a reset above the
  threshold ``V_T`` and a large ``b``);
* **irregular**: no periodic pattern, though the model is deterministic (chaos);
* **transient**: a few spikes at the onset, then ``w`` holds ``v`` below threshold;
* **delayed**: a long delay before the first spike (``a < 0``: the adaptation
  current depolarises), then accelerating firing.

The spikes are drawn as vertical lines up to the cut-off ``v_peak = 0 mV``, where
the exponential term has carried ``v`` within a fraction of a millisecond.

Set ``NEUROSIM_QUICK=1`` for a shorter run (this one is short anyway).
"""
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import neurosim as ns  # noqa: E402
from neurosim.units import ms, pA  # noqa: E402

QUICK = os.environ.get("NEUROSIM_QUICK") == "1"

# %%
# One neuron per pattern
# ----------------------
# All seven neurons run in one network: each group has its own ``AdEx`` model and
# its own step of current, switched on after 20 ms at rest.
PATTERNS = ("tonic", "adapting", "initial_burst", "bursting", "irregular", "transient",
            "delayed")
onset = 20 * ms
duration = (300 if QUICK else 500) * ms
objects, traces, spikes, steps = [], {}, {}, {}
for name in PATTERNS:
    model, current = ns.AdEx.firing_pattern(name)
    cell = ns.NeuronGroup(1, model, name=name)
    # zero for the first 20 ms, then the step
    drive = ns.TimedCurrent(cell, np.array([0.0, float(current / pA)]) * pA, dt=onset)
    traces[name] = ns.StateMonitor(cell, "v", record=0)
    spikes[name] = ns.SpikeMonitor(cell)
    steps[name] = current
    objects += [cell, drive, traces[name], spikes[name]]

net = ns.Network(*objects)
net.run(duration, dt=0.1 * ms, seed=1)

for name in PATTERNS:
    isi = np.diff(spikes[name].t) * 1e3
    shown = ", ".join(f"{x:.1f}" for x in isi[:6])
    print(f"{name:>14}: {spikes[name].num_spikes:3d} spikes, first intervals (ms): {shown}")

# %%
# Plot
# ----
# The recorded ``v`` is the value at the start of each step: a spike's step ends
# with ``v`` at ``v_reset``, so the spike itself is drawn on top, up to ``v_peak``.
fig, axes = plt.subplots(len(PATTERNS), 1, figsize=(8, 12), sharex=True)
for ax, name in zip(axes, PATTERNS):
    t = traces[name].t * 1e3
    v = traces[name].v[0] * 1e3
    ax.plot(t, v, color="#1f4e9c", lw=0.8)
    # the sample of a spike's step holds v before the step: draw the spike from there
    steps_of_spikes = spikes[name].steps
    ax.vlines(t[steps_of_spikes], v[steps_of_spikes], 0.0, color="#1f4e9c", lw=0.8)
    ax.set_ylabel("v (mV)")
    ax.set_title(f"{name.replace('_', ' ')}: {float(steps[name] / pA):.0f} pA", fontsize=10,
                 loc="left")
    ax.set_ylim(-75, 5)
axes[-1].set_xlabel("time (ms)")
fig.tight_layout()

Path("figures").mkdir(exist_ok=True)
fig.savefig("figures/adex_firing_patterns.png", dpi=100)
