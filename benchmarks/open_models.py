"""Costs of the open model interface, measured in one run (numba, one thread).

Usage::

    python benchmarks/open_models.py [--reps 3]

* the built-in LIF against the same LIF written through the public model API
  (a ``NeuronModel`` subclass with LIF's rules: it gets a generated engine),
  on CUBA with 16,000 neurons (``tests/networks.py``), run time of 1 s;
* compile time of a network with a model never seen before: cold (an empty
  ``cache_dir`` and numba cache) and loaded from the cache (a second process);
* the check for NaN and infinite states (``check_finite``) on and off, CUBA 64k;
* ``tau_m`` drawn per neuron against one ``tau_m`` for all, CUBA 16k;
* the Hodgkin-Huxley step alone (COBAHH's neuron, exponential Euler), in
  nanoseconds per neuron and step: its generated step compiled into a loop over
  4,000 neurons as the engines compile it, from the model's
  ``linear_coefficients`` and, for comparison, from its ``derivatives`` alone
  (``B`` measured, one more evaluation per variable). ``--hh-step`` runs only this.

Each measurement is a fresh process; the variants take turns. Prints a
Markdown table for ``docs/benchmarks.md``.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_MEASURE = r"""
import json, sys, time
sys.path.insert(0, "tests")
import numpy as np
import networks as tn
import neurosim as ns
from neurosim.kernels import lif as K
from neurosim.units import ms, second, volt

class UserLIF(ns.NeuronModel):
    # the LIF's rules through the public model API
    parameters = K.PARAMETERS
    scalar_update = staticmethod(K.lif_update)
    vector_update = staticmethod(K.lif_update_numpy)
    weight_unit = current_unit = volt

    def __init__(self, lif):
        self.lif = lif

    @property
    def state_variables(self):
        return self.lif.state_variables

    def parameter_values(self, dt):
        return self.lif.parameter_values(dt)

variant, n = sys.argv[1], int(sys.argv[2])
net, mon = tn.cuba(n, 80 / n if n > 4000 else 0.02, record=())
if variant == "user":
    net.groups[0].model = UserLIF(net.groups[0].model)
if variant == "per-neuron":     # tau_m drawn per neuron: a segment per neuron
    old = net.groups[0].model
    net.groups[0].model = ns.LIF(tau_m=ns.Normal(20 * ms, 2 * ms, low=10 * ms),
                                 v_rest=old.v_rest * volt, v_reset=old.v_reset * volt,
                                 v_th=old.v_th * volt, refractory=old.refractory * second,
                                 tau_syn_e=old.tau_syn_e * second,
                                 tau_syn_i=old.tau_syn_i * second)
keep = [mon["spikes"]]
objects = [o for o in net.objects if not isinstance(o, (ns.SpikeMonitor, ns.StateMonitor,
                                                        ns.RateMonitor))] + keep
net = ns.Network(*objects)
with ns.config_context(check_finite=variant != "unchecked"):
    net.build(dt=0.1 * ms, seed=1)
    net.run(0 * second, backend="numba", n_threads=1)
    compile_s = net.timings["compile"]
    net.run(1 * second, n_threads=1)
print(json.dumps({"run_s": net.timings["run"], "compile_s": compile_s,
                  "spikes": int(keep[0].num_spikes)}))
"""


_HH_STEP = r"""
import json, sys, time
import numpy as np
from numba import njit
import neurosim as ns

class MeasuredHH(ns.HodgkinHuxley):
    # the same model without its coefficients: B measured from the derivatives
    parameters = ns.HodgkinHuxley.parameters[:-2]       # ODEModel adds dt, n_ref
    linear_coefficients = None

model = (ns.HodgkinHuxley if sys.argv[1] == "coefficients" else MeasuredHH)()
values = model.parameter_values(1e-4)
p = model.kernel.Parameters(*[values[k] for k in model.kernel.parameters])
update = njit(inline="always")(model.kernel.scalar_update)     # as kernels._dispatch does

@njit
def loop(v, ge, gi, ref, m, n, h, i_ext, spiked, p, n_steps):
    start, stop = np.uint64(0), np.uint64(v.size)
    for step in range(n_steps):
        for k in range(start, stop):
            v[k], ge[k], gi[k], ref[k], m[k], n[k], h[k], spiked[k] = update(
                v[k], ge[k], gi[k], ref[k], m[k], n[k], h[k], i_ext[k], p, 1, step, k)

