"""The one dispatch mechanism: model-set modules rendered from the models' kernels."""
import json
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import neurosim as ns
from neurosim.kernels import _dispatch, models as M
from neurosim.units import mV, ms

KERNELS = pathlib.Path(_dispatch.__file__).parent


def test_the_packaged_model_set_modules_are_rendered_from_the_builtin_kernels():
    # after a change to a built-in model's kernel: python -m neurosim.kernels._dispatch
    rendered = _dispatch.render(M.BUILTIN)
    for name, text in rendered.items():
        assert (KERNELS / f"{name}.py").read_text() == text, f"{name}.py is out of date"


def test_a_network_of_builtin_models_uses_the_packaged_engine():
    cells = ns.NeuronGroup(3, ns.LIF(10 * ms, -70 * mV, -70 * mV, -50 * mV))
    net = ns.Network(cells)
    net.build(dt=0.1 * ms, seed=1)
    assert net._arrays.engine("simulate").__name__ == "neurosim.kernels.simulate"


def test_another_model_gets_an_engine_package_named_by_its_sources(tmp_path):
    set_a = M.model_set([_adaptive().kernel])
    assert len(set_a) == len(M.BUILTIN) + 1
    module = _dispatch.engine_module(set_a, "simulate", tmp_path)
    # written under this cache_dir, named by the hash (a process that loaded the same
    # engine from another cache_dir before keeps that module: the same code)
    folder = tmp_path / "engines" / f"engine_{_dispatch._digest(set_a, False)}"
    assert (folder / "simulate.py").exists() and module.__name__.endswith(folder.name[7:] +
                                                                         ".simulate")
    # the copies import the model set of their own package, the rest from neurosim
    text = (folder / "simulate.py").read_text()
    assert "from ._model_set import" in text and "from neurosim.kernels.elements" in text
    # the same models give the same package; the model set module calls the new rule
    assert _dispatch.engine_module(set_a, "simulate", tmp_path) is module
    assert "_update_4" in (folder / "_model_set.py").read_text()
    # the loop on threads too, with the same models
    threads = _dispatch.engine_module(set_a, "simulate_threads", tmp_path)
    assert threads.__name__ == module.__name__ + "_threads"
    text = (folder / "simulate_threads.py").read_text()
    assert "from ._model_set import" in text and "from neurosim.kernels._atomics" in text


def _adaptive():
    return ns.AdaptiveLIF(tau_m=20 * ms, v_rest=-70 * mV, v_reset=-60 * mV, v_th=-50 * mV,
                          tau_w=100 * ms, a=0.5, b=2 * mV, tau_syn_e=5 * ms, tau_syn_i=10 * ms)


USER_SCRIPT = textwrap.dedent('''
    import json
    import numpy as np
    import neurosim as ns
    from neurosim.units import mV, ms, volt

    def update(v, ge, gi, ref, i_ext, p, seed, step, k):
        # a perfect integrator with a threshold: v grows by the input, no leak
        v = v + (ge - gi + i_ext) * p.gain
        spiked = v > p.v_th
        return (0.0 if spiked else v), 0.0, 0.0, ref, spiked

    class Integrator(ns.NeuronModel):
        parameters = ("gain", "v_th")
        scalar_update = staticmethod(update)
        state_variables = {"v": ("v", volt, 0.0)}
        weight_unit = current_unit = volt

        def parameter_values(self, dt):
            return {"gain": GAIN, "v_th": 0.0105}

    cells = ns.NeuronGroup(4, Integrator(), name="cells")
    drive = ns.CurrentInput(cells, np.array([1, 2, 3, 4]) * mV)
    spikes = ns.SpikeMonitor(cells)
    net = ns.Network(cells, drive, spikes)
    net.run(10 * ms, dt=1 * ms, seed=1)
    loop = net._arrays.engine("simulate").simulate_numba
    print(json.dumps([spikes.i.tolist(), spikes.steps.tolist(),
                      sum(loop.stats.cache_hits.values()), sum(loop.stats.cache_misses.values())]))
''')


