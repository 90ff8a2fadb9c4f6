"""
Reward-modulated STDP: a delayed reward singles out one synapse (Izhikevich 2007)
=================================================================================

A reward often comes seconds after the spikes that earned it, when those spikes
are long gone and the network has fired thousands of others: the *distal
reward problem*. Izhikevich (2007, Cerebral Cortex 17:2443, "Solving the
distal reward problem through linkage of STDP and dopamine signaling") showed
that spike-timing-dependent plasticity gated by dopamine solves it. A pair of
spikes does not change a synapse; it tags it with an eligibility trace
:math:`c` that fades over :math:`\\tau_c = 1` s, and the weight changes only
where the tag meets dopamine :math:`d`:

.. math::

    \\frac{dc}{dt} = -\\frac{c}{\\tau_c} + \\mathrm{STDP}(\\Delta t)\\,
    \\delta(t - t_\\mathrm{pre/post}), \\qquad
    \\frac{dd}{dt} = -\\frac{d}{\\tau_d} + \\mathrm{DA}(t), \\qquad
    \\frac{dw}{dt} = c\\, d,

with :math:`\\tau_d = 0.2` s. This is :class:`~neurosim.RewardSTDP`.

**The experiment** (the paper's Fig. 1). 1000 Izhikevich neurons, 800
regular-spiking excitatory and 200 fast-spiking inhibitory ones; each sends
100 synapses to random targets (excitatory neurons to any neuron, inhibitory
ones to excitatory neurons only), with a delay of 1 ms. Excitatory weights
start at 1 mV (a jump of ``v``) and are plastic in [0, 4] mV; inhibitory ones
are fixed at 1 mV. One excitatory synapse :math:`n \\to m` is chosen and set
to 0. Every time :math:`m` fires less than 20 ms after :math:`n`, a reward is
scheduled 1 to 3 s later (uniformly), and when it falls due the dopamine level
jumps. Meanwhile the network goes on firing at random, and every reward also
meets whatever tags the other 79,999 synapses happen to carry. The chosen
synapse is the one that was tagged positively 1 to 3 s before every reward;
does that suffice to single it out?

**From the paper's published code to neurosim's parameters.** The numbers
here are those of the MATLAB program that made the figure (``daspnet.m``,
ModelDB 84167). Its STDP trace is set to 0.1 at each spike (set, not added:
nearest-spike pairing) and decays with 20 ms; a postsynaptic spike adds the
presynaptic trace to the tag, a presynaptic spike's arrival subtracts 1.5
times the postsynaptic trace (:math:`A_- = 1.5 A_+`). Every 10 ms it adds
:math:`(0.002 + \\mathrm{DA})\\, c` to the weights, where DA decays with 0.2 s
and rises by 0.5 per reward and 0.002 is a tonic level: in continuous time
:math:`dw/dt = (\\mathrm{DA} + 0.002)\\, c / 10\\,\\mathrm{ms}`. neurosim's rule
is :math:`dw/dt = (w_\\max - w_\\min)\\, c\\, (d - b)` with a tag of
``a_plus`` per pair (dimensionless) and :math:`d` in Hz. With ``a_plus =
0.25`` (the paper's :math:`A_+ = 1` over :math:`w_\\max = 4`) and
``a_minus = 0.375``, a code tag of :math:`0.1 x` is a neurosim tag of
:math:`0.25 x`, and the two rates agree when :math:`d - b = 10\\,(\\mathrm{DA} +
0.002)` Hz: a reward raises :math:`d` by 5 Hz, and the tonic level is the
baseline :math:`b = -0.02` Hz (so that :math:`d - b = d + 0.02` Hz). Read
literally, with tags of :math:`A_+ = 1` and :math:`dw/dt = c\\,d` per ms, the
paper's equations would learn 100 times faster (500 Hz per reward, the
number in ``RewardSTDP``'s docstring); the code's slower rate is the one that
took an hour of simulated time.

The neurons are :class:`~neurosim.Izhikevich` with the RS and FS parameters of
Izhikevich (2003), one group with ``a`` and ``d`` per neuron. The code steps
``v`` in two half steps of 0.5 ms and ``u`` in steps of 1 ms; neurosim steps
both by forward Euler, here with ``dt = 0.5 ms``. The random "thalamic"
input of the code is a current drawn anew each ms for every neuron, uniform
in [-6.5, 6.5] mV/ms: a zero-mean kick of ``v`` with a variance of 14 mV² per
ms. Here each neuron gets excitatory and inhibitory Poisson kicks of 1 mV at
6 kHz each (two :class:`~neurosim.PoissonInput`): zero mean, 12 mV² per ms.
Poisson kicks have heavier tails than uniform ones, so the variance is a
little smaller than the code's; with it the excitatory neurons fire at 1.4 Hz,
as in the code (measured with a numpy transcription of it, not part of
neurosim), and the inhibitory ones at 1.2 Hz (0.9 Hz in the code),
asynchronously.

**The closed loop** is the script's: the network runs one second at a time; after
each second the script reads the spikes of :math:`n` and :math:`m` (a
:class:`~neurosim.SpikeMonitor` of the two), finds the coincidences and
schedules their rewards. A reward falls due at least 1 s after its
coincidence, so always in a later second; that second is run up to the
reward's step, ``syn.dopamine`` is raised by the reward, and the run goes on.
A ``run()`` call costs well under a millisecond more than the steps it
simulates, so the loop adds little. Reading ``syn.weight`` costs more here,
most of a second (all 80,000 weights are integrated up to the current step),
so the script follows 8,000 of the other synapses with a
:class:`~neurosim.StateMonitor` (every 30 s) and the chosen one (every 10
ms), and reads all the weights once, at the end.

The full run is the paper's hour of simulated time; it took 10.5 minutes on
a two-core machine shared with other work. Set ``NEUROSIM_QUICK=1`` for 30 s
of simulated time (about 15 s in all), which shows only the start: a reward
or two.
"""
import os
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import neurosim as ns  # noqa: E402
from neurosim.units import Hz, mV, ms, second  # noqa: E402

