"""
Brunel (2000): the states of a sparse excitatory-inhibitory network
===================================================================

Model A of Brunel (2000): ``N_E`` excitatory and ``N_I = N_E / 4`` inhibitory
leaky integrate-and-fire neurons with delta synapses,

.. math::

    \\tau \\frac{dV_i}{dt} = -V_i + R I_i(t),\\qquad
    R I_i(t) = \\tau \\sum_j J_{ij} \\sum_k \\delta(t - t_j^k - D),

``tau = 20 ms``, threshold ``theta = 20 mV``, reset ``V_r = 10 mV``, refractory
period 2 ms. Each neuron receives ``C_E = 0.1 N_E`` excitatory and
``C_I = C_E / 4`` inhibitory inputs from randomly chosen neurons, which make
its potential jump by ``J`` and ``-g J`` after a delay ``D = 1.5 ms``, and
``C_E`` external excitatory inputs, independent Poisson processes of rate
``nu_ext``. The external rate is given relative to
``nu_thr = theta / (J C_E tau)``, the rate that alone would bring the mean
potential to threshold.

The relative strength of inhibition ``g`` and the drive ``nu_ext / nu_thr``
decide the state of the network (Brunel's Fig. 2 and 8):

* ``g = 3``, ``nu_ext = 2 nu_thr``: excitation dominates; neurons fire
  regularly, near saturation, in synchrony (SR);
* ``g = 5``, ``nu_ext = 2 nu_thr``: inhibition dominates; neurons fire
  irregularly and asynchronously (AI);
* ``g = 6``, ``nu_ext = 4 nu_thr``: inhibition-dominated with a stronger drive;
  irregular firing at a higher rate, on top of a fast, weak population
  oscillation (Brunel's Fig. 8B).

The paper uses ``N_E = 10,000`` and ``J = 0.1 mV``. Here ``N_E = 2,500`` with
``J = 0.4 mV``, so that ``J C_E`` and ``nu_thr``, hence the mean input, are the
paper's (the fluctuations are twice as large); the three states are the same.

Set ``NEUROSIM_QUICK=1`` for a smaller network and a shorter run.
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

N_E = 1000 if QUICK else 2500
N_I = N_E // 4
C_E = N_E // 10                      # sparseness epsilon = 0.1
C_I = C_E // 4
J = 0.1 * mV * (1000 / C_E)          # keeps J C_E = 100 mV, as in the paper
D = 1.5 * ms
TAU, THETA, V_R = 20 * ms, 20 * mV, 10 * mV
NU_THR = THETA / (J * C_E * TAU)
DURATION = (300 if QUICK else 600) * ms


# %%
# The network, as in the paper's methods
# --------------------------------------
# ``ns.LIF`` without synaptic time constants has delta synapses: a spike makes
# ``V`` jump, and input arriving during the refractory period is lost.
# ``ns.FixedIndegree`` draws ``C`` distinct presynaptic neurons per neuron.
# ``ns.PoissonInput`` gives each neuron its own ``C_E`` external Poisson
# sources without storing them as synapses. Initial potentials are uniform
# below threshold.
def simulate(g, eta, seed=1):
    lif = ns.LIF(tau_m=TAU, v_rest=0 * mV, v_reset=V_R, v_th=THETA, refractory=2 * ms)
    cells = ns.NeuronGroup(N_E + N_I, lif, v=ns.Uniform(0 * mV, THETA), name="neurons")
    exc, inh = cells[:N_E], cells[N_E:]
    ee = ns.Synapses(exc, cells, kind="excitatory", weight=J, delay=D,
                     connect=ns.FixedIndegree(C_E))
    ie = ns.Synapses(inh, cells, kind="inhibitory", weight=g * J, delay=D,
                     connect=ns.FixedIndegree(C_I))
    external = ns.PoissonInput(cells, n=C_E, rate=eta * NU_THR, weight=J, kind="excitatory")
    spikes = ns.SpikeMonitor(exc, record=np.arange(50))         # 50 neurons for the raster
    rate = ns.RateMonitor(exc)
    net = ns.Network(cells, ee, ie, external, spikes, rate)
    net.run(DURATION, dt=0.1 * ms, seed=seed)
    return spikes, rate


# %%
# Three points of the phase diagram
# ---------------------------------
states = [(3, 2, "synchronous regular"), (5, 2, "asynchronous irregular"),
          (6, 4, "irregular, higher rate")]
results = {}
for g, eta, label in states:
    spikes, rate = simulate(g, eta)
    settled = rate.t > 0.1                                        # skip the first 100 ms
    mean_rate = rate.rate[settled].mean()
    isi = [np.diff(t[t > 0.1]) for t in spikes.spike_trains().values()]
    cv = np.mean([d.std() / d.mean() for d in isi if d.size >= 2])
    results[g, eta] = (spikes, rate, mean_rate, cv)
    print(f"g = {g}, nu_ext = {eta} nu_thr ({float(eta * NU_THR):.0f} Hz per source): "
          f"{label}, excitatory rate {mean_rate:.1f} Hz, mean CV of ISI {cv:.2f}")

# %%
# Rasters and population rates
# ----------------------------
# As in Brunel's Fig. 8: 50 excitatory neurons over the last 100 ms (top), and
# the instantaneous rate of the excitatory population in 0.1 ms bins (bottom).
t0 = float(DURATION) - 0.1
fig, axes = plt.subplots(2, 3, figsize=(12, 5.5), sharex=True,
                         gridspec_kw={"height_ratios": [2, 1]})
for col, (g, eta, label) in enumerate(states):
    spikes, rate, mean_rate, cv = results[g, eta]
    shown = spikes.t >= t0
    ns.plot_raster((spikes.i[shown], spikes.t[shown]), ax=axes[0, col], markersize=2,
                   colors=["#1f4e9c"])
    axes[0, col].set_title(f"g = {g}, $\\nu_{{ext}}$ = {eta} $\\nu_{{thr}}$\n{label}: "
                           f"{mean_rate:.0f} Hz, CV {cv:.2f}", fontsize=10)
    axes[0, col].set_xlabel("")
    axes[0, col].set_ylim(-0.5, 49.5)
    window = rate.t >= t0
    axes[1, col].plot(rate.t[window] * 1e3, rate.rate[window], color="0.2", lw=0.6)
    axes[1, col].set_xlabel("time (ms)")
    axes[1, col].set_ylabel("rate (Hz)" if col == 0 else "")
    if col:
        axes[0, col].set_ylabel("")
fig.tight_layout()

Path("figures").mkdir(exist_ok=True)
fig.savefig("figures/brunel_states.png", dpi=100)

# %%
# With weak inhibition (g = 3) the neurons fire like clocks and in step,
# so the population rate swings between zero and its maximum. With inhibition
# dominating (g = 5) each neuron fires irregularly (CV near 1) and the
# population rate only fluctuates. A stronger drive (g = 6, nu_ext = 4 nu_thr)
# raises the rate and brings out a fast population rhythm that single neurons
# follow only now and then.
