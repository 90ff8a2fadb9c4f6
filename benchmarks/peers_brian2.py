"""The benchmark networks written directly in Brian2 (runtime or ``cpp_standalone``).

Written as a Brian2 user would (``examples/CUBA.py``, ``examples/COBA.py``
style), not exported from neurosim, so Brian2 draws its own connectivity with
its own generator. Exceptions, where Brian2 has no such rule: Brunel's fixed
in-degree and PD14's fixed total number are drawn with numpy and passed as
index arrays. The equations are those of ``neurosim.interop.brian2``: delta
synapses discard input while refractory, conductances are in units of g_L.

:func:`build` returns the objects for a ``Network`` plus what the worker needs
to count spikes and synapses afterwards.
"""
import numpy as np

import brian2 as b2
from brian2 import Hz, mV, ms, second

from nets import NETWORKS


def _cuba(s, rng):
    n, p = s["n"], s["p"]
    eqs = """dv/dt = (ge + gi - (v - El)) / taum : volt (unless refractory)
             dge/dt = -ge / taue : volt
             dgi/dt = -gi / taui : volt"""
    ns = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, El=-49 * mV, Vt=-50 * mV, Vr=-60 * mV,
              we=1.62 * mV, wi=-9 * mV)
    P = b2.NeuronGroup(n, eqs, threshold="v > Vt", reset="v = Vr", refractory=5 * ms,
                       method="exact", namespace=ns)
    P.v = "Vr + rand() * (Vt - Vr)"
    ne = int(0.8 * n)
    Ce = b2.Synapses(P[:ne], P, on_pre="ge += we", namespace=ns)
    Ci = b2.Synapses(P[ne:], P, on_pre="gi += wi", namespace=ns)
    Ce.connect(p=p)
    Ci.connect(p=p)
    return [P, Ce, Ci], [P], [Ce, Ci]


def _coba(s, rng):
    n, p = s["n"], s["p"]
    eqs = """dv/dt = (ge * (Ee - v) + gi * (Ei - v) - (v - El)) / taum : volt (unless refractory)
             dge/dt = -ge / taue : 1
             dgi/dt = -gi / taui : 1"""
    ns = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, El=-60 * mV, Ee=0 * mV, Ei=-80 * mV,
              Vt=-50 * mV, Vr=-60 * mV, we=0.6, wi=6.7)
    P = b2.NeuronGroup(n, eqs, threshold="v > Vt", reset="v = Vr", refractory=5 * ms,
                       method="euler", namespace=ns)
    P.v = "-65*mV + 5*mV * randn()"
    P.ge = "4 + 1.5 * randn()"
    P.gi = "20 + 12 * randn()"
    ne = int(0.8 * n)
    Ce = b2.Synapses(P[:ne], P, on_pre="ge += we", namespace=ns)
    Ci = b2.Synapses(P[ne:], P, on_pre="gi += wi", namespace=ns)
    Ce.connect(p=p)
    Ci.connect(p=p)
    return [P, Ce, Ci], [P], [Ce, Ci]


def _cobahh(s, rng):
    # Brian2's examples/COBAHH.py (Brette et al. 2007, benchmark 3), as written there
    from brian2 import exprel, msiemens, nS, siemens, ufarad, cm, umetre  # noqa: F401
    n, p = s["n"], s["p"]
    area = 20000 * umetre ** 2
    ns = dict(Cm=(1 * ufarad * cm ** -2) * area, gl=(5e-5 * siemens * cm ** -2) * area,
              El=-60 * mV, EK=-90 * mV, ENa=50 * mV, g_na=(100 * msiemens * cm ** -2) * area,
              g_kd=(30 * msiemens * cm ** -2) * area, VT=-63 * mV, taue=5 * ms, taui=10 * ms,
              Ee=0 * mV, Ei=-80 * mV, we=6 * nS, wi=67 * nS)
    eqs = b2.Equations("""
    dv/dt = (gl*(El-v)+ge*(Ee-v)+gi*(Ei-v)-
             g_na*(m*m*m)*h*(v-ENa)-
             g_kd*(n*n*n*n)*(v-EK))/Cm : volt
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
    """)
    P = b2.NeuronGroup(n, model=eqs, threshold="v>-20*mV", refractory=3 * ms,
                       method="exponential_euler", namespace=ns)
    P.v = "El + (randn() * 5 - 5)*mV"
    P.ge = "(randn() * 1.5 + 4) * 10.*nS"
    P.gi = "(randn() * 12 + 20) * 10.*nS"
    ne = int(0.8 * n)
    Ce = b2.Synapses(P[:ne], P, on_pre="ge += we", namespace=ns)
    Ci = b2.Synapses(P[ne:], P, on_pre="gi += wi", namespace=ns)
    Ce.connect(p=p)
    Ci.connect(p=p)
    return [P, Ce, Ci], [P], [Ce, Ci]


