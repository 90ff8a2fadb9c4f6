"""Reference networks: the one library that the tests and the benchmarks both import.

Each builder returns ``(network, monitors)``: an unbuilt ``ns.Network`` and a dict
of its monitors. The caller chooses ``dt``, the backend and the seed in
``net.run(...)``; connectivity, initial values and input draws all follow from
that seed. The definitions (sizes, parameters, sources) are those of
``benchmarks/README.md``; ``benchmarks/nets.py`` names the benchmark instances
(``cuba-4k``, ``pd14-0.1``, ...) and builds them from here, and
``benchmarks/pd14.py`` re-exports the PD14 tables for the Brian2 and NEST
versions of the benchmarks.

Tests import this module as ``from networks import cuba``: pytest puts
``tests/`` on ``sys.path`` (rootdir-relative "prepend" import mode, there is no
``tests/__init__.py``); the test files also insert it themselves so that they
work under ``--import-mode=importlib`` and from subprocesses.
"""
import numpy as np

import neurosim as ns
from neurosim.units import Hz, mV, ms, nS, pA, pF

__all__ = ["cuba", "coba", "brunel", "brunel_nu_thr", "balanced_binary",
           "balance_solution", "poisson_delays", "VVS98", "assert_equal_records",
           "pd14", "pd14_population_rates", "pd14_sizes", "pd14_synapse_counts",
           "pd14_expected_synapses", "pd14_weight_mean", "pd14_delay_params",
           "pd14_is_excitatory", "PD14", "PD14_POPULATIONS"]


def assert_equal_records(actual, desired, err_msg="", dtype=np.float64):
    """``actual`` (a CUDA run's record) equals ``desired``, bit for bit, except state
    values on a real GPU: there NVVM fuses multiplies and adds (and forcing ``-fma=0``
    did not make it bit-equal), so a trace may differ from the CPU's by a few units
    in the last place of ``dtype``, the precision the network ran in; 64 epsilons are
    allowed. Spikes and counts must be equal everywhere, and traces in the simulator."""
    from neurosim.kernels import _cuda
    actual, desired = np.asarray(actual), np.asarray(desired)
    if desired.dtype.kind == "f" and not _cuda.simulator_enabled():
        np.testing.assert_allclose(actual, desired, rtol=64 * np.finfo(dtype).eps, atol=0,
                                   err_msg=err_msg)
    else:
        np.testing.assert_array_equal(actual, desired, err_msg=err_msg)


def _state_monitor(group, variables, record):
    record = np.asarray(record, dtype=np.int64)
    return ns.StateMonitor(group, variables, record=record) if record.size else None


def _pack(objects, monitors):
    monitors = {k: m for k, m in monitors.items() if m is not None}
    return ns.Network(*objects, *monitors.values()), monitors


def cuba(n=4000, p=0.02, *, record=(0, 1, 2), delay=0 * ms, reset="to_v_reset"):
    """CUBA (Vogels & Abbott 2005; Brette et al. 2007 benchmark 2; Brian2 ``CUBA.py``).

    80 % excitatory (+1.62 mV into ``i_e``), 20 % inhibitory (9 mV into ``i_i``),
    Bernoulli connectivity ``p`` from every source to every target, no delay
    (``delay`` gives one, e.g. for a run split over MPI ranks); ``reset`` is the
    LIF's.
    Monitors: ``spikes`` (all cells), ``exc``/``inh`` (the two populations),
    ``rate`` (all cells), ``state`` (``v``, ``i_e``, ``i_i`` of ``record``).
    """
    lif = ns.LIF(tau_m=20 * ms, v_rest=-49 * mV, v_reset=-60 * mV, v_th=-50 * mV,
                 refractory=5 * ms, tau_syn_e=5 * ms, tau_syn_i=10 * ms, reset=reset)
    cells = ns.NeuronGroup(n, lif, v=ns.Uniform(-60 * mV, -50 * mV), name="cuba")
    n_e = int(0.8 * n)
    exc, inh = cells[:n_e], cells[n_e:]
    ee = ns.Synapses(exc, cells, kind="excitatory", weight=1.62 * mV, delay=delay,
                     connect=ns.FixedProbability(p))
    ie = ns.Synapses(inh, cells, kind="inhibitory", weight=9 * mV, delay=delay,
                     connect=ns.FixedProbability(p))
    monitors = {"spikes": ns.SpikeMonitor(cells), "exc": ns.SpikeMonitor(exc),
                "inh": ns.SpikeMonitor(inh), "rate": ns.RateMonitor(cells),
                "state": _state_monitor(cells, ("v", "i_e", "i_i"), record)}
    return _pack((cells, ee, ie), monitors)


