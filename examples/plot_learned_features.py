"""
V2 features learned by STDP
===========================

The visual pathway's V2 template units (``circuits.v2``) are tuned to conjunctions
of V1 complex-cell responses (8 orientations at 2 scales) at one position. By
default they are *imprinted*: copied from strong patches of training images.
Here they are *learned*, with plasticity alone, as in Masquelier & Thorpe (2007)
and Kheradpisheh et al. (2018) (``circuits.learning``):

* each training image's V1 responses (the rate twin's) at its 8 strongest positions
  are shown, one patch at a time, as a latency code: the strongest input spikes
  first, the weakest last;
* 32 LIF feature neurons receive them through ``ns.STDP`` synapses (additive, bounds
  0 and 1 mV, initial weights 0.8 +- 0.05 mV) and inhibit each other: the first to
  fire wins the patch, and only its synapses learn. Inputs that fired before it are
  potentiated, the others (those that fired after it, and the silent ones, made to
  fire in a last volley) depressed;
* a winner's threshold rises a little with each win and relaxes (adaptive
  thresholds, Diehl & Cook 2015), so that no neuron takes every pattern;
* learning stops when Kheradpisheh et al.'s convergence measure, the mean of
  :math:`w(1 - w)`, falls below 0.02, or after 256 images (the 32 training images
  of the protocol, 8 times; 64 with ``NEUROSIM_QUICK=1``).

The learned weight vectors become V2's templates at every position (weight
sharing): ``circuits.learning_pathway.learned_pathway``.

The figure shows (a) the learned features as images, each orientation of V1 drawn
as a bar as dark as its weight (left: the fine scale, wavelength 4 px; right: the
coarse one, 8 px); (b) the weight histogram and the convergence measure during
learning; (c) each feature's orientation tuning: its match (cosine) to the V1
responses to gratings (wavelength 4 px) of 8 orientations, averaged over positions.

It takes 20-35 s with ``NEUROSIM_QUICK=1`` and a minute or two in full on two busy
cores (the first run also compiles neurosim's plastic loop, once per installation).
"""
import os
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from circuits import build_pathway, stimuli  # noqa: E402
from circuits.learning import HISTOGRAM_BINS, STDPParams, feature_responses  # noqa: E402
from circuits.learning_pathway import learned_templates, template_patches  # noqa: E402

QUICK = os.environ.get("NEUROSIM_QUICK") == "1"
SIZE = 32
tic = time.perf_counter()

# %%
# Learning
# --------
# The protocol's training images (4 glyphs of each of 8 categories, variation V3)
# and the V1 below V2.
training = stimuli.object_set(4, "V3", SIZE, seed=100)[0]
v1 = build_pathway(SIZE, "v1", homeostasis=False, seed=0)
params = STDPParams(max_images=64 if QUICK else 256)
templates, learning = learned_templates(v1, training, "v2_s", 32, params, seed=7)
print(f"{learning.images_seen} images, stopped: {learning.stopped}; convergence "
      f"{learning.convergence[0]:.3f} -> {learning.convergence[-1]:.3f}; "
      f"{np.mean(learning.winners >= 0):.2f} of the patches had a winner")

# %%
# The features as images
# ----------------------
# Input ``l`` of a patch is V1's complex cell of scale ``l // 8`` and orientation
# index ``l % 8`` (the order of ``circuits.layers.patches``).
orientation = np.deg2rad(np.concatenate([
    v1.metadata(name)["orientation"][np.unique(v1.metadata(name)["feature"],
                                               return_index=True)[1]]
    for name in v1.outputs("v1")]))


def feature_image(w, side=15):
    """Bars through the centre, one per orientation and scale, as dark as the weight."""
    img = np.zeros((side, 2 * side))
    t = np.linspace(-0.45, 0.45, 60) * side
    for l, (weight, theta) in enumerate(zip(w, orientation)):
        x0 = side // 2 + side * (l // 8)
        # an oriented bar: the preferred stimulus of V1's cell (its long axis)
        xs = np.clip(np.rint(x0 + t * np.cos(theta)), 0, 2 * side - 1).astype(int)
        ys = np.clip(np.rint(side // 2 - t * np.sin(theta)), 0, side - 1).astype(int)
        img[ys, xs] = np.maximum(img[ys, xs], weight)
    return img


fig = plt.figure(figsize=(12, 7))
grid = fig.add_gridspec(3, 8, height_ratios=[0.55, 0.55, 1.3])
order = np.argsort(-np.bincount(learning.winners[learning.winners >= 0], minlength=32))
for k, f in enumerate(order[:16]):
    ax = fig.add_subplot(grid[k // 8, k % 8])
    ax.imshow(feature_image(learning.weights[f]), cmap="Greys", vmin=0, vmax=1)
    ax.set_title(f"feature {f}", fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
fig.text(0.01, 0.97, "(a) the 16 features that won most patches (fine | coarse scale)")

# %%
# Learning, and selectivity
# -------------------------
ax = fig.add_subplot(grid[2, 0:3])
centres = (HISTOGRAM_BINS[1:] + HISTOGRAM_BINS[:-1]) / 2
shown = np.unique(np.linspace(0, learning.images_seen, 4).astype(int))
for i in shown:
    ax.plot(centres, learning.histograms[i] / learning.histograms[i].sum(),
            label=f"after {i} images")
ax.set_xlabel("weight (fraction of w_max)")
ax.set_ylabel("fraction of weights")
ax.legend(fontsize=8)
ax.set_title("(b) weight histogram", fontsize=10)
ax2 = fig.add_subplot(grid[2, 3:5])
ax2.plot(learning.convergence)
ax2.set_xlabel("images")
ax2.set_ylabel("mean w(1 - w)")
ax2.set_title("convergence measure", fontsize=10)

degrees = np.arange(8) * 180 / 8
gratings = [stimuli.grating(SIZE, d, 0.25, contrast=0.5) for d in degrees]
patches = template_patches(v1, np.stack(gratings), "v2_s").mean(axis=1)
tuning = feature_responses(learning.weights, patches)          # (orientations, features)
ax3 = fig.add_subplot(grid[2, 5:8])
im = ax3.imshow(tuning[:, order].T, aspect="auto", cmap="viridis")
ax3.set_xticks(range(8), [f"{d:.0f}" for d in degrees])
ax3.set_xlabel("grating orientation (deg)")
ax3.set_ylabel("feature (by wins)")
ax3.set_title("(c) orientation tuning (cosine)", fontsize=10)
fig.colorbar(im, ax=ax3)
fig.tight_layout(rect=(0, 0, 1, 0.96))
Path("figures").mkdir(exist_ok=True)
fig.savefig("figures/learned_features.png", dpi=110)
print(f"done in {time.perf_counter() - tic:.0f} s")
