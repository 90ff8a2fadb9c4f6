"""neurosim against Brian2 and NEST on the networks defined in ``benchmarks/README.md``.

Usage::

    python benchmarks/run.py --quick            # the set `make bench` runs
    python benchmarks/run.py --full --reps 5    # every network, every size
    python benchmarks/run.py --report benchmarks/results/bench-....json   # redo the docs

Every measurement runs in a fresh subprocess (``worker.py``), so memory, caches
and thread pools start clean. Within each repetition the networks are taken in
turn and, for each, every contender runs once, in an order that rotates from
one repetition to the next, so drift of the machine hits all contenders alike.
Each repetition draws the network with another seed (``--seed`` + repetition),
except Brian2 ``cpp_standalone``, whose compiled binary is rerun. Reported:
medians over the repetitions, timing outliers flagged and left out, and a check
that every contender fires at neurosim's rate within statistical error.

Results: a JSON of every raw measurement in ``benchmarks/results/`` (``--out``),
``docs/benchmarks.md`` and ``docs/images/benchmarks_scaling.png``. Paths in the
JSON are relative to the repository (the session's temporary folder is written
``<session>``). A contender that cannot run here (NEST not installed, no CUDA GPU,
no C++ compiler) is named with its reason, ``not run: <reason>``, on the console
and in the report.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from nets import CUBA_SERIES, DT, DURATION, NETWORKS, describe, expected_synapses  # noqa: E402

NCPU = os.cpu_count() or 1

# name: runner (worker.py), threads, label
CONTENDERS = {
    "neurosim-numba-1": dict(runner="neurosim-numba", threads=1,
                             label="neurosim numba, 1 thread"),
    f"neurosim-numba-{NCPU}": dict(runner="neurosim-numba", threads=NCPU,
                                   label=f"neurosim numba, {NCPU} threads"),
    # float32 state, which the validation allows (tests/test_precision.py): half the
    # bytes per neuron update, the resource the update is bound by at large N
    "neurosim-numba-1-f32": dict(runner="neurosim-numba", threads=1, dtype="float32",
                                 label="neurosim numba float32, 1 thread"),
    "neurosim-numpy": dict(runner="neurosim-numpy", threads=1, label="neurosim numpy"),
    "neurosim-cuda": dict(runner="neurosim-cuda", threads=1, label="neurosim cuda (GPU)"),
    "b2cython": dict(runner="b2cython", threads=1, label="Brian2 runtime (cython)"),
    "b2cpp-1": dict(runner="b2cpp", threads=1, label="Brian2 cpp_standalone, 1 thread"),
    "b2cpp-2": dict(runner="b2cpp", threads=2, label="Brian2 cpp_standalone, 2 OpenMP threads"),
    "nest-1": dict(runner="nest", threads=1, label="NEST, 1 thread"),
    f"nest-{NCPU}": dict(runner="nest", threads=NCPU, label=f"NEST, {NCPU} threads"),
}
REFERENCE = "neurosim-numba-1"      # the rate every contender is checked against

SETS = {
    # make bench: CUBA up to 64k, COBA 4k, the binary network; the slow contenders
    # (numpy, Brian2's runtime, NEST) at the small sizes only, several threads only at
    # 64k, where they can pay off. The all-contender version of this set took 34 min
    # (load 2.4) and 59 min (load 6.3) on this 2-core machine, most of it in those
    # contenders; limited so, the per-contender times of those runs add up to about
    # 7 min on idle cores (not yet measured as one run on an idle machine)
    "quick": dict(nets=["cuba-4k", "cuba-16k", "cuba-64k", "coba-4k", "binary-k100"],
                  durations={},
                  # largest network (neurons, synapses) a contender gets, and the
                  # smallest (third entry)
                  limits={"neurosim-numpy": (4000, 1e6), "b2cython": (4000, 1e6),
                          "nest": (4000, 1e6), f"neurosim-numba-{NCPU}": (None, None, 64000),
                          "b2cpp-2": (None, None, 64000)},
                  timeout=300),
    "full": dict(nets=["cuba-4k", "cuba-16k", "cuba-64k", "cuba-256k", "cuba-1M",
                       "cuba-16k-p0.02", "coba-4k", "coba-64k", "cobahh-4k", "brunel-A",
                       "binary-k100", "pd14-0.1", "pd14"],
                 durations={},
                 limits={"neurosim-numpy": (16000, 2e6)},
                 # NEST takes minutes per simulated second beyond 64k neurons here
                 exclude={"nest": ["cuba-256k", "cuba-1M"]},
                 timeout=1800),
}
# bytes per recurrent synapse at the peak of building, for refusing what cannot fit
BYTES_PER_SYNAPSE = {"neurosim": 56, "b2cython": 60, "b2cpp": 40, "nest": 70}


# ----------------------------------------------------------------- environment
def _run(cmd, env=None, timeout=60):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
        return p.returncode, p.stdout.strip(), p.stderr.strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        return -1, "", str(exc)


def _mem_available():
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def machine_info():
    info = dict(hostname=platform.node(), platform=platform.platform(), cores=NCPU,
                python=sys.version.split()[0])
    rc, out, _ = _run(["lscpu"])
    for line in out.splitlines():
        key, _, val = line.partition(":")
        if key.strip() in ("Model name", "CPU(s)", "Thread(s) per core", "L2 cache", "L3 cache"):
            info[key.strip()] = val.strip()
    with open("/proc/meminfo") as fh:
        info["MemTotal"] = fh.readline().split(":")[1].strip()
    return info


def probe_versions(env):
    versions = {}
    for mod in ("numpy", "numba", "brian2", "Cython", "neurosim"):
        rc, out, err = _run([sys.executable, "-c", f"import {mod}; print({mod}.__version__)"],
                            env=env, timeout=300)
        versions[mod.lower()] = out.splitlines()[-1] if rc == 0 and out else \
            "import failed: " + (err.splitlines() or ["?"])[-1]
    rc, out, err = _run([sys.executable, "-c", "import nest, sys; "
                         "sys.stdout.write('\\nNESTVERSION ' + nest.__version__)"],
                        env=env, timeout=300)
    found = [x for x in out.splitlines() if x.startswith("NESTVERSION ")]
    if rc == 0 and found:
        versions["nest"] = found[-1].split()[1]
    else:
        versions["nest_error"] = (err or out)[-800:] or f"exit status {rc}"
    rc, out, _ = _run(["g++", "--version"])
    versions["g++"] = out.splitlines()[0] if rc == 0 and out else "not found"
    rc, out, _ = _run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    versions["neurosim_commit"] = out if rc == 0 else "?"
    rc, out, _ = _run(["git", "-C", ROOT, "status", "--porcelain", "neurosim"])
    versions["neurosim_dirty"] = bool(out)
    # the GPU backend counts only on a real GPU, not in numba's simulator
    cuda_env = dict(env, NUMBA_ENABLE_CUDASIM="0")
    rc, out, err = _run([sys.executable, "-c", "import neurosim; "
                         "print('cuda' in neurosim.available_backends())"], env=cuda_env,
                        timeout=300)
    versions["cuda"] = rc == 0 and out.splitlines()[-1:] == ["True"]
    if not versions["cuda"]:
        rc, out, err = _run([sys.executable, "-c", "from neurosim.backends import cuda_backend "
                             "as c; print(c.CudaBackend.why_unavailable())"], env=cuda_env,
                            timeout=300)
        versions["cuda_why"] = (out or err).splitlines()[-1] if (out or err) else "?"
    return versions


# ------------------------------------------------------------------------ plan
def _last_line(text):
    lines = [x.strip() for x in str(text or "").strip().splitlines() if x.strip()]
    return lines[-1] if lines else "?"


def unavailable(name, versions):
    """Why contender ``name`` cannot run on this machine at all (whatever the network),
    from :func:`probe_versions`' findings, or ``None``."""
    c = CONTENDERS[name]
    family = c["runner"].split("-")[0]
    failed = {k: v for k, v in versions.items() if isinstance(v, str)
              and v.startswith("import failed")}
    if family == "neurosim" and "neurosim" in failed:
        return f"neurosim does not import ({failed['neurosim']})"
    if name == "neurosim-cuda" and not versions.get("cuda"):
        return f"no CUDA GPU ({versions.get('cuda_why', '?')})"
    if family in ("b2cython", "b2cpp") and "brian2" in failed:
        return f"Brian2 does not import ({failed['brian2']})"
    if family == "b2cython" and "cython" in failed:
        return (f"Cython does not import ({failed['cython']}); `make bench` installs it "
                "(extra `bench`)")
    if family in ("b2cython", "b2cpp") and versions.get("g++", "not found") == "not found":
        return "no C++ compiler (g++ not found)"
    if family == "b2cpp" and c["threads"] > NCPU:
        return f"{c['threads']} threads > {NCPU} cores"
    if family == "nest" and "nest" not in versions:
        return (f"NEST does not import ({_last_line(versions.get('nest_error'))}); "
                "see benchmarks/README.md for installing NEST")
    return None


