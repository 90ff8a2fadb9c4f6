"""Nanoseconds per Poisson count of a drive, against its mean, old and new method.

Usage::

    python benchmarks/poisson_draws.py [--draws 2000000] [--plot docs/images/poisson_draws.png]

Both methods run in the loop that a drive runs in (one count per target and
step, added to a buffer), compiled by numba, one thread:

* **old** (neurosim up to 0.16): three SplitMix64 rounds per uniform draw, then
  inversion of the CDF by the recursion ``p_k = p_{k-1} lam / k``, one division
  and a data-dependent exit per count; means above 20 split into several draws;
* **new** (:mod:`neurosim.kernels.poisson`): the first two rounds once per
  drive and step, one round per draw, and a guide table on the integer CDF.

Prints a Markdown table (the median of ``--reps`` timings per mean) for
``docs/benchmarks.md``, with the CPU it ran on.
"""
import argparse
import os
import platform
import subprocess
import sys
import textwrap
import time

import numpy as np
from numba import njit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from neurosim.kernels._rng import keyed_bits, step_key, uniform  # noqa: E402
from neurosim.kernels.poisson import poisson_count, poisson_tables  # noqa: E402

LAMS = [0.01, 0.1, 0.5, 2.0, 5.0, 20.0, 50.0, 200.0, 1000.0]
_OLD_MAX_LAMBDA = 20.0


@njit
def _old_inverse(u, lam, p0, k_max):
    k = 0
    p = p0
    cdf = p
    while u > cdf and k < k_max:
        k += 1
        p = p * (lam / k)
        cdf = cdf + p
    return k


@njit
def _old_drive(buffer, n_steps, lam, n_sub):
    p0, k_max = np.exp(-lam), int(np.ceil(lam + 20 * np.sqrt(lam) + 30))
    for step in range(n_steps):
        for j in range(buffer.size):
            count = 0
            for r in range(n_sub):
                u = uniform(7, 16, step, j * n_sub + r)
                count += _old_inverse(u, lam, p0, k_max)
            buffer[j] += count


@njit
def _new_drive(buffer, n_steps, t_ptr, g_ptr, shift, k_lo, thresholds, guide):
    for step in range(n_steps):
        key = step_key(7, 16, step)
        for j in range(buffer.size):
            buffer[j] += poisson_count(keyed_bits(key, j), t_ptr, g_ptr, shift, k_lo,
                                       thresholds, guide)


def _time(fn, reps):
    fn()                                  # compile
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def measure(draws, reps):
    """``{lam: (old_ns, new_ns)}``, nanoseconds per count."""
    n_targets = 10_000                    # a population's buffer: stays in cache
    n_steps = max(1, draws // n_targets)
    out = {}
    for lam in LAMS:
        n_sub = max(1, int(np.ceil(lam / _OLD_MAX_LAMBDA)))
        buf = np.zeros(n_targets, np.int64)
        old = _time(lambda: _old_drive(buf, n_steps, lam / n_sub, n_sub), reps)
        tab = poisson_tables([lam])
        new = _time(lambda: _new_drive(buf, n_steps, tab.t_ptr[0], tab.g_ptr[0], tab.shift[0],
                                       tab.k_lo[0], tab.thresholds, tab.guide), reps)
        scale = 1e9 / (n_steps * n_targets)
        out[lam] = (old * scale, new * scale)
    return out


def _cpu():
    """The CPU model and its cache sizes (``lscpu``), or what ``platform`` knows."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or platform.machine()
    info = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    info = {k.strip(): v.strip() for k, v in info.items()}
    caches = ", ".join(f"{k} {info[k]}" for k in ("L1d cache", "L2 cache", "L3 cache")
                       if k in info)
    return f"{info.get('Model name', platform.machine())} ({caches})"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=2_000_000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--plot", default=None, help="write a figure (png) here")
    args = ap.parse_args(argv)
    res = measure(args.draws, args.reps)
    print(f"CPU: {_cpu()}; one thread; {args.draws:,} counts per timing, "
          f"median of {args.reps}\n")
    print("| mean per step | old: ns per count | new: ns per count | old / new |")
    print("|---|---|---|---|")
    for lam, (old, new) in res.items():
        print(f"| {lam:g} | {old:.1f} | {new:.1f} | {old / new:.1f} |")
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(5, 3.4))
        lams = list(res)
        ax.loglog(lams, [res[x][0] for x in lams], "o-", label="old: CDF inversion")
        ax.loglog(lams, [res[x][1] for x in lams], "s-", label="new: guide table")
        ax.set_xlabel("mean count per draw, λ")
        ax.set_ylabel("ns per count (one core)")
        ax.set_title("\n".join(textwrap.wrap(_cpu(), 60)), fontsize=7)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)


if __name__ == "__main__":
    main()
