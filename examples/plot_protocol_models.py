"""
The comparison protocol's models, reproduced
============================================

The :doc:`visual-pathway comparison </visual_pathway>` (``python -m
circuits.protocol``) compares the spiking circuit with a CNN trained in-project.
Its models are public: ``circuits.protocol.trained_cnn``, ``training_set``,
``untrained_cnn``, ``imprinted_pathway`` and ``evaluation_images`` give exactly
what the protocol uses, so any number of its report can be recomputed in a few
lines. Trained networks are cached in the user's cache folder
(``$NEUROSIM_CACHE_DIR/circuits`` when that variable is set), never in the
checkout.

Here we recompute one number of the results page: T4's CKA between HMAX's C2
stage and the trained CNN's IT block (its detail line, "HMAX C2 ..."), and,
beside it, the same for the circuit's rate twin (``visual-pathway.json``,
``cka["rate twin x CNN seed 0"]``). Then each twin area's best CNN block with
its bootstrap over images (``circuits.robust``): how often each block wins, and
whether the top two are tied.

``NEUROSIM_QUICK=1`` reproduces the quick protocol (``--quick``: one CNN, 96
images; about 25 s on two busy cores, the CNN's training included, 20 s once it
is cached); otherwise the full one (three CNNs, 192 images).
"""
import os
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from circuits import cnn, hmax, metrics, protocol, robust  # noqa: E402

QUICK = os.environ.get("NEUROSIM_QUICK") == "1"
t0 = time.perf_counter()
cfg = protocol.settings(quick=QUICK)

# %%
# The protocol's images and models
# --------------------------------
# The evaluation images and the circuit's imprinting images; the trained CNNs
# (loaded from the cache once trained); the circuit with the templates the
# protocol imprints. Its rate twin needs no spiking calibration, so the
# homeostasis of the spiking biases is skipped here.
images = protocol.evaluation_images(quick=QUICK)
nets = [protocol.trained_cnn(s, quick=QUICK) for s in range(cfg["cnn_seeds"])]
pathway = protocol.imprinted_pathway(quick=QUICK, config={"homeostasis": False})
print(f"{images.n} evaluation images, {len(nets)} trained CNN(s), circuit of "
      f"{pathway.circuit.n_neurons} neurons ({time.perf_counter() - t0:.0f} s)")

# %%
# T4's number: CKA with the CNN's IT
# ----------------------------------
# HMAX (2 bands) fitted on the imprinting images, as the protocol does;
# features of every CNN block flattened; the CKA averaged over the CNNs.
c2 = hmax.HMAX(n_bands=2, seed=0).fit(images.training).features(images.images)["C2"]
blocks = [cnn.extract_features(net, images.images, pool="flatten") for net in nets]
twin = pathway.twin(images.images)
twin_areas = {a.upper(): np.concatenate([twin[p] for p in pathway.recorded(a)], 1)
              for a in ("v1", "v2", "v4", "it")}
print(f"CKA with CNN IT: HMAX C2 {np.mean([metrics.cka(c2, b['IT']) for b in blocks]):.3f}, "
      f"rate twin IT {np.mean([metrics.cka(twin_areas['IT'], b['IT']) for b in blocks]):.3f}")

# %%
# Which block matches each area, and how sure is that?
# ----------------------------------------------------
# The choice on every image, with 200 half-samples of the images: a tie (the
# top two blocks' 95 % intervals overlap) is shown as ``V2=V4``.
choice = robust.block_choice(twin_areas, {k: blocks[0][k] for k in cnn.BLOCKS},
                             n_boot=200, seed=0)
h, monotone, _ = choice.hierarchy()
print(f"best blocks {'-'.join(choice.names)}; H {h:.2f}, in order with no tie: {monotone}")
fig, axes = plt.subplots(1, 2, figsize=(8, 3.4))
for ax, m, title in ((axes[0], choice.cka, "CKA, every image"),
                     (axes[1], choice.wins, "how often each block wins")):
    im = ax.imshow(m, vmin=0, vmax=max(1e-9, m.max()), cmap="viridis")
    ax.set_xticks(range(4), cnn.BLOCKS)
    ax.set_yticks(range(4), list(twin_areas))
    ax.set_xlabel("CNN block (seed 0)")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, shrink=0.8)
axes[0].set_ylabel("rate twin area")
fig.tight_layout()
out = Path("figures")
out.mkdir(exist_ok=True)
fig.savefig(out / "protocol_models.png", dpi=100)
print(f"done in {time.perf_counter() - t0:.0f} s")