def applies(name, net, cfg, versions):
    """``None`` if contender ``name`` runs on ``net``, else why not."""
    c = CONTENDERS[name]
    spec = NETWORKS[net]
    family = c["runner"].split("-")[0]
    why = unavailable(name, versions)
    if why:
        return why
    excl = cfg.get("exclude", {})
    if net in excl.get(name, []) + excl.get(family, []):
        return "not in this set"
    n_syn = expected_synapses(net)
    limits = cfg["limits"]
    lim = limits.get(name) or limits.get(family)
    if lim:
        max_n, max_syn, min_n = (tuple(lim) + (None,))[:3]
        if (max_n is not None and spec["n"] > max_n) or \
                (max_syn is not None and n_syn > max_syn):
            return "too slow at this size for this set" if max_n != 0 else "not in this set"
        if min_n is not None and spec["n"] < min_n:
            return "not in this set below this size"
    key = "neurosim" if family == "neurosim" else family
    need = n_syn * BYTES_PER_SYNAPSE[key] + spec["n"] * 2000
    avail = _mem_available()
    if need > 0.85 * avail:      # the estimates are peaks with some margin already
        return f"needs about {need / 2**30:.1f} GiB, {avail / 2**30:.1f} GiB available"
    return None


def worker_env(base, threads, numba_cache):
    env = dict(base)
    env.update(NUMBA_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", NUMBA_CACHE_DIR=numba_cache,
               NUMBA_ENABLE_CUDASIM="0", MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join([base["NEUROSIM_BENCH_SRC"], HERE] +
                                        [p for p in [base.get("PYTHONPATH")] if p])
    return env


def call_worker(spec, env, timeout):
    t0 = time.perf_counter()
    load = os.getloadavg()[0]
    try:
        p = subprocess.run([sys.executable, os.path.join(HERE, "worker.py"), json.dumps(spec)],
                           capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return dict(spec, status="timeout", error=f"over {timeout} s", load1=load,
                    total_s=time.perf_counter() - t0)
    lines = [x for x in p.stdout.splitlines() if x.startswith("RESULT ")]
    if p.returncode != 0 or not lines:
        err = (p.stderr or p.stdout).strip().splitlines()
        return dict(spec, status="error", error=" | ".join(err[-3:])[-600:], load1=load,
                    returncode=p.returncode, total_s=time.perf_counter() - t0)
    out = dict(spec, status="ok", load1=load, total_s=time.perf_counter() - t0)
    out.update(json.loads(lines[-1][7:]))
    return out


def log(msg):
    print(msg, flush=True)


def snapshot(session):
    """Copy neurosim and tests/networks.py: every measurement of the session runs the
    code as it was when the session started, whatever is edited meanwhile."""
    src = os.path.join(session, "src")
    shutil.copytree(os.path.join(ROOT, "neurosim"), os.path.join(src, "neurosim"),
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc"))
    shutil.copy2(os.path.join(ROOT, "tests", "networks.py"), src)
    return src


def measure(args, cfg):
    session = tempfile.mkdtemp(prefix="neurosim-bench-")
    src = snapshot(session)
    os.environ["NEUROSIM_BENCH_SRC"] = src
    versions = probe_versions(dict(os.environ, PYTHONPATH=os.pathsep.join(
        [src] + [p for p in [os.environ.get("PYTHONPATH")] if p])))
    numba_cache = os.path.join(session, "numba")       # empty: the first compile is cold
    cython_cache = os.path.join(HERE, ".cache", "cython")   # kept between sessions
    cython_cold = not os.path.isdir(cython_cache) or not os.listdir(cython_cache)
    nets = args.nets.split(",") if args.nets else cfg["nets"]
    names = args.contenders.split(",") if args.contenders else list(CONTENDERS)
    plan = {net: {} for net in nets}
    skipped = []
    for net in nets:
        for name in names:
            why = applies(name, net, cfg, versions)
            if why:
                skipped.append(dict(net=net, contender=name, why=why))
            else:
                plan[net][name] = True
    absent = {n: why for n in names if (why := unavailable(n, versions))}
    log(f"session {session}; versions {versions}")
    for name, why in absent.items():
        log(f"not run: {name:<22} {why}")
    for s in skipped:
        if s["contender"] not in absent:
            log(f"skip {s['contender']:<22} {s['net']:<16} {s['why']}")
    base_env = dict(os.environ)      # has NEUROSIM_BENCH_SRC
    timeout = args.timeout or cfg["timeout"]
    durations = {net: args.duration or cfg["durations"].get(net, DURATION) for net in nets}
    records, compiles = [], []
    start = time.time()

    def spec_for(name, net, seed, **extra):
        c = CONTENDERS[name]
        return dict(contender=c["runner"], name=name, net=net, seed=seed,
                    duration=durations[net], threads=c["threads"],
                    dtype=c.get("dtype", "float64"),
                    cache_dir=cython_cache, **extra)

    # Brian2 cpp_standalone: generate and compile once per network and thread count
    for net in nets:
        for name in [n for n in plan[net] if CONTENDERS[n]["runner"] == "b2cpp"]:
            d = os.path.join(session, "b2cpp", f"{net}-{CONTENDERS[name]['threads']}")
            spec = spec_for(name, net, args.seed, build_dir=d, runner="b2cpp-compile")
            r = call_worker(spec, worker_env(base_env, CONTENDERS[name]["threads"], numba_cache),
                            timeout)
            r["phase"] = "compile"
            compiles.append(r)
            log(f"compile {name:<22} {net:<16} {r['status']} "
                f"{r.get('compile_s', float('nan')):.1f} s")
            if r["status"] != "ok":
                plan[net].pop(name)
                skipped.append(dict(net=net, contender=name, why=f"compilation failed "
                                    f"({r['status']}: {_last_line(r.get('error'))})"))
    failed = set()
    for rep in range(args.reps):
        for k, net in enumerate(nets):
            order = list(plan[net])
            shift = (rep + k) % max(1, len(order))
            for name in order[shift:] + order[:shift]:
                if (net, name) in failed:
                    continue
                c = CONTENDERS[name]
                extra = {}
                seed = args.seed + rep
                if c["runner"] == "b2cpp":
                    extra["build_dir"] = os.path.join(session, "b2cpp", f"{net}-{c['threads']}")
                    seed = args.seed
                r = call_worker(spec_for(name, net, seed, **extra),
                                worker_env(base_env, c["threads"], numba_cache), timeout)
                r.update(rep=rep, phase="rep")
                records.append(r)
                if r["status"] != "ok":
                    failed.add((net, name))
                    log(f"rep {rep} {name:<22} {net:<16} {r['status']}: {r.get('error')}")
                else:
                    log(f"rep {rep} {name:<22} {net:<16} run {loop_time(r):8.3f} s  "
                        f"build {r['build_s']:6.2f}  compile {r['compile_s']:6.2f}  "
                        f"spikes {r['spikes']:>9}  [{time.time() - start:6.0f} s, "
                        f"load {r['load1']:.1f}]")
    shutil.rmtree(session, ignore_errors=True)
    os.environ.pop("NEUROSIM_BENCH_SRC", None)
    res = dict(
        created=datetime.datetime.now().isoformat(timespec="seconds"),
        command=command_line(sys.argv[1:]),
        set=args.set, reps=args.reps, seed=args.seed, nets=nets, durations=durations,
        contenders={n: CONTENDERS[n] for n in names}, machine=machine_info(),
        versions=versions, cython_cache_cold=cython_cold, skipped=skipped,
        compiles=compiles, records=records, elapsed_s=time.time() - start,
        loadavg_end=os.getloadavg(), note=args.note, not_run=absent)
    # the results name no path of this machine: the session's folder becomes <session>,
    # the repository's paths relative ones
    return neutral_paths(res, session)


def _path_substitutions(session=None):
    """(prefix, replacement) pairs, longest first: the paths of this machine that a
    result may mention (in specs, errors, tracebacks) and their neutral forms."""
    subs = [(ROOT + os.sep, ""), (ROOT, "."), (tempfile.gettempdir(), "<tmp>"),
            (os.path.expanduser("~"), "~")]
    if session:
        subs.append((session, "<session>"))
    for prefix in {sys.prefix, sys.base_prefix}:
        if not prefix.startswith(ROOT):       # a venv inside the repository: relative
            subs.append((prefix, "<python>"))
    return sorted(((a, b) for a, b in subs if a not in ("", os.sep, "~")),
                  key=lambda x: -len(x[0]))


def neutral_paths(obj, session=None, _subs=None):
    """``obj`` (a result: dicts, lists, strings) with every machine path made neutral."""
    if _subs is None:
        # a prefix counts where a path component ends: not /tmpfoo for /tmp
        _subs = [(re.compile(re.escape(a) + ("" if a.endswith(os.sep) else r"(?![\w.-])")), b)
                 for a, b in _path_substitutions(session)]
    if isinstance(obj, dict):
        return {k: neutral_paths(v, _subs=_subs) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(neutral_paths(v, _subs=_subs) for v in obj)
    if isinstance(obj, str):
        for pattern, rep in _subs:
            obj = pattern.sub(lambda m: rep, obj)
    return obj


def repo_path(path):
    """``path`` relative to the repository if inside it, else ``<dir>/`` and its name."""
    full = os.path.abspath(path)
    if full == ROOT or full.startswith(ROOT + os.sep):
        return os.path.relpath(full, ROOT)
    return "<dir>/" + os.path.basename(full)


def command_line(argv):
    """The command as it would be typed in the repository, with no machine path."""
    words = [repo_path(a) if os.path.isabs(a) else a for a in argv]
    return " ".join(["python", "benchmarks/run.py"] + words)


# ------------------------------------------------------------------- analysis
def loop_time(r):
    """The time compared: for one-thread contenders the CPU time of the loop (all that
    Brian2 cpp_standalone reports without OpenMP, and what a shared machine disturbs
    least), for several threads and on the GPU the wall time of the loop."""
    if r["threads"] == 1 and r.get("run_cpu_s") is not None and \
            not r["name"].startswith("neurosim-cuda"):
        return r["run_cpu_s"]
    return r["run_s"]


def _outliers(x):
    """Mask of timing outliers: more than 1.5 times the median of the other
    repetitions (interference only ever slows a run down), judged only with at least
    three repetitions."""
    x = np.asarray(x, dtype=float)
    bad = np.zeros(x.size, dtype=bool)
    if x.size < 3:
        return bad
    for k in range(x.size):
        others = np.median(np.delete(x, k))
        bad[k] = x[k] > 1.5 * others
    if bad.sum() * 2 >= x.size:         # no majority to judge by
        bad[:] = False
    return bad


def summarise(res):
    """Per (network, contender): medians and checks."""
    rows = []
    for net in res["nets"]:
        spec = NETWORKS[net]
        dur = res["durations"][net]
        for name in res["contenders"]:
            recs = [r for r in res["records"] if r["net"] == net and r["name"] == name]
            if not recs:
                continue
            ok = [r for r in recs if r["status"] == "ok"]
            row = dict(net=net, contender=name, n=spec["n"], duration=dur, reps=len(recs),
                       flags=[])
            if not ok:
                row.update(status=recs[0]["status"], error=recs[0].get("error"))
                rows.append(row)
                continue
            run = np.array([loop_time(r) for r in ok])
            bad = _outliers(run)
            used = [r for r, b in zip(ok, bad) if not b]
            if bad.any():
                row["flags"].append(f"outlier rep(s) {[r['rep'] for r, b in zip(ok, bad) if b]} "
                                    f"left out ({', '.join(f'{v:.3g}' for v in run[bad])} s)")
            def med(key):
                vals = [r.get(key) for r in used]
                vals = [np.nan if x is None else x for x in vals]
                return float(np.median(vals))
            rates = np.array([r["spikes"] / (spec["n"] * dur) for r in ok])
            n_syn = med("n_syn")
            row.update(status="ok", used=len(used), threads=CONTENDERS[name]["threads"],
                       run_s=float(np.median(run[~bad])), wall_s=med("run_s"),
                       cpu_s=med("run_cpu_s"), spikes_by_seed={r["seed"]: r["spikes"] for r in ok},
                       run_min=float(run[~bad].min()), run_max=float(run[~bad].max()),
                       build_s=med("build_s"), compile_s=med("compile_s"),
                       spikes=med("spikes"), rate=float(np.median(rates)),
                       rate_sd=float(rates.std(ddof=1)) if rates.size > 1 else np.nan,
                       n_syn=n_syn, rss_mb=float(np.median(
                           [max(r.get("rss_mb", 0), r.get("rss_children_mb", 0)) for r in used])),
                       seeds=sorted({r["seed"] for r in ok}))
            row["rtf"] = row["run_s"] / dur
            row["events_per_s"] = row["spikes"] * (n_syn / spec["n"]) / row["run_s"]
            if name.startswith("b2cpp"):
                comp = [c for c in res["compiles"] if c["net"] == net and c["name"] == name]
                if comp and comp[0]["status"] == "ok":
                    row["compile_s"] = comp[0]["compile_s"]
                    row["codegen_s"] = comp[0]["codegen_s"]
            rows.append(row)
    _check_rates(rows)
    _ratios(rows)
    return rows


def _check_rates(rows):
    by_net = {}
    for r in rows:
        by_net.setdefault(r["net"], {})[r["contender"]] = r
    for net, group in by_net.items():
        ref = group.get(REFERENCE)
        if not ref or ref.get("status") != "ok":
            continue
        n, dur = ref["n"], ref["duration"]
        # the spread between seeds (networks drawn anew) is the statistical error of a
        # rate; with few seeds it is poorly known, so allow at least 5 % and Poisson noise
        sd = ref["rate_sd"] if np.isfinite(ref["rate_sd"]) else 0.0
        for name, r in group.items():
            if r.get("status") != "ok":
                continue
            k = r["used"]
            tol = max(3 * sd * np.sqrt(1 / k + 1 / ref["used"]), 0.05 * ref["rate"],
                      3 * np.sqrt(max(ref["spikes"], 1)) / (n * dur))
            r["rate_tol"] = tol
            r["rate_ok"] = bool(abs(r["rate"] - ref["rate"]) <= tol)
            if not r["rate_ok"]:
                if NETWORKS[net]["model"] == "binary":
                    r["flags"].append(f"activity {r['rate'] * DT:.3f} differs from neurosim's "
                                      f"{ref['rate'] * DT:.3f} by more than {tol * DT:.3f}")
                else:
                    r["flags"].append(f"rate {r['rate']:.3g} Hz differs from neurosim's "
                                      f"{ref['rate']:.3g} Hz by more than {tol:.2g} Hz")
        # neurosim's backends promise the same spikes for the same seed (and dtype)
        ns_rows = [r for name, r in group.items() if name.startswith("neurosim")
                   and not name.endswith("-f32") and r.get("status") == "ok"]
        counts = {}
        for r in ns_rows:
            for seed, spikes in r["spikes_by_seed"].items():
                counts.setdefault(seed, set()).add(spikes)
        if any(len(c) > 1 for c in counts.values()):
            for r in ns_rows:
                r["flags"].append("neurosim backends/threads disagree on the spike count")


def _ratios(rows):
    base = {(r["net"], CONTENDERS[r["contender"]]["threads"]): r for r in rows
            if r["contender"].startswith("b2cpp") and r.get("status") == "ok"}
    for r in rows:
        if r.get("status") != "ok":
            continue
        threads = CONTENDERS[r["contender"]]["threads"]
        b = base.get((r["net"], min(threads, 2)))
        r["ratio"] = r["run_s"] / b["run_s"] if b else np.nan
        r["ratio_to"] = b["contender"] if b else None


# --------------------------------------------------------------------- output
def _fmt(x, digits=3):
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "-"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def _rate(r):
    if NETWORKS[r["net"]]["model"] == "binary":      # one spike per active step
        return f"activity {r['rate'] * DT:.3f}"
    return _fmt(r["rate"])


def _events(x):
    return "-" if not np.isfinite(x) else f"{x / 1e6:.3g} M"


def _paths(p):
    paths = p if isinstance(p, list) else [p]
    return ", ".join(f"`{repo_path(x) if os.path.isabs(x) else x}`" for x in paths)


def not_run(res):
    """``[(contender, reason)]``: the contenders asked for that have no successful
    measurement in ``res``, each with why: the machine lacks it (``res['not_run']``,
    e.g. NEST not installed, no CUDA GPU), every network was skipped (the reasons of
    the skips) or every measurement failed."""
    absent = dict(res.get("not_run") or {})
    out = []
    for name in res["contenders"]:
        recs = [r for r in res["records"] if r.get("name") == name]
        if any(r["status"] == "ok" for r in recs):
            continue
        if name in absent:
            why = absent[name]
        elif recs:
            why = "every measurement failed (" + "; ".join(dict.fromkeys(
                f"{r['net']}: {r['status']}" for r in recs)) + ")"
        else:
            whys = list(dict.fromkeys(s["why"] for s in res["skipped"]
                                      if s["contender"] == name))
            why = "; ".join(whys) if whys else "no network of this set applies"
        out.append((name, why))
    return out


def not_run_lines(res):
    """One line per contender that did not run: ``<name>, <label>: not run: <reason>``."""
    return [f"`{n}`, {CONTENDERS[n]['label'] if n in CONTENDERS else n}: not run: {why}"
            for n, why in not_run(res)]


KEPT_SECTIONS = ("<!-- gpu:begin -->", "<!-- mpi:begin -->", "<!-- speed:begin -->")


def write_markdown(res, rows, path, image_rel):
    m, v = res["machine"], res["versions"]
    lines = ["# Benchmarks", "",
             "neurosim against Brian2 and NEST on the networks defined in "
             "`benchmarks/README.md` (code in `benchmarks/`). "
             "Generated by "
             "`benchmarks/run.py` from the raw results in "
             f"{_paths(res.get('json_path', '?'))}; do not edit by hand.", ""]
    load = [r["load1"] for r in res["records"]]
    shared = bool(load) and float(np.median(load)) > 0.5 * m["cores"]
    lines += ["## How it was measured", "",
              f"- Command: `{res['command']}` (`make bench` runs `--quick`, `make bench-full` "
              "runs `--full`); "
              f"{res['reps']} repetitions, set `{res['set']}`, {res['elapsed_s'] / 60:.0f} min."
              if "parts" not in res else
              f"- Merged from {len(res['parts'])} runs (`--report` with several results "
              f"files; `make bench` runs `--quick`, `make bench-full` `--full`), "
              f"{res['reps']} or more repetitions each, {res['elapsed_s'] / 60:.0f} min in all: "
              + "; ".join(f"`{p['command']}` at commit {p['commit']} ({', '.join(p['nets'])}; "
                          f"{p['elapsed_s'] / 60:.0f} min)" for p in res["parts"]) + ".",
              f"- Machine: {m.get('Model name', '?')}, {m['cores']} cores, "
              f"{m.get('MemTotal', '?')} memory; {m['platform']}.",
              f"- Versions: Python {m['python']}, neurosim {v.get('neurosim')} "
              f"(commit {v.get('neurosim_commit')}"
              f"{', with uncommitted changes in neurosim/' if v.get('neurosim_dirty') else ''}), "
              f"numpy {v.get('numpy')}, numba {v.get('numba')}, Brian2 {v.get('brian2')} "
              f"(Cython {v.get('cython')}, {v.get('g++')}), "
              f"NEST {v.get('nest', 'not available')}.",
              f"- Load: the 1-minute load average at the start of the measurements was "
              f"{min(load) if load else 0:.1f} to {max(load) if load else 0:.1f} "
              f"(median {np.median(load) if load else 0:.1f}) on {m['cores']} cores."]
    if shared:
        lines += ["- **The machine was shared with other jobs during this measurement**, so the "
                  "absolute times are noisy and the ratios only indicative; rerun on an idle "
                  "machine for numbers to quote. One-thread contenders are compared by CPU time, "
                  "which the sharing disturbs least (caches and memory bandwidth are still "
                  "shared). Multi-thread wall times are not meaningful on an oversubscribed "
                  "machine: every contender synchronises its threads at every step, and a "
                  "descheduled thread stalls the others (10-1000x slower than one thread here)."]
    if res.get("note"):
        lines += [f"- Note: {res['note']}"]
    lines += [
        "- Each number is the median over the repetitions of one fresh process per "
        "measurement; contenders were interleaved round-robin within each repetition. "
        "*run*: the simulation loop only (CPU time for one thread, wall time for "
        "several, see below); *build*: from the description to ready arrays "
        "(Brian2 runtime: objects and `connect`; `cpp_standalone`: the binary's set-up, "
        "its wall time minus the run; NEST: `Create`, `Connect` and `Prepare`); *compile*: "
        "neurosim `net.timings['compile']` (numba, loaded from a warm cache), Brian2 runtime "
        "the code generation and Cython compilation before the loop (warm cache), "
        "`cpp_standalone` `make` (once per network and thread count).",
        "- *ratio*: run time over Brian2 `cpp_standalone`'s at the same thread count "
        "(1-thread contenders against 1 thread, multi-thread against 2 OpenMP threads); "
        "below 1 is faster than Brian2 `cpp_standalone`.",
        "- *events/s*: spikes x mean recurrent out-degree / run time (external Poisson "
        "input not counted); *RTF*: run time / simulated time; *RSS*: peak resident memory "
        "of the measuring process (for `cpp_standalone` the binary).",
        "- Balanced binary network: an active unit emits a spike in every step in neurosim "
        "and Brian2 (where the network is written the same way), so *spikes* count active "
        "(unit, step) pairs and *rate* is the mean activity; NEST sends only state changes "
        "and updates in continuous time from the current input, starting all units inactive "
        "(its activity is decoded from the transitions; its *events/s* are the equivalent "
        "count, not what it transmits). NEST's binary network is thus a different "
        "discretisation of the model, and its activity is expected to differ.",
        "- Every contender draws its own network from its own generator; each repetition "
        "uses another seed (Brian2 `cpp_standalone` reruns its compiled binary, one "
        "network). A contender's rate is checked against neurosim's (numba, 1 thread): "
        "it must lie within max(3 x seed-to-seed spread, 5 %, Poisson error); deviations "
        "are flagged below, as are timing outliers (slower than 1.5x the median of the "
        "other repetitions, left out of the median).", ""]
    ncold = [c for c in res["records"] if c.get("name", "").startswith("neurosim-numba")
             and c["status"] == "ok"]
    if ncold:
        first = min(ncold, key=lambda r: (r["rep"], res["records"].index(r)))
        warm = np.median([r["compile_s"] for r in ncold if r is not first])
        lines += [f"- neurosim compile: {first['compile_s']:.1f} s on a cold numba cache "
                  f"(the session's first run), {warm:.2f} s from the warm cache (median)."]
    b2 = [c for c in res["records"] if c.get("name") == "b2cython" and c["status"] == "ok"]
    if b2:
        first = min(b2, key=lambda r: (r["rep"], res["records"].index(r)))
        lines += [f"- Brian2 runtime: code generation and compilation before the loop "
                  f"took {first['compile_s']:.1f} s in the first run "
                  f"({'empty' if res.get('cython_cache_cold') else 'warm'} Cython cache), "
                  f"{np.median([r['compile_s'] for r in b2]):.1f} s median."]
    comp = [c for c in res["compiles"] if c["status"] == "ok"]
    if comp:
        lines += [f"- Brian2 `cpp_standalone`: code generation "
                  f"{np.median([c['codegen_s'] for c in comp]):.1f} s and `make` "
                  f"{np.median([c['compile_s'] for c in comp]):.1f} s per network "
                  f"(median of {len(comp)} builds)."]
    lines += [""]

    missing = not_run_lines(res)
    if missing:
        lines += ["## Contenders not run", "",
                  "Asked for, but without a measurement in these runs (so without a column "
                  "in the tables below):", ""]
        lines += [f"- {x}" for x in missing] + [""]

    # summary matrix: run time (ratio)
    names = [n for n in res["contenders"] if any(r["contender"] == n for r in rows)]
    lines += ["## Run time of 1 s of network activity", "",
              "Seconds per simulated second (the realtime factor): CPU time of the loop for "
              "one-thread contenders (equal to its wall time on an idle machine; Brian2 "
              "`cpp_standalone` without OpenMP reports nothing else), wall time for several "
              "threads; in brackets "
              "the ratio to Brian2 `cpp_standalone` at the same thread count. `!` marks a "
              "flagged row (see the details).", "",
              "| network | " + " | ".join(CONTENDERS[n]["label"] for n in names) + " |",
              "|---|" + "---|" * len(names)]
    for net in res["nets"]:
        cells = []
        for n in names:
            r = next((x for x in rows if x["net"] == net and x["contender"] == n), None)
            if r is None:
                cells.append("")
            elif r.get("status") != "ok":
                cells.append(r.get("status", "?"))
            else:
                ratio = f" ({r['ratio']:.2g})" if np.isfinite(r.get("ratio", np.nan)) else ""
                cells.append(f"{_fmt(r['rtf'])}{ratio}{' !' if r['flags'] else ''}")
        dur = res["durations"][net]
        extra = f" ({dur:g} s simulated)" if dur != DURATION else ""
        lines.append(f"| {describe(net)}{extra} | " + " | ".join(cells) + " |")
    lines += ["", f"![run time against network size]({image_rel})", ""]

    lines += ["## Details", "",
              "*run s*: the compared time (CPU time of the loop for one thread, wall time "
              "for several), median and range over the repetitions used; *wall s* and "
              "*CPU s*: both clocks where the contender has them.", "",
              "| network | contender | run s (min-max) | wall s | CPU s | build s | compile s | "
              "spikes | rate Hz | events/s | RTF | RSS MB | ratio | flags |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        label = CONTENDERS[r["contender"]]["label"]
        if r.get("status") != "ok":
            lines.append(f"| {r['net']} | {label} | {r.get('status')} | | | | | | | | | | | "
                         f"{r.get('error', '')[:200]} |")
            continue
        lines.append(
            f"| {r['net']} | {label} | {_fmt(r['run_s'])} ({_fmt(r['run_min'])}-"
            f"{_fmt(r['run_max'])}) | {_fmt(r['wall_s'])} | {_fmt(r['cpu_s'])} | "
            f"{_fmt(r['build_s'])} | {_fmt(r['compile_s'])} | "
            f"{r['spikes']:,.0f} | {_rate(r)} | {_events(r['events_per_s'])} | "
            f"{_fmt(r['rtf'])} | {r['rss_mb']:.0f} | {_fmt(r.get('ratio'))} | "
            f"{'; '.join(r['flags'])} |")
    lines += [""]
    if res["skipped"]:
        lines += ["## Not measured", ""]
        seen = {}
        for s in res["skipped"]:
            seen.setdefault((s["contender"], s["why"]), []).append(s["net"])
        for (name, why), nets_ in seen.items():
            lines.append(f"- {CONTENDERS[name]['label']}: {', '.join(nets_)}: {why}.")
        lines += [""]
    if "nest_error" in v:
        lines += [f"NEST could not be imported: `{v['nest_error'][-300:]}`", ""]
    # the hand-written sections after the tables (the GPU measurements; MPI from
    # benchmarks/mpi_bench.py and its scaling estimate; the speed work and the memory
    # floor) are kept as they are
    kept = ""
    if os.path.exists(path):
        with open(path) as fh:
            old = fh.read()
        starts = [old.index(m) for m in KEPT_SECTIONS if m in old]
        if starts:
            kept = "\n" + old[min(starts):]
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + kept)


def plot_scaling(res, rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(10.5, 5))
    series = [n for n in CUBA_SERIES if n in res["nets"]]
    coba = [n for n in ("coba-4k", "coba-64k") if n in res["nets"]]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, name in enumerate(res["contenders"]):
        col = colors[k % len(colors)]
        multi = CONTENDERS[name]["threads"] > 1          # hollow markers
        for nets_, style, tag in ((series, "o-", "CUBA"), (coba, "s--", "COBA")):
            pts = [(r["n"], r["rtf"]) for net in nets_ for r in rows
                   if r["net"] == net and r["contender"] == name and r.get("status") == "ok"]
            if not pts:
                continue
            x, y = zip(*pts)
            ax.plot(x, y, style, color=col, mfc="none" if multi else col,
                    label=f"{CONTENDERS[name]['label']} ({tag})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("neurons N (80 inputs per neuron)")
    ax.set_ylabel("run time per simulated second (s)\n1 thread: CPU time; hollow: wall time")
    ax.set_title("CUBA (solid) and COBA (dashed), dt = 0.1 ms")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def merge(parts):
    """One result from several runs, e.g. ``make bench`` and the larger networks run apart.

    Records, compilations and skips are pooled; a (network, contender) measured in
    several runs is taken from the last of them (e.g. a rerun of one contender that
    failed). ``parts`` keeps each run's command, commit and duration for the report.
    """
    res = dict(parts[-1])
    later = set()
    for key in ("records", "compiles", "skipped"):
        res[key] = []
    for p in reversed(parts):
        own = {(r["net"], r["name"]) for r in p["records"]} - later
        res["records"] = [r for r in p["records"] if (r["net"], r["name"]) in own] + \
            res["records"]
        for key in ("compiles", "skipped"):
            res[key] = [x for x in p[key]
                        if (x["net"], x.get("name", x["contender"])) not in later] + res[key]
        later |= own
    res["nets"] = list(dict.fromkeys(n for p in parts for n in p["nets"]))
    res["durations"] = {k: v for p in parts for k, v in p["durations"].items()}
    res["contenders"] = {k: v for p in parts for k, v in p["contenders"].items()}
    res["reps"] = min(p["reps"] for p in parts)
    res["set"] = " + ".join(dict.fromkeys(p["set"] for p in parts))
    res["elapsed_s"] = sum(p["elapsed_s"] for p in parts)
    res["cython_cache_cold"] = parts[0].get("cython_cache_cold")
    res["note"] = " ".join(p["note"] for p in parts if p.get("note"))
    # a contender missing from one run is not missing from the merged result if another
    # run measured it (not_run() looks at the records)
    res["not_run"] = {k: v for p in parts for k, v in (p.get("not_run") or {}).items()}
    res["parts"] = [dict(command=p["command"], commit=p["versions"].get("neurosim_commit"),
                         created=p.get("created"), elapsed_s=p["elapsed_s"],
                         nets=[n for n in p["nets"] if any(r["net"] == n for r in res["records"]
                                                           if r in p["records"])],
                         json_path=p["json_path"])
                    for p in parts]
    res["json_path"] = [p["json_path"] for p in parts]
    return res


def report(res, docs, image):
    rows = summarise(res)
    res["summary"] = rows
    os.makedirs(os.path.dirname(image), exist_ok=True)
    plot_scaling(res, rows, image)
    write_markdown(res, rows, docs, os.path.relpath(image, os.path.dirname(docs)))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", dest="set", action="store_const", const="quick",
                   help="the quick set (default; `make bench`)")
    g.add_argument("--full", dest="set", action="store_const", const="full",
                   help="every network and size (`make bench-full`)")
    ap.set_defaults(set="quick")
    ap.add_argument("--reps", type=int, default=3, help="repetitions (default 3)")
    ap.add_argument("--out", help="JSON of the raw results (default "
                    "benchmarks/results/bench-<set>-<time>.json)")
    ap.add_argument("--docs", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    ap.add_argument("--image", default=os.path.join(ROOT, "docs", "images",
                                                    "benchmarks_scaling.png"))
    ap.add_argument("--no-docs", action="store_true", help="write only the JSON")
    ap.add_argument("--nets", help="comma-separated networks instead of the set's: "
                    + ", ".join(NETWORKS))
    ap.add_argument("--contenders", help="comma-separated contenders: " + ", ".join(CONTENDERS))
    ap.add_argument("--duration", type=float, help="simulated seconds (default 1, or the set's)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, help="seconds per measurement")
    ap.add_argument("--note", help="a remark printed in the docs")
    ap.add_argument("--report", metavar="JSON", nargs="+",
                    help="only rewrite the docs from results files (several: merged, a network "
                         "measured twice taken from the later file)")
    args = ap.parse_args(argv)
    if args.report:
        parts = []
        for path in args.report:
            with open(path) as fh:
                parts.append(json.load(fh))
            parts[-1]["json_path"] = repo_path(path)
        res = parts[0] if len(parts) == 1 else merge(parts)
    else:
        if args.reps < 1:
            ap.error("--reps must be >= 1")
        cfg = SETS[args.set]
        for n in (args.nets.split(",") if args.nets else []):
            if n not in NETWORKS:
                ap.error(f"unknown network {n!r}; known: {', '.join(NETWORKS)}")
        for n in (args.contenders.split(",") if args.contenders else []):
            if n not in CONTENDERS:
                ap.error(f"unknown contender {n!r}; known: {', '.join(CONTENDERS)}")
        res = measure(args, cfg)
        out = args.out or os.path.join(
            HERE, "results", f"bench-{args.set}-{time.strftime('%Y%m%d-%H%M%S')}.json")
        out = os.path.abspath(out)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        res["json_path"] = repo_path(out)
        with open(out, "w") as fh:
            json.dump(res, fh, indent=1, default=float)
        log(f"raw results: {out}")
    if not args.no_docs:
        rows = report(res, args.docs, args.image)
        if not args.report:
            with open(out, "w") as fh:
                json.dump(res, fh, indent=1, default=float)
        for r in rows:
            if r.get("status") == "ok":
                log(f"{r['net']:<16} {r['contender']:<22} RTF {r['rtf']:8.3f}  "
                    f"ratio {_fmt(r.get('ratio'))}  rate {r['rate']:.2f} Hz  "
                    f"{'; '.join(r['flags'])}")
            else:
                log(f"{r['net']:<16} {r['contender']:<22} {r.get('status')}: "
                    f"{_last_line(r.get('error'))}")
        log(f"wrote {args.docs} and {args.image}")
    for line in not_run_lines(res):
        log(line.replace("`", ""))


if __name__ == "__main__":
    main()
