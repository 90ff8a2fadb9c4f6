"""Where neurosim's numba loop spends its time: each phase of the step timed alone.

Usage::

    python benchmarks/profile_neurosim.py cuba-64k [--threads 1] [--duration 1]

Runs the network once (the reference run time), then replays each phase of the
step (docs/design.md, "The time step") in its own compiled loop over the same number of
steps, on a copy of the built arrays:

- ``update``: the neuron update and threshold of every segment;
- ``scan``: collecting the indices of the neurons that spiked;
- ``propagate``: the recorded spikes of the reference run scattered through the
  CSR synapses into the delay ring buffer;
- ``apply``: adding the entries of the current slot that received input to the
  synaptic variables (the slots as the reference run left them, so this phase
  is a lower bound);
- ``drives``: the ``PoissonInput`` counts.

The phases add up to about the run time; the rest is recording and the loop.
Times are CPU times of this process with one thread (what a shared machine
disturbs least), wall times with several.
Uses neurosim's internals (``net._arrays``, ``neurosim.kernels.simulate``),
so it follows their changes; read-only, it changes nothing in neurosim.
"""
import argparse
import os
import sys
import time

import numpy as np
from numba import njit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import nets  # noqa: E402


@njit
def _loop_update(nr, seed, n_steps, n_threads, update, update_parallel):
    with_current = False
    for k in range(nr.i_bias.size):
        with_current = with_current or nr.i_bias[k] != 0
    for step in range(n_steps):
        if n_threads > 1:
            update_parallel(nr, seed, step, n_threads, with_current)
        else:
            update(nr, seed, step, with_current)


@njit
def _loop_scan(spiked, n_steps, out, gather):
    total = 0
    for step in range(n_steps):
        total += gather(spiked, out)
    return total


@njit
def _loop_propagate(ptr, ids, indptr, target, weight, weight_code, delay, buffer, propagate,
                    pending):
    touched, n_touched = pending(buffer)
    depth = buffer.shape[0]
    for step in range(ptr.size - 1):
        propagate(ids[ptr[step]:], ptr[step + 1] - ptr[step], step, indptr, target, weight,
                  weight_code, delay, buffer, touched, n_touched)
        n_touched[step % depth] = 0
    return n_touched


@njit
def _loop_apply(nr, n_steps, apply, pending):
    # the slots as the reference run left them: only what is pending is applied
    touched, n_touched = pending(nr.buffer)
    delta = np.zeros(nr.v.size, dtype=np.bool_)
    depth = nr.buffer.shape[0]
    for step in range(n_steps):
        apply(nr, delta, step % depth, touched, n_touched)


@njit
def _loop_drives(nr, drv, seed, n_steps, drives, pending):
    touched, n_touched = pending(nr.buffer)
    depth = nr.buffer.shape[0]
    for step in range(n_steps):
        drives(nr, drv, seed, step, step % depth, 0, nr.v.size, touched, n_touched,
               touched.shape[1])
        n_touched[step % depth] = 0


def profile(name, threads=1, duration=1.0, seed=1):
    import neurosim as ns  # noqa: F401
    from neurosim.kernels import simulate as sim
    from neurosim.kernels.propagate import propagate_numba
    from neurosim.units import second
    net, count = nets.build_neurosim(name, binary_spikes=True)
    net.build(dt=nets.DT * second, seed=seed)
    a = net._arrays
    fresh = {f: getattr(a.neurons, f).copy() for f in ("v", "ge", "gi", "ref", "spiked",
                                                       "buffer", "i_ext")}
    # CPU time for one thread (a shared machine disturbs it least), else wall time
    clock = time.process_time if threads == 1 else time.perf_counter
    net.run(0 * second, backend="numba", n_threads=threads)      # compile
    t0 = clock()
    net.run(duration * second, backend="numba", n_threads=threads)
    total = clock() - t0
    spikes, n_syn = count()
    n_steps = int(round(duration / nets.DT))
    mon = [m for m in net.monitors if isinstance(m, ns.SpikeMonitor)]
    nr = a.neurons._replace(**{f: v.copy() for f, v in fresh.items()})
    syn = a.synapses
    out = dict(net=name, threads=threads, n=a.n, n_syn=n_syn, spikes=spikes, steps=n_steps,
               depth=int(nr.buffer.shape[0]), run=total)
    # warm up each compiled loop on one step, then time it
    for key, fn, args in (
            ("update", _loop_update, (nr, seed, n_steps, threads, sim._update_neurons,
                                      sim._update_neurons_parallel)),
            ("scan", _loop_scan, (nr.spiked, n_steps, np.empty(a.n, np.int64),
                                  sim._gather_spikes)),
            ("apply", _loop_apply, (nr, n_steps, sim._apply_slot, sim._pending_input)),
            ("drives", _loop_drives, (nr, a.drives, seed, n_steps, sim._poisson_drives,
                                      sim._pending_input))):
        small = tuple(1 if (x is n_steps) else x for x in args)
        fn(*small)
        t0 = clock()
        fn(*args)
        out[key] = clock() - t0
    if mon:
        steps = np.concatenate([m.steps for m in mon])
        ids = np.concatenate([m.i.astype(np.int64) + net._global(m.source) for m in mon])
        order = np.argsort(steps, kind="stable")
        ptr = np.searchsorted(steps[order], np.arange(n_steps + 1))
        ids = np.concatenate([ids[order], np.zeros(1, np.int64)])
        buf = np.zeros_like(nr.buffer)
        _loop_propagate(ptr[:2], ids, syn.indptr, syn.target, syn.weight, syn.weight_code,
                        syn.delay, buf,
                        propagate_numba, sim._pending_input)
        t0 = clock()
        _loop_propagate(ptr, ids, syn.indptr, syn.target, syn.weight, syn.weight_code,
                        syn.delay, buf,
                        propagate_numba, sim._pending_input)
        out["propagate"] = clock() - t0
        out["ns_per_event"] = out["propagate"] / max(1, spikes * n_syn / a.n) * 1e9
    out["ns_per_neuron_step"] = out["update"] / (a.n * n_steps) * 1e9
    out["rest"] = total - sum(out.get(k, 0.0) for k in ("update", "scan", "propagate",
                                                          "apply", "drives"))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("nets", nargs="+", choices=list(nets.NETWORKS))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--duration", type=float, default=1.0)
    args = ap.parse_args()
    for name in args.nets:
        r = profile(name, args.threads, args.duration)
        phases = [k for k in ("update", "scan", "propagate", "apply", "drives", "rest")
                  if k in r]
        parts = "  ".join(f"{k} {r[k]:.3f} s ({100 * r[k] / r['run']:.0f} %)" for k in phases)
        print(f"{name} ({r['n']} neurons, {r['n_syn']} synapses, {r['spikes']} spikes, "
              f"buffer depth {r['depth']}, {args.threads} thread(s)): run {r['run']:.3f} s; "
              f"{parts}; "
              f"{r.get('ns_per_event', float('nan')):.1f} ns/event, "
              f"{r['ns_per_neuron_step']:.2f} ns/neuron-step")


if __name__ == "__main__":
    main()
