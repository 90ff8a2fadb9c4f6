"""ODEModel: models given as differential equations, stepped by the method named.

Each method is checked against its closed form on a linear system (the error
order in dt), and the generated step of the COBAHH benchmark's Hodgkin-Huxley
neuron against the numpy oracle, the CUDA simulator and Brian2.
"""
import os
import sys

import numpy as np
import pytest

import neurosim as ns
from neurosim.units import mV, ms, nA, volt

sys.path.insert(0, os.path.dirname(__file__))
from networks import cobahh  # noqa: E402


def _relaxation(method_name, coefficients=False):
    """dv/dt = (u - v)/tau, dw/dt = (v - w)/tau_w: a linear cascade with a closed form
    (``coefficients``: with its ``linear_coefficients`` for exponential Euler)."""

    class Relaxation(ns.ODEModel):
        parameters = ("tau", "tau_w")
        extra_state = ("w",)
        state_variables = {"v": ("v", volt, 0.0), "w": ("w", volt, 0.0)}
        weight_unit = current_unit = volt
        method = method_name

        @staticmethod
        def derivatives(v, ge, gi, w, i_ext, p):
            return (i_ext - v) / p.tau, 0.0, 0.0, (v - w) / p.tau_w

        @staticmethod
        def threshold(v, ge, gi, w, p):
            return v > 1.0

        @staticmethod
        def reset(v, ge, gi, w, p):
            return 0.0, ge, gi, w

        def step_parameters(self, dt):
            return {"tau": 10e-3, "tau_w": 30e-3}

        if coefficients:
            @staticmethod
            def linear_coefficients(v, ge, gi, w, i_ext, p):
                # dx/dt = a + b x; ge and gi constant (b = 0: the step x + dt a)
                return i_ext / p.tau, -1.0 / p.tau, 0.0, 0.0, 0.0, 0.0, v / p.tau_w, -1.0 / p.tau_w

    return Relaxation


def _closed_form(t, u=10e-3, tau=10e-3, tau_w=30e-3):
    v = u * (1 - np.exp(-t / tau))
    w = u * (1 - (tau_w * np.exp(-t / tau_w) - tau * np.exp(-t / tau)) / (tau_w - tau))
    return v, w


def _error(model, dt_ms, backend="numpy"):
    cells = ns.NeuronGroup(1, model(), name="cell")
    drive = ns.CurrentInput(cells, 10 * mV)
    trace = ns.StateMonitor(cells, ["v", "w"], record=0)
    net = ns.Network(cells, drive, trace)
    net.run(40 * ms, dt=dt_ms * ms, seed=1, backend=backend)
    t = np.arange(trace.v.shape[-1]) * dt_ms * 1e-3
    v, w = _closed_form(t)
    return max(np.abs(trace.v[0] - v).max(), np.abs(trace.w[0] - w).max())


@pytest.mark.parametrize("method,order,coefficients", [
    ("euler", 1, False), ("rk2", 2, False), ("rk4", 4, False),
    ("exponential_euler", 1, False), ("exponential_euler", 1, True)])
def test_each_method_converges_with_its_order_to_the_closed_form(method, order, coefficients):
    model = _relaxation(method, coefficients)
    coarse, fine = _error(model, 0.4), _error(model, 0.1)
    assert fine < 1e-4 * 10e-3 if order == 4 else fine < 5e-2 * 10e-3
    # error ratio for a 4x smaller step: 4**order (loosely: the exponential-Euler
    # step is exact for v, first order through the coupling of w)
    assert coarse / fine == pytest.approx(4.0 ** order, rel=0.25)


def test_the_compiled_step_is_the_interpreted_one_bit_for_bit():
    model = _relaxation("rk4")
    values = {}
    for backend in ("numpy", "numba"):
        cells = ns.NeuronGroup(3, model(), v=np.array([0.0, 2.0, 5.0]) * mV, name="cell")
        drive = ns.CurrentInput(cells, np.array([10.0, 20.0, 30.0]) * mV)
        trace = ns.StateMonitor(cells, ["v", "w"], record=[0, 1, 2])
        net = ns.Network(cells, drive, trace)
        net.run(20 * ms, dt=0.1 * ms, seed=1, backend=backend)
        values[backend] = (trace.v, trace.w)
    assert np.array_equal(values["numpy"][0], values["numba"][0])
    assert np.array_equal(values["numpy"][1], values["numba"][1])


