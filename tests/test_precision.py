"""float32 networks: every backend computes in the same precision and agrees exactly."""
import os
import sys

import numpy as np
import pytest

import neurosim as ns
from neurosim.units import ms, mV

sys.path.insert(0, os.path.dirname(__file__))
from networks import balanced_binary, brunel, coba, cuba  # noqa: E402

BUILDERS = {"cuba": lambda: cuba(n=300, p=0.05), "coba": lambda: coba(n=300, p=0.05),
            "brunel": lambda: brunel(n_e=300), "binary": lambda: balanced_binary(k=20, n=100)}


def _spikes(build, backend, dtype, duration=40 * ms):
    net, monitors = build()
    net = ns.Network(*net.objects, dtype=dtype)
    net.run(duration, dt=0.1 * ms, backend=backend, seed=2)
    mon = next(m for m in monitors.values() if isinstance(m, ns.SpikeMonitor))
    return mon.i, mon.steps, net


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_float32_numba_equals_numpy(name):
    i_ref, s_ref, net = _spikes(BUILDERS[name], "numpy", "float32")
    i_fast, s_fast, _ = _spikes(BUILDERS[name], "numba", "float32")
    assert net._arrays.neurons.v.dtype == np.float32
    assert i_ref.size > 0
    np.testing.assert_array_equal(i_ref, i_fast)
    np.testing.assert_array_equal(s_ref, s_fast)


def test_float32_lif_fires_at_the_analytic_rate():
    tau_m, refractory = 20e-3, 2e-3
    lif = ns.LIF(tau_m=20 * ms, v_rest=-70 * mV, v_reset=-70 * mV, v_th=-50 * mV,
                 refractory=2 * ms)
    cell = ns.NeuronGroup(1, lif)
    spikes = ns.SpikeMonitor(cell)
    net = ns.Network(cell, ns.CurrentInput(cell, 30 * mV), spikes, dtype="float32")
    net.run(500 * ms, dt=0.1 * ms, seed=0)
    period = refractory + tau_m * np.log(30 / 10)
    isi = np.diff(spikes.t)
    assert np.all(np.abs(isi - period) <= 1e-4 + 1e-9)


def test_float32_and_float64_cuba_rates_agree_statistically():
    rates = []
    for dtype in ("float64", "float32"):
        net, monitors = cuba(n=1000, p=0.05)
        net = ns.Network(*net.objects, dtype=dtype)
        net.run(500 * ms, dt=0.1 * ms, seed=4)
        rates.append(monitors["spikes"].num_spikes / 1000 / 0.5)
    assert rates[0] > 1
    assert abs(rates[0] - rates[1]) < 0.15 * rates[0]


def test_unknown_dtype_is_refused():
    with pytest.raises(ValueError, match="dtype='float16' must be 'float64' or 'float32'"):
        ns.Network(ns.NeuronGroup(1, ns.McCullochPitts()), dtype="float16")
