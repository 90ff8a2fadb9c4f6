"""A network larger than memory: 1,024,000 LIF neurons with 1,000 synapses each (1.02e9
synapses), Brunel's model A scaled as ``tests/networks.py`` scales it, built and run
with procedural connectivity; then the same network with stored connectivity, which
is refused up front with the size it would need where the machine cannot hold it (since
the compact footprint of issue 31, 24 GB holds it).

Usage::

    python benchmarks/procedural_1e9.py                 # 1 s of activity
    python benchmarks/procedural_1e9.py --n 102400 --seconds 0.2    # a check
    python benchmarks/procedural_1e9.py --seconds 0.002 --max-memory-gib 4
                                    # a machine of 4 GiB: the stored network refused

Every neuron receives on average ``C_E = 800`` excitatory and ``C_I = 200``
inhibitory synapses (``FixedProbability``: each neuron projects onto 1,000 on
average), ``J = 0.125 mV`` (``J C_E = 100 mV``, the paper's mean input), ``g = 5``,
``eta = 2``, delay 1.5 ms, ``dt`` 0.1 ms, and ``C_E`` external Poisson inputs per
neuron (``PoissonInput``). Prints the build time, the run time per simulated second,
the mean rate and the peak resident memory.
"""
import argparse
import os
import resource
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
sys.path.insert(0, os.path.dirname(HERE))

import neurosim as ns  # noqa: E402
from neurosim.units import Hz, ms, mV  # noqa: E402
from networks import BRUNEL, brunel_nu_thr  # noqa: E402


def network(n, storage):
    n_e = 4 * n // 5
    c_e, c_i = 800, 200
    j = 0.1 * mV * 1000 / c_e
    p = BRUNEL
    lif = ns.LIF(tau_m=p["tau"], v_rest=0 * mV, v_reset=p["v_r"], v_th=p["theta"],
                 refractory=p["refractory"])
    cells = ns.NeuronGroup(n, lif, v=ns.Uniform(0 * mV, p["theta"]), name="cells")
    exc, inh = cells[:n_e], cells[n_e:]
    ee = ns.Synapses(exc, cells, kind="excitatory", weight=j, delay=p["delay"],
                     connect=ns.FixedProbability(c_e / n_e), storage=storage)
    ie = ns.Synapses(inh, cells, kind="inhibitory", weight=5 * j, delay=p["delay"],
                     connect=ns.FixedProbability(c_i / (n - n_e)), storage=storage)
    drive = ns.PoissonInput(cells, n=c_e, rate=2 * brunel_nu_thr(c_e, j), weight=j,
                            kind="excitatory")
    rate = ns.RateMonitor(cells)
    return ns.Network(cells, ee, ie, drive, rate), rate


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_024_000)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--max-memory-gib", type=float, default=None,
                    help="the memory neurosim may use (ns.set_config(max_memory=...)); "
                         "default: what the machine has available")
    args = ap.parse_args()
    if args.max_memory_gib is not None:
        ns.set_config(max_memory=int(args.max_memory_gib * 2**30))
    # procedural first, so that the peak resident memory it reports is its own
    net, rate = network(args.n, "procedural")
    t0 = time.perf_counter()
    net.build(dt=0.1 * ms, seed=1)
    build = time.perf_counter() - t0
    n_syn = sum(s.n_synapses for s in net.synapses)
    print(f"procedural: {args.n} neurons, {n_syn:.3e} synapses, built in {build:.1f} s",
          flush=True)
    net.run(0 * ms, n_threads=args.threads)
    t0 = time.perf_counter()
    net.run(args.seconds * 1e3 * ms, n_threads=args.threads)
    wall = time.perf_counter() - t0
    mean_rate = float(rate.rate.mean())
    print(f"procedural: {wall / args.seconds:.1f} s per simulated second "
          f"({args.seconds:g} s simulated), mean rate {mean_rate:.1f} Hz, "
          f"peak resident memory {_peak_gib():.2f} GiB", flush=True)
    del net, rate
    net, _ = network(args.n, "stored")
    try:
        t0 = time.perf_counter()
        net.build(dt=0.1 * ms, seed=1)
        build = time.perf_counter() - t0
        s = net._arrays.synapses
        at_rest = sum(a.nbytes for a in (s.indptr, s.target, s.weight, s.delay, s.weight_code))
        print(f"stored: built in {build:.1f} s (the machine holds it), peak resident memory "
              f"{_peak_gib():.2f} GiB; synapse arrays at rest {at_rest / s.target.size:.2f} "
              f"bytes per synapse ({'shared weights' if s.weight_code.size else 'a weight each'})")
    except ns.NetworkTooLargeError as e:
        print(f"stored: refused up front: {e}")


def _peak_gib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20

if __name__ == "__main__":
    main()
