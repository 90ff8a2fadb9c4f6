"""The cost of STDP: neurosim (numba, 1 thread) against Brian2 ``cpp_standalone``
(1 thread), each on a network with plastic synapses and on the same network without.

Usage::

    python benchmarks/plasticity.py                    # the full set, 3 repetitions
    python benchmarks/plasticity.py --reps 1 --song-seconds 1 --cuba-n 2000   # a check

Networks (dt = 0.1 ms):

``song``
    Song, Miller & Abbott (2000) as Brian2's ``examples/synapses/STDP.py``: 1000
    Poisson inputs at 15 Hz onto one LIF neuron, additive all-to-all STDP
    (``tau_plus = tau_minus = 20 ms``, ``a_plus = 0.01``, ``a_minus = 0.0105``,
    ``w_max = 0.6 mV``), initial weights uniform in ``[0, w_max]``; 10 s simulated
    (``--song-seconds``). Current-based, as ``examples/plot_stdp_song2000.py``.
``cuba``
    CUBA (``tests/networks.py``, Brian2's ``CUBA.py``), N = 16,000 with 80 inputs per
    neuron (p = 80/N, the benchmark set's ``cuba-16k``), with additive STDP on the
    excitatory-to-excitatory synapses: ``a_plus = 0.001``, ``a_minus = 0.00105``,
    ``tau_plus = tau_minus = 20 ms``, ``w_max = 3.24 mV`` (twice the CUBA weight),
    initial weights 1.62 mV; 1 s simulated (``--cuba-seconds``). The excitatory
    projection is split into E->E (plastic) and E->I (static), in both variants.

``static`` is the same network with fixed weights (the initial ones). Every
measurement runs in a fresh process; within a repetition the variants take turns,
in an order that rotates from one repetition to the next. Brian2 is generated and
compiled once per variant in a process of its own (not timed); each repetition
reruns its binary, as ``run.py`` does. The time compared is the CPU time of the
simulation loop, as ``run.py`` compares one-thread contenders: neurosim's
``process_time`` around ``net.run`` after a 0-step run that compiles (or loads the
cache), Brian2's own loop time (``std::clock`` without OpenMP). Prints a Markdown
table: medians over ``--reps``, with the range.
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DT = 0.1e-3
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# STDP parameters of the two networks (volts for the bounds)
SONG = dict(rate=15.0, tau_m=10e-3, v_rest=-74e-3, v_reset=-60e-3, v_th=-54e-3,
            tau_e=5e-3, tau_plus=20e-3, tau_minus=20e-3, a_plus=0.01, a_minus=0.0105,
            w_max=0.6e-3)
CUBA = dict(we=1.62e-3, wi=9e-3, tau_plus=20e-3, tau_minus=20e-3, a_plus=0.001,
            a_minus=0.00105, w_max=2 * 1.62e-3)


# ------------------------------------------------------------- neurosim builders
def neurosim_net(net, size, plastic):
    """``(network, monitors, projections, plastic projections)`` of neurosim, not yet
    built."""
    import neurosim as ns
    from neurosim.units import Hz, mV, ms, second
    s = second
    if net == "song":
        p = SONG
        lif = ns.LIF(tau_m=p["tau_m"] * s, v_rest=p["v_rest"] * 1e3 * mV,
                     v_reset=p["v_reset"] * 1e3 * mV, v_th=p["v_th"] * 1e3 * mV,
                     tau_syn_e=p["tau_e"] * s, tau_syn_i=p["tau_e"] * s)
        neuron = ns.NeuronGroup(1, lif, v=p["v_rest"] * 1e3 * mV, name="neuron")
        inputs = ns.PoissonGroup(size, p["rate"] * Hz, name="inputs")
        rule = _rule(ns, p) if plastic else None
        syn = ns.Synapses(inputs, neuron, kind="excitatory",
                          weight=ns.Uniform(0 * mV, p["w_max"] * 1e3 * mV),
                          connect=ns.AllToAll(), plasticity=rule, name="song")
        mon = ns.SpikeMonitor(neuron)
        return ns.Network(inputs, neuron, syn, mon), [mon], [syn], [syn] if plastic else []
    p = CUBA
    n, n_e = size, int(0.8 * size)
    conn = ns.FixedProbability(80 / n)
    lif = ns.LIF(tau_m=20 * ms, v_rest=-49 * mV, v_reset=-60 * mV, v_th=-50 * mV,
                 refractory=5 * ms, tau_syn_e=5 * ms, tau_syn_i=10 * ms)
    cells = ns.NeuronGroup(n, lif, v=ns.Uniform(-60 * mV, -50 * mV), name="cuba")
    exc, inh = cells[:n_e], cells[n_e:]
    ee = ns.Synapses(exc, exc, kind="excitatory", weight=p["we"] * 1e3 * mV, connect=conn,
                     plasticity=_rule(ns, p) if plastic else None, name="ee")
    ei = ns.Synapses(exc, inh, kind="excitatory", weight=p["we"] * 1e3 * mV, connect=conn,
                     name="ei")
    ii = ns.Synapses(inh, cells, kind="inhibitory", weight=p["wi"] * 1e3 * mV, connect=conn,
                     name="ii")
    mon = ns.SpikeMonitor(cells)
    return ns.Network(cells, ee, ei, ii, mon), [mon], [ee, ei, ii], [ee] if plastic else []


def _rule(ns, p):
    from neurosim.units import mV, second
    return ns.STDP(tau_plus=p["tau_plus"] * second, tau_minus=p["tau_minus"] * second,
                   a_plus=p["a_plus"], a_minus=p["a_minus"], w_max=p["w_max"] * 1e3 * mV)


def run_neurosim(spec):
    import neurosim as ns
    from neurosim.units import second
    net, monitors, projections, plastic = neurosim_net(spec["net"], spec["size"],
                                                       spec["plastic"])
    net.build(dt=DT * second, seed=spec["seed"])
    w0 = [s.weight.mean() for s in plastic]
    net.run(0 * second, backend="numba", n_threads=1)        # compiles or loads the cache
    cpu = time.process_time()
    net.run(spec["duration"] * second, backend="numba", n_threads=1)
    cpu = time.process_time() - cpu
    n_syn = sum(s.n_synapses for s in projections)
    return dict(run_cpu_s=cpu, run_s=net.timings["run"], compile_s=net.timings["compile"],
                spikes=int(sum(m.i.size for m in monitors)), n_syn=n_syn,
                w_mean=[[a, s.weight.mean(), s.weight.std()] for a, s in zip(w0, plastic)],
                version=ns.__version__)


# --------------------------------------------------------------- Brian2 builders
def brian2_net(net, size, plastic, seed):
    """``(objects, spike monitors, synapses)`` of the same network in Brian2."""
    import brian2 as b2
    from brian2 import Hz, mV, ms, second, volt
    b2.seed(seed)
    if net == "song":
        p = SONG
        nsp = dict(taum=p["tau_m"] * second, El=p["v_rest"] * volt, vr=p["v_reset"] * volt,
                   vt=p["v_th"] * volt, taue=p["tau_e"] * second)
        neuron = b2.NeuronGroup(1, """dv/dt = (El - v + ge) / taum : volt
                                      dge/dt = -ge / taue : volt""",
                                threshold="v > vt", reset="v = vr", method="exact",
                                namespace=nsp)
        neuron.v = p["v_rest"] * volt
        inputs = b2.PoissonGroup(size, p["rate"] * Hz)
        syn = b2.Synapses(inputs, neuron, **_b2_synapse_code("ge", p, plastic))
        syn.connect()
        syn.w = f"rand() * {p['w_max']!r} * volt"
        mon = b2.SpikeMonitor(neuron)
        return [neuron, inputs, syn, mon], [mon], [syn]
    p = CUBA
    n, n_e = size, int(0.8 * size)
    eqs = """dv/dt = (ge + gi - (v - El)) / taum : volt (unless refractory)
             dge/dt = -ge / taue : volt
             dgi/dt = -gi / taui : volt"""
    nsp = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, El=-49 * mV, Vt=-50 * mV,
               Vr=-60 * mV)
    P = b2.NeuronGroup(n, eqs, threshold="v > Vt", reset="v = Vr", refractory=5 * ms,
                       method="exact", namespace=nsp)
    P.v = "Vr + rand() * (Vt - Vr)"
    ee = b2.Synapses(P[:n_e], P[:n_e], **_b2_synapse_code("ge", p, plastic))
    ei = b2.Synapses(P[:n_e], P[n_e:], "w : volt (constant)", on_pre="ge += w")
    ii = b2.Synapses(P[n_e:], P, "w : volt (constant)", on_pre="gi -= w")
    for s, w in ((ee, p["we"]), (ei, p["we"]), (ii, p["wi"])):
        s.connect(p=80 / n)
        s.w = w * volt
    mon = b2.SpikeMonitor(P)
    return [P, ee, ei, ii, mon], [mon], [ee, ei, ii]


def _b2_synapse_code(var, p, plastic):
    """Keyword arguments of ``b2.Synapses``: the rule as ``STDP.brian2_code`` writes it
    (additive, all-to-all pairing), or a static weight."""
    from brian2 import second, volt
    if not plastic:
        return dict(model="w : volt", on_pre=f"{var} += w")
    return dict(model="""w : volt
                         dapre/dt = -apre / tau_plus : 1 (event-driven)
                         dapost/dt = -apost / tau_minus : 1 (event-driven)""",
                on_pre=f"""{var} += w
                           w = clip(w - a_minus * (w_max - w_min) * apost, w_min, w_max)
                           apre += 1""",
                on_post="""w = clip(w + a_plus * (w_max - w_min) * apre, w_min, w_max)
                           apost += 1""",
                namespace=dict(tau_plus=p["tau_plus"] * second,
                               tau_minus=p["tau_minus"] * second, a_plus=p["a_plus"],
                               a_minus=p["a_minus"], w_min=0 * volt,
                               w_max=p["w_max"] * volt))


def compile_brian2(spec):
    """Generate, compile and run once in ``build_dir``, leaving the manifest that
    ``worker.run_brian2_standalone`` reads to rerun the binary."""
    import brian2 as b2
    b2.prefs.logging.console_log_level = "WARNING"
    directory = spec["build_dir"]
    b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0          # one thread, no OpenMP
    objects, monitors, syn = brian2_net(spec["net"], spec["size"], spec["plastic"],
                                        spec["seed"])
    net = b2.Network(*objects)
    net.run(spec["duration"] * b2.second)
    b2.device.build(directory=directory, compile=True, run=True, with_output=False)
    timers = b2.device.timers
    manifest = dict(count_files=[b2.device.get_array_filename(m.variables["N"])
                                 for m in monitors],
                    n_syn=int(sum(len(s) for s in syn)))
    with open(os.path.join(directory, "bench_manifest.json"), "w") as fh:
        json.dump(manifest, fh)
    return dict(compile_s=(timers["compile"]["clean"] or 0.0) + (timers["compile"]["make"] or 0.0),
                spikes=int(sum(m.num_spikes for m in monitors)), n_syn=manifest["n_syn"],
                version=b2.__version__)


def run_brian2(spec):
    sys.path.insert(0, HERE)
    import worker                      # the project's rerun of a compiled binary
    out = worker.run_brian2_standalone(dict(build_dir=spec["build_dir"], threads=1))
    return out


WORKERS = dict(neurosim=run_neurosim, b2compile=compile_brian2, b2run=run_brian2)


# ------------------------------------------------------------------------ driver
def _call(spec, timeout):
    """One measurement in a fresh process; its result dict, or ``{'error': ...}``."""
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", json.dumps(spec)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return dict(error=f"timed out after {timeout} s")
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return dict(error=f"exit {proc.returncode}: {(proc.stderr or proc.stdout)[-600:]}")


def _versions():
    out = dict(python=platform.python_version())
    for mod in ("numpy", "numba", "brian2", "neurosim"):
        try:
            r = subprocess.run([sys.executable, "-c", f"import {mod}; print({mod}.__version__)"],
                               capture_output=True, text=True, timeout=300,
                               env=dict(os.environ, PYTHONPATH=ROOT))
            out[mod] = r.stdout.strip().splitlines()[-1]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            out[mod] = "?"
    try:
        out["g++"] = subprocess.run(["g++", "--version"], capture_output=True,
                                    text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        out["g++"] = "not found"
    return out


def _cpu_model():
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        return platform.processor() or "?"
    for line in text.splitlines():
        key, _, val = line.partition(":")
        if key.strip() == "Model name":
            return val.strip()
    return "?"


def _ratio(a, b):
    return f"{a[0] / b[0]:.2f}" if a and b else "-"


def _fmt(x):
    return "-" if x is None else f"{x:.3g}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=3, help="repetitions (median reported)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--song-inputs", type=int, default=1000)
    ap.add_argument("--song-seconds", type=float, default=10.0)
    ap.add_argument("--cuba-n", type=int, default=16000)
    ap.add_argument("--cuba-seconds", type=float, default=1.0)
    ap.add_argument("--nets", default="song,cuba", help="comma-separated: song, cuba")
    ap.add_argument("--no-brian2", action="store_true", help="neurosim only")
    ap.add_argument("--timeout", type=int, default=1800, help="s per measurement")
    ap.add_argument("--keep", help="folder for Brian2's builds (default: a temporary one)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        spec = json.loads(args.worker)
        out = WORKERS[spec["sim"]](spec)
        print("RESULT " + json.dumps(out), flush=True)
        return

    sizes = dict(song=(args.song_inputs, args.song_seconds),
                 cuba=(args.cuba_n, args.cuba_seconds))
    nets = [n.strip() for n in args.nets.split(",") if n.strip()]
    sims = ["neurosim"] + ([] if args.no_brian2 else ["brian2"])
    variants = [(net, plastic, sim) for net in nets for plastic in (False, True)
                for sim in sims]
    root = args.keep or tempfile.mkdtemp(prefix="bench_plasticity_")
    t_start = time.time()

    def spec_of(net, plastic, sim):
        size, duration = sizes[net]
        return dict(net=net, size=size, duration=duration, plastic=plastic, seed=args.seed,
                    build_dir=os.path.join(root, f"{net}-{'stdp' if plastic else 'static'}"))

    info = {}
    for v in variants:                       # Brian2: generate and compile (not timed)
        if v[2] == "brian2":
            spec = spec_of(*v)
            shutil.rmtree(spec["build_dir"], ignore_errors=True)
            info[v] = _call(dict(spec, sim="b2compile"), args.timeout)
            print(f"compiled Brian2 {v[0]} {'stdp' if v[1] else 'static'}: "
                  f"{info[v].get('error') or _fmt(info[v]['compile_s']) + ' s'}", flush=True)
    results = {v: [] for v in variants}
    for rep in range(args.reps):
        k = rep % len(variants)
        for v in variants[k:] + variants[:k]:
            if v[2] == "brian2" and "error" in info[v]:
                continue
            spec = dict(spec_of(*v), sim="neurosim" if v[2] == "neurosim" else "b2run")
            r = _call(spec, args.timeout)
            results[v].append(r)
            print(f"rep {rep + 1}: {v[0]} {'stdp' if v[1] else 'static'} {v[2]}: "
                  f"{r.get('error') or _fmt(r['run_cpu_s']) + ' s CPU'}", flush=True)

    print(_report(args, nets, sims, sizes, variants, results, info, time.time() - t_start))
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


def _report(args, nets, sims, sizes, variants, results, info, elapsed):
    med = {}
    rows = ["| network | synapses | simulator | static (s) | STDP (s) | STDP / static | "
            "spikes static / STDP | neurosim / Brian2, static / STDP |",
            "|---|---|---|---|---|---|---|---|"]
    for v in variants:
        ok = [r for r in results[v] if "error" not in r]
        t = [r["run_cpu_s"] for r in ok]
        med[v] = (float(np.median(t)), min(t), max(t), ok[0]) if t else None
    for net in nets:
        size, duration = sizes[net]
        name = (f"Song 2000, {size} inputs, {duration:g} s" if net == "song"
                else f"CUBA N={size:,} p=80/N, STDP on E->E, {duration:g} s")
        for sim in sims:
            s, p = med.get((net, False, sim)), med.get((net, True, sim))
            n_syn = (p or s or (None, None, None, {}))[3].get("n_syn")
            cell = lambda m: "not run" if m is None else \
                f"{m[0]:.3g} ({m[1]:.3g}-{m[2]:.3g})"       # noqa: E731
            ratio = f"{p[0] / s[0]:.2f}" if s and p else "-"
            spikes = f"{s[3]['spikes'] if s else '-'} / {p[3]['spikes'] if p else '-'}"
            vs = "-"
            if sim == "neurosim":
                vs = " / ".join(_ratio(m, med.get((net, plastic, "brian2")))
                                for m, plastic in ((s, False), (p, True)))
            label = "neurosim numba, 1 thread" if sim == "neurosim" else \
                "Brian2 cpp_standalone, 1 thread"
            rows.append(f"| {name} | {n_syn if n_syn is not None else '-'} | {label} | "
                        f"{cell(s)} | {cell(p)} | {ratio} | {spikes} | {vs} |")
    errors = [f"- {v[0]} {'stdp' if v[1] else 'static'} {v[2]}: {r['error']}"
              for v in variants for r in results[v] + [info.get(v, {})] if "error" in r]
    drift = [f"- {v[0]}: mean weight {a * 1e3:.5g} mV at the start, {b * 1e3:.5g} mV "
             f"(SD {sd * 1e3:.3g} mV) at the end"
             for v in variants if v[1] and v[2] == "neurosim" and med.get(v)
             for a, b, sd in med[v][3]["w_mean"]]
    vers = _versions()
    head = [f"## STDP benchmark ({time.strftime('%Y-%m-%d')})", "",
            f"- CPU: {_cpu_model()}, {os.cpu_count()} logical cores; {platform.platform()}",
            "- Versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()),
            f"- `python benchmarks/plasticity.py --reps {args.reps} --nets {args.nets} "
            f"--song-inputs {args.song_inputs} --song-seconds {args.song_seconds:g} "
            f"--cuba-n {args.cuba_n} --cuba-seconds {args.cuba_seconds:g}` "
            f"({elapsed / 60:.1f} min); dt = 0.1 ms",
            "- Times: CPU time of the simulation loop (s), median (min-max) of "
            f"{args.reps} fresh processes each; compilation excluded", ""]
    tail = ["", "Plastic weights in neurosim's runs (first repetition):"] + drift
    if errors:
        tail += ["", "Errors:"] + errors
    return "\n".join(head + rows + tail)


if __name__ == "__main__":
    main()
