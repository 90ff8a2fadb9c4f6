"""Threads against one thread on CUBA from 4k to 1M neurons, old and new engine, in one
interleaved run.

Usage::

    python benchmarks/threads.py [--nets cuba-4k,cuba-16k,cuba-64k,cuba-256k,cuba-1M]
                                 [--threads 2] [--reps 3] [--seconds 0.5] [--json FILE]

One process per network (``NUMBA_NUM_THREADS`` = the largest thread count) builds
it once and compiles every configuration with a 0-step run; then, repetition after
repetition, each configuration continues the same network for ``--seconds``
simulated seconds, in turns, so that drift of the machine hits all alike:

* ``1``: one thread (``kernels.simulate``);
* ``T-step``: T threads, the neuron update alone in parallel, a parallel region
  entered every step (``kernels.simulate``, the engine before
  ``kernels.simulate_threads``);
* ``T``: T threads, one parallel region per call (``kernels.simulate_threads``).

Prints the median wall time of the run per simulated second and the speed-up over
one thread, with the machine (CPU model, caches, cores) and its load average
before and after: on a shared machine the numbers say little.
"""
import argparse
import json
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NETS = "cuba-4k,cuba-16k,cuba-64k,cuba-256k,cuba-1M"

_MEASURE = """
import json, sys
sys.path.insert(0, "benchmarks")
import numpy as np
import nets
from neurosim.backends.numba_backend import NumbaBackend
from neurosim.units import second

name, threads, reps, seconds = sys.argv[1], eval(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
threaded = NumbaBackend._threaded
configs = [("1", 1, True)] + [(f"{t}-step", t, False) for t in threads] + \\
          [(f"{t}", t, True) for t in threads]
net, count = nets.build_neurosim(name)
net.build(dt=nets.DT * second, seed=1)


def run(n_threads, new, duration):
    # the old engine: simulate_numba for every run on threads
    NumbaBackend._threaded = threaded if new else (lambda self, arrays: False)
    net.run(duration * second, backend="numba", n_threads=n_threads)
    return net.timings["run"]


for _, t, new in configs:          # compile, or load the cache
    run(t, new, 0)
times = {c: [] for c, _, _ in configs}
spikes0 = count()[0]
for r in range(reps):
    for c, t, new in configs:
        times[c].append(run(t, new, seconds) / seconds)
print(json.dumps({"times": times, "spikes_per_s": (count()[0] - spikes0)
                  / (reps * len(configs) * seconds)}))
"""


def machine():
    """CPU model, caches and cores of this machine (Linux: ``lscpu``)."""
    info = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return info
    for line in out.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("Model name", "L1d cache", "L2 cache", "L3 cache"):
            info[key.strip()] = value.strip()
    return info


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nets", default=NETS)
    ap.add_argument("--threads", default="2", help="comma-separated thread counts > 1")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=0.5, help="simulated s per measurement")
    ap.add_argument("--json", help="write the raw times here")
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    env = dict(os.environ, NUMBA_NUM_THREADS=str(max(threads)), NUMBA_ENABLE_CUDASIM="0")
    print(json.dumps(machine()))
    results = {"machine": machine(), "load_before": os.getloadavg(), "nets": {}}
    print(f"load average before: {os.getloadavg()}")
    print(f"{'network':>10} {'config':>8} {'s per sim. s':>13} {'speed-up':>9}")
    for name in args.nets.split(","):
        out = subprocess.run([sys.executable, "-c", _MEASURE, name, repr(threads),
                              str(args.reps), str(args.seconds)], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=7200)
        if out.returncode:
            raise RuntimeError(f"{name}: {out.stderr[-2000:]}")
        got = json.loads(out.stdout.strip().splitlines()[-1])
        results["nets"][name] = got
        one = _median(got["times"]["1"])
        for config, times in got["times"].items():
            print(f"{name:>10} {config:>8} {_median(times):13.4f} {one / _median(times):9.2f}")
    results["load_after"] = os.getloadavg()
    print(f"load average after: {results['load_after']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


def _median(xs):
    xs = sorted(xs)
    return 0.5 * (xs[(len(xs) - 1) // 2] + xs[len(xs) // 2])


if __name__ == "__main__":
    main()