def coba(n=4000, p=0.02, *, truncate=False, record=(0, 1, 2)):
    """COBA (Brette et al. 2007 benchmark 1): conductance-based LIF, self-sustained.

    Conductances in units of the leak conductance: a spike adds 0.6 (6 nS / 10 nS)
    to ``g_e`` or 6.7 (67 nS / 10 nS) to ``g_i``. Initial ``v ~ N(-65, 5) mV``,
    ``g_e ~ N(4, 1.5)``, ``g_i ~ N(20, 12)``. Monitors as for :func:`cuba`
    (state: ``v``, ``g_e``, ``g_i``).

    Negative initial conductances: ``N(20, 12)`` puts about 5 % of the initial
    ``g_i`` below 0 (``N(4, 1.5)`` 0.4 % of ``g_e``). neurosim accepts them (no
    check on initial values), and so does the benchmark as published (Brian's
    untruncated ``randn``), so that is the default. They matter: a negative
    ``g_i`` acts as excitation (``g_i (E_i - v) > 0`` for ``v > E_i``), and those
    cells start the self-sustained activity. With ``truncate=True`` (redraw below 0,
    ``Normal(..., low=0)``, the physical choice) the network fell silent within
    500 ms for 6 of 8 seeds, against 0 of 8 untruncated (measured, N = 4000).
    """
    model = ns.LIFCond(tau_m=20 * ms, v_rest=-60 * mV, v_reset=-60 * mV, v_th=-50 * mV,
                       tau_syn_e=5 * ms, tau_syn_i=10 * ms, e_e=0 * mV, e_i=-80 * mV,
                       refractory=5 * ms)
    low = 0.0 if truncate else None
    cells = ns.NeuronGroup(n, model, name="coba", v=ns.Normal(-65 * mV, 5 * mV),
                           g_e=ns.Normal(4.0, 1.5, low=low), g_i=ns.Normal(20.0, 12.0, low=low))
    n_e = int(0.8 * n)
    exc, inh = cells[:n_e], cells[n_e:]
    ee = ns.Synapses(exc, cells, kind="excitatory", weight=0.6, connect=ns.FixedProbability(p))
    ie = ns.Synapses(inh, cells, kind="inhibitory", weight=6.7, connect=ns.FixedProbability(p))
    monitors = {"spikes": ns.SpikeMonitor(cells), "exc": ns.SpikeMonitor(exc),
                "inh": ns.SpikeMonitor(inh), "rate": ns.RateMonitor(cells),
                "state": _state_monitor(cells, ("v", "g_e", "g_i"), record)}
    return _pack((cells, ee, ie), monitors)


def cobahh(n=4000, p=0.02, *, record=(0, 1, 2)):
    """COBAHH (Brette et al. 2007 benchmark 3; Brian2's ``examples/COBAHH.py``):
    Hodgkin-Huxley neurons with conductance synapses, exponential Euler.

    Excitatory spikes add 6 nS to ``g_e``, inhibitory ones 67 nS to ``g_i``; initial
    ``v ~ N(-65, 5) mV``, ``g_e ~ N(40, 15) nS``, ``g_i ~ N(200, 120) nS`` (Brian2's
    untruncated ``randn``, as for :func:`coba`). Monitors as for :func:`cuba` (state:
    ``v``, ``g_e``, ``m``).
    """
    cells = ns.NeuronGroup(n, ns.HodgkinHuxley(), name="cobahh",
                           v=ns.Normal(-65 * mV, 5 * mV), g_e=ns.Normal(40 * nS, 15 * nS),
                           g_i=ns.Normal(200 * nS, 120 * nS))
    n_e = int(0.8 * n)
    exc, inh = cells[:n_e], cells[n_e:]
    ee = ns.Synapses(exc, cells, kind="excitatory", weight=6 * nS,
                     connect=ns.FixedProbability(p))
    ie = ns.Synapses(inh, cells, kind="inhibitory", weight=67 * nS,
                     connect=ns.FixedProbability(p))
    monitors = {"spikes": ns.SpikeMonitor(cells), "exc": ns.SpikeMonitor(exc),
                "inh": ns.SpikeMonitor(inh), "rate": ns.RateMonitor(cells),
                "state": _state_monitor(cells, ("v", "g_e", "m"), record)}
    return _pack((cells, ee, ie), monitors)


