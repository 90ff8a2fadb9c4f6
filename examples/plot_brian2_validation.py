"""
Validation against Brian2
=========================

The same network simulated by neurosim and by Brian2, built from one
description. ``neurosim.interop.brian2.to_brian2`` writes a built neurosim
network as a Brian2 network: the model equations in Brian2's syntax
(``method='exact'`` for current-based LIF neurons, ``'euler'`` for
conductance-based ones), neurosim's connectivity, weights and delays, its
initial state, and its random input replayed from neurosim's counter-based
generator. Brian2 then generates and runs its own code, with its default
schedule (state update, threshold, synapses, reset), which is neurosim's.

Two comparisons:

1. **Spike for spike** (same input): CUBA, 4,000 neurons. Brian2's exact
   integrator writes the propagator as a different formula, so membrane
   potentials differ in the last bits; the figure shows that these
   differences stay at ~1e-16 V and that not one spike differs.
2. **In statistics** (independent input): Brunel's model A with Brian2's own
   ``PoissonInput``, so the spike trains differ from the first milliseconds
   and only their statistics can agree: population rate, CV of the
   inter-spike intervals and Fano factor, with 99 % confidence intervals.

Run with ``python examples/plot_brian2_validation.py`` (about a minute on one
core; ``NEUROSIM_QUICK=1`` for a 300 ms version). It saves
``figures/brian2_validation.png``.
"""
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import neurosim as ns  # noqa: E402
from neurosim.interop.brian2 import to_brian2  # noqa: E402
from neurosim.interop.validation import (compare_statistics, first_divergence,  # noqa: E402
                                         spike_statistics)
from neurosim.units import Hz, mV, ms  # noqa: E402

QUICK = os.environ.get("NEUROSIM_QUICK") == "1"
DT = 0.1 * ms
duration = (300 if QUICK else 1000) * ms

# %%
# CUBA in both simulators
# -----------------------
# The network is built by neurosim (``net.build``), exported before it runs,
# and then simulated by both. ``twin.recording(monitor)`` returns what Brian2
# recorded for a neurosim monitor, in neurosim's format (indices, steps, times
# in seconds, states in volts).
lif = ns.LIF(tau_m=20 * ms, v_rest=-49 * mV, v_reset=-60 * mV, v_th=-50 * mV,
             refractory=5 * ms, tau_syn_e=5 * ms, tau_syn_i=10 * ms)
cells = ns.NeuronGroup(4000, lif, v=ns.Uniform(-60 * mV, -50 * mV), name="cuba")
ee = ns.Synapses(cells[:3200], cells, kind="excitatory", weight=1.62 * mV,
                 connect=ns.FixedProbability(0.02))
ie = ns.Synapses(cells[3200:], cells, kind="inhibitory", weight=9 * mV,
                 connect=ns.FixedProbability(0.02))
spikes = ns.SpikeMonitor(cells)
rate = ns.RateMonitor(cells)
trace = ns.StateMonitor(cells, "v", record=np.arange(0, 4000, 50))
net = ns.Network(cells, ee, ie, spikes, rate, trace)
net.build(DT, seed=1)

twin = to_brian2(net)              # Brian2 objects in twin.brian2_network
twin.run(duration)
net.run(duration, backend="numba")
b2_spikes, b2_rate, b2_trace = (twin.recording(m) for m in (spikes, rate, trace))

first = first_divergence(spikes.steps, spikes.i, b2_spikes.steps, b2_spikes.i)
dv = np.abs(trace.v - b2_trace.v).max(axis=0)
print(f"CUBA: {spikes.num_spikes} spikes in neurosim, {b2_spikes.num_spikes} in Brian2; "
      f"first differing spike: {'none' if first is None else f'{first * 0.1:.1f} ms'}; "
      f"largest |v difference| {dv.max():.1e} V")

# %%
# Brunel's model A with independent noise
# ---------------------------------------
# 2,000 excitatory and 500 inhibitory delta-synapse neurons, in-degrees 200 and
# 50, ``J = 0.5 mV`` (``J C_E`` as in the paper), ``g = 5``, delay 1.5 ms,
# external rate ``2 nu_thr``. ``poisson='brian2'`` gives Brian2 its own
# ``PoissonInput`` (binomial counts from its own generator) instead of
# replaying neurosim's draws.
n_e, n_i, c_e, c_i, j = 2000, 500, 200, 50, 0.5
bl = ns.LIF(tau_m=20 * ms, v_rest=0 * mV, v_reset=10 * mV, v_th=20 * mV, refractory=2 * ms)
bcells = ns.NeuronGroup(n_e + n_i, bl, v=ns.Uniform(0 * mV, 20 * mV), name="brunel")
bee = ns.Synapses(bcells[:n_e], bcells, kind="excitatory", weight=j * mV, delay=1.5 * ms,
                  connect=ns.FixedIndegree(c_e))