QUICK = os.environ.get("NEUROSIM_QUICK") == "1"
SECONDS = 30 if QUICK else 3600         # simulated time
DT = 0.5e-3                             # s
NE, NI, M = 800, 200, 100               # excitatory, inhibitory neurons; synapses per neuron
W_MAX = 4.0                             # mV
INTERVAL = 20e-3                        # s: m fires less than this after n
DELAY = (1.0, 3.0)                      # s: from the coincidence to its reward
REWARD = 5.0                            # Hz: the jump of the dopamine level per reward
TONIC = 0.02                            # Hz: the code's tonic dopamine level
NOISE = 12.0                            # mV^2 per ms: variance of the thalamic kicks
KICK = 1.0                              # mV: one thalamic kick
SAMPLE = 8000                           # other synapses followed in time
EVERY = 5 if QUICK else 30              # s between their samples
rng = np.random.default_rng(2007)

# %%
# The network
# -----------
# The random targets are drawn here, as in the paper's code (with replacement:
# a neuron may contact another twice, or itself), and given to ``Synapses`` as
# explicit ``(i, j)`` lists, so that the chosen synapse is known before the
# build: the first synapse of neuron 0 onto another excitatory neuron that it
# contacts only once.
a = np.r_[np.full(NE, 0.02), np.full(NI, 0.1)] / ms          # RS, then FS
d = np.r_[np.full(NE, 8.0), np.full(NI, 2.0)] * mV / ms
cells = ns.NeuronGroup(NE + NI, ns.Izhikevich(a=a, b=0.2 / ms, c=-65 * mV, d=d), name="cells")
exc, inh = cells[:NE], cells[NE:]

pre_e, post_e = np.repeat(np.arange(NE), M), rng.integers(0, NE + NI, NE * M)
pre_i, post_i = np.repeat(np.arange(NI), M), rng.integers(0, NE, NI * M)
n = 0
targets = post_e[:M]
k = next(s for s in range(M) if 0 < targets[s] < NE and np.sum(targets == targets[s]) == 1)
m = int(targets[k])