# ---------------------------------------------------------------- Brunel (2000) model A
BRUNEL = dict(tau=20 * ms, theta=20 * mV, v_r=10 * mV, refractory=2 * ms, j=0.1 * mV,
              delay=1.5 * ms, epsilon=0.1, gamma=0.25)


def brunel_nu_thr(c_e, j):
    """``nu_thr = theta / (J C_E tau)``: the external rate that alone brings the
    mean input to threshold (Brunel 2000, eq. 4). ``j`` in volts or a Quantity."""
    return float(BRUNEL["theta"]) / (float(j) * c_e * float(BRUNEL["tau"])) * Hz


def brunel(g=5.0, eta=2.0, n_e=10_000, scale=None, *, record=(0, 1, 2)):
    """Brunel (2000) model A: sparse E-I network of delta-synapse LIF neurons.

    ``N_E = n_e`` excitatory and ``N_I = n_e / 4`` inhibitory neurons; every neuron
    receives ``C_E = 0.1 N_E`` excitatory and ``C_I = C_E / 4`` inhibitory inputs
    (fixed in-degree, distinct sources) of weight ``J`` and ``-g J`` with a delay
    of 1.5 ms, plus ``C_E`` external Poisson sources at ``eta * nu_thr``.
    tau = 20 ms, theta = 20 mV, V_r = 10 mV, refractory 2 ms.

    ``scale`` sets ``J = 0.1 mV * scale``. The paper (``n_e = 10000``) has
    ``scale = 1``; the default ``scale = 1000 / C_E`` keeps ``J C_E = 100 mV``, so
    a smaller network has the paper's mean input and ``nu_thr`` (with larger
    fluctuations, ``sigma ~ J sqrt(C_E)``). Initial ``v`` is uniform in
    ``[0, theta)`` (not given in the paper), to avoid a synchronous start.

    Monitors: ``spikes`` (all), ``exc``, ``inh``, ``rate_e`` (RateMonitor of the
    excitatory population), ``state`` (``v`` of ``record``).
    """
    p = BRUNEL
    n_i = n_e // 4
    c_e = int(round(p["epsilon"] * n_e))
    c_i = c_e // 4
    if scale is None:
        scale = 1000.0 / c_e
    j = p["j"] * scale
    lif = ns.LIF(tau_m=p["tau"], v_rest=0 * mV, v_reset=p["v_r"], v_th=p["theta"],
                 refractory=p["refractory"])
    cells = ns.NeuronGroup(n_e + n_i, lif, v=ns.Uniform(0 * mV, p["theta"]), name="brunel")
    exc, inh = cells[:n_e], cells[n_e:]
    ee = ns.Synapses(exc, cells, kind="excitatory", weight=j, delay=p["delay"],
                     connect=ns.FixedIndegree(c_e))
    ie = ns.Synapses(inh, cells, kind="inhibitory", weight=g * j, delay=p["delay"],
                     connect=ns.FixedIndegree(c_i))
    drive = ns.PoissonInput(cells, n=c_e, rate=eta * brunel_nu_thr(c_e, j), weight=j,
                            kind="excitatory")
    monitors = {"spikes": ns.SpikeMonitor(cells), "exc": ns.SpikeMonitor(exc),
                "inh": ns.SpikeMonitor(inh), "rate_e": ns.RateMonitor(exc),
                "state": _state_monitor(cells, "v", record)}
    return _pack((cells, ee, ie, drive), monitors)


# ------------------------------------------ balanced binary network (van Vreeswijk & Sompolinsky)
# van Vreeswijk & Sompolinsky (1998), section 5: J_EE = J_IE = 1, J_EI = -J_E,
# J_II = -J_I, external drive E m0 and I m0 (times sqrt(K)), thresholds theta_E, theta_I,
# N_E = N_I = 10^4, m0 = 0.1, tau_I / tau_E = 0.9.
VVS98 = dict(E=1.0, I=0.8, J_E=2.0, J_I=1.8, theta_E=1.0, theta_I=0.7, m0=0.1,
             tau_e=10 * ms, tau_i=9 * ms)


def balance_solution(m0=VVS98["m0"], p=VVS98):
    """``(m_E, m_I)`` solving the balance equations, the K -> infinity limit:

    ``E m0 + m_E - J_E m_I = 0`` and ``I m0 + m_E - J_I m_I = 0``.
    """
    a = np.array([[1.0, -p["J_E"]], [1.0, -p["J_I"]]])
    return tuple(np.linalg.solve(a, [-p["E"] * m0, -p["I"] * m0]))


