"""
The visual pathway against a CNN
================================

Does the spiking :doc:`visual pathway <plot_visual_pathway>` (retina, V1, V2,
V4, IT; ``circuits``) represent objects the way a convolutional network trained
to recognise them does? We show the same images to both and compare their
representations area by area, as the full comparison protocol
(``python -m circuits.protocol``; results in the documentation's visual-pathway
pages) does with more images, seeds, statistics and nulls.

* **Images**: glyph objects (8 glyph categories, 7 letters and a digit, in several fonts, 32 x 32 px,
  on crops of natural images) at variation levels V0 (centred, upright) and V3
  (shifted by up to 15 % of the image, scaled by 0.8-1.1, rotated by up to
  15 degrees).
* **Circuit**: the spiking McCulloch-Pitts pathway; each area's response is the
  spike count of its output units in a window after onset, averaged over
  trials.
* **CNN**: a CORnet-Z-like network (four blocks named V1, V2, V4 and IT;
  Kubilius et al. 2018) trained here, on CPU, on other draws of the same object
  set (training fonts only), and the same network untrained as a control.
* **Similarity**: debiased linear CKA (Kornblith et al. 2019;
  ``circuits.metrics.cka``) between every circuit area and every CNN block.
  A brain-like hierarchy would put the best-matching block of each area on the
  diagonal.
* **Decoding**: 4-fold cross-validated logistic regression (L2 penalty) of the
  category from each stage, on its standardised features rotated to their
  principal axes over all images (no labels involved; fast when units
  outnumber images).

Quick mode (``NEUROSIM_QUICK=1``, used for the documentation): 4 images per
category and level, one trial, and a CNN trained for 8 epochs on 32 images per
category and level (under a minute on two busy cores; its accuracy on the
evaluation images is printed below). Without ``NEUROSIM_QUICK`` the script uses 8 images
per category and level, two trials and 16 epochs on 64 training images per
category and level (about 3 minutes on two busy cores). With so few images the numbers here illustrate the method;
the results of the full protocol, with bootstrap intervals and null models, are
on the :doc:`visual-pathway page </visual_pathway>`.
"""
import os
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from circuits import build_pathway, cnn, metrics, stimuli  # noqa: E402

QUICK = os.environ.get("NEUROSIM_QUICK") == "1"
SIZE = 32
N_PER_CATEGORY = 4 if QUICK else 8          # evaluation images per category and level
TRIALS = 1 if QUICK else 2
CNN_PER_CATEGORY = 32 if QUICK else 64      # training images per category and level
CNN_EPOCHS = 8 if QUICK else 16
AREAS = ("v1", "v2", "v4", "it")
BLOCKS = cnn.BLOCKS                         # ('V1', 'V2', 'V4', 'IT')
t0 = time.perf_counter()


def elapsed():
    return f"{time.perf_counter() - t0:.0f} s"


# %%
# Evaluation images
# -----------------
# Seeds other than those of the circuit's and the CNN's training images.
levels = ("V0", "V3")
parts = [stimuli.object_set(N_PER_CATEGORY, level, SIZE, seed=500 + k)
         for k, level in enumerate(levels)]
images = np.concatenate([p[0] for p in parts])
labels = np.concatenate([p[1] for p in parts])
level = np.concatenate([np.full(len(p[1]), lv) for p, lv in zip(parts, levels)])
print(f"{len(images)} evaluation images, {len(np.unique(labels))} categories")

# %%
# The circuit
# -----------
# Thresholds are calibrated on natural images and the templates of V2 and V4
# imprinted from training objects, both drawn from the seed; IT pools V4's
# templates over every position. Each area is represented by the neurons an
# electrode there would sample (``Pathway.recorded``: V1 simple and complex cells,
# template and pooling units in V2 and V4, IT's units), in spikes per step.
pathway = build_pathway(SIZE, "it", homeostasis=False, seed=0)
names = [p for a in AREAS for p in pathway.recorded(a)]
response = pathway.present(images, trials=TRIALS, populations=names)
circuit = {a: response.area_activity(a, pathway.recorded(a)) for a in AREAS}
print(f"circuit: {pathway.circuit.n_neurons} neurons, "
      + ", ".join(f"{a.upper()} {circuit[a].shape[1]} units" for a in AREAS)
      + f" ({elapsed()})")

# %%
# The CNN, trained and untrained
# ------------------------------
x_train, y_train = cnn.training_set(CNN_PER_CATEGORY, size=SIZE, seed=1000,
                                    levels=levels)
# Adam at a learning rate of 1e-3, batches of 32, random shifts of up to 2 px:
# the settings of the comparison protocol
model, history = cnn.train(x_train, y_train, seed=0, epochs=CNN_EPOCHS, lr=1e-3,
                           batch_size=32, max_shift=2, threads=1)