def _by_source(i, j, *more):
    """Sorted by source, as Brian2's own ``connect`` creates synapses: the synapses of
    a spiking source are then contiguous (target-major order made Brian2's synaptic
    code 10x slower, one cache miss per synapse)."""
    order = np.lexsort((j, i))
    return (i[order], j[order]) + tuple(x[order] for x in more)


def fixed_indegree(rng, n_pre, n_post, k):
    """``k`` distinct sources per target (``k <= n_pre / 4``), as arrays ``(i, j)``:
    drawn with replacement, duplicates redrawn until none is left."""
    vals = rng.integers(0, n_pre, size=(n_post, k))
    while True:
        vals.sort(axis=1)
        dup = np.zeros(vals.shape, dtype=bool)
        dup[:, 1:] = vals[:, 1:] == vals[:, :-1]
        if not dup.any():
            return _by_source(vals.ravel(), np.repeat(np.arange(n_post), k))
        vals[dup] = rng.integers(0, n_pre, size=int(dup.sum()))


def _brunel(s, rng):
    n_e = s["n_e"]
    n_i = n_e // 4
    c_e = int(round(0.1 * n_e))
    c_i = c_e // 4
    j = 0.1 * mV * (1000.0 / c_e)
    nu_thr = 20 * mV / (j * c_e * 20 * ms)
    ns = dict(tau=20 * ms, theta=20 * mV, Vr=10 * mV, J=j, gJ=s["g"] * j)
    G = b2.NeuronGroup(n_e + n_i, "dv/dt = -v / tau : volt (unless refractory)",
                       threshold="v > theta", reset="v = Vr", refractory=2 * ms,
                       method="exact", namespace=ns)
    G.v = "rand() * theta"
    Se = b2.Synapses(G[:n_e], G, on_pre="v_post += J * int(not_refractory_post)",
                     delay=1.5 * ms, namespace=ns)
    Si = b2.Synapses(G[n_e:], G, on_pre="v_post -= gJ * int(not_refractory_post)",
                     delay=1.5 * ms, namespace=ns)
    Se.connect(i=(ie := fixed_indegree(rng, n_e, n_e + n_i, c_e))[0], j=ie[1])
    Si.connect(i=(ii := fixed_indegree(rng, n_i, n_e + n_i, c_i))[0], j=ii[1])
    drive = b2.PoissonInput(G, "v", N=c_e, rate=s["eta"] * nu_thr,
                            weight=f"{float(j)!r} * volt * int(not_refractory)")
    return [G, Se, Si, drive], [G], [Se, Si]


def _binary(s, rng):
    # van Vreeswijk & Sompolinsky (1998) as in tests/networks.py: accumulators h_e,
    # h_i filled by the synapses, emptied by the asynchronous update in 'start'
    k, n = s["k"], s["n"] // 2
    sqk = np.sqrt(k)
    E, I, J_E, J_I, th_E, th_I, m0 = 1.0, 0.8, 2.0, 1.8, 1.0, 0.7, 0.1
    groups = []
    for name, tau, theta, ext in (("E", 10 * ms, th_E, sqk * E * m0),
                                  ("I", 9 * ms, th_I, sqk * I * m0)):
        g = b2.NeuronGroup(n, """x : 1
                                 h_e : 1
                                 h_i : 1""", threshold="x > 0.5", name=f"binary_{name}",
                           namespace=dict(p_up=float(0.1 * ms / tau), theta=theta, ext=ext))
        g.run_regularly("""up = int(rand() < p_up)
                           x = up * int(h_e - h_i + ext >= theta) + (1 - up) * x
                           h_e = 0
                           h_i = 0""", when="start")
        groups.append(g)
    m_e = m_i = 0.1    # the balance solution for these parameters
    groups[0].x = "int(rand() < %g)" % m_e
    groups[1].x = "int(rand() < %g)" % m_i
    syn = []
    for src, var, w in ((groups[0], "h_e", 1.0), (groups[1], "h_i", None)):
        for tgt in groups:
            weight = w if w is not None else (J_E if tgt is groups[0] else J_I)
            S = b2.Synapses(src, tgt, on_pre=f"{var}_post += {weight / sqk!r}")
            S.connect(p=k / n)
            syn.append(S)
    return groups + syn, groups, syn


