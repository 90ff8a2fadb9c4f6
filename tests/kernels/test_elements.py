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
from neurosim.kernels import elements as el
from neurosim.kernels import lif as K_LIF, lif_cond as K_COND, mcculloch_pitts as K_MP
from neurosim.kernels._rng import uniform_numpy
from neurosim.kernels.lif import _lif_update, lif_step_numpy
from neurosim.kernels.lif_cond import _lif_cond_update, lif_cond_step_numpy
from neurosim.kernels.mcculloch_pitts import _mcculloch_pitts_update, mcculloch_pitts_step_numpy
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
    return Neurons(v=v, ge=ge, gi=gi, ref=ref, i_bias=rng.normal(0, 0.005, n),
                   i_ext=np.zeros(n), spiked=spiked, buffer=buffer.astype(np.int64),
                   seg_lo=lo, seg_hi=hi, seg_code=np.array([L.LIF_EXP, L.LIF_DELTA]),
                   seg_prm=np.zeros((2, L.N_PARAMS)))


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
    for d in range(drv.lam.size):
        for k in range(drv.lo[d], drv.hi[d]):
            count = el.drive_events(d, k - drv.lo[d], seed, step, drv.lam, drv.p0, drv.n_sub,
                                    drv.k_max)
            buffer[slot, drv.channel[d] * n + k] += count * drv.weight[d]


def test_drive_events_match_numpy():
    rng = np.random.default_rng(1)
    nr = _neurons(rng)
    lam = np.array([0.01, 2.0, 20.0, 0.5])
    drv = Drives(lo=np.array([0, 10, 100, 30]), hi=np.array([N, 60, 200, 31]),
                 channel=np.array([0, 1, 0, 1]), weight=np.array([3, 2**40, 7, 0]),  # 0: a zero weight
                 lam=lam, p0=np.exp(-lam), n_sub=np.array([1, 1, 3, 2]),
                 k_max=np.ceil(lam + 20 * np.sqrt(lam) + 30).astype(np.int64))
    want, got = _copy(nr), _copy(nr)
    ref_np._poisson_drives(want, drv, SEED, STEP, 2)
    _drives_compiled(got.buffer, drv, SEED, STEP, 2, N)
    assert not np.array_equal(want.buffer, nr.buffer)       # the drives added input
    assert np.array_equal(got.buffer, want.buffer)


# ------------------------------------------------------------- source firing
@njit
def _fires_compiled(first, fired, p_fire, seed, step):
    out = np.empty(fired.size, np.bool_)
    for s in range(fired.size):
        out[s] = el.source_fires(first + s, fired[s], p_fire[s], seed, step)
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
        out[c] = el.sample(var[c], idx[c], nr.v, nr.ge, nr.gi)
    return out


def test_sample_matches_numpy():
    rng = np.random.default_rng(3)
    nr = _neurons(rng)
    var = rng.choice([L.VAR_V, L.VAR_GE, L.VAR_GI], 40)
    idx = rng.integers(0, N, 40)
    rec = Recorders(mask=None, spike_i=None, spike_step=None, st_var=var, st_idx=idx,
                    st_every=np.ones(40, np.int64), st_off=np.arange(40), st_count=np.zeros(40, np.int64),
                    st_buf=np.zeros(40), rate_lo=None, rate_hi=None, rate_buf=None)
    ref_np._sample_states(nr, rec, STEP)
    assert np.array_equal(_sample_compiled(nr, var, idx), rec.st_buf)


# ------------------------------------------------- a slot of the ring buffer arrives
@njit
def _receive_compiled(nr, slot):
    n = nr.v.size
    for g in range(nr.seg_lo.size):
        delta = nr.seg_code[g] == L.LIF_DELTA
        for k in range(nr.seg_lo[g], nr.seg_hi[g]):
            exc, inh = nr.buffer[slot, k], nr.buffer[slot, n + k]
            if delta:
                nr.v[k] = el.receive_delta(nr.v[k], nr.ref[k], nr.spiked[k], exc, inh)
            else:
                nr.ge[k] = el.receive_synaptic(nr.ge[k], exc)
                nr.gi[k] = el.receive_synaptic(nr.gi[k], inh)
            nr.buffer[slot, k] = 0
            nr.buffer[slot, n + k] = 0


