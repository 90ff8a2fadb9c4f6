"""What two threads can gain on this machine at all: the ceiling of ``threads.py``.

Usage::

    python benchmarks/two_threads_ceiling.py [--reps 5]

Two kernels, each run by one thread alone and by two threads at once, every thread
on arrays of its own (nothing shared, no barrier), so that only the machine can
slow a thread down when the other runs:

* ``exp chain``: a chain of dependent ``exp`` over 4,000 numbers (in L1; latency
  bound): two cores that share nothing give 2x;
* ``LIF update``: the current-based LIF step of ``kernels.lif`` (five arrays read
  and written per neuron, streamed through the caches) on ``n`` neurons per thread.

For each, the speed-up two threads could give over one on the same total work is
``2 x (time alone) / (time of two at once)``. Where two virtual cores share one
physical core's caches and load/store ports (two hyperthreads shown as two cores),
the streaming kernel gains much less than 2x, and so does every time loop whose
neuron update streams its state. Prints the machine (``threads.machine``), the load
average, and the medians over ``--reps``.
"""
import argparse
import os
import sys
import time

import numpy as np
from numba import njit, prange

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from threads import machine  # noqa: E402

SIZES = (8_000, 32_000, 128_000)


@njit(cache=True)
def _exp_chain(x, reps):
    s = 0.0
    for r in range(reps):
        for k in range(x.size):
            s += np.exp(-x[k] * r * 1e-4)
    return s


@njit(cache=True)
def _lif_steps(v, ge, gi, ref, spiked, steps):
    # kernels.lif.lif_update's arithmetic, branch-free, on constants of CUBA
    for _ in range(steps):
        for k in range(np.uint64(0), np.uint64(v.size)):
            r = ref[k]
            r = r - 1 if r > 0 else r
            free = r == 0
            v_inf = -0.049
            v_new = v_inf + (v[k] - v_inf) * 0.995 + 0.0049 * ge[k] - 0.0047 * gi[k]
            v_new = v_new if free else v[k]
            s = free & (v_new > -0.05)
            v[k] = -0.06 if s else v_new
            ref[k] = 50 if s else r
            ge[k] *= 0.98
            gi[k] *= 0.99
            spiked[k] = s


@njit(cache=True, parallel=True)
def _both_exp(a, b, n_threads, reps):
    out = np.zeros(2)
    for t in prange(n_threads):
        out[t] = _exp_chain(a if t == 0 else b, reps)
    return out


@njit(cache=True, parallel=True)
def _both_lif(a, b, n_threads, steps):
    for t in prange(n_threads):
        s = a if t == 0 else b
        _lif_steps(s[0], s[1], s[2], s[3], s[4], steps)


def _state(n):
    v = np.linspace(-0.06, -0.0501, n)
    return (v, np.full(n, 0.001), np.full(n, 0.001), np.zeros(n, np.int32),
            np.zeros(n, np.bool_))


def _median_time(f, reps):
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    print(machine())
    print(f"load average before: {os.getloadavg()}")
    print(f"{'kernel':>22} {'alone':>10} {'two at once':>12} {'ceiling':>8}")
    a, b = np.random.default_rng(1).random((2, 4000))
    _both_exp(a, b, 2, 1)
    alone = _median_time(lambda: _both_exp(a, b, 1, 20000), args.reps)
    both = _median_time(lambda: _both_exp(a, b, 2, 20000), args.reps)
    print(f"{'exp chain':>22} {alone:9.4f}s {both:11.4f}s {2 * alone / both:8.2f}")
    for n in SIZES:
        a, b = _state(n), _state(n)
        _both_lif(a, b, 2, 1)
        steps = max(100, 400_000_000 // n)
        alone = _median_time(lambda: _both_lif(a, b, 1, steps), args.reps)
        both = _median_time(lambda: _both_lif(a, b, 2, steps), args.reps)
        label = f"LIF update, {n // 1000}k/thread"
        print(f"{label:>22} {alone:9.4f}s {both:11.4f}s {2 * alone / both:8.2f}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
