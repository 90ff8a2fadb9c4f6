"""The price of regeneration: run time with procedural connectivity against stored, on
one thread (issue 31).

Usage::

    python benchmarks/procedural_price.py                      # CUBA 64k and PD14 at 0.1
    python benchmarks/procedural_price.py --nets cuba-4k --reps 1 --seconds 0.1   # a check

For each network of ``benchmarks/nets.py``, every recurrent projection is built once
``storage="stored"`` and once ``storage="procedural"`` (its rows drawn again from the
same keys whenever a source fires), with the same seed: the spikes must be identical,
and the script says so. Every measurement runs in a fresh process with
``NUMBA_NUM_THREADS=1``; the two storages take turns, in an order that rotates from
one repetition to the next. Times: CPU time of ``net.run`` per simulated second after a
0-step run that compiles (or loads the cache), and the build time; memory: the bytes of
the stored synapse arrays (target, weight, delay) that procedural storage does not keep.
Prints a Markdown table with the CPU named: medians over ``--reps``, with the range.
"""
import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def measure(spec):
    """One run in this process: ``{build_s, run_s, spikes, digest, stored_bytes}``."""
    sys.path[:0] = [HERE, os.path.join(ROOT, "tests"), ROOT]
    import numpy as np
    import neurosim as ns
    from neurosim.units import ms, second
    import nets
    net, count = nets.build_neurosim(spec["net"])
    for s in net.synapses:
        if not isinstance(s.source, ns.PoissonGroup):
            s.storage = spec["storage"]
    t0 = time.perf_counter()
    net.build(dt=0.1 * ms, seed=spec["seed"])
    build_s = time.perf_counter() - t0
    net.run(0 * second)
    t0 = time.process_time()
    net.run(spec["seconds"] * second)
    run_s = (time.process_time() - t0) / spec["seconds"]
    mon = next(m for m in net.monitors if isinstance(m, ns.SpikeMonitor))
    digest = hashlib.sha256(np.ascontiguousarray(mon.i).tobytes()
                            + np.ascontiguousarray(mon.steps).tobytes()).hexdigest()[:16]
    syn = net._arrays.synapses
    stored = sum(a.nbytes for a in (syn.target, syn.weight, syn.delay))
    return dict(build_s=build_s, run_s=run_s, spikes=int(mon.num_spikes), digest=digest,
                stored_bytes=int(stored))


def _call(spec, timeout):
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    out = subprocess.run([sys.executable, __file__, "--worker", json.dumps(spec)], env=env,
                         capture_output=True, text=True, timeout=timeout)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return dict(error=(out.stderr or out.stdout).strip().splitlines()[-1:])


def _median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else float("nan")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nets", default="cuba-64k,pd14-0.1")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=1.0, help="simulated seconds per run")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=3600)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(measure(json.loads(args.worker))), flush=True)
        return
    t_start = time.time()
    storages = ("stored", "procedural")
    results = {}
    for net in [n.strip() for n in args.nets.split(",") if n.strip()]:
        for rep in range(args.reps):
            for storage in storages[rep % 2:] + storages[:rep % 2]:
                r = _call(dict(net=net, storage=storage, seed=args.seed,
                               seconds=args.seconds), args.timeout)
                results.setdefault((net, storage), []).append(r)
                print(f"rep {rep + 1}: {net} {storage}: "
                      f"{r.get('error') or format(r['run_s'], '.3f') + ' s per s'}", flush=True)
    print(_report(args, results, time.time() - t_start))


def _report(args, results, elapsed):
    sys.path.insert(0, HERE)
    from run import machine_info           # the benchmark runner's description
    m = machine_info()
    cpu = (f"{m.get('Model name', platform.processor())}, L2 {m.get('L2 cache', '?')}, "
           f"L3 {m.get('L3 cache', '?')}")
    lines = [f"## Procedural against stored connectivity ({time.strftime('%Y-%m-%d')})", "",
             f"- CPU: {cpu}, {os.cpu_count()} logical cores; one thread "
             f"(`NUMBA_NUM_THREADS=1`); load average {os.getloadavg()[0]:.1f} at the end",
             f"- `python benchmarks/procedural_price.py --nets {args.nets} --reps {args.reps}"
             f" --seconds {args.seconds}` ({elapsed / 60:.1f} min), seed {args.seed}",
             "- run: CPU seconds per simulated second, median (min-max) of fresh processes;"
             " build: wall seconds", "",
             "| network | stored run (s) | procedural run (s) | procedural / stored | "
             "stored build (s) | procedural build (s) | synapse arrays not kept (MB) | "
             "spikes | same spikes |",
             "|---|---|---|---|---|---|---|---|---|"]
    nets = sorted({k[0] for k in results}, key=list(dict.fromkeys(k[0] for k in results)).index)
    for net in nets:
        st = [r for r in results.get((net, "stored"), []) if "error" not in r]
        pr = [r for r in results.get((net, "procedural"), []) if "error" not in r]
        if not st or not pr:
            lines.append(f"| {net} | failed: {results.get((net, 'stored'))} "
                         f"{results.get((net, 'procedural'))} |")
            continue
        run = {k: [r["run_s"] for r in v] for k, v in (("s", st), ("p", pr))}
        same = len({r["digest"] for r in st + pr}) == 1
        saved = (st[0]["stored_bytes"] - pr[0]["stored_bytes"]) / 1e6
        lines.append(
            f"| {net} | {_median(run['s']):.3f} ({min(run['s']):.3f}-{max(run['s']):.3f}) | "
            f"{_median(run['p']):.3f} ({min(run['p']):.3f}-{max(run['p']):.3f}) | "
            f"{_median(run['p']) / _median(run['s']):.2f} | "
            f"{_median([r['build_s'] for r in st]):.2f} | "
            f"{_median([r['build_s'] for r in pr]):.2f} | {saved:.0f} | "
            f"{st[0]['spikes']} | {'yes' if same else 'NO'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