@pytest.mark.parametrize("slot", [0, 1, 2])       # slot 1 is empty
def test_receive_matches_numpy(slot):
    rng = np.random.default_rng(4 + slot)
    nr = _neurons(rng)
    want, got = _copy(nr), _copy(nr)
    ref_np._apply_slot(want, slot)
    _receive_compiled(got, slot)
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
    prm = np.zeros(L.N_PARAMS)
    prm[[K_LIF.V_REST, K_LIF.V_RESET, K_LIF.V_TH]] = -0.07, -0.065, -0.052
    prm[[K_LIF.DECAY_M, K_LIF.DECAY_E, K_LIF.DECAY_I]] = np.exp(-0.1 / np.array([10, 5, 10]))
    prm[[K_LIF.COUPLING_E, K_LIF.COUPLING_I]] = (0.0, 0.0) if delta else (0.009, 0.0095)
    prm[K_LIF.N_REF], prm[K_LIF.RESET_SUB] = 20, rng.integers(0, 2)
    return prm


def _cond_params():
    prm = np.zeros(L.N_PARAMS)
    prm[[K_COND.E_L, K_COND.V_RESET, K_COND.V_TH]] = -0.06, -0.06, -0.05
    prm[K_COND.DT_OVER_TAU_M] = 0.1 / 20
    prm[K_COND.DECAY_E], prm[K_COND.DECAY_I] = 1 - 0.1 / 5, 1 - 0.1 / 10
    prm[K_COND.E_E], prm[K_COND.E_I], prm[K_COND.N_REF] = 0.0, -0.08, 50
    return prm


def _mp_params(p_update):
    prm = np.zeros(L.N_PARAMS)
    prm[K_MP.THETA], prm[K_MP.P_UPDATE], prm[K_MP.ABS_INH] = 1.0, p_update, 1.0
    return prm


_compiled = {name: njit(rule) for name, rule in
             (("lif", _lif_update), ("cond", _lif_cond_update), ("mp", _mcculloch_pitts_update))}


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
        prm, rule, step_numpy = _lif_params(rng, model == "lif-delta"), "lif", lif_step_numpy
        nr = nr._replace(v=np.where(rng.random(N) < 0.05, -0.052, nr.v))     # at threshold
    elif model == "cond":
        prm, rule, step_numpy = _cond_params(), "cond", lif_cond_step_numpy
        nr = nr._replace(ge=nr.ge * 50, gi=nr.gi * 10)
    else:
        prm, rule, step_numpy = _mp_params(1.0 if model == "mp-sync" else 0.3), "mp", \
            mcculloch_pitts_step_numpy
        nr = nr._replace(v=(rng.random(N) < 0.5) * 1.0, ge=rng.integers(0, 4, N) * 1.0,
                         gi=rng.integers(0, 2, N) * (rng.random(N) < 0.3) * 1.0,
                         ref=np.zeros(N, np.int32))      # binary units are never refractory
        i_ext = np.zeros(N)
    want, got = _copy(nr), _copy(nr)
    spiked_np = step_numpy(want.v, want.ge, want.gi, want.ref, i_ext, prm, SEED, STEP,
                           np.arange(N))
    spiked = np.zeros(N, np.bool_)
    _model_loop(_compiled[rule], got.v, got.ge, got.gi, got.ref, i_ext, prm, SEED, STEP, spiked)
    assert 0 < spiked.sum() < N                                  # some fire, some do not
    assert np.array_equal(spiked, spiked_np)
    for f in ("v", "ge", "gi", "ref"):
        assert np.array_equal(getattr(got, f), getattr(want, f)), f