def state(n=4000):
    # COBAHH's initial state (tests/networks.py), a current that keeps some firing
    rng = np.random.default_rng(1)
    return (rng.normal(-65e-3, 5e-3, n), rng.normal(40e-9, 15e-9, n),
            rng.normal(200e-9, 120e-9, n), np.zeros(n, np.int32), np.zeros(n),
            np.zeros(n), np.zeros(n), np.full(n, 0.3e-9), np.zeros(n, np.bool_))

loop(*state(), p, 1)                # compile
n_steps, best = 2000, np.inf
for _ in range(3):
    s = state()
    t0 = time.process_time()
    loop(*s, p, n_steps)
    best = min(best, time.process_time() - t0)
print(json.dumps({"ns": best / (s[0].size * n_steps) * 1e9}))
"""


def _hh_step(env, reps):
    """Nanoseconds per neuron and step of the HH step, per form, medians over ``reps``."""
    out = {}
    for _ in range(reps):
        for form in ("coefficients", "derivatives"):
            run = subprocess.run([sys.executable, "-c", _HH_STEP, form], cwd=ROOT, env=env,
                                 capture_output=True, text=True, check=True)
            out.setdefault(form, []).append(json.loads(run.stdout.strip().splitlines()[-1])["ns"])
    return {form: float(np.median(v)) for form, v in out.items()}


def _print_hh_step(hh):
    print(f"| Hodgkin-Huxley step from its coefficients (ns per neuron and step) | "
          f"{hh['coefficients']:.1f} |")
    print(f"| Hodgkin-Huxley step from its derivatives alone | {hh['derivatives']:.1f} "
          f"({hh['derivatives'] / hh['coefficients']:.2f}x) |")


def _measure(variant, n, env):
    out = subprocess.run([sys.executable, "-c", _MEASURE, variant, str(n)], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--hh-step", action="store_true", help="only the Hodgkin-Huxley step")
    args = ap.parse_args()
    base = dict(os.environ)
    if args.hh_step:
        print("| measurement | value |\n|---|---|")
        _print_hh_step(_hh_step(base, args.reps))
        return
    results = {}
    with tempfile.TemporaryDirectory() as cache:
        # cold: an empty cache_dir and numba cache for the user model's engine
        env = dict(base, NEUROSIM_CACHE_DIR=cache)
        first = _measure("user", 4000, env)
        second = _measure("user", 4000, env)
        results["compile"] = (first["compile_s"], second["compile_s"])
        for rep in range(args.reps):
            for variant, n in (("builtin", 16000), ("user", 16000), ("per-neuron", 16000),
                               ("checked", 64000), ("unchecked", 64000)):
                r = _measure(variant, n, env)
                results.setdefault((variant, n), []).append(r["run_s"])
                print(f"rep {rep} {variant:<9} n={n:<6} {r['run_s']:.3f} s "
                      f"({r['spikes']} spikes)", flush=True)
    hh = _hh_step(base, args.reps)
    med = {k: float(np.median(v)) for k, v in results.items() if k != "compile"}
    print("\n| measurement | value |\n|---|---|")
    print(f"| CUBA 16k, built-in LIF (s per simulated s) | {med[('builtin', 16000)]:.3f} |")
    print(f"| CUBA 16k, LIF through the model API | {med[('user', 16000)]:.3f} "
          f"({med[('user', 16000)] / med[('builtin', 16000)]:.3f}x) |")
    print(f"| CUBA 16k, tau_m per neuron | {med[('per-neuron', 16000)]:.3f} "
          f"({med[('per-neuron', 16000)] / med[('builtin', 16000)]:.3f}x) |")
    print(f"| CUBA 64k, NaN check on | {med[('checked', 64000)]:.3f} |")
    print(f"| CUBA 64k, NaN check off | {med[('unchecked', 64000)]:.3f} "
          f"(on/off {med[('checked', 64000)] / med[('unchecked', 64000)]:.3f}) |")
    print(f"| compile, a model never seen: cold / from the cache (s) | "
          f"{results['compile'][0]:.2f} / {results['compile'][1]:.2f} |")
    _print_hh_step(hh)


if __name__ == "__main__":
    main()
