"""The benchmark report (``benchmarks/run.py``) names every contender that did not run.

A contender that cannot run on the machine (NEST not installed, no CUDA GPU) must appear
in ``docs/benchmarks.md`` and on the console as ``not run: <reason>``, not silently be
missing from the tables. These tests feed the report-writing functions a small synthetic
results dict; nothing is measured. Also checked: the benchmark definitions agree with the
shared library of networks (``tests/networks.py``), and the stored results name no path of
the machine that measured them.
"""
import importlib.util
import json
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
sys.path.insert(0, str(Path(__file__).resolve().parent))

NEST_ERROR = ("Traceback (most recent call last):\n  File \"<string>\", line 1, in <module>\n"
              "ModuleNotFoundError: No module named 'nest'")
CUDA_WHY = "no CUDA GPU or driver was found"


@pytest.fixture(scope="module")
def run():
    """``benchmarks/run.py`` as a module (it puts ``benchmarks/`` on ``sys.path``)."""
    spec = importlib.util.spec_from_file_location("bench_run", BENCH / "run.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _versions():
    return {"numpy": "1.26.4", "numba": "0.68.1", "brian2": "2.9.0", "cython": "3.3.1",
            "neurosim": "0.1.0", "nest_error": NEST_ERROR, "g++": "g++ (Debian) 12.2.0",
            "neurosim_commit": "abc1234", "neurosim_dirty": False, "cuda": False,
            "cuda_why": CUDA_WHY}


def _record(name, net, rep, run_s, spikes):
    return dict(contender="neurosim-numba", name=name, net=net, seed=1 + rep, duration=1.0,
                threads=1, dtype="float64", status="ok", load1=0.3, rep=rep, phase="rep",
                build_s=0.2, compile_s=1.0, run_s=run_s, run_cpu_s=run_s, spikes=spikes,
                n_syn=320_000, rss_mb=300.0, wall_s=run_s + 1.5)


def _results(run, with_not_run=True):
    """One network, one contender measured; NEST (no module) and the GPU (none) asked for
    but unavailable, as ``run.measure`` records them."""
    versions = _versions()
    names = ["neurosim-numba-1", "neurosim-cuda", "nest-1"]
    nets = ["cuba-4k"]
    skipped = [dict(net=net, contender=n, why=run.unavailable(n, versions))
               for net in nets for n in names if run.unavailable(n, versions)]
    res = dict(created="2026-12-06T12:00:00", command="python benchmarks/run.py --quick",
               set="quick", reps=2, seed=1, nets=nets, durations={"cuba-4k": 1.0},
               contenders={n: run.CONTENDERS[n] for n in names},
               machine=dict(hostname="vm", platform="Linux", cores=2, python="3.11.7",
                            MemTotal="1 kB"),
               versions=versions, cython_cache_cold=False, skipped=skipped, compiles=[],
               records=[_record("neurosim-numba-1", "cuba-4k", 0, 0.13, 22104),
                        _record("neurosim-numba-1", "cuba-4k", 1, 0.14, 22300)],
               elapsed_s=60.0, loadavg_end=[0.3, 0.3, 0.3], note=None,
               json_path="benchmarks/results/bench-quick-synthetic.json")
    if with_not_run:
        res["not_run"] = {n: run.unavailable(n, versions) for n in names
                          if run.unavailable(n, versions)}
    return res


def test_unavailable_contenders_are_found_with_their_reason(run):
    v = _versions()
    assert run.unavailable("neurosim-numba-1", v) is None
    why = run.unavailable("nest-1", v)
    assert why.startswith("NEST does not import (ModuleNotFoundError: No module named 'nest')")
    assert run.unavailable("neurosim-cuda", v) == f"no CUDA GPU ({CUDA_WHY})"
    # every network gets the same reason
    assert run.applies("nest-1", "cuba-4k", run.SETS["quick"], v) == why
    v = dict(v, cython="import failed: ModuleNotFoundError: No module named 'Cython'")
    assert "Cython does not import" in run.unavailable("b2cython", v)
    v = dict(_versions(), **{"g++": "not found"})
    assert run.unavailable("b2cpp-1", v) == "no C++ compiler (g++ not found)"


@pytest.mark.parametrize("with_not_run", [True, False], ids=["probed", "older-json"])
def test_report_names_unavailable_contender_with_reason(run, tmp_path, with_not_run):
    res = _results(run, with_not_run)
    docs = tmp_path / "benchmarks.md"
    run.write_markdown(res, run.summarise(res), str(docs), "images/scaling.png")
    text = docs.read_text()
    section = text[text.index("## Contenders not run"):text.index("## Run time")]
    assert ("- `nest-1`, NEST, 1 thread: not run: NEST does not import "
            "(ModuleNotFoundError: No module named 'nest')") in section
    assert f"- `neurosim-cuda`, neurosim cuda (GPU): not run: no CUDA GPU ({CUDA_WHY})" \
        in section
    assert "neurosim-numba-1" not in section            # it ran
    # and the measured one is in the table as before
    assert "| CUBA N=4,000 p=0.02 | 0.135 |" in text


def test_failed_contender_is_named_too(run, tmp_path):
    res = _results(run)
    res["contenders"]["b2cpp-1"] = run.CONTENDERS["b2cpp-1"]
    res["skipped"].append(dict(net="cuba-4k", contender="b2cpp-1",
                               why="compilation failed (error: make: *** Error 1)"))
    assert dict(run.not_run(res))["b2cpp-1"] == "compilation failed (error: make: *** Error 1)"
    res["records"].append(dict(_record("neurosim-numpy", "cuba-4k", 0, 1.0, 1),
                               status="timeout", error="over 300 s"))
    res["contenders"]["neurosim-numpy"] = run.CONTENDERS["neurosim-numpy"]
    assert "every measurement failed (cuba-4k: timeout)" in dict(run.not_run(res))[
        "neurosim-numpy"]


def test_console_says_not_run(run, tmp_path, capsys):
    res = _results(run)
    path = tmp_path / "res.json"
    path.write_text(json.dumps(res))
    run.main(["--report", str(path), "--docs", str(tmp_path / "b.md"),
              "--image", str(tmp_path / "images" / "s.png")])
    out = capsys.readouterr().out
    assert "nest-1, NEST, 1 thread: not run: NEST does not import" in out
    assert "neurosim-cuda, neurosim cuda (GPU): not run: no CUDA GPU" in out


def test_results_name_no_machine_path(run):
    d = {"spec": {"cache_dir": str(ROOT / "benchmarks" / ".cache" / "cython"),
                  "build_dir": "/tmp/neurosim-bench-x1/b2cpp/cuba-4k-1"},
         "error": "File \"/tmp/neurosim-bench-x1/src/neurosim/network.py\", line 3",
         "n": 1.5}
    out = run.neutral_paths(d, "/tmp/neurosim-bench-x1")
    assert out == {"spec": {"cache_dir": "benchmarks/.cache/cython",
                            "build_dir": "<session>/b2cpp/cuba-4k-1"},
                   "error": "File \"<session>/src/neurosim/network.py\", line 3", "n": 1.5}
    assert run.repo_path(str(ROOT / "benchmarks" / "results" / "x.json")) == \
        os.path.join("benchmarks", "results", "x.json")
    machine = re.compile(r"(?<![\w.<])/(work|tmp|root|home|Users)/")
    for f in sorted((BENCH / "results").glob("*.json")):
        assert not machine.search(f.read_text()), f.name


def test_benchmark_pd14_is_the_shared_one():
    """``benchmarks/pd14.py`` re-exports ``tests/networks.py``'s PD14, and ``nets.py``'s
    sizes agree with it."""
    sys.path.insert(0, str(BENCH))
    import networks
    import nets
    import pd14
    assert pd14.pd14 is networks.pd14
    assert pd14.N_FULL is networks.PD14["n_full"]
    for key in ("pd14-0.1", "pd14"):
        s = nets.NETWORKS[key]
        assert s["n"] == int(networks.pd14_sizes(s["scale"]).sum())
    assert networks.pd14_expected_synapses(0.1) == 29_888_097
    assert int(networks.pd14_sizes(1.0).sum()) == 77_169
