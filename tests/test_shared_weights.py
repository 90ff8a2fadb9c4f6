"""Shared weights (``neurosim._weights``): a network whose stored static projections all
have one constant weight keeps a table of its weights and a uint8 code per synapse.

The oracle is the same network with a weight per synapse, forced by one more
projection of drawn weights from a source that never fires (placed last, so the
other projections' synapses and random streams are unchanged): the same synapses,
the same weights and the same spikes on every backend, after weights are changed
between runs, and after store/restore and checkpoints.
"""
import os
import sys

import numpy as np
import pytest

import neurosim as ns
from neurosim._weights import fixed_weights
from neurosim.units import Hz, mV, ms

sys.path.insert(0, os.path.dirname(__file__))
from networks import cuba  # noqa: E402

DT = 0.1 * ms


def _network(own_weights, n=1000, p=0.08, delay=0 * ms):
    net, mon = cuba(n, p, record=(), delay=delay)
    objects = list(net.objects)
    if own_weights:
        cells = next(o for o in objects if isinstance(o, ns.NeuronGroup))
        silent = ns.PoissonGroup(1, 0 * Hz, name="silent")
        objects += [silent, ns.Synapses(silent, cells, kind="excitatory",
                                        weight=ns.Uniform(1 * mV, 2 * mV),
                                        connect=ns.AllToAll())]
    net = ns.Network(*objects)
    net.build(dt=DT, seed=5)
    ee, ie = (s for s in net.synapses if s.source is not None and s.name != "silent"
              and not isinstance(s.source, ns.PoissonGroup))
    return net, mon["spikes"], ee, ie


def _spikes(mon):
    return np.stack([mon.i.astype(np.int64), mon.steps])


def test_constant_weights_are_shared_at_one_byte_a_synapse():
    net, _, ee, ie = _network(False)
    ref, _, _, _ = _network(True)
    s, r = net._arrays.synapses, ref._arrays.synapses
    n_syn = s.target.size
    assert n_syn > 70_000 and s.weight_code.dtype == np.uint8 and s.weight_code.size == n_syn
    assert sorted(s.weight) == sorted(np.rint(np.array([1.62e-3, 9e-3]) * 2.0 ** 40))
    assert r.weight_code.size == 0 and r.weight.size == n_syn + 1000
    # the same synapses (the silent source's row comes last), with the same weights
    assert np.array_equal(s.target, r.target[:n_syn]) and np.array_equal(s.delay,
                                                                          r.delay[:n_syn])
    assert np.array_equal(fixed_weights(s.weight, s.weight_code), r.weight[:n_syn])
    assert np.array_equal(ee.weight, np.full(ee.n_synapses, np.rint(1.62e-3 * 2.0 ** 40)
                                             / 2.0 ** 40))
    at_rest = (s.target.nbytes + s.weight_code.nbytes + s.weight.nbytes + s.delay.nbytes) / n_syn
    assert 7 <= at_rest < 7.01        # int32 target, uint8 code, int16 delay
    assert (r.target.nbytes + r.weight.nbytes + r.delay.nbytes) / r.target.size == 14


@pytest.mark.parametrize("backend, threads, delay", [("numba", 1, 0 * ms), ("numpy", 1, 0 * ms),
                                                     ("numba", 2, 0 * ms),
                                                     ("numba", 1, 1.5 * ms)])
def test_the_same_spikes_as_with_a_weight_per_synapse(backend, threads, delay):
    runs = []
    for own in (False, True):
        net, mon, _, _ = _network(own, delay=delay)
        net.run(60 * ms, backend=backend, n_threads=threads)
        runs.append(_spikes(mon))
    assert runs[0].shape[1] > 300
    assert np.array_equal(runs[0], runs[1])


def test_changed_weights_stay_shared_while_the_table_holds_them_then_become_per_synapse():
    rng = np.random.default_rng(0)
    nets = [_network(own) for own in (False, True)]
    out = [[], []]
    for change in range(3):
        drawn = rng.uniform(1, 9, nets[0][3].n_synapses) * mV
        for k, (net, mon, ee, ie) in enumerate(nets):
            if change == 1:
                ee.weight = 2.5 * mV            # a new constant: the table grows
            elif change == 2:
                ie.weight = drawn               # one per synapse: no table can hold them
            net.run(30 * ms, backend="numba")
            out[k].append(_spikes(mon))
        shared = nets[0][0]._arrays.synapses
        assert shared.weight_code.size == (shared.target.size if change < 2 else 0)
        assert shared.weight.size == (2, 3, shared.target.size)[change]
        assert np.array_equal(nets[0][3].weight, nets[1][3].weight)
        assert np.array_equal(nets[0][2].weight, nets[1][2].weight)
    assert out[0][-1].shape[1] > out[0][0].shape[1] > 200
    for a, b in zip(*out):
        assert np.array_equal(a, b)


def test_a_sweep_over_many_weights_keeps_the_table_of_those_in_use():
    nets = [_network(own) for own in (False, True)]
    for k in range(300):                # more distinct values than a table holds
        for net, _, ee, _ in nets:
            ee.weight = (1.0 + 0.01 * k) * mV
    shared = nets[0][0]._arrays.synapses
    assert shared.weight_code.size == shared.target.size and shared.weight.size <= 50
    runs = []
    for net, mon, ee, ie in nets:
        net.run(30 * ms, backend="numba")
        runs.append(_spikes(mon))
        assert np.all(ee.weight == np.rint(3.99e-3 * 2.0 ** 40) / 2.0 ** 40)
    assert runs[0].shape[1] > 200 and np.array_equal(runs[0], runs[1])


def test_restore_brings_back_the_table_after_weights_went_per_synapse(tmp_path):
    net, mon, ee, ie = _network(False)
    net.store()
    net.run(30 * ms)
    first = _spikes(mon)
    net.restore()
    ie.weight = np.random.default_rng(1).uniform(1, 9, ie.n_synapses) * mV
    assert net._arrays.synapses.weight_code.size == 0
    net.restore()
    assert net._arrays.synapses.weight_code.size == net._arrays.synapses.target.size
    net.run(30 * ms)
    assert first.shape[1] > 200 and np.array_equal(_spikes(mon), first)
    # a checkpoint file keeps the table and the codes, and is checked on reading
    path = str(tmp_path / "state.npz")
    net.store(filename=path)
    again, mon2, _, _ = _network(False)
    again.restore(filename=path)
    s = again._arrays.synapses
    assert s.weight.size == 2 and s.weight_code.size == s.target.size
    with np.load(path) as data:
        content = {k: data[k] for k in data.files}
    content["weight_code"] = np.full_like(content["weight_code"], 7)
    bad = str(tmp_path / "bad.npz")
    np.savez(bad, **content)
    with pytest.raises(ns.CheckpointError, match="weight_code"):
        again.restore(filename=bad)


@pytest.mark.cuda
def test_cuda_reads_the_table_and_takes_weights_that_became_per_synapse(small_cuda):
    runs = []
    for backend in ("cuda", "numba"):
        net, mon, ee, ie = _network(False, n=200, p=0.4)
        net.run(10 * ms, backend=backend)
        ie.weight = np.random.default_rng(2).uniform(1, 9, ie.n_synapses) * mV
        net.run(10 * ms, backend=backend)
        runs.append(_spikes(mon))
    assert runs[1].shape[1] > 20
    assert np.array_equal(runs[0], runs[1])
