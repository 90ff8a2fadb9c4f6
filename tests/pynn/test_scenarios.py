"""PyNN's own system-test scenarios, run against neurosim.pynn.

The scenarios are PyNN's (``test/system/scenarios`` of the ``pynn==0.13.0`` source
distribution), taken unedited at test time: the sdist is downloaded once with
``pip download --no-deps --no-binary :all: pynn==0.13.0`` into
``$NEUROSIM_CACHE_DIR/pynn-sdist`` (default ``~/.cache/neurosim/pynn-sdist``), or read
from ``$NEUROSIM_PYNN_SDIST`` (a path to the ``.tar.gz``), and extracted there. Offline
and without the file, the tests are skipped with that reason.

Every scenario function (every ``test_*`` that PyNN marks with
``run_with_simulators``) is called with ``sim = neurosim.pynn``, as PyNN's
``LazySimulator`` hands them ``pyNN.nest`` or ``pyNN.brian2``. Those that need what
neurosim does not have are listed in ``UNSUPPORTED`` with the reason, and expected to
fail with the error named there (a strict xfail: a scenario that starts to pass, or
fails otherwise, is reported).
"""
import importlib
import inspect
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from pyNN import errors

VERSION = "0.13.0"
NAME = f"pynn-{VERSION}"
NOT_IMPLEMENTED = (NotImplementedError,)

# scenario -> (reason, the error it fails with)
UNSUPPORTED = {
    "test_cell_types.py::test_EIF_cond_alpha_isfa_ista":
        ("EIF_cond_alpha_isfa_ista: no AdEx with alpha-shaped conductances", NOT_IMPLEMENTED),
    "test_cell_types.py::test_HH_cond_exp":
        ("HH_cond_exp: neurosim's HodgkinHuxley is Brian2's COBAHH, not PyNN's model",
         NOT_IMPLEMENTED),
    "test_cell_types.py::test_SpikeSourceGamma":
        ("SpikeSourceGamma: Poisson and given-time sources only", NOT_IMPLEMENTED),
    "test_cell_types.py::test_SpikeSourcePoissonRefractory":
        ("SpikeSourcePoissonRefractory: Poisson sources have no dead time", NOT_IMPLEMENTED),
    "test_cell_types.py::test_composed_neuron_model_homogeneous_receptors":
        ("PointNeuron/AdExp/AlphaPSR: no composed neuron models", (AttributeError,)),
    "test_recording.py::test_issue259":
        ("spike_precision='off_grid' (NEST): neurosim's spikes fall on the step grid",
         (AssertionError,)),
    "test_recording.py::test_record_vm_and_gsyn_from_assembly":
        ("EIF_cond_exp_isfa_ista: no AdEx with conductances", NOT_IMPLEMENTED),
    "test_scenario3.py::test_scenario3":
        ("STDPMechanism(dendritic_delay_fraction=1): neurosim's STDP sees the presynaptic "
         "spike after the whole delay (axonal delays only, as pyNN.brian2)", NOT_IMPLEMENTED),
    "test_scenario4.py::test_scenario4":
        ("EIF_cond_exp_isfa_ista: no AdEx with conductances (its TsodyksMarkramSynapse "
         "projections are supported)", NOT_IMPLEMENTED),
    "test_scenario5.py::test_scenario5":
        ("multicompartment neurons (arbor/NEURON only)", (AttributeError, ImportError)),
    "test_synapse_types.py::test_simple_stochastic_synapse":
        ("SimpleStochasticSynapse: neurosim's synapses transmit every spike",
         NOT_IMPLEMENTED),
}

# scenarios that take more than a few seconds (none on neurosim so far)
SLOW = set()


def _cache_dir():
    root = os.environ.get("NEUROSIM_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "neurosim")
    return Path(root) / "pynn-sdist"


def _sdist():
    """The path of the extracted sdist, or the reason why there is none."""
    cache = _cache_dir()
    system = cache / NAME / "test" / "system"
    if (system / "scenarios" / "__init__.py").exists():
        return system, None
    archive = os.environ.get("NEUROSIM_PYNN_SDIST")
    if not archive or not Path(archive).exists():
        cache.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                            "--no-binary", ":all:", f"pynn=={VERSION}", "-d", str(cache)],
                           check=True, capture_output=True, timeout=300)
        except (subprocess.SubprocessError, OSError) as err:
            out = getattr(err, "stderr", b"") or b""
            return None, (f"cannot download the pynn=={VERSION} sdist (offline?): "
                          f"{out.decode(errors='replace').strip().splitlines()[-1:] or err}")
        archive = cache / f"{NAME}.tar.gz"
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers()
                   if m.name.startswith(f"{NAME}/test/system/")]
        tar.extractall(cache, members=members)
    return system, None


def _scenarios():
    system, why = _sdist()
    if why:
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=why), id="sdist")]
    if str(system) not in sys.path:
        sys.path.insert(0, str(system))
    params = []
    for path in sorted((system / "scenarios").glob("test_*.py")):
        module = importlib.import_module(f"scenarios.{path.stem}")
        for name, func in inspect.getmembers(module, inspect.isfunction):
            marks = [m for m in getattr(func, "pytestmark", []) if m.name == "parametrize"
                     and m.args and m.args[0] == "sim"]
            if not name.startswith("test_") or not marks or func.__module__ != module.__name__:
                continue
            key = f"{path.name}::{name}"
            extra = []
            if key in UNSUPPORTED:
                reason, raises = UNSUPPORTED[key]
                extra.append(pytest.mark.xfail(reason=reason, raises=raises, strict=True))
            if key in SLOW:
                extra.append(pytest.mark.slow)
            params.append(pytest.param(key, func, marks=extra, id=key))
    return params


@pytest.mark.parametrize("key, scenario", _scenarios())
def test_scenario(key, scenario, tmp_path, monkeypatch):
    import neurosim.pynn as sim
    monkeypatch.chdir(tmp_path)        # scenarios write files ("Results/...") where they run
    try:
        scenario(sim)
    finally:
        sim.end()


def test_unsupported_are_scenarios():
    """Every entry of UNSUPPORTED names a scenario of the sdist."""
    keys = {p.values[0] for p in _scenarios()}
    if keys == {None}:
        pytest.skip("no sdist")
    assert set(UNSUPPORTED) <= keys, set(UNSUPPORTED) - keys