untrained = cnn.build_cornet_z(len(np.unique(y_train)), seed=0)
trained_features = cnn.extract_features(model, images, pool="flatten")
untrained_features = cnn.extract_features(untrained, images, pool="flatten")
with cnn.deterministic(1):
    import torch
    with torch.no_grad():
        predicted = model(cnn.to_tensor(images)).argmax(1).numpy()
cnn_accuracy = {lv: float(np.mean(predicted[level == lv] == labels[level == lv]))
                for lv in levels}
print(f"CNN: {len(x_train)} training images, {CNN_EPOCHS} epochs, training accuracy "
      f"{history['accuracy'][-1]:.2f}; on the evaluation images "
      + ", ".join(f"{lv} {acc:.2f}" for lv, acc in cnn_accuracy.items())
      + f" (chance 0.12) ({elapsed()})")

# %%
# Representational similarity
# ---------------------------
# CKA of every circuit area with every block, for the trained and the untrained
# network; the best block of each area is marked.
cka_trained = metrics.cka_matrix([circuit[a] for a in AREAS],
                                 [trained_features[b] for b in BLOCKS])
cka_untrained = metrics.cka_matrix([circuit[a] for a in AREAS],
                                   [untrained_features[b] for b in BLOCKS])
for title, m in (("trained", cka_trained), ("untrained", cka_untrained)):
    best = [BLOCKS[k] for k in m.argmax(1)]
    print(f"best block per area ({title} CNN): "
          + ", ".join(f"{a.upper()} -> {b}" for a, b in zip(AREAS, best)))

# %%
# Category decoding along each hierarchy
# --------------------------------------
stages = ["pixels"] + [a.upper() for a in AREAS]
decoding = {"circuit": [images.reshape(len(images), -1)] + [circuit[a] for a in AREAS],
            "CNN trained": [images.reshape(len(images), -1)]
            + [trained_features[b] for b in BLOCKS],
            "CNN untrained": [images.reshape(len(images), -1)]
            + [untrained_features[b] for b in BLOCKS]}


def decode(features):
    """Mean accuracy of 4-fold cross-validated logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from threadpoolctl import threadpool_limits
    x = metrics.features_2d(features)
    x = (x - x.mean(0)) / (x.std(0) + 1e-12)
    # small matrices: one BLAS thread is faster, above all on a busy machine
    with threadpool_limits(1):
        u, s, _ = np.linalg.svd(x, full_matrices=False)      # principal axes
        folds = StratifiedKFold(n_splits=4, shuffle=True, random_state=0)
        return float(cross_val_score(LogisticRegression(C=0.1, max_iter=2000), u * s, labels,
                                     cv=folds).mean())


pixels = decode(images)
accuracy = {name: [pixels] + [decode(f) for f in feats[1:]] for name, feats in decoding.items()}
for name, acc in accuracy.items():
    print(f"decoding, {name}: " + ", ".join(f"{s} {a:.2f}" for s, a in zip(stages, acc)))

# %%
# Figure
# ------
fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
vmax = max(cka_trained.max(), cka_untrained.max())
for ax, title, m in ((axes[0], "trained CNN", cka_trained),
                     (axes[1], "untrained CNN", cka_untrained)):
    im = ax.imshow(m, cmap="viridis", vmin=0, vmax=vmax)
    for r, k in enumerate(m.argmax(1)):
        ax.add_patch(plt.Rectangle((k - 0.5, r - 0.5), 1, 1, fill=False, ec="w", lw=2))
    for r in range(m.shape[0]):
        for c in range(m.shape[1]):
            ax.text(c, r, f"{m[r, c]:.2f}", ha="center", va="center", fontsize=8,
                    color="k" if m[r, c] > 0.6 * vmax else "w")
    ax.set_xticks(range(len(BLOCKS)), [f"CNN {b}" for b in BLOCKS])
    ax.set_yticks(range(len(AREAS)),
                  [f"circuit {a.upper()}" for a in AREAS] if ax is axes[0] else [])
    ax.set_title(f"CKA, circuit x {title}\n(white: best block per area)")
fig.colorbar(im, ax=axes[:2], shrink=0.8, label="debiased CKA")
ax = axes[2]
for (name, acc), style in zip(accuracy.items(), ("o-", "s-", "^--")):
    ax.plot(stages, acc, style, label=name)
ax.axhline(1 / len(np.unique(labels)), color="gray", ls=":", lw=1, label="chance")
ax.set_ylim(0, 1.02)
ax.set_ylabel("decoding accuracy (cross-validated)")
ax.set_title(f"category decoding ({len(images)} images, V0 and V3)")
ax.legend(fontsize=8)

# %%
# Save
Path("figures").mkdir(exist_ok=True)
fig.savefig("figures/circuit_vs_cnn.png", dpi=100, bbox_inches="tight")
print(f"figures/circuit_vs_cnn.png in {elapsed()}")
