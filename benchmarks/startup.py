"""Start-up time of neurosim, against the floor that numba itself sets.

Usage::

    python benchmarks/startup.py [--reps 3] [--net cuba-4k]

Issue 7 asks for a first run (compilation included) under 2.5 s and a run from a
warm compilation cache under 0.5 s. Every figure here comes from a fresh Python
process (a user's new session), repeated and interleaved so that machine drift
hits all alike; the median is printed as a markdown table:

- ``python``: the interpreter alone (``python -c pass``);
- ``import numba``, ``import brian2`` (neurosim's unit system is Brian2's),
  ``import neurosim``;
- *numba floor*: the first call of a three-line ``@njit(cache=True)`` function,
  compiled into an empty cache (cold) and loaded from it (warm). Any numba
  program pays this once per process: numba sets up its CPU target before the
  first compiled call, whatever the function;
- neurosim: ``net.timings['compile']`` of the network's first ``run`` into an
  empty cache (cold) and from the warm one, and the whole script (import, build,
  compile, 1 s simulated) from the warm cache.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

_FLOOR = """
import json, time
t0 = time.perf_counter()
from numba import njit
@njit(cache=True)
def total(x):
    s = 0.0
    for i in range(x.size):
        s += x[i]
    return s
import numpy as np
x = np.ones(3)
t1 = time.perf_counter()
total(x)
print(json.dumps({"call": time.perf_counter() - t1}))
"""

_NEUROSIM = """
import json, sys, time
t0 = time.perf_counter()
import neurosim as ns
t1 = time.perf_counter()
sys.path.insert(0, %(here)r)
from nets import build_neurosim
net, _ = build_neurosim(%(net)r)
net.run(1 * ns.units.second, backend="numba", n_threads=1)
print(json.dumps({"import": t1 - t0, "compile": net.timings["compile"],
                  "build": net.timings["build"], "run": net.timings["run"],
                  "script": time.perf_counter() - t0}))
"""


def _python(code, cache):
    # a script file, not ``-c``: numba caches only functions defined in a file
    script = os.path.join(cache, "startup_probe.py")
    with open(script, "w") as fh:
        fh.write(code)
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, NUMBA_NUM_THREADS="1")
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, script], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode:
        raise RuntimeError(f"the probe failed:\n{code}\n{p.stderr[-2000:]}")
    out = p.stdout
    last = out.strip().splitlines()[-1] if out.strip() else "{}"
    return wall, (json.loads(last) if last.startswith("{") else {})


def measure(reps, net):
    """Median seconds of each start-up figure over ``reps`` fresh processes."""
    found = {}
    for _ in range(reps):
        with tempfile.TemporaryDirectory() as cache:
            items = [
                ("python", "pass", None),
                ("import numba", "import numba", None),
                ("import brian2", "import brian2", None),
                ("import neurosim", "import neurosim", None),
                ("numba floor, cold cache", _FLOOR, "call"),
                ("numba floor, warm cache", _FLOOR, "call"),
                ("neurosim first run, cold cache", _NEUROSIM % dict(here=HERE, net=net), None),
                ("neurosim first run, warm cache", _NEUROSIM % dict(here=HERE, net=net), None),
            ]
            for name, code, key in items:
                wall, got = _python(code, cache)
                if name.startswith("neurosim first run"):
                    for k, v in got.items():
                        found.setdefault(f"{name}: {k}", []).append(v)
                else:
                    found.setdefault(name, []).append(got[key] if key else wall)
            shutil.rmtree(cache, ignore_errors=True)
    return {k: statistics.median(v) for k, v in found.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--net", default="cuba-4k")
    ap.add_argument("--json", help="also write the medians here")
    args = ap.parse_args(argv)
    med = measure(args.reps, args.net)
    print(f"| {args.net}, median of {args.reps} fresh processes | s |\n|---|---|")
    for k, v in med.items():
        print(f"| {k} | {v:.2f} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(med, fh, indent=1)


if __name__ == "__main__":
    main()
