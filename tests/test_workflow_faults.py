"""Workflows that failed away from their cause (issue 26), and what they do now.

* A setting that can never work is refused by ``set_config`` / ``config_context``,
  naming the setting, the value and what is allowed, instead of failing at the
  next run.
* ``ns.sweep(..., processes=2)`` and the Slurm recipe of docs/user/cluster.rst
  work under ``NUMBA_NUM_THREADS=1`` (``precompile`` used to ask for two threads).
  Both run in subprocesses, since numba reads ``NUMBA_NUM_THREADS`` once, at import.
* The documents state the thread threshold that the code uses.
"""
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import neurosim as ns
from neurosim import _config
from neurosim.backends import _BACKENDS
from neurosim.backends.numba_backend import PARALLEL_MIN_NEURONS
from neurosim.units import ms, second

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 300   # s per subprocess; each imports neurosim and loads the compiled loop (2 cores)


# ----------------------------------------------------------------- settings

@pytest.mark.parametrize("value", ["bogus", "Numba", "", None, 1])
def test_set_config_refuses_unknown_backend(value):
    before = ns.get_config()
    with pytest.raises(ValueError, match=rf"backend={re.escape(repr(value))} must be one of "
                                         r"'numpy', 'numba', 'cuda', 'auto'"):
        ns.set_config(backend=value)
    assert ns.get_config() == before


def test_config_context_refuses_unknown_backend_before_the_block():
    before = ns.get_config()
    entered = False
    with pytest.raises(ValueError, match=r"backend='bogus' must be one of 'numpy', 'numba'"):
        with ns.config_context(backend="bogus"):
            entered = True
    assert not entered and ns.get_config() == before


@pytest.mark.parametrize("name", ["numpy", "numba", "cuda", "auto"])
def test_every_backend_name_is_accepted_whether_or_not_it_can_run_here(name):
    # availability (a GPU, a driver) is checked at run time, where the reason is known
    with ns.config_context(backend=name):
        assert ns.get_config()["backend"] == name


def test_accepted_backend_names_are_the_ones_get_backend_knows():
    # _config spells them out because importing neurosim.backends there is a cycle
    assert set(_config._BACKEND_NAMES) == set(_BACKENDS) | {"auto"}


@pytest.mark.parametrize("setting, error, message", [
    (dict(progress="no"), TypeError, r"progress='no' must be True or False"),
    (dict(progress=1), TypeError, r"progress=1 must be True or False"),
    (dict(n_threads=2.0), TypeError, r"n_threads=2\.0 must be an integer"),
    (dict(n_threads=0), ValueError, r"n_threads=0 must be >= 1"),
    (dict(max_memory="4GB"), ValueError, r"max_memory='4GB' must be a number of bytes > 0"),
    (dict(max_memory=True), ValueError, r"max_memory=True must be a number of bytes > 0"),
    (dict(max_memory=float("nan")), ValueError, r"max_memory=nan must be a number of bytes"),
])
def test_other_settings_are_checked_when_set(setting, error, message):
    before = ns.get_config()
    with pytest.raises(error, match=message):
        ns.set_config(**setting)
    with pytest.raises(error, match=message):
        with ns.config_context(**setting):
            pass
    assert ns.get_config() == before


# ------------------------------------------------- NUMBA_NUM_THREADS=1 workflows

def _env(*paths):
    """This environment with numba limited to one thread, as on a cluster node."""
    return dict(os.environ, NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1",
                OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                PYTHONPATH=os.pathsep.join([*map(str, paths), str(ROOT),
                                            os.environ.get("PYTHONPATH", "")]))


