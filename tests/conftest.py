"""Shared fixtures: the ``backend`` fixture and a non-interactive matplotlib.

Every test that takes ``backend`` runs once per CPU backend, ``"numpy"`` (the
vectorised reference) and ``"numba"`` (the compiled loop).
"""
import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

BACKENDS = ("numpy", "numba")


def pytest_configure(config):
    """Compile the CPU loop once before pytest-xdist starts its workers (and before any
    test starts subprocesses): numba's disk cache is not safe against concurrent
    compilation of one function by several processes."""
    if not hasattr(config, "workerinput"):
        from neurosim import precompile
        precompile()            # with the loop of one MPI rank


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Name of the backend a test runs on."""
    return request.param


@pytest.fixture
def small_cuda(monkeypatch):
    """The CUDA backend with 16 threads per block, so that every kernel of a small
    network spans several blocks; the test is skipped where CUDA (or numba's
    simulator, ``NUMBA_ENABLE_CUDASIM=1``) is unavailable."""
    from neurosim.backends.cuda_backend import CudaBackend
    if not CudaBackend.is_available():
        pytest.skip(f"CUDA unavailable: {CudaBackend.why_unavailable()}")
    monkeypatch.setattr(CudaBackend, "threads_per_block", 16)
    monkeypatch.setattr(CudaBackend, "fused_threads", 16)
    return CudaBackend


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test opened, so that they do not pile up."""
    yield
    import matplotlib.pyplot as plt
    plt.close("all")
