"""Issue 35's device check: the CUDA backend on a GPU, before and after, in one run.

::

    python benchmarks/gpu_check.py --out DIR [--before SRC] [--nets a,b] [--quick]

Network by network, for this tree and then for ``SRC`` (a snapshot of an older
neurosim: ``SRC/neurosim`` and ``SRC/networks.py``, see ``make gpu-check-prep``), a
fresh process builds it (``benchmarks/nets.py``), runs 0 steps on ``cuda`` (compile
and upload, timed apart) and then three seconds of network activity, one at a time:

1. with the schedule the backend picks (one grid-wide barrier a step where every
   delay is at least a step: PD14);
2. with two barriers a step forced (``simulate_cuda.one_barrier`` off; this tree only,
   where the older one has no such choice), the cost of the second barrier;
3. as 1 again, to see drift between 1 and 2.

Each second's wall time (``net.timings["run"]``), spikes and synaptic events (spikes
times the mean out-degree) are written to ``DIR/gpu-check.json`` as the runs end, so
that a run stopped at its time limit keeps what it measured. Where a numba run of
the same seed is quick (``NUMBA_CHECK``), it is run on all cores from a fresh build
and its spikes in the first second must equal cuda's (``same_spikes_as_numba``).

``--quick`` runs tiny networks for a few steps: with ``NUMBA_ENABLE_CUDASIM=1`` it
checks the script on a machine without a GPU (numba's simulator times nothing).
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NETS = ("cuba-4k", "cuba-64k", "cuba-1M", "binary-k100", "pd14")
# the networks whose numba run (16 cores) takes seconds, not minutes
NUMBA_CHECK = ("cuba-4k", "cuba-64k", "binary-k100")
# --quick: tiny networks (their specs added to nets.NETWORKS) and 4 ms a run
# (Brunel: delays of 1.5 ms, so one barrier a step)
QUICK = {"cuba-tiny": dict(model="cuba", n=100, p=0.1),
         "brunel-tiny": dict(model="brunel", n=50, n_e=40, g=5.0, eta=2.0)}


def _worker(spec):
    """One network in this process: the record of its runs."""
    sys.path.insert(0, HERE)
    import nets     # puts NEUROSIM_BENCH_SRC (or this tree) on sys.path
    nets.NETWORKS.update(QUICK)
    import neurosim as ns
    from neurosim.kernels import simulate_cuda
    from neurosim.units import second
    seconds, name = spec["seconds"], spec["net"]
    out = dict(net=name)
    net, count = nets.build_neurosim(name)
    net.build(dt=nets.DT * second, seed=1)
    out["build_s"] = net.timings["build"]
    net.run(0 * second, backend="cuda")
    out["compile_s"] = net.timings["compile"]
    out["min_delay_steps"] = getattr(net._arrays, "min_delay", None)
    picked = getattr(simulate_cuda, "one_barrier", None)    # None: an older tree
    runs = [("picked", picked), ("two_barriers", lambda *a: False), ("picked_again", picked)]
    seen, out["runs"] = 0, []
    for label, schedule in runs:
        if picked is None and label == "two_barriers":
            continue                # an older tree: two barriers whatever the network
        if picked is not None:
            simulate_cuda.one_barrier = schedule
        net.run(seconds * second, backend="cuda")
        if picked is not None:
            simulate_cuda.one_barrier = picked
        spikes, synapses = count()
        degree = synapses / max(1, net._arrays.n)
        out["runs"].append(dict(schedule=label, run_s=net.timings["run"], spikes=spikes - seen,
                                events=(spikes - seen) * degree,
                                us_per_step=1e6 * net.timings["run"] / round(seconds / nets.DT)))
        seen = spikes
        print(json.dumps(out["runs"][-1]), flush=True)
    if spec["numba"]:
        other, other_count = nets.build_neurosim(name)
        other.build(dt=nets.DT * second, seed=1)
        other.run(seconds * second, backend="numba", n_threads=os.cpu_count())
        out["numba_spikes"] = other_count()[0]
        out["numba_run_s"] = other.timings["run"]
        out["same_spikes_as_numba"] = out["numba_spikes"] == out["runs"][0]["spikes"]
    return out


def _versions():
    got = dict(python=platform.python_version(), machine=platform.platform())
    for mod in ("numpy", "numba", "numba_cuda", "brian2"):
        try:
            got[mod] = __import__(mod).__version__
        except Exception as exc:       # a missing package is a finding, not a failure
            got[mod] = f"unavailable: {type(exc).__name__}"
    try:
        got["gpu"] = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version",
                                     "--format=csv,noheader"], capture_output=True, text=True,
                                    timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        got["gpu"] = "no nvidia-smi"
    return got


def _one(tree, name, seconds, numba, timeout):
    """Run one network in a fresh process on ``tree`` (None: this one)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if tree:
        env["NEUROSIM_BENCH_SRC"] = os.path.abspath(tree)
    spec = json.dumps(dict(net=name, seconds=seconds, numba=numba))
    t0 = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", spec],
                              env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return dict(net=name, error=f"over {timeout} s")
    last = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not last:       # the traceback, without this machine's paths
        error = (done.stderr or done.stdout)[-1500:].replace(ROOT, "<repo>")
        return dict(net=name, error=error.replace(sys.prefix, "<python>"))
    record = json.loads(last[-1][len("RESULT "):])
    record["wall_s"] = time.perf_counter() - t0
    return record


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", help="folder for gpu-check.json (required)")
    p.add_argument("--before", help="a snapshot of an older neurosim (SRC/neurosim, "
                                    "SRC/networks.py)")
    p.add_argument("--nets", default=",".join(NETS))
    p.add_argument("--seconds", type=float, default=1.0, help="each run's network time (s)")
    p.add_argument("--timeout", type=float, default=300, help="per network and tree (s)")
    p.add_argument("--quick", action="store_true", help="tiny networks, 4 ms (simulator)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(_worker(json.loads(args.worker))), flush=True)
        return 0
    if not args.out:
        p.error("--out is required")
    nets, seconds = args.nets.split(","), args.seconds
    if args.quick:
        nets, seconds = list(QUICK), 0.004
    os.makedirs(args.out, exist_ok=True)
    # the command without this machine's paths (results files name none)
    shown = [{args.out: "<out>", args.before: "<before>"}.get(a, a)
             for a in (argv or sys.argv[1:])]
    report = dict(command=" ".join(["python benchmarks/gpu_check.py"] + shown),
                  created=time.strftime("%Y-%m-%dT%H:%M:%S"), versions=_versions())
    path = os.path.join(args.out, "gpu-check.json")
    trees = [("this", None)] + ([("before", args.before)] if args.before else [])
    report["trees"] = {label: [] for label, _ in trees}
    # network by network, both trees: a run stopped at its time limit keeps pairs
    for name in nets:
        for label, tree in trees:
            numba = label == "this" and (name in NUMBA_CHECK or args.quick)
            record = _one(tree, name, seconds, numba, args.timeout)
            report["trees"][label].append(record)
            print(label, json.dumps(record), flush=True)
            with open(path + ".part", "w") as f:       # complete files only
                json.dump(report, f, indent=1)
            os.replace(path + ".part", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