def _run(cmd, env, cwd):
    """Run ``cmd``; its output, after asserting that it succeeded in time."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, cwd=cwd, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)     # the command and every process it started
        out, _ = proc.communicate()
        pytest.fail(f"{' '.join(cmd)} still running after {TIMEOUT} s:\n{out[-3000:]}")
    assert proc.returncode == 0, f"{' '.join(cmd)} failed ({proc.returncode}):\n{out[-3000:]}"
    return out


# one parameter point of a sweep: a small Poisson-driven network on the numba backend
SWEPT = '''
import neurosim as ns
from neurosim.units import Hz, mV, ms


def spike_count(point):
    cells = ns.NeuronGroup(30, ns.LIF(tau_m=10 * ms, v_rest=-65 * mV, v_reset=-65 * mV,
                                      v_th=-50 * mV, tau_syn_e=2 * ms, tau_syn_i=4 * ms),
                           v=ns.Uniform(-65 * mV, -50 * mV))
    noise = ns.PoissonGroup(50, rates=point["rate"] * Hz)
    drive = ns.Synapses(noise, cells, kind="excitatory", weight=3 * mV, delay=1 * ms,
                        connect=ns.FixedProbability(0.5))
    spikes = ns.SpikeMonitor(cells)
    ns.Network(cells, noise, drive, spikes).run(50 * ms, dt=0.1 * ms, backend="numba",
                                                 seed=point["seed"])
    return int(spikes.i.size)
'''

SWEEP_SCRIPT = '''
import json
import sys

import neurosim as ns
import swept

if __name__ == "__main__":          # "spawn" workers import this file again
    points = [dict(rate=r, seed=s) for r in (100, 400) for s in (1, 2)]
    results = ns.sweep(swept.spike_count, points, processes=2)
    json.dump([dict(ok=r.ok, value=r.value, error=r.error) for r in results],
              open(sys.argv[1], "w"))
'''


@pytest.mark.slow
def test_sweep_in_processes_with_one_numba_thread(tmp_path):
    (tmp_path / "swept.py").write_text(SWEPT)
    (tmp_path / "run_sweep.py").write_text(SWEEP_SCRIPT)
    out = tmp_path / "results.json"
    _run([sys.executable, str(tmp_path / "run_sweep.py"), str(out)], _env(tmp_path), tmp_path)
    results = json.loads(out.read_text())
    assert [r["error"] for r in results] == [None] * 4
    # the spikes do not depend on the thread count: the same as in this process
    sys.path.insert(0, str(tmp_path))
    try:
        import swept
        expected = [swept.spike_count(dict(rate=r, seed=s)) for r in (100, 400) for s in (1, 2)]
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("swept", None)
    assert [r["value"] for r in results] == expected
    assert min(expected) > 0 and expected[2] > expected[0]     # more drive, more spikes


def _slurm_script():
    """The lines of the Slurm batch script in docs/user/cluster.rst."""
    text = (ROOT / "docs" / "user" / "cluster.rst").read_text()
    block = text[text.index("#!/bin/bash"):]
    block = block[:block.index("\n\n")]
    return [line.strip() for line in block.splitlines()]


# microcircuit.py of the Slurm recipe, tiny: the pattern of cluster.rst's Python
# block (the same script on every rank, numba backend, seed; print and plot on rank 0)
MICROCIRCUIT = '''
import json
import sys

import matplotlib
matplotlib.use("Agg")

import neurosim as ns
from neurosim.units import Hz, mV, ms, second


def build_network():
    lif = ns.LIF(tau_m=10 * ms, v_rest=-65 * mV, v_reset=-65 * mV, v_th=-50 * mV,
                 refractory=2 * ms, tau_syn_e=2 * ms, tau_syn_i=4 * ms)
    cells = ns.NeuronGroup(100, lif, v=ns.Uniform(-65 * mV, -50 * mV), name="cells")
    exc, inh = cells[:80], cells[80:]
    noise = ns.PoissonGroup(50, rates=200 * Hz, name="noise")
    syn = [ns.Synapses(noise, cells, kind="excitatory", weight=2 * mV, delay=1 * ms,
                       connect=ns.FixedProbability(0.5)),
           ns.Synapses(exc, cells, kind="excitatory", weight=1 * mV, delay=1.5 * ms,
                       connect=ns.FixedProbability(0.1)),
           ns.Synapses(inh, cells, kind="inhibitory", weight=4 * mV, delay=1 * ms,
                       connect=ns.FixedProbability(0.1))]
    spikes = ns.SpikeMonitor(cells)
    return ns.Network(cells, noise, *syn, spikes), spikes


def main(out):
    net, spikes = build_network()               # the same on every rank
    net.run(0.1 * second, dt=0.1 * ms, backend="numba", seed=7)
    if ns.mpi.rank() == 0:
        print(net.timings)
        ns.plot_raster(spikes).figure.savefig(out + ".png")
        json.dump(dict(ranks=ns.mpi.num_processes(), i=spikes.i.tolist(),
                       t=spikes.t.tolist()), open(out, "w"))


if __name__ == "__main__":
    main(sys.argv[1])
'''


def _mpiexec():
    """``mpiexec`` and its flags, or None without MPI (then the script runs in one process)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return None
    exe = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or \
        shutil.which("mpiexec")
    if exe is None:
        return None
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    text = (version.stdout + version.stderr).lower()
    # more ranks than cores (a 2-core CI runner) needs --oversubscribe in Open MPI
    return [exe, "--oversubscribe"] if "open mpi" in text or "prte" in text else [exe]


