"""
Logic gates from McCulloch-Pitts neurons
========================================

McCulloch & Pitts (1943) showed that binary threshold units compute any
logical function. A unit is active in a step when the summed activity of its
inputs in the previous step reaches its threshold,

.. math::

    x_i(t+1) = H\\Big(\\sum_j w_{ij}\\, x_j(t) - \\theta_i\\Big),\\qquad H(0) = 1,

and, in the original rule, any active inhibitory input vetoes it (*absolute
inhibition*). With unit weights:

* AND: threshold 2, excitatory inputs from A and B;
* OR: threshold 1, the same inputs;
* NOT A: threshold 1, a constant input of 1 and an absolutely inhibitory input
  from A;
* XOR needs two layers: ``h1 = A AND NOT B`` and ``h2 = B AND NOT A``
  (threshold 1, excitation from one input, absolute inhibition from the other),
  then ``h1 OR h2``.

The inputs A and B are two spike generators that present the four patterns
00, 01, 10, 11, each held for four steps. A one-layer gate answers one step
after its input, XOR two steps after.
"""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import neurosim as ns  # noqa: E402
from neurosim.units import ms  # noqa: E402

dt = 1 * ms
HOLD = 4                                         # steps per input pattern
PATTERNS = [(0, 0), (0, 1), (1, 0), (1, 1)]

# %%
# Inputs
# ------
# Source 0 is A, source 1 is B; each fires in every step of the patterns where
# it is 1. A gap of four silent steps at the end lets the answers come out.
steps = np.arange(len(PATTERNS) * HOLD)
bits = np.array([PATTERNS[s // HOLD] for s in steps])          # (step, input)
fire_step, fire_source = np.nonzero(bits)
inputs = ns.SpikeGeneratorGroup(2, indices=fire_source, times=fire_step * dt, name="A, B")
A, B = inputs[0:1], inputs[1:2]
n_steps = len(steps) + HOLD

# %%
# Gates
# -----
# Each gate is a group of one unit with its own threshold; synapses without
# delay carry a unit's state to the next step.


def unit(theta, absolute=False, name=None):
    return ns.NeuronGroup(1, ns.McCullochPitts(theta=theta, absolute_inhibition=absolute),
                          name=name)


def connect(pre, post, kind):
    return ns.Synapses(pre, post, kind=kind, weight=1.0, connect=ns.AllToAll())


gate_and = unit(2, name="A AND B")
gate_or = unit(1, name="A OR B")
gate_not = unit(1, absolute=True, name="NOT A")
h1 = unit(1, absolute=True, name="A AND NOT B")
h2 = unit(1, absolute=True, name="B AND NOT A")
gate_xor = unit(1, name="A XOR B")

synapses = [connect(A, gate_and, "excitatory"), connect(B, gate_and, "excitatory"),
            connect(A, gate_or, "excitatory"), connect(B, gate_or, "excitatory"),
            connect(A, gate_not, "inhibitory"),
            connect(A, h1, "excitatory"), connect(B, h1, "inhibitory"),
            connect(B, h2, "excitatory"), connect(A, h2, "inhibitory"),
            connect(h1, gate_xor, "excitatory"), connect(h2, gate_xor, "excitatory")]
bias = ns.CurrentInput(gate_not, 1.0)           # NOT is active unless vetoed

gates = [gate_and, gate_or, gate_not, h1, h2, gate_xor]
monitors = {g.name: ns.SpikeMonitor(g) for g in gates}
input_monitor = ns.SpikeMonitor(inputs)
net = ns.Network(inputs, *gates, *synapses, bias, input_monitor, *monitors.values())
net.run(n_steps * dt, dt=dt, seed=0)


def activity(monitor, n=1):
    """Binary activity, shape (n, n_steps), from the steps a unit was active."""
    x = np.zeros((n, n_steps), dtype=int)
    x[monitor.i, monitor.steps] = 1
    return x


# %%
# Truth tables read from the simulation
# -------------------------------------
# The answer to the pattern shown in steps ``[k HOLD, (k+1) HOLD)`` is read one
# step later for a one-layer gate and two steps later for XOR.
lag = {gate_xor.name: 2}
print(f"{'A B':>5} | " + " | ".join(f"{g.name:>11}" for g in gates))
for k, (a, b) in enumerate(PATTERNS):
    row = [activity(monitors[g.name])[0, k * HOLD + HOLD - 1 + lag.get(g.name, 1)]
           for g in gates]
    print(f"{a:>3} {b} | " + " | ".join(f"{x:>11}" for x in row))

# %%
# Activity over time
# ------------------
# One row per unit: filled where the unit is active. Grey bands mark the
# input patterns.
rows = [("A", activity(input_monitor, 2)[0]), ("B", activity(input_monitor, 2)[1])]
rows += [(g.name, activity(monitors[g.name])[0]) for g in gates]
colors = ["0.35", "0.35", "#1f4e9c", "#1f4e9c", "#c0392b", "#8e44ad", "#8e44ad", "#2e8b57"]

fig, ax = plt.subplots(figsize=(9, 4.8))
for r, ((name, x), color) in enumerate(zip(rows, colors)):
    y = len(rows) - 1 - r
    ax.fill_between(np.arange(n_steps + 1), y + 0.1, y + 0.1 + 0.8 * np.r_[x, x[-1]],
                    step="post", color=color, lw=0)
for k, pattern in enumerate(PATTERNS):
    if k % 2 == 0:
        ax.axvspan(k * HOLD, (k + 1) * HOLD, color="0.92", zorder=-1)
    ax.text((k + 0.5) * HOLD, len(rows) + 0.1, "AB = %d%d" % pattern, ha="center", va="bottom")
ax.set_yticks(np.arange(len(rows)) + 0.5)
ax.set_yticklabels([name for name, _ in rows][::-1])
ax.set_xlim(0, n_steps)
ax.set_xticks(np.arange(0, n_steps + 1, 2))
ax.set_ylim(0, len(rows) + 0.8)
ax.set_xlabel("time step (dt = 1 ms)")
ax.set_title("McCulloch-Pitts logic: one step per layer")
for side in ("top", "right"):
    ax.spines[side].set_visible(False)
fig.tight_layout()

Path("figures").mkdir(exist_ok=True)
fig.savefig("figures/mcculloch_pitts_logic.png", dpi=100)

# %%
# Every gate reproduces its truth table. XOR, which no single threshold unit
# can compute, comes out of the second layer one step after the others.
