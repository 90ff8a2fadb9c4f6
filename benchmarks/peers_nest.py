"""The benchmark networks in NEST 3 (``nest-simulator``).

Models: CUBA ``iaf_psc_exp`` (ge in volts becomes a current ``C_m ge / tau_m``),
COBA ``iaf_cond_exp`` (NEST integrates it with adaptive RKF45 from the GSL,
not forward Euler), Brunel ``iaf_psc_delta`` (input discarded while refractory,
NEST's default), the binary network ``mcculloch_pitts_neuron`` (asynchronous,
exponential update intervals; NEST sends state changes, not one spike per
active step, and starts every unit inactive), PD14 ``iaf_psc_exp``.

Differences that a user of NEST cannot avoid: the smallest delay is one step
(0.1 ms), where neurosim and Brian2 act in the step of the spike; Poisson
background arrives after one step too. Bernoulli connectivity is drawn with
numpy and passed as arrays (``Connect`` with ``one_to_one`` on node-ID arrays):
NEST's own ``pairwise_bernoulli`` loops over all N^2 pairs (97 s at N = 64,000
on this kind of machine). Fixed in-degree and fixed total number use NEST's
own rules.
"""
import numpy as np

import nest

from nets import NETWORKS

DT_MS = 0.1


def bernoulli(rng, n_pre, n_post, p):
    """``(i, j)`` of independent pairs with probability ``p``, by geometric skipping."""
    total = n_pre * n_post
    parts, last, mean = [], -1, p * total
    while last < total:
        size = int(mean + 5 * np.sqrt(mean) + 100)
        pos = last + np.cumsum(rng.geometric(p, size).astype(np.int64))
        parts.append(pos[pos < total])
        last = pos[-1]
    return np.divmod(np.concatenate(parts), n_post)


def _connect_arrays(pre, post, i, j, weight, delay=DT_MS):
    src = np.asarray(i, dtype=np.int64) + pre[0].global_id
    tgt = np.asarray(j, dtype=np.int64) + post[0].global_id
    nest.Connect(src, tgt, conn_spec="one_to_one",
                 syn_spec={"synapse_model": "static_synapse",
                           "weight": np.full(src.size, float(weight)),
                           "delay": np.full(src.size, float(delay))})
    return src.size


def _ei(rng, pop, n, p, w_e, w_i):
    ne = int(0.8 * n)
    n_syn = 0
    for lo, hi, w in ((0, ne, w_e), (ne, n, w_i)):
        i, j = bernoulli(rng, hi - lo, n, p)
        n_syn += _connect_arrays(pop[lo:hi], pop, i, j, w)
    return n_syn


def _cuba(s, rng):
    n = s["n"]
    c_m, tau_m = 250.0, 20.0
    pop = nest.Create("iaf_psc_exp", n, params=dict(
        C_m=c_m, tau_m=tau_m, E_L=-49.0, V_th=-50.0, V_reset=-60.0, t_ref=5.0,
        tau_syn_ex=5.0, tau_syn_in=10.0, I_e=0.0))
    pop.V_m = rng.uniform(-60.0, -50.0, n)
    # dv/dt = (ge - (v - El)) / taum with ge jumping by 1.62 mV  <=>  I jumps by C ge / taum
    n_syn = _ei(rng, pop, n, s["p"], c_m * 1.62 / tau_m, -c_m * 9.0 / tau_m)
    return [pop], n_syn


def _coba(s, rng):
    n = s["n"]
    pop = nest.Create("iaf_cond_exp", n, params=dict(
        C_m=200.0, g_L=10.0, E_L=-60.0, V_th=-50.0, V_reset=-60.0, t_ref=5.0, E_ex=0.0,
        E_in=-80.0, tau_syn_ex=5.0, tau_syn_in=10.0, I_e=0.0))
    pop.V_m = rng.normal(-65.0, 5.0, n)
    pop.g_ex = 10.0 * rng.normal(4.0, 1.5, n)
    pop.g_in = 10.0 * rng.normal(20.0, 12.0, n)
    n_syn = _ei(rng, pop, n, s["p"], 6.0, -67.0)
    return [pop], n_syn


