"""
V1 tuning: orientation, spatial frequency, simple and complex cells
===================================================================

The primary visual cortex of the :doc:`visual pathway <plot_visual_pathway>`
(``circuits.v1``), measured as an electrophysiologist would: drifting-phase
sinusoidal gratings shown to the spiking network, spikes counted, tuning curves
fitted by nothing but averaging.

V1 has two kinds of excitatory cells (Hubel & Wiesel 1962), at two scales
(wavelengths 4 and 8 px, spatial frequencies 0.25 and 0.125 cycles/px):

* **simple cells**: a Gabor receptive field, excited by retinal ON cells where
  the Gabor is positive and OFF cells where it is negative, and inhibited by an
  interneuron with the opposite receptive field (push-pull; Troyer et al. 1998);
* **complex cells**: each pools the simple cells of one orientation over the
  four phases and a small neighbourhood (the energy model; Adelson & Bergen
  1985), minus a normalisation pool (Heeger 1992).

We measure three classical properties of each population:

* the **orientation selectivity index**
  :math:`\\mathrm{OSI} = (R_\\mathrm{pref} - R_\\mathrm{orth}) / (R_\\mathrm{pref} + R_\\mathrm{orth})`
  (``circuits.analysis.orientation_selectivity``) and whether the preferred
  orientation is the one the cell was built for;
* the **modulation ratio** F1/F0 of the response to a grating stepped through
  its phases (``circuits.analysis.modulation_ratio``; Skottun et al. 1991):
  above 1 for simple cells, which respond to one phase, below 1 for complex
  cells, which respond to all;
* **spatial-frequency tuning** of the complex cells of the two scales.

Every unit is a McCulloch-Pitts neuron updated each millisecond (a unit of a
complex cell is four binary neurons with staggered thresholds). Set
``NEUROSIM_QUICK=1`` for fewer orientations, phases and trials (8, 4 and 1;
about 25 s on two busy cores); the full version (16 orientations, 8 phases,
2 trials) took about 2 minutes there.
"""
import os
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from circuits import analysis, build_pathway, stimuli  # noqa: E402
from circuits.v1 import gabor  # noqa: E402

QUICK = os.environ.get("NEUROSIM_QUICK") == "1"
SIZE = 32
N_ORI = 8 if QUICK else 16          # grating orientations over [0, 180): the cells'
#                                     8 built-for orientations are among them
N_PHASE = 4 if QUICK else 8         # phases over one cycle
TRIALS = 1 if QUICK else 2
CONTRAST = 0.3                      # Michelson contrast
t0 = time.perf_counter()

# %%
# Build the retina and V1
# -----------------------
# Thresholds are calibrated on natural image crops drawn from the seed.
pathway = build_pathway(SIZE, "v1", homeostasis=False, seed=0)
dt = pathway.circuit.dt
scales = [(0, 0.25), (1, 0.125)]          # (scale, preferred spatial frequency)
names = [f"v1_{kind}_{s}" for s, _ in scales for kind in ("simple", "complex")]
for name in names:
    print(f"{name:14s} {pathway.circuit.populations[name].n:5d} units")
print(f"built in {time.perf_counter() - t0:.1f} s")

# %%
# Orientation and phase
# ---------------------
# Every combination of orientation, phase and the two preferred spatial
# frequencies. A cell's F1/F0 is taken at the orientation it was built for.
images, params = stimuli.grating_set(SIZE, orientations=N_ORI,
                                     spatial_frequencies=[sf for _, sf in scales],
                                     phases=N_PHASE, contrast=CONTRAST)
responses = pathway.present(images, trials=TRIALS, populations=names)
phases = np.unique(params["phase"])
results = {}
for s, sf in scales:
    at_sf = params["spatial_frequency"] == sf
    for kind in ("simple", "complex"):
        name = f"v1_{kind}_{s}"
        activity = responses.activity(name)[at_sf]               # (images, units)
        levels, curves = analysis.orientation_tuning(activity, params["orientation"][at_sf])
        preferred, osi = analysis.orientation_selectivity(curves, levels)
        built_for = pathway.metadata(name)["orientation"]
        # responses at the built-for orientation, one row per phase
        ori_index = np.argmin(np.abs((built_for[:, None] - levels[None] + 90) % 180 - 90), 1)
        by_phase = np.stack([activity[params["phase"][at_sf] == p] for p in phases])
        at_pref = by_phase[:, ori_index, np.arange(activity.shape[1])]
        active = at_pref.mean(0) > 0
        f1f0 = analysis.modulation_ratio(at_pref[:, active], phases)
        results[name] = dict(levels=levels, curves=curves / dt, osi=osi, f1f0=f1f0,
                             built_for=built_for,
                             match=np.mean(np.isclose(preferred, built_for)))
        print(f"{name:14s} median OSI {np.median(osi):.2f}, preferred = built-for "
              f"orientation in {100 * results[name]['match']:.0f} %, median F1/F0 "
              f"{np.median(f1f0):.2f} ({100 * np.mean(f1f0 > 1):.0f} % above 1)")

