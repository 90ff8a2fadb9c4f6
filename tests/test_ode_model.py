"""ODEModel: models given as differential equations, stepped by the method named.

Each method is checked against its closed form on a linear system (the error
order in dt), and the generated step of the COBAHH benchmark's Hodgkin-Huxley
neuron against the numpy oracle, the CUDA simulator and Brian2.
"""
import math
import os
import sys

import numpy as np
import pytest

import neurosim as ns
from neurosim.units import Hz, mV, ms, nA, second, volt

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


# ------------------------------------------------------ method "exact" (linear systems)
class ExactLIF(ns.ODEModel):
    """ns.LIF with exponential synapses, written as its equations (method 'exact')."""

    parameters = ("tau_m", "v_rest", "v_reset", "v_th", "tau_e", "tau_i")
    weight_unit = current_unit = volt
    method = "exact"

    def __init__(self, tau_m, v_rest, v_reset, v_th, tau_syn_e, tau_syn_i, refractory):
        for name, value, unit in (("tau_m", tau_m, second), ("v_rest", v_rest, volt),
                                  ("v_reset", v_reset, volt), ("v_th", v_th, volt),
                                  ("tau_e", tau_syn_e, second), ("tau_i", tau_syn_i, second),
                                  ("refractory", refractory, second)):
            setattr(self, name, float(value / unit))
        self._freeze()

    @property
    def state_variables(self):
        return {"v": ("v", volt, self.v_rest), "i_e": ("ge", volt, 0.0),
                "i_i": ("gi", volt, 0.0)}

    @staticmethod
    def derivatives(v, i_e, i_i, i_ext, p):
        return (p.v_rest - v + i_e - i_i + i_ext) / p.tau_m, -i_e / p.tau_e, -i_i / p.tau_i

    @staticmethod
    def threshold(v, i_e, i_i, p):
        return v > p.v_th

    @staticmethod
    def reset(v, i_e, i_i, p):
        return p.v_reset, i_e, i_i

    def step_parameters(self, dt):
        return {name: getattr(self, name) for name in type(self).parameters[:6]}


LIF_PARAMS = dict(tau_m=20 * ms, v_rest=-49 * mV, v_reset=-60 * mV, v_th=-50 * mV,
                  tau_syn_e=5 * ms, tau_syn_i=10 * ms, refractory=2 * ms)