def balanced_binary(k=100, n=None, m0=VVS98["m0"], *, fixed_indegree=False,
                    jitter=True, record_spikes=True, init_seed=0):
    """Balanced network of binary units (van Vreeswijk & Sompolinsky 1996, 1998).

    Two populations of ``n`` McCulloch-Pitts units each (default ``n = 10 k``)
    with asynchronous updates (mean intervals tau_E = 10 ms, tau_I = 9 ms). A unit
    receives on average ``k`` inputs from each population (connection probability
    ``k / n``, as in the paper; ``fixed_indegree=True`` gives exactly ``k``) with
    weights ``J_kl / sqrt(k)``, and a constant external input ``sqrt(k) E m0``
    (excitatory units) or ``sqrt(k) I m0`` (inhibitory units). Thresholds
    theta_E = 1, theta_I = 0.7. Each unit starts active with the probability of the
    balance solution, drawn from ``init_seed`` (the network's seed draws the rest):
    starting all inactive would leave the network silent for ``k < 100``, where
    the external input alone stays below threshold.

    ``jitter`` adds to each unit's external input a constant drawn uniformly from
    ``[-1/2, 1/2) / sqrt(k)``, less than one weight: with equal weights the summed
    input lives on a lattice of step ``~1/sqrt(k)``, a few per cent of the units sit
    exactly at threshold, and the outcome (``H(0) = 1``) then hangs on the last bit
    of the weights (``0.05`` is not a binary fraction). The jitter spreads the
    lattice points over the threshold, as the continuous theory assumes; it adds
    ``1 / (12 k)`` to the input variance.

    The activity of a population is ``RateMonitor.rate * dt`` (an active unit
    emits one spike per step). Monitors: ``rate_e``, ``rate_i`` and, with
    ``record_spikes``, ``exc`` and ``inh``.
    """
    p = VVS98
    n = 10 * k if n is None else n
    sqk = np.sqrt(k)
    rng = np.random.default_rng(init_seed)
    m_e, m_i = balance_solution(m0, p)
    exc = ns.NeuronGroup(n, ns.McCullochPitts(theta=p["theta_E"], update="asynchronous",
                                              tau=p["tau_e"]), name="E",
                         x=(rng.random(n) < m_e).astype(float))
    inh = ns.NeuronGroup(n, ns.McCullochPitts(theta=p["theta_I"], update="asynchronous",
                                              tau=p["tau_i"]), name="I",
                         x=(rng.random(n) < m_i).astype(float))
    rule = (lambda: ns.FixedIndegree(k)) if fixed_indegree else \
        (lambda: ns.FixedProbability(k / n))
    syn = [ns.Synapses(exc, exc, kind="excitatory", weight=1.0 / sqk, connect=rule()),
           ns.Synapses(exc, inh, kind="excitatory", weight=1.0 / sqk, connect=rule()),
           ns.Synapses(inh, exc, kind="inhibitory", weight=p["J_E"] / sqk, connect=rule()),
           ns.Synapses(inh, inh, kind="inhibitory", weight=p["J_I"] / sqk, connect=rule())]
    jit = (lambda: (rng.random(n) - 0.5) / sqk) if jitter else (lambda: 0.0)
    drive = [ns.CurrentInput(exc, sqk * p["E"] * m0 + jit()),
             ns.CurrentInput(inh, sqk * p["I"] * m0 + jit())]
    monitors = {"rate_e": ns.RateMonitor(exc), "rate_i": ns.RateMonitor(inh)}
    if record_spikes:
        monitors.update(exc=ns.SpikeMonitor(exc), inh=ns.SpikeMonitor(inh))
    return _pack((exc, inh, *syn, *drive), monitors)