def _brunel(s, rng):
    n_e = s["n_e"]
    n_i = n_e // 4
    c_e = int(round(0.1 * n_e))
    c_i = c_e // 4
    j = 0.1 * 1000.0 / c_e
    nu_thr = 20.0 / (j * c_e * 20.0) * 1e3       # Hz
    pop = nest.Create("iaf_psc_delta", n_e + n_i, params=dict(
        C_m=250.0, tau_m=20.0, E_L=0.0, V_th=20.0, V_reset=10.0, t_ref=2.0,
        refractory_input=False, I_e=0.0))
    pop.V_m = rng.uniform(0.0, 20.0, n_e + n_i)
    for src, k, w in ((pop[:n_e], c_e, j), (pop[n_e:], c_i, -s["g"] * j)):
        nest.Connect(src, pop, {"rule": "fixed_indegree", "indegree": k,
                                "allow_multapses": False},
                     {"synapse_model": "static_synapse", "weight": w, "delay": 1.5})
    noise = nest.Create("poisson_generator", params={"rate": s["eta"] * nu_thr * c_e})
    nest.Connect(noise, pop, syn_spec={"weight": j, "delay": DT_MS})
    return [pop], (n_e + n_i) * (c_e + c_i)


def _binary(s, rng):
    k, n = s["k"], s["n"] // 2
    sqk = np.sqrt(k)
    E, I, J_E, J_I, th_E, th_I, m0 = 1.0, 0.8, 2.0, 1.8, 1.0, 0.7, 0.1
    # h + ext >= theta  <=>  h > theta - ext - tiny: NEST's unit is on for h > theta
    exc = nest.Create("mcculloch_pitts_neuron", n,
                      params=dict(tau_m=10.0, theta=th_E - sqk * E * m0 - 1e-9))
    inh = nest.Create("mcculloch_pitts_neuron", n,
                      params=dict(tau_m=9.0, theta=th_I - sqk * I * m0 - 1e-9))
    n_syn = 0
    for src, sign in ((exc, 1.0), (inh, -1.0)):
        for tgt in (exc, inh):
            w = 1.0 if sign > 0 else (J_E if tgt is exc else J_I)
            i, j = bernoulli(rng, n, n, k / n)
            n_syn += _connect_arrays(src, tgt, i, j, sign * w / sqk)
    return [exc, inh], n_syn


def _pd14(s, rng):
    import pd14 as pd
    nrn = pd.NEURON
    n = pd.sizes(s["scale"])
    pops = []
    for t in range(len(n)):
        pop = nest.Create("iaf_psc_exp", int(n[t]), params=dict(
            C_m=nrn["c_m"] * 1e12, tau_m=nrn["tau_m"] * 1e3, tau_syn_ex=nrn["tau_syn"] * 1e3,
            tau_syn_in=nrn["tau_syn"] * 1e3, E_L=nrn["e_l"] * 1e3, V_th=nrn["v_th"] * 1e3,
            V_reset=nrn["v_reset"] * 1e3, t_ref=nrn["t_ref"] * 1e3, I_e=0.0))
        pop.V_m = rng.normal(nrn["v0_mean"] * 1e3, nrn["v0_std"] * 1e3, int(n[t]))
        pops.append(pop)
    k = pd.synapse_counts(s["scale"])
    for t in range(len(n)):
        for src in range(len(n)):
            if k[t, src] == 0:
                continue
            w = pd.weight_mean(t, src) * 1e12
            bounds = dict(min=0.0, max=np.inf) if w > 0 else dict(min=-np.inf, max=0.0)
            dm, dsd = (x * 1e3 for x in pd.delay_params(src))
            nest.Connect(pops[src], pops[t],
                         {"rule": "fixed_total_number", "N": int(k[t, src])},
                         {"synapse_model": "static_synapse",
                          "weight": nest.math.redraw(
                              nest.random.normal(mean=w, std=abs(w) * pd.W_REL_SD), **bounds),
                          "delay": nest.math.redraw(
                              nest.random.normal(mean=dm, std=dsd), min=DT_MS, max=np.inf)})
    for t in range(len(n)):
        gen = nest.Create("poisson_generator", params={"rate": pd.BG_RATE * float(pd.K_EXT[t])})
        nest.Connect(gen, pops[t], syn_spec={"weight": pd.W_MEAN * 1e12, "delay": DT_MS})
    return pops, int(k.sum())