def _lif_network(model, backend, n=80, duration=100 * ms, record=("v", "i_e", "i_i")):
    """A recurrent network of ``model`` under Poisson input and a current that changes
    (a piecewise-constant input, for which the exact step stays exact)."""
    cells = ns.NeuronGroup(n, model, v=ns.Uniform(-60 * mV, -50 * mV), name="cells")
    noise = ns.PoissonGroup(40, 50 * Hz, name="noise")
    drive = ns.TimedCurrent(cells, np.array([0.0, 3.0, -1.0, 2.0]) * mV, 30 * ms)
    objects = [cells, noise, drive,
               ns.Synapses(noise, cells, kind="excitatory", weight=2 * mV,
                           connect=ns.FixedProbability(0.2), delay=1 * ms),
               ns.Synapses(cells[:n * 3 // 4], cells, kind="excitatory", weight=1.5 * mV,
                           connect=ns.FixedProbability(0.1), delay=1.5 * ms),
               ns.Synapses(cells[n * 3 // 4:], cells, kind="inhibitory", weight=4 * mV,
                           connect=ns.FixedProbability(0.2), delay=0.8 * ms)]
    spikes = ns.SpikeMonitor(cells)
    trace = ns.StateMonitor(cells, list(record), record=np.arange(0, n, 7))
    net = ns.Network(*objects, spikes, trace)
    net.run(duration, dt=0.1 * ms, seed=4, backend=backend)
    return net, spikes, trace


def test_exact_integrates_a_linear_system_to_rounding_at_any_step():
    """The relaxation cascade (a singular system: ge and gi do not change) against its
    closed form, at a coarse step and a fine one: exact, not convergent."""
    model = _relaxation("exact")
    assert _error(model, 0.4) < 1e-14 and _error(model, 0.1) < 1e-14
    assert _error(model, 0.4, backend="numba") < 1e-14


def test_exact_without_hold_v_has_one_propagator():
    class Free(ExactLIF):
        parameters = ExactLIF.parameters[:6]       # ODEModel adds its own again
        hold_v = False

    assert "exact_p0_0" in Free.parameters and "exact_rp1_0" in ExactLIF.parameters
    assert not any(name.startswith("exact_r") for name in Free.parameters)
    assert " if free else " not in Free.update_source.split("y0 = y0")[0]
    values = Free(**LIF_PARAMS).parameter_values(1e-4)
    assert values["exact_p0_0"] == pytest.approx(math.exp(-1e-4 / 20e-3), rel=1e-14)


def test_exact_lif_equals_the_builtin_lif_closed_form():
    """ns.LIF written as an ODEModel with method 'exact': the propagator from the
    derivatives is the LIF's closed form, to rounding; the network spikes the same."""
    _, want_s, want = _lif_network(ns.LIF(**LIF_PARAMS), "numba")
    _, got_s, got = _lif_network(ExactLIF(**LIF_PARAMS), "numba")
    assert want_s.num_spikes > 100
    np.testing.assert_array_equal(want_s.i, got_s.i)
    np.testing.assert_array_equal(want_s.steps, got_s.steps)
    np.testing.assert_allclose(got.v, want.v, rtol=1e-12, atol=0)
    for var in ("i_e", "i_i"):
        np.testing.assert_allclose(getattr(got, var), getattr(want, var), rtol=1e-12,
                                   atol=1e-18, err_msg=var)


def test_exact_numpy_equals_numba_bit_for_bit():
    _, want_s, want = _lif_network(ExactLIF(**LIF_PARAMS), "numpy", n=40, duration=40 * ms)
    _, got_s, got = _lif_network(ExactLIF(**LIF_PARAMS), "numba", n=40, duration=40 * ms)
    assert want_s.num_spikes > 10
    np.testing.assert_array_equal(want_s.steps, got_s.steps)
    np.testing.assert_array_equal(want_s.i, got_s.i)
    for var in ("v", "i_e", "i_i"):
        np.testing.assert_array_equal(getattr(want, var), getattr(got, var), err_msg=var)


def test_exact_with_parameters_per_neuron_gets_a_propagator_per_neuron():
    tau_m = np.linspace(10, 30, 80) * ms
    _, want_s, want = _lif_network(ns.LIF(**{**LIF_PARAMS, "tau_m": tau_m}), "numba")
    _, got_s, got = _lif_network(ExactLIF(**{**LIF_PARAMS, "tau_m": tau_m}), "numba")
    assert want_s.num_spikes > 100
    np.testing.assert_array_equal(want_s.steps, got_s.steps)
    np.testing.assert_allclose(got.v, want.v, rtol=1e-12, atol=0)


class ExactAdaptiveLIF(ns.ODEModel):
    """ns.AdaptiveLIF as its equations: w is coupled to v, so while v is held
    (refractory) w follows the second propagator, that of the system with v frozen."""

    parameters = ("tau_m", "v_rest", "v_reset", "v_th", "tau_w", "a", "b", "tau_e", "tau_i")
    extra_state = ("w",)
    weight_unit = current_unit = volt
    method = "exact"
    refractory = 2e-3

    @property
    def state_variables(self):
        return {"v": ("v", volt, -70e-3), "w": ("w", volt, 0.0), "i_e": ("ge", volt, 0.0),
                "i_i": ("gi", volt, 0.0)}

    @staticmethod
    def derivatives(v, i_e, i_i, w, i_ext, p):
        dv = (p.v_rest - v + i_e - i_i + i_ext - w) / p.tau_m
        return dv, -i_e / p.tau_e, -i_i / p.tau_i, (p.a * (v - p.v_rest) - w) / p.tau_w

    @staticmethod
    def threshold(v, i_e, i_i, w, p):
        return v > p.v_th

    @staticmethod
    def reset(v, i_e, i_i, w, p):
        return p.v_reset, i_e, i_i, w + p.b

    def step_parameters(self, dt):
        return dict(tau_m=20e-3, v_rest=-49e-3, v_reset=-60e-3, v_th=-50e-3, tau_w=100e-3,
                    a=0.5, b=1e-3, tau_e=5e-3, tau_i=10e-3)


def test_exact_adaptive_lif_equals_the_builtin_one_refractory_periods_included():
    builtin = ns.AdaptiveLIF(tau_m=20 * ms, v_rest=-49 * mV, v_reset=-60 * mV, v_th=-50 * mV,
                             tau_w=100 * ms, a=0.5, b=1 * mV, tau_syn_e=5 * ms,
                             tau_syn_i=10 * ms, refractory=2 * ms)
    record = ("v", "w", "i_e")
    _, want_s, want = _lif_network(builtin, "numba", record=record)
    _, got_s, got = _lif_network(ExactAdaptiveLIF(), "numba", record=record)
    assert want_s.num_spikes > 100
    np.testing.assert_array_equal(want_s.steps, got_s.steps)
    np.testing.assert_array_equal(want_s.i, got_s.i)
    # to rounding: 1e-12 of the scale of each variable (w crosses zero, millivolts)
    for var in record:
        np.testing.assert_allclose(getattr(got, var), getattr(want, var), rtol=1e-12,
                                   atol=1e-15, err_msg=var)


def _nonlinear(rhs_v):
    """A model whose dv/dt is ``rhs_v(v, ge, p)``, with method 'exact'."""

    class NotLinear(ns.ODEModel):
        parameters = ("tau",)
        state_variables = {"v": ("v", volt, 0.0)}
        weight_unit = current_unit = volt
        method = "exact"

        @staticmethod
        def derivatives(v, ge, gi, i_ext, p):
            return rhs_v(v, ge, p), -ge / p.tau, -gi / p.tau

        @staticmethod
        def threshold(v, ge, gi, p):
            return v > 1.0

        @staticmethod
        def reset(v, ge, gi, p):
            return 0.0, ge, gi

        def step_parameters(self, dt):
            return {"tau": 10e-3}

    return NotLinear()


@pytest.mark.parametrize("rhs,variable", [
    (lambda v, ge, p: v * v / p.tau, "in 'v'"),
    # AdEx's exponential onset
    (lambda v, ge, p: (-v + 2e-3 * math.exp((v + 0.05) / 2e-3)) / p.tau, "in 'v'"),
    # a conductance: linear in each variable, not in both
    (lambda v, ge, p: ge * (0.0 - v) / p.tau, "in 'v'|in 'ge'")])
def test_exact_refuses_a_nonlinear_model_naming_the_variable(rhs, variable):
    model = _nonlinear(rhs)
    with pytest.raises(ValueError, match=rf"NotLinear \(method='exact'\): the system is not "
                                         rf"linear ({variable})"):
        model.parameter_values(1e-4)
    cells = ns.NeuronGroup(1, model, name="cell")
    with pytest.raises(ValueError, match="not linear"):
        ns.Network(cells).run(1 * ms, dt=0.1 * ms)


def test_an_overflow_in_the_derivatives_is_reported_as_non_linear():
    model = _nonlinear(lambda v, ge, p: math.exp(v / 1e-3) / p.tau)
    with pytest.raises(ValueError, match="derivatives raised OverflowError"):
        model.parameter_values(1e-4)


@pytest.mark.brian2
def test_exact_lif_agrees_with_brian2s_exact_spike_for_spike():
    """Exported with Brian2's method='exact' (its own symbolic solution): the same
    spikes, the potentials equal to rounding."""
    pytest.importorskip("brian2")
    from neurosim.interop.brian2 import to_brian2
    from neurosim.interop._brian2_ode import ode_spec
    spec = ode_spec(ExactLIF(**LIF_PARAMS), 1e-4)
    assert spec["method"] == "exact" and not any(k.startswith("exact_") for k in spec["params"])
    net, spikes, trace = _lif_network(ExactLIF(**LIF_PARAMS), "numba", duration=0 * ms)
    twin = to_brian2(net)
    twin.run(200 * ms)
    net.run(200 * ms, backend="numba")
    rec = twin.recordings()
    assert spikes.num_spikes > 200
    np.testing.assert_array_equal(spikes.i, rec[spikes].i)
    np.testing.assert_array_equal(spikes.steps, rec[spikes].steps)
    np.testing.assert_allclose(trace.v, rec[trace].v, rtol=0, atol=1e-12)
