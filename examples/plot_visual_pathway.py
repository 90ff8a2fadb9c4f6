"""
The visual pathway: spikes from the retina to IT
================================================

A spiking model of the ventral stream built with ``circuits`` on neurosim's
public API: ON and OFF ganglion cells with contrast gain control (retina), simple
cells with Gabor receptive fields and push-pull inhibition, complex cells with
divisive normalisation (V1), conjunction units imprinted from training images and
pooled max-like through winner-take-all inhibition (V2, V4), and V4's template
units pooled over every position (IT), after HMAX (Riesenhuber & Poggio 1999; Serre et
al. 2007). Every unit is a McCulloch-Pitts neuron updated each millisecond;
thresholds are calibrated on natural images.

We show one glyph object (32 x 32 pixels) and plot the spikes of each area, then
measure the orientation tuning of V1 simple and complex cells with gratings.

Set ``NEUROSIM_QUICK=1`` for fewer gratings.
"""
import os
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from circuits import analysis, build_pathway, stimuli  # noqa: E402

QUICK = os.environ.get("NEUROSIM_QUICK") == "1"
SIZE = 32
t0 = time.perf_counter()

# %%
# Build retina -> IT
# ------------------
# Calibration images (natural crops) set the thresholds; the templates of V2 and
# V4 are imprinted from glyph objects at variation level V3.
pathway = build_pathway(SIZE, "it", homeostasis=False, seed=0)
print(pathway.summary())
print(f"{pathway.circuit.n_neurons} units, {pathway.circuit.n_synapses} synapses, "
      f"built in {time.perf_counter() - t0:.1f} s")

# %%
# One image, every area
# ---------------------
# The network is built once; each presentation restores the stored state at onset,
# sets the input rates and runs. The readout keeps every spike's time, here for one
# trial of about 100 ms: each area is counted for 80 ms once its input has arrived.
image = stimuli.object_set(1, "V3", SIZE, seed=5)[0][1]     # an "E"
net, groups, monitors, _ = pathway.network()
response = pathway.present(image[None], trials=1)
duration, _ = pathway.default_windows()
rows = [("retina", ["retina_on", "retina_off"]), ("V1 simple", ["v1_simple_0"]),
        ("V1 complex", ["v1_complex_0", "v1_complex_1"]), ("V2", ["v2_c"]),
        ("V4", ["v4_c"]), ("IT", ["it"])]

fig = plt.figure(figsize=(12, 9))
grid = fig.add_gridspec(len(rows), 3)
ax = fig.add_subplot(grid[:2, 0])
ax.imshow(image, cmap="gray", vmin=0, vmax=1)
ax.set_title("stimulus")
ax.axis("off")
for k, (label, names) in enumerate(rows):
    ax = fig.add_subplot(grid[k, 1])
    offset = 0
    for name in names:
        mon = monitors[name]
        copies = pathway.copies.get(name, 1)
        unit = mon.i // copies
        n = pathway.circuit.populations[name].n
        # at most 1500 units per population, evenly spaced, for legibility
        step = max(1, n // 1500)
        keep = unit % step == 0
        ax.plot(mon.t[keep] * 1e3, offset + unit[keep] // step, "|", color="k",
                markersize=0.6, rasterized=True)
        offset += n // step
    ax.set_ylabel(label)
    ax.set_xlim(0, duration * 1e3)
    if k < len(rows) - 1:
        ax.set_xticklabels([])
ax.set_xlabel("time after onset (ms)")

# %%
# V1 orientation tuning
# ---------------------
# Gratings at 8 (quick: 4) orientations and 4 phases, at the preferred spatial
# frequency of the finer V1 scale (4 px per cycle), Michelson contrast 0.3.
n_ori = 4 if QUICK else 8
gratings, params = stimuli.grating_set(SIZE, orientations=n_ori, spatial_frequencies=[0.25],
                                       phases=4, contrast=0.3)
tuning = pathway.present(gratings, trials=1, populations=["v1_simple_0", "v1_complex_0"])
for k, name in enumerate(["v1_simple_0", "v1_complex_0"]):
    levels, curves = analysis.orientation_tuning(tuning.activity(name),
                                                 params["orientation"])
    preferred = pathway.metadata(name)["orientation"]
    pref, osi = analysis.orientation_selectivity(curves, levels)
    ax = fig.add_subplot(grid[2 * k:2 * k + 2, 2])
    for target in (0.0, 45.0, 90.0, 135.0):
        cells = np.flatnonzero(np.isclose(preferred, target))
        mean = curves[:, cells].mean(1) / pathway.circuit.dt       # spikes/s
        ax.plot(np.append(levels, 180), np.append(mean, mean[0]), "o-",
                label=f"built for {target:.0f} deg")
    ax.set_title(f"{name}: median OSI {np.median(osi):.2f}")
    ax.set_xlabel("grating orientation (deg)")
    ax.set_ylabel("rate (Hz)")
    ax.set_xticks([0, 45, 90, 135, 180])
    if k == 0:
        ax.legend(fontsize=7)
    print(f"{name}: median OSI {np.median(osi):.2f}")
ax = fig.add_subplot(grid[4:, 2])
areas = ("v1", "v2", "v4", "it")
sizes = [pathway.area_metadata(a)["rf_size"] for a in areas]
ax.boxplot(sizes)
ax.set_xticks(range(1, len(areas) + 1), [a.upper() for a in areas])
ax.axhline(SIZE, color="gray", ls="--", lw=1)
ax.set_ylabel("receptive-field size (px)")
ax.set_title("receptive fields grow (dashed: image)")
fig.tight_layout()

# %%
# Save
Path("figures").mkdir(exist_ok=True)
fig.savefig("figures/visual_pathway.png", dpi=100)
print(f"figures/visual_pathway.png in {time.perf_counter() - t0:.1f} s")