# ---------------------------------------------- Poisson-driven network, per-synapse delays
def poisson_delays(n=400, n_sources=200, rate=20 * Hz, p=0.1, *, record=(0, 1, 2)):
    """``n`` LIF cells (80 % E, 20 % I) driven by ``n_sources`` Poisson sources.

    Every projection draws a delay per synapse, rounded to the nearest step:
    input and excitatory ``N(1.5, 0.75) ms``, inhibitory ``N(0.75, 0.375) ms``
    (PD14's values), truncated at 0.1 ms. Input weights are ``N(w, w/4)``
    truncated at 0, with ``w`` chosen so that the mean input current is 15 mV,
    which puts the free membrane potential at threshold whatever ``n_sources``,
    ``p`` and ``rate``: the cells fire, driven by fluctuations. Recurrent
    weights 1 mV (E) and 4 mV (I). Monitors: ``spikes`` (cells), ``sources``
    (the Poisson group), ``state`` (``v``, ``i_e``, ``i_i`` of ``record``).
    """
    tau_syn_e = 2 * ms
    lif = ns.LIF(tau_m=10 * ms, v_rest=-65 * mV, v_reset=-65 * mV, v_th=-50 * mV,
                 refractory=2 * ms, tau_syn_e=tau_syn_e, tau_syn_i=4 * ms)
    cells = ns.NeuronGroup(n, lif, v=ns.Uniform(-65 * mV, -50 * mV), name="cells")
    n_e = int(0.8 * n)
    exc, inh = cells[:n_e], cells[n_e:]
    noise = ns.PoissonGroup(n_sources, rates=rate, name="noise")
    w_in = 15 * mV / float(p * n_sources * rate * tau_syn_e)   # mean i_e = K rate w tau
    d_e = ns.Normal(1.5 * ms, 0.75 * ms, low=0.1 * ms)
    d_i = ns.Normal(0.75 * ms, 0.375 * ms, low=0.1 * ms)
    syn = [ns.Synapses(noise, cells, kind="excitatory", delay=d_e,
                       weight=ns.Normal(w_in, w_in / 4, low=0 * mV),
                       connect=ns.FixedProbability(p)),
           ns.Synapses(exc, cells, kind="excitatory", weight=1.0 * mV, delay=d_e,
                       connect=ns.FixedProbability(p)),
           ns.Synapses(inh, cells, kind="inhibitory", weight=4.0 * mV, delay=d_i,
                       connect=ns.FixedProbability(p))]
    monitors = {"spikes": ns.SpikeMonitor(cells), "sources": ns.SpikeMonitor(noise),
                "state": _state_monitor(cells, ("v", "i_e", "i_i"), record)}
    return _pack((cells, noise, *syn), monitors)