def test_exponential_euler_from_the_coefficients_is_the_measured_one_to_rounding():
    """The step from ``linear_coefficients`` and the one that measures ``B`` from
    ``derivatives`` are the same method: equal to rounding, on both engines."""
    traces = {}
    for coefficients in (False, True):
        model = _relaxation("exponential_euler", coefficients)
        for backend in ("numpy", "numba"):
            cells = ns.NeuronGroup(2, model(), v=np.array([0.0, 5.0]) * mV, name="cell")
            drive = ns.CurrentInput(cells, np.array([10.0, 30.0]) * mV)
            trace = ns.StateMonitor(cells, ["v", "w"], record=[0, 1])
            ns.Network(cells, drive, trace).run(20 * ms, dt=0.1 * ms, seed=1, backend=backend)
            traces[coefficients, backend] = np.stack([trace.v, trace.w])
    assert np.array_equal(traces[True, "numpy"], traces[True, "numba"])
    np.testing.assert_allclose(traces[True, "numba"], traces[False, "numba"], rtol=1e-12,
                               atol=1e-17)


def test_an_incomplete_or_wrong_ode_model_is_refused():
    with pytest.raises(TypeError, match="defines derivatives but no reset"):
        class NoReset(ns.ODEModel):       # noqa: F841
            derivatives = staticmethod(lambda v, ge, gi, i_ext, p: (0.0, 0.0, 0.0))
            threshold = staticmethod(lambda v, ge, gi, p: False)
    with pytest.raises(ValueError, match="method='midpoint' must be one of"):
        class Midpoint(ns.ODEModel):      # noqa: F841
            method = "midpoint"
            derivatives = staticmethod(lambda v, ge, gi, i_ext, p: (0.0, 0.0, 0.0))
            threshold = staticmethod(lambda v, ge, gi, p: False)
            reset = staticmethod(lambda v, ge, gi, p: (v, ge, gi))
    with pytest.raises(ValueError, match="only the method 'exponential_euler' uses"):
        class EulerWithCoefficients(ns.ODEModel):      # noqa: F841
            method = "euler"
            derivatives = staticmethod(lambda v, ge, gi, i_ext, p: (0.0, 0.0, 0.0))
            linear_coefficients = staticmethod(
                lambda v, ge, gi, i_ext, p: (0.0, 0.0, 0.0, 0.0, 0.0, 0.0))
            threshold = staticmethod(lambda v, ge, gi, p: False)
            reset = staticmethod(lambda v, ge, gi, p: (v, ge, gi))


# ------------------------------------------------------ COBAHH (Hodgkin-Huxley)
def _cobahh(backend, n=60, duration=60 * ms, p=0.1):
    net, mon = cobahh(n, p)
    net.run(duration, dt=0.1 * ms, seed=5, backend=backend)
    return mon


def test_hodgkin_huxley_numba_equals_the_numpy_oracle():
    want, got = _cobahh("numpy"), _cobahh("numba")
    assert want["spikes"].num_spikes > 5            # the network fires
    assert np.array_equal(want["spikes"].i, got["spikes"].i)
    assert np.array_equal(want["spikes"].steps, got["spikes"].steps)
    for var in ("v", "g_e", "m"):
        assert np.array_equal(getattr(want["state"], var), getattr(got["state"], var)), var


def test_hodgkin_huxleys_coefficients_are_its_derivatives():
    """``linear_coefficients`` (the step's form) against ``derivatives`` (the model's
    definition, exported to Brian2): ``a + b x == f`` to rounding, over the range of
    the state and at the removable singularities of the rates (exprel's 0)."""
    model = ns.HodgkinHuxley()
    values = model.parameter_values(1e-4)
    p = model.kernel.Parameters(*[values[k] for k in model.kernel.parameters])
    rng = np.random.default_rng(3)
    v_t = values["v_t"]
    singular = np.array([13e-3, 40e-3, 15e-3]) + v_t
    vs = np.concatenate([rng.uniform(-0.1, 0.06, 300), singular,
                         singular + 1e-9, singular - 3e-7, singular + 1e-6])
    for v in vs:
        ge, gi, i_ext = rng.uniform(0, 5e-7), rng.uniform(0, 5e-7), rng.uniform(-1e-9, 1e-9)
        m, n, h = rng.uniform(0, 1, 3)
        state = (v, ge, gi, m, n, h)
        f = ns.HodgkinHuxley.derivatives(*state, i_ext, p)
        coef = ns.HodgkinHuxley.linear_coefficients(*state, i_ext, p)
        for x, fx, a, b in zip(state, f, coef[0::2], coef[1::2]):
            assert abs(a + b * x - fx) <= 1e-10 * (abs(a) + abs(b * x)) + 1e-300, (v, x)


