"""The device check of issue 35 (``benchmarks/gpu_check.py``) runs end to end.

Without a GPU it runs in numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``), on a
tiny network with delays (so the schedule of one barrier a step is picked) and with
blocks of 16 threads: its three runs complete, the second with two barriers forced,
and the first gives numba's spikes. The simulator's times mean nothing and are not
checked.
"""
import importlib.util
import sys
from pathlib import Path

import pytest

from neurosim.backends.cuda_backend import CudaBackend

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not CudaBackend.is_available(),
                                 reason=f"CUDA unavailable: {CudaBackend.why_unavailable()}")]


def test_device_check_runs_both_schedules_and_matches_numba(small_cuda, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    spec = importlib.util.spec_from_file_location("gpu_check", BENCH / "gpu_check.py")
    gpu_check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu_check)
    monkeypatch.setitem(sys.modules, "gpu_check", gpu_check)
    from neurosim.kernels import simulate_cuda
    picked = simulate_cuda.one_barrier
    out = gpu_check._worker(dict(net="brunel-tiny", seconds=0.003, numba=True))
    assert simulate_cuda.one_barrier is picked          # the forced schedule undone
    assert out["min_delay_steps"] == 15
    assert [r["schedule"] for r in out["runs"]] == ["picked", "two_barriers", "picked_again"]
    assert out["runs"][0]["spikes"] > 0, "the check needs spikes to mean anything"
    assert out["same_spikes_as_numba"]
    assert all(r["events"] == r["spikes"] * 5.0 for r in out["runs"])    # 4 E + 1 I inputs
