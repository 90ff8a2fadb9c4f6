"""Build time and peak memory of PD14 (``benchmarks/pd14.py``), for issue 31.

Usage::

    NUMBA_NUM_THREADS=1 python benchmarks/build_pd14.py [scale] [repo]

Builds PD14 at ``scale`` (default 1, the full model: 77,169 neurons, 3e8 synapses)
with seed 1 and dt 0.1 ms, after a build at scale 0.01 that loads the compiled code
(its compile time is not counted), and prints the build time, the peak resident
memory above the interpreter's before the build (sampled every 20 ms) and both per
synapse, at peak and at rest. ``repo`` (default: this checkout) is the neurosim
checkout to measure, so that an older commit in a worktree can be measured alike.
"""
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(HERE)
sys.path[:0] = [os.path.join(REPO, "benchmarks"), os.path.join(REPO, "tests"), REPO]

import pd14  # noqa: E402
from neurosim.units import ms  # noqa: E402


def _rss():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def main(scale):
    net, _ = pd14.pd14(scale=0.01, spikes=False)
    net.build(dt=0.1 * ms, seed=1)                 # loads (or compiles) the kernels
    del net
    net, _ = pd14.pd14(scale=scale, spikes=False)
    base, peak, done = _rss(), [0], threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], _rss())
            time.sleep(0.02)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    t0 = time.perf_counter()
    net.build(dt=0.1 * ms, seed=1)
    seconds = time.perf_counter() - t0
    done.set()
    watcher.join()
    peak = max(peak[0], _rss()) - base
    rest = _rss() - base
    n_syn = int(net._arrays.synapses.target.size)
    print(f"threads={os.environ.get('NUMBA_NUM_THREADS', 'all')} scale={scale} "
          f"synapses={n_syn} build_s={seconds:.2f} peak_GB={peak / 1e9:.2f} "
          f"B_per_syn_peak={peak / n_syn:.1f} B_per_syn_rest={rest / n_syn:.1f} "
          f"load={os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