def _cobahh(s, rng):
    # NEST's model of the COBAHH benchmark (Traub-Miles HH, exponential conductances)
    n = s["n"]
    pop = nest.Create("hh_cond_exp_traub", n, params=dict(
        C_m=200.0, g_L=10.0, E_L=-60.0, g_Na=20000.0, E_Na=50.0, g_K=6000.0, E_K=-90.0,
        V_T=-63.0, E_ex=0.0, E_in=-80.0, tau_syn_ex=5.0, tau_syn_in=10.0, t_ref=3.0,
        I_e=0.0))
    pop.V_m = rng.normal(-65.0, 5.0, n)
    pop.g_ex = 10.0 * rng.normal(4.0, 1.5, n)
    pop.g_in = 10.0 * rng.normal(20.0, 12.0, n)
    n_syn = _ei(rng, pop, n, s["p"], 6.0, -67.0)
    return [pop], n_syn


BUILDERS = dict(cuba=_cuba, coba=_coba, cobahh=_cobahh, brunel=_brunel, binary=_binary,
                pd14=_pd14)


def build(name, seed, n_threads):
    """Reset NEST and create the network; returns ``(populations, recorders, n_synapses)``."""
    s = NETWORKS[name]
    nest.ResetKernel()
    nest.set(resolution=DT_MS, local_num_threads=int(n_threads), rng_seed=int(seed) + 1,
             print_time=False)
    rng = np.random.default_rng(seed)
    pops, n_syn = BUILDERS[s["model"]](s, rng)
    recs = []
    for pop in pops:
        rec = nest.Create("spike_recorder")
        nest.Connect(pop, rec)
        recs.append(rec)
    return pops, recs, n_syn


def count_spikes(name, pops, recs, duration_ms):
    """Spikes as neurosim counts them: emitted spikes, or for the binary network the
    number of (unit, step) pairs with the unit active, decoded from NEST's
    transition events (two at the same time for 0 -> 1, one for 1 -> 0)."""
    if NETWORKS[name]["model"] != "binary":
        return int(sum(r.n_events for r in recs))
    total_steps = 0.0
    for pop, rec in zip(pops, recs):
        ev = rec.get("events")
        senders, times = np.asarray(ev["senders"]), np.asarray(ev["times"])
        order = np.lexsort((times, senders))
        senders, times = senders[order], times[order]
        # collapse (sender, time) pairs: multiplicity 2 = up, 1 = down
        key_change = np.ones(senders.size, dtype=bool)
        key_change[1:] = (senders[1:] != senders[:-1]) | (times[1:] != times[:-1])
        starts = np.flatnonzero(key_change)
        mult = np.diff(np.append(starts, senders.size))
        s_u, t_u = senders[starts], times[starts]
        up = mult == 2
        # active time: sum over down events of t minus sum over up events of t, plus the
        # time until the end for units that end active (an up with no later down)
        active = float(np.sum(t_u[~up]) - np.sum(t_u[up]))
        last = np.ones(s_u.size, dtype=bool)
        last[:-1] = s_u[1:] != s_u[:-1]
        active += float(np.sum(duration_ms * (last & up)))
        total_steps += active / DT_MS
    return int(round(total_steps))
