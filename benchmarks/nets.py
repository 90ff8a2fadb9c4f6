"""The benchmark networks (defined in ``benchmarks/README.md``) and their neurosim builders.

A network is named by a key of :data:`NETWORKS`; its spec says which model, its
size ``n`` (neurons simulated) and the model's parameters. The neurosim
versions come from ``tests/networks.py``, the one library of reference networks
that the tests (which check them against the literature) and the benchmarks
import (PD14 through ``pd14.py``, which re-exports it), with the monitors cut down to what a
benchmark needs (one ``SpikeMonitor``, or population counts for the binary
network, where every active unit emits a spike every step). The Brian2 and
NEST versions are in ``peers_brian2.py`` and ``peers_nest.py``.
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# run.py measures a snapshot of neurosim and tests/networks.py taken when it starts
# (NEUROSIM_BENCH_SRC holds both), so that edits made meanwhile do not mix in
_SRC = os.environ.get("NEUROSIM_BENCH_SRC")
for _p in ([_SRC] if _SRC else [os.path.join(ROOT, "tests"), ROOT]):
    if _p not in sys.path:
        sys.path.insert(0, _p)

DT = 0.1e-3          # s, every network
DURATION = 1.0       # s of biological time

# model, n (neurons), parameters. p = 80/N: 80 inputs per neuron.
NETWORKS = {
    "cuba-4k": dict(model="cuba", n=4000, p=0.02),
    "cuba-16k": dict(model="cuba", n=16000, p=80 / 16000),
    "cuba-64k": dict(model="cuba", n=64000, p=80 / 64000),
    "cuba-256k": dict(model="cuba", n=256000, p=80 / 256000),
    "cuba-1M": dict(model="cuba", n=1024000, p=80 / 1024000),
    "cuba-16k-p0.02": dict(model="cuba", n=16000, p=0.02),
    "coba-4k": dict(model="coba", n=4000, p=0.02),
    "coba-64k": dict(model="coba", n=64000, p=80 / 64000),
    "cobahh-4k": dict(model="cobahh", n=4000, p=0.02),
    "brunel-A": dict(model="brunel", n=12500, n_e=10000, g=5.0, eta=2.0),
    "binary-k100": dict(model="binary", n=2000, k=100),
    # n = networks.pd14_sizes(scale).sum() (tests/test_bench_report.py checks it); written
    # out so that this table loads without neurosim
    "pd14-0.1": dict(model="pd14", n=7717, scale=0.1),
    "pd14": dict(model="pd14", n=77169, scale=1.0),
}

# the CUBA series with 80 inputs per neuron, for the scaling plot
CUBA_SERIES = ("cuba-4k", "cuba-16k", "cuba-64k", "cuba-256k", "cuba-1M")


def describe(name):
    s = NETWORKS[name]
    m = s["model"]
    if m in ("cuba", "coba", "cobahh"):
        p = s["p"]
        ptxt = "0.02" if abs(p - 0.02) < 1e-12 else f"80/N = {p:.3g}"
        return f"{m.upper()} N={s['n']:,} p={ptxt}"
    if m == "brunel":
        return f"Brunel A N={s['n']:,} g={s['g']:g} eta={s['eta']:g}"
    if m == "binary":
        return f"balanced binary K={s['k']} N={s['n']:,}"
    return f"PD14 scale={s['scale']:g} N={s['n']:,}"


def expected_synapses(name):
    """About how many recurrent synapses the network has (memory estimates)."""
    s = NETWORKS[name]
    m = s["model"]
    if m in ("cuba", "coba", "cobahh"):
        return s["p"] * s["n"] ** 2
    if m == "brunel":
        c_e = int(round(0.1 * s["n_e"]))
        return s["n"] * (c_e + c_e // 4)
    if m == "binary":
        return 4 * s["k"] * s["n"] // 2
    from pd14 import expected_synapses as pd
    return pd(s["scale"])


def build_neurosim(name, binary_spikes=False, dtype="float64"):
    """``(network, count)``: an unbuilt neurosim Network and a function giving, after
    the run, ``(spikes, n_synapses)`` (recurrent synapses only). ``binary_spikes``
    records the binary network's spikes too (for profiling); ``dtype`` is the
    state's floating-point type."""
    import neurosim as ns
    import networks as tn
    s = NETWORKS[name]
    m = s["model"]
    if m == "pd14":
        from pd14 import pd14
        net, mon = pd14(s["scale"])
        keep = [mon["spikes"]]
    elif m == "binary":
        net, mon = tn.balanced_binary(k=s["k"], n=s["n"] // 2, record_spikes=binary_spikes)
        keep = [mon["rate_e"], mon["rate_i"]]
        if binary_spikes:
            keep += [mon["exc"], mon["inh"]]
    else:
        if m == "cuba":
            net, mon = tn.cuba(s["n"], s["p"], record=())
        elif m == "coba":
            net, mon = tn.coba(s["n"], s["p"], record=())
        elif m == "cobahh":
            net, mon = tn.cobahh(s["n"], s["p"], record=())
        else:
            net, mon = tn.brunel(g=s["g"], eta=s["eta"], n_e=s["n_e"], record=())
        keep = [mon["spikes"]]
    monitor_types = (ns.SpikeMonitor, ns.StateMonitor, ns.RateMonitor)
    objects = [o for o in net.objects if not isinstance(o, monitor_types)] + keep
    net = ns.Network(*objects, dtype=dtype)

    def count():
        syn = sum(x.i.size for x in net.synapses if not isinstance(x.source, ns.PoissonGroup))
        if m == "binary":
            spikes = sum(int(np.round(r.rate.sum() * r.source.n * net.dt)) for r in keep[:2])
        else:
            spikes = int(keep[0].num_spikes)
        return spikes, int(syn)
    return net, count
