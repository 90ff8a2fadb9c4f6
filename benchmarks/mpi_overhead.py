"""What the MPI rank loop costs per exchange interval, apart from the exchange itself.

    python benchmarks/mpi_overhead.py

CUBA with N = 2,000 (p = 0.04) and delays of 0.1 ms (an interval per step) or 1 ms
(every 10 steps), 1 s of simulated time: the one-process loop against the rank loop
run on one rank without MPI (``neurosim.mpi.run`` with a one-process communicator),
which returns to Python once per interval. Both give the same spikes (checked). Prints
the medians of 3 repetitions and the extra time per interval.
"""
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from neurosim import mpi  # noqa: E402
from neurosim.units import ms  # noqa: E402
from networks import cuba  # noqa: E402


def main(reps=3):
    times = {}
    for _ in range(reps):
        for d in (0.1, 1.0):
            net, mon = cuba(n=2000, p=0.04, record=(), delay=d * ms)
            net.run(1000 * ms, dt=0.1 * ms, backend="numba", seed=1, n_threads=1)
            net2, mon2 = cuba(n=2000, p=0.04, record=(), delay=d * ms)
            net2.build(0.1 * ms, seed=1)
            mpi.run(net2, 10000, 10000, False, comm=mpi._SelfComm())
            assert np.array_equal(mon["spikes"].i, mon2["spikes"].i)
            times.setdefault(d, []).append(
                (net.timings["run"], net2.timings["run"], net2.timings["record"]))
    for d, v in times.items():
        plain, ranked, record = np.median(np.array(v), axis=0)
        intervals = 10000 / round(d / 0.1)
        print(f"delay {d:g} ms: one-process loop {plain:.3f} s, rank loop {ranked:.3f} s "
              f"(monitors {record:.3f} s); {1e6 * (ranked - plain) / intervals:.0f} us more "
              f"per interval ({intervals:.0f} intervals); load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