def _pd14(s, rng):
    import pd14 as pd
    nrn = pd.NEURON
    n = pd.sizes(s["scale"])
    bounds = np.concatenate([[0], np.cumsum(n)])
    ns = dict(tau_m=nrn["tau_m"] * second, tau_s=nrn["tau_syn"] * second,
              E_L=nrn["e_l"] * b2.volt, V_th=nrn["v_th"] * b2.volt,
              V_r=nrn["v_reset"] * b2.volt, C_m=nrn["c_m"] * b2.farad)
    eqs = """dv/dt = (E_L - v) / tau_m + I / C_m : volt (unless refractory)
             dI/dt = -I / tau_s : amp"""
    G = b2.NeuronGroup(int(n.sum()), eqs,
                       threshold="v > V_th", reset="v = V_r", refractory=nrn["t_ref"] * second,
                       method="exact", namespace=ns)
    G.v = rng.normal(nrn["v0_mean"], nrn["v0_std"], G.N) * b2.volt
    k = pd.synapse_counts(s["scale"])
    parts = {True: [], False: []}
    for t in range(len(n)):
        for src in range(len(n)):
            if k[t, src] == 0:
                continue
            flat = rng.integers(0, n[src] * n[t], size=int(k[t, src]))
            i, j = np.divmod(flat, n[t])
            w = np.abs(pd.weight_mean(t, src))
            wts = rng.normal(w, pd.W_REL_SD * w, i.size)
            while np.any(bad := wts < 0):
                wts[bad] = rng.normal(w, pd.W_REL_SD * w, int(bad.sum()))
            dm, dsd = pd.delay_params(src)
            d = rng.normal(dm, dsd, i.size)
            while np.any(bad := d < 1e-4):
                d[bad] = rng.normal(dm, dsd, int(bad.sum()))
            parts[pd.is_excitatory(src)].append((i + bounds[src], j + bounds[t], wts,
                                                 np.round(d / 1e-4) * 1e-4))
    syn = []
    for exc, lst in parts.items():
        i, j, w, d = _by_source(*(np.concatenate(x) for x in zip(*lst)))
        S = b2.Synapses(G, G, "w : amp (constant)",
                        on_pre="I_post += w" if exc else "I_post -= w", name=f"pd14_{int(exc)}")
        S.connect(i=i, j=j)
        S.w = w * b2.amp
        S.delay = d * second
        syn.append(S)
    drives = []
    for t in range(len(n)):
        drives.append(b2.PoissonInput(G[int(bounds[t]):int(bounds[t + 1])], "I",
                                      N=int(pd.K_EXT[t]), rate=pd.BG_RATE * Hz,
                                      weight=pd.W_MEAN * b2.amp))
    return [G] + syn + drives, [G], syn


BUILDERS = dict(cuba=_cuba, coba=_coba, cobahh=_cobahh, brunel=_brunel, binary=_binary,
                pd14=_pd14)


def build(name, seed, record=True):
    """``(objects, monitors, synapses)``: everything for ``b2.Network(*objects)``, the
    spike monitors (recording all spikes, or only counting with ``record=False``)
    and the recurrent Synapses objects."""
    s = NETWORKS[name]
    b2.seed(seed)
    rng = np.random.default_rng(seed)
    objects, groups, syn = BUILDERS[s["model"]](s, rng)
    # the binary network spikes every step an unit is active: count only
    record = record and s["model"] != "binary"
    monitors = [b2.SpikeMonitor(g, record=record) for g in groups]
    return objects + monitors, monitors, syn
