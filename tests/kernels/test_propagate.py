"""Spike delivery (``kernels.propagate``): the compiled scatter against its numpy twin,
for the delay types the build uses (``_memory.delay_dtype``: int16, int32), at steps
where a narrow type would overflow (the sum of a step and a delay, a slot times the
buffer's width), with weights per synapse and shared (a table and a uint8 code each)."""
import numpy as np
import pytest

from neurosim._memory import delay_dtype
from neurosim.kernels.propagate import propagate_numba, propagate_numpy

N_SRC, WIDTH, DEPTH = 60, 2 * 500, 40


def _csr(rng, dtype):
    counts = rng.integers(0, 80, N_SRC)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    total = int(indptr[-1])
    target = rng.integers(0, WIDTH, total).astype(np.int32)
    weight = rng.integers(1, 2 ** 40, total).astype(np.int64)
    delay = rng.integers(0, DEPTH, total).astype(dtype)
    return indptr, target, weight, delay


def _shared(rng, n_syn):
    """A table of 256 weights and a code per synapse, and the weights they give."""
    table = rng.integers(1, 2 ** 40, 256).astype(np.int64)
    code = rng.integers(0, 256, n_syn).astype(np.uint8)
    return table, code, table[code]


@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize("longest", [DEPTH - 1, 2 ** 15])
@pytest.mark.parametrize("step", [0, 32_750, 32_767, 65_530, 10 ** 7])
def test_compiled_delivery_equals_numpy_twin(longest, step, shared):
    dtype = delay_dtype(longest)
    assert dtype == (np.int16 if longest < 2 ** 15 else np.int32)
    rng = np.random.default_rng(step + longest)
    indptr, target, weight, delay = _csr(rng, dtype)
    code = np.zeros(0, np.uint8)
    if shared:
        weight, code, each = _shared(rng, target.size)
        # the oracle of the oracle: the same delivery with each synapse's own weight
        own = np.zeros((DEPTH, WIDTH), np.int64)
        propagate_numpy(np.arange(N_SRC), step, indptr, target, each, code[:0], delay, own)
        both = np.zeros((DEPTH, WIDTH), np.int64)
        propagate_numpy(np.arange(N_SRC), step, indptr, target, weight, code, delay, both)
        assert np.array_equal(own, both) and np.count_nonzero(own) > 500
    sources = np.flatnonzero(rng.random(N_SRC) < 0.5).astype(np.int64)
    ours, ref = np.zeros((DEPTH, WIDTH), np.int64), np.zeros((DEPTH, WIDTH), np.int64)
    touched = np.zeros((DEPTH, WIDTH // 16), np.int32)
    n_touched = np.zeros(DEPTH, np.int64)
    propagate_numba(sources, sources.size, step, indptr, target, weight, code, delay, ours,
                    touched, n_touched)
    propagate_numpy(sources, step, indptr, target, weight, code, delay, ref)
    assert np.count_nonzero(ref) > 500
    assert np.array_equal(ours, ref)
    # the lists name entries that hold input (all of them while a list is not full)
    for slot in range(DEPTH):
        listed = touched[slot, :n_touched[slot]]
        assert np.all(ref[slot, listed] != 0)
        if n_touched[slot] < touched.shape[1]:
            assert set(listed) == set(np.flatnonzero(ref[slot]))