def _run_user_script(tmp_path, gain):
    script = tmp_path / "user_model.py"
    script.write_text(USER_SCRIPT.replace("GAIN", repr(gain)))
    env = dict(os.environ, NEUROSIM_CACHE_DIR=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_model_in_a_user_script_is_compiled_once_then_loaded_and_a_changed_rule_recompiles(
        tmp_path):
    i, steps, hits, misses = _run_user_script(tmp_path, 1.0)
    # neuron k integrates k+1 mV a step and fires when past 10.5 mV: every 11, 6, 4, 3 steps
    want = sorted((s, k) for k, period in enumerate([11, 6, 4, 3])
                  for s in range(period - 1, 10, period))
    assert sorted(zip(steps, i)) == want
    assert misses == 1 and hits == 0
    i2, steps2, hits, misses = _run_user_script(tmp_path, 1.0)      # a new process: the cache
    assert (i2, steps2) == (i, steps) and hits == 1 and misses == 0
    # the script changed (another gain): the same rule source file differs, a new engine
    i3, steps3, hits, misses = _run_user_script(tmp_path, 2.0)
    assert misses == 1 and len(i3) > len(i)
    assert len(list((tmp_path / "cache" / "engines").iterdir())) == 2


class _NoUpdate(ns.NeuronModel):
    parameters = ("x",)


class _WrongParameters(ns.NeuronModel):
    parameters = ("a", "b")
    scalar_update = staticmethod(lambda v, ge, gi, ref, i_ext, p, seed, step, k:
                                 (v, ge, gi, ref, False))
    state_variables = {"v": ("v", None, 0.0), "u": ("u", None, 0.0)}

    def parameter_values(self, dt):
        return {"a": 1.0, "c": 2.0}


def test_an_incomplete_model_is_refused_with_what_is_missing():
    with pytest.raises(TypeError, match="_NoUpdate defines no scalar_update"):
        ns.NeuronGroup(2, _NoUpdate()).model.kernel
    with pytest.raises(ValueError, match=r"missing \['b'\], unknown \['c'\]"):
        _WrongParameters().params(1e-4)
    with pytest.raises(ValueError, match="'u', which is neither"):
        _WrongParameters().variable("u")


def test_parameter_rows_wider_than_the_builtin_ones_are_padded():
    row = _adaptive().params(1e-4)
    assert row.size == len(ns.AdaptiveLIF.parameters) > 12
    cells = ns.NeuronGroup(2, _adaptive())
    lif = ns.NeuronGroup(2, ns.LIF(10 * ms, -70 * mV, -70 * mV, -50 * mV))
    net = ns.Network(cells, lif)
    net.build(dt=0.1 * ms, seed=1)
    prm = net._arrays.neurons.seg_prm
    assert prm.shape == (2, row.size)
    assert np.array_equal(prm[0], row) and not prm[1, 12:].any()


def _unsupported(v, ge, gi, ref, i_ext, p, seed, step, k):
    state = [object()]          # a Python object: numba cannot type it
    return v, ge, gi, ref, len(state) > 1


class _Uncompilable(ns.NeuronModel):
    parameters = ("x",)
    scalar_update = staticmethod(_unsupported)
    state_variables = {"v": ("v", None, 0.0)}

    def parameter_values(self, dt):
        return {"x": 0.0}


def test_a_rule_numba_cannot_compile_is_named_with_its_line(tmp_path):
    net = ns.Network(ns.NeuronGroup(2, _Uncompilable(), name="cells"))
    with ns.config_context(cache_dir=str(tmp_path)):
        with pytest.raises(ns.ModelCompileError) as caught:
            net.run(1 * ms, dt=0.1 * ms, seed=1)
    message = str(caught.value)
    assert "scalar_update of the neuron model _Uncompilable" in message
    assert f"{__file__}, line" in message and "state = [object()]" in message
    assert "Untyped global name 'object'" in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
