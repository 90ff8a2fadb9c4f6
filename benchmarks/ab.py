"""Before and after: neurosim at two commits, on the same networks, in one interleaved run.

Usage::

    python benchmarks/ab.py BEFORE_COMMIT [AFTER_COMMIT] --nets brunel-A,pd14-0.1,cuba-4k

Each commit is checked out into a temporary worktree (``AFTER_COMMIT`` defaults
to the working tree as it is). Every measurement is a fresh process that builds
the network from that tree's ``benchmarks/nets.py``, compiles with a 0-step run
and times a run of one simulated second (numba, one thread). The trees take
turns within each repetition, so drift of the machine hits both alike. Prints
the median wall time of the run per network and tree, and after / before, and the
compile times: cold (the first process of each tree, an empty numba cache) and
warm (the median of the later ones, which load the cache).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_MEASURE = """
import json, sys, time
sys.path.insert(0, "benchmarks")
import nets
import neurosim as ns
from neurosim.units import second
assert ns.__file__.startswith(sys.argv[2]), ns.__file__
net, count = nets.build_neurosim(sys.argv[1])
net.build(dt=nets.DT * second, seed=int(sys.argv[3]))
net.run(0 * second, backend="numba", n_threads=1)
compile_s = net.timings["compile"]        # the first call: compiles or loads the cache
net.run(1 * second, backend="numba", n_threads=1)
print(json.dumps({"run_s": net.timings["run"], "compile_s": compile_s, "spikes": count()[0]}))
"""


def _worktree(commit, where):
    subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", "-q", where, commit],
                   check=True)
    return where


def _measure(tree, cache, net, seed):
    env = dict(os.environ, NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1",
               NUMBA_CACHE_DIR=cache, NUMBA_ENABLE_CUDASIM="0")
    env.pop("NEUROSIM_BENCH_SRC", None)
    out = subprocess.run([sys.executable, "-c", _MEASURE, net, os.path.realpath(tree), str(seed)],
                         cwd=tree, env=env, capture_output=True, text=True, timeout=1800)
    if out.returncode:
        raise RuntimeError(f"{tree} {net}: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before")
    ap.add_argument("after", nargs="?", help="default: the working tree")
    ap.add_argument("--nets", default="brunel-A,pd14-0.1,cuba-4k")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"before": _worktree(args.before, os.path.join(tmp, "before")),
                 "after": (_worktree(args.after, os.path.join(tmp, "after")) if args.after
                           else ROOT)}
        try:
            times = {(n, k): [] for n in args.nets.split(",") for k in trees}
            compiles = {k: [] for k in trees}
            for rep in range(args.reps):
                for net in args.nets.split(","):
                    order = list(trees) if rep % 2 == 0 else list(trees)[::-1]
                    for key in order:
                        r = _measure(trees[key], os.path.join(tmp, f"cache-{key}"), net, seed=1 + rep)
                        times[net, key].append(r["run_s"])
                        compiles[key].append(r["compile_s"])
                        print(f"rep {rep} {net:10s} {key:6s} {r['run_s']:.3f} s "
                              f"({r['spikes']} spikes)", flush=True)
            print("\nnetwork     before (s)  after (s)  after/before")
            for net in args.nets.split(","):
                b, a = np.median(times[net, "before"]), np.median(times[net, "after"])
                print(f"{net:10s}  {b:9.3f}  {a:9.3f}  {a / b:11.3f}")
            print("\ncompile (s)  cold    warm (median)")
            for key in trees:
                print(f"{key:10s}  {compiles[key][0]:6.2f}  {np.median(compiles[key][1:]):6.2f}")
        finally:
            for key, tree in trees.items():
                if tree != ROOT:
                    subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", tree])


if __name__ == "__main__":
    main()
