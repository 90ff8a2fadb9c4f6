"""One measurement in a fresh process: ``python worker.py '<json spec>'``.

Prints one line ``RESULT {json}`` on stdout with the times (s), the spike and
synapse counts and the peak resident memory of this process (and of its
children, for a ``cpp_standalone`` binary). ``run.py`` starts one of these per
measurement so that memory, caches and thread pools start clean.

Spec keys: ``contender`` (see ``run.CONTENDERS``), ``net``, ``seed``,
``duration`` (s), ``threads``; ``build_dir`` for ``cpp_standalone``;
``cache_dir`` for Brian2's Cython cache; ``profile`` for neurosim (per-phase
timing, see :func:`profile_neurosim`).
"""
import json
import os
import resource
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import nets  # noqa: E402  (sets sys.path for neurosim and tests/networks.py)


def _rss_mb(who=resource.RUSAGE_SELF):
    return resource.getrusage(who).ru_maxrss / 1024.0     # kB on Linux


def run_neurosim(spec):
    t_import = time.perf_counter()
    import neurosim as ns
    from neurosim.units import second
    t_import = time.perf_counter() - t_import
    backend = spec["contender"].split("-")[1]
    threads = spec["threads"] if backend == "numba" else None
    net, count = nets.build_neurosim(spec["net"], dtype=spec.get("dtype", "float64"))
    net.build(dt=nets.DT * second, seed=spec["seed"])
    build = net.timings["build"]
    # a run of 0 steps compiles (or loads the cache), so that the CPU time of the
    # second run is that of the loop
    net.run(0 * second, backend=backend, n_threads=threads)
    compile_s = net.timings["compile"]
    cpu = time.process_time()
    net.run(spec["duration"] * second, backend=backend, n_threads=threads)
    cpu = time.process_time() - cpu
    spikes, n_syn = count()
    return dict(build_s=build, compile_s=compile_s, run_s=net.timings["run"], run_cpu_s=cpu,
                spikes=spikes, n_syn=n_syn, import_s=t_import, version=ns.__version__)


def _brian2_prefs(spec):
    import brian2 as b2
    b2.prefs.logging.console_log_level = "WARNING"
    if spec.get("cache_dir"):
        b2.prefs.codegen.runtime.cython.cache_dir = spec["cache_dir"]
    return b2


def run_brian2_runtime(spec):
    b2 = _brian2_prefs(spec)
    import peers_brian2
    b2.prefs.codegen.target = "cython"
    t0 = time.perf_counter()
    objects, monitors, syn = peers_brian2.build(spec["net"], spec["seed"])
    # marks the CPU clock in the first step, after code generation and compilation
    marks = []
    mark = b2.NetworkOperation(lambda: marks.append(time.process_time()),
                               dt=spec["duration"] * b2.second, when="start")
    net = b2.Network(*objects, mark)
    build = time.perf_counter() - t0
    t1 = time.perf_counter()
    net.run(spec["duration"] * b2.second)
    cpu = time.process_time() - marks[0]
    total = time.perf_counter() - t1
    run = b2.device._last_run_time
    return dict(build_s=build, compile_s=total - run, run_s=run, run_cpu_s=cpu,
                spikes=int(sum(m.num_spikes for m in monitors)),
                n_syn=int(sum(len(s) for s in syn)), version=b2.__version__)