rule = ns.RewardSTDP(tau_plus=20 * ms, tau_minus=20 * ms, a_plus=0.25, a_minus=0.375,
                     tau_c=1 * second, tau_d=200 * ms, w_max=W_MAX * mV,
                     baseline=-TONIC * Hz, pairing="nearest")
w0 = np.ones(NE * M)
w0[k] = 0.0                                                  # the chosen synapse starts at 0
syn = ns.Synapses(exc, cells, kind="excitatory", weight=w0 * mV, delay=1 * ms,
                  connect=(pre_e, post_e), plasticity=rule, name="exc")
inh_syn = ns.Synapses(inh, exc, kind="inhibitory", weight=1 * mV, delay=1 * ms,
                      connect=(pre_i, post_i), name="inh")
thalamus = [ns.PoissonInput(cells, 1, NOISE / (2 * KICK**2) * 1e3 * Hz, KICK * mV, kind)
            for kind in ("excitatory", "inhibitory")]
pair = ns.SpikeMonitor(cells, record=[n, m])                # for the closed loop
spikes = ns.SpikeMonitor(cells)                             # for the raster and the rates
chosen = ns.StateMonitor(syn, ["weight", "c"], record=[k], every=int(round(10e-3 / DT)))
sample = np.sort(rng.choice(np.delete(np.arange(NE * M), k), SAMPLE, replace=False))
others_t = ns.StateMonitor(syn, "weight", record=sample, every=int(round(EVERY / DT)))
net = ns.Network(cells, syn, inh_syn, *thalamus, pair, spikes, chosen, others_t)
net.build(dt=DT * second, seed=1)
print(f"chosen synapse {k}: neuron {n} -> neuron {m}")

# %%
# The closed loop
# ---------------
# One second at a time. ``pending`` holds the rewards to come, as (step at
# which it falls due, step of the coincidence that earned it). A reward is
# earned by a spike of ``m`` whose last spike of ``n`` (at the same step or
# before) lies 1 step to less than 20 ms before it; a spike of ``n`` in the
# same step as ``m``'s does not count, as in the code.
per_second, window = int(round(1 / DT)), int(round(INTERVAL / DT))
pending, delivered = [], []
last_n, seen, calls = -10**9, 0, 0
tic = time.perf_counter()
for sec in range(SECONDS):
    now, end = sec * per_second, (sec + 1) * per_second
    for r, s in sorted(p for p in pending if p[0] < end):
        if r > now:
            net.run((r - now) * DT * second, backend="numba")
            now, calls = r, calls + 1
        syn.dopamine = (syn.dopamine + REWARD) * Hz
        delivered.append((r, s))
    pending = [p for p in pending if p[0] >= end]
    net.run((end - now) * DT * second, backend="numba")
    calls += 1

    steps, who = pair.steps[seen:], pair.i[seen:]
    seen += steps.size
    n_steps = np.r_[last_n, steps[who == n]]
    m_steps = steps[who == m]
    if n_steps.size > 1:
        last_n = int(n_steps[-1])
    lag = m_steps - n_steps[np.searchsorted(n_steps, m_steps, side="right") - 1]
    for s in m_steps[(lag > 0) & (lag < window)]:
        pending.append((int(s + round(rng.uniform(*DELAY) / DT)), int(s)))

    if (sec + 1) % 600 == 0:
        sampled = others_t.weight[:, -1] / (W_MAX * 1e-3)
        print(f"{(sec + 1) // 60} min: chosen {chosen.weight[0, -1] * 1e3:.2f} mV, sampled "
              f"others: {100 * np.mean(sampled >= 0.9):.2f} % above 0.9 w_max, "
              f"{len(delivered)} rewards, {time.perf_counter() - tic:.0f} s", flush=True)
seconds = time.perf_counter() - tic

w = syn.weight * 1e3
others = np.delete(w, k)
rank = int(np.sum(others >= w[k]))
rate_exc = spikes.count[:NE].sum() / NE / SECONDS
rate_inh = spikes.count[NE:].sum() / NI / SECONDS
print(f"{SECONDS} s simulated in {seconds:.0f} s ({calls} calls of run); firing rates "
      f"{rate_exc:.2f} Hz (excitatory), {rate_inh:.2f} Hz (inhibitory)")
