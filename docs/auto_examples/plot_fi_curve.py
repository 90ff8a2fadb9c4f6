"""
The f-I curve of a LIF neuron
=============================

A leaky integrate-and-fire neuron driven by a constant current ``I`` relaxes
towards ``v_inf = v_rest + R I``. When ``v_inf`` lies above the threshold it
fires regularly, with the period set by the time to charge from ``v_reset``
to ``v_th`` plus the refractory period:

.. math::

    f(I) = \\left[t_{ref} + \\tau_m \\ln\\frac{v_\\infty - v_{reset}}
           {v_\\infty - v_{th}}\\right]^{-1}, \\qquad v_\\infty = v_{rest} + R I,

and ``f = 0`` below the rheobase ``I_th = (v_th - v_rest) / R``. Each neuron of
one group gets its own current, so the whole curve is one simulation. The
simulated rate matches the formula up to the time step: spikes and the end of
the refractory period fall on the grid of steps, so each simulated period
differs from the formula's by less than one step (here 0.1 ms).

Set ``NEUROSIM_QUICK=1`` for a shorter run.
"""
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import neurosim as ns  # noqa: E402
from neurosim.units import ms, mV, pA, pF  # noqa: E402

QUICK = os.environ.get("NEUROSIM_QUICK") == "1"

# %%
# One neuron per current
# ----------------------
# ``c_m`` lets the currents be given in amperes; the membrane resistance is
# ``R = tau_m / c_m = 40 MOhm``, so the rheobase is 15 mV / 40 MOhm = 375 pA.
tau_m, c_m = 10 * ms, 250 * pF
v_rest, v_reset, v_th, t_ref = -65 * mV, -70 * mV, -50 * mV, 2 * ms
lif = ns.LIF(tau_m=tau_m, v_rest=v_rest, v_reset=v_reset, v_th=v_th, refractory=t_ref,
             c_m=c_m)

currents = np.linspace(0, 1500, 31 if QUICK else 121) * pA
cells = ns.NeuronGroup(len(currents), lif, name="cells")
drive = ns.CurrentInput(cells, currents)
spikes = ns.SpikeMonitor(cells)
trace = ns.StateMonitor(cells, "v", record=[12, 20, 30])

duration = (1000 if QUICK else 5000) * ms
net = ns.Network(cells, drive, spikes, trace)
net.run(duration, dt=0.1 * ms, seed=1)

# %%
# The analytic curve
# ------------------
# Rates are counted after a transient of 100 ms; the formula uses plain SI floats.
t_skip = 0.1
counts = np.bincount(spikes.i[spikes.t >= t_skip], minlength=len(currents))
rate = counts / (float(duration) - t_skip)


def lif_rate(i_ext):
    """The analytic firing rate (Hz) for currents ``i_ext`` in amperes."""
    r = float(tau_m) / float(c_m)
    v_inf = float(v_rest) + r * np.asarray(i_ext)
    out = np.zeros_like(v_inf)
    above = v_inf > float(v_th)
    out[above] = 1.0 / (float(t_ref) + float(tau_m) * np.log(
        (v_inf[above] - float(v_reset)) / (v_inf[above] - float(v_th))))
    return out


i_fine = np.linspace(0, float(currents[-1]), 1000)
err = np.abs(rate - lif_rate(np.asarray(currents)))
print(f"largest difference from the formula: {err.max():.2f} Hz")

# The periods themselves: within one step of the formula's.
trains = spikes.spike_trains()
firing = [k for k in trains if trains[k].size > 2]
period = np.array([np.diff(trains[k]).mean() for k in firing])
period_formula = 1.0 / lif_rate(np.asarray(currents)[firing])
print(f"largest period difference: {np.abs(period - period_formula).max() * 1e3:.3f} ms")

# %%
# Plot
# ----
fig, (ax_f, ax_v) = plt.subplots(1, 2, figsize=(10, 4))
ax_f.plot(i_fine * 1e12, lif_rate(i_fine), color="0.3", lw=1.5, label="analytic")
ax_f.plot(np.asarray(currents) * 1e12, rate, "o", ms=3, color="#1f4e9c",
          label="neurosim, dt = 0.1 ms")
ax_f.axvline((float(v_th) - float(v_rest)) * float(c_m) / float(tau_m) * 1e12, ls=":",
             color="0.5", label="rheobase")
ax_f.set_xlabel("injected current (pA)")
ax_f.set_ylabel("firing rate (Hz)")
ax_f.legend(frameon=False)
ax_f.set_title("f-I curve")

ns.plot_state(trace, "v", ax=ax_v, unit=mV, lw=1)
ax_v.set_xlim(0, 100)
ax_v.legend([f"{float(currents[k]) * 1e12:.0f} pA" for k in trace.record], frameon=False,
            loc="lower right")
ax_v.set_title("membrane potential")
fig.tight_layout()

Path("figures").mkdir(exist_ok=True)
fig.savefig("figures/fi_curve.png", dpi=100)