@pytest.mark.slow
def test_documented_slurm_recipe_with_one_numba_thread(tmp_path):
    script = _slurm_script()
    assert "export NUMBA_NUM_THREADS=1" in script
    precompile, = [line for line in script if line.startswith("python -c")]
    launch, = [line for line in script if line.startswith("srun ")]
    assert launch == "srun python microcircuit.py"
    env = _env(tmp_path)
    # the compile step, verbatim (with this interpreter for `python`)
    cmd = shlex.split(precompile)
    _run([sys.executable, *cmd[1:]], env, tmp_path)
    # `srun python microcircuit.py`: two ranks under mpiexec where MPI is installed
    (tmp_path / "microcircuit.py").write_text(MICROCIRCUIT)
    out = tmp_path / "spikes.json"
    mpiexec = _mpiexec()
    ranks = 1 if mpiexec is None else 2
    prefix = [] if mpiexec is None else [*mpiexec, "-n", str(ranks)]
    log = _run([*prefix, sys.executable, "microcircuit.py", str(out)], env, tmp_path)
    assert "'compile'" in log and "'run'" in log                       # rank 0 printed timings
    got = json.loads(out.read_text())
    assert got["ranks"] == ranks
    assert len(got["i"]) > 100 and len(set(got["i"])) > 50             # the network fired
    assert (tmp_path / "spikes.json.png").stat().st_size > 0
    # the same spikes as one process with the default threads (here)
    sys.path.insert(0, str(tmp_path))
    try:
        import microcircuit
        net, spikes = microcircuit.build_network()
        net.run(0.1 * second, dt=0.1 * ms, backend="numba", seed=7)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("microcircuit", None)
    assert got["i"] == spikes.i.tolist() and got["t"] == spikes.t.tolist()


# ----------------------------------------------------------------- documents

def test_documents_state_the_parallel_threshold_the_code_uses():
    said = {}
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
                 *sorted((ROOT / "docs").rglob("*.rst"))]:
        text = " ".join(path.read_text(encoding="utf-8").split())
        for pattern in (r"[Ff]rom ([\d,]+) neurons on,? the neuron update",
                        r"parallelises the neuron update from ([\d,]+) neurons",
                        r"runs in parallel .{0,60}? by default only from ([\d,]+) neurons",
                        r"one thread by default below ([\d,]+) neurons"):
            for number in re.findall(pattern, text):
                said.setdefault(path.relative_to(ROOT).as_posix(), []).append(number)
    assert "docs/user/backends.rst" in said and "docs/design.md" in said
    wrong = {path: numbers for path, numbers in said.items()
             if {int(n.replace(",", "")) for n in numbers} != {PARALLEL_MIN_NEURONS}}
    assert not wrong, f"PARALLEL_MIN_NEURONS is {PARALLEL_MIN_NEURONS:,}; these say {wrong}"
