"""
CPU and GPU: run time against network size
==========================================

The same network runs on every backend: ``backend="numba"`` compiles the
whole time loop for the CPU, ``backend="cuda"`` runs up to 1,024 steps per GPU kernel
launch (with the ``neurosim[cuda]`` extra and an NVIDIA GPU). Both give
the same spikes, so the choice is one of speed. This example times the CUBA
network with 80 inputs per neuron (Vogels & Abbott 2005, the benchmark series
of ``docs/benchmarks.md``) at growing sizes.

* With a GPU, it times ``numba`` and ``cuda`` here, after a first run that
  compiles the kernels (``Network.timings`` keeps compile and run apart).
* Without one, it times ``numba`` and takes the ``cuda`` numbers recorded on
  the benchmarks page, if that page holds any; otherwise the plot says
  "no GPU measured yet". numba's CUDA *simulator*
  (``NUMBA_ENABLE_CUDASIM=1``) is never timed: it checks correctness, not speed.

Set ``NEUROSIM_QUICK=1`` for smaller networks and shorter runs.
"""
import os
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import neurosim as ns  # noqa: E402
from neurosim.units import mV, ms  # noqa: E402

QUICK = os.environ.get("NEUROSIM_QUICK") == "1"


def real_gpu():
    """True when the cuda backend runs on a GPU, not in numba's simulator."""
    from numba import config
    return "cuda" in ns.available_backends() and not config.ENABLE_CUDASIM


HAS_GPU = real_gpu()
sizes = [4000, 16000, 64000] if QUICK else [4000, 16000, 64000, 256000]
if HAS_GPU and not QUICK:
    sizes.append(1024000)
duration = (200 if QUICK else 1000) * ms

# %%
# The network
# -----------
# CUBA with connection probability ``80/N``: every neuron receives 80 inputs
# on average, so the work per neuron stays the same as ``N`` grows.


def cuba(n):
    lif = ns.LIF(tau_m=20 * ms, v_rest=-49 * mV, v_reset=-60 * mV, v_th=-50 * mV,
                 refractory=5 * ms, tau_syn_e=5 * ms, tau_syn_i=10 * ms)
    cells = ns.NeuronGroup(n, lif, v=ns.Uniform(-60 * mV, -50 * mV), name="cells")
    n_e = int(0.8 * n)
    ee = ns.Synapses(cells[:n_e], cells, kind="excitatory", weight=1.62 * mV,
                     connect=ns.FixedProbability(80 / n))
    ie = ns.Synapses(cells[n_e:], cells, kind="inhibitory", weight=9 * mV,
                     connect=ns.FixedProbability(80 / n))
    spikes = ns.SpikeMonitor(cells)
    return ns.Network(cells, ee, ie, spikes), spikes


# The quick mode runs on shared machines (continuous integration, the docs
# build), where a second numba thread that has to wait for a busy core makes
# every step slower rather than faster; it uses one thread. Otherwise numba
# picks the thread count by network size.
n_threads = 1 if QUICK else None


def time_run(n, backend):
    """Seconds of wall time per second of simulated time (the realtime factor)."""
    net, spikes = cuba(n)
    net.run(duration, dt=0.1 * ms, backend=backend, seed=1,
            n_threads=n_threads if backend == "numba" else None)
    return net.timings["run"] / float(duration), spikes.num_spikes


# %%
# Timing
# ------
times = {"numba": [], "cuda": []}
for n in sizes:
    t_numba, n_spikes = time_run(n, "numba")
    times["numba"].append(t_numba)
    line = f"N = {n:8d}: numba {t_numba:.3f} s per simulated s"
    if HAS_GPU:
        t_cuda, n_spikes_cuda = time_run(n, "cuda")
        assert n_spikes_cuda == n_spikes, "the backends disagree"
        times["cuda"].append(t_cuda)
        line += f", cuda {t_cuda:.3f}"
    print(line)

