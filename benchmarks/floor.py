"""How close the numba neuron update is to the memory floor of this machine.

Usage::

    python benchmarks/floor.py [--sizes 4000,16000,64000] [--steps 2000]

The LIF update of a step reads and writes ``v``, ``i_e``, ``i_i`` and the
refractory counter and writes the spike flag: 53 bytes per neuron in float64,
29 in float32. A loop that moves exactly those bytes and does one multiply per
value (``copy``) is the floor for any update that keeps this state in memory
between steps: at 4,000 neurons the state sits in L2, at 64,000 it streams
from L3. The script times neurosim's update (``kernels.simulate._update_neurons``,
a CUBA segment without injected current) against that loop, interleaved, and
prints nanoseconds per neuron and step (the minimum CPU time over the
repetitions, the figure a shared machine disturbs least).
Uses neurosim's internals; read-only.
"""
import argparse
import time

import numpy as np
from numba import njit

from neurosim.kernels import simulate as sim
from neurosim.kernels._layout import SHARED


@njit
def _copy_loop(v, ge, gi, ref, spiked, n_steps):
    # the update's memory traffic with trivial arithmetic
    c = v.dtype.type(0.999)
    for _ in range(n_steps):
        for k in range(np.uint64(v.size)):
            v[k] = v[k] * c
            ge[k] = ge[k] * c
            gi[k] = gi[k] * c
            ref[k] = ref[k] + np.int32(1)
            spiked[k] = v[k] > c
    return v[0]


@njit
def _update_loop(nr, n_steps):
    for step in range(n_steps):
        sim._update_neurons(nr, 0, step, False)


def _cuba_segment(n, dtype):
    """One CUBA population (the benchmark's parameters, dt = 0.1 ms) as kernel arrays."""
    dt, tau_m, tau_e, tau_i = 0.1e-3, 20e-3, 5e-3, 10e-3
    a_m = np.exp(-dt / tau_m)
    p_e = tau_e / (tau_e - tau_m) * (np.exp(-dt / tau_e) - a_m)
    p_i = tau_i / (tau_i - tau_m) * (np.exp(-dt / tau_i) - a_m)
    row = [-49e-3, -60e-3, -50e-3, a_m, np.exp(-dt / tau_e), np.exp(-dt / tau_i), p_e, p_i,
           50, 1.0, 0, 0]
    v = np.random.default_rng(0).uniform(-60e-3, -50e-3, n).astype(dtype)
    return sim.Neurons(v=v, ge=np.full(n, 1e-3, dtype), gi=np.full(n, 1e-3, dtype),
                       ref=np.zeros(n, np.int32), aux=np.zeros((0, n), dtype),
                       i_bias=np.zeros(n, dtype),
                       i_ext=np.zeros(n, dtype), spiked=np.zeros(-(-n // 8) * 8, np.bool_),
                       buffer=np.zeros((1, 2 * n), np.int64), seg_lo=np.array([0]),
                       seg_hi=np.array([n]), seg_code=np.array([0]),
                       seg_prm=np.array([row], dtype=dtype),
                       seg_hoff=np.array([SHARED]), nrn_prm=np.zeros((0, len(row)), dtype))


def measure(n, dtype, n_steps=2000, reps=7):
    """``(update, floor)`` in ns per neuron and step."""
    nr = _cuba_segment(n, dtype)
    _update_loop(nr, 1)
    _copy_loop(nr.v, nr.ge, nr.gi, nr.ref, nr.spiked, 1)
    best = {"update": np.inf, "floor": np.inf}
    for _ in range(reps):
        for key in best:
            nr = _cuba_segment(n, dtype)
            t0 = time.process_time()
            if key == "update":
                _update_loop(nr, n_steps)
            else:
                _copy_loop(nr.v, nr.ge, nr.gi, nr.ref, nr.spiked, n_steps)
            best[key] = min(best[key], time.process_time() - t0)
    return tuple(best[k] / (n * n_steps) * 1e9 for k in ("update", "floor"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="4000,16000,64000")
    ap.add_argument("--steps", type=int, default=2000)
    args = ap.parse_args()
    print("| N | dtype | bytes/neuron | update ns/neuron-step | floor ns/neuron-step | "
          "update/floor |")
    print("|---|---|---|---|---|---|")
    for n in (int(x) for x in args.sizes.split(",")):
        for dtype, nbytes in ((np.float64, 53), (np.float32, 29)):
            upd, floor = measure(n, dtype, args.steps)
            print(f"| {n:,} | {dtype.__name__} | {nbytes} | {upd:.2f} | {floor:.2f} | "
                  f"{upd / floor:.2f} |")


if __name__ == "__main__":
    main()
