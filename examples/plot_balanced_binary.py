"""
The balanced state of binary neurons
====================================

van Vreeswijk & Sompolinsky (1996, 1998) showed that a network of binary
(McCulloch-Pitts) units with strong excitation and stronger inhibition settles
into a *balanced state*: each unit receives ``K`` excitatory and ``K``
inhibitory inputs of strength ``J/sqrt(K)`` and an external drive
``sqrt(K) E m0``, so excitation and inhibition are each of order ``sqrt(K)``
while their sum stays of order one. For this to hold as ``K`` grows, the terms
of order ``sqrt(K)`` must cancel, which fixes the population activities
``m_E`` and ``m_I`` through linear *balance equations*:

.. math::

    E\\, m_0 + J_{EE}\\, m_E - J_E\\, m_I = 0, \\qquad
    I\\, m_0 + J_{IE}\\, m_E - J_I\\, m_I = 0 .

The activities no longer depend on the thresholds or on ``K``. At finite ``K``
they deviate from this solution by terms of order ``1/sqrt(K)``; this example
measures that approach. Parameters of the 1998 paper (section 5): ``E = 1``,
``I = 0.8``, ``J_EE = J_IE = 1``, ``J_E = 2``, ``J_I = 1.8``, thresholds 1 and
0.7, ``m0 = 0.1``, update times ``tau_E = 10 ms`` and ``tau_I = 9 ms``.

Set ``NEUROSIM_QUICK=1`` for smaller networks and a shorter run.
"""
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import neurosim as ns  # noqa: E402
from neurosim.units import ms  # noqa: E402

QUICK = os.environ.get("NEUROSIM_QUICK") == "1"

E, I, J_E, J_I, THETA_E, THETA_I, M0 = 1.0, 0.8, 2.0, 1.8, 1.0, 0.7, 0.1
TAU_E, TAU_I = 10 * ms, 9 * ms

# %%
# The balance solution
# --------------------
# Two linear equations in ``m_E`` and ``m_I``.
m_bal = np.linalg.solve([[1.0, -J_E], [1.0, -J_I]], [-E * M0, -I * M0])
print(f"balance solution: m_E = {m_bal[0]:.3f}, m_I = {m_bal[1]:.3f}")

# %%
# One network per K
# -----------------
# Each population has ``n = 10 K`` units (at most 5,000), every unit exactly
# ``K`` inputs from each population. Units update asynchronously: in every step
# of ``dt = 1 ms`` a unit updates with probability ``dt/tau``. They start active
# with the probability of the balance solution. A small random offset of the
# external input (less than one weight) keeps units from sitting exactly on the
# threshold, where the summed input of equal weights would otherwise land.


def balanced_network(k, seed):
    n = min(10 * k, 5000)
    sqk = np.sqrt(k)
    rng = np.random.default_rng(seed)
    exc = ns.NeuronGroup(n, ns.McCullochPitts(THETA_E, update="asynchronous", tau=TAU_E),
                         name="E", x=(rng.random(n) < m_bal[0]).astype(float))
    inh = ns.NeuronGroup(n, ns.McCullochPitts(THETA_I, update="asynchronous", tau=TAU_I),
                         name="I", x=(rng.random(n) < m_bal[1]).astype(float))
    syn = [ns.Synapses(exc, exc, kind="excitatory", weight=1.0 / sqk,
                       connect=ns.FixedIndegree(k)),
           ns.Synapses(exc, inh, kind="excitatory", weight=1.0 / sqk,
                       connect=ns.FixedIndegree(k)),
           ns.Synapses(inh, exc, kind="inhibitory", weight=J_E / sqk,
                       connect=ns.FixedIndegree(k)),
           ns.Synapses(inh, inh, kind="inhibitory", weight=J_I / sqk,
                       connect=ns.FixedIndegree(k))]
    drive = [ns.CurrentInput(exc, sqk * E * M0 + (rng.random(n) - 0.5) / sqk),
             ns.CurrentInput(inh, sqk * I * M0 + (rng.random(n) - 0.5) / sqk)]
    rate_e, rate_i = ns.RateMonitor(exc), ns.RateMonitor(inh)
    spikes_e = ns.SpikeMonitor(exc, record=np.arange(100))
    net = ns.Network(exc, inh, *syn, *drive, rate_e, rate_i, spikes_e)
    return net, rate_e, rate_i, spikes_e


