"""Sweeps on a Dask cluster: results in order, equal to direct calls; failures stay per point.

One ``LocalCluster`` of two single-threaded worker processes serves the tests that
pass its scheduler address (as for a remote cluster); one test lets
``dask_sweep`` start and close its own.
"""
import os
import sys

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

import cloudpickle  # noqa: E402
import dask  # noqa: E402

import neurosim as ns  # noqa: E402
from neurosim.dask_sweep import dask_sweep  # noqa: E402
from neurosim.units import Hz, ms  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from networks import poisson_delays  # noqa: E402

# the workers cannot import this test module: send its functions by value
cloudpickle.register_pickle_by_value(sys.modules[__name__])

pytestmark = pytest.mark.slow


def spike_count(point):
    """A network per point: Poisson-driven cells, rate and seed from the point."""
    if point["rate"] < 0:
        raise ValueError(f"rate={point['rate']} must be >= 0")
    net, mon = poisson_delays(n=100, n_sources=50, rate=point["rate"] * Hz)
    net.run(50 * ms, dt=0.1 * ms, backend="numba", seed=point["seed"])
    return mon["spikes"].i.size, mon["spikes"].i.copy()


def die(point):
    if point == "die":
        os._exit(7)
    return point


@pytest.fixture(scope="module")
def cluster():
    # a task is given up after its second dead worker (Dask's default: the fourth), and a
    # worker holds only the task it runs; a point that shared a worker with the one that
    # killed it is rerun
    with dask.config.set({"distributed.scheduler.allowed-failures": 1,
                          "distributed.scheduler.worker-saturation": 1.0}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=":0") as c:
        yield c


POINTS = [{"rate": 20.0, "seed": 1}, {"rate": -1.0, "seed": 1}, {"rate": 40.0, "seed": 2}]


def test_results_equal_direct_calls_and_a_failure_stays_with_its_point(cluster):
    results = dask_sweep(spike_count, POINTS, scheduler=cluster.scheduler_address)
    assert [r.point for r in results] == POINTS
    assert [r.ok for r in results] == [True, False, True]
    assert "rate=-1.0 must be >= 0" in results[1].error and results[1].value is None
    for r in (results[0], results[2]):
        count, spikes = spike_count(r.point)        # the same network in this process
        assert r.value[0] == count > 0
        np.testing.assert_array_equal(r.value[1], spikes)
    # the two points give different spikes, so a result given to the other point fails
    assert not np.array_equal(results[0].value[1], results[2].value[1])


def test_a_worker_that_dies_loses_only_its_point(cluster):
    with distributed.Client(cluster) as client:
        results = dask_sweep(die, [1, "die", 3], scheduler=client)
        assert not client.status == "closed"        # a Client passed in is left open
    assert [r.ok for r in results] == [True, False, True], [r.error for r in results]
    assert [results[0].value, results[2].value] == [1, 3]
    assert "KilledWorker" in results[1].error or "died" in results[1].error


def test_default_local_cluster():
    results = dask_sweep(spike_count, POINTS[:1], n_workers=1)
    assert results[0].ok and results[0].value[0] == spike_count(POINTS[0])[0]


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="n_workers=0 must be a positive integer"):
        dask_sweep(abs, [1], n_workers=0)
    with pytest.raises(ValueError, match="retries=-1 must be an integer >= 0"):
        dask_sweep(abs, [1], scheduler="tcp://127.0.0.1:1", retries=-1)
    with pytest.raises(TypeError, match="scheduler=3 must be None, a scheduler address"):
        dask_sweep(abs, [1], scheduler=3)


def test_exported():
    assert ns.dask_sweep is dask_sweep