# %%
# Spatial frequency
# -----------------
# Complex cells are insensitive to phase, so two phases suffice; four
# orientations, each cell read at the one nearest its own. The dotted lines of
# the figure mark the frequency each scale was built for; the printout gives
# where each population responds most. The two scales overlap: a complex cell
# pools simple cells over a neighbourhood, and the retina's centre-surround
# filter (a difference of Gaussians of widths 0.8 and 2.4 px) passes most
# around 0.15 cycles/px, so the tuning of the fine scale is broad on its low
# side.
sfs = np.array([1 / 16, 1 / 11.3, 1 / 8, 1 / 5.66, 1 / 4, 1 / 2.83])
if QUICK:
    sfs = sfs[[0, 2, 4, 5]]
sf_images, sf_params = stimuli.grating_set(SIZE, orientations=4, spatial_frequencies=sfs,
                                           phases=2, contrast=CONTRAST)
sf_resp = pathway.present(sf_images, trials=TRIALS,
                          populations=[f"v1_complex_{s}" for s, _ in scales])
sf_curves = {}
for s, _ in scales:
    name = f"v1_complex_{s}"
    act = sf_resp.activity(name)
    built_for = pathway.metadata(name)["orientation"]
    oris = np.unique(sf_params["orientation"])
    nearest = oris[np.argmin(np.abs((built_for[:, None] - oris[None] + 90) % 180 - 90), 1)]
    curve = []
    for f in sfs:
        rows = np.isclose(sf_params["spatial_frequency"], f)
        # mean over phases of each unit's response at its nearest orientation
        per_unit = [act[rows & np.isclose(sf_params["orientation"], o)][:, nearest == o].mean()
                    for o in oris]
        curve.append(np.mean(per_unit) / dt)
    sf_curves[name] = np.array(curve)
    print(f"{name}: strongest response at {sfs[np.argmax(curve)]:.3f} cycles/px")

# %%
# Figure
# ------
fig = plt.figure(figsize=(13, 7.5))
grid = fig.add_gridspec(2, 3)

# receptive fields of scale-0 simple cells (the Gabors the weights come from)
ax = fig.add_subplot(grid[0, 0])
yy, xx = np.mgrid[-5:6, -5:6].astype(float)
tiles = [[gabor(xx, yy, o, 4.0, p)[0] for o in (0, 45, 90, 135)] for p in (0, 90)]
rows = [np.hstack([np.pad(t / np.abs(t).max(), 1) for t in row]) for row in tiles]
ax.imshow(np.vstack(rows), cmap="RdBu_r", vmin=-1, vmax=1)
ax.set_title("simple-cell receptive fields\n(0, 45, 90, 135 deg; phase 0 and 90)")
ax.axis("off")

# orientation tuning curves, averaged over the cells built for each orientation
for k, name in enumerate(["v1_simple_0", "v1_complex_0"]):
    ax = fig.add_subplot(grid[0, 1 + k])
    r = results[name]
    for target in (0.0, 45.0, 90.0, 135.0):
        cells = np.isclose(r["built_for"], target)
        mean = r["curves"][:, cells].mean(1)
        ax.plot(np.append(r["levels"], 180), np.append(mean, mean[0]), "o-", ms=3,
                label=f"built for {target:.0f} deg")
    ax.set_xticks([0, 45, 90, 135, 180])
    ax.set_xlabel("grating orientation (deg)")
    ax.set_ylabel("rate (Hz)")
    ax.set_title(f"{name}: median OSI {np.median(r['osi']):.2f}")
    if k == 0:
        ax.legend(fontsize=7)

ax = fig.add_subplot(grid[1, 0])
bins = np.linspace(0, 1, 21)
for kind, color in (("simple", "C0"), ("complex", "C3")):
    osi = np.concatenate([results[f"v1_{kind}_{s}"]["osi"] for s, _ in scales])
    ax.hist(osi, bins, color=color, alpha=0.6, label=f"{kind} (median {np.median(osi):.2f})")
ax.set_xlabel("orientation selectivity index")
ax.set_ylabel("cells")
ax.legend(fontsize=8)
ax.set_title("orientation selectivity")

ax = fig.add_subplot(grid[1, 1])
bins = np.linspace(0, 2, 21)
for kind, color in (("simple", "C0"), ("complex", "C3")):
    ratio = np.concatenate([results[f"v1_{kind}_{s}"]["f1f0"] for s, _ in scales])
    ax.hist(np.clip(ratio, 0, 2), bins, color=color, alpha=0.6,
            label=f"{kind} (median {np.median(ratio):.2f})")
ax.axvline(1, color="k", ls="--", lw=1)
ax.set_xlabel("modulation ratio F1/F0")
ax.set_ylabel("cells")
ax.legend(fontsize=8)
ax.set_title("simple vs complex (Skottun et al. 1991)")

ax = fig.add_subplot(grid[1, 2])
for (s, sf), color in zip(scales, ("C2", "C4")):
    ax.semilogx(sfs, sf_curves[f"v1_complex_{s}"], "o-", color=color,
                label=f"complex, scale {s} (built for {sf:g} cycles/px)")
    ax.axvline(sf, color=color, ls=":", lw=1)
ax.set_xlabel("spatial frequency (cycles/px)")
ax.set_ylabel("rate at the preferred orientation (Hz)")
ax.legend(fontsize=7)
ax.set_title("spatial-frequency tuning")
fig.tight_layout()

# %%
# Save
Path("figures").mkdir(exist_ok=True)
fig.savefig("figures/v1_tuning.png", dpi=100)
print(f"figures/v1_tuning.png in {time.perf_counter() - t0:.1f} s")