def test_hodgkin_huxley_from_its_coefficients_spikes_as_from_its_derivatives():
    """One neuron under current: the step from the coefficients and the step that
    measures them from the derivatives give the same spikes, potentials to rounding."""
    class MeasuredHH(ns.HodgkinHuxley):
        parameters = ns.HodgkinHuxley.parameters[:-2]       # ODEModel adds dt, n_ref
        linear_coefficients = None

    runs = {}
    for model in (ns.HodgkinHuxley, MeasuredHH):
        cells = ns.NeuronGroup(1, model(), v=-65 * mV, name="hh")
        drive = ns.CurrentInput(cells, 0.5 * nA)
        spikes = ns.SpikeMonitor(cells)
        trace = ns.StateMonitor(cells, "v", record=0)
        ns.Network(cells, drive, spikes, trace).run(100 * ms, dt=0.1 * ms, seed=1,
                                                    backend="numpy")
        runs[model] = spikes.steps, trace.v
    assert runs[MeasuredHH][0].size > 3
    np.testing.assert_array_equal(runs[ns.HodgkinHuxley][0], runs[MeasuredHH][0])
    np.testing.assert_allclose(runs[ns.HodgkinHuxley][1], runs[MeasuredHH][1], rtol=0,
                               atol=1e-9)


def test_hodgkin_huxley_cuda_equals_numba(small_cuda):
    want, got = _cobahh("numba", n=40, duration=8 * ms), _cobahh("cuda", n=40, duration=8 * ms)
    assert want["spikes"].num_spikes > 2
    assert np.array_equal(want["spikes"].i, got["spikes"].i)
    assert np.array_equal(want["spikes"].steps, got["spikes"].steps)
    assert np.array_equal(want["state"].v, got["state"].v)


def test_a_single_hodgkin_huxley_neuron_spikes_like_brian2s():
    """One neuron under a constant current, against Brian2's COBAHH equations with
    Brian2's own exponential Euler: the same spike times to a step over 500 ms (the
    two derive the linear coefficients differently, symbolically and numerically, so
    the potentials differ by rounding)."""
    b2 = pytest.importorskip("brian2")
    from brian2 import exprel, msiemens, siemens, ufarad, cm, umetre  # noqa: F401
    cells = ns.NeuronGroup(1, ns.HodgkinHuxley(), v=-65 * mV, name="hh")
    drive = ns.CurrentInput(cells, 0.5 * b2.nA)
    spikes = ns.SpikeMonitor(cells)
    trace = ns.StateMonitor(cells, "v", record=0)
    net = ns.Network(cells, drive, spikes, trace)
    net.run(500 * ms, dt=0.1 * ms, seed=1)
    assert spikes.num_spikes > 10

    b2.start_scope()
    area = 20000 * umetre ** 2
    namespace = dict(Cm=(1 * ufarad * cm ** -2) * area, gl=(5e-5 * siemens * cm ** -2) * area,
                     El=-60 * b2.mV, EK=-90 * b2.mV, ENa=50 * b2.mV,
                     g_na=(100 * msiemens * cm ** -2) * area,
                     g_kd=(30 * msiemens * cm ** -2) * area, VT=-63 * b2.mV,
                     taue=5 * b2.ms, taui=10 * b2.ms, Ee=0 * b2.mV, Ei=-80 * b2.mV,
                     I=0.5 * b2.nA)
    eqs = """
    dv/dt = (gl*(El-v)+ge*(Ee-v)+gi*(Ei-v)-g_na*(m*m*m)*h*(v-ENa)-g_kd*(n*n*n*n)*(v-EK)+I)/Cm : volt
    dm/dt = alpha_m*(1-m)-beta_m*m : 1
    dn/dt = alpha_n*(1-n)-beta_n*n : 1
    dh/dt = alpha_h*(1-h)-beta_h*h : 1
    dge/dt = -ge*(1./taue) : siemens
    dgi/dt = -gi*(1./taui) : siemens
    alpha_m = 0.32*(mV**-1)*4*mV/exprel((13*mV-v+VT)/(4*mV))/ms : Hz
    beta_m = 0.28*(mV**-1)*5*mV/exprel((v-VT-40*mV)/(5*mV))/ms : Hz
    alpha_h = 0.128*exp((17*mV-v+VT)/(18*mV))/ms : Hz
    beta_h = 4./(1+exp((40*mV-v+VT)/(5*mV)))/ms : Hz
    alpha_n = 0.032*(mV**-1)*5*mV/exprel((15*mV-v+VT)/(5*mV))/ms : Hz
    beta_n = .5*exp((10*mV-v+VT)/(40*mV))/ms : Hz
    """
    group = b2.NeuronGroup(1, eqs, threshold="v>-20*mV", refractory=3 * b2.ms,
                           method="exponential_euler", namespace=namespace)
    group.v = -65 * b2.mV
    b2_spikes = b2.SpikeMonitor(group)
    b2.Network(group, b2_spikes).run(500 * b2.ms)
    assert b2_spikes.num_spikes == spikes.num_spikes
    assert np.abs(np.asarray(b2_spikes.t / b2.ms) - np.asarray(spikes.t / ms)).max() <= 0.1