w_chosen = chosen.weight[0] * 1e3
top = np.nonzero(w_chosen >= 0.9 * W_MAX)[0]
if top.size:
    print(f"the chosen weight first reached 0.9 w_max after {chosen.t[top[0]] / 60:.1f} min and "
          f"stayed above it for {100 * np.mean(w_chosen[top[0]:] >= 0.9 * W_MAX):.0f} % of "
          "the time after that")
print(f"{len(delivered) + len(pending)} rewards earned, {len(delivered)} delivered; mean "
      f"dopamine from the rewards {len(delivered) * REWARD * 0.2 / SECONDS:.3f} Hz "
      f"(tonic level {TONIC} Hz)")
print(f"chosen synapse: {w[k]:.2f} mV; the other {others.size} excitatory synapses: "
      f"mean {others.mean():.2f} mV, median {np.median(others):.2f}, 99th percentile "
      f"{np.percentile(others, 99):.2f}, {100 * np.mean(others >= 0.9 * W_MAX):.2f} % "
      f"above 0.9 w_max; {rank} at or above the chosen one")

# %%
# The figure
# ----------
# Top: the network's spikes in the last second. Middle left: the chosen weight
# against time, the rewards as ticks, and the mean and 99th percentile of the
# other excitatory weights. Middle right: the distribution of the other weights
# at the end (logarithmic counts), the chosen one marked. Bottom: a few
# seconds around the reward that moved the chosen weight most: the tag set by
# the coincidence of ``n`` and ``m`` fades, and the reward, seconds later,
# turns what is left of it into a step of the weight.
fig = plt.figure(figsize=(12, 10))
grid = fig.add_gridspec(3, 2, height_ratios=[1, 1.1, 0.9], width_ratios=[1.6, 1])
ax = fig.add_subplot(grid[0, :])
t_spk, i_spk = spikes.t, spikes.i
last = t_spk >= SECONDS - 1
colors = np.where(i_spk[last] < NE, "#1f4e9c", "#c0392b")
ax.scatter(t_spk[last], i_spk[last], s=1.5, c=colors, lw=0)
ax.set_xlim(SECONDS - 1, SECONDS)
ax.ticklabel_format(axis="x", useOffset=False)
ax.set_ylim(0, NE + NI)
ax.set_xlabel("time (s)")
ax.set_ylabel("neuron")
ax.set_title(f"the last second: excitatory (blue, {rate_exc:.1f} Hz on average over the run) "
             f"and inhibitory (red, {rate_inh:.1f} Hz) neurons")

ax = fig.add_subplot(grid[1, 0])
minutes = chosen.t / 60
reward_steps = np.array([r for r, _ in delivered], dtype=np.int64)
ax.plot(minutes, chosen.weight[0] * 1e3, color="#1f4e9c", lw=1.5,
        label=f"chosen synapse {n}→{m}")
sampled = others_t.weight * 1e3                           # (SAMPLE, samples), mV
ax.plot(others_t.t / 60, np.percentile(sampled, 99, axis=0), color="0.4", lw=1, ls="--",
        label=f"others ({SAMPLE} sampled): 99th percentile")
ax.plot(others_t.t / 60, sampled.mean(axis=0), color="0.4", lw=1, label="others: mean")
ax.plot(reward_steps * DT / 60, np.full(reward_steps.size, -0.25), "|", color="#c0392b",
        ms=6, label="rewards")
ax.set_xlim(0, SECONDS / 60)
ax.set_ylim(-0.5, W_MAX + 0.2)
ax.set_xlabel("time (min)")
ax.set_ylabel("weight (mV)")
ax.legend(frameon=False, loc="best", fontsize=8)
ax.set_title("the chosen weight and the others")

ax = fig.add_subplot(grid[1, 1])
ax.hist(others, bins=np.linspace(0, W_MAX, 41), color="0.55", log=True)
ax.plot([w[k]], [1], "o", color="#c0392b", ms=8, clip_on=False,
        label=f"chosen: {w[k]:.2f} mV")
