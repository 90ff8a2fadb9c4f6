"""Every compiled element of the step against its numpy counterpart (the oracle).

The element functions (``neurosim.kernels.elements`` and the models' scalar
updates) are what the CPU loop, the loop of one MPI rank and the CUDA kernel
all inline; the numpy backend is written apart, vectorised. Each test draws
random states that include the edge values (refractory counters 0 and 1,
neurons that have just spiked, empty ring-buffer entries, zero weights,
currents that end before the step) and requires the same bits.
"""
import numpy as np
import pytest
from numba import njit

from neurosim.backends import numpy_backend as ref_np
from neurosim.kernels import _layout as L
from neurosim.kernels import _model_set, elements as el, models as M
from neurosim.kernels._layout import STREAM_POISSON_GROUP, STREAM_POISSON_INPUT
from neurosim.kernels._rng import step_key, uniform_numpy
from neurosim.kernels.plasticity import empty_plastic
from neurosim.kernels.poisson import poisson_tables
from neurosim.kernels.simulate import Currents, Drives, Neurons, Recorders

N = 257          # not a multiple of 8 or of a vector width
SEED, STEP = 12345, 678


def _neurons(rng, n=N, depth=3, delta_lo=100):
    """Random state with edge values; neurons [delta_lo, n) form a delta-synapse segment."""
    v = rng.normal(-0.06, 0.01, n)
    ge, gi = rng.exponential(1e-3, n), rng.exponential(1e-3, n)
    ref = rng.choice([0, 0, 1, 2, 5], n).astype(np.int32)
    spiked = np.zeros(-(-n // 8) * 8, bool)
    spiked[:n] = rng.random(n) < 0.2
    buffer = rng.integers(0, 2**40, (depth, 2 * n)) * (rng.random((depth, 2 * n)) < 0.5)
    buffer[1] = 0                                           # an empty slot
    lo, hi = np.array([0, delta_lo]), np.array([delta_lo, n])
    aux = rng.normal(0, 1, (2, n))
    return Neurons(v=v, ge=ge, gi=gi, ref=ref, aux=aux, i_bias=rng.normal(0, 0.005, n),
                   i_ext=np.zeros(n), spiked=spiked, buffer=buffer.astype(np.int64),
                   seg_lo=lo, seg_hi=hi, seg_code=np.array([L.LIF_EXP, L.LIF_DELTA]),
                   seg_prm=np.zeros((2, L.N_PARAMS)), seg_hoff=np.full(2, L.SHARED),
                   nrn_prm=np.zeros((0, L.N_PARAMS)))


def _copy(nr):
    return nr._replace(**{f: getattr(nr, f).copy() for f in nr._fields})


# ------------------------------------------------------------ injected currents
@njit
def _currents_compiled(i_bias, cur, step):
    out = np.empty(i_bias.size)
    for k in range(i_bias.size):
        out[k] = el.injected_current(k, step, i_bias[k], cur.lo, cur.hi, cur.vptr, cur.values,
                                     cur.n_rows, cur.n_cols, cur.ratio)
    return out


@pytest.mark.parametrize("step", [0, 5, 17, 10_000])       # 10,000: every table has ended
def test_injected_current_matches_numpy(step):
    rng = np.random.default_rng(step)
    # three overlapping currents: one value for all, one per neuron, one per neuron
    # sampled every 3 steps
    lo, hi = np.array([0, 50, 120]), np.array([200, 180, N])
    cols = np.array([1, 130, N - 120])
    rows, ratio = np.array([20, 4, 7]), np.array([1, 1, 3])
    tables = [rng.normal(0, 0.01, (r, c)) for r, c in zip(rows, cols)]
    vptr = np.concatenate([[0], np.cumsum([t.size for t in tables])])
    cur = Currents(lo=lo, hi=hi, vptr=vptr, values=np.concatenate([t.ravel() for t in tables]),
                   n_rows=rows, n_cols=cols, ratio=ratio)
    nr = _neurons(rng)
    ref_np._injected_currents(nr, cur, step)
    assert np.array_equal(_currents_compiled(nr.i_bias, cur, step), nr.i_ext)


# --------------------------------------------------------------- Poisson drives
@njit
def _drives_compiled(buffer, drv, seed, step, slot, n):
    for d in range(drv.lo.size):
        key = step_key(seed, STREAM_POISSON_INPUT + d, step)
        for k in range(drv.lo[d], drv.hi[d]):
            count = el.drive_events(d, k - drv.lo[d], key, drv.n_sub, drv.t_ptr, drv.g_ptr,
                                    drv.shift, drv.k_lo, drv.thresholds, drv.guide)
            buffer[slot, drv.channel[d] * n + k] += count * drv.weight[d]


def test_drive_events_match_numpy():
    rng = np.random.default_rng(1)
    nr = _neurons(rng)
    tab = poisson_tables([0.01, 2.0, 20.0, 0.5, 900.0])
    drv = Drives(lo=np.array([0, 10, 100, 30, 5]), hi=np.array([N, 60, 200, 31, 90]),
                 channel=np.array([0, 1, 0, 1, 1]),
                 weight=np.array([3, 2**40, 7, 0, 1]),  # 0: a zero weight
                 n_sub=np.array([1, 1, 3, 2, 1]), k_lo=tab.k_lo, k_max=tab.k_max,
                 t_ptr=tab.t_ptr, g_ptr=tab.g_ptr, shift=tab.shift,
                 thresholds=tab.thresholds, guide=tab.guide)
    want, got = _copy(nr), _copy(nr)
    ref_np._poisson_drives(want, drv, SEED, STEP, 2)
    _drives_compiled(got.buffer, drv, SEED, STEP, 2, N)
    assert not np.array_equal(want.buffer, nr.buffer)       # the drives added input
    assert np.array_equal(got.buffer, want.buffer)


# ------------------------------------------------------------- source firing
@njit
def _fires_compiled(first, fired, p_fire, seed, step):
    out = np.empty(fired.size, np.bool_)
    key = step_key(seed, STREAM_POISSON_GROUP, step)
    for s in range(fired.size):
        out[s] = el.source_fires(first + s, fired[s], p_fire[s], key)
    return out


def test_source_fires_matches_numpy():
    rng = np.random.default_rng(2)
    n_src, first = 1000, 300
    p_fire = rng.choice([0.0, 0.01, 0.5, 1.0], n_src)
    fired = rng.random(n_src) < 0.05
    want = fired | ((p_fire > 0) & (uniform_numpy(SEED, L.STREAM_POISSON_GROUP, STEP,
                                                  np.arange(first, first + n_src)) < p_fire))
    got = _fires_compiled(first, fired, p_fire, SEED, STEP)
    assert 50 < want.sum() < 900
    assert np.array_equal(got, want)


# ------------------------------------------------------------- state sampling
@njit
def _sample_compiled(nr, var, idx):
    out = np.empty(var.size)
    for c in range(var.size):
        out[c] = el.sample(var[c], idx[c], nr.v, nr.ge, nr.gi, nr.aux)
    return out


def test_sample_matches_numpy():
    rng = np.random.default_rng(3)
    nr = _neurons(rng)
    var = rng.choice([L.VAR_V, L.VAR_GE, L.VAR_GI, L.VAR_EXTRA, L.VAR_EXTRA + 1], 40)
    idx = rng.integers(0, N, 40)
    rec = Recorders(mask=None, spike_i=None, spike_step=None, st_var=var, st_idx=idx,
                    st_every=np.ones(40, np.int64), st_off=np.arange(40), st_count=np.zeros(40, np.int64),
                    st_buf=np.zeros(40), rate_lo=None, rate_hi=None, rate_buf=None)
    ref_np._sample_states(nr, rec, empty_plastic(N), STEP)
    assert np.array_equal(_sample_compiled(nr, var, idx), rec.st_buf)


# ------------------------------------------------- a slot of the ring buffer arrives
def _receive_compiled(nr, slot):
    # the dense pass of the CPU loop: each segment by its model's rule (_model_set)
    _model_set.apply_slot_dense(nr, slot)


@njit
def _receive_sparse_compiled(nr, slot):
    # the per-entry pass: a jump model takes both channels, the others one at a time
    n = nr.v.size
    jump = np.full(n, -1, dtype=np.int8)
    for g in range(nr.seg_lo.size):
        if _model_set.jumps(nr.seg_code[g]):
            jump[nr.seg_lo[g]:nr.seg_hi[g]] = nr.seg_code[g]
    for t in range(2 * n):
        k = t - n if t >= n else t
        if jump[k] >= 0:
            nr.v[k] = _model_set.receive_jump(jump[k], nr.v[k], nr.ref[k], nr.spiked[k],
                                              nr.buffer[slot, k], nr.buffer[slot, n + k])
            nr.buffer[slot, k] = 0
            nr.buffer[slot, n + k] = 0
        elif t < n:
            nr.ge[k] = el.receive_synaptic(nr.ge[k], nr.buffer[slot, t])
            nr.buffer[slot, t] = 0
        else:
            nr.gi[k] = el.receive_synaptic(nr.gi[k], nr.buffer[slot, t])
            nr.buffer[slot, t] = 0


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("slot", [0, 1, 2])       # slot 1 is empty
def test_receive_matches_numpy(slot, sparse):
    rng = np.random.default_rng(4 + slot)
    nr = _neurons(rng)
    want, got = _copy(nr), _copy(nr)
    ref_np._apply_slot(want, M.BUILTIN, slot)
    (_receive_sparse_compiled if sparse else _receive_compiled)(got, slot)
    for f in ("v", "ge", "gi", "buffer"):
        assert np.array_equal(getattr(got, f), getattr(want, f)), f
    assert not want.buffer[slot].any()
    delta = slice(100, N)
    held = (nr.ref[delta] > 0) | nr.spiked[delta.start:N]     # delta neurons that ignore input
    assert np.array_equal(want.v[delta][held], nr.v[delta][held])
    if slot != 1:
        assert not np.array_equal(want.v[delta][~held], nr.v[delta][~held])


# ------------------------------------------------------------ the neuron models
def _lif_params(rng, delta=False):
    return M.LIF_EXP.Parameters(
        v_rest=-0.07, v_reset=-0.065, v_th=-0.052, decay_m=np.exp(-0.1 / 10),
        decay_e=np.exp(-0.1 / 5), decay_i=np.exp(-0.1 / 10),
        coupling_e=0.0 if delta else 0.009, coupling_i=0.0 if delta else 0.0095, n_ref=20.0,
        unused_one=1.0, unused_zero=0.0, reset_sub=float(rng.integers(0, 2)))


def _cond_params():
    return M.LIF_COND.Parameters(e_l=-0.06, v_reset=-0.06, v_th=-0.05, dt_over_tau_m=0.1 / 20,
                                 decay_e=1 - 0.1 / 5, decay_i=1 - 0.1 / 10, e_e=0.0, e_i=-0.08,
                                 n_ref=50.0, unused_one=1.0)


def _mp_params(p_update):
    values = dict.fromkeys(M.MCCULLOCH_PITTS.parameters, 0.0)
    values.update(theta=1.0, p_update=p_update, absolute_inhibition=1.0)
    return M.MCCULLOCH_PITTS.Parameters(**values)


_KERNEL = {"lif": M.LIF_EXP, "cond": M.LIF_COND, "mp": M.MCCULLOCH_PITTS}
_compiled = {name: njit(k.scalar_update) for name, k in _KERNEL.items()}


@njit
def _model_loop(rule, v, ge, gi, ref, i_ext, prm, seed, step, spiked):
    for k in range(v.size):
        v[k], ge[k], gi[k], ref[k], spiked[k] = rule(v[k], ge[k], gi[k], ref[k], i_ext[k], prm,
                                                     seed, step, k)


@pytest.mark.parametrize("model", ["lif", "lif-delta", "cond", "mp-sync", "mp-async"])
def test_model_update_matches_numpy(model):
    rng = np.random.default_rng(sum(map(ord, model)))
    nr = _neurons(rng)
    i_ext = rng.normal(0.012, 0.01, N)
    if model.startswith("lif"):
        prm, rule = _lif_params(rng, model == "lif-delta"), "lif"
        nr = nr._replace(v=np.where(rng.random(N) < 0.05, -0.052, nr.v))     # at threshold
    elif model == "cond":
        prm, rule = _cond_params(), "cond"
        nr = nr._replace(ge=nr.ge * 50, gi=nr.gi * 10)
    else:
        prm, rule = _mp_params(1.0 if model == "mp-sync" else 0.3), "mp"
        nr = nr._replace(v=(rng.random(N) < 0.5) * 1.0, ge=rng.integers(0, 4, N) * 1.0,
                         gi=rng.integers(0, 2, N) * (rng.random(N) < 0.3) * 1.0,
                         ref=np.zeros(N, np.int32))      # binary units are never refractory
        i_ext = np.zeros(N)
    want, got = _copy(nr), _copy(nr)
    spiked_np = _KERNEL[rule].vector_update(want.v, want.ge, want.gi, want.ref, i_ext, prm, SEED, STEP,
                           np.arange(N))
    spiked = np.zeros(N, np.bool_)
    _model_loop(_compiled[rule], got.v, got.ge, got.gi, got.ref, i_ext, prm, SEED, STEP, spiked)
    assert 0 < spiked.sum() < N                                  # some fire, some do not
    assert np.array_equal(spiked, spiked_np)
    for f in ("v", "ge", "gi", "ref"):
        assert np.array_equal(getattr(got, f), getattr(want, f)), f