# ------------------------------------- PD14: the cortical microcircuit (Potjans & Diesmann 2014)
PD14_POPULATIONS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
# SI units (s, V, F, A, Hz). n_full: population sizes of the full model;
# conn_probs[target, source]: connection probabilities; k_ext: Poisson background
# inputs per neuron at bg_rate; neuron: iaf_psc_exp with v0 ~ N(v0_mean, v0_std);
# w_mean: PSC amplitude, w_rel_sd its relative standard deviation, g the inhibitory
# factor; d_exc, d_inh: (mean, sd) of the delays; rates: the published mean rates (Hz)
PD14 = dict(
    n_full=np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]),
    conn_probs=np.array([
        [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
        [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
        [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
        [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
        [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
        [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
        [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
        [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443]]),
    k_ext=np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100]),
    neuron=dict(c_m=250e-12, tau_m=10e-3, tau_syn=0.5e-3, e_l=-65e-3, v_th=-50e-3,
                v_reset=-65e-3, t_ref=2e-3, v0_mean=-58e-3, v0_std=10e-3),
    w_mean=87.81e-12, w_rel_sd=0.1, g=-4.0,
    d_exc=(1.5e-3, 0.75e-3), d_inh=(0.75e-3, 0.375e-3),
    bg_rate=8.0,
    rates=np.array([0.9, 3.0, 4.4, 5.9, 7.6, 8.6, 1.1, 7.8]),
)


def pd14_sizes(scale=1.0):
    """Population sizes at ``scale`` (at least one neuron each)."""
    return np.maximum(1, np.round(PD14["n_full"] * scale)).astype(np.int64)


def pd14_synapse_counts(scale=1.0):
    """``K[target, source]``: synapses per projection, ``scale`` times the full model's
    (the full model's in-degrees are kept):
    ``K = log(1 - C) / log(1 - 1/(N_pre N_post))`` with the full model's sizes."""
    n = PD14["n_full"].astype(float)
    with np.errstate(divide="ignore"):
        k = np.log(1.0 - PD14["conn_probs"]) / np.log(1.0 - 1.0 / np.outer(n, n))
    return np.round(k * scale).astype(np.int64)


def pd14_expected_synapses(scale=1.0):
    """Recurrent synapses of the microcircuit at ``scale`` (exact: a fixed total number
    per projection)."""
    return int(pd14_synapse_counts(scale).sum())


def pd14_is_excitatory(pop):
    return pop % 2 == 0


def pd14_weight_mean(target, source):
    """Mean PSC amplitude in amperes (negative for inhibitory sources)."""
    w = PD14["w_mean"] if pd14_is_excitatory(source) else PD14["g"] * PD14["w_mean"]
    if PD14_POPULATIONS[source] == "L4E" and PD14_POPULATIONS[target] == "L23E":
        w *= 2.0
    return w


def pd14_delay_params(source):
    """``(mean, sd)`` of the delays (s) of the projections from population ``source``."""
    return PD14["d_exc"] if pd14_is_excitatory(source) else PD14["d_inh"]


def pd14(scale=1.0, spikes=True):
    """The cortical microcircuit of Potjans & Diesmann (2014).

    Eight populations of current-based LIF neurons with exponential synaptic
    currents, one ``FixedTotalNumber`` projection per (source, target) pair with
    ``K = log(1 - C) / log(1 - 1/(N_pre N_post))`` synapses drawn with replacement
    (:func:`pd14_synapse_counts`), normal weights (87.81 pA, 10 % sd; inhibitory
    ``g = -4`` times; L4E -> L23E doubled), normal delays rounded to steps (redrawn
    below 0.1 ms) and Poisson background at 8 Hz through ``K_ext`` synapses per
    neuron. ``scale`` multiplies every population size and keeps the in-degrees (so
    the total synapse count scales with ``scale``), a cheap stand-in with the same
    per-neuron input statistics; ``scale=1`` is the published model (77,169
    neurons, about 3e8 synapses).

    Monitors: ``spikes``, one SpikeMonitor over all neurons (none with
    ``spikes=False``; see :func:`pd14_population_rates`).
    """
    nrn = PD14["neuron"]
    lif = ns.LIF(tau_m=nrn["tau_m"] * 1e3 * ms, v_rest=nrn["e_l"] * 1e3 * mV,
                 v_reset=nrn["v_reset"] * 1e3 * mV, v_th=nrn["v_th"] * 1e3 * mV,
                 refractory=nrn["t_ref"] * 1e3 * ms, tau_syn_e=nrn["tau_syn"] * 1e3 * ms,
                 tau_syn_i=nrn["tau_syn"] * 1e3 * ms, c_m=nrn["c_m"] * 1e12 * pF)
    n = pd14_sizes(scale)
    total = int(n.sum())
    cells = ns.NeuronGroup(total, lif, name="pd14",
                           v=ns.Normal(nrn["v0_mean"] * 1e3 * mV, nrn["v0_std"] * 1e3 * mV))
    bounds = np.concatenate([[0], np.cumsum(n)])
    pops = [cells[int(bounds[k]):int(bounds[k + 1])] for k in range(len(n))]
    k = pd14_synapse_counts(scale)
    w_rel_sd = PD14["w_rel_sd"]
    objects = [cells]
    for t in range(len(n)):
        for s in range(len(n)):
            if k[t, s] == 0:
                continue
            w = abs(pd14_weight_mean(t, s)) * 1e12
            d_mean, d_sd = (x * 1e3 for x in pd14_delay_params(s))
            objects.append(ns.Synapses(
                pops[s], pops[t], kind="excitatory" if pd14_is_excitatory(s) else "inhibitory",
                weight=ns.Normal(w * pA, w_rel_sd * w * pA, low=0 * pA),
                delay=ns.Normal(d_mean * ms, d_sd * ms, low=0.1 * ms),
                connect=ns.FixedTotalNumber(int(k[t, s])),
                name=f"{PD14_POPULATIONS[s]}->{PD14_POPULATIONS[t]}"))
    for t in range(len(n)):
        objects.append(ns.PoissonInput(pops[t], n=int(PD14["k_ext"][t]),
                                       rate=PD14["bg_rate"] * Hz,
                                       weight=PD14["w_mean"] * 1e12 * pA, kind="excitatory"))
    monitors = {"spikes": ns.SpikeMonitor(cells)} if spikes else {}
    return _pack(objects, monitors)


def pd14_population_rates(monitor, scale, duration):
    """Mean rate (Hz) of each population from a SpikeMonitor over all neurons."""
    n = pd14_sizes(scale)
    bounds = np.concatenate([[0], np.cumsum(n)])
    counts = np.bincount(np.searchsorted(bounds, monitor.i, side="right") - 1,
                         minlength=len(n))[:len(n)]
    return dict(zip(PD14_POPULATIONS, counts / (n * duration)))