ax.axvline(np.percentile(others, 99), color="0.3", ls="--", lw=1, label="99th percentile")
ax.set_xlim(0, W_MAX + 0.1)
ax.set_xlabel("weight (mV)")
ax.set_ylabel("synapses")
ax.legend(frameon=False, fontsize=8)
ax.set_title(f"the other {others.size} excitatory weights at the end")

ax = fig.add_subplot(grid[2, :])
w_trace, c_trace, t_trace = chosen.weight[0] * 1e3, chosen.c[0], chosen.t
if delivered:
    # the reward after which the chosen weight rose most within a second
    def rise(r):
        inside = (t_trace >= r * DT) & (t_trace <= r * DT + 1)
        before = w_trace[np.searchsorted(t_trace, r * DT) - 1]
        return w_trace[inside].max() - before if inside.any() else 0.0
    r_best, s_best = max(delivered, key=lambda p: rise(p[0]))
    lo, hi = s_best * DT - 1, r_best * DT + 2
else:
    lo, hi = 0, min(SECONDS, 5)
inside = (t_trace >= lo) & (t_trace <= hi)
ax.plot(t_trace[inside], w_trace[inside], color="#1f4e9c", lw=1.5, label="weight (mV)")
ax.plot(t_trace[inside], c_trace[inside] * 10, color="#27ae60", lw=1,
        label="eligibility c × 10")
for r, s in delivered:
    if lo <= s * DT <= hi:
        ax.axvline(s * DT, color="#27ae60", ls=":", lw=1)
    if lo <= r * DT <= hi:
        ax.axvline(r * DT, color="#c0392b", lw=1.2)
ax.plot([], [], color="#27ae60", ls=":", label="n then m: a reward earned")
ax.plot([], [], color="#c0392b", label="the reward delivered")
ax.set_xlim(lo, hi)
low, high = ax.get_ylim()
ax.set_ylim(low, high + 0.35 * (high - low))                # room for the legend
ax.set_xlabel("time (s)")
ax.legend(frameon=False, fontsize=8, loc="upper left", ncol=4)
ax.set_title("a reward seconds after the coincidence that earned it")
fig.tight_layout()

Path("figures").mkdir(exist_ok=True)
fig.savefig("figures/reward_stdp_izhikevich2007.png", dpi=100)

# %%
# What the run shows
# ------------------
# In the full run the chosen synapse grew from 0 to 0.9 ``w_max`` within 11
# minutes, and stayed above 0.9 ``w_max`` for 89 % of the time after that;
# it ended at 3.99 mV. It earned 25 rewards in the first ten minutes and 225
# in the hour, more as it grew (a strong synapse makes ``m`` fire after
# ``n``). Its dips are dopamine meeting a negative tag: with :math:`d - b > 0`
# a weight can only fall while its tag is negative, left by ``m`` firing
# shortly before ``n``.
#
# Most of the other excitatory synapses weakened: their mean fell from 1 to
# 0.79 mV, their median to 0.37 mV. They did not all stay low, though. A tail
# grew over the hour (in the 8,000 sampled, 0.14 % above 0.9
# ``w_max`` after 10 minutes, 1.3 % after 20), their 99th percentile reached
# ``w_max`` within about 25 minutes, and at the end 4.4 % of all 79,999 lay
# above 0.9 ``w_max``; 1,428 of them (1.8 %) ended at or above the chosen
# one. These are synapses that drive their targets often enough that chance
# coincidences tag them positively on average, and dopamine turns such tags
# into growth whatever released it: the tonic level (0.02 Hz) or the rewards,
# which raised the mean level to 0.08 Hz. The chosen synapse is singled out
# as the experiment means it, the one that the reward contingency drove from
# 0 to the maximum while the bulk drifted down, but it is not the only strong
# synapse at the end. A numpy transcription of the published code (not part of
# neurosim; one run of each) shows the same tail, growing more slowly: the 99th
# percentile of its other weights was 3.0 mV after 30 minutes (4.0 mV here),
# and its chosen synapse had grown more slowly too, to 2.3 mV, with 44 rewards
# against 104 here.
