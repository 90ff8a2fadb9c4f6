"""What a cold cache costs the visual-pathway protocol (issue 33).

Usage::

    python benchmarks/protocol_cold_cache.py

Times, with nothing read from or written to the cache (``cache=False``), the models
the full protocol otherwise loads: the McCulloch-Pitts circuit imprinted (for
reference: it is never cached), the learned circuit (V2 learned by STDP, V4 and IT
imprinted on it, homeostasis), its IT category units (reward-modulated STDP on 256
labelled objects), and one CNN of the full preset (the protocol trains three, the
quick one). Circuit seed 0, two processes for the presentations, as the protocol.
Prints one line per model with the CPU named; wall seconds.
"""
import platform
import time

from threadpoolctl import threadpool_limits

from circuits.learning_pathway import learned_pathway
from circuits.pathway import build_pathway
from circuits.protocol_config import PRESETS
from circuits.protocol_models import trained_cnn
from circuits.protocol_responses import circuit_category_units, draw_images


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f
                        if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def main():
    cfg = PRESETS["full"]
    print(f"# cold-cache costs of the protocol's models, {_cpu_name()}")
    with threadpool_limits(1):
        images = draw_images(cfg, 0)
        t = time.perf_counter()
        build_pathway(cfg["size"], "it", seed=0, training=images.training, n_jobs=2)
        print(f"imprinted circuit (homeostasis included): {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        pathway, _ = learned_pathway(cfg["size"], images.training, seed=0, cache=False,
                                     n_jobs=2)
        print(f"learned circuit (STDP, imprinting, homeostasis): "
              f"{time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        circuit_category_units(pathway, cfg, 0, False)
        print(f"IT category units (reward-modulated STDP): {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        trained_cnn(0, cache=False)
        print(f"one CNN (full preset): {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