@pytest.mark.brian2
def test_cobahh_exported_from_the_python_rules_agrees_with_brian2_spike_for_spike():
    """COBAHH written for Brian2 from HodgkinHuxley's rules (``to_brian2``, no hand-written
    equations): the same spikes over 500 ms, potentials equal to rounding."""
    pytest.importorskip("brian2")
    from neurosim.interop.brian2 import to_brian2
    from neurosim.interop.validation import first_divergence
    net, mon = cobahh(400, 0.05, record=(0, 1, 2))
    net.build(0.1 * ms, 5)
    twin = to_brian2(net)
    twin.run(500 * ms)
    net.run(500 * ms, backend="numba")
    rec = twin.recordings()
    spikes, b2_spikes = mon["spikes"], rec[mon["spikes"]]
    assert spikes.num_spikes > 3000
    assert first_divergence(spikes.steps, spikes.i, b2_spikes.steps, b2_spikes.i) is None
    np.testing.assert_array_equal(spikes.i, b2_spikes.i)
    # Brian2 derives the exponential-Euler coefficients symbolically, neurosim by
    # evaluating the rules: the potentials differ by rounding only
    np.testing.assert_allclose(mon["state"].v, rec[mon["state"]].v, rtol=0, atol=1e-9)


def test_the_brian2_equations_of_an_ode_model_are_its_rules():
    pytest.importorskip("brian2")
    from neurosim.interop._brian2_ode import ode_spec
    spec = ode_spec(ns.HodgkinHuxley(), 1e-4)
    assert ("dv/dt = ((g_l * (e_l - v) + g_e * (e_e - v) + g_i * (e_i - v) - g_na * (m * m * m)"
            " * h * (v - e_na) - g_kd * (n * n * n * n) * (v - e_k) + I_ext) / c_m) / second : 1"
            in spec["equations"])
    assert "alpha_m = 320000.0 * 0.004 / exprel((0.013 - u) / 0.004) : 1" in spec["equations"]
    assert spec["threshold"] == "v > v_th" and spec["reset"] == ""
    assert spec["refractory"] == "t_ref" and spec["params"]["t_ref"] == (3e-3, "second")
    assert spec["method"] == "exponential_euler"
    model = _relaxation("rk2")()
    with pytest.raises(Exception, match="no Brian2 counterpart|conditional"):
        class Branchy(ns.ODEModel):
            parameters = ("tau",)
            state_variables = {"v": ("v", volt, 0.0)}
            method = "euler"

            @staticmethod
            def derivatives(v, ge, gi, i_ext, p):
                return (-v if v > 0 else v) / p.tau, 0.0, 0.0

            @staticmethod
            def threshold(v, ge, gi, p):
                return v > 1.0

            @staticmethod
            def reset(v, ge, gi, p):
                return 0.0, ge, gi

            def step_parameters(self, dt):
                return {"tau": 1e-2}
        ode_spec(Branchy(), 1e-4)
    assert "dv/dt = ((I_ext - v) / tau) / second : 1 (unless refractory)" in \
        ode_spec(model, 1e-4)["equations"]
