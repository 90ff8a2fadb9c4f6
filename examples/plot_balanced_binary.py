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
# Each population has ``n`` units (``n = 2000`` in the quick mode, 4,000
# otherwise), and each pair of units is connected with probability ``K/n``,
# as in the paper; ``K/n`` stays at most 0.2, so that inputs are shared
# little. Units update asynchronously: in every step of ``dt = 1 ms`` a unit
# updates with probability ``dt/tau``. They start active
# with the probability of the balance solution. A small random offset of the
# external input (less than one weight) keeps units from sitting exactly on the
# threshold, where the summed input of equal weights would otherwise land.
#
# Below ``K = 100`` the external input alone, ``sqrt(K) m0``, stays below the
# threshold and the network falls silent: the balanced state needs large ``K``.


def balanced_network(k, n, seed):
    sqk = np.sqrt(k)
    rng = np.random.default_rng(seed)
    exc = ns.NeuronGroup(n, ns.McCullochPitts(THETA_E, update="asynchronous", tau=TAU_E),
                         name="E", x=(rng.random(n) < m_bal[0]).astype(float))
    inh = ns.NeuronGroup(n, ns.McCullochPitts(THETA_I, update="asynchronous", tau=TAU_I),
                         name="I", x=(rng.random(n) < m_bal[1]).astype(float))
    rule = ns.FixedProbability(k / n)
    syn = [ns.Synapses(exc, exc, kind="excitatory", weight=1.0 / sqk, connect=rule),
           ns.Synapses(exc, inh, kind="excitatory", weight=1.0 / sqk, connect=rule),
           ns.Synapses(inh, exc, kind="inhibitory", weight=J_E / sqk, connect=rule),
           ns.Synapses(inh, inh, kind="inhibitory", weight=J_I / sqk, connect=rule)]
    drive = [ns.CurrentInput(exc, sqk * E * M0 + (rng.random(n) - 0.5) / sqk),
             ns.CurrentInput(inh, sqk * I * M0 + (rng.random(n) - 0.5) / sqk)]
    rate_e, rate_i = ns.RateMonitor(exc), ns.RateMonitor(inh)
    spikes_e = ns.SpikeMonitor(exc, record=np.arange(100))
    net = ns.Network(exc, inh, *syn, *drive, rate_e, rate_i, spikes_e)
    return net, rate_e, rate_i, spikes_e


ks = [100, 200, 400] if QUICK else [100, 200, 400, 800]
n_units = 2000 if QUICK else 4000
duration = (600 if QUICK else 2000) * ms
dt = 1 * ms
n_skip = 200                      # steps discarded as transient
results = {}
for k in ks:
    net, rate_e, rate_i, spikes_e = balanced_network(k, n_units, seed=k)
    net.run(duration, dt=dt, seed=k)
    # an active unit emits one spike per step: activity = rate * dt
    m_e_t = rate_e.rate * float(dt)
    m_i_t = rate_i.rate * float(dt)
    results[k] = dict(m_e=m_e_t[n_skip:].mean(), m_i=m_i_t[n_skip:].mean(), t=rate_e.t,
                      m_e_t=m_e_t, raster=(spikes_e.i, spikes_e.t))
    print(f"K = {k:4d}: m_E = {results[k]['m_e']:.4f}, m_I = {results[k]['m_i']:.4f}")

# %%
# Plot
# ----
# Left: the activities rise towards the balance solution as ``K`` grows. They
# approach it slowly: the balance equations are nearly singular (determinant
# 0.2), so a residual of order ``1/sqrt(K)`` moves the activities five times
# as much. Middle: what does converge is the balance of the inputs. The mean
# excitatory input to an excitatory unit, ``sqrt(K) (E m0 + m_E)``, and the
# inhibitory one, ``sqrt(K) J_E m_I``, grow like ``sqrt(K)``, while their
# difference stays of order one and below the threshold: units cross it on
# the fluctuations of their input, which are of order one too. Right: in the largest
# network single units switch on and off irregularly while the population
# activity stays nearly constant.
ka = np.array(ks, dtype=float)
m_e = np.array([results[k]["m_e"] for k in ks])
m_i = np.array([results[k]["m_i"] for k in ks])
fig, axes = plt.subplots(1, 3, figsize=(13, 4))
ax = axes[0]
ax.semilogx(ka, m_e, "o-", color="#1f4e9c", label="$m_E$")
ax.semilogx(ka, m_i, "s-", color="#c0392b", label="$m_I$")
ax.axhline(m_bal[0], ls="--", color="0.4", lw=1, label="balance solution ($K \\to \\infty$)")
ax.set_ylim(0, 0.12)
ax.set_xlabel("mean inputs per population K")
ax.set_ylabel("population activity")
ax.set_xticks(ka)
ax.set_xticklabels([str(k) for k in ks])
ax.minorticks_off()
ax.legend(frameon=False, loc="lower right")
ax.set_title("activity vs K")

ax = axes[1]
excitation = np.sqrt(ka) * (E * M0 + m_e)
inhibition = np.sqrt(ka) * J_E * m_i
ax.loglog(ka, excitation, "o-", color="#1f4e9c", label="excitatory input")
ax.loglog(ka, inhibition, "s-", color="#c0392b", label="inhibitory input")
ax.loglog(ka, np.abs(excitation - inhibition), "^-", color="0.2", label="|net input|")
ax.axhline(THETA_E, ls=":", color="0.5", lw=1, label="threshold")
ax.set_xlabel("mean inputs per population K")
ax.set_ylabel("mean input to an excitatory unit")
ax.set_xticks(ka)
ax.set_xticklabels([str(k) for k in ks])
ax.minorticks_off()
ax.legend(frameon=False, fontsize=8)
ax.set_title("excitation and inhibition cancel")

ax = axes[2]
big = results[ks[-1]]
i, t = big["raster"]
ax.plot(t * 1e3, i, ",", color="0.3")
ax.set_xlabel("time (ms)")
ax.set_ylabel("excitatory unit (marks: active)")
ax2 = ax.twinx()
ax2.plot(big["t"] * 1e3, big["m_e_t"], color="#1f4e9c", lw=1)
ax2.set_ylim(0, 0.3)
ax2.set_ylabel("$m_E(t)$", color="#1f4e9c")
ax.set_title(f"K = {ks[-1]}")
fig.tight_layout()

Path("figures").mkdir(exist_ok=True)
fig.savefig("figures/balanced_binary.png", dpi=100)
