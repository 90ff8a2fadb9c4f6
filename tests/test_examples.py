"""Every gallery script runs in its quick mode and writes its figure.

Each ``examples/plot_*.py`` runs in its own process, as a user would run it:
``NEUROSIM_QUICK=1``, the Agg backend, a fresh working directory (where the
script creates ``figures/``) and the repository on ``PYTHONPATH``. The test
passes when the script exits with status 0 and the figure it saves exists.
Scripts that take more than about 15 s in quick mode on two cores are marked
``slow``.
"""
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))
# quick-mode run times on two busy cores, measured: 15-60 s (the circuit-CNN comparison,
# which trains a small CNN: 60-140 s)
SLOW = {"plot_pd14_microcircuit.py", "plot_balanced_binary.py", "plot_brian2_validation.py",
        "plot_visual_pathway.py", "plot_gpu_scaling.py", "plot_v1_tuning.py",
        "plot_circuit_vs_cnn.py", "plot_learned_features.py"}
TIMEOUT = 300                     # s per script
# optional packages an example needs: each entry a module, or a tuple of which any one
# will do; the example is skipped when one is missing
_IMAGES = ("skimage", "sklearn")        # natural images for the circuits' calibration
REQUIRES = {"plot_visual_pathway.py": [_IMAGES], "plot_v1_tuning.py": [_IMAGES],
            "plot_learned_features.py": [_IMAGES],
            "plot_circuit_vs_cnn.py": [_IMAGES, "sklearn", "torch"]}


def _missing(script):
    """The first requirement of ``script`` that is not installed, or None."""
    for need in REQUIRES.get(script.name, ()):
        options = (need,) if isinstance(need, str) else need
        if not any(importlib.util.find_spec(m) for m in options):
            return need
    return None


def _figures(script):
    """The figure paths a script saves, from its ``savefig("figures/...")`` calls."""
    return re.findall(r"savefig\(\s*[\"'](figures/[^\"']+)[\"']", script.read_text())


def _param(script):
    marks = [pytest.mark.slow] if script.name in SLOW else []
    return pytest.param(script, id=script.stem, marks=marks)


def test_examples_exist():
    assert len(EXAMPLES) >= 10, [e.name for e in EXAMPLES]


@pytest.mark.parametrize("script", [_param(s) for s in EXAMPLES])
def test_example_runs_in_quick_mode_and_writes_its_figure(script, tmp_path):
    missing = _missing(script)
    if missing:
        pytest.skip(f"{script.name} needs {missing}")
    env = dict(os.environ, NEUROSIM_QUICK="1", MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, (f"{script.name} exited with {proc.returncode}\n"
                                  f"--- stdout\n{proc.stdout[-3000:]}\n"
                                  f"--- stderr\n{proc.stderr[-3000:]}")
    expected = _figures(script)
    if expected:
        missing = [f for f in expected if not (tmp_path / f).is_file()]
        assert not missing, f"{script.name} did not write {missing}"
    else:
        written = list((tmp_path / "figures").glob("*.png"))
        assert written, f"{script.name} wrote no figure under figures/"
    for figure in (tmp_path / "figures").glob("*.png"):
        assert figure.stat().st_size > 1000, f"{figure.name} is nearly empty"