ks = [25, 50, 100, 200] if QUICK else [25, 50, 100, 200, 400, 800]
duration = (500 if QUICK else 2000) * ms
t_skip = 100 * ms
dt = 1 * ms
results = {}
for k in ks:
    net, rate_e, rate_i, spikes_e = balanced_network(k, seed=k)
    net.run(duration, dt=dt, seed=k)
    # an active unit emits one spike per step: activity = rate * dt
    keep = rate_e.t >= float(t_skip)
    m_e = rate_e.rate[keep] * float(dt)
    m_i = rate_i.rate[keep] * float(dt)
    results[k] = dict(m_e=m_e.mean(), m_i=m_i.mean(), trace_t=rate_e.t, trace=rate_e.rate * float(dt),
                      raster=(spikes_e.i, spikes_e.t))
    print(f"K = {k:4d}: m_E = {m_e.mean():.4f}, m_I = {m_i.mean():.4f}")

# %%
# Plot
# ----
# Left: the activities approach the balance solution as ``K`` grows, with the
# deviation falling like ``1/sqrt(K)`` (right). Middle: the largest network's
# activity and the states of 100 excitatory units; each unit switches on and
# off irregularly while the population activity stays nearly constant.
m_e = np.array([results[k]["m_e"] for k in ks])
m_i = np.array([results[k]["m_i"] for k in ks])
fig, axes = plt.subplots(1, 3, figsize=(13, 4))
ax = axes[0]
ax.semilogx(ks, m_e, "o-", color="#1f4e9c", label="$m_E$")
ax.semilogx(ks, m_i, "s-", color="#c0392b", label="$m_I$")
ax.axhline(m_bal[0], ls="--", color="#1f4e9c", lw=1, label="balance solution")
ax.axhline(m_bal[1], ls=":", color="#c0392b", lw=1)
ax.set_xlabel("inputs per population K")
ax.set_ylabel("population activity")
ax.set_xticks(ks)
ax.set_xticklabels([str(k) for k in ks])
ax.minorticks_off()
ax.legend(frameon=False)
ax.set_title("activity vs K")

ax = axes[1]
big = results[ks[-1]]
i, t = big["raster"]
ax.plot(t * 1e3, i, ",", color="0.2")
ax.set_xlabel("time (ms)")
ax.set_ylabel("excitatory unit (active steps)")
ax2 = ax.twinx()
ax2.plot(big["trace_t"] * 1e3, big["trace"], color="#1f4e9c", lw=1)
ax2.set_ylim(0, 0.5)
ax2.set_ylabel("$m_E(t)$", color="#1f4e9c")
ax.set_title(f"K = {ks[-1]}")

ax = axes[2]
dev = np.abs(m_e - m_bal[0]) + np.abs(m_i - m_bal[1])
ax.loglog(ks, dev, "o-", color="0.2", label="$|m_E - m_E^*| + |m_I - m_I^*|$")
ax.loglog(ks, dev[0] * np.sqrt(ks[0] / np.array(ks)), "--", color="0.6",
          label=r"$\propto 1/\sqrt{K}$")
ax.set_xlabel("inputs per population K")
ax.set_ylabel("distance from the balance solution")
ax.legend(frameon=False, fontsize=8)
ax.set_title("finite-K correction")
fig.tight_layout()

Path("figures").mkdir(exist_ok=True)
fig.savefig("figures/balanced_binary.png", dpi=100)