bie = ns.Synapses(bcells[n_e:], bcells, kind="inhibitory", weight=5 * j * mV, delay=1.5 * ms,
                  connect=ns.FixedIndegree(c_i))
nu_thr = 20.0 / (j * c_e * 20e-3)
drive = ns.PoissonInput(bcells, n=c_e, rate=2 * nu_thr * Hz, weight=j * mV, kind="excitatory")
bspikes, brate = ns.SpikeMonitor(bcells), ns.RateMonitor(bcells)
bnet = ns.Network(bcells, bee, bie, drive, bspikes, brate)
bnet.build(DT, seed=1)
btwin = to_brian2(bnet, poisson="brian2", brian2_seed=1)
btwin.run(duration)
bnet.run(duration, backend="numba")
b2_bspikes, b2_brate = btwin.recording(bspikes), btwin.recording(brate)

# Statistics from 10 % of the run on, Fano factors of counts in 20 ms windows,
# errors from a jackknife over time blocks (see neurosim.interop.validation).
t0, blocks = 0.1 * float(duration), (5 if QUICK else 10)
a = spike_statistics(bspikes.steps, bspikes.i, n_e + n_i, float(DT), t0, float(duration),
                     n_blocks=blocks, window=0.02)
b = spike_statistics(b2_bspikes.steps, b2_bspikes.i, n_e + n_i, float(DT), t0,
                     float(duration), n_blocks=blocks, window=0.02)
table = compare_statistics(a, b, level=0.99)
for name, row in table.items():
    print(f"Brunel A {name:5s}: neurosim {row['a']:.3f}, Brian2 {row['b']:.3f}, "
          f"difference {row['diff']:+.3f} (99 % CI +-{row['half_width']:.3f}) "
          f"{'agree' if row['agree'] else 'DISAGREE'}")

# %%
# The figure
# ----------
# Top: CUBA rasters overlaid (neurosim dots, Brian2 rings) and the largest
# difference of the recorded potentials over time. Bottom: population rates of
# CUBA (5 ms windows) and Brunel's model A (20 ms windows) from both simulators.
fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
ax = axes[0, 0]
window = (spikes.t < 0.2) & (spikes.i < 100)
b2_window = (b2_spikes.t < 0.2) & (b2_spikes.i < 100)
ax.plot(spikes.t[window] * 1e3, spikes.i[window], ".", ms=3, color="#1f4e9c", label="neurosim")
ax.plot(b2_spikes.t[b2_window] * 1e3, b2_spikes.i[b2_window], "o", ms=6, mfc="none",
        mew=0.7, color="#e67e22", label="Brian2")
ax.set(xlabel="time (ms)", ylabel="neuron", ylim=(-1, 112),
       title="CUBA, neurons 0-99: the same spikes")
ax.legend(loc="upper right", ncol=2, frameon=False)

ax = axes[0, 1]
ax.semilogy(trace.t * 1e3, np.maximum(dv, 1e-19), color="0.2", lw=0.8)
ax.axhline(np.spacing(0.06), color="#c0392b", ls="--", lw=0.8,
           label="float64 spacing at 60 mV")
ax.set(xlabel="time (ms)", ylabel="max |v_neurosim - v_Brian2| (V)", ylim=(1e-19, 1e-12),
       title="CUBA, 80 recorded neurons: rounding, not growing")
ax.legend(loc="upper right", frameon=False)

r, cv = table["rate"], table["cv"]
for ax, mon, b2mon, width, name in (
        (axes[1, 0], rate, b2_rate, 5 * ms, "CUBA, same input: the same rate"),
        (axes[1, 1], brate, b2_brate, 20 * ms,
         f"Brunel A, independent noise: the same statistics\n{r['a']:.1f} vs {r['b']:.1f} Hz, "
         f"CV of ISI {cv['a']:.2f} vs {cv['b']:.2f}")):
    ax.plot(mon.t * 1e3, mon.smooth_rate(width), color="#1f4e9c", lw=1.2, label="neurosim")
    ax.plot(b2mon.t * 1e3, b2mon.smooth_rate(width), color="#e67e22", lw=1, ls="--",
            label="Brian2")
    ax.set(xlabel="time (ms)", ylabel=f"population rate, {float(width) * 1e3:g} ms (Hz)",
           title=name)
    ax.legend(loc="upper right", ncol=2, frameon=False)
fig.tight_layout()

Path("figures").mkdir(exist_ok=True)
fig.savefig("figures/brian2_validation.png", dpi=100)

# %%
# With the same input the two simulators give the same spikes over the whole
# run; with independent noise they agree in rate, irregularity (CV of ISIs)
# and count variability (Fano factor). See ``docs/validation.md`` for all
# networks tested and the measured numbers.
