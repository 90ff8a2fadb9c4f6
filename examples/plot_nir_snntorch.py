"""
A network trained in snnTorch, run by neurosim through NIR
==========================================================

A two-layer spiking network (40 inputs, 200 hidden and 2 output leaky
integrate-and-fire neurons) is trained in snnTorch to tell which half of its
inputs fires faster, written as a NIR graph by ``snntorch.export_nir``, read by
:func:`neurosim.interop.nir.from_nir` and run on neurosim's compiled backend with
the same input spikes. snnTorch's ``Leaky`` neuron is the update

.. math::

    v_t = \\beta v_{t-1} + W s_t + b, \\qquad s'_t = [v_t > 1],

which snnTorch writes as NIR's ``LIF`` with ``tau = dt/(1 - beta)`` and
``r = tau/dt`` for ``dt = 0.1 ms``; ``from_nir(method="euler")`` integrates NIR's
equation with forward Euler at that step, which is this update again. The
spikes agree one for one. Needs ``torch``, ``snntorch`` and ``nirtorch``.

Set ``NEUROSIM_QUICK=1`` for fewer training steps.
"""
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import snntorch as snn  # noqa: E402
import torch  # noqa: E402
from snntorch import functional as SF  # noqa: E402
from snntorch import utils  # noqa: E402
from snntorch.export_nir import export_to_nir  # noqa: E402

from neurosim.interop.nir import from_nir  # noqa: E402
from neurosim.units import ms  # noqa: E402

QUICK = os.environ.get("NEUROSIM_QUICK") == "1"
torch.manual_seed(0)
N_IN, N_HIDDEN, N_OUT, N_STEPS = 40, 200, 2, 25

# %%
# Train in snnTorch
# -----------------
# ``beta`` and ``threshold`` are given per neuron: snnTorch writes scalars as
# NIR nodes of shape ``()``, which NIR's type check refuses. ``reset_mechanism=
# "zero"`` is the reset NIR records (snnTorch writes ``v_reset = 0`` whatever the
# mechanism; for its default, subtraction, import with ``reset="subtract"``).


def leaky(n, beta, **kw):
    return snn.Leaky(beta=torch.full((n,), beta), threshold=torch.ones(n), init_hidden=True,
                     reset_mechanism="zero", **kw)


net = torch.nn.Sequential(torch.nn.Linear(N_IN, N_HIDDEN), leaky(N_HIDDEN, 0.9),
                          torch.nn.Linear(N_HIDDEN, N_OUT), leaky(N_OUT, 0.8, output=True))


def batch(size):
    label = torch.randint(0, 2, (size,))
    rate = torch.full((size, N_IN), 0.05)
    rate[label == 0, :N_IN // 2] = 0.3
    rate[label == 1, N_IN // 2:] = 0.3
    return (torch.rand(N_STEPS, size, N_IN) < rate).float(), label


loss_fn, opt = SF.ce_count_loss(), torch.optim.Adam(net.parameters(), lr=5e-3)
for _ in range(40 if QUICK else 150):
    x, label = batch(32)
    utils.reset(net)
    out = torch.stack([net(x[t])[0] for t in range(N_STEPS)])
    loss = loss_fn(out, label)
    opt.zero_grad()
    loss.backward()
    opt.step()

# %%
# The same inputs through snnTorch and neurosim
# ---------------------------------------------
x, label = batch(20)
hidden, output = [], []
hook = net[1].register_forward_hook(lambda m, i, o: hidden.append(o.detach().clone()))
utils.reset(net)
with torch.no_grad():
    for t in range(N_STEPS):
        output.append(net(x[t])[0])
hook.remove()
hidden = torch.stack(hidden).numpy().astype(bool)        # (steps, batch, neurons)
output = torch.stack(output).numpy().astype(bool)

graph = export_to_nir(net, torch.zeros(1, N_IN), ignore_dims=[0])
imported = from_nir(graph, dt=0.1 * ms)                  # snnTorch's step
print(imported)
runs = [imported.run(x[:, b].numpy(), backend="numba") for b in range(x.shape[1])]
same_hidden = np.mean([np.array_equal(r.spikes["1"], hidden[:, b]) for b, r in enumerate(runs)])
same_out = np.mean([np.array_equal(r.outputs["output"], output[:, b])
                    for b, r in enumerate(runs)])
acc_snn = np.mean(output.sum(0).argmax(1) == label.numpy())
acc_ns = np.mean([r.outputs["output"].sum(0).argmax() == lab
                  for r, lab in zip(runs, label.numpy())])
print(f"samples with identical hidden spikes: {same_hidden:.0%}, identical output spikes: "
      f"{same_out:.0%}; accuracy snnTorch {acc_snn:.0%}, neurosim {acc_ns:.0%}")

# %%
# Rasters of one sample
# ---------------------
# neurosim delivers a spike in the step after it is emitted, so each layer trails
# snnTorch's by one step (``imported.latency``); ``run.spikes`` is shifted back.
b = 0
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for ax, (title, raster) in zip(axes, [("snnTorch", hidden[:, b]),
                                      ("neurosim (from NIR)", runs[b].spikes["1"])]):
    t, i = np.nonzero(raster)
    ax.plot(t, i, "|", color="#1f4e9c", ms=4)
    ax.set_title(f"{title}: hidden layer, {raster.sum()} spikes")
    ax.set_xlabel("step (0.1 ms)")
axes[0].set_ylabel("hidden neuron")
fig.tight_layout()
Path("figures").mkdir(exist_ok=True)
fig.savefig("figures/nir_snntorch.png", dpi=100)