def compile_brian2_standalone(spec):
    """Generate, compile and run once in ``build_dir``; leaves a manifest there that
    :func:`run_brian2_standalone` uses to rerun the binary."""
    b2 = _brian2_prefs(spec)
    import peers_brian2
    directory = spec["build_dir"]
    b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
    threads = int(spec["threads"])
    b2.prefs.devices.cpp_standalone.openmp_threads = threads if threads > 1 else 0
    t0 = time.perf_counter()
    objects, monitors, syn = peers_brian2.build(spec["net"], spec["seed"])
    net = b2.Network(*objects)
    net.run(spec["duration"] * b2.second)
    t1 = time.perf_counter()
    b2.device.build(directory=directory, compile=True, run=True, with_output=False)
    total = time.perf_counter() - t0
    timers = b2.device.timers
    compile_s = (timers["compile"]["clean"] or 0.0) + (timers["compile"]["make"] or 0.0)
    binary = timers["run_binary"]
    run = b2.device._last_run_time
    manifest = dict(count_files=[b2.device.get_array_filename(m.variables["N"])
                                 for m in monitors],
                    n_syn=int(sum(len(s) for s in syn)))
    with open(os.path.join(directory, "bench_manifest.json"), "w") as fh:
        json.dump(manifest, fh)
    return dict(build_s=binary - run, compile_s=compile_s,
                codegen_s=total - compile_s - binary, describe_s=t1 - t0, run_s=run,
                spikes=int(sum(m.num_spikes for m in monitors)), n_syn=manifest["n_syn"],
                version=b2.__version__)


def run_brian2_standalone(spec):
    """Rerun the compiled binary of ``build_dir`` in a child process; read its results."""
    import subprocess
    import numpy as np
    directory = spec["build_dir"]
    with open(os.path.join(directory, "bench_manifest.json")) as fh:
        manifest = json.load(fh)
    results = os.path.join(directory, "results")
    info = os.path.join(results, "last_run_info.txt")
    if os.path.exists(info):
        os.remove(info)
    t0 = time.perf_counter()
    subprocess.run(["./main", "--results_dir", results + os.sep], cwd=directory, check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    with open(info) as fh:
        run = float(fh.read().split()[0])
    spikes = 0
    for name in manifest["count_files"]:
        spikes += int(np.fromfile(os.path.join(results, name), dtype=np.int32).sum())
    # Brian2 times the loop with omp_get_wtime() (wall) when built with OpenMP and with
    # std::clock() (CPU time of the process) without: the one-thread build has no wall
    # time of its loop
    if int(spec["threads"]) > 1:
        times = dict(run_s=run)
    else:
        times = dict(run_s=None, run_cpu_s=run)
    return dict(build_s=wall - run, compile_s=0.0, spikes=spikes, n_syn=manifest["n_syn"],
                rss_children_mb=_rss_mb(resource.RUSAGE_CHILDREN), binary_wall_s=wall, **times)


def run_nest(spec):
    t_import = time.perf_counter()
    import nest
    t_import = time.perf_counter() - t_import
    nest.set_verbosity("M_ERROR")
    import peers_nest
    t0 = time.perf_counter()
    pops, recs, n_syn = peers_nest.build(spec["net"], spec["seed"], spec["threads"])
    nest.Prepare()
    build = time.perf_counter() - t0
    t1, cpu = time.perf_counter(), time.process_time()
    nest.Run(spec["duration"] * 1e3)
    run, cpu = time.perf_counter() - t1, time.process_time() - cpu
    nest.Cleanup()
    spikes = peers_nest.count_spikes(spec["net"], pops, recs, spec["duration"] * 1e3)
    return dict(build_s=build, compile_s=0.0, run_s=run, run_cpu_s=cpu, spikes=spikes,
                n_syn=n_syn, import_s=t_import, version=nest.__version__)


RUNNERS = {"neurosim": run_neurosim, "b2cython": run_brian2_runtime,
           "b2cpp-compile": compile_brian2_standalone, "b2cpp": run_brian2_standalone,
           "nest": run_nest}


def main():
    spec = json.loads(sys.argv[1])
    kind = spec.get("runner") or spec["contender"].split("-")[0]
    t0 = time.perf_counter()
    out = RUNNERS[kind](spec)
    out["wall_s"] = time.perf_counter() - t0
    out["rss_mb"] = _rss_mb()
    sys.stdout.flush()
    print("RESULT " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