# %%
# Recorded GPU numbers
# --------------------
# Without a GPU here, look for rows of a Markdown table on the benchmarks page
# that name a CUBA network with ``p = 80/N`` and give times in columns whose
# header says ``numba`` and ``cuda``.


def recorded_cuda_times(path):
    """``{N: (numba, cuda)}`` from the tables of ``path``; empty if none is found."""
    found = {}
    if not path.exists():
        return found
    header = None
    for line in path.read_text().splitlines():
        if not line.lstrip().startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = [c.lower() for c in cells]
            continue
        if set("".join(cells)) <= set("-: "):
            continue
        col = {key: next((k for k, h in enumerate(header) if key in h), None)
               for key in ("numba", "cuda")}
        row = " ".join(cells).lower()
        if None in col.values() or "cuba" not in row or "80/n" not in row.replace(" ", ""):
            continue
        n_match = re.search(r"n\s*=\s*([\d,]+)", row) or re.search(r"\b(\d[\d,]{3,})\b", row)
        values = [re.match(r"[\d.]+", cells[col[key]]) for key in ("numba", "cuda")]
        if n_match and all(values):
            found[int(n_match.group(1).replace(",", ""))] = tuple(float(v.group(0))
                                                                 for v in values)
    return found


recorded = {}
if not HAS_GPU:
    here = Path(globals().get("__file__", "plot_gpu_scaling.py")).resolve().parent
    recorded = recorded_cuda_times(here.parent / "docs" / "benchmarks.md")
    print(f"recorded cuda timings: {recorded or 'none'}")

# %%
# Plot
# ----
fig, (ax, ax_s) = plt.subplots(1, 2, figsize=(11, 4))
ax.loglog(sizes, times["numba"], "o-", color="#1f4e9c", label="numba, measured here")
if HAS_GPU:
    ax.loglog(sizes, times["cuda"], "s-", color="#2e8b57", label="cuda, measured here")
    speedup = np.array(times["numba"]) / np.array(times["cuda"])
    ax_s.semilogx(sizes, speedup, "s-", color="#2e8b57")
    ax_s.axhline(1, ls=":", color="0.5")
    ax_s.set_ylabel("speed-up of cuda over numba")
elif recorded:
    n_rec = sorted(recorded)
    ax.loglog(n_rec, [recorded[n][1] for n in n_rec], "s--", color="#2e8b57",
              label="cuda, recorded (benchmarks page)")
    ax.loglog(n_rec, [recorded[n][0] for n in n_rec], "o--", color="#1f4e9c", alpha=0.5,
              label="numba, recorded (benchmarks page)")
    ax_s.semilogx(n_rec, [recorded[n][0] / recorded[n][1] for n in n_rec], "s--",
                  color="#2e8b57")
    ax_s.axhline(1, ls=":", color="0.5")
    ax_s.set_ylabel("speed-up of cuda over numba (recorded)")
else:
    ax_s.text(0.5, 0.5, "no GPU measured yet", ha="center", va="center", fontsize=14,
              color="0.4", transform=ax_s.transAxes)
    ax_s.set_xticks([])
    ax_s.set_yticks([])
ax.axhline(1, ls=":", color="0.5", lw=1)
ax.text(sizes[0], 1.1, "real time", fontsize=8, color="0.4")
ticks = sorted(set(sizes) | set(recorded))
ax.set_xticks(ticks)
ax.set_xticklabels([f"{n // 1000}k" for n in ticks])
ax.minorticks_off()
ax.set_xlabel("neurons N (80 inputs each)")
ax.set_ylabel("wall time per simulated second (s)")
ax.legend(frameon=False)
ax.set_title("CUBA, p = 80/N, dt = 0.1 ms")
ax_s.set_xlabel("neurons N")
ax_s.set_title("GPU speed-up")
fig.tight_layout()

Path("figures").mkdir(exist_ok=True)
fig.savefig("figures/gpu_scaling.png", dpi=100)
